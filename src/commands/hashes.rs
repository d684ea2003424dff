//! Hash commands: HSET, HMSET, HSETNX, HGET, HMGET, HEXISTS, HSTRLEN, HDEL, HLEN, HKEYS,
//! HVALS, HGETALL, HINCRBY, HINCRBYFLOAT, HRANDFIELD, HSCAN.
//!
//! Listings are built as the fields are read, and a large value is streamed from its file
//! rather than copied into the reply.

use bytes::Bytes;

use super::sets::{random_count, repeated_picks};
use super::strings::value_reply;
use super::{cursor, Args, Command, Ctx, Flag::*, FIRST_KEY};
use crate::error::{Error, Result, OVERFLOW};
use crate::long_double::LongDouble;
use crate::number::parse_i64;
use crate::protocol::{Aggregate, Reply};
use crate::store::entries::Element;
use crate::store::{hash, Value};

/// HSET key field value [field value ...]: the number of fields that were new.
fn hset(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    Ok(Reply::Int(set_pairs(ctx, args)? as i64))
}

/// HMSET key field value [field value ...]: HSET's older form, replying OK.
fn hmset(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    set_pairs(ctx, args)?;
    Ok(Reply::ok())
}

/// Sets the field-value pairs of HSET and HMSET; returns how many fields were new.
fn set_pairs(ctx: &mut Ctx, args: &mut Args) -> Result<u64> {
    if args.remaining().is_multiple_of(2) {
        return Err(args.wrong_arity());
    }
    let key = ctx.key(args.bytes()?);
    let mut pairs = Vec::with_capacity(args.remaining() / 2);
    while !args.is_empty() {
        pairs.push((args.bytes()?, args.content()?));
    }
    hash::set(&mut ctx.batch, &key, pairs, false)
}

/// HSETNX key field value: 1 if the field was set, 0 if it already existed.
fn hsetnx(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let pair = (args.bytes()?, args.content()?);
    Ok(Reply::Int(
        hash::set(&mut ctx.batch, &key, vec![pair], true)? as i64,
    ))
}

/// HGET key field
fn hget(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let field = args.bytes()?;
    Ok(Reply::bulk_or_nil(hash::get(&ctx.batch, &key, &field)?))
}

/// HMGET key field [field ...]: each field's value or nil.
fn hmget(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let mut values = Vec::with_capacity(args.remaining());
    for field in args.rest()? {
        values.push(Reply::bulk_or_nil(hash::get(&ctx.batch, &key, &field)?));
    }
    Ok(Reply::Array(values))
}

/// HEXISTS key field: 1 or 0.
fn hexists(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let field = args.bytes()?;
    Ok(Reply::Int(i64::from(hash::exists(
        &ctx.batch, &key, &field,
    )?)))
}

/// HSTRLEN key field: the length of the field's value, 0 when missing.
fn hstrlen(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let field = args.bytes()?;
    let len = hash::value_len(&ctx.batch, &key, &field)?.unwrap_or(0);
    Ok(Reply::Int(len as i64))
}

/// HDEL key field [field ...]: the number of fields removed.
fn hdel(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let fields = args.rest()?;
    Ok(Reply::Int(
        hash::delete(&mut ctx.batch, &key, &fields)? as i64
    ))
}

/// HLEN key
fn hlen(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    Ok(Reply::Int(hash::len(&ctx.batch, &key)? as i64))
}

/// What HKEYS, HVALS and HGETALL list.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Listing {
    Fields,
    Values,
    Both,
}

/// HKEYS key, HVALS key, HGETALL key: the fields, the values, or both (a map in RESP3),
/// each reply built as the hash is read.
fn listing(ctx: &mut Ctx, args: &mut Args, what: Listing) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let mut reply = ctx.collector(match what {
        Listing::Both => Aggregate::Map,
        _ => Aggregate::Array,
    });
    hash::for_each(&ctx.batch, &key, what != Listing::Fields, |e| {
        if what != Listing::Values {
            reply.push(Reply::Bulk(e.name))?;
        }
        if what != Listing::Fields {
            reply.push(content_reply(e.content)?)?;
        }
        Ok(())
    })?;
    Ok(reply.finish()?)
}

/// A field's value as read with it: a large one is streamed from its file.
fn content_reply(content: Option<Value>) -> Result<Reply> {
    content.map_or(Ok(Reply::Bulk(Bytes::new())), value_reply)
}

fn hkeys(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    listing(ctx, args, Listing::Fields)
}

fn hvals(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    listing(ctx, args, Listing::Values)
}

fn hgetall(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    listing(ctx, args, Listing::Both)
}

/// HINCRBY key field increment: the new integer value of the field.
fn hincrby(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let field = args.bytes()?;
    let by = args.int()?;
    let current = match hash::get(&ctx.batch, &key, &field)? {
        Some(value) => parse_i64(&value).ok_or(Error::reply("ERR hash value is not an integer"))?,
        None => 0,
    };
    let next = current.checked_add(by).ok_or(Error::reply(OVERFLOW))?;
    hash::set(
        &mut ctx.batch,
        &key,
        vec![(field, next.to_string().into_bytes().into())],
        false,
    )?;
    Ok(Reply::Int(next))
}

/// HINCRBYFLOAT key field increment: the field's new value, computed in `long double`
/// precision and printed as Redis prints it (`10.5`, `5000`, never an exponent).
fn hincrbyfloat(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let field = args.bytes()?;
    let by = LongDouble::parse(&args.bytes()?).ok_or_else(Error::not_float)?;
    // Only an infinity fails to stay finite when 0 is added.
    if by.add(LongDouble::ZERO).is_none() {
        return Err(Error::reply("ERR value is NaN or Infinity"));
    }
    let current = match hash::get(&ctx.batch, &key, &field)? {
        Some(value) => {
            LongDouble::parse(&value).ok_or(Error::reply("ERR hash value is not a float"))?
        }
        None => LongDouble::ZERO,
    };
    let next = current
        .add(by)
        .ok_or(Error::reply("ERR increment would produce NaN or Infinity"))?;
    let text = Bytes::from(next.to_human());
    hash::set(
        &mut ctx.batch,
        &key,
        vec![(field, text.clone().into())],
        false,
    )?;
    Ok(Reply::Bulk(text))
}

/// HRANDFIELD key [count [WITHVALUES]]: a random field (nil when the hash is missing); with
/// a count, up to `count` distinct fields, or `-count` picks that may repeat; WITHVALUES
/// adds each value (pairs in RESP3).
fn hrandfield(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let count = match args.remaining() {
        0 => None,
        _ => Some(random_count(args)?),
    };
    let with_values = match args.remaining() {
        0 => false,
        1 if args.eat("WITHVALUES") => true,
        _ => return Err(Error::syntax()),
    };
    if with_values && count.is_some_and(|n| n.unsigned_abs() > i64::MAX as u64 / 2) {
        return Err(Error::reply("ERR value is out of range"));
    }
    let batch = &ctx.batch;
    let Some(meta) = hash::meta(batch, &key)? else {
        return Ok(count.map_or(Reply::Nil, |_| Reply::Array(Vec::new())));
    };
    let Some(count) = count else {
        let picked = hash::random(batch, &key, &meta, 1, true, false)?;
        return Ok(Reply::bulk_or_nil(
            picked.into_iter().next().map(|e| e.name),
        ));
    };
    let mut fields = ctx.collector(match with_values {
        true => Aggregate::Pairs,
        false => Aggregate::Array,
    });
    let mut take = |e: Element| {
        fields.push(Reply::Bulk(e.name))?;
        if with_values {
            fields.push(content_reply(e.content)?)?;
        }
        Ok(())
    };
    if count >= 0 && count.unsigned_abs() >= meta.size {
        hash::for_each(batch, &key, with_values, &mut take)?;
    } else if count >= 0 {
        let picked = hash::random(batch, &key, &meta, count.unsigned_abs(), true, with_values)?;
        picked.into_iter().try_for_each(&mut take)?;
    } else {
        repeated_picks(count.unsigned_abs(), |n| {
            let picked = hash::random(batch, &key, &meta, n, false, with_values)?;
            picked.into_iter().try_for_each(&mut take)
        })?;
    }
    Ok(fields.finish()?)
}

/// HSCAN key cursor [MATCH pattern] [COUNT count]: fields and values, flat.
fn hscan(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let start = cursor::parse(args)?;
    let Some(meta) = hash::meta(&ctx.batch, &key)? else {
        return Ok(cursor::reply(0, Vec::new()));
    };
    let options = cursor::Options::parse(args)?;
    let mut items = Vec::new();
    let next = hash::scan(&ctx.batch, &key, &meta, start, options.count, |e| {
        if options.matches(&e.name) {
            items.push(Reply::Bulk(e.name));
            items.push(content_reply(e.content)?);
        }
        Ok(())
    })?;
    Ok(cursor::reply(next, items))
}

const WRITE: &[crate::commands::Flag] = &[Write, Denyoom, Fast];
const READ: &[crate::commands::Flag] = &[Readonly, Fast];

pub const COMMANDS: &[Command] = &[
    Command::new(
        "hset",
        -4,
        WRITE,
        &["@write", "@hash", "@fast"],
        FIRST_KEY,
        hset,
    ),
    Command::new(
        "hsetnx",
        4,
        WRITE,
        &["@write", "@hash", "@fast"],
        FIRST_KEY,
        hsetnx,
    ),
    Command::new(
        "hget",
        3,
        READ,
        &["@read", "@hash", "@fast"],
        FIRST_KEY,
        hget,
    ),
    Command::new(
        "hdel",
        -3,
        &[Write, Fast],
        &["@write", "@hash", "@fast"],
        FIRST_KEY,
        hdel,
    ),
    Command::new(
        "hlen",
        2,
        READ,
        &["@read", "@hash", "@fast"],
        FIRST_KEY,
        hlen,
    ),
    Command::new(
        "hkeys",
        2,
        &[Readonly],
        &["@read", "@hash", "@slow"],
        FIRST_KEY,
        hkeys,
    ),
    Command::new(
        "hvals",
        2,
        &[Readonly],
        &["@read", "@hash", "@slow"],
        FIRST_KEY,
        hvals,
    ),
    Command::new(
        "hgetall",
        2,
        &[Readonly],
        &["@read", "@hash", "@slow"],
        FIRST_KEY,
        hgetall,
    ),
    Command::new(
        "hincrby",
        4,
        WRITE,
        &["@write", "@hash", "@fast"],
        FIRST_KEY,
        hincrby,
    ),
    Command::new(
        "hmset",
        -4,
        WRITE,
        &["@write", "@hash", "@fast"],
        FIRST_KEY,
        hmset,
    ),
    Command::new(
        "hmget",
        -3,
        READ,
        &["@read", "@hash", "@fast"],
        FIRST_KEY,
        hmget,
    ),
    Command::new(
        "hexists",
        3,
        READ,
        &["@read", "@hash", "@fast"],
        FIRST_KEY,
        hexists,
    ),
    Command::new(
        "hstrlen",
        3,
        READ,
        &["@read", "@hash", "@fast"],
        FIRST_KEY,
        hstrlen,
    ),
    Command::new(
        "hincrbyfloat",
        4,
        WRITE,
        &["@write", "@hash", "@fast"],
        FIRST_KEY,
        hincrbyfloat,
    ),
    Command::new(
        "hrandfield",
        -2,
        &[Readonly],
        &["@read", "@hash", "@slow"],
        FIRST_KEY,
        hrandfield,
    ),
    Command::new(
        "hscan",
        -3,
        &[Readonly],
        &["@read", "@hash", "@slow"],
        FIRST_KEY,
        hscan,
    ),
];
