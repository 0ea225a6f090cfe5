//! Decoding the selected columns of a flat Parquet file into typed, in-memory columns, with the
//! `parquet` crate's column readers (no Arrow). Dictionary, plain and RLE encodings and the
//! snappy, gzip, zstd and lz4 codecs are handled by that crate.

use std::fs::File;
use std::path::Path;

use anyhow::{Context, Result, bail};
use parquet::basic::{ConvertedType, Type as PhysicalType};
use parquet::column::reader::{ColumnReader, ColumnReaderImpl};
use parquet::data_type::{ByteArray, DataType};
use parquet::file::reader::FileReader;
use parquet::file::serialized_reader::SerializedFileReader;

use crate::Cell;

/// Values decoded per call; bounds the level and value buffers.
const BATCH: usize = 64 * 1024;

/// An opened Parquet file: footer read, no data decoded.
pub(crate) struct ParquetFile {
    reader: SerializedFileReader<File>,
}

/// The decoded columns of a file, by header index.
pub(crate) struct Columns {
    pub(crate) n_rows: usize,
    columns: Vec<Option<Column>>,
}

/// One decoded column: values for every row (a placeholder where null) and a null mask.
struct Column {
    values: Values,
    /// `None` when the column has no nulls.
    nulls: Option<Vec<bool>>,
}

enum Values {
    Bool(Vec<bool>),
    Int(Vec<i64>),
    Float(Vec<f64>),
    /// All strings concatenated, and the end offset of each row's string.
    Text {
        bytes: String,
        ends: Vec<usize>,
    },
}

impl ParquetFile {
    pub(crate) fn open(file: File, path: &Path) -> Result<ParquetFile> {
        let reader = guarded(|| SerializedFileReader::new(file).map_err(anyhow::Error::from))
            .with_context(|| {
                format!("{}: not a readable Parquet file (footer or schema)", path.display())
            })?;
        Ok(ParquetFile { reader })
    }

    /// One header per leaf column: its name, or its dotted path when nested.
    pub(crate) fn headers(&self) -> Vec<String> {
        self.reader
            .metadata()
            .file_metadata()
            .schema_descr()
            .columns()
            .iter()
            .map(|c| c.path().string())
            .collect()
    }

    /// Decodes the leaf columns `wanted` of every row group.
    pub(crate) fn read_columns(&self, wanted: &[usize], path: &Path) -> Result<Columns> {
        // The whole read is guarded: the column chunks' metadata asserts too (a negative
        // offset in the footer panics in `byte_range`, found by fuzzing).
        guarded(|| self.read_columns_unguarded(wanted, path))
            .with_context(|| format!("{}: reading the columns", path.display()))
    }

    fn read_columns_unguarded(&self, wanted: &[usize], path: &Path) -> Result<Columns> {
        let metadata = self.reader.metadata();
        let schema = metadata.file_metadata().schema_descr();
        let n_rows = usize::try_from(metadata.file_metadata().num_rows())
            .with_context(|| format!("{}: negative row count in the footer", path.display()))?;
        let mut columns: Vec<Option<Column>> = (0..schema.num_columns()).map(|_| None).collect();
        for &col in wanted {
            if col >= schema.num_columns() || columns[col].is_some() {
                continue;
            }
            let descr = schema.column(col);
            let name = descr.path().string();
            let at = || format!("{}, column {name:?}", path.display());
            if descr.max_rep_level() > 0 || descr.path().parts().len() > 1 {
                bail!("{}: nested (list, map or group) columns are not supported", at());
            }
            let kind = Kind::of(descr.physical_type(), descr.converted_type(), descr.type_scale())
                .with_context(|| {
                    format!(
                        "{}: Parquet type {} ({}) has no table form; store it as an integer, a float or a string",
                        at(),
                        descr.physical_type(),
                        descr.converted_type()
                    )
                })?;
            let mut column = Column { values: kind.empty(n_rows), nulls: None };
            let mut nulls: Vec<bool> = Vec::new();
            for rg in 0..metadata.num_row_groups() {
                let reader = self
                    .reader
                    .get_row_group(rg)
                    .and_then(|g| g.get_column_reader(col))
                    .with_context(|| format!("{}: reading row group {rg}", at()))?;
                let before = column.values.len();
                let max_def = descr.max_def_level();
                guarded(|| decode(reader, kind, max_def, &mut column.values, &mut nulls, before))
                    .with_context(|| format!("{}: decoding row group {rg}", at()))?;
            }
            if column.values.len() != n_rows {
                bail!(
                    "{}: {} values for {n_rows} rows; the file is corrupt",
                    at(),
                    column.values.len()
                );
            }
            if nulls.iter().any(|&n| n) {
                column.nulls = Some(nulls);
            }
            columns[col] = Some(column);
        }
        Ok(Columns { n_rows, columns })
    }
}

impl Columns {
    /// The cell at `(col, row)`; `Null` for columns not decoded or rows out of range.
    pub(crate) fn cell(&self, col: usize, row: usize) -> Cell<'_> {
        let Some(Some(column)) = self.columns.get(col) else {
            return Cell::Null;
        };
        if column.nulls.as_ref().is_some_and(|n| n.get(row).copied().unwrap_or(true)) {
            return Cell::Null;
        }
        match &column.values {
            Values::Bool(v) => v.get(row).map_or(Cell::Null, |&b| Cell::Bool(b)),
            Values::Int(v) => v.get(row).map_or(Cell::Null, |&i| Cell::Int(i)),
            Values::Float(v) => v.get(row).map_or(Cell::Null, |&x| Cell::Float(x)),
            Values::Text { bytes, ends } => {
                let Some(&end) = ends.get(row) else {
                    return Cell::Null;
                };
                let start = if row == 0 { 0 } else { ends[row - 1] };
                bytes.get(start..end).map_or(Cell::Null, Cell::Text)
            }
        }
    }
}

impl Values {
    fn len(&self) -> usize {
        match self {
            Values::Bool(v) => v.len(),
            Values::Int(v) => v.len(),
            Values::Float(v) => v.len(),
            Values::Text { ends, .. } => ends.len(),
        }
    }
}

/// How a physical column becomes cells.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Bool,
    Int32,
    /// Unsigned 32-bit stored in INT32.
    UInt32,
    Int64,
    /// Unsigned 64-bit stored in INT64: becomes a float above `i64::MAX`.
    UInt64,
    /// Decimal stored in INT32 or INT64 with this scale: becomes `unscaled / 10^scale`.
    Decimal32(i32),
    Decimal64(i32),
    Float32,
    Float64,
    /// BYTE_ARRAY: UTF-8 text (strings, enums, JSON and unannotated binary that is valid UTF-8).
    Text,
}

impl Kind {
    fn of(physical: PhysicalType, converted: ConvertedType, scale: i32) -> Option<Kind> {
        Some(match (physical, converted) {
            (PhysicalType::BOOLEAN, _) => Kind::Bool,
            (PhysicalType::INT32, ConvertedType::DECIMAL) => Kind::Decimal32(scale),
            (PhysicalType::INT64, ConvertedType::DECIMAL) => Kind::Decimal64(scale),
            (PhysicalType::INT32, ConvertedType::UINT_32) => Kind::UInt32,
            (PhysicalType::INT32, _) => Kind::Int32,
            (PhysicalType::INT64, ConvertedType::UINT_64) => Kind::UInt64,
            (PhysicalType::INT64, _) => Kind::Int64,
            (PhysicalType::FLOAT, _) => Kind::Float32,
            (PhysicalType::DOUBLE, _) => Kind::Float64,
            (PhysicalType::BYTE_ARRAY, _) => Kind::Text,
            (PhysicalType::INT96 | PhysicalType::FIXED_LEN_BYTE_ARRAY, _) => return None,
        })
    }

    /// Empty values with room for `n_rows`, at most [`BATCH`]: the row count comes from the
    /// footer, and a damaged one claiming 2^60 rows must not allocate before any value is read.
    fn empty(self, n_rows: usize) -> Values {
        let n_rows = n_rows.min(BATCH);
        match self {
            Kind::Bool => Values::Bool(Vec::with_capacity(n_rows)),
            Kind::Int32 | Kind::UInt32 | Kind::Int64 => Values::Int(Vec::with_capacity(n_rows)),
            Kind::UInt64
            | Kind::Decimal32(_)
            | Kind::Decimal64(_)
            | Kind::Float32
            | Kind::Float64 => Values::Float(Vec::with_capacity(n_rows)),
            Kind::Text => Values::Text { bytes: String::new(), ends: Vec::with_capacity(n_rows) },
        }
    }
}

/// Decodes one column chunk, appending one value per row to `out` and one flag to `nulls`.
fn decode(
    reader: ColumnReader,
    kind: Kind,
    max_def: i16,
    out: &mut Values,
    nulls: &mut Vec<bool>,
    first_row: usize,
) -> Result<()> {
    match (reader, kind, out) {
        (ColumnReader::BoolColumnReader(r), _, Values::Bool(v)) => {
            read_all(r, max_def, nulls, |b| v.push(b.unwrap_or(false)))
        }
        (ColumnReader::Int32ColumnReader(r), Kind::Int32, Values::Int(v)) => {
            read_all(r, max_def, nulls, |x| v.push(x.map_or(0, i64::from)))
        }
        (ColumnReader::Int32ColumnReader(r), Kind::UInt32, Values::Int(v)) =>
        {
            #[expect(clippy::cast_sign_loss, reason = "UINT_32 stores the bits of a u32")]
            read_all(r, max_def, nulls, |x| v.push(x.map_or(0, |x| i64::from(x as u32))))
        }
        (ColumnReader::Int32ColumnReader(r), Kind::Decimal32(scale), Values::Float(v)) => {
            read_all(r, max_def, nulls, |x| v.push(x.map_or(0.0, |x| unscale(f64::from(x), scale))))
        }
        (ColumnReader::Int64ColumnReader(r), Kind::Int64, Values::Int(v)) => {
            read_all(r, max_def, nulls, |x| v.push(x.unwrap_or(0)))
        }
        #[expect(clippy::cast_precision_loss, reason = "a u64 above 2^53 has no exact f64")]
        #[expect(clippy::cast_sign_loss, reason = "UINT_64 stores the bits of a u64")]
        (ColumnReader::Int64ColumnReader(r), Kind::UInt64, Values::Float(v)) => {
            read_all(r, max_def, nulls, |x| v.push(x.map_or(0.0, |x| x as u64 as f64)))
        }
        #[expect(clippy::cast_precision_loss, reason = "decimals beyond 2^53 round, as text would")]
        (ColumnReader::Int64ColumnReader(r), Kind::Decimal64(scale), Values::Float(v)) => {
            read_all(r, max_def, nulls, |x| v.push(x.map_or(0.0, |x| unscale(x as f64, scale))))
        }
        (ColumnReader::FloatColumnReader(r), _, Values::Float(v)) => {
            read_all(r, max_def, nulls, |x| v.push(x.map_or(0.0, f64::from)))
        }
        (ColumnReader::DoubleColumnReader(r), _, Values::Float(v)) => {
            read_all(r, max_def, nulls, |x| v.push(x.unwrap_or(0.0)))
        }
        (ColumnReader::ByteArrayColumnReader(r), _, Values::Text { bytes, ends }) => {
            let mut bad: Option<usize> = None;
            read_all(r, max_def, nulls, |x: Option<ByteArray>| {
                if let Some(x) = x {
                    match std::str::from_utf8(x.data()) {
                        Ok(s) => bytes.push_str(s),
                        Err(_) => {
                            bad.get_or_insert(first_row + ends.len());
                        }
                    }
                }
                ends.push(bytes.len());
            })?;
            if let Some(row) = bad {
                bail!("row {}: the value is binary, not UTF-8 text", row + 1);
            }
            Ok(())
        }
        _ => bail!("the column's physical type does not match its schema"),
    }
}

/// Runs `f`, turning a panic into an error (the caller names the file and column). The `parquet` crate asserts things
/// about a file's content that a damaged file breaks (found by fuzzing, issue 22: a
/// dictionary-encoded page without a dictionary page panics with "Decoder for dict should have
/// been set"); here file content never panics, it is an error naming the file and column.
fn guarded<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(res) => res,
        Err(payload) => {
            let reason = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            bail!("the Parquet decoder failed ({reason}); the file is corrupt")
        }
    }
}

/// `unscaled / 10^scale`, the value of a Parquet DECIMAL.
fn unscale(unscaled: f64, scale: i32) -> f64 {
    unscaled / 10f64.powi(scale)
}

/// Reads every record of a flat column chunk: `emit(Some(value))` for each value and
/// `emit(None)` for each null, in row order; records the null flags.
fn read_all<T: DataType>(
    mut reader: ColumnReaderImpl<T>,
    max_def: i16,
    nulls: &mut Vec<bool>,
    mut emit: impl FnMut(Option<T::T>),
) -> Result<()> {
    let mut values: Vec<T::T> = Vec::with_capacity(BATCH);
    let mut defs: Vec<i16> = Vec::with_capacity(BATCH);
    loop {
        values.clear();
        defs.clear();
        let (records, n_values, _levels) =
            reader.read_records(BATCH, (max_def > 0).then_some(&mut defs), None, &mut values)?;
        if records == 0 {
            return Ok(());
        }
        if max_def == 0 {
            if n_values != records || values.len() != records {
                bail!("{records} rows but {n_values} values in a required column");
            }
            nulls.extend(std::iter::repeat_n(false, records));
            values.drain(..).for_each(|v| emit(Some(v)));
        } else {
            if defs.len() != records || values.len() != n_values {
                bail!("{records} rows, {} levels and {n_values} values do not agree", defs.len());
            }
            let mut next = values.drain(..);
            for &d in &defs {
                if d == max_def {
                    let Some(v) = next.next() else {
                        bail!("fewer values than definition levels");
                    };
                    emit(Some(v));
                    nulls.push(false);
                } else {
                    emit(None);
                    nulls.push(true);
                }
            }
        }
    }
}
