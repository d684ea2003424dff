//! Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.
//!
//! After MULTI every request is checked as usual (unknown command, arity, authentication...)
//! and then queued instead of run; a request refused while queueing makes EXEC fail with
//! EXECABORT. EXEC runs with every key locked, so no other client's command can come between
//! the queued ones; each runs through the ordinary dispatcher with its own batch, so its reply
//! or error is exactly what it would be on its own. WATCH makes EXEC answer nil, running
//! nothing, when a watched key changed in between (see [`crate::store::watch`]).
//!
//! EXEC and scripts run [`atomically`]: their commands commit one by one, in one transaction
//! of the store, which a crash before its end undoes as a whole.

use super::{run, Args, Command, Ctx, Flag::*, Outcome, Thread, ALL_KEYS, NO_KEYS};
use crate::error::{Error, Result};
use crate::protocol::{Arg, Reply};
use crate::server::{Server, Session};

/// The state of a connection between MULTI and EXEC.
#[derive(Default)]
pub struct Transaction {
    queued: Vec<Vec<Arg>>,
    /// A request was refused while queueing: EXEC will fail.
    aborted: bool,
}

/// The commands that run at once inside MULTI instead of being queued.
const NOT_QUEUED: &[&str] = &["exec", "discard", "multi", "watch", "quit", "reset"];

/// Whether the request is to be queued rather than run.
pub fn queues(session: &Session, command: &Command) -> bool {
    session.multi.is_some() && !NOT_QUEUED.contains(&command.name)
}

/// Queues a request for EXEC (once the transaction is doomed, requests are only answered).
pub fn queue(session: &mut Session, argv: Vec<Arg>) -> Reply {
    if let Some(transaction) = &mut session.multi {
        if !transaction.aborted {
            transaction.queued.push(argv);
        }
    }
    Reply::Status("QUEUED".into())
}

/// A request was refused before it could run or be queued: inside MULTI, EXEC will fail.
pub fn refused(session: &mut Session) {
    if let Some(transaction) = &mut session.multi {
        transaction.aborted = true;
    }
}

/// MULTI: start queueing commands.
fn multi(ctx: &mut Ctx, _: &mut Args) -> Result<Reply> {
    if ctx.session.multi.is_some() {
        return Err(Error::reply("ERR MULTI calls can not be nested"));
    }
    ctx.session.multi = Some(Transaction::default());
    Ok(Reply::ok())
}

/// EXEC: run the queued commands, one reply each; nil if a watched key changed, EXECABORT if
/// a command was refused while queueing. The dispatcher holds every key's lock meanwhile.
fn exec(ctx: &mut Ctx, _: &mut Args) -> Result<Reply> {
    let Some(transaction) = ctx.session.multi.take() else {
        return Err(Error::reply("ERR EXEC without MULTI"));
    };
    let watched = &mut ctx.session.watched;
    let changed = if transaction.aborted {
        Ok(false)
    } else {
        watched
            .expired_since(&ctx.batch)
            .map(|expired| expired || watched.is_dirty())
    };
    watched.clear();
    if transaction.aborted {
        return Err(Error::reply(
            "EXECABORT Transaction discarded because of previous errors.",
        ));
    }
    if changed? {
        return Ok(Reply::NilArray);
    }
    let server = ctx.server;
    let replies = atomically(server, ctx.session, |session| {
        session.in_transaction = true;
        let mut replies = Vec::with_capacity(transaction.queued.len());
        for argv in transaction.queued {
            let Outcome::Reply(reply) = run(server, session, argv, Thread::Disk) else {
                unreachable!("a disk thread runs everything")
            };
            replies.push(reply);
        }
        session.in_transaction = false;
        replies
    });
    Ok(Reply::Array(replies))
}

/// Runs `work` in one transaction of the store: a crash before it returns undoes every
/// commit made in it. Inside a transaction already (a script run by EXEC), it is part of
/// that one.
pub fn atomically<T>(
    server: &Server,
    session: &mut Session,
    work: impl FnOnce(&mut Session) -> T,
) -> T {
    if session.transaction.is_some() {
        return work(session);
    }
    let transaction = server.store.begin();
    session.transaction = Some(transaction);
    let done = work(session);
    session.transaction = None;
    if let Err(e) = server.store.end(transaction) {
        // Applied and answered: only a crash before the end mark is written undoes it.
        tracing::warn!("could not end a transaction in the journal: {e}");
    }
    done
}

/// DISCARD: drop the queued commands and leave MULTI.
fn discard(ctx: &mut Ctx, _: &mut Args) -> Result<Reply> {
    if ctx.session.multi.take().is_none() {
        return Err(Error::reply("ERR DISCARD without MULTI"));
    }
    ctx.session.watched.clear();
    Ok(Reply::ok())
}

/// WATCH key [key ...]: the next EXEC fails if any of these keys changes before it.
fn watch(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    if ctx.session.multi.is_some() {
        return Err(Error::reply("ERR WATCH inside MULTI is not allowed"));
    }
    for name in args.rest()? {
        let key = ctx.key(name);
        ctx.session.watched.watch(&ctx.batch, key)?;
    }
    Ok(Reply::ok())
}

/// UNWATCH: forget the watched keys.
fn unwatch(ctx: &mut Ctx, _: &mut Args) -> Result<Reply> {
    ctx.session.watched.clear();
    Ok(Reply::ok())
}

pub const COMMANDS: &[Command] = &[
    Command::new(
        "multi",
        1,
        &[Noscript, Loading, Stale, Fast, AllowBusy, NoDisk],
        &["@fast", "@transaction"],
        NO_KEYS,
        multi,
    ),
    Command::new(
        "exec",
        1,
        &[Noscript, Loading, Stale, SkipSlowlog, Exclusive],
        &["@slow", "@transaction"],
        NO_KEYS,
        exec,
    ),
    Command::new(
        "discard",
        1,
        &[Noscript, Loading, Stale, Fast, AllowBusy, NoDisk],
        &["@fast", "@transaction"],
        NO_KEYS,
        discard,
    ),
    Command::new(
        "watch",
        -2,
        &[Noscript, Loading, Stale, Fast, AllowBusy],
        &["@fast", "@transaction"],
        ALL_KEYS,
        watch,
    ),
    Command::new(
        "unwatch",
        1,
        &[Noscript, Loading, Stale, Fast, AllowBusy, NoDisk],
        &["@fast", "@transaction"],
        NO_KEYS,
        unwatch,
    ),
];
