//! Configuration: command-line flags, an optional Redis-style config file, and the registry of
//! parameters that CONFIG GET and CONFIG SET read and change while the server runs.
//!
//! Precedence at start-up: built-in defaults, then the `--config` file, then flags given on the
//! command line. The config file uses Redis's syntax (`port 6377`, `requirepass "secret"`,
//! comments with `#`): the long flags' names, and any parameter of the registry
//! (`hash-max-listpack-entries 256`, `save 900 1`, `timeout 300`).
//!
//! The registry ([`PARAMS`], one entry per [`P`]) says, for every parameter, its name and
//! alias, its type with Redis's validation, its default and whether CONFIG SET may change it.
//! The live values are held in [`Settings`]: the code that uses a parameter reads it from there
//! each time (`settings.int(P::Timeout)`), so a CONFIG SET takes effect at once. Parameters
//! that dredis has no use for (the encoding thresholds, `save`, `maxmemory`, ...) are
//! validated, stored and reported as Redis does, with no effect: tools and clients that set
//! them keep working.

use std::borrow::Cow;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use clap::{ArgAction, Args, Parser};
use parking_lot::{Mutex, RwLock};

use crate::store::Fsync;

/// The Redis version whose semantics dredis implements, reported by INFO and HELLO.
pub const REDIS_VERSION: &str = "7.2.4";
/// The same, as Redis's REDIS_VERSION_NUM (0xMMmmpp), for scripts' redis.REDIS_VERSION_NUM.
pub const REDIS_VERSION_NUM: u32 = 0x0007_0204;

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

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What `dredis` does besides serving.
#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Copy a point-in-time image of a data directory to a local directory or S3
    Snapshot(SnapshotArgs),
    /// Bring a snapshot back into a new data directory
    Restore(RestoreArgs),
    /// Verify a stopped data directory against the format (and repair what can be)
    Check(CheckArgs),
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// The data directory (of a stopped server)
    #[arg(long)]
    pub dir: PathBuf,
    /// Fix what can be fixed: unfinished journal commits, sizes, expiry markers, stray files
    #[arg(long)]
    pub repair: bool,
}

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct SnapshotArgs {
    #[command(subcommand)]
    pub list: Option<SnapshotCommand>,
    /// The data directory (of a running server, or of a stopped one)
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Where to: a local directory or s3://bucket/prefix
    #[arg(long)]
    pub to: Option<String>,
    #[command(flatten)]
    pub remote: Remote,
    /// The running server's password (also read from REDISCLI_AUTH)
    #[arg(long)]
    pub password: Option<String>,
}

#[derive(clap::Subcommand, Debug)]
pub enum SnapshotCommand {
    /// List the snapshots kept at a destination
    List {
        /// A local directory or s3://bucket/prefix
        #[arg(long)]
        to: String,
        #[command(flatten)]
        remote: Remote,
    },
}

#[derive(Args, Debug)]
pub struct RestoreArgs {
    /// Where the snapshots are: a local directory or s3://bucket/prefix
    #[arg(long)]
    pub from: String,
    /// The new data directory (must not exist, or be empty)
    #[arg(long)]
    pub dir: PathBuf,
    /// Which snapshot [default: the latest]
    #[arg(long)]
    pub snapshot: Option<String>,
    #[command(flatten)]
    pub remote: Remote,
}

/// How to reach an S3-compatible store.
#[derive(Args, Debug, Clone, Default)]
pub struct Remote {
    /// S3 endpoint URL, for S3-compatible stores (path-style requests) [default: AWS]
    #[arg(long)]
    pub endpoint: Option<String>,
}

/// Flags of the server. Every one may also be set in the `--config` file.
#[derive(Args, Debug, Clone, Default)]
pub struct ServerArgs {
    /// Address to listen on [default: 127.0.0.1]
    #[arg(long)]
    pub host: Option<IpAddr>,
    /// TCP port; 0 serves no plain TCP (with --tls-port) [default: 6377]
    #[arg(long)]
    pub port: Option<u16>,
    /// Port of TLS connections; 0 serves none [default: 0]
    #[arg(long)]
    pub tls_port: Option<u16>,
    /// The server's certificate (chain), PEM
    #[arg(long)]
    pub tls_cert_file: Option<PathBuf>,
    /// The private key of --tls-cert-file, PEM (PKCS#8, PKCS#1 or SEC1; not encrypted)
    #[arg(long)]
    pub tls_key_file: Option<PathBuf>,
    /// CA certificates (PEM) that clients' certificates must chain to
    #[arg(long)]
    pub tls_ca_cert_file: Option<PathBuf>,
    /// Whether TLS clients must show a certificate signed by --tls-ca-cert-file [default: yes]
    #[arg(long, value_enum)]
    pub tls_auth_clients: Option<TlsAuthClients>,
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
    /// Where SAVE, BGSAVE and --snapshot-every take snapshots: a local directory or s3://bucket/prefix
    #[arg(long)]
    pub snapshot_to: Option<String>,
    /// Take a snapshot every so many seconds (needs --snapshot-to)
    #[arg(long)]
    pub snapshot_every: Option<u64>,
    /// S3 endpoint URL of --snapshot-to, for S3-compatible stores
    #[arg(long)]
    pub snapshot_endpoint: Option<String>,
    /// Redis-style configuration file (`name value` lines)
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Registry parameters set by the config file (`timeout 300`), in file order.
    #[arg(skip)]
    pub parameters: Vec<(P, String)>,
}

/// `tls-auth-clients`, as Redis: `yes` requires a client certificate, `optional` checks one
/// if the client sends it, `no` asks for none.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsAuthClients {
    No,
    Yes,
    Optional,
}

impl TlsAuthClients {
    pub fn name(self) -> &'static str {
        match self {
            TlsAuthClients::No => "no",
            TlsAuthClients::Yes => "yes",
            TlsAuthClients::Optional => "optional",
        }
    }
}

/// What the TLS listener serves with: the flags, checked to be complete (the files are read
/// when the server starts, by `server::tls`).
#[derive(Debug, Clone)]
pub struct Tls {
    pub port: u16,
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
    pub ca_cert_file: Option<PathBuf>,
    pub auth_clients: TlsAuthClients,
}

impl Tls {
    /// The TLS settings of `--tls-port` (None without one), or what is missing, as Redis's
    /// start-up checks.
    fn resolve(args: &ServerArgs) -> Result<Option<Tls>, String> {
        let port = args.tls_port.unwrap_or(0);
        if port == 0 {
            return Ok(None);
        }
        let auth_clients = args.tls_auth_clients.unwrap_or(TlsAuthClients::Yes);
        let cert_file = args
            .tls_cert_file
            .clone()
            .ok_or("--tls-port needs --tls-cert-file")?;
        let key_file = args
            .tls_key_file
            .clone()
            .ok_or("--tls-port needs --tls-key-file")?;
        if auth_clients != TlsAuthClients::No && args.tls_ca_cert_file.is_none() {
            let default = if args.tls_auth_clients.is_none() {
                " (the default)"
            } else {
                ""
            };
            return Err(format!(
                "--tls-auth-clients {}{default} needs --tls-ca-cert-file, to check clients' \
                 certificates against (--tls-auth-clients no asks clients for none)",
                auth_clients.name()
            ));
        }
        Ok(Some(Tls {
            port,
            cert_file,
            key_file,
            ca_cert_file: args.tls_ca_cert_file.clone(),
            auth_clients,
        }))
    }
}

fn parse_yes_no(s: &str) -> Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "yes" => Ok(true),
        "no" => Ok(false),
        _ => Err(format!("expected yes or no, got {s:?}")),
    }
}

/// A path as CONFIG GET shows it: as it was given.
fn path_text(path: PathBuf) -> String {
    path.display().to_string()
}

/// Parses a size as Redis's `memtoull`: digits with an optional unit, b, k (1000), kb (1024),
/// m, mb, g, gb, in any case. No sign, no spaces.
pub fn parse_memory(s: &str) -> Result<u64, String> {
    let bad = || format!("invalid memory size {s:?}");
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let multiplier: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return Err(bad()),
    };
    // strtoull: no digits reads as 0, too many saturates.
    let value = if digits.is_empty() {
        0
    } else {
        digits.parse::<u64>().unwrap_or(u64::MAX)
    };
    value.checked_mul(multiplier).ok_or_else(bad)
}

/// The resolved configuration of a running server: what start-up needs, and the live
/// registry of parameters.
#[derive(Debug)]
pub struct Config {
    pub host: IpAddr,
    /// The plain TCP port; 0: none (TLS only).
    pub port: u16,
    /// The TLS listener, if any.
    pub tls: Option<Tls>,
    pub dir: PathBuf,
    /// True when `dir` was made up for this run (no --dir).
    pub dir_is_temporary: bool,
    pub debug: bool,
    pub flushall: bool,
    pub databases: usize,
    pub fsync: Fsync,
    pub cache_size: u64,
    pub disk_threads: usize,
    pub snapshot_to: Option<String>,
    pub snapshot_every: Option<std::time::Duration>,
    pub snapshot_endpoint: Option<String>,
    pub config_file: Option<PathBuf>,
    /// The parameters' current values (CONFIG GET/SET).
    pub settings: Settings,
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
        let tls = Tls::resolve(&merged)?;
        if merged.port == Some(0) && tls.is_none() {
            return Err("configured to not listen anywhere: --port 0 needs a --tls-port".into());
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
        let host = merged.host.unwrap_or(IpAddr::from([127, 0, 0, 1]));
        let port = merged.port.unwrap_or(6377);
        let settings = Settings::default();
        for (p, text) in &merged.parameters {
            settings.init(*p, text)?;
        }
        // What the flags decide, in the registry's own terms.
        let yes_no = |b: bool| if b { "yes" } else { "no" };
        let from_flags = [
            (P::Bind, Some(host.to_string())),
            (P::Port, Some(port.to_string())),
            (
                P::Dir,
                Some(
                    std::path::absolute(&dir)
                        .unwrap_or(dir.clone())
                        .display()
                        .to_string(),
                ),
            ),
            (P::Databases, Some(databases.to_string())),
            (P::Appendfsync, Some(fsync.name().to_string())),
            (P::Loglevel, merged.debug.then(|| "debug".to_string())),
            (P::Requirepass, merged.requirepass),
            (
                P::ProtectedMode,
                merged.protected_mode.map(|b| yes_no(b).into()),
            ),
            (
                P::ProtoMaxBulkLen,
                merged.proto_max_bulk_len.map(|n| n.to_string()),
            ),
            (P::Maxclients, merged.maxclients.map(|n| n.to_string())),
            (P::TlsPort, merged.tls_port.map(|n| n.to_string())),
            (P::TlsCertFile, merged.tls_cert_file.map(path_text)),
            (P::TlsKeyFile, merged.tls_key_file.map(path_text)),
            (P::TlsCaCertFile, merged.tls_ca_cert_file.map(path_text)),
            (
                P::TlsAuthClients,
                merged.tls_auth_clients.map(|a| a.name().into()),
            ),
        ];
        for (p, value) in from_flags {
            if let Some(value) = value {
                settings.force(p, &value);
            }
        }
        Ok(Config {
            host,
            port,
            tls,
            dir,
            dir_is_temporary,
            debug: merged.debug,
            flushall: merged.flushall,
            databases,
            fsync,
            cache_size: merged.cache_size.unwrap_or(64 << 20),
            disk_threads,
            snapshot_every: match (merged.snapshot_every, &merged.snapshot_to) {
                (Some(0), _) => return Err("snapshot-every must be at least 1 second".into()),
                (Some(_), None) => return Err("snapshot-every needs snapshot-to".into()),
                (every, _) => every.map(std::time::Duration::from_secs),
            },
            snapshot_to: merged.snapshot_to,
            snapshot_endpoint: merged.snapshot_endpoint,
            config_file: merged.config,
            settings,
        })
    }

    /// CONFIG REWRITE: sets each parameter's line of the config file to its current value
    /// (repeats of a parameter are dropped, other lines stay as they are), appends the
    /// parameters that differ from their defaults and had no line, and replaces the file
    /// atomically.
    pub fn rewrite(&self, path: &Path) -> std::io::Result<()> {
        const SIGNATURE: &str = "# Generated by CONFIG REWRITE";
        let text = match std::fs::read_to_string(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            other => other?,
        };
        let mut written = Vec::new();
        let mut lines = Vec::new();
        for line in text.lines() {
            let name = line.split_whitespace().next().unwrap_or_default();
            let p = match name.to_ascii_lowercase().as_str() {
                _ if name.starts_with('#') => None,
                "host" => Some(P::Bind),
                "fsync" => Some(P::Appendfsync),
                lower => P::lookup(lower.as_bytes()),
            };
            match p {
                Some(p) if written.contains(&p) => {}
                Some(p) => {
                    written.push(p);
                    lines.push(format!("{name} {}", self.settings.config_text(p)));
                }
                None => lines.push(line.to_string()),
            }
        }
        let mut signed = text.lines().any(|l| l == SIGNATURE);
        for &p in ALL {
            if written.contains(&p) || self.settings.show(p) == p.param().default {
                continue;
            }
            if !signed {
                lines.push(SIGNATURE.to_string());
                signed = true;
            }
            let line = format!("{} {}", p.param().name, self.settings.config_text(p));
            lines.push(line);
        }
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
        let text = lines.join("\n") + "\n";
        crate::store::files::write_durably(path, dir.unwrap_or(Path::new(".")), text.as_bytes())
    }
}

// ---- the registry ----

/// How a parameter's value is written and checked, as Redis's config types.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// `yes` or `no`.
    Bool,
    /// An integer within bounds (inclusive); `memory` also takes Redis's units (`5mb`, `1gb`).
    Int { min: i128, max: i128, memory: bool },
    /// One word of a fixed list, in any case.
    Enum(&'static [&'static str]),
    /// Any text.
    Text,
    /// Text in a format of its own: the function checks the new text against the current
    /// value and returns the value to store (`save`, `notify-keyspace-events`, ...).
    Special(fn(&str, &str) -> Result<String, Cow<'static, str>>),
}

/// Whether CONFIG SET may change a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Mutable,
    /// Set at start-up only, as Redis's IMMUTABLE_CONFIG.
    Immutable,
    /// As Redis's PROTECTED_CONFIG with `enable-protected-configs no` (its default).
    Protected,
    /// Redis can change it at runtime, dredis cannot: only the current value is accepted, and
    /// the text says why.
    Fixed(&'static str),
}

/// One registered parameter.
#[derive(Debug)]
pub struct Param {
    pub name: &'static str,
    /// Redis's older name for the same parameter (`hash-max-ziplist-entries`).
    pub alias: Option<&'static str>,
    pub kind: Kind,
    pub default: &'static str,
    pub access: Access,
    /// Hidden from logs: the slow log shows `(redacted)` for a value being set.
    pub sensitive: bool,
}

const INT_MAX: i128 = i32::MAX as i128;
const LONG_MAX: i128 = i64::MAX as i128;

const fn int(min: i128, max: i128) -> Kind {
    Kind::Int {
        min,
        max,
        memory: false,
    }
}

const fn memory(min: i128, max: i128) -> Kind {
    Kind::Int {
        min,
        max,
        memory: true,
    }
}

/// Declares [`P`] and [`PARAMS`] in one list, so that `P::X as usize` is X's index.
macro_rules! registry {
    ($( $id:ident $name:literal $(| $alias:literal)? : $kind:expr, $default:literal, $access:expr $(, $sensitive:ident)?; )*) => {
        /// A registered parameter, by its Rust name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum P { $($id),* }

        /// Every [`P`], by index.
        const ALL: &[P] = &[$(P::$id),*];

        /// Every parameter, in the order of [`P`] (and of CONFIG GET's replies).
        pub const PARAMS: &[Param] = &[$(Param {
            name: $name,
            alias: registry!(@opt $($alias)?),
            kind: $kind,
            default: $default,
            access: $access,
            sensitive: registry!(@flag $($sensitive)?),
        }),*];
    };
    (@opt) => { None };
    (@opt $x:literal) => { Some($x) };
    (@flag) => { false };
    (@flag $x:ident) => { true };
}

const FIXED_ADDRESS: Access =
    Access::Fixed("dredis cannot change its listening address while running");
const FIXED_TLS: Access = Access::Fixed(
    "dredis cannot change its TLS settings while running: restart it with the --tls-* flags",
);
const FIXED_FSYNC: Access =
    Access::Fixed("dredis cannot change its fsync policy while running: restart it with --fsync");
const FIXED_LOGLEVEL: Access = Access::Fixed(
    "dredis cannot change its log level while running: restart it with or without --debug",
);

use Access::{Immutable, Mutable, Protected};

registry! {
    // Network and clients.
    Bind "bind": Kind::Text, "127.0.0.1", FIXED_ADDRESS;
    Port "port": int(0, 65535), "6377", FIXED_ADDRESS;
    TlsPort "tls-port": int(0, 65535), "0", FIXED_ADDRESS;
    TlsCertFile "tls-cert-file": Kind::Text, "", FIXED_TLS;
    TlsKeyFile "tls-key-file": Kind::Text, "", FIXED_TLS;
    TlsCaCertFile "tls-ca-cert-file": Kind::Text, "", FIXED_TLS;
    TlsAuthClients "tls-auth-clients": Kind::Enum(&["no", "yes", "optional"]), "yes", FIXED_TLS;
    ProtectedMode "protected-mode": Kind::Bool, "yes", Mutable;
    Requirepass "requirepass": Kind::Text, "", Mutable, sensitive;
    AclPubsubDefault "acl-pubsub-default": Kind::Enum(&["allchannels", "resetchannels"]), "resetchannels", Mutable;
    Masterauth "masterauth": Kind::Text, "", Mutable, sensitive;
    Masteruser "masteruser": Kind::Text, "", Mutable, sensitive;
    Maxclients "maxclients": int(1, u32::MAX as i128), "10000", Mutable;
    Timeout "timeout": int(0, INT_MAX), "0", Mutable;
    TcpKeepalive "tcp-keepalive": int(0, INT_MAX), "300", Mutable;
    TcpBacklog "tcp-backlog": int(0, INT_MAX), "511", Immutable;
    Unixsocket "unixsocket": Kind::Text, "", Immutable;
    ProtoMaxBulkLen "proto-max-bulk-len": memory(1 << 20, LONG_MAX), "536870912", Mutable;
    ClientQueryBufferLimit "client-query-buffer-limit": memory(1 << 20, LONG_MAX), "1073741824", Mutable;
    ClientOutputBufferLimit "client-output-buffer-limit": Kind::Special(output_buffer_limits),
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60", Mutable;
    IoThreads "io-threads": int(1, 128), "1", Immutable;
    // The server and its files.
    Dir "dir": Kind::Text, "", Protected;
    Databases "databases": int(1, INT_MAX), "16", Immutable;
    Daemonize "daemonize": Kind::Bool, "no", Immutable;
    Pidfile "pidfile": Kind::Text, "", Immutable;
    Logfile "logfile": Kind::Text, "", Immutable;
    Loglevel "loglevel": Kind::Enum(&["debug", "verbose", "notice", "warning"]), "notice", FIXED_LOGLEVEL;
    Hz "hz": int(0, INT_MAX), "10", Mutable;
    ActiveExpireEffort "active-expire-effort": int(1, 10), "1", Mutable;
    ClusterEnabled "cluster-enabled": Kind::Bool, "no", Immutable;
    // Persistence: dredis writes every change to its data directory; these are reported.
    Appendfsync "appendfsync": Kind::Enum(&["everysec", "always", "no"]), "everysec", FIXED_FSYNC;
    Appendonly "appendonly": Kind::Bool, "no", Mutable;
    Appendfilename "appendfilename": Kind::Text, "appendonly.aof", Immutable;
    Appenddirname "appenddirname": Kind::Text, "appendonlydir", Immutable;
    Save "save": Kind::Special(save_points), "", Mutable;
    Dbfilename "dbfilename": Kind::Text, "dump.rdb", Protected;
    Rdbcompression "rdbcompression": Kind::Bool, "yes", Mutable;
    Rdbchecksum "rdbchecksum": Kind::Bool, "yes", Immutable;
    StopWritesOnBgsaveError "stop-writes-on-bgsave-error": Kind::Bool, "yes", Mutable;
    // Memory: dredis keeps its data on disk and never evicts.
    Maxmemory "maxmemory": memory(0, u64::MAX as i128), "0", Mutable;
    MaxmemoryPolicy "maxmemory-policy": Kind::Enum(&[
        "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
        "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction",
    ]), "noeviction", Mutable;
    MaxmemorySamples "maxmemory-samples": int(1, INT_MAX), "5", Mutable;
    MaxmemoryClients "maxmemory-clients": Kind::Special(memory_or_percent), "0", Mutable;
    Activerehashing "activerehashing": Kind::Bool, "yes", Mutable;
    LazyfreeLazyUserDel "lazyfree-lazy-user-del": Kind::Bool, "no", Mutable;
    LazyfreeLazyUserFlush "lazyfree-lazy-user-flush": Kind::Bool, "no", Mutable;
    // Encoding thresholds: Redis's in-memory encodings; dredis's files do not change.
    HashMaxListpackEntries "hash-max-listpack-entries" | "hash-max-ziplist-entries": int(0, LONG_MAX), "512", Mutable;
    HashMaxListpackValue "hash-max-listpack-value" | "hash-max-ziplist-value": memory(0, LONG_MAX), "64", Mutable;
    SetMaxIntsetEntries "set-max-intset-entries": int(0, LONG_MAX), "512", Mutable;
    SetMaxListpackEntries "set-max-listpack-entries": int(0, LONG_MAX), "128", Mutable;
    SetMaxListpackValue "set-max-listpack-value": memory(0, LONG_MAX), "64", Mutable;
    ZsetMaxListpackEntries "zset-max-listpack-entries" | "zset-max-ziplist-entries": int(0, LONG_MAX), "128", Mutable;
    ZsetMaxListpackValue "zset-max-listpack-value" | "zset-max-ziplist-value": memory(0, LONG_MAX), "64", Mutable;
    ListMaxListpackSize "list-max-listpack-size" | "list-max-ziplist-size": int(i32::MIN as i128, INT_MAX), "-2", Mutable;
    ListCompressDepth "list-compress-depth": int(0, INT_MAX), "0", Mutable;
    StreamNodeMaxBytes "stream-node-max-bytes": memory(0, LONG_MAX), "4096", Mutable;
    StreamNodeMaxEntries "stream-node-max-entries": int(0, LONG_MAX), "100", Mutable;
    HllSparseMaxBytes "hll-sparse-max-bytes": memory(0, LONG_MAX), "3000", Mutable;
    // Monitoring, scripts, events.
    SlowlogLogSlowerThan "slowlog-log-slower-than": int(-1, LONG_MAX), "10000", Mutable;
    SlowlogMaxLen "slowlog-max-len": int(0, LONG_MAX), "128", Mutable;
    LatencyMonitorThreshold "latency-monitor-threshold": int(0, LONG_MAX), "0", Mutable;
    BusyReplyThreshold "busy-reply-threshold" | "lua-time-limit": int(0, LONG_MAX), "5000", Mutable;
    NotifyKeyspaceEvents "notify-keyspace-events": Kind::Special(keyspace_events), "", Mutable;
    // Replication: dredis is always a master without replicas.
    Replicaof "replicaof" | "slaveof": Kind::Text, "", Immutable;
    ReplBacklogSize "repl-backlog-size": memory(1, LONG_MAX), "1048576", Mutable;
    ReplicaReadOnly "replica-read-only" | "slave-read-only": Kind::Bool, "yes", Mutable;
    ReplicaServeStaleData "replica-serve-stale-data" | "slave-serve-stale-data": Kind::Bool, "yes", Mutable;
    MinReplicasToWrite "min-replicas-to-write" | "min-slaves-to-write": int(0, INT_MAX), "0", Mutable;
}

impl P {
    pub fn param(self) -> &'static Param {
        &PARAMS[self as usize]
    }

    /// The parameter called `name` (or its alias), in any case.
    pub fn lookup(name: &[u8]) -> Option<P> {
        let index = PARAMS.iter().position(|p| {
            name.eq_ignore_ascii_case(p.name.as_bytes())
                || p.alias
                    .is_some_and(|a| name.eq_ignore_ascii_case(a.as_bytes()))
        })?;
        Some(ALL[index])
    }
}

/// A stored value: numbers (bools, integers, enum indexes) in an atomic, text behind a lock.
#[derive(Debug)]
enum Slot {
    Number(AtomicU64),
    Text(RwLock<Arc<str>>),
}

/// The live value of every parameter.
#[derive(Debug)]
pub struct Settings {
    slots: Vec<Slot>,
    /// Serializes CONFIG SETs, so that each one's all-or-nothing check holds.
    writer: Mutex<()>,
}

impl Default for Settings {
    /// Every parameter at its default.
    fn default() -> Settings {
        let slots = PARAMS
            .iter()
            .map(|p| match p.kind {
                Kind::Text | Kind::Special(_) => Slot::Text(RwLock::new(p.default.into())),
                _ => Slot::Number(AtomicU64::new(0)),
            })
            .collect();
        let settings = Settings {
            slots,
            writer: Mutex::new(()),
        };
        for &p in ALL {
            settings.force(p, p.param().default);
        }
        settings
    }
}

/// A parsed value, ready to store.
enum Value {
    Number(u64),
    Text(String),
}

impl Settings {
    /// An integer parameter (a bool is 0 or 1).
    pub fn int(&self, p: P) -> i64 {
        match &self.slots[p as usize] {
            Slot::Number(n) => n.load(Ordering::Relaxed) as i64,
            Slot::Text(_) => unreachable!("{} is not a number", p.param().name),
        }
    }

    /// lua-time-limit: how long a script runs before other clients get -BUSY.
    pub fn busy_limit(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.int(P::BusyReplyThreshold).max(0) as u64)
    }

    /// A yes/no parameter.
    pub fn flag(&self, p: P) -> bool {
        self.int(p) != 0
    }

    /// Bytes of pub/sub messages and MONITOR lines a client may leave unread before it is
    /// disconnected: the pubsub class's hard limit of `client-output-buffer-limit` (0: none).
    pub fn pubsub_limit(&self) -> usize {
        let limits = self.text(P::ClientOutputBufferLimit);
        let words: Vec<&str> = limits.split(' ').collect();
        let hard = words
            .chunks(4)
            .find(|group| group[0] == "pubsub")
            .and_then(|group| group[1].parse::<usize>().ok())
            .unwrap_or(0);
        if hard == 0 {
            usize::MAX
        } else {
            hard
        }
    }

    /// A text parameter.
    pub fn text(&self, p: P) -> Arc<str> {
        match &self.slots[p as usize] {
            Slot::Text(t) => t.read().clone(),
            Slot::Number(_) => unreachable!("{} is not text", p.param().name),
        }
    }

    /// The value as CONFIG GET shows it.
    pub fn show(&self, p: P) -> String {
        let value = match &self.slots[p as usize] {
            Slot::Number(n) => Value::Number(n.load(Ordering::Relaxed)),
            Slot::Text(t) => Value::Text(t.read().to_string()),
        };
        render(p, &value)
    }

    /// The value as a config file line writes it: text quoted as Redis quotes it (`"s3cret"`),
    /// the rest as CONFIG GET shows it (`save ""` when empty).
    fn config_text(&self, p: P) -> String {
        let value = self.show(p);
        match p.param().kind {
            Kind::Text => quoted(&value),
            _ if value.is_empty() => "\"\"".to_string(),
            _ => value,
        }
    }

    /// Checks `text` as a value of `p`, as Redis does, and returns what to store.
    fn parse(&self, p: P, text: &str) -> Result<Value, Cow<'static, str>> {
        let param = p.param();
        match param.kind {
            Kind::Bool => match text.to_ascii_lowercase().as_str() {
                "yes" => Ok(Value::Number(1)),
                "no" => Ok(Value::Number(0)),
                _ => Err("argument must be 'yes' or 'no'".into()),
            },
            Kind::Enum(words) => words
                .iter()
                .position(|w| w.eq_ignore_ascii_case(text))
                .map(|i| Value::Number(i as u64))
                .ok_or_else(|| {
                    format!(
                        "argument(s) must be one of the following: {}",
                        words.join(", ")
                    )
                    .into()
                }),
            Kind::Int { min, max, memory } => {
                let value: i128 = if memory {
                    parse_memory(text)
                        .map_err(|_| "argument must be a memory value")?
                        .into()
                } else {
                    crate::number::parse_i64(text.as_bytes())
                        .ok_or("argument couldn't be parsed into an integer")?
                        .into()
                };
                if value < min || value > max {
                    return Err(
                        format!("argument must be between {min} and {max} inclusive").into(),
                    );
                }
                // Redis takes any hz and caps it to what its timer can do.
                let value = if p == P::Hz {
                    value.clamp(1, 500)
                } else {
                    value
                };
                Ok(Value::Number(value as u64))
            }
            Kind::Text => Ok(Value::Text(text.to_string())),
            Kind::Special(check) => check(text, &self.text(p)).map(Value::Text),
        }
    }

    fn store(&self, p: P, value: Value) {
        match (&self.slots[p as usize], value) {
            (Slot::Number(n), Value::Number(v)) => n.store(v, Ordering::Relaxed),
            (Slot::Text(t), Value::Text(v)) => *t.write() = v.into(),
            _ => unreachable!("a value of the parameter's own kind"),
        }
    }

    /// Sets a value from the config file: checked as CONFIG SET checks it, whatever the access.
    fn init(&self, p: P, text: &str) -> Result<(), String> {
        let value = self
            .parse(p, text)
            .map_err(|e| format!("{}: {e}", p.param().name))?;
        self.store(p, value);
        Ok(())
    }

    /// Sets a value decided at start-up (defaults, flags), without Redis's bounds: a flag such
    /// as `--proto-max-bulk-len 1000` is the operator's choice.
    fn force(&self, p: P, text: &str) {
        let value = match p.param().kind {
            Kind::Int { .. } => (text.parse::<i64>().map(|n| n as u64))
                .or_else(|_| text.parse::<u64>())
                .ok()
                .map(Value::Number),
            _ => self.parse(p, text).ok(),
        };
        // Defaults are valid, and clap has checked the flags' types.
        let value = value.unwrap_or_else(|| panic!("{text:?} is not a {}", p.param().name));
        self.store(p, value);
    }

    /// CONFIG SET name value [name value ...]: all the values, or none of them, as Redis
    /// checks them (unknown names first, then access and repeats, then each value in order).
    pub fn set_many(&self, pairs: &[(&[u8], &[u8])]) -> Result<(), SetError> {
        let _writer = self.writer.lock();
        // Each parameter by the name it was given as: Redis registers an alias as a
        // parameter of its own, so `x` and its alias in one call are not repeats (the last
        // one wins).
        let mut chosen: Vec<(P, &'static str)> = Vec::with_capacity(pairs.len());
        for (name, _) in pairs {
            let spelled = || String::from_utf8_lossy(name).into_owned();
            let p = P::lookup(name).ok_or_else(|| SetError::Unknown(spelled()))?;
            let param = p.param();
            let registered = param
                .alias
                .filter(|a| name.eq_ignore_ascii_case(a.as_bytes()))
                .unwrap_or(param.name);
            let refusal = match param.access {
                Access::Immutable => Some("can't set immutable config"),
                Access::Protected => Some("can't set protected config"),
                _ if chosen.contains(&(p, registered)) => Some("duplicate parameter"),
                _ => None,
            };
            if let Some(reason) = refusal {
                return Err(SetError::Failed(spelled(), reason.into()));
            }
            chosen.push((p, registered));
        }
        let mut values = Vec::with_capacity(pairs.len());
        for (&(p, registered), (_, text)) in chosen.iter().zip(pairs) {
            let failed = |reason| SetError::Failed(registered.to_string(), reason);
            let text = std::str::from_utf8(text)
                .map_err(|_| failed("argument is not valid UTF-8".into()))?;
            let value = self.parse(p, text).map_err(failed)?;
            if let Access::Fixed(reason) = p.param().access {
                if self.show(p) != render(p, &value) {
                    return Err(failed(reason.into()));
                }
            }
            values.push((p, value));
        }
        for (p, value) in values {
            self.store(p, value);
        }
        Ok(())
    }

    /// Every (name, value) pair whose name matches `matches`, aliases included.
    pub fn matching(&self, matches: impl Fn(&str) -> bool) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        for &p in ALL {
            let param = p.param();
            for name in std::iter::once(param.name).chain(param.alias) {
                if matches(name) {
                    out.push((name, self.show(p)));
                }
            }
        }
        out
    }
}

/// A value as CONFIG GET would show it once stored.
fn render(p: P, value: &Value) -> String {
    match (p.param().kind, value) {
        (Kind::Bool, Value::Number(n)) => if *n != 0 { "yes" } else { "no" }.to_string(),
        (Kind::Enum(words), Value::Number(n)) => words[*n as usize].to_string(),
        (Kind::Int { max, .. }, Value::Number(n)) if max > LONG_MAX => n.to_string(),
        (_, Value::Number(n)) => (*n as i64).to_string(),
        (_, Value::Text(t)) => t.clone(),
    }
}

/// Why a CONFIG SET changed nothing, in Redis's words.
#[derive(Debug)]
pub enum SetError {
    /// No such parameter (the name as the client wrote it).
    Unknown(String),
    /// The parameter refused the value, or cannot be set.
    Failed(String, Cow<'static, str>),
}

impl std::fmt::Display for SetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SetError::Unknown(name) => write!(
                f,
                "ERR Unknown option or number of arguments for CONFIG SET - '{name}'"
            ),
            SetError::Failed(name, reason) => write!(
                f,
                "ERR CONFIG SET failed (possibly related to argument '{name}') - {reason}"
            ),
        }
    }
}

/// Text in double quotes with C escapes, as Redis's `sdscatrepr` (and read back by the config
/// file's parser).
fn quoted(text: &str) -> String {
    let mut out = String::from("\"");
    for b in text.bytes() {
        match b {
            b'\\' | b'"' => {
                out.push('\\');
                out.push(b as char);
            }
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            b' '..=b'~' => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
    out
}

/// Multi-word values are split on single spaces, as Redis's `sdssplitlen`; a lone empty
/// string is no words at all.
fn words(text: &str) -> Vec<&str> {
    if text.is_empty() {
        Vec::new()
    } else {
        text.split(' ').collect()
    }
}

/// C's `strtoll` on a whole word: optional sign, digits (none reads as 0); None if anything
/// else follows.
fn strtoll(word: &str) -> Option<i64> {
    let digits = word.strip_prefix(['+', '-']).unwrap_or(word);
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value = if digits.is_empty() {
        0
    } else {
        digits.parse::<i64>().unwrap_or(i64::MAX)
    };
    Some(if word.starts_with('-') { -value } else { value })
}

/// `save`: pairs of seconds (at least 1) and changes (at least 0); `""` for none.
fn save_points(text: &str, _current: &str) -> Result<String, Cow<'static, str>> {
    let words = words(text);
    let numbers: Option<Vec<i64>> = words.iter().map(|w| strtoll(w)).collect();
    let valid = numbers.filter(|n| {
        n.len().is_multiple_of(2) && n.chunks(2).all(|pair| pair[0] >= 1 && pair[1] >= 0)
    });
    let numbers = valid.ok_or("Invalid save parameters")?;
    Ok(numbers
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(" "))
}

/// `maxmemory-clients`: bytes (with Redis's units), or a percentage of `maxmemory` (`10%`).
fn memory_or_percent(text: &str, _current: &str) -> Result<String, Cow<'static, str>> {
    if let Ok(bytes) = parse_memory(text) {
        return Ok(bytes.to_string());
    }
    let percent = text
        .strip_suffix('%')
        .and_then(strtoll)
        .filter(|p| *p >= 0)
        .ok_or("argument must be a memory or percent value")?;
    if percent > 100 {
        return Err("percentage argument must be less or equal to 100".into());
    }
    Ok(format!("{percent}%"))
}

/// `client-output-buffer-limit`: `<class> <hard> <soft> <seconds>` groups; the classes given
/// replace theirs, the others stay.
fn output_buffer_limits(text: &str, current: &str) -> Result<String, Cow<'static, str>> {
    const CLASSES: [&str; 3] = ["normal", "slave", "pubsub"];
    let words = words(text);
    if !words.len().is_multiple_of(4) {
        return Err("Wrong number of arguments in buffer limit configuration.".into());
    }
    let mut limits: Vec<[String; 3]> = current
        .split(' ')
        .collect::<Vec<_>>()
        .chunks(4)
        .map(|c| [c[1].to_string(), c[2].to_string(), c[3].to_string()])
        .collect();
    for group in words.chunks(4) {
        let class = match group[0].to_ascii_lowercase().as_str() {
            "normal" => 0,
            "slave" | "replica" => 1,
            "pubsub" => 2,
            _ => {
                return Err("Invalid client class specified in buffer limit configuration.".into())
            }
        };
        let hard = parse_memory(group[1]);
        let soft = parse_memory(group[2]);
        let seconds = strtoll(group[3]).filter(|s| *s >= 0);
        let (Ok(hard), Ok(soft), Some(seconds)) = (hard, soft, seconds) else {
            return Err(
                "Error in hard, soft or soft_seconds setting in buffer limit configuration.".into(),
            );
        };
        limits[class] = [hard.to_string(), soft.to_string(), seconds.to_string()];
    }
    Ok(CLASSES
        .iter()
        .zip(limits)
        .map(|(class, [hard, soft, seconds])| format!("{class} {hard} {soft} {seconds}"))
        .collect::<Vec<_>>()
        .join(" "))
}

/// `notify-keyspace-events`: class characters, stored in Redis's canonical order (`KEA` is
/// shown as `AKE`).
fn keyspace_events(text: &str, _current: &str) -> Result<String, Cow<'static, str>> {
    /// The type and event classes that `A` stands for, in display order; `n` is not in `A`.
    const CLASSES: &str = "g$lshzxetd";
    let mut set = String::new();
    for c in text.chars() {
        let known = c == 'A' || CLASSES.contains(c) || "nKEm".contains(c);
        if !known {
            return Err("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".into());
        }
        if c == 'A' {
            set.push_str(CLASSES);
        } else {
            set.push(c);
        }
    }
    // As Redis's keyspaceEventsFlagsToString: `A` when every class of it is set (and then
    // `n` is not shown), else each class; then K, E and m.
    let mut out = String::new();
    if CLASSES.chars().all(|c| set.contains(c)) {
        out.push('A');
    } else {
        out.extend("g$lshzxetdn".chars().filter(|&c| set.contains(c)));
    }
    out.extend("KEm".chars().filter(|&c| set.contains(c)));
    // K or E turns notifications on: refused, rather than accepted and never sent (a client
    // waiting for one would wait forever).
    if out.contains(['K', 'E']) {
        return Err("dredis does not publish keyspace notifications".into());
    }
    Ok(out)
}

// ---- the config file ----

/// Fills unset fields of `base` from `top` (flags win over the file).
fn overlay(base: &mut ServerArgs, top: ServerArgs) {
    macro_rules! take {
        ($($field:ident),*) => { $( if top.$field.is_some() { base.$field = top.$field; } )* };
    }
    take!(
        host,
        port,
        tls_port,
        tls_cert_file,
        tls_key_file,
        tls_ca_cert_file,
        tls_auth_clients,
        dir,
        databases,
        fsync,
        requirepass,
        protected_mode,
        proto_max_bulk_len,
        maxclients,
        cache_size,
        disk_threads,
        snapshot_to,
        snapshot_every,
        snapshot_endpoint,
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
        let Some((name, values)) = words.split_first() else {
            continue;
        };
        let name = name.to_ascii_lowercase();
        let bad = |e: String| format!("line {}: {name}: {e}", number + 1);
        let multi_word =
            P::lookup(name.as_bytes()).is_some_and(|p| matches!(p.param().kind, Kind::Special(_)));
        let value = match values {
            [value] => value.clone(),
            [] if matches!(name.as_str(), "debug" | "flushall") => "yes".to_string(),
            // `save 900 1 300 10`, `client-output-buffer-limit normal 0 0 0`.
            _ if multi_word => values.join(" "),
            _ => return Err(format!("line {}: expected `name value`", number + 1)),
        };
        let value = value.as_str();
        let int = |v: &str| v.parse::<usize>().map_err(|e| bad(e.to_string()));
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
            "tls-port" => {
                args.tls_port = Some(
                    value
                        .parse()
                        .map_err(|e: std::num::ParseIntError| bad(e.to_string()))?,
                )
            }
            "tls-cert-file" => args.tls_cert_file = Some(PathBuf::from(value)),
            "tls-key-file" => args.tls_key_file = Some(PathBuf::from(value)),
            "tls-ca-cert-file" => args.tls_ca_cert_file = Some(PathBuf::from(value)),
            "tls-auth-clients" => {
                args.tls_auth_clients =
                    Some(<TlsAuthClients as clap::ValueEnum>::from_str(value, true).map_err(bad)?);
            }
            "dir" => args.dir = Some(PathBuf::from(value)),
            "databases" => args.databases = Some(int(value)?),
            "fsync" | "appendfsync" => {
                args.fsync = Some(<Fsync as clap::ValueEnum>::from_str(value, true).map_err(bad)?);
            }
            "requirepass" => args.requirepass = Some(value.to_string()),
            "protected-mode" => args.protected_mode = Some(parse_yes_no(value).map_err(bad)?),
            "proto-max-bulk-len" => {
                args.proto_max_bulk_len = Some(parse_memory(value).map_err(bad)?)
            }
            "maxclients" => args.maxclients = Some(int(value)?),
            "cache-size" => args.cache_size = Some(parse_memory(value).map_err(bad)?),
            "disk-threads" => args.disk_threads = Some(int(value)?),
            "snapshot-to" => args.snapshot_to = Some(value.to_string()),
            "snapshot-every" => args.snapshot_every = Some(int(value)? as u64),
            "snapshot-endpoint" => args.snapshot_endpoint = Some(value.to_string()),
            "debug" => args.debug = parse_yes_no(value).map_err(bad)?,
            "flushall" => args.flushall = parse_yes_no(value).map_err(bad)?,
            "loglevel" => {
                args.debug =
                    value.eq_ignore_ascii_case("debug") || value.eq_ignore_ascii_case("verbose")
            }
            _ => {
                let p = P::lookup(name.as_bytes())
                    .ok_or_else(|| format!("line {}: unknown parameter {name:?}", number + 1))?;
                // Checked now, so that the error names the line.
                Settings::default()
                    .init(p, value)
                    .map_err(|e| format!("line {}: {e}", number + 1))?;
                // Several `save` lines add up, as in Redis.
                match args.parameters.iter_mut().find(|(q, _)| *q == p) {
                    Some((_, text)) if p == P::Save && !text.is_empty() => {
                        text.push(' ');
                        text.push_str(value);
                    }
                    _ => args.parameters.push((p, value.to_string())),
                }
            }
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
        let bad = parse_file("timeout -1\n").unwrap_err();
        assert!(
            bad.contains("line 1") && bad.contains("between 0 and"),
            "{bad}"
        );
    }

    #[test]
    fn registry_parameters_in_the_file() {
        let file = parse_file("timeout 30\nsave 900 1\nsave 300 10\nhash-max-ziplist-entries 7\n")
            .unwrap();
        assert_eq!(
            file.parameters,
            [
                (P::Timeout, "30".to_string()),
                (P::Save, "900 1 300 10".to_string()),
                (P::HashMaxListpackEntries, "7".to_string()),
            ]
        );
    }

    #[test]
    fn memory_sizes() {
        assert_eq!(parse_memory("512mb"), Ok(512 << 20));
        assert_eq!(parse_memory("1k"), Ok(1000));
        assert_eq!(parse_memory("100"), Ok(100));
        assert_eq!(parse_memory("10B"), Ok(10));
        assert_eq!(parse_memory("1GB"), Ok(1 << 30));
        assert!(parse_memory("lots").is_err());
        assert!(parse_memory("-1").is_err());
        assert!(parse_memory(" 1").is_err());
    }

    #[test]
    fn the_registry_is_consistent() {
        for (i, param) in PARAMS.iter().enumerate() {
            assert_eq!(ALL[i] as usize, i);
            assert_eq!(P::lookup(param.name.as_bytes()), Some(ALL[i]));
            let settings = Settings::default();
            assert_eq!(settings.show(ALL[i]), param.default, "{}", param.name);
        }
    }

    #[test]
    fn special_formats() {
        assert_eq!(keyspace_events("A", ""), Ok("A".into()));
        assert_eq!(keyspace_events("mnd$gx", ""), Ok("g$xdnm".into()));
        assert_eq!(keyspace_events("g$lshzxetd", ""), Ok("A".into()));
        assert!(keyspace_events("KEA", "").is_err());
        assert!(keyspace_events("Ex", "").is_err());
        assert!(keyspace_events("Q", "").is_err());
        assert_eq!(save_points("", ""), Ok(String::new()));
        assert_eq!(save_points("100 10 60 5", ""), Ok("100 10 60 5".into()));
        assert!(save_points("1 2 3", "").is_err());
        assert!(save_points("0 1", "").is_err());
        assert!(save_points("  ", "").is_err());
        let default = P::ClientOutputBufferLimit.param().default;
        assert_eq!(
            output_buffer_limits("normal 1mb 2mb 3", default),
            Ok(
                "normal 1048576 2097152 3 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
                    .into()
            )
        );
        assert!(output_buffer_limits("master 1 2 3", default).is_err());
        assert!(output_buffer_limits("normal 1 2", default).is_err());
    }
}
