//! One client connection: read requests, run them in order, write the replies.
//!
//! Every complete request found in a read is run as one group (pipelining): on the
//! connection's own task when none of them touches a file (PING, ECHO, SELECT...), otherwise
//! together on a blocking thread, so that disk waits never stall the async workers. Replies
//! go back in request order, large stored values streamed from their files. A request
//! argument above the spill threshold is written to a temp file as it arrives. A blocking
//! request (BLPOP on empty lists) that has to wait holds back the requests after it; the
//! wait itself is [`Connection::wait_blocked`].
//!
//! While idle, the connection also waits on its client's mailbox: pub/sub messages and
//! MONITOR lines are written as they come, and a closed mailbox (CLIENT KILL, too many unread
//! messages) ends the connection, even in the middle of a write to a client that does not
//! read. Messages that arrive while requests run go out before the next reply.
//!
//! The connection reads from any `AsyncRead` and writes to any `AsyncWrite`: the two halves
//! of a TCP socket, or of a TLS stream. Writes are flushed after each batch of replies, since
//! a TLS stream may keep encrypted bytes back until it is.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::{Client, Close, Server, Session, Unblock};
use crate::commands::{self, Blocked, Outcome, Thread};
use crate::config::P;
use crate::protocol::{
    encode, Arg, Chunk, Limits, Parsed, ProtocolError, Reply, RequestParser, SpilledArg,
    StoredValue,
};

/// The error of a command ended by CLIENT UNBLOCK ... ERROR.
const UNBLOCKED: &str = "UNBLOCKED client unblocked via CLIENT UNBLOCK";

/// Bulk arguments at least this large are spilled to a temp file instead of memory.
pub const SPILL_THRESHOLD: u64 = 1 << 20;

/// How often an idle connection looks at the `timeout` parameter.
const IDLE_CHECK: Duration = Duration::from_secs(1);

/// What a read asks for at least (Redis's PROTO_IOBUF_LEN).
const READ_CHUNK: usize = 16 * 1024;

/// The query buffer is resized as Redis's clients cron does: at most this often, a buffer
/// bigger than `RESIZE_THRESHOLD` that held less than half its size since the last look
/// shrinks to what it held; one idle for `IDLE_FREE` with nothing in it is freed.
const RESIZE_EVERY: Duration = Duration::from_millis(100);
const RESIZE_THRESHOLD: usize = 32 * 1024;
const IDLE_FREE: Duration = Duration::from_secs(2);

/// Bytes of waiting messages taken from the mailbox per write when idle.
const DELIVERY_CHUNK: usize = 256 * 1024;

/// How long a closing connection waits to say goodbye (TLS's close_notify) to a client that
/// does not read.
const CLOSE_WAIT: Duration = Duration::from_secs(1);

/// Serves one admitted client, reading from `rd` and writing to `wr`, from `addr` to our
/// `laddr`, until it leaves or is closed.
pub async fn serve<R, W>(server: Arc<Server>, rd: R, wr: W, addr: SocketAddr, laddr: SocketAddr)
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let client = server.clients.register(addr, laddr);
    // Counted once listed, as Redis: a client counted as received is in CLIENT LIST.
    server.stats.connections.fetch_add(1, Ordering::Relaxed);
    let id = client.id;
    let registered = Registered {
        server: server.clone(),
        id,
    };
    let limits = limits(&server);
    let session = Session::new(&server, client.clone());
    let mut connection = Connection {
        shutdown: server.shutdown_signal(),
        server: server.clone(),
        client,
        session: Some(session),
        rd,
        wr,
        buf: BytesMut::with_capacity(READ_CHUNK),
        peak: 0,
        resized_at: Instant::now(),
        parser: RequestParser::new(limits),
    };
    if let Err(e) = connection.run().await {
        tracing::debug!("client {id} ({addr}): {e}");
    }
    // Out of CLIENT LIST before the client sees its connection close, as in Redis.
    drop(registered);
    // TCP closes as the halves drop; TLS says close_notify first, as Redis's SSL_shutdown.
    let _ = tokio::time::timeout(CLOSE_WAIT, connection.wr.shutdown()).await;
}

/// Takes a client out of the registry when its connection ends, however it ends: a panic in
/// its task must not leave it listed and counted against `maxclients` for ever.
struct Registered {
    server: Arc<Server>,
    id: u64,
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.server.clients.remove(self.id);
    }
}

/// The parser's limits, as configured now (`proto-max-bulk-len`, `client-query-buffer-limit`).
fn limits(server: &Server) -> Limits {
    let settings = &server.config.settings;
    Limits {
        max_bulk_len: settings.int(P::ProtoMaxBulkLen) as u64,
        spill_threshold: SPILL_THRESHOLD,
        max_request_bytes: settings.int(P::ClientQueryBufferLimit) as usize,
    }
}

struct Connection<R, W> {
    server: Arc<Server>,
    client: Arc<Client>,
    /// Taken while commands run on a blocking thread.
    session: Option<Session>,
    rd: R,
    wr: W,
    buf: BytesMut,
    /// The most the buffer held since it was last looked at for resizing, and when that was.
    peak: usize,
    resized_at: Instant,
    parser: RequestParser,
    shutdown: tokio::sync::watch::Receiver<bool>,
}

impl<R: AsyncRead + Unpin, W: AsyncWrite + Unpin> Connection<R, W> {
    fn session(&self) -> &Session {
        self.session
            .as_ref()
            .expect("the session is back after each group of commands")
    }

    fn session_mut(&mut self) -> &mut Session {
        self.session
            .as_mut()
            .expect("the session is back after each group of commands")
    }

    async fn run(&mut self) -> std::io::Result<()> {
        loop {
            // While they run, the requests read count in the query buffer, as in Redis
            // (CLIENT LIST shows a client's own command in its qbuf).
            self.peak = self.peak.max(self.buf.len());
            self.client
                .note_query_buffer(self.buf.len(), self.buf.capacity());
            let (requests, protocol_error) = self.parse_available().await?;
            let unparsed = self.buf.len();
            if !requests.is_empty() {
                self.execute(requests).await?;
            }
            // A request that blocks reads the socket while it waits (`wait_blocked`): what
            // came then is parsed next, not left there until the client sends more.
            let arrived = self.buf.len() > unparsed;
            if let Some(error) = protocol_error {
                if let ProtocolError::Reply(text) = error {
                    let line = [&b"-ERR "[..], &text, b"\r\n"].concat();
                    self.write(vec![Chunk::Bytes(line.into())]).await?;
                }
                return Ok(());
            }
            if self.session().close.is_some() || *self.shutdown.borrow() {
                return Ok(());
            }
            self.deliver().await?;
            if self.client.mailbox.is_closed() {
                return Ok(());
            }
            if arrived {
                continue;
            }
            self.resize_buffer();
            self.buf.reserve(READ_CHUNK);
            self.client
                .note_query_buffer(self.buf.len(), self.buf.capacity());
            let client = self.client.clone();
            let idle_since = Instant::now();
            loop {
                tokio::select! {
                    read = self.rd.read_buf(&mut self.buf) => match read? {
                        0 => return Ok(()),
                        _ => break,
                    },
                    _ = self.shutdown.changed() => return Ok(()),
                    _ = client.mailbox.changed() => break,
                    _ = tokio::time::sleep(IDLE_CHECK) => {
                        if self.idle_too_long(idle_since) {
                            return Ok(());
                        }
                        if idle_since.elapsed() >= IDLE_FREE && self.buf.is_empty() {
                            self.buf = BytesMut::new();
                            self.client.note_query_buffer(0, 0);
                        }
                    }
                }
            }
        }
    }

    /// Shrinks a big query buffer that has held little lately (see `RESIZE_EVERY`).
    fn resize_buffer(&mut self) {
        if self.resized_at.elapsed() < RESIZE_EVERY {
            return;
        }
        let size = self.buf.capacity();
        if size > RESIZE_THRESHOLD && self.peak < size / 2 {
            let mut smaller = BytesMut::with_capacity(self.peak.max(READ_CHUNK));
            smaller.extend_from_slice(&self.buf);
            self.buf = smaller;
        }
        self.peak = self.buf.len();
        self.resized_at = Instant::now();
    }

    /// Writes the messages waiting in the mailbox.
    async fn deliver(&mut self) -> std::io::Result<()> {
        loop {
            let mut out = Vec::new();
            messages(self.session(), DELIVERY_CHUNK, &mut out);
            if out.is_empty() {
                return Ok(());
            }
            self.write(out).await?;
        }
    }

    /// Whether the client has been idle longer than `timeout` (0: forever is fine). As in
    /// Redis, subscribers are never idle; a client waiting in a blocking command is not
    /// reading requests, it is in `execute`.
    fn idle_too_long(&self, idle_since: Instant) -> bool {
        let timeout = self.server.config.settings.int(P::Timeout);
        timeout > 0
            && !self.client.is_pubsub()
            && idle_since.elapsed() >= Duration::from_secs(timeout as u64)
    }

    /// Every complete request in the buffer, and the protocol error that ended parsing, if any.
    async fn parse_available(&mut self) -> std::io::Result<(Vec<Vec<Arg>>, Option<ProtocolError>)> {
        let mut requests = Vec::new();
        self.parser.set_limits(limits(&self.server));
        loop {
            let authenticated = self.session().authenticated || !self.server.requires_auth();
            match self.parser.parse(&mut self.buf, authenticated) {
                Ok(Some(Parsed::Command(args))) => requests.push(args),
                Ok(Some(Parsed::Spill(len))) => {
                    let file = self.spill(len).await?;
                    if let Some(args) = self.parser.spilled(file) {
                        requests.push(args);
                    }
                }
                Ok(None) => return Ok((requests, None)),
                Err(e) => return Ok((requests, Some(e))),
            }
        }
    }

    /// Moves the next `len` bytes (and the CRLF after them) from the buffer and the socket
    /// into a temp file in the data directory.
    async fn spill(&mut self, len: u64) -> std::io::Result<SpilledArg> {
        let dir = self.server.store.tmp_dir().to_path_buf();
        let named = tokio::task::spawn_blocking(move || {
            tempfile::Builder::new().prefix("arg").tempfile_in(dir)
        })
        .await
        .map_err(std::io::Error::other)??;
        let (file, path) = named.into_parts();
        let mut file = tokio::fs::File::from_std(file);
        let mut left = len + 2;
        while left > 0 {
            if self.buf.is_empty() {
                self.buf.reserve(READ_CHUNK.max(256 * 1024));
                if self.rd.read_buf(&mut self.buf).await? == 0 {
                    return Err(std::io::ErrorKind::UnexpectedEof.into());
                }
            }
            let take = (left as usize).min(self.buf.len());
            let chunk = self.buf.split_to(take);
            let data = take.min(left.saturating_sub(2) as usize);
            file.write_all(&chunk[..data]).await?;
            left -= take as u64;
        }
        file.flush().await?;
        Ok(SpilledArg { path })
    }

    /// Runs a group of requests in order and writes their replies. A request that blocks is
    /// answered when its wait ends, and the requests after it run then.
    async fn execute(&mut self, mut requests: Vec<Vec<Arg>>) -> std::io::Result<()> {
        loop {
            let (out, blocked) = self.run_group(requests).await?;
            self.write(out).await?;
            let Some((blocked, rest)) = blocked else {
                return Ok(());
            };
            let Some(reply) = self.wait_blocked(blocked).await? else {
                return Ok(());
            };
            let mut out = Vec::new();
            if !answer(self.session_mut(), reply, &mut out) {
                return Ok(());
            }
            self.write(out).await?;
            requests = rest;
        }
    }

    /// Runs requests in order until one blocks: on this task as long as they need no disk,
    /// then the rest together on a disk thread. Returns the encoded replies, and the blocked
    /// request with the requests after it.
    async fn run_group(&mut self, requests: Vec<Vec<Arg>>) -> std::io::Result<Group> {
        let mut session = self.session.take().expect("session present between groups");
        let server = self.server.clone();
        let mut out = Vec::new();
        let mut requests = requests.into_iter();
        let mut disk = Vec::new();
        while let Some(argv) = requests.next() {
            messages(&session, usize::MAX, &mut out);
            match commands::run(&server, &mut session, argv, Thread::Connection) {
                Outcome::Reply(reply) => {
                    if !answer(&mut session, reply, &mut out) {
                        break;
                    }
                }
                Outcome::NeedsDisk(argv) => {
                    disk.push(argv);
                    disk.extend(requests);
                    break;
                }
                Outcome::Block(blocked) => {
                    self.session = Some(session);
                    return Ok((out, Some((blocked, requests.collect()))));
                }
            }
        }
        let mut blocked = None;
        if !disk.is_empty() {
            let (back, more, stopped) = tokio::task::spawn_blocking(move || {
                let mut out = Vec::new();
                let mut disk = disk.into_iter();
                while let Some(argv) = disk.next() {
                    messages(&session, usize::MAX, &mut out);
                    match commands::run(&server, &mut session, argv, Thread::Disk) {
                        Outcome::Reply(reply) => {
                            if !answer(&mut session, reply, &mut out) {
                                break;
                            }
                        }
                        Outcome::Block(blocked) => {
                            return (session, out, Some((blocked, disk.collect())));
                        }
                        Outcome::NeedsDisk(_) => unreachable!("a disk thread runs everything"),
                    }
                }
                (session, out, None)
            })
            .await
            .map_err(std::io::Error::other)?;
            session = back;
            out.extend(more);
            blocked = stopped;
        }
        self.session = Some(session);
        Ok((out, blocked))
    }

    /// Waits for the keys of a blocked request (see `server::blocking`): each time the
    /// client is woken, the request runs again on a disk thread, until it is served or its
    /// deadline passes (the timeout reply). The socket is still read meanwhile, into the
    /// buffer, so that a client that goes away leaves the line at once: None then, and at
    /// shutdown.
    async fn wait_blocked(&mut self, blocked: Blocked) -> std::io::Result<Option<Reply>> {
        enum Event {
            Woken,
            Read(usize),
            Timeout,
            /// Shutdown, or CLIENT KILL.
            Gone,
        }
        let Blocked {
            mut argv,
            deadline,
            timeout_reply,
            waiting,
        } = blocked;
        let mut waiting = waiting.expect("a request that blocks first gets a place in line");
        let client = self.client.clone();
        loop {
            let buffer_limit = limits(&self.server).max_request_bytes;
            let event = tokio::select! {
                () = waiting.woken() => Event::Woken,
                read = self.rd.read_buf(&mut self.buf), if self.buf.len() < buffer_limit
                    => Event::Read(read?),
                () = until(deadline) => Event::Timeout,
                _ = self.shutdown.changed() => Event::Gone,
                _ = client.mailbox.closed() => Event::Gone,
            };
            match event {
                Event::Woken => match waiting.unblocked() {
                    Some(Unblock::Timeout) => return Ok(Some(timeout_reply)),
                    Some(Unblock::Error) => return Ok(Some(Reply::Error(UNBLOCKED.into()))),
                    None => {}
                },
                Event::Read(0) => {
                    self.session_mut().close = Some(Close::Now);
                    return Ok(None);
                }
                Event::Read(_) => continue,
                Event::Timeout => return Ok(Some(timeout_reply)),
                Event::Gone => return Ok(None),
            }
            let mut session = self.session.take().expect("session present between groups");
            let server = self.server.clone();
            let (back, ticket, outcome) = tokio::task::spawn_blocking(move || {
                let outcome = if waiting.has_data(&server.store) {
                    Ok(commands::run(&server, &mut session, argv, Thread::Disk))
                } else {
                    Err(argv)
                };
                (session, waiting, outcome)
            })
            .await
            .map_err(std::io::Error::other)?;
            self.session = Some(back);
            waiting = ticket;
            match outcome {
                // Nothing there after all, or another client was faster: wait again, in
                // the same place and to the same deadline.
                Err(same) => argv = same,
                Ok(Outcome::Block(again)) => argv = again.argv,
                Ok(Outcome::Reply(reply)) => {
                    waiting.served();
                    return Ok(Some(reply));
                }
                Ok(Outcome::NeedsDisk(_)) => unreachable!("a disk thread runs everything"),
            }
        }
    }

    /// Writes replies; gives up if the client is killed meanwhile (it may not be reading).
    async fn write(&mut self, chunks: Vec<Chunk>) -> std::io::Result<()> {
        let client = self.client.clone();
        tokio::select! {
            written = write_chunks(&mut self.wr, chunks) => written,
            _ = client.mailbox.closed() => Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionAborted,
                "closed by CLIENT KILL or for unread messages",
            )),
        }
    }
}

async fn write_chunks<W: AsyncWrite + Unpin>(
    wr: &mut W,
    chunks: Vec<Chunk>,
) -> std::io::Result<()> {
    for chunk in chunks {
        match chunk {
            Chunk::Bytes(bytes) => wr.write_all(&bytes).await?,
            Chunk::File(value) => stream_file(wr, value).await?,
        }
    }
    wr.flush().await
}

/// Replies to the requests of a group, and the request that blocked with those after it.
type Group = (Vec<Chunk>, Option<(Blocked, Vec<Vec<Arg>>)>);

/// Resolves at the deadline; never without one.
async fn until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

/// Encodes a reply in the protocol the session speaks now (HELLO 3 answers in RESP3).
/// Returns false when the connection closes after this request: later ones are not run.
fn answer(session: &mut Session, reply: Reply, out: &mut Vec<Chunk>) -> bool {
    match session.close {
        Some(Close::Now) => false,
        close => {
            let reply = if session.replies.after_command() {
                Some(reply)
            } else {
                pushes_only(reply)
            };
            if let Some(reply) = reply {
                encode(reply, session.resp == 3, out);
            }
            close.is_none() && !session.client.mailbox.is_closed()
        }
    }
}

/// What CLIENT REPLY OFF or SKIP still sends of a reply: its pub/sub frames (the
/// confirmations of SUBSCRIBE and the like).
fn pushes_only(reply: Reply) -> Option<Reply> {
    match reply {
        Reply::Push(frame) => Some(Reply::Push(frame)),
        Reply::Several(replies) => Some(Reply::Several(
            replies.into_iter().filter_map(pushes_only).collect(),
        )),
        _ => None,
    }
}

/// Encodes about `budget` bytes of the messages waiting in the session's mailbox.
fn messages(session: &Session, budget: usize, out: &mut Vec<Chunk>) {
    for message in session.client.mailbox.take(budget) {
        encode(message, session.resp == 3, out);
    }
}

/// Sends a stored value from its file without holding it in memory.
async fn stream_file<W: AsyncWrite + Unpin>(wr: &mut W, value: StoredValue) -> std::io::Result<()> {
    let mut file = tokio::fs::File::from_std(value.file);
    let mut left = value.len;
    let mut buf = vec![0u8; 256 * 1024];
    while left > 0 {
        let want = (left as usize).min(buf.len());
        let n = file.read(&mut buf[..want]).await?;
        if n == 0 {
            // The file is shorter than announced: the reply cannot be completed.
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "stored value shrank while being sent",
            ));
        }
        wr.write_all(&buf[..n]).await?;
        left -= n as u64;
    }
    Ok(())
}
