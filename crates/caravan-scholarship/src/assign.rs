//! Who reviews what: conflicts of interest and the assignment of endorsed applications to
//! reviewers, least-loaded reviewer first.

use std::collections::HashMap;

use caravan_store::scholarship::{Application, Call, Review};
use caravan_store::{Organisation, User};
use serde::Serialize;
use utoipa::ToSchema;

use crate::Ranking;

/// Whether `reviewer` (with their organisation) has a conflict of interest with `app`: they are
/// the applicant, they belong to the applicant's organisation or to the institution the
/// applicant studies at, or — when the call says so — to the applicant's country.
pub fn has_conflict(
    reviewer: &User,
    reviewer_org: &Organisation,
    applicant_org: i64,
    app: &Application,
    call: &Call,
) -> bool {
    let same_institution =
        reviewer_org.id == applicant_org
            || app.body.study.as_ref().is_some_and(|s| {
                s.institution.trim().eq_ignore_ascii_case(reviewer_org.name.trim())
            });
    let same_country = call.spec.conflict_same_country && reviewer_org.country == app.country;
    reviewer.id == app.applicant_id || same_institution || same_country
}

/// An active reviewer with their organisation.
#[derive(Debug, Clone, Copy)]
pub struct Reviewer<'a> {
    pub user: &'a User,
    pub org: &'a Organisation,
}

/// An application that still lacks reviewers after an assignment run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ShortOfReviewers {
    pub application_id: i64,
    pub needed: u32,
    pub have: u32,
}

/// The reviews to assign, in order, and the applications left short.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssignmentPlan {
    /// (application id, reviewer id), in the order they are to be made.
    pub assign: Vec<(i64, i64)>,
    pub short: Vec<ShortOfReviewers>,
}

/// Plans the assignment of `apps` (the endorsed applications, in order) to `reviewers`: each
/// application needs the call's reviewers per application, one more when the ranking flags it
/// for disagreement; reviewers it already has count; a reviewer with a conflict of interest
/// ([`has_conflict`]) never reviews it; among the others the least loaded comes first (reviews
/// already held plus those planned before), ties by smaller user id. `applicant_org` gives each
/// applicant's organisation (0 when unknown).
pub fn plan_assignments(
    call: &Call,
    apps: &[Application],
    reviews: &[Review],
    ranking: &Ranking,
    reviewers: &[Reviewer<'_>],
    applicant_org: &HashMap<i64, i64>,
) -> AssignmentPlan {
    let mut load: HashMap<i64, usize> = HashMap::new();
    for r in reviews {
        *load.entry(r.reviewer_id).or_default() += 1;
    }
    let mut plan = AssignmentPlan::default();
    for app in apps {
        let flagged = ranking.rows.iter().any(|r| r.application_id == app.id && r.flagged);
        let needed = call.spec.reviewers_per_application + u32::from(flagged);
        let mine: Vec<i64> =
            reviews.iter().filter(|r| r.application_id == app.id).map(|r| r.reviewer_id).collect();
        let mut have = mine.len() as u32;
        let org_of_applicant = applicant_org.get(&app.applicant_id).copied().unwrap_or(0);
        let mut candidates: Vec<&Reviewer<'_>> = reviewers
            .iter()
            .filter(|r| !mine.contains(&r.user.id))
            .filter(|r| !has_conflict(r.user, r.org, org_of_applicant, app, call))
            .collect();
        candidates.sort_by_key(|r| (load.get(&r.user.id).copied().unwrap_or(0), r.user.id));
        for reviewer in candidates {
            if have >= needed {
                break;
            }
            plan.assign.push((app.id, reviewer.user.id));
            *load.entry(reviewer.user.id).or_default() += 1;
            have += 1;
        }
        if have < needed {
            plan.short.push(ShortOfReviewers { application_id: app.id, needed, have });
        }
    }
    plan
}
