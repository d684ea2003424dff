//! Entries: the one-file-per-field (or member) directories of collections.
//!
//! A hash keeps `fields/<name>` (content: the value), a set `members/<name>` (empty), a sorted
//! set `members/<name>` (content: the score). The file is named by the entry's encoded name; an
//! entry whose name had to be digested starts with a header holding the full name
//! (see [`layout::digest_header`]). This module hides that difference and keeps the key's
//! `size` in step with its files.
//!
//! Whole directories are read as streams, never listed into memory first: [`for_each`] hands
//! entries over one at a time, [`scan`] resumes where a cursor left off and [`sample`] picks
//! at random, all through the directory's own readdir cookies ([`super::dirscan`]). A command
//! that has changed files of the directory earlier in its batch (which no single command here
//! does before reading) reads through the batch's listing instead.

use std::collections::HashSet;
use std::ffi::{CStr, CString};
use std::io;

use bytes::Bytes;

use super::batch::{Batch, Content, DirSource, KeyId, Value};
use super::dirscan::EntryDir;
use super::layout::{self, decode_name, encode_name, Decoded, Encoded};
use super::meta::{Meta, Type};
use crate::error::Result;

/// Collections of at most this many entries are sampled by listing them, bigger ones by
/// random seeks. Also the size up to which Redis keeps sets and sorted sets in a listpack,
/// which a scan returns whole.
pub const SMALL: u64 = 128;

fn rel(dir: &str, encoded: &Encoded) -> String {
    format!("{dir}/{}", encoded.file_name())
}

/// The content of an entry; None when absent.
pub fn get(batch: &Batch, id: &KeyId, dir: &str, name: &[u8]) -> Result<Option<Bytes>> {
    let encoded = encode_name(name);
    let Some(content) = batch.read(id, &rel(dir, &encoded))? else {
        return Ok(None);
    };
    if !encoded.is_digest() {
        return Ok(Some(content));
    }
    Ok(layout::split_digest_header(&content)
        .filter(|(stored, _)| *stored == name)
        .map(|(_, payload)| content.slice(content.len() - payload.len()..)))
}

/// The length of an entry's content, without reading it; None when absent.
pub fn content_len(batch: &Batch, id: &KeyId, dir: &str, name: &[u8]) -> Result<Option<u64>> {
    let encoded = encode_name(name);
    if encoded.is_digest() {
        return Ok(get(batch, id, dir, name)?.map(|c| c.len() as u64));
    }
    Ok(batch
        .read_value(id, &rel(dir, &encoded))?
        .map(|value| value.len()))
}

pub fn exists(batch: &Batch, id: &KeyId, dir: &str, name: &[u8]) -> Result<bool> {
    let encoded = encode_name(name);
    if encoded.is_digest() {
        return Ok(get(batch, id, dir, name)?.is_some());
    }
    batch.exists(id, &rel(dir, &encoded))
}

/// Sets an entry's content.
pub fn put(batch: &mut Batch, id: &KeyId, dir: &str, name: &[u8], content: Content) -> Result<()> {
    let encoded = encode_name(name);
    let content = match (&encoded, content) {
        (Encoded::Digest(_), Content::Bytes(payload)) => {
            let mut data = layout::digest_header(name);
            data.extend_from_slice(&payload);
            Content::Bytes(data.into())
        }
        (Encoded::Digest(_), Content::Spilled(arg)) => {
            let mut data = layout::digest_header(name);
            data.extend_from_slice(&arg.read()?);
            Content::Bytes(data.into())
        }
        (Encoded::Plain(_), content) => content,
    };
    batch.write(id, &rel(dir, &encoded), content)
}

pub fn remove(batch: &mut Batch, id: &KeyId, dir: &str, name: &[u8]) -> Result<()> {
    batch.remove(id, &rel(dir, &encode_name(name)))
}

/// Sets entries of a collection of type `kind`, creating the key if needed. Returns how many
/// entries are new. With `only_new`, entries that exist keep their content (HSETNX).
pub fn upsert(
    batch: &mut Batch,
    id: &KeyId,
    kind: Type,
    dir: &str,
    items: impl IntoIterator<Item = (Bytes, Content)>,
    only_new: bool,
) -> Result<u64> {
    let mut meta = match batch.meta_of(id, kind)? {
        Some(meta) => meta,
        None => {
            let meta = Meta::new(kind);
            batch.create(id, &meta)?;
            meta
        }
    };
    let mut added = 0;
    for (name, content) in items {
        let exists = exists(batch, id, dir, &name)?;
        if exists && only_new {
            continue;
        }
        put(batch, id, dir, &name, content)?;
        added += u64::from(!exists);
    }
    if added > 0 {
        meta.size += added;
        batch.set_meta(id, &meta)?;
    }
    Ok(added)
}

/// Removes entries of a collection of type `kind`; the key goes with its last entry. Returns
/// how many were there.
pub fn delete<'n>(
    batch: &mut Batch,
    id: &KeyId,
    kind: Type,
    dir: &str,
    names: impl IntoIterator<Item = &'n Bytes>,
) -> Result<u64> {
    let Some(mut meta) = batch.meta_of(id, kind)? else {
        return Ok(0);
    };
    let mut removed = 0;
    for name in names {
        if exists(batch, id, dir, name)? {
            remove(batch, id, dir, name)?;
            removed += 1;
        }
    }
    if removed > 0 {
        meta.size = meta.size.saturating_sub(removed);
        if meta.size == 0 {
            batch.delete(id);
        } else {
            batch.set_meta(id, &meta)?;
        }
    }
    Ok(removed)
}

/// An entry as read from its directory: its name and, when asked for, its content (a large
/// content stays an open file, to be streamed).
pub struct Element {
    pub name: Bytes,
    pub content: Option<Value>,
}

/// Where a command reads an entry directory from.
enum Source<'a> {
    Disk(EntryDir),
    Listing {
        batch: &'a Batch<'a>,
        id: &'a KeyId,
        dir: &'a str,
    },
}

impl<'a> Source<'a> {
    /// None when the key or the directory is not there.
    fn open(batch: &'a Batch<'a>, id: &'a KeyId, dir: &'a str) -> Result<Option<Source<'a>>> {
        Ok(match batch.dir_source(id, dir)? {
            DirSource::Gone => None,
            DirSource::Disk(path) => EntryDir::open(&path)?.map(Source::Disk),
            DirSource::Edited => Some(Source::Listing { batch, id, dir }),
        })
    }

    /// Calls `visit` with every file name of the directory.
    fn each_file(&mut self, mut visit: impl FnMut(&Self, CString) -> Result<()>) -> Result<()> {
        if let Source::Listing { batch, id, dir } = *self {
            for file in batch.list(id, dir)? {
                if let Ok(file) = CString::new(file) {
                    visit(self, file)?;
                }
            }
            return Ok(());
        }
        while let Some(file) = self.next_on_disk()? {
            visit(self, file)?;
        }
        Ok(())
    }

    fn next_on_disk(&mut self) -> io::Result<Option<CString>> {
        match self {
            Source::Disk(entries) => Ok(entries.next()?.map(|found| found.name)),
            Source::Listing { .. } => Ok(None),
        }
    }

    fn read(&self, file: &CStr) -> Result<Option<Value>> {
        match self {
            Source::Disk(entries) => Ok(entries.read(file)?),
            Source::Listing { batch, id, dir } => {
                let Ok(file) = file.to_str() else {
                    return Ok(None);
                };
                batch.read_value(id, &format!("{dir}/{file}"))
            }
        }
    }

    /// The entry stored in `file`; None for a file that is not an entry (a stray name, a
    /// digest without its header) or that is gone.
    fn element(&self, file: &CStr, with_content: bool) -> Result<Option<Element>> {
        match decode_name(file.to_bytes()) {
            Decoded::Name(raw) => {
                let content = if with_content {
                    match self.read(file)? {
                        Some(value) => Some(value),
                        None => return Ok(None),
                    }
                } else {
                    None
                };
                Ok(Some(Element {
                    name: Bytes::from(raw),
                    content,
                }))
            }
            Decoded::Digest => {
                let Some(value) = self.read(file)? else {
                    return Ok(None);
                };
                let Some((name, content)) = split_digest_value(value)? else {
                    return Ok(None);
                };
                Ok(Some(Element {
                    name,
                    content: with_content.then_some(content),
                }))
            }
            Decoded::Invalid => Ok(None),
        }
    }
}

/// Splits the content of a digested entry (`<length>\n<name>` then its own content) into
/// the name and the content, which stays a file when large.
fn split_digest_value(value: Value) -> io::Result<Option<(Bytes, Value)>> {
    let mut head = [0u8; 24];
    let read = value.read_at(0, &mut head)?;
    let Some(newline) = head[..read].iter().position(|&b| b == b'\n') else {
        return Ok(None);
    };
    let name_len = std::str::from_utf8(&head[..newline])
        .ok()
        .and_then(|digits| digits.parse::<u64>().ok())
        .filter(|&len| newline as u64 + 1 + len <= value.len());
    let Some(name_len) = name_len else {
        return Ok(None);
    };
    let mut name = vec![0; name_len as usize];
    value.read_at(newline as u64 + 1, &mut name)?;
    let start = newline as u64 + 1 + name_len;
    let rest = value.len() - start;
    Ok(Some((Bytes::from(name), value.slice(start, rest)?)))
}

/// Calls `visit` with every entry of the directory, in the directory's order, with its
/// content when `with_content`.
pub fn for_each(
    batch: &Batch,
    id: &KeyId,
    dir: &str,
    with_content: bool,
    visit: impl FnMut(Element) -> Result<()>,
) -> Result<()> {
    match Source::open(batch, id, dir)? {
        Some(mut source) => visit_all(&mut source, with_content, visit),
        None => Ok(()),
    }
}

fn visit_all(
    source: &mut Source,
    with_content: bool,
    mut visit: impl FnMut(Element) -> Result<()>,
) -> Result<()> {
    source.each_file(|source, file| match source.element(&file, with_content)? {
        Some(element) => visit(element),
        None => Ok(()),
    })
}

/// One call of a cursor scan (HSCAN, SSCAN, ZSCAN): calls `visit` with about `count` entries
/// from `cursor` on and returns the cursor of the next call, 0 when the scan is complete; or,
/// for a `whole` scan (of a small collection), every entry and 0. The cursor is a readdir
/// cookie of the directory (see [`super::dirscan`]).
#[allow(clippy::too_many_arguments)]
pub fn scan(
    batch: &Batch,
    id: &KeyId,
    dir: &str,
    whole: bool,
    cursor: u64,
    count: usize,
    with_content: bool,
    mut visit: impl FnMut(Element) -> Result<()>,
) -> Result<u64> {
    let Some(mut source) = Source::open(batch, id, dir)? else {
        return Ok(0);
    };
    let part = match &mut source {
        Source::Disk(entries) if !whole => Some(entries.scan(cursor, count)?),
        _ => None,
    };
    let Some((files, next)) = part else {
        visit_all(&mut source, with_content, visit)?;
        return Ok(0);
    };
    for file in files {
        if let Some(element) = source.element(&file, with_content)? {
            visit(element)?;
        }
    }
    Ok(next)
}

/// `count` entries picked at random from a collection of `size` entries: distinct ones (at
/// most `size` then), or independent picks that may repeat. A big collection is sampled by
/// random seeks in its directory, a few entries read per pick; a small one, or a distinct
/// sample of more than a third of a big one, by one pass over the directory that keeps only
/// the chosen entries.
pub fn sample(
    batch: &Batch,
    id: &KeyId,
    dir: &str,
    size: u64,
    count: u64,
    distinct: bool,
    with_content: bool,
) -> Result<Vec<Element>> {
    let Some(mut source) = Source::open(batch, id, dir)? else {
        return Ok(Vec::new());
    };
    let count = if distinct { count.min(size) } else { count };
    let mut files = match &mut source {
        Source::Disk(entries) if size > SMALL && (!distinct || count * 3 <= size) => {
            picked_files(entries, count, distinct)?
        }
        _ => None,
    };
    let files = match files.take() {
        Some(files) => files,
        None => listed_files(&mut source, size, count, distinct)?,
    };
    let mut out = Vec::with_capacity(files.len());
    for file in files {
        if let Some(element) = source.element(&file, with_content)? {
            out.push(element);
        }
    }
    Ok(out)
}

/// `count` files by random seeks; None when the directory cannot be sampled that way (no
/// end position, or far fewer files than its size says).
fn picked_files(
    entries: &mut EntryDir,
    count: u64,
    distinct: bool,
) -> Result<Option<Vec<CString>>> {
    let mut files = Vec::with_capacity(count.min(1 << 16) as usize);
    let mut seen = HashSet::new();
    // A distinct sample of at most a third of the entries needs about 1.2 picks per entry.
    let mut attempts = count.saturating_mul(8).saturating_add(64);
    while (files.len() as u64) < count {
        if attempts == 0 {
            return Ok(None);
        }
        attempts -= 1;
        let Some(file) = entries.pick()? else {
            return Ok(None);
        };
        if !distinct || seen.insert(file.clone()) {
            files.push(file);
        }
    }
    Ok(Some(files))
}

/// `count` files chosen by their positions in one pass over the directory, shuffled.
fn listed_files(
    source: &mut Source,
    size: u64,
    count: u64,
    distinct: bool,
) -> Result<Vec<CString>> {
    let positions = random_positions(size, count, distinct);
    let mut files = Vec::with_capacity(positions.len());
    let (mut at, mut next) = (0u64, 0usize);
    source.each_file(|_, file| {
        while positions.get(next) == Some(&at) {
            files.push(file.clone());
            next += 1;
        }
        at += 1;
        Ok(())
    })?;
    fastrand::shuffle(&mut files);
    Ok(files)
}

/// `count` random positions below `size`, sorted: distinct ones (at most `size`), or
/// independent ones that may repeat.
pub fn random_positions(size: u64, count: u64, distinct: bool) -> Vec<u64> {
    if size == 0 {
        return Vec::new();
    }
    let mut positions: Vec<u64> = if distinct {
        // Floyd's algorithm: each position below `size` equally likely, no retries.
        let count = count.min(size);
        let mut chosen = HashSet::with_capacity(count as usize);
        for top in size - count..size {
            let at = fastrand::u64(..=top);
            if !chosen.insert(at) {
                chosen.insert(top);
            }
        }
        chosen.into_iter().collect()
    } else {
        (0..count).map(|_| fastrand::u64(..size)).collect()
    };
    positions.sort_unstable();
    positions
}
