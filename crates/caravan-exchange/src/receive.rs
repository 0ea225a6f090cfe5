//! What a receiving node does with an envelope: a pure decision the store then commits.
//!
//! Exactly-once effect over at-least-once delivery: a sender resends until it holds an answer,
//! so the receiver sees duplicates, and a transport may reorder. The receiver keeps, per sending
//! node, the last sequence it applied and that envelope's hash ([`PairState`]), and commits the
//! inbox row (keyed by sender and sequence) in the same transaction as the envelope's effect. Then
//! an envelope is either the next one and chained to the last ([`Outcome::Apply`]), one already
//! applied with the same content ([`Outcome::Duplicate`]: answer again, change nothing), one
//! after a gap ([`Outcome::Hold`]: keep it until the gap is filled or re-requested), or refused
//! ([`Refusal`], which the dead-letter list shows with its reason).

use caravan_docsign::sig::{self, Algorithm};
use caravan_types::CountryCode;

use crate::envelope::{Envelope, EnvelopeError};
use crate::identity::Peers;

/// How far ahead of the next expected sequence an envelope is held; beyond it, it is refused
/// as coming from the future (a sender cannot make a receiver hold unbounded state).
pub const MAX_AHEAD: u64 = 10_000;

/// The receiver's state of one sending node.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PairState {
    /// The last sequence applied (0: none yet).
    pub last_applied: u64,
    /// [`Envelope::hash`] of that envelope.
    pub last_hash: String,
}

/// What to do with an envelope that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The next of its pair: apply it, then `last_applied = sequence`, `last_hash = hash`.
    Apply,
    /// Already applied, the same envelope: answer as before, change nothing.
    Duplicate,
    /// A gap before it: keep it; `expected` is the sequence missing first.
    Hold { expected: u64 },
}

/// Why an envelope was refused; nothing of it takes effect.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error(transparent)]
    Malformed(#[from] EnvelopeError),
    #[error("the envelope is addressed to {to}, not to this node ({me})")]
    NotForUs { to: CountryCode, me: CountryCode },
    #[error("{from} is not a peer of this node: an administrator adds its identity first")]
    UnknownPeer { from: CountryCode },
    #[error("no key {kid} in {from}'s identity")]
    UnknownKey { from: CountryCode, kid: String },
    #[error("key {kid} of {from} is retired and verifies nothing")]
    RetiredKey { from: CountryCode, kid: String },
    #[error("key {kid} is {declared} in the identity but the signature says {used}")]
    WrongAlgorithm { kid: String, declared: Algorithm, used: Algorithm },
    #[error(
        "the signature by {kid} does not verify: the envelope was changed or not signed by {from}"
    )]
    BadSignature { from: CountryCode, kid: String },
    #[error("no Ed25519 signature by a current key of {from}")]
    NoEd25519Signature { from: CountryCode },
    #[error("{from} signs with SM2 too, and this envelope has no SM2 co-signature")]
    MissingSm2Signature { from: CountryCode },
    #[error(
        "sequence {sequence} names previous hash {got}, but the envelope applied before it has {expected}: the chain is broken"
    )]
    ChainBroken { sequence: u64, expected: String, got: String },
    #[error(
        "sequence {sequence} was applied with other content (hash {applied}): a replay or a forgery"
    )]
    Conflict { sequence: u64, applied: String },
    #[error("sequence {sequence} is more than {MAX_AHEAD} ahead of {expected}, the next expected")]
    FromTheFuture { sequence: u64, expected: u64 },
}

impl Refusal {
    /// A stable code for the dead-letter list and the sender's answer.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Malformed(EnvelopeError::TooLarge { .. }) => "exchange.too_large",
            Self::Malformed(_) => "exchange.malformed",
            Self::NotForUs { .. } => "exchange.not_for_us",
            Self::UnknownPeer { .. } => "exchange.unknown_peer",
            Self::UnknownKey { .. } => "exchange.unknown_key",
            Self::RetiredKey { .. } => "exchange.retired_key",
            Self::WrongAlgorithm { .. } | Self::BadSignature { .. } => "exchange.bad_signature",
            Self::NoEd25519Signature { .. } | Self::MissingSm2Signature { .. } => {
                "exchange.missing_signature"
            }
            Self::ChainBroken { .. } => "exchange.chain_broken",
            Self::Conflict { .. } => "exchange.replay",
            Self::FromTheFuture { .. } => "exchange.from_the_future",
        }
    }
}

/// Checks `envelope` for the node of country `me`: [`verify_origin`], then [`place`] in its
/// pair's sequence. `applied_hash(sequence)` gives the hash of an envelope already applied from
/// this sender (the inbox row), for duplicates.
///
/// # Errors
/// [`Refusal`], the first check that failed.
pub fn check(
    envelope: &Envelope,
    me: CountryCode,
    peers: &Peers,
    pair: &PairState,
    applied_hash: impl Fn(u64) -> Option<String>,
) -> Result<Outcome, Refusal> {
    verify_origin(envelope, me, peers)?;
    place(envelope, pair, applied_hash)
}

/// Who sent it and to whom: addressed to `me`, from a peer, signed by the peer's current keys
/// (every signature verifies; an Ed25519 one always, an SM2 one too when the peer has a current
/// SM2 key). What `caravan exchange verify` checks offline.
///
/// # Errors
/// [`Refusal`], the first check that failed.
pub fn verify_origin(envelope: &Envelope, me: CountryCode, peers: &Peers) -> Result<(), Refusal> {
    let header = &envelope.header;
    let from = header.from;
    if header.to != me {
        return Err(Refusal::NotForUs { to: header.to, me });
    }
    let peer = peers.get(from).ok_or(Refusal::UnknownPeer { from })?;
    let mut signed_by = Vec::new();
    for decoded in envelope.decoded_signatures()? {
        let key = peer
            .key(&decoded.kid)
            .ok_or_else(|| Refusal::UnknownKey { from, kid: decoded.kid.clone() })?;
        if key.retired {
            return Err(Refusal::RetiredKey { from, kid: decoded.kid });
        }
        if key.alg != decoded.alg {
            return Err(Refusal::WrongAlgorithm {
                kid: decoded.kid,
                declared: key.alg,
                used: decoded.alg,
            });
        }
        let sm2_id = key.sm2_id.as_deref().unwrap_or("");
        sig::verify(
            key.alg,
            &key.public_key_bytes(),
            &decoded.signing_input,
            &decoded.signature,
            sm2_id,
        )
        .map_err(|_| Refusal::BadSignature { from, kid: decoded.kid.clone() })?;
        signed_by.push(key.alg);
    }
    if !signed_by.contains(&Algorithm::Ed25519) {
        return Err(Refusal::NoEd25519Signature { from });
    }
    if peer.current(Algorithm::Sm2).next().is_some() && !signed_by.contains(&Algorithm::Sm2) {
        return Err(Refusal::MissingSm2Signature { from });
    }
    Ok(())
}

/// Where an envelope of a verified origin falls in its pair's sequence.
///
/// # Errors
/// [`Refusal::Conflict`], [`Refusal::FromTheFuture`], [`Refusal::ChainBroken`].
pub fn place(
    envelope: &Envelope,
    pair: &PairState,
    applied_hash: impl Fn(u64) -> Option<String>,
) -> Result<Outcome, Refusal> {
    let header = &envelope.header;
    let sequence = header.sequence;
    let expected = pair.last_applied + 1;
    if sequence < expected {
        let hash = envelope.hash();
        return match applied_hash(sequence) {
            Some(applied) if applied == hash => Ok(Outcome::Duplicate),
            Some(applied) => Err(Refusal::Conflict { sequence, applied }),
            // The inbox keeps every applied row; a missing one is the store's fault, and the
            // safe answer is to change nothing.
            None => Err(Refusal::Conflict { sequence, applied: String::new() }),
        };
    }
    if sequence > expected {
        if sequence - expected > MAX_AHEAD {
            return Err(Refusal::FromTheFuture { sequence, expected });
        }
        return Ok(Outcome::Hold { expected });
    }
    if header.previous_hash != pair.last_hash {
        return Err(Refusal::ChainBroken {
            sequence,
            expected: pair.last_hash.clone(),
            got: header.previous_hash.clone(),
        });
    }
    Ok(Outcome::Apply)
}
