//! Unit tests of `certs::signatures`.
use std::sync::Arc;

use caravan_docsign::sig::{Algorithm, Ed25519Check, Ed25519Key, PrivateKey};

use super::SignatureBatcher;

fn check(key: &PrivateKey, i: u32) -> Ed25519Check {
    let message = format!("checkpoint {i}").into_bytes();
    Ed25519Check {
        key: Ed25519Key::decode(&key.public_key()).unwrap(),
        signature: key.sign(&message),
        message,
    }
}

/// Many lodgements at once, some presenting a damaged signature: each gets its own results,
/// in order, whatever batch its checks landed in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_callers_each_get_their_own_results() {
    let issuer = PrivateKey::from_secret_bytes(Algorithm::Ed25519, &[7; 32], "").unwrap();
    let log = PrivateKey::from_secret_bytes(Algorithm::Ed25519, &[8; 32], "").unwrap();
    let batcher = Arc::new(SignatureBatcher::default());
    let tasks: Vec<_> = (0..60u32)
        .map(|i| {
            let (batcher, issuer, log) = (batcher.clone(), issuer.clone(), log.clone());
            tokio::spawn(async move {
                let mut checks = vec![check(&issuer, i), check(&log, i)];
                if i % 7 == 3 {
                    checks[1].signature[40] ^= 1;
                }
                if i % 11 == 5 {
                    checks[0].message.push(b'!');
                }
                (i, batcher.verify(checks).await)
            })
        })
        .collect();
    for task in tasks {
        let (i, results) = task.await.unwrap();
        assert_eq!(results.len(), 2, "caller {i}");
        assert_eq!(results[0].is_ok(), i % 11 != 5, "caller {i}: issuer signature");
        assert_eq!(results[1].is_ok(), i % 7 != 3, "caller {i}: checkpoint signature");
    }
    assert!(batcher.verify(Vec::new()).await.is_empty());
}
