//! Configuration: command-line flags, an optional Redis-style config file, and the parameter
//! registry that CONFIG GET reads.
//!
//! Precedence: built-in defaults, then the `--config` file, then flags given on the command
//! line. The config file uses Redis's syntax (`port 6377`, `requirepass "secret"`, comments
//! with `#`) and the same names as the long flags.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{ArgAction, Args, Parser};

use crate::store::Fsync;

/// The Redis version whose semantics dredis implements, reported by INFO and HELLO.
pub const REDIS_VERSION: &str = "7.2.4";

#[derive(Parser, Debug)]
#[command(
    name = "dredis",
    version,
    about = "A disk-backed, Redis-compatible server: keys and typed values live as directories and files",
    disable_version_flag = true
)]
pub struct Cli {
    /// Print the version and exit
    #[arg(short = 'v', long = "version", action = ArgAction::Version)]
    version: Option<bool>,

    #[command(flatten)]
    pub server: ServerArgs,
}

/// Flags of the server. Every one may also be set in the `--config` file.
#[derive(Args, Debug, Clone, Default)]
pub struct ServerArgs {
    /// Address to listen on [default: 127.0.0.1]
    #[arg(long)]
    pub host: Option<IpAddr>,
    /// TCP port [default: 6377]
    #[arg(long)]
    pub port: Option<u16>,
    /// Data directory [default: a fresh temporary directory]
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Log debug messages
    #[arg(long)]
    pub debug: bool,
    /// Delete every key at start-up
    #[arg(long)]
    pub flushall: bool,
    /// Number of databases [default: 16]
    #[arg(long)]
    pub databases: Option<usize>,
    /// When writes reach stable storage [default: everysec]
    #[arg(long, value_enum)]
    pub fsync: Option<Fsync>,
    /// Require clients to AUTH with this password
    #[arg(long)]
    pub requirepass: Option<String>,
    /// Refuse clients from outside loopback when no password is set [default: yes]
    #[arg(long, value_parser = parse_yes_no)]
    pub protected_mode: Option<bool>,
    /// Largest bulk argument, in bytes [default: 512mb]
    #[arg(long, value_parser = parse_memory)]
    pub proto_max_bulk_len: Option<u64>,
    /// Most simultaneous clients [default: 10000]
    #[arg(long)]
    pub maxclients: Option<usize>,
    /// Memory for caching small files of hot keys [default: 64mb]
    #[arg(long, value_parser = parse_memory)]
    pub cache_size: Option<u64>,
    /// Threads that run commands touching the disk [default: number of CPUs; 64 with --fsync always]
    #[arg(long)]
    pub disk_threads: Option<usize>,
    /// Bytes of pub/sub messages and MONITOR lines a client may leave unread before it is
    /// disconnected (Redis's client-output-buffer-limit pubsub hard limit) [default: 32mb]
    #[arg(long, value_parser = parse_memory)]
    pub pubsub_buffer_limit: Option<u64>,
    /// Redis-style configuration file (`name value` lines)
    #[arg(long)]
    pub config: Option<PathBuf>,
}

fn parse_yes_no(s: &str) -> Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "yes" => Ok(true),
        "no" => Ok(false),
        _ => Err(format!("expected yes or no, got {s:?}")),
    }
}

/// Parses a size as Redis does: a number with an optional k, kb, m, mb, g, gb suffix.
pub fn parse_memory(s: &str) -> Result<u64, String> {
    let lower = s.to_ascii_lowercase();
    let units: [(&str, u64); 6] = [
        ("kb", 1024),
        ("mb", 1 << 20),
        ("gb", 1 << 30),
        ("k", 1000),
        ("m", 1_000_000),
        ("g", 1_000_000_000),
    ];
    let (digits, unit) = units
        .iter()
        .find_map(|(suffix, mul)| lower.strip_suffix(suffix).map(|d| (d, *mul)))
        .unwrap_or((lower.as_str(), 1));
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(unit))
        .ok_or_else(|| format!("invalid memory size {s:?}"))
}

/// The resolved configuration of a running server.
#[derive(Debug, Clone)]
pub struct Config {
    pub host: IpAddr,
    pub port: u16,
    pub dir: PathBuf,
    /// True when `dir` was made up for this run (no --dir).
    pub dir_is_temporary: bool,
    pub debug: bool,
    pub flushall: bool,
    pub databases: usize,
    pub fsync: Fsync,
    pub requirepass: Option<String>,
    pub protected_mode: bool,
    pub proto_max_bulk_len: u64,
    pub maxclients: usize,
    pub cache_size: u64,
    pub disk_threads: usize,
    pub pubsub_buffer_limit: u64,
    pub config_file: Option<PathBuf>,
}

impl Config {
    /// Resolves flags over the config file over the defaults.
    pub fn load(flags: ServerArgs) -> Result<Config, String> {
        let mut merged = match &flags.config {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                parse_file(&text).map_err(|e| format!("{}: {e}", path.display()))?
            }
            None => ServerArgs::default(),
        };
        overlay(&mut merged, flags);
        let databases = merged.databases.unwrap_or(16);
        if databases == 0 || databases > 1_000_000 {
            return Err(format!(
                "databases must be between 1 and 1000000, got {databases}"
            ));
        }
        let (dir, dir_is_temporary) = match merged.dir {
            Some(dir) => (dir, false),
            None => {
                let dir = tempfile::Builder::new()
                    .prefix("dredis-")
                    .tempdir()
                    .map_err(|e| e.to_string())?;
                (dir.keep(), true)
            }
        };
        let fsync = merged.fsync.unwrap_or(Fsync::Everysec);
        // Commands that only wait for fsync leave the CPU free: more threads share the waits.
        let cpus = std::thread::available_parallelism().map_or(2, usize::from);
        let disk_threads =
            merged
                .disk_threads
                .unwrap_or(if fsync == Fsync::Always { 64 } else { cpus });
        if disk_threads == 0 {
            return Err("disk-threads must be at least 1".into());
        }
        Ok(Config {
            host: merged.host.unwrap_or(IpAddr::from([127, 0, 0, 1])),
            port: merged.port.unwrap_or(6377),
            dir,
            dir_is_temporary,
            debug: merged.debug,
            flushall: merged.flushall,
            databases,
            fsync,
            requirepass: merged.requirepass.filter(|p| !p.is_empty()),
            protected_mode: merged.protected_mode.unwrap_or(true),
            proto_max_bulk_len: merged.proto_max_bulk_len.unwrap_or(512 << 20),
            maxclients: merged.maxclients.unwrap_or(10_000),
            cache_size: merged.cache_size.unwrap_or(64 << 20),
            disk_threads,
            pubsub_buffer_limit: merged.pubsub_buffer_limit.unwrap_or(32 << 20),
            config_file: merged.config,
        })
    }

    /// The value CONFIG GET reports for a parameter, or None if it is not one we know.
    /// Parameters are listed in [`PARAMETERS`].
    pub fn get(&self, name: &str) -> Option<String> {
        let yes_no = |b: bool| if b { "yes" } else { "no" }.to_string();
        Some(match name {
            "bind" => self.host.to_string(),
            "port" => self.port.to_string(),
            "dir" => self.dir.display().to_string(),
            "databases" => self.databases.to_string(),
            "appendfsync" => self.fsync.name().to_string(),
            "requirepass" => self.requirepass.clone().unwrap_or_default(),
            "protected-mode" => yes_no(self.protected_mode),
            "proto-max-bulk-len" => self.proto_max_bulk_len.to_string(),
            "maxclients" => self.maxclients.to_string(),
            "loglevel" => if self.debug { "debug" } else { "notice" }.to_string(),
            // Fixed answers for what clients and tools probe: dredis persists every write to
            // its data directory itself, keeps no RDB/AOF, and never evicts.
            "save"
            | "logfile"
            | "unixsocket"
            | "notify-keyspace-events"
            | "masterauth"
            | "replicaof" => String::new(),
            "appendonly" | "cluster-enabled" | "daemonize" | "replica-read-only" => yes_no(false),
            "dbfilename" => "dump.rdb".into(),
            "maxmemory" | "timeout" => "0".into(),
            "maxmemory-policy" => "noeviction".into(),
            "tcp-keepalive" => "300".into(),
            "hz" => "10".into(),
            "lua-time-limit" | "busy-reply-threshold" => "5000".into(),
            "client-query-buffer-limit" => (1u64 << 30).to_string(),
            // Only the pub/sub hard limit is enforced (normal clients have none, as in Redis).
            "client-output-buffer-limit" => format!(
                "normal 0 0 0 slave 268435456 67108864 60 pubsub {} 0 0",
                self.pubsub_buffer_limit
            ),
            "slowlog-log-slower-than" => "10000".into(),
            "slowlog-max-len" => "128".into(),
            _ => return None,
        })
    }
}

/// Every parameter CONFIG GET knows, in the order it lists them.
pub const PARAMETERS: &[&str] = &[
    "bind",
    "port",
    "dir",
    "databases",
    "appendfsync",
    "appendonly",
    "requirepass",
    "protected-mode",
    "proto-max-bulk-len",
    "client-query-buffer-limit",
    "client-output-buffer-limit",
    "maxclients",
    "maxmemory",
    "maxmemory-policy",
    "timeout",
    "tcp-keepalive",
    "loglevel",
    "logfile",
    "save",
    "dbfilename",
    "daemonize",
    "hz",
    "cluster-enabled",
    "lua-time-limit",
    "busy-reply-threshold",
    "notify-keyspace-events",
    "slowlog-log-slower-than",
    "slowlog-max-len",
    "unixsocket",
    "masterauth",
    "replicaof",
    "replica-read-only",
];

/// Fills unset fields of `base` from `top` (flags win over the file).
fn overlay(base: &mut ServerArgs, top: ServerArgs) {
    macro_rules! take {
        ($($field:ident),*) => { $( if top.$field.is_some() { base.$field = top.$field; } )* };
    }
    take!(
        host,
        port,
        dir,
        databases,
        fsync,
        requirepass,
        protected_mode,
        proto_max_bulk_len,
        maxclients,
        cache_size,
        disk_threads,
        pubsub_buffer_limit,
        config
    );
    base.debug |= top.debug;
    base.flushall |= top.flushall;
}

/// Reads a Redis-style config file into the same shape as the flags.
fn parse_file(text: &str) -> Result<ServerArgs, String> {
    let mut args = ServerArgs::default();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let words = crate::protocol::split_inline(line.as_bytes())
            .ok_or_else(|| format!("line {}: unbalanced quotes", number + 1))?;
        let words: Vec<String> = words
            .iter()
            .map(|w| String::from_utf8_lossy(w.as_bytes().unwrap_or_default()).into_owned())
            .collect();
        let (name, value) = match words.as_slice() {
            [name, value] => (name.to_ascii_lowercase(), value.as_str()),
            [name] if matches!(name.as_str(), "debug" | "flushall") => (name.clone(), "yes"),
            _ => return Err(format!("line {}: expected `name value`", number + 1)),
        };
        let bad = |e: String| format!("line {}: {name}: {e}", number + 1);
        match name.as_str() {
            "host" | "bind" => {
                args.host = Some(
                    value
                        .parse()
                        .map_err(|e: std::net::AddrParseError| bad(e.to_string()))?,
                )
            }
            "port" => {
                args.port = Some(
                    value
                        .parse()
                        .map_err(|e: std::num::ParseIntError| bad(e.to_string()))?,
                )
            }
            "dir" => args.dir = Some(PathBuf::from(value)),
            "databases" => {
                args.databases = Some(
                    value
                        .parse()
                        .map_err(|e: std::num::ParseIntError| bad(e.to_string()))?,
                )
            }
            "fsync" | "appendfsync" => {
                args.fsync = Some(<Fsync as clap::ValueEnum>::from_str(value, true).map_err(bad)?);
            }
            "requirepass" => args.requirepass = Some(value.to_string()),
            "protected-mode" => args.protected_mode = Some(parse_yes_no(value).map_err(bad)?),
            "proto-max-bulk-len" => {
                args.proto_max_bulk_len = Some(parse_memory(value).map_err(bad)?)
            }
            "maxclients" => {
                args.maxclients = Some(
                    value
                        .parse()
                        .map_err(|e: std::num::ParseIntError| bad(e.to_string()))?,
                )
            }
            "cache-size" => args.cache_size = Some(parse_memory(value).map_err(bad)?),
            "pubsub-buffer-limit" => {
                args.pubsub_buffer_limit = Some(parse_memory(value).map_err(bad)?)
            }
            "disk-threads" => {
                args.disk_threads = Some(
                    value
                        .parse()
                        .map_err(|e: std::num::ParseIntError| bad(e.to_string()))?,
                )
            }
            "debug" => args.debug = parse_yes_no(value).map_err(bad)?,
            "flushall" => args.flushall = parse_yes_no(value).map_err(bad)?,
            "loglevel" => {
                args.debug =
                    value.eq_ignore_ascii_case("debug") || value.eq_ignore_ascii_case("verbose")
            }
            _ => return Err(format!("line {}: unknown parameter {name:?}", number + 1)),
        }
    }
    Ok(args)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_over_the_file() {
        let mut file =
            parse_file("# comment\nport 7000\nrequirepass \"s3cret pass\"\nappendfsync always\n")
                .unwrap();
        assert_eq!(file.port, Some(7000));
        assert_eq!(file.requirepass.as_deref(), Some("s3cret pass"));
        overlay(
            &mut file,
            ServerArgs {
                port: Some(7001),
                ..Default::default()
            },
        );
        assert_eq!(file.port, Some(7001));
        assert_eq!(file.fsync, Some(Fsync::Always));
    }

    #[test]
    fn bad_files_say_where() {
        assert!(parse_file("port nope\n").unwrap_err().contains("line 1"));
        assert!(parse_file("\n\nmystery 1\n")
            .unwrap_err()
            .contains("line 3"));
    }

    #[test]
    fn memory_sizes() {
        assert_eq!(parse_memory("512mb"), Ok(512 << 20));
        assert_eq!(parse_memory("1k"), Ok(1000));
        assert_eq!(parse_memory("100"), Ok(100));
        assert!(parse_memory("lots").is_err());
    }
}
