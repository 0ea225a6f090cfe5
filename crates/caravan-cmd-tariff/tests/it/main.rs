//! Integration tests of the CLI: argument vectors parsed as `caravan` would, run on temp files.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions should panic on a broken fixture"
)]

mod ett;
mod origin;
mod tariff;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use caravan_cmd_tariff::{BenchArgs, OriginCommand, TariffCommand, bench, run_origin, run_tariff};
use clap::Parser;

#[derive(clap::Parser)]
#[command(name = "caravan")]
struct Cli {
    #[command(subcommand)]
    command: Top,
}

#[derive(clap::Subcommand)]
enum Top {
    #[command(subcommand)]
    Tariff(TariffCommand),
    #[command(subcommand)]
    Origin(OriginCommand),
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(clap::Subcommand)]
enum BenchCommand {
    Tariff(BenchArgs),
}

/// The repository's `data/tariff` folder.
fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/tariff")
}

/// Parses `args` as `caravan ...` and runs it.
fn run(args: &[&str]) -> anyhow::Result<ExitCode> {
    let cli = Cli::try_parse_from(std::iter::once("caravan").chain(args.iter().copied()))?;
    match cli.command {
        Top::Tariff(cmd) => run_tariff(cmd),
        Top::Origin(cmd) => run_origin(cmd),
        Top::Bench(BenchCommand::Tariff(args)) => bench(args).map(|()| ExitCode::SUCCESS),
    }
}

/// Runs `args` plus `--output <temp>` and returns the JSON written.
fn run_json(args: &[&str]) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.json");
    let mut full: Vec<&str> = args.to_vec();
    let out_str = out.to_str().unwrap().to_owned();
    full.extend(["--output", &out_str]);
    run(&full).unwrap_or_else(|err| panic!("{args:?} failed: {err:#}"));
    serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap()
}

/// Runs `args`, expecting an error, and returns its message.
fn run_err(args: &[&str]) -> String {
    match run(args) {
        Ok(_) => panic!("{args:?} should fail"),
        Err(err) => format!("{err:#}"),
    }
}
