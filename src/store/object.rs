//! What OBJECT reports about a key: the encoding Redis would give its value, its reference
//! count, and its idle time.
//!
//! dredis keeps every value in files, so the encoding is the one Redis would pick for a value
//! of that shape, from Redis's default thresholds, with cheap checks only: a string's bytes
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

/// Redis's built-in defaults (redis.conf's example sets 128 for hashes): the most entries
/// of a listpack hash (`hash-max-listpack-entries`), set and sorted set, the longest name or
/// value in a listpack (`...-max-listpack-value`), the most members of an intset.
const HASH_LISTPACK_ENTRIES: u64 = 512;
const LISTPACK_ENTRIES: u64 = 128;
const LISTPACK_VALUE: usize = 64;
const INTSET_ENTRIES: u64 = 512;
/// The size of one list node (`list-max-listpack-size -2`): a list that fits in one is a
/// listpack.
const LIST_LISTPACK_BYTES: u64 = 8192;

/// Strings up to this length are allocated with their object (`embstr`).
const EMBSTR_MAX: usize = 44;

/// The reference count Redis reports for its shared integers (0 to 9999).
const SHARED_REFCOUNT: i64 = i32::MAX as i64;

/// OBJECT ENCODING: the name of the encoding Redis would use for this value.
pub fn encoding(batch: &Batch, id: &KeyId, meta: &Meta) -> Result<&'static str> {
    Ok(match meta.kind {
        Type::String => match batch.read_value(id, "value")? {
            Some(value) if as_integer(&value).is_some() => "int",
            Some(value) if value.len() > EMBSTR_MAX as u64 => "raw",
            _ => "embstr",
        },
        Type::Hash if meta.size <= HASH_LISTPACK_ENTRIES && small_hash(batch, id)? => "listpack",
        Type::Hash => "hashtable",
        Type::Set => {
            let names = if meta.size <= INTSET_ENTRIES {
                names(batch, id, "members")?
            } else {
                None
            };
            match names {
                Some(names) if names.iter().all(|n| parse_i64(n).is_some()) => "intset",
                Some(names) if meta.size <= LISTPACK_ENTRIES && all_small(&names) => "listpack",
                _ => "hashtable",
            }
        }
        Type::ZSet if meta.size <= LISTPACK_ENTRIES => match names(batch, id, "members")? {
            Some(names) if all_small(&names) => "listpack",
            _ => "skiplist",
        },
        Type::ZSet => "skiplist",
        Type::List if meta.size <= LIST_LISTPACK_BYTES / 2 => {
            let list = List::open(batch, id)?.expect("the key is a list");
            // A listpack's header and end (7 bytes), and about 2 bytes of framing per entry.
            let mut bytes = 7;
            list.range(batch, 0, list.len().saturating_sub(1), |element| {
                bytes += element.len() + 2;
                Ok(())
            })?;
            if bytes <= LIST_LISTPACK_BYTES {
                "listpack"
            } else {
                "quicklist"
            }
        }
        Type::List => "quicklist",
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

fn all_small(names: &[Vec<u8>]) -> bool {
    names.iter().all(|n| n.len() <= LISTPACK_VALUE)
}

/// Whether every field of a hash, and every value, is small enough for a listpack.
fn small_hash(batch: &Batch, id: &KeyId) -> Result<bool> {
    for file in batch.list(id, "fields")? {
        let small_name = match decode_name(file.as_bytes()) {
            Decoded::Name(raw) => raw.len() <= LISTPACK_VALUE,
            Decoded::Digest => false,
            Decoded::Invalid => continue,
        };
        let value = batch.read_value(id, &format!("fields/{file}"))?;
        if !small_name || value.is_some_and(|v| v.len() > LISTPACK_VALUE as u64) {
            return Ok(false);
        }
    }
    Ok(true)
}
