//! What a command's process does with its own output, and what the benches report about it:
//! a line on standard output that a closed pipe does not fail, CPU time and peak memory (Linux
//! `/proc`).

/// Writes `text` and a newline on standard output through one locked handle and flushes; a
/// closed pipe (`caravan … | head`) is not an error, as ripgrep treats it.
///
/// # Errors
/// Any other write error.
pub fn say(text: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    match writeln!(stdout, "{text}").and_then(|()| stdout.flush()) {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => Err(err.into()),
        _ => Ok(()),
    }
}

/// User plus system CPU seconds of this process so far (`/proc/self/stat`, 100 ticks a second),
/// which a loaded or virtual machine inflates far less than wall time. `None` off Linux.
pub fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// Peak resident set size of this process (`VmHWM` in `/proc/self/status`), in KiB.
/// `None` off Linux.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
