//! Restoring a snapshot into a new data directory.
//!
//! Every file is downloaded into a sibling directory of the target (`.<name>.restoring-<pid>`)
//! and checked against the manifest, size and SHA-256; only when all of them are there and
//! right is that directory renamed to the target. Anything missing or corrupt stops the
//! restore, which removes what it wrote: there is never a half-restored data directory.

use std::fs;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::time::Instant;

use futures::{stream, StreamExt, TryStreamExt};
use object_store::ObjectStoreExt;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use super::manifest::{self, Entry, Header};
use super::progress::Progress;
use super::{hex, Destination, Result};

/// Files downloaded at once.
const CONCURRENCY: usize = 8;

/// What a restore did.
#[derive(Debug)]
pub struct Summary {
    pub header: Header,
    pub seconds: f64,
}

/// Restores snapshot `id` (the latest when None) from `source` into `target`, which must not
/// exist or be an empty directory.
pub async fn restore(
    source: &Destination,
    id: Option<&str>,
    target: &Path,
    bar: bool,
) -> Result<Summary> {
    let started = Instant::now();
    let id = match id {
        Some(id) => id.to_string(),
        None => source
            .ids()
            .await?
            .pop()
            .ok_or_else(|| format!("{source} holds no snapshot"))?,
    };
    if let Ok(mut entries) = fs::read_dir(target) {
        if entries.next().is_some() {
            return Err(format!(
                "{} is not empty: restore into a new directory",
                target.display()
            )
            .into());
        }
    }
    let mut manifest = BufReader::new(source.manifest_file(&id).await?);
    let header = Header::read(&mut manifest)?;
    let name = target
        .file_name()
        .ok_or_else(|| format!("{} cannot be a data directory", target.display()))?;
    let parent = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(parent)?;
    let staging = parent.join(format!(
        ".{}.restoring-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    fs::create_dir(&staging)?;
    let progress = Progress::new("restore", header.files, header.bytes, bar);
    let result = download_all(source, manifest, &staging, &progress)
        .await
        .and_then(|files| {
            if files != header.files {
                return Err(format!(
                    "the manifest lists {files} files, its header says {}",
                    header.files
                )
                .into());
            }
            if !staging.join("FORMAT").is_file() {
                return Err(
                    "the snapshot has no FORMAT file: it is not a dredis data directory".into(),
                );
            }
            sync_tree(&staging)?;
            if target.exists() {
                fs::remove_dir(target)?;
            }
            fs::rename(&staging, target)?;
            // The rename itself, made durable.
            fs::File::open(parent)?.sync_all()?;
            Ok(())
        });
    progress.finish();
    if let Err(e) = result {
        let _ = fs::remove_dir_all(&staging);
        return Err(e);
    }
    Ok(Summary {
        header,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Downloads and checks every entry of the manifest into `staging`; the number of files.
async fn download_all(
    source: &Destination,
    manifest: BufReader<fs::File>,
    staging: &Path,
    progress: &Progress,
) -> Result<u64> {
    let downloads = stream::iter(manifest::entries(manifest)).map(|entry| async move {
        let entry = entry?;
        download(source, &entry, &staging.join(&entry.path)).await?;
        progress.file_done(entry.size);
        Ok::<_, super::Error>(())
    });
    let mut done = downloads.buffer_unordered(CONCURRENCY);
    let mut files = 0;
    while let Some(result) = done.next().await {
        result?;
        files += 1;
    }
    Ok(files)
}

/// Downloads one file to `path`, checking its size and checksum.
async fn download(source: &Destination, entry: &Entry, path: &PathBuf) -> Result<()> {
    let location = source.file_object(&entry.holder, &entry.path)?;
    let missing = |e| format!("{} (held by snapshot {}): {e}", entry.path, entry.holder);
    let mut stream = source
        .store
        .get(&location)
        .await
        .map_err(missing)?
        .into_stream();
    let dir = path
        .parent()
        .expect("entries are files inside the directory");
    tokio::fs::create_dir_all(dir).await?;
    let mut file = tokio::fs::File::create(path).await?;
    let (mut hasher, mut size) = (Sha256::new(), 0u64);
    while let Some(chunk) = stream.try_next().await.map_err(missing)? {
        hasher.update(&chunk);
        size += chunk.len() as u64;
        file.write_all(&chunk).await?;
    }
    file.flush().await?;
    let sha256 = hex(&hasher.finalize());
    if size != entry.size || sha256 != entry.sha256 {
        return Err(format!(
            "{} is corrupt: {size} bytes with SHA-256 {sha256}, the manifest says {} bytes with {}",
            entry.path, entry.size, entry.sha256
        )
        .into());
    }
    Ok(())
}

/// Makes every file and directory under `dir` durable.
fn sync_tree(dir: &Path) -> std::io::Result<()> {
    let root = fs::File::open(dir)?;
    rustix::fs::syncfs(&root)?;
    Ok(())
}
