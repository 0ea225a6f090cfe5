//! Helpers the binary's process tests share: the `caravan admin` command and the example
//! exchange rates a KZ lodgement under the real schedule needs.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

/// Runs `caravan admin ARGS --data-dir DATA_DIR`, with `stdin` on its standard input, and returns
/// its standard output; fails the test when the command fails.
pub(crate) fn admin(data_dir: &Path, args: &[&str], stdin: Option<&str>) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_caravan"))
        .arg("admin")
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .env("CARAVAN_LOG", "off")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(text) = stdin {
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    }
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "caravan admin {args:?} failed");
    String::from_utf8(output.stdout).unwrap()
}

/// The sample's date and example rates for it, NOT the official rates of the National Bank of
/// Kazakhstan: the sample's customs value is in USD and the apples' ETT duty in EUR per kg, and
/// a lodgement under the real KZ schedule needs the day's rate of each.
pub(crate) const EXAMPLE_RATES: &str = r#"{"rates": [
  {"date": "2026-11-20", "from": "EUR", "to": "KZT", "rate": "545.00", "source": "example rate for tests, not the official one"},
  {"date": "2026-11-20", "from": "USD", "to": "KZT", "rate": "505.00", "source": "example rate for tests, not the official one"}]}"#;

/// A customs administrator of KZ, made through the CLI, logs in and enters [`EXAMPLE_RATES`].
pub(crate) fn enter_example_rates(base: &str, data_dir: &Path, password: &str) {
    let out = admin(
        data_dir,
        &[
            "create-org",
            "--name",
            "KZ Customs",
            "--kind",
            "customs_administration",
            "--country",
            "KZ",
        ],
        None,
    );
    let org_id = out.split_whitespace().nth(2).unwrap().to_owned();
    let args = [
        "create-user",
        "--username",
        "kz-rates",
        "--role",
        "admin",
        "--org",
        &org_id,
        "--password-stdin",
    ];
    admin(data_dir, &args, Some(&format!("{password}\n")));
    let login = ureq::post(&format!("{base}/api/v1/auth/login"))
        .timeout(Duration::from_secs(20))
        .send_json(json!({ "username": "kz-rates", "password": password }))
        .unwrap();
    let cookie = login.header("set-cookie").unwrap().split(';').next().unwrap().to_owned();
    let body: Value = login.into_json().unwrap();
    let rates: Value = serde_json::from_str(EXAMPLE_RATES).unwrap();
    let put = ureq::post(&format!("{base}/api/v1/tariff/rates"))
        .set("Cookie", &cookie)
        .set("X-CSRF-Token", body["csrf_token"].as_str().unwrap())
        .timeout(Duration::from_secs(20))
        .send_json(rates)
        .unwrap();
    assert_eq!(put.status(), 200);
}
