//! Reading CSV and Parquet copies of one table cell by cell, codecs, detection and errors.

use std::path::Path;

use super::*;

const CSV: &str = "year,origin,product,value,note\n\
2019,uzb,0101,12.5,a\n\
2019,kaz,0102,3,\n\
2020,uzb,0101,,b\n\
2020,kgz,0203,1e3,c\n\
2020,tjk,0304,0.1,d\n";

fn write_csv(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("t.csv");
    std::fs::write(&path, CSV).expect("temp dir is writable");
    path
}

fn all_cells(path: &Path) -> Vec<Vec<(Option<f64>, String, bool)>> {
    let table = Table::open(path, |f| Box::new(f)).expect("opens");
    let n = table.headers().len();
    let cols: Vec<usize> = (0..n).collect();
    let mut rows = table.rows(&cols).expect("reads");
    let mut out = Vec::new();
    while rows.next_row().expect("row") {
        out.push(
            (0..n)
                .map(|c| {
                    let cell = rows.cell(c);
                    (cell.number(), cell.text().into_owned(), cell.is_blank())
                })
                .collect(),
        );
    }
    out
}

#[test]
fn parquet_copies_read_like_the_csv_with_every_codec() {
    let dir = tempfile::tempdir().expect("temp dir");
    let csv = write_csv(dir.path());
    let expected = all_cells(&csv);
    assert_eq!(expected.len(), 5);
    for codec in [Codec::Uncompressed, Codec::Snappy, Codec::Gzip, Codec::Zstd, Codec::Lz4Raw] {
        for dictionary in [true, false] {
            for row_group_rows in [2, 1000] {
                let pq = dir.path().join("t.parquet");
                csv_to_parquet(&csv, &pq, codec, dictionary, row_group_rows).expect("writes");
                let got = all_cells(&pq);
                // Labels of float cells may differ in form ("1e3" vs "1000"); numbers may not.
                for (g, e) in got.iter().zip(&expected) {
                    for (c, (gc, ec)) in g.iter().zip(e).enumerate() {
                        assert_eq!(gc.0, ec.0, "{codec:?} dict {dictionary} column {c}");
                        assert_eq!(gc.2, ec.2, "{codec:?} dict {dictionary} column {c}");
                        if c != 3 {
                            assert_eq!(gc.1, ec.1, "{codec:?} dict {dictionary} column {c}");
                        }
                    }
                }
                assert_eq!(got.len(), expected.len());
            }
        }
    }
}

#[test]
fn parquet_cells_keep_their_types_and_nulls() {
    let dir = tempfile::tempdir().expect("temp dir");
    let csv = write_csv(dir.path());
    let pq = dir.path().join("t.parquet");
    csv_to_parquet(&csv, &pq, Codec::Snappy, true, 1000).expect("writes");
    let table = Table::open(&pq, |f| Box::new(f)).expect("opens");
    assert_eq!(table.headers(), ["year", "origin", "product", "value", "note"]);
    let mut rows = table.rows(&[0, 2, 3, 4]).expect("reads");
    assert!(rows.next_row().expect("row 1"));
    assert_eq!(rows.cell(0), Cell::Int(2019));
    // Leading zeros keep a code as text.
    assert_eq!(rows.cell(2), Cell::Text("0101"));
    assert_eq!(rows.cell(3), Cell::Float(12.5));
    // Not selected: null.
    assert_eq!(rows.cell(1), Cell::Null);
    assert_eq!(rows.position(), Position::Row(1));
    assert!(rows.next_row().expect("row 2"));
    assert_eq!(rows.cell(4), Cell::Null);
    assert!(rows.next_row().expect("row 3"));
    assert_eq!(rows.cell(3), Cell::Null);
    assert_eq!(rows.cell(3).number(), None);
    assert!(rows.next_row().expect("row 4") && rows.next_row().expect("row 5"));
    assert!(!rows.next_row().expect("end"));
}

#[test]
fn format_is_detected_by_extension_or_magic_bytes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let csv = write_csv(dir.path());
    assert_eq!(detect(&csv).expect("detects"), Format::Csv);
    let hidden = dir.path().join("t.dat");
    csv_to_parquet(&csv, &hidden, Codec::Zstd, true, 1000).expect("writes");
    assert_eq!(detect(&hidden).expect("detects"), Format::Parquet);
    assert_eq!(all_cells(&hidden).len(), 5);
    let named = dir.path().join("empty.PARQUET");
    std::fs::write(&named, b"").expect("writes");
    assert_eq!(detect(&named).expect("detects"), Format::Parquet);
    let err = Table::open(&named, |f| Box::new(f)).err().expect("not a parquet file").to_string();
    assert!(err.contains("not a readable Parquet file"), "{err}");
    let tiny = dir.path().join("x.csv");
    std::fs::write(&tiny, b"a\n").expect("writes");
    assert_eq!(detect(&tiny).expect("detects"), Format::Csv);
}

#[test]
fn csv_positions_are_line_numbers_and_bom_is_dropped() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("b.csv");
    std::fs::write(&path, "\u{feff}a,b\n1,x\n2,y\n").expect("writes");
    let table = Table::open(&path, |f| Box::new(f)).expect("opens");
    assert_eq!(table.column("a"), Some(0));
    let mut rows = table.rows(&[0, 1]).expect("reads");
    assert!(rows.next_row().expect("row"));
    assert_eq!(rows.position(), Position::Line(2));
    assert!(rows.next_row().expect("row"));
    assert_eq!((rows.position(), rows.cell(1)), (Position::Line(3), Cell::Text("y")));
    assert_eq!(rows.position().to_string(), "line 3");
}

#[test]
fn issue_22_crlf_rows_are_named_by_their_own_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("crlf.csv");
    std::fs::write(&path, "a,b\r\n1,x\r\n2,\"y\r\nz\"\r\n3,w\n4,v\r\n").expect("writes");
    let table = Table::open(&path, |f| Box::new(f)).expect("opens");
    let mut rows = table.rows(&[0, 1]).expect("reads");
    let mut lines = Vec::new();
    while rows.next_row().expect("row") {
        lines.push(rows.position());
    }
    let expect = [2, 3, 5, 6].map(Position::Line);
    assert_eq!(lines, expect, "the header is line 1; the quoted field spans lines 3 and 4");
}

#[test]
fn binary_that_is_not_utf8_is_an_error_naming_row_and_column() {
    use parquet::data_type::{ByteArray, ByteArrayType};
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    use std::sync::Arc;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bin.parquet");
    let schema = Arc::new(
        parquet::schema::parser::parse_message_type("message m { required binary code; }")
            .expect("schema"),
    );
    let file = std::fs::File::create(&path).expect("creates");
    let mut writer =
        SerializedFileWriter::new(file, schema, Arc::new(WriterProperties::builder().build()))
            .expect("writer");
    let mut group = writer.next_row_group().expect("group");
    let mut col = group.next_column().expect("column").expect("one column");
    let values = [ByteArray::from(&b"ok"[..]), ByteArray::from(&[0xff, 0xfe][..])];
    col.typed::<ByteArrayType>().write_batch(&values, None, None).expect("writes");
    col.close().expect("closes");
    group.close().expect("closes");
    writer.close().expect("closes");
    let table = Table::open(&path, |f| Box::new(f)).expect("opens");
    let err = format!("{:#}", table.rows(&[0]).err().expect("bad utf-8"));
    assert!(err.contains("\"code\"") && err.contains("row 2") && err.contains("UTF-8"), "{err}");
}
