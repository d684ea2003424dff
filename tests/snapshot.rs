//! Snapshots: `dredis snapshot`, `dredis snapshot list`, `dredis restore`, SAVE and BGSAVE,
//! to a local directory and to a real S3 server (moto, checking every signature).

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::s3::Moto;
use common::{query, skip_in_reference, Server};
use tempfile::TempDir;

/// Where the snapshots of a test go.
enum Dest {
    Local(TempDir),
    S3(Box<Moto>),
}

/// The prefix under the bucket that S3 tests use.
const PREFIX: &str = "backups/dredis";

impl Dest {
    fn local() -> Dest {
        Dest::Local(TempDir::new().unwrap())
    }

    fn s3() -> Dest {
        Dest::S3(Box::new(Moto::start()))
    }

    /// Both kinds, for tests that must hold for each.
    fn each() -> [Dest; 2] {
        [Dest::local(), Dest::s3()]
    }

    fn url(&self) -> String {
        match self {
            Dest::Local(dir) => dir.path().join("snapshots").display().to_string(),
            Dest::S3(moto) => format!("s3://{}/{PREFIX}", moto.bucket),
        }
    }

    /// Flags that go with the destination (`--endpoint`).
    fn flags(&self) -> Vec<String> {
        match self {
            Dest::Local(_) => Vec::new(),
            Dest::S3(moto) => vec!["--endpoint".into(), moto.endpoint.clone()],
        }
    }

    fn env(&self) -> Vec<(String, String)> {
        match self {
            Dest::Local(_) => Vec::new(),
            Dest::S3(moto) => moto.env(),
        }
    }

    /// Every object, by its name under the destination, with its size.
    fn objects(&self) -> BTreeMap<String, u64> {
        match self {
            Dest::Local(dir) => {
                let root = dir.path().join("snapshots");
                walkdir::WalkDir::new(&root)
                    .into_iter()
                    .map(Result::unwrap)
                    .filter(|e| e.file_type().is_file())
                    .map(|e| {
                        let name = e
                            .path()
                            .strip_prefix(&root)
                            .unwrap()
                            .to_str()
                            .unwrap()
                            .to_string();
                        (name, e.metadata().unwrap().len())
                    })
                    .collect()
            }
            Dest::S3(moto) => moto
                .list(&format!("{PREFIX}/"))
                .into_iter()
                .map(|(key, size)| (key[PREFIX.len() + 1..].to_string(), size))
                .collect(),
        }
    }

    fn put(&self, name: &str, data: &[u8]) {
        match self {
            Dest::Local(dir) => {
                std::fs::write(dir.path().join("snapshots").join(name), data).unwrap()
            }
            Dest::S3(moto) => moto.put_object(&format!("{PREFIX}/{name}"), data),
        }
    }

    fn delete(&self, name: &str) {
        match self {
            Dest::Local(dir) => {
                std::fs::remove_file(dir.path().join("snapshots").join(name)).unwrap()
            }
            Dest::S3(moto) => moto.delete_object(&format!("{PREFIX}/{name}")),
        }
    }

    /// Runs `dredis <args> <destination flags>` with the destination's environment.
    fn dredis(&self, args: &[&str]) -> Output {
        let output = Command::new(env!("CARGO_BIN_EXE_dredis"))
            .args(args)
            .args(self.flags())
            .envs(self.env())
            .output()
            .unwrap();
        eprintln!(
            "dredis {args:?}: {}\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }

    /// `dredis snapshot --dir DIR --to DEST`, which must succeed; its summary line.
    fn snapshot(&self, dir: &Path) -> String {
        let output = self.dredis(&[
            "snapshot",
            "--dir",
            dir.to_str().unwrap(),
            "--to",
            &self.url(),
        ]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    /// `dredis restore --from DEST --dir DIR [--snapshot ID]`.
    fn restore(&self, dir: &Path, id: Option<&str>) -> Output {
        let url = self.url();
        let mut args = vec!["restore", "--from", &url, "--dir", dir.to_str().unwrap()];
        if let Some(id) = id {
            args.extend(["--snapshot", id]);
        }
        self.dredis(&args)
    }

    /// The ids `dredis snapshot list` shows, oldest first.
    fn ids(&self) -> Vec<String> {
        let output = self.dredis(&["snapshot", "list", "--to", &self.url()]);
        assert!(output.status.success());
        String::from_utf8(output.stdout)
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with("no snapshots"))
            .map(|l| l.split_whitespace().next().unwrap().to_string())
            .collect()
    }
}

/// The number after `word` in a summary line (`uploaded 3 files` -> 3 for "uploaded").
fn number_after(text: &str, word: &str) -> u64 {
    let rest = &text[text
        .find(word)
        .unwrap_or_else(|| panic!("{word:?} in {text:?}"))
        + word.len()..];
    rest.split_whitespace()
        .next()
        .unwrap()
        .trim_end_matches(',')
        .parse()
        .unwrap()
}

/// Everything a server holds, as text: (db, key) -> type and content (and whether it expires).
fn contents(server: &Server, databases: &[usize]) -> BTreeMap<(usize, Vec<u8>), String> {
    let mut con = server.con();
    let mut all = BTreeMap::new();
    for &db in databases {
        let _: () = query(&mut con, &["SELECT", &db.to_string()]);
        let keys: Vec<Vec<u8>> = redis::cmd("KEYS").arg("*").query(&mut con).unwrap();
        for key in keys {
            let kind: String = redis::cmd("TYPE").arg(&key).query(&mut con).unwrap();
            let content: Vec<Vec<u8>> = match kind.as_str() {
                "string" => vec![redis::cmd("GET").arg(&key).query(&mut con).unwrap()],
                "hash" => redis::cmd("HGETALL").arg(&key).query(&mut con).unwrap(),
                "set" => {
                    let mut members: Vec<Vec<u8>> =
                        redis::cmd("SMEMBERS").arg(&key).query(&mut con).unwrap();
                    members.sort();
                    members
                }
                "zset" => redis::cmd("ZRANGE")
                    .arg(&key)
                    .arg(0)
                    .arg(-1)
                    .arg("WITHSCORES")
                    .query(&mut con)
                    .unwrap(),
                "list" => redis::cmd("LRANGE")
                    .arg(&key)
                    .arg(0)
                    .arg(-1)
                    .query(&mut con)
                    .unwrap(),
                other => panic!("unexpected type {other}"),
            };
            let ttl: i64 = redis::cmd("TTL").arg(&key).query(&mut con).unwrap();
            let digest = content
                .iter()
                .map(|c| format!("{}:{:x?};", c.len(), &c[..c.len().min(64)]))
                .collect::<String>();
            all.insert((db, key), format!("{kind} expires={} {digest}", ttl > 0));
        }
    }
    all
}

/// Writes `count` small string keys `filler:<n>`, spread over the slots, 1000 per MSET.
fn fill_keys(con: &mut redis::Connection, count: usize) {
    for start in (0..count).step_by(1000) {
        let mut mset = redis::cmd("MSET");
        for i in start..count.min(start + 1000) {
            mset.arg(format!("filler:{i}")).arg(i);
        }
        let _: () = mset.query(con).unwrap();
    }
}

/// Fills a server with every type, awkward names, a value large enough for a multipart
/// upload, keys in two databases, an expiry and a function library.
fn fill(server: &Server) {
    let mut con = server.con();
    let big: Vec<u8> = (0..9 << 20).map(|i: u32| (i % 251) as u8).collect();
    redis::pipe()
        .set("plain", "Hello World")
        .set(&b"a/b %25 ..\x00\xff"[..], "binary name")
        .set("x#12", "a name local stores reserve")
        .set("big", big)
        .cmd("SETRANGE")
        .arg("medium")
        .arg(100_000)
        .arg("end")
        .cmd("HSET")
        .arg("h")
        .arg("f1")
        .arg("v1")
        .arg("f#2")
        .arg("v2")
        .cmd("SADD")
        .arg("s")
        .arg("m1")
        .arg("m2")
        .arg("m3")
        .cmd("RPUSH")
        .arg("l")
        .arg("a")
        .arg("b")
        .arg("c")
        .cmd("SET")
        .arg("ttl")
        .arg("v")
        .arg("EX")
        .arg(10_000)
        .cmd("SELECT")
        .arg(3)
        .cmd("SET")
        .arg("in3")
        .arg("db three")
        .cmd("SELECT")
        .arg(0)
        .query::<()>(&mut con)
        .unwrap();
    let mut zadd = redis::cmd("ZADD");
    zadd.arg("z");
    for i in 0..2000 {
        zadd.arg(i as f64 / 3.0).arg(format!("member{i}"));
    }
    let _: i64 = zadd.query(&mut con).unwrap();
    let _: String = redis::cmd("FUNCTION")
        .arg("LOAD")
        .arg("#!lua name=lib\nredis.register_function('hi', function() return 'hi' end)")
        .query(&mut con)
        .unwrap();
}

#[test]
fn a_restored_directory_serves_the_same_data() {
    if skip_in_reference("dredis snapshot and restore") {
        return;
    }
    for dest in Dest::each() {
        let server = Server::start();
        fill(&server);
        server.cli(&["acl", "setuser", "reader", "on", ">pw", "+get", "~*"]);
        server.cli(&["acl", "save"]);
        let before = contents(&server, &[0, 3]);
        // Taken from the running server: the image it makes.
        let summary = dest.snapshot(server.dir());
        assert!(summary.contains("uploaded"), "{summary}");
        // The server's image goes with the connection that asked for it.
        let images = || {
            std::fs::read_dir(server.dir().join("tmp"))
                .unwrap()
                .filter(|e| {
                    e.as_ref()
                        .unwrap()
                        .file_name()
                        .to_string_lossy()
                        .starts_with("image")
                })
                .count()
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while images() > 0 {
            assert!(Instant::now() < deadline, "the image was not released");
            std::thread::sleep(Duration::from_millis(20));
        }
        let ids = dest.ids();
        assert_eq!(ids.len(), 1);
        let objects = dest.objects();
        assert!(
            objects.contains_key(&format!("{}/manifest", ids[0])),
            "{objects:?}"
        );
        // Object names are the files' names (local stores get one more `#` after `x#12`).
        assert!(
            objects
                .keys()
                .any(|k| k.contains("/files/0/") && k.ends_with("/plain/value")),
            "{objects:?}"
        );
        assert!(
            objects
                .keys()
                .any(|k| k.contains("/files/0/") && k.contains("a%2Fb%20%2525%20..%00%FF")),
            "{objects:?}"
        );
        assert_eq!(
            objects
                .iter()
                .find(|(k, _)| k.ends_with("/big/value"))
                .map(|(_, &s)| s),
            Some(9 << 20)
        );

        let restored = TempDir::new().unwrap();
        let dir = restored.path().join("restored");
        let output = dest.restore(&dir, None);
        assert!(output.status.success());
        assert!(String::from_utf8_lossy(&output.stdout).contains("every checksum verified"));
        let copy = Server::start_in(&dir, &[]).unwrap();
        assert_eq!(contents(&copy, &[0, 3]), before);
        let mut con = copy.con();
        let hi: String = query(&mut con, &["FCALL", "hi", "0"]);
        assert_eq!(hi, "hi");
        let ttl: i64 = query(&mut con, &["TTL", "ttl"]);
        assert!(ttl > 9_000, "{ttl}");
        let users: Vec<String> = query(&mut con, &["ACL", "USERS"]);
        assert_eq!(users, ["default", "reader"]);
    }
}

#[test]
fn an_unchanged_directory_uploads_nothing_the_second_time() {
    if skip_in_reference("dredis snapshot") {
        return;
    }
    for dest in Dest::each() {
        let mut server = Server::start();
        fill(&server);
        // A stopped server's directory is snapshotted as it is.
        assert!(server.shutdown().success());
        let first = dest.snapshot(server.dir());
        assert!(number_after(&first, "uploaded") > 100, "{first}");
        let second = dest.snapshot(server.dir());
        assert!(second.contains("uploaded 0 files, 0 bytes"), "{second}");
        let ids = dest.ids();
        assert_eq!(ids.len(), 2);
        let in_second: Vec<_> = dest
            .objects()
            .into_keys()
            .filter(|k| k.starts_with(&ids[1]))
            .collect();
        assert_eq!(in_second, vec![format!("{}/manifest", ids[1])]);

        // One changed key: only its files go up; the restore of the first still works.
        server.restart();
        let _: () = query(&mut server.con(), &["SET", "plain", "changed"]);
        let third = dest.snapshot(server.dir());
        assert!(
            (1..=3).contains(&number_after(&third, "uploaded")),
            "{third}"
        );
        let restored = TempDir::new().unwrap();
        for (id, expected) in [(&ids[0], "Hello World"), (&dest.ids()[2], "changed")] {
            let dir = restored.path().join(id);
            assert!(dest.restore(&dir, Some(id)).status.success());
            let copy = Server::start_in(&dir, &[]).unwrap();
            let plain: String = query(&mut copy.con(), &["GET", "plain"]);
            assert_eq!(plain, expected);
        }
    }
}

#[test]
fn a_corrupt_or_missing_object_fails_the_restore_and_leaves_nothing() {
    if skip_in_reference("dredis restore") {
        return;
    }
    for dest in Dest::each() {
        let server = Server::start();
        fill(&server);
        dest.snapshot(server.dir());
        let objects = dest.objects();
        let value = objects
            .keys()
            .find(|k| k.ends_with("/plain/value"))
            .unwrap()
            .clone();
        let node = objects
            .keys()
            .find(|k| k.ends_with("/z/index/root"))
            .unwrap()
            .clone();
        let parent = TempDir::new().unwrap();
        let target = parent.path().join("restored");

        dest.put(&value, b"Hello Wxrld");
        let output = dest.restore(&target, None);
        assert!(!output.status.success());
        let error = String::from_utf8_lossy(&output.stderr);
        assert!(error.contains("plain/value is corrupt"), "{error}");
        assert!(!target.exists());
        assert_eq!(
            std::fs::read_dir(parent.path()).unwrap().count(),
            0,
            "nothing left behind"
        );

        dest.put(&value, b"Hello World");
        dest.delete(&node);
        let output = dest.restore(&target, None);
        assert!(!output.status.success());
        assert!(String::from_utf8_lossy(&output.stderr).contains("z/index/root"));
        assert_eq!(std::fs::read_dir(parent.path()).unwrap().count(), 0);

        // A restore never writes into a directory that has something in it.
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("mine"), b"x").unwrap();
        let output = dest.restore(&target, None);
        assert!(String::from_utf8_lossy(&output.stderr).contains("is not empty"));
        assert_eq!(std::fs::read(target.join("mine")).unwrap(), b"x");
    }
}

#[test]
fn a_wrong_secret_is_refused_and_nothing_is_written() {
    if skip_in_reference("dredis snapshot") {
        return;
    }
    let dest = Dest::s3();
    let server = Server::start();
    fill(&server);
    let Dest::S3(moto) = &dest else {
        unreachable!()
    };
    let output = Command::new(env!("CARGO_BIN_EXE_dredis"))
        .args([
            "snapshot",
            "--dir",
            server.dir().to_str().unwrap(),
            "--to",
            &dest.url(),
        ])
        .args(dest.flags())
        .envs(moto.env())
        .env("AWS_SECRET_ACCESS_KEY", "not-the-secret")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(
        error.contains("SignatureDoesNotMatch") || error.contains("403"),
        "{error}"
    );
    assert!(dest.objects().is_empty());
}

/// Writers that each run, over and over: INCR global (the number of rounds begun by anyone),
/// INCR counter, RPUSH list, MULTI SET a SET b EXEC, SET last <the global number>. Whatever
/// instant a snapshot shows, the keys must agree with each other.
#[test]
fn a_snapshot_taken_while_clients_write_shows_one_instant() {
    if skip_in_reference("dredis snapshot") {
        return;
    }
    const WRITERS: usize = 4;
    let dest = Dest::local();
    let server = Server::start();
    // Keys all over the slots, so that linking the image takes a while and the writers'
    // commits often reach their slot before the walk does (and link their key themselves).
    let mut con = server.con();
    fill_keys(&mut con, 3000);
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let mut con = server.con();
            let stop = stop.clone();
            std::thread::spawn(move || {
                let key = |name: &str| format!("{{w{w}}}:{name}-{}", "x".repeat(w * 7));
                let mut rounds = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    rounds += 1;
                    let n: u64 = query(&mut con, &["INCR", "global"]);
                    let _: u64 = query(&mut con, &["INCR", &key("counter")]);
                    let _: u64 = query(&mut con, &["RPUSH", &key("list"), &rounds.to_string()]);
                    let _: () = redis::pipe()
                        .atomic()
                        .set(key("a"), rounds)
                        .set(key("b"), rounds)
                        .query(&mut con)
                        .unwrap();
                    let _: () = query(&mut con, &["SET", &key("last"), &n.to_string()]);
                }
                rounds
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    for _ in 0..3 {
        dest.snapshot(server.dir());
        std::thread::sleep(Duration::from_millis(200));
    }
    stop.store(true, Ordering::Relaxed);
    let rounds: u64 = writers.into_iter().map(|w| w.join().unwrap()).sum();
    assert!(
        rounds > 100,
        "the writers wrote while snapshots were taken ({rounds} rounds)"
    );

    let restored = TempDir::new().unwrap();
    for id in dest.ids() {
        let dir = restored.path().join(&id);
        assert!(dest.restore(&dir, Some(&id)).status.success());
        let copy = Server::start_in(&dir, &[]).unwrap();
        let mut con = copy.con();
        let get = |con: &mut redis::Connection, k: &str| -> u64 {
            query::<Option<u64>>(con, &["GET", k]).unwrap_or(0)
        };
        let global = get(&mut con, "global");
        let mut counters = 0;
        for w in 0..WRITERS {
            let key = |name: &str| format!("{{w{w}}}:{name}-{}", "x".repeat(w * 7));
            let counter = get(&mut con, &key("counter"));
            let list: Vec<u64> = query(&mut con, &["LRANGE", &key("list"), "0", "-1"]);
            let (a, b, last) = (
                get(&mut con, &key("a")),
                get(&mut con, &key("b")),
                get(&mut con, &key("last")),
            );
            let len = list.len() as u64;
            let state = format!("snapshot {id}, writer {w}: counter {counter}, list {len}, a {a}, b {b}, last {last}, global {global}");
            assert_eq!(list, (1..=len).collect::<Vec<_>>(), "{state}");
            assert_eq!(a, b, "MULTI is all or nothing: {state}");
            assert!(len == counter || len + 1 == counter, "{state}");
            assert!(a == len || a + 1 == len, "{state}");
            assert!(a == len || len == counter, "{state}");
            assert!(last <= global, "{state}");
            counters += counter;
        }
        // Every round begins with INCR global; a writer is at most one round ahead there.
        assert!(
            counters <= global && global <= counters + WRITERS as u64,
            "snapshot {id}: global {global}, counters {counters}"
        );
    }
}

#[test]
fn shutdown_does_not_wait_for_a_snapshot_being_linked() {
    if common::skip_in_reference("dredis's snapshots") {
        return;
    }
    let mut server = Server::start();
    let mut con = server.con();
    fill_keys(&mut con, 30_000);
    let image = || redis::cmd("SNAPSHOT").arg("IMAGE").clone();
    let started = Instant::now();
    let _: redis::Value = image().query(&mut con).unwrap();
    let whole_walk = started.elapsed();
    let client = server.client();
    let imaging = std::thread::spawn(move || {
        let mut con = client.get_connection().unwrap();
        image().query::<redis::Value>(&mut con)
    });
    std::thread::sleep(whole_walk / 10);
    let started = Instant::now();
    assert!(server.shutdown().success());
    let shutdown = started.elapsed();
    assert!(imaging.join().unwrap().is_err(), "the image was finished");
    assert!(
        shutdown < whole_walk / 2,
        "the shutdown took {shutdown:?}; a whole walk takes {whole_walk:?}"
    );
}

#[test]
fn save_bgsave_and_the_schedule_take_snapshots() {
    if skip_in_reference("--snapshot-to") {
        return;
    }
    for dest in Dest::each() {
        let mut args = vec![
            "--snapshot-to".to_string(),
            dest.url(),
            "--snapshot-every".into(),
            "1".into(),
        ];
        if let Dest::S3(moto) = &dest {
            args.extend(["--snapshot-endpoint".into(), moto.endpoint.clone()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let server = Server::start_with_env(&args, dest.env());
        let mut con = server.con();
        let _: () = query(&mut con, &["SET", "k", "1"]);
        // The schedule: a snapshot within a few seconds, without asking.
        let deadline = Instant::now() + Duration::from_secs(30);
        while dest.ids().is_empty() {
            assert!(
                Instant::now() < deadline,
                "no scheduled snapshot:\n{}",
                server.log()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        let _: () = query(&mut con, &["SET", "k", "2"]);
        let info: String = query(&mut con, &["INFO", "persistence"]);
        assert!(info.contains("rdb_changes_since_last_save:"), "{info}");
        // SAVE while a scheduled snapshot runs is refused, as SAVE during BGSAVE in Redis.
        loop {
            match redis::cmd("SAVE").query::<String>(&mut con) {
                Ok(ok) => break assert_eq!(ok, "OK"),
                Err(e) => assert_eq!(
                    common::error_text(&e),
                    "ERR Background save already in progress"
                ),
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let info: String = query(&mut con, &["INFO", "persistence"]);
        assert!(info.contains("rdb_changes_since_last_save:0\r\n"), "{info}");
        let lastsave: i64 = query(&mut con, &["LASTSAVE"]);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        assert!((now - lastsave).abs() <= 2, "{lastsave} vs {now}");
        let info: String = query(&mut con, &["INFO", "persistence"]);
        assert!(info.contains("rdb_last_bgsave_status:ok"), "{info}");
        assert!(
            info.contains(&format!("snapshot_to:{}", dest.url())),
            "{info}"
        );
        let started: String = query(&mut con, &["BGSAVE", "SCHEDULE"]);
        assert!(
            started == "Background saving started" || started == "Background saving scheduled",
            "{started}"
        );

        // The latest snapshot has k = 2.
        let restored = TempDir::new().unwrap();
        let dir = restored.path().join("r");
        assert!(dest.restore(&dir, None).status.success());
        let copy = Server::start_in(&dir, &[]).unwrap();
        let k: String = query(&mut copy.con(), &["GET", "k"]);
        assert_eq!(k, "2");
    }
}

#[test]
fn save_without_a_destination_syncs_and_bgsave_answers_as_redis() {
    let server = Server::start();
    let mut con = server.con();
    let ok: String = query(&mut con, &["SAVE"]);
    assert_eq!(ok, "OK");
    let started: String = query(&mut con, &["BGSAVE"]);
    assert!(started == "Background saving started", "{started}");
    let lastsave: i64 = query(&mut con, &["LASTSAVE"]);
    assert!(lastsave > 1_700_000_000);
    let error = common::query_err(&mut con, &["BGSAVE", "NOW"]);
    assert_eq!(error, "ERR syntax error");
}

/// A data directory of several GiB, one value of 1 GiB among them, goes up to S3 in parts:
/// the snapshot's memory does not grow with the data.
#[test]
fn memory_stays_flat_while_gigabytes_are_uploaded() {
    if skip_in_reference("dredis snapshot") {
        return;
    }
    let dest = Dest::s3();
    let mut server = Server::start_with(&["--proto-max-bulk-len", "2gb"]);
    let mut con = server.con();
    // SETRANGE far into an empty value makes a sparse file: quick to make, read in full.
    for (key, size) in [
        ("huge", 1u64 << 30),
        ("a", 600 << 20),
        ("b", 600 << 20),
        ("c", 600 << 20),
    ] {
        let _: u64 = query(&mut con, &["SETRANGE", key, &(size - 1).to_string(), "!"]);
    }
    assert!(server.shutdown().success());
    let output = dest.dredis(&[
        "snapshot",
        "--dir",
        server.dir().to_str().unwrap(),
        "--to",
        &dest.url(),
    ]);
    assert!(output.status.success());
    let summary = String::from_utf8_lossy(&output.stdout);
    // Not on a terminal: progress is logged every few seconds.
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(
        log.contains("snapshot: ") && log.contains(" files/s, ETA "),
        "{log}"
    );
    let bytes = number_after(&summary, "files,");
    assert!(bytes > 2_900_000_000, "{summary}");
    let peak = number_after(&summary, "peak memory");
    assert!(
        peak < 160,
        "peak memory {peak} MiB while uploading {bytes} bytes: {summary}"
    );
    let objects = dest.objects();
    assert_eq!(
        objects
            .iter()
            .find(|(k, _)| k.ends_with("/huge/value"))
            .map(|(_, &s)| s),
        Some(1 << 30)
    );
}
