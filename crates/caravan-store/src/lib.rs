//! Caravan's storage port: the [`Store`] trait, the records it keeps, the audit-log hash chain,
//! and the conformance suite every adapter runs ([`conformance`]).
//!
//! Adapters (`caravan-store-sqlite`, `caravan-store-pg`) implement [`Store`]; the server only
//! ever sees `dyn Store`. Architecture invariant: every state-changing method appends its audit
//! entry in the same transaction as the change, so the log cannot miss an acknowledged write.

pub mod certs;
pub mod conformance;
pub mod datasets;
pub mod declarations;
pub mod land;
pub mod rates;
pub mod scholarship;

pub use certs::CertStore;
pub use datasets::DatasetStore;
pub use declarations::{DeclarationStore, JsonText};
pub use land::{JobStatus, LandJob, LandStore, NewRaster, Raster};
pub use rates::ExchangeRateStore;
pub use scholarship::ScholarshipStore;

use std::fmt;

use async_trait::async_trait;
use caravan_types::CountryCode;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

/// What went wrong in the store.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// A unique key is taken (e.g. a username).
    #[error("{what} already exists: {value}")]
    Conflict { what: &'static str, value: String },
    /// A referenced record does not exist.
    #[error("{what} {id} not found")]
    NotFound { what: &'static str, id: String },
    /// The database failed; the message is the driver's.
    #[error("database error: {0}")]
    Backend(String),
    /// The database cannot do the work now but may later, with nothing changed: its disk is
    /// full, it fails to read or write its files, or it is busy or unreachable. The caller may
    /// try the same call again later (the message is the driver's).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A stored value could not be read back (a corrupted or foreign row).
    #[error("stored {what} is invalid: {reason}")]
    Corrupt { what: &'static str, reason: String },
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The kind of an organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    CustomsAdministration,
    CertifyingBody,
    TradingCompany,
    CustomsBroker,
    PlantProtectionService,
    PovertyReductionCenter,
    EducationExchangeCenter,
    DesertificationControlCenter,
    PlatformOperator,
    /// A body that nominates a country's scholarship applicants (e.g. a ministry of education).
    NominatingBody,
    /// A university that hosts exchange programmes.
    University,
}

/// A role of a user; a user has exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Trader,
    Broker,
    Certifier,
    CustomsOfficer,
    Analyst,
    Admin,
    /// An officer of a border agency other than customs (e.g. plant protection) who approves
    /// its part of a declaration.
    AgencyOfficer,
    /// A scholarship applicant.
    Applicant,
    /// A reviewer who scores scholarship applications.
    Reviewer,
    /// Runs scholarship calls: opens them, assigns reviewers, runs and publishes placement.
    ProgrammeAdmin,
}

macro_rules! text_enum {
    ($ty:ty { $($variant:ident => $text:literal),* $(,)? }) => {
        impl $ty {
            /// Every value, in declaration order.
            pub const ALL: &'static [$ty] = &[$(<$ty>::$variant),*];

            /// The stable text form used in storage, the API and URLs.
            pub fn as_str(self) -> &'static str {
                match self { $(<$ty>::$variant => $text),* }
            }

            /// Parses the text form.
            pub fn parse(text: &str) -> Option<$ty> {
                match text { $($text => Some(<$ty>::$variant),)* _ => None }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum!(OrgKind {
    CustomsAdministration => "customs_administration",
    CertifyingBody => "certifying_body",
    TradingCompany => "trading_company",
    CustomsBroker => "customs_broker",
    PlantProtectionService => "plant_protection_service",
    PovertyReductionCenter => "poverty_reduction_center",
    EducationExchangeCenter => "education_exchange_center",
    DesertificationControlCenter => "desertification_control_center",
    PlatformOperator => "platform_operator",
    NominatingBody => "nominating_body",
    University => "university",
});

text_enum!(Role {
    Trader => "trader",
    Broker => "broker",
    Certifier => "certifier",
    CustomsOfficer => "customs_officer",
    Analyst => "analyst",
    Admin => "admin",
    AgencyOfficer => "agency_officer",
    Applicant => "applicant",
    Reviewer => "reviewer",
    ProgrammeAdmin => "programme_admin",
});

/// An organisation in one of the countries.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Organisation {
    pub id: i64,
    pub name: String,
    pub kind: OrgKind,
    pub country: CountryCode,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

/// What is needed to create an organisation.
#[derive(Debug, Clone)]
pub struct NewOrganisation {
    pub name: String,
    pub kind: OrgKind,
    pub country: CountryCode,
}

/// A person who logs in.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub org_id: i64,
    pub role: Role,
    #[serde(skip)]
    pub password_hash: String,
    pub active: bool,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

/// What is needed to create a user; the password is already hashed.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub org_id: i64,
    pub role: Role,
    pub password_hash: String,
}

/// A logged-in browser session; the cookie holds the token, the store only its hash.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub token_hash: String,
    pub user_id: i64,
    pub csrf_token: String,
    pub expires_at: OffsetDateTime,
}

/// A bearer token for machines; the store keeps only its hash.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    #[serde(skip)]
    pub token_hash: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<OffsetDateTime>,
}

/// Who did something: a user, or the system itself (start-up, the CLI).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub name: String,
}

impl Actor {
    pub fn system(what: &str) -> Actor {
        Actor { user_id: None, name: format!("system:{what}") }
    }

    pub fn user(user: &User) -> Actor {
        Actor { user_id: Some(user.id), name: user.username.clone() }
    }
}

/// Context of a state change: who, and when (read from the clock by the caller).
#[derive(Debug, Clone)]
pub struct Change {
    pub actor: Actor,
    pub at: OffsetDateTime,
}

/// One entry of the hash-chained audit log.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    /// 1-based position in the log.
    pub seq: i64,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    pub actor: Actor,
    /// A stable verb, e.g. `user.create`.
    pub action: String,
    /// What the action was on, e.g. `user:7`.
    pub target: String,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    pub prev_hash: String,
    pub hash: String,
}

/// The hash of the first entry's predecessor.
pub const AUDIT_GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// SHA-256 over the previous hash and the entry's fields, each length-prefixed so that no two
/// different entries hash the same bytes. Timestamps enter as Unix milliseconds.
pub fn audit_hash(
    prev_hash: &str,
    seq: i64,
    at: OffsetDateTime,
    actor: &Actor,
    action: &str,
    target: &str,
    details: &serde_json::Value,
) -> String {
    let mut hasher = Sha256::new();
    let mut field = |bytes: &[u8]| {
        hasher.update((bytes.len() as u64).to_be_bytes());
        hasher.update(bytes);
    };
    field(prev_hash.as_bytes());
    field(&seq.to_be_bytes());
    field(&unix_ms(at).to_be_bytes());
    field(actor.user_id.map(|id| id.to_string()).unwrap_or_default().as_bytes());
    field(actor.name.as_bytes());
    field(action.as_bytes());
    field(target.as_bytes());
    field(details.to_string().as_bytes());
    hex::encode(hasher.finalize())
}

/// Milliseconds since the Unix epoch, the resolution timestamps are stored at.
pub fn unix_ms(at: OffsetDateTime) -> i64 {
    (at.unix_timestamp_nanos() / 1_000_000) as i64
}

/// The timestamp of `ms` milliseconds since the Unix epoch.
///
/// # Errors
/// [`StoreError::Corrupt`] when `ms` is out of the representable range.
pub fn from_unix_ms(ms: i64) -> StoreResult<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map_err(|e| StoreError::Corrupt { what: "timestamp", reason: e.to_string() })
}

/// Truncates a timestamp to the stored resolution, so values compare equal after a round trip.
pub fn to_stored_resolution(at: OffsetDateTime) -> OffsetDateTime {
    from_unix_ms(unix_ms(at)).unwrap_or(at)
}

/// The first entry where the chain breaks, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    pub seq: i64,
    pub reason: String,
}

/// Checks that `entries` (the whole log, in order) form an unbroken chain.
///
/// # Errors
/// The first broken entry: a gap in numbering, a wrong `prev_hash`, or a hash that does not
/// match the entry's content.
pub fn verify_audit_chain(entries: &[AuditEntry]) -> Result<(), ChainBreak> {
    let mut prev = AUDIT_GENESIS.to_owned();
    for (idx, entry) in entries.iter().enumerate() {
        let expected_seq = idx as i64 + 1;
        if entry.seq != expected_seq {
            return Err(ChainBreak {
                seq: entry.seq,
                reason: format!("expected entry {expected_seq} here, found {}", entry.seq),
            });
        }
        if entry.prev_hash != prev {
            return Err(ChainBreak {
                seq: entry.seq,
                reason: "its prev_hash is not the hash of the entry before it".to_owned(),
            });
        }
        let hash = audit_hash(
            &prev,
            entry.seq,
            entry.at,
            &entry.actor,
            &entry.action,
            &entry.target,
            &entry.details,
        );
        if hash != entry.hash {
            return Err(ChainBreak {
                seq: entry.seq,
                reason: "its content does not match its hash (the entry was altered)".to_owned(),
            });
        }
        prev = hash;
    }
    Ok(())
}

/// An audit entry to append: the adapter numbers and chains it.
#[derive(Debug, Clone)]
pub struct NewAudit<'a> {
    pub action: &'a str,
    pub target: String,
    pub details: serde_json::Value,
}

/// The storage interface. Every method is one transaction.
#[async_trait]
pub trait Store:
    CertStore
    + DeclarationStore
    + DatasetStore
    + LandStore
    + ScholarshipStore
    + ExchangeRateStore
    + Send
    + Sync
    + 'static
{
    /// Short name of the backend for logs (`sqlite`, `postgres`).
    fn backend(&self) -> &'static str;

    /// Whether a write can be committed now, for health checks: `Ok`, or the error a write
    /// would meet ([`StoreError::Unavailable`] on a full disk). Adapters commit a write that
    /// leaves no trace, and answer from one such probe for a second, so calling this often
    /// costs the writers at most one small transaction a second.
    async fn check_writable(&self) -> StoreResult<()>;

    async fn create_organisation(
        &self,
        change: &Change,
        org: &NewOrganisation,
    ) -> StoreResult<Organisation>;
    async fn organisation(&self, id: i64) -> StoreResult<Option<Organisation>>;
    async fn organisations(&self) -> StoreResult<Vec<Organisation>>;

    async fn create_user(&self, change: &Change, user: &NewUser) -> StoreResult<User>;
    async fn user(&self, id: i64) -> StoreResult<Option<User>>;
    async fn user_by_username(&self, username: &str) -> StoreResult<Option<User>>;
    /// Users of one organisation, or all users.
    async fn users(&self, org_id: Option<i64>) -> StoreResult<Vec<User>>;
    async fn count_users(&self) -> StoreResult<i64>;
    async fn set_user_active(
        &self,
        change: &Change,
        user_id: i64,
        active: bool,
    ) -> StoreResult<User>;
    async fn set_user_password(
        &self,
        change: &Change,
        user_id: i64,
        password_hash: &str,
    ) -> StoreResult<()>;

    /// Stores a new session and audits it (`session.login`, with `details`) in one transaction.
    async fn create_session(
        &self,
        change: &Change,
        session: &Session,
        details: serde_json::Value,
    ) -> StoreResult<()>;
    async fn session(&self, token_hash: &str) -> StoreResult<Option<Session>>;
    /// Ends a session, audited as `action` (`session.logout`, `session.expire`) in the same
    /// transaction; nothing happens and nothing is audited for an unknown session.
    async fn delete_session(
        &self,
        change: &Change,
        token_hash: &str,
        action: &'static str,
    ) -> StoreResult<()>;
    /// Removes sessions that expired before `now`; returns how many (audited as one
    /// `session.expire` entry when any were).
    async fn delete_expired_sessions(
        &self,
        change: &Change,
        now: OffsetDateTime,
    ) -> StoreResult<u64>;

    async fn create_api_token(
        &self,
        change: &Change,
        user_id: i64,
        name: &str,
        token_hash: &str,
    ) -> StoreResult<ApiToken>;
    async fn api_tokens(&self, user_id: i64) -> StoreResult<Vec<ApiToken>>;
    async fn api_token_by_hash(&self, token_hash: &str) -> StoreResult<Option<ApiToken>>;
    async fn revoke_api_token(&self, change: &Change, token_id: i64) -> StoreResult<ApiToken>;

    /// Appends an entry for an action that changed no stored record (e.g. a login).
    async fn append_audit(&self, change: &Change, audit: NewAudit<'_>) -> StoreResult<AuditEntry>;
    /// Entries with `seq > after`, at most `limit`, in order.
    async fn audit_entries(&self, after: i64, limit: i64) -> StoreResult<Vec<AuditEntry>>;
}
