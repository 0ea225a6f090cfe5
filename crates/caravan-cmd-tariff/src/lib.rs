//! The command-line shell of the tariff and rules-of-origin engines (issue 4):
//! `caravan tariff calculate`, `caravan tariff import-uk`, `caravan tariff import-ett`, `caravan tariff cross-check-hs6`, `caravan origin assess` and
//! `caravan bench tariff`. Reads schedules, rule books and bills of materials from files, runs
//! `caravan-tariff` / `caravan-origin`, and writes JSON through one locked stdout writer.

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::Result;

mod bench;
mod crosscheck;
mod origin;
mod read;
mod tariff;

pub use bench::{BenchArgs, bench};
pub use crosscheck::CrossCheckArgs;
pub use origin::{AssessArgs, OriginCommand, run_origin};
pub use tariff::{CalculateArgs, ImportEttArgs, ImportUkArgs, TariffCommand, run_tariff};

/// Writes `value` as pretty JSON and a newline to standard output; a closed pipe is not an error
/// (ripgrep's rule: `caravan ... | head` exits 0).
pub(crate) fn write_json<T: serde::Serialize>(value: &T) -> Result<()> {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let res = serde_json::to_writer_pretty(&mut out, value)
        .map_err(io::Error::from)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush());
    match res {
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// Writes `value` as pretty JSON to `output`, or to standard output when `None`.
pub(crate) fn emit<T: serde::Serialize>(value: &T, output: Option<&std::path::Path>) -> Result<()> {
    use anyhow::Context;
    match output {
        None => write_json(value),
        Some(path) => {
            let mut text = serde_json::to_string_pretty(value).context("serialising the result")?;
            text.push('\n');
            std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
        }
    }
}

/// Exit code of a finished command.
pub(crate) fn success() -> ExitCode {
    ExitCode::SUCCESS
}
