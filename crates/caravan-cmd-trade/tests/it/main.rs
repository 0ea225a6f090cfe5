//! Integration tests of `caravan trade`: argument vectors are parsed as the `caravan` binary
//! would, run on temp files, and the CSV written is checked.

mod complexity;
mod concentration;
mod growth;
mod mirror;
mod parquet;
mod rejects;

use std::path::{Path, PathBuf};

use caravan_cmd_trade::{Command, run};
use clap::Parser;

/// Stand-in for `caravan trade`.
#[derive(Debug, Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

/// Parses `args` (after `caravan trade`) and runs them.
fn trade(args: &[&str]) -> anyhow::Result<std::process::ExitCode> {
    let cli = Cli::try_parse_from(std::iter::once("trade").chain(args.iter().copied()))?;
    run(cli.command)
}

/// Reads a CSV into its header and rows.
fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_path(path).expect("test output exists");
    let header = reader.headers().expect("header row").iter().map(str::to_owned).collect();
    let rows = reader
        .records()
        .map(|r| r.expect("well-formed CSV").iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}
