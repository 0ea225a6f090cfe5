//! Issue 22, finding 5, on the store alone: a SQLite database on a small file system that fills
//! up. While the disk is full, writes fail as [`StoreError::Unavailable`] (never a stuck
//! connection); everything acknowledged before stays; once space returns, writes succeed again
//! on the same store, without reopening it.
//!
//! It needs to mount a tmpfs (root, or a container with `CAP_SYS_ADMIN`). Where it cannot, it
//! prints why and passes, unless `CARAVAN_REQUIRE_FAULTS=1` makes that a failure.

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly by design")]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use caravan_store::{Actor, Change, NewAudit, Store, StoreError};
use caravan_store_sqlite::SqliteStore;

/// A tmpfs mounted on a temporary folder, unmounted (lazily, so a file still open cannot keep
/// it) when dropped, even when the test fails.
struct SmallFs {
    dir: Option<tempfile::TempDir>,
}

impl SmallFs {
    fn mount(size: &str) -> Result<SmallFs, String> {
        let dir = tempfile::tempdir().map_err(|e| format!("temporary folder: {e}"))?;
        let output = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size},mode=0700"), "caravan-fault"])
            .arg(dir.path())
            .output()
            .map_err(|e| format!("running mount: {e}"))?;
        if !output.status.success() {
            return Err(String::from_utf8_lossy(&output.stderr).trim().to_owned());
        }
        Ok(SmallFs { dir: Some(dir) })
    }

    fn path(&self) -> &Path {
        self.dir.as_ref().expect("mounted").path()
    }
}

impl Drop for SmallFs {
    fn drop(&mut self) {
        if let Some(dir) = self.dir.take() {
            let _ = Command::new("umount").arg("-l").arg(dir.path()).status();
        }
    }
}

/// The small file system, or `None` after saying why the test is skipped.
fn small_fs() -> Option<SmallFs> {
    match SmallFs::mount("8m") {
        Ok(fs) => Some(fs),
        Err(reason) if std::env::var("CARAVAN_REQUIRE_FAULTS").is_ok_and(|v| v == "1") => {
            panic!("cannot mount a small file system (CARAVAN_REQUIRE_FAULTS=1): {reason}")
        }
        Err(reason) => {
            eprintln!("skipped: cannot mount a small file system: {reason}");
            None
        }
    }
}

/// Fills the file system with one file, up to the last byte it accepts.
fn fill(dir: &Path) -> PathBuf {
    let path = dir.join("filler");
    let mut file = std::fs::File::create(&path).unwrap();
    let chunk = vec![0u8; 64 * 1024];
    loop {
        if let Err(err) = file.write_all(&chunk) {
            assert_eq!(err.raw_os_error(), Some(28), "expected ENOSPC, got {err}");
            break;
        }
    }
    // Whatever is left is smaller than a chunk: take it byte by byte.
    let byte = [0u8; 1];
    while file.write_all(&byte).is_ok() {}
    path
}

fn change() -> Change {
    Change { actor: Actor::system("disk-full test"), at: caravan_store::conformance::t0() }
}

async fn write(store: &SqliteStore, idx: usize) -> Result<(), StoreError> {
    // Big enough details that the log outgrows the space left quickly.
    let details = serde_json::json!({ "idx": idx, "pad": "x".repeat(2000) });
    let audit = NewAudit { action: "test.write", target: format!("write:{idx}"), details };
    store.append_audit(&change(), audit).await.map(|_| ())
}

#[tokio::test]
async fn issue_22_writes_recover_after_the_disk_was_full() {
    let Some(fs) = small_fs() else { return };
    let deadline = Instant::now() + Duration::from_secs(120);
    let store = SqliteStore::open(&fs.path().join("caravan.db")).await.expect("open");

    let mut acknowledged = 0;
    for idx in 0..50 {
        write(&store, idx).await.expect("writes while there is space");
        acknowledged += 1;
    }
    let filler = fill(fs.path());

    // Write until the store refuses; every refusal must say the store is unavailable.
    let mut refused = 0;
    while refused < 20 {
        assert!(Instant::now() < deadline, "the full disk never refused a write");
        match write(&store, acknowledged).await {
            Ok(()) => acknowledged += 1,
            Err(StoreError::Unavailable(_)) => refused += 1,
            Err(other) => panic!("a write on a full disk failed as {other:?}, not Unavailable"),
        }
    }
    // The health probe sees it too (a fresh store: no answer of the last second to reuse).
    assert!(matches!(store.check_writable().await, Err(StoreError::Unavailable(_))));
    // Reads still work, and see everything acknowledged.
    let entries = store.audit_entries(0, 10_000).await.expect("read while full");
    assert_eq!(entries.len(), acknowledged);
    caravan_store::verify_audit_chain(&entries).expect("chain intact while full");

    std::fs::remove_file(filler).unwrap();
    // The probe's answer stands for a second, then it sees the space.
    while store.check_writable().await.is_err() {
        assert!(Instant::now() < deadline, "the probe never saw the space return");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Every connection of the pool must write again (8 of them: more writes than that).
    for _ in 0..32 {
        assert!(Instant::now() < deadline, "test took too long");
        write(&store, acknowledged).await.expect("writes after space returned");
        acknowledged += 1;
    }
    let entries = store.audit_entries(0, 10_000).await.unwrap();
    assert_eq!(entries.len(), acknowledged, "nothing acknowledged is lost");
    caravan_store::verify_audit_chain(&entries).expect("chain intact after recovery");
    eprintln!("disk full: {acknowledged} writes acknowledged and kept, {refused} refused");
    drop(store);
}
