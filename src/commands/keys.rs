//! Generic key commands: DEL, EXISTS, TYPE, KEYS.

use bytes::Bytes;

use super::{Args, Command, Ctx, Flag::*, ALL_KEYS, FIRST_KEY, NO_KEYS};
use crate::error::Result;
use crate::glob;
use crate::protocol::Reply;
use crate::store::{Batch, KeyId, Mode};

/// DEL key [key ...]: the number of keys removed.
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

/// EXISTS key [key ...]: how many of the keys exist (a key named twice counts twice).
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
    let mut found = Vec::new();
    // Keys are read without their locks: a scan must not fill the cache.
    let batch = Batch::new(ctx.store(), Mode::Unlocked);
    // A lone `*` lists every key, the empty one included, without matching (as Redis).
    let all = pattern[..] == b"*"[..];
    ctx.server.store.for_each_key(db, |name: Bytes| {
        if all || glob::matches(&pattern, &name) {
            // A key deleted meanwhile, or expired, is not listed.
            if let Ok(Some(_)) = batch.meta(&KeyId::new(db, name.clone())) {
                found.push(Reply::Bulk(name));
            }
        }
        Ok(())
    })?;
    Ok(Reply::Array(found))
}

pub const COMMANDS: &[Command] = &[
    Command {
        name: "del",
        arity: -2,
        flags: &[Write],
        acl: &["@keyspace", "@write", "@slow"],
        keys: ALL_KEYS,
        handler: del,
        subcommands: &[],
    },
    Command {
        name: "exists",
        arity: -2,
        flags: &[Readonly, Fast],
        acl: &["@keyspace", "@read", "@fast"],
        keys: ALL_KEYS,
        handler: exists,
        subcommands: &[],
    },
    Command {
        name: "type",
        arity: 2,
        flags: &[Readonly, Fast],
        acl: &["@keyspace", "@read", "@fast"],
        keys: FIRST_KEY,
        handler: type_of,
        subcommands: &[],
    },
    Command {
        name: "keys",
        arity: 2,
        flags: &[Readonly],
        acl: &["@keyspace", "@read", "@slow", "@dangerous"],
        keys: NO_KEYS,
        handler: keys,
        subcommands: &[],
    },
];
