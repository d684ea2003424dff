//! Values far larger than the server's memory budget: SET streams the argument into a file
//! in the data directory and renames it into place; GET streams the file back; APPEND writes
//! just the new bytes into the value file, and a crash in the middle of one leaves the old
//! value.

mod common;

use std::io::{BufRead, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::{Raw, Server};

const MIB: usize = 1 << 20;
const SIZE: usize = 256 * MIB;

/// The byte at offset `i` of the test value: a pattern that is not periodic in 1 MiB.
fn byte_at(i: usize) -> u8 {
    (i % 251) as u8
}

fn chunk(offset: usize, len: usize) -> Vec<u8> {
    (offset..offset + len).map(byte_at).collect()
}

/// Peak resident memory of a process, from /proc.
fn peak_rss_bytes(pid: u32) -> usize {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .expect("VmHWM in /proc/pid/status");
    let kib: usize = line
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap();
    kib * 1024
}

#[test]
fn set_and_get_of_a_256_mib_value_keep_the_server_memory_flat() {
    let server = Server::start();
    let mut stream = TcpStream::connect(server.addr()).unwrap();
    stream
        .write_all(format!("*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n${SIZE}\r\n").as_bytes())
        .unwrap();
    for offset in (0..SIZE).step_by(MIB) {
        stream.write_all(&chunk(offset, MIB)).unwrap();
    }
    stream.write_all(b"\r\n").unwrap();
    let mut raw = Raw::from_stream(stream.try_clone().unwrap());
    assert_eq!(raw.reply(), "+OK\r\n");
    let after_set = peak_rss_bytes(server.pid());
    assert!(
        after_set < 96 * MIB,
        "peak RSS after SET: {after_set} bytes"
    );

    // The value is a file of the key, and nothing is left behind in tmp/.
    let values: Vec<u64> = walk_files(server.dir())
        .into_iter()
        .filter(|(path, _)| path.ends_with("big/value"))
        .map(|(_, len)| len)
        .collect();
    assert_eq!(values, [SIZE as u64]);

    assert_eq!(
        raw.call(&["GETRANGE", "big", "1000000", "1000009"]),
        format!(
            "$10\r\n{}\r\n",
            String::from_utf8_lossy(&chunk(1_000_000, 10))
        )
    );

    // GET: read the reply a piece at a time and check every byte.
    stream.write_all(&common::resp(&["GET", "big"])).unwrap();
    let mut reader = std::io::BufReader::with_capacity(MIB, stream);
    let mut header = String::new();
    reader.read_line(&mut header).unwrap();
    assert_eq!(header, format!("${SIZE}\r\n"));
    let mut buf = vec![0; MIB];
    for offset in (0..SIZE).step_by(MIB) {
        reader.read_exact(&mut buf).unwrap();
        assert!(
            buf == chunk(offset, MIB),
            "bytes differ in the MiB at {offset}"
        );
    }
    let mut end = [0; 2];
    reader.read_exact(&mut end).unwrap();
    assert_eq!(&end, b"\r\n");
    let after_get = peak_rss_bytes(server.pid());
    assert!(
        after_get < 96 * MIB,
        "peak RSS after GET: {after_get} bytes"
    );
}

#[test]
fn a_big_value_survives_a_restart_and_a_client_that_disconnects_mid_value_leaves_nothing() {
    let mut server = Server::start();
    let size = 8 * MIB;
    let mut con = server.con();
    let value = chunk(0, size);
    redis::cmd("SET")
        .arg("v")
        .arg(&value)
        .query::<()>(&mut con)
        .unwrap();
    // A client that announces 64 MiB and hangs up after 4: nothing is stored, no temp file stays.
    let mut stream = TcpStream::connect(server.addr()).unwrap();
    stream
        .write_all(format!("*3\r\n$3\r\nSET\r\n$1\r\nw\r\n${}\r\n", 64 * MIB).as_bytes())
        .unwrap();
    stream.write_all(&chunk(0, 4 * MIB)).unwrap();
    drop(stream);
    server.restart();
    let mut con = server.con();
    let back: Vec<u8> = redis::cmd("GET").arg("v").query(&mut con).unwrap();
    assert!(back == value);
    let missing: Option<Vec<u8>> = redis::cmd("GET").arg("w").query(&mut con).unwrap();
    assert_eq!(missing, None);
    let stray: Vec<_> = walk_files(&server.dir().join("tmp"))
        .into_iter()
        .filter(|(_, len)| *len > MIB as u64)
        .collect();
    assert!(stray.is_empty(), "left in tmp/: {stray:?}");
}

fn skip_in_reference(why: &str) -> bool {
    let reference = std::env::var_os("DREDIS_TEST_REFERENCE").is_some_and(|v| v != "0");
    if reference {
        eprintln!("skipped against the reference redis-server: {why}");
    }
    reference
}

#[test]
fn appending_64_mib_in_1_mib_pieces_keeps_the_server_memory_flat() {
    let server = Server::start();
    let mut con = server.con();
    let size = 64 * MIB;
    for offset in (0..size).step_by(MIB) {
        let len: usize = redis::cmd("APPEND")
            .arg("big")
            .arg(chunk(offset, MIB))
            .query(&mut con)
            .unwrap();
        assert_eq!(len, offset + MIB);
    }
    let strlen: usize = redis::cmd("STRLEN").arg("big").query(&mut con).unwrap();
    assert_eq!(strlen, size);
    for (start, len) in [
        (0, 10),
        (MIB - 5, 10),
        (33 * MIB + 123, 2 * MIB + 7),
        (size - MIB, MIB),
    ] {
        let slice: Vec<u8> = redis::cmd("GETRANGE")
            .arg("big")
            .arg(start)
            .arg(start + len - 1)
            .query(&mut con)
            .unwrap();
        assert!(slice == chunk(start, len), "GETRANGE at {start} differs");
    }
    if skip_in_reference("dredis's memory use and data directory") {
        return;
    }
    let peak = peak_rss_bytes(server.pid());
    assert!(peak < 100 * MIB, "peak RSS: {peak} bytes");
    let values: Vec<u64> = walk_files(server.dir())
        .into_iter()
        .filter(|(path, _)| path.ends_with("big/value"))
        .map(|(_, len)| len)
        .collect();
    assert_eq!(values, [size as u64]);
}

#[test]
fn a_crash_in_the_middle_of_appends_leaves_the_old_value_or_the_new_one() {
    if skip_in_reference("kills dredis") {
        return;
    }
    const PIECE: usize = 8 * MIB;
    const PIECES: usize = 6;
    let mut server = Server::start();
    let mut con = server.con();
    // A value past 64 KiB, so that APPEND writes in place.
    let mut model = chunk(0, 256 * 1024);
    let _: () = redis::cmd("SET")
        .arg("k")
        .arg(&model)
        .query(&mut con)
        .unwrap();
    for (round, delay_ms) in [25, 80, 200].into_iter().enumerate() {
        // Pieces are told apart by their first byte.
        let piece = move |i: usize| vec![(round * PIECES + i) as u8 + 1; PIECE];
        let mut stream = TcpStream::connect(server.addr()).unwrap();
        let writer = std::thread::spawn(move || {
            for i in 0..PIECES {
                let request = common::resp(&[&b"APPEND"[..], b"k", &piece(i)]);
                if stream.write_all(&request).is_err() {
                    break; // the server is gone
                }
            }
        });
        std::thread::sleep(Duration::from_millis(delay_ms));
        server.crash();
        let _ = writer.join();
        server.restart();
        let mut con = server.con();
        let value: Vec<u8> = redis::cmd("GET").arg("k").query(&mut con).unwrap();
        let added = value.len() - model.len();
        assert_eq!(
            added % PIECE,
            0,
            "round {round}: a torn APPEND of {added} bytes"
        );
        assert!(
            value[..model.len()] == model,
            "round {round}: the old value changed"
        );
        for (i, got) in value[model.len()..].chunks(PIECE).enumerate() {
            assert!(got == piece(i), "round {round}: piece {i} differs");
        }
        // The next APPEND goes on from the value, over whatever the crash left past it.
        model = value;
        model.extend_from_slice(b"end");
        let len: usize = redis::cmd("APPEND")
            .arg("k")
            .arg("end")
            .query(&mut con)
            .unwrap();
        assert_eq!(len, model.len());
        let back: Vec<u8> = redis::cmd("GET").arg("k").query(&mut con).unwrap();
        assert!(back == model, "round {round}: APPEND after the crash");
    }
}

#[test]
fn bytes_left_past_the_recorded_length_are_not_part_of_the_value() {
    if skip_in_reference("dredis's data directory") {
        return;
    }
    // What a crash between writing an APPEND's bytes and replacing `type` leaves behind:
    // a value file longer than the `size` that `type` records.
    let mut server = Server::start();
    let mut con = server.con();
    let value = chunk(0, 256 * 1024);
    let _: () = redis::cmd("SET")
        .arg("k")
        .arg(&value)
        .query(&mut con)
        .unwrap();
    drop(con);
    server.shutdown();
    let (path, _) = walk_files(server.dir())
        .into_iter()
        .find(|(path, _)| path.ends_with("k/value"))
        .unwrap();
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    file.write_all(&[0xEE; 100_000]).unwrap();
    server.restart();
    let mut con = server.con();
    let back: Vec<u8> = redis::cmd("GET").arg("k").query(&mut con).unwrap();
    assert!(back == value, "GET read past the recorded length");
    let strlen: usize = redis::cmd("STRLEN").arg("k").query(&mut con).unwrap();
    assert_eq!(strlen, value.len());
    let tail: Vec<u8> = redis::cmd("GETRANGE")
        .arg("k")
        .arg(-3)
        .arg(-1)
        .query(&mut con)
        .unwrap();
    assert!(tail == value[value.len() - 3..]);
    let ones: usize = redis::cmd("BITCOUNT").arg("k").query(&mut con).unwrap();
    let want: u32 = value.iter().map(|b| b.count_ones()).sum();
    assert_eq!(ones, want as usize);
    // The next APPEND writes over the leftover bytes.
    let len: usize = redis::cmd("APPEND")
        .arg("k")
        .arg("new")
        .query(&mut con)
        .unwrap();
    assert_eq!(len, value.len() + 3);
    let tail: Vec<u8> = redis::cmd("GETRANGE")
        .arg("k")
        .arg(-4)
        .arg(-1)
        .query(&mut con)
        .unwrap();
    assert_eq!(tail, [value[value.len() - 1], b'n', b'e', b'w']);
}

/// Every regular file under `dir`, with its size.
fn walk_files(dir: &std::path::Path) -> Vec<(std::path::PathBuf, u64)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                stack.push(entry.path());
            } else {
                out.push((entry.path(), meta.len()));
            }
        }
    }
    out
}

/// SMEMBERS, HGETALL, HKEYS, HVALS, LRANGE, ZRANGE and KEYS replies larger than 1 MiB are encoded
/// into a temp file and streamed: what arrives is the same, in RESP2 and in RESP3, large
/// (streamed) values included.
#[test]
fn aggregate_replies_past_a_mebibyte_arrive_whole_in_both_protocols() {
    use std::collections::{HashMap, HashSet};
    let server = Server::start();
    let mut con = server.con();
    let element = |i: usize, len: usize| -> Vec<u8> {
        let mut e = format!("{i:06}-").into_bytes();
        e.extend((0..len).map(|j| byte_at(i + j)));
        e
    };
    // 300 elements of 8 KiB and two of 200 KiB (values streamed from their files): 2.8 MB.
    let len = |i: usize| if i % 150 == 7 { 200 << 10 } else { 8 << 10 };
    let elements: Vec<Vec<u8>> = (0..300).map(|i| element(i, len(i))).collect();
    // Names of 4,000 bytes (files named by their digest): 1.2 MB.
    let members: HashSet<Vec<u8>> = (0..300)
        .map(|i| format!("{i:06}{}", "m".repeat(3994)).into_bytes())
        .collect();
    let hash: HashMap<Vec<u8>, Vec<u8>> = (0..300)
        .map(|i| (format!("f{i}").into_bytes(), element(i, len(i))))
        .collect();
    for chunk in elements.chunks(50) {
        let _: () = redis::cmd("RPUSH")
            .arg("l")
            .arg(chunk)
            .query(&mut con)
            .unwrap();
    }
    let members_list: Vec<&Vec<u8>> = members.iter().collect();
    for chunk in members_list.chunks(100) {
        let _: () = redis::cmd("SADD")
            .arg("s")
            .arg(chunk)
            .query(&mut con)
            .unwrap();
    }
    let ranked: Vec<(Vec<u8>, f64)> = members_list
        .iter()
        .enumerate()
        .map(|(i, m)| ((*m).clone(), i as f64 / 4.0))
        .collect();
    for chunk in ranked.chunks(100) {
        let mut zadd = redis::cmd("ZADD");
        zadd.arg("z");
        for (member, score) in chunk {
            zadd.arg(*score).arg(member);
        }
        let _: () = zadd.query(&mut con).unwrap();
    }
    for (field, value) in &hash {
        let _: () = redis::cmd("HSET")
            .arg("h")
            .arg(field)
            .arg(value)
            .query(&mut con)
            .unwrap();
    }
    let fields: HashSet<Vec<u8>> = hash.keys().cloned().collect();
    let values: HashSet<Vec<u8>> = hash.values().cloned().collect();
    // The members as keys too, for KEYS.
    let mut mset = redis::cmd("MSET");
    for member in &members {
        mset.arg(member).arg(1);
    }
    let _: () = mset.query(&mut con).unwrap();
    let resp3 = redis::Client::open(format!("redis://{}/?protocol=resp3", server.addr()))
        .unwrap()
        .get_connection()
        .unwrap();
    for mut con in [con, resp3] {
        let got: Vec<Vec<u8>> = redis::cmd("LRANGE")
            .arg("l")
            .arg(0)
            .arg(-1)
            .query(&mut con)
            .unwrap();
        assert!(got == elements, "LRANGE l 0 -1");
        let got: Vec<(Vec<u8>, f64)> = redis::cmd("ZRANGE")
            .arg("z")
            .arg(0)
            .arg(-1)
            .arg("WITHSCORES")
            .query(&mut con)
            .unwrap();
        assert!(got == ranked, "ZRANGE z 0 -1 WITHSCORES");
        let got: Vec<Vec<u8>> = redis::cmd("ZRANGE")
            .arg("z")
            .arg("+inf")
            .arg("-inf")
            .arg("BYSCORE")
            .arg("REV")
            .query(&mut con)
            .unwrap();
        let reversed: Vec<Vec<u8>> = ranked.iter().rev().map(|(m, _)| m.clone()).collect();
        assert!(got == reversed, "ZRANGE z +inf -inf BYSCORE REV");
        let got: HashSet<Vec<u8>> = redis::cmd("SMEMBERS").arg("s").query(&mut con).unwrap();
        assert!(got == members, "SMEMBERS s");
        let got: HashMap<Vec<u8>, Vec<u8>> =
            redis::cmd("HGETALL").arg("h").query(&mut con).unwrap();
        assert!(got == hash, "HGETALL h");
        let got: HashSet<Vec<u8>> = redis::cmd("HKEYS").arg("h").query(&mut con).unwrap();
        assert!(got == fields, "HKEYS h");
        let got: HashSet<Vec<u8>> = redis::cmd("HVALS").arg("h").query(&mut con).unwrap();
        assert!(got == values, "HVALS h");
        let mut keys: HashSet<Vec<u8>> = redis::cmd("KEYS").arg("*").query(&mut con).unwrap();
        assert!(keys.remove(b"l".as_slice()) && keys.remove(b"s".as_slice()));
        assert!(keys.remove(b"h".as_slice()) && keys.remove(b"z".as_slice()));
        assert!(keys == members, "KEYS *");
    }
}
