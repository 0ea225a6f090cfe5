//! Density and COG sums for discrete presence, computed from the presence matrix without forming
//! the `products x products` proximity matrix.
//!
//! Density and COG both need sums of the form `S[c][p] = sum_q M[c][q] w[q] phi(q, p)` over the
//! products `q` a location holds, with a discrete proximity `phi(q, p) = C[q][p] / d(q, p)`:
//! `C[q][p] = sum_c' M[c'][q] M[c'][p]` the co-occurrence count and `d` one of
//! - [`Divisor::Max`]: `max(u[q], u[p])`, the symmetric proximity (Hidalgo et al. 2007, eq. 1);
//! - [`Divisor::Output`]: `u[p]`, `P(q | p)`;
//! - [`Divisor::Neighbour`]: `u[q]`, `P(p | q)`;
//!
//! with `u` the ubiquity. Expanding `C` and swapping the sums,
//! `S[c][p] = sum_{c' holds p} K_p[c][c']` with `K_p[c][c'] = sum_q M[c][q] M[c'][q] w[q] / d(q, p)`,
//! a `locations x locations` matrix. For `Output` and `Neighbour` `K_p` is one matrix (scaled by
//! `1 / u[p]` for `Output`). For `Max`, `d(q, p)` is `u[p]` for the products no more ubiquitous than
//! `p` and `u[q]` for the others; ubiquity takes at most `n_locations + 1` values, so with products
//! grouped by ubiquity level `K_p` depends only on `p`'s level and is built incrementally: one sweep
//! up the levels for the `u[q] <= u[p]` part and one down for the rest (two sweeps rather than a
//! total minus a prefix, so nothing is lost to cancellation).
//!
//! The cost is `sum_q u[q]^2 * 2 + nnz(M) * n_locations` additions instead of the
//! `n_locations * n_products^2` of the dense route (and no `n_products^2` matrix in memory):
//! at HS6 scale (230 x 5,000) about 150 million instead of several billion.
//!
//! Row `n_locations` of the result is a virtual location holding every product: its sums are
//! `sum_q w[q] phi(q, p)`, the column sums density and COG divide by or subtract from.

use ndarray::{Array2, ArrayView1, ArrayView2};
use rayon::prelude::*;

/// Which ubiquity divides the co-occurrence count in `phi(q, p)` (module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Divisor {
    /// `max(u[q], u[p])`.
    Max,
    /// `u[p]`, the product the sum is for.
    Output,
    /// `u[q]`, the product summed over.
    Neighbour,
}

/// The presence matrix in the shapes the sums need: who holds each product, grouped by ubiquity.
pub(crate) struct Holders {
    n_locations: usize,
    /// For each product, the locations where it is present (ascending).
    of_product: Vec<Vec<usize>>,
    /// Products with ubiquity `level`, for `level` in `1..=n_locations` (index `level`).
    by_level: Vec<Vec<usize>>,
    /// `present[c * n_products + p]`: location `c` holds product `p`.
    present: Vec<bool>,
}

impl Holders {
    /// Reads a 0/1 presence matrix (`locations x products`).
    pub(crate) fn new(mcp: ArrayView2<'_, f64>) -> Holders {
        let (n_locations, n_products) = mcp.dim();
        let mut of_product: Vec<Vec<usize>> = vec![Vec::new(); n_products];
        let mut present = vec![false; n_locations * n_products];
        for ((c, p), &m) in mcp.indexed_iter() {
            if m != 0.0 {
                of_product[p].push(c);
                present[c * n_products + p] = true;
            }
        }
        let mut by_level: Vec<Vec<usize>> = vec![Vec::new(); n_locations + 1];
        for (p, list) in of_product.iter().enumerate() {
            if !list.is_empty() {
                by_level[list.len()].push(p);
            }
        }
        Holders { n_locations, of_product, by_level, present }
    }

    fn levels(&self) -> impl DoubleEndedIterator<Item = (usize, &Vec<usize>)> {
        self.by_level.iter().enumerate().filter(|(_, products)| !products.is_empty())
    }
}

/// `S[c][p] = sum_q M[c][q] w[q] phi(q, p)` for every location `c` and the virtual all-holding
/// location `n_locations` (module docs), transposed: `out[[p, c]]`, `n_products x (n_locations + 1)`.
/// Rows of products with ubiquity 0 are 0. When `zero_diagonal`, `phi(p, p)` counts as 0 instead
/// of 1 (Stata).
pub(crate) fn neighbour_sums(
    holders: &Holders,
    w: ArrayView1<'_, f64>,
    divisor: Divisor,
    zero_diagonal: bool,
) -> Array2<f64> {
    let n = holders.n_locations;
    let n_products = holders.of_product.len();
    let mut out = Array2::<f64>::zeros((n_products, n + 1));
    // `k` is symmetric in its first n rows/columns; row c' (length n + 1) holds K[.][c'] with the
    // virtual location last, so a product's sums are a sum of rows.
    let mut k = vec![0.0; n * (n + 1)];
    match divisor {
        Divisor::Output | Divisor::Neighbour => {
            for (level, products) in holders.levels() {
                let scale = if divisor == Divisor::Neighbour { 1.0 / level as f64 } else { 1.0 };
                add_outer(&mut k, n, holders, products, w, scale);
            }
            let all: Vec<(usize, f64)> = holders
                .levels()
                .flat_map(|(level, products)| {
                    let factor = if divisor == Divisor::Output { 1.0 / level as f64 } else { 1.0 };
                    products.iter().map(move |&p| (p, factor))
                })
                .collect();
            accumulate(&mut out, &k, n, holders, &all);
        }
        Divisor::Max => {
            // Up: K_A(t) = sum over levels <= t of the outer products, used scaled by 1/t.
            for (level, products) in holders.levels() {
                add_outer(&mut k, n, holders, products, w, 1.0);
                let targets: Vec<(usize, f64)> =
                    products.iter().map(|&p| (p, 1.0 / level as f64)).collect();
                accumulate(&mut out, &k, n, holders, &targets);
            }
            // Down: K_B(t) = sum over levels > t of the outer products scaled by 1/level.
            k.fill(0.0);
            for (level, products) in holders.levels().rev() {
                let targets: Vec<(usize, f64)> = products.iter().map(|&p| (p, 1.0)).collect();
                accumulate(&mut out, &k, n, holders, &targets);
                add_outer(&mut k, n, holders, products, w, 1.0 / level as f64);
            }
        }
    }
    if zero_diagonal {
        // phi(p, p) = C[p][p] / u[p] = 1 for every held product; take its term back out.
        for (p, list) in holders.of_product.iter().enumerate() {
            if list.is_empty() {
                continue;
            }
            for &c in list {
                out[[p, c]] -= w[p];
            }
            out[[p, n]] -= w[p];
        }
    }
    out
}

/// `k[c'][c] += scale * w[q]` for every product `q` of `products` and every pair of its holders
/// `c, c'`, and `k[c'][n] += scale * w[q]` (the virtual location holds everything).
fn add_outer(
    k: &mut [f64],
    n: usize,
    holders: &Holders,
    products: &[usize],
    w: ArrayView1<'_, f64>,
    scale: f64,
) {
    let stride = n + 1;
    let n_products = holders.of_product.len();
    k.par_chunks_mut(stride).enumerate().for_each(|(c_row, row)| {
        let present = &holders.present[c_row * n_products..(c_row + 1) * n_products];
        for &q in products {
            if !present[q] {
                continue;
            }
            let list = &holders.of_product[q];
            let value = scale * w[q];
            if value == 0.0 {
                continue;
            }
            for &c in list {
                row[c] += value;
            }
            row[n] += value;
        }
    });
}

/// For each `(p, factor)`: `out[p][c] += factor * sum_{c' holds p} k[c'][c]`.
fn accumulate(
    out: &mut Array2<f64>,
    k: &[f64],
    n: usize,
    holders: &Holders,
    targets: &[(usize, f64)],
) {
    let stride = n + 1;
    let columns: Vec<Vec<f64>> = targets
        .par_iter()
        .map(|&(p, factor)| {
            let mut sum = vec![0.0; stride];
            for &c_prime in &holders.of_product[p] {
                let row = &k[c_prime * stride..(c_prime + 1) * stride];
                for (acc, &v) in sum.iter_mut().zip(row) {
                    *acc += v;
                }
            }
            for v in &mut sum {
                *v *= factor;
            }
            sum
        })
        .collect();
    for (&(p, _), sum) in targets.iter().zip(columns) {
        for (acc, v) in out.row_mut(p).iter_mut().zip(sum) {
            *acc += v;
        }
    }
}
