//! Reading long trade tables (`time, location, product, value` rows) from CSV or Parquet into dense
//! per-period matrices, with every rejected value named by file, row and column.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use ndarray::Array2;

/// Interns labels to dense indices in order of first appearance.
#[derive(Debug, Default)]
pub(crate) struct Labels {
    pub(crate) names: Vec<String>,
    index: HashMap<String, u32>,
}

impl Labels {
    fn intern(&mut self, name: &str) -> u32 {
        if let Some(&idx) = self.index.get(name) {
            return idx;
        }
        let idx = u32::try_from(self.names.len()).expect("fewer than 4 billion labels");
        self.names.push(name.to_owned());
        self.index.insert(name.to_owned(), idx);
        idx
    }
}

/// One input row, by label index.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Row {
    pub(crate) time: u32,
    pub(crate) location: u32,
    pub(crate) product: u32,
    pub(crate) value: f64,
}

/// A long table as read: the rows in input order and the label tables.
#[derive(Debug, Default)]
pub(crate) struct LongTable {
    pub(crate) times: Labels,
    pub(crate) locations: Labels,
    pub(crate) products: Labels,
    pub(crate) rows: Vec<Row>,
}

/// Column names to read; `time` or `product` may be absent (then every row has the label "").
pub(crate) struct Columns<'a> {
    pub(crate) time: Option<&'a str>,
    pub(crate) location: &'a str,
    pub(crate) product: Option<&'a str>,
    pub(crate) value: &'a str,
}

/// Opens `path` (CSV or Parquet) with `progress` following the bytes read.
pub(crate) fn open_table(
    path: &Path,
    progress: &indicatif::ProgressBar,
) -> Result<caravan_io::Table> {
    caravan_io::Table::open(path, |file| {
        progress.set_length(file.metadata().map(|m| m.len()).unwrap_or(0));
        Box::new(progress.wrap_read(file))
    })
    .with_context(|| format!("reading {}; check the --input path", path.display()))
}

/// The index of column `name` of `input`, given by option `flag`, or an error listing the
/// header.
pub(crate) fn find_column(
    input: &caravan_io::Table,
    path: &Path,
    name: &str,
    flag: &str,
) -> Result<usize> {
    input.column(name).with_context(|| {
        format!(
            "{}: no column {name:?} (given by {flag}); the header has: {}",
            path.display(),
            input.headers().join(", ")
        )
    })
}

/// Reads `path`, CSV with a header row or Parquet (by extension or magic bytes).
///
/// Values must be finite, non-negative numbers: anything else (including a Parquet null) is an
/// error naming the row (the line number in a CSV file, header = line 1; the row number in a
/// Parquet file, first data row = row 1) and the column.
pub(crate) fn read_long_table(
    path: &Path,
    columns: &Columns<'_>,
    progress: &indicatif::ProgressBar,
) -> Result<LongTable> {
    let input = open_table(path, progress)?;
    let find = |name: &str, flag: &str| find_column(&input, path, name, flag);
    let time_col = columns.time.map(|c| find(c, "--time")).transpose()?;
    let location_col = find(columns.location, "--location")?;
    let product_col = columns.product.map(|c| find(c, "--product")).transpose()?;
    let value_col = find(columns.value, "--value")?;
    let selected: Vec<usize> = [time_col, Some(location_col), product_col, Some(value_col)]
        .into_iter()
        .flatten()
        .collect();
    let mut rows = input.rows(&selected)?;

    let mut table = LongTable::default();
    // A row of a long table takes some 20 bytes of text or more: reserving from the file's size
    // spares copying the table into fresh pages each time it doubles (reserved but unwritten
    // memory costs nothing).
    if let Ok(meta) = std::fs::metadata(path) {
        table.rows.reserve(usize::try_from(meta.len() / 20).unwrap_or(0));
    }
    while rows.next_row()? {
        let at = rows.position();
        let cell = rows.cell(value_col);
        let text = cell.text();
        let text = text.trim();
        let value = cell.number().with_context(|| {
            format!(
                "{}, {at}, column {:?}: {text:?} is not a number; fix or remove the row",
                path.display(),
                columns.value
            )
        })?;
        if value < 0.0 {
            bail!(
                "{}, {at}, column {:?}: negative value {text}; trade values must be >= 0",
                path.display(),
                columns.value
            );
        }
        let time = match time_col {
            Some(idx) => table.times.intern(rows.cell(idx).text().trim()),
            None => table.times.intern(""),
        };
        let location = table.locations.intern(rows.cell(location_col).text().trim());
        let product = match product_col {
            Some(idx) => table.products.intern(rows.cell(idx).text().trim()),
            None => table.products.intern(""),
        };
        table.rows.push(Row { time, location, product, value });
    }
    progress.finish_and_clear();
    if table.rows.is_empty() {
        bail!("{}: no data rows", path.display());
    }
    Ok(table)
}

/// One period as a dense `locations x products` matrix over the labels present in it.
pub(crate) struct Period {
    /// Global label index of each local location.
    pub(crate) locations: Vec<u32>,
    /// Global label index of each local product.
    pub(crate) products: Vec<u32>,
    pub(crate) values: Array2<f64>,
    /// For each input row of this period: (row index, local location, local product).
    pub(crate) cells: Vec<(usize, u32, u32)>,
}

/// Splits a long table into periods, filling absent cells with 0. A second row for the same
/// `(time, location, product)` is an error naming both rows unless `sum_duplicates`.
pub(crate) fn periods(table: &LongTable, sum_duplicates: bool, what: &str) -> Result<Vec<Period>> {
    let n_times = table.times.names.len();
    let mut by_time: Vec<Vec<usize>> = vec![Vec::new(); n_times];
    for (row_idx, row) in table.rows.iter().enumerate() {
        by_time[row.time as usize].push(row_idx);
    }
    let mut location_local = vec![u32::MAX; table.locations.names.len()];
    let mut product_local = vec![u32::MAX; table.products.names.len()];
    let mut res = Vec::with_capacity(n_times);
    for row_ids in by_time {
        let mut locations = Vec::new();
        let mut products = Vec::new();
        let mut cells = Vec::with_capacity(row_ids.len());
        for &row_idx in &row_ids {
            let row = table.rows[row_idx];
            let l = &mut location_local[row.location as usize];
            if *l == u32::MAX {
                *l = u32::try_from(locations.len()).expect("fewer than 4 billion locations");
                locations.push(row.location);
            }
            let p = &mut product_local[row.product as usize];
            if *p == u32::MAX {
                *p = u32::try_from(products.len()).expect("fewer than 4 billion products");
                products.push(row.product);
            }
            cells.push((row_idx, *l, *p));
        }
        let n_products = products.len();
        let mut values = Array2::<f64>::zeros((locations.len(), n_products));
        let mut first_row = vec![usize::MAX; locations.len() * n_products];
        for &(row_idx, l, p) in &cells {
            let slot = l as usize * n_products + p as usize;
            if first_row[slot] != usize::MAX && !sum_duplicates {
                let row = table.rows[row_idx];
                bail!(
                    "{what}: rows {} and {} (data rows, header excluded) both give time {:?}, location {:?}, product {:?}; remove one or pass --sum-duplicates",
                    first_row[slot] + 1,
                    row_idx + 1,
                    table.times.names[row.time as usize],
                    table.locations.names[row.location as usize],
                    table.products.names[row.product as usize],
                );
            }
            if first_row[slot] == usize::MAX {
                first_row[slot] = row_idx;
            }
            values[[l as usize, p as usize]] += table.rows[row_idx].value;
        }
        for &l in &locations {
            location_local[l as usize] = u32::MAX;
        }
        for &p in &products {
            product_local[p as usize] = u32::MAX;
        }
        res.push(Period { locations, products, values, cells });
    }
    Ok(res)
}
