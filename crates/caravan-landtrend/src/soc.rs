//! Soil organic carbon sub-indicator (GPG v2 §6): a loss of 10 % or more is degradation, a
//! gain of 10 % or more improvement; optional IPCC Tier 1 stock-change factors.

use crate::Class;

/// SOC change class from baseline and target stocks, in exact integer arithmetic.
///
/// GPG v2 §6.3: degraded when (b − t)/b ≥ 10 %, i.e. 10·t ≤ 9·b; improved when
/// (t − b)/b ≥ 10 %, i.e. 10·t ≥ 11·b. A non-positive baseline has no relative change: `None`.
pub fn soc_class(baseline: i64, target: i64) -> Option<Class> {
    if baseline <= 0 || target < 0 {
        return None;
    }
    let (b, t) = (i128::from(baseline), i128::from(target));
    Some(if 10 * t <= 9 * b {
        Class::Degraded
    } else if 10 * t >= 11 * b {
        Class::Improved
    } else {
        Class::Stable
    })
}

/// SOC change class for real-valued stocks: exact for integral values (via [`soc_class`]),
/// otherwise the same inequalities in `f64`. NaN means no data.
pub fn soc_class_f64(baseline: f64, target: f64) -> Option<Class> {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if baseline.is_nan() || target.is_nan() {
        return None;
    }
    let integral = |v: f64| v.fract() == 0.0 && v.abs() < EXACT;
    if integral(baseline) && integral(target) {
        #[expect(clippy::cast_possible_truncation, reason = "integral and below 2^53, exact")]
        return soc_class(baseline as i64, target as i64);
    }
    if baseline <= 0.0 || target < 0.0 {
        return None;
    }
    Some(if 10.0 * target <= 9.0 * baseline {
        Class::Degraded
    } else if 10.0 * target >= 11.0 * baseline {
        Class::Improved
    } else {
        Class::Stable
    })
}

/// Climate land-use factor F_LU for the conversion to cropland, by JRC/IPCC climate zone code
/// 1..=12 (`soc_fl_by_climate_te.csv`, from Trends.Earth `soc.py`); `None` for 0/unknown.
pub fn climate_fl(jrc_zone: u8) -> Option<f64> {
    Some(match jrc_zone {
        1 | 3 | 5 | 7 => 0.69,
        2 | 4 | 6 | 8 => 0.80,
        9 => 0.64,
        10 | 11 => 0.48,
        12 => 0.58,
        _ => return None,
    })
}

/// IPCC Tier 1 stock-change factor F_LU·F_MG·F_I for the UNCCD transition `from` → `to` with
/// climate factor `fl` (`soc_stock_change_factors_te.csv`; F_MG = F_I = 1 throughout).
/// `None` outside 1..=7.
pub fn stock_change_factor(from: u8, to: u8, fl: f64) -> Option<f64> {
    if !(1..=7).contains(&from) || !(1..=7).contains(&to) {
        return None;
    }
    Some(match (from, to) {
        (1 | 2, 3) => fl,
        (3, 1 | 2) => 1.0 / fl,
        (3, 4) => 1.408_450_704_2,
        (4, 3) => 0.71,
        (1..=4, 5 | 6) => 0.1,
        (5 | 6, 1..=4) => 2.0,
        _ => 1.0,
    })
}
