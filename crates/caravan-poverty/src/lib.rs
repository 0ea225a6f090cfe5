//! Poverty and inequality from household-survey microdata with survey weights, and their
//! standard errors under a stratified clustered design (Taylor linearisation as R `survey` and
//! `convey`) or from replicate weights.
//!
//! Inputs are plain slices: welfare per row, person weight per row, and a [`Design`]. The crate
//! does no I/O; readers live in `caravan-cmd-poverty`. Every rank-based measure of a domain comes
//! from one sort of its welfare ([`order_by_welfare`]); subgroups reuse that order.
//!
//! Zero welfare (documented treatment, reported in [`Estimates::warnings`]): MLD follows PIP and
//! replaces welfare `<= 0` by 1 inside the logarithm; Watts leaves poor units with zero welfare
//! out of its sum; Atkinson with `e >= 1` is 1 (its limit) with no standard error; Theil uses
//! `0 ln 0 = 0`. Negative welfare is rejected. Single-PSU strata: see [`LonelyPsu`].

mod compare;
mod design;
mod estimate;
mod groups;
mod order;

pub use compare::{
    Comparison, DattRavallion, GrowthRedistribution, PeopleLifted, Period, RavallionHuppi, compare,
    fgt_at_line, ravallion_huppi,
};
pub use design::{Design, DesignError, LonelyPsu};
pub use estimate::{
    Config, EstimateError, Estimates, GiniForm, LorenzPoint, N_ESTIMATES, NAMES, PoorIf, Variance,
    ci95, estimate, index_of, restrict_order,
};
pub use groups::{EntropyDecomposition, EntropySplit, GroupEstimates, by_group};
pub use order::order_by_welfare;

#[cfg(test)]
mod tests;
