//! The order index of a sorted set: a counted B+tree whose nodes are files of the key.
//!
//! Member files answer "what is the score of m" in O(1), but ranges and ranks need the members
//! in (score, member) order, which a directory does not keep. The index keeps that order in
//! `index/root` and `index/<n>` files: leaves hold sorted runs of (score, member) entries,
//! inner nodes hold, per child, its file number, the number of entries below it and a
//! separator (a lower bound of the child's entries). Nodes are split above [`NODE_MAX`] bytes
//! and merged with a sibling below a quarter of it, so every node file stays small and a
//! 1,000,000-member set is three levels deep. Counts make rank the primitive: ZRANK, ZRANGE,
//! ZRANGEBYSCORE and ZCOUNT all come down to "how many entries are before X" and "the entries
//! from rank r", each touching one path from the root (O(log n)) plus the leaves read.
//!
//! A [`Tree`] keeps the nodes it has read or changed in memory for the duration of one command
//! and writes each changed node once, through the batch, when [`Tree::save`] is called, so a
//! ZADD of a thousand members rewrites each touched node once.
//!
//! Node file format (little-endian): a kind byte (`L` leaf, `I` inner), the next free node
//! number as u64 (kept in the root only, 0 elsewhere), an entry count as u32, then the entries.
//! A leaf entry is `score: f64, len: u32, member`; an inner entry is
//! `child: u64, count: u64, score: f64, len: u32, member` (the separator; unused for child 0).

use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap};
use std::io;

use bytes::Bytes;

use super::batch::{Apply, Batch, KeyId};
use crate::error::Result;

/// Nodes larger than this many bytes are split.
pub const NODE_MAX: usize = 4096;

/// The directory of node files inside the key.
const DIR: &str = "index";
const ROOT: u64 = 0;
const HEADER: usize = 1 + 8 + 4;
/// Deeper than any index reaches: every inner node has two children or more.
const MAX_DEPTH: usize = 64;

/// One member of a sorted set with its score.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub score: f64,
    pub member: Bytes,
}

impl Entry {
    pub fn new(score: f64, member: impl Into<Bytes>) -> Entry {
        Entry {
            score,
            member: member.into(),
        }
    }

    /// Sorted-set order: by score, then by member bytes (as Redis's skiplist).
    pub fn cmp_key(&self, score: f64, member: &[u8]) -> Ordering {
        self.score
            .partial_cmp(&score)
            .unwrap_or(Ordering::Equal)
            .then_with(|| self.member[..].cmp(member))
    }

    fn cmp(&self, other: &Entry) -> Ordering {
        self.cmp_key(other.score, &other.member)
    }

    fn encoded_len(&self) -> usize {
        12 + self.member.len()
    }
}

#[derive(Debug, Clone)]
struct Child {
    node: u64,
    count: u64,
    /// A lower bound of every entry below this child (ignored for the first child).
    separator: Entry,
}

impl Child {
    fn encoded_len(&self) -> usize {
        16 + self.separator.encoded_len()
    }
}

/// What the first child's separator does not take in the file (see [`Node::encode`]).
fn first_separator_len(children: &[Child]) -> usize {
    children.first().map_or(0, |c| c.separator.member.len())
}

#[derive(Debug, Clone)]
enum Node {
    Leaf(Vec<Entry>),
    Inner(Vec<Child>),
}

impl Node {
    fn count(&self) -> u64 {
        match self {
            Node::Leaf(entries) => entries.len() as u64,
            Node::Inner(children) => children.iter().map(|c| c.count).sum(),
        }
    }

    fn encoded_len(&self) -> usize {
        HEADER
            + match self {
                Node::Leaf(entries) => entries.iter().map(Entry::encoded_len).sum::<usize>(),
                Node::Inner(children) => {
                    children.iter().map(Child::encoded_len).sum::<usize>()
                        - first_separator_len(children)
                }
            }
    }

    /// Small enough to merge with a neighbour; an inner node with one child always is.
    fn is_underfull(&self) -> bool {
        self.encoded_len() < NODE_MAX / 4 || matches!(self, Node::Inner(c) if c.len() < 2)
    }

    fn len(&self) -> usize {
        match self {
            Node::Leaf(entries) => entries.len(),
            Node::Inner(children) => children.len(),
        }
    }

    /// The lowest entry this node can hold, as its parent's separator for it.
    fn first_key(&self) -> Entry {
        match self {
            Node::Leaf(entries) => entries[0].clone(),
            Node::Inner(children) => children[0].separator.clone(),
        }
    }

    fn encode(&self, next_node: u64) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        out.push(match self {
            Node::Leaf(_) => b'L',
            Node::Inner(_) => b'I',
        });
        out.extend_from_slice(&next_node.to_le_bytes());
        out.extend_from_slice(&(self.len() as u32).to_le_bytes());
        let entry = |out: &mut Vec<u8>, e: &Entry| {
            out.extend_from_slice(&e.score.to_le_bytes());
            out.extend_from_slice(&(e.member.len() as u32).to_le_bytes());
            out.extend_from_slice(&e.member);
        };
        match self {
            Node::Leaf(entries) => entries.iter().for_each(|e| entry(&mut out, e)),
            Node::Inner(children) => {
                for (i, c) in children.iter().enumerate() {
                    out.extend_from_slice(&c.node.to_le_bytes());
                    out.extend_from_slice(&c.count.to_le_bytes());
                    // The first child's separator is never read: stored empty, so that a long
                    // member does not weigh on every node it was once the first of.
                    let unused = Entry::new(0.0, Bytes::new());
                    entry(&mut out, if i == 0 { &unused } else { &c.separator });
                }
            }
        }
        out
    }

    /// Decodes a node file; members are slices of `data`, not copies.
    fn decode(data: &Bytes) -> io::Result<(Node, u64)> {
        let mut r = Reader { data, at: 0 };
        let kind = r.take(1)?[0];
        let next_node = r.u64()?;
        let len = r.u32()? as usize;
        // Every entry takes at least 12 bytes: a count larger than that is corrupt.
        if len > data.len() / 12 {
            return Err(corrupt());
        }
        let node = match kind {
            b'L' => Node::Leaf((0..len).map(|_| r.entry()).collect::<io::Result<_>>()?),
            b'I' => Node::Inner(
                (0..len)
                    .map(|_| {
                        Ok(Child {
                            node: r.u64()?,
                            count: r.u64()?,
                            separator: r.entry()?,
                        })
                    })
                    .collect::<io::Result<_>>()?,
            ),
            _ => return Err(corrupt()),
        };
        // Zeros may follow the entries: a node rewritten in place over a longer one.
        let padding = &data[r.at..];
        if padding.iter().any(|&b| b != 0) || (matches!(node, Node::Inner(_)) && len == 0) {
            return Err(corrupt());
        }
        Ok((node, next_node))
    }
}

fn corrupt() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        "malformed sorted set index node",
    )
}

struct Reader<'a> {
    data: &'a Bytes,
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> io::Result<&[u8]> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.data.len());
        let end = end.ok_or_else(corrupt)?;
        let slice = &self.data[self.at..end];
        self.at = end;
        Ok(slice)
    }

    fn u64(&mut self) -> io::Result<u64> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().expect("8 bytes"),
        ))
    }

    fn u32(&mut self) -> io::Result<u32> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }

    fn entry(&mut self) -> io::Result<Entry> {
        let score = f64::from_le_bytes(self.take(8)?.try_into().expect("8 bytes"));
        let len = self.u32()? as usize;
        let start = self.at;
        self.take(len)?;
        if score.is_nan() {
            return Err(corrupt());
        }
        Ok(Entry::new(score, self.data.slice(start..start + len)))
    }
}

fn node_path(node: u64) -> String {
    if node == ROOT {
        format!("{DIR}/root")
    } else {
        format!("{DIR}/{node}")
    }
}

/// Splits items (given by their encoded sizes) into consecutive runs of about `target`
/// bytes, none over `max` unless that would leave a run shorter than `min_run` items.
/// Inner nodes split with `min_run` 2: with separators larger than a node, a level must still
/// have fewer nodes than the level below it, or the tree would never reach a single root.
fn chunk_sizes(sizes: &[usize], target: usize, max: usize, min_run: usize) -> Vec<usize> {
    let total: usize = sizes.iter().sum();
    if total <= max || sizes.len() < 2 * min_run {
        return vec![sizes.len()];
    }
    let pieces = total.div_ceil(target.max(1)).max(2);
    let per_piece = total.div_ceil(pieces);
    let mut runs = Vec::with_capacity(pieces);
    let (mut run, mut bytes) = (0, 0);
    for (i, &size) in sizes.iter().enumerate() {
        let left = sizes.len() - i;
        if run >= min_run && left >= min_run && (bytes + size > max || bytes >= per_piece) {
            runs.push(run);
            (run, bytes) = (0, 0);
        }
        run += 1;
        bytes += size;
    }
    runs.push(run);
    runs
}

/// How an overfull node is cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cut {
    /// Into pieces of about `target` bytes: room for inserts on both sides.
    Even(usize),
    /// Entries keep arriving at the end of the set (scores that only grow, as timestamps do):
    /// the node keeps all it can and only its last items start a new node, so that such a
    /// set fills its nodes instead of leaving every one half empty.
    Append,
}

/// Splits a node's items into runs, each to become a node (the first keeps the node's number).
/// One run means the node cannot be split.
fn split_node(node: Node, cut: Cut) -> Vec<Node> {
    fn cut_runs<T>(mut items: Vec<T>, runs: &[usize]) -> Vec<Vec<T>> {
        let mut out = Vec::with_capacity(runs.len());
        for &run in runs.iter().rev() {
            out.push(items.split_off(items.len() - run));
        }
        out.reverse();
        out
    }
    // An inner node keeps two children or more; see `chunk_sizes`.
    let min_run = if matches!(node, Node::Leaf(_)) { 1 } else { 2 };
    let sizes: Vec<usize> = match &node {
        Node::Leaf(entries) => entries.iter().map(Entry::encoded_len).collect(),
        Node::Inner(children) => children.iter().map(Child::encoded_len).collect(),
    };
    let keep = sizes.len().saturating_sub(min_run);
    let runs = match cut {
        Cut::Append
            if keep >= min_run && sizes[..keep].iter().sum::<usize>() <= NODE_MAX - HEADER =>
        {
            vec![keep, sizes.len() - keep]
        }
        Cut::Append => chunk_sizes(&sizes, NODE_MAX / 2, NODE_MAX - HEADER, min_run),
        Cut::Even(target) => chunk_sizes(&sizes, target, NODE_MAX - HEADER, min_run),
    };
    match node {
        Node::Leaf(entries) => cut_runs(entries, &runs)
            .into_iter()
            .map(Node::Leaf)
            .collect(),
        Node::Inner(children) => cut_runs(children, &runs)
            .into_iter()
            .map(Node::Inner)
            .collect(),
    }
}

/// The index of one sorted set, as far as this command has read or changed it.
pub struct Tree {
    key: KeyId,
    nodes: HashMap<u64, Node>,
    /// The files of the nodes as read (the decoded nodes share their bytes): a changed node
    /// that encodes back to the same bytes is not written again.
    files: HashMap<u64, Bytes>,
    next_node: u64,
    dirty: BTreeSet<u64>,
    removed: BTreeSet<u64>,
}

impl Tree {
    /// The index of an existing sorted set.
    pub fn open(batch: &Batch, key: &KeyId) -> Result<Tree> {
        let mut tree = Tree::empty(key);
        let data = batch.read(key, &node_path(ROOT))?.ok_or_else(corrupt)?;
        let (root, next_node) = Node::decode(&data)?;
        tree.nodes.insert(ROOT, root);
        tree.files.insert(ROOT, data);
        tree.next_node = next_node.max(1);
        Ok(tree)
    }

    /// A new, empty index (for a new key: nothing is read).
    pub fn empty(key: &KeyId) -> Tree {
        Tree {
            key: key.clone(),
            nodes: HashMap::from([(ROOT, Node::Leaf(Vec::new()))]),
            files: HashMap::new(),
            next_node: 1,
            dirty: BTreeSet::from([ROOT]),
            removed: BTreeSet::new(),
        }
    }

    /// An index holding `entries`, which must be sorted and distinct, packed densely.
    pub fn build(key: &KeyId, entries: Vec<Entry>) -> Tree {
        let mut tree = Tree::empty(key);
        // Leaves filled to three quarters leave room for later inserts without a split.
        let mut level: Vec<Node> = split_node(Node::Leaf(entries), Cut::Even(NODE_MAX * 3 / 4));
        while level.len() > 1 {
            let children = tree.adopt(level);
            level = split_node(Node::Inner(children), Cut::Even(NODE_MAX * 3 / 4));
        }
        let root = level.pop().expect("a split yields at least one node");
        tree.put(ROOT, root);
        tree
    }

    fn allocate(&mut self) -> u64 {
        let node = self.next_node;
        self.next_node += 1;
        self.dirty.insert(ROOT); // the root file keeps the counter
        node
    }

    fn put(&mut self, id: u64, node: Node) {
        self.nodes.insert(id, node);
        self.dirty.insert(id);
    }

    fn node(&mut self, batch: &Batch, id: u64) -> Result<&Node> {
        if !self.nodes.contains_key(&id) {
            let data = batch.read(&self.key, &node_path(id))?.ok_or_else(corrupt)?;
            let (node, _) = Node::decode(&data)?;
            self.nodes.insert(id, node);
            self.files.insert(id, data);
        }
        Ok(&self.nodes[&id])
    }

    /// The node `id`, met `depth` levels below the root. A path longer than any index can
    /// have means a cycle in a corrupt index: an error, not an endless loop.
    fn node_at(&mut self, batch: &Batch, id: u64, depth: usize) -> Result<&Node> {
        if depth > MAX_DEPTH {
            return Err(corrupt().into());
        }
        self.node(batch, id)
    }

    /// Takes a node out of memory to change it; [`Tree::put`] brings it back as changed.
    fn take(&mut self, batch: &Batch, id: u64) -> Result<Node> {
        self.node(batch, id)?;
        Ok(self.nodes.remove(&id).expect("just loaded"))
    }

    /// How many entries come before the first entry for which `before` is false. `before`
    /// must be true for a prefix of the order (e.g. "score < min").
    pub fn count_before(
        &mut self,
        batch: &Batch,
        before: impl Fn(f64, &[u8]) -> bool,
    ) -> Result<u64> {
        let mut id = ROOT;
        let mut counted = 0;
        for depth in 0.. {
            match self.node_at(batch, id, depth)? {
                Node::Leaf(entries) => {
                    let inside = entries.partition_point(|e| before(e.score, &e.member));
                    return Ok(counted + inside as u64);
                }
                Node::Inner(children) => {
                    // The last child whose lower bound is still before: everything left of it is.
                    let at = children[1..]
                        .partition_point(|c| before(c.separator.score, &c.separator.member));
                    counted += children[..at].iter().map(|c| c.count).sum::<u64>();
                    id = children[at].node;
                }
            }
        }
        unreachable!("the loop returns")
    }

    /// Up to `count` entries in order from rank `start` (0-based). A leaf read only for this
    /// is not kept, so that reading a whole big set (ZRANGE 0 -1) holds one leaf at a time.
    pub fn range(&mut self, batch: &Batch, start: u64, count: u64) -> Result<Vec<Entry>> {
        let mut out = Vec::with_capacity(count.min(1 << 16) as usize);
        let mut rank = start;
        while (out.len() as u64) < count {
            let Some((leaf, offset)) = self.leaf_at(batch, rank)? else {
                break;
            };
            let Node::Leaf(entries) = &self.nodes[&leaf] else {
                unreachable!("leaf_at returns leaves")
            };
            let wanted = (count - out.len() as u64) as usize;
            let run = &entries[offset..entries.len().min(offset + wanted)];
            out.extend_from_slice(run);
            rank += run.len() as u64;
            if leaf != ROOT && !self.dirty.contains(&leaf) {
                self.nodes.remove(&leaf);
                self.files.remove(&leaf);
            }
        }
        Ok(out)
    }

    /// The leaf holding rank `rank`, and the offset inside it; None past the end.
    fn leaf_at(&mut self, batch: &Batch, mut rank: u64) -> Result<Option<(u64, usize)>> {
        let mut id = ROOT;
        for depth in 0.. {
            match self.node_at(batch, id, depth)? {
                Node::Leaf(entries) => {
                    return Ok(((rank as usize) < entries.len()).then_some((id, rank as usize)));
                }
                Node::Inner(children) => {
                    let mut next = None;
                    for child in children {
                        if rank < child.count {
                            next = Some(child.node);
                            break;
                        }
                        rank -= child.count;
                    }
                    match next {
                        Some(child) => id = child,
                        None => return Ok(None),
                    }
                }
            }
        }
        unreachable!("the loop returns")
    }

    /// The path from the root to the leaf where `entry` belongs: (node, child index) pairs.
    fn path_to(&mut self, batch: &Batch, entry: &Entry) -> Result<Vec<(u64, usize)>> {
        let mut path = Vec::new();
        let mut id = ROOT;
        while let Node::Inner(children) = self.node_at(batch, id, path.len())? {
            let at = children[1..].partition_point(|c| c.separator.cmp(entry) != Ordering::Greater);
            path.push((id, at));
            id = children[at].node;
        }
        path.push((id, 0));
        Ok(path)
    }

    /// Adds an entry that is not in the index.
    pub fn insert(&mut self, batch: &Batch, entry: Entry) -> Result<()> {
        let path = self.path_to(batch, &entry)?;
        let (leaf, _) = *path.last().expect("a path ends at a leaf");
        let Node::Leaf(mut entries) = self.take(batch, leaf)? else {
            unreachable!("paths end at leaves")
        };
        let at = entries.partition_point(|e| e.cmp(&entry) == Ordering::Less);
        let last = at == entries.len();
        entries.insert(at, entry);
        self.put(leaf, Node::Leaf(entries));
        let cut = if last && self.is_rightmost(&path) {
            Cut::Append
        } else {
            Cut::Even(NODE_MAX / 2)
        };
        self.rebalance(batch, &path, 1, cut)
    }

    /// Does `path` follow the last child at every level (to the end of the set)?
    fn is_rightmost(&self, path: &[(u64, usize)]) -> bool {
        path[..path.len() - 1].iter().all(|(id, slot)| {
            matches!(self.nodes.get(id), Some(Node::Inner(children)) if *slot + 1 == children.len())
        })
    }

    /// Removes an entry; false when it was not there.
    pub fn remove(&mut self, batch: &Batch, entry: &Entry) -> Result<bool> {
        let path = self.path_to(batch, entry)?;
        let (leaf, _) = *path.last().expect("a path ends at a leaf");
        let Node::Leaf(entries) = self.node(batch, leaf)? else {
            unreachable!("paths end at leaves")
        };
        let at = entries.partition_point(|e| e.cmp(entry) == Ordering::Less);
        if entries
            .get(at)
            .is_none_or(|e| e.cmp(entry) != Ordering::Equal)
        {
            return Ok(false);
        }
        let Node::Leaf(mut entries) = self.take(batch, leaf)? else {
            unreachable!()
        };
        entries.remove(at);
        self.put(leaf, Node::Leaf(entries));
        self.rebalance(batch, &path, -1, Cut::Even(NODE_MAX / 2))?;
        Ok(true)
    }

    /// After a leaf on `path` gained or lost an entry (`delta`): fixes the counts up the path,
    /// splits nodes that grew too big (as `cut` says), merges nodes that a removal left too
    /// small, and keeps the root at `index/root`.
    fn rebalance(
        &mut self,
        batch: &Batch,
        path: &[(u64, usize)],
        delta: i64,
        cut: Cut,
    ) -> Result<()> {
        // Walk up: `level` is the node that changed, `parent` holds it at `slot`.
        for depth in (1..path.len()).rev() {
            let (id, _) = path[depth];
            let (parent, slot) = path[depth - 1];
            let node = self.take(batch, id)?;
            let Node::Inner(mut siblings) = self.take(batch, parent)? else {
                unreachable!("parents are inner nodes")
            };
            siblings[slot].count = siblings[slot].count.saturating_add_signed(delta);
            let replaced = if node.encoded_len() > NODE_MAX {
                self.split_into(id, node, siblings[slot].separator.clone(), cut)
            } else if node.len() == 0 {
                self.removed.insert(id);
                Vec::new()
            } else if delta < 0 && node.is_underfull() && siblings.len() > 1 {
                // Merge with a neighbour (the left one when there is one), then re-split
                // the pair evenly if together they are too big.
                let left = slot.saturating_sub(1).min(siblings.len() - 2);
                let (a, b) = (siblings[left].clone(), siblings[left + 1].clone());
                let (node_a, node_b) = if left == slot {
                    (node, self.take(batch, b.node)?)
                } else {
                    (self.take(batch, a.node)?, node)
                };
                let merged = merge(node_a, node_b, &b.separator);
                self.removed.insert(b.node);
                let pieces = self.split_into(a.node, merged, a.separator.clone(), cut);
                siblings.splice(left..left + 2, pieces);
                self.put(parent, Node::Inner(siblings));
                continue;
            } else {
                self.put(id, node);
                self.put(parent, Node::Inner(siblings));
                continue;
            };
            siblings.splice(slot..slot + 1, replaced);
            self.put(parent, Node::Inner(siblings));
        }
        let root = self.take(batch, ROOT)?;
        let root = match root {
            node if node.encoded_len() > NODE_MAX => {
                let mut pieces = split_node(node, cut);
                if pieces.len() == 1 {
                    pieces.pop().expect("one piece")
                } else {
                    // The root's pieces move to new files under a new root.
                    Node::Inner(self.adopt(pieces))
                }
            }
            Node::Inner(children) if children.len() == 1 => {
                // A root with one child hands its place to that child.
                let only = children[0].node;
                let child = self.take(batch, only)?;
                self.removed.insert(only);
                child
            }
            Node::Inner(children) if children.is_empty() => Node::Leaf(Vec::new()),
            node => node,
        };
        self.put(ROOT, root);
        Ok(())
    }

    /// Stores each node in a new file; returns them as the children of a parent to be.
    fn adopt(&mut self, nodes: Vec<Node>) -> Vec<Child> {
        nodes
            .into_iter()
            .map(|node| {
                let child = Child {
                    node: self.allocate(),
                    count: node.count(),
                    separator: node.first_key(),
                };
                self.put(child.node, node);
                child
            })
            .collect()
    }

    /// Puts `node` back as file `id`, split into several nodes if it is too big; returns the
    /// parent's children for the pieces (the first keeps `separator`).
    fn split_into(&mut self, id: u64, node: Node, separator: Entry, cut: Cut) -> Vec<Child> {
        let mut pieces = if node.encoded_len() > NODE_MAX {
            split_node(node, cut)
        } else {
            vec![node]
        };
        let mut children = Vec::with_capacity(pieces.len());
        for (i, piece) in pieces.drain(..).enumerate() {
            let child = Child {
                node: if i == 0 { id } else { self.allocate() },
                count: piece.count(),
                separator: if i == 0 {
                    separator.clone()
                } else {
                    piece.first_key()
                },
            };
            self.removed.remove(&child.node);
            self.put(child.node, piece);
            children.push(child);
        }
        children
    }

    /// Writes every changed node (unless it came back to what its file holds: a member that
    /// moves within its leaf leaves the counts above as they were) and removes the files of
    /// nodes that are gone.
    pub fn save(&mut self, batch: &mut Batch) -> Result<()> {
        for id in std::mem::take(&mut self.removed) {
            self.dirty.remove(&id);
            self.nodes.remove(&id);
            batch.remove(&self.key, &node_path(id))?;
        }
        for id in std::mem::take(&mut self.dirty) {
            let next = if id == ROOT { self.next_node } else { 0 };
            let data = self.nodes[&id].encode(next);
            match self.files.get(&id) {
                Some(file) if file[..] == data[..] => {}
                // A node no larger than a page is rewritten in place, padded to its old
                // length: one write within one page, which no process crash can tear, and
                // much cheaper than a new file renamed over the old one.
                Some(file) if file.len() <= NODE_MAX && data.len() <= NODE_MAX => {
                    let mut data = data;
                    data.resize(data.len().max(file.len()), 0);
                    let path = node_path(id);
                    batch.write_range(&self.key, &path, 0, data.into(), Apply::InPlace)?;
                }
                _ => batch.write(&self.key, &node_path(id), data)?,
            }
        }
        Ok(())
    }
}

/// Joins two neighbouring nodes of the same level; `separator` is the right one's lower bound
/// (it becomes a real separator when inner nodes are joined).
fn merge(left: Node, right: Node, separator: &Entry) -> Node {
    match (left, right) {
        (Node::Leaf(mut a), Node::Leaf(b)) => {
            a.extend(b);
            Node::Leaf(a)
        }
        (Node::Inner(mut a), Node::Inner(mut b)) => {
            b[0].separator = separator.clone();
            a.extend(b);
            Node::Inner(a)
        }
        _ => unreachable!("siblings are on the same level"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_round_trip_and_reject_garbage() {
        let leaf = Node::Leaf(vec![Entry::new(1.5, "a"), Entry::new(f64::INFINITY, "b")]);
        let bytes = Bytes::from(leaf.encode(7));
        let (back, next) = Node::decode(&bytes).unwrap();
        assert_eq!(next, 7);
        let Node::Leaf(entries) = back else { panic!() };
        assert_eq!(entries[1], Entry::new(f64::INFINITY, "b"));
        for cut in 0..bytes.len() {
            assert!(Node::decode(&bytes.slice(..cut)).is_err(), "cut at {cut}");
        }
        let mut huge_count = bytes.to_vec();
        huge_count[9..13].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(Node::decode(&Bytes::from(huge_count)).is_err());
        // Zeros after the entries (a node rewritten in place over a longer one) are padding;
        // anything else is garbage.
        let mut padded = bytes.to_vec();
        padded.extend_from_slice(&[0; 40]);
        assert!(Node::decode(&Bytes::from(padded.clone())).is_ok());
        *padded.last_mut().unwrap() = 1;
        assert!(Node::decode(&Bytes::from(padded)).is_err());
    }

    #[test]
    fn chunks_respect_the_maximum() {
        let sizes = vec![100; 100];
        let runs = chunk_sizes(&sizes, 2048, 4096, 1);
        assert_eq!(runs.iter().sum::<usize>(), 100);
        assert!(runs.iter().all(|&r| r * 100 <= 4096));
        assert_eq!(chunk_sizes(&[10_000; 3], 2048, 4096, 1), vec![1, 1, 1]);
        assert_eq!(chunk_sizes(&[10, 10], 2048, 4096, 1), vec![2]);
        // Inner nodes keep two children each, so every level is smaller than the one below.
        assert_eq!(chunk_sizes(&[10_000; 3], 2048, 4096, 2), vec![3]);
        assert_eq!(chunk_sizes(&[10_000; 5], 2048, 4096, 2), vec![2, 3]);
    }

    use crate::store::meta::{Meta, Type};
    use crate::store::{Fsync, Options, Store};

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let options = Options {
            databases: 1,
            fsync: Fsync::No,
            cache_bytes: 0,
        };
        let store = Store::open(dir.path(), &options).unwrap();
        (dir, store)
    }

    /// Walks the whole tree checking its invariants; returns its entries in order.
    fn check(tree: &mut Tree, batch: &Batch, id: u64, low: Option<&Entry>) -> Vec<Entry> {
        match tree.node(batch, id).unwrap().clone() {
            Node::Leaf(entries) => {
                assert!(entries.windows(2).all(|w| w[0].cmp(&w[1]).is_lt()));
                if let (Some(low), Some(first)) = (low, entries.first()) {
                    assert!(low.cmp(first).is_le(), "separator above its child");
                }
                entries
            }
            Node::Inner(children) => {
                assert!(!children.is_empty());
                let mut all = Vec::new();
                for (i, child) in children.iter().enumerate() {
                    let bound = if i == 0 { low } else { Some(&child.separator) };
                    let below = check(tree, batch, child.node, bound);
                    assert_eq!(
                        below.len() as u64,
                        child.count,
                        "count of node {}",
                        child.node
                    );
                    if let (Some(last), Some(first)) = (all.last(), below.first()) {
                        assert!(Entry::cmp(last, first).is_lt());
                        assert!(Entry::cmp(last, &child.separator).is_lt());
                    }
                    all.extend(below);
                }
                all
            }
        }
    }

    /// A tiny deterministic generator (xorshift).
    struct Rng(u64);

    impl Rng {
        fn next(&mut self, below: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % below
        }
    }

    #[test]
    fn random_inserts_and_removes_agree_with_a_sorted_model() {
        let (_dir, store) = store();
        let key = KeyId::new(0, Bytes::from("z"));
        let mut batch = store.batch();
        batch.create(&key, &Meta::new(Type::ZSet)).unwrap();
        let mut tree = Tree::empty(&key);
        let mut model: Vec<Entry> = Vec::new();
        let mut rng = Rng(0x9e3779b97f4a7c15);
        for round in 0..6000 {
            let long = rng.next(50) == 0;
            let len = if long {
                500 + rng.next(5000)
            } else {
                1 + rng.next(12)
            } as usize;
            let member = Bytes::from(format!("{:0len$}", rng.next(3000)));
            let entry = Entry::new(rng.next(40) as f64 - 20.0, member);
            let at = model.partition_point(|e| e.cmp(&entry).is_lt());
            let present = model.get(at).is_some_and(|e| e.cmp(&entry).is_eq());
            if round % 3 == 2 || present {
                assert_eq!(tree.remove(&batch, &entry).unwrap(), present);
                if present {
                    model.remove(at);
                }
            } else {
                tree.insert(&batch, entry.clone()).unwrap();
                model.insert(at, entry);
            }
            if round % 500 == 0 {
                assert_eq!(check(&mut tree, &batch, ROOT, None), model);
            }
        }
        tree.save(&mut batch).unwrap();
        batch.commit().unwrap();

        // Read back from the files alone.
        let batch = store.batch();
        let mut tree = Tree::open(&batch, &key).unwrap();
        assert_eq!(check(&mut tree, &batch, ROOT, None), model);
        let n = model.len() as u64;
        assert_eq!(tree.range(&batch, 0, n + 5).unwrap(), model);
        assert_eq!(
            tree.range(&batch, n / 2, 7).unwrap(),
            model[n as usize / 2..][..7]
        );
        for probe in [-21.0, -20.0, 0.0, 0.5, 19.0, 30.0] {
            let before = model.iter().filter(|e| e.score < probe).count() as u64;
            assert_eq!(tree.count_before(&batch, |s, _| s < probe).unwrap(), before);
        }
    }

    #[test]
    fn entries_appended_in_order_fill_their_nodes() {
        let (_dir, store) = store();
        let key = KeyId::new(0, Bytes::from("z"));
        let mut batch = store.batch();
        batch.create(&key, &Meta::new(Type::ZSet)).unwrap();
        let mut tree = Tree::empty(&key);
        let entries: Vec<Entry> = (0..20_000)
            .map(|i| Entry::new(i as f64, format!("member:{i}")))
            .collect();
        for entry in &entries {
            tree.insert(&batch, entry.clone()).unwrap();
        }
        assert_eq!(check(&mut tree, &batch, ROOT, None), entries);
        // Every leaf but the last is nearly full: no more leaves than full ones would make,
        // plus one.
        let leaves: Vec<usize> = tree
            .nodes
            .values()
            .filter(|n| matches!(n, Node::Leaf(_)))
            .map(Node::encoded_len)
            .collect();
        let bytes: usize = entries.iter().map(Entry::encoded_len).sum();
        assert!(
            leaves.len() <= bytes / (NODE_MAX - 64) + 1,
            "{} leaves for {bytes} bytes",
            leaves.len()
        );
        // Inserting elsewhere still splits evenly, and removals keep the tree right.
        for i in (0..20_000).step_by(7) {
            tree.insert(&batch, Entry::new(i as f64 + 0.5, "between"))
                .unwrap();
        }
        for entry in entries.iter().step_by(3) {
            assert!(tree.remove(&batch, entry).unwrap());
        }
        let left = check(&mut tree, &batch, ROOT, None);
        assert_eq!(
            left.len(),
            20_000 + 20_000usize.div_ceil(7) - 20_000usize.div_ceil(3)
        );
    }

    #[test]
    fn a_built_index_is_balanced_and_complete() {
        let (_dir, store) = store();
        let key = KeyId::new(0, Bytes::from("z"));
        let entries: Vec<Entry> = (0..20_000)
            .map(|i| Entry::new(i as f64, format!("member:{i}")))
            .collect();
        let mut tree = Tree::build(&key, entries.clone());
        let batch = store.batch();
        assert_eq!(check(&mut tree, &batch, ROOT, None), entries);
        for node in tree.nodes.values() {
            assert!(node.encoded_len() <= NODE_MAX);
        }
    }

    #[test]
    fn a_cycle_in_a_corrupt_index_is_an_error() {
        let (_dir, store) = store();
        let key = KeyId::new(0, Bytes::from("z"));
        let mut tree = Tree::empty(&key);
        let looping = Child {
            node: ROOT,
            count: 1,
            separator: Entry::new(0.0, Bytes::new()),
        };
        tree.put(ROOT, Node::Inner(vec![looping]));
        let batch = store.batch();
        assert!(tree.count_before(&batch, |_, _| true).is_err());
        assert!(tree.range(&batch, 0, 1).is_err());
    }
}
