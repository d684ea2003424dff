//! Lists: `items/<position>`, one file per element holding its bytes; `head` (the position of
//! the first element) and `size` in `type`.
//!
//! Element `i`, counted from the left from 0, is the file `items/<head + i>`. Positions are
//! signed and only ever change at the ends: LPUSH writes `items/<head - 1>` and lowers `head`,
//! RPUSH writes `items/<head + size>`, pops remove the file at an end. So pushes, pops, LINDEX
//! and LSET touch one element file and `type` however long the list is, and LRANGE reads the
//! files of its range only. Inserting or removing in the middle (LINSERT, LREM) moves each
//! element of the shorter side by one position; LTRIM removes from the ends, or rebuilds the
//! key from what it keeps when that is less. A moved element is not read: the batch stages a
//! hard link of its file (see [`Batch::content`]).
//!
//! A command opens the list once as a [`List`], works on it, and calls [`List::save`], which
//! writes the metadata once, or deletes the key when its last element is gone.

use std::io;

use super::batch::{Batch, Content, KeyId, Value};
use super::meta::{Meta, Type};
use crate::error::Result;

const ITEMS: &str = "items";

fn item(position: i64) -> String {
    format!("{ITEMS}/{position}")
}

/// An element file that the metadata says is there is not (a crash between the files of one
/// commit: see docs/on-disk-format.md).
fn missing() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, "a list element file is missing")
}

/// An end of a list, as Redis names them (LEFT is the head, RIGHT the tail).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    Left,
    Right,
}

/// A list opened by one command.
pub struct List {
    id: KeyId,
    meta: Meta,
    changed: bool,
}

impl List {
    /// The list at `id`; None when missing. WRONGTYPE for other types.
    pub fn open(batch: &Batch, id: &KeyId) -> Result<Option<List>> {
        Ok(batch.meta_of(id, Type::List)?.map(|meta| List {
            id: id.clone(),
            meta,
            changed: false,
        }))
    }

    /// A new, empty list at `id`, replacing whatever the key held (saved only if it gets an
    /// element).
    pub fn create(batch: &mut Batch, id: &KeyId) -> Result<List> {
        let meta = Meta::new(Type::List);
        batch.create(id, &meta)?;
        Ok(List {
            id: id.clone(),
            meta,
            changed: true,
        })
    }

    pub fn len(&self) -> u64 {
        self.meta.size
    }

    fn position(&self, index: u64) -> i64 {
        self.meta.head + index as i64
    }

    fn rel(&self, index: u64) -> String {
        item(self.position(index))
    }

    /// Redis's index (negative: from the end, -1 is the last element) as an index into the
    /// list; None when out of range.
    pub fn index(&self, index: i64) -> Option<u64> {
        let len = self.len() as i64;
        let index = if index < 0 { len + index } else { index };
        (0..len).contains(&index).then_some(index as u64)
    }

    /// Redis's inclusive range `start..=stop` (negative: from the end; clamped to the list)
    /// as indexes; None when it holds no element.
    pub fn range_of(&self, start: i64, stop: i64) -> Option<(u64, u64)> {
        let len = self.len() as i64;
        let start = if start < 0 { len + start } else { start }.max(0);
        let stop = if stop < 0 { len + stop } else { stop }.min(len - 1);
        (start <= stop).then_some((start as u64, stop as u64))
    }

    /// The element at `index` (< len).
    pub fn get(&self, batch: &Batch, index: u64) -> Result<Value> {
        Ok(batch
            .read_value(&self.id, &self.rel(index))?
            .ok_or_else(missing)?)
    }

    /// Whether the element at `index` is `element` (a long element is read only when its
    /// length matches).
    pub fn equals(&self, batch: &Batch, index: u64, element: &[u8]) -> Result<bool> {
        let value = self.get(batch, index)?;
        Ok(value.len() == element.len() as u64 && value.into_bytes()? == element)
    }

    /// Calls `f` with each element from `start` to `stop` (inclusive indexes, `stop` < len),
    /// in order, reading one at a time.
    pub fn range(
        &self,
        batch: &Batch,
        start: u64,
        stop: u64,
        mut f: impl FnMut(Value) -> Result<()>,
    ) -> Result<()> {
        (start..=stop).try_for_each(|i| f(self.get(batch, i)?))
    }

    /// Adds an element at an end.
    pub fn push(&mut self, batch: &mut Batch, end: End, element: Content) -> Result<()> {
        let position = match end {
            End::Left => {
                self.meta.head -= 1;
                self.meta.head
            }
            End::Right => self.position(self.len()),
        };
        self.meta.size += 1;
        self.changed = true;
        batch.write(&self.id, &item(position), element)
    }

    fn end_index(&self, end: End) -> Option<u64> {
        match (self.len(), end) {
            (0, _) => None,
            (_, End::Left) => Some(0),
            (len, End::Right) => Some(len - 1),
        }
    }

    /// Forgets the element at an end (the list is not empty).
    fn drop_end(&mut self, batch: &mut Batch, end: End, index: u64) -> Result<()> {
        batch.remove(&self.id, &self.rel(index))?;
        if end == End::Left {
            self.meta.head += 1;
        }
        self.meta.size -= 1;
        self.changed = true;
        Ok(())
    }

    /// Removes the element at an end and returns it; None when the list is empty.
    pub fn pop(&mut self, batch: &mut Batch, end: End) -> Result<Option<Value>> {
        let Some(index) = self.end_index(end) else {
            return Ok(None);
        };
        let value = self.get(batch, index)?;
        self.drop_end(batch, end, index)?;
        Ok(Some(value))
    }

    /// Removes the element at an end and returns it as content to store elsewhere (LMOVE),
    /// without reading it; None when the list is empty.
    pub fn pop_content(&mut self, batch: &mut Batch, end: End) -> Result<Option<Content>> {
        let Some(index) = self.end_index(end) else {
            return Ok(None);
        };
        let content = self.content(batch, self.position(index))?;
        self.drop_end(batch, end, index)?;
        Ok(Some(content))
    }

    /// Replaces the element at `index` (< len).
    pub fn set(&mut self, batch: &mut Batch, index: u64, element: Content) -> Result<()> {
        batch.write(&self.id, &self.rel(index), element)
    }

    /// The element at a position, as content to write elsewhere (see [`Batch::content`]).
    fn content(&self, batch: &Batch, position: i64) -> Result<Content> {
        Ok(batch
            .content(&self.id, &item(position))?
            .ok_or_else(missing)?)
    }

    /// Moves an element to another position (its file, not its bytes).
    fn shift(&self, batch: &mut Batch, from: i64, to: i64) -> Result<()> {
        let content = self.content(batch, from)?;
        batch.write(&self.id, &item(to), content)
    }

    /// Inserts an element so that it becomes element `index` (<= len): the elements on the
    /// shorter side of it move one position outwards.
    pub fn insert(&mut self, batch: &mut Batch, index: u64, element: Content) -> Result<()> {
        let len = self.len();
        if index <= len - index {
            for i in 0..index {
                let from = self.position(i);
                self.shift(batch, from, from - 1)?;
            }
            self.meta.head -= 1;
        } else {
            for i in (index..len).rev() {
                let from = self.position(i);
                self.shift(batch, from, from + 1)?;
            }
        }
        self.meta.size += 1;
        self.changed = true;
        self.set(batch, index, element)
    }

    /// Removes the elements at `indexes` (ascending, distinct, < len): the elements on the
    /// side with fewer of them to move close the gaps.
    pub fn remove(&mut self, batch: &mut Batch, indexes: &[u64]) -> Result<()> {
        let (len, count) = (self.len(), indexes.len() as u64);
        let (Some(&first), Some(&last)) = (indexes.first(), indexes.last()) else {
            return Ok(());
        };
        self.changed = true;
        if count == len {
            self.meta.size = 0; // the key goes as a whole
            return Ok(());
        }
        let from_right = len - first - count; // elements after `first` that stay
        let from_left = last + 1 - count; // elements before `last` that stay
        if from_right <= from_left {
            let mut gone = indexes.iter().peekable();
            let mut to = first;
            for i in first..len {
                if gone.next_if_eq(&&i).is_some() {
                    continue;
                }
                self.shift(batch, self.position(i), self.position(to))?;
                to += 1;
            }
            for i in len - count..len {
                batch.remove(&self.id, &self.rel(i))?;
            }
        } else {
            let mut gone = indexes.iter().rev().peekable();
            let mut to = last;
            for i in (0..=last).rev() {
                if gone.next_if_eq(&&i).is_some() {
                    continue;
                }
                self.shift(batch, self.position(i), self.position(to))?;
                to -= 1;
            }
            for i in 0..count {
                batch.remove(&self.id, &self.rel(i))?;
            }
            self.meta.head += count as i64;
        }
        self.meta.size -= count;
        Ok(())
    }

    /// Keeps the elements from `start` to `stop` (inclusive indexes, `stop` < len; None: keep
    /// nothing). Removes the others from the ends, or, when they outnumber the kept ones,
    /// builds the key anew from the kept ones (the old directory goes to the trash whole).
    pub fn trim(&mut self, batch: &mut Batch, keep: Option<(u64, u64)>) -> Result<()> {
        let len = self.len();
        let Some((start, stop)) = keep else {
            self.meta.size = 0;
            self.changed = true;
            return Ok(());
        };
        let kept = stop - start + 1;
        if kept == len {
            return Ok(());
        }
        self.changed = true;
        if len - kept <= kept {
            for i in (0..start).chain(stop + 1..len) {
                batch.remove(&self.id, &self.rel(i))?;
            }
            self.meta.head += start as i64;
            self.meta.size = kept;
            return Ok(());
        }
        let elements = (start..=stop)
            .map(|i| self.content(batch, self.position(i)))
            .collect::<Result<Vec<_>>>()?;
        self.meta.head = 0;
        self.meta.size = kept;
        batch.create(&self.id, &self.meta)?;
        for (i, element) in elements.into_iter().enumerate() {
            batch.write(&self.id, &item(i as i64), element)?;
        }
        Ok(())
    }

    /// Writes what changed: the metadata, or deletes the key if the list is empty.
    pub fn save(self, batch: &mut Batch) -> Result<()> {
        if !self.changed {
            return Ok(());
        }
        if self.meta.size == 0 {
            batch.delete(&self.id);
            return Ok(());
        }
        batch.set_meta(&self.id, &self.meta)
    }
}
