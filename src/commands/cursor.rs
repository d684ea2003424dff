//! What HSCAN, SSCAN and ZSCAN share: the cursor, the MATCH and COUNT options, the reply.
//!
//! The cursor is read before the key is looked up and the options after it, as Redis does:
//! `HSCAN missing 0 COUNT 0` is an empty scan, not an error. What a cursor means is the
//! store's business (a readdir cookie of the collection's entry directory, see
//! `store::dirscan`); to the client it is an opaque number, 0 to start and 0 at the end.

use bytes::Bytes;

use super::Args;
use crate::error::{Error, Result};
use crate::glob;
use crate::protocol::Reply;

/// Elements read per call when COUNT is not given, as in Redis.
const DEFAULT_COUNT: usize = 10;

/// Reads the cursor as Redis's `strtoul` does: digits with an optional sign (a minus wraps
/// around), no leading space, nothing after; larger than 64 bits is an error.
pub fn parse(args: &mut Args) -> Result<u64> {
    let text = args.bytes()?;
    let invalid = || Error::reply("ERR invalid cursor");
    let (negative, digits) = match text.first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        // strtoul("") converts nothing and stops at the end: cursor 0.
        _ => (false, &text[..]),
    };
    if digits.is_empty() && !text.is_empty() {
        return Err(invalid());
    }
    let mut value: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return Err(invalid());
        }
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(c - b'0')))
            .ok_or_else(invalid)?;
    }
    Ok(if negative {
        value.wrapping_neg()
    } else {
        value
    })
}

/// MATCH and COUNT, as given after the cursor.
pub struct Options {
    pattern: Option<Bytes>,
    pub count: usize,
}

impl Options {
    pub fn parse(args: &mut Args) -> Result<Options> {
        let mut options = Options {
            pattern: None,
            count: DEFAULT_COUNT,
        };
        while !args.is_empty() {
            if args.remaining() >= 2 && args.eat("COUNT") {
                let count = args.int()?;
                if count < 1 {
                    return Err(Error::syntax());
                }
                options.count = usize::try_from(count).unwrap_or(usize::MAX);
            } else if args.remaining() >= 2 && args.eat("MATCH") {
                let pattern = args.bytes()?;
                options.pattern = (&pattern[..] != b"*").then_some(pattern);
            } else {
                return Err(Error::syntax());
            }
        }
        Ok(options)
    }

    /// Does an element's name pass MATCH?
    pub fn matches(&self, name: &[u8]) -> bool {
        self.pattern
            .as_ref()
            .is_none_or(|pattern| glob::matches(pattern, name))
    }
}

/// The reply of a scan call: the next cursor (as a string) and the elements.
pub fn reply(next: u64, elements: Vec<Reply>) -> Reply {
    Reply::Array(vec![Reply::bulk(next.to_string()), Reply::Array(elements)])
}
