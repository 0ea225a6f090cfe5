//! Storage of the certificate service (issue 3): signing keys held for certifying bodies, the trust list, issued certificates and revocations, and each authority's transparency log.
//!
//! The store knows no cryptography: the server signs, hashes and seals; the store keeps the
//! results and makes each log append atomic with its certificate change and audit entry.
//! A log append names the size the log had when the caller built it (`expected_size`), so two
//! issuers racing on one log cannot both append at the same index: the loser gets
//! [`StoreError::Conflict`] and rebuilds on the new size.
//!
//! Besides its leaves a log keeps the hash of each complete subtree of level 1 and above
//! ([`LogNode`], RFC 9162 §2.1), written by the append that completes it, so that proofs and
//! appends read O(log n) rows (issue 22), and the index of its revocation leaves.

use async_trait::async_trait;
use serde::Serialize;
use time::OffsetDateTime;

use crate::{Actor, Change, NewOrganisation, OrgKind, StoreError, StoreResult};

/// A signing key the server holds for a certifying authority (an organisation).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SigningKey {
    pub id: i64,
    pub org_id: i64,
    /// Key id within the authority; proofs name `{authority id}#{kid}`.
    pub kid: String,
    /// `ed25519` or `sm2`.
    pub alg: String,
    /// Public key, hex.
    pub public_key: String,
    /// Document types it may sign: `origin`, `phyto`, `passport`.
    pub document_types: Vec<String>,
    /// Whether it signs the authority's log checkpoints.
    pub signs_checkpoints: bool,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub valid_from: OffsetDateTime,
    /// End of validity (exclusive), set when a newer key rotates this one out.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub valid_until: Option<OffsetDateTime>,
    /// Retirement: signatures dated at or after it fail.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub retired_at: Option<OffsetDateTime>,
    /// The private key, sealed by the server's master key; never serialised.
    #[serde(skip)]
    pub sealed_secret: Vec<u8>,
}

impl SigningKey {
    /// Whether the key can speak at `at` (inside its validity and not retired).
    pub fn is_active(&self, at: OffsetDateTime) -> bool {
        at >= self.valid_from
            && self.valid_until.is_none_or(|until| at < until)
            && self.retired_at.is_none_or(|retired| at < retired)
    }
}

/// What is needed to add a signing key.
#[derive(Debug, Clone)]
pub struct NewSigningKey {
    pub org_id: i64,
    pub kid: String,
    pub alg: String,
    pub public_key: String,
    pub document_types: Vec<String>,
    pub signs_checkpoints: bool,
    pub valid_from: OffsetDateTime,
    pub sealed_secret: Vec<u8>,
}

/// How a new key joins the organisation's keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAddition {
    /// Beside the current keys.
    Add,
    /// Replacing them: every current key of the organisation with the new key's algorithm gets
    /// `valid_until` = the new key's `valid_from`, so certificates signed before stay valid (an
    /// SM2 key rotates SM2 keys only; the Ed25519 ones keep signing).
    Rotate,
}

/// One leaf of an authority's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLeaf {
    /// 0-based position.
    pub index: u64,
    /// RFC 9162 leaf hash, 32 bytes.
    pub leaf_hash: Vec<u8>,
    /// The leaf data (the RFC 8785 form of the log entry).
    pub entry: Vec<u8>,
}

/// The hash of a complete subtree of a log's tree (RFC 9162 §2.1): the `index`-th run of
/// `2^level` leaves. The store keeps levels 1 and up; level 0 is the leaf hash of [`LogLeaf`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogNode {
    pub level: u8,
    pub index: u64,
    /// 32 bytes.
    pub hash: Vec<u8>,
}

impl LogNode {
    /// One past its last leaf: the subtree is complete once the log has this many leaves.
    pub fn end(&self) -> Option<u64> {
        self.index.checked_add(1)?.checked_shl(u32::from(self.level))
    }
}

/// A signed checkpoint as stored: the JSON form `caravan-docsign` reads.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCheckpoint {
    pub log_id: String,
    pub tree_size: u64,
    pub checkpoint: serde_json::Value,
    pub created_at: OffsetDateTime,
}

/// An issued certificate.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CertificateRecord {
    /// The credential `id` (e.g. `urn:uuid:…`).
    pub id: String,
    pub org_id: i64,
    /// `origin`, `phyto` or `passport`.
    pub doc_type: String,
    pub log_id: String,
    pub leaf_index: u64,
    /// The complete certificate as issued, byte for byte (JSON text).
    pub document: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub issued_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<OffsetDateTime>,
    pub revocation_reason: Option<String>,
}

/// A certificate to record with its issuance leaf.
#[derive(Debug, Clone)]
pub struct NewCertificate {
    pub id: String,
    pub org_id: i64,
    pub doc_type: String,
    pub document: String,
}

/// What a log append does besides appending.
#[derive(Debug, Clone)]
pub enum LogEffect {
    /// Records an issued certificate.
    Issue(NewCertificate),
    /// Marks a certificate revoked.
    Revoke { certificate_id: String, reason: String },
}

/// One leaf appended to a log with its new signed checkpoint, in one transaction with its
/// effect and audit entry.
#[derive(Debug, Clone)]
pub struct LogAppend {
    pub log_id: String,
    /// The log size the caller built the leaf and checkpoint on; the leaf gets this index.
    pub expected_size: u64,
    pub leaf_hash: Vec<u8>,
    pub entry: Vec<u8>,
    /// The signed checkpoint of size `expected_size + 1`, JSON form.
    pub checkpoint: serde_json::Value,
    pub effect: LogEffect,
    /// The complete subtrees of level 1 and above that this leaf completes (one per trailing 1
    /// bit of `expected_size`), kept from now on.
    pub nodes: Vec<LogNode>,
}

/// Storage of the certificate service (issue 3).
#[async_trait]
pub trait CertStore: Send + Sync {
    /// Adds a signing key (rotating out the current ones with [`KeyAddition::Rotate`]).
    async fn add_signing_key(
        &self,
        change: &Change,
        key: &NewSigningKey,
        addition: KeyAddition,
    ) -> StoreResult<SigningKey>;
    /// Retires a key as of `change.at` (kept when already retired earlier).
    async fn retire_signing_key(&self, change: &Change, key_id: i64) -> StoreResult<SigningKey>;
    /// One key.
    async fn signing_key(&self, key_id: i64) -> StoreResult<Option<SigningKey>>;
    /// Keys of one organisation, or of all, by id.
    async fn signing_keys(&self, org_id: Option<i64>) -> StoreResult<Vec<SigningKey>>;

    /// Appends one leaf, its checkpoint, its effect and the audit entry atomically.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when the log no longer has `expected_size` leaves, or the
    /// certificate id is taken; [`StoreError::NotFound`] when a revoked certificate is unknown.
    async fn append_log(&self, change: &Change, append: &LogAppend) -> StoreResult<()>;
    /// Number of leaves in a log.
    async fn log_size(&self, log_id: &str) -> StoreResult<u64>;
    /// Leaves `start..end` of a log (fewer when the log is shorter).
    async fn log_leaves(&self, log_id: &str, start: u64, end: u64) -> StoreResult<Vec<LogLeaf>>;
    /// Index of the leaf with this hash.
    async fn log_leaf_index(&self, log_id: &str, leaf_hash: &[u8]) -> StoreResult<Option<u64>>;
    /// The kept hashes of these complete subtrees `(level, index)` of a log, level 0 being its
    /// leaves, sorted by level then index; a subtree the store does not hold is left out (not
    /// complete yet, or in a log from before subtrees were kept: see [`Self::put_log_nodes`]).
    async fn log_nodes(&self, log_id: &str, subtrees: &[(u8, u64)]) -> StoreResult<Vec<LogNode>>;
    /// Keeps hashes of complete subtrees (level 1 and up) computed from the log's leaves, for
    /// a log from before each append kept the subtrees it completes; a subtree already kept
    /// stays as it is.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when a subtree is not complete in the log.
    async fn put_log_nodes(
        &self,
        change: &Change,
        log_id: &str,
        nodes: &[LogNode],
    ) -> StoreResult<()>;
    /// The revocation leaves (appended with [`LogEffect::Revoke`]) among the first `size`
    /// leaves of a log, oldest first.
    async fn log_revocations(&self, log_id: &str, size: u64) -> StoreResult<Vec<LogLeaf>>;
    /// Checkpoints of a log, oldest first, after tree size `after_size`, at most `limit`.
    async fn checkpoints(
        &self,
        log_id: &str,
        after_size: u64,
        limit: u64,
    ) -> StoreResult<Vec<StoredCheckpoint>>;
    /// The newest checkpoint of a log.
    async fn latest_checkpoint(&self, log_id: &str) -> StoreResult<Option<StoredCheckpoint>>;

    /// One certificate.
    async fn certificate(&self, id: &str) -> StoreResult<Option<CertificateRecord>>;
    /// Certificates of one organisation, newest first.
    async fn certificates(&self, org_id: i64) -> StoreResult<Vec<CertificateRecord>>;
}

fn change(minutes: i64) -> Change {
    Change {
        actor: Actor::system("test"),
        at: crate::conformance::t0() + time::Duration::minutes(minutes),
    }
}

fn hash(byte: u8) -> Vec<u8> {
    vec![byte; 32]
}

fn append(log_id: &str, size: u64, effect: LogEffect) -> LogAppend {
    LogAppend {
        log_id: log_id.to_owned(),
        expected_size: size,
        leaf_hash: hash(size as u8 + 1),
        entry: format!("{{\"leaf\":{size}}}").into_bytes(),
        checkpoint: serde_json::json!({"logId": log_id, "treeSize": size + 1}),
        effect,
        nodes: completed(size),
    }
}

/// Stand-ins for the subtrees leaf `size` completes: the store keeps hashes, it computes none.
fn completed(size: u64) -> Vec<LogNode> {
    (1..=size.trailing_ones() as u8)
        .map(|level| LogNode {
            level,
            index: size >> level,
            hash: node_stand_in(level, size >> level),
        })
        .collect()
}

fn node_stand_in(level: u8, index: u64) -> Vec<u8> {
    let mut hash = vec![0xee; 32];
    hash[0] = level;
    hash[24..].copy_from_slice(&index.to_be_bytes());
    hash
}

/// The conformance checks of this part of the port, run on every adapter.
pub async fn conformance(store: &dyn crate::Store) {
    let org = store
        .create_organisation(
            &change(0),
            &NewOrganisation {
                name: "Chamber".to_owned(),
                kind: OrgKind::CertifyingBody,
                country: caravan_types::CountryCode::parse("KZ").expect("valid"),
            },
        )
        .await
        .expect("org");
    let new_key_alg = |kid: &str, at: i64, alg: &str| NewSigningKey {
        org_id: org.id,
        kid: kid.to_owned(),
        alg: alg.to_owned(),
        public_key: "ab".repeat(32),
        document_types: vec!["origin".to_owned(), "phyto".to_owned()],
        signs_checkpoints: true,
        valid_from: change(at).at,
        sealed_secret: vec![1, 2, 3],
    };
    let new_key = |kid: &str, at: i64| new_key_alg(kid, at, "ed25519");

    // Keys: add, rotate (the old one gets valid_until), retire.
    let k1 =
        store.add_signing_key(&change(1), &new_key("k1", 1), KeyAddition::Add).await.expect("add");
    assert_eq!(k1.document_types, ["origin", "phyto"]);
    assert_eq!(k1.sealed_secret, [1, 2, 3]);
    assert!(k1.is_active(change(2).at));
    let sm2 = store
        .add_signing_key(&change(3), &new_key_alg("s1", 3, "sm2"), KeyAddition::Add)
        .await
        .expect("add sm2");
    let k2 = store
        .add_signing_key(&change(5), &new_key("k2", 5), KeyAddition::Rotate)
        .await
        .expect("rotate");
    let k1_after = store.signing_key(k1.id).await.expect("read").expect("present");
    assert_eq!(k1_after.valid_until, Some(change(5).at));
    let sm2_after = store.signing_key(sm2.id).await.expect("read").expect("present");
    assert_eq!(sm2_after.valid_until, None, "rotating an ed25519 key leaves the sm2 key alone");
    assert!(k1_after.is_active(change(4).at) && !k1_after.is_active(change(5).at));
    assert_eq!(k2.valid_until, None);
    let dup = store.add_signing_key(&change(6), &new_key("k2", 6), KeyAddition::Add).await;
    assert!(matches!(dup, Err(StoreError::Conflict { .. })), "a kid is unique per organisation");
    let retired = store.retire_signing_key(&change(7), k2.id).await.expect("retire");
    assert_eq!(retired.retired_at, Some(change(7).at));
    let again = store.retire_signing_key(&change(9), k2.id).await.expect("retire again");
    assert_eq!(again.retired_at, Some(change(7).at), "the first retirement time stands");
    assert_eq!(store.signing_keys(Some(org.id)).await.expect("list").len(), 3);
    assert_eq!(store.signing_keys(Some(org.id + 1000)).await.expect("list").len(), 0);
    assert!(matches!(
        store.retire_signing_key(&change(7), 999_999).await,
        Err(StoreError::NotFound { .. })
    ));

    // The log: appends at the expected size only, each with its effect.
    let log = "test-log";
    assert_eq!(store.log_size(log).await.expect("size"), 0);
    assert_eq!(store.latest_checkpoint(log).await.expect("cp"), None);
    let cert = |id: &str| NewCertificate {
        id: id.to_owned(),
        org_id: org.id,
        doc_type: "origin".to_owned(),
        document: format!("{{\"id\":\"{id}\"}}"),
    };
    store
        .append_log(&change(10), &append(log, 0, LogEffect::Issue(cert("urn:c:1"))))
        .await
        .expect("append 0");
    store
        .append_log(&change(11), &append(log, 1, LogEffect::Issue(cert("urn:c:2"))))
        .await
        .expect("append 1");
    let stale =
        store.append_log(&change(12), &append(log, 1, LogEffect::Issue(cert("urn:c:3")))).await;
    assert!(
        matches!(stale, Err(StoreError::Conflict { .. })),
        "a stale size is refused: {stale:?}"
    );
    assert!(
        store.certificate("urn:c:3").await.expect("read").is_none(),
        "nothing of a refused append stays"
    );
    let dup =
        store.append_log(&change(12), &append(log, 2, LogEffect::Issue(cert("urn:c:1")))).await;
    assert!(matches!(dup, Err(StoreError::Conflict { .. })), "a certificate id is unique");
    assert_eq!(store.log_size(log).await.expect("size"), 2, "the refused appends left no leaf");
    let unknown =
        LogEffect::Revoke { certificate_id: "urn:nope".to_owned(), reason: "x".to_owned() };
    assert!(matches!(
        store.append_log(&change(12), &append(log, 2, unknown)).await,
        Err(StoreError::NotFound { .. })
    ));
    let revoke = LogEffect::Revoke {
        certificate_id: "urn:c:1".to_owned(),
        reason: "goods returned".to_owned(),
    };
    store.append_log(&change(13), &append(log, 2, revoke)).await.expect("revoke");
    assert_eq!(store.log_size(log).await.expect("size"), 3);
    assert_eq!(store.log_size("other-log").await.expect("size"), 0, "logs are separate");

    let leaves = store.log_leaves(log, 1, 10).await.expect("leaves");
    assert_eq!(leaves.iter().map(|l| l.index).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(leaves[0].leaf_hash, hash(2));
    assert_eq!(leaves[1].entry, b"{\"leaf\":2}");
    assert_eq!(store.log_leaf_index(log, &hash(3)).await.expect("find"), Some(2));
    assert_eq!(store.log_leaf_index(log, &hash(9)).await.expect("find"), None);
    let checkpoints = store.checkpoints(log, 0, 10).await.expect("checkpoints");
    assert_eq!(checkpoints.iter().map(|c| c.tree_size).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(store.checkpoints(log, 1, 1).await.expect("page").len(), 1);
    let latest = store.latest_checkpoint(log).await.expect("cp").expect("present");
    assert_eq!(latest.tree_size, 3);
    assert_eq!(latest.checkpoint["treeSize"], 3);

    let c1 = store.certificate("urn:c:1").await.expect("read").expect("present");
    assert_eq!(c1.revoked_at, Some(change(13).at));
    assert_eq!(c1.revocation_reason.as_deref(), Some("goods returned"));
    assert_eq!((c1.leaf_index, c1.log_id.as_str()), (0, log));
    assert_eq!(c1.document, "{\"id\":\"urn:c:1\"}");
    let c2 = store.certificate("urn:c:2").await.expect("read").expect("present");
    assert_eq!((c2.leaf_index, c2.revoked_at), (1, None));
    let list = store.certificates(org.id).await.expect("list");
    assert_eq!(list.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["urn:c:2", "urn:c:1"]);

    // Complete subtrees: level 0 from the leaves, the rest as the appends gave them; a subtree
    // not complete yet, or never given, is left out.
    let node = |level: u8, index: u64, hash: Vec<u8>| LogNode { level, index, hash };
    let nodes = store
        .log_nodes(log, &[(1, 1), (1, 0), (0, 2), (0, 0), (0, 3), (2, 0)])
        .await
        .expect("nodes");
    assert_eq!(nodes, [node(0, 0, hash(1)), node(0, 2, hash(3)), node(1, 0, node_stand_in(1, 0))]);
    assert_eq!(store.log_nodes(log, &[]).await.expect("none"), []);
    assert_eq!(store.log_nodes("other-log", &[(0, 0), (1, 0)]).await.expect("other"), []);
    let many: Vec<(u8, u64)> = (0..600).map(|i| ((i % 3) as u8, i / 3)).collect();
    assert_eq!(store.log_nodes(log, &many).await.expect("many").len(), 4, "3 leaves and 1 node");

    // Revocation leaves, by index, below a size.
    let revocations = store.log_revocations(log, 3).await.expect("revocations");
    assert_eq!(revocations.iter().map(|l| l.index).collect::<Vec<_>>(), [2]);
    assert_eq!(revocations[0].entry, b"{\"leaf\":2}");
    assert_eq!(revocations[0].leaf_hash, hash(3));
    assert_eq!(store.log_revocations(log, 2).await.expect("below"), []);

    // Keeping subtrees of an older log: complete ones only; kept ones stay.
    let beyond = store.put_log_nodes(&change(14), log, &[node(2, 0, hash(7))]).await;
    assert!(matches!(beyond, Err(StoreError::Conflict { .. })), "4 leaves are not in: {beyond:?}");
    store.put_log_nodes(&change(14), log, &[node(1, 0, hash(8))]).await.expect("kept already");
    assert_eq!(store.log_nodes(log, &[(1, 0)]).await.expect("node")[0].hash, node_stand_in(1, 0));
    let legacy = "legacy-log";
    let mut bare = append(legacy, 0, LogEffect::Issue(cert("urn:c:4")));
    store.append_log(&change(15), &bare).await.expect("legacy 0");
    bare = append(legacy, 1, LogEffect::Issue(cert("urn:c:5")));
    bare.nodes.clear();
    store.append_log(&change(16), &bare).await.expect("legacy 1 without its node");
    assert_eq!(store.log_nodes(legacy, &[(1, 0)]).await.expect("missing"), []);
    store.put_log_nodes(&change(17), legacy, &[node(1, 0, hash(9))]).await.expect("backfill");
    assert_eq!(store.log_nodes(legacy, &[(1, 0)]).await.expect("kept"), [node(1, 0, hash(9))]);
    assert_eq!(store.log_size(legacy).await.expect("size"), 2);

    // Each change left its audit entry, in order, on an unbroken chain.
    let audit = store.audit_entries(0, 100).await.expect("audit");
    let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "organisation.create",
            "signing_key.add",
            "signing_key.add",
            "signing_key.rotate",
            "signing_key.retire",
            "certificate.issue",
            "certificate.issue",
            "certificate.revoke",
            "log.keep_nodes",
            "certificate.issue",
            "certificate.issue",
            "log.keep_nodes"
        ]
    );
    crate::verify_audit_chain(&audit).expect("chain");
}
