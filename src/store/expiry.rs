//! The expiry index and the active expiry cycle.
//!
//! A key's deadline lives in its `type` file (`expire-at-ms`), and every read treats a key
//! past it as absent. To reclaim the disk space of keys that nobody reads again, every key
//! with an expiry also has a marker, an empty file named like the key directory, under
//! `<db>/expires/<slot>/`:
//!
//! ```text
//! DATA/0/0b40/ex/type                "string\nexpire-at-ms 1795307271314\n"
//! DATA/0/expires/0b40/ex             empty (holds the raw key name when `ex` is a digest)
//! ```
//!
//! The batch creates a marker before the expiry it stands for becomes visible, and removes it
//! once the key has lost its expiry (PERSIST, an overwrite, DEL, RENAME away), so every key
//! with an expiry has a marker, crash or not; a marker without such a key (a crash between
//! the two steps) is stale and harmless. Markers live inside the database's directory, so
//! FLUSHDB discards them with the keys and SWAPDB exchanges them with the keys.
//!
//! [`run`] is the active expiry cycle, Redis's `activeExpireCycle` on a disk: about ten times
//! a second it visits markers round-robin by (database, slot) and deletes the keys found
//! expired, through a batch and under the key's lock, as a command would. A run stops after
//! 25 ms (a quarter of the period, as Redis's slow cycle), or once it has looked at
//! [`KEYS_PER_RUN`] markers (or [`SLOTS_PER_RUN`] slot directories) of which at most a tenth
//! were expired: when many keys expire, it keeps going; when few do, it does little. Stale
//! markers it meets are removed. It never walks the keys themselves, only the markers, and
//! holds one slot directory's names at a time.
//!
//! INFO's `expires` is the number of markers per database, counted at start-up and kept up to
//! date by every marker created or removed.

use std::fs::{self, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use parking_lot::Mutex;
use rustix::fs::{renameat_with, RenameFlags, CWD};

use super::batch::KeyId;
use super::layout::{decode_name, slot_name, Decoded, SLOTS};
use super::meta::{now_ms, Meta};
use super::scan::Slots;
use super::Store;
use crate::error::Result;

/// The directory of markers inside each database directory.
pub const DIR: &str = "expires";

/// The pause between two runs of the cycle (Redis's `hz 10`).
const PERIOD: Duration = Duration::from_millis(100);

/// The most time one run takes (a quarter of the period, as Redis's slow cycle).
const RUN_TIME: Duration = Duration::from_millis(25);

/// Markers one run looks at before it may stop, if few of them were expired.
const KEYS_PER_RUN: u64 = 200;

/// Slot directories one run visits before it may stop, if few of the markers were expired
/// (marker directories stay when their last key expires: empty ones cost a listing each).
const SLOTS_PER_RUN: u64 = 64;

/// The expiry index's state: marker counts, and the switches of the cycle.
pub struct Expiry {
    /// Marker files per database.
    counts: Vec<AtomicU64>,
    /// DEBUG SET-ACTIVE-EXPIRE: whether the cycle deletes keys.
    active: AtomicBool,
    stop: AtomicBool,
    /// Held by a run of the cycle; `stop` takes it to wait for the current run to finish.
    running: Mutex<()>,
}

impl Expiry {
    /// The index of the databases under `root`: counts the markers already there.
    pub(super) fn open(root: &Path, databases: usize) -> io::Result<Expiry> {
        let expiry = Expiry {
            counts: (0..databases).map(|_| AtomicU64::new(0)).collect(),
            active: AtomicBool::new(true),
            stop: AtomicBool::new(false),
            running: Mutex::new(()),
        };
        expiry.recount(root)?;
        Ok(expiry)
    }

    /// Counts the markers of every database again (start-up, after undoing a transaction).
    pub(super) fn recount(&self, root: &Path) -> io::Result<()> {
        for (db, count) in self.counts.iter().enumerate() {
            let markers = count_markers(&root.join(db.to_string()).join(DIR))?;
            count.store(markers, Ordering::Relaxed);
        }
        Ok(())
    }

    /// The number of keys with an expiry in database `db` (stale markers included).
    pub fn count(&self, db: usize) -> u64 {
        self.counts[db].load(Ordering::Relaxed)
    }

    /// Turns the active cycle on or off (DEBUG SET-ACTIVE-EXPIRE).
    pub fn set_active(&self, active: bool) {
        self.active.store(active, Ordering::Relaxed);
    }

    /// A database was flushed: its markers went with it.
    pub(super) fn reset(&self, db: usize) {
        self.counts[db].store(0, Ordering::Relaxed);
    }

    /// Two databases were exchanged, markers included.
    pub(super) fn swap(&self, a: usize, b: usize) {
        let count_a = self.counts[a].load(Ordering::Relaxed);
        let count_b = self.counts[b].swap(count_a, Ordering::Relaxed);
        self.counts[a].store(count_b, Ordering::Relaxed);
    }

    /// Stops the cycle, waiting for a run in progress to finish.
    pub(super) fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
        drop(self.running.lock());
    }

    /// Creates the marker of a key that gets an expiry (nothing if it is there already).
    pub(super) fn mark(&self, store: &Store, id: &KeyId) -> io::Result<()> {
        let path = marker_path(store.root(), id);
        let parent = path.parent().expect("markers live in slot directories");
        let create = || -> io::Result<bool> {
            if id.encoded().is_digest() {
                // The raw name goes inside, written before the marker appears.
                let staged = store.staging.write(&id.key)?;
                let placed = renameat_with(CWD, &staged, CWD, &path, RenameFlags::NOREPLACE);
                if placed.is_err() {
                    let _ = fs::remove_file(&staged);
                }
                match placed {
                    Ok(()) => Ok(true),
                    Err(rustix::io::Errno::EXIST) => Ok(false),
                    Err(e) => Err(e.into()),
                }
            } else {
                match OpenOptions::new().write(true).create_new(true).open(&path) {
                    Ok(_) => Ok(true),
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
                    Err(e) => Err(e),
                }
            }
        };
        let created = match create() {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                fs::create_dir_all(parent)?;
                create()?
            }
            other => other?,
        };
        if created {
            self.counts[id.db].fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Removes the marker of a key that no longer has an expiry (nothing if there is none).
    pub(super) fn unmark(&self, store: &Store, id: &KeyId) -> io::Result<()> {
        self.remove(id.db, &marker_path(store.root(), id))
    }

    /// Removes a file from a database's markers, if it is there.
    fn remove(&self, db: usize, path: &Path) -> io::Result<()> {
        match fs::remove_file(path) {
            Ok(()) => {
                let count = &self.counts[db];
                let _ = count.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                    Some(n.saturating_sub(1))
                });
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// `<db>/expires/<slot>/<encoded name>` for the key directory `<db>/<slot>/<encoded name>`.
fn marker_path(root: &Path, id: &KeyId) -> PathBuf {
    let dir = id.dir();
    let slot = dir
        .parent()
        .and_then(Path::file_name)
        .expect("keys live in slot directories");
    root.join(id.db.to_string())
        .join(DIR)
        .join(slot)
        .join(id.encoded().file_name())
}

/// The number of marker files under a database's `expires/`.
fn count_markers(dir: &Path) -> io::Result<u64> {
    let slots = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut total = 0;
    for slot in slots {
        total += fs::read_dir(slot?.path())?.count() as u64;
    }
    Ok(total)
}

/// Where the cycle resumes: the next (database, slot) to visit.
#[derive(Clone, Copy)]
struct Cursor {
    db: usize,
    slot: u32,
}

/// What one run did so far.
#[derive(Default)]
struct Tally {
    slots: u64,
    examined: u64,
    expired: u64,
}

impl Tally {
    /// Whether the run has done its share: enough markers (or slot directories) looked at,
    /// and few of the markers were of expired keys.
    fn enough(&self) -> bool {
        (self.examined >= KEYS_PER_RUN || self.slots >= SLOTS_PER_RUN)
            && self.expired * 10 <= self.examined
    }
}

/// The active expiry cycle: runs until the store is closed. Call it on a thread of its own.
pub fn run(store: &Store) {
    let expiry = &store.expiry;
    let mut cursor = Cursor { db: 0, slot: 0 };
    loop {
        std::thread::sleep(PERIOD);
        let _running = expiry.running.lock();
        if expiry.stop.load(Ordering::Relaxed) {
            return;
        }
        if !expiry.active.load(Ordering::Relaxed) {
            continue;
        }
        if let Err(e) = run_once(store, &mut cursor) {
            tracing::warn!("active expiry: {e}");
        }
    }
}

/// One run: visits marker slot directories from the cursor on, at most one lap over every
/// database, until the run has done enough or its time is up.
fn run_once(store: &Store, cursor: &mut Cursor) -> Result<()> {
    let started = Instant::now();
    let mut tally = Tally::default();
    let databases = store.databases();
    let first = *cursor;
    // The lap: the first database from the cursor's slot, the others whole, and the first
    // one again up to the cursor's slot.
    for step in 0..=databases {
        let db = (first.db + step) % databases;
        let (from, until) = match step {
            0 => (first.slot, u32::from(SLOTS)),
            _ if step == databases => (0, first.slot),
            _ => (0, u32::from(SLOTS)),
        };
        if store.expiry.count(db) == 0 || from >= until {
            continue;
        }
        let markers = store.root().join(db.to_string()).join(DIR);
        for slot in Slots::under(&markers, from)? {
            if u32::from(slot) >= until {
                break;
            }
            // Moved on first: a slot that fails is not retried until the next lap.
            *cursor = next_position(db, slot, databases);
            visit_slot(store, db, slot, &markers, &mut tally)?;
            if tally.enough() || started.elapsed() >= RUN_TIME {
                return Ok(());
            }
        }
        *cursor = Cursor {
            db: (db + 1) % databases,
            slot: 0,
        };
    }
    Ok(())
}

/// The position after `slot` of `db`.
fn next_position(db: usize, slot: u16, databases: usize) -> Cursor {
    if u32::from(slot) + 1 < u32::from(SLOTS) {
        Cursor {
            db,
            slot: u32::from(slot) + 1,
        }
    } else {
        Cursor {
            db: (db + 1) % databases,
            slot: 0,
        }
    }
}

/// Looks at every marker of one slot directory.
fn visit_slot(
    store: &Store,
    db: usize,
    slot: u16,
    markers: &Path,
    tally: &mut Tally,
) -> Result<()> {
    tally.slots += 1;
    let dir = markers.join(slot_name(slot));
    let names: Vec<_> = match fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.file_name()))
            .collect(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    let key_slot = store.root().join(db.to_string()).join(slot_name(slot));
    for name in names {
        tally.examined += 1;
        if expire_marked(store, db, &key_slot.join(&name), &dir.join(&name))? {
            tally.expired += 1;
        }
    }
    Ok(())
}

/// Handles one marker: deletes its key if it has expired, removes the marker if it is stale.
/// Returns whether a key was deleted.
fn expire_marked(store: &Store, db: usize, key_dir: &Path, marker: &Path) -> Result<bool> {
    let now = now_ms();
    // A first look without the lock: a key that is not due yet (most of them) costs one read.
    match fs::read(key_dir.join("type")) {
        Ok(bytes) => {
            if Meta::parse(&bytes).is_ok_and(|m| m.expire_at_ms.is_some_and(|at| at > now)) {
                return Ok(false);
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e.into()),
    }
    let id = marked_key(key_dir, marker)?.map(|key| KeyId::new(db, key));
    let Some(id) = id.filter(|id| store.root().join(id.dir()) == key_dir) else {
        // Not a marker this index writes (a stray file): nothing to lock, nothing to keep.
        store.expiry.remove(db, marker)?;
        return Ok(false);
    };
    // Checked again under the key's lock: a command may have changed the key meanwhile.
    let _guard = store.locks.lock([(db, &id.key)], true);
    let mut batch = store.batch();
    let meta = match batch.read(&id, "type")? {
        Some(bytes) => Meta::parse(&bytes).ok(),
        None => None,
    };
    match meta.and_then(|m| m.expire_at_ms) {
        Some(at) if at <= now_ms() => {
            batch.delete(&id);
            batch.commit()?;
            Ok(true)
        }
        Some(_) => Ok(false),
        None => {
            drop(batch);
            store.expiry.unmark(store, &id)?;
            Ok(false)
        }
    }
}

/// The raw name of the key a marker stands for: decoded from the file name, or for a digest,
/// read from the marker (or from the key directory's `name` file). None for a stray file.
fn marked_key(key_dir: &Path, marker: &Path) -> io::Result<Option<Bytes>> {
    let file_name = marker.file_name().expect("a marker file");
    match decode_name(file_name.as_encoded_bytes()) {
        Decoded::Name(raw) => Ok(Some(Bytes::from(raw))),
        Decoded::Invalid => Ok(None),
        Decoded::Digest => {
            for source in [marker.to_path_buf(), key_dir.join("name")] {
                match fs::read(&source) {
                    Ok(raw) if !raw.is_empty() => return Ok(Some(Bytes::from(raw))),
                    Ok(_) => {}
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(None)
        }
    }
}
