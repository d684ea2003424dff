//! WATCH: which sessions watch which keys, and how a change to a key reaches them.
//!
//! A session that runs `WATCH k` registers `k` here with a [`WatchSet`]. Every change to the
//! store goes through [`Batch::commit`](super::Batch::commit), which reports the keys it is
//! about to change and the databases it is about to empty; the watchers of those keys are
//! marked dirty, and their EXEC then fails with a nil reply. The write path pays for this only
//! when someone watches something: an atomic counter is checked first.
//!
//! As in Redis 7, a key that had already expired when it was watched (logically absent but
//! still on disk) does not make EXEC fail when it is deleted, since nothing visible changed;
//! and a key that was live when watched makes EXEC fail once its deadline passes, even if
//! nobody deleted it yet (see [`WatchSet::expired_since`]).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

use super::batch::{Batch, KeyId};
use super::meta::{now_ms, Meta};
use crate::error::Result;

/// Every watched key, with its watchers.
#[derive(Default)]
pub struct Watches {
    /// How many (session, key) pairs are registered: zero means the write path has nothing
    /// to do.
    count: AtomicUsize,
    keys: Mutex<HashMap<KeyId, Vec<Watcher>>>,
}

struct Watcher {
    dirty: Arc<AtomicBool>,
    /// The key was on disk but expired when it was watched.
    expired: bool,
}

/// How a batch changes a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Written,
    Deleted,
}

impl Watches {
    /// Whether nobody watches anything (the write path's fast check).
    pub fn is_empty(&self) -> bool {
        self.count.load(Ordering::Relaxed) == 0
    }

    /// A key is about to change. `on_disk` tells whether the key is on disk now: deleting a
    /// key that is not there changes nothing.
    pub fn key_changed(&self, id: &KeyId, change: Change, on_disk: impl FnOnce() -> bool) {
        let mut keys = self.keys.lock();
        let Some(watchers) = keys.get_mut(id) else {
            return;
        };
        if change == Change::Deleted && !on_disk() {
            return;
        }
        for watcher in watchers {
            touch(watcher, change);
        }
    }

    /// Database `db` is about to be emptied: the watchers of its keys that are on disk are
    /// touched as by a deletion.
    pub fn db_emptied(&self, db: usize, on_disk: impl Fn(&KeyId) -> bool) {
        let mut keys = self.keys.lock();
        for (id, watchers) in keys.iter_mut().filter(|(id, _)| id.db == db) {
            if on_disk(id) {
                for watcher in watchers {
                    touch(watcher, Change::Deleted);
                }
            }
        }
    }
}

/// Marks a watcher dirty, except when an expired key is deleted: that changes nothing
/// visible, and later changes to the key count as usual.
fn touch(watcher: &mut Watcher, change: Change) {
    if watcher.expired && change == Change::Deleted {
        watcher.expired = false;
    } else {
        watcher.dirty.store(true, Ordering::Relaxed);
    }
}

/// One session's watched keys. Dropping it unwatches them all.
pub struct WatchSet {
    watches: Arc<Watches>,
    dirty: Arc<AtomicBool>,
    keys: HashSet<KeyId>,
}

impl WatchSet {
    pub fn new(watches: Arc<Watches>) -> WatchSet {
        WatchSet {
            watches,
            dirty: Arc::default(),
            keys: HashSet::new(),
        }
    }

    /// Watches a key, as it is now in `batch` (the caller holds the key's lock, so no change
    /// can slip between the look and the registration). Watching a key twice is watching it.
    pub fn watch(&mut self, batch: &Batch, id: KeyId) -> Result<()> {
        if self.keys.contains(&id) {
            return Ok(());
        }
        let expired = expired_on_disk(batch, &id)?;
        let watcher = Watcher {
            dirty: self.dirty.clone(),
            expired,
        };
        self.watches
            .keys
            .lock()
            .entry(id.clone())
            .or_default()
            .push(watcher);
        self.watches.count.fetch_add(1, Ordering::Relaxed);
        self.keys.insert(id);
        Ok(())
    }

    /// Whether a watched key changed since it was watched.
    pub fn is_dirty(&self) -> bool {
        self.dirty.load(Ordering::Relaxed)
    }

    /// Whether a watched key that was live when watched has expired since, though nobody
    /// deleted it yet (EXEC checks this with every key locked).
    pub fn expired_since(&self, batch: &Batch) -> Result<bool> {
        let live_when_watched: Vec<&KeyId> = {
            let keys = self.watches.keys.lock();
            self.keys
                .iter()
                .filter(|id| {
                    !keys.get(*id).is_some_and(|watchers| {
                        watchers
                            .iter()
                            .any(|w| w.expired && Arc::ptr_eq(&w.dirty, &self.dirty))
                    })
                })
                .collect()
        };
        for id in live_when_watched {
            if expired_on_disk(batch, id)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// UNWATCH: forgets every key and the dirty mark.
    pub fn clear(&mut self) {
        if !self.keys.is_empty() {
            let mut keys = self.watches.keys.lock();
            for id in self.keys.drain() {
                if let Some(watchers) = keys.get_mut(&id) {
                    watchers.retain(|w| !Arc::ptr_eq(&w.dirty, &self.dirty));
                    if watchers.is_empty() {
                        keys.remove(&id);
                    }
                }
                self.watches.count.fetch_sub(1, Ordering::Relaxed);
            }
        }
        self.dirty.store(false, Ordering::Relaxed);
    }
}

impl Drop for WatchSet {
    fn drop(&mut self) {
        self.clear();
    }
}

/// Whether the key is on disk with a deadline that has passed.
fn expired_on_disk(batch: &Batch, id: &KeyId) -> Result<bool> {
    Ok(match batch.read(id, "type")? {
        Some(bytes) => Meta::parse(&bytes)?.is_expired(now_ms()),
        None => false,
    })
}
