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
use clap::{CommandFactory as _, FromArgMatches as _};

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

/// Parses `caravan <args>` and runs it, returning the exit code as a number. The tests run
/// the command in this process, so `cert verify`'s `--untp-schemas` is cut off from the
/// environment (`CARAVAN_UNTP_SCHEMAS`): what a test passes is all it gets, whatever the shell
/// running the tests has set.
fn run(args: &[&str]) -> anyhow::Result<u8> {
    let matches = command_without_env()
        .try_get_matches_from(std::iter::once("caravan").chain(args.iter().copied()))?;
    let cli = Cli::from_arg_matches(&matches)?;
    let code = match cli.noun {
        Noun::Cert(cmd) => run_cert(cmd)?,
        Noun::Log(cmd) => run_log(cmd)?,
    };
    Ok(exit_number(code))
}

/// The command line of the tests: `cert verify --untp-schemas` not read from the environment.
fn command_without_env() -> clap::Command {
    Cli::command().mut_subcommand("cert", |cert| {
        cert.mut_subcommand("verify", |verify| {
            verify.mut_arg("untp_schemas", |arg| arg.env(None::<&str>))
        })
    })
}

/// The binary's `--untp-schemas` reads `CARAVAN_UNTP_SCHEMAS`; the tests' command does not.
#[test]
fn the_tests_do_not_read_untp_schemas_from_the_environment() {
    let env_of = |mut command: clap::Command| {
        let verify = command.find_subcommand_mut("cert").unwrap().find_subcommand_mut("verify");
        let arg = verify.unwrap().get_arguments().find(|a| a.get_id() == "untp_schemas");
        arg.unwrap().get_env().map(|name| name.to_string_lossy().into_owned())
    };
    assert_eq!(env_of(Cli::command()).as_deref(), Some("CARAVAN_UNTP_SCHEMAS"));
    assert_eq!(env_of(command_without_env()), None);
}

fn exit_number(code: ExitCode) -> u8 {
    (0..=255u8).find(|n| format!("{:?}", ExitCode::from(*n)) == format!("{code:?}")).unwrap_or(255)
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}
