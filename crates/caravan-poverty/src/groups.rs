//! Subgroup estimates (region, urban/rural): population shares, contributions to FGT poverty,
//! and the within/between decomposition of GE(0) and GE(1).

use crate::estimate::{Config, EstimateError, Estimates, Variance, estimate, restrict_order};

/// Estimates of one subgroup.
#[derive(Debug, Clone)]
pub struct GroupEstimates {
    /// Group id, as given in `group_of_row`.
    pub group: u32,
    /// `N_g / N`.
    pub population_share: f64,
    /// Share of total FGT(alpha) poverty due to the group, `N_g P_g(alpha) / (N P(alpha))`, for
    /// alpha = 0, 1, 2 (Foster, Greer and Thorbecke 1984, subgroup consistency); NaN when `P = 0`.
    pub fgt_contribution: [f64; 3],
    /// All estimates within the group (a domain of the full design).
    pub estimates: Estimates,
}

/// Total, within-group and between-group parts of a generalised-entropy index.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EntropySplit {
    pub total: f64,
    pub within: f64,
    pub between: f64,
}

/// GE(0) (MLD) and GE(1) (Theil) decompositions (Shorrocks 1980; Cowell 2011, section 3.4):
/// `GE(0) = sum_g s_g GE_g(0) + sum_g s_g ln(mu / mu_g)` and
/// `GE(1) = sum_g v_g GE_g(1) + sum_g v_g ln(mu_g / mu)`, with `s_g` population and `v_g` income
/// shares. With zero incomes the PIP convention for MLD makes the GE(0) parts add up only
/// approximately.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EntropyDecomposition {
    pub ge0: EntropySplit,
    pub ge1: EntropySplit,
}

/// Estimates for every non-empty group of `group_of_row` within the domain `order`, each a domain
/// of the same design, plus the entropy decomposition. Groups with no unit in the domain are
/// `None`.
///
/// # Errors
/// As [`estimate`], for the whole domain or any group.
pub fn by_group(
    welfare: &[f64],
    weight: &[f64],
    order: &[u32],
    group_of_row: &[u32],
    n_groups: usize,
    config: &Config,
    variance: Variance<'_>,
) -> Result<(Estimates, Vec<Option<GroupEstimates>>, EntropyDecomposition), EstimateError> {
    let all = estimate(welfare, weight, order, config, variance)?;
    let mut groups = Vec::with_capacity(n_groups);
    for g in 0..n_groups as u32 {
        // Sort once: a group's welfare order is a subsequence of the domain's.
        let sub = restrict_order(order, |r| group_of_row[r as usize] == g);
        if sub.is_empty() {
            groups.push(None);
            continue;
        }
        let est = estimate(welfare, weight, &sub, config, variance)?;
        let share = est.population / all.population;
        let contribution = |name: &str| {
            let total = all.value(name).unwrap_or(f64::NAN);
            if total > 0.0 { share * est.value(name).unwrap_or(f64::NAN) / total } else { f64::NAN }
        };
        groups.push(Some(GroupEstimates {
            group: g,
            population_share: share,
            fgt_contribution: [contribution("fgt0"), contribution("fgt1"), contribution("fgt2")],
            estimates: est,
        }));
    }
    let decomposition = entropy_decomposition(&all, &groups);
    Ok((all, groups, decomposition))
}

fn entropy_decomposition(
    all: &Estimates,
    groups: &[Option<GroupEstimates>],
) -> EntropyDecomposition {
    let mu = all.value("mean").unwrap_or(f64::NAN);
    let mut ge0 =
        EntropySplit { total: all.value("mld").unwrap_or(f64::NAN), within: 0.0, between: 0.0 };
    let mut ge1 =
        EntropySplit { total: all.value("theil").unwrap_or(f64::NAN), within: 0.0, between: 0.0 };
    for g in groups.iter().flatten() {
        let s = g.population_share;
        let mu_g = g.estimates.value("mean").unwrap_or(f64::NAN);
        let v = s * mu_g / mu;
        ge0.within += s * g.estimates.value("mld").unwrap_or(f64::NAN);
        ge0.between += s * (mu / mu_g).ln();
        ge1.within += v * g.estimates.value("theil").unwrap_or(f64::NAN);
        ge1.between += v * (mu_g / mu).ln();
    }
    EntropyDecomposition { ge0, ge1 }
}
