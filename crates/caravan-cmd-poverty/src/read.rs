//! Reads a survey (CSV or Parquet) into the columns `caravan-poverty` takes, checking every cell it uses and
//! naming the file, line and column of the first bad one.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use caravan_io::{Cell, Table};

/// Which columns to read and how.
pub(crate) struct Columns<'a> {
    pub(crate) welfare: &'a str,
    pub(crate) weight: &'a str,
    pub(crate) size: Option<&'a str>,
    pub(crate) strata: Option<&'a str>,
    pub(crate) psu: Option<&'a str>,
    pub(crate) by: Option<&'a str>,
    pub(crate) filters: &'a [Filter],
    pub(crate) replicate_prefix: Option<&'a str>,
}

/// A `COL op NUMBER` row filter; rows that fail it leave the domain but keep their PSU.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Filter {
    pub(crate) column: String,
    pub(crate) op: Op,
    pub(crate) value: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl Filter {
    /// Parses `COL>0`, `COL >= 1.5`, `COL==2`, `COL!=3` and the like.
    pub(crate) fn parse(text: &str) -> Result<Filter> {
        // Two-character operators first, so `>=` is not read as `>`.
        for (symbol, op) in [
            (">=", Op::Ge),
            ("<=", Op::Le),
            ("==", Op::Eq),
            ("!=", Op::Ne),
            (">", Op::Gt),
            ("<", Op::Lt),
            ("=", Op::Eq),
        ] {
            if let Some((column, value)) = text.split_once(symbol) {
                let column = column.trim();
                let value: f64 = value.trim().parse().with_context(|| {
                    format!(
                        "--filter {text:?}: the right-hand side must be a number, like 'income>0'"
                    )
                })?;
                if column.is_empty() {
                    bail!("--filter {text:?}: name a column on the left, like 'income>0'");
                }
                return Ok(Filter { column: column.to_owned(), op, value });
            }
        }
        bail!("--filter {text:?}: expected COLUMN OP NUMBER with OP one of < <= > >= == !=")
    }

    fn keeps(&self, x: f64) -> bool {
        match self.op {
            Op::Lt => x < self.value,
            Op::Le => x <= self.value,
            Op::Gt => x > self.value,
            Op::Ge => x >= self.value,
            Op::Eq => (x - self.value).abs() <= 0.0,
            Op::Ne => (x - self.value).abs() > 0.0,
        }
    }
}

/// A survey read from one file.
pub(crate) struct SurveyData {
    pub(crate) welfare: Vec<f64>,
    /// Person weight: the weight column times the size column when given.
    pub(crate) weight: Vec<f64>,
    pub(crate) stratum: Vec<u32>,
    pub(crate) psu: Vec<u32>,
    pub(crate) n_psu: usize,
    pub(crate) n_strata: usize,
    /// Label of each stratum id.
    pub(crate) strata_names: Vec<String>,
    /// Rows in the domain (passing the filter), ascending.
    pub(crate) domain: Vec<u32>,
    /// Group id per row and the label of each id, when `--by` is given.
    pub(crate) groups: Option<(Vec<u32>, Vec<String>)>,
    /// Replicate person weights, one vector per replicate column.
    pub(crate) replicates: Vec<Vec<f64>>,
    pub(crate) replicate_columns: Vec<String>,
    pub(crate) warnings: Vec<String>,
}

fn column_index(headers: &[String], name: &str, path: &Path, flag: &str) -> Result<usize> {
    headers.iter().position(|h| h.trim() == name).with_context(|| {
        format!(
            "{}: no column {name:?} (from {flag}); the header has: {}",
            path.display(),
            headers.join(", ")
        )
    })
}

/// Dense ids for labels, in order of first appearance.
#[derive(Default)]
struct Labels {
    ids: HashMap<String, u32>,
    names: Vec<String>,
}

impl Labels {
    fn id(&mut self, label: &str) -> u32 {
        if let Some(&id) = self.ids.get(label) {
            return id;
        }
        let id = self.names.len() as u32;
        self.ids.insert(label.to_owned(), id);
        self.names.push(label.to_owned());
        id
    }
}

/// A finite number, or None for empty, `NA`, `.`, non-numeric text and Parquet nulls.
fn number(cell: Cell<'_>) -> Option<f64> {
    cell.number()
}

/// Reads the survey at `path`: CSV with a header line, or Parquet (by the `.parquet`
/// extension or the `PAR1` magic bytes). Positions in messages are CSV line numbers (header =
/// line 1) or Parquet row numbers (first data row = row 1).
pub(crate) fn read_survey(
    path: &Path,
    columns: &Columns<'_>,
    progress: &indicatif::ProgressBar,
) -> Result<SurveyData> {
    let table = Table::open(path, |file| Box::new(file))
        .with_context(|| format!("opening the survey {}", path.display()))?;
    let headers = table.headers().to_vec();
    let welfare_col = column_index(&headers, columns.welfare, path, "--welfare")?;
    let weight_col = column_index(&headers, columns.weight, path, "--weight")?;
    let size_col = columns.size.map(|c| column_index(&headers, c, path, "--size")).transpose()?;
    let strata_col =
        columns.strata.map(|c| column_index(&headers, c, path, "--strata")).transpose()?;
    let psu_col = columns.psu.map(|c| column_index(&headers, c, path, "--psu")).transpose()?;
    let by_col = columns.by.map(|c| column_index(&headers, c, path, "--by")).transpose()?;
    let filter_cols = columns
        .filters
        .iter()
        .map(|f| column_index(&headers, &f.column, path, "--filter"))
        .collect::<Result<Vec<usize>>>()?;
    let replicate_cols: Vec<usize> = match columns.replicate_prefix {
        Some(prefix) => {
            let cols: Vec<usize> = headers
                .iter()
                .enumerate()
                .filter(|(_, h)| h.trim().starts_with(prefix))
                .map(|(i, _)| i)
                .collect();
            if cols.is_empty() {
                bail!("{}: no column starts with the replicate prefix {prefix:?}", path.display());
            }
            cols
        }
        None => Vec::new(),
    };
    let mut data = SurveyData {
        welfare: Vec::new(),
        weight: Vec::new(),
        stratum: Vec::new(),
        psu: Vec::new(),
        n_psu: 0,
        n_strata: 0,
        strata_names: Vec::new(),
        domain: Vec::new(),
        groups: None,
        replicates: vec![Vec::new(); replicate_cols.len()],
        replicate_columns: replicate_cols.iter().map(|&c| headers[c].trim().to_owned()).collect(),
        warnings: Vec::new(),
    };
    let mut strata = Labels::default();
    let mut psus = Labels::default();
    let mut groups = Labels::default();
    let mut group_of_row = Vec::new();
    let mut filter_missing = 0usize;
    let selected: Vec<usize> =
        [Some(welfare_col), Some(weight_col), size_col, strata_col, psu_col, by_col]
            .into_iter()
            .flatten()
            .chain(filter_cols.iter().copied())
            .chain(replicate_cols.iter().copied())
            .collect();
    let mut rows = table.rows(&selected)?;
    let mut row = 0usize;
    while rows.next_row()? {
        let position = rows.position();
        let at = |col: usize| format!("{}: {position}, column {:?}", path.display(), &headers[col]);
        let cell = |col: usize| rows.cell(col);
        let mut in_domain = true;
        for (filter, &col) in columns.filters.iter().zip(&filter_cols) {
            match number(cell(col)) {
                Some(x) => in_domain &= filter.keeps(x),
                None => {
                    filter_missing += 1;
                    in_domain = false;
                }
            }
        }
        let weight = match number(cell(weight_col)) {
            Some(w) if w >= 0.0 => w,
            // Outside the domain a missing weight is never used; the row keeps only its PSU.
            None if !in_domain => 0.0,
            _ => bail!(
                "{}: weight must be a number >= 0, got {:?}; fix the row or exclude it with --filter '{}>=0'",
                at(weight_col),
                cell(weight_col).text(),
                columns.weight
            ),
        };
        let size = match size_col {
            Some(_) if !in_domain => 0.0,
            Some(col) => number(cell(col)).filter(|s| *s >= 0.0).with_context(|| {
                format!(
                    "{}: household size must be a number >= 0, got {:?}",
                    at(col),
                    cell(col).text()
                )
            })?,
            None => 1.0,
        };
        let welfare = if in_domain {
            match number(cell(welfare_col)) {
                Some(y) if y >= 0.0 => y,
                Some(y) => bail!(
                    "{}: welfare must be >= 0, got {y}; exclude such rows with --filter '{}>=0'",
                    at(welfare_col),
                    columns.welfare
                ),
                None => bail!(
                    "{}: welfare is missing or not a number ({:?}); exclude such rows with --filter '{}>=0'",
                    at(welfare_col),
                    cell(welfare_col).text(),
                    columns.welfare
                ),
            }
        } else {
            // Outside the domain welfare is never read; the row only keeps its PSU.
            0.0
        };
        let stratum = match strata_col {
            Some(col) if cell(col).is_blank() => {
                bail!("{}: stratum is missing", at(col))
            }
            Some(col) => strata.id(cell(col).text().trim()),
            None => 0,
        };
        let psu = match psu_col {
            Some(col) if cell(col).is_blank() => bail!("{}: PSU is missing", at(col)),
            // PSU labels nest within strata (survey's `nest = TRUE`).
            Some(col) => psus.id(&format!("{stratum}\u{1f}{}", cell(col).text().trim())),
            None => psus.id(&row.to_string()),
        };
        if let Some(col) = by_col {
            let label = cell(col).text();
            let label = label.trim();
            if label.is_empty() || label.eq_ignore_ascii_case("na") {
                bail!("{}: the --by group is missing", at(col));
            }
            group_of_row.push(groups.id(label));
        }
        for (slot, &col) in data.replicates.iter_mut().zip(&replicate_cols) {
            let w = number(cell(col)).filter(|w| *w >= 0.0).with_context(|| {
                format!(
                    "{}: replicate weight must be a number >= 0, got {:?}",
                    at(col),
                    cell(col).text()
                )
            })?;
            slot.push(w * size);
        }
        data.welfare.push(welfare);
        data.weight.push(weight * size);
        data.stratum.push(stratum);
        data.psu.push(psu);
        if in_domain {
            data.domain.push(u32::try_from(row).context("more than 2^32 rows")?);
        }
        row += 1;
        if row.is_multiple_of(100_000) {
            progress.set_position(row as u64);
        }
    }
    progress.set_position(row as u64);
    if row == 0 {
        bail!("{}: the survey has no data rows", path.display());
    }
    if data.domain.is_empty() {
        bail!(
            "{}: no row is left in the domain{}",
            path.display(),
            if columns.filters.is_empty() { "" } else { " after --filter" }
        );
    }
    if filter_missing > 0 {
        data.warnings.push(format!(
            "{filter_missing} rows have a missing or non-numeric filter value and are outside the domain"
        ));
    }
    data.n_psu = psus.names.len();
    data.n_strata = strata.names.len().max(1);
    data.strata_names = strata.names;
    if by_col.is_some() {
        data.groups = Some((group_of_row, groups.names));
    }
    Ok(data)
}
