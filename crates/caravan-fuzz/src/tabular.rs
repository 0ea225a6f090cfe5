//! Targets of `caravan-io`: CSV and Parquet tables read row by row, as the trade and poverty
//! commands read them. [`caravan_io::Table`] opens a path, so each input is written to a
//! temporary file first.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use caravan_io::{Cell, Codec, Position, Table, csv_to_parquet};

/// Most rows a target reads (a Parquet footer may claim more rows than the file holds when no
/// column is decoded).
const MAX_ROWS: usize = 1 << 16;

/// Largest CSV the target also converts to Parquet and reads back (the conversion writes a
/// file, which would dominate the time per input).
const MAX_ROUND_TRIP_BYTES: usize = 4096;

/// A file in the temporary folder, removed when dropped; unique per process and call, so tests
/// can run targets on several threads.
struct TempFile(PathBuf);

impl TempFile {
    fn new(extension: &str) -> TempFile {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let name = format!("caravan-fuzz-{}-{n}.{extension}", std::process::id());
        TempFile(std::env::temp_dir().join(name))
    }

    fn with(extension: &str, data: &[u8]) -> TempFile {
        let file = TempFile::new(extension);
        std::fs::write(&file.0, data).expect("the temporary folder is writable");
        file
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// What a table reads as: its headers and, per row, each cell's number and blankness, or the
/// error that stopped it (`Err` holds the rows read before it).
type Read = (Vec<String>, Result<Vec<Vec<(Option<f64>, bool)>>, usize>);

/// Reads every column of every row (at most [`MAX_ROWS`]), checking that positions advance and
/// that numbers are finite. `None` when the table does not open.
fn read_table(path: &Path) -> Option<Read> {
    let table = Table::open(path, |file| Box::new(file)).ok()?;
    let headers = table.headers().to_vec();
    let columns: Vec<usize> = (0..headers.len()).collect();
    let Ok(mut rows) = table.rows(&columns) else {
        return Some((headers, Err(0)));
    };
    let mut read = Vec::new();
    let mut last = None;
    while read.len() < MAX_ROWS {
        match rows.next_row() {
            Ok(true) => {}
            Ok(false) => break,
            Err(_) => return Some((headers, Err(read.len()))),
        }
        let position = rows.position();
        match (last, position) {
            (None, _) => {}
            (Some(Position::Line(a)), Position::Line(b)) => assert!(b > a, "line {b} after {a}"),
            (Some(Position::Row(a)), Position::Row(b)) => assert_eq!(b, a + 1, "rows in order"),
            (Some(a), b) => panic!("{b} after {a}: one table, one kind of position"),
        }
        last = Some(position);
        let cells: Vec<(Option<f64>, bool)> = (0..=columns.len())
            .map(|col| {
                let cell: Cell<'_> = rows.cell(col);
                let number = cell.number();
                assert!(number.is_none_or(f64::is_finite), "{cell:?} is a finite number");
                let _ = cell.text();
                (number, cell.is_blank())
            })
            .collect();
        read.push(cells);
    }
    Some((headers, Ok(read)))
}

/// CSV with a header row.
///
/// Property (inputs up to 4 KiB): when `csv_to_parquet` converts the file, the Parquet copy
/// reads with the same headers, rows, numbers and blanks.
pub fn tabular_csv(data: &[u8]) {
    // A file starting with `PAR1` is read as Parquet whatever its name: that is the other target.
    if data.starts_with(b"PAR1") {
        return;
    }
    let csv = TempFile::with("csv", data);
    let Some((headers, rows)) = read_table(&csv.0) else { return };
    if data.len() > MAX_ROUND_TRIP_BYTES {
        return;
    }
    let parquet = TempFile::new("parquet");
    if csv_to_parquet(&csv.0, &parquet.0, Codec::Snappy, true, 7).is_err() {
        return;
    }
    let (parquet_headers, parquet_rows) = read_table(&parquet.0).expect("a converted file opens");
    assert_eq!(parquet_headers, headers, "the Parquet copy has the CSV's headers");
    let rows = rows.expect("a CSV that converts reads");
    let parquet_rows = parquet_rows.expect("a converted file reads");
    assert_eq!(parquet_rows.len(), rows.len(), "as many rows");
    for (idx, (a, b)) in rows.iter().zip(&parquet_rows).enumerate() {
        assert_eq!(a, b, "row {}: numbers and blanks", idx + 1);
    }
}

/// Parquet: the footer, the schema, and every column decoded.
pub fn tabular_parquet(data: &[u8]) {
    let parquet = TempFile::with("parquet", data);
    let _ = read_table(&parquet.0);
}
