//! The manifest of a snapshot: what it holds, file by file.
//!
//! Plain text, so that `aws s3 cp .../manifest -` shows it. A header of `name value` lines,
//! an empty line, then one line per file, in the order of a depth-first walk with each
//! directory's entries sorted by name (the order [`std::path::Path`] compares paths in):
//!
//! ```text
//! dredis-snapshot 1
//! id 20261204T153012.123Z
//! instant-ms 1796398212123
//! format dredis-fs 1
//! files 3
//! bytes 27
//! uploaded-files 1
//! uploaded-bytes 11
//!
//! <sha256 hex> <size> <id of the snapshot holding the object> <stamp> <path>
//! ```
//!
//! The stamp (`<inode>:<mtime ns>`) lets the next snapshot of the same directory take a file
//! as unchanged without reading it. Paths are the data directory's own names, which are
//! printable ASCII without spaces (see docs/on-disk-format.md).

use std::cmp::Ordering;
use std::io::{self, BufRead, Write};
use std::path::Path;

/// The first line of every manifest.
pub const MAGIC: &str = "dredis-snapshot 1";

/// What the header of a manifest says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Header {
    pub id: String,
    /// The instant the snapshot shows, in milliseconds since the Unix epoch.
    pub instant_ms: u64,
    /// The data directory's format (`dredis-fs 1`).
    pub format: String,
    pub files: u64,
    pub bytes: u64,
    /// Files (and their bytes) this snapshot uploaded; the others were already there.
    pub uploaded_files: u64,
    pub uploaded_bytes: u64,
}

/// One file of a snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub sha256: String,
    pub size: u64,
    /// The snapshot whose `files/` holds this content.
    pub holder: String,
    pub stamp: String,
    pub path: String,
}

impl Header {
    pub fn write(&self, out: &mut impl Write) -> io::Result<()> {
        writeln!(out, "{MAGIC}")?;
        writeln!(out, "id {}", self.id)?;
        writeln!(out, "instant-ms {}", self.instant_ms)?;
        writeln!(out, "format {}", self.format)?;
        writeln!(out, "files {}", self.files)?;
        writeln!(out, "bytes {}", self.bytes)?;
        writeln!(out, "uploaded-files {}", self.uploaded_files)?;
        writeln!(out, "uploaded-bytes {}", self.uploaded_bytes)?;
        writeln!(out)
    }

    /// Reads a header, up to and including its empty line.
    pub fn read(input: &mut impl BufRead) -> io::Result<Header> {
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            if input.read_line(&mut line)? == 0 {
                return Err(invalid("the manifest ends inside its header"));
            }
            let line = line.trim_end_matches('\n');
            if line.is_empty() {
                break;
            }
            lines.push(line.to_string());
        }
        if lines.first().map(String::as_str) != Some(MAGIC) {
            return Err(invalid(format!(
                "not a dredis snapshot manifest (it should start with {MAGIC:?})"
            )));
        }
        let mut header = Header::default();
        for line in &lines[1..] {
            let (name, value) = line.split_once(' ').unwrap_or((line, ""));
            let number = || {
                value
                    .parse::<u64>()
                    .map_err(|_| invalid(format!("bad header line {line:?}")))
            };
            match name {
                "id" => header.id = value.to_string(),
                "instant-ms" => header.instant_ms = number()?,
                "format" => header.format = value.to_string(),
                "files" => header.files = number()?,
                "bytes" => header.bytes = number()?,
                "uploaded-files" => header.uploaded_files = number()?,
                "uploaded-bytes" => header.uploaded_bytes = number()?,
                _ => {} // room for later versions
            }
        }
        Ok(header)
    }
}

impl Entry {
    pub fn write(&self, out: &mut impl Write) -> io::Result<()> {
        let Entry {
            sha256,
            size,
            holder,
            stamp,
            path,
        } = self;
        writeln!(out, "{sha256} {size} {holder} {stamp} {path}")
    }

    /// Parses one entry line (without its newline).
    pub fn parse(line: &str) -> io::Result<Entry> {
        let bad = || invalid(format!("bad manifest entry {line:?}"));
        let mut parts = line.splitn(5, ' ');
        let mut next = || parts.next().filter(|p| !p.is_empty()).ok_or_else(bad);
        let (sha256, size, holder, stamp, path) = (next()?, next()?, next()?, next()?, next()?);
        if sha256.len() != 64
            || !sha256.bytes().all(|b| b.is_ascii_hexdigit())
            || !is_safe_path(path)
        {
            return Err(bad());
        }
        Ok(Entry {
            sha256: sha256.to_string(),
            size: size.parse().map_err(|_| bad())?,
            holder: holder.to_string(),
            stamp: stamp.to_string(),
            path: path.to_string(),
        })
    }
}

/// Reads the entries of a manifest after its header.
pub fn entries(input: impl BufRead) -> impl Iterator<Item = io::Result<Entry>> {
    input.lines().map(|line| Entry::parse(&line?))
}

/// Whether `path` can be a manifest path: relative, printable ASCII without spaces, no `.`
/// or `..` or empty component. Everything the data directory's format writes qualifies.
pub fn is_safe_path(path: &str) -> bool {
    !path.is_empty()
        && path.bytes().all(|b| b.is_ascii_graphic())
        && path.split('/').all(|part| !matches!(part, "" | "." | ".."))
}

/// The order of entries in a manifest (depth first, names sorted).
pub fn walk_order(a: &str, b: &str) -> Ordering {
    Path::new(a).cmp(Path::new(b))
}

fn invalid(message: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_and_entries_round_trip() {
        let header = Header {
            id: "20261204T153012.123Z".into(),
            instant_ms: 1_796_398_212_123,
            format: "dredis-fs 1".into(),
            files: 1,
            bytes: 5,
            uploaded_files: 1,
            uploaded_bytes: 5,
        };
        let entry = Entry {
            sha256: "a".repeat(64),
            size: 5,
            holder: header.id.clone(),
            stamp: "12:345".into(),
            path: "0/1871/a%20b#1/type".into(),
        };
        let mut text = Vec::new();
        header.write(&mut text).unwrap();
        entry.write(&mut text).unwrap();
        let mut input = io::Cursor::new(text);
        assert_eq!(Header::read(&mut input).unwrap(), header);
        let read: Vec<Entry> = entries(input).collect::<io::Result<_>>().unwrap();
        assert_eq!(read, vec![entry]);
    }

    #[test]
    fn entries_that_could_leave_the_directory_are_refused() {
        for path in ["../x", "a/../b", "/etc/passwd", "a//b", "a b", "a/./b"] {
            let line = format!("{} 1 id 0:0 {path}", "0".repeat(64));
            assert!(Entry::parse(&line).is_err(), "{path}");
        }
    }

    #[test]
    fn walk_order_is_depth_first() {
        let mut paths = vec!["a.b", "a/z", "a", "a/b/c", "0/1871/k/type"];
        paths.sort_by(|a, b| walk_order(a, b));
        assert_eq!(paths, ["0/1871/k/type", "a", "a/b/c", "a/z", "a.b"]);
    }
}
