//! The accept loop, admission (maxclients, protected mode) and orderly shutdown.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::signal::unix::{signal, SignalKind};
use tokio::task::JoinSet;

use super::{connection, Server};
use crate::config::P;

/// Redis's reply to a client refused by protected mode.
const DENIED: &str = "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Set up an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

/// How long connections get to finish their current command at shutdown.
const DRAIN: Duration = Duration::from_secs(10);

/// Serves clients until SHUTDOWN, SIGTERM or SIGINT; then lets in-flight commands finish,
/// syncs the store, and returns.
pub async fn run(server: Arc<Server>, listener: TcpListener) -> std::io::Result<()> {
    let mut shutdown = server.shutdown_signal();
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((socket, addr)) => {
                    if let Some(socket) = admit(&server, socket, addr).await {
                        let server = server.clone();
                        connections.spawn(async move { connection::serve(server, socket, addr).await });
                    }
                }
                Err(e) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            _ = shutdown.changed() => break,
            _ = terminate.recv() => { tracing::info!("received SIGTERM, shutting down"); break }
            _ = interrupt.recv() => { tracing::info!("received SIGINT, shutting down"); break }
        }
    }
    drop(listener);
    server.shut_down();
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

/// Refuses a client when the server is full or protected mode applies; otherwise hands the
/// socket back.
async fn admit(server: &Server, mut socket: TcpStream, addr: SocketAddr) -> Option<TcpStream> {
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
        server.stats.connections.fetch_add(1, Ordering::Relaxed);
        return Some(socket);
    };
    server
        .stats
        .rejected_connections
        .fetch_add(1, Ordering::Relaxed);
    let _ = socket.write_all(text.as_bytes()).await;
    let _ = socket.shutdown().await;
    None
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
