//! Hash commands: HSET, HSETNX, HGET, HDEL, HLEN, HKEYS, HVALS, HGETALL, HINCRBY.

mod common;

use std::collections::BTreeMap;

use common::{query, query_err, Server};
use redis::Value;

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

fn sorted(mut items: Vec<String>) -> Vec<String> {
    items.sort();
    items
}

fn hgetall(con: &mut redis::Connection, key: &str) -> BTreeMap<String, String> {
    query(con, &["HGETALL", key])
}

#[test]
fn hset_returns_the_number_of_new_fields() {
    let server = Server::start();
    let mut con = server.con();
    assert_eq!(
        query::<i64>(&mut con, &["HSET", "h", "f1", "v1", "f2", "v2"]),
        2
    );
    // f1 is updated, f3 is new.
    assert_eq!(
        query::<i64>(&mut con, &["HSET", "h", "f1", "x", "f3", "v3"]),
        1
    );
    assert_eq!(query::<i64>(&mut con, &["HSET", "h", "f1", "y"]), 0);
    let want: BTreeMap<String, String> = [("f1", "y"), ("f2", "v2"), ("f3", "v3")]
        .into_iter()
        .map(|(f, v)| (f.to_string(), v.to_string()))
        .collect();
    assert_eq!(hgetall(&mut con, "h"), want);
}

#[test]
fn hset_of_the_same_field_twice_in_one_call_keeps_the_last_value() {
    let server = Server::start();
    let mut con = server.con();
    assert_eq!(
        query::<i64>(&mut con, &["HSET", "h", "f", "1", "f", "2"]),
        1
    );
    assert_eq!(query::<String>(&mut con, &["HGET", "h", "f"]), "2");
    assert_eq!(query::<i64>(&mut con, &["HLEN", "h"]), 1);
}

#[test]
fn hset_with_an_odd_number_of_arguments_is_an_arity_error() {
    let server = Server::start();
    let mut con = server.con();
    let arity = "ERR wrong number of arguments for 'hset' command";
    assert_eq!(query_err(&mut con, &["HSET", "h"]), arity);
    assert_eq!(query_err(&mut con, &["HSET", "h", "f"]), arity);
    assert_eq!(query_err(&mut con, &["HSET", "h", "f", "v", "g"]), arity);
    assert_eq!(query::<i64>(&mut con, &["EXISTS", "h"]), 0);
}

#[test]
fn hsetnx_sets_only_a_missing_field() {
    let server = Server::start();
    let mut con = server.con();
    assert_eq!(query::<i64>(&mut con, &["HSETNX", "h", "f", "1"]), 1);
    assert_eq!(query::<i64>(&mut con, &["HSETNX", "h", "f", "2"]), 0);
    assert_eq!(query::<String>(&mut con, &["HGET", "h", "f"]), "1");
    assert_eq!(query::<i64>(&mut con, &["HSETNX", "h", "g", "2"]), 1);
    assert_eq!(query::<i64>(&mut con, &["HLEN", "h"]), 2);
}

#[test]
fn hget_of_a_missing_field_or_key_is_nil() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["HSET", "h", "f", "v"]);
    assert_eq!(query::<String>(&mut con, &["HGET", "h", "f"]), "v");
    assert_eq!(
        query::<Value>(&mut con, &["HGET", "h", "nofield"]),
        Value::Nil
    );
    assert_eq!(
        query::<Value>(&mut con, &["HGET", "nokey", "f"]),
        Value::Nil
    );
}

#[test]
fn hset_and_hget_an_empty_field_and_value() {
    let server = Server::start();
    let mut con = server.con();
    assert_eq!(query::<i64>(&mut con, &["HSET", "h", "", ""]), 1);
    assert_eq!(query::<String>(&mut con, &["HGET", "h", ""]), "");
    assert_eq!(query::<Vec<String>>(&mut con, &["HKEYS", "h"]), [""]);
}

#[test]
fn hdel_returns_the_number_of_fields_removed() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["HSET", "h", "a", "1", "b", "2", "c", "3"]);
    assert_eq!(query::<i64>(&mut con, &["HDEL", "h", "nofield"]), 0);
    // A field named twice is removed once.
    assert_eq!(query::<i64>(&mut con, &["HDEL", "h", "a", "a", "b"]), 2);
    assert_eq!(query::<i64>(&mut con, &["HLEN", "h"]), 1);
    assert_eq!(query::<i64>(&mut con, &["HDEL", "nokey", "f"]), 0);
}

#[test]
fn hdel_of_the_last_field_removes_the_key() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["HSET", "h", "a", "1", "b", "2"]);
    assert_eq!(query::<i64>(&mut con, &["HDEL", "h", "a", "b", "c"]), 2);
    assert_eq!(query::<i64>(&mut con, &["EXISTS", "h"]), 0);
    assert_eq!(query::<String>(&mut con, &["TYPE", "h"]), "none");
    assert_eq!(query::<i64>(&mut con, &["DBSIZE"]), 0);
    // The name is free for another type.
    assert_eq!(query::<Value>(&mut con, &["SET", "h", "v"]), Value::Okay);
}

#[test]
fn hlen_counts_fields() {
    let server = Server::start();
    let mut con = server.con();
    assert_eq!(query::<i64>(&mut con, &["HLEN", "nokey"]), 0);
    query::<()>(&mut con, &["HSET", "h", "a", "1", "b", "2"]);
    assert_eq!(query::<i64>(&mut con, &["HLEN", "h"]), 2);
}

#[test]
fn hkeys_hvals_hgetall_return_every_field() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["HSET", "h", "a", "1", "b", "2", "c", "3"]);
    assert_eq!(sorted(query(&mut con, &["HKEYS", "h"])), ["a", "b", "c"]);
    assert_eq!(sorted(query(&mut con, &["HVALS", "h"])), ["1", "2", "3"]);
    // HGETALL is a flat field, value list in RESP2, each value right after its field.
    let flat: Vec<String> = query(&mut con, &["HGETALL", "h"]);
    assert_eq!(flat.len(), 6);
    for pair in flat.chunks(2) {
        let expected = match pair[0].as_str() {
            "a" => "1",
            "b" => "2",
            "c" => "3",
            other => panic!("unexpected field {other}"),
        };
        assert_eq!(pair[1], expected);
    }
}

#[test]
fn hkeys_hvals_hgetall_of_a_missing_key_are_empty() {
    let server = Server::start();
    let mut con = server.con();
    for command in ["HKEYS", "HVALS", "HGETALL"] {
        assert_eq!(
            query::<Value>(&mut con, &[command, "nokey"]),
            Value::Array(Vec::new()),
            "{command}"
        );
    }
}

#[test]
fn hincrby_creates_and_increments_a_field() {
    let server = Server::start();
    let mut con = server.con();
    assert_eq!(query::<i64>(&mut con, &["HINCRBY", "h", "n", "5"]), 5);
    assert_eq!(query::<i64>(&mut con, &["HINCRBY", "h", "n", "-10"]), -5);
    assert_eq!(query::<String>(&mut con, &["HGET", "h", "n"]), "-5");
    query::<()>(&mut con, &["HSET", "h", "m", "100"]);
    assert_eq!(query::<i64>(&mut con, &["HINCRBY", "h", "m", "1"]), 101);
}

#[test]
fn hincrby_of_a_value_that_is_not_an_integer_fails() {
    let server = Server::start();
    let mut con = server.con();
    for value in ["abc", " 1", "1.0", "", "01", "99999999999999999999"] {
        query::<()>(&mut con, &["HSET", "h", "f", value]);
        assert_eq!(
            query_err(&mut con, &["HINCRBY", "h", "f", "1"]),
            "ERR hash value is not an integer",
            "{value:?}"
        );
        assert_eq!(query::<String>(&mut con, &["HGET", "h", "f"]), value);
    }
}

#[test]
fn hincrby_with_an_increment_that_is_not_an_integer_fails() {
    let server = Server::start();
    let mut con = server.con();
    for by in ["x", "1.5", "", "9223372036854775808"] {
        assert_eq!(
            query_err(&mut con, &["HINCRBY", "h", "f", by]),
            "ERR value is not an integer or out of range"
        );
    }
    assert_eq!(query::<i64>(&mut con, &["EXISTS", "h"]), 0);
}

#[test]
fn hincrby_overflow_is_an_error() {
    let server = Server::start();
    let mut con = server.con();
    let overflow = "ERR increment or decrement would overflow";
    query::<()>(&mut con, &["HSET", "h", "max", "9223372036854775807"]);
    query::<()>(&mut con, &["HSET", "h", "min", "-9223372036854775808"]);
    assert_eq!(query_err(&mut con, &["HINCRBY", "h", "max", "1"]), overflow);
    assert_eq!(
        query_err(&mut con, &["HINCRBY", "h", "min", "-1"]),
        overflow
    );
    assert_eq!(
        query::<String>(&mut con, &["HGET", "h", "max"]),
        "9223372036854775807"
    );
}

#[test]
fn hash_commands_on_a_string_are_wrongtype() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SET", "s", "v"]);
    for args in [
        &["HSET", "s", "f", "v"][..],
        &["HSETNX", "s", "f", "v"],
        &["HGET", "s", "f"],
        &["HDEL", "s", "f"],
        &["HLEN", "s"],
        &["HKEYS", "s"],
        &["HVALS", "s"],
        &["HGETALL", "s"],
        &["HINCRBY", "s", "f", "1"],
    ] {
        assert_eq!(query_err(&mut con, args), WRONGTYPE, "{args:?}");
    }
    assert_eq!(query::<String>(&mut con, &["GET", "s"]), "v");
    query::<()>(&mut con, &["SADD", "set", "m"]);
    assert_eq!(query_err(&mut con, &["HGET", "set", "f"]), WRONGTYPE);
}

#[test]
fn arity_errors() {
    let server = Server::start();
    let mut con = server.con();
    for (args, name) in [
        (&["HSETNX", "h", "f"][..], "hsetnx"),
        (&["HGET", "h"], "hget"),
        (&["HGET", "h", "f", "g"], "hget"),
        (&["HDEL", "h"], "hdel"),
        (&["HLEN"], "hlen"),
        (&["HKEYS"], "hkeys"),
        (&["HVALS", "a", "b"], "hvals"),
        (&["HGETALL"], "hgetall"),
        (&["HINCRBY", "h", "f"], "hincrby"),
    ] {
        assert_eq!(
            query_err(&mut con, args),
            format!("ERR wrong number of arguments for '{name}' command")
        );
    }
}

#[test]
fn a_hash_with_many_fields() {
    let server = Server::start();
    let mut con = server.con();
    let mut cmd = redis::cmd("HSET");
    cmd.arg("h");
    for i in 0..500 {
        cmd.arg(format!("field:{i}")).arg(i);
    }
    assert_eq!(cmd.query::<i64>(&mut con).unwrap(), 500);
    assert_eq!(query::<i64>(&mut con, &["HLEN", "h"]), 500);
    assert_eq!(
        query::<String>(&mut con, &["HGET", "h", "field:499"]),
        "499"
    );
    assert_eq!(hgetall(&mut con, "h").len(), 500);
}
