//! The `caravan` binary: parses the command line and hands each subcommand to its shell crate.

use clap::Parser;

/// Caravan: the China–Central Asia smooth-trade platform and its three cooperation centers.
#[derive(Parser)]
#[command(name = "caravan", version)]
struct Cli {}

fn main() -> anyhow::Result<()> {
    let _cli = Cli::parse();
    Ok(())
}
