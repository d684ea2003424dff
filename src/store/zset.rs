//! Sorted sets: `members/<member>` holding the member's score as text (ZSCORE reads one small
//! file), and the order index under `index/` (see [`super::zindex`]) for ranks and ranges;
//! `size` in `type`.
//!
//! A command opens the set once as a [`ZSet`], reads and changes it, and calls
//! [`ZSet::save`], which writes the changed index nodes and the metadata once, or deletes the
//! key when its last member is gone.

use bytes::Bytes;

use super::batch::{Batch, Content, KeyId};
use super::entries;
use super::meta::{Meta, Type};
use super::zindex::Tree;
use crate::error::Result;
use crate::number::{format_f64, parse_f64};

pub use super::zindex::Entry;

const MEMBERS: &str = "members";

/// A sorted set opened by one command.
pub struct ZSet {
    id: KeyId,
    meta: Meta,
    /// The size the `type` file holds: it is rewritten only when the size changes.
    stored_size: u64,
    tree: Option<Tree>,
    changed: bool,
}

impl ZSet {
    /// The sorted set at `id`; None when missing. WRONGTYPE for other types.
    pub fn open(batch: &Batch, id: &KeyId) -> Result<Option<ZSet>> {
        Ok(batch.meta_of(id, Type::ZSet)?.map(|meta| ZSet {
            id: id.clone(),
            stored_size: meta.size,
            meta,
            tree: None,
            changed: false,
        }))
    }

    /// A new, empty sorted set at `id`, replacing whatever the key held.
    pub fn create(batch: &mut Batch, id: &KeyId) -> Result<ZSet> {
        let meta = Meta::new(Type::ZSet);
        batch.create(id, &meta)?;
        Ok(ZSet {
            id: id.clone(),
            stored_size: meta.size,
            meta,
            tree: Some(Tree::empty(id)),
            changed: true,
        })
    }

    pub fn len(&self) -> u64 {
        self.meta.size
    }

    fn tree(&mut self, batch: &Batch) -> Result<&mut Tree> {
        if self.tree.is_none() {
            self.tree = Some(Tree::open(batch, &self.id)?);
        }
        Ok(self.tree.as_mut().expect("just opened"))
    }

    /// The member's score; None when it is not a member.
    pub fn score(&self, batch: &Batch, member: &[u8]) -> Result<Option<f64>> {
        let Some(text) = entries::get(batch, &self.id, MEMBERS, member)? else {
            return Ok(None);
        };
        Ok(Some(parse_score(&text)?))
    }

    /// Gives `member` the score `score`; `old` is its current score (None: a new member).
    pub fn set(
        &mut self,
        batch: &mut Batch,
        member: Bytes,
        old: Option<f64>,
        score: f64,
    ) -> Result<()> {
        let tree = self.tree(batch)?;
        if let Some(old) = old {
            tree.remove(batch, &Entry::new(old, member.clone()))?;
        }
        tree.insert(batch, Entry::new(score, member.clone()))?;
        self.meta.size += u64::from(old.is_none());
        let text = Content::Bytes(format_f64(score).into());
        entries::put(batch, &self.id, MEMBERS, &member, text)?;
        self.changed = true;
        Ok(())
    }

    /// Removes a member; false when it was not one.
    pub fn remove(&mut self, batch: &mut Batch, member: &[u8]) -> Result<bool> {
        let Some(score) = self.score(batch, member)? else {
            return Ok(false);
        };
        self.remove_entry(batch, &Entry::new(score, Bytes::copy_from_slice(member)))?;
        Ok(true)
    }

    /// Removes a member whose score is known.
    fn remove_entry(&mut self, batch: &mut Batch, entry: &Entry) -> Result<()> {
        self.tree(batch)?.remove(batch, entry)?;
        entries::remove(batch, &self.id, MEMBERS, &entry.member)?;
        self.meta.size -= 1;
        self.changed = true;
        Ok(())
    }

    /// Removes the members of ascending ranks `[start, end)`; returns how many there were.
    /// Removing every member deletes the key on save, without touching its files one by one.
    pub fn remove_ranks(&mut self, batch: &mut Batch, start: u64, end: u64) -> Result<u64> {
        let end = end.min(self.len());
        if start >= end {
            return Ok(0);
        }
        if start == 0 && end == self.len() {
            self.meta.size = 0;
            self.changed = true;
            return Ok(end);
        }
        let mut left = end - start;
        while left > 0 {
            // A chunk at a time: after each, the next members have moved down to `start`.
            let chunk = self.range(batch, start, left.min(1024))?;
            if chunk.is_empty() {
                break;
            }
            for entry in &chunk {
                self.remove_entry(batch, entry)?;
            }
            left -= chunk.len() as u64;
        }
        Ok(end - start - left)
    }

    /// `count` random members: distinct ones (at most all of them), or independent picks
    /// that may repeat. Each is a uniformly random rank, read from the index.
    pub fn random(&mut self, batch: &Batch, count: u64, distinct: bool) -> Result<Vec<Entry>> {
        let mut picked = Vec::new();
        for rank in entries::random_positions(self.len(), count, distinct) {
            picked.extend(self.range(batch, rank, 1)?);
        }
        fastrand::shuffle(&mut picked);
        Ok(picked)
    }

    /// One ZSCAN call: `visit` gets members with their scores. A small set is read whole
    /// from the index, in order; a big one through its member files (see
    /// [`entries::scan`]).
    pub fn scan(
        &mut self,
        batch: &Batch,
        cursor: u64,
        count: usize,
        mut visit: impl FnMut(Bytes, f64) -> Result<()>,
    ) -> Result<u64> {
        let size = self.len();
        if size <= entries::SMALL {
            for entry in self.range(batch, 0, size)? {
                visit(entry.member, entry.score)?;
            }
            return Ok(0);
        }
        entries::scan(batch, &self.id, MEMBERS, false, cursor, count, true, |e| {
            let text = match e.content {
                Some(value) => value.into_bytes()?,
                None => Bytes::new(),
            };
            visit(e.name, parse_score(&text)?)
        })
    }

    /// The member's 0-based rank in ascending order and its score; None when not a member.
    pub fn rank(&mut self, batch: &Batch, member: &[u8]) -> Result<Option<(u64, f64)>> {
        let Some(score) = self.score(batch, member)? else {
            return Ok(None);
        };
        let probe = Entry::new(score, Bytes::copy_from_slice(member));
        let rank = self
            .tree(batch)?
            .count_before(batch, |s, m| probe.cmp_key(s, m).is_gt())?;
        Ok(Some((rank, score)))
    }

    /// How many members come before the first one for which `before` is false (`before` is
    /// true for a prefix of the order, e.g. "score < min").
    pub fn count_before(
        &mut self,
        batch: &Batch,
        before: impl Fn(f64, &[u8]) -> bool,
    ) -> Result<u64> {
        self.tree(batch)?.count_before(batch, before)
    }

    /// Up to `count` members in ascending order from rank `start`.
    pub fn range(&mut self, batch: &Batch, start: u64, count: u64) -> Result<Vec<Entry>> {
        self.tree(batch)?.range(batch, start, count)
    }

    /// Calls `visit` with every member in ascending order, reading the index a run of
    /// leaves at a time.
    pub fn for_each(
        &mut self,
        batch: &Batch,
        mut visit: impl FnMut(Entry) -> Result<()>,
    ) -> Result<()> {
        let mut rank = 0;
        while rank < self.len() {
            let chunk = self.range(batch, rank, 1024)?;
            if chunk.is_empty() {
                break;
            }
            rank += chunk.len() as u64;
            chunk.into_iter().try_for_each(&mut visit)?;
        }
        Ok(())
    }

    /// Writes what changed: the index and the size, or deletes the key if it is empty.
    pub fn save(mut self, batch: &mut Batch) -> Result<()> {
        if !self.changed {
            return Ok(());
        }
        if self.meta.size == 0 {
            batch.delete(&self.id);
            return Ok(());
        }
        if let Some(tree) = &mut self.tree {
            tree.save(batch)?;
        }
        if self.meta.size == self.stored_size {
            return Ok(());
        }
        batch.set_meta(&self.id, &self.meta)
    }
}

/// A member file's score.
fn parse_score(text: &[u8]) -> Result<f64> {
    Ok(parse_f64(text).ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::InvalidData, "malformed score file")
    })?)
}

/// Removes and returns up to `count` members from the low end of the sorted set at `id`
/// (the high end with `max`), in the order popped; None when the key is missing. The key
/// goes with its last member. ZPOPMIN, ZPOPMAX and ZMPOP, and their blocking forms, pop here.
pub fn pop(batch: &mut Batch, id: &KeyId, count: u64, max: bool) -> Result<Option<Vec<Entry>>> {
    let Some(mut zset) = ZSet::open(batch, id)? else {
        return Ok(None);
    };
    let len = zset.len();
    let n = count.min(len);
    let start = if max { len - n } else { 0 };
    let mut popped = zset.range(batch, start, n)?;
    zset.remove_ranks(batch, start, start + n)?;
    zset.save(batch)?;
    if max {
        popped.reverse();
    }
    Ok(Some(popped))
}

/// Replaces whatever `id` holds by a sorted set of `entries` (sorted, members distinct); an
/// empty list deletes the key. Returns the number of members stored.
pub fn store(batch: &mut Batch, id: &KeyId, members: Vec<Entry>) -> Result<u64> {
    let size = members.len() as u64;
    if size == 0 {
        batch.delete(id);
        return Ok(0);
    }
    let meta = Meta {
        size,
        ..Meta::new(Type::ZSet)
    };
    batch.create(id, &meta)?;
    for entry in &members {
        let text = Content::Bytes(format_f64(entry.score).into());
        entries::put(batch, id, MEMBERS, &entry.member, text)?;
    }
    Tree::build(id, members).save(batch)?;
    Ok(size)
}
