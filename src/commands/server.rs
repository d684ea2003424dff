//! Server commands: FLUSHALL, FLUSHDB, DBSIZE, COMMAND, INFO, CONFIG, SHUTDOWN, TIME.

use std::fmt::Write as _;
use std::sync::atomic::Ordering;

use super::{
    all, key_positions, legacy_range, lookup, Args, Command, Ctx, Flag, Flag::*, KeySpec, NO_KEYS,
};
use crate::config::{PARAMETERS, REDIS_VERSION};
use crate::error::{Error, Result};
use crate::glob;
use crate::protocol::{Arg, Reply};
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
    while !args.is_empty() {
        match args.word()?.as_str() {
            "NOSAVE" | "SAVE" | "NOW" | "FORCE" => {}
            "ABORT" => return Err(Error::reply("ERR No shutdown in progress.")),
            _ => return Err(Error::syntax()),
        }
    }
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

// ---- COMMAND ----

fn status_set(items: impl IntoIterator<Item = &'static str>) -> Reply {
    Reply::Set(items.into_iter().map(|s| Reply::Status(s.into())).collect())
}

fn field(name: &'static str, value: Reply) -> (Reply, Reply) {
    (Reply::bulk(name), value)
}

/// A key spec as COMMAND describes it.
fn key_spec(command: &Command, spec: &KeySpec) -> Reply {
    let flags = if command.has(Flag::Write) {
        ["RW", "update"]
    } else {
        ["RO", "access"]
    };
    let (begin, find) = match *spec {
        KeySpec::Range { first, last, step } => (
            first,
            Reply::Map(vec![
                field("type", Reply::bulk("range")),
                field(
                    "spec",
                    Reply::Map(vec![
                        field(
                            "lastkey",
                            Reply::Int(i64::from(if last < 0 { last } else { last - first })),
                        ),
                        field("keystep", Reply::Int(i64::from(step))),
                        field("limit", Reply::Int(0)),
                    ]),
                ),
            ]),
        ),
        KeySpec::Counted {
            numkeys,
            first,
            step,
        } => (
            numkeys,
            Reply::Map(vec![
                field("type", Reply::bulk("keynum")),
                field(
                    "spec",
                    Reply::Map(vec![
                        field("keynumidx", Reply::Int(0)),
                        field("firstkey", Reply::Int(i64::from(first))),
                        field("keystep", Reply::Int(i64::from(step))),
                    ]),
                ),
            ]),
        ),
    };
    Reply::Map(vec![
        field("flags", status_set(flags)),
        field(
            "begin_search",
            Reply::Map(vec![
                field("type", Reply::bulk("index")),
                field(
                    "spec",
                    Reply::Map(vec![field("index", Reply::Int(i64::from(begin)))]),
                ),
            ]),
        ),
        field("find_keys", find),
    ])
}

/// One command's entry in COMMAND's reply: name, arity, flags, first key, last key, step,
/// ACL categories, tips, key specs, subcommands.
fn command_info(command: &'static Command, name: String) -> Reply {
    let mut flags: Vec<&'static str> = command
        .flags
        .iter()
        .filter_map(|f| f.redis_name())
        .collect();
    if command
        .keys
        .iter()
        .any(|k| matches!(k, KeySpec::Counted { .. }))
    {
        flags.push("movablekeys");
    }
    let (first, last, step) = legacy_range(command.keys);
    // As Redis: tips and key specs are sets, subcommands an array (an empty set when none).
    let subcommands = if command.subcommands.is_empty() {
        Reply::Set(Vec::new())
    } else {
        Reply::Array(
            command
                .subcommands
                .iter()
                .map(|sub| command_info(sub, format!("{}|{}", command.name, sub.name)))
                .collect(),
        )
    };
    Reply::Array(vec![
        Reply::bulk(name),
        Reply::Int(i64::from(command.arity)),
        status_set(flags),
        Reply::Int(i64::from(first)),
        Reply::Int(i64::from(last)),
        Reply::Int(i64::from(step)),
        status_set(command.acl.iter().copied()),
        Reply::Set(Vec::new()),
        Reply::Set(
            command
                .keys
                .iter()
                .map(|spec| key_spec(command, spec))
                .collect(),
        ),
        subcommands,
    ])
}

/// COMMAND: every command's entry.
fn command(_: &mut Ctx, _: &mut Args) -> Result<Reply> {
    Ok(Reply::Array(
        all().map(|c| command_info(c, c.name.to_string())).collect(),
    ))
}

/// COMMAND COUNT
fn command_count(_: &mut Ctx, _: &mut Args) -> Result<Reply> {
    Ok(Reply::Int(all().count() as i64))
}

/// COMMAND INFO [name ...]: entries of the named commands (nil for unknown ones).
fn command_info_cmd(_: &mut Ctx, args: &mut Args) -> Result<Reply> {
    if args.is_empty() {
        return Ok(Reply::Array(
            all().map(|c| command_info(c, c.name.to_string())).collect(),
        ));
    }
    let names = args.rest()?;
    Ok(Reply::Array(
        names
            .iter()
            .map(|n| lookup_full(n).map_or(Reply::Nil, |(c, name)| command_info(c, name)))
            .collect(),
    ))
}

/// A command by its full name, `get` or `container|sub` as Redis names subcommands, with
/// that name in lower case.
fn lookup_full(name: &[u8]) -> Option<(&'static Command, String)> {
    let mut parts = name.splitn(2, |&b| b == b'|');
    let command = lookup(parts.next()?)?;
    match parts.next() {
        None => Some((command, command.name.to_string())),
        Some(sub) => command
            .subcommands
            .iter()
            .find(|s| s.name.as_bytes().eq_ignore_ascii_case(sub))
            .map(|s| (s, format!("{}|{}", command.name, s.name))),
    }
}

/// COMMAND LIST [FILTERBY MODULE name|ACLCAT category|PATTERN pattern]: every command
/// name, subcommands included (`client|setname`).
fn command_list(_: &mut Ctx, args: &mut Args) -> Result<Reply> {
    type Filter = Box<dyn Fn(&Command, &str) -> bool>;
    let keep: Filter = match args.remaining() {
        0 => Box::new(|_, _| true),
        3 if args.eat("FILTERBY") => {
            let kind = args.word()?;
            let arg = args.bytes()?;
            match kind.as_str() {
                // dredis loads no modules.
                "MODULE" => Box::new(|_, _| false),
                "ACLCAT" => {
                    let category = format!("@{}", String::from_utf8_lossy(&arg));
                    Box::new(move |c, _| c.acl.iter().any(|a| a.eq_ignore_ascii_case(&category)))
                }
                "PATTERN" => Box::new(move |_, name| glob::matches_nocase(&arg, name.as_bytes())),
                _ => return Err(Error::syntax()),
            }
        }
        _ => return Err(Error::syntax()),
    };
    let mut names = Vec::new();
    for command in all() {
        if keep(command, command.name) {
            names.push(Reply::bulk(command.name));
        }
        for sub in command.subcommands {
            let name = format!("{}|{}", command.name, sub.name);
            if keep(sub, &name) {
                names.push(Reply::bulk(name));
            }
        }
    }
    Ok(Reply::Array(names))
}

/// COMMAND GETKEYS command [arg ...]: the keys a request would touch.
fn command_getkeys(_: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let argv: Vec<Arg> = args.rest()?.into_iter().map(Arg::Bytes).collect();
    let command = lookup(argv[0].as_bytes().unwrap_or(b""))
        .ok_or(Error::reply("ERR Invalid command specified"))?;
    // Redis checks for keys before it checks the arity.
    if command.keys.is_empty() {
        return Err(Error::reply("ERR The command has no key arguments"));
    }
    if !command.arity_ok(argv.len()) {
        return Err(Error::reply(
            "ERR Invalid number of arguments specified for command",
        ));
    }
    let positions = key_positions(command.keys, &argv);
    if positions.is_empty() {
        return Err(Error::reply("ERR The command has no key arguments"));
    }
    Ok(Reply::Array(
        positions
            .into_iter()
            .map(|i| Reply::bulk(argv[i].as_bytes().unwrap_or_default().to_vec()))
            .collect(),
    ))
}

// ---- INFO ----

const SECTIONS: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "keyspace",
];

/// INFO [section ...]: the server's state as `field:value` lines, by section.
fn info(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let asked: Vec<String> = args
        .rest()?
        .iter()
        .map(|s| String::from_utf8_lossy(s).to_ascii_lowercase())
        .collect();
    let everything = asked.is_empty()
        || asked
            .iter()
            .any(|s| matches!(s.as_str(), "all" | "everything" | "default"));
    let mut out = String::new();
    for section in SECTIONS {
        if everything || asked.iter().any(|s| s == section) {
            if !out.is_empty() {
                out.push_str("\r\n");
            }
            info_section(ctx, section, &mut out)?;
        }
    }
    Ok(Reply::Verbatim(out.into()))
}

/// The `field:value` lines of one INFO section, after its `# Title` line.
fn info_section(ctx: &Ctx, section: &str, out: &mut String) -> Result<()> {
    let server = ctx.server;
    let config = &server.config;
    let uptime = server.started.elapsed().as_secs();
    let title = section[..1].to_ascii_uppercase() + &section[1..];
    let fields: Vec<(String, String)> = match section {
        "server" => vec![
            ("redis_version".into(), REDIS_VERSION.into()),
            ("redis_git_sha1".into(), "00000000".into()),
            ("redis_git_dirty".into(), "0".into()),
            ("redis_mode".into(), "standalone".into()),
            ("dredis_version".into(), env!("CARGO_PKG_VERSION").into()),
            (
                "os".into(),
                format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
            ),
            ("arch_bits".into(), usize::BITS.to_string()),
            ("multiplexing_api".into(), "epoll".into()),
            ("process_id".into(), std::process::id().to_string()),
            ("run_id".into(), server.run_id.clone()),
            ("tcp_port".into(), config.port.to_string()),
            (
                "server_time_usec".into(),
                (crate::store::now_ms() * 1000).to_string(),
            ),
            ("uptime_in_seconds".into(), uptime.to_string()),
            ("uptime_in_days".into(), (uptime / 86400).to_string()),
            ("hz".into(), "10".into()),
            (
                "executable".into(),
                std::env::current_exe()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
            ),
            (
                "config_file".into(),
                config
                    .config_file
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
            ),
            ("data_dir".into(), config.dir.display().to_string()),
        ],
        "clients" => vec![
            (
                "connected_clients".into(),
                server.clients.count().to_string(),
            ),
            ("cluster_connections".into(), "0".into()),
            ("maxclients".into(), config.maxclients.to_string()),
            (
                "blocked_clients".into(),
                server.blocking.blocked_clients().to_string(),
            ),
            ("tracking_clients".into(), "0".into()),
        ],
        "memory" => {
            let rss = resident_bytes();
            vec![
                ("used_memory".into(), rss.to_string()),
                ("used_memory_human".into(), human_bytes(rss)),
                ("used_memory_rss".into(), rss.to_string()),
                ("used_memory_rss_human".into(), human_bytes(rss)),
                ("maxmemory".into(), "0".into()),
                ("maxmemory_human".into(), "0B".into()),
                ("maxmemory_policy".into(), "noeviction".into()),
                ("mem_allocator".into(), "libc".into()),
            ]
        }
        "persistence" => vec![
            ("loading".into(), "0".into()),
            ("async_loading".into(), "0".into()),
            ("rdb_changes_since_last_save".into(), "0".into()),
            ("rdb_bgsave_in_progress".into(), "0".into()),
            (
                "rdb_last_save_time".into(),
                (crate::store::now_ms() / 1000 - uptime as i64).to_string(),
            ),
            ("rdb_last_bgsave_status".into(), "ok".into()),
            ("aof_enabled".into(), "0".into()),
            ("aof_rewrite_in_progress".into(), "0".into()),
            ("aof_last_write_status".into(), "ok".into()),
            ("fsync_policy".into(), config.fsync.name().into()),
        ],
        "stats" => vec![
            (
                "total_connections_received".into(),
                server.stats.connections.load(Ordering::Relaxed).to_string(),
            ),
            (
                "total_commands_processed".into(),
                server.stats.commands.load(Ordering::Relaxed).to_string(),
            ),
            (
                "rejected_connections".into(),
                server
                    .stats
                    .rejected_connections
                    .load(Ordering::Relaxed)
                    .to_string(),
            ),
        ],
        "replication" => vec![
            ("role".into(), "master".into()),
            ("connected_slaves".into(), "0".into()),
            ("master_replid".into(), server.run_id.clone()),
            ("master_repl_offset".into(), "0".into()),
        ],
        "cpu" => {
            let (user, system) = cpu_seconds();
            vec![
                ("used_cpu_sys".into(), format!("{system:.6}")),
                ("used_cpu_user".into(), format!("{user:.6}")),
            ]
        }
        "keyspace" => {
            let mut dbs = Vec::new();
            for db in 0..ctx.store().databases() {
                let keys = ctx.store().dbsize(db)?;
                if keys > 0 {
                    dbs.push((
                        format!("db{db}"),
                        format!("keys={keys},expires=0,avg_ttl=0"),
                    ));
                }
            }
            dbs
        }
        _ => Vec::new(),
    };
    let title = if section == "cpu" {
        "CPU".to_string()
    } else {
        title
    };
    let _ = write!(out, "# {title}\r\n");
    for (name, value) in fields {
        let _ = write!(out, "{name}:{value}\r\n");
    }
    Ok(())
}

/// Resident memory of this process, from /proc.
fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
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

// ---- CONFIG ----

/// CONFIG GET parameter [parameter ...]: matching parameters and their values (glob patterns).
fn config_get(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let patterns = args.rest()?;
    let mut pairs = Vec::new();
    for name in PARAMETERS {
        if patterns
            .iter()
            .any(|p| glob::matches_nocase(p, name.as_bytes()))
        {
            // A name asked for without wildcards is echoed as the client spelled it, as Redis.
            let spelled = patterns.iter().find(|p| {
                !p.iter().any(|c| b"*?[".contains(c)) && p.eq_ignore_ascii_case(name.as_bytes())
            });
            if let Some(value) = ctx.server.config.get(name) {
                let name = spelled.map_or_else(|| Reply::bulk(*name), |p| Reply::Bulk(p.clone()));
                pairs.push((name, Reply::bulk(value)));
            }
        }
    }
    Ok(Reply::Map(pairs))
}

const COMMAND_SUBCOMMANDS: &[Command] = &[
    Command {
        name: "count",
        arity: 2,
        flags: &[Loading, Stale, NoDisk],
        acl: &["@slow", "@connection"],
        keys: NO_KEYS,
        handler: command_count,
        subcommands: &[],
    },
    Command {
        name: "info",
        arity: -2,
        flags: &[Loading, Stale, NoDisk],
        acl: &["@slow", "@connection"],
        keys: NO_KEYS,
        handler: command_info_cmd,
        subcommands: &[],
    },
    Command {
        name: "list",
        arity: -2,
        flags: &[Loading, Stale, NoDisk],
        acl: &["@slow", "@connection"],
        keys: NO_KEYS,
        handler: command_list,
        subcommands: &[],
    },
    Command {
        name: "getkeys",
        arity: -4,
        flags: &[Loading, Stale, NoDisk],
        acl: &["@slow", "@connection"],
        keys: NO_KEYS,
        handler: command_getkeys,
        subcommands: &[],
    },
];

const CONFIG_SUBCOMMANDS: &[Command] = &[Command {
    name: "get",
    arity: -3,
    flags: &[Admin, Noscript, Loading, Stale, NoDisk],
    acl: &["@admin", "@slow", "@dangerous"],
    keys: NO_KEYS,
    handler: config_get,
    subcommands: &[],
}];

pub const COMMANDS: &[Command] = &[
    Command {
        name: "flushall",
        arity: -1,
        flags: &[Write, Exclusive],
        acl: &["@keyspace", "@write", "@slow", "@dangerous"],
        keys: NO_KEYS,
        handler: flushall,
        subcommands: &[],
    },
    Command {
        name: "flushdb",
        arity: -1,
        flags: &[Write, Exclusive],
        acl: &["@keyspace", "@write", "@slow", "@dangerous"],
        keys: NO_KEYS,
        handler: flushdb,
        subcommands: &[],
    },
    Command {
        name: "dbsize",
        arity: 1,
        flags: &[Readonly, Fast],
        acl: &["@keyspace", "@read", "@fast"],
        keys: NO_KEYS,
        handler: dbsize,
        subcommands: &[],
    },
    Command {
        name: "shutdown",
        arity: -1,
        flags: &[Admin, Noscript, Loading, Stale, NoMulti, AllowBusy, NoDisk],
        acl: &["@admin", "@slow", "@dangerous"],
        keys: NO_KEYS,
        handler: shutdown,
        subcommands: &[],
    },
    Command {
        name: "time",
        arity: 1,
        flags: &[Loading, Stale, Fast, NoDisk],
        acl: &["@fast"],
        keys: NO_KEYS,
        handler: time,
        subcommands: &[],
    },
    Command {
        name: "info",
        arity: -1,
        flags: &[Loading, Stale],
        acl: &["@slow", "@dangerous"],
        keys: NO_KEYS,
        handler: info,
        subcommands: &[],
    },
    Command {
        name: "command",
        arity: -1,
        flags: &[Loading, Stale, NoDisk],
        acl: &["@slow", "@connection"],
        keys: NO_KEYS,
        handler: command,
        subcommands: COMMAND_SUBCOMMANDS,
    },
    Command {
        name: "config",
        arity: -2,
        flags: &[],
        acl: &["@slow"],
        keys: NO_KEYS,
        handler: super::container,
        subcommands: CONFIG_SUBCOMMANDS,
    },
];
