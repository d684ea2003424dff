//! Sessions through the real `redis-cli`, as a user at a terminal would run them.

mod common;

use common::Server;

#[test]
fn a_session_through_redis_cli_stdin() {
    let server = Server::start();
    let session = "\
SET msg \"Hello World\"
GET msg
HSET user:1 name Ada
HGETALL user:1
SADD tags a
SMEMBERS tags
KEYS msg*
GET nokey
INCR msg
TYPE user:1
DBSIZE
DEL msg tags
EXISTS msg
";
    // --no-raw: the formatting of an interactive terminal, which shows each reply's type.
    let out = server.cli_stdin(&["--no-raw"], session);
    assert_eq!(
        out,
        "\
OK
\"Hello World\"
(integer) 1
1) \"name\"
2) \"Ada\"
(integer) 1
1) \"a\"
1) \"msg\"
(nil)
(error) ERR value is not an integer or out of range
hash
(integer) 3
(integer) 2
(integer) 0
"
    );
}

#[test]
fn single_commands_as_arguments() {
    let server = Server::start();
    assert_eq!(server.cli(&["SET", "greeting", "hi there"]), "OK\n");
    assert_eq!(server.cli(&["GET", "greeting"]), "hi there\n");
    assert_eq!(server.cli(&["HSET", "h", "f", "v", "g", "w"]), "2\n");
    let mut lines: Vec<String> = server
        .cli(&["HGETALL", "h"])
        .lines()
        .map(String::from)
        .collect();
    // Field, value, field, value: pair them up before sorting.
    let mut pairs: Vec<String> = lines.chunks(2).map(|p| p.join("=")).collect();
    pairs.sort();
    assert_eq!(pairs, ["f=v", "g=w"]);
    lines = server
        .cli(&["KEYS", "*"])
        .lines()
        .map(String::from)
        .collect();
    lines.sort();
    assert_eq!(lines, ["greeting", "h"]);
    assert_eq!(
        server.cli(&["GET"]),
        "ERR wrong number of arguments for 'get' command\n\n"
    );
}

#[test]
fn info_server_through_redis_cli() {
    let server = Server::start();
    let out = server.cli(&["INFO", "server"]);
    assert!(out.starts_with("# Server\r\n"), "{out}");
    assert!(out.contains("redis_version:7."), "{out}");
    assert!(
        out.contains(&format!("tcp_port:{}\r\n", server.port)),
        "{out}"
    );
}

#[test]
fn resp3_through_redis_cli() {
    let server = Server::start();
    server.cli(&["HSET", "h", "f", "v"]);
    // redis-cli -3 speaks RESP3 and prints maps as `key => value`.
    let out = server.cli_stdin(&["-3", "--no-raw"], "HGETALL h\nGET nokey\n");
    assert_eq!(out, "1# \"f\" => \"v\"\n(nil)\n");
}

#[test]
fn redis_cli_with_a_password() {
    let server = Server::start_with(&["--requirepass", "secret"]);
    assert_eq!(server.cli(&["PING"]), "NOAUTH Authentication required.\n\n");
    assert_eq!(
        server.cli(&["--no-auth-warning", "-a", "secret", "PING"]),
        "PONG\n"
    );
}

#[test]
fn a_value_with_newlines_and_binary_bytes_through_redis_cli() {
    let server = Server::start();
    server.cli_stdin(&[], "SET k \"line1\\nline2\\x00end\"\n");
    assert_eq!(
        server.cli(&["--no-raw", "GET", "k"]),
        "\"line1\\nline2\\x00end\"\n"
    );
    assert_eq!(server.cli(&["GETRANGE", "k", "0", "4"]), "line1\n");
}
