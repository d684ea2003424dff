//! Sorted set commands: ZADD (NX/XX/GT/LT/CH/INCR), ZINCRBY, ZCARD, ZSCORE, ZMSCORE, ZREM,
//! ZRANK/ZREVRANK, ZCOUNT, ZLEXCOUNT, the ZRANGE family and ZRANGESTORE, ZREMRANGEBY*,
//! ZPOPMIN/ZPOPMAX/ZMPOP, ZRANDMEMBER, ZSCAN, ZUNION/ZINTER/ZDIFF with their STORE forms and
//! ZINTERCARD; their errors, RESP3 shapes and score formatting; a set of 20,000+ members
//! checked against a model; persistence, the on-disk layout and binary-safe members.
//!
//! Redis 7.2 behaviour that the reference redis-server (7.0) lacks (ZRANK WITHSCORE, shortest
//! round-trip scores) and dredis's own features (its data directory, persistence without a
//! save configuration) are skipped in reference mode.
//!
//! The big-set tests create and delete tens of thousands of member files, so their time is
//! mostly the file system's: on a busy disk, `TMPDIR=/dev/shm cargo test --release --test zsets`
//! runs them in memory.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use common::{command, query, query_err, Server};
use redis::{Connection, Value};

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const SYNTAX: &str = "ERR syntax error";
const NOT_FLOAT: &str = "ERR value is not a valid float";
const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
const NOT_FLOAT_RANGE: &str = "ERR min or max is not a float";
const NOT_LEX_RANGE: &str = "ERR min or max not valid string range item";
const NAN_SCORE: &str = "ERR resulting score is not a number (NaN)";

/// True (and the test should return) when running against the reference redis-server, which
/// cannot check this test: `why` says what it lacks.
fn skip_in_reference(why: &str) -> bool {
    let reference = std::env::var_os("DREDIS_TEST_REFERENCE").is_some_and(|v| v != "0");
    if reference {
        eprintln!("skipped against the reference redis-server: {why}");
    }
    reference
}

const REDIS_7_2: &str = "Redis 7.2 behaviour (the reference server is 7.0)";
const DREDIS_ONLY: &str = "a dredis feature";

fn strings(con: &mut Connection, words: &[&str]) -> Vec<String> {
    query(con, words)
}

fn int(con: &mut Connection, words: &[&str]) -> i64 {
    query(con, words)
}

fn nil(con: &mut Connection, words: &[&str]) {
    assert_eq!(query::<Value>(con, words), Value::Nil, "{words:?}");
}

/// ZRANGE key 0 -1 WITHSCORES, flat: member, score, member, score...
fn all_with_scores(con: &mut Connection, key: &str) -> Vec<String> {
    strings(con, &["ZRANGE", key, "0", "-1", "WITHSCORES"])
}

fn sample(con: &mut Connection) {
    query::<()>(
        con,
        &[
            "ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e",
        ],
    );
}

// ---- ZADD ----

#[test]
fn zadd_counts_new_members_and_ch_counts_changed_ones() {
    let server = Server::start();
    let mut con = server.con();
    assert_eq!(int(&mut con, &["ZADD", "z", "1", "a", "2", "b"]), 2);
    // b changes, c is new, a stays: only c is counted.
    assert_eq!(
        int(&mut con, &["ZADD", "z", "1", "a", "3", "b", "4", "c"]),
        1
    );
    // CH: new or changed; an unchanged score is neither.
    assert_eq!(
        int(&mut con, &["ZADD", "z", "CH", "1", "a", "5", "b", "9", "n"]),
        2
    );
    assert_eq!(
        all_with_scores(&mut con, "z"),
        ["a", "1", "c", "4", "b", "5", "n", "9"]
    );
    // A member named twice in one call: the last score wins, counted once.
    assert_eq!(int(&mut con, &["ZADD", "z", "1", "dup", "2", "dup"]), 1);
    assert_eq!(query::<String>(&mut con, &["ZSCORE", "z", "dup"]), "2");
    assert_eq!(int(&mut con, &["ZCARD", "z"]), 5);
    assert_eq!(query::<String>(&mut con, &["TYPE", "z"]), "zset");
}

#[test]
fn zadd_nx_only_adds_and_xx_only_updates() {
    let server = Server::start();
    let mut con = server.con();
    // XX on a missing key creates nothing.
    assert_eq!(int(&mut con, &["ZADD", "z", "XX", "1", "a"]), 0);
    nil(&mut con, &["ZADD", "z", "XX", "INCR", "1", "a"]);
    assert_eq!(int(&mut con, &["EXISTS", "z"]), 0);

    assert_eq!(int(&mut con, &["ZADD", "z", "NX", "1", "a"]), 1);
    assert_eq!(int(&mut con, &["ZADD", "z", "NX", "5", "a", "2", "b"]), 1);
    assert_eq!(all_with_scores(&mut con, "z"), ["a", "1", "b", "2"]);
    assert_eq!(
        int(&mut con, &["ZADD", "z", "XX", "CH", "7", "a", "3", "c"]),
        1
    );
    assert_eq!(all_with_scores(&mut con, "z"), ["b", "2", "a", "7"]);
    // Options are case-insensitive.
    assert_eq!(int(&mut con, &["ZADD", "z", "nx", "Ch", "1", "q"]), 1);
    assert_eq!(int(&mut con, &["ZCARD", "z"]), 3);
}

#[test]
fn zadd_gt_and_lt_update_only_in_their_direction_but_always_add() {
    let server = Server::start();
    let mut con = server.con();
    assert_eq!(int(&mut con, &["ZADD", "z", "GT", "3", "a"]), 1);
    assert_eq!(
        int(&mut con, &["ZADD", "z", "GT", "CH", "5", "a", "1", "b"]),
        2
    );
    assert_eq!(int(&mut con, &["ZADD", "z", "GT", "CH", "1", "a"]), 0);
    assert_eq!(query::<String>(&mut con, &["ZSCORE", "z", "a"]), "5");
    assert_eq!(
        int(&mut con, &["ZADD", "z", "LT", "CH", "7", "a", "0", "b"]),
        1
    );
    assert_eq!(all_with_scores(&mut con, "z"), ["b", "0", "a", "5"]);
    // XX combines with GT: updates only, only upwards.
    assert_eq!(
        int(
            &mut con,
            &["ZADD", "z", "XX", "GT", "CH", "10", "a", "10", "new"]
        ),
        1
    );
    assert_eq!(
        int(
            &mut con,
            &["ZADD", "z", "XX", "LT", "CH", "20", "a", "-1", "b"]
        ),
        1
    );
    assert_eq!(all_with_scores(&mut con, "z"), ["b", "-1", "a", "10"]);
}

#[test]
fn zadd_incr_returns_the_new_score_or_nil() {
    let server = Server::start();
    let mut con = server.con();
    assert_eq!(
        query::<String>(&mut con, &["ZADD", "z", "INCR", "1.5", "a"]),
        "1.5"
    );
    assert_eq!(
        query::<String>(&mut con, &["ZADD", "z", "INCR", "2", "a"]),
        "3.5"
    );
    // An increment of 0 still answers the score.
    assert_eq!(
        query::<String>(&mut con, &["ZADD", "z", "INCR", "0", "a"]),
        "3.5"
    );
    // A condition that stops the update answers nil.
    nil(&mut con, &["ZADD", "z", "NX", "INCR", "1", "a"]);
    nil(&mut con, &["ZADD", "z", "GT", "INCR", "-1", "a"]);
    assert_eq!(
        query::<String>(&mut con, &["ZADD", "z", "LT", "INCR", "-1", "a"]),
        "2.5"
    );
    // CH does not change what INCR answers.
    assert_eq!(
        query::<String>(&mut con, &["ZADD", "z", "CH", "INCR", "5", "q"]),
        "5"
    );
    assert_eq!(all_with_scores(&mut con, "z"), ["a", "2.5", "q", "5"]);
}

#[test]
fn zadd_incr_of_an_infinity_by_its_opposite_is_nan() {
    let server = Server::start();
    let mut con = server.con();
    assert_eq!(int(&mut con, &["ZADD", "z", "+inf", "m"]), 1);
    assert_eq!(
        query_err(&mut con, &["ZADD", "z", "INCR", "-inf", "m"]),
        NAN_SCORE
    );
    assert_eq!(
        query_err(&mut con, &["ZINCRBY", "z", "-inf", "m"]),
        NAN_SCORE
    );
    assert_eq!(query::<String>(&mut con, &["ZSCORE", "z", "m"]), "inf");
    // The same sign is fine.
    assert_eq!(
        query::<String>(&mut con, &["ZADD", "z", "INCR", "inf", "m"]),
        "inf"
    );
    assert_eq!(
        query::<String>(&mut con, &["ZADD", "z", "INCR", "-inf", "new"]),
        "-inf"
    );
    assert_eq!(all_with_scores(&mut con, "z"), ["new", "-inf", "m", "inf"]);
}

#[test]
fn zadd_rejects_bad_options_and_scores_before_changing_anything() {
    let server = Server::start();
    let mut con = server.con();
    let arity = "ERR wrong number of arguments for 'zadd' command";
    assert_eq!(query_err(&mut con, &["ZADD", "z", "1"]), arity);
    assert_eq!(query_err(&mut con, &["ZADD", "z", "INCR"]), arity);
    assert_eq!(query_err(&mut con, &["ZADD", "z", "NX", "1"]), SYNTAX);
    assert_eq!(query_err(&mut con, &["ZADD", "z", "1", "a", "2"]), SYNTAX);
    assert_eq!(query_err(&mut con, &["ZADD", "z", "NX", "XX"]), SYNTAX);
    assert_eq!(
        query_err(&mut con, &["ZADD", "z", "NX", "XX", "1", "a"]),
        "ERR XX and NX options at the same time are not compatible"
    );
    let gt_lt_nx = "ERR GT, LT, and/or NX options at the same time are not compatible";
    for options in [["GT", "LT"], ["GT", "NX"], ["NX", "LT"]] {
        let mut words = vec!["ZADD", "z"];
        words.extend(options);
        words.extend(["1", "a"]);
        assert_eq!(query_err(&mut con, &words), gt_lt_nx, "{words:?}");
    }
    assert_eq!(
        query_err(&mut con, &["ZADD", "z", "INCR", "1", "a", "2", "b"]),
        "ERR INCR option supports a single increment-element pair"
    );
    for score in [
        "x", "nan", "", " 1", "1 ", "1e400", "1e-400", "1.5.5", "--1",
    ] {
        assert_eq!(
            query_err(&mut con, &["ZADD", "z", score, "a"]),
            NOT_FLOAT,
            "{score:?}"
        );
    }
    // A bad score in a later pair: nothing at all is added.
    assert_eq!(
        query_err(&mut con, &["ZADD", "z", "1", "a", "x", "b"]),
        NOT_FLOAT
    );
    assert_eq!(int(&mut con, &["EXISTS", "z"]), 0);
    // An unknown word where a score is expected is not a float.
    assert_eq!(query_err(&mut con, &["ZADD", "z", "FOO", "1", "a"]), SYNTAX);
    assert_eq!(query_err(&mut con, &["ZADD", "z", "FOO", "a"]), NOT_FLOAT);
    assert_eq!(int(&mut con, &["EXISTS", "z"]), 0);
}

#[test]
fn zadd_accepts_the_float_spellings_of_redis() {
    let server = Server::start();
    let mut con = server.con();
    let words = [
        "ZADD", "z", "+inf", "pinf", "-inf", "ninf", "infinity", "i2", "-INF", "i3", "1e3", "k",
        "3.0000", "three", "+2", "two", ".5", "half", "-1.5e1", "neg",
    ];
    assert_eq!(int(&mut con, &words), 9);
    assert_eq!(
        all_with_scores(&mut con, "z"),
        [
            "i3", "-inf", "ninf", "-inf", "neg", "-15", "half", "0.5", "two", "2", "three", "3",
            "k", "1000", "i2", "inf", "pinf", "inf"
        ]
    );
}

// ---- ZINCRBY, ZCARD, ZSCORE, ZMSCORE, ZREM ----

#[test]
fn zincrby_creates_and_increments() {
    let server = Server::start();
    let mut con = server.con();
    assert_eq!(query::<String>(&mut con, &["ZINCRBY", "z", "2", "a"]), "2");
    assert_eq!(
        query::<String>(&mut con, &["ZINCRBY", "z", "1.5", "a"]),
        "3.5"
    );
    assert_eq!(
        query::<String>(&mut con, &["ZINCRBY", "z", "-10", "a"]),
        "-6.5"
    );
    assert_eq!(query::<String>(&mut con, &["ZINCRBY", "z", "1", "b"]), "1");
    assert_eq!(all_with_scores(&mut con, "z"), ["a", "-6.5", "b", "1"]);
    assert_eq!(query_err(&mut con, &["ZINCRBY", "z", "x", "a"]), NOT_FLOAT);
    assert_eq!(query_err(&mut con, &["ZINCRBY", "z", "", "a"]), NOT_FLOAT);
    assert_eq!(
        query_err(&mut con, &["ZINCRBY", "z", "1"]),
        "ERR wrong number of arguments for 'zincrby' command"
    );
    assert_eq!(
        query_err(&mut con, &["ZINCRBY", "z", "1", "a", "b"]),
        "ERR wrong number of arguments for 'zincrby' command"
    );
}

#[test]
fn zcard_zscore_and_zmscore() {
    let server = Server::start();
    let mut con = server.con();
    assert_eq!(int(&mut con, &["ZCARD", "nokey"]), 0);
    nil(&mut con, &["ZSCORE", "nokey", "a"]);
    assert_eq!(
        query::<Value>(&mut con, &["ZMSCORE", "nokey", "a", "b"]),
        Value::Array(vec![Value::Nil, Value::Nil])
    );
    query::<()>(&mut con, &["ZADD", "z", "1.5", "a", "inf", "b"]);
    assert_eq!(int(&mut con, &["ZCARD", "z"]), 2);
    assert_eq!(query::<String>(&mut con, &["ZSCORE", "z", "a"]), "1.5");
    nil(&mut con, &["ZSCORE", "z", "nope"]);
    assert_eq!(
        query::<Vec<Option<String>>>(&mut con, &["ZMSCORE", "z", "b", "nope", "a", "a"]),
        [
            Some("inf".into()),
            None,
            Some("1.5".into()),
            Some("1.5".into())
        ]
    );
    for (words, name) in [
        (&["ZMSCORE", "z"][..], "zmscore"),
        (&["ZCARD"][..], "zcard"),
        (&["ZCARD", "z", "x"][..], "zcard"),
        (&["ZSCORE", "z"][..], "zscore"),
        (&["ZSCORE", "z", "a", "b"][..], "zscore"),
    ] {
        assert_eq!(
            query_err(&mut con, words),
            format!("ERR wrong number of arguments for '{name}' command")
        );
    }
}

#[test]
fn zrem_counts_removed_members_and_the_last_one_takes_the_key() {
    let server = Server::start();
    let mut con = server.con();
    assert_eq!(int(&mut con, &["ZREM", "nokey", "a"]), 0);
    sample(&mut con);
    // A member named twice is removed once.
    assert_eq!(int(&mut con, &["ZREM", "z", "a", "a", "nope", "c"]), 2);
    assert_eq!(
        strings(&mut con, &["ZRANGE", "z", "0", "-1"]),
        ["b", "d", "e"]
    );
    assert_eq!(int(&mut con, &["ZREM", "z", "nope"]), 0);
    assert_eq!(int(&mut con, &["ZREM", "z", "b", "d", "e", "x"]), 3);
    assert_eq!(int(&mut con, &["EXISTS", "z"]), 0);
    assert_eq!(query::<String>(&mut con, &["TYPE", "z"]), "none");
    assert_eq!(int(&mut con, &["ZCARD", "z"]), 0);
    // The key comes back fresh.
    assert_eq!(int(&mut con, &["ZADD", "z", "1", "a"]), 1);
    assert_eq!(all_with_scores(&mut con, "z"), ["a", "1"]);
    assert_eq!(
        query_err(&mut con, &["ZREM", "z"]),
        "ERR wrong number of arguments for 'zrem' command"
    );
}

// ---- ZRANK, ZREVRANK ----

#[test]
fn zrank_and_zrevrank() {
    let server = Server::start();
    let mut con = server.con();
    // Equal scores are ordered by member bytes.
    query::<()>(
        &mut con,
        &[
            "ZADD", "z", "1", "b", "1", "a", "0", "z", "2", "c", "1", "B",
        ],
    );
    let order = ["z", "B", "a", "b", "c"];
    assert_eq!(strings(&mut con, &["ZRANGE", "z", "0", "-1"]), order);
    for (rank, member) in order.iter().enumerate() {
        assert_eq!(int(&mut con, &["ZRANK", "z", member]), rank as i64);
        assert_eq!(int(&mut con, &["ZREVRANK", "z", member]), 4 - rank as i64);
    }
    nil(&mut con, &["ZRANK", "z", "nope"]);
    nil(&mut con, &["ZREVRANK", "z", "nope"]);
    nil(&mut con, &["ZRANK", "nokey", "a"]);
    nil(&mut con, &["ZREVRANK", "nokey", "a"]);
    for name in ["zrank", "zrevrank"] {
        let arity = format!("ERR wrong number of arguments for '{name}' command");
        assert_eq!(query_err(&mut con, &[name, "z"]), arity);
        assert_eq!(
            query_err(&mut con, &[name, "z", "a", "WITHSCORE", "x"]),
            arity
        );
        assert_eq!(
            query_err(&mut con, &[name, "nokey", "a", "WITHSCORE", "x"]),
            arity
        );
    }
}

#[test]
fn zrank_withscore_answers_rank_and_score() {
    if skip_in_reference(REDIS_7_2) {
        return;
    }
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["ZADD", "z", "1.5", "a", "2", "b", "inf", "c"]);
    let pair = |rank: i64, score: &str| {
        Value::Array(vec![
            Value::Int(rank),
            Value::BulkString(score.as_bytes().to_vec()),
        ])
    };
    assert_eq!(
        query::<Value>(&mut con, &["ZRANK", "z", "a", "WITHSCORE"]),
        pair(0, "1.5")
    );
    assert_eq!(
        query::<Value>(&mut con, &["ZRANK", "z", "c", "withscore"]),
        pair(2, "inf")
    );
    assert_eq!(
        query::<Value>(&mut con, &["ZREVRANK", "z", "a", "WithScore"]),
        pair(2, "1.5")
    );
    assert_eq!(
        query::<Value>(&mut con, &["ZREVRANK", "z", "b", "WITHSCORE"]),
        pair(1, "2")
    );
    // A missing member or key is a nil array (`*-1`), not a nil bulk.
    let mut raw = server.raw();
    assert_eq!(raw.call(&["ZRANK", "z", "nope", "WITHSCORE"]), "*-1\r\n");
    assert_eq!(
        raw.call(&["ZREVRANK", "nokey", "a", "WITHSCORE"]),
        "*-1\r\n"
    );
    assert_eq!(raw.call(&["ZRANK", "z", "nope"]), "$-1\r\n");
    assert_eq!(query_err(&mut con, &["ZRANK", "z", "a", "foo"]), SYNTAX);
    assert_eq!(query_err(&mut con, &["ZREVRANK", "z", "a", "foo"]), SYNTAX);
}

// ---- ZCOUNT, ZLEXCOUNT ----

#[test]
fn zcount_counts_between_score_bounds() {
    let server = Server::start();
    let mut con = server.con();
    assert_eq!(int(&mut con, &["ZCOUNT", "nokey", "-inf", "+inf"]), 0);
    query::<()>(
        &mut con,
        &[
            "ZADD", "z", "-inf", "n", "1", "a", "2", "b", "2", "bb", "3", "c", "inf", "p",
        ],
    );
    for (min, max, want) in [
        ("-inf", "+inf", 6),
        ("-inf", "inf", 6),
        ("(-inf", "(+inf", 4),
        ("2", "2", 2),
        ("(2", "2", 0),
        ("(1", "(3", 2),
        ("1", "3", 4),
        ("3", "1", 0),
        ("1e400", "+inf", 1),
        ("-1e400", "0", 1),
        (" 1", "1.5", 1),
        ("", "(2", 1),
        ("(", "1", 1),
        ("2.0", "2e0", 2),
    ] {
        assert_eq!(
            int(&mut con, &["ZCOUNT", "z", min, max]),
            want,
            "ZCOUNT {min} {max}"
        );
    }
    for (min, max) in [
        ("x", "1"),
        ("1", "x"),
        ("1", "(x"),
        ("nan", "1"),
        ("[1", "2"),
    ] {
        assert_eq!(
            query_err(&mut con, &["ZCOUNT", "z", min, max]),
            NOT_FLOAT_RANGE
        );
        // The range is checked before the key is looked up.
        assert_eq!(
            query_err(&mut con, &["ZCOUNT", "nokey", min, max]),
            NOT_FLOAT_RANGE
        );
    }
}

#[test]
fn zlexcount_counts_between_lex_bounds() {
    let server = Server::start();
    let mut con = server.con();
    assert_eq!(int(&mut con, &["ZLEXCOUNT", "nokey", "-", "+"]), 0);
    query::<()>(
        &mut con,
        &[
            "ZADD", "z", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e", "0", "f",
        ],
    );
    for (min, max, want) in [
        ("-", "+", 6),
        ("+", "-", 0),
        ("[c", "+", 4),
        ("(c", "+", 3),
        ("-", "(c", 2),
        ("[b", "[e", 4),
        ("(b", "(e", 2),
        ("[a", "[a", 1),
        ("(a", "(a", 0),
        ("[e", "[b", 0),
        ("[", "(c", 2),
        ("-", "[", 0),
        ("[bzz", "[d", 2),
    ] {
        assert_eq!(
            int(&mut con, &["ZLEXCOUNT", "z", min, max]),
            want,
            "ZLEXCOUNT {min} {max}"
        );
    }
    for (min, max) in [("a", "+"), ("-", "b"), ("+x", "-"), ("-", "-x"), ("", "+")] {
        assert_eq!(
            query_err(&mut con, &["ZLEXCOUNT", "z", min, max]),
            NOT_LEX_RANGE
        );
        assert_eq!(
            query_err(&mut con, &["ZLEXCOUNT", "nokey", min, max]),
            NOT_LEX_RANGE
        );
    }
}

// ---- the ZRANGE family ----

#[test]
fn zrange_by_rank_with_negative_indexes() {
    let server = Server::start();
    let mut con = server.con();
    assert!(strings(&mut con, &["ZRANGE", "nokey", "0", "-1"]).is_empty());
    sample(&mut con);
    for (start, stop, want) in [
        ("0", "-1", &["a", "b", "c", "d", "e"][..]),
        ("1", "2", &["b", "c"]),
        ("-2", "-1", &["d", "e"]),
        ("-100", "1", &["a", "b"]),
        ("3", "100", &["d", "e"]),
        ("2", "2", &["c"]),
        ("3", "1", &[]),
        ("5", "10", &[]),
        ("0", "-6", &[]),
        ("-1", "-2", &[]),
    ] {
        assert_eq!(
            strings(&mut con, &["ZRANGE", "z", start, stop]),
            want,
            "ZRANGE {start} {stop}"
        );
    }
    assert_eq!(
        strings(&mut con, &["ZRANGE", "z", "0", "1", "REV"]),
        ["e", "d"]
    );
    assert_eq!(
        strings(&mut con, &["ZRANGE", "z", "-2", "-1", "rev", "withscores"]),
        ["b", "2", "a", "1"]
    );
    assert!(strings(&mut con, &["ZRANGE", "z", "1", "0", "REV"]).is_empty());
    // WITHSCORES twice is harmless.
    assert_eq!(
        strings(
            &mut con,
            &["ZRANGE", "z", "0", "1", "WITHSCORES", "WITHSCORES"]
        ),
        ["a", "1", "b", "2"]
    );
    assert_eq!(query_err(&mut con, &["ZRANGE", "z", "a", "1"]), NOT_INTEGER);
    assert_eq!(
        query_err(&mut con, &["ZRANGE", "z", "0", "1.5"]),
        NOT_INTEGER
    );
    assert_eq!(
        query_err(&mut con, &["ZRANGE", "z", "0"]),
        "ERR wrong number of arguments for 'zrange' command"
    );
}

#[test]
fn zrange_byscore_bylex_rev_and_limit() {
    let server = Server::start();
    let mut con = server.con();
    sample(&mut con);
    for (words, want) in [
        (&["(1", "4", "BYSCORE"][..], &["b", "c", "d"][..]),
        (&["-inf", "+inf", "BYSCORE", "LIMIT", "1", "2"], &["b", "c"]),
        (
            &["-inf", "+inf", "BYSCORE", "LIMIT", "1", "-1"],
            &["b", "c", "d", "e"],
        ),
        (&["-inf", "+inf", "BYSCORE", "LIMIT", "-1", "2"], &[]),
        // Reversed, the range is given high end first.
        (&["4", "(1", "BYSCORE", "REV"], &["d", "c", "b"]),
        (&["(1", "4", "BYSCORE", "REV"], &[]),
        (
            &["+inf", "-inf", "REV", "BYSCORE", "LIMIT", "1", "2"],
            &["d", "c"],
        ),
        (&["-", "+", "BYLEX"], &["a", "b", "c", "d", "e"]),
        (&["[b", "(e", "BYLEX"], &["b", "c", "d"]),
        (
            &["[e", "(b", "BYLEX", "REV", "LIMIT", "0", "2"],
            &["e", "d"],
        ),
        (&["+", "-", "BYLEX", "REV", "LIMIT", "3", "10"], &["b", "a"]),
    ] {
        let mut args = vec!["ZRANGE", "z"];
        args.extend(words);
        assert_eq!(strings(&mut con, &args), want, "{args:?}");
    }
    assert_eq!(
        strings(
            &mut con,
            &[
                "ZRANGE",
                "z",
                "4",
                "1",
                "BYSCORE",
                "REV",
                "LIMIT",
                "1",
                "2",
                "WITHSCORES"
            ]
        ),
        ["c", "3", "b", "2"]
    );
    assert!(strings(&mut con, &["ZRANGE", "nokey", "-", "+", "BYLEX"]).is_empty());
}

#[test]
fn zrange_option_errors() {
    let server = Server::start();
    let mut con = server.con();
    sample(&mut con);
    let limit_error =
        "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX";
    let withscores_error = "ERR syntax error, WITHSCORES not supported in combination with BYLEX";
    for (words, error) in [
        (&["0", "-1", "LIMIT", "0", "1"][..], limit_error),
        (&["0", "-1", "REV", "LIMIT", "1", "-2"], limit_error),
        (&["-", "+", "BYLEX", "WITHSCORES"], withscores_error),
        (
            &["-", "+", "WITHSCORES", "BYLEX", "LIMIT", "0", "1"],
            withscores_error,
        ),
        (&["0", "-1", "REV", "REV"], SYNTAX),
        (&["0", "1", "BYSCORE", "BYLEX"], SYNTAX),
        (&["0", "1", "BYSCORE", "BYSCORE"], SYNTAX),
        (&["0", "1", "FOO"], SYNTAX),
        (&["0", "1", "BYSCORE", "LIMIT"], SYNTAX),
        (&["0", "1", "BYSCORE", "LIMIT", "1"], SYNTAX),
        (&["0", "1", "BYSCORE", "LIMIT", "x", "1"], NOT_INTEGER),
        (&["0", "1", "BYSCORE", "LIMIT", "0", "1.5"], NOT_INTEGER),
        (&["x", "1", "BYSCORE"], NOT_FLOAT_RANGE),
        (&["a", "+", "BYLEX"], NOT_LEX_RANGE),
        (&["-", "+"], NOT_INTEGER),
    ] {
        let mut args = vec!["ZRANGE", "z"];
        args.extend(words);
        assert_eq!(query_err(&mut con, &args), error, "{args:?}");
    }
    // LIMIT offset -1 is "no limit", which Redis accepts with a rank range (the offset is
    // then ignored).
    assert_eq!(
        strings(&mut con, &["ZRANGE", "z", "0", "-1", "LIMIT", "0", "-1"]),
        ["a", "b", "c", "d", "e"]
    );
    assert_eq!(
        strings(
            &mut con,
            &["ZRANGE", "z", "0", "1", "REV", "LIMIT", "3", "-1"]
        ),
        ["e", "d"]
    );
}

#[test]
fn zrevrange_by_rank() {
    let server = Server::start();
    let mut con = server.con();
    assert!(strings(&mut con, &["ZREVRANGE", "nokey", "0", "-1"]).is_empty());
    sample(&mut con);
    assert_eq!(
        strings(&mut con, &["ZREVRANGE", "z", "0", "-1"]),
        ["e", "d", "c", "b", "a"]
    );
    assert_eq!(
        strings(&mut con, &["ZREVRANGE", "z", "0", "-2", "WITHSCORES"]),
        ["e", "5", "d", "4", "c", "3", "b", "2"]
    );
    assert_eq!(
        strings(&mut con, &["ZREVRANGE", "z", "-2", "-1"]),
        ["b", "a"]
    );
    assert!(strings(&mut con, &["ZREVRANGE", "z", "5", "9"]).is_empty());
    for option in ["BYSCORE", "BYLEX", "REV"] {
        assert_eq!(
            query_err(&mut con, &["ZREVRANGE", "z", "0", "1", option]),
            SYNTAX
        );
    }
    assert_eq!(
        query_err(&mut con, &["ZREVRANGE", "z", "0", "1", "LIMIT", "0", "1"]),
        "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
    );
}

#[test]
fn zrangebyscore_and_zrevrangebyscore() {
    let server = Server::start();
    let mut con = server.con();
    assert!(strings(&mut con, &["ZRANGEBYSCORE", "nokey", "-inf", "+inf"]).is_empty());
    query::<()>(
        &mut con,
        &[
            "ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "-inf", "n", "inf", "p",
        ],
    );
    for (words, want) in [
        (
            &["-inf", "+inf"][..],
            &["n", "a", "b", "c", "d", "e", "p"][..],
        ),
        (&["(-inf", "(+inf"], &["a", "b", "c", "d", "e"]),
        (&["(1", "(5"], &["b", "c", "d"]),
        (&["1", "5"], &["a", "b", "c", "d", "e"]),
        (&["5", "1"], &[]),
        (&["1e400", "+inf"], &["p"]),
        (&["2", "2"], &["b"]),
        (&["-inf", "+inf", "LIMIT", "2", "3"], &["b", "c", "d"]),
        (
            &["-inf", "+inf", "LIMIT", "2", "-1"],
            &["b", "c", "d", "e", "p"],
        ),
        (
            &["-inf", "+inf", "LIMIT", "2", "-5"],
            &["b", "c", "d", "e", "p"],
        ),
        (&["-inf", "+inf", "LIMIT", "-1", "3"], &[]),
        (&["-inf", "+inf", "LIMIT", "7", "3"], &[]),
        (&["-inf", "+inf", "LIMIT", "0", "0"], &[]),
        (
            &["-inf", "+inf", "LIMIT", "0", "1", "LIMIT", "6", "1"],
            &["p"],
        ),
    ] {
        let mut args = vec!["ZRANGEBYSCORE", "z"];
        args.extend(words);
        assert_eq!(strings(&mut con, &args), want, "{args:?}");
    }
    assert_eq!(
        strings(&mut con, &["ZRANGEBYSCORE", "z", "(1", "3", "WITHSCORES"]),
        ["b", "2", "c", "3"]
    );
    assert_eq!(
        strings(
            &mut con,
            &[
                "ZRANGEBYSCORE",
                "z",
                "-inf",
                "3",
                "LIMIT",
                "0",
                "2",
                "WITHSCORES"
            ]
        ),
        ["n", "-inf", "a", "1"]
    );
    for (words, want) in [
        (
            &["+inf", "-inf"][..],
            &["p", "e", "d", "c", "b", "a", "n"][..],
        ),
        (&["(5", "(1"], &["d", "c", "b"]),
        (&["1", "5"], &[]),
        (&["+inf", "-inf", "LIMIT", "1", "2"], &["e", "d"]),
        (&["+inf", "-inf", "LIMIT", "5", "-1"], &["a", "n"]),
        (&["+inf", "-inf", "LIMIT", "-1", "2"], &[]),
        (&["5", "1", "LIMIT", "10", "2"], &[]),
    ] {
        let mut args = vec!["ZREVRANGEBYSCORE", "z"];
        args.extend(words);
        assert_eq!(strings(&mut con, &args), want, "{args:?}");
    }
    assert_eq!(
        strings(&mut con, &["ZREVRANGEBYSCORE", "z", "3", "1", "WITHSCORES"]),
        ["c", "3", "b", "2", "a", "1"]
    );
    for name in ["ZRANGEBYSCORE", "ZREVRANGEBYSCORE"] {
        for (min, max) in [
            ("x", "1"),
            ("1", "x"),
            ("(x", "1"),
            ("1", "nan"),
            ("[1", "2"),
        ] {
            assert_eq!(
                query_err(&mut con, &[name, "z", min, max]),
                NOT_FLOAT_RANGE,
                "{name} {min} {max}"
            );
        }
        for words in [
            &["REV"][..],
            &["BYSCORE"],
            &["BYLEX"],
            &["LIMIT"],
            &["LIMIT", "1"],
            &["FOO"],
        ] {
            let mut args = vec![name, "z", "1", "2"];
            args.extend(words);
            assert_eq!(query_err(&mut con, &args), SYNTAX, "{args:?}");
        }
        assert_eq!(
            query_err(&mut con, &[name, "z", "1", "2", "LIMIT", "a", "1"]),
            NOT_INTEGER
        );
    }
}

#[test]
fn zrangebylex_and_zrevrangebylex() {
    let server = Server::start();
    let mut con = server.con();
    assert!(strings(&mut con, &["ZRANGEBYLEX", "nokey", "-", "+"]).is_empty());
    query::<()>(
        &mut con,
        &[
            "ZADD", "z", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e", "0", "f",
        ],
    );
    for (words, want) in [
        (&["-", "+"][..], &["a", "b", "c", "d", "e", "f"][..]),
        (&["+", "-"], &[]),
        (&["[b", "(e"], &["b", "c", "d"]),
        (&["(b", "[e", "LIMIT", "1", "2"], &["d", "e"]),
        (&["-", "+", "LIMIT", "4", "-1"], &["e", "f"]),
        (&["-", "+", "LIMIT", "-1", "1"], &[]),
        (&["[a", "[a"], &["a"]),
        (&["(a", "(a"], &[]),
        (&["[", "(c"], &["a", "b"]),
        (&["[bb", "[d"], &["c", "d"]),
    ] {
        let mut args = vec!["ZRANGEBYLEX", "z"];
        args.extend(words);
        assert_eq!(strings(&mut con, &args), want, "{args:?}");
    }
    for (words, want) in [
        (&["+", "-"][..], &["f", "e", "d", "c", "b", "a"][..]),
        (&["-", "+"], &[]),
        (&["[e", "(b"], &["e", "d", "c"]),
        (&["+", "-", "LIMIT", "1", "2"], &["e", "d"]),
        (&["(c", "-"], &["b", "a"]),
    ] {
        let mut args = vec!["ZREVRANGEBYLEX", "z"];
        args.extend(words);
        assert_eq!(strings(&mut con, &args), want, "{args:?}");
    }
    for name in ["ZRANGEBYLEX", "ZREVRANGEBYLEX"] {
        for (min, max) in [("a", "+"), ("-", "b"), ("+x", "-"), ("-", "-x"), ("", "+")] {
            assert_eq!(
                query_err(&mut con, &[name, "z", min, max]),
                NOT_LEX_RANGE,
                "{name} {min} {max}"
            );
        }
        assert_eq!(
            query_err(&mut con, &[name, "z", "-", "+", "WITHSCORES"]),
            "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
        );
        assert_eq!(query_err(&mut con, &[name, "z", "-", "+", "REV"]), SYNTAX);
        assert_eq!(
            query_err(&mut con, &[name, "z", "-", "+", "BYSCORE"]),
            SYNTAX
        );
    }
}

// ---- ZUNIONSTORE ----

#[test]
fn zunionstore_sums_weights_and_aggregates() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(
        &mut con,
        &["ZADD", "a", "1", "x", "2", "y", "inf", "i", "-inf", "n"],
    );
    query::<()>(
        &mut con,
        &["ZADD", "b", "3", "y", "4", "z", "-inf", "i", "inf", "n"],
    );
    query::<()>(&mut con, &["SADD", "s", "x", "q"]);
    // Sets count with score 1; a missing key is an empty set; inf + -inf is 0.
    assert_eq!(
        int(
            &mut con,
            &["ZUNIONSTORE", "dest", "4", "a", "b", "s", "missing"]
        ),
        6
    );
    assert_eq!(
        all_with_scores(&mut con, "dest"),
        ["i", "0", "n", "0", "q", "1", "x", "2", "z", "4", "y", "5"]
    );
    assert_eq!(
        int(
            &mut con,
            &[
                "ZUNIONSTORE",
                "dest",
                "2",
                "a",
                "s",
                "WEIGHTS",
                "2",
                "0.5",
                "AGGREGATE",
                "MAX"
            ]
        ),
        5
    );
    assert_eq!(
        all_with_scores(&mut con, "dest"),
        ["n", "-inf", "q", "0.5", "x", "2", "y", "4", "i", "inf"]
    );
    assert_eq!(
        int(
            &mut con,
            &["ZUNIONSTORE", "dest", "2", "a", "b", "aggregate", "min"]
        ),
        5
    );
    assert_eq!(
        all_with_scores(&mut con, "dest"),
        ["i", "-inf", "n", "-inf", "x", "1", "y", "2", "z", "4"]
    );
    // Weight 0 times an infinity is 0.
    assert_eq!(
        int(&mut con, &["ZUNIONSTORE", "dest", "1", "a", "WEIGHTS", "0"]),
        4
    );
    assert_eq!(
        all_with_scores(&mut con, "dest"),
        ["i", "0", "n", "0", "x", "0", "y", "0"]
    );
    assert_eq!(
        int(
            &mut con,
            &[
                "ZUNIONSTORE",
                "dest",
                "1",
                "a",
                "WEIGHTS",
                "-1",
                "AGGREGATE",
                "Sum"
            ]
        ),
        4
    );
    assert_eq!(
        all_with_scores(&mut con, "dest"),
        ["i", "-inf", "y", "-2", "x", "-1", "n", "inf"]
    );
    // The last WEIGHTS and AGGREGATE win.
    assert_eq!(
        int(
            &mut con,
            &[
                "ZUNIONSTORE",
                "dest",
                "2",
                "a",
                "b",
                "WEIGHTS",
                "1",
                "1",
                "WEIGHTS",
                "10",
                "1",
                "AGGREGATE",
                "MIN",
                "AGGREGATE",
                "MAX"
            ]
        ),
        5
    );
    assert_eq!(
        all_with_scores(&mut con, "dest"),
        ["z", "4", "x", "10", "y", "20", "i", "inf", "n", "inf"]
    );
}

#[test]
fn zunionstore_replaces_the_destination_whatever_it_held() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["ZADD", "a", "1", "x", "2", "y"]);
    query::<()>(&mut con, &["ZADD", "b", "3", "y", "4", "z"]);
    query::<()>(&mut con, &["SET", "str", "hello"]);
    assert_eq!(int(&mut con, &["ZUNIONSTORE", "str", "1", "a"]), 2);
    assert_eq!(query::<String>(&mut con, &["TYPE", "str"]), "zset");
    assert_eq!(all_with_scores(&mut con, "str"), ["x", "1", "y", "2"]);
    query::<()>(&mut con, &["HSET", "h", "f", "v"]);
    assert_eq!(int(&mut con, &["ZUNIONSTORE", "h", "1", "b"]), 2);
    assert_eq!(all_with_scores(&mut con, "h"), ["y", "3", "z", "4"]);
    // The old members of a sorted-set destination are gone.
    query::<()>(&mut con, &["ZADD", "d", "9", "old", "1", "x"]);
    assert_eq!(int(&mut con, &["ZUNIONSTORE", "d", "1", "b"]), 2);
    assert_eq!(all_with_scores(&mut con, "d"), ["y", "3", "z", "4"]);
    nil(&mut con, &["ZSCORE", "d", "old"]);
    assert_eq!(int(&mut con, &["ZRANK", "d", "z"]), 1);
    // The destination may be one of the sources.
    assert_eq!(int(&mut con, &["ZUNIONSTORE", "a", "2", "a", "b"]), 3);
    assert_eq!(
        all_with_scores(&mut con, "a"),
        ["x", "1", "z", "4", "y", "5"]
    );
    // An empty union deletes the destination.
    assert_eq!(
        int(
            &mut con,
            &["ZUNIONSTORE", "str", "2", "missing", "missing2"]
        ),
        0
    );
    assert_eq!(int(&mut con, &["EXISTS", "str"]), 0);
    assert_eq!(
        int(&mut con, &["ZUNIONSTORE", "nothing", "1", "missing"]),
        0
    );
    assert_eq!(int(&mut con, &["EXISTS", "nothing"]), 0);
}

#[test]
fn an_expired_key_of_another_type_is_no_obstacle_and_zunionstore_drops_the_old_expiry() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SET", "gone", "v", "PX", "50"]);
    query::<()>(&mut con, &["ZADD", "a", "1", "x"]);
    query::<()>(&mut con, &["SET", "dest", "v", "PX", "300"]);
    assert_eq!(int(&mut con, &["ZUNIONSTORE", "dest", "1", "a"]), 1);
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(int(&mut con, &["ZADD", "gone", "1", "m"]), 1);
    assert_eq!(query::<String>(&mut con, &["TYPE", "gone"]), "zset");
    // The stored sorted set has no expiry: the string's deadline went with it.
    assert_eq!(all_with_scores(&mut con, "dest"), ["x", "1"]);
}

#[test]
fn zunionstore_errors() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["ZADD", "a", "1", "x"]);
    query::<()>(&mut con, &["SET", "str", "v"]);
    let at_least_one = "ERR at least 1 input key is needed for 'zunionstore' command";
    for (words, error) in [
        (&["0", "a"][..], at_least_one),
        (&["-1", "a"], at_least_one),
        (&["0", "str"], at_least_one),
        (&["x", "a"], NOT_INTEGER),
        (&["2", "a"], SYNTAX),
        (&["3", "a", "b"], SYNTAX),
        (&["1", "a", "WEIGHTS"], SYNTAX),
        (&["1", "a", "WEIGHTS", "1", "2"], SYNTAX),
        (&["2", "a", "b", "WEIGHTS", "1"], SYNTAX),
        (
            &["1", "a", "WEIGHTS", "x"],
            "ERR weight value is not a float",
        ),
        (
            &["1", "a", "WEIGHTS", "nan"],
            "ERR weight value is not a float",
        ),
        (
            &["1", "a", "WEIGHTS", "1e400"],
            "ERR weight value is not a float",
        ),
        (&["1", "a", "AGGREGATE"], SYNTAX),
        (&["1", "a", "AGGREGATE", "AVG"], SYNTAX),
        (&["1", "a", "WITHSCORES"], SYNTAX),
        (&["1", "a", "FOO"], SYNTAX),
        (&["1", "str"], WRONGTYPE),
        (&["2", "a", "str", "WEIGHTS", "1", "x"], WRONGTYPE),
    ] {
        let mut args = vec!["ZUNIONSTORE", "dest"];
        args.extend(words);
        assert_eq!(query_err(&mut con, &args), error, "{args:?}");
    }
    assert_eq!(
        query_err(&mut con, &["ZUNIONSTORE", "dest", "1"]),
        "ERR wrong number of arguments for 'zunionstore' command"
    );
    // Nothing was stored by any of them.
    assert_eq!(int(&mut con, &["EXISTS", "dest"]), 0);
    assert_eq!(query::<String>(&mut con, &["GET", "str"]), "v");
}

// ---- types, protocol, formatting ----

#[test]
fn every_command_refuses_a_key_of_another_type() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SET", "str", "v"]);
    query::<()>(&mut con, &["ZADD", "z", "1", "a"]);
    for words in [
        &["ZADD", "str", "1", "a"][..],
        &["ZADD", "str", "XX", "1", "a"],
        &["ZADD", "str", "INCR", "1", "a"],
        &["ZINCRBY", "str", "1", "a"],
        &["ZCARD", "str"],
        &["ZSCORE", "str", "a"],
        &["ZMSCORE", "str", "a", "b"],
        &["ZREM", "str", "a"],
        &["ZRANK", "str", "a"],
        &["ZREVRANK", "str", "a"],
        &["ZCOUNT", "str", "-inf", "+inf"],
        &["ZLEXCOUNT", "str", "-", "+"],
        &["ZRANGE", "str", "0", "-1"],
        &["ZRANGE", "str", "0", "-1", "BYSCORE"],
        &["ZRANGE", "str", "-", "+", "BYLEX", "REV"],
        &["ZREVRANGE", "str", "0", "-1"],
        &["ZRANGEBYSCORE", "str", "-inf", "+inf"],
        &["ZREVRANGEBYSCORE", "str", "+inf", "-inf"],
        &["ZRANGEBYLEX", "str", "-", "+"],
        &["ZREVRANGEBYLEX", "str", "+", "-"],
        &["ZUNIONSTORE", "dest", "2", "z", "str"],
        &["ZINTERSTORE", "dest", "2", "z", "str"],
        &["ZDIFFSTORE", "dest", "2", "z", "str"],
        &["ZUNION", "2", "nokey", "str"],
        &["ZINTER", "2", "z", "str"],
        &["ZDIFF", "2", "z", "str"],
        &["ZINTERCARD", "2", "z", "str"],
        &["ZRANGESTORE", "dest", "str", "0", "-1"],
        &["ZREMRANGEBYRANK", "str", "0", "-1"],
        &["ZREMRANGEBYSCORE", "str", "-inf", "+inf"],
        &["ZREMRANGEBYLEX", "str", "-", "+"],
        &["ZPOPMIN", "str"],
        &["ZPOPMAX", "str", "2"],
        &["ZMPOP", "2", "nokey", "str", "MIN"],
        &["ZRANDMEMBER", "str"],
        &["ZRANDMEMBER", "str", "2", "WITHSCORES"],
        &["ZSCAN", "str", "0"],
    ] {
        assert_eq!(query_err(&mut con, words), WRONGTYPE, "{words:?}");
    }
    // And the other types refuse a sorted set.
    for words in [
        &["GET", "z"][..],
        &["HGET", "z", "f"],
        &["SADD", "z", "m"],
        &["SMEMBERS", "z"],
    ] {
        assert_eq!(query_err(&mut con, words), WRONGTYPE, "{words:?}");
    }
    assert_eq!(query::<String>(&mut con, &["GET", "str"]), "v");
    assert_eq!(int(&mut con, &["EXISTS", "dest"]), 0);
}

#[test]
fn resp3_replies_scores_as_doubles_and_pairs_as_arrays() {
    let server = Server::start();
    query::<()>(
        &mut server.con(),
        &["ZADD", "z", "1", "a", "1.5", "b", "inf", "c"],
    );
    let mut raw = server.raw();
    // RESP2 first: flat, scores as bulks.
    assert_eq!(
        raw.call(&["ZRANGE", "z", "0", "1", "WITHSCORES"]),
        "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$3\r\n1.5\r\n"
    );
    assert_eq!(raw.call(&["ZSCORE", "z", "b"]), "$3\r\n1.5\r\n");
    raw.call(&["HELLO", "3"]);
    assert_eq!(
        raw.call(&["ZRANGE", "z", "0", "-1", "WITHSCORES"]),
        "*3\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,1.5\r\n*2\r\n$1\r\nc\r\n,inf\r\n"
    );
    assert_eq!(
        raw.call(&["ZREVRANGE", "z", "0", "0", "WITHSCORES"]),
        "*1\r\n*2\r\n$1\r\nc\r\n,inf\r\n"
    );
    assert_eq!(
        raw.call(&[
            "ZRANGEBYSCORE",
            "z",
            "(1",
            "+inf",
            "WITHSCORES",
            "LIMIT",
            "0",
            "1"
        ]),
        "*1\r\n*2\r\n$1\r\nb\r\n,1.5\r\n"
    );
    assert_eq!(
        raw.call(&["ZRANGE", "z", "0", "-1"]),
        "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"
    );
    assert_eq!(raw.call(&["ZRANGE", "z", "5", "9", "WITHSCORES"]), "*0\r\n");
    assert_eq!(raw.call(&["ZSCORE", "z", "b"]), ",1.5\r\n");
    assert_eq!(raw.call(&["ZSCORE", "z", "c"]), ",inf\r\n");
    assert_eq!(raw.call(&["ZSCORE", "z", "nope"]), "_\r\n");
    assert_eq!(
        raw.call(&["ZMSCORE", "z", "a", "nope"]),
        "*2\r\n,1\r\n_\r\n"
    );
    assert_eq!(raw.call(&["ZINCRBY", "z", "2", "a"]), ",3\r\n");
    assert_eq!(raw.call(&["ZADD", "z", "INCR", "-inf", "n"]), ",-inf\r\n");
    assert_eq!(raw.call(&["ZADD", "z", "NX", "INCR", "1", "a"]), "_\r\n");
    assert_eq!(raw.call(&["ZADD", "z", "1", "a"]), ":0\r\n");
    assert_eq!(raw.call(&["ZRANK", "z", "a"]), ":1\r\n");
    assert_eq!(raw.call(&["ZRANK", "z", "nope"]), "_\r\n");
}

#[test]
fn resp3_zrank_withscore() {
    if skip_in_reference(REDIS_7_2) {
        return;
    }
    let server = Server::start();
    query::<()>(&mut server.con(), &["ZADD", "z", "1", "a", "2.5", "b"]);
    let mut raw = server.raw();
    raw.call(&["HELLO", "3"]);
    assert_eq!(
        raw.call(&["ZRANK", "z", "b", "WITHSCORE"]),
        "*2\r\n:1\r\n,2.5\r\n"
    );
    assert_eq!(
        raw.call(&["ZREVRANK", "z", "b", "WITHSCORE"]),
        "*2\r\n:0\r\n,2.5\r\n"
    );
    assert_eq!(raw.call(&["ZRANK", "z", "nope", "WITHSCORE"]), "_\r\n");
}

#[test]
fn scores_print_as_redis_prints_them() {
    let server = Server::start();
    let mut con = server.con();
    for (score, printed) in [
        ("1", "1"),
        ("1.5", "1.5"),
        ("-2.25", "-2.25"),
        ("inf", "inf"),
        ("-inf", "-inf"),
        ("+inf", "inf"),
        ("1e21", "1e+21"),
        ("1e3", "1000"),
        ("100.000", "100"),
        ("0.30000000000000004", "0.30000000000000004"),
        ("0.0001", "0.0001"),
    ] {
        query::<()>(&mut con, &["ZADD", "z", score, "m"]);
        assert_eq!(
            query::<String>(&mut con, &["ZSCORE", "z", "m"]),
            printed,
            "{score}"
        );
        assert_eq!(all_with_scores(&mut con, "z"), ["m", printed], "{score}");
    }
}

#[test]
fn scores_print_in_shortest_round_trip_form() {
    if skip_in_reference(REDIS_7_2) {
        return;
    }
    let server = Server::start();
    let mut con = server.con();
    for (score, printed) in [
        ("0.1", "0.1"),
        ("-1.1", "-1.1"),
        ("3.14159", "3.14159"),
        ("-1.25e-5", "-1.25e-5"),
        ("1.5e300", "1.5e+300"),
        // Integral values up to LLONG_MAX/2 print as integers.
        ("123456789012345678", "123456789012345680"),
        ("4611686018427387904", "4611686018427387904"),
        ("1e20", "1e+20"),
    ] {
        query::<()>(&mut con, &["ZADD", "z", score, "m"]);
        assert_eq!(
            query::<String>(&mut con, &["ZSCORE", "z", "m"]),
            printed,
            "{score}"
        );
        assert_eq!(all_with_scores(&mut con, "z"), ["m", printed], "{score}");
    }
    assert_eq!(
        query::<String>(&mut con, &["ZINCRBY", "z2", "0.1", "m"]),
        "0.1"
    );
    assert_eq!(
        query::<String>(&mut con, &["ZINCRBY", "z2", "0.2", "m"]),
        "0.30000000000000004"
    );
}

// ---- a big set against a model ----

/// xorshift64*: a tiny seeded generator, so every run checks the same set.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Long members start with this (short ones never contain it).
const LONG: &str = "LONG";

/// The model: (score, member) in sorted-set order.
fn sorted_model(scores: &HashMap<String, f64>) -> Vec<(f64, String)> {
    let mut model: Vec<(f64, String)> = scores.iter().map(|(m, &s)| (s, m.clone())).collect();
    model.sort_by(|a, b| {
        a.0.total_cmp(&b.0)
            .then_with(|| a.1.as_bytes().cmp(b.1.as_bytes()))
    });
    model
}

fn members(entries: &[(f64, String)]) -> Vec<String> {
    entries.iter().map(|(_, m)| m.clone()).collect()
}

/// A flat WITHSCORES reply as (score, member) pairs.
fn pairs(flat: Vec<String>) -> Vec<(f64, String)> {
    flat.chunks(2)
        .map(|c| (c[1].parse().expect("a score"), c[0].clone()))
        .collect()
}

/// Checks the server's `key` against the model through ranges, ranks and counts.
fn check_against_model(con: &mut Connection, key: &str, model: &[(f64, String)], rng: &mut Rng) {
    let len = model.len() as i64;
    assert_eq!(int(con, &["ZCARD", key]), len);
    // The whole set, in order, with scores.
    assert!(
        pairs(all_with_scores(con, key)) == model,
        "ZRANGE 0 -1 WITHSCORES differs from the model"
    );
    // Windows by rank, forwards and backwards.
    let windows = [
        (0, 99),
        (len / 2 - 50, len / 2 + 50),
        (len - 100, len - 1),
        (-100, -1),
        (-len - 5, 10),
        (len - 3, len + 10),
        (1234, 1234),
    ];
    for (start, stop) in windows {
        let a = if start < 0 {
            (start + len).max(0)
        } else {
            start
        };
        let b = if stop < 0 {
            stop + len
        } else {
            stop.min(len - 1)
        };
        let (a, b) = if a > b || a >= len { (0, -1) } else { (a, b) };
        let want = members(&model[a as usize..(b + 1) as usize]);
        let (start, stop) = (start.to_string(), stop.to_string());
        assert_eq!(
            strings(con, &["ZRANGE", key, &start, &stop]),
            want,
            "ZRANGE {start} {stop}"
        );
        let mut reversed = members(&model[(len - 1 - b) as usize..(len - a) as usize]);
        reversed.reverse();
        assert_eq!(
            strings(con, &["ZRANGE", key, &start, &stop, "REV"]),
            reversed,
            "ZRANGE {start} {stop} REV"
        );
        assert_eq!(
            strings(con, &["ZREVRANGE", key, &start, &stop]),
            reversed,
            "ZREVRANGE {start} {stop}"
        );
    }
    let (a, b) = (
        len as usize / 3,
        (len as usize / 3 + 40).min(len as usize - 1),
    );
    assert!(
        pairs(strings(
            con,
            &["ZRANGE", key, &a.to_string(), &b.to_string(), "WITHSCORES"]
        )) == model[a..=b],
        "ZRANGE {a} {b} WITHSCORES"
    );
    // Ranks of sampled members, in one pipeline.
    let sampled: Vec<usize> = (0..300).map(|_| rng.below(len as u64) as usize).collect();
    let mut pipe = redis::pipe();
    for &i in &sampled {
        pipe.cmd("ZRANK").arg(key).arg(&model[i].1);
        pipe.cmd("ZREVRANK").arg(key).arg(&model[i].1);
        pipe.cmd("ZSCORE").arg(key).arg(&model[i].1);
    }
    let replies: Vec<Value> = pipe.query(con).expect("ZRANK pipeline");
    for (k, &i) in sampled.iter().enumerate() {
        assert_eq!(replies[3 * k], Value::Int(i as i64), "ZRANK of rank {i}");
        assert_eq!(
            replies[3 * k + 1],
            Value::Int(len - 1 - i as i64),
            "ZREVRANK of rank {i}"
        );
        let Value::BulkString(score) = &replies[3 * k + 2] else {
            panic!("ZSCORE of rank {i}: {:?}", replies[3 * k + 2]);
        };
        let score: f64 = String::from_utf8_lossy(score).parse().unwrap();
        assert_eq!(score, model[i].0, "ZSCORE of rank {i}");
    }
    // Score ranges: counts and LIMIT windows.
    let position = |pred: &dyn Fn(f64) -> bool| model.partition_point(|(s, _)| pred(*s));
    for _ in 0..20 {
        let lo = rng.below(1000) as f64 / 4.0 - 125.0;
        let hi = lo + rng.below(200) as f64 / 4.0;
        let (lo_ex, hi_ex) = (rng.below(2) == 0, rng.below(2) == 0);
        let start = if lo_ex {
            position(&|s| s <= lo)
        } else {
            position(&|s| s < lo)
        };
        let end = if hi_ex {
            position(&|s| s < hi)
        } else {
            position(&|s| s <= hi)
        }
        .max(start);
        let min = format!("{}{lo}", if lo_ex { "(" } else { "" });
        let max = format!("{}{hi}", if hi_ex { "(" } else { "" });
        assert_eq!(
            int(con, &["ZCOUNT", key, &min, &max]),
            (end - start) as i64,
            "ZCOUNT {min} {max}"
        );
        let (offset, count) = (rng.below(100) as usize, rng.below(60) as usize);
        let from = (start + offset).min(end);
        let to = (from + count).min(end);
        assert_eq!(
            strings(
                con,
                &[
                    "ZRANGEBYSCORE",
                    key,
                    &min,
                    &max,
                    "LIMIT",
                    &offset.to_string(),
                    &count.to_string()
                ]
            ),
            members(&model[from..to]),
            "ZRANGEBYSCORE {min} {max} LIMIT {offset} {count}"
        );
        let to = end.saturating_sub(offset).max(start);
        let from = to.saturating_sub(count).max(start);
        let mut want = members(&model[from..to]);
        want.reverse();
        assert_eq!(
            strings(
                con,
                &[
                    "ZREVRANGEBYSCORE",
                    key,
                    &max,
                    &min,
                    "LIMIT",
                    &offset.to_string(),
                    &count.to_string()
                ]
            ),
            want,
            "ZREVRANGEBYSCORE {max} {min} LIMIT {offset} {count}"
        );
    }
    assert_eq!(int(con, &["ZCOUNT", key, "-inf", "+inf"]), len);
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .collect()
}

/// The order index is a tree of several node files, none of `max_node` bytes or more, and none
/// over 4 KB unless it holds a long member.
fn check_index_files(server: &Server, key: &str, members_expected: usize, max_node: usize) {
    let dir = server.key_dir(key);
    let nodes = files_in(&dir.join("index"));
    assert!(nodes.len() > 3, "only {} index node files", nodes.len());
    let root = std::fs::read(dir.join("index").join("root")).expect("index/root");
    assert_eq!(
        root[0], b'I',
        "the root is an inner node: the tree has levels"
    );
    for node in &nodes {
        let data = std::fs::read(node).unwrap();
        assert!(
            data.len() < max_node,
            "{} is {} bytes",
            node.display(),
            data.len()
        );
        // Nodes are split above 4 KB unless a long member makes that impossible.
        let holds_long = data.windows(LONG.len()).any(|w| w == LONG.as_bytes());
        assert!(
            data.len() <= 4096 || holds_long,
            "{} is {} bytes without a long member",
            node.display(),
            data.len()
        );
    }
    // One file per member, long members under digest names.
    let member_files = files_in(&dir.join("members"));
    assert_eq!(member_files.len(), members_expected);
    assert!(member_files.iter().any(|f| f
        .file_name()
        .unwrap()
        .to_string_lossy()
        .starts_with("%%")));
}

/// `short` members of about 14 bytes and `long` ones of `long_len` bytes (digest file names,
/// index entries near or above the node size), with scores in [-125, 125) by quarters (many
/// ties), in random order.
fn random_members(
    rng: &mut Rng,
    short: usize,
    long: usize,
    long_len: std::ops::Range<usize>,
) -> Vec<(f64, String)> {
    let mut out: Vec<(f64, String)> = Vec::with_capacity(short + long);
    for i in 0..short {
        out.push((random_score(rng), format!("{:08x}:{i}", rng.next() as u32)));
    }
    for i in 0..long {
        let len = long_len.start + rng.below((long_len.end - long_len.start) as u64) as usize;
        let fill = (b'a' + rng.below(26) as u8) as char;
        let mut member = format!("{LONG}{:04x}:{i}:", rng.below(1 << 16));
        while member.len() < len {
            member.push(fill);
        }
        out.push((random_score(rng), member));
    }
    for i in (0..out.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        out.swap(i, j);
    }
    out
}

fn random_score(rng: &mut Rng) -> f64 {
    rng.below(1000) as f64 / 4.0 - 125.0
}

/// ZADDs `entries` to `key`, `per_command` pairs per ZADD, in one pipeline; returns the sum of
/// the replies (the number of new members).
fn zadd_pipelined(
    con: &mut Connection,
    key: &str,
    entries: &[(f64, String)],
    per_command: usize,
) -> i64 {
    let mut pipe = redis::pipe();
    for chunk in entries.chunks(per_command) {
        let cmd = pipe.cmd("ZADD").arg(key);
        for (score, member) in chunk {
            cmd.arg(score.to_string()).arg(member);
        }
    }
    let replies: Vec<i64> = pipe.query(con).expect("ZADD pipeline");
    replies.iter().sum()
}

/// ZREMs `victims` from `key`, `per_command` per ZREM (each also names a non-member), in one
/// pipeline; returns the sum of the replies.
fn zrem_pipelined(con: &mut Connection, key: &str, victims: &[String], per_command: usize) -> i64 {
    let mut pipe = redis::pipe();
    for chunk in victims.chunks(per_command) {
        let cmd = pipe.cmd("ZREM").arg(key).arg("not-a-member");
        for member in chunk {
            cmd.arg(member);
        }
    }
    let replies: Vec<i64> = pipe.query(con).expect("ZREM pipeline");
    replies.iter().sum()
}

/// About `1 / every` of the model's members, in random order.
fn pick(rng: &mut Rng, model: &[(f64, String)], every: u64) -> Vec<String> {
    let mut picked: Vec<String> = model
        .iter()
        .filter(|_| rng.below(every) == 0)
        .map(|(_, m)| m.clone())
        .collect();
    for i in (0..picked.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        picked.swap(i, j);
    }
    picked
}

#[test]
fn a_big_set_matches_a_model_through_adds_updates_and_removals() {
    let server = Server::start();
    let mut con = server.con();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    // 20,000 short members and 400 long ones, 500 pairs per ZADD.
    let entries = random_members(&mut rng, 20_000, 400, 300..3001);
    assert_eq!(zadd_pipelined(&mut con, "big", &entries, 500), 20_400);
    let mut scores: HashMap<String, f64> = entries.iter().map(|(s, m)| (m.clone(), *s)).collect();

    // New scores for 1,000 existing members (some twice), and 100 new members.
    let mut updates: Vec<(f64, String)> = (0..1_000)
        .map(|_| {
            let i = rng.below(entries.len() as u64) as usize;
            (random_score(&mut rng), entries[i].1.clone())
        })
        .collect();
    updates.extend((0..100).map(|k| (random_score(&mut rng), format!("new:{k}"))));
    assert_eq!(zadd_pipelined(&mut con, "big", &updates, 100), 100);
    scores.extend(updates.into_iter().map(|(s, m)| (m, s)));
    let model = sorted_model(&scores);
    assert_eq!(model.len(), 20_500);
    check_against_model(&mut con, "big", &model, &mut rng);
    if !skip_in_reference(DREDIS_ONLY) {
        check_index_files(&server, "big", model.len(), 16 << 10);
    }

    // Remove half of the members at random, 250 per ZREM.
    let victims = pick(&mut rng, &model, 2);
    assert_eq!(
        zrem_pipelined(&mut con, "big", &victims, 250),
        victims.len() as i64
    );
    for member in &victims {
        scores.remove(member);
    }
    let model = sorted_model(&scores);
    assert!(
        model.len() > 9_500 && model.len() < 11_000,
        "{}",
        model.len()
    );
    check_against_model(&mut con, "big", &model, &mut rng);
    if !skip_in_reference(DREDIS_ONLY) {
        check_index_files(&server, "big", model.len(), 16 << 10);
    }
}

#[test]
fn zunionstore_of_large_sets_builds_an_index_that_later_changes_keep_right() {
    let server = Server::start();
    let mut con = server.con();
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let entries = random_members(&mut rng, 1_500, 60, 300..3001);
    assert_eq!(zadd_pipelined(&mut con, "src", &entries, 500), 1_560);
    // A plain set sharing some members: they score 1 each.
    let mut set: Vec<String> = entries.iter().take(200).map(|(_, m)| m.clone()).collect();
    set.extend((0..100).map(|k| format!("set-only:{k}")));
    let mut sadd = command(&["SADD", "s"]);
    for member in &set {
        sadd.arg(member);
    }
    assert_eq!(sadd.query::<i64>(&mut con).unwrap(), 300);

    // src * 2 + s * 0.5
    assert_eq!(
        int(
            &mut con,
            &[
                "ZUNIONSTORE",
                "dest",
                "2",
                "src",
                "s",
                "WEIGHTS",
                "2",
                "0.5"
            ]
        ),
        1_660
    );
    let mut scores: HashMap<String, f64> =
        entries.iter().map(|(s, m)| (m.clone(), s * 2.0)).collect();
    for member in &set {
        *scores.entry(member.clone()).or_insert(0.0) += 0.5;
    }
    let model = sorted_model(&scores);
    check_against_model(&mut con, "dest", &model, &mut rng);
    if !skip_in_reference(DREDIS_ONLY) {
        check_index_files(&server, "dest", model.len(), 16 << 10);
    }

    // The built index takes inserts, updates and removals.
    let mut changes = random_members(&mut rng, 200, 10, 300..3001);
    changes.extend(
        pick(&mut rng, &model, 8)
            .into_iter()
            .map(|m| (random_score(&mut rng), m)),
    );
    assert_eq!(zadd_pipelined(&mut con, "dest", &changes, 100), 210);
    scores.extend(changes.into_iter().map(|(s, m)| (m, s)));
    let model = sorted_model(&scores);
    let victims = pick(&mut rng, &model, 3);
    assert_eq!(
        zrem_pipelined(&mut con, "dest", &victims, 100),
        victims.len() as i64
    );
    for member in &victims {
        scores.remove(member);
    }
    let model = sorted_model(&scores);
    check_against_model(&mut con, "dest", &model, &mut rng);
    if !skip_in_reference(DREDIS_ONLY) {
        check_index_files(&server, "dest", model.len(), 16 << 10);
    }
}

#[test]
fn members_longer_than_a_node_make_a_deep_index_that_stays_right() {
    let server = Server::start();
    let mut con = server.con();
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    // Each 5-10 KB member fills a leaf alone, and inner nodes hold only two or three of them
    // as separators: the tree gets deep with few members.
    let mut scores: HashMap<String, f64> = HashMap::new();
    for round in 0..4 {
        let entries = random_members(&mut rng, 40, 40, 5_000..10_001);
        assert_eq!(zadd_pipelined(&mut con, "deep", &entries, 7 + round), 80);
        scores.extend(entries.into_iter().map(|(s, m)| (m, s)));
        let model = sorted_model(&scores);
        let victims = pick(&mut rng, &model, 3);
        assert_eq!(
            zrem_pipelined(&mut con, "deep", &victims, 1 + round * 5),
            victims.len() as i64
        );
        for member in &victims {
            scores.remove(member);
        }
        check_against_model(&mut con, "deep", &sorted_model(&scores), &mut rng);
    }
    if !skip_in_reference(DREDIS_ONLY) {
        // Three separators of up to 10 KB, at most.
        check_index_files(&server, "deep", scores.len(), 32 << 10);
    }
    // Down to nothing, one at a time: the key goes with its last member.
    let model = sorted_model(&scores);
    for (i, (_, member)) in model.iter().enumerate() {
        assert_eq!(int(&mut con, &["ZREM", "deep", member]), 1);
        if i % 16 == 0 {
            let rest = &model[i + 1..];
            assert!(
                pairs(all_with_scores(&mut con, "deep")) == rest,
                "after {} removals",
                i + 1
            );
        }
    }
    assert_eq!(int(&mut con, &["EXISTS", "deep"]), 0);
}

// ---- persistence and the data directory ----

fn write_persistent_sample(con: &mut Connection) -> Vec<String> {
    query::<()>(
        con,
        &[
            "ZADD", "z", "1", "a", "1.5", "b", "-inf", "n", "inf", "p", "2", "c", "2", "bb",
        ],
    );
    let long = "x".repeat(1000);
    query::<()>(con, &["ZADD", "z", "7", &long]);
    let mut pipe = redis::pipe();
    for i in 0..600 {
        pipe.cmd("ZADD")
            .arg("many")
            .arg(i % 97)
            .arg(format!("member:{i}"))
            .ignore();
    }
    pipe.query::<()>(con).unwrap();
    query::<()>(con, &["ZREM", "many", "member:5", "member:6"]);
    query::<()>(con, &["ZINCRBY", "many", "1000", "member:7"]);
    let mut state = all_with_scores(con, "z");
    state.extend(all_with_scores(con, "many"));
    state
}

fn read_state(con: &mut Connection) -> Vec<String> {
    let mut state = all_with_scores(con, "z");
    state.extend(all_with_scores(con, "many"));
    state
}

#[test]
fn a_sorted_set_survives_shutdown_and_crash() {
    if skip_in_reference(DREDIS_ONLY) {
        return;
    }
    let mut server = Server::start();
    let state = write_persistent_sample(&mut server.con());
    assert_eq!(state.len(), 2 * (7 + 598));
    server.restart();
    let mut con = server.con();
    assert_eq!(read_state(&mut con), state);
    assert_eq!(int(&mut con, &["ZRANK", "many", "member:7"]), 597);
    assert_eq!(int(&mut con, &["ZCARD", "many"]), 598);

    // Changes after the restart, then SIGKILL.
    query::<()>(&mut con, &["ZADD", "z", "3", "after"]);
    query::<()>(&mut con, &["ZREM", "z", "a"]);
    let state = read_state(&mut con);
    server.crash();
    server.restart();
    let mut con = server.con();
    assert_eq!(read_state(&mut con), state);
    assert_eq!(query::<String>(&mut con, &["ZSCORE", "z", "after"]), "3");
    nil(&mut con, &["ZSCORE", "z", "a"]);
}

#[test]
fn the_layout_of_a_sorted_set_on_disk() {
    if skip_in_reference(DREDIS_ONLY) {
        return;
    }
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["ZADD", "z", "1", "a"]);
    let dir = server.key_dir("z");
    let meta = std::fs::read_to_string(dir.join("type")).unwrap();
    assert!(meta.starts_with("zset\n"), "{meta:?}");
    assert!(meta.lines().any(|l| l == "size 1"), "{meta:?}");
    assert_eq!(
        std::fs::read_to_string(dir.join("members").join("a")).unwrap(),
        "1"
    );
    assert!(dir.join("index").join("root").is_file());

    query::<()>(&mut con, &["ZADD", "z", "2.5", "b", "-inf", "c"]);
    let meta = std::fs::read_to_string(dir.join("type")).unwrap();
    assert!(meta.lines().any(|l| l == "size 3"), "{meta:?}");
    assert_eq!(
        std::fs::read_to_string(dir.join("members").join("b")).unwrap(),
        "2.5"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("members").join("c")).unwrap(),
        "-inf"
    );
    query::<()>(&mut con, &["ZREM", "z", "b"]);
    assert!(!dir.join("members").join("b").exists());
    // The last member takes the directory with it.
    query::<()>(&mut con, &["ZREM", "z", "a", "c"]);
    assert!(!dir.exists());
}

// ---- binary-safe members ----

fn bytes_cmd(words: &[&[u8]]) -> redis::Cmd {
    command(words)
}

#[test]
fn members_are_binary_safe() {
    let server = Server::start();
    let mut con = server.con();
    let big: Vec<u8> = (0..10_240u32).map(|i| (i * 7 % 256) as u8).collect();
    let mut members: Vec<Vec<u8>> = vec![
        b"/".to_vec(),
        b"..".to_vec(),
        b".".to_vec(),
        b"a/b".to_vec(),
        b"../../escape".to_vec(),
        b"\0".to_vec(),
        b"a\0b".to_vec(),
        b"\r\n".to_vec(),
        vec![0xff, 0xfe, 0x80],
        Vec::new(),
        b"%2F".to_vec(),
        b"%%".to_vec(),
        b" space ".to_vec(),
        big.clone(),
    ];
    // Distinct scores in insertion order, then all at score 0 for lex order.
    for (i, member) in members.iter().enumerate() {
        let score = i.to_string();
        let added: i64 = bytes_cmd(&[b"ZADD", b"z", score.as_bytes(), member])
            .query(&mut con)
            .unwrap();
        assert_eq!(added, 1, "{member:?}");
    }
    assert_eq!(int(&mut con, &["ZCARD", "z"]), members.len() as i64);
    let in_order: Vec<Vec<u8>> = bytes_cmd(&[b"ZRANGE", b"z", b"0", b"-1"])
        .query(&mut con)
        .unwrap();
    assert!(in_order == members, "ZRANGE by score");
    for (i, member) in members.iter().enumerate() {
        let score: String = bytes_cmd(&[b"ZSCORE", b"z", member])
            .query(&mut con)
            .unwrap();
        assert_eq!(score, i.to_string(), "ZSCORE {member:?}");
        let rank: i64 = bytes_cmd(&[b"ZRANK", b"z", member])
            .query(&mut con)
            .unwrap();
        assert_eq!(rank, i as i64, "ZRANK {member:?}");
    }
    // Members that only look like others are not them.
    for lookalike in [&b"%2E%2E"[..], b"a%2Fb", b"a", b"\0\0", &big[..10_000]] {
        let score: Value = bytes_cmd(&[b"ZSCORE", b"z", lookalike])
            .query(&mut con)
            .unwrap();
        assert_eq!(score, Value::Nil, "{lookalike:?}");
    }

    // Equal scores: byte order.
    let mut pipe = redis::pipe();
    for member in &members {
        pipe.cmd("ZADD").arg("lex").arg(0).arg(&member[..]).ignore();
    }
    pipe.query::<()>(&mut con).unwrap();
    members.sort();
    let lex: Vec<Vec<u8>> = bytes_cmd(&[b"ZRANGEBYLEX", b"lex", b"-", b"+"])
        .query(&mut con)
        .unwrap();
    assert!(lex == members, "ZRANGEBYLEX - +");
    let from_nul: Vec<Vec<u8>> = bytes_cmd(&[b"ZRANGEBYLEX", b"lex", b"(\0", b"[/"])
        .query(&mut con)
        .unwrap();
    let want: Vec<Vec<u8>> = members
        .iter()
        .filter(|m| m.as_slice() > &b"\0"[..] && m.as_slice() <= &b"/"[..])
        .cloned()
        .collect();
    assert!(from_nul == want, "ZRANGEBYLEX (\\0 [/");
    assert_eq!(want.len(), 9, "the long member starts with a NUL byte");
    // The empty member is first; the \xff one last.
    let first: Vec<Vec<u8>> = bytes_cmd(&[b"ZRANGE", b"lex", b"0", b"1"])
        .query(&mut con)
        .unwrap();
    assert_eq!(first, [Vec::new(), b"\0".to_vec()]);
    let last: Vec<Vec<u8>> = bytes_cmd(&[b"ZRANGE", b"lex", b"-1", b"-1"])
        .query(&mut con)
        .unwrap();
    assert_eq!(last, [vec![0xff, 0xfe, 0x80]]);

    // Removing every member removes the key.
    let mut zrem = bytes_cmd(&[b"ZREM", b"z"]);
    for member in &members {
        zrem.arg(&member[..]);
    }
    let removed: i64 = zrem.query(&mut con).unwrap();
    assert_eq!(removed, members.len() as i64);
    assert_eq!(int(&mut con, &["EXISTS", "z"]), 0);
}

// ---- removing ranges ----

#[test]
fn zremrangebyrank_score_and_lex_remove_what_the_range_selects() {
    let server = Server::start();
    let mut con = server.con();
    sample(&mut con);
    assert_eq!(int(&mut con, &["ZREMRANGEBYRANK", "z", "10", "20"]), 0);
    assert_eq!(int(&mut con, &["ZREMRANGEBYRANK", "z", "3", "1"]), 0);
    assert_eq!(int(&mut con, &["ZREMRANGEBYRANK", "z", "-1", "-1"]), 1);
    assert_eq!(
        all_with_scores(&mut con, "z"),
        ["a", "1", "b", "2", "c", "3", "d", "4"]
    );
    assert_eq!(int(&mut con, &["ZREMRANGEBYRANK", "z", "-100", "0"]), 1);
    assert_eq!(int(&mut con, &["ZREMRANGEBYSCORE", "z", "(2", "3"]), 1);
    assert_eq!(int(&mut con, &["ZREMRANGEBYSCORE", "z", "5", "1"]), 0);
    assert_eq!(all_with_scores(&mut con, "z"), ["b", "2", "d", "4"]);
    assert_eq!(int(&mut con, &["ZREMRANGEBYSCORE", "z", "-inf", "+inf"]), 2);
    assert_eq!(int(&mut con, &["EXISTS", "z"]), 0);
    query::<()>(
        &mut con,
        &["ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d"],
    );
    assert_eq!(int(&mut con, &["ZREMRANGEBYLEX", "l", "[b", "(d"]), 2);
    assert_eq!(strings(&mut con, &["ZRANGE", "l", "0", "-1"]), ["a", "d"]);
    assert_eq!(int(&mut con, &["ZREMRANGEBYLEX", "l", "-", "+"]), 2);
    assert_eq!(int(&mut con, &["EXISTS", "l"]), 0);
    assert_eq!(int(&mut con, &["ZREMRANGEBYRANK", "nokey", "0", "-1"]), 0);
    // The range is checked before the key.
    assert_eq!(
        query_err(&mut con, &["ZREMRANGEBYRANK", "nokey", "a", "1"]),
        NOT_INTEGER
    );
    assert_eq!(
        query_err(&mut con, &["ZREMRANGEBYSCORE", "nokey", "a", "1"]),
        NOT_FLOAT_RANGE
    );
    assert_eq!(
        query_err(&mut con, &["ZREMRANGEBYLEX", "nokey", "a", "+"]),
        NOT_LEX_RANGE
    );
}

#[test]
fn a_big_range_removal_keeps_the_index_right() {
    let server = Server::start();
    let mut con = server.con();
    let entries: Vec<(f64, String)> = (0..1500).map(|i| (i as f64, format!("m{i:04}"))).collect();
    zadd_pipelined(&mut con, "z", &entries, 500);
    assert_eq!(
        int(&mut con, &["ZREMRANGEBYRANK", "z", "100", "1299"]),
        1200
    );
    assert_eq!(
        int(&mut con, &["ZREMRANGEBYSCORE", "z", "(1400", "+inf"]),
        99
    );
    let left: Vec<(f64, String)> = entries[..100]
        .iter()
        .chain(&entries[1300..1401])
        .cloned()
        .collect();
    assert_eq!(
        strings(&mut con, &["ZRANGE", "z", "0", "-1"]),
        members(&left)
    );
    assert_eq!(int(&mut con, &["ZRANK", "z", "m1350"]), 150);
    assert_eq!(int(&mut con, &["ZCARD", "z"]), 201);
}

// ---- popping ----

#[test]
fn zpopmin_and_zpopmax_take_from_the_ends() {
    let server = Server::start();
    let mut con = server.con();
    sample(&mut con);
    assert_eq!(strings(&mut con, &["ZPOPMIN", "z"]), ["a", "1"]);
    assert_eq!(strings(&mut con, &["ZPOPMAX", "z"]), ["e", "5"]);
    assert_eq!(
        strings(&mut con, &["ZPOPMIN", "z", "2"]),
        ["b", "2", "c", "3"]
    );
    assert_eq!(
        strings(&mut con, &["ZPOPMIN", "z", "0"]),
        Vec::<String>::new()
    );
    assert_eq!(strings(&mut con, &["ZPOPMAX", "z", "10"]), ["d", "4"]);
    assert_eq!(int(&mut con, &["EXISTS", "z"]), 0);
    assert_eq!(strings(&mut con, &["ZPOPMIN", "z"]), Vec::<String>::new());
    assert_eq!(
        strings(&mut con, &["ZPOPMAX", "z", "3"]),
        Vec::<String>::new()
    );
    let positive = "ERR value is out of range, must be positive";
    assert_eq!(query_err(&mut con, &["ZPOPMIN", "z", "-1"]), positive);
    assert_eq!(query_err(&mut con, &["ZPOPMAX", "z", "abc"]), positive);
    assert_eq!(query_err(&mut con, &["ZPOPMIN", "z", "1", "2"]), SYNTAX);
}

#[test]
fn zmpop_pops_from_the_first_sorted_set_of_its_keys() {
    let server = Server::start();
    let mut con = server.con();
    sample(&mut con);
    let reply: (String, Vec<(String, f64)>) = query(&mut con, &["ZMPOP", "2", "nokey", "z", "MIN"]);
    assert_eq!(reply, ("z".to_string(), vec![("a".to_string(), 1.0)]));
    let reply: (String, Vec<(String, f64)>) =
        query(&mut con, &["ZMPOP", "1", "z", "max", "COUNT", "2"]);
    assert_eq!(
        reply,
        (
            "z".to_string(),
            vec![("e".to_string(), 5.0), ("d".to_string(), 4.0)]
        )
    );
    let reply: (String, Vec<(String, f64)>) =
        query(&mut con, &["ZMPOP", "1", "z", "MIN", "COUNT", "10"]);
    assert_eq!(reply.1.len(), 2);
    assert_eq!(int(&mut con, &["EXISTS", "z"]), 0);
    assert_eq!(
        query::<Value>(&mut con, &["ZMPOP", "1", "z", "MIN"]),
        Value::Nil
    );
    let numkeys = "ERR numkeys should be greater than 0";
    let count = "ERR count should be greater than 0";
    for (words, error) in [
        (&["ZMPOP", "0", "z", "MIN"][..], numkeys),
        (&["ZMPOP", "abc", "z", "MIN"], numkeys),
        (&["ZMPOP", "2", "z", "MIN"], SYNTAX),
        (&["ZMPOP", "1", "z", "foo"], SYNTAX),
        (&["ZMPOP", "1", "z", "MIN", "COUNT", "0"], count),
        (&["ZMPOP", "1", "z", "MIN", "COUNT", "x"], count),
        (
            &["ZMPOP", "1", "z", "MIN", "COUNT", "1", "COUNT", "1"],
            SYNTAX,
        ),
        (&["ZMPOP", "1", "z", "MIN", "foo"], SYNTAX),
    ] {
        assert_eq!(query_err(&mut con, words), error, "{words:?}");
    }
}

#[test]
fn resp3_shapes_of_pops() {
    let server = Server::start();
    query::<()>(
        &mut server.con(),
        &["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"],
    );
    let mut raw = server.raw();
    assert_eq!(
        raw.call(&["ZMPOP", "1", "z", "MIN"]),
        "*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"
    );
    assert_eq!(raw.call(&["ZMPOP", "1", "nokey", "MIN"]), "*-1\r\n");
    raw.call(&["HELLO", "3"]);
    assert_eq!(raw.call(&["ZPOPMIN", "z"]), "*2\r\n$1\r\nb\r\n,2\r\n");
    assert_eq!(
        raw.call(&["ZPOPMIN", "z", "1"]),
        "*1\r\n*2\r\n$1\r\nc\r\n,3\r\n"
    );
    assert_eq!(raw.call(&["ZPOPMIN", "nokey"]), "*0\r\n");
    assert_eq!(
        raw.call(&["ZMPOP", "1", "z", "MAX"]),
        "*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\nd\r\n,4\r\n"
    );
    assert_eq!(raw.call(&["ZMPOP", "1", "z", "MAX"]), "_\r\n");
}

// ---- random members ----

#[test]
fn zrandmember_with_and_without_a_count() {
    let server = Server::start();
    let mut con = server.con();
    let entries: Vec<(f64, String)> = (0..10).map(|i| (i as f64, format!("m{i}"))).collect();
    zadd_pipelined(&mut con, "z", &entries, 10);
    let names = members(&entries);
    let one: String = query(&mut con, &["ZRANDMEMBER", "z"]);
    assert!(names.contains(&one));
    let three = strings(&mut con, &["ZRANDMEMBER", "z", "3"]);
    assert_eq!(
        three
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        3
    );
    // At least the size: the whole set, highest score first, as Redis walks it.
    let mut all = names.clone();
    all.reverse();
    assert_eq!(strings(&mut con, &["ZRANDMEMBER", "z", "10"]), all);
    let with_scores: Vec<(String, f64)> =
        query(&mut con, &["ZRANDMEMBER", "z", "-1000", "WITHSCORES"]);
    assert_eq!(with_scores.len(), 1000);
    let mut seen = std::collections::BTreeSet::new();
    for (member, score) in &with_scores {
        assert_eq!(format!("m{score}"), *member);
        seen.insert(member.clone());
    }
    assert_eq!(seen.len(), 10);
    assert_eq!(
        strings(&mut con, &["ZRANDMEMBER", "z", "0"]),
        Vec::<String>::new()
    );
    nil(&mut con, &["ZRANDMEMBER", "nokey"]);
    assert_eq!(
        strings(&mut con, &["ZRANDMEMBER", "nokey", "-2"]),
        Vec::<String>::new()
    );
    assert_eq!(int(&mut con, &["ZCARD", "z"]), 10);
    assert_eq!(query_err(&mut con, &["ZRANDMEMBER", "z", "x"]), NOT_INTEGER);
    assert_eq!(
        query_err(&mut con, &["ZRANDMEMBER", "z", "1", "WITHSCORE"]),
        SYNTAX
    );
    assert_eq!(
        query_err(&mut con, &["ZRANDMEMBER", "z", "-9223372036854775808"]),
        "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
    );
    assert_eq!(
        query_err(
            &mut con,
            &["ZRANDMEMBER", "z", "4611686018427387904", "WITHSCORES"]
        ),
        "ERR value is out of range"
    );
}

#[test]
fn zrandmember_on_a_big_set_picks_ranks_uniformly() {
    let server = Server::start();
    let mut con = server.con();
    let entries: Vec<(f64, String)> = (0..400).map(|i| (i as f64, format!("m{i}"))).collect();
    zadd_pipelined(&mut con, "z", &entries, 400);
    let picks = strings(&mut con, &["ZRANDMEMBER", "z", "-8000"]);
    let mut counts: HashMap<String, usize> = HashMap::new();
    for pick in picks {
        *counts.entry(pick).or_default() += 1;
    }
    // 20 per member on average: uniform picks leave none out.
    assert_eq!(counts.len(), 400);
    let distinct = strings(&mut con, &["ZRANDMEMBER", "z", "390"]);
    assert_eq!(
        distinct
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        390
    );
}

// ---- ZRANGESTORE ----

#[test]
fn zrangestore_stores_what_zrange_returns() {
    let server = Server::start();
    let mut con = server.con();
    sample(&mut con);
    query::<()>(&mut con, &["SET", "dst", "a string"]);
    assert_eq!(int(&mut con, &["ZRANGESTORE", "dst", "z", "1", "2"]), 2);
    assert_eq!(all_with_scores(&mut con, "dst"), ["b", "2", "c", "3"]);
    assert_eq!(
        int(&mut con, &["ZRANGESTORE", "dst", "z", "0", "1", "REV"]),
        2
    );
    assert_eq!(all_with_scores(&mut con, "dst"), ["d", "4", "e", "5"]);
    assert_eq!(
        int(
            &mut con,
            &[
                "ZRANGESTORE",
                "dst",
                "z",
                "(1",
                "+inf",
                "BYSCORE",
                "LIMIT",
                "1",
                "2"
            ]
        ),
        2
    );
    assert_eq!(all_with_scores(&mut con, "dst"), ["c", "3", "d", "4"]);
    assert_eq!(
        int(
            &mut con,
            &["ZRANGESTORE", "dst", "z", "3", "1", "BYSCORE", "REV"]
        ),
        3
    );
    assert_eq!(
        all_with_scores(&mut con, "dst"),
        ["a", "1", "b", "2", "c", "3"]
    );
    query::<()>(&mut con, &["ZADD", "l", "0", "x", "0", "y", "0", "z"]);
    assert_eq!(
        int(&mut con, &["ZRANGESTORE", "dst", "l", "[y", "+", "BYLEX"]),
        2
    );
    assert_eq!(all_with_scores(&mut con, "dst"), ["y", "0", "z", "0"]);
    // The source may be the destination; an empty result deletes the destination.
    assert_eq!(int(&mut con, &["ZRANGESTORE", "z", "z", "0", "0"]), 1);
    assert_eq!(all_with_scores(&mut con, "z"), ["a", "1"]);
    assert_eq!(int(&mut con, &["ZRANGESTORE", "dst", "z", "5", "10"]), 0);
    assert_eq!(int(&mut con, &["EXISTS", "dst"]), 0);
    query::<()>(&mut con, &["SET", "dst", "v"]);
    assert_eq!(
        int(&mut con, &["ZRANGESTORE", "dst", "nokey", "0", "-1"]),
        0
    );
    assert_eq!(int(&mut con, &["EXISTS", "dst"]), 0);
    assert_eq!(
        query_err(
            &mut con,
            &["ZRANGESTORE", "dst", "z", "0", "-1", "WITHSCORES"]
        ),
        SYNTAX
    );
    assert_eq!(
        query_err(
            &mut con,
            &["ZRANGESTORE", "dst", "z", "0", "-1", "LIMIT", "0", "1"]
        ),
        "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
    );
    assert_eq!(
        query_err(&mut con, &["ZRANGESTORE", "dst", "z", "a", "b"]),
        NOT_INTEGER
    );
}

// ---- ZUNION, ZINTER, ZDIFF ----

fn algebra_sample(con: &mut Connection) {
    query::<()>(con, &["ZADD", "z1", "1", "a", "2", "b", "3", "c", "4", "d"]);
    query::<()>(con, &["ZADD", "z2", "10", "c", "20", "d", "30", "x"]);
    query::<()>(con, &["SADD", "s", "a", "c", "x", "q"]);
}

#[test]
fn zinter_zunion_and_zdiff_with_weights_and_aggregates() {
    let server = Server::start();
    let mut con = server.con();
    algebra_sample(&mut con);
    let z = |con: &mut Connection, words: &[&str]| strings(con, words);
    assert_eq!(
        z(&mut con, &["ZINTER", "2", "z1", "z2", "WITHSCORES"]),
        ["c", "13", "d", "24"]
    );
    assert_eq!(
        z(
            &mut con,
            &[
                "ZINTER",
                "2",
                "z1",
                "z2",
                "WEIGHTS",
                "2",
                "0.5",
                "WITHSCORES"
            ]
        ),
        ["c", "11", "d", "18"]
    );
    assert_eq!(
        z(
            &mut con,
            &["ZINTER", "2", "z1", "z2", "AGGREGATE", "MAX", "WITHSCORES"]
        ),
        ["c", "10", "d", "20"]
    );
    // A set's members score 1.
    assert_eq!(
        z(&mut con, &["ZINTER", "3", "z1", "z2", "s", "WITHSCORES"]),
        ["c", "14"]
    );
    assert_eq!(
        z(
            &mut con,
            &["ZINTER", "2", "z1", "s", "AGGREGATE", "MIN", "WITHSCORES"]
        ),
        ["a", "1", "c", "1"]
    );
    assert_eq!(
        z(&mut con, &["ZINTER", "2", "z1", "z1", "WITHSCORES"]),
        ["a", "2", "b", "4", "c", "6", "d", "8"]
    );
    assert_eq!(
        z(&mut con, &["ZINTER", "2", "z1", "nokey"]),
        Vec::<String>::new()
    );
    assert_eq!(
        z(&mut con, &["ZUNION", "3", "z1", "z2", "s", "WITHSCORES"]),
        ["q", "1", "a", "2", "b", "2", "c", "14", "d", "24", "x", "31"]
    );
    assert_eq!(
        z(
            &mut con,
            &[
                "ZUNION",
                "2",
                "z1",
                "z2",
                "WEIGHTS",
                "1",
                "-1",
                "AGGREGATE",
                "MIN"
            ]
        ),
        ["x", "d", "c", "a", "b"]
    );
    assert_eq!(
        z(&mut con, &["ZDIFF", "2", "z1", "z2", "WITHSCORES"]),
        ["a", "1", "b", "2"]
    );
    assert_eq!(z(&mut con, &["ZDIFF", "3", "z1", "z2", "s"]), ["b"]);
    assert_eq!(
        z(&mut con, &["ZDIFF", "2", "s", "z1", "WITHSCORES"]),
        ["q", "1", "x", "1"]
    );
    assert_eq!(
        z(&mut con, &["ZDIFF", "2", "z1", "z1"]),
        Vec::<String>::new()
    );
    assert_eq!(
        z(&mut con, &["ZDIFF", "2", "nokey", "z1"]),
        Vec::<String>::new()
    );
    assert_eq!(int(&mut con, &["ZINTERCARD", "2", "z1", "z2"]), 2);
    assert_eq!(
        int(&mut con, &["ZINTERCARD", "2", "z1", "z2", "LIMIT", "1"]),
        1
    );
    assert_eq!(
        int(
            &mut con,
            &["ZINTERCARD", "3", "z1", "z2", "s", "LIMIT", "0"]
        ),
        1
    );
}

#[test]
fn infinities_and_weights_combine_as_in_redis() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["ZADD", "one", "1", "a"]);
    query::<()>(&mut con, &["ZADD", "inf", "inf", "a"]);
    query::<()>(&mut con, &["ZADD", "ninf", "-inf", "a"]);
    let z = |con: &mut Connection, words: &[&str]| strings(con, words);
    // A weight of 0 times inf is 0 in a union; inf + -inf is 0.
    assert_eq!(
        z(
            &mut con,
            &[
                "ZUNION",
                "2",
                "one",
                "inf",
                "WEIGHTS",
                "0",
                "1",
                "WITHSCORES"
            ]
        ),
        ["a", "inf"]
    );
    assert_eq!(
        z(&mut con, &["ZUNION", "2", "inf", "ninf", "WITHSCORES"]),
        ["a", "0"]
    );
    assert_eq!(
        z(
            &mut con,
            &[
                "ZINTER",
                "2",
                "inf",
                "one",
                "WEIGHTS",
                "0",
                "1",
                "WITHSCORES"
            ]
        ),
        ["a", "1"]
    );
    // In an intersection, 0 * inf beyond the first input is left out of MIN and MAX.
    assert_eq!(
        z(
            &mut con,
            &[
                "ZINTER",
                "2",
                "one",
                "inf",
                "WEIGHTS",
                "1",
                "0",
                "AGGREGATE",
                "MAX",
                "WITHSCORES"
            ]
        ),
        ["a", "1"]
    );
    assert_eq!(
        z(
            &mut con,
            &[
                "ZINTER",
                "2",
                "one",
                "inf",
                "WEIGHTS",
                "1",
                "0",
                "WITHSCORES"
            ]
        ),
        ["a", "0"]
    );
}

#[test]
fn store_forms_replace_the_destination_and_an_empty_result_deletes_it() {
    let server = Server::start();
    let mut con = server.con();
    algebra_sample(&mut con);
    query::<()>(&mut con, &["SET", "dst", "v"]);
    assert_eq!(int(&mut con, &["ZINTERSTORE", "dst", "2", "z1", "z2"]), 2);
    assert_eq!(all_with_scores(&mut con, "dst"), ["c", "13", "d", "24"]);
    assert_eq!(int(&mut con, &["ZDIFFSTORE", "dst", "2", "z1", "z2"]), 2);
    assert_eq!(all_with_scores(&mut con, "dst"), ["a", "1", "b", "2"]);
    assert_eq!(
        int(
            &mut con,
            &["ZINTERSTORE", "dst", "2", "dst", "s", "WEIGHTS", "3", "1"]
        ),
        1
    );
    assert_eq!(all_with_scores(&mut con, "dst"), ["a", "4"]);
    assert_eq!(
        int(&mut con, &["ZINTERSTORE", "dst", "2", "z1", "nokey"]),
        0
    );
    assert_eq!(int(&mut con, &["EXISTS", "dst"]), 0);
    query::<()>(&mut con, &["SET", "dst", "v"]);
    assert_eq!(int(&mut con, &["ZDIFFSTORE", "dst", "1", "nokey"]), 0);
    assert_eq!(int(&mut con, &["EXISTS", "dst"]), 0);
}

#[test]
fn set_operation_errors() {
    let server = Server::start();
    let mut con = server.con();
    algebra_sample(&mut con);
    let at_least = |name: &str| format!("ERR at least 1 input key is needed for '{name}' command");
    for (words, error) in [
        (&["ZINTER", "0", "z1"][..], at_least("zinter")),
        (&["ZUNION", "-1", "z1"], at_least("zunion")),
        (&["ZDIFF", "0", "z1"], at_least("zdiff")),
        (&["ZINTERSTORE", "d", "0", "z1"], at_least("zinterstore")),
        (&["ZDIFFSTORE", "d", "0", "z1"], at_least("zdiffstore")),
        (&["ZINTERCARD", "0", "z1"], at_least("zintercard")),
        (&["ZINTER", "x", "z1"], NOT_INTEGER.to_string()),
        (&["ZINTER", "3", "z1"], SYNTAX.to_string()),
        (&["ZINTERCARD", "2", "z1"], SYNTAX.to_string()),
        (
            &["ZINTER", "1", "z1", "WEIGHTS", "x"],
            "ERR weight value is not a float".to_string(),
        ),
        (
            &["ZUNION", "1", "z1", "AGGREGATE", "foo"],
            SYNTAX.to_string(),
        ),
        (&["ZDIFF", "1", "z1", "WEIGHTS", "1"], SYNTAX.to_string()),
        (
            &["ZDIFF", "1", "z1", "AGGREGATE", "SUM"],
            SYNTAX.to_string(),
        ),
        (
            &["ZINTERSTORE", "d", "1", "z1", "WITHSCORES"],
            SYNTAX.to_string(),
        ),
        (&["ZINTERCARD", "1", "z1", "WITHSCORES"], SYNTAX.to_string()),
        (
            &["ZINTERCARD", "1", "z1", "WEIGHTS", "1"],
            SYNTAX.to_string(),
        ),
        (
            &["ZINTERCARD", "1", "z1", "LIMIT", "-1"],
            "ERR LIMIT can't be negative".to_string(),
        ),
        (
            &["ZINTERCARD", "1", "z1", "LIMIT", "x"],
            "ERR LIMIT can't be negative".to_string(),
        ),
    ] {
        assert_eq!(query_err(&mut con, words), error, "{words:?}");
    }
    assert_eq!(int(&mut con, &["EXISTS", "d"]), 0);
}

#[test]
fn resp3_shapes_of_set_operations_and_random_members() {
    let server = Server::start();
    query::<()>(&mut server.con(), &["ZADD", "z", "1.5", "a"]);
    let mut raw = server.raw();
    raw.call(&["HELLO", "3"]);
    assert_eq!(
        raw.call(&["ZUNION", "1", "z", "WITHSCORES"]),
        "*1\r\n*2\r\n$1\r\na\r\n,1.5\r\n"
    );
    assert_eq!(raw.call(&["ZINTER", "1", "z"]), "*1\r\n$1\r\na\r\n");
    assert_eq!(
        raw.call(&["ZRANDMEMBER", "z", "-2", "WITHSCORES"]),
        "*2\r\n*2\r\n$1\r\na\r\n,1.5\r\n*2\r\n$1\r\na\r\n,1.5\r\n"
    );
    assert_eq!(raw.call(&["ZRANDMEMBER", "nokey"]), "_\r\n");
    assert_eq!(
        raw.call(&["ZSCAN", "z", "0"]),
        "*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$3\r\n1.5\r\n"
    );
}

// ---- ZSCAN ----

#[test]
fn zscan_of_a_small_set_returns_it_whole_in_order() {
    let server = Server::start();
    let mut con = server.con();
    sample(&mut con);
    let (cursor, flat): (String, Vec<String>) = query(&mut con, &["ZSCAN", "z", "0", "COUNT", "1"]);
    assert_eq!(cursor, "0");
    assert_eq!(flat, ["a", "1", "b", "2", "c", "3", "d", "4", "e", "5"]);
    let (_, flat): (String, Vec<String>) = query(&mut con, &["ZSCAN", "z", "0", "MATCH", "[bd]"]);
    assert_eq!(flat, ["b", "2", "d", "4"]);
    let (cursor, flat): (String, Vec<String>) = query(&mut con, &["ZSCAN", "nokey", "0"]);
    assert_eq!((cursor.as_str(), flat.len()), ("0", 0));
    assert_eq!(
        query_err(&mut con, &["ZSCAN", "z", "x"]),
        "ERR invalid cursor"
    );
    assert_eq!(
        query_err(&mut con, &["ZSCAN", "z", "0", "COUNT", "0"]),
        SYNTAX
    );
}

#[test]
fn zscan_writes_scores_as_redis_7_2_does_for_each_size() {
    if skip_in_reference(REDIS_7_2) {
        return;
    }
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["ZADD", "small", "0.1", "a"]);
    let (_, flat): (String, Vec<String>) = query(&mut con, &["ZSCAN", "small", "0"]);
    assert_eq!(flat, ["a", "0.1"]);
    let mut entries: Vec<(f64, String)> = (0..200).map(|i| (i as f64, format!("m{i}"))).collect();
    entries.push((0.1, "tenth".into()));
    zadd_pipelined(&mut con, "big", &entries, 201);
    let (mut cursor, mut scores) = ("0".to_string(), HashMap::new());
    loop {
        let (next, flat): (String, Vec<String>) =
            query(&mut con, &["ZSCAN", "big", &cursor, "COUNT", "20"]);
        for pair in flat.chunks(2) {
            scores.insert(pair[0].clone(), pair[1].clone());
        }
        cursor = next;
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(scores.len(), 201);
    assert_eq!(scores["tenth"], "0.10000000000000001");
    assert_eq!(scores["m150"], "150");
}

#[test]
fn zscan_returns_every_member_present_throughout_while_others_change() {
    let server = Server::start();
    let mut con = server.con();
    let entries: Vec<(f64, String)> = (0..600).map(|i| (i as f64, format!("m{i}"))).collect();
    zadd_pipelined(&mut con, "z", &entries, 600);
    let (mut cursor, mut seen, mut round) = ("0".to_string(), std::collections::BTreeSet::new(), 0);
    loop {
        let (next, flat): (String, Vec<String>) =
            query(&mut con, &["ZSCAN", "z", &cursor, "COUNT", "40"]);
        seen.extend(flat.into_iter().step_by(2));
        // m300.. go, n.. arrive, m0..m299 stay (some with new scores).
        for i in 0..12 {
            query::<()>(
                &mut con,
                &["ZREM", "z", &format!("m{}", 300 + round * 12 + i)],
            );
            query::<()>(
                &mut con,
                &["ZADD", "z", "7", &format!("n{}", round * 12 + i)],
            );
            query::<()>(
                &mut con,
                &["ZINCRBY", "z", "1", &format!("m{}", round * 12 + i)],
            );
        }
        round += 1;
        cursor = next;
        if cursor == "0" {
            break;
        }
    }
    for i in 0..300 {
        assert!(seen.contains(&format!("m{i}")), "m{i} was never returned");
    }
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
    assert_eq!(
        getkeys(&mut con, &["ZRANGESTORE", "d", "s", "0", "1"]),
        ["d", "s"]
    );
    assert_eq!(
        getkeys(
            &mut con,
            &["ZINTERSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "2"]
        ),
        ["d", "a", "b"]
    );
    assert_eq!(getkeys(&mut con, &["ZDIFF", "2", "a", "b"]), ["a", "b"]);
    assert_eq!(
        getkeys(&mut con, &["ZMPOP", "2", "a", "b", "MIN"]),
        ["a", "b"]
    );
    assert_eq!(
        getkeys(&mut con, &["ZINTERCARD", "1", "a", "LIMIT", "2"]),
        ["a"]
    );
    for (name, first, last) in [
        ("zrangestore", 1, 2),
        ("zdiffstore", 1, 1),
        ("zmpop", 0, 0),
        ("zinter", 0, 0),
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
    for (words, name) in [
        (&["ZREMRANGEBYRANK", "z", "0"][..], "zremrangebyrank"),
        (
            &["ZREMRANGEBYSCORE", "z", "0", "1", "2"],
            "zremrangebyscore",
        ),
        (&["ZREMRANGEBYLEX", "z"], "zremrangebylex"),
        (&["ZPOPMIN"], "zpopmin"),
        (&["ZPOPMAX"], "zpopmax"),
        (&["ZMPOP", "1", "z"], "zmpop"),
        (&["ZRANDMEMBER"], "zrandmember"),
        (&["ZRANGESTORE", "d", "z", "0"], "zrangestore"),
        (&["ZINTER", "1"], "zinter"),
        (&["ZUNION", "1"], "zunion"),
        (&["ZDIFF", "1"], "zdiff"),
        (&["ZINTERSTORE", "d", "1"], "zinterstore"),
        (&["ZDIFFSTORE", "d", "1"], "zdiffstore"),
        (&["ZINTERCARD", "1"], "zintercard"),
        (&["ZSCAN", "z"], "zscan"),
    ] {
        assert_eq!(
            query_err(&mut con, words),
            format!("ERR wrong number of arguments for '{name}' command")
        );
    }
}
