//! Issue 5's durability requirement, end to end on the real binary: lodge concurrently over
//! HTTP, SIGKILL the server mid-stream, restart on the same data folder, and check that every
//! acknowledged reference is there with its assessment and that nothing half-written is visible.

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly by design")]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const SAMPLE: &str = include_str!("../../../data/customs/samples/import-apples-cn-kz.json");
const PASSWORD: &str = "durability-test-password-1";

mod common;
use common::{admin, enter_example_rates};

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(data_dir: &Path) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_caravan"))
        .args(["serve", "--addr", &format!("127.0.0.1:{port}"), "--data-dir"])
        .arg(data_dir)
        .env("CARAVAN_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || for _ in BufReader::new(stdout).lines().map_while(Result::ok) {});
    let base = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    while ureq::get(&format!("{base}/healthz")).call().is_err() {
        assert!(started.elapsed() < Duration::from_secs(60), "server did not become ready");
        std::thread::sleep(Duration::from_millis(50));
    }
    Server { child, base }
}

/// A trader in KZ with an API token, made through the CLI and the API.
fn trader_token(server: &Server, data_dir: &Path) -> String {
    let out = admin(
        data_dir,
        &["create-org", "--name", "Durable Trade", "--kind", "trading_company", "--country", "KZ"],
        None,
    );
    let org_id = out.split_whitespace().nth(2).unwrap().to_owned();
    admin(
        data_dir,
        &[
            "create-user",
            "--username",
            "durable",
            "--role",
            "trader",
            "--org",
            &org_id,
            "--password-stdin",
        ],
        Some(&format!("{PASSWORD}\n")),
    );
    let login = ureq::post(&format!("{}/api/v1/auth/login", server.base))
        .send_json(json!({ "username": "durable", "password": PASSWORD }))
        .unwrap();
    let cookie = login.header("set-cookie").unwrap().split(';').next().unwrap().to_owned();
    let body: Value = login.into_json().unwrap();
    let created: Value = ureq::post(&format!("{}/api/v1/tokens", server.base))
        .set("Cookie", &cookie)
        .set("X-CSRF-Token", body["csrf_token"].as_str().unwrap())
        .send_json(json!({ "name": "durability" }))
        .unwrap()
        .into_json()
        .unwrap();
    created["secret"].as_str().unwrap().to_owned()
}

fn declaration(reference: &str) -> Value {
    let mut value: Value = serde_json::from_str(SAMPLE).unwrap();
    value["reference"] = json!(reference);
    json!({ "declaration": value })
}

#[test]
fn acknowledged_lodgements_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(dir.path());
    let token = trader_token(&server, dir.path());
    enter_example_rates(&server.base, dir.path(), PASSWORD);

    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..8)
        .map(|worker| {
            let (base, token) = (server.base.clone(), token.clone());
            let (acknowledged, stop) = (acknowledged.clone(), stop.clone());
            std::thread::spawn(move || {
                for idx in 0.. {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let reference = format!("KZ-DUR-{worker}-{idx}");
                    let answer = ureq::post(&format!("{base}/api/v1/declarations/lodge"))
                        .set("Authorization", &format!("Bearer {token}"))
                        .set("Idempotency-Key", &reference)
                        .timeout(Duration::from_secs(10))
                        .send_json(declaration(&reference));
                    match answer {
                        Ok(response) if response.status() == 201 => {
                            let body: Value = response.into_json().unwrap();
                            assert_eq!(body["reference"], json!(reference));
                            acknowledged.lock().unwrap().push(reference);
                        }
                        Ok(response) => panic!("unexpected status {}", response.status()),
                        Err(ureq::Error::Status(code, response)) => {
                            panic!("lodging refused {code}: {}", response.into_string().unwrap())
                        }
                        // The server died under us: stop.
                        Err(ureq::Error::Transport(_)) => return,
                    }
                }
            })
        })
        .collect();
    // Let lodging run, then kill the server without warning in the middle of it.
    let started = Instant::now();
    while acknowledged.lock().unwrap().len() < 200 && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(10));
    }
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.join().unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() >= 200, "lodged only {} before the kill", acknowledged.len());

    let server = start(dir.path());
    let get = |path: &str| -> Value {
        ureq::get(&format!("{}{path}", server.base))
            .set("Authorization", &format!("Bearer {token}"))
            .call()
            .unwrap()
            .into_json()
            .unwrap()
    };
    for reference in &acknowledged {
        let detail = get(&format!("/api/v1/declarations/{reference}"));
        assert_eq!(detail["reference"], json!(reference));
        assert_eq!(detail["assessments"].as_array().unwrap().len(), 1, "{reference} assessed");
        assert!(detail["channel"].is_string(), "{reference} has its channel");
    }
    // Everything visible is whole: no declaration without its assessment and three events.
    let listed = get("/api/v1/declarations?limit=500");
    let listed = listed.as_array().unwrap();
    assert!(listed.len() >= acknowledged.len().min(500));
    for record in listed {
        let detail =
            get(&format!("/api/v1/declarations/{}", record["reference"].as_str().unwrap()));
        assert_eq!(detail["status"], json!("under_control"), "{detail}");
        assert_eq!(detail["assessments"].as_array().unwrap().len(), 1);
        assert_eq!(detail["timeline"].as_array().unwrap().len(), 3);
    }
    drop(server);
    let verify = Command::new(env!("CARGO_BIN_EXE_caravan"))
        .args(["audit", "verify", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stdout));
}
