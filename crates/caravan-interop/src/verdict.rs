//! The verdict on a document of another system: each check `valid`, `invalid` (with the
//! reason) or `not_checked` (with why), and the overall status, the shape of our own reports.

use serde_json::{Value, json};

/// How one check came out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It ran and passed; the text says what was established.
    Valid(String),
    /// It ran and failed; the text is the reason.
    Invalid(String),
    /// It could not run offline (or an earlier check failed); the text says why.
    NotChecked(String),
}

/// One check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// Stable machine name (`integrity`, `signature`, `identity`, `issuance`, `revocation`, ...).
    pub name: String,
    /// What came out.
    pub outcome: Outcome,
}

/// The overall status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Every check ran and passed.
    Valid,
    /// Some check failed.
    Invalid,
    /// Nothing failed, integrity holds, but some check could not run offline.
    IncompleteOffline,
}

impl Status {
    /// Stable machine name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Valid => "valid",
            Self::Invalid => "invalid",
            Self::IncompleteOffline => "not_checked",
        }
    }
}

/// The verdict on one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The format the document was read as (see [`crate::detect::Format::as_str`]).
    pub format: String,
    /// The document's identifier, when it has one.
    pub document_id: Option<String>,
    /// The issuer as the document names it.
    pub issuer: Option<String>,
    /// Every check, in the order it ran.
    pub checks: Vec<Check>,
}

impl Verdict {
    /// An empty verdict on a document of `format`.
    pub fn new(format: &str) -> Self {
        Self { format: format.to_owned(), document_id: None, issuer: None, checks: Vec::new() }
    }

    /// The verdict on a document of `format` that could not be read: its `well-formed` check
    /// failed with `reason`, and nothing else could run.
    pub fn unreadable(format: &str, reason: impl Into<String>) -> Self {
        let mut verdict = Self::new(format);
        verdict.invalid("well-formed", reason);
        verdict
    }

    /// Adds a passed check.
    pub fn valid(&mut self, name: &str, detail: impl Into<String>) {
        self.push(name, Outcome::Valid(detail.into()));
    }

    /// Adds a failed check.
    pub fn invalid(&mut self, name: &str, reason: impl Into<String>) {
        self.push(name, Outcome::Invalid(reason.into()));
    }

    /// Adds a check that could not run.
    pub fn not_checked(&mut self, name: &str, why: impl Into<String>) {
        self.push(name, Outcome::NotChecked(why.into()));
    }

    fn push(&mut self, name: &str, outcome: Outcome) {
        self.checks.push(Check { name: name.to_owned(), outcome });
    }

    /// The check named `name`, the first of that name.
    pub fn check(&self, name: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.name == name)
    }

    /// Invalid when any check failed; valid when every check passed; otherwise some check
    /// could not run offline.
    pub fn status(&self) -> Status {
        if self.checks.is_empty()
            || self.checks.iter().any(|c| matches!(c.outcome, Outcome::Invalid(_)))
        {
            Status::Invalid
        } else if self.checks.iter().all(|c| matches!(c.outcome, Outcome::Valid(_))) {
            Status::Valid
        } else {
            Status::IncompleteOffline
        }
    }

    /// The first failed check.
    pub fn first_failure(&self) -> Option<&Check> {
        self.checks.iter().find(|c| matches!(c.outcome, Outcome::Invalid(_)))
    }

    /// The verdict as JSON: `{format, status, documentId, issuer, failedCheck, checks: [{name,
    /// status, detail | reason | why}]}`.
    pub fn to_json(&self) -> Value {
        let checks: Vec<Value> = self
            .checks
            .iter()
            .map(|c| match &c.outcome {
                Outcome::Valid(detail) => {
                    json!({"name": c.name, "status": "valid", "detail": detail})
                }
                Outcome::Invalid(reason) => {
                    json!({"name": c.name, "status": "invalid", "reason": reason})
                }
                Outcome::NotChecked(why) => {
                    json!({"name": c.name, "status": "not_checked", "why": why})
                }
            })
            .collect();
        json!({
            "format": self.format,
            "status": self.status().as_str(),
            "documentId": self.document_id,
            "issuer": self.issuer,
            "failedCheck": self.first_failure().map(|c| c.name.as_str()),
            "checks": checks,
        })
    }

    /// One line per check, for a terminal.
    pub fn to_text(&self) -> String {
        let status = match self.status() {
            Status::Valid => "VALID",
            Status::Invalid => "INVALID",
            Status::IncompleteOffline => "NOT FULLY CHECKED OFFLINE",
        };
        let mut res = format!("{status} ({})", self.format);
        if let Some(id) = &self.document_id {
            res.push_str(&format!(" {id}"));
        }
        res.push('\n');
        for check in &self.checks {
            let (mark, text) = match &check.outcome {
                Outcome::Valid(t) => ("ok  ", t),
                Outcome::Invalid(t) => ("FAIL", t),
                Outcome::NotChecked(t) => ("--  ", t),
            };
            res.push_str(&format!("  [{mark}] {}: {text}\n", check.name));
        }
        res
    }
}
