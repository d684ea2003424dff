//! Walking a database slot by slot: SCAN's stable cursor, RANDOMKEY, and (through [`Slots`])
//! the expiry cycle.
//!
//! Keys live in slot directories (`<db>/<slot>/<key>`), and a key never changes slot. A SCAN
//! cursor is `(slot << 32) | h`, where `h` is [`name_hash`] (32-bit FNV-1a) of a key
//! directory's name: a call lists the slot directories from the cursor's slot on, orders each
//! one's entries by `h`, returns those with `h` at or past the cursor's (all the entries that
//! share one `h` together), and stops after a slot or a hash value once it has COUNT keys.
//! So every key present for a whole scan is returned, exactly once, whatever is added or
//! deleted meanwhile; and a call holds one slot directory's names in memory (about 61 at a
//! million keys), whatever the size of the database.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use bytes::Bytes;

use super::batch::{Batch, KeyId, Mode};
use super::layout::{decode_name, slot_name, Decoded, SLOTS};
use super::Store;
use crate::error::Result;

/// With at most this many slot directories, [`Slots`] lists the parent directory (cheap when
/// it is small); with more, it tries each slot in turn (cheap when most of them exist).
const LIST_AT_MOST: u64 = 1024;

/// The slots that may have a directory under a parent (a database directory, or its
/// `expires/`), in increasing order from a given slot.
pub struct Slots {
    /// The slots found by listing the parent, or None to try every slot.
    listed: Option<std::vec::IntoIter<u16>>,
    next: u32,
}

impl Slots {
    /// The slots at or after `from` that may have a directory under `parent`.
    pub fn under(parent: &Path, from: u32) -> io::Result<Slots> {
        let links = match fs::metadata(parent) {
            Ok(meta) => meta.nlink(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => 2,
            Err(e) => return Err(e),
        };
        // A directory's link count is 2 + its subdirectories (1 on filesystems that do not
        // count them: list those).
        let listed = if links < 2 || links - 2 <= LIST_AT_MOST {
            let mut slots = Vec::new();
            match fs::read_dir(parent) {
                Ok(entries) => {
                    for entry in entries {
                        let name = entry?.file_name();
                        let slot = name.to_str().and_then(parse_slot);
                        slots.extend(slot.filter(|&s| u32::from(s) >= from));
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
            slots.sort_unstable();
            Some(slots.into_iter())
        } else {
            None
        };
        Ok(Slots { listed, next: from })
    }
}

impl Iterator for Slots {
    type Item = u16;

    fn next(&mut self) -> Option<u16> {
        let slot = match &mut self.listed {
            Some(listed) => listed.next()?,
            None if self.next < u32::from(SLOTS) => self.next as u16,
            None => return None,
        };
        self.next = u32::from(slot) + 1;
        Some(slot)
    }
}

/// A slot directory's name back to its slot: exactly four lower-case hex digits.
fn parse_slot(name: &str) -> Option<u16> {
    let valid = name.len() == 4 && name.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    valid
        .then(|| u16::from_str_radix(name, 16).ok())
        .flatten()
        .filter(|&s| s < SLOTS)
}

/// The names in a directory; empty when it does not exist.
pub fn names_in(dir: &Path) -> io::Result<Vec<OsString>> {
    match fs::read_dir(dir) {
        Ok(entries) => entries.map(|e| e.map(|e| e.file_name())).collect(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// The raw key name of the key directory `file_name` in `slot_dir`: decoded from the name, or
/// read from its `name` file when the name is a digest. None for what is not a key (a stray
/// file, or a digest-named directory whose `name` is gone: one being deleted).
pub fn key_name(slot_dir: &Path, file_name: &OsStr) -> Option<Bytes> {
    match decode_name(file_name.as_encoded_bytes()) {
        Decoded::Name(raw) => Some(Bytes::from(raw)),
        Decoded::Digest => fs::read(slot_dir.join(file_name).join("name"))
            .ok()
            .map(Bytes::from),
        Decoded::Invalid => None,
    }
}

/// SCAN's order inside a slot directory: 32-bit FNV-1a of the key directory's name.
pub fn name_hash(name: &[u8]) -> u32 {
    name.iter().fold(0x811c_9dc5, |h: u32, &b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

/// One call's worth of a scan: the cursor to continue from (0: done) and the keys found.
pub struct Page {
    pub cursor: u64,
    pub keys: Vec<Bytes>,
}

impl Store {
    /// Keys of database `db` from `cursor` on: about `count` of them (more when several share
    /// a hash value), after looking at no more than `10 * count` slots (Redis's guard against
    /// sparse tables), so a call may return fewer. Expired keys are included; callers filter.
    pub fn scan(&self, db: usize, cursor: u64, count: usize) -> io::Result<Page> {
        let done = Page {
            cursor: 0,
            keys: Vec::new(),
        };
        let (first_slot, first_hash) = (cursor >> 32, cursor as u32);
        if first_slot >= u64::from(SLOTS) {
            return Ok(done);
        }
        let db_dir = self.db_dir(db);
        let mut keys = Vec::new();
        let budget = count.saturating_mul(10);
        for (examined, slot) in Slots::under(&db_dir, first_slot as u32)?.enumerate() {
            if examined >= budget {
                return Ok(Page {
                    cursor: u64::from(slot) << 32,
                    keys,
                });
            }
            let dir = db_dir.join(slot_name(slot));
            let from = if u64::from(slot) == first_slot {
                first_hash
            } else {
                0
            };
            let mut entries: Vec<(u32, OsString)> = names_in(&dir)?
                .into_iter()
                .map(|name| (name_hash(name.as_encoded_bytes()), name))
                .filter(|(hash, _)| *hash >= from)
                .collect();
            entries.sort_unstable();
            for group in entries.chunk_by(|a, b| a.0 == b.0) {
                keys.extend(group.iter().filter_map(|(_, name)| key_name(&dir, name)));
                if keys.len() >= count {
                    let next = match group[0].0.checked_add(1) {
                        Some(hash) => u64::from(slot) << 32 | u64::from(hash),
                        None => u64::from(slot + 1) << 32,
                    };
                    let next = if next >> 32 >= u64::from(SLOTS) {
                        0
                    } else {
                        next
                    };
                    return Ok(Page { cursor: next, keys });
                }
            }
        }
        Ok(Page { cursor: 0, keys })
    }

    /// A random live key of database `db`; None when it has none. Starts at a random slot and
    /// takes, in the first slot directory that has one, a live key from a random position.
    pub fn random_key(&self, db: usize) -> Result<Option<Bytes>> {
        let db_dir = self.db_dir(db);
        let start = (random() % u64::from(SLOTS)) as u32;
        let wrapped = Slots::under(&db_dir, 0)?.take_while(|&s| u32::from(s) < start);
        let batch = Batch::new(self, Mode::Unlocked);
        for slot in Slots::under(&db_dir, start)?.chain(wrapped) {
            let dir = db_dir.join(slot_name(slot));
            let names = names_in(&dir)?;
            let offset = random() as usize % names.len().max(1);
            for i in 0..names.len() {
                let name = &names[(offset + i) % names.len()];
                let Some(key) = key_name(&dir, name) else {
                    continue;
                };
                if batch.meta(&KeyId::new(db, key.clone()))?.is_some() {
                    return Ok(Some(key));
                }
            }
        }
        Ok(None)
    }
}

/// A random number (from the standard library's randomly seeded hasher).
fn random() -> u64 {
    std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_hash_is_fnv1a() {
        // The published FNV-1a test vectors.
        assert_eq!(name_hash(b""), 0x811c_9dc5);
        assert_eq!(name_hash(b"a"), 0xe40c_292c);
        assert_eq!(name_hash(b"foobar"), 0xbf9c_f968);
    }

    #[test]
    fn slot_names_parse_back() {
        assert_eq!(parse_slot("0000"), Some(0));
        assert_eq!(parse_slot("3fff"), Some(16383));
        assert_eq!(parse_slot("4000"), None);
        assert_eq!(parse_slot("00A0"), None);
        assert_eq!(parse_slot("expires"), None);
        assert_eq!(parse_slot("123"), None);
    }
}
