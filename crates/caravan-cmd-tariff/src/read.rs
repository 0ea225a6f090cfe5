//! Readers: schedule directories, rule books and bills of materials, with errors that name the
//! file, row and column and say what to do.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use caravan_origin::{Material, RuleBook, parse_rule_book, parse_uk_rule_sets};
use caravan_tariff::{Tariff, parse_schedule};
use caravan_types::{CountryCode, Decimal, HsCode};

/// The schedules directory: `--schedules` (or `CARAVAN_TARIFF_DIR`, which clap folds into it),
/// else `data/tariff` in the current directory or one of its parents.
pub(crate) fn schedules_dir(given: Option<&Path>) -> Result<PathBuf> {
    if let Some(dir) = given {
        return Ok(dir.to_path_buf());
    }
    let cwd = std::env::current_dir().context("reading the current directory")?;
    cwd.ancestors()
        .map(|dir| dir.join("data").join("tariff"))
        .find(|dir| dir.join("schedules").is_dir())
        .ok_or_else(|| {
            anyhow!(
                "no data/tariff/schedules found in {} or its parents: pass --schedules DIR or set CARAVAN_TARIFF_DIR",
                cwd.display()
            )
        })
}

/// Loads every `schedules/*/*.json` under `dir` (or `dir/*/*.json` when `dir` is itself a
/// `schedules` folder), reporting every problem of every file.
pub(crate) fn load_tariff(dir: &Path) -> Result<Tariff> {
    let root =
        if dir.join("schedules").is_dir() { dir.join("schedules") } else { dir.to_path_buf() };
    let mut files = Vec::new();
    let entries = std::fs::read_dir(&root).with_context(|| {
        format!("reading the schedules directory {}: pass --schedules DIR", root.display())
    })?;
    for entry in entries {
        let path = entry.with_context(|| format!("listing {}", root.display()))?.path();
        if path.is_dir() {
            for inner in
                std::fs::read_dir(&path).with_context(|| format!("listing {}", path.display()))?
            {
                let inner = inner.with_context(|| format!("listing {}", path.display()))?.path();
                if inner.extension().is_some_and(|ext| ext == "json") {
                    files.push(inner);
                }
            }
        } else if path.extension().is_some_and(|ext| ext == "json") {
            files.push(path);
        }
    }
    files.sort();
    if files.is_empty() {
        bail!("no schedule files (*.json) under {}: see data/tariff/FORMAT.md", root.display());
    }
    let mut tariff = Tariff::new();
    let mut problems = Vec::new();
    for file in &files {
        let text =
            std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        match parse_schedule(&text) {
            Ok(schedule) => tariff.insert(schedule),
            Err(errors) => {
                problems.extend(errors.iter().map(|err| format!("{}: {err}", file.display())));
            }
        }
    }
    if !problems.is_empty() {
        bail!(
            "invalid schedule files (fix them; format in data/tariff/FORMAT.md):\n{}",
            problems.join("\n")
        );
    }
    Ok(tariff)
}

/// Reads a rule book: a UK rule-set file as shipped (`{"rule_sets": ...}`) or our own format.
pub(crate) fn load_rule_book(path: &Path, agreement: Option<&str>) -> Result<RuleBook> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the rules file {}", path.display()))?;
    let value: serde_json::Value = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not JSON: give a UK rule-set file or a caravan-origin-rules/1 file",
            path.display()
        )
    })?;
    if value.get("rule_sets").is_some() {
        let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let name = agreement.map_or_else(|| format!("UK rules of origin: {stem}"), str::to_owned);
        parse_uk_rule_sets(&text, &name)
            .with_context(|| format!("reading UK rule sets from {}", path.display()))
    } else {
        let mut book = parse_rule_book(&text).with_context(|| {
            format!("reading {} (format in data/tariff/FORMAT.md §3)", path.display())
        })?;
        if let Some(name) = agreement {
            name.clone_into(&mut book.agreement);
        }
        Ok(book)
    }
}

/// Reads a bill of materials: header `hs_code,origin,value` and optional `description`.
pub(crate) fn load_bom(path: &Path) -> Result<Vec<Material>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .with_context(|| format!("opening the bill of materials {}", path.display()))?;
    let headers = reader
        .headers()
        .with_context(|| format!("{}: reading the header", path.display()))?
        .clone();
    let column = |name: &str| headers.iter().position(|h| h.trim_start_matches('\u{feff}') == name);
    let (Some(hs_idx), Some(origin_idx), Some(value_idx)) =
        (column("hs_code"), column("origin"), column("value"))
    else {
        bail!(
            "{}: the header must be hs_code,origin,value (optional description), got {:?}",
            path.display(),
            headers.iter().collect::<Vec<_>>()
        );
    };
    let description_idx = column("description");
    let mut bom = Vec::new();
    for (row_idx, record) in reader.records().enumerate() {
        let line = row_idx + 2;
        let record =
            record.with_context(|| format!("{} line {line}: malformed CSV row", path.display()))?;
        let cell = |idx: usize| record.get(idx).unwrap_or("");
        let hs_code = HsCode::parse(cell(hs_idx)).with_context(|| {
            format!("{} line {line}, column hs_code: give 2, 4, 6, 8 or 10 digits", path.display())
        })?;
        let origin = CountryCode::parse(cell(origin_idx)).with_context(|| {
            format!(
                "{} line {line}, column origin: give an ISO 3166 alpha-2 code such as CN",
                path.display()
            )
        })?;
        let value: Decimal = cell(value_idx).parse().map_err(|_| {
            anyhow!(
                "{} line {line}, column value: {:?} is not a decimal number (use a dot: 125.50)",
                path.display(),
                cell(value_idx)
            )
        })?;
        if value.is_sign_negative() {
            bail!(
                "{} line {line}, column value: must not be negative, got {value}",
                path.display()
            );
        }
        let description = description_idx.map(|idx| cell(idx).to_owned()).filter(|d| !d.is_empty());
        bom.push(Material { hs_code, origin, value, description });
    }
    Ok(bom)
}
