//! `caravan bench land` at a small size: runs, writes every output, and finds the planted trends.

use caravan_cmd_land::{BenchArgs, bench};

#[test]
fn bench_runs_on_a_small_scene() {
    let dir = tempfile::tempdir().unwrap();
    bench(BenchArgs { size: 96, years: 8, seed: 7, keep: Some(dir.path().to_path_buf()) }).unwrap();
    let out = dir.path().join("out");
    let traj = crate::common::read_layer(&out.join("trajectory.tif"));
    // Rows 0–31 fall, 32–63 flat, 64–95 rise (scene.rs).
    assert_eq!(traj[5 * 96 + 5], -1.0);
    assert_eq!(traj[90 * 96 + 5], 1.0);
    let csv = std::fs::read_to_string(out.join("area_by_region.csv")).unwrap();
    assert_eq!(csv.lines().count(), 6, "a header, four regions and the total");
}
