//! The verdict on a document of another system: each check `valid`, `invalid` (with the
//! reason) or `not_checked` (with why), and the overall status, the shape of our own reports.

use serde_json::{Value, json};

/// How one check came out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It ran and passed; the text says what was established.
    Valid(String),
    /// It ran and failed; the text is the reason.
    Invalid(String),
    /// It could not run offline (or an earlier check failed); the text says why.
    NotChecked(String),
}

/// One check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// Stable machine name (`integrity`, `signature`, `identity`, `issuance`, `revocation`, ...).
    pub name: String,
    /// What came out.
    pub outcome: Outcome,
    /// The outcome's explanation as a stable code and its variable parts, when it is one of the
    /// fixed explanations ([`Why`]): what a user interface shows in its own language. The
    /// outcome's text is its English form.
    pub reason: Option<Reason>,
}

/// Replaces `{0}`, `{1}`, ... in `template` by `args` (a placeholder with no argument is left as
/// it is); every other brace stays.
pub fn fill(template: &str, args: &[String]) -> String {
    let mut res = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        res.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let arg = after.split_once('}').and_then(|(digits, tail)| {
            let idx: usize = digits.parse().ok()?;
            Some((args.get(idx)?, tail))
        });
        match arg {
            Some((value, tail)) => {
                res.push_str(value);
                rest = tail;
            }
            None => {
                res.push('{');
                rest = after;
            }
        }
    }
    res.push_str(rest);
    res
}

/// A fixed explanation and its variable parts (a hash, a key, a file name), in the order its
/// template names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    /// Which explanation.
    pub why: Why,
    /// Its variable parts, `{0}`, `{1}`, ... of the template.
    pub args: Vec<String>,
}

impl Reason {
    /// `why` with `args`.
    pub fn new(why: Why, args: &[&str]) -> Self {
        Self { why, args: args.iter().map(|a| (*a).to_owned()).collect() }
    }

    /// The explanation in English.
    pub fn english(&self) -> String {
        fill(self.why.english(), &self.args)
    }
}

macro_rules! reasons {
    ($($(#[$doc:meta])* $variant:ident = $code:literal => $english:literal,)*) => {
        /// The fixed explanations of checks' outcomes, each with a stable code and an English
        /// template whose `{0}`, `{1}`, ... are the variable parts ([`fill`]).
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Why {
            $($(#[$doc])* $variant,)*
        }

        impl Why {
            /// Every explanation.
            pub const ALL: &[Why] = &[$(Why::$variant,)*];

            /// The stable code.
            pub fn code(self) -> &'static str {
                match self { $(Why::$variant => $code,)* }
            }

            /// The English template.
            pub fn english(self) -> &'static str {
                match self { $(Why::$variant => $english,)* }
            }
        }
    };
}

reasons! {
    /// `{0}` key.
    OaKeyNotDidEthr = "oa.key_not_did_ethr" => "key {0} is not a did:ethr address; resolving other DIDs needs the network",
    /// `{0}` address, `{1}` key.
    OaDidSignature = "oa.did_signature" => "EIP-191 signature over merkleRoot by {0}, the address of {1} (its default controller; on-chain key changes are not checked offline)",
    /// `{0}` signer, `{1}` address, `{2}` key.
    OaWrongSigner = "oa.wrong_signer" => "the signature over merkleRoot was made by {0}, not by {1} ({2})",
    /// `{0}` domain.
    OaDnsDidNeedsRecords = "oa.dns_did_needs_records" => "DNS-DID: needs the TXT records of {0} (none pinned; pass --dns-records)",
    /// `{0}` domain, `{1}` key.
    OaDnsDidPinned = "oa.dns_did_pinned" => "DNS-DID: a pinned TXT record of {0} names {1}",
    /// `{0}` domain, `{1}` key.
    OaDnsDidNotPinned = "oa.dns_did_not_pinned" => "DNS-DID: no pinned TXT record of {0} names {1}",
    /// `{0}` domain.
    OaDnsTxtNeedsRecords = "oa.dns_txt_needs_records" => "DNS-TXT: needs the TXT records of {0} (none pinned; pass --dns-records)",
    /// `{0}` domain, `{1}` address.
    OaDnsTxtPinned = "oa.dns_txt_pinned" => "DNS-TXT: a pinned TXT record of {0} names {1}",
    /// `{0}` domain, `{1}` address.
    OaDnsTxtNotPinned = "oa.dns_txt_not_pinned" => "DNS-TXT: no pinned TXT record of {0} names {1}",
    /// No argument.
    OaNoRevocationMethod = "oa.no_revocation_method" => "the issuer declares no revocation method",
    /// No argument.
    OaOcsp = "oa.ocsp" => "needs the OCSP responder (network)",
    /// `{0}` where the responder is.
    OaOcspAt = "oa.ocsp_at" => "needs the OCSP responder at {0} (network)",
    /// No argument.
    OaRevocationStore = "oa.revocation_store" => "needs an Ethereum node to read the revocation store",
    /// `{0}` where the store is.
    OaRevocationStoreAt = "oa.revocation_store_at" => "needs an Ethereum node to read the revocation store at {0}",
    /// `{0}` method.
    OaRevocationOther = "oa.revocation_other" => "revocation method {0} cannot be checked offline",
    /// `{0}` method, `{1}` where.
    OaRevocationOtherAt = "oa.revocation_other_at" => "revocation method {0} at {1} cannot be checked offline",
    /// `{0}` address.
    OaIssuedOnDocumentStore = "oa.issued_on_document_store" => "needs an Ethereum node: is merkleRoot issued on the document store {0}?",
    /// `{0}` address.
    OaIssuedOnTokenRegistry = "oa.issued_on_token_registry" => "needs an Ethereum node: is merkleRoot issued on the token registry {0}?",
    /// `{0}` address.
    OaRevokedOnDocumentStore = "oa.revoked_on_document_store" => "needs an Ethereum node: revocation is recorded on the document store {0}",
    /// `{0}` the DID.
    OaDidIdentity = "oa.did_identity" => "DID: the issuer is identified by {0} alone (no domain binds it)",
    /// `{0}` target hash, `{1}` steps, `{2}` merkle root.
    OaIntegrityV2 = "oa.integrity_v2" => "the salted data hashes to targetHash {0}; the proof of {1} step(s) leads to merkleRoot {2}",
    /// `{0}` target hash, `{1}` steps, `{2}` merkle root.
    OaIntegrity = "oa.integrity" => "the salted fields hash to targetHash {0}; the proof of {1} step(s) leads to merkleRoot {2}",
    /// `{0}` the digest, `{1}` the target hash.
    OaChanged = "oa.changed" => "the document hashes to {0}, not to proof.targetHash {1}: the document was changed",
    /// No argument.
    OaNoCredentialStatus = "oa.no_credential_status" => "the document declares no credential status",
    /// No argument.
    SpsWellFormed = "sps.well_formed" => "XML without DTD or entities, root {urn:…:SPSCertificate:17}SPSCertificate",
    /// `{0}` document id, `{1}` type code, `{2}` count.
    SpsStructure = "sps.structure" => "document {0} of type {1}, {2} unmapped element(s) listed on import",
    /// No argument.
    SpsNoSignature = "sps.no_signature" => "SPS XML carries no signature of its own: the ePhyto Hub's envelope and channel authenticate it, which a file alone cannot show",
    /// `{0}` our document type.
    UntpRead = "untp.read" => "a UNTP credential read as a {0} document",
    /// No argument.
    UntpNoSchemaApplies = "untp.no_schema_applies" => "no UNTP type with a versioned UNTP context, so no UNTP JSON Schema applies",
    /// `{0}` schema file.
    UntpNoSchemasLoaded = "untp.no_schemas_loaded" => "no UNTP JSON Schemas are loaded; UNTP publishes this one as {0}",
    /// `{0}` schema file, `{1}` the loaded ones.
    UntpSchemaNotLoaded = "untp.schema_not_loaded" => "UNTP JSON Schema {0} is not loaded (loaded: {1})",
    /// `{0}` schema file.
    UntpConforms = "untp.conforms" => "conforms to the UNTP JSON Schema {0}",
    /// `{0}` the signed original.
    UntpUnsignedView = "untp.unsigned_view" => "the credential carries no proof: it is an unsigned view of {0}, verify that certificate",
    /// No argument.
    UntpNoProof = "untp.no_proof" => "the credential carries no proof",
    /// `{0}` the status list.
    UntpStatusList = "untp.status_list" => "the status list {0} is fetched over the network, not offline",
    /// No argument.
    UntpStatusListUnnamed = "untp.status_list_unnamed" => "its status list is fetched over the network, not offline",
    /// `{0}` issuer.
    UntpIssuerIsDidKey = "untp.issuer_is_did_key" => "the issuer {0} is the did:key that signed: its DID document is the key itself, nothing to fetch",
    /// No argument.
    UntpIssuerProofFails = "untp.issuer_proof_fails" => "the issuer's proof does not verify, so it shows no key of the issuer",
    /// `{0}` issuer.
    UntpNeedsDidDocument = "untp.needs_did_document" => "that the signing key is {0}'s needs its DID document, fetched over the network",
    /// No argument.
    UntpNoIssuer = "untp.no_issuer" => "the credential names no issuer",
    /// `{0}` media type.
    UntpVcJwt = "untp.vc_jwt" => "a VC-JWT enveloped as {0}",
    /// `{0}` key in hex.
    UntpJwsValid = "untp.jws_valid" => "the EdDSA JWS verifies under the Ed25519 key {0} its kid names: nothing was changed after signing",
    /// `{0}` the kid.
    UntpKidNotGiven = "untp.kid_not_given" => "the key {0} is named, not given: it is in the issuer's DID document, which is fetched over the network",
    /// `{0}` algorithm.
    UntpJwsAlgorithm = "untp.jws_algorithm" => "JWS algorithm {0} is not verified offline here (EdDSA is)",
    /// `{0}` signer, `{1}` issuer.
    UntpSignerNotIssuer = "untp.signer_not_issuer" => "signed with a key of {0}, but the credential names {1} as its issuer",
    /// `{0}` key in hex.
    DiJcsValid = "di.jcs_valid" => "the eddsa-jcs-2022 proof verifies under the Ed25519 key {0}: nothing was changed after signing",
    /// No argument.
    DiRdfc = "di.rdfc" => "an eddsa-rdfc-2022 proof signs the credential's RDF form: that needs its JSON-LD contexts fetched over the network, then RDF Dataset Canonicalization (RDFC-1.0), which is not done offline here",
}

/// The overall status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Every check ran and passed.
    Valid,
    /// Some check failed.
    Invalid,
    /// Nothing failed, integrity holds, but some check could not run offline.
    IncompleteOffline,
}

impl Status {
    /// Stable machine name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Valid => "valid",
            Self::Invalid => "invalid",
            Self::IncompleteOffline => "not_checked",
        }
    }
}

/// The verdict on one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The format the document was read as (see [`crate::detect::Format::as_str`]).
    pub format: String,
    /// The document's identifier, when it has one.
    pub document_id: Option<String>,
    /// The issuer as the document names it.
    pub issuer: Option<String>,
    /// Every check, in the order it ran.
    pub checks: Vec<Check>,
}

impl Verdict {
    /// An empty verdict on a document of `format`.
    pub fn new(format: &str) -> Self {
        Self { format: format.to_owned(), document_id: None, issuer: None, checks: Vec::new() }
    }

    /// The verdict on a document of `format` that could not be read: its `well-formed` check
    /// failed with `reason`, and nothing else could run.
    pub fn unreadable(format: &str, reason: impl Into<String>) -> Self {
        let mut verdict = Self::new(format);
        verdict.invalid("well-formed", reason);
        verdict
    }

    /// Adds a passed check.
    pub fn valid(&mut self, name: &str, detail: impl Into<String>) {
        self.push(name, Outcome::Valid(detail.into()));
    }

    /// Adds a failed check.
    pub fn invalid(&mut self, name: &str, reason: impl Into<String>) {
        self.push(name, Outcome::Invalid(reason.into()));
    }

    /// Adds a check that could not run.
    pub fn not_checked(&mut self, name: &str, why: impl Into<String>) {
        self.push(name, Outcome::NotChecked(why.into()));
    }

    /// Adds a passed check explained by `why` with `args`.
    pub fn valid_why(&mut self, name: &str, why: Why, args: &[&str]) {
        let reason = Reason::new(why, args);
        self.push_reason(name, Outcome::Valid(reason.english()), reason);
    }

    /// Adds a failed check explained by `why` with `args`.
    pub fn invalid_why(&mut self, name: &str, why: Why, args: &[&str]) {
        let reason = Reason::new(why, args);
        self.push_reason(name, Outcome::Invalid(reason.english()), reason);
    }

    /// Adds a check that could not run, explained by `why` with `args`.
    pub fn not_checked_why(&mut self, name: &str, why: Why, args: &[&str]) {
        let reason = Reason::new(why, args);
        self.push_reason(name, Outcome::NotChecked(reason.english()), reason);
    }

    /// Adds a check whose outcome's text is `reason` in English.
    pub(crate) fn push_reason(&mut self, name: &str, outcome: Outcome, reason: Reason) {
        self.checks.push(Check { name: name.to_owned(), outcome, reason: Some(reason) });
    }

    fn push(&mut self, name: &str, outcome: Outcome) {
        self.checks.push(Check { name: name.to_owned(), outcome, reason: None });
    }

    /// The check named `name`, the first of that name.
    pub fn check(&self, name: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.name == name)
    }

    /// Invalid when any check failed; valid when every check passed; otherwise some check
    /// could not run offline.
    pub fn status(&self) -> Status {
        if self.checks.is_empty()
            || self.checks.iter().any(|c| matches!(c.outcome, Outcome::Invalid(_)))
        {
            Status::Invalid
        } else if self.checks.iter().all(|c| matches!(c.outcome, Outcome::Valid(_))) {
            Status::Valid
        } else {
            Status::IncompleteOffline
        }
    }

    /// The first failed check.
    pub fn first_failure(&self) -> Option<&Check> {
        self.checks.iter().find(|c| matches!(c.outcome, Outcome::Invalid(_)))
    }

    /// The verdict as JSON: `{format, status, documentId, issuer, failedCheck, checks: [{name,
    /// status, detail | reason | why}]}`.
    pub fn to_json(&self) -> Value {
        let checks: Vec<Value> = self
            .checks
            .iter()
            .map(|c| match &c.outcome {
                Outcome::Valid(detail) => {
                    json!({"name": c.name, "status": "valid", "detail": detail})
                }
                Outcome::Invalid(reason) => {
                    json!({"name": c.name, "status": "invalid", "reason": reason})
                }
                Outcome::NotChecked(why) => {
                    json!({"name": c.name, "status": "not_checked", "why": why})
                }
            })
            .collect();
        json!({
            "format": self.format,
            "status": self.status().as_str(),
            "documentId": self.document_id,
            "issuer": self.issuer,
            "failedCheck": self.first_failure().map(|c| c.name.as_str()),
            "checks": checks,
        })
    }

    /// One line per check, for a terminal.
    pub fn to_text(&self) -> String {
        let status = match self.status() {
            Status::Valid => "VALID",
            Status::Invalid => "INVALID",
            Status::IncompleteOffline => "NOT FULLY CHECKED OFFLINE",
        };
        let mut res = format!("{status} ({})", self.format);
        if let Some(id) = &self.document_id {
            res.push_str(&format!(" {id}"));
        }
        res.push('\n');
        for check in &self.checks {
            let (mark, text) = match &check.outcome {
                Outcome::Valid(t) => ("ok  ", t),
                Outcome::Invalid(t) => ("FAIL", t),
                Outcome::NotChecked(t) => ("--  ", t),
            };
            res.push_str(&format!("  [{mark}] {}: {text}\n", check.name));
        }
        res
    }
}
