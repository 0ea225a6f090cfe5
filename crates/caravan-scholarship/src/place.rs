//! Placing the ranked applicants with a `caravan-matching` mechanism, with the stability audit.

use caravan_matching::{
    CallLimits, Instance, Mechanism, PriorityRule, ProgrammeSpec, QUOTA_COUNTRIES, StudentTable,
    TieBreak,
};
use caravan_store::scholarship::{Application, Call};
use caravan_types::CountryCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{Invalid, RankRow, Ranking, invalid};

/// How to place.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PlaceRequest {
    /// `da` (default), `da-programme`, `ia`, `parallel`, `ttc`, `serial`.
    pub mechanism: Option<String>,
    /// Band size `e` of the parallel mechanism (default 2).
    pub band: Option<usize>,
    /// Width of a priority class in rank points (default 1: the ranking as it is).
    pub score_band: Option<u32>,
    /// `student_id` (default: smaller application id first) or `lottery` (single lottery).
    pub tie_break: Option<String>,
    /// Seed of the lottery.
    pub seed: Option<u64>,
}

/// A placed (or unplaced) applicant.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PlacedApplicant {
    pub application_id: i64,
    #[schema(value_type = String)]
    pub country: CountryCode,
    /// Priority score given to every programme: higher is better (derived from the rank).
    pub score: u32,
    pub choices: Vec<u32>,
    pub programme_id: Option<u32>,
    /// 1-based position of the programme in the applicant's list.
    pub choice_rank: Option<usize>,
}

/// The cutoff of one seat pool.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PoolCutoff {
    pub programme_id: u32,
    #[schema(value_type = Option<String>)]
    pub country: Option<CountryCode>,
    pub seats: u32,
    pub placed: u32,
    /// Score of the last admitted applicant.
    pub last_admitted_score: Option<u32>,
    /// Full: an applicant below the last admitted score was turned away.
    pub full: bool,
}

/// A placement's result with its audit.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PlacementResult {
    pub mechanism: String,
    pub tie_break: String,
    pub applicants: Vec<PlacedApplicant>,
    pub cutoffs: Vec<PoolCutoff>,
    /// Stability audit: (application id, programme id) pairs that would both rather be matched.
    pub blocking_pairs: Vec<(i64, u32)>,
    /// Capacity and quota problems (none expected).
    pub violations: Vec<String>,
    /// How many got their 1st, 2nd, … choice.
    pub rank_histogram: Vec<usize>,
    pub unplaced: usize,
    pub summary: String,
}

/// The mechanism named `name` (`da`, `da-programme`, `ia`, `parallel`, `ttc`, `serial`).
///
/// # Errors
/// An unknown name, on the field `mechanism`.
pub fn parse_mechanism(name: &str, band: Option<usize>) -> Result<Mechanism, Invalid> {
    Ok(match name {
        "da" => Mechanism::StudentProposingDa,
        "da-programme" => Mechanism::ProgrammeProposingDa,
        "ia" => Mechanism::ImmediateAcceptance,
        "parallel" => Mechanism::Parallel { band: band.unwrap_or(2).max(1) },
        "ttc" => Mechanism::TopTradingCycles,
        "serial" => Mechanism::SerialDictatorship,
        other => {
            return Err(invalid(
                "mechanism",
                format!(
                    "unknown mechanism {other:?}; use da, da-programme, ia, parallel, ttc or serial"
                ),
            ));
        }
    })
}

/// A lottery number per applicant from a seed (SplitMix64, Steele et al. 2014).
pub fn lottery(seed: u64, n: usize) -> Vec<u64> {
    let mut state = seed;
    (0..n)
        .map(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        })
        .collect()
}

/// Runs the placement of `call` on the ranking (pure: records in, result out).
///
/// # Errors
/// Bad request fields, or an instance `caravan-matching` rejects.
pub fn run_placement(
    call: &Call,
    apps: &[Application],
    ranking: &Ranking,
    req: &PlaceRequest,
) -> Result<PlacementResult, Invalid> {
    let mechanism_name = req.mechanism.clone().unwrap_or_else(|| "da".to_owned());
    let mechanism = parse_mechanism(&mechanism_name, req.band)?;
    let ranked: Vec<&RankRow> = ranking.rows.iter().filter(|r| r.rank.is_some()).collect();
    let n = ranked.len();
    let mut students = StudentTable::with_capacity(n, n * call.spec.max_choices as usize);
    let mut applicants = Vec::with_capacity(n);
    for row in &ranked {
        let Some(app) = apps.iter().find(|a| a.id == row.application_id) else { continue };
        let score = (n - row.rank.unwrap_or(n)) as u32 + 1;
        let choices: Vec<(usize, i64)> = app
            .body
            .choices
            .iter()
            .filter_map(|id| call.spec.programmes.iter().position(|p| p.id == *id))
            .map(|p| (p, i64::from(score)))
            .collect();
        students.push(app.id as u64, app.country, choices);
        applicants.push(PlacedApplicant {
            application_id: app.id,
            country: app.country,
            score,
            choices: app.body.choices.clone(),
            programme_id: None,
            choice_rank: None,
        });
    }
    let programmes: Vec<ProgrammeSpec> = call
        .spec
        .programmes
        .iter()
        .map(|p| ProgrammeSpec {
            capacity: p.seats,
            quotas: (!p.quotas.is_empty()).then(|| {
                QUOTA_COUNTRIES.map(|c| {
                    CountryCode::parse(c).ok().and_then(|c| p.quotas.get(&c).copied()).unwrap_or(0)
                })
            }),
        })
        .collect();
    let tie_name = req.tie_break.clone().unwrap_or_else(|| "student_id".to_owned());
    let tie_break = match tie_name.as_str() {
        "student_id" => TieBreak::StudentId,
        "lottery" => TieBreak::Single(lottery(req.seed.unwrap_or(0), applicants.len())),
        other => {
            return Err(invalid(
                "tie_break",
                format!("unknown tie-break {other:?}; use student_id or lottery"),
            ));
        }
    };
    let score_band = req.score_band.unwrap_or(1);
    if score_band == 0 {
        return Err(invalid("score_band", "the score band must be at least 1"));
    }
    let rule = PriorityRule { score_band, tie_break };
    let limits = CallLimits { max_choices: Some(call.spec.max_choices as usize) };
    let instance = Instance::new(&students, &programmes, &rule, limits).map_err(|errors| {
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        invalid("ranking", format!("the placement input is invalid: {}", text.join("; ")))
    })?;
    let matching = caravan_matching::place(&instance, mechanism);
    for (s, applicant) in applicants.iter_mut().enumerate() {
        if let Some(p) = matching.programme(&instance, s) {
            applicant.programme_id = call.spec.programmes.get(p).map(|p| p.id);
            applicant.choice_rank = matching.choice(s).map(|c| c + 1);
        }
    }
    let pid = |p: usize| call.spec.programmes.get(p).map_or(0, |p| p.id);
    let cutoffs = caravan_matching::audit::cutoffs(&instance, &matching)
        .into_iter()
        .map(|c| PoolCutoff {
            programme_id: pid(c.programme),
            country: c.country,
            seats: c.seats,
            placed: c.placed,
            last_admitted_score: c.last_admitted.map(|(_, s)| s),
            full: c.is_binding(),
        })
        .collect();
    let blocking_pairs = caravan_matching::audit::blocking_pairs(&instance, &matching)
        .into_iter()
        .map(|b| (applicants.get(b.student).map_or(0, |a| a.application_id), pid(b.programme)))
        .collect();
    let violations = caravan_matching::audit::feasibility(&instance, &matching)
        .iter()
        .map(|v| format!("{v:?}"))
        .collect();
    let histogram = caravan_matching::audit::rank_histogram(&instance, &matching);
    let placed = matching.n_matched();
    Ok(PlacementResult {
        summary: format!(
            "{placed} of {} ranked applicants placed by {mechanism_name}",
            applicants.len()
        ),
        mechanism: mechanism_name,
        tie_break: tie_name,
        applicants,
        cutoffs,
        blocking_pairs,
        violations,
        rank_histogram: histogram.by_rank,
        unplaced: histogram.unmatched,
    })
}
