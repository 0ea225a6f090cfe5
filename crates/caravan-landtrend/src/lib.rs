//! SDG indicator 15.3.1, "proportion of land that is degraded over total land area", computed
//! to the UNCCD Good Practice Guidance version 2 (GPG v2, 2021) from per-pixel values.
//!
//! Pure numeric crate: it takes blocks of raster rows as slices and returns class layers and
//! area tallies; reading and writing GeoTIFFs is the shells' job. Pipeline (two passes over
//! the rows, so rasters larger than memory stream): [`trend_block`] computes every pixel's
//! trajectory, state and mean productivity (the shell keeps these 6 bytes a pixel, e.g. on
//! disk) and gathers the means by land unit, [`unit_p90`] turns them into 90th percentiles, and
//! [`assess_block`] classes each pixel and adds its area to a [`Tally`].

pub mod area;
pub mod landcover;
pub mod productivity;
pub mod soc;
pub mod stats;

use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;

pub use landcover::{Legend, TransitionMatrix};
pub use productivity::Profile;

/// Raster code for no data in every output layer.
pub const NODATA: i16 = -32768;
/// Raster code for pixels outside the assessed area (region id 0).
pub const OUTSIDE: i16 = -32767;

/// A sub-indicator's or the indicator's class for one pixel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Class {
    /// −1 in rasters.
    Degraded,
    /// 0 in rasters.
    Stable,
    /// 1 in rasters.
    Improved,
}

impl Class {
    /// −1, 0 or 1 → the class (any negative is degraded, any positive improved).
    pub fn from_sign(value: i8) -> Self {
        match value.signum() {
            -1 => Class::Degraded,
            0 => Class::Stable,
            _ => Class::Improved,
        }
    }

    /// The raster code: −1, 0 or 1.
    pub fn code(self) -> i16 {
        match self {
            Class::Degraded => -1,
            Class::Stable => 0,
            Class::Improved => 1,
        }
    }
}

/// One out, all out (GPG v2 §7.1): no data if any sub-indicator is no data; otherwise
/// degraded if any is degraded; improved if any is improved and none degraded; else stable.
pub fn one_out_all_out(classes: &[Option<Class>]) -> Option<Class> {
    let mut res = Class::Stable;
    for class in classes {
        match class {
            None => return None,
            Some(Class::Degraded) => res = Class::Degraded,
            Some(Class::Improved) if res != Class::Degraded => res = Class::Improved,
            Some(_) => {}
        }
    }
    Some(res)
}

/// Why a configuration was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("the NDVI years must be consecutive and ascending, got {0:?}")]
    Years(Vec<i32>),
    #[error("the {which} period {start}-{end} is not inside the NDVI years {first}-{last}")]
    Period { which: &'static str, start: i32, end: i32, first: i32, last: i32 },
    #[error(
        "the baseline period needs at least 2 years and the trend at least 3, got {0} NDVI years"
    )]
    TooFewYears(usize),
    #[error(transparent)]
    Productivity(#[from] productivity::ProductivityError),
}

/// Which year's land cover makes a pixel water, not land (SDG 15.3.1 counts land only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WaterRule {
    /// Water (UNCCD class 7) in the baseline or the target year.
    #[default]
    Either,
    /// Water in the target (final) year, as the GPG v2 text speaks of the final year.
    Final,
    /// Water in the baseline year, as Trends.Earth's code masks it.
    Baseline,
}

impl WaterRule {
    /// Whether a pixel with UNCCD land cover `baseline` and `target` is water.
    pub fn is_water(self, baseline: Option<u8>, target: Option<u8>) -> bool {
        let water = |c: Option<u8>| c == Some(landcover::WATER);
        match self {
            WaterRule::Either => water(baseline) || water(target),
            WaterRule::Final => water(target),
            WaterRule::Baseline => water(baseline),
        }
    }
}

/// A validated run configuration.
#[derive(Debug, Clone)]
pub struct Config {
    water: WaterRule,
    profile: Profile,
    years: Vec<f64>,
    baseline_idx: std::ops::Range<usize>,
    recent_idx: std::ops::Range<usize>,
    legend: Legend,
    transitions: TransitionMatrix,
}

impl Config {
    /// Validates the NDVI years (one per band), the baseline and recent periods (inclusive;
    /// by default all but the last three years, and the last three: GPG v2 §4.2.4).
    ///
    /// # Errors
    /// [`ConfigError`] naming the offending years or period.
    pub fn new(
        profile: Profile,
        years: &[i32],
        baseline: Option<(i32, i32)>,
        recent: Option<(i32, i32)>,
        legend: Legend,
        transitions: TransitionMatrix,
    ) -> Result<Self, ConfigError> {
        if years.len() < 5 {
            return Err(ConfigError::TooFewYears(years.len()));
        }
        if years.windows(2).any(|w| w[1] != w[0] + 1) {
            return Err(ConfigError::Years(years.to_vec()));
        }
        let (first, last) = (years[0], years[years.len() - 1]);
        let baseline = baseline.unwrap_or((first, last - 3));
        let recent = recent.unwrap_or((last - 2, last));
        let range = |which, (start, end): (i32, i32)| {
            if start < first || end > last || start > end {
                return Err(ConfigError::Period { which, start, end, first, last });
            }
            let lo = usize::try_from(start - first).expect("start >= first");
            let hi = usize::try_from(end - first).expect("end >= first") + 1;
            Ok(lo..hi)
        };
        let baseline_idx = range("baseline", baseline)?;
        let recent_idx = range("recent", recent)?;
        if baseline_idx.len() < 2 {
            return Err(ConfigError::Period {
                which: "baseline",
                start: baseline.0,
                end: baseline.1,
                first,
                last,
            });
        }
        if profile == Profile::TrendsEarth {
            productivity::te_kendall_critical(years.len())?;
        }
        Ok(Self {
            water: WaterRule::default(),
            profile,
            years: years.iter().map(|&y| f64::from(y)).collect(),
            baseline_idx,
            recent_idx,
            legend,
            transitions,
        })
    }

    /// The number of NDVI years (bands).
    pub fn n_years(&self) -> usize {
        self.years.len()
    }

    /// This configuration with another water rule (default [`WaterRule::Either`]).
    #[must_use]
    pub fn with_water(mut self, water: WaterRule) -> Self {
        self.water = water;
        self
    }
}

/// A block of whole raster rows, every layer `width * n_rows` long, row-major.
/// Real-valued layers use NaN for no data.
#[derive(Debug, Clone)]
pub struct Block<'a> {
    /// Pixels per row.
    pub width: usize,
    /// Rows in this block.
    pub n_rows: usize,
    /// One slice per NDVI year (scaled values; NaN = no data).
    pub ndvi: Vec<&'a [f64]>,
    /// Land cover codes in the baseline and target years.
    pub lc_baseline: &'a [f64],
    /// See `lc_baseline`.
    pub lc_target: &'a [f64],
    /// SOC stocks in the baseline and target years.
    pub soc_baseline: &'a [f64],
    /// See `soc_baseline`.
    pub soc_target: &'a [f64],
    /// Ecozone code (with land cover, the land unit of performance).
    pub ecozone: &'a [f64],
    /// Region id per pixel; 0 = outside the area.
    pub region: &'a [i64],
    /// Cell area in km² of each row in this block.
    pub row_area_km2: &'a [f64],
}

/// A land unit for performance: UNCCD baseline land cover class and ecozone (GPG v2 §4.2.5).
pub type UnitKey = (u8, i64);

fn to_i64(v: f64) -> Option<i64> {
    if !(v.is_finite() && v.fract() == 0.0 && v.abs() < 9.0e15) {
        return None;
    }
    #[expect(clippy::cast_possible_truncation, reason = "checked integral and in range")]
    let int = v as i64;
    Some(int)
}

fn pixel_series(block: &Block<'_>, idx: usize, out: &mut Vec<f64>) -> bool {
    out.clear();
    for band in &block.ndvi {
        let v = band[idx];
        if v.is_nan() {
            return false;
        }
        out.push(v);
    }
    true
}

fn unit_of(cfg: &Config, block: &Block<'_>, idx: usize) -> Option<UnitKey> {
    let lc = cfg.legend.to_unccd(to_i64(block.lc_baseline[idx])?)?;
    // A land unit of baseline water is not land: no performance class (no data), rather than a
    // class computed among water pixels (issue 23).
    if lc == landcover::WATER {
        return None;
    }
    Some((lc, to_i64(block.ecozone[idx])?))
}

/// Pass-1 result for one pixel: the productivity parts that need the NDVI series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PixelTrend {
    /// Trajectory class (see [`productivity::trajectory`]), `None` without a full series.
    pub trajectory: Option<i8>,
    /// State class (see [`productivity::state_class`]).
    pub state: Option<i8>,
    /// Mean of the series (NDVI units), NaN without a full series.
    pub mean: f32,
}

impl PixelTrend {
    /// Size of [`PixelTrend::to_bytes`].
    pub const BYTES: usize = 6;

    /// A compact encoding, so pass 1 can spill its results to disk.
    pub fn to_bytes(self) -> [u8; 6] {
        let [a, b, c, d] = self.mean.to_le_bytes();
        let code = |v: Option<i8>| v.map_or(i8::MIN, |x| x).to_le_bytes()[0];
        [code(self.trajectory), code(self.state), a, b, c, d]
    }

    /// Inverse of [`PixelTrend::to_bytes`].
    pub fn from_bytes(bytes: [u8; 6]) -> Self {
        let decode = |b: u8| Some(i8::from_le_bytes([b])).filter(|&v| v != i8::MIN);
        Self {
            trajectory: decode(bytes[0]),
            state: decode(bytes[1]),
            mean: f32::from_le_bytes([bytes[2], bytes[3], bytes[4], bytes[5]]),
        }
    }
}

/// Pass 1: trajectory (GPG v2 §4.2.3) and state (§4.2.4) of every pixel, rows in parallel;
/// adds each inside pixel's mean to its land unit for performance (§4.2.5).
pub fn trend_block(
    cfg: &Config,
    block: &Block<'_>,
    sink: &mut HashMap<UnitKey, Vec<f32>>,
) -> Vec<PixelTrend> {
    let rows: Vec<Vec<PixelTrend>> = (0..block.n_rows)
        .into_par_iter()
        .map(|row| {
            let mut series = Vec::with_capacity(cfg.n_years());
            (0..block.width)
                .map(|col| {
                    let idx = row * block.width + col;
                    if block.region[idx] == 0 || !pixel_series(block, idx, &mut series) {
                        return PixelTrend { trajectory: None, state: None, mean: f32::NAN };
                    }
                    let trajectory = productivity::trajectory(&cfg.years, &series, cfg.profile)
                        .ok()
                        .map(|t| t.class);
                    let state = productivity::state(
                        &series[cfg.baseline_idx.clone()],
                        &series[cfg.recent_idx.clone()],
                        cfg.profile,
                    );
                    #[expect(
                        clippy::cast_possible_truncation,
                        reason = "f32 suffices for a mean of NDVI values"
                    )]
                    let mean = (series.iter().sum::<f64>() / series.len() as f64) as f32;
                    PixelTrend { trajectory, state, mean }
                })
                .collect()
        })
        .collect();
    // Sized once: a flattened collect grows by doubling into fresh pages every block.
    let mut trends = Vec::with_capacity(block.n_rows * block.width);
    for row in rows {
        trends.extend(row);
    }
    for (idx, t) in trends.iter().enumerate() {
        if t.mean.is_nan() {
            continue;
        }
        if let Some(unit) = unit_of(cfg, block, idx) {
            sink.entry(unit).or_default().push(t.mean);
        }
    }
    trends
}

/// The 90th percentile of each land unit's pixel means (see [`productivity::percentile_90`]).
pub fn unit_p90(means: HashMap<UnitKey, Vec<f32>>) -> HashMap<UnitKey, f64> {
    means
        .into_iter()
        .filter_map(|(unit, mut values)| {
            productivity::percentile_90(&mut values).map(|p| (unit, p))
        })
        .collect()
}

/// The seven output layers of a block (int16 codes: −1/0/1, [`NODATA`], [`OUTSIDE`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Layers {
    /// SDG 15.3.1 (one out, all out; water is no data).
    pub sdg: Vec<i16>,
    /// Combined productivity.
    pub productivity: Vec<i16>,
    /// Trajectory: −1 significant decline (Z ≤ −1.96), 1 significant increase, else 0.
    pub trajectory: Vec<i16>,
    /// State: −1 / 1 when |z| ≥ 1.96, else 0.
    pub state: Vec<i16>,
    /// Performance: −1 low (< 0.5 of the unit's 90th percentile), else 0.
    pub performance: Vec<i16>,
    /// Land cover degradation from the transition matrix.
    pub lc_degradation: Vec<i16>,
    /// SOC degradation (±10 %).
    pub soc_degradation: Vec<i16>,
}

/// Areas of one class breakdown: degraded, stable, improved, no data (km²).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ClassAreas {
    /// Area classed degraded.
    pub degraded_km2: f64,
    /// Area classed stable.
    pub stable_km2: f64,
    /// Area classed improved.
    pub improved_km2: f64,
    /// Land area without data.
    pub nodata_km2: f64,
}

impl ClassAreas {
    fn add(&mut self, class: Option<Class>, area: f64) {
        match class {
            Some(Class::Degraded) => self.degraded_km2 += area,
            Some(Class::Stable) => self.stable_km2 += area,
            Some(Class::Improved) => self.improved_km2 += area,
            None => self.nodata_km2 += area,
        }
    }

    fn merge(&mut self, other: &ClassAreas) {
        self.degraded_km2 += other.degraded_km2;
        self.stable_km2 += other.stable_km2;
        self.improved_km2 += other.improved_km2;
        self.nodata_km2 += other.nodata_km2;
    }

    /// Degraded share of `land_km2` in percent (SDG 15.3.1's proportion: degraded / land area,
    /// no data included); 0 for no land.
    pub fn pct_degraded(&self, land_km2: f64) -> f64 {
        if land_km2 > 0.0 { 100.0 * self.degraded_km2 / land_km2 } else { 0.0 }
    }

    /// Degraded share of the classified land in percent: degraded / (degraded + stable +
    /// improved), no data left out; 0 when nothing is classified.
    pub fn pct_degraded_of_classified(&self) -> f64 {
        let classified = self.degraded_km2 + self.stable_km2 + self.improved_km2;
        if classified > 0.0 { 100.0 * self.degraded_km2 / classified } else { 0.0 }
    }
}

/// Areas of one region.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RegionTally {
    /// Pixels in the region (water included).
    pub n_pixels: u64,
    /// Total area.
    pub area_km2: f64,
    /// Water (UNCCD class 7 in the year(s) of the [`WaterRule`]), excluded from land.
    pub water_km2: f64,
    /// Land area = area − water.
    pub land_km2: f64,
    /// SDG 15.3.1 classes over land.
    pub sdg: ClassAreas,
    /// Productivity classes over land.
    pub productivity: ClassAreas,
    /// Land cover degradation classes over land.
    pub lc_degradation: ClassAreas,
    /// SOC degradation classes over land.
    pub soc_degradation: ClassAreas,
}

impl RegionTally {
    fn merge(&mut self, other: &RegionTally) {
        self.n_pixels += other.n_pixels;
        self.area_km2 += other.area_km2;
        self.water_km2 += other.water_km2;
        self.land_km2 += other.land_km2;
        self.sdg.merge(&other.sdg);
        self.productivity.merge(&other.productivity);
        self.lc_degradation.merge(&other.lc_degradation);
        self.soc_degradation.merge(&other.soc_degradation);
    }
}

/// Per-region areas and land cover transition areas, accumulated over blocks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    /// Areas by region id.
    pub regions: BTreeMap<i64, RegionTally>,
    /// km² of each UNCCD baseline → target transition, `[from-1][to-1]`, by region id.
    pub transitions: BTreeMap<i64, [[f64; 7]; 7]>,
}

impl Tally {
    /// The whole area: every region's areas added up (national reporting is a total).
    pub fn total(&self) -> RegionTally {
        let mut res = RegionTally::default();
        for t in self.regions.values() {
            res.merge(t);
        }
        res
    }

    /// Adds another tally into this one.
    pub fn merge(&mut self, other: &Tally) {
        for (region, t) in &other.regions {
            self.regions.entry(*region).or_default().merge(t);
        }
        for (region, m) in &other.transitions {
            let mine = self.transitions.entry(*region).or_insert([[0.0; 7]; 7]);
            for (row, orow) in mine.iter_mut().zip(m) {
                for (cell, o) in row.iter_mut().zip(orow) {
                    *cell += o;
                }
            }
        }
    }
}

fn code(class: Option<Class>) -> i16 {
    class.map_or(NODATA, Class::code)
}

/// Keeps only the 95 % level of a five-level class for a −1/0/1 layer.
fn significant(class: i8) -> i16 {
    match class {
        ..=-2 => -1,
        2.. => 1,
        _ => 0,
    }
}

/// Pass 2: classes every pixel of `block` and adds its areas to `tally`.
///
/// `trends` are this block's pass-1 results ([`trend_block`]; `block.ndvi` may be empty),
/// `p90` comes from [`unit_p90`] over the whole area. Rows are processed in parallel.
///
/// # Panics
/// When `trends` is shorter than the block.
pub fn assess_block(
    cfg: &Config,
    block: &Block<'_>,
    trends: &[PixelTrend],
    p90: &HashMap<UnitKey, f64>,
    tally: &mut Tally,
) -> Layers {
    let width = block.width;
    let rows: Vec<(Vec<[i16; 7]>, Tally)> = (0..block.n_rows)
        .into_par_iter()
        .map(|row| assess_row(cfg, block, trends, p90, row))
        .collect();
    let n = width * block.n_rows;
    let mut layers = Layers {
        sdg: Vec::with_capacity(n),
        productivity: Vec::with_capacity(n),
        trajectory: Vec::with_capacity(n),
        state: Vec::with_capacity(n),
        performance: Vec::with_capacity(n),
        lc_degradation: Vec::with_capacity(n),
        soc_degradation: Vec::with_capacity(n),
    };
    for (pixels, row_tally) in &rows {
        for p in pixels {
            layers.sdg.push(p[0]);
            layers.productivity.push(p[1]);
            layers.trajectory.push(p[2]);
            layers.state.push(p[3]);
            layers.performance.push(p[4]);
            layers.lc_degradation.push(p[5]);
            layers.soc_degradation.push(p[6]);
        }
        tally.merge(row_tally);
    }
    layers
}

fn assess_row(
    cfg: &Config,
    block: &Block<'_>,
    trends: &[PixelTrend],
    p90: &HashMap<UnitKey, f64>,
    row: usize,
) -> (Vec<[i16; 7]>, Tally) {
    let mut out = Vec::with_capacity(block.width);
    let mut tally = Tally::default();
    let area = block.row_area_km2[row];
    for col in 0..block.width {
        let idx = row * block.width + col;
        let region = block.region[idx];
        if region == 0 {
            out.push([OUTSIDE; 7]);
            continue;
        }
        let trend = trends[idx];
        let (traj, state) = (trend.trajectory, trend.state);
        // GPG v2 §4.2.5: performance against the land unit's 90th percentile.
        let perf = if trend.mean.is_nan() {
            None
        } else {
            unit_of(cfg, block, idx).and_then(|unit| p90.get(&unit)).and_then(|&p| {
                productivity::performance_class_for(f64::from(trend.mean), p, cfg.profile)
            })
        };
        let prod = match (traj, state, perf) {
            (Some(t), Some(s), Some(p)) => Some(productivity::combine(t, s, p, cfg.profile)),
            _ => None,
        };
        let lc_b = to_i64(block.lc_baseline[idx]).and_then(|c| cfg.legend.to_unccd(c));
        let lc_t = to_i64(block.lc_target[idx]).and_then(|c| cfg.legend.to_unccd(c));
        // GPG v2 §5.2: the transition matrix classes each baseline → target change.
        let lc_deg = lc_b.zip(lc_t).and_then(|(b, t)| cfg.transitions.classify(b, t));
        // GPG v2 §6.3: ±10 % change in SOC stock.
        let soc_deg = soc::soc_class_f64(block.soc_baseline[idx], block.soc_target[idx]);
        let water = cfg.water.is_water(lc_b, lc_t);
        // GPG v2 §7.1: one out, all out; water bodies are not land.
        let sdg = if water { None } else { one_out_all_out(&[prod, lc_deg, soc_deg]) };
        out.push([
            code(sdg),
            code(prod),
            traj.map_or(NODATA, significant),
            state.map_or(NODATA, significant),
            perf.map_or(NODATA, i16::from),
            code(lc_deg),
            code(soc_deg),
        ]);
        let t = tally.regions.entry(region).or_default();
        t.n_pixels += 1;
        t.area_km2 += area;
        if water {
            t.water_km2 += area;
        } else {
            t.land_km2 += area;
            t.sdg.add(sdg, area);
            t.productivity.add(prod, area);
            t.lc_degradation.add(lc_deg, area);
            t.soc_degradation.add(soc_deg, area);
        }
        if let (Some(b), Some(tg)) = (lc_b, lc_t) {
            tally.transitions.entry(region).or_insert([[0.0; 7]; 7])[usize::from(b - 1)]
                [usize::from(tg - 1)] += area;
        }
    }
    (out, tally)
}

#[cfg(test)]
mod tests;
