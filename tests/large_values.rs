//! Values far larger than the server's memory budget: SET streams the argument into a file
//! in the data directory and renames it into place; GET streams the file back.

mod common;

use std::io::{BufRead, Read, Write};
use std::net::TcpStream;

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
