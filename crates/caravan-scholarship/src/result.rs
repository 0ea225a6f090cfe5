//! What an applicant is told: their programme, their score, and for each higher choice whether
//! it was full and at which score.

use caravan_store::scholarship::{Application, ApplicationStatus, Call};
use serde::Serialize;
use utoipa::ToSchema;

use crate::PlacementResult;

/// One higher choice and why it did not place the applicant.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChoiceOutcome {
    pub choice_rank: usize,
    pub programme_id: u32,
    pub programme: String,
    /// Whether the seats (of the applicant's country, under quotas) were all taken.
    pub full: bool,
    pub cutoff_score: Option<u32>,
}

/// An applicant's published result and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResultView {
    pub application_id: i64,
    pub status: ApplicationStatus,
    pub published: bool,
    pub programme_id: Option<u32>,
    pub programme: Option<String>,
    pub choice_rank: Option<usize>,
    /// Your priority score (the same at every programme).
    pub score: Option<u32>,
    /// The choices above the one you got (all of them when unplaced).
    pub higher_choices: Vec<ChoiceOutcome>,
    pub explanation: String,
}

/// An applicant's result: `published` is the published placement run's result, if any.
pub fn result_of(
    app: &Application,
    call: &Call,
    published: Option<&PlacementResult>,
) -> ResultView {
    let name = |id: u32| {
        call.spec
            .programmes
            .iter()
            .find(|p| p.id == id)
            .map_or_else(|| id.to_string(), |p| format!("{} ({})", p.name, p.university))
    };
    let mut view = ResultView {
        application_id: app.id,
        status: app.status,
        published: published.is_some(),
        programme_id: None,
        programme: None,
        choice_rank: None,
        score: None,
        higher_choices: Vec::new(),
        explanation: String::new(),
    };
    let Some(run) = published else {
        view.explanation =
            format!("Your application is {}. Results are not published yet.", app.status.as_str());
        return view;
    };
    let Some(me) = run.applicants.iter().find(|a| a.application_id == app.id) else {
        view.explanation = format!(
            "Your application ({}) did not take part in the placement: only endorsed, reviewed applications do.",
            app.status.as_str()
        );
        return view;
    };
    view.programme_id = me.programme_id;
    view.programme = me.programme_id.map(name);
    view.choice_rank = me.choice_rank;
    view.score = Some(me.score);
    let upto = me.choice_rank.map_or(me.choices.len(), |r| r - 1);
    for (i, &pid) in me.choices.iter().take(upto).enumerate() {
        let pool = run.cutoffs.iter().find(|c| {
            c.programme_id == pid && (c.country.is_none() || c.country == Some(me.country))
        });
        view.higher_choices.push(ChoiceOutcome {
            choice_rank: i + 1,
            programme_id: pid,
            programme: name(pid),
            full: pool.is_some_and(|c| c.full),
            cutoff_score: pool.and_then(|c| c.last_admitted_score),
        });
    }
    let why: Vec<String> = view
        .higher_choices
        .iter()
        .map(|c| match (c.full, c.cutoff_score) {
            (true, Some(cut)) => format!(
                "choice {} {} was full; its last admitted score was {cut}, yours {}",
                c.choice_rank, c.programme, me.score
            ),
            _ => format!("choice {} {} did not admit you", c.choice_rank, c.programme),
        })
        .collect();
    view.explanation = match &view.programme {
        Some(p) => format!(
            "You are placed in {p} (choice {}).{}",
            me.choice_rank.unwrap_or(0),
            if why.is_empty() { String::new() } else { format!(" {}.", why.join("; ")) }
        ),
        None => format!("You are not placed. {}.", why.join("; ")),
    };
    view
}
