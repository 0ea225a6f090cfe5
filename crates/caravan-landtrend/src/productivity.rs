//! Land productivity sub-indicator: trajectory, state and performance, and their combination.
//!
//! Rules follow the UNCCD Good Practice Guidance for SDG 15.3.1, version 2 (GPG v2, Sims et al.
//! 2021), §4.2 "Land productivity"; the `gpg1` and `trends-earth` profiles reproduce the
//! 2017 guidance and Trends.Earth so earlier reports can be compared.

use crate::Class;
use crate::stats::{MannKendall, TrendError, kendall_s, mann_kendall, ols_slope};

/// Which published method set to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Profile {
    /// GPG v2 (2021): five trajectory/state classes at Z = ±1.28, ±1.96 and the v2 look-up table.
    #[default]
    Gpg2,
    /// GPG v1 (2017): three classes at Z = ±1.96 and the v1 look-up table.
    Gpg1,
    /// Trends.Earth: Kendall critical-S table (Hollander & Wolfe A.30), OLS sign, 5-class LPD.
    TrendsEarth,
}

impl Profile {
    /// Parses `gpg2`, `gpg1` or `trends-earth`.
    ///
    /// # Errors
    /// [`ProductivityError::UnknownProfile`] for anything else.
    pub fn parse(text: &str) -> Result<Self, ProductivityError> {
        match text {
            "gpg2" => Ok(Self::Gpg2),
            "gpg1" => Ok(Self::Gpg1),
            "trends-earth" => Ok(Self::TrendsEarth),
            other => Err(ProductivityError::UnknownProfile(other.to_owned())),
        }
    }
}

/// Errors of the productivity sub-indicator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProductivityError {
    #[error("unknown profile {0:?}: use gpg2, gpg1 or trends-earth")]
    UnknownProfile(String),
    #[error("trends-earth's Kendall table covers 4 to 59 years, got {0}")]
    KendallTableRange(usize),
    #[error(transparent)]
    Trend(#[from] TrendError),
}

/// Five-level significance class of a trend or a state z-score.
///
/// GPG v2 §4.2.3 (trajectory) and §4.2.4 (state): Z ≤ −1.96 → `-2` (degrading, 95 %),
/// −1.96 < Z ≤ −1.28 → `-1` (potentially degrading, 90 %), |Z| < 1.28 → `0`,
/// 1.28 ≤ Z < 1.96 → `1`, Z ≥ 1.96 → `2`.
pub fn five_class(z: f64) -> i8 {
    if z <= -1.96 {
        -2
    } else if z <= -1.28 {
        -1
    } else if z < 1.28 {
        0
    } else if z < 1.96 {
        1
    } else {
        2
    }
}

/// Trends.Earth's Kendall critical |S| for n = 4..=59 at its 90/95/99 % levels
/// (`te_kendall_critical_S.csv`; trends.earth-algorithms `stats.get_kendall_coef`).
const TE_KENDALL: [[i64; 4]; 56] = [
    [4, 4, 4, 6],
    [5, 6, 6, 8],
    [6, 7, 9, 11],
    [7, 9, 11, 18],
    [8, 10, 14, 22],
    [9, 12, 16, 25],
    [10, 15, 19, 29],
    [11, 17, 21, 34],
    [12, 18, 24, 38],
    [13, 22, 26, 41],
    [14, 23, 31, 47],
    [15, 27, 33, 50],
    [16, 28, 36, 56],
    [17, 32, 40, 61],
    [18, 35, 43, 65],
    [19, 37, 47, 70],
    [20, 40, 50, 76],
    [21, 42, 54, 81],
    [22, 45, 59, 87],
    [23, 49, 63, 92],
    [24, 52, 66, 98],
    [25, 56, 70, 105],
    [26, 59, 75, 111],
    [27, 61, 79, 116],
    [28, 66, 84, 124],
    [29, 68, 88, 129],
    [30, 73, 93, 135],
    [31, 75, 97, 142],
    [32, 80, 102, 150],
    [33, 84, 106, 155],
    [34, 87, 111, 163],
    [35, 91, 115, 170],
    [36, 94, 120, 176],
    [37, 98, 126, 183],
    [38, 103, 131, 191],
    [39, 107, 137, 198],
    [40, 110, 142, 206],
    [41, 114, 146, 213],
    [42, 119, 151, 221],
    [43, 123, 157, 228],
    [44, 128, 162, 236],
    [45, 132, 168, 245],
    [46, 135, 173, 253],
    [47, 141, 179, 260],
    [48, 144, 186, 268],
    [49, 150, 190, 277],
    [50, 153, 197, 285],
    [51, 159, 203, 294],
    [52, 162, 208, 302],
    [53, 168, 214, 311],
    [54, 173, 221, 319],
    [55, 177, 227, 328],
    [56, 182, 232, 336],
    [57, 186, 240, 345],
    [58, 191, 245, 355],
    [59, 197, 251, 364],
];

/// Critical |S| values (90 %, 95 %, 99 %) from Trends.Earth's table for a series of n years.
///
/// # Errors
/// [`ProductivityError::KendallTableRange`] outside 4..=59.
pub fn te_kendall_critical(n: usize) -> Result<[i64; 3], ProductivityError> {
    TE_KENDALL
        .iter()
        .find(|row| usize::try_from(row[0]).ok() == Some(n))
        .map(|row| [row[1], row[2], row[3]])
        .ok_or(ProductivityError::KendallTableRange(n))
}

/// Everything the trajectory computes for one pixel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trajectory {
    /// The Mann–Kendall test on the series.
    pub mann_kendall: MannKendall,
    /// OLS slope per year (reported; Trends.Earth uses its sign).
    pub ols_slope: f64,
    /// Class: five levels (-2..=2) for gpg2; three (-1..=1 stored as ±2/0) for gpg1 and trends-earth.
    pub class: i8,
}

/// Trajectory of one pixel's annual series under `profile`.
///
/// * gpg2 (GPG v2 §4.2.3): [`five_class`] of the continuity-corrected MK Z.
/// * gpg1 (GPG v1 §3.2.1): Z ≤ −1.96 → -2, Z ≥ 1.96 → 2, else 0.
/// * trends-earth: |S| > S₉₅(n) from its table with the OLS slope's sign gives ±2; the
///   slope of at most 10 NDVI×10⁴ units a year is stable, as in Trends.Earth's `productivity_trajectory`.
///
/// # Errors
/// Too few years, or a series longer than the Kendall table under trends-earth.
pub fn trajectory(
    years: &[f64],
    values: &[f64],
    profile: Profile,
) -> Result<Trajectory, ProductivityError> {
    let mk = mann_kendall(values)?;
    let slope = ols_slope(years, values)?;
    let class = match profile {
        Profile::Gpg2 => five_class(mk.z),
        Profile::Gpg1 => {
            if mk.z <= -1.96 {
                -2
            } else if mk.z >= 1.96 {
                2
            } else {
                0
            }
        }
        Profile::TrendsEarth => {
            let [s90, s95, _] = te_kendall_critical(values.len())?;
            let s = kendall_s(values).abs();
            // Trends.Earth: |S| ≤ S₉₀ is stable, 90 % alone is not significant at 95 %.
            if s <= s90 || slope.abs() <= 10.0 || s < s95 {
                0
            } else if slope > 0.0 {
                2
            } else {
                -2
            }
        }
    };
    Ok(Trajectory { mann_kendall: mk, ols_slope: slope, class })
}

/// State z-score under GPG v1: mean of the recent years against the baseline distribution,
/// z = (x̄_recent − x̄_baseline) / s_baseline, s the sample standard deviation.
///
/// σ = 0 is handled explicitly: equal means give 0, otherwise ±∞ (a certain change).
/// Returns `None` when the baseline has fewer than 2 values or recent is empty.
pub fn state_z(baseline: &[f64], recent: &[f64]) -> Option<f64> {
    let (mb, mr, ss) = means_and_squares(baseline, recent)?;
    let var = ss / (baseline.len() as f64 - 1.0);
    Some(z_or_infinite(mr - mb, var.sqrt()))
}

/// State z-score under GPG v2 §4.2.4 (equations for μ, σ, x̄ and z): the recent mean x̄ is
/// compared with the baseline mean μ in units of the standard error of a mean of the recent
/// years, z = (x̄ − μ) / (σ / √n_recent), with σ the baseline's population standard deviation
/// (Σ(x − μ)² / n). Verified against the GPG v2 formulas as implemented in SEPAL's
/// `sdg_15.3.1` module (`component/scripts/productivity.py`, `productivity_state`).
///
/// σ = 0 is handled explicitly: equal means give 0, otherwise ±∞ (a certain change).
/// Returns `None` when the baseline has fewer than 2 values or recent is empty.
pub fn state_z_gpg2(baseline: &[f64], recent: &[f64]) -> Option<f64> {
    let (mb, mr, ss) = means_and_squares(baseline, recent)?;
    let sigma = (ss / baseline.len() as f64).sqrt();
    Some(z_or_infinite(mr - mb, sigma / (recent.len() as f64).sqrt()))
}

fn means_and_squares(baseline: &[f64], recent: &[f64]) -> Option<(f64, f64, f64)> {
    if baseline.len() < 2 || recent.is_empty() {
        return None;
    }
    let mb = baseline.iter().sum::<f64>() / baseline.len() as f64;
    let mr = recent.iter().sum::<f64>() / recent.len() as f64;
    let ss = baseline.iter().map(|v| (v - mb) * (v - mb)).sum::<f64>();
    Some((mb, mr, ss))
}

fn z_or_infinite(diff: f64, scale: f64) -> f64 {
    if scale > 0.0 {
        diff / scale
    } else if diff == 0.0 {
        0.0
    } else if diff > 0.0 {
        f64::INFINITY
    } else {
        f64::NEG_INFINITY
    }
}

/// State class under `profile`: five levels for gpg2, three (±2/0) at ±1.96 otherwise.
pub fn state_class(z: f64, profile: Profile) -> i8 {
    match profile {
        Profile::Gpg2 => five_class(z),
        Profile::Gpg1 | Profile::TrendsEarth => {
            if z <= -1.96 {
                -2
            } else if z >= 1.96 {
                2
            } else {
                0
            }
        }
    }
}

/// State of one pixel under `profile` from its baseline and recent values.
///
/// * gpg2: [`five_class`] of [`state_z_gpg2`].
/// * gpg1: ±2 at |[`state_z`]| ≥ 1.96.
/// * trends-earth: [`state_trends_earth`] (decile classes, not a z-score).
///
/// `None` when the baseline has fewer than 2 values or recent is empty.
pub fn state(baseline: &[f64], recent: &[f64], profile: Profile) -> Option<i8> {
    match profile {
        Profile::Gpg2 => state_z_gpg2(baseline, recent).map(five_class),
        Profile::Gpg1 => state_z(baseline, recent).map(|z| state_class(z, profile)),
        Profile::TrendsEarth => state_trends_earth(baseline, recent),
    }
}

/// Trends.Earth's productivity state (trends.earth-algorithms `te_algorithms/gee/productivity.py`,
/// `productivity_state`): the baseline series is extended by two values 5 % of its range below
/// its minimum and above its maximum; its 10th, 20th, … 100th percentiles cut ten classes;
/// the baseline mean and the recent mean each get the class 1 + (number of the 10th–90th
/// percentiles they exceed); a change of −2 classes or more is degraded (-2 here), +2 or more
/// improved (2), and any change is ignored when the two means differ by at most 100
/// (NDVI × 10⁴). Percentiles interpolate linearly between order statistics (numpy's default;
/// Earth Engine's `Reducer.percentile` may pick order statistics differently on ties).
///
/// `None` when the baseline has fewer than 2 values or recent is empty.
pub fn state_trends_earth(baseline: &[f64], recent: &[f64]) -> Option<i8> {
    if baseline.len() < 2 || recent.is_empty() {
        return None;
    }
    let (min, max) = baseline
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    let pad = (max - min) * 0.05;
    let mut ext: Vec<f64> = baseline.to_vec();
    ext.push(min - pad);
    ext.push(max + pad);
    ext.sort_by(f64::total_cmp);
    let cuts: Vec<f64> = (1..=9).map(|k| percentile_sorted(&ext, f64::from(k) * 10.0)).collect();
    let class = |m: f64| 1 + cuts.iter().filter(|&&c| m > c).count() as i64;
    let bl_mean = baseline.iter().sum::<f64>() / baseline.len() as f64;
    let tg_mean = recent.iter().sum::<f64>() / recent.len() as f64;
    if (bl_mean - tg_mean).abs() <= 100.0 {
        return Some(0);
    }
    let change = class(tg_mean) - class(bl_mean);
    Some(if change <= -2 {
        -2
    } else if change >= 2 {
        2
    } else {
        0
    })
}

/// Percentile `q` (0–100) of sorted values, linear between order statistics (type 7).
fn percentile_sorted(sorted: &[f64], q: f64) -> f64 {
    let h = q / 100.0 * (sorted.len() - 1) as f64;
    let lo = h.floor();
    let frac = h - lo;
    #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "0 <= h < len")]
    let lo = lo as usize;
    match sorted.get(lo + 1) {
        Some(hi) if frac > 0.0 => sorted[lo] + frac * (hi - sorted[lo]),
        _ => sorted[lo],
    }
}

/// Performance (GPG v2 §4.2.5): the pixel's mean against the 90th percentile of its land unit;
/// degraded (-1) when mean / p90 < 0.5, else 0. A non-positive p90 gives `None` (no data).
pub fn performance_class(pixel_mean: f64, unit_p90: f64) -> Option<i8> {
    performance_class_for(pixel_mean, unit_p90, Profile::Gpg2)
}

/// [`performance_class`] under `profile`: Trends.Earth (`productivity_performance`, the
/// `obs_ratio_2.lte(0.5)` rule) also calls a ratio of exactly 0.5 degraded.
pub fn performance_class_for(pixel_mean: f64, unit_p90: f64, profile: Profile) -> Option<i8> {
    if unit_p90.is_nan() || unit_p90 <= 0.0 || pixel_mean.is_nan() {
        return None;
    }
    // mean/p90 < 0.5 ⇔ 2·mean < p90 for p90 > 0 (no division at the boundary).
    let low = match profile {
        Profile::TrendsEarth => 2.0 * pixel_mean <= unit_p90,
        Profile::Gpg2 | Profile::Gpg1 => 2.0 * pixel_mean < unit_p90,
    };
    Some(if low { -1 } else { 0 })
}

/// 90th percentile with linear interpolation between order statistics
/// (Hyndman & Fan type 7, numpy's default). Sorts `values` in place; `None` when empty.
pub fn percentile_90(values: &mut [f32]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let h = 0.9 * (values.len() - 1) as f64;
    let lo = h.floor() as usize;
    let frac = h - lo as f64;
    let (_, lo_val, upper) = values.select_nth_unstable_by(lo, f32::total_cmp);
    let lo_val = f64::from(*lo_val);
    if frac == 0.0 || upper.is_empty() {
        return Some(lo_val);
    }
    let hi_val = f64::from(upper.iter().copied().fold(f32::INFINITY, f32::min));
    Some(lo_val + frac * (hi_val - lo_val))
}

/// Combines trajectory, state and performance classes into the productivity sub-indicator.
///
/// * gpg2 — GPG v2 §4.2.6 look-up table ([`GPG2_TABLE`]): trajectory and state enter with
///   three classes (significant at Z = ±1.96; the 90 % levels ±1 count as stable), performance
///   with two.
/// * gpg1 — GPG v1 Table 3 (18 rows): trajectory degrading → degraded; stable trajectory →
///   degraded iff performance is low and state is not improving; improving trajectory →
///   degraded iff state declines with low performance, stable if state declines alone.
/// * trends-earth — Trends.Earth `calc_prod5` five LPD classes, then 1–2 → degraded,
///   3–4 → stable, 5 → improved (`calc_prod3`).
pub fn combine(trajectory: i8, state: i8, performance: i8, profile: Profile) -> Class {
    let low_perf = performance < 0;
    match profile {
        Profile::Gpg2 => {
            let three = |c: i8| {
                if c <= -2 {
                    -1
                } else if c >= 2 {
                    1
                } else {
                    0
                }
            };
            let (t, s) = (three(trajectory), three(state));
            GPG2_TABLE
                .iter()
                .find(|row| row.0 == t && row.1 == s && row.2 == low_perf)
                .map_or(Class::Stable, |row| row.3)
        }
        Profile::Gpg1 => match trajectory.signum() {
            -1 => Class::Degraded,
            0 if low_perf && state <= 0 => Class::Degraded,
            0 => Class::Stable,
            _ if state < 0 && low_perf => Class::Degraded,
            _ if state < 0 => Class::Stable,
            _ => Class::Improved,
        },
        Profile::TrendsEarth => {
            match lpd5_trends_earth(trajectory.signum(), state.signum(), low_perf) {
                1 | 2 => Class::Degraded,
                3 | 4 => Class::Stable,
                _ => Class::Improved,
            }
        }
    }
}

/// GPG v2 (2021) §4.2.6 productivity look-up table, all 18 rows:
/// (trajectory −1/0/1, state −1/0/1, low performance, productivity).
///
/// Source: the GPG v2 table as implemented in SEPAL's `sdg_15.3.1` module
/// (sepal-contrib/sdg_15.3.1, `component/scripts/productivity.py`, `productivity_final`,
/// the "GPGv2" choice; classes 1 degraded / 2 stable / 3 improved there). Against that
/// module's GPG v1 table (`productivity_final_GPG1`) two rows differ: a declining trajectory
/// with a stable state and normal performance is stable, and a stable trajectory with a
/// stable state and low performance is degraded.
pub const GPG2_TABLE: [(i8, i8, bool, Class); 18] = [
    (-1, -1, true, Class::Degraded),
    (-1, -1, false, Class::Degraded),
    (-1, 0, true, Class::Degraded),
    (-1, 0, false, Class::Stable),
    (-1, 1, true, Class::Degraded),
    (-1, 1, false, Class::Degraded),
    (0, -1, true, Class::Degraded),
    (0, -1, false, Class::Stable),
    (0, 0, true, Class::Degraded),
    (0, 0, false, Class::Stable),
    (0, 1, true, Class::Stable),
    (0, 1, false, Class::Stable),
    (1, -1, true, Class::Degraded),
    (1, -1, false, Class::Improved),
    (1, 0, true, Class::Improved),
    (1, 0, false, Class::Improved),
    (1, 1, true, Class::Improved),
    (1, 1, false, Class::Improved),
];

/// Trends.Earth's five LPD classes (1 declining, 2 early signs of decline, 3 stable but
/// stressed, 4 stable, 5 increasing) from trajectory and state in -1/0/1 and low performance;
/// later rules override earlier ones as in its `calc_prod5`.
pub fn lpd5_trends_earth(trajectory: i8, state: i8, low_performance: bool) -> u8 {
    let mut lpd = match trajectory {
        -1 => 1,
        0 => 4,
        _ => 5,
    };
    if trajectory == 0 && state == 0 && low_performance {
        lpd = 3;
    }
    if trajectory == 1 && state == -1 && low_performance {
        lpd = 2;
    }
    if trajectory == 0 && state == -1 && !low_performance {
        lpd = 2;
    }
    if trajectory == 0 && state == -1 && low_performance {
        lpd = 1;
    }
    lpd
}
