//! Batches: commands describe their changes here, and [`Batch::commit`] applies them.
//!
//! A command never writes into the visible tree itself. It reads and writes through a batch:
//! changes to an existing key are kept (file path -> new content, or byte ranges to write) and
//! read back by later reads of the same batch; a key created or replaced as a whole is built in
//! a staged directory under `tmp/`. `commit` is the one function that makes changes visible,
//! each file by an atomic exchange and each whole key by a directory rename or exchange, and
//! the one place where the fsync policy is applied. A batch that is dropped without commit
//! changes nothing.
//!
//! The one exception to "never modified once visible" is [`Batch::write_range`] with
//! [`Apply::InPlace`]: the bytes are written into the live file at commit, before the key's
//! other files, and `type` is always replaced last, so a caller can make the range visible
//! only through the `type` it writes with it (strings record their length there).
//!
//! A key that gets an expiry also gets a marker in the expiry index (see [`super::expiry`]):
//! the batch notes which keys gain or lose their expiry, and `commit` creates the markers
//! before the changes that need them become visible, and removes the obsolete ones after.
//!
//! A commit is all or nothing across a crash: its steps are journaled before they are
//! applied (see [`super::journal`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::{self, File};
use std::io::{self, Seek, SeekFrom};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use rustix::fs::{flock, renameat_with, FlockOperation, RenameFlags, CWD};
use rustix::io::Errno;
use tempfile::TempPath;

use super::cache::Change;
use super::files::{with_parent, SMALL_FILE};
use super::journal::{self, inode, is_inode, Staged, Step};
use super::layout::{encode_name, Encoded};
use super::meta::{now_ms, Meta, Type};
use super::watch;
use super::{Fsync, Store};
use crate::error::{Error, Result};
use crate::protocol::SpilledArg;

/// A key of one database, with its directory (relative to the data directory).
#[derive(Debug, Clone)]
pub struct KeyId {
    pub db: usize,
    pub key: Bytes,
    slot: u16,
    dir: PathBuf,
    encoded: Encoded,
}

impl KeyId {
    pub fn new(db: usize, key: Bytes) -> KeyId {
        let slot = super::layout::key_slot(&key);
        let encoded = encode_name(&key);
        let dir = PathBuf::from(db.to_string())
            .join(super::layout::slot_name(slot))
            .join(encoded.file_name());
        KeyId {
            db,
            key,
            slot,
            dir,
            encoded,
        }
    }

    /// The key's directory, relative to the data directory: `<db>/<slot>/<encoded name>`.
    pub(super) fn dir(&self) -> &Path {
        &self.dir
    }

    pub(super) fn encoded(&self) -> &Encoded {
        &self.encoded
    }
}

impl PartialEq for KeyId {
    fn eq(&self, other: &Self) -> bool {
        self.db == other.db && self.key == other.key
    }
}

impl Eq for KeyId {}

impl std::hash::Hash for KeyId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.db.hash(state);
        self.key.hash(state);
    }
}

/// New content for a file.
#[derive(Debug)]
pub enum Content {
    Bytes(Bytes),
    /// A file already in `tmp/` (a large request argument, a copy made by the batch, or a
    /// hard link to a file of the store, see [`Batch::content`]): it is renamed into place.
    Spilled(SpilledArg),
}

impl Content {
    /// The length in bytes.
    pub fn len(&self) -> io::Result<u64> {
        match self {
            Content::Bytes(b) => Ok(b.len() as u64),
            Content::Spilled(arg) => Ok(fs::metadata(arg.path())?.len()),
        }
    }

    /// The content in memory (a spilled argument is read back).
    pub fn into_bytes(self) -> io::Result<Bytes> {
        match self {
            Content::Bytes(b) => Ok(b),
            Content::Spilled(arg) => arg.read(),
        }
    }

    /// Writes the content into `file` at `offset`; a spilled argument is copied by the
    /// kernel (`copy_file_range`), never through memory.
    fn write_into(&self, file: &File, offset: u64) -> io::Result<()> {
        match self {
            Content::Bytes(b) => file.write_all_at(b, offset),
            Content::Spilled(arg) => {
                let mut dest = file;
                dest.seek(SeekFrom::Start(offset))?;
                io::copy(&mut File::open(arg.path())?, &mut dest)?;
                Ok(())
            }
        }
    }

    /// The content as a value to reply with (a large file is streamed, not read).
    pub fn value(&self) -> io::Result<Value> {
        match self {
            Content::Bytes(b) => Ok(Value::Bytes(b.clone())),
            Content::Spilled(arg) => open_value(arg.path())?
                .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "staged file vanished")),
        }
    }
}

impl From<Bytes> for Content {
    fn from(b: Bytes) -> Content {
        Content::Bytes(b)
    }
}

impl From<Vec<u8>> for Content {
    fn from(b: Vec<u8>) -> Content {
        Content::Bytes(b.into())
    }
}

/// A value as read: small ones in memory, large ones as an open file to stream from.
///
/// While a large file is open as a `Value` (until its reply is sent), it holds a shared
/// `flock`: [`Batch::write_range`] never overwrites bytes of a file under a reader, it
/// writes to a copy instead.
#[derive(Debug)]
pub enum Value {
    Bytes(Bytes),
    /// `len` bytes of `file` from offset `start`.
    File {
        file: File,
        start: u64,
        len: u64,
    },
}

impl Value {
    pub fn len(&self) -> u64 {
        match self {
            Value::Bytes(b) => b.len() as u64,
            Value::File { len, .. } => *len,
        }
    }

    /// `len` bytes from `offset` (clamped to the value). A large slice stays a file, to be
    /// streamed.
    pub fn slice(self, offset: u64, len: u64) -> io::Result<Value> {
        let offset = offset.min(self.len());
        let len = len.min(self.len() - offset);
        match self {
            Value::Bytes(b) => Ok(Value::Bytes(
                b.slice(offset as usize..(offset + len) as usize),
            )),
            Value::File { file, start, .. } => {
                let sliced = Value::File {
                    file,
                    start: start + offset,
                    len,
                };
                if len > SMALL_FILE {
                    return Ok(sliced);
                }
                sliced.into_bytes().map(Value::Bytes)
            }
        }
    }

    /// Copies bytes from `offset` into `buf`; returns how many (fewer at the end of the value).
    pub fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let n = (self.len().saturating_sub(offset)).min(buf.len() as u64) as usize;
        if n == 0 {
            return Ok(0);
        }
        match self {
            Value::Bytes(b) => buf[..n].copy_from_slice(&b[offset as usize..offset as usize + n]),
            Value::File { file, start, .. } => file.read_exact_at(&mut buf[..n], start + offset)?,
        }
        Ok(n)
    }

    /// The whole value in memory (for the commands that must look at every byte).
    pub fn into_bytes(self) -> io::Result<Bytes> {
        match self {
            Value::Bytes(b) => Ok(b),
            Value::File { file, start, len } => {
                let mut buf = vec![0; len as usize];
                file.read_exact_at(&mut buf, start)?;
                Ok(buf.into())
            }
        }
    }

    /// Copies the value into `dest` at its current position, in the kernel for a file.
    pub(super) fn copy_into(&self, mut dest: &File) -> io::Result<()> {
        match self {
            Value::Bytes(b) => io::Write::write_all(&mut dest, b),
            Value::File { file, start, len } => {
                let mut src = file;
                src.seek(SeekFrom::Start(*start))?;
                io::copy(&mut io::Read::take(src, *len), &mut dest)?;
                Ok(())
            }
        }
    }
}

/// How [`Batch::write_range`] changes a file of the visible tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Apply {
    /// Write the bytes into the file itself, unless it is shared: another link (a snapshot
    /// may hard-link files) or a reader streaming the bytes to be overwritten. Not atomic: the
    /// caller makes the new bytes visible through what it writes in `type`.
    InPlace,
    /// Write a patched copy and swap it in atomically, as any file change.
    Copy,
}

/// Where a file of a key is, as a batch sees it (see [`Batch::file_at`]).
enum FileAt<'b> {
    Missing,
    /// Replaced by this batch with bytes in memory.
    Bytes(&'b Bytes),
    /// Live, with byte ranges this batch writes at commit.
    Patched(&'b [(u64, Content)]),
    /// Live and untouched by this batch: the cache may know it.
    Live,
    /// A file not visible yet: in a staged key, or content already in `tmp/`.
    Path(PathBuf),
}

/// A pending change of one file of a live key.
enum FileChange {
    Replaced(Content),
    Removed,
    /// Byte ranges (offset, bytes) written at commit, in order.
    Patched {
        ranges: Vec<(u64, Content)>,
        apply: Apply,
    },
}

enum KeyChange {
    /// The key's directory stays; these files change inside it.
    Edit(BTreeMap<String, FileChange>),
    /// The key is replaced as a whole by a directory staged in `tmp/`, or deleted (None).
    Replace(Option<PathBuf>),
    /// The key becomes the live directory of another key, moved here by one rename (the other
    /// key's own change is a deletion, applied after the move and then finding nothing).
    Rename(KeyId),
}

/// Where the batch finds a key's current files.
enum Location<'a> {
    Live(Option<&'a BTreeMap<String, FileChange>>),
    Staged(&'a Path),
    Gone,
}

/// Where a directory of a key is read from (see [`Batch::dir_source`]).
pub enum DirSource {
    /// This directory on disk, which the batch has not changed (a staged key's is complete).
    Disk(PathBuf),
    /// The batch has pending changes to files in it: read it through [`Batch::list`].
    Edited,
    /// The key is not there.
    Gone,
}

/// How a batch may read the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The command holds its keys' locks: reads may fill the cache.
    Locked,
    /// An attempt to answer from the cache alone: any disk access fails with
    /// [`Error::NotCached`], and the command is run again on a disk thread.
    CacheOnly,
    /// A scan without key locks (KEYS): reads do not fill the cache.
    Unlocked,
}

/// A set of changes to the store, visible to its own reads, applied by [`Batch::commit`].
pub struct Batch<'s> {
    store: &'s Store,
    mode: Mode,
    keys: HashMap<KeyId, KeyChange>,
    flushed: BTreeSet<usize>,
    /// Pairs of databases exchanged (SWAPDB), after the flushes.
    swapped: Vec<(usize, usize)>,
    /// Keys that gain (true) or lose (false) their expiry: their expiry-index markers follow.
    ttl: HashMap<KeyId, bool>,
    /// Keys made (or remade) by [`Batch::create`], or that a rename or copy gave a value, with
    /// their type: clients blocked on such a key may now be served (see `server::blocking`).
    created: Vec<(KeyId, Type)>,
    /// The transaction this batch commits in, if any (see [`Store::begin`]).
    transaction: Option<u64>,
}

impl<'s> Batch<'s> {
    pub fn new(store: &'s Store, mode: Mode) -> Batch<'s> {
        Batch {
            store,
            mode,
            keys: HashMap::new(),
            flushed: BTreeSet::new(),
            swapped: Vec::new(),
            ttl: HashMap::new(),
            created: Vec::new(),
            transaction: None,
        }
    }

    /// Makes the batch commit as part of a transaction: until the transaction ends, a crash
    /// undoes it with the transaction's other commits (see [`super::journal`]).
    pub fn in_transaction(mut self, transaction: Option<u64>) -> Self {
        self.transaction = transaction;
        self
    }

    /// Fails when the batch may not touch the disk (see [`Mode::CacheOnly`]).
    fn disk(&self) -> Result<()> {
        if self.mode == Mode::CacheOnly {
            Err(Error::NotCached)
        } else {
            Ok(())
        }
    }

    fn locate(&self, id: &KeyId) -> Result<Location<'_>> {
        Ok(match self.keys.get(id) {
            Some(KeyChange::Edit(files)) => Location::Live(Some(files)),
            Some(KeyChange::Replace(Some(dir))) => Location::Staged(dir),
            Some(KeyChange::Replace(None)) => Location::Gone,
            Some(KeyChange::Rename(_)) => return Err(unsupported_sequence()),
            None if self.flushed.contains(&id.db) => Location::Gone,
            None => Location::Live(None),
        })
    }

    // ---- metadata and key lifecycle ----

    /// The key's metadata; None when it does not exist or has expired.
    pub fn meta(&self, id: &KeyId) -> Result<Option<Meta>> {
        let Some(bytes) = self.read(id, "type")? else {
            return Ok(None);
        };
        let meta = Meta::parse(&bytes)?;
        Ok((!meta.is_expired(now_ms())).then_some(meta))
    }

    /// The key's metadata if it holds `kind`; None when missing; WRONGTYPE for another type.
    pub fn meta_of(&self, id: &KeyId, kind: Type) -> Result<Option<Meta>> {
        match self.meta(id)? {
            Some(meta) if meta.kind != kind => Err(Error::wrong_type()),
            other => Ok(other),
        }
    }

    pub fn set_meta(&mut self, id: &KeyId, meta: &Meta) -> Result<()> {
        self.note_ttl(id, meta.expire_at_ms.is_some());
        self.write(id, "type", meta.to_bytes())
    }

    /// Whether the key, as this batch sees it, has an expiry (expired or not); None when that
    /// cannot be told (an unreadable `type` file).
    fn has_ttl(&self, id: &KeyId) -> Option<bool> {
        match self.read(id, "type") {
            Ok(None) => Some(false),
            Ok(Some(bytes)) => Meta::parse(&bytes).ok().map(|m| m.expire_at_ms.is_some()),
            Err(_) => None,
        }
    }

    /// Records that the key will have (or not have) an expiry, when that changes it.
    fn note_ttl(&mut self, id: &KeyId, ttl: bool) {
        if self.has_ttl(id) != Some(ttl) {
            self.ttl.insert(id.clone(), ttl);
        }
    }

    /// Makes `id` a new, empty key described by `meta`, replacing whatever it held.
    pub fn create(&mut self, id: &KeyId, meta: &Meta) -> Result<()> {
        self.note_ttl(id, meta.expire_at_ms.is_some());
        let dir = self.stage_key(id, |dir| {
            fs::create_dir(dir)?;
            self.place(&dir.join("type"), &meta.to_bytes())
        })?;
        self.set_change(id, KeyChange::Replace(Some(dir)));
        self.created.push((id.clone(), meta.kind));
        Ok(())
    }

    /// Builds a key directory for `id` in `tmp/`: `fill` makes it, then a digest-named key
    /// gets its `name` file. On failure nothing is left behind.
    fn stage_key(&self, id: &KeyId, fill: impl FnOnce(&Path) -> io::Result<()>) -> Result<PathBuf> {
        let dir = self.store.staging.new_path("k");
        let result = fill(&dir).and_then(|()| match id.encoded.is_digest() {
            true => self.place(&dir.join("name"), &id.key),
            false => Ok(()),
        });
        if let Err(e) = result {
            let _ = self.store.trash.discard(&dir);
            return Err(e.into());
        }
        Ok(dir)
    }

    /// The keys this batch created so far, with their types (taken: a second call returns
    /// only those created since).
    pub fn take_created(&mut self) -> Vec<(KeyId, Type)> {
        std::mem::take(&mut self.created)
    }

    /// The databases this batch exchanges (SWAPDB): any of their keys may have changed.
    pub fn swapped_dbs(&self) -> impl Iterator<Item = usize> + '_ {
        self.swapped.iter().flat_map(|&(a, b)| [a, b])
    }

    /// Deletes the key (its directory goes to the trash on commit).
    pub fn delete(&mut self, id: &KeyId) {
        self.note_ttl(id, false);
        self.set_change(id, KeyChange::Replace(None));
    }

    /// Deletes every key of database `db`.
    pub fn flush_db(&mut self, db: usize) {
        let dropped: Vec<KeyId> = self.keys.keys().filter(|k| k.db == db).cloned().collect();
        for id in dropped {
            if let Some(change) = self.keys.remove(&id) {
                self.discard(change);
            }
        }
        self.ttl.retain(|id, _| id.db != db);
        self.flushed.insert(db);
    }

    /// Exchanges the contents of two databases (SWAPDB): one directory exchange on commit.
    /// Nothing else in the batch may touch those databases.
    pub fn swap_dbs(&mut self, a: usize, b: usize) {
        self.swapped.push((a, b));
    }

    /// Moves key `from` to `to` (possibly in another database), with its type, value and
    /// expiry, replacing whatever `to` held: on commit, one rename of the key's directory.
    /// `from` must exist and must not have been changed earlier in this batch, and neither key
    /// may be read again by this batch.
    pub fn rename(&mut self, from: &KeyId, to: &KeyId) -> Result<()> {
        if from == to {
            return Ok(());
        }
        if !matches!(self.locate(from)?, Location::Live(None)) {
            return Err(unsupported_sequence());
        }
        if let Some(meta) = self.meta(from)? {
            self.created.push((to.clone(), meta.kind));
        }
        let ttl = self.has_ttl(from) != Some(false);
        self.note_ttl(to, ttl);
        self.note_ttl(from, false);
        self.set_change(to, KeyChange::Rename(from.clone()));
        self.set_change(from, KeyChange::Replace(None));
        Ok(())
    }

    /// Makes `to` (possibly in another database) a copy of key `from`, with its expiry,
    /// replacing whatever `to` held. The files are copied into a staged directory now; `from`
    /// must exist and must not have been edited in place earlier in this batch.
    pub fn copy(&mut self, from: &KeyId, to: &KeyId) -> Result<()> {
        let source = match self.locate(from)? {
            Location::Live(None) => self.store.root.join(&from.dir),
            Location::Staged(dir) => dir.to_path_buf(),
            Location::Live(Some(_)) | Location::Gone => return Err(unsupported_sequence()),
        };
        self.disk()?;
        let staged = self.stage_key(to, |dir| copy_key_dir(&source, dir))?;
        if let Some(meta) = self.meta(from)? {
            self.created.push((to.clone(), meta.kind));
        }
        let ttl = self.has_ttl(from) != Some(false);
        self.note_ttl(to, ttl);
        self.set_change(to, KeyChange::Replace(Some(staged)));
        Ok(())
    }

    fn set_change(&mut self, id: &KeyId, change: KeyChange) {
        if let Some(old) = self.keys.insert(id.clone(), change) {
            self.discard(old);
        }
    }

    fn discard(&self, change: KeyChange) {
        if let KeyChange::Replace(Some(dir)) = change {
            let _ = self.store.trash.discard(&dir);
        }
    }

    /// Writes a file inside a staged (invisible) directory, from the recycled pool if possible.
    fn place(&self, dest: &Path, data: &[u8]) -> io::Result<()> {
        self.store.staging.write_at(dest, data)
    }

    /// The key's directory in the visible tree, for read-only inspection (MEMORY USAGE): not
    /// in a cache-only batch, which may not touch the disk.
    pub fn live_dir(&self, id: &KeyId) -> Result<PathBuf> {
        self.disk()?;
        Ok(self.store.root.join(&id.dir))
    }

    /// When the key directory or anything it holds directly (`type`, `value`, `fields/`...)
    /// was last modified; None when the key is not there.
    pub fn modified(&self, id: &KeyId) -> Result<Option<std::time::SystemTime>> {
        let dir = match self.locate(id)? {
            Location::Gone => return Ok(None),
            Location::Staged(dir) => dir.to_path_buf(),
            Location::Live(_) => self.store.root.join(&id.dir),
        };
        self.disk()?;
        let mut newest = match fs::metadata(&dir) {
            Ok(meta) => meta.modified()?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        for entry in fs::read_dir(&dir)? {
            if let Ok(modified) = entry?.metadata().and_then(|m| m.modified()) {
                newest = newest.max(modified);
            }
        }
        Ok(Some(newest))
    }

    // ---- files inside a key ----

    /// Reads a (small) file of the key; None when it does not exist.
    pub fn read(&self, id: &KeyId, rel: &str) -> Result<Option<Bytes>> {
        match self.read_value(id, rel)? {
            None => Ok(None),
            Some(value) => Ok(Some(value.into_bytes()?)),
        }
    }

    /// Where a file of the key is, as this batch sees it.
    fn file_at(&self, id: &KeyId, rel: &str) -> Result<FileAt<'_>> {
        Ok(match self.locate(id)? {
            Location::Gone => FileAt::Missing,
            Location::Staged(dir) => FileAt::Path(dir.join(rel)),
            Location::Live(edits) => match edits.and_then(|e| e.get(rel)) {
                Some(FileChange::Removed) => FileAt::Missing,
                Some(FileChange::Replaced(Content::Bytes(b))) => FileAt::Bytes(b),
                Some(FileChange::Replaced(Content::Spilled(arg))) => {
                    FileAt::Path(arg.path().to_path_buf())
                }
                Some(FileChange::Patched { ranges, .. }) => FileAt::Patched(ranges),
                None => FileAt::Live,
            },
        })
    }

    /// Reads a file of the key: in memory when small, as an open file when large.
    pub fn read_value(&self, id: &KeyId, rel: &str) -> Result<Option<Value>> {
        let path = match self.file_at(id, rel)? {
            FileAt::Missing => return Ok(None),
            FileAt::Bytes(b) => return Ok(Some(Value::Bytes(b.clone()))),
            FileAt::Patched(ranges) => return self.read_patched(id, rel, ranges).map(Some),
            FileAt::Live => return self.read_live(id, rel),
            FileAt::Path(path) => path,
        };
        self.disk()?;
        Ok(open_value(&path)?)
    }

    /// A live file as it will be once its pending ranges are written, read from a patched
    /// copy in `tmp/`, unlinked at once (a read after a range write in the same batch is
    /// rare, and worth a copy to keep the commit simple).
    fn read_patched(&self, id: &KeyId, rel: &str, ranges: &[(u64, Content)]) -> Result<Value> {
        let base = self
            .read_live(id, rel)?
            .unwrap_or(Value::Bytes(Bytes::new()));
        let mut end = base.len();
        for (offset, data) in ranges {
            end = end.max(offset + data.len()?);
        }
        let copy = self.store.staging.copy_of(&base)?;
        drop(base);
        for (offset, data) in ranges {
            data.write_into(&copy.file, *offset)?;
        }
        // The open file outlives its name.
        drop(copy.path);
        let value = Value::File {
            file: copy.file,
            start: 0,
            len: end,
        };
        Ok(value.slice(0, end)?)
    }

    /// Reads a file of the visible tree, through the cache.
    fn read_live(&self, id: &KeyId, rel: &str) -> Result<Option<Value>> {
        let cache = &self.store.cache;
        if let Some(hit) = cache.get(id, rel) {
            return Ok(hit.map(Value::Bytes));
        }
        self.disk()?;
        let value = open_value(&self.store.root.join(&id.dir).join(rel))?;
        if self.mode == Mode::Locked {
            match &value {
                None => cache.put(id, rel, None),
                Some(Value::Bytes(b)) => cache.put(id, rel, Some(b.clone())),
                Some(Value::File { .. }) => {}
            }
        }
        Ok(value)
    }

    /// The content of a file of the key as this batch sees it, to be written elsewhere (a list
    /// element moving to another position or another list) without being read: content in
    /// memory is shared, a file on disk gets a hard link in `tmp/` that the commit renames
    /// into its new place. None when the file does not exist.
    pub fn content(&self, id: &KeyId, rel: &str) -> Result<Option<Content>> {
        let path = match self.file_at(id, rel)? {
            FileAt::Missing => return Ok(None),
            FileAt::Bytes(b) => return Ok(Some(Content::Bytes(b.clone()))),
            // Only a string's value is patched in place; it is never moved like this.
            FileAt::Patched(ranges) => {
                let patched = self.read_patched(id, rel, ranges)?;
                return Ok(Some(Content::Bytes(patched.into_bytes()?)));
            }
            FileAt::Live => match self.store.cache.get(id, rel) {
                Some(hit) => return Ok(hit.map(Content::Bytes)),
                None => self.store.root.join(&id.dir).join(rel),
            },
            FileAt::Path(path) => path,
        };
        self.disk()?;
        let link = self.store.staging.new_path("l");
        match fs::hard_link(&path, &link) {
            Ok(()) => Ok(Some(Content::Spilled(SpilledArg {
                path: TempPath::try_from_path(link)?,
            }))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Whether the key has this file.
    pub fn exists(&self, id: &KeyId, rel: &str) -> Result<bool> {
        let path = match self.file_at(id, rel)? {
            FileAt::Missing => return Ok(false),
            FileAt::Bytes(_) | FileAt::Patched(_) => return Ok(true),
            FileAt::Live => match self.store.cache.get(id, rel) {
                Some(hit) => return Ok(hit.is_some()),
                None => self.store.root.join(&id.dir).join(rel),
            },
            FileAt::Path(path) => path,
        };
        self.disk()?;
        match fs::symlink_metadata(path) {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Sets the content of a file of the key (which must exist: see [`Batch::create`]).
    pub fn write(&mut self, id: &KeyId, rel: &str, content: impl Into<Content>) -> Result<()> {
        let content = content.into();
        let staged_dir = match self.locate(id)? {
            Location::Gone => {
                return Err(Error::Io(io::Error::other(
                    "write to a key that is not there",
                )))
            }
            Location::Staged(dir) => dir.to_path_buf(),
            Location::Live(_) => {
                self.edits(id)
                    .insert(rel.to_string(), FileChange::Replaced(content));
                return Ok(());
            }
        };
        let dest = staged_dir.join(rel);
        match content {
            Content::Bytes(b) => self.place(&dest, &b)?,
            Content::Spilled(arg) => {
                fs::create_dir_all(dest.parent().expect("inside a staged directory"))?;
                arg.path.persist(&dest).map_err(|e| e.error)?;
            }
        }
        Ok(())
    }

    /// Removes a file of the key, if it is there.
    pub fn remove(&mut self, id: &KeyId, rel: &str) -> Result<()> {
        match self.locate(id)? {
            Location::Gone => Ok(()),
            Location::Staged(dir) => match fs::remove_file(dir.join(rel)) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e.into()),
                _ => Ok(()),
            },
            Location::Live(_) => {
                self.edits(id).insert(rel.to_string(), FileChange::Removed);
                Ok(())
            }
        }
    }

    /// Writes `data` at `offset` of a file of the key (which must exist: see
    /// [`Batch::create`]), extending the file as needed; a gap reads as zeros. Later reads of
    /// the batch see the new bytes. The file of a staged key, or one this batch replaces
    /// anyway, is written at once (it is not visible yet); a live file is written at commit,
    /// as `apply` says, before the key's other changed files.
    pub fn write_range(
        &mut self,
        id: &KeyId,
        rel: &str,
        offset: u64,
        data: Content,
        apply: Apply,
    ) -> Result<()> {
        match self.locate(id)? {
            Location::Gone => {
                return Err(Error::Io(io::Error::other(
                    "write to a key that is not there",
                )))
            }
            Location::Staged(dir) => {
                let dest = dir.join(rel);
                let file = with_parent(&dest, || {
                    File::options()
                        .write(true)
                        .create(true)
                        .truncate(false)
                        .open(&dest)
                })?;
                data.write_into(&file, offset)?;
                return Ok(());
            }
            Location::Live(_) => {}
        }
        let store = self.store;
        let files = self.edits(id);
        let base = match files.get_mut(rel) {
            None => {
                let ranges = vec![(offset, data)];
                files.insert(rel.to_string(), FileChange::Patched { ranges, apply });
                return Ok(());
            }
            Some(FileChange::Patched { ranges, apply: was }) => {
                ranges.push((offset, data));
                if apply == Apply::Copy {
                    *was = Apply::Copy;
                }
                return Ok(());
            }
            // Replaced whole by this batch anyway: the new content is patched instead.
            Some(FileChange::Replaced(Content::Spilled(arg))) => {
                let file = File::options().write(true).open(arg.path())?;
                return Ok(data.write_into(&file, offset)?);
            }
            Some(FileChange::Replaced(Content::Bytes(b))) => Value::Bytes(b.clone()),
            Some(FileChange::Removed) => Value::Bytes(Bytes::new()),
        };
        let copy = store.staging.copy_of(&base)?;
        data.write_into(&copy.file, offset)?;
        let staged = Content::Spilled(SpilledArg { path: copy.path });
        files.insert(rel.to_string(), FileChange::Replaced(staged));
        Ok(())
    }

    fn edits(&mut self, id: &KeyId) -> &mut BTreeMap<String, FileChange> {
        match self
            .keys
            .entry(id.clone())
            .or_insert_with(|| KeyChange::Edit(BTreeMap::new()))
        {
            KeyChange::Edit(files) => files,
            KeyChange::Replace(_) | KeyChange::Rename(_) => unreachable!("located as live"),
        }
    }

    /// Where to read a directory of the key (`fields`, `members`, ...) as a stream: straight
    /// from disk unless this batch has pending changes to files in it.
    pub fn dir_source(&self, id: &KeyId, dir: &str) -> Result<DirSource> {
        let path = match self.locate(id)? {
            Location::Gone => return Ok(DirSource::Gone),
            Location::Staged(staged) => staged.join(dir),
            Location::Live(Some(edits))
                if edits
                    .keys()
                    .any(|rel| rel.strip_prefix(dir).is_some_and(|r| r.starts_with('/'))) =>
            {
                return Ok(DirSource::Edited)
            }
            Location::Live(_) => self.store.root.join(&id.dir).join(dir),
        };
        self.disk()?;
        Ok(DirSource::Disk(path))
    }

    /// The file names in a directory of the key (`fields`, `members`, ...), with this batch's
    /// own changes applied. Unordered.
    pub fn list(&self, id: &KeyId, dir: &str) -> Result<Vec<String>> {
        let (path, edits) = match self.locate(id)? {
            Location::Gone => return Ok(Vec::new()),
            Location::Staged(staged) => (staged.join(dir), None),
            Location::Live(edits) => (self.store.root.join(&id.dir).join(dir), edits),
        };
        self.disk()?;
        let mut names = Vec::new();
        match fs::read_dir(&path) {
            Ok(entries) => {
                for entry in entries {
                    if let Ok(name) = entry?.file_name().into_string() {
                        names.push(name);
                    }
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
        if let Some(edits) = edits {
            let prefix = format!("{dir}/");
            let changed: HashMap<&str, bool> = edits
                .iter()
                .filter_map(|(rel, c)| {
                    let present = !matches!(c, FileChange::Removed);
                    rel.strip_prefix(&prefix).map(|name| (name, present))
                })
                .filter(|(name, _)| !name.contains('/'))
                .collect();
            names.retain(|n| changed.get(n.as_str()) != Some(&false));
            for (name, present) in &changed {
                if *present && !names.iter().any(|n| n == name) {
                    names.push(name.to_string());
                }
            }
        }
        Ok(names)
    }

    // ---- applying ----

    /// Makes every change of the batch visible, all or nothing across a crash: stages the
    /// new content, journals the steps, applies them, marks the record done (see
    /// [`super::journal`]), and syncs as the fsync policy asks.
    pub fn commit(mut self) -> Result<()> {
        let store = self.store;
        if !store.watches.is_empty() {
            self.touch_watched();
        }
        self.before_changes();
        let changed = self.keys.len() + self.flushed.len() + self.swapped.len();
        let always = store.fsync == Fsync::Always;
        let mut steps = Vec::new();
        let planned = self.plan(&mut steps);
        let journaled = planned.and_then(|notes| match steps.is_empty() {
            true => Ok(None),
            false => Ok(Some((
                notes,
                store
                    .journal
                    .append(&steps, &store.root, always, self.transaction)?,
            ))),
        });
        let (notes, ticket) = match journaled {
            Ok(Some(journaled)) => journaled,
            Ok(None) => return Ok(()),
            Err(e) => {
                // Nothing is visible yet: the staged files go (a full disk gets its space back).
                for step in steps {
                    if let Step::Install {
                        staged: Staged::Path(staged),
                        ..
                    } = step
                    {
                        let _ = store.trash.discard(&staged);
                    }
                }
                return Err(e);
            }
        };
        let kept = self
            .transaction
            .map(|t| journal::kept(&store.root, t, ticket.seq()));
        let applied = store.apply(&steps, kept.as_deref());
        if let Err(e) = store.journal.applied(ticket, always) {
            // The commit is applied: a start-up would find it applied already.
            tracing::warn!("could not mark a journal record done: {e}");
        }
        for note in notes {
            match (note, &applied) {
                (Note::File(id, rel, change), Ok(())) => store.cache.changed(&id, &rel, change),
                (Note::File(id, ..) | Note::Key(id), _) => store.cache.forget(&id),
                (Note::Db(db), _) => store.cache.forget_db(db),
            }
        }
        applied?;
        // Counted once applied: the `everysec` syncer syncs when the count moves.
        store
            .changes
            .fetch_add(changed as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }

    /// The steps that make the batch's changes visible (into `steps`, kept on failure so
    /// that the caller can discard what was staged), with what the cache learns of them.
    /// New content is staged in `tmp/` here, so that the journal record can name it (with
    /// `always`, the sync of the record makes it durable).
    ///
    /// The order: flushed databases, swapped databases, the expiry markers of keys that gain
    /// an expiry (before the expiry is visible, so that a crash never leaves an expiring key
    /// out of the index), renamed keys (before other changes, which may reuse the names they
    /// leave), the other key changes, and last the markers of keys that lost their expiry.
    fn plan(&mut self, steps: &mut Vec<Step>) -> Result<Vec<Note>> {
        let store = self.store;
        let mut notes = Vec::new();
        for db in std::mem::take(&mut self.flushed) {
            let ino = inode(&store.db_dir(db))?;
            steps.push(Step::FlushDb { db, ino });
            notes.push(Note::Db(db));
        }
        for (a, b) in std::mem::take(&mut self.swapped) {
            let ino = inode(&store.db_dir(a))?;
            steps.push(Step::SwapDbs { a, b, ino });
            notes.extend([Note::Db(a), Note::Db(b)]);
        }
        let ttl = std::mem::take(&mut self.ttl);
        for (id, _) in ttl.iter().filter(|(_, &ttl)| ttl) {
            let (key, set) = (id.clone(), true);
            steps.push(Step::Marker { key, set });
        }
        let (renames, others): (Vec<_>, Vec<_>) = std::mem::take(&mut self.keys)
            .into_iter()
            .partition(|(_, change)| matches!(change, KeyChange::Rename(_)));
        for (id, change) in renames.into_iter().chain(others) {
            let live = store.root.join(&id.dir);
            match change {
                KeyChange::Edit(files) => {
                    // Ranges written in place land first, `type` last: what `type` says
                    // (a string's length, a collection's size) never runs ahead of the files.
                    let mut files: Vec<_> = files.into_iter().collect();
                    files.sort_by_key(|(rel, change)| {
                        (!matches!(change, FileChange::Patched { .. }), rel == "type")
                    });
                    for (rel, change) in files {
                        let dest = live.join(&rel);
                        let (step, change) = plan_file(store, dest, change)?;
                        steps.push(step);
                        notes.push(Note::File(id.clone(), rel, change));
                    }
                }
                KeyChange::Replace(Some(staged)) => {
                    let ino = inode(&staged)?;
                    let (staged, dest) = (Staged::Path(staged), live);
                    steps.push(Step::Install {
                        staged,
                        ino,
                        dest,
                        dir: true,
                    });
                    notes.push(Note::Key(id));
                }
                KeyChange::Replace(None) => {
                    steps.push(Step::Remove {
                        path: live,
                        dir: true,
                    });
                    notes.push(Note::Key(id));
                }
                KeyChange::Rename(from) => {
                    let ino = inode(&store.root.join(&from.dir))?;
                    notes.extend([Note::Key(from.clone()), Note::Key(id.clone())]);
                    steps.push(Step::MoveKey { from, to: id, ino });
                }
            }
        }
        for (id, _) in ttl.iter().filter(|(_, &ttl)| !ttl) {
            let (key, set) = (id.clone(), false);
            steps.push(Step::Marker { key, set });
        }
        Ok(notes)
    }
}

/// What the cache learns of a commit once it is applied (if it fails, these are forgotten).
enum Note {
    File(KeyId, String, Change),
    Key(KeyId),
    Db(usize),
}

/// The step for one file change, and what the cache learns of it.
fn plan_file(store: &Store, dest: PathBuf, change: FileChange) -> io::Result<(Step, Change)> {
    Ok(match change {
        FileChange::Replaced(Content::Bytes(b)) => {
            let staged = store.staging.write(&b)?;
            let ino = inode(&staged)?;
            let staged = Staged::Path(staged);
            (
                Step::Install {
                    staged,
                    ino,
                    dest,
                    dir: false,
                },
                Change::Written(b),
            )
        }
        FileChange::Replaced(Content::Spilled(arg)) => {
            let ino = inode(arg.path())?;
            let staged = Staged::Spilled(arg);
            (
                Step::Install {
                    staged,
                    ino,
                    dest,
                    dir: false,
                },
                Change::Large,
            )
        }
        FileChange::Patched { ranges, apply } => {
            let change = match ranges.as_slice() {
                // The whole file is written (a sorted-set index node): the cache keeps it.
                [(0, Content::Bytes(b))]
                    if b.len() as u64 <= SMALL_FILE
                        && fs::metadata(&dest).map_or(0, |m| m.len()) <= b.len() as u64 =>
                {
                    Change::Written(b.clone())
                }
                _ => Change::Large,
            };
            (
                Step::Patch {
                    dest,
                    ranges,
                    apply,
                },
                change,
            )
        }
        FileChange::Removed => (
            Step::Remove {
                path: dest,
                dir: false,
            },
            Change::Removed,
        ),
    })
}

impl Store {
    /// Applies a journal record's steps (durable at the next sync: see [`super::journal`]).
    /// Also what start-up uses to redo a record that a crash interrupted. In a transaction,
    /// what step `n` replaces or removes is kept (see [`journal::kept`]), for [`Store::undo`].
    pub(super) fn apply(&self, steps: &[Step], kept: Option<&Path>) -> io::Result<()> {
        for (n, step) in steps.iter().enumerate() {
            let keep = kept.map(|kept| journal::kept_by_step(kept, n));
            self.apply_step(step, keep.as_deref())?;
        }
        Ok(())
    }

    /// Applies one step; a step found applied already is skipped (see [`super::journal`]).
    fn apply_step(&self, step: &Step, keep: Option<&Path>) -> io::Result<()> {
        let keep_aside = |path: &Path, dir| match keep {
            Some(keep) => self.keep_aside(path, keep, dir),
            None => Ok(()),
        };
        match step {
            Step::FlushDb { db, ino } => {
                if is_inode(&self.db_dir(*db), *ino)? {
                    self.flush_db_dir(*db, keep)?;
                }
            }
            Step::SwapDbs { a, b, ino } => {
                if is_inode(&self.db_dir(*a), *ino)? {
                    self.swap_db_dirs(*a, *b)?;
                }
            }
            Step::Marker { key, set: true } => self.expiry.mark(self, key)?,
            Step::Marker { key, set: false } => self.expiry.unmark(self, key)?,
            Step::MoveKey { from, to, ino } => {
                if is_inode(&self.root.join(&from.dir), *ino)? {
                    keep_aside(&self.root.join(&to.dir), true)?;
                    move_key_dir(self, from, to)?;
                }
            }
            Step::Install {
                staged,
                ino,
                dest,
                dir,
            } => {
                if is_inode(staged.path(), *ino)? {
                    keep_aside(dest, *dir)?;
                    match (staged, dir) {
                        (Staged::Path(dir), true) => install_dir(dir, dest, self)?,
                        (Staged::Path(file), false) => self.staging.install(file, dest)?,
                        // A plain rename: the argument's path is deleted when it is dropped,
                        // so it must not receive the old file.
                        (Staged::Spilled(arg), _) => {
                            with_parent(dest, || fs::rename(arg.path(), dest))?
                        }
                    }
                }
            }
            Step::Patch {
                dest,
                ranges,
                apply,
            } => {
                if let Some(keep) = keep {
                    // A second link: `patch` then writes a copy, leaving the kept file as it was.
                    let kept = match fs::hard_link(dest, keep) {
                        Err(e) if e.kind() == io::ErrorKind::NotFound => {
                            File::create(absent(keep))?;
                            absent(keep)
                        }
                        other => other.map(|()| keep.to_path_buf())?,
                    };
                    self.kept.lock().push((kept, false));
                }
                patch(self, dest, ranges, *apply)?;
            }
            Step::Remove { path, dir } if keep.is_some() => keep_aside(path, *dir)?,
            Step::Remove { path, dir: true } => self.trash.discard(path)?,
            Step::Remove { path, dir: false } => match fs::remove_file(path) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            },
        }
        Ok(())
    }

    /// In a transaction, moves what `path` holds (if anything: a file, or a directory when
    /// `dir`) to `keep` before a step replaces or removes it, and notes it for
    /// [`Store::end`]. (Steps of a transaction are applied once: start-up undoes them rather
    /// than redo them.)
    pub(super) fn keep_aside(&self, path: &Path, keep: &Path, dir: bool) -> io::Result<()> {
        match fs::rename(path, keep) {
            Ok(()) => self.kept.lock().push((keep.to_path_buf(), dir)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        Ok(())
    }

    /// Undoes a record of a transaction that never ended, last step first, from what its
    /// steps kept under `kept` (start-up). Every step can be undone again: what was kept is
    /// put back only while it is still kept, and what a step put in place is removed only
    /// while it is still the inode the step recorded. Returns the keys whose expiry marker
    /// the record changed, to be set right once the whole transaction is undone.
    pub(super) fn undo(&self, steps: &[Step], kept: &Path) -> io::Result<Vec<KeyId>> {
        let mut markers = Vec::new();
        for (n, step) in steps.iter().enumerate().rev() {
            let keep = journal::kept_by_step(kept, n);
            let put_back = |dest: &Path| match fs::symlink_metadata(&keep) {
                Ok(_) => install_dir(&keep, dest, self).map(|()| true),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
                Err(e) => Err(e),
            };
            match step {
                Step::FlushDb { db, .. } => {
                    put_back(&self.db_dir(*db))?;
                }
                Step::SwapDbs { a, b, ino } => {
                    if is_inode(&self.db_dir(*b), *ino)? {
                        self.swap_db_dirs(*a, *b)?;
                    }
                }
                Step::Marker { key, .. } => markers.push(key.clone()),
                Step::MoveKey { from, to, ino } => {
                    if is_inode(&self.root.join(&to.dir), *ino)? {
                        move_key_dir(self, to, from)?;
                    }
                    put_back(&self.root.join(&to.dir))?;
                }
                Step::Install { ino, dest, .. } => {
                    if !put_back(dest)? && is_inode(dest, *ino)? {
                        self.trash.discard(dest)?;
                    }
                }
                Step::Patch { dest, .. } => {
                    if !put_back(dest)? && absent(&keep).exists() {
                        self.trash.discard(dest)?;
                    }
                }
                Step::Remove { path, .. } => {
                    put_back(path)?;
                }
            }
        }
        Ok(markers)
    }
}

/// Next to a kept file: the file a patch created did not exist before.
fn absent(keep: &Path) -> PathBuf {
    journal::with_suffix(keep, "absent")
}

impl Batch<'_> {
    /// Lets an image being made link what this batch is about to change, as it was.
    fn before_changes(&self) {
        let images = &self.store.images;
        if !images.in_progress() {
            return;
        }
        for &db in self
            .flushed
            .iter()
            .chain(self.swapped.iter().flat_map(|(a, b)| [a, b]))
        {
            images.before_db_change(db);
        }
        let before = |id: &KeyId| images.before_change(id.db, id.slot, id.encoded.file_name());
        for (id, change) in &self.keys {
            before(id);
            if let KeyChange::Rename(from) = change {
                before(from);
            }
        }
        self.ttl.keys().for_each(before);
    }

    /// Tells WATCH what this batch is about to change (before the change, so that deleting a
    /// key that is not there can be told from deleting one that is).
    fn touch_watched(&self) {
        let store = self.store;
        let on_disk = |id: &KeyId| fs::symlink_metadata(store.root.join(&id.dir)).is_ok();
        for &db in &self.flushed {
            store.watches.db_emptied(db, on_disk);
        }
        // SWAPDB: a watched key changes if either database holds it, as Redis's
        // `touchAllWatchedKeysInDb`.
        for &(a, b) in &self.swapped {
            for (db, other) in [(a, b), (b, a)] {
                store.watches.db_emptied(db, |id| {
                    on_disk(id) || on_disk(&KeyId::new(other, id.key.clone()))
                });
            }
        }
        for (id, change) in &self.keys {
            let change = match change {
                KeyChange::Replace(None) => watch::Change::Deleted,
                _ => watch::Change::Written,
            };
            store.watches.key_changed(id, change, || on_disk(id));
        }
    }
}

impl Drop for Batch<'_> {
    fn drop(&mut self) {
        for (_, change) in std::mem::take(&mut self.keys) {
            self.discard(change);
        }
    }
}

/// Writes byte ranges into a live file: in place when `apply` allows it and nobody else can
/// see the bytes change, otherwise into a copy that atomically replaces the file. Returns
/// the file's new length.
fn patch(store: &Store, dest: &Path, ranges: &[(u64, Content)], apply: Apply) -> io::Result<u64> {
    let mut end = 0;
    for (offset, data) in ranges {
        end = end.max(offset + data.len()?);
    }
    let file = match File::options().read(true).write(true).open(dest) {
        Ok(file) => Some(file),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    if let Some(file) = file.as_ref().filter(|_| apply == Apply::InPlace) {
        let meta = file.metadata()?;
        // Bytes past the end are read by nobody; bytes before it may be in a reply being
        // streamed, which holds a shared lock (see `Value`).
        let past_end = ranges.iter().all(|(offset, _)| *offset >= meta.len());
        // A small file is never streamed: it is read whole, under the key's lock.
        let small = meta.len() <= SMALL_FILE;
        let unread = || flock(file, FlockOperation::NonBlockingLockExclusive).is_ok();
        if meta.nlink() == 1 && (past_end || small || unread()) {
            for (offset, data) in ranges {
                data.write_into(file, *offset)?;
            }
            return Ok(end.max(meta.len()));
        }
    }
    let base = match file {
        Some(file) => {
            let len = file.metadata()?.len();
            Value::File {
                file,
                start: 0,
                len,
            }
        }
        None => Value::Bytes(Bytes::new()),
    };
    let copy = store.staging.copy_of(&base)?;
    let len = end.max(base.len());
    drop(base);
    for (offset, data) in ranges {
        data.write_into(&copy.file, *offset)?;
    }
    // A plain rename (the old file may be large: not worth recycling). Dropping `copy.path`
    // then finds nothing left to delete.
    with_parent(dest, || fs::rename(&copy.path, dest))?;
    Ok(len)
}

/// Opens a file as a [`Value`]; None when it does not exist. A large file is returned open,
/// under a shared lock held as long as the value (see [`Apply::InPlace`]).
fn open_value(path: &Path) -> io::Result<Option<Value>> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let len = file.metadata()?.len();
    if len > SMALL_FILE {
        flock(&file, FlockOperation::LockShared)?;
    }
    let value = Value::File {
        file,
        start: 0,
        len,
    };
    Ok(Some(value.slice(0, len)?))
}

/// Puts a staged key directory at `live`: a plain rename for a new key, an exchange (old one to
/// the trash) for a replaced one.
fn install_dir(staged: &Path, live: &Path, store: &Store) -> io::Result<()> {
    let rename = |flags| renameat_with(CWD, staged, CWD, live, flags).map_err(io::Error::from);
    match with_parent(live, || rename(RenameFlags::NOREPLACE)) {
        Err(e)
            if matches!(
                Errno::from_io_error(&e),
                Some(Errno::EXIST | Errno::NOTEMPTY)
            ) =>
        {
            rename(RenameFlags::EXCHANGE)?;
            store.trash.discard(staged)
        }
        other => other,
    }
}

/// Moves the live directory of key `from` to key `to` (one rename; a key that was at `to`
/// goes to the trash), first making its `name` file (kept for digest-named keys) name `to`.
fn move_key_dir(store: &Store, from: &KeyId, to: &KeyId) -> io::Result<()> {
    let source = store.root.join(&from.dir);
    let dest = store.root.join(&to.dir);
    if to.encoded.is_digest() {
        let staged = store.staging.write(&to.key)?;
        store.staging.install(&staged, &source.join("name"))?;
    }
    install_dir(&source, &dest, store)?;
    if from.encoded.is_digest() && !to.encoded.is_digest() {
        match fs::remove_file(dest.join("name")) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    Ok(())
}

/// Copies a key directory (all its files, except the `name` of a digest-named key) into a
/// new directory at `dest`. Files are copied, never linked: a value file may be changed in
/// place later (APPEND), and the copy must not see it.
fn copy_key_dir(source: &Path, dest: &Path) -> io::Result<()> {
    fs::create_dir(dest)?;
    for entry in walkdir::WalkDir::new(source).min_depth(1) {
        let entry = entry.map_err(io::Error::other)?;
        let rel = entry
            .path()
            .strip_prefix(source)
            .expect("walkdir stays under its root");
        if rel == Path::new("name") {
            continue;
        }
        if entry.file_type().is_dir() {
            fs::create_dir(dest.join(rel))?;
        } else {
            fs::copy(entry.path(), dest.join(rel))?;
        }
    }
    Ok(())
}

/// The error for sequences a batch does not support (a renamed key used again, a key moved
/// or copied after being edited in the same batch): commit first.
fn unsupported_sequence() -> Error {
    Error::Io(io::Error::other(
        "a renamed key was used again, or a changed key moved, in the same batch",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Fsync, Options};

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = store_at(&dir);
        (dir, store)
    }

    fn store_at(dir: &tempfile::TempDir) -> Store {
        let options = Options {
            databases: 2,
            fsync: Fsync::No,
            cache_bytes: 1 << 20,
        };
        Store::open(dir.path(), &options).unwrap()
    }

    /// A key holding `value` in its `value` file; returns the file's path.
    fn key_with(store: &Store, id: &KeyId, value: &[u8]) -> PathBuf {
        let mut batch = store.batch();
        batch.create(id, &Meta::new(Type::String)).unwrap();
        batch.write(id, "value", value.to_vec()).unwrap();
        batch.commit().unwrap();
        store.root.join(&id.dir).join("value")
    }

    fn read(batch: &Batch, id: &KeyId) -> Vec<u8> {
        let value = batch.read_value(id, "value").unwrap().unwrap();
        value.into_bytes().unwrap().to_vec()
    }

    fn bytes(b: &'static [u8]) -> Content {
        Content::Bytes(Bytes::from_static(b))
    }

    #[test]
    fn range_writes_are_read_back_by_the_batch_and_land_at_commit() {
        let (_dir, store) = store();
        let id = KeyId::new(0, Bytes::from_static(b"k"));
        let old = vec![1; 100_000];
        let path = key_with(&store, &id, &old);
        let mut batch = store.batch();
        batch
            .write_range(&id, "value", 10, bytes(b"abc"), Apply::InPlace)
            .unwrap();
        batch
            .write_range(&id, "value", 100_002, bytes(b"end"), Apply::InPlace)
            .unwrap();
        let mut new = old.clone();
        new[10..13].copy_from_slice(b"abc");
        new.extend_from_slice(b"\0\0end");
        assert!(read(&batch, &id) == new);
        assert!(fs::read(&path).unwrap() == old, "visible before the commit");
        batch.commit().unwrap();
        assert!(fs::read(&path).unwrap() == new);
        assert!(read(&store.batch(), &id) == new);
    }

    #[test]
    fn a_file_with_another_link_is_patched_through_a_copy() {
        let (dir, store) = store();
        let id = KeyId::new(0, Bytes::from_static(b"k"));
        let path = key_with(&store, &id, b"0123456789");
        let link = dir.path().join("link");
        fs::hard_link(&path, &link).unwrap();
        let mut batch = store.batch();
        batch
            .write_range(&id, "value", 2, bytes(b"xy"), Apply::InPlace)
            .unwrap();
        batch.commit().unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"01xy456789");
        assert_eq!(fs::read(&link).unwrap(), b"0123456789");
    }

    #[test]
    fn a_range_write_after_a_whole_write_patches_the_new_content() {
        let (_dir, store) = store();
        let id = KeyId::new(0, Bytes::from_static(b"k"));
        let path = key_with(&store, &id, b"old");
        let mut batch = store.batch();
        batch.write(&id, "value", bytes(b"hello")).unwrap();
        batch
            .write_range(&id, "value", 5, bytes(b" world"), Apply::InPlace)
            .unwrap();
        batch
            .write_range(&id, "value", 0, bytes(b"J"), Apply::InPlace)
            .unwrap();
        assert_eq!(read(&batch, &id), b"Jello world");
        batch.commit().unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"Jello world");
        // Nothing staged is left behind in tmp/ but recycled files.
        let staged: Vec<_> = fs::read_dir(store.staging.dir())
            .unwrap()
            .map(|e| fs::read(e.unwrap().path()).unwrap())
            .filter(|content| content.ends_with(b"world"))
            .collect();
        assert!(staged.is_empty());
    }

    /// A commit interrupted after its record was journaled, with only its first `applied`
    /// steps done: the data directory as a crash at that point leaves it.
    fn interrupted(store: &Store, build: impl FnOnce(&mut Batch), applied: usize) {
        interrupted_in(store, None, build, applied)
    }

    /// The same, for a commit in a transaction.
    fn interrupted_in(
        store: &Store,
        transaction: Option<u64>,
        build: impl FnOnce(&mut Batch),
        applied: usize,
    ) {
        let mut batch = store.batch().in_transaction(transaction);
        build(&mut batch);
        let mut steps = Vec::new();
        batch.plan(&mut steps).unwrap();
        // Never marked done: the crash comes first.
        let ticket = store
            .journal
            .append(&steps, &store.root, false, transaction)
            .unwrap();
        let kept = transaction.map(|t| journal::kept(&store.root, t, ticket.seq()));
        let done = &steps[..applied.min(steps.len())];
        store.apply(done, kept.as_deref()).unwrap();
    }

    fn reopen(dir: &tempfile::TempDir, store: Store) -> Store {
        drop(store);
        store_at(dir)
    }

    fn value(store: &Store, id: &KeyId) -> Option<Vec<u8>> {
        let value = store.batch().read_value(id, "value").unwrap();
        value.map(|v| v.into_bytes().unwrap().to_vec())
    }

    #[test]
    fn start_up_finishes_a_commit_that_a_crash_interrupted_at_any_step() {
        let [a, b, c, d] = ["a", "b", "c", "d"].map(|k| KeyId::new(0, Bytes::from(k)));
        for applied in 0..=5 {
            let (dir, store) = store();
            key_with(&store, &a, b"old a");
            key_with(&store, &b, b"old b");
            key_with(&store, &c, b"old c");
            let build = |batch: &mut Batch| {
                batch.write(&a, "value", bytes(b"new a")).unwrap();
                batch.create(&b, &Meta::new(Type::String)).unwrap();
                batch.write(&b, "value", bytes(b"new b")).unwrap();
                batch.rename(&c, &d).unwrap();
                batch.delete(&c);
            };
            interrupted(&store, build, applied);
            let store = reopen(&dir, store);
            assert_eq!(
                value(&store, &a).as_deref(),
                Some(&b"new a"[..]),
                "{applied}"
            );
            assert_eq!(
                value(&store, &b).as_deref(),
                Some(&b"new b"[..]),
                "{applied}"
            );
            assert_eq!(value(&store, &c), None, "{applied}");
            assert_eq!(
                value(&store, &d).as_deref(),
                Some(&b"old c"[..]),
                "{applied}"
            );
            assert!(!dir.path().join("recovering").exists());
            // Nothing is left to redo: a second start changes nothing.
            let store = reopen(&dir, store);
            assert_eq!(value(&store, &d).as_deref(), Some(&b"old c"[..]));
        }
    }

    #[test]
    fn an_unmarked_record_followed_by_another_on_its_key_is_not_redone() {
        // With `--fsync always` a record is marked done only after a sync: a crash can leave
        // several applied records of one key unmarked. Redoing the DEL would delete the key
        // that the later SET made.
        let (dir, store) = store();
        let (a, b) = (
            KeyId::new(0, Bytes::from("a")),
            KeyId::new(0, Bytes::from("b")),
        );
        key_with(&store, &a, b"old");
        interrupted(&store, |batch| batch.delete(&a), usize::MAX);
        let set = |batch: &mut Batch| {
            batch.create(&a, &Meta::new(Type::String)).unwrap();
            batch.write(&a, "value", bytes(b"new")).unwrap();
        };
        interrupted(&store, set, usize::MAX);
        // A record on another key, interrupted half-way, is still finished.
        key_with(&store, &b, b"old b");
        let rewrite = |batch: &mut Batch| batch.write(&b, "value", bytes(b"new b")).unwrap();
        interrupted(&store, rewrite, 0);
        let store = reopen(&dir, store);
        assert_eq!(value(&store, &a).as_deref(), Some(&b"new"[..]));
        assert_eq!(value(&store, &b).as_deref(), Some(&b"new b"[..]));
    }

    #[test]
    fn start_up_undoes_a_transaction_that_a_crash_interrupted() {
        let [a, b, c, d, e, f] =
            ["a", "b", "c", "d", "e", "f"].map(|k| KeyId::new(0, Bytes::from(k)));
        let in_db1 = KeyId::new(1, Bytes::from("one"));
        for applied in [0, 1, 2, usize::MAX] {
            let (dir, store) = store();
            for (id, value) in [(&a, "old a"), (&c, "old c"), (&d, "old d"), (&f, "old f")] {
                key_with(&store, id, value.as_bytes());
            }
            key_with(&store, &in_db1, b"in 1");
            let transaction = store.begin();
            let commit = |build: &dyn Fn(&mut Batch)| {
                let mut batch = store.batch().in_transaction(Some(transaction));
                build(&mut batch);
                batch.commit().unwrap();
            };
            commit(&|batch| batch.write(&a, "value", bytes(b"new a")).unwrap());
            commit(&|batch| {
                batch.create(&b, &Meta::new(Type::String)).unwrap();
                batch.write(&b, "value", bytes(b"new b")).unwrap();
            });
            commit(&|batch| batch.delete(&c));
            commit(&|batch| {
                batch.rename(&d, &e).unwrap();
                batch.delete(&d);
            });
            commit(&|batch| {
                let mut meta = batch.meta(&a).unwrap().unwrap();
                meta.expire_at_ms = Some(now_ms() + 100_000);
                batch.set_meta(&a, &meta).unwrap();
            });
            commit(&|batch| {
                let more = bytes(b" and more");
                batch
                    .write_range(&f, "value", 5, more, Apply::InPlace)
                    .unwrap();
            });
            commit(&|batch| {
                batch.flush_db(1);
                batch.swap_dbs(0, 1);
            });
            assert_eq!(
                value(&store, &KeyId::new(1, Bytes::from("f"))).as_deref(),
                Some(&b"old f and more"[..])
            );
            // The last commit is cut short by the crash.
            let last = |batch: &mut Batch| {
                batch.delete(&KeyId::new(1, Bytes::from("a")));
                let other = KeyId::new(0, Bytes::from("z"));
                batch.create(&other, &Meta::new(Type::String)).unwrap();
            };
            interrupted_in(&store, Some(transaction), last, applied);
            let store = reopen(&dir, store);
            for (id, old) in [
                (&a, "old a"),
                (&c, "old c"),
                (&d, "old d"),
                (&f, "old f"),
                (&in_db1, "in 1"),
            ] {
                assert_eq!(
                    value(&store, id).as_deref(),
                    Some(old.as_bytes()),
                    "{applied}"
                );
            }
            assert_eq!(value(&store, &b), None);
            assert_eq!(value(&store, &e), None);
            assert_eq!(store.batch().meta(&a).unwrap().unwrap().expire_at_ms, None);
            assert_eq!(store.expiry.count(0), 0, "{applied}");
            assert_eq!(fs::read_dir(dir.path().join("undo")).unwrap().count(), 0);
            drop(store);
            let report = super::super::check::check(dir.path(), false).unwrap();
            assert_eq!(report.problems, Vec::<String>::new(), "{applied}");
        }
    }

    #[test]
    fn an_ended_transaction_stays() {
        let (dir, store) = store();
        let a = KeyId::new(0, Bytes::from("a"));
        key_with(&store, &a, b"old");
        let transaction = store.begin();
        let mut batch = store.batch().in_transaction(Some(transaction));
        batch.write(&a, "value", bytes(b"new")).unwrap();
        batch.commit().unwrap();
        store.end(transaction).unwrap();
        let store = reopen(&dir, store);
        assert_eq!(value(&store, &a).as_deref(), Some(&b"new"[..]));
    }

    #[test]
    fn a_redone_flush_or_swap_is_not_done_twice() {
        let (dir, store) = store();
        let (a, b) = (
            KeyId::new(0, Bytes::from("a")),
            KeyId::new(1, Bytes::from("b")),
        );
        key_with(&store, &a, b"in 0");
        interrupted(
            &store,
            |batch| {
                batch.flush_db(1);
                batch.swap_dbs(0, 1);
            },
            2,
        );
        let store = reopen(&dir, store);
        let moved = KeyId::new(1, Bytes::from("a"));
        assert_eq!(value(&store, &moved).as_deref(), Some(&b"in 0"[..]));
        assert_eq!(value(&store, &a), None);
        assert_eq!(value(&store, &b), None);
    }

    #[test]
    fn a_torn_journal_tail_is_ignored() {
        let (dir, store) = store();
        let a = KeyId::new(0, Bytes::from("a"));
        key_with(&store, &a, b"kept");
        drop(store);
        let journal = dir.path().join("journal");
        fs::create_dir_all(&journal).unwrap();
        fs::write(journal.join("7"), b"\x20\0\0\0garbage").unwrap();
        let store = store_at(&dir);
        assert_eq!(value(&store, &a).as_deref(), Some(&b"kept"[..]));
    }
}
