//! The `caravan` binary: parses the command line and hands each subcommand to its shell.

mod admin;
mod bench_declarations;
mod bench_http;
mod bench_logs;
mod config;
mod output;
mod refdata_files;
mod serve;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Caravan: the China–Central Asia smooth-trade platform and its three cooperation centers.
#[derive(Parser)]
#[command(name = "caravan", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the platform: HTTP API and web UI (embedded SQLite by default).
    Serve(serve::ServeArgs),
    /// Manage organisations and users from the command line.
    #[command(subcommand)]
    Admin(admin::AdminCommand),
    /// Check the hash-chained audit log.
    #[command(subcommand)]
    Audit(admin::AuditCommand),
    /// Trade analytics: RCA, economic complexity, proximity, concentration, growth.
    #[command(subcommand)]
    Trade(caravan_cmd_trade::Command),
    /// Poverty and inequality from household surveys, with standard errors.
    #[command(subcommand)]
    Poverty(caravan_cmd_poverty::Command),
    /// Verifiable trade certificates: keys, issuance, offline verification, canonical JSON, signatures.
    #[command(subcommand)]
    Cert(caravan_cmd_cert::CertCommand),
    /// Transparency logs (RFC 9162): local logs, checkpoints, inclusion and consistency proofs.
    #[command(subcommand)]
    Log(caravan_cmd_cert::LogCommand),
    /// Customs declarations: validate offline; lodge with a server and follow the status.
    #[command(subcommand)]
    Declaration(caravan_cmd_declaration::Command),
    /// Duties and taxes from tariff schedules (sample schedules are illustrative).
    #[command(subcommand)]
    Tariff(caravan_cmd_tariff::TariffCommand),
    /// Rules of origin: does a product qualify for preference, with a printable explanation.
    #[command(subcommand)]
    Origin(caravan_cmd_tariff::OriginCommand),
    /// Land degradation (SDG 15.3.1) from rasters, per UNCCD Good Practice Guidance v2.
    #[command(subcommand)]
    Land(caravan_cmd_land::Command),
    /// Scholarship placement: stable matching of students to programmes, and its audit.
    #[command(subcommand)]
    Scholarship(caravan_cmd_scholarship::Command),
    /// The exchange between national nodes: seal an envelope, check one offline.
    #[command(subcommand)]
    Exchange(caravan_cmd_exchange::Command),
    /// Benchmarks that print measured numbers (not tests).
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Throughput and latency of HS look-up and search over HTTP on loopback.
    Http(bench_http::BenchHttpArgs),
    /// The complexity pipeline on generated HS6-like and HS4-like tables (and py-ecomplexity when installed).
    Complexity(caravan_cmd_trade::BenchArgs),
    /// All poverty measures with linearised standard errors on generated 1 M and 10 M record surveys.
    Poverty(caravan_cmd_poverty::BenchArgs),
    /// Full certificate verification vs bare Ed25519, batch verification, durable log appends.
    Certs(caravan_cmd_cert::BenchArgs),
    /// Lodging declarations of 1, 10 and 100 items through the real store (group commit).
    Declarations(bench_declarations::BenchDeclarationsArgs),
    /// Inclusion and consistency proofs and the revocation list of a 1 M-leaf log over HTTP.
    Logs(bench_logs::BenchLogsArgs),
    /// Duty calculations and origin assessments per second, in-process.
    Tariff(caravan_cmd_tariff::BenchArgs),
    /// The SDG 15.3.1 pipeline on a generated 2000 × 2000 × 16-year scene.
    Land(caravan_cmd_land::BenchArgs),
    /// Deferred acceptance and the stability audit on generated students and programmes.
    Placement(caravan_cmd_scholarship::BenchArgs),
}

/// mimalloc: per-thread free lists without glibc's arena locks; a third of the lodging
/// pipeline's time went to malloc and free before (perf, `caravan bench declarations`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Admin(cmd) => admin::run_admin(cmd),
        Command::Audit(cmd) => admin::run_audit(cmd),
        Command::Trade(cmd) => caravan_cmd_trade::run(cmd),
        Command::Poverty(cmd) => caravan_cmd_poverty::run(cmd),
        Command::Cert(cmd) => caravan_cmd_cert::run_cert(cmd),
        Command::Log(cmd) => caravan_cmd_cert::run_log(cmd),
        Command::Declaration(cmd) => caravan_cmd_declaration::run(cmd),
        Command::Tariff(cmd) => caravan_cmd_tariff::run_tariff(cmd),
        Command::Origin(cmd) => caravan_cmd_tariff::run_origin(cmd),
        Command::Land(cmd) => caravan_cmd_land::run(cmd),
        Command::Scholarship(cmd) => caravan_cmd_scholarship::run(cmd),
        Command::Exchange(cmd) => caravan_cmd_exchange::run(cmd),
        Command::Bench(BenchCommand::Http(args)) => bench_http::run(args),
        Command::Bench(BenchCommand::Complexity(args)) => {
            caravan_cmd_trade::bench(args).map(|()| ExitCode::SUCCESS)
        }
        Command::Bench(BenchCommand::Poverty(args)) => {
            caravan_cmd_poverty::bench(args).map(|()| ExitCode::SUCCESS)
        }
        Command::Bench(BenchCommand::Certs(args)) => {
            caravan_cmd_cert::bench(args).map(|()| ExitCode::SUCCESS)
        }
        Command::Bench(BenchCommand::Declarations(args)) => bench_declarations::run(args),
        Command::Bench(BenchCommand::Logs(args)) => bench_logs::run(args),
        Command::Bench(BenchCommand::Tariff(args)) => {
            caravan_cmd_tariff::bench(args).map(|()| ExitCode::SUCCESS)
        }
        Command::Bench(BenchCommand::Land(args)) => {
            caravan_cmd_land::bench(args).map(|()| ExitCode::SUCCESS)
        }
        Command::Bench(BenchCommand::Placement(args)) => {
            caravan_cmd_scholarship::bench(args).map(|()| ExitCode::SUCCESS)
        }
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            if output::is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}
