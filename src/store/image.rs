//! Point-in-time images of the data directory, made of hard links: what SAVE, BGSAVE and
//! `dredis snapshot` upload from a running server.
//!
//! A visible file never changes: a change renames a new file over it, and the few writes made
//! in place (large strings, sorted-set index nodes) go to a copy when the file has another
//! link (see `batch.rs`). So a tree of hard links to the live files is a frozen copy, as long
//! as it shows one instant. Linking a million keys takes seconds, so it is done slot by slot
//! in the background, and the instant is kept by copy-on-write, as fork keeps it for Redis:
//! a commit that is about to change a key not linked yet links that key first (its directory
//! and its expiry marker), as it was, and the walk later skips it. The walk takes a slot's
//! lock per key, so a commit waits for at most one key's links. The instant is the moment
//! [`Store::begin_image`] holds every key lock at once: no command is half done, and every
//! later change meets the hook.
//!
//! The image is built in `tmp/image<n>/`, so a crash leaves nothing that start-up does not
//! clear; it mirrors the data directory without `LOCK`, `tmp/` and `trash/`.

use std::collections::{BTreeSet, HashSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::SystemTime;

use parking_lot::{Mutex, RwLock};

use super::expiry::DIR as EXPIRES;
use super::files::{list_untouched, with_parent, Trash};
use super::layout::{slot_name, SLOTS};
use super::Store;

/// The ACL file (ACL SAVE), replaced whole by a rename like every visible file.
pub const USERS: &str = "users.acl";

/// The image being linked, if any.
#[derive(Default)]
pub struct Images {
    /// Whether an image is being linked: the one check a commit makes when none is.
    active: AtomicBool,
    linking: RwLock<Option<Arc<Linking>>>,
}

/// The state of one image while its slots are being linked.
struct Linking {
    root: PathBuf,
    dir: PathBuf,
    /// Per database and slot: None once the walk linked it, else the keys (encoded names)
    /// linked so far, by commits ahead of the walk or by the walk. Held while linking a key.
    slots: Vec<Mutex<Option<HashSet<Box<str>>>>>,
    /// The first error met linking, by the walk or by a commit: the image is then unusable,
    /// but writes go on.
    failed: Mutex<Option<io::Error>>,
    slots_done: AtomicUsize,
}

/// An image whose instant is fixed; [`Image::link`] completes it.
pub struct Image<'s> {
    store: &'s Store,
    linking: Arc<Linking>,
    pub instant: SystemTime,
}

/// A complete image: a directory in `tmp/`, moved to the trash when dropped.
pub struct ImageDir {
    trash: Arc<Trash>,
    pub path: PathBuf,
    pub instant: SystemTime,
}

impl Images {
    /// Called by a commit before it changes key `name` (its encoded name) in slot `slot` of
    /// database `db`, or its expiry marker.
    pub(super) fn before_change(&self, db: usize, slot: u16, name: &str) {
        if self.active.load(Ordering::Acquire) {
            if let Some(linking) = self.linking.read().as_ref() {
                linking.ensure_key(db, slot, name);
            }
        }
    }

    /// Called before a whole database changes (FLUSHDB, SWAPDB): links all of it first.
    pub(super) fn before_db_change(&self, db: usize) {
        if self.active.load(Ordering::Acquire) {
            if let Some(linking) = self.linking.read().as_ref() {
                for slot in 0..SLOTS {
                    linking.ensure(db, slot);
                }
            }
        }
    }

    /// Whether an image is being made.
    pub fn in_progress(&self) -> bool {
        self.active.load(Ordering::Acquire)
    }
}

impl Store {
    /// Fixes the instant of a new image: waits until no command holds a key lock, links the
    /// files that are not keys' (`FORMAT`, `functions/`, the ACL file), and arms the
    /// copy-on-write hook.
    /// Callers must hold no key lock. Fails when another image is being made.
    pub fn begin_image(&self) -> io::Result<Image<'_>> {
        let _everything = self.locks.exclusive();
        let mut slot = self.images.linking.write();
        if slot.is_some() {
            return Err(io::Error::other("a snapshot is already in progress"));
        }
        let dir = self.staging.new_path("image");
        fs::create_dir(&dir)?;
        let linking = Arc::new(Linking {
            root: self.root.clone(),
            dir,
            slots: (0..self.databases * SLOTS as usize)
                .map(|_| Mutex::new(Some(HashSet::new())))
                .collect(),
            failed: Mutex::new(None),
            slots_done: AtomicUsize::new(0),
        });
        let result = ["FORMAT", USERS, "functions"]
            .iter()
            .try_for_each(|name| link_tree(&self.root.join(name), &linking.dir.join(name)));
        if let Err(e) = result {
            let _ = self.trash.discard(&linking.dir);
            return Err(e);
        }
        *slot = Some(linking.clone());
        self.images.active.store(true, Ordering::Release);
        Ok(Image {
            store: self,
            linking,
            instant: SystemTime::now(),
        })
    }
}

impl Image<'_> {
    /// Links every slot that no commit has linked yet, calling `progress(done, total)` now and
    /// then; then disarms the hook and returns the finished image.
    pub fn link(self, mut progress: impl FnMut(usize, usize) + Send) -> io::Result<ImageDir> {
        let store = self.store;
        let linking = self.linking.clone();
        let total = linking.slots.len();
        let result = niced(|| {
            for db in 0..store.databases {
                // Only slots that exist now can hold keys of the instant: one created since
                // was created by a commit, which linked it (empty) first.
                for (slot, _) in store.slot_dirs(db)? {
                    // A shutdown does not wait for the rest of a long walk.
                    if store.stopping() {
                        return Err(io::Error::other("the server is shutting down"));
                    }
                    linking.ensure(db, slot);
                    progress(linking.slots_done.load(Ordering::Relaxed), total);
                    if let Some(e) = linking.failed.lock().take() {
                        return Err(e);
                    }
                }
            }
            Ok(())
        });
        progress(total, total);
        let image = ImageDir {
            trash: store.trash.clone(),
            path: linking.dir.clone(),
            instant: self.instant,
        };
        // Dropping `self` disarms the hook; `image` discards the directory on failure.
        drop(self);
        result.map(|()| image)
    }
}

impl Drop for Image<'_> {
    fn drop(&mut self) {
        let images = &self.store.images;
        images.active.store(false, Ordering::Release);
        images.linking.write().take();
    }
}

impl Drop for ImageDir {
    fn drop(&mut self) {
        if let Err(e) = self.trash.discard(&self.path) {
            tracing::warn!("could not discard the image {}: {e}", self.path.display());
        }
    }
}

impl Linking {
    fn slot(&self, db: usize, slot: u16) -> &Mutex<Option<HashSet<Box<str>>>> {
        &self.slots[db * SLOTS as usize + slot as usize]
    }

    /// Links slot `slot` of database `db` into the image unless the walk did already, key by
    /// key. The slot is listed without its lock: a key created since was linked (absent) by
    /// its commit, and each key listed is linked under the lock unless a commit did it first.
    fn ensure(&self, db: usize, slot: u16) {
        if self.slot(db, slot).lock().is_none() {
            return;
        }
        let mut names = BTreeSet::new();
        for part in slot_parts(db, slot) {
            let listed = list_untouched(&self.root.join(&part)).and_then(|listed| {
                for name in listed {
                    names.insert(name.into_string().map_err(|name| {
                        io::Error::other(format!("unexpected file name {name:?}"))
                    })?);
                }
                Ok(())
            });
            self.note(listed, &part);
        }
        for name in names {
            self.ensure_key(db, slot, &name);
        }
        if self.slot(db, slot).lock().take().is_some() {
            self.slots_done.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Links key `name` of slot `slot` (its directory and expiry marker) unless its slot or
    /// the key itself is linked already.
    fn ensure_key(&self, db: usize, slot: u16, name: &str) {
        let mut state = self.slot(db, slot).lock();
        let Some(linked) = state.as_mut() else { return };
        if !linked.insert(name.into()) {
            return;
        }
        for part in slot_parts(db, slot) {
            let linked = link_tree(
                &self.root.join(&part).join(name),
                &self.dir.join(&part).join(name),
            );
            self.note(linked, &part);
        }
    }

    /// Keeps the first error: the image is then unusable, but writes go on.
    fn note(&self, result: io::Result<()>, part: &Path) {
        if let Err(e) = result {
            tracing::warn!("snapshot: could not link in {}: {e}", part.display());
            self.failed.lock().get_or_insert(e);
        }
    }
}

/// The two directories of a slot: its keys and their expiry markers.
fn slot_parts(db: usize, slot: u16) -> [PathBuf; 2] {
    let (db, name) = (db.to_string(), slot_name(slot));
    [
        Path::new(&db).join(&name),
        Path::new(&db).join(EXPIRES).join(&name),
    ]
}

/// Runs `work` on a thread of its own at a lower CPU priority (nice 10), so that commands
/// keep theirs: on a machine with few cores, a snapshot's walk or upload at full speed delays
/// replies by tens of milliseconds. Threads it starts (an upload's runtime) inherit the
/// priority; the caller's thread keeps its own (raising a priority again needs privileges).
pub fn niced<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| {
        let worker = scope.spawn(|| {
            let me = Some(rustix::thread::gettid());
            if let Ok(now) = rustix::process::getpriority_process(me) {
                let _ = rustix::process::setpriority_process(me, now.max(10));
            }
            work()
        });
        match worker.join() {
            Ok(result) => result,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// Mirrors the tree (or the file) `from` at `to`, making `to`'s missing parents:
/// directories are made, files hard-linked. A missing `from` is an empty tree. Directories
/// are listed without updating their access time: the walk lists every key's.
fn link_tree(from: &Path, to: &Path) -> io::Result<()> {
    let meta = match fs::symlink_metadata(from) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    if !meta.is_dir() {
        return with_parent(to, || fs::hard_link(from, to));
    }
    fs::create_dir_all(to)?;
    for name in list_untouched(from)? {
        link_tree(&from.join(&name), &to.join(&name))?;
    }
    Ok(())
}
