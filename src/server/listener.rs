//! The accept loop, admission (maxclients, protected mode) and orderly shutdown.
//!
//! Plain TCP (`--port`) and TLS (`--tls-port`) clients are accepted by the same loop and
//! served by the same connection code; a TLS client first completes its handshake (a failed
//! one closes that connection only), then meets the same admission rules, whose refusal it
//! reads over TLS.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::signal::unix::{signal, SignalKind};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use super::{connection, tls, Server};
use crate::config::P;

/// Redis's reply to a client refused by protected mode.
const DENIED: &str = "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Set up an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

/// How long connections get to finish their current command at shutdown.
const DRAIN: Duration = Duration::from_secs(10);

/// The sockets the server listens on: plain TCP, TLS, or both.
pub struct Listeners {
    pub tcp: Option<Listener>,
    pub tls: Option<Listener>,
}

/// A listening socket, and for TLS the acceptor that its clients' handshakes go through.
pub struct Listener {
    pub socket: TcpListener,
    pub tls: Option<TlsAcceptor>,
}

/// A client just accepted, and the TLS acceptor of its listener.
type Accepted = (TcpStream, SocketAddr, Option<TlsAcceptor>);

/// Serves clients until SHUTDOWN, SIGTERM or SIGINT; then lets in-flight commands finish,
/// syncs the store, and returns.
pub async fn run(server: Arc<Server>, listeners: Listeners) -> std::io::Result<()> {
    let mut shutdown = server.shutdown_signal();
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = accept(listeners.tcp.as_ref()) => {
                welcome(&server, &mut connections, accepted).await
            }
            accepted = accept(listeners.tls.as_ref()) => {
                welcome(&server, &mut connections, accepted).await
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            _ = shutdown.changed() => break,
            _ = terminate.recv() => { tracing::info!("received SIGTERM, shutting down"); break }
            _ = interrupt.recv() => { tracing::info!("received SIGINT, shutting down"); break }
        }
    }
    drop(listeners);
    server.shut_down();
    server.store.stop_background();
    if tokio::time::timeout(DRAIN, async {
        while connections.join_next().await.is_some() {}
    })
    .await
    .is_err()
    {
        tracing::warn!("some clients did not finish within {DRAIN:?}; closing them");
        connections.shutdown().await;
    }
    server.saves.stop();
    server.store.close()?;
    tracing::info!("dredis is now ready to exit, bye bye...");
    Ok(())
}

/// The next client of a listener; never, without one.
async fn accept(listener: Option<&Listener>) -> std::io::Result<Accepted> {
    let Some(listener) = listener else {
        return std::future::pending().await;
    };
    let (socket, addr) = listener.socket.accept().await?;
    Ok((socket, addr, listener.tls.clone()))
}

/// Starts serving a client just accepted, on a task of its own.
async fn welcome(
    server: &Arc<Server>,
    connections: &mut JoinSet<()>,
    accepted: std::io::Result<Accepted>,
) {
    match accepted {
        Ok((socket, addr, None)) => {
            connections.spawn(serve_tcp(server.clone(), socket, addr));
        }
        Ok((socket, addr, Some(acceptor))) => {
            connections.spawn(serve_tls(server.clone(), acceptor, socket, addr));
        }
        Err(e) => {
            // Out of file descriptors and the like: wait instead of spinning.
            tracing::warn!("accept failed: {e}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// A plain TCP client: admission, then the connection.
async fn serve_tcp(server: Arc<Server>, mut socket: TcpStream, addr: SocketAddr) {
    let laddr = socket.local_addr().unwrap_or(addr);
    let _ = socket.set_nodelay(true);
    if admit(&server, &mut socket, addr).await {
        let (rd, wr) = socket.into_split();
        connection::serve(server, rd, wr, addr, laddr).await;
    }
}

/// A TLS client: the handshake (within [`tls::HANDSHAKE_TIMEOUT`], given up at shutdown),
/// admission, then the same connection code over the encrypted stream.
async fn serve_tls(
    server: Arc<Server>,
    acceptor: TlsAcceptor,
    socket: TcpStream,
    addr: SocketAddr,
) {
    let laddr = socket.local_addr().unwrap_or(addr);
    let _ = socket.set_nodelay(true);
    let mut shutdown = server.shutdown_signal();
    if *shutdown.borrow_and_update() {
        return;
    }
    let handshake = tokio::time::timeout(tls::HANDSHAKE_TIMEOUT, acceptor.accept(socket));
    let mut stream = tokio::select! {
        done = handshake => match done {
            Ok(Ok(stream)) => stream,
            Ok(Err(e)) => {
                tracing::debug!("TLS handshake with {addr} failed: {e}");
                return;
            }
            Err(_) => {
                let limit = tls::HANDSHAKE_TIMEOUT;
                tracing::debug!("TLS handshake with {addr} took longer than {limit:?}");
                return;
            }
        },
        _ = shutdown.changed() => return,
    };
    if admit(&server, &mut stream, addr).await {
        let (rd, wr) = tokio::io::split(stream);
        connection::serve(server, rd, wr, addr, laddr).await;
    }
}

/// Refuses a client when the server is full or protected mode applies (the refusal is
/// written, then the connection closed); true when the client is let in.
async fn admit<S: AsyncWrite + Unpin>(server: &Server, socket: &mut S, addr: SocketAddr) -> bool {
    let settings = &server.config.settings;
    let refusal = if server.clients.count() as i64 >= settings.int(P::Maxclients) {
        Some("-ERR max number of clients reached\r\n")
    } else if settings.flag(P::ProtectedMode)
        && server.acl.default_user().is_nopass()
        && !is_loopback(addr.ip())
    {
        Some(DENIED)
    } else {
        None
    };
    let Some(text) = refusal else {
        return true;
    };
    server
        .stats
        .rejected_connections
        .fetch_add(1, Ordering::Relaxed);
    let _ = socket.write_all(text.as_bytes()).await;
    // Flushed (a TLS stream may hold the text back) and closed (with TLS's close_notify).
    let _ = socket.shutdown().await;
    false
}

/// Whether protected mode lets a client in: as Redis's `islocalClient`, only 127.0.0.1 and ::1
/// (not the rest of 127.0.0.0/8).
fn is_loopback(ip: IpAddr) -> bool {
    let v4_local = |v4: Ipv4Addr| v4 == Ipv4Addr::LOCALHOST;
    match ip {
        IpAddr::V4(v4) => v4_local(v4),
        IpAddr::V6(v6) => v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(v4_local),
    }
}
