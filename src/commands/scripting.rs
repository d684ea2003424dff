//! Scripting: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT, FCALL, FCALL_RO, FUNCTION.
//!
//! The handlers parse arguments; `crate::scripting` holds the interpreters, the script cache,
//! the libraries and the run in progress.

use bytes::Bytes;

use super::{help, Args, Command, Ctx, Flag::*, KeySpec, NO_KEYS};
use crate::error::{Error, Result};
use crate::protocol::Reply;
use crate::scripting::{Invocation, Mode, Target};

/// EVAL's and FCALL's keys: a count at argument 2, then that many keys.
const COUNTED_KEYS: &[KeySpec] = &[KeySpec::Counted {
    numkeys: 2,
    first: 1,
    step: 1,
}];

/// `numkeys key... arg...`, with Redis's errors for a bad count (`not_integer`: the error
/// when the count is not a number, which EVAL and FCALL word differently).
fn keys_and_args(args: &mut Args, not_integer: Error) -> Result<(Vec<Bytes>, Vec<Bytes>)> {
    let numkeys = crate::number::parse_i64(&args.bytes()?).ok_or(not_integer)?;
    let mut rest = args.rest()?;
    if numkeys > rest.len() as i64 {
        return Err(Error::reply(
            "ERR Number of keys can't be greater than number of args",
        ));
    }
    if numkeys < 0 {
        return Err(Error::reply("ERR Number of keys can't be negative"));
    }
    let args = rest.split_off(numkeys as usize);
    Ok((rest, args))
}

fn run(ctx: &mut Ctx, target: Target, args: &mut Args, read_only: bool) -> Result<Reply> {
    let not_integer = match target {
        Target::Function(_) => Error::reply("ERR Bad number of keys provided"),
        _ => Error::not_integer(),
    };
    let (keys, args) = keys_and_args(args, not_integer)?;
    let call = Invocation {
        target,
        keys,
        args,
        read_only,
    };
    let server = ctx.server;
    super::transactions::atomically(server, ctx.session, |session| {
        server.scripting.run(server, session, call)
    })
}

/// Whether the command is the read-only form (EVAL_RO, EVALSHA_RO, FCALL_RO), which refuses
/// writes.
fn read_only(args: &Args) -> bool {
    args.name().ends_with("_ro")
}

/// EVAL[_RO] script numkeys [key ...] [arg ...]: runs a Lua script, compiling it into the
/// cache.
fn eval(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let body = args.bytes()?;
    run(ctx, Target::Body(body), args, read_only(args))
}

/// EVALSHA[_RO] sha1 numkeys [key ...] [arg ...]: runs a cached script; -NOSCRIPT if unknown
/// (a digest of another length never names one).
fn evalsha(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let sha = args.bytes()?;
    if sha.len() != 40 {
        return Err(Error::reply(crate::scripting::NOSCRIPT));
    }
    run(ctx, Target::Sha(sha), args, read_only(args))
}

/// FCALL[_RO] function numkeys [key ...] [arg ...]: runs a loaded function (FCALL_RO only
/// those flagged `no-writes`).
fn fcall(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let name = args.bytes()?;
    run(ctx, Target::Function(name), args, read_only(args))
}

/// SCRIPT LOAD script: compiles a script into the cache; its SHA1.
fn script_load(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let sha = ctx.server.scripting.load(&args.bytes()?)?;
    Ok(Reply::bulk(sha))
}

/// SCRIPT EXISTS sha1 [sha1 ...]: 1 or 0 for each.
fn script_exists(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let scripting = &ctx.server.scripting;
    Ok(Reply::Array(
        args.rest()?
            .iter()
            .map(|sha| Reply::Int(i64::from(scripting.exists(sha))))
            .collect(),
    ))
}

/// SCRIPT FLUSH [ASYNC|SYNC]: empties the script cache.
fn script_flush(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    if !flush_mode(args) {
        return Err(Error::reply(
            "ERR SCRIPT FLUSH only support SYNC|ASYNC option",
        ));
    }
    ctx.server.scripting.flush();
    Ok(Reply::ok())
}

/// Whether FLUSH's arguments are nothing, ASYNC or SYNC (both flush at once here).
fn flush_mode(args: &mut Args) -> bool {
    match args.remaining() {
        0 => true,
        1 => args.eat("ASYNC") || args.eat("SYNC"),
        _ => false,
    }
}

/// SCRIPT KILL: stops the running script if it has not written.
fn script_kill(ctx: &mut Ctx, _: &mut Args) -> Result<Reply> {
    ctx.server.scripting.kill(Mode::Eval)
}

fn script_help(_: &mut Ctx, _: &mut Args) -> Result<Reply> {
    Ok(help(
        "SCRIPT",
        &[
            "EXISTS <sha1> [<sha1> ...]",
            "    Return information about the existence of the scripts in the script cache.",
            "FLUSH [ASYNC|SYNC]",
            "    Flush the Lua scripts cache. Very dangerous on replicas.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the scripts cache.",
            "    * SYNC: Synchronously flush the scripts cache.",
            "KILL",
            "    Kill the currently executing Lua script.",
            "LOAD <script>",
            "    Load a script into the scripts cache without executing it.",
        ],
    ))
}

/// FUNCTION LOAD [REPLACE] code: loads a library; its name.
fn function_load(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let mut replace = false;
    while args.remaining() > 1 {
        let option = args.bytes()?;
        if !option.eq_ignore_ascii_case(b"REPLACE") {
            return Err(Error::new(format!(
                "ERR Unknown option given: {}",
                String::from_utf8_lossy(&option)
            )));
        }
        replace = true;
    }
    if args.is_empty() {
        return Err(Error::reply("ERR Function code is missing"));
    }
    let code = args.bytes()?;
    let scripting = &ctx.server.scripting;
    let name = scripting.functions.lock().load(code, replace)?;
    scripting.functions_changed();
    Ok(Reply::bulk(name))
}

/// FUNCTION DELETE library.
fn function_delete(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let scripting = &ctx.server.scripting;
    scripting.functions.lock().delete(&args.bytes()?)?;
    scripting.functions_changed();
    Ok(Reply::ok())
}

/// FUNCTION FLUSH [ASYNC|SYNC]: deletes every library.
fn function_flush(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    if args.remaining() > 1 {
        return Err(args.subcommand_syntax_error("FUNCTION"));
    }
    if !flush_mode(args) {
        return Err(Error::reply(
            "ERR FUNCTION FLUSH only supports SYNC|ASYNC option",
        ));
    }
    let scripting = &ctx.server.scripting;
    scripting.functions.lock().flush()?;
    scripting.functions_changed();
    Ok(Reply::ok())
}

/// FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE].
fn function_list(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let (mut pattern, mut with_code) = (None, false);
    while !args.is_empty() {
        if !with_code && args.eat("WITHCODE") {
            with_code = true;
        } else if pattern.is_none() && args.eat("LIBRARYNAME") {
            if args.is_empty() {
                return Err(Error::reply("ERR library name argument was not given"));
            }
            pattern = Some(args.bytes()?);
        } else {
            let unknown = args.bytes()?;
            return Err(Error::new(format!(
                "ERR Unknown argument {}",
                String::from_utf8_lossy(&unknown)
            )));
        }
    }
    let functions = ctx.server.scripting.functions.lock();
    Ok(functions.list(pattern.as_deref(), with_code))
}

/// FUNCTION KILL: stops the running function if it has not written.
fn function_kill(ctx: &mut Ctx, _: &mut Args) -> Result<Reply> {
    ctx.server.scripting.kill(Mode::Function)
}

/// FUNCTION STATS: the running function, and the libraries and functions loaded.
fn function_stats(ctx: &mut Ctx, _: &mut Args) -> Result<Reply> {
    ctx.server.scripting.stats()
}

fn function_help(_: &mut Ctx, _: &mut Args) -> Result<Reply> {
    Ok(help(
        "FUNCTION",
        &[
            "LOAD [REPLACE] <FUNCTION CODE>",
            "    Create a new library with the given library name and code.",
            "DELETE <LIBRARY NAME>",
            "    Delete the given library.",
            "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
            "    Return general information on all the libraries:",
            "    * Library name",
            "    * The engine used to run the Library",
            "    * Library description",
            "    * Functions list",
            "    * Library code (if WITHCODE is given)",
            "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
            "STATS",
            "    Return information about the current function running:",
            "    * Function name",
            "    * Command used to run the function",
            "    * Duration in MS that the function is running",
            "    If no function is running, return nil",
            "    In addition, returns a list of available engines.",
            "KILL",
            "    Kill the current running function.",
            "FLUSH [ASYNC|SYNC]",
            "    Delete all the libraries.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the libraries.",
            "    * SYNC: Synchronously flush the libraries.",
        ],
    ))
}

const SCRIPTING: &[&str] = &["@slow", "@scripting"];

pub const COMMANDS: &[Command] = &[
    Command::new(
        "eval",
        -3,
        &[Noscript, Stale, Exclusive],
        SCRIPTING,
        COUNTED_KEYS,
        eval,
    ),
    Command::new(
        "evalsha",
        -3,
        &[Noscript, Stale, Exclusive],
        SCRIPTING,
        COUNTED_KEYS,
        evalsha,
    ),
    Command::new(
        "eval_ro",
        -3,
        &[Noscript, Stale, Readonly, Exclusive],
        SCRIPTING,
        COUNTED_KEYS,
        eval,
    ),
    Command::new(
        "evalsha_ro",
        -3,
        &[Noscript, Stale, Readonly, Exclusive],
        SCRIPTING,
        COUNTED_KEYS,
        evalsha,
    ),
    Command::new(
        "fcall",
        -3,
        &[Noscript, Stale, Exclusive],
        SCRIPTING,
        COUNTED_KEYS,
        fcall,
    ),
    Command::new(
        "fcall_ro",
        -3,
        &[Noscript, Stale, Readonly, Exclusive],
        SCRIPTING,
        COUNTED_KEYS,
        fcall,
    ),
    Command {
        name: "script",
        arity: -2,
        flags: &[],
        acl: &["@slow"],
        keys: NO_KEYS,
        handler: super::container,
        subcommands: &[
            Command::new(
                "exists",
                -3,
                &[Noscript, Exclusive],
                SCRIPTING,
                NO_KEYS,
                script_exists,
            ),
            Command::new(
                "flush",
                -2,
                &[Noscript, Exclusive],
                SCRIPTING,
                NO_KEYS,
                script_flush,
            ),
            Command::new(
                "kill",
                2,
                &[Noscript, AllowBusy, NoDisk],
                SCRIPTING,
                NO_KEYS,
                script_kill,
            ),
            Command::new(
                "load",
                3,
                &[Noscript, Stale, Exclusive],
                SCRIPTING,
                NO_KEYS,
                script_load,
            ),
            Command::new(
                "help",
                2,
                &[Loading, Stale, NoDisk],
                SCRIPTING,
                NO_KEYS,
                script_help,
            ),
        ],
    },
    Command {
        name: "function",
        arity: -2,
        flags: &[],
        acl: &["@slow"],
        keys: NO_KEYS,
        handler: super::container,
        subcommands: &[
            Command::new(
                "delete",
                3,
                &[Noscript, Write, Exclusive],
                &["@write", "@slow", "@scripting"],
                NO_KEYS,
                function_delete,
            ),
            Command::new(
                "flush",
                -2,
                &[Noscript, Write, Exclusive],
                &["@write", "@slow", "@scripting"],
                NO_KEYS,
                function_flush,
            ),
            Command::new(
                "help",
                2,
                &[Loading, Stale, NoDisk],
                SCRIPTING,
                NO_KEYS,
                function_help,
            ),
            Command::new(
                "kill",
                2,
                &[Noscript, AllowBusy, NoDisk],
                SCRIPTING,
                NO_KEYS,
                function_kill,
            ),
            Command::new(
                "list",
                -2,
                &[Noscript, Exclusive],
                SCRIPTING,
                NO_KEYS,
                function_list,
            ),
            Command::new(
                "load",
                -3,
                &[Noscript, Write, Denyoom, Exclusive],
                &["@write", "@slow", "@scripting"],
                NO_KEYS,
                function_load,
            ),
            Command::new(
                "stats",
                2,
                &[Noscript, AllowBusy, NoDisk],
                SCRIPTING,
                NO_KEYS,
                function_stats,
            ),
        ],
    },
];
