//! A bounded cache of small files of recently used keys.
//!
//! Every command reads a key's `type` file, and GET reads `value` too: caching them lets a
//! hot read finish with no system call at all, and lets the connection answer it without
//! handing it to a disk thread. The cache holds at most a configured number of bytes,
//! evicting by quick_cache's policy, so memory does not grow with the data set.
//!
//! Coherence: an entry is filled only by a read made under the key's lock, and every commit
//! updates or drops the entries of the keys it changes before the lock is released, so the
//! cache never holds anything the disk does not.

use std::sync::Arc;

use bytes::Bytes;

use super::batch::KeyId;

/// Files larger than this are not cached.
pub const CACHED_FILE_MAX: usize = 16 * 1024;

/// Most files cached per key (its `type`, `value`, a few fields).
const FILES_PER_KEY: usize = 8;

/// What a commit did to a file.
pub enum Change {
    Written(Bytes),
    Removed,
    /// Replaced by a file too large to cache, or written in place: the cached copy goes.
    Large,
}

/// The cached files of one key: relative path -> content, None when known to be absent.
#[derive(Clone, Default)]
struct Files(Vec<(Box<str>, Option<Bytes>)>);

impl Files {
    fn get(&self, rel: &str) -> Option<&Option<Bytes>> {
        self.0.iter().find(|(r, _)| &**r == rel).map(|(_, c)| c)
    }

    fn set(&mut self, rel: &str, content: Option<Bytes>) {
        match self.0.iter_mut().find(|(r, _)| &**r == rel) {
            Some(slot) => slot.1 = content,
            None => {
                if self.0.len() >= FILES_PER_KEY {
                    self.0.remove(0);
                }
                self.0.push((rel.into(), content));
            }
        }
    }

    fn weight(&self) -> u64 {
        self.0
            .iter()
            .map(|(r, c)| 48 + r.len() + c.as_ref().map_or(0, Bytes::len))
            .sum::<usize>() as u64
    }
}

#[derive(Clone)]
struct Weigh;

impl quick_cache::Weighter<(usize, Bytes), Arc<Files>> for Weigh {
    fn weight(&self, key: &(usize, Bytes), files: &Arc<Files>) -> u64 {
        64 + key.1.len() as u64 + files.weight()
    }
}

pub struct Cache {
    inner: Option<quick_cache::sync::Cache<(usize, Bytes), Arc<Files>, Weigh>>,
}

impl Cache {
    /// A cache of at most `bytes` (0 disables it).
    pub fn new(bytes: u64) -> Cache {
        let inner = (bytes > 0).then(|| {
            quick_cache::sync::Cache::with_weighter((bytes / 256).max(16) as usize, bytes, Weigh)
        });
        Cache { inner }
    }

    fn key(id: &KeyId) -> (usize, Bytes) {
        (id.db, id.key.clone())
    }

    /// The cached content of a file: `Some(None)` when known absent, None when not cached.
    pub fn get(&self, id: &KeyId, rel: &str) -> Option<Option<Bytes>> {
        self.inner
            .as_ref()?
            .get(&Self::key(id))
            .and_then(|files| files.get(rel).cloned())
    }

    /// Records a file's content as just read (or written) under the key's lock.
    pub fn put(&self, id: &KeyId, rel: &str, content: Option<Bytes>) {
        let Some(inner) = &self.inner else { return };
        if content.as_ref().is_some_and(|c| c.len() > CACHED_FILE_MAX) {
            return self.drop_file(id, rel);
        }
        let key = Self::key(id);
        let mut files = inner.get(&key).map(|f| (*f).clone()).unwrap_or_default();
        files.set(rel, content);
        inner.insert(key, Arc::new(files));
    }

    /// Applies a committed change of a file to the cached copy, if the key is cached.
    pub fn changed(&self, id: &KeyId, rel: &str, change: Change) {
        let Some(inner) = &self.inner else { return };
        if !inner.contains_key(&Self::key(id)) {
            return;
        }
        match change {
            Change::Written(content) => self.put(id, rel, Some(content)),
            Change::Removed => self.put(id, rel, None),
            Change::Large => self.drop_file(id, rel),
        }
    }

    fn drop_file(&self, id: &KeyId, rel: &str) {
        let Some(inner) = &self.inner else { return };
        let key = Self::key(id);
        if let Some(files) = inner.get(&key) {
            let mut files = (*files).clone();
            files.0.retain(|(r, _)| &**r != rel);
            inner.insert(key, Arc::new(files));
        }
    }

    /// Forgets everything about a key (it was replaced or deleted as a whole).
    pub fn forget(&self, id: &KeyId) {
        if let Some(inner) = &self.inner {
            inner.remove(&Self::key(id));
        }
    }

    /// Forgets every key of a database (it was flushed).
    pub fn forget_db(&self, db: usize) {
        if let Some(inner) = &self.inner {
            inner.retain(|(key_db, _), _| *key_db != db);
        }
    }
}
