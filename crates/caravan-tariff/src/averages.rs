//! Simple averages of a schedule's ad valorem rates by HS 6 subheading, the figure WITS/TRAINS
//! publishes as a country's applied MFN average, so a schedule can be cross-checked against it.

use std::collections::BTreeMap;

use caravan_types::{Decimal, HsCode};
use serde::Serialize;
use time::Date;

use crate::expr::DutyExpr;
use crate::schedule::{MeasureKind, Schedule};

/// The third-country duty of the lines under one HS 6 subheading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hs6Average {
    /// The subheading.
    pub hs6: HsCode,
    /// National lines under it with a third-country duty on the date.
    pub lines: usize,
    /// Of those, lines whose duty has an ad valorem part (alone, or in a compound form).
    pub ad_valorem_lines: usize,
    /// Lines charged only per unit (no ad valorem part): left out of the average, as WITS
    /// leaves out rates it has no ad valorem equivalent for.
    pub specific_only_lines: usize,
    /// The simple average of the ad valorem parts, in percent; `None` when no line has one.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub average_percent: Option<Decimal>,
}

/// The ad valorem part of a duty: the percentage itself, or the percentage of a compound form
/// ("X %, but not less than Y EUR/kg", "X % + Y EUR/kg"); `None` for a duty per unit only.
pub fn ad_valorem_part(expr: &DutyExpr) -> Option<Decimal> {
    match expr {
        DutyExpr::AdValorem(percent) => Some(*percent),
        DutyExpr::Specific { .. } => None,
        DutyExpr::Sum(parts) | DutyExpr::Max(parts) | DutyExpr::Min(parts) => {
            parts.iter().find_map(ad_valorem_part)
        }
    }
}

/// Per HS 6 subheading, the simple (unweighted) average of the ad valorem part of each national
/// line's third-country duty in force on `date`, in code order. Lines charged only per unit are
/// counted apart and left out of the average. The average is rounded to 4 decimal places.
pub fn hs6_ad_valorem_averages(schedule: &Schedule, date: Date) -> Vec<Hs6Average> {
    let mut by_hs6: BTreeMap<HsCode, (usize, Vec<Decimal>, usize)> = BTreeMap::new();
    for line in schedule.lines.iter().filter(|l| l.code.len() >= 6) {
        let Some(duty) = schedule
            .measures_in_force(&line.code, date)
            .into_iter()
            .find(|m| m.kind == MeasureKind::Mfn)
            .and_then(|m| m.duty.as_ref())
        else {
            continue;
        };
        let entry = by_hs6.entry(line.code.truncate(6)).or_default();
        entry.0 += 1;
        match ad_valorem_part(duty) {
            Some(percent) => entry.1.push(percent),
            None => entry.2 += 1,
        }
    }
    by_hs6
        .into_iter()
        .map(|(hs6, (lines, percents, specific_only_lines))| {
            let average_percent = (!percents.is_empty()).then(|| {
                let sum: Decimal = percents.iter().sum();
                (sum / Decimal::from(percents.len())).round_dp(4)
            });
            Hs6Average {
                hs6,
                lines,
                ad_valorem_lines: percents.len(),
                specific_only_lines,
                average_percent,
            }
        })
        .collect()
}
