//! A bounded cache of small files of recently used keys.
//!
//! Every command reads a key's `type` file, and GET reads `value` too: caching them lets a
//! hot read finish with no system call at all, and lets the connection answer it without
//! handing it to a disk thread. The cache holds at most a configured number of bytes,
//! evicting by quick_cache's policy, so memory does not grow with the data set.
//!
//! A key's files are one entry (a few of them: `type`, `value`, some fields), except the
//! nodes of a sorted set's index, which are entries of their own, as a big set has thousands:
//! a node entry is named by its key entry's generation, a number no other key entry ever
//! had, so forgetting the key entry forgets its nodes too (they can no longer be found, and
//! are evicted in time).
//!
//! Coherence: an entry is filled only by a read made under the key's lock, and every commit
//! updates or drops the entries of the keys it changes before the lock is released, so the
//! cache never holds anything the disk does not.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;

use super::batch::KeyId;

/// Files larger than this are not cached.
pub const CACHED_FILE_MAX: usize = 16 * 1024;

/// Most files cached per key in its own entry (its `type`, `value`, a few fields).
const FILES_PER_KEY: usize = 8;

/// Sorted-set index nodes, cached in entries of their own.
fn is_node(rel: &str) -> bool {
    rel.starts_with("index/")
}

/// What a commit did to a file.
pub enum Change {
    Written(Bytes),
    Removed,
    /// Replaced by a file too large to cache, or written in place: the cached copy goes.
    Large,
}

/// The cached files of one key: relative path -> content, None when known to be absent.
#[derive(Clone)]
struct Files {
    generation: u64,
    files: Vec<(Box<str>, Option<Bytes>)>,
}

/// Generations of key entries, unique for the life of the process.
static GENERATIONS: AtomicU64 = AtomicU64::new(0);

impl Files {
    fn new() -> Files {
        Files {
            generation: GENERATIONS.fetch_add(1, Ordering::Relaxed),
            files: Vec::new(),
        }
    }

    fn get(&self, rel: &str) -> Option<&Option<Bytes>> {
        self.files.iter().find(|(r, _)| &**r == rel).map(|(_, c)| c)
    }

    fn set(&mut self, rel: &str, content: Option<Bytes>) {
        match self.files.iter_mut().find(|(r, _)| &**r == rel) {
            Some(slot) => slot.1 = content,
            None => {
                if self.files.len() >= FILES_PER_KEY {
                    self.files.remove(0);
                }
                self.files.push((rel.into(), content));
            }
        }
    }

    fn weight(&self) -> u64 {
        self.files
            .iter()
            .map(|(r, c)| 48 + r.len() + c.as_ref().map_or(0, Bytes::len))
            .sum::<usize>() as u64
    }
}

/// An entry's name: a key (database, name), or an index node (its key entry's generation,
/// its path).
#[derive(Clone, PartialEq, Eq, Hash)]
enum Slot {
    Key(usize, Bytes),
    Node(u64, Box<str>),
}

#[derive(Clone)]
enum Entry {
    Files(Arc<Files>),
    Node(Option<Bytes>),
}

#[derive(Clone)]
struct Weigh;

impl quick_cache::Weighter<Slot, Entry> for Weigh {
    fn weight(&self, slot: &Slot, entry: &Entry) -> u64 {
        let name = match slot {
            Slot::Key(_, key) => key.len(),
            Slot::Node(_, rel) => rel.len(),
        };
        let content = match entry {
            Entry::Files(files) => files.weight(),
            Entry::Node(content) => content.as_ref().map_or(0, Bytes::len) as u64,
        };
        64 + name as u64 + content
    }
}

pub struct Cache {
    inner: Option<quick_cache::sync::Cache<Slot, Entry, Weigh>>,
}

impl Cache {
    /// A cache of at most `bytes` (0 disables it).
    pub fn new(bytes: u64) -> Cache {
        let inner = (bytes > 0).then(|| {
            quick_cache::sync::Cache::with_weighter((bytes / 256).max(16) as usize, bytes, Weigh)
        });
        Cache { inner }
    }

    fn key(id: &KeyId) -> Slot {
        Slot::Key(id.db, id.key.clone())
    }

    /// The key's name for an entry that stays: a copy, since the name may be a slice of a
    /// request's read buffer, which it would keep alive whole.
    fn owned_key(id: &KeyId) -> Slot {
        Slot::Key(id.db, Bytes::copy_from_slice(&id.key))
    }

    /// The key's entry, if cached.
    fn files(&self, id: &KeyId) -> Option<Arc<Files>> {
        match self.inner.as_ref()?.get(&Self::key(id))? {
            Entry::Files(files) => Some(files),
            Entry::Node(_) => None,
        }
    }

    /// The cached content of a file: `Some(None)` when known absent, None when not cached.
    pub fn get(&self, id: &KeyId, rel: &str) -> Option<Option<Bytes>> {
        let files = self.files(id)?;
        if !is_node(rel) {
            return files.get(rel).cloned();
        }
        match self
            .inner
            .as_ref()?
            .get(&Slot::Node(files.generation, rel.into()))?
        {
            Entry::Node(content) => Some(content),
            Entry::Files(_) => None,
        }
    }

    /// Records a file's content as just read (or written) under the key's lock.
    pub fn put(&self, id: &KeyId, rel: &str, content: Option<Bytes>) {
        let Some(inner) = &self.inner else { return };
        if content.as_ref().is_some_and(|c| c.len() > CACHED_FILE_MAX) {
            return self.drop_file(id, rel);
        }
        // A copy too: written content is a slice of the request that carried it.
        let content = content.map(|c| Bytes::copy_from_slice(&c));
        let cached = self.files(id);
        if is_node(rel) {
            let generation = match cached {
                Some(files) => files.generation,
                None => {
                    let files = Files::new();
                    let generation = files.generation;
                    inner.insert(Self::owned_key(id), Entry::Files(Arc::new(files)));
                    generation
                }
            };
            inner.insert(Slot::Node(generation, rel.into()), Entry::Node(content));
        } else {
            let mut files = cached.as_deref().cloned().unwrap_or_else(Files::new);
            files.set(rel, content);
            inner.insert(Self::owned_key(id), Entry::Files(Arc::new(files)));
        }
    }

    /// Applies a committed change of a file to the cached copy, if the key is cached.
    pub fn changed(&self, id: &KeyId, rel: &str, change: Change) {
        if self.files(id).is_none() {
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
        let Some(files) = self.files(id) else { return };
        if is_node(rel) {
            inner.remove(&Slot::Node(files.generation, rel.into()));
        } else {
            let mut files = (*files).clone();
            files.files.retain(|(r, _)| &**r != rel);
            inner.insert(Self::owned_key(id), Entry::Files(Arc::new(files)));
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
            inner.retain(|slot, _| !matches!(slot, Slot::Key(key_db, _) if *key_db == db));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(name: &'static str) -> KeyId {
        KeyId::new(0, Bytes::from_static(name.as_bytes()))
    }

    #[test]
    fn index_nodes_are_cached_apart_and_forgotten_with_their_key() {
        let cache = Cache::new(1 << 20);
        let z = id("z");
        for n in 0..100 {
            cache.put(
                &z,
                &format!("index/{n}"),
                Some(Bytes::from(vec![n as u8; 100])),
            );
        }
        cache.put(&z, "type", Some(Bytes::from_static(b"zset\nsize 9\n")));
        // Many more nodes than a key entry keeps files, all there.
        for n in 0..100 {
            let node = cache.get(&z, &format!("index/{n}")).unwrap().unwrap();
            assert_eq!(node[..], [n as u8; 100]);
        }
        assert!(cache.get(&z, "type").is_some());
        cache.changed(&z, "index/7", Change::Large);
        assert_eq!(cache.get(&z, "index/7"), None);
        // Forgetting the key forgets its nodes, even once a new entry for the key exists.
        cache.forget(&z);
        assert_eq!(cache.get(&z, "index/3"), None);
        cache.put(&z, "type", Some(Bytes::from_static(b"zset\nsize 1\n")));
        assert_eq!(cache.get(&z, "index/3"), None);
        // A flushed database's keys go with their nodes.
        cache.put(&z, "index/root", Some(Bytes::from_static(b"L")));
        cache.forget_db(0);
        assert_eq!(cache.get(&z, "index/root"), None);
    }
}
