//! What the pops from the first of several keys share, lists and sorted sets alike: LMPOP,
//! ZMPOP and the blocking BLPOP, BRPOP, BLMPOP, BZPOPMIN, BZPOPMAX, BZMPOP.
//!
//! - Their arguments: the blocking timeout (fractional seconds), and the
//!   `numkeys key [key ...] <end> [COUNT count]` of the MPOP forms.
//! - The pop itself: the keys are tried in order; a missing key is skipped, a key of another
//!   type is WRONGTYPE, and the first one that holds the type gives its elements, replied as
//!   `[key, ...]`.
//! - The wait: when every key is missing, a blocking form waits for one of them to be
//!   created with its type (see `server::blocking`) and then runs again, whole; its timeout
//!   (and, inside MULTI, the immediate answer) is a null array, as the plain form's reply
//!   when every key is missing.
//!
//! So a family file only says how to pop from one of its keys ([`bpop`], [`mpop`]).

use std::time::Duration;

use bytes::Bytes;

use super::sets::numkeys;
use super::{Args, Ctx, KeySpec};
use crate::error::{Error, Result};
use crate::number::{parse_i64, parse_strtod};
use crate::protocol::Reply;
use crate::store::{now_ms, Batch, KeyId, Type};

/// The keys of BLPOP, BRPOP, BZPOPMIN, BZPOPMAX: every argument but the last, the timeout.
pub const BPOP_KEYS: &[KeySpec] = &[KeySpec::Range {
    first: 1,
    last: -2,
    step: 1,
}];

/// The keys of BLMPOP and BZMPOP: counted by the argument after the timeout.
pub const BMPOP_KEYS: &[KeySpec] = &[KeySpec::Counted {
    numkeys: 2,
    first: 1,
    step: 1,
}];

/// A blocking command's timeout, in seconds, as Redis's `getTimeoutFromObjectOrReply`: a
/// float whose fractions of a millisecond round up; 0 waits forever (None). Redis reads it
/// as a long double, so a number beyond a double's range is out of range, not malformed.
pub fn timeout(arg: &[u8]) -> Result<Option<Duration>> {
    let seconds = Some(arg)
        .filter(|a| a.first().is_some_and(|c| !c.is_ascii_whitespace()))
        .and_then(parse_strtod)
        .ok_or(Error::reply("ERR timeout is not a float or out of range"))?;
    let ms = (seconds * 1000.0).ceil();
    if ms > i64::MAX as f64 {
        return Err(Error::reply("ERR timeout is out of range"));
    }
    if ms < 0.0 {
        return Err(Error::reply("ERR timeout is negative"));
    }
    let ms = ms as i64;
    if ms > i64::MAX - now_ms() {
        return Err(Error::reply("ERR timeout is out of range"));
    }
    Ok((ms > 0).then(|| Duration::from_millis(ms as u64)))
}

/// BLPOP, BRPOP, BZPOPMIN and BZPOPMAX: `key [key ...] timeout` (the timeout checked first);
/// `[key, ...]` with what `pop` took from the first key that exists, or else the wait for
/// one to be created holding `kind`.
pub fn bpop(
    ctx: &mut Ctx,
    args: &mut Args,
    kind: Type,
    pop: impl FnMut(&mut Batch, &KeyId) -> Result<Option<Vec<Reply>>>,
) -> Result<Reply> {
    let mut keys = args.rest()?;
    let timeout = timeout(&keys.pop().unwrap_or_default())?;
    pop_first(ctx, keys, Some((kind, timeout)), pop)
}

/// LMPOP and ZMPOP, or, given the type they wait for, BLMPOP and BZMPOP:
/// `[timeout] numkeys key [key ...] <end> [COUNT count]`, checked in Redis's order (the
/// timeout last). `end` reads the end (LEFT|RIGHT, MIN|MAX); `pop` pops up to count elements
/// from there, as the array that follows the key in the reply `[key, [...]]`. When every key
/// is missing: a null array, or the wait.
pub fn mpop<E: Copy>(
    ctx: &mut Ctx,
    args: &mut Args,
    waits_for: Option<Type>,
    end: fn(&mut Args) -> Result<E>,
    pop: fn(&mut Batch, &KeyId, E, u64) -> Result<Option<Reply>>,
) -> Result<Reply> {
    let wait = waits_for
        .map(|kind| args.bytes().map(|arg| (kind, arg)))
        .transpose()?;
    let numkeys = numkeys(args)?;
    if numkeys >= args.remaining() {
        return Err(Error::syntax());
    }
    let keys = (0..numkeys)
        .map(|_| args.bytes())
        .collect::<Result<Vec<_>>>()?;
    let end = end(args)?;
    let mut count = None;
    while !args.is_empty() {
        if count.is_none() && args.remaining() >= 2 && args.eat("COUNT") {
            let n = parse_i64(&args.bytes()?)
                .filter(|&n| n > 0)
                .ok_or(Error::reply("ERR count should be greater than 0"))?;
            count = Some(n as u64);
        } else {
            return Err(Error::syntax());
        }
    }
    let count = count.unwrap_or(1);
    let wait = wait
        .map(|(kind, arg)| timeout(&arg).map(|timeout| (kind, timeout)))
        .transpose()?;
    pop_first(ctx, keys, wait, |batch, key| {
        Ok(pop(batch, key, end, count)?.map(|popped| vec![popped]))
    })
}

/// Pops from the first of `keys` that exists: `[key, ...what was taken]`. `pop` pops from
/// one key: None when it is missing (and WRONGTYPE when it holds another type). When every
/// key is missing: a null array, or with `wait` (the type awaited, the timeout), the wait
/// for one of them to be created holding that type.
fn pop_first(
    ctx: &mut Ctx,
    keys: Vec<Bytes>,
    wait: Option<(Type, Option<Duration>)>,
    mut pop: impl FnMut(&mut Batch, &KeyId) -> Result<Option<Vec<Reply>>>,
) -> Result<Reply> {
    for name in &keys {
        let key = ctx.key(name.clone());
        if let Some(taken) = pop(&mut ctx.batch, &key)? {
            let mut reply = Vec::with_capacity(1 + taken.len());
            reply.push(Reply::Bulk(name.clone()));
            reply.extend(taken);
            return Ok(Reply::Array(reply));
        }
    }
    Ok(match wait {
        Some((kind, timeout)) => ctx.block(keys, kind, timeout, Reply::NilArray),
        None => Reply::NilArray,
    })
}
