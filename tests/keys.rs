//! Generic key commands: DEL, EXISTS, TYPE, KEYS (with Redis's glob patterns).

mod common;

use common::{query, query_err, Server};

/// KEYS, sorted (Redis lists keys in no particular order).
fn keys(con: &mut redis::Connection, pattern: &str) -> Vec<String> {
    let mut found: Vec<String> = query(con, &["KEYS", pattern]);
    found.sort();
    found
}

fn set_all(con: &mut redis::Connection, names: &[&str]) {
    for name in names {
        query::<()>(con, &["SET", name, "1"]);
    }
}

#[test]
fn del_returns_the_number_of_keys_removed() {
    let server = Server::start();
    let mut con = server.con();
    set_all(&mut con, &["a", "b"]);
    assert_eq!(query::<i64>(&mut con, &["DEL", "a", "b", "nosuchkey"]), 2);
    assert_eq!(query::<i64>(&mut con, &["DEL", "a"]), 0);
    assert_eq!(query::<i64>(&mut con, &["EXISTS", "a", "b"]), 0);
}

#[test]
fn del_of_a_key_named_twice_counts_it_once() {
    let server = Server::start();
    let mut con = server.con();
    set_all(&mut con, &["a"]);
    assert_eq!(query::<i64>(&mut con, &["DEL", "a", "a"]), 1);
}

#[test]
fn del_removes_keys_of_every_type() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SET", "s", "v"]);
    query::<()>(&mut con, &["HSET", "h", "f", "v", "g", "w"]);
    query::<()>(&mut con, &["SADD", "set", "a", "b"]);
    assert_eq!(query::<i64>(&mut con, &["DEL", "s", "h", "set"]), 3);
    assert_eq!(query::<i64>(&mut con, &["DBSIZE"]), 0);
    // A deleted hash starts afresh.
    assert_eq!(query::<i64>(&mut con, &["HSET", "h", "x", "1"]), 1);
    assert_eq!(query::<i64>(&mut con, &["HLEN", "h"]), 1);
}

#[test]
fn exists_counts_a_key_named_twice_twice() {
    let server = Server::start();
    let mut con = server.con();
    set_all(&mut con, &["a", "b"]);
    assert_eq!(query::<i64>(&mut con, &["EXISTS", "a"]), 1);
    assert_eq!(query::<i64>(&mut con, &["EXISTS", "nosuchkey"]), 0);
    assert_eq!(
        query::<i64>(&mut con, &["EXISTS", "a", "a", "a", "b", "c"]),
        4
    );
}

#[test]
fn type_names_each_kind_of_value() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SET", "s", "v"]);
    query::<()>(&mut con, &["HSET", "h", "f", "v"]);
    query::<()>(&mut con, &["SADD", "set", "m"]);
    assert_eq!(query::<String>(&mut con, &["TYPE", "s"]), "string");
    assert_eq!(query::<String>(&mut con, &["TYPE", "h"]), "hash");
    assert_eq!(query::<String>(&mut con, &["TYPE", "set"]), "set");
    assert_eq!(query::<String>(&mut con, &["TYPE", "nosuchkey"]), "none");
    // TYPE answers with a status reply, not a bulk string.
    assert_eq!(
        query::<redis::Value>(&mut con, &["TYPE", "s"]),
        redis::Value::SimpleString("string".into())
    );
}

#[test]
fn arity_errors() {
    let server = Server::start();
    let mut con = server.con();
    for (args, name) in [
        (&["DEL"][..], "del"),
        (&["EXISTS"], "exists"),
        (&["TYPE"], "type"),
        (&["TYPE", "a", "b"], "type"),
        (&["KEYS"], "keys"),
        (&["KEYS", "a", "b"], "keys"),
    ] {
        assert_eq!(
            query_err(&mut con, args),
            format!("ERR wrong number of arguments for '{name}' command")
        );
    }
}

const NAMES: &[&str] = &[
    "a", "b", "c", "d", "ab", "abc", "ba", "a*", "a?", "a/b", "a/b/c", "x[y", "a\\b", "user:1",
    "user:22",
];

#[test]
fn keys_star_lists_every_key() {
    let server = Server::start();
    let mut con = server.con();
    assert!(keys(&mut con, "*").is_empty());
    set_all(&mut con, NAMES);
    let mut all: Vec<String> = NAMES.iter().map(|s| s.to_string()).collect();
    all.sort();
    assert_eq!(keys(&mut con, "*"), all);
}

#[test]
fn keys_with_glob_patterns() {
    let server = Server::start();
    let mut con = server.con();
    set_all(&mut con, NAMES);
    for (pattern, want) in [
        // ? is exactly one byte.
        ("?", &["a", "b", "c", "d"][..]),
        ("a?", &["a*", "a?", "ab"]),
        ("user:??", &["user:22"]),
        // A range, a negated range, a reversed range.
        ("[a-c]", &["a", "b", "c"]),
        ("[c-a]", &["a", "b", "c"]),
        ("[^a]", &["b", "c", "d"]),
        ("[abd]", &["a", "b", "d"]),
        // `!` does not negate in Redis: [!a] is '!' or 'a'.
        ("[!a]", &["a"]),
        // Backslash escapes a special character.
        ("a\\*", &["a*"]),
        ("a\\?", &["a?"]),
        ("x\\[y", &["x[y"]),
        ("*\\\\*", &["a\\b"]),
        // * crosses '/': it is not a path glob.
        (
            "a*",
            &["a", "a*", "a/b", "a/b/c", "a?", "a\\b", "ab", "abc"],
        ),
        ("*c", &["a/b/c", "abc", "c"]),
        ("a/*", &["a/b", "a/b/c"]),
        ("*/*/*", &["a/b/c"]),
        ("user:*", &["user:1", "user:22"]),
        // An exact name, and names that match nothing.
        ("abc", &["abc"]),
        ("nosuchkey", &[]),
        ("", &[]),
        // An unclosed bracket does not match the bracket itself.
        ("x[y", &[]),
    ] {
        assert_eq!(keys(&mut con, pattern), want, "KEYS {pattern:?}");
    }
}

#[test]
fn keys_does_not_list_expired_keys() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SET", "short", "v", "PX", "50"]);
    query::<()>(&mut con, &["SET", "long", "v", "EX", "100"]);
    std::thread::sleep(std::time::Duration::from_millis(150));
    assert_eq!(keys(&mut con, "*"), ["long"]);
    assert_eq!(query::<i64>(&mut con, &["EXISTS", "short", "long"]), 1);
}

#[test]
fn keys_lists_only_the_selected_database() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SET", "in0", "v"]);
    query::<()>(&mut con, &["SELECT", "1"]);
    query::<()>(&mut con, &["SET", "in1", "v"]);
    assert_eq!(keys(&mut con, "*"), ["in1"]);
    query::<()>(&mut con, &["SELECT", "0"]);
    assert_eq!(keys(&mut con, "*"), ["in0"]);
}
