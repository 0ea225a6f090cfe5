//! Land degradation service: uploads, background SDG 15.3.1 jobs equal to the CLI's, denials.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, header};
use caravan_server::ServerConfig;
use caravan_store::{Actor, Change, NewOrganisation, NewUser, OrgKind, Role};
use caravan_types::CountryCode;

use crate::support::{Multipart, TestApp, error_code, fixed_now, json_of, password_hash};

struct Land {
    app: TestApp,
    dir: tempfile::TempDir,
}

async fn setup() -> Land {
    let mut app = TestApp::new().await;
    let dir = tempfile::tempdir().unwrap();
    app.state.config =
        Arc::new(ServerConfig { secure_cookies: false, data_dir: Some(dir.path().to_path_buf()) });
    let store = &app.state.store;
    let change = Change { actor: Actor::system("test"), at: fixed_now() };
    let centre = store
        .create_organisation(
            &change,
            &NewOrganisation {
                name: "Desertification centre".into(),
                kind: OrgKind::DesertificationControlCenter,
                country: CountryCode::parse("UZ").unwrap(),
            },
        )
        .await
        .unwrap()
        .id;
    for (username, org_id) in [
        ("kz-analyst", app.ids.kz_customs),
        ("cn-analyst", app.ids.cn_customs),
        ("centre-analyst", centre),
    ] {
        let user = NewUser {
            username: username.into(),
            display_name: username.into(),
            org_id,
            role: Role::Analyst,
            password_hash: password_hash(),
        };
        store.create_user(&change, &user).await.unwrap();
    }
    Land { app, dir }
}

async fn upload(
    app: &TestApp,
    token: &str,
    name: &str,
    bytes: Vec<u8>,
) -> (u16, serde_json::Value) {
    let req = Request::post(format!("/api/v1/land/rasters?name={name}"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "image/tiff")
        .body(Body::from(bytes))
        .unwrap();
    json_of(app.send(req).await).await
}

async fn download(app: &TestApp, token: &str, path: &str) -> (u16, Vec<u8>) {
    let req = Request::get(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let res = app.send(req).await;
    let status = res.status().as_u16();
    let bytes = http_body_util::BodyExt::collect(res.into_body()).await.unwrap().to_bytes();
    (status, bytes.to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_runs_in_background_and_matches_the_cli() {
    let Land { app, dir } = setup().await;
    let token = app.token("kz-analyst").await;
    let scene_dir = tempfile::tempdir().unwrap();
    let files = caravan_cmd_land::write_scene_files(scene_dir.path(), 24, 8, 7).unwrap();
    let mut ids = Vec::new();
    for (path, name) in files.iter().zip(["ndvi.tif", "lc.tif", "soc.tif", "zones.tif"]) {
        let (status, body) = upload(&app, &token, name, std::fs::read(path).unwrap()).await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["name"], name);
        ids.push(body["id"].as_i64().unwrap());
    }
    let (_, ndvi) = app.get("/api/v1/land/rasters", Some(&token)).await;
    assert_eq!(ndvi.as_array().unwrap().len(), 4);
    assert_eq!(ndvi[0]["bands"], 8);
    assert_eq!(ndvi[0]["width"], 24);

    let req = serde_json::json!({
        "ndvi": [ids[0]], "ndvi_years": "2000-2007", "land_cover": [ids[1]],
        "soc": [ids[2]], "zones": [ids[3]], "profile": "gpg2", "water": "final",
    });
    let (status, job) = app.post_json("/api/v1/land/jobs", Some(&token), &req.to_string()).await;
    assert_eq!(status, 202, "{job}");
    assert_eq!(job["status"], "running");
    let id = job["id"].as_i64().unwrap();
    let mut job = job;
    for _ in 0..600 {
        let (_, now) = app.get(&format!("/api/v1/land/jobs/{id}"), Some(&token)).await;
        job = now;
        if job["status"] != "running" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["progress_pct"], 100);

    // The same inputs through the CLI's pipeline give the same bytes.
    let cli_out = tempfile::tempdir().unwrap();
    let args = caravan_cmd_land::Sdg15Args {
        ndvi: vec![files[0].clone()],
        ndvi_years: "2000-2007".into(),
        land_cover: vec![files[1].clone()],
        soc: vec![files[2].clone()],
        zones: vec![files[3].clone()],
        regions: None,
        baseline: None,
        recent: None,
        profile: "gpg2".into(),
        land_cover_legend: "unccd".into(),
        transition_matrix: None,
        water: "final".into(),
        out: cli_out.path().to_path_buf(),
        block_rows: 64,
    };
    caravan_cmd_land::run_sdg15(args, &|_, _| {}).unwrap();
    // The job's water rule reached the pipeline (issue 23).
    let (status, run) =
        download(&app, &token, &format!("/api/v1/land/jobs/{id}/files/run.json")).await;
    assert_eq!(status, 200);
    let run: serde_json::Value = serde_json::from_slice(&run).unwrap();
    assert!(run["water"].as_str().unwrap().starts_with("final"), "{run}");
    for name in ["area_by_region.csv", "sdg_15_3_1.tif", "productivity.tif", "sdg_15_3_1.png"] {
        let (status, served) =
            download(&app, &token, &format!("/api/v1/land/jobs/{id}/files/{name}")).await;
        assert_eq!(status, 200, "{name}");
        assert_eq!(served, std::fs::read(cli_out.path().join(name)).unwrap(), "{name} differs");
    }
    // The job page shows the map, the per-region table and every download, in Russian too.
    let page_req = Request::get(format!("/land/jobs/{id}"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::ACCEPT_LANGUAGE, "ru")
        .body(Body::empty())
        .unwrap();
    let html = crate::support::body_text(app.send(page_req).await).await;
    assert!(html.contains("id=\"area-by-region\""), "{html}");
    assert!(html.contains(&format!("/api/v1/land/jobs/{id}/files/sdg_15_3_1.png")), "{html}");
    assert!(
        html.contains("lc_transition_area_km2.csv") && html.contains("Площади по районам"),
        "{html}"
    );
    let csv = std::fs::read_to_string(cli_out.path().join("area_by_region.csv")).unwrap();
    let first_row = csv.lines().nth(1).unwrap().split(',').next().unwrap().to_owned();
    assert!(html.contains(&format!("<td>{first_row}</td>")), "{html}");
    let (status, _) = download(&app, &token, &format!("/api/v1/land/jobs/{id}/files/..%2Fx")).await;
    assert_eq!(status, 404);

    // The desertification centre reads it; another organisation, a trader, a revoked token do not.
    let centre = app.token("centre-analyst").await;
    assert_eq!(app.get(&format!("/api/v1/land/jobs/{id}"), Some(&centre)).await.0, 200);
    let cn = app.token("cn-analyst").await;
    let (status, body) = app.get(&format!("/api/v1/land/jobs/{id}"), Some(&cn)).await;
    assert_eq!((status, error_code(&body)), (403, "auth.forbidden"));
    assert!(app.get("/api/v1/land/rasters", Some(&cn)).await.1.as_array().unwrap().is_empty());
    let (status, body) = app.post_json("/api/v1/land/jobs", Some(&cn), &req.to_string()).await;
    assert_eq!((status, error_code(&body)), (422, "land.unknown_raster"), "{body}");
    let trader = app.token("trader-a").await;
    assert_eq!(app.get(&format!("/api/v1/land/jobs/{id}"), Some(&trader)).await.0, 403);
    assert_eq!(upload(&app, &trader, "x.tif", vec![1, 2, 3]).await.0, 403);
    let (status, _) = download(&app, &trader, "/land").await;
    assert_eq!(status, 403);
    let (status, page) = download(&app, &cn, &format!("/land/jobs/{id}")).await;
    assert_eq!(status, 403, "{}", String::from_utf8_lossy(&page));
    let user = app.state.store.user_by_username("kz-analyst").await.unwrap().unwrap();
    let tokens = app.state.store.api_tokens(user.id).await.unwrap();
    let change = Change { actor: Actor::system("test"), at: fixed_now() };
    app.state.store.revoke_api_token(&change, tokens[0].id).await.unwrap();
    assert_eq!(app.get(&format!("/api/v1/land/jobs/{id}"), Some(&token)).await.0, 401);

    let audit = app.state.store.audit_entries(0, 1000).await.unwrap();
    assert_eq!(audit.iter().filter(|a| a.action == "land.raster.create").count(), 4);
    assert!(audit.iter().any(|a| a.action == "land.job.finish"));
    drop(dir);
}

#[tokio::test]
async fn bad_rasters_are_rejected_naming_the_file() {
    let Land { app, dir } = setup().await;
    let token = app.token("kz-analyst").await;
    let (status, body) = upload(&app, &token, "broken.tif", b"not a tiff at all".to_vec()).await;
    assert_eq!((status, error_code(&body)), (422, "land.bad_raster"), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("broken.tif"), "{body}");
    let (status, body) = upload(&app, &token, "empty.tif", Vec::new()).await;
    assert_eq!((status, error_code(&body)), (422, "land.bad_raster"), "{body}");
    // Nothing was kept of the rejected uploads.
    let kept = std::fs::read_dir(dir.path().join("land/rasters")).unwrap().count();
    assert_eq!(kept, 0);

    // Registering: only files inside the import folder.
    std::fs::create_dir_all(dir.path().join("land/import")).unwrap();
    std::fs::write(dir.path().join("secret.tif"), b"x").unwrap();
    let (status, body) = app
        .post_json("/api/v1/land/rasters/register", Some(&token), r#"{"path": "../../secret.tif"}"#)
        .await;
    assert_eq!((status, error_code(&body)), (422, "land.bad_path"), "{body}");
    let scene =
        caravan_cmd_land::write_scene_files(&dir.path().join("land/import"), 8, 6, 1).unwrap();
    let name = scene[0].file_name().unwrap().to_str().unwrap();
    let (status, body) = app
        .post_json(
            "/api/v1/land/rasters/register",
            Some(&token),
            &format!(r#"{{"path": "{name}"}}"#),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["bands"], 6);

    // Bad parameters name the field.
    let (status, body) = app
        .post_json(
            "/api/v1/land/jobs",
            Some(&token),
            r#"{"ndvi": [], "ndvi_years": "2000-2005", "land_cover": [1], "soc": [1], "zones": [1], "profile": "gpg9"}"#,
        )
        .await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("profile")), "{body}");
    let (status, body) = app
        .post_json(
            "/api/v1/land/jobs",
            Some(&token),
            r#"{"ndvi": [], "ndvi_years": "2000-2005", "land_cover": [1], "soc": [1], "zones": [1], "water": "lakes"}"#,
        )
        .await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("water")), "{body}");
}

#[tokio::test]
async fn a_restart_fails_interrupted_jobs() {
    let Land { app, dir: _dir } = setup().await;
    let change = Change { actor: Actor::system("test"), at: fixed_now() };
    let job = app
        .state
        .store
        .create_land_job(&change, app.ids.kz_customs, &serde_json::json!({}), "land/jobs/x")
        .await
        .unwrap();
    assert_eq!(caravan_server::land::recover(&app.state).await.unwrap(), 1);
    let token = app.token("kz-analyst").await;
    let (_, body) = app.get(&format!("/api/v1/land/jobs/{}", job.id), Some(&token)).await;
    assert_eq!(body["status"], "failed");
    assert!(body["message"].as_str().unwrap().contains("start it again"), "{body}");
}

#[tokio::test]
async fn the_job_form_explains_mistakes_and_starts_jobs() {
    let Land { app, dir } = setup().await;
    let token = app.token("kz-analyst").await;
    let files = caravan_cmd_land::write_scene_files(dir.path(), 8, 6, 3).unwrap();
    let mut ids = Vec::new();
    for (path, name) in files.iter().zip(["ndvi.tif", "lc.tif", "soc.tif", "zones.tif"]) {
        let (status, body) = upload(&app, &token, name, std::fs::read(path).unwrap()).await;
        assert_eq!(status, 201, "{body}");
        ids.push(body["id"].as_i64().unwrap());
    }
    let form = |years: &str| {
        format!(
            "csrf_token=x&ndvi={}&ndvi_years={years}&land_cover={}&soc={}&zones={}&baseline=&recent=&profile=gpg2",
            ids[0], ids[1], ids[2], ids[3]
        )
    };
    let post = |body: String| {
        Request::post("/land/jobs")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap()
    };
    // The home page offers the rasters in the job form, each input labelled.
    let (status, home) = download(&app, &token, "/land").await;
    let home = String::from_utf8(home).unwrap();
    assert_eq!(status, 200);
    assert!(home.contains("for=\"job-ndvi\"") && home.contains("ndvi.tif (#"), "{home}");

    let res = app.send(post(form("2000"))).await;
    assert_eq!(res.status().as_u16(), 422);
    let html = crate::support::body_text(res).await;
    assert!(html.contains("ndvi_years must look like 2000-2015"), "{html}");

    let res = app.send(post(form("2000-2005"))).await;
    assert_eq!(res.status().as_u16(), 303);
    let location = res.headers()[header::LOCATION].to_str().unwrap().to_owned();
    assert!(location.starts_with("/land/jobs/"), "{location}");
    let id: i64 = location.trim_start_matches("/land/jobs/").parse().unwrap();
    for _ in 0..600 {
        if app.state.store.land_job(id).await.unwrap().unwrap().status
            != caravan_store::JobStatus::Running
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let job = app.state.store.land_job(id).await.unwrap().unwrap();
    assert_eq!(job.status, caravan_store::JobStatus::Succeeded, "{:?}", job.message);
}

/// A browser's multipart form: `parts` in order, files with their file names.
fn multipart_request(cookie: &str, parts: &[(&str, Option<&str>, &[u8])]) -> Request<Body> {
    let mut form = Multipart::new();
    for (name, filename, content) in parts {
        form = match filename {
            Some(f) => form.file(name, f, "image/tiff", content),
            None => form.field(name, std::str::from_utf8(content).expect("a text field")),
        };
    }
    form.post("/land/rasters/upload", cookie)
}

#[tokio::test]
async fn the_page_uploads_a_geotiff_from_the_browser() {
    let Land { app, dir } = setup().await;
    let (session, csrf) = crate::ui::login(&app, "kz-analyst").await;
    let cookie = format!("caravan_session={session}");
    let files = caravan_cmd_land::write_scene_files(dir.path(), 8, 6, 5).unwrap();
    let tiff = std::fs::read(&files[0]).unwrap();

    let (status, home) = {
        let req =
            Request::get("/land").header(header::COOKIE, &cookie).body(Body::empty()).unwrap();
        let res = app.send(req).await;
        (res.status().as_u16(), crate::support::body_text(res).await)
    };
    assert_eq!(status, 200);
    assert!(
        home.contains(r#"enctype="multipart/form-data""#) && home.contains(r#"for="up-file""#),
        "{home}"
    );

    // Without the token first, nothing is stored.
    let res = app.send(multipart_request(&cookie, &[("file", Some("ndvi.tif"), &tiff)])).await;
    assert_eq!(res.status().as_u16(), 403);
    let token = app.token("kz-analyst").await;
    let (_, listed) = download(&app, &token, "/api/v1/land/rasters").await;
    let listed: serde_json::Value = serde_json::from_slice(&listed).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 0, "{listed}");

    // Not a GeoTIFF: the page says so and keeps nothing.
    let res = app
        .send(multipart_request(
            &cookie,
            &[("csrf_token", None, csrf.as_bytes()), ("file", Some("notes.tif"), b"hello")],
        ))
        .await;
    assert_eq!(res.status().as_u16(), 422);
    let html = crate::support::body_text(res).await;
    assert!(html.contains("notes.tif"), "{html}");
    let stored = std::fs::read_dir(dir.path().join("land/rasters")).unwrap().count();
    assert_eq!(stored, 0, "a refused upload leaves no file");

    let res = app
        .send(multipart_request(
            &cookie,
            &[("csrf_token", None, csrf.as_bytes()), ("file", Some("C:\\maps\\ndvi.tif"), &tiff)],
        ))
        .await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(res.headers()[header::LOCATION], "/land");
    let (_, listed) = download(&app, &token, "/api/v1/land/rasters").await;
    let listed: serde_json::Value = serde_json::from_slice(&listed).unwrap();
    let raster = &listed.as_array().unwrap()[0];
    assert_eq!(raster["name"], "ndvi.tif", "the folder of the browser's path is dropped");
    assert_eq!(raster["bands"], 6);
    let stored: Vec<_> = std::fs::read_dir(dir.path().join("land/rasters")).unwrap().collect();
    assert_eq!(stored.len(), 1);
    let on_disk = std::fs::read(stored[0].as_ref().unwrap().path()).unwrap();
    assert_eq!(on_disk, tiff, "the stored file is the uploaded one, byte for byte");
}

/// Issue 22, finding 10: registering by path tells nothing about files outside the import
/// folder, and a symbolic link — planted before registering, or swapped in after — is refused.
#[cfg(unix)]
#[tokio::test]
async fn registering_by_path_neither_probes_outside_nor_follows_links() {
    let Land { app, dir } = setup().await;
    let token = app.token("kz-analyst").await;
    let import = dir.path().join("land/import");
    std::fs::create_dir_all(&import).unwrap();
    std::fs::write(dir.path().join("exists.tif"), b"x").unwrap();
    let mut messages = Vec::new();
    for path in ["../../exists.tif", "../../missing.tif", "/etc/passwd", "nothing.tif"] {
        let body = serde_json::json!({ "path": path }).to_string();
        let (status, answer) =
            app.post_json("/api/v1/land/rasters/register", Some(&token), &body).await;
        assert_eq!((status, error_code(&answer)), (422, "land.bad_path"), "{answer}");
        messages.push(answer["error"]["message"].as_str().unwrap().replace(path, "PATH"));
    }
    assert!(messages.windows(2).all(|w| w[0] == w[1]), "one answer for all: {messages:?}");
    // A link inside the folder pointing at a real GeoTIFF outside it is refused.
    let outside = caravan_cmd_land::write_scene_files(dir.path(), 8, 6, 1).unwrap();
    std::os::unix::fs::symlink(&outside[0], import.join("link.tif")).unwrap();
    let (status, answer) = app
        .post_json("/api/v1/land/rasters/register", Some(&token), r#"{"path": "link.tif"}"#)
        .await;
    assert_eq!((status, error_code(&answer)), (422, "land.bad_path"), "{answer}");
    // A registered file later replaced by a link is refused when a job would read it.
    let scene = caravan_cmd_land::write_scene_files(&import, 8, 6, 1).unwrap();
    let name = scene[0].file_name().unwrap().to_str().unwrap().to_owned();
    let body = serde_json::json!({ "path": name }).to_string();
    let (status, raster) =
        app.post_json("/api/v1/land/rasters/register", Some(&token), &body).await;
    assert_eq!(status, 201, "{raster}");
    let id = raster["id"].as_i64().unwrap();
    std::fs::remove_file(&scene[0]).unwrap();
    std::os::unix::fs::symlink(&outside[0], &scene[0]).unwrap();
    let job = serde_json::json!({"ndvi": [id], "ndvi_years": "2000-2005", "land_cover": [id],
                                 "soc": [id], "zones": [id]})
    .to_string();
    let (status, answer) = app.post_json("/api/v1/land/jobs", Some(&token), &job).await;
    assert_eq!((status, error_code(&answer)), (422, "land.raster_missing"), "{answer}");
}
