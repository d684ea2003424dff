//! Crash tests: clients write while the server is killed with SIGKILL at random moments; after
//! each restart every acknowledged write is there, no value is torn, no multi-key or
//! multi-file command, MULTI/EXEC or script is half applied, and `dredis check` finds
//! nothing.
//!
//! The suite runs a few kills per fsync policy; `scripts/crash-test` runs many
//! (`CRASH_KILLS`, `CRASH_POLICIES`).

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::Server;
use redis::Commands;

/// Clients writing at once.
const WORKERS: usize = 4;
/// Members that SMOVE moves between two sets.
const MEMBERS: usize = 10;
/// The length of each piece APPEND adds: `<` + 8 digits + `>`.
const PIECE: usize = 10;
/// The kinds of writes, taken in turn.
const KINDS: i64 = 12;

/// A script of five writes to four keys: a counter, a copy of it, a list that grows by it, and
/// a key deleted and made again.
const SCRIPT: &str = "local n = redis.call('INCR', KEYS[1]) \
    redis.call('SET', KEYS[2], n) \
    redis.call('RPUSH', KEYS[3], n) \
    redis.call('DEL', KEYS[4]) \
    redis.call('SET', KEYS[4], n) \
    return n";

/// What one client was told succeeded (the operations it counts are numbered 1, 2, ...).
#[derive(Default, Clone, Debug)]
struct Acked {
    incr: i64,
    set: i64,
    sadds: usize,
    /// MULTI/EXEC and script runs.
    multis: i64,
    scripts: i64,
    mset: i64,
    hset: i64,
    zadd: i64,
    appends: usize,
    pushes: usize,
    /// Where the renamed key was last acknowledged to be (false: `ra`, true: `rb`).
    renamed: bool,
    /// Writes acknowledged, of every kind.
    total: usize,
}

/// The keys of one client in one round; `{...}` spreads them over slots differently.
fn key(round: usize, worker: usize, name: &str) -> String {
    format!("crash:{round}:{worker}:{name}")
}

/// Writes until a request fails (the server was killed), recording what was acknowledged.
fn work(
    server_port: u16,
    round: usize,
    worker: usize,
    acked: Arc<Mutex<Acked>>,
    stop: Arc<AtomicBool>,
) {
    let k = |name: &str| key(round, worker, name);
    let url = format!("redis://127.0.0.1:{server_port}/");
    let Ok(mut con) = redis::Client::open(url).and_then(|c| c.get_connection()) else {
        return;
    };
    let members: Vec<String> = (0..MEMBERS).map(|m| format!("m{m}")).collect();
    let setup: redis::RedisResult<()> = (|| {
        con.sadd::<_, _, ()>(k("sa"), &members)?;
        con.set::<_, _, ()>(k("ra"), "payload")
    })();
    if setup.is_err() {
        return;
    }
    for i in 1i64.. {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let result: redis::RedisResult<()> = (|| {
            let mut a = acked.lock().unwrap().clone();
            match i % KINDS {
                0 => a.incr = con.incr(k("ctr"), 1)?,
                8 => {
                    con.set::<_, _, ()>(k("s"), i)?;
                    a.set = i;
                }
                9 => {
                    con.sadd::<_, _, ()>(k("sadd"), i)?;
                    a.sadds += 1;
                }
                10 => {
                    // Two counters, a string that grows, a set: one more of each, or none.
                    let piece = format!("<{:08}>", a.multis + 1);
                    redis::pipe()
                        .atomic()
                        .incr(k("ta"), 1)
                        .incr(k("tb"), 1)
                        .append(k("tap"), piece)
                        .sadd(k("ts"), i)
                        .query::<()>(&mut con)?;
                    a.multis += 1;
                }
                11 => {
                    let keys = [k("ea"), k("eb"), k("el"), k("ed")];
                    a.scripts = redis::cmd("EVAL")
                        .arg(SCRIPT)
                        .arg(keys.len())
                        .arg(&keys)
                        .query(&mut con)?;
                }
                1 => {
                    con.mset::<_, _, ()>(&[(k("mx"), i), (k("my"), i)])?;
                    a.mset = i;
                }
                2 => {
                    let (from, to) = if (i / KINDS) % 2 == 0 {
                        ("sa", "sb")
                    } else {
                        ("sb", "sa")
                    };
                    let member = &members[(i / (2 * KINDS)) as usize % MEMBERS];
                    redis::cmd("SMOVE")
                        .arg(k(from))
                        .arg(k(to))
                        .arg(member)
                        .query::<i64>(&mut con)?;
                }
                3 => {
                    let (from, to) = if a.renamed {
                        ("rb", "ra")
                    } else {
                        ("ra", "rb")
                    };
                    con.rename::<_, _, ()>(k(from), k(to))?;
                    a.renamed = !a.renamed;
                }
                4 => {
                    con.hset_multiple::<_, _, _, ()>(k("h"), &[("f1", i), ("f2", i)])?;
                    a.hset = i;
                }
                5 => {
                    let piece = format!("<{:08}>", a.appends + 1);
                    con.append::<_, _, ()>(k("ap"), piece)?;
                    a.appends += 1;
                }
                6 => {
                    con.lpush::<_, _, ()>(k("l"), a.pushes + 1)?;
                    a.pushes += 1;
                }
                7 => {
                    con.zadd_multiple::<_, _, _, ()>(k("z"), &[(i, "z1"), (i, "z2")])?;
                    a.zadd = i;
                }
                _ => unreachable!(),
            }
            a.total += 1;
            *acked.lock().unwrap() = a;
            Ok(())
        })();
        if result.is_err() {
            return;
        }
    }
}

/// Checks one client's keys against what it was told.
fn verify(con: &mut redis::Connection, round: usize, worker: usize, a: &Acked) {
    let k = |name: &str| key(round, worker, name);
    let who = format!("round {round}, client {worker}, acknowledged {a:?}");

    let ctr: Option<i64> = con.get(k("ctr")).unwrap();
    let ctr = ctr.unwrap_or(0);
    assert!(ctr == a.incr || ctr == a.incr + 1, "INCR: {ctr}; {who}");

    let (mx, my): (Option<i64>, Option<i64>) =
        (con.get(k("mx")).unwrap(), con.get(k("my")).unwrap());
    assert_eq!(mx, my, "MSET half applied; {who}");
    assert!(mx.unwrap_or(0) >= a.mset, "MSET lost: {mx:?}; {who}");

    let sa: Vec<String> = con.smembers(k("sa")).unwrap();
    let sb: Vec<String> = con.smembers(k("sb")).unwrap();
    let mut all: Vec<_> = sa.iter().chain(&sb).cloned().collect();
    all.sort();
    let mut expected: Vec<String> = (0..MEMBERS).map(|m| format!("m{m}")).collect();
    expected.sort();
    if !(sa.is_empty() && sb.is_empty()) {
        assert_eq!(all, expected, "SMOVE half applied: {sa:?} {sb:?}; {who}");
    }

    let ra: Option<String> = con.get(k("ra")).unwrap();
    let rb: Option<String> = con.get(k("rb")).unwrap();
    if ra.is_some() || rb.is_some() {
        assert!(
            ra.is_some() != rb.is_some(),
            "RENAME left both: {ra:?} {rb:?}; {who}"
        );
        assert_eq!(ra.or(rb).as_deref(), Some("payload"), "{who}");
    }

    let (f1, f2): (Option<i64>, Option<i64>) = (
        con.hget(k("h"), "f1").unwrap(),
        con.hget(k("h"), "f2").unwrap(),
    );
    assert_eq!(f1, f2, "HSET half applied; {who}");
    assert!(f1.unwrap_or(0) >= a.hset, "HSET lost: {f1:?}; {who}");

    let ap: Vec<u8> = con.get(k("ap")).unwrap();
    assert_eq!(
        ap.len() % PIECE,
        0,
        "APPEND torn: {} bytes; {who}",
        ap.len()
    );
    let pieces = ap.len() / PIECE;
    assert!(
        pieces == a.appends || pieces == a.appends + 1,
        "APPEND: {pieces} pieces; {who}"
    );
    for (n, piece) in ap.chunks(PIECE).enumerate() {
        assert_eq!(
            piece,
            format!("<{:08}>", n + 1).as_bytes(),
            "APPEND piece {n}; {who}"
        );
    }

    let len: usize = con.llen(k("l")).unwrap();
    assert!(
        len == a.pushes || len == a.pushes + 1,
        "LPUSH: {len} items; {who}"
    );
    if len > 0 {
        let head: usize = con.lindex(k("l"), 0).unwrap();
        assert_eq!(head, len, "LPUSH: the head is not the last push; {who}");
    }

    let z1: Option<i64> = con.zscore(k("z"), "z1").unwrap();
    let z2: Option<i64> = con.zscore(k("z"), "z2").unwrap();
    assert_eq!(z1, z2, "ZADD half applied; {who}");
    assert!(z1.unwrap_or(0) >= a.zadd, "ZADD lost: {z1:?}; {who}");

    let s: Option<i64> = con.get(k("s")).unwrap();
    assert!(s.unwrap_or(0) >= a.set, "SET lost: {s:?}; {who}");

    let sadds: usize = con.scard(k("sadd")).unwrap();
    assert!(
        sadds == a.sadds || sadds == a.sadds + 1,
        "SADD: {sadds} members; {who}"
    );

    let ta: Option<i64> = con.get(k("ta")).unwrap();
    let ta = ta.unwrap_or(0);
    let tb: Option<i64> = con.get(k("tb")).unwrap();
    let tap: Vec<u8> = con.get(k("tap")).unwrap();
    let ts: i64 = con.scard(k("ts")).unwrap();
    let parts = [tb.unwrap_or(0), (tap.len() / PIECE) as i64, ts];
    assert_eq!(
        parts, [ta; 3],
        "MULTI/EXEC half applied: {ta} {parts:?}; {who}"
    );
    assert_eq!(tap.len() % PIECE, 0, "MULTI/EXEC's APPEND torn; {who}");
    assert!(
        ta == a.multis || ta == a.multis + 1,
        "MULTI/EXEC: {ta} applied; {who}"
    );

    let ea: Option<i64> = con.get(k("ea")).unwrap();
    let ea = ea.unwrap_or(0);
    let (eb, ed): (Option<i64>, Option<i64>) =
        (con.get(k("eb")).unwrap(), con.get(k("ed")).unwrap());
    let el: i64 = con.llen(k("el")).unwrap();
    let parts = [eb.unwrap_or(0), el, ed.unwrap_or(0)];
    assert_eq!(parts, [ea; 3], "EVAL half applied: {ea} {parts:?}; {who}");
    assert!(
        ea == a.scripts || ea == a.scripts + 1,
        "EVAL: {ea} applied; {who}"
    );
}

/// `kills` rounds: clients write, the server is killed after a random time, restarted, and
/// every client's keys are checked.
fn crash_rounds(fsync: &str, kills: usize) {
    let mut server = Server::start_with(&["--fsync", fsync]);
    let (mut checked, mut redone, mut undone) = (0, 0, 0);
    for round in 0..kills {
        let stop = Arc::new(AtomicBool::new(false));
        let acked: Vec<_> = (0..WORKERS)
            .map(|_| Arc::new(Mutex::new(Acked::default())))
            .collect();
        let workers: Vec<_> = (0..WORKERS)
            .map(|w| {
                let (acked, stop, port) = (acked[w].clone(), stop.clone(), server.port);
                std::thread::spawn(move || work(port, round, w, acked, stop))
            })
            .collect();
        std::thread::sleep(Duration::from_millis(100 + fastrand::u64(0..600)));
        server.crash();
        stop.store(true, Ordering::Relaxed);
        for worker in workers {
            worker.join().unwrap();
        }
        server.restart();
        let log = server.log();
        redone += log.contains("redoing") as usize;
        undone += log.contains("undoing a transaction") as usize;
        let mut con = server.con();
        for (w, acked) in acked.iter().enumerate() {
            let acked = acked.lock().unwrap();
            verify(&mut con, round, w, &acked);
            checked += acked.total;
        }
        // And the tree is as the format says.
        assert!(server.shutdown().success());
        let check = std::process::Command::new(env!("CARGO_BIN_EXE_dredis"))
            .args(["check", "--dir"])
            .arg(server.dir())
            .output()
            .unwrap();
        let report = String::from_utf8_lossy(&check.stdout);
        assert!(
            check.status.success(),
            "round {round}: dredis check:\n{report}"
        );
        server.restart();
    }
    eprintln!(
        "--fsync {fsync}: {kills} kills survived, {checked} acknowledged writes checked, \
         {redone} start-ups redid interrupted commits, {undone} undid interrupted transactions"
    );
}

fn kills(default: usize) -> usize {
    std::env::var("CRASH_KILLS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

#[test]
fn every_acknowledged_write_survives_sigkill_with_fsync_always() {
    crash_rounds("always", kills(3));
}

#[test]
fn no_command_is_half_applied_after_sigkill_with_fsync_everysec() {
    crash_rounds("everysec", kills(2));
}
