//! Pub/Sub commands: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, SSUBSCRIBE,
//! SUNSUBSCRIBE, PUBLISH, SPUBLISH, PUBSUB.
//!
//! Subscribing answers one confirmation per channel, `[subscribe, channel, count]`, where
//! count is the number of channels and patterns (or of shard channels) now subscribed to;
//! messages then arrive as `[message, channel, payload]` or `[pmessage, pattern, channel,
//! payload]`. All of them are push frames in RESP3 and arrays in RESP2. A RESP2 connection
//! subscribed to anything may only run the commands of [`check_context`] (RESP3 ones anything).
//! The registry and delivery live in [`crate::server::pubsub`].

use super::{Args, Command, Ctx, Flag::*, ALL_KEYS, FIRST_KEY, NO_KEYS};
use crate::error::{Error, Result};
use crate::protocol::Reply;
use crate::server::pubsub::Kind;
use crate::server::Session;

/// What a RESP2 connection may run while subscribed.
const SUBSCRIBED_CONTEXT: &[&str] = &[
    "ping",
    "subscribe",
    "ssubscribe",
    "unsubscribe",
    "sunsubscribe",
    "psubscribe",
    "punsubscribe",
    "quit",
    "reset",
];

/// Refuses the other commands of a RESP2 connection in subscribed mode.
pub fn check_context(session: &Session, full_name: &str) -> Result<()> {
    if session.resp == 2
        && session.subscriptions.is_subscribed()
        && !SUBSCRIBED_CONTEXT.contains(&full_name)
    {
        return Err(Error::new(format!(
            "ERR Can't execute '{full_name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
        )));
    }
    Ok(())
}

/// `[subscribe|unsubscribe|..., name or nil, count]`
fn confirmation(word: &'static str, name: Reply, count: usize) -> Reply {
    Reply::Push(vec![Reply::bulk(word), name, Reply::Int(count as i64)])
}

fn subscribe_to(ctx: &mut Ctx, args: &mut Args, kind: Kind) -> Result<Reply> {
    let subscriptions = &mut ctx.session.subscriptions;
    let mut confirmations = Vec::with_capacity(args.remaining());
    for name in args.rest()? {
        subscriptions.subscribe(kind, name.clone());
        let count = subscriptions.count(kind);
        confirmations.push(confirmation(
            kind.subscribe_word(),
            Reply::Bulk(name),
            count,
        ));
    }
    Ok(Reply::Several(confirmations))
}

/// Unsubscribes from the names given, or from all of this kind: one confirmation per name,
/// or a single one with a nil name when there was nothing to leave.
fn unsubscribe_from(ctx: &mut Ctx, args: &mut Args, kind: Kind) -> Result<Reply> {
    let subscriptions = &mut ctx.session.subscriptions;
    let names = if args.is_empty() {
        subscriptions.names(kind)
    } else {
        args.rest()?
    };
    if names.is_empty() {
        let count = subscriptions.count(kind);
        return Ok(confirmation(kind.unsubscribe_word(), Reply::Nil, count));
    }
    let mut confirmations = Vec::with_capacity(names.len());
    for name in names {
        subscriptions.unsubscribe(kind, &name);
        let count = subscriptions.count(kind);
        confirmations.push(confirmation(
            kind.unsubscribe_word(),
            Reply::Bulk(name),
            count,
        ));
    }
    Ok(Reply::Several(confirmations))
}

/// SUBSCRIBE channel [channel ...]
fn subscribe(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    subscribe_to(ctx, args, Kind::Channel)
}

/// UNSUBSCRIBE [channel ...]: from the channels given, or from all.
fn unsubscribe(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    unsubscribe_from(ctx, args, Kind::Channel)
}

/// PSUBSCRIBE pattern [pattern ...]: glob patterns, as KEYS matches them.
fn psubscribe(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    subscribe_to(ctx, args, Kind::Pattern)
}

/// PUNSUBSCRIBE [pattern ...]
fn punsubscribe(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    unsubscribe_from(ctx, args, Kind::Pattern)
}

/// SSUBSCRIBE shardchannel [shardchannel ...]
fn ssubscribe(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    subscribe_to(ctx, args, Kind::Shard)
}

/// SUNSUBSCRIBE [shardchannel ...]
fn sunsubscribe(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    unsubscribe_from(ctx, args, Kind::Shard)
}

/// PUBLISH channel message: the number of clients that received it (a client subscribed to
/// the channel and to matching patterns counts once for each).
fn publish(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let (channel, message) = (args.bytes()?, args.bytes()?);
    let receivers = ctx.server.pubsub.publish(
        false,
        &channel,
        &message,
        ctx.server.config.settings.pubsub_limit(),
    );
    Ok(Reply::Int(receivers as i64))
}

/// SPUBLISH shardchannel message
fn spublish(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let (channel, message) = (args.bytes()?, args.bytes()?);
    let receivers = ctx.server.pubsub.publish(
        true,
        &channel,
        &message,
        ctx.server.config.settings.pubsub_limit(),
    );
    Ok(Reply::Int(receivers as i64))
}

/// The channels with subscribers, matching an optional pattern.
fn list_names(ctx: &mut Ctx, args: &mut Args, kind: Kind) -> Result<Reply> {
    if args.remaining() > 1 {
        let sub = args.name().split('|').nth(1).unwrap_or_default();
        return Err(Error::new(format!(
            "ERR unknown subcommand or wrong number of arguments for '{}'. Try PUBSUB HELP.",
            sub.to_ascii_uppercase()
        )));
    }
    let pattern = if args.is_empty() {
        None
    } else {
        Some(args.bytes()?)
    };
    let names = ctx.server.pubsub.names(kind, pattern.as_deref());
    Ok(Reply::Array(names.into_iter().map(Reply::Bulk).collect()))
}

/// `[channel, subscribers, ...]` for the channels given.
fn count_subscribers(ctx: &mut Ctx, args: &mut Args, kind: Kind) -> Result<Reply> {
    let mut reply = Vec::with_capacity(args.remaining() * 2);
    for name in args.rest()? {
        let count = ctx.server.pubsub.subscribers(kind, &name);
        reply.push(Reply::Bulk(name));
        reply.push(Reply::Int(count as i64));
    }
    Ok(Reply::Array(reply))
}

/// PUBSUB CHANNELS [pattern]
fn pubsub_channels(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    list_names(ctx, args, Kind::Channel)
}

/// PUBSUB SHARDCHANNELS [pattern]
fn pubsub_shardchannels(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    list_names(ctx, args, Kind::Shard)
}

/// PUBSUB NUMSUB [channel ...]
fn pubsub_numsub(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    count_subscribers(ctx, args, Kind::Channel)
}

/// PUBSUB SHARDNUMSUB [shardchannel ...]
fn pubsub_shardnumsub(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    count_subscribers(ctx, args, Kind::Shard)
}

/// PUBSUB NUMPAT: how many distinct patterns are subscribed to.
fn pubsub_numpat(ctx: &mut Ctx, _: &mut Args) -> Result<Reply> {
    Ok(Reply::Int(ctx.server.pubsub.patterns() as i64))
}

/// PUBSUB HELP
fn pubsub_help(_: &mut Ctx, _: &mut Args) -> Result<Reply> {
    const LINES: &[&str] = &[
        "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CHANNELS [<pattern>]",
        "    Return the currently active channels matching a <pattern> (default: '*').",
        "NUMPAT",
        "    Return number of subscriptions to patterns.",
        "NUMSUB [<channel> ...]",
        "    Return the number of subscribers for the specified channels, excluding",
        "    pattern subscriptions(default: no channels).",
        "SHARDCHANNELS [<pattern>]",
        "    Return the currently active shard level channels matching a <pattern> (default: '*').",
        "SHARDNUMSUB [<shardchannel> ...]",
        "    Return the number of subscribers for the specified shard level channel(s)",
        "HELP",
        "    Prints this help.",
    ];
    Ok(Reply::Array(
        LINES.iter().map(|l| Reply::Status((*l).into())).collect(),
    ))
}

/// The shape shared by the PUBSUB subcommands.
const fn introspection(name: &'static str, arity: i32, handler: super::Handler) -> Command {
    Command {
        name,
        arity,
        flags: &[Pubsub, Loading, Stale, NoDisk],
        acl: &["@pubsub", "@slow"],
        keys: NO_KEYS,
        handler,
        subcommands: &[],
    }
}

const PUBSUB_SUBCOMMANDS: &[Command] = &[
    introspection("channels", -2, pubsub_channels),
    introspection("numsub", -2, pubsub_numsub),
    introspection("numpat", 2, pubsub_numpat),
    introspection("shardchannels", -2, pubsub_shardchannels),
    introspection("shardnumsub", -2, pubsub_shardnumsub),
    Command::new(
        "help",
        2,
        &[Loading, Stale, NoDisk],
        &["@slow"],
        NO_KEYS,
        pubsub_help,
    ),
];

/// The shape shared by the (un)subscribing commands.
const fn subscribing(
    name: &'static str,
    arity: i32,
    keys: &'static [super::KeySpec],
    handler: super::Handler,
) -> Command {
    Command {
        name,
        arity,
        flags: &[Pubsub, Noscript, Loading, Stale, NoDisk],
        acl: &["@pubsub", "@slow"],
        keys,
        handler,
        subcommands: &[],
    }
}

pub const COMMANDS: &[Command] = &[
    subscribing("subscribe", -2, NO_KEYS, subscribe),
    subscribing("unsubscribe", -1, NO_KEYS, unsubscribe),
    subscribing("psubscribe", -2, NO_KEYS, psubscribe),
    subscribing("punsubscribe", -1, NO_KEYS, punsubscribe),
    subscribing("ssubscribe", -2, ALL_KEYS, ssubscribe),
    subscribing("sunsubscribe", -1, ALL_KEYS, sunsubscribe),
    Command::new(
        "publish",
        3,
        &[Pubsub, Loading, Stale, Fast, NoDisk],
        &["@pubsub", "@fast"],
        NO_KEYS,
        publish,
    ),
    Command::new(
        "spublish",
        3,
        &[Pubsub, Loading, Stale, Fast, NoDisk],
        &["@pubsub", "@fast"],
        FIRST_KEY,
        spublish,
    ),
    Command {
        name: "pubsub",
        arity: -2,
        flags: &[],
        acl: &["@slow"],
        keys: NO_KEYS,
        handler: super::container,
        subcommands: PUBSUB_SUBCOMMANDS,
    },
];
