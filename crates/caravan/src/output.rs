//! The one place the CLI writes to standard output.

use std::io::Write;

/// Writes `text` and a newline to standard output.
///
/// # Errors
/// When standard output is closed (a broken pipe is reported so `main` can exit quietly).
pub(crate) fn println(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(())
}

/// Whether the error is a write to a closed pipe (`caravan … | head`), which is no failure.
pub(crate) fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
