//! Blocking list commands: BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP. Clients blocked on one
//! key are served in the order they blocked; timeouts take fractional seconds and answer a
//! null array (RESP2 `*-1`, RESP3 `_`); a client that disconnects is forgotten; a blocked
//! client stalls nobody, and the requests it pipelined after the blocking one wait for it.
//!
//! Each blocked client is a raw connection that sends its command and reads the reply later;
//! INFO's `blocked_clients` tells when it is in line.

mod common;

use std::time::{Duration, Instant};

use common::{query, resp, Raw, Server};
use redis::Connection;

fn skip_in_reference(why: &str) -> bool {
    let reference = std::env::var_os("DREDIS_TEST_REFERENCE").is_some_and(|v| v != "0");
    if reference {
        eprintln!("skipped against the reference redis-server: {why}");
    }
    reference
}

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

/// The RESP2 reply [key, element].
fn pair(key: &str, element: &str) -> String {
    format!(
        "*2\r\n${}\r\n{key}\r\n${}\r\n{element}\r\n",
        key.len(),
        element.len()
    )
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
fn client_unblock_ends_a_wait_with_the_timeout_reply_or_an_error() {
    let server = Server::start();
    let mut con = server.con();
    let mut raw = server.raw();
    let id = raw.call(&["CLIENT", "ID"]);
    let id = id.trim_start_matches(':').trim_end();
    let unblock = |con: &mut Connection, how: &[&str]| -> i64 {
        let mut words = vec!["CLIENT", "UNBLOCK", id];
        words.extend(how);
        query(con, &words)
    };
    for (command, how, reply) in [
        (&["BLPOP", "k", "0"][..], &[][..], "*-1\r\n"),
        (&["BLMPOP", "0", "1", "k", "LEFT"], &["timeout"], "*-1\r\n"),
        (
            &["BRPOPLPUSH", "k", "d", "0"],
            &["ERROR"],
            "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n",
        ),
    ] {
        raw.send(resp(command));
        until_blocked(&mut con, 1);
        assert_eq!(unblock(&mut con, how), 1, "{command:?}");
        assert_eq!(raw.reply(), reply, "{command:?}");
        until_blocked(&mut con, 0);
    }
    // Not blocked, or no such client: 0.
    assert_eq!(unblock(&mut con, &[]), 0);
    assert_eq!(query::<i64>(&mut con, &["CLIENT", "UNBLOCK", "999999"]), 0);
    assert_eq!(
        common::query_err(&mut con, &["CLIENT", "UNBLOCK", "x"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        common::query_err(&mut con, &["CLIENT", "UNBLOCK", id, "LATER"]),
        "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"
    );
    // The client unblocked still works, and blocks again.
    raw.send(resp(&["BLPOP", "k", "0"]));
    until_blocked(&mut con, 1);
    query::<()>(&mut con, &["RPUSH", "k", "v"]);
    assert_eq!(raw.reply(), pair("k", "v"));
}

#[test]
fn a_client_that_disconnects_while_blocked_is_forgotten() {
    let server = Server::start();
    let mut con = server.con();
    let gone = block(&server, &mut con, &["BLPOP", "k", "0"], 0);
    let mut next = block(&server, &mut con, &["BLPOP", "k", "0"], 1);
    drop(gone);
    until_blocked(&mut con, 1);
    query::<()>(&mut con, &["RPUSH", "k", "a", "b"]);
    assert_eq!(next.reply(), pair("k", "a"));
    until_blocked(&mut con, 0);
    // Nobody took the second element.
    assert_eq!(
        query::<Vec<String>>(&mut con, &["LRANGE", "k", "0", "-1"]),
        ["b"]
    );
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
