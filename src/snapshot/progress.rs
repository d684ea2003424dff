//! Progress of a long transfer: a bar on a terminal, a log line every few seconds otherwise.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use parking_lot::Mutex;

const LOG_EVERY: Duration = Duration::from_secs(5);

pub struct Progress {
    what: &'static str,
    total_files: u64,
    total_bytes: u64,
    files: AtomicU64,
    bytes: AtomicU64,
    started: Instant,
    bar: Option<ProgressBar>,
    last_log: Mutex<Instant>,
}

impl Progress {
    /// Progress of `what` ("snapshot", "restore") over so many files and bytes; a bar when
    /// stderr is a terminal and `bar` is allowed.
    pub fn new(what: &'static str, total_files: u64, total_bytes: u64, bar: bool) -> Progress {
        let bar = (bar && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new(total_bytes);
            bar.set_style(
                ProgressStyle::with_template(
                    "{prefix} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta} {msg}",
                )
                .expect("a valid template")
                .progress_chars("=> "),
            );
            bar.set_prefix(what);
            bar
        });
        Progress {
            what,
            total_files,
            total_bytes,
            files: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            started: Instant::now(),
            bar,
            last_log: Mutex::new(Instant::now()),
        }
    }

    /// One more file of `bytes` bytes is done.
    pub fn file_done(&self, bytes: u64) {
        let files = self.files.fetch_add(1, Ordering::Relaxed) + 1;
        let done = self.bytes.fetch_add(bytes, Ordering::Relaxed) + bytes;
        if let Some(bar) = &self.bar {
            bar.set_position(done);
            bar.set_message(format!("{files}/{} files", self.total_files));
            return;
        }
        let mut last = self.last_log.lock();
        if last.elapsed() >= LOG_EVERY {
            *last = Instant::now();
            tracing::info!("{}: {}", self.what, self.describe(files, done));
        }
    }

    fn describe(&self, files: u64, bytes: u64) -> String {
        let seconds = self.started.elapsed().as_secs_f64().max(1e-3);
        // Small files cost by number, large ones by size: the ETA weighs both.
        let part = |done: u64, total: u64| {
            if total == 0 {
                1.0
            } else {
                done as f64 / total as f64
            }
        };
        let fraction = (part(files, self.total_files) + part(bytes, self.total_bytes)) / 2.0;
        let eta = if fraction > 0.0 {
            format!("{:.0} s", seconds * (1.0 - fraction) / fraction)
        } else {
            "unknown".into()
        };
        format!(
            "{files}/{} files, {}/{} MB, {:.1} MB/s, {:.0} files/s, ETA {eta}",
            self.total_files,
            bytes / 1_000_000,
            self.total_bytes / 1_000_000,
            bytes as f64 / seconds / 1e6,
            files as f64 / seconds
        )
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
