//! The connection's state from outside and inside: MONITOR, RESET, CLIENT KILL.

mod common;

use std::net::{SocketAddr, TcpStream};

use common::{Raw, Server};

/// A raw connection and its local address (what the server shows as `addr`).
fn connect(server: &Server) -> (Raw, SocketAddr) {
    let stream = TcpStream::connect(server.addr()).expect("connect");
    let addr = stream.local_addr().unwrap();
    (Raw::from_stream(stream), addr)
}

/// A MONITOR line without its timestamp, after checking the timestamp's shape.
fn monitor_line(raw: &mut Raw) -> String {
    let line = raw.reply();
    let body = line
        .strip_prefix('+')
        .and_then(|l| l.strip_suffix("\r\n"))
        .unwrap_or_else(|| panic!("not a status line: {line:?}"));
    let (time, rest) = body.split_once(' ').unwrap();
    let (secs, micros) = time.split_once('.').unwrap();
    assert!(secs.parse::<u64>().unwrap() > 1_600_000_000, "{line:?}");
    assert!(
        micros.len() == 6 && micros.bytes().all(|b| b.is_ascii_digit()),
        "{line:?}"
    );
    rest.to_string()
}

#[test]
fn monitor_shows_every_command_quoted_after_it_runs() {
    let server = Server::start();
    let mut monitor = server.raw();
    assert_eq!(monitor.call(&["MONITOR"]), "+OK\r\n");
    let (mut client, addr) = connect(&server);
    client.call(&["set", "a b", "x\"y\\z\nt\t\u{7}"]);
    client.call(&[&b"GET"[..], b"\xff\x01\x7f"]);
    // Not shown: unknown commands, wrong arity, admin commands.
    client.call(&["NOSUCH"]);
    client.call(&["GET"]);
    client.call(&["CONFIG", "GET", "port"]);
    // Shown with the database after the command, errors included.
    client.call(&["SELECT", "3"]);
    client.call(&["INCR", "a b"]);
    client.call(&["AUTH", "secret"]);
    client.call(&["MULTI"]);
    client.call(&["ECHO", "queued"]);
    client.call(&["EXEC"]);
    client.call(&["HELLO", "2", "AUTH", "default", "pw", "SETNAME", "me"]);
    let expected = [
        r#""set" "a b" "x\"y\\z\nt\t\a""#,
        r#""GET" "\xff\x01\x7f""#,
        r#""SELECT" "3""#,
        r#""INCR" "a b""#,
        r#""AUTH" "(redacted)""#,
        r#""MULTI""#,
        r#""ECHO" "queued""#,
        r#""EXEC""#,
        r#""HELLO" "2" "AUTH" "(redacted)" "(redacted)" "SETNAME" "me""#,
    ];
    for (i, args) in expected.iter().enumerate() {
        let db = if i < 2 { 0 } else { 3 };
        assert_eq!(monitor_line(&mut monitor), format!("[{db} {addr}] {args}"));
    }
}

#[test]
fn a_monitoring_client_may_not_touch_keys() {
    let server = Server::start();
    let (mut monitor, addr) = connect(&server);
    assert_eq!(monitor.call(&["MONITOR"]), "+OK\r\n");
    // A second MONITOR gets no reply at all: PING's reply comes next, then its own line.
    monitor.send(common::resp(&["MONITOR"]));
    assert_eq!(monitor.call(&["PING"]), "+PONG\r\n");
    assert_eq!(monitor_line(&mut monitor), format!("[0 {addr}] \"PING\""));
    assert_eq!(
        monitor.call(&["GET", "k"]),
        "-ERR Replica can't interact with the keyspace\r\n"
    );
    assert_eq!(
        monitor.call(&["SET", "k", "v"]),
        "-ERR Replica can't interact with the keyspace\r\n"
    );
}

#[test]
fn reset_returns_the_connection_to_its_first_state() {
    let server = Server::start();
    let (mut raw, mut other) = (server.raw(), server.raw());
    assert_eq!(other.call(&["SET", "k", "db0"]), "+OK\r\n");
    raw.call(&["SELECT", "2"]);
    raw.call(&["CLIENT", "SETNAME", "named"]);
    raw.call(&["WATCH", "k"]);
    raw.call(&["HELLO", "3"]);
    raw.call(&["MULTI"]);
    assert_eq!(raw.call(&["SET", "x", "1"]), "+QUEUED\r\n");
    assert_eq!(raw.call(&["RESET"]), "+RESET\r\n");
    // RESP2 again, database 0, no name, no transaction.
    assert_eq!(raw.call(&["GET", "k"]), "$3\r\ndb0\r\n");
    assert_eq!(raw.call(&["CLIENT", "GETNAME"]), "$-1\r\n");
    assert_eq!(raw.call(&["EXEC"]), "-ERR EXEC without MULTI\r\n");
    assert_eq!(raw.call(&["EXISTS", "x"]), ":0\r\n");
    // Nothing watched any more.
    assert_eq!(other.call(&["SET", "k", "changed"]), "+OK\r\n");
    raw.call(&["MULTI"]);
    raw.call(&["PING"]);
    assert_eq!(raw.call(&["EXEC"]), "*1\r\n+PONG\r\n");
}

#[test]
fn reset_leaves_channels_and_stops_monitoring() {
    let server = Server::start();
    let (mut raw, mut other) = (server.raw(), server.raw());
    raw.send(common::resp(&["SUBSCRIBE", "a"]));
    raw.reply();
    assert_eq!(raw.call(&["RESET"]), "+RESET\r\n");
    assert_eq!(other.call(&["PUBLISH", "a", "m"]), ":0\r\n");
    assert_eq!(raw.call(&["GET", "k"]), "$-1\r\n");
    assert_eq!(raw.call(&["MONITOR"]), "+OK\r\n");
    assert_eq!(raw.call(&["RESET"]), "+RESET\r\n");
    other.call(&["SET", "k", "v"]);
    // Had the SET been shown, its line would come before this reply.
    assert_eq!(raw.call(&["ECHO", "quiet"]), "$5\r\nquiet\r\n");
}

#[test]
fn reset_requires_authenticating_again() {
    let server = Server::start_with(&["--requirepass", "pw"]);
    let mut raw = server.raw();
    assert_eq!(raw.call(&["AUTH", "pw"]), "+OK\r\n");
    assert_eq!(raw.call(&["RESET"]), "+RESET\r\n");
    assert_eq!(
        raw.call(&["GET", "k"]),
        "-NOAUTH Authentication required.\r\n"
    );
}

#[test]
fn client_kill_by_id_and_address() {
    let server = Server::start();
    let mut killer = server.raw();
    let (mut by_id, _) = connect(&server);
    let id = by_id.call(&["CLIENT", "ID"]);
    let id = id.trim_start_matches(':').trim_end();
    assert_eq!(killer.call(&["CLIENT", "KILL", "ID", id]), ":1\r\n");
    assert_eq!(by_id.read_to_end(), b"");
    assert_eq!(killer.call(&["CLIENT", "KILL", "ID", id]), ":0\r\n");

    // The old form: an address, OK, or an error when nobody is there.
    let (mut by_addr, addr) = connect(&server);
    by_addr.call(&["PING"]);
    let addr = addr.to_string();
    assert_eq!(killer.call(&["CLIENT", "KILL", &addr]), "+OK\r\n");
    assert_eq!(by_addr.read_to_end(), b"");
    assert_eq!(
        killer.call(&["CLIENT", "KILL", &addr]),
        "-ERR No such client\r\n"
    );

    // Filters combine; the default user matches everyone.
    let (mut filtered, addr) = connect(&server);
    filtered.call(&["PING"]);
    let addr = addr.to_string();
    let laddr = server.addr().to_string();
    assert_eq!(
        killer.call(&["CLIENT", "KILL", "ADDR", &addr, "TYPE", "pubsub", "USER", "default"]),
        ":0\r\n"
    );
    assert_eq!(
        killer.call(&[
            "CLIENT", "KILL", "ADDR", &addr, "LADDR", &laddr, "TYPE", "normal", "USER", "default"
        ]),
        ":1\r\n"
    );
    assert_eq!(filtered.read_to_end(), b"");
}

#[test]
fn client_kill_type_pubsub_and_skipme() {
    let server = Server::start();
    let (mut killer, addr) = connect(&server);
    let mut subscriber = server.raw();
    subscriber.send(common::resp(&["PSUBSCRIBE", "*"]));
    subscriber.reply();
    let mut bystander = server.raw();
    assert_eq!(killer.call(&["CLIENT", "KILL", "TYPE", "PUBSUB"]), ":1\r\n");
    assert_eq!(subscriber.read_to_end(), b"");
    assert_eq!(bystander.call(&["PING"]), "+PONG\r\n");
    // The new form skips the caller unless told otherwise.
    let addr = addr.to_string();
    assert_eq!(killer.call(&["CLIENT", "KILL", "ADDR", &addr]), ":0\r\n");
    assert_eq!(
        killer.call(&["CLIENT", "KILL", "ADDR", &addr, "SKIPME", "no"]),
        ":1\r\n"
    );
    assert_eq!(killer.read_to_end(), b"");
}

#[test]
fn client_kill_errors() {
    let server = Server::start();
    let mut raw = server.raw();
    let cases: &[(&[&str], &str)] = &[
        (&["ID", "0"], "ERR client-id should be greater than 0"),
        (&["ID", "-3"], "ERR client-id should be greater than 0"),
        (&["ID", "x"], "ERR client-id should be greater than 0"),
        (&["USER", "bob"], "ERR No such user 'bob'"),
        (&["TYPE", "bogus"], "ERR Unknown client type 'bogus'"),
        (&["SKIPME", "maybe"], "ERR syntax error"),
        (&["NOSUCH", "x"], "ERR syntax error"),
        (&["ID", "5", "TYPE"], "ERR syntax error"),
        (&["ID"], "ERR No such client"),
    ];
    for (args, error) in cases {
        let mut request = vec!["CLIENT", "KILL"];
        request.extend(*args);
        assert_eq!(raw.call(&request), format!("-{error}\r\n"), "{args:?}");
    }
    assert_eq!(
        raw.call(&["CLIENT", "KILL"]),
        "-ERR wrong number of arguments for 'client|kill' command\r\n"
    );
    assert_eq!(raw.call(&["PING"]), "+PONG\r\n");
}
