//! Set commands: SADD, SMEMBERS, SCARD, SISMEMBER.

mod common;

use common::{query, query_err, Server};
use redis::Value;

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

fn smembers(con: &mut redis::Connection, key: &str) -> Vec<String> {
    let mut members: Vec<String> = query(con, &["SMEMBERS", key]);
    members.sort();
    members
}

#[test]
fn sadd_returns_the_number_of_new_members() {
    let server = Server::start();
    let mut con = server.con();
    assert_eq!(query::<i64>(&mut con, &["SADD", "s", "a", "b"]), 2);
    assert_eq!(query::<i64>(&mut con, &["SADD", "s", "b", "c"]), 1);
    assert_eq!(query::<i64>(&mut con, &["SADD", "s", "a"]), 0);
    assert_eq!(smembers(&mut con, "s"), ["a", "b", "c"]);
}

#[test]
fn sadd_of_the_same_member_twice_in_one_call_counts_it_once() {
    let server = Server::start();
    let mut con = server.con();
    assert_eq!(query::<i64>(&mut con, &["SADD", "s", "a", "a", "a"]), 1);
    assert_eq!(query::<i64>(&mut con, &["SCARD", "s"]), 1);
}

#[test]
fn sadd_of_an_empty_member() {
    let server = Server::start();
    let mut con = server.con();
    assert_eq!(query::<i64>(&mut con, &["SADD", "s", ""]), 1);
    assert_eq!(query::<i64>(&mut con, &["SISMEMBER", "s", ""]), 1);
    assert_eq!(smembers(&mut con, "s"), [""]);
}

#[test]
fn smembers_of_a_missing_key_is_empty() {
    let server = Server::start();
    let mut con = server.con();
    assert_eq!(
        query::<Value>(&mut con, &["SMEMBERS", "nokey"]),
        Value::Array(Vec::new())
    );
}

#[test]
fn scard_counts_members() {
    let server = Server::start();
    let mut con = server.con();
    assert_eq!(query::<i64>(&mut con, &["SCARD", "nokey"]), 0);
    query::<()>(&mut con, &["SADD", "s", "a", "b", "c"]);
    assert_eq!(query::<i64>(&mut con, &["SCARD", "s"]), 3);
}

#[test]
fn sismember_is_one_or_zero() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SADD", "s", "a"]);
    assert_eq!(query::<i64>(&mut con, &["SISMEMBER", "s", "a"]), 1);
    assert_eq!(query::<i64>(&mut con, &["SISMEMBER", "s", "z"]), 0);
    assert_eq!(query::<i64>(&mut con, &["SISMEMBER", "s", "A"]), 0);
    assert_eq!(query::<i64>(&mut con, &["SISMEMBER", "nokey", "a"]), 0);
}

#[test]
fn set_commands_on_a_string_are_wrongtype() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SET", "str", "v"]);
    query::<()>(&mut con, &["HSET", "h", "f", "v"]);
    for key in ["str", "h"] {
        for args in [
            &["SADD", key, "m"][..],
            &["SMEMBERS", key],
            &["SCARD", key],
            &["SISMEMBER", key, "m"],
        ] {
            assert_eq!(query_err(&mut con, args), WRONGTYPE, "{args:?}");
        }
    }
    assert_eq!(query::<String>(&mut con, &["GET", "str"]), "v");
}

#[test]
fn a_set_replaced_by_a_string_is_gone() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SADD", "k", "a", "b"]);
    query::<()>(&mut con, &["SET", "k", "v"]);
    assert_eq!(query::<String>(&mut con, &["TYPE", "k"]), "string");
    query::<()>(&mut con, &["DEL", "k"]);
    assert_eq!(query::<i64>(&mut con, &["SADD", "k", "c"]), 1);
    assert_eq!(smembers(&mut con, "k"), ["c"]);
}

#[test]
fn arity_errors() {
    let server = Server::start();
    let mut con = server.con();
    for (args, name) in [
        (&["SADD", "s"][..], "sadd"),
        (&["SMEMBERS"], "smembers"),
        (&["SMEMBERS", "a", "b"], "smembers"),
        (&["SCARD"], "scard"),
        (&["SISMEMBER", "s"], "sismember"),
        (&["SISMEMBER", "s", "a", "b"], "sismember"),
    ] {
        assert_eq!(
            query_err(&mut con, args),
            format!("ERR wrong number of arguments for '{name}' command")
        );
    }
}

#[test]
fn a_set_with_many_members() {
    let server = Server::start();
    let mut con = server.con();
    let mut cmd = redis::cmd("SADD");
    cmd.arg("s");
    for i in 0..1000 {
        cmd.arg(i);
    }
    assert_eq!(cmd.query::<i64>(&mut con).unwrap(), 1000);
    assert_eq!(query::<i64>(&mut con, &["SCARD", "s"]), 1000);
    let mut members: Vec<i64> = query(&mut con, &["SMEMBERS", "s"]);
    members.sort();
    assert_eq!(members, (0..1000).collect::<Vec<_>>());
}
