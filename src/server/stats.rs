//! The counters INFO reports: totals, per-command calls and time (commandstats), error replies
//! by code (errorstats), and the ops/s of the last moments.
//!
//! Every counter is an atomic, bumped by the dispatcher as commands finish, so INFO reads them
//! without stopping anyone. CONFIG RESETSTAT sets them back to zero.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::protocol::Reply;

/// Server-wide counters.
pub struct Stats {
    /// total_commands_processed: commands that ran (refused ones are not counted, as Redis).
    pub commands: AtomicU64,
    pub connections: AtomicU64,
    pub rejected_connections: AtomicU64,
    /// Keys removed because their time to live ran out.
    pub expired_keys: AtomicU64,
    /// Refused by the ACLs: failed AUTH, commands, keys, channels (acl_access_denied_*).
    pub acl_denied_auth: AtomicU64,
    pub acl_denied_cmd: AtomicU64,
    pub acl_denied_key: AtomicU64,
    pub acl_denied_channel: AtomicU64,
    /// Every error reply, refused requests included (total_error_replies).
    error_replies: AtomicU64,
    /// Looked up on every command: a fast hash of the (fixed, server-chosen) names.
    by_command: foldhash::HashMap<&'static str, CommandStats>,
    by_error: Mutex<BTreeMap<String, u64>>,
    ops: Ops,
}

/// One command's line of INFO commandstats.
#[derive(Default)]
struct CommandStats {
    calls: AtomicU64,
    micros: AtomicU64,
    /// Refused before running: arity, authentication.
    rejected: AtomicU64,
    /// Ran and replied with an error.
    failed: AtomicU64,
}

/// Redis stops counting new error codes past this many, so that a client inventing codes
/// cannot grow the table without bound.
const MAX_ERROR_CODES: usize = 128;

impl Stats {
    /// Counters for the commands named (`get`, `client|list`, ...).
    pub fn new(commands: impl IntoIterator<Item = &'static str>) -> Stats {
        Stats {
            commands: AtomicU64::new(0),
            connections: AtomicU64::new(0),
            rejected_connections: AtomicU64::new(0),
            expired_keys: AtomicU64::new(0),
            acl_denied_auth: AtomicU64::new(0),
            acl_denied_cmd: AtomicU64::new(0),
            acl_denied_key: AtomicU64::new(0),
            acl_denied_channel: AtomicU64::new(0),
            error_replies: AtomicU64::new(0),
            by_command: commands
                .into_iter()
                .map(|c| (c, CommandStats::default()))
                .collect(),
            by_error: Mutex::new(BTreeMap::new()),
            ops: Ops::new(),
        }
    }

    /// A command that started at `started` has answered `reply`; returns how long it took.
    pub fn ran(&self, command: &'static str, started: Instant, reply: &Reply) -> Duration {
        let now = Instant::now();
        let elapsed = now.duration_since(started);
        let total = self.commands.fetch_add(1, Relaxed) + 1;
        if total.is_multiple_of(Ops::EVERY) {
            self.ops.tick(now, total);
        }
        if let Some(stats) = self.by_command.get(command) {
            stats.calls.fetch_add(1, Relaxed);
            stats.micros.fetch_add(elapsed.as_micros() as u64, Relaxed);
            if self.error(reply) {
                stats.failed.fetch_add(1, Relaxed);
            }
        }
        elapsed
    }

    /// A request refused before running (`command` when it names a known one).
    pub fn rejected(&self, command: Option<&'static str>, reply: &Reply) {
        if let Some(stats) = command.and_then(|c| self.by_command.get(c)) {
            stats.rejected.fetch_add(1, Relaxed);
        }
        self.error(reply);
    }

    /// Counts an error reply by its code (the first word: `ERR`, `WRONGTYPE`); false when the
    /// reply is not an error.
    fn error(&self, reply: &Reply) -> bool {
        let Reply::Error(text) = reply else {
            return false;
        };
        self.error_replies.fetch_add(1, Relaxed);
        let code = text.split(' ').next().unwrap_or_default();
        let mut by_error = self.by_error.lock();
        if let Some(count) = by_error.get_mut(code) {
            *count += 1;
        } else if by_error.len() < MAX_ERROR_CODES {
            by_error.insert(code.to_string(), 1);
        }
        true
    }

    pub fn error_replies(&self) -> u64 {
        self.error_replies.load(Relaxed)
    }

    /// instantaneous_ops_per_sec.
    pub fn ops_per_sec(&self) -> u64 {
        self.ops.rate(self.commands.load(Relaxed))
    }

    /// INFO commandstats: `cmdstat_<name>`, `calls=..,usec=..,...`, for commands called or
    /// refused at least once, by name.
    pub fn command_lines(&self) -> Vec<(String, String)> {
        let mut lines: Vec<(String, String)> = self
            .by_command
            .iter()
            .filter_map(|(name, s)| {
                let calls = s.calls.load(Relaxed);
                let micros = s.micros.load(Relaxed);
                let rejected = s.rejected.load(Relaxed);
                let failed = s.failed.load(Relaxed);
                (calls + rejected + failed > 0).then(|| {
                    let per_call = if calls == 0 {
                        0.0
                    } else {
                        micros as f64 / calls as f64
                    };
                    (
                        format!("cmdstat_{name}"),
                        format!(
                            "calls={calls},usec={micros},usec_per_call={per_call:.2},rejected_calls={rejected},failed_calls={failed}"
                        ),
                    )
                })
            })
            .collect();
        lines.sort();
        lines
    }

    /// INFO errorstats: `errorstat_<code>`, `count=..`.
    pub fn error_lines(&self) -> Vec<(String, String)> {
        self.by_error
            .lock()
            .iter()
            .map(|(code, count)| (format!("errorstat_{code}"), format!("count={count}")))
            .collect()
    }

    /// INFO's `acl_access_denied_*` counters.
    pub fn acl_denied(&self) -> [(&'static str, u64); 4] {
        [
            ("acl_access_denied_auth", &self.acl_denied_auth),
            ("acl_access_denied_cmd", &self.acl_denied_cmd),
            ("acl_access_denied_key", &self.acl_denied_key),
            ("acl_access_denied_channel", &self.acl_denied_channel),
        ]
        .map(|(name, counter)| (name, counter.load(Relaxed)))
    }

    /// CONFIG RESETSTAT: every counter back to zero.
    pub fn reset(&self) {
        for counter in [
            &self.commands,
            &self.connections,
            &self.rejected_connections,
            &self.expired_keys,
            &self.error_replies,
            &self.acl_denied_auth,
            &self.acl_denied_cmd,
            &self.acl_denied_key,
            &self.acl_denied_channel,
        ] {
            counter.store(0, Relaxed);
        }
        for stats in self.by_command.values() {
            for counter in [&stats.calls, &stats.micros, &stats.rejected, &stats.failed] {
                counter.store(0, Relaxed);
            }
        }
        self.by_error.lock().clear();
        self.ops.samples.lock().clear();
    }
}

/// The command rate over a sliding window: samples of the command total, at most one every
/// [`Ops::STEP`], taken as commands finish (every [`Ops::EVERY`] commands, which keeps the
/// clock out of most commands) and when INFO asks, covering [`Ops::WINDOW`].
struct Ops {
    start: Instant,
    /// Milliseconds since `start` from which the next sample may be taken.
    next: AtomicU64,
    samples: Mutex<VecDeque<(Instant, u64)>>,
}

impl Ops {
    const STEP: Duration = Duration::from_millis(100);
    /// Redis averages its last 16 samples of 100 ms.
    const WINDOW: Duration = Duration::from_millis(1600);
    const EVERY: u64 = 64;

    fn new() -> Ops {
        Ops {
            start: Instant::now(),
            next: AtomicU64::new(0),
            samples: Mutex::new(VecDeque::new()),
        }
    }

    /// Records the total if the last sample is older than a step. Cheap when it is not.
    fn tick(&self, now: Instant, total: u64) {
        let ms = now.duration_since(self.start).as_millis() as u64;
        if ms < self.next.load(Relaxed) {
            return;
        }
        let Some(mut samples) = self.samples.try_lock() else {
            return;
        };
        self.next.store(ms + Self::STEP.as_millis() as u64, Relaxed);
        samples.push_back((now, total));
        // Keep one sample older than the window: the base of the rate after a quiet spell.
        while samples.len() > 2 && now.duration_since(samples[1].0) > Self::WINDOW {
            samples.pop_front();
        }
    }

    /// Commands per second between the oldest sample of the window and now.
    fn rate(&self, total: u64) -> u64 {
        let now = Instant::now();
        self.tick(now, total);
        let samples = self.samples.lock();
        let base = samples
            .iter()
            .find(|(at, _)| now.duration_since(*at) <= Self::WINDOW)
            .or(samples.front());
        let Some(&(at, count)) = base else {
            return 0;
        };
        let seconds = now.duration_since(at).as_secs_f64();
        if seconds < Self::STEP.as_secs_f64() {
            return 0;
        }
        (total.saturating_sub(count) as f64 / seconds).round() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_and_errors_are_counted_by_name_and_code() {
        let stats = Stats::new(["get", "set"]);
        let ago = |micros| Instant::now() - Duration::from_micros(micros);
        let first = stats.ran("get", ago(10), &Reply::Nil);
        let second = stats.ran("get", ago(20), &Reply::Error("WRONGTYPE x".into()));
        assert!(first >= Duration::from_micros(10) && second >= Duration::from_micros(20));
        stats.rejected(Some("set"), &Reply::Error("ERR wrong number".into()));
        stats.rejected(None, &Reply::Error("ERR unknown command".into()));
        let usec = first.as_micros() + second.as_micros();
        assert_eq!(
            stats.command_lines(),
            [
                (
                    "cmdstat_get".to_string(),
                    format!(
                        "calls=2,usec={usec},usec_per_call={:.2},rejected_calls=0,failed_calls=1",
                        usec as f64 / 2.0
                    )
                ),
                (
                    "cmdstat_set".to_string(),
                    "calls=0,usec=0,usec_per_call=0.00,rejected_calls=1,failed_calls=0".to_string()
                ),
            ]
        );
        assert_eq!(
            stats.error_lines(),
            [
                ("errorstat_ERR".to_string(), "count=2".to_string()),
                ("errorstat_WRONGTYPE".to_string(), "count=1".to_string()),
            ]
        );
        assert_eq!(stats.error_replies(), 3);
        stats.reset();
        assert!(stats.command_lines().is_empty() && stats.error_lines().is_empty());
    }

    #[test]
    fn the_ops_rate_covers_the_window() {
        let ops = Ops::new();
        ops.tick(Instant::now(), 0);
        std::thread::sleep(Duration::from_millis(250));
        let rate = ops.rate(500);
        assert!((1000..=2500).contains(&rate), "{rate}");
    }
}
