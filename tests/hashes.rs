//! Hash commands: HSET, HMSET, HSETNX, HGET, HMGET, HEXISTS, HSTRLEN, HDEL, HLEN, HKEYS,
//! HVALS, HGETALL, HINCRBY, HINCRBYFLOAT, HRANDFIELD, HSCAN; their errors and RESP3 shapes,
//! random fields of small and big hashes, scans, large values and long field names.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use common::{command, query, query_err, Server};
use redis::{Connection, Value};

const SYNTAX: &str = "ERR syntax error";

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
        &["HMSET", "s", "f", "v"],
        &["HMGET", "s", "f"],
        &["HEXISTS", "s", "f"],
        &["HSTRLEN", "s", "f"],
        &["HINCRBYFLOAT", "s", "f", "1"],
        &["HRANDFIELD", "s"],
        &["HRANDFIELD", "s", "2", "WITHVALUES"],
        &["HSCAN", "s", "0"],
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
        (&["HMSET", "h", "f"], "hmset"),
        (&["HMSET", "h", "f", "v", "g"], "hmset"),
        (&["HMGET", "h"], "hmget"),
        (&["HEXISTS", "h"], "hexists"),
        (&["HSTRLEN", "h", "f", "g"], "hstrlen"),
        (&["HINCRBYFLOAT", "h", "f"], "hincrbyfloat"),
        (&["HRANDFIELD"], "hrandfield"),
        (&["HSCAN", "h"], "hscan"),
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

fn int(con: &mut Connection, words: &[&str]) -> i64 {
    query(con, words)
}

/// HSET of fields `f0`..`f{n-1}` with values `v0`.. in one command.
fn hset_many(con: &mut Connection, key: &str, n: usize) {
    let mut cmd = command(&["HSET", key]);
    for i in 0..n {
        cmd.arg(format!("f{i}")).arg(format!("v{i}"));
    }
    cmd.query::<i64>(con).unwrap();
}

#[test]
fn hmset_sets_fields_and_replies_ok() {
    let server = Server::start();
    let mut con = server.con();
    assert_eq!(
        query::<Value>(&mut con, &["HMSET", "h", "a", "1", "b", "2"]),
        Value::Okay
    );
    assert_eq!(
        query::<Value>(&mut con, &["HMSET", "h", "a", "3"]),
        Value::Okay
    );
    assert_eq!(
        query::<Vec<Option<String>>>(&mut con, &["HMGET", "h", "a", "zz", "b"]),
        [Some("3".to_string()), None, Some("2".to_string())]
    );
    assert_eq!(
        query::<Vec<Option<String>>>(&mut con, &["HMGET", "nokey", "a", "b"]),
        [None, None]
    );
}

#[test]
fn hexists_and_hstrlen() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["HSET", "h", "a", "hello", "empty", ""]);
    assert_eq!(int(&mut con, &["HEXISTS", "h", "a"]), 1);
    assert_eq!(int(&mut con, &["HEXISTS", "h", "empty"]), 1);
    assert_eq!(int(&mut con, &["HEXISTS", "h", "zz"]), 0);
    assert_eq!(int(&mut con, &["HEXISTS", "nokey", "a"]), 0);
    assert_eq!(int(&mut con, &["HSTRLEN", "h", "a"]), 5);
    assert_eq!(int(&mut con, &["HSTRLEN", "h", "empty"]), 0);
    assert_eq!(int(&mut con, &["HSTRLEN", "h", "zz"]), 0);
    assert_eq!(int(&mut con, &["HSTRLEN", "nokey", "a"]), 0);
}

#[test]
fn hincrbyfloat_computes_in_long_double_as_redis() {
    let server = Server::start();
    let mut con = server.con();
    let incr = |con: &mut Connection, field: &str, by: &str| -> String {
        query(con, &["HINCRBYFLOAT", "h", field, by])
    };
    // The example of Redis's documentation.
    query::<()>(&mut con, &["HSET", "h", "f", "10.50"]);
    assert_eq!(incr(&mut con, "f", "0.1"), "10.6");
    assert_eq!(incr(&mut con, "f", "-5"), "5.6");
    assert_eq!(query::<String>(&mut con, &["HGET", "h", "f"]), "5.6");
    // Never an exponent; trailing zeros go; long double's 64-bit precision shows.
    assert_eq!(incr(&mut con, "g", "5.0e3"), "5000");
    assert_eq!(incr(&mut con, "g", "-5000"), "0");
    assert_eq!(incr(&mut con, "h", "1e17"), "100000000000000000");
    assert_eq!(incr(&mut con, "h", "0.5"), "100000000000000000.5");
    assert_eq!(incr(&mut con, "i", "0.1"), "0.1");
    assert_eq!(incr(&mut con, "i", "0.2"), "0.3");
    assert_eq!(
        incr(&mut con, "j", "1234567.1"),
        "1234567.10000000000002274"
    );
    assert_eq!(incr(&mut con, "k", "-1e-20"), "0");
    assert_eq!(incr(&mut con, "l", "0x10"), "16");
    assert_eq!(incr(&mut con, "l", "1.5e-10"), "16.00000000015");
    // An integer field, as HINCRBY leaves it.
    query::<()>(&mut con, &["HINCRBY", "h", "n", "3"]);
    assert_eq!(incr(&mut con, "n", "1.5"), "4.5");
}

#[test]
fn hincrbyfloat_errors_change_nothing() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(
        &mut con,
        &["HSET", "h", "s", "hello", "sp", " 1", "big", "1e4932"],
    );
    let not_float = "ERR value is not a valid float";
    for by in ["abc", "nan", " 1", "1 ", "", "1e5000"] {
        assert_eq!(
            query_err(&mut con, &["HINCRBYFLOAT", "h", "x", by]),
            not_float,
            "{by:?}"
        );
    }
    for by in ["inf", "-inf", "+Infinity"] {
        assert_eq!(
            query_err(&mut con, &["HINCRBYFLOAT", "h", "x", by]),
            "ERR value is NaN or Infinity"
        );
    }
    for field in ["s", "sp"] {
        assert_eq!(
            query_err(&mut con, &["HINCRBYFLOAT", "h", field, "1"]),
            "ERR hash value is not a float"
        );
    }
    // 1e4932 is a long double; twice it is not.
    assert_eq!(
        query_err(&mut con, &["HINCRBYFLOAT", "h", "big", "1e4932"]),
        "ERR increment would produce NaN or Infinity"
    );
    assert_eq!(query::<String>(&mut con, &["HGET", "h", "big"]), "1e4932");
    assert_eq!(int(&mut con, &["HEXISTS", "h", "x"]), 0);
    assert_eq!(
        query_err(&mut con, &["HINCRBYFLOAT", "nokey", "f", "x"]),
        not_float
    );
    assert_eq!(int(&mut con, &["EXISTS", "nokey"]), 0);
}

#[test]
fn hrandfield_with_and_without_a_count() {
    let server = Server::start();
    let mut con = server.con();
    hset_many(&mut con, "h", 10);
    let fields: BTreeSet<String> = (0..10).map(|i| format!("f{i}")).collect();
    let one: String = query(&mut con, &["HRANDFIELD", "h"]);
    assert!(fields.contains(&one));
    let three: Vec<String> = query(&mut con, &["HRANDFIELD", "h", "3"]);
    assert_eq!(three.iter().collect::<BTreeSet<_>>().len(), 3);
    let all: BTreeSet<String> = query::<Vec<String>>(&mut con, &["HRANDFIELD", "h", "20"])
        .into_iter()
        .collect();
    assert_eq!(all, fields);
    // -1000 picks with values: every field comes, each with its own value.
    let picks: Vec<String> = query(&mut con, &["HRANDFIELD", "h", "-1000", "WITHVALUES"]);
    assert_eq!(picks.len(), 2000);
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for pair in picks.chunks(2) {
        assert_eq!(pair[1], pair[0].replace('f', "v"));
        *counts.entry(&pair[0]).or_default() += 1;
    }
    assert_eq!(counts.len(), 10);
    assert_eq!(
        query::<Vec<String>>(&mut con, &["HRANDFIELD", "h", "0"]).len(),
        0
    );
    assert_eq!(
        query::<Value>(&mut con, &["HRANDFIELD", "nokey"]),
        Value::Nil
    );
    assert_eq!(
        query::<Value>(&mut con, &["HRANDFIELD", "nokey", "-3", "WITHVALUES"]),
        Value::Array(Vec::new())
    );
    assert_eq!(int(&mut con, &["HLEN", "h"]), 10);
}

#[test]
fn hrandfield_on_a_big_hash_reaches_every_field() {
    let server = Server::start();
    let mut con = server.con();
    hset_many(&mut con, "h", 300);
    let picks: Vec<String> = query(&mut con, &["HRANDFIELD", "h", "-6000"]);
    assert_eq!(picks.iter().collect::<BTreeSet<_>>().len(), 300);
    let distinct: Vec<String> = query(&mut con, &["HRANDFIELD", "h", "60", "WITHVALUES"]);
    let fields: BTreeSet<&String> = distinct.iter().step_by(2).collect();
    assert_eq!(fields.len(), 60);
    for pair in distinct.chunks(2) {
        assert_eq!(pair[1], pair[0].replace('f', "v"));
    }
}

#[test]
fn hrandfield_errors() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["HSET", "h", "a", "1"]);
    assert_eq!(
        query_err(&mut con, &["HRANDFIELD", "h", "abc"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        query_err(&mut con, &["HRANDFIELD", "h", "1", "WITHVALUE"]),
        SYNTAX
    );
    assert_eq!(
        query_err(&mut con, &["HRANDFIELD", "h", "1", "WITHVALUES", "x"]),
        SYNTAX
    );
    assert_eq!(
        query_err(&mut con, &["HRANDFIELD", "h", "-9223372036854775808"]),
        "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
    );
    for count in ["4611686018427387904", "-4611686018427387904"] {
        assert_eq!(
            query_err(&mut con, &["HRANDFIELD", "nokey", count, "WITHVALUES"]),
            "ERR value is out of range"
        );
    }
}

/// Every HSCAN call from cursor 0 until the cursor comes back to 0, as field -> value.
fn hscan_all(con: &mut Connection, key: &str, count: &str) -> (BTreeMap<String, String>, usize) {
    let (mut cursor, mut all, mut calls) = ("0".to_string(), BTreeMap::new(), 0);
    loop {
        let (next, flat): (String, Vec<String>) =
            query(con, &["HSCAN", key, &cursor, "COUNT", count]);
        for pair in flat.chunks(2) {
            all.insert(pair[0].clone(), pair[1].clone());
        }
        calls += 1;
        cursor = next;
        if cursor == "0" {
            return (all, calls);
        }
    }
}

#[test]
fn hscan_returns_fields_with_their_values() {
    let server = Server::start();
    let mut con = server.con();
    // A small hash comes whole, with cursor 0.
    hset_many(&mut con, "small", 5);
    let (all, calls) = hscan_all(&mut con, "small", "1");
    assert_eq!((all.len(), calls), (5, 1));
    let (_, flat): (String, Vec<String>) =
        query(&mut con, &["HSCAN", "small", "0", "MATCH", "f[13]"]);
    let matched: BTreeMap<&str, &str> = flat.chunks(2).map(|p| (&*p[0], &*p[1])).collect();
    assert_eq!(matched, BTreeMap::from([("f1", "v1"), ("f3", "v3")]));
    // A big one (more than Redis keeps in a listpack: 512) in parts.
    hset_many(&mut con, "big", 700);
    let (all, calls) = hscan_all(&mut con, "big", "50");
    assert_eq!(all.len(), 700);
    assert!(all.iter().all(|(f, v)| *v == f.replace('f', "v")));
    assert!(calls >= 5, "{calls} calls");
    let (cursor, flat): (String, Vec<String>) = query(&mut con, &["HSCAN", "nokey", "0"]);
    assert_eq!((cursor.as_str(), flat.len()), ("0", 0));
    assert_eq!(
        query_err(&mut con, &["HSCAN", "big", "x"]),
        "ERR invalid cursor"
    );
    assert_eq!(
        query_err(&mut con, &["HSCAN", "big", "0", "COUNT", "0"]),
        SYNTAX
    );
    assert_eq!(
        query_err(&mut con, &["HSCAN", "big", "0", "NOVALUES"]),
        SYNTAX
    );
}

#[test]
fn hscan_returns_every_field_present_throughout_while_others_change() {
    let server = Server::start();
    let mut con = server.con();
    hset_many(&mut con, "h", 800);
    let (mut cursor, mut seen, mut round) = ("0".to_string(), BTreeSet::new(), 0);
    loop {
        let (next, flat): (String, Vec<String>) =
            query(&mut con, &["HSCAN", "h", &cursor, "COUNT", "30"]);
        seen.extend(flat.into_iter().step_by(2));
        // f400.. go, g.. arrive, f0..f399 stay.
        for i in 0..10 {
            query::<()>(
                &mut con,
                &["HDEL", "h", &format!("f{}", 400 + round * 10 + i)],
            );
            query::<()>(
                &mut con,
                &["HSET", "h", &format!("g{}", round * 10 + i), "x"],
            );
        }
        round += 1;
        cursor = next;
        if cursor == "0" {
            break;
        }
    }
    for i in 0..400 {
        assert!(seen.contains(&format!("f{i}")), "f{i} was never returned");
    }
}

#[test]
fn large_values_and_long_field_names_in_listings() {
    let server = Server::start();
    let mut con = server.con();
    let large = "v".repeat(200_000);
    let long_field = "f".repeat(300);
    command(&["HSET", "h", "large", &large, &long_field, "short"])
        .query::<i64>(&mut con)
        .unwrap();
    assert_eq!(int(&mut con, &["HSTRLEN", "h", "large"]), 200_000);
    assert_eq!(int(&mut con, &["HSTRLEN", "h", &long_field]), 5);
    assert_eq!(int(&mut con, &["HEXISTS", "h", &long_field]), 1);
    let all = hgetall(&mut con, "h");
    assert_eq!(all.get("large"), Some(&large));
    assert_eq!(all.get(&long_field).map(String::as_str), Some("short"));
    assert_eq!(
        sorted(query(&mut con, &["HKEYS", "h"])),
        sorted(vec!["large".into(), long_field.clone()])
    );
    let (_, flat): (String, Vec<String>) = query(&mut con, &["HSCAN", "h", "0"]);
    assert_eq!(flat.len(), 4);
    assert!(flat.contains(&large) && flat.contains(&long_field));
    let picked: Vec<String> = query(&mut con, &["HRANDFIELD", "h", "-20", "WITHVALUES"]);
    for pair in picked.chunks(2) {
        assert_eq!(all.get(&pair[0]), Some(&pair[1]));
    }
}

#[test]
fn resp3_shapes_of_hash_replies() {
    let server = Server::start();
    query::<()>(&mut server.con(), &["HSET", "h", "a", "1"]);
    let mut raw = server.raw();
    assert_eq!(
        raw.call(&["HRANDFIELD", "h", "1", "WITHVALUES"]),
        "*2\r\n$1\r\na\r\n$1\r\n1\r\n"
    );
    raw.call(&["HELLO", "3"]);
    assert_eq!(raw.call(&["HGETALL", "h"]), "%1\r\n$1\r\na\r\n$1\r\n1\r\n");
    assert_eq!(
        raw.call(&["HRANDFIELD", "h", "1", "WITHVALUES"]),
        "*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"
    );
    assert_eq!(
        raw.call(&["HRANDFIELD", "h", "-2"]),
        "*2\r\n$1\r\na\r\n$1\r\na\r\n"
    );
    assert_eq!(raw.call(&["HRANDFIELD", "nokey"]), "_\r\n");
    assert_eq!(
        raw.call(&["HMGET", "h", "a", "b"]),
        "*2\r\n$1\r\n1\r\n_\r\n"
    );
    assert_eq!(
        raw.call(&["HSCAN", "h", "0"]),
        "*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"
    );
    assert_eq!(
        raw.call(&["HINCRBYFLOAT", "h", "a", "1.5"]),
        "$3\r\n2.5\r\n"
    );
}
