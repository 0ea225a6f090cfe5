//! Integration tests of `caravan scholarship` and `caravan bench placement`: argument
//! vectors parsed as the binary does, run on temporary files.

mod audit;
mod bad_input;
mod bench;
mod peer;
mod place;

use std::path::PathBuf;
use std::process::ExitCode;

use caravan_cmd_scholarship::{BenchArgs, Command, run};
use clap::Parser;

#[derive(Debug, clap::Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Parser)]
struct BenchCli {
    #[command(flatten)]
    args: BenchArgs,
}

/// A temporary directory with input files.
struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    fn new() -> Workspace {
        Workspace { dir: tempfile::tempdir().expect("a temporary directory") }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, text).expect("writing a test file");
        path
    }

    fn write_gz(&self, name: &str, text: &str) -> PathBuf {
        use std::io::Write;
        let path = self.path(name);
        let file = std::fs::File::create(&path).expect("creating a test file");
        let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
        gz.write_all(text.as_bytes()).expect("writing a test file");
        gz.finish().expect("finishing a gzip stream");
        path
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).expect("reading an output file")
    }

    /// Runs `caravan scholarship ARGS`, with `{dir}` in an argument replaced by the directory.
    fn run(&self, args: &[&str]) -> anyhow::Result<ExitCode> {
        let dir = self.dir.path().to_str().expect("temporary paths are UTF-8");
        let argv = std::iter::once("scholarship".to_owned())
            .chain(args.iter().map(|a| a.replace("{dir}", dir)));
        let cli = Cli::try_parse_from(argv)?;
        run(cli.command)
    }
}

fn exit_code(code: ExitCode) -> String {
    format!("{code:?}")
}

fn success() -> String {
    exit_code(ExitCode::SUCCESS)
}

fn failure() -> String {
    exit_code(ExitCode::from(1))
}

/// Rows of a matching file without the header.
fn rows(text: &str) -> Vec<String> {
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("student_id,programme_id,rank"));
    lines.map(str::to_owned).collect()
}
