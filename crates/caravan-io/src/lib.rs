//! Tabular input for the command-line shells: a CSV file with a header row or a Parquet file,
//! read row by row through one interface with typed cells, so every command that "reads CSV and
//! Parquet" has one loop and one set of row/column error messages.
//!
//! The format is Parquet when the file name ends in `.parquet` or the file starts with the magic
//! bytes `PAR1`; CSV otherwise. A Parquet file is read column by column into memory (only the
//! columns asked for), then handed out row by row. Only flat schemas are supported: nested
//! (group, list, map) columns are an error naming the column.
//!
//! Architecture Invariant: reading never panics on file content; every problem is an error
//! naming the file and, where there is one, the row and column.

mod parquet_read;
mod parquet_write;
pub mod process;

use std::borrow::Cow;
use std::fmt;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

pub use parquet_write::{Codec, csv_to_parquet};

/// The file formats [`Table::open`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values with a header row.
    Csv,
    /// Apache Parquet.
    Parquet,
}

/// Parquet when the name ends in `.parquet` (any case) or the file starts with `PAR1`.
///
/// # Errors
/// When the file cannot be opened or read.
pub fn detect(path: &Path) -> Result<Format> {
    if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("parquet")) {
        return Ok(Format::Parquet);
    }
    let mut file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut magic = [0u8; 4];
    let mut got = 0;
    while got < magic.len() {
        let n =
            file.read(&mut magic[got..]).with_context(|| format!("reading {}", path.display()))?;
        if n == 0 {
            break;
        }
        got += n;
    }
    Ok(if got == 4 && &magic == b"PAR1" { Format::Parquet } else { Format::Csv })
}

/// One cell as read: CSV cells are always text; Parquet cells keep their column's type.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    /// A Parquet null (CSV has none: an empty CSV cell is `Text("")`).
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(&'a str),
}

impl<'a> Cell<'a> {
    /// The cell as a finite number: text is trimmed and parsed (`""`, `NA`, `.`, `NaN` and
    /// `inf` are not numbers), integers are converted (rounding to nearest above 2^53, as
    /// parsing their decimal text would), floats must be finite; nulls and booleans are not
    /// numbers.
    #[must_use]
    pub fn number(&self) -> Option<f64> {
        match *self {
            Cell::Text(text) => text.trim().parse::<f64>().ok().filter(|x| x.is_finite()),
            #[expect(clippy::cast_precision_loss, reason = "same rounding as parsing the text")]
            Cell::Int(i) => Some(i as f64),
            Cell::Float(x) => Some(x).filter(|x| x.is_finite()),
            Cell::Null | Cell::Bool(_) => None,
        }
    }

    /// The cell as a label or for an error message: text as is, numbers in their shortest
    /// decimal form (`2019`, `0.25`), `true`/`false`, and `""` for null.
    #[must_use]
    pub fn text(&self) -> Cow<'a, str> {
        match *self {
            Cell::Text(text) => Cow::Borrowed(text),
            Cell::Int(i) => Cow::Owned(i.to_string()),
            Cell::Float(x) => Cow::Owned(x.to_string()),
            Cell::Bool(b) => Cow::Borrowed(if b { "true" } else { "false" }),
            Cell::Null => Cow::Borrowed(""),
        }
    }

    /// True for a Parquet null or blank CSV text.
    #[must_use]
    pub fn is_blank(&self) -> bool {
        match self {
            Cell::Null => true,
            Cell::Text(text) => text.trim().is_empty(),
            _ => false,
        }
    }
}

/// Where a row is, for messages: a CSV line number (the header is line 1) or a Parquet row
/// number (the first data row is row 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    Line(u64),
    Row(u64),
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Position::Line(n) => write!(f, "line {n}"),
            Position::Row(n) => write!(f, "row {n}"),
        }
    }
}

/// An opened table whose header is known and whose rows are not read yet.
pub struct Table {
    path: PathBuf,
    headers: Vec<String>,
    source: Source,
}

enum Source {
    Csv(csv::Reader<Box<dyn Read>>),
    Parquet(parquet_read::ParquetFile),
}

impl Table {
    /// Opens `path` as CSV or Parquet (see [`detect`]) and reads its header. For CSV, `wrap`
    /// may wrap the file reader (a progress bar counting bytes); it is not used for Parquet.
    /// A UTF-8 byte-order mark before the first CSV header is dropped.
    ///
    /// # Errors
    /// When the file cannot be opened, or its header or Parquet footer cannot be read.
    pub fn open(path: &Path, wrap: impl FnOnce(File) -> Box<dyn Read>) -> Result<Table> {
        let format = detect(path)?;
        let mut file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
        match format {
            Format::Parquet => {
                let parquet = parquet_read::ParquetFile::open(file, path)?;
                let headers = parquet.headers();
                Ok(Table { path: path.to_owned(), headers, source: Source::Parquet(parquet) })
            }
            Format::Csv => {
                file.seek(SeekFrom::Start(0))
                    .with_context(|| format!("reading {}", path.display()))?;
                let mut reader =
                    csv::ReaderBuilder::new().has_headers(true).from_reader(wrap(file));
                let headers = reader
                    .headers()
                    .with_context(|| format!("{}: reading the header row", path.display()))?
                    .iter()
                    .enumerate()
                    .map(|(i, h)| if i == 0 { h.trim_start_matches('\u{feff}') } else { h })
                    .map(str::to_owned)
                    .collect();
                Ok(Table { path: path.to_owned(), headers, source: Source::Csv(reader) })
            }
        }
    }

    /// The column names, in file order.
    #[must_use]
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// The index of the column named `name` (compared after trimming spaces).
    #[must_use]
    pub fn column(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|h| h.trim() == name)
    }

    /// Starts reading rows; only the `columns` (indices into [`Table::headers`]) can be read
    /// from them. A Parquet file's columns are decoded here, in full.
    ///
    /// # Errors
    /// For Parquet: an unreadable or corrupt file, or a column of a type without a cell form
    /// (nested, INT96, fixed-length binary other than decimal), named.
    pub fn rows(self, columns: &[usize]) -> Result<Rows> {
        let inner = match self.source {
            Source::Csv(reader) => {
                RowsInner::Csv { reader, record: csv::StringRecord::new(), line: 1 }
            }
            Source::Parquet(file) => {
                RowsInner::Parquet { data: file.read_columns(columns, &self.path)?, next: 0 }
            }
        };
        Ok(Rows { path: self.path, inner })
    }
}

/// Rows of a [`Table`], read one at a time with [`Rows::next_row`].
pub struct Rows {
    path: PathBuf,
    inner: RowsInner,
}

enum RowsInner {
    Csv { reader: csv::Reader<Box<dyn Read>>, record: csv::StringRecord, line: u64 },
    Parquet { data: parquet_read::Columns, next: usize },
}

impl Rows {
    /// Advances to the next row; false at the end.
    ///
    /// # Errors
    /// Malformed CSV (unequal field counts, invalid UTF-8, I/O), naming the line.
    pub fn next_row(&mut self) -> Result<bool> {
        match &mut self.inner {
            RowsInner::Csv { reader, record, line } => {
                // The line the last record ended on: where it started plus the line breaks
                // inside its quoted fields (`record` still holds it; empty before the first row).
                let newlines: usize =
                    record.iter().map(|field| field.bytes().filter(|&b| b == b'\n').count()).sum();
                let last_end = *line + newlines as u64;
                let more = reader.read_record(record).with_context(|| {
                    format!("{}: malformed CSV after line {last_end}", self.path.display())
                })?;
                // The csv crate counts a line at its `\n` but ends a CRLF record at its `\r`,
                // so the next record starts "on" the line before its own (found by fuzzing,
                // issue 22: in a CRLF file every row was named one line too early, the first
                // one as the header). A record starts at least one line after the last ended.
                *line = record.position().map_or(last_end + 1, |p| p.line().max(last_end + 1));
                Ok(more)
            }
            RowsInner::Parquet { data, next } => {
                if *next < data.n_rows {
                    *next += 1;
                    Ok(true)
                } else {
                    Ok(false)
                }
            }
        }
    }

    /// The cell of the current row in column `col` (an index into [`Table::headers`]). A CSV
    /// row with too few fields gives `Text("")`; a Parquet column not selected gives `Null`.
    #[must_use]
    pub fn cell(&self, col: usize) -> Cell<'_> {
        match &self.inner {
            RowsInner::Csv { record, .. } => Cell::Text(record.get(col).unwrap_or("")),
            RowsInner::Parquet { data, next } => data.cell(col, next.saturating_sub(1)),
        }
    }

    /// Where the current row is, for messages.
    #[must_use]
    pub fn position(&self) -> Position {
        match &self.inner {
            RowsInner::Csv { line, .. } => Position::Line(*line),
            RowsInner::Parquet { next, .. } => Position::Row(*next as u64),
        }
    }

    /// The file being read.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests;
