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
    tree: Option<Tree>,
    changed: bool,
}

impl ZSet {
    /// The sorted set at `id`; None when missing. WRONGTYPE for other types.
    pub fn open(batch: &Batch, id: &KeyId) -> Result<Option<ZSet>> {
        Ok(batch.meta_of(id, Type::ZSet)?.map(|meta| ZSet {
            id: id.clone(),
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
        Ok(Some(parse_f64(&text).ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidData, "malformed score file")
        })?))
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
        let entry = Entry::new(score, Bytes::copy_from_slice(member));
        self.tree(batch)?.remove(batch, &entry)?;
        entries::remove(batch, &self.id, MEMBERS, member)?;
        self.meta.size -= 1;
        self.changed = true;
        Ok(true)
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

    /// Writes what changed: the index and the metadata, or deletes the key if it is empty.
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
        batch.set_meta(&self.id, &self.meta)
    }
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
