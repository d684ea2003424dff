//! The server: shared state, client sessions, the accept loop and connections.

mod blocking;
mod clients;
mod connection;
mod listener;

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Instant;

pub use blocking::{Blocking, Waiting};
pub use clients::{Client, Clients};
pub use listener::run;

use crate::config::Config;
use crate::store::Store;

/// State shared by every connection.
pub struct Server {
    pub store: Store,
    pub config: Config,
    pub clients: Clients,
    /// Clients blocked on keys (BLPOP and friends), in line per key.
    pub blocking: Arc<Blocking>,
    pub stats: Stats,
    pub started: Instant,
    /// 40 hex characters identifying this run, as Redis's `run_id`.
    pub run_id: String,
    shutdown: tokio::sync::watch::Sender<bool>,
}

/// Counters reported by INFO.
#[derive(Default)]
pub struct Stats {
    pub commands: AtomicU64,
    pub connections: AtomicU64,
    pub rejected_connections: AtomicU64,
}

impl Server {
    pub fn new(store: Store, config: Config) -> Server {
        let seed = format!(
            "{:?}{}{}",
            Instant::now(),
            std::process::id(),
            crate::store::now_ms()
        );
        let run_id = sha1_hex(seed.as_bytes());
        Server {
            store,
            config,
            clients: Clients::default(),
            blocking: Arc::default(),
            stats: Stats::default(),
            started: Instant::now(),
            run_id,
            shutdown: tokio::sync::watch::channel(false).0,
        }
    }

    /// Whether clients must AUTH before other commands.
    pub fn requires_auth(&self) -> bool {
        self.config.requirepass.is_some()
    }

    /// Asks the server to stop: connections finish their current command and close.
    pub fn shut_down(&self) {
        self.shutdown.send_replace(true);
    }

    pub fn shutdown_signal(&self) -> tokio::sync::watch::Receiver<bool> {
        self.shutdown.subscribe()
    }
}

fn sha1_hex(data: &[u8]) -> String {
    use sha1::{Digest, Sha1};
    Sha1::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// How a connection ends after the current command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Close {
    /// Send the reply, then close (QUIT).
    AfterReply,
    /// Close without a reply (SHUTDOWN).
    Now,
}

/// One client connection's state, owned by its connection task.
pub struct Session {
    pub client: Arc<Client>,
    /// The selected database.
    pub db: usize,
    /// Protocol version: 2, or 3 after HELLO 3.
    pub resp: u8,
    pub authenticated: bool,
    pub close: Option<Close>,
    /// Set while EXEC runs the queued commands: blocking commands answer at once, as if
    /// their timeout had expired, instead of waiting.
    pub in_transaction: bool,
}

impl Session {
    pub fn new(client: Arc<Client>, authenticated: bool) -> Session {
        Session {
            client,
            db: 0,
            resp: 2,
            authenticated,
            close: None,
            in_transaction: false,
        }
    }
}
