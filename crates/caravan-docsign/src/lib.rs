//! Verifiable trade certificates: certificates of origin, phytosanitary certificates and
//! mineral product passports as W3C Verifiable Credentials 2.0, signed, logged and verified
//! offline.
//!
//! The pieces, each a module of pure functions on bytes and values (no I/O, no clock, no
//! randomness: times and key seeds are arguments):
//! - [`jcs`]: strict JSON parsing and RFC 8785 canonicalisation;
//! - [`sig`]: Ed25519 (RFC 8032) and SM2 with SM3 (GB/T 32918, GB/T 32905);
//! - [`credential`]: the document model, JSON Schemas and validation;
//! - [`proof`]: Data Integrity proofs (`eddsa-jcs-2022` and an SM2 analogue);
//! - [`jws`]: the JWS compact form (VC-JOSE-COSE);
//! - [`merkle`]: RFC 9162 §2.1 tree hashes and proofs;
//! - [`log`]: log entries, signed checkpoints, record framing, revocation state;
//! - [`trust`]: the trust list;
//! - [`verify`]: issuing complete certificates and verifying them with a plain-words report;
//! - [`qr`]: the compact QR form (zlib and Base45, after the EU DCC's 2D code) and its decoding.

pub mod credential;
pub mod jcs;
pub mod jws;
pub mod log;
pub mod merkle;
pub mod proof;
pub mod qr;
pub mod sig;
pub mod trust;
pub mod verify;
