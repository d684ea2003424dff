//! ACL users: who may log in, and which commands, keys and channels each one may use.
//!
//! A [`User`] is Redis's user with its root selector: on/off, passwords (kept as SHA-256 hex,
//! as Redis keeps them), key patterns (`~pat`, `%R~pat`, `%W~pat`), channel patterns (`&pat`)
//! and the commands it may run, as a bitmap over the command table (one bit per command and
//! per subcommand) together with the rules that made it, in the order they were applied, so
//! that ACL LIST and ACL GETUSER print them back as typed (Redis 7.2's `command_rules`).
//! [`User::apply`] is ACL SETUSER's rule parser (`ACLSetUser`), [`User::check`] the one
//! permission check that every command goes through, whether sent by a client, queued in
//! MULTI or called from a script.
//!
//! [`Acl`] holds the users. A user is replaced as a whole when it changes (SETUSER builds a
//! modified copy and swaps it in), so a command checks against one consistent version. The
//! `default` user always exists: every connection starts as it, `requirepass` sets its
//! password, and while it has `nopass` (and is on) clients need no AUTH. ACL SAVE writes the
//! users, one `user <name> <rules>` line each, to `users.acl` in the data directory (temp
//! file, fsync, rename, fsync of the directory); the server loads that file at start-up and
//! on ACL LOAD.
//!
//! Not supported: selectors (`(...)` rules). Key access is decided from the command's flags,
//! not Redis's per-key specs: a read-only command needs read permission on its keys, any
//! other command read and write permission (Redis lets `%W~` keys be written by commands that
//! do not read them, such as SET without GET or DEL; dredis refuses those).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use parking_lot::RwLock;

use crate::commands::{self, key_positions, Command, Flag};
use crate::glob;
use crate::protocol::Arg;

/// The file ACL SAVE writes and ACL LOAD reads, in the data directory.
pub const FILE_NAME: &str = crate::store::image::USERS;

/// Redis's ACL categories, in Redis's order (ACL CAT, the category bits).
pub const CATEGORIES: &[&str] = &[
    "keyspace",
    "read",
    "write",
    "set",
    "sortedset",
    "list",
    "hash",
    "string",
    "bitmap",
    "hyperloglog",
    "geo",
    "stream",
    "pubsub",
    "admin",
    "fast",
    "slow",
    "blocking",
    "dangerous",
    "connection",
    "transaction",
    "scripting",
];

/// The index of a category name (without `@`, any case) in [`CATEGORIES`].
pub fn category(name: &[u8]) -> Option<usize> {
    CATEGORIES
        .iter()
        .position(|c| c.as_bytes().eq_ignore_ascii_case(name))
}

/// The command table as ACLs see it: an id for every command and subcommand.
pub struct Table {
    /// Full names (`get`, `client|list`), by id.
    pub names: Vec<&'static str>,
    pub commands: Vec<&'static Command>,
    by_name: HashMap<&'static str, usize>,
    /// Category bits (see [`CATEGORIES`]), by id.
    categories: Vec<u32>,
    /// The subcommands of each container, by id.
    children: Vec<Vec<usize>>,
    parent: Vec<Option<usize>>,
    /// Top-level commands, in table order.
    top: Vec<usize>,
}

impl Table {
    fn build() -> Table {
        let mut table = Table {
            names: Vec::new(),
            commands: Vec::new(),
            by_name: HashMap::new(),
            categories: Vec::new(),
            children: Vec::new(),
            parent: Vec::new(),
            top: Vec::new(),
        };
        let mut full_names = commands::full_names();
        for command in commands::all() {
            let id = table.add(command, full_names.next(), None);
            table.top.push(id);
            for sub in command.subcommands {
                let sub_id = table.add(sub, full_names.next(), Some(id));
                table.children[id].push(sub_id);
            }
        }
        table
    }

    fn add(
        &mut self,
        command: &'static Command,
        name: Option<&'static str>,
        parent: Option<usize>,
    ) -> usize {
        let name = name.expect("full_names() follows all() and the subcommands");
        let id = self.names.len();
        let bits = command
            .acl
            .iter()
            .filter_map(|c| category(c.trim_start_matches('@').as_bytes()))
            .fold(0u32, |bits, c| bits | 1 << c);
        self.names.push(name);
        self.commands.push(command);
        self.by_name.insert(name, id);
        self.categories.push(bits);
        self.children.push(Vec::new());
        self.parent.push(parent);
        id
    }

    /// A command or subcommand by its full name in any case (`GET`, `config|get`), as Redis's
    /// `ACLLookupCommand`.
    pub fn lookup(&self, name: &[u8]) -> Option<usize> {
        let lower = String::from_utf8_lossy(name).to_ascii_lowercase();
        self.by_name.get(lower.as_str()).copied()
    }

    /// The id of a resolved command's full name.
    pub fn id(&self, full_name: &str) -> Option<usize> {
        self.by_name.get(full_name).copied()
    }

    /// The full names of the commands and subcommands in a category (ACL CAT).
    pub fn in_category(&self, category: usize) -> impl Iterator<Item = &'static str> + '_ {
        (0..self.names.len())
            .filter(move |&id| self.categories[id] & 1 << category != 0)
            .map(|id| self.names[id])
    }
}

/// The table, built once.
pub fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(Table::build)
}

/// Key pattern permissions.
const READ: u8 = 1;
const WRITE: u8 = 2;
const READ_WRITE: u8 = READ | WRITE;

/// Why a rule of ACL SETUSER (or of the ACL file) was refused: Redis's errno values, with
/// Redis's texts (`ACLSetUserStringError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleError {
    /// ENOENT
    UnknownCommand,
    /// EINVAL
    Syntax,
    /// EEXIST
    KeyAfterAll,
    /// EISDIR
    ChannelAfterAll,
    /// ENODEV
    NoSuchPassword,
    /// EBADMSG
    BadHash,
    /// ECHILD
    SubcommandFirstArg,
    /// A selector: not supported by dredis.
    Selector,
}

impl RuleError {
    pub fn message(self) -> &'static str {
        match self {
            RuleError::UnknownCommand => "Unknown command or category name in ACL",
            RuleError::Syntax => "Syntax error",
            RuleError::KeyAfterAll => "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns",
            RuleError::ChannelAfterAll => "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels",
            RuleError::NoSuchPassword => "The password you are trying to remove from the user does not exist",
            RuleError::BadHash => "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters",
            RuleError::SubcommandFirstArg => "Allowing first-arg of a subcommand is not supported",
            RuleError::Selector => "Selectors are not supported by dredis",
        }
    }
}

/// What a permission check refused, and the argument at fault (a key or channel).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    Command,
    Key(usize),
    Channel(usize),
}

impl Denied {
    /// Redis's `getAclErrorMessage` (not verbose), as `-NOPERM` replies and scripts show it.
    pub fn message(self, user: &User, full_name: &str) -> String {
        match self {
            Denied::Command => format!(
                "User {} has no permissions to run the '{full_name}' command",
                String::from_utf8_lossy(&user.name)
            ),
            Denied::Key(_) => "No permissions to access a key".into(),
            Denied::Channel(_) => "No permissions to access a channel".into(),
        }
    }
}

/// One user.
#[derive(Clone, Debug)]
pub struct User {
    pub name: Bytes,
    enabled: bool,
    nopass: bool,
    skip_sanitize_payload: bool,
    /// SHA-256 of each password, lower-case hex.
    passwords: Vec<String>,
    all_keys: bool,
    keys: Vec<(Bytes, u8)>,
    all_channels: bool,
    channels: Vec<Bytes>,
    /// `+@all` was the last word on commands: every check passes.
    all_commands: bool,
    /// Redis's reserved bit: set by `+@all` only, it makes the rules start with `+@all`.
    future_commands: bool,
    /// One bit per command id of [`table`].
    allowed: Vec<u64>,
    /// `+select|0`: first arguments allowed for a command otherwise denied.
    first_args: BTreeMap<usize, Vec<String>>,
    /// The command rules as applied (`+get`, `-@string`, `+config|get`), lower-case.
    rules: Vec<String>,
}

impl User {
    /// A new user as ACL SETUSER creates it: off, no passwords, no keys, no commands, and
    /// every channel if `acl-pubsub-default` is `allchannels`.
    pub fn new(name: Bytes, all_channels: bool) -> User {
        User {
            name,
            enabled: false,
            nopass: false,
            skip_sanitize_payload: false,
            passwords: Vec::new(),
            all_keys: false,
            keys: Vec::new(),
            all_channels,
            channels: Vec::new(),
            all_commands: false,
            future_commands: false,
            allowed: vec![0; table().names.len().div_ceil(64)],
            first_args: BTreeMap::new(),
            rules: Vec::new(),
        }
    }

    /// The `default` user of a fresh server: `on nopass ~* &* +@all`, and the password given
    /// (`requirepass`) instead of nopass when not empty.
    pub fn new_default(requirepass: &[u8]) -> User {
        let mut user = User::new(Bytes::from_static(b"default"), false);
        for rule in [&b"+@all"[..], b"~*", b"&*", b"on", b"nopass"] {
            user.apply(rule, false).expect("valid rules");
        }
        user.set_requirepass(requirepass);
        user
    }

    /// What `requirepass` does to the default user (Redis's `ACLUpdateDefaultUserPassword`).
    fn set_requirepass(&mut self, password: &[u8]) {
        self.apply(b"resetpass", false).expect("valid rule");
        if password.is_empty() {
            self.apply(b"nopass", false).expect("valid rule");
        } else {
            let mut rule = b">".to_vec();
            rule.extend_from_slice(password);
            self.apply(&rule, false).expect("valid rule");
        }
    }

    pub fn is_nopass(&self) -> bool {
        self.nopass
    }

    /// Applies one rule (Redis's `ACLSetUser`). `all_channels_default` is what `reset`
    /// gives channels (`acl-pubsub-default`).
    pub fn apply(&mut self, op: &[u8], all_channels_default: bool) -> Result<(), RuleError> {
        let is = |word: &str| op.eq_ignore_ascii_case(word.as_bytes());
        match op.first() {
            None => {}
            _ if is("on") => self.enabled = true,
            _ if is("off") => self.enabled = false,
            _ if is("skip-sanitize-payload") => self.skip_sanitize_payload = true,
            _ if is("sanitize-payload") => self.skip_sanitize_payload = false,
            _ if is("nopass") => {
                self.nopass = true;
                self.passwords.clear();
            }
            _ if is("resetpass") => {
                self.nopass = false;
                self.passwords.clear();
            }
            Some(b'>' | b'#') => {
                let hash = if op[0] == b'>' {
                    hash_password(&op[1..])
                } else {
                    valid_hash(&op[1..])?
                };
                if !self.passwords.contains(&hash) {
                    self.passwords.push(hash);
                }
                self.nopass = false;
            }
            Some(b'<' | b'!') => {
                let hash = if op[0] == b'<' {
                    hash_password(&op[1..])
                } else {
                    valid_hash(&op[1..])?
                };
                let at = self
                    .passwords
                    .iter()
                    .position(|p| *p == hash)
                    .ok_or(RuleError::NoSuchPassword)?;
                self.passwords.remove(at);
            }
            Some(b'(') => return Err(RuleError::Selector),
            // There are no selectors to clear.
            _ if is("clearselectors") => {}
            _ if is("reset") => {
                for rule in ["resetpass", "resetkeys", "resetchannels"] {
                    self.apply(rule.as_bytes(), false)?;
                }
                if all_channels_default {
                    self.apply(b"allchannels", false)?;
                }
                for rule in ["off", "sanitize-payload", "-@all"] {
                    self.apply(rule.as_bytes(), false)?;
                }
            }
            _ => self.apply_selector_rule(op)?,
        }
        Ok(())
    }

    /// The rules about keys, channels and commands (Redis's `ACLSetSelector`).
    fn apply_selector_rule(&mut self, op: &[u8]) -> Result<(), RuleError> {
        let is = |word: &str| op.eq_ignore_ascii_case(word.as_bytes());
        let table = table();
        if is("allkeys") || is("~*") {
            self.all_keys = true;
            self.keys.clear();
        } else if is("resetkeys") {
            self.all_keys = false;
            self.keys.clear();
        } else if is("allchannels") || is("&*") {
            self.all_channels = true;
            self.channels.clear();
        } else if is("resetchannels") {
            self.all_channels = false;
            self.channels.clear();
        } else if is("allcommands") || is("+@all") {
            self.allowed.fill(u64::MAX);
            self.all_commands = true;
            self.future_commands = true;
            self.rules.clear();
            self.first_args.clear();
        } else if is("nocommands") || is("-@all") {
            self.allowed.fill(0);
            self.all_commands = false;
            self.future_commands = false;
            self.rules.clear();
            self.first_args.clear();
        } else if op[0] == b'~' || op[0] == b'%' {
            if self.all_keys {
                return Err(RuleError::KeyAfterAll);
            }
            let (flags, pattern) = key_rule(op)?;
            if has_spaces(pattern) {
                return Err(RuleError::Syntax);
            }
            match self.keys.iter_mut().find(|(p, _)| p[..] == *pattern) {
                Some((_, existing)) => *existing |= flags,
                None => self.keys.push((Bytes::copy_from_slice(pattern), flags)),
            }
            self.all_keys = false;
        } else if op[0] == b'&' {
            if self.all_channels {
                return Err(RuleError::ChannelAfterAll);
            }
            let pattern = &op[1..];
            if has_spaces(pattern) {
                return Err(RuleError::Syntax);
            }
            if !self.channels.iter().any(|c| c[..] == *pattern) {
                self.channels.push(Bytes::copy_from_slice(pattern));
            }
            self.all_channels = false;
        } else if op[0] == b'+' && op.get(1) != Some(&b'@') {
            let name = &op[1..];
            match name.iter().rposition(|&b| b == b'|') {
                None => {
                    let id = table.lookup(name).ok_or(RuleError::UnknownCommand)?;
                    self.change(id, true);
                    self.update_rules(table.names[id], true);
                }
                Some(bar) => {
                    let (base, first_arg) = (&name[..bar], &name[bar + 1..]);
                    let id = table.lookup(base).ok_or(RuleError::UnknownCommand)?;
                    if table.parent[id].is_some() {
                        return Err(RuleError::SubcommandFirstArg);
                    }
                    if first_arg.is_empty() {
                        return Err(RuleError::Syntax);
                    }
                    if table.children[id].is_empty() {
                        // Allow `SELECT 0` of an otherwise denied SELECT (deprecated in
                        // Redis, still accepted).
                        self.allow_first_arg(id, first_arg);
                    } else {
                        let sub = table.lookup(name).ok_or(RuleError::UnknownCommand)?;
                        self.change(sub, true);
                    }
                    self.update_rules(&String::from_utf8_lossy(name), true);
                }
            }
        } else if op[0] == b'-' && op.get(1) != Some(&b'@') {
            let id = table.lookup(&op[1..]).ok_or(RuleError::UnknownCommand)?;
            self.change(id, false);
            self.update_rules(table.names[id], false);
        } else if (op[0] == b'+' || op[0] == b'-') && op.get(1) == Some(&b'@') {
            let allow = op[0] == b'+';
            let category = category(&op[2..]).ok_or(RuleError::UnknownCommand)?;
            self.update_rules(&String::from_utf8_lossy(&op[1..]), allow);
            for id in 0..table.names.len() {
                if table.categories[id] & 1 << category != 0 {
                    self.change(id, allow);
                }
            }
        } else {
            return Err(RuleError::Syntax);
        }
        Ok(())
    }

    fn set_bit(&mut self, id: usize, allow: bool) {
        if allow {
            self.allowed[id / 64] |= 1 << (id % 64);
        } else {
            self.allowed[id / 64] &= !(1 << (id % 64));
            self.all_commands = false;
        }
    }

    fn bit(&self, id: usize) -> bool {
        self.allowed[id / 64] & 1 << (id % 64) != 0
    }

    /// Allows or denies a command, and with a container all its subcommands (Redis's
    /// `ACLChangeSelectorPerm`).
    fn change(&mut self, id: usize, allow: bool) {
        self.set_bit(id, allow);
        self.first_args.remove(&id);
        for &sub in &table().children[id] {
            self.set_bit(sub, allow);
        }
    }

    fn allow_first_arg(&mut self, id: usize, arg: &[u8]) {
        let arg = String::from_utf8_lossy(arg).into_owned();
        let args = self.first_args.entry(id).or_default();
        if !args.iter().any(|a| a.eq_ignore_ascii_case(&arg)) {
            args.push(arg);
        }
    }

    /// Records a command rule: an earlier rule for the same command, category or one of the
    /// command's subcommands goes, the new one is appended (Redis's `ACLUpdateCommandRules`).
    fn update_rules(&mut self, rule: &str, allow: bool) {
        let rule = rule.to_ascii_lowercase();
        let sub_prefix = format!("{rule}|");
        self.rules
            .retain(|r| r[1..] != rule && !r[1..].starts_with(&sub_prefix));
        self.rules
            .push(format!("{}{rule}", if allow { '+' } else { '-' }));
    }

    /// The command rules as ACL GETUSER shows them: `+@all` or `-@all`, then the rules.
    pub fn command_rules(&self) -> String {
        let mut out = String::from(if self.future_commands {
            "+@all"
        } else {
            "-@all"
        });
        for rule in &self.rules {
            out.push(' ');
            out.push_str(rule);
        }
        out
    }

    /// The flags as ACL GETUSER lists them, in Redis's order.
    pub fn flags(&self) -> Vec<&'static str> {
        let mut flags = vec![if self.enabled { "on" } else { "off" }];
        if self.nopass {
            flags.push("nopass");
        }
        flags.push(if self.skip_sanitize_payload {
            "skip-sanitize-payload"
        } else {
            "sanitize-payload"
        });
        flags
    }

    pub fn password_hashes(&self) -> &[String] {
        &self.passwords
    }

    /// The key patterns as ACL GETUSER shows them: `~*`, or `~a %R~b`, or nothing.
    pub fn keys_text(&self) -> Vec<u8> {
        if self.all_keys {
            return b"~*".to_vec();
        }
        let mut out = Vec::new();
        for (i, (pattern, flags)) in self.keys.iter().enumerate() {
            if i > 0 {
                out.push(b' ');
            }
            out.extend_from_slice(match *flags {
                READ => b"%R~",
                WRITE => b"%W~",
                _ => b"~",
            });
            out.extend_from_slice(pattern);
        }
        out
    }

    /// The channel patterns as ACL GETUSER shows them: `&*`, or `&a &b`, or nothing.
    pub fn channels_text(&self) -> Vec<u8> {
        if self.all_channels {
            return b"&*".to_vec();
        }
        let mut out = Vec::new();
        for (i, pattern) in self.channels.iter().enumerate() {
            if i > 0 {
                out.push(b' ');
            }
            out.push(b'&');
            out.extend_from_slice(pattern);
        }
        out
    }

    /// Everything about the user as ACL LIST and the ACL file write it, after `user <name> `
    /// (Redis's `ACLDescribeUser`): flags, password hashes, keys, channels, commands.
    pub fn describe(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for flag in self.flags() {
            out.extend_from_slice(flag.as_bytes());
            out.push(b' ');
        }
        for hash in &self.passwords {
            out.push(b'#');
            out.extend_from_slice(hash.as_bytes());
            out.push(b' ');
        }
        if self.all_keys || !self.keys.is_empty() {
            out.extend_from_slice(&self.keys_text());
            out.push(b' ');
        }
        if !self.all_channels {
            out.extend_from_slice(b"resetchannels ");
        }
        if self.all_channels || !self.channels.is_empty() {
            out.extend_from_slice(&self.channels_text());
            out.push(b' ');
        }
        out.extend_from_slice(self.command_rules().as_bytes());
        out
    }

    /// Whether `password` logs this user in (Redis's `ACLCheckUserCredentials`).
    pub fn accepts(&self, password: &[u8]) -> bool {
        if !self.enabled {
            return false;
        }
        if self.nopass {
            return true;
        }
        let hash = hash_password(password);
        self.passwords
            .iter()
            .any(|p| constant_time_eq(p.as_bytes(), hash.as_bytes()))
    }

    /// Whether the user may run a request: the command itself, then its keys, then its
    /// channels (Redis's `ACLSelectorCheckCmd`). `full_name` is the resolved command's
    /// (`client|list`); commands that need no authentication (AUTH, HELLO...) always pass.
    pub fn check(&self, command: &Command, full_name: &str, argv: &[Arg]) -> Result<(), Denied> {
        let word = |i: usize| argv.get(i).and_then(Arg::as_bytes).unwrap_or_default();
        if !self.all_commands && !command.has(Flag::NoAuth) {
            let id = table().id(full_name).ok_or(Denied::Command)?;
            if !self.bit(id) {
                let first = word(if full_name.contains('|') { 2 } else { 1 });
                let allowed = argv.len() >= 2
                    && self.first_args.get(&id).is_some_and(|args| {
                        args.iter()
                            .any(|a| a.as_bytes().eq_ignore_ascii_case(first))
                    });
                if !allowed {
                    return Err(Denied::Command);
                }
            }
        }
        let channels = channel_arguments(full_name, argv.len());
        if !self.all_keys
            && !command.keys.is_empty()
            && !channels.as_ref().is_some_and(|c| c.in_key_specs)
        {
            let needed = if command.has(Flag::Readonly) {
                READ
            } else {
                READ_WRITE
            };
            for position in key_positions(command.keys, argv) {
                if !self.may_access_key(word(position), needed) {
                    return Err(Denied::Key(position));
                }
            }
        }
        if let Some(channels) = channels.filter(|_| !self.all_channels) {
            for position in channels.positions {
                let channel = word(position);
                let allowed = self.channels.iter().any(|pattern| {
                    if channels.literal {
                        pattern[..] == *channel
                    } else {
                        glob::matches(pattern, channel)
                    }
                });
                if !allowed {
                    return Err(Denied::Channel(position));
                }
            }
        }
        Ok(())
    }

    fn may_access_key(&self, key: &[u8], needed: u8) -> bool {
        self.keys
            .iter()
            .any(|(pattern, flags)| flags & needed == needed && glob::matches(pattern, key))
    }

    /// Whether a subscription is still allowed: a pattern (PSUBSCRIBE) must be one of the
    /// user's channel patterns as written, a channel must match one of them.
    pub fn may_subscribe(&self, name: &[u8], is_pattern: bool) -> bool {
        self.all_channels
            || self.channels.iter().any(|p| {
                if is_pattern {
                    p[..] == *name
                } else {
                    glob::matches(p, name)
                }
            })
    }

    /// Whether replacing `self` by `new` may take away channels (Redis's shortcut in
    /// `ACLKillPubsubClientsIfNeeded`: all channels, or every old pattern kept, take nothing).
    pub fn loses_channels(&self, new: &User) -> bool {
        !new.all_channels && !self.channels.iter().all(|c| new.channels.contains(c))
    }
}

/// The channel arguments of the pub/sub commands that name channels (Redis's
/// `ACLDoesCommandHaveChannels`): PUBLISH and SPUBLISH their first argument, the subscribing
/// commands all of them, PSUBSCRIBE's as patterns compared literally.
struct Channels {
    positions: std::ops::Range<usize>,
    literal: bool,
    /// The shard commands declare their channels as keys (for cluster routing): those are
    /// not keys for ACLs.
    in_key_specs: bool,
}

fn channel_arguments(full_name: &str, argc: usize) -> Option<Channels> {
    let channels = |positions, literal, in_key_specs| {
        Some(Channels {
            positions,
            literal,
            in_key_specs,
        })
    };
    match full_name {
        "publish" => channels(1..2, false, false),
        "spublish" => channels(1..2, false, true),
        "subscribe" => channels(1..argc, false, false),
        "ssubscribe" => channels(1..argc, false, true),
        "psubscribe" => channels(1..argc, true, false),
        "sunsubscribe" => channels(0..0, false, true),
        _ => None,
    }
}

/// `~pattern` or `%R~pattern`, `%W~`, `%RW~`: the permissions and the pattern.
fn key_rule(op: &[u8]) -> Result<(u8, &[u8]), RuleError> {
    if op[0] == b'~' {
        return Ok((READ_WRITE, &op[1..]));
    }
    let mut flags = 0;
    let mut offset = 1;
    while offset < op.len() {
        match op[offset].to_ascii_uppercase() {
            b'R' if flags & READ == 0 => flags |= READ,
            b'W' if flags & WRITE == 0 => flags |= WRITE,
            b'~' if flags != 0 => {
                offset += 1;
                break;
            }
            _ => return Err(RuleError::Syntax),
        }
        offset += 1;
    }
    Ok((flags, &op[offset..]))
}

/// Whether a name or pattern has white space or NUL (Redis's `ACLStringHasSpaces`).
pub fn has_spaces(s: &[u8]) -> bool {
    s.iter()
        .any(|&b| b == 0 || b.is_ascii_whitespace() || b == 0x0b)
}

/// SHA-256 of a password, lower-case hex (Redis's `ACLHashPassword`).
pub fn hash_password(password: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(password)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A `#hash` rule's hash: exactly 64 lower-case hex digits.
fn valid_hash(hash: &[u8]) -> Result<String, RuleError> {
    let hex = |b: &u8| b.is_ascii_digit() || (b'a'..=b'f').contains(b);
    if hash.len() != 64 || !hash.iter().all(hex) {
        return Err(RuleError::BadHash);
    }
    Ok(String::from_utf8_lossy(hash).into_owned())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

/// Every user of the server.
pub struct Acl {
    users: RwLock<BTreeMap<Bytes, Arc<User>>>,
    /// `users.acl` in the data directory, and the directory for its temp file.
    file: PathBuf,
    tmp: PathBuf,
}

/// The outcome of a change to several users (ACL LOAD): who lost or changed definition,
/// whose clients must go.
pub type Changed = Vec<Bytes>;

/// A user before (None: it is new) and after ACL SETUSER.
pub type Replaced = (Option<Arc<User>>, Arc<User>);

impl Acl {
    /// The users of a server starting on `data_dir`: only `default`, with `requirepass`'s
    /// password if any. [`Acl::load`] then reads the ACL file, if there is one.
    pub fn new(requirepass: &[u8], data_dir: &Path, tmp: &Path) -> Acl {
        let default = User::new_default(requirepass);
        Acl {
            users: RwLock::new(BTreeMap::from([(default.name.clone(), Arc::new(default))])),
            file: data_dir.join(FILE_NAME),
            tmp: tmp.to_path_buf(),
        }
    }

    pub fn file(&self) -> &Path {
        &self.file
    }

    pub fn user(&self, name: &[u8]) -> Option<Arc<User>> {
        self.users.read().get(name).cloned()
    }

    pub fn default_user(&self) -> Arc<User> {
        self.user(b"default")
            .expect("the default user is never removed")
    }

    /// Whether a new connection must authenticate (Redis's `authRequired`): the default user
    /// has a password, or is off.
    pub fn requires_auth(&self) -> bool {
        let default = self.default_user();
        !default.nopass || !default.enabled
    }

    /// Every user, by name.
    pub fn users(&self) -> Vec<Arc<User>> {
        self.users.read().values().cloned().collect()
    }

    /// CONFIG SET requirepass: the default user's passwords become this one (none: nopass).
    pub fn set_requirepass(&self, password: &[u8]) {
        let mut users = self.users.write();
        let mut default = (**users.get(&b"default"[..]).expect("default user")).clone();
        default.set_requirepass(password);
        users.insert(default.name.clone(), Arc::new(default));
    }

    /// ACL SETUSER: applies every rule to a copy of the user (a new user if none), then
    /// replaces it; on an error nothing changes. Returns the user before and after.
    pub fn set_user(
        &self,
        name: &[u8],
        rules: &[Bytes],
        all_channels_default: bool,
    ) -> Result<Replaced, (Bytes, RuleError)> {
        let mut users = self.users.write();
        let old = users.get(name).cloned();
        let mut user = match &old {
            Some(user) => (**user).clone(),
            None => User::new(Bytes::copy_from_slice(name), all_channels_default),
        };
        for rule in rules {
            user.apply(rule, all_channels_default)
                .map_err(|e| (rule.clone(), e))?;
        }
        let user = Arc::new(user);
        users.insert(user.name.clone(), user.clone());
        Ok((old, user))
    }

    /// ACL DELUSER: removes the users named; returns those that existed.
    pub fn delete(&self, names: &[Bytes]) -> Vec<Bytes> {
        let mut users = self.users.write();
        names
            .iter()
            .filter(|name| users.remove(&name[..]).is_some())
            .cloned()
            .collect()
    }

    /// The lines of ACL LIST and of the ACL file: `user <name> <rules>`.
    pub fn lines(&self) -> Vec<Vec<u8>> {
        self.users
            .read()
            .values()
            .map(|user| {
                let mut line = b"user ".to_vec();
                line.extend_from_slice(&user.name);
                line.push(b' ');
                line.extend_from_slice(&user.describe());
                line
            })
            .collect()
    }

    /// ACL SAVE: writes every user to the ACL file, atomically and durably.
    pub fn save(&self) -> std::io::Result<()> {
        let mut text = Vec::new();
        for line in self.lines() {
            text.extend_from_slice(&line);
            text.push(b'\n');
        }
        crate::store::files::write_durably(&self.file, &self.tmp, &text)
    }

    /// ACL LOAD (and start-up, when the file exists): replaces every user with those of the
    /// ACL file, or, on any error, changes nothing and returns Redis's description of the
    /// errors. A file without a `default` line gives the default user of a fresh start
    /// (with `requirepass`'s password). Returns the users removed or changed, whose clients
    /// must be disconnected.
    pub fn load(&self, requirepass: &[u8], all_channels_default: bool) -> Result<Changed, String> {
        let text = std::fs::read(&self.file).map_err(|e| {
            format!(
                "Error loading ACLs, opening file '{FILE_NAME}': {}",
                io_error_text(&e)
            )
        })?;
        let users = parse_file(&text, requirepass, all_channels_default)?;
        let mut current = self.users.write();
        let changed = current
            .iter()
            .filter(|(name, user)| {
                users
                    .get(*name)
                    .is_none_or(|new| new.describe() != user.describe())
            })
            .map(|(name, _)| name.clone())
            .collect();
        *current = users;
        Ok(changed)
    }
}

/// The text of an I/O error as C's `strerror` gives it (`No such file or directory`).
fn io_error_text(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

/// The users of an ACL file (Redis's `ACLLoadFromFile`): `user <name> <rules...>` lines;
/// empty lines and `#` comments are skipped. Every error is collected, as Redis does.
fn parse_file(
    text: &[u8],
    requirepass: &[u8],
    all_channels_default: bool,
) -> Result<BTreeMap<Bytes, Arc<User>>, String> {
    let mut users: BTreeMap<Bytes, Arc<User>> = BTreeMap::new();
    let mut errors = String::new();
    for (i, line) in text.split(|&b| b == b'\n').enumerate() {
        let number = i + 1;
        let line = line.trim_ascii();
        if line.is_empty() || line.starts_with(b"#") {
            continue;
        }
        let words: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
        if words[0] != b"user" || words.len() < 2 {
            errors.push_str(&format!(
                "{FILE_NAME}:{number} should start with user keyword followed by the username. "
            ));
            continue;
        }
        let name = words[1];
        if has_spaces(name) {
            errors.push_str(&format!(
                "'{FILE_NAME}:{number}: username '{}' contains invalid characters. ",
                String::from_utf8_lossy(name)
            ));
            continue;
        }
        if users.contains_key(name) {
            errors.push_str(&format!(
                "WARNING: Duplicate user '{}' found on line {number}. ",
                String::from_utf8_lossy(name)
            ));
            continue;
        }
        let mut user = User::new(Bytes::copy_from_slice(name), all_channels_default);
        for rule in &words[2..] {
            if let Err(e) = user.apply(rule.trim_ascii(), all_channels_default) {
                errors.push_str(&format!("{FILE_NAME}:{number}: {}. ", e.message()));
            }
        }
        users.insert(user.name.clone(), Arc::new(user));
    }
    if !errors.is_empty() {
        errors.push_str(
            "WARNING: ACL errors detected, no change to the previously active ACL rules was performed",
        );
        return Err(errors);
    }
    users
        .entry(Bytes::from_static(b"default"))
        .or_insert_with(|| Arc::new(User::new_default(requirepass)));
    Ok(users)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(rules: &[&str]) -> User {
        let mut user = User::new(Bytes::from_static(b"u"), false);
        for rule in rules {
            user.apply(rule.as_bytes(), false).unwrap();
        }
        user
    }

    #[test]
    fn the_default_user_is_described_as_redis_does() {
        let default = User::new_default(b"");
        assert_eq!(
            String::from_utf8(default.describe()).unwrap(),
            "on nopass sanitize-payload ~* &* +@all"
        );
        let new = User::new(Bytes::from_static(b"alice"), false);
        assert_eq!(
            String::from_utf8(new.describe()).unwrap(),
            "off sanitize-payload resetchannels -@all"
        );
    }

    #[test]
    fn command_rules_keep_their_order_and_compact() {
        // Cases from Redis's acl.tcl ("ACL GETUSER provides correct results").
        let cases: &[(&[&str], &str)] = &[
            (
                &["+@all", "-@hash", "-@slow", "+hget"],
                "+@all -@hash -@slow +hget",
            ),
            (
                &["+@all", "-@hash", "-@slow", "+hget", "-@hash"],
                "+@all -@slow +hget -@hash",
            ),
            (&["-@string", "-@slow", "+@all"], "+@all"),
            (&["-@all", "+@HASH", "+@hash", "+@HaSh"], "-@all +@hash"),
            (&["-@all", "+HGET", "+hget", "+hGeT"], "-@all +hget"),
            (
                &[
                    "-@all", "+@hash", "+@slow", "+@set", "+@set", "+@slow", "+@hash",
                ],
                "-@all +@set +@slow +@hash",
            ),
            (
                &["-@all", "+hget", "-hset", "+hset", "-hget"],
                "-@all +hset -hget",
            ),
            (
                &[
                    "-@all",
                    "+client|list",
                    "+client|list",
                    "+config|get",
                    "+config",
                    "+acl|list",
                    "-acl",
                ],
                "-@all +client|list +config -acl",
            ),
            (&["-@all", "+select|0", "+select|0"], "-@all +select|0"),
            (&["-@all", "-@dangerous"], "-@all -@dangerous"),
            (
                &["-@all", "+config", "+config|get", "-config|set", "+config"],
                "-@all +config",
            ),
        ];
        for (rules, expected) in cases {
            assert_eq!(user(rules).command_rules(), *expected, "{rules:?}");
        }
    }

    #[test]
    fn rule_errors_are_redis_errnos() {
        let mut u = user(&[]);
        assert_eq!(u.apply(b"badrule", false), Err(RuleError::Syntax));
        assert_eq!(u.apply(b"+nosuch", false), Err(RuleError::UnknownCommand));
        assert_eq!(u.apply(b"+@nosuch", false), Err(RuleError::UnknownCommand));
        assert_eq!(
            u.apply(b"+config|get|x", false),
            Err(RuleError::SubcommandFirstArg)
        );
        assert_eq!(
            u.apply(b"+config|asdf", false),
            Err(RuleError::UnknownCommand)
        );
        assert_eq!(u.apply(b"+get|a|b", false), Err(RuleError::UnknownCommand));
        assert_eq!(u.apply(b"#abc", false), Err(RuleError::BadHash));
        assert_eq!(u.apply(b"<nope", false), Err(RuleError::NoSuchPassword));
        assert_eq!(u.apply(b"%Q~x", false), Err(RuleError::Syntax));
        assert_eq!(u.apply(b"%~x", false), Err(RuleError::Syntax));
        u.apply(b"allkeys", false).unwrap();
        assert_eq!(u.apply(b"~foo", false), Err(RuleError::KeyAfterAll));
        u.apply(b"allchannels", false).unwrap();
        assert_eq!(u.apply(b"&foo", false), Err(RuleError::ChannelAfterAll));
        assert_eq!(u.apply(b"(~x +get)", false), Err(RuleError::Selector));
    }

    #[test]
    fn key_patterns_merge_permissions() {
        let u = user(&["%R~a*", "%W~a*", "%W~b", "~c"]);
        assert_eq!(u.keys_text(), b"~a* %W~b ~c");
        assert!(u.may_access_key(b"b", WRITE));
        assert!(!u.may_access_key(b"b", READ));
        assert!(u.may_access_key(b"abc", READ_WRITE));
    }

    #[test]
    fn passwords_are_sha256_and_nopass_accepts_any() {
        let u = user(&["on", ">secret"]);
        assert_eq!(
            u.password_hashes()[0],
            "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"
        );
        assert!(u.accepts(b"secret"));
        assert!(!u.accepts(b"other"));
        assert!(user(&["on", "nopass"]).accepts(b"anything"));
        assert!(!user(&["off", "nopass"]).accepts(b"anything"));
    }

    #[test]
    fn acl_files_report_every_error_and_keep_a_default_user() {
        let users = parse_file(b"user alice on >a ~* +@all\n\n# note\n", b"", false).unwrap();
        assert_eq!(users.len(), 2);
        assert!(users[&b"default"[..]].is_nopass());
        let error = parse_file(b"user a on +nosuch\nuser a\nbogus\n", b"", false).unwrap_err();
        assert_eq!(
            error,
            "users.acl:1: Unknown command or category name in ACL. WARNING: Duplicate user 'a' found on line 2. users.acl:3 should start with user keyword followed by the username. WARNING: ACL errors detected, no change to the previously active ACL rules was performed"
        );
    }
}
