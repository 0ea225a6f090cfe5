//! The OpenAPI document is usable by generated clients and by schemathesis (issue 22, finding
//! 11): every path parameter declared, every query parameter in the query and never `null`,
//! every operation answering something, every `$ref` resolving, every operation id unique, and
//! uploads described as bytes. `scripts/api-fuzz.sh` also checks it against the OpenAPI 3.1
//! meta-schema (openapi-spec-validator) and fuzzes the running server from it.

use std::collections::BTreeSet;

use serde_json::Value;

const METHODS: [&str; 7] = ["get", "put", "post", "delete", "patch", "head", "options"];

fn document() -> Value {
    serde_json::to_value(caravan_server::openapi()).unwrap()
}

/// Every (path, method, operation) of the document.
fn operations(doc: &Value) -> Vec<(String, &'static str, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in METHODS {
            if let Some(op) = item.get(method) {
                out.push((path.clone(), method, op.clone()));
            }
        }
    }
    out
}

/// Fails with every problem at once, one per line, so a reader fixes them in one go.
#[track_caller]
fn check(problems: Vec<String>) {
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}

fn template_names(path: &str) -> BTreeSet<String> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(str::to_owned)
        .collect()
}

fn parameters(op: &Value) -> Vec<Value> {
    op["parameters"].as_array().cloned().unwrap_or_default()
}

fn type_includes_null(schema: &Value) -> bool {
    match &schema["type"] {
        Value::String(t) => t == "null",
        Value::Array(types) => types.iter().any(|t| t == "null"),
        _ => false,
    }
}

#[test]
fn issue_22_every_path_parameter_is_declared_and_every_declared_one_is_in_the_path() {
    let doc = document();
    let mut problems = Vec::new();
    for (path, method, op) in operations(&doc) {
        let names = template_names(&path);
        let params = parameters(&op);
        let declared: BTreeSet<String> = params
            .iter()
            .filter(|p| p["in"] == "path")
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect();
        for missing in names.difference(&declared) {
            problems.push(format!("{method} {path}: path parameter {missing} not declared"));
        }
        for stray in declared.difference(&names) {
            problems
                .push(format!("{method} {path}: {stray} declared in: path but not in the path"));
        }
        for p in params.iter().filter(|p| p["in"] == "path") {
            if p["required"] != true {
                problems
                    .push(format!("{method} {path}: path parameter {} not required", p["name"]));
            }
        }
    }
    check(problems);
}

#[test]
fn issue_22_query_parameters_are_never_null_and_have_a_schema() {
    let doc = document();
    let mut problems = Vec::new();
    for (path, method, op) in operations(&doc) {
        let mut seen = BTreeSet::new();
        for p in parameters(&op) {
            let name = p["name"].as_str().unwrap_or_default();
            let Some(schema) = p.get("schema") else {
                problems.push(format!("{method} {path}: parameter {name} has no schema"));
                continue;
            };
            // A query string cannot say null: an optional parameter is one left out.
            if type_includes_null(schema) {
                problems.push(format!("{method} {path}: parameter {name} may be null"));
            }
            if !seen.insert((p["in"].to_string(), name.to_owned())) {
                problems.push(format!("{method} {path}: parameter {name} declared twice"));
            }
        }
    }
    check(problems);
}

#[test]
fn issue_22_every_operation_has_a_unique_id_and_documented_answers() {
    let doc = document();
    let mut problems = Vec::new();
    let mut ids = BTreeSet::new();
    for (path, method, op) in operations(&doc) {
        let responses = op["responses"].as_object();
        if responses.is_none_or(|r| r.is_empty()) {
            problems.push(format!("{method} {path}: no responses"));
        }
        match op["operationId"].as_str() {
            Some(id) if !ids.insert(id.to_owned()) => {
                problems.push(format!("{method} {path}: operationId {id} used twice"));
            }
            Some(_) => {}
            None => problems.push(format!("{method} {path}: no operationId")),
        }
    }
    check(problems);
}

/// Request bodies other than JSON, text and forms are bytes: `type: string, format: binary`,
/// which schemathesis and OpenAPI 3.0 generators understand (an array of integers is not).
#[test]
fn issue_22_uploads_are_described_as_bytes() {
    let doc = document();
    let mut problems = Vec::new();
    let mut uploads = 0;
    for (path, method, op) in operations(&doc) {
        let Some(content) = op["requestBody"]["content"].as_object() else { continue };
        for (media_type, media) in content {
            let textual = media_type.starts_with("text/")
                || media_type.ends_with("json")
                || media_type == "application/x-www-form-urlencoded"
                || media_type == "multipart/form-data";
            if textual {
                continue;
            }
            uploads += 1;
            let schema = &media["schema"];
            if schema["type"] != "string" || schema["format"] != "binary" {
                problems.push(format!(
                    "{method} {path}: {media_type} body is {schema}, not a binary string"
                ));
            }
        }
    }
    check(problems);
    assert!(uploads >= 2, "the raster and the scholarship document uploads are documented");
}

/// Every `$ref` points at a schema of `components`.
#[test]
fn issue_22_every_reference_resolves() {
    fn walk(value: &Value, doc: &Value, at: &str, problems: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(target)) = map.get("$ref") {
                    let resolved =
                        target.strip_prefix('#').and_then(|pointer| doc.pointer(pointer)).is_some();
                    if !resolved {
                        problems.push(format!("{at}: $ref {target} does not resolve"));
                    }
                }
                for (key, child) in map {
                    walk(child, doc, &format!("{at}/{key}"), problems);
                }
            }
            Value::Array(items) => {
                for (idx, child) in items.iter().enumerate() {
                    walk(child, doc, &format!("{at}/{idx}"), problems);
                }
            }
            _ => {}
        }
    }
    let doc = document();
    let mut problems = Vec::new();
    walk(&doc, &doc, "", &mut problems);
    check(problems);
}

/// The served document is the generated one.
#[tokio::test]
async fn issue_22_the_served_document_is_the_generated_one() {
    let app = crate::support::TestApp::new().await;
    let (status, served) = app.get("/api/openapi.json", None).await;
    assert_eq!(status, 200);
    assert_eq!(served, document());
}

/// A path segment that does not parse answers the one error shape naming the parameter, not
/// axum's plain text (schemathesis' content-type check found it).
#[tokio::test]
async fn issue_22_an_unparsable_path_parameter_answers_the_error_shape() {
    let app = crate::support::TestApp::new().await;
    let token = app.token("root").await;
    let (status, body) = app.get("/api/v1/organisations/abc", Some(&token)).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "request.invalid_path");
    assert_eq!(body["error"]["field"], "id");
}

/// Every analysis of one dataset (`…/datasets/{id}/…`) reads the dataset through one loader that
/// answers 422 `dataset.wrong_kind` for a dataset of the other kind (a survey asked for trade
/// growth): each documents that 422 (schemathesis found the growth chart did not).
#[test]
fn every_dataset_analysis_documents_the_wrong_kind_answer() {
    let doc = document();
    let mut problems = Vec::new();
    let mut analyses = 0;
    for (path, method, op) in operations(&doc) {
        let analysis = path.contains("/datasets/{id}/") && method == "get";
        if analysis {
            analyses += 1;
            if op["responses"].get("422").is_none() {
                problems.push(format!("{method} {path} does not document 422"));
            }
        }
    }
    assert!(analyses >= 10, "the trade and poverty analyses are found ({analyses})");
    check(problems);
}
