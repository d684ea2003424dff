//! ACL users: ACL SETUSER / GETUSER / DELUSER / LIST / USERS / WHOAMI / CAT / DRYRUN / SAVE /
//! LOAD, AUTH and HELLO AUTH as a user, the permission check of every command (at dispatch,
//! in MULTI/EXEC and in scripts), and the default user's tie to `requirepass`.
//!
//! The expected texts are Redis 7.2's (`-NOPERM User alice has no permissions to run the
//! 'set' command`, `user default on nopass sanitize-payload ~* &* +@all`).

mod common;

use common::{err, query, Raw, Server};
use redis::Value;

/// SHA-256 of "pw", as ACL GETUSER and ACL LIST show the password.
const PW_HASH: &str = "30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4";
const WRONGPASS: &str = "-WRONGPASS invalid username-password pair or user is disabled.\r\n";

/// `*N` and the bulk strings of `items`, as RESP2 writes an array of them.
fn bulks(items: &[&str]) -> String {
    let mut out = format!("*{}\r\n", items.len());
    for item in items {
        out.push_str(&format!("${}\r\n{item}\r\n", item.len()));
    }
    out
}

/// A connection logged in as `user` with password `pw`.
fn login(server: &Server, user: &str) -> Raw {
    let mut raw = server.raw();
    assert_eq!(raw.call(&["AUTH", user, "pw"]), "+OK\r\n");
    raw
}

#[test]
fn connections_start_as_the_default_user_with_every_permission() {
    let server = Server::start();
    let mut raw = server.raw();
    assert_eq!(raw.call(&["ACL", "WHOAMI"]), "$7\r\ndefault\r\n");
    assert_eq!(
        raw.call(&["ACL", "LIST"]),
        bulks(&["user default on nopass sanitize-payload ~* &* +@all"])
    );
    assert_eq!(raw.call(&["ACL", "USERS"]), bulks(&["default"]));
    let list = raw.call(&["CLIENT", "LIST"]);
    assert!(list.contains(" user=default "), "{list}");
}

#[test]
fn setuser_getuser_list_users_and_deluser_have_redis_shapes() {
    let server = Server::start();
    let mut raw = server.raw();
    assert_eq!(
        raw.call(&["ACL", "SETUSER", "alice", "on", ">pw", "~foo:*", "+get"]),
        "+OK\r\n"
    );
    let getuser = format!(
        "*12\r\n$5\r\nflags\r\n*2\r\n$2\r\non\r\n$16\r\nsanitize-payload\r\n\
         $9\r\npasswords\r\n*1\r\n$64\r\n{PW_HASH}\r\n\
         $8\r\ncommands\r\n$10\r\n-@all +get\r\n$4\r\nkeys\r\n$6\r\n~foo:*\r\n\
         $8\r\nchannels\r\n$0\r\n\r\n$9\r\nselectors\r\n*0\r\n"
    );
    assert_eq!(raw.call(&["ACL", "GETUSER", "alice"]), getuser);
    assert_eq!(
        raw.call(&["ACL", "LIST"]),
        bulks(&[
            &format!("user alice on sanitize-payload #{PW_HASH} ~foo:* resetchannels -@all +get"),
            "user default on nopass sanitize-payload ~* &* +@all",
        ])
    );
    assert_eq!(raw.call(&["ACL", "USERS"]), bulks(&["alice", "default"]));
    // RESP3: a map, the flags a set.
    assert!(raw.call(&["HELLO", "3"]).starts_with('%'));
    let resp3 = raw.call(&["ACL", "GETUSER", "alice"]);
    assert!(
        resp3.starts_with("%6\r\n$5\r\nflags\r\n~2\r\n$2\r\non\r\n"),
        "{resp3}"
    );
    assert_eq!(raw.call(&["ACL", "GETUSER", "nobody"]), "_\r\n");
    assert_eq!(raw.call(&["ACL", "DELUSER", "alice", "nobody"]), ":1\r\n");
    assert_eq!(raw.call(&["ACL", "DELUSER", "alice"]), ":0\r\n");
    assert_eq!(
        raw.call(&["ACL", "DELUSER", "default"]),
        "-ERR The 'default' user cannot be removed\r\n"
    );
}

#[test]
fn new_users_start_off_and_reset_returns_to_that() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["ACL", "SETUSER", "bob"]);
    let fresh: Vec<String> = query(&mut con, &["ACL", "LIST"]);
    assert_eq!(
        fresh[0],
        "user bob off sanitize-payload resetchannels -@all"
    );
    query::<()>(
        &mut con,
        &["ACL", "SETUSER", "bob", "on", "nopass", "~*", "&*", "+@all"],
    );
    query::<()>(&mut con, &["ACL", "SETUSER", "bob", "reset"]);
    let reset: Vec<String> = query(&mut con, &["ACL", "LIST"]);
    assert_eq!(reset, fresh);
}

#[test]
fn setuser_errors_are_redis_texts_and_change_nothing() {
    let server = Server::start();
    let mut con = server.con();
    let cases: &[(&[&str], &str)] = &[
        (&["badrule"], "ERR Error in ACL SETUSER modifier 'badrule': Syntax error"),
        (
            &["on", "+nosuchcommand"],
            "ERR Error in ACL SETUSER modifier '+nosuchcommand': Unknown command or category name in ACL",
        ),
        (
            &["-@nosuchcategory"],
            "ERR Error in ACL SETUSER modifier '-@nosuchcategory': Unknown command or category name in ACL",
        ),
        (
            &["#abc"],
            "ERR Error in ACL SETUSER modifier '#abc': The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters",
        ),
        (
            &["allkeys", "~foo"],
            "ERR Error in ACL SETUSER modifier '~foo': Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns",
        ),
        (
            &["+config|get|maxmemory"],
            "ERR Error in ACL SETUSER modifier '+config|get|maxmemory': Allowing first-arg of a subcommand is not supported",
        ),
        (
            &["<notapassword"],
            "ERR Error in ACL SETUSER modifier '<notapassword': The password you are trying to remove from the user does not exist",
        ),
    ];
    for (rules, expected) in cases {
        let mut words = vec!["ACL", "SETUSER", "carol"];
        words.extend_from_slice(rules);
        assert_eq!(err(&common::command(&words), &mut con), *expected);
    }
    // Nothing was applied, not even the valid rules before the bad one.
    assert_eq!(
        query::<Value>(&mut con, &["ACL", "GETUSER", "carol"]),
        Value::Nil
    );
    assert_eq!(
        err(&common::command(&["ACL", "SETUSER", "a b"]), &mut con),
        "ERR Usernames can't contain spaces or null characters"
    );
}

#[test]
fn command_rules_are_shown_in_the_order_applied() {
    let server = Server::start();
    let mut con = server.con();
    let commands = |con: &mut redis::Connection| -> String {
        let user: std::collections::HashMap<String, Value> = query(con, &["ACL", "GETUSER", "adv"]);
        match &user["commands"] {
            Value::BulkString(b) => String::from_utf8(b.clone()).unwrap(),
            other => panic!("{other:?}"),
        }
    };
    query::<()>(
        &mut con,
        &[
            "ACL", "SETUSER", "adv", "+@all", "-@hash", "-@slow", "+hget",
        ],
    );
    assert_eq!(commands(&mut con), "+@all -@hash -@slow +hget");
    query::<()>(&mut con, &["ACL", "SETUSER", "adv", "-@hash"]);
    assert_eq!(commands(&mut con), "+@all -@slow +hget -@hash");
    query::<()>(
        &mut con,
        &[
            "ACL",
            "SETUSER",
            "adv",
            "-@all",
            "+client|list",
            "+config|get",
            "+config",
            "-acl",
        ],
    );
    assert_eq!(commands(&mut con), "-@all +client|list +config -acl");
}

#[test]
fn a_user_limited_to_get_on_some_keys() {
    let server = Server::start();
    let mut admin = server.raw();
    admin.call(&["SET", "foo:1", "one"]);
    admin.call(&["SET", "bar", "two"]);
    admin.call(&["ACL", "SETUSER", "alice", "on", ">pw", "+get", "~foo:*"]);
    let mut alice = login(&server, "alice");
    assert_eq!(
        alice.call(&["ACL", "WHOAMI"]),
        "-NOPERM User alice has no permissions to run the 'acl|whoami' command\r\n"
    );
    assert_eq!(alice.call(&["GET", "foo:1"]), "$3\r\none\r\n");
    assert_eq!(
        alice.call(&["GET", "bar"]),
        "-NOPERM No permissions to access a key\r\n"
    );
    assert_eq!(
        alice.call(&["SET", "foo:1", "x"]),
        "-NOPERM User alice has no permissions to run the 'set' command\r\n"
    );
    // The refusals count in INFO (asked by the admin).
    let info = admin.call(&["INFO", "stats"]);
    assert!(info.contains("acl_access_denied_cmd:2\r\n"), "{info}");
    assert!(info.contains("acl_access_denied_key:1\r\n"), "{info}");
    // A change applies at once to connected clients.
    admin.call(&["ACL", "SETUSER", "alice", "+set"]);
    assert_eq!(alice.call(&["SET", "foo:1", "x"]), "+OK\r\n");
    assert_eq!(
        alice.call(&["SET", "bar", "x"]),
        "-NOPERM No permissions to access a key\r\n"
    );
    assert_eq!(
        admin.call(&["ACL", "DRYRUN", "alice", "get", "bar"]),
        "$52\r\nThis user has no permissions to access the 'bar' key\r\n"
    );
    assert_eq!(
        admin.call(&["ACL", "DRYRUN", "alice", "del", "foo:1"]),
        "$53\r\nThis user has no permissions to run the 'del' command\r\n"
    );
    assert_eq!(
        admin.call(&["ACL", "DRYRUN", "alice", "get", "foo:2"]),
        "+OK\r\n"
    );
}

#[test]
fn read_and_write_key_patterns() {
    let server = Server::start();
    let mut admin = server.raw();
    admin.call(&["SET", "r:1", "v"]);
    admin.call(&["ACL", "SETUSER", "ro", "on", ">pw", "+@all", "%R~r:*"]);
    let mut ro = login(&server, "ro");
    assert_eq!(ro.call(&["GET", "r:1"]), "$1\r\nv\r\n");
    assert_eq!(
        ro.call(&["SET", "r:1", "x"]),
        "-NOPERM No permissions to access a key\r\n"
    );
    let getuser = admin.call(&["ACL", "GETUSER", "ro"]);
    assert!(getuser.contains("$6\r\n%R~r:*\r\n"), "{getuser}");
}

#[test]
fn categories_and_subcommands() {
    let server = Server::start();
    let mut admin = server.con();
    let categories: Vec<String> = query(&mut admin, &["ACL", "CAT"]);
    assert_eq!(categories.len(), 21);
    assert_eq!(categories[0], "keyspace");
    let strings: Vec<String> = query(&mut admin, &["ACL", "CAT", "string"]);
    assert!(strings.contains(&"get".to_string()));
    let keyspace: Vec<String> = query(&mut admin, &["ACL", "CAT", "keyspace"]);
    assert!(!keyspace.contains(&"set".to_string()));
    let connection: Vec<String> = query(&mut admin, &["ACL", "CAT", "connection"]);
    assert!(connection.contains(&"client|id".to_string()));
    assert_eq!(
        err(&common::command(&["ACL", "CAT", "nosuch"]), &mut admin),
        "ERR Unknown category 'nosuch'"
    );
    query::<()>(
        &mut admin,
        &[
            "ACL",
            "SETUSER",
            "cli",
            "on",
            ">pw",
            "+@all",
            "-client",
            "+client|id",
        ],
    );
    let mut cli = login(&server, "cli");
    assert!(cli.call(&["CLIENT", "ID"]).starts_with(':'));
    assert_eq!(
        cli.call(&["CLIENT", "KILL", "TYPE", "master"]),
        "-NOPERM User cli has no permissions to run the 'client|kill' command\r\n"
    );
    // -@string takes away GET and SET, not SADD.
    query::<()>(
        &mut admin,
        &["ACL", "SETUSER", "cli", "allkeys", "-@string"],
    );
    assert_eq!(cli.call(&["SADD", "s", "a"]), ":1\r\n");
    assert!(cli.call(&["GET", "k"]).starts_with("-NOPERM"));
}

#[test]
fn disabled_users_and_wrong_passwords_are_refused() {
    let server = Server::start();
    let mut admin = server.raw();
    admin.call(&["ACL", "SETUSER", "bob", ">pw", "+ping"]);
    let mut raw = server.raw();
    // New users start off.
    assert_eq!(raw.call(&["AUTH", "bob", "pw"]), WRONGPASS);
    admin.call(&["ACL", "SETUSER", "bob", "on"]);
    assert_eq!(raw.call(&["AUTH", "bob", "nope"]), WRONGPASS);
    assert_eq!(raw.call(&["AUTH", "nobody", "pw"]), WRONGPASS);
    assert_eq!(raw.call(&["AUTH", "bob", "pw"]), "+OK\r\n");
    admin.call(&["ACL", "SETUSER", "bob", "off"]);
    let mut other = server.raw();
    assert_eq!(other.call(&["AUTH", "bob", "pw"]), WRONGPASS);
    assert_eq!(other.call(&["HELLO", "2", "AUTH", "bob", "pw"]), WRONGPASS);
    // Already logged-in connections keep working, as in Redis.
    assert_eq!(raw.call(&["PING"]), "+PONG\r\n");
    let info = admin.call(&["INFO", "stats"]);
    assert!(info.contains("acl_access_denied_auth:5\r\n"), "{info}");
}

#[test]
fn hello_auth_logs_in_as_a_user() {
    let server = Server::start();
    let mut admin = server.raw();
    admin.call(&["ACL", "SETUSER", "h", "on", ">pw", "+@all", "~*"]);
    let mut raw = server.raw();
    assert!(raw
        .call(&["HELLO", "3", "AUTH", "h", "pw"])
        .starts_with('%'));
    assert_eq!(raw.call(&["ACL", "WHOAMI"]), "$1\r\nh\r\n");
    let list = admin.call(&["CLIENT", "LIST"]);
    assert!(list.contains(" user=h "), "{list}");
    // RESET goes back to the default user.
    assert_eq!(raw.call(&["RESET"]), "+RESET\r\n");
    assert_eq!(raw.call(&["ACL", "WHOAMI"]), "$7\r\ndefault\r\n");
}

#[test]
fn deleting_a_user_disconnects_its_clients() {
    let server = Server::start();
    let mut admin = server.raw();
    admin.call(&["ACL", "SETUSER", "gone", "on", ">pw", "+@all", "~*"]);
    let mut victim = login(&server, "gone");
    assert_eq!(
        admin.call(&["CLIENT", "KILL", "USER", "nobody"]),
        "-ERR No such user 'nobody'\r\n"
    );
    assert_eq!(admin.call(&["ACL", "DELUSER", "gone"]), ":1\r\n");
    assert_eq!(victim.read_to_end(), b"");
    // CLIENT KILL USER closes a user's connections.
    admin.call(&["ACL", "SETUSER", "k", "on", ">pw", "+@all"]);
    let mut killed = login(&server, "k");
    assert_eq!(admin.call(&["CLIENT", "KILL", "USER", "k"]), ":1\r\n");
    assert_eq!(killed.read_to_end(), b"");
}

#[test]
fn transactions_check_when_queueing_and_again_at_exec() {
    let server = Server::start();
    let mut admin = server.raw();
    admin.call(&["ACL", "SETUSER", "t", "on", ">pw", "+@all", "~a:*", "~b:*"]);
    let mut t = login(&server, "t");
    assert_eq!(t.call(&["MULTI"]), "+OK\r\n");
    assert_eq!(
        t.call(&["GET", "c:1"]),
        "-NOPERM No permissions to access a key\r\n"
    );
    assert_eq!(
        t.call(&["EXEC"]),
        "-EXECABORT Transaction discarded because of previous errors.\r\n"
    );
    assert_eq!(t.call(&["MULTI"]), "+OK\r\n");
    assert_eq!(t.call(&["SET", "a:1", "A"]), "+QUEUED\r\n");
    assert_eq!(t.call(&["SET", "b:1", "B"]), "+QUEUED\r\n");
    admin.call(&["ACL", "SETUSER", "t", "resetkeys", "~a:*"]);
    assert_eq!(
        t.call(&["EXEC"]),
        "*2\r\n+OK\r\n-NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: no permission to touch the specified keys\r\n"
    );
}

#[test]
fn scripts_check_the_commands_they_call() {
    let server = Server::start();
    let mut admin = server.raw();
    admin.call(&[
        "ACL",
        "SETUSER",
        "s",
        "on",
        ">pw",
        "+@scripting",
        "+get",
        "~x*",
    ]);
    let mut s = login(&server, "s");
    let reply = s.call(&["EVAL", "return redis.call('set', 'x1', 'v')", "0"]);
    assert!(
        reply.starts_with(
            "-ERR ACL failure in script: User s has no permissions to run the 'set' command script: "
        ),
        "{reply}"
    );
    let reply = s.call(&["EVAL", "return redis.call('get', 'y')", "0"]);
    assert!(
        reply.starts_with("-ERR ACL failure in script: No permissions to access a key script: "),
        "{reply}"
    );
    assert_eq!(
        s.call(&["EVAL", "return redis.call('get', 'x1')", "0"]),
        "$-1\r\n"
    );
    // The keys EVAL declares are checked before the script runs.
    assert_eq!(
        s.call(&["EVAL", "return 1", "1", "y"]),
        "-NOPERM No permissions to access a key\r\n"
    );
    assert_eq!(
        s.call(&["EVAL", "return {redis.acl_check_cmd('get','x2'), redis.acl_check_cmd('get','y'), redis.acl_check_cmd('set','x2','v')}", "0"]),
        "*3\r\n:1\r\n$-1\r\n$-1\r\n"
    );
}

#[test]
fn channel_permissions() {
    let server = Server::start();
    let mut admin = server.raw();
    admin.call(&["ACL", "SETUSER", "ps", "on", ">pw", "+@all", "&news:*"]);
    let mut ps = login(&server, "ps");
    assert_eq!(ps.call(&["PUBLISH", "news:1", "x"]), ":0\r\n");
    assert_eq!(
        ps.call(&["PUBLISH", "other", "x"]),
        "-NOPERM No permissions to access a channel\r\n"
    );
    // A pattern must be one of the user's patterns as written.
    assert_eq!(
        ps.call(&["PSUBSCRIBE", "news:a*"]),
        "-NOPERM No permissions to access a channel\r\n"
    );
    let mut subscriber = login(&server, "ps");
    assert_eq!(
        subscriber.call(&["SUBSCRIBE", "news:1"]),
        "*3\r\n$9\r\nsubscribe\r\n$6\r\nnews:1\r\n:1\r\n"
    );
    // Taking the channel away disconnects the subscriber.
    admin.call(&["ACL", "SETUSER", "ps", "resetchannels", "&sports"]);
    assert_eq!(subscriber.read_to_end(), b"");
    assert_eq!(ps.call(&["PUBLISH", "sports", "x"]), ":0\r\n");
    // acl-pubsub-default decides what new users get.
    admin.call(&["CONFIG", "SET", "acl-pubsub-default", "allchannels"]);
    admin.call(&["ACL", "SETUSER", "open"]);
    assert_eq!(
        admin.call(&["ACL", "LIST"]),
        bulks(&[
            "user default on nopass sanitize-payload ~* &* +@all",
            "user open off sanitize-payload &* -@all",
            "user ps on sanitize-payload #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 resetchannels &sports +@all",
        ])
    );
}

#[test]
fn requirepass_is_the_default_users_password() {
    let mut server = Server::start_with(&["--requirepass", "s3cret"]);
    let mut raw = server.raw();
    assert_eq!(raw.call(&["PING"]), "-NOAUTH Authentication required.\r\n");
    assert_eq!(raw.call(&["AUTH", "default", "s3cret"]), "+OK\r\n");
    let hash = "1ec1c26b50d5d3c58d9583181af8076655fe00756bf7285940ba3670f99fcba0";
    let list = raw.call(&["ACL", "LIST"]);
    assert_eq!(
        list,
        bulks(&[&format!(
            "user default on sanitize-payload #{hash} ~* &* +@all"
        )]),
        "{list}"
    );
    // CONFIG SET requirepass replaces the password; "" makes the default user nopass.
    raw.call(&["CONFIG", "SET", "requirepass", "other"]);
    let mut fresh = server.raw();
    assert_eq!(fresh.call(&["AUTH", "s3cret"]), WRONGPASS);
    assert_eq!(fresh.call(&["AUTH", "other"]), "+OK\r\n");
    raw.call(&["CONFIG", "SET", "requirepass", ""]);
    let mut open = server.raw();
    assert_eq!(open.call(&["PING"]), "+PONG\r\n");
    assert_eq!(
        open.call(&["AUTH", "anything"]),
        "-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n"
    );
    // A password given with ACL SETUSER has the same effect; CONFIG GET requirepass is
    // still the configured value.
    open.call(&["ACL", "SETUSER", "default", ">viaacl"]);
    let mut locked = server.raw();
    assert_eq!(
        locked.call(&["PING"]),
        "-NOAUTH Authentication required.\r\n"
    );
    assert_eq!(locked.call(&["AUTH", "viaacl"]), "+OK\r\n");
    assert_eq!(
        locked.call(&["CONFIG", "GET", "requirepass"]),
        bulks(&["requirepass", ""])
    );
    // A disabled default user lets nobody in without AUTH.
    locked.call(&["ACL", "SETUSER", "default", "nopass", "off"]);
    assert_eq!(
        server.raw().call(&["PING"]),
        "-NOAUTH Authentication required.\r\n"
    );
    locked.call(&["ACL", "SETUSER", "default", "on"]);
    assert_eq!(server.raw().call(&["PING"]), "+PONG\r\n");
    // Saved, the default user's password wins over --requirepass at the next start.
    locked.call(&["ACL", "SETUSER", "default", "resetpass", ">saved"]);
    assert_eq!(locked.call(&["ACL", "SAVE"]), "+OK\r\n");
    server.shutdown_with(Some("saved"));
    server.restart();
    let mut after = server.raw();
    assert_eq!(after.call(&["AUTH", "s3cret"]), WRONGPASS);
    assert_eq!(after.call(&["AUTH", "saved"]), "+OK\r\n");
}

#[test]
fn acl_save_then_restart_keeps_the_users() {
    let mut server = Server::start();
    let mut admin = server.raw();
    admin.call(&[
        "ACL", "SETUSER", "alice", "on", ">pw", "+get", "~foo:*", "&news",
    ]);
    admin.call(&["SET", "foo:1", "one"]);
    assert_eq!(admin.call(&["ACL", "SAVE"]), "+OK\r\n");
    let file = std::fs::read_to_string(server.dir().join("users.acl")).unwrap();
    assert_eq!(
        file,
        format!(
            "user alice on sanitize-payload #{PW_HASH} ~foo:* resetchannels &news -@all +get\n\
             user default on nopass sanitize-payload ~* &* +@all\n"
        )
    );
    // No temp file is left behind.
    let leftovers: Vec<_> = std::fs::read_dir(server.dir().join("tmp"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    drop(admin);
    server.restart();
    let mut alice = login(&server, "alice");
    assert_eq!(alice.call(&["GET", "foo:1"]), "$3\r\none\r\n");
    assert_eq!(
        alice.call(&["GET", "bar"]),
        "-NOPERM No permissions to access a key\r\n"
    );
    assert_eq!(
        server.raw().call(&["ACL", "LIST"]),
        bulks(&[
            &format!(
                "user alice on sanitize-payload #{PW_HASH} ~foo:* resetchannels &news -@all +get"
            ),
            "user default on nopass sanitize-payload ~* &* +@all",
        ])
    );
}

#[test]
fn acl_load_replaces_the_users_or_changes_nothing() {
    let server = Server::start();
    let mut admin = server.raw();
    assert_eq!(
        admin.call(&["ACL", "LOAD"]),
        "-ERR Error loading ACLs, opening file 'users.acl': No such file or directory\r\n"
    );
    admin.call(&["ACL", "SETUSER", "keep", "on", ">pw", "+@all", "~*"]);
    admin.call(&["ACL", "SETUSER", "drop", "on", ">pw", "+@all", "~*"]);
    let file = server.dir().join("users.acl");
    std::fs::write(&file, "user keep on #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 ~* +@all\nuser x on +nosuch\nuser x\n").unwrap();
    assert_eq!(
        admin.call(&["ACL", "LOAD"]),
        "-ERR users.acl:2: Unknown command or category name in ACL. WARNING: Duplicate user 'x' found on line 3. WARNING: ACL errors detected, no change to the previously active ACL rules was performed\r\n"
    );
    assert_eq!(
        admin.call(&["ACL", "USERS"]),
        bulks(&["default", "drop", "keep"])
    );
    let mut kept = login(&server, "keep");
    let mut dropped = login(&server, "drop");
    std::fs::write(&file, "# comments are allowed\nuser keep on #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 ~* resetchannels +@all\n").unwrap();
    assert_eq!(admin.call(&["ACL", "LOAD"]), "+OK\r\n");
    assert_eq!(admin.call(&["ACL", "USERS"]), bulks(&["default", "keep"]));
    // The removed user's client is gone, the unchanged one's stays.
    assert_eq!(dropped.read_to_end(), b"");
    assert_eq!(kept.call(&["PING"]), "+PONG\r\n");
}

#[test]
fn a_blocked_command_is_checked_again_when_it_wakes() {
    let server = Server::start();
    let mut admin = server.raw();
    admin.call(&["ACL", "SETUSER", "b", "on", ">pw", "+@all", "~*"]);
    let mut blocked = login(&server, "b");
    let id = blocked.call(&["CLIENT", "ID"]);
    blocked.send(common::resp(&["BLPOP", "list1", "0"]));
    // Wait until the client is blocked.
    let id = id.trim_start_matches(':').trim_end().to_string();
    loop {
        let list = admin.call(&["CLIENT", "LIST", "ID", &id]);
        if list.contains("cmd=blpop") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    admin.call(&["ACL", "SETUSER", "b", "resetkeys"]);
    admin.call(&["LPUSH", "list1", "foo"]);
    assert_eq!(
        blocked.reply(),
        "-NOPERM No permissions to access a key\r\n"
    );
    assert_eq!(admin.call(&["LLEN", "list1"]), ":1\r\n");
}
