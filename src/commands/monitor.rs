//! MONITOR: a line for every command any client runs, as Redis writes it:
//!
//! ```text
//! +1732200000.123456 [0 127.0.0.1:52000] "set" "key" "a \"quoted\"\n value"
//! ```
//!
//! The line is sent once the command has run (its database is the one after the command,
//! so `SELECT 3` shows `[3 ...]`), whether it succeeded or not; requests refused before
//! running (unknown command, wrong arity, queued in MULTI) are not shown, nor are admin
//! commands. Passwords given to AUTH and HELLO are shown as `(redacted)`.

use super::{Args, Command, Ctx, Flag, Flag::*, NO_KEYS};
use crate::error::{Error, Result};
use crate::protocol::{Arg, Reply};
use crate::server::{Server, Session};

/// MONITOR: from now on, receive a line for every command. A client already monitoring gets
/// no reply at all, as in Redis.
fn monitor(ctx: &mut Ctx, _: &mut Args) -> Result<Reply> {
    if ctx.session.in_transaction {
        return Err(Error::reply(
            "ERR MONITOR isn't allowed for DENY BLOCKING client",
        ));
    }
    if ctx.session.subscriptions.start_monitor() {
        Ok(Reply::ok())
    } else {
        Ok(Reply::Several(Vec::new()))
    }
}

/// A monitoring client counts as a replica for Redis: it may not touch keys.
pub fn check_context(session: &Session, command: &Command) -> Result<()> {
    if session.subscriptions.is_monitor()
        && (command.has(Flag::Write) || command.has(Flag::Readonly))
    {
        return Err(Error::reply("ERR Replica can't interact with the keyspace"));
    }
    Ok(())
}

/// The arguments of a request as MONITOR shows them, when somebody monitors and the command
/// is one that is shown. Taken before the command consumes its arguments.
pub fn describe(server: &Server, command: &Command, argv: &[Arg]) -> Option<String> {
    if !server.pubsub.is_monitored() || command.has(Flag::Admin) {
        return None;
    }
    let redacted = redacted(argv);
    let mut line = String::new();
    for (i, arg) in argv.iter().enumerate() {
        if i > 0 {
            line.push(' ');
        }
        match arg {
            _ if redacted.contains(&i) => line.push_str("\"(redacted)\""),
            Arg::Bytes(bytes) => quote(bytes, &mut line),
            // Too large to copy into a line: its size stands for it.
            Arg::Spilled(spilled) => {
                let len = std::fs::metadata(spilled.path()).map_or(0, |m| m.len());
                line.push_str(&format!("\"({len} bytes)\""));
            }
        }
    }
    Some(line)
}

/// Sends the line of a command that has run to the monitoring clients.
pub fn feed(server: &Server, session: &Session, args: &str) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let line = format!(
        "{}.{:06} [{} {}] {args}",
        now.as_secs(),
        now.subsec_micros(),
        session.db,
        session.client.addr
    );
    server
        .pubsub
        .feed_monitors(&line, server.config.settings.pubsub_limit());
}

/// The positions of the passwords in an AUTH or HELLO request.
fn redacted(argv: &[Arg]) -> Vec<usize> {
    let word = |i: usize| argv.get(i).and_then(Arg::as_bytes).unwrap_or_default();
    if word(0).eq_ignore_ascii_case(b"auth") {
        return (1..argv.len()).collect();
    }
    let mut positions = Vec::new();
    if word(0).eq_ignore_ascii_case(b"hello") {
        // HELLO protover [AUTH username password] [SETNAME name], options in any order.
        let mut i = 2;
        while i < argv.len() {
            let left = argv.len() - 1 - i;
            if word(i).eq_ignore_ascii_case(b"auth") && left >= 2 {
                positions.extend([i + 1, i + 2]);
                i += 3;
            } else if word(i).eq_ignore_ascii_case(b"setname") && left >= 1 {
                i += 2;
            } else {
                break;
            }
        }
    }
    positions
}

/// Redis's `sdscatrepr`: a quoted string with `\n`, `\"`, `\xff`-style escapes.
fn quote(bytes: &[u8], out: &mut String) {
    out.push('"');
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            b' '..=b'~' => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
}

pub const COMMANDS: &[Command] = &[Command::new(
    "monitor",
    1,
    &[Admin, Noscript, Loading, Stale, NoDisk],
    &["@admin", "@slow", "@dangerous"],
    NO_KEYS,
    monitor,
)];

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn args(words: &[&str]) -> Vec<Arg> {
        words
            .iter()
            .map(|w| Arg::Bytes(Bytes::copy_from_slice(w.as_bytes())))
            .collect()
    }

    #[test]
    fn quoting_follows_sdscatrepr() {
        let mut out = String::new();
        quote(b"a \"b\"\\\n\r\t\x07\x08\x00\xff~", &mut out);
        assert_eq!(out, r#""a \"b\"\\\n\r\t\a\b\x00\xff~""#);
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redacted(&args(&["AUTH", "pw"])), [1]);
        assert_eq!(redacted(&args(&["auth", "user", "pw"])), [1, 2]);
        assert_eq!(
            redacted(&args(&["HELLO", "3", "SETNAME", "auth", "AUTH", "u", "p"])),
            [5, 6]
        );
        assert!(redacted(&args(&["HELLO", "3", "AUTH", "u"])).is_empty());
        assert!(redacted(&args(&["SET", "auth", "x"])).is_empty());
    }
}
