//! All point estimates of one domain from a single sort, and their linearised variables.
//!
//! Every estimator here is a smooth function of weighted sums over the domain sorted by welfare,
//! so its linearised variable is the derivative of the estimate with respect to the weight of one
//! unit, `z_k = d theta / d w_k` (Deville 1999, "Variance estimation for complex statistics and
//! estimators: linearization and residual techniques", Survey Methodology 25, section 3). The
//! variance of `theta` is then the variance of the estimated total `sum_k w_k z_k`, computed by
//! [`Design::variance_of_totals`] exactly as R `survey::svyrecvar` does for `convey`'s `lin / prob`.
//! Units outside the domain get `z = 0` but keep their PSU, as `survey`'s `subset()` does.

use rayon::prelude::*;

use crate::design::{Design, DesignError, LonelyPsu};

/// Who is poor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoorIf {
    /// `y < z`: World Bank PIP (`wbpip::md_compute_headcount`), the default.
    Below,
    /// `y <= z`: R `convey::svyfgt`.
    AtOrBelow,
}

/// Which weighted Gini estimator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GiniForm {
    /// Mid-rank form of PIP (`wbpip::md_compute_gini`):
    /// `G = 2 sum_i w_i y_i (W_{i-1} + w_i / 2) / (N T) - 1`; scale-free in the weights.
    Pip,
    /// R `convey::svygini` (`CalcGini`): `G = sum_i (2 W_i - 1) w_i y_i / (N T) - 1`, with
    /// `W_i` the cumulative weight; equal to PIP when every weight is 1.
    Convey,
}

/// What the poverty measures need.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Config {
    /// The poverty line `z`, in welfare units; finite and positive.
    pub line: f64,
    /// Strict or weak inequality for the poor.
    pub poor_if: PoorIf,
    /// Gini estimator for `gini` (Sen and SST use the PIP form for the Gini of the poor).
    pub gini: GiniForm,
}

/// How standard errors are computed.
#[derive(Debug, Clone, Copy)]
pub enum Variance<'a> {
    /// Point estimates only.
    None,
    /// Taylor linearisation under the design (ultimate cluster, with replacement, no fpc).
    Linearized { design: &'a Design, lonely: LonelyPsu },
    /// Replicate weights (one vector per replicate, indexed by row like the main weights), with
    /// variance `sum_r (theta_r - mean_r theta_r)^2 / (R - 1)`.
    Replicate { weights: &'a [Vec<f64>] },
}

/// Names of the estimates, in the order of [`Estimates::values`] (the contract of issue 7).
pub const NAMES: [&str; N_ESTIMATES] = [
    "mean",
    "fgt0",
    "fgt1",
    "fgt2",
    "n_poor",
    "watts",
    "sen",
    "sst",
    "gini",
    "mld",
    "theil",
    "ge2",
    "atkinson_0.5",
    "atkinson_1",
    "atkinson_2",
    "median",
    "q10",
    "q20",
    "q25",
    "q50",
    "q75",
    "q80",
    "q90",
    "p90_p10",
    "p90_p50",
    "p50_p10",
    "p75_p25",
    "s80s20_threshold",
    "s80s20_lorenz",
    "palma",
    "bottom40_share",
];

/// Number of named estimates.
pub const N_ESTIMATES: usize = 31;

/// Index of an estimate name in [`NAMES`].
pub fn index_of(name: &str) -> Option<usize> {
    NAMES.iter().position(|&n| n == name)
}

// Indexes into the estimate vector.
const MEAN: usize = 0;
const FGT0: usize = 1;
const FGT1: usize = 2;
const FGT2: usize = 3;
const N_POOR: usize = 4;
const WATTS: usize = 5;
const SEN: usize = 6;
const SST: usize = 7;
const GINI: usize = 8;
const MLD: usize = 9;
const THEIL: usize = 10;
const GE2: usize = 11;
const ATK05: usize = 12;
const ATK1: usize = 13;
const ATK2: usize = 14;
const MEDIAN: usize = 15;
const Q_FIRST: usize = 16; // q10 q20 q25 q50 q75 q80 q90
const P90_P10: usize = 23;
const P90_P50: usize = 24;
const P50_P10: usize = 25;
const P75_P25: usize = 26;
const S80S20_T: usize = 27;
const S80S20_L: usize = 28;
const PALMA: usize = 29;
const BOTTOM40: usize = 30;

/// Probabilities of the quantiles `q10 .. q90`.
const QUANTILE_P: [f64; 7] = [0.1, 0.2, 0.25, 0.5, 0.75, 0.8, 0.9];
const Q10: usize = 0;
const Q20: usize = 1;
const Q25: usize = 2;
const Q50: usize = 3;
const Q75: usize = 4;
const Q80: usize = 5;
const Q90: usize = 6;
/// Population shares at which generalised Lorenz ordinates are needed.
const LORENZ_P: [f64; 4] = [0.2, 0.4, 0.8, 0.9];
const GL20: usize = 0;
const GL40: usize = 1;
const GL80: usize = 2;
const GL90: usize = 3;

/// Relative tolerance on cumulative weights when locating `F(y) >= p`, so that rounding in the
/// running sum does not move a type-1 quantile across a tie of `F` with `p`.
const CDF_TOLERANCE: f64 = 1e-12;

/// One point of the Lorenz curve at a sample unit, as PovcalNet tabulates it: the first unit in
/// welfare order at which the cumulative population share reaches `k / 100`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LorenzPoint {
    /// Welfare of the unit.
    pub welfare: f64,
    /// Cumulative population share up to and including the unit.
    pub population_share: f64,
    /// Cumulative welfare share up to and including the unit.
    pub welfare_share: f64,
}

/// Results for one domain.
#[derive(Debug, Clone)]
pub struct Estimates {
    /// Values in the order of [`NAMES`]; NaN where undefined (see `warnings`).
    pub values: [f64; N_ESTIMATES],
    /// Standard errors in the order of [`NAMES`]; `None` when not asked for; NaN where undefined.
    pub se: Option<[f64; N_ESTIMATES]>,
    /// PovcalNet's 100-point Lorenz table.
    pub lorenz: Vec<LorenzPoint>,
    /// Welfare share of each population decile (the person at a boundary is split).
    pub decile_shares: [f64; 10],
    /// Estimated population `N = sum w`.
    pub population: f64,
    /// Sample units in the domain.
    pub n_obs: usize,
    /// Documented treatments that applied (zero welfare and the like).
    pub warnings: Vec<String>,
}

impl Estimates {
    /// The value of a named estimate.
    pub fn value(&self, name: &str) -> Option<f64> {
        index_of(name).map(|i| self.values[i])
    }

    /// The standard error of a named estimate.
    pub fn se_of(&self, name: &str) -> Option<f64> {
        let i = index_of(name)?;
        self.se.map(|se| se[i])
    }
}

/// Why estimates could not be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EstimateError {
    #[error("the domain is empty (no rows, or all weights are zero)")]
    EmptyDomain,
    #[error("welfare of row {row} must be a finite number >= 0, got {value}")]
    InvalidWelfare { row: usize, value: f64 },
    #[error("weight of row {row} must be a finite number >= 0, got {value}")]
    InvalidWeight { row: usize, value: f64 },
    #[error("poverty line must be a finite number > 0, got {0}")]
    InvalidLine(f64),
    #[error("total welfare of the domain is zero; relative measures are undefined")]
    ZeroTotal,
    #[error("replicate {replicate} has {got} weights but the survey has {expected} rows")]
    ReplicateLength { replicate: usize, expected: usize, got: usize },
    #[error("replicate variance needs at least 2 replicates, got {0}")]
    TooFewReplicates(usize),
    #[error("design has {got} rows but the survey has {expected}")]
    DesignLength { expected: usize, got: usize },
    #[error(transparent)]
    Design(#[from] DesignError),
}

/// The rows of `order` for which `keep(row)` holds, in the same order.
pub fn restrict_order(order: &[u32], keep: impl Fn(u32) -> bool + Sync) -> Vec<u32> {
    order.par_iter().copied().filter(|&r| keep(r)).collect()
}

/// The data of one domain in welfare order.
pub(crate) struct Sorted {
    pub(crate) y: Vec<f64>,
    pub(crate) w: Vec<f64>,
}

impl Sorted {
    pub(crate) fn gather(
        welfare: &[f64],
        weight: &[f64],
        order: &[u32],
    ) -> Result<Sorted, EstimateError> {
        let y: Vec<f64> = order.par_iter().map(|&r| welfare[r as usize] + 0.0).collect();
        let w: Vec<f64> = order.par_iter().map(|&r| weight[r as usize]).collect();
        if let Some(i) = y.par_iter().position_first(|v| !(v.is_finite() && *v >= 0.0)) {
            return Err(EstimateError::InvalidWelfare { row: order[i] as usize, value: y[i] });
        }
        check_weights(&w, order)?;
        Ok(Sorted { y, w })
    }
}

fn check_weights(w: &[f64], order: &[u32]) -> Result<(), EstimateError> {
    if let Some(i) = w.par_iter().position_first(|v| !(v.is_finite() && *v >= 0.0)) {
        return Err(EstimateError::InvalidWeight { row: order[i] as usize, value: w[i] });
    }
    Ok(())
}

/// Point estimates and, when asked, standard errors for the domain whose rows in welfare order
/// are `order` (from [`crate::order_by_welfare`] or [`restrict_order`]).
///
/// `weight` is the person weight (household weight times household size where the welfare is per
/// capita). Rows outside `order` are ignored except for their PSU under linearisation.
///
/// # Errors
/// [`EstimateError`] on invalid welfare, weights or line, an empty domain or a zero total, and
/// [`DesignError::LonelyPsu`] when a single-PSU stratum is met with [`LonelyPsu::Fail`].
pub fn estimate(
    welfare: &[f64],
    weight: &[f64],
    order: &[u32],
    config: &Config,
    variance: Variance<'_>,
) -> Result<Estimates, EstimateError> {
    if !(config.line.is_finite() && config.line > 0.0) {
        return Err(EstimateError::InvalidLine(config.line));
    }
    let sorted = Sorted::gather(welfare, weight, order)?;
    let prefix = Prefix::new(&sorted);
    let scalars = Scalars::new(&sorted, &prefix, config)?;
    let values = scalars.cached;
    let mut warnings = scalars.warnings();
    let se = match variance {
        Variance::None => None,
        Variance::Linearized { design, lonely } => {
            if design.n_rows() != welfare.len() {
                return Err(EstimateError::DesignLength {
                    expected: welfare.len(),
                    got: design.n_rows(),
                });
            }
            let psu: Vec<u32> =
                order.par_iter().map(|&r| design.psu_of_row()[r as usize]).collect();
            let totals = scalars.psu_totals(&sorted, &prefix, &psu, design.n_psu());
            let var = design.variance_of_totals(&totals, N_ESTIMATES, lonely)?;
            let mut se = [0.0; N_ESTIMATES];
            for ((s, v), ok) in se.iter_mut().zip(&var).zip(scalars.se_defined()) {
                *s = if ok { v.sqrt() } else { f64::NAN };
            }
            if lonely != LonelyPsu::Fail {
                let lonely_strata = design.lonely_strata();
                if !lonely_strata.is_empty() {
                    warnings.push(format!(
                        "{} strata have a single PSU (ids {:?}); treated as {}",
                        lonely_strata.len(),
                        lonely_strata,
                        match lonely {
                            LonelyPsu::Remove => "contributing no variance (survey.lonely.psu = \"remove\")",
                            _ => "centred at the design's mean PSU total (survey.lonely.psu = \"adjust\")",
                        }
                    ));
                }
            }
            Some(se)
        }
        Variance::Replicate { weights } => Some(replicate_se(&sorted, weights, order, config)?),
    };
    Ok(Estimates {
        values,
        se,
        lorenz: scalars.lorenz_table(&sorted, &prefix),
        decile_shares: scalars.decile_shares(&sorted, &prefix),
        population: scalars.n,
        n_obs: sorted.y.len(),
        warnings,
    })
}

fn replicate_se(
    sorted: &Sorted,
    weights: &[Vec<f64>],
    order: &[u32],
    config: &Config,
) -> Result<[f64; N_ESTIMATES], EstimateError> {
    let n_rep = weights.len();
    if n_rep < 2 {
        return Err(EstimateError::TooFewReplicates(n_rep));
    }
    let mut reps = Vec::with_capacity(n_rep);
    for (r, rep) in weights.iter().enumerate() {
        // Replicate weights are indexed by row; a row outside the domain is never read.
        if let Some(&row) = order.iter().find(|&&row| row as usize >= rep.len()) {
            return Err(EstimateError::ReplicateLength {
                replicate: r,
                expected: row as usize + 1,
                got: rep.len(),
            });
        }
        let w: Vec<f64> = order.par_iter().map(|&row| rep[row as usize]).collect();
        check_weights(&w, order)?;
        let replicate = Sorted { y: sorted.y.clone(), w };
        let prefix = Prefix::new(&replicate);
        let values = Scalars::new(&replicate, &prefix, config)
            .map(|s| s.cached)
            .unwrap_or([f64::NAN; N_ESTIMATES]);
        reps.push(values);
    }
    let mut se = [0.0; N_ESTIMATES];
    for (j, s) in se.iter_mut().enumerate() {
        let mean = reps.iter().map(|v| v[j]).sum::<f64>() / n_rep as f64;
        let ss: f64 = reps.iter().map(|v| (v[j] - mean).powi(2)).sum();
        *s = (ss / (n_rep as f64 - 1.0)).sqrt();
    }
    Ok(se)
}

/// Units between two kept values of the running sums.
const MARK_EVERY: usize = 64;

/// Inclusive running sums of `w` and `w y` in welfare order.
///
/// They are read at a few hundred points and in order by the passes, so only their values before
/// every [`MARK_EVERY`]-th unit of a chunk are kept: [`Prefix::cum`] and [`Running`] continue from
/// there with the same additions in the same order, so every value is the same double as a full
/// array would hold, without two domain-sized buffers whose fresh pages cost more than the adds.
/// Quantiles search the running weight: where it is not monotone (rounding at a chunk boundary
/// can make it so), the full array is kept and searched as before.
pub(crate) struct Prefix {
    /// Units per chunk of the parallel prefix sum.
    chunk: usize,
    /// Running sums of all chunks before each chunk.
    offsets: Vec<(f64, f64)>,
    /// Running sums before unit `c * chunk + k * MARK_EVERY`, at `c * marks_per_chunk + k`.
    marks: Vec<(f64, f64)>,
    marks_per_chunk: usize,
    /// The running weight of every unit, only when it is not monotone.
    cum_w: Option<Vec<f64>>,
    n: usize,
}

impl Prefix {
    pub(crate) fn new(sorted: &Sorted) -> Prefix {
        let n = sorted.y.len();
        let chunk = chunk_len(n);
        let sums: Vec<(f64, f64)> = sorted
            .w
            .par_chunks(chunk)
            .zip(sorted.y.par_chunks(chunk))
            .map(|(w, y)| w.iter().zip(y).fold((0.0, 0.0), |(a, b), (w, y)| (a + w, b + w * y)))
            .collect();
        let mut offsets = Vec::with_capacity(sums.len());
        let (mut a, mut b) = (0.0, 0.0);
        for (sw, st) in sums {
            offsets.push((a, b));
            a += sw;
            b += st;
        }
        let marks_per_chunk = chunk.div_ceil(MARK_EVERY);
        let mut marks = vec![(0.0, 0.0); offsets.len() * marks_per_chunk];
        // Each chunk's first and last running weight, to check monotonicity across chunks.
        let ends: Vec<(f64, f64)> = marks
            .par_chunks_mut(marks_per_chunk)
            .zip(sorted.w.par_chunks(chunk).zip(sorted.y.par_chunks(chunk)))
            .zip(&offsets)
            .map(|((marks, (w, y)), &(mut a, mut b))| {
                let first = a + w[0];
                for i in 0..w.len() {
                    if i % MARK_EVERY == 0 {
                        marks[i / MARK_EVERY] = (a, b);
                    }
                    a += w[i];
                    b += w[i] * y[i];
                }
                (first, a)
            })
            .collect();
        let monotone = ends.windows(2).all(|pair| pair[0].1 <= pair[1].0);
        let mut prefix = Prefix { chunk, offsets, marks, marks_per_chunk, cum_w: None, n };
        if !monotone {
            let mut running = Running::before(&prefix, sorted, 0);
            prefix.cum_w = Some((0..n).map(|i| running.step(sorted.w[i], sorted.y[i]).0).collect());
        }
        prefix
    }

    /// The running sums of `w` and `w y` through unit `i` (inclusive).
    fn cum(&self, sorted: &Sorted, i: usize) -> (f64, f64) {
        let (c, k) = (i / self.chunk, (i % self.chunk) / MARK_EVERY);
        let from = c * self.chunk + k * MARK_EVERY;
        let (mut a, mut b) = self.marks[c * self.marks_per_chunk + k];
        for j in from..=i {
            a += sorted.w[j];
            b += sorted.w[j] * sorted.y[j];
        }
        (a, b)
    }

    /// The running sums before unit `i`.
    fn before(&self, sorted: &Sorted, i: usize) -> (f64, f64) {
        if i == 0 { (0.0, 0.0) } else { self.cum(sorted, i - 1) }
    }

    /// The first unit whose running weight is `>= target` (the last unit if none), as
    /// `partition_point` finds it on the full array.
    fn first_reaching(&self, sorted: &Sorted, target: f64) -> usize {
        if let Some(cum_w) = &self.cum_w {
            return cum_w.partition_point(|&c| c < target).min(self.n - 1);
        }
        // Monotone: find the first block whose last unit reaches the target, then the unit.
        let n_blocks = self.n.div_ceil(MARK_EVERY);
        let block_end = |g: usize| ((g + 1) * MARK_EVERY).min(self.n) - 1;
        let (mut block, mut above) = (0, n_blocks);
        while block < above {
            let mid = block + (above - block) / 2;
            if self.cum(sorted, block_end(mid)).0 < target {
                block = mid + 1;
            } else {
                above = mid;
            }
        }
        if block == n_blocks {
            return self.n - 1;
        }
        let start = block * MARK_EVERY;
        let mut running = Running::before(self, sorted, start);
        for i in start..=block_end(block) {
            if running.step(sorted.w[i], sorted.y[i]).0 >= target {
                return i;
            }
        }
        block_end(block)
    }
}

/// The running sums of `w` and `w y` through the units of a pass, one unit after another, equal
/// to [`Prefix::cum`] at every unit.
#[derive(Clone, Copy)]
struct Running<'a> {
    prefix: &'a Prefix,
    /// The next unit.
    next: usize,
    /// The running sums through the unit before `next`.
    value: (f64, f64),
}

impl<'a> Running<'a> {
    /// Positioned before unit `i`.
    fn before(prefix: &'a Prefix, sorted: &Sorted, i: usize) -> Running<'a> {
        Running { prefix, next: i, value: prefix.before(sorted, i) }
    }

    /// Adds the next unit, whose weight and welfare are `w` and `y`, and returns the running sums
    /// through it.
    fn step(&mut self, w: f64, y: f64) -> (f64, f64) {
        if self.next.is_multiple_of(self.prefix.chunk) {
            self.value = self.prefix.offsets[self.next / self.prefix.chunk];
        }
        self.value.0 += w;
        self.value.1 += w * y;
        self.next += 1;
        self.value
    }
}

fn chunk_len(n: usize) -> usize {
    (n / (4 * rayon::current_num_threads().max(1))).max(1 << 15)
}

/// Chunk boundaries that never split a run of tied welfare values.
fn tie_aligned_chunks(y: &[f64]) -> Vec<(usize, usize)> {
    let n = y.len();
    let chunk = chunk_len(n);
    let mut bounds = vec![0];
    let mut b = chunk;
    while b < n {
        while b < n && y[b].to_bits() == y[b - 1].to_bits() {
            b += 1;
        }
        if b < n {
            bounds.push(b);
        }
        b += chunk;
    }
    bounds.push(n);
    bounds.windows(2).map(|p| (p[0], p[1])).collect()
}

/// Calls `f(start, end)` for every run of tied values within `[from, to)`.
fn for_each_tie_group(y: &[f64], from: usize, to: usize, mut f: impl FnMut(usize, usize)) {
    let mut s = from;
    while s < to {
        let mut e = s + 1;
        while e < to && y[e].to_bits() == y[s].to_bits() {
            e += 1;
        }
        f(s, e);
        s = e;
    }
}

/// Weighted sums over the domain that are not rank-based.
#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    /// `sum w y^2`
    s2: f64,
    /// `sum w y ln y` over `y > 0` (Theil)
    ylny: f64,
    /// `sum w ln y'`, `y' = y` if `y > 0` else 1 (PIP's MLD convention)
    ln_pip: f64,
    /// `sum w ln y` over `y > 0`
    ln_pos: f64,
    /// weight with `y = 0`
    w_zero: f64,
    /// `sum w sqrt(y)`
    sqrt: f64,
    /// `sum w / y` over `y > 0`
    inv: f64,
    /// `sum w g`, `sum w g^2` with `g = (z - y) / z` over the poor
    gap1: f64,
    gap2: f64,
    /// `sum w ln(z / y)` over the poor with `y > 0`
    watts: f64,
    /// weight of the poor with `y = 0`
    w_poor_zero: f64,
    /// `sum w y W_i` (convey's Gini `T1`)
    t1_convey: f64,
}

impl Sums {
    fn add(mut self, o: Sums) -> Sums {
        self.s2 += o.s2;
        self.ylny += o.ylny;
        self.ln_pip += o.ln_pip;
        self.ln_pos += o.ln_pos;
        self.w_zero += o.w_zero;
        self.sqrt += o.sqrt;
        self.inv += o.inv;
        self.gap1 += o.gap1;
        self.gap2 += o.gap2;
        self.watts += o.watts;
        self.w_poor_zero += o.w_poor_zero;
        self.t1_convey += o.t1_convey;
        self
    }
}

/// Rank-based sums over tie groups (`W_b` the weight before the group, `m` its weight).
#[derive(Debug, Clone, Copy, Default)]
struct RankSums {
    /// `sum_g y_g (W_b m + m^2 / 2)` over all groups (PIP Gini).
    t1: f64,
    /// The same over the poor.
    t1_poor: f64,
    /// `sum_g gap_g (W_b m + m^2 / 2)` over the poor (SST's Gini of gaps).
    s_gap: f64,
}

/// A quantile with what its linearisation needs.
#[derive(Debug, Clone, Copy)]
struct Quantile {
    p: f64,
    value: f64,
    /// Kernel estimate of the density at the quantile (convey's `densfun`).
    density: f64,
    /// `sum w y` over `y <= value`.
    t_le: f64,
}

/// Generalised Lorenz ordinate `GL(p) = int_0^p Q(u) du * N`, splitting the unit at the boundary.
#[derive(Debug, Clone, Copy)]
struct Lorenz {
    p: f64,
    /// Welfare of the boundary unit.
    q: f64,
    /// `sum w y` of the poorest `p N` people.
    total: f64,
}

/// Everything the estimates and their linearised variables are built from.
struct Scalars {
    config: Config,
    n: f64,
    t: f64,
    sums: Sums,
    ranks: RankSums,
    /// Number of poor units (a prefix of the welfare order).
    n_poor_units: usize,
    w_poor: f64,
    t_poor: f64,
    quantiles: [Quantile; 7],
    lorenz: [Lorenz; 4],
    /// The estimates themselves, computed once.
    cached: [f64; N_ESTIMATES],
}

impl Scalars {
    fn new(sorted: &Sorted, prefix: &Prefix, config: &Config) -> Result<Scalars, EstimateError> {
        let (y, w) = (&sorted.y, &sorted.w);
        let n_units = y.len();
        if n_units == 0 {
            return Err(EstimateError::EmptyDomain);
        }
        let (n, t) = prefix.cum(sorted, n_units - 1);
        if n <= 0.0 {
            return Err(EstimateError::EmptyDomain);
        }
        if t <= 0.0 {
            return Err(EstimateError::ZeroTotal);
        }
        let z = config.line;
        let n_poor_units = match config.poor_if {
            PoorIf::Below => y.partition_point(|&v| v < z),
            PoorIf::AtOrBelow => y.partition_point(|&v| v <= z),
        };
        let chunks = tie_aligned_chunks(y);
        let (sums, ranks) = chunks
            .par_iter()
            .map(|&(from, to)| {
                let mut s = Sums::default();
                let mut r = RankSums::default();
                let mut running = Running::before(prefix, sorted, from);
                for i in from..to {
                    let (yi, wi) = (y[i], w[i]);
                    let (cum_w, _) = running.step(wi, yi);
                    s.s2 += wi * yi * yi;
                    s.sqrt += wi * yi.sqrt();
                    s.t1_convey += wi * yi * cum_w;
                    if yi > 0.0 {
                        let ln = yi.ln();
                        s.ylny += wi * yi * ln;
                        s.ln_pip += wi * ln;
                        s.ln_pos += wi * ln;
                        s.inv += wi / yi;
                    } else {
                        s.w_zero += wi;
                    }
                    if i < n_poor_units {
                        let g = (z - yi) / z;
                        s.gap1 += wi * g;
                        s.gap2 += wi * g * g;
                        if yi > 0.0 {
                            s.watts += wi * (z / yi).ln();
                        } else {
                            s.w_poor_zero += wi;
                        }
                    }
                }
                let mut running = Running::before(prefix, sorted, from);
                for_each_tie_group(y, from, to, |s0, e| {
                    let wb = running.value.0;
                    let mut w_end = wb;
                    for i in s0..e {
                        w_end = running.step(w[i], y[i]).0;
                    }
                    let m = w_end - wb;
                    let yg = y[s0];
                    let term = wb * m + m * m / 2.0;
                    r.t1 += yg * term;
                    if e <= n_poor_units {
                        r.t1_poor += yg * term;
                        r.s_gap += (z - yg) / z * term;
                    }
                });
                (s, r)
            })
            .reduce(
                || (Sums::default(), RankSums::default()),
                |(a, ra), (b, rb)| {
                    (
                        a.add(b),
                        RankSums {
                            t1: ra.t1 + rb.t1,
                            t1_poor: ra.t1_poor + rb.t1_poor,
                            s_gap: ra.s_gap + rb.s_gap,
                        },
                    )
                },
            );
        let (w_poor, t_poor) =
            if n_poor_units == 0 { (0.0, 0.0) } else { prefix.cum(sorted, n_poor_units - 1) };
        // convey's `h_fun`: h = sd / N^(1/5), sd the weighted population standard deviation.
        let sd = ((sums.s2 - t * t / n) / n).max(0.0).sqrt();
        let h = sd / n.powf(0.2);
        let quantiles = QUANTILE_P.map(|p| {
            let i = quantile_index(sorted, prefix, p, n);
            let value = y[i];
            // All units tied with the quantile are `<= value`.
            let last_le = y.partition_point(|&v| v <= value);
            Quantile {
                p,
                value,
                density: kernel_density(y, w, value, h, n),
                t_le: prefix.cum(sorted, last_le - 1).1,
            }
        });
        let lorenz = LORENZ_P.map(|p| generalised_lorenz(sorted, prefix, p, n));
        let mut scalars = Scalars {
            config: *config,
            n,
            t,
            sums,
            ranks,
            n_poor_units,
            w_poor,
            t_poor,
            quantiles,
            lorenz,
            cached: [f64::NAN; N_ESTIMATES],
        };
        scalars.cached = scalars.values();
        Ok(scalars)
    }

    fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.sums.w_zero > 0.0 {
            out.push(format!(
                "{:.6} of the weight has zero welfare: mld replaces zero welfare by 1 in the \
                 logarithm (PIP convention); atkinson_1 and atkinson_2 are 1 with no standard error",
                self.sums.w_zero / self.n
            ));
        }
        if self.sums.w_poor_zero > 0.0 {
            out.push(format!(
                "{:.6} of the weight is poor with zero welfare: these units add nothing to watts \
                 (ln(z/0) is infinite); they count in every other poverty measure",
                self.sums.w_poor_zero / self.n
            ));
        }
        if self.quantiles.iter().any(|q| q.density.is_nan() || q.density <= 0.0) {
            out.push(
                "the kernel density at a quantile is zero (all welfare equal?): quantile standard \
                 errors are undefined"
                    .to_owned(),
            );
        }
        out
    }

    /// Gini of the poor (PIP form), 0 when there are no poor or they all have zero welfare.
    fn gini_poor(&self) -> f64 {
        if self.w_poor > 0.0 && self.t_poor > 0.0 {
            2.0 * self.ranks.t1_poor / (self.w_poor * self.t_poor) - 1.0
        } else {
            0.0
        }
    }

    fn values(&self) -> [f64; N_ESTIMATES] {
        let (n, t, s) = (self.n, self.t, &self.sums);
        let mu = t / n;
        let mut v = [f64::NAN; N_ESTIMATES];
        v[MEAN] = mu;
        let p0 = self.w_poor / n;
        let p1 = s.gap1 / n;
        v[FGT0] = p0;
        v[FGT1] = p1;
        v[FGT2] = s.gap2 / n;
        v[N_POOR] = self.w_poor;
        v[WATTS] = s.watts / n;
        // Sen (1976), asymptotic form: S = H [I + (1 - I) G_p] = P1 + (P0 - P1) G_p.
        v[SEN] = p1 + (p0 - p1) * self.gini_poor();
        // Shorrocks (1995): SST = P0 * I * (1 + G(gaps)) = 2 Tg / N - 2 S_g / N^2 (module docs).
        v[SST] = 2.0 * s.gap1 / n - 2.0 * self.ranks.s_gap / (n * n);
        v[GINI] = match self.config.gini {
            GiniForm::Pip => 2.0 * self.ranks.t1 / (n * t) - 1.0,
            GiniForm::Convey => (2.0 * s.t1_convey - t) / (n * t) - 1.0,
        };
        // Generalised entropy (Shorrocks 1980): GE(0) = mean ln(mu / y), GE(1) = mean (y/mu) ln(y/mu),
        // GE(2) = (mean y^2 / mu^2 - 1) / 2.
        v[MLD] = mu.ln() - s.ln_pip / n;
        v[THEIL] = s.ylny / t - mu.ln();
        v[GE2] = 0.5 * (s.s2 * n / (t * t) - 1.0);
        // Atkinson (1970): A(e) = 1 - EDE / mu.
        v[ATK05] = 1.0 - (s.sqrt / n).powi(2) / mu;
        v[ATK1] = if s.w_zero > 0.0 { 1.0 } else { 1.0 - (s.ln_pos / n).exp() / mu };
        v[ATK2] = if s.w_zero > 0.0 { 1.0 } else { 1.0 - (n / s.inv) / mu };
        let q = |k: usize| self.quantiles[k].value;
        v[MEDIAN] = q(Q50);
        for k in 0..7 {
            v[Q_FIRST + k] = q(k);
        }
        v[P90_P10] = q(Q90) / q(Q10);
        v[P90_P50] = q(Q90) / q(Q50);
        v[P50_P10] = q(Q50) / q(Q10);
        v[P75_P25] = q(Q75) / q(Q25);
        // Eurostat S80/S20 (ilc_di11): income above the 80th percentile over income at or below the 20th.
        v[S80S20_T] = (t - self.quantiles[Q80].t_le) / self.quantiles[Q20].t_le;
        let gl = |k: usize| self.lorenz[k].total;
        v[S80S20_L] = (t - gl(GL80)) / gl(GL20);
        // Palma (Cobham and Sumner 2013): share of the top 10 % over the share of the bottom 40 %.
        v[PALMA] = (t - gl(GL90)) / gl(GL40);
        v[BOTTOM40] = gl(GL40) / t;
        v
    }

    /// Which standard errors are defined.
    fn se_defined(&self) -> [bool; N_ESTIMATES] {
        let mut ok = [true; N_ESTIMATES];
        if self.sums.w_zero > 0.0 {
            ok[ATK1] = false;
            ok[ATK2] = false;
        }
        let bad_q = |k: usize| {
            let d = self.quantiles[k].density;
            d.is_nan() || d <= 0.0
        };
        for k in 0..7 {
            ok[Q_FIRST + k] = !bad_q(k);
        }
        ok[MEDIAN] = !bad_q(Q50);
        ok[P90_P10] = !(bad_q(Q90) || bad_q(Q10));
        ok[P90_P50] = !(bad_q(Q90) || bad_q(Q50));
        ok[P50_P10] = !(bad_q(Q50) || bad_q(Q10));
        ok[P75_P25] = !(bad_q(Q75) || bad_q(Q25));
        ok
    }

    /// Sums of `w_k z_k` per PSU for every estimate (`out[psu * N_ESTIMATES + j]`).
    fn psu_totals(&self, sorted: &Sorted, prefix: &Prefix, psu: &[u32], n_psu: usize) -> Vec<f64> {
        let (y, w) = (&sorted.y, &sorted.w);
        let chunks = tie_aligned_chunks(y);
        let constants = self.score_constants();
        chunks
            .par_iter()
            .fold(
                || vec![0.0; n_psu * N_ESTIMATES],
                |mut acc, &(from, to)| {
                    let mut z = [0.0; N_ESTIMATES];
                    let mut running = Running::before(prefix, sorted, from);
                    for_each_tie_group(y, from, to, |s0, e| {
                        // The group's end first, then its units again from the same point.
                        let mut unit = running;
                        let (mut w_end, mut t_end) = running.value;
                        for i in s0..e {
                            (w_end, t_end) = running.step(w[i], y[i]);
                        }
                        let group = Group { w_end, t_end, poor: s0 < self.n_poor_units };
                        for i in s0..e {
                            let (cw, ct) = unit.step(w[i], y[i]);
                            self.scores(&constants, y[i], w[i], cw, ct, &group, &mut z);
                            let row = &mut acc[psu[i] as usize * N_ESTIMATES..][..N_ESTIMATES];
                            for (a, zj) in row.iter_mut().zip(&z) {
                                *a += w[i] * zj;
                            }
                        }
                    });
                    acc
                },
            )
            .reduce(
                || vec![0.0; n_psu * N_ESTIMATES],
                |mut a, b| {
                    for (x, y) in a.iter_mut().zip(b) {
                        *x += y;
                    }
                    a
                },
            )
    }

    /// Constants of the linearised variables, computed once per domain.
    fn score_constants(&self) -> ScoreConstants {
        let (n, t, s) = (self.n, self.t, &self.sums);
        let v = &self.cached;
        let (np, tp) = (self.w_poor, self.t_poor);
        let poor_gini = np > 0.0 && tp > 0.0;
        let mut q_scale = [0.0; 7];
        for (scale, q) in q_scale.iter_mut().zip(&self.quantiles) {
            *scale = if q.density > 0.0 { -1.0 / (n * q.density) } else { 0.0 };
        }
        ScoreConstants {
            inv_n: 1.0 / n,
            inv_t: 1.0 / t,
            mu: t / n,
            inv_line: 1.0 / self.config.line,
            gp: self.gini_poor(),
            sen_a: v[FGT0] - v[FGT1],
            poor_gini,
            inv_nptp: if poor_gini { 1.0 / (np * tp) } else { 0.0 },
            poor_gini_c: if poor_gini { 2.0 * self.ranks.t1_poor / (np * tp).powi(2) } else { 0.0 },
            inv_nt: 1.0 / (n * t),
            gini_c: 2.0 * self.ranks.t1 / (n * t).powi(2),
            convey_c: (2.0 * s.t1_convey - t) / (n * t).powi(2),
            inv_n2: 1.0 / (n * n),
            inv_n3: 1.0 / (n * n * n),
            inv_t2: 1.0 / (t * t),
            ln_pip_mean: s.ln_pip / n,
            ln_pos_mean: s.ln_pos / n,
            sqrt_mean: s.sqrt / n,
            geo: if s.w_zero > 0.0 { 0.0 } else { (s.ln_pos / n).exp() },
            inv_inv: 1.0 / s.inv,
            q_scale,
        }
    }

    /// The linearised variables `z_k = d theta / d w_k` of one unit with welfare `yk`, weight `wk`,
    /// inclusive running sums `cw`, `ct` and tie group `group`.
    #[expect(clippy::too_many_arguments, reason = "one unit's data, passed in registers")]
    fn scores(
        &self,
        c: &ScoreConstants,
        yk: f64,
        wk: f64,
        cw: f64,
        ct: f64,
        group: &Group,
        z: &mut [f64; N_ESTIMATES],
    ) {
        let (n, t, s) = (self.n, self.t, &self.sums);
        let zl = self.config.line;
        let v = &self.cached;
        let inv_n = c.inv_n;
        z[MEAN] = (yk - c.mu) * inv_n;
        let poor = group.poor;
        let gap = if poor { (zl - yk) * c.inv_line } else { 0.0 };
        let ln_y = if yk > 0.0 { yk.ln() } else { 0.0 };
        let dp0 = (f64::from(u8::from(poor)) - v[FGT0]) * inv_n;
        let dp1 = (gap - v[FGT1]) * inv_n;
        z[FGT0] = dp0;
        z[FGT1] = dp1;
        z[FGT2] = (gap * gap - v[FGT2]) * inv_n;
        z[N_POOR] = f64::from(u8::from(poor));
        let watts_k = if poor && yk > 0.0 { zl.ln() - ln_y } else { 0.0 };
        z[WATTS] = (watts_k - v[WATTS]) * inv_n;
        // Sen: d(P1 + (P0 - P1) Gp) with Gp = 2 T1p / (Np Tp) - 1 (PIP Gini of the poor).
        let dgp = if poor && c.poor_gini {
            let dt1 = yk * group.w_end + (self.t_poor - group.t_end);
            2.0 * dt1 * c.inv_nptp - c.poor_gini_c * (self.t_poor + self.w_poor * yk)
        } else {
            0.0
        };
        z[SEN] = dp1 + (dp0 - dp1) * c.gp + c.sen_a * dgp;
        // SST = 2 Tg / N - 2 S_g / N^2, with dS_g = gap_k W_end + (Tg - Tg_end) over the poor.
        let ds_gap = if poor {
            let tg_end = group.w_end - group.t_end * c.inv_line;
            gap * group.w_end + (s.gap1 - tg_end)
        } else {
            0.0
        };
        z[SST] = 2.0 * gap * inv_n - 2.0 * (s.gap1 + ds_gap) * c.inv_n2
            + 4.0 * self.ranks.s_gap * c.inv_n3;
        z[GINI] = match self.config.gini {
            GiniForm::Pip => {
                // d T1 / d w_k = y_k W_end(g) + sum of w y above the group (Deville 1999).
                let dt1 = yk * group.w_end + (t - group.t_end);
                2.0 * dt1 * c.inv_nt - c.gini_c * (t + n * yk)
            }
            GiniForm::Convey => {
                // convey `CalcGini_IF`: lin(T1) = Y - G_k + y_k w_k + W_k y_k (Osier 2009, eq. 3.8).
                let dt1 = t - ct + yk * wk + cw * yk;
                (2.0 * dt1 - yk) * c.inv_nt - c.convey_c * (n * yk + t)
            }
        };
        let y_t = yk * c.inv_t;
        z[MLD] = y_t - inv_n - (ln_y - c.ln_pip_mean) * inv_n;
        z[THEIL] = yk * ln_y * c.inv_t - s.ylny * yk * c.inv_t2 - (y_t - inv_n);
        z[GE2] = 0.5 * c.inv_t2 * (yk * yk * n + s.s2 - 2.0 * s.s2 * n * y_t);
        let atk =
            |ede: f64, dede: f64| -(dede * n * c.inv_t + ede * c.inv_t - ede * n * yk * c.inv_t2);
        let m = c.sqrt_mean;
        z[ATK05] = atk(m * m, 2.0 * m * (yk.sqrt() - m) * inv_n);
        if s.w_zero > 0.0 {
            z[ATK1] = 0.0;
            z[ATK2] = 0.0;
        } else {
            let g = c.geo;
            z[ATK1] = atk(g, g * (ln_y - c.ln_pos_mean) * inv_n);
            let h = n * c.inv_inv;
            z[ATK2] = atk(h, c.inv_inv - n * c.inv_inv * c.inv_inv / yk);
        }
        // Quantiles: convey `svyiqalpha`, z = -(1[y <= q] - p) / (N f(q)).
        let mut dq = [0.0; 7];
        for (k, q) in self.quantiles.iter().enumerate() {
            let below = f64::from(u8::from(yk <= q.value));
            dq[k] = (below - q.p) * c.q_scale[k];
            z[Q_FIRST + k] = dq[k];
        }
        z[MEDIAN] = dq[Q50];
        let ratio = |a: usize, b: usize| {
            let (qa, qb) = (self.quantiles[a].value, self.quantiles[b].value);
            (dq[a] - qa / qb * dq[b]) / qb
        };
        z[P90_P10] = ratio(Q90, Q10);
        z[P90_P50] = ratio(Q90, Q50);
        z[P50_P10] = ratio(Q50, Q10);
        z[P75_P25] = ratio(Q75, Q25);
        // Income below a quantile: d/dw_k = y_k 1[y_k <= q] - q (1[y_k <= q] - p); the density
        // terms cancel (Osier 2009, section 4.3; Deville 1999).
        let d_t_le = |k: usize| {
            let q = &self.quantiles[k];
            let below = f64::from(u8::from(yk <= q.value));
            yk * below - q.value * (below - q.p)
        };
        let num = t - self.quantiles[Q80].t_le;
        let den = self.quantiles[Q20].t_le;
        z[S80S20_T] = ((yk - d_t_le(Q80)) - num / den * d_t_le(Q20)) / den;
        // Generalised Lorenz: d GL(p) / d w_k = q p - (q - y_k)^+.
        let d_gl = |k: usize| {
            let l = &self.lorenz[k];
            l.q * l.p - (l.q - yk).max(0.0)
        };
        let gl = |k: usize| self.lorenz[k].total;
        let top_share_ratio = |top: usize, bottom: usize| {
            let num = t - gl(top);
            ((yk - d_gl(top)) - num / gl(bottom) * d_gl(bottom)) / gl(bottom)
        };
        z[S80S20_L] = top_share_ratio(GL80, GL20);
        z[PALMA] = top_share_ratio(GL90, GL40);
        z[BOTTOM40] = (d_gl(GL40) - gl(GL40) * y_t) * c.inv_t;
    }

    fn lorenz_table(&self, sorted: &Sorted, prefix: &Prefix) -> Vec<LorenzPoint> {
        (1..=100)
            .map(|k| {
                let i = quantile_index(sorted, prefix, f64::from(k) / 100.0, self.n);
                let (cum_w, cum_t) = prefix.cum(sorted, i);
                LorenzPoint {
                    welfare: sorted.y[i],
                    population_share: cum_w / self.n,
                    welfare_share: cum_t / self.t,
                }
            })
            .collect()
    }

    fn decile_shares(&self, sorted: &Sorted, prefix: &Prefix) -> [f64; 10] {
        let gl = |d: u8| {
            if d == 0 {
                0.0
            } else if d == 10 {
                self.t
            } else {
                generalised_lorenz(sorted, prefix, f64::from(d) / 10.0, self.n).total
            }
        };
        let mut out = [0.0; 10];
        for (d, share) in (1u8..).zip(out.iter_mut()) {
            *share = (gl(d) - gl(d - 1)) / self.t;
        }
        out
    }
}

/// Reciprocals and products that every unit's linearised variables share.
struct ScoreConstants {
    inv_n: f64,
    inv_t: f64,
    mu: f64,
    inv_line: f64,
    gp: f64,
    sen_a: f64,
    poor_gini: bool,
    inv_nptp: f64,
    poor_gini_c: f64,
    inv_nt: f64,
    gini_c: f64,
    convey_c: f64,
    inv_n2: f64,
    inv_n3: f64,
    inv_t2: f64,
    ln_pip_mean: f64,
    ln_pos_mean: f64,
    sqrt_mean: f64,
    geo: f64,
    inv_inv: f64,
    q_scale: [f64; 7],
}

/// The tie group of a unit, for rank-based linearisation.
struct Group {
    /// Cumulative weight and welfare through the end of the group.
    w_end: f64,
    t_end: f64,
    poor: bool,
}

/// Index of the type-1 quantile: the first unit with `W_i >= p N` (Hyndman and Fan 1996,
/// definition 1, with weights).
fn quantile_index(sorted: &Sorted, prefix: &Prefix, p: f64, n: f64) -> usize {
    let target = p * n - CDF_TOLERANCE * n;
    prefix.first_reaching(sorted, target)
}

/// Gaussian kernel density at `x` with bandwidth `h` (convey `densfun`, `FUN = "F"`); units more
/// than 10 bandwidths away, whose kernel is below `2e-22` of its peak, are skipped.
fn kernel_density(y: &[f64], w: &[f64], x: f64, h: f64, n: f64) -> f64 {
    if h.is_nan() || h <= 0.0 {
        return 0.0;
    }
    let lo = y.partition_point(|&v| v < x - 10.0 * h);
    let hi = y.partition_point(|&v| v <= x + 10.0 * h);
    let sum: f64 = (lo..hi)
        .into_par_iter()
        .map(|i| {
            let u = (x - y[i]) / h;
            w[i] * (-(u * u) / 2.0).exp()
        })
        .sum();
    sum / (2.0 * std::f64::consts::PI).sqrt() / (n * h)
}

fn generalised_lorenz(sorted: &Sorted, prefix: &Prefix, p: f64, n: f64) -> Lorenz {
    let (y, mass) = (&sorted.y, p * n);
    let j = quantile_index(sorted, prefix, p, n);
    let (w_before, t_before) = prefix.before(sorted, j);
    let total = t_before + (mass - w_before).max(0.0) * y[j];
    Lorenz { p, q: y[j], total }
}

#[cfg(test)]
mod tests;

/// The 95 % normal confidence interval `value ± 1.959964 se` of an estimate; `None` when the
/// value or its standard error is missing or not finite.
pub fn ci95(value: f64, se: Option<f64>) -> Option<(f64, f64)> {
    let se = se.filter(|s| s.is_finite())?;
    value
        .is_finite()
        .then_some((value - 1.959_963_984_540_054 * se, value + 1.959_963_984_540_054 * se))
}
