//! String commands: SET (and its options), GET, the SET and GET variants, counters, ranges,
//! LCS, bitmaps, expiry, and values larger than 64 KiB (which are written in place).

mod common;

use std::path::Path;
use std::thread::sleep;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{query, query_err, Server};
use redis::Value;

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
const OVERFLOW: &str = "ERR increment or decrement would overflow";
const SYNTAX: &str = "ERR syntax error";
const NOT_FLOAT: &str = "ERR value is not a valid float";
const TOO_BIG: &str = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
const BAD_OFFSET: &str = "ERR bit offset is not an integer or out of range";
const BAD_BIT: &str = "ERR bit is not an integer or out of range";

const REDIS_7_2: &str = "Redis 7.2 behaviour (the reference server is 7.0)";
const DREDIS_ONLY: &str = "dredis's data directory";

/// Tests of dredis's own disk layout, or of Redis 7.2 behaviour that the installed 7.0
/// reference server does not have, skip themselves in reference mode.
fn skip_in_reference(why: &str) -> bool {
    let reference = std::env::var_os("DREDIS_TEST_REFERENCE").is_some_and(|v| v != "0");
    if reference {
        eprintln!("skipped against the reference redis-server: {why}");
    }
    reference
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

fn get(con: &mut redis::Connection, key: &str) -> Option<String> {
    query(con, &["GET", key])
}

#[test]
fn set_then_get_returns_the_value() {
    let server = Server::start();
    let mut con = server.con();
    assert_eq!(query::<Value>(&mut con, &["SET", "k", "v"]), Value::Okay);
    assert_eq!(get(&mut con, "k").as_deref(), Some("v"));
    assert_eq!(
        query::<Value>(&mut con, &["SET", "k", "other"]),
        Value::Okay
    );
    assert_eq!(get(&mut con, "k").as_deref(), Some("other"));
}

#[test]
fn set_and_get_an_empty_value() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SET", "empty", ""]);
    assert_eq!(get(&mut con, "empty").as_deref(), Some(""));
    assert_eq!(query::<i64>(&mut con, &["EXISTS", "empty"]), 1);
}

#[test]
fn get_of_a_missing_key_is_nil() {
    let server = Server::start();
    let mut con = server.con();
    assert_eq!(query::<Value>(&mut con, &["GET", "nosuchkey"]), Value::Nil);
}

#[test]
fn get_of_a_hash_or_set_is_wrongtype() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["HSET", "h", "f", "v"]);
    query::<()>(&mut con, &["SADD", "s", "m"]);
    assert_eq!(query_err(&mut con, &["GET", "h"]), WRONGTYPE);
    assert_eq!(query_err(&mut con, &["GET", "s"]), WRONGTYPE);
}

#[test]
fn set_replaces_a_key_of_another_type() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["HSET", "k", "f", "v"]);
    assert_eq!(query::<Value>(&mut con, &["SET", "k", "v"]), Value::Okay);
    assert_eq!(query::<String>(&mut con, &["TYPE", "k"]), "string");
    assert_eq!(get(&mut con, "k").as_deref(), Some("v"));
}

#[test]
fn set_nx_sets_only_a_missing_key() {
    let server = Server::start();
    let mut con = server.con();
    assert_eq!(
        query::<Value>(&mut con, &["SET", "k", "1", "NX"]),
        Value::Okay
    );
    assert_eq!(
        query::<Value>(&mut con, &["SET", "k", "2", "NX"]),
        Value::Nil
    );
    assert_eq!(get(&mut con, "k").as_deref(), Some("1"));
    // A key of another type exists too.
    query::<()>(&mut con, &["SADD", "s", "m"]);
    assert_eq!(
        query::<Value>(&mut con, &["SET", "s", "v", "nx"]),
        Value::Nil
    );
}

#[test]
fn set_xx_sets_only_an_existing_key() {
    let server = Server::start();
    let mut con = server.con();
    assert_eq!(
        query::<Value>(&mut con, &["SET", "k", "1", "XX"]),
        Value::Nil
    );
    assert_eq!(query::<Value>(&mut con, &["EXISTS", "k"]), Value::Int(0));
    query::<()>(&mut con, &["SET", "k", "1"]);
    assert_eq!(
        query::<Value>(&mut con, &["SET", "k", "2", "xx"]),
        Value::Okay
    );
    assert_eq!(get(&mut con, "k").as_deref(), Some("2"));
}

#[test]
fn set_get_returns_the_old_value() {
    let server = Server::start();
    let mut con = server.con();
    assert_eq!(
        query::<Value>(&mut con, &["SET", "k", "1", "GET"]),
        Value::Nil
    );
    assert_eq!(
        query::<Option<String>>(&mut con, &["SET", "k", "2", "GET"]).as_deref(),
        Some("1")
    );
    assert_eq!(get(&mut con, "k").as_deref(), Some("2"));
}

#[test]
fn set_get_with_nx_or_xx_returns_the_old_value_whether_or_not_it_sets() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SET", "k", "old"]);
    let old: Option<String> = query(&mut con, &["SET", "k", "new", "NX", "GET"]);
    assert_eq!(old.as_deref(), Some("old"));
    assert_eq!(get(&mut con, "k").as_deref(), Some("old"));
    let old: Option<String> = query(&mut con, &["SET", "k", "new", "XX", "GET"]);
    assert_eq!(old.as_deref(), Some("old"));
    assert_eq!(get(&mut con, "k").as_deref(), Some("new"));
    assert_eq!(
        query::<Value>(&mut con, &["SET", "missing", "v", "XX", "GET"]),
        Value::Nil
    );
    assert_eq!(query::<i64>(&mut con, &["EXISTS", "missing"]), 0);
}

#[test]
fn set_get_on_a_hash_is_wrongtype_and_changes_nothing() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["HSET", "h", "f", "v"]);
    assert_eq!(query_err(&mut con, &["SET", "h", "x", "GET"]), WRONGTYPE);
    assert_eq!(query::<String>(&mut con, &["TYPE", "h"]), "hash");
}

#[test]
fn set_px_key_is_gone_after_it_expires() {
    let server = Server::start();
    let mut con = server.con();
    assert_eq!(
        query::<Value>(&mut con, &["SET", "k", "v", "PX", "100"]),
        Value::Okay
    );
    sleep(Duration::from_millis(200));
    assert_eq!(get(&mut con, "k"), None);
    assert_eq!(query::<i64>(&mut con, &["EXISTS", "k"]), 0);
    assert_eq!(query::<String>(&mut con, &["TYPE", "k"]), "none");
    assert_eq!(
        query::<Vec<String>>(&mut con, &["KEYS", "*"]),
        Vec::<String>::new()
    );
}

#[test]
fn expired_keys_are_reclaimed_and_no_longer_counted_by_dbsize() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SET", "touched", "v", "PX", "100"]);
    query::<()>(&mut con, &["SET", "untouched", "v", "PX", "100"]);
    sleep(Duration::from_millis(200));
    assert_eq!(get(&mut con, "touched"), None);
    // Redis deletes a key it finds expired, and its active cycle reclaims the others.
    sleep(Duration::from_millis(1000));
    assert_eq!(query::<i64>(&mut con, &["DBSIZE"]), 0);
}

#[test]
fn set_ex_exat_pxat_in_the_future_keep_the_key() {
    let server = Server::start();
    let mut con = server.con();
    let in_a_minute_ms = now_ms() + 60_000;
    query::<()>(&mut con, &["SET", "ex", "v", "EX", "100"]);
    query::<()>(
        &mut con,
        &[
            "SET",
            "exat",
            "v",
            "EXAT",
            &(in_a_minute_ms / 1000).to_string(),
        ],
    );
    query::<()>(
        &mut con,
        &["SET", "pxat", "v", "PXAT", &in_a_minute_ms.to_string()],
    );
    query::<()>(&mut con, &["SET", "px", "v", "px", "100000"]);
    assert_eq!(
        query::<i64>(&mut con, &["EXISTS", "ex", "exat", "pxat", "px"]),
        4
    );
}

#[test]
fn set_exat_or_pxat_in_the_past_deletes_the_key() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SET", "k", "old"]);
    assert_eq!(
        query::<Value>(&mut con, &["SET", "k", "v", "EXAT", "1"]),
        Value::Okay
    );
    assert_eq!(get(&mut con, "k"), None);
    assert_eq!(
        query::<Value>(&mut con, &["SET", "k", "v", "PXAT", "1"]),
        Value::Okay
    );
    assert_eq!(query::<i64>(&mut con, &["EXISTS", "k"]), 0);
}

#[test]
fn set_without_keepttl_clears_the_expiry() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SET", "k", "v", "PX", "100"]);
    query::<()>(&mut con, &["SET", "k", "v2"]);
    sleep(Duration::from_millis(200));
    assert_eq!(get(&mut con, "k").as_deref(), Some("v2"));
}

#[test]
fn set_keepttl_keeps_the_expiry() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SET", "k", "v", "PX", "400"]);
    assert_eq!(
        query::<Value>(&mut con, &["SET", "k", "v2", "KEEPTTL"]),
        Value::Okay
    );
    assert_eq!(get(&mut con, "k").as_deref(), Some("v2"));
    sleep(Duration::from_millis(600));
    assert_eq!(get(&mut con, "k"), None);
}

#[test]
fn set_options_are_case_insensitive_and_may_repeat() {
    let server = Server::start();
    let mut con = server.con();
    for args in [
        &["SET", "k", "v", "ex", "100"][..],
        &["SET", "k", "v", "Px", "100000"],
        &["SET", "k", "v", "EX", "10", "EX", "20"],
        &["SET", "k", "v", "NX", "NX"],
        &["SET", "k", "v", "XX", "XX"],
        &["SET", "k", "v", "KEEPTTL", "KEEPTTL"],
        &["SET", "k", "v", "GET", "GET"],
        &["SET", "k", "v", "get", "xx", "ex", "100"],
    ] {
        query::<Value>(&mut con, args);
    }
    assert_eq!(get(&mut con, "k").as_deref(), Some("v"));
}

#[test]
fn set_conflicting_or_unknown_options_are_syntax_errors() {
    let server = Server::start();
    let mut con = server.con();
    for args in [
        &["SET", "k", "v", "NX", "XX"][..],
        &["SET", "k", "v", "XX", "NX"],
        &["SET", "k", "v", "EX", "10", "PX", "100"],
        &["SET", "k", "v", "PX", "100", "EXAT", "100"],
        &["SET", "k", "v", "EXAT", "100", "PXAT", "100"],
        &["SET", "k", "v", "KEEPTTL", "EX", "10"],
        &["SET", "k", "v", "EX", "10", "KEEPTTL"],
        &["SET", "k", "v", "PXAT", "10", "KEEPTTL"],
        &["SET", "k", "v", "EX"],
        &["SET", "k", "v", "PX"],
        &["SET", "k", "v", "FOO"],
        &["SET", "k", "v", "NX", "bar"],
    ] {
        assert_eq!(query_err(&mut con, args), SYNTAX, "{args:?}");
    }
    assert_eq!(query::<i64>(&mut con, &["EXISTS", "k"]), 0);
}

#[test]
fn set_with_a_non_positive_or_overflowing_expiry_is_an_invalid_expire_time() {
    let server = Server::start();
    let mut con = server.con();
    let invalid = "ERR invalid expire time in 'set' command";
    for (unit, value) in [
        ("EX", "0"),
        ("EX", "-1"),
        ("PX", "0"),
        ("PX", "-100"),
        ("EXAT", "0"),
        ("PXAT", "0"),
        ("PXAT", "-1"),
        ("EX", "9223372036854775807"),
        ("EX", "9223372036854775"),
        ("PX", "9223372036854775807"),
        ("EXAT", "9223372036854775807"),
    ] {
        assert_eq!(
            query_err(&mut con, &["SET", "k", "v", unit, value]),
            invalid,
            "{unit} {value}"
        );
    }
    assert_eq!(query::<i64>(&mut con, &["EXISTS", "k"]), 0);
}

#[test]
fn set_with_a_non_integer_expiry_is_not_an_integer() {
    let server = Server::start();
    let mut con = server.con();
    for value in ["abc", "1.5", " 10", "10 ", "", "9223372036854775808"] {
        assert_eq!(
            query_err(&mut con, &["SET", "k", "v", "EX", value]),
            NOT_INTEGER,
            "{value:?}"
        );
    }
}

#[test]
fn set_and_get_arity_errors() {
    let server = Server::start();
    let mut con = server.con();
    let set = "ERR wrong number of arguments for 'set' command";
    let get = "ERR wrong number of arguments for 'get' command";
    assert_eq!(query_err(&mut con, &["SET"]), set);
    assert_eq!(query_err(&mut con, &["SET", "k"]), set);
    assert_eq!(query_err(&mut con, &["GET"]), get);
    assert_eq!(query_err(&mut con, &["GET", "a", "b"]), get);
}

#[test]
fn incr_starts_a_missing_key_at_zero() {
    let server = Server::start();
    let mut con = server.con();
    assert_eq!(query::<i64>(&mut con, &["INCR", "n"]), 1);
    assert_eq!(query::<i64>(&mut con, &["INCR", "n"]), 2);
    assert_eq!(get(&mut con, "n").as_deref(), Some("2"));
}

#[test]
fn incrby_adds_positive_and_negative_increments() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SET", "n", "10"]);
    assert_eq!(query::<i64>(&mut con, &["INCRBY", "n", "5"]), 15);
    assert_eq!(query::<i64>(&mut con, &["INCRBY", "n", "-20"]), -5);
    assert_eq!(query::<i64>(&mut con, &["INCRBY", "new", "-7"]), -7);
    assert_eq!(get(&mut con, "n").as_deref(), Some("-5"));
    query::<()>(&mut con, &["SET", "neg", "-3"]);
    assert_eq!(query::<i64>(&mut con, &["INCR", "neg"]), -2);
}

#[test]
fn incr_of_a_value_that_is_not_an_integer_fails() {
    let server = Server::start();
    let mut con = server.con();
    for value in [
        "abc",
        "1.5",
        " 1",
        "1 ",
        "01",
        "+1",
        "",
        "9223372036854775808",
        "12345678901234567890123",
    ] {
        query::<()>(&mut con, &["SET", "v", value]);
        assert_eq!(
            query_err(&mut con, &["INCR", "v"]),
            NOT_INTEGER,
            "{value:?}"
        );
        assert_eq!(get(&mut con, "v").as_deref(), Some(value));
    }
}

#[test]
fn incrby_with_an_increment_that_is_not_an_integer_fails() {
    let server = Server::start();
    let mut con = server.con();
    for by in ["x", "1.5", "", "9223372036854775808"] {
        assert_eq!(query_err(&mut con, &["INCRBY", "n", by]), NOT_INTEGER);
    }
    assert_eq!(query::<i64>(&mut con, &["EXISTS", "n"]), 0);
}

#[test]
fn incr_and_incrby_overflow_is_an_error() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SET", "max", "9223372036854775807"]);
    assert_eq!(query_err(&mut con, &["INCR", "max"]), OVERFLOW);
    assert_eq!(query_err(&mut con, &["INCRBY", "max", "1"]), OVERFLOW);
    query::<()>(&mut con, &["SET", "min", "-9223372036854775808"]);
    assert_eq!(query_err(&mut con, &["INCRBY", "min", "-1"]), OVERFLOW);
    assert_eq!(get(&mut con, "max").as_deref(), Some("9223372036854775807"));
    assert_eq!(
        query::<i64>(&mut con, &["INCRBY", "x", "-9223372036854775808"]),
        i64::MIN
    );
}

#[test]
fn incr_on_a_hash_is_wrongtype() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["HSET", "h", "f", "1"]);
    assert_eq!(query_err(&mut con, &["INCR", "h"]), WRONGTYPE);
    assert_eq!(query_err(&mut con, &["INCRBY", "h", "1"]), WRONGTYPE);
}

#[test]
fn incr_keeps_the_expiry() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SET", "n", "1", "PX", "400"]);
    assert_eq!(query::<i64>(&mut con, &["INCR", "n"]), 2);
    sleep(Duration::from_millis(600));
    assert_eq!(get(&mut con, "n"), None);
}

#[test]
fn incr_arity_errors() {
    let server = Server::start();
    let mut con = server.con();
    assert_eq!(
        query_err(&mut con, &["INCR"]),
        "ERR wrong number of arguments for 'incr' command"
    );
    assert_eq!(
        query_err(&mut con, &["INCRBY", "n"]),
        "ERR wrong number of arguments for 'incrby' command"
    );
}

#[test]
fn getrange_with_positive_and_negative_indexes() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SET", "s", "Hello World"]);
    for (start, end, want) in [
        ("0", "4", "Hello"),
        ("-5", "-1", "World"),
        ("0", "-1", "Hello World"),
        ("0", "0", "H"),
        ("10", "10", "d"),
        ("6", "100", "World"),
        ("-100", "100", "Hello World"),
        ("-100", "-50", "H"),
        ("0", "-100", "H"),
        ("5", "2", ""),
        ("-1", "-5", ""),
        ("-1", "0", ""),
        ("11", "11", ""),
        ("100", "200", ""),
    ] {
        // SUBSTR is GETRANGE's old name.
        for command in ["GETRANGE", "SUBSTR"] {
            assert_eq!(
                query::<String>(&mut con, &[command, "s", start, end]),
                want,
                "{command} s {start} {end}"
            );
        }
    }
}

#[test]
fn getrange_of_a_missing_key_or_empty_value_is_empty() {
    let server = Server::start();
    let mut con = server.con();
    assert_eq!(
        query::<Value>(&mut con, &["GETRANGE", "nosuchkey", "0", "10"]),
        Value::BulkString(Vec::new())
    );
    query::<()>(&mut con, &["SET", "e", ""]);
    assert_eq!(query::<String>(&mut con, &["GETRANGE", "e", "0", "-1"]), "");
    assert_eq!(query::<String>(&mut con, &["GETRANGE", "e", "0", "0"]), "");
}

#[test]
fn getrange_errors() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SET", "s", "abc"]);
    assert_eq!(
        query_err(&mut con, &["GETRANGE", "s", "a", "1"]),
        NOT_INTEGER
    );
    assert_eq!(
        query_err(&mut con, &["GETRANGE", "s", "0", "1.0"]),
        NOT_INTEGER
    );
    assert_eq!(
        query_err(&mut con, &["GETRANGE", "s", "0"]),
        "ERR wrong number of arguments for 'getrange' command"
    );
    query::<()>(&mut con, &["SADD", "set", "m"]);
    assert_eq!(
        query_err(&mut con, &["GETRANGE", "set", "0", "1"]),
        WRONGTYPE
    );
}

/// Bytes that are not all alike, so that a shifted or truncated copy does not compare equal.
fn pattern(len: usize) -> Vec<u8> {
    let mut x: u32 = 0x1234_5678;
    (0..len)
        .map(|_| {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (x >> 24) as u8
        })
        .collect()
}

#[test]
fn a_value_of_a_few_megabytes_round_trips_byte_exact() {
    // Arguments of 1 MiB and more are streamed into a file as they arrive, and big values are
    // streamed back from it: both paths, and both sides of the threshold.
    let server = Server::start();
    let mut con = server.con();
    for len in [(1 << 20) - 1, 1 << 20, 3 * (1 << 20) + 12_345] {
        let value = pattern(len);
        let key = format!("big{len}");
        let reply: Value = redis::cmd("SET")
            .arg(&key)
            .arg(&value[..])
            .query(&mut con)
            .unwrap();
        assert_eq!(reply, Value::Okay);
        let back: Vec<u8> = redis::cmd("GET").arg(&key).query(&mut con).unwrap();
        assert_eq!(back.len(), value.len());
        assert!(back == value, "GET {key} differs from what was SET");
        let middle: Vec<u8> = redis::cmd("GETRANGE")
            .arg(&key)
            .arg(1000)
            .arg(len - 1000)
            .query(&mut con)
            .unwrap();
        assert!(middle[..] == value[1000..=len - 1000]);
    }
    // The connection is still in sync after the big replies.
    assert_eq!(query::<String>(&mut con, &["PING"]), "PONG");
}

#[test]
fn a_big_value_replaces_a_small_one_and_back() {
    let server = Server::start();
    let mut con = server.con();
    let big = pattern(2 << 20);
    query::<()>(&mut con, &["SET", "k", "small"]);
    let _: () = redis::cmd("SET")
        .arg("k")
        .arg(&big[..])
        .query(&mut con)
        .unwrap();
    let back: Vec<u8> = redis::cmd("GET").arg("k").query(&mut con).unwrap();
    assert!(back == big);
    query::<()>(&mut con, &["SET", "k", "small again"]);
    assert_eq!(get(&mut con, "k").as_deref(), Some("small again"));
}

fn bytes(con: &mut redis::Connection, words: &[&[u8]]) -> Value {
    common::command(words).query(con).unwrap()
}

fn get_bytes(con: &mut redis::Connection, key: &str) -> Vec<u8> {
    redis::cmd("GET").arg(key).query(con).unwrap()
}

#[test]
fn append_creates_or_extends_and_returns_the_length() {
    let server = Server::start();
    let mut con = server.con();
    assert_eq!(query::<i64>(&mut con, &["APPEND", "k", "Hello"]), 5);
    assert_eq!(query::<i64>(&mut con, &["APPEND", "k", " World"]), 11);
    assert_eq!(query::<i64>(&mut con, &["APPEND", "k", ""]), 11);
    assert_eq!(get(&mut con, "k").as_deref(), Some("Hello World"));
    assert_eq!(query::<i64>(&mut con, &["APPEND", "e", ""]), 0);
    assert_eq!(query::<i64>(&mut con, &["EXISTS", "e"]), 1);
    assert_eq!(
        bytes(&mut con, &[b"APPEND", b"bin", b"\x00\xff"]),
        Value::Int(2)
    );
    assert_eq!(
        bytes(&mut con, &[b"APPEND", b"bin", b"\r\n"]),
        Value::Int(4)
    );
    assert_eq!(get_bytes(&mut con, "bin"), b"\x00\xff\r\n");
    query::<()>(&mut con, &["HSET", "h", "f", "v"]);
    assert_eq!(query_err(&mut con, &["APPEND", "h", "x"]), WRONGTYPE);
    assert_eq!(
        query_err(&mut con, &["APPEND", "k"]),
        "ERR wrong number of arguments for 'append' command"
    );
}

#[test]
fn append_setrange_and_incrbyfloat_keep_the_expiry_getset_and_mset_drop_it() {
    let server = Server::start();
    let mut con = server.con();
    for key in ["a", "r", "f", "g", "m"] {
        query::<()>(&mut con, &["SET", key, "1", "PX", "300"]);
    }
    query::<()>(&mut con, &["APPEND", "a", "x"]);
    query::<()>(&mut con, &["SETRANGE", "r", "3", "x"]);
    query::<()>(&mut con, &["INCRBYFLOAT", "f", "1.5"]);
    query::<()>(&mut con, &["GETSET", "g", "2"]);
    query::<()>(&mut con, &["MSET", "m", "2"]);
    sleep(Duration::from_millis(500));
    for gone in ["a", "r", "f"] {
        assert_eq!(get(&mut con, gone), None, "{gone} kept its expiry");
    }
    assert_eq!(get(&mut con, "g").as_deref(), Some("2"));
    assert_eq!(get(&mut con, "m").as_deref(), Some("2"));
}

#[test]
fn append_and_setrange_refuse_to_pass_proto_max_bulk_len() {
    let server = Server::start_with(&["--proto-max-bulk-len", "1mb"]);
    let mut con = server.con();
    const MAX: usize = 1 << 20;
    let value = vec![b'x'; MAX - 2];
    let _: () = redis::cmd("SET")
        .arg("k")
        .arg(&value)
        .query(&mut con)
        .unwrap();
    assert_eq!(query::<i64>(&mut con, &["APPEND", "k", "ab"]), MAX as i64);
    assert_eq!(query_err(&mut con, &["APPEND", "k", "c"]), TOO_BIG);
    assert_eq!(query::<i64>(&mut con, &["STRLEN", "k"]), MAX as i64);
    let last = (MAX - 1).to_string();
    assert_eq!(
        query::<i64>(&mut con, &["SETRANGE", "n", &last, "y"]),
        MAX as i64
    );
    assert_eq!(
        query_err(&mut con, &["SETRANGE", "n", &MAX.to_string(), "y"]),
        TOO_BIG
    );
    assert_eq!(
        query_err(&mut con, &["SETRANGE", "n", "9223372036854775807", "y"]),
        TOO_BIG
    );
    let last_bit = (MAX * 8 - 1).to_string();
    assert_eq!(query::<i64>(&mut con, &["SETBIT", "b", &last_bit, "1"]), 0);
    let past = (MAX * 8).to_string();
    assert_eq!(
        query_err(&mut con, &["SETBIT", "b", &past, "1"]),
        BAD_OFFSET
    );
    assert_eq!(query_err(&mut con, &["GETBIT", "b", &past]), BAD_OFFSET);
}

#[test]
fn decr_and_decrby_count_down_from_zero() {
    let server = Server::start();
    let mut con = server.con();
    assert_eq!(query::<i64>(&mut con, &["DECR", "n"]), -1);
    assert_eq!(query::<i64>(&mut con, &["DECRBY", "n", "10"]), -11);
    assert_eq!(query::<i64>(&mut con, &["DECRBY", "n", "-20"]), 9);
    query::<()>(&mut con, &["SET", "min", "-9223372036854775808"]);
    assert_eq!(query_err(&mut con, &["DECR", "min"]), OVERFLOW);
    query::<()>(&mut con, &["SET", "max", "9223372036854775807"]);
    assert_eq!(query_err(&mut con, &["DECRBY", "max", "-1"]), OVERFLOW);
    assert_eq!(
        query_err(&mut con, &["DECRBY", "n", "-9223372036854775808"]),
        "ERR decrement would overflow"
    );
    query::<()>(&mut con, &["SET", "s", "abc"]);
    assert_eq!(query_err(&mut con, &["DECR", "s"]), NOT_INTEGER);
    assert_eq!(query_err(&mut con, &["DECRBY", "n", "1.5"]), NOT_INTEGER);
    query::<()>(&mut con, &["SADD", "set", "m"]);
    assert_eq!(query_err(&mut con, &["DECR", "set"]), WRONGTYPE);
    assert_eq!(query::<i64>(&mut con, &["GET", "n"]), 9);
}

#[test]
fn incrbyfloat_adds_in_long_double_and_prints_as_redis() {
    let server = Server::start();
    let mut con = server.con();
    for (increment, want) in [
        ("10.50", "10.5"),
        ("0.1", "10.6"),
        ("-5.0e3", "-4989.39999999999999991"),
        ("4989.39999999999999991", "0"),
        ("0x1p-2", "0.25"),
        ("+.5e1", "5.25"),
        ("1e30", "1000000000000000000024696061952"),
    ] {
        assert_eq!(
            query::<String>(&mut con, &["INCRBYFLOAT", "f", increment]),
            want,
            "INCRBYFLOAT f {increment}"
        );
    }
    assert_eq!(
        get(&mut con, "f").as_deref(),
        Some("1000000000000000000024696061952")
    );
    // Three tenths add up as in Redis, not as in doubles.
    for want in ["0.1", "0.2", "0.3"] {
        assert_eq!(
            query::<String>(&mut con, &["INCRBYFLOAT", "t", "0.1"]),
            want
        );
    }
    query::<()>(&mut con, &["SET", "i", "5"]);
    assert_eq!(query::<String>(&mut con, &["INCRBYFLOAT", "i", "2"]), "7");
    assert_eq!(query::<String>(&mut con, &["INCRBYFLOAT", "i", "-7"]), "0");
}

#[test]
fn incrbyfloat_errors() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SET", "f", "1.5"]);
    for bad in ["abc", "", " 1", "1 ", "nan", "1e", "0x", "1e5000"] {
        assert_eq!(
            query_err(&mut con, &["INCRBYFLOAT", "f", bad]),
            NOT_FLOAT,
            "INCRBYFLOAT f {bad:?}"
        );
    }
    let nul: &[&[u8]] = &[b"INCRBYFLOAT", b"f", b"1\x00"];
    assert_eq!(common::err(&common::command(nul), &mut con), NOT_FLOAT);
    for infinite in ["inf", "-infinity", "1.1e4932"] {
        query::<()>(&mut con, &["SET", "g", "1.1e4932"]);
        assert_eq!(
            query_err(&mut con, &["INCRBYFLOAT", "g", infinite]),
            "ERR increment would produce NaN or Infinity"
        );
    }
    query::<()>(&mut con, &["SET", "s", "1.5x"]);
    assert_eq!(query_err(&mut con, &["INCRBYFLOAT", "s", "1"]), NOT_FLOAT);
    query::<()>(&mut con, &["HSET", "h", "f", "1"]);
    assert_eq!(query_err(&mut con, &["INCRBYFLOAT", "h", "1"]), WRONGTYPE);
    assert_eq!(get(&mut con, "f").as_deref(), Some("1.5"));
    assert_eq!(get(&mut con, "s").as_deref(), Some("1.5x"));
}

#[test]
fn getdel_returns_and_deletes_getset_returns_and_replaces() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SET", "k", "v"]);
    assert_eq!(
        query::<Option<String>>(&mut con, &["GETDEL", "k"]).as_deref(),
        Some("v")
    );
    assert_eq!(query::<i64>(&mut con, &["EXISTS", "k"]), 0);
    assert_eq!(query::<Value>(&mut con, &["GETDEL", "k"]), Value::Nil);
    assert_eq!(query::<Value>(&mut con, &["GETSET", "k", "1"]), Value::Nil);
    assert_eq!(
        query::<Option<String>>(&mut con, &["GETSET", "k", "2"]).as_deref(),
        Some("1")
    );
    assert_eq!(get(&mut con, "k").as_deref(), Some("2"));
    query::<()>(&mut con, &["HSET", "h", "f", "v"]);
    assert_eq!(query_err(&mut con, &["GETDEL", "h"]), WRONGTYPE);
    assert_eq!(query_err(&mut con, &["GETSET", "h", "x"]), WRONGTYPE);
    assert_eq!(query::<String>(&mut con, &["TYPE", "h"]), "hash");
}

#[test]
fn getex_sets_or_removes_the_expiry() {
    let server = Server::start();
    let mut con = server.con();
    for key in ["px", "ex", "persist", "plain"] {
        query::<()>(&mut con, &["SET", key, key]);
    }
    query::<()>(&mut con, &["SET", "persist", "persist", "PX", "200"]);
    let get_ex =
        |con: &mut redis::Connection, words: &[&str]| -> Option<String> { query(con, words) };
    assert_eq!(
        get_ex(&mut con, &["GETEX", "px", "PX", "200"]).as_deref(),
        Some("px")
    );
    assert_eq!(
        get_ex(&mut con, &["GETEX", "ex", "ex", "100"]).as_deref(),
        Some("ex")
    );
    assert_eq!(
        get_ex(&mut con, &["GETEX", "persist", "PERSIST"]).as_deref(),
        Some("persist")
    );
    assert_eq!(
        get_ex(&mut con, &["GETEX", "plain"]).as_deref(),
        Some("plain")
    );
    sleep(Duration::from_millis(400));
    assert_eq!(get(&mut con, "px"), None);
    for kept in ["ex", "persist", "plain"] {
        assert_eq!(get(&mut con, kept).as_deref(), Some(kept));
    }
    // A deadline in the past deletes the key, after answering its value.
    let past_ms = (now_ms() - 1000).to_string();
    assert_eq!(
        get_ex(&mut con, &["GETEX", "ex", "PXAT", &past_ms]).as_deref(),
        Some("ex")
    );
    assert_eq!(query::<i64>(&mut con, &["EXISTS", "ex"]), 0);
    assert_eq!(
        get_ex(&mut con, &["GETEX", "plain", "EXAT", "1"]).as_deref(),
        Some("plain")
    );
    assert_eq!(query::<i64>(&mut con, &["EXISTS", "plain"]), 0);
    let later = ((now_ms() + 60_000) / 1000).to_string();
    assert_eq!(
        get_ex(&mut con, &["GETEX", "persist", "EXAT", &later]).as_deref(),
        Some("persist")
    );
    assert_eq!(get_ex(&mut con, &["GETEX", "nosuchkey", "EX", "10"]), None);
}

#[test]
fn getex_errors() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SET", "k", "v"]);
    for words in [
        &["GETEX", "k", "EX", "10", "PX", "10"][..],
        &["GETEX", "k", "PERSIST", "EX", "10"],
        &["GETEX", "k", "EX", "10", "PERSIST"],
        &["GETEX", "k", "EX"],
        &["GETEX", "k", "NX"],
        &["GETEX", "k", "KEEPTTL"],
        &["GETEX", "k", "GET"],
        &["GETEX", "nosuchkey", "FOO"],
    ] {
        assert_eq!(query_err(&mut con, words), SYNTAX, "{words:?}");
    }
    for words in [
        &["GETEX", "k", "EX", "0"][..],
        &["GETEX", "k", "PX", "-5"],
        &["GETEX", "k", "EX", "9223372036854775807"],
        &["GETEX", "k", "PXAT", "0"],
    ] {
        assert_eq!(
            query_err(&mut con, words),
            "ERR invalid expire time in 'getex' command",
            "{words:?}"
        );
    }
    assert_eq!(
        query_err(&mut con, &["GETEX", "k", "EX", "1.5"]),
        NOT_INTEGER
    );
    // The value of a missing key is nil before the expiry is looked at.
    assert_eq!(
        query::<Value>(&mut con, &["GETEX", "nosuchkey", "EX", "0"]),
        Value::Nil
    );
    query::<()>(&mut con, &["SADD", "s", "m"]);
    assert_eq!(query_err(&mut con, &["GETEX", "s"]), WRONGTYPE);
    assert_eq!(query_err(&mut con, &["GETEX", "s", "EX", "0"]), WRONGTYPE);
    assert_eq!(get(&mut con, "k").as_deref(), Some("v"));
}

#[test]
fn setex_and_psetex_set_a_value_that_expires() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["HSET", "k", "f", "v"]);
    assert_eq!(
        query::<Value>(&mut con, &["PSETEX", "k", "200", "v"]),
        Value::Okay
    );
    assert_eq!(
        query::<Value>(&mut con, &["SETEX", "s", "100", "v"]),
        Value::Okay
    );
    assert_eq!(get(&mut con, "k").as_deref(), Some("v"));
    sleep(Duration::from_millis(400));
    assert_eq!(get(&mut con, "k"), None);
    assert_eq!(get(&mut con, "s").as_deref(), Some("v"));
    for (command, expire) in [
        ("SETEX", "0"),
        ("SETEX", "-1"),
        ("SETEX", "9223372036854775807"),
        ("PSETEX", "0"),
        ("PSETEX", "-100"),
    ] {
        assert_eq!(
            query_err(&mut con, &[command, "k", expire, "v"]),
            format!(
                "ERR invalid expire time in '{}' command",
                command.to_lowercase()
            )
        );
    }
    assert_eq!(query_err(&mut con, &["SETEX", "k", "x", "v"]), NOT_INTEGER);
    assert_eq!(
        query_err(&mut con, &["SETEX", "k", "10"]),
        "ERR wrong number of arguments for 'setex' command"
    );
    assert_eq!(query::<i64>(&mut con, &["EXISTS", "k"]), 0);
}

#[test]
fn setnx_sets_only_a_missing_key() {
    let server = Server::start();
    let mut con = server.con();
    assert_eq!(query::<i64>(&mut con, &["SETNX", "k", "1"]), 1);
    assert_eq!(query::<i64>(&mut con, &["SETNX", "k", "2"]), 0);
    assert_eq!(get(&mut con, "k").as_deref(), Some("1"));
    query::<()>(&mut con, &["SADD", "s", "m"]);
    assert_eq!(query::<i64>(&mut con, &["SETNX", "s", "2"]), 0);
    query::<()>(&mut con, &["SET", "old", "v", "PX", "50"]);
    sleep(Duration::from_millis(150));
    assert_eq!(query::<i64>(&mut con, &["SETNX", "old", "new"]), 1);
    assert_eq!(get(&mut con, "old").as_deref(), Some("new"));
}

#[test]
fn mget_answers_nil_for_missing_keys_and_other_types() {
    let server = Server::start();
    let mut con = server.con();
    assert_eq!(
        query::<Value>(&mut con, &["MSET", "a", "1", "b", "", "a", "3"]),
        Value::Okay
    );
    query::<()>(&mut con, &["HSET", "h", "f", "v"]);
    assert_eq!(
        query::<Vec<Option<String>>>(&mut con, &["MGET", "a", "b", "h", "nosuchkey", "a"]),
        [
            Some("3".into()),
            Some("".into()),
            None,
            None,
            Some("3".into())
        ]
    );
    // MSET replaces keys of any type.
    query::<()>(&mut con, &["MSET", "h", "x"]);
    assert_eq!(get(&mut con, "h").as_deref(), Some("x"));
    assert_eq!(
        query_err(&mut con, &["MSET", "a", "1", "b"]),
        "ERR wrong number of arguments for 'mset' command"
    );
    assert_eq!(
        query_err(&mut con, &["MSETNX", "a"]),
        "ERR wrong number of arguments for 'msetnx' command"
    );
    assert_eq!(
        query_err(&mut con, &["MGET"]),
        "ERR wrong number of arguments for 'mget' command"
    );
}

#[test]
fn msetnx_sets_all_or_nothing() {
    let server = Server::start();
    let mut con = server.con();
    assert_eq!(query::<i64>(&mut con, &["MSETNX", "a", "1", "b", "2"]), 1);
    assert_eq!(
        query::<i64>(&mut con, &["MSETNX", "c", "3", "b", "x", "d", "4"]),
        0
    );
    assert_eq!(query::<i64>(&mut con, &["EXISTS", "c", "d"]), 0);
    assert_eq!(get(&mut con, "b").as_deref(), Some("2"));
    // A key of another type counts as existing; an expired one does not.
    query::<()>(&mut con, &["SADD", "s", "m"]);
    assert_eq!(query::<i64>(&mut con, &["MSETNX", "c", "3", "s", "x"]), 0);
    query::<()>(&mut con, &["SET", "old", "v", "PX", "50"]);
    sleep(Duration::from_millis(150));
    assert_eq!(
        query::<i64>(&mut con, &["MSETNX", "old", "1", "c", "3", "c", "4"]),
        1
    );
    assert_eq!(
        query::<Vec<String>>(&mut con, &["MGET", "old", "c"]),
        ["1", "4"]
    );
}

#[test]
fn setrange_overwrites_and_pads_with_zeros() {
    let server = Server::start();
    let mut con = server.con();
    assert_eq!(query::<i64>(&mut con, &["SETRANGE", "k", "5", "abc"]), 8);
    assert_eq!(get_bytes(&mut con, "k"), b"\0\0\0\0\0abc");
    assert_eq!(query::<i64>(&mut con, &["SETRANGE", "k", "1", "XY"]), 8);
    assert_eq!(get_bytes(&mut con, "k"), b"\0XY\0\0abc");
    assert_eq!(query::<i64>(&mut con, &["SETRANGE", "k", "7", "long"]), 11);
    assert_eq!(get_bytes(&mut con, "k"), b"\0XY\0\0ablong");
    // Setting nothing answers the length and creates nothing.
    assert_eq!(query::<i64>(&mut con, &["SETRANGE", "k", "100", ""]), 11);
    assert_eq!(query::<i64>(&mut con, &["SETRANGE", "none", "3", ""]), 0);
    assert_eq!(query::<i64>(&mut con, &["EXISTS", "none"]), 0);
    assert_eq!(
        query_err(&mut con, &["SETRANGE", "k", "-1", "x"]),
        "ERR offset is out of range"
    );
    assert_eq!(
        query_err(&mut con, &["SETRANGE", "k", "x", "x"]),
        NOT_INTEGER
    );
    query::<()>(&mut con, &["HSET", "h", "f", "v"]);
    assert_eq!(query_err(&mut con, &["SETRANGE", "h", "0", ""]), WRONGTYPE);
    assert_eq!(query_err(&mut con, &["SETRANGE", "h", "0", "x"]), WRONGTYPE);
    assert_eq!(get_bytes(&mut con, "k"), b"\0XY\0\0ablong");
}

#[test]
fn strlen_of_values_missing_keys_and_other_types() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SET", "k", "Hello World"]);
    query::<()>(&mut con, &["SET", "e", ""]);
    assert_eq!(query::<i64>(&mut con, &["STRLEN", "k"]), 11);
    assert_eq!(query::<i64>(&mut con, &["STRLEN", "e"]), 0);
    assert_eq!(query::<i64>(&mut con, &["STRLEN", "nosuchkey"]), 0);
    query::<()>(&mut con, &["SADD", "s", "m"]);
    assert_eq!(query_err(&mut con, &["STRLEN", "s"]), WRONGTYPE);
}

/// The ranges of `LCS ... IDX` as the `redis` crate reads them in RESP2.
fn ints(values: &[i64]) -> Value {
    Value::Array(values.iter().map(|&n| Value::Int(n)).collect())
}

#[test]
fn lcs_string_length_and_indexes() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["MSET", "a", "ohmytext", "b", "mynewtext"]);
    assert_eq!(query::<String>(&mut con, &["LCS", "a", "b"]), "mytext");
    assert_eq!(query::<i64>(&mut con, &["LCS", "a", "b", "LEN"]), 6);
    let matches = |entries: Vec<Value>| {
        Value::Array(vec![
            Value::BulkString(b"matches".to_vec()),
            Value::Array(entries),
            Value::BulkString(b"len".to_vec()),
            Value::Int(6),
        ])
    };
    assert_eq!(
        query::<Value>(&mut con, &["LCS", "a", "b", "IDX"]),
        matches(vec![
            Value::Array(vec![ints(&[4, 7]), ints(&[5, 8])]),
            Value::Array(vec![ints(&[2, 3]), ints(&[0, 1])]),
        ])
    );
    assert_eq!(
        query::<Value>(
            &mut con,
            &["LCS", "a", "b", "idx", "minmatchlen", "4", "withmatchlen"]
        ),
        matches(vec![Value::Array(vec![
            ints(&[4, 7]),
            ints(&[5, 8]),
            Value::Int(4)
        ])])
    );
    assert_eq!(
        query::<Value>(
            &mut con,
            &["LCS", "a", "b", "IDX", "MINMATCHLEN", "-3", "WITHMATCHLEN"]
        ),
        matches(vec![
            Value::Array(vec![ints(&[4, 7]), ints(&[5, 8]), Value::Int(4)]),
            Value::Array(vec![ints(&[2, 3]), ints(&[0, 1]), Value::Int(2)]),
        ])
    );
    // Missing keys are empty strings.
    assert_eq!(query::<String>(&mut con, &["LCS", "a", "nosuchkey"]), "");
    assert_eq!(query::<i64>(&mut con, &["LCS", "nosuchkey", "a", "LEN"]), 0);
}

#[test]
fn lcs_in_resp3_is_a_map() {
    let server = Server::start();
    let mut raw = server.raw();
    raw.call(&["HELLO", "3"]);
    raw.call(&["MSET", "a", "ohmytext", "b", "mynewtext"]);
    assert_eq!(
        raw.call(&["LCS", "a", "b", "IDX", "MINMATCHLEN", "3", "WITHMATCHLEN"]),
        "%2\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n\
         $3\r\nlen\r\n:6\r\n"
    );
}

#[test]
fn lcs_errors() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["MSET", "a", "ohmytext", "b", "mynewtext"]);
    query::<()>(&mut con, &["HSET", "h", "f", "v"]);
    assert_eq!(
        query_err(&mut con, &["LCS", "a", "h"]),
        "ERR The specified keys must contain string values"
    );
    assert_eq!(
        query_err(&mut con, &["LCS", "a", "b", "LEN", "IDX"]),
        "ERR If you want both the length and indexes, please just use IDX."
    );
    for words in [
        &["LCS", "a", "b", "FOO"][..],
        &["LCS", "a", "b", "MINMATCHLEN"],
    ] {
        assert_eq!(query_err(&mut con, words), SYNTAX);
    }
    assert_eq!(
        query_err(&mut con, &["LCS", "a", "b", "MINMATCHLEN", "x"]),
        NOT_INTEGER
    );
    // The table Redis would allocate is bounded by proto-max-bulk-len (512 MiB here).
    let long = vec![b'x'; 12_000];
    let other = vec![b'y'; 12_000];
    let _: () = redis::cmd("MSET")
        .arg("x")
        .arg(&long)
        .arg("y")
        .arg(&other)
        .query(&mut con)
        .unwrap();
    assert_eq!(
        query_err(&mut con, &["LCS", "x", "y", "LEN"]),
        "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"
    );
    assert_eq!(query::<i64>(&mut con, &["LCS", "x", "a", "LEN"]), 1);
}

#[test]
fn setbit_and_getbit() {
    let server = Server::start();
    let mut con = server.con();
    assert_eq!(query::<i64>(&mut con, &["SETBIT", "b", "7", "1"]), 0);
    assert_eq!(query::<i64>(&mut con, &["SETBIT", "b", "7", "1"]), 1);
    assert_eq!(query::<i64>(&mut con, &["SETBIT", "b", "1", "1"]), 0);
    assert_eq!(get_bytes(&mut con, "b"), b"\x41");
    assert_eq!(query::<i64>(&mut con, &["SETBIT", "b", "7", "0"]), 1);
    // Clearing a bit past the end still grows the value.
    assert_eq!(query::<i64>(&mut con, &["SETBIT", "b", "23", "0"]), 0);
    assert_eq!(get_bytes(&mut con, "b"), b"\x40\0\0");
    for (offset, want) in [("1", 1), ("0", 0), ("7", 0), ("23", 0), ("1000", 0)] {
        assert_eq!(
            query::<i64>(&mut con, &["GETBIT", "b", offset]),
            want,
            "{offset}"
        );
    }
    assert_eq!(query::<i64>(&mut con, &["GETBIT", "nosuchkey", "5"]), 0);
    for bad in ["-1", "x", "1.5", "4294967296"] {
        assert_eq!(
            query_err(&mut con, &["SETBIT", "b", bad, "1"]),
            BAD_OFFSET,
            "{bad}"
        );
        assert_eq!(
            query_err(&mut con, &["GETBIT", "b", bad]),
            BAD_OFFSET,
            "{bad}"
        );
    }
    for bad in ["2", "-1", "x", ""] {
        assert_eq!(
            query_err(&mut con, &["SETBIT", "b", "1", bad]),
            BAD_BIT,
            "{bad}"
        );
    }
    query::<()>(&mut con, &["SADD", "s", "m"]);
    assert_eq!(query_err(&mut con, &["SETBIT", "s", "1", "1"]), WRONGTYPE);
    assert_eq!(query_err(&mut con, &["GETBIT", "s", "1"]), WRONGTYPE);
    assert_eq!(get_bytes(&mut con, "b"), b"\x40\0\0");
}

#[test]
fn bitcount_over_bytes_and_bits() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SET", "k", "foobar"]);
    for (words, want) in [
        (&["BITCOUNT", "k"][..], 26),
        (&["BITCOUNT", "k", "0", "0"], 4),
        (&["BITCOUNT", "k", "1", "1"], 6),
        (&["BITCOUNT", "k", "1", "1", "byte"], 6),
        (&["BITCOUNT", "k", "5", "30", "BIT"], 17),
        (&["BITCOUNT", "k", "-1", "-1"], 4),
        (&["BITCOUNT", "k", "-2", "-1", "bit"], 1),
        (&["BITCOUNT", "k", "-100", "100"], 26),
        (&["BITCOUNT", "k", "-1", "-2"], 0),
        (&["BITCOUNT", "k", "-10", "-20"], 0),
        (&["BITCOUNT", "k", "4", "2"], 0),
        (&["BITCOUNT", "nosuchkey"], 0),
        (&["BITCOUNT", "nosuchkey", "0", "-1", "BIT"], 0),
    ] {
        assert_eq!(query::<i64>(&mut con, words), want, "{words:?}");
    }
    for words in [
        &["BITCOUNT", "k", "0"][..],
        &["BITCOUNT", "k", "0", "1", "foo"],
        &["BITCOUNT", "k", "0", "1", "bit", "x"],
    ] {
        assert_eq!(query_err(&mut con, words), SYNTAX, "{words:?}");
    }
    assert_eq!(
        query_err(&mut con, &["BITCOUNT", "k", "0", "x"]),
        NOT_INTEGER
    );
    query::<()>(&mut con, &["SADD", "s", "m"]);
    assert_eq!(query_err(&mut con, &["BITCOUNT", "s"]), WRONGTYPE);
}

#[test]
fn bitpos_finds_the_first_set_or_clear_bit() {
    let server = Server::start();
    let mut con = server.con();
    let _: () = redis::cmd("MSET")
        .arg("k")
        .arg(b"\xff\xf0\x00")
        .arg("ones")
        .arg(b"\xff\xff\xff")
        .arg("e")
        .arg("")
        .query(&mut con)
        .unwrap();
    for (words, want) in [
        (&["BITPOS", "k", "0"][..], 12),
        (&["BITPOS", "k", "1"], 0),
        (&["BITPOS", "k", "1", "2"], -1),
        (&["BITPOS", "k", "1", "1", "-1", "BYTE"], 8),
        (&["BITPOS", "k", "0", "7", "15", "bit"], 12),
        (&["BITPOS", "k", "1", "12", "23", "BIT"], -1),
        // Without an end, the bits after the value count as clear; with one, they do not.
        (&["BITPOS", "ones", "0"], 24),
        (&["BITPOS", "ones", "0", "1"], 24),
        (&["BITPOS", "ones", "0", "0", "-1"], -1),
        (&["BITPOS", "ones", "0", "3"], -1),
        (&["BITPOS", "ones", "1", "-20", "-10", "bit"], 4),
        (&["BITPOS", "ones", "1", "-10", "-20"], 0),
        (&["BITPOS", "e", "0"], -1),
        (&["BITPOS", "e", "1"], -1),
        (&["BITPOS", "nosuchkey", "0"], 0),
        (&["BITPOS", "nosuchkey", "1"], -1),
        (&["BITPOS", "nosuchkey", "0", "5", "10", "BIT"], 0),
    ] {
        assert_eq!(query::<i64>(&mut con, words), want, "{words:?}");
    }
    assert_eq!(
        query_err(&mut con, &["BITPOS", "k", "2"]),
        "ERR The bit argument must be 1 or 0."
    );
    assert_eq!(query_err(&mut con, &["BITPOS", "k", "x"]), NOT_INTEGER);
    for words in [
        &["BITPOS", "k", "1", "0", "1", "foo"][..],
        // The unit is checked before the end.
        &["BITPOS", "k", "1", "0", "x", "foo"],
        &["BITPOS", "k", "1", "0", "1", "bit", "x"],
    ] {
        assert_eq!(query_err(&mut con, words), SYNTAX, "{words:?}");
    }
    assert_eq!(
        query_err(&mut con, &["BITPOS", "k", "1", "0", "x", "bit"]),
        NOT_INTEGER
    );
    query::<()>(&mut con, &["SADD", "s", "m"]);
    assert_eq!(query_err(&mut con, &["BITPOS", "s", "1"]), WRONGTYPE);
}

#[test]
fn bitcount_and_bitpos_check_their_arguments_before_the_key() {
    if skip_in_reference(REDIS_7_2) {
        return;
    }
    let server = Server::start();
    let mut con = server.con();
    for words in [
        &["BITCOUNT", "nosuchkey", "0", "1", "foo"][..],
        &["BITCOUNT", "nosuchkey", "0"],
        &["BITPOS", "nosuchkey", "1", "0", "1", "foo"],
    ] {
        assert_eq!(query_err(&mut con, words), SYNTAX, "{words:?}");
    }
    for words in [
        &["BITCOUNT", "nosuchkey", "x", "1"][..],
        &["BITPOS", "nosuchkey", "1", "x"],
        &["BITPOS", "nosuchkey", "1", "0", "x"],
    ] {
        assert_eq!(query_err(&mut con, words), NOT_INTEGER, "{words:?}");
    }
}

#[test]
fn bitop_combines_keys_into_the_destination() {
    let server = Server::start();
    let mut con = server.con();
    let _: () = redis::cmd("MSET")
        .arg("a")
        .arg(b"\xf0\x0f\xaa")
        .arg("b")
        .arg(b"\xff\x00")
        .query(&mut con)
        .unwrap();
    query::<()>(&mut con, &["SET", "dest", "old", "EX", "100"]);
    for (op, want) in [
        ("AND", &b"\xf0\x00\x00"[..]),
        ("or", b"\xff\x0f\xaa"),
        ("Xor", b"\x0f\x0f\xaa"),
    ] {
        assert_eq!(
            query::<i64>(&mut con, &["BITOP", op, "dest", "a", "b", "nosuchkey"]),
            3
        );
        let want = if op == "AND" { &b"\0\0\0"[..] } else { want };
        assert_eq!(get_bytes(&mut con, "dest"), want, "{op}");
    }
    assert_eq!(
        query::<i64>(&mut con, &["BITOP", "AND", "dest", "a", "b"]),
        3
    );
    assert_eq!(get_bytes(&mut con, "dest"), b"\xf0\x00\x00");
    assert_eq!(query::<i64>(&mut con, &["BITOP", "NOT", "dest", "a"]), 3);
    assert_eq!(get_bytes(&mut con, "dest"), b"\x0f\xf0\x55");
    // The destination may be a source.
    assert_eq!(query::<i64>(&mut con, &["BITOP", "XOR", "a", "a", "b"]), 3);
    assert_eq!(get_bytes(&mut con, "a"), b"\x0f\x0f\xaa");
    // Nothing to store deletes the destination.
    assert_eq!(
        query::<i64>(&mut con, &["BITOP", "OR", "dest", "nosuchkey"]),
        0
    );
    assert_eq!(query::<i64>(&mut con, &["EXISTS", "dest"]), 0);
    assert_eq!(
        query_err(&mut con, &["BITOP", "NOT", "dest", "a", "b"]),
        "ERR BITOP NOT must be called with a single source key."
    );
    assert_eq!(query_err(&mut con, &["BITOP", "NAND", "dest", "a"]), SYNTAX);
    query::<()>(&mut con, &["SADD", "s", "m"]);
    assert_eq!(
        query_err(&mut con, &["BITOP", "AND", "dest", "a", "s"]),
        WRONGTYPE
    );
    assert_eq!(query::<i64>(&mut con, &["EXISTS", "dest"]), 0);
    assert_eq!(
        query_err(&mut con, &["BITOP", "AND", "dest"]),
        "ERR wrong number of arguments for 'bitop' command"
    );
}

#[test]
fn the_command_table_gives_redis_key_positions() {
    let server = Server::start();
    let mut con = server.con();
    for (name, first, last, step) in [
        ("mset", 1, -1, 2),
        ("msetnx", 1, -1, 2),
        ("mget", 1, -1, 1),
        ("lcs", 1, 2, 1),
        ("bitop", 2, -1, 1),
        ("getex", 1, 1, 1),
    ] {
        let info: Vec<Value> = query(&mut con, &["COMMAND", "INFO", name]);
        let Value::Array(entry) = &info[0] else {
            panic!("no entry for {name}: {info:?}");
        };
        assert_eq!(
            entry[3..6],
            [Value::Int(first), Value::Int(last), Value::Int(step)],
            "{name}"
        );
    }
}

// ---- values larger than 64 KiB: written in place ----

fn type_file(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("type")).unwrap()
}

const BIG: usize = 200_000;

#[test]
fn big_values_take_setrange_setbit_append_and_bit_commands() {
    let mut server = Server::start();
    let mut con = server.con();
    let mut model = pattern(BIG);
    let _: () = redis::cmd("SET")
        .arg("k")
        .arg(&model)
        .query(&mut con)
        .unwrap();
    // Overwrite inside, extend past the end with a gap, set and clear bits, append.
    let inside: Vec<u8> = vec![7; 1000];
    let set: i64 = redis::cmd("SETRANGE")
        .arg("k")
        .arg(150_000)
        .arg(&inside)
        .query(&mut con)
        .unwrap();
    assert_eq!(set, BIG as i64);
    model[150_000..151_000].copy_from_slice(&inside);
    let set: i64 = redis::cmd("SETRANGE")
        .arg("k")
        .arg(BIG + 10)
        .arg("tail")
        .query(&mut con)
        .unwrap();
    assert_eq!(set, BIG as i64 + 14);
    model.extend_from_slice(&[0; 10]);
    model.extend_from_slice(b"tail");
    let was_set = model[1234] & 0x80 != 0;
    assert_eq!(
        query::<i64>(&mut con, &["SETBIT", "k", &(1234 * 8).to_string(), "1"]),
        i64::from(was_set)
    );
    model[1234] |= 0x80;
    assert_eq!(
        query::<i64>(
            &mut con,
            &["SETBIT", "k", &((BIG + 20) * 8 + 7).to_string(), "1"]
        ),
        0
    );
    model.extend_from_slice(&[0; 6]);
    model.push(1);
    let append = pattern(70_000);
    let len: i64 = redis::cmd("APPEND")
        .arg("k")
        .arg(&append)
        .query(&mut con)
        .unwrap();
    model.extend_from_slice(&append);
    assert_eq!(len, model.len() as i64);
    let check = |con: &mut redis::Connection, model: &[u8]| {
        assert_eq!(query::<i64>(con, &["STRLEN", "k"]), model.len() as i64);
        assert!(get_bytes(con, "k") == model, "GET differs from the model");
        let slice: Vec<u8> = redis::cmd("GETRANGE")
            .arg("k")
            .arg(149_990)
            .arg(151_009)
            .query(con)
            .unwrap();
        assert!(slice == model[149_990..=151_009]);
        let ones: u64 = model.iter().map(|b| u64::from(b.count_ones())).sum();
        assert_eq!(query::<u64>(con, &["BITCOUNT", "k"]), ones);
        assert_eq!(
            query::<u64>(con, &["BITCOUNT", "k", "100000", "-1000"]),
            model[100_000..model.len() - 999]
                .iter()
                .map(|b| u64::from(b.count_ones()))
                .sum::<u64>()
        );
        let first_clear = (BIG + 14) * 8; // the gap after "tail"
        assert_eq!(
            query::<i64>(con, &["BITPOS", "k", "0", &(BIG + 14).to_string()]),
            first_clear as i64
        );
    };
    check(&mut con, &model);
    // BITOP of two big values.
    let other = pattern(BIG + 5000);
    let _: () = redis::cmd("SET")
        .arg("o")
        .arg(&other[5000..])
        .query(&mut con)
        .unwrap();
    assert_eq!(
        query::<i64>(&mut con, &["BITOP", "XOR", "x", "k", "o"]),
        model.len() as i64
    );
    let xor: Vec<u8> = model
        .iter()
        .enumerate()
        .map(|(i, b)| b ^ other.get(5000 + i).copied().unwrap_or(0))
        .collect();
    assert!(get_bytes(&mut con, "x") == xor, "BITOP XOR differs");
    if skip_in_reference(DREDIS_ONLY) {
        return;
    }
    server.restart();
    let mut con = server.con();
    check(&mut con, &model);
    assert!(get_bytes(&mut con, "x") == xor);
    // The length is recorded in `type`; the value file holds exactly the value.
    let dir = server.key_dir("k");
    assert_eq!(type_file(&dir), format!("string\nsize {}\n", model.len()));
    assert_eq!(
        std::fs::metadata(dir.join("value")).unwrap().len(),
        model.len() as u64
    );
    assert_eq!(
        type_file(&server.key_dir("x")),
        format!("string\nsize {}\n", model.len())
    );
}

#[test]
fn a_small_value_grows_past_64_kib_and_is_read_back_at_once() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SET", "r", "small"]);
    query::<()>(&mut con, &["SET", "a", "small"]);
    query::<()>(&mut con, &["SET", "b", "small"]);
    // Read once, so that the small values are cached.
    assert_eq!(
        query::<Vec<String>>(&mut con, &["MGET", "r", "a", "b"]),
        ["small"; 3]
    );
    assert_eq!(
        query::<i64>(&mut con, &["SETRANGE", "r", "99999", "x"]),
        100_000
    );
    let big = pattern(BIG);
    let len: i64 = redis::cmd("APPEND")
        .arg("a")
        .arg(&big)
        .query(&mut con)
        .unwrap();
    assert_eq!(len, BIG as i64 + 5);
    assert_eq!(query::<i64>(&mut con, &["SETBIT", "b", "799999", "1"]), 0);
    let r = get_bytes(&mut con, "r");
    assert_eq!(
        (r.len(), &r[..5], r[99_999]),
        (100_000, &b"small"[..], b'x')
    );
    assert!(r[5..99_999].iter().all(|&b| b == 0));
    let a = get_bytes(&mut con, "a");
    assert!(a[..5] == *b"small" && a[5..] == big);
    assert_eq!(query::<i64>(&mut con, &["STRLEN", "b"]), 100_000);
    assert_eq!(query::<i64>(&mut con, &["BITCOUNT", "b"]), 21 + 1);
    if skip_in_reference(DREDIS_ONLY) {
        return;
    }
    assert_eq!(type_file(&server.key_dir("r")), "string\nsize 100000\n");
}

#[test]
fn a_big_value_from_an_older_directory_is_read_whole_and_gets_a_size_on_append() {
    if skip_in_reference(DREDIS_ONLY) {
        return;
    }
    let mut server = Server::start();
    let mut con = server.con();
    let mut model = pattern(BIG);
    let _: () = redis::cmd("SET")
        .arg("k")
        .arg(&model)
        .query(&mut con)
        .unwrap();
    drop(con);
    server.shutdown();
    // As written before string lengths were recorded: the value is the whole file.
    let dir = server.key_dir("k");
    std::fs::write(dir.join("type"), "string\n").unwrap();
    server.restart();
    let mut con = server.con();
    assert_eq!(query::<i64>(&mut con, &["STRLEN", "k"]), BIG as i64);
    assert_eq!(
        query::<i64>(&mut con, &["APPEND", "k", "more"]),
        BIG as i64 + 4
    );
    model.extend_from_slice(b"more");
    assert!(get_bytes(&mut con, "k") == model);
    assert_eq!(type_file(&dir), format!("string\nsize {}\n", model.len()));
}

#[test]
fn an_in_place_write_never_changes_a_hard_linked_value_file() {
    if skip_in_reference(DREDIS_ONLY) {
        return;
    }
    let server = Server::start();
    let mut con = server.con();
    let model = pattern(BIG);
    let _: () = redis::cmd("SET")
        .arg("k")
        .arg(&model)
        .query(&mut con)
        .unwrap();
    // A snapshot links the files of the tree rather than copying them.
    let value = server.key_dir("k").join("value");
    let link = server.dir().join("snapshot-link");
    std::fs::hard_link(&value, &link).unwrap();
    query::<()>(&mut con, &["APPEND", "k", "more"]);
    query::<()>(&mut con, &["SETRANGE", "k", "10", "XYZ"]);
    query::<()>(&mut con, &["SETBIT", "k", "0", "1"]);
    assert!(
        std::fs::read(&link).unwrap() == model,
        "the linked file changed"
    );
    let mut now = model.clone();
    now.extend_from_slice(b"more");
    now[10..13].copy_from_slice(b"XYZ");
    now[0] |= 0x80;
    assert!(get_bytes(&mut con, "k") == now);
}

#[test]
fn a_value_being_sent_is_not_changed_under_the_reply() {
    // GET of a big value streams the file after the command has run; a SETRANGE meanwhile
    // must not show in that reply.
    let server = Server::start();
    let mut con = server.con();
    let size = 16 << 20;
    let model = pattern(size);
    let _: () = redis::cmd("SET")
        .arg("k")
        .arg(&model)
        .query(&mut con)
        .unwrap();
    let mut reader = std::net::TcpStream::connect(server.addr()).unwrap();
    std::io::Write::write_all(&mut reader, &common::resp(&["GET", "k"])).unwrap();
    // Let the reply fill the socket buffers and stall.
    sleep(Duration::from_millis(300));
    let patch = vec![0xAB; 4096];
    let offset = size - 8192;
    let _: i64 = redis::cmd("SETRANGE")
        .arg("k")
        .arg(offset)
        .arg(&patch)
        .query(&mut con)
        .unwrap();
    let mut reply = vec![0; format!("${size}\r\n").len() + size + 2];
    std::io::Read::read_exact(&mut reader, &mut reply).unwrap();
    let body = &reply[reply.len() - size - 2..reply.len() - 2];
    assert!(body == model, "the reply in flight saw the SETRANGE");
    let now: Vec<u8> = redis::cmd("GETRANGE")
        .arg("k")
        .arg(offset)
        .arg(offset + 4095)
        .query(&mut con)
        .unwrap();
    assert!(now == patch);
}

// ---- BITFIELD ----

/// BITFIELD's reply, nil (an overflow refused) as None.
fn bitfield(con: &mut redis::Connection, words: &[&str]) -> Vec<Option<i64>> {
    query(con, words)
}

#[test]
fn bitfield_get_set_and_incrby_at_any_width() {
    let server = Server::start();
    let mut con = server.con();
    assert_eq!(
        bitfield(
            &mut con,
            &["BITFIELD", "k", "SET", "i8", "0", "-100", "GET", "u8", "0", "GET", "i8", "0"]
        ),
        [Some(0), Some(156), Some(-100)]
    );
    // INCRBY wraps by default and answers the new value; GET across a byte boundary.
    assert_eq!(
        bitfield(
            &mut con,
            &["BITFIELD", "k", "INCRBY", "i8", "0", "300", "GET", "i4", "4"]
        ),
        [Some(-56), Some(-8)]
    );
    // `#n` is the n-th field of that width.
    assert_eq!(
        bitfield(
            &mut con,
            &["BITFIELD", "k", "SET", "u8", "#3", "255", "GET", "u8", "24", "GET", "u16", "#1"]
        ),
        [Some(0), Some(255), Some(255)]
    );
    assert_eq!(query::<i64>(&mut con, &["STRLEN", "k"]), 4);
    // The widest fields: i64 and u63.
    assert_eq!(
        bitfield(
            &mut con,
            &[
                "BITFIELD",
                "w",
                "SET",
                "i64",
                "0",
                "-9223372036854775808",
                "INCRBY",
                "i64",
                "0",
                "-1",
                "GET",
                "u63",
                "0"
            ]
        ),
        [Some(0), Some(i64::MAX), Some(i64::MAX >> 1)]
    );
    // Reads of a missing key are zeros and create nothing.
    assert_eq!(
        bitfield(&mut con, &["BITFIELD", "nokey", "GET", "u8", "100"]),
        [Some(0)]
    );
    assert_eq!(query::<i64>(&mut con, &["EXISTS", "nokey"]), 0);
}

#[test]
fn bitfield_overflow_wrap_sat_and_fail() {
    let server = Server::start();
    let mut con = server.con();
    assert_eq!(
        bitfield(
            &mut con,
            &[
                "BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "u4", "100", "20", "OVERFLOW",
                "FAIL", "INCRBY", "u4", "100", "20", "OVERFLOW", "WRAP", "INCRBY", "u4", "100",
                "20"
            ]
        ),
        [Some(15), None, Some(3)]
    );
    // SET saturates too; a negative value is a huge one for an unsigned field.
    assert_eq!(
        bitfield(
            &mut con,
            &[
                "BITFIELD", "k", "OVERFLOW", "SAT", "SET", "u8", "200", "-1", "SET", "i8", "208",
                "-1000", "GET", "u8", "200", "GET", "i8", "208", "OVERFLOW", "WRAP", "SET", "u8",
                "216", "-1", "GET", "u8", "216"
            ]
        ),
        [Some(0), Some(0), Some(255), Some(-128), Some(0), Some(255)]
    );
    // A refused write still grows the string to the bits it names, as Redis does.
    assert_eq!(
        bitfield(
            &mut con,
            &["BITFIELD", "new", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "5"]
        ),
        [None]
    );
    assert_eq!(query::<i64>(&mut con, &["STRLEN", "new"]), 1);
}

#[test]
fn bitfield_errors_and_bitfield_ro() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SET", "k", "\u{1}"]);
    let invalid_type = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 \
                        is not supported but i64 is.";
    for (words, error) in [
        (&["BITFIELD", "k", "GET", "u64", "0"][..], invalid_type),
        (&["BITFIELD", "k", "GET", "i65", "0"], invalid_type),
        (&["BITFIELD", "k", "GET", "I8", "0"], invalid_type),
        (
            &["BITFIELD", "k", "GET", "u8", "-1"],
            "ERR bit offset is not an integer or out of range",
        ),
        (
            &["BITFIELD", "k", "GET", "u8", "4294967296"],
            "ERR bit offset is not an integer or out of range",
        ),
        (&["BITFIELD", "k", "GET", "u8"], "ERR syntax error"),
        (&["BITFIELD", "k", "FOO", "u8", "0"], "ERR syntax error"),
        (&["BITFIELD", "k", "OVERFLOW"], "ERR syntax error"),
        (
            &["BITFIELD", "k", "OVERFLOW", "MAYBE", "GET", "u8", "0"],
            "ERR Invalid OVERFLOW type specified",
        ),
        (
            &["BITFIELD", "k", "SET", "u8", "0", "abc"],
            "ERR value is not an integer or out of range",
        ),
        (
            &["BITFIELD_RO", "k", "GET", "u8", "0", "SET", "u8", "0", "1"],
            "ERR BITFIELD_RO only supports the GET subcommand",
        ),
    ] {
        assert_eq!(query_err(&mut con, words), error, "{words:?}");
    }
    // Nothing changed.
    assert_eq!(get(&mut con, "k").as_deref(), Some("\u{1}"));
    assert_eq!(
        bitfield(
            &mut con,
            &["BITFIELD_RO", "k", "GET", "u8", "0", "GET", "i4", "#1"]
        ),
        [Some(1), Some(1)]
    );
    assert_eq!(bitfield(&mut con, &["BITFIELD", "k"]), []);
    query::<()>(&mut con, &["LPUSH", "l", "a"]);
    for words in [
        &["BITFIELD", "l", "GET", "u8", "0"][..],
        &["BITFIELD_RO", "l", "GET", "u8", "0"],
    ] {
        assert!(query_err(&mut con, words).starts_with("WRONGTYPE"));
    }
}

#[test]
fn bitfield_writes_runs_of_a_big_value_in_place() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SET", "big", &"a".repeat(200_000)]);
    assert_eq!(
        bitfield(
            &mut con,
            &[
                "BITFIELD", "big", "SET", "u8", "#10", "66", "SET", "u16", "#6000", "17219",
                "INCRBY", "u8", "#199999", "1", "SET", "u8", "#250000", "68"
            ]
        ),
        [Some(97), Some(24929), Some(98), Some(0)]
    );
    let range = |con: &mut redis::Connection, from: &str, to: &str| -> String {
        query(con, &["GETRANGE", "big", from, to])
    };
    assert_eq!(range(&mut con, "9", "11"), "aBa");
    assert_eq!(range(&mut con, "11999", "12002"), "aCCa");
    assert_eq!(range(&mut con, "199998", "200000"), "ab\0");
    assert_eq!(query::<i64>(&mut con, &["STRLEN", "big"]), 250_001);
    assert_eq!(range(&mut con, "-1", "-1"), "D");
}

#[test]
fn bitfield_that_changes_no_bit_writes_nothing() {
    let server = Server::start();
    let mut con = server.con();
    let mut other = server.con();
    query::<()>(&mut con, &["SET", "k", "a"]);
    let exec_after =
        |con: &mut redis::Connection, other: &mut redis::Connection, words: &[&str]| {
            query::<()>(con, &["WATCH", "k"]);
            query::<()>(con, &["MULTI"]);
            query::<()>(con, &["GET", "k"]);
            query::<Value>(other, words);
            query::<Value>(con, &["EXEC"]) != Value::Nil
        };
    // 'a' is 0b01100001: setting bits to what they are changes nothing.
    assert!(exec_after(
        &mut con,
        &mut other,
        &["BITFIELD", "k", "SET", "u3", "0", "3"]
    ));
    assert!(exec_after(
        &mut con,
        &mut other,
        &["BITFIELD", "k", "INCRBY", "u8", "0", "0"]
    ));
    assert!(!exec_after(
        &mut con,
        &mut other,
        &["BITFIELD", "k", "SET", "u3", "0", "4"]
    ));
}
