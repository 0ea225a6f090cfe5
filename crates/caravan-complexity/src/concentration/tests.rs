//! Hand-computed cases and laws of the concentration indices.

use approx::assert_abs_diff_eq;
use proptest::prelude::*;

use super::*;

#[track_caller]
fn check(values: &[f64], world: &[f64], expect: impl Fn(&Concentration)) {
    expect(&concentration(values, world).unwrap());
}

#[test]
fn single_product_is_fully_concentrated() {
    check(&[0.0, 7.0, 0.0], &[1.0, 1.0, 1.0], |c| {
        assert_abs_diff_eq!(c.hhi, 1.0);
        assert_abs_diff_eq!(c.hhi_normalized, 1.0);
        assert_abs_diff_eq!(c.unctad_concentration, 1.0);
        assert_abs_diff_eq!(c.theil, 3f64.ln(), epsilon = 1e-12);
        // Shares (0, 1, 0) vs world (1/3, 1/3, 1/3): overlap 1/3.
        assert_abs_diff_eq!(c.finger_kreinin, 2.0 / 3.0, epsilon = 1e-12);
        assert_eq!((c.n_products, c.n_rca_ge_1), (1, 1));
    });
}

#[test]
fn two_to_one_split() {
    // Shares 2/3, 1/3: HHI 5/9; normalised (5/9 - 1/2) / (1/2) = 1/9.
    check(&[2.0, 1.0], &[1.0, 3.0], |c| {
        assert_abs_diff_eq!(c.hhi, 5.0 / 9.0, epsilon = 1e-12);
        assert_abs_diff_eq!(c.hhi_normalized, 1.0 / 9.0, epsilon = 1e-12);
        let expected = ((5.0f64 / 9.0).sqrt() - 0.5f64.sqrt()) / (1.0 - 0.5f64.sqrt());
        assert_abs_diff_eq!(c.unctad_concentration, expected, epsilon = 1e-12);
        // World shares 1/4, 3/4: overlap 1/4 + 1/3.
        assert_abs_diff_eq!(c.finger_kreinin, 1.0 - (0.25 + 1.0 / 3.0), epsilon = 1e-12);
        assert_abs_diff_eq!(c.top1_share, 2.0 / 3.0, epsilon = 1e-12);
        assert_abs_diff_eq!(c.top5_share, 1.0, epsilon = 1e-12);
        assert_eq!(c.n_rca_ge_1, 1);
    });
}

#[test]
fn rejects_bad_input() {
    assert_eq!(
        concentration(&[1.0], &[1.0, 2.0]),
        Err(ConcentrationError::LengthMismatch { location: 1, world: 2 })
    );
    assert_eq!(concentration(&[0.0, 0.0], &[1.0, 2.0]), Err(ConcentrationError::ZeroTotal));
    assert_eq!(
        concentration(&[1.0, -2.0], &[1.0, 2.0]),
        Err(ConcentrationError::InvalidValue { index: 1, value: -2.0 })
    );
}

proptest! {
    /// HHI lies between 1/n and 1; an even split has normalised HHI, UNCTAD index and Theil 0
    /// over its own universe; identical structure to the world means Finger-Kreinin 0.
    #[test]
    fn laws(values in proptest::collection::vec(0.0f64..1e6, 1..40), n_even in 1usize..30) {
        prop_assume!(values.iter().sum::<f64>() > 0.0);
        let c = concentration(&values, &values).unwrap();
        prop_assert!(c.hhi >= 1.0 / c.n_products as f64 - 1e-12 && c.hhi <= 1.0 + 1e-12);
        prop_assert!(c.finger_kreinin.abs() < 1e-12);
        prop_assert!(c.top1_share <= c.top5_share + 1e-12);
        let even = vec![3.0; n_even];
        let e = concentration(&even, &even).unwrap();
        if n_even > 1 {
            prop_assert!(e.hhi_normalized.abs() < 1e-12);
            prop_assert!(e.unctad_concentration.abs() < 1e-9);
        }
        prop_assert!(e.theil.abs() < 1e-12);
    }
}
