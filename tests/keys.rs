//! Generic key commands: DEL, EXISTS, TYPE, KEYS (with Redis's glob patterns).

mod common;

use common::{query, query_err, Server};

/// KEYS, sorted (Redis lists keys in no particular order).
fn keys(con: &mut redis::Connection, pattern: &str) -> Vec<String> {
    let mut found: Vec<String> = query(con, &["KEYS", pattern]);
    found.sort();
    found
}

fn set_all(con: &mut redis::Connection, names: &[&str]) {
    for name in names {
        query::<()>(con, &["SET", name, "1"]);
    }
}

#[test]
fn del_returns_the_number_of_keys_removed() {
    let server = Server::start();
    let mut con = server.con();
    set_all(&mut con, &["a", "b"]);
    assert_eq!(query::<i64>(&mut con, &["DEL", "a", "b", "nosuchkey"]), 2);
    assert_eq!(query::<i64>(&mut con, &["DEL", "a"]), 0);
    assert_eq!(query::<i64>(&mut con, &["EXISTS", "a", "b"]), 0);
}

#[test]
fn del_of_a_key_named_twice_counts_it_once() {
    let server = Server::start();
    let mut con = server.con();
    set_all(&mut con, &["a"]);
    assert_eq!(query::<i64>(&mut con, &["DEL", "a", "a"]), 1);
}

#[test]
fn del_removes_keys_of_every_type() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SET", "s", "v"]);
    query::<()>(&mut con, &["HSET", "h", "f", "v", "g", "w"]);
    query::<()>(&mut con, &["SADD", "set", "a", "b"]);
    assert_eq!(query::<i64>(&mut con, &["DEL", "s", "h", "set"]), 3);
    assert_eq!(query::<i64>(&mut con, &["DBSIZE"]), 0);
    // A deleted hash starts afresh.
    assert_eq!(query::<i64>(&mut con, &["HSET", "h", "x", "1"]), 1);
    assert_eq!(query::<i64>(&mut con, &["HLEN", "h"]), 1);
}

#[test]
fn exists_counts_a_key_named_twice_twice() {
    let server = Server::start();
    let mut con = server.con();
    set_all(&mut con, &["a", "b"]);
    assert_eq!(query::<i64>(&mut con, &["EXISTS", "a"]), 1);
    assert_eq!(query::<i64>(&mut con, &["EXISTS", "nosuchkey"]), 0);
    assert_eq!(
        query::<i64>(&mut con, &["EXISTS", "a", "a", "a", "b", "c"]),
        4
    );
}

#[test]
fn type_names_each_kind_of_value() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SET", "s", "v"]);
    query::<()>(&mut con, &["HSET", "h", "f", "v"]);
    query::<()>(&mut con, &["SADD", "set", "m"]);
    assert_eq!(query::<String>(&mut con, &["TYPE", "s"]), "string");
    assert_eq!(query::<String>(&mut con, &["TYPE", "h"]), "hash");
    assert_eq!(query::<String>(&mut con, &["TYPE", "set"]), "set");
    assert_eq!(query::<String>(&mut con, &["TYPE", "nosuchkey"]), "none");
    // TYPE answers with a status reply, not a bulk string.
    assert_eq!(
        query::<redis::Value>(&mut con, &["TYPE", "s"]),
        redis::Value::SimpleString("string".into())
    );
}

#[test]
fn arity_errors() {
    let server = Server::start();
    let mut con = server.con();
    for (args, name) in [
        (&["DEL"][..], "del"),
        (&["EXISTS"], "exists"),
        (&["TYPE"], "type"),
        (&["TYPE", "a", "b"], "type"),
        (&["KEYS"], "keys"),
        (&["KEYS", "a", "b"], "keys"),
    ] {
        assert_eq!(
            query_err(&mut con, args),
            format!("ERR wrong number of arguments for '{name}' command")
        );
    }
}

const NAMES: &[&str] = &[
    "a", "b", "c", "d", "ab", "abc", "ba", "a*", "a?", "a/b", "a/b/c", "x[y", "a\\b", "user:1",
    "user:22",
];

#[test]
fn keys_star_lists_every_key() {
    let server = Server::start();
    let mut con = server.con();
    assert!(keys(&mut con, "*").is_empty());
    set_all(&mut con, NAMES);
    let mut all: Vec<String> = NAMES.iter().map(|s| s.to_string()).collect();
    all.sort();
    assert_eq!(keys(&mut con, "*"), all);
}

#[test]
fn keys_with_glob_patterns() {
    let server = Server::start();
    let mut con = server.con();
    set_all(&mut con, NAMES);
    for (pattern, want) in [
        // ? is exactly one byte.
        ("?", &["a", "b", "c", "d"][..]),
        ("a?", &["a*", "a?", "ab"]),
        ("user:??", &["user:22"]),
        // A range, a negated range, a reversed range.
        ("[a-c]", &["a", "b", "c"]),
        ("[c-a]", &["a", "b", "c"]),
        ("[^a]", &["b", "c", "d"]),
        ("[abd]", &["a", "b", "d"]),
        // `!` does not negate in Redis: [!a] is '!' or 'a'.
        ("[!a]", &["a"]),
        // Backslash escapes a special character.
        ("a\\*", &["a*"]),
        ("a\\?", &["a?"]),
        ("x\\[y", &["x[y"]),
        ("*\\\\*", &["a\\b"]),
        // * crosses '/': it is not a path glob.
        (
            "a*",
            &["a", "a*", "a/b", "a/b/c", "a?", "a\\b", "ab", "abc"],
        ),
        ("*c", &["a/b/c", "abc", "c"]),
        ("a/*", &["a/b", "a/b/c"]),
        ("*/*/*", &["a/b/c"]),
        ("user:*", &["user:1", "user:22"]),
        // An exact name, and names that match nothing.
        ("abc", &["abc"]),
        ("nosuchkey", &[]),
        ("", &[]),
        // An unclosed bracket does not match the bracket itself.
        ("x[y", &[]),
    ] {
        assert_eq!(keys(&mut con, pattern), want, "KEYS {pattern:?}");
    }
}

#[test]
fn keys_does_not_list_expired_keys() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SET", "short", "v", "PX", "50"]);
    query::<()>(&mut con, &["SET", "long", "v", "EX", "100"]);
    std::thread::sleep(std::time::Duration::from_millis(150));
    assert_eq!(keys(&mut con, "*"), ["long"]);
    assert_eq!(query::<i64>(&mut con, &["EXISTS", "short", "long"]), 1);
}

#[test]
fn keys_lists_only_the_selected_database() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SET", "in0", "v"]);
    query::<()>(&mut con, &["SELECT", "1"]);
    query::<()>(&mut con, &["SET", "in1", "v"]);
    assert_eq!(keys(&mut con, "*"), ["in1"]);
    query::<()>(&mut con, &["SELECT", "0"]);
    assert_eq!(keys(&mut con, "*"), ["in0"]);
}

// ---- UNLINK, TOUCH ----

#[test]
fn unlink_and_touch_count_existing_keys() {
    let server = Server::start();
    let mut con = server.con();
    set_all(&mut con, &["a", "b"]);
    query::<()>(&mut con, &["HSET", "h", "f", "v"]);
    assert_eq!(
        query::<i64>(&mut con, &["TOUCH", "a", "a", "h", "nosuchkey"]),
        3
    );
    assert_eq!(
        query::<i64>(&mut con, &["UNLINK", "a", "h", "nosuchkey"]),
        2
    );
    assert_eq!(keys(&mut con, "*"), ["b"]);
    for (args, name) in [(&["UNLINK"][..], "unlink"), (&["TOUCH"], "touch")] {
        assert_eq!(
            query_err(&mut con, args),
            format!("ERR wrong number of arguments for '{name}' command")
        );
    }
}

// ---- SCAN ----

/// SCAN to the end, with the given options; every key returned, in the order returned.
fn scan_all(con: &mut redis::Connection, options: &[&str]) -> Vec<String> {
    let mut cursor = "0".to_string();
    let mut found = Vec::new();
    loop {
        let mut words = vec!["SCAN", &cursor];
        words.extend_from_slice(options);
        let (next, keys): (String, Vec<String>) = query(con, &words);
        found.extend(keys);
        if next == "0" {
            return found;
        }
        cursor = next;
    }
}

fn sorted(mut names: Vec<String>) -> Vec<String> {
    names.sort();
    names
}

/// Creates keys `prefix0` .. in one pipeline.
fn set_many(con: &mut redis::Connection, prefix: &str, range: std::ops::Range<usize>) {
    let mut pipe = redis::pipe();
    for i in range {
        pipe.cmd("SET").arg(format!("{prefix}{i}")).arg(i).ignore();
    }
    pipe.query::<()>(con).unwrap();
}

#[test]
fn scan_of_a_small_database_returns_everything_at_once() {
    let server = Server::start();
    let mut con = server.con();
    let (cursor, keys): (String, Vec<String>) = query(&mut con, &["SCAN", "0"]);
    assert_eq!((cursor.as_str(), keys.len()), ("0", 0));
    set_all(&mut con, &["a", "b", "c"]);
    let (cursor, keys): (String, Vec<String>) = query(&mut con, &["SCAN", "0"]);
    assert_eq!(cursor, "0");
    assert_eq!(sorted(keys), ["a", "b", "c"]);
}

#[test]
fn scan_returns_each_of_5000_keys_exactly_once() {
    let server = Server::start();
    let mut con = server.con();
    set_many(&mut con, "key:", 0..5000);
    let want: Vec<String> = sorted((0..5000).map(|i| format!("key:{i}")).collect());
    for count in ["10", "1000"] {
        let found = scan_all(&mut con, &["COUNT", count]);
        assert_eq!(found.len(), 5000, "COUNT {count}");
        assert_eq!(sorted(found), want, "COUNT {count}");
    }
}

#[test]
fn scan_returns_every_key_present_for_the_whole_scan_while_others_come_and_go() {
    let server = Server::start();
    let mut con = server.con();
    set_many(&mut con, "stable:", 0..600);
    set_many(&mut con, "doomed:", 0..600);
    let mut cursor = "0".to_string();
    let mut found = Vec::new();
    let mut round = 0;
    loop {
        let (next, keys): (String, Vec<String>) =
            query(&mut con, &["SCAN", &cursor, "COUNT", "25"]);
        found.extend(keys);
        // Between calls: new keys arrive, and some of the doomed ones go.
        set_many(&mut con, &format!("new{round}:"), 0..10);
        for i in (round * 10..round * 10 + 10).filter(|i| *i < 600) {
            query::<()>(&mut con, &["DEL", &format!("doomed:{i}")]);
        }
        round += 1;
        if next == "0" {
            break;
        }
        cursor = next;
    }
    let mut seen = std::collections::HashSet::new();
    for key in &found {
        assert!(seen.insert(key.clone()), "{key} returned twice");
    }
    for i in 0..600 {
        assert!(seen.contains(&format!("stable:{i}")), "stable:{i} missing");
    }
}

#[test]
fn scan_match_and_type_filter_the_keys() {
    let server = Server::start();
    let mut con = server.con();
    set_all(&mut con, &["user:1", "user:2", "item:1"]);
    query::<()>(&mut con, &["HSET", "user:h", "f", "v"]);
    query::<()>(&mut con, &["SADD", "user:s", "m"]);
    query::<()>(&mut con, &["ZADD", "item:z", "1", "m"]);
    let all = |con: &mut redis::Connection, options: &[&str]| sorted(scan_all(con, options));
    assert_eq!(
        all(&mut con, &["MATCH", "user:*"]),
        ["user:1", "user:2", "user:h", "user:s"]
    );
    assert_eq!(
        all(&mut con, &["MATCH", "*:1", "COUNT", "1"]),
        ["item:1", "user:1"]
    );
    assert_eq!(
        all(&mut con, &["TYPE", "string"]),
        ["item:1", "user:1", "user:2"]
    );
    assert_eq!(all(&mut con, &["TYPE", "HASH"]), ["user:h"]);
    assert_eq!(all(&mut con, &["type", "set"]), ["user:s"]);
    assert_eq!(
        all(&mut con, &["TYPE", "zset", "MATCH", "item*"]),
        ["item:z"]
    );
    assert_eq!(
        all(&mut con, &["TYPE", "zset", "MATCH", "user*"]),
        Vec::<String>::new()
    );
    // An unknown type matches nothing (Redis 7.2 does not reject it).
    assert_eq!(all(&mut con, &["TYPE", "nosuchtype"]), Vec::<String>::new());
    assert_eq!(all(&mut con, &["MATCH", "*"]).len(), 6);
    // The last option of a kind wins.
    assert_eq!(
        all(&mut con, &["MATCH", "nothing", "MATCH", "item:?"]),
        ["item:1", "item:z"]
    );
}

#[test]
fn scan_errors() {
    let server = Server::start();
    let mut con = server.con();
    set_all(&mut con, &["a"]);
    for (args, error) in [
        (&["SCAN", "x"][..], "ERR invalid cursor"),
        (&["SCAN", "1x"], "ERR invalid cursor"),
        (&["SCAN", " 1"], "ERR invalid cursor"),
        (&["SCAN", "-"], "ERR invalid cursor"),
        (&["SCAN", "18446744073709551616"], "ERR invalid cursor"),
        (&["SCAN", "0", "COUNT", "0"], "ERR syntax error"),
        (&["SCAN", "0", "COUNT", "-1"], "ERR syntax error"),
        (
            &["SCAN", "0", "COUNT", "x"],
            "ERR value is not an integer or out of range",
        ),
        (&["SCAN", "0", "MATCH"], "ERR syntax error"),
        (&["SCAN", "0", "COUNT"], "ERR syntax error"),
        (&["SCAN", "0", "TYPE"], "ERR syntax error"),
        (&["SCAN", "0", "FOO", "bar"], "ERR syntax error"),
        (
            &["SCAN"],
            "ERR wrong number of arguments for 'scan' command",
        ),
    ] {
        assert_eq!(query_err(&mut con, args), error, "{args:?}");
    }
    // Cursors Redis reads with strtoul: the empty string is 0, a sign is allowed.
    for cursor in ["", "+0", "00", "18446744073709551615", "-1"] {
        let (_, _): (String, Vec<String>) = query(&mut con, &["SCAN", cursor]);
    }
    let (cursor, keys): (String, Vec<String>) = query(&mut con, &["SCAN", ""]);
    assert_eq!((cursor.as_str(), keys), ("0", vec!["a".to_string()]));
}

#[test]
fn scan_and_keys_list_binary_and_long_names() {
    let server = Server::start();
    let mut con = server.con();
    let long = "x".repeat(300);
    let binary = b"bin\x00\xff/..\r\n".to_vec();
    query::<()>(&mut con, &["SET", &long, "v"]);
    redis::cmd("SET")
        .arg(&binary)
        .arg("v")
        .query::<()>(&mut con)
        .unwrap();
    let (cursor, mut found): (String, Vec<Vec<u8>>) =
        redis::cmd("SCAN").arg(0).query(&mut con).unwrap();
    found.sort();
    assert_eq!(cursor, "0");
    assert_eq!(found, [binary, long.into_bytes()]);
}

// ---- RANDOMKEY ----

#[test]
fn randomkey_returns_a_live_key_or_nil() {
    let server = Server::start();
    let mut con = server.con();
    assert_eq!(query::<Option<String>>(&mut con, &["RANDOMKEY"]), None);
    set_all(&mut con, &["a", "b", "c"]);
    let mut seen = std::collections::HashSet::new();
    for _ in 0..100 {
        seen.insert(query::<String>(&mut con, &["RANDOMKEY"]));
    }
    assert!(seen.len() >= 2, "{seen:?}");
    assert!(seen.iter().all(|k| ["a", "b", "c"].contains(&k.as_str())));
    query::<()>(&mut con, &["DEL", "a", "b", "c"]);
    query::<()>(&mut con, &["SET", "gone", "v", "PX", "1"]);
    std::thread::sleep(std::time::Duration::from_millis(20));
    assert_eq!(query::<Option<String>>(&mut con, &["RANDOMKEY"]), None);
    assert_eq!(
        query_err(&mut con, &["RANDOMKEY", "x"]),
        "ERR wrong number of arguments for 'randomkey' command"
    );
}

// ---- RENAME, RENAMENX, COPY, MOVE ----

/// A key of each type with an expiry: (name, TYPE, a command that reads its value, reply).
const TYPED: &[(&str, &str, &[&str])] = &[
    ("str", "string", &["GET"]),
    ("hash", "hash", &["HGETALL"]),
    ("set", "set", &["SMEMBERS"]),
    ("zset", "zset", &["ZRANGE", "0", "-1", "WITHSCORES"]),
];

fn make_typed(con: &mut redis::Connection, prefix: &str) {
    query::<()>(con, &["SET", &format!("{prefix}str"), "value"]);
    query::<()>(con, &["HSET", &format!("{prefix}hash"), "f", "v", "g", "w"]);
    query::<()>(con, &["SADD", &format!("{prefix}set"), "a", "b"]);
    query::<()>(con, &["ZADD", &format!("{prefix}zset"), "1", "a", "2", "b"]);
    for (name, _, _) in TYPED {
        query::<()>(con, &["EXPIRE", &format!("{prefix}{name}"), "1000"]);
    }
}

/// The value of a typed key, read with its command, sorted.
fn value_of(con: &mut redis::Connection, read: &[&str], key: &str) -> Vec<String> {
    let mut words = vec![read[0], key];
    words.extend_from_slice(&read[1..]);
    let mut value = match query::<redis::Value>(con, &words) {
        redis::Value::Array(items) => items
            .into_iter()
            .map(|v| redis::from_redis_value::<String>(v).unwrap())
            .collect(),
        other => vec![redis::from_redis_value::<String>(other).unwrap()],
    };
    if read[0] != "ZRANGE" {
        value.sort();
    }
    value
}

#[test]
fn rename_keeps_the_type_value_and_ttl_of_every_type() {
    let server = Server::start();
    let mut con = server.con();
    make_typed(&mut con, "");
    for (name, kind, read) in TYPED {
        let before = value_of(&mut con, read, name);
        // The new name is in another slot, and long enough to be stored as a digest.
        let new = format!("{name}:{}", "n".repeat(250));
        assert_eq!(query::<String>(&mut con, &["RENAME", name, &new]), "OK");
        assert_eq!(query::<i64>(&mut con, &["EXISTS", name]), 0);
        assert_eq!(query::<String>(&mut con, &["TYPE", &new]), *kind);
        assert_eq!(value_of(&mut con, read, &new), before);
        assert_eq!(query::<i64>(&mut con, &["TTL", &new]), 1000);
        // And back to a short name, with RENAMENX.
        assert_eq!(query::<i64>(&mut con, &["RENAMENX", &new, name]), 1);
        assert_eq!(query::<String>(&mut con, &["TYPE", name]), *kind);
        assert_eq!(value_of(&mut con, read, name), before);
        assert_eq!(query::<i64>(&mut con, &["TTL", name]), 1000);
    }
    let mut all = keys(&mut con, "*");
    all.sort();
    assert_eq!(all, ["hash", "set", "str", "zset"]);
    // A key without an expiry stays without one.
    query::<()>(&mut con, &["SET", "plain", "v"]);
    query::<()>(&mut con, &["RENAME", "plain", "plain2"]);
    assert_eq!(query::<i64>(&mut con, &["TTL", "plain2"]), -1);
}

#[test]
fn rename_replaces_the_destination_and_renamenx_does_not() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SET", "a", "1"]);
    query::<()>(&mut con, &["HSET", "b", "f", "v"]);
    query::<()>(&mut con, &["EXPIRE", "b", "100"]);
    assert_eq!(query::<i64>(&mut con, &["RENAMENX", "a", "b"]), 0);
    assert_eq!(query::<String>(&mut con, &["GET", "a"]), "1");
    assert_eq!(query::<String>(&mut con, &["RENAME", "a", "b"]), "OK");
    assert_eq!(query::<String>(&mut con, &["GET", "b"]), "1");
    // The destination's expiry went with its old value.
    assert_eq!(query::<i64>(&mut con, &["TTL", "b"]), -1);
    assert_eq!(query::<i64>(&mut con, &["DBSIZE"]), 1);
    // An expired destination counts as free.
    query::<()>(&mut con, &["SET", "c", "old", "PX", "1"]);
    std::thread::sleep(std::time::Duration::from_millis(10));
    assert_eq!(query::<i64>(&mut con, &["RENAMENX", "b", "c"]), 1);
    assert_eq!(query::<String>(&mut con, &["GET", "c"]), "1");
}

#[test]
fn rename_errors_and_same_name() {
    let server = Server::start();
    let mut con = server.con();
    assert_eq!(
        query_err(&mut con, &["RENAME", "nosuchkey", "x"]),
        "ERR no such key"
    );
    assert_eq!(
        query_err(&mut con, &["RENAMENX", "nosuchkey", "x"]),
        "ERR no such key"
    );
    assert_eq!(
        query_err(&mut con, &["RENAME", "nosuchkey", "nosuchkey"]),
        "ERR no such key"
    );
    query::<()>(&mut con, &["SET", "k", "v", "EX", "100"]);
    assert_eq!(query::<String>(&mut con, &["RENAME", "k", "k"]), "OK");
    assert_eq!(query::<i64>(&mut con, &["RENAMENX", "k", "k"]), 0);
    assert_eq!(query::<String>(&mut con, &["GET", "k"]), "v");
    assert_eq!(query::<i64>(&mut con, &["TTL", "k"]), 100);
    for (args, name) in [
        (&["RENAME", "k"][..], "rename"),
        (&["RENAMENX", "k", "a", "b"], "renamenx"),
        (&["COPY", "k"], "copy"),
        (&["MOVE", "k"], "move"),
        (&["SWAPDB", "0"], "swapdb"),
    ] {
        assert_eq!(
            query_err(&mut con, args),
            format!("ERR wrong number of arguments for '{name}' command")
        );
    }
}

#[test]
fn rename_of_binary_names() {
    let server = Server::start();
    let mut con = server.con();
    let from = b"from\x00\xff/x".to_vec();
    let to = [b"to\r\n".to_vec(), vec![0xfe; 100]].concat();
    redis::cmd("SADD")
        .arg(&from)
        .arg("m")
        .query::<()>(&mut con)
        .unwrap();
    redis::cmd("RENAME")
        .arg(&from)
        .arg(&to)
        .query::<()>(&mut con)
        .unwrap();
    let members: Vec<String> = redis::cmd("SMEMBERS").arg(&to).query(&mut con).unwrap();
    assert_eq!(members, ["m"]);
    let all: Vec<Vec<u8>> = redis::cmd("KEYS").arg("*").query(&mut con).unwrap();
    assert_eq!(all, std::slice::from_ref(&to));
    redis::cmd("RENAME")
        .arg(&to)
        .arg(&from)
        .query::<()>(&mut con)
        .unwrap();
    let all: Vec<Vec<u8>> = redis::cmd("KEYS").arg("*").query(&mut con).unwrap();
    assert_eq!(all, [from]);
}

#[test]
fn move_and_copy_of_binary_and_long_names_keep_the_ttl() {
    let server = Server::start();
    let mut con = server.con();
    let binary = b"bin\x00\xff/..".to_vec();
    let long = [b"long\r\n".to_vec(), vec![0x80; 100]].concat();
    for name in [&binary, &long] {
        redis::cmd("ZADD")
            .arg(name)
            .arg(1)
            .arg("m")
            .query::<()>(&mut con)
            .unwrap();
        redis::cmd("EXPIRE")
            .arg(name)
            .arg(500)
            .query::<()>(&mut con)
            .unwrap();
        let moved: i64 = redis::cmd("MOVE").arg(name).arg(7).query(&mut con).unwrap();
        assert_eq!(moved, 1);
        query::<()>(&mut con, &["SELECT", "7"]);
        let copied: i64 = redis::cmd("COPY")
            .arg(name)
            .arg(name)
            .arg("DB")
            .arg(0)
            .query(&mut con)
            .unwrap();
        assert_eq!(copied, 1);
        query::<()>(&mut con, &["SELECT", "0"]);
        for db in ["0", "7"] {
            query::<()>(&mut con, &["SELECT", db]);
            let ttl: i64 = redis::cmd("TTL").arg(name).query(&mut con).unwrap();
            assert_eq!(ttl, 500);
            let score: f64 = redis::cmd("ZSCORE")
                .arg(name)
                .arg("m")
                .query(&mut con)
                .unwrap();
            assert_eq!(score, 1.0);
        }
        query::<()>(&mut con, &["SELECT", "0"]);
    }
    for db in ["0", "7"] {
        query::<()>(&mut con, &["SELECT", db]);
        let mut all: Vec<Vec<u8>> = redis::cmd("KEYS").arg("*").query(&mut con).unwrap();
        all.sort();
        assert_eq!(all, [binary.clone(), long.clone()]);
    }
}

#[test]
fn copy_duplicates_every_type_with_its_ttl() {
    let server = Server::start();
    let mut con = server.con();
    make_typed(&mut con, "");
    for (name, kind, read) in TYPED {
        let copy = format!("copy:{name}");
        assert_eq!(query::<i64>(&mut con, &["COPY", name, &copy]), 1);
        assert_eq!(query::<String>(&mut con, &["TYPE", &copy]), *kind);
        assert_eq!(
            value_of(&mut con, read, &copy),
            value_of(&mut con, read, name)
        );
        assert_eq!(query::<i64>(&mut con, &["TTL", &copy]), 1000);
        // To another database, under a long name.
        let long = format!("{name}{}", "L".repeat(250));
        assert_eq!(query::<i64>(&mut con, &["COPY", name, &long, "DB", "5"]), 1);
        query::<()>(&mut con, &["SELECT", "5"]);
        assert_eq!(query::<String>(&mut con, &["TYPE", &long]), *kind);
        assert_eq!(query::<i64>(&mut con, &["TTL", &long]), 1000);
        let copied = value_of(&mut con, read, &long);
        query::<()>(&mut con, &["SELECT", "0"]);
        assert_eq!(copied, value_of(&mut con, read, name));
    }
    // The copies are independent of the originals.
    query::<()>(&mut con, &["SET", "copy:str", "changed"]);
    query::<()>(&mut con, &["HSET", "copy:hash", "f", "changed"]);
    query::<()>(&mut con, &["SADD", "copy:set", "c"]);
    query::<()>(&mut con, &["ZADD", "copy:zset", "9", "a"]);
    assert_eq!(query::<String>(&mut con, &["GET", "str"]), "value");
    assert_eq!(query::<String>(&mut con, &["HGET", "hash", "f"]), "v");
    assert_eq!(query::<i64>(&mut con, &["SCARD", "set"]), 2);
    assert_eq!(query::<String>(&mut con, &["ZSCORE", "zset", "a"]), "1");
    assert_eq!(query::<i64>(&mut con, &["DBSIZE"]), 8);
    let mut in5 = {
        query::<()>(&mut con, &["SELECT", "5"]);
        keys(&mut con, "*")
    };
    in5.sort();
    assert_eq!(in5.len(), 4);
}

#[test]
fn copy_replace_db_and_errors() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SET", "a", "1"]);
    query::<()>(&mut con, &["SET", "b", "2", "EX", "100"]);
    assert_eq!(query::<i64>(&mut con, &["COPY", "a", "b"]), 0);
    assert_eq!(query::<String>(&mut con, &["GET", "b"]), "2");
    assert_eq!(query::<i64>(&mut con, &["COPY", "a", "b", "REPLACE"]), 1);
    assert_eq!(query::<String>(&mut con, &["GET", "b"]), "1");
    assert_eq!(query::<i64>(&mut con, &["TTL", "b"]), -1);
    assert_eq!(query::<i64>(&mut con, &["COPY", "nosuchkey", "c"]), 0);
    // The same name in another database is another key.
    assert_eq!(query::<i64>(&mut con, &["COPY", "a", "a", "db", "1"]), 1);
    assert_eq!(query::<i64>(&mut con, &["COPY", "a", "a", "DB", "1"]), 0);
    assert_eq!(
        query::<i64>(&mut con, &["COPY", "b", "a", "REPLACE", "DB", "1"]),
        1
    );
    for (args, error) in [
        (
            &["COPY", "a", "a"][..],
            "ERR source and destination objects are the same",
        ),
        (
            &["COPY", "a", "a", "DB", "0"],
            "ERR source and destination objects are the same",
        ),
        (
            &["COPY", "a", "c", "DB", "x"],
            "ERR value is not an integer or out of range",
        ),
        (
            &["COPY", "a", "c", "DB", "4294967296"],
            "ERR value is out of range, value must between -2147483648 and 2147483647",
        ),
        (
            &["COPY", "a", "c", "DB", "16"],
            "ERR DB index is out of range",
        ),
        (
            &["COPY", "a", "c", "DB", "-1"],
            "ERR DB index is out of range",
        ),
        (
            &["COPY", "nosuchkey", "c", "DB", "99"],
            "ERR DB index is out of range",
        ),
        (&["COPY", "a", "c", "DB"], "ERR syntax error"),
        (&["COPY", "a", "c", "FOO"], "ERR syntax error"),
    ] {
        assert_eq!(query_err(&mut con, args), error, "{args:?}");
    }
    assert_eq!(query::<i64>(&mut con, &["EXISTS", "c"]), 0);
}

#[test]
fn move_moves_a_key_with_its_ttl_to_another_database() {
    let server = Server::start();
    let mut con = server.con();
    make_typed(&mut con, "");
    for (name, kind, read) in TYPED {
        let before = value_of(&mut con, read, name);
        assert_eq!(query::<i64>(&mut con, &["MOVE", name, "2"]), 1);
        assert_eq!(query::<i64>(&mut con, &["EXISTS", name]), 0);
        query::<()>(&mut con, &["SELECT", "2"]);
        assert_eq!(query::<String>(&mut con, &["TYPE", name]), *kind);
        assert_eq!(value_of(&mut con, read, name), before);
        assert_eq!(query::<i64>(&mut con, &["TTL", name]), 1000);
        query::<()>(&mut con, &["SELECT", "0"]);
    }
    // Not over an existing key; missing keys are not moved.
    query::<()>(&mut con, &["SET", "str", "here"]);
    assert_eq!(query::<i64>(&mut con, &["MOVE", "str", "2"]), 0);
    assert_eq!(query::<String>(&mut con, &["GET", "str"]), "here");
    assert_eq!(query::<i64>(&mut con, &["MOVE", "nosuchkey", "2"]), 0);
    // An expired key in the target does not count.
    query::<()>(&mut con, &["SELECT", "3"]);
    query::<()>(&mut con, &["SET", "str", "old", "PX", "1"]);
    query::<()>(&mut con, &["SELECT", "0"]);
    std::thread::sleep(std::time::Duration::from_millis(10));
    assert_eq!(query::<i64>(&mut con, &["MOVE", "str", "3"]), 1);
    query::<()>(&mut con, &["SELECT", "3"]);
    assert_eq!(query::<String>(&mut con, &["GET", "str"]), "here");
    for (args, error) in [
        (
            &["MOVE", "str", "3"][..],
            "ERR source and destination objects are the same",
        ),
        (
            &["MOVE", "str", "x"],
            "ERR value is not an integer or out of range",
        ),
        (&["MOVE", "str", "16"], "ERR DB index is out of range"),
        (&["MOVE", "str", "-1"], "ERR DB index is out of range"),
        (
            &["MOVE", "str", "2147483648"],
            "ERR value is out of range, value must between -2147483648 and 2147483647",
        ),
    ] {
        assert_eq!(query_err(&mut con, args), error, "{args:?}");
    }
}

// ---- SWAPDB ----

#[test]
fn swapdb_exchanges_two_databases() {
    let server = Server::start();
    let mut con = server.con();
    let mut other = server.con();
    query::<()>(&mut con, &["SET", "in0", "zero", "EX", "100"]);
    query::<()>(&mut other, &["SELECT", "1"]);
    query::<()>(&mut other, &["HSET", "in1", "f", "one"]);
    assert_eq!(query::<String>(&mut con, &["SWAPDB", "0", "1"]), "OK");
    // Both clients stay in their database, which now holds the other's keys.
    assert_eq!(keys(&mut con, "*"), ["in1"]);
    assert_eq!(query::<String>(&mut con, &["HGET", "in1", "f"]), "one");
    assert_eq!(keys(&mut other, "*"), ["in0"]);
    assert_eq!(query::<String>(&mut other, &["GET", "in0"]), "zero");
    assert_eq!(query::<i64>(&mut other, &["TTL", "in0"]), 100);
    let info: String = query(&mut con, &["INFO", "keyspace"]);
    assert!(info.contains("db0:keys=1,expires=0,"), "{info}");
    assert!(info.contains("db1:keys=1,expires=1,"), "{info}");
    assert_eq!(query::<String>(&mut con, &["SWAPDB", "1", "1"]), "OK");
    assert_eq!(query::<String>(&mut con, &["SWAPDB", "1", "0"]), "OK");
    assert_eq!(keys(&mut con, "*"), ["in0"]);
    for (args, error) in [
        (&["SWAPDB", "x", "0"][..], "ERR invalid first DB index"),
        (&["SWAPDB", "0", "x"], "ERR invalid second DB index"),
        (&["SWAPDB", "x", "y"], "ERR invalid first DB index"),
        (&["SWAPDB", "4294967296", "0"], "ERR invalid first DB index"),
        (&["SWAPDB", "0", "16"], "ERR DB index is out of range"),
        (&["SWAPDB", "-1", "0"], "ERR DB index is out of range"),
    ] {
        assert_eq!(query_err(&mut con, args), error, "{args:?}");
    }
}

// ---- OBJECT ----

fn encoding(con: &mut redis::Connection, key: &str) -> String {
    query(con, &["OBJECT", "ENCODING", key])
}

#[test]
fn object_encoding_of_strings() {
    let server = Server::start();
    let mut con = server.con();
    for (value, want) in [
        ("12345", "int"),
        ("-9223372036854775808", "int"),
        ("9223372036854775808", "embstr"),
        ("007", "embstr"),
        ("+1", "embstr"),
        ("hello", "embstr"),
        (&"x".repeat(44), "embstr"),
        (&"x".repeat(45), "raw"),
        (&"x".repeat(100_000), "raw"),
    ] {
        query::<()>(&mut con, &["SET", "k", value]);
        assert_eq!(encoding(&mut con, "k"), want, "{value:.20}");
    }
    query::<()>(&mut con, &["SET", "n", "100"]);
    assert_eq!(
        query::<i64>(&mut con, &["OBJECT", "REFCOUNT", "n"]),
        2147483647
    );
    query::<()>(&mut con, &["SET", "n", "10000"]);
    assert_eq!(query::<i64>(&mut con, &["OBJECT", "REFCOUNT", "n"]), 1);
    query::<()>(&mut con, &["SET", "n", "-1"]);
    assert_eq!(query::<i64>(&mut con, &["OBJECT", "REFCOUNT", "n"]), 1);
    query::<()>(&mut con, &["HSET", "h", "f", "1"]);
    assert_eq!(query::<i64>(&mut con, &["OBJECT", "REFCOUNT", "h"]), 1);
}

#[test]
fn object_encoding_of_collections_follows_the_size_thresholds() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["HSET", "h", "f", "v"]);
    assert_eq!(encoding(&mut con, "h"), "listpack");
    query::<()>(&mut con, &["HSET", "h", "big", &"v".repeat(65)]);
    assert_eq!(encoding(&mut con, "h"), "hashtable");
    query::<()>(&mut con, &["HSET", "h2", &"f".repeat(65), "v"]);
    assert_eq!(encoding(&mut con, "h2"), "hashtable");
    let mut pipe = redis::pipe();
    for i in 0..512 {
        pipe.cmd("HSET").arg("h3").arg(i).arg(i).ignore();
    }
    for i in 0..129 {
        pipe.cmd("ZADD").arg("z2").arg(i).arg(i).ignore();
    }
    pipe.query::<()>(&mut con).unwrap();
    // Hashes are listpacks up to 512 fields (Redis's built-in default), sorted sets to 128.
    assert_eq!(encoding(&mut con, "h3"), "listpack");
    query::<()>(&mut con, &["HSET", "h3", "one-more", "v"]);
    assert_eq!(encoding(&mut con, "h3"), "hashtable");
    query::<()>(&mut con, &["SADD", "ints", "1", "2", "-3"]);
    assert_eq!(encoding(&mut con, "ints"), "intset");
    query::<()>(&mut con, &["ZADD", "z", "1", "a"]);
    assert_eq!(encoding(&mut con, "z"), "listpack");
    query::<()>(&mut con, &["ZADD", "z", "2", &"m".repeat(65)]);
    assert_eq!(encoding(&mut con, "z"), "skiplist");
    assert_eq!(encoding(&mut con, "z2"), "skiplist");
    let big_ints: Vec<String> = (0..513).map(|i| i.to_string()).collect();
    let mut words = vec!["SADD", "ints2"];
    words.extend(big_ints.iter().map(String::as_str));
    query::<()>(&mut con, &words);
    assert_eq!(encoding(&mut con, "ints2"), "hashtable");
    query::<()>(&mut con, &["SADD", "long", &"m".repeat(65)]);
    assert_eq!(encoding(&mut con, "long"), "hashtable");
}

#[test]
fn object_encoding_follows_the_configured_thresholds() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(
        &mut con,
        &[
            "CONFIG",
            "SET",
            "zset-max-ziplist-entries",
            "1",
            "hash-max-listpack-value",
            "4",
            "set-max-intset-entries",
            "2",
        ],
    );
    query::<()>(&mut con, &["ZADD", "z1", "1", "a"]);
    assert_eq!(encoding(&mut con, "z1"), "listpack");
    query::<()>(&mut con, &["ZADD", "z2", "1", "a", "2", "b"]);
    assert_eq!(encoding(&mut con, "z2"), "skiplist");
    query::<()>(&mut con, &["HSET", "h1", "f", "v"]);
    assert_eq!(encoding(&mut con, "h1"), "listpack");
    query::<()>(&mut con, &["HSET", "h2", "f", "value"]);
    assert_eq!(encoding(&mut con, "h2"), "hashtable");
    query::<()>(&mut con, &["SADD", "s1", "1", "2"]);
    assert_eq!(encoding(&mut con, "s1"), "intset");
    query::<()>(&mut con, &["SADD", "s2", "1", "2", "3"]);
    assert_eq!(encoding(&mut con, "s2"), "hashtable");
}

#[test]
fn object_encoding_of_small_sets_is_listpack() {
    if common::skip_in_reference("Redis 7.2 behaviour (the reference server is 7.0)") {
        return;
    }
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SADD", "s", "a", "1"]);
    assert_eq!(encoding(&mut con, "s"), "listpack");
}

#[test]
fn object_idletime_freq_help_and_errors() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SET", "k", "v"]);
    assert_eq!(query::<i64>(&mut con, &["OBJECT", "IDLETIME", "k"]), 0);
    assert_eq!(
        query_err(&mut con, &["OBJECT", "FREQ", "k"]),
        "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
    );
    for sub in ["ENCODING", "IDLETIME", "REFCOUNT", "FREQ"] {
        assert_eq!(
            query::<Option<i64>>(&mut con, &["OBJECT", sub, "nosuchkey"]),
            None,
            "{sub}"
        );
    }
    let help: Vec<String> = query(&mut con, &["OBJECT", "HELP"]);
    assert_eq!(
        help[0],
        "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    );
    assert_eq!(help.len(), 15);
    assert_eq!(help[1], "ENCODING <key>");
    assert_eq!(help[14], "    Prints this help.");
    assert_eq!(
        query_err(&mut con, &["OBJECT", "foo", "k"]),
        "ERR unknown subcommand 'foo'. Try OBJECT HELP."
    );
    for (args, name) in [
        (&["OBJECT"][..], "object"),
        (&["OBJECT", "ENCODING"], "object|encoding"),
        (&["OBJECT", "encoding", "a", "b"], "object|encoding"),
        (&["OBJECT", "HELP", "x"], "object|help"),
    ] {
        assert_eq!(
            query_err(&mut con, args),
            format!("ERR wrong number of arguments for '{name}' command")
        );
    }
}

#[test]
fn object_idletime_counts_from_the_last_write() {
    if common::skip_in_reference(
        "dredis counts idle time from the last write, Redis from the last access",
    ) {
        return;
    }
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SET", "k", "v"]);
    query::<()>(&mut con, &["HSET", "h", "f", "v"]);
    std::thread::sleep(std::time::Duration::from_millis(2100));
    assert!(query::<i64>(&mut con, &["OBJECT", "IDLETIME", "k"]) >= 2);
    query::<()>(&mut con, &["SET", "k", "w"]);
    query::<()>(&mut con, &["HSET", "h", "f", "w"]);
    assert_eq!(query::<i64>(&mut con, &["OBJECT", "IDLETIME", "k"]), 0);
    assert_eq!(query::<i64>(&mut con, &["OBJECT", "IDLETIME", "h"]), 0);
}
