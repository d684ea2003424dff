//! Set commands: SADD, SREM, SMEMBERS, SCARD, SISMEMBER, SMISMEMBER, SPOP, SRANDMEMBER,
//! SMOVE, SINTER/SUNION/SDIFF and their STORE forms, SINTERCARD, SSCAN; their errors, RESP3
//! shapes, random picks on small and big sets, and scans that other writes interleave with.

mod common;

use std::collections::{BTreeSet, HashMap};

use common::{command, query, query_err, Server};
use redis::{Connection, Value};

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const SYNTAX: &str = "ERR syntax error";
const NOT_INTEGER: &str = "ERR value is not an integer or out of range";

fn smembers(con: &mut redis::Connection, key: &str) -> Vec<String> {
    let mut members: Vec<String> = query(con, &["SMEMBERS", key]);
    members.sort();
    members
}

fn sorted(mut items: Vec<String>) -> Vec<String> {
    items.sort();
    items
}

fn int(con: &mut Connection, words: &[&str]) -> i64 {
    query(con, words)
}

/// SADD of `m0`..`m{n-1}` in one command.
fn sadd_many(con: &mut Connection, key: &str, n: usize) {
    let mut cmd = command(&["SADD", key]);
    for i in 0..n {
        cmd.arg(format!("m{i}"));
    }
    cmd.query::<i64>(con).unwrap();
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
            &["SREM", key, "m"],
            &["SMISMEMBER", key, "m"],
            &["SPOP", key],
            &["SPOP", key, "1"],
            &["SRANDMEMBER", key],
            &["SRANDMEMBER", key, "-1"],
            &["SSCAN", key, "0"],
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

#[test]
fn srem_counts_removed_members_and_the_last_one_takes_the_key() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SADD", "s", "a", "b", "c"]);
    assert_eq!(int(&mut con, &["SREM", "s", "zz"]), 0);
    // A member named twice is removed once.
    assert_eq!(int(&mut con, &["SREM", "s", "a", "a", "b"]), 2);
    assert_eq!(smembers(&mut con, "s"), ["c"]);
    assert_eq!(int(&mut con, &["SREM", "s", "c", "d"]), 1);
    assert_eq!(int(&mut con, &["EXISTS", "s"]), 0);
    assert_eq!(int(&mut con, &["SREM", "nokey", "a"]), 0);
}

#[test]
fn smismember_answers_for_each_member() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SADD", "s", "a", "b"]);
    assert_eq!(
        query::<Vec<i64>>(&mut con, &["SMISMEMBER", "s", "a", "zz", "b", "a"]),
        [1, 0, 1, 1]
    );
    assert_eq!(
        query::<Vec<i64>>(&mut con, &["SMISMEMBER", "nokey", "a", "b"]),
        [0, 0]
    );
}

#[test]
fn spop_removes_what_it_returns() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SADD", "s", "a", "b", "c", "d", "e"]);
    let one: String = query(&mut con, &["SPOP", "s"]);
    let two: Vec<String> = query(&mut con, &["SPOP", "s", "2"]);
    assert_eq!(two.len(), 2);
    let mut popped: Vec<String> = two.into_iter().chain([one]).collect();
    popped.sort();
    popped.dedup();
    assert_eq!(popped.len(), 3, "{popped:?}");
    let left = smembers(&mut con, "s");
    assert_eq!(left.len(), 2);
    let all: BTreeSet<String> = popped.iter().chain(&left).cloned().collect();
    assert_eq!(all.len(), 5);
    assert!(all
        .iter()
        .all(|m| ["a", "b", "c", "d", "e"].contains(&m.as_str())));
    // SPOP 0 pops nothing; a count of at least the size pops everything and the key.
    assert_eq!(query::<Vec<String>>(&mut con, &["SPOP", "s", "0"]).len(), 0);
    assert_eq!(sorted(query(&mut con, &["SPOP", "s", "10"])), left);
    assert_eq!(int(&mut con, &["EXISTS", "s"]), 0);
    assert_eq!(query::<Value>(&mut con, &["SPOP", "s"]), Value::Nil);
    assert_eq!(
        query::<Value>(&mut con, &["SPOP", "s", "3"]),
        Value::Array(Vec::new())
    );
    // The last member popped alone takes the key too.
    query::<()>(&mut con, &["SADD", "one", "x"]);
    assert_eq!(query::<String>(&mut con, &["SPOP", "one"]), "x");
    assert_eq!(int(&mut con, &["EXISTS", "one"]), 0);
}

#[test]
fn spop_and_srandmember_errors() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SADD", "s", "a"]);
    let positive = "ERR value is out of range, must be positive";
    assert_eq!(query_err(&mut con, &["SPOP", "s", "-1"]), positive);
    assert_eq!(query_err(&mut con, &["SPOP", "s", "abc"]), positive);
    assert_eq!(query_err(&mut con, &["SPOP", "nokey", "-1"]), positive);
    assert_eq!(query_err(&mut con, &["SPOP", "s", "1", "2"]), SYNTAX);
    assert_eq!(
        query_err(&mut con, &["SRANDMEMBER", "s", "abc"]),
        NOT_INTEGER
    );
    assert_eq!(query_err(&mut con, &["SRANDMEMBER", "s", "1", "2"]), SYNTAX);
    assert_eq!(
        query_err(&mut con, &["SRANDMEMBER", "s", "-9223372036854775808"]),
        "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
    );
    assert_eq!(smembers(&mut con, "s"), ["a"]);
}

#[test]
fn srandmember_with_and_without_a_count() {
    let server = Server::start();
    let mut con = server.con();
    let members: Vec<String> = (0..10).map(|i| format!("m{i}")).collect();
    sadd_many(&mut con, "s", 10);
    let one: String = query(&mut con, &["SRANDMEMBER", "s"]);
    assert!(members.contains(&one));
    // A positive count: distinct members, the whole set when it asks for more.
    let three: Vec<String> = query(&mut con, &["SRANDMEMBER", "s", "3"]);
    assert_eq!(three.iter().collect::<BTreeSet<_>>().len(), 3);
    assert!(three.iter().all(|m| members.contains(m)));
    assert_eq!(
        sorted(query(&mut con, &["SRANDMEMBER", "s", "100"])),
        sorted(members.clone())
    );
    assert_eq!(
        query::<Vec<String>>(&mut con, &["SRANDMEMBER", "s", "0"]).len(),
        0
    );
    // A negative count: that many picks, repeats allowed; 1000 of them reach every member.
    let picks: Vec<String> = query(&mut con, &["SRANDMEMBER", "s", "-1000"]);
    assert_eq!(picks.len(), 1000);
    let mut counts: HashMap<String, usize> = HashMap::new();
    for pick in picks {
        *counts.entry(pick).or_default() += 1;
    }
    assert_eq!(sorted(counts.keys().cloned().collect()), sorted(members));
    // Nothing was removed.
    assert_eq!(int(&mut con, &["SCARD", "s"]), 10);
    assert_eq!(
        query::<Value>(&mut con, &["SRANDMEMBER", "nokey"]),
        Value::Nil
    );
    assert_eq!(
        query::<Value>(&mut con, &["SRANDMEMBER", "nokey", "-5"]),
        Value::Array(Vec::new())
    );
}

#[test]
fn random_picks_on_a_big_set_reach_every_member() {
    let server = Server::start();
    let mut con = server.con();
    sadd_many(&mut con, "s", 300);
    let picks: Vec<String> = query(&mut con, &["SRANDMEMBER", "s", "-6000"]);
    let seen: BTreeSet<String> = picks.into_iter().collect();
    assert_eq!(seen.len(), 300);
    let distinct: Vec<String> = query(&mut con, &["SRANDMEMBER", "s", "50"]);
    assert_eq!(distinct.iter().collect::<BTreeSet<_>>().len(), 50);
    assert!(distinct.iter().all(|m| seen.contains(m)));
    // More than a third of the set: one pass over it, still distinct.
    let most: Vec<String> = query(&mut con, &["SRANDMEMBER", "s", "250"]);
    assert_eq!(most.iter().collect::<BTreeSet<_>>().len(), 250);
    // SPOP takes them out for good.
    let popped: Vec<String> = query(&mut con, &["SPOP", "s", "40"]);
    assert_eq!(popped.iter().collect::<BTreeSet<_>>().len(), 40);
    assert_eq!(int(&mut con, &["SCARD", "s"]), 260);
    for member in &popped {
        assert_eq!(int(&mut con, &["SISMEMBER", "s", member]), 0);
    }
    let remaining: BTreeSet<String> = smembers(&mut con, "s").into_iter().collect();
    assert_eq!(remaining.len(), 260);
    assert!(popped.iter().all(|m| !remaining.contains(m)));
}

#[test]
fn smove_moves_a_member_between_sets() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SADD", "src", "a", "b"]);
    query::<()>(&mut con, &["SADD", "dst", "b", "c"]);
    assert_eq!(int(&mut con, &["SMOVE", "src", "dst", "a"]), 1);
    assert_eq!(smembers(&mut con, "src"), ["b"]);
    assert_eq!(smembers(&mut con, "dst"), ["a", "b", "c"]);
    assert_eq!(int(&mut con, &["SMOVE", "src", "dst", "zz"]), 0);
    // Already in the destination: still moved out of the source, which goes with it.
    assert_eq!(int(&mut con, &["SMOVE", "src", "dst", "b"]), 1);
    assert_eq!(int(&mut con, &["EXISTS", "src"]), 0);
    assert_eq!(int(&mut con, &["SCARD", "dst"]), 3);
    // A new destination is created; a missing source moves nothing.
    assert_eq!(int(&mut con, &["SMOVE", "dst", "new", "c"]), 1);
    assert_eq!(smembers(&mut con, "new"), ["c"]);
    assert_eq!(int(&mut con, &["SMOVE", "nokey", "dst", "a"]), 0);
    // The same set: 1 if it is a member, and nothing changes.
    assert_eq!(int(&mut con, &["SMOVE", "dst", "dst", "a"]), 1);
    assert_eq!(int(&mut con, &["SMOVE", "dst", "dst", "zz"]), 0);
    assert_eq!(smembers(&mut con, "dst"), ["a", "b"]);
}

#[test]
fn smove_checks_both_types_unless_the_source_is_missing() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SADD", "s", "a"]);
    query::<()>(&mut con, &["SET", "str", "v"]);
    assert_eq!(query_err(&mut con, &["SMOVE", "s", "str", "a"]), WRONGTYPE);
    assert_eq!(query_err(&mut con, &["SMOVE", "s", "str", "zz"]), WRONGTYPE);
    assert_eq!(query_err(&mut con, &["SMOVE", "str", "s", "a"]), WRONGTYPE);
    assert_eq!(int(&mut con, &["SMOVE", "nokey", "str", "a"]), 0);
    assert_eq!(smembers(&mut con, "s"), ["a"]);
}

fn algebra_sample(con: &mut Connection) {
    query::<()>(con, &["SADD", "s1", "a", "b", "c", "d"]);
    query::<()>(con, &["SADD", "s2", "c", "d", "e"]);
    query::<()>(con, &["SADD", "s3", "a", "c", "e", "f"]);
}

#[test]
fn sinter_sunion_and_sdiff() {
    let server = Server::start();
    let mut con = server.con();
    algebra_sample(&mut con);
    assert_eq!(sorted(query(&mut con, &["SINTER", "s1", "s2"])), ["c", "d"]);
    assert_eq!(
        sorted(query(&mut con, &["SINTER", "s1", "s2", "s3"])),
        ["c"]
    );
    assert_eq!(
        sorted(query(&mut con, &["SINTER", "s1", "s1"])),
        ["a", "b", "c", "d"]
    );
    assert_eq!(
        query::<Vec<String>>(&mut con, &["SINTER", "s1", "nokey"]).len(),
        0
    );
    assert_eq!(
        sorted(query(&mut con, &["SUNION", "s1", "s2", "nokey"])),
        ["a", "b", "c", "d", "e"]
    );
    assert_eq!(sorted(query(&mut con, &["SDIFF", "s1", "s2"])), ["a", "b"]);
    assert_eq!(sorted(query(&mut con, &["SDIFF", "s1", "s2", "s3"])), ["b"]);
    assert_eq!(
        sorted(query(&mut con, &["SDIFF", "s1", "nokey"])),
        ["a", "b", "c", "d"]
    );
    assert_eq!(
        query::<Vec<String>>(&mut con, &["SDIFF", "s1", "s1"]).len(),
        0
    );
    assert_eq!(
        query::<Vec<String>>(&mut con, &["SDIFF", "nokey", "s1"]).len(),
        0
    );
}

#[test]
fn store_forms_replace_the_destination_and_an_empty_result_deletes_it() {
    let server = Server::start();
    let mut con = server.con();
    algebra_sample(&mut con);
    query::<()>(&mut con, &["SET", "dst", "a string"]);
    assert_eq!(int(&mut con, &["SINTERSTORE", "dst", "s1", "s2"]), 2);
    assert_eq!(query::<String>(&mut con, &["TYPE", "dst"]), "set");
    assert_eq!(smembers(&mut con, "dst"), ["c", "d"]);
    assert_eq!(int(&mut con, &["SUNIONSTORE", "dst", "s2", "s3"]), 5);
    assert_eq!(smembers(&mut con, "dst"), ["a", "c", "d", "e", "f"]);
    // The destination may be a source.
    assert_eq!(int(&mut con, &["SDIFFSTORE", "dst", "dst", "s1"]), 2);
    assert_eq!(smembers(&mut con, "dst"), ["e", "f"]);
    assert_eq!(int(&mut con, &["SINTERSTORE", "dst", "s1", "nokey"]), 0);
    assert_eq!(int(&mut con, &["EXISTS", "dst"]), 0);
    query::<()>(&mut con, &["SET", "dst", "v"]);
    assert_eq!(int(&mut con, &["SDIFFSTORE", "dst", "s1", "s1"]), 0);
    assert_eq!(int(&mut con, &["EXISTS", "dst"]), 0);
}

#[test]
fn multi_set_commands_check_every_type_first() {
    let server = Server::start();
    let mut con = server.con();
    algebra_sample(&mut con);
    query::<()>(&mut con, &["SET", "str", "v"]);
    for args in [
        &["SINTER", "nokey", "str"][..],
        &["SINTER", "s1", "str"],
        &["SUNION", "s1", "str"],
        &["SDIFF", "nokey", "str"],
        &["SDIFF", "s1", "str"],
        &["SINTERSTORE", "dst", "nokey", "str"],
        &["SUNIONSTORE", "dst", "str"],
        &["SDIFFSTORE", "dst", "str", "s1"],
        &["SINTERCARD", "2", "nokey", "str"],
    ] {
        assert_eq!(query_err(&mut con, args), WRONGTYPE, "{args:?}");
    }
    assert_eq!(int(&mut con, &["EXISTS", "dst"]), 0);
}

#[test]
fn sintercard_counts_up_to_a_limit() {
    let server = Server::start();
    let mut con = server.con();
    algebra_sample(&mut con);
    assert_eq!(int(&mut con, &["SINTERCARD", "2", "s1", "s2"]), 2);
    assert_eq!(
        int(&mut con, &["SINTERCARD", "2", "s1", "s2", "LIMIT", "1"]),
        1
    );
    assert_eq!(
        int(&mut con, &["SINTERCARD", "2", "s1", "s2", "LIMIT", "0"]),
        2
    );
    assert_eq!(
        int(
            &mut con,
            &["SINTERCARD", "1", "s1", "limit", "9", "LIMIT", "3"]
        ),
        3
    );
    assert_eq!(int(&mut con, &["SINTERCARD", "2", "s1", "nokey"]), 0);
    let numkeys = "ERR numkeys should be greater than 0";
    for (args, error) in [
        (&["SINTERCARD", "0", "s1"][..], numkeys),
        (&["SINTERCARD", "-1", "s1"], numkeys),
        (&["SINTERCARD", "abc", "s1"], numkeys),
        (
            &["SINTERCARD", "3", "s1", "s2"],
            "ERR Number of keys can't be greater than number of args",
        ),
        (&["SINTERCARD", "2", "s1", "s2", "LIMIT"], SYNTAX),
        (
            &["SINTERCARD", "2", "s1", "s2", "LIMIT", "-1"],
            "ERR LIMIT can't be negative",
        ),
        (
            &["SINTERCARD", "2", "s1", "s2", "LIMIT", "x"],
            "ERR LIMIT can't be negative",
        ),
        (&["SINTERCARD", "2", "s1", "s2", "foo", "1"], SYNTAX),
    ] {
        assert_eq!(query_err(&mut con, args), error, "{args:?}");
    }
}

/// Every SSCAN call from cursor 0 until the cursor comes back to 0.
fn sscan_all(con: &mut Connection, key: &str, extra: &[&str]) -> (Vec<String>, usize) {
    let (mut cursor, mut all, mut calls) = ("0".to_string(), Vec::new(), 0);
    loop {
        let mut words = vec!["SSCAN", key, &cursor];
        words.extend_from_slice(extra);
        let (next, members): (String, Vec<String>) = query(con, &words);
        all.extend(members);
        calls += 1;
        cursor = next;
        if cursor == "0" {
            return (all, calls);
        }
    }
}

#[test]
fn sscan_of_a_small_set_returns_it_whole() {
    let server = Server::start();
    let mut con = server.con();
    // Integers: an intset in Redis 7.0 as well, returned whole there too.
    query::<()>(&mut con, &["SADD", "s", "1", "2", "3", "10", "20"]);
    let (cursor, members): (String, Vec<String>) = query(&mut con, &["SSCAN", "s", "0"]);
    assert_eq!(cursor, "0");
    assert_eq!(sorted(members), ["1", "10", "2", "20", "3"]);
    let (_, members): (String, Vec<String>) =
        query(&mut con, &["SSCAN", "s", "0", "MATCH", "1*", "COUNT", "1"]);
    assert_eq!(sorted(members), ["1", "10"]);
    let (cursor, members): (String, Vec<String>) = query(&mut con, &["SSCAN", "nokey", "0"]);
    assert_eq!((cursor.as_str(), members.len()), ("0", 0));
}

#[test]
fn sscan_of_a_big_set_goes_in_parts() {
    let server = Server::start();
    let mut con = server.con();
    sadd_many(&mut con, "s", 1000);
    let (members, calls) = sscan_all(&mut con, "s", &["COUNT", "100"]);
    let distinct: BTreeSet<String> = members.iter().cloned().collect();
    assert_eq!(distinct.len(), 1000);
    assert!(calls >= 5, "{calls} calls");
    let (matched, _) = sscan_all(&mut con, "s", &["MATCH", "m9?", "COUNT", "50"]);
    let matched: BTreeSet<String> = matched.into_iter().collect();
    let want: BTreeSet<String> = (90..100).map(|i| format!("m{i}")).collect();
    assert_eq!(matched, want);
}

#[test]
fn sscan_returns_every_member_present_throughout_while_others_change() {
    let server = Server::start();
    let mut con = server.con();
    sadd_many(&mut con, "s", 600);
    // m0..m299 stay; m300..m599 are removed as the scan goes; n0.. are added meanwhile.
    let (mut cursor, mut seen, mut calls) = ("0".to_string(), BTreeSet::new(), 0);
    loop {
        let (next, members): (String, Vec<String>) =
            query(&mut con, &["SSCAN", "s", &cursor, "COUNT", "40"]);
        seen.extend(members);
        for i in 0..15 {
            let gone = format!("m{}", 300 + calls * 15 + i);
            let new = format!("n{}", calls * 15 + i);
            query::<()>(&mut con, &["SREM", "s", &gone]);
            query::<()>(&mut con, &["SADD", "s", &new]);
        }
        calls += 1;
        cursor = next;
        if cursor == "0" {
            break;
        }
    }
    for i in 0..300 {
        assert!(seen.contains(&format!("m{i}")), "m{i} was never returned");
    }
    assert!(calls > 5, "{calls} calls");
}

#[test]
fn sscan_errors() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SADD", "s", "a"]);
    query::<()>(&mut con, &["SET", "str", "v"]);
    let invalid = "ERR invalid cursor";
    for cursor in ["abc", " 1", "1x", "-", "18446744073709551616"] {
        assert_eq!(
            query_err(&mut con, &["SSCAN", "s", cursor]),
            invalid,
            "{cursor:?}"
        );
    }
    // The cursor is read before the key, the options after it.
    assert_eq!(query_err(&mut con, &["SSCAN", "str", "abc"]), invalid);
    assert_eq!(query_err(&mut con, &["SSCAN", "str", "0"]), WRONGTYPE);
    let (cursor, _): (String, Vec<String>) =
        query(&mut con, &["SSCAN", "nokey", "0", "COUNT", "0"]);
    assert_eq!(cursor, "0");
    for args in [
        &["SSCAN", "s", "0", "COUNT", "0"][..],
        &["SSCAN", "s", "0", "COUNT", "-1"],
        &["SSCAN", "s", "0", "MATCH"],
        &["SSCAN", "s", "0", "foo", "bar"],
        &["SSCAN", "s", "0", "TYPE", "string"],
    ] {
        assert_eq!(query_err(&mut con, args), SYNTAX, "{args:?}");
    }
    assert_eq!(
        query_err(&mut con, &["SSCAN", "s", "0", "COUNT", "x"]),
        NOT_INTEGER
    );
    // What strtoul accepts is a cursor: a sign, 64 bits.
    for cursor in ["+0", "-1", "18446744073709551615"] {
        let (_, _): (String, Vec<String>) = query(&mut con, &["SSCAN", "s", cursor]);
    }
}

#[test]
fn resp3_shapes_of_set_replies() {
    let server = Server::start();
    query::<()>(&mut server.con(), &["SADD", "s", "a"]);
    let mut raw = server.raw();
    raw.call(&["HELLO", "3"]);
    assert_eq!(raw.call(&["SMEMBERS", "s"]), "~1\r\n$1\r\na\r\n");
    assert_eq!(raw.call(&["SINTER", "s", "s"]), "~1\r\n$1\r\na\r\n");
    assert_eq!(raw.call(&["SUNION", "s"]), "~1\r\n$1\r\na\r\n");
    assert_eq!(raw.call(&["SDIFF", "s", "nokey"]), "~1\r\n$1\r\na\r\n");
    assert_eq!(
        raw.call(&["SRANDMEMBER", "s", "-2"]),
        "*2\r\n$1\r\na\r\n$1\r\na\r\n"
    );
    assert_eq!(raw.call(&["SRANDMEMBER", "s", "5"]), "*1\r\n$1\r\na\r\n");
    assert_eq!(raw.call(&["SRANDMEMBER", "nokey"]), "_\r\n");
    assert_eq!(
        raw.call(&["SMISMEMBER", "s", "a", "b"]),
        "*2\r\n:1\r\n:0\r\n"
    );
    assert_eq!(
        raw.call(&["SSCAN", "s", "0"]),
        "*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n"
    );
    assert_eq!(raw.call(&["SPOP", "nokey", "1"]), "~0\r\n");
    assert_eq!(raw.call(&["SPOP", "s", "1"]), "~1\r\n$1\r\na\r\n");
    assert_eq!(raw.call(&["SPOP", "s"]), "_\r\n");
}

#[test]
fn multi_key_commands_declare_their_keys_as_redis() {
    let server = Server::start();
    let mut con = server.con();
    let getkeys = |con: &mut Connection, words: &[&str]| -> Vec<String> {
        let mut all = vec!["COMMAND", "GETKEYS"];
        all.extend_from_slice(words);
        query(con, &all)
    };
    assert_eq!(getkeys(&mut con, &["SMOVE", "a", "b", "m"]), ["a", "b"]);
    assert_eq!(
        getkeys(&mut con, &["SINTERSTORE", "d", "a", "b"]),
        ["d", "a", "b"]
    );
    assert_eq!(
        getkeys(&mut con, &["SINTERCARD", "2", "a", "b", "LIMIT", "1"]),
        ["a", "b"]
    );
    assert_eq!(
        getkeys(&mut con, &["SUNION", "a", "b", "c"]),
        ["a", "b", "c"]
    );
    // COMMAND INFO's first key, last key and step, as Redis derives them from the specs.
    for (name, first, last) in [
        ("smove", 1, 2),
        ("sinterstore", 1, -1),
        ("sdiff", 1, -1),
        ("sintercard", 0, 0),
    ] {
        let info: Vec<Vec<Value>> = query(&mut con, &["COMMAND", "INFO", name]);
        assert_eq!(
            (&info[0][3], &info[0][4]),
            (&Value::Int(first), &Value::Int(last)),
            "{name}"
        );
    }
}

#[test]
fn arity_errors_of_the_other_commands() {
    let server = Server::start();
    let mut con = server.con();
    for (args, name) in [
        (&["SREM", "s"][..], "srem"),
        (&["SMISMEMBER", "s"], "smismember"),
        (&["SPOP"], "spop"),
        (&["SRANDMEMBER"], "srandmember"),
        (&["SMOVE", "a", "b"], "smove"),
        (&["SINTER"], "sinter"),
        (&["SINTERSTORE", "d"], "sinterstore"),
        (&["SINTERCARD", "1"], "sintercard"),
        (&["SSCAN", "s"], "sscan"),
    ] {
        assert_eq!(
            query_err(&mut con, args),
            format!("ERR wrong number of arguments for '{name}' command")
        );
    }
}

#[test]
fn adding_members_already_there_does_not_touch_watched_sets() {
    let server = Server::start();
    let mut con = server.con();
    let mut other = server.con();
    query::<()>(&mut con, &["SADD", "src", "a", "b"]);
    query::<()>(&mut con, &["SADD", "dst", "a"]);
    // EXEC runs when the watched set did not change, and aborts when it did.
    let watched_exec = |con: &mut Connection, other: &mut Connection, change: &[&str]| {
        query::<()>(con, &["WATCH", "dst"]);
        query::<()>(con, &["MULTI"]);
        query::<()>(con, &["SCARD", "dst"]);
        query::<()>(other, change);
        query::<Value>(con, &["EXEC"]) != Value::Nil
    };
    assert!(watched_exec(&mut con, &mut other, &["SADD", "dst", "a"]));
    // SMOVE of a member the destination has: only the source changes.
    assert!(watched_exec(
        &mut con,
        &mut other,
        &["SMOVE", "src", "dst", "a"]
    ));
    assert_eq!(query::<i64>(&mut con, &["SCARD", "src"]), 1);
    assert!(!watched_exec(
        &mut con,
        &mut other,
        &["SMOVE", "src", "dst", "b"]
    ));
    assert!(!watched_exec(
        &mut con,
        &mut other,
        &["SADD", "dst", "a", "c"]
    ));
    assert_eq!(query::<i64>(&mut con, &["SCARD", "dst"]), 3);
}
