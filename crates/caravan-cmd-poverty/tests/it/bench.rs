//! `caravan bench poverty` runs end to end at a small size (no timing is asserted).

use clap::Parser;

#[derive(Parser)]
struct BenchCli {
    #[command(flatten)]
    args: caravan_cmd_poverty::BenchArgs,
}

#[test]
fn bench_runs_on_a_small_survey() {
    let cli = BenchCli::try_parse_from(["bench", "--sizes", "5000,20000", "--psus", "40"]).unwrap();
    assert_eq!(cli.args.sizes, [5000, 20000]);
    assert_eq!(cli.args.strata, 8);
    caravan_cmd_poverty::bench(cli.args).unwrap();
    let err = BenchCli::try_parse_from(["bench", "--sizes", "many"]).err().unwrap();
    assert!(err.to_string().contains("many"));
}
