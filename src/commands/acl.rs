//! ACL: SETUSER, GETUSER, DELUSER, LIST, USERS, WHOAMI, CAT, GENPASS, DRYRUN, SAVE, LOAD,
//! HELP; and [`permit`], the permission check every request passes (at dispatch, again at
//! EXEC, and for each command a script calls).
//!
//! The users themselves, their rules and the ACL file are [`crate::server::acl`]'s.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use bytes::Bytes;

use super::{help, plan, Args, Command, Ctx, Flag::*, Plan, NO_KEYS};
use crate::config::P;
use crate::error::{Error, Result};
use crate::protocol::{Arg, Reply};
use crate::server::acl::{self, Denied, User};
use crate::server::pubsub::Kind;
use crate::server::{Close, Server, Session};

/// A refused request: what was refused, and Redis's message for it (without a code).
pub struct Refused {
    pub denied: Denied,
    pub message: String,
}

impl Refused {
    /// The reply at dispatch: `-NOPERM ...`.
    pub fn error(&self) -> Error {
        Error::new(format!("NOPERM {}", self.message))
    }

    /// The reply to a queued command that EXEC finds no longer allowed.
    pub fn exec_error(&self) -> Error {
        let reason = match self.denied {
            Denied::Command => "no permission to execute the command or subcommand",
            Denied::Key(_) => "no permission to touch the specified keys",
            Denied::Channel(_) => "no permission to access one of the channels used as arguments",
        };
        Error::new(format!(
            "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: {reason}"
        ))
    }
}

/// Whether the session's user may run this request (`full_name` is the resolved command's).
/// Refusals are counted for INFO (`acl_access_denied_*`).
pub fn permit(
    server: &Server,
    session: &Session,
    command: &Command,
    full_name: &str,
    argv: &[Arg],
) -> std::result::Result<(), Refused> {
    // A user deleted while its client still has requests in flight (the client is being
    // closed) may run nothing.
    let user = server
        .acl
        .user(&session.user)
        .unwrap_or_else(|| Arc::new(User::new(session.user.clone(), false)));
    let Err(denied) = user.check(command, full_name, argv) else {
        return Ok(());
    };
    let stats = &server.stats;
    match denied {
        Denied::Command => &stats.acl_denied_cmd,
        Denied::Key(_) => &stats.acl_denied_key,
        Denied::Channel(_) => &stats.acl_denied_channel,
    }
    .fetch_add(1, Relaxed);
    Err(Refused {
        denied,
        message: denied.message(&user, full_name),
    })
}

/// The command (or subcommand) a request names, without checking its arity (Redis's
/// `lookupCommand`, as `redis.acl_check_cmd` uses it).
pub fn resolve(argv: &[Bytes]) -> Option<(&'static Command, &'static str)> {
    let table = acl::table();
    let top = table.lookup(argv.first()?)?;
    // A container alone is itself, as in Redis.
    let id = if table.commands[top].subcommands.is_empty() || argv.len() < 2 {
        top
    } else {
        let mut name = argv[0].to_vec();
        name.push(b'|');
        name.extend_from_slice(argv.get(1)?);
        table.lookup(&name)?
    };
    Some((table.commands[id], table.names[id]))
}

/// Closes the connections of the users named (the caller's own after its reply), as Redis
/// does when a user is deleted or redefined by ACL LOAD.
fn disconnect_users(ctx: &mut Ctx, names: &[Bytes]) {
    let me = ctx.session.client.id;
    for client in ctx.server.clients.list() {
        let user = client.info().user.clone();
        if !names.contains(&user) {
            continue;
        }
        if client.id == me {
            ctx.session.close = Some(Close::AfterReply);
        } else {
            client.mailbox.close();
        }
    }
}

/// After ACL SETUSER took channels away from a user: its subscribers to channels or
/// patterns it may no longer use are disconnected (Redis's `ACLKillPubsubClientsIfNeeded`).
fn disconnect_subscribers(ctx: &mut Ctx, user: &User) {
    let me = ctx.session.client.id;
    for client in ctx.server.clients.list() {
        if client.info().user != user.name || !client.is_pubsub() {
            continue;
        }
        let violates = ctx
            .server
            .pubsub
            .subscriptions_of(client.id)
            .iter()
            .any(|(kind, name)| !user.may_subscribe(name, *kind == Kind::Pattern));
        if !violates {
            continue;
        }
        if client.id == me {
            ctx.session.close = Some(Close::AfterReply);
        } else {
            client.mailbox.close();
        }
    }
}

/// ACL SETUSER username [rule ...]: creates or changes a user; every rule or none applies.
fn setuser(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let name = args.bytes()?;
    if acl::has_spaces(&name) {
        return Err(Error::reply(
            "ERR Usernames can't contain spaces or null characters",
        ));
    }
    let rules = args.rest()?;
    let (old, new) = ctx
        .server
        .acl
        .set_user(&name, &rules, ctx.server.all_channels_default())
        .map_err(|(rule, e)| {
            Error::new(format!(
                "ERR Error in ACL SETUSER modifier '{}': {}",
                String::from_utf8_lossy(&rule),
                e.message()
            ))
        })?;
    if old.is_some_and(|old| old.loses_channels(&new)) {
        disconnect_subscribers(ctx, &new);
    }
    Ok(Reply::ok())
}

/// ACL GETUSER username: the user's flags, password hashes, commands, keys, channels and
/// selectors (none), or nil.
fn getuser(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let Some(user) = ctx.server.acl.user(&args.bytes()?) else {
        return Ok(Reply::Nil);
    };
    let field = |name: &'static str, value: Reply| (Reply::bulk(name), value);
    Ok(Reply::Map(vec![
        field(
            "flags",
            Reply::Set(user.flags().into_iter().map(Reply::bulk).collect()),
        ),
        field(
            "passwords",
            Reply::Array(
                user.password_hashes()
                    .iter()
                    .map(|h| Reply::bulk(h.clone()))
                    .collect(),
            ),
        ),
        field("commands", Reply::bulk(user.command_rules())),
        field("keys", Reply::bulk(user.keys_text())),
        field("channels", Reply::bulk(user.channels_text())),
        field("selectors", Reply::Array(Vec::new())),
    ]))
}

/// ACL DELUSER username [username ...]: how many existed; their clients are disconnected.
fn deluser(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let names = args.rest()?;
    if names.iter().any(|n| &n[..] == b"default") {
        return Err(Error::reply("ERR The 'default' user cannot be removed"));
    }
    let deleted = ctx.server.acl.delete(&names);
    disconnect_users(ctx, &deleted);
    Ok(Reply::Int(deleted.len() as i64))
}

/// ACL LIST: every user as a line of the ACL file.
fn list(ctx: &mut Ctx, _: &mut Args) -> Result<Reply> {
    Ok(Reply::Array(
        ctx.server
            .acl
            .lines()
            .into_iter()
            .map(Reply::bulk)
            .collect(),
    ))
}

/// ACL USERS: every user's name.
fn users(ctx: &mut Ctx, _: &mut Args) -> Result<Reply> {
    Ok(Reply::Array(
        ctx.server
            .acl
            .users()
            .iter()
            .map(|u| Reply::Bulk(u.name.clone()))
            .collect(),
    ))
}

/// ACL WHOAMI: the connection's user.
fn whoami(ctx: &mut Ctx, _: &mut Args) -> Result<Reply> {
    Ok(Reply::Bulk(ctx.session.user.clone()))
}

/// ACL CAT [category]: the categories, or the commands and subcommands of one.
fn cat(_: &mut Ctx, args: &mut Args) -> Result<Reply> {
    match args.remaining() {
        0 => Ok(Reply::Array(
            acl::CATEGORIES.iter().map(|c| Reply::bulk(*c)).collect(),
        )),
        1 => {
            let name = args.bytes()?;
            let category = acl::category(&name).ok_or_else(|| {
                Error::new(format!(
                    "ERR Unknown category '{}'",
                    String::from_utf8_lossy(&name[..name.len().min(128)])
                ))
            })?;
            Ok(Reply::Array(
                acl::table()
                    .in_category(category)
                    .map(Reply::bulk)
                    .collect(),
            ))
        }
        _ => Err(args.subcommand_syntax_error("ACL")),
    }
}

/// ACL GENPASS [bits]: a random password of `bits` bits (256 by default), in hex.
fn genpass(_: &mut Ctx, args: &mut Args) -> Result<Reply> {
    const MAX_BITS: i64 = 4096;
    let bits = match args.remaining() {
        0 => 256,
        1 => args.int()?,
        _ => return Err(args.subcommand_syntax_error("ACL")),
    };
    if bits <= 0 || bits > MAX_BITS {
        return Err(Error::new(format!(
            "ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to {MAX_BITS}"
        )));
    }
    let chars = (bits as usize).div_ceil(4);
    let mut random = vec![0u8; chars.div_ceil(2)];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut random))?;
    let mut hex: String = random.iter().map(|b| format!("{b:02x}")).collect();
    hex.truncate(chars);
    Ok(Reply::bulk(hex))
}

/// ACL DRYRUN username command [arg ...]: OK if the user may run the command, else why not.
fn dryrun(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let name = args.bytes()?;
    let Some(user) = ctx.server.acl.user(&name) else {
        return Err(Error::new(format!(
            "ERR User '{}' not found",
            String::from_utf8_lossy(&name)
        )));
    };
    let argv: Vec<Arg> = args.rest()?.into_iter().map(Arg::Bytes).collect();
    let (command, full_name) = match plan(&argv) {
        Plan::Run { command, full_name } => (command, full_name),
        Plan::Reject(e, Some(_)) => return Err(e),
        Plan::Reject(_, None) => {
            return Err(Error::new(format!(
                "ERR Command '{}' not found",
                String::from_utf8_lossy(argv[0].as_bytes().unwrap_or_default())
            )))
        }
    };
    let word = |i: usize| String::from_utf8_lossy(argv[i].as_bytes().unwrap_or_default());
    Ok(match user.check(command, full_name, &argv) {
        Ok(()) => Reply::ok(),
        Err(Denied::Command) => Reply::bulk(format!(
            "This user has no permissions to run the '{full_name}' command"
        )),
        Err(Denied::Key(i)) => Reply::bulk(format!(
            "This user has no permissions to access the '{}' key",
            word(i)
        )),
        Err(Denied::Channel(i)) => Reply::bulk(format!(
            "This user has no permissions to access the '{}' channel",
            word(i)
        )),
    })
}

/// ACL SAVE: writes the users to `users.acl` in the data directory.
fn save(ctx: &mut Ctx, _: &mut Args) -> Result<Reply> {
    if let Err(e) = ctx.server.acl.save() {
        tracing::warn!(
            "Saving the ACL file {}: {e}",
            ctx.server.acl.file().display()
        );
        return Err(Error::reply(
            "ERR There was an error trying to save the ACLs. Please check the server logs for more information",
        ));
    }
    Ok(Reply::ok())
}

/// ACL LOAD: replaces the users with those of `users.acl` (all of them, or none on an
/// error); the clients of users removed or redefined are disconnected.
fn load(ctx: &mut Ctx, _: &mut Args) -> Result<Reply> {
    let server = ctx.server;
    let requirepass = server.config.settings.text(P::Requirepass);
    let changed = server
        .acl
        .load(requirepass.as_bytes(), server.all_channels_default())
        .map_err(|e| Error::new(format!("ERR {e}")))?;
    let changed: Vec<Bytes> = changed
        .into_iter()
        .filter(|name| &name[..] != b"default")
        .collect();
    disconnect_users(ctx, &changed);
    Ok(Reply::ok())
}

fn acl_help(_: &mut Ctx, _: &mut Args) -> Result<Reply> {
    Ok(help(
        "ACL",
        &[
            "CAT [<category>]",
            "    List all commands that belong to <category>, or all command categories",
            "    when no category is specified.",
            "DELUSER <username> [<username> ...]",
            "    Delete a list of users.",
            "DRYRUN <username> <command> [<arg> ...]",
            "    Returns whether the user can execute the given command without executing the command.",
            "GETUSER <username>",
            "    Get the user's details.",
            "GENPASS [<bits>]",
            "    Generate a secure 256-bit user password. The optional `bits` argument can",
            "    be used to specify a different size.",
            "LIST",
            "    Show users details in config file format.",
            "LOAD",
            "    Reload users from the ACL file.",
            "SAVE",
            "    Save the current config to the ACL file.",
            "SETUSER <username> <attribute> [<attribute> ...]",
            "    Create or modify a user with the specified attributes.",
            "USERS",
            "    List all the registered usernames.",
            "WHOAMI",
            "    Return the current connection username.",
        ],
    ))
}

const ADMIN: &[super::Flag] = &[Admin, Noscript, Loading, Stale, NoDisk];
const ADMIN_ACL: &[&str] = &["@admin", "@slow", "@dangerous"];
const PLAIN: &[super::Flag] = &[Noscript, Loading, Stale, NoDisk];

const ACL_SUBCOMMANDS: &[Command] = &[
    Command::new("cat", -2, PLAIN, &["@slow"], NO_KEYS, cat),
    Command::new("deluser", -3, ADMIN, ADMIN_ACL, NO_KEYS, deluser),
    Command::new("dryrun", -4, ADMIN, ADMIN_ACL, NO_KEYS, dryrun),
    Command::new("genpass", -2, PLAIN, &["@slow"], NO_KEYS, genpass),
    Command::new("getuser", 3, ADMIN, ADMIN_ACL, NO_KEYS, getuser),
    Command::new("list", 2, ADMIN, ADMIN_ACL, NO_KEYS, list),
    Command::new("users", 2, ADMIN, ADMIN_ACL, NO_KEYS, users),
    Command::new("whoami", 2, PLAIN, &["@slow"], NO_KEYS, whoami),
    Command::new("setuser", -3, ADMIN, ADMIN_ACL, NO_KEYS, setuser),
    // SAVE and LOAD touch the data directory: they run on a disk thread.
    Command::new(
        "save",
        2,
        &[Admin, Noscript, Loading, Stale],
        ADMIN_ACL,
        NO_KEYS,
        save,
    ),
    Command::new(
        "load",
        2,
        &[Admin, Noscript, Loading, Stale],
        ADMIN_ACL,
        NO_KEYS,
        load,
    ),
    Command::new(
        "help",
        2,
        &[Loading, Stale, NoDisk],
        &["@slow"],
        NO_KEYS,
        acl_help,
    ),
];

pub const COMMANDS: &[Command] = &[Command {
    name: "acl",
    arity: -2,
    flags: &[],
    acl: &["@slow"],
    keys: NO_KEYS,
    handler: super::container,
    subcommands: ACL_SUBCOMMANDS,
}];
