//! Connection commands: PING, ECHO, SELECT, QUIT, AUTH, HELLO, CLIENT.

mod common;

use common::{query, query_err, resp, Server};
use redis::Value;

const NOAUTH: &str = "-NOAUTH Authentication required.\r\n";
const WRONGPASS: &str = "-WRONGPASS invalid username-password pair or user is disabled.\r\n";

#[test]
fn ping_replies_pong_or_the_message() {
    let server = Server::start();
    let mut con = server.con();
    assert_eq!(
        query::<Value>(&mut con, &["PING"]),
        Value::SimpleString("PONG".into())
    );
    assert_eq!(
        query::<Value>(&mut con, &["PING", "hello world"]),
        Value::BulkString(b"hello world".to_vec())
    );
    assert_eq!(
        query_err(&mut con, &["PING", "a", "b"]),
        "ERR wrong number of arguments for 'ping' command"
    );
}

#[test]
fn echo_replies_the_message() {
    let server = Server::start();
    let mut con = server.con();
    assert_eq!(query::<String>(&mut con, &["ECHO", "hi there"]), "hi there");
    assert_eq!(query::<String>(&mut con, &["ECHO", ""]), "");
    let arity = "ERR wrong number of arguments for 'echo' command";
    assert_eq!(query_err(&mut con, &["ECHO"]), arity);
    assert_eq!(query_err(&mut con, &["ECHO", "a", "b"]), arity);
}

#[test]
fn select_switches_the_database_of_the_connection() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SET", "k", "in0"]);
    assert_eq!(query::<Value>(&mut con, &["SELECT", "15"]), Value::Okay);
    assert_eq!(query::<Value>(&mut con, &["GET", "k"]), Value::Nil);
    query::<()>(&mut con, &["SET", "k", "in15"]);
    assert_eq!(query::<i64>(&mut con, &["DBSIZE"]), 1);
    // Another connection starts in database 0.
    let mut other = server.con();
    assert_eq!(query::<String>(&mut other, &["GET", "k"]), "in0");
    query::<()>(&mut con, &["SELECT", "0"]);
    assert_eq!(query::<String>(&mut con, &["GET", "k"]), "in0");
}

#[test]
fn select_out_of_range_or_not_a_number_is_an_error() {
    let server = Server::start();
    let mut con = server.con();
    let range = "ERR DB index is out of range";
    assert_eq!(query_err(&mut con, &["SELECT", "16"]), range);
    assert_eq!(query_err(&mut con, &["SELECT", "-1"]), range);
    assert_eq!(query_err(&mut con, &["SELECT", "2147483647"]), range);
    assert_eq!(
        query_err(&mut con, &["SELECT", "2147483648"]),
        "ERR value is out of range, value must between -2147483648 and 2147483647"
    );
    assert_eq!(
        query_err(&mut con, &["SELECT", "abc"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        query_err(&mut con, &["SELECT", "1", "2"]),
        "ERR wrong number of arguments for 'select' command"
    );
}

#[test]
fn select_honours_the_databases_flag() {
    let server = Server::start_with(&["--databases", "2"]);
    let mut con = server.con();
    assert_eq!(query::<Value>(&mut con, &["SELECT", "1"]), Value::Okay);
    assert_eq!(
        query_err(&mut con, &["SELECT", "2"]),
        "ERR DB index is out of range"
    );
}

#[test]
fn quit_replies_ok_and_closes_the_connection() {
    let server = Server::start();
    let mut raw = server.raw();
    // Requests after QUIT in the same write are not run.
    raw.send(b"*1\r\n$4\r\nQUIT\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n");
    assert_eq!(raw.read_to_end(), b"+OK\r\n");
    let mut con = server.con();
    assert_eq!(query::<i64>(&mut con, &["EXISTS", "k"]), 0);
}

#[test]
fn auth_without_a_configured_password() {
    let server = Server::start();
    let mut con = server.con();
    assert_eq!(
        query_err(&mut con, &["AUTH", "pw"]),
        "ERR AUTH <password> called without any password configured for the default user. \
         Are you sure your configuration is correct?"
    );
    // The default user accepts any password when it has none.
    assert_eq!(
        query::<Value>(&mut con, &["AUTH", "default", "pw"]),
        Value::Okay
    );
    assert_eq!(
        query_err(&mut con, &["AUTH", "nobody", "pw"]),
        "WRONGPASS invalid username-password pair or user is disabled."
    );
    assert_eq!(
        query_err(&mut con, &["AUTH", "a", "b", "c"]),
        "ERR syntax error"
    );
    assert_eq!(
        query_err(&mut con, &["AUTH"]),
        "ERR wrong number of arguments for 'auth' command"
    );
}

#[test]
fn requirepass_answers_noauth_until_auth() {
    let server = Server::start_with(&["--requirepass", "secret"]);
    let mut raw = server.raw();
    assert_eq!(raw.call(&["PING"]), NOAUTH);
    assert_eq!(raw.call(&["GET", "k"]), NOAUTH);
    assert_eq!(raw.call(&["SELECT", "1"]), NOAUTH);
    assert_eq!(raw.call(&["CLIENT", "ID"]), NOAUTH);
    // Unknown commands and arity errors come before authentication, as in Redis.
    assert_eq!(
        raw.call(&["NOSUCH"]),
        "-ERR unknown command 'NOSUCH', with args beginning with: \r\n"
    );
    assert_eq!(raw.call(&["AUTH", "wrong"]), WRONGPASS);
    assert_eq!(raw.call(&["AUTH", "default", "wrong"]), WRONGPASS);
    assert_eq!(raw.call(&["AUTH", "other", "secret"]), WRONGPASS);
    assert_eq!(raw.call(&["PING"]), NOAUTH);
    assert_eq!(raw.call(&["AUTH", "secret"]), "+OK\r\n");
    assert_eq!(raw.call(&["PING"]), "+PONG\r\n");

    let mut raw = server.raw();
    assert_eq!(raw.call(&["AUTH", "default", "secret"]), "+OK\r\n");
    assert_eq!(raw.call(&["SET", "k", "v"]), "+OK\r\n");
}

#[test]
fn requirepass_lets_quit_through_before_auth() {
    let server = Server::start_with(&["--requirepass", "secret"]);
    let mut raw = server.raw();
    raw.send(b"QUIT\r\n");
    assert_eq!(raw.read_to_end(), b"+OK\r\n");
}

#[test]
fn requirepass_through_the_redis_crate() {
    let server = Server::start_with(&["--requirepass", "secret"]);
    let mut con = server.con();
    assert_eq!(
        query_err(&mut con, &["GET", "k"]),
        "NOAUTH Authentication required."
    );
    let url = format!("redis://:secret@127.0.0.1:{}/", server.port);
    let mut con = redis::Client::open(url).unwrap().get_connection().unwrap();
    assert_eq!(query::<Value>(&mut con, &["SET", "k", "v"]), Value::Okay);
}

/// HELLO's map, in the order Redis sends it, in RESP3 or (as a flat array) RESP2.
fn hello_reply(resp3: bool, proto: u8, id: i64, version: &str) -> String {
    let fields = [
        ("server", "$5\r\nredis\r\n".to_string()),
        ("version", format!("${}\r\n{version}\r\n", version.len())),
        ("proto", format!(":{proto}\r\n")),
        ("id", format!(":{id}\r\n")),
        ("mode", "$10\r\nstandalone\r\n".to_string()),
        ("role", "$6\r\nmaster\r\n".to_string()),
        ("modules", "*0\r\n".to_string()),
    ];
    let mut out = if resp3 { "%7\r\n" } else { "*14\r\n" }.to_string();
    for (name, value) in fields {
        out.push_str(&format!("${}\r\n{name}\r\n{value}", name.len()));
    }
    out
}

fn client_id(raw: &mut common::Raw) -> i64 {
    let reply = raw.call(&["CLIENT", "ID"]);
    reply[1..reply.len() - 2].parse().unwrap()
}

fn redis_version(server: &Server) -> String {
    let info: String = query(&mut server.con(), &["INFO", "server"]);
    let line = info.lines().find(|l| l.starts_with("redis_version:"));
    line.unwrap()["redis_version:".len()..].to_string()
}

#[test]
fn hello_3_switches_to_resp3_and_replies_with_a_map() {
    let server = Server::start();
    let version = redis_version(&server);
    let mut raw = server.raw();
    let id = client_id(&mut raw);
    assert_eq!(
        raw.call(&["HELLO", "3"]),
        hello_reply(true, 3, id, &version)
    );
    // Replies now use RESP3 types.
    assert_eq!(raw.call(&["HSET", "h", "f", "v"]), ":1\r\n");
    assert_eq!(raw.call(&["HGETALL", "h"]), "%1\r\n$1\r\nf\r\n$1\r\nv\r\n");
    assert_eq!(raw.call(&["SADD", "s", "m"]), ":1\r\n");
    assert_eq!(raw.call(&["SMEMBERS", "s"]), "~1\r\n$1\r\nm\r\n");
    assert_eq!(raw.call(&["GET", "nokey"]), "_\r\n");
    assert_eq!(
        raw.call(&["CONFIG", "GET", "databases"]),
        "%1\r\n$9\r\ndatabases\r\n$2\r\n16\r\n"
    );
    // HELLO 2 goes back.
    assert_eq!(
        raw.call(&["HELLO", "2"]),
        hello_reply(false, 2, id, &version)
    );
    assert_eq!(raw.call(&["GET", "nokey"]), "$-1\r\n");
    assert_eq!(raw.call(&["HGETALL", "h"]), "*2\r\n$1\r\nf\r\n$1\r\nv\r\n");
    // HELLO without a version describes the current protocol.
    assert_eq!(raw.call(&["HELLO"]), hello_reply(false, 2, id, &version));
}

#[test]
fn hello_errors() {
    let server = Server::start();
    let mut raw = server.raw();
    assert_eq!(
        raw.call(&["HELLO", "4"]),
        "-NOPROTO unsupported protocol version\r\n"
    );
    assert_eq!(
        raw.call(&["HELLO", "1"]),
        "-NOPROTO unsupported protocol version\r\n"
    );
    assert_eq!(
        raw.call(&["HELLO", "abc"]),
        "-ERR Protocol version is not an integer or out of range\r\n"
    );
    assert_eq!(
        raw.call(&["HELLO", "3", "foo"]),
        "-ERR Syntax error in HELLO option 'foo'\r\n"
    );
    // AUTH needs two words after it, SETNAME one.
    assert_eq!(
        raw.call(&["HELLO", "3", "AUTH", "default"]),
        "-ERR Syntax error in HELLO option 'AUTH'\r\n"
    );
    assert_eq!(
        raw.call(&["HELLO", "3", "setname"]),
        "-ERR Syntax error in HELLO option 'setname'\r\n"
    );
    assert_eq!(
        raw.call(&["HELLO", "3", "SETNAME", "a b"]),
        "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"
    );
    // Nothing changed: still RESP2.
    assert_eq!(raw.call(&["GET", "nokey"]), "$-1\r\n");
}

#[test]
fn hello_setname_names_the_client() {
    let server = Server::start();
    let mut raw = server.raw();
    assert!(raw
        .call(&["HELLO", "2", "SETNAME", "worker-1"])
        .starts_with("*14\r\n"));
    assert_eq!(raw.call(&["CLIENT", "GETNAME"]), "$8\r\nworker-1\r\n");
}

#[test]
fn hello_with_requirepass() {
    let server = Server::start_with(&["--requirepass", "secret"]);
    let version = redis_version_with_password(&server);
    let mut raw = server.raw();
    assert_eq!(
        raw.call(&["HELLO", "3"]),
        "-NOAUTH HELLO must be called with the client already authenticated, otherwise the \
         HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and \
         select the RESP protocol version at the same time\r\n"
    );
    assert_eq!(
        raw.call(&["HELLO", "3", "AUTH", "default", "wrong"]),
        WRONGPASS
    );
    // Every option is checked before the password (Redis 7.2).
    assert_eq!(
        raw.call(&["HELLO", "3", "AUTH", "default", "wrong", "foo"]),
        "-ERR Syntax error in HELLO option 'foo'\r\n"
    );
    assert_eq!(raw.call(&["PING"]), NOAUTH);
    let reply = raw.call(&["HELLO", "3", "AUTH", "default", "secret", "SETNAME", "me"]);
    assert!(reply.starts_with("%7\r\n"), "{reply}");
    assert!(reply.contains(&version));
    assert_eq!(raw.call(&["PING"]), "+PONG\r\n");
    assert_eq!(raw.call(&["CLIENT", "GETNAME"]), "$2\r\nme\r\n");
}

fn redis_version_with_password(server: &Server) -> String {
    let mut raw = server.raw();
    raw.call(&["AUTH", "secret"]);
    let info = raw.call(&["INFO", "server"]);
    let line = info.lines().find(|l| l.starts_with("redis_version:"));
    line.unwrap()["redis_version:".len()..].to_string()
}

#[test]
fn client_setname_and_getname() {
    let server = Server::start();
    let mut con = server.con();
    assert_eq!(query::<Value>(&mut con, &["CLIENT", "GETNAME"]), Value::Nil);
    assert_eq!(
        query::<Value>(&mut con, &["CLIENT", "SETNAME", "worker-1"]),
        Value::Okay
    );
    assert_eq!(
        query::<String>(&mut con, &["CLIENT", "GETNAME"]),
        "worker-1"
    );
    // An empty name removes it.
    query::<()>(&mut con, &["CLIENT", "SETNAME", ""]);
    assert_eq!(query::<Value>(&mut con, &["CLIENT", "GETNAME"]), Value::Nil);
    for bad in ["a b", "new\nline", "caf\u{e9}"] {
        assert_eq!(
            query_err(&mut con, &["CLIENT", "SETNAME", bad]),
            "ERR Client names cannot contain spaces, newlines or special characters."
        );
    }
    assert_eq!(
        query_err(&mut con, &["CLIENT", "SETNAME"]),
        "ERR wrong number of arguments for 'client|setname' command"
    );
}

#[test]
fn client_id_is_unique_per_connection() {
    let server = Server::start();
    let a: i64 = query(&mut server.con(), &["CLIENT", "ID"]);
    let mut con = server.con();
    let b: i64 = query(&mut con, &["CLIENT", "ID"]);
    assert!(a > 0 && b > a, "ids {a} then {b}");
    assert_eq!(query::<i64>(&mut con, &["CLIENT", "ID"]), b);
}

#[test]
fn client_setinfo_sets_library_name_and_version() {
    let server = Server::start();
    let mut con = server.con();
    assert_eq!(
        query::<Value>(&mut con, &["CLIENT", "SETINFO", "LIB-NAME", "mylib"]),
        Value::Okay
    );
    assert_eq!(
        query::<Value>(&mut con, &["CLIENT", "SETINFO", "lib-ver", "1.2.3"]),
        Value::Okay
    );
    let info: String = query(&mut con, &["CLIENT", "INFO"]);
    assert!(info.contains(" lib-name=mylib lib-ver=1.2.3"), "{info}");
    assert_eq!(
        query_err(&mut con, &["CLIENT", "SETINFO", "foo", "1"]),
        "ERR Unrecognized option 'foo'"
    );
    assert_eq!(
        query_err(&mut con, &["CLIENT", "SETINFO", "lib-name", "a b"]),
        "ERR lib-name cannot contain spaces, newlines or special characters."
    );
    assert_eq!(
        query_err(&mut con, &["CLIENT", "SETINFO", "lib-name"]),
        "ERR wrong number of arguments for 'client|setinfo' command"
    );
}

/// The `name=value` fields of a CLIENT LIST / CLIENT INFO line.
fn fields(line: &str) -> std::collections::HashMap<String, String> {
    line.split_whitespace()
        .filter_map(|f| f.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn client_info_describes_this_connection() {
    let server = Server::start();
    let mut con = server.con();
    let id: i64 = query(&mut con, &["CLIENT", "ID"]);
    query::<()>(&mut con, &["CLIENT", "SETNAME", "me"]);
    query::<()>(&mut con, &["SELECT", "3"]);
    let info: String = query(&mut con, &["CLIENT", "INFO"]);
    assert!(info.ends_with('\n'));
    assert_eq!(info.lines().count(), 1);
    let f = fields(&info);
    assert_eq!(f["id"], id.to_string());
    assert_eq!(f["name"], "me");
    assert_eq!(f["db"], "3");
    assert_eq!(f["cmd"], "client|info");
    assert_eq!(f["resp"], "2");
    assert!(f["addr"].starts_with("127.0.0.1:"));
    assert_eq!(f["laddr"], format!("127.0.0.1:{}", server.port));
}

#[test]
fn client_list_has_a_line_per_connection() {
    let server = Server::start();
    let mut a = server.con();
    let mut b = server.con();
    query::<()>(&mut a, &["CLIENT", "SETNAME", "first"]);
    query::<()>(&mut b, &["CLIENT", "SETNAME", "second"]);
    let id_a: i64 = query(&mut a, &["CLIENT", "ID"]);
    let id_b: i64 = query(&mut b, &["CLIENT", "ID"]);
    let list: String = query(&mut a, &["CLIENT", "LIST"]);
    // In id order; the harness's own probe connection may not be gone yet.
    let lines: Vec<_> = list
        .lines()
        .map(fields)
        .filter(|f| f["id"] == id_a.to_string() || f["id"] == id_b.to_string())
        .collect();
    assert_eq!(lines.len(), 2, "{list}");
    assert_eq!(lines[0]["name"], "first");
    assert_eq!(lines[0]["cmd"], "client|list");
    assert_eq!(lines[1]["name"], "second");
    assert_eq!(lines[1]["cmd"], "client|id");
    assert_eq!(
        query_err(&mut a, &["CLIENT", "LIST", "foo"]),
        "ERR syntax error"
    );
    drop(b);
    // The closed connection leaves the list (it may take a moment to be noticed).
    for _ in 0..100 {
        let list: String = query(&mut a, &["CLIENT", "LIST"]);
        if !list.contains(&format!("id={id_b} ")) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("the closed connection is still listed");
}

#[test]
fn client_list_filters_by_type_and_id() {
    let server = Server::start();
    let mut a = server.con();
    let mut b = server.con();
    let id_a: i64 = query(&mut a, &["CLIENT", "ID"]);
    let id_b: i64 = query(&mut b, &["CLIENT", "ID"]);
    let ids =
        |list: String| -> Vec<String> { list.lines().map(|l| fields(l)["id"].clone()).collect() };
    let normal = ids(query(&mut a, &["CLIENT", "LIST", "TYPE", "normal"]));
    assert!(normal.contains(&id_a.to_string()) && normal.contains(&id_b.to_string()));
    let pubsub: String = query(&mut a, &["CLIENT", "LIST", "TYPE", "pubsub"]);
    assert_eq!(pubsub, "");
    // In the order asked, repeated ids twice, unknown ids skipped.
    let by_id: String = query(
        &mut a,
        &[
            "CLIENT",
            "LIST",
            "ID",
            &id_b.to_string(),
            "999999",
            &id_a.to_string(),
            &id_b.to_string(),
        ],
    );
    assert_eq!(ids(by_id), [id_b, id_a, id_b].map(|i| i.to_string()));
    assert_eq!(
        query_err(&mut a, &["CLIENT", "LIST", "TYPE", "foo"]),
        "ERR Unknown client type 'foo'"
    );
    assert_eq!(
        query_err(&mut a, &["CLIENT", "LIST", "ID", "abc"]),
        "ERR Invalid client ID"
    );
    assert_eq!(
        query_err(&mut a, &["CLIENT", "LIST", "ID"]),
        "ERR syntax error"
    );
}

#[test]
fn client_errors() {
    let server = Server::start();
    let mut con = server.con();
    assert_eq!(
        query_err(&mut con, &["CLIENT"]),
        "ERR wrong number of arguments for 'client' command"
    );
    assert_eq!(
        query_err(&mut con, &["CLIENT", "FOO"]),
        "ERR unknown subcommand 'FOO'. Try CLIENT HELP."
    );
    assert_eq!(
        query_err(&mut con, &["CLIENT", "ID", "x"]),
        "ERR wrong number of arguments for 'client|id' command"
    );
}

#[test]
fn maxclients_refuses_one_client_too_many() {
    let server = Server::start_with(&["--maxclients", "2"]);
    let mut first = server.raw();
    // Wait until the harness's probe connection is gone: `first` is then alone.
    while first.call(&["CLIENT", "LIST"]).matches(" addr=").count() > 1 {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let mut second = server.raw();
    assert_eq!(second.call(&["PING"]), "+PONG\r\n");
    let mut third = server.raw();
    assert_eq!(
        third.read_to_end(),
        b"-ERR max number of clients reached\r\n"
    );
    drop(second);
    // The freed place is taken again (once the server has noticed the close).
    for _ in 0..100 {
        let mut again = server.raw();
        again.send(common::resp(&["PING"]));
        if again.reply() == "+PONG\r\n" {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("the freed client slot was not reused");
}

#[test]
fn ping_echo_and_text_replies_in_resp3() {
    let server = Server::start();
    let mut raw = server.raw();
    raw.call(&["HELLO", "3"]);
    assert_eq!(raw.call(&["PING"]), "+PONG\r\n");
    assert_eq!(raw.call(&["PING", "hi"]), "$2\r\nhi\r\n");
    assert_eq!(raw.call(&["ECHO", "hi"]), "$2\r\nhi\r\n");
    // INFO and CLIENT INFO are verbatim text in RESP3.
    let info = raw.call(&["INFO", "server"]);
    assert!(
        info.starts_with('=') && info.contains("\r\ntxt:# Server\r\n"),
        "{info}"
    );
    let client = raw.call(&["CLIENT", "INFO"]);
    assert!(
        client.starts_with('=') && client.contains("txt:id="),
        "{client}"
    );
}

#[test]
fn client_no_evict_and_no_touch_show_as_flags() {
    let server = Server::start();
    let mut con = server.con();
    let flags = |con: &mut redis::Connection| -> String {
        let info: String = query(con, &["CLIENT", "INFO"]);
        fields(&info)["flags"].clone()
    };
    assert_eq!(flags(&mut con), "N");
    assert_eq!(
        query::<Value>(&mut con, &["CLIENT", "NO-EVICT", "on"]),
        Value::Okay
    );
    assert_eq!(flags(&mut con), "e");
    query::<()>(&mut con, &["CLIENT", "NO-EVICT", "OFF"]);
    assert_eq!(flags(&mut con), "N");
    assert_eq!(
        query_err(&mut con, &["CLIENT", "NO-EVICT", "maybe"]),
        "ERR syntax error"
    );
    assert_eq!(
        query_err(&mut con, &["CLIENT", "NO-EVICT"]),
        "ERR wrong number of arguments for 'client|no-evict' command"
    );
    if std::env::var_os("DREDIS_TEST_REFERENCE").is_some() {
        return; // CLIENT NO-TOUCH is new in Redis 7.2; the reference server is 7.0.
    }
    query::<()>(&mut con, &["CLIENT", "NO-TOUCH", "on"]);
    query::<()>(&mut con, &["CLIENT", "NO-EVICT", "on"]);
    assert_eq!(flags(&mut con), "eT");
    query::<()>(&mut con, &["CLIENT", "NO-TOUCH", "off"]);
    assert_eq!(flags(&mut con), "e");
    assert_eq!(
        query_err(&mut con, &["CLIENT", "NO-TOUCH", "x"]),
        "ERR syntax error"
    );
}

#[test]
fn client_help_lists_the_subcommands() {
    let server = Server::start();
    let mut con = server.con();
    let help: Vec<String> = query(&mut con, &["CLIENT", "HELP"]);
    assert_eq!(
        help[0],
        "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    );
    for line in [
        "GETNAME",
        "ID",
        "INFO",
        "SETNAME <name>",
        "NO-EVICT (ON|OFF)",
    ] {
        assert!(help.contains(&line.to_string()), "no {line} in {help:?}");
    }
    assert_eq!(help[help.len() - 2..], ["HELP", "    Prints this help."]);
}

#[test]
fn client_list_reports_the_query_buffer_and_memory() {
    let server = Server::start();
    let mut con = server.con();
    let info: String = query(&mut con, &["CLIENT", "INFO"]);
    let f = fields(&info);
    for name in [
        "age",
        "idle",
        "qbuf",
        "qbuf-free",
        "argv-mem",
        "tot-mem",
        "omem",
        "db",
        "resp",
    ] {
        f[name]
            .parse::<u64>()
            .unwrap_or_else(|_| panic!("{name}={} in {info}", f[name]));
    }
    assert!(f["tot-mem"].parse::<u64>().unwrap() > 0, "{info}");
    assert!(f["qbuf-free"].parse::<u64>().unwrap() > 0, "{info}");
    assert_eq!(f["idle"], "0");
    // The request being run is in the buffer: *2\r\n$6\r\nCLIENT\r\n$4\r\nINFO\r\n.
    assert_eq!(f["qbuf"], "26");
}

#[test]
fn timeout_closes_idle_clients() {
    let server = Server::start();
    query::<()>(&mut server.con(), &["CONFIG", "SET", "timeout", "1"]);
    let mut idle = server.raw();
    assert_eq!(idle.call(&["PING"]), "+PONG\r\n");
    let started = std::time::Instant::now();
    // A client that keeps talking stays.
    let mut busy = server.raw();
    while started.elapsed() < std::time::Duration::from_millis(2500) {
        assert_eq!(busy.call(&["PING"]), "+PONG\r\n");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    // The idle one was closed, without a reply, after a second or so.
    assert_eq!(idle.read_to_end(), b"");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn client_reply_off_skip_and_on() {
    let server = Server::start();
    let mut raw = server.raw();
    // OFF and SKIP are not answered; the commands after OFF are not either.
    raw.send(resp(&["CLIENT", "REPLY", "OFF"]));
    raw.send(resp(&["SET", "k", "v"]));
    raw.send(resp(&["PING", "silenced"]));
    assert_eq!(raw.call(&["CLIENT", "REPLY", "ON"]), "+OK\r\n");
    assert_eq!(raw.call(&["GET", "k"]), "$1\r\nv\r\n");
    raw.send(resp(&["CLIENT", "REPLY", "SKIP"]));
    raw.send(resp(&["PING", "skipped"]));
    assert_eq!(raw.call(&["PING", "sent"]), "$4\r\nsent\r\n");
    // ON clears a pending SKIP.
    raw.send(resp(&["CLIENT", "REPLY", "SKIP"]));
    assert_eq!(raw.call(&["CLIENT", "REPLY", "ON"]), "+OK\r\n");
    assert_eq!(raw.call(&["PING"]), "+PONG\r\n");
    // Errors are silenced too; a bad mode is a syntax error.
    raw.send(resp(&["CLIENT", "REPLY", "SKIP"]));
    raw.send(resp(&["INCR", "k"]));
    assert_eq!(
        raw.call(&["CLIENT", "REPLY", "MAYBE"]),
        "-ERR syntax error\r\n"
    );
}

#[test]
fn client_reply_off_still_sends_pubsub_frames() {
    let server = Server::start();
    let mut sub = server.raw();
    sub.send(resp(&["CLIENT", "REPLY", "OFF"]));
    assert_eq!(
        sub.call(&["SUBSCRIBE", "ch"]),
        "*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n"
    );
    let mut con = server.con();
    assert_eq!(query::<i64>(&mut con, &["PUBLISH", "ch", "hi"]), 1);
    assert_eq!(
        sub.reply(),
        "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n"
    );
}

/// The query buffer of the client named `name` (qbuf + qbuf-free), as another client sees it.
fn query_buffer(con: &mut redis::Connection, name: &str) -> u64 {
    let list: String = query(con, &["CLIENT", "LIST"]);
    let line = list
        .lines()
        .find(|l| l.contains(&format!(" name={name} ")))
        .expect("the client is listed");
    let f = fields(line);
    f["qbuf"].parse::<u64>().unwrap() + f["qbuf-free"].parse::<u64>().unwrap()
}

#[test]
fn the_query_buffer_is_freed_when_idle_and_shrinks_after_a_big_request() {
    let server = Server::start();
    let mut con = server.con();
    let mut client = server.con();
    query::<()>(&mut client, &["CLIENT", "SETNAME", "c"]);
    // A read asks for 16 KiB, as Redis's PROTO_IOBUF_LEN.
    let size = query_buffer(&mut con, "c");
    assert!((16384..32768).contains(&size), "{size}");
    // Idle for 2 seconds: freed.
    let started = std::time::Instant::now();
    while query_buffer(&mut con, "c") != 0 {
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    query::<()>(&mut client, &["SET", "x", &"A".repeat(400_000)]);
    let big = query_buffer(&mut con, "c");
    assert!(big > 32768, "{big}");
    // Small requests afterwards (at least one: on a slow machine the buffer may have shrunk
    // already): it shrinks, but not to nothing.
    let started = std::time::Instant::now();
    loop {
        query::<()>(&mut client, &["SET", "x", "small"]);
        if query_buffer(&mut con, "c") < big {
            break;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(query_buffer(&mut con, "c") > 0);
    assert_eq!(query::<String>(&mut client, &["GET", "x"]), "small");
}
