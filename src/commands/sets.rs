//! Set commands: SADD, SREM, SMEMBERS, SCARD, SISMEMBER, SMISMEMBER, SPOP, SRANDMEMBER,
//! SMOVE, SINTER, SUNION, SDIFF, their STORE forms, SINTERCARD and SSCAN.
//!
//! Replies are built as the members are read, never from an intermediate list: SMEMBERS of
//! a million members holds the reply once. SINTER and SDIFF stream one set and look the
//! members up in the others, so they hold only their result; SUNION must remember what it
//! has seen.

use std::collections::HashSet;

use bytes::Bytes;

use super::{
    cursor, Args, Command, Ctx, Flag::*, KeySpec, ALL_KEYS, FIRST_KEY, SOURCE_AND_DESTINATION,
};
use crate::error::{Error, Result};
use crate::number::parse_i64;
use crate::protocol::{Aggregate, Reply};
use crate::store::{set, Batch, KeyId};

/// SADD key member [member ...]: the number of members that were new.
fn sadd(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let members = args.rest()?;
    Ok(Reply::Int(set::add(&mut ctx.batch, &key, &members)? as i64))
}

/// SREM key member [member ...]: the number of members removed; the key goes with its last.
fn srem(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let members = args.rest()?;
    Ok(Reply::Int(
        set::remove(&mut ctx.batch, &key, &members)? as i64
    ))
}

/// SMEMBERS key: every member (a set in RESP3).
fn smembers(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let mut members = ctx.collector(Aggregate::Set);
    set::for_each(&ctx.batch, &key, |m| Ok(members.push(Reply::Bulk(m))?))?;
    Ok(members.finish()?)
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

/// SMISMEMBER key member [member ...]: 1 or 0 for each.
fn smismember(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let mut answers = Vec::with_capacity(args.remaining());
    for member in args.rest()? {
        let present = set::contains(&ctx.batch, &key, &member)?;
        answers.push(Reply::Int(i64::from(present)));
    }
    Ok(Reply::Array(answers))
}

/// SPOP key [count]: removes and returns a random member (nil when the set is missing), or
/// up to `count` distinct ones (a set in RESP3).
fn spop(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let count = match args.remaining() {
        0 => None,
        1 => {
            let out_of_range = || Error::reply("ERR value is out of range, must be positive");
            let count = parse_i64(&args.bytes()?).ok_or_else(out_of_range)?;
            Some(u64::try_from(count).map_err(|_| out_of_range())?)
        }
        _ => return Err(Error::syntax()),
    };
    let batch = &mut ctx.batch;
    let Some(meta) = set::meta(batch, &key)? else {
        return Ok(count.map_or(Reply::Nil, |_| Reply::Set(Vec::new())));
    };
    let popped = match count {
        Some(0) => Vec::new(),
        Some(n) if n >= meta.size => {
            let mut all = Vec::new();
            set::for_each(batch, &key, |m| {
                all.push(m);
                Ok(())
            })?;
            batch.delete(&key);
            all
        }
        _ => {
            let picked = set::random(batch, &key, &meta, count.unwrap_or(1), true)?;
            set::remove(batch, &key, &picked)?;
            picked
        }
    };
    Ok(match count {
        Some(_) => Reply::Set(popped.into_iter().map(Reply::Bulk).collect()),
        None => Reply::bulk_or_nil(popped.into_iter().next()),
    })
}

/// Parses the count of SRANDMEMBER, HRANDFIELD and ZRANDMEMBER: any integer but i64::MIN
/// (whose negation, "that many with repeats", does not exist).
pub fn random_count(args: &mut Args) -> Result<i64> {
    let count = args.int()?;
    if count == i64::MIN {
        return Err(Error::reply(
            "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
        ));
    }
    Ok(count)
}

/// Picks asked of the store at a time for a negative count of SRANDMEMBER, HRANDFIELD and
/// ZRANDMEMBER, whose reply can be as long as the client asks, whatever the collection's size.
const PICKS_AT_ONCE: u64 = 1024;

/// Calls `pick` with counts adding up to `count`, at most [`PICKS_AT_ONCE`] each: with the
/// reply built by a collector, `SRANDMEMBER key -2000000000` streams from a temp file (as
/// Redis streams it into its output buffer) instead of needing its whole size in memory at
/// once (it used to abort the server).
pub fn repeated_picks(count: u64, mut pick: impl FnMut(u64) -> Result<()>) -> Result<()> {
    let mut left = count;
    while left > 0 {
        let now = left.min(PICKS_AT_ONCE);
        pick(now)?;
        left -= now;
    }
    Ok(())
}

/// SRANDMEMBER key [count]: a random member (nil when the set is missing); with a count,
/// up to `count` distinct members, or with a negative count `-count` picks that may repeat.
fn srandmember(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let count = match args.remaining() {
        0 => None,
        1 => Some(random_count(args)?),
        _ => return Err(Error::syntax()),
    };
    let batch = &ctx.batch;
    let Some(meta) = set::meta(batch, &key)? else {
        return Ok(count.map_or(Reply::Nil, |_| Reply::Array(Vec::new())));
    };
    let Some(count) = count else {
        let picked = set::random(batch, &key, &meta, 1, true)?;
        return Ok(Reply::bulk_or_nil(picked.into_iter().next()));
    };
    let mut members = ctx.collector(Aggregate::Array);
    if count >= 0 && count.unsigned_abs() >= meta.size {
        set::for_each(batch, &key, |m| Ok(members.push(Reply::Bulk(m))?))?;
    } else if count >= 0 {
        for m in set::random(batch, &key, &meta, count.unsigned_abs(), true)? {
            members.push(Reply::Bulk(m))?;
        }
    } else {
        repeated_picks(count.unsigned_abs(), |n| {
            for m in set::random(batch, &key, &meta, n, false)? {
                members.push(Reply::Bulk(m))?;
            }
            Ok(())
        })?;
    }
    Ok(members.finish()?)
}

/// SMOVE source destination member: 1 if the member was moved (or is already in `source`
/// when both are the same set), 0 if it is not in `source`.
fn smove(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let source = ctx.key(args.bytes()?);
    let destination = ctx.key(args.bytes()?);
    let member = args.bytes()?;
    let batch = &mut ctx.batch;
    if set::meta(batch, &source)?.is_none() {
        return Ok(Reply::Int(0));
    }
    set::meta(batch, &destination)?; // WRONGTYPE before anything changes
    if !set::contains(batch, &source, &member)? {
        return Ok(Reply::Int(0));
    }
    if source != destination {
        set::remove(batch, &source, [&member])?;
        set::add(batch, &destination, &[member])?;
    }
    Ok(Reply::Int(1))
}

/// What a multi-set command computes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Inter,
    Union,
    Diff,
}

/// Calls `emit` with each member of the intersection, union or difference of the sets at
/// `keys`, each once. Every key must be a set or missing (a missing key is an empty set).
fn combine(
    batch: &Batch,
    keys: &[KeyId],
    op: Op,
    mut emit: impl FnMut(Bytes) -> Result<()>,
) -> Result<()> {
    let mut sizes = Vec::with_capacity(keys.len());
    for key in keys {
        sizes.push(set::meta(batch, key)?.map_or(0, |m| m.size));
    }
    match op {
        Op::Inter => {
            if sizes.contains(&0) {
                return Ok(());
            }
            // Stream the smallest set, look its members up in the others.
            let smallest = (0..keys.len()).min_by_key(|&i| sizes[i]).unwrap_or(0);
            set::for_each(batch, &keys[smallest], |member| {
                for (i, key) in keys.iter().enumerate() {
                    if i != smallest && !set::contains(batch, key, &member)? {
                        return Ok(());
                    }
                }
                emit(member)
            })
        }
        Op::Diff => set::for_each(batch, &keys[0], |member| {
            for key in &keys[1..] {
                if set::contains(batch, key, &member)? {
                    return Ok(());
                }
            }
            emit(member)
        }),
        Op::Union => {
            let mut seen = HashSet::new();
            for key in keys {
                set::for_each(batch, key, |member| {
                    if seen.insert(member.clone()) {
                        emit(member)?;
                    }
                    Ok(())
                })?;
            }
            Ok(())
        }
    }
}

/// SINTER / SUNION / SDIFF key [key ...]: the members of the result (a set in RESP3).
fn reply_combined(ctx: &mut Ctx, args: &mut Args, op: Op) -> Result<Reply> {
    let keys = keys(ctx, args.rest()?);
    let mut members = Vec::new();
    combine(&ctx.batch, &keys, op, |m| {
        members.push(Reply::Bulk(m));
        Ok(())
    })?;
    Ok(Reply::Set(members))
}

/// SINTERSTORE / SUNIONSTORE / SDIFFSTORE destination key [key ...]: stores the result in
/// `destination` (replacing whatever it held; an empty result deletes it) and replies with
/// its size.
fn store_combined(ctx: &mut Ctx, args: &mut Args, op: Op) -> Result<Reply> {
    let destination = ctx.key(args.bytes()?);
    let keys = keys(ctx, args.rest()?);
    let mut members = Vec::new();
    combine(&ctx.batch, &keys, op, |m| {
        members.push(m);
        Ok(())
    })?;
    Ok(Reply::Int(
        set::store(&mut ctx.batch, &destination, members)? as i64,
    ))
}

fn keys(ctx: &Ctx, names: Vec<Bytes>) -> Vec<KeyId> {
    names.into_iter().map(|name| ctx.key(name)).collect()
}

fn sinter(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    reply_combined(ctx, args, Op::Inter)
}

fn sunion(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    reply_combined(ctx, args, Op::Union)
}

fn sdiff(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    reply_combined(ctx, args, Op::Diff)
}

fn sinterstore(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    store_combined(ctx, args, Op::Inter)
}

fn sunionstore(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    store_combined(ctx, args, Op::Union)
}

fn sdiffstore(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    store_combined(ctx, args, Op::Diff)
}

/// Reads the `numkeys` of SINTERCARD and ZMPOP: a positive integer.
pub fn numkeys(args: &mut Args) -> Result<usize> {
    parse_i64(&args.bytes()?)
        .filter(|&n| n > 0)
        .and_then(|n| usize::try_from(n).ok())
        .ok_or(Error::reply("ERR numkeys should be greater than 0"))
}

/// Reads `[LIMIT limit]` after the keys of SINTERCARD and ZINTERCARD: 0 is no limit.
pub fn intercard_limit(args: &mut Args) -> Result<u64> {
    let mut limit = 0;
    while !args.is_empty() {
        if args.remaining() >= 2 && args.eat("LIMIT") {
            limit = parse_i64(&args.bytes()?)
                .and_then(|n| u64::try_from(n).ok())
                .ok_or(Error::reply("ERR LIMIT can't be negative"))?;
        } else {
            return Err(Error::syntax());
        }
    }
    Ok(limit)
}

/// SINTERCARD numkeys key [key ...] [LIMIT limit]: the size of the intersection, counting
/// stopped at `limit` (0: no limit).
fn sintercard(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let numkeys = numkeys(args)?;
    if numkeys > args.remaining() {
        return Err(Error::reply(
            "ERR Number of keys can't be greater than number of args",
        ));
    }
    let mut keys = Vec::with_capacity(numkeys);
    for _ in 0..numkeys {
        keys.push(ctx.key(args.bytes()?));
    }
    let limit = intercard_limit(args)?;
    let mut count = 0u64;
    combine(&ctx.batch, &keys, Op::Inter, |_| {
        count += 1;
        Ok(())
    })?;
    let count = if limit > 0 { count.min(limit) } else { count };
    Ok(Reply::Int(count as i64))
}

/// SSCAN key cursor [MATCH pattern] [COUNT count]
fn sscan(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let start = cursor::parse(args)?;
    let Some(meta) = set::meta(&ctx.batch, &key)? else {
        return Ok(cursor::reply(0, Vec::new()));
    };
    let options = cursor::Options::parse(args)?;
    let mut members = Vec::new();
    let next = set::scan(&ctx.batch, &key, &meta, start, options.count, |m| {
        if options.matches(&m) {
            members.push(Reply::Bulk(m));
        }
        Ok(())
    })?;
    Ok(cursor::reply(next, members))
}

/// A destination key at argument 1, then source keys to the end (the *STORE commands).
const STORE_KEYS: &[KeySpec] = &[
    KeySpec::Range {
        first: 1,
        last: 1,
        step: 1,
    },
    KeySpec::Range {
        first: 2,
        last: -1,
        step: 1,
    },
];

/// `numkeys` at argument 1, the keys after it.
pub const NUMKEYS_AT_1: &[KeySpec] = &[KeySpec::Counted {
    numkeys: 1,
    first: 1,
    step: 1,
}];

const READ: &[super::Flag] = &[Readonly];
const READ_FAST: &[super::Flag] = &[Readonly, Fast];
const WRITE_FAST: &[super::Flag] = &[Write, Fast];
const STORE: &[super::Flag] = &[Write, Denyoom];
const ACL_READ: &[&str] = &["@read", "@set", "@slow"];
const ACL_READ_FAST: &[&str] = &["@read", "@set", "@fast"];
const ACL_WRITE: &[&str] = &["@write", "@set", "@slow"];
const ACL_WRITE_FAST: &[&str] = &["@write", "@set", "@fast"];

pub const COMMANDS: &[Command] = &[
    Command::new(
        "sadd",
        -3,
        &[Write, Denyoom, Fast],
        ACL_WRITE_FAST,
        FIRST_KEY,
        sadd,
    ),
    Command::new("srem", -3, WRITE_FAST, ACL_WRITE_FAST, FIRST_KEY, srem),
    Command::new("smembers", 2, READ, ACL_READ, FIRST_KEY, smembers),
    Command::new("scard", 2, READ_FAST, ACL_READ_FAST, FIRST_KEY, scard),
    Command::new(
        "sismember",
        3,
        READ_FAST,
        ACL_READ_FAST,
        FIRST_KEY,
        sismember,
    ),
    Command::new(
        "smismember",
        -3,
        READ_FAST,
        ACL_READ_FAST,
        FIRST_KEY,
        smismember,
    ),
    Command::new("spop", -2, WRITE_FAST, ACL_WRITE_FAST, FIRST_KEY, spop),
    Command::new("srandmember", -2, READ, ACL_READ, FIRST_KEY, srandmember),
    Command::new(
        "smove",
        4,
        WRITE_FAST,
        ACL_WRITE_FAST,
        SOURCE_AND_DESTINATION,
        smove,
    ),
    Command::new("sinter", -2, READ, ACL_READ, ALL_KEYS, sinter),
    Command::new("sunion", -2, READ, ACL_READ, ALL_KEYS, sunion),
    Command::new("sdiff", -2, READ, ACL_READ, ALL_KEYS, sdiff),
    Command::new("sinterstore", -3, STORE, ACL_WRITE, STORE_KEYS, sinterstore),
    Command::new("sunionstore", -3, STORE, ACL_WRITE, STORE_KEYS, sunionstore),
    Command::new("sdiffstore", -3, STORE, ACL_WRITE, STORE_KEYS, sdiffstore),
    Command::new("sintercard", -3, READ, ACL_READ, NUMKEYS_AT_1, sintercard),
    Command::new("sscan", -3, READ, ACL_READ, FIRST_KEY, sscan),
];
