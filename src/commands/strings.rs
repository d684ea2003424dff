//! String commands: GET, SET and their variants (SETNX, SETEX, PSETEX, GETSET, GETDEL, GETEX,
//! MGET, MSET, MSETNX), counters (INCR, DECR, INCRBY, DECRBY, INCRBYFLOAT), ranges (APPEND,
//! SETRANGE, GETRANGE, STRLEN) and LCS.

use std::io::{Seek, SeekFrom};

use bytes::Bytes;

use super::{Args, Command, Ctx, Flag::*, KeySpec, ALL_KEYS, FIRST_KEY, TWO_KEYS};
use crate::config::P;
use crate::error::{Error, Result, OVERFLOW};
use crate::long_double::{LongDouble, MAX_CHARS};
use crate::number::parse_i64;
use crate::protocol::{Reply, StoredValue};
use crate::store::{now_ms, string, Batch, Content, KeyId, Meta, Type, Value};

/// A stored value as a reply: bytes in memory, or a file streamed to the client.
pub fn value_reply(value: Value) -> Result<Reply> {
    Ok(match value {
        Value::Bytes(b) => Reply::Bulk(b),
        Value::File {
            mut file,
            start,
            len,
        } => {
            file.seek(SeekFrom::Start(start))?;
            Reply::Stored(StoredValue { file, len })
        }
    })
}

/// The value of a string key as a reply, nil when missing; WRONGTYPE for other types.
fn get_reply(batch: &Batch, key: &KeyId) -> Result<Reply> {
    string::get(batch, key)?.map_or(Ok(Reply::Nil), value_reply)
}

/// Fails as Redis's `checkStringLength` when a write would make a string of more than
/// `proto-max-bulk-len` bytes.
fn check_length(ctx: &Ctx, start: u64, added: u64) -> Result<()> {
    if start + added > max_bulk_len(ctx) {
        return Err(Error::reply(
            "ERR string exceeds maximum allowed size (proto-max-bulk-len)",
        ));
    }
    Ok(())
}

/// `proto-max-bulk-len`: the largest string a command may make.
pub fn max_bulk_len(ctx: &Ctx) -> u64 {
    ctx.server.config.settings.int(P::ProtoMaxBulkLen) as u64
}

/// GET key: the value, nil when the key does not exist.
fn get(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    get_reply(&ctx.batch, &key)
}

/// Which command's options [`string_options`] reads (Redis's `COMMAND_SET`, `COMMAND_GET`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum OptionsOf {
    Set,
    GetEx,
}

/// What SET's or GETEX's options ask for.
#[derive(Default)]
struct StringOptions {
    nx: bool,
    xx: bool,
    get: bool,
    keep_ttl: bool,
    persist: bool,
    /// The unit (EX, PX, EXAT, PXAT) and its argument, not validated yet.
    expire: Option<(String, Bytes)>,
}

impl StringOptions {
    /// The absolute deadline the expiry option asks for, validated as Redis does.
    fn deadline(&self, command: &str) -> Result<Option<i64>> {
        self.expire
            .as_ref()
            .map(|(unit, value)| expire_deadline(unit, value, command))
            .transpose()
    }
}

/// Parses SET's or GETEX's options as Redis's `parseExtendedStringArgumentsOrReply`: any
/// order, each at most once (an expiry unit may repeat, the last one wins), options of the
/// other command or conflicting ones a syntax error.
fn string_options(args: &mut Args, of: OptionsOf) -> Result<StringOptions> {
    let set = of == OptionsOf::Set;
    let mut opts = StringOptions::default();
    while !args.is_empty() {
        let word = args.word()?;
        match word.as_str() {
            "NX" if set && !opts.xx => opts.nx = true,
            "XX" if set && !opts.nx => opts.xx = true,
            "GET" if set => opts.get = true,
            "KEEPTTL" if set && opts.expire.is_none() => opts.keep_ttl = true,
            "PERSIST" if !set && opts.expire.is_none() => opts.persist = true,
            "EX" | "PX" | "EXAT" | "PXAT"
                if opts.expire.as_ref().is_none_or(|(unit, _)| *unit == word)
                    && !opts.keep_ttl
                    && !opts.persist
                    && args.remaining() > 0 =>
            {
                opts.expire = Some((word, args.bytes()?));
            }
            _ => return Err(Error::syntax()),
        }
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
    let opts = string_options(args, OptionsOf::Set)?;
    let deadline = opts.deadline("set")?;
    let batch = &mut ctx.batch;
    let old = batch.meta(&key)?;
    let previous = if opts.get {
        // GET needs the old value, and refuses to overwrite another type.
        match &old {
            Some(meta) if meta.kind != Type::String => return Err(Error::wrong_type()),
            Some(meta) => Some(value_reply(string::read(batch, &key, meta)?)?),
            None => None,
        }
    } else {
        None
    };
    let found = old.is_some();
    let applied = !(opts.nx && found || opts.xx && !found);
    if applied {
        let expire_at = if opts.keep_ttl {
            old.and_then(|m| m.expire_at_ms)
        } else {
            deadline
        };
        set_or_expire(batch, &key, value, expire_at)?;
    }
    Ok(match (opts.get, applied) {
        (true, _) => previous.unwrap_or(Reply::Nil),
        (false, true) => Reply::ok(),
        (false, false) => Reply::Nil,
    })
}

/// Sets a string with an expiry; one already past (EXAT/PXAT) leaves the key gone, as Redis.
fn set_or_expire(batch: &mut Batch, key: &KeyId, value: Content, at: Option<i64>) -> Result<()> {
    if at.is_some_and(|at| at <= now_ms()) {
        batch.delete(key);
        return Ok(());
    }
    string::set(batch, key, value, at)
}

/// SETNX key value: SET ... NX, answering 1 when set, 0 when the key exists.
fn setnx(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let value = args.content()?;
    if ctx.batch.meta(&key)?.is_some() {
        return Ok(Reply::Int(0));
    }
    string::set(&mut ctx.batch, &key, value, None)?;
    Ok(Reply::Int(1))
}

/// SETEX key seconds value, PSETEX key milliseconds value: SET with EX or PX.
fn setex_in(ctx: &mut Ctx, args: &mut Args, unit: &str) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let expire = args.bytes()?;
    let value = args.content()?;
    let at = expire_deadline(unit, &expire, args.name())?;
    string::set(&mut ctx.batch, &key, value, Some(at))?;
    Ok(Reply::ok())
}

fn setex(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    setex_in(ctx, args, "EX")
}

fn psetex(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    setex_in(ctx, args, "PX")
}

/// GETSET key value: sets the value (dropping the expiry) and returns the old one.
fn getset(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let value = args.content()?;
    let old = get_reply(&ctx.batch, &key)?;
    string::set(&mut ctx.batch, &key, value, None)?;
    Ok(old)
}

/// GETDEL key: the value, and the key is deleted.
fn getdel(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let old = get_reply(&ctx.batch, &key)?;
    if !matches!(old, Reply::Nil) {
        ctx.batch.delete(&key);
    }
    Ok(old)
}

/// GETEX key [EX s|PX ms|EXAT ts|PXAT ts-ms|PERSIST]: the value, and the expiry changed.
fn getex(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let opts = string_options(args, OptionsOf::GetEx)?;
    let batch = &mut ctx.batch;
    let Some(meta) = string::meta(batch, &key)? else {
        return Ok(Reply::Nil);
    };
    let deadline = opts.deadline("getex")?;
    let value = value_reply(string::read(batch, &key, &meta)?)?;
    let expire_at_ms = match deadline {
        Some(at) if at <= now_ms() => {
            batch.delete(&key);
            return Ok(value);
        }
        Some(at) => Some(at),
        None if opts.persist => None,
        None => return Ok(value),
    };
    if expire_at_ms != meta.expire_at_ms {
        batch.set_meta(
            &key,
            &Meta {
                expire_at_ms,
                ..meta
            },
        )?;
    }
    Ok(value)
}

/// MGET key [key ...]: the values, nil for missing keys and keys of other types.
fn mget(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let mut values = Vec::with_capacity(args.remaining());
    for name in args.rest()? {
        let key = ctx.key(name);
        values.push(match ctx.batch.meta(&key)? {
            Some(meta) if meta.kind == Type::String => {
                value_reply(string::read(&ctx.batch, &key, &meta)?)?
            }
            _ => Reply::Nil,
        });
    }
    Ok(Reply::Array(values))
}

/// The (key, value) pairs of MSET and MSETNX.
fn pairs(ctx: &Ctx, args: &mut Args) -> Result<Vec<(KeyId, Content)>> {
    if !args.remaining().is_multiple_of(2) {
        return Err(args.wrong_arity());
    }
    let mut pairs = Vec::with_capacity(args.remaining() / 2);
    while !args.is_empty() {
        pairs.push((ctx.key(args.bytes()?), args.content()?));
    }
    Ok(pairs)
}

/// MSET key value [key value ...]: sets every pair (dropping expiries).
fn mset(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    for (key, value) in pairs(ctx, args)? {
        string::set(&mut ctx.batch, &key, value, None)?;
    }
    Ok(Reply::ok())
}

/// MSETNX key value [key value ...]: sets every pair if none of the keys exists (1), or
/// nothing at all (0).
fn msetnx(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let pairs = pairs(ctx, args)?;
    for (key, _) in &pairs {
        if ctx.batch.meta(key)?.is_some() {
            return Ok(Reply::Int(0));
        }
    }
    for (key, value) in pairs {
        string::set(&mut ctx.batch, &key, value, None)?;
    }
    Ok(Reply::Int(1))
}

/// Adds `by` to the integer value of `key`, which starts at 0 when missing; keeps the TTL.
fn incr(ctx: &mut Ctx, key: KeyId, by: i64) -> Result<Reply> {
    let batch = &mut ctx.batch;
    let meta = string::meta(batch, &key)?;
    let current = match &meta {
        None => 0,
        Some(meta) => {
            let value = string::read(batch, &key, meta)?;
            if value.len() > 20 {
                return Err(Error::not_integer());
            }
            parse_i64(&value.into_bytes()?).ok_or_else(Error::not_integer)?
        }
    };
    let next = current.checked_add(by).ok_or(Error::reply(OVERFLOW))?;
    let digits = Content::Bytes(next.to_string().into());
    string::set(batch, &key, digits, meta.and_then(|m| m.expire_at_ms))?;
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

/// DECR key
fn decr_one(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    incr(ctx, key, -1)
}

/// DECRBY key decrement
fn decr_by(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let by = args.int()?;
    if by == i64::MIN {
        return Err(Error::reply("ERR decrement would overflow"));
    }
    incr(ctx, key, -by)
}

/// INCRBYFLOAT key increment: adds in a C `long double` as Redis, and stores and returns
/// the sum in Redis's form (`10.5`, `3`, `5000`); keeps the TTL.
fn incr_by_float(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let increment = args.bytes()?;
    let batch = &mut ctx.batch;
    let meta = string::meta(batch, &key)?;
    let current = match &meta {
        None => LongDouble::ZERO,
        Some(meta) => {
            let value = string::read(batch, &key, meta)?;
            if value.len() >= MAX_CHARS as u64 {
                return Err(Error::not_float());
            }
            LongDouble::parse(&value.into_bytes()?).ok_or_else(Error::not_float)?
        }
    };
    let increment = LongDouble::parse(&increment).ok_or_else(Error::not_float)?;
    let sum = current
        .add(increment)
        .ok_or(Error::reply("ERR increment would produce NaN or Infinity"))?;
    let text = Bytes::from(sum.to_human());
    string::set(
        batch,
        &key,
        Content::Bytes(text.clone()),
        meta.and_then(|m| m.expire_at_ms),
    )?;
    Ok(Reply::Bulk(text))
}

/// APPEND key value: the new length. A large value is extended in place, without reading
/// or rewriting what it holds.
fn append(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let data = args.content()?;
    let Some(meta) = string::meta(&ctx.batch, &key)? else {
        let len = data.len()?;
        string::set(&mut ctx.batch, &key, data, None)?;
        return Ok(Reply::Int(len as i64));
    };
    let len = string::len(&ctx.batch, &key, &meta)?;
    check_length(ctx, len, data.len()?)?;
    let end = string::write_at(&mut ctx.batch, &key, Some(meta), len, data)?;
    Ok(Reply::Int(end as i64))
}

/// SETRANGE key offset value: overwrites from `offset` (zero-padding a shorter value) and
/// returns the new length.
fn setrange(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let offset = args.int()?;
    let data = args.content()?;
    if offset < 0 {
        return Err(Error::reply("ERR offset is out of range"));
    }
    let meta = string::meta(&ctx.batch, &key)?;
    let data_len = data.len()?;
    if data_len == 0 {
        // Setting nothing answers the length and creates nothing.
        let len = match &meta {
            Some(meta) => string::len(&ctx.batch, &key, meta)?,
            None => 0,
        };
        return Ok(Reply::Int(len as i64));
    }
    check_length(ctx, offset as u64, data_len)?;
    let end = string::write_at(&mut ctx.batch, &key, meta, offset as u64, data)?;
    Ok(Reply::Int(end as i64))
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
    value_reply(value.slice(start as u64, (end - start + 1) as u64)?)
}

/// STRLEN key: the length of the value, 0 when missing.
fn strlen(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let len = match string::meta(&ctx.batch, &key)? {
        Some(meta) => string::len(&ctx.batch, &key, &meta)?,
        None => 0,
    };
    Ok(Reply::Int(len as i64))
}

/// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]: the longest common
/// subsequence of two strings (missing keys are empty), its length, or the matching ranges.
/// Both values are read into memory, as Redis does, and the table is bounded as in Redis.
fn lcs(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let keys = [ctx.key(args.bytes()?), ctx.key(args.bytes()?)];
    let batch = &ctx.batch;
    let mut metas = Vec::with_capacity(2);
    for key in &keys {
        let meta = batch.meta(key)?;
        if meta.as_ref().is_some_and(|m| m.kind != Type::String) {
            return Err(Error::reply(
                "ERR The specified keys must contain string values",
            ));
        }
        metas.push(meta);
    }
    let (mut want_len, mut want_idx, mut with_match_len, mut min_match_len) =
        (false, false, false, 0);
    while !args.is_empty() {
        match args.word()?.as_str() {
            "IDX" => want_idx = true,
            "LEN" => want_len = true,
            "WITHMATCHLEN" => with_match_len = true,
            "MINMATCHLEN" if args.remaining() > 0 => min_match_len = args.int()?.max(0),
            _ => return Err(Error::syntax()),
        }
    }
    if want_idx && want_len {
        return Err(Error::reply(
            "ERR If you want both the length and indexes, please just use IDX.",
        ));
    }
    let mut lens = [0u64; 2];
    for (i, key) in keys.iter().enumerate() {
        if let Some(meta) = &metas[i] {
            lens[i] = string::len(batch, key, meta)?;
        }
    }
    if lens.iter().any(|&len| len >= u64::from(u32::MAX) - 1) {
        return Err(Error::reply("ERR String too long for LCS"));
    }
    let table_bytes = u128::from(lens[0] + 1) * u128::from(lens[1] + 1) * 4;
    if table_bytes > u128::from(max_bulk_len(ctx)) {
        return Err(Error::reply(
            "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
        ));
    }
    // With an empty side there is nothing in common: the other value is not read.
    let mut values = [Bytes::new(), Bytes::new()];
    if !lens.contains(&0) {
        for (i, key) in keys.iter().enumerate() {
            if let Some(meta) = &metas[i] {
                values[i] = string::read(batch, key, meta)?.into_bytes()?;
            }
        }
    }
    let table = Lcs::new(&values[0], &values[1], !want_len);
    if want_len {
        return Ok(Reply::Int(i64::from(table.len)));
    }
    let (common, matches) = table.walk(&values[0], &values[1]);
    if !want_idx {
        return Ok(Reply::Bulk(common.into()));
    }
    let pair = |start: u32, end: u32| {
        Reply::Array(vec![
            Reply::Int(i64::from(start)),
            Reply::Int(i64::from(end)),
        ])
    };
    let matches = matches
        .into_iter()
        .filter(|m| min_match_len == 0 || i64::from(m.len()) >= min_match_len)
        .map(|m| {
            let mut entry = vec![pair(m.a.0, m.a.1), pair(m.b.0, m.b.1)];
            if with_match_len {
                entry.push(Reply::Int(i64::from(m.len())));
            }
            Reply::Array(entry)
        })
        .collect();
    Ok(Reply::Map(vec![
        (Reply::bulk("matches"), Reply::Array(matches)),
        (Reply::bulk("len"), Reply::Int(i64::from(table.len))),
    ]))
}

/// The dynamic-programming table of LCS, kept as one bit per cell: whether the LCS of
/// `a[..i-1], b[..j]` is longer than that of `a[..i], b[..j-1]`, which is all the walk back
/// needs (Redis keeps the full table of lengths, 32 times larger).
struct Lcs {
    /// Length of the longest common subsequence.
    len: u32,
    /// Row-major, `b.len()` bits per row of `a`; empty when only the length was asked.
    up: Vec<u64>,
    width: usize,
}

/// A run of matching bytes: inclusive ranges in `a` and in `b`.
struct Match {
    a: (u32, u32),
    b: (u32, u32),
}

impl Match {
    fn len(&self) -> u32 {
        self.a.1 - self.a.0 + 1
    }
}

impl Lcs {
    fn new(a: &[u8], b: &[u8], keep_directions: bool) -> Lcs {
        let width = b.len();
        let cells = if keep_directions { a.len() * width } else { 0 };
        let mut up = vec![0u64; cells.div_ceil(64)];
        // Two rows of lengths: the previous one (i - 1) and the current one (i).
        let mut prev = vec![0u32; width + 1];
        let mut row = vec![0u32; width + 1];
        for (i, &ca) in a.iter().enumerate() {
            for (j, &cb) in b.iter().enumerate() {
                row[j + 1] = if ca == cb {
                    prev[j] + 1
                } else {
                    let (from_up, from_left) = (prev[j + 1], row[j]);
                    if keep_directions && from_up > from_left {
                        let bit = i * width + j;
                        up[bit / 64] |= 1 << (bit % 64);
                    }
                    from_up.max(from_left)
                };
            }
            std::mem::swap(&mut prev, &mut row);
        }
        Lcs {
            len: prev[width],
            up,
            width,
        }
    }

    fn goes_up(&self, i: usize, j: usize) -> bool {
        let bit = (i - 1) * self.width + (j - 1);
        self.up[bit / 64] & (1 << (bit % 64)) != 0
    }

    /// Walks the table back from the end as Redis does: the common subsequence, and the
    /// runs of matches from the last to the first.
    fn walk(&self, a: &[u8], b: &[u8]) -> (Vec<u8>, Vec<Match>) {
        let mut common = vec![0; self.len as usize];
        let mut matches = Vec::new();
        let mut run: Option<Match> = None;
        let (mut i, mut j, mut left) = (a.len(), b.len(), common.len());
        while i > 0 && j > 0 {
            let ends_run = if a[i - 1] == b[j - 1] {
                left -= 1;
                common[left] = a[i - 1];
                let (a_end, b_end) = run
                    .as_ref()
                    .map_or((i as u32 - 1, j as u32 - 1), |r| (r.a.1, r.b.1));
                run = Some(Match {
                    a: (i as u32 - 1, a_end),
                    b: (j as u32 - 1, b_end),
                });
                i -= 1;
                j -= 1;
                i == 0 || j == 0
            } else {
                if self.goes_up(i, j) {
                    i -= 1;
                } else {
                    j -= 1;
                }
                run.is_some()
            };
            if ends_run {
                matches.extend(run.take());
            }
        }
        (common, matches)
    }
}

/// Key positions of MSET and MSETNX: every other argument from the first.
const PAIRED_KEYS: &[KeySpec] = &[KeySpec::Range {
    first: 1,
    last: -1,
    step: 2,
}];

const READ_FAST: &[&str] = &["@read", "@string", "@fast"];
const READ_SLOW: &[&str] = &["@read", "@string", "@slow"];
const WRITE_FAST: &[&str] = &["@write", "@string", "@fast"];
const WRITE_SLOW: &[&str] = &["@write", "@string", "@slow"];

pub const COMMANDS: &[Command] = &[
    Command::new("get", 2, &[Readonly, Fast], READ_FAST, FIRST_KEY, get),
    Command::new("set", -3, &[Write, Denyoom], WRITE_SLOW, FIRST_KEY, set),
    Command::new(
        "setnx",
        3,
        &[Write, Denyoom, Fast],
        WRITE_FAST,
        FIRST_KEY,
        setnx,
    ),
    Command::new("setex", 4, &[Write, Denyoom], WRITE_SLOW, FIRST_KEY, setex),
    Command::new(
        "psetex",
        4,
        &[Write, Denyoom],
        WRITE_SLOW,
        FIRST_KEY,
        psetex,
    ),
    Command::new(
        "getset",
        3,
        &[Write, Denyoom, Fast],
        WRITE_FAST,
        FIRST_KEY,
        getset,
    ),
    Command::new("getdel", 2, &[Write, Fast], WRITE_FAST, FIRST_KEY, getdel),
    Command::new("getex", -2, &[Write, Fast], WRITE_FAST, FIRST_KEY, getex),
    Command::new("mget", -2, &[Readonly, Fast], READ_FAST, ALL_KEYS, mget),
    Command::new("mset", -3, &[Write, Denyoom], WRITE_SLOW, PAIRED_KEYS, mset),
    Command::new(
        "msetnx",
        -3,
        &[Write, Denyoom],
        WRITE_SLOW,
        PAIRED_KEYS,
        msetnx,
    ),
    Command::new(
        "incr",
        2,
        &[Write, Denyoom, Fast],
        WRITE_FAST,
        FIRST_KEY,
        incr_one,
    ),
    Command::new(
        "incrby",
        3,
        &[Write, Denyoom, Fast],
        WRITE_FAST,
        FIRST_KEY,
        incr_by,
    ),
    Command::new(
        "decr",
        2,
        &[Write, Denyoom, Fast],
        WRITE_FAST,
        FIRST_KEY,
        decr_one,
    ),
    Command::new(
        "decrby",
        3,
        &[Write, Denyoom, Fast],
        WRITE_FAST,
        FIRST_KEY,
        decr_by,
    ),
    Command::new(
        "incrbyfloat",
        3,
        &[Write, Denyoom, Fast],
        WRITE_FAST,
        FIRST_KEY,
        incr_by_float,
    ),
    Command::new(
        "append",
        3,
        &[Write, Denyoom, Fast],
        WRITE_FAST,
        FIRST_KEY,
        append,
    ),
    Command::new(
        "setrange",
        4,
        &[Write, Denyoom],
        WRITE_SLOW,
        FIRST_KEY,
        setrange,
    ),
    Command::new("getrange", 4, &[Readonly], READ_SLOW, FIRST_KEY, getrange),
    // GETRANGE's old name, still served by Redis.
    Command::new("substr", 4, &[Readonly], READ_SLOW, FIRST_KEY, getrange),
    Command::new("strlen", 2, &[Readonly, Fast], READ_FAST, FIRST_KEY, strlen),
    Command::new("lcs", -3, &[Readonly], READ_SLOW, TWO_KEYS, lcs),
];
