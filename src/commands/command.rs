//! COMMAND and its subcommands: what clients and redis-cli learn about the command table
//! (names, arity, flags, key positions, documentation).

use super::{
    all, docs, help, key_positions, legacy_range, lookup, Args, Command, Ctx, Flag, Flag::*,
    KeySpec, NO_KEYS,
};
use crate::error::{Error, Result};
use crate::glob;
use crate::protocol::{Arg, Reply};

fn status_set(items: impl IntoIterator<Item = &'static str>) -> Reply {
    Reply::Set(items.into_iter().map(|s| Reply::Status(s.into())).collect())
}

fn field(name: &'static str, value: Reply) -> (Reply, Reply) {
    (Reply::bulk(name), value)
}

/// The flags of a command's keys. Generic: read-write and update for writes, read-only and
/// access for the rest (Redis tells more precisely, per key).
fn key_flags(command: &Command) -> [&'static str; 2] {
    if command.has(Flag::Write) {
        ["RW", "update"]
    } else {
        ["RO", "access"]
    }
}

/// A key spec as COMMAND describes it.
fn key_spec(command: &Command, spec: &KeySpec) -> Reply {
    let flags = key_flags(command);
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

/// The command of a COMMAND GETKEYS request and the positions of its keys, checked as Redis
/// checks them.
fn keys_of(args: &mut Args) -> Result<(&'static Command, Vec<Arg>, Vec<usize>)> {
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
    Ok((command, argv, positions))
}

fn key_at(argv: &[Arg], i: usize) -> Reply {
    Reply::bulk(argv[i].as_bytes().unwrap_or_default().to_vec())
}

/// COMMAND GETKEYS command [arg ...]: the keys a request would touch.
fn command_getkeys(_: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let (_, argv, positions) = keys_of(args)?;
    Ok(Reply::Array(
        positions.into_iter().map(|i| key_at(&argv, i)).collect(),
    ))
}

/// COMMAND GETKEYSANDFLAGS command [arg ...]: each key with its access flags.
fn command_getkeysandflags(_: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let (command, argv, positions) = keys_of(args)?;
    let flags = key_flags(command);
    Ok(Reply::Array(
        positions
            .into_iter()
            .map(|i| Reply::Array(vec![key_at(&argv, i), status_set(flags)]))
            .collect(),
    ))
}

/// The COMMAND DOCS entry of a command, with its subcommands'.
fn command_docs_entry(command: &'static Command) -> (Reply, Reply) {
    let subcommands = command
        .subcommands
        .iter()
        .map(|sub| {
            let name = format!("{}|{}", command.name, sub.name);
            let doc = docs::reply(&name, Vec::new());
            (Reply::bulk(name), doc)
        })
        .collect();
    (
        Reply::bulk(command.name),
        docs::reply(command.name, subcommands),
    )
}

/// COMMAND DOCS [name ...]: the documentation of the named commands (`config|get` names a
/// subcommand), or of every command; unknown names are left out.
fn command_docs(_: &mut Ctx, args: &mut Args) -> Result<Reply> {
    if args.is_empty() {
        return Ok(Reply::Map(all().map(command_docs_entry).collect()));
    }
    let mut entries = Vec::new();
    for name in args.rest()? {
        let Some((command, full_name)) = lookup_full(&name) else {
            continue;
        };
        if full_name.contains('|') {
            entries.push((
                Reply::bulk(full_name.clone()),
                docs::reply(&full_name, Vec::new()),
            ));
        } else {
            entries.push(command_docs_entry(command));
        }
    }
    Ok(Reply::Map(entries))
}

/// COMMAND HELP
fn command_help(_: &mut Ctx, _: &mut Args) -> Result<Reply> {
    Ok(help(
        "COMMAND",
        &[
            "(no subcommand)",
            "    Return details about all Redis commands.",
            "COUNT",
            "    Return the total number of commands in this Redis server.",
            "LIST",
            "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "GETKEYS <full-command>",
            "    Return the keys from a full Redis command.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys and the access flags from a full Redis command.",
        ],
    ))
}

const COMMAND_SUBCOMMANDS: &[Command] = &[
    Command::new(
        "count",
        2,
        &[Loading, Stale, NoDisk],
        &["@slow", "@connection"],
        NO_KEYS,
        command_count,
    ),
    Command::new(
        "info",
        -2,
        &[Loading, Stale, NoDisk],
        &["@slow", "@connection"],
        NO_KEYS,
        command_info_cmd,
    ),
    Command::new(
        "list",
        -2,
        &[Loading, Stale, NoDisk],
        &["@slow", "@connection"],
        NO_KEYS,
        command_list,
    ),
    Command::new(
        "getkeys",
        -4,
        &[Loading, Stale, NoDisk],
        &["@slow", "@connection"],
        NO_KEYS,
        command_getkeys,
    ),
    Command::new(
        "getkeysandflags",
        -4,
        &[Loading, Stale, NoDisk],
        &["@slow", "@connection"],
        NO_KEYS,
        command_getkeysandflags,
    ),
    Command::new(
        "docs",
        -2,
        &[Loading, Stale, NoDisk],
        &["@slow", "@connection"],
        NO_KEYS,
        command_docs,
    ),
    Command::new(
        "help",
        2,
        &[Loading, Stale, NoDisk],
        &["@slow", "@connection"],
        NO_KEYS,
        command_help,
    ),
];

pub const COMMANDS: &[Command] = &[Command {
    name: "command",
    arity: -1,
    flags: &[Loading, Stale, NoDisk],
    acl: &["@slow", "@connection"],
    keys: NO_KEYS,
    handler: command,
    subcommands: COMMAND_SUBCOMMANDS,
}];
