//! Fuzzing the request parser with generated hostile input (tests only).
//!
//! A seeded generator builds byte streams from pieces: well-formed multibulk and inline
//! requests (binary arguments, empty ones, quoted words), the frames a broken or hostile
//! client sends (counts and lengths that are negative, huge, padded or not numbers, type
//! bytes other than `$`, empty and over-long lines, truncated frames, nested arrays), random
//! bytes, and random mutations of all of these. Each stream is parsed under random limits
//! (`proto-max-bulk-len`, spill threshold, `client-query-buffer-limit`, authenticated or not),
//! once whole and again cut at random points, and checked:
//!
//! - the parser never panics;
//! - it never takes more bytes than it was given, and while it waits for more it holds at
//!   most one line (64 KiB) or one bulk below the spill threshold;
//! - every cut gives the same commands, the same error and the same unconsumed bytes as the
//!   whole stream;
//! - the limits hold: no bulk longer than `proto-max-bulk-len`, no bulk in memory at or above
//!   the spill threshold, no request holding more than `client-query-buffer-limit` in memory
//!   (its arguments' overhead included), Redis's small limits before AUTH, no line longer than
//!   64 KiB;
//! - a stream made only of well-formed requests gives exactly those requests.
//!
//! `scripts/fuzz` runs it for `FUZZ_SECONDS` (with `FUZZ_SEED` to replay a run); in the normal
//! test suite it runs for two seconds.

use std::time::{Duration, Instant};

use bytes::BytesMut;
use fastrand::Rng;

use super::request::{ARG_OVERHEAD, INLINE_MAX};
use super::{Arg, Limits, Parsed, ProtocolError, RequestParser, SpilledArg};

/// How long a fuzzer runs: `FUZZ_SECONDS`, or `default` seconds.
pub fn fuzz_duration(default: f64) -> Duration {
    let seconds = std::env::var("FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(default);
    Duration::from_secs_f64(seconds.max(0.0))
}

/// The seed of a run: `FUZZ_SEED`, or a fresh one (printed, so that a failure can be replayed).
pub fn fuzz_seed() -> u64 {
    std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..))
}

/// Numbers as a client may write them in a count or a length line.
const NUMBERS: &[&str] = &[
    "0",
    "1",
    "2",
    "3",
    "10",
    "11",
    "16384",
    "16385",
    "-1",
    "-0",
    "+1",
    "01",
    " 1",
    "1 ",
    "",
    "-",
    "abc",
    "1a",
    "0x10",
    "1e3",
    "2147483647",
    "2147483648",
    "-2147483648",
    "-2147483649",
    "4294967296",
    "536870912",
    "536870913",
    "1073741824",
    "9999999999",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "99999999999999999999",
    "1\x00",
    "\u{ff}",
];

/// Tokens spliced into streams by the mutator.
const TOKENS: &[&[u8]] = &[
    b"\r\n",
    b"\r",
    b"\n",
    b"*",
    b"$",
    b"*1\r\n",
    b"$0\r\n\r\n",
    b"-1",
    b"0",
    b"\"",
    b"'",
    b"\\x",
    b"\x00",
    b"\xff",
    b"*2147483648\r\n",
    b"$9999999999\r\n",
];

/// What a stream made only of well-formed requests must parse to.
type Commands = Vec<Vec<Vec<u8>>>;

/// One generated piece of a stream, and the commands it holds when it is well formed.
struct Piece {
    bytes: Vec<u8>,
    expected: Option<Commands>,
}

fn valid(bytes: Vec<u8>, expected: Commands) -> Piece {
    Piece {
        bytes,
        expected: Some(expected),
    }
}

fn broken(bytes: Vec<u8>) -> Piece {
    Piece {
        bytes,
        expected: None,
    }
}

/// Bytes a hostile argument is made of: protocol characters are likelier than others.
fn arg_byte(rng: &mut Rng) -> u8 {
    match rng.u8(..10) {
        0 => b'\r',
        1 => b'\n',
        2 => *rng.choice(b"*$:+-_ \"'\\\t").unwrap(),
        3 => rng.u8(..),
        _ => rng.alphanumeric() as u8,
    }
}

fn argument(rng: &mut Rng) -> Vec<u8> {
    let len = match rng.u8(..10) {
        0 => 0,
        1..=6 => rng.usize(1..8),
        7 | 8 => rng.usize(8..64),
        _ => rng.usize(64..600),
    };
    (0..len).map(|_| arg_byte(rng)).collect()
}

fn number(rng: &mut Rng) -> &'static str {
    rng.choice(NUMBERS).unwrap()
}

fn multibulk(args: &[Vec<u8>]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// An inline word that needs no quoting and cannot start a multibulk.
fn plain_word(rng: &mut Rng) -> Vec<u8> {
    (0..rng.usize(1..12))
        .map(|_| *rng.choice(b"abcdefgXYZ0123456789:_-.").unwrap())
        .collect()
}

/// Any bytes, written as an inline word in double quotes with every byte escaped as `\xHH`.
fn quoted_word(bytes: &[u8]) -> Vec<u8> {
    let mut out = b"\"".to_vec();
    for b in bytes {
        out.extend_from_slice(format!("\\x{b:02x}").as_bytes());
    }
    out.push(b'"');
    out
}

fn piece(rng: &mut Rng) -> Piece {
    match rng.u8(..20) {
        // Well-formed requests.
        0..=4 => {
            let n = if rng.u8(..8) == 0 {
                rng.usize(7..40)
            } else {
                rng.usize(1..7)
            };
            let args: Vec<Vec<u8>> = (0..n).map(|_| argument(rng)).collect();
            valid(multibulk(&args), vec![args])
        }
        5 | 6 => {
            let mut line = Vec::new();
            let mut args = Vec::new();
            for i in 0..rng.usize(1..6) {
                line.extend_from_slice(if i == 0 && rng.bool() { b"" } else { b" " });
                if rng.u8(..3) == 0 {
                    let arg = argument(rng);
                    line.extend_from_slice(&quoted_word(&arg));
                    args.push(arg);
                } else {
                    let word = plain_word(rng);
                    line.extend_from_slice(&word);
                    args.push(word);
                }
            }
            line.extend_from_slice(if rng.bool() { b"\r\n" } else { b"\n" });
            valid(line, vec![args])
        }
        // Lines that hold no request.
        7 => {
            let bytes: &[u8] = rng
                .choice([
                    &b"\r\n"[..],
                    b"\n",
                    b"  \t\r\n",
                    b"*0\r\n",
                    b"*-1\r\n",
                    b"*-5\r\n",
                    b"*-2147483649\r\n",
                ])
                .unwrap();
            valid(bytes.to_vec(), Vec::new())
        }
        // A count or a length line with any number.
        8 => broken(format!("*{}\r\n", number(rng)).into_bytes()),
        9 => broken(format!("*{}\r\n${}\r\n", rng.u8(1..4), number(rng)).into_bytes()),
        // A line that is not a bulk header where one is expected.
        10 => {
            let mut out = format!("*{}\r\n", rng.u8(1..4)).into_bytes();
            let first = *rng.choice(b"+:-%~_>#,!=(|*\r\n \xff\x00a").unwrap();
            out.push(first);
            out.extend_from_slice(&argument(rng));
            out.extend_from_slice(b"\r\n");
            broken(out)
        }
        // A well-formed request cut short, then whatever follows.
        11 => {
            let args: Vec<Vec<u8>> = (0..rng.usize(1..5)).map(|_| argument(rng)).collect();
            let mut bytes = multibulk(&args);
            bytes.truncate(rng.usize(..bytes.len()));
            broken(bytes)
        }
        // A bulk whose last two bytes are not CRLF (Redis skips them unseen).
        12 => {
            let arg = argument(rng);
            let mut out = format!("*1\r\n${}\r\n", arg.len()).into_bytes();
            out.extend_from_slice(&arg);
            out.extend_from_slice(&[arg_byte(rng), arg_byte(rng)]);
            broken(out)
        }
        // Unbalanced or badly closed quotes.
        13 => {
            let line: &[u8] = rng
                .choice([
                    &b"SET \"a\r\n"[..],
                    b"SET 'a\r\n",
                    b"SET \"a\"b\r\n",
                    b"SET 'a'b\r\n",
                    b"\"\\x4\"\r\n",
                    b"\"\\\r\n",
                ])
                .unwrap();
            broken(line.to_vec())
        }
        // Nested arrays.
        14 => broken(b"*1\r\n".repeat(rng.usize(1..50))),
        // Random bytes.
        15 | 16 => broken((0..rng.usize(..200)).map(|_| rng.u8(..)).collect()),
        // A declared bulk (maybe huge) with part of its bytes.
        17 => {
            let mut out = format!("*2\r\n$3\r\nSET\r\n${}\r\n", number(rng)).into_bytes();
            out.extend((0..rng.usize(..100)).map(|_| arg_byte(rng)));
            broken(out)
        }
        // Lines around the 64 KiB limit, rarely: they are big.
        18 if rng.u8(..50) == 0 => {
            let len = INLINE_MAX - 2 + rng.usize(..5);
            let mut out = match rng.u8(..3) {
                0 => b"*".to_vec(),
                1 => b"*1\r\n$".to_vec(),
                _ => Vec::new(),
            };
            out.resize(out.len() + len, b'1');
            if rng.bool() {
                out.extend_from_slice(b"\r\n");
            }
            broken(out)
        }
        // Many empty arguments.
        _ => {
            let n = rng.usize(1..30);
            valid(multibulk(&vec![Vec::new(); n]), vec![vec![Vec::new(); n]])
        }
    }
}

/// Changes a few bytes of a stream: flips, insertions, deletions, repeats, tokens.
fn mutate(rng: &mut Rng, bytes: &mut Vec<u8>) {
    for _ in 0..rng.usize(1..5) {
        let at = rng.usize(..=bytes.len());
        match rng.u8(..5) {
            0 if at < bytes.len() => bytes[at] = rng.u8(..),
            1 => bytes.insert(at, arg_byte(rng)),
            2 if at < bytes.len() => {
                let end = (at + rng.usize(1..10)).min(bytes.len());
                bytes.drain(at..end);
            }
            3 if at < bytes.len() => {
                let end = (at + rng.usize(1..20)).min(bytes.len());
                let copy = bytes[at..end].to_vec();
                bytes.splice(at..at, copy);
            }
            _ => {
                let token = rng.choice(TOKENS).unwrap();
                bytes.splice(at..at, token.iter().copied());
            }
        }
    }
}

/// A generated stream, with the commands it must parse to when it is all well formed.
fn stream(rng: &mut Rng) -> (Vec<u8>, Option<Commands>) {
    let mut bytes = Vec::new();
    let mut expected = Some(Vec::new());
    for _ in 0..rng.usize(1..9) {
        let piece = piece(rng);
        bytes.extend_from_slice(&piece.bytes);
        expected = match (expected, piece.expected) {
            (Some(mut all), Some(these)) => {
                all.extend(these);
                Some(all)
            }
            _ => None,
        };
    }
    if rng.u8(..3) == 0 {
        mutate(rng, &mut bytes);
        expected = None;
    }
    (bytes, expected)
}

fn limits(rng: &mut Rng) -> Limits {
    Limits {
        max_bulk_len: *rng.choice(&[0, 1, 5, 100, 512 << 20, u64::MAX]).unwrap(),
        spill_threshold: *rng.choice(&[1, 3, 16, 200, 1 << 20, u64::MAX]).unwrap(),
        max_request_bytes: *rng.choice(&[0, 10, 300, 1 << 30]).unwrap(),
    }
}

/// What the parser made of a stream.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    commands: Commands,
    error: Option<ProtocolError>,
    /// Bytes not consumed yet (only compared when there was no error).
    left: Vec<u8>,
    /// The bulk being spilled when the stream ended: its bytes so far.
    spilling: Option<Vec<u8>>,
}

/// A spilled argument stands for bytes the harness kept: its (never created) path names their
/// index in `spills`.
fn spill_arg(index: usize) -> SpilledArg {
    SpilledArg {
        path: tempfile::TempPath::try_from_path(format!("/nonexistent/dredis-fuzz-spill/{index}"))
            .expect("an absolute path"),
    }
}

fn spill_index(arg: &SpilledArg) -> usize {
    arg.path()
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.parse().ok())
        .expect("a spill made by this harness")
}

/// Feeds `chunks` to a fresh parser as a connection does, checking the invariants that do not
/// need another run to compare with.
fn run(chunks: &[&[u8]], limits: Limits, authenticated: bool) -> Result<Outcome, String> {
    let mut parser = RequestParser::new(limits);
    let mut buf = BytesMut::new();
    let mut spills: Vec<Vec<u8>> = Vec::new();
    // A bulk being spilled: the bytes still to take (with the CRLF) and those taken.
    let mut spilling: Option<(u64, Vec<u8>)> = None;
    let mut commands = Vec::new();
    let given: usize = chunks.iter().map(|c| c.len()).sum();
    let mut fed = 0;
    let mut consumed = 0;
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        fed += chunk.len();
        loop {
            if let Some((left, data)) = spilling.as_mut() {
                let take = (*left as usize).min(buf.len());
                let bytes = buf.split_to(take);
                consumed += take;
                let body = (*left).saturating_sub(2).min(take as u64) as usize;
                data.extend_from_slice(&bytes[..body]);
                *left -= take as u64;
                if *left > 0 {
                    break;
                }
                let (_, data) = spilling.take().unwrap();
                spills.push(data);
                if let Some(args) = parser.spilled(spill_arg(spills.len() - 1)) {
                    commands.push(args);
                }
                continue;
            }
            let before = buf.len();
            let parsed = parser.parse(&mut buf, authenticated);
            if buf.len() > before {
                return Err(format!("the buffer grew from {before} to {}", buf.len()));
            }
            consumed += before - buf.len();
            match parsed {
                Ok(Some(Parsed::Command(args))) => {
                    if args.is_empty() {
                        return Err("an empty command".into());
                    }
                    commands.push(args);
                }
                Ok(Some(Parsed::Spill(len))) => {
                    if len < limits.spill_threshold || len > limits.max_bulk_len {
                        return Err(format!("spill of {len} bytes under {limits:?}"));
                    }
                    if !authenticated && len > 16384 {
                        return Err(format!("spill of {len} bytes before AUTH"));
                    }
                    spilling = Some((len + 2, Vec::new()));
                }
                Ok(None) => {
                    let body = limits
                        .spill_threshold
                        .min(limits.max_request_bytes as u64)
                        .saturating_add(2);
                    let most = (INLINE_MAX as u64 + 1).max(body);
                    if buf.len() as u64 > most {
                        return Err(format!(
                            "waiting for more input while holding {} bytes",
                            buf.len()
                        ));
                    }
                    break;
                }
                Err(e) => {
                    return Ok(Outcome {
                        commands: words(commands, &spills),
                        error: Some(e),
                        left: Vec::new(),
                        spilling: None,
                    });
                }
            }
            if consumed > fed {
                return Err(format!("consumed {consumed} bytes of {fed}"));
            }
        }
    }
    if consumed + buf.len() != given {
        return Err(format!(
            "consumed {consumed} and left {} of {given} bytes",
            buf.len()
        ));
    }
    Ok(Outcome {
        commands: words(commands, &spills),
        error: None,
        left: buf.to_vec(),
        spilling: spilling.map(|(_, data)| data),
    })
}

/// Turns each command into bytes (a spilled argument into the bytes the harness kept).
fn words(commands: Vec<Vec<Arg>>, spills: &[Vec<u8>]) -> Commands {
    commands
        .iter()
        .map(|args| {
            args.iter()
                .map(|arg| match arg {
                    Arg::Bytes(bytes) => bytes.to_vec(),
                    Arg::Spilled(file) => spills[spill_index(file)].clone(),
                })
                .collect()
        })
        .collect()
}

/// The reference: Redis's rules for requests (`processMultibulkBuffer`,
/// `processInlineBuffer`) and dredis's limits, written as plainly as possible over the whole
/// stream at once, without resuming. The parser must agree with it on every stream.
fn model(bytes: &[u8], limits: Limits, authenticated: bool) -> Outcome {
    let mut commands = Vec::new();
    let outcome = |commands, error: Option<ProtocolError>, left: &[u8], spilling| Outcome {
        commands,
        left: if error.is_some() {
            Vec::new()
        } else {
            left.to_vec()
        },
        error,
        spilling,
    };
    // The line from `p` to `end`, and where the next one starts; None until it has ended.
    let line = |p: usize, end: u8, too_big: &str| {
        let rest = &bytes[p..];
        match rest.iter().position(|&b| b == end) {
            None if rest.len() > INLINE_MAX => Err(super::request::error(too_big)),
            Some(at) if at > INLINE_MAX => Err(super::request::error(too_big)),
            None => Ok(None),
            Some(at) if end == b'\r' && at + 1 == rest.len() => Ok(None),
            Some(at) if end == b'\r' => Ok(Some((&rest[..at], p + at + 2))),
            Some(at) => {
                let line = &rest[..at];
                Ok(Some((line.strip_suffix(b"\r").unwrap_or(line), p + at + 1)))
            }
        }
    };
    let protocol = super::request::error;
    let mut p = 0;
    while p < bytes.len() {
        if bytes[p] != b'*' {
            let (text, next) = match line(p, b'\n', "too big inline request") {
                Err(e) => return outcome(commands, Some(e), b"", None),
                Ok(None) => break,
                Ok(Some(found)) => found,
            };
            let Some(args) = super::split_inline(text) else {
                return outcome(
                    commands,
                    Some(protocol("unbalanced quotes in request")),
                    b"",
                    None,
                );
            };
            if !args.is_empty() {
                commands.push(words(vec![args], &[]).remove(0));
            }
            p = next;
            continue;
        }
        let (text, next) = match line(p, b'\r', "too big mbulk count string") {
            Err(e) => return outcome(commands, Some(e), b"", None),
            Ok(None) => break,
            Ok(Some(found)) => found,
        };
        let count = match crate::number::parse_i64(&text[1..]) {
            Some(n) if n <= i32::MAX as i64 => n,
            _ => {
                return outcome(
                    commands,
                    Some(protocol("invalid multibulk length")),
                    b"",
                    None,
                );
            }
        };
        if count > 10 && !authenticated {
            return outcome(
                commands,
                Some(protocol("unauthenticated multibulk length")),
                b"",
                None,
            );
        }
        p = next;
        let mut args = Vec::new();
        let mut held = 0u64;
        for _ in 0..count.max(0) {
            let (text, next) = match line(p, b'\r', "too big bulk count string") {
                Err(e) => return outcome(commands, Some(e), b"", None),
                Ok(None) => return outcome(commands, None, &bytes[p..], None),
                Ok(Some(found)) => found,
            };
            if text.first() != Some(&b'$') {
                return outcome(
                    commands,
                    Some(super::request::expected_dollar(text)),
                    b"",
                    None,
                );
            }
            let len = match crate::number::parse_i64(&text[1..]) {
                Some(n) if n >= 0 && n as u64 <= limits.max_bulk_len => n as u64,
                _ => {
                    return outcome(commands, Some(protocol("invalid bulk length")), b"", None);
                }
            };
            if len > 16384 && !authenticated {
                return outcome(
                    commands,
                    Some(protocol("unauthenticated bulk length")),
                    b"",
                    None,
                );
            }
            p = next;
            let available = (bytes.len() - p) as u64;
            if len >= limits.spill_threshold {
                if available < len + 2 {
                    let end = p + available.min(len) as usize;
                    return outcome(commands, None, b"", Some(bytes[p..end].to_vec()));
                }
                held += ARG_OVERHEAD as u64;
            } else {
                held += len + ARG_OVERHEAD as u64;
                if held > limits.max_request_bytes as u64 {
                    return outcome(commands, Some(ProtocolError::Silent), b"", None);
                }
                if available < len + 2 {
                    return outcome(commands, None, &bytes[p..], None);
                }
            }
            args.push(bytes[p..p + len as usize].to_vec());
            p += len as usize + 2;
        }
        if !args.is_empty() {
            commands.push(args);
        }
    }
    outcome(commands, None, &bytes[p..], None)
}

/// Cuts `bytes` at random points (or into single bytes).
fn cut<'a>(rng: &mut Rng, bytes: &'a [u8]) -> Vec<&'a [u8]> {
    if bytes.len() < 3000 && rng.u8(..4) == 0 {
        return bytes.chunks(1).collect();
    }
    let mut points: Vec<usize> = (0..rng.usize(1..8))
        .map(|_| rng.usize(..=bytes.len()))
        .collect();
    points.sort_unstable();
    let mut chunks = Vec::new();
    let mut from = 0;
    for p in points {
        chunks.push(&bytes[from..p]);
        from = p;
    }
    chunks.push(&bytes[from..]);
    chunks
}

/// Checks one stream: against the model, whole, then cut three ways.
fn check(rng: &mut Rng, bytes: &[u8], expected: Option<&Commands>) -> Result<(), String> {
    let limits = limits(rng);
    let authenticated = rng.u8(..4) != 0;
    let whole = run(&[bytes], limits, authenticated)?;
    let reference = model(bytes, limits, authenticated);
    if whole != reference {
        return Err(format!(
            "limits {limits:?}, authenticated {authenticated}: the parser gave {whole:?}, \
             the model {reference:?}"
        ));
    }
    let generous =
        authenticated && limits.max_bulk_len >= 512 << 20 && limits.max_request_bytes >= 1 << 30;
    if let (Some(expected), true) = (expected, generous) {
        if whole.error.is_some() || &whole.commands != expected || !whole.left.is_empty() {
            return Err(format!(
                "well-formed requests parsed as {whole:?}, expected {expected:?}"
            ));
        }
    }
    for _ in 0..3 {
        let chunks = cut(rng, bytes);
        let split = run(&chunks, limits, authenticated)?;
        let same = if whole.error.is_some() {
            split.commands == whole.commands && split.error == whole.error
        } else {
            split == whole
        };
        if !same {
            let sizes: Vec<usize> = chunks.iter().map(|c| c.len()).collect();
            return Err(format!(
                "limits {limits:?}, authenticated {authenticated}: whole gave {whole:?}, \
                 chunks {sizes:?} gave {split:?}"
            ));
        }
    }
    Ok(())
}

fn escaped(bytes: &[u8]) -> String {
    let shown: String = bytes[..bytes.len().min(2000)].escape_ascii().to_string();
    if bytes.len() > 2000 {
        format!("{shown}... ({} bytes)", bytes.len())
    } else {
        shown
    }
}

#[test]
fn fuzz_the_request_parser() {
    let duration = fuzz_duration(2.0);
    let seed = fuzz_seed();
    let mut rng = Rng::with_seed(seed);
    let started = Instant::now();
    let mut inputs = 0u64;
    let mut bytes_total = 0u64;
    while started.elapsed() < duration || inputs == 0 {
        let (bytes, expected) = stream(&mut rng);
        let mut check_rng = rng.fork();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            check(&mut check_rng, &bytes, expected.as_ref())
        }));
        let failure = match result {
            Ok(Ok(())) => None,
            Ok(Err(why)) => Some(why),
            Err(_) => Some("the parser panicked (message above)".to_string()),
        };
        if let Some(why) = failure {
            panic!(
                "parser fuzz failure (FUZZ_SEED={seed}, input {inputs}): {why}\ninput: \"{}\"",
                escaped(&bytes)
            );
        }
        inputs += 1;
        bytes_total += bytes.len() as u64;
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "parser fuzz: {inputs} inputs ({:.1} MB, each parsed whole and in 3 splits) in {seconds:.1} s, \
         {:.0} inputs/s, FUZZ_SEED={seed}",
        bytes_total as f64 / 1e6,
        inputs as f64 / seconds
    );
}
