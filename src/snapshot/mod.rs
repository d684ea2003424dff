//! Snapshots: a point-in-time copy of a data directory in a local directory or an S3 bucket,
//! and the way back.
//!
//! A destination holds one folder per snapshot, named by its id (the UTC time it was taken,
//! `20261204T153012.123Z`, so names sort by time):
//!
//! ```text
//! DEST/<id>/manifest        every file of the snapshot: checksum, size, where it is held
//! DEST/<id>/files/<path>    the files this snapshot uploaded, under their own names
//! ```
//!
//! A snapshot uploads only files whose content the previous one does not hold, and its
//! manifest points at the older copies for the others; the manifest is written last, so a
//! snapshot without one never completed and is ignored. Restore verifies every checksum.
//! Local directories and S3 go through the same code, `object_store`'s stores: this module
//! chooses one ([`Destination`]), `upload` and `restore` move files, `manifest` describes
//! them, `progress` reports. The point-in-time image of a running server is made by the
//! store (`store::image`).

pub mod cli;
pub mod manifest;
pub mod progress;
pub mod restore;
pub mod upload;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use futures::TryStreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ClientOptions, ObjectStore, ObjectStoreExt, RetryConfig};

pub use manifest::Header;

/// An error of a snapshot or restore, in words for the operator.
pub type Error = Box<dyn std::error::Error + Send + Sync>;
pub type Result<T> = std::result::Result<T, Error>;

/// Where snapshots are kept: a local directory or `s3://bucket/prefix`.
#[derive(Clone)]
pub struct Destination {
    store: Arc<dyn ObjectStore>,
    prefix: String,
    /// Whether names must avoid what `object_store`'s local store reserves (see [`object_name`]).
    local: bool,
    shown: String,
}

impl fmt::Display for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

impl Destination {
    /// `s3://bucket[/prefix]`, with credentials and region from the standard AWS environment
    /// variables and `endpoint` for S3-compatible stores (path-style addressing), or a local
    /// directory (created if missing).
    pub fn parse(location: &str, endpoint: Option<&str>) -> Result<Destination> {
        if let Some(rest) = location.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(format!("no bucket in {location:?}").into());
            }
            let mut builder = AmazonS3Builder::from_env()
                .with_bucket_name(bucket)
                .with_virtual_hosted_style_request(false)
                .with_retry(RetryConfig {
                    max_retries: 5,
                    retry_timeout: Duration::from_secs(120),
                    ..Default::default()
                })
                .with_client_options(ClientOptions::new().with_timeout(Duration::from_secs(300)));
            if let Some(endpoint) = endpoint {
                builder = builder
                    .with_endpoint(endpoint)
                    .with_allow_http(endpoint.starts_with("http://"));
            }
            return Ok(Destination {
                store: Arc::new(builder.build()?),
                prefix: prefix.trim_matches('/').to_string(),
                local: false,
                shown: location.to_string(),
            });
        }
        if endpoint.is_some() {
            return Err("--endpoint applies to s3:// destinations only".into());
        }
        std::fs::create_dir_all(location)
            .map_err(|e| format!("cannot use {location} as a snapshot destination: {e}"))?;
        Ok(Destination {
            store: Arc::new(LocalFileSystem::new_with_prefix(location)?),
            prefix: String::new(),
            local: true,
            shown: location.to_string(),
        })
    }

    /// The object `rel` (a `/`-separated path under the destination).
    fn object(&self, rel: &str) -> Result<ObjectPath> {
        let name = if self.prefix.is_empty() {
            rel.to_string()
        } else {
            format!("{}/{rel}", self.prefix)
        };
        Ok(ObjectPath::parse(name)?)
    }

    /// The object holding file `path` of snapshot `id`.
    fn file_object(&self, id: &str, path: &str) -> Result<ObjectPath> {
        self.object(&format!("{id}/files/{}", object_name(path, self.local)))
    }

    fn manifest_object(&self, id: &str) -> Result<ObjectPath> {
        self.object(&format!("{id}/manifest"))
    }

    /// The ids of the complete snapshots (those with a manifest), oldest first.
    pub async fn ids(&self) -> Result<Vec<String>> {
        let prefix = (!self.prefix.is_empty())
            .then(|| self.object(""))
            .transpose()?;
        let listing = self.store.list_with_delimiter(prefix.as_ref()).await?;
        let mut ids = Vec::new();
        for folder in listing.common_prefixes {
            let Some(id) = folder.filename().map(str::to_string) else {
                continue;
            };
            if is_id(&id) && self.store.head(&self.manifest_object(&id)?).await.is_ok() {
                ids.push(id);
            }
        }
        ids.sort();
        Ok(ids)
    }

    /// The header of snapshot `id`'s manifest (read from its first bytes only).
    pub async fn header(&self, id: &str) -> Result<Header> {
        let location = self.manifest_object(id)?;
        let size = self.store.head(&location).await?.size;
        let head = self.store.get_range(&location, 0..size.min(4096)).await?;
        Ok(Header::read(&mut &head[..])?)
    }

    /// Every snapshot's header, oldest first.
    pub async fn list(&self) -> Result<Vec<Header>> {
        let mut headers = Vec::new();
        for id in self.ids().await? {
            headers.push(self.header(&id).await?);
        }
        Ok(headers)
    }

    /// Downloads snapshot `id`'s manifest into an anonymous temp file, positioned at 0.
    async fn manifest_file(&self, id: &str) -> Result<std::fs::File> {
        let mut stream = self
            .store
            .get(&self.manifest_object(id)?)
            .await?
            .into_stream();
        let mut file = tempfile::tempfile()?;
        while let Some(chunk) = stream.try_next().await? {
            std::io::Write::write_all(&mut file, &chunk)?;
        }
        std::io::Seek::rewind(&mut file)?;
        Ok(file)
    }

    async fn put(&self, location: &ObjectPath, bytes: Bytes) -> Result<()> {
        self.store.put(location, bytes.into()).await?;
        Ok(())
    }
}

/// The object name of file `path`: the path itself, except that on a local destination a
/// last component ending in `#` and digits gets one more `#`, since `object_store`'s local
/// store takes such names for unfinished uploads.
fn object_name(path: &str, local: bool) -> String {
    let last = path.rsplit('/').next().unwrap_or(path);
    let reserved = last
        .split_once('#')
        .is_some_and(|(_, tail)| !tail.is_empty() && tail.bytes().all(|b| b.is_ascii_digit()));
    if local && reserved {
        format!("{path}#")
    } else {
        path.to_string()
    }
}

/// A new snapshot id for `instant`: `YYYYMMDDTHHMMSS.mmmZ`, UTC.
pub fn new_id(instant: SystemTime) -> String {
    let ms = unix_ms(instant);
    let (days, ms_of_day) = (ms / 86_400_000, ms % 86_400_000);
    let (year, month, day) = civil_from_days(days as i64);
    let (h, m, s) = (
        ms_of_day / 3_600_000,
        ms_of_day / 60_000 % 60,
        ms_of_day / 1000 % 60,
    );
    format!(
        "{year:04}{month:02}{day:02}T{h:02}{m:02}{s:02}.{:03}Z",
        ms_of_day % 1000
    )
}

fn is_id(name: &str) -> bool {
    name.len() == 20 && name.as_bytes()[8] == b'T' && name.ends_with('Z')
}

pub fn unix_ms(instant: SystemTime) -> u64 {
    instant
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis() as u64
}

/// Howard Hinnant's days-to-civil: the proleptic Gregorian date of a day since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The hex form of a digest.
fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The process's peak resident memory in bytes (VmHWM), for the summary of a transfer.
pub fn peak_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_utc_times() {
        let instant = UNIX_EPOCH + Duration::from_millis(1_796_398_212_123);
        assert_eq!(new_id(instant), "20261204T153012.123Z");
        // A leap day.
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(new_id(leap), "20000229T000000.000Z");
        assert!(is_id(&new_id(instant)));
        assert_eq!(new_id(UNIX_EPOCH), "19700101T000000.000Z");
    }

    #[test]
    fn local_object_names_avoid_unfinished_upload_names() {
        assert_eq!(object_name("0/1871/x#12/type", true), "0/1871/x#12/type");
        assert_eq!(
            object_name("0/expires/1871/x#12", true),
            "0/expires/1871/x#12#"
        );
        assert_eq!(
            object_name("0/expires/1871/x#12", false),
            "0/expires/1871/x#12"
        );
        assert_eq!(object_name("0/1871/a#b", true), "0/1871/a#b");
    }
}
