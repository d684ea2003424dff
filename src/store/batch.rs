//! Batches: commands describe their changes here, and [`Batch::commit`] applies them.
//!
//! A command never writes into the visible tree itself. It reads and writes through a batch:
//! changes to an existing key are kept (file path -> new content) and read back by later reads
//! of the same batch; a key created or replaced as a whole is built in a staged directory under
//! `tmp/`. `commit` is the one function that makes changes visible, each file by an atomic
//! exchange and each whole key by a directory rename or exchange, and the one place where the
//! fsync policy is applied. A batch that is dropped without commit changes nothing.
//!
//! Until the journal lands, atomicity is per file and per key directory: a crash in the middle
//! of a commit that touches several files can leave some of them applied (see docs).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use rustix::fs::{renameat_with, RenameFlags, CWD};
use rustix::io::Errno;
use tempfile::TempPath;

use super::cache::Change;
use super::files::{sync_dir, with_parent, SMALL_FILE};
use super::layout::{encode_name, Encoded};
use super::meta::{now_ms, Meta, Type};
use super::{Fsync, Store};
use crate::error::{Error, Result};
use crate::protocol::SpilledArg;

/// A key of one database, with its directory (relative to the data directory).
#[derive(Debug, Clone)]
pub struct KeyId {
    pub db: usize,
    pub key: Bytes,
    dir: PathBuf,
    encoded: Encoded,
}

impl KeyId {
    pub fn new(db: usize, key: Bytes) -> KeyId {
        let slot = super::layout::slot_name(super::layout::key_slot(&key));
        let encoded = encode_name(&key);
        let dir = PathBuf::from(db.to_string())
            .join(slot)
            .join(encoded.file_name());
        KeyId {
            db,
            key,
            dir,
            encoded,
        }
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
    /// A file already in `tmp/` (a large request argument, or a hard link to a file of the
    /// store, see [`Batch::content`]): it is renamed into place.
    Spilled(SpilledArg),
}

impl Content {
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
#[derive(Debug)]
pub enum Value {
    Bytes(Bytes),
    File { file: File, len: u64 },
}

impl Value {
    pub fn len(&self) -> u64 {
        match self {
            Value::Bytes(b) => b.len() as u64,
            Value::File { len, .. } => *len,
        }
    }

    /// `len` bytes from `offset` (clamped to the value). A large slice stays a file,
    /// positioned at `offset`, to be streamed.
    pub fn slice(self, offset: u64, len: u64) -> io::Result<Value> {
        let offset = offset.min(self.len());
        let len = len.min(self.len() - offset);
        match self {
            Value::Bytes(b) => Ok(Value::Bytes(
                b.slice(offset as usize..(offset + len) as usize),
            )),
            Value::File { mut file, .. } => {
                file.seek(SeekFrom::Start(offset))?;
                if len > SMALL_FILE {
                    return Ok(Value::File { file, len });
                }
                let mut buf = Vec::with_capacity(len as usize);
                file.take(len).read_to_end(&mut buf)?;
                Ok(Value::Bytes(buf.into()))
            }
        }
    }

    /// The whole value in memory (for the commands that must look at every byte).
    pub fn into_bytes(self) -> io::Result<Bytes> {
        match self {
            Value::Bytes(b) => Ok(b),
            Value::File { mut file, len } => {
                let mut buf = Vec::with_capacity(len as usize);
                file.read_to_end(&mut buf)?;
                Ok(buf.into())
            }
        }
    }
}

enum KeyChange {
    /// The key's directory stays; these files change inside it (None: removed).
    Edit(BTreeMap<String, Option<Content>>),
    /// The key is replaced as a whole by a directory staged in `tmp/`, or deleted (None).
    Replace(Option<PathBuf>),
}

/// Where the batch finds a key's current files.
enum Location<'a> {
    Live(Option<&'a BTreeMap<String, Option<Content>>>),
    Staged(&'a Path),
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
    /// Keys made (or remade) by [`Batch::create`], with their type: clients blocked on such a
    /// key may now be served (see `server::blocking`).
    created: Vec<(KeyId, Type)>,
}

impl<'s> Batch<'s> {
    pub fn new(store: &'s Store, mode: Mode) -> Batch<'s> {
        Batch {
            store,
            mode,
            keys: HashMap::new(),
            flushed: BTreeSet::new(),
            created: Vec::new(),
        }
    }

    /// Fails when the batch may not touch the disk (see [`Mode::CacheOnly`]).
    fn disk(&self) -> Result<()> {
        if self.mode == Mode::CacheOnly {
            Err(Error::NotCached)
        } else {
            Ok(())
        }
    }

    fn locate(&self, id: &KeyId) -> Location<'_> {
        match self.keys.get(id) {
            Some(KeyChange::Edit(files)) => Location::Live(Some(files)),
            Some(KeyChange::Replace(Some(dir))) => Location::Staged(dir),
            Some(KeyChange::Replace(None)) => Location::Gone,
            None if self.flushed.contains(&id.db) => Location::Gone,
            None => Location::Live(None),
        }
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
        self.write(id, "type", meta.to_bytes())
    }

    /// Makes `id` a new, empty key described by `meta`, replacing whatever it held.
    pub fn create(&mut self, id: &KeyId, meta: &Meta) -> Result<()> {
        let staging = &self.store.staging;
        let dir = staging.new_path("k");
        fs::create_dir(&dir)?;
        let result = (|| -> io::Result<()> {
            self.place(&dir.join("type"), &meta.to_bytes())?;
            if id.encoded.is_digest() {
                self.place(&dir.join("name"), &id.key)?;
            }
            Ok(())
        })();
        if let Err(e) = result {
            let _ = self.store.trash.discard(&dir);
            return Err(e.into());
        }
        self.set_change(id, KeyChange::Replace(Some(dir)));
        self.created.push((id.clone(), meta.kind));
        Ok(())
    }

    /// The keys this batch created so far, with their types (taken: a second call returns
    /// only those created since).
    pub fn take_created(&mut self) -> Vec<(KeyId, Type)> {
        std::mem::take(&mut self.created)
    }

    /// Deletes the key (its directory goes to the trash on commit).
    pub fn delete(&mut self, id: &KeyId) {
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
        self.flushed.insert(db);
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

    // ---- files inside a key ----

    /// Reads a (small) file of the key; None when it does not exist.
    pub fn read(&self, id: &KeyId, rel: &str) -> Result<Option<Bytes>> {
        match self.read_value(id, rel)? {
            None => Ok(None),
            Some(value) => Ok(Some(value.into_bytes()?)),
        }
    }

    /// Reads a file of the key: in memory when small, as an open file when large.
    pub fn read_value(&self, id: &KeyId, rel: &str) -> Result<Option<Value>> {
        let path = match self.locate(id) {
            Location::Gone => return Ok(None),
            Location::Staged(dir) => dir.join(rel),
            Location::Live(edits) => match edits.and_then(|e| e.get(rel)) {
                Some(None) => return Ok(None),
                Some(Some(Content::Bytes(b))) => return Ok(Some(Value::Bytes(b.clone()))),
                Some(Some(Content::Spilled(arg))) => arg.path().to_path_buf(),
                None => return self.read_live(id, rel),
            },
        };
        self.disk()?;
        Ok(open_value(&path)?)
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
        let path = match self.locate(id) {
            Location::Gone => return Ok(None),
            Location::Staged(dir) => dir.join(rel),
            Location::Live(edits) => match edits.and_then(|e| e.get(rel)) {
                Some(None) => return Ok(None),
                Some(Some(Content::Bytes(b))) => return Ok(Some(Content::Bytes(b.clone()))),
                Some(Some(Content::Spilled(arg))) => arg.path().to_path_buf(),
                None => match self.store.cache.get(id, rel) {
                    Some(hit) => return Ok(hit.map(Content::Bytes)),
                    None => self.store.root.join(&id.dir).join(rel),
                },
            },
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
        let path = match self.locate(id) {
            Location::Gone => return Ok(false),
            Location::Staged(dir) => dir.join(rel),
            Location::Live(edits) => match edits.and_then(|e| e.get(rel)) {
                Some(content) => return Ok(content.is_some()),
                None => match self.store.cache.get(id, rel) {
                    Some(hit) => return Ok(hit.is_some()),
                    None => self.store.root.join(&id.dir).join(rel),
                },
            },
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
        let staged_dir = match self.locate(id) {
            Location::Gone => {
                return Err(Error::Io(io::Error::other(
                    "write to a key that is not there",
                )))
            }
            Location::Staged(dir) => dir.to_path_buf(),
            Location::Live(_) => {
                self.edits(id).insert(rel.to_string(), Some(content));
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
        match self.locate(id) {
            Location::Gone => Ok(()),
            Location::Staged(dir) => match fs::remove_file(dir.join(rel)) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e.into()),
                _ => Ok(()),
            },
            Location::Live(_) => {
                self.edits(id).insert(rel.to_string(), None);
                Ok(())
            }
        }
    }

    fn edits(&mut self, id: &KeyId) -> &mut BTreeMap<String, Option<Content>> {
        match self
            .keys
            .entry(id.clone())
            .or_insert_with(|| KeyChange::Edit(BTreeMap::new()))
        {
            KeyChange::Edit(files) => files,
            KeyChange::Replace(_) => unreachable!("located as live"),
        }
    }

    /// The file names in a directory of the key (`fields`, `members`, ...), with this batch's
    /// own changes applied. Unordered.
    pub fn list(&self, id: &KeyId, dir: &str) -> Result<Vec<String>> {
        let (path, edits) = match self.locate(id) {
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
                .filter_map(|(rel, c)| rel.strip_prefix(&prefix).map(|name| (name, c.is_some())))
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

    /// Makes every change of the batch visible, then syncs as the fsync policy asks.
    pub fn commit(mut self) -> Result<()> {
        let store = self.store;
        let always = store.fsync == Fsync::Always;
        for db in std::mem::take(&mut self.flushed) {
            store.cache.forget_db(db);
            store.flush_db_dir(db)?;
        }
        for (id, change) in std::mem::take(&mut self.keys) {
            let live = store.root.join(&id.dir);
            match change {
                KeyChange::Edit(files) => {
                    let mut touched_dirs = BTreeSet::new();
                    for (rel, content) in files {
                        let dest = live.join(&rel);
                        match apply_file(store, &dest, content, always) {
                            Ok(change) => store.cache.changed(&id, &rel, change),
                            Err(e) => {
                                store.cache.forget(&id);
                                return Err(e.into());
                            }
                        }
                        touched_dirs
                            .insert(dest.parent().map(Path::to_path_buf).unwrap_or_default());
                    }
                    if always {
                        for dir in touched_dirs {
                            sync_dir(&dir)?;
                        }
                    }
                }
                KeyChange::Replace(Some(staged)) => {
                    store.cache.forget(&id);
                    if always {
                        sync_tree(&staged)?;
                    }
                    install_dir(&staged, &live, store)?;
                    if always {
                        sync_dir(live.parent().expect("keys live in slot directories"))?;
                    }
                }
                KeyChange::Replace(None) => {
                    store.cache.forget(&id);
                    store.trash.discard(&live)?;
                    if always {
                        sync_dir(live.parent().expect("keys live in slot directories"))?;
                    }
                }
            }
        }
        Ok(())
    }
}

impl Drop for Batch<'_> {
    fn drop(&mut self) {
        for (_, change) in std::mem::take(&mut self.keys) {
            self.discard(change);
        }
    }
}

/// Makes one file change visible; returns what the cache should learn of it.
fn apply_file(
    store: &Store,
    dest: &Path,
    content: Option<Content>,
    always: bool,
) -> io::Result<Change> {
    Ok(match content {
        Some(Content::Bytes(b)) => {
            let staged = store.staging.write(&b, always)?;
            store.staging.install(&staged, dest)?;
            Change::Written(b)
        }
        Some(Content::Spilled(arg)) => {
            if always {
                File::open(arg.path())?.sync_data()?;
            }
            arg.path.persist(dest).map_err(|e| e.error)?;
            Change::Large
        }
        None => {
            match fs::remove_file(dest) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
            Change::Removed
        }
    })
}

/// Opens a file as a [`Value`]; None when it does not exist.
fn open_value(path: &Path) -> io::Result<Option<Value>> {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let len = file.metadata()?.len();
    if len > SMALL_FILE {
        return Ok(Some(Value::File { file, len }));
    }
    let mut buf = Vec::with_capacity(len as usize);
    file.read_to_end(&mut buf)?;
    Ok(Some(Value::Bytes(buf.into())))
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

/// fsyncs every file and directory of a staged tree (for `--fsync always`).
fn sync_tree(dir: &Path) -> io::Result<()> {
    for entry in walkdir::WalkDir::new(dir).contents_first(true) {
        let entry = entry.map_err(io::Error::other)?;
        File::open(entry.path())?.sync_all()?;
    }
    Ok(())
}
