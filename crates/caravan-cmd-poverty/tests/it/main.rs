//! Integration tests of `caravan poverty measure|compare`: argument vectors parsed as the
//! `caravan` binary would, run on temp files.

#![expect(clippy::unwrap_used, reason = "test helpers panic on a broken fixture, as the tests do")]

mod bench;
mod compare;
mod errors;
mod measure;
mod parquet;

use std::path::{Path, PathBuf};

use clap::Parser;
use serde_json::Value;

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    cmd: caravan_cmd_poverty::Command,
}

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

/// Runs `caravan poverty ARGS...`.
fn run(args: &[&str]) -> anyhow::Result<()> {
    let cli = Cli::try_parse_from(std::iter::once("poverty").chain(args.iter().copied()))?;
    caravan_cmd_poverty::run(cli.cmd).map(|_| ())
}

/// Runs and reads the RESULT.json written to `out`.
#[track_caller]
fn run_ok(args: &[&str], out: &Path) -> Value {
    if let Err(err) = run(args) {
        panic!("{args:?} failed: {err:#}");
    }
    serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap()
}

/// Runs, expects an error, and returns its full message.
#[track_caller]
fn run_err(args: &[&str]) -> String {
    match run(args) {
        Ok(()) => panic!("{args:?} should have failed"),
        Err(err) => format!("{err:#}"),
    }
}

fn est(result: &Value, name: &str) -> (f64, Option<f64>) {
    let e = &result["estimates"][name];
    (e["value"].as_f64().unwrap(), e["se"].as_f64())
}

/// A small stratified, clustered survey: 4 strata, 2-3 PSUs each, 10 households per PSU.
fn write_design_csv(dir: &Path, lonely: bool) -> PathBuf {
    let mut text = String::from("hh,stratum,cluster,size,weight,income,region,rep_1,rep_2,rep_3\n");
    let mut hh = 0;
    for stratum in 0..4 {
        let n_psu = if lonely && stratum == 3 { 1 } else { 2 + stratum % 2 };
        for cluster in 0..n_psu {
            for k in 0..10 {
                hh += 1;
                let income = 20.0 + f64::from((hh * 37) % 97) * (1.0 + f64::from(stratum) * 0.3);
                let weight = 100.0 + f64::from((hh * 13) % 50);
                let size = 1 + hh % 5;
                let region = if k % 2 == 0 { "north" } else { "south" };
                let reps = [0.9, 1.1, 1.0].map(|f| weight * f * (1.0 + f64::from(hh % 3) * 0.05));
                text.push_str(&format!(
                    "{hh},s{stratum},{cluster},{size},{weight},{income},{region},{},{},{}\n",
                    reps[0], reps[1], reps[2]
                ));
            }
        }
    }
    let path = dir.join("survey.csv");
    std::fs::write(&path, text).unwrap();
    path
}
