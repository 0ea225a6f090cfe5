//! `caravan admin …` and `caravan audit verify`: administration against the same store the
//! server uses (stop nothing: SQLite and PostgreSQL both allow a second writer).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use caravan_store::{Actor, Change, NewOrganisation, NewUser, OrgKind, Role};
use caravan_types::CountryCode;
use clap::{Args, Subcommand};
use time::OffsetDateTime;

use crate::config::{self, FileConfig};
use crate::output::println;

/// Where the store is: the same flags as `caravan serve`.
#[derive(Debug, Args)]
pub(crate) struct StoreArgs {
    /// Folder of the embedded SQLite database [default: ./caravan-data].
    #[arg(long, env = "CARAVAN_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Database URL (postgres://… or sqlite:…).
    #[arg(long, env = "CARAVAN_DB")]
    db: Option<String>,
    /// Optional TOML configuration file.
    #[arg(long, env = "CARAVAN_CONFIG")]
    config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum AdminCommand {
    /// Create an organisation; prints its id.
    CreateOrg {
        #[arg(long)]
        name: String,
        /// customs_administration, certifying_body, trading_company, customs_broker, plant_protection_service,
        /// poverty_reduction_center, education_exchange_center, desertification_control_center, platform_operator.
        #[arg(long)]
        kind: String,
        /// CN, KZ, KG, TJ, TM or UZ.
        #[arg(long)]
        country: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Create a user with a one-time password, printed once (or read from standard input with --password-stdin).
    CreateUser {
        #[arg(long)]
        username: String,
        /// trader, broker, certifier, customs_officer, analyst or admin.
        #[arg(long)]
        role: String,
        /// Organisation id (see `caravan admin list-orgs`).
        #[arg(long)]
        org: i64,
        #[arg(long)]
        display_name: Option<String>,
        /// Read the password from the first line of standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List organisations with their ids.
    ListOrgs {
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum AuditCommand {
    /// Check the hash chain of the audit log; exit 1 and name the first broken entry if it is broken.
    Verify {
        #[command(flatten)]
        store: StoreArgs,
    },
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

async fn open(args: &StoreArgs) -> anyhow::Result<std::sync::Arc<dyn caravan_store::Store>> {
    let file = FileConfig::read(args.config.as_deref())?;
    let data_dir = args.data_dir.clone().or(file.data_dir).unwrap_or_else(config::default_data_dir);
    let db = args.db.clone().or(file.db);
    config::open_store(db.as_deref(), &data_dir).await
}

fn cli_change() -> Change {
    let user = std::env::var("USER").unwrap_or_else(|_| "unknown".to_owned());
    Change { actor: Actor::system(&format!("cli:{user}")), at: OffsetDateTime::now_utc() }
}

pub(crate) fn run_admin(cmd: AdminCommand) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async move {
        match cmd {
            AdminCommand::CreateOrg { name, kind, country, store } => {
                let kind = OrgKind::parse(&kind).with_context(|| {
                    let all: Vec<_> = OrgKind::ALL.iter().map(|k| k.as_str()).collect();
                    format!("--kind must be one of {}, got {kind:?}", all.join(", "))
                })?;
                let country = CountryCode::parse(&country)
                    .ok()
                    .filter(CountryCode::is_mechanism_member)
                    .with_context(|| format!("--country must be one of CN, KZ, KG, TJ, TM, UZ, got {country:?}"))?;
                let name = name.trim().to_owned();
                anyhow::ensure!(!name.is_empty(), "--name must not be empty");
                let store = open(&store).await?;
                let org = store.create_organisation(&cli_change(), &NewOrganisation { name, kind, country }).await?;
                println(&format!("created organisation {} ({}, {}, {})", org.id, org.name, org.kind, org.country))?;
            }
            AdminCommand::CreateUser { username, role, org, display_name, password_stdin, store } => {
                caravan_server::api::validate_username(&username).map_err(|e| anyhow::anyhow!("--username: {}", e.message))?;
                let role = Role::parse(&role).with_context(|| {
                    let all: Vec<_> = Role::ALL.iter().map(|r| r.as_str()).collect();
                    format!("--role must be one of {}, got {role:?}", all.join(", "))
                })?;
                let (password, show) = if password_stdin {
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line).context("reading the password from standard input")?;
                    let password = line.trim_end_matches(['\r', '\n']).to_owned();
                    caravan_server::api::validate_password(&password).map_err(|e| anyhow::anyhow!("password: {}", e.message))?;
                    (password, false)
                } else {
                    (caravan_server::auth::random_password(), true)
                };
                let store = open(&store).await?;
                let password_hash = caravan_server::auth::hash_password(&password)?;
                let user = store
                    .create_user(
                        &cli_change(),
                        &NewUser { display_name: display_name.unwrap_or_else(|| username.clone()), username, org_id: org, role, password_hash },
                    )
                    .await
                    .with_context(|| format!("creating the user in organisation {org} (list them with `caravan admin list-orgs`)"))?;
                println(&format!("created user {} ({}) in organisation {}", user.username, user.role, user.org_id))?;
                if show {
                    println(&format!("one-time password: {password}"))?;
                }
            }
            AdminCommand::ListOrgs { store } => {
                let store = open(&store).await?;
                for org in store.organisations().await? {
                    println(&format!("{}\t{}\t{}\t{}", org.id, org.country, org.kind, org.name))?;
                }
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}

pub(crate) fn run_audit(cmd: AuditCommand) -> anyhow::Result<ExitCode> {
    let AuditCommand::Verify { store } = cmd;
    runtime()?.block_on(async move {
        let store = open(&store).await?;
        let entries = caravan_server::all_audit_entries(store.as_ref()).await?;
        match caravan_store::verify_audit_chain(&entries) {
            Ok(()) => {
                let head = entries.last().map_or("-", |e| e.hash.as_str());
                println(&format!("audit chain intact: {} entries, head {head}", entries.len()))?;
                Ok(ExitCode::SUCCESS)
            }
            Err(broken) => {
                println(&format!("audit chain BROKEN at entry {}: {}", broken.seq, broken.reason))?;
                Ok(ExitCode::from(1))
            }
        }
    })
}
