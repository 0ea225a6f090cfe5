//! `caravan bench declarations` at a tiny size: it runs and writes its CSV rows.

use crate::run;

#[test]
fn bench_runs_and_appends_csv_rows() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("bench.csv");
    let csv_arg = csv.to_str().unwrap();
    run(&["bench", "declarations", "--declarations", "3", "--items", "1,2", "--csv", csv_arg])
        .unwrap();
    let text = std::fs::read_to_string(&csv).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "items,mode,declarations,seconds,per_second,p50_us,p99_us");
    assert_eq!(lines.len(), 1 + 2 * 2);
    assert!(lines[1].starts_with("1,sequential,3,"), "{}", lines[1]);
    assert!(lines[4].starts_with("2,parallel,3,"), "{}", lines[4]);
    let err = run(&["bench", "declarations", "--items", "1000"]).unwrap_err();
    assert!(err.contains("999"), "{err}");
}
