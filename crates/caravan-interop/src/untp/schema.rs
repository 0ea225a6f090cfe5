//! UNTP credentials against UNTP's published JSON Schemas (draft 2020-12): which schema a
//! credential answers to (its UNTP type and the version its context names), and the check.
//!
//! The schemas are values handed in, never fetched and never built into the binary: UNTP
//! publishes them under GPL-3.0 (`test.uncefact.org/vocabulary/untp/<kind>/untp-<kind>-schema-<version>.json`),
//! so an officer keeps the files beside the verifier and the shell reads them (`caravan cert
//! verify --untp-schemas DIR`). The file name says which credential each one is for.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

use crate::verdict::{Verdict, Why};

/// UNTP's credential types and the short name of each in its context URLs and schema files.
const KINDS: [(&str, &str); 5] = [
    ("DigitalConformityCredential", "dcc"),
    ("DigitalProductPassport", "dpp"),
    ("DigitalFacilityRecord", "dfr"),
    ("DigitalTraceabilityEvent", "dte"),
    ("DigitalIdentityAnchor", "dia"),
];
/// The most schema errors a reason lists; the count says how many there were.
const MAX_LISTED_ERRORS: usize = 10;
/// The longest message of one schema error (a message may quote a whole object).
const MAX_MESSAGE_CHARS: usize = 240;

/// Which schema a credential answers to: UNTP kind (`dcc`, `dpp`, ...) and version.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SchemaKey {
    /// `dcc`, `dpp`, `dfr`, `dte` or `dia`.
    pub kind: String,
    /// The version its context URL names, as `0.5.0`.
    pub version: String,
}

impl SchemaKey {
    /// The file name UNTP publishes this schema under.
    pub fn file_name(&self) -> String {
        format!("untp-{}-schema-{}.json", self.kind, self.version)
    }

    /// The key of a schema file named as UNTP publishes it: `untp-<kind>-schema-<version>.json`.
    pub fn from_file_name(name: &str) -> Option<Self> {
        let rest = name.strip_prefix("untp-")?.strip_suffix(".json")?;
        let (kind, version) = rest.split_once("-schema-")?;
        let known = KINDS.iter().any(|(_, short)| *short == kind);
        let plausible = !version.is_empty()
            && version.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
        (known && plausible).then(|| Self { kind: kind.to_owned(), version: version.to_owned() })
    }

    /// The schema `credential` answers to: its UNTP type, and the version of that type's
    /// context (`https://test.uncefact.org/vocabulary/untp/<kind>/<version>/`).
    pub fn of_credential(credential: &Value) -> Option<Self> {
        let types = texts(credential.get("type"));
        let (_, kind) = KINDS.iter().find(|(name, _)| types.contains(name))?;
        let contexts = texts(credential.get("@context"));
        let marker = format!("/vocabulary/untp/{kind}/");
        let version = contexts.iter().find_map(|context| {
            let (_, rest) = context.split_once(&marker)?;
            let version = rest.split('/').next()?;
            (!version.is_empty()).then_some(version)
        })?;
        Some(Self { kind: (*kind).to_owned(), version: version.to_owned() })
    }
}

/// The text values of a JSON-LD member that is one string or an array of them.
fn texts(member: Option<&Value>) -> Vec<&str> {
    match member {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        Some(Value::String(one)) => vec![one.as_str()],
        _ => Vec::new(),
    }
}

impl fmt::Display for SchemaKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind, self.version)
    }
}

/// Why a schema file was not taken.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// The name does not say which credential the schema is for.
    #[error(
        "{0}: a UNTP schema file is named untp-<dcc|dpp|dfr|dte|dia>-schema-<version>.json, as UNTP publishes it"
    )]
    FileName(String),
    /// The file is not JSON.
    #[error("{file}: not JSON: {reason}")]
    NotJson {
        /// The file name.
        file: String,
        /// The parser's reason.
        reason: String,
    },
    /// No file of the set is a UNTP schema.
    #[error("no UNTP JSON Schema (untp-<kind>-schema-<version>.json) among the files given")]
    NoSchema,
    /// Not a JSON Schema the validator accepts.
    #[error("{file}: not a usable JSON Schema: {reason}")]
    Invalid {
        /// The file name.
        file: String,
        /// The validator's reason.
        reason: String,
    },
}

/// The UNTP JSON Schemas at hand, compiled, by the credential they are for.
#[derive(Default)]
pub struct UntpSchemas {
    validators: BTreeMap<SchemaKey, jsonschema::Validator>,
}

impl fmt::Debug for UntpSchemas {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.validators.keys().map(SchemaKey::file_name)).finish()
    }
}

impl UntpSchemas {
    /// Takes the schema `schema` from the file `file_name` (its name as UNTP publishes it).
    ///
    /// # Errors
    /// The name says no UNTP credential, or the schema does not compile. Formats (`date-time`,
    /// `uri`, ...) are asserted, as UNTP's own playground does; unknown ones are ignored.
    pub fn insert(&mut self, file_name: &str, schema: &Value) -> Result<(), SchemaError> {
        let key = SchemaKey::from_file_name(file_name)
            .ok_or_else(|| SchemaError::FileName(file_name.to_owned()))?;
        let validator = jsonschema::draft202012::options()
            .should_validate_formats(true)
            .build(schema)
            .map_err(|err| SchemaError::Invalid {
                file: file_name.to_owned(),
                reason: bounded(&err.to_string()),
            })?;
        self.validators.insert(key, validator);
        Ok(())
    }

    /// The schemas of a folder's `*.json` files, given as (file name, contents), in name order:
    /// the one loader of the shells (`caravan cert verify --untp-schemas`, `caravan serve
    /// --untp-schemas`), which only read the folder. Other files are not looked at.
    ///
    /// # Errors
    /// The first file that is not JSON, not named as UNTP publishes its schemas, or not a
    /// usable schema, named; or no schema at all ([`SchemaError::NoSchema`]).
    pub fn from_files<N: AsRef<str>, B: AsRef<[u8]>>(
        files: impl IntoIterator<Item = (N, B)>,
    ) -> Result<Self, SchemaError> {
        let mut files: Vec<(N, B)> =
            files.into_iter().filter(|(name, _)| name.as_ref().ends_with(".json")).collect();
        files.sort_by(|a, b| a.0.as_ref().cmp(b.0.as_ref()));
        let mut schemas = Self::default();
        for (name, bytes) in &files {
            let name = name.as_ref();
            let schema: Value = serde_json::from_slice(bytes.as_ref()).map_err(|err| {
                SchemaError::NotJson { file: name.to_owned(), reason: err.to_string() }
            })?;
            schemas.insert(name, &schema)?;
        }
        if schemas.is_empty() {
            return Err(SchemaError::NoSchema);
        }
        Ok(schemas)
    }

    /// Whether no schema is at hand.
    pub fn is_empty(&self) -> bool {
        self.validators.is_empty()
    }

    /// The schemas at hand, by file name.
    pub fn file_names(&self) -> Vec<String> {
        self.validators.keys().map(SchemaKey::file_name).collect()
    }
}

/// Adds the `schema` check: `credential` against the schema of its type and version.
pub(crate) fn check_schema(verdict: &mut Verdict, credential: &Value, schemas: &UntpSchemas) {
    let Some(key) = SchemaKey::of_credential(credential) else {
        verdict.not_checked_why("schema", Why::UntpNoSchemaApplies, &[]);
        return;
    };
    let file = key.file_name();
    let Some(validator) = schemas.validators.get(&key) else {
        if schemas.is_empty() {
            verdict.not_checked_why("schema", Why::UntpNoSchemasLoaded, &[&file]);
        } else {
            let loaded = schemas.file_names().join(", ");
            verdict.not_checked_why("schema", Why::UntpSchemaNotLoaded, &[&file, &loaded]);
        }
        return;
    };
    let mut n_errors = 0usize;
    let mut listed = Vec::new();
    for error in validator.iter_errors(credential) {
        n_errors += 1;
        if listed.len() < MAX_LISTED_ERRORS {
            let pointer = error.instance_path().as_str().to_owned();
            let at = if pointer.is_empty() { "\"\" (the credential)".to_owned() } else { pointer };
            listed.push(format!("at {at}: {}", bounded(&error.to_string())));
        }
    }
    if n_errors == 0 {
        verdict.valid_why("schema", Why::UntpConforms, &[&file]);
    } else {
        let more = if n_errors > listed.len() {
            format!("; and {} more", n_errors - listed.len())
        } else {
            String::new()
        };
        verdict.invalid(
            "schema",
            format!("{n_errors} error(s) against {file}: {}{more}", listed.join("; ")),
        );
    }
}

/// `text` cut to [`MAX_MESSAGE_CHARS`] characters, marked when cut.
fn bounded(text: &str) -> String {
    match text.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
pub(crate) mod tests;
