//! A full disk: a write that cannot be stored answers an error and changes nothing, reads go
//! on, and writes work again once space is back. The data directory is on a small tmpfs,
//! mounted by the test (it needs the privilege to mount, as root in CI has; without it the
//! test says so and passes nothing off as checked).

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

fn files_in(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |d| d.count())
}

#[test]
fn a_full_disk_refuses_writes_cleanly_and_recovers() {
    if common::skip_in_reference("dredis's own disk") {
        return;
    }
    let Some(disk) = SmallDisk::mount("4m") else {
        eprintln!("SKIPPED: mounting a small tmpfs needs privileges this run does not have");
        return;
    };
    let data = disk.path.join("data");
    let mut server = Server::start_in(&data, &[]).expect("start on the small disk");
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
