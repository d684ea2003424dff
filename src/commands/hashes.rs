//! Hash commands: HSET, HSETNX, HGET, HDEL, HLEN, HKEYS, HVALS, HGETALL, HINCRBY.

use super::{Args, Command, Ctx, Flag::*, FIRST_KEY};
use crate::error::{Error, Result, OVERFLOW};
use crate::number::parse_i64;
use crate::protocol::Reply;
use crate::store::hash;

/// HSET key field value [field value ...]: the number of fields that were new.
fn hset(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    if args.remaining().is_multiple_of(2) {
        return Err(args.wrong_arity());
    }
    let key = ctx.key(args.bytes()?);
    let mut pairs = Vec::with_capacity(args.remaining() / 2);
    while !args.is_empty() {
        pairs.push((args.bytes()?, args.content()?));
    }
    Ok(Reply::Int(
        hash::set(&mut ctx.batch, &key, pairs, false)? as i64
    ))
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

/// HKEYS key
fn hkeys(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    Ok(Reply::Array(
        hash::fields(&ctx.batch, &key)?
            .into_iter()
            .map(Reply::Bulk)
            .collect(),
    ))
}

/// HVALS key
fn hvals(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    Ok(Reply::Array(
        hash::all(&ctx.batch, &key)?
            .into_iter()
            .map(|(_, v)| Reply::Bulk(v))
            .collect(),
    ))
}

/// HGETALL key: fields and values (a map in RESP3).
fn hgetall(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let pairs = hash::all(&ctx.batch, &key)?;
    Ok(Reply::Map(
        pairs
            .into_iter()
            .map(|(f, v)| (Reply::Bulk(f), Reply::Bulk(v)))
            .collect(),
    ))
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

const WRITE: &[crate::commands::Flag] = &[Write, Denyoom, Fast];
const READ: &[crate::commands::Flag] = &[Readonly, Fast];

pub const COMMANDS: &[Command] = &[
    Command {
        name: "hset",
        arity: -4,
        flags: WRITE,
        acl: &["@write", "@hash", "@fast"],
        keys: FIRST_KEY,
        handler: hset,
        subcommands: &[],
    },
    Command {
        name: "hsetnx",
        arity: 4,
        flags: WRITE,
        acl: &["@write", "@hash", "@fast"],
        keys: FIRST_KEY,
        handler: hsetnx,
        subcommands: &[],
    },
    Command {
        name: "hget",
        arity: 3,
        flags: READ,
        acl: &["@read", "@hash", "@fast"],
        keys: FIRST_KEY,
        handler: hget,
        subcommands: &[],
    },
    Command {
        name: "hdel",
        arity: -3,
        flags: &[Write, Fast],
        acl: &["@write", "@hash", "@fast"],
        keys: FIRST_KEY,
        handler: hdel,
        subcommands: &[],
    },
    Command {
        name: "hlen",
        arity: 2,
        flags: READ,
        acl: &["@read", "@hash", "@fast"],
        keys: FIRST_KEY,
        handler: hlen,
        subcommands: &[],
    },
    Command {
        name: "hkeys",
        arity: 2,
        flags: &[Readonly],
        acl: &["@read", "@hash", "@slow"],
        keys: FIRST_KEY,
        handler: hkeys,
        subcommands: &[],
    },
    Command {
        name: "hvals",
        arity: 2,
        flags: &[Readonly],
        acl: &["@read", "@hash", "@slow"],
        keys: FIRST_KEY,
        handler: hvals,
        subcommands: &[],
    },
    Command {
        name: "hgetall",
        arity: 2,
        flags: &[Readonly],
        acl: &["@read", "@hash", "@slow"],
        keys: FIRST_KEY,
        handler: hgetall,
        subcommands: &[],
    },
    Command {
        name: "hincrby",
        arity: 4,
        flags: WRITE,
        acl: &["@write", "@hash", "@fast"],
        keys: FIRST_KEY,
        handler: hincrby,
        subcommands: &[],
    },
];
