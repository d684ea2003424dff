//! Entry directories read through their readdir cookies: stable scan cursors and random
//! picks that read a few entries, however big the directory.
//!
//! A directory stream's position is an opaque 64-bit cookie (`d_off`, what `telldir` returns):
//! every entry read carries the cookie of the position just after it, and seeking to a cookie
//! resumes reading there. On the filesystems dredis runs on, a cookie names a place in the
//! directory, not a count of entries before it, so it stays valid while other entries come
//! and go:
//!
//! - ext4 with `dir_index` (the default) reads a directory in the order of its name hashes,
//!   and the cookie of a position is the hash of the name found there, `(major >> 1) << 32 |
//!   minor` in the form a 64-bit process gets: 63 bits at most. The end of the directory is
//!   `0x7fff_ffff_ffff_ffff` (`EXT4_HTREE_EOF_64BIT`), above every hash, and it is also what
//!   `lseek(SEEK_END)` answers. Seeking to any value reads the names whose hash is at or after
//!   it. (A directory without an index is read by byte offset, which is stable as well.)
//! - xfs and btrfs: offsets in the directory's data, or index numbers, kept for an entry's
//!   life. tmpfs since Linux 6.6: an offset given to each entry when it is created.
//!
//! This gives:
//!
//! - a scan cursor: the cookie after the last entry returned ([`EntryDir::scan`]). A name
//!   present from the first call to the last is returned once (twice only if it shares its
//!   63-bit hash with a name read just before the cut); names added or removed meanwhile may
//!   or may not be. Memory is one buffer of entries, whatever the directory's size.
//! - a random pick ([`EntryDir::pick`]): seek to a random cookie below the end position and
//!   take one of the next [`WINDOW`] names. On ext4 a name's chance of being the first one read
//!   is proportional to the hash gap before it; choosing among the next few evens that out.
//!   Where the end position is unknown (tmpfs refuses `SEEK_END`), there is no pick and the
//!   caller lists the directory instead.

use std::ffi::{CStr, CString};
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use bytes::Bytes;
use rustix::fs::{Dir, Mode, OFlags, SeekFrom};
use rustix::io::Errno;

use super::batch::Value;
use super::files::SMALL_FILE;

/// Names read after a random seek, among which a pick is made.
pub const WINDOW: usize = 16;

/// An open directory of entries (a hash's `fields/`, a set's `members/`...).
pub struct EntryDir {
    dir: Dir,
}

/// A name read from the directory, with the cookie of the position after it.
pub struct Found {
    pub name: CString,
    pub next: u64,
}

impl EntryDir {
    /// Opens the directory at `path`; None when there is none.
    pub fn open(path: &Path) -> io::Result<Option<EntryDir>> {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        match rustix::fs::open(path, flags, Mode::empty()) {
            Ok(fd) => Ok(Some(EntryDir { dir: Dir::new(fd)? })),
            Err(Errno::NOENT) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The next entry, `.` and `..` left out; None at the end.
    pub fn next(&mut self) -> io::Result<Option<Found>> {
        loop {
            let Some(entry) = self.dir.read() else {
                return Ok(None);
            };
            let entry = entry?;
            let name = entry.file_name();
            if name == c"." || name == c".." {
                continue;
            }
            return Ok(Some(Found {
                name: name.to_owned(),
                // Cookies are non-negative: ext4's fit in 63 bits, others are smaller.
                next: entry.offset() as u64,
            }));
        }
    }

    /// Continues reading at a cookie (0: the start).
    pub fn seek(&mut self, cookie: u64) -> io::Result<()> {
        let cookie = i64::try_from(cookie).map_err(|_| io::Error::from(Errno::INVAL))?;
        self.dir.seek(cookie)?;
        Ok(())
    }

    /// Up to `count` names from the position `cursor` (0: the start), and the cursor to
    /// continue from, 0 when the directory is done. Reading goes on past `count` while the
    /// position has not moved from `cursor`, so that names sharing a cookie cannot make a scan
    /// stand still.
    pub fn scan(&mut self, cursor: u64, count: usize) -> io::Result<(Vec<CString>, u64)> {
        self.seek(cursor)?;
        let (mut names, mut position) = (Vec::with_capacity(count), cursor);
        while let Some(found) = self.next()? {
            if names.len() >= count && position != cursor {
                return Ok((names, position));
            }
            names.push(found.name);
            position = found.next;
        }
        Ok((names, 0))
    }

    /// The cookie of the end of the directory, if the filesystem tells it.
    fn end(&self) -> io::Result<Option<u64>> {
        match rustix::fs::seek(self.dir.fd()?, SeekFrom::End(0)) {
            Ok(end) if end > 0 => Ok(Some(end)),
            Ok(_) | Err(Errno::INVAL) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// A random name: one of the [`WINDOW`] names after a random cookie (going on from the
    /// start when the end comes first). None when the directory is empty, or when its
    /// cookies' range is unknown (the caller lists the directory instead).
    pub fn pick(&mut self) -> io::Result<Option<CString>> {
        let Some(end) = self.end()? else {
            return Ok(None);
        };
        self.seek(fastrand::u64(..end))?;
        let mut window = Vec::with_capacity(WINDOW);
        let mut wrapped = false;
        while window.len() < WINDOW {
            match self.next()? {
                Some(found) => window.push(found.name),
                None if wrapped || window.len() == WINDOW => break,
                None => {
                    wrapped = true;
                    self.seek(0)?;
                }
            }
        }
        Ok((!window.is_empty()).then(|| window.swap_remove(fastrand::usize(..window.len()))))
    }

    /// Reads a file of the directory: in memory when small, as an open file when large.
    pub fn read(&self, name: &CStr) -> io::Result<Option<Value>> {
        let flags = OFlags::RDONLY | OFlags::CLOEXEC;
        let mut file = match rustix::fs::openat(self.dir.fd()?, name, flags, Mode::empty()) {
            Ok(fd) => File::from(fd),
            Err(Errno::NOENT) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let len = file.metadata()?.len();
        if len > SMALL_FILE {
            return Ok(Some(Value::File {
                file,
                start: 0,
                len,
            }));
        }
        let mut buf = Vec::with_capacity(len as usize);
        file.read_to_end(&mut buf)?;
        Ok(Some(Value::Bytes(Bytes::from(buf))))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeSet, HashMap};
    use std::fs;

    use super::*;

    fn names(dir: &Path) -> BTreeSet<String> {
        fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect()
    }

    fn fill(dir: &Path, range: std::ops::Range<usize>) {
        for i in range {
            fs::write(dir.join(format!("m{i}")), b"").unwrap();
        }
    }

    #[test]
    fn a_scan_returns_every_name_present_throughout_while_others_come_and_go() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        fill(dir, 0..3000);
        let steady: BTreeSet<String> = (0..3000)
            .filter(|i| i % 3 != 0)
            .map(|i| format!("m{i}"))
            .collect();
        let (mut seen, mut cursor, mut calls, mut churn) = (BTreeSet::new(), 0, 0, 3000);
        loop {
            let mut entries = EntryDir::open(dir).unwrap().unwrap();
            let (names, next) = entries.scan(cursor, 100).unwrap();
            seen.extend(names.into_iter().map(|n| n.into_string().unwrap()));
            cursor = next;
            calls += 1;
            // Between calls: every third original name goes, new names arrive.
            for i in (calls * 100..calls * 100 + 100).filter(|i| i % 3 == 0 && *i < 3000) {
                fs::remove_file(dir.join(format!("m{i}"))).unwrap();
            }
            fill(dir, churn..churn + 50);
            churn += 50;
            if cursor == 0 {
                break;
            }
        }
        assert!(
            steady.is_subset(&seen),
            "missed {:?}",
            steady.difference(&seen).next()
        );
        assert!(calls >= 30, "{calls} calls for 3000 names, 100 at a time");
    }

    #[test]
    fn a_scan_of_an_empty_directory_ends_at_once() {
        let tmp = tempfile::tempdir().unwrap();
        let mut entries = EntryDir::open(tmp.path()).unwrap().unwrap();
        assert_eq!(entries.scan(0, 10).unwrap(), (Vec::new(), 0));
        assert!(EntryDir::open(&tmp.path().join("missing"))
            .unwrap()
            .is_none());
    }

    #[test]
    fn picks_reach_every_name() {
        let tmp = tempfile::tempdir().unwrap();
        fill(tmp.path(), 0..200);
        let mut entries = EntryDir::open(tmp.path()).unwrap().unwrap();
        if entries.end().unwrap().is_none() {
            return; // a filesystem without an end position (tmpfs): callers list instead
        }
        let mut hits: HashMap<String, usize> = HashMap::new();
        for _ in 0..20_000 {
            let name = entries.pick().unwrap().unwrap();
            *hits.entry(name.into_string().unwrap()).or_default() += 1;
        }
        assert_eq!(hits.len(), names(tmp.path()).len());
        // 100 per name on average; the window keeps every name well away from 0.
        assert!(hits.values().all(|&n| n >= 20), "{:?}", hits.values().min());
    }

    #[test]
    fn files_are_read_through_the_directory() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("f"), b"value").unwrap();
        let entries = EntryDir::open(tmp.path()).unwrap().unwrap();
        let Some(Value::Bytes(content)) = entries.read(c"f").unwrap() else {
            panic!("a small file is read into memory")
        };
        assert_eq!(&content[..], b"value");
        assert!(entries.read(c"nothing").unwrap().is_none());
    }
}
