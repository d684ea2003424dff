//! List commands: LPUSH, RPUSH, LPUSHX, RPUSHX, LPOP, RPOP, LLEN, LINDEX, LRANGE, LSET,
//! LINSERT, LREM, LTRIM, LPOS, LMOVE, RPOPLPUSH, LMPOP; their errors and reply shapes (RESP2
//! and RESP3), negative indexes, empty lists removed, a list checked against a model, large
//! and binary elements, a 100,000-element list whose ends stay as fast as a short list's,
//! and the layout on disk. (The blocking forms are in tests/blocking.rs.)
//!
//! Redis 7.2 behaviour that the reference redis-server (7.0) lacks, and dredis's data
//! directory, are skipped in reference mode.

mod common;

use std::time::{Duration, Instant};

use common::{command, query, query_err, Server};
use redis::{Connection, Value};

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const SYNTAX: &str = "ERR syntax error";
const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
const NOT_POSITIVE: &str = "ERR value is out of range, must be positive";

fn skip_in_reference(why: &str) -> bool {
    let reference = std::env::var_os("DREDIS_TEST_REFERENCE").is_some_and(|v| v != "0");
    if reference {
        eprintln!("skipped against the reference redis-server: {why}");
    }
    reference
}

fn strings(con: &mut Connection, words: &[&str]) -> Vec<String> {
    query(con, words)
}

fn int(con: &mut Connection, words: &[&str]) -> i64 {
    query(con, words)
}

fn all(con: &mut Connection, key: &str) -> Vec<String> {
    strings(con, &["LRANGE", key, "0", "-1"])
}

fn value(con: &mut Connection, words: &[&str]) -> Value {
    query(con, words)
}

fn exists(con: &mut Connection, key: &str) -> bool {
    int(con, &["EXISTS", key]) == 1
}

// ---- pushes, LRANGE, LLEN ----

#[test]
fn lpush_and_rpush_add_at_each_end_and_return_the_length() {
    let server = Server::start();
    let mut con = server.con();
    assert_eq!(int(&mut con, &["RPUSH", "l", "c", "d"]), 2);
    // LPUSH pushes its elements one after the other: the last ends up first.
    assert_eq!(int(&mut con, &["LPUSH", "l", "b", "a"]), 4);
    assert_eq!(int(&mut con, &["RPUSH", "l", "e"]), 5);
    assert_eq!(all(&mut con, "l"), ["a", "b", "c", "d", "e"]);
    assert_eq!(int(&mut con, &["LLEN", "l"]), 5);
    assert_eq!(int(&mut con, &["LLEN", "missing"]), 0);
    assert_eq!(query::<String>(&mut con, &["TYPE", "l"]), "list");
}

#[test]
fn lpushx_and_rpushx_push_only_onto_an_existing_list() {
    let server = Server::start();
    let mut con = server.con();
    assert_eq!(int(&mut con, &["LPUSHX", "l", "a"]), 0);
    assert_eq!(int(&mut con, &["RPUSHX", "l", "a", "b"]), 0);
    assert!(!exists(&mut con, "l"));
    query::<()>(&mut con, &["RPUSH", "l", "m"]);
    assert_eq!(int(&mut con, &["LPUSHX", "l", "b", "a"]), 3);
    assert_eq!(int(&mut con, &["RPUSHX", "l", "y", "z"]), 5);
    assert_eq!(all(&mut con, "l"), ["a", "b", "m", "y", "z"]);
}

#[test]
fn lrange_takes_negative_indexes_and_clamps_out_of_range_ones() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["RPUSH", "l", "a", "b", "c", "d", "e"]);
    let range =
        |con: &mut Connection, start: &str, stop: &str| strings(con, &["LRANGE", "l", start, stop]);
    assert_eq!(range(&mut con, "1", "2"), ["b", "c"]);
    assert_eq!(range(&mut con, "-2", "-1"), ["d", "e"]);
    assert_eq!(range(&mut con, "-100", "1"), ["a", "b"]);
    assert_eq!(range(&mut con, "3", "100"), ["d", "e"]);
    assert_eq!(range(&mut con, "0", "0"), ["a"]);
    assert!(range(&mut con, "3", "2").is_empty());
    assert!(range(&mut con, "5", "10").is_empty());
    assert!(range(&mut con, "-100", "-6").is_empty());
    assert!(strings(&mut con, &["LRANGE", "missing", "0", "-1"]).is_empty());
    assert_eq!(query_err(&mut con, &["LRANGE", "l", "a", "1"]), NOT_INTEGER);
    // The indexes are checked before the key.
    assert_eq!(
        query_err(&mut con, &["LRANGE", "missing", "0", "x"]),
        NOT_INTEGER
    );
}

// ---- pops ----

#[test]
fn lpop_and_rpop_take_from_each_end_and_the_last_takes_the_key() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["RPUSH", "l", "a", "b", "c"]);
    assert_eq!(query::<String>(&mut con, &["LPOP", "l"]), "a");
    assert_eq!(query::<String>(&mut con, &["RPOP", "l"]), "c");
    assert_eq!(query::<String>(&mut con, &["RPOP", "l"]), "b");
    assert!(!exists(&mut con, "l"));
    assert_eq!(query::<String>(&mut con, &["TYPE", "l"]), "none");
    assert_eq!(value(&mut con, &["LPOP", "l"]), Value::Nil);
    assert_eq!(value(&mut con, &["RPOP", "l"]), Value::Nil);
}

#[test]
fn pops_with_a_count_return_arrays() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["RPUSH", "l", "a", "b", "c", "d", "e"]);
    assert_eq!(strings(&mut con, &["LPOP", "l", "2"]), ["a", "b"]);
    // RPOP with a count returns the elements in the order they are popped.
    assert_eq!(strings(&mut con, &["RPOP", "l", "2"]), ["e", "d"]);
    // A count of 0 is an empty array; the list stays.
    assert!(strings(&mut con, &["LPOP", "l", "0"]).is_empty());
    assert_eq!(all(&mut con, "l"), ["c"]);
    // More than there is: what there is, and the key goes.
    assert_eq!(strings(&mut con, &["RPOP", "l", "10"]), ["c"]);
    assert!(!exists(&mut con, "l"));
}

#[test]
fn pops_of_a_missing_key_are_nil_or_a_null_array_with_a_count() {
    let server = Server::start();
    let mut raw = server.raw();
    assert_eq!(raw.call(&["LPOP", "missing"]), "$-1\r\n");
    assert_eq!(raw.call(&["RPOP", "missing", "1"]), "*-1\r\n");
    // Even a count of 0 is a null array when the key is missing.
    assert_eq!(raw.call(&["LPOP", "missing", "0"]), "*-1\r\n");
    raw.call(&["RPUSH", "l", "a"]);
    assert_eq!(raw.call(&["LPOP", "l", "0"]), "*0\r\n");
    raw.call(&["HELLO", "3"]);
    assert_eq!(raw.call(&["LPOP", "missing"]), "_\r\n");
    assert_eq!(raw.call(&["LPOP", "missing", "2"]), "_\r\n");
    assert_eq!(raw.call(&["LPOP", "l", "2"]), "*1\r\n$1\r\na\r\n");
}

#[test]
fn pop_count_errors() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["RPUSH", "l", "a"]);
    assert_eq!(query_err(&mut con, &["LPOP", "l", "-1"]), NOT_POSITIVE);
    assert_eq!(query_err(&mut con, &["RPOP", "l", "x"]), NOT_POSITIVE);
    // The count is checked before the key.
    assert_eq!(
        query_err(&mut con, &["LPOP", "missing", "-1"]),
        NOT_POSITIVE
    );
    assert_eq!(
        query_err(&mut con, &["LPOP", "l", "1", "2"]),
        "ERR wrong number of arguments for 'lpop' command"
    );
    assert_eq!(all(&mut con, "l"), ["a"]);
}

// ---- LINDEX, LSET ----

#[test]
fn lindex_takes_negative_indexes_and_is_nil_out_of_range() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["RPUSH", "l", "a", "b", "c"]);
    assert_eq!(query::<String>(&mut con, &["LINDEX", "l", "0"]), "a");
    assert_eq!(query::<String>(&mut con, &["LINDEX", "l", "2"]), "c");
    assert_eq!(query::<String>(&mut con, &["LINDEX", "l", "-1"]), "c");
    assert_eq!(query::<String>(&mut con, &["LINDEX", "l", "-3"]), "a");
    assert_eq!(value(&mut con, &["LINDEX", "l", "3"]), Value::Nil);
    assert_eq!(value(&mut con, &["LINDEX", "l", "-4"]), Value::Nil);
    assert_eq!(value(&mut con, &["LINDEX", "missing", "0"]), Value::Nil);
    assert_eq!(query_err(&mut con, &["LINDEX", "l", "x"]), NOT_INTEGER);
    // The key is looked up first: a missing one answers nil whatever the index.
    assert_eq!(value(&mut con, &["LINDEX", "missing", "x"]), Value::Nil);
}

#[test]
fn lset_replaces_an_element() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["RPUSH", "l", "a", "b", "c"]);
    query::<()>(&mut con, &["LSET", "l", "0", "A"]);
    query::<()>(&mut con, &["LSET", "l", "-1", "C"]);
    assert_eq!(all(&mut con, "l"), ["A", "b", "C"]);
    assert_eq!(
        query_err(&mut con, &["LSET", "l", "3", "x"]),
        "ERR index out of range"
    );
    assert_eq!(
        query_err(&mut con, &["LSET", "l", "-4", "x"]),
        "ERR index out of range"
    );
    assert_eq!(query_err(&mut con, &["LSET", "l", "x", "x"]), NOT_INTEGER);
    assert_eq!(
        query_err(&mut con, &["LSET", "missing", "0", "x"]),
        "ERR no such key"
    );
    assert_eq!(
        query_err(&mut con, &["LSET", "missing", "x", "x"]),
        "ERR no such key"
    );
    assert_eq!(all(&mut con, "l"), ["A", "b", "C"]);
}

// ---- LINSERT, LREM, LTRIM ----

#[test]
fn linsert_before_and_after_the_first_pivot() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["RPUSH", "l", "a", "p", "b", "p", "c"]);
    assert_eq!(int(&mut con, &["LINSERT", "l", "BEFORE", "p", "x"]), 6);
    assert_eq!(int(&mut con, &["LINSERT", "l", "after", "p", "y"]), 7);
    assert_eq!(all(&mut con, "l"), ["a", "x", "p", "y", "b", "p", "c"]);
    // At both ends.
    assert_eq!(int(&mut con, &["LINSERT", "l", "BEFORE", "a", "first"]), 8);
    assert_eq!(int(&mut con, &["LINSERT", "l", "AFTER", "c", "last"]), 9);
    assert_eq!(
        all(&mut con, "l"),
        ["first", "a", "x", "p", "y", "b", "p", "c", "last"]
    );
    assert_eq!(int(&mut con, &["LINSERT", "l", "BEFORE", "nope", "z"]), -1);
    assert_eq!(
        int(&mut con, &["LINSERT", "missing", "BEFORE", "p", "z"]),
        0
    );
    assert!(!exists(&mut con, "missing"));
    assert_eq!(
        query_err(&mut con, &["LINSERT", "l", "MIDDLE", "p", "z"]),
        SYNTAX
    );
    assert_eq!(
        query_err(&mut con, &["LINSERT", "missing", "MIDDLE", "p", "z"]),
        SYNTAX
    );
    assert_eq!(int(&mut con, &["LLEN", "l"]), 9);
}

#[test]
fn lrem_count_sign_chooses_the_direction() {
    let server = Server::start();
    let mut con = server.con();
    let sample = ["x", "a", "x", "b", "x", "c", "x"];
    let load = |con: &mut Connection| {
        query::<()>(con, &["DEL", "l"]);
        let mut words = vec!["RPUSH", "l"];
        words.extend(sample);
        query::<()>(con, &words);
    };
    load(&mut con);
    assert_eq!(int(&mut con, &["LREM", "l", "2", "x"]), 2);
    assert_eq!(all(&mut con, "l"), ["a", "b", "x", "c", "x"]);
    load(&mut con);
    assert_eq!(int(&mut con, &["LREM", "l", "-3", "x"]), 3);
    assert_eq!(all(&mut con, "l"), ["x", "a", "b", "c"]);
    load(&mut con);
    assert_eq!(int(&mut con, &["LREM", "l", "0", "x"]), 4);
    assert_eq!(all(&mut con, "l"), ["a", "b", "c"]);
    assert_eq!(int(&mut con, &["LREM", "l", "0", "nope"]), 0);
    assert_eq!(
        int(&mut con, &["LREM", "l", "-9223372036854775808", "a"]),
        1
    );
    assert_eq!(int(&mut con, &["LREM", "missing", "0", "a"]), 0);
    assert_eq!(query_err(&mut con, &["LREM", "l", "x", "a"]), NOT_INTEGER);
    // Removing every element removes the key.
    assert_eq!(int(&mut con, &["LREM", "l", "0", "b"]), 1);
    assert_eq!(int(&mut con, &["LREM", "l", "1", "c"]), 1);
    assert!(!exists(&mut con, "l"));
}

#[test]
fn ltrim_keeps_a_range() {
    let server = Server::start();
    let mut con = server.con();
    let load = |con: &mut Connection| {
        query::<()>(con, &["DEL", "l"]);
        query::<()>(con, &["RPUSH", "l", "a", "b", "c", "d", "e", "f"]);
    };
    load(&mut con);
    query::<()>(&mut con, &["LTRIM", "l", "1", "-2"]);
    assert_eq!(all(&mut con, "l"), ["b", "c", "d", "e"]);
    // Keeping fewer than it removes.
    load(&mut con);
    query::<()>(&mut con, &["LTRIM", "l", "-2", "100"]);
    assert_eq!(all(&mut con, "l"), ["e", "f"]);
    query::<()>(&mut con, &["RPUSH", "l", "g"]);
    query::<()>(&mut con, &["LPUSH", "l", "d"]);
    assert_eq!(all(&mut con, "l"), ["d", "e", "f", "g"]);
    // The whole list: nothing changes.
    query::<()>(&mut con, &["LTRIM", "l", "0", "-1"]);
    assert_eq!(all(&mut con, "l"), ["d", "e", "f", "g"]);
    // An empty range removes the key.
    query::<()>(&mut con, &["LTRIM", "l", "3", "1"]);
    assert!(!exists(&mut con, "l"));
    load(&mut con);
    query::<()>(&mut con, &["LTRIM", "l", "10", "20"]);
    assert!(!exists(&mut con, "l"));
    assert_eq!(
        query::<String>(&mut con, &["LTRIM", "missing", "0", "1"]),
        "OK"
    );
    assert_eq!(query_err(&mut con, &["LTRIM", "l", "0", "x"]), NOT_INTEGER);
}

// ---- LPOS ----

#[test]
fn lpos_finds_matches_with_rank_count_and_maxlen() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(
        &mut con,
        &["RPUSH", "l", "a", "b", "c", "1", "2", "3", "c", "c"],
    );
    assert_eq!(int(&mut con, &["LPOS", "l", "c"]), 2);
    assert_eq!(int(&mut con, &["LPOS", "l", "c", "RANK", "2"]), 6);
    assert_eq!(int(&mut con, &["LPOS", "l", "c", "RANK", "-1"]), 7);
    assert_eq!(int(&mut con, &["LPOS", "l", "c", "RANK", "-3"]), 2);
    assert_eq!(
        value(&mut con, &["LPOS", "l", "c", "RANK", "4"]),
        Value::Nil
    );
    let ints = |con: &mut Connection, words: &[&str]| query::<Vec<i64>>(con, words);
    assert_eq!(ints(&mut con, &["LPOS", "l", "c", "COUNT", "0"]), [2, 6, 7]);
    assert_eq!(ints(&mut con, &["LPOS", "l", "c", "COUNT", "2"]), [2, 6]);
    assert_eq!(
        ints(&mut con, &["LPOS", "l", "c", "COUNT", "2", "RANK", "-1"]),
        [7, 6]
    );
    assert_eq!(
        ints(&mut con, &["LPOS", "l", "c", "RANK", "2", "COUNT", "0"]),
        [6, 7]
    );
    assert_eq!(
        value(&mut con, &["LPOS", "l", "c", "MAXLEN", "2"]),
        Value::Nil
    );
    assert_eq!(int(&mut con, &["LPOS", "l", "c", "MAXLEN", "3"]), 2);
    assert_eq!(
        ints(&mut con, &["LPOS", "l", "c", "COUNT", "0", "MAXLEN", "7"]),
        [2, 6]
    );
    assert_eq!(value(&mut con, &["LPOS", "l", "nope"]), Value::Nil);
    assert!(ints(&mut con, &["LPOS", "l", "nope", "COUNT", "1"]).is_empty());
    assert_eq!(value(&mut con, &["LPOS", "missing", "a"]), Value::Nil);
    assert!(ints(&mut con, &["LPOS", "missing", "a", "COUNT", "1"]).is_empty());
}

#[test]
fn lpos_errors() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["RPUSH", "l", "a"]);
    assert_eq!(
        query_err(&mut con, &["LPOS", "l", "a", "RANK", "0"]),
        "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... \
         or use negative to start from the end of the list"
    );
    assert_eq!(
        query_err(&mut con, &["LPOS", "l", "a", "RANK", "x"]),
        NOT_INTEGER
    );
    for count in ["-1", "x"] {
        assert_eq!(
            query_err(&mut con, &["LPOS", "l", "a", "COUNT", count]),
            "ERR COUNT can't be negative"
        );
        assert_eq!(
            query_err(&mut con, &["LPOS", "l", "a", "MAXLEN", count]),
            "ERR MAXLEN can't be negative"
        );
    }
    assert_eq!(query_err(&mut con, &["LPOS", "l", "a", "RANK"]), SYNTAX);
    assert_eq!(query_err(&mut con, &["LPOS", "l", "a", "FOO", "1"]), SYNTAX);
    // Options are checked before the key.
    assert_eq!(
        query_err(&mut con, &["LPOS", "missing", "a", "COUNT", "-1"]),
        "ERR COUNT can't be negative"
    );
}

#[test]
fn object_encoding_follows_list_max_listpack_size() {
    if skip_in_reference("Redis 7.2 behaviour (the reference server is 7.0)") {
        return;
    }
    let server = Server::start();
    let mut con = server.con();
    let encoding =
        |con: &mut Connection, key: &str| -> String { query(con, &["OBJECT", "ENCODING", key]) };
    // Positive: entries a node.
    query::<()>(&mut con, &["CONFIG", "SET", "list-max-listpack-size", "2"]);
    query::<()>(&mut con, &["RPUSH", "l1", "a", "b"]);
    assert_eq!(encoding(&mut con, "l1"), "listpack");
    query::<()>(&mut con, &["RPUSH", "l2", "a", "b", "c"]);
    assert_eq!(encoding(&mut con, "l2"), "quicklist");
    // Negative: bytes a node, -1 is 4 KiB.
    query::<()>(&mut con, &["CONFIG", "SET", "list-max-listpack-size", "-1"]);
    query::<()>(&mut con, &["RPUSH", "l3", &"x".repeat(4000)]);
    assert_eq!(encoding(&mut con, "l3"), "listpack");
    query::<()>(
        &mut con,
        &["RPUSH", "l4", &"x".repeat(4000), &"x".repeat(200)],
    );
    assert_eq!(encoding(&mut con, "l4"), "quicklist");
}

#[test]
fn lpos_rank_of_the_smallest_integer_is_out_of_range() {
    // Redis 7.2 bounds RANK to +-LONG_MAX (7.0 accepts it).
    if skip_in_reference("Redis 7.2 behaviour (the reference server is 7.0)") {
        return;
    }
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["RPUSH", "l", "a"]);
    assert_eq!(
        query_err(
            &mut con,
            &["LPOS", "l", "a", "RANK", "-9223372036854775808"]
        ),
        "ERR value is out of range, value must between -9223372036854775807 and \
         9223372036854775807"
    );
}

// ---- LMOVE, RPOPLPUSH, LMPOP ----

#[test]
fn lmove_in_every_direction() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["RPUSH", "src", "a", "b", "c", "d"]);
    let mv = |con: &mut Connection, from: &str, to: &str| -> String {
        query(con, &["LMOVE", "src", "dst", from, to])
    };
    assert_eq!(mv(&mut con, "LEFT", "LEFT"), "a");
    assert_eq!(mv(&mut con, "RIGHT", "LEFT"), "d");
    assert_eq!(mv(&mut con, "left", "right"), "b");
    assert_eq!(mv(&mut con, "RIGHT", "RIGHT"), "c");
    assert_eq!(all(&mut con, "dst"), ["d", "a", "b", "c"]);
    assert!(!exists(&mut con, "src"));
    assert_eq!(
        value(&mut con, &["LMOVE", "src", "dst", "LEFT", "LEFT"]),
        Value::Nil
    );
    assert_eq!(
        query_err(&mut con, &["LMOVE", "dst", "x", "UP", "LEFT"]),
        SYNTAX
    );
    assert_eq!(
        query_err(&mut con, &["LMOVE", "dst", "x", "LEFT", "DOWN"]),
        SYNTAX
    );
}

#[test]
fn lmove_and_rpoplpush_on_one_list_rotate_it() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["RPUSH", "l", "a", "b", "c"]);
    assert_eq!(query::<String>(&mut con, &["RPOPLPUSH", "l", "l"]), "c");
    assert_eq!(all(&mut con, "l"), ["c", "a", "b"]);
    assert_eq!(
        query::<String>(&mut con, &["LMOVE", "l", "l", "LEFT", "RIGHT"]),
        "c"
    );
    assert_eq!(all(&mut con, "l"), ["a", "b", "c"]);
    assert_eq!(
        query::<String>(&mut con, &["LMOVE", "l", "l", "LEFT", "LEFT"]),
        "a"
    );
    assert_eq!(all(&mut con, "l"), ["a", "b", "c"]);
    query::<()>(&mut con, &["RPUSH", "one", "x"]);
    assert_eq!(query::<String>(&mut con, &["RPOPLPUSH", "one", "one"]), "x");
    assert_eq!(all(&mut con, "one"), ["x"]);
}

#[test]
fn rpoplpush_moves_from_the_tail_to_the_head() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["RPUSH", "src", "a", "b"]);
    query::<()>(&mut con, &["RPUSH", "dst", "z"]);
    assert_eq!(query::<String>(&mut con, &["RPOPLPUSH", "src", "dst"]), "b");
    assert_eq!(query::<String>(&mut con, &["RPOPLPUSH", "src", "dst"]), "a");
    assert_eq!(all(&mut con, "dst"), ["a", "b", "z"]);
    assert!(!exists(&mut con, "src"));
    assert_eq!(value(&mut con, &["RPOPLPUSH", "src", "dst"]), Value::Nil);
}

#[test]
fn a_move_to_a_key_of_another_type_changes_nothing() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["RPUSH", "src", "a"]);
    query::<()>(&mut con, &["SET", "str", "x"]);
    assert_eq!(
        query_err(&mut con, &["LMOVE", "src", "str", "LEFT", "LEFT"]),
        WRONGTYPE
    );
    assert_eq!(query_err(&mut con, &["RPOPLPUSH", "src", "str"]), WRONGTYPE);
    assert_eq!(all(&mut con, "src"), ["a"]);
    assert_eq!(query_err(&mut con, &["RPOPLPUSH", "str", "src"]), WRONGTYPE);
    // A missing source answers nil before the destination is looked at.
    assert_eq!(
        value(&mut con, &["RPOPLPUSH", "missing", "str"]),
        Value::Nil
    );
}

#[test]
fn lmpop_pops_from_the_first_non_empty_list() {
    let server = Server::start();
    let mut raw = server.raw();
    raw.call(&["RPUSH", "b", "1", "2", "3"]);
    raw.call(&["RPUSH", "c", "x"]);
    assert_eq!(
        raw.call(&["LMPOP", "3", "a", "b", "c", "LEFT"]),
        "*2\r\n$1\r\nb\r\n*1\r\n$1\r\n1\r\n"
    );
    assert_eq!(
        raw.call(&["LMPOP", "2", "b", "c", "RIGHT", "COUNT", "5"]),
        "*2\r\n$1\r\nb\r\n*2\r\n$1\r\n3\r\n$1\r\n2\r\n"
    );
    assert_eq!(raw.call(&["EXISTS", "b"]), ":0\r\n");
    assert_eq!(raw.call(&["LMPOP", "1", "a", "LEFT"]), "*-1\r\n");
    raw.call(&["HELLO", "3"]);
    assert_eq!(raw.call(&["LMPOP", "1", "a", "LEFT"]), "_\r\n");
    assert_eq!(
        raw.call(&["LMPOP", "2", "a", "c", "LEFT", "COUNT", "1"]),
        "*2\r\n$1\r\nc\r\n*1\r\n$1\r\nx\r\n"
    );
}

#[test]
fn lmpop_errors() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["RPUSH", "l", "a"]);
    query::<()>(&mut con, &["SET", "s", "x"]);
    let numkeys = "ERR numkeys should be greater than 0";
    assert_eq!(query_err(&mut con, &["LMPOP", "0", "l", "LEFT"]), numkeys);
    assert_eq!(query_err(&mut con, &["LMPOP", "-1", "l", "LEFT"]), numkeys);
    assert_eq!(query_err(&mut con, &["LMPOP", "x", "l", "LEFT"]), numkeys);
    assert_eq!(query_err(&mut con, &["LMPOP", "2", "l", "LEFT"]), SYNTAX);
    assert_eq!(query_err(&mut con, &["LMPOP", "1", "l", "UP"]), SYNTAX);
    let count = "ERR count should be greater than 0";
    for bad in ["0", "-1", "x"] {
        assert_eq!(
            query_err(&mut con, &["LMPOP", "1", "l", "LEFT", "COUNT", bad]),
            count
        );
    }
    assert_eq!(
        query_err(
            &mut con,
            &["LMPOP", "1", "l", "LEFT", "COUNT", "1", "COUNT", "2"]
        ),
        SYNTAX
    );
    assert_eq!(
        query_err(&mut con, &["LMPOP", "1", "l", "LEFT", "COUNT"]),
        SYNTAX
    );
    assert_eq!(
        query_err(&mut con, &["LMPOP", "1", "l", "LEFT", "FOO"]),
        SYNTAX
    );
    // A key of another type before a list is an error; after a list it is not reached.
    assert_eq!(
        query_err(&mut con, &["LMPOP", "2", "s", "l", "LEFT"]),
        WRONGTYPE
    );
    assert_eq!(
        query::<(String, Vec<String>)>(&mut con, &["LMPOP", "2", "l", "s", "LEFT"]),
        ("l".to_string(), vec!["a".to_string()])
    );
}

// ---- errors shared by every command ----

#[test]
fn every_list_command_on_another_type_is_wrongtype() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SET", "s", "x"]);
    let commands: &[&[&str]] = &[
        &["LPUSH", "s", "a"],
        &["RPUSH", "s", "a"],
        &["LPUSHX", "s", "a"],
        &["RPUSHX", "s", "a"],
        &["LPOP", "s"],
        &["RPOP", "s", "2"],
        &["LLEN", "s"],
        &["LINDEX", "s", "0"],
        &["LINDEX", "s", "x"],
        &["LRANGE", "s", "0", "1"],
        &["LSET", "s", "0", "a"],
        &["LINSERT", "s", "BEFORE", "a", "b"],
        &["LREM", "s", "0", "a"],
        &["LTRIM", "s", "0", "1"],
        &["LPOS", "s", "a"],
        &["LMOVE", "s", "d", "LEFT", "LEFT"],
        &["RPOPLPUSH", "s", "d"],
        &["LMPOP", "1", "s", "LEFT"],
        &["BLPOP", "s", "0"],
        &["BRPOP", "s", "0"],
        &["BLMOVE", "s", "d", "LEFT", "LEFT", "0"],
        &["BRPOPLPUSH", "s", "d", "0"],
        &["BLMPOP", "0", "1", "s", "LEFT"],
    ];
    for words in commands {
        assert_eq!(query_err(&mut con, words), WRONGTYPE, "{words:?}");
    }
    assert_eq!(query::<String>(&mut con, &["GET", "s"]), "x");
    assert!(!exists(&mut con, "d"));
}

#[test]
fn arity_errors() {
    let server = Server::start();
    let mut con = server.con();
    let cases: &[(&str, &[&str])] = &[
        ("lpush", &["LPUSH", "l"]),
        ("rpush", &["RPUSH", "l"]),
        ("lpushx", &["LPUSHX", "l"]),
        ("rpushx", &["RPUSHX", "l"]),
        ("lpop", &["LPOP"]),
        ("rpop", &["RPOP"]),
        ("llen", &["LLEN"]),
        ("llen", &["LLEN", "a", "b"]),
        ("lindex", &["LINDEX", "l"]),
        ("lrange", &["LRANGE", "l", "0"]),
        ("lset", &["LSET", "l", "0"]),
        ("linsert", &["LINSERT", "l", "BEFORE", "a"]),
        ("lrem", &["LREM", "l", "0"]),
        ("ltrim", &["LTRIM", "l", "0"]),
        ("lpos", &["LPOS", "l"]),
        ("lmove", &["LMOVE", "a", "b", "LEFT"]),
        ("rpoplpush", &["RPOPLPUSH", "a"]),
        ("lmpop", &["LMPOP", "1", "a"]),
        ("blpop", &["BLPOP", "a"]),
        ("brpop", &["BRPOP", "a"]),
        ("blmove", &["BLMOVE", "a", "b", "LEFT", "LEFT"]),
        ("brpoplpush", &["BRPOPLPUSH", "a", "b"]),
        ("blmpop", &["BLMPOP", "0", "1", "a"]),
    ];
    for (name, words) in cases {
        assert_eq!(
            query_err(&mut con, words),
            format!("ERR wrong number of arguments for '{name}' command"),
            "{words:?}"
        );
    }
}

// ---- against a model ----

/// A small deterministic generator, so that a failure replays.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

#[test]
fn random_edits_agree_with_a_model() {
    let server = Server::start();
    let mut con = server.con();
    let mut model: Vec<String> = Vec::new();
    let mut rng = Lcg(7);
    for step in 0..400 {
        let element = format!("e{}", rng.below(12));
        let len = model.len() as u64;
        let index = |rng: &mut Lcg| rng.below(len.max(1)) as i64 - rng.below(2) as i64 * len as i64;
        match rng.below(9) {
            0 => {
                query::<()>(&mut con, &["LPUSH", "l", &element]);
                model.insert(0, element);
            }
            1 | 2 => {
                query::<()>(&mut con, &["RPUSH", "l", &element]);
                model.push(element);
            }
            3 => {
                let got: Option<String> = query(&mut con, &["LPOP", "l"]);
                assert_eq!(got, (!model.is_empty()).then(|| model.remove(0)));
            }
            4 => {
                let got: Option<String> = query(&mut con, &["RPOP", "l"]);
                assert_eq!(got, model.pop());
            }
            5 if !model.is_empty() => {
                let pivot = model[rng.below(len) as usize].clone();
                let after = rng.below(2) == 1;
                let at = model.iter().position(|e| *e == pivot).unwrap() + usize::from(after);
                let side = if after { "AFTER" } else { "BEFORE" };
                query::<()>(&mut con, &["LINSERT", "l", side, &pivot, &element]);
                model.insert(at, element);
            }
            6 => {
                let count = rng.below(5) as i64 - 2;
                let removed = int(&mut con, &["LREM", "l", &count.to_string(), &element]);
                let mut matches: Vec<usize> =
                    (0..model.len()).filter(|&i| model[i] == element).collect();
                if count < 0 {
                    matches.reverse();
                }
                if count != 0 {
                    matches.truncate(count.unsigned_abs() as usize);
                }
                matches.sort_unstable();
                for &i in matches.iter().rev() {
                    model.remove(i);
                }
                assert_eq!(removed, matches.len() as i64);
            }
            7 if !model.is_empty() => {
                let at = index(&mut rng);
                query::<()>(&mut con, &["LSET", "l", &at.to_string(), &element]);
                let at = if at < 0 { at + len as i64 } else { at };
                model[at as usize] = element;
            }
            8 => {
                let (start, stop) = (index(&mut rng), index(&mut rng));
                query::<()>(
                    &mut con,
                    &["LTRIM", "l", &start.to_string(), &stop.to_string()],
                );
                let n = len as i64;
                let start = if start < 0 { n + start } else { start }.max(0);
                let stop = if stop < 0 { n + stop } else { stop }.min(n - 1);
                model = if start > stop {
                    Vec::new()
                } else {
                    model[start as usize..=stop as usize].to_vec()
                };
            }
            _ => {}
        }
        assert_eq!(all(&mut con, "l"), model, "after step {step}");
        assert_eq!(
            exists(&mut con, "l"),
            !model.is_empty(),
            "after step {step}"
        );
    }
}

// ---- elements ----

#[test]
fn elements_are_binary_safe() {
    let server = Server::start();
    let mut con = server.con();
    let odd: &[u8] = b"\x00a\r\n/..\xff";
    command(&[&b"RPUSH"[..], b"l", odd, b""])
        .query::<()>(&mut con)
        .unwrap();
    let got: Vec<Vec<u8>> = command(&["LRANGE", "l", "0", "-1"])
        .query(&mut con)
        .unwrap();
    assert_eq!(got, [odd.to_vec(), Vec::new()]);
    assert_eq!(int(&mut con, &["LPOS", "l", ""]), 1);
}

#[test]
fn large_elements_move_and_shift_intact() {
    let server = Server::start();
    let mut con = server.con();
    let big: Vec<u8> = (0..3u32 << 20).map(|i| (i % 251) as u8).collect();
    let mid: Vec<u8> = vec![b'm'; 100_000];
    command(&[&b"RPUSH"[..], b"l", b"a", &big, &mid, b"b"])
        .query::<()>(&mut con)
        .unwrap();
    // An insertion before the end shifts the big elements' files to the right.
    query::<()>(&mut con, &["LINSERT", "l", "BEFORE", "b", "x"]);
    let at = |con: &mut Connection, i: &str| -> Vec<u8> {
        command(&["LINDEX", "l", i]).query(con).unwrap()
    };
    assert_eq!(at(&mut con, "1"), big);
    assert_eq!(at(&mut con, "2"), mid);
    query::<()>(&mut con, &["LREM", "l", "1", "a"]);
    assert_eq!(at(&mut con, "0"), big);
    let moved: Vec<u8> = command(&["LMOVE", "l", "other", "LEFT", "RIGHT"])
        .query(&mut con)
        .unwrap();
    assert_eq!(moved, big);
    assert_eq!(
        command(&["LPOP", "other"])
            .query::<Vec<u8>>(&mut con)
            .unwrap(),
        big
    );
    assert_eq!(all(&mut con, "l").len(), 3);
    assert_eq!(at(&mut con, "0"), mid);
}

// ---- a long list ----

/// Seconds spent by `words` on the big list and on the small one, run alternately `rounds`
/// times so that the machine's load weighs on both alike.
fn alternate(con: &mut Connection, words: &[&str], rounds: usize) -> (Duration, Duration) {
    let (mut big, mut small) = (Duration::ZERO, Duration::ZERO);
    for _ in 0..rounds {
        for (key, total) in [("big", &mut big), ("small", &mut small)] {
            let mut words = words.to_vec();
            words[1] = key;
            let start = Instant::now();
            query::<Value>(con, &words);
            *total += start.elapsed();
        }
    }
    (big, small)
}

#[test]
fn the_ends_of_a_100000_element_list_cost_what_a_short_lists_do() {
    // What is measured is how many files a command touches, not how fast the disk makes
    // 100,000 of them: the data directory is in memory when the machine has /dev/shm.
    let shm = std::path::Path::new("/dev/shm");
    let tmp = if shm.is_dir() {
        tempfile::TempDir::new_in(shm)
    } else {
        tempfile::TempDir::new()
    }
    .unwrap();
    let server = Server::start_in(&tmp.path().join("data"), &[]).unwrap();
    let mut con = server.con();
    let n = 100_000;
    let mut load = command(&["RPUSH", "big"]);
    for i in 0..n {
        load.arg(i.to_string());
    }
    assert_eq!(load.query::<i64>(&mut con).unwrap(), n);
    query::<()>(
        &mut con,
        &[
            "RPUSH", "small", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9",
        ],
    );
    for words in [
        &["LINDEX", "", "0"][..],
        &["LPUSH", "", "x"],
        &["RPOP", ""],
        &["LINDEX", "", "-2"],
        &["LRANGE", "", "0", "9"],
    ] {
        let (big, small) = alternate(&mut con, words, 100);
        assert!(
            big < small * 3 + Duration::from_millis(200),
            "{words:?}: {big:?} on the big list, {small:?} on the small one"
        );
    }
    assert_eq!(int(&mut con, &["LLEN", "big"]), n);
    // 100 x pushed on the left, 100 elements popped on the right.
    assert_eq!(query::<String>(&mut con, &["LINDEX", "big", "-1"]), "99899");
    assert_eq!(
        query::<String>(&mut con, &["LINDEX", "big", "50000"]),
        "49900"
    );
    // LPOS scans; LTRIM to a few elements rebuilds the key from them.
    assert_eq!(
        int(&mut con, &["LPOS", "big", "99899", "RANK", "-1"]),
        n - 1
    );
    query::<()>(&mut con, &["LTRIM", "big", "-3", "-1"]);
    assert_eq!(all(&mut con, "big"), ["99897", "99898", "99899"]);
}

// ---- on disk ----

#[test]
fn the_layout_of_a_list_on_disk() {
    if skip_in_reference("a dredis feature") {
        return;
    }
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["RPUSH", "l", "a", "b"]);
    let dir = server.key_dir("l");
    let read = |rel: &str| std::fs::read_to_string(dir.join(rel)).unwrap();
    assert_eq!(read("type"), "list\nsize 2\nhead 0\n");
    assert_eq!(read("items/0"), "a");
    assert_eq!(read("items/1"), "b");
    query::<()>(&mut con, &["LPUSH", "l", "z"]);
    assert_eq!(read("type"), "list\nsize 3\nhead -1\n");
    assert_eq!(read("items/-1"), "z");
    query::<()>(&mut con, &["RPOP", "l"]);
    assert!(!dir.join("items/1").exists());
    assert_eq!(read("type"), "list\nsize 2\nhead -1\n");
    query::<()>(&mut con, &["RPOP", "l", "2"]);
    assert!(!dir.exists());
}

#[test]
fn lists_survive_a_restart() {
    if skip_in_reference("a dredis feature") {
        return;
    }
    let mut server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["RPUSH", "l", "a", "b", "c"]);
    query::<()>(&mut con, &["LPUSH", "l", "z"]);
    query::<()>(&mut con, &["LINSERT", "l", "AFTER", "a", "x"]);
    server.restart();
    let mut con = server.con();
    assert_eq!(all(&mut con, "l"), ["z", "a", "x", "b", "c"]);
}
