//! Entries: the one-file-per-field (or member) directories of collections.
//!
//! A hash keeps `fields/<name>` (content: the value), a set `members/<name>` (empty), a sorted
//! set `members/<name>` (content: the score). The file is named by the entry's encoded name; an
//! entry whose name had to be digested starts with a header holding the full name
//! (see [`layout::digest_header`]). This module hides that difference.

use bytes::Bytes;

use super::batch::{Batch, Content, KeyId};
use super::layout::{self, decode_name, encode_name, Decoded, Encoded};
use crate::error::Result;

fn rel(dir: &str, encoded: &Encoded) -> String {
    format!("{dir}/{}", encoded.file_name())
}

/// The content of an entry; None when absent.
pub fn get(batch: &Batch, id: &KeyId, dir: &str, name: &[u8]) -> Result<Option<Bytes>> {
    let encoded = encode_name(name);
    let Some(content) = batch.read(id, &rel(dir, &encoded))? else {
        return Ok(None);
    };
    if !encoded.is_digest() {
        return Ok(Some(content));
    }
    Ok(layout::split_digest_header(&content)
        .filter(|(stored, _)| *stored == name)
        .map(|(_, payload)| content.slice(content.len() - payload.len()..)))
}

pub fn exists(batch: &Batch, id: &KeyId, dir: &str, name: &[u8]) -> Result<bool> {
    let encoded = encode_name(name);
    if encoded.is_digest() {
        return Ok(get(batch, id, dir, name)?.is_some());
    }
    batch.exists(id, &rel(dir, &encoded))
}

/// Sets an entry's content.
pub fn put(batch: &mut Batch, id: &KeyId, dir: &str, name: &[u8], content: Content) -> Result<()> {
    let encoded = encode_name(name);
    let content = match (&encoded, content) {
        (Encoded::Digest(_), Content::Bytes(payload)) => {
            let mut data = layout::digest_header(name);
            data.extend_from_slice(&payload);
            Content::Bytes(data.into())
        }
        (Encoded::Digest(_), Content::Spilled(arg)) => {
            let mut data = layout::digest_header(name);
            data.extend_from_slice(&arg.read()?);
            Content::Bytes(data.into())
        }
        (Encoded::Plain(_), content) => content,
    };
    batch.write(id, &rel(dir, &encoded), content)
}

pub fn remove(batch: &mut Batch, id: &KeyId, dir: &str, name: &[u8]) -> Result<()> {
    batch.remove(id, &rel(dir, &encode_name(name)))
}

/// The names of all entries (unordered).
pub fn names(batch: &Batch, id: &KeyId, dir: &str) -> Result<Vec<Bytes>> {
    let mut out = Vec::new();
    for file in batch.list(id, dir)? {
        match decode_name(file.as_bytes()) {
            Decoded::Name(raw) => out.push(Bytes::from(raw)),
            Decoded::Digest => {
                if let Some(content) = batch.read(id, &format!("{dir}/{file}"))? {
                    if let Some((name, _)) = layout::split_digest_header(&content) {
                        out.push(Bytes::copy_from_slice(name));
                    }
                }
            }
            Decoded::Invalid => {}
        }
    }
    Ok(out)
}

/// All entries with their content (unordered).
pub fn all(batch: &Batch, id: &KeyId, dir: &str) -> Result<Vec<(Bytes, Bytes)>> {
    let mut out = Vec::new();
    for file in batch.list(id, dir)? {
        let Some(content) = batch.read(id, &format!("{dir}/{file}"))? else {
            continue;
        };
        match decode_name(file.as_bytes()) {
            Decoded::Name(raw) => out.push((Bytes::from(raw), content)),
            Decoded::Digest => {
                if let Some((name, payload)) = layout::split_digest_header(&content) {
                    out.push((
                        Bytes::copy_from_slice(name),
                        Bytes::copy_from_slice(payload),
                    ));
                }
            }
            Decoded::Invalid => {}
        }
    }
    Ok(out)
}
