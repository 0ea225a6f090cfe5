// The SQL implementation of `caravan_store::DeclarationStore` shared by both adapters: each
// adapter's `src/declarations.rs` includes this file, and `Db` and `DbStore` name that adapter's
// types. `lodge_batch` is the group commit: one write transaction of the adapter
// (`begin_write`), one durable commit for the whole batch, each lodgement inside its own
// savepoint so a failing one leaves no trace and does not undo the others.
use async_trait::async_trait;
use caravan_store::declarations::{
    AgencyPart, AssessmentRecord, DeclarationDetail, DeclarationFilter, DeclarationOrder,
    DeclarationRecord, EventRecord, LodgeReceipt, Lodgement, NewAssessment, NewDraft, NewEvent,
    RiskRuleSetRecord, TraderRecord, Transition, VersionRecord,
};
use caravan_store::{
    Actor, Change, DeclarationStore, NewAudit, StoreError, StoreResult, from_unix_ms, unix_ms,
};
use caravan_types::CountryCode;
use serde_json::Value;
use sqlx::{Acquire, QueryBuilder, Transaction};

use crate::{Db, DbStore, append_audit_tx, backend, corrupt, is_unique_violation};

type Tx<'c> = Transaction<'c, Db>;

const RECORD_COLUMNS: &str = "id, reference, org_id, country, status, version, channel, risk_score, created_at_ms, updated_at_ms";

type RecordRow = (i64, String, i64, String, String, i64, Option<String>, i64, i64, i64);
/// A record row and its event count.
type RecordEventsRow = (i64, String, i64, String, String, i64, Option<String>, i64, i64, i64, i64);
/// An event row.
type EventRow = (i64, i64, String, String, String, Option<i64>, String, i64);

fn record_from_row(row: RecordRow) -> StoreResult<DeclarationRecord> {
    let (id, reference, org_id, country, status, version, channel, risk_score, created, updated) =
        row;
    Ok(DeclarationRecord {
        id,
        reference,
        org_id,
        country: CountryCode::parse(&country).map_err(|e| corrupt("declaration", e))?,
        status,
        version,
        channel,
        risk_score,
        created_at: from_unix_ms(created)?,
        updated_at: from_unix_ms(updated)?,
    })
}

fn json(what: &'static str, text: &str) -> StoreResult<Value> {
    serde_json::from_str(text).map_err(|e| corrupt(what, e))
}

/// The declaration of declarant `org_id` with `reference`: references are the declarant's own
/// (unique per organisation), so one declarant can neither take nor learn of another's.
async fn record_by_reference(
    tx: &mut Tx<'_>,
    org_id: i64,
    reference: &str,
) -> StoreResult<Option<(DeclarationRecord, i64)>> {
    let row: Option<RecordEventsRow> =
        sqlx::query_as(
            "SELECT id, reference, org_id, country, status, version, channel, risk_score, created_at_ms, updated_at_ms, n_events \
             FROM declarations WHERE org_id = $1 AND reference = $2",
        )
        .bind(org_id)
        .bind(reference)
        .fetch_optional(&mut **tx)
        .await
        .map_err(backend)?;
    row.map(|r| Ok((record_from_row((r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7, r.8, r.9))?, r.10)))
        .transpose()
}

/// Creates or replaces a draft; returns it. `audit` is false when lodging, whose own entry
/// covers the data set.
async fn save_draft_tx(
    tx: &mut Tx<'_>,
    change: &Change,
    draft: &NewDraft,
    audit: bool,
) -> StoreResult<DeclarationRecord> {
    let at = unix_ms(change.at);
    let body = draft.body.as_str();
    let id = match record_by_reference(tx, draft.org_id, &draft.reference).await? {
        Some((existing, _)) => {
            if existing.status != "draft" {
                return Err(StoreError::Conflict {
                    what: "reference",
                    value: draft.reference.clone(),
                });
            }
            sqlx::query("UPDATE declaration_versions SET body = $1, created_at_ms = $2 WHERE declaration_id = $3 AND version = 1")
                .bind(body)
                .bind(at)
                .bind(existing.id)
                .execute(&mut **tx)
                .await
                .map_err(backend)?;
            sqlx::query("UPDATE declarations SET updated_at_ms = $1 WHERE id = $2")
                .bind(at)
                .bind(existing.id)
                .execute(&mut **tx)
                .await
                .map_err(backend)?;
            existing.id
        }
        None => {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO declarations (reference, org_id, country, status, version, channel, risk_score, n_events, created_at_ms, updated_at_ms) \
                 VALUES ($1, $2, $3, 'draft', 1, NULL, 0, 0, $4, $4) RETURNING id",
            )
            .bind(&draft.reference)
            .bind(draft.org_id)
            .bind(draft.country.as_str())
            .bind(at)
            .fetch_one(&mut **tx)
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::Conflict { what: "reference", value: draft.reference.clone() }
                } else if e.as_database_error().is_some_and(|d| d.is_foreign_key_violation()) {
                    StoreError::NotFound { what: "organisation", id: draft.org_id.to_string() }
                } else {
                    backend(e)
                }
            })?;
            sqlx::query("INSERT INTO declaration_versions (declaration_id, version, body, created_at_ms) VALUES ($1, 1, $2, $3)")
                .bind(id)
                .bind(body)
                .bind(at)
                .execute(&mut **tx)
                .await
                .map_err(backend)?;
            id
        }
    };
    if audit {
        let audit = NewAudit {
            action: "declaration.draft",
            target: format!("declaration:{}", draft.reference),
            details: serde_json::json!({ "id": id }),
        };
        append_audit_tx(tx, change, &audit).await?;
    }
    let (record, _) = record_by_reference(tx, draft.org_id, &draft.reference)
        .await?
        .ok_or_else(|| StoreError::NotFound { what: "declaration", id: draft.reference.clone() })?;
    Ok(record)
}

/// Applies a transition to declaration `id`, whose event count must be `expected_events`.
async fn apply_tx(tx: &mut Tx<'_>, change: &Change, id: i64, t: &Transition) -> StoreResult<()> {
    let at = unix_ms(change.at);
    let n_events: Option<(i64, String, i64)> =
        sqlx::query_as("SELECT n_events, reference, org_id FROM declarations WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await
            .map_err(backend)?;
    let Some((n_events, reference, org_id)) = n_events else {
        return Err(StoreError::NotFound { what: "declaration", id: id.to_string() });
    };
    if n_events != t.expected_events {
        return Err(StoreError::Conflict {
            what: "declaration state",
            value: format!("{reference} changed meanwhile; reload it and try again"),
        });
    }
    if let Some(body) = &t.new_body {
        sqlx::query("INSERT INTO declaration_versions (declaration_id, version, body, created_at_ms) VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(t.version)
            .bind(body.to_string())
            .bind(at)
            .execute(&mut **tx)
            .await
            .map_err(backend)?;
    }
    for (offset, event) in t.events.iter().enumerate() {
        sqlx::query(
            "INSERT INTO declaration_events (declaration_id, seq, version, from_status, to_status, event, actor_user_id, actor_name, at_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(id)
        .bind(n_events + offset as i64 + 1)
        .bind(event.version)
        .bind(&event.from_status)
        .bind(&event.to_status)
        .bind(event.event.to_string())
        .bind(change.actor.user_id)
        .bind(&change.actor.name)
        .bind(at)
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
    }
    if let Some(assessment) = &t.assessment {
        sqlx::query(
            "INSERT INTO declaration_assessments (declaration_id, version, channel, rule_set_version, body, at_ms) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(t.version)
        .bind(&assessment.channel)
        .bind(&assessment.rule_set_version)
        .bind(assessment.body.as_str())
        .bind(at)
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
        sqlx::query("UPDATE declarations SET channel = $1, risk_score = $2 WHERE id = $3")
            .bind(&assessment.channel)
            .bind(assessment.risk_score)
            .bind(id)
            .execute(&mut **tx)
            .await
            .map_err(backend)?;
    } else if t.clear_channel {
        sqlx::query("UPDATE declarations SET channel = NULL, risk_score = 0 WHERE id = $1")
            .bind(id)
            .execute(&mut **tx)
            .await
            .map_err(backend)?;
    }
    if let Some(agencies) = &t.agencies {
        sqlx::query("DELETE FROM declaration_agencies WHERE declaration_id = $1")
            .bind(id)
            .execute(&mut **tx)
            .await
            .map_err(backend)?;
        for agency in agencies {
            sqlx::query("INSERT INTO declaration_agencies (declaration_id, agency, status) VALUES ($1, $2, 'pending')")
                .bind(id)
                .bind(agency)
                .execute(&mut **tx)
                .await
                .map_err(backend)?;
        }
    }
    if let Some((agency, status)) = &t.agency_decision {
        let changed = sqlx::query(
            "UPDATE declaration_agencies SET status = $1 WHERE declaration_id = $2 AND agency = $3",
        )
        .bind(status)
        .bind(id)
        .bind(agency)
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
        if changed.rows_affected() != 1 {
            return Err(StoreError::NotFound { what: "agency part", id: agency.clone() });
        }
    }
    sqlx::query("UPDATE declarations SET status = $1, version = $2, n_events = $3, updated_at_ms = $4 WHERE id = $5")
        .bind(&t.status)
        .bind(t.version)
        .bind(n_events + t.events.len() as i64)
        .bind(at)
        .bind(id)
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
    let lodged = i64::from(t.events.iter().any(|e| e.from_status == "draft"));
    let rejected = i64::from(t.status == "rejected");
    if lodged + rejected > 0 {
        sqlx::query(
            "INSERT INTO trader_records (org_id, n_lodged, n_rejected) VALUES ($1, $2, $3) \
             ON CONFLICT (org_id) DO UPDATE SET n_lodged = trader_records.n_lodged + $2, n_rejected = trader_records.n_rejected + $3",
        )
        .bind(org_id)
        .bind(lodged)
        .bind(rejected)
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
    }
    let audit = NewAudit {
        action: t.audit_action,
        target: format!("declaration:{reference}"),
        details: t.audit_details.clone(),
    };
    append_audit_tx(tx, change, &audit).await?;
    Ok(())
}

/// How a batch splits before writing: replays answered from idempotency keys kept earlier,
/// and fresh declarations for the multi-row path (by position). The rest (a draft lodged in
/// place, a reference taken, a key or reference repeated within the batch, anything but a
/// plain first lodgement) goes through [`lodge_one`], after the fresh ones.
struct FreshPlan {
    replayed: Vec<(usize, LodgeReceipt)>,
    fresh: Vec<usize>,
}

/// Rows per multi-row statement: at ten columns a row, well under SQLite's 32,766 and
/// PostgreSQL's 65,535 bound parameters.
const ROWS_PER_STATEMENT: usize = 1000;

async fn plan_fresh(tx: &mut Tx<'_>, lodgements: &[Lodgement]) -> StoreResult<FreshPlan> {
    use std::collections::{HashMap, HashSet};
    let keys: Vec<&str> =
        lodgements.iter().filter_map(|l| l.idempotency_key.as_deref()).collect();
    let mut kept: HashMap<(i64, String), (i64, String)> = HashMap::new();
    for chunk in keys.chunks(ROWS_PER_STATEMENT) {
        let mut query = QueryBuilder::<Db>::new(
            "SELECT user_id, key, declaration_id, response FROM idempotency_keys WHERE key IN (",
        );
        let mut list = query.separated(", ");
        for key in chunk {
            list.push_bind(*key);
        }
        query.push(")");
        let rows: Vec<(i64, String, i64, String)> =
            query.build_query_as().fetch_all(&mut **tx).await.map_err(backend)?;
        kept.extend(rows.into_iter().map(|(user, key, id, response)| ((user, key), (id, response))));
    }
    // References are unique per declarant: (organisation, reference) pairs already stored.
    let mut taken: HashSet<(i64, String)> = HashSet::new();
    for chunk in lodgements.chunks(ROWS_PER_STATEMENT) {
        let mut query =
            QueryBuilder::<Db>::new("SELECT org_id, reference FROM declarations WHERE reference IN (");
        let mut list = query.separated(", ");
        for lodgement in chunk {
            list.push_bind(lodgement.draft.reference.as_str());
        }
        query.push(")");
        let rows: Vec<(i64, String)> =
            query.build_query_as().fetch_all(&mut **tx).await.map_err(backend)?;
        taken.extend(rows);
    }
    let mut plan = FreshPlan { replayed: Vec::new(), fresh: Vec::new() };
    let mut seen_keys: HashSet<(i64, &str)> = HashSet::new();
    for (idx, lodgement) in lodgements.iter().enumerate() {
        let user_key = lodgement.change.actor.user_id.zip(lodgement.idempotency_key.as_deref());
        if let Some((user, key)) = user_key {
            if let Some((id, response)) = kept.get(&(user, key.to_owned())) {
                plan.replayed.push((
                    idx,
                    LodgeReceipt {
                        declaration_id: *id,
                        replayed: Some(json("idempotency response", response)?),
                    },
                ));
                continue;
            }
            if !seen_keys.insert((user, key)) {
                continue;
            }
        }
        let t = &lodgement.transition;
        let plain = t.expected_events == 0 && t.new_body.is_none() && t.agency_decision.is_none();
        if plain && taken.insert((lodgement.draft.org_id, lodgement.draft.reference.clone())) {
            plan.fresh.push(idx);
        }
    }
    Ok(plan)
}

/// Writes the fresh lodgements at `fresh` with a handful of multi-row statements, exactly the
/// rows [`lodge_one`] would write for each; returns their declaration ids in order.
async fn write_fresh(
    tx: &mut Tx<'_>,
    lodgements: &[Lodgement],
    fresh: &[usize],
) -> StoreResult<Vec<i64>> {
    use std::collections::{BTreeMap, HashMap};
    let batch: Vec<&Lodgement> = fresh.iter().map(|&idx| &lodgements[idx]).collect();
    let mut ids: HashMap<(i64, String), i64> = HashMap::with_capacity(batch.len());
    for chunk in batch.chunks(ROWS_PER_STATEMENT) {
        let mut query = QueryBuilder::<Db>::new(
            "INSERT INTO declarations (reference, org_id, country, status, version, channel, risk_score, n_events, created_at_ms, updated_at_ms) ",
        );
        query.push_values(chunk, |mut row, l| {
            let t = &l.transition;
            let at = unix_ms(l.change.at);
            row.push_bind(l.draft.reference.as_str())
                .push_bind(l.draft.org_id)
                .push_bind(l.draft.country.as_str())
                .push_bind(t.status.as_str())
                .push_bind(t.version)
                .push_bind(t.assessment.as_ref().map(|a| a.channel.as_str()))
                .push_bind(t.assessment.as_ref().map_or(0, |a| a.risk_score))
                .push_bind(t.events.len() as i64)
                .push_bind(at)
                .push_bind(at);
        });
        query.push(" RETURNING id, org_id, reference");
        let rows: Vec<(i64, i64, String)> =
            query.build_query_as().fetch_all(&mut **tx).await.map_err(backend)?;
        ids.extend(rows.into_iter().map(|(id, org_id, reference)| ((org_id, reference), id)));
    }
    let id_of = |l: &Lodgement| -> StoreResult<i64> {
        ids.get(&(l.draft.org_id, l.draft.reference.clone())).copied().ok_or_else(|| StoreError::NotFound {
            what: "declaration",
            id: l.draft.reference.clone(),
        })
    };
    let declared: Vec<(i64, &Lodgement)> =
        batch.iter().map(|l| Ok((id_of(l)?, *l))).collect::<StoreResult<_>>()?;

    let versions: Vec<(i64, &str, i64)> = declared
        .iter()
        .map(|(id, l)| (*id, l.draft.body.as_str(), unix_ms(l.change.at)))
        .collect();
    for chunk in versions.chunks(ROWS_PER_STATEMENT) {
        let mut query = QueryBuilder::<Db>::new(
            "INSERT INTO declaration_versions (declaration_id, version, body, created_at_ms) ",
        );
        query.push_values(chunk, |mut row, (id, body, at)| {
            row.push_bind(*id).push_bind(1_i64).push_bind(*body).push_bind(*at);
        });
        query.build().execute(&mut **tx).await.map_err(backend)?;
    }

    let events: Vec<(i64, i64, &Lodgement, &NewEvent, String)> = declared
        .iter()
        .flat_map(|(id, l)| {
            l.transition.events.iter().enumerate().map(move |(offset, event)| {
                (*id, offset as i64 + 1, *l, event, event.event.to_string())
            })
        })
        .collect();
    for chunk in events.chunks(ROWS_PER_STATEMENT) {
        let mut query = QueryBuilder::<Db>::new(
            "INSERT INTO declaration_events (declaration_id, seq, version, from_status, to_status, event, actor_user_id, actor_name, at_ms) ",
        );
        query.push_values(chunk, |mut row, (id, seq, l, event, text)| {
            row.push_bind(*id)
                .push_bind(*seq)
                .push_bind(event.version)
                .push_bind(event.from_status.as_str())
                .push_bind(event.to_status.as_str())
                .push_bind(text.as_str())
                .push_bind(l.change.actor.user_id)
                .push_bind(l.change.actor.name.as_str())
                .push_bind(unix_ms(l.change.at));
        });
        query.build().execute(&mut **tx).await.map_err(backend)?;
    }

    let assessed: Vec<(i64, &Lodgement, &NewAssessment, &str)> = declared
        .iter()
        .filter_map(|(id, l)| {
            let a = l.transition.assessment.as_ref()?;
            Some((*id, *l, a, a.body.as_str()))
        })
        .collect();
    for chunk in assessed.chunks(ROWS_PER_STATEMENT) {
        let mut query = QueryBuilder::<Db>::new(
            "INSERT INTO declaration_assessments (declaration_id, version, channel, rule_set_version, body, at_ms) ",
        );
        query.push_values(chunk, |mut row, (id, l, a, body)| {
            row.push_bind(*id)
                .push_bind(l.transition.version)
                .push_bind(a.channel.as_str())
                .push_bind(a.rule_set_version.as_str())
                .push_bind(*body)
                .push_bind(unix_ms(l.change.at));
        });
        query.build().execute(&mut **tx).await.map_err(backend)?;
    }

    let agencies: Vec<(i64, &str)> = declared
        .iter()
        .flat_map(|(id, l)| {
            l.transition.agencies.iter().flatten().map(move |agency| (*id, agency.as_str()))
        })
        .collect();
    for chunk in agencies.chunks(ROWS_PER_STATEMENT) {
        let mut query = QueryBuilder::<Db>::new(
            "INSERT INTO declaration_agencies (declaration_id, agency, status) ",
        );
        query.push_values(chunk, |mut row, (id, agency)| {
            row.push_bind(*id).push_bind(*agency).push_bind("pending");
        });
        query.build().execute(&mut **tx).await.map_err(backend)?;
    }

    // One row per organisation: PostgreSQL's ON CONFLICT may not touch a row twice.
    let mut records: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    for (_, l) in &declared {
        let t = &l.transition;
        let entry = records.entry(l.draft.org_id).or_default();
        entry.0 += i64::from(t.events.iter().any(|e| e.from_status == "draft"));
        entry.1 += i64::from(t.status == "rejected");
    }
    records.retain(|_, (lodged, rejected)| *lodged + *rejected > 0);
    let records: Vec<(i64, i64, i64)> =
        records.into_iter().map(|(org, (lodged, rejected))| (org, lodged, rejected)).collect();
    for chunk in records.chunks(ROWS_PER_STATEMENT) {
        let mut query = QueryBuilder::<Db>::new("INSERT INTO trader_records (org_id, n_lodged, n_rejected) ");
        query.push_values(chunk, |mut row, (org, lodged, rejected)| {
            row.push_bind(*org).push_bind(*lodged).push_bind(*rejected);
        });
        query.push(
            " ON CONFLICT (org_id) DO UPDATE SET n_lodged = trader_records.n_lodged + excluded.n_lodged, \
             n_rejected = trader_records.n_rejected + excluded.n_rejected",
        );
        query.build().execute(&mut **tx).await.map_err(backend)?;
    }

    let audits: Vec<(&Change, NewAudit<'_>)> = declared
        .iter()
        .map(|(_, l)| {
            (
                &l.change,
                NewAudit {
                    action: l.transition.audit_action,
                    target: format!("declaration:{}", l.draft.reference),
                    details: l.transition.audit_details.clone(),
                },
            )
        })
        .collect();
    append_audit_batch_tx(tx, &audits).await?;

    let keyed: Vec<(i64, &str, i64, String)> = declared
        .iter()
        .filter_map(|(id, l)| {
            let user = l.change.actor.user_id?;
            let key = l.idempotency_key.as_deref()?;
            Some((user, key, *id, l.response.to_string()))
        })
        .collect();
    for chunk in keyed.chunks(ROWS_PER_STATEMENT) {
        let mut query = QueryBuilder::<Db>::new(
            "INSERT INTO idempotency_keys (user_id, key, declaration_id, response) ",
        );
        query.push_values(chunk, |mut row, (user, key, id, response)| {
            row.push_bind(*user).push_bind(*key).push_bind(*id).push_bind(response.as_str());
        });
        query.build().execute(&mut **tx).await.map_err(backend)?;
    }
    Ok(declared.iter().map(|(id, _)| *id).collect())
}

/// Appends audit entries in order with one read of the chain's head and multi-row inserts:
/// the same entries, hashes and order as one `append_audit_tx` per entry.
async fn append_audit_batch_tx(tx: &mut Tx<'_>, audits: &[(&Change, NewAudit<'_>)]) -> StoreResult<()> {
    if audits.is_empty() {
        return Ok(());
    }
    let last: Option<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut **tx)
            .await
            .map_err(backend)?;
    let (mut seq, mut prev_hash) = last.unwrap_or((0, caravan_store::AUDIT_GENESIS.to_owned()));
    let mut rows: Vec<(i64, i64, &Change, &NewAudit<'_>, String, String, String)> =
        Vec::with_capacity(audits.len());
    for (change, audit) in audits {
        seq += 1;
        let at = caravan_store::to_stored_resolution(change.at);
        let hash = caravan_store::audit_hash(
            &prev_hash,
            seq,
            at,
            &change.actor,
            audit.action,
            &audit.target,
            &audit.details,
        );
        rows.push((seq, unix_ms(at), change, audit, audit.details.to_string(), prev_hash, hash.clone()));
        prev_hash = hash;
    }
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut query = QueryBuilder::<Db>::new(
            "INSERT INTO audit_log (seq, at_ms, actor_user_id, actor_name, action, target, details, prev_hash, hash) ",
        );
        query.push_values(chunk, |mut row, (seq, at, change, audit, details, prev, hash)| {
            row.push_bind(*seq)
                .push_bind(*at)
                .push_bind(change.actor.user_id)
                .push_bind(change.actor.name.as_str())
                .push_bind(audit.action)
                .push_bind(audit.target.as_str())
                .push_bind(details.as_str())
                .push_bind(prev.as_str())
                .push_bind(hash.as_str());
        });
        query.build().execute(&mut **tx).await.map_err(backend)?;
    }
    Ok(())
}

async fn lodge_one(tx: &mut Tx<'_>, lodgement: &Lodgement) -> StoreResult<LodgeReceipt> {
    let user_id = lodgement.change.actor.user_id;
    if let (Some(user_id), Some(key)) = (user_id, &lodgement.idempotency_key) {
        let kept: Option<(i64, String)> = sqlx::query_as(
            "SELECT declaration_id, response FROM idempotency_keys WHERE user_id = $1 AND key = $2",
        )
        .bind(user_id)
        .bind(key)
        .fetch_optional(&mut **tx)
        .await
        .map_err(backend)?;
        if let Some((declaration_id, response)) = kept {
            return Ok(LodgeReceipt {
                declaration_id,
                replayed: Some(json("idempotency response", &response)?),
            });
        }
    }
    let record = save_draft_tx(tx, &lodgement.change, &lodgement.draft, false).await?;
    apply_tx(tx, &lodgement.change, record.id, &lodgement.transition).await?;
    if let (Some(user_id), Some(key)) = (user_id, &lodgement.idempotency_key) {
        sqlx::query("INSERT INTO idempotency_keys (user_id, key, declaration_id, response) VALUES ($1, $2, $3, $4)")
            .bind(user_id)
            .bind(key)
            .bind(record.id)
            .bind(lodgement.response.to_string())
            .execute(&mut **tx)
            .await
            .map_err(backend)?;
    }
    Ok(LodgeReceipt { declaration_id: record.id, replayed: None })
}

/// The versions, assessments, events and agency parts of `record`, read in `tx`.
async fn detail_tx(tx: &mut Tx<'_>, record: DeclarationRecord) -> StoreResult<DeclarationDetail> {
    let id = record.id;
    let versions: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT version, body, created_at_ms FROM declaration_versions WHERE declaration_id = $1 ORDER BY version",
    )
    .bind(id)
    .fetch_all(&mut **tx)
    .await
    .map_err(backend)?;
    let assessments: Vec<(i64, String, String, String, i64)> = sqlx::query_as(
        "SELECT version, channel, rule_set_version, body, at_ms FROM declaration_assessments WHERE declaration_id = $1 ORDER BY version",
    )
    .bind(id)
    .fetch_all(&mut **tx)
    .await
    .map_err(backend)?;
    let events: Vec<EventRow> = sqlx::query_as(
        "SELECT seq, version, from_status, to_status, event, actor_user_id, actor_name, at_ms FROM declaration_events WHERE declaration_id = $1 ORDER BY seq",
    )
    .bind(id)
    .fetch_all(&mut **tx)
    .await
    .map_err(backend)?;
    let agencies: Vec<(String, String)> = sqlx::query_as(
        "SELECT agency, status FROM declaration_agencies WHERE declaration_id = $1 ORDER BY agency",
    )
    .bind(id)
    .fetch_all(&mut **tx)
    .await
    .map_err(backend)?;
    Ok(DeclarationDetail {
        record,
        versions: versions
            .into_iter()
            .map(|(version, body, at)| {
                Ok(VersionRecord {
                    version,
                    body: json("declaration version", &body)?,
                    created_at: from_unix_ms(at)?,
                })
            })
            .collect::<StoreResult<_>>()?,
        assessments: assessments
            .into_iter()
            .map(|(version, channel, rule_set_version, body, at)| {
                Ok(AssessmentRecord {
                    version,
                    channel,
                    rule_set_version,
                    body: json("assessment", &body)?,
                    at: from_unix_ms(at)?,
                })
            })
            .collect::<StoreResult<_>>()?,
        events: events
            .into_iter()
            .map(|(seq, version, from_status, to_status, event, user_id, name, at)| {
                Ok(EventRecord {
                    seq,
                    version,
                    from_status,
                    to_status,
                    event: json("declaration event", &event)?,
                    actor: Actor { user_id, name },
                    at: from_unix_ms(at)?,
                })
            })
            .collect::<StoreResult<_>>()?,
        agencies: agencies
            .into_iter()
            .map(|(agency, status)| AgencyPart { agency, status })
            .collect(),
    })
}

#[async_trait]
impl DeclarationStore for DbStore {
    async fn save_draft(
        &self,
        change: &Change,
        draft: &NewDraft,
    ) -> StoreResult<DeclarationRecord> {
        let (change, draft) = (change.clone(), draft.clone());
        self.write(move |tx| {
            Box::pin(async move { save_draft_tx(tx, &change, &draft, true).await })
        })
        .await
    }

    async fn lodge_batch(
        &self,
        lodgements: &[Lodgement],
    ) -> StoreResult<Vec<StoreResult<LodgeReceipt>>> {
        let mut tx = self.begin_write().await?;
        let mut results: Vec<Option<StoreResult<LodgeReceipt>>> =
            (0..lodgements.len()).map(|_| None).collect();
        // The common case, fresh declarations, in a few multi-row statements; what it leaves
        // (drafts lodged in place, conflicts, repeats within the batch) goes one by one below.
        let plan = plan_fresh(&mut tx, lodgements).await?;
        for (idx, receipt) in &plan.replayed {
            results[*idx] = Some(Ok(receipt.clone()));
        }
        if !plan.fresh.is_empty() {
            let mut savepoint = Acquire::begin(&mut tx).await.map_err(backend)?;
            match write_fresh(&mut savepoint, lodgements, &plan.fresh).await {
                Ok(ids) => {
                    savepoint.commit().await.map_err(backend)?;
                    for (&idx, id) in plan.fresh.iter().zip(ids) {
                        results[idx] =
                            Some(Ok(LodgeReceipt { declaration_id: id, replayed: None }));
                    }
                }
                // A full disk or a failed write fails the whole batch: SQLite may have rolled
                // the transaction back already, savepoint and all (issue 22).
                Err(err @ StoreError::Unavailable(_)) => return Err(err),
                // Something the plan did not foresee (an unknown organisation, say): undo the
                // fast path and let each lodgement meet its own error below.
                Err(_) => savepoint.rollback().await.map_err(backend)?,
            }
        }
        for (idx, lodgement) in lodgements.iter().enumerate() {
            if results[idx].is_some() {
                continue;
            }
            let mut savepoint = Acquire::begin(&mut tx).await.map_err(backend)?;
            match lodge_one(&mut savepoint, lodgement).await {
                Ok(receipt) => {
                    savepoint.commit().await.map_err(backend)?;
                    results[idx] = Some(Ok(receipt));
                }
                Err(
                    err @ (StoreError::Backend(_)
                    | StoreError::Unavailable(_)
                    | StoreError::Corrupt { .. }),
                ) => {
                    return Err(err);
                }
                Err(err) => {
                    savepoint.rollback().await.map_err(backend)?;
                    results[idx] = Some(Err(err));
                }
            }
        }
        tx.commit().await.map_err(backend)?;
        Ok(results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(StoreError::Backend("lodgement skipped".into()))))
            .collect())
    }

    async fn idempotent_response(&self, user_id: i64, key: &str) -> StoreResult<Option<Value>> {
        let kept: Option<String> = sqlx::query_scalar(
            "SELECT response FROM idempotency_keys WHERE user_id = $1 AND key = $2",
        )
        .bind(user_id)
        .bind(key)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        kept.map(|text| json("idempotency response", &text)).transpose()
    }

    async fn apply_transition(
        &self,
        change: &Change,
        declaration_id: i64,
        transition: &Transition,
    ) -> StoreResult<DeclarationRecord> {
        let (change, transition) = (change.clone(), transition.clone());
        self.write(move |tx| {
            Box::pin(async move {
                apply_tx(tx, &change, declaration_id, &transition).await?;
                let row: RecordRow = sqlx::query_as(&format!(
                    "SELECT {RECORD_COLUMNS} FROM declarations WHERE id = $1"
                ))
                .bind(declaration_id)
                .fetch_one(&mut **tx)
                .await
                .map_err(backend)?;
                record_from_row(row)
            })
        })
        .await
    }

    async fn declarations_with_reference(
        &self,
        reference: &str,
    ) -> StoreResult<Vec<DeclarationDetail>> {
        let mut conn = self.pool.acquire().await.map_err(backend)?;
        // One read transaction, so the parts are of one moment.
        let mut tx = conn.begin().await.map_err(backend)?;
        let rows: Vec<RecordRow> = sqlx::query_as(&format!(
            "SELECT {RECORD_COLUMNS} FROM declarations WHERE reference = $1 ORDER BY id"
        ))
        .bind(reference)
        .fetch_all(&mut *tx)
        .await
        .map_err(backend)?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            out.push(detail_tx(&mut tx, record_from_row(row)?).await?);
        }
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }


    async fn declarations(
        &self,
        filter: &DeclarationFilter,
    ) -> StoreResult<Vec<DeclarationRecord>> {
        let mut query = QueryBuilder::<Db>::new(format!(
            "SELECT {RECORD_COLUMNS} FROM declarations d WHERE 1 = 1"
        ));
        if let Some(org_id) = filter.org_id {
            query.push(" AND org_id = ").push_bind(org_id);
        }
        if let Some(country) = filter.country {
            query.push(" AND country = ").push_bind(country.as_str().to_owned());
        }
        if !filter.statuses.is_empty() {
            query.push(" AND status IN (");
            let mut list = query.separated(", ");
            for status in &filter.statuses {
                list.push_bind(status.clone());
            }
            query.push(")");
        }
        if let Some(agency) = &filter.pending_agency {
            query
                .push(" AND EXISTS (SELECT 1 FROM declaration_agencies a WHERE a.declaration_id = d.id AND a.status = 'pending' AND a.agency = ")
                .push_bind(agency.clone())
                .push(")");
        }
        query.push(match filter.order {
            DeclarationOrder::Recent => " ORDER BY updated_at_ms DESC, id DESC",
            DeclarationOrder::Risk => " ORDER BY risk_score DESC, updated_at_ms ASC, id ASC",
        });
        query.push(" LIMIT ").push_bind(filter.limit.max(0));
        let rows: Vec<RecordRow> =
            query.build_query_as().fetch_all(&self.pool).await.map_err(backend)?;
        rows.into_iter().map(record_from_row).collect()
    }

    async fn trader_record(&self, org_id: i64) -> StoreResult<TraderRecord> {
        let row: Option<(i64, i64)> =
            sqlx::query_as("SELECT n_lodged, n_rejected FROM trader_records WHERE org_id = $1")
                .bind(org_id)
                .fetch_optional(&self.pool)
                .await
                .map_err(backend)?;
        let (n_lodged, n_rejected) = row.unwrap_or_default();
        Ok(TraderRecord { n_lodged, n_rejected })
    }

    async fn risk_rule_sets(&self, country: CountryCode) -> StoreResult<Vec<RiskRuleSetRecord>> {
        let rows: Vec<(i64, String, Option<i64>, String, i64)> = sqlx::query_as(
            "SELECT version, body, actor_user_id, actor_name, created_at_ms FROM risk_rule_sets WHERE country = $1 ORDER BY version DESC",
        )
        .bind(country.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.into_iter()
            .map(|(version, body, user_id, name, at)| {
                Ok(RiskRuleSetRecord {
                    country,
                    version,
                    body: json("risk rule set", &body)?,
                    actor: Actor { user_id, name },
                    created_at: from_unix_ms(at)?,
                })
            })
            .collect()
    }

    async fn put_risk_rule_set(
        &self,
        change: &Change,
        country: CountryCode,
        body: &Value,
    ) -> StoreResult<RiskRuleSetRecord> {
        let (change, body) = (change.clone(), body.clone());
        self.write(move |tx| {
            Box::pin(async move {
                let version: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) + 1 FROM risk_rule_sets WHERE country = $1")
                    .bind(country.as_str())
                    .fetch_one(&mut **tx)
                    .await
                    .map_err(backend)?;
                let at = caravan_store::to_stored_resolution(change.at);
                sqlx::query(
                    "INSERT INTO risk_rule_sets (country, version, body, actor_user_id, actor_name, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(country.as_str())
                .bind(version)
                .bind(body.to_string())
                .bind(change.actor.user_id)
                .bind(&change.actor.name)
                .bind(unix_ms(at))
                .execute(&mut **tx)
                .await
                .map_err(backend)?;
                let audit = NewAudit {
                    action: "risk_rules.put",
                    target: format!("risk_rules:{country}"),
                    details: serde_json::json!({ "version": version }),
                };
                append_audit_tx(tx, &change, &audit).await?;
                Ok(RiskRuleSetRecord { country, version, body, actor: change.actor.clone(), created_at: at })
            })
        })
        .await
    }
}
