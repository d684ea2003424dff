//! Binary safety: keys, hash fields and set members are arbitrary bytes. Names that look like
//! paths (`/`, `..`), control bytes, invalid UTF-8 and very long names all round-trip, and no
//! name makes the server touch a file outside its data directory.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::Server;
use redis::Connection;

/// Names that would be dangerous or impossible as raw file names.
fn tricky_names() -> Vec<Vec<u8>> {
    let mut names: Vec<Vec<u8>> = [
        &b"plain"[..],
        b"",
        b"/",
        b"a/b",
        b"/etc/passwd",
        b"..",
        b".",
        b"...",
        b"../sibling/escaped",
        b"../../../../../../tmp/escaped",
        b"./x",
        b".hidden",
        b"trailing.",
        b"\0",
        b"a\0b",
        b"\r\n",
        b"line\r\nbreak",
        b"\xff\xfe\xc3\x28",
        b"%",
        b"%%",
        b"%2F",
        b"%2e%2e",
        // Looks like the file name of a digested long name.
        b"%%0123456789abcdef0123456789abcdef01234567",
        b"with space",
        b"*?[glob]",
        b"{tag}key",
        b"user:1000",
        "\u{fc}n\u{ef}c\u{f8}d\u{e9}".as_bytes(),
        b"LOCK",
        b"FORMAT",
        b"tmp",
        b"type",
        b"value",
        b"fields",
        b"members",
    ]
    .iter()
    .map(|n| n.to_vec())
    .collect();
    // Every byte value, and 10 KB of them (far past any file name limit).
    names.push((0..=255u8).collect());
    names.push((0..10 * 1024).map(|i| (i * 7 % 256) as u8).collect());
    names.push(vec![b'/'; 10 * 1024]);
    names
}

fn set_of(items: Vec<Vec<u8>>) -> BTreeSet<Vec<u8>> {
    items.into_iter().collect()
}

fn select(con: &mut Connection, db: u8) {
    let _: () = redis::cmd("SELECT").arg(db).query(con).unwrap();
}

/// Writes every name as a string key (db 0), a hash key (db 1), a set key (db 2), a field of
/// hash `h` and a member of set `s` (db 3).
fn write_all(con: &mut Connection, names: &[Vec<u8>]) {
    for name in names {
        select(con, 0);
        let _: () = redis::cmd("SET").arg(name).arg(name).query(con).unwrap();
        select(con, 1);
        let new: i64 = redis::cmd("HSET")
            .arg(name)
            .arg("f")
            .arg(name)
            .query(con)
            .unwrap();
        assert_eq!(new, 1);
        select(con, 2);
        let new: i64 = redis::cmd("SADD").arg(name).arg("m").query(con).unwrap();
        assert_eq!(new, 1);
        select(con, 3);
        let new: i64 = redis::cmd("HSET")
            .arg("h")
            .arg(name)
            .arg(name)
            .query(con)
            .unwrap();
        assert_eq!(new, 1, "HSET h {:?}", String::from_utf8_lossy(name));
        let new: i64 = redis::cmd("SADD").arg("s").arg(name).query(con).unwrap();
        assert_eq!(new, 1, "SADD s {:?}", String::from_utf8_lossy(name));
    }
}

/// Reads every name back in every role.
fn check_all(con: &mut Connection, names: &[Vec<u8>]) {
    let all = set_of(names.to_vec());
    for name in names {
        let shown = String::from_utf8_lossy(&name[..name.len().min(40)]).into_owned();
        select(con, 0);
        let value: Vec<u8> = redis::cmd("GET").arg(name).query(con).unwrap();
        assert!(value == *name, "GET {shown:?}");
        let kind: String = redis::cmd("TYPE").arg(name).query(con).unwrap();
        assert_eq!(kind, "string", "TYPE {shown:?}");
        select(con, 1);
        let value: Vec<u8> = redis::cmd("HGET").arg(name).arg("f").query(con).unwrap();
        assert!(value == *name, "HGET {shown:?} f");
        select(con, 2);
        let member: i64 = redis::cmd("SISMEMBER")
            .arg(name)
            .arg("m")
            .query(con)
            .unwrap();
        assert_eq!(member, 1, "SISMEMBER {shown:?} m");
        select(con, 3);
        let value: Vec<u8> = redis::cmd("HGET").arg("h").arg(name).query(con).unwrap();
        assert!(value == *name, "HGET h {shown:?}");
        let member: i64 = redis::cmd("SISMEMBER")
            .arg("s")
            .arg(name)
            .query(con)
            .unwrap();
        assert_eq!(member, 1, "SISMEMBER s {shown:?}");
    }
    // A name without glob characters is a pattern that matches only itself.
    select(con, 0);
    for name in names
        .iter()
        .filter(|n| !n.iter().any(|c| b"*?[\\".contains(c)))
    {
        let found: Vec<Vec<u8>> = redis::cmd("KEYS").arg(name).query(con).unwrap();
        assert!(
            found == [name.clone()],
            "KEYS {:?}",
            String::from_utf8_lossy(name)
        );
    }
    for db in 0..3 {
        select(con, db);
        let keys: Vec<Vec<u8>> = redis::cmd("KEYS").arg("*").query(con).unwrap();
        assert_eq!(keys.len(), names.len(), "KEYS * in db {db}");
        assert!(set_of(keys) == all, "KEYS * in db {db} lists other names");
    }
    select(con, 3);
    let fields: Vec<Vec<u8>> = redis::cmd("HKEYS").arg("h").query(con).unwrap();
    assert!(set_of(fields) == all, "HKEYS h lists other names");
    let pairs: Vec<(Vec<u8>, Vec<u8>)> = redis::cmd("HGETALL").arg("h").query(con).unwrap();
    assert!(pairs.iter().all(|(f, v)| f == v));
    assert_eq!(pairs.len(), names.len());
    let members: Vec<Vec<u8>> = redis::cmd("SMEMBERS").arg("s").query(con).unwrap();
    assert!(set_of(members) == all, "SMEMBERS s lists other names");
    let len: i64 = redis::cmd("HLEN").arg("h").query(con).unwrap();
    assert_eq!(len as usize, names.len());
}

/// Every file and directory under `root` is inside `data` or is the (empty) `sibling`, and
/// none is a symbolic link. (Entries may vanish during the walk: the server empties its
/// trash in the background.)
fn assert_nothing_outside(root: &Path, data: &Path, sibling: &Path) {
    for entry in walkdir::WalkDir::new(root).follow_links(false) {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) if e.io_error().map(|io| io.kind()) == Some(std::io::ErrorKind::NotFound) => {
                continue
            }
            Err(e) => panic!("walking {}: {e}", root.display()),
        };
        let path = entry.path();
        assert!(
            !entry.path_is_symlink(),
            "a symbolic link: {}",
            path.display()
        );
        assert!(
            path.starts_with(data) || path == root || path == sibling,
            "a file outside the data directory: {}",
            path.display()
        );
    }
    assert_eq!(std::fs::read_dir(sibling).unwrap().count(), 0);
    assert!(!Path::new("/tmp/escaped").exists());
}

#[test]
fn tricky_names_round_trip_and_stay_inside_the_data_directory() {
    let mut server = Server::start();
    let data = server.dir().to_path_buf();
    let root = data.parent().unwrap().to_path_buf();
    let sibling = root.join("sibling");
    std::fs::create_dir(&sibling).unwrap();
    let names = tricky_names();
    let mut con = server.con();
    write_all(&mut con, &names);
    check_all(&mut con, &names);
    assert_nothing_outside(&root, &data, &sibling);

    // The names are read back from the disk after a restart.
    server.restart();
    let mut con = server.con();
    check_all(&mut con, &names);

    // And they can all be deleted.
    for name in &names {
        select(&mut con, 0);
        let removed: i64 = redis::cmd("DEL").arg(name).query(&mut con).unwrap();
        assert_eq!(removed, 1);
        select(&mut con, 3);
        let removed: i64 = redis::cmd("HDEL")
            .arg("h")
            .arg(name)
            .query(&mut con)
            .unwrap();
        assert_eq!(removed, 1);
    }
    select(&mut con, 0);
    let size: i64 = redis::cmd("DBSIZE").query(&mut con).unwrap();
    assert_eq!(size, 0);
    select(&mut con, 3);
    let exists: i64 = redis::cmd("EXISTS").arg("h").query(&mut con).unwrap();
    assert_eq!(exists, 0, "the hash emptied by HDEL is gone");
    assert_nothing_outside(&root, &data, &sibling);
}

#[test]
fn names_that_differ_only_in_escaping_are_different_keys() {
    // Raw bytes and their would-be escapes must not collide on disk.
    let server = Server::start();
    let mut con = server.con();
    let names: [&[u8]; 8] = [b"/", b"%2F", b"%2f", b"%", b"%25", b".", b"%2E", b""];
    for (i, name) in names.iter().enumerate() {
        let _: () = redis::cmd("SET").arg(*name).arg(i).query(&mut con).unwrap();
    }
    for (i, name) in names.iter().enumerate() {
        let value: usize = redis::cmd("GET").arg(*name).query(&mut con).unwrap();
        assert_eq!(value, i, "GET {:?}", String::from_utf8_lossy(name));
    }
    let size: i64 = redis::cmd("DBSIZE").query(&mut con).unwrap();
    assert_eq!(size, names.len() as i64);
}

#[test]
fn long_names_with_a_common_prefix_stay_distinct() {
    let server = Server::start();
    let mut con = server.con();
    let prefix = vec![b'k'; 5000];
    let names: Vec<Vec<u8>> = (0..20)
        .map(|i| [&prefix[..], format!("{i}").as_bytes()].concat())
        .collect();
    for (i, name) in names.iter().enumerate() {
        let _: () = redis::cmd("SET").arg(name).arg(i).query(&mut con).unwrap();
        let _: () = redis::cmd("HSET")
            .arg("h")
            .arg(name)
            .arg(i)
            .query(&mut con)
            .unwrap();
    }
    for (i, name) in names.iter().enumerate() {
        let value: usize = redis::cmd("GET").arg(name).query(&mut con).unwrap();
        assert_eq!(value, i);
        let value: usize = redis::cmd("HGET")
            .arg("h")
            .arg(name)
            .query(&mut con)
            .unwrap();
        assert_eq!(value, i);
    }
    let keys: Vec<Vec<u8>> = redis::cmd("KEYS").arg("k*").query(&mut con).unwrap();
    assert_eq!(set_of(keys), set_of(names));
}
