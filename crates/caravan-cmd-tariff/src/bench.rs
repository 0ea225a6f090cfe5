//! `caravan bench tariff`: in-process throughput of the duty calculation (one line, then a
//! random sample of every line of the real KZ schedule, compound forms included) and of the
//! origin assessment (a 50-input bill of materials), on one core.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, anyhow};
use caravan_origin::{AssessOptions, CtcLevel, Material, Product, Rule, RuleBook, RuleSet, assess};
use caravan_tariff::{
    Declaration, ExchangeRate, MeasureKind, Quantity, RateRow, Tariff, Unit, calculate,
    calculate_with_rates,
};
use caravan_types::{CountryCode, CurrencyCode, Decimal, HsCode, Money};
use indicatif::{ProgressBar, ProgressStyle};

use crate::read::{load_tariff, schedules_dir};
use crate::write_json;

/// Options of `caravan bench tariff`.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Duty calculations to time.
    #[arg(long, default_value_t = 1_000_000)]
    pub calculations: u64,
    /// Origin assessments to time.
    #[arg(long, default_value_t = 100_000)]
    pub assessments: u64,
    /// Directory of schedules (default: data/tariff found from the current directory upwards).
    #[arg(long, env = "CARAVAN_TARIFF_DIR", value_name = "DIR")]
    pub schedules: Option<PathBuf>,
}

/// A 50-input bill of materials for an insulated cable (8544 42): copper, polymers, parts.
pub(crate) fn sample_bom() -> Result<Vec<Material>> {
    let codes = [
        "740311", "390110", "854449", "850440", "392690", "732690", "760410", "400821", "560790",
        "481910",
    ];
    let origins = ["UZ", "CN", "KZ", "RU", "TR"];
    (0..50)
        .map(|idx| {
            Ok(Material {
                hs_code: HsCode::parse(codes[idx % codes.len()])?,
                origin: CountryCode::parse(origins[idx % origins.len()])?,
                value: Decimal::new(100 + idx as i64, 2),
                description: None,
            })
        })
        .collect()
}

/// A rule book shaped like the UK lists: a CTH-or-MaxNOM rule for the product's heading.
pub(crate) fn sample_rule_book() -> RuleBook {
    RuleBook {
        agreement: "bench".to_owned(),
        illustrative: true,
        notice: None,
        parties: Vec::new(),
        cumulation: vec![CountryCode::parse("KZ").expect("KZ is a well-formed code")],
        tolerance_percent: Some(Decimal::TEN),
        rule_sets: vec![RuleSet {
            heading: "8544".to_owned(),
            subdivision: None,
            min: 8_544_000_000,
            max: 8_544_999_999,
            rule: Rule::Any(vec![
                Rule::Ctc {
                    level: CtcLevel::Heading,
                    except: Vec::new(),
                    same_position_allowance_percent: None,
                },
                Rule::MaxNonOriginating { percent: Decimal::new(70, 0) },
            ]),
            texts: vec!["CTH".to_owned(), "MaxNOM 70%".to_owned()],
        }],
    }
}

fn progress(len: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} ({per_sec})") {
        bar.set_style(style);
    }
    bar.set_message(what.to_owned());
    bar
}

/// Runs `caravan bench tariff` and prints the rates as JSON.
///
/// # Errors
/// Unreadable schedules, or a sample calculation the engine refuses.
pub fn bench(args: BenchArgs) -> Result<()> {
    let dir = schedules_dir(args.schedules.as_deref())?;
    let tariff = load_tariff(&dir)?;
    let declaration = Declaration {
        jurisdiction: "EAEU".to_owned(),
        date: time::macros::date!(2026 - 03 - 01),
        code: HsCode::parse("1001990000")?,
        origin: CountryCode::parse("UZ")?,
        customs_value: Money::new(Decimal::new(100_000, 2), CurrencyCode::parse("USD")?),
        quantity: Some(Quantity { amount: Decimal::new(125, 1), unit: Unit::parse("TNE")? }),
        documents: vec!["origin-cert".to_owned(), "phytosanitary-cert".to_owned()],
    };
    calculate(&tariff, &declaration).map_err(|err| anyhow!("bench declaration refused: {err}"))?;
    let chunk = 10_000u64;
    let bar = progress(args.calculations, "duty calculations");
    let start = Instant::now();
    let mut done = 0;
    while done < args.calculations {
        let n = chunk.min(args.calculations - done);
        for _ in 0..n {
            let res =
                calculate(black_box(&tariff), black_box(&declaration)).context("calculation")?;
            black_box(res.total);
        }
        done += n;
        bar.set_position(done);
    }
    let duty_s = start.elapsed().as_secs_f64();
    bar.finish_and_clear();

    let real = real_sample(&tariff)?;
    let mut real_s = 0.0;
    if let Some((declarations, rates, _)) = &real {
        let bar = progress(args.calculations, "duty calculations, random KZ lines");
        let start = Instant::now();
        let mut done = 0;
        while done < args.calculations {
            let n = chunk.min(args.calculations - done);
            for idx in 0..n {
                let declaration = &declarations[((done + idx) as usize) % declarations.len()];
                let res = calculate_with_rates(black_box(&tariff), black_box(declaration), rates)
                    .context("calculation")?;
                black_box(res.total);
            }
            done += n;
            bar.set_position(done);
        }
        real_s = start.elapsed().as_secs_f64();
        bar.finish_and_clear();
    }

    let book = sample_rule_book();
    let bom = sample_bom()?;
    let product = Product {
        hs_code: HsCode::parse("854442")?,
        exporter: CountryCode::parse("UZ")?,
        price: Decimal::new(10_000, 2),
    };
    let options = AssessOptions::default();
    let bar = progress(args.assessments, "origin assessments (50 inputs)");
    let start = Instant::now();
    let mut done = 0;
    while done < args.assessments {
        let n = chunk.min(args.assessments - done);
        for _ in 0..n {
            let verdict = assess(black_box(&book), black_box(&product), black_box(&bom), &options)
                .context("assessment")?;
            black_box(verdict.qualifies);
        }
        done += n;
        bar.set_position(done);
    }
    let origin_s = start.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let rate = |n: u64, s: f64| if s > 0.0 { (n as f64 / s).round() } else { 0.0 };
    write_json(&serde_json::json!({
        "duty_calculations": args.calculations,
        "duty_seconds": duty_s,
        "duty_calculations_per_s": rate(args.calculations, duty_s),
        "duty_target_per_s": 1_000_000,
        "real_kz_sample_lines": real.as_ref().map(|(d, _, _)| d.len()),
        "real_kz_sample_compound_lines": real.as_ref().map(|(_, _, compound)| *compound),
        "real_kz_duty_seconds": real_s,
        "real_kz_duty_calculations_per_s": real.as_ref().map(|_| rate(args.calculations, real_s)),
        "real_kz_target_per_s": 500_000,
        "real_kz_note": "random sample (fixed seed) of every line of the KZ schedule with a quantity in the unit each line's rate needs; EUR and USD rates are bench figures, not official",
        "origin_assessments": args.assessments,
        "origin_bom_inputs": bom.len(),
        "origin_seconds": origin_s,
        "origin_assessments_per_s": rate(args.assessments, origin_s),
        "origin_target_per_s": 100_000,
        "threads": 1,
    }))
}

/// The declarations of the real-schedule sample, the rates they use, and how many are compound.
type RealSample = (Vec<Declaration>, Vec<RateRow>, usize);

/// 4,096 declarations on lines of the real KZ schedule drawn with a fixed-seed generator, each
/// with the quantity its rate needs, the bench's EUR and USD rates, and how many lines of the
/// sample have compound rates ("but not less than", "+"); `None` without a KZ schedule.
fn real_sample(tariff: &Tariff) -> Result<Option<RealSample>> {
    let date = time::macros::date!(2026 - 03 - 02);
    let Some(schedule) = tariff.schedule_on("KZ", date) else { return Ok(None) };
    let kzt = CurrencyCode::parse("KZT")?;
    let rates = ["EUR", "USD"]
        .iter()
        .zip([Decimal::new(54_512, 2), Decimal::new(50_500, 2)])
        .map(|(currency, rate)| {
            Ok(RateRow {
                to: kzt,
                rate: ExchangeRate {
                    currency: CurrencyCode::parse(currency)?,
                    rate,
                    valid_from: date,
                    source: "bench figure".to_owned(),
                },
            })
        })
        .collect::<Result<Vec<_>>>()?;
    // Knuth's MMIX linear congruential generator, fixed seed: the same sample every run.
    let mut state: u64 = 0x5EED;
    let mut declarations = Vec::with_capacity(4096);
    let mut compound = 0;
    for _ in 0..4096 {
        state =
            state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        let line = &schedule.lines[((state >> 33) as usize) % schedule.lines.len()];
        let mfn = schedule
            .measures_in_force(&line.code, date)
            .into_iter()
            .find(|m| m.kind == MeasureKind::Mfn)
            .and_then(|m| m.duty.as_ref());
        let unit = mfn.and_then(caravan_tariff::DutyExpr::unit);
        if mfn.is_some_and(|e| {
            matches!(e, caravan_tariff::DutyExpr::Max(_) | caravan_tariff::DutyExpr::Sum(_))
        }) {
            compound += 1;
        }
        declarations.push(Declaration {
            jurisdiction: "KZ".to_owned(),
            date,
            code: line.code,
            origin: CountryCode::parse("CN")?,
            customs_value: Money::new(Decimal::new(100_000_000, 2), kzt),
            quantity: unit.map(|unit| Quantity { amount: Decimal::new(100, 0), unit }),
            documents: Vec::new(),
        });
    }
    for declaration in &declarations {
        calculate_with_rates(tariff, declaration, &rates)
            .map_err(|err| anyhow!("bench declaration {} refused: {err}", declaration.code))?;
    }
    Ok(Some((declarations, rates, compound)))
}
