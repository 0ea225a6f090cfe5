//! Converting a CSV table to Parquet: each column becomes INT64 when every non-empty cell is an
//! integer, DOUBLE when every non-empty cell is a number, UTF-8 text otherwise; empty cells
//! become nulls. Used to make Parquet copies of CSV inputs (tests check both give the same
//! results) and by analysts who want a smaller, typed file.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use parquet::basic::{Compression, GzipLevel, ZstdLevel};
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;

/// The compression of every column chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    Uncompressed,
    Snappy,
    Gzip,
    Zstd,
    Lz4Raw,
}

enum Typed {
    Int(Vec<i64>),
    Float(Vec<f64>),
    Text(Vec<ByteArray>),
}

/// True for codes like `0101` whose leading zero a number would lose.
fn zero_padded(cell: &str) -> bool {
    let bytes = cell.as_bytes();
    bytes.len() > 1 && bytes[0] == b'0' && bytes[1].is_ascii_digit()
}

/// Writes the CSV at `csv_path` as Parquet at `out`, with `codec`, dictionary encoding when
/// `dictionary`, and at most `row_group_rows` rows per row group.
///
/// # Errors
/// When the CSV cannot be read or the Parquet file cannot be written.
pub fn csv_to_parquet(
    csv_path: &Path,
    out: &Path,
    codec: Codec,
    dictionary: bool,
    row_group_rows: usize,
) -> Result<()> {
    let mut reader = csv::Reader::from_path(csv_path)
        .with_context(|| format!("opening {}", csv_path.display()))?;
    let headers: Vec<String> = reader
        .headers()
        .with_context(|| format!("{}: reading the header row", csv_path.display()))?
        .iter()
        .map(str::to_owned)
        .collect();
    let mut cells: Vec<Vec<String>> = vec![Vec::new(); headers.len()];
    for record in reader.records() {
        let record = record.with_context(|| format!("reading {}", csv_path.display()))?;
        for (col, cell) in cells.iter_mut().zip(record.iter()) {
            col.push(cell.to_owned());
        }
    }
    let mut schema = String::from("message table {\n");
    let mut columns = Vec::with_capacity(headers.len());
    for (name, col) in headers.iter().zip(&cells) {
        if name.contains(|c: char| !(c.is_alphanumeric() || c == '_')) {
            bail!("column name {name:?}: only letters, digits and _ can be written");
        }
        let present = || col.iter().filter(|c| !c.is_empty());
        // Integers only when their text survives the round trip ("007" and "+5" stay text).
        let is_int = |c: &String| c.parse::<i64>().is_ok_and(|i| i.to_string() == *c);
        let (kind, typed) = if present().all(is_int) {
            ("int64", Typed::Int(present().filter_map(|c| c.parse().ok()).collect()))
        } else if present().all(|c| c.parse::<f64>().is_ok() && !zero_padded(c)) {
            ("double", Typed::Float(present().filter_map(|c| c.parse().ok()).collect()))
        } else {
            let text = present().map(|c| ByteArray::from(c.as_bytes().to_vec())).collect();
            ("binary", Typed::Text(text))
        };
        let annotation = if kind == "binary" { " (UTF8)" } else { "" };
        schema.push_str(&format!("  optional {kind} {name}{annotation};\n"));
        let defs: Vec<i16> = col.iter().map(|c| i16::from(!c.is_empty())).collect();
        columns.push((typed, defs));
    }
    schema.push('}');
    let schema = Arc::new(parse_message_type(&schema).context("building the Parquet schema")?);
    let compression = match codec {
        Codec::Uncompressed => Compression::UNCOMPRESSED,
        Codec::Snappy => Compression::SNAPPY,
        Codec::Gzip => Compression::GZIP(GzipLevel::default()),
        Codec::Zstd => Compression::ZSTD(ZstdLevel::default()),
        Codec::Lz4Raw => Compression::LZ4_RAW,
    };
    let props = WriterProperties::builder()
        .set_compression(compression)
        .set_dictionary_enabled(dictionary)
        .set_max_row_group_row_count(Some(row_group_rows.max(1)))
        .build();
    let file = File::create(out).with_context(|| format!("creating {}", out.display()))?;
    let mut writer = SerializedFileWriter::new(file, schema, Arc::new(props))?;
    let n_rows = cells.first().map_or(0, Vec::len);
    let step = row_group_rows.max(1);
    // Offsets into each column's non-null values at the start of the current row group.
    let mut value_at = vec![0usize; columns.len()];
    for start in (0..n_rows.max(1)).step_by(step) {
        let end = (start + step).min(n_rows);
        let mut group = writer.next_row_group()?;
        for ((typed, defs), at) in columns.iter().zip(value_at.iter_mut()) {
            let Some(mut col) = group.next_column()? else {
                bail!("the Parquet writer has fewer columns than the schema");
            };
            let defs = &defs[start..end];
            let n_values = defs.iter().filter(|&&d| d == 1).count();
            let range = *at..*at + n_values;
            match typed {
                Typed::Int(v) => {
                    col.typed::<Int64Type>().write_batch(&v[range], Some(defs), None)?;
                }
                Typed::Float(v) => {
                    col.typed::<DoubleType>().write_batch(&v[range], Some(defs), None)?;
                }
                Typed::Text(v) => {
                    col.typed::<ByteArrayType>().write_batch(&v[range], Some(defs), None)?;
                }
            }
            *at += n_values;
            col.close()?;
        }
        group.close()?;
    }
    writer.close().with_context(|| format!("writing {}", out.display()))?;
    Ok(())
}
