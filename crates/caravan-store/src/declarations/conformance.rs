//! Conformance checks of [`DeclarationStore`](super::DeclarationStore): drafts, batched
//! lodging with idempotency, all-or-nothing per lodgement, transitions with optimistic
//! concurrency, amendments that keep every version, queues, and versioned risk rules.

use serde_json::json;
use time::Duration;

use super::{
    DeclarationDetail, DeclarationFilter, DeclarationOrder, Lodgement, NewAssessment, NewDraft,
    NewEvent, Transition,
};
use crate::conformance::t0;
use crate::{Actor, Change, NewOrganisation, NewUser, OrgKind, Role, Store, StoreError};
use caravan_types::CountryCode;

fn country(code: &str) -> CountryCode {
    CountryCode::parse(code).expect("valid")
}

fn draft(reference: &str, org_id: i64) -> NewDraft {
    NewDraft {
        reference: reference.to_owned(),
        org_id,
        country: country("KZ"),
        body: json!({ "reference": reference, "items": [{ "hs_code": "0808108002" }] }).into(),
    }
}

fn event(version: i64, from: &str, to: &str, name: &str) -> NewEvent {
    NewEvent {
        version,
        from_status: from.to_owned(),
        to_status: to.to_owned(),
        event: json!({ "event": name }),
    }
}

fn lodge_transition(channel: &str, score: i64, agencies: &[&str]) -> Transition {
    Transition {
        expected_events: 0,
        events: vec![
            event(1, "draft", "lodged", "lodge"),
            event(1, "lodged", "assessed", "assess"),
            event(1, "assessed", "under_control", "route"),
        ],
        status: "under_control".to_owned(),
        version: 1,
        new_body: None,
        assessment: Some(NewAssessment {
            channel: channel.to_owned(),
            rule_set_version: "KZ-v1".to_owned(),
            risk_score: score,
            body: json!({ "fired": [{ "rule": "R05-NEW-TRADER" }] }).into(),
        }),
        clear_channel: false,
        agencies: Some(agencies.iter().map(|a| (*a).to_owned()).collect()),
        agency_decision: None,
        audit_action: "declaration.lodge",
        audit_details: json!({}),
    }
}

fn lodgement(change: &Change, reference: &str, org_id: i64, key: Option<&str>) -> Lodgement {
    Lodgement {
        change: change.clone(),
        draft: draft(reference, org_id),
        idempotency_key: key.map(str::to_owned),
        transition: lodge_transition("yellow", 10, &["plant-protection"]),
        response: json!({ "reference": reference, "channel": "yellow" }),
    }
}

/// Everything the single window keeps, on a fresh store.
pub(super) async fn run(store: &dyn Store) {
    let at = |minutes: i64| t0() + Duration::minutes(minutes);
    let system = Change { actor: Actor::system("test"), at: t0() };
    let new_org =
        |name: &str, kind| NewOrganisation { name: name.to_owned(), kind, country: country("KZ") };
    let org_a = store
        .create_organisation(&system, &new_org("Altyn", OrgKind::TradingCompany))
        .await
        .expect("org");
    let org_b = store
        .create_organisation(&system, &new_org("Bereke", OrgKind::TradingCompany))
        .await
        .expect("org");
    let user = store
        .create_user(
            &system,
            &NewUser {
                username: "trader".to_owned(),
                display_name: "Trader".to_owned(),
                org_id: org_a.id,
                role: Role::Trader,
                password_hash: "$argon2id$stub".to_owned(),
            },
        )
        .await
        .expect("user");
    let change = Change { actor: Actor::user(&user), at: at(1) };
    let audit_before = store.audit_entries(0, 10_000).await.expect("audit").len();

    // Drafts: created, replaced in place; another organisation's reference is its own.
    let created = store.save_draft(&change, &draft("KZ-1", org_a.id)).await.expect("draft");
    assert_eq!((created.status.as_str(), created.version), ("draft", 1));
    let mut edited = draft("KZ-1", org_a.id);
    edited.body = json!({ "reference": "KZ-1", "edited": true }).into();
    let replaced = store.save_draft(&change, &edited).await.expect("replace draft");
    assert_eq!(replaced.id, created.id);
    let detail = declaration_of(store, "KZ-1").await.expect("exists");
    assert_eq!(detail.versions.len(), 1);
    assert_eq!(detail.versions[0].body["edited"], json!(true));
    // Issue 22, finding 4: a reference is the declarant's; another organisation using the same
    // one neither conflicts (no oracle of what exists) nor takes it from the first.
    let theirs = store.save_draft(&change, &draft("KZ-1", org_b.id)).await.expect("own reference");
    assert_ne!(theirs.id, created.id);
    let both = store.declarations_with_reference("KZ-1").await.expect("read");
    assert_eq!(both.iter().map(|d| d.record.org_id).collect::<Vec<_>>(), [org_a.id, org_b.id]);
    assert_eq!(both[0].versions[0].body["edited"], json!(true), "the first is untouched");

    // A batch: the draft lodged in place, a new one, a duplicate reference that fails alone,
    // and a retry of the same key inside the batch that writes nothing twice.
    let batch = [
        lodgement(&change, "KZ-1", org_a.id, Some("key-1")),
        lodgement(&change, "KZ-2", org_a.id, Some("key-2")),
        lodgement(&change, "KZ-2", org_a.id, Some("key-3")),
        lodgement(&change, "KZ-9", org_a.id, Some("key-1")),
    ];
    let results = store.lodge_batch(&batch).await.expect("batch commits");
    assert_eq!(results.len(), 4);
    let first = results[0].as_ref().expect("lodged");
    assert_eq!(first.declaration_id, created.id, "the draft is lodged in place");
    assert!(first.replayed.is_none());
    assert!(results[1].as_ref().is_ok_and(|r| r.replayed.is_none()));
    assert!(matches!(results[2], Err(StoreError::Conflict { .. })), "{:?}", results[2]);
    let retry = results[3].as_ref().expect("replayed");
    let answer = retry.replayed.as_ref().expect("a retry returns the original answer");
    assert_eq!(answer["reference"], json!("KZ-1"), "a retry returns the original answer");
    assert_eq!(declaration_of(store, "KZ-9").await, None, "a retry creates nothing");
    assert_eq!(
        store.idempotent_response(user.id, "key-2").await.expect("read"),
        Some(json!({ "reference": "KZ-2", "channel": "yellow" }))
    );
    assert_eq!(store.idempotent_response(user.id, "key-3").await.expect("read"), None);
    let again = store
        .lodge_batch(&[lodgement(&change, "KZ-2", org_a.id, Some("key-2"))])
        .await
        .expect("batch");
    assert!(again[0].as_ref().is_ok_and(|r| r.replayed.is_some()), "{again:?}");

    let lodged = declaration_of(store, "KZ-2").await.expect("exists");
    assert_eq!(lodged.record.status, "under_control");
    assert_eq!(lodged.record.channel.as_deref(), Some("yellow"));
    assert_eq!(lodged.events.len(), 3);
    assert_eq!(lodged.events.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1, 2, 3]);
    assert_eq!(lodged.assessments.len(), 1);
    assert_eq!(lodged.assessments[0].rule_set_version, "KZ-v1");
    assert_eq!(lodged.assessments[0].body["fired"][0]["rule"], json!("R05-NEW-TRADER"));
    assert_eq!(lodged.agencies.len(), 1);
    assert_eq!(lodged.agencies[0].status, "pending");
    let lodged_draft = store.save_draft(&change, &draft("KZ-2", org_a.id)).await;
    assert!(matches!(lodged_draft, Err(StoreError::Conflict { .. })), "lodged is not a draft");

    // Transitions: a stale view is refused; an agency decision; an amendment keeps history.
    let decide = Transition {
        expected_events: 3,
        events: vec![NewEvent {
            version: 1,
            from_status: "under_control".to_owned(),
            to_status: "under_control".to_owned(),
            event: json!({ "event": "agency", "agency": "plant-protection" }),
        }],
        status: "under_control".to_owned(),
        version: 1,
        new_body: None,
        assessment: None,
        clear_channel: false,
        agencies: None,
        agency_decision: Some(("plant-protection".to_owned(), "approved".to_owned())),
        audit_action: "declaration.agency_decide",
        audit_details: json!({}),
    };
    let mut stale = decide.clone();
    stale.expected_events = 2;
    let refused = store.apply_transition(&change, lodged.record.id, &stale).await;
    assert!(matches!(refused, Err(StoreError::Conflict { .. })), "{refused:?}");
    let missing = store.apply_transition(&change, 999_999, &decide).await;
    assert!(matches!(missing, Err(StoreError::NotFound { .. })), "{missing:?}");
    store.apply_transition(&change, lodged.record.id, &decide).await.expect("agency decides");
    let amend = Transition {
        expected_events: 4,
        events: vec![event(1, "under_control", "lodged", "amend")],
        status: "lodged".to_owned(),
        version: 2,
        new_body: Some(json!({ "reference": "KZ-2", "amended": true })),
        assessment: None,
        clear_channel: true,
        agencies: Some(Vec::new()),
        agency_decision: None,
        audit_action: "declaration.amend",
        audit_details: json!({}),
    };
    let amended = store.apply_transition(&change, lodged.record.id, &amend).await.expect("amend");
    assert_eq!((amended.status.as_str(), amended.version, amended.channel), ("lodged", 2, None));
    let history = declaration_of(store, "KZ-2").await.expect("exists");
    assert_eq!(history.versions.iter().map(|v| v.version).collect::<Vec<_>>(), vec![1, 2]);
    assert_eq!(history.versions[1].body["amended"], json!(true));
    assert!(history.versions[0].body.get("amended").is_none(), "version 1 is kept as lodged");
    assert_eq!(history.events.len(), 5);
    assert_eq!(history.assessments.len(), 1, "the first assessment is kept");
    assert!(history.agencies.is_empty());

    // Lists: by organisation, by country and status, by pending agency, by risk.
    let mut high = lodgement(&change, "KZ-3", org_a.id, None);
    high.transition = lodge_transition("red", 90, &[]);
    store.lodge_batch(&[high]).await.expect("batch")[0].as_ref().expect("lodged");
    let queue = store
        .declarations(&DeclarationFilter {
            country: Some(country("KZ")),
            statuses: vec!["under_control".to_owned()],
            order: DeclarationOrder::Risk,
            limit: 100,
            ..DeclarationFilter::default()
        })
        .await
        .expect("queue");
    assert_eq!(
        queue.iter().map(|d| d.reference.as_str()).collect::<Vec<_>>(),
        vec!["KZ-3", "KZ-1"],
        "riskiest first"
    );
    let other_country = DeclarationFilter {
        country: Some(country("CN")),
        limit: 100,
        ..DeclarationFilter::default()
    };
    assert!(store.declarations(&other_country).await.expect("list").is_empty());
    let of_b = DeclarationFilter { org_id: Some(org_b.id), limit: 100, ..Default::default() };
    let theirs = store.declarations(&of_b).await.expect("list");
    assert_eq!(
        theirs.iter().map(|d| (d.reference.as_str(), d.status.as_str())).collect::<Vec<_>>(),
        [("KZ-1", "draft")],
        "the other organisation sees only its own draft of the same reference"
    );
    let pending = DeclarationFilter {
        pending_agency: Some("plant-protection".to_owned()),
        limit: 100,
        ..Default::default()
    };
    let pending = store.declarations(&pending).await.expect("list");
    assert_eq!(pending.iter().map(|d| d.reference.as_str()).collect::<Vec<_>>(), vec!["KZ-1"]);
    let record = store.trader_record(org_a.id).await.expect("record");
    assert_eq!((record.n_lodged, record.n_rejected), (3, 0));
    let reject = Transition {
        expected_events: 3,
        events: vec![event(1, "under_control", "rejected", "officer")],
        status: "rejected".to_owned(),
        agencies: None,
        assessment: None,
        audit_action: "declaration.decide",
        ..lodge_transition("red", 0, &[])
    };
    let kz3 = declaration_of(store, "KZ-3").await.expect("exists");
    store.apply_transition(&change, kz3.record.id, &reject).await.expect("reject");
    let record = store.trader_record(org_a.id).await.expect("record");
    assert_eq!((record.n_lodged, record.n_rejected), (3, 1));
    assert_eq!(store.trader_record(org_b.id).await.expect("record").n_lodged, 0);

    // A large batch: more rows than one multi-row statement holds, a key repeated inside it,
    // then a lodgement of an unknown organisation that must fail alone.
    let mut big: Vec<Lodgement> = (0..1_200)
        .map(|n| {
            let org = if n % 2 == 0 { org_a.id } else { org_b.id };
            lodgement(&change, &format!("BIG-{n}"), org, Some(&format!("big-{n}")))
        })
        .collect();
    big.push(lodgement(&change, "BIG-again", org_a.id, Some("big-7")));
    let results = store.lodge_batch(&big).await.expect("batch commits");
    assert_eq!(results.len(), 1_201);
    assert!(results[..1_200].iter().all(|r| r.as_ref().is_ok_and(|r| r.replayed.is_none())));
    let again = results[1_200].as_ref().expect("replayed");
    assert_eq!(again.replayed.as_ref().expect("replayed")["reference"], json!("BIG-7"));
    assert_eq!(declaration_of(store, "BIG-again").await, None);
    let orphan = [
        lodgement(&change, "BIG-orphan", 999_999, None),
        lodgement(&change, "BIG-sibling", org_a.id, None),
    ];
    let results_orphan = store.lodge_batch(&orphan).await.expect("batch commits");
    assert!(results_orphan[0].is_err(), "{:?}", results_orphan[0]);
    assert!(results_orphan[1].is_ok(), "{:?}", results_orphan[1]);
    assert_eq!(declaration_of(store, "BIG-orphan").await, None);
    let ids: std::collections::HashSet<i64> = results[..1_200]
        .iter()
        .map(|r| r.as_ref().map(|r| r.declaration_id).unwrap_or(0))
        .collect();
    assert_eq!(ids.len(), 1_200, "each lodgement has its own declaration");
    let last = declaration_of(store, "BIG-1199").await.expect("exists");
    assert_eq!(results[1_199].as_ref().map(|r| r.declaration_id).ok(), Some(last.record.id));
    assert_eq!(last.record.org_id, org_b.id);
    assert_eq!(
        (last.record.status.as_str(), last.record.channel.as_deref()),
        ("under_control", Some("yellow"))
    );
    assert_eq!(last.events.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1, 2, 3]);
    assert_eq!(last.versions.len(), 1);
    assert_eq!(last.versions[0].body["reference"], json!("BIG-1199"));
    assert_eq!(last.assessments.len(), 1);
    assert_eq!(last.agencies.len(), 1);
    assert_eq!(
        store.idempotent_response(user.id, "big-1199").await.expect("read"),
        Some(json!({ "reference": "BIG-1199", "channel": "yellow" }))
    );
    assert_eq!(store.trader_record(org_a.id).await.expect("record").n_lodged, 604);
    assert_eq!(store.trader_record(org_b.id).await.expect("record").n_lodged, 600);
    let big_audit = store.audit_entries(0, 100_000).await.expect("audit");
    crate::verify_audit_chain(&big_audit).expect("the chain holds through the batch");
    let lodge_targets: Vec<&str> = big_audit
        .iter()
        .filter(|e| e.action == "declaration.lodge" && e.target.starts_with("declaration:BIG-"))
        .map(|e| e.target.as_str())
        .collect();
    assert_eq!(lodge_targets.len(), 1_201);
    assert_eq!(lodge_targets[0], "declaration:BIG-0", "audit entries keep the batch's order");

    // Risk rules: versioned per country.
    assert!(store.risk_rule_sets(country("KZ")).await.expect("read").is_empty());
    let v1 = store
        .put_risk_rule_set(&change, country("KZ"), &json!({ "rules": [] }))
        .await
        .expect("put");
    let v2 = store
        .put_risk_rule_set(&change, country("KZ"), &json!({ "rules": [1] }))
        .await
        .expect("put");
    let cn = store.put_risk_rule_set(&change, country("CN"), &json!({})).await.expect("put");
    assert_eq!((v1.version, v2.version, cn.version), (1, 2, 1));
    let sets = store.risk_rule_sets(country("KZ")).await.expect("read");
    assert_eq!(sets.iter().map(|s| s.version).collect::<Vec<_>>(), vec![2, 1]);
    assert_eq!(sets[0].body, json!({ "rules": [1] }));

    // Audit: draft ×3 (two of KZ-1's, one of the other organisation's), lodge ×3 (+1 later),
    // agency decision, amendment, rule sets ×3.
    let entries = store.audit_entries(0, 10_000).await.expect("audit");
    let ours = &entries[audit_before..];
    let count = |action: &str| ours.iter().filter(|e| e.action == action).count();
    assert_eq!(count("declaration.draft"), 3);
    assert_eq!(count("declaration.lodge"), 1_204);
    assert_eq!(count("declaration.agency_decide"), 1);
    assert_eq!(count("declaration.decide"), 1);
    assert_eq!(count("declaration.amend"), 1);
    assert_eq!(count("risk_rules.put"), 3);
    crate::verify_audit_chain(&entries).expect("the chain holds");
}

/// The first declaration with `reference`, if any.
async fn declaration_of(store: &dyn Store, reference: &str) -> Option<DeclarationDetail> {
    store.declarations_with_reference(reference).await.expect("read").into_iter().next()
}
