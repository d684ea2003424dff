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
fn function_flush_has_no_library_to_delete() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SET", "k", "v"]);
    for args in [
        &["FUNCTION", "FLUSH"][..],
        &["FUNCTION", "flush", "async"],
        &["function", "FLUSH", "SYNC"],
    ] {
        assert_eq!(query::<Value>(&mut con, args), Value::Okay, "{args:?}");
    }
    // Keys are not functions.
    assert_eq!(query::<i64>(&mut con, &["EXISTS", "k"]), 1);
    assert_eq!(
        query_err(&mut con, &["FUNCTION", "FLUSH", "x"]),
        "ERR FUNCTION FLUSH only supports SYNC|ASYNC option"
    );
    assert_eq!(
        query_err(&mut con, &["FUNCTION", "flush", "SYNC", "ASYNC"]),
        "ERR unknown subcommand or wrong number of arguments for 'flush'. Try FUNCTION HELP."
    );
    assert_eq!(
        query_err(&mut con, &["FUNCTION"]),
        "ERR wrong number of arguments for 'function' command"
    );
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

// ---- introspection: INFO sections, stats, CONFIG SET, COMMAND DOCS, MEMORY, SLOWLOG ----

/// Whether the suite runs against a reference redis-server (then tests of dredis's own
/// behaviour, or of Redis 7.2's, skip themselves).
fn skip_in_reference(why: &str) -> bool {
    let reference = std::env::var_os("DREDIS_TEST_REFERENCE").is_some_and(|v| v != "0");
    if reference {
        eprintln!("skipped against the reference redis-server: {why}");
    }
    reference
}

const DREDIS_ONLY: &str = "a dredis feature";

/// The `# Title` lines of an INFO reply.
fn titles(info: &str) -> Vec<&str> {
    info.lines().filter_map(|l| l.strip_prefix("# ")).collect()
}

#[test]
fn info_default_all_everything_and_several_sections() {
    let server = Server::start();
    let mut con = server.con();
    let default = [
        "Server",
        "Clients",
        "Memory",
        "Persistence",
        "Stats",
        "Replication",
        "CPU",
        "Modules",
        "Errorstats",
        "Cluster",
        "Keyspace",
    ];
    let bare: String = query(&mut con, &["INFO"]);
    assert_eq!(titles(&bare), default);
    let named: String = query(&mut con, &["INFO", "default"]);
    assert_eq!(titles(&named), default);
    for everything in ["all", "everything", "ALL"] {
        let info: String = query(&mut con, &["INFO", everything]);
        let sections = titles(&info);
        for section in default.iter().chain(&["Commandstats"]) {
            assert!(
                sections.contains(section),
                "INFO {everything}: {sections:?}"
            );
        }
    }
    let two: String = query(&mut con, &["INFO", "commandstats", "ERRORSTATS"]);
    assert_eq!(titles(&two), ["Commandstats", "Errorstats"]);
    let mixed: String = query(&mut con, &["INFO", "default", "commandstats"]);
    assert!(titles(&mixed).contains(&"Commandstats") && titles(&mixed).contains(&"Server"));
    let modules: String = query(&mut con, &["INFO", "modules"]);
    assert_eq!(modules, "# Modules\r\n");
}

#[test]
fn info_has_the_fields_clients_and_tools_read() {
    let server = Server::start();
    let mut con = server.con();
    let info: String = query(&mut con, &["INFO", "everything"]);
    let f = info_fields(&info);
    let number = |name: &str| -> f64 {
        f.get(name)
            .unwrap_or_else(|| panic!("no {name} in {info}"))
            .trim_end_matches('%')
            .parse()
            .unwrap_or_else(|_| panic!("{name}:{} is not a number", f[name]))
    };
    for name in [
        "connected_clients",
        "blocked_clients",
        "maxclients",
        "client_recent_max_input_buffer",
        "used_memory",
        "used_memory_rss",
        "used_memory_peak",
        "maxmemory",
        "total_commands_processed",
        "instantaneous_ops_per_sec",
        "total_connections_received",
        "rejected_connections",
        "expired_keys",
        "connected_slaves",
        "master_repl_offset",
        "used_cpu_sys",
        "used_cpu_user",
        "uptime_in_seconds",
        "process_id",
        "total_error_replies",
        "rdb_last_save_time",
    ] {
        number(name);
    }
    assert!(number("used_memory") > 0.0);
    assert!(number("used_memory_rss") >= number("used_memory") / 2.0);
    assert_eq!(f["maxmemory"], "0");
    assert_eq!(f["maxclients"], "10000");
    assert_eq!(f["maxmemory_policy"], "noeviction");
    assert_eq!(f["role"], "master");
    assert_eq!(f["connected_slaves"], "0");
    assert_eq!(f["master_failover_state"], "no-failover");
    assert_eq!(f["master_replid"].len(), 40);
    assert_eq!(f["run_id"].len(), 40);
    assert!(f["used_memory_human"].ends_with(['B', 'K', 'M', 'G']));
    assert_eq!(f["cluster_enabled"], "0");
    assert_eq!(f["tcp_port"], server.port.to_string());
}

#[test]
fn info_instantaneous_ops_per_sec_follows_the_load() {
    let server = Server::start();
    let mut con = server.con();
    let start = std::time::Instant::now();
    let mut pipe = redis::pipe();
    for _ in 0..100 {
        pipe.cmd("PING");
    }
    while start.elapsed() < std::time::Duration::from_millis(600) {
        pipe.query::<()>(&mut con).unwrap();
    }
    let info: String = query(&mut con, &["INFO", "stats"]);
    let ops: u64 = info_fields(&info)["instantaneous_ops_per_sec"]
        .parse()
        .unwrap();
    assert!(ops > 100, "{info}");
}

#[test]
fn info_commandstats_and_errorstats_count_calls_failures_and_rejections() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["CONFIG", "RESETSTAT"]);
    query::<()>(&mut con, &["SET", "k", "v"]);
    query::<()>(&mut con, &["GET", "k"]);
    query_err(&mut con, &["INCR", "k"]);
    query_err(&mut con, &["HGET", "k", "f"]);
    query_err(&mut con, &["GET"]);
    query_err(&mut con, &["NOSUCHCOMMAND"]);
    query_err(&mut con, &["CONFIG", "NOSUCH"]);
    let info: String = query(&mut con, &["INFO", "commandstats", "errorstats"]);
    let f = info_fields(&info);
    let stat = |name: &str, field: &str| -> String {
        let line = f
            .get(&format!("cmdstat_{name}"))
            .unwrap_or_else(|| panic!("no cmdstat_{name} in {info}"));
        line.split(',')
            .find_map(|kv| kv.strip_prefix(&format!("{field}=")))
            .unwrap_or_else(|| panic!("no {field} in {line}"))
            .to_string()
    };
    assert_eq!(stat("get", "calls"), "1");
    assert_eq!(stat("get", "rejected_calls"), "1");
    assert_eq!(stat("get", "failed_calls"), "0");
    assert_eq!(stat("set", "calls"), "1");
    assert_eq!(stat("incr", "calls"), "1");
    assert_eq!(stat("incr", "failed_calls"), "1");
    assert_eq!(stat("hget", "failed_calls"), "1");
    assert!(!f.contains_key("cmdstat_config"), "{info}");
    assert!(stat("set", "usec").parse::<u64>().is_ok());
    assert!(stat("set", "usec_per_call").contains('.'));
    // The INCR, the arity error, the unknown command and the unknown subcommand.
    assert_eq!(f["errorstat_ERR"], "count=4");
    assert_eq!(f["errorstat_WRONGTYPE"], "count=1");
    let stats: String = query(&mut con, &["INFO", "stats"]);
    assert_eq!(info_fields(&stats)["total_error_replies"], "5");
}

#[test]
fn config_resetstat_clears_the_counters() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SET", "k", "v"]);
    query_err(&mut con, &["GET"]);
    query::<()>(&mut con, &["CONFIG", "RESETSTAT"]);
    let info: String = query(&mut con, &["INFO", "everything"]);
    let f = info_fields(&info);
    assert!(!f.contains_key("cmdstat_set"), "{info}");
    assert!(!f.contains_key("errorstat_ERR"), "{info}");
    assert_eq!(f["total_error_replies"], "0");
    // CONFIG RESETSTAT itself, and the INFO being answered, at most.
    let processed: u64 = f["total_commands_processed"].parse().unwrap();
    assert!(processed <= 2, "{processed}");
}

/// (parameter, a new value to set, how CONFIG GET shows it) for every parameter CONFIG SET
/// can change.
const SETTABLE: &[(&str, &str, &str)] = &[
    ("protected-mode", "no", "no"),
    ("requirepass", "s3cret", "s3cret"),
    ("acl-pubsub-default", "ALLCHANNELS", "allchannels"),
    ("masterauth", "m4ster", "m4ster"),
    ("masteruser", "replicator", "replicator"),
    ("maxclients", "500", "500"),
    ("timeout", "300", "300"),
    ("tcp-keepalive", "60", "60"),
    ("proto-max-bulk-len", "2mb", "2097152"),
    ("client-query-buffer-limit", "2gb", "2147483648"),
    (
        "client-output-buffer-limit",
        "normal 1mb 2mb 3",
        "normal 1048576 2097152 3 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
    ),
    ("hz", "20", "20"),
    ("active-expire-effort", "5", "5"),
    ("appendonly", "no", "no"),
    ("save", "900 1 300 10", "900 1 300 10"),
    ("rdbcompression", "no", "no"),
    ("stop-writes-on-bgsave-error", "no", "no"),
    ("maxmemory", "1gb", "1073741824"),
    ("maxmemory-policy", "ALLKEYS-LRU", "allkeys-lru"),
    ("maxmemory-samples", "10", "10"),
    ("maxmemory-clients", "5%", "5%"),
    ("repl-backlog-size", "2mb", "2097152"),
    ("activerehashing", "no", "no"),
    ("lazyfree-lazy-user-del", "yes", "yes"),
    ("lazyfree-lazy-user-flush", "yes", "yes"),
    ("hash-max-listpack-entries", "256", "256"),
    ("hash-max-listpack-value", "1kb", "1024"),
    ("set-max-intset-entries", "1024", "1024"),
    ("set-max-listpack-entries", "64", "64"),
    ("set-max-listpack-value", "32", "32"),
    ("zset-max-listpack-entries", "64", "64"),
    ("zset-max-listpack-value", "32", "32"),
    ("list-max-listpack-size", "-3", "-3"),
    ("list-compress-depth", "1", "1"),
    ("stream-node-max-bytes", "8kb", "8192"),
    ("stream-node-max-entries", "200", "200"),
    ("hll-sparse-max-bytes", "4000", "4000"),
    ("slowlog-log-slower-than", "5000", "5000"),
    ("slowlog-max-len", "64", "64"),
    ("latency-monitor-threshold", "100", "100"),
    ("busy-reply-threshold", "1000", "1000"),
    ("notify-keyspace-events", "xlg", "glx"),
    ("replica-read-only", "no", "no"),
    ("replica-serve-stale-data", "no", "no"),
    ("min-replicas-to-write", "1", "1"),
];

/// Parameters that CONFIG SET refuses, with Redis's reason.
const UNSETTABLE: &[(&str, &str)] = &[
    ("databases", "can't set immutable config"),
    ("daemonize", "can't set immutable config"),
    ("cluster-enabled", "can't set immutable config"),
    ("io-threads", "can't set immutable config"),
    ("tcp-backlog", "can't set immutable config"),
    ("unixsocket", "can't set immutable config"),
    ("pidfile", "can't set immutable config"),
    ("logfile", "can't set immutable config"),
    ("appendfilename", "can't set immutable config"),
    ("appenddirname", "can't set immutable config"),
    ("rdbchecksum", "can't set immutable config"),
    ("replicaof", "can't set immutable config"),
    ("dir", "can't set protected config"),
    ("dbfilename", "can't set protected config"),
];

/// Parameters Redis changes at runtime and dredis does not: only their current value is
/// accepted.
const FIXED: &[&str] = &[
    "bind",
    "port",
    "loglevel",
    "appendfsync",
    "tls-port",
    "tls-cert-file",
    "tls-key-file",
    "tls-ca-cert-file",
    "tls-auth-clients",
];

/// Redis 7.2's, not in the reference 7.0.
const NEW_IN_7_2: &[&str] = &["set-max-listpack-entries", "set-max-listpack-value"];

#[test]
fn config_set_then_get_round_trips_every_parameter() {
    let server = Server::start();
    let mut con = server.con();
    let reference = std::env::var_os("DREDIS_TEST_REFERENCE").is_some_and(|v| v != "0");
    for (name, value, shown) in SETTABLE {
        if reference && NEW_IN_7_2.contains(name) {
            continue;
        }
        query::<()>(&mut con, &["CONFIG", "SET", name, value]);
        let got: Vec<String> = query(&mut con, &["CONFIG", "GET", name]);
        assert_eq!(got, [*name, *shown]);
    }
    // Aliases are the same parameter.
    query::<()>(
        &mut con,
        &["CONFIG", "SET", "hash-max-ziplist-entries", "300"],
    );
    let got: Vec<String> = query(&mut con, &["CONFIG", "GET", "hash-max-listpack-entries"]);
    assert_eq!(got[1], "300");
    query::<()>(&mut con, &["CONFIG", "SET", "lua-time-limit", "2000"]);
    let got: Vec<String> = query(&mut con, &["CONFIG", "GET", "busy-reply-threshold"]);
    assert_eq!(got[1], "2000");
    let got: HashMap<String, String> = query(&mut con, &["CONFIG", "GET", "zset-max-*-entries"]);
    assert_eq!(
        got["zset-max-ziplist-entries"],
        got["zset-max-listpack-entries"]
    );
    // hz is capped at 500, as Redis caps it.
    query::<()>(&mut con, &["CONFIG", "SET", "hz", "1000"]);
    let got: Vec<String> = query(&mut con, &["CONFIG", "GET", "hz"]);
    assert_eq!(got[1], "500");
}

#[test]
fn every_parameter_of_dredis_is_covered_by_these_tests() {
    if skip_in_reference(DREDIS_ONLY) {
        return;
    }
    let server = Server::start();
    let mut con = server.con();
    let all: HashMap<String, String> = query(&mut con, &["CONFIG", "GET", "*"]);
    let aliases = [
        "hash-max-ziplist-entries",
        "hash-max-ziplist-value",
        "zset-max-ziplist-entries",
        "zset-max-ziplist-value",
        "list-max-ziplist-size",
        "lua-time-limit",
        "slaveof",
        "slave-read-only",
        "slave-serve-stale-data",
        "min-slaves-to-write",
    ];
    for name in all.keys() {
        let covered = SETTABLE.iter().any(|(n, ..)| n == name)
            || UNSETTABLE.iter().any(|(n, _)| n == name)
            || FIXED.contains(&name.as_str())
            || aliases.contains(&name.as_str());
        assert!(covered, "{name} has no test");
    }
}

#[test]
fn config_set_refuses_immutable_and_protected_parameters() {
    let server = Server::start();
    let mut con = server.con();
    for (name, reason) in UNSETTABLE {
        let current: Vec<String> = query(&mut con, &["CONFIG", "GET", name]);
        assert_eq!(
            query_err(&mut con, &["CONFIG", "SET", name, &current[1]]),
            format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {reason}")
        );
    }
    // The name as the client wrote it.
    assert_eq!(
        query_err(&mut con, &["CONFIG", "SET", "DATABASES", "4"]),
        "ERR CONFIG SET failed (possibly related to argument 'DATABASES') - can't set immutable config"
    );
}

#[test]
fn config_set_of_what_dredis_cannot_change_accepts_only_the_current_value() {
    if skip_in_reference(DREDIS_ONLY) {
        return;
    }
    let server = Server::start();
    let mut con = server.con();
    for name in FIXED {
        let current: Vec<String> = query(&mut con, &["CONFIG", "GET", name]);
        query::<()>(&mut con, &["CONFIG", "SET", name, &current[1]]);
        let other = match *name {
            "bind" => "0.0.0.0",
            "port" | "tls-port" => "1",
            "loglevel" => "warning",
            "appendfsync" => "always",
            "tls-auth-clients" => "optional",
            _ => "/etc/ssl/other.pem",
        };
        let error = query_err(&mut con, &["CONFIG", "SET", name, other]);
        let expected = format!(
            "ERR CONFIG SET failed (possibly related to argument '{name}') - dredis cannot change"
        );
        assert!(error.starts_with(&expected), "{error}");
        let after: Vec<String> = query(&mut con, &["CONFIG", "GET", name]);
        assert_eq!(after, current);
    }
}

/// Keyspace notifications are not published: turning them on is refused at once, instead
/// of leaving a client waiting for events that never come.
#[test]
fn keyspace_notifications_cannot_be_turned_on() {
    if skip_in_reference(DREDIS_ONLY) {
        return;
    }
    let server = Server::start();
    let mut con = server.con();
    for value in ["KEA", "Ex", "Kg"] {
        assert_eq!(
            query_err(
                &mut con,
                &["CONFIG", "SET", "notify-keyspace-events", value]
            ),
            "ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - \
             dredis does not publish keyspace notifications"
        );
    }
    let current: Vec<String> = query(&mut con, &["CONFIG", "GET", "notify-keyspace-events"]);
    assert_eq!(current, ["notify-keyspace-events", ""]);
}

#[test]
fn config_set_of_several_parameters_is_all_or_nothing() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(
        &mut con,
        &["CONFIG", "SET", "timeout", "7", "maxmemory", "1mb"],
    );
    let got: HashMap<String, String> = query(&mut con, &["CONFIG", "GET", "timeout", "maxmemory"]);
    assert_eq!(got["timeout"], "7");
    assert_eq!(got["maxmemory"], "1048576");
    // A bad value anywhere changes nothing.
    assert_eq!(
        query_err(&mut con, &["CONFIG", "SET", "timeout", "9", "maxclients", "0"]),
        "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument must be between 1 and 4294967295 inclusive"
    );
    assert_eq!(
        query_err(&mut con, &["CONFIG", "SET", "timeout", "9", "nosuch", "1"]),
        "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'"
    );
    assert_eq!(
        query_err(&mut con, &["CONFIG", "SET", "timeout", "9", "databases", "2"]),
        "ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config"
    );
    assert_eq!(
        query_err(
            &mut con,
            &["CONFIG", "SET", "timeout", "9", "TIMEOUT", "10"]
        ),
        "ERR CONFIG SET failed (possibly related to argument 'TIMEOUT') - duplicate parameter"
    );
    let got: Vec<String> = query(&mut con, &["CONFIG", "GET", "timeout"]);
    assert_eq!(got[1], "7");
    // A parameter and its alias are not repeats: the last one wins.
    query::<()>(
        &mut con,
        &[
            "CONFIG",
            "SET",
            "hash-max-listpack-entries",
            "5",
            "hash-max-ziplist-entries",
            "6",
        ],
    );
    let got: Vec<String> = query(&mut con, &["CONFIG", "GET", "hash-max-listpack-entries"]);
    assert_eq!(got[1], "6");
}

#[test]
fn config_set_checks_values_as_redis() {
    let server = Server::start();
    let mut con = server.con();
    let failed = |name: &str, reason: &str| {
        format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {reason}")
    };
    let cases: &[(&str, &str, &str)] = &[
        ("protected-mode", "maybe", "argument must be 'yes' or 'no'"),
        ("maxclients", "abc", "argument couldn't be parsed into an integer"),
        ("maxclients", "+10", "argument couldn't be parsed into an integer"),
        ("timeout", "-1", "argument must be between 0 and 2147483647 inclusive"),
        ("maxmemory", "-1", "argument must be a memory value"),
        ("maxmemory", "1x", "argument must be a memory value"),
        ("hash-max-listpack-value", "-1", "argument must be a memory value"),
        ("list-max-listpack-size", "1.5", "argument couldn't be parsed into an integer"),
        ("proto-max-bulk-len", "100", "argument must be between 1048576 and 9223372036854775807 inclusive"),
        ("slowlog-log-slower-than", "-2", "argument must be between -1 and 9223372036854775807 inclusive"),
        ("maxmemory-policy", "sometimes", "argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction"),
        ("save", "1 2 3", "Invalid save parameters"),
        ("save", "0 1", "Invalid save parameters"),
        ("notify-keyspace-events", "Q", "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."),
        ("client-output-buffer-limit", "master 1 2 3", "Invalid client class specified in buffer limit configuration."),
        ("client-output-buffer-limit", "normal 1 2", "Wrong number of arguments in buffer limit configuration."),
        ("client-output-buffer-limit", "normal x 2 3", "Error in hard, soft or soft_seconds setting in buffer limit configuration."),
    ];
    for (name, value, reason) in cases {
        assert_eq!(
            query_err(&mut con, &["CONFIG", "SET", name, value]),
            failed(name, reason),
            "CONFIG SET {name} {value}"
        );
    }
    // Memory units, in any case; `b` is bytes.
    query::<()>(&mut con, &["CONFIG", "SET", "maxmemory", "10B"]);
    let got: Vec<String> = query(&mut con, &["CONFIG", "GET", "maxmemory"]);
    assert_eq!(got[1], "10");
    query::<()>(&mut con, &["CONFIG", "SET", "save", ""]);
    let got: Vec<String> = query(&mut con, &["CONFIG", "GET", "save"]);
    assert_eq!(got[1], "");
    assert_eq!(
        query_err(&mut con, &["CONFIG", "SET", "timeout"]),
        "ERR wrong number of arguments for 'config|set' command"
    );
    assert_eq!(
        query_err(&mut con, &["CONFIG", "SET", "timeout", "1", "maxclients"]),
        "ERR syntax error"
    );
}

#[test]
fn config_set_takes_effect_at_once() {
    let server = Server::start();
    let mut con = server.con();
    // A password: new clients must authenticate, this one stays authenticated.
    query::<()>(&mut con, &["CONFIG", "SET", "requirepass", "s3cret"]);
    assert_eq!(query::<String>(&mut con, &["PING"]), "PONG");
    let mut newcomer = server.raw();
    assert_eq!(
        newcomer.call(&["GET", "k"]),
        "-NOAUTH Authentication required.\r\n"
    );
    assert_eq!(newcomer.call(&["AUTH", "s3cret"]), "+OK\r\n");
    query::<()>(&mut con, &["CONFIG", "SET", "requirepass", ""]);
    let mut free = server.raw();
    assert_eq!(free.call(&["GET", "k"]), "$-1\r\n");
    // Fewer clients: one more is refused.
    query::<()>(&mut con, &["CONFIG", "SET", "maxclients", "3"]);
    let mut refused = server.raw();
    assert_eq!(
        refused.read_to_end(),
        b"-ERR max number of clients reached\r\n"
    );
}

#[test]
fn config_rewrite_needs_a_config_file() {
    let server = Server::start();
    let mut con = server.con();
    assert_eq!(
        query_err(&mut con, &["CONFIG", "REWRITE"]),
        "ERR The server is running without a config file"
    );
}

#[test]
fn config_rewrite_writes_the_changes_into_the_config_file() {
    if skip_in_reference(DREDIS_ONLY) {
        return;
    }
    let dir = tempfile::TempDir::new().unwrap();
    let file = dir.path().join("dredis.conf");
    std::fs::write(
        &file,
        "# my settings\ntimeout 10\ncache-size 8mb\ntimeout 20\n",
    )
    .unwrap();
    let mut server = Server::start_with(&["--config", file.to_str().unwrap()]);
    let mut con = server.con();
    let got: Vec<String> = query(&mut con, &["CONFIG", "GET", "timeout"]);
    assert_eq!(got[1], "20");
    query::<()>(
        &mut con,
        &[
            "CONFIG",
            "SET",
            "timeout",
            "30",
            "maxmemory-policy",
            "allkeys-lru",
            "requirepass",
            "a b",
        ],
    );
    query::<()>(&mut con, &["CONFIG", "REWRITE"]);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.starts_with("# my settings\ntimeout 30\ncache-size 8mb\n"),
        "{text}"
    );
    assert_eq!(text.matches("timeout").count(), 1, "{text}");
    assert!(text.contains("# Generated by CONFIG REWRITE\n"), "{text}");
    assert!(text.contains("\nmaxmemory-policy allkeys-lru\n"), "{text}");
    assert!(text.contains("\nrequirepass \"a b\"\n"), "{text}");
    // The server reads it back.
    drop(con);
    assert!(server.shutdown_with(Some("a b")).success());
    server.restart();
    let mut raw = server.raw();
    assert_eq!(raw.call(&["AUTH", "a b"]), "+OK\r\n");
    assert_eq!(
        raw.call(&["CONFIG", "GET", "maxmemory-policy"]),
        "*2\r\n$16\r\nmaxmemory-policy\r\n$11\r\nallkeys-lru\r\n"
    );
}

/// A RESP2 map reply (a flat array of names and values) by name.
fn map_of(value: &Value) -> HashMap<String, Value> {
    let Value::Array(items) = value else {
        panic!("not a map: {value:?}");
    };
    items
        .chunks(2)
        .map(|pair| match &pair[0] {
            Value::BulkString(name) => (String::from_utf8(name.clone()).unwrap(), pair[1].clone()),
            other => panic!("not a name: {other:?}"),
        })
        .collect()
}

fn text(value: &Value) -> String {
    match value {
        Value::BulkString(b) => String::from_utf8(b.clone()).unwrap(),
        Value::SimpleString(s) => s.clone(),
        other => panic!("not text: {other:?}"),
    }
}

#[test]
fn command_docs_describe_commands_with_their_arguments() {
    let server = Server::start();
    let mut con = server.con();
    let docs: Value = query(&mut con, &["COMMAND", "DOCS", "get", "nosuch", "zadd"]);
    let docs = map_of(&docs);
    assert_eq!(docs.len(), 2, "{docs:?}");
    let get = map_of(&docs["get"]);
    assert_eq!(text(&get["summary"]), "Get the value of a key");
    assert_eq!(text(&get["since"]), "1.0.0");
    assert_eq!(text(&get["group"]), "string");
    assert_eq!(text(&get["complexity"]), "O(1)");
    let Value::Array(args) = &get["arguments"] else {
        panic!("{get:?}");
    };
    let key = map_of(&args[0]);
    assert_eq!(text(&key["name"]), "key");
    assert_eq!(text(&key["type"]), "key");
    // ZADD's pairs are a repeated block; its options optional tokens.
    let zadd = map_of(&docs["zadd"]);
    let Value::Array(args) = &zadd["arguments"] else {
        panic!("{zadd:?}");
    };
    let last = map_of(args.last().unwrap());
    assert_eq!(text(&last["type"]), "block");
    assert_eq!(words(&last["flags"]), ["multiple"]);
    let ch = args
        .iter()
        .map(map_of)
        .find(|a| text(&a["name"]) == "change")
        .or_else(|| {
            args.iter()
                .map(map_of)
                .find(|a| a.get("token").is_some_and(|t| text(t) == "CH"))
        });
    let ch = ch.expect("a CH argument");
    assert_eq!(text(&ch["type"]), "pure-token");
    assert_eq!(words(&ch["flags"]), ["optional"]);
    // Containers list their subcommands by full name.
    let config: Value = query(&mut con, &["COMMAND", "DOCS", "config"]);
    let config = map_of(&map_of(&config)["config"]);
    let subcommands = map_of(&config["subcommands"]);
    assert!(subcommands.contains_key("config|get"), "{subcommands:?}");
    assert_eq!(text(&map_of(&subcommands["config|set"])["group"]), "server");
    // Every command has at least a summary, a version and a group.
    let all: Value = query(&mut con, &["COMMAND", "DOCS"]);
    let all = map_of(&all);
    let count: i64 = query(&mut con, &["COMMAND", "COUNT"]);
    assert_eq!(all.len() as i64, count);
    for (name, doc) in &all {
        let doc = map_of(doc);
        for field in ["summary", "since", "group"] {
            assert!(!text(&doc[field]).is_empty(), "{name} has no {field}");
        }
    }
}

#[test]
fn redis_cli_builds_its_help_from_command_docs() {
    let server = Server::start();
    let out = server.cli_stdin(&[], "help set\nhelp config set\nSET k v\nGET k\n");
    assert!(
        out.contains(
            "key value [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL]"
        ),
        "{out}"
    );
    assert!(
        out.contains("parameter value [parameter value ...]"),
        "{out}"
    );
    assert!(out.contains("Set the string value of a key"), "{out}");
    assert!(out.ends_with("OK\nv\n"), "{out}");
}

#[test]
fn command_getkeysandflags_gives_each_key_with_its_flags() {
    let server = Server::start();
    let mut con = server.con();
    let reply: Value = query(&mut con, &["COMMAND", "GETKEYSANDFLAGS", "GET", "k"]);
    let Value::Array(keys) = reply else {
        panic!("{reply:?}");
    };
    let Value::Array(first) = &keys[0] else {
        panic!("{keys:?}");
    };
    assert_eq!(text(&first[0]), "k");
    assert_eq!(words(&first[1]), ["RO", "access"]);
    let reply: Value = query(
        &mut con,
        &[
            "COMMAND",
            "GETKEYSANDFLAGS",
            "ZUNIONSTORE",
            "d",
            "2",
            "a",
            "b",
            "WEIGHTS",
            "1",
            "2",
        ],
    );
    let Value::Array(keys) = reply else {
        panic!("{reply:?}");
    };
    let names: Vec<String> = keys
        .iter()
        .map(|k| match k {
            Value::Array(pair) => text(&pair[0]),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(names, ["d", "a", "b"]);
    assert_eq!(
        query_err(&mut con, &["COMMAND", "GETKEYSANDFLAGS", "PING", "x"]),
        "ERR The command has no key arguments"
    );
    assert_eq!(
        query_err(&mut con, &["COMMAND", "GETKEYSANDFLAGS", "NOSUCH", "x"]),
        "ERR Invalid command specified"
    );
}

#[test]
fn help_subcommands_answer_as_redis() {
    let server = Server::start();
    let mut con = server.con();
    for (container, line) in [
        ("COMMAND", "DOCS [<command-name> ...]"),
        ("CONFIG", "SET <directive> <value>"),
        ("SLOWLOG", "LEN"),
        ("MEMORY", "USAGE <key> [SAMPLES <count>]"),
    ] {
        let help: Vec<String> = query(&mut con, &[container, "HELP"]);
        assert_eq!(
            help[0],
            format!("{container} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
        );
        assert!(help.contains(&line.to_string()), "{help:?}");
        assert_eq!(help[help.len() - 2..], ["HELP", "    Prints this help."]);
        assert_eq!(
            query_err(&mut con, &[container, "NOSUCH"]),
            format!("ERR unknown subcommand 'NOSUCH'. Try {container} HELP.")
        );
    }
}

#[test]
fn memory_usage_grows_with_the_value() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SET", "small", "x"]);
    query::<()>(&mut con, &["SET", "big", &"x".repeat(100_000)]);
    let small: i64 = query(&mut con, &["MEMORY", "USAGE", "small"]);
    let big: i64 = query(&mut con, &["MEMORY", "USAGE", "big"]);
    assert!(small > 0, "{small}");
    assert!(big >= small + 99_000, "{small} {big}");
    // A collection: more members, more bytes, with any number of samples.
    let members: Vec<String> = (0..300).map(|i| format!("member-{i}")).collect();
    let mut sadd = vec!["SADD", "set", "m"];
    query::<()>(&mut con, &sadd);
    let one: i64 = query(&mut con, &["MEMORY", "USAGE", "set"]);
    sadd.truncate(2);
    sadd.extend(members.iter().map(String::as_str));
    query::<()>(&mut con, &sadd);
    let many: i64 = query(&mut con, &["MEMORY", "USAGE", "set", "SAMPLES", "5"]);
    let all: i64 = query(&mut con, &["MEMORY", "USAGE", "set", "SAMPLES", "0"]);
    assert!(many > one && all > one, "{one} {many} {all}");
    assert_eq!(
        query::<Value>(&mut con, &["MEMORY", "USAGE", "nokey"]),
        Value::Nil
    );
    for (args, error) in [
        (&["SAMPLES", "-1"][..], "ERR syntax error"),
        (
            &["SAMPLES", "x"][..],
            "ERR value is not an integer or out of range",
        ),
        (&["FOO"][..], "ERR syntax error"),
        (&["SAMPLES"][..], "ERR syntax error"),
    ] {
        let mut words = vec!["MEMORY", "USAGE", "small"];
        words.extend(args);
        assert_eq!(query_err(&mut con, &words), error, "{words:?}");
    }
}

/// SLOWLOG GET's entries as (arguments, client name), newest first, after checking their shape.
fn slowlog(con: &mut redis::Connection, count: &str) -> Vec<(Vec<String>, String)> {
    let entries: Vec<Value> = query(con, &["SLOWLOG", "GET", count]);
    entries
        .iter()
        .map(|entry| {
            let Value::Array(fields) = entry else {
                panic!("{entry:?}");
            };
            assert_eq!(fields.len(), 6, "{fields:?}");
            assert!(matches!(fields[0], Value::Int(id) if id >= 0));
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs() as i64;
            assert!(matches!(fields[1], Value::Int(t) if (now - 60..=now + 1).contains(&t)));
            assert!(matches!(fields[2], Value::Int(us) if us >= 0));
            assert!(text(&fields[4]).starts_with("127.0.0.1:"));
            (words(&fields[3]), text(&fields[5]))
        })
        .collect()
}

#[test]
fn slowlog_logs_commands_slower_than_the_threshold() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
    query::<()>(&mut con, &["SLOWLOG", "RESET"]);
    query::<()>(&mut con, &["CLIENT", "SETNAME", "worker"]);
    let long = "y".repeat(200);
    query::<()>(&mut con, &["SET", "k", &long]);
    let entries = slowlog(&mut con, "2");
    assert_eq!(entries.len(), 2);
    let (args, name) = &entries[0];
    assert_eq!(args[..2], ["SET", "k"]);
    assert_eq!(args[2], format!("{}... (72 more bytes)", &long[..128]));
    assert_eq!(name, "worker");
    assert_eq!(entries[1].0, ["CLIENT", "SETNAME", "worker"]);
    // Many arguments: 31 of them, then how many more.
    let many: Vec<String> = (0..40).map(|i| format!("k{i}")).collect();
    let mut del = vec!["DEL"];
    del.extend(many.iter().map(String::as_str));
    query::<()>(&mut con, &del);
    let (args, _) = &slowlog(&mut con, "1")[0];
    assert_eq!(args.len(), 32);
    assert_eq!(args[31], "... (10 more arguments)");
    // Secrets are not kept.
    query::<()>(&mut con, &["CONFIG", "SET", "masterauth", "hush"]);
    let (args, _) = &slowlog(&mut con, "1")[0];
    assert_eq!(args, &["CONFIG", "SET", "masterauth", "(redacted)"]);
    // SLOWLOG LEN, the maximum length, -1 for all.
    let len: i64 = query(&mut con, &["SLOWLOG", "LEN"]);
    assert!(len >= 6, "{len}");
    query::<()>(&mut con, &["CONFIG", "SET", "slowlog-max-len", "3"]);
    assert_eq!(slowlog(&mut con, "-1").len(), 3);
    query::<()>(
        &mut con,
        &["CONFIG", "SET", "slowlog-log-slower-than", "-1"],
    );
    query::<()>(&mut con, &["SLOWLOG", "RESET"]);
    query::<()>(&mut con, &["SET", "k", "v"]);
    assert_eq!(query::<i64>(&mut con, &["SLOWLOG", "LEN"]), 0);
    for bad in ["-2", "x"] {
        assert_eq!(
            query_err(&mut con, &["SLOWLOG", "GET", bad]),
            "ERR count should be greater than or equal to -1"
        );
    }
}

#[test]
fn debug_sleep_delays_only_its_own_client() {
    if skip_in_reference("Redis 7 refuses DEBUG by default, and its DEBUG SLEEP stops every client")
    {
        return;
    }
    let server = Server::start();
    let mut sleeper = server.con();
    let mut other = server.con();
    query::<()>(&mut other, &["SET", "k", "v"]);
    let started = std::time::Instant::now();
    let sleeping = std::thread::spawn(move || {
        query::<()>(&mut sleeper, &["DEBUG", "SLEEP", "0.2"]);
        started.elapsed()
    });
    std::thread::sleep(std::time::Duration::from_millis(50));
    let before = std::time::Instant::now();
    assert_eq!(query::<String>(&mut other, &["GET", "k"]), "v");
    assert_eq!(query::<String>(&mut other, &["PING"]), "PONG");
    assert!(before.elapsed() < std::time::Duration::from_millis(100));
    let slept = sleeping.join().unwrap();
    assert!(
        slept >= std::time::Duration::from_millis(200) && slept < std::time::Duration::from_secs(2),
        "{slept:?}"
    );
    query::<()>(&mut other, &["DEBUG", "SLEEP", "0"]);
    query::<()>(&mut other, &["DEBUG", "LOG", "hello from the test"]);
    for _ in 0..100 {
        if server.log().contains("DEBUG LOG: hello from the test") {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("DEBUG LOG did not reach the log:\n{}", server.log());
}

#[test]
fn role_is_a_master_without_replicas() {
    let server = Server::start();
    let mut con = server.con();
    let reply: (String, i64, Vec<String>) = query(&mut con, &["ROLE"]);
    assert_eq!(reply, ("master".to_string(), 0, Vec::new()));
}

#[test]
fn wait_answers_zero_replicas() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SET", "k", "v"]);
    assert_eq!(query::<i64>(&mut con, &["WAIT", "0", "0"]), 0);
    assert_eq!(query::<i64>(&mut con, &["WAIT", "1", "50"]), 0);
    assert_eq!(
        query_err(&mut con, &["WAIT", "x", "0"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        query_err(&mut con, &["WAIT", "0", "x"]),
        "ERR timeout is not an integer or out of range"
    );
    assert_eq!(
        query_err(&mut con, &["WAIT", "0", "-1"]),
        "ERR timeout is negative"
    );
}

#[test]
fn lastsave_is_a_recent_unix_time() {
    let server = Server::start();
    let mut con = server.con();
    let lastsave: i64 = query(&mut con, &["LASTSAVE"]);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((now - 60..=now).contains(&lastsave), "{lastsave} {now}");
}

#[test]
fn config_maxmemory_clients_and_repl_backlog_size() {
    let server = Server::start();
    let mut con = server.con();
    let get = |con: &mut redis::Connection, name: &str| -> String {
        let pair: Vec<String> = query(con, &["CONFIG", "GET", name]);
        pair[1].clone()
    };
    assert_eq!(get(&mut con, "maxmemory-clients"), "0");
    assert_eq!(get(&mut con, "repl-backlog-size"), "1048576");
    query::<()>(
        &mut con,
        &[
            "CONFIG",
            "SET",
            "maxmemory-clients",
            "10%",
            "repl-backlog-size",
            "10000002",
        ],
    );
    assert_eq!(get(&mut con, "maxmemory-clients"), "10%");
    assert_eq!(get(&mut con, "repl-backlog-size"), "10000002");
    query::<()>(&mut con, &["CONFIG", "SET", "maxmemory-clients", "1mb"]);
    assert_eq!(get(&mut con, "maxmemory-clients"), "1048576");
    // A bad value changes nothing, not even the good ones before it.
    assert_eq!(
        query_err(
            &mut con,
            &[
                "CONFIG",
                "SET",
                "maxmemory",
                "10000001",
                "maxmemory-clients",
                "200%"
            ]
        ),
        "ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - \
         percentage argument must be less or equal to 100"
    );
    assert_eq!(get(&mut con, "maxmemory"), "0");
    assert_eq!(
        query_err(&mut con, &["CONFIG", "SET", "maxmemory-clients", "lots"]),
        "ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - \
         argument must be a memory or percent value"
    );
    assert_eq!(get(&mut con, "maxmemory-clients"), "1048576");
}
