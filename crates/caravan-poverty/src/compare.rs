//! Two survey rounds: growth incidence, mean and bottom-40 growth, Datt–Ravallion and Shapley
//! decompositions of the change in poverty, Ravallion–Huppi sectoral decomposition, and the
//! change in the number of poor people split into a rate and a population effect.

use crate::design::{Design, LonelyPsu};
use crate::estimate::{Config, EstimateError, Estimates, PoorIf, Variance, estimate};

/// One survey round: data, its welfare order (from [`crate::order_by_welfare`]) and its design.
#[derive(Debug, Clone, Copy)]
pub struct Period<'a> {
    pub welfare: &'a [f64],
    pub weight: &'a [f64],
    pub order: &'a [u32],
    pub design: &'a Design,
}

/// A change in poverty split into growth, redistribution and a residual.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GrowthRedistribution {
    pub growth: f64,
    pub redistribution: f64,
    pub residual: f64,
}

/// Datt and Ravallion (1992) decomposition of the change in FGT(alpha).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DattRavallion {
    pub alpha: f64,
    pub before: f64,
    pub after: f64,
    pub change: f64,
    /// Reference period 1: `G = P(mu2, L1) - P(mu1, L1)`, `R = P(mu1, L2) - P(mu1, L1)`.
    pub reference_before: GrowthRedistribution,
    /// Reference period 2: `G = P(mu2, L2) - P(mu1, L2)`, `R = P(mu2, L2) - P(mu2, L1)`.
    pub reference_after: GrowthRedistribution,
    /// Shapley value (Shorrocks 2013): the mean of the two, with no residual.
    pub shapley: GrowthRedistribution,
}

/// The change in the number of poor people, `N2 H2 - N1 H1 = (H2 - H1) N1 + H2 (N2 - N1)`.
#[derive(Debug, Clone, PartialEq)]
pub struct PeopleLifted {
    pub n_poor_before: f64,
    pub n_poor_after: f64,
    /// `N2 H2 - N1 H1` (negative when poverty fell).
    pub net_change: f64,
    pub net_change_se: f64,
    /// `(H2 - H1) N1`: the change had the population stayed as in round 1.
    pub rate_effect: f64,
    pub rate_effect_se: f64,
    /// `H2 (N2 - N1)`: the change due to population growth at the round-2 rate.
    pub population_effect: f64,
    pub population_effect_se: f64,
    /// `-net_change`: the figure behind "people lifted out of poverty".
    pub lifted_out: f64,
    /// What the figure does and does not mean, in plain words.
    pub statement: String,
}

/// Results of comparing two rounds.
#[derive(Debug, Clone)]
pub struct Comparison {
    pub before: Estimates,
    pub after: Estimates,
    /// Growth incidence curve (Ravallion and Chen 2003): `(p, q2(p) / q1(p) - 1)` for the
    /// percentiles p = 0.01 .. 0.99 (type-1 quantiles).
    pub gic: Vec<(f64, f64)>,
    pub mean_growth: f64,
    /// Growth of the mean welfare of the poorest 40 % (World Bank shared prosperity).
    pub bottom40_growth: f64,
    /// For alpha = 0, 1, 2.
    pub datt_ravallion: Vec<DattRavallion>,
    pub people: PeopleLifted,
}

/// Ravallion and Huppi (1991) sectoral decomposition of `P2 - P1 = sum_k s_k2 P_k2 - s_k1 P_k1`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RavallionHuppi {
    /// `sum_k s_k1 (P_k2 - P_k1)`: poverty changes within sectors.
    pub intra_sectoral: f64,
    /// `sum_k (s_k2 - s_k1) P_k1`: population shifts between sectors.
    pub population_shift: f64,
    /// `sum_k (s_k2 - s_k1)(P_k2 - P_k1)`.
    pub interaction: f64,
    /// `sum_k s_k2 P_k2 - sum_k s_k1 P_k1`.
    pub change: f64,
}

/// Ravallion–Huppi decomposition from sector population shares and sector poverty in each round.
/// A sector missing in a round has share 0 there (pass 0 for its poverty).
pub fn ravallion_huppi(
    shares_before: &[f64],
    poverty_before: &[f64],
    shares_after: &[f64],
    poverty_after: &[f64],
) -> RavallionHuppi {
    let mut out = RavallionHuppi {
        intra_sectoral: 0.0,
        population_shift: 0.0,
        interaction: 0.0,
        change: 0.0,
    };
    for k in 0..shares_before.len() {
        let (s1, p1, s2, p2) =
            (shares_before[k], poverty_before[k], shares_after[k], poverty_after[k]);
        out.intra_sectoral += s1 * (p2 - p1);
        out.population_shift += (s2 - s1) * p1;
        out.interaction += (s2 - s1) * (p2 - p1);
        out.change += s2 * p2 - s1 * p1;
    }
    out
}

/// FGT(alpha) of the rows `order` (ascending welfare) at poverty line `line`, for any alpha >= 0
/// (Foster, Greer and Thorbecke 1984): `sum_{poor} w ((z - y) / z)^alpha / sum w`.
pub fn fgt_at_line(
    welfare: &[f64],
    weight: &[f64],
    order: &[u32],
    line: f64,
    alpha: f64,
    poor_if: PoorIf,
) -> f64 {
    let n: f64 = order.iter().map(|&r| weight[r as usize]).sum();
    let mut sum = 0.0;
    for &r in order {
        let y = welfare[r as usize];
        let poor = match poor_if {
            PoorIf::Below => y < line,
            PoorIf::AtOrBelow => y <= line,
        };
        if !poor {
            break;
        }
        let gap = (line - y) / line;
        // 0^0 = 1: with alpha = 0 every poor unit counts.
        let g = if alpha == 0.0 { 1.0 } else { gap.powf(alpha) };
        sum += weight[r as usize] * g;
    }
    sum / n
}

fn type1_quantiles(period: &Period<'_>, ps: &[f64]) -> Vec<f64> {
    let n: f64 = period.order.iter().map(|&r| period.weight[r as usize]).sum();
    let mut out = Vec::with_capacity(ps.len());
    let mut cum = 0.0;
    let mut k = 0;
    for &r in period.order {
        cum += period.weight[r as usize];
        while k < ps.len() && cum >= ps[k] * n * (1.0 - 1e-12) {
            out.push(period.welfare[r as usize]);
            k += 1;
        }
    }
    while out.len() < ps.len() {
        out.push(period.order.last().map_or(f64::NAN, |&r| period.welfare[r as usize]));
    }
    out
}

/// Compares two rounds at the same (real) poverty line.
///
/// # Errors
/// As [`estimate`] for either round.
pub fn compare(
    before: Period<'_>,
    after: Period<'_>,
    config: &Config,
    lonely: LonelyPsu,
) -> Result<Comparison, EstimateError> {
    let est = |p: &Period<'_>| {
        estimate(
            p.welfare,
            p.weight,
            p.order,
            config,
            Variance::Linearized { design: p.design, lonely },
        )
    };
    let e1 = est(&before)?;
    let e2 = est(&after)?;
    let value = |e: &Estimates, name: &str| e.value(name).unwrap_or(f64::NAN);
    let (mu1, mu2) = (value(&e1, "mean"), value(&e2, "mean"));
    let ps: Vec<f64> = (1..100).map(|k| f64::from(k) / 100.0).collect();
    let q1 = type1_quantiles(&before, &ps);
    let q2 = type1_quantiles(&after, &ps);
    let gic = ps.iter().zip(q1.iter().zip(&q2)).map(|(&p, (a, b))| (p, b / a - 1.0)).collect();
    let b40 = |e: &Estimates| value(e, "bottom40_share") * value(e, "mean") / 0.4;
    let z = config.line;
    // P(mu_t, L_r): FGT of round r's distribution scaled to mean mu_t, i.e. round r at line
    // z * mu_r / mu_t (Datt and Ravallion 1992, eq. 1).
    let p_at = |r: &Period<'_>, mu_r: f64, mu_t: f64, alpha: f64| {
        fgt_at_line(r.welfare, r.weight, r.order, z * mu_r / mu_t, alpha, config.poor_if)
    };
    let datt_ravallion = [0.0, 1.0, 2.0]
        .iter()
        .map(|&alpha| {
            let p11 = p_at(&before, mu1, mu1, alpha);
            let p22 = p_at(&after, mu2, mu2, alpha);
            let p21 = p_at(&before, mu1, mu2, alpha); // mu2 with L1
            let p12 = p_at(&after, mu2, mu1, alpha); // mu1 with L2
            let change = p22 - p11;
            let g1 = p21 - p11;
            let r1 = p12 - p11;
            let g2 = p22 - p12;
            let r2 = p22 - p21;
            DattRavallion {
                alpha,
                before: p11,
                after: p22,
                change,
                reference_before: GrowthRedistribution {
                    growth: g1,
                    redistribution: r1,
                    residual: change - g1 - r1,
                },
                reference_after: GrowthRedistribution {
                    growth: g2,
                    redistribution: r2,
                    residual: change - g2 - r2,
                },
                shapley: GrowthRedistribution {
                    growth: 0.5 * (g1 + g2),
                    redistribution: 0.5 * (r1 + r2),
                    residual: change - 0.5 * (g1 + g2) - 0.5 * (r1 + r2),
                },
            }
        })
        .collect();
    let people = people_lifted(&before, &after, config, lonely)?;
    Ok(Comparison {
        gic,
        mean_growth: mu2 / mu1 - 1.0,
        bottom40_growth: b40(&e2) / b40(&e1) - 1.0,
        datt_ravallion,
        people,
        before: e1,
        after: e2,
    })
}

/// PSU totals of `w` and `w 1[poor]` over the domain of a round.
fn psu_totals_poor(period: &Period<'_>, config: &Config) -> (Vec<f64>, f64, f64) {
    let n_psu = period.design.n_psu();
    let mut totals = vec![0.0; 2 * n_psu];
    let (mut n, mut n_poor) = (0.0, 0.0);
    for &r in period.order {
        let (y, w) = (period.welfare[r as usize], period.weight[r as usize]);
        let poor = match config.poor_if {
            PoorIf::Below => y < config.line,
            PoorIf::AtOrBelow => y <= config.line,
        };
        let psu = period.design.psu_of_row()[r as usize] as usize;
        totals[2 * psu] += w;
        n += w;
        if poor {
            totals[2 * psu + 1] += w;
            n_poor += w;
        }
    }
    (totals, n, n_poor)
}

/// The rounds are independent samples, so each variance is the sum of the two rounds' design
/// variances of the linearised quantity.
fn people_lifted(
    before: &Period<'_>,
    after: &Period<'_>,
    config: &Config,
    lonely: LonelyPsu,
) -> Result<PeopleLifted, EstimateError> {
    let (t1, n1, np1) = psu_totals_poor(before, config);
    let (t2, n2, np2) = psu_totals_poor(after, config);
    let h1 = np1 / n1;
    let h2 = np2 / n2;
    // Columns: net change, rate effect, population effect, as linear combinations of the PSU
    // totals of (w, w poor); the derivatives are taken with respect to each round's weights.
    let combine = |totals: &[f64], coef: [[f64; 2]; 3]| -> Vec<f64> {
        totals.chunks_exact(2).flat_map(|t| coef.map(|[a, b]| a * t[0] + b * t[1])).collect()
    };
    // Round 1: d(np2 - np1) = -poor; d(h2 n1 - np1) = h2 - poor; d(np2 - h2 n1) = -h2.
    let c1 = combine(&t1, [[0.0, -1.0], [h2, -1.0], [-h2, 0.0]]);
    // Round 2: d np2 = poor; d(h2) n1 = n1 (poor - h2) / n2; population: poor - n1 (poor - h2) / n2.
    let k = n1 / n2;
    let c2 = combine(&t2, [[0.0, 1.0], [-k * h2, k], [k * h2, 1.0 - k]]);
    let v1 = before.design.variance_of_totals(&c1, 3, lonely)?;
    let v2 = after.design.variance_of_totals(&c2, 3, lonely)?;
    let se: Vec<f64> = v1.iter().zip(&v2).map(|(a, b)| (a + b).sqrt()).collect();
    let net = np2 - np1;
    let rate = (h2 - h1) * n1;
    let population = h2 * (n2 - n1);
    let statement = format!(
        "The estimated number of poor people went from {np1:.0} to {np2:.0}, a net change of \
         {net:+.0} (standard error {se0:.0}). Of this, {rate:+.0} (s.e. {se1:.0}) is due to the \
         change in the poverty rate from {r1:.2}% to {r2:.2}% at the first round's population, \
         and {population:+.0} (s.e. {se2:.0}) to the change in population at the second round's \
         rate. This compares two independent cross-sections: it is a net change in a count, not \
         a number of identified people who left poverty; some people may have fallen into \
         poverty while more left it, and the figure depends on the poverty line, the welfare \
         measure and the population weights of each survey.",
        se0 = se[0],
        se1 = se[1],
        se2 = se[2],
        r1 = 100.0 * h1,
        r2 = 100.0 * h2,
    );
    Ok(PeopleLifted {
        n_poor_before: np1,
        n_poor_after: np2,
        net_change: net,
        net_change_se: se[0],
        rate_effect: rate,
        rate_effect_se: se[1],
        population_effect: population,
        population_effect_se: se[2],
        lifted_out: -net,
        statement,
    })
}
