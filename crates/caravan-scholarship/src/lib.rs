//! The rules of a scholarship programme of the education exchange center, as pure functions over
//! the programme's records (`caravan_store::scholarship`): what a call and each page of an
//! application must hold, which reviewers have a conflict of interest, who reviews what, how
//! reviewers' scores become one ranking (z-scores per reviewer, the disagreement rule, the tie
//! order), how the ranked applicants are placed (`caravan-matching`), and what each applicant is
//! told about their result. The server stores and serves; the rules live here.
//!
//! Records in, values out: nothing here reads the clock, a file or the network.

mod assign;
mod place;
mod rank;
mod result;
mod validate;

#[cfg(test)]
mod tests;

pub use assign::{AssignmentPlan, Reviewer, ShortOfReviewers, has_conflict, plan_assignments};
pub use place::{
    PlaceRequest, PlacedApplicant, PlacementResult, PoolCutoff, lottery, parse_mechanism,
    run_placement,
};
pub use rank::{NORMALISATION_METHOD, RankRow, Ranking, rank, weighted_total};
pub use result::{ChoiceOutcome, ResultView, result_of};
pub use validate::{
    ChoicesPage, check_choices, check_personal, check_scores, check_study, check_text,
    missing_parts, validate_spec,
};

/// Input that breaks a rule: the field (a JSON path such as `programmes[2].seats`) and what to
/// do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Invalid {
    pub field: String,
    pub message: String,
}

pub(crate) fn invalid(field: impl Into<String>, message: impl Into<String>) -> Invalid {
    Invalid { field: field.into(), message: message.into() }
}
