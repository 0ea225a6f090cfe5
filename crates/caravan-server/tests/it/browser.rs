//! End-to-end: the real UI in headless Chromium through ChromeDriver (W3C WebDriver):
//! log in, switch language, search HS, see a result, log out; and a scholarship applicant's
//! study page, PDF upload (a real browser's multipart form) and submission.
//!
//! Needs Debian's `chromium` and `chromium-driver`; `.ci/run` installs them. Without them the
//! test says it was skipped, unless `CARAVAN_REQUIRE_BROWSER=1` (set in CI) makes it fail.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{PASSWORD, TestApp};

const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

struct Driver {
    child: Child,
    base: String,
    session: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = ureq::delete(&format!("{}/session/{}", self.base, self.session)).call();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Driver {
    fn start() -> Option<Driver> {
        let chromedriver = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists());
        let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists());
        let (Some(chromedriver), Some(chromium)) = (chromedriver, chromium) else {
            assert!(
                std::env::var("CARAVAN_REQUIRE_BROWSER").is_err(),
                "CARAVAN_REQUIRE_BROWSER is set but chromium/chromedriver are missing"
            );
            eprintln!(
                "skipped: the browser test needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)"
            );
            return None;
        };
        let port = free_port();
        let child = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while ureq::get(&format!("{base}/status")).call().is_err() {
            assert!(started.elapsed() < Duration::from_secs(20), "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        let profile = tempfile::tempdir().unwrap().keep();
        let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": chromium,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-dev-shm-usage", format!("--user-data-dir={}", profile.display())]
        }}}});
        let response: Value =
            ureq::post(&format!("{base}/session")).send_json(caps).unwrap().into_json().unwrap();
        let session = response["value"]["sessionId"].as_str().unwrap().to_owned();
        Some(Driver { child, base, session })
    }

    fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let request = ureq::request(method, &url);
        let response = match body {
            Some(body) => request.send_json(body),
            None => request.call(),
        };
        match response {
            Ok(r) => r.into_json::<Value>().unwrap()["value"].clone(),
            Err(ureq::Error::Status(code, r)) => {
                panic!("webdriver {method} {path}: {code} {}", r.into_string().unwrap_or_default())
            }
            Err(e) => panic!("webdriver {method} {path}: {e}"),
        }
    }

    fn goto(&self, url: &str) {
        self.cmd("POST", "/url", Some(json!({"url": url})));
    }

    /// Finds an element, waiting up to fifteen seconds (a loaded CI machine starts Chromium slowly).
    fn find(&self, css: &str) -> String {
        let started = Instant::now();
        loop {
            let url = format!("{}/session/{}/element", self.base, self.session);
            if let Ok(r) =
                ureq::post(&url).send_json(json!({"using": "css selector", "value": css}))
            {
                return r.into_json::<Value>().unwrap()["value"][ELEMENT_KEY]
                    .as_str()
                    .unwrap()
                    .to_owned();
            }
            assert!(started.elapsed() < Duration::from_secs(15), "no element {css}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn type_into(&self, css: &str, text: &str) {
        let id = self.find(css);
        self.cmd("POST", &format!("/element/{id}/value"), Some(json!({"text": text})));
    }

    fn click(&self, css: &str) {
        let id = self.find(css);
        self.cmd("POST", &format!("/element/{id}/click"), Some(json!({})));
    }

    /// The element's text, or why it could not be read while a navigation completes: the page
    /// replaced the element ("stale element reference", 404) or ChromeDriver lost the page's
    /// script context mid-navigation (500, "unknown error"). Callers retry those.
    fn text(&self, css: &str) -> Result<String, String> {
        let id = self.find(css);
        let url = format!("{}/session/{}/element/{id}/text", self.base, self.session);
        match ureq::get(&url).call() {
            Ok(r) => Ok(r.into_json::<Value>().unwrap()["value"].as_str().unwrap().to_owned()),
            Err(ureq::Error::Status(status @ (404 | 500), r)) => {
                Err(format!("{status} {}", r.into_string().unwrap_or_default()))
            }
            Err(e) => panic!("webdriver GET text of {css}: {e}"),
        }
    }

    fn wait_for_text(&self, css: &str, needle: &str) {
        let started = Instant::now();
        loop {
            let text = self.text(css);
            if text.as_ref().is_ok_and(|text| text.contains(needle)) {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "{css} never showed {needle:?}; last read: {text:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_in_switch_language_search_and_log_out_in_chromium() {
    let app = TestApp::new().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(caravan_server::serve(listener, app.state.clone(), async move {
        let _ = stopped.await;
    }));
    let base = format!("http://{addr}");
    tokio::task::spawn_blocking(move || {
        let Some(driver) = Driver::start() else { return };
        driver.goto(&format!("{base}/login"));
        driver.type_into("#username", "trader-a");
        driver.type_into("#password", PASSWORD);
        driver.click("form.card button[type=submit]");
        driver.wait_for_text("#current-user", "trader-a");

        driver.click("a[hreflang=ru]");
        driver.wait_for_text("h1", "Добро пожаловать");

        driver.goto(&format!("{base}/hs"));
        driver.type_into("#q", "медные катоды");
        driver.click("form.search button[type=submit]");
        driver.wait_for_text("#results", "7403");

        driver.click("form.logout button[type=submit]");
        driver.wait_for_text("h1", "Войти");
        driver.goto(&format!("{base}/tokens"));
        driver.wait_for_text("h1", "Войти");
    })
    .await
    .unwrap();
    let _ = stop.send(());
    server.await.unwrap().unwrap();
}

/// An applicant in Chromium: the study page, the saved choices, a PDF through the multipart
/// upload (the browser puts the hidden CSRF input first, as the guard needs), then submit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn applicant_uploads_a_pdf_and_submits_in_chromium() {
    use caravan_store::scholarship::{ApplicationBody, CallStatus, PersonalPage, sample_spec};
    use caravan_store::{Actor, Change, NewOrganisation, NewUser, OrgKind, Role};
    use caravan_types::CountryCode;

    let app = TestApp::new().await;
    let store = &app.state.store;
    let change = Change { actor: Actor::system("test"), at: crate::support::fixed_now() };
    let org = |name: &str, kind, country: &str| NewOrganisation {
        name: name.to_owned(),
        kind,
        country: CountryCode::parse(country).unwrap(),
    };
    let center = store
        .create_organisation(
            &change,
            &org("Exchange Center", OrgKind::EducationExchangeCenter, "CN"),
        )
        .await
        .unwrap();
    let university =
        store.create_organisation(&change, &org("KazNU", OrgKind::University, "KZ")).await.unwrap();
    let applicant = NewUser {
        username: "applicant-kz".to_owned(),
        display_name: "Aigerim".to_owned(),
        org_id: university.id,
        role: Role::Applicant,
        password_hash: crate::support::password_hash(),
    };
    let applicant = store.create_user(&change, &applicant).await.unwrap();
    let spec = sample_spec(crate::support::fixed_now() + time::Duration::days(10));
    let call = store.create_call(&change, center.id, &spec).await.unwrap();
    store.set_call_status(&change, call.id, CallStatus::Published).await.unwrap();
    let application =
        store.create_application(&change, call.id, applicant.id, university.country).await.unwrap();
    let body = ApplicationBody {
        personal: Some(PersonalPage {
            full_name: "Aigerim Sultanova".to_owned(),
            email: "aigerim@mail.example".to_owned(),
            date_of_birth: "2001-04-05".to_owned(),
            level: "master".to_owned(),
        }),
        study: None,
        choices: vec![1],
    };
    store.save_application(&change, application.id, &body, "personal").await.unwrap();
    let folder = tempfile::tempdir().unwrap();
    let pdf_path = folder.path().join("transcript.pdf");
    std::fs::write(&pdf_path, b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n").unwrap();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(caravan_server::serve(listener, app.state.clone(), async move {
        let _ = stopped.await;
    }));
    let base = format!("http://{addr}");
    let id = application.id;
    let ran = tokio::task::spawn_blocking(move || {
        let Some(driver) = Driver::start() else { return false };
        driver.goto(&format!("{base}/login"));
        driver.type_into("#username", "applicant-kz");
        driver.type_into("#password", PASSWORD);
        driver.click("form.card button[type=submit]");
        driver.wait_for_text("#current-user", "applicant-kz");

        driver.goto(&format!("{base}/scholarships/applications/{id}/pages/study"));
        driver.type_into("#institution", "KazNU");
        driver.type_into("#degree", "BSc");
        driver.type_into("#field", "Hydrology");
        driver.type_into("#graduation_year", "2024");
        driver.click("form[action$='/pages/study'] button[type=submit]");
        driver.wait_for_text("h1", "Ranked choices");
        driver.click("form[action$='/pages/choices'] button[type=submit]");
        driver.wait_for_text("#missing", "transcript");

        driver.type_into("#file-transcript", &pdf_path.display().to_string());
        driver.click("form.upload button[type=submit]");
        driver.wait_for_text("#documents", "transcript.pdf");
        driver.click("form[action$='/submit'] button[type=submit]");
        driver.wait_for_text("#application-status", "submitted");
        true
    })
    .await
    .unwrap();
    let _ = stop.send(());
    server.await.unwrap().unwrap();
    if ran {
        let stored = app.state.store.application(id).await.unwrap().unwrap();
        assert_eq!(stored.status.as_str(), "submitted");
        let docs = app.state.store.documents(id).await.unwrap();
        assert_eq!(docs.len(), 1);
    }
}
