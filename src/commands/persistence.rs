//! Persistence commands: SAVE, BGSAVE, LASTSAVE, and dredis's SNAPSHOT (the image
//! `dredis snapshot` uploads). What a save does is in `server::saves`.

use std::borrow::Cow;

use super::{Args, Command, Ctx, Flag::*, NO_KEYS};
use crate::error::{Error, Result};
use crate::protocol::Reply;
use crate::server::saves::Background;

/// SAVE: a snapshot to `--snapshot-to` now (a sync of the data directory without one).
fn save(ctx: &mut Ctx, _: &mut Args) -> Result<Reply> {
    ctx.server.saves.save(ctx.store()).map_err(Error::new)?;
    Ok(Reply::ok())
}

/// BGSAVE [SCHEDULE]: the same in the background.
fn bgsave(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let schedule = args.eat("SCHEDULE");
    if !args.is_empty() {
        return Err(Error::syntax());
    }
    Ok(Reply::Status(Cow::Borrowed(
        match ctx.server.saves.background(schedule) {
            Background::Started => "Background saving started",
            Background::Scheduled => "Background saving scheduled",
            Background::AlreadyRunning => {
                return Err(Error::reply("ERR Background save already in progress"))
            }
        },
    )))
}

/// LASTSAVE: the Unix time of the last successful save (the start, before any).
fn lastsave(ctx: &mut Ctx, _: &mut Args) -> Result<Reply> {
    Ok(Reply::Int(ctx.server.saves.last_save_unix()))
}

/// SNAPSHOT IMAGE: makes a point-in-time image of the data directory for this client and
/// replies [its path, its instant in ms]; the image stays until SNAPSHOT RELEASE or the
/// client disconnects. SNAPSHOT RELEASE: lets it go.
fn snapshot(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    match args.word()?.as_str() {
        "IMAGE" if args.is_empty() => {
            ctx.session.image = None;
            let started = std::time::Instant::now();
            let image = ctx.store().begin_image()?;
            let fixed = started.elapsed();
            let image = image.link(|_, _| {})?;
            tracing::info!(
                "SNAPSHOT IMAGE: instant fixed in {:.1} ms, image linked in {:.1} s at {}",
                fixed.as_secs_f64() * 1e3,
                started.elapsed().as_secs_f64(),
                image.path.display()
            );
            let reply = Reply::Array(vec![
                Reply::bulk(image.path.to_string_lossy().into_owned()),
                Reply::Int(crate::snapshot::unix_ms(image.instant) as i64),
            ]);
            ctx.session.image = Some(image);
            Ok(reply)
        }
        "RELEASE" if args.is_empty() => {
            ctx.session.image = None;
            Ok(Reply::ok())
        }
        _ => Err(Error::syntax()),
    }
}

pub const COMMANDS: &[Command] = &[
    Command::new(
        "save",
        1,
        &[Admin, Noscript, NoMulti],
        &["@admin", "@slow", "@dangerous"],
        NO_KEYS,
        save,
    ),
    Command::new(
        "bgsave",
        -1,
        &[Admin, Noscript, NoDisk],
        &["@admin", "@slow", "@dangerous"],
        NO_KEYS,
        bgsave,
    ),
    Command::new(
        "lastsave",
        1,
        &[Loading, Stale, Fast, NoDisk],
        &["@admin", "@fast", "@dangerous"],
        NO_KEYS,
        lastsave,
    ),
    Command::new(
        "snapshot",
        2,
        &[Admin, Noscript, NoMulti],
        &["@admin", "@slow", "@dangerous"],
        NO_KEYS,
        snapshot,
    ),
];
