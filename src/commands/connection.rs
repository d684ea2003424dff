//! Connection commands: PING, ECHO, SELECT, QUIT, AUTH, HELLO, RESET, CLIENT.

use bytes::Bytes;

use super::{Args, Command, Ctx, Flag::*, NO_KEYS};
use crate::config::REDIS_VERSION;
use crate::error::{Error, Result, DB_INDEX};
use crate::protocol::Reply;
use crate::server::{Client, Close, Replies, Unblock};

/// PING [message]: PONG, or the message. A RESP2 connection subscribed to channels gets
/// `[pong, message]`, shaped like the messages it reads.
fn ping(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    if args.remaining() > 1 {
        return Err(args.wrong_arity());
    }
    if ctx.session.resp == 2 && ctx.session.subscriptions.is_subscribed() {
        let message = if args.is_empty() {
            Reply::bulk("")
        } else {
            Reply::Bulk(args.bytes()?)
        };
        return Ok(Reply::Array(vec![Reply::bulk("pong"), message]));
    }
    if args.is_empty() {
        Ok(Reply::Status("PONG".into()))
    } else {
        Ok(Reply::Bulk(args.bytes()?))
    }
}

/// ECHO message
fn echo(_: &mut Ctx, args: &mut Args) -> Result<Reply> {
    Ok(Reply::Bulk(args.bytes()?))
}

/// SELECT index: switch the connection to another database.
fn select(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let index = args.int()?;
    // Redis reads the index as a C int first.
    if i32::try_from(index).is_err() {
        return Err(Error::reply(
            "ERR value is out of range, value must between -2147483648 and 2147483647",
        ));
    }
    let db = usize::try_from(index)
        .ok()
        .filter(|&db| db < ctx.store().databases())
        .ok_or(Error::reply(DB_INDEX))?;
    ctx.session.db = db;
    ctx.session.client.info().db = db;
    Ok(Reply::ok())
}

/// QUIT: reply OK, then close the connection.
fn quit(ctx: &mut Ctx, _: &mut Args) -> Result<Reply> {
    ctx.session.close = Some(Close::AfterReply);
    Ok(Reply::ok())
}

/// Checks a username and password as AUTH does (Redis's `ACLAuthenticateUser`): on success
/// the connection runs as that user from now on. No username means `default`.
fn authenticate(ctx: &mut Ctx, user: Option<&[u8]>, password: &[u8]) -> Result<()> {
    let acl = &ctx.server.acl;
    if user.is_none() && acl.default_user().is_nopass() {
        return Err(Error::reply(
            "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
        ));
    }
    let name = user.unwrap_or(b"default");
    match acl.user(name) {
        Some(found) if found.accepts(password) => {
            ctx.session.authenticated = true;
            ctx.session.set_user(found.name.clone());
            Ok(())
        }
        _ => {
            ctx.server
                .stats
                .acl_denied_auth
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Err(wrongpass())
        }
    }
}

fn wrongpass() -> Error {
    Error::reply("WRONGPASS invalid username-password pair or user is disabled.")
}

/// AUTH [username] password
fn auth(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let words = args.rest()?;
    let (user, password) = match words.as_slice() {
        [password] => (None, password),
        [user, password] => (Some(&user[..]), password),
        _ => return Err(Error::syntax()),
    };
    authenticate(ctx, user, password)?;
    Ok(Reply::ok())
}

/// HELLO [protover [AUTH username password] [SETNAME name]]: switch protocol, reply with
/// the server's description.
fn hello(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let mut version = None;
    if !args.is_empty() {
        let v = args
            .int()
            .map_err(|_| Error::reply("ERR Protocol version is not an integer or out of range"))?;
        if !(2..=3).contains(&v) {
            return Err(Error::reply("NOPROTO unsupported protocol version"));
        }
        version = Some(v as u8);
    }
    let mut name = None;
    let mut credentials = None;
    while !args.is_empty() {
        let option = args.bytes()?;
        if option.eq_ignore_ascii_case(b"AUTH") && args.remaining() >= 2 {
            credentials = Some((args.bytes()?, args.bytes()?));
        } else if option.eq_ignore_ascii_case(b"SETNAME") && !args.is_empty() {
            name = Some(valid_client_name(args.bytes()?)?);
        } else {
            return Err(Error::new(format!(
                "ERR Syntax error in HELLO option '{}'",
                String::from_utf8_lossy(&option)
            )));
        }
    }
    // As Redis 7.2: every option is checked before the credentials are.
    if let Some((user, password)) = credentials {
        authenticate(ctx, Some(&user), &password)?;
    }
    if !ctx.session.authenticated {
        return Err(Error::reply(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time",
        ));
    }
    if let Some(name) = name {
        ctx.session.client.info().name = (!name.is_empty()).then_some(name);
    }
    if let Some(v) = version {
        ctx.session.resp = v;
        ctx.session.client.info().resp = v;
    }
    let field = |k: &'static str| Reply::bulk(k);
    Ok(Reply::Map(vec![
        (field("server"), Reply::bulk("redis")),
        (field("version"), Reply::bulk(REDIS_VERSION)),
        (field("proto"), Reply::Int(i64::from(ctx.session.resp))),
        (field("id"), Reply::Int(ctx.session.client.id as i64)),
        (field("mode"), Reply::bulk("standalone")),
        (field("role"), Reply::bulk("master")),
        (field("modules"), Reply::Array(Vec::new())),
    ]))
}

/// RESET: back to the state of a new connection: out of MULTI, nothing watched, no
/// subscriptions, not monitoring, database 0, RESP2, no name, the default user, and
/// unauthenticated if a password is required.
fn reset(ctx: &mut Ctx, _: &mut Args) -> Result<Reply> {
    let session = &mut *ctx.session;
    session.multi = None;
    session.watched.clear();
    session.subscriptions.clear();
    session.db = 0;
    session.resp = 2;
    session.authenticated = !ctx.server.requires_auth();
    session.set_user(bytes::Bytes::from_static(b"default"));
    let mut info = session.client.info();
    info.db = 0;
    info.resp = 2;
    info.name = None;
    Ok(Reply::Status("RESET".into()))
}

/// Client names and library attributes are printable ASCII without spaces, as in Redis.
fn is_printable_word(value: &[u8]) -> bool {
    value.iter().all(|&c| (b'!'..=b'~').contains(&c))
}

fn valid_client_name(name: Bytes) -> Result<Bytes> {
    if is_printable_word(&name) {
        Ok(name)
    } else {
        Err(Error::reply(
            "ERR Client names cannot contain spaces, newlines or special characters.",
        ))
    }
}

/// CLIENT ID
fn client_id(ctx: &mut Ctx, _: &mut Args) -> Result<Reply> {
    Ok(Reply::Int(ctx.session.client.id as i64))
}

/// CLIENT GETNAME
fn client_getname(ctx: &mut Ctx, _: &mut Args) -> Result<Reply> {
    Ok(Reply::bulk_or_nil(ctx.session.client.info().name.clone()))
}

/// CLIENT SETNAME name: an empty name removes it.
fn client_setname(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let name = valid_client_name(args.bytes()?)?;
    ctx.session.client.info().name = (!name.is_empty()).then_some(name);
    Ok(Reply::ok())
}

/// CLIENT SETINFO LIB-NAME|LIB-VER value
fn client_setinfo(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let attr = args.bytes()?;
    let value = args.bytes()?;
    let attr_text = String::from_utf8_lossy(&attr).into_owned();
    let lib_name = match attr_text.to_ascii_lowercase().as_str() {
        "lib-name" => true,
        "lib-ver" => false,
        _ => return Err(Error::new(format!("ERR Unrecognized option '{attr_text}'"))),
    };
    if !is_printable_word(&value) {
        return Err(Error::new(format!(
            "ERR {attr_text} cannot contain spaces, newlines or special characters."
        )));
    }
    let value = (!value.is_empty()).then(|| String::from_utf8_lossy(&value).into_owned());
    let mut info = ctx.session.client.info();
    if lib_name {
        info.lib_name = value;
    } else {
        info.lib_ver = value;
    }
    Ok(Reply::ok())
}

/// One line of CLIENT LIST / CLIENT INFO, in Redis's field order. Memory figures are
/// estimates: the query buffer's capacity plus the client's own record.
fn client_line(ctx: &Ctx, client: &crate::server::Client, current: bool) -> String {
    let info = client.info();
    let now = std::time::Instant::now();
    let mut flags = String::new();
    if info.no_evict {
        flags.push('e');
    }
    if info.no_touch {
        flags.push('T');
    }
    if flags.is_empty() {
        flags.push('N');
    }
    let tot_mem = info.qbuf_capacity + std::mem::size_of::<crate::server::Client>();
    format!(
        "id={} addr={} laddr={} fd=-1 name={} age={} idle={} flags={flags} db={} sub=0 psub=0 ssub=0 multi=-1 qbuf={} qbuf-free={} argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem={tot_mem} events=r cmd={} user={} redir=-1 resp={} lib-name={} lib-ver={}",
        client.id,
        client.addr,
        client.laddr,
        info.name.as_deref().map(String::from_utf8_lossy).unwrap_or_default(),
        now.duration_since(client.created).as_secs(),
        if current { 0 } else { now.duration_since(info.last_active).as_secs() },
        if current { ctx.session.db } else { info.db },
        info.qbuf,
        info.qbuf_capacity - info.qbuf,
        info.last_command,
        String::from_utf8_lossy(&info.user),
        info.resp,
        info.lib_name.as_deref().unwrap_or(""),
        info.lib_ver.as_deref().unwrap_or(""),
    )
}

/// The client types of CLIENT LIST TYPE and CLIENT KILL TYPE. dredis has no replicas nor
/// masters: a client is `pubsub` while subscribed to something, `normal` otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClientType {
    Normal,
    Pubsub,
    Replication,
}

impl ClientType {
    fn parse(name: &[u8]) -> Result<ClientType> {
        let name = String::from_utf8_lossy(name);
        match name.to_ascii_lowercase().as_str() {
            "normal" => Ok(ClientType::Normal),
            "pubsub" => Ok(ClientType::Pubsub),
            "master" | "replica" | "slave" => Ok(ClientType::Replication),
            _ => Err(Error::new(format!("ERR Unknown client type '{name}'"))),
        }
    }

    fn of(client: &Client) -> ClientType {
        if client.is_pubsub() {
            ClientType::Pubsub
        } else {
            ClientType::Normal
        }
    }
}

/// CLIENT LIST [TYPE normal|master|replica|pubsub] [ID id ...]: one line per connected
/// client.
fn client_list(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let clients = ctx.server.clients.list();
    let selected = match args.remaining() {
        0 => clients,
        2 if args.eat("TYPE") => {
            let kind = ClientType::parse(&args.bytes()?)?;
            clients
                .into_iter()
                .filter(|c| ClientType::of(c) == kind)
                .collect()
        }
        n if n >= 2 && args.eat("ID") => {
            // In the order asked, a repeated id twice, unknown ids skipped: as Redis.
            let mut picked = Vec::new();
            for id in args.rest()? {
                let id =
                    crate::number::parse_i64(&id).ok_or(Error::reply("ERR Invalid client ID"))?;
                picked.extend(clients.iter().find(|c| c.id as i64 == id).cloned());
            }
            picked
        }
        _ => return Err(Error::syntax()),
    };
    let me = ctx.session.client.id;
    let mut text = String::new();
    for client in selected {
        text.push_str(&client_line(ctx, &client, client.id == me));
        text.push('\n');
    }
    Ok(Reply::Verbatim(text.into()))
}

/// Which clients CLIENT KILL ends.
#[derive(Default)]
struct KillFilter {
    id: Option<u64>,
    kind: Option<ClientType>,
    addr: Option<String>,
    laddr: Option<String>,
    user: Option<Bytes>,
    skip_me: bool,
}

impl KillFilter {
    /// The filters of the new form, `<option> <value>` pairs in any order.
    fn parse(args: &mut Args, users: &crate::server::acl::Acl) -> Result<KillFilter> {
        let mut filter = KillFilter {
            skip_me: true,
            ..KillFilter::default()
        };
        while !args.is_empty() {
            let option = args.word()?;
            if args.is_empty() {
                return Err(Error::syntax());
            }
            let value = args.bytes()?;
            let text = || String::from_utf8_lossy(&value).into_owned();
            match option.as_str() {
                "ID" => {
                    let id = crate::number::parse_i64(&value)
                        .filter(|&id| id > 0)
                        .ok_or(Error::reply("ERR client-id should be greater than 0"))?;
                    filter.id = Some(id as u64);
                }
                "TYPE" => filter.kind = Some(ClientType::parse(&value)?),
                "ADDR" => filter.addr = Some(text()),
                "LADDR" => filter.laddr = Some(text()),
                "USER" if users.user(&value).is_some() => filter.user = Some(value.clone()),
                "USER" => return Err(Error::new(format!("ERR No such user '{}'", text()))),
                "SKIPME" if value.eq_ignore_ascii_case(b"yes") => filter.skip_me = true,
                "SKIPME" if value.eq_ignore_ascii_case(b"no") => filter.skip_me = false,
                _ => return Err(Error::syntax()),
            }
        }
        Ok(filter)
    }

    fn matches(&self, client: &Client, me: u64) -> bool {
        self.id.is_none_or(|id| client.id == id)
            && self.kind.is_none_or(|kind| ClientType::of(client) == kind)
            && self
                .addr
                .as_ref()
                .is_none_or(|a| *a == client.addr.to_string())
            && self
                .laddr
                .as_ref()
                .is_none_or(|a| *a == client.laddr.to_string())
            && self.user.as_ref().is_none_or(|u| *u == client.info().user)
            && !(self.skip_me && client.id == me)
    }
}

/// CLIENT KILL ip:port | CLIENT KILL [ID id] [TYPE type] [ADDR ip:port] [LADDR ip:port]
/// [USER name] [SKIPME yes|no]: closes the matching connections. The old form may kill
/// the caller itself and replies OK (or an error if none matched); the new one skips the
/// caller unless SKIPME no, and replies with the number killed.
fn client_kill(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let old_form = args.remaining() == 1;
    let filter = if old_form {
        KillFilter {
            addr: Some(String::from_utf8_lossy(&args.bytes()?).into_owned()),
            ..KillFilter::default()
        }
    } else {
        KillFilter::parse(args, &ctx.server.acl)?
    };
    let me = ctx.session.client.id;
    let mut killed = 0;
    for client in ctx.server.clients.list() {
        if !filter.matches(&client, me) {
            continue;
        }
        if client.id == me {
            // After the reply, as in Redis.
            ctx.session.close = Some(Close::AfterReply);
        } else {
            client.mailbox.close();
        }
        killed += 1;
    }
    match (old_form, killed) {
        (true, 0) => Err(Error::reply("ERR No such client")),
        (true, _) => Ok(Reply::ok()),
        (false, n) => Ok(Reply::Int(n)),
    }
}

/// CLIENT INFO: this client's line.
fn client_info(ctx: &mut Ctx, _: &mut Args) -> Result<Reply> {
    let client = ctx.session.client.clone();
    Ok(Reply::Verbatim(
        format!("{}\n", client_line(ctx, &client, true)).into(),
    ))
}

/// `on` or `off`, for CLIENT NO-EVICT and NO-TOUCH.
fn on_off(args: &mut Args) -> Result<bool> {
    match args.word()?.as_str() {
        "ON" => Ok(true),
        "OFF" => Ok(false),
        _ => Err(Error::syntax()),
    }
}

/// CLIENT NO-EVICT on|off: protect this client from client eviction. dredis never evicts
/// clients; the flag is kept and shown (`e` in CLIENT LIST).
fn client_no_evict(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let on = on_off(args)?;
    ctx.session.client.info().no_evict = on;
    Ok(Reply::ok())
}

/// CLIENT NO-TOUCH on|off: this client's commands do not count as accesses of the keys they
/// read (shown as `T` in CLIENT LIST).
fn client_no_touch(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let on = on_off(args)?;
    ctx.session.client.info().no_touch = on;
    Ok(Reply::ok())
}

/// CLIENT REPLY ON|OFF|SKIP: send replies, send none, or skip the next command's. OFF and
/// SKIP are not answered themselves; SKIP changes nothing while replies are off.
fn client_reply(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let replies = &mut ctx.session.replies;
    match args.word()?.as_str() {
        "ON" => {
            *replies = Replies::On;
            return Ok(Reply::ok());
        }
        "OFF" => *replies = Replies::Off,
        "SKIP" if *replies != Replies::Off => *replies = Replies::SkipNext,
        "SKIP" => {}
        _ => return Err(Error::syntax()),
    }
    Ok(Reply::Several(Vec::new()))
}

fn client_help(_: &mut Ctx, _: &mut Args) -> Result<Reply> {
    Ok(super::help(
        "CLIENT",
        &[
            "GETNAME",
            "    Return the name of the current connection.",
            "ID",
            "    Return the ID of the current connection.",
            "INFO",
            "    Return information about the current client connection.",
            "KILL <ip:port>",
            "    Kill connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Kill connections. Options are:",
            "    * ADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made from the specified address",
            "    * LADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made to specified local address",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Kill connections by type.",
            "    * USER <username>",
            "      Kill connections authenticated by <username>.",
            "    * SKIPME (YES|NO)",
            "      Skip killing current connection (default: yes).",
            "    * ID <client-id>",
            "      Kill connections by client id.",
            "LIST [options ...]",
            "    Return information about client connections. Options:",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Return clients of specified type.",
            "    * ID <client-id> [<client-id> ...]",
            "      Return clients with the specified IDs.",
            "REPLY (ON|OFF|SKIP)",
            "    Control the replies sent to the current connection.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
            "SETINFO <option> <value>",
            "    Set client meta attr. Options are:",
            "    * LIB-NAME: the client lib name.",
            "    * LIB-VER: the client lib version.",
            "UNBLOCK <clientid> [TIMEOUT|ERROR]",
            "    Unblock the specified blocked client.",
            "NO-EVICT (ON|OFF)",
            "    Protect current client connection from eviction.",
            "NO-TOUCH (ON|OFF)",
            "    Will not touch LRU/LFU stats when this mode is on.",
        ],
    ))
}

/// CLIENT UNBLOCK client-id [TIMEOUT|ERROR]: ends the wait of a client blocked in BLPOP or
/// another blocking command, as if it had timed out (the default) or with an error. 1 if the
/// client was blocked, 0 otherwise.
fn client_unblock(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    if args.remaining() > 2 {
        return Err(args.subcommand_syntax_error("CLIENT"));
    }
    let id = args.int()?;
    let how = if args.is_empty() || args.eat("TIMEOUT") {
        Unblock::Timeout
    } else if args.eat("ERROR") {
        Unblock::Error
    } else {
        return Err(Error::reply(
            "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR",
        ));
    };
    let unblocked = u64::try_from(id).is_ok_and(|id| ctx.server.blocking.unblock(id, how));
    Ok(Reply::Int(unblocked as i64))
}

const CLIENT_SUBCOMMANDS: &[Command] = &[
    Command::new(
        "id",
        2,
        &[Noscript, Loading, Stale, NoDisk],
        &["@slow", "@connection"],
        NO_KEYS,
        client_id,
    ),
    Command::new(
        "getname",
        2,
        &[Noscript, Loading, Stale, NoDisk],
        &["@slow", "@connection"],
        NO_KEYS,
        client_getname,
    ),
    Command::new(
        "setname",
        3,
        &[Noscript, Loading, Stale, NoDisk],
        &["@slow", "@connection"],
        NO_KEYS,
        client_setname,
    ),
    Command::new(
        "setinfo",
        4,
        &[Noscript, Loading, Stale, NoDisk],
        &["@slow", "@connection"],
        NO_KEYS,
        client_setinfo,
    ),
    Command::new(
        "list",
        -2,
        &[Admin, Noscript, Loading, Stale, NoDisk],
        &["@admin", "@slow", "@dangerous", "@connection"],
        NO_KEYS,
        client_list,
    ),
    Command::new(
        "info",
        2,
        &[Noscript, Loading, Stale, NoDisk],
        &["@slow", "@connection"],
        NO_KEYS,
        client_info,
    ),
    Command::new(
        "kill",
        -3,
        &[Admin, Noscript, Loading, Stale, NoDisk],
        &["@admin", "@slow", "@dangerous", "@connection"],
        NO_KEYS,
        client_kill,
    ),
    Command::new(
        "unblock",
        -3,
        &[Admin, Noscript, Loading, Stale, NoDisk],
        &["@admin", "@slow", "@dangerous", "@connection"],
        NO_KEYS,
        client_unblock,
    ),
    Command::new(
        "reply",
        3,
        &[Noscript, Loading, Stale, NoDisk],
        &["@slow", "@connection"],
        NO_KEYS,
        client_reply,
    ),
    Command::new(
        "no-evict",
        3,
        &[Admin, Noscript, Loading, Stale, NoDisk],
        &["@admin", "@slow", "@dangerous", "@connection"],
        NO_KEYS,
        client_no_evict,
    ),
    Command::new(
        "no-touch",
        3,
        &[Noscript, Loading, Stale, NoDisk],
        &["@slow", "@connection"],
        NO_KEYS,
        client_no_touch,
    ),
    Command::new(
        "help",
        2,
        &[Loading, Stale, NoDisk],
        &["@slow", "@connection"],
        NO_KEYS,
        client_help,
    ),
];

pub const COMMANDS: &[Command] = &[
    Command::new(
        "ping",
        -1,
        &[Fast, NoDisk],
        &["@fast", "@connection"],
        NO_KEYS,
        ping,
    ),
    Command::new(
        "echo",
        2,
        &[Loading, Stale, Fast, NoDisk],
        &["@fast", "@connection"],
        NO_KEYS,
        echo,
    ),
    Command::new(
        "select",
        2,
        &[Loading, Stale, Fast, NoDisk],
        &["@fast", "@connection"],
        NO_KEYS,
        select,
    ),
    Command::new(
        "quit",
        -1,
        &[AllowBusy, Noscript, Loading, Stale, Fast, NoAuth, NoDisk],
        &["@fast", "@connection"],
        NO_KEYS,
        quit,
    ),
    Command::new(
        "auth",
        -2,
        &[Noscript, Loading, Stale, Fast, NoAuth, AllowBusy, NoDisk],
        &["@fast", "@connection"],
        NO_KEYS,
        auth,
    ),
    Command::new(
        "hello",
        -1,
        &[Noscript, Loading, Stale, Fast, NoAuth, AllowBusy, NoDisk],
        &["@fast", "@connection"],
        NO_KEYS,
        hello,
    ),
    Command::new(
        "reset",
        1,
        &[Noscript, Loading, Stale, Fast, NoAuth, AllowBusy, NoDisk],
        &["@fast", "@connection"],
        NO_KEYS,
        reset,
    ),
    Command {
        name: "client",
        arity: -2,
        flags: &[],
        acl: &["@slow"],
        keys: NO_KEYS,
        handler: super::container,
        subcommands: CLIENT_SUBCOMMANDS,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_names_are_printable_words() {
        assert!(is_printable_word(b"worker-1"));
        assert!(!is_printable_word(b"has space"));
        assert!(!is_printable_word(b"new\nline"));
        assert!(!is_printable_word("caf\u{e9}".as_bytes()));
    }
}
