//! Product proximity: how likely two products are exported together with comparative advantage.
//!
//! Discrete proximity (Hidalgo, Klinger, Barabási & Hausmann 2007, "The Product Space Conditions
//! the Development of Nations", Science 317, eq. 1): with `C[p][q] = sum_c M[c][p] M[c][q]` the
//! co-occurrence count and `u` the ubiquity,
//! - symmetric: `phi[p][q] = C[p][q] / max(u[p], u[q])`, the minimum of the two conditional
//!   probabilities `P(q | p)` and `P(p | q)`;
//! - asymmetric: `phi[p][q] = C[p][q] / u[p] = P(q | p)`, as py-ecomplexity 0.5.3
//!   (`calc_discrete_proximity(.., asymmetric=True)` returns the transpose of `C / u[q]`).
//!
//! Continuous proximity (py-ecomplexity `calc_continuous_proximity`): `(1 + corr(RCA_p, RCA_q)) / 2`
//! with the Pearson correlation of the two products' RCA columns across locations.
//!
//! The co-occurrence matrix is a `products x products` product of the binary presence matrix with
//! itself. It is computed row by row as a sum of the presence rows of the locations holding the
//! product (so the work is `nnz(M) * n_products`, not `n_locations * n_products^2`), in parallel
//! over products.

use ndarray::{Array2, ArrayView1, ArrayView2, Axis};
use rayon::prelude::*;

/// Which discrete proximity to compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProximityKind {
    /// Minimum of the two conditional probabilities (the product space's definition).
    #[default]
    Symmetric,
    /// `P(q | p)`: the share of the locations with `p` that also have `q`.
    Asymmetric,
}

/// Discrete proximity between products from a binary presence matrix `mcp` (`locations x products`)
/// and its column sums `ubiquity`.
///
/// `zero_diagonal` sets `phi[p][p]` to 0, as the Stata `ecomplexity` command does (py-ecomplexity
/// keeps the diagonal, where `phi[p][p] = 1`). A product with ubiquity 0 has proximity 0 to every
/// product (py-ecomplexity would produce 0/0 = NaN there and turn the whole year into NaN).
///
/// # Panics
/// When `ubiquity.len()` differs from the number of columns of `mcp`.
pub fn discrete_proximity(
    mcp: ArrayView2<'_, f64>,
    ubiquity: ArrayView1<'_, f64>,
    kind: ProximityKind,
    zero_diagonal: bool,
) -> Array2<f64> {
    let n_products = mcp.ncols();
    assert_eq!(ubiquity.len(), n_products, "one ubiquity per product");
    let mcp = mcp.as_standard_layout();
    // For each product, the locations where it is present.
    let mut holders: Vec<Vec<usize>> = vec![Vec::new(); n_products];
    for (loc_idx, row) in mcp.axis_iter(Axis(0)).enumerate() {
        for (prod_idx, &m) in row.iter().enumerate() {
            if m != 0.0 {
                holders[prod_idx].push(loc_idx);
            }
        }
    }
    let mut phi = Array2::<f64>::zeros((n_products, n_products));
    let phi_slice = phi.as_slice_mut().expect("a fresh array is in standard layout");
    phi_slice.par_chunks_mut(n_products.max(1)).enumerate().for_each(|(p, out)| {
        for &loc_idx in &holders[p] {
            let row = mcp.row(loc_idx);
            for (acc, &m) in out.iter_mut().zip(row.as_slice().expect("standard layout")) {
                *acc += m;
            }
        }
        let u_p = ubiquity[p];
        for (q, value) in out.iter_mut().enumerate() {
            let denominator = match kind {
                ProximityKind::Symmetric => u_p.max(ubiquity[q]),
                ProximityKind::Asymmetric => u_p,
            };
            *value = if denominator > 0.0 { *value / denominator } else { 0.0 };
        }
        if zero_diagonal {
            out[p] = 0.0;
        }
    });
    phi
}

/// Continuous proximity `(1 + corr(rca[.., p], rca[.., q])) / 2` between the products (columns) of
/// `rca`, as py-ecomplexity's `calc_continuous_proximity`.
///
/// A product whose RCA is the same in every location has no correlation; its proximities are NaN
/// and density treats them as absent. `zero_diagonal` as in [`discrete_proximity`].
pub fn continuous_proximity(rca: ArrayView2<'_, f64>, zero_diagonal: bool) -> Array2<f64> {
    let n_locations = rca.nrows();
    let n_products = rca.ncols();
    let mut centred = rca.to_owned();
    let mut norms = vec![0.0; n_products];
    for (prod_idx, mut column) in centred.axis_iter_mut(Axis(1)).enumerate() {
        let finite = column.iter().map(|x| if x.is_finite() { *x } else { 0.0 });
        let mean = finite.sum::<f64>() / n_locations.max(1) as f64;
        column.mapv_inplace(|x| if x.is_finite() { x - mean } else { 0.0 });
        norms[prod_idx] = column.iter().map(|x| x * x).sum::<f64>().sqrt();
    }
    for (prod_idx, mut column) in centred.axis_iter_mut(Axis(1)).enumerate() {
        let norm = norms[prod_idx];
        column.mapv_inplace(|x| if norm > 0.0 { x / norm } else { f64::NAN });
    }
    let mut phi = centred.t().dot(&centred);
    phi.mapv_inplace(|r| (1.0 + r.clamp(-1.0, 1.0)) / 2.0);
    if zero_diagonal {
        phi.diag_mut().fill(0.0);
    }
    phi
}
