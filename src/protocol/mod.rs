//! The wire: requests in (a resumable parser of our own), replies out (frames encoded by
//! redis-protocol, RESP2 or RESP3 per connection).

mod collect;
#[cfg(test)]
mod fuzz;
mod reply;
mod request;

pub use collect::{Aggregate, Collector};
pub use reply::{encode, Chunk, Reply, StoredValue};
pub use request::{split_inline, Limits, Parsed, ProtocolError, RequestParser};

use bytes::Bytes;
use std::path::Path;

/// One argument of a request: in memory, or spilled to a temp file in the data directory
/// because it was too large to hold (see [`Parsed::Spill`]).
#[derive(Debug)]
pub enum Arg {
    Bytes(Bytes),
    Spilled(SpilledArg),
}

impl Arg {
    /// The bytes, when the argument is in memory.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Arg::Bytes(b) => Some(b),
            Arg::Spilled(_) => None,
        }
    }
}

/// A large argument held in a temp file under the data directory's `tmp/`. The file is removed
/// when this is dropped, unless a command has moved it into the store first.
#[derive(Debug)]
pub struct SpilledArg {
    pub path: tempfile::TempPath,
}

impl SpilledArg {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the whole argument into memory, for the rare command that needs the bytes.
    pub fn read(&self) -> std::io::Result<Bytes> {
        std::fs::read(&self.path).map(Bytes::from)
    }

    #[cfg(test)]
    pub fn for_test() -> Self {
        let file = tempfile::NamedTempFile::new().expect("temp file");
        SpilledArg {
            path: file.into_temp_path(),
        }
    }
}
