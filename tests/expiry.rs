//! Expiry: EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (NX, XX, GT, LT), TTL, PTTL, EXPIRETIME,
//! PEXPIRETIME, PERSIST, lazy expiry (expired keys are invisible to every command) and the
//! active expiry cycle that reclaims expired keys from disk, with its index of markers.

mod common;

use std::path::{Path, PathBuf};
use std::thread::sleep;
use std::time::{Duration, Instant};

use common::{query, query_err, skip_in_reference, Server};
use redis::Connection;

const DREDIS_ONLY: &str = "dredis's data directory and its active expiry cycle";

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn int(con: &mut Connection, words: &[&str]) -> i64 {
    query(con, words)
}

/// Every file under `dir` (none when it does not exist).
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// The expiry markers of database `db`.
fn markers(server: &Server, db: usize) -> Vec<PathBuf> {
    files_under(&server.dir().join(db.to_string()).join("expires"))
}

/// The key directories of database `db` (`<db>/<slot>/<key>`).
fn key_dirs(server: &Server, db: usize) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for slot in std::fs::read_dir(server.dir().join(db.to_string()))
        .unwrap()
        .flatten()
    {
        if slot.file_name() != "expires" {
            out.extend(
                std::fs::read_dir(slot.path())
                    .unwrap()
                    .flatten()
                    .map(|e| e.path()),
            );
        }
    }
    out
}

/// The file names of the markers of database 0.
fn marker_names(server: &Server) -> Vec<String> {
    let mut names: Vec<String> = markers(server, 0)
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Whether database 0 has `keys` keys and `marked` markers: the cycle removes a key's
/// marker just after the key, so a test waits for both.
fn settled(server: &Server, keys: i64, marked: usize) -> bool {
    int(&mut server.con(), &["DBSIZE"]) == keys && markers(server, 0).len() == marked
}

/// Polls `done` every 20 ms for up to five seconds.
fn eventually(mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        sleep(Duration::from_millis(20));
    }
    done()
}

/// INFO keyspace's `expires=` for database 0 (0 when the database is not listed).
fn expires_in_info(con: &mut Connection) -> u64 {
    let info: String = query(con, &["INFO", "keyspace"]);
    info.lines()
        .find_map(|l| l.strip_prefix("db0:"))
        .and_then(|l| l.split(',').find_map(|f| f.strip_prefix("expires=")))
        .map_or(0, |n| n.parse().unwrap())
}

#[test]
fn ttl_and_pttl_after_set_ex_and_expire() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SET", "k", "v", "EX", "100"]);
    assert_eq!(int(&mut con, &["TTL", "k"]), 100);
    let pttl = int(&mut con, &["PTTL", "k"]);
    assert!((99_000..=100_000).contains(&pttl), "{pttl}");
    assert_eq!(int(&mut con, &["EXPIRE", "k", "50"]), 1);
    assert_eq!(int(&mut con, &["TTL", "k"]), 50);
    assert_eq!(int(&mut con, &["PEXPIRE", "k", "5000"]), 1);
    let pttl = int(&mut con, &["PTTL", "k"]);
    assert!((4_000..=5_000).contains(&pttl), "{pttl}");
    // TTL rounds to the nearest second.
    assert_eq!(int(&mut con, &["PEXPIRE", "k", "1600"]), 1);
    assert_eq!(int(&mut con, &["TTL", "k"]), 2);
    // -1: no expiry; -2: no key.
    query::<()>(&mut con, &["SET", "plain", "v"]);
    assert_eq!(int(&mut con, &["TTL", "plain"]), -1);
    assert_eq!(int(&mut con, &["PTTL", "plain"]), -1);
    assert_eq!(int(&mut con, &["TTL", "nosuchkey"]), -2);
    assert_eq!(int(&mut con, &["PTTL", "nosuchkey"]), -2);
    assert_eq!(query::<String>(&mut con, &["GET", "k"]), "v");
}

#[test]
fn expireat_and_pexpireat_set_absolute_deadlines() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SET", "k", "v"]);
    let at_ms = now_ms() + 100_000;
    assert_eq!(int(&mut con, &["PEXPIREAT", "k", &at_ms.to_string()]), 1);
    assert_eq!(int(&mut con, &["PEXPIRETIME", "k"]), at_ms);
    // EXPIRETIME rounds to the nearest second, as TTL does.
    assert_eq!(int(&mut con, &["EXPIRETIME", "k"]), (at_ms + 500) / 1000);
    assert_eq!(
        int(&mut con, &["EXPIREAT", "k", &(at_ms / 1000).to_string()]),
        1
    );
    assert_eq!(int(&mut con, &["PEXPIRETIME", "k"]), at_ms / 1000 * 1000);
    let ttl = int(&mut con, &["TTL", "k"]);
    assert!((98..=100).contains(&ttl), "{ttl}");
    query::<()>(&mut con, &["SET", "plain", "v"]);
    assert_eq!(int(&mut con, &["EXPIRETIME", "plain"]), -1);
    assert_eq!(int(&mut con, &["PEXPIRETIME", "plain"]), -1);
    assert_eq!(int(&mut con, &["EXPIRETIME", "nosuchkey"]), -2);
    assert_eq!(int(&mut con, &["PEXPIRETIME", "nosuchkey"]), -2);
    // The largest deadline there is.
    assert_eq!(int(&mut con, &["PEXPIREAT", "k", "9223372036854775806"]), 1);
    assert_eq!(
        int(&mut con, &["PEXPIRETIME", "k"]),
        9_223_372_036_854_775_806
    );
    assert_eq!(int(&mut con, &["EXPIRETIME", "k"]), 9_223_372_036_854_776);
}

#[test]
fn expire_on_a_missing_key_is_0() {
    let server = Server::start();
    let mut con = server.con();
    for command in ["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"] {
        assert_eq!(int(&mut con, &[command, "nosuchkey", "100"]), 0);
        assert_eq!(int(&mut con, &[command, "nosuchkey", "-100"]), 0);
    }
    assert_eq!(int(&mut con, &["DBSIZE"]), 0);
}

#[test]
fn expire_nx_xx_gt_lt() {
    let server = Server::start();
    let mut con = server.con();
    let at = |seconds: i64| ((now_ms() / 1000) + seconds).to_string();
    let (t100, t150, t200, t300, t400) = (at(100), at(150), at(200), at(300), at(400));
    query::<()>(&mut con, &["SET", "k", "v"]);
    // Without an expiry: XX and GT fail (no expiry is an infinite one), LT applies.
    assert_eq!(int(&mut con, &["EXPIREAT", "k", &t100, "XX"]), 0);
    assert_eq!(int(&mut con, &["EXPIREAT", "k", &t100, "GT"]), 0);
    assert_eq!(int(&mut con, &["TTL", "k"]), -1);
    assert_eq!(int(&mut con, &["EXPIREAT", "k", &t100, "LT"]), 1);
    // With one: NX fails, XX applies, GT and LT compare strictly.
    assert_eq!(int(&mut con, &["EXPIREAT", "k", &t200, "NX"]), 0);
    assert_eq!(int(&mut con, &["EXPIREAT", "k", &t200, "XX"]), 1);
    assert_eq!(int(&mut con, &["EXPIREAT", "k", &t150, "GT"]), 0);
    assert_eq!(int(&mut con, &["EXPIREAT", "k", &t200, "GT"]), 0);
    assert_eq!(int(&mut con, &["EXPIREAT", "k", &t300, "gt"]), 1);
    assert_eq!(int(&mut con, &["EXPIRETIME", "k"]).to_string(), t300);
    assert_eq!(int(&mut con, &["EXPIREAT", "k", &t400, "LT"]), 0);
    assert_eq!(int(&mut con, &["EXPIREAT", "k", &t300, "LT"]), 0);
    assert_eq!(int(&mut con, &["EXPIREAT", "k", &t150, "lt", "XX"]), 1);
    assert_eq!(int(&mut con, &["EXPIRETIME", "k"]).to_string(), t150);
    // NX on a key without an expiry; relative times compare the same way.
    query::<()>(&mut con, &["SET", "fresh", "v"]);
    assert_eq!(int(&mut con, &["EXPIRE", "fresh", "10", "NX"]), 1);
    assert_eq!(int(&mut con, &["TTL", "fresh"]), 10);
    assert_eq!(int(&mut con, &["PEXPIRE", "fresh", "5000", "GT"]), 0);
    assert_eq!(int(&mut con, &["PEXPIRE", "fresh", "5000", "LT"]), 1);
    // A repeated option is fine.
    assert_eq!(int(&mut con, &["EXPIRE", "fresh", "20", "XX", "XX"]), 1);
    assert_eq!(int(&mut con, &["TTL", "fresh"]), 20);
}

#[test]
fn expire_option_and_argument_errors() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SET", "k", "v"]);
    let nx = "ERR NX and XX, GT or LT options at the same time are not compatible";
    let gt_lt = "ERR GT and LT options at the same time are not compatible";
    for (args, error) in [
        (&["EXPIRE", "k", "10", "NX", "XX"][..], nx),
        (&["EXPIRE", "k", "10", "NX", "GT"], nx),
        (&["PEXPIRE", "k", "10", "LT", "NX"], nx),
        (&["EXPIRE", "k", "10", "GT", "LT"], gt_lt),
        (&["EXPIRE", "k", "10", "foo"], "ERR Unsupported option foo"),
        // Options are checked before the time, and on a missing key too.
        (&["EXPIRE", "k", "abc", "foo"], "ERR Unsupported option foo"),
        (&["EXPIRE", "nosuchkey", "10", "NX", "XX"], nx),
        (
            &["EXPIRE", "k", "abc"],
            "ERR value is not an integer or out of range",
        ),
        (
            &["EXPIRE", "k", "1.5"],
            "ERR value is not an integer or out of range",
        ),
        (
            &["EXPIRE", "k", "9223372036854775807"],
            "ERR invalid expire time in 'expire' command",
        ),
        (
            &["EXPIRE", "k", "-9223372036854775807"],
            "ERR invalid expire time in 'expire' command",
        ),
        (
            &["PEXPIRE", "k", "9223372036854775807"],
            "ERR invalid expire time in 'pexpire' command",
        ),
        (
            &["EXPIREAT", "k", "9223372036854775807"],
            "ERR invalid expire time in 'expireat' command",
        ),
    ] {
        assert_eq!(query_err(&mut con, args), error, "{args:?}");
    }
    // Nothing changed.
    assert_eq!(int(&mut con, &["TTL", "k"]), -1);
    for (args, name) in [
        (&["EXPIRE", "k"][..], "expire"),
        (&["PEXPIRE", "k"], "pexpire"),
        (&["EXPIREAT", "k"], "expireat"),
        (&["PEXPIREAT", "k"], "pexpireat"),
        (&["TTL"], "ttl"),
        (&["PTTL", "a", "b"], "pttl"),
        (&["EXPIRETIME"], "expiretime"),
        (&["PEXPIRETIME", "a", "b"], "pexpiretime"),
        (&["PERSIST"], "persist"),
    ] {
        assert_eq!(
            query_err(&mut con, args),
            format!("ERR wrong number of arguments for '{name}' command")
        );
    }
}

#[test]
fn a_deadline_in_the_past_deletes_the_key() {
    let server = Server::start();
    let mut con = server.con();
    for (command, time) in [
        ("EXPIRE", "-1"),
        ("EXPIRE", "0"),
        ("PEXPIRE", "-100"),
        ("EXPIREAT", "1"),
        ("PEXPIREAT", "1999"),
        ("PEXPIRE", "-9223372036854775808"),
    ] {
        query::<()>(&mut con, &["SET", "k", "v"]);
        assert_eq!(int(&mut con, &[command, "k", time]), 1, "{command} {time}");
        assert_eq!(int(&mut con, &["EXISTS", "k"]), 0, "{command} {time}");
        assert_eq!(int(&mut con, &["TTL", "k"]), -2);
    }
    query::<()>(&mut con, &["HSET", "h", "f", "v"]);
    assert_eq!(int(&mut con, &["EXPIRE", "h", "-5", "LT"]), 1);
    assert_eq!(int(&mut con, &["EXISTS", "h"]), 0);
    assert_eq!(int(&mut con, &["DBSIZE"]), 0);
}

#[test]
fn persist_removes_the_expiry() {
    let server = Server::start();
    let mut con = server.con();
    assert_eq!(int(&mut con, &["PERSIST", "nosuchkey"]), 0);
    query::<()>(&mut con, &["SET", "k", "v"]);
    assert_eq!(int(&mut con, &["PERSIST", "k"]), 0);
    query::<()>(&mut con, &["SET", "k", "v", "EX", "100"]);
    assert_eq!(int(&mut con, &["PERSIST", "k"]), 1);
    assert_eq!(int(&mut con, &["TTL", "k"]), -1);
    assert_eq!(query::<String>(&mut con, &["GET", "k"]), "v");
    assert_eq!(int(&mut con, &["PERSIST", "k"]), 0);
    query::<()>(&mut con, &["ZADD", "z", "1", "a"]);
    assert_eq!(int(&mut con, &["PEXPIRE", "z", "100000"]), 1);
    assert_eq!(int(&mut con, &["PERSIST", "z"]), 1);
    assert_eq!(int(&mut con, &["TTL", "z"]), -1);
    assert_eq!(int(&mut con, &["ZCARD", "z"]), 1);
}

#[test]
fn expire_works_on_every_type() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["HSET", "h", "f", "v"]);
    query::<()>(&mut con, &["SADD", "s", "m"]);
    query::<()>(&mut con, &["ZADD", "z", "1", "m"]);
    for key in ["h", "s", "z"] {
        assert_eq!(int(&mut con, &["EXPIRE", key, "100"]), 1);
        assert_eq!(int(&mut con, &["TTL", key]), 100);
    }
    // Changing a collection keeps its expiry.
    query::<()>(&mut con, &["HSET", "h", "g", "w"]);
    query::<()>(&mut con, &["SADD", "s", "n"]);
    query::<()>(&mut con, &["ZADD", "z", "2", "n"]);
    for key in ["h", "s", "z"] {
        assert_eq!(int(&mut con, &["TTL", key]), 100, "{key}");
    }
}

#[test]
fn expired_keys_are_invisible_to_every_command() {
    let server = Server::start();
    let mut con = server.con();
    if !skip_in_reference("DEBUG is off by default in redis-server") {
        // Without the active cycle, the expired keys are still on disk: still invisible.
        query::<()>(&mut con, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    }
    query::<()>(&mut con, &["SET", "s", "v", "PX", "50"]);
    query::<()>(&mut con, &["HSET", "h", "f", "v"]);
    query::<()>(&mut con, &["PEXPIRE", "h", "50"]);
    query::<()>(&mut con, &["SET", "live", "v"]);
    sleep(Duration::from_millis(150));
    assert_eq!(query::<Option<String>>(&mut con, &["GET", "s"]), None);
    assert_eq!(query::<Option<String>>(&mut con, &["HGET", "h", "f"]), None);
    assert_eq!(int(&mut con, &["EXISTS", "s", "h", "live"]), 1);
    assert_eq!(query::<String>(&mut con, &["TYPE", "s"]), "none");
    assert_eq!(query::<String>(&mut con, &["TYPE", "h"]), "none");
    assert_eq!(query::<Vec<String>>(&mut con, &["KEYS", "*"]), ["live"]);
    let (cursor, keys): (String, Vec<String>) = query(&mut con, &["SCAN", "0", "COUNT", "100"]);
    assert_eq!((cursor.as_str(), keys), ("0", vec!["live".to_string()]));
    assert_eq!(int(&mut con, &["TTL", "s"]), -2);
    assert_eq!(int(&mut con, &["PERSIST", "s"]), 0);
    assert_eq!(int(&mut con, &["EXPIRE", "s", "100"]), 0);
    assert_eq!(
        query::<Option<String>>(&mut con, &["RANDOMKEY"]).as_deref(),
        Some("live")
    );
    assert_eq!(
        query::<Option<String>>(&mut con, &["OBJECT", "ENCODING", "s"]),
        None
    );
}

#[test]
fn info_keyspace_counts_keys_with_an_expiry() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SET", "a", "1", "EX", "100"]);
    query::<()>(&mut con, &["SET", "b", "1"]);
    query::<()>(&mut con, &["HSET", "h", "f", "v"]);
    assert_eq!(expires_in_info(&mut con), 1);
    query::<()>(&mut con, &["EXPIRE", "h", "100"]);
    query::<()>(&mut con, &["EXPIRE", "h", "200"]);
    assert_eq!(expires_in_info(&mut con), 2);
    query::<()>(&mut con, &["PERSIST", "a"]);
    assert_eq!(expires_in_info(&mut con), 1);
    query::<()>(&mut con, &["SET", "h2", "v", "EX", "100"]);
    query::<()>(&mut con, &["SET", "h2", "v"]);
    query::<()>(&mut con, &["DEL", "h"]);
    assert_eq!(expires_in_info(&mut con), 0);
    query::<()>(&mut con, &["SET", "c", "1", "EX", "100"]);
    query::<()>(&mut con, &["FLUSHDB"]);
    query::<()>(&mut con, &["SET", "d", "1"]);
    assert_eq!(expires_in_info(&mut con), 0);
}

#[test]
fn the_active_cycle_reclaims_expired_keys_without_any_reader() {
    if skip_in_reference(DREDIS_ONLY) {
        return;
    }
    let server = Server::start();
    let mut con = server.con();
    // Off while the keys are made, to count them all first.
    query::<()>(&mut con, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    let mut pipe = redis::pipe();
    for i in 0..200 {
        pipe.cmd("SET")
            .arg(format!("key:{i}"))
            .arg("v")
            .arg("PX")
            .arg(100)
            .ignore();
    }
    pipe.cmd("HSET").arg("hash").arg("f").arg("v").ignore();
    pipe.cmd("PEXPIRE").arg("hash").arg(100).ignore();
    pipe.cmd("ZADD").arg("zset").arg(1).arg("m").ignore();
    pipe.cmd("PEXPIRE").arg("zset").arg(100).ignore();
    pipe.cmd("SET").arg("keeper").arg("v").ignore();
    pipe.cmd("SET")
        .arg("later")
        .arg("v")
        .arg("EX")
        .arg(100)
        .ignore();
    pipe.query::<()>(&mut con).unwrap();
    assert_eq!(int(&mut con, &["DBSIZE"]), 204);
    assert_eq!(markers(&server, 0).len(), 203);
    query::<()>(&mut con, &["DEBUG", "SET-ACTIVE-EXPIRE", "1"]);
    assert!(eventually(|| settled(&server, 2, 1)));
    // Gone from disk, markers included: only the two live keys and one marker remain.
    assert_eq!(key_dirs(&server, 0).len(), 2);
    assert_eq!(marker_names(&server), ["later"]);
    assert_eq!(expires_in_info(&mut con), 1);
    assert_eq!(query::<String>(&mut con, &["GET", "keeper"]), "v");
    // Rounded to the nearest second, as Redis does: 99 once half a second has gone by.
    assert!((99..=100).contains(&int(&mut con, &["TTL", "later"])));
}

#[test]
fn debug_set_active_expire_0_stops_the_cycle() {
    if skip_in_reference(DREDIS_ONLY) {
        return;
    }
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    for i in 0..50 {
        query::<()>(&mut con, &["SET", &format!("k{i}"), "v", "PX", "30"]);
    }
    sleep(Duration::from_millis(500));
    assert_eq!(int(&mut con, &["DBSIZE"]), 50);
    assert_eq!(markers(&server, 0).len(), 50);
    query::<()>(&mut con, &["DEBUG", "set-active-expire", "1"]);
    assert!(eventually(|| settled(&server, 0, 0)));
    assert!(key_dirs(&server, 0).is_empty());
}

#[test]
fn debug_errors_and_help() {
    if skip_in_reference("DEBUG is off by default in redis-server") {
        return;
    }
    let server = Server::start();
    let mut con = server.con();
    for args in [
        &["DEBUG", "SET-ACTIVE-EXPIRE"][..],
        &["DEBUG", "SET-ACTIVE-EXPIRE", "1", "2"],
    ] {
        assert_eq!(
            query_err(&mut con, args),
            "ERR unknown subcommand or wrong number of arguments for 'SET-ACTIVE-EXPIRE'. Try DEBUG HELP."
        );
    }
    assert_eq!(
        query_err(&mut con, &["DEBUG", "nosuch"]),
        "ERR unknown subcommand or wrong number of arguments for 'nosuch'. Try DEBUG HELP."
    );
    assert_eq!(
        query_err(&mut con, &["DEBUG"]),
        "ERR wrong number of arguments for 'debug' command"
    );
    let help: Vec<String> = query(&mut con, &["DEBUG", "HELP"]);
    assert_eq!(
        help[0],
        "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    );
    assert!(help.contains(&"SET-ACTIVE-EXPIRE <0|1>".to_string()));
    assert_eq!(help.last().unwrap(), "    Prints this help.");
}

#[test]
fn markers_follow_the_expiry_of_a_key() {
    if skip_in_reference(DREDIS_ONLY) {
        return;
    }
    let server = Server::start();
    let mut con = server.con();
    let none: Vec<String> = Vec::new();
    query::<()>(&mut con, &["SET", "k", "v", "EX", "100"]);
    assert_eq!(marker_names(&server), ["k"]);
    // The marker sits in the key's slot, as `<db>/expires/<slot>/<name>`, and is empty.
    let key_dir = server.dir().join("0/1dcd/k");
    assert!(key_dir.join("type").exists());
    let marker = server.dir().join("0/expires/1dcd/k");
    assert_eq!(std::fs::read(&marker).unwrap(), b"");
    query::<()>(&mut con, &["PERSIST", "k"]);
    assert_eq!(marker_names(&server), none);
    query::<()>(&mut con, &["EXPIRE", "k", "100"]);
    assert_eq!(marker_names(&server), ["k"]);
    // An overwrite without KEEPTTL drops the expiry, and the marker with it.
    query::<()>(&mut con, &["SET", "k", "w"]);
    assert_eq!(marker_names(&server), none);
    query::<()>(&mut con, &["SET", "k", "w", "PX", "100000"]);
    query::<()>(&mut con, &["SET", "k", "x", "KEEPTTL"]);
    assert_eq!(marker_names(&server), ["k"]);
    query::<()>(&mut con, &["DEL", "k"]);
    assert_eq!(marker_names(&server), none);
    query::<()>(&mut con, &["HSET", "h", "f", "v"]);
    query::<()>(&mut con, &["EXPIRE", "h", "100"]);
    query::<()>(&mut con, &["HDEL", "h", "f"]);
    assert_eq!(marker_names(&server), none);
    query::<()>(&mut con, &["SET", "gone", "v", "EX", "100"]);
    query::<()>(&mut con, &["EXPIRE", "gone", "-1"]);
    assert_eq!(marker_names(&server), none);
    assert_eq!(expires_in_info(&mut con), 0);
}

#[test]
fn a_digest_named_key_has_its_name_in_its_marker() {
    if skip_in_reference(DREDIS_ONLY) {
        return;
    }
    let server = Server::start();
    let mut con = server.con();
    let long = "L".repeat(300);
    query::<()>(&mut con, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    query::<()>(&mut con, &["SET", &long, "v", "PX", "100"]);
    let found = markers(&server, 0);
    assert_eq!(found.len(), 1);
    let name = found[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with("%%") && name.len() == 42, "{name}");
    assert_eq!(std::fs::read(&found[0]).unwrap(), long.as_bytes());
    sleep(Duration::from_millis(150));
    query::<()>(&mut con, &["DEBUG", "SET-ACTIVE-EXPIRE", "1"]);
    assert!(eventually(|| settled(&server, 0, 0)));
}

#[test]
fn expiry_survives_a_restart_and_the_cycle_resumes() {
    if skip_in_reference(DREDIS_ONLY) {
        return;
    }
    let mut server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SET", "long", "v", "EX", "100"]);
    query::<()>(&mut con, &["SET", "short", "v", "PX", "1000"]);
    query::<()>(&mut con, &["SELECT", "3"]);
    query::<()>(&mut con, &["SADD", "s", "m"]);
    query::<()>(&mut con, &["PEXPIRE", "s", "1000"]);
    drop(con);
    server.restart();
    let mut con = server.con();
    // Counted again at start-up.
    assert_eq!(expires_in_info(&mut con), 2);
    let ttl = int(&mut con, &["TTL", "long"]);
    assert!((98..=100).contains(&ttl), "{ttl}");
    assert!(eventually(|| {
        let mut con = server.con();
        query::<()>(&mut con, &["SELECT", "3"]);
        settled(&server, 1, 1) && int(&mut con, &["DBSIZE"]) == 0 && markers(&server, 3).is_empty()
    }));
    assert_eq!(marker_names(&server), ["long"]);
}

#[test]
fn stale_markers_are_removed_by_the_cycle() {
    if skip_in_reference(DREDIS_ONLY) {
        return;
    }
    let mut server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SET", "plain", "v"]);
    drop(con);
    server.crash();
    // What a crash between a key's change and its marker's removal leaves: markers of a key
    // without an expiry and of a missing key; and a stray file.
    let key_dir = key_dirs(&server, 0).pop().unwrap();
    let slot = key_dir.parent().unwrap().file_name().unwrap().to_owned();
    let slot_dir = server.dir().join("0/expires").join(slot);
    std::fs::create_dir_all(&slot_dir).unwrap();
    std::fs::create_dir_all(server.dir().join("0/expires/1dcd")).unwrap();
    for marker in ["plain", "not%zzvalid"] {
        std::fs::write(slot_dir.join(marker), b"").unwrap();
    }
    std::fs::write(server.dir().join("0/expires/1dcd/k"), b"").unwrap();
    server.restart();
    let mut con = server.con();
    assert_eq!(expires_in_info(&mut con), 3);
    assert!(eventually(
        || markers(&server, 0).is_empty() && expires_in_info(&mut server.con()) == 0
    ));
    assert_eq!(query::<String>(&mut con, &["GET", "plain"]), "v");
}

#[test]
fn the_cycle_works_with_fsync_always() {
    if skip_in_reference(DREDIS_ONLY) {
        return;
    }
    let server = Server::start_with(&["--fsync", "always"]);
    let mut con = server.con();
    query::<()>(&mut con, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    for i in 0..20 {
        query::<()>(&mut con, &["SET", &format!("k{i}"), "v", "PX", "50"]);
    }
    query::<()>(&mut con, &["SET", &"D".repeat(300), "v", "PX", "50"]);
    assert_eq!(markers(&server, 0).len(), 21);
    query::<()>(&mut con, &["DEBUG", "SET-ACTIVE-EXPIRE", "1"]);
    assert!(eventually(|| settled(&server, 0, 0)));
}
