//! Atomic file replacement, and the temp and trash areas it works through.
//!
//! A visible file is never modified: new content is written to a file in `tmp/` and then
//! swapped into place with `renameat2(RENAME_EXCHANGE)`, so a reader (or a crash) sees the old
//! content or the new, never a mix. The swap leaves the old file at the temp path, and it is
//! kept for the next write instead of being deleted: on ext4, creating an inode costs far more
//! than reusing one (measured here: ~2-7k file creations/s against ~30k exchanges/s), and that
//! is what makes an overwrite cheap. The next write overwrites it from offset 0 and cuts it only
//! if it was longer, so a same-size overwrite costs no truncation. A recycled file is checked
//! when it is reused: one that is large (a reply may still be streaming from an open
//! descriptor of it) or has another link (a snapshot may hard-link files) is deleted instead.
//!
//! Whole directories (replaced keys, flushed databases) go to `trash/` by rename, and a
//! background thread deletes them, so DEL of a key with a million fields returns at once.
//!
//! Snapshots read every file through [`open_untouched`] and [`list_untouched`], which leave
//! access times as they were.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::{Condvar, Mutex};
use rustix::fs::{renameat_with, RenameFlags, CWD};

use super::batch::Value;

/// Files up to this size are recycled after being replaced, and read whole into replies.
pub const SMALL_FILE: u64 = 64 * 1024;

/// Most recycled empty files kept around.
const POOL_MAX: usize = 1024;

/// The `tmp/` area: unique temp names and the pool of recycled empty files.
pub struct Staging {
    dir: PathBuf,
    next: AtomicU64,
    pool: Mutex<Vec<PathBuf>>,
}

impl Staging {
    /// Empties `dir` (what a crash left there is garbage by construction) and takes it over.
    pub fn open(dir: PathBuf, trash: &Trash) -> io::Result<Staging> {
        if dir.exists() {
            trash.discard(&dir)?;
        }
        fs::create_dir(&dir)?;
        Ok(Staging {
            dir,
            next: AtomicU64::new(0),
            pool: Mutex::new(Vec::new()),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A fresh, unused path in `tmp/`.
    pub fn new_path(&self, prefix: &str) -> PathBuf {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        self.dir.join(format!("{prefix}{n}"))
    }

    /// A file from the recycled pool, cut to at most `len` bytes, if there is a usable one.
    /// (Not emptied: where the filesystem discards freed blocks, a truncation waits for the
    /// disk, up to half a second while a snapshot keeps it busy.)
    fn recycled(&self, len: usize) -> io::Result<Option<(PathBuf, File)>> {
        loop {
            let Some(path) = self.pool.lock().pop() else {
                return Ok(None);
            };
            let Ok(file) = OpenOptions::new().write(true).open(&path) else {
                continue;
            };
            let meta = file.metadata()?;
            if meta.nlink() == 1 && meta.len() <= SMALL_FILE {
                if meta.len() > len as u64 {
                    file.set_len(len as u64)?;
                }
                return Ok(Some((path, file)));
            }
            drop(file);
            let _ = fs::remove_file(&path);
        }
    }

    /// Writes `data` to a temp file (a recycled one when there is one) and returns its path.
    pub fn write(&self, data: &[u8]) -> io::Result<PathBuf> {
        let (path, mut file) = match self.recycled(data.len())? {
            Some(found) => found,
            None => {
                let path = self.new_path("f");
                let file = create_new(&path)?;
                (path, file)
            }
        };
        if let Err(e) = file.write_all(data) {
            // A full disk: the partial file must not keep its blocks.
            let _ = fs::remove_file(&path);
            return Err(e);
        }
        Ok(path)
    }

    /// A new temp file holding a copy of `value` (copied by the kernel when it is a file),
    /// open for reading and writing; it is deleted if dropped before being moved into place.
    pub fn copy_of(&self, value: &Value) -> io::Result<StagedFile> {
        let path = self.new_path("f");
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)?;
        let staged = StagedFile {
            path: tempfile::TempPath::try_from_path(path)?,
            file,
        };
        value.copy_into(&staged.file)?;
        Ok(staged)
    }

    /// Writes `data` as the file at `dest` (replacing it), inside a staged directory that
    /// nobody reads yet: a recycled file is moved there, or a new file is created there,
    /// which spares the rename that a visible file needs. Never into the old file's inode:
    /// it may have another link (a staged copy, see `Batch::content`).
    pub fn write_at(&self, dest: &Path, data: &[u8]) -> io::Result<()> {
        let mut file = match self.recycled(data.len())? {
            Some((path, file)) => {
                with_parent(dest, || fs::rename(&path, dest))?;
                file
            }
            None => with_parent(dest, || match create_new(dest) {
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    fs::remove_file(dest)?;
                    create_new(dest)
                }
                other => other,
            })?,
        };
        file.write_all(data)
    }

    /// Puts the staged file at `dest`, atomically replacing whatever file is there.
    pub fn install(&self, staged: &Path, dest: &Path) -> io::Result<()> {
        match renameat_with(CWD, staged, CWD, dest, RenameFlags::EXCHANGE) {
            Ok(()) => {
                self.recycle(staged);
                Ok(())
            }
            // Nothing to exchange with, or a filesystem without RENAME_EXCHANGE.
            Err(rustix::io::Errno::NOENT | rustix::io::Errno::INVAL) => {
                with_parent(dest, || fs::rename(staged, dest))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Drops the recycled files (start-up: after a recovery, some may be outside `tmp/`).
    pub fn forget_pool(&self) {
        self.pool.lock().clear();
    }

    /// Keeps a replaced file for reuse (checked when it is reused, see [`Staging::write`]).
    /// It stays where it is, in `tmp/` or `undo/` (see [`super::Store::end`]), until reused:
    /// a rename costs about as much as the write it saves.
    pub fn recycle(&self, path: &Path) {
        let mut pool = self.pool.lock();
        if pool.len() < POOL_MAX {
            pool.push(path.to_path_buf());
        } else {
            drop(pool);
            let _ = fs::remove_file(path);
        }
    }
}

/// A file made in `tmp/`, not visible yet.
pub struct StagedFile {
    pub path: tempfile::TempPath,
    pub file: File,
}

/// The `trash/` area and its reaper thread.
pub struct Trash {
    dir: PathBuf,
    next: AtomicU64,
    signal: Arc<(Mutex<TrashState>, Condvar)>,
}

#[derive(Default)]
struct TrashState {
    pending: bool,
    stop: bool,
    busy: bool,
}

impl Trash {
    /// Opens `dir` and starts deleting whatever is in it, in the background.
    pub fn open(dir: PathBuf) -> io::Result<Trash> {
        fs::create_dir_all(&dir)?;
        let signal = Arc::new((
            Mutex::new(TrashState {
                pending: true,
                ..Default::default()
            }),
            Condvar::new(),
        ));
        let reaper_dir = dir.clone();
        let reaper_signal = signal.clone();
        std::thread::Builder::new()
            .name("dredis-trash".into())
            .spawn(move || reap(&reaper_dir, &reaper_signal))?;
        Ok(Trash {
            dir,
            next: AtomicU64::new(0),
            signal,
        })
    }

    /// Moves `path` (a file or a whole directory) out of sight, to be deleted later.
    pub fn discard(&self, path: &Path) -> io::Result<()> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        match fs::rename(path, self.dir.join(format!("{nanos:x}-{n}"))) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            other => other?,
        }
        let (state, wake) = &*self.signal;
        state.lock().pending = true;
        wake.notify_one();
        Ok(())
    }

    pub fn stop(&self) {
        let (state, wake) = &*self.signal;
        state.lock().stop = true;
        wake.notify_all();
    }
}

fn reap(dir: &Path, signal: &(Mutex<TrashState>, Condvar)) {
    let (state, wake) = signal;
    loop {
        {
            let mut s = state.lock();
            while !s.pending && !s.stop {
                wake.wait(&mut s);
            }
            if s.stop {
                return;
            }
            s.pending = false;
            s.busy = true;
        }
        if let Ok(entries) = fs::read_dir(dir) {
            for entry in entries.flatten() {
                let path = entry.path();
                let result = if entry.file_type().is_ok_and(|t| t.is_dir()) {
                    fs::remove_dir_all(&path)
                } else {
                    fs::remove_file(&path)
                };
                if let Err(e) = result {
                    tracing::warn!("could not delete {}: {e}", path.display());
                }
                if state.lock().stop {
                    return;
                }
            }
        }
        state.lock().busy = false;
        wake.notify_all();
    }
}

fn create_new(path: &Path) -> io::Result<File> {
    OpenOptions::new().write(true).create_new(true).open(path)
}

/// Runs `op`, which creates `path`; if the parent directory is missing (an entry directory
/// such as `fields/` is made lazily), creates it and runs `op` again.
pub fn with_parent<T>(path: &Path, mut op: impl FnMut() -> io::Result<T>) -> io::Result<T> {
    match op() {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            fs::create_dir_all(path.parent().expect("paths inside the data directory"))?;
            op()
        }
        other => other,
    }
}

/// Replaces the file at `dest` with `data`, durably and atomically: a temp file in
/// `temp_dir` (on the same filesystem) is written, fsynced and renamed over `dest`, then
/// `dest`'s directory is fsynced. A crash leaves the old content or the new, and at worst a
/// stray temp file in `temp_dir`.
pub fn write_durably(dest: &Path, temp_dir: &Path, data: &[u8]) -> io::Result<()> {
    let mut staged = tempfile::NamedTempFile::new_in(temp_dir)?;
    staged.write_all(data)?;
    staged.as_file().sync_all()?;
    staged.persist(dest).map_err(|e| e.error)?;
    let dir = dest.parent().filter(|d| !d.as_os_str().is_empty());
    sync_dir(dir.unwrap_or(Path::new(".")))
}

/// Makes a directory's entries (new names, renames) durable.
pub fn sync_dir(path: &Path) -> io::Result<()> {
    File::open(path)?.sync_all()
}

/// Opens `path` to read it without updating its access time, as a snapshot reads every file:
/// with `relatime`, the first read of a file since it was written dirties its inode, and a
/// million of those are a million inode writes competing with the clients' commits. Falls
/// back to a plain open where the flag is refused (a file of another user).
pub fn open_untouched(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let noatime = rustix::fs::OFlags::NOATIME.bits() as i32;
    match OpenOptions::new()
        .read(true)
        .custom_flags(noatime)
        .open(path)
    {
        Err(e) if e.raw_os_error() == Some(rustix::io::Errno::PERM.raw_os_error()) => {
            File::open(path)
        }
        other => other,
    }
}

/// The names in directory `dir`, none when it is missing, listed without updating its access
/// time (see [`open_untouched`]).
pub fn list_untouched(dir: &Path) -> io::Result<Vec<std::ffi::OsString>> {
    use std::os::unix::ffi::OsStringExt;
    let dir = match open_untouched(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        other => other?,
    };
    let mut names = Vec::new();
    for entry in rustix::fs::Dir::read_from(&dir)? {
        let name = entry?.file_name().to_bytes().to_vec();
        if name != b"." && name != b".." {
            names.push(std::ffi::OsString::from_vec(name));
        }
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use std::fs::FileTimes;
    use std::io::Read;
    use std::time::{Duration, SystemTime};

    use super::*;

    #[test]
    fn untouched_reads_and_listings_leave_access_times_as_they_were() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        fs::write(&path, b"data").unwrap();
        // Older than the modification: the first plain read would update it (relatime).
        let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        for target in [&path, &dir.path().to_path_buf()] {
            let times = FileTimes::new().set_accessed(old);
            File::open(target).unwrap().set_times(times).unwrap();
        }
        let mut data = Vec::new();
        open_untouched(&path)
            .unwrap()
            .read_to_end(&mut data)
            .unwrap();
        assert_eq!(data, b"data");
        assert_eq!(list_untouched(dir.path()).unwrap(), ["f"]);
        assert_eq!(fs::metadata(&path).unwrap().accessed().unwrap(), old);
        assert_eq!(fs::metadata(dir.path()).unwrap().accessed().unwrap(), old);
        assert!(list_untouched(&dir.path().join("missing"))
            .unwrap()
            .is_empty());
    }
}
