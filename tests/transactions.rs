//! Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Duration;

use common::{query, Raw, Server};

const QUEUED: &str = "+QUEUED\r\n";
const OK: &str = "+OK\r\n";
const EXECABORT: &str = "-EXECABORT Transaction discarded because of previous errors.\r\n";
/// EXEC's answer when a watched key changed: a nil array.
const NIL_ARRAY: &str = "*-1\r\n";

/// Runs `MULTI`, the commands (each must be queued) and `EXEC`; returns EXEC's reply.
fn transaction(raw: &mut Raw, commands: &[&[&str]]) -> String {
    assert_eq!(raw.call(&["MULTI"]), OK);
    for command in commands {
        assert_eq!(raw.call(command), QUEUED, "{command:?}");
    }
    raw.call(&["EXEC"])
}

#[test]
fn queued_commands_run_at_exec_in_order() {
    let server = Server::start();
    let mut raw = server.raw();
    assert_eq!(raw.call(&["MULTI"]), OK);
    assert_eq!(raw.call(&["SET", "k", "1"]), QUEUED);
    assert_eq!(raw.call(&["INCRBY", "k", "41"]), QUEUED);
    assert_eq!(raw.call(&["GET", "k"]), QUEUED);
    // Nothing has run yet.
    assert_eq!(
        query::<Option<String>>(&mut server.con(), &["GET", "k"]),
        None
    );
    assert_eq!(raw.call(&["EXEC"]), "*3\r\n+OK\r\n:42\r\n$2\r\n42\r\n");
    // EXEC ends the transaction; an empty one answers an empty array.
    assert_eq!(raw.call(&["GET", "k"]), "$2\r\n42\r\n");
    assert_eq!(transaction(&mut raw, &[]), "*0\r\n");
}

#[test]
fn exec_discard_multi_and_watch_out_of_place() {
    let server = Server::start();
    let mut raw = server.raw();
    assert_eq!(raw.call(&["EXEC"]), "-ERR EXEC without MULTI\r\n");
    assert_eq!(raw.call(&["DISCARD"]), "-ERR DISCARD without MULTI\r\n");
    assert_eq!(raw.call(&["MULTI"]), OK);
    // These errors do not doom the transaction.
    assert_eq!(
        raw.call(&["MULTI"]),
        "-ERR MULTI calls can not be nested\r\n"
    );
    assert_eq!(
        raw.call(&["WATCH", "k"]),
        "-ERR WATCH inside MULTI is not allowed\r\n"
    );
    assert_eq!(raw.call(&["SET", "k", "v"]), QUEUED);
    assert_eq!(raw.call(&["EXEC"]), "*1\r\n+OK\r\n");
    assert_eq!(
        raw.call(&["MULTI", "extra"]),
        "-ERR wrong number of arguments for 'multi' command\r\n"
    );
}

#[test]
fn errors_while_queueing_abort_the_whole_transaction() {
    let server = Server::start();
    let mut raw = server.raw();
    let refused: &[(&[&str], &str)] = &[
        (
            &["NOSUCHCOMMAND", "x"],
            "-ERR unknown command 'NOSUCHCOMMAND', with args beginning with: 'x' \r\n",
        ),
        (
            &["GET"],
            "-ERR wrong number of arguments for 'get' command\r\n",
        ),
        (
            &["CLIENT", "NOSUCH"],
            "-ERR unknown subcommand 'NOSUCH'. Try CLIENT HELP.\r\n",
        ),
        (
            &["SHUTDOWN"],
            "-ERR Command not allowed inside a transaction\r\n",
        ),
    ];
    for (command, error) in refused {
        assert_eq!(raw.call(&["MULTI"]), OK);
        assert_eq!(raw.call(&["SET", "a", "1"]), QUEUED);
        assert_eq!(raw.call(command), *error);
        // Later commands are still answered QUEUED, and EXEC runs none of them.
        assert_eq!(raw.call(&["SET", "b", "2"]), QUEUED);
        assert_eq!(raw.call(&["EXEC"]), EXECABORT);
        assert_eq!(raw.call(&["EXISTS", "a", "b"]), ":0\r\n");
    }
    // The transaction is over after EXECABORT.
    assert_eq!(raw.call(&["EXEC"]), "-ERR EXEC without MULTI\r\n");
}

#[test]
fn errors_while_running_are_replies_in_the_array() {
    let server = Server::start();
    let mut raw = server.raw();
    let reply = transaction(
        &mut raw,
        &[
            &["SET", "s", "text"],
            &["INCR", "s"],
            &["HSET", "s", "f", "v"],
            &["SET", "n", "1", "BAD"],
            &["INCR", "n"],
        ],
    );
    assert_eq!(
        reply,
        "*5\r\n+OK\r\n-ERR value is not an integer or out of range\r\n\
         -WRONGTYPE Operation against a key holding the wrong kind of value\r\n\
         -ERR syntax error\r\n:1\r\n"
    );
    assert_eq!(raw.call(&["GET", "s"]), "$4\r\ntext\r\n");
}

#[test]
fn discard_drops_the_queue_and_the_watches() {
    let server = Server::start();
    let mut raw = server.raw();
    let mut other = server.raw();
    assert_eq!(raw.call(&["WATCH", "w"]), OK);
    assert_eq!(raw.call(&["MULTI"]), OK);
    assert_eq!(raw.call(&["SET", "k", "v"]), QUEUED);
    assert_eq!(raw.call(&["DISCARD"]), OK);
    assert_eq!(raw.call(&["EXISTS", "k"]), ":0\r\n");
    // DISCARD also forgot the watched key: changing it no longer matters.
    assert_eq!(other.call(&["SET", "w", "changed"]), OK);
    assert_eq!(
        transaction(&mut raw, &[&["SET", "k", "v"]]),
        "*1\r\n+OK\r\n"
    );
}

#[test]
fn commands_inside_exec_see_the_earlier_ones() {
    let server = Server::start();
    let mut raw = server.raw();
    let reply = transaction(
        &mut raw,
        &[
            &["SELECT", "1"],
            &["SET", "k", "in1"],
            &["FLUSHALL"],
            &["SET", "k", "after"],
            &["DBSIZE"],
        ],
    );
    assert_eq!(reply, "*5\r\n+OK\r\n+OK\r\n+OK\r\n+OK\r\n:1\r\n");
    // SELECT inside the transaction stays in effect.
    assert_eq!(raw.call(&["GET", "k"]), "$5\r\nafter\r\n");
}

#[test]
fn quit_inside_multi_answers_and_closes() {
    let server = Server::start();
    let mut raw = server.raw();
    assert_eq!(raw.call(&["MULTI"]), OK);
    assert_eq!(raw.call(&["SET", "k", "v"]), QUEUED);
    assert_eq!(raw.call(&["QUIT"]), OK);
    assert_eq!(raw.read_to_end(), b"");
    assert_eq!(server.raw().call(&["EXISTS", "k"]), ":0\r\n");
}

/// Client A watches `key` (after `setup`), client B runs `meddle`, then A runs a transaction
/// that sets `done`: returns EXEC's reply.
fn watch_then(server: &Server, setup: &[&[&str]], meddle: &[&[&str]]) -> String {
    let (mut a, mut b) = (server.raw(), server.raw());
    assert_eq!(b.call(&["FLUSHALL"]), OK);
    for command in setup {
        b.call(command);
    }
    assert_eq!(a.call(&["WATCH", "key"]), OK);
    for command in meddle {
        b.call(command);
    }
    transaction(&mut a, &[&["SET", "done", "1"]])
}

#[test]
fn watch_lets_exec_run_when_nothing_changed() {
    let server = Server::start();
    let ran = "*1\r\n+OK\r\n";
    assert_eq!(watch_then(&server, &[&["SET", "key", "v"]], &[]), ran);
    // Reads, other keys, failed writes and deleting what is not there change nothing.
    assert_eq!(
        watch_then(
            &server,
            &[&["SET", "key", "v"]],
            &[
                &["GET", "key"],
                &["SET", "other", "x"],
                &["SET", "key", "w", "NX"],
                &["INCR", "key"],
            ]
        ),
        ran
    );
    assert_eq!(watch_then(&server, &[], &[&["DEL", "key"]]), ran);
}

#[test]
fn watch_fails_exec_when_another_client_changes_the_key() {
    let server = Server::start();
    let changes: &[&[&[&str]]] = &[
        &[&["SET", "key", "other"]],
        &[&["INCR", "key"]],
        &[&["DEL", "key"]],
        // Changed, then put back: it still counts.
        &[&["SET", "key", "x"], &["SET", "key", "1"]],
        &[&["FLUSHDB"]],
        &[&["FLUSHALL"]],
    ];
    for meddle in changes {
        assert_eq!(
            watch_then(&server, &[&["SET", "key", "1"]], meddle),
            NIL_ARRAY,
            "{meddle:?}"
        );
        // The transaction ran nothing.
        assert_eq!(server.raw().call(&["EXISTS", "done"]), ":0\r\n");
    }
    // A watched key that did not exist and is created.
    assert_eq!(
        watch_then(&server, &[], &[&["HSET", "key", "f", "v"]]),
        NIL_ARRAY
    );
}

#[test]
fn flushing_what_does_not_hold_the_key_is_no_change() {
    let server = Server::start();
    let ran = "*1\r\n+OK\r\n";
    // The watched key does not exist: flushing its database changes nothing for it.
    assert_eq!(
        watch_then(&server, &[&["SET", "x", "1"]], &[&["FLUSHDB"]]),
        ran
    );
    // Another database is flushed.
    assert_eq!(
        watch_then(
            &server,
            &[&["SET", "key", "v"]],
            &[&["SELECT", "1"], &["FLUSHDB"]]
        ),
        ran
    );
}

#[test]
fn swapdb_changes_a_watched_key_when_either_database_holds_it() {
    let server = Server::start();
    let ran = "*1\r\n+OK\r\n";
    // In the watched database only, in the other only, in neither.
    let cases: [(&[&[&str]], &str); 3] = [
        (&[&["SET", "key", "1"]], NIL_ARRAY),
        (
            &[&["SELECT", "1"], &["SET", "key", "1"], &["SELECT", "0"]],
            NIL_ARRAY,
        ),
        (&[&["SET", "other", "1"]], ran),
    ];
    for (setup, want) in cases {
        assert_eq!(
            watch_then(&server, setup, &[&["SWAPDB", "0", "1"]]),
            want,
            "{setup:?}"
        );
    }
}

#[test]
fn watch_sees_changes_by_the_same_client_before_multi() {
    let server = Server::start();
    let mut raw = server.raw();
    assert_eq!(raw.call(&["WATCH", "key"]), OK);
    assert_eq!(raw.call(&["SET", "key", "mine"]), OK);
    assert_eq!(transaction(&mut raw, &[&["SET", "done", "1"]]), NIL_ARRAY);
    // EXEC unwatched everything: the next transaction runs.
    assert_eq!(raw.call(&["SET", "key", "again"]), OK);
    assert_eq!(
        transaction(&mut raw, &[&["SET", "done", "1"]]),
        "*1\r\n+OK\r\n"
    );
}

#[test]
fn unwatch_forgets_the_keys() {
    let server = Server::start();
    let (mut a, mut b) = (server.raw(), server.raw());
    assert_eq!(a.call(&["WATCH", "key", "key2"]), OK);
    assert_eq!(b.call(&["SET", "key", "x"]), OK);
    assert_eq!(a.call(&["UNWATCH"]), OK);
    assert_eq!(transaction(&mut a, &[&["PING"]]), "*1\r\n+PONG\r\n");
}

#[test]
fn watch_is_per_database() {
    let server = Server::start();
    let (mut a, mut b) = (server.raw(), server.raw());
    assert_eq!(a.call(&["SELECT", "2"]), OK);
    assert_eq!(a.call(&["WATCH", "key"]), OK);
    // The same name in another database is another key.
    assert_eq!(b.call(&["SET", "key", "db0"]), OK);
    // Switching databases after WATCH does not change what is watched.
    assert_eq!(a.call(&["SELECT", "0"]), OK);
    assert_eq!(transaction(&mut a, &[&["PING"]]), "*1\r\n+PONG\r\n");

    assert_eq!(a.call(&["SELECT", "2"]), OK);
    assert_eq!(a.call(&["WATCH", "key"]), OK);
    assert_eq!(a.call(&["SELECT", "0"]), OK);
    assert_eq!(b.call(&["SELECT", "2"]), OK);
    assert_eq!(b.call(&["SET", "key", "db2"]), OK);
    assert_eq!(transaction(&mut a, &[&["PING"]]), NIL_ARRAY);
}

#[test]
fn a_watched_key_that_expires_before_exec_fails_it() {
    let server = Server::start();
    let mut raw = server.raw();
    // The key must still be live when watched: a longer life on a slow machine.
    for life in [100, 400, 1600] {
        assert_eq!(raw.call(&["SET", "key", "v", "PX", &life.to_string()]), OK);
        assert_eq!(raw.call(&["WATCH", "key"]), OK);
        if raw.call(&["GET", "key"]) != "$1\r\nv\r\n" {
            raw.call(&["UNWATCH"]);
            continue;
        }
        thread::sleep(Duration::from_millis(life + 150));
        assert_eq!(transaction(&mut raw, &[&["PING"]]), NIL_ARRAY);
        return;
    }
    panic!("the key expired before WATCH every time");
}

#[test]
fn a_key_already_expired_when_watched_is_not_a_change_when_deleted() {
    let server = Server::start();
    let (mut a, mut b) = (server.raw(), server.raw());
    assert_eq!(a.call(&["SET", "key", "v", "PX", "50"]), OK);
    thread::sleep(Duration::from_millis(150));
    // Left alone, it is no change either.
    assert_eq!(a.call(&["WATCH", "key"]), OK);
    assert_eq!(transaction(&mut a, &[&["PING"]]), "*1\r\n+PONG\r\n");
    assert_eq!(a.call(&["WATCH", "key"]), OK);
    // DEL removes the expired key (it answers 0: it was already gone).
    assert_eq!(b.call(&["DEL", "key"]), ":0\r\n");
    assert_eq!(transaction(&mut a, &[&["PING"]]), "*1\r\n+PONG\r\n");
    // Writing it, though, is a change.
    assert_eq!(b.call(&["SET", "key", "v", "PX", "50"]), OK);
    thread::sleep(Duration::from_millis(150));
    assert_eq!(a.call(&["WATCH", "key"]), OK);
    assert_eq!(b.call(&["SET", "key", "new"]), OK);
    assert_eq!(transaction(&mut a, &[&["PING"]]), NIL_ARRAY);
}

#[test]
fn exec_with_a_changed_key_is_nil_in_resp3() {
    let server = Server::start();
    let (mut a, mut b) = (server.raw(), server.raw());
    a.call(&["HELLO", "3"]);
    assert_eq!(a.call(&["WATCH", "key"]), OK);
    assert_eq!(b.call(&["SET", "key", "x"]), OK);
    assert_eq!(transaction(&mut a, &[&["PING"]]), "_\r\n");
}

#[test]
fn exec_is_atomic_under_concurrent_writers() {
    let server = Server::start();
    const IN_TRANSACTION: usize = 2000;
    let stop = Arc::new(AtomicBool::new(false));
    let (started, writing) = mpsc::channel();
    let writer = {
        let mut b = server.raw();
        let stop = stop.clone();
        thread::spawn(move || {
            let mut seen = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let reply = b.call(&["INCR", "counter"]);
                seen.push(reply[1..reply.len() - 2].parse::<i64>().unwrap());
                let _ = started.send(());
            }
            seen
        })
    };
    writing.recv().unwrap();
    let mut a = server.raw();
    // The whole transaction goes out in one write, as a pipelining client sends it.
    let mut request = common::resp(&["MULTI"]);
    for _ in 0..IN_TRANSACTION {
        request.extend(common::resp(&["INCR", "counter"]));
    }
    request.extend(common::resp(&["EXEC"]));
    a.send(request);
    assert_eq!(a.reply(), OK);
    for _ in 0..IN_TRANSACTION {
        assert_eq!(a.reply(), QUEUED);
    }
    let exec = a.reply();
    let values: Vec<i64> = exec
        .lines()
        .skip(1)
        .map(|l| l[1..].parse().unwrap())
        .collect();
    assert_eq!(values.len(), IN_TRANSACTION);
    // The transaction's increments are consecutive: no other INCR came between them.
    assert!(
        values.windows(2).all(|w| w[1] == w[0] + 1),
        "interleaved: {values:?}"
    );
    stop.store(true, Ordering::Relaxed);
    let seen = writer.join().unwrap();
    assert!(seen.iter().all(|v| !values.contains(v)));
    let total = format!("{}", IN_TRANSACTION + seen.len());
    assert_eq!(
        a.call(&["GET", "counter"]),
        format!("${}\r\n{total}\r\n", total.len())
    );
}

/// The optimistic-locking pattern under contention: several clients each add 1 to a counter
/// 40 times with WATCH, GET, MULTI, SET, EXEC, retrying when EXEC answers nil. No update is
/// lost.
#[test]
fn watch_races_lose_no_update() {
    const CLIENTS: usize = 4;
    const EACH: usize = 40;
    let server = Server::start();
    let workers: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let mut con = server.con();
            thread::spawn(move || {
                for _ in 0..EACH {
                    loop {
                        let _: () = redis::cmd("WATCH").arg("n").query(&mut con).unwrap();
                        let n: Option<i64> = redis::cmd("GET").arg("n").query(&mut con).unwrap();
                        let done: Option<(String,)> = redis::pipe()
                            .atomic()
                            .cmd("SET")
                            .arg("n")
                            .arg(n.unwrap_or(0) + 1)
                            .query(&mut con)
                            .unwrap();
                        if done.is_some() {
                            break;
                        }
                    }
                }
            })
        })
        .collect();
    workers.into_iter().for_each(|w| w.join().unwrap());
    let mut con = server.con();
    let n: i64 = redis::cmd("GET").arg("n").query(&mut con).unwrap();
    assert_eq!(n, (CLIENTS * EACH) as i64);
}
