//! OpenAttestation (TradeTrust) documents v2, v3 and v4: integrity (salted leaves, target hash,
//! Merkle proof), selective disclosure, the DID-signed issuance proofs
//! (`OpenAttestationSignature2018`: an EIP-191 signature over the Merkle root, by the secp256k1
//! key of a `did:ethr`), and the issuer identity against pinned DNS TXT records.
//!
//! The hashing follows the OpenAttestation libraries exactly (`@govtechsg/open-attestation`
//! `src/2.0/digest.ts`, `src/3.0/digest.ts`, `src/4.0/hash.ts`, `src/shared/merkle/merkle.ts`).
//! Document-store and token-registry issuance, revocation stores and OCSP need Ethereum or the
//! network: those checks are `not_checked` offline, never valid.

use base64::Engine as _;
use serde_json::{Map, Value};

use crate::dns::PinnedRecords;
use crate::eth;
use crate::js;
use crate::verdict::{Outcome, Reason, Verdict, Why};

/// `version` of a v2 document.
pub const V2_SCHEMA: &str = "https://schema.openattestation.com/2.0/schema.json";
/// `version` of a v3 document.
pub const V3_SCHEMA: &str = "https://schema.openattestation.com/3.0/schema.json";
/// The OpenAttestation v4 context.
pub const V4_CONTEXT: &str =
    "https://schemata.openattestation.com/com/openattestation/4.0/context.json";

/// Which OpenAttestation version a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OaVersion {
    /// 2.0: `{version, data, signature, privacy?, proof?}`.
    V2,
    /// 3.0: a VC 1.1 with `openAttestationMetadata` and `OpenAttestationMerkleProofSignature2018`.
    V3,
    /// 4.0: a VC 2.0 with the OpenAttestation v4 context and `OpenAttestationHashProof2018`.
    V4,
}

impl OaVersion {
    /// The format's machine name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V2 => "openattestation-v2",
            Self::V3 => "openattestation-v3",
            Self::V4 => "openattestation-v4",
        }
    }
}

/// The OpenAttestation version of `doc`, when it is one.
pub fn version_of(doc: &Value) -> Option<OaVersion> {
    match doc.get("version").and_then(Value::as_str) {
        Some(V2_SCHEMA) => return Some(OaVersion::V2),
        Some(V3_SCHEMA) => return Some(OaVersion::V3),
        _ => {}
    }
    let contexts = doc.get("@context").and_then(Value::as_array);
    if contexts.is_some_and(|c| c.iter().any(|v| v.as_str() == Some(V4_CONTEXT))) {
        return Some(OaVersion::V4);
    }
    None
}

/// Whether `doc` looks like OpenAttestation of a version this crate does not read (so the
/// caller can say "unknown version" rather than "unknown format").
pub fn looks_like_unknown_version(doc: &Value) -> Option<String> {
    let version = doc.get("version").and_then(Value::as_str)?;
    version.contains("openattestation").then(|| version.to_owned())
}

/// Verifies an OpenAttestation document of `version`; `dns` are pinned TXT records, if any.
pub fn verify(doc: &Value, version: OaVersion, dns: Option<&PinnedRecords>) -> Verdict {
    match version {
        OaVersion::V2 => verify_v2(doc, dns),
        OaVersion::V3 => verify_v3(doc, dns),
        OaVersion::V4 => verify_v4(doc, dns),
    }
}

// ---------------------------------------------------------------------------------------------
// Shared: hashes and the Merkle proof.

fn keccak_hex(text: &str) -> String {
    hex::encode(eth::keccak256(text.as_bytes()))
}

fn hash32(text: &str, what: &str) -> Result<[u8; 32], String> {
    let text = text.strip_prefix("0x").unwrap_or(text);
    let bytes = hex::decode(text).map_err(|_| format!("{what} is not hex: {text:?}"))?;
    bytes.try_into().map_err(|_| format!("{what} is not 32 bytes: {text:?}"))
}

/// `checkProof` of `src/shared/merkle/merkle.ts`: fold the proof into the target hash, each
/// step Keccak-256 of the two hashes in byte order, and compare with the root.
fn check_merkle(proof: &[Value], root: &str, target: &str) -> Result<(), String> {
    let mut node = hash32(target, "targetHash")?;
    for (idx, step) in proof.iter().enumerate() {
        let step = step.as_str().ok_or_else(|| format!("proof[{idx}] is not a string"))?;
        let step = hash32(step, &format!("proof[{idx}]"))?;
        let (a, b) = if node <= step { (node, step) } else { (step, node) };
        let mut joined = [0u8; 64];
        joined[..32].copy_from_slice(&a);
        joined[32..].copy_from_slice(&b);
        node = eth::keccak256(&joined);
    }
    let root = hash32(root, "merkleRoot")?;
    if node == root {
        Ok(())
    } else {
        Err(format!(
            "the Merkle proof leads to {}, not to merkleRoot {}",
            hex::encode(node),
            hex::encode(root)
        ))
    }
}

/// The digest of sorted leaf hashes: keccak256(JSON.stringify(sortBy(hashes))).
fn digest_of(mut hashes: Vec<String>) -> String {
    js::sort_utf16(&mut hashes);
    keccak_hex(&js::stringify(&Value::Array(hashes.into_iter().map(Value::String).collect())))
}

fn obfuscated_list(value: Option<&Value>, what: &str) -> Result<Vec<String>, String> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(idx, v)| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| format!("{what}[{idx}] is not a string"))
            })
            .collect(),
        Some(_) => Err(format!("{what} is not an array")),
    }
}

fn str_at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(value, |v, key| v.get(key))?.as_str()
}

/// The address of a `did:ethr` (`did:ethr:0x…`, `did:ethr:<network>:0x…`), fragment dropped.
fn did_ethr_address(did: &str) -> Option<String> {
    let did = did.split('#').next()?;
    let rest = did.strip_prefix("did:ethr:")?;
    let last = rest.rsplit(':').next()?;
    let hex_part = last.strip_prefix("0x")?;
    (hex_part.len() == 40 && hex_part.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| format!("0x{}", hex_part.to_ascii_lowercase()))
}

/// `OpenAttestationSignature2018`: the signer of EIP-191 over the 32 bytes of the Merkle root
/// (`signer.signMessage(arrayify("0x" + merkleRoot))`, `src/shared/signer`) must be the
/// address of the `did:ethr` key. Offline we compare with the DID's own address, its default
/// controller; a controller changed on the ERC-1056 registry would need Ethereum.
fn check_did_signature(verdict: &mut Verdict, merkle_root: &str, key: &str, signature: &str) {
    let Some(address) = did_ethr_address(key) else {
        verdict.not_checked_why("signature", Why::OaKeyNotDidEthr, &[key]);
        return;
    };
    let root = match hash32(merkle_root, "merkleRoot") {
        Ok(root) => root,
        Err(err) => return verdict.invalid("signature", err),
    };
    let sig_hex = signature.strip_prefix("0x").unwrap_or(signature);
    let Ok(sig) = hex::decode(sig_hex) else {
        return verdict.invalid("signature", format!("signature is not hex: {signature:?}"));
    };
    match eth::recover_personal_sign(&root, &sig) {
        Ok(signer) if signer == address => {
            verdict.valid_why("signature", Why::OaDidSignature, &[&address, key]);
        }
        Ok(signer) => {
            verdict.invalid_why("signature", Why::OaWrongSigner, &[&signer, &address, key])
        }
        Err(err) => verdict.invalid("signature", err),
    }
}

fn check_dns_did(verdict: &mut Verdict, dns: Option<&PinnedRecords>, location: &str, key: &str) {
    match dns {
        None => verdict.not_checked_why("identity", Why::OaDnsDidNeedsRecords, &[location]),
        Some(records) if records.has_dns_did(location, key) => {
            verdict.valid_why("identity", Why::OaDnsDidPinned, &[location, key]);
        }
        Some(_) => verdict.invalid_why("identity", Why::OaDnsDidNotPinned, &[location, key]),
    }
}

fn check_dns_txt(
    verdict: &mut Verdict,
    dns: Option<&PinnedRecords>,
    location: &str,
    address: &str,
) {
    match dns {
        None => verdict.not_checked_why("identity", Why::OaDnsTxtNeedsRecords, &[location]),
        Some(records) if records.has_dns_txt(location, address) => {
            verdict.valid_why("identity", Why::OaDnsTxtPinned, &[location, address]);
        }
        Some(_) => verdict.invalid_why("identity", Why::OaDnsTxtNotPinned, &[location, address]),
    }
}

fn check_revocation(verdict: &mut Verdict, kind: &str, location: Option<&str>) {
    let name = "revocation";
    match (kind, location) {
        ("NONE", _) => verdict.valid_why(name, Why::OaNoRevocationMethod, &[]),
        ("OCSP_RESPONDER" | "OpenAttestationOcspResponder", None) => {
            verdict.not_checked_why(name, Why::OaOcsp, &[]);
        }
        ("OCSP_RESPONDER" | "OpenAttestationOcspResponder", Some(at)) => {
            verdict.not_checked_why(name, Why::OaOcspAt, &[at]);
        }
        ("REVOCATION_STORE", None) => verdict.not_checked_why(name, Why::OaRevocationStore, &[]),
        ("REVOCATION_STORE", Some(at)) => {
            verdict.not_checked_why(name, Why::OaRevocationStoreAt, &[at]);
        }
        (other, None) => {
            verdict.not_checked_why(name, Why::OaRevocationOther, &[&format!("{other:?}")]);
        }
        (other, Some(at)) => {
            let other = format!("{other:?}");
            verdict.not_checked_why(name, Why::OaRevocationOtherAt, &[&other, at]);
        }
    }
}

fn decode_salts(text: &str) -> Result<Vec<(String, String)>, String> {
    let engine = base64::engine::general_purpose::STANDARD;
    let bytes = engine
        .decode(text.trim())
        .or_else(|_| {
            base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(text.trim().trim_end_matches('='))
        })
        .map_err(|e| format!("proof.salts is not base64: {e}"))?;
    let value: Value =
        serde_json::from_slice(&bytes).map_err(|e| format!("proof.salts is not JSON: {e}"))?;
    let items = value.as_array().ok_or("proof.salts is not an array")?;
    items
        .iter()
        .enumerate()
        .map(|(idx, item)| {
            let value = item.get("value").and_then(Value::as_str);
            let path = item.get("path").and_then(Value::as_str);
            match (value, path) {
                (Some(v), Some(p)) => Ok((p.to_owned(), v.to_owned())),
                _ => Err(format!("proof.salts[{idx}] lacks a string value or path")),
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// v2.

/// The target hash of a v2 document (`digestDocument`, `src/2.0/digest.ts`): the data
/// flattened to `path → salted leaf` (the `flat` module: `.`-joined keys, array indexes as keys,
/// empty objects and arrays kept as values), each hashed as
/// keccak256(JSON.stringify({path: leaf})), joined with `privacy.obfuscatedData`, sorted, and
/// keccak256(JSON.stringify(sorted)).
///
/// # Errors
/// No `data` object, a key containing `.` (the library refuses those), or malformed
/// `privacy.obfuscatedData`.
pub fn v2_target_hash(doc: &Value) -> Result<String, String> {
    let data = doc.get("data").ok_or("the document has no data")?;
    let mut hashes =
        obfuscated_list(doc.pointer("/privacy/obfuscatedData"), "privacy.obfuscatedData")?;
    let mut leaves = Vec::new();
    flatten_v2(data, &mut String::new(), &mut leaves)?;
    for (path, leaf) in leaves {
        let mut obj = Map::new();
        obj.insert(path, leaf.clone());
        hashes.push(keccak_hex(&js::stringify(&Value::Object(obj))));
    }
    Ok(digest_of(hashes))
}

fn flatten_v2<'a>(
    value: &'a Value,
    path: &mut String,
    out: &mut Vec<(String, &'a Value)>,
) -> Result<(), String> {
    let children: Vec<(String, &Value)> = match value {
        Value::Object(map) if !map.is_empty() => {
            if let Some(key) = map.keys().find(|k| k.contains('.')) {
                return Err(format!("key names must not contain '.': {key:?}"));
            }
            map.iter().map(|(k, v)| (k.clone(), v)).collect()
        }
        Value::Array(items) if !items.is_empty() => {
            items.iter().enumerate().map(|(i, v)| (i.to_string(), v)).collect()
        }
        _ => {
            out.push((path.clone(), value));
            return Ok(());
        }
    };
    for (key, child) in children {
        let len = path.len();
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(&key);
        flatten_v2(child, path, out)?;
        path.truncate(len);
    }
    Ok(())
}

/// A v2 leaf without its salt: `"<uuid>:<type>:<value>"` → `<value>`.
fn unsalt(leaf: &str) -> &str {
    leaf.splitn(3, ':').nth(2).unwrap_or(leaf)
}

fn v2_str<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    str_at(value, path).map(unsalt)
}

/// The integrity of a v2 document, as `verifySignature` of `@govtechsg/open-attestation`
/// checks it: the salted data hashes to `signature.targetHash`, and `signature.proof` leads from
/// it to `signature.merkleRoot`. `Ok` says what was established (its English form is
/// [`Reason::english`]), `Err` why it fails.
///
/// # Errors
/// The reason the document fails: changed data, a proof that leads elsewhere, or no
/// `SHA3MerkleProof` signature block.
pub fn v2_integrity(doc: &Value) -> Result<Reason, String> {
    let signature = doc.get("signature");
    let target = signature.and_then(|s| s.get("targetHash")).and_then(Value::as_str);
    let root = signature.and_then(|s| s.get("merkleRoot")).and_then(Value::as_str);
    let proof = signature.and_then(|s| s.get("proof")).and_then(Value::as_array);
    let kind = signature.and_then(|s| s.get("type")).and_then(Value::as_str);
    let (Some("SHA3MerkleProof"), Some(target), Some(root), Some(proof)) =
        (kind, target, root, proof)
    else {
        return Err(
            "signature must be a SHA3MerkleProof with targetHash, proof and merkleRoot".to_owned()
        );
    };
    let digest = v2_target_hash(doc)?;
    if digest != target {
        return Err(format!(
            "the data hashes to {digest}, not to signature.targetHash {target}: the document was changed"
        ));
    }
    check_merkle(proof, root, target)?;
    Ok(Reason::new(Why::OaIntegrityV2, &[target, &proof.len().to_string(), root]))
}

fn verify_v2(doc: &Value, dns: Option<&PinnedRecords>) -> Verdict {
    let mut verdict = Verdict::new(OaVersion::V2.as_str());
    verdict.document_id =
        doc.pointer("/data/id").and_then(Value::as_str).map(|s| unsalt(s).to_owned());
    match v2_integrity(doc) {
        Ok(reason) => verdict.push_reason("integrity", Outcome::Valid(reason.english()), reason),
        Err(reason) => verdict.invalid("integrity", reason),
    }
    let root = doc.pointer("/signature/merkleRoot").and_then(Value::as_str).unwrap_or_default();
    let issuers = doc
        .pointer("/data/issuers")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    if issuers.is_empty() {
        verdict.invalid(
            "issuance",
            "data.issuers is empty: nobody claims to have issued the document",
        );
    }
    let proofs = doc.get("proof").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    for issuer in issuers {
        if verdict.issuer.is_none() {
            verdict.issuer = v2_str(issuer, &["name"]).map(str::to_owned);
        }
        let identity_type = v2_str(issuer, &["identityProof", "type"]).unwrap_or_default();
        let location = v2_str(issuer, &["identityProof", "location"]).unwrap_or_default();
        let store = ["documentStore", "certificateStore", "tokenRegistry"]
            .into_iter()
            .find_map(|field| v2_str(issuer, &[field]).map(|address| (field, address)));
        if let Some((field, address)) = store {
            if field == "tokenRegistry" {
                verdict.not_checked_why("issuance", Why::OaIssuedOnTokenRegistry, &[address]);
            } else {
                verdict.not_checked_why("issuance", Why::OaIssuedOnDocumentStore, &[address]);
                verdict.not_checked_why("revocation", Why::OaRevokedOnDocumentStore, &[address]);
            }
            match identity_type {
                "DNS-TXT" => check_dns_txt(&mut verdict, dns, location, address),
                other => verdict.invalid(
                    "identity",
                    format!("identity proof type {other:?} is not one of DNS-TXT for a {field}"),
                ),
            }
            continue;
        }
        let key = v2_str(issuer, &["identityProof", "key"]).unwrap_or_default();
        match identity_type {
            "DID" | "DNS-DID" => {
                let signed = proofs.iter().find(|p| {
                    p.get("verificationMethod").and_then(Value::as_str).is_some_and(|m| m.eq_ignore_ascii_case(key))
                });
                match signed {
                    None => verdict.invalid("signature", format!("no proof signed by {key}")),
                    Some(p) if p.get("type").and_then(Value::as_str) != Some("OpenAttestationSignature2018") => {
                        verdict.invalid("signature", "the proof is not of type OpenAttestationSignature2018")
                    }
                    Some(p) => {
                        let signature = p.get("signature").and_then(Value::as_str).unwrap_or_default();
                        check_did_signature(&mut verdict, root, key, signature);
                    }
                }
                if identity_type == "DNS-DID" {
                    check_dns_did(&mut verdict, dns, location, key);
                } else {
                    verdict.valid_why("identity", Why::OaDidIdentity, &[key]);
                }
                let revocation = v2_str(issuer, &["revocation", "type"]).unwrap_or("NONE");
                check_revocation(&mut verdict, revocation, v2_str(issuer, &["revocation", "location"]));
            }
            other => verdict.invalid("issuance", format!("the issuer has no document store, token registry or DID identity proof (identityProof.type {other:?})")),
        }
    }
    verdict
}

// ---------------------------------------------------------------------------------------------
// v3.

/// A lodash `get` path (`a.b[0].c`) into `value`.
fn lodash_get<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    let mut node = value;
    for part in path.split('.') {
        let (key, indexes) = match part.find('[') {
            Some(at) => (&part[..at], &part[at..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            node = node.get(key)?;
        }
        for index in indexes.split('[').filter(|s| !s.is_empty()) {
            let index: usize = index.strip_suffix(']')?.parse().ok()?;
            node = node.get(index)?;
        }
    }
    Some(node)
}

/// Leaves as `traverseAndFlatten` of `src/3.0` (primitives only) or `src/4.0` (empty objects
/// and arrays are leaves too): `path.key` and `path[i]` paths.
fn traverse(value: &Value, path: &mut String, empty_is_leaf: bool, out: &mut Vec<(String, Value)>) {
    match value {
        Value::Array(items) if !items.is_empty() => {
            for (idx, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{idx}]"));
                traverse(item, path, empty_is_leaf, out);
                path.truncate(len);
            }
        }
        Value::Object(map) if !map.is_empty() => {
            for (key, item) in map {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                traverse(item, path, empty_is_leaf, out);
                path.truncate(len);
            }
        }
        Value::Array(_) | Value::Object(_) if !empty_is_leaf => {}
        leaf => out.push((path.clone(), leaf.clone())),
    }
}

fn without_proof(doc: &Value) -> Value {
    let mut doc = doc.clone();
    if let Some(map) = doc.as_object_mut() {
        map.remove("proof");
    }
    doc
}

/// The target hash of a v3 document (`digestCredential`, `src/3.0/digest.ts`): for each salt
/// whose path exists, keccak256(JSON.stringify({path: `${salt}:${value}`})), with the
/// obfuscated hashes, sorted and hashed; the number of salts must equal the number of leaves
/// (`src/3.0/verify.ts`: nothing added, nothing removed).
///
/// # Errors
/// Malformed salts or a count that does not match.
pub fn v3_target_hash(doc: &Value) -> Result<String, String> {
    let salts = decode_salts(str_at(doc, &["proof", "salts"]).ok_or("proof.salts is missing")?)?;
    let obfuscated =
        obfuscated_list(doc.pointer("/proof/privacy/obfuscated"), "proof.privacy.obfuscated")?;
    let body = without_proof(doc);
    let mut leaves = Vec::new();
    traverse(&body, &mut String::new(), false, &mut leaves);
    if leaves.len() != salts.len() {
        return Err(format!(
            "the document has {} fields but proof.salts covers {}: a field was added or removed",
            leaves.len(),
            salts.len()
        ));
    }
    let mut hashes = obfuscated;
    for (path, salt) in &salts {
        let Some(value) = lodash_get(&body, path) else { continue };
        let mut obj = Map::new();
        obj.insert(path.clone(), Value::String(format!("{salt}:{}", js::to_js_string(value))));
        hashes.push(keccak_hex(&js::stringify(&Value::Object(obj))));
    }
    Ok(digest_of(hashes))
}

fn check_integrity(verdict: &mut Verdict, doc: &Value, digest: Result<String, String>) {
    let target = str_at(doc, &["proof", "targetHash"]).unwrap_or_default();
    let root = str_at(doc, &["proof", "merkleRoot"]).unwrap_or_default();
    let proofs = doc
        .pointer("/proof/proofs")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    match digest {
        Ok(digest) if digest != target => {
            verdict.invalid_why("integrity", Why::OaChanged, &[&digest, &format!("{target:?}")]);
        }
        Ok(_) => match check_merkle(proofs, root, target) {
            Ok(()) => {
                let steps = proofs.len().to_string();
                verdict.valid_why("integrity", Why::OaIntegrity, &[target, &steps, root]);
            }
            Err(err) => verdict.invalid("integrity", err),
        },
        Err(err) => verdict.invalid("integrity", err),
    }
}

fn verify_v3(doc: &Value, dns: Option<&PinnedRecords>) -> Verdict {
    let mut verdict = Verdict::new(OaVersion::V3.as_str());
    verdict.document_id =
        str_at(doc, &["id"]).or_else(|| str_at(doc, &["reference"])).map(str::to_owned);
    verdict.issuer = str_at(doc, &["issuer", "name"]).map(str::to_owned);
    if str_at(doc, &["proof", "type"]) != Some("OpenAttestationMerkleProofSignature2018") {
        verdict.invalid("integrity", "proof.type must be OpenAttestationMerkleProofSignature2018");
    } else {
        check_integrity(&mut verdict, doc, v3_target_hash(doc));
    }
    let root = str_at(doc, &["proof", "merkleRoot"]).unwrap_or_default();
    let meta = doc.get("openAttestationMetadata").cloned().unwrap_or(Value::Null);
    let method = str_at(&meta, &["proof", "method"]).unwrap_or_default();
    let value = str_at(&meta, &["proof", "value"]).unwrap_or_default();
    let identity = str_at(&meta, &["identityProof", "type"]).unwrap_or_default();
    let location = str_at(&meta, &["identityProof", "identifier"]).unwrap_or_default();
    match method {
        "DOCUMENT_STORE" | "TOKEN_REGISTRY" => {
            if method == "TOKEN_REGISTRY" {
                verdict.not_checked_why("issuance", Why::OaIssuedOnTokenRegistry, &[value]);
            } else {
                verdict.not_checked_why("issuance", Why::OaIssuedOnDocumentStore, &[value]);
                verdict.not_checked_why("revocation", Why::OaRevokedOnDocumentStore, &[value]);
            }
            match identity {
                "DNS-TXT" => check_dns_txt(&mut verdict, dns, location, value),
                other => verdict.invalid("identity", format!("identity proof type {other:?} is not DNS-TXT")),
            }
        }
        "DID" => {
            let key = str_at(doc, &["proof", "key"]).unwrap_or_default();
            match str_at(doc, &["proof", "signature"]) {
                None => verdict.invalid("signature", "the document is not signed (no proof.signature)"),
                Some(_) if !key.split('#').next().is_some_and(|d| d.eq_ignore_ascii_case(value)) => verdict.invalid(
                    "signature",
                    format!("proof.key {key} is not a key of the DID {value} named in openAttestationMetadata.proof"),
                ),
                Some(signature) => check_did_signature(&mut verdict, root, key, signature),
            }
            match identity {
                "DNS-DID" => check_dns_did(&mut verdict, dns, location, key),
                "DID" => verdict.valid_why("identity", Why::OaDidIdentity, &[value]),
                other => verdict.invalid("identity", format!("identity proof type {other:?} is not DID or DNS-DID")),
            }
            let revocation = str_at(&meta, &["proof", "revocation", "type"]).unwrap_or("NONE");
            check_revocation(&mut verdict, revocation, str_at(&meta, &["proof", "revocation", "location"]));
        }
        other => verdict.invalid("issuance", format!("openAttestationMetadata.proof.method {other:?} is not DOCUMENT_STORE, TOKEN_REGISTRY or DID")),
    }
    verdict
}

// ---------------------------------------------------------------------------------------------
// v4.

/// The target hash of a v4 document (`genTargetHash`, `src/4.0/hash.ts`): every leaf of the
/// document without `proof` (empty objects and arrays are leaves) must have a salt; each
/// hashes as keccak256(JSON.stringify({path: `${salt}:${type}:${value}`})) with `type` one of
/// string/number/boolean/null/object/array and `value` as a template literal writes it
/// (`[object Object]` for `{}`, the empty string for `[]`, JavaScript number text).
///
/// # Errors
/// Malformed salts, or a leaf without a salt (a field was added).
pub fn v4_target_hash(doc: &Value) -> Result<String, String> {
    let salts = decode_salts(str_at(doc, &["proof", "salts"]).ok_or("proof.salts is missing")?)?;
    for (path, salt) in &salts {
        // `decodeSalt`, src/4.0/salt.ts: 32 bytes of entropy as hex.
        if salt.len() != 64 {
            return Err(format!("the salt of {path} is not 32 bytes of hex"));
        }
    }
    let salts: std::collections::HashMap<&str, &str> =
        salts.iter().map(|(p, s)| (p.as_str(), s.as_str())).collect();
    let obfuscated =
        obfuscated_list(doc.pointer("/proof/privacy/obfuscated"), "proof.privacy.obfuscated")?;
    let body = without_proof(doc);
    let mut leaves = Vec::new();
    if body.as_object().is_some_and(|m| !m.is_empty()) {
        traverse(&body, &mut String::new(), true, &mut leaves);
    }
    let mut hashes = obfuscated;
    for (path, value) in leaves {
        let salt = salts
            .get(path.as_str())
            .ok_or_else(|| format!("no salt for {path}: the field was added after signing"))?;
        let kind = match &value {
            Value::Array(_) => "array",
            Value::Null => "null",
            Value::String(_) => "string",
            Value::Number(_) => "number",
            Value::Object(_) => "object",
            Value::Bool(_) => "boolean",
        };
        let mut obj = Map::new();
        obj.insert(path, Value::String(format!("{salt}:{kind}:{}", js::to_js_string(&value))));
        hashes.push(keccak_hex(&js::stringify(&Value::Object(obj))));
    }
    Ok(digest_of(hashes))
}

fn verify_v4(doc: &Value, dns: Option<&PinnedRecords>) -> Verdict {
    let mut verdict = Verdict::new(OaVersion::V4.as_str());
    verdict.document_id = str_at(doc, &["id"]).map(str::to_owned);
    verdict.issuer = str_at(doc, &["issuer", "name"]).map(str::to_owned);
    if str_at(doc, &["proof", "type"]) != Some("OpenAttestationHashProof2018") {
        verdict.invalid("integrity", "proof.type must be OpenAttestationHashProof2018");
    } else {
        check_integrity(&mut verdict, doc, v4_target_hash(doc));
    }
    let root = str_at(doc, &["proof", "merkleRoot"]).unwrap_or_default();
    let issuer_id = str_at(doc, &["issuer", "id"]).unwrap_or_default();
    let key = str_at(doc, &["proof", "key"]).unwrap_or_default();
    match str_at(doc, &["proof", "signature"]) {
        None => verdict.invalid(
            "signature",
            "the document is digested but not signed (no proof.key and proof.signature)",
        ),
        Some(_) if !key.split('#').next().is_some_and(|d| d.eq_ignore_ascii_case(issuer_id)) => {
            verdict.invalid(
                "signature",
                format!("proof.key {key} is not a key of the issuer {issuer_id}"),
            )
        }
        Some(signature) => check_did_signature(&mut verdict, root, key, signature),
    }
    let identity =
        str_at(doc, &["issuer", "identityProof", "identityProofType"]).unwrap_or_default();
    let location = str_at(doc, &["issuer", "identityProof", "identifier"]).unwrap_or_default();
    match identity {
        "DNS-DID" => check_dns_did(&mut verdict, dns, location, key),
        "DID" => verdict.valid_why("identity", Why::OaDidIdentity, &[issuer_id]),
        other => verdict.invalid(
            "identity",
            format!("issuer.identityProof.identityProofType {other:?} is not DNS-DID or DID"),
        ),
    }
    match doc.get("credentialStatus") {
        None | Some(Value::Null) => verdict.valid_why("revocation", Why::OaNoCredentialStatus, &[]),
        Some(status) => {
            let kind = str_at(status, &["type"]).unwrap_or_default();
            let location = str_at(status, &["id"]).or_else(|| str_at(status, &["location"]));
            check_revocation(&mut verdict, kind, location);
        }
    }
    verdict
}

#[cfg(test)]
mod tests;
