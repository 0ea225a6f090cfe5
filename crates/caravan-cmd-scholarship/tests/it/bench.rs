//! `caravan bench placement` at a small size: it runs and checks its own result.

use clap::Parser;

use super::BenchCli;

#[test]
fn bench_runs_on_a_small_instance() {
    let cli = BenchCli::try_parse_from([
        "bench",
        "--students",
        "2000",
        "--programmes",
        "50",
        "--list-len",
        "5",
        "--all",
        "--quotas",
    ])
    .unwrap();
    assert_eq!(cli.args.students, 2000);
    caravan_cmd_scholarship::bench(cli.args).unwrap();
}

#[test]
fn a_missing_python_peer_is_a_clear_error() {
    let cli = BenchCli::try_parse_from([
        "bench",
        "--students",
        "200",
        "--programmes",
        "10",
        "--peer-python",
        "/nonexistent/python3",
    ])
    .unwrap();
    let err = caravan_cmd_scholarship::bench(cli.args).unwrap_err();
    assert!(format!("{err:#}").contains("running /nonexistent/python3"), "{err:#}");
    // Quotas are not in the peer's model.
    assert!(BenchCli::try_parse_from(["bench", "--quotas", "--peer-python", "python3"]).is_err());
}
