//! The binary end to end: first start prints the administrator's one-time password, the server
//! answers once ready, SIGTERM stops it cleanly, a restart keeps the data and makes no second
//! administrator, and `caravan audit verify` catches a tampered audit entry.

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly by design")]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

struct Server {
    child: Child,
    lines: std::sync::mpsc::Receiver<String>,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(data_dir: &Path) -> Server {
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_caravan"))
        .args(["serve", "--addr", &format!("127.0.0.1:{port}"), "--data-dir"])
        .arg(data_dir)
        .env("CARAVAN_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let base = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    while ureq::get(&format!("{base}/healthz")).call().is_err() {
        assert!(started.elapsed() < Duration::from_secs(60), "server did not become ready");
        std::thread::sleep(Duration::from_millis(50));
    }
    Server { child, lines, base }
}

fn stop_with_sigterm(mut server: Server) {
    let status =
        Command::new("kill").args(["-TERM", &server.child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let started = Instant::now();
    loop {
        if let Some(exit) = server.child.try_wait().unwrap() {
            assert!(exit.success(), "SIGTERM ends the server cleanly, got {exit}");
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "server ignored SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn audit_verify(data_dir: &Path) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_caravan"))
        .args(["audit", "verify", "--data-dir"])
        .arg(data_dir)
        .output()
        .unwrap();
    (output.status.success(), String::from_utf8_lossy(&output.stdout).into_owned())
}

#[test]
fn first_start_restart_sigterm_and_audit_verify() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    let lines: Vec<String> = server.lines.try_iter().collect();
    let password = lines
        .iter()
        .find_map(|l| l.trim().strip_prefix("password: "))
        .unwrap_or_else(|| panic!("first start prints the password: {lines:?}"))
        .to_owned();
    let login: serde_json::Value = ureq::post(&format!("{}/api/v1/auth/login", server.base))
        .send_json(serde_json::json!({"username": "admin", "password": password}))
        .unwrap()
        .into_json()
        .unwrap();
    assert_eq!(login["user"]["role"], "admin");
    stop_with_sigterm(server);

    let server = start(dir.path());
    std::thread::sleep(Duration::from_millis(200));
    let lines: Vec<String> = server.lines.try_iter().collect();
    assert!(!lines.iter().any(|l| l.contains("password:")), "no second administrator: {lines:?}");
    let denied = ureq::get(&format!("{}/api/v1/me", server.base)).call();
    assert!(matches!(denied, Err(ureq::Error::Status(401, _))));
    stop_with_sigterm(server);

    let (ok, out) = audit_verify(dir.path());
    assert!(ok, "{out}");
    assert!(out.contains("audit chain intact"), "{out}");

    // Tamper with the second entry behind the application's back.
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
        let url = format!("sqlite://{}", dir.path().join("caravan.db").display());
        let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url).await.unwrap();
        sqlx::query("UPDATE audit_log SET target = 'user:999' WHERE seq = 2")
            .execute(&mut conn)
            .await
            .unwrap();
    });
    let (ok, out) = audit_verify(dir.path());
    assert!(!ok, "a tampered log fails");
    assert!(out.contains("BROKEN at entry 2"), "{out}");
}

#[test]
fn bad_flags_get_a_clear_error() {
    let output = Command::new(env!("CARGO_BIN_EXE_caravan"))
        .args(["serve", "--db", "mysql://nope", "--addr", "127.0.0.1:0"])
        .env("CARAVAN_LOG", "off")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--db must be a postgres:// or sqlite: URL"), "{stderr}");
}
