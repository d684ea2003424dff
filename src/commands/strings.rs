//! String commands: SET, GET, INCR, INCRBY, GETRANGE.

use bytes::Bytes;

use super::{Args, Command, Ctx, Flag::*, FIRST_KEY};
use crate::error::{Error, Result, OVERFLOW};
use crate::number::parse_i64;
use crate::protocol::{Reply, StoredValue};
use crate::store::{now_ms, string, Batch, Content, KeyId, Value};

/// A stored value as a reply: bytes in memory, or a file streamed to the client.
pub fn value_reply(value: Value) -> Reply {
    match value {
        Value::Bytes(b) => Reply::Bulk(b),
        Value::File { file, len } => Reply::Stored(StoredValue { file, len }),
    }
}

/// GET key: the value, nil when the key does not exist.
fn get(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    Ok(string::get(&ctx.batch, &key)?.map_or(Reply::Nil, value_reply))
}

/// What SET's options ask for.
#[derive(Default)]
struct SetOptions {
    nx: bool,
    xx: bool,
    get: bool,
    keep_ttl: bool,
    /// Absolute deadline in milliseconds.
    expire_at_ms: Option<i64>,
}

/// Parses SET's options as Redis's `parseExtendedStringArgumentsOrReply`: any order, each at
/// most once, conflicting ones a syntax error, then the expiry validated.
fn set_options(args: &mut Args) -> Result<SetOptions> {
    let mut opts = SetOptions::default();
    let mut expire: Option<(String, Bytes)> = None;
    while !args.is_empty() {
        let word = args.word()?;
        match word.as_str() {
            "NX" if !opts.xx => opts.nx = true,
            "XX" if !opts.nx => opts.xx = true,
            "GET" => opts.get = true,
            "KEEPTTL" if expire.is_none() => opts.keep_ttl = true,
            // The same unit may repeat (the last one wins), as in Redis; two units conflict.
            "EX" | "PX" | "EXAT" | "PXAT"
                if expire.as_ref().is_none_or(|(unit, _)| *unit == word)
                    && !opts.keep_ttl
                    && args.remaining() > 0 =>
            {
                expire = Some((word, args.bytes()?));
            }
            _ => return Err(Error::syntax()),
        }
    }
    if let Some((unit, value)) = expire {
        opts.expire_at_ms = Some(expire_deadline(&unit, &value, "set")?);
    }
    Ok(opts)
}

/// Turns an EX/PX/EXAT/PXAT argument into an absolute deadline in milliseconds, with
/// Redis's checks: an integer, positive, and no overflow.
pub fn expire_deadline(unit: &str, value: &[u8], command: &str) -> Result<i64> {
    let invalid = || Error::new(format!("ERR invalid expire time in '{command}' command"));
    let n = parse_i64(value).ok_or_else(Error::not_integer)?;
    let seconds = unit == "EX" || unit == "EXAT";
    if n <= 0 || (seconds && n > i64::MAX / 1000) {
        return Err(invalid());
    }
    let ms = if seconds { n * 1000 } else { n };
    let relative = unit == "EX" || unit == "PX";
    let deadline = if relative {
        ms.checked_add(now_ms()).ok_or_else(invalid)?
    } else {
        ms
    };
    Ok(deadline)
}

/// SET key value [NX|XX] [GET] [EX s|PX ms|EXAT ts|PXAT ts-ms|KEEPTTL]
fn set(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let value = args.content()?;
    let opts = set_options(args)?;
    let batch = &mut ctx.batch;
    let old = batch.meta(&key)?;
    let previous = if opts.get {
        // GET needs the old value, and refuses to overwrite another type.
        match &old {
            Some(meta) if meta.kind != crate::store::Type::String => {
                return Err(Error::wrong_type())
            }
            Some(_) => string::get(batch, &key)?.map(value_reply),
            None => None,
        }
    } else {
        None
    };
    let found = old.is_some();
    let applied = !(opts.nx && found || opts.xx && !found);
    if applied {
        write_string(
            batch,
            &key,
            value,
            &opts,
            old.as_ref().and_then(|m| m.expire_at_ms),
        )?;
    }
    Ok(match (opts.get, applied) {
        (true, _) => previous.unwrap_or(Reply::Nil),
        (false, true) => Reply::ok(),
        (false, false) => Reply::Nil,
    })
}

fn write_string(
    batch: &mut Batch,
    key: &KeyId,
    value: Content,
    opts: &SetOptions,
    old_expiry: Option<i64>,
) -> Result<()> {
    let expire_at = if opts.keep_ttl {
        old_expiry
    } else {
        opts.expire_at_ms
    };
    if expire_at.is_some_and(|at| at <= now_ms()) {
        // Already expired: the key simply ends up gone, as in Redis.
        batch.delete(key);
        return Ok(());
    }
    string::set(batch, key, value, expire_at)
}

/// Adds `by` to the integer value of `key`, which starts at 0 when missing; keeps the TTL.
fn incr(ctx: &mut Ctx, key: KeyId, by: i64) -> Result<Reply> {
    let batch = &mut ctx.batch;
    let current = match string::get(batch, &key)? {
        None => None,
        Some(value) if value.len() > 20 => return Err(Error::not_integer()),
        Some(value) => Some(parse_i64(&value.into_bytes()?).ok_or_else(Error::not_integer)?),
    };
    let next = current
        .unwrap_or(0)
        .checked_add(by)
        .ok_or(Error::reply(OVERFLOW))?;
    let digits = Content::Bytes(next.to_string().into());
    if current.is_some() {
        string::overwrite(batch, &key, digits)?;
    } else {
        string::set(batch, &key, digits, None)?;
    }
    Ok(Reply::Int(next))
}

/// INCR key
fn incr_one(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    incr(ctx, key, 1)
}

/// INCRBY key increment
fn incr_by(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let by = args.int()?;
    incr(ctx, key, by)
}

/// GETRANGE key start end: the substring between two inclusive offsets (negative ones count
/// from the end). Large ranges are streamed from the value file.
fn getrange(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let (mut start, mut end) = (args.int()?, args.int()?);
    let Some(value) = string::get(&ctx.batch, &key)? else {
        return Ok(Reply::bulk(""));
    };
    let len = value.len() as i64;
    if start < 0 && end < 0 && start > end {
        return Ok(Reply::bulk(""));
    }
    if start < 0 {
        start += len;
    }
    if end < 0 {
        end += len;
    }
    let start = start.max(0);
    let end = end.max(0).min(len - 1);
    if start > end || len == 0 {
        return Ok(Reply::bulk(""));
    }
    Ok(value_reply(
        value.slice(start as u64, (end - start + 1) as u64)?,
    ))
}

pub const COMMANDS: &[Command] = &[
    Command {
        name: "get",
        arity: 2,
        flags: &[Readonly, Fast],
        acl: &["@read", "@string", "@fast"],
        keys: FIRST_KEY,
        handler: get,
        subcommands: &[],
    },
    Command {
        name: "set",
        arity: -3,
        flags: &[Write, Denyoom],
        acl: &["@write", "@string", "@slow"],
        keys: FIRST_KEY,
        handler: set,
        subcommands: &[],
    },
    Command {
        name: "incr",
        arity: 2,
        flags: &[Write, Denyoom, Fast],
        acl: &["@write", "@string", "@fast"],
        keys: FIRST_KEY,
        handler: incr_one,
        subcommands: &[],
    },
    Command {
        name: "incrby",
        arity: 3,
        flags: &[Write, Denyoom, Fast],
        acl: &["@write", "@string", "@fast"],
        keys: FIRST_KEY,
        handler: incr_by,
        subcommands: &[],
    },
    Command {
        name: "getrange",
        arity: 4,
        flags: &[Readonly],
        acl: &["@read", "@string", "@slow"],
        keys: FIRST_KEY,
        handler: getrange,
        subcommands: &[],
    },
];
