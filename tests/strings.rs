//! String commands: SET (and its options), GET, INCR, INCRBY, GETRANGE, expiry, large values.

mod common;

use std::thread::sleep;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{query, query_err, Server};
use redis::Value;

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
const OVERFLOW: &str = "ERR increment or decrement would overflow";
const SYNTAX: &str = "ERR syntax error";

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
        assert_eq!(
            query::<String>(&mut con, &["GETRANGE", "s", start, end]),
            want,
            "GETRANGE s {start} {end}"
        );
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
