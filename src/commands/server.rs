//! Server commands: FLUSHALL, FLUSHDB, FUNCTION FLUSH, DBSIZE, SHUTDOWN, TIME, WAIT, INFO, CONFIG,
//! SLOWLOG, MEMORY, DEBUG.

use std::fmt::Write as _;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::{help, Args, Command, Ctx, Flag::*, KeySpec, NO_KEYS};
use crate::config::{P, REDIS_VERSION};
use crate::error::{Error, Result};
use crate::glob;
use crate::protocol::Reply;
use crate::server::Close;

/// FLUSHALL/FLUSHDB take an optional ASYNC or SYNC: deletion is always in the background.
fn flush_mode(args: &mut Args) -> Result<()> {
    let _ = args.eat("ASYNC") || args.eat("SYNC");
    if args.is_empty() {
        Ok(())
    } else {
        Err(Error::syntax())
    }
}

/// FLUSHALL [ASYNC|SYNC]: delete every key of every database.
fn flushall(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    flush_mode(args)?;
    for db in 0..ctx.store().databases() {
        ctx.batch.flush_db(db);
    }
    Ok(Reply::ok())
}

/// FLUSHDB [ASYNC|SYNC]: delete every key of the current database.
fn flushdb(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    flush_mode(args)?;
    let db = ctx.session.db;
    ctx.batch.flush_db(db);
    Ok(Reply::ok())
}

/// DBSIZE: the number of keys in the current database.
fn dbsize(ctx: &mut Ctx, _: &mut Args) -> Result<Reply> {
    Ok(Reply::Int(ctx.store().dbsize(ctx.session.db)? as i64))
}

/// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE]: stop the server cleanly; the connection closes
/// without a reply, as in Redis.
fn shutdown(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let mut nosave = false;
    while !args.is_empty() {
        match args.word()?.as_str() {
            "NOSAVE" => nosave = true,
            "SAVE" | "NOW" | "FORCE" => {}
            "ABORT" => return Err(Error::reply("ERR No shutdown in progress.")),
            _ => return Err(Error::syntax()),
        }
    }
    // Past lua-time-limit, only SHUTDOWN NOSAVE ends a script (a write it made stays).
    let scripting = &ctx.server.scripting;
    if let Some(busy) = scripting.busy(ctx.server.config.settings.busy_limit()) {
        if !nosave {
            return Err(Error::reply(busy));
        }
    }
    scripting.abort();
    tracing::info!("user requested shutdown...");
    ctx.server.shut_down();
    ctx.session.close = Some(Close::Now);
    Ok(Reply::ok())
}

/// TIME: [unix seconds, microseconds].
fn time(_: &mut Ctx, _: &mut Args) -> Result<Reply> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    Ok(Reply::Array(vec![
        Reply::bulk(now.as_secs().to_string()),
        Reply::bulk(now.subsec_micros().to_string()),
    ]))
}

/// ROLE: a master with no replicas, at replication offset 0.
fn role(_: &mut Ctx, _: &mut Args) -> Result<Reply> {
    Ok(Reply::Array(vec![
        Reply::bulk("master"),
        Reply::Int(0),
        Reply::Array(Vec::new()),
    ]))
}

/// WAIT numreplicas timeout: the number of replicas that acknowledged this client's writes.
/// dredis has no replicas, so the answer is 0, at once (Redis would wait for the timeout
/// when asked for more than it has).
fn wait(_: &mut Ctx, args: &mut Args) -> Result<Reply> {
    args.int()?;
    let timeout = crate::number::parse_i64(&args.bytes()?).ok_or(Error::reply(
        "ERR timeout is not an integer or out of range",
    ))?;
    if timeout < 0 {
        return Err(Error::reply("ERR timeout is negative"));
    }
    Ok(Reply::Int(0))
}

// ---- INFO ----

/// Every section in the order INFO prints them, and whether a bare INFO (`default`) shows it.
const SECTIONS: &[(&str, bool)] = &[
    ("server", true),
    ("clients", true),
    ("memory", true),
    ("persistence", true),
    ("stats", true),
    ("replication", true),
    ("cpu", true),
    ("modules", true),
    ("commandstats", false),
    ("errorstats", true),
    ("cluster", true),
    ("keyspace", true),
];

/// INFO [section ...]: the server's state as `field:value` lines, by section. `default` (or no
/// argument) is the usual sections, `all` and `everything` every one.
fn info(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let asked: Vec<String> = args
        .rest()?
        .iter()
        .map(|s| String::from_utf8_lossy(s).to_ascii_lowercase())
        .collect();
    let all = asked.iter().any(|s| s == "all" || s == "everything");
    let default = asked.is_empty() || asked.iter().any(|s| s == "default");
    let mut out = String::new();
    for &(section, in_default) in SECTIONS {
        if all || (default && in_default) || asked.iter().any(|s| s == section) {
            if !out.is_empty() {
                out.push_str("\r\n");
            }
            info_section(ctx, section, &mut out)?;
        }
    }
    Ok(Reply::Verbatim(out.into()))
}

/// A `field:value` pair of INFO.
fn kv(name: &str, value: impl ToString) -> (String, String) {
    (name.to_string(), value.to_string())
}

/// INFO's `listenerN` lines, as Redis's: the plain TCP port, then TLS, each only if served.
fn listeners(config: &crate::config::Config) -> Vec<(String, String)> {
    let tcp = (config.port != 0).then_some(("tcp", config.port));
    let tls = config.tls.as_ref().map(|tls| ("tls", tls.port));
    tcp.into_iter()
        .chain(tls)
        .enumerate()
        .map(|(i, (name, port))| {
            kv(
                &format!("listener{i}"),
                format!("name={name},bind={},port={port}", config.host),
            )
        })
        .collect()
}

/// The `field:value` lines of one INFO section, after its `# Title` line. Every value is read
/// from a counter, a setting or /proc: nothing here walks the data.
fn info_section(ctx: &Ctx, section: &str, out: &mut String) -> Result<()> {
    let server = ctx.server;
    let config = &server.config;
    let settings = &config.settings;
    let stats = &server.stats;
    let uptime = server.started.elapsed().as_secs();
    let title = match section {
        "cpu" => "CPU".to_string(),
        _ => section[..1].to_ascii_uppercase() + &section[1..],
    };
    let fields: Vec<(String, String)> = match section {
        "server" => vec![
            kv("redis_version", REDIS_VERSION),
            kv("redis_git_sha1", "00000000"),
            kv("redis_git_dirty", 0),
            kv("redis_build_id", "0"),
            kv("redis_mode", "standalone"),
            kv("dredis_version", env!("CARGO_PKG_VERSION")),
            kv("os", os_name()),
            kv("arch_bits", usize::BITS),
            kv("monotonic_clock", "POSIX clock_gettime"),
            kv("multiplexing_api", "epoll"),
            kv("process_id", std::process::id()),
            kv("process_supervised", "no"),
            kv("run_id", &server.run_id),
            // As Redis: the TLS port when there is no plain one.
            kv(
                "tcp_port",
                match (config.port, &config.tls) {
                    (0, Some(tls)) => tls.port,
                    (port, _) => port,
                },
            ),
            kv(
                "server_time_usec",
                std::time::UNIX_EPOCH
                    .elapsed()
                    .unwrap_or_default()
                    .as_micros(),
            ),
            kv("uptime_in_seconds", uptime),
            kv("uptime_in_days", uptime / 86400),
            kv("hz", settings.int(P::Hz)),
            kv("configured_hz", settings.int(P::Hz)),
            kv(
                "executable",
                std::env::current_exe()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
            ),
            kv(
                "config_file",
                config
                    .config_file
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
            ),
            kv("io_threads_active", 0),
        ]
        .into_iter()
        .chain(listeners(config))
        .chain([kv("data_dir", config.dir.display())])
        .collect(),
        "clients" => {
            let clients = server.clients.list();
            let biggest_input = clients
                .iter()
                .map(|c| c.info().qbuf_capacity)
                .max()
                .unwrap_or(0);
            vec![
                kv("connected_clients", clients.len()),
                kv("cluster_connections", 0),
                kv("maxclients", settings.int(P::Maxclients)),
                kv("client_recent_max_input_buffer", biggest_input),
                kv("client_recent_max_output_buffer", 0),
                kv("blocked_clients", server.blocking.blocked_clients()),
                kv("tracking_clients", 0),
                kv("pubsub_clients", 0),
                kv("watching_clients", 0),
                kv("clients_in_timeout_table", 0),
                kv("total_watched_keys", 0),
                kv("total_blocking_keys", 0),
                kv("total_blocking_keys_on_nokey", 0),
            ]
        }
        "memory" => {
            let memory = ProcessMemory::read();
            let total = system_memory();
            let maxmemory = settings.show(P::Maxmemory);
            let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
            // While a script runs its interpreter is busy: 0 then.
            let (lua_memory, cached_scripts) = ctx.server.scripting.eval_memory().unwrap_or((0, 0));
            vec![
                kv("used_memory", memory.used),
                kv("used_memory_human", human_bytes(memory.used)),
                kv("used_memory_rss", memory.rss),
                kv("used_memory_rss_human", human_bytes(memory.rss)),
                kv("used_memory_peak", memory.peak),
                kv("used_memory_peak_human", human_bytes(memory.peak)),
                kv(
                    "used_memory_peak_perc",
                    format!("{:.2}%", 100.0 * ratio(memory.used, memory.peak)),
                ),
                kv("total_system_memory", total),
                kv("total_system_memory_human", human_bytes(total)),
                kv("used_memory_lua", lua_memory),
                kv("number_of_cached_scripts", cached_scripts),
                kv("maxmemory", &maxmemory),
                kv(
                    "maxmemory_human",
                    human_bytes(maxmemory.parse().unwrap_or(0)),
                ),
                kv("maxmemory_policy", settings.show(P::MaxmemoryPolicy)),
                kv(
                    "mem_fragmentation_ratio",
                    format!("{:.2}", ratio(memory.rss, memory.used)),
                ),
                kv("mem_allocator", "libc"),
                kv("lazyfree_pending_objects", 0),
            ]
        }
        "persistence" => {
            let saves = server.saves.report(&server.store);
            vec![
                kv("loading", 0),
                kv("async_loading", 0),
                kv("rdb_changes_since_last_save", saves.changes_since),
                kv("rdb_bgsave_in_progress", i32::from(saves.in_progress)),
                kv("rdb_last_save_time", saves.last_save_unix),
                kv(
                    "rdb_last_bgsave_status",
                    if saves.last_ok { "ok" } else { "err" },
                ),
                kv("rdb_last_bgsave_time_sec", saves.last_seconds),
                kv("rdb_current_bgsave_time_sec", saves.current_seconds),
                kv("rdb_saves", saves.saves),
                kv("aof_enabled", i32::from(settings.flag(P::Appendonly))),
                kv("aof_rewrite_in_progress", 0),
                kv("aof_rewrite_scheduled", 0),
                kv("aof_last_write_status", "ok"),
                kv("fsync_policy", config.fsync.name()),
                kv("snapshot_to", saves.destination),
                kv("snapshot_last_id", saves.last_id),
            ]
        }
        "stats" => {
            let mut fields = vec![
                kv(
                    "total_connections_received",
                    stats.connections.load(Ordering::Relaxed),
                ),
                kv(
                    "total_commands_processed",
                    stats.commands.load(Ordering::Relaxed),
                ),
                kv("instantaneous_ops_per_sec", stats.ops_per_sec()),
                kv(
                    "rejected_connections",
                    stats.rejected_connections.load(Ordering::Relaxed),
                ),
                kv("expired_keys", stats.expired_keys.load(Ordering::Relaxed)),
                kv("evicted_keys", 0),
                kv("pubsub_channels", 0),
                kv("pubsub_patterns", 0),
                kv("total_error_replies", stats.error_replies()),
            ];
            fields.extend(stats.acl_denied().map(|(name, n)| kv(name, n)));
            fields
        }
        "replication" => vec![
            kv("role", "master"),
            kv("connected_slaves", 0),
            kv("master_failover_state", "no-failover"),
            kv("master_replid", &server.run_id),
            kv("master_replid2", "0".repeat(40)),
            kv("master_repl_offset", 0),
            kv("second_repl_offset", -1),
            kv("repl_backlog_active", 0),
            kv("repl_backlog_size", 1 << 20),
            kv("repl_backlog_first_byte_offset", 0),
            kv("repl_backlog_histlen", 0),
        ],
        "cpu" => {
            let (user, system) = cpu_seconds();
            vec![
                kv("used_cpu_sys", format!("{system:.6}")),
                kv("used_cpu_user", format!("{user:.6}")),
                kv("used_cpu_sys_children", "0.000000"),
                kv("used_cpu_user_children", "0.000000"),
            ]
        }
        "commandstats" => stats.command_lines(),
        "errorstats" => stats.error_lines(),
        "cluster" => vec![kv("cluster_enabled", 0)],
        "keyspace" => {
            let mut dbs = Vec::new();
            for db in 0..ctx.store().databases() {
                let keys = ctx.store().dbsize(db)?;
                if keys > 0 {
                    let expires = ctx.store().expiry.count(db);
                    dbs.push((
                        format!("db{db}"),
                        format!("keys={keys},expires={expires},avg_ttl=0"),
                    ));
                }
            }
            dbs
        }
        _ => Vec::new(),
    };
    let _ = write!(out, "# {title}\r\n");
    for (name, value) in fields {
        let _ = write!(out, "{name}:{value}\r\n");
    }
    Ok(())
}

/// The kernel as Redis's `os` field shows it: `Linux 6.1.0 x86_64`.
fn os_name() -> String {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!("Linux {} {}", release.trim(), std::env::consts::ARCH)
}

/// This process's memory, from /proc/self/status: `used` is its anonymous resident memory
/// (heap and stacks: what the allocator holds), `rss` all of its resident memory, `peak`
/// the highest `rss` so far.
struct ProcessMemory {
    used: u64,
    rss: u64,
    peak: u64,
}

impl ProcessMemory {
    fn read() -> ProcessMemory {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        ProcessMemory {
            used: kilobytes(&status, "RssAnon:"),
            rss: kilobytes(&status, "VmRSS:"),
            peak: kilobytes(&status, "VmHWM:"),
        }
    }
}

/// The `Name:   123 kB` line of a /proc file, in bytes.
fn kilobytes(text: &str, name: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0)
        * 1024
}

/// The machine's memory (total_system_memory).
fn system_memory() -> u64 {
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    kilobytes(&meminfo, "MemTotal:")
}

fn human_bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 30 => format!("{:.2}G", n as f64 / (1u64 << 30) as f64),
        n if n >= 1 << 20 => format!("{:.2}M", n as f64 / (1u64 << 20) as f64),
        n if n >= 1 << 10 => format!("{:.2}K", n as f64 / 1024.0),
        n => format!("{n}B"),
    }
}

/// (user, system) CPU seconds of this process, from /proc.
fn cpu_seconds() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may contain spaces) start after the last ')'.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
            / 100.0
    };
    (ticks(11), ticks(12))
}

// ---- DEBUG ----

/// A DEBUG subcommand. Redis's DEBUG parses its subcommands itself (COMMAND lists none), so
/// they live in this small table rather than in the command table.
struct DebugCommand {
    name: &'static str,
    /// As a command's arity, counting DEBUG and the subcommand's name.
    arity: i32,
    handler: super::Handler,
    /// Its lines in DEBUG HELP.
    help: &'static [&'static str],
}

const DEBUG_COMMANDS: &[DebugCommand] = &[
    DebugCommand {
        name: "log",
        arity: 3,
        handler: debug_log,
        help: &["LOG <message>", "    Write <message> to the server log."],
    },
    DebugCommand {
        name: "set-active-expire",
        arity: 3,
        handler: debug_set_active_expire,
        help: &[
            "SET-ACTIVE-EXPIRE <0|1>",
            "    Setting it to 0 disables expiring keys in background when they are not",
            "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
            "    default.",
        ],
    },
    DebugCommand {
        name: "sleep",
        arity: 3,
        handler: debug_sleep,
        help: &[
            "SLEEP <seconds>",
            "    Wait for <seconds>, which may be a fraction (only this client waits).",
        ],
    },
];

/// DEBUG subcommand [arg ...]: the debugging helpers dredis has (DEBUG HELP lists them).
fn debug(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let name = args.bytes()?;
    let argc = args.remaining() as i32 + 2;
    if name.eq_ignore_ascii_case(b"help") && argc == 2 {
        let lines: Vec<&str> = DEBUG_COMMANDS
            .iter()
            .flat_map(|c| c.help)
            .copied()
            .collect();
        return Ok(super::help("DEBUG", &lines));
    }
    let found = DEBUG_COMMANDS.iter().find(|c| {
        c.name.as_bytes().eq_ignore_ascii_case(&name)
            && (argc == c.arity || c.arity < 0 && argc >= -c.arity)
    });
    match found {
        Some(command) => (command.handler)(ctx, args),
        None => Err(Error::new(format!(
            "ERR unknown subcommand or wrong number of arguments for '{}'. Try DEBUG HELP.",
            String::from_utf8_lossy(&name[..name.len().min(128)])
        ))),
    }
}

/// DEBUG SET-ACTIVE-EXPIRE 0|1: stops or restarts the active expiry cycle. The flag is read
/// as C's `atoi` reads it: anything that does not start with a nonzero number is 0.
fn debug_set_active_expire(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let flag = args.bytes()?;
    let flag = flag.trim_ascii_start();
    let digits = flag
        .strip_prefix(b"-")
        .or_else(|| flag.strip_prefix(b"+"))
        .unwrap_or(flag);
    let on = digits
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .any(|&c| c != b'0');
    ctx.store().expiry.set_active(on);
    Ok(Reply::ok())
}

// ---- CONFIG ----

/// CONFIG GET parameter [parameter ...]: matching parameters and their values. A name is
/// echoed as the client spelled it; a glob pattern brings every matching name and alias.
fn config_get(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let settings = &ctx.server.config.settings;
    let mut seen: Vec<String> = Vec::new();
    let mut pairs = Vec::new();
    for asked in args.rest()? {
        if !asked.iter().any(|c| b"*?[".contains(c)) {
            let lower = String::from_utf8_lossy(&asked).to_ascii_lowercase();
            if let Some(p) = P::lookup(&asked).filter(|_| !seen.contains(&lower)) {
                pairs.push((Reply::Bulk(asked.clone()), Reply::bulk(settings.show(p))));
                seen.push(lower);
            }
            continue;
        }
        for (name, value) in settings.matching(|name| glob::matches_nocase(&asked, name.as_bytes()))
        {
            if !seen.iter().any(|s| s == name) {
                pairs.push((Reply::bulk(name), Reply::bulk(value)));
                seen.push(name.to_string());
            }
        }
    }
    Ok(Reply::Map(pairs))
}

/// CONFIG SET parameter value [parameter value ...]: all of them or, on any error, none.
fn config_set(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    if !args.remaining().is_multiple_of(2) {
        return Err(Error::syntax());
    }
    let words = args.rest()?;
    let pairs: Vec<(&[u8], &[u8])> = words.chunks(2).map(|p| (&p[0][..], &p[1][..])).collect();
    let settings = &ctx.server.config.settings;
    settings
        .set_many(&pairs)
        .map_err(|e| Error::new(e.to_string()))?;
    // requirepass is the default user's password (Redis's `updateRequirePass`).
    if pairs
        .iter()
        .any(|(name, _)| P::lookup(name) == Some(P::Requirepass))
    {
        let password = settings.text(P::Requirepass);
        ctx.server.acl.set_requirepass(password.as_bytes());
    }
    Ok(Reply::ok())
}

/// CONFIG RESETSTAT: INFO's counters back to zero (the slow log stays: SLOWLOG RESET).
fn config_resetstat(ctx: &mut Ctx, _: &mut Args) -> Result<Reply> {
    ctx.server.stats.reset();
    Ok(Reply::ok())
}

/// CONFIG REWRITE: write the current values into the `--config` file.
fn config_rewrite(ctx: &mut Ctx, _: &mut Args) -> Result<Reply> {
    let config = &ctx.server.config;
    let Some(path) = &config.config_file else {
        return Err(Error::reply(
            "ERR The server is running without a config file",
        ));
    };
    config
        .rewrite(path)
        .map_err(|e| Error::new(format!("ERR Rewriting config file: {e}")))?;
    tracing::warn!("CONFIG REWRITE executed with success.");
    Ok(Reply::ok())
}

fn config_help(_: &mut Ctx, _: &mut Args) -> Result<Reply> {
    Ok(help(
        "CONFIG",
        &[
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
        ],
    ))
}

// ---- SLOWLOG ----

/// SLOWLOG GET [count]: the newest entries (10 by default, all with -1), each as
/// [id, unix time, microseconds, arguments, client address, client name].
fn slowlog_get(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let count = if args.is_empty() {
        10
    } else {
        crate::number::parse_i64(&args.bytes()?)
            .filter(|&n| n >= -1)
            .ok_or(Error::reply(
                "ERR count should be greater than or equal to -1",
            ))?
    };
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    let mut entries = Vec::new();
    ctx.server.slowlog.newest(count, |e| {
        entries.push(Reply::Array(vec![
            Reply::Int(e.id as i64),
            Reply::Int(e.time),
            Reply::Int(e.micros as i64),
            Reply::Array(e.args.iter().cloned().map(Reply::Bulk).collect()),
            Reply::bulk(e.addr.clone()),
            Reply::Bulk(e.name.clone()),
        ]))
    });
    Ok(Reply::Array(entries))
}

/// SLOWLOG LEN
fn slowlog_len(ctx: &mut Ctx, _: &mut Args) -> Result<Reply> {
    Ok(Reply::Int(ctx.server.slowlog.len() as i64))
}

/// SLOWLOG RESET
fn slowlog_reset(ctx: &mut Ctx, _: &mut Args) -> Result<Reply> {
    ctx.server.slowlog.reset();
    Ok(Reply::ok())
}

fn slowlog_help(_: &mut Ctx, _: &mut Args) -> Result<Reply> {
    Ok(help(
        "SLOWLOG",
        &[
            "GET [<count>]",
            "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
            "    Entries are made of:",
            "    id, timestamp, time in microseconds, arguments array, client IP and port,",
            "    client name",
            "LEN",
            "    Return the length of the slowlog.",
            "RESET",
            "    Reset the slowlog.",
        ],
    ))
}

// ---- MEMORY ----

/// MEMORY USAGE key [SAMPLES count]: the bytes the key takes on disk, its files and
/// directories, estimated from `count` entries of each directory (5 by default, 0 for all);
/// nil when there is no such key.
fn memory_usage(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let id = ctx.key(args.bytes()?);
    let mut samples = 5;
    while !args.is_empty() {
        if !(args.eat("SAMPLES") && args.remaining() >= 1) {
            return Err(Error::syntax());
        }
        samples = match args.int()? {
            n if n < 0 => return Err(Error::syntax()),
            0 => usize::MAX,
            n => usize::try_from(n).unwrap_or(usize::MAX),
        };
    }
    if ctx.batch.meta(&id)?.is_none() {
        return Ok(Reply::Nil);
    }
    let dir = ctx.batch.live_dir(&id)?;
    Ok(Reply::Int(
        crate::store::usage::estimate(&dir, samples)? as i64
    ))
}

/// MEMORY DOCTOR
fn memory_doctor(_: &mut Ctx, _: &mut Args) -> Result<Reply> {
    Ok(Reply::Verbatim(
        "Hi Sam, I can't help much here: dredis keeps its data on disk, and its memory is its \
         caches and its clients, bounded by configuration. I have no memory problems to report."
            .into(),
    ))
}

fn memory_help(_: &mut Ctx, _: &mut Args) -> Result<Reply> {
    Ok(help(
        "MEMORY",
        &[
            "DOCTOR",
            "    Return memory problems reports.",
            "USAGE <key> [SAMPLES <count>]",
            "    Return the bytes <key> takes on disk. Its directories are",
            "    sampled up to <count> entries (default: 5, 0 means sample all).",
        ],
    ))
}

/// DEBUG SLEEP seconds: the client waits, then gets OK. Redis stops the whole server; dredis
/// runs clients in parallel, so only this one waits (on a disk thread).
fn debug_sleep(_: &mut Ctx, args: &mut Args) -> Result<Reply> {
    // As Redis's strtod without checks: what is not a number sleeps 0.
    let seconds = crate::number::parse_strtod(&args.bytes()?).unwrap_or(0.0);
    if seconds > 0.0 {
        std::thread::sleep(Duration::try_from_secs_f64(seconds).unwrap_or(Duration::MAX));
    }
    Ok(Reply::ok())
}

/// DEBUG LOG message: writes the message to the server's log.
fn debug_log(_: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let message = args.bytes()?;
    tracing::warn!("DEBUG LOG: {}", String::from_utf8_lossy(&message));
    Ok(Reply::ok())
}

const CONFIG_SUBCOMMANDS: &[Command] = &[
    Command::new(
        "get",
        -3,
        &[Admin, Noscript, Loading, Stale, NoDisk],
        &["@admin", "@slow", "@dangerous"],
        NO_KEYS,
        config_get,
    ),
    Command::new(
        "set",
        -4,
        &[Admin, Noscript, Loading, Stale, NoDisk],
        &["@admin", "@slow", "@dangerous"],
        NO_KEYS,
        config_set,
    ),
    Command::new(
        "resetstat",
        2,
        &[Admin, Noscript, Loading, Stale, NoDisk],
        &["@admin", "@slow", "@dangerous"],
        NO_KEYS,
        config_resetstat,
    ),
    Command::new(
        "rewrite",
        2,
        &[Admin, Noscript, Loading, Stale],
        &["@admin", "@slow", "@dangerous"],
        NO_KEYS,
        config_rewrite,
    ),
    Command::new(
        "help",
        2,
        &[Loading, Stale, NoDisk],
        &["@slow"],
        NO_KEYS,
        config_help,
    ),
];

const SLOWLOG_SUBCOMMANDS: &[Command] = &[
    Command::new(
        "get",
        -2,
        &[Admin, Loading, Stale, NoDisk],
        &["@admin", "@slow", "@dangerous"],
        NO_KEYS,
        slowlog_get,
    ),
    Command::new(
        "len",
        2,
        &[Admin, Loading, Stale, NoDisk],
        &["@admin", "@slow", "@dangerous"],
        NO_KEYS,
        slowlog_len,
    ),
    Command::new(
        "reset",
        2,
        &[Admin, Loading, Stale, NoDisk],
        &["@admin", "@slow", "@dangerous"],
        NO_KEYS,
        slowlog_reset,
    ),
    Command::new(
        "help",
        2,
        &[Loading, Stale, NoDisk],
        &["@slow"],
        NO_KEYS,
        slowlog_help,
    ),
];

/// MEMORY USAGE's key is its third word.
const USAGE_KEY: &[KeySpec] = &[KeySpec::Range {
    first: 2,
    last: 2,
    step: 1,
}];

const MEMORY_SUBCOMMANDS: &[Command] = &[
    Command::new(
        "usage",
        -3,
        &[Readonly],
        &["@read", "@slow"],
        USAGE_KEY,
        memory_usage,
    ),
    Command::new("doctor", 2, &[NoDisk], &["@slow"], NO_KEYS, memory_doctor),
    Command::new(
        "help",
        2,
        &[Loading, Stale, NoDisk],
        &["@slow"],
        NO_KEYS,
        memory_help,
    ),
];

pub const COMMANDS: &[Command] = &[
    Command::new(
        "flushall",
        -1,
        &[Write, Exclusive],
        &["@keyspace", "@write", "@slow", "@dangerous"],
        NO_KEYS,
        flushall,
    ),
    Command::new(
        "flushdb",
        -1,
        &[Write, Exclusive],
        &["@keyspace", "@write", "@slow", "@dangerous"],
        NO_KEYS,
        flushdb,
    ),
    Command::new(
        "dbsize",
        1,
        &[Readonly, Fast],
        &["@keyspace", "@read", "@fast"],
        NO_KEYS,
        dbsize,
    ),
    Command::new(
        "shutdown",
        -1,
        &[Admin, Noscript, Loading, Stale, NoMulti, AllowBusy, NoDisk],
        &["@admin", "@slow", "@dangerous"],
        NO_KEYS,
        shutdown,
    ),
    Command::new(
        "time",
        1,
        &[Loading, Stale, Fast, NoDisk],
        &["@fast"],
        NO_KEYS,
        time,
    ),
    Command::new(
        "role",
        1,
        &[Noscript, Loading, Stale, Fast, NoDisk],
        &["@admin", "@fast", "@dangerous"],
        NO_KEYS,
        role,
    ),
    Command::new(
        "wait",
        3,
        &[Noscript, NoDisk],
        &["@slow", "@connection"],
        NO_KEYS,
        wait,
    ),
    Command::new(
        "info",
        -1,
        &[Loading, Stale],
        &["@slow", "@dangerous"],
        NO_KEYS,
        info,
    ),
    Command::new(
        "debug",
        -2,
        &[Admin, Noscript, Loading, Stale],
        &["@admin", "@slow", "@dangerous"],
        NO_KEYS,
        debug,
    ),
    Command {
        name: "config",
        arity: -2,
        flags: &[],
        acl: &["@slow"],
        keys: NO_KEYS,
        handler: super::container,
        subcommands: CONFIG_SUBCOMMANDS,
    },
    Command {
        name: "slowlog",
        arity: -2,
        flags: &[],
        acl: &["@slow"],
        keys: NO_KEYS,
        handler: super::container,
        subcommands: SLOWLOG_SUBCOMMANDS,
    },
    Command {
        name: "memory",
        arity: -2,
        flags: &[],
        acl: &["@slow"],
        keys: NO_KEYS,
        handler: super::container,
        subcommands: MEMORY_SUBCOMMANDS,
    },
];
