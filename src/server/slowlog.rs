//! The slow log: the latest commands that took at least `slowlog-log-slower-than`
//! microseconds, at most `slowlog-max-len` of them, newest first (SLOWLOG GET).
//!
//! As in Redis, an entry keeps at most 32 arguments of at most 128 bytes each, and secrets
//! (AUTH's password, CONFIG SET requirepass's value) are kept as `(redacted)`.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use bytes::Bytes;
use parking_lot::Mutex;

use crate::config::{Settings, P};
use crate::protocol::Arg;

/// Redis's SLOWLOG_ENTRY_MAX_ARGC and SLOWLOG_ENTRY_MAX_STRING.
const MAX_ARGS: usize = 32;
const MAX_ARG_BYTES: usize = 128;

/// One logged command.
pub struct Entry {
    pub id: u64,
    /// Unix time, in seconds, when the command finished.
    pub time: i64,
    pub micros: u64,
    pub args: Vec<Bytes>,
    /// `ip:port` of the client.
    pub addr: String,
    pub name: Bytes,
}

#[derive(Default)]
pub struct SlowLog {
    next_id: AtomicU64,
    entries: Mutex<VecDeque<Entry>>,
}

impl SlowLog {
    /// The arguments as an entry would keep them, taken before the command consumes them;
    /// None when nothing is logged (`slowlog-log-slower-than` is negative).
    pub fn capture(settings: &Settings, full_name: &str, argv: &[Arg]) -> Option<Vec<Bytes>> {
        (settings.int(P::SlowlogLogSlowerThan) >= 0).then(|| Self::arguments(full_name, argv))
    }

    fn arguments(full_name: &str, argv: &[Arg]) -> Vec<Bytes> {
        let kept = if argv.len() > MAX_ARGS {
            MAX_ARGS - 1
        } else {
            argv.len()
        };
        let mut args: Vec<Bytes> = argv[..kept]
            .iter()
            .enumerate()
            .map(|(i, arg)| {
                if is_secret(full_name, argv, i) {
                    return Bytes::from_static(b"(redacted)");
                }
                match arg {
                    Arg::Bytes(b) if b.len() <= MAX_ARG_BYTES => b.clone(),
                    Arg::Bytes(b) => {
                        let mut cut = b[..MAX_ARG_BYTES].to_vec();
                        let more = format!("... ({} more bytes)", b.len() - MAX_ARG_BYTES);
                        cut.extend_from_slice(more.as_bytes());
                        cut.into()
                    }
                    // Spilled arguments are at least a megabyte; their bytes stay on disk.
                    Arg::Spilled(s) => {
                        let len = std::fs::metadata(s.path()).map_or(0, |m| m.len());
                        format!("... ({len} more bytes)").into()
                    }
                }
            })
            .collect();
        if argv.len() > MAX_ARGS {
            args.push(format!("... ({} more arguments)", argv.len() - kept).into());
        }
        args
    }

    /// Logs a command that took `elapsed`, if that is slow enough.
    pub fn record(
        &self,
        settings: &Settings,
        elapsed: Duration,
        args: Vec<Bytes>,
        client: &super::Client,
    ) {
        let threshold = settings.int(P::SlowlogLogSlowerThan);
        let micros = elapsed.as_micros() as u64;
        if threshold < 0 || micros < threshold as u64 {
            return;
        }
        let entry = Entry {
            id: self.next_id.fetch_add(1, Relaxed),
            time: crate::store::now_ms() / 1000,
            micros,
            args,
            addr: client.addr.to_string(),
            name: client.info().name.clone().unwrap_or_default(),
        };
        let max = settings.int(P::SlowlogMaxLen).max(0) as usize;
        let mut entries = self.entries.lock();
        entries.push_front(entry);
        entries.truncate(max);
    }

    /// Calls `visit` on the newest `count` entries, newest first.
    pub fn newest(&self, count: usize, mut visit: impl FnMut(&Entry)) {
        self.entries.lock().iter().take(count).for_each(&mut visit);
    }

    pub fn len(&self) -> usize {
        self.entries.lock().len()
    }

    pub fn reset(&self) {
        self.entries.lock().clear();
    }
}

/// Whether argument `i` is a secret that logs must not show.
fn is_secret(full_name: &str, argv: &[Arg], i: usize) -> bool {
    let word = |j: usize| argv.get(j).and_then(Arg::as_bytes).unwrap_or_default();
    match full_name {
        "auth" => i >= 1,
        // ACL SETUSER username rules...: the rules may hold passwords.
        "acl|setuser" => i >= 2,
        // HELLO [protover [AUTH username password] [SETNAME name]]
        "hello" => {
            i >= 3
                && (word(i - 1).eq_ignore_ascii_case(b"AUTH")
                    || word(i - 2).eq_ignore_ascii_case(b"AUTH"))
        }
        // CONFIG SET name value [name value ...]
        "config|set" => {
            i >= 3 && i % 2 == 1 && P::lookup(word(i - 1)).is_some_and(|p| p.param().sensitive)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &[&str]) -> Vec<Arg> {
        words
            .iter()
            .map(|w| Arg::Bytes(Bytes::copy_from_slice(w.as_bytes())))
            .collect()
    }

    #[test]
    fn long_arguments_and_long_commands_are_cut() {
        let long = "x".repeat(200);
        let args = SlowLog::arguments("set", &argv(&["set", "k", &long]));
        assert_eq!(args[2].len(), 128 + "... (72 more bytes)".len());
        assert!(args[2].ends_with(b"... (72 more bytes)"));
        let many: Vec<String> = (0..40).map(|i| i.to_string()).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let args = SlowLog::arguments("del", &argv(&many));
        assert_eq!(args.len(), 32);
        assert_eq!(&args[31][..], b"... (9 more arguments)");
    }

    #[test]
    fn secrets_are_redacted() {
        let args = SlowLog::arguments("hello", &argv(&["hello", "3", "AUTH", "u", "p"]));
        assert_eq!(args[3], "(redacted)");
        assert_eq!(args[4], "(redacted)");
        assert_eq!(args[1], "3");
        let args = SlowLog::arguments(
            "config|set",
            &argv(&["config", "set", "requirepass", "s", "timeout", "1"]),
        );
        assert_eq!(args[3], "(redacted)");
        assert_eq!(args[5], "1");
    }
}
