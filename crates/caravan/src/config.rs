//! Configuration: command-line flags, then `CARAVAN_*` environment variables, then an optional
//! TOML file, then defaults — the first that sets a value wins.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use caravan_store::Store;
use serde::Deserialize;

/// Keys of the optional TOML file (`--config caravan.toml`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileConfig {
    pub addr: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub db: Option<String>,
    pub log_format: Option<String>,
    pub secure_cookies: Option<bool>,
    pub operator_country: Option<String>,
    pub untp_schemas: Option<PathBuf>,
}

impl FileConfig {
    pub(crate) fn read(path: Option<&Path>) -> anyhow::Result<FileConfig> {
        let Some(path) = path else { return Ok(FileConfig::default()) };
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the config file {}", path.display()))?;
        toml::from_str(&text).with_context(|| {
            format!("{}: not a valid Caravan config (see README, Configuration)", path.display())
        })
    }
}

/// Default data folder: `./caravan-data` under the current directory.
pub(crate) fn default_data_dir() -> PathBuf {
    PathBuf::from("caravan-data")
}

/// Opens the store named by `db` (a `postgres://` or `sqlite:` URL), or the SQLite file in `data_dir`.
pub(crate) async fn open_store(
    db: Option<&str>,
    data_dir: &Path,
) -> anyhow::Result<Arc<dyn Store>> {
    match db {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            let store = caravan_store_pg::PgStore::connect(url)
                .await
                .with_context(|| format!("connecting to PostgreSQL at {} (is the server running and the database created?)", redact(url)))?;
            Ok(Arc::new(store))
        }
        Some(url) if url.starts_with("sqlite:") => {
            let store = caravan_store_sqlite::SqliteStore::open_url(url)
                .await
                .with_context(|| format!("opening {url}"))?;
            Ok(Arc::new(store))
        }
        Some(other) => anyhow::bail!("--db must be a postgres:// or sqlite: URL, got {other:?}"),
        None => {
            std::fs::create_dir_all(data_dir)
                .with_context(|| format!("creating the data folder {}", data_dir.display()))?;
            let path = data_dir.join("caravan.db");
            let store = caravan_store_sqlite::SqliteStore::open(&path)
                .await
                .with_context(|| format!("opening {}", path.display()))?;
            Ok(Arc::new(store))
        }
    }
}

/// A database URL without its password, for messages.
pub(crate) fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end && url[scheme_end..at].contains(':') => {
            let creds = &url[scheme_end + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}
