//! Pub/Sub: SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE and their UNSUBSCRIBEs, PUBLISH, SPUBLISH, PUBSUB.

mod common;

use std::io::Read;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{query, Raw, Server};

fn skip_in_reference(why: &str) -> bool {
    let reference = std::env::var_os("DREDIS_TEST_REFERENCE").is_some_and(|v| v != "0");
    if reference {
        eprintln!("skipped against the reference redis-server: {why}");
    }
    reference
}

fn bulk(text: &str) -> String {
    format!("${}\r\n{text}\r\n", text.len())
}

/// An aggregate: `*` (RESP2 array) or `>` (RESP3 push) and its encoded items.
fn frame(kind: char, items: &[String]) -> String {
    format!("{kind}{}\r\n{}", items.len(), items.concat())
}

fn confirmation(word: &str, name: &str, count: i64) -> String {
    frame('*', &[bulk(word), bulk(name), format!(":{count}\r\n")])
}

fn message(channel: &str, payload: &str) -> String {
    frame('*', &[bulk("message"), bulk(channel), bulk(payload)])
}

fn pmessage(pattern: &str, channel: &str, payload: &str) -> String {
    frame(
        '*',
        &[
            bulk("pmessage"),
            bulk(pattern),
            bulk(channel),
            bulk(payload),
        ],
    )
}

/// Sends a (P|S)SUBSCRIBE and checks one confirmation per name, counting from `count`.
fn subscribe(raw: &mut Raw, command: &str, names: &[&str], mut count: i64) {
    let mut request = vec![command];
    request.extend(names);
    raw.send(common::resp(&request));
    let word = command.to_ascii_lowercase();
    for name in names {
        count += 1;
        assert_eq!(raw.reply(), confirmation(&word, name, count));
    }
}

#[test]
fn subscribers_receive_what_is_published_and_publish_counts_them() {
    let server = Server::start();
    let (mut one, mut two, mut publisher) = (server.raw(), server.raw(), server.raw());
    subscribe(&mut one, "SUBSCRIBE", &["a", "b"], 0);
    subscribe(&mut two, "SUBSCRIBE", &["a"], 0);
    // Subscribing twice to a channel is subscribing once.
    subscribe(&mut two, "SUBSCRIBE", &["a"], 0);
    assert_eq!(publisher.call(&["PUBLISH", "a", "hello"]), ":2\r\n");
    assert_eq!(publisher.call(&["PUBLISH", "b", "bin\0\r\n"]), ":1\r\n");
    assert_eq!(publisher.call(&["PUBLISH", "c", "nobody"]), ":0\r\n");
    assert_eq!(one.reply(), message("a", "hello"));
    assert_eq!(one.reply(), message("b", "bin\0\r\n"));
    assert_eq!(two.reply(), message("a", "hello"));
    assert_eq!(
        publisher.call(&["PUBLISH", "a"]),
        "-ERR wrong number of arguments for 'publish' command\r\n"
    );
}

#[test]
fn patterns_match_channels_as_globs() {
    let server = Server::start();
    let (mut patterns, mut both, mut publisher) = (server.raw(), server.raw(), server.raw());
    subscribe(&mut patterns, "PSUBSCRIBE", &["news.*", "h[ae]llo"], 0);
    subscribe(&mut both, "SUBSCRIBE", &["news.tech"], 0);
    subscribe(&mut both, "PSUBSCRIBE", &["news.*"], 1);
    // A client with the channel and a matching pattern receives the message twice.
    assert_eq!(publisher.call(&["PUBLISH", "news.tech", "m1"]), ":3\r\n");
    assert_eq!(publisher.call(&["PUBLISH", "hallo", "m2"]), ":1\r\n");
    assert_eq!(publisher.call(&["PUBLISH", "hillo", "m3"]), ":0\r\n");
    assert_eq!(patterns.reply(), pmessage("news.*", "news.tech", "m1"));
    assert_eq!(patterns.reply(), pmessage("h[ae]llo", "hallo", "m2"));
    assert_eq!(both.reply(), message("news.tech", "m1"));
    assert_eq!(both.reply(), pmessage("news.*", "news.tech", "m1"));
    // Two clients on one pattern: NUMPAT counts distinct patterns.
    assert_eq!(publisher.call(&["PUBSUB", "NUMPAT"]), ":2\r\n");
    patterns.send(common::resp(&["PUNSUBSCRIBE", "h[ae]llo"]));
    assert_eq!(
        patterns.reply(),
        confirmation("punsubscribe", "h[ae]llo", 1)
    );
    assert_eq!(publisher.call(&["PUBLISH", "hallo", "m4"]), ":0\r\n");
}

#[test]
fn unsubscribe_without_names_leaves_every_channel() {
    let server = Server::start();
    let mut raw = server.raw();
    subscribe(&mut raw, "SUBSCRIBE", &["a", "b", "c"], 0);
    subscribe(&mut raw, "PSUBSCRIBE", &["p*"], 3);
    // Leaving a channel not subscribed to still answers, with the count unchanged.
    raw.send(common::resp(&["UNSUBSCRIBE", "zzz"]));
    assert_eq!(raw.reply(), confirmation("unsubscribe", "zzz", 4));
    raw.send(common::resp(&["UNSUBSCRIBE"]));
    // In no particular order, as Redis, the count going down.
    let mut left: Vec<&str> = (0..3)
        .map(|i| {
            let reply = raw.reply();
            ["a", "b", "c"]
                .into_iter()
                .find(|name| reply == confirmation("unsubscribe", name, 3 - i))
                .unwrap_or_else(|| panic!("unexpected {reply:?}"))
        })
        .collect();
    left.sort();
    assert_eq!(left, ["a", "b", "c"]);
    // With nothing left to leave: one confirmation with a nil name.
    raw.send(common::resp(&["UNSUBSCRIBE"]));
    assert_eq!(
        raw.reply(),
        frame(
            '*',
            &[bulk("unsubscribe"), "$-1\r\n".into(), ":1\r\n".into()]
        )
    );
    raw.send(common::resp(&["PUNSUBSCRIBE"]));
    assert_eq!(raw.reply(), confirmation("punsubscribe", "p*", 0));
    // Subscribed to nothing: back to ordinary commands.
    assert_eq!(raw.call(&["GET", "k"]), "$-1\r\n");
}

#[test]
fn pubsub_introspection() {
    let server = Server::start();
    let (mut one, mut two, mut asker) = (server.raw(), server.raw(), server.raw());
    subscribe(&mut one, "SUBSCRIBE", &["news", "sport"], 0);
    subscribe(&mut two, "SUBSCRIBE", &["news"], 0);
    subscribe(&mut two, "PSUBSCRIBE", &["n*"], 1);
    subscribe(&mut two, "SSUBSCRIBE", &["shard1"], 0);
    let mut channels = asker.call(&["PUBSUB", "CHANNELS"]);
    assert!(channels.starts_with("*2\r\n"), "{channels}");
    channels = channels.replace("*2\r\n", "");
    assert!(channels == bulk("news") + &bulk("sport") || channels == bulk("sport") + &bulk("news"));
    assert_eq!(
        asker.call(&["PUBSUB", "CHANNELS", "n*"]),
        frame('*', &[bulk("news")])
    );
    assert_eq!(
        asker.call(&["PUBSUB", "NUMSUB", "news", "sport", "none"]),
        frame(
            '*',
            &[
                bulk("news"),
                ":2\r\n".into(),
                bulk("sport"),
                ":1\r\n".into(),
                bulk("none"),
                ":0\r\n".into()
            ]
        )
    );
    assert_eq!(asker.call(&["PUBSUB", "NUMSUB"]), "*0\r\n");
    assert_eq!(asker.call(&["PUBSUB", "NUMPAT"]), ":1\r\n");
    assert_eq!(
        asker.call(&["PUBSUB", "SHARDCHANNELS"]),
        frame('*', &[bulk("shard1")])
    );
    assert_eq!(asker.call(&["PUBSUB", "SHARDCHANNELS", "x*"]), "*0\r\n");
    assert_eq!(
        asker.call(&["PUBSUB", "SHARDNUMSUB", "shard1"]),
        frame('*', &[bulk("shard1"), ":1\r\n".into()])
    );
    assert_eq!(
        asker.call(&["PUBSUB", "CHANNELS", "a", "b"]),
        "-ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP.\r\n"
    );
    assert_eq!(
        asker.call(&["PUBSUB", "NUMPAT", "x"]),
        "-ERR wrong number of arguments for 'pubsub|numpat' command\r\n"
    );
    assert_eq!(
        asker.call(&["PUBSUB", "NOSUCH"]),
        "-ERR unknown subcommand 'NOSUCH'. Try PUBSUB HELP.\r\n"
    );
    assert!(asker
        .call(&["PUBSUB", "HELP"])
        .contains("+NUMSUB [<channel> ...]\r\n"));
    // A client that disconnects leaves its channels.
    drop(two);
    let deadline = Instant::now() + Duration::from_secs(10);
    while asker.call(&["PUBSUB", "NUMPAT"]) != ":0\r\n" {
        assert!(Instant::now() < deadline, "the subscriptions stayed");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(
        asker.call(&["PUBSUB", "NUMSUB", "news"]),
        frame('*', &[bulk("news"), ":1\r\n".into()])
    );
    assert_eq!(asker.call(&["PUBSUB", "SHARDCHANNELS"]), "*0\r\n");
}

#[test]
fn shard_channels_are_their_own_namespace() {
    let server = Server::start();
    let (mut sub, mut publisher) = (server.raw(), server.raw());
    subscribe(&mut sub, "SUBSCRIBE", &["ch"], 0);
    // The shard count is separate from the channel count.
    subscribe(&mut sub, "SSUBSCRIBE", &["ch", "other"], 0);
    assert_eq!(publisher.call(&["SPUBLISH", "ch", "sharded"]), ":1\r\n");
    assert_eq!(publisher.call(&["PUBLISH", "ch", "plain"]), ":1\r\n");
    assert_eq!(
        sub.reply(),
        frame('*', &[bulk("smessage"), bulk("ch"), bulk("sharded")])
    );
    assert_eq!(sub.reply(), message("ch", "plain"));
    sub.send(common::resp(&["SUNSUBSCRIBE", "ch"]));
    assert_eq!(sub.reply(), confirmation("sunsubscribe", "ch", 1));
    assert_eq!(publisher.call(&["SPUBLISH", "ch", "again"]), ":0\r\n");
}

#[test]
fn resp2_subscribers_may_only_run_pubsub_commands() {
    let server = Server::start();
    let mut raw = server.raw();
    subscribe(&mut raw, "SUBSCRIBE", &["a"], 0);
    for (command, name) in [
        (&["GET", "k"][..], "get"),
        (&["CLIENT", "ID"][..], "client|id"),
        (&["MULTI"][..], "multi"),
    ] {
        assert_eq!(
            raw.call(command),
            format!("-ERR Can't execute '{name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n")
        );
    }
    // PING answers in the shape of a message.
    assert_eq!(raw.call(&["PING"]), frame('*', &[bulk("pong"), bulk("")]));
    assert_eq!(
        raw.call(&["PING", "hi"]),
        frame('*', &[bulk("pong"), bulk("hi")])
    );
    // Leaving patterns one was not subscribed to keeps the channel subscription.
    raw.send(common::resp(&["PUNSUBSCRIBE"]));
    assert_eq!(
        raw.reply(),
        frame(
            '*',
            &[bulk("punsubscribe"), "$-1\r\n".into(), ":1\r\n".into()]
        )
    );
    assert!(raw.call(&["GET", "k"]).starts_with("-ERR Can't execute"));
    assert_eq!(raw.call(&["QUIT"]), "+OK\r\n");
    assert_eq!(raw.read_to_end(), b"");
}

#[test]
fn resp3_subscribers_get_push_frames_and_run_anything() {
    let server = Server::start();
    let (mut sub, mut publisher) = (server.raw(), server.raw());
    sub.call(&["HELLO", "3"]);
    sub.send(common::resp(&["SUBSCRIBE", "a"]));
    assert_eq!(
        sub.reply(),
        frame('>', &[bulk("subscribe"), bulk("a"), ":1\r\n".into()])
    );
    assert_eq!(sub.call(&["SET", "k", "v"]), "+OK\r\n");
    assert_eq!(sub.call(&["GET", "k"]), "$1\r\nv\r\n");
    assert_eq!(sub.call(&["PING"]), "+PONG\r\n");
    assert_eq!(publisher.call(&["PUBLISH", "a", "pushed"]), ":1\r\n");
    assert_eq!(
        sub.reply(),
        frame('>', &[bulk("message"), bulk("a"), bulk("pushed")])
    );
    sub.send(common::resp(&["UNSUBSCRIBE"]));
    assert_eq!(
        sub.reply(),
        frame('>', &[bulk("unsubscribe"), bulk("a"), ":0\r\n".into()])
    );
    sub.send(common::resp(&["UNSUBSCRIBE"]));
    assert_eq!(
        sub.reply(),
        frame('>', &[bulk("unsubscribe"), "_\r\n".into(), ":0\r\n".into()])
    );
}

#[test]
fn a_message_to_oneself_follows_the_reply_of_publish() {
    if skip_in_reference("Redis 7.2 behaviour (the reference server is 7.0)") {
        return;
    }
    let server = Server::start();
    let mut raw = server.raw();
    raw.call(&["HELLO", "3"]);
    raw.send(common::resp(&["SUBSCRIBE", "me"]));
    raw.reply();
    assert_eq!(raw.call(&["PUBLISH", "me", "hi"]), ":1\r\n");
    assert_eq!(
        raw.reply(),
        frame('>', &[bulk("message"), bulk("me"), bulk("hi")])
    );
    // Inside a transaction, after the whole EXEC reply.
    assert_eq!(raw.call(&["MULTI"]), "+OK\r\n");
    assert_eq!(raw.call(&["PUBLISH", "me", "tx"]), "+QUEUED\r\n");
    assert_eq!(raw.call(&["EXEC"]), "*1\r\n:1\r\n");
    assert_eq!(
        raw.reply(),
        frame('>', &[bulk("message"), bulk("me"), bulk("tx")])
    );
}

#[test]
fn a_subscriber_that_never_reads_is_disconnected_and_publish_stays_fast() {
    let server = Server::start();
    let limit: String = query(
        &mut server.con(),
        &[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "pubsub 1mb 0 0",
        ],
    );
    assert_eq!(limit, "OK");
    // A small receive window, so that the server's writes stall early.
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    socket.connect(&server.addr().into()).unwrap();
    let stream: TcpStream = socket.into();
    let mut sleeper = Raw::from_stream(stream.try_clone().unwrap());
    subscribe(&mut sleeper, "SUBSCRIBE", &["firehose"], 0);
    let mut publisher = server.raw();
    let payload = "x".repeat(64 * 1024);
    let mut slowest = Duration::ZERO;
    let started = Instant::now();
    // 16 MiB: more than the socket buffers and the limit together.
    for _ in 0..256 {
        let sent = Instant::now();
        assert!(publisher
            .call(&["PUBLISH", "firehose", &payload])
            .starts_with(':'));
        slowest = slowest.max(sent.elapsed());
    }
    // PUBLISH never waits for a subscriber to read.
    assert!(
        slowest < Duration::from_secs(2),
        "a PUBLISH took {slowest:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(15));
    // The subscriber was disconnected: reading gets what was sent before, then the end.
    let mut rest = Vec::new();
    let mut stream = stream;
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    match stream.read_to_end(&mut rest) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        Err(e) => panic!("the subscriber stayed connected: {e}"),
    }
    assert!(rest.len() < 16 << 20);
    assert_eq!(
        publisher.call(&["PUBSUB", "NUMSUB", "firehose"]),
        frame('*', &[bulk("firehose"), ":0\r\n".into()])
    );
    assert!(server.log().contains("output buffer limits"));
}
