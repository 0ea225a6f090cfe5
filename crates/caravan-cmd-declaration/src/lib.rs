//! `caravan declaration validate|lodge|status` and `caravan bench declarations`: the
//! command-line shell over `caravan-customs` and the single window's HTTP API.
//!
//! This crate reads files and the clock, loads the shipped code lists (`data/customs/`) and
//! reference data (`data/reference/`, compiled in), and writes to stdout through one locked
//! writer; all checking is done by the pure `caravan-customs`. The lead wires [`Command`] and
//! [`run`] as `caravan declaration …`, [`BenchArgs`] and [`bench`] as `caravan bench declarations`.

mod bench;
mod engine;
mod remote;
mod validate;

use std::process::ExitCode;

pub use bench::{BenchArgs, bench};

/// The subcommands of `caravan declaration`.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Validate a declaration file offline against the code lists and business rules; print
    /// every error with its field path; exit 1 if there is any.
    Validate(validate::ValidateArgs),
    /// Lodge a declaration with a server; prints the reference, channel and reasons.
    Lodge(remote::LodgeArgs),
    /// Show a lodged declaration's status and timeline.
    Status(remote::StatusArgs),
}

/// Runs a `caravan declaration` subcommand.
///
/// # Errors
/// When a file cannot be read or written, or the shipped data is broken; the message names
/// the file and what to do.
pub fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::Validate(args) => validate::run(&args),
        Command::Lodge(args) => remote::lodge(&args),
        Command::Status(args) => remote::status(&args),
    }
}
