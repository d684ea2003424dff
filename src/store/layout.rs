//! Where things live: the directory tree and the names of files.
//!
//! ```text
//! DATA/FORMAT  DATA/LOCK  DATA/tmp/  DATA/trash/
//! DATA/<db>/<slot>/<key>/type   (+ value, fields/, members/, index/ by type)
//! ```
//!
//! Keys, fields and members are arbitrary bytes; file names are not. [`encode_name`] maps
//! bytes to a name that is reversible, readable for ordinary text (`user:1000` stays
//! `user:1000`), and can never be `.`, `..`, contain `/` or NUL, or exceed the filesystem's
//! limit: other bytes become `%XX`, a leading dot becomes `%2E`, the empty name is `%`, and a
//! name whose encoding is longer than [`MAX_ENCODED`] becomes `%%` + its SHA-1 (the full name
//! is then stored beside it, see [`Encoded::Digest`]).

use sha1::{Digest, Sha1};

/// Number of hash slots, as Redis Cluster.
pub const SLOTS: u16 = 16384;

/// Longest encoded name kept as is; longer ones are replaced by a digest.
pub const MAX_ENCODED: usize = 200;

/// The slot of a key: CRC16 (XMODEM) of the key, or of its `{hash tag}`, modulo 16384.
pub fn key_slot(key: &[u8]) -> u16 {
    let tagged = key
        .iter()
        .position(|&b| b == b'{')
        .and_then(|open| {
            let rest = &key[open + 1..];
            rest.iter()
                .position(|&b| b == b'}')
                .filter(|&len| len > 0)
                .map(|len| &rest[..len])
        })
        .unwrap_or(key);
    crc16::State::<crc16::XMODEM>::calculate(tagged) % SLOTS
}

/// The directory name of a slot: four hex digits.
pub fn slot_name(slot: u16) -> String {
    format!("{slot:04x}")
}

/// Bytes kept as they are in file names: letters, digits and a few common punctuation marks.
fn is_plain(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-_.:@+=,~#{}".contains(&b)
}

/// How a name sits on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Encoded {
    /// The file name spells the whole name.
    Plain(String),
    /// The name was too long: the file name is `%%<sha1 hex>` and the full name is stored
    /// beside the entry (a key directory's `name` file, or a header in an entry's file).
    Digest(String),
}

impl Encoded {
    pub fn file_name(&self) -> &str {
        match self {
            Encoded::Plain(n) | Encoded::Digest(n) => n,
        }
    }

    pub fn is_digest(&self) -> bool {
        matches!(self, Encoded::Digest(_))
    }
}

/// Maps a key, field or member to its file name.
pub fn encode_name(raw: &[u8]) -> Encoded {
    if raw.is_empty() {
        return Encoded::Plain("%".into());
    }
    let mut out = String::with_capacity(raw.len() + 8);
    for (i, &b) in raw.iter().enumerate() {
        if is_plain(b) && !(i == 0 && b == b'.') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
        if out.len() > MAX_ENCODED {
            return Encoded::Digest(digest_name(raw));
        }
    }
    Encoded::Plain(out)
}

fn digest_name(raw: &[u8]) -> String {
    let hash = Sha1::digest(raw);
    let mut name = String::from("%%");
    for b in hash {
        name.push_str(&format!("{b:02x}"));
    }
    name
}

/// What a file name says about the name it stores.
#[derive(Debug, PartialEq, Eq)]
pub enum Decoded {
    Name(Vec<u8>),
    /// A digest: the full name must be read from beside the entry.
    Digest,
    /// Not a name this encoding produces (a stray file): ignored by listings.
    Invalid,
}

/// Reverses [`encode_name`].
pub fn decode_name(name: &[u8]) -> Decoded {
    if name == b"%" {
        return Decoded::Name(Vec::new());
    }
    if name.starts_with(b"%%") {
        let hex = &name[2..];
        return if hex.len() == 40 && hex.iter().all(|c| c.is_ascii_hexdigit()) {
            Decoded::Digest
        } else {
            Decoded::Invalid
        };
    }
    let mut out = Vec::with_capacity(name.len());
    let mut i = 0;
    while i < name.len() {
        match name[i] {
            b'%' => {
                let hex = name
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok());
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => out.push(b),
                    None => return Decoded::Invalid,
                }
                i += 3;
            }
            b if is_plain(b) => {
                out.push(b);
                i += 1;
            }
            _ => return Decoded::Invalid,
        }
    }
    if encode_name(&out).file_name().as_bytes() != name {
        return Decoded::Invalid; // e.g. lower-case hex or a raw leading dot: not ours
    }
    Decoded::Name(out)
}

/// The file content of an entry (hash field, set or sorted set member) whose name was digested:
/// `<length>\n<name>` followed by the entry's own content.
pub fn digest_header(raw: &[u8]) -> Vec<u8> {
    let mut header = format!("{}\n", raw.len()).into_bytes();
    header.extend_from_slice(raw);
    header
}

/// Splits a digested entry's content into (name, content). None if malformed.
pub fn split_digest_header(content: &[u8]) -> Option<(&[u8], &[u8])> {
    let newline = content.iter().position(|&b| b == b'\n')?;
    let len: usize = std::str::from_utf8(&content[..newline])
        .ok()?
        .parse()
        .ok()?;
    let rest = &content[newline + 1..];
    (rest.len() >= len).then(|| rest.split_at(len))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(raw: &[u8]) {
        match encode_name(raw) {
            Encoded::Plain(name) => {
                assert!(name.len() <= MAX_ENCODED);
                assert!(name != "." && name != ".." && !name.contains('/') && !name.contains('\0'));
                assert_eq!(
                    decode_name(name.as_bytes()),
                    Decoded::Name(raw.to_vec()),
                    "{name}"
                );
            }
            Encoded::Digest(name) => {
                assert_eq!(name.len(), 42);
                assert_eq!(decode_name(name.as_bytes()), Decoded::Digest);
            }
        }
    }

    #[test]
    fn ordinary_names_stay_readable() {
        assert_eq!(
            encode_name(b"user:1000"),
            Encoded::Plain("user:1000".into())
        );
        assert_eq!(encode_name(b"{tag}.x"), Encoded::Plain("{tag}.x".into()));
        assert_eq!(encode_name(b"a b"), Encoded::Plain("a%20b".into()));
    }

    #[test]
    fn dangerous_names_are_escaped() {
        assert_eq!(encode_name(b"."), Encoded::Plain("%2E".into()));
        assert_eq!(encode_name(b".."), Encoded::Plain("%2E.".into()));
        assert_eq!(
            encode_name(b"../etc/passwd"),
            Encoded::Plain("%2E.%2Fetc%2Fpasswd".into())
        );
        assert_eq!(encode_name(b""), Encoded::Plain("%".into()));
        assert_eq!(encode_name(b"%"), Encoded::Plain("%25".into()));
        assert_eq!(encode_name(b"a\0b\n"), Encoded::Plain("a%00b%0A".into()));
    }

    #[test]
    fn every_name_round_trips() {
        for raw in [
            &b""[..],
            b".",
            b"..",
            b"/",
            b"%",
            b"%%",
            b"\xff\xfe",
            b"a/b",
            b"caf\xc3\xa9",
            b"\r\n",
            b"x y",
        ] {
            round_trip(raw);
        }
        for b in 0..=255u8 {
            round_trip(&[b]);
            round_trip(&[b'.', b]);
        }
        round_trip(&vec![b'k'; 10_000]);
        round_trip(&[b'/'; 100]);
    }

    #[test]
    fn long_names_become_digests() {
        let long = vec![b'a'; 500];
        let Encoded::Digest(name) = encode_name(&long) else {
            panic!("expected a digest")
        };
        assert!(name.starts_with("%%"));
        let mut content = digest_header(&long);
        content.extend_from_slice(b"payload");
        assert_eq!(
            split_digest_header(&content),
            Some((&long[..], &b"payload"[..]))
        );
    }

    #[test]
    fn stray_names_are_not_decoded() {
        assert_eq!(decode_name(b"%zz"), Decoded::Invalid);
        assert_eq!(decode_name(b".hidden"), Decoded::Invalid);
        assert_eq!(decode_name(b"%2e"), Decoded::Invalid);
        assert_eq!(decode_name(b"a b"), Decoded::Invalid);
    }

    #[test]
    fn slots_match_redis_cluster() {
        // Values from Redis Cluster's documentation and `CLUSTER KEYSLOT`.
        assert_eq!(key_slot(b"foo"), 12182);
        assert_eq!(key_slot(b"bar"), 5061);
        assert_eq!(key_slot(b"{user1000}.following"), key_slot(b"user1000"));
        assert_eq!(key_slot(b"foo{}{bar}"), key_slot(b"foo{}{bar}"));
        assert_eq!(key_slot(b"foo{{bar}}zap"), key_slot(b"{bar"));
        assert_eq!(slot_name(0x5a3), "05a3");
    }
}
