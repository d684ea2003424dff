//! One client connection: read requests, run them in order, write the replies.
//!
//! Every complete request found in a read is run as one group (pipelining): on the
//! connection's own task when none of them touches a file (PING, ECHO, SELECT...), otherwise
//! together on a blocking thread, so that disk waits never stall the async workers. Replies
//! go back in request order, large stored values streamed from their files. A request
//! argument above the spill threshold is written to a temp file as it arrives.
//!
//! While idle, the connection also waits on its client's mailbox: pub/sub messages and
//! MONITOR lines are written as they come, and a closed mailbox (CLIENT KILL, too many unread
//! messages) ends the connection, even in the middle of a write to a client that does not
//! read. Messages that arrive while requests run go out before the next reply.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;

use super::{Client, Close, Server, Session};
use crate::commands::{self, Outcome, Thread};
use crate::config::P;
use crate::protocol::{
    encode, Arg, Chunk, Limits, Parsed, ProtocolError, Reply, RequestParser, SpilledArg,
    StoredValue,
};

/// Bulk arguments at least this large are spilled to a temp file instead of memory.
pub const SPILL_THRESHOLD: u64 = 1 << 20;

/// How often an idle connection looks at the `timeout` parameter.
const IDLE_CHECK: Duration = Duration::from_secs(1);

const READ_CHUNK: usize = 64 * 1024;

/// Bytes of waiting messages taken from the mailbox per write when idle.
const DELIVERY_CHUNK: usize = 256 * 1024;

pub async fn serve(server: Arc<Server>, socket: TcpStream, addr: SocketAddr) {
    let laddr = socket.local_addr().unwrap_or(addr);
    let _ = socket.set_nodelay(true);
    let client = server.clients.register(addr, laddr);
    let id = client.id;
    let (rd, wr) = socket.into_split();
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
        parser: RequestParser::new(limits),
    };
    if let Err(e) = connection.run().await {
        tracing::debug!("client {id} ({addr}): {e}");
    }
    server.clients.remove(id);
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

struct Connection {
    server: Arc<Server>,
    client: Arc<Client>,
    /// Taken while commands run on a blocking thread.
    session: Option<Session>,
    rd: OwnedReadHalf,
    wr: OwnedWriteHalf,
    buf: BytesMut,
    parser: RequestParser,
    shutdown: tokio::sync::watch::Receiver<bool>,
}

impl Connection {
    fn session(&self) -> &Session {
        self.session
            .as_ref()
            .expect("the session is back after each group of commands")
    }

    async fn run(&mut self) -> std::io::Result<()> {
        loop {
            let (requests, protocol_error) = self.parse_available().await?;
            if !requests.is_empty() {
                self.execute(requests).await?;
            }
            if let Some(error) = protocol_error {
                if let ProtocolError::Reply(text) = error {
                    self.write(vec![Chunk::Bytes(format!("-ERR {text}\r\n").into())])
                        .await?;
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
                    _ = tokio::time::sleep(IDLE_CHECK) => if self.idle_too_long(idle_since) {
                        return Ok(());
                    },
                }
            }
        }
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

    /// Runs a group of requests in order and writes their replies: on this task as long as
    /// they need no disk, then the rest together on a disk thread.
    async fn execute(&mut self, requests: Vec<Vec<Arg>>) -> std::io::Result<()> {
        let mut session = self.session.take().expect("session present between groups");
        let server = self.server.clone();
        let mut out = Vec::new();
        let mut requests = requests.into_iter();
        let mut disk = Vec::new();
        while let Some(argv) = requests.next() {
            messages(&session, usize::MAX, &mut out);
            match commands::run(&server, &mut session, argv, Thread::Connection) {
                Outcome::Reply(reply) => {
                    if !answer(&session, reply, &mut out) {
                        break;
                    }
                }
                Outcome::NeedsDisk(argv) => {
                    disk.push(argv);
                    disk.extend(requests);
                    break;
                }
            }
        }
        if !disk.is_empty() {
            let (back, more) = tokio::task::spawn_blocking(move || {
                let mut out = Vec::new();
                for argv in disk {
                    messages(&session, usize::MAX, &mut out);
                    let Outcome::Reply(reply) =
                        commands::run(&server, &mut session, argv, Thread::Disk)
                    else {
                        unreachable!("a disk thread runs everything")
                    };
                    if !answer(&session, reply, &mut out) {
                        break;
                    }
                }
                (session, out)
            })
            .await
            .map_err(std::io::Error::other)?;
            session = back;
            out.extend(more);
        }
        self.session = Some(session);
        self.write(out).await
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

async fn write_chunks(wr: &mut OwnedWriteHalf, chunks: Vec<Chunk>) -> std::io::Result<()> {
    for chunk in chunks {
        match chunk {
            Chunk::Bytes(bytes) => wr.write_all(&bytes).await?,
            Chunk::File(value) => stream_file(wr, value).await?,
        }
    }
    Ok(())
}

/// Encodes a reply in the protocol the session speaks now (HELLO 3 answers in RESP3).
/// Returns false when the connection closes after this request: later ones are not run.
fn answer(session: &Session, reply: Reply, out: &mut Vec<Chunk>) -> bool {
    match session.close {
        Some(Close::Now) => false,
        close => {
            encode(reply, session.resp == 3, out);
            close.is_none() && !session.client.mailbox.is_closed()
        }
    }
}

/// Encodes about `budget` bytes of the messages waiting in the session's mailbox.
fn messages(session: &Session, budget: usize, out: &mut Vec<Chunk>) {
    for message in session.client.mailbox.take(budget) {
        encode(message, session.resp == 3, out);
    }
}

/// Sends a stored value from its file without holding it in memory.
async fn stream_file(wr: &mut OwnedWriteHalf, value: StoredValue) -> std::io::Result<()> {
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
