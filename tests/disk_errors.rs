//! Disk trouble. A full disk: a write that cannot be stored answers an error and changes
//! nothing, reads go on, and writes work again once space is back. A data directory that
//! vanishes (moved or deleted under the server) or is read-only is reported, never panicked
//! on. The full and read-only disks are small tmpfs mounts made by the test (it needs the
//! privilege to mount, as root in CI has; without it the test says so and passes nothing off
//! as checked).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::Server;
use redis::Commands;

/// A small tmpfs, unmounted when dropped.
struct SmallDisk {
    path: PathBuf,
    _dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(size: &str) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("disk");
        std::fs::create_dir(&path).unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&path)
            .output()
            .ok()?;
        mounted
            .status
            .success()
            .then_some(SmallDisk { path, _dir: dir })
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.path).status();
    }
}

/// A server whose data directory is on a new small tmpfs; None (saying why) when the run
/// cannot mount one, or tests the reference server.
fn server_on_small_disk(size: &str) -> Option<(SmallDisk, PathBuf, Server)> {
    if common::skip_in_reference("dredis's own disk") {
        return None;
    }
    let Some(disk) = SmallDisk::mount(size) else {
        eprintln!("SKIPPED: mounting a small tmpfs needs privileges this run does not have");
        return None;
    };
    let data = disk.path.join("data");
    let server = Server::start_in(&data, &[]).expect("start on the small disk");
    Some((disk, data, server))
}

fn files_in(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |d| d.count())
}

#[test]
fn a_full_disk_refuses_writes_cleanly_and_recovers() {
    let Some((_disk, data, mut server)) = server_on_small_disk("4m") else {
        return;
    };
    let mut con = server.con();
    let value = vec![b'v'; 100_000];
    con.set::<_, _, ()>("counter", 10).unwrap();
    con.rpush::<_, _, ()>("list", &["a", "b"]).unwrap();

    // Fill the disk: writes succeed until one cannot be stored.
    let mut stored = 0;
    let error = loop {
        match con.set::<_, _, ()>(format!("big:{stored}"), &value) {
            Ok(()) => stored += 1,
            Err(e) => break e.to_string(),
        }
        assert!(stored < 1000, "the disk never filled");
    };
    assert!(error.contains("No space left on device"), "{error}");
    // More writes of every kind fail the same way, and change nothing.
    for _ in 0..20 {
        assert!(con.set::<_, _, ()>("big:failed", &value).is_err());
    }
    // (A small write may still find room; a failed one must change nothing.)
    let counter_expected = 10 + con.incr::<_, _, i64>("counter", 1).is_ok() as i64;
    let list_expected = 2 + con.rpush::<_, _, i64>("list", &value).is_ok() as usize;
    let exists: bool = con.exists("big:failed").unwrap();
    assert!(!exists);
    // Failed writes leave nothing behind in tmp/ to eat the space.
    assert!(
        files_in(&data.join("tmp")) <= 2,
        "{:?}",
        std::fs::read_dir(data.join("tmp"))
            .unwrap()
            .collect::<Vec<_>>()
    );

    // Reads go on.
    let first: Vec<u8> = con.get("big:0").unwrap();
    assert_eq!(first, value);
    let list_len: usize = con.llen("list").unwrap();
    assert_eq!(list_len, list_expected);
    let counter: i64 = con.get("counter").unwrap();
    assert_eq!(counter, counter_expected);

    // Space comes back: writes work again, by themselves.
    let deleted: usize = con
        .del((0..stored).map(|i| format!("big:{i}")).collect::<Vec<_>>())
        .unwrap();
    assert_eq!(deleted, stored);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if con.set::<_, _, ()>("after", &value).is_ok() {
            break;
        }
        assert!(Instant::now() < deadline, "writes did not resume");
        std::thread::sleep(Duration::from_millis(50));
    }
    let after: Vec<u8> = con.get("after").unwrap();
    assert_eq!(after, value);
    // And everything survives a restart.
    server.restart();
    let mut con = server.con();
    let after: Vec<u8> = con.get("after").unwrap();
    assert_eq!(after, value);
    let counter: i64 = con.get("counter").unwrap();
    assert_eq!(counter, counter_expected);
    drop(con);
    drop(server);
}

#[test]
fn a_vanished_data_directory_is_reported_and_writes_resume_once_it_is_back() {
    if common::skip_in_reference("dredis's own disk") {
        return;
    }
    let mut server = Server::start();
    let mut con = server.con();
    con.set::<_, _, ()>("kept", "before").unwrap();
    con.rpush::<_, _, ()>("list", &["a", "b"]).unwrap();
    let data = server.dir().to_path_buf();
    let aside = data.with_extension("aside");
    std::fs::rename(&data, &aside).unwrap();

    // Within a moment, reads and writes alike answer that the directory is gone (a read must
    // not pass off the missing files as missing keys).
    let gone = format!(
        "ERR I/O error on the data directory: {} is gone (moved or deleted)",
        data.display()
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    let read = |con: &mut redis::Connection| {
        let reply = redis::cmd("GET").arg("kept").query::<redis::Value>(con);
        reply.map_err(|e| common::error_text(&e))
    };
    while read(&mut con) != Err(gone.clone()) {
        assert!(
            Instant::now() < deadline,
            "a read did not report the directory gone"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    for command in [
        redis::cmd("SET").arg("new").arg("v").clone(),
        redis::cmd("LPOP").arg("list").clone(),
        redis::cmd("INCR").arg("counter").clone(),
        redis::cmd("DBSIZE").clone(),
    ] {
        assert_eq!(common::err(&command, &mut con), gone);
    }
    let script = redis::cmd("EVAL")
        .arg("return redis.call('GET', 'kept')")
        .arg(0)
        .clone();
    let error = common::err(&script, &mut con);
    assert!(error.starts_with(&gone), "{error}");
    // The server itself goes on.
    let pong: String = redis::cmd("PING").query(&mut con).unwrap();
    assert_eq!(pong, "PONG");
    assert!(server.log().contains("is gone (moved or deleted)"));

    std::fs::rename(&aside, &data).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while con.set::<_, _, ()>("new", "after").is_err() {
        assert!(Instant::now() < deadline, "writes did not resume");
        std::thread::sleep(Duration::from_millis(20));
    }
    let popped: String = con.lpop("list", None).unwrap();
    assert_eq!(popped, "a");
    assert!(server.shutdown().success());
    server.restart();
    let mut con = server.con();
    let values: (String, String, Vec<String>) = (
        con.get("kept").unwrap(),
        con.get("new").unwrap(),
        con.lrange("list", 0, -1).unwrap(),
    );
    assert_eq!(values, ("before".into(), "after".into(), vec!["b".into()]));
}

#[test]
fn a_read_only_data_directory_is_refused_at_start_with_the_reason() {
    let Some((disk, data, mut server)) = server_on_small_disk("16m") else {
        return;
    };
    server.con().set::<_, _, ()>("k", "v").unwrap();
    assert!(server.shutdown().success());
    let remount = |mode: &str| {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,{mode}")])
            .arg(&disk.path)
            .status()
            .unwrap();
        assert!(status.success(), "remount {mode}");
    };
    remount("ro");
    let failure = match Server::start_in(&data, &[]) {
        Ok(_) => panic!("a server started on a read-only directory"),
        Err(failure) => failure,
    };
    assert!(
        failure.log.contains("cannot use data directory")
            && failure.log.contains("Read-only file system"),
        "{}",
        failure.log
    );
    assert!(!failure.log.contains("panicked"), "{}", failure.log);
    assert_eq!(failure.status.and_then(|s| s.code()), Some(1));
    // Writable again, the same directory serves its data.
    remount("rw");
    let server = Server::start_in(&data, &[]).expect("start once writable");
    let value: String = server.con().get("k").unwrap();
    assert_eq!(value, "v");
}
