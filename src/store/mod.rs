//! The filesystem store: all knowledge of the data directory lives under this module.
//!
//! `layout` names things, `meta` reads and writes a key's `type` file, `files` makes single
//! file changes atomic, `batch` collects a command's changes and applies them, `locks` keeps
//! commands atomic, `watch` tells WATCH of every change; `string`, `hash`, `set`, `zset`
//! (+ `zindex`, its ordered index) and `list` know how each type sits inside a key directory;
//! `expiry` indexes the keys that have an expiry and reclaims them, `scan` walks a database
//! slot by slot, `object` answers OBJECT. See docs/on-disk-format.md for the format itself.

pub mod batch;
pub mod cache;
pub mod check;
pub mod dirscan;
pub mod entries;
pub mod expiry;
pub mod files;
pub mod hash;
pub mod image;
pub mod journal;
pub mod layout;
pub mod list;
pub mod locks;
pub mod meta;
pub mod object;
pub mod scan;
pub mod set;
pub mod string;
pub mod usage;
pub mod watch;
pub mod zindex;
pub mod zset;

use std::fs::{self, File};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

pub use batch::{Batch, Content, KeyId, Mode, Value};
pub use meta::{now_ms, Meta, Type};

use cache::Cache;
use expiry::Expiry;
use files::{Staging, Trash};
use journal::Journal;
use locks::KeyLocks;

/// The first line of `FORMAT`: the on-disk format this build reads and writes.
pub const FORMAT: &str = "dredis-fs 1";

/// When file changes are forced to stable storage, as Redis's `appendfsync`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Fsync {
    /// Before the reply: an acknowledged write survives a crash of the machine.
    Always,
    /// In the background, a few milliseconds after writes: a machine crash loses at most
    /// about a second.
    Everysec,
    /// Left to the operating system.
    No,
}

impl Fsync {
    pub fn name(self) -> &'static str {
        match self {
            Fsync::Always => "always",
            Fsync::Everysec => "everysec",
            Fsync::No => "no",
        }
    }
}

/// How to open a data directory.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub databases: usize,
    pub fsync: Fsync,
    /// Bytes of small files kept in memory (0: no cache).
    pub cache_bytes: u64,
}

/// An open data directory.
pub struct Store {
    root: PathBuf,
    databases: usize,
    pub fsync: Fsync,
    staging: Staging,
    trash: Arc<Trash>,
    cache: Cache,
    pub locks: KeyLocks,
    /// The keys sessions WATCH, told of every change by [`Batch::commit`].
    pub watches: Arc<watch::Watches>,
    pub expiry: Expiry,
    /// The point-in-time image being made, if any (snapshots).
    pub images: image::Images,
    /// Keys changed since the start, for INFO's rdb_changes_since_last_save and the syncer.
    changes: Arc<AtomicU64>,
    /// Stops the background threads (the syncer, the data directory's watch).
    threads_stop: Arc<AtomicBool>,
    /// Set while the data directory is not where it was opened (see [`Store::check_present`]).
    gone: Arc<AtomicBool>,
    /// What the open transaction kept for an undo (paths in `undo/`, and whether each is a
    /// directory), dropped at its end. Transactions hold every key's lock: one at a time.
    kept: parking_lot::Mutex<Vec<(PathBuf, bool)>>,
    journal: Journal,
    lock: File,
}

/// Why a data directory could not be opened.
#[derive(Debug)]
pub enum OpenError {
    Locked(PathBuf),
    NotOurs(PathBuf),
    Format(PathBuf, String),
    Io(PathBuf, io::Error),
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::Locked(p) => write!(f, "{} is in use by another dredis server (its LOCK file is held)", p.display()),
            OpenError::NotOurs(p) => write!(
                f,
                "{} is not empty and has no FORMAT file: it is not a dredis data directory; refusing to write into it",
                p.display()
            ),
            OpenError::Format(p, found) => write!(
                f,
                "{} has on-disk format {found:?}, which this dredis does not know (it reads {FORMAT:?})",
                p.display()
            ),
            OpenError::Io(p, e) => write!(f, "cannot use data directory {}: {e}", p.display()),
        }
    }
}

impl std::error::Error for OpenError {}

impl Store {
    /// Opens (creating if needed) the data directory at `root`, locks it, recovers what a crash
    /// left behind (tmp/ is emptied, trash/ is deleted in the background), and starts the
    /// background syncer for `fsync`.
    pub fn open(root: &Path, options: &Options) -> Result<Store, OpenError> {
        let Options {
            databases,
            fsync,
            cache_bytes,
        } = *options;
        let io_err = |e| OpenError::Io(root.to_path_buf(), e);
        fs::create_dir_all(root).map_err(io_err)?;
        let root = root.canonicalize().map_err(io_err)?;
        let io_err = |e| OpenError::Io(root.clone(), e);
        let format_path = root.join("FORMAT");
        let is_ours = format_path.exists();
        if !is_ours
            && fs::read_dir(&root)
                .map_err(io_err)?
                .flatten()
                .any(|e| e.file_name() != "LOCK")
        {
            // Checked before LOCK is created: nothing is written into someone else's directory.
            return Err(OpenError::NotOurs(root));
        }
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(root.join("LOCK"))
            .map_err(io_err)?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => return Err(OpenError::Locked(root)),
            Err(fs::TryLockError::Error(e)) => return Err(io_err(e)),
        }
        match fs::read_to_string(&format_path) {
            Ok(text) if text.lines().next() == Some(FORMAT) => {}
            Ok(text) => {
                return Err(OpenError::Format(
                    root,
                    text.lines().next().unwrap_or("").to_string(),
                ))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let format = format!("{FORMAT}\n");
                files::write_durably(&format_path, &root, format.as_bytes()).map_err(io_err)?;
            }
            Err(e) => return Err(io_err(e)),
        }
        let trash = Arc::new(Trash::open(root.join("trash")).map_err(io_err)?);
        // The staged files of journal records that a crash left unfinished are in the old
        // `tmp/`: it is kept aside as `recovering/` until they are redone (a `recovering/`
        // already there is from a start-up that was itself interrupted, and still the one).
        let (tmp, recovering) = (root.join("tmp"), root.join(journal::RECOVERING));
        if recovering.exists() {
            trash.discard(&tmp).map_err(io_err)?;
        } else if tmp.exists() {
            fs::rename(&tmp, &recovering).map_err(io_err)?;
        }
        let staging = Staging::open(tmp, &trash).map_err(io_err)?;
        let (journal, unfinished, old_journal) = Journal::open(&root).map_err(io_err)?;
        for db in 0..databases {
            fs::create_dir_all(root.join(db.to_string())).map_err(io_err)?;
        }
        let expiry = Expiry::open(&root, databases).map_err(io_err)?;
        let threads_stop = Arc::new(AtomicBool::new(false));
        let changes = Arc::<AtomicU64>::default();
        if fsync == Fsync::Everysec {
            spawn_syncer(root.clone(), changes.clone(), threads_stop.clone()).map_err(io_err)?;
        }
        let gone = Arc::<AtomicBool>::default();
        watch_presence(root.clone(), gone.clone(), threads_stop.clone()).map_err(io_err)?;
        let cache = Cache::new(cache_bytes);
        let mut store = Store {
            root,
            databases,
            fsync,
            staging,
            trash,
            cache,
            locks: KeyLocks::default(),
            watches: Arc::default(),
            expiry,
            images: Default::default(),
            changes,
            threads_stop,
            gone,
            kept: Default::default(),
            journal,
            lock,
        };
        store
            .recover(unfinished, &old_journal)
            .map_err(|e| OpenError::Io(store.root.clone(), e))?;
        Ok(store)
    }

    /// Redoes the journal records a crash left unfinished and undoes the transactions it
    /// interrupted, makes the result durable, and drops what the crashed run left: its
    /// journal files, its `tmp/` and `undo/`.
    fn recover(
        &mut self,
        unfinished: journal::Unfinished,
        old_journal: &[PathBuf],
    ) -> io::Result<()> {
        if !unfinished.redo.is_empty() {
            tracing::warn!(
                "redoing {} commit(s) that a crash interrupted",
                unfinished.redo.len()
            );
        }
        for steps in unfinished.redo {
            self.apply(&steps, None)?;
        }
        for (transaction, records) in unfinished.undo.iter().rev() {
            tracing::warn!(
                "undoing a transaction of {} commit(s) that a crash interrupted",
                records.len()
            );
            let mut markers = Vec::new();
            for (seq, steps) in records.iter().rev() {
                markers.extend(self.undo(steps, &journal::kept(&self.root, *transaction, *seq))?);
            }
            // Each key's marker as its expiry now says.
            for key in markers {
                let meta = self
                    .batch()
                    .meta(&key)
                    .map_err(|e| io::Error::other(e.to_string()));
                match meta? {
                    Some(meta) if meta.expire_at_ms.is_some() => self.expiry.mark(self, &key)?,
                    _ => self.expiry.unmark(self, &key)?,
                }
            }
        }
        if !unfinished.undo.is_empty() {
            self.expiry.recount(&self.root)?;
        }
        self.sync()?;
        self.journal.forget(old_journal)?;
        self.staging.forget_pool();
        let undo = self.root.join(journal::UNDO);
        self.trash.discard(&undo)?;
        fs::create_dir(&undo)?;
        self.trash.discard(&self.root.join(journal::RECOVERING))
    }

    /// Starts a transaction: the batches committed in it (see [`Batch::in_transaction`]) are
    /// all undone by a start-up if a crash comes before [`Store::end`].
    pub fn begin(&self) -> u64 {
        self.journal.begin()
    }

    /// Ends a transaction (with `--fsync always`, durably before returning), and drops what
    /// it kept for an undo: files are reused for new content, as any replaced file, and
    /// directories go to the trash.
    pub fn end(&self, transaction: u64) -> io::Result<()> {
        self.journal.end(transaction, self.fsync == Fsync::Always)?;
        // Kept until every transaction that kept them has its end mark (one whose mark could
        // not be written gets it before the next record).
        if self.journal.has_unended() {
            return Ok(());
        }
        for (path, dir) in std::mem::take(&mut *self.kept.lock()) {
            match dir {
                true => self.trash.discard(&path)?,
                false => self.staging.recycle(&path),
            }
        }
        Ok(())
    }

    /// Writes the server's address into `LOCK`, for `dredis snapshot` to find the server
    /// that holds the directory (an unspecified address becomes loopback).
    pub fn advertise(&self, mut address: std::net::SocketAddr) -> io::Result<()> {
        use std::os::unix::fs::FileExt;
        if address.ip().is_unspecified() {
            address.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
        }
        self.lock.set_len(0)?;
        self.lock.write_all_at(format!("{address}\n").as_bytes(), 0)
    }

    /// How many key changes were committed since the start.
    pub fn changes(&self) -> u64 {
        self.changes.load(Ordering::Relaxed)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn databases(&self) -> usize {
        self.databases
    }

    /// Whether every change is made durable before its reply (`--fsync always`).
    pub fn fsync_always(&self) -> bool {
        self.fsync == Fsync::Always
    }

    /// Where large request arguments are spilled: inside the data directory, so that moving
    /// one into place is a rename.
    pub fn tmp_dir(&self) -> &Path {
        self.staging.dir()
    }

    /// Fails while the data directory is not where it was opened (moved away or deleted under
    /// the server): a read would find nothing and answer as if the keys did not exist, a
    /// write would fail on a missing path. Watched ten times a second.
    pub fn check_present(&self) -> io::Result<()> {
        match self.gone.load(Ordering::Relaxed) {
            false => Ok(()),
            true => Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("{} is gone (moved or deleted)", self.root.display()),
            )),
        }
    }

    /// The server is shutting down: background threads stop, and a snapshot's walk gives up
    /// rather than make the shutdown wait for it.
    pub fn stop_background(&self) {
        self.threads_stop.store(true, Ordering::Relaxed);
    }

    /// Whether [`Store::stop_background`] was called.
    pub(super) fn stopping(&self) -> bool {
        self.threads_stop.load(Ordering::Relaxed)
    }

    /// A batch for a command that holds its keys' locks.
    pub fn batch(&self) -> Batch<'_> {
        Batch::new(self, Mode::Locked)
    }

    /// Flushes everything to stable storage.
    pub fn sync(&self) -> io::Result<()> {
        let dir = File::open(&self.root)?;
        rustix::fs::syncfs(&dir)?;
        Ok(())
    }

    /// Stops background work and makes everything durable; the LOCK is released on drop.
    pub fn close(&self) -> io::Result<()> {
        self.expiry.stop();
        self.stop_background();
        self.journal.close();
        self.trash.stop();
        self.sync()
    }

    fn db_dir(&self, db: usize) -> PathBuf {
        self.root.join(db.to_string())
    }

    /// Replaces a database's directory by an empty one (callers hold the global lock); the
    /// old one goes to the trash, or in a transaction to `keep`.
    fn flush_db_dir(&self, db: usize, keep: Option<&Path>) -> io::Result<()> {
        let dir = self.db_dir(db);
        match keep {
            Some(keep) => self.keep_aside(&dir, keep, true)?,
            None => self.trash.discard(&dir)?,
        }
        fs::create_dir(&dir)?;
        self.expiry.reset(db);
        Ok(())
    }

    /// Exchanges two databases' directories, expiry markers included (callers hold the
    /// global lock).
    fn swap_db_dirs(&self, a: usize, b: usize) -> io::Result<()> {
        if a == b {
            return Ok(());
        }
        let flags = rustix::fs::RenameFlags::EXCHANGE;
        let (dir_a, dir_b) = (self.db_dir(a), self.db_dir(b));
        rustix::fs::renameat_with(rustix::fs::CWD, &dir_a, rustix::fs::CWD, &dir_b, flags)?;
        self.cache.forget_db(a);
        self.cache.forget_db(b);
        self.expiry.swap(a, b);
        Ok(())
    }

    /// The slot directories of a database that exist, in slot order.
    fn slot_dirs(&self, db: usize) -> io::Result<Vec<(u16, PathBuf)>> {
        let mut slots = Vec::new();
        for entry in fs::read_dir(self.db_dir(db))? {
            let entry = entry?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if let Ok(slot) = u16::from_str_radix(name, 16) {
                if name.len() == 4 && slot < layout::SLOTS {
                    slots.push((slot, entry.path()));
                }
            }
        }
        slots.sort_unstable();
        Ok(slots)
    }

    /// Number of keys in a database (expired ones not yet reclaimed included, as in Redis).
    /// A slot directory's link count is 2 + its subdirectories, one per key: a stat per slot
    /// instead of a walk over every key.
    pub fn dbsize(&self, db: usize) -> io::Result<u64> {
        let mut total = 0;
        for (_, dir) in self.slot_dirs(db)? {
            let links = fs::metadata(&dir)?.nlink();
            total += if links >= 2 {
                links - 2
            } else {
                // Filesystems without directory link counts (btrfs) report 1.
                fs::read_dir(&dir)?.count() as u64
            };
        }
        Ok(total)
    }

    /// Calls `visit` with the name of every key of the database, slot by slot. The names
    /// include expired keys not yet reclaimed; callers check the metadata when it matters.
    pub fn for_each_key(
        &self,
        db: usize,
        mut visit: impl FnMut(Bytes) -> io::Result<()>,
    ) -> io::Result<()> {
        for (_, dir) in self.slot_dirs(db)? {
            let entries = match fs::read_dir(&dir) {
                Ok(e) => e,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            for entry in entries {
                if let Some(key) = scan::key_name(&dir, &entry?.file_name()) {
                    visit(key)?;
                }
            }
        }
        Ok(())
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        self.stop_background();
        self.journal.close();
        self.trash.stop();
    }
}

/// Sets `gone` while `root` is not the directory it was when opened (compared by device and
/// inode), ten times a second.
fn watch_presence(root: PathBuf, gone: Arc<AtomicBool>, stop: Arc<AtomicBool>) -> io::Result<()> {
    let opened = fs::metadata(&root)?;
    let is_opened =
        move |meta: fs::Metadata| meta.dev() == opened.dev() && meta.ino() == opened.ino();
    std::thread::Builder::new()
        .name("dredis-dir-watch".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let present = fs::metadata(&root).is_ok_and(&is_opened);
                if gone.swap(!present, Ordering::Relaxed) == present {
                    match present {
                        true => tracing::warn!("the data directory {} is back", root.display()),
                        false => tracing::error!(
                            "the data directory {} is gone (moved or deleted): commands that use it fail until it is back",
                            root.display()
                        ),
                    }
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        })?;
    Ok(())
}

/// `--fsync everysec`: sync the data directory's filesystem a few milliseconds after changes,
/// and at least once a second (changes made outside commits, such as CONFIG REWRITE, are not
/// counted). Not once a second as Redis does: where metadata is written in place (ext4 without
/// a journal), a sync locks the buffers it writes, so a write that needs one waits for the
/// whole batch. A second's batch stalled writes for ~180 ms; batches 5 ms apart stall them for
/// a few ms, at no cost in throughput (README, "Durability").
fn spawn_syncer(root: PathBuf, changes: Arc<AtomicU64>, stop: Arc<AtomicBool>) -> io::Result<()> {
    const GAP: Duration = Duration::from_millis(5);
    const AT_LEAST: Duration = Duration::from_secs(1);
    std::thread::Builder::new()
        .name("dredis-fsync".into())
        .spawn(move || {
            let mut synced_changes = changes.load(Ordering::Relaxed);
            let mut synced_at = std::time::Instant::now();
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(GAP);
                let now_changes = changes.load(Ordering::Relaxed);
                if now_changes == synced_changes && synced_at.elapsed() < AT_LEAST {
                    continue;
                }
                (synced_changes, synced_at) = (now_changes, std::time::Instant::now());
                if let Err(e) =
                    File::open(&root).and_then(|d| rustix::fs::syncfs(&d).map_err(Into::into))
                {
                    tracing::warn!("background fsync failed: {e}");
                }
            }
        })?;
    Ok(())
}
