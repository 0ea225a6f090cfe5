//! The published JSON Schema (`data/customs/declaration.schema.json`) and the Rust types agree:
//! every sample and every serialised checked declaration conforms to it, and the schema's
//! property names are exactly the validator's dictionary.
//!
//! The checker is a small structural subset of JSON Schema 2020-12 (`type`, `required`,
//! `properties`, `additionalProperties: false`, `items`, `enum`, `minItems`/`maxItems`,
//! `minLength`/`maxLength`, `minimum`/`maximum`, local `$ref`), enough for this schema;
//! `pattern` is checked by the validator's own rules, not here.

use std::collections::BTreeSet;

use caravan_customs::validate::dictionary_fields;
use caravan_customs::validate_json;
use serde_json::Value;

use crate::fixture::{Fixture, customs_dir, samples};

fn schema() -> Value {
    let text = std::fs::read_to_string(customs_dir().join("declaration.schema.json"))
        .expect("schema present");
    serde_json::from_str(&text).expect("schema is JSON")
}

fn resolve<'s>(root: &'s Value, node: &'s Value) -> &'s Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let name = reference.strip_prefix("#/$defs/").expect("local $ref only");
            &root["$defs"][name]
        }
        None => node,
    }
}

fn type_matches(expected: &str, value: &Value) -> bool {
    match expected {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "number" => value.is_number(),
        "integer" => value.is_u64() || value.is_i64(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        other => panic!("schema type {other} not supported by the checker"),
    }
}

/// Structural conformance; returns the paths that do not conform.
fn conform(root: &Value, node: &Value, value: &Value, path: &str, problems: &mut Vec<String>) {
    let node = resolve(root, node);
    if let Some(expected) = node.get("type") {
        let ok = match expected {
            Value::String(one) => type_matches(one, value),
            Value::Array(any) => {
                any.iter().filter_map(Value::as_str).any(|one| type_matches(one, value))
            }
            _ => false,
        };
        if !ok {
            problems.push(format!("{path}: type {expected}"));
            return;
        }
    }
    if let Some(Value::Array(options)) = node.get("enum")
        && !options.contains(value)
    {
        problems.push(format!("{path}: not in enum"));
    }
    if let Value::String(text) = value {
        let n_chars = text.chars().count() as u64;
        if node.get("minLength").and_then(Value::as_u64).is_some_and(|min| n_chars < min)
            || node.get("maxLength").and_then(Value::as_u64).is_some_and(|max| n_chars > max)
        {
            problems.push(format!("{path}: length"));
        }
    }
    if let Some(number) = value.as_f64()
        && (node.get("minimum").and_then(Value::as_f64).is_some_and(|min| number < min)
            || node.get("maximum").and_then(Value::as_f64).is_some_and(|max| number > max))
    {
        problems.push(format!("{path}: range"));
    }
    if let Value::Array(entries) = value {
        let n = entries.len() as u64;
        if node.get("minItems").and_then(Value::as_u64).is_some_and(|min| n < min)
            || node.get("maxItems").and_then(Value::as_u64).is_some_and(|max| n > max)
        {
            problems.push(format!("{path}: item count"));
        }
        if let Some(items) = node.get("items") {
            for (idx, entry) in entries.iter().enumerate() {
                conform(root, items, entry, &format!("{path}[{idx}]"), problems);
            }
        }
    }
    if let Value::Object(map) = value {
        let properties = node.get("properties").and_then(Value::as_object);
        for required in node.get("required").and_then(Value::as_array).into_iter().flatten() {
            let key = required.as_str().expect("required lists names");
            if !map.contains_key(key) {
                problems.push(format!("{path}.{key}: required"));
            }
        }
        for (key, child) in map {
            match properties.and_then(|props| props.get(key)) {
                Some(child_schema) => {
                    conform(root, child_schema, child, &format!("{path}.{key}"), problems)
                }
                None if node.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    problems.push(format!("{path}.{key}: additional property"));
                }
                None => {}
            }
        }
    }
}

fn problems(value: &Value) -> Vec<String> {
    let root = schema();
    let mut problems = Vec::new();
    conform(&root, &root, value, "$", &mut problems);
    problems
}

#[test]
fn samples_and_serialised_declarations_conform_to_the_schema() {
    let fixture = Fixture::load();
    for (name, text) in samples() {
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(problems(&value), Vec::<String>::new(), "{name}");
        let declaration = validate_json(&text, &fixture.context()).unwrap();
        let serialised = serde_json::to_value(&declaration).unwrap();
        assert_eq!(problems(&serialised), Vec::<String>::new(), "{name} after serde");
    }
}

#[test]
fn schema_checker_rejects_what_it_should() {
    // The checker itself must be able to fail, or the test above proves nothing.
    let (_, text) = samples().remove(0);
    let mut value: Value = serde_json::from_str(&text).unwrap();
    value["colour"] = Value::from("red");
    value["items"][0]["packages"]["count"] = Value::from("ten");
    value.as_object_mut().unwrap().remove("office");
    let mut found = problems(&value);
    found.sort();
    assert_eq!(
        found,
        [
            "$.colour: additional property",
            "$.items[0].packages.count: type \"integer\"",
            "$.office: required"
        ]
    );
}

#[test]
fn schema_properties_are_the_dictionary() {
    let root = schema();
    for (object, fields) in dictionary_fields() {
        let node = if object == "declaration" { &root } else { &root["$defs"][object] };
        let in_schema: BTreeSet<&str> = node["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("{object}"))
            .keys()
            .map(String::as_str)
            .collect();
        let in_code: BTreeSet<&str> = fields.iter().copied().collect();
        assert_eq!(in_schema, in_code, "{object}");
    }
}

#[test]
fn dictionary_documents_every_field() {
    let dictionary = std::fs::read_to_string(customs_dir().join("DICTIONARY.md")).unwrap();
    for (object, fields) in dictionary_fields() {
        for field in fields {
            assert!(
                dictionary.contains(&format!("`{field}`")),
                "DICTIONARY.md lacks {object}.{field}"
            );
        }
    }
}
