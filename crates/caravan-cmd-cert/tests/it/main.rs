//! Integration tests of the `cert` and `log` commands, one module per topic.
#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] bodies fail the test on bad setup, which is what they should do"
)]

mod cli;
mod crash;
mod interop;
mod online;

use std::path::Path;
use std::process::ExitCode;

use caravan_cmd_cert::{CertCommand, LogCommand, run_cert, run_log};
use clap::Parser as _;

#[derive(clap::Parser)]
struct Cli {
    #[command(subcommand)]
    noun: Noun,
}

#[derive(clap::Subcommand)]
enum Noun {
    #[command(subcommand)]
    Cert(CertCommand),
    #[command(subcommand)]
    Log(LogCommand),
}

/// Parses `caravan <args>` and runs it, returning the exit code as a number.
fn run(args: &[&str]) -> anyhow::Result<u8> {
    let cli = Cli::try_parse_from(std::iter::once("caravan").chain(args.iter().copied()))?;
    let code = match cli.noun {
        Noun::Cert(cmd) => run_cert(cmd)?,
        Noun::Log(cmd) => run_log(cmd)?,
    };
    Ok(exit_number(code))
}

fn exit_number(code: ExitCode) -> u8 {
    (0..=255u8).find(|n| format!("{:?}", ExitCode::from(*n)) == format!("{code:?}")).unwrap_or(255)
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}
