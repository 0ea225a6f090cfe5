//! Other systems' trade documents: verification of OpenAttestation (TradeTrust) documents v2, v3
//! and v4 (`oa`), UN/CEFACT SPS certificate XML out of and into our phytosanitary certificates
//! (`sps`), UNTP credentials out of and into our certificates of origin and product passports
//! (`untp`, with their JSON Schemas and embedded Data Integrity proofs, `data_integrity`), and
//! the recognition of which of these a file holds (`detect`).
//!
//! Pure: values in, values out. Checks that need the network (DNS, Ethereum, OCSP) are reported
//! as not checked, never as passed; pinned DNS TXT records (`dns`) come in as a value.

pub mod data_integrity;
pub mod detect;
pub mod dns;
mod eth;
mod js;
pub mod oa;
pub mod sps;
pub mod untp;
pub mod verdict;
pub mod xml;

/// The largest document this crate reads, in bytes; larger input is refused before parsing.
pub const MAX_DOCUMENT_BYTES: usize = 8 * 1024 * 1024;

#[cfg(test)]
mod tests;
