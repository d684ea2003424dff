//! Sets: `members/<member>`, one empty file per member; `size` in `type`.

use bytes::Bytes;

use super::batch::{Batch, Content, KeyId};
use super::entries::{self, Element};
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

/// Adds members, creating the set if needed; those already there are left alone (nothing
/// changes, so WATCH is not triggered). Returns how many were new.
pub fn add(batch: &mut Batch, id: &KeyId, members: &[Bytes]) -> Result<u64> {
    let items = members
        .iter()
        .map(|m| (m.clone(), Content::Bytes(Bytes::new())));
    entries::upsert(batch, id, Type::Set, MEMBERS, items, true)
}

/// Removes members; the set goes away with its last member. Returns how many were there.
pub fn remove<'m>(
    batch: &mut Batch,
    id: &KeyId,
    members: impl IntoIterator<Item = &'m Bytes>,
) -> Result<u64> {
    entries::delete(batch, id, Type::Set, MEMBERS, members)
}

/// Replaces whatever `id` holds by a set of `members` (distinct); none deletes the key.
/// Returns the number of members stored.
pub fn store(batch: &mut Batch, id: &KeyId, members: Vec<Bytes>) -> Result<u64> {
    let size = members.len() as u64;
    if size == 0 {
        batch.delete(id);
        return Ok(0);
    }
    batch.create(
        id,
        &Meta {
            size,
            ..Meta::new(Type::Set)
        },
    )?;
    for member in members {
        entries::put(batch, id, MEMBERS, &member, Content::Bytes(Bytes::new()))?;
    }
    Ok(size)
}

/// Calls `visit` with every member; nothing when the set is missing.
pub fn for_each(
    batch: &Batch,
    id: &KeyId,
    mut visit: impl FnMut(Bytes) -> Result<()>,
) -> Result<()> {
    if meta(batch, id)?.is_none() {
        return Ok(());
    }
    entries::for_each(batch, id, MEMBERS, false, |e| visit(e.name))
}

/// One SSCAN call over the set described by `meta`.
pub fn scan(
    batch: &Batch,
    id: &KeyId,
    meta: &Meta,
    cursor: u64,
    count: usize,
    mut visit: impl FnMut(Bytes) -> Result<()>,
) -> Result<u64> {
    // Small sets are scanned whole, as Redis 7.2 does with those in a listpack.
    let whole = meta.size <= entries::SMALL;
    entries::scan(batch, id, MEMBERS, whole, cursor, count, false, |e| {
        visit(e.name)
    })
}

/// Random members of the set described by `meta` (see [`entries::sample`]).
pub fn random(
    batch: &Batch,
    id: &KeyId,
    meta: &Meta,
    count: u64,
    distinct: bool,
) -> Result<Vec<Bytes>> {
    let picked = entries::sample(batch, id, MEMBERS, meta.size, count, distinct, false)?;
    Ok(picked.into_iter().map(|e: Element| e.name).collect())
}
