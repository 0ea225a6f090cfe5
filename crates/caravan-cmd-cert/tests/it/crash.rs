//! An append acknowledged to the issuer survives `kill -9` of the process that made it.
//!
//! The test re-runs this test binary as a child that appends through group commit and prints
//! each acknowledged count; the parent kills it with SIGKILL mid-stream and reopens the log.

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};

use caravan_docsign::log::decode_records;

use super::{path, run};

const CHILD_ENV: &str = "CARAVAN_CRASH_CHILD_LOG";

fn entry(i: u64) -> Vec<u8> {
    format!("{{\"entry\":{i},\"pad\":\"{}\"}}", "x".repeat(200)).into_bytes()
}

/// In the child: append forever, printing `acked N` after each durable group. Run directly
/// (without the variable), it checks that appended entries are readable after reopening.
#[test]
fn child_appends_until_killed() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        let tmp = tempfile::tempdir().unwrap();
        let log = tmp.path().join("log");
        init(&log);
        let n = caravan_cmd_cert::testing::append_and_count(&log, &[entry(0), entry(1), entry(2)])
            .unwrap();
        assert_eq!(n, 3);
        let records = decode_records(&std::fs::read(log.join("entries.log")).unwrap());
        assert_eq!(records.leaf_hashes.len(), 3);
        return;
    };
    caravan_cmd_cert::testing::append_forever(std::path::Path::new(&dir), entry).unwrap();
}

fn init(log: &std::path::Path) {
    assert_eq!(
        run(&[
            "log",
            "init",
            "--dir",
            path(log),
            "--log-id",
            "l",
            "--authority-id",
            "urn:a",
            "--authority-name",
            "A",
            "--country",
            "KZ"
        ])
        .unwrap(),
        0
    );
}

#[test]
fn acknowledged_appends_survive_kill_9() {
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("log");
    init(&log);
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["crash::child_appends_until_killed", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, &log)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut acked = 0u64;
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(n) = line.strip_prefix("acked ") {
            acked = n.trim().parse().unwrap();
            if acked >= 3000 {
                break;
            }
        }
    }
    child.kill().unwrap(); // SIGKILL on Unix: no destructors, no flush.
    child.wait().unwrap();
    assert!(acked >= 3000, "the child acknowledged only {acked} appends");

    // Reopen as the issuer would after the crash: every acknowledged entry is there, intact.
    let bytes = std::fs::read(log.join("entries.log")).unwrap();
    let records = decode_records(&bytes);
    assert!(
        records.leaf_hashes.len() as u64 >= acked,
        "{} records on disk, {acked} acknowledged",
        records.leaf_hashes.len()
    );
    for (i, range) in records.data_ranges.iter().enumerate().take(acked as usize) {
        assert_eq!(&bytes[range.clone()], entry(i as u64).as_slice(), "entry {i}");
    }
    // The log opens (cutting any torn tail) and accepts a checkpoint.
    assert_eq!(run(&["log", "checkpoint", "--dir", path(&log)]).unwrap(), 0);
}
