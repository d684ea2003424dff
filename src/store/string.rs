//! Strings: `type` plus a `value` file holding the raw bytes, so that ranges are file reads
//! and writes.
//!
//! A value of up to 64 KiB is always written whole, through the batch's atomic file
//! replacement: rewriting it costs little, and its `type` is just `string`. A larger value
//! records its length in `type` (`size <n>`), and APPEND, SETRANGE and SETBIT write only
//! their bytes into its `value` file, in place ([`Apply::InPlace`]). The file may then be
//! longer than the value: readers never look past `size`, and `type` is replaced after the
//! bytes are written, so a crash in the middle of an APPEND leaves the old value, plus a tail
//! that the next write overwrites. Bytes overwritten inside a large value (SETRANGE, SETBIT)
//! are the exception that a crash can tear: see docs/on-disk-format.md.
//!
//! A `type` without `size` (small values, and directories written before sizes were
//! recorded) means the value is the whole file; the first in-place write to such a large
//! value goes through a copy, atomically, and records the size from then on.

use bytes::Bytes;

use super::batch::{Apply, Batch, Content, KeyId, Value};
use super::files::SMALL_FILE;
use super::meta::{Meta, Type};
use crate::error::Result;

const VALUE: &str = "value";

/// How much of a value is held in memory at once when one is built piece by piece.
pub const CHUNK: usize = 64 * 1024;

/// The metadata of a string key; None when missing. WRONGTYPE for other types.
pub fn meta(batch: &Batch, id: &KeyId) -> Result<Option<Meta>> {
    batch.meta_of(id, Type::String)
}

/// The value of a string key; None when missing. WRONGTYPE for other types.
pub fn get(batch: &Batch, id: &KeyId) -> Result<Option<Value>> {
    match meta(batch, id)? {
        Some(meta) => read(batch, id, &meta).map(Some),
        None => Ok(None),
    }
}

/// The value of a string key whose metadata is `meta`: in memory, or an open file to
/// stream or read ranges from.
pub fn read(batch: &Batch, id: &KeyId, meta: &Meta) -> Result<Value> {
    let value = batch
        .read_value(id, VALUE)?
        .unwrap_or(Value::Bytes(Bytes::new()));
    Ok(match meta.length {
        Some(length) => value.slice(0, length)?,
        None => value,
    })
}

/// The length of the value of a string key whose metadata is `meta`.
pub fn len(batch: &Batch, id: &KeyId, meta: &Meta) -> Result<u64> {
    match meta.length {
        Some(length) => Ok(length),
        None => Ok(read(batch, id, meta)?.len()),
    }
}

/// Sets the value and the expiry (`None`: no expiry) of `id`, whatever it held before.
/// An overwrite that keeps the key's metadata replaces just the value file; anything else
/// builds a new key directory and swaps it in whole, so a crash never pairs the new value
/// with the old metadata.
pub fn set(batch: &mut Batch, id: &KeyId, value: Content, expire_at_ms: Option<i64>) -> Result<()> {
    let len = value.len()?;
    let meta = Meta {
        expire_at_ms,
        length: (len > SMALL_FILE).then_some(len),
        ..Meta::new(Type::String)
    };
    if batch.meta(id)?.as_ref() != Some(&meta) {
        batch.create(id, &meta)?;
    }
    batch.write(id, VALUE, value)
}

/// Writes `data` at `offset` of the value of `id` (a string key whose metadata is `meta`, or
/// a missing one, created without expiry), padding with zeros up to `offset`. Keeps the
/// expiry. Returns the new length.
pub fn write_at(
    batch: &mut Batch,
    id: &KeyId,
    meta: Option<Meta>,
    offset: u64,
    data: Content,
) -> Result<u64> {
    let old_len = match &meta {
        Some(meta) => len(batch, id, meta)?,
        None => 0,
    };
    let end = old_len.max(offset + data.len()?);
    let expire_at_ms = meta.as_ref().and_then(|m| m.expire_at_ms);
    if end <= SMALL_FILE {
        let mut bytes = match &meta {
            Some(meta) => read(batch, id, meta)?.into_bytes()?.to_vec(),
            None => Vec::new(),
        };
        bytes.resize(end as usize, 0);
        let data = data.into_bytes()?;
        bytes[offset as usize..][..data.len()].copy_from_slice(&data);
        set(batch, id, Content::Bytes(bytes.into()), expire_at_ms)?;
        return Ok(end);
    }
    let apply = match meta {
        Some(Meta {
            length: Some(_), ..
        }) => Apply::InPlace,
        // The value is the whole file: it gets a size through an atomic copy, once.
        Some(_) => Apply::Copy,
        None => {
            batch.create(id, &Meta::new(Type::String))?;
            Apply::InPlace // a staged file: written at once, invisible until commit
        }
    };
    batch.write_range(id, VALUE, offset, data, apply)?;
    let meta = Meta {
        expire_at_ms,
        length: Some(end),
        ..Meta::new(Type::String)
    };
    batch.set_meta(id, &meta)?;
    Ok(end)
}

/// Makes `id` a string of `len` bytes without expiry, whatever it held, produced by `fill`
/// one piece at a time: `fill(offset, buf)` fills `buf` with the bytes from `offset`. At most
/// [`CHUNK`] bytes are in memory at once.
pub fn build(
    batch: &mut Batch,
    id: &KeyId,
    len: u64,
    mut fill: impl FnMut(u64, &mut [u8]) -> Result<()>,
) -> Result<()> {
    if len <= SMALL_FILE {
        let mut bytes = vec![0; len as usize];
        fill(0, &mut bytes)?;
        return set(batch, id, Content::Bytes(bytes.into()), None);
    }
    let meta = Meta {
        length: Some(len),
        ..Meta::new(Type::String)
    };
    batch.create(id, &meta)?;
    let mut buf = vec![0; CHUNK];
    for offset in (0..len).step_by(CHUNK) {
        let piece = &mut buf[..CHUNK.min((len - offset) as usize)];
        fill(offset, piece)?;
        let data = Content::Bytes(Bytes::copy_from_slice(piece));
        batch.write_range(id, VALUE, offset, data, Apply::InPlace)?;
    }
    Ok(())
}
