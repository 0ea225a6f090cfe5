// The SQL implementation of `caravan_store::ScholarshipStore` shared by both adapters: each adapter's
// `src/scholarship.rs` includes this file, and `Db`, `DbRow` and `DbStore` name that adapter's types.
// Keep the SQL portable (numbered `$n` parameters, standard types); a statement that must
// differ belongs in the adapter.
use std::collections::BTreeMap;

use async_trait::async_trait;
use caravan_store::scholarship::{
    Application, ApplicationBody, ApplicationStatus, Call, CallSpec, CallStatus, DocumentMeta,
    NewDocument, Placement, Review, document_sha256,
};
use caravan_store::{
    Change, NewAudit, ScholarshipStore, StoreError, StoreResult, from_unix_ms,
    to_stored_resolution, unix_ms,
};
use caravan_types::CountryCode;
use crate::{Db, DbRow};
use sqlx::{Row, Transaction};

use crate::{DbStore as ThisStore, append_audit_tx, backend, corrupt, is_unique_violation};

const CALL_COLUMNS: &str = "id, org_id, status, spec, created_at_ms";
const APP_COLUMNS: &str =
    "id, call_id, applicant_id, country, status, body, submitted_at_ms, updated_at_ms";
const DOC_COLUMNS: &str = "id, application_id, kind, filename, size, sha256, uploaded_at_ms";
const REVIEW_COLUMNS: &str = "id, application_id, reviewer_id, scores, submitted_at_ms";
const PLACEMENT_COLUMNS: &str = "id, call_id, published, result, created_at_ms";

fn json_text<T: serde::Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Backend(e.to_string()))
}

fn from_json<T: serde::de::DeserializeOwned>(what: &'static str, text: &str) -> StoreResult<T> {
    serde_json::from_str(text).map_err(|e| corrupt(what, e))
}

fn call_from_row(row: &DbRow) -> StoreResult<Call> {
    let status: String = row.try_get("status").map_err(backend)?;
    let spec: String = row.try_get("spec").map_err(backend)?;
    Ok(Call {
        id: row.try_get("id").map_err(backend)?,
        org_id: row.try_get("org_id").map_err(backend)?,
        status: CallStatus::parse(&status)
            .ok_or_else(|| corrupt("call", format!("unknown status {status:?}")))?,
        spec: from_json("call", &spec)?,
        created_at: from_unix_ms(row.try_get("created_at_ms").map_err(backend)?)?,
    })
}

fn app_from_row(row: &DbRow) -> StoreResult<Application> {
    let status: String = row.try_get("status").map_err(backend)?;
    let country: String = row.try_get("country").map_err(backend)?;
    let body: String = row.try_get("body").map_err(backend)?;
    let submitted: Option<i64> = row.try_get("submitted_at_ms").map_err(backend)?;
    Ok(Application {
        id: row.try_get("id").map_err(backend)?,
        call_id: row.try_get("call_id").map_err(backend)?,
        applicant_id: row.try_get("applicant_id").map_err(backend)?,
        country: CountryCode::parse(&country).map_err(|e| corrupt("application", e))?,
        status: ApplicationStatus::parse(&status)
            .ok_or_else(|| corrupt("application", format!("unknown status {status:?}")))?,
        body: from_json("application", &body)?,
        submitted_at: submitted.map(from_unix_ms).transpose()?,
        updated_at: from_unix_ms(row.try_get("updated_at_ms").map_err(backend)?)?,
    })
}

fn doc_from_row(row: &DbRow) -> StoreResult<DocumentMeta> {
    Ok(DocumentMeta {
        id: row.try_get("id").map_err(backend)?,
        application_id: row.try_get("application_id").map_err(backend)?,
        kind: row.try_get("kind").map_err(backend)?,
        filename: row.try_get("filename").map_err(backend)?,
        size: row.try_get("size").map_err(backend)?,
        sha256: row.try_get("sha256").map_err(backend)?,
        uploaded_at: from_unix_ms(row.try_get("uploaded_at_ms").map_err(backend)?)?,
    })
}

fn review_from_row(row: &DbRow) -> StoreResult<Review> {
    let scores: Option<String> = row.try_get("scores").map_err(backend)?;
    let submitted: Option<i64> = row.try_get("submitted_at_ms").map_err(backend)?;
    Ok(Review {
        id: row.try_get("id").map_err(backend)?,
        application_id: row.try_get("application_id").map_err(backend)?,
        reviewer_id: row.try_get("reviewer_id").map_err(backend)?,
        scores: scores.map(|s| from_json("review", &s)).transpose()?,
        submitted_at: submitted.map(from_unix_ms).transpose()?,
    })
}

fn placement_from_row(row: &DbRow) -> StoreResult<Placement> {
    let result: String = row.try_get("result").map_err(backend)?;
    Ok(Placement {
        id: row.try_get("id").map_err(backend)?,
        call_id: row.try_get("call_id").map_err(backend)?,
        published: row.try_get("published").map_err(backend)?,
        result: from_json("placement", &result)?,
        created_at: from_unix_ms(row.try_get("created_at_ms").map_err(backend)?)?,
    })
}

fn not_found(what: &'static str, id: i64) -> StoreError {
    StoreError::NotFound { what, id: id.to_string() }
}

async fn audit(
    tx: &mut Transaction<'_, Db>,
    change: &Change,
    action: &str,
    target: String,
    details: serde_json::Value,
) -> StoreResult<()> {
    append_audit_tx(tx, change, &NewAudit { action, target, details }).await.map(|_| ())
}

#[async_trait]
impl ScholarshipStore for ThisStore {
    async fn create_call(
        &self,
        change: &Change,
        org_id: i64,
        spec: &CallSpec,
    ) -> StoreResult<Call> {
        let (change, spec) = (change.clone(), spec.clone());
        self.write(move |tx| {
            Box::pin(async move {
                let at = to_stored_resolution(change.at);
                let row = sqlx::query(&format!(
                    "INSERT INTO sch_calls (org_id, status, spec, created_at_ms) VALUES ($1, $2, $3, $4) RETURNING {CALL_COLUMNS}"
                ))
                .bind(org_id)
                .bind(CallStatus::Draft.as_str())
                .bind(json_text(&spec)?)
                .bind(unix_ms(at))
                .fetch_one(&mut **tx)
                .await
                .map_err(backend)?;
                let call = call_from_row(&row)?;
                let details = serde_json::json!({"org_id": org_id, "title": spec.title.en});
                audit(tx, &change, "scholarship.call.create", format!("call:{}", call.id), details).await?;
                Ok(call)
            })
        })
        .await
    }

    async fn update_call(&self, change: &Change, id: i64, spec: &CallSpec) -> StoreResult<Call> {
        let (change, spec) = (change.clone(), spec.clone());
        self.write(move |tx| {
            Box::pin(async move {
                // The draft check and the change are one statement: a publish cannot slip in
                // between them.
                let row = sqlx::query(&format!(
                    "UPDATE sch_calls SET spec = $1 WHERE id = $2 AND status = 'draft' RETURNING {CALL_COLUMNS}"
                ))
                .bind(json_text(&spec)?)
                .bind(id)
                .fetch_optional(&mut **tx)
                .await
                .map_err(backend)?;
                let Some(row) = row else {
                    let exists: Option<(i64,)> = sqlx::query_as("SELECT id FROM sch_calls WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&mut **tx)
                        .await
                        .map_err(backend)?;
                    return Err(match exists {
                        Some(_) => StoreError::Conflict {
                            what: "status",
                            value: format!("call {id} is no longer a draft"),
                        },
                        None => not_found("call", id),
                    });
                };
                let call = call_from_row(&row)?;
                let details = serde_json::to_value(&spec).unwrap_or_default();
                audit(tx, &change, "scholarship.call.update", format!("call:{id}"), details)
                    .await?;
                Ok(call)
            })
        })
        .await
    }

    async fn set_call_status(
        &self,
        change: &Change,
        id: i64,
        status: CallStatus,
    ) -> StoreResult<Call> {
        let change = change.clone();
        self.write(move |tx| {
            Box::pin(async move {
                let row = sqlx::query(&format!(
                    "UPDATE sch_calls SET status = $1 WHERE id = $2 RETURNING {CALL_COLUMNS}"
                ))
                .bind(status.as_str())
                .bind(id)
                .fetch_optional(&mut **tx)
                .await
                .map_err(backend)?
                .ok_or_else(|| not_found("call", id))?;
                let call = call_from_row(&row)?;
                let action = format!("scholarship.call.{}", status.as_str());
                audit(tx, &change, &action, format!("call:{id}"), serde_json::Value::Null).await?;
                Ok(call)
            })
        })
        .await
    }

    async fn call(&self, id: i64) -> StoreResult<Option<Call>> {
        let row = sqlx::query(&format!("SELECT {CALL_COLUMNS} FROM sch_calls WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.as_ref().map(call_from_row).transpose()
    }

    async fn calls(&self) -> StoreResult<Vec<Call>> {
        let rows = sqlx::query(&format!("SELECT {CALL_COLUMNS} FROM sch_calls ORDER BY id"))
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        rows.iter().map(call_from_row).collect()
    }

    async fn create_application(
        &self,
        change: &Change,
        call_id: i64,
        applicant_id: i64,
        country: CountryCode,
    ) -> StoreResult<Application> {
        let change = change.clone();
        self.write(move |tx| {
            Box::pin(async move {
                let at = to_stored_resolution(change.at);
                let row = sqlx::query(&format!(
                    "INSERT INTO sch_applications (call_id, applicant_id, country, status, body, updated_at_ms) \
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING {APP_COLUMNS}"
                ))
                .bind(call_id)
                .bind(applicant_id)
                .bind(country.as_str())
                .bind(ApplicationStatus::Draft.as_str())
                .bind(json_text(&ApplicationBody::default())?)
                .bind(unix_ms(at))
                .fetch_one(&mut **tx)
                .await
                .map_err(|e| {
                    if is_unique_violation(&e) {
                        StoreError::Conflict { what: "application", value: format!("call {call_id}") }
                    } else {
                        backend(e)
                    }
                })?;
                let app = app_from_row(&row)?;
                let details = serde_json::json!({"call_id": call_id, "applicant_id": applicant_id});
                audit(tx, &change, "scholarship.application.create", format!("application:{}", app.id), details).await?;
                Ok(app)
            })
        })
        .await
    }

    async fn save_application(
        &self,
        change: &Change,
        id: i64,
        body: &ApplicationBody,
        page: &str,
    ) -> StoreResult<Application> {
        let (change, body, page) = (change.clone(), body.clone(), page.to_owned());
        self.write(move |tx| {
            Box::pin(async move {
                let at = to_stored_resolution(change.at);
                let row = sqlx::query(&format!(
                    "UPDATE sch_applications SET body = $1, updated_at_ms = $2 WHERE id = $3 RETURNING {APP_COLUMNS}"
                ))
                .bind(json_text(&body)?)
                .bind(unix_ms(at))
                .bind(id)
                .fetch_optional(&mut **tx)
                .await
                .map_err(backend)?
                .ok_or_else(|| not_found("application", id))?;
                let app = app_from_row(&row)?;
                let details = serde_json::json!({"page": page});
                audit(tx, &change, "scholarship.application.save", format!("application:{id}"), details).await?;
                Ok(app)
            })
        })
        .await
    }

    async fn set_application_status(
        &self,
        change: &Change,
        id: i64,
        status: ApplicationStatus,
    ) -> StoreResult<Application> {
        let change = change.clone();
        self.write(move |tx| {
            Box::pin(async move {
                let at = unix_ms(to_stored_resolution(change.at));
                let submitted = (status == ApplicationStatus::Submitted).then_some(at);
                let row = sqlx::query(&format!(
                    "UPDATE sch_applications SET status = $1, updated_at_ms = $2, \
                     submitted_at_ms = COALESCE($3, submitted_at_ms) WHERE id = $4 RETURNING {APP_COLUMNS}"
                ))
                .bind(status.as_str())
                .bind(at)
                .bind(submitted)
                .bind(id)
                .fetch_optional(&mut **tx)
                .await
                .map_err(backend)?
                .ok_or_else(|| not_found("application", id))?;
                let app = app_from_row(&row)?;
                let action = format!("scholarship.application.{}", status.as_str());
                audit(tx, &change, &action, format!("application:{id}"), serde_json::Value::Null).await?;
                Ok(app)
            })
        })
        .await
    }

    async fn application(&self, id: i64) -> StoreResult<Option<Application>> {
        let row = sqlx::query(&format!("SELECT {APP_COLUMNS} FROM sch_applications WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.as_ref().map(app_from_row).transpose()
    }

    async fn applications(&self, call_id: i64) -> StoreResult<Vec<Application>> {
        let rows = sqlx::query(&format!(
            "SELECT {APP_COLUMNS} FROM sch_applications WHERE call_id = $1 ORDER BY id"
        ))
        .bind(call_id)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(app_from_row).collect()
    }

    async fn applications_of(&self, applicant_id: i64) -> StoreResult<Vec<Application>> {
        let rows = sqlx::query(&format!(
            "SELECT {APP_COLUMNS} FROM sch_applications WHERE applicant_id = $1 ORDER BY id"
        ))
        .bind(applicant_id)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(app_from_row).collect()
    }

    async fn add_document(&self, change: &Change, doc: &NewDocument) -> StoreResult<DocumentMeta> {
        let (change, doc) = (change.clone(), doc.clone());
        self.write(move |tx| {
            Box::pin(async move {
                let at = to_stored_resolution(change.at);
                let sha = document_sha256(&doc.content);
                let row = sqlx::query(&format!(
                    "INSERT INTO sch_documents (application_id, kind, filename, size, sha256, content, uploaded_at_ms) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {DOC_COLUMNS}"
                ))
                .bind(doc.application_id)
                .bind(&doc.kind)
                .bind(&doc.filename)
                .bind(doc.content.len() as i64)
                .bind(&sha)
                .bind(&doc.content)
                .bind(unix_ms(at))
                .fetch_one(&mut **tx)
                .await
                .map_err(backend)?;
                let meta = doc_from_row(&row)?;
                let details = serde_json::json!({"application_id": doc.application_id, "kind": doc.kind, "sha256": sha, "size": meta.size});
                audit(tx, &change, "scholarship.document.add", format!("document:{}", meta.id), details).await?;
                Ok(meta)
            })
        })
        .await
    }

    async fn documents(&self, application_id: i64) -> StoreResult<Vec<DocumentMeta>> {
        let rows = sqlx::query(&format!(
            "SELECT {DOC_COLUMNS} FROM sch_documents WHERE application_id = $1 ORDER BY id"
        ))
        .bind(application_id)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(doc_from_row).collect()
    }

    async fn document(&self, id: i64) -> StoreResult<Option<(DocumentMeta, Vec<u8>)>> {
        let row =
            sqlx::query(&format!("SELECT {DOC_COLUMNS}, content FROM sch_documents WHERE id = $1"))
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err(backend)?;
        row.as_ref()
            .map(|row| Ok((doc_from_row(row)?, row.try_get("content").map_err(backend)?)))
            .transpose()
    }

    async fn assign_review(
        &self,
        change: &Change,
        application_id: i64,
        reviewer_id: i64,
    ) -> StoreResult<Review> {
        let change = change.clone();
        self.write(move |tx| {
            Box::pin(async move {
                let row = sqlx::query(&format!(
                    "INSERT INTO sch_reviews (application_id, reviewer_id) VALUES ($1, $2) RETURNING {REVIEW_COLUMNS}"
                ))
                .bind(application_id)
                .bind(reviewer_id)
                .fetch_one(&mut **tx)
                .await
                .map_err(|e| {
                    if is_unique_violation(&e) {
                        StoreError::Conflict { what: "review", value: format!("application {application_id}, reviewer {reviewer_id}") }
                    } else {
                        backend(e)
                    }
                })?;
                let review = review_from_row(&row)?;
                let details = serde_json::json!({"application_id": application_id, "reviewer_id": reviewer_id});
                audit(tx, &change, "scholarship.review.assign", format!("review:{}", review.id), details).await?;
                Ok(review)
            })
        })
        .await
    }

    async fn submit_review(
        &self,
        change: &Change,
        review_id: i64,
        scores: &BTreeMap<String, u32>,
    ) -> StoreResult<Review> {
        let (change, scores) = (change.clone(), scores.clone());
        self.write(move |tx| {
            Box::pin(async move {
                let at = to_stored_resolution(change.at);
                let row = sqlx::query(&format!(
                    "UPDATE sch_reviews SET scores = $1, submitted_at_ms = $2 WHERE id = $3 RETURNING {REVIEW_COLUMNS}"
                ))
                .bind(json_text(&scores)?)
                .bind(unix_ms(at))
                .bind(review_id)
                .fetch_optional(&mut **tx)
                .await
                .map_err(backend)?
                .ok_or_else(|| not_found("review", review_id))?;
                let review = review_from_row(&row)?;
                let details = serde_json::json!({"scores": scores});
                audit(tx, &change, "scholarship.review.submit", format!("review:{review_id}"), details).await?;
                Ok(review)
            })
        })
        .await
    }

    async fn review(&self, id: i64) -> StoreResult<Option<Review>> {
        let row = sqlx::query(&format!("SELECT {REVIEW_COLUMNS} FROM sch_reviews WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.as_ref().map(review_from_row).transpose()
    }

    async fn reviews(&self, call_id: i64) -> StoreResult<Vec<Review>> {
        let rows = sqlx::query(
            "SELECT r.id, r.application_id, r.reviewer_id, r.scores, r.submitted_at_ms FROM sch_reviews r \
             JOIN sch_applications a ON a.id = r.application_id WHERE a.call_id = $1 ORDER BY r.id",
        )
        .bind(call_id)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(review_from_row).collect()
    }

    async fn save_placement(
        &self,
        change: &Change,
        call_id: i64,
        result: &serde_json::Value,
    ) -> StoreResult<Placement> {
        let (change, result) = (change.clone(), result.clone());
        self.write(move |tx| {
            Box::pin(async move {
                let at = to_stored_resolution(change.at);
                let row = sqlx::query(&format!(
                    "INSERT INTO sch_placements (call_id, published, result, created_at_ms) VALUES ($1, $2, $3, $4) RETURNING {PLACEMENT_COLUMNS}"
                ))
                .bind(call_id)
                .bind(false)
                .bind(result.to_string())
                .bind(unix_ms(at))
                .fetch_one(&mut **tx)
                .await
                .map_err(backend)?;
                let placement = placement_from_row(&row)?;
                let details = serde_json::json!({"call_id": call_id, "mechanism": result.get("mechanism"), "summary": result.get("summary")});
                audit(tx, &change, "scholarship.placement.run", format!("placement:{}", placement.id), details).await?;
                Ok(placement)
            })
        })
        .await
    }

    async fn publish_placement(&self, change: &Change, id: i64) -> StoreResult<Placement> {
        let change = change.clone();
        self.write(move |tx| {
            Box::pin(async move {
                let row = sqlx::query(&format!(
                    "UPDATE sch_placements SET published = $1 WHERE id = $2 RETURNING {PLACEMENT_COLUMNS}"
                ))
                .bind(true)
                .bind(id)
                .fetch_optional(&mut **tx)
                .await
                .map_err(backend)?
                .ok_or_else(|| not_found("placement", id))?;
                let placement = placement_from_row(&row)?;
                let details = serde_json::json!({"call_id": placement.call_id});
                audit(tx, &change, "scholarship.placement.publish", format!("placement:{id}"), details).await?;
                Ok(placement)
            })
        })
        .await
    }

    async fn placements(&self, call_id: i64) -> StoreResult<Vec<Placement>> {
        let rows = sqlx::query(&format!(
            "SELECT {PLACEMENT_COLUMNS} FROM sch_placements WHERE call_id = $1 ORDER BY id"
        ))
        .bind(call_id)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(placement_from_row).collect()
    }
}
