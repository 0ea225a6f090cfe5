//! The Ed25519 signatures of certificates presented at the same time, checked together.
//!
//! Every certificate presented with a declaration carries two Ed25519 signatures (its issuer's
//! proof and its log checkpoint's). One thread takes every check waiting and verifies them in
//! one batch ([`caravan_docsign::sig::verify_ed25519_checks`]: one multi-scalar
//! multiplication; each result is what checking that signature alone gives, but for the
//! signer-made case that function names), so the cost per signature falls as lodgements
//! arrive together, and a lone lodgement waits for nothing but its own two checks. Like the declaration writer's group commit, nothing waits
//! on a timer: a batch is whatever queued while the previous one ran.

use std::sync::OnceLock;
use std::sync::mpsc;

use caravan_docsign::sig::{self, Ed25519Check, SignatureError};
use tokio::sync::oneshot;

/// Most signatures in one batch: past a few hundred the batch equation gains little more,
/// and the first lodgement of a batch would wait for the rest.
const MAX_BATCH: usize = 256;

type Results = Vec<Result<(), SignatureError>>;

struct Job {
    checks: Vec<Ed25519Check>,
    reply: oneshot::Sender<Results>,
}

/// The checking thread's queue, started on first use; the thread ends with the state.
#[derive(Default)]
pub struct SignatureBatcher {
    sender: OnceLock<Option<mpsc::Sender<Job>>>,
}

impl SignatureBatcher {
    /// The result of each check, in order.
    pub async fn verify(&self, checks: Vec<Ed25519Check>) -> Results {
        if checks.is_empty() {
            return Vec::new();
        }
        let (reply, answer) = oneshot::channel();
        let Some(sender) = self.sender() else { return verify_here(&checks) };
        if let Err(mpsc::SendError(job)) = sender.send(Job { checks, reply }) {
            return verify_here(&job.checks);
        }
        // The thread answers every job it takes; a dropped reply means it panicked, and the
        // signatures count as unverified.
        answer.await.unwrap_or_default()
    }

    fn sender(&self) -> Option<&mpsc::Sender<Job>> {
        self.sender
            .get_or_init(|| {
                let (sender, receiver) = mpsc::channel::<Job>();
                std::thread::Builder::new()
                    .name("caravan-signatures".to_owned())
                    .spawn(move || run(&receiver))
                    .ok()
                    .map(|_| sender)
            })
            .as_ref()
    }
}

fn verify_here(checks: &[Ed25519Check]) -> Results {
    checks.iter().map(Ed25519Check::verify).collect()
}

fn run(receiver: &mpsc::Receiver<Job>) {
    while let Ok(first) = receiver.recv() {
        let mut n = first.checks.len();
        let mut jobs = vec![first];
        while n < MAX_BATCH {
            let Ok(job) = receiver.try_recv() else { break };
            n += job.checks.len();
            jobs.push(job);
        }
        let refs: Vec<&Ed25519Check> = jobs.iter().flat_map(|job| &job.checks).collect();
        let mut results = sig::verify_ed25519_checks(&refs).into_iter();
        for job in jobs {
            let mine: Results = results.by_ref().take(job.checks.len()).collect();
            let _ = job.reply.send(mine);
        }
    }
}

#[cfg(test)]
mod tests;
