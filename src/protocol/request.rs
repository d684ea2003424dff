//! The request parser: RESP multibulk and inline commands, resumable and bounded.
//!
//! Bytes arrive in any split. The parser keeps its place between reads (which argument, how
//! far a pending line has been scanned), so no byte is examined twice however the input is cut,
//! and it holds Redis's limits: inline lines and length lines up to 64 KiB, bulks up to
//! `proto-max-bulk-len`, small requests before authentication. A bulk at or above the spill
//! threshold is not buffered: the parser returns [`Parsed::Spill`] and the connection streams
//! those bytes into a temp file, then hands the file back with [`RequestParser::spilled`].

use bytes::{Buf, Bytes, BytesMut};

use super::{Arg, SpilledArg};

/// Redis's PROTO_INLINE_MAX_SIZE: the longest inline request or length line.
pub const INLINE_MAX: usize = 64 * 1024;

/// What an argument holds in memory besides its bytes. It counts against
/// `client-query-buffer-limit` with them, so that a request of millions of empty arguments
/// (`*2147483647` then `$0` after `$0`, six bytes each on the wire) is bounded as well; Redis
/// counts the bytes only.
pub const ARG_OVERHEAD: usize = std::mem::size_of::<Arg>();

/// The limits a parser enforces; the server fills them from its configuration.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// `proto-max-bulk-len`: the largest bulk argument accepted.
    pub max_bulk_len: u64,
    /// Bulks at least this long go to a temp file instead of memory.
    pub spill_threshold: u64,
    /// `client-query-buffer-limit`: in-memory bytes one request may hold (with
    /// [`ARG_OVERHEAD`] for each argument).
    pub max_request_bytes: usize,
}

/// What the parser found in the buffer.
#[derive(Debug)]
pub enum Parsed {
    /// A complete command with its arguments (never empty).
    Command(Vec<Arg>),
    /// The next `len` bytes plus CRLF are a large bulk: the caller must consume them from the
    /// buffer and the socket into a file, then call [`RequestParser::spilled`].
    Spill(u64),
}

/// A protocol violation: the client gets the error and the connection closes.
#[derive(Debug, PartialEq, Eq)]
pub enum ProtocolError {
    /// Replied as `-ERR Protocol error: ...`. Bytes, not text: Redis echoes the offending
    /// byte as it came (`expected '$', got '\xff'`).
    Reply(Bytes),
    /// Closed without a reply, as Redis does when the query buffer limit is passed.
    Silent,
}

pub(super) fn error(text: impl AsRef<[u8]>) -> ProtocolError {
    ProtocolError::Reply([&b"Protocol error: "[..], text.as_ref()].concat().into())
}

/// Redis's error for a line in a multibulk that is not a bulk header: the line's first byte,
/// raw, with CR and LF shown as spaces (its error replies never hold a line break). An empty
/// line's first byte is its CR.
pub(super) fn expected_dollar(line: &[u8]) -> ProtocolError {
    let got = match line.first() {
        None | Some(b'\r' | b'\n') => b' ',
        Some(&byte) => byte,
    };
    error([&b"expected '$', got '"[..], &[got], b"'"].concat())
}

#[derive(Debug)]
enum State {
    /// Between requests.
    Start,
    /// Inside a multibulk: `remaining` more bulks expected.
    Bulks {
        remaining: usize,
        args: Vec<Arg>,
        held: usize,
    },
    /// A bulk header was read: waiting for `len` bytes plus CRLF.
    Body {
        len: usize,
        remaining: usize,
        args: Vec<Arg>,
        held: usize,
    },
    /// The caller is streaming a large bulk into a file.
    Spilling {
        remaining: usize,
        args: Vec<Arg>,
        held: usize,
    },
}

/// Resumable RESP request parser. One per connection.
#[derive(Debug)]
pub struct RequestParser {
    limits: Limits,
    state: State,
    /// How many bytes of an unfinished line at the buffer's front were already searched.
    scanned: usize,
}

impl RequestParser {
    /// Changes the limits for the requests not parsed yet (CONFIG SET proto-max-bulk-len).
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
    }

    pub fn new(limits: Limits) -> Self {
        RequestParser {
            limits,
            state: State::Start,
            scanned: 0,
        }
    }

    /// Parses the next command from `buf`, consuming its bytes. `Ok(None)` means more input is
    /// needed. `authenticated` is false while the connection still has to AUTH, which limits
    /// request sizes as Redis does.
    pub fn parse(
        &mut self,
        buf: &mut BytesMut,
        authenticated: bool,
    ) -> Result<Option<Parsed>, ProtocolError> {
        loop {
            match std::mem::replace(&mut self.state, State::Start) {
                State::Start => {
                    let Some(&first) = buf.first() else {
                        return Ok(None);
                    };
                    if first == b'*' {
                        let Some(line) = self.line(buf, b'\r', "too big mbulk count string")?
                        else {
                            return Ok(None);
                        };
                        let count = parse_len(&line[1..]).filter(|&n| n <= i32::MAX as i64);
                        let Some(count) = count else {
                            return Err(error("invalid multibulk length"));
                        };
                        if count > 10 && !authenticated {
                            return Err(error("unauthenticated multibulk length"));
                        }
                        if count > 0 {
                            let args = Vec::with_capacity((count as usize).min(1024));
                            self.state = State::Bulks {
                                remaining: count as usize,
                                args,
                                held: 0,
                            };
                        }
                    } else {
                        let Some(line) = self.line(buf, b'\n', "too big inline request")? else {
                            return Ok(None);
                        };
                        let args = split_inline(&line)
                            .ok_or_else(|| error("unbalanced quotes in request"))?;
                        if !args.is_empty() {
                            return Ok(Some(Parsed::Command(args)));
                        }
                    }
                }
                State::Bulks {
                    remaining,
                    args,
                    held,
                } => {
                    let Some(line) = self.line(buf, b'\r', "too big bulk count string")? else {
                        self.state = State::Bulks {
                            remaining,
                            args,
                            held,
                        };
                        return Ok(None);
                    };
                    if line.first() != Some(&b'$') {
                        return Err(expected_dollar(&line));
                    }
                    let len = parse_len(&line[1..])
                        .filter(|&n| n >= 0 && n as u64 <= self.limits.max_bulk_len);
                    let Some(len) = len else {
                        return Err(error("invalid bulk length"));
                    };
                    if len > 16384 && !authenticated {
                        return Err(error("unauthenticated bulk length"));
                    }
                    if len as u64 >= self.limits.spill_threshold {
                        self.state = State::Spilling {
                            remaining,
                            args,
                            held,
                        };
                        return Ok(Some(Parsed::Spill(len as u64)));
                    }
                    let len = len as usize;
                    if held + len + ARG_OVERHEAD > self.limits.max_request_bytes {
                        return Err(ProtocolError::Silent);
                    }
                    buf.reserve(len + 2);
                    self.state = State::Body {
                        len,
                        remaining,
                        args,
                        held,
                    };
                }
                State::Body {
                    len,
                    remaining,
                    mut args,
                    held,
                } => {
                    if buf.len() < len + 2 {
                        self.state = State::Body {
                            len,
                            remaining,
                            args,
                            held,
                        };
                        return Ok(None);
                    }
                    let data = buf.split_to(len).freeze();
                    buf.advance(2); // Redis skips the CRLF without looking at it.
                    args.push(Arg::Bytes(data));
                    let held = held + len + ARG_OVERHEAD;
                    if let Some(done) = self.next_bulk(remaining, args, held) {
                        return Ok(Some(Parsed::Command(done)));
                    }
                }
                state @ State::Spilling { .. } => {
                    // The connection must hand over the spilled bulk first.
                    debug_assert!(false, "parse called while a spilled bulk is pending");
                    self.state = state;
                    return Ok(None);
                }
            }
        }
    }

    /// Takes the file that now holds the bulk announced by [`Parsed::Spill`]. Returns the
    /// command if that bulk was its last argument.
    pub fn spilled(&mut self, file: SpilledArg) -> Option<Vec<Arg>> {
        let State::Spilling {
            remaining,
            mut args,
            held,
        } = std::mem::replace(&mut self.state, State::Start)
        else {
            debug_assert!(false, "spilled called without a pending spill");
            return None;
        };
        args.push(Arg::Spilled(file));
        self.next_bulk(remaining, args, held + ARG_OVERHEAD)
    }

    fn next_bulk(&mut self, remaining: usize, args: Vec<Arg>, held: usize) -> Option<Vec<Arg>> {
        if remaining == 1 {
            self.state = State::Start;
            Some(args)
        } else {
            self.state = State::Bulks {
                remaining: remaining - 1,
                args,
                held,
            };
            None
        }
    }

    /// Takes one line ending at `end` (`\r` for RESP lines, followed by `\n`; `\n` for inline
    /// requests, with an optional `\r` before it). Bytes already searched are not searched again.
    /// A line longer than `INLINE_MAX` is refused whether or not its end has arrived, so that
    /// how the bytes were split by the network never changes the outcome (Redis only checks
    /// a line still missing its end, so it takes a longer one that arrives in a single read).
    fn line(
        &mut self,
        buf: &mut BytesMut,
        end: u8,
        too_big: &str,
    ) -> Result<Option<Bytes>, ProtocolError> {
        let found = buf[self.scanned..]
            .iter()
            .position(|&b| b == end)
            .map(|i| i + self.scanned);
        let Some(at) = found else {
            self.scanned = buf.len();
            if buf.len() > INLINE_MAX {
                return Err(error(too_big));
            }
            return Ok(None);
        };
        if at > INLINE_MAX {
            return Err(error(too_big));
        }
        if end == b'\r' && at + 1 >= buf.len() {
            // The '\n' after the '\r' has not arrived yet.
            self.scanned = at;
            return Ok(None);
        }
        self.scanned = 0;
        let mut line = buf.split_to(at + 1);
        if end == b'\r' {
            buf.advance(1);
        }
        line.truncate(at);
        if end == b'\n' && line.last() == Some(&b'\r') {
            line.truncate(at - 1);
        }
        Ok(Some(line.freeze()))
    }
}

/// A length as Redis's string2ll reads it; None when it is not an integer.
fn parse_len(digits: &[u8]) -> Option<i64> {
    crate::number::parse_i64(digits)
}

/// Splits an inline request as Redis's `sdssplitargs`: words separated by spaces, with
/// "double quotes" (escapes \n \r \t \b \a \xHH \") and 'single quotes' (\' only).
/// None for unbalanced quotes or a closing quote not followed by a space.
pub fn split_inline(line: &[u8]) -> Option<Vec<Arg>> {
    let mut args = Vec::new();
    let mut p = 0;
    let at = |i: usize| line.get(i).copied().unwrap_or(0);
    loop {
        while p < line.len() && is_space(line[p]) {
            p += 1;
        }
        if p >= line.len() || line[p] == 0 {
            return Some(args);
        }
        let mut current = Vec::new();
        let (mut in_double, mut in_single) = (false, false);
        loop {
            let c = at(p);
            if in_double {
                if c == b'\\'
                    && at(p + 1) == b'x'
                    && at(p + 2).is_ascii_hexdigit()
                    && at(p + 3).is_ascii_hexdigit()
                {
                    let hex = std::str::from_utf8(&line[p + 2..p + 4]).ok()?;
                    current.push(u8::from_str_radix(hex, 16).ok()?);
                    p += 3;
                } else if c == b'\\' && at(p + 1) != 0 {
                    p += 1;
                    current.push(match line[p] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 0x08,
                        b'a' => 0x07,
                        other => other,
                    });
                } else if c == b'"' {
                    // A closing quote must be followed by a space or the end.
                    if at(p + 1) != 0 && !is_space(at(p + 1)) {
                        return None;
                    }
                    p += 1;
                    break;
                } else if c == 0 {
                    return None;
                } else {
                    current.push(c);
                }
            } else if in_single {
                if c == b'\\' && at(p + 1) == b'\'' {
                    p += 1;
                    current.push(b'\'');
                } else if c == b'\'' {
                    if at(p + 1) != 0 && !is_space(at(p + 1)) {
                        return None;
                    }
                    p += 1;
                    break;
                } else if c == 0 {
                    return None;
                } else {
                    current.push(c);
                }
            } else {
                match c {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => break,
                    b'"' => in_double = true,
                    b'\'' => in_single = true,
                    other => current.push(other),
                }
            }
            p += 1;
        }
        args.push(Arg::Bytes(Bytes::from(current)));
    }
}

/// C's isspace.
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        max_bulk_len: 512 * 1024 * 1024,
        spill_threshold: 1 << 20,
        max_request_bytes: 1 << 30,
    };

    fn words(args: &[Arg]) -> Vec<&[u8]> {
        args.iter()
            .map(|a| a.as_bytes().expect("in memory"))
            .collect()
    }

    fn parse_all(input: &[u8]) -> Result<Vec<Vec<Vec<u8>>>, ProtocolError> {
        let mut parser = RequestParser::new(LIMITS);
        let mut buf = BytesMut::from(input);
        let mut out = Vec::new();
        while let Some(Parsed::Command(args)) = parser.parse(&mut buf, true)? {
            out.push(words(&args).iter().map(|w| w.to_vec()).collect());
        }
        Ok(out)
    }

    #[test]
    fn multibulk_and_inline_commands_in_one_stream() {
        let got =
            parse_all(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\nSET  a \"b c\"\n*0\r\n*-1\r\n\r\n")
                .unwrap();
        assert_eq!(
            got,
            vec![
                vec![b"GET".to_vec(), b"k".to_vec()],
                vec![b"PING".to_vec()],
                vec![b"SET".to_vec(), b"a".to_vec(), b"b c".to_vec()]
            ]
        );
    }

    #[test]
    fn any_split_of_the_input_gives_the_same_commands() {
        let input = b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\nECHO 'hi there'\r\n";
        let whole = parse_all(input).unwrap();
        for cut in 0..input.len() {
            let mut parser = RequestParser::new(LIMITS);
            let mut buf = BytesMut::new();
            let mut got = Vec::new();
            for piece in [&input[..cut], &input[cut..]] {
                buf.extend_from_slice(piece);
                while let Some(Parsed::Command(args)) = parser.parse(&mut buf, true).unwrap() {
                    got.push(words(&args).iter().map(|w| w.to_vec()).collect::<Vec<_>>());
                }
            }
            assert_eq!(got, whole, "cut at {cut}");
        }
    }

    #[test]
    fn byte_by_byte_input_is_not_rescanned() {
        // A 60 KB inline line fed one byte at a time must stay linear.
        let mut line = vec![b'a'; 60_000];
        line.extend_from_slice(b"\r\n");
        let mut parser = RequestParser::new(LIMITS);
        let mut buf = BytesMut::new();
        let started = std::time::Instant::now();
        let mut found = None;
        for &b in &line {
            buf.extend_from_slice(&[b]);
            if let Some(p) = parser.parse(&mut buf, true).unwrap() {
                found = Some(p);
            }
        }
        assert!(matches!(found, Some(Parsed::Command(ref a)) if a.len() == 1));
        assert!(started.elapsed().as_secs() < 2);
    }

    #[test]
    fn redis_protocol_errors() {
        let err = |input: &[u8]| match parse_all(input) {
            Err(ProtocolError::Reply(text)) => String::from_utf8_lossy(&text).into_owned(),
            other => panic!(
                "expected an error for {:?}, got {other:?}",
                String::from_utf8_lossy(input)
            ),
        };
        assert_eq!(err(b"*x\r\n"), "Protocol error: invalid multibulk length");
        assert_eq!(err(b"*01\r\n"), "Protocol error: invalid multibulk length");
        assert_eq!(
            err(b"*3000000000\r\n"),
            "Protocol error: invalid multibulk length"
        );
        assert_eq!(
            err(b"*1\r\n+3\r\n"),
            "Protocol error: expected '$', got '+'"
        );
        assert_eq!(err(b"*1\r\n$-2\r\n"), "Protocol error: invalid bulk length");
        assert_eq!(
            err(b"*1\r\n$600000000\r\n"),
            "Protocol error: invalid bulk length"
        );
        assert_eq!(
            err(b"SET \"a\r\n"),
            "Protocol error: unbalanced quotes in request"
        );
        assert_eq!(
            err(b"SET \"a\"b\r\n"),
            "Protocol error: unbalanced quotes in request"
        );
        assert_eq!(
            err(&vec![b'a'; INLINE_MAX + 1]),
            "Protocol error: too big inline request"
        );
        let mut big = b"*".to_vec();
        big.extend(vec![b'1'; INLINE_MAX + 1]);
        assert_eq!(err(&big), "Protocol error: too big mbulk count string");
    }

    #[test]
    fn a_line_that_is_not_a_bulk_header_is_named_by_its_first_byte_as_redis_does() {
        // An empty line used to panic the connection's task (and leak its client).
        let raw = |input: &[u8]| match parse_all(input) {
            Err(ProtocolError::Reply(text)) => text,
            other => panic!("expected an error, got {other:?}"),
        };
        let expected =
            |got: u8| [&b"Protocol error: expected '$', got '"[..], &[got], b"'"].concat();
        assert_eq!(raw(b"*1\r\n\r\n"), expected(b' '));
        assert_eq!(raw(b"*1\r\n\n\r\n"), expected(b' '));
        assert_eq!(raw(b"*1\r\r\n$4\r\nPING\r\n"), expected(b' '));
        // The byte as it came, not as a UTF-8 character.
        assert_eq!(raw(b"*1\r\n\xff\r\n"), expected(0xff));
        assert_eq!(raw(b"*2\r\n$1\r\na\r\n:1\r\n"), expected(b':'));
    }

    #[test]
    fn a_line_over_64k_is_refused_even_when_its_end_came_with_it() {
        let mut line = vec![b'a'; INLINE_MAX + 1];
        line.extend_from_slice(b"\r\n");
        assert_eq!(
            parse_all(&line).unwrap_err(),
            error("too big inline request")
        );
        // 64 KiB before the newline is still fine (a CR before it counts).
        line.truncate(INLINE_MAX);
        line.push(b'\n');
        assert_eq!(parse_all(&line).unwrap().len(), 1);
        let mut count = b"*".to_vec();
        count.extend(vec![b'0'; INLINE_MAX]);
        count.extend_from_slice(b"1\r\n");
        assert_eq!(
            parse_all(&count).unwrap_err(),
            error("too big mbulk count string")
        );
    }

    #[test]
    fn deep_nesting_is_just_an_error() {
        // Nested arrays are not requests: the second '*' is not a '$'.
        let input = "*1\r\n".repeat(100_000);
        assert!(matches!(
            parse_all(input.as_bytes()),
            Err(ProtocolError::Reply(_))
        ));
    }

    #[test]
    fn unauthenticated_clients_send_small_requests_only() {
        let mut parser = RequestParser::new(LIMITS);
        let mut buf = BytesMut::from(&b"*11\r\n"[..]);
        assert_eq!(
            parser.parse(&mut buf, false).unwrap_err(),
            error("unauthenticated multibulk length")
        );
        let mut parser = RequestParser::new(LIMITS);
        let mut buf = BytesMut::from(&b"*1\r\n$16385\r\n"[..]);
        assert_eq!(
            parser.parse(&mut buf, false).unwrap_err(),
            error("unauthenticated bulk length")
        );
    }

    #[test]
    fn big_bulks_are_announced_for_spilling() {
        let limits = Limits {
            spill_threshold: 10,
            ..LIMITS
        };
        let mut parser = RequestParser::new(limits);
        let mut buf = BytesMut::from(&b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$20\r\n"[..]);
        match parser.parse(&mut buf, true).unwrap() {
            Some(Parsed::Spill(20)) => {}
            other => panic!("{other:?}"),
        }
        let file = SpilledArg::for_test();
        let args = parser.spilled(file).expect("last argument");
        assert_eq!(args.len(), 3);
        assert!(matches!(args[2], Arg::Spilled(_)));
    }

    #[test]
    fn inline_quoting_follows_sdssplitargs() {
        let args = split_inline(br#"set "a\x41\n" 'it\'s' plain"#).unwrap();
        assert_eq!(words(&args), vec![&b"set"[..], b"aA\n", b"it's", b"plain"]);
        assert_eq!(split_inline(b"   ").unwrap().len(), 0);
        assert!(split_inline(b"'abc").is_none());
    }
}
