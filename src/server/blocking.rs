//! Clients blocked on keys (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP on lists, BZPOPMIN,
//! BZPOPMAX, BZMPOP on sorted sets; the same mechanism serves any command that waits for a
//! key to get elements): who waits for which key, in arrival order, and how they are woken.
//!
//! End to end:
//! 1. A blocking handler that finds nothing to serve asks to wait (`Ctx::block`: keys, the
//!    type it waits for, a timeout). `commands::run` puts the client in line here
//!    ([`Blocking::wait`]) while it still holds the keys' locks, so that any push committed
//!    after the handler looked finds the client in line, and answers `Outcome::Block`.
//! 2. The connection task keeps the [`Waiting`] ticket and awaits a wake-up, the deadline, the
//!    client going away or shutdown, holding no lock and no disk thread; its later requests
//!    wait behind it.
//! 3. A command that creates a key (LPUSH on a missing list, ZADD on a missing sorted set,
//!    the destination of an LMOVE or a ZUNIONSTORE, RENAME, COPY or MOVE, a whole
//!    transaction; SWAPDB for every key of both databases)
//!    signals it once its batch has committed ([`Blocking::signal`]): the
//!    first client in line for that key that waits for that type is woken. Redis wakes
//!    blocked clients on the same event, a key added to the database: a key that exists
//!    has elements, and nobody waits on a key that has elements.
//! 4. The woken client checks on a disk thread that one of its keys now holds its type
//!    ([`Waiting::has_data`]) and runs its command again. Served, it leaves the line and passes
//!    the wake-up on to the next client of each of its keys, as the key may hold more
//!    elements ([`Waiting::served`]); served nothing (another client was faster), it waits
//!    again in the same place. A client that leaves otherwise (timeout, disconnection)
//!    passes on a wake-up it had not looked at yet. So clients are served in the order they
//!    blocked, one after the other.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use parking_lot::Mutex;
use tokio::sync::Notify;

use crate::store::{Batch, KeyId, Mode, Store, Type};

/// The server-wide registry of blocked clients.
#[derive(Default)]
pub struct Blocking {
    state: Mutex<Lines>,
    /// Clients in line: lets [`Blocking::signal`] return at once when nobody waits.
    waiting: AtomicUsize,
}

/// Who waits for what.
#[derive(Default)]
struct Lines {
    /// (database, key) -> the clients waiting for it, first come first.
    by_key: HashMap<(usize, Bytes), VecDeque<Arc<Waiter>>>,
    /// Client id -> its entry.
    by_client: HashMap<u64, Arc<Waiter>>,
}

/// One blocked client.
struct Waiter {
    client: u64,
    db: usize,
    /// Its keys, each once.
    keys: Vec<Bytes>,
    /// The type it waits for (a list for BLPOP): a key created with another type does not
    /// wake it.
    kind: Type,
    wake: Notify,
    /// Woken since it last looked; set and cleared under the registry's lock.
    woken: AtomicBool,
    /// Set by CLIENT UNBLOCK: how the command must end.
    unblocked: Mutex<Option<Unblock>>,
}

/// How CLIENT UNBLOCK ends a blocked command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unblock {
    /// As if its timeout had expired.
    Timeout,
    /// With Redis's `-UNBLOCKED` error.
    Error,
}

impl Blocking {
    /// Puts a client in line for `keys` of database `db`, waiting for a key of type `kind`.
    /// Called with those keys locked. None when the client is in line already (a command run
    /// again after a wake-up that found nothing): it keeps its place.
    pub fn wait(
        self: &Arc<Self>,
        client: u64,
        db: usize,
        keys: &[Bytes],
        kind: Type,
    ) -> Option<Waiting> {
        let mut lines = self.state.lock();
        if lines.by_client.contains_key(&client) {
            return None;
        }
        let mut unique: Vec<Bytes> = Vec::with_capacity(keys.len());
        for key in keys {
            if !unique.contains(key) {
                unique.push(key.clone());
            }
        }
        let waiter = Arc::new(Waiter {
            client,
            db,
            keys: unique,
            kind,
            wake: Notify::new(),
            woken: AtomicBool::new(false),
            unblocked: Mutex::new(None),
        });
        for key in &waiter.keys {
            lines
                .by_key
                .entry((db, key.clone()))
                .or_default()
                .push_back(waiter.clone());
        }
        lines.by_client.insert(client, waiter.clone());
        self.waiting.fetch_add(1, Ordering::Relaxed);
        Some(Waiting {
            registry: self.clone(),
            waiter,
            served: false,
        })
    }

    /// A key of type `kind` was created in database `db` (called after the commit): wakes
    /// the first client in line for it that waits for that type.
    pub fn signal(&self, db: usize, key: &[u8], kind: Type) {
        if self.waiting.load(Ordering::Relaxed) == 0 {
            return;
        }
        let lines = self.state.lock();
        lines.wake_first(db, key, kind);
    }

    /// Database `db` was swapped with another (SWAPDB): wakes every client blocked in it, to
    /// look again at its keys.
    pub fn signal_db(&self, db: usize) {
        if self.waiting.load(Ordering::Relaxed) == 0 {
            return;
        }
        let lines = self.state.lock();
        for waiter in lines.by_client.values().filter(|w| w.db == db) {
            waiter.woken.store(true, Ordering::Relaxed);
            waiter.wake.notify_one();
        }
    }

    /// CLIENT UNBLOCK: ends the wait of `client`, if it is blocked. Returns whether it was.
    pub fn unblock(&self, client: u64, how: Unblock) -> bool {
        let lines = self.state.lock();
        let Some(waiter) = lines.by_client.get(&client) else {
            return false;
        };
        *waiter.unblocked.lock() = Some(how);
        waiter.woken.store(true, Ordering::Relaxed);
        waiter.wake.notify_one();
        true
    }

    /// How many clients are blocked (INFO's `blocked_clients`).
    pub fn blocked_clients(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    /// Takes a client out of every line; passes a wake-up on to the next client of each of
    /// its keys when it was served or had a wake-up it did not look at.
    fn leave(&self, waiter: &Arc<Waiter>, served: bool) {
        let mut lines = self.state.lock();
        for key in &waiter.keys {
            let slot = (waiter.db, key.clone());
            if let Some(line) = lines.by_key.get_mut(&slot) {
                line.retain(|w| !Arc::ptr_eq(w, waiter));
                if line.is_empty() {
                    lines.by_key.remove(&slot);
                }
            }
        }
        lines.by_client.remove(&waiter.client);
        self.waiting.fetch_sub(1, Ordering::Relaxed);
        if served || waiter.woken.load(Ordering::Relaxed) {
            for key in &waiter.keys {
                lines.wake_first(waiter.db, key, waiter.kind);
            }
        }
    }
}

impl Lines {
    fn wake_first(&self, db: usize, key: &[u8], kind: Type) {
        let slot = (db, Bytes::copy_from_slice(key));
        let first = self
            .by_key
            .get(&slot)
            .and_then(|line| line.iter().find(|w| w.kind == kind));
        if let Some(waiter) = first {
            waiter.woken.store(true, Ordering::Relaxed);
            waiter.wake.notify_one();
        }
    }
}

/// A blocked client's place in line, held by its connection; leaving the line is dropping it.
pub struct Waiting {
    registry: Arc<Blocking>,
    waiter: Arc<Waiter>,
    served: bool,
}

impl Waiting {
    /// Returns once the client was woken (at once if it was woken since it last looked).
    pub async fn woken(&self) {
        if !self.waiter.woken.load(Ordering::Relaxed) {
            self.waiter.wake.notified().await;
        }
        let _lines = self.registry.state.lock();
        self.waiter.woken.store(false, Ordering::Relaxed);
    }

    /// Set when CLIENT UNBLOCK ended the wait: how to answer.
    pub fn unblocked(&self) -> Option<Unblock> {
        *self.waiter.unblocked.lock()
    }

    /// Whether one of the keys now holds the awaited type, worth running the command again
    /// for (reads metadata: call it on a disk thread). Redis makes the same check before it
    /// runs a blocked command again.
    pub fn has_data(&self, store: &Store) -> bool {
        let batch = Batch::new(store, Mode::Unlocked);
        let waiter = &self.waiter;
        waiter.keys.iter().any(|key| {
            match batch.meta(&KeyId::new(waiter.db, key.clone())) {
                Ok(meta) => meta.is_some_and(|m| m.kind == waiter.kind),
                Err(_) => true, // the command will report it
            }
        })
    }

    /// The command was answered: leave the line, passing the wake-up on.
    pub fn served(mut self) {
        self.served = true;
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        self.registry.leave(&self.waiter, self.served);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: &str) -> Vec<Bytes> {
        vec![Bytes::copy_from_slice(k.as_bytes())]
    }

    #[tokio::test]
    async fn the_first_in_line_is_woken_and_passes_it_on_when_served() {
        let registry = Arc::new(Blocking::default());
        let first = registry.wait(1, 0, &key("k"), Type::List).unwrap();
        let second = registry.wait(2, 0, &key("k"), Type::List).unwrap();
        assert!(registry.wait(1, 0, &key("k"), Type::List).is_none());
        assert_eq!(registry.blocked_clients(), 2);
        registry.signal(0, b"k", Type::List);
        first.woken().await;
        assert!(!second.waiter.woken.load(Ordering::Relaxed));
        first.served();
        second.woken().await;
        drop(second);
        assert_eq!(registry.blocked_clients(), 0);
        assert!(registry.state.lock().by_key.is_empty());
    }

    #[tokio::test]
    async fn another_type_wakes_nobody_and_a_dropped_wake_is_passed_on() {
        let registry = Arc::new(Blocking::default());
        let first = registry.wait(1, 0, &key("k"), Type::List).unwrap();
        let second = registry.wait(2, 0, &key("k"), Type::List).unwrap();
        registry.signal(0, b"k", Type::ZSet);
        registry.signal(1, b"k", Type::List);
        assert!(!first.waiter.woken.load(Ordering::Relaxed));
        registry.signal(0, b"k", Type::List);
        drop(first); // timed out before looking
        second.woken().await;
    }
}
