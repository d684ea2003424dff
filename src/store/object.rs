//! What OBJECT reports about a key: the encoding Redis would give its value, its reference
//! count, and its idle time.
//!
//! dredis keeps every value in files, so the encoding is the one Redis would pick for a value
//! of that shape, under the thresholds configured now (`zset-max-listpack-entries`...), with cheap checks only: a string's bytes
//! (read when small), a collection's size, and when that is small, its names (and a hash's
//! value sizes). Redis never converts a big encoding back to a small one when a collection
//! shrinks; dredis answers from the value as it is now.

use std::time::SystemTime;

use super::batch::{Batch, KeyId, Value};
use super::layout::{decode_name, Decoded};
use super::list::List;
use super::meta::{Meta, Type};
use crate::error::Result;
use crate::number::parse_i64;

/// The sizes up to which Redis keeps a collection in a compact encoding: its
/// `*-max-listpack-*` and `set-max-intset-entries` parameters, read at the time of asking.
#[derive(Debug, Clone, Copy)]
pub struct Thresholds {
    /// The most fields of a listpack hash, and the longest field or value.
    pub hash_entries: u64,
    pub hash_value: u64,
    /// The most members of an intset.
    pub intset_entries: u64,
    /// The most members of a listpack set, and the longest member.
    pub set_entries: u64,
    pub set_value: u64,
    /// The most members of a listpack sorted set, and the longest member.
    pub zset_entries: u64,
    pub zset_value: u64,
    /// `list-max-listpack-size`: a list node's limit, in entries when positive, else in
    /// bytes (-1: 4 KiB ... -5: 64 KiB).
    pub list_size: i64,
}

impl Thresholds {
    /// The most bytes and entries of one list node.
    fn list_node(&self) -> (u64, u64) {
        match self.list_size {
            n if n > 0 => (u64::MAX, n as u64),
            n => (4096 << (n.unsigned_abs().clamp(1, 5) - 1), u64::MAX),
        }
    }
}

/// Strings up to this length are allocated with their object (`embstr`).
const EMBSTR_MAX: usize = 44;

/// The reference count Redis reports for its shared integers (0 to 9999).
const SHARED_REFCOUNT: i64 = i32::MAX as i64;

/// OBJECT ENCODING: the name of the encoding Redis would use for this value, given its
/// thresholds.
pub fn encoding(batch: &Batch, id: &KeyId, meta: &Meta, max: &Thresholds) -> Result<&'static str> {
    Ok(match meta.kind {
        Type::String => match batch.read_value(id, "value")? {
            Some(value) if as_integer(&value).is_some() => "int",
            Some(value) if value.len() > EMBSTR_MAX as u64 => "raw",
            _ => "embstr",
        },
        Type::Hash if meta.size <= max.hash_entries && small_hash(batch, id, max.hash_value)? => {
            "listpack"
        }
        Type::Hash => "hashtable",
        Type::Set => {
            let names = if meta.size <= max.intset_entries.max(max.set_entries) {
                names(batch, id, "members")?
            } else {
                None
            };
            // Integers only: an intset, which grows into a hashtable.
            match names {
                Some(names) if names.iter().all(|n| parse_i64(n).is_some()) => match meta.size {
                    n if n <= max.intset_entries => "intset",
                    _ => "hashtable",
                },
                Some(names) if meta.size <= max.set_entries && all_small(&names, max.set_value) => {
                    "listpack"
                }
                _ => "hashtable",
            }
        }
        Type::ZSet if meta.size <= max.zset_entries => match names(batch, id, "members")? {
            Some(names) if all_small(&names, max.zset_value) => "listpack",
            _ => "skiplist",
        },
        Type::ZSet => "skiplist",
        Type::List => {
            let (max_bytes, max_entries) = max.list_node();
            // Each entry takes at least 2 bytes in a listpack.
            if meta.size == 0 || meta.size > max_entries || meta.size * 2 > max_bytes {
                return Ok("quicklist");
            }
            let list = List::open(batch, id)?.expect("the key is a list");
            // A listpack's header and end (7 bytes), and about 2 bytes of framing per entry.
            let mut bytes = 7;
            list.range(batch, 0, list.len().saturating_sub(1), |element| {
                bytes += element.len() + 2;
                Ok(())
            })?;
            if bytes <= max_bytes {
                "listpack"
            } else {
                "quicklist"
            }
        }
    })
}

/// OBJECT REFCOUNT: Redis shares the objects of the integers 0 to 9999; every other value
/// has one reference.
pub fn refcount(batch: &Batch, id: &KeyId, meta: &Meta) -> Result<i64> {
    let shared = meta.kind == Type::String
        && batch
            .read_value(id, "value")?
            .and_then(|v| as_integer(&v))
            .is_some_and(|n| (0..10_000).contains(&n));
    Ok(if shared { SHARED_REFCOUNT } else { 1 })
}

/// OBJECT IDLETIME: seconds since the key was last changed (dredis does not record reads).
pub fn idle_seconds(batch: &Batch, id: &KeyId) -> Result<u64> {
    let modified = batch.modified(id)?.unwrap_or_else(SystemTime::now);
    Ok(SystemTime::now()
        .duration_since(modified)
        .map_or(0, |d| d.as_secs()))
}

/// A string value as Redis would store it in an integer: at most 20 bytes that read as a
/// 64-bit integer exactly (`string2ll`).
fn as_integer(value: &Value) -> Option<i64> {
    match value {
        Value::Bytes(b) if b.len() <= 20 => parse_i64(b),
        _ => None,
    }
}

/// The raw names of a collection's entries; None if one is a digest (a long name).
fn names(batch: &Batch, id: &KeyId, dir: &str) -> Result<Option<Vec<Vec<u8>>>> {
    let mut out = Vec::new();
    for file in batch.list(id, dir)? {
        match decode_name(file.as_bytes()) {
            Decoded::Name(raw) => out.push(raw),
            Decoded::Digest => return Ok(None),
            Decoded::Invalid => {}
        }
    }
    Ok(Some(out))
}

fn all_small(names: &[Vec<u8>], max: u64) -> bool {
    names.iter().all(|n| n.len() as u64 <= max)
}

/// Whether every field of a hash, and every value, is small enough for a listpack.
fn small_hash(batch: &Batch, id: &KeyId, max: u64) -> Result<bool> {
    for file in batch.list(id, "fields")? {
        let small_name = match decode_name(file.as_bytes()) {
            Decoded::Name(raw) => raw.len() as u64 <= max,
            Decoded::Digest => false,
            Decoded::Invalid => continue,
        };
        let value = batch.read_value(id, &format!("fields/{file}"))?;
        if !small_name || value.is_some_and(|v| v.len() > max) {
            return Ok(false);
        }
    }
    Ok(true)
}
