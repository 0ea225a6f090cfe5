// The write probe behind `caravan_store::Store::check_writable`, shared by both adapters: each
// adapter's `src/health.rs` includes this file, and `DbStore` names that adapter's store.
//
// The probe commits a write that leaves no trace: it inserts a marker row into
// `schema_migrations` and deletes it in the same write transaction (`begin_write`). It must
// commit: a rolled-back transaction proves nothing, since SQLite in WAL mode writes its pages
// only at commit, so a rollback succeeds on a full disk. A committed insert-then-delete appends
// the touched pages to the WAL (PostgreSQL: WAL records and the commit record) and syncs them,
// which is exactly what a real write needs. Nothing is visible to anyone else, and nothing is
// audited, because nothing changed.
//
// One probe answers every caller for `PROBE_TTL`, and while one runs, other callers get the
// previous answer: health checks, however many and however often (the endpoint is public),
// cost the writers at most one small transaction a second.
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use caravan_store::StoreResult;

use crate::{DbStore, backend};

/// How long one probe's answer stands.
const PROBE_TTL: Duration = Duration::from_secs(1);

/// The marker row: no migration has a version below 1.
const PROBE_VERSION: i64 = -1;

/// The last probe's answer with the time it was taken, and whether a probe is running.
#[derive(Debug, Default)]
pub(crate) struct WriteProbe {
    last: Mutex<Option<(Instant, StoreResult<()>)>>,
    running: AtomicBool,
}

/// Clears `running` however the probe ends, a dropped (cancelled) future included.
struct Running<'a>(&'a AtomicBool);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

impl WriteProbe {
    /// The answer of a probe at most [`PROBE_TTL`] old, probing again when it is older.
    pub(crate) async fn check(&self, store: &DbStore) -> StoreResult<()> {
        let last = self.last.lock().unwrap_or_else(PoisonError::into_inner).clone();
        if let Some((at, answer)) = &last
            && at.elapsed() < PROBE_TTL
        {
            return answer.clone();
        }
        if self.running.swap(true, Ordering::AcqRel)
            && let Some((_, answer)) = last
        {
            return answer;
        }
        let _running = Running(&self.running);
        let answer = probe(store).await;
        *self.last.lock().unwrap_or_else(PoisonError::into_inner) =
            Some((Instant::now(), answer.clone()));
        answer
    }
}

async fn probe(store: &DbStore) -> StoreResult<()> {
    let mut tx = store.begin_write().await?;
    sqlx::query("INSERT INTO schema_migrations (version) VALUES ($1)")
        .bind(PROBE_VERSION)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
    sqlx::query("DELETE FROM schema_migrations WHERE version = $1")
        .bind(PROBE_VERSION)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
    tx.commit().await.map_err(backend)
}
