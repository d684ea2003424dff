//! Blocking commands: BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP on lists, BZPOPMIN,
//! BZPOPMAX, BZMPOP on sorted sets. Clients blocked on one key are served in the order they
//! blocked; timeouts take fractional seconds and answer a null array (RESP2 `*-1`, RESP3
//! `_`); a client that disconnects or is killed is forgotten; a blocked client stalls
//! nobody, and the requests it pipelined after the blocking one wait for it. Whatever
//! creates a key of the awaited type wakes its first client: a push, a ZADD, a STORE
//! destination, RENAME, SWAPDB.
//!
//! Each blocked client is a raw connection that sends its command and reads the reply later;
//! INFO's `blocked_clients` tells when it is in line.

mod common;

use std::time::{Duration, Instant};

use common::{query, resp, skip_in_reference, Raw, Server};
use redis::Connection;

fn blocked_clients(con: &mut Connection) -> usize {
    let info: String = query(con, &["INFO", "clients"]);
    info.lines()
        .find_map(|l| l.strip_prefix("blocked_clients:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("INFO clients has blocked_clients")
}

/// Waits until exactly `n` clients are blocked.
fn until_blocked(con: &mut Connection, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while blocked_clients(con) != n {
        assert!(Instant::now() < deadline, "never {n} blocked clients");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A new connection that sends `words` and is blocked by it (`before` clients were already).
fn block(server: &Server, con: &mut Connection, words: &[&str], before: usize) -> Raw {
    let mut raw = server.raw();
    raw.send(resp(words));
    until_blocked(con, before + 1);
    raw
}

/// The RESP2 array of these bulk strings.
fn bulks(items: &[&str]) -> String {
    let mut out = format!("*{}\r\n", items.len());
    for item in items {
        out.push_str(&format!("${}\r\n{item}\r\n", item.len()));
    }
    out
}

/// The RESP2 reply [key, element].
fn pair(key: &str, element: &str) -> String {
    bulks(&[key, element])
}

#[test]
fn clients_blocked_on_one_key_are_served_in_the_order_they_blocked() {
    let server = Server::start();
    let mut con = server.con();
    let mut waiting: Vec<Raw> = (0..3)
        .map(|i| block(&server, &mut con, &["BLPOP", "q", "0"], i))
        .collect();
    // One push of three elements serves all three, first come first.
    query::<()>(&mut con, &["RPUSH", "q", "a", "b", "c"]);
    for (raw, element) in waiting.iter_mut().zip(["a", "b", "c"]) {
        assert_eq!(raw.reply(), pair("q", element));
    }
    until_blocked(&mut con, 0);
    assert_eq!(query::<i64>(&mut con, &["EXISTS", "q"]), 0);
    // One element at a time: each goes to the client first in line.
    for (i, raw) in waiting.iter_mut().enumerate() {
        raw.send(resp(&["BRPOP", "q", "0"]));
        until_blocked(&mut con, i + 1);
    }
    for (i, element) in ["x", "y", "z"].into_iter().enumerate() {
        query::<()>(&mut con, &["LPUSH", "q", element]);
        assert_eq!(waiting[i].reply(), pair("q", element));
        until_blocked(&mut con, 2 - i);
    }
}

#[test]
fn timeouts_take_fractional_seconds_and_answer_a_null_array() {
    let server = Server::start();
    let mut raw = server.raw();
    for (words, seconds) in [
        (&["BLPOP", "a", "b", "0.25"][..], 0.25),
        (&["BRPOP", "a", "0.1"], 0.1),
        (&["BLMOVE", "a", "b", "LEFT", "RIGHT", "0.1"], 0.1),
        (&["BRPOPLPUSH", "a", "b", "0.1"], 0.1),
        (&["BLMPOP", "0.1", "2", "a", "b", "LEFT", "COUNT", "2"], 0.1),
        (&["BZPOPMIN", "a", "b", "0.2"], 0.2),
        (&["BZPOPMAX", "a", "0.1"], 0.1),
        (&["BZMPOP", "0.1", "2", "a", "b", "MIN", "COUNT", "2"], 0.1),
    ] {
        let start = Instant::now();
        assert_eq!(raw.call(words), "*-1\r\n", "{words:?}");
        let waited = start.elapsed();
        let timeout = Duration::from_secs_f64(seconds);
        assert!(waited >= timeout, "{words:?} answered after {waited:?}");
        assert!(
            waited < timeout + Duration::from_secs(3),
            "{words:?}: {waited:?}"
        );
    }
    raw.call(&["HELLO", "3"]);
    assert_eq!(raw.call(&["BLPOP", "a", "0.1"]), "_\r\n");
    assert_eq!(
        raw.call(&["BLMOVE", "a", "b", "LEFT", "LEFT", "0.01"]),
        "_\r\n"
    );
}

#[test]
fn timeout_errors() {
    let server = Server::start();
    let mut raw = server.raw();
    for bad in ["x", "", "nan", " 1"] {
        assert_eq!(
            raw.call(&["BLPOP", "a", bad]),
            "-ERR timeout is not a float or out of range\r\n",
            "{bad:?}"
        );
    }
    assert_eq!(
        raw.call(&["BRPOP", "a", "-1"]),
        "-ERR timeout is negative\r\n"
    );
    assert_eq!(
        raw.call(&["BLMOVE", "a", "b", "LEFT", "LEFT", "-0.5"]),
        "-ERR timeout is negative\r\n"
    );
    assert_eq!(
        raw.call(&["BRPOPLPUSH", "a", "b", "x"]),
        "-ERR timeout is not a float or out of range\r\n"
    );
    // BLMPOP checks its other arguments before the timeout.
    assert_eq!(
        raw.call(&["BLMPOP", "x", "0", "a", "LEFT"]),
        "-ERR numkeys should be greater than 0\r\n"
    );
    assert_eq!(
        raw.call(&["BLMPOP", "x", "1", "a", "LEFT"]),
        "-ERR timeout is not a float or out of range\r\n"
    );
    assert_eq!(
        raw.call(&["BLMOVE", "a", "b", "UP", "LEFT", "x"]),
        "-ERR syntax error\r\n"
    );
}

#[test]
fn timeouts_beyond_the_clock_are_out_of_range() {
    if skip_in_reference("Redis 7.2 behaviour (the reference server is 7.0)") {
        return;
    }
    let server = Server::start();
    let mut raw = server.raw();
    for bad in ["inf", "1e400", "9223372036854775"] {
        assert_eq!(
            raw.call(&["BLPOP", "a", bad]),
            "-ERR timeout is out of range\r\n",
            "{bad:?}"
        );
    }
}

#[test]
fn blocking_pops_serve_at_once_from_the_first_non_empty_list() {
    let server = Server::start();
    let mut raw = server.raw();
    raw.call(&["RPUSH", "b", "x1", "x2"]);
    raw.call(&["RPUSH", "c", "y1", "y2"]);
    assert_eq!(raw.call(&["BLPOP", "a", "b", "c", "0"]), pair("b", "x1"));
    assert_eq!(raw.call(&["BRPOP", "a", "c", "b", "0"]), pair("c", "y2"));
    assert_eq!(
        raw.call(&["BLMPOP", "0", "3", "a", "c", "b", "RIGHT", "COUNT", "5"]),
        "*2\r\n$1\r\nc\r\n*1\r\n$2\r\ny1\r\n"
    );
    assert_eq!(raw.call(&["BRPOPLPUSH", "b", "d", "0"]), "$2\r\nx2\r\n");
    assert_eq!(raw.call(&["EXISTS", "b", "c"]), ":0\r\n");
}

#[test]
fn a_client_blocked_on_several_keys_is_woken_by_any_of_them() {
    let server = Server::start();
    let mut con = server.con();
    let mut waiting = block(&server, &mut con, &["BLPOP", "a", "b", "c", "0"], 0);
    query::<()>(&mut con, &["RPUSH", "c", "1", "2"]);
    assert_eq!(waiting.reply(), pair("c", "1"));
    assert_eq!(
        query::<Vec<String>>(&mut con, &["LRANGE", "c", "0", "-1"]),
        ["2"]
    );
    waiting.send(resp(&["BLMPOP", "0", "2", "a", "b", "LEFT", "COUNT", "2"]));
    until_blocked(&mut con, 1);
    query::<()>(&mut con, &["RPUSH", "b", "1", "2", "3"]);
    assert_eq!(
        waiting.reply(),
        "*2\r\n$1\r\nb\r\n*2\r\n$1\r\n1\r\n$1\r\n2\r\n"
    );
    until_blocked(&mut con, 0);
}

#[test]
fn blmove_waits_for_its_source_and_wakes_who_waits_for_its_destination() {
    let server = Server::start();
    let mut con = server.con();
    let mut mover = block(
        &server,
        &mut con,
        &["BLMOVE", "src", "dst", "RIGHT", "LEFT", "0"],
        0,
    );
    query::<()>(&mut con, &["RPUSH", "src", "a", "b"]);
    assert_eq!(mover.reply(), "$1\r\nb\r\n");
    assert_eq!(
        query::<Vec<String>>(&mut con, &["LRANGE", "src", "0", "-1"]),
        ["a"]
    );
    assert_eq!(
        query::<Vec<String>>(&mut con, &["LRANGE", "dst", "0", "-1"]),
        ["b"]
    );
    // A chain: the element BRPOPLPUSH moves serves the BLPOP waiting for the destination.
    let mut popper = block(&server, &mut con, &["BLPOP", "end", "0"], 0);
    mover.send(resp(&["BRPOPLPUSH", "start", "end", "0"]));
    until_blocked(&mut con, 2);
    query::<()>(&mut con, &["LPUSH", "start", "x"]);
    assert_eq!(mover.reply(), "$1\r\nx\r\n");
    assert_eq!(popper.reply(), pair("end", "x"));
    assert_eq!(query::<i64>(&mut con, &["EXISTS", "start", "end"]), 0);
}

#[test]
fn a_client_that_disconnects_while_blocked_is_forgotten() {
    let server = Server::start();
    let mut con = server.con();
    for (waits, adds, served, rest) in [
        (
            &["BLPOP", "k", "0"][..],
            &["RPUSH", "k", "a", "b"][..],
            pair("k", "a"),
            &["LRANGE", "k", "0", "-1"][..],
        ),
        (
            &["BZMPOP", "0", "1", "z", "MIN"],
            &["ZADD", "z", "1", "a", "2", "b"],
            "*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n".to_string(),
            &["ZRANGE", "z", "0", "-1"],
        ),
    ] {
        let gone = block(&server, &mut con, waits, 0);
        let mut next = block(&server, &mut con, waits, 1);
        drop(gone);
        until_blocked(&mut con, 1);
        query::<()>(&mut con, adds);
        assert_eq!(next.reply(), served, "{waits:?}");
        until_blocked(&mut con, 0);
        // Nobody took the second element.
        assert_eq!(query::<Vec<String>>(&mut con, rest), ["b"]);
    }
}

#[test]
fn blocked_clients_stall_nobody() {
    let server = Server::start();
    let mut con = server.con();
    // More blocked clients than the server has disk threads.
    let mut waiting: Vec<Raw> = (0..8)
        .map(|i| block(&server, &mut con, &["BLPOP", &format!("k{i}"), "0"], i))
        .collect();
    let start = Instant::now();
    let mut other = server.con();
    for i in 0..50 {
        query::<()>(&mut other, &["SET", "s", &i.to_string()]);
        query::<()>(&mut other, &["RPUSH", "busy", "x"]);
        assert_eq!(query::<String>(&mut other, &["GET", "s"]), i.to_string());
    }
    assert!(start.elapsed() < Duration::from_secs(10));
    assert_eq!(query::<i64>(&mut other, &["LLEN", "busy"]), 50);
    for (i, raw) in waiting.iter_mut().enumerate() {
        query::<()>(&mut other, &["RPUSH", &format!("k{i}"), "v"]);
        assert_eq!(raw.reply(), pair(&format!("k{i}"), "v"));
    }
}

#[test]
fn requests_pipelined_after_a_blocked_one_wait_for_it() {
    let server = Server::start();
    let mut con = server.con();
    let mut raw = server.raw();
    let mut pipeline = resp(&["BLPOP", "k", "0"]);
    pipeline.extend(resp(&["LLEN", "k"]));
    pipeline.extend(resp(&["PING"]));
    raw.send(pipeline);
    until_blocked(&mut con, 1);
    query::<()>(&mut con, &["RPUSH", "k", "a", "b"]);
    assert_eq!(raw.reply(), pair("k", "a"));
    assert_eq!(raw.reply(), ":1\r\n");
    assert_eq!(raw.reply(), "+PONG\r\n");
}

#[test]
fn a_request_that_arrives_while_an_earlier_one_blocks_is_answered_when_it_ends() {
    // The server reads the socket while BLPOP waits; the SET whose bytes came then used to
    // wait for the client to send something more (found by scripts/fuzz).
    let server = Server::start();
    let mut raw = server.raw();
    let value = "v".repeat(500_000);
    let mut pipeline = resp(&["BLPOP", "k", "0.2"]);
    pipeline.extend(resp(&["SET", "big", &value]));
    pipeline.extend(resp(&["STRLEN", "big"]));
    raw.send(pipeline);
    assert_eq!(raw.reply(), "*-1\r\n");
    assert_eq!(raw.reply(), "+OK\r\n");
    assert_eq!(raw.reply(), ":500000\r\n");
}

#[test]
fn a_key_of_another_type_wakes_nobody() {
    let server = Server::start();
    let mut con = server.con();
    let mut waiting = block(&server, &mut con, &["BLPOP", "k", "0"], 0);
    query::<()>(&mut con, &["SET", "k", "v"]);
    query::<()>(&mut con, &["DEL", "k"]);
    query::<()>(&mut con, &["ZADD", "k", "1", "m"]);
    query::<()>(&mut con, &["DEL", "k"]);
    assert_eq!(blocked_clients(&mut con), 1);
    query::<()>(&mut con, &["RPUSH", "k", "a"]);
    assert_eq!(waiting.reply(), pair("k", "a"));
}

#[test]
fn a_woken_client_runs_its_command_again_whole() {
    // Redis 7.2 runs a blocked command again when a key it waits for gets elements, so a
    // key of another type before that one is an error then (7.0 served the ready key).
    if skip_in_reference("Redis 7.2 behaviour (the reference server is 7.0)") {
        return;
    }
    let server = Server::start();
    let mut con = server.con();
    let mut waiting = block(&server, &mut con, &["BLPOP", "a", "b", "0"], 0);
    query::<()>(&mut con, &["SET", "a", "x"]);
    query::<()>(&mut con, &["RPUSH", "b", "y"]);
    assert_eq!(
        waiting.reply(),
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
    );
    assert_eq!(
        query::<Vec<String>>(&mut con, &["LRANGE", "b", "0", "-1"]),
        ["y"]
    );
    until_blocked(&mut con, 0);
}

// ---- sorted sets: BZPOPMIN, BZPOPMAX, BZMPOP ----

/// The RESP2 reply of BZMPOP: [key, [[member, score], ...]].
fn zmpop_reply(key: &str, pairs: &[(&str, &str)]) -> String {
    let mut out = format!("*2\r\n${}\r\n{key}\r\n*{}\r\n", key.len(), pairs.len());
    for (member, score) in pairs {
        out.push_str(&bulks(&[member, score]));
    }
    out
}

#[test]
fn bzpop_serves_at_once_from_the_first_sorted_set() {
    let server = Server::start();
    let mut raw = server.raw();
    raw.call(&["ZADD", "b", "1", "x", "2", "y", "3", "z"]);
    raw.call(&["ZADD", "c", "1.5", "u", "2.5", "v"]);
    assert_eq!(
        raw.call(&["BZPOPMIN", "a", "b", "c", "0"]),
        bulks(&["b", "x", "1"])
    );
    assert_eq!(
        raw.call(&["BZPOPMAX", "a", "c", "b", "0"]),
        bulks(&["c", "v", "2.5"])
    );
    assert_eq!(
        raw.call(&["BZMPOP", "0", "3", "a", "b", "c", "MAX", "COUNT", "5"]),
        zmpop_reply("b", &[("z", "3"), ("y", "2")])
    );
    assert_eq!(
        raw.call(&["bzmpop", "1", "2", "a", "c", "min"]),
        zmpop_reply("c", &[("u", "1.5")])
    );
    // The last member took the keys with it.
    assert_eq!(raw.call(&["EXISTS", "b", "c"]), ":0\r\n");
}

#[test]
fn bzpop_clients_are_served_in_the_order_they_blocked() {
    let server = Server::start();
    let mut con = server.con();
    // One ZADD of three members serves three clients, lowest score first.
    let mut waiting: Vec<Raw> = (0..3)
        .map(|i| block(&server, &mut con, &["BZPOPMIN", "z", "0"], i))
        .collect();
    query::<()>(&mut con, &["ZADD", "z", "3", "c", "1", "a", "2", "b"]);
    for (raw, (member, score)) in waiting.iter_mut().zip([("a", "1"), ("b", "2"), ("c", "3")]) {
        assert_eq!(raw.reply(), bulks(&["z", member, score]));
    }
    until_blocked(&mut con, 0);
    assert_eq!(query::<i64>(&mut con, &["EXISTS", "z"]), 0);
    // One member at a time: each goes to the client first in line.
    for (i, raw) in waiting.iter_mut().enumerate() {
        raw.send(resp(&["BZPOPMAX", "z", "0"]));
        until_blocked(&mut con, i + 1);
    }
    for (i, member) in ["x", "y", "z"].into_iter().enumerate() {
        query::<()>(&mut con, &["ZADD", "z", "7", member]);
        assert_eq!(waiting[i].reply(), bulks(&["z", member, "7"]));
        until_blocked(&mut con, 2 - i);
    }
}

#[test]
fn a_zadd_of_more_members_than_waiters_leaves_the_rest() {
    let server = Server::start();
    let mut con = server.con();
    let mut first = block(&server, &mut con, &["BZPOPMAX", "z", "0"], 0);
    let mut second = block(
        &server,
        &mut con,
        &["BZMPOP", "0", "2", "other", "z", "MIN", "COUNT", "2"],
        1,
    );
    query::<()>(
        &mut con,
        &["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"],
    );
    assert_eq!(first.reply(), bulks(&["z", "d", "4"]));
    assert_eq!(second.reply(), zmpop_reply("z", &[("a", "1"), ("b", "2")]));
    until_blocked(&mut con, 0);
    assert_eq!(
        query::<Vec<String>>(&mut con, &["ZRANGE", "z", "0", "-1"]),
        ["c"]
    );
}

#[test]
fn bzpop_waits_for_a_sorted_set_not_another_type() {
    let server = Server::start();
    let mut con = server.con();
    let mut waiting = block(&server, &mut con, &["BZPOPMIN", "k", "0"], 0);
    query::<()>(&mut con, &["RPUSH", "k", "a"]);
    query::<()>(&mut con, &["DEL", "k"]);
    query::<()>(&mut con, &["SADD", "k", "a"]);
    query::<()>(&mut con, &["DEL", "k"]);
    assert_eq!(blocked_clients(&mut con), 1);
    query::<()>(&mut con, &["ZADD", "k", "5", "m"]);
    assert_eq!(waiting.reply(), bulks(&["k", "m", "5"]));
    // And a sorted set does not serve a list's client.
    waiting.send(resp(&["BLPOP", "k", "0"]));
    until_blocked(&mut con, 1);
    query::<()>(&mut con, &["ZADD", "k", "1", "m"]);
    assert_eq!(blocked_clients(&mut con), 1);
    query::<()>(&mut con, &["RPUSH", "l", "x"]);
    query::<()>(&mut con, &["DEL", "k"]);
    query::<()>(&mut con, &["RENAME", "l", "k"]);
    assert_eq!(waiting.reply(), pair("k", "x"));
}

#[test]
fn what_creates_a_sorted_set_wakes_its_waiter() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["ZADD", "src", "1", "a", "2", "b"]);
    query::<()>(&mut con, &["SADD", "set", "s"]);
    let creators: [&[&str]; 7] = [
        &["ZINCRBY", "dst", "3", "m"],
        &["ZUNIONSTORE", "dst", "2", "src", "set"],
        &["ZINTERSTORE", "dst", "1", "src"],
        &["ZDIFFSTORE", "dst", "1", "src"],
        &["ZRANGESTORE", "dst", "src", "0", "0"],
        &["COPY", "src", "dst"],
        &["RENAME", "src", "dst"],
    ];
    for creator in creators {
        let mut waiting = block(&server, &mut con, &["BZPOPMIN", "dst", "0"], 0);
        query::<()>(&mut con, creator);
        let reply = waiting.reply();
        assert!(
            reply.starts_with("*3\r\n$3\r\ndst\r\n"),
            "{creator:?}: {reply:?}"
        );
        until_blocked(&mut con, 0);
        query::<()>(&mut con, &["DEL", "dst"]);
    }
}

#[test]
fn bzpop_wrong_types_and_errors() {
    let server = Server::start();
    let mut raw = server.raw();
    const WRONGTYPE: &str =
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
    raw.call(&["SET", "s", "v"]);
    raw.call(&["ZADD", "z", "1", "m"]);
    // The first key that exists decides, as in Redis.
    assert_eq!(raw.call(&["BZPOPMIN", "missing", "s", "z", "0"]), WRONGTYPE);
    assert_eq!(raw.call(&["BZMPOP", "0", "2", "s", "z", "MAX"]), WRONGTYPE);
    assert_eq!(
        raw.call(&["BZPOPMAX", "z", "s", "0"]),
        bulks(&["z", "m", "1"])
    );
    for (words, error) in [
        (
            &["BZPOPMIN", "z", "x"][..],
            "ERR timeout is not a float or out of range",
        ),
        (
            &["BZPOPMIN", "z", ""],
            "ERR timeout is not a float or out of range",
        ),
        (&["BZPOPMAX", "z", "-0.5"], "ERR timeout is negative"),
        (
            &["BZMPOP", "-1", "1", "z", "MIN"],
            "ERR timeout is negative",
        ),
        (
            &["BZMPOP", "x", "1", "z", "MIN"],
            "ERR timeout is not a float or out of range",
        ),
        // BZMPOP checks its other arguments before the timeout.
        (
            &["BZMPOP", "x", "0", "z", "MIN"],
            "ERR numkeys should be greater than 0",
        ),
        (
            &["BZMPOP", "x", "-1", "z", "MIN"],
            "ERR numkeys should be greater than 0",
        ),
        (
            &["BZMPOP", "x", "1", "z", "MIN", "COUNT", "0"],
            "ERR count should be greater than 0",
        ),
        (
            &["BZMPOP", "0", "1", "z", "MIN", "COUNT", "-2"],
            "ERR count should be greater than 0",
        ),
        (
            &["BZMPOP", "0", "1", "z", "MIN", "COUNT", "x"],
            "ERR count should be greater than 0",
        ),
        (&["BZMPOP", "0", "2", "z", "MIN"], "ERR syntax error"),
        (&["BZMPOP", "0", "1", "z", "UP"], "ERR syntax error"),
        (
            &["BZMPOP", "0", "1", "z", "MIN", "COUNT"],
            "ERR syntax error",
        ),
        (
            &["BZMPOP", "0", "1", "z", "MIN", "COUNT", "1", "COUNT", "1"],
            "ERR syntax error",
        ),
        (
            &["BZPOPMIN", "z"],
            "ERR wrong number of arguments for 'bzpopmin' command",
        ),
        (
            &["BZPOPMAX", "z"],
            "ERR wrong number of arguments for 'bzpopmax' command",
        ),
        (
            &["BZMPOP", "0", "1", "z"],
            "ERR wrong number of arguments for 'bzmpop' command",
        ),
    ] {
        assert_eq!(raw.call(words), format!("-{error}\r\n"), "{words:?}");
    }
    // Nothing was popped by the refused commands.
    assert_eq!(raw.call(&["TYPE", "s"]), "+string\r\n");
}

#[test]
fn bzpop_inside_multi_answers_at_once() {
    let server = Server::start();
    let mut raw = server.raw();
    raw.call(&["MULTI"]);
    for words in [
        &["BZPOPMIN", "z", "0"][..],
        &["ZADD", "z", "1", "a", "2", "b"],
        &["BZPOPMAX", "z", "0"],
        &["BZMPOP", "0", "1", "z", "MIN"],
        &["BZMPOP", "0", "1", "z", "MIN", "COUNT", "3"],
        &["BZPOPMAX", "z", "0"],
    ] {
        assert_eq!(raw.call(words), "+QUEUED\r\n");
    }
    assert_eq!(
        raw.call(&["EXEC"]),
        format!(
            "*6\r\n*-1\r\n:2\r\n{}{}*-1\r\n*-1\r\n",
            bulks(&["z", "b", "2"]),
            zmpop_reply("z", &[("a", "1")])
        )
    );
    raw.call(&["HELLO", "3"]);
    raw.call(&["MULTI"]);
    raw.call(&["BZPOPMIN", "z", "0"]);
    raw.call(&["BZMPOP", "0", "1", "z", "MAX"]);
    assert_eq!(raw.call(&["EXEC"]), "*2\r\n_\r\n_\r\n");
}

#[test]
fn bzpop_replies_in_resp3() {
    let server = Server::start();
    let mut con = server.con();
    let mut raw = server.raw();
    raw.call(&["HELLO", "3"]);
    raw.call(&["ZADD", "z", "1.5", "a", "2", "b", "3", "c"]);
    assert_eq!(
        raw.call(&["BZPOPMIN", "z", "0"]),
        "*3\r\n$1\r\nz\r\n$1\r\na\r\n,1.5\r\n"
    );
    assert_eq!(
        raw.call(&["BZMPOP", "0", "1", "z", "MAX", "COUNT", "5"]),
        "*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\nc\r\n,3\r\n*2\r\n$1\r\nb\r\n,2\r\n"
    );
    assert_eq!(raw.call(&["BZPOPMAX", "z", "0.01"]), "_\r\n");
    assert_eq!(raw.call(&["BZMPOP", "0.01", "1", "z", "MIN"]), "_\r\n");
    // Served after waiting, in the same shape.
    raw.send(resp(&["BZPOPMAX", "z", "0"]));
    until_blocked(&mut con, 1);
    query::<()>(&mut con, &["ZADD", "z", "-inf", "x"]);
    assert_eq!(raw.reply(), "*3\r\n$1\r\nz\r\n$1\r\nx\r\n,-inf\r\n");
}

// ---- blocked clients and the rest of the server ----

#[test]
fn client_kill_closes_a_blocked_client_at_once() {
    let server = Server::start();
    let mut con = server.con();
    let mut raw = server.raw();
    let id = raw.call(&["CLIENT", "ID"]);
    let id = id.trim().trim_start_matches(':');
    raw.send(resp(&["BLPOP", "k", "0"]));
    until_blocked(&mut con, 1);
    let start = Instant::now();
    assert_eq!(query::<i64>(&mut con, &["CLIENT", "KILL", "ID", id]), 1);
    assert_eq!(raw.read_to_end(), b"");
    assert!(start.elapsed() < Duration::from_secs(5));
    until_blocked(&mut con, 0);
    // Nobody is left to take a push.
    query::<()>(&mut con, &["RPUSH", "k", "a"]);
    assert_eq!(query::<i64>(&mut con, &["LLEN", "k"]), 1);
}

#[test]
fn rename_and_swapdb_bring_a_list_to_who_waits_for_it() {
    let server = Server::start();
    let mut con = server.con();
    let mut waiting = block(&server, &mut con, &["BLPOP", "dst", "0"], 0);
    query::<()>(&mut con, &["RPUSH", "src", "a", "b"]);
    query::<()>(&mut con, &["RENAME", "src", "dst"]);
    assert_eq!(waiting.reply(), pair("dst", "a"));
    // SWAPDB brings database 1's list k to the client waiting for k in database 0.
    waiting.send(resp(&["BLPOP", "k", "0"]));
    until_blocked(&mut con, 1);
    let mut other = server.raw();
    other.call(&["SELECT", "1"]);
    other.call(&["RPUSH", "k", "x", "y"]);
    query::<()>(&mut con, &["SWAPDB", "0", "1"]);
    assert_eq!(waiting.reply(), pair("k", "x"));
    until_blocked(&mut con, 0);
    assert_eq!(
        query::<Vec<String>>(&mut con, &["LRANGE", "k", "0", "-1"]),
        ["y"]
    );
    assert_eq!(other.call(&["LRANGE", "dst", "0", "-1"]), bulks(&["b"]));
}

#[test]
fn info_counts_blocked_clients() {
    let server = Server::start();
    let mut con = server.con();
    assert_eq!(blocked_clients(&mut con), 0);
    let mut list = server.raw();
    list.send(resp(&["BLPOP", "l", "0"]));
    let mut zset = server.raw();
    zset.send(resp(&["BZPOPMIN", "z", "0.5"]));
    until_blocked(&mut con, 2);
    assert_eq!(zset.reply(), "*-1\r\n");
    assert_eq!(blocked_clients(&mut con), 1);
    query::<()>(&mut con, &["RPUSH", "l", "x"]);
    assert_eq!(list.reply(), pair("l", "x"));
    assert_eq!(blocked_clients(&mut con), 0);
}

#[test]
fn client_unblock_ends_a_wait_as_a_timeout_or_an_error() {
    let server = Server::start();
    let mut con = server.con();
    let mut raw = server.raw();
    let id = raw.call(&["CLIENT", "ID"]);
    let id = id.trim().trim_start_matches(':').to_string();
    // Not blocked: 0.
    assert_eq!(query::<i64>(&mut con, &["CLIENT", "UNBLOCK", &id]), 0);
    raw.send(resp(&["BLPOP", "k", "0"]));
    until_blocked(&mut con, 1);
    assert_eq!(query::<i64>(&mut con, &["CLIENT", "UNBLOCK", &id]), 1);
    assert_eq!(raw.reply(), "*-1\r\n");
    until_blocked(&mut con, 0);
    raw.send(resp(&["BZPOPMIN", "z", "0"]));
    until_blocked(&mut con, 1);
    assert_eq!(
        query::<i64>(&mut con, &["CLIENT", "UNBLOCK", &id, "error"]),
        1
    );
    assert_eq!(
        raw.reply(),
        "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
    );
    until_blocked(&mut con, 0);
    // The client is in no line any more: a push stays in the list.
    query::<()>(&mut con, &["RPUSH", "k", "a"]);
    assert_eq!(raw.call(&["LPOP", "k"]), "$1\r\na\r\n");
    assert_eq!(
        common::query_err(&mut con, &["CLIENT", "UNBLOCK", &id, "NOW"]),
        "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"
    );
    assert_eq!(
        common::query_err(&mut con, &["CLIENT", "UNBLOCK", "x"]),
        "ERR value is not an integer or out of range"
    );
}
