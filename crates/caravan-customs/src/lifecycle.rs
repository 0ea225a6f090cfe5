//! The declaration lifecycle as an explicit state machine (issue 5):
//! draft → lodged → assessed → under control / awaiting approvals → released | rejected,
//! with amendments that create a new version and send the declaration back to lodged.
//!
//! A [`Lifecycle`] can only change through [`Lifecycle::apply`], which either returns the next
//! lifecycle or a [`TransitionError`]; its fields are private, so the invariants below hold for
//! every value that exists:
//! - approvals received ⊆ approvals required;
//! - `Released` ⇒ customs cleared the goods and every required approval is in;
//! - `AwaitingApprovals` ⇒ customs cleared the goods and some approval is still missing;
//! - `UnderControl` ⇒ a yellow or red channel and customs has not cleared the goods yet;
//! - `Draft`, `Lodged` ⇒ no channel; `Released` and `Rejected` accept no event.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::risk::Channel;

/// Where a declaration is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Draft,
    Lodged,
    Assessed,
    UnderControl,
    AwaitingApprovals,
    Released,
    Rejected,
}

impl Status {
    /// Every status, in lifecycle order.
    pub const ALL: [Status; 7] = [
        Self::Draft,
        Self::Lodged,
        Self::Assessed,
        Self::UnderControl,
        Self::AwaitingApprovals,
        Self::Released,
        Self::Rejected,
    ];

    /// Whether no event is accepted any more.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Released | Self::Rejected)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Draft => "draft",
            Self::Lodged => "lodged",
            Self::Assessed => "assessed",
            Self::UnderControl => "under_control",
            Self::AwaitingApprovals => "awaiting_approvals",
            Self::Released => "released",
            Self::Rejected => "rejected",
        })
    }
}

/// A customs officer's decision on a declaration under control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfficerDecision {
    Release,
    RequestDocuments,
    Inspect,
    Reject,
}

/// Another agency's decision on its part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgencyDecision {
    Approve,
    Refuse,
}

/// Something that happens to a declaration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "event")]
pub enum Event {
    /// The trader lodges the draft.
    Lodge,
    /// The assessment is recorded: its channel and the agencies whose approval release needs.
    Assess { channel: Channel, required_agencies: BTreeSet<String> },
    /// The assessed declaration goes to its lane: green to the agencies (or straight to
    /// release when none is needed), yellow and red to an officer.
    Route,
    /// A customs officer decides.
    Officer { decision: OfficerDecision, officer: String, comment: String },
    /// An agency decides on its part.
    Agency { agency: String, decision: AgencyDecision, officer: String, comment: String },
    /// The trader amends the lodged declaration: a new version, lodged again.
    Amend,
}

impl Event {
    /// A short name of the event, for errors.
    pub fn name(&self) -> String {
        match self {
            Self::Lodge => "lodge".to_owned(),
            Self::Assess { .. } => "assess".to_owned(),
            Self::Route => "route".to_owned(),
            Self::Officer { decision, .. } => format!("officer {decision:?}").to_lowercase(),
            Self::Agency { decision, agency, .. } => {
                format!("agency {agency} {decision:?}").to_lowercase()
            }
            Self::Amend => "amend".to_owned(),
        }
    }
}

/// An event that is not allowed now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("cannot {event} a declaration that is {status}")]
    NotAllowed { status: Status, event: String },
    #[error("agency {agency} has no part in this declaration (required: {required})")]
    AgencyNotRequired { agency: String, required: String },
    #[error("agency {agency} has already approved")]
    AlreadyApproved { agency: String },
}

/// One recorded transition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub version: u32,
    pub from: Status,
    pub to: Status,
    pub event: Event,
}

/// The state of one declaration with its history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lifecycle {
    status: Status,
    version: u32,
    channel: Option<Channel>,
    required_agencies: BTreeSet<String>,
    approvals: BTreeSet<String>,
    customs_cleared: bool,
    history: Vec<HistoryEntry>,
}

impl Default for Lifecycle {
    fn default() -> Self {
        Self::new()
    }
}

impl Lifecycle {
    /// A new draft, version 1.
    pub fn new() -> Lifecycle {
        Lifecycle {
            status: Status::Draft,
            version: 1,
            channel: None,
            required_agencies: BTreeSet::new(),
            approvals: BTreeSet::new(),
            customs_cleared: false,
            history: Vec::new(),
        }
    }

    pub fn status(&self) -> Status {
        self.status
    }

    /// 1 until the first amendment, then +1 per amendment.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// The channel of the current version's assessment.
    pub fn channel(&self) -> Option<Channel> {
        self.channel
    }

    pub fn required_agencies(&self) -> &BTreeSet<String> {
        &self.required_agencies
    }

    pub fn approvals(&self) -> &BTreeSet<String> {
        &self.approvals
    }

    /// Whether customs has cleared the goods (green lane or an officer's release).
    pub fn customs_cleared(&self) -> bool {
        self.customs_cleared
    }

    /// The officer's decision that still holds: the last officer decision, when it ordered
    /// documents (at least yellow) or an inspection (at least red). It holds through amendments
    /// until an officer decides otherwise; a release or rejection ends it.
    pub fn standing_decision(&self) -> Option<crate::risk::StandingDecision> {
        let (entry, decision) = self.history.iter().rev().find_map(|entry| match &entry.event {
            Event::Officer { decision, .. } => Some((entry, *decision)),
            _ => None,
        })?;
        let (channel, words) = match decision {
            OfficerDecision::RequestDocuments => (Channel::Yellow, "requested documents"),
            OfficerDecision::Inspect => (Channel::Red, "ordered a physical inspection"),
            OfficerDecision::Release | OfficerDecision::Reject => return None,
        };
        Some(crate::risk::StandingDecision {
            channel,
            version: entry.version,
            decision: words.to_owned(),
        })
    }

    /// Every transition so far, oldest first.
    pub fn history(&self) -> &[HistoryEntry] {
        &self.history
    }

    /// The lifecycle after `event`, or why the event is not allowed now. `self` is unchanged.
    ///
    /// # Errors
    /// [`TransitionError`] for an event the current status does not accept, an agency that has
    /// no part in the declaration, or a second approval by the same agency.
    pub fn apply(&self, event: Event) -> Result<Lifecycle, TransitionError> {
        let not_allowed =
            || TransitionError::NotAllowed { status: self.status, event: event.name() };
        let mut next = self.clone();
        match (&event, self.status) {
            (Event::Lodge, Status::Draft) => next.status = Status::Lodged,
            (Event::Assess { channel, required_agencies }, Status::Lodged) => {
                next.status = Status::Assessed;
                // An officer's standing decision is a floor no amendment lowers.
                let floor = self.standing_decision().map_or(Channel::Green, |d| d.channel);
                next.channel = Some((*channel).max(floor));
                next.required_agencies = required_agencies.clone();
            }
            (Event::Route, Status::Assessed) => match self.channel {
                Some(Channel::Green) => {
                    next.customs_cleared = true;
                    next.status = next.after_clearance();
                }
                Some(Channel::Yellow | Channel::Red) => next.status = Status::UnderControl,
                None => return Err(not_allowed()),
            },
            (Event::Officer { decision, .. }, Status::UnderControl) => match decision {
                OfficerDecision::Release => {
                    next.customs_cleared = true;
                    next.status = next.after_clearance();
                }
                OfficerDecision::RequestDocuments | OfficerDecision::Inspect => {}
                OfficerDecision::Reject => next.status = Status::Rejected,
            },
            (
                Event::Officer { decision: OfficerDecision::Reject, .. },
                Status::AwaitingApprovals,
            ) => {
                next.status = Status::Rejected;
            }
            (
                Event::Agency { agency, decision, .. },
                Status::UnderControl | Status::AwaitingApprovals,
            ) => {
                if !self.required_agencies.contains(agency) {
                    return Err(TransitionError::AgencyNotRequired {
                        agency: agency.clone(),
                        required: self
                            .required_agencies
                            .iter()
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(", "),
                    });
                }
                if self.approvals.contains(agency) {
                    return Err(TransitionError::AlreadyApproved { agency: agency.clone() });
                }
                match decision {
                    AgencyDecision::Approve => {
                        next.approvals.insert(agency.clone());
                        if self.status == Status::AwaitingApprovals {
                            next.status = next.after_clearance();
                        }
                    }
                    AgencyDecision::Refuse => next.status = Status::Rejected,
                }
            }
            (
                Event::Amend,
                Status::Lodged
                | Status::Assessed
                | Status::UnderControl
                | Status::AwaitingApprovals,
            ) => {
                next.status = Status::Lodged;
                next.version = self.version.saturating_add(1);
                next.channel = None;
                next.required_agencies.clear();
                next.approvals.clear();
                next.customs_cleared = false;
            }
            _ => return Err(not_allowed()),
        }
        next.history.push(HistoryEntry {
            version: self.version,
            from: self.status,
            to: next.status,
            event,
        });
        Ok(next)
    }

    /// Rebuilds a lifecycle from its stored events (the `event` of each [`HistoryEntry`]), so a
    /// store keeps only the event log and never a state that `apply` did not produce.
    ///
    /// # Errors
    /// The first [`TransitionError`], with the index of the event that was refused.
    pub fn replay(
        events: impl IntoIterator<Item = Event>,
    ) -> Result<Lifecycle, (usize, TransitionError)> {
        let mut lifecycle = Lifecycle::new();
        for (event_idx, event) in events.into_iter().enumerate() {
            lifecycle = lifecycle.apply(event).map_err(|err| (event_idx, err))?;
        }
        Ok(lifecycle)
    }

    /// Once customs cleared the goods: released when every required approval is in (issue 5:
    /// "release happens when every required approval is in"), else awaiting approvals.
    fn after_clearance(&self) -> Status {
        if self.required_agencies.is_subset(&self.approvals) {
            Status::Released
        } else {
            Status::AwaitingApprovals
        }
    }

    /// Checks the invariants listed in the module documentation; `Err` names the broken one.
    /// They hold for every value [`Lifecycle::apply`] returns; tests call this after each step.
    ///
    /// # Errors
    /// A description of the first broken invariant.
    pub fn check_invariants(&self) -> Result<(), String> {
        if !self.approvals.is_subset(&self.required_agencies) {
            return Err("approvals not a subset of required agencies".to_owned());
        }
        let all_in = self.required_agencies.is_subset(&self.approvals);
        match self.status {
            Status::Released if !(self.customs_cleared && all_in) => {
                Err("released without clearance or approvals".to_owned())
            }
            Status::AwaitingApprovals if !self.customs_cleared || all_in => {
                Err("awaiting approvals without clearance, or with every approval in".to_owned())
            }
            Status::UnderControl
                if self.customs_cleared
                    || !matches!(self.channel, Some(Channel::Yellow | Channel::Red)) =>
            {
                Err("under control with a green channel or after clearance".to_owned())
            }
            Status::Draft | Status::Lodged if self.channel.is_some() || self.customs_cleared => {
                Err("channel or clearance before assessment".to_owned())
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests;
