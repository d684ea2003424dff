//! The server: shared state, client sessions, the accept loop and connections.

pub mod acl;
mod blocking;
mod clients;
mod connection;
mod listener;
mod mailbox;
pub mod pubsub;
pub mod saves;
mod slowlog;
mod stats;
pub mod tls;

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;

pub use blocking::{Blocking, Unblock, Waiting};
pub use clients::{Client, Clients};
pub use listener::{run, Listener, Listeners};
pub use slowlog::SlowLog;
pub use stats::Stats;

use crate::commands::Transaction;
use crate::config::{Config, P};
use crate::scripting::Scripting;
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
    /// Clients blocked on keys (BLPOP and friends), in line per key.
    pub blocking: Arc<Blocking>,
    pub stats: Stats,
    pub slowlog: SlowLog,
    /// Lua: the script cache, function libraries, the script running.
    pub scripting: Scripting,
    /// SAVE, BGSAVE and scheduled snapshots.
    pub saves: saves::Saves,
    /// The ACL users.
    pub acl: acl::Acl,
    pub started: Instant,
    /// 40 hex characters identifying this run, as Redis's `run_id`.
    pub run_id: String,
    shutdown: tokio::sync::watch::Sender<bool>,
}

impl Server {
    /// A server on `store`; `snapshots` is where saves go (`--snapshot-to`).
    pub fn new(
        store: Store,
        config: Config,
        snapshots: Option<crate::snapshot::Destination>,
    ) -> Server {
        let seed = format!(
            "{:?}{}{}",
            Instant::now(),
            std::process::id(),
            crate::store::now_ms()
        );
        let run_id = crate::scripting::sha1_hex(seed.as_bytes());
        let started_unix = crate::store::now_ms() / 1000;
        let saves = saves::Saves::new(snapshots, config.snapshot_every, started_unix);
        let acl = acl::Acl::new(
            config.settings.text(P::Requirepass).as_bytes(),
            store.root(),
            store.tmp_dir(),
        );
        Server {
            acl,
            pubsub: Arc::new(PubSub::default()),
            store,
            config,
            clients: Clients::default(),
            blocking: Arc::default(),
            stats: Stats::new(crate::commands::full_names()),
            slowlog: SlowLog::default(),
            scripting: Scripting::default(),
            saves,
            started: Instant::now(),
            run_id,
            shutdown: tokio::sync::watch::channel(false).0,
        }
    }

    /// Whether clients must AUTH before other commands: the default user has a password
    /// (`requirepass`, ACL SETUSER) or is off. Checked now, so that a password set at runtime
    /// applies to every client that has not authenticated.
    pub fn requires_auth(&self) -> bool {
        self.acl.requires_auth()
    }

    /// `acl-pubsub-default`: whether new users get every channel.
    pub fn all_channels_default(&self) -> bool {
        // Index 0 of the enum: `allchannels`.
        self.config.settings.int(P::AclPubsubDefault) == 0
    }

    /// Asks the server to stop: connections finish their current command and close.
    pub fn shut_down(&self) {
        self.shutdown.send_replace(true);
    }

    pub fn shutdown_signal(&self) -> tokio::sync::watch::Receiver<bool> {
        self.shutdown.subscribe()
    }
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
    /// The ACL user the connection runs as (`default` until AUTH or HELLO AUTH).
    pub user: Bytes,
    pub close: Option<Close>,
    /// The commands queued since MULTI; None outside a transaction.
    pub multi: Option<Transaction>,
    /// True while EXEC runs the queued commands: they take no key locks (EXEC holds them
    /// all) and never block.
    pub in_transaction: bool,
    /// The store transaction that EXEC or a script runs in (see
    /// [`crate::commands::transactions::atomically`]).
    pub transaction: Option<u64>,
    /// True while a script's redis.call runs a command (with `in_transaction` set too):
    /// replies stay in memory, for the script to read.
    pub in_script: bool,
    /// The keys of WATCH.
    pub watched: WatchSet,
    /// Channels and patterns subscribed to, and MONITOR.
    pub subscriptions: Subscriptions,
    /// CLIENT REPLY: whether replies are sent.
    pub replies: Replies,
    /// The image SNAPSHOT IMAGE made for this client (`dredis snapshot`), kept until it
    /// disconnects or says SNAPSHOT RELEASE.
    pub image: Option<crate::store::image::ImageDir>,
}

/// CLIENT REPLY's modes. Pub/sub frames are sent in every mode, as in Redis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replies {
    On,
    Off,
    /// CLIENT REPLY SKIP ran: the command after it gets no reply.
    SkipNext,
    /// This command gets no reply.
    Skip,
}

impl Replies {
    /// Whether the reply of the command just run is sent; moves SKIP on by one command.
    pub fn after_command(&mut self) -> bool {
        match *self {
            Replies::On => true,
            Replies::Off => false,
            Replies::SkipNext => {
                *self = Replies::Skip;
                true
            }
            Replies::Skip => {
                *self = Replies::On;
                false
            }
        }
    }
}

impl Session {
    /// Runs the connection as `user` from now on (CLIENT LIST shows it).
    pub fn set_user(&mut self, user: Bytes) {
        self.client.info().user = user.clone();
        self.user = user;
    }

    pub fn new(server: &Server, client: Arc<Client>) -> Session {
        Session {
            db: 0,
            resp: 2,
            authenticated: !server.requires_auth(),
            user: Bytes::from_static(b"default"),
            close: None,
            multi: None,
            in_transaction: false,
            transaction: None,
            in_script: false,
            watched: WatchSet::new(server.store.watches.clone()),
            subscriptions: Subscriptions::new(server.pubsub.clone(), client.clone()),
            replies: Replies::On,
            image: None,
            client,
        }
    }
}
