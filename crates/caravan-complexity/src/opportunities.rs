//! Diversification opportunities of one location: the products it does not export with
//! comparative advantage yet, nearest first (the Atlas of Economic Complexity's "new products"
//! view: density, then complexity outlook gain).

use ndarray::{ArrayView2, Axis};

use crate::Complexity;

/// The products of `location` without presence (`M = 0`: it exports them below the RCA threshold
/// or not at all), ranked by density descending, ties by COG descending, then by product index.
/// Products nobody exports (zero total) have no density and are left out; so is everything when
/// the location itself exports nothing.
///
/// Distance, where a caller shows it, is `1 - density` (Hausmann et al., *Atlas*, 2014).
///
/// # Panics
/// When `location` is outside `values` or `values` and `res` differ in shape.
pub fn opportunities(values: ArrayView2<'_, f64>, res: &Complexity, location: usize) -> Vec<usize> {
    assert_eq!(values.dim(), res.mcp.dim(), "values and result of the same table");
    if values.row(location).sum() == 0.0 {
        return Vec::new();
    }
    let product_total = values.sum_axis(Axis(0));
    let mut res_products: Vec<usize> = (0..values.ncols())
        .filter(|&p| {
            product_total[p] != 0.0
                && res.mcp[[location, p]] == 0.0
                && res.density[[location, p]].is_finite()
        })
        .collect();
    let key = |p: usize| {
        let cog = res.cog[[location, p]];
        (res.density[[location, p]], if cog.is_finite() { cog } else { f64::NEG_INFINITY })
    };
    res_products.sort_by(|&a, &b| {
        let ((density_a, cog_a), (density_b, cog_b)) = (key(a), key(b));
        density_b.total_cmp(&density_a).then(cog_b.total_cmp(&cog_a)).then(a.cmp(&b))
    });
    res_products
}

#[cfg(test)]
mod tests;
