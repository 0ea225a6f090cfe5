//! Export concentration and diversification indices of one location's product (or partner) values.
//!
//! With `x[i]` the location's values, `s[i] = x[i] / sum x` its shares over the `n` products with
//! a positive value, and `w[i]` the world's shares over the same product universe of `N` products:
//! - HHI `= sum s[i]^2` (Herfindahl 1950; Hirschman 1964);
//! - normalised HHI `= (HHI - 1/n) / (1 - 1/n)`, 1 when `n = 1`;
//! - UNCTAD concentration index `= (sqrt(HHI) - sqrt(1/n)) / (1 - sqrt(1/n))`, 1 when `n = 1`
//!   (UNCTADstat, "Merchandise: Product concentration and diversification indices", methodology);
//! - Finger–Kreinin dissimilarity `= 1 - sum_i min(s[i], w[i]) = sum_i |s[i] - w[i]| / 2` (Finger &
//!   Kreinin 1979; UNCTAD's diversification index);
//! - Theil entropy index `= ln N - H`, `H = -sum s[i] ln s[i]`: Theil's T over all `N` products of the
//!   universe, `(1/N) sum (x/mu) ln(x/mu)` with `mu` the mean over `N` (Cadot, Carrère &
//!   Strauss-Kahn 2011, "Export diversification: what's behind the hump?", eq. 2);
//! - top-k shares: the sum of the k largest shares;
//! - `n_products`: products with a positive value; `n_rca_ge_1`: products with `RCA >= 1`
//!   (RCA from the same table, [`crate::rca`]).

/// Concentration indices of one location.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Concentration {
    /// Herfindahl–Hirschman index of shares (0..=1).
    pub hhi: f64,
    /// HHI rescaled to 0..=1 given the number of products exported.
    pub hhi_normalized: f64,
    /// UNCTAD's concentration index.
    pub unctad_concentration: f64,
    /// Finger–Kreinin dissimilarity from the world's structure (0 identical, 1 disjoint).
    pub finger_kreinin: f64,
    /// Theil entropy index over the product universe (0 = perfectly even).
    pub theil: f64,
    /// Largest share.
    pub top1_share: f64,
    /// Sum of the five largest shares.
    pub top5_share: f64,
    /// Number of products with a positive value.
    pub n_products: usize,
    /// Number of products with RCA at least 1.
    pub n_rca_ge_1: usize,
}

/// Why [`concentration`] rejected its input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConcentrationError {
    #[error("value at product index {index} must be finite and non-negative, got {value}")]
    InvalidValue { index: usize, value: f64 },
    #[error("world has {world} products but the location has {location}")]
    LengthMismatch { location: usize, world: usize },
    #[error("the location's total is zero: concentration is undefined")]
    ZeroTotal,
}

/// Concentration indices of `values` (one location, per product) against `world` (every location's
/// total per product, same order). `n_rca_ge_1` uses `RCA = (x/X) / (w/W)`.
///
/// # Errors
/// [`ConcentrationError`] on mismatched lengths, negative or non-finite values, or a zero total.
pub fn concentration(values: &[f64], world: &[f64]) -> Result<Concentration, ConcentrationError> {
    if values.len() != world.len() {
        return Err(ConcentrationError::LengthMismatch {
            location: values.len(),
            world: world.len(),
        });
    }
    for (index, &value) in values.iter().chain(world.iter()).enumerate() {
        if !(value.is_finite() && value >= 0.0) {
            return Err(ConcentrationError::InvalidValue {
                index: index % values.len().max(1),
                value,
            });
        }
    }
    let total: f64 = values.iter().sum();
    if total <= 0.0 {
        return Err(ConcentrationError::ZeroTotal);
    }
    let world_total: f64 = world.iter().sum();
    let shares: Vec<f64> = values.iter().map(|x| x / total).collect();
    let n_products = values.iter().filter(|&&x| x > 0.0).count();
    let n = n_products as f64;
    let hhi: f64 = shares.iter().map(|s| s * s).sum();
    let (hhi_normalized, unctad_concentration) = if n_products <= 1 {
        (1.0, 1.0)
    } else {
        (
            (hhi - 1.0 / n) / (1.0 - 1.0 / n),
            (hhi.sqrt() - (1.0 / n).sqrt()) / (1.0 - (1.0 / n).sqrt()),
        )
    };
    let similarity: f64 = shares
        .iter()
        .zip(world)
        .map(|(s, w)| s.min(if world_total > 0.0 { w / world_total } else { 0.0 }))
        .sum();
    let entropy: f64 = shares.iter().filter(|&&s| s > 0.0).map(|s| -s * s.ln()).sum();
    let theil = ((values.len() as f64).ln() - entropy).max(0.0);
    let mut sorted = shares.clone();
    sorted.sort_by(|a, b| b.total_cmp(a));
    let top1_share = sorted.first().copied().unwrap_or(0.0);
    let top5_share = sorted.iter().take(5).sum();
    let n_rca_ge_1 = values
        .iter()
        .zip(world)
        .filter(|(x, w)| **w > 0.0 && (**x / total) / (**w / world_total) >= 1.0)
        .count();
    Ok(Concentration {
        hhi,
        hhi_normalized,
        unctad_concentration,
        finger_kreinin: 1.0 - similarity,
        theil,
        top1_share,
        top5_share,
        n_products,
        n_rca_ge_1,
    })
}

#[cfg(test)]
mod tests;
