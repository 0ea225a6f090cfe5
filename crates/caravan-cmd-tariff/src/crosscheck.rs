//! `caravan tariff cross-check-hs6`: a schedule's HS 6 averages of ad valorem rates against an
//! independent file of applied MFN averages (WITS/TRAINS figures, as mirrored in JSON
//! `{"rates": {"010121": 0.0, …}}`), with the agreement and the largest gaps.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow};
use caravan_tariff::hs6_ad_valorem_averages;
use caravan_types::Decimal;
use rust_decimal::prelude::ToPrimitive;
use time::Date;

use crate::read::{load_tariff, schedules_dir};
use crate::{success, write_json};

/// Options of `caravan tariff cross-check-hs6`.
#[derive(Debug, clap::Args)]
pub struct CrossCheckArgs {
    /// The reference: JSON with a `rates` object of HS 6 code → applied MFN average in percent
    /// (e.g. `data/rates/KZ.json` of the repository Bagnar/Trade-Routes, WITS/TRAINS 2023).
    #[arg(value_name = "FILE")]
    pub reference: PathBuf,
    /// The jurisdiction whose schedule is compared.
    #[arg(long, default_value = "KZ")]
    pub jurisdiction: String,
    /// The day whose duties are compared, YYYY-MM-DD.
    #[arg(long, value_parser = crate::tariff::parse_date)]
    pub date: Date,
    /// How many of the largest gaps to list.
    #[arg(long, default_value_t = 25)]
    pub top: usize,
    /// Also write every HS 6 compared as CSV (hs6,ours,reference,gap,lines,specific_only_lines).
    #[arg(long, value_name = "CSV")]
    pub csv: Option<PathBuf>,
    /// Directory of schedules (default: data/tariff found from the current directory upwards).
    #[arg(long, env = "CARAVAN_TARIFF_DIR", value_name = "DIR")]
    pub schedules: Option<PathBuf>,
}

/// Runs `caravan tariff cross-check-hs6` and prints the agreement as JSON.
///
/// # Errors
/// Unreadable schedules or reference, or no schedule of the jurisdiction on the date.
pub(crate) fn cross_check(args: &CrossCheckArgs) -> Result<ExitCode> {
    let tariff = load_tariff(&schedules_dir(args.schedules.as_deref())?)?;
    let jurisdiction = args.jurisdiction.trim().to_uppercase();
    let schedule = tariff
        .schedule_on(&jurisdiction, args.date)
        .ok_or_else(|| anyhow!("--jurisdiction: no {jurisdiction} schedule on {}", args.date))?;
    let text = std::fs::read_to_string(&args.reference)
        .with_context(|| format!("reading {}", args.reference.display()))?;
    let reference: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{}: not JSON", args.reference.display()))?;
    let rates = reference["rates"].as_object().ok_or_else(|| {
        anyhow!("{}: expected an object `rates` of HS 6 code → percent", args.reference.display())
    })?;
    let mut theirs: BTreeMap<&str, f64> = BTreeMap::new();
    for (code, value) in rates {
        let value = value
            .as_f64()
            .ok_or_else(|| anyhow!("{}: rates.{code} is not a number", args.reference.display()))?;
        theirs.insert(code.as_str(), value);
    }
    let averages = hs6_ad_valorem_averages(schedule, args.date);
    let mut rows = Vec::new();
    let mut specific_only_subheadings = 0;
    let mut not_in_reference = Vec::new();
    for average in &averages {
        let Some(ours) = average.average_percent else {
            specific_only_subheadings += 1;
            continue;
        };
        let Some(&reference) = theirs.get(average.hs6.as_str()) else {
            not_in_reference.push(average.hs6.to_string());
            continue;
        };
        let ours = ours.to_f64().unwrap_or(f64::NAN);
        rows.push((average, ours, reference, ours - reference));
    }
    let ours_codes: std::collections::BTreeSet<String> =
        averages.iter().map(|a| a.hs6.to_string()).collect();
    let reference_only: Vec<&str> =
        theirs.keys().copied().filter(|code| !ours_codes.contains(*code)).collect();
    let n = rows.len();
    let share = |within: f64| {
        let count = rows.iter().filter(|(_, _, _, gap)| gap.abs() <= within).count();
        (count as f64 / n.max(1) as f64 * 10_000.0).round() / 100.0
    };
    let mean = |pick: fn(&(&caravan_tariff::Hs6Average, f64, f64, f64)) -> f64| {
        (rows.iter().map(pick).sum::<f64>() / n.max(1) as f64 * 1000.0).round() / 1000.0
    };
    let mut by_gap: Vec<_> = rows.iter().collect();
    by_gap.sort_by(|a, b| b.3.abs().total_cmp(&a.3.abs()).then(a.0.hs6.cmp(&b.0.hs6)));
    let top: Vec<serde_json::Value> = by_gap
        .iter()
        .take(args.top)
        .map(|(average, ours, reference, gap)| {
            serde_json::json!({
                "hs6": average.hs6.as_str(), "ours_percent": ours, "reference_percent": reference,
                "gap": gap, "lines": average.lines, "specific_only_lines": average.specific_only_lines,
            })
        })
        .collect();
    if let Some(path) = &args.csv {
        let mut csv = String::from("hs6,ours,reference,gap,lines,specific_only_lines\n");
        for (average, _, reference, gap) in &rows {
            csv.push_str(&format!(
                "{},{},{},{},{},{}\n",
                average.hs6,
                average.average_percent.unwrap_or(Decimal::ZERO),
                reference,
                (gap * 10_000.0).round() / 10_000.0,
                average.lines,
                average.specific_only_lines
            ));
        }
        std::fs::write(path, csv).with_context(|| format!("writing {}", path.display()))?;
    }
    write_json(&serde_json::json!({
        "jurisdiction": jurisdiction,
        "schedule": schedule.title,
        "date": args.date.to_string(),
        "reference": args.reference.file_name().map(|n| n.to_string_lossy().into_owned()),
        "reference_source": reference.get("source"),
        "reference_year": reference.get("year"),
        "subheadings_ours": averages.len(),
        "subheadings_reference": theirs.len(),
        "subheadings_compared": n,
        "subheadings_specific_only_not_compared": specific_only_subheadings,
        "subheadings_not_in_reference": not_in_reference,
        "subheadings_only_in_reference": reference_only,
        "share_within_percent": {
            "0.01pp": share(0.01), "0.5pp": share(0.5), "1pp": share(1.0),
            "2pp": share(2.0), "5pp": share(5.0),
        },
        "mean_ours_percent": mean(|r| r.1),
        "mean_reference_percent": mean(|r| r.2),
        "mean_absolute_gap_pp": mean(|r| r.3.abs()),
        "ours_higher": rows.iter().filter(|r| r.3 > 0.01).count(),
        "ours_lower": rows.iter().filter(|r| r.3 < -0.01).count(),
        "largest_gaps": top,
        "method": "ours: simple average over the subheading's national lines of the ad valorem part of the third-country duty in force on the date (compound 'X %, but not less than …' counts X; lines charged per unit only are left out); reference: the file's figure as given",
    }))?;
    Ok(success())
}
