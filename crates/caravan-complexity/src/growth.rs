//! Growth of trade values: compound annual growth rate, period growth, shares, contributions to
//! growth and mirror-statistics gaps.
//!
//! - CAGR over `n` periods: `(v1 / v0)^(1/n) - 1` (the number of periods is explicit: 2013 to 2024
//!   is 11 yearly periods);
//! - period growth: `v1 / v0 - 1`;
//! - share of a group in the total: `v_g / sum_g v_g`;
//! - contribution of a group to total growth, in percentage points of the total's growth:
//!   `(v1_g - v0_g) / sum_g v0_g`; the contributions add up to the total's period growth
//!   (OECD, *Glossary of statistical terms*, "contribution to growth");
//! - mirror gap: a flow as reported by one side versus the same flow as reported by its partner
//!   (`partner - reporter` and `partner / reporter`), UN Comtrade's "mirror statistics".

/// Why a growth computation failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GrowthError {
    #[error("start value must be positive and finite, got {0}")]
    NonPositiveStart(f64),
    #[error("end value must be non-negative and finite, got {0}")]
    InvalidEnd(f64),
    #[error("number of periods must be positive, got {0}")]
    NonPositivePeriods(f64),
    #[error("groups have {from} start values but {to} end values")]
    LengthMismatch { from: usize, to: usize },
}

/// Compound annual (per-period) growth rate from `start` to `end` over `periods` periods.
///
/// # Errors
/// [`GrowthError`] when `start <= 0`, `end < 0`, a value is not finite, or `periods <= 0`.
pub fn cagr(start: f64, end: f64, periods: f64) -> Result<f64, GrowthError> {
    check_pair(start, end)?;
    if !(periods.is_finite() && periods > 0.0) {
        return Err(GrowthError::NonPositivePeriods(periods));
    }
    Ok((end / start).powf(1.0 / periods) - 1.0)
}

/// Growth over the whole period, `end / start - 1`.
///
/// # Errors
/// [`GrowthError`] when `start <= 0`, `end < 0` or a value is not finite.
pub fn period_growth(start: f64, end: f64) -> Result<f64, GrowthError> {
    check_pair(start, end)?;
    Ok(end / start - 1.0)
}

fn check_pair(start: f64, end: f64) -> Result<(), GrowthError> {
    if !(start.is_finite() && start > 0.0) {
        return Err(GrowthError::NonPositiveStart(start));
    }
    if !(end.is_finite() && end >= 0.0) {
        return Err(GrowthError::InvalidEnd(end));
    }
    Ok(())
}

/// Growth of one group within a total.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GroupGrowth {
    /// Value at the start.
    pub value_from: f64,
    /// Value at the end.
    pub value_to: f64,
    /// CAGR, NaN when the start value is 0.
    pub cagr: f64,
    /// Period growth, NaN when the start value is 0.
    pub growth: f64,
    /// Share of the total at the start.
    pub share_from: f64,
    /// Share of the total at the end.
    pub share_to: f64,
    /// Contribution to the total's period growth (sums to the total's growth).
    pub contribution: f64,
}

/// Growth, shares and contributions of each group from `from[g]` to `to[g]` over `periods`.
///
/// # Errors
/// [`GrowthError`] on mismatched lengths, non-positive periods, negative or non-finite values, or a
/// zero starting total.
pub fn group_growth(
    from: &[f64],
    to: &[f64],
    periods: f64,
) -> Result<Vec<GroupGrowth>, GrowthError> {
    if from.len() != to.len() {
        return Err(GrowthError::LengthMismatch { from: from.len(), to: to.len() });
    }
    if !(periods.is_finite() && periods > 0.0) {
        return Err(GrowthError::NonPositivePeriods(periods));
    }
    for (&v0, &v1) in from.iter().zip(to) {
        if !(v0.is_finite() && v0 >= 0.0) {
            return Err(GrowthError::NonPositiveStart(v0));
        }
        if !(v1.is_finite() && v1 >= 0.0) {
            return Err(GrowthError::InvalidEnd(v1));
        }
    }
    let total_from: f64 = from.iter().sum();
    let total_to: f64 = to.iter().sum();
    if total_from <= 0.0 {
        return Err(GrowthError::NonPositiveStart(total_from));
    }
    Ok(from
        .iter()
        .zip(to)
        .map(|(&v0, &v1)| GroupGrowth {
            value_from: v0,
            value_to: v1,
            cagr: cagr(v0, v1, periods).unwrap_or(f64::NAN),
            growth: period_growth(v0, v1).unwrap_or(f64::NAN),
            share_from: v0 / total_from,
            share_to: if total_to > 0.0 { v1 / total_to } else { f64::NAN },
            contribution: (v1 - v0) / total_from,
        })
        .collect())
}

/// A flow as reported by both sides.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MirrorGap {
    /// `partner - reporter`.
    pub difference: f64,
    /// `partner / reporter` (NaN when the reporter's value is 0).
    pub ratio: f64,
}

/// Mirror comparison of a `reporter`'s value with its `partner`'s report of the same flow.
pub fn mirror_gap(reporter: f64, partner: f64) -> MirrorGap {
    MirrorGap {
        difference: partner - reporter,
        ratio: if reporter != 0.0 { partner / reporter } else { f64::NAN },
    }
}

/// Which way a reported flow goes, from its reporter's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FlowDirection {
    Export,
    Import,
}

impl FlowDirection {
    /// Reads UN Comtrade's flow codes (`X`, `M`) and descriptions (`Export`, `Import`), in any
    /// case, plural forms too. Re-exports and re-imports (`RX`, `RM`) are not flows of the
    /// partner's mirror and give `None`, like any other text.
    pub fn parse(text: &str) -> Option<FlowDirection> {
        match text.trim().to_ascii_lowercase().as_str() {
            "x" | "export" | "exports" => Some(FlowDirection::Export),
            "m" | "import" | "imports" => Some(FlowDirection::Import),
            _ => None,
        }
    }
}

/// A flow as one side reported it: `reporter` exported to, or imported from, `partner`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReportedFlow<'a> {
    pub time: &'a str,
    pub reporter: &'a str,
    pub partner: &'a str,
    pub product: &'a str,
    pub direction: FlowDirection,
    pub value: f64,
}

/// One flow from `exporter` to `importer`, as each side reported it.
#[derive(Debug, Clone, PartialEq)]
pub struct MirrorRow {
    pub time: String,
    pub exporter: String,
    pub importer: String,
    pub product: String,
    /// The exporter's reported exports to the importer (usually FOB); `None` when not reported.
    pub exports_reported: Option<f64>,
    /// The importer's reported imports from the exporter (usually CIF); `None` when not reported.
    pub imports_reported: Option<f64>,
}

impl MirrorRow {
    /// The importer's report against the exporter's, when both sides reported.
    pub fn gap(&self) -> Option<MirrorGap> {
        Some(mirror_gap(self.exports_reported?, self.imports_reported?))
    }
}

/// Pairs every reported flow with its mirror (UN Comtrade, "mirror statistics": country A's
/// exports to B against B's imports from A, for the same period and product). Reports of the
/// same flow by the same side are added up. Rows come sorted by time, exporter, importer and
/// product; flows only one side reported keep `None` for the other.
pub fn mirror_flows(flows: &[ReportedFlow<'_>]) -> Vec<MirrorRow> {
    use std::collections::BTreeMap;
    type Key<'a> = (&'a str, &'a str, &'a str, &'a str);
    let mut pairs: BTreeMap<Key<'_>, (Option<f64>, Option<f64>)> = BTreeMap::new();
    for flow in flows {
        let (exporter, importer) = match flow.direction {
            FlowDirection::Export => (flow.reporter, flow.partner),
            FlowDirection::Import => (flow.partner, flow.reporter),
        };
        let entry = pairs.entry((flow.time, exporter, importer, flow.product)).or_default();
        let side = match flow.direction {
            FlowDirection::Export => &mut entry.0,
            FlowDirection::Import => &mut entry.1,
        };
        *side = Some(side.unwrap_or(0.0) + flow.value);
    }
    pairs
        .into_iter()
        .map(|((time, exporter, importer, product), (exports, imports))| MirrorRow {
            time: time.to_owned(),
            exporter: exporter.to_owned(),
            importer: importer.to_owned(),
            product: product.to_owned(),
            exports_reported: exports,
            imports_reported: imports,
        })
        .collect()
}

#[cfg(test)]
mod tests;
