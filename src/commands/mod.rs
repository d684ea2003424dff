//! Commands: one table of every command, and the dispatcher that runs them.
//!
//! Each family module (`strings`, `keys`, `hashes`, ...) holds small handlers and ends with its
//! part of the table: name, arity, flags and key positions as Redis declares them. COMMAND,
//! arity checks, authentication, key locking and the choice of thread all read that table, so
//! a handler only parses its arguments and calls the store.

pub mod args;
mod connection;
mod hashes;
mod keys;
mod lists;
mod server;
mod sets;
mod strings;
mod zsets;

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use bytes::Bytes;

pub use args::Args;

use crate::error::{Error, Result};
use crate::protocol::{Arg, Reply};
use crate::server::{Server, Session, Waiting};
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

impl Ctx<'_, '_> {
    pub fn store(&self) -> &Store {
        &self.server.store
    }

    /// A key of the session's current database.
    pub fn key(&self, name: Bytes) -> KeyId {
        KeyId::new(self.session.db, name)
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
    Blocking,
    /// dredis: touches no file, so it runs on the connection's own task.
    NoDisk,
    /// dredis: runs with every key locked (FLUSHALL, FLUSHDB).
    Exclusive,
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
            Flag::Blocking => "blocking",
            Flag::NoDisk | Flag::Exclusive => return None,
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

/// (first, last, step) as COMMAND reports them: the leading range spec, as Redis derives it.
pub fn legacy_range(specs: &[KeySpec]) -> (i32, i32, i32) {
    match specs.first() {
        Some(KeySpec::Range { first, last, step }) => (*first, *last, *step),
        _ => (0, 0, 0),
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

/// Every command, family by family.
pub fn all() -> impl Iterator<Item = &'static Command> {
    [
        connection::COMMANDS,
        hashes::COMMANDS,
        keys::COMMANDS,
        lists::COMMANDS,
        server::COMMANDS,
        sets::COMMANDS,
        strings::COMMANDS,
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
    /// An error reply, without running anything.
    Reject(Error),
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
        return Plan::Reject(unknown_command(argv));
    };
    if command.subcommands.is_empty() {
        if !command.arity_ok(argv.len()) {
            return Plan::Reject(Error::wrong_arity(command.name));
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
        return Plan::Reject(Error::wrong_arity(command.name));
    }
    let sub_name = argv[1].as_bytes().unwrap_or(b"");
    let sub = command
        .subcommands
        .iter()
        .find(|s| s.name.as_bytes().eq_ignore_ascii_case(sub_name));
    let Some(sub) = sub else {
        return Plan::Reject(Error::new(format!(
            "ERR unknown subcommand '{}'. Try {} HELP.",
            truncated(sub_name, 128),
            command.name.to_ascii_uppercase()
        )));
    };
    let full_name = full_name(command, sub);
    if !sub.arity_ok(argv.len()) {
        return Plan::Reject(Error::wrong_arity(full_name));
    }
    Plan::Run {
        command: sub,
        full_name,
    }
}

/// `container|sub`, built once per subcommand.
fn full_name(container: &'static Command, sub: &'static Command) -> &'static str {
    static NAMES: OnceLock<HashMap<usize, &'static str>> = OnceLock::new();
    let names = NAMES.get_or_init(|| {
        all()
            .flat_map(|c| c.subcommands.iter().map(move |s| (c, s)))
            .map(|(c, s)| {
                (
                    s as *const Command as usize,
                    &*Box::leak(format!("{}|{}", c.name, s.name).into_boxed_str()),
                )
            })
            .collect()
    });
    names
        .get(&(sub as *const Command as usize))
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

/// Runs one request to its reply: checks, key locks, the handler, then the batch's commit.
///
/// On the connection's task only two kinds of request run: commands that touch no file
/// (PING, SELECT, ...), and read-only commands whose files are all in the cache and whose
/// keys can be locked without waiting (a hot GET). Anything else comes back as
/// [`Outcome::NeedsDisk`].
pub fn run(server: &Server, session: &mut Session, mut argv: Vec<Arg>, thread: Thread) -> Outcome {
    let (command, full_name) = match plan(&argv) {
        Plan::Reject(e) => return Outcome::Reply(error_reply(e)),
        Plan::Run { command, full_name } => (command, full_name),
    };
    if !session.authenticated && !command.has(Flag::NoAuth) {
        return Outcome::Reply(error_reply(Error::reply(crate::error::NOAUTH)));
    }
    let on_connection = thread == Thread::Connection;
    let no_disk = command.has(Flag::NoDisk);
    let cache_read = command.has(Flag::Readonly) && !command.keys.is_empty();
    if on_connection
        && (!(no_disk || cache_read) || argv.iter().any(|a| matches!(a, Arg::Spilled(_))))
    {
        return Outcome::NeedsDisk(argv);
    }
    let key_names = match key_names(command, &mut argv) {
        Ok(k) => k,
        Err(e) => return Outcome::Reply(error_reply(e)),
    };
    let store = &server.store;
    let db = session.db;
    let keys = key_names.iter().map(|k| (db, k));
    let _guard = match () {
        _ if no_disk || key_names.is_empty() && !command.has(Flag::Exclusive) => None,
        _ if command.has(Flag::Exclusive) => Some(store.locks.lock_all()),
        _ if on_connection => match store.locks.try_read(keys) {
            Some(guard) => Some(guard),
            None => return Outcome::NeedsDisk(argv),
        },
        _ => Some(store.locks.lock(keys, command.has(Flag::Write))),
    };
    // A cache-only attempt may fail half-way, a blocking command may wait: keep the
    // arguments to run it again. (A blocking command's arguments other than its keys are
    // small: one large enough to be spilled is invalid, and the command fails at once.)
    let mut retry =
        ((on_connection && !no_disk) || command.has(Flag::Blocking)).then(|| in_memory_copy(&argv));
    let skip = if full_name.contains('|') { 2 } else { 1 };
    let mut args = Args::new(argv.split_off(skip.min(argv.len())), full_name);
    let mode = if on_connection {
        Mode::CacheOnly
    } else {
        Mode::Locked
    };
    // Before the handler runs, as in Redis: CLIENT LIST/INFO show `cmd=client|list`.
    session.client.note_command(full_name);
    let mut ctx = Ctx {
        server,
        session,
        batch: Batch::new(store, mode),
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
    server
        .stats
        .commands
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    match (result, block_on, retry) {
        (Ok(timeout_reply), Some(on), Some(argv)) => {
            // In line before the keys' locks are released: a push committed after the
            // handler looked will find this client.
            let waiting = server
                .blocking
                .wait(session.client.id, db, &on.keys, on.kind);
            Outcome::Block(Blocked {
                argv,
                deadline: on.timeout.and_then(|t| Instant::now().checked_add(t)),
                timeout_reply,
                waiting,
            })
        }
        (result, _, _) => Outcome::Reply(result.unwrap_or_else(error_reply)),
    }
}

/// Commits a command's batch, then wakes the clients blocked on the keys it created (see
/// `server::blocking`). Every batch of a client's command commits through here.
pub fn commit(server: &Server, mut batch: Batch) -> Result<()> {
    let created = batch.take_created();
    batch.commit()?;
    for (id, kind) in created {
        server.blocking.signal(id.db, &id.key, kind);
    }
    Ok(())
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
