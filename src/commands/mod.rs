//! Commands: one table of every command, and the dispatcher that runs them.
//!
//! Each family module (`strings`, `keys`, `hashes`, ...) holds small handlers and ends with its
//! part of the table: name, arity, flags and key positions as Redis declares them. COMMAND,
//! arity checks, authentication, key locking and the choice of thread all read that table, so
//! a handler only parses its arguments and calls the store.
//!
//! The connection's state decides what happens to a request before it runs: inside MULTI it is
//! queued (`transactions`), a RESP2 client subscribed to channels may only run the pub/sub
//! commands (`pubsub`), and once it has run, MONITOR clients are told (`monitor`).

pub mod acl;
pub mod args;
mod bitmaps;
mod command;
mod connection;
mod cursor;
mod docs;
mod hashes;
mod keys;
mod lists;
mod monitor;
mod persistence;
mod pops;
mod pubsub;
mod scripting;
mod server;
mod sets;
mod strings;
mod transactions;
mod zsets;

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use bytes::Bytes;

pub use args::Args;
pub use transactions::Transaction;

use crate::error::{Error, Result};
use crate::protocol::{Aggregate, Arg, Collector, Reply};
use crate::server::{Server, Session, SlowLog, Waiting};
use crate::store::{Batch, KeyId, Mode, Store, Type};

/// What a handler works with: the server, the client's session, and a batch over the store
/// that is committed when the handler succeeds (and dropped, changing nothing, when it fails).
pub struct Ctx<'a, 's> {
    pub server: &'s Server,
    pub session: &'a mut Session,
    pub batch: Batch<'s>,
    /// Set by [`Ctx::block`].
    block_on: Option<BlockOn>,
}

/// What a blocking command that found nothing waits for.
struct BlockOn {
    keys: Vec<Bytes>,
    kind: Type,
    /// None: forever.
    timeout: Option<Duration>,
}

impl<'s> Ctx<'_, 's> {
    pub fn store(&self) -> &Store {
        &self.server.store
    }

    /// A key of the session's current database.
    pub fn key(&self, name: Bytes) -> KeyId {
        KeyId::new(self.session.db, name)
    }

    /// A builder for an aggregate reply that may be too large for memory (SMEMBERS, HGETALL,
    /// LRANGE, KEYS...): it moves to a temp file once it grows.
    pub fn collector(&self, kind: Aggregate) -> Collector<'s> {
        let collector = Collector::new(kind, self.session.resp == 3, self.server.store.tmp_dir());
        if self.session.in_script {
            collector.in_memory()
        } else {
            collector
        }
    }

    /// For a blocking command (BLPOP...) that found nothing to serve: the client waits until
    /// one of `keys` is created holding `kind`, and the command then runs again; the reply
    /// returned here is the one sent if `timeout` (None: forever) expires first, Redis's null
    /// array. Inside a transaction nothing waits: `now` is the reply at once.
    pub fn block(
        &mut self,
        keys: Vec<Bytes>,
        kind: Type,
        timeout: Option<Duration>,
        now: Reply,
    ) -> Reply {
        if self.session.in_transaction {
            return now;
        }
        self.block_on = Some(BlockOn {
            keys,
            kind,
            timeout,
        });
        Reply::NilArray
    }
}

pub type Handler = fn(&mut Ctx, &mut Args) -> Result<Reply>;

/// Redis's command flags (reported by COMMAND), plus two of dredis's own that are not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    Write,
    Readonly,
    Denyoom,
    Admin,
    Noscript,
    Loading,
    Stale,
    Fast,
    NoAuth,
    NoMulti,
    AllowBusy,
    Pubsub,
    SkipSlowlog,
    Blocking,
    /// dredis: touches no file, so it runs on the connection's own task.
    NoDisk,
    /// dredis: runs with every key locked (FLUSHALL, FLUSHDB, SWAPDB).
    Exclusive,
    /// dredis: its keys are locked in every database, not just the selected one (MOVE and
    /// COPY ... DB, whose destination is in another database).
    AllDatabases,
}

impl Flag {
    /// The name COMMAND reports, or None for dredis's internal flags.
    pub fn redis_name(self) -> Option<&'static str> {
        Some(match self {
            Flag::Write => "write",
            Flag::Readonly => "readonly",
            Flag::Denyoom => "denyoom",
            Flag::Admin => "admin",
            Flag::Noscript => "noscript",
            Flag::Loading => "loading",
            Flag::Stale => "stale",
            Flag::Fast => "fast",
            Flag::NoAuth => "no_auth",
            Flag::NoMulti => "no_multi",
            Flag::AllowBusy => "allow_busy",
            Flag::Pubsub => "pubsub",
            Flag::SkipSlowlog => "skip_slowlog",
            Flag::Blocking => "blocking",
            Flag::NoDisk | Flag::Exclusive | Flag::AllDatabases => return None,
        })
    }
}

/// Where some of a command's keys are among its arguments (argument 0 is the command name),
/// as Redis's key specs describe them.
#[derive(Debug, Clone, Copy)]
pub enum KeySpec {
    /// Keys from `first` to `last` (negative: counted from the end, -1 is the last argument),
    /// every `step` arguments.
    Range { first: i32, last: i32, step: i32 },
    /// A key count at argument `numkeys`, then that many keys from `numkeys + first`, every
    /// `step` (ZUNIONSTORE's sources, EVAL's keys).
    Counted { numkeys: i32, first: i32, step: i32 },
}

/// The common shapes.
pub const NO_KEYS: &[KeySpec] = &[];
pub const FIRST_KEY: &[KeySpec] = &[KeySpec::Range {
    first: 1,
    last: 1,
    step: 1,
}];
pub const ALL_KEYS: &[KeySpec] = &[KeySpec::Range {
    first: 1,
    last: -1,
    step: 1,
}];
/// Arguments 1 and 2, as one spec (RENAME, COPY, LMOVE, LCS).
pub const TWO_KEYS: &[KeySpec] = &[KeySpec::Range {
    first: 1,
    last: 2,
    step: 1,
}];
/// Arguments 1 and 2, as two specs (SMOVE, ZRANGESTORE: Redis describes them apart).
pub const SOURCE_AND_DESTINATION: &[KeySpec] = &[
    KeySpec::Range {
        first: 1,
        last: 1,
        step: 1,
    },
    KeySpec::Range {
        first: 2,
        last: 2,
        step: 1,
    },
];

impl KeySpec {
    /// Positions of the keys in `argv`. A count that is not a valid number gives no keys:
    /// the handler reports the error.
    fn positions(&self, argv: &[Arg], out: &mut Vec<usize>) {
        let argc = argv.len() as i64;
        let (start, end, step) = match *self {
            KeySpec::Range { first, last, step } => {
                let last = if last < 0 {
                    argc + i64::from(last)
                } else {
                    i64::from(last)
                };
                (i64::from(first), last.min(argc - 1), i64::from(step))
            }
            KeySpec::Counted {
                numkeys,
                first,
                step,
            } => {
                let count = argv
                    .get(numkeys as usize)
                    .and_then(Arg::as_bytes)
                    .and_then(crate::number::parse_i64);
                let Some(count) = count.filter(|&n| n > 0) else {
                    return;
                };
                let start = i64::from(numkeys + first);
                (
                    start,
                    (start + (count - 1) * i64::from(step)).min(argc - 1),
                    i64::from(step),
                )
            }
        };
        let mut i = start;
        while i <= end && step > 0 {
            out.push(i as usize);
            i += step;
        }
    }
}

/// Positions of all the keys of a request.
pub fn key_positions(specs: &[KeySpec], argv: &[Arg]) -> Vec<usize> {
    let mut out = Vec::new();
    for spec in specs {
        spec.positions(argv, &mut out);
    }
    out
}

/// (first, last, step) as COMMAND reports them, derived from the key specs as Redis does
/// (`populateCommandLegacyRangeSpec`): a lone range as it is, else consecutive ranges of
/// step 1 joined (SMOVE's 1 and 2 give 1..2, SINTERSTORE's 1 and 2..-1 give 1..-1); counted
/// keys are left out.
pub fn legacy_range(specs: &[KeySpec]) -> (i32, i32, i32) {
    if let [KeySpec::Range { first, last, step }] = specs {
        return (*first, *last, *step);
    }
    let (mut first, mut last) = (i32::MAX, 0i32);
    for spec in specs {
        let KeySpec::Range {
            first: f,
            last: l,
            step: 1,
        } = *spec
        else {
            continue;
        };
        if last != 0 && last != f - 1 {
            continue;
        }
        first = first.min(f);
        // Compared as unsigned, as Redis does: "to the end" (negative) wins.
        last = if (l as u32) > (last as u32) { l } else { last };
    }
    if first == i32::MAX {
        (0, 0, 0)
    } else {
        (first, last, 1)
    }
}

/// One entry of the command table.
pub struct Command {
    /// Lower-case name (for a subcommand, just its own word: `setname`).
    pub name: &'static str,
    /// Redis's arity: N means exactly N arguments (name included), -N at least N.
    pub arity: i32,
    pub flags: &'static [Flag],
    /// ACL categories, as COMMAND reports them (`@read`, `@string`, ...).
    pub acl: &'static [&'static str],
    pub keys: &'static [KeySpec],
    pub handler: Handler,
    /// For container commands (CLIENT, CONFIG, COMMAND): their subcommands.
    pub subcommands: &'static [Command],
}

impl Command {
    /// A command with no subcommands, as most are: one line of a family's table.
    pub const fn new(
        name: &'static str,
        arity: i32,
        flags: &'static [Flag],
        acl: &'static [&'static str],
        keys: &'static [KeySpec],
        handler: Handler,
    ) -> Command {
        Command {
            name,
            arity,
            flags,
            acl,
            keys,
            handler,
            subcommands: &[],
        }
    }

    pub fn has(&self, flag: Flag) -> bool {
        self.flags.contains(&flag)
    }

    fn arity_ok(&self, argc: usize) -> bool {
        let argc = argc as i32;
        if self.arity >= 0 {
            argc == self.arity
        } else {
            argc >= -self.arity
        }
    }
}

/// A handler for container commands: the dispatcher always resolves a subcommand first.
fn container(_: &mut Ctx, _: &mut Args) -> Result<Reply> {
    Err(Error::syntax())
}

/// The reply of a container's HELP subcommand, as Redis's `addReplyHelp`: a title, the
/// given lines, then HELP itself.
pub fn help(container: &str, lines: &[&str]) -> Reply {
    let title = format!("{container} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
    let mut out = vec![Reply::Status(title.into())];
    out.extend(lines.iter().map(|l| Reply::Status(l.to_string().into())));
    out.push(Reply::Status("HELP".into()));
    out.push(Reply::Status("    Prints this help.".into()));
    Reply::Array(out)
}

/// Every command, family by family.
pub fn all() -> impl Iterator<Item = &'static Command> {
    [
        acl::COMMANDS,
        bitmaps::COMMANDS,
        command::COMMANDS,
        connection::COMMANDS,
        hashes::COMMANDS,
        keys::COMMANDS,
        lists::COMMANDS,
        monitor::COMMANDS,
        persistence::COMMANDS,
        pubsub::COMMANDS,
        scripting::COMMANDS,
        server::COMMANDS,
        sets::COMMANDS,
        strings::COMMANDS,
        transactions::COMMANDS,
        zsets::COMMANDS,
    ]
    .into_iter()
    .flatten()
}

/// Finds a command by its name in any case.
pub fn lookup(name: &[u8]) -> Option<&'static Command> {
    static TABLE: OnceLock<HashMap<&'static str, &'static Command>> = OnceLock::new();
    let table = TABLE.get_or_init(|| all().map(|c| (c.name, c)).collect());
    if name.len() > 32 {
        return None;
    }
    let lower = String::from_utf8_lossy(name).to_ascii_lowercase();
    table.get(lower.as_str()).copied()
}

/// How a request will run, decided before running it.
pub enum Plan {
    /// An error reply, without running anything; with the full name of the command refused,
    /// when it is known (for INFO's rejected_calls).
    Reject(Error, Option<&'static str>),
    /// A resolved command (or subcommand) with its full name, e.g. `client|setname`.
    Run {
        command: &'static Command,
        full_name: &'static str,
    },
}

/// Resolves the command of a request and checks its arity.
pub fn plan(argv: &[Arg]) -> Plan {
    let name = argv[0].as_bytes().unwrap_or(b"");
    let Some(command) = lookup(name) else {
        return Plan::Reject(unknown_command(argv), None);
    };
    if command.subcommands.is_empty() {
        if !command.arity_ok(argv.len()) {
            return Plan::Reject(Error::wrong_arity(command.name), Some(command.name));
        }
        return Plan::Run {
            command,
            full_name: command.name,
        };
    }
    if argv.len() < 2 {
        // A container may run on its own (COMMAND); most need a subcommand (CLIENT).
        if command.arity_ok(argv.len()) {
            return Plan::Run {
                command,
                full_name: command.name,
            };
        }
        return Plan::Reject(Error::wrong_arity(command.name), Some(command.name));
    }
    let sub_name = argv[1].as_bytes().unwrap_or(b"");
    let sub = command
        .subcommands
        .iter()
        .find(|s| s.name.as_bytes().eq_ignore_ascii_case(sub_name));
    let Some(sub) = sub else {
        let error = Error::new(format!(
            "ERR unknown subcommand '{}'. Try {} HELP.",
            truncated(sub_name, 128),
            command.name.to_ascii_uppercase()
        ));
        // Not counted as a call of the container, as Redis.
        return Plan::Reject(error, None);
    };
    let full_name = full_name(command, sub);
    if !sub.arity_ok(argv.len()) {
        return Plan::Reject(Error::wrong_arity(full_name), Some(full_name));
    }
    Plan::Run {
        command: sub,
        full_name,
    }
}

/// The full name of every command and subcommand (`get`, `client|list`).
pub fn full_names() -> impl Iterator<Item = &'static str> {
    all().flat_map(|c| {
        std::iter::once(c.name).chain(c.subcommands.iter().map(move |s| full_name(c, s)))
    })
}

/// `container|sub`, built once per subcommand. Keyed by the names, not by the entries'
/// addresses: a `const` table may be placed at more than one address in the binary.
fn full_name(container: &'static Command, sub: &'static Command) -> &'static str {
    type Names = HashMap<(&'static str, &'static str), &'static str>;
    static NAMES: OnceLock<Names> = OnceLock::new();
    let names = NAMES.get_or_init(|| {
        all()
            .flat_map(|c| c.subcommands.iter().map(move |s| (c, s)))
            .map(|(c, s)| {
                (
                    (c.name, s.name),
                    &*Box::leak(format!("{}|{}", c.name, s.name).into_boxed_str()),
                )
            })
            .collect()
    });
    names
        .get(&(container.name, sub.name))
        .copied()
        .unwrap_or(container.name)
}

fn truncated(bytes: &[u8], max: usize) -> String {
    String::from_utf8_lossy(&bytes[..bytes.len().min(max)]).into_owned()
}

/// Redis's text for an unknown command, with the first arguments quoted.
fn unknown_command(argv: &[Arg]) -> Error {
    let mut args = String::new();
    for arg in &argv[1..] {
        if args.len() >= 128 {
            break;
        }
        let room = 128 - args.len();
        args.push_str(&format!(
            "'{}' ",
            truncated(arg.as_bytes().unwrap_or(b"..."), room)
        ));
    }
    Error::new(format!(
        "ERR unknown command '{}', with args beginning with: {args}",
        truncated(argv[0].as_bytes().unwrap_or(b""), 128)
    ))
}

/// Where a request is being run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Thread {
    /// The connection's async task: nothing may wait on the disk.
    Connection,
    /// A disk thread: anything goes.
    Disk,
}

/// What came of running a request.
pub enum Outcome {
    Reply(Reply),
    /// The request needs the disk: run it again on a disk thread.
    NeedsDisk(Vec<Arg>),
    /// A blocking command found nothing to serve: the client is in line for its keys (see
    /// `server::blocking`); the connection waits, then runs the request again.
    Block(Blocked),
}

/// A request waiting for keys.
pub struct Blocked {
    /// The request, to run again when woken.
    pub argv: Vec<Arg>,
    /// When to give up (None: never), counted from the first attempt.
    pub deadline: Option<Instant>,
    /// The reply if the deadline passes first.
    pub timeout_reply: Reply,
    /// The client's place in line; None when it had one already (a request run again after
    /// a wake-up, which keeps its place).
    pub waiting: Option<Waiting>,
}

/// Runs one request to its reply: the checks of [`admit`], queueing inside MULTI, key locks,
/// the handler, the batch's commit, then the line for MONITOR clients.
///
/// On the connection's task only two kinds of request run: commands that touch no file
/// (PING, SELECT, ...), and read-only commands whose files are all in the cache and whose
/// keys can be locked without waiting (a hot GET). Anything else comes back as
/// [`Outcome::NeedsDisk`].
pub fn run(server: &Server, session: &mut Session, mut argv: Vec<Arg>, thread: Thread) -> Outcome {
    let reject = |error, command| {
        let reply = error_reply(error);
        server.stats.rejected(command, &reply);
        Outcome::Reply(reply)
    };
    let (command, full_name) = match admit(server, session, &argv) {
        Ok(resolved) => resolved,
        Err((error, command)) => {
            transactions::refused(session);
            return reject(error, command);
        }
    };
    if transactions::queues(session, command) {
        return Outcome::Reply(transactions::queue(session, argv));
    }
    let on_connection = thread == Thread::Connection;
    let no_disk = command.has(Flag::NoDisk);
    let cache_read =
        command.has(Flag::Readonly) && !command.keys.is_empty() && !command.has(Flag::Exclusive);
    if on_connection
        && (!(no_disk || cache_read) || argv.iter().any(|a| matches!(a, Arg::Spilled(_))))
    {
        return Outcome::NeedsDisk(argv);
    }
    if !no_disk {
        if let Err(e) = server.store.check_present() {
            return reject(e.into(), Some(full_name));
        }
    }
    let key_names = match key_names(command, &mut argv) {
        Ok(k) => k,
        Err(e) => return reject(e, Some(full_name)),
    };
    let store = &server.store;
    let dbs = if command.has(Flag::AllDatabases) {
        0..store.databases()
    } else {
        session.db..session.db + 1
    };
    let keys = key_names
        .iter()
        .flat_map(|k| dbs.clone().map(move |db| (db, k)));
    // Inside EXEC every key is locked already.
    let already_locked = session.in_transaction;
    let _guard = match () {
        _ if no_disk || already_locked || key_names.is_empty() && !command.has(Flag::Exclusive) => {
            None
        }
        _ if on_connection => match store.locks.try_read(keys) {
            Some(guard) => Some(guard),
            None => return Outcome::NeedsDisk(argv),
        },
        // A script holds every lock while it runs: a command waiting for one gives up with
        // -BUSY once the script has run past lua-time-limit.
        _ => {
            let keys = (!command.has(Flag::Exclusive)).then_some(keys);
            let busy = || busy_error(server, command);
            match store
                .locks
                .lock_unless(keys, command.has(Flag::Write), busy)
            {
                Ok(guard) => Some(guard),
                Err(error) => return reject(Error::reply(error), Some(full_name)),
            }
        }
    };
    // A cache-only attempt may fail half-way, a blocking command may wait: keep the
    // arguments to run it again. (A blocking command's arguments other than its keys are
    // small: one large enough to be spilled is invalid, and the command fails at once.)
    let mut retry =
        ((on_connection && !no_disk) || command.has(Flag::Blocking)).then(|| in_memory_copy(&argv));
    let monitored = monitor::describe(server, command, &argv);
    let logged = SlowLog::capture(&server.config.settings, full_name, &argv);
    let skip = if full_name.contains('|') { 2 } else { 1 };
    let rest = argv.split_off(skip.min(argv.len()));
    let typed = (skip == 2)
        .then(|| argv[1].as_bytes().map(Bytes::copy_from_slice))
        .flatten();
    let mut args = Args::new(rest, full_name).typed_as(typed);
    let mode = if on_connection {
        Mode::CacheOnly
    } else {
        Mode::Locked
    };
    // Before the handler runs, as in Redis: CLIENT LIST/INFO show `cmd=client|list`.
    session.client.note_command(full_name);
    let started = Instant::now();
    let batch = Batch::new(store, mode).in_transaction(session.transaction);
    let mut ctx = Ctx {
        server,
        session,
        batch,
        block_on: None,
    };
    let result = (command.handler)(&mut ctx, &mut args);
    let Ctx {
        batch,
        block_on,
        session,
        ..
    } = ctx;
    let result = result.and_then(|reply| {
        commit(server, batch)?;
        Ok(reply)
    });
    if let (Err(Error::NotCached), Some(argv)) = (&result, &mut retry) {
        return Outcome::NeedsDisk(std::mem::take(argv));
    }
    let result = match (result, block_on, retry.as_mut()) {
        (Ok(timeout_reply), Some(on), Some(argv)) => {
            // In line before the keys' locks are released: a push committed after the
            // handler looked will find this client. Counted in the stats once it is served.
            let waiting = server
                .blocking
                .wait(session.client.id, session.db, &on.keys, on.kind);
            return Outcome::Block(Blocked {
                argv: std::mem::take(argv),
                deadline: on.timeout.and_then(|t| Instant::now().checked_add(t)),
                timeout_reply,
                waiting,
            });
        }
        (result, _, _) => result,
    };
    let reply = result.unwrap_or_else(error_reply);
    let elapsed = server.stats.ran(full_name, started, &reply);
    if let Some(args) = logged {
        server
            .slowlog
            .record(&server.config.settings, elapsed, args, &session.client);
    }
    if let Some(args) = monitored {
        monitor::feed(server, session, &args);
    }
    Outcome::Reply(reply)
}

/// Commits a command's batch, then wakes the clients blocked on the keys it created or on
/// the databases it swapped (see `server::blocking`). Every batch of a client's command
/// commits through here.
pub fn commit(server: &Server, mut batch: Batch) -> Result<()> {
    let created = batch.take_created();
    let swapped: Vec<usize> = batch.swapped_dbs().collect();
    batch.commit()?;
    for (id, kind) in created {
        server.blocking.signal(id.db, &id.key, kind);
    }
    for db in swapped {
        server.blocking.signal_db(db);
    }
    Ok(())
}

/// The checks a request passes before it runs or is queued: a known command with the right
/// number of arguments, authentication, the user's permissions (ACL), and what the
/// connection's state allows. Inside EXEC the queued commands passed them when they were
/// queued; only the permissions are checked again.
///
/// A refusal carries the refused command's name, when known, for INFO's rejected calls.
fn admit(
    server: &Server,
    session: &Session,
    argv: &[Arg],
) -> std::result::Result<(&'static Command, &'static str), (Error, Option<&'static str>)> {
    let (command, full_name) = match plan(argv) {
        Plan::Reject(e, command) => return Err((e, command)),
        Plan::Run { command, full_name } => (command, full_name),
    };
    let refuse = |e| (e, Some(full_name));
    if session.in_transaction {
        // EXEC checks the ACLs again: they may have changed since the command was queued.
        // (A script checks its calls itself, with its own error.)
        if !session.in_script {
            acl::permit(server, session, command, full_name, argv)
                .map_err(|r| refuse(r.exec_error()))?;
        }
        return Ok((command, full_name));
    }
    // A password set at runtime (CONFIG SET requirepass) applies to clients not yet in.
    if !session.authenticated && !command.has(Flag::NoAuth) && server.requires_auth() {
        return Err(refuse(Error::reply(crate::error::NOAUTH)));
    }
    acl::permit(server, session, command, full_name, argv).map_err(|r| refuse(r.error()))?;
    if session.multi.is_some() && command.has(Flag::NoMulti) {
        return Err(refuse(Error::reply(
            "ERR Command not allowed inside a transaction",
        )));
    }
    if let Some(busy) = busy_error(server, command) {
        return Err(refuse(Error::reply(busy)));
    }
    pubsub::check_context(session, full_name).map_err(refuse)?;
    monitor::check_context(session, command).map_err(refuse)?;
    Ok((command, full_name))
}

/// The -BUSY error for a command that may not run while a script is past lua-time-limit.
fn busy_error(server: &Server, command: &Command) -> Option<&'static str> {
    if command.has(Flag::AllowBusy) {
        return None;
    }
    server.scripting.busy(server.config.settings.busy_limit())
}

/// A copy of arguments that are all in memory (cheap: the bytes are shared).
fn in_memory_copy(argv: &[Arg]) -> Vec<Arg> {
    argv.iter()
        .filter_map(|a| a.as_bytes().map(|_| a))
        .map(|a| match a {
            Arg::Bytes(b) => Arg::Bytes(b.clone()),
            Arg::Spilled(_) => unreachable!("filtered out"),
        })
        .collect()
}

/// The names of the keys a request touches, for locking. Keys large enough to have been
/// spilled to a file are read back into memory (the command needs them there anyway).
fn key_names(command: &Command, argv: &mut [Arg]) -> Result<Vec<Bytes>> {
    let positions = key_positions(command.keys, argv);
    let mut names = Vec::with_capacity(positions.len());
    for i in positions {
        if let Arg::Spilled(s) = &argv[i] {
            argv[i] = Arg::Bytes(s.read()?);
        }
        if let Arg::Bytes(b) = &argv[i] {
            names.push(b.clone());
        }
    }
    Ok(names)
}

fn error_reply(e: Error) -> Reply {
    if let Error::Io(io) = &e {
        tracing::error!("I/O error on the data directory: {io}");
    }
    Reply::Error(e.reply_text())
}
