//! What a call and each page of an application must hold; each check reports the first problem
//! naming its field.

use std::collections::BTreeMap;

use caravan_store::scholarship::{
    Application, Call, CallSpec, DocumentMeta, PersonalPage, StudyPage,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{Invalid, invalid};

/// Checks a call spec; reports the first problem naming its field.
pub fn validate_spec(spec: &CallSpec) -> Result<(), Invalid> {
    for (field, text) in
        [("title.en", &spec.title.en), ("title.ru", &spec.title.ru), ("title.zh", &spec.title.zh)]
    {
        if text.trim().is_empty() || text.len() > 300 {
            return Err(invalid(field, "give a title of 1 to 300 characters"));
        }
    }
    if spec.countries.is_empty() {
        return Err(invalid("countries", "name at least one eligible country"));
    }
    if spec.levels.is_empty() || spec.levels.iter().any(|l| l.trim().is_empty()) {
        return Err(invalid("levels", "name at least one study level, e.g. master"));
    }
    if spec.review_deadline < spec.application_deadline {
        return Err(invalid(
            "review_deadline",
            "the review deadline must follow the application deadline",
        ));
    }
    if spec.max_choices == 0 || spec.max_choices > 20 {
        return Err(invalid("max_choices", "allow 1 to 20 choices"));
    }
    if spec.programmes.is_empty() {
        return Err(invalid("programmes", "list at least one programme"));
    }
    let mut ids = std::collections::HashSet::new();
    for (i, p) in spec.programmes.iter().enumerate() {
        if !ids.insert(p.id) {
            return Err(invalid(
                format!("programmes[{i}].id"),
                format!("programme id {} is used twice", p.id),
            ));
        }
        if p.name.trim().is_empty() || p.university.trim().is_empty() {
            return Err(invalid(
                format!("programmes[{i}].name"),
                "give the programme and university names",
            ));
        }
        if p.seats == 0 {
            return Err(invalid(
                format!("programmes[{i}].seats"),
                "a programme needs at least one seat",
            ));
        }
        if !p.quotas.is_empty() {
            if let Some(c) = p.quotas.keys().find(|c| !c.is_mechanism_member()) {
                return Err(invalid(
                    format!("programmes[{i}].quotas"),
                    format!("{c} is not one of CN, KZ, KG, TJ, TM, UZ"),
                ));
            }
            let sum: u64 = p.quotas.values().map(|&q| u64::from(q)).sum();
            if sum != u64::from(p.seats) {
                return Err(invalid(
                    format!("programmes[{i}].quotas"),
                    format!("quotas sum to {sum}, but the programme has {} seats", p.seats),
                ));
            }
        }
    }
    if spec.criteria.is_empty() {
        return Err(invalid("criteria", "give at least one review criterion"));
    }
    let mut keys = std::collections::HashSet::new();
    for (i, c) in spec.criteria.iter().enumerate() {
        if c.key.trim().is_empty() || !keys.insert(c.key.as_str()) {
            return Err(invalid(
                format!("criteria[{i}].key"),
                "give each criterion a distinct key",
            ));
        }
        if !(c.weight.is_finite() && c.weight > 0.0) {
            return Err(invalid(
                format!("criteria[{i}].weight"),
                "a weight must be a positive number",
            ));
        }
        if c.max_score == 0 || c.max_score > 1000 {
            return Err(invalid(
                format!("criteria[{i}].max_score"),
                "the highest score must be 1 to 1000",
            ));
        }
    }
    if spec.reviewers_per_application == 0 || spec.reviewers_per_application > 10 {
        return Err(invalid(
            "reviewers_per_application",
            "ask for 1 to 10 reviewers per application",
        ));
    }
    if !(spec.disagreement_threshold.is_finite() && spec.disagreement_threshold > 0.0) {
        return Err(invalid(
            "disagreement_threshold",
            "the threshold must be a positive number of standard deviations",
        ));
    }
    Ok(())
}

/// What is still missing before an application can be submitted: `personal`, `study`,
/// `choices` and `documents.{kind}` for each required document not uploaded.
pub fn missing_parts(app: &Application, call: &Call, docs: &[DocumentMeta]) -> Vec<String> {
    let mut missing = Vec::new();
    if app.body.personal.is_none() {
        missing.push("personal".to_owned());
    }
    if app.body.study.is_none() {
        missing.push("study".to_owned());
    }
    if app.body.choices.is_empty() {
        missing.push("choices".to_owned());
    }
    for kind in &call.spec.required_documents {
        if !docs.iter().any(|d| &d.kind == kind) {
            missing.push(format!("documents.{kind}"));
        }
    }
    missing
}

/// Checks a free text: not blank, at most `max` characters.
pub fn check_text(field: &str, text: &str, max: usize) -> Result<(), Invalid> {
    if text.trim().is_empty() || text.chars().count() > max {
        return Err(invalid(field, format!("fill in {field} (at most {max} characters)")));
    }
    Ok(())
}

/// Checks the personal page against the call (its levels).
pub fn check_personal(page: &PersonalPage, call: &Call) -> Result<(), Invalid> {
    check_text("full_name", &page.full_name, 200)?;
    check_text("email", &page.email, 200)?;
    if !page.email.contains('@') {
        return Err(invalid("email", "give an e-mail address like name@example.org"));
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    if time::Date::parse(&page.date_of_birth, &format).is_err() {
        return Err(invalid("date_of_birth", "give the date of birth as YYYY-MM-DD"));
    }
    if !call.spec.levels.contains(&page.level) {
        return Err(invalid(
            "level",
            format!("choose one of the call's levels: {}", call.spec.levels.join(", ")),
        ));
    }
    Ok(())
}

/// Checks the study page.
pub fn check_study(page: &StudyPage) -> Result<(), Invalid> {
    check_text("institution", &page.institution, 200)?;
    check_text("degree", &page.degree, 100)?;
    check_text("field", &page.field, 200)?;
    if !(1950..=2100).contains(&page.graduation_year) {
        return Err(invalid("graduation_year", "give a year between 1950 and 2100"));
    }
    Ok(())
}

/// Checks the ranked programme choices against the call.
pub fn check_choices(choices: &[u32], call: &Call) -> Result<(), Invalid> {
    if choices.is_empty() {
        return Err(invalid("choices", "rank at least one programme"));
    }
    if choices.len() > call.spec.max_choices as usize {
        return Err(invalid(
            "choices",
            format!("the call allows at most {} choices", call.spec.max_choices),
        ));
    }
    for (i, id) in choices.iter().enumerate() {
        if !call.spec.programmes.iter().any(|p| p.id == *id) {
            return Err(invalid(
                format!("choices[{i}]"),
                format!("the call has no programme {id}"),
            ));
        }
        if choices[..i].contains(id) {
            return Err(invalid(
                format!("choices[{i}]"),
                format!("programme {id} is ranked twice"),
            ));
        }
    }
    Ok(())
}

/// The ranked choices page.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct ChoicesPage {
    /// Programme ids, best first.
    pub choices: Vec<u32>,
}

/// Checks a review's scores: every criterion of the call, each within its range, no other key.
pub fn check_scores(scores: &BTreeMap<String, u32>, call: &Call) -> Result<(), Invalid> {
    for c in &call.spec.criteria {
        match scores.get(&c.key) {
            None => {
                return Err(invalid(
                    format!("scores.{}", c.key),
                    format!("score {} from 0 to {}", c.name, c.max_score),
                ));
            }
            Some(&s) if s > c.max_score => {
                return Err(invalid(
                    format!("scores.{}", c.key),
                    format!("{} is scored from 0 to {}, got {s}", c.name, c.max_score),
                ));
            }
            Some(_) => {}
        }
    }
    if let Some(extra) = scores.keys().find(|k| !call.spec.criteria.iter().any(|c| &c.key == *k)) {
        return Err(invalid(
            format!("scores.{extra}"),
            format!("the call has no criterion {extra}"),
        ));
    }
    Ok(())
}
