//! Generic key commands: DEL, UNLINK, EXISTS, TOUCH, TYPE, KEYS, SCAN, RANDOMKEY, the expiry
//! commands (EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, TTL, PTTL, EXPIRETIME, PEXPIRETIME,
//! PERSIST), RENAME, RENAMENX, COPY, MOVE, SWAPDB and OBJECT.

use bytes::Bytes;

use super::{Args, Command, Ctx, Flag::*, KeySpec, ALL_KEYS, FIRST_KEY, NO_KEYS, TWO_KEYS};
use crate::config::P;
use crate::error::{Error, Result, DB_INDEX};
use crate::glob;
use crate::number::parse_i64;
use crate::protocol::{Aggregate, Reply};
use crate::store::{now_ms, object, Batch, KeyId, Mode};

/// DEL key [key ...]: the number of keys removed. UNLINK is the same: dredis always deletes
/// in the background (a key directory goes to the trash in one rename).
fn del(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let mut removed = 0;
    for name in args.rest()? {
        let key = ctx.key(name);
        // An expired key is not counted, but its directory goes all the same.
        removed += i64::from(ctx.batch.meta(&key)?.is_some());
        ctx.batch.delete(&key);
    }
    Ok(Reply::Int(removed))
}

/// EXISTS key [key ...]: how many of the keys exist (a key named twice counts twice). TOUCH
/// is the same (dredis keeps no access times to update).
fn exists(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let mut found = 0;
    for name in args.rest()? {
        found += i64::from(ctx.batch.meta(&ctx.key(name))?.is_some());
    }
    Ok(Reply::Int(found))
}

/// TYPE key: string, hash, set, zset, or none.
fn type_of(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let name = ctx.batch.meta(&key)?.map_or("none", |m| m.kind.name());
    Ok(Reply::Status(name.into()))
}

/// KEYS pattern: every key matching Redis's glob pattern, in no particular order.
fn keys(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let pattern = args.bytes()?;
    let db = ctx.session.db;
    let mut found = ctx.collector(Aggregate::Array);
    // Keys are read without their locks: a scan must not fill the cache.
    let batch = Batch::new(ctx.store(), Mode::Unlocked);
    // A lone `*` lists every key, the empty one included, without matching (as Redis).
    let all = pattern[..] == b"*"[..];
    ctx.server.store.for_each_key(db, |name: Bytes| {
        if all || glob::matches(&pattern, &name) {
            // A key deleted meanwhile, or expired, is not listed.
            if let Ok(Some(_)) = batch.meta(&KeyId::new(db, name.clone())) {
                found.push(Reply::Bulk(name))?;
            }
        }
        Ok(())
    })?;
    Ok(found.finish()?)
}

/// A SCAN cursor, read as Redis reads it (`strtoul`): an optional sign, then decimal digits
/// (a negative one wraps around); the empty string is 0.
fn parse_cursor(text: &[u8]) -> Result<u64> {
    let invalid = || Error::reply("ERR invalid cursor");
    if text.is_empty() {
        return Ok(0);
    }
    let (negative, digits) = match text[0] {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(invalid());
    }
    let value: u64 = std::str::from_utf8(digits)
        .ok()
        .and_then(|d| d.parse().ok())
        .ok_or_else(invalid)?;
    Ok(if negative {
        value.wrapping_neg()
    } else {
        value
    })
}

/// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]: [next cursor, keys]. The cursor is
/// stable (see `store::scan`): a key present for the whole scan is returned exactly once. As
/// in Redis, COUNT bounds the keys looked at, and MATCH, TYPE and expiry filter those.
fn scan(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let cursor = parse_cursor(&args.bytes()?)?;
    let mut count = 10;
    let mut pattern = None;
    let mut kind = None;
    while !args.is_empty() {
        let has_value = args.remaining() >= 2;
        if has_value && args.eat("COUNT") {
            count = args.int()?;
            if count < 1 {
                return Err(Error::syntax());
            }
        } else if has_value && args.eat("MATCH") {
            // `*` matches everything: no pattern.
            pattern = Some(args.bytes()?).filter(|p| p[..] != b"*"[..]);
        } else if has_value && args.eat("TYPE") {
            kind = Some(args.bytes()?);
        } else {
            return Err(Error::syntax());
        }
    }
    let store = ctx.store();
    let db = ctx.session.db;
    let page = store.scan(db, cursor, usize::try_from(count).unwrap_or(usize::MAX))?;
    // Keys are read without their locks: a scan must not fill the cache. Without a TYPE
    // filter and without keys that can expire, the names alone are the answer.
    let batch = Batch::new(store, Mode::Unlocked);
    let check_meta = kind.is_some() || store.expiry.count(db) > 0;
    let mut keys = Vec::with_capacity(page.keys.len());
    for key in page.keys {
        if pattern.as_ref().is_some_and(|p| !glob::matches(p, &key)) {
            continue;
        }
        if check_meta {
            let Some(meta) = batch.meta(&KeyId::new(db, key.clone()))? else {
                continue;
            };
            if kind
                .as_ref()
                .is_some_and(|k| !k.eq_ignore_ascii_case(meta.kind.name().as_bytes()))
            {
                continue;
            }
        }
        keys.push(Reply::Bulk(key));
    }
    Ok(Reply::Array(vec![
        Reply::bulk(page.cursor.to_string()),
        Reply::Array(keys),
    ]))
}

/// RANDOMKEY: a random key of the database, nil when it is empty.
fn randomkey(ctx: &mut Ctx, _: &mut Args) -> Result<Reply> {
    let key = ctx.store().random_key(ctx.session.db)?;
    Ok(Reply::bulk_or_nil(key))
}

// ---- expiry ----

/// Which of EXPIRE's conditions applies.
#[derive(Default)]
struct ExpireIf {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

impl ExpireIf {
    /// Parses NX, XX, GT, LT as Redis's `parseExtendedExpireArgumentsOrReply`.
    fn parse(args: &mut Args) -> Result<ExpireIf> {
        let mut cond = ExpireIf::default();
        while !args.is_empty() {
            let option = args.bytes()?;
            match option.to_ascii_uppercase().as_slice() {
                b"NX" => cond.nx = true,
                b"XX" => cond.xx = true,
                b"GT" => cond.gt = true,
                b"LT" => cond.lt = true,
                _ => {
                    return Err(Error::new(format!(
                        "ERR Unsupported option {}",
                        String::from_utf8_lossy(&option)
                    )))
                }
            }
        }
        if cond.nx && (cond.xx || cond.gt || cond.lt) {
            return Err(Error::reply(
                "ERR NX and XX, GT or LT options at the same time are not compatible",
            ));
        }
        if cond.gt && cond.lt {
            return Err(Error::reply(
                "ERR GT and LT options at the same time are not compatible",
            ));
        }
        Ok(cond)
    }

    /// Whether the new deadline `when` may replace `current` (None: no expiry, which counts
    /// as an infinite one for GT and LT).
    fn allows(&self, current: Option<i64>, when: i64) -> bool {
        match current {
            None => !self.xx && !self.gt,
            Some(current) => {
                let refused = self.nx || self.gt && when <= current || self.lt && when >= current;
                !refused
            }
        }
    }
}

/// EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT key time [NX|XX|GT|LT]: sets the key's deadline from
/// `time` in `unit_ms` milliseconds, relative to now when `relative`. 1 when set, 0 when the
/// key is missing or a condition fails; a deadline already past deletes the key (and is 1).
fn expire_generic(ctx: &mut Ctx, args: &mut Args, unit_ms: i64, relative: bool) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let time = args.bytes()?;
    let cond = ExpireIf::parse(args)?;
    let invalid = || {
        Error::new(format!(
            "ERR invalid expire time in '{}' command",
            args.name()
        ))
    };
    let when = parse_i64(&time).ok_or_else(Error::not_integer)?;
    let base = if relative { now_ms() } else { 0 };
    let when = when
        .checked_mul(unit_ms)
        .filter(|&w| w <= i64::MAX - base)
        .ok_or_else(invalid)?
        + base;
    let batch = &mut ctx.batch;
    let Some(mut meta) = batch.meta(&key)? else {
        return Ok(Reply::Int(0));
    };
    if !cond.allows(meta.expire_at_ms, when) {
        return Ok(Reply::Int(0));
    }
    if when <= now_ms() {
        batch.delete(&key);
    } else {
        meta.expire_at_ms = Some(when);
        batch.set_meta(&key, &meta)?;
    }
    Ok(Reply::Int(1))
}

/// EXPIRE key seconds [NX|XX|GT|LT]
fn expire(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    expire_generic(ctx, args, 1000, true)
}

/// PEXPIRE key milliseconds [NX|XX|GT|LT]
fn pexpire(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    expire_generic(ctx, args, 1, true)
}

/// EXPIREAT key unix-seconds [NX|XX|GT|LT]
fn expireat(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    expire_generic(ctx, args, 1000, false)
}

/// PEXPIREAT key unix-milliseconds [NX|XX|GT|LT]
fn pexpireat(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    expire_generic(ctx, args, 1, false)
}

/// TTL, PTTL, EXPIRETIME, PEXPIRETIME key: the time left (or the deadline, when `absolute`),
/// in milliseconds or rounded seconds; -1 when the key has no expiry, -2 when it is missing.
fn ttl_generic(ctx: &mut Ctx, args: &mut Args, millis: bool, absolute: bool) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let Some(meta) = ctx.batch.meta(&key)? else {
        return Ok(Reply::Int(-2));
    };
    let Some(at) = meta.expire_at_ms else {
        return Ok(Reply::Int(-1));
    };
    let ms = if absolute { at } else { at - now_ms() }.max(0);
    Ok(Reply::Int(if millis {
        ms
    } else {
        ((ms as u64 + 500) / 1000) as i64
    }))
}

/// TTL key: seconds left, rounded.
fn ttl(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    ttl_generic(ctx, args, false, false)
}

/// PTTL key: milliseconds left.
fn pttl(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    ttl_generic(ctx, args, true, false)
}

/// EXPIRETIME key: the deadline in Unix seconds, rounded.
fn expiretime(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    ttl_generic(ctx, args, false, true)
}

/// PEXPIRETIME key: the deadline in Unix milliseconds.
fn pexpiretime(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    ttl_generic(ctx, args, true, true)
}

/// PERSIST key: removes the expiry; 1 when there was one, 0 otherwise.
fn persist(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let batch = &mut ctx.batch;
    match batch.meta(&key)? {
        Some(mut meta) if meta.expire_at_ms.is_some() => {
            meta.expire_at_ms = None;
            batch.set_meta(&key, &meta)?;
            Ok(Reply::Int(1))
        }
        _ => Ok(Reply::Int(0)),
    }
}

// ---- renaming, copying, moving ----

const SAME_OBJECT: &str = "ERR source and destination objects are the same";

/// RENAME and RENAMENX key newkey: moves the key (value, type and expiry) to a new name,
/// replacing what was there; with `nx`, only if the new name is free.
fn rename_generic(ctx: &mut Ctx, args: &mut Args, nx: bool) -> Result<Reply> {
    let from = ctx.key(args.bytes()?);
    let to = ctx.key(args.bytes()?);
    let done = |renamed: bool| match (nx, renamed) {
        (true, renamed) => Reply::Int(i64::from(renamed)),
        (false, _) => Reply::ok(),
    };
    if ctx.batch.meta(&from)?.is_none() {
        return Err(Error::reply("ERR no such key"));
    }
    if from == to {
        return Ok(done(false));
    }
    if nx && ctx.batch.meta(&to)?.is_some() {
        return Ok(done(false));
    }
    ctx.batch.rename(&from, &to)?;
    Ok(done(true))
}

/// RENAME key newkey
fn rename(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    rename_generic(ctx, args, false)
}

/// RENAMENX key newkey
fn renamenx(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    rename_generic(ctx, args, true)
}

/// A database index argument as Redis reads it (a C int), checked against the databases.
fn db_index(ctx: &Ctx, index: i64) -> Result<usize> {
    if i32::try_from(index).is_err() {
        return Err(Error::reply(
            "ERR value is out of range, value must between -2147483648 and 2147483647",
        ));
    }
    usize::try_from(index)
        .ok()
        .filter(|&db| db < ctx.store().databases())
        .ok_or(Error::reply(DB_INDEX))
}

/// COPY source destination [DB destination-db] [REPLACE]: copies the value and its expiry;
/// 1 when copied, 0 when the source is missing or the destination exists (without REPLACE).
fn copy(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let from = ctx.key(args.bytes()?);
    let to_name = args.bytes()?;
    let mut db = ctx.session.db;
    let mut replace = false;
    while !args.is_empty() {
        if args.eat("REPLACE") {
            replace = true;
        } else if args.remaining() >= 2 && args.eat("DB") {
            let index = args.int()?;
            db = db_index(ctx, index)?;
        } else {
            return Err(Error::syntax());
        }
    }
    let to = KeyId::new(db, to_name);
    if from == to {
        return Err(Error::reply(SAME_OBJECT));
    }
    if ctx.batch.meta(&from)?.is_none() {
        return Ok(Reply::Int(0));
    }
    if !replace && ctx.batch.meta(&to)?.is_some() {
        return Ok(Reply::Int(0));
    }
    ctx.batch.copy(&from, &to)?;
    Ok(Reply::Int(1))
}

/// MOVE key db: moves the key to another database, if it is not there already; 1 if moved.
fn move_key(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let from = ctx.key(args.bytes()?);
    let index = args.int()?;
    let db = db_index(ctx, index)?;
    if db == from.db {
        return Err(Error::reply(SAME_OBJECT));
    }
    if ctx.batch.meta(&from)?.is_none() {
        return Ok(Reply::Int(0));
    }
    let to = KeyId::new(db, from.key.clone());
    if ctx.batch.meta(&to)?.is_some() {
        return Ok(Reply::Int(0));
    }
    ctx.batch.rename(&from, &to)?;
    Ok(Reply::Int(1))
}

/// SWAPDB index1 index2: exchanges two databases; clients see the other one's keys at once.
fn swapdb(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let mut index = |which: &'static str| -> Result<i64> {
        parse_i64(&args.bytes()?)
            .filter(|&n| i32::try_from(n).is_ok())
            .ok_or_else(|| Error::new(format!("ERR invalid {which} DB index")))
    };
    let (a, b) = (index("first")?, index("second")?);
    let databases = ctx.store().databases();
    let check = |n: i64| {
        usize::try_from(n)
            .ok()
            .filter(|&db| db < databases)
            .ok_or(Error::reply(DB_INDEX))
    };
    let (a, b) = (check(a)?, check(b)?);
    if a != b {
        ctx.batch.swap_dbs(a, b);
    }
    Ok(Reply::ok())
}

// ---- OBJECT ----

/// The key of an OBJECT subcommand, and its metadata; None when it does not exist.
fn object_key(ctx: &mut Ctx, args: &mut Args) -> Result<Option<(KeyId, crate::store::meta::Meta)>> {
    let key = ctx.key(args.bytes()?);
    Ok(ctx.batch.meta(&key)?.map(|meta| (key, meta)))
}

/// OBJECT ENCODING key: the encoding Redis would use for the value (see `store::object`).
fn object_encoding(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let Some((key, meta)) = object_key(ctx, args)? else {
        return Ok(Reply::Nil);
    };
    let config = &ctx.server.config.settings;
    let max = |p| config.int(p).max(0) as u64;
    let thresholds = object::Thresholds {
        hash_entries: max(P::HashMaxListpackEntries),
        hash_value: max(P::HashMaxListpackValue),
        intset_entries: max(P::SetMaxIntsetEntries),
        set_entries: max(P::SetMaxListpackEntries),
        set_value: max(P::SetMaxListpackValue),
        zset_entries: max(P::ZsetMaxListpackEntries),
        zset_value: max(P::ZsetMaxListpackValue),
        list_size: config.int(P::ListMaxListpackSize),
    };
    Ok(Reply::bulk(object::encoding(
        &ctx.batch,
        &key,
        &meta,
        &thresholds,
    )?))
}

/// OBJECT REFCOUNT key
fn object_refcount(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let Some((key, meta)) = object_key(ctx, args)? else {
        return Ok(Reply::Nil);
    };
    Ok(Reply::Int(object::refcount(&ctx.batch, &key, &meta)?))
}

/// OBJECT IDLETIME key: seconds since the key was last written.
fn object_idletime(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let Some((key, _)) = object_key(ctx, args)? else {
        return Ok(Reply::Nil);
    };
    Ok(Reply::Int(object::idle_seconds(&ctx.batch, &key)? as i64))
}

/// OBJECT FREQ key: access frequencies exist only under an LFU maxmemory policy, which
/// dredis does not have: Redis's error.
fn object_freq(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    if object_key(ctx, args)?.is_none() {
        return Ok(Reply::Nil);
    }
    Err(Error::reply("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."))
}

/// OBJECT HELP
fn object_help(_: &mut Ctx, _: &mut Args) -> Result<Reply> {
    Ok(super::help(
        "OBJECT",
        &[
            "ENCODING <key>",
            "    Return the kind of internal representation used in order to store the value",
            "    associated with a <key>.",
            "FREQ <key>",
            "    Return the access frequency index of the <key>. The returned integer is",
            "    proportional to the logarithm of the recent access frequency of the key.",
            "IDLETIME <key>",
            "    Return the idle time of the <key>, that is the approximated number of",
            "    seconds elapsed since the last access to the key.",
            "REFCOUNT <key>",
            "    Return the number of references of the value associated with the specified",
            "    <key>.",
        ],
    ))
}

/// The key of an OBJECT subcommand.
const OBJECT_KEY: &[KeySpec] = &[KeySpec::Range {
    first: 2,
    last: 2,
    step: 1,
}];

const OBJECT_SUBCOMMANDS: &[Command] = &[
    Command::new(
        "encoding",
        3,
        &[Readonly],
        &["@keyspace", "@read", "@slow"],
        OBJECT_KEY,
        object_encoding,
    ),
    Command::new(
        "freq",
        3,
        &[Readonly],
        &["@keyspace", "@read", "@slow"],
        OBJECT_KEY,
        object_freq,
    ),
    Command::new(
        "help",
        2,
        &[Loading, Stale, NoDisk],
        &["@keyspace", "@slow"],
        NO_KEYS,
        object_help,
    ),
    Command::new(
        "idletime",
        3,
        &[Readonly],
        &["@keyspace", "@read", "@slow"],
        OBJECT_KEY,
        object_idletime,
    ),
    Command::new(
        "refcount",
        3,
        &[Readonly],
        &["@keyspace", "@read", "@slow"],
        OBJECT_KEY,
        object_refcount,
    ),
];

/// The expiry-setting commands share a shape.
const fn expire_command(name: &'static str, handler: super::Handler) -> Command {
    Command {
        name,
        arity: -3,
        flags: &[Write, Fast],
        acl: &["@keyspace", "@write", "@fast"],
        keys: FIRST_KEY,
        handler,
        subcommands: &[],
    }
}

/// The expiry-reading commands share a shape.
const fn ttl_command(name: &'static str, handler: super::Handler) -> Command {
    Command {
        name,
        arity: 2,
        flags: &[Readonly, Fast],
        acl: &["@keyspace", "@read", "@fast"],
        keys: FIRST_KEY,
        handler,
        subcommands: &[],
    }
}

pub const COMMANDS: &[Command] = &[
    Command::new(
        "del",
        -2,
        &[Write],
        &["@keyspace", "@write", "@slow"],
        ALL_KEYS,
        del,
    ),
    Command::new(
        "unlink",
        -2,
        &[Write, Fast],
        &["@keyspace", "@write", "@fast"],
        ALL_KEYS,
        del,
    ),
    Command::new(
        "exists",
        -2,
        &[Readonly, Fast],
        &["@keyspace", "@read", "@fast"],
        ALL_KEYS,
        exists,
    ),
    Command::new(
        "touch",
        -2,
        &[Readonly, Fast],
        &["@keyspace", "@read", "@fast"],
        ALL_KEYS,
        exists,
    ),
    Command::new(
        "type",
        2,
        &[Readonly, Fast],
        &["@keyspace", "@read", "@fast"],
        FIRST_KEY,
        type_of,
    ),
    Command::new(
        "keys",
        2,
        &[Readonly],
        &["@keyspace", "@read", "@slow", "@dangerous"],
        NO_KEYS,
        keys,
    ),
    Command::new(
        "scan",
        -2,
        &[Readonly],
        &["@keyspace", "@read", "@slow"],
        NO_KEYS,
        scan,
    ),
    Command::new(
        "randomkey",
        1,
        &[Readonly],
        &["@keyspace", "@read", "@slow"],
        NO_KEYS,
        randomkey,
    ),
    expire_command("expire", expire),
    expire_command("pexpire", pexpire),
    expire_command("expireat", expireat),
    expire_command("pexpireat", pexpireat),
    ttl_command("ttl", ttl),
    ttl_command("pttl", pttl),
    ttl_command("expiretime", expiretime),
    ttl_command("pexpiretime", pexpiretime),
    Command::new(
        "persist",
        2,
        &[Write, Fast],
        &["@keyspace", "@write", "@fast"],
        FIRST_KEY,
        persist,
    ),
    Command::new(
        "rename",
        3,
        &[Write],
        &["@keyspace", "@write", "@slow"],
        TWO_KEYS,
        rename,
    ),
    Command::new(
        "renamenx",
        3,
        &[Write, Fast],
        &["@keyspace", "@write", "@fast"],
        TWO_KEYS,
        renamenx,
    ),
    Command::new(
        "copy",
        -3,
        &[Write, Denyoom, AllDatabases],
        &["@keyspace", "@write", "@slow"],
        TWO_KEYS,
        copy,
    ),
    Command::new(
        "move",
        3,
        &[Write, Fast, AllDatabases],
        &["@keyspace", "@write", "@fast"],
        FIRST_KEY,
        move_key,
    ),
    Command::new(
        "swapdb",
        3,
        &[Write, Fast, Exclusive],
        &["@keyspace", "@write", "@fast", "@dangerous"],
        NO_KEYS,
        swapdb,
    ),
    Command {
        name: "object",
        arity: -2,
        flags: &[],
        acl: &["@slow"],
        keys: NO_KEYS,
        handler: super::container,
        subcommands: OBJECT_SUBCOMMANDS,
    },
];
