//! `dredis check`: a clean directory passes; damage is reported, and `--repair` fixes what
//! it can.

mod common;

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use common::Server;

fn check(dir: &Path, repair: bool) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_dredis"));
    command.args(["check", "--dir"]).arg(dir);
    if repair {
        command.arg("--repair");
    }
    command.output().expect("run dredis check")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A stopped server's directory holding a key of every type, one with an expiry.
fn filled() -> (Server, std::path::PathBuf) {
    let mut server = Server::start();
    server.cli(&["set", "s", "hello"]);
    server.cli(&["hset", "h", "a", "1", "b", "2"]);
    server.cli(&["sadd", "set", "x", "y"]);
    server.cli(&["zadd", "z", "1", "a", "2", "b"]);
    server.cli(&["rpush", "l", "1", "2", "3"]);
    server.cli(&["set", "e", "v", "ex", "1000"]);
    assert!(server.shutdown().success());
    let dir = server.dir().to_path_buf();
    (server, dir)
}

#[test]
fn a_clean_directory_passes() {
    if common::skip_in_reference("dredis's own tool") {
        return;
    }
    let (_server, dir) = filled();
    let output = check(&dir, false);
    assert!(output.status.success(), "{}", stdout(&output));
    assert!(
        stdout(&output).contains("checked 6 keys"),
        "{}",
        stdout(&output)
    );
    assert!(
        stdout(&output).contains("0 problem(s)"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn damage_is_reported_and_repaired() {
    if common::skip_in_reference("dredis's own tool") {
        return;
    }
    let (mut server, dir) = filled();
    // A field file lost, an expiry marker lost, a stray file, a list item lost.
    fs::remove_file(server.key_dir("h").join("fields/a")).unwrap();
    let marker_slot = server
        .key_dir("e")
        .parent()
        .unwrap()
        .file_name()
        .unwrap()
        .to_owned();
    fs::remove_file(dir.join("0/expires").join(marker_slot).join("e")).unwrap();
    fs::write(server.key_dir("s").join("junk"), b"?").unwrap();
    let items = server.key_dir("l").join("items");
    let item = fs::read_dir(&items)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    fs::remove_file(item).unwrap();

    let output = check(&dir, false);
    let text = stdout(&output);
    assert!(!output.status.success(), "{text}");
    assert!(text.contains("`size` 2 but 1 fields"), "{text}");
    assert!(text.contains("an expiring key without a marker"), "{text}");
    assert!(text.contains("a stray `junk`"), "{text}");
    assert!(text.contains("`size` 3 but 2 items"), "{text}");
    assert!(text.contains("4 problem(s)"), "{text}");

    // The list cannot be repaired: the rest is, and a second check finds only the list.
    let output = check(&dir, true);
    assert!(
        stdout(&output).contains("3 repaired"),
        "{}",
        stdout(&output)
    );
    let text = stdout(&check(&dir, false));
    assert!(text.contains("1 problem(s)"), "{text}");

    // The server agrees with the repaired directory.
    server.restart();
    assert_eq!(server.cli(&["hlen", "h"]).trim(), "1");
    assert_eq!(server.cli(&["hget", "h", "b"]).trim(), "2");
    assert_eq!(server.cli(&["get", "s"]).trim(), "hello");
    assert!(server.cli(&["ttl", "e"]).trim().parse::<i64>().unwrap() > 0);
}

#[test]
fn a_running_servers_directory_is_refused() {
    if common::skip_in_reference("dredis's own tool") {
        return;
    }
    let server = Server::start();
    let output = check(server.dir(), false);
    assert!(!output.status.success());
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("in use by a running server"), "{err}");
}
