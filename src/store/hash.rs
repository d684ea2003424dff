//! Hashes: `fields/<field>`, one file per field holding its value; `size` in `type`.

use bytes::Bytes;

use super::batch::{Batch, Content, KeyId};
use super::entries;
use super::meta::{Meta, Type};
use crate::error::Result;

const FIELDS: &str = "fields";

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
    let mut meta = match meta(batch, id)? {
        Some(meta) => meta,
        None => {
            let meta = Meta::new(Type::Hash);
            batch.create(id, &meta)?;
            meta
        }
    };
    let mut added = 0;
    for (field, value) in pairs {
        let exists = entries::exists(batch, id, FIELDS, &field)?;
        if exists && only_new {
            continue;
        }
        entries::put(batch, id, FIELDS, &field, value)?;
        added += u64::from(!exists);
    }
    if added > 0 {
        meta.size += added;
        batch.set_meta(id, &meta)?;
    }
    Ok(added)
}

/// Deletes fields; the hash goes away with its last field. Returns how many were there.
pub fn delete(batch: &mut Batch, id: &KeyId, fields: &[Bytes]) -> Result<u64> {
    let Some(mut meta) = meta(batch, id)? else {
        return Ok(0);
    };
    let mut removed = 0;
    for field in fields {
        if entries::exists(batch, id, FIELDS, field)? {
            entries::remove(batch, id, FIELDS, field)?;
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

pub fn fields(batch: &Batch, id: &KeyId) -> Result<Vec<Bytes>> {
    if meta(batch, id)?.is_none() {
        return Ok(Vec::new());
    }
    entries::names(batch, id, FIELDS)
}

pub fn all(batch: &Batch, id: &KeyId) -> Result<Vec<(Bytes, Bytes)>> {
    if meta(batch, id)?.is_none() {
        return Ok(Vec::new());
    }
    entries::all(batch, id, FIELDS)
}
