//! The other-format lines of `caravan bench certs`: OpenAttestation v2 integrity (what
//! `verifySignature` of `@govtechsg/open-attestation` checks: target hash and Merkle proof) over
//! the same documents `scripts/bench-oa-peer.sh` gives the library, integrity with the DID
//! signature, and SPS XML export and import, each on one thread.

use std::io::Write;
use std::time::Instant;

use anyhow::Result;
use caravan_docsign::credential::{DocumentType, sample_subject};
use caravan_interop::oa::{self, OaVersion};
use caravan_interop::{sps, verdict::Status};

/// The OpenAttestation v2 vectors of caravan-interop (its tests/data/PROVENANCE.md) that the
/// library's `verifySignature` accepts: every one but `obfuscated-wrapped.json`.
/// `crates/caravan-interop/benches/oa_peer.js` gives the library the same list.
const OA_V2_DOCUMENTS: [(&str, &str); 10] = [
    (
        "did-ocsp-revocation-signed",
        include_str!("../../caravan-interop/tests/data/oa/v2/did-ocsp-revocation-signed.json"),
    ),
    (
        "did-revocation-store-signed-not-revoked",
        include_str!(
            "../../caravan-interop/tests/data/oa/v2/did-revocation-store-signed-not-revoked.json"
        ),
    ),
    (
        "did-signed-ocsp-responder",
        include_str!("../../caravan-interop/tests/data/oa/v2/did-signed-ocsp-responder.json"),
    ),
    ("did-signed", include_str!("../../caravan-interop/tests/data/oa/v2/did-signed.json")),
    ("did-wrapped", include_str!("../../caravan-interop/tests/data/oa/v2/did-wrapped.json")),
    (
        "did-wrong-signature",
        include_str!("../../caravan-interop/tests/data/oa/v2/did-wrong-signature.json"),
    ),
    (
        "dnsdid-revocation-store-signed-not-revoked",
        include_str!(
            "../../caravan-interop/tests/data/oa/v2/dnsdid-revocation-store-signed-not-revoked.json"
        ),
    ),
    ("dnsdid-signed", include_str!("../../caravan-interop/tests/data/oa/v2/dnsdid-signed.json")),
    (
        "not-obfuscated-wrapped",
        include_str!("../../caravan-interop/tests/data/oa/v2/not-obfuscated-wrapped.json"),
    ),
    (
        "wrapped-transferable-document",
        include_str!("../../caravan-interop/tests/data/oa/v2/wrapped-transferable-document.json"),
    ),
];

fn rate(count: usize, start: Instant) -> (f64, f64) {
    let seconds = start.elapsed().as_secs_f64();
    (count as f64 / seconds, seconds * 1e6 / count as f64)
}

/// Prints the other-format lines; `n` is the number of verifications of each kind and `phyto`
/// our phytosanitary certificate to export.
///
/// # Errors
/// When a vector unexpectedly fails or the SPS XML does not read back.
pub(crate) fn other_formats(
    stdout: &mut impl Write,
    n: usize,
    phyto: &serde_json::Value,
) -> Result<()> {
    let docs: Vec<serde_json::Value> = OA_V2_DOCUMENTS
        .iter()
        .map(|(_, text)| serde_json::from_str(text))
        .collect::<Result<_, _>>()?;
    for ((name, _), doc) in OA_V2_DOCUMENTS.iter().zip(&docs) {
        oa::v2_integrity(doc).map_err(|e| anyhow::anyhow!("OpenAttestation vector {name}: {e}"))?;
    }
    let start = Instant::now();
    for doc in docs.iter().cycle().take(n) {
        oa::v2_integrity(doc).map_err(anyhow::Error::msg)?;
    }
    let (per_s, us) = rate(n, start);
    writeln!(
        stdout,
        "OpenAttestation v2 integrity ({} documents):     {per_s:>10.0} /s  {us:.1} us/doc",
        docs.len()
    )?;

    // Integrity and the DID signature (secp256k1 recovery), on the DID-signed vector.
    let signed = &docs[3];
    let start = Instant::now();
    for _ in 0..n {
        let verdict = oa::verify(signed, OaVersion::V2, None);
        anyhow::ensure!(
            verdict.status() != Status::Invalid,
            "the OpenAttestation vector failed: {}",
            verdict.to_text()
        );
    }
    let (per_s, us) = rate(n, start);
    writeln!(
        stdout,
        "OpenAttestation v2 integrity + DID signature:     {per_s:>10.0} /s  {us:.1} us/doc"
    )?;

    // SPS XML of our phytosanitary certificate.
    let mut phyto = phyto.clone();
    phyto["type"] = serde_json::json!([
        "VerifiableCredential",
        "DigitalConformityCredential",
        "PhytosanitaryCertificate"
    ]);
    phyto["credentialSubject"] = sample_subject(DocumentType::Phyto);
    let start = Instant::now();
    let mut xml = String::new();
    for _ in 0..n {
        xml = sps::export_phyto(&phyto)?;
    }
    let (export, _) = rate(n, start);
    let start = Instant::now();
    for _ in 0..n {
        let view = sps::import(&xml)?;
        anyhow::ensure!(view.unmapped.is_empty(), "our SPS XML left elements unmapped");
    }
    let (import, _) = rate(n, start);
    writeln!(
        stdout,
        "SPS XML export ({} bytes):                      {export:>10.0} /s",
        xml.len()
    )?;
    writeln!(stdout, "SPS XML import:                                  {import:>10.0} /s")?;
    Ok(())
}
