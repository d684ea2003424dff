//! SAVE, BGSAVE and scheduled snapshots: the server's side of `--snapshot-to`.
//!
//! Every write is on disk already, so a save does not write the data set out as Redis's does:
//! it takes a snapshot (an image of one instant, uploaded to `--snapshot-to`, see
//! `crate::snapshot`). Without a destination, a save makes every write durable (a sync of
//! the data directory) and nothing more. Background saves run on one thread, which also
//! takes the `--snapshot-every` ones; SAVE runs on its client's disk thread. One snapshot
//! runs at a time.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use crate::snapshot::{self, Destination};
use crate::store::{now_ms, Store};

/// The state of saves, for LASTSAVE and INFO persistence.
pub struct Saves {
    destination: Option<Destination>,
    every: Option<Duration>,
    state: Mutex<State>,
    wake: Condvar,
    /// Changes committed when the last successful save began.
    changes_at_last_save: AtomicU64,
}

struct State {
    /// A background save is asked for (BGSAVE, BGSAVE SCHEDULE).
    requested: bool,
    /// When the save under way started.
    running: Option<Instant>,
    last_save_unix: i64,
    last_ok: bool,
    last_seconds: i64,
    saves: u64,
    last_id: String,
    stop: bool,
}

/// What INFO persistence reports of saves.
pub struct Report {
    pub in_progress: bool,
    pub current_seconds: i64,
    pub last_save_unix: i64,
    pub last_ok: bool,
    pub last_seconds: i64,
    pub saves: u64,
    pub changes_since: u64,
    pub destination: String,
    pub last_id: String,
}

/// BGSAVE's answers.
pub enum Background {
    Started,
    Scheduled,
    AlreadyRunning,
}

impl Saves {
    pub fn new(
        destination: Option<Destination>,
        every: Option<Duration>,
        started_unix: i64,
    ) -> Saves {
        Saves {
            destination,
            every,
            state: Mutex::new(State {
                requested: false,
                running: None,
                last_save_unix: started_unix,
                last_ok: true,
                last_seconds: -1,
                saves: 0,
                last_id: String::new(),
                stop: false,
            }),
            wake: Condvar::new(),
            changes_at_last_save: AtomicU64::new(0),
        }
    }

    /// SAVE: a save now, on the caller's thread (which must hold no key lock).
    pub fn save(&self, store: &Store) -> Result<(), String> {
        {
            let mut state = self.state.lock();
            if state.running.is_some() {
                return Err("ERR Background save already in progress".into());
            }
            state.running = Some(Instant::now());
        }
        self.run(store)
    }

    /// BGSAVE [SCHEDULE]: asks the background thread for a save.
    pub fn background(&self, schedule: bool) -> Background {
        let mut state = self.state.lock();
        if state.running.is_some() && !schedule {
            return Background::AlreadyRunning;
        }
        let answer = if state.running.is_some() {
            Background::Scheduled
        } else {
            Background::Started
        };
        state.requested = true;
        self.wake.notify_all();
        answer
    }

    /// The background thread: takes requested and scheduled saves until [`Saves::stop`].
    pub fn serve(&self, store: &Store) {
        loop {
            let mut state = self.state.lock();
            let due = self.every.map(|every| Instant::now() + every);
            loop {
                if state.stop {
                    return;
                }
                if state.requested && state.running.is_none() {
                    break;
                }
                // A save that falls due while another runs is taken right after it.
                match due.filter(|_| !state.requested) {
                    Some(due) => {
                        if self.wake.wait_until(&mut state, due).timed_out() {
                            state.requested = true;
                        }
                    }
                    None => self.wake.wait(&mut state),
                }
            }
            state.requested = false;
            state.running = Some(Instant::now());
            drop(state);
            if let Err(e) = self.run(store) {
                tracing::warn!("background save failed: {e}");
            }
        }
    }

    pub fn stop(&self) {
        self.state.lock().stop = true;
        self.wake.notify_all();
    }

    /// One save; `running` is set by the caller and cleared here.
    fn run(&self, store: &Store) -> Result<(), String> {
        let changes = store.changes();
        let outcome = self.take(store);
        let mut state = self.state.lock();
        let started = state.running.take().expect("a save was running");
        state.last_ok = outcome.is_ok();
        state.last_seconds = started.elapsed().as_secs() as i64;
        self.wake.notify_all();
        let id = outcome.map_err(|e| format!("ERR snapshot failed: {e}"))?;
        state.last_save_unix = now_ms() / 1000;
        state.saves += 1;
        state.last_id = id;
        self.changes_at_last_save.store(changes, Ordering::Relaxed);
        Ok(())
    }

    /// Takes a snapshot to the destination (or syncs, without one); its id.
    fn take(&self, store: &Store) -> snapshot::Result<String> {
        let Some(destination) = &self.destination else {
            store.sync()?;
            return Ok(String::new());
        };
        let started = Instant::now();
        // The upload gets its own runtime, at a lower priority: the server's runtime and its
        // disk threads stay with the clients.
        crate::store::image::niced(|| self.take_niced(store, destination, started))
    }

    fn take_niced(
        &self,
        store: &Store,
        destination: &Destination,
        started: Instant,
    ) -> snapshot::Result<String> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .max_blocking_threads(4)
            .enable_all()
            .build()?;
        let image = store.begin_image()?;
        let mut last_log = Instant::now();
        let image = image.link(|done, total| {
            if last_log.elapsed() >= Duration::from_secs(5) {
                last_log = Instant::now();
                tracing::info!("snapshot: linked {done}/{total} slots");
            }
        })?;
        let linked = started.elapsed();
        let summary = runtime.block_on(snapshot::upload::upload(
            &image.path,
            destination,
            image.instant,
            false,
        ))?;
        let header = &summary.header;
        tracing::info!(
            "snapshot {} to {destination}: {} files ({} bytes), {} uploaded ({} bytes); linked in {:.1} s, uploaded in {:.1} s",
            header.id,
            header.files,
            header.bytes,
            header.uploaded_files,
            header.uploaded_bytes,
            linked.as_secs_f64(),
            summary.seconds
        );
        Ok(header.id.clone())
    }

    pub fn report(&self, store: &Store) -> Report {
        let state = self.state.lock();
        Report {
            in_progress: state.running.is_some(),
            current_seconds: state.running.map_or(-1, |s| s.elapsed().as_secs() as i64),
            last_save_unix: state.last_save_unix,
            last_ok: state.last_ok,
            last_seconds: state.last_seconds,
            saves: state.saves,
            changes_since: store
                .changes()
                .saturating_sub(self.changes_at_last_save.load(Ordering::Relaxed)),
            destination: self
                .destination
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            last_id: state.last_id.clone(),
        }
    }

    pub fn last_save_unix(&self) -> i64 {
        self.state.lock().last_save_unix
    }
}
