//! The core of Caravan's web server, shared by every feature crate (`caravan-web-*`): the
//! state every handler reaches ([`AppState`], with each feature's own state in [`Features`]),
//! authentication and the authorization policy of the backbone ([`auth`]), the one error shape
//! ([`error`]), interface strings ([`i18n`]), the page layout and the page extractor ([`ui`]),
//! browser uploads ([`multipart`]), SVG charts ([`chart`]), the store-read cache ([`memo`]),
//! metrics ([`metrics`]) and the master key ([`seal`]).
//!
//! Architecture invariant: every handler that reads or writes someone's data takes a
//! [`auth::Caller`] and asks a policy function; reference data is public.

pub mod auth;
pub mod chart;
pub mod error;
pub mod i18n;
pub mod memo;
pub mod metrics;
pub mod multipart;
pub mod seal;
pub mod ui;

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::Arc;

use caravan_refdata::ReferenceData;
use caravan_store::{AuditEntry, Store, StoreResult};
use time::OffsetDateTime;
use utoipa::ToSchema;

/// Largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Settings of the HTTP server.
#[derive(Debug, Clone, Default)]
pub struct ServerConfig {
    /// Mark cookies `Secure` (set when served over HTTPS behind a proxy).
    pub secure_cookies: bool,
    /// The data folder, for files kept beside the database (uploads, job outputs, keys);
    /// `None` in tests that keep nothing on disk.
    pub data_dir: Option<std::path::PathBuf>,
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub refdata: Arc<ReferenceData>,
    pub config: Arc<ServerConfig>,
    pub metrics: Arc<metrics::Metrics>,
    pub login_limiter: Arc<auth::LoginLimiter>,
    /// The clock; tests pass a fixed one.
    pub clock: Arc<dyn Fn() -> OffsetDateTime + Send + Sync>,
    /// An argon2 hash of a random password, checked when a login names an unknown user.
    pub dummy_hash: Arc<String>,
    /// Each feature's own state (its caches, loaded data, background writers), installed by
    /// the binary's wiring (`caravan_server::features`) and read through the feature crate's
    /// accessor.
    pub features: Arc<Features>,
    /// The administration's key for random selection of declarations
    /// (`caravan_customs::selection_draw`), derived from the master key so that whoever holds
    /// the data folder can recompute every draw and no trader can.
    pub selection_key: Arc<[u8; 32]>,
}

/// The random-selection key: HMAC-SHA256(master key, "caravan risk selection v1"), a key of its
/// own for one purpose (NIST SP 800-108 style derivation), so the master key is never used twice.
fn selection_key(master: &[u8; 32]) -> [u8; 32] {
    use hmac::Mac as _;
    let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(master) else {
        unreachable!("HMAC takes keys of any length")
    };
    mac.update(b"caravan risk selection v1");
    mac.finalize().into_bytes().into()
}

impl AppState {
    /// State with the system clock and the features' state `features`.
    ///
    /// # Errors
    /// When argon2 fails to hash the dummy password (never with default parameters), or the
    /// master key cannot be read or created in the data folder.
    pub fn new(
        store: Arc<dyn Store>,
        refdata: Arc<ReferenceData>,
        config: ServerConfig,
        features: Features,
    ) -> anyhow::Result<AppState> {
        let master = seal::master_key(config.data_dir.as_deref())?;
        Ok(AppState {
            selection_key: Arc::new(selection_key(&master)),
            store,
            refdata,
            config: Arc::new(config),
            metrics: Arc::default(),
            login_limiter: Arc::default(),
            clock: Arc::new(OffsetDateTime::now_utc),
            dummy_hash: Arc::new(auth::hash_password(&auth::random_password())?),
            features: Arc::new(features),
        })
    }

    /// The state of the feature whose type is `T`.
    ///
    /// # Panics
    /// When `T` was not installed: a wiring defect of the binary, which every test of the
    /// feature's routes would show (`caravan_server::features` installs every feature's state).
    pub fn feature<T: Any + Send + Sync>(&self) -> &T {
        match self.features.get::<T>() {
            Some(value) => value,
            None => panic!("feature state {} is not installed", std::any::type_name::<T>()),
        }
    }
}

/// Each feature's own state, one value per type: the core knows none of the features, so a
/// feature crate defines its state type and reads it with [`AppState::feature`] (through an
/// accessor of its own), and the binary installs one of each when it builds the state.
#[derive(Clone, Default)]
pub struct Features {
    values: HashMap<TypeId, Arc<dyn Any + Send + Sync>>,
}

impl Features {
    /// No feature state.
    pub fn new() -> Features {
        Features::default()
    }

    /// These features with `value` installed, replacing any earlier value of its type.
    #[must_use]
    pub fn with<T: Any + Send + Sync>(mut self, value: T) -> Features {
        self.values.insert(TypeId::of::<T>(), Arc::new(value));
        self
    }

    /// The installed value of type `T`.
    pub fn get<T: Any + Send + Sync>(&self) -> Option<&T> {
        self.values.get(&TypeId::of::<T>()).and_then(|value| value.downcast_ref::<T>())
    }
}

/// Reads the whole audit log, page by page.
///
/// # Errors
/// Store failures.
pub async fn all_audit_entries(store: &dyn Store) -> StoreResult<Vec<AuditEntry>> {
    let mut entries = Vec::new();
    loop {
        let after = entries.last().map_or(0, |e: &AuditEntry| e.seq);
        let page = store.audit_entries(after, 1000).await?;
        if page.is_empty() {
            return Ok(entries);
        }
        entries.extend(page);
    }
}

/// The raw bytes of an upload (a GeoTIFF, a PDF) sent as the whole request body, documented as
/// `type: string, format: binary` so generated clients and schemathesis send bytes.
#[derive(Debug, ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct UploadBytes(pub Vec<u8>);
