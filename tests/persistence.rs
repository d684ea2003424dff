//! The data directory: data survives restarts, one server per directory, `--flushall`,
//! foreign directories refused, and the on-disk layout users can look at.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{key_slot, query, Server};
use redis::{Connection, Value};

/// Writes one value of each type, in two databases.
fn write_sample(con: &mut Connection) {
    query::<()>(con, &["SET", "msg", "Hello World"]);
    query::<()>(con, &["SET", "counter", "41"]);
    query::<()>(con, &["INCR", "counter"]);
    query::<()>(con, &["SET", "later", "v", "EX", "1000"]);
    query::<()>(con, &["HSET", "user:1", "name", "Ada", "born", "1815"]);
    query::<()>(con, &["SADD", "tags", "a", "b", "c"]);
    query::<()>(con, &["SELECT", "7"]);
    query::<()>(con, &["SET", "in7", "seven"]);
    query::<()>(con, &["SELECT", "0"]);
}

fn check_sample(con: &mut Connection) {
    assert_eq!(query::<String>(con, &["GET", "msg"]), "Hello World");
    assert_eq!(query::<i64>(con, &["GET", "counter"]), 42);
    assert_eq!(query::<String>(con, &["GET", "later"]), "v");
    assert_eq!(query::<String>(con, &["HGET", "user:1", "name"]), "Ada");
    assert_eq!(query::<i64>(con, &["HLEN", "user:1"]), 2);
    let tags: BTreeSet<String> = query(con, &["SMEMBERS", "tags"]);
    assert_eq!(tags, BTreeSet::from(["a".into(), "b".into(), "c".into()]));
    assert_eq!(query::<i64>(con, &["DBSIZE"]), 5);
    query::<()>(con, &["SELECT", "7"]);
    assert_eq!(query::<String>(con, &["GET", "in7"]), "seven");
    query::<()>(con, &["SELECT", "0"]);
}

#[test]
fn data_survives_shutdown_and_restart() {
    let mut server = Server::start();
    write_sample(&mut server.con());
    server.restart();
    check_sample(&mut server.con());
    // And a second time, after changes.
    let mut con = server.con();
    query::<()>(&mut con, &["HDEL", "user:1", "born"]);
    query::<()>(&mut con, &["DEL", "tags"]);
    server.restart();
    let mut con = server.con();
    assert_eq!(query::<i64>(&mut con, &["HLEN", "user:1"]), 1);
    assert_eq!(query::<i64>(&mut con, &["EXISTS", "tags"]), 0);
}

#[test]
fn data_survives_sigterm() {
    let mut server = Server::start();
    write_sample(&mut server.con());
    assert_eq!(server.terminate().code(), Some(0));
    server.restart();
    check_sample(&mut server.con());
}

#[test]
fn acknowledged_writes_survive_a_crash_of_the_process() {
    // SIGKILL: no orderly shutdown, but the operating system keeps what was written.
    let mut server = Server::start();
    write_sample(&mut server.con());
    server.crash();
    server.restart();
    check_sample(&mut server.con());
}

#[test]
fn a_big_value_survives_a_restart() {
    let mut server = Server::start();
    let value: Vec<u8> = (0..3 << 20).map(|i: u32| (i % 251) as u8).collect();
    let _: () = redis::cmd("SET")
        .arg("big")
        .arg(&value[..])
        .query(&mut server.con())
        .unwrap();
    server.restart();
    let back: Vec<u8> = redis::cmd("GET")
        .arg("big")
        .query(&mut server.con())
        .unwrap();
    assert!(back == value);
}

#[test]
fn an_expiry_survives_a_restart() {
    let mut server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SET", "short", "v", "PX", "300"]);
    query::<()>(&mut con, &["SET", "long", "v", "EX", "1000"]);
    server.restart();
    std::thread::sleep(std::time::Duration::from_millis(400));
    let mut con = server.con();
    assert_eq!(query::<Value>(&mut con, &["GET", "short"]), Value::Nil);
    assert_eq!(query::<String>(&mut con, &["GET", "long"]), "v");
}

#[test]
fn a_second_server_on_the_same_directory_refuses_to_start() {
    let server = Server::start();
    let failure = match Server::start_in(server.dir(), &[]) {
        Ok(_) => panic!("a second server started on {}", server.dir().display()),
        Err(failure) => failure,
    };
    let status = failure.status.expect("the second server exited");
    assert!(!status.success());
    assert!(
        failure.log.contains("LOCK") && failure.log.contains("in use"),
        "{}",
        failure.log
    );
    // The first one is unharmed.
    assert_eq!(query::<String>(&mut server.con(), &["PING"]), "PONG");
}

#[test]
fn flushall_at_start_empties_every_database() {
    let mut server = Server::start();
    write_sample(&mut server.con());
    assert!(server.shutdown().success());
    let server = Server::start_in(server.dir(), &["--flushall"]).unwrap();
    let mut con = server.con();
    assert_eq!(query::<i64>(&mut con, &["DBSIZE"]), 0);
    query::<()>(&mut con, &["SELECT", "7"]);
    assert_eq!(query::<i64>(&mut con, &["DBSIZE"]), 0);
}

#[test]
fn a_directory_that_is_not_a_dredis_directory_is_refused() {
    let dir = tempfile::TempDir::new().unwrap();
    let precious = dir.path().join("precious.txt");
    std::fs::write(&precious, "do not touch").unwrap();
    let failure = match Server::start_in(dir.path(), &[]) {
        Ok(_) => panic!("dredis started in a foreign directory"),
        Err(failure) => failure,
    };
    assert!(!failure.status.expect("it exited").success());
    assert!(
        failure.log.contains("not a dredis data directory"),
        "{}",
        failure.log
    );
    assert_eq!(std::fs::read_to_string(&precious).unwrap(), "do not touch");
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        names,
        ["precious.txt"],
        "nothing is written into the directory"
    );
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_key_slot_is_redis_clusters() {
    // Values from the Redis Cluster specification and CLUSTER KEYSLOT.
    assert_eq!(key_slot(b"foo"), 12182);
    assert_eq!(key_slot(b"somekey"), 11058);
    assert_eq!(key_slot(b"123456789"), 0x31c3);
}

#[test]
fn keys_are_directories_with_type_and_value_files() {
    let server = Server::start();
    let mut con = server.con();
    query::<()>(&mut con, &["SET", "msg", "Hello World"]);
    query::<()>(&mut con, &["HSET", "h", "f", "v"]);
    query::<()>(&mut con, &["SADD", "s", "m"]);

    let msg = server
        .dir()
        .join("0")
        .join(format!("{:04x}", key_slot(b"msg")))
        .join("msg");
    assert!(read(&msg.join("type")).starts_with("string\n"));
    assert_eq!(read(&msg.join("value")), "Hello World");

    let h = server
        .dir()
        .join("0")
        .join(format!("{:04x}", key_slot(b"h")))
        .join("h");
    assert!(read(&h.join("type")).starts_with("hash\n"));
    assert_eq!(read(&h.join("fields").join("f")), "v");

    let s = server
        .dir()
        .join("0")
        .join(format!("{:04x}", key_slot(b"s")))
        .join("s");
    assert!(read(&s.join("type")).starts_with("set\n"));
    assert!(s.join("members").join("m").is_file());

    // A key in another database lives under that database's directory.
    query::<()>(&mut con, &["SELECT", "3"]);
    query::<()>(&mut con, &["SET", "msg", "three"]);
    let msg3 = server
        .dir()
        .join("3")
        .join(format!("{:04x}", key_slot(b"msg")))
        .join("msg");
    assert_eq!(read(&msg3.join("value")), "three");

    // Deleting a key removes its directory.
    query::<()>(&mut con, &["SELECT", "0"]);
    query::<()>(&mut con, &["DEL", "msg"]);
    assert!(!msg.exists());
}

#[test]
fn the_data_directory_has_format_and_lock_files() {
    let server = Server::start();
    let dir = server.dir();
    assert!(read(&dir.join("FORMAT")).starts_with("dredis-fs "));
    assert!(dir.join("LOCK").is_file());
    for db in 0..16 {
        assert!(
            dir.join(db.to_string()).is_dir(),
            "no directory for db {db}"
        );
    }
}

#[test]
fn leftovers_of_a_crash_in_tmp_are_removed_at_start() {
    let mut server = Server::start();
    query::<()>(&mut server.con(), &["SET", "k", "v"]);
    server.crash();
    let tmp = server.dir().join("tmp");
    std::fs::write(tmp.join("half-written"), "partial").unwrap();
    std::fs::create_dir(tmp.join("half-made-key")).unwrap();
    server.restart();
    assert_eq!(std::fs::read_dir(&tmp).unwrap().count(), 0);
    assert_eq!(query::<String>(&mut server.con(), &["GET", "k"]), "v");
}
