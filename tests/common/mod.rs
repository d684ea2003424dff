//! The integration-test harness: a real `dredis` process per test.
//!
//! [`Server::start`] runs the binary on a free port with a fresh temporary data directory and
//! waits until it accepts connections. A test then talks to it through the `redis` crate
//! ([`Server::con`]), the real `redis-cli` ([`Server::cli`]) or raw bytes ([`Raw`]). The process
//! is killed when the [`Server`] is dropped, so a failing test never leaks a server.
//!
//! To check that a test asserts what Redis itself does, run the suite against a real
//! `redis-server` with `DREDIS_TEST_REFERENCE=1 cargo test`: the harness then starts
//! `redis-server` instead (the tests of dredis's own features, such as its data directory,
//! fail there by design).

#![allow(dead_code)] // Each test file uses its own part of the harness.

pub mod s3;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// How long a server gets to start or to stop.
const PATIENCE: Duration = Duration::from_secs(20);

/// In a test's flags, a second free port chosen at each launch, as the plain port is
/// (`--tls-port`, [`TLS_PORT`]): [`Server::tls_port`] says which.
pub const TLS_PORT: &str = "{tls-port}";

/// A running server (dredis, or redis-server in reference mode).
pub struct Server {
    /// The plain TCP port; 0 when the test's flags said `--port 0`.
    pub port: u16,
    /// The port that stands for [`TLS_PORT`] in the flags.
    pub tls_port: u16,
    dir: PathBuf,
    /// The directory, when the harness made it (removed on drop, after the process is gone).
    tempdir: Option<TempDir>,
    args: Vec<String>,
    /// Environment variables for the process besides the test's own.
    env: Vec<(String, String)>,
    child: Option<Child>,
    /// Everything the process printed on stdout and stderr.
    log: Arc<Mutex<String>>,
    readers: Vec<JoinHandle<()>>,
}

/// A server that would not start: its exit status and what it printed.
#[derive(Debug)]
pub struct StartFailure {
    pub status: Option<ExitStatus>,
    pub log: String,
}

fn reference_mode() -> bool {
    std::env::var_os("DREDIS_TEST_REFERENCE").is_some_and(|v| v != "0")
}

/// True (and says so) when the suite runs against the reference redis-server, for tests of
/// dredis's own features (its data directory) or of behaviour the reference lacks.
pub fn skip_in_reference(why: &str) -> bool {
    let reference = reference_mode();
    if reference {
        eprintln!("skipped against the reference redis-server: {why}");
    }
    reference
}

/// A port nobody listens on right now (the kernel's choice; the server may still lose a race
/// for it, and then [`Server::start_in`] tries another).
pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .expect("bind 127.0.0.1:0")
        .port()
}

impl Server {
    /// A dredis with default options on a fresh data directory.
    pub fn start() -> Server {
        Server::start_with(&[])
    }

    /// A dredis with extra flags (`--requirepass`, `--host`, ...) on a fresh data directory.
    pub fn start_with(args: &[&str]) -> Server {
        Server::start_with_env(args, Vec::new())
    }

    /// The same, with environment variables (an S3 destination's credentials).
    pub fn start_with_env(args: &[&str], env: Vec<(String, String)>) -> Server {
        let tempdir = TempDir::new().expect("create a temporary data directory");
        let dir = tempdir.path().join("data");
        let mut server = Server::start_in_env(&dir, args, env)
            .unwrap_or_else(|f| panic!("the server did not start ({:?}):\n{}", f.status, f.log));
        server.tempdir = Some(tempdir);
        server
    }

    /// A dredis on a given data directory; the error says why it would not start.
    pub fn start_in(dir: &Path, args: &[&str]) -> Result<Server, StartFailure> {
        Server::start_in_env(dir, args, Vec::new())
    }

    fn start_in_env(
        dir: &Path,
        args: &[&str],
        env: Vec<(String, String)>,
    ) -> Result<Server, StartFailure> {
        let mut server = Server {
            port: 0,
            tls_port: 0,
            dir: dir.to_path_buf(),
            tempdir: None,
            args: args.iter().map(|a| a.to_string()).collect(),
            env,
            child: None,
            log: Arc::default(),
            readers: Vec::new(),
        };
        server.launch()?;
        Ok(server)
    }

    /// Spawns the process on a free port and waits until it serves; retries on a lost race
    /// for the port.
    fn launch(&mut self) -> Result<(), StartFailure> {
        for attempt in 1.. {
            self.port = free_port();
            self.tls_port = free_port();
            if let Some(given) = self.flag("--port") {
                self.port = given.parse().expect("--port takes a number");
            }
            self.log = Arc::default();
            let mut command = self.command();
            let mut child = command
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn the server binary");
            self.readers = vec![
                collect(child.stdout.take().unwrap(), self.log.clone()),
                collect(child.stderr.take().unwrap(), self.log.clone()),
            ];
            self.child = Some(child);
            match self.wait_ready() {
                Ok(()) => return Ok(()),
                // The port was taken meanwhile: try another one.
                Err(failure) if failure.log.contains("Address already in use") && attempt < 5 => {}
                Err(failure) => return Err(failure),
            }
        }
        unreachable!()
    }

    /// The value of a flag among the test's own.
    fn flag(&self, name: &str) -> Option<&str> {
        let at = self.args.iter().position(|a| a == name)?;
        self.args.get(at + 1).map(String::as_str)
    }

    /// The test's flags, with the chosen port for [`TLS_PORT`].
    fn flags(&self) -> Vec<String> {
        let tls_port = self.tls_port.to_string();
        let placed = |a: &String| {
            if a == TLS_PORT {
                tls_port.clone()
            } else {
                a.clone()
            }
        };
        self.args.iter().map(placed).collect()
    }

    fn command(&self) -> Command {
        let port = self.port.to_string();
        // A test that sets the plain port (`--port 0`) gets no other.
        let port_args = match self.flag("--port") {
            Some(_) => vec![],
            None => vec!["--port", port.as_str()],
        };
        if reference_mode() {
            std::fs::create_dir_all(&self.dir).expect("create the data directory");
            let mut command = Command::new("redis-server");
            command.args(port_args);
            command.args(["--save", "", "--appendonly", "no", "--dir"]);
            command.arg(&self.dir);
            for arg in &self.flags() {
                command.arg(if arg == "--host" { "--bind" } else { arg });
            }
            return command;
        }
        let mut command = Command::new(env!("CARGO_BIN_EXE_dredis"));
        command.args(port_args).arg("--dir").arg(&self.dir);
        command.args(self.flags()).envs(self.env.iter().cloned());
        command
    }

    fn wait_ready(&mut self) -> Result<(), StartFailure> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let child = self.child.as_mut().expect("a process was spawned");
            if let Some(status) = child.try_wait().expect("poll the server process") {
                self.child = None;
                self.join_readers();
                return Err(StartFailure {
                    status: Some(status),
                    log: self.log(),
                });
            }
            // The log line proves that this process (not another test's) holds the port.
            let ready = self
                .log()
                .to_ascii_lowercase()
                .contains("ready to accept connections");
            // Without a plain port, the TLS port's TCP connect shows it listens.
            let probe = match self.port {
                0 => SocketAddr::from((Ipv4Addr::LOCALHOST, self.tls_port)),
                _ => self.addr(),
            };
            if ready && TcpStream::connect(probe).is_ok() {
                return Ok(());
            }
            if Instant::now() > deadline {
                self.kill();
                return Err(StartFailure {
                    status: None,
                    log: format!("not ready after {PATIENCE:?}\n{}", self.log()),
                });
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The directory of key `key` of database 0 (one whose name needs no escaping).
    pub fn key_dir(&self, key: &str) -> PathBuf {
        self.dir.join(key_path(key))
    }

    /// What the process printed so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("the server is running").id()
    }

    /// A `redis` crate client for this server.
    pub fn client(&self) -> redis::Client {
        redis::Client::open(format!("redis://127.0.0.1:{}/", self.port)).expect("client")
    }

    /// A new connection through the `redis` crate (RESP2).
    pub fn con(&self) -> redis::Connection {
        let con = self
            .client()
            .get_connection_with_timeout(PATIENCE)
            .expect("connect");
        con.set_read_timeout(Some(PATIENCE)).unwrap();
        con
    }

    /// Runs `redis-cli -p PORT args...` and returns what it printed on stdout.
    pub fn cli(&self, args: &[&str]) -> String {
        self.cli_stdin(args, "")
    }

    /// Runs `redis-cli -p PORT args...` with `input` on its standard input.
    pub fn cli_stdin(&self, args: &[&str], input: &str) -> String {
        let mut child = Command::new("redis-cli")
            .args(["-p", &self.port.to_string()])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run redis-cli (install redis-tools)");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let out = child.wait_with_output().expect("redis-cli output");
        assert!(
            out.status.success(),
            "redis-cli {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A raw TCP connection, for protocol tests.
    pub fn raw(&self) -> Raw {
        Raw::connect(self.addr())
    }

    /// Stops the server with SHUTDOWN (authenticating first with `password`, if given) and
    /// waits for the process to exit.
    pub fn shutdown_with(&mut self, password: Option<&str>) -> ExitStatus {
        let mut raw = self.raw();
        if let Some(password) = password {
            assert_eq!(raw.call(&["AUTH", password]), "+OK\r\n");
        }
        raw.send(resp(&["SHUTDOWN"]));
        // The connection closes without a reply.
        assert_eq!(raw.read_to_end(), b"");
        self.wait_exit()
    }

    /// Stops the server with SHUTDOWN and waits for the process to exit.
    pub fn shutdown(&mut self) -> ExitStatus {
        self.shutdown_with(None)
    }

    /// Stops the server with SIGTERM and waits for the process to exit.
    pub fn terminate(&mut self) -> ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success());
        self.wait_exit()
    }

    /// Kills the process with SIGKILL, as a crash would, and waits for it.
    pub fn crash(&mut self) {
        self.kill();
    }

    /// Waits for the process to exit (after SHUTDOWN or a signal).
    pub fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + PATIENCE;
        let child = self.child.as_mut().expect("the server is running");
        loop {
            if let Some(status) = child.try_wait().expect("poll the server process") {
                self.child = None;
                self.join_readers();
                return status;
            }
            if Instant::now() > deadline {
                self.kill();
                panic!(
                    "the server did not exit within {PATIENCE:?}:\n{}",
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Starts the server again on the same data directory with the same flags (stopping it
    /// with SHUTDOWN first if it still runs). The port may change.
    pub fn restart(&mut self) {
        if self.child.is_some() {
            assert!(self.shutdown().success());
        }
        self.launch()
            .unwrap_or_else(|f| panic!("the server did not restart ({:?}):\n{}", f.status, f.log));
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.join_readers();
    }

    fn join_readers(&mut self) {
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Copies a process's output into the shared log until it closes.
fn collect(stream: impl Read + Send + 'static, log: Arc<Mutex<String>>) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stream);
        let mut line = Vec::new();
        while reader.read_until(b'\n', &mut line).unwrap_or(0) > 0 {
            log.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&line));
            line.clear();
        }
    })
}

/// Redis's error text of a failed command: `ERR syntax error`, `WRONGTYPE Operation ...`.
pub fn error_text(e: &redis::RedisError) -> String {
    match (e.code(), e.detail()) {
        (Some(code), Some(detail)) => format!("{code} {detail}"),
        (Some(code), None) => code.to_string(),
        _ => e.to_string(),
    }
}

/// Runs a command that must fail and returns Redis's error text.
pub fn err(cmd: &redis::Cmd, con: &mut redis::Connection) -> String {
    match cmd.query::<redis::Value>(con) {
        Ok(value) => panic!("expected an error, got {value:?}"),
        Err(e) => error_text(&e),
    }
}

/// A request in RESP: `*N` then each argument as a bulk string.
pub fn resp<A: AsRef<[u8]>>(args: &[A]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        let arg = arg.as_ref();
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// A byte stream both ways: a TCP socket, or a TLS stream over one.
pub trait Duplex: Read + Write + Send {}

impl<S: Read + Write + Send> Duplex for S {}

/// A raw connection: bytes in, whole RESP replies out.
pub struct Raw {
    reader: BufReader<Box<dyn Duplex>>,
}

impl Raw {
    pub fn connect(addr: SocketAddr) -> Raw {
        Raw::from_stream(TcpStream::connect(addr).expect("connect"))
    }

    pub fn from_stream(stream: TcpStream) -> Raw {
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        Raw::over(Box::new(stream))
    }

    /// A raw connection over another stream (TLS), whose reads time out already.
    pub fn over(stream: Box<dyn Duplex>) -> Raw {
        Raw {
            reader: BufReader::new(stream),
        }
    }

    pub fn send(&mut self, bytes: impl AsRef<[u8]>) {
        let stream = self.reader.get_mut();
        stream.write_all(bytes.as_ref()).expect("send");
    }

    /// Sends a command and returns its reply, as text.
    pub fn call<A: AsRef<[u8]>>(&mut self, args: &[A]) -> String {
        self.send(resp(args));
        self.reply()
    }

    /// The next whole reply as text (invalid UTF-8 replaced): `+OK\r\n`, `$1\r\nb\r\n`, ...
    pub fn reply(&mut self) -> String {
        String::from_utf8_lossy(&self.reply_bytes()).into_owned()
    }

    /// The next whole reply, byte for byte (RESP2 or RESP3).
    pub fn reply_bytes(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        self.read_reply(&mut out);
        out
    }

    fn read_reply(&mut self, out: &mut Vec<u8>) {
        let start = out.len();
        let n = self.reader.read_until(b'\n', out).expect("read a reply");
        assert!(n > 0, "the connection closed; got so far: {out:?}");
        let line = String::from_utf8_lossy(&out[start..]).into_owned();
        let count = || -> i64 {
            line[1..]
                .trim_end()
                .parse()
                .unwrap_or_else(|_| panic!("bad length line {line:?}"))
        };
        match line.as_bytes()[0] {
            b'$' | b'!' | b'=' if count() >= 0 => {
                let mut body = vec![0; count() as usize + 2];
                self.reader.read_exact(&mut body).expect("read a bulk");
                out.extend_from_slice(&body);
            }
            b'*' | b'~' | b'>' => (0..count().max(0)).for_each(|_| self.read_reply(out)),
            b'%' | b'|' => (0..2 * count()).for_each(|_| self.read_reply(out)),
            _ => {}
        }
    }

    /// Sends a command again and again (every few milliseconds) until its reply is `expected`;
    /// panics with the last reply when that takes longer than the harness's patience.
    pub fn call_until<A: AsRef<[u8]>>(&mut self, args: &[A], expected: &str) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let reply = self.call(args);
            if reply == expected {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "still {reply:?} instead of {expected:?} after {PATIENCE:?}"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Everything until the server closes the connection (panics if it stays open).
    pub fn read_to_end(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        match self.reader.read_to_end(&mut out) {
            Ok(_) => out,
            // A reset after the server closed with unread input is a close as well.
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => out,
            Err(e) => panic!("the connection stayed open ({e}); got {out:?}"),
        }
    }
}

/// A command from its words: `command(&["SET", "k", "v"])`.
pub fn command<A: redis::ToRedisArgs>(words: &[A]) -> redis::Cmd {
    let mut cmd = redis::Cmd::new();
    for word in words {
        cmd.arg(word);
    }
    cmd
}

/// Runs a command given as words and converts its reply.
pub fn query<T: redis::FromRedisValue>(con: &mut redis::Connection, words: &[&str]) -> T {
    command(words)
        .query(con)
        .unwrap_or_else(|e| panic!("{words:?} failed: {}", error_text(&e)))
}

/// Runs a command given as words that must fail, and returns Redis's error text.
pub fn query_err(con: &mut redis::Connection, words: &[&str]) -> String {
    err(&command(words), con)
}

/// Redis Cluster's hash slot: CRC16 (XMODEM) of the key, modulo 16384.
pub fn key_slot(key: &[u8]) -> u16 {
    crc16::State::<crc16::XMODEM>::calculate(key) % 16384
}

/// The directory of a key of database 0 (one whose name needs no escaping), relative to the
/// data directory: `0/<slot in hex>/<key>`.
pub fn key_path(key: &str) -> PathBuf {
    Path::new("0")
        .join(format!("{:04x}", key_slot(key.as_bytes())))
        .join(key)
}
