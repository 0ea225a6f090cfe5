//! Caches of store reads that load a missing or expired entry once, however many requests ask
//! for it at the same moment ("single flight"): the others wait for that one load.
//!
//! Without it, the requests in flight when an entry expires (or when a server starts under
//! load) each read the store: 64 lodgements arriving together read the trust list, their
//! issuer's whole log, the risk rules and the trader's record 64 times each, and the first
//! wave of a cold server waited about 35 ms instead of 3 ms.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::OnceCell;

/// A map of values loaded on demand, each kept for `ttl` (or until forgotten).
pub struct Memo<K, V> {
    ttl: Option<Duration>,
    slots: Mutex<HashMap<K, Slot<V>>>,
}

struct Slot<V> {
    /// When this slot was made: its value's age is measured from the start of its load, so a
    /// value is never used longer than `ttl` after the store was asked.
    made: Instant,
    cell: Arc<OnceCell<V>>,
}

impl<K: Eq + Hash, V: Clone> Memo<K, V> {
    /// Values kept for `ttl`; `None` keeps them until [`Memo::put`] or [`Memo::forget`].
    pub fn new(ttl: Option<Duration>) -> Self {
        Memo { ttl, slots: Mutex::default() }
    }

    /// The value of `key`, from `load` when missing or expired. Callers that ask while a load
    /// is under way wait for it; a failed load is tried again by the next waiter. The key is
    /// borrowed (`&str` for a `String` key) and copied only when a slot is made.
    ///
    /// # Errors
    /// The error of `load`.
    pub async fn get_or_load<Q, E, F, Fut>(&self, key: &Q, load: F) -> Result<V, E>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        let cell = {
            let mut slots = lock(&self.slots);
            match slots.get(key) {
                Some(slot) if self.ttl.is_none_or(|ttl| slot.made.elapsed() < ttl) => {
                    Arc::clone(&slot.cell)
                }
                _ => {
                    let cell = Arc::new(OnceCell::new());
                    slots.insert(
                        key.to_owned(),
                        Slot { made: Instant::now(), cell: Arc::clone(&cell) },
                    );
                    cell
                }
            }
        };
        cell.get_or_try_init(load).await.cloned()
    }

    /// Sets `key` to a value known now (a write made by this process).
    pub fn put(&self, key: K, value: V) {
        let cell = Arc::new(OnceCell::new_with(Some(value)));
        lock(&self.slots).insert(key, Slot { made: Instant::now(), cell });
    }

    /// Forgets `key`: the next caller loads it again. A load already under way still answers
    /// the callers waiting for it.
    pub fn forget<Q>(&self, key: &Q)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        lock(&self.slots).remove(key);
    }
}

#[cfg(test)]
mod tests;

/// Locks `mutex`, going on with its data if a thread panicked while holding it (every value a
/// lock here guards stays consistent between statements).
pub fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
