//! Taking a snapshot: uploads a tree that does not change meanwhile (a server's image, or the
//! directory of a stopped server) and writes its manifest.
//!
//! The tree is listed first (sizes and stamps only) into a temp file, so that progress knows
//! the totals and memory does not grow with the number of files. The listing and the previous
//! snapshot's manifest are in the same order, so one pass over both finds, for each file, what
//! the previous snapshot held at that path: the same size and stamp means the same file, the
//! same size and checksum means the same content, and either way nothing is uploaded.
//! Files and directories are read without updating their access time, and empty files
//! (expiry markers, set members) are not read at all.
//! Files up to [`PART`] are read whole; larger ones are streamed as multipart uploads of
//! [`PART`]-sized parts, a few at a time, so memory stays bounded whatever the file sizes.

use std::fs;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Seek, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use futures::{stream, StreamExt};
use object_store::{ObjectStoreExt, WriteMultipart};
use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;
use tokio::sync::Semaphore;

use super::manifest::{self, Entry, Header};
use super::progress::Progress;
use super::{hex, new_id, unix_ms, Destination, Result};
use crate::store::files::{list_untouched, open_untouched};

/// Files up to this size are read and uploaded whole; larger ones go in parts of this size.
pub const PART: usize = 8 << 20;
/// Files handled at once.
const CONCURRENCY: usize = 8;
/// Large files uploaded at once, and parts in flight for each.
const LARGE_AT_ONCE: usize = 2;
const PARTS_IN_FLIGHT: usize = 2;
/// Entries of the top of a data directory that are never part of a snapshot.
const NOT_DATA: [&str; 6] = ["LOCK", "tmp", "trash", "journal", "recovering", "undo"];

/// What a snapshot did.
#[derive(Debug)]
pub struct Summary {
    pub header: Header,
    pub seconds: f64,
}

/// A file of the tree, as listed.
struct Listed {
    size: u64,
    stamp: String,
    path: String,
}

/// Uploads the tree at `root` as the snapshot of `instant` (its id is made from it), reusing
/// what the latest snapshot at `dest` already holds.
pub async fn upload(
    root: &Path,
    dest: &Destination,
    instant: SystemTime,
    bar: bool,
) -> Result<Summary> {
    let started = Instant::now();
    let id = new_id(instant);
    let ids = dest.ids().await?;
    if ids.contains(&id) {
        return Err(format!("{dest} already has a snapshot {id}").into());
    }
    let format = fs::read_to_string(root.join("FORMAT")).map_err(|e| {
        format!(
            "{} is not a dredis data directory (no FORMAT: {e})",
            root.display()
        )
    })?;
    let owned_root = root.to_path_buf();
    let (listing, files, bytes) =
        tokio::task::spawn_blocking(move || list_tree(&owned_root)).await??;
    let previous = match ids.last() {
        Some(last) => Some(BufReader::new(dest.manifest_file(last).await?)),
        None => None,
    };
    let progress = Progress::new("snapshot", files, bytes, bar);
    let uploader = Uploader {
        root: root.to_path_buf(),
        dest: dest.clone(),
        id: id.clone(),
        large: Arc::new(Semaphore::new(LARGE_AT_ONCE)),
    };
    let mut header = Header {
        id: id.clone(),
        instant_ms: unix_ms(instant),
        format: format.lines().next().unwrap_or_default().to_string(),
        files,
        bytes,
        ..Header::default()
    };
    let mut body = BufWriter::new(tempfile::tempfile()?);
    let jobs = stream::iter(Pairs::new(listing, previous)?).map(|pair| {
        let uploader = &uploader;
        async move { uploader.store(pair?).await }
    });
    let mut done = jobs.buffered(CONCURRENCY);
    while let Some(result) = done.next().await {
        let (entry, uploaded) = result?;
        if uploaded {
            header.uploaded_files += 1;
            header.uploaded_bytes += entry.size;
        }
        progress.file_done(entry.size);
        entry.write(&mut body)?;
    }
    progress.finish();
    let body = body.into_inner().map_err(|e| e.into_error())?;
    upload_manifest(dest, &header, body).await?;
    Ok(Summary {
        header,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Lists the files of the tree at `root` in manifest order, into a temp file of
/// `<size> <stamp> <path>` lines; returns it with the number of files and bytes.
fn list_tree(root: &Path) -> io::Result<(BufReader<fs::File>, u64, u64)> {
    let mut out = BufWriter::new(tempfile::tempfile()?);
    let (mut files, mut bytes) = (0, 0);
    let mut visit = |path: &str, meta: &fs::Metadata| -> io::Result<()> {
        let stamp = format!(
            "{}:{}",
            meta.ino(),
            meta.mtime() as i128 * 1_000_000_000 + meta.mtime_nsec() as i128
        );
        writeln!(out, "{} {stamp} {path}", meta.len())?;
        files += 1;
        bytes += meta.len();
        Ok(())
    };
    walk(root, "", &mut visit)?;
    let mut file = out.into_inner().map_err(|e| e.into_error())?;
    file.rewind()?;
    Ok((BufReader::new(file), files, bytes))
}

/// Depth first, each directory's entries sorted by name; skips what is not data.
fn walk(
    dir: &Path,
    rel: &str,
    visit: &mut impl FnMut(&str, &fs::Metadata) -> io::Result<()>,
) -> io::Result<()> {
    let mut names = list_untouched(dir)?;
    names.sort();
    for name in names {
        let path = match name.to_str() {
            Some(name) if rel.is_empty() && NOT_DATA.contains(&name) => continue,
            Some(name) if rel.is_empty() => name.to_string(),
            Some(name) => format!("{rel}/{name}"),
            None => String::new(),
        };
        if !manifest::is_safe_path(&path) {
            tracing::warn!(
                "snapshot: skipping {}, not a name dredis writes",
                dir.join(&name).display()
            );
            continue;
        }
        let meta = fs::symlink_metadata(dir.join(&name))?;
        if meta.is_dir() {
            walk(&dir.join(&name), &path, visit)?;
        } else if meta.is_file() {
            visit(&path, &meta)?;
        }
    }
    Ok(())
}

/// Each listed file with the previous snapshot's entry at the same path, if any.
struct Pairs {
    listing: io::Lines<BufReader<fs::File>>,
    previous: Option<std::iter::Peekable<Box<dyn Iterator<Item = io::Result<Entry>> + Send>>>,
}

impl Pairs {
    fn new(listing: BufReader<fs::File>, previous: Option<BufReader<fs::File>>) -> Result<Pairs> {
        let previous = match previous {
            Some(mut manifest) => {
                Header::read(&mut manifest)?;
                let entries: Box<dyn Iterator<Item = io::Result<Entry>> + Send> =
                    Box::new(manifest::entries(manifest));
                Some(entries.peekable())
            }
            None => None,
        };
        Ok(Pairs {
            listing: listing.lines(),
            previous,
        })
    }

    fn next_pair(&mut self, line: &str) -> io::Result<(Listed, Option<Entry>)> {
        let mut parts = line.splitn(3, ' ');
        let (size, stamp, path) = (parts.next(), parts.next(), parts.next());
        let listed = match (size.and_then(|s| s.parse().ok()), stamp, path) {
            (Some(size), Some(stamp), Some(path)) => Listed {
                size,
                stamp: stamp.to_string(),
                path: path.to_string(),
            },
            _ => return Err(io::Error::other(format!("bad listing line {line:?}"))),
        };
        let Some(previous) = &mut self.previous else {
            return Ok((listed, None));
        };
        loop {
            match previous.peek() {
                Some(Err(_)) => {
                    return Err(previous.next().expect("peeked").expect_err("an error"))
                }
                Some(Ok(entry)) => match manifest::walk_order(&entry.path, &listed.path) {
                    std::cmp::Ordering::Less => {
                        previous.next();
                    }
                    std::cmp::Ordering::Equal => {
                        return Ok((listed, previous.next().and_then(|e| e.ok())))
                    }
                    std::cmp::Ordering::Greater => return Ok((listed, None)),
                },
                None => return Ok((listed, None)),
            }
        }
    }
}

impl Iterator for Pairs {
    type Item = Result<(Listed, Option<Entry>)>;

    fn next(&mut self) -> Option<Self::Item> {
        let line = match self.listing.next()? {
            Ok(line) => line,
            Err(e) => return Some(Err(e.into())),
        };
        Some(self.next_pair(&line).map_err(Into::into))
    }
}

struct Uploader {
    root: PathBuf,
    dest: Destination,
    id: String,
    large: Arc<Semaphore>,
}

impl Uploader {
    /// Makes sure the destination holds `listed`'s content; returns its manifest entry and
    /// whether it was uploaded now.
    async fn store(&self, (listed, previous): (Listed, Option<Entry>)) -> Result<(Entry, bool)> {
        let file = self.root.join(&listed.path);
        if let Some(previous) = previous.filter(|p| p.size == listed.size) {
            let sha256 = if previous.stamp == listed.stamp {
                previous.sha256.clone()
            } else {
                let file = file.clone();
                tokio::task::spawn_blocking(move || hash_file(&file)).await??
            };
            if sha256 == previous.sha256 {
                return Ok((
                    Entry {
                        stamp: listed.stamp,
                        ..previous
                    },
                    false,
                ));
            }
        }
        let sha256 = if listed.size as usize <= PART {
            // Empty files (expiry markers, set members) are not even opened.
            let data = if listed.size == 0 {
                Bytes::new()
            } else {
                let file = file.clone();
                Bytes::from(tokio::task::spawn_blocking(move || read_whole(&file)).await??)
            };
            if data.len() as u64 != listed.size {
                return Err(
                    format!("{} changed while it was being uploaded", file.display()).into(),
                );
            }
            let sha256 = hex(&Sha256::digest(&data));
            self.dest
                .put(&self.dest.file_object(&self.id, &listed.path)?, data)
                .await?;
            sha256
        } else {
            self.upload_large(&file, &listed).await?
        };
        let entry = Entry {
            sha256,
            size: listed.size,
            holder: self.id.clone(),
            stamp: listed.stamp,
            path: listed.path,
        };
        Ok((entry, true))
    }

    /// A multipart upload of a large file, hashed on the way.
    async fn upload_large(&self, file: &Path, listed: &Listed) -> Result<String> {
        let _turn = self.large.acquire().await?;
        let path = file.to_path_buf();
        let opened = tokio::task::spawn_blocking(move || open_untouched(&path)).await??;
        let mut input = tokio::fs::File::from_std(opened);
        let location = self.dest.file_object(&self.id, &listed.path)?;
        let upload = self.dest.store.put_multipart(&location).await?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART);
        let (mut hasher, mut total) = (Sha256::new(), 0u64);
        loop {
            let mut chunk = Vec::with_capacity(PART);
            while chunk.len() < PART {
                let read = (&mut input)
                    .take((PART - chunk.len()) as u64)
                    .read_to_end(&mut chunk)
                    .await?;
                if read == 0 {
                    break;
                }
            }
            if chunk.is_empty() {
                break;
            }
            hasher.update(&chunk);
            total += chunk.len() as u64;
            writer.wait_for_capacity(PARTS_IN_FLIGHT).await?;
            writer.put(chunk.into());
        }
        if total != listed.size {
            writer.abort().await?;
            return Err(format!("{} changed while it was being uploaded", file.display()).into());
        }
        writer.finish().await?;
        Ok(hex(&hasher.finalize()))
    }
}

/// The SHA-256 of a file, read in pieces.
pub fn hash_file(path: &Path) -> io::Result<String> {
    let mut file = open_untouched(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 1 << 20];
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            return Ok(hex(&hasher.finalize()));
        }
        hasher.update(&buffer[..read]);
    }
}

/// The content of a file.
fn read_whole(path: &Path) -> io::Result<Vec<u8>> {
    let mut data = Vec::new();
    open_untouched(path)?.read_to_end(&mut data)?;
    Ok(data)
}

/// Uploads the manifest: the header, then the entries from `body`; in parts when large.
async fn upload_manifest(dest: &Destination, header: &Header, mut body: fs::File) -> Result<()> {
    let location = dest.manifest_object(&header.id)?;
    let mut head = Vec::new();
    header.write(&mut head)?;
    let body_len = body.seek(io::SeekFrom::End(0))?;
    body.rewind()?;
    if body_len as usize <= PART {
        let mut all = head;
        body.read_to_end(&mut all)?;
        return dest.put(&location, all.into()).await;
    }
    let mut writer =
        WriteMultipart::new_with_chunk_size(dest.store.put_multipart(&location).await?, PART);
    writer.write(&head);
    let mut buffer = vec![0; PART];
    loop {
        let read = body.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        writer.wait_for_capacity(PARTS_IN_FLIGHT).await?;
        writer.write(&buffer[..read]);
    }
    writer.finish().await?;
    Ok(())
}
