//! Lua scripting: EVAL's script cache, FUNCTION's libraries, and the run in progress.
//!
//! A script runs on a disk thread with every key locked (EVAL and FCALL are exclusive
//! commands), so nothing interleaves with it. Its `redis.call`s go through the ordinary
//! dispatcher as EXEC's queued commands do. While it runs, [`Scripting::busy`] tells the
//! dispatcher when it has run past `lua-time-limit`, so that other clients are answered
//! `-BUSY` instead of waiting; SCRIPT KILL and SHUTDOWN NOSAVE stop it through the
//! interpreter's instruction-count hook.

pub mod functions;
mod lua;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bytes::Bytes;
use parking_lot::Mutex;

use crate::commands::{self, Flag, Outcome, Plan, Thread};
use crate::error::{Error, Result};
use crate::protocol::{Arg, Reply};
use crate::server::{Server, Session};

pub use functions::Functions;
pub use lua::Mode;
use lua::{Host, Interpreter};

pub const BUSY_EVAL: &str =
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
pub const BUSY_FUNCTION: &str =
    "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";
pub const NOSCRIPT: &str = "NOSCRIPT No matching script. Please use EVAL.";

/// The server's scripting state.
pub struct Scripting {
    eval: Mutex<ScriptCache>,
    pub functions: Mutex<Functions>,
    /// Libraries and functions loaded, for FUNCTION STATS while a function holds `functions`.
    function_counts: Mutex<(usize, usize)>,
    running: Mutex<Option<Running>>,
}

/// EVAL's interpreter and the scripts it has compiled, by SHA1.
struct ScriptCache {
    lua: Interpreter,
    scripts: HashMap<String, ScriptFlags>,
}

impl ScriptCache {
    fn new() -> ScriptCache {
        ScriptCache {
            lua: Interpreter::for_eval(),
            scripts: HashMap::new(),
        }
    }

    /// Compiles a script unless it is known; its SHA1 and flags.
    fn load(&mut self, body: &[u8]) -> Result<(String, ScriptFlags)> {
        let sha = sha1_hex(body);
        if let Some(flags) = self.scripts.get(&sha) {
            return Ok((sha, *flags));
        }
        let (flags, shebang) = ScriptFlags::from_shebang(body)?;
        // The shebang line is skipped but its newline kept, so line numbers stay right.
        self.lua
            .compile(&format!("f_{sha}"), c"@user_script", &body[shebang..])
            .map_err(|e| Error::new(format!("ERR Error compiling script (new function): {e}")))?;
        self.scripts.insert(sha.clone(), flags);
        Ok((sha, flags))
    }
}

/// A script's declared flags (`#!lua flags=no-writes,allow-oom`, or a function's flags).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScriptFlags {
    /// An EVAL script without a shebang: Redis 6 rules, any command allowed.
    pub compat: bool,
    pub no_writes: bool,
    pub allow_oom: bool,
    pub allow_stale: bool,
    pub no_cluster: bool,
    pub allow_cross_slot_keys: bool,
}

impl ScriptFlags {
    pub const NAMES: [&'static str; 5] = [
        "no-writes",
        "allow-oom",
        "allow-stale",
        "no-cluster",
        "allow-cross-slot-keys",
    ];

    /// Sets the flag called `name`; false if there is none.
    pub fn set(&mut self, name: &str) -> bool {
        let flag = match name {
            "no-writes" => &mut self.no_writes,
            "allow-oom" => &mut self.allow_oom,
            "allow-stale" => &mut self.allow_stale,
            "no-cluster" => &mut self.no_cluster,
            "allow-cross-slot-keys" => &mut self.allow_cross_slot_keys,
            _ => return false,
        };
        *flag = true;
        true
    }

    /// The names of the flags set, as FUNCTION LIST reports them.
    pub fn names(&self) -> Vec<&'static str> {
        let set = [
            self.no_writes,
            self.allow_oom,
            self.allow_stale,
            self.no_cluster,
            self.allow_cross_slot_keys,
        ];
        Self::NAMES
            .iter()
            .zip(set)
            .filter(|(_, on)| *on)
            .map(|(name, _)| *name)
            .collect()
    }

    /// An EVAL script's flags from its `#!lua` line (Redis's `evalExtractShebangFlags`),
    /// and the length of that line.
    fn from_shebang(body: &[u8]) -> Result<(ScriptFlags, usize)> {
        if !body.starts_with(b"#!") {
            return Ok((
                ScriptFlags {
                    compat: true,
                    ..Default::default()
                },
                0,
            ));
        }
        let Some(end) = body.iter().position(|&b| b == b'\n') else {
            return Err(Error::reply("ERR Invalid script shebang"));
        };
        let line = String::from_utf8_lossy(&body[..end]);
        let mut parts = line.split_ascii_whitespace();
        let engine = parts.next().unwrap_or_default();
        if engine != "#!lua" {
            return Err(Error::new(format!(
                "ERR Unexpected engine in script shebang: {engine}"
            )));
        }
        let mut flags = ScriptFlags::default();
        for part in parts {
            let Some(names) = part.strip_prefix("flags=") else {
                return Err(Error::new(format!(
                    "ERR Unknown lua shebang option: {part}"
                )));
            };
            for name in names.split(',').filter(|n| !n.is_empty()) {
                if !flags.set(name) {
                    return Err(Error::new(format!(
                        "ERR Unexpected flag in script shebang: {name}"
                    )));
                }
            }
        }
        Ok((flags, end))
    }
}

/// The script in progress.
struct Running {
    mode: Mode,
    /// The function's name (`f_<sha>` for EVAL) and the command that runs it (its name in
    /// lower case, as clients usually type it: FUNCTION STATS shows it).
    name: String,
    command: Vec<Bytes>,
    started: Instant,
    /// It has run a write command: SCRIPT KILL refuses.
    wrote: bool,
    /// SCRIPT KILL or SHUTDOWN NOSAVE asked it to stop.
    killed: bool,
    /// SHUTDOWN NOSAVE stopped it: its client gets no reply, as the server goes away.
    aborted: bool,
}

/// What to run: EVAL's body or EVALSHA's digest, or a function by name.
pub enum Target {
    Body(Bytes),
    Sha(Bytes),
    Function(Bytes),
}

/// A script's invocation, ready to run.
pub struct Invocation {
    pub target: Target,
    pub keys: Vec<Bytes>,
    pub args: Vec<Bytes>,
    /// EVAL_RO, EVALSHA_RO, FCALL_RO.
    pub read_only: bool,
}

impl Default for Scripting {
    fn default() -> Self {
        Scripting {
            eval: Mutex::new(ScriptCache::new()),
            functions: Mutex::new(Functions::default()),
            function_counts: Mutex::new((0, 0)),
            running: Mutex::new(None),
        }
    }
}

impl Scripting {
    /// SCRIPT LOAD: compiles a script into the cache; its SHA1.
    pub fn load(&self, body: &[u8]) -> Result<String> {
        Ok(self.eval.lock().load(body)?.0)
    }

    /// SCRIPT EXISTS.
    pub fn exists(&self, sha: &[u8]) -> bool {
        let sha = String::from_utf8_lossy(sha).to_ascii_lowercase();
        self.eval.lock().scripts.contains_key(&sha)
    }

    /// SCRIPT FLUSH: a fresh interpreter, no scripts.
    pub fn flush(&self) {
        *self.eval.lock() = ScriptCache::new();
    }

    /// The memory of EVAL's interpreter and the number of cached scripts (INFO), when no
    /// script holds the interpreter.
    pub fn eval_memory(&self) -> Option<(i64, usize)> {
        let eval = self.eval.try_lock()?;
        Some((eval.lua.memory(), eval.scripts.len()))
    }

    /// Runs a script or function for `session` (EVAL, EVALSHA, FCALL and their _RO forms).
    pub fn run(&self, server: &Server, session: &mut Session, call: Invocation) -> Result<Reply> {
        // The interpreter stays locked for the run; `shown` names the script in errors.
        let (mut eval, mut functions);
        let (lua, mode, registry_name, shown, flags) = match &call.target {
            Target::Body(body) => {
                eval = self.eval.lock();
                let (sha, flags) = eval.load(body)?;
                (&mut eval.lua, Mode::Eval, format!("f_{sha}"), sha, flags)
            }
            Target::Sha(sha) => {
                eval = self.eval.lock();
                let sha = String::from_utf8_lossy(sha).to_ascii_lowercase();
                let flags = *eval.scripts.get(&sha).ok_or(Error::reply(NOSCRIPT))?;
                (&mut eval.lua, Mode::Eval, format!("f_{sha}"), sha, flags)
            }
            Target::Function(name) => {
                functions = self.functions.lock();
                let (registry_name, flags) = functions.find(name)?;
                let shown = String::from_utf8_lossy(name).into_owned();
                (
                    functions.interpreter(),
                    Mode::Function,
                    registry_name,
                    shown,
                    flags,
                )
            }
        };
        let read_only = check_write_flag(flags, call.read_only)?;
        let running = Running::new(mode, shown.clone(), &call);
        Ok(self.with_host(server, session, running, read_only, |host| {
            lua.call(host, mode, &registry_name, &shown, &call.keys, &call.args)
        }))
    }

    /// Runs `body` as the script in progress, with a host serving its calls.
    fn with_host(
        &self,
        server: &Server,
        session: &mut Session,
        running: Running,
        read_only: bool,
        body: impl FnOnce(&mut dyn Host) -> Reply,
    ) -> Reply {
        *self.running.lock() = Some(running);
        let mut host = ScriptHost {
            server,
            db: session.db,
            session,
            resp: 2,
            read_only,
            running: &self.running,
        };
        let reply = body(&mut host);
        let finished = self.running.lock().take();
        if finished.is_some_and(|r| r.aborted) {
            session.close = Some(crate::server::Close::Now);
        }
        reply
    }

    /// Whether a script has run past `limit`: other clients' commands are then refused with
    /// the error returned.
    /// A zero limit never makes a script busy, as in Redis.
    pub fn busy(&self, limit: Duration) -> Option<&'static str> {
        if limit.is_zero() {
            return None;
        }
        let running = self.running.lock();
        let running = running.as_ref()?;
        (running.started.elapsed() >= limit).then_some(match running.mode {
            Mode::Eval => BUSY_EVAL,
            Mode::Function => BUSY_FUNCTION,
        })
    }

    /// SCRIPT KILL (`mode` Eval) and FUNCTION KILL (Function).
    pub fn kill(&self, mode: Mode) -> Result<Reply> {
        let mut running = self.running.lock();
        let Some(running) = running.as_mut() else {
            return Err(Error::reply("NOTBUSY No scripts in execution right now."));
        };
        if running.wrote {
            return Err(Error::reply("UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command."));
        }
        match (mode, running.mode) {
            (Mode::Eval, Mode::Function) => Err(Error::reply(BUSY_FUNCTION)),
            (Mode::Function, Mode::Eval) => Err(Error::reply(BUSY_EVAL)),
            _ => {
                running.killed = true;
                Ok(Reply::ok())
            }
        }
    }

    /// Notes the number of libraries and functions after FUNCTION LOAD, DELETE or FLUSH.
    pub fn functions_changed(&self) {
        *self.function_counts.lock() = self.functions.lock().counts();
    }

    /// Loads the libraries kept in the data directory, and keeps later changes there.
    pub fn open_functions(&self, store: &crate::store::Store) -> std::io::Result<()> {
        let always = store.fsync_always();
        self.functions
            .lock()
            .open(store.root(), store.tmp_dir(), always)?;
        self.functions_changed();
        Ok(())
    }

    /// FUNCTION STATS.
    pub fn stats(&self) -> Result<Reply> {
        let running = self.running.lock();
        let running_script = match running.as_ref() {
            Some(r) if r.mode == Mode::Eval => return Err(Error::reply(BUSY_EVAL)),
            Some(r) => Reply::Map(vec![
                (Reply::bulk("name"), Reply::bulk(r.name.clone())),
                (
                    Reply::bulk("command"),
                    Reply::Array(r.command.iter().cloned().map(Reply::Bulk).collect()),
                ),
                (
                    Reply::bulk("duration_ms"),
                    Reply::Int(r.started.elapsed().as_millis() as i64),
                ),
            ]),
            None => Reply::Nil,
        };
        let (libraries, functions) = *self.function_counts.lock();
        let lua = Reply::Map(vec![
            (Reply::bulk("libraries_count"), Reply::Int(libraries as i64)),
            (Reply::bulk("functions_count"), Reply::Int(functions as i64)),
        ]);
        Ok(Reply::Map(vec![
            (Reply::bulk("running_script"), running_script),
            (
                Reply::bulk("engines"),
                Reply::Map(vec![(Reply::bulk("LUA"), lua)]),
            ),
        ]))
    }

    /// SHUTDOWN NOSAVE: stops the script in progress even if it wrote.
    pub fn abort(&self) {
        if let Some(running) = self.running.lock().as_mut() {
            running.killed = true;
            running.aborted = true;
        }
    }
}

impl Running {
    fn new(mode: Mode, name: String, call: &Invocation) -> Running {
        let (command, target) = match (&call.target, call.read_only) {
            (Target::Body(body), false) => ("eval", body),
            (Target::Body(body), true) => ("eval_ro", body),
            (Target::Sha(sha), false) => ("evalsha", sha),
            (Target::Sha(sha), true) => ("evalsha_ro", sha),
            (Target::Function(name), false) => ("fcall", name),
            (Target::Function(name), true) => ("fcall_ro", name),
        };
        let mut argv = vec![Bytes::from_static(command.as_bytes()), target.clone()];
        argv.push(call.keys.len().to_string().into());
        argv.extend(call.keys.iter().chain(&call.args).cloned());
        Running {
            mode,
            name,
            command: argv,
            started: Instant::now(),
            wrote: false,
            killed: false,
            aborted: false,
        }
    }
}

/// Whether a run is read-only; refuses a script that may write under a _RO command.
fn check_write_flag(flags: ScriptFlags, read_only_command: bool) -> Result<bool> {
    if !flags.compat && !flags.no_writes && read_only_command {
        return Err(Error::reply(
            "ERR Can not execute a script with write flag using *_ro command.",
        ));
    }
    Ok(read_only_command || (!flags.compat && flags.no_writes))
}

/// Serves a script's calls: each runs through the dispatcher as a command of the calling
/// client, in the script's own database and protocol.
struct ScriptHost<'a> {
    server: &'a Server,
    session: &'a mut Session,
    /// The script's database (SELECT in a script changes it, not the caller's).
    db: usize,
    resp: u8,
    read_only: bool,
    running: &'a Mutex<Option<Running>>,
}

impl Host for ScriptHost<'_> {
    fn call(&mut self, argv: Vec<Bytes>) -> std::result::Result<Reply, String> {
        let argv: Vec<Arg> = argv.into_iter().map(Arg::Bytes).collect();
        let (command, full_name) = match commands::plan(&argv) {
            Plan::Run { command, full_name } => (command, full_name),
            Plan::Reject(_, Some(_)) => {
                return Err("Wrong number of args calling Redis command from script".into())
            }
            Plan::Reject(_, None) => return Err("Unknown Redis command called from script".into()),
        };
        if command.has(Flag::Noscript) {
            return Err("This Redis command is not allowed from script".into());
        }
        commands::acl::permit(self.server, self.session, command, full_name, &argv)
            .map_err(|refused| format!("ACL failure in script: {}", refused.message))?;
        if command.has(Flag::Write) {
            if self.read_only {
                return Err("Write commands are not allowed from read-only scripts.".into());
            }
            if let Some(running) = self.running.lock().as_mut() {
                running.wrote = true;
            }
        }
        let session = &mut *self.session;
        let caller = (session.db, session.resp, session.in_transaction);
        session.db = self.db;
        session.resp = self.resp;
        session.in_transaction = true;
        session.in_script = true;
        let outcome = commands::run(self.server, session, argv, Thread::Disk);
        self.db = session.db;
        (session.db, session.resp, session.in_transaction) = caller;
        session.in_script = false;
        match outcome {
            Outcome::Reply(reply) => Ok(reply),
            Outcome::NeedsDisk(_) | Outcome::Block(_) => {
                unreachable!("inside a script, commands run on a disk thread and never block")
            }
        }
    }

    fn permitted(&mut self, argv: &[Bytes]) -> Option<bool> {
        let (command, full_name) = commands::acl::resolve(argv)?;
        let argv: Vec<Arg> = argv.iter().cloned().map(Arg::Bytes).collect();
        let user = self.server.acl.user(&self.session.user)?;
        Some(user.check(command, full_name, &argv).is_ok())
    }

    fn interrupted(&mut self) -> bool {
        self.running.lock().as_ref().is_some_and(|r| r.killed)
    }

    fn set_resp(&mut self, resp: u8) {
        self.resp = resp;
    }

    fn resp(&self) -> u8 {
        self.resp
    }
}

/// SHA1 in lower-case hex, as script digests are written.
pub fn sha1_hex(data: &[u8]) -> String {
    use sha1::{Digest, Sha1};
    Sha1::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
