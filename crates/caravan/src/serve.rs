//! `caravan serve`: opens the store, loads the reference data, makes the first administrator on
//! an empty store, and serves until SIGTERM or Ctrl-C, finishing in-flight requests.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use caravan_server::ServerConfig;
use caravan_store::{Actor, Change, NewOrganisation, NewUser, OrgKind, Role, Store};
use caravan_types::CountryCode;
use clap::Args;
use time::OffsetDateTime;

use crate::config::{self, FileConfig};
use crate::output::println;

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "CARAVAN_ADDR")]
    addr: Option<String>,
    /// Folder for the embedded SQLite database [default: ./caravan-data].
    #[arg(long, env = "CARAVAN_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Database URL: postgres://user@host:5432/db for PostgreSQL; default is SQLite in --data-dir.
    #[arg(long, env = "CARAVAN_DB")]
    db: Option<String>,
    /// Optional TOML configuration file (keys: addr, data_dir, db, log_format, secure_cookies, operator_country, untp_schemas).
    #[arg(long, env = "CARAVAN_CONFIG")]
    config: Option<PathBuf>,
    /// Log format: human or json [default: human]. The filter is CARAVAN_LOG (e.g. "info,caravan_server=debug").
    #[arg(long, env = "CARAVAN_LOG_FORMAT")]
    log_format: Option<String>,
    /// Mark cookies Secure (when served over HTTPS through a proxy).
    #[arg(long, env = "CARAVAN_SECURE_COOKIES")]
    secure_cookies: Option<bool>,
    /// Country of the platform operator organisation made on first start [default: KZ].
    #[arg(long, env = "CARAVAN_OPERATOR_COUNTRY")]
    operator_country: Option<String>,
    /// A folder of UNTP JSON Schemas, named as UNTP publishes them (`untp-dpp-schema-0.6.1.json`,
    /// ...): `/verify` and the verify API check UNTP credentials against them. UNTP publishes
    /// them under GPL-3.0, so they are kept beside the server, not built into it.
    #[arg(long, env = "CARAVAN_UNTP_SCHEMAS")]
    untp_schemas: Option<PathBuf>,
}

pub(crate) fn init_tracing(format: &str) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_env("CARAVAN_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        "json" => builder.json().try_init(),
        "human" => builder.try_init(),
        other => anyhow::bail!("--log-format must be human or json, got {other:?}"),
    }
    .map_err(|e| anyhow::anyhow!("starting the logger: {e}"))
}

pub(crate) fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let file = FileConfig::read(args.config.as_deref())?;
    let addr = args.addr.or(file.addr).unwrap_or_else(|| "127.0.0.1:8080".to_owned());
    let data_dir = args.data_dir.or(file.data_dir).unwrap_or_else(config::default_data_dir);
    let db = args.db.or(file.db);
    let log_format = args.log_format.or(file.log_format).unwrap_or_else(|| "human".to_owned());
    let secure_cookies = args.secure_cookies.or(file.secure_cookies).unwrap_or(false);
    let operator_country =
        args.operator_country.or(file.operator_country).unwrap_or_else(|| "KZ".to_owned());
    let operator_country = CountryCode::parse(&operator_country)
        .ok()
        .filter(CountryCode::is_mechanism_member)
        .with_context(|| {
            format!(
                "--operator-country must be one of CN, KZ, KG, TJ, TM, UZ, got {operator_country:?}"
            )
        })?;
    init_tracing(&log_format)?;
    // Before anything is opened: a bad schema folder stops the start with the file named.
    let untp_schemas = match args.untp_schemas.or(file.untp_schemas) {
        Some(dir) => caravan_cmd_cert::read_untp_schemas(&dir).context("--untp-schemas")?,
        None => caravan_server::certs::UntpSchemas::default(),
    };
    if !untp_schemas.is_empty() {
        tracing::info!(schemas = ?untp_schemas.file_names(), "UNTP JSON Schemas loaded");
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        let started = Instant::now();
        let store = config::open_store(db.as_deref(), &data_dir).await?;
        let (refdata, load_time) = crate::refdata_files::load()?;
        tracing::info!(
            hs_entries = refdata.hs_entries().len(),
            search_terms = refdata.search.n_terms(),
            countries = refdata.countries.len(),
            millis = load_time.as_millis() as u64,
            "reference data loaded"
        );
        if let Some(password) = bootstrap_admin(store.as_ref(), operator_country).await? {
            println(&format!(
                "First start: created the administrator.\n  username: admin\n  password: {password}\nThis password is shown once. Log in at http://{addr}/login and keep it safe."
            ))?;
        }
        let config = ServerConfig { secure_cookies, data_dir: Some(data_dir.clone()) };
        let features = caravan_server::features()?.with(untp_schemas);
        let state = caravan_server::AppState::new(store.clone(), Arc::new(refdata), config, features)?;
        let interrupted = caravan_server::land::recover(&state).await?;
        if interrupted > 0 {
            tracing::warn!(jobs = interrupted, "land jobs interrupted by the restart were marked failed");
        }
        let listener = tokio::net::TcpListener::bind(&addr)
            .await
            .with_context(|| format!("listening on {addr} (is another server using it? choose another with --addr)"))?;
        let local = listener.local_addr()?;
        tracing::info!(store = store.backend(), ready_millis = started.elapsed().as_millis() as u64, "Caravan is ready at http://{local}/");
        println(&format!("Caravan is serving at http://{local}/ (store: {}). Stop with Ctrl-C.", store.backend()))?;
        caravan_server::serve(listener, state, shutdown_signal()).await.context("serving HTTP")?;
        tracing::info!("stopped after finishing in-flight requests");
        Ok(ExitCode::SUCCESS)
    })
}

/// Resolves on SIGTERM or SIGINT.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested; finishing in-flight requests");
}

/// On an empty store, creates the platform operator organisation and an `admin` user with a
/// one-time password, which it returns to be printed once.
pub(crate) async fn bootstrap_admin(
    store: &dyn Store,
    country: CountryCode,
) -> anyhow::Result<Option<String>> {
    if store.count_users().await? > 0 {
        return Ok(None);
    }
    let change = Change { actor: Actor::system("bootstrap"), at: OffsetDateTime::now_utc() };
    let org = store
        .create_organisation(
            &change,
            &NewOrganisation {
                name: "Caravan platform operator".to_owned(),
                kind: OrgKind::PlatformOperator,
                country,
            },
        )
        .await?;
    let password = caravan_server::auth::random_password();
    let password_hash = caravan_server::auth::hash_password(&password)?;
    store
        .create_user(
            &change,
            &NewUser {
                username: "admin".to_owned(),
                display_name: "Administrator".to_owned(),
                org_id: org.id,
                role: Role::Admin,
                password_hash,
            },
        )
        .await?;
    Ok(Some(password))
}
