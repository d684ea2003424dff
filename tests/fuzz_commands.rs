//! Fuzzing the command layer over TCP: random requests to a real dredis.
//!
//! The commands are the server's own (`COMMAND`, subcommands included), with the number of
//! arguments their arity asks for (or one more or less), filled with hostile values: keys of
//! every type (so that types collide), numbers that are huge, negative, fractional, padded or
//! not numbers, empty strings, binary bytes, long strings, glob patterns, option words, Lua
//! scripts and function libraries. Several connections send pipelined batches at once; each
//! reply is read by a strict RESP2/RESP3 reader, and each batch ends with a marker request
//! whose reply must come right after the batch's, so every request gets exactly one
//! well-formed reply. Another connection meanwhile sends mangled bytes and hangs up. At the
//! end the server must answer PING on a new connection, list no leftover client, and have
//! logged no panic.
//!
//! `scripts/fuzz` runs it for `FUZZ_SECONDS` (`FUZZ_SEED` replays a run); in the normal test
//! suite it runs for a few seconds.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::{resp, Server};
use fastrand::Rng;

/// Commands left out, and why.
const LEFT_OUT: &[(&str, &str)] = &[
    ("shutdown", "stops the server"),
    (
        "debug",
        "DEBUG SLEEP with a random time, and it is a debugging aid",
    ),
    (
        "monitor",
        "turns the connection into a stream of other clients' commands",
    ),
    ("quit", "closes the connection"),
    (
        "client|kill",
        "closes connections, the fuzzer's own among them",
    ),
    ("client|reply", "OFF and SKIP take replies away"),
    ("subscribe", "one reply per channel, then messages"),
    ("psubscribe", "one reply per pattern"),
    ("ssubscribe", "one reply per channel"),
    ("unsubscribe", "one reply per channel"),
    ("punsubscribe", "one reply per pattern"),
    ("sunsubscribe", "one reply per channel"),
    // Random values for these would close connections (timeout, maxclients, the protocol
    // limits) or lock them out (requirepass): CONFIG SET gets safe parameters instead.
    ("config|set", "replaced by safe_config_set"),
];

/// Parameters CONFIG SET may change at random without closing anyone's connection.
const SAFE_PARAMETERS: &[&str] = &[
    "hash-max-listpack-entries",
    "set-max-intset-entries",
    "zset-max-listpack-value",
    "list-max-listpack-size",
    "slowlog-log-slower-than",
    "slowlog-max-len",
    "hz",
    "busy-reply-threshold",
    "notify-keyspace-events",
    "maxmemory-policy",
];

/// Numbers as a hostile client writes them.
const NUMBERS: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "3",
    "10",
    "100",
    "-100",
    "0.5",
    "-0.5",
    "1.5",
    "1e3",
    "1e308",
    "1e309",
    "-1e309",
    "inf",
    "-inf",
    "+inf",
    "nan",
    "NaN",
    "0x10",
    " 1",
    "1 ",
    "01",
    "-0",
    "+5",
    "",
    "abc",
    "1a",
    "(1",
    "(-inf",
    "[a",
    "-",
    "+",
    "2147483647",
    "2147483648",
    "-2147483648",
    "-2147483649",
    "4294967295",
    "4294967296",
    "536870911",
    "536870912",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "99999999999999999999",
    "1.7976931348623157e308",
    "4.9e-324",
    "0.1",
    "17.5",
];

/// Option words of Redis commands.
const WORDS: &[&str] = &[
    "EX",
    "PX",
    "EXAT",
    "PXAT",
    "NX",
    "XX",
    "GT",
    "LT",
    "CH",
    "INCR",
    "GET",
    "KEEPTTL",
    "PERSIST",
    "WITHSCORES",
    "WITHSCORE",
    "WITHVALUES",
    "LIMIT",
    "BYSCORE",
    "BYLEX",
    "REV",
    "COUNT",
    "MATCH",
    "TYPE",
    "LEFT",
    "RIGHT",
    "BEFORE",
    "AFTER",
    "MIN",
    "MAX",
    "SUM",
    "AGGREGATE",
    "WEIGHTS",
    "RANK",
    "MAXLEN",
    "LEN",
    "IDX",
    "MINMATCHLEN",
    "WITHMATCHLEN",
    "OVERFLOW",
    "WRAP",
    "SAT",
    "FAIL",
    "u8",
    "i64",
    "u63",
    "i65",
    "#1",
    "BIT",
    "BYTE",
    "AND",
    "OR",
    "XOR",
    "NOT",
    "DB",
    "REPLACE",
    "ASYNC",
    "SYNC",
    "SCHEDULE",
    "ABSTTL",
    "LIBRARYNAME",
    "WITHCODE",
    "FLUSH",
    "ID",
    "NAME",
    "SETNAME",
    "AUTH",
    "default",
    "lib-name",
    "lib-ver",
    "ON",
    "OFF",
    "TIMEOUT",
    "ERROR",
    "string",
    "list",
    "hash",
    "set",
    "zset",
    "*",
    "k*",
    "[a-z]*",
    "\\",
    "[",
    "?",
    "everything",
    "default",
    "all",
    "keyspace",
    "commandstats",
];

/// Lua for EVAL and friends: small scripts that do something, and ones that fail.
const SCRIPTS: &[&str] = &[
    "return 1",
    "return KEYS",
    "return ARGV",
    "return {1, 'two', {3, false}, nil, 4}",
    "return redis.call('get', KEYS[1])",
    "return redis.pcall('incr', KEYS[1])",
    "return redis.call('set', KEYS[1], ARGV[1])",
    "return redis.call('lpush', KEYS[1], ARGV[1])",
    "return redis.pcall('zadd', KEYS[1], ARGV[1], 'm')",
    "return redis.error_reply('MY error')",
    "return redis.status_reply('FINE')",
    "return {err = 'custom'}",
    "return 3.99",
    "return cjson.encode({a = ARGV})",
    "return cjson.decode(ARGV[1])",
    "return cmsgpack.unpack(ARGV[1])",
    "return struct.pack('>I', tonumber(ARGV[1]))",
    "return redis.sha1hex(ARGV[1])",
    "redis.setresp(3); return redis.call('hgetall', KEYS[1])",
    "return redis.call('nosuchcommand')",
    "return redis.call()",
    "error('boom')",
    "x = 1",
    "return",
    "return (",
    "#!lua flags=no-writes\nreturn redis.call('set', KEYS[1], 1)",
    "#!lua\nreturn 5",
    "#!lua flags=bogus\nreturn 1",
    "return string.rep('x', 100000)",
    "local t = {} for i = 1, 1000 do t[i] = i end return t",
];

/// Keys: a few of them, so that commands meet each other's types.
const KEYS: &[&str] = &[
    "k0", "k1", "k2", "k3", "k4", "{t}a", "{t}b", "{t}c", "a/b", "..", "",
];

/// How long one reply may take (a 512 MB value made by SETRANGE streams back whole).
const REPLY_PATIENCE: Duration = Duration::from_secs(60);

/// A command the fuzzer can send: its words (`client`, `list` for a subcommand) and arity.
#[derive(Clone, Debug)]
struct Spec {
    words: Vec<String>,
    arity: i64,
    blocking: bool,
}

fn fuzz_duration(default: f64) -> Duration {
    let seconds = std::env::var("FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(default);
    Duration::from_secs_f64(seconds.max(0.0))
}

fn fuzz_seed() -> u64 {
    std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..))
}

/// The server's commands, from COMMAND, without those left out.
fn commands(server: &Server) -> Vec<Spec> {
    let mut con = server.con();
    let all: redis::Value = redis::cmd("COMMAND").query(&mut con).expect("COMMAND");
    let mut specs = Vec::new();
    let redis::Value::Array(entries) = all else {
        panic!("COMMAND: {all:?}")
    };
    fn spec(entry: &redis::Value, specs: &mut Vec<Spec>) {
        let redis::Value::Array(fields) = entry else {
            panic!("a COMMAND entry: {entry:?}")
        };
        let name = match &fields[0] {
            redis::Value::BulkString(b) => String::from_utf8_lossy(b).to_lowercase(),
            redis::Value::SimpleString(s) => s.to_lowercase(),
            other => panic!("a command name: {other:?}"),
        };
        let redis::Value::Int(arity) = fields[1] else {
            panic!("an arity: {:?}", fields[1])
        };
        let flags: Vec<String> = match &fields[2] {
            redis::Value::Array(flags) | redis::Value::Set(flags) => flags
                .iter()
                .map(|f| match f {
                    redis::Value::SimpleString(s) => s.clone(),
                    redis::Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
                    other => format!("{other:?}"),
                })
                .collect(),
            _ => Vec::new(),
        };
        if let Some(redis::Value::Array(subcommands)) = fields.get(9) {
            for sub in subcommands {
                spec(sub, specs);
            }
        }
        if LEFT_OUT.iter().any(|(left, _)| *left == name) {
            return;
        }
        specs.push(Spec {
            words: name.split('|').map(str::to_string).collect(),
            arity,
            blocking: flags.iter().any(|f| f == "blocking"),
        });
    }
    for entry in &entries {
        spec(entry, &mut specs);
    }
    assert!(specs.len() > 150, "only {} commands", specs.len());
    specs
}

/// One hostile argument.
fn value(rng: &mut Rng) -> Vec<u8> {
    match rng.u8(..100) {
        0..=29 => rng.choice(KEYS).unwrap().as_bytes().to_vec(),
        30..=54 => rng.choice(NUMBERS).unwrap().as_bytes().to_vec(),
        55..=74 => rng.choice(WORDS).unwrap().as_bytes().to_vec(),
        75..=79 => Vec::new(),
        80..=89 => (0..rng.usize(1..20)).map(|_| rng.u8(..)).collect(),
        90..=95 => (0..rng.usize(1..12))
            .map(|_| rng.alphanumeric() as u8)
            .collect(),
        96 | 97 => vec![rng.alphanumeric() as u8; rng.usize(100..5000)],
        98 => vec![b'x'; rng.usize(16_000..70_000)],
        _ => rng.choice(SCRIPTS).unwrap().as_bytes().to_vec(),
    }
}

/// Timeouts for blocking commands: short ones, and invalid ones.
const TIMEOUTS: &[&str] = &["0.01", "0.001", "0.02", "-1", "abc", "1e-3", "0.005", "inf"];

/// A random request for `spec`.
fn request(rng: &mut Rng, spec: &Spec) -> Vec<Vec<u8>> {
    let mut argv: Vec<Vec<u8>> = spec.words.iter().map(|w| w.as_bytes().to_vec()).collect();
    let minimum = spec.arity.unsigned_abs() as usize;
    let mut count = if spec.arity >= 0 {
        minimum
    } else {
        minimum + rng.usize(..6)
    };
    match rng.u8(..10) {
        0 => count = count.saturating_sub(1),
        1 => count += 1,
        _ => {}
    }
    let name = spec.words.join("|");
    while argv.len() < count.max(1) {
        argv.push(value(rng));
    }
    // Sensible shapes for some commands, some of the time, so that fuzzing gets past the
    // first check of their arguments.
    if rng.bool() {
        match name.as_str() {
            "eval" | "eval_ro" if argv.len() >= 3 => {
                argv[1] = rng.choice(SCRIPTS).unwrap().as_bytes().to_vec();
                argv[2] = rng.usize(..=(argv.len() - 3)).to_string().into_bytes();
            }
            "function|load" if argv.len() >= 3 => {
                let n = rng.u8(..4);
                let code = format!(
                    "#!lua name=lib{n}\nredis.register_function('f{n}', function(keys, args) {} end)",
                    rng.choice(SCRIPTS).unwrap()
                );
                let last = argv.len() - 1;
                argv[last] = code.into_bytes();
            }
            "fcall" | "fcall_ro" if argv.len() >= 3 => {
                argv[1] = format!("f{}", rng.u8(..4)).into_bytes();
                argv[2] = rng.usize(..=(argv.len() - 3)).to_string().into_bytes();
            }
            "config|get" if argv.len() >= 3 => {
                argv[2] = rng.choice(SAFE_PARAMETERS).unwrap().as_bytes().to_vec();
            }
            _ => {}
        }
    }
    if matches!(name.as_str(), "srandmember" | "hrandfield" | "zrandmember") && argv.len() > 2 {
        // A negative count asks for that many picks, whatever the size of the collection:
        // -2147483648 is a reply of 2^31 elements, which takes far too long to read.
        let huge = std::str::from_utf8(&argv[2])
            .ok()
            .and_then(|n| n.parse::<i64>().ok())
            .is_some_and(|n| n < -100_000);
        if huge {
            argv[2] = b"-5000".to_vec();
        }
    }
    if rng.u8(..200) == 0 {
        argv = vec![
            b"CONFIG".to_vec(),
            b"SET".to_vec(),
            rng.choice(SAFE_PARAMETERS).unwrap().as_bytes().to_vec(),
            value(rng),
        ];
    }
    if spec.blocking {
        // The timeout is the last argument, or the first one (BLMPOP, BZMPOP).
        let at = if name.ends_with("mpop") {
            1
        } else {
            argv.len() - 1
        };
        if at < argv.len() {
            argv[at] = rng.choice(TIMEOUTS).unwrap().as_bytes().to_vec();
        }
    }
    if rng.u8(..20) == 0 {
        // A command name in another case.
        argv[0] = argv[0].to_ascii_uppercase();
    }
    argv
}

/// A RESP2 or RESP3 reply, read strictly: an error names what is malformed.
fn read_reply(reader: &mut BufReader<TcpStream>, depth: usize) -> Result<String, String> {
    if depth > 64 {
        return Err("replies nested more than 64 deep".into());
    }
    let mut line = Vec::new();
    reader
        .read_until(b'\n', &mut line)
        .map_err(|e| format!("reading a reply: {e}"))?;
    if line.is_empty() {
        return Err("the connection closed".into());
    }
    let Some(body) = line.strip_suffix(b"\r\n") else {
        return Err(format!(
            "a line without CRLF: {:?}",
            line.escape_ascii().to_string()
        ));
    };
    if body.is_empty() {
        return Err("an empty line".into());
    }
    if body.contains(&b'\r') {
        return Err(format!("a CR inside a line: {}", body.escape_ascii()));
    }
    let text = String::from_utf8_lossy(&body[1..]).into_owned();
    let count = || -> Result<i64, String> {
        text.parse::<i64>()
            .map_err(|_| format!("a bad length: {}", body.escape_ascii()))
    };
    let shown = body.escape_ascii().to_string();
    match body[0] {
        b'+' => Ok(shown),
        // An error usually starts with its code (ERR, WRONGTYPE ...), but a script's error
        // table is sent as it is, even empty (`{err = ''}` is `-`), as Redis does.
        b'-' => Ok(shown),
        b':' => count().map(|_| shown),
        b'(' => {
            let digits = text.strip_prefix('-').unwrap_or(&text);
            if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
                return Err(format!("a bad big number: {shown}"));
            }
            Ok(shown)
        }
        b',' => {
            let ok = matches!(text.as_str(), "inf" | "-inf" | "nan") || text.parse::<f64>().is_ok();
            if !ok {
                return Err(format!("a bad double: {shown}"));
            }
            Ok(shown)
        }
        b'#' if text == "t" || text == "f" => Ok(shown),
        b'_' if text.is_empty() => Ok(shown),
        b'$' | b'=' | b'!' => {
            let len = count()?;
            if len == -1 && body[0] == b'$' {
                return Ok(shown);
            }
            if len < 0 {
                return Err(format!("a bad bulk length: {shown}"));
            }
            let mut data = vec![0; len as usize + 2];
            reader
                .read_exact(&mut data)
                .map_err(|e| format!("reading a bulk of {len}: {e}"))?;
            if !data.ends_with(b"\r\n") {
                return Err(format!("a bulk of {len} bytes not followed by CRLF"));
            }
            if body[0] == b'=' && (len < 4 || data[3] != b':') {
                return Err("a verbatim string without its format".into());
            }
            let head = &data[..(len as usize).min(100)];
            Ok(format!("{shown} {}", head.escape_ascii()))
        }
        b'*' | b'~' | b'>' | b'%' | b'|' => {
            let n = count()?;
            if n == -1 && body[0] == b'*' {
                return Ok(shown);
            }
            if n < 0 {
                return Err(format!("a bad aggregate length: {shown}"));
            }
            let items = if matches!(body[0], b'%' | b'|') {
                2 * n
            } else {
                n
            };
            for _ in 0..items {
                read_reply(reader, depth + 1)?;
            }
            if body[0] == b'|' {
                // An attribute comes before the reply it describes.
                read_reply(reader, depth + 1)?;
            }
            if body[0] == b'>' && depth == 0 {
                return Err("a push message nobody subscribed to".into());
            }
            Ok(format!("{shown} ..."))
        }
        _ => Err(format!("an unknown reply type: {shown}")),
    }
}

fn shown(argv: &[Vec<u8>]) -> String {
    argv.iter()
        .map(|a| {
            let s = a[..a.len().min(80)].escape_ascii().to_string();
            if a.len() > 80 {
                format!("\"{s}...\" ({} bytes)", a.len())
            } else {
                format!("\"{s}\"")
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Sends batches of random requests on one connection until `deadline`; returns how many.
fn command_worker(
    server: &Server,
    specs: &[Spec],
    seed: u64,
    deadline: Instant,
    errors: &AtomicU64,
) -> u64 {
    let mut rng = Rng::with_seed(seed);
    let stream = TcpStream::connect(server.addr()).expect("connect");
    stream.set_read_timeout(Some(REPLY_PATIENCE)).unwrap();
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    let mut sent = 0u64;
    let mut batches = 0u64;
    while Instant::now() < deadline || batches == 0 {
        let batch: Vec<Vec<Vec<u8>>> = (0..rng.usize(1..16))
            .map(|_| {
                let spec = rng.choice(specs).unwrap();
                request(&mut rng, spec)
            })
            .collect();
        let listed = || {
            batch
                .iter()
                .map(|a| shown(a))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let marker = format!("marker-{seed}-{batches}");
        let mut bytes = Vec::new();
        for argv in &batch {
            bytes.extend(resp(argv));
        }
        // A transaction left open would queue the marker: DISCARD closes it (and answers an
        // error when there is none).
        bytes.extend(resp(&["DISCARD"]));
        bytes.extend(resp(&["ECHO", &marker]));
        writer.write_all(&bytes).expect("send a batch");
        for (i, argv) in batch.iter().enumerate() {
            let reply = read_reply(&mut reader, 0);
            if reply.as_ref().is_ok_and(|r| r.starts_with('-')) {
                errors.fetch_add(1, Ordering::Relaxed);
            }
            if let Err(why) = reply {
                panic!(
                    "FUZZ_SEED={seed}: request {i} of the batch, {}: {why}\nthe batch:\n{}",
                    shown(argv),
                    listed()
                );
            }
        }
        let discard = read_reply(&mut reader, 0).unwrap_or_else(|why| panic!("DISCARD: {why}"));
        let echo = read_reply(&mut reader, 0).unwrap_or_else(|why| panic!("ECHO: {why}"));
        // While a script runs longer than busy-reply-threshold (which CONFIG SET may have
        // made small), every other client gets -BUSY: a reply too.
        let busy = |reply: &str| reply.starts_with("-BUSY ");
        assert!(
            discard == "+OK" || discard.starts_with("-ERR DISCARD without MULTI") || busy(&discard),
            "FUZZ_SEED={seed}: the replies are out of step: {discard:?} for DISCARD after\n{}",
            listed()
        );
        assert!(
            echo == format!("${} {marker}", marker.len()) || busy(&echo),
            "FUZZ_SEED={seed}: the replies are out of step: {echo:?} for the marker after\n{}",
            listed()
        );
        sent += batch.len() as u64;
        batches += 1;
    }
    sent
}

/// Opens connections that send mangled requests and hang up, until `stop`.
fn garbage_worker(server: &Server, seed: u64, stop: &AtomicBool) -> u64 {
    let mut rng = Rng::with_seed(seed);
    let mut connections = 0;
    while !stop.load(Ordering::Relaxed) {
        let mut bytes = Vec::new();
        for _ in 0..rng.usize(1..5) {
            let argv: Vec<Vec<u8>> = (0..rng.usize(1..5)).map(|_| value(&mut rng)).collect();
            bytes.extend(resp(&argv));
        }
        for _ in 0..rng.usize(1..6) {
            let at = rng.usize(..=bytes.len());
            match rng.u8(..4) {
                0 if at < bytes.len() => bytes[at] = rng.u8(..),
                1 => bytes.insert(at, *rng.choice(b"\r\n*$-:0123456789").unwrap()),
                2 => bytes.truncate(at),
                _ => bytes
                    .splice(at..at, b"$1073741824\r\n".iter().copied())
                    .for_each(drop),
            }
        }
        let Ok(mut stream) = TcpStream::connect(server.addr()) else {
            panic!("the server stopped accepting connections")
        };
        stream.set_read_timeout(Some(REPLY_PATIENCE)).unwrap();
        let _ = stream.write_all(&bytes);
        // Half the time read what comes back until the server closes (it must, once it has
        // seen the end of the input); otherwise just hang up.
        if rng.bool() {
            let _ = stream.shutdown(Shutdown::Write);
            let mut out = Vec::new();
            if let Err(e) = stream.read_to_end(&mut out) {
                assert!(
                    e.kind() == std::io::ErrorKind::ConnectionReset,
                    "FUZZ_SEED={seed}: the server kept a connection open after its client \
                     stopped sending ({e}); it had sent {:?}",
                    bytes.escape_ascii().to_string()
                );
            }
        }
        connections += 1;
        // Enough to keep the parser and the connections busy, not the whole machine.
        std::thread::sleep(Duration::from_millis(2));
    }
    connections
}

fn rss_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[test]
fn fuzz_commands_over_tcp() {
    let duration = fuzz_duration(3.0);
    let seed = fuzz_seed();
    let server = Server::start();
    let specs = commands(&server);
    let deadline = Instant::now() + duration;
    let started = Instant::now();
    let stop = AtomicBool::new(false);
    let requests = AtomicU64::new(0);
    let errors = AtomicU64::new(0);
    let garbage = std::thread::scope(|scope| {
        let hostile = scope.spawn(|| garbage_worker(&server, seed ^ 0x9e37, &stop));
        let workers: Vec<_> = (0..3u64)
            .map(|i| {
                let (server, specs, requests, errors) = (&server, &specs, &requests, &errors);
                scope.spawn(move || {
                    let sent =
                        command_worker(server, specs, seed.wrapping_add(i), deadline, errors);
                    requests.fetch_add(sent, Ordering::Relaxed);
                })
            })
            .collect();
        let mut failure = None;
        for worker in workers {
            if let Err(panic) = worker.join() {
                failure.get_or_insert(panic);
            }
        }
        stop.store(true, Ordering::Relaxed);
        let garbage = hostile.join();
        if let Some(panic) = failure.or(garbage.as_ref().err().map(|_| Box::new(()) as _)) {
            let log = server.log();
            let tail = &log[log.len().saturating_sub(6000)..];
            eprintln!("the end of the server's log:\n{tail}");
            std::panic::resume_unwind(panic);
        }
        garbage.unwrap()
    });
    let seconds = started.elapsed().as_secs_f64();
    let requests = requests.load(Ordering::Relaxed);
    let errors = errors.load(Ordering::Relaxed);

    // The server is still there, and every fuzzing connection has left.
    let mut raw = server.raw();
    // (-BUSY for a while if a script is still running: it must end.)
    raw.call_until(&["PING"], "+PONG\r\n");
    let mut clients = String::new();
    for _ in 0..500 {
        clients = raw.call(&["CLIENT", "LIST"]);
        if clients.matches("id=").count() == 1 {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        clients.matches("id=").count(),
        1,
        "clients left behind: {clients}"
    );
    let log = server.log();
    assert!(
        !log.contains("panicked"),
        "FUZZ_SEED={seed}: the server panicked:\n{log}"
    );
    println!(
        "command fuzz: {requests} requests of {} commands ({:.0}% answered with an error) and \
         {garbage} mangled connections in {seconds:.1} s, {:.0} requests/s, server peak RSS \
         {} MiB, FUZZ_SEED={seed}",
        specs.len(),
        100.0 * errors as f64 / requests.max(1) as f64,
        requests as f64 / seconds,
        rss_kib(server.pid(), "VmHWM:") / 1024
    );
}
