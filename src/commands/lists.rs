//! List commands: LPUSH, RPUSH, LPUSHX, RPUSHX, LPOP, RPOP, LLEN, LINDEX, LRANGE, LSET,
//! LINSERT, LREM, LTRIM, LPOS, LMOVE, RPOPLPUSH, LMPOP, and the blocking BLPOP, BRPOP,
//! BLMOVE, BRPOPLPUSH, BLMPOP.
//!
//! A blocking command runs as its plain form when a key has elements; when none has, it asks
//! to wait ([`Ctx::block`]) and runs again, whole, once a key it waits for is pushed to (see
//! `server::blocking`), as Redis 7 does. The pops from several keys share their arguments
//! and their order of keys with the sorted sets' (`pops`).

use std::time::Duration;

use bytes::Bytes;

use super::pops::{self, timeout};
use super::strings::value_reply;
use super::{Args, Command, Ctx, Flag::*, KeySpec, FIRST_KEY, TWO_KEYS};
use crate::error::{Error, Result};
use crate::number::parse_i64;
use crate::protocol::{Aggregate, Reply};
use crate::store::list::{End, List};
use crate::store::{Batch, KeyId, Type, Value};

/// LEFT or RIGHT.
fn end(args: &mut Args) -> Result<End> {
    match args.word()?.as_str() {
        "LEFT" => Ok(End::Left),
        "RIGHT" => Ok(End::Right),
        _ => Err(Error::syntax()),
    }
}

/// An integer in `min..`, with one error text for anything else (Redis's
/// `getRangeLongFromObjectOrReply` given a message).
fn at_least(args: &mut Args, min: i64, error: &'static str) -> Result<i64> {
    parse_i64(&args.bytes()?)
        .filter(|&n| n >= min)
        .ok_or(Error::reply(error))
}

const NOT_POSITIVE: &str = "ERR value is out of range, must be positive";

fn replies(values: Vec<Value>) -> Result<Vec<Reply>> {
    values.into_iter().map(value_reply).collect()
}

/// Pops up to `count` elements from an end of the list at `key`, in the order popped; None
/// when the key is missing. The key goes with its last element.
fn pop_from(batch: &mut Batch, key: &KeyId, end: End, count: u64) -> Result<Option<Vec<Value>>> {
    let Some(mut list) = List::open(batch, key)? else {
        return Ok(None);
    };
    let mut values = Vec::with_capacity(count.min(list.len()) as usize);
    while (values.len() as u64) < count {
        match list.pop(batch, end)? {
            Some(value) => values.push(value),
            None => break,
        }
    }
    list.save(batch)?;
    Ok(Some(values))
}

// ---- pushes and pops ----

/// [LR]PUSH[X] key element [element ...]: the length after the pushes; the X forms push
/// only onto an existing list (0 otherwise).
fn push(ctx: &mut Ctx, args: &mut Args, end: End, existing_only: bool) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let batch = &mut ctx.batch;
    let mut list = match List::open(batch, &key)? {
        Some(list) => list,
        None if existing_only => return Ok(Reply::Int(0)),
        None => List::create(batch, &key)?,
    };
    while !args.is_empty() {
        list.push(batch, end, args.content()?)?;
    }
    let len = list.len();
    list.save(batch)?;
    Ok(Reply::Int(len as i64))
}

fn lpush(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    push(ctx, args, End::Left, false)
}

fn rpush(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    push(ctx, args, End::Right, false)
}

fn lpushx(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    push(ctx, args, End::Left, true)
}

fn rpushx(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    push(ctx, args, End::Right, true)
}

/// [LR]POP key [count]: the element (nil when the key is missing); with a count, an array
/// of up to count elements (a null array when the key is missing, empty for a count of 0).
fn pop(ctx: &mut Ctx, args: &mut Args, end: End) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    if args.remaining() > 1 {
        return Err(args.wrong_arity());
    }
    let count = if args.is_empty() {
        None
    } else {
        Some(at_least(args, 0, NOT_POSITIVE)? as u64)
    };
    let Some(mut values) = pop_from(&mut ctx.batch, &key, end, count.unwrap_or(1))? else {
        return Ok(count.map_or(Reply::Nil, |_| Reply::NilArray));
    };
    match count {
        None => values.pop().map_or(Ok(Reply::Nil), value_reply),
        Some(_) => Ok(Reply::Array(replies(values)?)),
    }
}

fn lpop(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    pop(ctx, args, End::Left)
}

fn rpop(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    pop(ctx, args, End::Right)
}

// ---- reading and changing in place ----

/// LLEN key: the length, 0 when the key is missing.
fn llen(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let list = List::open(&ctx.batch, &key)?;
    Ok(Reply::Int(list.map_or(0, |l| l.len()) as i64))
}

/// LINDEX key index: the element (negative indexes count from the end), nil when out of
/// range.
fn lindex(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let Some(list) = List::open(&ctx.batch, &key)? else {
        return Ok(Reply::Nil);
    };
    match list.index(args.int()?) {
        Some(i) => value_reply(list.get(&ctx.batch, i)?),
        None => Ok(Reply::Nil),
    }
}

/// LSET key index element: OK; `ERR no such key`, `ERR index out of range`.
fn lset(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let batch = &mut ctx.batch;
    let mut list = List::open(batch, &key)?.ok_or(Error::reply("ERR no such key"))?;
    let index = list.index(args.int()?);
    let index = index.ok_or(Error::reply("ERR index out of range"))?;
    list.set(batch, index, args.content()?)?;
    Ok(Reply::ok())
}

/// LRANGE key start stop: the elements from start to stop, inclusive (negative indexes
/// count from the end; out-of-range ones are clamped).
fn lrange(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let (start, stop) = (args.int()?, args.int()?);
    let Some(list) = List::open(&ctx.batch, &key)? else {
        return Ok(Reply::Array(Vec::new()));
    };
    Ok(match list.range_of(start, stop) {
        Some((start, stop)) => {
            let mut elements = ctx.collector(Aggregate::Array);
            list.range(&ctx.batch, start, stop, |value| {
                Ok(elements.push(value_reply(value)?)?)
            })?;
            elements.finish()?
        }
        None => Reply::Array(Vec::new()),
    })
}

/// LTRIM key start stop: keeps only that range (the key goes when it is empty); OK.
fn ltrim(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let (start, stop) = (args.int()?, args.int()?);
    let batch = &mut ctx.batch;
    if let Some(mut list) = List::open(batch, &key)? {
        let keep = list.range_of(start, stop);
        list.trim(batch, keep)?;
        list.save(batch)?;
    }
    Ok(Reply::ok())
}

/// LINSERT key BEFORE|AFTER pivot element: the new length; -1 when the pivot is not in the
/// list, 0 when the key is missing.
fn linsert(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let after = match args.word()?.as_str() {
        "BEFORE" => false,
        "AFTER" => true,
        _ => return Err(Error::syntax()),
    };
    let pivot = args.bytes()?;
    let element = args.content()?;
    let batch = &mut ctx.batch;
    let Some(mut list) = List::open(batch, &key)? else {
        return Ok(Reply::Int(0));
    };
    for i in 0..list.len() {
        if list.equals(batch, i, &pivot)? {
            list.insert(batch, i + u64::from(after), element)?;
            let len = list.len();
            list.save(batch)?;
            return Ok(Reply::Int(len as i64));
        }
    }
    Ok(Reply::Int(-1))
}

/// LREM key count element: removes the first `count` occurrences from the left (count > 0),
/// from the right (count < 0), or all (0); the number removed.
fn lrem(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let count = args.int()?;
    let element = args.bytes()?;
    let batch = &mut ctx.batch;
    let Some(mut list) = List::open(batch, &key)? else {
        return Ok(Reply::Int(0));
    };
    let len = list.len();
    let limit = if count == 0 {
        len
    } else {
        count.unsigned_abs()
    };
    let mut found = Vec::new();
    for step in 0..len {
        let i = if count < 0 { len - 1 - step } else { step };
        if list.equals(batch, i, &element)? {
            found.push(i);
            if found.len() as u64 == limit {
                break;
            }
        }
    }
    if count < 0 {
        found.reverse();
    }
    list.remove(batch, &found)?;
    list.save(batch)?;
    Ok(Reply::Int(found.len() as i64))
}

/// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]: the index of the first
/// match (RANK n: the nth; negative: counting from the end), or with COUNT an array of up
/// to that many (0: all); MAXLEN limits how many elements are compared.
fn lpos(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let element = args.bytes()?;
    let (mut rank, mut count, mut maxlen) = (1i64, None, 0u64);
    while !args.is_empty() {
        let option = args.word()?;
        if args.is_empty() {
            return Err(Error::syntax());
        }
        match option.as_str() {
            "RANK" => {
                rank = args.int()?;
                if rank == i64::MIN {
                    return Err(Error::new(format!(
                        "ERR value is out of range, value must between {} and {}",
                        -i64::MAX,
                        i64::MAX
                    )));
                }
                if rank == 0 {
                    return Err(Error::reply(
                        "ERR RANK can't be zero: use 1 to start from the first match, 2 from \
                         the second ... or use negative to start from the end of the list",
                    ));
                }
            }
            "COUNT" => count = Some(at_least(args, 0, "ERR COUNT can't be negative")? as u64),
            "MAXLEN" => maxlen = at_least(args, 0, "ERR MAXLEN can't be negative")? as u64,
            _ => return Err(Error::syntax()),
        }
    }
    let Some(list) = List::open(&ctx.batch, &key)? else {
        return Ok(count.map_or(Reply::Nil, |_| Reply::Array(Vec::new())));
    };
    let len = list.len();
    let scanned = if maxlen == 0 { len } else { maxlen.min(len) };
    let wanted = match count {
        None => 1,
        Some(0) => u64::MAX,
        Some(n) => n,
    };
    let skip = rank.unsigned_abs() - 1;
    let (mut matches, mut found) = (0u64, Vec::new());
    for step in 0..scanned {
        let i = if rank < 0 { len - 1 - step } else { step };
        if list.equals(&ctx.batch, i, &element)? {
            matches += 1;
            if matches > skip {
                found.push(Reply::Int(i as i64));
                if found.len() as u64 == wanted {
                    break;
                }
            }
        }
    }
    Ok(match count {
        Some(_) => Reply::Array(found),
        None => found.pop().unwrap_or(Reply::Nil),
    })
}

// ---- moving between lists ----

/// Pops an element from `from` of `src` and pushes it onto `to` of `dst` (the same list
/// rotates): the element, or None when `src` is missing. WRONGTYPE when either key is not a
/// list, checked before anything moves.
fn move_element(
    batch: &mut Batch,
    src: &KeyId,
    dst: &KeyId,
    from: End,
    to: End,
) -> Result<Option<Reply>> {
    let Some(mut source) = List::open(batch, src)? else {
        return Ok(None);
    };
    let destination = if src == dst {
        None
    } else {
        Some(List::open(batch, dst)?)
    };
    let Some(element) = source.pop_content(batch, from)? else {
        return Ok(None);
    };
    let reply = value_reply(element.value()?)?;
    match destination {
        None => source.push(batch, to, element)?,
        Some(destination) => {
            let mut destination = match destination {
                Some(list) => list,
                None => List::create(batch, dst)?,
            };
            destination.push(batch, to, element)?;
            destination.save(batch)?;
        }
    }
    source.save(batch)?;
    Ok(Some(reply))
}

/// LMOVE source destination LEFT|RIGHT LEFT|RIGHT: the element moved, nil when the source
/// is missing.
fn lmove(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let (src, dst) = (ctx.key(args.bytes()?), ctx.key(args.bytes()?));
    let (from, to) = (end(args)?, end(args)?);
    Ok(move_element(&mut ctx.batch, &src, &dst, from, to)?.unwrap_or(Reply::Nil))
}

/// RPOPLPUSH source destination: LMOVE source destination RIGHT LEFT.
fn rpoplpush(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let (src, dst) = (ctx.key(args.bytes()?), ctx.key(args.bytes()?));
    Ok(move_element(&mut ctx.batch, &src, &dst, End::Right, End::Left)?.unwrap_or(Reply::Nil))
}

/// Pops up to `count` elements from an end of the list at `key`, as the array that follows
/// the key in the reply of LMPOP and BLMPOP.
fn mpop_one(batch: &mut Batch, key: &KeyId, end: End, count: u64) -> Result<Option<Reply>> {
    let popped = pop_from(batch, key, end, count)?;
    popped
        .map(|values| Ok(Reply::Array(replies(values)?)))
        .transpose()
}

/// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]: [key, [elements]] from the first
/// non-empty list, a null array when there is none.
fn lmpop(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    pops::mpop(ctx, args, None, end, mpop_one)
}

// ---- blocking forms ----

/// B[LR]POP key [key ...] timeout: [key, element] from the first non-empty list; otherwise
/// waits up to timeout seconds (0: forever) for a push, and times out with a null array.
fn bpop(ctx: &mut Ctx, args: &mut Args, end: End) -> Result<Reply> {
    pops::bpop(ctx, args, Type::List, |batch, key| {
        pop_from(batch, key, end, 1)?.map(replies).transpose()
    })
}

fn blpop(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    bpop(ctx, args, End::Left)
}

fn brpop(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    bpop(ctx, args, End::Right)
}

/// LMOVE once the source has an element; otherwise waits for it. Inside a transaction a
/// missing source answers nil at once, as in Redis.
fn bmove(
    ctx: &mut Ctx,
    src: Bytes,
    dst: Bytes,
    ends: (End, End),
    timeout: Option<Duration>,
) -> Result<Reply> {
    let (src_key, dst_key) = (ctx.key(src.clone()), ctx.key(dst));
    match move_element(&mut ctx.batch, &src_key, &dst_key, ends.0, ends.1)? {
        Some(reply) => Ok(reply),
        None => Ok(ctx.block(vec![src], Type::List, timeout, Reply::Nil)),
    }
}

/// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout
fn blmove(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let (src, dst) = (args.bytes()?, args.bytes()?);
    let ends = (end(args)?, end(args)?);
    let timeout = timeout(&args.bytes()?)?;
    bmove(ctx, src, dst, ends, timeout)
}

/// BRPOPLPUSH source destination timeout: BLMOVE source destination RIGHT LEFT timeout.
fn brpoplpush(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let (src, dst) = (args.bytes()?, args.bytes()?);
    let timeout = timeout(&args.bytes()?)?;
    bmove(ctx, src, dst, (End::Right, End::Left), timeout)
}

/// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]: LMPOP, or waits.
fn blmpop(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    pops::mpop(ctx, args, Some(Type::List), end, mpop_one)
}

const PUSH: &[crate::commands::Flag] = &[Write, Denyoom, Fast];
const PUSH_ACL: &[&str] = &["@write", "@list", "@fast"];
const WRITE_ACL: &[&str] = &["@write", "@list", "@slow"];
const READ_ACL: &[&str] = &["@read", "@list", "@slow"];
const BLOCKING_ACL: &[&str] = &["@write", "@list", "@slow", "@blocking"];
pub const COMMANDS: &[Command] = &[
    Command::new("lpush", -3, PUSH, PUSH_ACL, FIRST_KEY, lpush),
    Command::new("rpush", -3, PUSH, PUSH_ACL, FIRST_KEY, rpush),
    Command::new("lpushx", -3, PUSH, PUSH_ACL, FIRST_KEY, lpushx),
    Command::new("rpushx", -3, PUSH, PUSH_ACL, FIRST_KEY, rpushx),
    Command::new("lpop", -2, &[Write, Fast], PUSH_ACL, FIRST_KEY, lpop),
    Command::new("rpop", -2, &[Write, Fast], PUSH_ACL, FIRST_KEY, rpop),
    Command::new(
        "llen",
        2,
        &[Readonly, Fast],
        &["@read", "@list", "@fast"],
        FIRST_KEY,
        llen,
    ),
    Command::new("lindex", 3, &[Readonly], READ_ACL, FIRST_KEY, lindex),
    Command::new("lrange", 4, &[Readonly], READ_ACL, FIRST_KEY, lrange),
    Command::new("lset", 4, &[Write, Denyoom], WRITE_ACL, FIRST_KEY, lset),
    Command::new(
        "linsert",
        5,
        &[Write, Denyoom],
        WRITE_ACL,
        FIRST_KEY,
        linsert,
    ),
    Command::new("lrem", 4, &[Write], WRITE_ACL, FIRST_KEY, lrem),
    Command::new("ltrim", 4, &[Write], WRITE_ACL, FIRST_KEY, ltrim),
    Command::new("lpos", -3, &[Readonly], READ_ACL, FIRST_KEY, lpos),
    Command::new("lmove", 5, &[Write, Denyoom], WRITE_ACL, TWO_KEYS, lmove),
    Command::new(
        "rpoplpush",
        3,
        &[Write, Denyoom],
        WRITE_ACL,
        TWO_KEYS,
        rpoplpush,
    ),
    Command {
        name: "lmpop",
        arity: -4,
        flags: &[Write],
        acl: WRITE_ACL,
        keys: &[KeySpec::Counted {
            numkeys: 1,
            first: 1,
            step: 1,
        }],
        handler: lmpop,
        subcommands: &[],
    },
    Command::new(
        "blpop",
        -3,
        &[Write, Noscript, Blocking],
        BLOCKING_ACL,
        pops::BPOP_KEYS,
        blpop,
    ),
    Command::new(
        "brpop",
        -3,
        &[Write, Noscript, Blocking],
        BLOCKING_ACL,
        pops::BPOP_KEYS,
        brpop,
    ),
    Command::new(
        "blmove",
        6,
        &[Write, Denyoom, Noscript, Blocking],
        BLOCKING_ACL,
        TWO_KEYS,
        blmove,
    ),
    Command::new(
        "brpoplpush",
        4,
        &[Write, Denyoom, Noscript, Blocking],
        BLOCKING_ACL,
        TWO_KEYS,
        brpoplpush,
    ),
    Command::new(
        "blmpop",
        -5,
        &[Write, Blocking],
        BLOCKING_ACL,
        pops::BMPOP_KEYS,
        blmpop,
    ),
];
