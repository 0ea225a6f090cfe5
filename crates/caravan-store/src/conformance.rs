//! The conformance suite: behaviour every [`Store`] adapter must show, run by each adapter's
//! tests through [`conformance_tests!`](crate::conformance_tests) on a fresh, empty store.

use time::{Duration, OffsetDateTime};

use crate::{
    Actor, AuditEntry, Change, NewAudit, NewOrganisation, NewUser, OrgKind, Role, Session, Store,
    StoreError, verify_audit_chain,
};
use caravan_types::CountryCode;

/// A fixed instant, so tests need no clock.
pub fn t0() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_764_000_000).expect("a valid fixed instant")
}

fn change(minutes: i64) -> Change {
    Change { actor: Actor::system("test"), at: t0() + Duration::minutes(minutes) }
}

fn kz() -> CountryCode {
    CountryCode::parse("KZ").expect("valid")
}

async fn org(store: &dyn Store, name: &str, kind: OrgKind) -> crate::Organisation {
    store
        .create_organisation(
            &change(0),
            &NewOrganisation { name: name.to_owned(), kind, country: kz() },
        )
        .await
        .expect("creating an organisation")
}

fn new_user(org_id: i64, username: &str, role: Role) -> NewUser {
    NewUser {
        username: username.to_owned(),
        display_name: format!("{username} display"),
        org_id,
        role,
        password_hash: "$argon2id$stub-hash-for-storage-tests".to_owned(),
    }
}

/// Organisations and users round-trip; usernames are unique; users list per organisation.
pub async fn organisations_and_users(store: &dyn Store) {
    assert_eq!(store.count_users().await.expect("count"), 0);
    let customs = org(store, "State Revenue Committee", OrgKind::CustomsAdministration).await;
    let trader = org(store, "Altyn Trade LLP", OrgKind::TradingCompany).await;
    assert_eq!(store.organisation(customs.id).await.expect("read"), Some(customs.clone()));
    assert_eq!(store.organisations().await.expect("list").len(), 2);
    assert_eq!(customs.created_at, t0());

    let officer = store
        .create_user(&change(1), &new_user(customs.id, "aigerim", Role::CustomsOfficer))
        .await
        .expect("create");
    let broker = store
        .create_user(&change(1), &new_user(trader.id, "bolat", Role::Broker))
        .await
        .expect("create");
    assert_eq!(officer.role, Role::CustomsOfficer);
    assert!(officer.active);
    assert_eq!(store.user(officer.id).await.expect("read"), Some(officer.clone()));
    assert_eq!(store.user_by_username("bolat").await.expect("read"), Some(broker.clone()));
    assert_eq!(store.user_by_username("nobody").await.expect("read"), None);
    assert_eq!(store.users(Some(trader.id)).await.expect("list"), vec![broker.clone()]);
    assert_eq!(store.users(None).await.expect("list").len(), 2);
    assert_eq!(store.count_users().await.expect("count"), 2);

    let dup = store.create_user(&change(2), &new_user(trader.id, "bolat", Role::Trader)).await;
    assert!(
        matches!(dup, Err(StoreError::Conflict { .. })),
        "duplicate username must conflict: {dup:?}"
    );
    let orphan = store.create_user(&change(2), &new_user(9_999, "ghost", Role::Trader)).await;
    assert!(matches!(orphan, Err(StoreError::NotFound { .. })), "unknown organisation: {orphan:?}");
    assert_eq!(store.count_users().await.expect("count"), 2, "rejected users must not be stored");

    let disabled = store.set_user_active(&change(3), broker.id, false).await.expect("disable");
    assert!(!disabled.active);
    store.set_user_password(&change(3), broker.id, "$argon2id$new").await.expect("password");
    assert_eq!(
        store.user(broker.id).await.expect("read").expect("exists").password_hash,
        "$argon2id$new"
    );
    assert!(matches!(
        store.set_user_active(&change(3), 12_345, true).await,
        Err(StoreError::NotFound { .. })
    ));
}

/// Sessions are found by token hash, deleted, and expire.
pub async fn sessions(store: &dyn Store) {
    let o = org(store, "Chamber", OrgKind::CertifyingBody).await;
    let user = store
        .create_user(&change(0), &new_user(o.id, "chamber", Role::Certifier))
        .await
        .expect("create");
    let live = Session {
        token_hash: "a".repeat(64),
        user_id: user.id,
        csrf_token: "csrf1".into(),
        expires_at: t0() + Duration::hours(8),
    };
    let old = Session {
        token_hash: "b".repeat(64),
        user_id: user.id,
        csrf_token: "csrf2".into(),
        expires_at: t0() - Duration::hours(1),
    };
    let audited = |entries: Vec<AuditEntry>| -> Vec<String> {
        entries.into_iter().filter(|e| e.action.starts_with("session.")).map(|e| e.action).collect()
    };
    store.create_session(&change(1), &live, serde_json::Value::Null).await.expect("create");
    store.create_session(&change(1), &old, serde_json::Value::Null).await.expect("create");
    assert_eq!(store.session(&live.token_hash).await.expect("read"), Some(live.clone()));
    assert_eq!(store.delete_expired_sessions(&change(2), t0()).await.expect("expire"), 1);
    assert_eq!(store.session(&old.token_hash).await.expect("read"), None);
    store.delete_session(&change(3), &live.token_hash, "session.logout").await.expect("delete");
    assert_eq!(store.session(&live.token_hash).await.expect("read"), None);
    // A second logout of the same session changes nothing and audits nothing.
    store.delete_session(&change(4), &live.token_hash, "session.logout").await.expect("again");
    assert_eq!(
        audited(store.audit_entries(0, 1000).await.expect("audit")),
        ["session.login", "session.login", "session.expire", "session.logout"],
        "every session change is audited, once"
    );
}

/// API tokens are listed per user, found by hash, and revoked.
pub async fn api_tokens(store: &dyn Store) {
    let o = org(store, "Broker", OrgKind::CustomsBroker).await;
    let user = store
        .create_user(&change(0), &new_user(o.id, "robot", Role::Broker))
        .await
        .expect("create");
    let token =
        store.create_api_token(&change(1), user.id, "ci", &"c".repeat(64)).await.expect("create");
    assert_eq!(token.revoked_at, None);
    assert_eq!(store.api_token_by_hash(&"c".repeat(64)).await.expect("read"), Some(token.clone()));
    assert_eq!(store.api_tokens(user.id).await.expect("list"), vec![token.clone()]);
    let revoked = store.revoke_api_token(&change(2), token.id).await.expect("revoke");
    assert_eq!(revoked.revoked_at, Some(t0() + Duration::minutes(2)));
    assert_eq!(
        store.api_token_by_hash(&"c".repeat(64)).await.expect("read").expect("kept").revoked_at,
        revoked.revoked_at
    );
    assert!(matches!(
        store.revoke_api_token(&change(3), 777).await,
        Err(StoreError::NotFound { .. })
    ));
}

/// Every change is audited in order, chained, and the chain verifies; tampering is caught.
pub async fn audit_chain(store: &dyn Store) {
    let o = org(store, "Audit org", OrgKind::PlatformOperator).await;
    let user =
        store.create_user(&change(1), &new_user(o.id, "admin", Role::Admin)).await.expect("create");
    store
        .append_audit(
            &change(2),
            NewAudit {
                action: "session.login",
                target: format!("user:{}", user.id),
                details: serde_json::json!({"ip": "127.0.0.1"}),
            },
        )
        .await
        .expect("append");
    let entries = store.audit_entries(0, 100).await.expect("read");
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["organisation.create", "user.create", "session.login"]);
    assert_eq!(entries.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3]);
    verify_audit_chain(&entries).expect("an untouched chain verifies");
    assert_eq!(store.audit_entries(2, 100).await.expect("read").len(), 1);
    assert_eq!(store.audit_entries(0, 2).await.expect("read").len(), 2);

    let mut tampered = entries.clone();
    tampered[1].details = serde_json::json!({"role": "admin"});
    let broken = verify_audit_chain(&tampered).expect_err("altered details must break the chain");
    assert_eq!(broken.seq, 2);
}

/// Concurrent appends from many tasks still form one unbroken chain.
pub async fn audit_chain_under_concurrency(store: std::sync::Arc<dyn Store>) {
    let mut handles = Vec::new();
    for task in 0..8 {
        let store = store.clone();
        handles.push(async move {
            for n in 0..10 {
                store
                    .append_audit(
                        &change(task),
                        NewAudit {
                            action: "test.append",
                            target: format!("task:{task}:{n}"),
                            details: serde_json::Value::Null,
                        },
                    )
                    .await
                    .expect("append");
            }
        });
    }
    futures_join_all(handles).await;
    let entries = store.audit_entries(0, 1_000).await.expect("read");
    assert_eq!(entries.len(), 80);
    verify_audit_chain(&entries).expect("concurrent appends keep the chain");
}

/// Joins futures without an executor dependency: polls them in turn on the caller's runtime.
async fn futures_join_all<F: std::future::Future<Output = ()> + Send>(futures: Vec<F>) {
    let mut pinned: Vec<std::pin::Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    std::future::poll_fn(move |cx| {
        pinned.retain_mut(|f| f.as_mut().poll(cx).is_pending());
        if pinned.is_empty() { std::task::Poll::Ready(()) } else { std::task::Poll::Pending }
    })
    .await;
}

/// Generates one `#[tokio::test]` per conformance check. `$make` is an async expression
/// returning `Option<Arc<dyn Store>>` for a fresh, empty store (`None` skips, e.g. when no
/// PostgreSQL URL is configured; the skip is printed).
#[macro_export]
macro_rules! conformance_tests {
    ($make:expr) => {
        #[tokio::test]
        async fn conformance_organisations_and_users() {
            if let Some(store) = $make.await {
                $crate::conformance::organisations_and_users(&*store).await;
            }
        }
        #[tokio::test]
        async fn conformance_sessions() {
            if let Some(store) = $make.await {
                $crate::conformance::sessions(&*store).await;
            }
        }
        #[tokio::test]
        async fn conformance_api_tokens() {
            if let Some(store) = $make.await {
                $crate::conformance::api_tokens(&*store).await;
            }
        }
        #[tokio::test]
        async fn conformance_audit_chain() {
            if let Some(store) = $make.await {
                $crate::conformance::audit_chain(&*store).await;
            }
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn conformance_audit_chain_under_concurrency() {
            if let Some(store) = $make.await {
                $crate::conformance::audit_chain_under_concurrency(store).await;
            }
        }
        #[tokio::test]
        async fn conformance_certs() {
            if let Some(store) = $make.await {
                $crate::certs::conformance(&*store).await;
            }
        }
        #[tokio::test]
        async fn conformance_declarations() {
            if let Some(store) = $make.await {
                $crate::declarations::conformance(&*store).await;
            }
        }
        #[tokio::test]
        async fn conformance_datasets() {
            if let Some(store) = $make.await {
                $crate::datasets::conformance(&*store).await;
            }
        }
        #[tokio::test]
        async fn conformance_land() {
            if let Some(store) = $make.await {
                $crate::land::conformance(&*store).await;
            }
        }
        #[tokio::test]
        async fn conformance_scholarship() {
            if let Some(store) = $make.await {
                $crate::scholarship::conformance(&*store).await;
            }
        }
        #[tokio::test]
        async fn conformance_exchange_rates() {
            if let Some(store) = $make.await {
                $crate::rates::conformance(&*store).await;
            }
        }
    };
}
