//! Key locks: each command is atomic, and commands on different keys run in parallel.
//!
//! Keys map to a fixed table of reader-writer stripes. A command takes the stripes of all its
//! keys at once, in stripe order, so two multi-key commands can never deadlock; readers of a
//! key share its stripe. Commands that touch everything (FLUSHALL, FLUSHDB, later MULTI/EXEC
//! and EVAL) take the whole table exclusively through the global lock.

use std::hash::{BuildHasher, Hasher};

use parking_lot::{RwLock, RwLockReadGuard, RwLockWriteGuard};

const STRIPES: usize = 4096;

pub struct KeyLocks {
    global: RwLock<()>,
    stripes: Vec<RwLock<()>>,
    hasher: std::collections::hash_map::RandomState,
}

/// Held for the duration of one command.
pub enum Guard<'a> {
    Keys {
        _global: RwLockReadGuard<'a, ()>,
        _read: Vec<RwLockReadGuard<'a, ()>>,
        _write: Vec<RwLockWriteGuard<'a, ()>>,
    },
    Exclusive(#[allow(dead_code)] RwLockWriteGuard<'a, ()>),
}

impl Default for KeyLocks {
    fn default() -> Self {
        KeyLocks {
            global: RwLock::new(()),
            stripes: (0..STRIPES).map(|_| RwLock::new(())).collect(),
            hasher: Default::default(),
        }
    }
}

impl KeyLocks {
    fn stripe(&self, db: usize, key: &[u8]) -> usize {
        let mut h = self.hasher.build_hasher();
        h.write_usize(db);
        h.write(key);
        (h.finish() as usize) % STRIPES
    }

    /// Locks the given keys of database `db`: shared when `write` is false.
    pub fn lock<'a, K: AsRef<[u8]>>(
        &'a self,
        keys: impl IntoIterator<Item = (usize, K)>,
        write: bool,
    ) -> Guard<'a> {
        let global = self.global.read();
        self.lock_stripes(global, keys, write)
    }

    /// Every key, exclusively: waits until no command holds a lock.
    pub fn exclusive(&self) -> Guard<'_> {
        Guard::Exclusive(self.global.write())
    }

    /// Locks the given keys (all of them, exclusively, when `keys` is None), unless
    /// `give_up` gives a reason to stop waiting first: it is asked every few milliseconds
    /// while everything is held by someone else (a script).
    pub fn lock_unless<'a, K: AsRef<[u8]>, E>(
        &'a self,
        keys: Option<impl IntoIterator<Item = (usize, K)>>,
        write: bool,
        give_up: impl Fn() -> Option<E>,
    ) -> Result<Guard<'a>, E> {
        let patience = std::time::Duration::from_millis(5);
        let global = loop {
            match keys {
                None => {
                    if let Some(all) = self.global.try_write_for(patience) {
                        return Ok(Guard::Exclusive(all));
                    }
                }
                Some(_) => {
                    if let Some(global) = self.global.try_read_for(patience) {
                        break global;
                    }
                }
            }
            if let Some(reason) = give_up() {
                return Err(reason);
            }
        };
        let keys = keys.expect("only key locks get here");
        Ok(self.lock_stripes(global, keys, write))
    }

    fn lock_stripes<'a, K: AsRef<[u8]>>(
        &'a self,
        global: RwLockReadGuard<'a, ()>,
        keys: impl IntoIterator<Item = (usize, K)>,
        write: bool,
    ) -> Guard<'a> {
        let mut stripes: Vec<usize> = keys
            .into_iter()
            .map(|(db, k)| self.stripe(db, k.as_ref()))
            .collect();
        stripes.sort_unstable();
        stripes.dedup();
        let (mut read, mut written) = (Vec::new(), Vec::new());
        for s in stripes {
            if write {
                written.push(self.stripes[s].write());
            } else {
                read.push(self.stripes[s].read());
            }
        }
        Guard::Keys {
            _global: global,
            _read: read,
            _write: written,
        }
    }

    /// Shared locks on the given keys if they can be taken without waiting.
    pub fn try_read<'a, K: AsRef<[u8]>>(
        &'a self,
        keys: impl IntoIterator<Item = (usize, K)>,
    ) -> Option<Guard<'a>> {
        let mut stripes: Vec<usize> = keys
            .into_iter()
            .map(|(db, k)| self.stripe(db, k.as_ref()))
            .collect();
        stripes.sort_unstable();
        stripes.dedup();
        let global = self.global.try_read()?;
        let read = stripes
            .into_iter()
            .map(|s| self.stripes[s].try_read())
            .collect::<Option<Vec<_>>>()?;
        Some(Guard::Keys {
            _global: global,
            _read: read,
            _write: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_multi_key_locks_do_not_deadlock() {
        let locks = std::sync::Arc::new(KeyLocks::default());
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let locks = locks.clone();
                std::thread::spawn(move || {
                    for i in 0..2000 {
                        let a = format!("k{}", (i + t) % 7);
                        let b = format!("k{}", (i * 3 + t) % 5);
                        let _g = locks.lock([(0, a), (0, b)], true);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
    }

    #[test]
    fn readers_share_a_key() {
        let locks = KeyLocks::default();
        let _a = locks.lock([(0, "k")], false);
        let _b = locks.lock([(0, "k")], false);
    }
}
