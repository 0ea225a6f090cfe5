//! Scholarship placement by stable matching (issue 9, placement engine).
//!
//! Students rank programmes; programmes rank their applicants by score (higher first, ties
//! by smaller `student_id`, or by lottery within coarse score classes). [`Instance::new`]
//! validates the tables once; [`place`] runs one of the mechanisms: student- or
//! programme-proposing deferred acceptance, immediate acceptance ("Boston"), the Chinese
//! parallel mechanism, top trading cycles, serial dictatorship. Hard per-country quotas
//! split a programme's seats into one pool per country. The [`audit`] module checks a
//! placement: blocking pairs, capacities and quotas, rank histogram, cutoffs, comparison.
//!
//! This crate does no I/O: the CSV readers and writers live in `caravan-cmd-scholarship`.

pub mod audit;
mod instance;
mod mechanism;
pub mod synthetic;

pub use instance::{
    CallLimits, Instance, InstanceError, MAX_SCORE, PriorityRule, ProgrammeSpec, QUOTA_COUNTRIES,
    StudentTable, TieBreak,
};
pub use mechanism::{
    Matching, MatchingError, Mechanism, deferred_acceptance, immediate_acceptance, parallel, place,
    programme_proposing_da, serial_dictatorship, serial_order_by_priority, top_trading_cycles,
};

#[cfg(test)]
mod tests;
