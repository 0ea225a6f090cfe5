//! The cross-border exchange of the smooth-trade platform (issue 16): each country runs a
//! national node, and nodes hand each other certificates, pre-arrival data and business answers
//! as **envelopes**.
//!
//! - [`identity`]: a node's identity file (country, URL, signing keys) and the set of peers a
//!   node trusts, with retired keys kept so that old envelopes still name a known key.
//! - [`envelope`]: the envelope — a header modelled on the IPPC ePhyto Hub's `EnvelopeHeader`
//!   (from, to, document type and status, document number) extended with what the Hub leaves to
//!   its central server: a message id, a sequence number per (sender, receiver) pair and the hash
//!   of the previous envelope of the pair — and a JSON payload; signed by the sending node over
//!   the RFC 8785 form of header and payload as a JWS in the general JSON serialization with a
//!   detached payload (RFC 7515 §7.2.1, Appendix F): Ed25519 always, SM2/SM3 as a co-signature
//!   where the node has an SM2 key.
//! - [`receive`]: what a receiving node does with an envelope, as a pure function of the
//!   envelope, its peers and the pair's state: refuse it (with the reason a dead-letter list
//!   shows), apply it (the next in sequence, chained to the last applied), hold it (a gap before
//!   it), or acknowledge it again without effect (a duplicate). The store commits the inbox row
//!   and the effect in one transaction, which makes the effect exactly-once over an
//!   at-least-once transport.
//!
//! Domain: no I/O, no clock (times come in), no randomness (message ids come in).

pub mod envelope;
pub mod identity;
pub mod receive;

pub use envelope::{DocumentStatus, Envelope, EnvelopeError, Header, MessageKind};
pub use identity::{NodeIdentity, NodeKey, Peers};
pub use receive::{Outcome, PairState, Refusal};

#[cfg(test)]
mod tests;
