//! Sorted set commands: ZADD, ZINCRBY, ZCARD, ZSCORE, ZMSCORE, ZREM, ZRANK, ZREVRANK, ZCOUNT,
//! ZLEXCOUNT, the ZRANGE family (ZRANGE with BYSCORE/BYLEX/REV/LIMIT, ZREVRANGE,
//! Z[REV]RANGEBYSCORE, Z[REV]RANGEBYLEX) and ZUNIONSTORE.
//!
//! Every range is resolved to ranks first: "how many members come before the range" and
//! "how many come before its end" are two descents of the order index, and the members in
//! between are read leaf by leaf. So ZRANGE 0 9 or ZRANGEBYSCORE ... LIMIT on a set of a
//! million members reads a few small files.

use std::collections::HashMap;

use bytes::Bytes;

use super::{Args, Command, Ctx, Flag::*, KeySpec, FIRST_KEY};
use crate::error::{Error, Result};
use crate::number::{parse_f64, parse_i64, parse_strtod};
use crate::protocol::Reply;
use crate::store::zset::{self, Entry, ZSet};
use crate::store::{set, Batch, KeyId, Type};

const NAN_SCORE: &str = "ERR resulting score is not a number (NaN)";
const NOT_FLOAT_RANGE: &str = "ERR min or max is not a float";
const NOT_LEX_RANGE: &str = "ERR min or max not valid string range item";

/// ZADD's and ZINCRBY's conditions on each member.
#[derive(Default)]
struct AddOptions {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
    ch: bool,
    incr: bool,
}

/// What adding one member did.
enum Added {
    New(f64),
    Updated(f64),
    /// The score stayed as it was (an increment of 0, the same score).
    Unchanged(f64),
    /// A condition (NX, XX, GT, LT) left the member alone.
    Skipped,
}

/// Adds or updates one member under ZADD's conditions, as Redis's `zsetAdd`.
fn add_one(
    zset: &mut ZSet,
    batch: &mut Batch,
    member: Bytes,
    score: f64,
    opts: &AddOptions,
) -> Result<Added> {
    let Some(current) = zset.score(batch, &member)? else {
        if opts.xx {
            return Ok(Added::Skipped);
        }
        zset.set(batch, member, None, score)?;
        return Ok(Added::New(score));
    };
    if opts.nx {
        return Ok(Added::Skipped);
    }
    let score = if opts.incr { score + current } else { score };
    if score.is_nan() {
        return Err(Error::reply(NAN_SCORE));
    }
    if (opts.lt && score >= current) || (opts.gt && score <= current) {
        return Ok(Added::Skipped);
    }
    if score == current {
        return Ok(Added::Unchanged(current));
    }
    zset.set(batch, member, Some(current), score)?;
    Ok(Added::Updated(score))
}

/// ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]: the number of new
/// members (CH: new or changed); with INCR, the member's new score (nil when a condition
/// stopped it).
fn zadd(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let mut opts = AddOptions::default();
    loop {
        let flag = match () {
            _ if args.eat("NX") => &mut opts.nx,
            _ if args.eat("XX") => &mut opts.xx,
            _ if args.eat("GT") => &mut opts.gt,
            _ if args.eat("LT") => &mut opts.lt,
            _ if args.eat("CH") => &mut opts.ch,
            _ if args.eat("INCR") => &mut opts.incr,
            _ => break,
        };
        *flag = true;
    }
    if args.is_empty() || !args.remaining().is_multiple_of(2) {
        return Err(Error::syntax());
    }
    if opts.nx && opts.xx {
        return Err(Error::reply(
            "ERR XX and NX options at the same time are not compatible",
        ));
    }
    if [opts.gt, opts.lt, opts.nx].iter().filter(|&&on| on).count() > 1 {
        return Err(Error::reply(
            "ERR GT, LT, and/or NX options at the same time are not compatible",
        ));
    }
    if opts.incr && args.remaining() > 2 {
        return Err(Error::reply(
            "ERR INCR option supports a single increment-element pair",
        ));
    }
    // Every score is checked before anything changes.
    let mut pairs = Vec::with_capacity(args.remaining() / 2);
    while !args.is_empty() {
        pairs.push((args.float()?, args.bytes()?));
    }
    add(ctx, &key, pairs, &opts)
}

/// ZINCRBY key increment member: the member's new score.
fn zincrby(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let by = args.float()?;
    let member = args.bytes()?;
    let opts = AddOptions {
        incr: true,
        ..AddOptions::default()
    };
    add(ctx, &key, vec![(by, member)], &opts)
}

fn add(ctx: &mut Ctx, key: &KeyId, pairs: Vec<(f64, Bytes)>, opts: &AddOptions) -> Result<Reply> {
    let batch = &mut ctx.batch;
    let zset = match ZSet::open(batch, key)? {
        Some(zset) => Some(zset),
        None if opts.xx => None,
        None => Some(ZSet::create(batch, key)?),
    };
    let (mut added, mut updated, mut last) = (0, 0, None);
    if let Some(mut zset) = zset {
        for (score, member) in pairs {
            last = match add_one(&mut zset, batch, member, score, opts)? {
                Added::New(score) => {
                    added += 1;
                    Some(score)
                }
                Added::Updated(score) => {
                    updated += 1;
                    Some(score)
                }
                Added::Unchanged(score) => Some(score),
                Added::Skipped => None,
            };
        }
        zset.save(batch)?;
    }
    Ok(if opts.incr {
        last.map_or(Reply::Nil, Reply::Double)
    } else {
        Reply::Int(if opts.ch { added + updated } else { added })
    })
}

/// ZCARD key
fn zcard(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let zset = ZSet::open(&ctx.batch, &key)?;
    Ok(Reply::Int(zset.map_or(0, |z| z.len()) as i64))
}

/// ZSCORE key member: the score, nil when not a member.
fn zscore(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let member = args.bytes()?;
    let score = match ZSet::open(&ctx.batch, &key)? {
        Some(zset) => zset.score(&ctx.batch, &member)?,
        None => None,
    };
    Ok(score.map_or(Reply::Nil, Reply::Double))
}

/// ZMSCORE key member [member ...]: each member's score or nil.
fn zmscore(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let zset = ZSet::open(&ctx.batch, &key)?;
    let mut scores = Vec::with_capacity(args.remaining());
    for member in args.rest()? {
        let score = match &zset {
            Some(zset) => zset.score(&ctx.batch, &member)?,
            None => None,
        };
        scores.push(score.map_or(Reply::Nil, Reply::Double));
    }
    Ok(Reply::Array(scores))
}

/// ZREM key member [member ...]: how many were removed; the key goes with its last member.
fn zrem(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let batch = &mut ctx.batch;
    let Some(mut zset) = ZSet::open(batch, &key)? else {
        return Ok(Reply::Int(0));
    };
    let mut removed = 0;
    for member in args.rest()? {
        removed += i64::from(zset.remove(batch, &member)?);
    }
    zset.save(batch)?;
    Ok(Reply::Int(removed))
}

/// Z[REV]RANK key member [WITHSCORE]: the member's 0-based position (and score).
fn rank(ctx: &mut Ctx, args: &mut Args, reverse: bool) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let member = args.bytes()?;
    let with_score = match args.remaining() {
        0 => false,
        1 if args.eat("WITHSCORE") => true,
        1 => return Err(Error::syntax()),
        _ => return Err(args.wrong_arity()),
    };
    let missing = if with_score {
        Reply::NilArray
    } else {
        Reply::Nil
    };
    let Some(mut zset) = ZSet::open(&ctx.batch, &key)? else {
        return Ok(missing);
    };
    let Some((rank, score)) = zset.rank(&ctx.batch, &member)? else {
        return Ok(missing);
    };
    let rank = if reverse {
        zset.len().saturating_sub(rank + 1)
    } else {
        rank
    } as i64;
    Ok(if with_score {
        Reply::Array(vec![Reply::Int(rank), Reply::Double(score)])
    } else {
        Reply::Int(rank)
    })
}

fn zrank(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    rank(ctx, args, false)
}

fn zrevrank(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    rank(ctx, args, true)
}

// ---- ranges ----

/// One end of a score or lex range.
#[derive(Clone)]
enum Bound {
    Score {
        value: f64,
        exclusive: bool,
    },
    /// `-`: below every member.
    LexMin,
    /// `+`: above every member.
    LexMax,
    Lex {
        value: Bytes,
        exclusive: bool,
    },
}

impl Bound {
    /// A score bound: `1.5`, `(1.5` (exclusive), `-inf`, `+inf`.
    fn score(arg: &Bytes) -> Result<Bound> {
        let (exclusive, digits) = match arg.first() {
            Some(b'(') => (true, &arg[1..]),
            _ => (false, &arg[..]),
        };
        let value = parse_strtod(digits).ok_or(Error::reply(NOT_FLOAT_RANGE))?;
        Ok(Bound::Score { value, exclusive })
    }

    /// A lex bound: `[a` (inclusive), `(a` (exclusive), `-`, `+`.
    fn lex(arg: &Bytes) -> Result<Bound> {
        match arg.first() {
            Some(b'+') if arg.len() == 1 => Ok(Bound::LexMax),
            Some(b'-') if arg.len() == 1 => Ok(Bound::LexMin),
            Some(b'(') => Ok(Bound::Lex {
                value: arg.slice(1..),
                exclusive: true,
            }),
            Some(b'[') => Ok(Bound::Lex {
                value: arg.slice(1..),
                exclusive: false,
            }),
            _ => Err(Error::reply(NOT_LEX_RANGE)),
        }
    }

    /// Is a member before this bound taken as the start of a range (outside it)?
    fn before_start(&self, score: f64, member: &[u8]) -> bool {
        match self {
            Bound::Score { value, exclusive } => {
                if *exclusive {
                    score <= *value
                } else {
                    score < *value
                }
            }
            Bound::LexMin => false,
            Bound::LexMax => true,
            Bound::Lex { value, exclusive } => {
                if *exclusive {
                    member <= &value[..]
                } else {
                    member < &value[..]
                }
            }
        }
    }

    /// Is a member at or before this bound taken as the end of a range (not past it)?
    fn not_past_end(&self, score: f64, member: &[u8]) -> bool {
        match self {
            Bound::Score { value, exclusive } => {
                if *exclusive {
                    score < *value
                } else {
                    score <= *value
                }
            }
            Bound::LexMin => false,
            Bound::LexMax => true,
            Bound::Lex { value, exclusive } => {
                if *exclusive {
                    member < &value[..]
                } else {
                    member <= &value[..]
                }
            }
        }
    }
}

/// The ranks `[start, end)` of the members between two bounds.
fn bounds_to_ranks(zset: &mut ZSet, batch: &Batch, min: &Bound, max: &Bound) -> Result<(u64, u64)> {
    let start = zset.count_before(batch, |s, m| min.before_start(s, m))?;
    let end = zset.count_before(batch, |s, m| max.not_past_end(s, m))?;
    Ok((start, end.max(start)))
}

/// Z[LEX]COUNT key min max
fn count(ctx: &mut Ctx, args: &mut Args, lex: bool) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let (min, max) = (args.bytes()?, args.bytes()?);
    let parse: fn(&Bytes) -> Result<Bound> = if lex { Bound::lex } else { Bound::score };
    let (min, max) = (parse(&min)?, parse(&max)?);
    let Some(mut zset) = ZSet::open(&ctx.batch, &key)? else {
        return Ok(Reply::Int(0));
    };
    let (start, end) = bounds_to_ranks(&mut zset, &ctx.batch, &min, &max)?;
    Ok(Reply::Int((end - start) as i64))
}

fn zcount(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    count(ctx, args, false)
}

fn zlexcount(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    count(ctx, args, true)
}

/// What a ZRANGE selects, parsed.
enum Window {
    /// Positions, inclusive, negative ones counted from the end.
    Ranks(i64, i64),
    /// Members between two score or lex bounds (low, high).
    Between(Bound, Bound),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum RangeBy {
    Rank,
    Score,
    Lex,
}

/// The ZRANGE family: `by` and `reverse` are fixed by the command (ZRANGEBYSCORE,
/// ZREVRANGE...) or, when None, chosen by ZRANGE's BYSCORE/BYLEX/REV options.
fn range(
    ctx: &mut Ctx,
    args: &mut Args,
    by: Option<RangeBy>,
    reverse: Option<bool>,
) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let (first, second) = (args.bytes()?, args.bytes()?);
    // Each may be chosen once, by the command or by an option.
    let (mut kind, mut rev) = (by, reverse);
    let mut with_scores = false;
    let mut limit: Option<(i64, i64)> = None;
    while !args.is_empty() {
        if args.eat("WITHSCORES") {
            with_scores = true;
        } else if args.remaining() >= 3 && args.eat("LIMIT") {
            limit = Some((args.int()?, args.int()?));
        } else if rev.is_none() && args.eat("REV") {
            rev = Some(true);
        } else if kind.is_none() && args.eat("BYSCORE") {
            kind = Some(RangeBy::Score);
        } else if kind.is_none() && args.eat("BYLEX") {
            kind = Some(RangeBy::Lex);
        } else {
            return Err(Error::syntax());
        }
    }
    let kind = kind.unwrap_or(RangeBy::Rank);
    let rev = rev.unwrap_or(false);
    // As Redis, which keeps "no LIMIT" as a count of -1: `LIMIT <any> -1` is no limit, and
    // is accepted (and ignored) with a rank range.
    if limit.is_some_and(|(_, count)| count != -1) && kind == RangeBy::Rank {
        return Err(Error::reply(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ));
    }
    if with_scores && kind == RangeBy::Lex {
        return Err(Error::reply(
            "ERR syntax error, WITHSCORES not supported in combination with BYLEX",
        ));
    }
    // Score and lex ranges are given high end first when reversed.
    let (low, high) = if rev && kind != RangeBy::Rank {
        (second, first)
    } else {
        (first, second)
    };
    let window = match kind {
        RangeBy::Rank => {
            let parse = |b: &Bytes| parse_i64(b).ok_or_else(Error::not_integer);
            Window::Ranks(parse(&low)?, parse(&high)?)
        }
        RangeBy::Score => Window::Between(Bound::score(&low)?, Bound::score(&high)?),
        RangeBy::Lex => Window::Between(Bound::lex(&low)?, Bound::lex(&high)?),
    };
    let batch = &ctx.batch;
    let Some(mut zset) = ZSet::open(batch, &key)? else {
        return Ok(Reply::Array(Vec::new()));
    };
    let len = zset.len();
    // The forward ranks [start, end) to read.
    let (start, end) = match window {
        Window::Ranks(from, to) => match rank_window(from, to, len) {
            Some((a, b)) if rev => (len - 1 - b, len - a),
            Some((a, b)) => (a, b + 1),
            None => (0, 0),
        },
        Window::Between(min, max) => {
            let (lo, hi) = bounds_to_ranks(&mut zset, batch, &min, &max)?;
            limit_window(lo, hi, limit, rev)
        }
    };
    let mut members = zset.range(batch, start, end - start)?;
    if rev {
        members.reverse();
    }
    Ok(if with_scores {
        Reply::Pairs(
            members
                .into_iter()
                .map(|e| (Reply::Bulk(e.member), Reply::Double(e.score)))
                .collect(),
        )
    } else {
        Reply::Array(members.into_iter().map(|e| Reply::Bulk(e.member)).collect())
    })
}

/// ZRANGE's start/stop (negative: from the end) as an inclusive window of ranks.
fn rank_window(start: i64, stop: i64, len: u64) -> Option<(u64, u64)> {
    let len = len as i64;
    let start = if start < 0 {
        (start + len).max(0)
    } else {
        start
    };
    let stop = if stop < 0 { stop + len } else { stop };
    if start > stop || start >= len {
        return None;
    }
    Some((start as u64, stop.min(len - 1) as u64))
}

/// Applies LIMIT offset count to the ranks `[lo, hi)`, counting from the high end when
/// reversed. A negative offset selects nothing; a negative count means no limit.
fn limit_window(lo: u64, hi: u64, limit: Option<(i64, i64)>, rev: bool) -> (u64, u64) {
    let Some((offset, count)) = limit else {
        return (lo, hi);
    };
    if offset < 0 {
        return (lo, lo);
    }
    let available = hi - lo;
    let offset = (offset as u64).min(available);
    let count = u64::try_from(count)
        .unwrap_or(u64::MAX)
        .min(available - offset);
    if rev {
        (hi - offset - count, hi - offset)
    } else {
        (lo + offset, lo + offset + count)
    }
}

/// ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]
fn zrange(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    range(ctx, args, None, None)
}

/// ZREVRANGE key start stop [WITHSCORES]
fn zrevrange(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    range(ctx, args, Some(RangeBy::Rank), Some(true))
}

/// ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]
fn zrangebyscore(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    range(ctx, args, Some(RangeBy::Score), Some(false))
}

/// ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]
fn zrevrangebyscore(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    range(ctx, args, Some(RangeBy::Score), Some(true))
}

/// ZRANGEBYLEX key min max [LIMIT offset count]
fn zrangebylex(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    range(ctx, args, Some(RangeBy::Lex), Some(false))
}

/// ZREVRANGEBYLEX key max min [LIMIT offset count]
fn zrevrangebylex(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    range(ctx, args, Some(RangeBy::Lex), Some(true))
}

// ---- ZUNIONSTORE ----

#[derive(Clone, Copy)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

impl Aggregate {
    /// Combines two scores; a sum of opposite infinities is 0, as in Redis.
    fn apply(self, a: f64, b: f64) -> f64 {
        match self {
            Aggregate::Sum => {
                let sum = a + b;
                if sum.is_nan() {
                    0.0
                } else {
                    sum
                }
            }
            Aggregate::Min => a.min(b),
            Aggregate::Max => a.max(b),
        }
    }
}

/// A source of ZUNIONSTORE: a sorted set, a set (whose members score 1), or nothing.
fn source_type(batch: &Batch, key: &KeyId) -> Result<Option<Type>> {
    match batch.meta(key)?.map(|m| m.kind) {
        kind @ (None | Some(Type::ZSet | Type::Set)) => Ok(kind),
        Some(_) => Err(Error::wrong_type()),
    }
}

/// Every member of a source, with its score.
fn source_entries(batch: &Batch, key: &KeyId, kind: Option<Type>) -> Result<Vec<Entry>> {
    match kind {
        Some(Type::ZSet) => {
            let mut zset = ZSet::open(batch, key)?.expect("the key is a sorted set");
            let len = zset.len();
            zset.range(batch, 0, len)
        }
        Some(Type::Set) => Ok(set::members(batch, key)?
            .into_iter()
            .map(|m| Entry::new(1.0, m))
            .collect()),
        _ => Ok(Vec::new()),
    }
}

/// ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX]:
/// stores the union of the sources and replies with its size.
fn zunionstore(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let dest = ctx.key(args.bytes()?);
    let numkeys = args.int()?;
    if numkeys < 1 {
        return Err(Error::new(format!(
            "ERR at least 1 input key is needed for '{}' command",
            args.name()
        )));
    }
    if numkeys as usize > args.remaining() {
        return Err(Error::syntax());
    }
    let mut sources = Vec::with_capacity(numkeys as usize);
    for _ in 0..numkeys {
        let key = ctx.key(args.bytes()?);
        let kind = source_type(&ctx.batch, &key)?;
        sources.push((key, kind));
    }
    let mut weights = vec![1.0; sources.len()];
    let mut aggregate = Aggregate::Sum;
    while !args.is_empty() {
        if args.remaining() > sources.len() && args.eat("WEIGHTS") {
            for weight in &mut weights {
                *weight = parse_f64(&args.bytes()?)
                    .ok_or(Error::reply("ERR weight value is not a float"))?;
            }
        } else if args.remaining() >= 2 && args.eat("AGGREGATE") {
            aggregate = match args.word()?.as_str() {
                "SUM" => Aggregate::Sum,
                "MIN" => Aggregate::Min,
                "MAX" => Aggregate::Max,
                _ => return Err(Error::syntax()),
            };
        } else {
            return Err(Error::syntax());
        }
    }
    let mut union: HashMap<Bytes, f64> = HashMap::new();
    for ((key, kind), weight) in sources.into_iter().zip(weights) {
        for entry in source_entries(&ctx.batch, &key, kind)? {
            let mut score = entry.score * weight;
            if score.is_nan() {
                score = 0.0; // 0 * inf
            }
            union
                .entry(entry.member)
                .and_modify(|s| *s = aggregate.apply(*s, score))
                .or_insert(score);
        }
    }
    let mut result: Vec<Entry> = union
        .into_iter()
        .map(|(member, score)| Entry::new(score, member))
        .collect();
    result.sort_by(|a, b| a.cmp_key(b.score, &b.member));
    Ok(Reply::Int(
        zset::store(&mut ctx.batch, &dest, result)? as i64
    ))
}

const ZUNIONSTORE_KEYS: &[KeySpec] = &[
    KeySpec::Range {
        first: 1,
        last: 1,
        step: 1,
    },
    KeySpec::Counted {
        numkeys: 2,
        first: 1,
        step: 1,
    },
];

const READ: &[super::Flag] = &[Readonly];
const READ_FAST: &[super::Flag] = &[Readonly, Fast];

pub const COMMANDS: &[Command] = &[
    Command {
        name: "zadd",
        arity: -4,
        flags: &[Write, Denyoom, Fast],
        acl: &["@write", "@sortedset", "@fast"],
        keys: FIRST_KEY,
        handler: zadd,
        subcommands: &[],
    },
    Command {
        name: "zincrby",
        arity: 4,
        flags: &[Write, Denyoom, Fast],
        acl: &["@write", "@sortedset", "@fast"],
        keys: FIRST_KEY,
        handler: zincrby,
        subcommands: &[],
    },
    Command {
        name: "zcard",
        arity: 2,
        flags: READ_FAST,
        acl: &["@read", "@sortedset", "@fast"],
        keys: FIRST_KEY,
        handler: zcard,
        subcommands: &[],
    },
    Command {
        name: "zscore",
        arity: 3,
        flags: READ_FAST,
        acl: &["@read", "@sortedset", "@fast"],
        keys: FIRST_KEY,
        handler: zscore,
        subcommands: &[],
    },
    Command {
        name: "zmscore",
        arity: -3,
        flags: READ_FAST,
        acl: &["@read", "@sortedset", "@fast"],
        keys: FIRST_KEY,
        handler: zmscore,
        subcommands: &[],
    },
    Command {
        name: "zrem",
        arity: -3,
        flags: &[Write, Fast],
        acl: &["@write", "@sortedset", "@fast"],
        keys: FIRST_KEY,
        handler: zrem,
        subcommands: &[],
    },
    Command {
        name: "zrank",
        arity: -3,
        flags: READ_FAST,
        acl: &["@read", "@sortedset", "@fast"],
        keys: FIRST_KEY,
        handler: zrank,
        subcommands: &[],
    },
    Command {
        name: "zrevrank",
        arity: -3,
        flags: READ_FAST,
        acl: &["@read", "@sortedset", "@fast"],
        keys: FIRST_KEY,
        handler: zrevrank,
        subcommands: &[],
    },
    Command {
        name: "zcount",
        arity: 4,
        flags: READ_FAST,
        acl: &["@read", "@sortedset", "@fast"],
        keys: FIRST_KEY,
        handler: zcount,
        subcommands: &[],
    },
    Command {
        name: "zlexcount",
        arity: 4,
        flags: READ_FAST,
        acl: &["@read", "@sortedset", "@fast"],
        keys: FIRST_KEY,
        handler: zlexcount,
        subcommands: &[],
    },
    Command {
        name: "zrange",
        arity: -4,
        flags: READ,
        acl: &["@read", "@sortedset", "@slow"],
        keys: FIRST_KEY,
        handler: zrange,
        subcommands: &[],
    },
    Command {
        name: "zrevrange",
        arity: -4,
        flags: READ,
        acl: &["@read", "@sortedset", "@slow"],
        keys: FIRST_KEY,
        handler: zrevrange,
        subcommands: &[],
    },
    Command {
        name: "zrangebyscore",
        arity: -4,
        flags: READ,
        acl: &["@read", "@sortedset", "@slow"],
        keys: FIRST_KEY,
        handler: zrangebyscore,
        subcommands: &[],
    },
    Command {
        name: "zrevrangebyscore",
        arity: -4,
        flags: READ,
        acl: &["@read", "@sortedset", "@slow"],
        keys: FIRST_KEY,
        handler: zrevrangebyscore,
        subcommands: &[],
    },
    Command {
        name: "zrangebylex",
        arity: -4,
        flags: READ,
        acl: &["@read", "@sortedset", "@slow"],
        keys: FIRST_KEY,
        handler: zrangebylex,
        subcommands: &[],
    },
    Command {
        name: "zrevrangebylex",
        arity: -4,
        flags: READ,
        acl: &["@read", "@sortedset", "@slow"],
        keys: FIRST_KEY,
        handler: zrevrangebylex,
        subcommands: &[],
    },
    Command {
        name: "zunionstore",
        arity: -4,
        flags: &[Write, Denyoom],
        acl: &["@write", "@sortedset", "@slow"],
        keys: ZUNIONSTORE_KEYS,
        handler: zunionstore,
        subcommands: &[],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rank_windows_follow_zrange() {
        assert_eq!(rank_window(0, -1, 5), Some((0, 4)));
        assert_eq!(rank_window(-2, -1, 5), Some((3, 4)));
        assert_eq!(rank_window(-100, 1, 5), Some((0, 1)));
        assert_eq!(rank_window(3, 100, 5), Some((3, 4)));
        assert_eq!(rank_window(5, 10, 5), None);
        assert_eq!(rank_window(2, 1, 5), None);
        assert_eq!(rank_window(0, -6, 5), None);
        assert_eq!(rank_window(0, 0, 0), None);
    }

    #[test]
    fn limits_count_from_the_end_when_reversed() {
        assert_eq!(limit_window(10, 20, None, false), (10, 20));
        assert_eq!(limit_window(10, 20, Some((2, 3)), false), (12, 15));
        assert_eq!(limit_window(10, 20, Some((2, 3)), true), (15, 18));
        assert_eq!(limit_window(10, 20, Some((2, -1)), false), (12, 20));
        assert_eq!(limit_window(10, 20, Some((50, 1)), false), (20, 20));
        assert_eq!(limit_window(10, 20, Some((-1, 5)), false), (10, 10));
        assert_eq!(limit_window(10, 20, Some((0, 0)), true), (20, 20));
    }
}
