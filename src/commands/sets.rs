//! Set commands: SADD, SMEMBERS, SCARD, SISMEMBER.

use super::{Args, Command, Ctx, Flag::*, FIRST_KEY};
use crate::error::Result;
use crate::protocol::Reply;
use crate::store::set;

/// SADD key member [member ...]: the number of members that were new.
fn sadd(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let members = args.rest()?;
    Ok(Reply::Int(set::add(&mut ctx.batch, &key, &members)? as i64))
}

/// SMEMBERS key: every member (a set in RESP3).
fn smembers(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    Ok(Reply::Set(
        set::members(&ctx.batch, &key)?
            .into_iter()
            .map(Reply::Bulk)
            .collect(),
    ))
}

/// SCARD key
fn scard(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    Ok(Reply::Int(set::len(&ctx.batch, &key)? as i64))
}

/// SISMEMBER key member: 1 or 0.
fn sismember(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let member = args.bytes()?;
    Ok(Reply::Int(i64::from(set::contains(
        &ctx.batch, &key, &member,
    )?)))
}

pub const COMMANDS: &[Command] = &[
    Command {
        name: "sadd",
        arity: -3,
        flags: &[Write, Denyoom, Fast],
        acl: &["@write", "@set", "@fast"],
        keys: FIRST_KEY,
        handler: sadd,
        subcommands: &[],
    },
    Command {
        name: "smembers",
        arity: 2,
        flags: &[Readonly],
        acl: &["@read", "@set", "@slow"],
        keys: FIRST_KEY,
        handler: smembers,
        subcommands: &[],
    },
    Command {
        name: "scard",
        arity: 2,
        flags: &[Readonly, Fast],
        acl: &["@read", "@set", "@fast"],
        keys: FIRST_KEY,
        handler: scard,
        subcommands: &[],
    },
    Command {
        name: "sismember",
        arity: 3,
        flags: &[Readonly, Fast],
        acl: &["@read", "@set", "@fast"],
        keys: FIRST_KEY,
        handler: sismember,
        subcommands: &[],
    },
];
