//! Key metadata: the `type` file of every key directory.
//!
//! Plain text so that `cat type` tells what a key is. The first line is the type name (as in the
//! original dredis); optional `name value` lines follow:
//!
//! ```text
//! hash
//! expire-at-ms 1732200000000
//! size 3
//! ```
//!
//! `expire-at-ms` is the absolute deadline in Unix milliseconds; `size` is the number of
//! fields, members or elements of a collection (so HLEN/SCARD/ZCARD/LLEN read one small file),
//! and for a string, when present, the length of the value: the `value` file may then be
//! longer, and the bytes past `size` are not part of the value (see `string.rs`); `head` is a
//! list's first position (see [`super::list`]).

use std::io;

/// The types a key can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    String,
    Hash,
    Set,
    ZSet,
    List,
}

impl Type {
    /// The name TYPE replies with, and the first line of the `type` file.
    pub fn name(self) -> &'static str {
        match self {
            Type::String => "string",
            Type::Hash => "hash",
            Type::Set => "set",
            Type::ZSet => "zset",
            Type::List => "list",
        }
    }

    fn parse(name: &str) -> Option<Type> {
        [Type::String, Type::Hash, Type::Set, Type::ZSet, Type::List]
            .into_iter()
            .find(|t| t.name() == name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    pub kind: Type,
    pub expire_at_ms: Option<i64>,
    /// Collections: the number of fields or members.
    pub size: u64,
    /// Strings: the length of the value, when recorded; None means the whole `value` file.
    pub length: Option<u64>,
    /// Lists: the position of the first element (0 for a new list, lower after each LPUSH).
    pub head: i64,
}

impl Meta {
    pub fn new(kind: Type) -> Meta {
        Meta {
            kind,
            expire_at_ms: None,
            size: 0,
            length: None,
            head: 0,
        }
    }

    pub fn is_expired(&self, now_ms: i64) -> bool {
        self.expire_at_ms.is_some_and(|at| at <= now_ms)
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!("{}\n", self.kind.name());
        if let Some(at) = self.expire_at_ms {
            out.push_str(&format!("expire-at-ms {at}\n"));
        }
        let size = match self.kind {
            Type::String => self.length,
            _ => Some(self.size),
        };
        if let Some(size) = size {
            out.push_str(&format!("size {size}\n"));
        }
        if self.kind == Type::List {
            out.push_str(&format!("head {}\n", self.head));
        }
        out.into_bytes()
    }

    pub fn parse(bytes: &[u8]) -> io::Result<Meta> {
        let bad = || io::Error::new(io::ErrorKind::InvalidData, "malformed type file");
        let text = std::str::from_utf8(bytes).map_err(|_| bad())?;
        let mut lines = text.lines();
        let kind = lines
            .next()
            .and_then(|l| Type::parse(l.trim()))
            .ok_or_else(bad)?;
        let mut meta = Meta::new(kind);
        for line in lines {
            let (name, value) = line.split_once(' ').ok_or_else(bad)?;
            match name {
                "expire-at-ms" => meta.expire_at_ms = Some(value.parse().map_err(|_| bad())?),
                "size" => {
                    let size = value.parse().map_err(|_| bad())?;
                    match kind {
                        Type::String => meta.length = Some(size),
                        _ => meta.size = size,
                    }
                }
                "head" => meta.head = value.parse().map_err(|_| bad())?,
                _ => {} // written by a newer version: ignored, kept out of the way
            }
        }
        Ok(meta)
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_reads_the_original_format() {
        let meta = Meta {
            kind: Type::Hash,
            expire_at_ms: Some(1_700_000_000_000),
            size: 3,
            length: None,
            head: 0,
        };
        assert_eq!(Meta::parse(&meta.to_bytes()).unwrap(), meta);
        let string = Meta {
            length: Some(70_000),
            ..Meta::new(Type::String)
        };
        assert_eq!(string.to_bytes(), b"string\nsize 70000\n");
        assert_eq!(Meta::parse(&string.to_bytes()).unwrap(), string);
        let list = Meta {
            size: 2,
            head: -7,
            ..Meta::new(Type::List)
        };
        assert_eq!(list.to_bytes(), b"list\nsize 2\nhead -7\n");
        assert_eq!(Meta::parse(&list.to_bytes()).unwrap(), list);
        assert_eq!(
            String::from_utf8(Meta::new(Type::String).to_bytes()).unwrap(),
            "string\n"
        );
        // The original dredis wrote just the type name, without a newline.
        assert_eq!(Meta::parse(b"zset").unwrap(), Meta::new(Type::ZSet));
        assert!(Meta::parse(b"list-of-things").is_err());
    }
}
