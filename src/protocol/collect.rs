//! Aggregate replies of any size with bounded memory.
//!
//! SMEMBERS, HGETALL or LRANGE 0 -1 on a collection of millions of elements would otherwise
//! hold every element twice: as a `Reply` tree, then encoded. A [`Collector`] gathers the
//! elements as the handler reads them; while their payload stays under [`SPOOL_THRESHOLD`]
//! they stay in memory as an ordinary reply, past it they are encoded (in the connection's
//! protocol) into an unnamed temp file in the data directory's `tmp/`, and the reply becomes
//! a header followed by that file, streamed to the socket as a large value is.

use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;

use super::reply::{encode, Chunk, Reply, StoredValue};

/// Payload bytes kept in memory before a reply goes to a temp file.
pub const SPOOL_THRESHOLD: usize = 1 << 20;

/// The aggregate a collector builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregate {
    Array,
    /// RESP3 set; an array in RESP2.
    Set,
    /// RESP3 map; a flat array in RESP2 (elements pushed as key, value, key, value...).
    Map,
    /// WITHSCORES pairs: a flat array in RESP2, an array of two-element arrays in RESP3.
    Pairs,
}

/// An aggregate reply encoded into a file: its header is written when it is sent.
#[derive(Debug)]
pub struct Spooled {
    pub kind: Aggregate,
    /// Elements, counting each half of a pair.
    pub elements: usize,
    pub body: StoredValue,
}

/// Builds an aggregate reply element by element; see the module's documentation.
pub struct Collector<'a> {
    kind: Aggregate,
    resp3: bool,
    tmp: &'a Path,
    items: Vec<Reply>,
    held: usize,
    spool: Option<BufWriter<File>>,
    elements: usize,
    /// Payload bytes held in memory before spooling.
    threshold: usize,
}

impl<'a> Collector<'a> {
    /// A collector for a client speaking RESP3 (`resp3`) or RESP2, spooling into `tmp`.
    pub fn new(kind: Aggregate, resp3: bool, tmp: &'a Path) -> Collector<'a> {
        Collector {
            kind,
            resp3,
            tmp,
            items: Vec::new(),
            held: 0,
            spool: None,
            elements: 0,
            threshold: SPOOL_THRESHOLD,
        }
    }

    /// Never spools: for replies read by a script, which needs them whole.
    pub fn in_memory(mut self) -> Collector<'a> {
        self.threshold = usize::MAX;
        self
    }

    /// Adds an element (for a map or pairs: a key, then its value).
    pub fn push(&mut self, item: Reply) -> io::Result<()> {
        let opens_pair = self.opens_pair(self.elements);
        self.elements += 1;
        if let Some(spool) = &mut self.spool {
            return write_item(spool, item, self.resp3, opens_pair);
        }
        self.held += weight(&item);
        self.items.push(item);
        if self.held > self.threshold {
            let mut spool = BufWriter::new(tempfile::tempfile_in(self.tmp)?);
            for (i, item) in std::mem::take(&mut self.items).into_iter().enumerate() {
                write_item(&mut spool, item, self.resp3, self.opens_pair(i))?;
            }
            self.spool = Some(spool);
        }
        Ok(())
    }

    /// Whether element `i` starts a RESP3 pair (`*2` before it).
    fn opens_pair(&self, i: usize) -> bool {
        self.kind == Aggregate::Pairs && self.resp3 && i.is_multiple_of(2)
    }

    /// The reply: in memory when small, a spooled one otherwise.
    pub fn finish(self) -> io::Result<Reply> {
        let Some(spool) = self.spool else {
            let items = self.items;
            return Ok(match self.kind {
                Aggregate::Array => Reply::Array(items),
                Aggregate::Set => Reply::Set(items),
                Aggregate::Map => Reply::Map(pairs(items)),
                Aggregate::Pairs => Reply::Pairs(pairs(items)),
            });
        };
        let mut file = spool.into_inner().map_err(|e| e.into_error())?;
        let len = file.stream_position()?;
        file.seek(SeekFrom::Start(0))?;
        Ok(Reply::Spooled(Spooled {
            kind: self.kind,
            elements: self.elements,
            body: StoredValue { file, len },
        }))
    }
}

/// Roughly the memory an element holds: its payload (a streamed value counts its length,
/// which is what spooling it costs, so a few large values go to the file at once).
fn weight(item: &Reply) -> usize {
    16 + match item {
        Reply::Bulk(b) | Reply::Verbatim(b) => b.len(),
        Reply::Stored(value) => value.len as usize,
        _ => 0,
    }
}

fn pairs(items: Vec<Reply>) -> Vec<(Reply, Reply)> {
    let mut items = items.into_iter();
    let mut pairs = Vec::with_capacity(items.len() / 2);
    while let (Some(a), Some(b)) = (items.next(), items.next()) {
        pairs.push((a, b));
    }
    pairs
}

/// Encodes one element into the spool file; a streamed value is copied file to file.
fn write_item(
    spool: &mut BufWriter<File>,
    item: Reply,
    resp3: bool,
    opens_pair: bool,
) -> io::Result<()> {
    if opens_pair {
        spool.write_all(b"*2\r\n")?;
    }
    let mut chunks = Vec::new();
    encode(item, resp3, &mut chunks);
    for chunk in chunks {
        match chunk {
            Chunk::Bytes(bytes) => spool.write_all(&bytes)?,
            Chunk::File(mut value) => {
                let copied = io::copy(&mut (&mut value.file).take(value.len), spool)?;
                if copied != value.len {
                    return Err(io::ErrorKind::UnexpectedEof.into());
                }
            }
        }
    }
    Ok(())
}

/// The header of a spooled aggregate.
pub(super) fn spooled_header(kind: Aggregate, elements: usize, resp3: bool) -> (u8, usize) {
    match (kind, resp3) {
        (Aggregate::Set, true) => (b'~', elements),
        (Aggregate::Map, true) => (b'%', elements / 2),
        (Aggregate::Pairs, true) => (b'*', elements / 2),
        _ => (b'*', elements),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    /// The bytes a reply puts on the wire, files included.
    fn wire(reply: Reply, resp3: bool) -> Vec<u8> {
        let mut out = Vec::new();
        encode(reply, resp3, &mut out);
        let mut bytes = Vec::new();
        for chunk in out {
            match chunk {
                Chunk::Bytes(b) => bytes.extend_from_slice(&b),
                Chunk::File(mut v) => {
                    v.file.read_to_end(&mut bytes).unwrap();
                }
            }
        }
        bytes
    }

    fn collect(kind: Aggregate, resp3: bool, n: usize, size: usize) -> Reply {
        let dir = tempfile::tempdir().unwrap();
        let mut collector = Collector::new(kind, resp3, dir.path());
        for i in 0..n {
            let mut item = format!("{i:0size$}").into_bytes();
            item.truncate(size.max(1));
            collector.push(Reply::Bulk(Bytes::from(item))).unwrap();
        }
        collector.finish().unwrap()
    }

    #[test]
    fn spooled_replies_encode_as_the_replies_held_in_memory() {
        let big = SPOOL_THRESHOLD / 100 + 1001; // even: whole pairs
        for kind in [
            Aggregate::Array,
            Aggregate::Set,
            Aggregate::Map,
            Aggregate::Pairs,
        ] {
            for resp3 in [false, true] {
                let spooled = collect(kind, resp3, big, 100);
                assert!(matches!(spooled, Reply::Spooled(_)), "{kind:?} spools");
                // The same elements below the threshold, built in memory.
                let mut items: Vec<Reply> = (0..big)
                    .map(|i| Reply::Bulk(Bytes::from(format!("{i:0100}").into_bytes())))
                    .collect();
                let in_memory = match kind {
                    Aggregate::Array => Reply::Array(items),
                    Aggregate::Set => Reply::Set(items),
                    Aggregate::Map => Reply::Map(pairs(std::mem::take(&mut items))),
                    Aggregate::Pairs => Reply::Pairs(pairs(std::mem::take(&mut items))),
                };
                assert_eq!(
                    wire(spooled, resp3),
                    wire(in_memory, resp3),
                    "{kind:?} {resp3}"
                );
            }
        }
    }

    #[test]
    fn small_replies_stay_in_memory() {
        assert!(matches!(
            collect(Aggregate::Array, false, 10, 5),
            Reply::Array(items) if items.len() == 10
        ));
    }
}
