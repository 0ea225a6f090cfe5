//! Integration tests of `caravan declaration validate` and `caravan bench declarations`,
//! parsing argument vectors as the `caravan` binary does and running on temp files.

mod bench;
mod validate;

use clap::Parser;

/// Stands in for the `caravan` binary's wiring.
#[derive(Debug, Parser)]
#[command(name = "caravan")]
enum Cli {
    /// `caravan declaration ...`
    #[command(subcommand)]
    Declaration(caravan_cmd_declaration::Command),
    /// `caravan bench declarations ...`
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Debug, clap::Subcommand)]
enum BenchCommand {
    Declarations(caravan_cmd_declaration::BenchArgs),
}

/// Parses and runs; the exit code, or the error message with its context chain.
fn run(args: &[&str]) -> Result<std::process::ExitCode, String> {
    let cli = Cli::try_parse_from(std::iter::once("caravan").chain(args.iter().copied()))
        .map_err(|err| err.to_string())?;
    match cli {
        Cli::Declaration(cmd) => {
            caravan_cmd_declaration::run(cmd).map_err(|err| format!("{err:#}"))
        }
        Cli::Bench(BenchCommand::Declarations(args)) => caravan_cmd_declaration::bench(args)
            .map(|()| std::process::ExitCode::SUCCESS)
            .map_err(|err| format!("{err:#}")),
    }
}

fn sample_path(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/customs/samples").join(name)
}
