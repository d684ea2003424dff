//! Pub/Sub and MONITOR: who listens to what, and delivery to their mailboxes.
//!
//! The [`PubSub`] hub maps channels, patterns and shard channels to their subscribers, and
//! keeps the list of MONITOR clients. PUBLISH looks the subscribers up and posts a message to
//! each mailbox (see [`super::mailbox`]); it never waits for a subscriber. A session's side is
//! its [`Subscriptions`], which leaves everything when the session ends.
//!
//! Shard channels (SSUBSCRIBE, SPUBLISH) behave as Redis's do on a single node: a separate
//! namespace of channels, without patterns.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use parking_lot::RwLock;

use super::Client;
use crate::glob;
use crate::protocol::Reply;

/// The three kinds of subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// SUBSCRIBE: messages published to that exact channel.
    Channel,
    /// PSUBSCRIBE: messages to every channel matching a glob pattern.
    Pattern,
    /// SSUBSCRIBE: messages published with SPUBLISH.
    Shard,
}

impl Kind {
    /// The first word of the confirmation of a subscription (`subscribe`, `psubscribe`...).
    pub fn subscribe_word(self) -> &'static str {
        match self {
            Kind::Channel => "subscribe",
            Kind::Pattern => "psubscribe",
            Kind::Shard => "ssubscribe",
        }
    }

    pub fn unsubscribe_word(self) -> &'static str {
        match self {
            Kind::Channel => "unsubscribe",
            Kind::Pattern => "punsubscribe",
            Kind::Shard => "sunsubscribe",
        }
    }
}

type Listeners = BTreeMap<u64, Arc<Client>>;

/// Every subscription and monitor of the server.
#[derive(Default)]
pub struct PubSub {
    /// Subscribers by name, one table per [`Kind`].
    tables: [RwLock<HashMap<Bytes, Listeners>>; 3],
    monitors: RwLock<Listeners>,
    /// The number of monitors: checked before every command, without a lock.
    monitor_count: AtomicUsize,
}

impl PubSub {
    fn table(&self, kind: Kind) -> &RwLock<HashMap<Bytes, Listeners>> {
        &self.tables[kind as usize]
    }

    /// PUBLISH (or, with `shard`, SPUBLISH): posts the message to every subscriber of the
    /// channel and, for PUBLISH, of every matching pattern. Returns how many received it.
    /// A subscriber with more than `limit` bytes waiting is disconnected.
    pub fn publish(&self, shard: bool, channel: &Bytes, message: &Bytes, limit: usize) -> usize {
        let kind = if shard { Kind::Shard } else { Kind::Channel };
        let word = if shard { "smessage" } else { "message" };
        let mut receivers = 0;
        if let Some(listeners) = self.table(kind).read().get(channel) {
            for client in listeners.values() {
                let frame = vec![
                    Reply::bulk(word),
                    Reply::Bulk(channel.clone()),
                    Reply::Bulk(message.clone()),
                ];
                client.post(Reply::Push(frame), limit);
                receivers += 1;
            }
        }
        if !shard {
            for (pattern, listeners) in self.table(Kind::Pattern).read().iter() {
                if !glob::matches(pattern, channel) {
                    continue;
                }
                for client in listeners.values() {
                    let frame = vec![
                        Reply::bulk("pmessage"),
                        Reply::Bulk(pattern.clone()),
                        Reply::Bulk(channel.clone()),
                        Reply::Bulk(message.clone()),
                    ];
                    client.post(Reply::Push(frame), limit);
                    receivers += 1;
                }
            }
        }
        receivers
    }

    /// The names with at least one subscriber (PUBSUB CHANNELS, SHARDCHANNELS), those
    /// matching `pattern` if given.
    pub fn names(&self, kind: Kind, pattern: Option<&[u8]>) -> Vec<Bytes> {
        self.table(kind)
            .read()
            .keys()
            .filter(|name| pattern.is_none_or(|p| glob::matches(p, name)))
            .cloned()
            .collect()
    }

    /// How many clients subscribe to `name` (PUBSUB NUMSUB, SHARDNUMSUB).
    pub fn subscribers(&self, kind: Kind, name: &[u8]) -> usize {
        self.table(kind).read().get(name).map_or(0, BTreeMap::len)
    }

    /// Everything a client subscribes to (for ACL SETUSER, which disconnects subscribers
    /// whose channels were taken away).
    pub fn subscriptions_of(&self, client: u64) -> Vec<(Kind, Bytes)> {
        let mut out = Vec::new();
        for kind in [Kind::Channel, Kind::Pattern, Kind::Shard] {
            for (name, listeners) in self.table(kind).read().iter() {
                if listeners.contains_key(&client) {
                    out.push((kind, name.clone()));
                }
            }
        }
        out
    }

    /// How many distinct patterns are subscribed to (PUBSUB NUMPAT).
    pub fn patterns(&self) -> usize {
        self.table(Kind::Pattern).read().len()
    }

    /// Whether any client runs MONITOR (checked before every command).
    pub fn is_monitored(&self) -> bool {
        self.monitor_count.load(Ordering::Relaxed) > 0
    }

    /// Sends a line to every MONITOR client (disconnecting those with more than `limit` bytes
    /// waiting).
    pub fn feed_monitors(&self, line: &str, limit: usize) {
        for client in self.monitors.read().values() {
            client.post(Reply::Status(line.to_owned().into()), limit);
        }
    }

    fn add(&self, kind: Kind, name: &Bytes, client: &Arc<Client>) {
        self.table(kind)
            .write()
            .entry(name.clone())
            .or_default()
            .insert(client.id, client.clone());
    }

    fn remove(&self, kind: Kind, name: &Bytes, id: u64) {
        let mut table = self.table(kind).write();
        if let Some(listeners) = table.get_mut(name) {
            listeners.remove(&id);
            if listeners.is_empty() {
                table.remove(name);
            }
        }
    }
}

/// A session's subscriptions and MONITOR state. Dropping it leaves them all.
pub struct Subscriptions {
    hub: Arc<PubSub>,
    client: Arc<Client>,
    /// Subscribed names, one set per [`Kind`].
    names: [BTreeSet<Bytes>; 3],
    monitor: bool,
}

impl Subscriptions {
    pub fn new(hub: Arc<PubSub>, client: Arc<Client>) -> Subscriptions {
        Subscriptions {
            hub,
            client,
            names: Default::default(),
            monitor: false,
        }
    }

    /// Subscribes (a repeated subscription changes nothing).
    pub fn subscribe(&mut self, kind: Kind, name: Bytes) {
        if !self.names[kind as usize].contains(&name) {
            self.hub.add(kind, &name, &self.client);
            self.names[kind as usize].insert(name);
            self.publish_counts();
        }
    }

    /// Unsubscribes (from a name not subscribed to: nothing happens).
    pub fn unsubscribe(&mut self, kind: Kind, name: &Bytes) {
        if self.names[kind as usize].remove(name) {
            self.hub.remove(kind, name, self.client.id);
            self.publish_counts();
        }
    }

    /// The names subscribed to, in order.
    pub fn names(&self, kind: Kind) -> Vec<Bytes> {
        self.names[kind as usize].iter().cloned().collect()
    }

    /// The count a confirmation reports: channels and patterns together, or shard channels.
    pub fn count(&self, kind: Kind) -> usize {
        match kind {
            Kind::Shard => self.names[Kind::Shard as usize].len(),
            _ => {
                self.names[Kind::Channel as usize].len() + self.names[Kind::Pattern as usize].len()
            }
        }
    }

    /// Whether the session is subscribed to anything (Redis's "subscribed context").
    pub fn is_subscribed(&self) -> bool {
        self.names.iter().any(|set| !set.is_empty())
    }

    /// MONITOR: this client receives a line for every command. False if it already did.
    pub fn start_monitor(&mut self) -> bool {
        if self.monitor {
            return false;
        }
        self.hub
            .monitors
            .write()
            .insert(self.client.id, self.client.clone());
        self.hub.monitor_count.fetch_add(1, Ordering::Relaxed);
        self.monitor = true;
        true
    }

    pub fn is_monitor(&self) -> bool {
        self.monitor
    }

    /// Leaves every subscription and stops monitoring, without confirmations (RESET).
    pub fn clear(&mut self) {
        for kind in [Kind::Channel, Kind::Pattern, Kind::Shard] {
            for name in std::mem::take(&mut self.names[kind as usize]) {
                self.hub.remove(kind, &name, self.client.id);
            }
        }
        self.publish_counts();
        if std::mem::take(&mut self.monitor) {
            self.hub.monitors.write().remove(&self.client.id);
            self.hub.monitor_count.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Shows the counts to others (CLIENT LIST, CLIENT KILL TYPE pubsub).
    fn publish_counts(&self) {
        let mut info = self.client.info();
        info.sub = self.names[Kind::Channel as usize].len();
        info.psub = self.names[Kind::Pattern as usize].len();
        info.ssub = self.names[Kind::Shard as usize].len();
    }
}

impl Drop for Subscriptions {
    fn drop(&mut self) {
        self.clear();
    }
}
