//! The wire protocol, over raw TCP: pipelining, inline commands, error replies, and requests
//! that are malformed or hostile.

mod common;

use std::time::Duration;

use common::{resp, Server};

#[test]
fn pipelined_commands_in_one_write_reply_in_order() {
    // Commands that touch the disk and commands that do not, interleaved: the replies still
    // come back in request order.
    let server = Server::start();
    let mut raw = server.raw();
    let mut batch = Vec::new();
    for i in 0..1000 {
        if i % 10 == 0 {
            batch.extend(resp(&["SET", &format!("k{i}"), &format!("v{i}")]));
            batch.extend(resp(&["GET", &format!("k{i}")]));
        }
        batch.extend(resp(&["ECHO", &i.to_string()]));
        batch.extend(resp(&["PING"]));
    }
    raw.send(&batch);
    for i in 0..1000 {
        if i % 10 == 0 {
            assert_eq!(raw.reply(), "+OK\r\n");
            let value = format!("v{i}");
            assert_eq!(raw.reply(), format!("${}\r\n{value}\r\n", value.len()));
        }
        let echo = i.to_string();
        assert_eq!(raw.reply(), format!("${}\r\n{echo}\r\n", echo.len()));
        assert_eq!(raw.reply(), "+PONG\r\n");
    }
}

#[test]
fn a_request_split_into_single_bytes_is_still_one_request() {
    let server = Server::start();
    let mut raw = server.raw();
    let request = [resp(&["SET", "key", "value"]), b"PING\r\n".to_vec()].concat();
    for byte in request {
        raw.send([byte]);
    }
    assert_eq!(raw.reply(), "+OK\r\n");
    assert_eq!(raw.reply(), "+PONG\r\n");
    assert_eq!(raw.call(&["GET", "key"]), "$5\r\nvalue\r\n");
}

#[test]
fn inline_commands() {
    let server = Server::start();
    let mut raw = server.raw();
    raw.send("PING\r\n");
    assert_eq!(raw.reply(), "+PONG\r\n");
    // A bare \n ends a line too, and blank lines are skipped.
    raw.send("\r\n\nPING\n");
    assert_eq!(raw.reply(), "+PONG\r\n");
    raw.send("SET a \"b c\"\r\nGET a\r\n");
    assert_eq!(raw.reply(), "+OK\r\n");
    assert_eq!(raw.reply(), "$3\r\nb c\r\n");
    raw.send("SET a 'single quoted'\r\nGET a\r\n");
    assert_eq!(raw.reply(), "+OK\r\n");
    assert_eq!(raw.reply(), "$13\r\nsingle quoted\r\n");
    // Escapes inside double quotes.
    raw.send("SET a \"x\\x41\\ny\"\r\nGET a\r\n");
    assert_eq!(raw.reply(), "+OK\r\n");
    assert_eq!(raw.reply(), "$4\r\nxA\ny\r\n");
    raw.send("  \t echo   spaced   \r\n");
    assert_eq!(raw.reply(), "$6\r\nspaced\r\n");
    // Inline and multibulk requests mix in one stream.
    raw.send(
        [
            b"PING\r\n".to_vec(),
            resp(&["ECHO", "x"]),
            b"PING\r\n".to_vec(),
        ]
        .concat(),
    );
    assert_eq!(raw.reply(), "+PONG\r\n");
    assert_eq!(raw.reply(), "$1\r\nx\r\n");
    assert_eq!(raw.reply(), "+PONG\r\n");
}

#[test]
fn inline_unbalanced_quotes_are_a_protocol_error() {
    let server = Server::start();
    for line in ["SET a \"b c\r\n", "SET a \"b\"c\r\n", "'unterminated\r\n"] {
        let mut raw = server.raw();
        raw.send(line);
        assert_eq!(
            raw.read_to_end(),
            b"-ERR Protocol error: unbalanced quotes in request\r\n"
        );
    }
}

#[test]
fn unknown_command_names_the_command_and_its_first_arguments() {
    let server = Server::start();
    let mut raw = server.raw();
    assert_eq!(
        raw.call(&["foo", "a", "b"]),
        "-ERR unknown command 'foo', with args beginning with: 'a' 'b' \r\n"
    );
    assert_eq!(
        raw.call(&["NOSUCH"]),
        "-ERR unknown command 'NOSUCH', with args beginning with: \r\n"
    );
    raw.send("foo a b\r\n");
    assert_eq!(
        raw.reply(),
        "-ERR unknown command 'foo', with args beginning with: 'a' 'b' \r\n"
    );
    // The connection goes on.
    assert_eq!(raw.call(&["PING"]), "+PONG\r\n");
}

#[test]
fn wrong_number_of_arguments_names_the_command_in_lower_case() {
    let server = Server::start();
    let mut raw = server.raw();
    assert_eq!(
        raw.call(&["get"]),
        "-ERR wrong number of arguments for 'get' command\r\n"
    );
    assert_eq!(
        raw.call(&["GET", "a", "b"]),
        "-ERR wrong number of arguments for 'get' command\r\n"
    );
    raw.send("GET\r\n");
    assert_eq!(
        raw.reply(),
        "-ERR wrong number of arguments for 'get' command\r\n"
    );
    assert_eq!(raw.call(&["PING"]), "+PONG\r\n");
}

/// Sends bytes that break the protocol; expects the error, then the close.
fn expect_protocol_error(server: &Server, bytes: &[u8], error: &str) {
    let mut raw = server.raw();
    raw.send(bytes);
    let got = raw.read_to_end();
    assert_eq!(
        String::from_utf8_lossy(&got),
        format!("-ERR Protocol error: {error}\r\n"),
        "after sending {:?}",
        String::from_utf8_lossy(&bytes[..bytes.len().min(40)])
    );
}

#[test]
fn protocol_errors_reply_then_close_the_connection() {
    let server = Server::start();
    for (bytes, error) in [
        (&b"*99999999999\r\n"[..], "invalid multibulk length"),
        (b"*abc\r\n", "invalid multibulk length"),
        (b"*2\r\n$-5\r\n", "invalid bulk length"),
        (b"*1\r\n$-1\r\n", "invalid bulk length"),
        (b"*1\r\n$abc\r\n", "invalid bulk length"),
        (
            b"*2\r\n$3\r\nGET\r\n$999999999999\r\n",
            "invalid bulk length",
        ),
        // One byte over proto-max-bulk-len (512 MB).
        (b"*2\r\n$3\r\nGET\r\n$536870913\r\n", "invalid bulk length"),
        (b"*1\r\nx4\r\nPING\r\n", "expected '$', got 'x'"),
        (b"*1\r\n*1\r\n", "expected '$', got '*'"),
    ] {
        expect_protocol_error(&server, bytes, error);
    }
}

#[test]
fn a_protocol_error_closes_only_that_connection() {
    let server = Server::start();
    let mut good = server.raw();
    assert_eq!(good.call(&["SET", "k", "v"]), "+OK\r\n");
    expect_protocol_error(&server, b"*1\r\n$-5\r\n", "invalid bulk length");
    assert_eq!(good.call(&["GET", "k"]), "$1\r\nv\r\n");
    // Requests before the bad one in the same write are answered.
    let mut raw = server.raw();
    raw.send([resp(&["PING"]), b"*1\r\n$x\r\n".to_vec()].concat());
    assert_eq!(
        raw.read_to_end(),
        b"+PONG\r\n-ERR Protocol error: invalid bulk length\r\n"
    );
    assert_eq!(good.call(&["PING"]), "+PONG\r\n");
}

#[test]
fn a_multibulk_count_of_zero_or_less_is_skipped() {
    let server = Server::start();
    let mut raw = server.raw();
    raw.send("*0\r\n*-1\r\nPING\r\n");
    assert_eq!(raw.reply(), "+PONG\r\n");
}

#[test]
fn garbage_bytes_do_not_break_the_server() {
    let server = Server::start();
    // Lines that are not RESP are inline commands, unknown ones.
    let mut raw = server.raw();
    raw.send(b"$3\r\nabc\r\n");
    assert_eq!(
        raw.reply(),
        "-ERR unknown command '$3', with args beginning with: \r\n"
    );
    assert_eq!(
        raw.reply(),
        "-ERR unknown command 'abc', with args beginning with: \r\n"
    );
    assert_eq!(raw.call(&["PING"]), "+PONG\r\n");
    // NUL bytes, random bytes, a connection dropped in the middle of a request: each on its
    // own connection, and the server still serves the next one.
    let mut random = Vec::new();
    let mut x: u32 = 7;
    for _ in 0..100_000 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        random.push((x >> 16) as u8);
    }
    for junk in [
        b"\x00\x01\x02garbage\r\n".to_vec(),
        random,
        b"*3\r\n$3\r\nSET\r\n$1\r\n".to_vec(),
    ] {
        let mut raw = server.raw();
        raw.send(&junk);
        drop(raw);
        assert_eq!(server.raw().call(&["PING"]), "+PONG\r\n");
    }
}

#[test]
fn an_inline_request_without_newline_longer_than_64k_is_refused() {
    let server = Server::start();
    let mut raw = server.raw();
    raw.send(vec![b'a'; 70 * 1024]);
    assert_eq!(
        raw.read_to_end(),
        b"-ERR Protocol error: too big inline request\r\n"
    );
}

#[test]
fn deeply_nested_multibulk_does_not_crash_the_server() {
    let server = Server::start();
    let mut raw = server.raw();
    raw.send(b"*1\r\n".repeat(100_000));
    let reply = raw.read_to_end();
    assert_eq!(
        String::from_utf8_lossy(&reply),
        "-ERR Protocol error: expected '$', got '*'\r\n"
    );
    assert_eq!(server.raw().call(&["PING"]), "+PONG\r\n");
}

#[test]
fn a_huge_announced_bulk_that_never_comes_does_not_block_others() {
    let server = Server::start();
    let mut slow = server.raw();
    // 100 MB announced, a few bytes sent.
    slow.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100000000\r\nabc");
    let mut other = server.raw();
    assert_eq!(other.call(&["SET", "x", "1"]), "+OK\r\n");
    assert_eq!(other.call(&["GET", "x"]), "$1\r\n1\r\n");
    drop(slow);
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(other.call(&["EXISTS", "k"]), ":0\r\n");
}

#[test]
fn a_large_multibulk_of_many_small_arguments() {
    let server = Server::start();
    let mut raw = server.raw();
    let mut args = vec!["COMMAND".to_string(), "GETKEYS".into(), "DEL".into()];
    args.extend((0..100_000).map(|i| format!("key:{i}")));
    raw.send(resp(&args));
    let reply = raw.reply();
    assert!(reply.starts_with("*100000\r\n$5\r\nkey:0\r\n"));
    assert!(reply.ends_with("$9\r\nkey:99999\r\n"));
    assert_eq!(raw.call(&["PING"]), "+PONG\r\n");
}

#[test]
fn unauthenticated_clients_get_small_request_limits() {
    let server = Server::start_with(&["--requirepass", "pw"]);
    expect_protocol_error(&server, b"*20\r\n", "unauthenticated multibulk length");
    expect_protocol_error(
        &server,
        b"*2\r\n$3\r\nGET\r\n$20000\r\n",
        "unauthenticated bulk length",
    );
    // After AUTH the limits are the usual ones.
    let mut raw = server.raw();
    assert_eq!(raw.call(&["AUTH", "pw"]), "+OK\r\n");
    let value = "x".repeat(20_000);
    assert_eq!(raw.call(&["SET", "k", &value]), "+OK\r\n");
}

#[test]
fn binary_values_with_crlf_inside_a_bulk() {
    let server = Server::start();
    let mut raw = server.raw();
    let value: &[u8] = b"a\r\nb\r\n\x00\xff";
    assert_eq!(raw.call(&[&b"SET"[..], b"k", value]), "+OK\r\n");
    raw.send(resp(&["GET", "k"]));
    assert_eq!(raw.reply_bytes(), [b"$8\r\n", value, b"\r\n"].concat());
}

#[test]
fn unknown_command_text_is_truncated_to_128_bytes() {
    let server = Server::start();
    let mut raw = server.raw();
    let name = "x".repeat(200);
    let arg = "a".repeat(50);
    let reply = raw.call(&[&name[..], &arg, &arg, &arg, &arg, &arg]);
    assert_eq!(
        reply,
        format!(
            "-ERR unknown command '{}', with args beginning with: '{arg}' '{arg}' '{}' \r\n",
            &name[..128],
            &arg[..22]
        )
    );
    assert_eq!(
        raw.call(&["CLIENT", &name]),
        format!(
            "-ERR unknown subcommand '{}'. Try CLIENT HELP.\r\n",
            &name[..128]
        )
    );
}

#[test]
fn big_arguments_in_a_pipeline_with_errors_leave_no_temp_files() {
    // Arguments of 1 MiB and more are spilled to temp files as they arrive; whatever becomes
    // of the command (stored, refused, an error), no temp file stays behind.
    let server = Server::start();
    let mut raw = server.raw();
    let big: Vec<u8> = (0..2 << 20).map(|i: u32| (i % 256) as u8).collect();
    let big_key = vec![b'K'; 1 << 20];
    let requests: Vec<Vec<u8>> = vec![
        resp(&[&b"SET"[..], b"k", b"v"]),
        resp(&[&b"SET"[..], b"k", &big, b"NX"]),
        resp(&[&b"SET"[..], b"k", &big, b"FOO"]),
        resp(&[&b"HSET"[..], b"h", b"f", &big]),
        resp(&[&b"SET"[..], b"h", &big, b"GET"]),
        resp(&[&b"SET"[..], &big_key, b"v"]),
        resp(&[&b"GET"[..], &big_key]),
        resp(&[&b"SADD"[..], b"s", &big]),
        resp(&[&b"SISMEMBER"[..], b"s", &big]),
        resp(&[&b"INCR"[..], b"h"]),
        resp(&[&b"HGET"[..], b"h", b"f"]),
        resp(&[&b"PING"[..]]),
    ];
    raw.send(requests.concat());
    for expected in [
        &b"+OK\r\n"[..],
        b"$-1\r\n",
        b"-ERR syntax error\r\n",
        b":1\r\n",
        b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
        b"+OK\r\n",
        b"$1\r\nv\r\n",
        b":1\r\n",
        b":1\r\n",
        b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
    ] {
        assert_eq!(
            String::from_utf8_lossy(&raw.reply_bytes()),
            String::from_utf8_lossy(expected)
        );
    }
    let field = raw.reply_bytes();
    assert!(field == [format!("${}\r\n", big.len()).as_bytes(), &big, b"\r\n"].concat());
    assert_eq!(raw.reply(), "+PONG\r\n");
    // A connection dropped in the middle of a big argument.
    let mut dropped = server.raw();
    dropped.send(format!("*2\r\n$4\r\nECHO\r\n${}\r\n", 3 << 20));
    dropped.send(&big[..1 << 20]);
    drop(dropped);
    assert_eq!(raw.call(&["GET", "k"]), "$1\r\nv\r\n");
    // Give the server a moment to notice the closed connection.
    let tmp = server.dir().join("tmp");
    for _ in 0..100 {
        if std::fs::read_dir(&tmp).unwrap().count() == 0 {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let left: Vec<_> = std::fs::read_dir(&tmp).unwrap().collect();
    panic!("temp files left in {}: {left:?}", tmp.display());
}
