//! Server commands: INFO, CONFIG GET, COMMAND, DBSIZE, FLUSHDB, FLUSHALL, TIME, SHUTDOWN.

mod common;

use std::collections::HashMap;

use common::{query, query_err, Server};
use redis::Value;

/// INFO's `field:value` lines.
fn info_fields(text: &str) -> HashMap<String, String> {
    text.lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn info_has_the_server_section_with_redis_version() {
    let server = Server::start();
    let mut con = server.con();
    let info: String = query(&mut con, &["INFO"]);
    assert!(info.starts_with("# Server\r\n"), "{info}");
    for section in [
        "# Clients",
        "# Memory",
        "# Persistence",
        "# Stats",
        "# Keyspace",
    ] {
        assert!(info.contains(section), "no {section} in {info}");
    }
    let fields = info_fields(&info);
    let version = &fields["redis_version"];
    assert!(version.starts_with("7."), "redis_version:{version}");
    assert_eq!(fields["tcp_port"], server.port.to_string());
    // This connection, and perhaps the harness's probe if its close is not noticed yet.
    assert!(fields["connected_clients"] != "0");
    assert_eq!(fields["role"], "master");
}

#[test]
fn info_with_a_section_returns_only_that_section() {
    let server = Server::start();
    let mut con = server.con();
    let info: String = query(&mut con, &["INFO", "server"]);
    assert!(info.starts_with("# Server\r\n"));
    assert!(!info.contains("# Clients"));
    let info: String = query(&mut con, &["INFO", "CLIENTS", "stats"]);
    assert!(info.contains("# Clients") && info.contains("# Stats"));
    assert!(!info.contains("# Server"));
    assert_eq!(query::<String>(&mut con, &["INFO", "nosuchsection"]), "");
}

#[test]
fn info_keyspace_counts_keys_per_database() {
    let server = Server::start();
    let mut con = server.con();
    let info: String = query(&mut con, &["INFO", "keyspace"]);
    assert_eq!(info, "# Keyspace\r\n");
    query::<()>(&mut con, &["SET", "a", "1"]);
    query::<()>(&mut con, &["HSET", "b", "f", "v"]);
    query::<()>(&mut con, &["SELECT", "2"]);
    query::<()>(&mut con, &["SADD", "c", "m"]);
    let info: String = query(&mut con, &["INFO", "keyspace"]);
    let fields = info_fields(&info);
    assert!(fields["db0"].starts_with("keys=2,expires="), "{info}");
    assert!(fields["db2"].starts_with("keys=1,expires="), "{info}");
    assert!(!fields.contains_key("db1"));
}

#[test]
fn info_keyspace_counts_keys_with_an_expiry() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SET", "a", "1", "EX", "100"]);
    query::<()>(&mut con, &["SET", "b", "1"]);
    let info: String = query(&mut con, &["INFO", "keyspace"]);
    assert!(info.contains("db0:keys=2,expires=1,"), "{info}");
}

#[test]
fn info_stats_count_commands_and_connections() {
    let server = Server::start();
    let mut con = server.con();
    for _ in 0..5 {
        query::<()>(&mut con, &["PING"]);
    }
    let info: String = query(&mut con, &["INFO", "stats"]);
    let fields = info_fields(&info);
    let commands: u64 = fields["total_commands_processed"].parse().unwrap();
    assert!(commands >= 5, "{info}");
    let connections: u64 = fields["total_connections_received"].parse().unwrap();
    assert!(connections >= 1, "{info}");
}

#[test]
fn config_get_a_parameter() {
    let server = Server::start();
    let mut con = server.con();
    let port: HashMap<String, String> = query(&mut con, &["CONFIG", "GET", "port"]);
    assert_eq!(
        port,
        HashMap::from([("port".into(), server.port.to_string())])
    );
    let databases: Vec<String> = query(&mut con, &["CONFIG", "GET", "databases"]);
    assert_eq!(databases, ["databases", "16"]);
    // Names are case-insensitive; a name without wildcards comes back as it was asked for.
    let upper: Vec<String> = query(&mut con, &["CONFIG", "GET", "DATABASES"]);
    assert_eq!(upper, ["DATABASES", "16"]);
    // Several parameters in one call; a repeated one once.
    let several: HashMap<String, String> =
        query(&mut con, &["CONFIG", "GET", "port", "databases", "port"]);
    assert_eq!(several.len(), 2);
    let none: Vec<String> = query(&mut con, &["CONFIG", "GET", "nosuchparameter"]);
    assert!(none.is_empty());
}

#[test]
fn config_get_with_a_glob_pattern() {
    let server = Server::start();
    let mut con = server.con();
    let max: HashMap<String, String> = query(&mut con, &["CONFIG", "GET", "*max*"]);
    for name in [
        "maxclients",
        "maxmemory",
        "proto-max-bulk-len",
        "maxmemory-policy",
    ] {
        assert!(max.contains_key(name), "no {name} in {max:?}");
    }
    assert!(max.keys().all(|name| name.contains("max")), "{max:?}");
    assert_eq!(max["maxclients"], "10000");
    assert_eq!(max["maxmemory"], "0");
    let all: HashMap<String, String> = query(&mut con, &["CONFIG", "GET", "*"]);
    assert!(all.len() > max.len());
    assert_eq!(all["protected-mode"], "yes");
    assert_eq!(all["appendonly"], "no");
}

#[test]
fn config_errors() {
    let server = Server::start();
    let mut con = server.con();
    assert_eq!(
        query_err(&mut con, &["CONFIG", "GET"]),
        "ERR wrong number of arguments for 'config|get' command"
    );
    assert_eq!(
        query_err(&mut con, &["CONFIG"]),
        "ERR wrong number of arguments for 'config' command"
    );
    assert_eq!(
        query_err(&mut con, &["CONFIG", "FOO"]),
        "ERR unknown subcommand 'FOO'. Try CONFIG HELP."
    );
}

/// The string items of a flags or categories reply.
fn words(value: &Value) -> Vec<String> {
    let (Value::Array(items) | Value::Set(items)) = value else {
        panic!("not a list: {value:?}");
    };
    items
        .iter()
        .map(|v| match v {
            Value::SimpleString(s) => s.clone(),
            Value::BulkString(b) => String::from_utf8(b.clone()).unwrap(),
            other => panic!("not a word: {other:?}"),
        })
        .collect()
}

/// COMMAND INFO of one command: its entry's ten fields.
fn command_info(con: &mut redis::Connection, name: &str) -> Vec<Value> {
    let reply: Vec<Value> = query(con, &["COMMAND", "INFO", name]);
    match reply.into_iter().next() {
        Some(Value::Array(entry)) => entry,
        other => panic!("COMMAND INFO {name}: {other:?}"),
    }
}

#[test]
fn command_info_get_describes_name_arity_flags_and_keys() {
    let server = Server::start();
    let mut con = server.con();
    let entry = command_info(&mut con, "get");
    assert_eq!(entry.len(), 10);
    assert_eq!(entry[0], Value::BulkString(b"get".to_vec()));
    assert_eq!(entry[1], Value::Int(2));
    let mut flags = words(&entry[2]);
    flags.sort();
    assert_eq!(flags, ["fast", "readonly"]);
    // First key, last key, step.
    assert_eq!(entry[3..6], [Value::Int(1), Value::Int(1), Value::Int(1)]);
    let categories = words(&entry[6]);
    assert!(categories.contains(&"@read".to_string()), "{categories:?}");
    assert!(
        categories.contains(&"@string".to_string()),
        "{categories:?}"
    );
}

#[test]
fn command_info_of_other_shapes() {
    let server = Server::start();
    let mut con = server.con();
    let set = command_info(&mut con, "SET");
    assert_eq!(set[0], Value::BulkString(b"set".to_vec()));
    assert_eq!(set[1], Value::Int(-3));
    assert!(words(&set[2]).contains(&"write".to_string()));
    // DEL: every argument is a key.
    let del = command_info(&mut con, "del");
    assert_eq!(del[1], Value::Int(-2));
    assert_eq!(del[3..6], [Value::Int(1), Value::Int(-1), Value::Int(1)]);
    // PING has no keys.
    let ping = command_info(&mut con, "ping");
    assert_eq!(ping[3..6], [Value::Int(0), Value::Int(0), Value::Int(0)]);
    // A subcommand by its full name.
    let setname = command_info(&mut con, "client|setname");
    assert_eq!(setname[0], Value::BulkString(b"client|setname".to_vec()));
    assert_eq!(setname[1], Value::Int(3));
    // Unknown commands are nil, in place.
    let reply: Vec<Value> = query(&mut con, &["COMMAND", "INFO", "get", "nosuchcommand"]);
    assert_eq!(reply.len(), 2);
    assert_eq!(reply[1], Value::Nil);
}

#[test]
fn command_lists_every_command_and_count_agrees() {
    let server = Server::start();
    let mut con = server.con();
    let all: Vec<Value> = query(&mut con, &["COMMAND"]);
    let count: i64 = query(&mut con, &["COMMAND", "COUNT"]);
    assert_eq!(all.len() as i64, count);
    let names: Vec<String> = all
        .iter()
        .map(|entry| match entry {
            Value::Array(fields) => match &fields[0] {
                Value::BulkString(name) => String::from_utf8(name.clone()).unwrap(),
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        })
        .collect();
    for name in [
        "get",
        "set",
        "incr",
        "incrby",
        "getrange",
        "del",
        "exists",
        "type",
        "keys",
        "hset",
        "hsetnx",
        "hget",
        "hdel",
        "hlen",
        "hkeys",
        "hvals",
        "hgetall",
        "hincrby",
        "sadd",
        "smembers",
        "scard",
        "sismember",
        "ping",
        "echo",
        "select",
        "quit",
        "auth",
        "hello",
        "client",
        "flushall",
        "flushdb",
        "dbsize",
        "shutdown",
        "time",
        "info",
        "command",
        "config",
    ] {
        assert!(names.contains(&name.to_string()), "COMMAND lacks {name}");
    }
    // COMMAND LIST names subcommands too.
    let list: Vec<String> = query(&mut con, &["COMMAND", "LIST"]);
    assert!(list.contains(&"get".to_string()));
    assert!(list.contains(&"client|setname".to_string()));
}

#[test]
fn command_list_filterby() {
    let server = Server::start();
    let mut con = server.con();
    let mut hash: Vec<String> = query(&mut con, &["COMMAND", "LIST", "FILTERBY", "ACLCAT", "hash"]);
    hash.sort();
    assert!(hash.contains(&"hset".to_string()) && hash.contains(&"hgetall".to_string()));
    assert!(hash.iter().all(|name| name.starts_with('h')), "{hash:?}");
    let client: Vec<String> = query(
        &mut con,
        &["COMMAND", "LIST", "FILTERBY", "PATTERN", "client|set*"],
    );
    assert!(client.contains(&"client|setname".to_string()), "{client:?}");
    assert!(
        client.iter().all(|name| name.starts_with("client|set")),
        "{client:?}"
    );
    let none: Vec<String> = query(&mut con, &["COMMAND", "LIST", "FILTERBY", "MODULE", "m"]);
    assert!(none.is_empty());
    for args in [
        &["COMMAND", "LIST", "FILTERBY", "FOO", "x"][..],
        &["COMMAND", "LIST", "FILTERBY", "PATTERN"],
        &["COMMAND", "LIST", "foo"],
    ] {
        assert_eq!(query_err(&mut con, args), "ERR syntax error", "{args:?}");
    }
}

#[test]
fn command_getkeys_extracts_the_keys_of_a_request() {
    let server = Server::start();
    let mut con = server.con();
    let keys: Vec<String> = query(&mut con, &["COMMAND", "GETKEYS", "SET", "k", "v"]);
    assert_eq!(keys, ["k"]);
    let keys: Vec<String> = query(&mut con, &["COMMAND", "GETKEYS", "del", "a", "b", "c"]);
    assert_eq!(keys, ["a", "b", "c"]);
    let keys: Vec<String> = query(&mut con, &["COMMAND", "GETKEYS", "HSET", "h", "f", "v"]);
    assert_eq!(keys, ["h"]);
    for (args, error) in [
        (
            &["COMMAND", "GETKEYS", "nosuch", "a"][..],
            "ERR Invalid command specified",
        ),
        (
            &["COMMAND", "GETKEYS", "echo", "a"],
            "ERR The command has no key arguments",
        ),
        (
            &["COMMAND", "GETKEYS", "get", "a", "b"],
            "ERR Invalid number of arguments specified for command",
        ),
        (
            &["COMMAND", "GETKEYS", "get"],
            "ERR wrong number of arguments for 'command|getkeys' command",
        ),
        (
            &["COMMAND", "GETKEYS"],
            "ERR wrong number of arguments for 'command|getkeys' command",
        ),
    ] {
        assert_eq!(query_err(&mut con, args), error, "{args:?}");
    }
}

#[test]
fn command_errors() {
    let server = Server::start();
    let mut con = server.con();
    assert_eq!(
        query_err(&mut con, &["COMMAND", "FOO"]),
        "ERR unknown subcommand 'FOO'. Try COMMAND HELP."
    );
    assert_eq!(
        query_err(&mut con, &["COMMAND", "COUNT", "x"]),
        "ERR wrong number of arguments for 'command|count' command"
    );
}

#[test]
fn dbsize_counts_the_keys_of_the_selected_database() {
    let server = Server::start();
    let mut con = server.con();
    assert_eq!(query::<i64>(&mut con, &["DBSIZE"]), 0);
    query::<()>(&mut con, &["SET", "a", "1"]);
    query::<()>(&mut con, &["HSET", "b", "f", "v"]);
    query::<()>(&mut con, &["SADD", "c", "m"]);
    assert_eq!(query::<i64>(&mut con, &["DBSIZE"]), 3);
    query::<()>(&mut con, &["SELECT", "1"]);
    assert_eq!(query::<i64>(&mut con, &["DBSIZE"]), 0);
    assert_eq!(
        query_err(&mut con, &["DBSIZE", "x"]),
        "ERR wrong number of arguments for 'dbsize' command"
    );
}

#[test]
fn flushdb_empties_only_the_selected_database() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SET", "a", "1"]);
    query::<()>(&mut con, &["SELECT", "1"]);
    query::<()>(&mut con, &["SET", "b", "1"]);
    query::<()>(&mut con, &["HSET", "h", "f", "v"]);
    assert_eq!(query::<Value>(&mut con, &["FLUSHDB"]), Value::Okay);
    assert_eq!(query::<i64>(&mut con, &["DBSIZE"]), 0);
    assert_eq!(query::<i64>(&mut con, &["EXISTS", "b", "h"]), 0);
    query::<()>(&mut con, &["SELECT", "0"]);
    assert_eq!(query::<String>(&mut con, &["GET", "a"]), "1");
    // The database is usable right away.
    query::<()>(&mut con, &["SELECT", "1"]);
    assert_eq!(query::<i64>(&mut con, &["HSET", "h", "g", "w"]), 1);
    assert_eq!(query::<i64>(&mut con, &["HLEN", "h"]), 1);
}

#[test]
fn flushall_empties_every_database() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SET", "a", "1"]);
    query::<()>(&mut con, &["SELECT", "5"]);
    query::<()>(&mut con, &["SADD", "s", "m"]);
    assert_eq!(query::<Value>(&mut con, &["FLUSHALL"]), Value::Okay);
    assert_eq!(query::<i64>(&mut con, &["DBSIZE"]), 0);
    query::<()>(&mut con, &["SELECT", "0"]);
    assert_eq!(query::<i64>(&mut con, &["DBSIZE"]), 0);
    assert_eq!(query::<Vec<String>>(&mut con, &["KEYS", "*"]).len(), 0);
    query::<()>(&mut con, &["SET", "a", "2"]);
    assert_eq!(query::<String>(&mut con, &["GET", "a"]), "2");
}

#[test]
fn flush_async_and_sync_modes() {
    let server = Server::start();
    let mut con = server.con();
    for args in [
        &["FLUSHALL", "ASYNC"][..],
        &["FLUSHALL", "sync"],
        &["FLUSHDB", "ASYNC"],
        &["FLUSHDB", "SYNC"],
    ] {
        query::<()>(&mut con, &["SET", "k", "v"]);
        assert_eq!(query::<Value>(&mut con, args), Value::Okay, "{args:?}");
        assert_eq!(query::<i64>(&mut con, &["EXISTS", "k"]), 0);
    }
    for args in [
        &["FLUSHALL", "x"][..],
        &["FLUSHALL", "SYNC", "ASYNC"],
        &["FLUSHDB", "x"],
    ] {
        assert_eq!(query_err(&mut con, args), "ERR syntax error", "{args:?}");
    }
}

#[test]
fn time_returns_seconds_and_microseconds() {
    let server = Server::start();
    let mut con = server.con();
    let time: Vec<String> = query(&mut con, &["TIME"]);
    assert_eq!(time.len(), 2);
    let seconds: u64 = time[0].parse().unwrap();
    let micros: u64 = time[1].parse().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(seconds.abs_diff(now) <= 2);
    assert!(micros < 1_000_000);
}

#[test]
fn shutdown_stops_the_server_cleanly() {
    let mut server = Server::start();
    let mut other = server.raw();
    assert_eq!(other.call(&["PING"]), "+PONG\r\n");
    let status = server.shutdown();
    assert!(status.success(), "exit status {status:?}\n{}", server.log());
    assert_eq!(status.code(), Some(0));
    // Other connections are closed too.
    assert_eq!(other.read_to_end(), b"");
}

#[test]
fn shutdown_options() {
    let mut server = Server::start();
    let mut con = server.con();
    assert_eq!(
        query_err(&mut con, &["SHUTDOWN", "foo"]),
        "ERR syntax error"
    );
    assert_eq!(
        query_err(&mut con, &["SHUTDOWN", "ABORT"]),
        "ERR No shutdown in progress."
    );
    let mut raw = server.raw();
    raw.send(common::resp(&["SHUTDOWN", "NOSAVE", "NOW", "FORCE"]));
    assert_eq!(raw.read_to_end(), b"");
    assert!(server.wait_exit().success());
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    let mut server = Server::start();
    query::<()>(&mut server.con(), &["SET", "k", "v"]);
    let status = server.terminate();
    assert_eq!(status.code(), Some(0), "{}", server.log());
}

#[test]
fn a_redis_style_config_file_sets_parameters() {
    let dir = tempfile::TempDir::new().unwrap();
    let file = dir.path().join("dredis.conf");
    std::fs::write(
        &file,
        "# a comment\n\nrequirepass \"s3cret\"\ndatabases 4\nmaxclients 77\n",
    )
    .unwrap();
    let server = Server::start_with(&["--config", file.to_str().unwrap()]);
    let mut raw = server.raw();
    assert_eq!(raw.call(&["PING"]), "-NOAUTH Authentication required.\r\n");
    assert_eq!(raw.call(&["AUTH", "s3cret"]), "+OK\r\n");
    assert_eq!(
        raw.call(&["CONFIG", "GET", "databases"]),
        "*2\r\n$9\r\ndatabases\r\n$1\r\n4\r\n"
    );
    assert_eq!(
        raw.call(&["CONFIG", "GET", "maxclients"]),
        "*2\r\n$10\r\nmaxclients\r\n$2\r\n77\r\n"
    );
    assert_eq!(
        raw.call(&["SELECT", "4"]),
        "-ERR DB index is out of range\r\n"
    );
}

#[test]
fn proto_max_bulk_len_limits_arguments() {
    let server = Server::start_with(&["--proto-max-bulk-len", "1000"]);
    let mut raw = server.raw();
    let fits = "x".repeat(1000);
    assert_eq!(raw.call(&["SET", "k", &fits]), "+OK\r\n");
    let too_big = "x".repeat(1001);
    raw.send(common::resp(&["SET", "k", &too_big]));
    assert_eq!(
        raw.read_to_end(),
        b"-ERR Protocol error: invalid bulk length\r\n"
    );
}
