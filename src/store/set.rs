//! Sets: `members/<member>`, one empty file per member; `size` in `type`.

use bytes::Bytes;

use super::batch::{Batch, Content, KeyId};
use super::entries;
use super::meta::{Meta, Type};
use crate::error::Result;

const MEMBERS: &str = "members";

/// The set's metadata; None when missing. WRONGTYPE for other types.
pub fn meta(batch: &Batch, id: &KeyId) -> Result<Option<Meta>> {
    batch.meta_of(id, Type::Set)
}

pub fn len(batch: &Batch, id: &KeyId) -> Result<u64> {
    Ok(meta(batch, id)?.map_or(0, |m| m.size))
}

pub fn contains(batch: &Batch, id: &KeyId, member: &[u8]) -> Result<bool> {
    Ok(meta(batch, id)?.is_some() && entries::exists(batch, id, MEMBERS, member)?)
}

/// Adds members, creating the set if needed. Returns how many were new.
pub fn add(batch: &mut Batch, id: &KeyId, members: &[Bytes]) -> Result<u64> {
    let mut meta = match meta(batch, id)? {
        Some(meta) => meta,
        None => {
            let meta = Meta::new(Type::Set);
            batch.create(id, &meta)?;
            meta
        }
    };
    let mut added = 0;
    for member in members {
        if !entries::exists(batch, id, MEMBERS, member)? {
            entries::put(batch, id, MEMBERS, member, Content::Bytes(Bytes::new()))?;
            added += 1;
        }
    }
    if added > 0 {
        meta.size += added;
        batch.set_meta(id, &meta)?;
    }
    Ok(added)
}

pub fn members(batch: &Batch, id: &KeyId) -> Result<Vec<Bytes>> {
    if meta(batch, id)?.is_none() {
        return Ok(Vec::new());
    }
    entries::names(batch, id, MEMBERS)
}
