//! Unit tests of `opportunities`.

use ndarray::array;

use super::*;
use crate::{ComplexityConfig, complexity};

#[test]
fn ranks_absent_products_by_density_then_cog() {
    let values = array![
        [5.0, 4.0, 0.0, 1.0, 0.0],
        [4.0, 5.0, 3.0, 0.0, 0.0],
        [0.0, 1.0, 5.0, 4.0, 0.0],
        [1.0, 0.0, 4.0, 5.0, 0.0],
    ];
    let res = complexity(values.view(), &ComplexityConfig::default()).unwrap();
    let ranked = opportunities(values.view(), &res, 0);
    assert!(!ranked.is_empty());
    assert!(!ranked.contains(&4), "nobody exports product 4");
    for &p in &ranked {
        assert!(res.mcp[[0, p]] == 0.0, "product {p} is present");
    }
    for pair in ranked.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        assert!(res.density[[0, a]] >= res.density[[0, b]]);
    }
    let every_absent: Vec<usize> = (0..4).filter(|&p| res.mcp[[0, p]] == 0.0).collect();
    assert_eq!(ranked.len(), every_absent.len());
}
