//! The client registry: what CLIENT LIST, CLIENT ID and INFO clients report.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use parking_lot::{Mutex, MutexGuard};

use super::mailbox::{Mailbox, Posted};
use crate::protocol::Reply;

/// A connected client, as others can see it.
pub struct Client {
    pub id: u64,
    pub addr: SocketAddr,
    pub laddr: SocketAddr,
    pub created: Instant,
    info: Mutex<ClientInfo>,
    /// Pub/sub messages and MONITOR lines on their way to the connection.
    pub mailbox: Mailbox,
}

/// The parts of a client that change while it is connected.
pub struct ClientInfo {
    pub name: Option<Bytes>,
    pub lib_name: Option<String>,
    pub lib_ver: Option<String>,
    pub db: usize,
    pub resp: u8,
    /// The ACL user (CLIENT LIST's `user`).
    pub user: Bytes,
    pub last_command: &'static str,
    pub last_active: Instant,
    /// Channels, patterns and shard channels subscribed to.
    pub sub: usize,
    pub psub: usize,
    pub ssub: usize,
    /// Bytes in the query buffer, and its capacity (CLIENT LIST's qbuf, qbuf-free).
    pub qbuf: usize,
    pub qbuf_capacity: usize,
    /// CLIENT NO-EVICT and CLIENT NO-TOUCH (flags `e` and `T`).
    pub no_evict: bool,
    pub no_touch: bool,
}

impl Client {
    pub fn info(&self) -> MutexGuard<'_, ClientInfo> {
        self.info.lock()
    }

    /// Records what the connection holds in its query buffer between reads.
    pub fn note_query_buffer(&self, len: usize, capacity: usize) {
        let mut info = self.info.lock();
        info.qbuf = len;
        info.qbuf_capacity = capacity;
    }

    /// Records the command a client is running (CLIENT LIST's `cmd`, `idle`).
    pub fn note_command(&self, name: &'static str) {
        let mut info = self.info.lock();
        info.last_command = name;
        info.last_active = Instant::now();
    }

    /// Posts a message to the client's mailbox; a client whose pending messages pass `limit`
    /// bytes is disconnected, as by Redis's output buffer limits.
    pub fn post(&self, message: Reply, limit: usize) {
        if self.mailbox.post(message, limit) == Posted::Overflow {
            tracing::warn!(
                "Client id={} addr={} closed for overcoming of output buffer limits.",
                self.id,
                self.addr
            );
        }
    }

    /// Whether the client is subscribed to anything: its type is `pubsub` rather than
    /// `normal` (CLIENT LIST TYPE, CLIENT KILL TYPE).
    pub fn is_pubsub(&self) -> bool {
        let info = self.info();
        info.sub + info.psub + info.ssub > 0
    }
}

#[derive(Default)]
pub struct Clients {
    next_id: AtomicU64,
    map: Mutex<HashMap<u64, Arc<Client>>>,
}

impl Clients {
    pub fn register(&self, addr: SocketAddr, laddr: SocketAddr) -> Arc<Client> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let now = Instant::now();
        let info = ClientInfo {
            name: None,
            lib_name: None,
            lib_ver: None,
            db: 0,
            resp: 2,
            user: Bytes::from_static(b"default"),
            last_command: "NULL",
            last_active: now,
            sub: 0,
            psub: 0,
            ssub: 0,
            qbuf: 0,
            qbuf_capacity: 0,
            no_evict: false,
            no_touch: false,
        };
        let client = Arc::new(Client {
            id,
            addr,
            laddr,
            created: now,
            info: Mutex::new(info),
            mailbox: Mailbox::default(),
        });
        self.map.lock().insert(id, client.clone());
        client
    }

    pub fn remove(&self, id: u64) {
        self.map.lock().remove(&id);
    }

    pub fn count(&self) -> usize {
        self.map.lock().len()
    }

    /// Every client, in id order.
    pub fn list(&self) -> Vec<Arc<Client>> {
        let mut all: Vec<_> = self.map.lock().values().cloned().collect();
        all.sort_by_key(|c| c.id);
        all
    }
}
