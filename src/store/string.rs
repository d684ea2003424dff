//! Strings: `type` plus a `value` file holding the raw bytes, so that ranges are file reads.

use bytes::Bytes;

use super::batch::{Batch, Content, KeyId, Value};
use super::meta::{Meta, Type};
use crate::error::Result;

const VALUE: &str = "value";

/// The value of a string key; None when missing. WRONGTYPE for other types.
pub fn get(batch: &Batch, id: &KeyId) -> Result<Option<Value>> {
    if batch.meta_of(id, Type::String)?.is_none() {
        return Ok(None);
    }
    Ok(Some(
        batch
            .read_value(id, VALUE)?
            .unwrap_or(Value::Bytes(Bytes::new())),
    ))
}

/// Sets the value and the expiry (`None`: no expiry) of `id`, whatever it held before.
/// An overwrite that keeps the key's metadata replaces just the value file; anything else
/// builds a new key directory and swaps it in whole, so a crash never pairs the new value
/// with the old metadata.
pub fn set(batch: &mut Batch, id: &KeyId, value: Content, expire_at_ms: Option<i64>) -> Result<()> {
    let meta = Meta {
        expire_at_ms,
        ..Meta::new(Type::String)
    };
    if batch.meta(id)?.as_ref() != Some(&meta) {
        batch.create(id, &meta)?;
    }
    batch.write(id, VALUE, value)
}

/// Replaces the value of an existing string key, keeping its expiry.
pub fn overwrite(batch: &mut Batch, id: &KeyId, value: Content) -> Result<()> {
    batch.write(id, VALUE, value)
}
