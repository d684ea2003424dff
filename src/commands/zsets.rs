//! Sorted set commands: ZADD, ZINCRBY, ZCARD, ZSCORE, ZMSCORE, ZREM, ZRANK, ZREVRANK, ZCOUNT,
//! ZLEXCOUNT, the ZRANGE family (ZRANGE with BYSCORE/BYLEX/REV/LIMIT, ZREVRANGE,
//! Z[REV]RANGEBYSCORE, Z[REV]RANGEBYLEX) and ZRANGESTORE, ZREMRANGEBYRANK/SCORE/LEX,
//! ZPOPMIN, ZPOPMAX, ZMPOP with their blocking forms BZPOPMIN, BZPOPMAX, BZMPOP (see
//! `pops`), ZRANDMEMBER, ZSCAN, and ZUNION, ZINTER, ZDIFF with their STORE forms and
//! ZINTERCARD.
//!
//! Every range is resolved to ranks first: "how many members come before the range" and
//! "how many come before its end" are two descents of the order index, and the members in
//! between are read leaf by leaf. So ZRANGE 0 9 or ZRANGEBYSCORE ... LIMIT on a set of a
//! million members reads a few small files.

use std::collections::HashMap;

use bytes::Bytes;

use super::pops;
use super::sets::{random_count, repeated_picks, NUMKEYS_AT_1};
use super::{cursor, Args, Command, Ctx, Flag::*, KeySpec, FIRST_KEY, SOURCE_AND_DESTINATION};
use crate::error::{Error, Result};
use crate::number::{format_f64, parse_f64, parse_i64, parse_strtod};
use crate::protocol::{self, Reply};
use crate::store::entries::SMALL;
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

impl Window {
    /// The two ends of a range of `kind`, low end first.
    fn parse(kind: RangeBy, low: &Bytes, high: &Bytes) -> Result<Window> {
        Ok(match kind {
            RangeBy::Rank => {
                let parse = |b: &Bytes| parse_i64(b).ok_or_else(Error::not_integer);
                Window::Ranks(parse(low)?, parse(high)?)
            }
            RangeBy::Score => Window::Between(Bound::score(low)?, Bound::score(high)?),
            RangeBy::Lex => Window::Between(Bound::lex(low)?, Bound::lex(high)?),
        })
    }

    /// The ascending ranks `[start, end)` selected in `zset`: rank windows counted from the
    /// high end when `rev`, LIMIT applied to bounded ones.
    fn ranks(
        &self,
        zset: &mut ZSet,
        batch: &Batch,
        limit: Option<(i64, i64)>,
        rev: bool,
    ) -> Result<(u64, u64)> {
        let len = zset.len();
        Ok(match self {
            Window::Ranks(from, to) => match rank_window(*from, *to, len) {
                Some((a, b)) if rev => (len - 1 - b, len - a),
                Some((a, b)) => (a, b + 1),
                None => (0, 0),
            },
            Window::Between(min, max) => {
                let (lo, hi) = bounds_to_ranks(zset, batch, min, max)?;
                limit_window(lo, hi, limit, rev)
            }
        })
    }
}

/// A ZRANGE-family request, parsed.
struct RangeQuery {
    window: Window,
    rev: bool,
    limit: Option<(i64, i64)>,
    with_scores: bool,
}

impl RangeQuery {
    /// Reads `start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]`. `by` and
    /// `reverse` are fixed by the command (ZRANGEBYSCORE, ZREVRANGE...) or, when None, chosen
    /// by the options; ZRANGESTORE (`store`) takes no WITHSCORES.
    fn parse(
        args: &mut Args,
        by: Option<RangeBy>,
        reverse: Option<bool>,
        store: bool,
    ) -> Result<RangeQuery> {
        let (first, second) = (args.bytes()?, args.bytes()?);
        // Each may be chosen once, by the command or by an option.
        let (mut kind, mut rev) = (by, reverse);
        let mut with_scores = false;
        let mut limit: Option<(i64, i64)> = None;
        while !args.is_empty() {
            if !store && args.eat("WITHSCORES") {
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
        // As Redis, which keeps "no LIMIT" as a count of -1: `LIMIT <any> -1` is no limit,
        // and is accepted (and ignored) with a rank range.
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
        Ok(RangeQuery {
            window: Window::parse(kind, &low, &high)?,
            rev,
            limit,
            with_scores,
        })
    }

    /// The members selected in the sorted set at `key` (none if it is missing), in reply
    /// order.
    fn select(&self, batch: &Batch, key: &KeyId) -> Result<Vec<Entry>> {
        let mut members = Vec::new();
        self.visit(batch, key, |e| {
            members.push(e);
            Ok(())
        })?;
        Ok(members)
    }

    /// Calls `f` with each selected member in reply order, reading the index 1,024 ranks at
    /// a time.
    fn visit(
        &self,
        batch: &Batch,
        key: &KeyId,
        mut f: impl FnMut(Entry) -> Result<()>,
    ) -> Result<()> {
        const CHUNK: u64 = 1024;
        let Some(mut zset) = ZSet::open(batch, key)? else {
            return Ok(());
        };
        let (start, end) = self.window.ranks(&mut zset, batch, self.limit, self.rev)?;
        let mut left = end.saturating_sub(start);
        while left > 0 {
            let count = left.min(CHUNK);
            left -= count;
            let from = if self.rev {
                start + left
            } else {
                end - left - count
            };
            let mut chunk = zset.range(batch, from, count)?;
            if self.rev {
                chunk.reverse();
            }
            chunk.into_iter().try_for_each(&mut f)?;
        }
        Ok(())
    }
}

/// Members as a reply: with their scores (pairs in RESP3) or alone.
fn entries_reply(members: Vec<Entry>, with_scores: bool) -> Reply {
    if with_scores {
        Reply::Pairs(
            members
                .into_iter()
                .map(|e| (Reply::Bulk(e.member), Reply::Double(e.score)))
                .collect(),
        )
    } else {
        Reply::Array(members.into_iter().map(|e| Reply::Bulk(e.member)).collect())
    }
}

/// The ZRANGE family (see [`RangeQuery::parse`]).
fn range(
    ctx: &mut Ctx,
    args: &mut Args,
    by: Option<RangeBy>,
    reverse: Option<bool>,
) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let query = RangeQuery::parse(args, by, reverse, false)?;
    let mut reply = ctx.collector(match query.with_scores {
        true => protocol::Aggregate::Pairs,
        false => protocol::Aggregate::Array,
    });
    query.visit(&ctx.batch, &key, |e| {
        reply.push(Reply::Bulk(e.member))?;
        if query.with_scores {
            reply.push(Reply::Double(e.score))?;
        }
        Ok(())
    })?;
    Ok(reply.finish()?)
}

/// ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]: stores what
/// ZRANGE would return in `dst` (replacing it; nothing deletes it) and replies its size.
fn zrangestore(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let destination = ctx.key(args.bytes()?);
    let source = ctx.key(args.bytes()?);
    let query = RangeQuery::parse(args, None, None, true)?;
    let mut members = query.select(&ctx.batch, &source)?;
    if query.rev {
        members.reverse();
    }
    Ok(Reply::Int(
        zset::store(&mut ctx.batch, &destination, members)? as i64,
    ))
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

// ---- removing ranges, popping, random members ----

/// ZREMRANGEBYRANK / ZREMRANGEBYSCORE / ZREMRANGEBYLEX key min max: removes the members in
/// the range and replies how many; the key goes with its last member.
fn remove_range(ctx: &mut Ctx, args: &mut Args, by: RangeBy) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let window = Window::parse(by, &args.bytes()?, &args.bytes()?)?;
    let batch = &mut ctx.batch;
    let Some(mut zset) = ZSet::open(batch, &key)? else {
        return Ok(Reply::Int(0));
    };
    let (start, end) = window.ranks(&mut zset, batch, None, false)?;
    let removed = zset.remove_ranks(batch, start, end)?;
    zset.save(batch)?;
    Ok(Reply::Int(removed as i64))
}

fn zremrangebyrank(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    remove_range(ctx, args, RangeBy::Rank)
}

fn zremrangebyscore(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    remove_range(ctx, args, RangeBy::Score)
}

fn zremrangebylex(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    remove_range(ctx, args, RangeBy::Lex)
}

/// Members and their scores, flat: `member, score, ...` (the scores doubles in RESP3).
fn flat_entries(members: Vec<Entry>) -> Vec<Reply> {
    members
        .into_iter()
        .flat_map(|e| [Reply::Bulk(e.member), Reply::Double(e.score)])
        .collect()
}

/// ZPOPMIN / ZPOPMAX key [count]: removes and returns the lowest (highest) member and its
/// score, or up to `count` of them (pairs in RESP3).
fn pop(ctx: &mut Ctx, args: &mut Args, max: bool) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let count = match args.remaining() {
        0 => None,
        1 => Some(positive_count(args)?),
        _ => return Err(Error::syntax()),
    };
    let popped = zset::pop(&mut ctx.batch, &key, count.unwrap_or(1), max)?.unwrap_or_default();
    Ok(match count {
        Some(_) => entries_reply(popped, true),
        None => Reply::Array(flat_entries(popped)),
    })
}

/// A count that must be 0 or more (ZPOPMIN's, SPOP's), with Redis's error otherwise.
fn positive_count(args: &mut Args) -> Result<u64> {
    parse_i64(&args.bytes()?)
        .and_then(|n| u64::try_from(n).ok())
        .ok_or(Error::reply("ERR value is out of range, must be positive"))
}

fn zpopmin(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    pop(ctx, args, false)
}

fn zpopmax(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    pop(ctx, args, true)
}

/// BZPOPMIN / BZPOPMAX key [key ...] timeout: `[key, member, score]`, the lowest (highest)
/// member of the first key that holds a sorted set; when none does, waits up to timeout
/// seconds (0: forever) for one, and times out with a null array.
fn bzpop(ctx: &mut Ctx, args: &mut Args, max: bool) -> Result<Reply> {
    pops::bpop(ctx, args, Type::ZSet, |batch, key| {
        Ok(zset::pop(batch, key, 1, max)?.map(flat_entries))
    })
}

fn bzpopmin(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    bzpop(ctx, args, false)
}

fn bzpopmax(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    bzpop(ctx, args, true)
}

/// MIN or MAX: whether to pop from the high end.
fn min_or_max(args: &mut Args) -> Result<bool> {
    match args.word()?.as_str() {
        "MIN" => Ok(false),
        "MAX" => Ok(true),
        _ => Err(Error::syntax()),
    }
}

/// Pops up to `count` members from an end of the sorted set at `key`, as the array of
/// `[member, score]` that follows the key in the reply of ZMPOP and BZMPOP.
fn mpop_one(batch: &mut Batch, key: &KeyId, max: bool, count: u64) -> Result<Option<Reply>> {
    let popped = zset::pop(batch, key, count, max)?;
    Ok(popped.map(|members| {
        let pairs = members
            .into_iter()
            .map(|e| Reply::Array(vec![Reply::Bulk(e.member), Reply::Double(e.score)]))
            .collect();
        Reply::Array(pairs)
    }))
}

/// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]: pops from the first key that holds a
/// sorted set and replies `[key, [[member, score], ...]]`; a null array when none does.
fn zmpop(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    pops::mpop(ctx, args, None, min_or_max, mpop_one)
}

/// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]: ZMPOP, or waits.
fn bzmpop(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    pops::mpop(ctx, args, Some(Type::ZSet), min_or_max, mpop_one)
}

/// ZRANDMEMBER key [count [WITHSCORES]]: a random member (nil when the set is missing); with
/// a count, up to `count` distinct members, or `-count` picks that may repeat, each a
/// uniformly random rank of the index; WITHSCORES adds the scores (pairs in RESP3).
fn zrandmember(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let count = match args.remaining() {
        0 => None,
        _ => Some(random_count(args)?),
    };
    let with_scores = match args.remaining() {
        0 => false,
        1 if args.eat("WITHSCORES") => true,
        _ => return Err(Error::syntax()),
    };
    if with_scores && count.is_some_and(|n| n.unsigned_abs() > i64::MAX as u64 / 2) {
        return Err(Error::reply("ERR value is out of range"));
    }
    let batch = &ctx.batch;
    let Some(mut zset) = ZSet::open(batch, &key)? else {
        return Ok(count.map_or(Reply::Nil, |_| Reply::Array(Vec::new())));
    };
    let Some(count) = count else {
        let picked = zset.random(batch, 1, true)?;
        return Ok(Reply::bulk_or_nil(
            picked.into_iter().next().map(|e| e.member),
        ));
    };
    if count >= 0 {
        let members = if count.unsigned_abs() >= zset.len() {
            // The whole set, highest first, as Redis walks it.
            let mut all = zset.range(batch, 0, zset.len())?;
            all.reverse();
            all
        } else {
            zset.random(batch, count.unsigned_abs(), true)?
        };
        return Ok(entries_reply(members, with_scores));
    }
    let mut reply = ctx.collector(match with_scores {
        true => protocol::Aggregate::Pairs,
        false => protocol::Aggregate::Array,
    });
    repeated_picks(count.unsigned_abs(), |n| {
        for e in zset.random(batch, n, false)? {
            reply.push(Reply::Bulk(e.member))?;
            if with_scores {
                reply.push(Reply::Double(e.score))?;
            }
        }
        Ok(())
    })?;
    Ok(reply.finish()?)
}

/// ZSCAN key cursor [MATCH pattern] [COUNT count]: members and scores, flat, the scores as
/// strings. Redis writes them two ways, depending on how it holds the set: a small one
/// (listpack: at most 128 members of at most 64 bytes) whole and in order, its scores in the
/// shortest form that reads back (`0.1`); a big one in parts, with `%.17g`
/// (`0.10000000000000001`). So does this.
fn zscan(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let start = cursor::parse(args)?;
    let batch = &ctx.batch;
    let Some(mut zset) = ZSet::open(batch, &key)? else {
        return Ok(cursor::reply(0, Vec::new()));
    };
    let options = cursor::Options::parse(args)?;
    let (mut found, mut longest) = (Vec::new(), 0);
    let next = zset.scan(batch, start, options.count, |member, score| {
        longest = longest.max(member.len());
        if options.matches(&member) {
            found.push((member, score));
        }
        Ok(())
    })?;
    let small = zset.len() <= SMALL && longest <= 64;
    let mut items = Vec::with_capacity(found.len() * 2);
    for (member, score) in found {
        items.push(Reply::Bulk(member));
        items.push(Reply::bulk(if small {
            format_f64(score)
        } else {
            format_g17(score)
        }));
    }
    Ok(cursor::reply(next, items))
}

/// C's `%.17g`: 17 significant digits, fixed or exponent form, trailing zeros removed.
fn format_g17(value: f64) -> String {
    if !value.is_finite() || value == 0.0 {
        return format_f64(value);
    }
    let sci = format!("{value:.16e}");
    let (mantissa, exponent) = sci.split_once('e').expect("{:e} has an exponent");
    let exponent: i32 = exponent.parse().expect("{:e} exponent is an integer");
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let trim = |s: String| -> String {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    };
    if (-4..17).contains(&exponent) {
        let fixed = if exponent >= 0 {
            let (whole, fraction) = digits.split_at(exponent as usize + 1);
            format!("{whole}.{fraction}")
        } else {
            format!("0.{}{digits}", "0".repeat((-exponent - 1) as usize))
        };
        format!("{sign}{}", trim(fixed))
    } else {
        let mantissa = trim(format!("{}.{}", &digits[..1], &digits[1..]));
        let exp_sign = if exponent < 0 { '-' } else { '+' };
        format!("{sign}{mantissa}e{exp_sign}{:02}", exponent.unsigned_abs())
    }
}

// ---- ZUNION, ZINTER, ZDIFF and their STORE forms, ZINTERCARD ----

#[derive(Clone, Copy)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

impl Aggregate {
    /// Combines two scores as Redis's `zunionInterAggregate`: a sum of opposite infinities
    /// is 0, and a NaN `b` (0 * inf from a weight) leaves `a` as it is for MIN and MAX.
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
            // Written as Redis compares, which also decides NaN and -0 against 0.
            Aggregate::Min => {
                if b < a {
                    b
                } else {
                    a
                }
            }
            Aggregate::Max => {
                if b > a {
                    b
                } else {
                    a
                }
            }
        }
    }
}

/// The operation of a ZUNION/ZINTER/ZDIFF-family command.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SetOp {
    Union,
    Inter,
    Diff,
}

/// One input of a set operation: a sorted set, a set (whose members score 1), or a missing
/// key (no members).
struct Source {
    key: KeyId,
    kind: Option<Type>,
    size: u64,
    weight: f64,
}

impl Source {
    fn open(batch: &Batch, key: KeyId) -> Result<Source> {
        let meta = batch.meta(&key)?;
        let kind = match meta.as_ref().map(|m| m.kind) {
            kind @ (None | Some(Type::ZSet | Type::Set)) => kind,
            Some(_) => return Err(Error::wrong_type()),
        };
        Ok(Source {
            key,
            kind,
            size: meta.map_or(0, |m| m.size),
            weight: 1.0,
        })
    }

    /// Calls `visit` with every member and its (unweighted) score.
    fn for_each(&self, batch: &Batch, mut visit: impl FnMut(Entry) -> Result<()>) -> Result<()> {
        match self.kind {
            Some(Type::ZSet) => match ZSet::open(batch, &self.key)? {
                Some(mut zset) => zset.for_each(batch, visit),
                None => Ok(()),
            },
            Some(Type::Set) => set::for_each(batch, &self.key, |m| visit(Entry::new(1.0, m))),
            _ => Ok(()),
        }
    }

    /// A member's (unweighted) score; None when it is not a member.
    fn score(&self, batch: &Batch, member: &[u8]) -> Result<Option<f64>> {
        match self.kind {
            Some(Type::ZSet) => match ZSet::open(batch, &self.key)? {
                Some(zset) => zset.score(batch, member),
                None => Ok(None),
            },
            Some(Type::Set) => Ok(set::contains(batch, &self.key, member)?.then_some(1.0)),
            _ => Ok(None),
        }
    }
}

/// A parsed ZUNION/ZINTER/ZDIFF-family request.
struct SetQuery {
    op: SetOp,
    sources: Vec<Source>,
    aggregate: Aggregate,
    with_scores: bool,
    /// ZINTERCARD's LIMIT (0: none).
    limit: u64,
}

/// What a set-operation command accepts after its keys.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    /// ZUNION, ZINTER, ZDIFF: WITHSCORES.
    Reply,
    /// ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE.
    Store,
    /// ZINTERCARD: LIMIT.
    Card,
}

impl SetQuery {
    /// Reads `numkeys key [key ...]` and the options of `form`, with Redis's errors in
    /// Redis's order: the count, then each key's type, then the options.
    fn parse(ctx: &Ctx, args: &mut Args, op: SetOp, form: Form) -> Result<SetQuery> {
        let numkeys = args.int()?;
        if numkeys < 1 {
            return Err(Error::new(format!(
                "ERR at least 1 input key is needed for '{}' command",
                args.name()
            )));
        }
        if numkeys as u64 > args.remaining() as u64 {
            return Err(Error::syntax());
        }
        let mut sources = Vec::with_capacity(numkeys as usize);
        for _ in 0..numkeys {
            sources.push(Source::open(&ctx.batch, ctx.key(args.bytes()?))?);
        }
        let mut query = SetQuery {
            op,
            sources,
            aggregate: Aggregate::Sum,
            with_scores: false,
            limit: 0,
        };
        let weighted = op != SetOp::Diff && form != Form::Card;
        while !args.is_empty() {
            if weighted && args.remaining() > query.sources.len() && args.eat("WEIGHTS") {
                for source in &mut query.sources {
                    source.weight = parse_f64(&args.bytes()?)
                        .ok_or(Error::reply("ERR weight value is not a float"))?;
                }
            } else if weighted && args.remaining() >= 2 && args.eat("AGGREGATE") {
                query.aggregate = match args.word()?.as_str() {
                    "SUM" => Aggregate::Sum,
                    "MIN" => Aggregate::Min,
                    "MAX" => Aggregate::Max,
                    _ => return Err(Error::syntax()),
                };
            } else if form == Form::Reply && args.eat("WITHSCORES") {
                query.with_scores = true;
            } else if form == Form::Card && args.remaining() >= 2 && args.eat("LIMIT") {
                query.limit = parse_i64(&args.bytes()?)
                    .and_then(|n| u64::try_from(n).ok())
                    .ok_or(Error::reply("ERR LIMIT can't be negative"))?;
            } else {
                return Err(Error::syntax());
            }
        }
        Ok(query)
    }

    /// The result, in sorted-set order. An intersection streams its smallest input and
    /// looks members up in the others, a difference streams its first; both hold only
    /// their result. A union accumulates every member it meets.
    fn run(mut self, batch: &Batch) -> Result<Vec<Entry>> {
        // Redis takes the inputs of a union or an intersection from the smallest up, which
        // fixes the order in which scores are summed.
        if self.op != SetOp::Diff {
            self.sources.sort_by_key(|s| s.size);
        }
        let aggregate = self.aggregate;
        let mut result = Vec::new();
        let (first, others) = self.sources.split_first().expect("at least one input");
        match self.op {
            SetOp::Inter => first.for_each(batch, |entry| {
                let mut score = weighted(entry.score, first.weight);
                for other in others {
                    match other.score(batch, &entry.member)? {
                        Some(s) => score = aggregate.apply(score, s * other.weight),
                        None => return Ok(()),
                    }
                }
                result.push(Entry::new(score, entry.member));
                Ok(())
            })?,
            SetOp::Diff => first.for_each(batch, |entry| {
                for other in others {
                    if other.score(batch, &entry.member)?.is_some() {
                        return Ok(());
                    }
                }
                result.push(entry);
                Ok(())
            })?,
            SetOp::Union => {
                let mut union: HashMap<Bytes, f64> = HashMap::new();
                for source in &self.sources {
                    source.for_each(batch, |entry| {
                        let score = weighted(entry.score, source.weight);
                        union
                            .entry(entry.member)
                            .and_modify(|s| *s = aggregate.apply(*s, score))
                            .or_insert(score);
                        Ok(())
                    })?;
                }
                result = union
                    .into_iter()
                    .map(|(member, score)| Entry::new(score, member))
                    .collect();
            }
        }
        result.sort_by(|a, b| a.cmp_key(b.score, &b.member));
        Ok(result)
    }
}

/// A score times its input's weight; 0 * inf is 0, as in Redis.
fn weighted(score: f64, weight: f64) -> f64 {
    let product = score * weight;
    if product.is_nan() {
        0.0
    } else {
        product
    }
}

/// ZUNION / ZINTER / ZDIFF numkeys key [key ...] [WEIGHTS ...] [AGGREGATE ...] [WITHSCORES]
fn reply_set_op(ctx: &mut Ctx, args: &mut Args, op: SetOp) -> Result<Reply> {
    let query = SetQuery::parse(ctx, args, op, Form::Reply)?;
    let with_scores = query.with_scores;
    Ok(entries_reply(query.run(&ctx.batch)?, with_scores))
}

/// ZUNIONSTORE / ZINTERSTORE / ZDIFFSTORE destination numkeys key [key ...] [WEIGHTS ...]
/// [AGGREGATE ...]: stores the result (replacing the destination; nothing deletes it) and
/// replies its size.
fn store_set_op(ctx: &mut Ctx, args: &mut Args, op: SetOp) -> Result<Reply> {
    let destination = ctx.key(args.bytes()?);
    let query = SetQuery::parse(ctx, args, op, Form::Store)?;
    let result = query.run(&ctx.batch)?;
    Ok(Reply::Int(
        zset::store(&mut ctx.batch, &destination, result)? as i64,
    ))
}

fn zunion(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    reply_set_op(ctx, args, SetOp::Union)
}

fn zinter(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    reply_set_op(ctx, args, SetOp::Inter)
}

fn zdiff(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    reply_set_op(ctx, args, SetOp::Diff)
}

fn zunionstore(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    store_set_op(ctx, args, SetOp::Union)
}

fn zinterstore(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    store_set_op(ctx, args, SetOp::Inter)
}

fn zdiffstore(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    store_set_op(ctx, args, SetOp::Diff)
}

/// ZINTERCARD numkeys key [key ...] [LIMIT limit]: the size of the intersection, at most
/// `limit` (0: no limit).
fn zintercard(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let query = SetQuery::parse(ctx, args, SetOp::Inter, Form::Card)?;
    let limit = query.limit;
    let count = query.run(&ctx.batch)?.len() as u64;
    Ok(Reply::Int(
        if limit > 0 { count.min(limit) } else { count } as i64
    ))
}

/// A destination key at argument 1, then `numkeys` at 2 and the source keys after it.
const STORE_SET_OP_KEYS: &[KeySpec] = &[
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
const WRITE_STORE: &[super::Flag] = &[Write, Denyoom];
const ACL_READ: &[&str] = &["@read", "@sortedset", "@slow"];
const ACL_WRITE: &[&str] = &["@write", "@sortedset", "@slow"];
const BLOCKING_FAST: &[super::Flag] = &[Write, Noscript, Blocking, Fast];
const ACL_BLOCKING_FAST: &[&str] = &["@write", "@sortedset", "@fast", "@blocking"];

pub const COMMANDS: &[Command] = &[
    Command::new(
        "zadd",
        -4,
        &[Write, Denyoom, Fast],
        &["@write", "@sortedset", "@fast"],
        FIRST_KEY,
        zadd,
    ),
    Command::new(
        "zincrby",
        4,
        &[Write, Denyoom, Fast],
        &["@write", "@sortedset", "@fast"],
        FIRST_KEY,
        zincrby,
    ),
    Command::new(
        "zcard",
        2,
        READ_FAST,
        &["@read", "@sortedset", "@fast"],
        FIRST_KEY,
        zcard,
    ),
    Command::new(
        "zscore",
        3,
        READ_FAST,
        &["@read", "@sortedset", "@fast"],
        FIRST_KEY,
        zscore,
    ),
    Command::new(
        "zmscore",
        -3,
        READ_FAST,
        &["@read", "@sortedset", "@fast"],
        FIRST_KEY,
        zmscore,
    ),
    Command::new(
        "zrem",
        -3,
        &[Write, Fast],
        &["@write", "@sortedset", "@fast"],
        FIRST_KEY,
        zrem,
    ),
    Command::new(
        "zrank",
        -3,
        READ_FAST,
        &["@read", "@sortedset", "@fast"],
        FIRST_KEY,
        zrank,
    ),
    Command::new(
        "zrevrank",
        -3,
        READ_FAST,
        &["@read", "@sortedset", "@fast"],
        FIRST_KEY,
        zrevrank,
    ),
    Command::new(
        "zcount",
        4,
        READ_FAST,
        &["@read", "@sortedset", "@fast"],
        FIRST_KEY,
        zcount,
    ),
    Command::new(
        "zlexcount",
        4,
        READ_FAST,
        &["@read", "@sortedset", "@fast"],
        FIRST_KEY,
        zlexcount,
    ),
    Command::new(
        "zrange",
        -4,
        READ,
        &["@read", "@sortedset", "@slow"],
        FIRST_KEY,
        zrange,
    ),
    Command::new(
        "zrevrange",
        -4,
        READ,
        &["@read", "@sortedset", "@slow"],
        FIRST_KEY,
        zrevrange,
    ),
    Command::new(
        "zrangebyscore",
        -4,
        READ,
        &["@read", "@sortedset", "@slow"],
        FIRST_KEY,
        zrangebyscore,
    ),
    Command::new(
        "zrevrangebyscore",
        -4,
        READ,
        &["@read", "@sortedset", "@slow"],
        FIRST_KEY,
        zrevrangebyscore,
    ),
    Command::new(
        "zrangebylex",
        -4,
        READ,
        &["@read", "@sortedset", "@slow"],
        FIRST_KEY,
        zrangebylex,
    ),
    Command::new(
        "zrevrangebylex",
        -4,
        READ,
        &["@read", "@sortedset", "@slow"],
        FIRST_KEY,
        zrevrangebylex,
    ),
    Command::new(
        "zunionstore",
        -4,
        &[Write, Denyoom],
        &["@write", "@sortedset", "@slow"],
        STORE_SET_OP_KEYS,
        zunionstore,
    ),
    Command::new(
        "zrangestore",
        -5,
        WRITE_STORE,
        ACL_WRITE,
        SOURCE_AND_DESTINATION,
        zrangestore,
    ),
    Command::new(
        "zremrangebyrank",
        4,
        &[Write],
        ACL_WRITE,
        FIRST_KEY,
        zremrangebyrank,
    ),
    Command::new(
        "zremrangebyscore",
        4,
        &[Write],
        ACL_WRITE,
        FIRST_KEY,
        zremrangebyscore,
    ),
    Command::new(
        "zremrangebylex",
        4,
        &[Write],
        ACL_WRITE,
        FIRST_KEY,
        zremrangebylex,
    ),
    Command::new(
        "zpopmin",
        -2,
        &[Write, Fast],
        &["@write", "@sortedset", "@fast"],
        FIRST_KEY,
        zpopmin,
    ),
    Command::new(
        "zpopmax",
        -2,
        &[Write, Fast],
        &["@write", "@sortedset", "@fast"],
        FIRST_KEY,
        zpopmax,
    ),
    Command::new("zmpop", -4, &[Write], ACL_WRITE, NUMKEYS_AT_1, zmpop),
    Command::new(
        "bzpopmin",
        -3,
        BLOCKING_FAST,
        ACL_BLOCKING_FAST,
        pops::BPOP_KEYS,
        bzpopmin,
    ),
    Command::new(
        "bzpopmax",
        -3,
        BLOCKING_FAST,
        ACL_BLOCKING_FAST,
        pops::BPOP_KEYS,
        bzpopmax,
    ),
    Command::new(
        "bzmpop",
        -5,
        &[Write, Blocking],
        &["@write", "@sortedset", "@slow", "@blocking"],
        pops::BMPOP_KEYS,
        bzmpop,
    ),
    Command::new("zrandmember", -2, READ, ACL_READ, FIRST_KEY, zrandmember),
    Command::new("zscan", -3, READ, ACL_READ, FIRST_KEY, zscan),
    Command::new("zunion", -3, READ, ACL_READ, NUMKEYS_AT_1, zunion),
    Command::new("zinter", -3, READ, ACL_READ, NUMKEYS_AT_1, zinter),
    Command::new("zdiff", -3, READ, ACL_READ, NUMKEYS_AT_1, zdiff),
    Command::new(
        "zinterstore",
        -4,
        WRITE_STORE,
        ACL_WRITE,
        STORE_SET_OP_KEYS,
        zinterstore,
    ),
    Command::new(
        "zdiffstore",
        -4,
        WRITE_STORE,
        ACL_WRITE,
        STORE_SET_OP_KEYS,
        zdiffstore,
    ),
    Command::new("zintercard", -3, READ, ACL_READ, NUMKEYS_AT_1, zintercard),
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
    fn big_set_scores_scan_as_printf_g17() {
        // Expectations from C's printf("%.17g").
        for (value, text) in [
            (0.1, "0.10000000000000001"),
            (1.5, "1.5"),
            (3.0, "3"),
            (1e21, "1e+21"),
            (123456789012345678.0, "1.2345678901234568e+17"),
            (1e-5, "1.0000000000000001e-05"),
            (0.0001, "0.0001"),
            (1.0 / 3.0, "0.33333333333333331"),
            (-2.5e-10, "-2.5000000000000002e-10"),
            (1e16, "10000000000000000"),
            (1e17, "1e+17"),
            (3.0 * 2f64.powi(-25), "8.9406967163085938e-08"),
            (5e-324, "4.9406564584124654e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
            (f64::NEG_INFINITY, "-inf"),
            (0.0, "0"),
        ] {
            assert_eq!(format_g17(value), text, "{value:e}");
        }
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
