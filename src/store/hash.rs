//! Hashes: `fields/<field>`, one file per field holding its value; `size` in `type`.

use bytes::Bytes;

use super::batch::{Batch, Content, KeyId};
use super::entries::{self, Element};
use super::meta::{Meta, Type};
use crate::error::Result;

const FIELDS: &str = "fields";

/// Hashes of at most this many fields are scanned whole, as Redis does with the hashes it
/// keeps in a listpack (`hash-max-listpack-entries`).
const SCANNED_WHOLE: u64 = 512;

/// The hash's metadata; None when missing. WRONGTYPE for other types.
pub fn meta(batch: &Batch, id: &KeyId) -> Result<Option<Meta>> {
    batch.meta_of(id, Type::Hash)
}

pub fn get(batch: &Batch, id: &KeyId, field: &[u8]) -> Result<Option<Bytes>> {
    if meta(batch, id)?.is_none() {
        return Ok(None);
    }
    entries::get(batch, id, FIELDS, field)
}

/// The length of a field's value, without reading it; None when missing.
pub fn value_len(batch: &Batch, id: &KeyId, field: &[u8]) -> Result<Option<u64>> {
    if meta(batch, id)?.is_none() {
        return Ok(None);
    }
    entries::content_len(batch, id, FIELDS, field)
}

pub fn exists(batch: &Batch, id: &KeyId, field: &[u8]) -> Result<bool> {
    Ok(meta(batch, id)?.is_some() && entries::exists(batch, id, FIELDS, field)?)
}

pub fn len(batch: &Batch, id: &KeyId) -> Result<u64> {
    Ok(meta(batch, id)?.map_or(0, |m| m.size))
}

/// Sets fields, creating the hash if needed. Returns how many fields are new.
/// With `only_new`, fields that exist keep their value (HSETNX).
pub fn set(
    batch: &mut Batch,
    id: &KeyId,
    pairs: Vec<(Bytes, Content)>,
    only_new: bool,
) -> Result<u64> {
    entries::upsert(batch, id, Type::Hash, FIELDS, pairs, only_new)
}

/// Deletes fields; the hash goes away with its last field. Returns how many were there.
pub fn delete(batch: &mut Batch, id: &KeyId, fields: &[Bytes]) -> Result<u64> {
    entries::delete(batch, id, Type::Hash, FIELDS, fields)
}

/// Calls `visit` with every field (and its value, when `with_values`); nothing when the
/// hash is missing.
pub fn for_each(
    batch: &Batch,
    id: &KeyId,
    with_values: bool,
    visit: impl FnMut(Element) -> Result<()>,
) -> Result<()> {
    if meta(batch, id)?.is_none() {
        return Ok(());
    }
    entries::for_each(batch, id, FIELDS, with_values, visit)
}

/// One HSCAN call over the hash described by `meta`: fields with their values.
pub fn scan(
    batch: &Batch,
    id: &KeyId,
    meta: &Meta,
    cursor: u64,
    count: usize,
    visit: impl FnMut(Element) -> Result<()>,
) -> Result<u64> {
    let whole = meta.size <= SCANNED_WHOLE;
    entries::scan(batch, id, FIELDS, whole, cursor, count, true, visit)
}

/// Random fields of the hash described by `meta` (see [`entries::sample`]).
pub fn random(
    batch: &Batch,
    id: &KeyId,
    meta: &Meta,
    count: u64,
    distinct: bool,
    with_values: bool,
) -> Result<Vec<Element>> {
    entries::sample(batch, id, FIELDS, meta.size, count, distinct, with_values)
}
