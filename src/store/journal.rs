//! The journal: what makes a commit all-or-nothing across a crash.
//!
//! A commit first prepares everything it will make visible (new files and key directories,
//! staged in `tmp/`), then appends a record of its steps to a file of `journal/`, then
//! applies the steps, and last appends a mark saying that the record is done. With
//! `--fsync always` one sync of the filesystem, shared by the commits that append meanwhile
//! (group commit), makes the record and its staged content durable before any step is
//! applied; the mark waits for the next sync, which makes the applied steps durable too.
//!
//! Start-up redoes the records that have no mark, in order, before `tmp/` is emptied (the
//! old `tmp/` is kept aside as `recovering/` meanwhile). Every step can be applied again: a
//! staged file or directory is moved only while it is still the inode the record names,
//! a database is flushed or swapped only while its directory is the one the record saw, and
//! the other steps (byte ranges, removals, expiry markers) give the same result twice. Only
//! the last unmarked record of each key (or database) is redone: a later record on the same
//! key began after the earlier one was applied in full, as it waited for the key's lock, and
//! redoing the earlier one could undo it (see [`still_to_redo`]).
//!
//! A transaction (MULTI/EXEC, a script) commits each command on its own, as the next command
//! reads what the previous one wrote; its records carry the transaction's number, and what
//! their steps replace or remove is kept as `undo/<transaction>.<record>.<step>` instead
//! of going to the trash. Its end is a mark of its own, after which its records are done.
//! Start-up undoes, last step first, the records of a transaction without an end mark: so a
//! transaction is all or nothing across a crash too.
//!
//! A file of `journal/` is a sequence of frames: `u32 length, u32 CRC-32, payload`, little
//! endian; a torn frame at the end (a crash while appending) ends the file. A payload is a
//! record (`1, u64 sequence, u32 step count, steps`), a record of a transaction
//! (`3, u64 sequence, u64 transaction, u32 step count, steps`), a done mark (`2, u64
//! sequence`) or a transaction's end mark (`4, u64 transaction`). A new file is started past
//! 16 MiB; an old one is deleted once its records are all done.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use parking_lot::{Condvar, Mutex};

use super::batch::{Apply, Content, KeyId};
use crate::protocol::SpilledArg;

/// The journal's directory, in the data directory.
pub const DIR: &str = "journal";
/// Where start-up keeps the `tmp/` of the crashed run while it redoes unfinished records.
pub const RECOVERING: &str = "recovering";
/// Where transactions keep what their steps replace (see the module's documentation).
pub const UNDO: &str = "undo";

/// A journal file is closed past this size.
const FILE_LIMIT: u64 = 16 << 20;
/// Space reserved past the limit, for the marks of the records in flight.
const RESERVE: u64 = 1 << 20;
const RECORD: u8 = 1;
const DONE: u8 = 2;
const TRANSACTION_RECORD: u8 = 3;
const TRANSACTION_END: u8 = 4;

/// One change a commit makes visible. Paths are absolute; a record stores them relative to
/// the data directory.
#[derive(Debug)]
pub enum Step {
    /// Empties database `db`, while its directory is inode `ino`.
    FlushDb { db: usize, ino: u64 },
    /// Exchanges the directories of two databases, while `a`'s is inode `ino`.
    SwapDbs { a: usize, b: usize, ino: u64 },
    /// Creates (`set`) or removes the expiry marker of a key.
    Marker { key: KeyId, set: bool },
    /// Moves key `from`'s directory (inode `ino`) to key `to`, replacing what `to` held.
    MoveKey { from: KeyId, to: KeyId, ino: u64 },
    /// Puts the staged file or key directory `staged` (inode `ino`) at `dest`, replacing
    /// what is there.
    Install {
        staged: Staged,
        ino: u64,
        dest: PathBuf,
        dir: bool,
    },
    /// Writes byte ranges into the file at `dest` (see `Batch::write_range`).
    Patch {
        dest: PathBuf,
        ranges: Vec<(u64, Content)>,
        apply: Apply,
    },
    /// Removes the file at `path`, or the key directory (to the trash) when `dir`.
    Remove { path: PathBuf, dir: bool },
}

/// What an [`Step::Install`] moves into place.
#[derive(Debug)]
pub enum Staged {
    /// A file or directory the batch made in `tmp/`.
    Path(PathBuf),
    /// A large request argument, spilled to `tmp/` (deleted if never installed).
    Spilled(SpilledArg),
}

impl Staged {
    pub fn path(&self) -> &Path {
        match self {
            Staged::Path(p) => p,
            Staged::Spilled(arg) => arg.path(),
        }
    }
}

/// The inode of `path`, not following a symbolic link.
pub fn inode(path: &Path) -> io::Result<u64> {
    Ok(fs::symlink_metadata(path)?.ino())
}

/// Whether `path` is still inode `ino`.
pub fn is_inode(path: &Path, ino: u64) -> io::Result<bool> {
    match fs::symlink_metadata(path) {
        Ok(meta) => Ok(meta.ino() == ino),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// The journal of an open data directory.
pub struct Journal {
    dir: PathBuf,
    state: Mutex<State>,
    flushed: Condvar,
}

struct State {
    file: Arc<File>,
    number: u64,
    len: u64,
    next_seq: u64,
    /// Records appended / known to be on stable storage (group commit).
    appended: u64,
    synced: u64,
    syncing: bool,
    /// Records applied whose changes are not known to be on stable storage yet (`--fsync
    /// always`): marked done after the next sync, which covers them.
    applied: Vec<u64>,
    /// Per journal file, its records not done yet.
    unfinished: BTreeMap<u64, usize>,
    /// The file each unfinished record is in.
    record_file: HashMap<u64, u64>,
    /// The records of each open transaction, marked done at its end.
    transactions: HashMap<u64, Vec<u64>>,
    /// Transactions whose end mark could not be written (a full disk), with their records: no
    /// record is appended before their marks are, as a start-up would undo them after it.
    unended: Vec<(u64, Vec<u64>)>,
}

/// A record appended and not done yet: [`Journal::applied`] takes it back.
#[must_use]
pub struct Ticket {
    seq: u64,
    /// A record of a transaction is done at the transaction's end, not when applied.
    in_transaction: bool,
}

impl Ticket {
    pub fn seq(&self) -> u64 {
        self.seq
    }
}

/// What start-up must do with the records a crash left unfinished.
#[derive(Default)]
pub struct Unfinished {
    /// Records to redo, in order.
    pub redo: Vec<Vec<Step>>,
    /// Transactions without an end mark, each with its records (sequence, steps) in order,
    /// to undo last first.
    pub undo: Vec<(u64, Vec<Record>)>,
}

/// A record read back: its sequence number and steps.
pub type Record = (u64, Vec<Step>);

/// Journal files by number.
type Files = Vec<(u64, PathBuf)>;

impl Unfinished {
    pub fn len(&self) -> usize {
        self.redo.len()
            + self
                .undo
                .iter()
                .map(|(_, records)| records.len())
                .sum::<usize>()
    }
}

/// Where the steps of record `seq` of transaction `transaction` keep what they replace: step
/// `n` at [`kept_by_step`]`(kept, n)`. One flat directory: no directory is made or deleted
/// per transaction.
pub fn kept(root: &Path, transaction: u64, seq: u64) -> PathBuf {
    root.join(UNDO).join(format!("{transaction}.{seq}"))
}

/// Where step `n` of a record keeps what it replaces (see [`kept`]).
pub fn kept_by_step(kept: &Path, n: usize) -> PathBuf {
    with_suffix(kept, &n.to_string())
}

/// `path` with `.suffix` appended to its last component.
pub fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(suffix);
    name.into()
}

impl Journal {
    /// Opens `root/journal`: returns the journal, writing to a new file, and the steps of the
    /// records that the files there hold without a mark, in order, to be redone. Paths under
    /// `tmp/` in them are read as under `recovering/`.
    pub fn open(root: &Path) -> io::Result<(Journal, Unfinished, Vec<PathBuf>)> {
        let dir = root.join(DIR);
        fs::create_dir_all(&dir)?;
        let (old, unfinished, next_seq) = read(root)?;
        let number = old.last().map_or(0, |(n, _)| n + 1);
        let file = create_file(&dir, number)?;
        let journal = Journal {
            dir,
            state: Mutex::new(State {
                file: Arc::new(file),
                number,
                len: 0,
                next_seq,
                appended: 0,
                synced: 0,
                syncing: false,
                applied: Vec::new(),
                unfinished: BTreeMap::new(),
                record_file: HashMap::new(),
                transactions: HashMap::new(),
                unended: Vec::new(),
            }),
            flushed: Condvar::new(),
        };
        Ok((
            journal,
            unfinished,
            old.into_iter().map(|(_, p)| p).collect(),
        ))
    }

    /// Appends a record of `steps`; with `durable`, returns once the record, the content it
    /// names and every change applied before it are on stable storage: one sync of the
    /// filesystem, shared by every commit that appended meanwhile (group commit).
    /// A record of a transaction is marked done at the transaction's end.
    pub fn append(
        &self,
        steps: &[Step],
        root: &Path,
        durable: bool,
        transaction: Option<u64>,
    ) -> io::Result<Ticket> {
        // Encoded outside the lock; only the sequence number is filled in under it.
        let mut payload = vec![RECORD];
        payload.extend_from_slice(&[0; 8]);
        if let Some(transaction) = transaction {
            payload[0] = TRANSACTION_RECORD;
            put_u64(&mut payload, transaction);
        }
        payload.extend_from_slice(&(steps.len() as u32).to_le_bytes());
        for step in steps {
            encode_step(step, root, &mut payload)?;
        }
        let mut state = self.state.lock();
        self.end_unended(&mut state, durable)?;
        let seq = state.next_seq;
        payload[1..9].copy_from_slice(&seq.to_le_bytes());
        self.write_frame(&mut state, &payload)?;
        state.next_seq += 1;
        state.appended = seq + 1;
        let number = state.number;
        *state.unfinished.entry(number).or_default() += 1;
        state.record_file.insert(seq, number);
        if let Some(transaction) = transaction {
            state.transactions.entry(transaction).or_default().push(seq);
        }
        if durable {
            self.sync(state, seq + 1)?;
        }
        Ok(Ticket {
            seq,
            in_transaction: transaction.is_some(),
        })
    }

    /// The record's steps are applied: it is marked done now, or with `after_sync` once they
    /// are on stable storage, after the next sync (see [`Journal::append`]; until then a crash
    /// may have lost some of them, and start-up must find the record to redo it). A record of
    /// a transaction waits for the transaction's end.
    pub fn applied(&self, ticket: Ticket, after_sync: bool) -> io::Result<()> {
        if ticket.in_transaction {
            return Ok(());
        }
        let mut state = self.state.lock();
        match after_sync {
            true => state.applied.push(ticket.seq),
            false => self.mark(&mut state, &[ticket.seq])?,
        }
        Ok(())
    }

    /// A number for a new transaction (nothing is written before its first record).
    pub fn begin(&self) -> u64 {
        let mut state = self.state.lock();
        state.next_seq += 1;
        state.next_seq - 1
    }

    /// Ends a transaction: its end mark is appended (with `durable`, on stable storage before
    /// this returns, with everything it applied), then its records are marked done. Nothing
    /// is written for a transaction without records.
    pub fn end(&self, transaction: u64, durable: bool) -> io::Result<()> {
        let mut state = self.state.lock();
        let Some(seqs) = state.transactions.remove(&transaction) else {
            return Ok(());
        };
        state.unended.push((transaction, seqs));
        self.end_unended(&mut state, durable)?;
        if durable {
            let upto = state.appended;
            self.sync(state, upto)?;
        }
        Ok(())
    }

    /// Whether a transaction still waits for its end mark (see [`Journal::end`]).
    pub fn has_unended(&self) -> bool {
        !self.state.lock().unended.is_empty()
    }

    /// Appends the end marks of the transactions waiting for one, then marks their records
    /// done (with `after_sync`, after the next sync, as [`Journal::applied`]).
    fn end_unended(&self, state: &mut State, after_sync: bool) -> io::Result<()> {
        while let Some((transaction, seqs)) = state.unended.first().cloned() {
            let mut payload = vec![TRANSACTION_END];
            put_u64(&mut payload, transaction);
            self.write_frame(state, &payload)?;
            state.unended.remove(0);
            // The mark takes a sequence number, so that a group sync knows to cover it.
            state.next_seq += 1;
            state.appended = state.next_seq;
            match after_sync {
                true => state.applied.extend(seqs),
                false => self.mark(state, &seqs)?,
            }
        }
        Ok(())
    }

    /// Writes the done marks of `seqs` (in one write: a group sync marks many), deleting the
    /// closed files left without unfinished records.
    fn mark(&self, state: &mut State, seqs: &[u64]) -> io::Result<()> {
        if seqs.is_empty() {
            return Ok(());
        }
        let mut frames = Vec::with_capacity(seqs.len() * 17);
        for &seq in seqs {
            let mut payload = [DONE; 9];
            payload[1..].copy_from_slice(&seq.to_le_bytes());
            push_frame(&mut frames, &payload);
        }
        self.write_frames(state, &frames)?;
        for &seq in seqs {
            let Some(number) = state.record_file.remove(&seq) else {
                continue;
            };
            let left = state
                .unfinished
                .get_mut(&number)
                .expect("a file with records");
            *left -= 1;
            if *left == 0 && number != state.number {
                state.unfinished.remove(&number);
                fs::remove_file(self.dir.join(number.to_string()))?;
            }
        }
        Ok(())
    }

    /// At a clean stop: marks the records waiting for a sync done (after one), and deletes the
    /// journal file when every record in it is done, so that a stopped directory with a
    /// journal file is one that a crash left.
    pub fn close(&self) {
        let mut state = self.state.lock();
        if let Err(e) = self.end_unended(&mut state, true) {
            tracing::warn!("could not end transactions in the journal: {e}");
        }
        let applied = std::mem::take(&mut state.applied);
        let synced = match applied.is_empty() {
            true => Ok(()),
            false => rustix::fs::syncfs(&*state.file).map_err(io::Error::from),
        };
        if let Err(e) = synced.and_then(|()| self.mark(&mut state, &applied)) {
            tracing::warn!("could not mark journal records done: {e}");
        }
        if state.unfinished.values().all(|&left| left == 0) {
            let _ = fs::remove_file(self.dir.join(state.number.to_string()));
        }
    }

    /// Deletes the journal files of a previous run, once their records are redone.
    pub fn forget(&self, files: &[PathBuf]) -> io::Result<()> {
        for file in files {
            fs::remove_file(file)?;
        }
        Ok(())
    }

    /// Appends one frame holding `payload`.
    fn write_frame(&self, state: &mut State, payload: &[u8]) -> io::Result<()> {
        let mut frame = Vec::with_capacity(payload.len() + 8);
        push_frame(&mut frame, payload);
        self.write_frames(state, &frame)
    }

    /// Appends whole frames, first starting a new file if the current one is full.
    fn write_frames(&self, state: &mut State, frames: &[u8]) -> io::Result<()> {
        if state.len >= FILE_LIMIT {
            // Records in the closed file stay covered: it is flushed first.
            state.file.sync_data()?;
            state.synced = state.appended;
            let number = state.number + 1;
            let file = create_file(&self.dir, number)?;
            let closed = std::mem::replace(&mut state.number, number);
            state.file = Arc::new(file);
            state.len = 0;
            if state.unfinished.get(&closed).is_none_or(|&left| left == 0) {
                state.unfinished.remove(&closed);
                fs::remove_file(self.dir.join(closed.to_string()))?;
            }
        }
        (&*state.file).write_all(frames)?;
        state.len += frames.len() as u64;
        Ok(())
    }

    /// Waits until the records before `upto` are on stable storage: one caller syncs the
    /// filesystem for all those waiting (group commit), then marks done the records that were
    /// applied before the sync began.
    fn sync<'a>(
        &'a self,
        mut state: parking_lot::MutexGuard<'a, State>,
        upto: u64,
    ) -> io::Result<()> {
        loop {
            if state.synced >= upto {
                return Ok(());
            }
            if state.syncing {
                self.flushed.wait(&mut state);
                continue;
            }
            state.syncing = true;
            let (file, target) = (state.file.clone(), state.appended);
            let applied = std::mem::take(&mut state.applied);
            drop(state);
            let result = rustix::fs::syncfs(&*file).map_err(io::Error::from);
            state = self.state.lock();
            state.syncing = false;
            let result = result.and_then(|()| {
                state.synced = state.synced.max(target);
                self.mark(&mut state, &applied)
            });
            if result.is_err() {
                state.applied.extend(applied);
            }
            self.flushed.notify_all();
            result?;
        }
    }
}

/// Appends a frame holding `payload` to `out`: `u32 length, u32 CRC-32, payload`.
fn push_frame(out: &mut Vec<u8>, payload: &[u8]) {
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    out.extend_from_slice(payload);
}

/// How many records the journal of the (stopped) data directory `root` holds unfinished:
/// a directory in that state must be opened by a server, which redoes them, before it is
/// copied.
pub fn unfinished(root: &Path) -> io::Result<usize> {
    Ok(read(root)?.1.len())
}

/// The frames of a data directory's journal files, as read.
#[derive(Default)]
struct Frames {
    /// Records without a done mark: sequence -> (transaction, steps).
    records: BTreeMap<u64, (Option<u64>, Vec<Step>)>,
    /// Transactions with an end mark.
    ended: HashSet<u64>,
    /// The highest sequence or transaction number seen.
    last: Option<u64>,
}

/// The journal files of `root`, in order, what their unfinished records ask for, and the
/// first sequence number free.
fn read(root: &Path) -> io::Result<(Files, Unfinished, u64)> {
    let mut files: Files = Vec::new();
    let entries = match fs::read_dir(root.join(DIR)) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Default::default()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        if let Some(n) = entry.file_name().to_str().and_then(|n| n.parse().ok()) {
            files.push((n, entry.path()));
        }
    }
    files.sort();
    let mut frames = Frames::default();
    for (_, path) in &files {
        read_file(path, root, &mut frames)?;
    }
    let next_seq = frames.last.map_or(0, |last| last + 1);
    let mut redo = BTreeMap::new();
    let mut undo: BTreeMap<u64, Vec<Record>> = BTreeMap::new();
    for (seq, (transaction, steps)) in frames.records {
        match transaction.filter(|t| !frames.ended.contains(t)) {
            Some(open) => undo.entry(open).or_default().push((seq, steps)),
            None => {
                redo.insert(seq, steps);
            }
        }
    }
    let redo = still_to_redo(redo, root).into_values().collect();
    let undo = undo.into_iter().collect();
    Ok((files, Unfinished { redo, undo }, next_seq))
}

/// The unfinished records that may not have been applied in full: those that no later
/// unfinished record touches. A later record on the same key (or database) began after this
/// one was applied, as it waited for the key's lock; the record only lacks its mark because
/// its changes were waiting for a sync (`--fsync always`). Redoing it could undo what the later
/// one did, so it is dropped.
fn still_to_redo(records: BTreeMap<u64, Vec<Step>>, root: &Path) -> BTreeMap<u64, Vec<Step>> {
    let mut later = Touched::default();
    let mut kept = BTreeMap::new();
    for (seq, steps) in records.into_iter().rev() {
        let touched = Touched::by(&steps, root);
        if !touched.meets(&later) {
            kept.insert(seq, steps);
        }
        later.add(touched);
    }
    kept
}

/// The keys (by directory) and whole databases a set of steps touches.
#[derive(Default)]
struct Touched {
    keys: HashSet<PathBuf>,
    /// Databases with any key touched.
    dbs: HashSet<usize>,
    /// Databases flushed or swapped.
    whole_dbs: HashSet<usize>,
}

impl Touched {
    fn by(steps: &[Step], root: &Path) -> Touched {
        let mut touched = Touched::default();
        let mut key_at = |path: &Path| {
            let rel = path.strip_prefix(root).unwrap_or(path);
            let key: PathBuf = rel.components().take(3).collect();
            if let Some(db) = key.iter().next().and_then(|d| d.to_str()?.parse().ok()) {
                touched.dbs.insert(db);
            }
            touched.keys.insert(key);
        };
        for step in steps {
            match step {
                Step::FlushDb { db, .. } => {
                    touched.whole_dbs.insert(*db);
                }
                Step::SwapDbs { a, b, .. } => touched.whole_dbs.extend([*a, *b]),
                Step::Marker { key, .. } => key_at(key.dir()),
                Step::MoveKey { from, to, .. } => {
                    key_at(from.dir());
                    key_at(to.dir());
                }
                Step::Install { dest: path, .. }
                | Step::Patch { dest: path, .. }
                | Step::Remove { path, .. } => key_at(path),
            }
        }
        touched
    }

    fn meets(&self, other: &Touched) -> bool {
        self.keys.iter().any(|k| other.keys.contains(k))
            || self.dbs.iter().any(|db| other.whole_dbs.contains(db))
            || self.whole_dbs.iter().any(|db| other.dbs.contains(db))
            || self.whole_dbs.iter().any(|db| other.whole_dbs.contains(db))
    }

    fn add(&mut self, other: Touched) {
        self.keys.extend(other.keys);
        self.dbs.extend(other.dbs);
        self.whole_dbs.extend(other.whole_dbs);
    }
}

/// A new journal file, its blocks reserved up front: on a full disk, a record may fail to be
/// appended (and its commit with it, changing nothing), but rarely a done mark.
fn create_file(dir: &Path, number: u64) -> io::Result<File> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(dir.join(number.to_string()))?;
    let keep_size = rustix::fs::FallocateFlags::KEEP_SIZE;
    if let Err(e) = rustix::fs::fallocate(&file, keep_size, 0, FILE_LIMIT + RESERVE) {
        tracing::debug!("could not reserve journal space: {e}");
    }
    super::files::sync_dir(dir)?;
    Ok(file)
}

/// Reads the frames of one journal file into `frames`, stopping at a torn frame.
fn read_file(path: &Path, root: &Path, frames: &mut Frames) -> io::Result<()> {
    let mut data = Vec::new();
    File::open(path)?.read_to_end(&mut data)?;
    let mut at = 0;
    while data.len() - at >= 8 {
        let len = u32::from_le_bytes(data[at..at + 4].try_into().expect("4 bytes")) as usize;
        let crc = u32::from_le_bytes(data[at + 4..at + 8].try_into().expect("4 bytes"));
        let Some(payload) = data.get(at + 8..at + 8 + len) else {
            break;
        };
        if crc32fast::hash(payload) != crc {
            break;
        }
        at += 8 + len;
        let mut r = Reader { data: payload };
        let kind = r.u8()?;
        let number = r.u64()?;
        frames.last = frames.last.max(Some(number));
        match kind {
            RECORD | TRANSACTION_RECORD => {
                let transaction = match kind {
                    TRANSACTION_RECORD => Some(r.u64()?),
                    _ => None,
                };
                let count = r.u32()?;
                let steps = (0..count)
                    .map(|_| decode_step(&mut r, root))
                    .collect::<io::Result<Vec<_>>>()?;
                frames.records.insert(number, (transaction, steps));
            }
            DONE => {
                frames.records.remove(&number);
            }
            TRANSACTION_END => {
                frames.ended.insert(number);
            }
            other => return Err(corrupt(format!("unknown frame {other}"))),
        }
    }
    Ok(())
}

fn corrupt(why: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("journal: {why}"))
}

// ---- encoding ----

fn put_u64(out: &mut Vec<u8>, n: u64) {
    out.extend_from_slice(&n.to_le_bytes());
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u32).to_le_bytes());
    out.extend_from_slice(b);
}

/// A path inside the data directory, stored relative to it.
fn put_path(out: &mut Vec<u8>, path: &Path, root: &Path) -> io::Result<()> {
    let rel = path
        .strip_prefix(root)
        .map_err(|_| corrupt(format!("{} is outside the data directory", path.display())))?;
    put_bytes(out, rel.as_os_str().as_bytes());
    Ok(())
}

fn put_key(out: &mut Vec<u8>, key: &KeyId) {
    put_u64(out, key.db as u64);
    put_bytes(out, &key.key);
}

fn encode_step(step: &Step, root: &Path, out: &mut Vec<u8>) -> io::Result<()> {
    match step {
        Step::FlushDb { db, ino } => {
            out.push(1);
            put_u64(out, *db as u64);
            put_u64(out, *ino);
        }
        Step::SwapDbs { a, b, ino } => {
            out.push(2);
            put_u64(out, *a as u64);
            put_u64(out, *b as u64);
            put_u64(out, *ino);
        }
        Step::Marker { key, set } => {
            out.push(3);
            put_key(out, key);
            out.push(*set as u8);
        }
        Step::MoveKey { from, to, ino } => {
            out.push(4);
            put_key(out, from);
            put_key(out, to);
            put_u64(out, *ino);
        }
        Step::Install {
            staged,
            ino,
            dest,
            dir,
        } => {
            out.push(5);
            out.push(matches!(staged, Staged::Spilled(_)) as u8);
            put_path(out, staged.path(), root)?;
            put_u64(out, *ino);
            put_path(out, dest, root)?;
            out.push(*dir as u8);
        }
        Step::Patch {
            dest,
            ranges,
            apply,
        } => {
            out.push(6);
            put_path(out, dest, root)?;
            out.push((*apply == Apply::InPlace) as u8);
            out.extend_from_slice(&(ranges.len() as u32).to_le_bytes());
            for (offset, content) in ranges {
                put_u64(out, *offset);
                match content {
                    Content::Bytes(b) => {
                        out.push(0);
                        put_bytes(out, b);
                    }
                    Content::Spilled(arg) => {
                        out.push(1);
                        put_path(out, arg.path(), root)?;
                    }
                }
            }
        }
        Step::Remove { path, dir } => {
            out.push(7);
            put_path(out, path, root)?;
            out.push(*dir as u8);
        }
    }
    Ok(())
}

struct Reader<'a> {
    data: &'a [u8],
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> io::Result<&[u8]> {
        if self.data.len() < n {
            return Err(corrupt("a record ends early".into()));
        }
        let (head, rest) = self.data.split_at(n);
        self.data = rest;
        Ok(head)
    }

    fn u8(&mut self) -> io::Result<u8> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> io::Result<u32> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }

    fn u64(&mut self) -> io::Result<u64> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().expect("8 bytes"),
        ))
    }

    fn bytes(&mut self) -> io::Result<Bytes> {
        let len = self.u32()? as usize;
        Ok(Bytes::copy_from_slice(self.take(len)?))
    }

    fn flag(&mut self) -> io::Result<bool> {
        Ok(self.u8()? != 0)
    }

    /// A stored path, made absolute; `tmp/` is read as `recovering/`, where start-up keeps
    /// the crashed run's staged files.
    fn path(&mut self, root: &Path) -> io::Result<PathBuf> {
        let rel = PathBuf::from(std::ffi::OsString::from_vec(self.bytes()?.to_vec()));
        if rel.is_absolute()
            || rel
                .components()
                .any(|c| c == std::path::Component::ParentDir)
        {
            return Err(corrupt(format!("bad path {}", rel.display())));
        }
        Ok(match rel.strip_prefix("tmp") {
            Ok(inside) => root.join(RECOVERING).join(inside),
            Err(_) => root.join(rel),
        })
    }

    fn key(&mut self) -> io::Result<KeyId> {
        let db = self.u64()? as usize;
        Ok(KeyId::new(db, self.bytes()?))
    }
}

/// A spilled argument left by the crashed run (deleted once used, as a live one).
fn spilled(path: PathBuf) -> io::Result<SpilledArg> {
    Ok(SpilledArg {
        path: tempfile::TempPath::try_from_path(path)?,
    })
}

fn decode_step(r: &mut Reader, root: &Path) -> io::Result<Step> {
    Ok(match r.u8()? {
        1 => Step::FlushDb {
            db: r.u64()? as usize,
            ino: r.u64()?,
        },
        2 => Step::SwapDbs {
            a: r.u64()? as usize,
            b: r.u64()? as usize,
            ino: r.u64()?,
        },
        3 => Step::Marker {
            key: r.key()?,
            set: r.flag()?,
        },
        4 => Step::MoveKey {
            from: r.key()?,
            to: r.key()?,
            ino: r.u64()?,
        },
        5 => {
            let is_spilled = r.flag()?;
            let path = r.path(root)?;
            let staged = match is_spilled {
                true => Staged::Spilled(spilled(path)?),
                false => Staged::Path(path),
            };
            Step::Install {
                staged,
                ino: r.u64()?,
                dest: r.path(root)?,
                dir: r.flag()?,
            }
        }
        6 => {
            let dest = r.path(root)?;
            let apply = match r.flag()? {
                true => Apply::InPlace,
                false => Apply::Copy,
            };
            let count = r.u32()?;
            let mut ranges = Vec::new();
            for _ in 0..count {
                let offset = r.u64()?;
                let content = match r.flag()? {
                    false => Content::Bytes(r.bytes()?),
                    true => Content::Spilled(spilled(r.path(root)?)?),
                };
                ranges.push((offset, content));
            }
            Step::Patch {
                dest,
                ranges,
                apply,
            }
        }
        7 => Step::Remove {
            path: r.path(root)?,
            dir: r.flag()?,
        },
        other => return Err(corrupt(format!("unknown step {other}"))),
    })
}
