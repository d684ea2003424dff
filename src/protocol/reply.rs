//! Replies: what command handlers return, and their encoding for RESP2 or RESP3.
//!
//! Handlers build a [`Reply`] without caring about the protocol version. [`encode`] turns it
//! into bytes: scalars are redis-protocol frames encoded by redis-protocol; aggregate headers,
//! RESP2's null array and Redis's double text are written here because redis-protocol has no
//! form for them. A value read from a large file is not copied into the reply: it becomes a
//! [`Chunk::File`] that the connection streams from the file.

use std::borrow::Cow;

use bytes::{Bytes, BytesMut};
use redis_protocol::resp2::encode::extend_encode_borrowed as encode2;
use redis_protocol::resp2::types::BorrowedFrame as Frame2;
use redis_protocol::resp3::encode::complete::extend_encode_borrowed as encode3;
use redis_protocol::resp3::types::{BorrowedFrame as Frame3, VerbatimStringFormat};

use super::collect::{spooled_header, Spooled};
use crate::number::format_f64;

/// A stored value to be sent straight from its file: `len` bytes from the file's current
/// position.
#[derive(Debug)]
pub struct StoredValue {
    pub file: std::fs::File,
    pub len: u64,
}

/// A reply, independent of the protocol version.
#[derive(Debug)]
pub enum Reply {
    /// `+OK`
    Status(Cow<'static, str>),
    /// `-ERR ...`: the text after the dash, starting with the error code.
    Error(Cow<'static, str>),
    Int(i64),
    Bulk(Bytes),
    /// A bulk streamed from a file.
    Stored(StoredValue),
    /// RESP2 `$-1`, RESP3 `_`.
    Nil,
    /// RESP2 `*-1`, RESP3 `_`.
    NilArray,
    Array(Vec<Reply>),
    /// RESP3 map; a flat array in RESP2.
    Map(Vec<(Reply, Reply)>),
    /// Ordered pairs (WITHSCORES replies): a flat array in RESP2, an array of two-element
    /// arrays in RESP3, as Redis sends them.
    Pairs(Vec<(Reply, Reply)>),
    /// RESP3 set; an array in RESP2.
    Set(Vec<Reply>),
    /// RESP3 double; a bulk string in RESP2.
    Double(f64),
    /// RESP3 verbatim text; a bulk string in RESP2.
    Verbatim(Bytes),
    /// RESP3 boolean; 1 or 0 in RESP2 (only scripts reply with one).
    Bool(bool),
    /// RESP3 big number; a bulk string in RESP2 (only scripts reply with one).
    BigNumber(Bytes),
    /// Out-of-band data (pub/sub messages): a RESP3 push frame, an array in RESP2.
    Push(Vec<Reply>),
    /// An aggregate too large for memory, encoded into a file (see `collect`).
    Spooled(Spooled),
    /// Several replies in a row, for the commands that answer with one frame per argument
    /// (SUBSCRIBE a b). Possibly none (a repeated MONITOR).
    Several(Vec<Reply>),
}

impl Reply {
    pub fn ok() -> Reply {
        Reply::Status(Cow::Borrowed("OK"))
    }

    pub fn bulk(data: impl Into<Bytes>) -> Reply {
        Reply::Bulk(data.into())
    }

    /// A bulk string, or nil when absent.
    pub fn bulk_or_nil(data: Option<impl Into<Bytes>>) -> Reply {
        data.map_or(Reply::Nil, |d| Reply::Bulk(d.into()))
    }
}

impl StoredValue {
    /// The whole value in memory, for the few readers that need it so (scripts).
    pub fn read_all(mut self) -> std::io::Result<Bytes> {
        use std::io::Read;
        let mut data = Vec::with_capacity(self.len as usize);
        (&mut self.file).take(self.len).read_to_end(&mut data)?;
        Ok(data.into())
    }
}

impl From<i64> for Reply {
    fn from(n: i64) -> Reply {
        Reply::Int(n)
    }
}

/// A piece of encoded output: bytes, or a file region to stream.
#[derive(Debug)]
pub enum Chunk {
    Bytes(Bytes),
    File(StoredValue),
}

/// Encodes `reply` for the given protocol version (2 or 3), appending to `out`.
pub fn encode(reply: Reply, resp3: bool, out: &mut Vec<Chunk>) {
    let mut buf = match out.pop() {
        Some(Chunk::Bytes(b)) => BytesMut::from(b),
        Some(file) => {
            out.push(file);
            BytesMut::new()
        }
        None => BytesMut::new(),
    };
    encode_into(reply, resp3, &mut buf, out);
    if !buf.is_empty() {
        out.push(Chunk::Bytes(buf.freeze()));
    }
}

fn header(buf: &mut BytesMut, kind: u8, len: usize) {
    buf.extend_from_slice(&[kind]);
    buf.extend_from_slice(itoa(len as i64).as_bytes());
    buf.extend_from_slice(b"\r\n");
}

fn itoa(n: i64) -> String {
    n.to_string()
}

fn encode_into(reply: Reply, resp3: bool, buf: &mut BytesMut, out: &mut Vec<Chunk>) {
    match reply {
        Reply::Array(items) => array(b'*', items, resp3, buf, out),
        Reply::Push(items) => array(if resp3 { b'>' } else { b'*' }, items, resp3, buf, out),
        Reply::Several(replies) => {
            for reply in replies {
                encode_into(reply, resp3, buf, out);
            }
        }
        Reply::Set(items) => array(if resp3 { b'~' } else { b'*' }, items, resp3, buf, out),
        Reply::Map(pairs) => {
            if resp3 {
                header(buf, b'%', pairs.len());
            } else {
                header(buf, b'*', pairs.len() * 2);
            }
            for (k, v) in pairs {
                encode_into(k, resp3, buf, out);
                encode_into(v, resp3, buf, out);
            }
        }
        Reply::Pairs(pairs) => {
            header(buf, b'*', if resp3 { pairs.len() } else { pairs.len() * 2 });
            for (a, b) in pairs {
                if resp3 {
                    header(buf, b'*', 2);
                }
                encode_into(a, resp3, buf, out);
                encode_into(b, resp3, buf, out);
            }
        }
        Reply::Spooled(spooled) => {
            let (kind, len) = spooled_header(spooled.kind, spooled.elements, resp3);
            header(buf, kind, len);
            out.push(Chunk::Bytes(std::mem::take(buf).freeze()));
            out.push(Chunk::File(spooled.body));
        }
        Reply::Stored(value) => {
            header(buf, b'$', value.len as usize);
            out.push(Chunk::Bytes(std::mem::take(buf).freeze()));
            out.push(Chunk::File(value));
            buf.extend_from_slice(b"\r\n");
        }
        Reply::NilArray if !resp3 => buf.extend_from_slice(b"*-1\r\n"),
        Reply::Double(d) if resp3 => {
            buf.extend_from_slice(b",");
            buf.extend_from_slice(format_f64(d).as_bytes());
            buf.extend_from_slice(b"\r\n");
        }
        scalar if resp3 => scalar3(&scalar, buf),
        scalar => scalar2(&scalar, buf),
    }
}

fn array(kind: u8, items: Vec<Reply>, resp3: bool, buf: &mut BytesMut, out: &mut Vec<Chunk>) {
    header(buf, kind, items.len());
    for item in items {
        encode_into(item, resp3, buf, out);
    }
}

fn scalar2(reply: &Reply, buf: &mut BytesMut) {
    let text;
    let frame = match reply {
        Reply::Status(s) => Frame2::SimpleString(s.as_bytes()),
        Reply::Error(e) => Frame2::Error(e),
        Reply::Int(n) => Frame2::Integer(*n),
        Reply::Bulk(b) | Reply::Verbatim(b) | Reply::BigNumber(b) => Frame2::BulkString(b),
        Reply::Bool(b) => Frame2::Integer(i64::from(*b)),
        Reply::Nil | Reply::NilArray => Frame2::Null,
        Reply::Double(d) => {
            text = format_f64(*d);
            Frame2::BulkString(text.as_bytes())
        }
        _ => unreachable!("aggregates are encoded by encode_into"),
    };
    encode2(buf, &frame, false).expect("encoding into a growable buffer cannot fail");
}

fn scalar3(reply: &Reply, buf: &mut BytesMut) {
    let frame = match reply {
        Reply::Status(s) => Frame3::SimpleString {
            data: s.as_bytes(),
            attributes: None,
        },
        Reply::Error(e) => Frame3::SimpleError {
            data: e,
            attributes: None,
        },
        Reply::Int(n) => Frame3::Number {
            data: *n,
            attributes: None,
        },
        Reply::Bulk(b) => Frame3::BlobString {
            data: b,
            attributes: None,
        },
        Reply::Verbatim(b) => Frame3::VerbatimString {
            data: b,
            format: VerbatimStringFormat::Text,
            attributes: None,
        },
        Reply::Bool(b) => Frame3::Boolean {
            data: *b,
            attributes: None,
        },
        Reply::BigNumber(n) => Frame3::BigNumber {
            data: n,
            attributes: None,
        },
        Reply::Nil | Reply::NilArray => Frame3::Null,
        _ => unreachable!("aggregates and doubles are encoded by encode_into"),
    };
    encode3(buf, &frame, false).expect("encoding into a growable buffer cannot fail");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(reply: Reply, resp3: bool) -> String {
        let mut out = Vec::new();
        encode(reply, resp3, &mut out);
        out.into_iter()
            .map(|c| match c {
                Chunk::Bytes(b) => String::from_utf8_lossy(&b).into_owned(),
                Chunk::File(_) => "<file>".into(),
            })
            .collect()
    }

    #[test]
    fn resp2_shapes() {
        assert_eq!(wire(Reply::ok(), false), "+OK\r\n");
        assert_eq!(wire(Reply::Error("ERR x".into()), false), "-ERR x\r\n");
        assert_eq!(wire(Reply::Int(-3), false), ":-3\r\n");
        assert_eq!(wire(Reply::bulk("hi"), false), "$2\r\nhi\r\n");
        assert_eq!(wire(Reply::Nil, false), "$-1\r\n");
        assert_eq!(wire(Reply::NilArray, false), "*-1\r\n");
        assert_eq!(wire(Reply::Double(1.5), false), "$3\r\n1.5\r\n");
        assert_eq!(
            wire(Reply::Map(vec![(Reply::bulk("a"), Reply::Int(1))]), false),
            "*2\r\n$1\r\na\r\n:1\r\n"
        );
        assert_eq!(wire(Reply::Array(vec![]), false), "*0\r\n");
        assert_eq!(
            wire(
                Reply::Pairs(vec![(Reply::bulk("m"), Reply::Double(2.0))]),
                false
            ),
            "*2\r\n$1\r\nm\r\n$1\r\n2\r\n"
        );
    }

    #[test]
    fn resp3_shapes() {
        assert_eq!(wire(Reply::Nil, true), "_\r\n");
        assert_eq!(wire(Reply::Double(f64::INFINITY), true), ",inf\r\n");
        assert_eq!(
            wire(Reply::Map(vec![(Reply::bulk("a"), Reply::Int(1))]), true),
            "%1\r\n$1\r\na\r\n:1\r\n"
        );
        assert_eq!(
            wire(
                Reply::Pairs(vec![(Reply::bulk("m"), Reply::Double(2.0))]),
                true
            ),
            "*1\r\n*2\r\n$1\r\nm\r\n,2\r\n"
        );
        assert_eq!(
            wire(Reply::Set(vec![Reply::bulk("m")]), true),
            "~1\r\n$1\r\nm\r\n"
        );
        assert_eq!(
            wire(Reply::Verbatim(Bytes::from("x")), true),
            "=5\r\ntxt:x\r\n"
        );
    }

    #[test]
    fn pushes_and_several_replies() {
        let push = || Reply::Push(vec![Reply::bulk("message"), Reply::bulk("c"), Reply::Nil]);
        assert_eq!(
            wire(push(), true),
            ">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n_\r\n"
        );
        assert_eq!(
            wire(push(), false),
            "*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$-1\r\n"
        );
        let several = Reply::Several(vec![Reply::Int(1), Reply::ok()]);
        assert_eq!(wire(several, false), ":1\r\n+OK\r\n");
        assert_eq!(wire(Reply::Several(Vec::new()), true), "");
    }

    #[test]
    fn stored_values_become_file_chunks() {
        let file = tempfile::tempfile().unwrap();
        let reply = Reply::Array(vec![
            Reply::Int(1),
            Reply::Stored(StoredValue { file, len: 5 }),
        ]);
        assert_eq!(wire(reply, false), "*2\r\n:1\r\n$5\r\n<file>\r\n");
    }
}
