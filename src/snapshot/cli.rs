//! `dredis snapshot`, `dredis snapshot list` and `dredis restore`.
//!
//! A snapshot of a directory whose server is stopped locks the directory (so that no server
//! starts on it meanwhile) and uploads it as it is. When a server holds the directory, the
//! server makes the image: this command connects to the address the server wrote into
//! `LOCK`, asks `SNAPSHOT IMAGE` (which replies once the image is complete), uploads the
//! image, and disconnects, which lets the server discard it.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use redis_protocol::resp2::decode::decode;
use redis_protocol::resp2::types::OwnedFrame;

use super::{peak_memory, restore, upload, Destination, Header, Result};
use crate::config::{Command, RestoreArgs, SnapshotArgs, SnapshotCommand};

/// Runs a subcommand; what it prints goes to stdout, progress to stderr.
pub fn run(command: Command) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        match command {
            Command::Snapshot(SnapshotArgs {
                list: Some(SnapshotCommand::List { to, remote }),
                ..
            }) => list(&Destination::parse(&to, remote.endpoint.as_deref())?).await,
            Command::Snapshot(args) => snapshot(args).await,
            Command::Restore(args) => restore(args).await,
            Command::Check(args) => crate::store::check::run(&args),
        }
    })
}

async fn list(dest: &Destination) -> Result<()> {
    let headers = dest.list().await?;
    if headers.is_empty() {
        println!("no snapshots in {dest}");
    }
    for Header {
        id,
        files,
        bytes,
        uploaded_files,
        uploaded_bytes,
        ..
    } in headers
    {
        println!("{id}  {files} files, {bytes} bytes ({uploaded_files} files, {uploaded_bytes} bytes uploaded)");
    }
    Ok(())
}

async fn snapshot(args: SnapshotArgs) -> Result<()> {
    let (Some(dir), Some(to)) = (args.dir, args.to) else {
        return Err(
            "dredis snapshot needs --dir DATA and --to DEST (or: dredis snapshot list --to DEST)"
                .into(),
        );
    };
    let dest = Destination::parse(&to, args.remote.endpoint.as_deref())?;
    let lock = File::options()
        .read(true)
        .open(dir.join("LOCK"))
        .map_err(|e| format!("{} is not a dredis data directory: {e}", dir.display()))?;
    let summary = match lock.try_lock() {
        Ok(()) => {
            let unfinished = crate::store::journal::unfinished(&dir)?;
            if unfinished > 0 {
                return Err(format!(
                    "{} was left by a crash with {unfinished} unfinished commit(s) in its journal: start dredis on it once (it finishes them), then snapshot it",
                    dir.display()
                )
                .into());
            }
            upload::upload(&dir, &dest, SystemTime::now(), true).await?
        }
        Err(fs::TryLockError::WouldBlock) => {
            let password = args
                .password
                .or_else(|| std::env::var("REDISCLI_AUTH").ok());
            let mut server = ServerImage::ask(&dir, password.as_deref())?;
            let summary = upload::upload(&server.path, &dest, server.instant, true).await?;
            server.release()?;
            summary
        }
        Err(fs::TryLockError::Error(e)) => return Err(e.into()),
    };
    let header = &summary.header;
    println!(
        "snapshot {} of {} to {dest}: {} files, {} bytes; uploaded {} files, {} bytes; {}",
        header.id,
        dir.display(),
        header.files,
        header.bytes,
        header.uploaded_files,
        header.uploaded_bytes,
        rates(header.files, header.bytes, summary.seconds)
    );
    Ok(())
}

async fn restore(args: RestoreArgs) -> Result<()> {
    let source = Destination::parse(&args.from, args.remote.endpoint.as_deref())?;
    let summary = restore::restore(&source, args.snapshot.as_deref(), &args.dir, true).await?;
    let header = &summary.header;
    println!(
        "restored snapshot {} from {source} into {}: {} files, {} bytes, every checksum verified; {}",
        header.id,
        args.dir.display(),
        header.files,
        header.bytes,
        rates(header.files, header.bytes, summary.seconds)
    );
    Ok(())
}

/// `12.3 s, 45.6 MB/s, 789 files/s, peak memory 12 MiB`.
fn rates(files: u64, bytes: u64, seconds: f64) -> String {
    let s = seconds.max(1e-3);
    let peak = peak_memory().map_or(String::new(), |b| format!(", peak memory {} MiB", b >> 20));
    format!(
        "{seconds:.1} s, {:.1} MB/s, {:.0} files/s{peak}",
        bytes as f64 / s / 1e6,
        files as f64 / s
    )
}

/// An image made by the server running on a data directory, held by this connection.
struct ServerImage {
    connection: TcpStream,
    path: PathBuf,
    instant: SystemTime,
}

impl ServerImage {
    /// Asks the server that holds `dir` for an image (waiting while it is linked).
    fn ask(dir: &Path, password: Option<&str>) -> Result<ServerImage> {
        let address = fs::read_to_string(dir.join("LOCK"))?;
        let address = address.trim();
        if address.is_empty() {
            return Err(format!(
                "{} is in use, but its server has not written its address into LOCK",
                dir.display()
            )
            .into());
        }
        let connection = TcpStream::connect(address).map_err(|e| {
            format!(
                "a server holds {}, but {address} (from its LOCK) does not answer: {e}",
                dir.display()
            )
        })?;
        let mut server = ServerImage {
            connection,
            path: PathBuf::new(),
            instant: UNIX_EPOCH,
        };
        if let Some(password) = password {
            server.call(&["AUTH", password])?;
        }
        match server.call(&["SNAPSHOT", "IMAGE"])? {
            OwnedFrame::Array(parts) => match &parts[..] {
                [OwnedFrame::BulkString(path), OwnedFrame::Integer(ms)] => {
                    server.path = PathBuf::from(String::from_utf8_lossy(path).into_owned());
                    server.instant = UNIX_EPOCH + Duration::from_millis(*ms as u64);
                    Ok(server)
                }
                _ => Err("unexpected reply to SNAPSHOT IMAGE".into()),
            },
            _ => Err("unexpected reply to SNAPSHOT IMAGE".into()),
        }
    }

    fn release(&mut self) -> Result<()> {
        self.call(&["SNAPSHOT", "RELEASE"])?;
        Ok(())
    }

    /// Sends one command and reads its reply; an error reply is an error.
    fn call(&mut self, argv: &[&str]) -> Result<OwnedFrame> {
        let mut request = format!("*{}\r\n", argv.len());
        for arg in argv {
            request.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
        }
        self.connection.write_all(request.as_bytes())?;
        let mut buffer = Vec::new();
        let mut chunk = [0; 4096];
        loop {
            if let Some((frame, _)) = decode(&buffer)? {
                return match frame {
                    OwnedFrame::Error(e) => Err(format!("{}: {e}", argv[0]).into()),
                    frame => Ok(frame),
                };
            }
            let read = self.connection.read(&mut chunk)?;
            if read == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the server closed the connection",
                )
                .into());
            }
            buffer.extend_from_slice(&chunk[..read]);
        }
    }
}
