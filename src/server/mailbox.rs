//! A client's mailbox: what reaches a connection without a request of its own.
//!
//! PUBLISH posts messages to the mailboxes of the subscribers, and every command posts a line
//! to the mailboxes of MONITOR clients; the connection task of each wakes up and writes them.
//! Posting never waits: a client that does not read lets its mailbox grow, and when the
//! pending bytes pass the limit (Redis's `client-output-buffer-limit pubsub` hard limit) the
//! mailbox is closed, its messages dropped and the client disconnected, so one slow reader
//! costs neither the publishers' time nor unbounded memory. Closing the mailbox is also how
//! CLIENT KILL ends another client's connection.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::Mutex;
use tokio::sync::Notify;

use crate::protocol::Reply;

#[derive(Default)]
pub struct Mailbox {
    inner: Mutex<Inner>,
    /// Whether anything is queued, and whether the mailbox is closed: what the connection
    /// checks around every command, without taking the lock.
    nonempty: AtomicBool,
    closed: AtomicBool,
    wake: Notify,
}

#[derive(Default)]
struct Inner {
    queue: VecDeque<(Reply, usize)>,
    /// The weight of the queue (see [`weight`]).
    bytes: usize,
}

/// What came of posting a message.
#[derive(Debug, PartialEq, Eq)]
pub enum Posted {
    Queued,
    /// The mailbox was already closed: the message is dropped.
    Closed,
    /// This message took the mailbox past its limit: it is now closed.
    Overflow,
}

impl Mailbox {
    /// Queues a message for the connection, unless that takes the pending bytes past `limit`.
    pub fn post(&self, message: Reply, limit: usize) -> Posted {
        let weight = weight(&message);
        let mut inner = self.inner.lock();
        if self.is_closed() {
            return Posted::Closed;
        }
        if inner.bytes + weight > limit {
            self.shut(&mut inner);
            drop(inner);
            self.wake.notify_one();
            return Posted::Overflow;
        }
        inner.bytes += weight;
        inner.queue.push_back((message, weight));
        self.nonempty.store(true, Ordering::Release);
        drop(inner);
        self.wake.notify_one();
        Posted::Queued
    }

    /// Closes the mailbox and drops what it holds: the connection ends as soon as it notices.
    pub fn close(&self) {
        self.shut(&mut self.inner.lock());
        self.wake.notify_one();
    }

    fn shut(&self, inner: &mut Inner) {
        self.closed.store(true, Ordering::Release);
        self.nonempty.store(false, Ordering::Release);
        *inner = Inner::default();
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Takes the oldest messages, about `max` bytes of them (at least one if any).
    pub fn take(&self, max: usize) -> Vec<Reply> {
        if !self.nonempty.load(Ordering::Acquire) {
            return Vec::new();
        }
        let mut inner = self.inner.lock();
        let mut taken = Vec::new();
        let mut bytes = 0;
        while bytes < max {
            let Some((message, weight)) = inner.queue.pop_front() else {
                break;
            };
            inner.bytes -= weight;
            bytes += weight;
            taken.push(message);
        }
        self.nonempty
            .store(!inner.queue.is_empty(), Ordering::Release);
        taken
    }

    /// Waits until a message is posted or the mailbox is closed (returns at once if that
    /// happened since the last wait).
    pub async fn changed(&self) {
        self.wake.notified().await;
    }

    /// Waits until the mailbox is closed.
    pub async fn closed(&self) {
        loop {
            let changed = self.wake.notified();
            if self.is_closed() {
                return;
            }
            changed.await;
        }
    }
}

/// About the bytes a message takes on the wire, as the limit counts them.
fn weight(reply: &Reply) -> usize {
    const FRAME: usize = 16;
    FRAME
        + match reply {
            Reply::Bulk(b) => b.len(),
            Reply::Status(s) => s.len(),
            Reply::Push(items) | Reply::Array(items) => items.iter().map(weight).sum(),
            _ => 0,
        }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(len: usize) -> Reply {
        Reply::Push(vec![Reply::bulk("message"), Reply::bulk(vec![b'x'; len])])
    }

    #[test]
    fn overflow_closes_and_drops_everything() {
        let mailbox = Mailbox::default();
        assert_eq!(mailbox.post(message(100), 1000), Posted::Queued);
        assert_eq!(mailbox.post(message(100), 1000), Posted::Queued);
        assert_eq!(mailbox.post(message(900), 1000), Posted::Overflow);
        assert!(mailbox.is_closed());
        assert!(mailbox.take(usize::MAX).is_empty());
        assert_eq!(mailbox.post(message(1), 1000), Posted::Closed);
    }

    #[test]
    fn take_returns_the_oldest_first_within_a_budget() {
        let mailbox = Mailbox::default();
        for len in [10, 20, 30] {
            mailbox.post(message(len), usize::MAX);
        }
        assert_eq!(mailbox.take(1).len(), 1);
        assert_eq!(mailbox.take(usize::MAX).len(), 2);
        assert!(mailbox.take(usize::MAX).is_empty());
        // Taking frees room under the limit.
        assert_eq!(mailbox.post(message(10), 100), Posted::Queued);
    }
}
