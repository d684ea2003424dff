//! The server: shared state, client sessions, the accept loop and connections.

mod clients;
mod connection;
mod listener;
mod mailbox;
pub mod pubsub;

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Instant;

pub use clients::{Client, Clients};
pub use listener::run;

use crate::commands::Transaction;
use crate::config::Config;
use crate::store::watch::WatchSet;
use crate::store::Store;
use pubsub::{PubSub, Subscriptions};

/// State shared by every connection.
pub struct Server {
    pub store: Store,
    pub config: Config,
    pub clients: Clients,
    /// Channels, patterns and monitors.
    pub pubsub: Arc<PubSub>,
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
            pubsub: Arc::new(PubSub::new(config.pubsub_buffer_limit)),
            store,
            config,
            clients: Clients::default(),
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
    /// The commands queued since MULTI; None outside a transaction.
    pub multi: Option<Transaction>,
    /// True while EXEC runs the queued commands: they take no key locks (EXEC holds them
    /// all) and never block.
    pub in_transaction: bool,
    /// The keys of WATCH.
    pub watched: WatchSet,
    /// Channels and patterns subscribed to, and MONITOR.
    pub subscriptions: Subscriptions,
}

impl Session {
    pub fn new(server: &Server, client: Arc<Client>) -> Session {
        Session {
            db: 0,
            resp: 2,
            authenticated: !server.requires_auth(),
            close: None,
            multi: None,
            in_transaction: false,
            watched: WatchSet::new(server.store.watches.clone()),
            subscriptions: Subscriptions::new(server.pubsub.clone(), client.clone()),
            client,
        }
    }
}
