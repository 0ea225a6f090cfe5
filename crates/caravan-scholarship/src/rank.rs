//! Reviewers' scores into one ranking: weighted totals, z-scores within each reviewer, the mean
//! z per application, the disagreement flag and the tie order (see [`NORMALISATION_METHOD`]).

use std::collections::{BTreeMap, HashMap};

use caravan_store::scholarship::{Application, Call, Review};
use serde::Serialize;
use utoipa::ToSchema;

/// How scores become one ranking; shown to administrators with the numbers.
pub const NORMALISATION_METHOD: &str = "Each review's total is the weighted sum of its criterion scores, each divided by the criterion's highest score (so 0..sum of weights). Within each reviewer, totals become z-scores: (total - the reviewer's mean) / the reviewer's population standard deviation; a reviewer with one review or no spread gives z = 0. An application's score is the mean z of its reviews. When two of its reviews' z differ by more than the call's threshold, it is flagged for a third review. The final priority ranks applications by score, higher first, ties by smaller application id.";

/// One application's normalised score.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RankRow {
    pub application_id: i64,
    /// 1-based rank; `None` until it has a submitted review.
    pub rank: Option<usize>,
    pub reviews: usize,
    pub totals: Vec<f64>,
    pub z_scores: Vec<f64>,
    pub score: Option<f64>,
    /// Spread of z-scores beyond the call's threshold: a third review is needed.
    pub flagged: bool,
}

/// The ranking of a call's endorsed applications.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Ranking {
    pub method: String,
    pub rows: Vec<RankRow>,
}

/// Weighted total of one review, each criterion scaled to 0..weight.
pub fn weighted_total(call: &Call, scores: &BTreeMap<String, u32>) -> f64 {
    call.spec
        .criteria
        .iter()
        .map(|c| {
            c.weight * f64::from(scores.get(&c.key).copied().unwrap_or(0))
                / f64::from(c.max_score.max(1))
        })
        .sum()
}

/// Normalises and ranks (see [`NORMALISATION_METHOD`]).
pub fn rank(call: &Call, apps: &[Application], reviews: &[Review]) -> Ranking {
    let submitted: Vec<(&Review, f64)> = reviews
        .iter()
        .filter(|r| apps.iter().any(|a| a.id == r.application_id))
        .filter_map(|r| r.scores.as_ref().map(|s| (r, weighted_total(call, s))))
        .collect();
    let mut by_reviewer: HashMap<i64, Vec<f64>> = HashMap::new();
    for (r, total) in &submitted {
        by_reviewer.entry(r.reviewer_id).or_default().push(*total);
    }
    let stats: HashMap<i64, (f64, f64)> = by_reviewer
        .into_iter()
        .map(|(id, totals)| {
            let n = totals.len() as f64;
            let mean = totals.iter().sum::<f64>() / n;
            let var = totals.iter().map(|t| (t - mean).powi(2)).sum::<f64>() / n;
            (id, (mean, var.sqrt()))
        })
        .collect();
    let mut rows: Vec<RankRow> = apps
        .iter()
        .map(|app| {
            let mine: Vec<&(&Review, f64)> =
                submitted.iter().filter(|(r, _)| r.application_id == app.id).collect();
            let totals: Vec<f64> = mine.iter().map(|(_, t)| *t).collect();
            let z_scores: Vec<f64> = mine
                .iter()
                .map(|(r, t)| match stats.get(&r.reviewer_id) {
                    Some(&(mean, sd)) if sd > 1e-12 => (t - mean) / sd,
                    _ => 0.0,
                })
                .collect();
            let score = (!z_scores.is_empty())
                .then(|| z_scores.iter().sum::<f64>() / z_scores.len() as f64);
            let spread = z_scores.iter().cloned().fold(f64::NEG_INFINITY, f64::max)
                - z_scores.iter().cloned().fold(f64::INFINITY, f64::min);
            let flagged = z_scores.len() >= 2 && spread > call.spec.disagreement_threshold;
            RankRow {
                application_id: app.id,
                rank: None,
                reviews: mine.len(),
                totals,
                z_scores,
                score,
                flagged,
            }
        })
        .collect();
    rows.sort_by(|a, b| match (a.score, b.score) {
        (Some(x), Some(y)) => y.total_cmp(&x).then(a.application_id.cmp(&b.application_id)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.application_id.cmp(&b.application_id),
    });
    for (i, row) in rows.iter_mut().enumerate() {
        if row.score.is_some() {
            row.rank = Some(i + 1);
        }
    }
    Ranking { method: NORMALISATION_METHOD.to_owned(), rows }
}
