//! Balassa RCA, presence, diversity and ubiquity, ECI and PCI by the eigenvector method, density,
//! complexity outlook index (COI) and gain (COG), for one period.
//!
//! # Formulas
//! With `x[c][p]` the exports of location `c` in product `p` (Hausmann, Hidalgo et al., *The Atlas of
//! Economic Complexity*, 2014, "Technical Box" 1-5; py-ecomplexity 0.5.3 `ecomplexity.py`):
//! - `RCA[c][p] = (x[c][p] / sum_p x[c][p]) / (sum_c x[c][p] / sum_cp x)` (Balassa 1965);
//! - presence `M[c][p] = 1` when `RCA[c][p] >= threshold` (default 1), else 0;
//! - diversity `k_c = sum_p M[c][p]`, ubiquity `k_p = sum_c M[c][p]`;
//! - `M~pp = U^-1 M^T D^-1 M` with `D = diag(k_c)`, `U = diag(k_p)`; PCI is its eigenvector of the
//!   second-largest eigenvalue, and ECI the average PCI of a location's products, `D^-1 M PCI`;
//! - density `w[c][p] = sum_q M[c][q] phi[p][q] / sum_q phi[p][q]` (Hidalgo et al. 2007);
//! - `COI[c] = sum_p w[c][p] (1 - M[c][p]) PCI[p]`;
//! - `COG[c][p] = (1 - M[c][p]) sum_q (1 - M[c][q]) phi[q][p] PCI[q] / sum_r phi[q][r]`.
//!
//! # The eigenvector method, from the symmetric location-side matrix
//! `M~cc = D^-1 M U^-1 M^T` and `M~pp` share their non-zero eigenvalues. `M~cc` is similar to the
//! symmetric positive semi-definite `S = D^-1/2 M U^-1 M^T D^-1/2 = A A^T` with
//! `A = D^-1/2 M U^-1/2`: if `S v = l v` then `M~cc (D^-1/2 v) = l (D^-1/2 v)`. So we solve the small
//! `locations x locations` symmetric problem (Jacobi, see `eigen.rs`) instead of a general
//! `products x products` one, take `v` of the second-largest eigenvalue, set `kc = D^-1/2 v`, recover
//! the product vector as `kp = U^-1 M^T kc` (then `M~pp kp = U^-1 M^T M~cc kc = l kp`), and recompute
//! `kc = D^-1 M kp` exactly as py-ecomplexity does from its `kp`. Every output below is invariant to
//! the scale of the eigenvector, and its sign is fixed by making ECI correlate positively with
//! diversity (py-ecomplexity; *Atlas*, box 5), so the results equal py-ecomplexity's.
//!
//! # Standardisation ([`Convention`])
//! - py-ecomplexity: `eci = (kc - mean(kc)) / sd(kc)`, `pci = (kp - mean(kc)) / sd(kc)`,
//!   `cog = cog / sd(kc)`, `coi = (coi - mean(coi)) / sd(coi)`, with population standard deviations
//!   over locations (numpy's `std`), and proximity diagonal 1.
//! - Stata `ecomplexity`: the same but the standard deviations are sample ones over all rows of the
//!   rectangular `location x product` table (`n_locations * n_products` rows), and `phi[p][p] = 0`.
//!
//! # Missing values
//! Locations or products with zero total value have no RCA (NaN) and NaN in every derived column.
//! A location with diversity 0 (or product with ubiquity 0, possible with a threshold above 1) gets
//! NaN ECI (PCI) and a [`ComplexityWarning`]; everybody else keeps their numbers (py-ecomplexity
//! turns the whole period into NaN). NaN PCIs count as 0 in COI and COG.

use ndarray::{Array1, Array2, ArrayView2, Axis, CowArray, Ix2};
use rayon::prelude::*;

use crate::eigen::symmetric_eigen;
use crate::neighbours::{Divisor, Holders, neighbour_sums};
use crate::proximity::{ProximityKind, continuous_proximity, discrete_proximity};

/// How presence `M[c][p]` and the density weights are derived from RCA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Presence {
    /// `M = 1` when `RCA >= threshold`; discrete proximity; density weights `M`.
    #[default]
    Rca,
    /// `M` as for [`Presence::Rca`] (for diversity, ubiquity, ECI, PCI, COI, COG), but proximity is
    /// the continuous RCA correlation and density weights are the RCA values themselves
    /// (py-ecomplexity `continuous=True`).
    Continuous,
}

/// Which published implementation's normalisation to follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Convention {
    /// py-ecomplexity 0.5.3 (the Atlas): population sd over locations, proximity diagonal 1.
    #[default]
    Ecomplexity,
    /// Stata `ecomplexity`: sample sd over all rows of the rectangular table, proximity diagonal 0.
    Stata,
}

/// Options of [`complexity`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ComplexityConfig {
    /// RCA at or above which a product is present in a location (default 1).
    pub rca_threshold: f64,
    /// Presence and density weights.
    pub presence: Presence,
    /// Discrete proximity variant (ignored by [`Presence::Continuous`], which is symmetric).
    pub proximity: ProximityKind,
    /// Normalisation convention.
    pub convention: Convention,
    /// Keep the `products x products` proximity matrix in the result (it is large at HS6 scale).
    pub keep_proximity: bool,
}

impl Default for ComplexityConfig {
    fn default() -> Self {
        ComplexityConfig {
            rca_threshold: 1.0,
            presence: Presence::Rca,
            proximity: ProximityKind::Symmetric,
            convention: Convention::Ecomplexity,
            keep_proximity: false,
        }
    }
}

/// Why [`complexity`] or [`rca`] rejected its input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ComplexityError {
    #[error(
        "value at location index {location}, product index {product} must be finite and non-negative, got {value}"
    )]
    InvalidValue { location: usize, product: usize, value: f64 },
    #[error("rca threshold must be finite and positive, got {0}")]
    InvalidThreshold(f64),
    #[error("asymmetric proximity is defined for discrete presence only, not continuous")]
    AsymmetricContinuous,
    #[error("the table is empty ({n_locations} locations x {n_products} products)")]
    Empty { n_locations: usize, n_products: usize },
}

/// Something the caller should know about a result that is still usable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ComplexityWarning {
    /// These locations export nothing; all their derived values are NaN.
    ZeroTotalLocations(Vec<usize>),
    /// Nobody exports these products; all their derived values are NaN.
    ZeroTotalProducts(Vec<usize>),
    /// These locations have no product at or above the threshold: their ECI is NaN.
    ZeroDiversity(Vec<usize>),
    /// No location has these products at or above the threshold: their PCI is NaN.
    ZeroUbiquity(Vec<usize>),
    /// Fewer than two locations or products have presence: ECI and PCI are NaN.
    TooSmall,
    /// ECI does not correlate with diversity (for example all diversities are equal), so its sign
    /// is arbitrary; the eigenvector's own sign was kept.
    SignUndetermined,
}

impl std::fmt::Display for ComplexityWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ComplexityWarning::ZeroTotalLocations(v) => {
                write!(f, "{} location(s) export nothing; their values are NaN", v.len())
            }
            ComplexityWarning::ZeroTotalProducts(v) => {
                write!(f, "{} product(s) have no exports; their values are NaN", v.len())
            }
            ComplexityWarning::ZeroDiversity(v) => {
                write!(f, "{} location(s) have diversity 0; their ECI is NaN", v.len())
            }
            ComplexityWarning::ZeroUbiquity(v) => {
                write!(f, "{} product(s) have ubiquity 0; their PCI is NaN", v.len())
            }
            ComplexityWarning::TooSmall => {
                write!(f, "fewer than two locations or products with presence; ECI and PCI are NaN")
            }
            ComplexityWarning::SignUndetermined => {
                write!(f, "ECI does not correlate with diversity; its sign is arbitrary")
            }
        }
    }
}

/// Everything [`complexity`] computes for one period. Matrices are `locations x products`.
#[derive(Debug, Clone)]
pub struct Complexity {
    /// Balassa RCA (NaN for zero-total locations or products).
    pub rca: Array2<f64>,
    /// Presence, 0 or 1.
    pub mcp: Array2<f64>,
    /// Number of products present per location.
    pub diversity: Array1<f64>,
    /// Number of locations per product.
    pub ubiquity: Array1<f64>,
    /// Economic complexity index per location, standardised.
    pub eci: Array1<f64>,
    /// Product complexity index, standardised with ECI's mean and sd.
    pub pci: Array1<f64>,
    /// Density of each location around each product.
    pub density: Array2<f64>,
    /// Complexity outlook index per location, standardised.
    pub coi: Array1<f64>,
    /// Complexity outlook gain.
    pub cog: Array2<f64>,
    /// The proximity matrix, when [`ComplexityConfig::keep_proximity`] is set.
    pub proximity: Option<Array2<f64>>,
    /// Conditions that made some values NaN.
    pub warnings: Vec<ComplexityWarning>,
}

impl Complexity {
    /// Names of the values [`Complexity::cell`] returns, in order (issue 6's output columns).
    pub const CELL_COLUMNS: [&'static str; 9] =
        ["rca", "mcp", "diversity", "ubiquity", "eci", "pci", "density", "coi", "cog"];

    /// The values of one `(location, product)` cell, in [`Complexity::CELL_COLUMNS`] order.
    ///
    /// # Panics
    /// When `location` or `product` is out of range.
    pub fn cell(&self, location: usize, product: usize) -> [f64; 9] {
        let (l, p) = (location, product);
        [
            self.rca[[l, p]],
            self.mcp[[l, p]],
            self.diversity[l],
            self.ubiquity[p],
            self.eci[l],
            self.pci[p],
            self.density[[l, p]],
            self.coi[l],
            self.cog[[l, p]],
        ]
    }
}

/// Balassa's revealed comparative advantage of a `locations x products` export table.
///
/// `RCA[c][p] = (x[c][p] / X[c]) / (X[p] / X)` (Balassa 1965, "Trade liberalisation and revealed
/// comparative advantage"); NaN where the location's or product's total is 0.
///
/// # Errors
/// [`ComplexityError::InvalidValue`] for a negative or non-finite value,
/// [`ComplexityError::Empty`] for a table without rows or columns.
pub fn rca(values: ArrayView2<'_, f64>) -> Result<Array2<f64>, ComplexityError> {
    validate(values)?;
    let location_total = values.sum_axis(Axis(1));
    let product_total = values.sum_axis(Axis(0));
    let world: f64 = location_total.sum();
    let mut res = values.to_owned();
    for ((loc_idx, prod_idx), x) in res.indexed_iter_mut() {
        let (xc, xp) = (location_total[loc_idx], product_total[prod_idx]);
        *x = if xc > 0.0 && xp > 0.0 { (*x / xc) / (xp / world) } else { f64::NAN };
    }
    Ok(res)
}

fn validate(values: ArrayView2<'_, f64>) -> Result<(), ComplexityError> {
    if values.is_empty() {
        return Err(ComplexityError::Empty {
            n_locations: values.nrows(),
            n_products: values.ncols(),
        });
    }
    for ((location, product), &value) in values.indexed_iter() {
        if !(value.is_finite() && value >= 0.0) {
            return Err(ComplexityError::InvalidValue { location, product, value });
        }
    }
    Ok(())
}

/// Computes RCA, presence, diversity, ubiquity, ECI, PCI, density, COI and COG for one period's
/// `locations x products` table of export values (missing flows are 0). See the module docs for
/// the formulas and their sources.
///
/// # Errors
/// [`ComplexityError`] for negative or non-finite values, an empty table, a non-positive threshold
/// or asymmetric proximity combined with continuous presence.
pub fn complexity(
    values: ArrayView2<'_, f64>,
    config: &ComplexityConfig,
) -> Result<Complexity, ComplexityError> {
    if !(config.rca_threshold.is_finite() && config.rca_threshold > 0.0) {
        return Err(ComplexityError::InvalidThreshold(config.rca_threshold));
    }
    if config.presence == Presence::Continuous && config.proximity == ProximityKind::Asymmetric {
        return Err(ComplexityError::AsymmetricContinuous);
    }
    let rca = rca(values)?;
    let (n_locations, n_products) = rca.dim();
    let mut warnings = Vec::new();

    let location_active: Vec<bool> = values.axis_iter(Axis(0)).map(|r| r.sum() > 0.0).collect();
    let product_active: Vec<bool> = values.axis_iter(Axis(1)).map(|c| c.sum() > 0.0).collect();
    push_if_any(&mut warnings, &location_active, |v| !v, ComplexityWarning::ZeroTotalLocations);
    push_if_any(&mut warnings, &product_active, |v| !v, ComplexityWarning::ZeroTotalProducts);

    // Presence; NaN RCA (inactive rows and columns) counts as absent, as numpy's nan_to_num does.
    let mcp = rca.mapv(|r| if r >= config.rca_threshold { 1.0 } else { 0.0 });
    let diversity = mcp.sum_axis(Axis(1));
    let ubiquity = mcp.sum_axis(Axis(0));
    let zero_diversity: Vec<bool> =
        (0..n_locations).map(|c| location_active[c] && diversity[c] == 0.0).collect();
    let zero_ubiquity: Vec<bool> =
        (0..n_products).map(|p| product_active[p] && ubiquity[p] == 0.0).collect();
    push_if_any(&mut warnings, &zero_diversity, |v| v, ComplexityWarning::ZeroDiversity);
    push_if_any(&mut warnings, &zero_ubiquity, |v| v, ComplexityWarning::ZeroUbiquity);

    let (kc, kp) = eigenvector_method(&mcp, &diversity, &ubiquity, &mut warnings);

    // Proximity and density over the active products only, as py-ecomplexity drops zero-total
    // products before computing them; inactive products have zero rows/columns here.
    let zero_diagonal = config.convention == Convention::Stata;
    let pci_raw_for_sums = kp.mapv(|x| if x.is_finite() { x } else { 0.0 });
    let (phi, mut density, mut cog_raw) = match config.presence {
        Presence::Rca => {
            let phi = config.keep_proximity.then(|| {
                discrete_proximity(mcp.view(), ubiquity.view(), config.proximity, zero_diagonal)
            });
            let (density, cog) =
                discrete_density_and_cog(&mcp, config.proximity, zero_diagonal, &pci_raw_for_sums);
            (phi, density, cog)
        }
        Presence::Continuous => {
            let active_rca = rca.mapv(|r| if r.is_finite() { r } else { 0.0 });
            let phi = continuous_proximity(active_rca.view(), zero_diagonal);
            let (density, cog) =
                density_and_cog(active_rca.view(), mcp.view(), phi.view(), &pci_raw_for_sums);
            (config.keep_proximity.then_some(phi), density, cog)
        }
    };

    // COI: sum over absent products of density times PCI (raw PCI, before standardisation).
    let mut coi_raw = Array1::<f64>::from_elem(n_locations, f64::NAN);
    for c in (0..n_locations).filter(|&c| location_active[c]) {
        let mut sum = 0.0;
        for p in 0..n_products {
            let d = density[[c, p]];
            if d.is_finite() {
                sum += d * (1.0 - mcp[[c, p]]) * pci_raw_for_sums[p];
            }
        }
        coi_raw[c] = sum;
    }

    // Standardisation (py-ecomplexity `ecomplexity.py`, "Normalize variables as per STATA package").
    let n_rows_per_location = product_active.iter().filter(|&&a| a).count();
    let (eci_mean, eci_sd) = mean_sd(&kc, config.convention, n_rows_per_location);
    let (coi_mean, coi_sd) = mean_sd(&coi_raw, config.convention, n_rows_per_location);
    let eci = kc.mapv(|x| (x - eci_mean) / eci_sd);
    let pci = kp.mapv(|x| (x - eci_mean) / eci_sd);
    let coi = coi_raw.mapv(|x| (x - coi_mean) / coi_sd);
    cog_raw.mapv_inplace(|x| x / eci_sd);

    // Inactive locations and products carry no derived values.
    for c in (0..n_locations).filter(|&c| !location_active[c]) {
        density.row_mut(c).fill(f64::NAN);
        cog_raw.row_mut(c).fill(f64::NAN);
    }
    for p in (0..n_products).filter(|&p| !product_active[p]) {
        density.column_mut(p).fill(f64::NAN);
        cog_raw.column_mut(p).fill(f64::NAN);
    }

    Ok(Complexity {
        rca,
        mcp,
        diversity,
        ubiquity,
        eci,
        pci,
        density,
        coi,
        cog: cog_raw,
        proximity: phi,
        warnings,
    })
}

fn push_if_any(
    warnings: &mut Vec<ComplexityWarning>,
    flags: &[bool],
    select: impl Fn(bool) -> bool,
    make: impl FnOnce(Vec<usize>) -> ComplexityWarning,
) {
    let hits: Vec<usize> =
        flags.iter().enumerate().filter(|(_, f)| select(**f)).map(|(i, _)| i).collect();
    if !hits.is_empty() {
        warnings.push(make(hits));
    }
}

/// Mean and standard deviation of the finite entries of `x` under `convention`: population sd
/// over entries (numpy `std`), or Stata's sample sd over `x` repeated `n_rows_per_entry` times.
fn mean_sd(x: &Array1<f64>, convention: Convention, n_rows_per_entry: usize) -> (f64, f64) {
    let finite: Vec<f64> = x.iter().copied().filter(|v| v.is_finite()).collect();
    let n = finite.len() as f64;
    let mean = finite.iter().sum::<f64>() / n;
    let squares: f64 = finite.iter().map(|v| (v - mean).powi(2)).sum();
    let sd = match convention {
        Convention::Ecomplexity => (squares / n).sqrt(),
        Convention::Stata => {
            let rows = n_rows_per_entry as f64;
            (rows * squares / (n * rows - 1.0)).sqrt()
        }
    };
    (mean, sd)
}

/// The eigenvector method (module docs): returns the raw `(kc, kp)`, sign-adjusted, NaN for
/// locations with diversity 0 and products with ubiquity 0.
fn eigenvector_method(
    mcp: &Array2<f64>,
    diversity: &Array1<f64>,
    ubiquity: &Array1<f64>,
    warnings: &mut Vec<ComplexityWarning>,
) -> (Array1<f64>, Array1<f64>) {
    let (n_locations, n_products) = mcp.dim();
    let mut kc_out = Array1::from_elem(n_locations, f64::NAN);
    let mut kp_out = Array1::from_elem(n_products, f64::NAN);
    let locs: Vec<usize> = (0..n_locations).filter(|&c| diversity[c] > 0.0).collect();
    let prods: Vec<usize> = (0..n_products).filter(|&p| ubiquity[p] > 0.0).collect();
    if locs.len() < 2 || prods.len() < 2 {
        warnings.push(ComplexityWarning::TooSmall);
        return (kc_out, kp_out);
    }
    // A = D^-1/2 M U^-1/2 on the valid sub-matrix, S = A A^T.
    let sub = mcp.select(Axis(0), &locs).select(Axis(1), &prods);
    let mut a = sub.clone();
    for (i, mut row) in a.axis_iter_mut(Axis(0)).enumerate() {
        let d = diversity[locs[i]].sqrt();
        for (j, x) in row.iter_mut().enumerate() {
            *x /= d * ubiquity[prods[j]].sqrt();
        }
    }
    let s = a.dot(&a.t());
    let n = locs.len();
    let (values, vectors) = symmetric_eigen(s.iter().copied().collect(), n);
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| values[i].total_cmp(&values[j]));
    let second = order[n - 2];
    // kc = D^-1/2 v; kp = U^-1 M^T kc; kc = D^-1 M kp.
    let kc0: Array1<f64> =
        (0..n).map(|i| vectors[i * n + second] / diversity[locs[i]].sqrt()).collect();
    let mut kp = sub.t().dot(&kc0);
    for (j, x) in kp.iter_mut().enumerate() {
        *x /= ubiquity[prods[j]];
    }
    let mut kc = sub.dot(&kp);
    for (i, x) in kc.iter_mut().enumerate() {
        *x /= diversity[locs[i]];
    }
    let valid_diversity: Vec<f64> = locs.iter().map(|&c| diversity[c]).collect();
    let r = correlation(&valid_diversity, kc.as_slice().expect("fresh array"));
    let sign = if r < 0.0 { -1.0 } else { 1.0 };
    if r.is_nan() || r.abs() <= 0.0 {
        warnings.push(ComplexityWarning::SignUndetermined);
    }
    for (i, &c) in locs.iter().enumerate() {
        kc_out[c] = sign * kc[i];
    }
    for (j, &p) in prods.iter().enumerate() {
        kp_out[p] = sign * kp[j];
    }
    (kc_out, kp_out)
}

/// Pearson correlation of two equally long slices (NaN when either is constant).
fn correlation(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let mx = x.iter().sum::<f64>() / n;
    let my = y.iter().sum::<f64>() / n;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx).powi(2);
        syy += (b - my).powi(2);
    }
    sxy / (sxx * syy).sqrt()
}

/// Density and raw COG for discrete presence through [`neighbour_sums`] (no proximity matrix):
/// the same values as [`density_and_cog`] with `W = M` and the discrete proximity of `kind`.
fn discrete_density_and_cog(
    mcp: &Array2<f64>,
    kind: ProximityKind,
    zero_diagonal: bool,
    pci_raw: &Array1<f64>,
) -> (Array2<f64>, Array2<f64>) {
    let (n_locations, n_products) = mcp.dim();
    let holders = Holders::new(mcp.view());
    // Density reads phi[p][q] (divisor u[p] when asymmetric), COG reads phi[q][p] (u[q]).
    let (density_divisor, cog_divisor) = match kind {
        ProximityKind::Symmetric => (Divisor::Max, Divisor::Max),
        ProximityKind::Asymmetric => (Divisor::Output, Divisor::Neighbour),
    };
    let ones = Array1::<f64>::ones(n_products);
    // Both sums come transposed (`[p][c]`, the all-holding location in column n_locations).
    let near = neighbour_sums(&holders, ones.view(), density_divisor, zero_diagonal);
    let row_sum = near.column(n_locations);
    let cog_weight: Array1<f64> = (0..n_products)
        .map(|q| if row_sum[q] > 0.0 { pci_raw[q] / row_sum[q] } else { 0.0 })
        .collect();
    let gain = neighbour_sums(&holders, cog_weight.view(), cog_divisor, zero_diagonal);
    let g_column_sum = gain.column(n_locations);
    let mut density = Array2::<f64>::zeros((n_locations, n_products));
    let mut cog = Array2::<f64>::zeros((n_locations, n_products));
    density
        .axis_iter_mut(Axis(0))
        .into_par_iter()
        .zip(cog.axis_iter_mut(Axis(0)))
        .enumerate()
        .for_each(|(c, (mut density_row, mut cog_row))| {
            for p in 0..n_products {
                density_row[p] = near[[p, c]] / row_sum[p];
                cog_row[p] = (1.0 - mcp[[c, p]]) * (g_column_sum[p] - gain[[p, c]]);
            }
        });
    (density, cog)
}

/// Density `w = (W phi^T) / rowsum(phi)` and raw COG (module docs), row by row over locations.
///
/// For each location only the products with a non-zero weight (presence) are visited, so with a
/// binary presence matrix the cost is `nnz(M) * n_products` instead of a dense matrix product.
fn density_and_cog(
    weights: ArrayView2<'_, f64>,
    mcp: ArrayView2<'_, f64>,
    phi: ArrayView2<'_, f64>,
    pci_raw: &Array1<f64>,
) -> (Array2<f64>, Array2<f64>) {
    let (n_locations, n_products) = weights.dim();
    // rowsum(phi), skipping NaN as numpy's nansum does.
    let row_sum: Vec<f64> =
        phi.axis_iter(Axis(0)).map(|r| r.iter().filter(|v| v.is_finite()).sum()).collect();
    let phi_clean: CowArray<'_, f64, Ix2> = if phi.iter().any(|v| !v.is_finite()) {
        CowArray::from(phi.mapv(|v| if v.is_finite() { v } else { 0.0 }))
    } else {
        CowArray::from(phi)
    };
    let phi = phi_clean.view();
    let is_symmetric_matrix = is_symmetric(phi);
    // Density needs phi^T's rows (= phi's columns); for a symmetric phi they are phi's rows.
    let phi_t: CowArray<'_, f64, Ix2> = if is_symmetric_matrix {
        phi.as_standard_layout()
    } else {
        CowArray::from(phi.t().as_standard_layout().into_owned())
    };
    let phi_rows = phi.as_standard_layout();
    // COG's weights per source product q: PCI[q] / rowsum(phi)[q].
    let cog_weight: Vec<f64> = (0..n_products)
        .map(|q| if row_sum[q] > 0.0 { pci_raw[q] / row_sum[q] } else { 0.0 })
        .collect();
    // Column sums of G[q][p] = phi[q][p] * cog_weight[q]: the COG term for an empty location.
    let mut g_column_sum = vec![0.0; n_products];
    for (q, row) in phi_rows.axis_iter(Axis(0)).enumerate() {
        let w = cog_weight[q];
        if w != 0.0 {
            for (acc, &v) in g_column_sum.iter_mut().zip(row.iter()) {
                *acc += w * v;
            }
        }
    }
    let weights = weights.as_standard_layout();
    let mcp = mcp.as_standard_layout();
    let mut density = Array2::<f64>::zeros((n_locations, n_products));
    let mut cog = Array2::<f64>::zeros((n_locations, n_products));
    let density_slice = density.as_slice_mut().expect("fresh array");
    let cog_slice = cog.as_slice_mut().expect("fresh array");
    let chunk = n_products.max(1);
    density_slice.par_chunks_mut(chunk).zip(cog_slice.par_chunks_mut(chunk)).enumerate().for_each(
        |(c, (density_row, cog_row))| {
            for q in 0..n_products {
                let w = weights[[c, q]];
                let m = mcp[[c, q]];
                if is_symmetric_matrix && w != 0.0 && m != 0.0 {
                    // One pass over phi's row serves both sums (phi^T's row q is phi's row q).
                    let g = m * cog_weight[q];
                    let row = phi_rows.row(q);
                    let row = row.as_slice().expect("standard layout");
                    for ((d, cg), &v) in
                        density_row.iter_mut().zip(cog_row.iter_mut()).zip(row.iter())
                    {
                        *d += w * v;
                        *cg -= g * v;
                    }
                    continue;
                }
                if w != 0.0 {
                    for (acc, &v) in density_row
                        .iter_mut()
                        .zip(phi_t.row(q).as_slice().expect("standard layout"))
                    {
                        *acc += w * v;
                    }
                }
                if m != 0.0 && cog_weight[q] != 0.0 {
                    // Subtract the present products' share: (1 - M) G = colsum(G) - M G.
                    let g = m * cog_weight[q];
                    for (acc, &v) in
                        cog_row.iter_mut().zip(phi_rows.row(q).as_slice().expect("standard layout"))
                    {
                        *acc -= g * v;
                    }
                }
            }
            for p in 0..n_products {
                density_row[p] /= row_sum[p];
                cog_row[p] = (1.0 - mcp[[c, p]]) * (g_column_sum[p] + cog_row[p]);
            }
        },
    );
    (density, cog)
}

#[expect(clippy::float_cmp, reason = "only exact symmetry lets phi's rows stand for its columns")]
fn is_symmetric(phi: ArrayView2<'_, f64>) -> bool {
    let n = phi.nrows();
    (0..n).all(|i| ((i + 1)..n).all(|j| phi[[i, j]] == phi[[j, i]]))
}

#[cfg(test)]
mod tests;
