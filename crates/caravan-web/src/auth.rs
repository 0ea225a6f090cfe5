//! Authentication (argon2id passwords, session cookies, bearer API tokens), CSRF protection,
//! the login rate limiter, and the authorization policy every handler asks.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use base64::Engine;
use caravan_store::{ApiToken, OrgKind, Organisation, Role, Session, User};
use rand::RngCore;
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use crate::AppState;
use crate::error::ApiError;

#[cfg(test)]
mod tests;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "caravan_session";
/// Name of the pre-login CSRF cookie (double-submit pattern for the login form).
pub const LOGIN_CSRF_COOKIE: &str = "caravan_login_csrf";
/// Header an API client using a session cookie sends the CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// How long a session lasts.
pub const SESSION_LIFETIME: Duration = Duration::hours(8);

/// Hashes a password with argon2id (RFC 9106) and a random salt, in PHC string form.
///
/// # Errors
/// Only when argon2 rejects its own parameters, which the defaults never are.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let mut salt_bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut salt_bytes);
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    let hash = Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("hashing the password: {e}"))?;
    Ok(hash.to_string())
}

/// Whether `password` matches the stored PHC hash.
pub fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .is_ok_and(|hash| Argon2::default().verify_password(password.as_bytes(), &hash).is_ok())
}

/// A fresh random secret of 32 bytes, base64url without padding, with a prefix naming its use.
pub fn random_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// A one-time password people can type: 16 characters without look-alikes.
pub fn random_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char).collect()
}

/// The stored form of a session or API token: its SHA-256 in hex (the secret itself is never stored).
pub fn token_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Reads a cookie from the request headers.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// How the caller proved who they are.
#[derive(Debug, Clone)]
pub enum Credential {
    Session(Session),
    Token(ApiToken),
}

/// The authenticated caller of a request: the user, their organisation and how they logged in.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: User,
    pub org: Organisation,
    pub credential: Credential,
}

impl Caller {
    pub fn csrf_token(&self) -> &str {
        match &self.credential {
            Credential::Session(session) => &session.csrf_token,
            Credential::Token(_) => "",
        }
    }

    pub fn is_admin(&self) -> bool {
        self.user.role == Role::Admin
    }

    /// A platform operator's administrator administers every country.
    pub fn is_global_admin(&self) -> bool {
        self.is_admin() && self.org.kind == OrgKind::PlatformOperator
    }

    /// A country administrator: an administrator of the country's customs administration, the
    /// body that runs the country's node. Administrators of other organisations administer only
    /// their own organisation.
    pub fn is_country_admin(&self) -> bool {
        self.is_admin() && self.org.kind == OrgKind::CustomsAdministration
    }

    pub fn actor(&self) -> caravan_store::Actor {
        caravan_store::Actor::user(&self.user)
    }
}

/// How far up the administration a user stands: [`Rank::Platform`] above [`Rank::Country`] above
/// [`Rank::Organisation`] above everyone else. Nobody changes the account of someone at or above
/// their own rank, except that platform administrators manage each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rank {
    Member,
    Organisation,
    Country,
    Platform,
}

/// The rank of `user`, a member of `org`.
pub fn rank(user: &User, org: &Organisation) -> Rank {
    match (user.role, org.kind) {
        (Role::Admin, OrgKind::PlatformOperator) => Rank::Platform,
        (Role::Admin, OrgKind::CustomsAdministration) => Rank::Country,
        (Role::Admin, _) => Rank::Organisation,
        _ => Rank::Member,
    }
}

// Authorization policy. Each rule is one function, so the handlers and the tests read the same
// thing. The platform operator's administrators administer everything; a country's customs
// administration's administrators administer the organisations of their country, except the
// platform operator; any other organisation's administrators administer their organisation.

/// May the caller create, change or disable users of `org`? Members of the platform operator are
/// managed by its administrators alone.
pub fn can_manage(caller: &Caller, org: &Organisation) -> bool {
    if caller.is_global_admin() {
        return true;
    }
    if org.kind == OrgKind::PlatformOperator {
        return false;
    }
    (caller.is_country_admin() && caller.org.country == org.country)
        || (caller.is_admin() && caller.org.id == org.id)
}

/// May the caller administer organisations in `country` (including creating new ones)?
pub fn can_manage_country(caller: &Caller, country: caravan_types::CountryCode) -> bool {
    caller.is_global_admin() || (caller.is_country_admin() && caller.org.country == country)
}

/// May the caller create an organisation of `kind` in `country`? Only platform administrators
/// create platform operator organisations.
pub fn can_create_org(caller: &Caller, kind: OrgKind, country: caravan_types::CountryCode) -> bool {
    if kind == OrgKind::PlatformOperator {
        return caller.is_global_admin();
    }
    can_manage_country(caller, country)
}

/// May the caller enable or disable `user` of `org`? Those who manage the organisation, for users
/// ranked below them (platform administrators also for each other).
pub fn can_set_active(caller: &Caller, user: &User, org: &Organisation) -> bool {
    let theirs = rank(user, org);
    can_manage(caller, org)
        && (theirs < rank(&caller.user, &caller.org)
            || (caller.is_global_admin() && theirs == Rank::Platform))
}

/// May the caller see `org` and its member list? Its members may; administrators who manage it
/// may; a customs officer may see the organisations of the country they control.
pub fn can_read_org(caller: &Caller, org: &Organisation) -> bool {
    caller.org.id == org.id
        || can_manage(caller, org)
        || (caller.user.role == Role::CustomsOfficer
            && caller.org.kind == OrgKind::CustomsAdministration
            && caller.org.country == org.country
            && org.kind != OrgKind::PlatformOperator)
}

/// May the caller read the audit log? Only the platform operator's administrators.
pub fn can_read_audit(caller: &Caller) -> bool {
    caller.is_global_admin()
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
        let caller =
            authenticate(&parts.headers, state).await?.ok_or_else(ApiError::unauthenticated)?;
        parts.extensions.insert(caller.clone());
        Ok(caller)
    }
}

/// An optional caller: pages that also work for visitors take this.
#[derive(Debug, Clone)]
pub struct MaybeCaller(pub Option<Caller>);

impl FromRequestParts<AppState> for MaybeCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match Caller::from_request_parts(parts, state).await {
            Ok(caller) => Ok(MaybeCaller(Some(caller))),
            Err(err) if err.status == axum::http::StatusCode::UNAUTHORIZED => Ok(MaybeCaller(None)),
            Err(err) => Err(err),
        }
    }
}

/// Finds the caller from a bearer token or a session cookie; `None` when neither is sent.
///
/// # Errors
/// 401 for a token or session that is unknown, revoked, expired, or whose user is disabled.
pub async fn authenticate(
    headers: &HeaderMap,
    state: &AppState,
) -> Result<Option<Caller>, ApiError> {
    let now = (state.clock)();
    // With an Authorization header, only a bearer token authenticates: another scheme (say, Basic
    // credentials a browser adds by itself) never falls back to the session cookie, which would
    // let a cross-site form ride the cookie past the CSRF guard.
    let bearer = match headers.get(header::AUTHORIZATION) {
        None => None,
        Some(value) => Some(bearer_secret(value).ok_or_else(|| {
            ApiError::new(
                axum::http::StatusCode::UNAUTHORIZED,
                "auth.invalid_authorization",
                "send an API token as 'Authorization: Bearer cvn_…', or no Authorization header \
                 to use the session cookie",
            )
            .with_field("Authorization")
        })?),
    };
    let (user_id, credential) = if let Some(secret) = bearer {
        let token = state.store.api_token_by_hash(&token_hash(secret)).await?.ok_or_else(|| {
            ApiError::new(
                axum::http::StatusCode::UNAUTHORIZED,
                "auth.invalid_token",
                "the API token is not known; create one under API tokens",
            )
        })?;
        if token.revoked_at.is_some() {
            return Err(ApiError::new(
                axum::http::StatusCode::UNAUTHORIZED,
                "auth.token_revoked",
                "the API token was revoked; create a new one under API tokens",
            ));
        }
        (token.user_id, Credential::Token(token))
    } else if let Some(secret) = cookie(headers, SESSION_COOKIE) {
        let Some(session) = state.store.session(&token_hash(secret)).await? else {
            return Ok(None);
        };
        if session.expires_at <= now {
            let change = caravan_store::Change {
                actor: caravan_store::Actor::system("session expiry"),
                at: now,
            };
            state.store.delete_session(&change, &session.token_hash, "session.expire").await?;
            return Ok(None);
        }
        (session.user_id, Credential::Session(session))
    } else {
        return Ok(None);
    };
    let user = state.store.user(user_id).await?.ok_or_else(ApiError::unauthenticated)?;
    if !user.active {
        return Err(ApiError::new(
            axum::http::StatusCode::UNAUTHORIZED,
            "auth.user_disabled",
            "this account is disabled; ask an administrator of your organisation",
        ));
    }
    let org = state
        .store
        .organisation(user.org_id)
        .await?
        .ok_or_else(|| ApiError::internal(format!("user {} has no organisation", user.id)))?;
    Ok(Some(Caller { user, org, credential }))
}

/// The secret of an `Authorization: Bearer …` header (RFC 6750 §2.1; the scheme is
/// case-insensitive, RFC 9110 §11.1); `None` for another scheme or an empty token.
fn bearer_secret(value: &axum::http::HeaderValue) -> Option<&str> {
    let text = value.to_str().ok()?;
    let (scheme, secret) = text.split_once(' ')?;
    let secret = secret.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !secret.is_empty()).then_some(secret)
}

/// Whether a request with this method changes state and so needs CSRF protection.
pub fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The client's IP address, when the server was started with connection info.
pub fn client_ip(parts_extensions: &axum::http::Extensions) -> Option<IpAddr> {
    parts_extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip())
}

/// Slows repeated failed logins per account and per client address with an exponential delay,
/// never a hard lock.
///
/// After [`Self::FREE_PER_USER`] failures for a username (or [`Self::FREE_PER_ADDRESS`] from an
/// address) the next attempt is refused until `last failure + BASE × 2^(failures − free)`,
/// capped at [`Self::MAX_USER_DELAY`] for an account and [`Self::MAX_ADDRESS_DELAY`] for an
/// address; a key whose last failure is older than [`Self::FORGET_AFTER`] starts again from zero.
///
/// The per-account counter stops one attacker spreading guesses over many addresses (OWASP's
/// Authentication Cheat Sheet, "Account Lockout": count failures against the account, prefer an
/// exponential lockout starting at about a second, and take care that the lockout cannot be used
/// to deny the owner). So that nobody can keep the owner out, the account's delay is capped low
/// and applies only to addresses that have themselves been failing: a correct password from an
/// address without recent failures is let through even while the account is slowed. The
/// attacker's own addresses are slowed by their address counters, up to a quarter of an hour.
///
/// Memory is bounded whatever anonymous callers send: one small record per key, a key is at most
/// [`Self::MAX_KEY_CHARS`] characters of the username (longer names cannot exist), and past
/// [`Self::MAX_KEYS`] keys the forgotten ones are dropped, then the least recently failed half.
#[derive(Debug, Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, Failures>>,
}

/// The failures remembered for one key: how many in a row, and when the last one was.
#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: OffsetDateTime,
}

impl LoginLimiter {
    /// Failures for one username before it is slowed.
    pub const FREE_PER_USER: u32 = 5;
    /// Failures from one client address before it is slowed.
    pub const FREE_PER_ADDRESS: u32 = 20;
    /// The first delay; each further failure doubles it.
    pub const BASE_DELAY: Duration = Duration::seconds(1);
    /// The longest an account is slowed: short, so that an attacker cannot keep its owner out.
    pub const MAX_USER_DELAY: Duration = Duration::seconds(60);
    /// The longest an address is slowed.
    pub const MAX_ADDRESS_DELAY: Duration = Duration::minutes(15);
    /// A key without a failure for this long is forgotten (longer than the longest delay, so that
    /// an address at the cap stays there).
    pub const FORGET_AFTER: Duration = Duration::minutes(30);
    /// The most keys (usernames and addresses) remembered at once.
    pub const MAX_KEYS: usize = 50_000;
    /// Usernames are at most 64 characters ([`crate::api::validate_username`]).
    pub const MAX_KEY_CHARS: usize = 64;

    fn user_key(username: &str) -> String {
        let name: String = username.chars().take(Self::MAX_KEY_CHARS).collect();
        format!("user:{}", name.to_lowercase())
    }

    fn address_key(ip: Option<IpAddr>) -> String {
        format!("ip:{}", ip.map(|ip| ip.to_string()).unwrap_or_default())
    }

    /// The delay after `count` failures when `free` of them are allowed, at most `cap`.
    pub fn delay(count: u32, free: u32, cap: Duration) -> Duration {
        if count < free {
            return Duration::ZERO;
        }
        // Twenty doublings are far past any cap; stopping there keeps the product small.
        let doublings = (count - free).min(20);
        (Self::BASE_DELAY * (1_i32 << doublings)).min(cap)
    }

    /// How long the key must still wait, if at all.
    fn wait(
        failures: &HashMap<String, Failures>,
        key: &str,
        free: u32,
        cap: Duration,
        now: OffsetDateTime,
    ) -> Option<Duration> {
        let entry = failures.get(key).filter(|f| f.last > now - Self::FORGET_AFTER)?;
        let until = entry.last + Self::delay(entry.count, free, cap);
        (until > now).then(|| until - now)
    }

    /// Whether a login attempt may be checked now; otherwise how long to wait.
    ///
    /// # Errors
    /// The time left while the address, or the account for an address that has been failing,
    /// is slowed.
    pub fn check(
        &self,
        username: &str,
        ip: Option<IpAddr>,
        now: OffsetDateTime,
    ) -> Result<(), Duration> {
        let failures = self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let address = Self::address_key(ip);
        let address_wait =
            Self::wait(&failures, &address, Self::FREE_PER_ADDRESS, Self::MAX_ADDRESS_DELAY, now);
        if let Some(wait) = address_wait {
            return Err(wait);
        }
        let address_failing =
            failures.get(&address).is_some_and(|f| f.last > now - Self::FORGET_AFTER);
        let user = Self::user_key(username);
        match Self::wait(&failures, &user, Self::FREE_PER_USER, Self::MAX_USER_DELAY, now) {
            Some(wait) if address_failing => Err(wait),
            _ => Ok(()),
        }
    }

    /// Whether a login attempt may be checked now.
    pub fn allows(&self, username: &str, ip: Option<IpAddr>, now: OffsetDateTime) -> bool {
        self.check(username, ip, now).is_ok()
    }

    pub fn record_failure(&self, username: &str, ip: Option<IpAddr>, now: OffsetDateTime) {
        let mut failures = self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if failures.len() + 2 > Self::MAX_KEYS {
            Self::evict(&mut failures, now);
        }
        for key in [Self::user_key(username), Self::address_key(ip)] {
            let entry = failures.entry(key).or_insert(Failures { count: 0, last: now });
            if entry.last <= now - Self::FORGET_AFTER {
                entry.count = 0;
            }
            entry.count = entry.count.saturating_add(1);
            entry.last = now;
        }
    }

    /// Drops the forgotten keys, then, if still full, the half that failed least recently.
    fn evict(failures: &mut HashMap<String, Failures>, now: OffsetDateTime) {
        failures.retain(|_, f| f.last > now - Self::FORGET_AFTER);
        if failures.len() + 2 > Self::MAX_KEYS {
            let mut last: Vec<OffsetDateTime> = failures.values().map(|f| f.last).collect();
            let middle = last.len() / 2;
            let (_, cutoff, _) = last.select_nth_unstable(middle);
            let cutoff = *cutoff;
            failures.retain(|_, f| f.last > cutoff);
        }
    }

    /// How many keys are remembered (for tests and metrics).
    pub fn len(&self) -> usize {
        self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner).len()
    }

    /// The bytes of the remembered keys: what a caller's names cost us to remember (for tests
    /// and metrics), at most [`Self::MAX_KEYS`] keys of at most [`Self::MAX_KEY_CHARS`]
    /// characters and their prefix.
    pub fn key_bytes(&self) -> usize {
        let failures = self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        failures.keys().map(String::len).sum()
    }

    /// Whether no failure is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets the account's failures (not the address's: logging into one's own account must
    /// not clear the failures an address made against others).
    pub fn record_success(&self, username: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        failures.remove(&Self::user_key(username));
    }
}

/// Whole seconds to wait, rounded up, at least one: what `Retry-After` and the pages say.
pub fn wait_seconds(wait: Duration) -> u16 {
    let millis = wait.whole_milliseconds().max(1);
    u16::try_from((millis + 999) / 1000).unwrap_or(u16::MAX)
}

/// Outcome of a login attempt.
#[expect(
    clippy::large_enum_variant,
    reason = "made once per login and matched at once; boxing buys nothing"
)]
pub enum LoginOutcome {
    /// The session secret for the cookie, and the session.
    Ok {
        secret: String,
        session: Session,
        user: User,
    },
    Invalid,
    /// Too many recent failures: try again after this many seconds.
    RateLimited {
        retry_after: u16,
    },
}

/// Checks the password, applies the rate limit, creates the session and audits the login.
///
/// # Errors
/// Store failures.
pub async fn login(
    state: &AppState,
    username: &str,
    password: &str,
    ip: Option<IpAddr>,
) -> Result<LoginOutcome, ApiError> {
    let now = (state.clock)();
    if let Err(wait) = state.login_limiter.check(username, ip, now) {
        return Ok(LoginOutcome::RateLimited { retry_after: wait_seconds(wait) });
    }
    // Names longer than any username and passwords longer than any allowed one cannot match:
    // refuse them before the store or argon2 spends anything on them.
    if username.len() > LoginLimiter::MAX_KEY_CHARS || password.len() > 1024 {
        state.login_limiter.record_failure(username, ip, now);
        return Ok(LoginOutcome::Invalid);
    }
    let user = state.store.user_by_username(username).await?;
    let valid = match &user {
        Some(user) => user.active && verify_password(password, &user.password_hash),
        None => {
            // Spend the same time as a real check, so timing does not reveal which usernames exist.
            let _ = verify_password(password, &state.dummy_hash);
            false
        }
    };
    let Some(user) = user.filter(|_| valid) else {
        state.login_limiter.record_failure(username, ip, now);
        return Ok(LoginOutcome::Invalid);
    };
    state.login_limiter.record_success(username);
    let secret = random_secret("cvs_");
    let session = Session {
        token_hash: token_hash(&secret),
        user_id: user.id,
        csrf_token: random_secret(""),
        expires_at: now + SESSION_LIFETIME,
    };
    let change = caravan_store::Change { actor: caravan_store::Actor::user(&user), at: now };
    let details = serde_json::json!({"ip": ip.map(|ip| ip.to_string())});
    state.store.create_session(&change, &session, details).await?;
    Ok(LoginOutcome::Ok { secret, session, user })
}

/// The `Set-Cookie` value of a session cookie.
pub fn session_cookie(secret: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{SESSION_COOKIE}={secret}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{secure}",
        SESSION_LIFETIME.whole_seconds()
    )
}

/// The `Set-Cookie` value that deletes the session cookie.
pub fn clear_session_cookie() -> String {
    format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0")
}
