//! The Lua interpreter scripts run on, and Redis's rules between Lua values and replies.
//!
//! This is a port of Redis's `script_lua.c` onto the raw Lua C API (through `mlua::ffi`):
//! scripts must see exactly what they see in Redis, and much of that is how errors travel (a
//! `redis.call` error is a Lua error whose value is a table `{err=...}`, found again by the
//! error handler with the script's line). The interpreter is Redis's own Lua 5.1 (built from
//! `vendor/lua` by build.rs) because its sandbox rests on Redis's read-only tables.
//!
//! Functions called from Lua reach the server through the [`Host`] of the run in progress,
//! set for the duration of [`Interpreter::call`]. No Rust value with a destructor is alive
//! where these functions raise a Lua error (a `longjmp`).

use std::cell::Cell;
use std::ffi::{c_char, c_int, CStr};
use std::ptr;

use bytes::Bytes;
use mlua::ffi::{self, lua_State};

use crate::protocol::Reply;

extern "C" {
    // Redis's additions to Lua 5.1, and the libraries it ships (vendor/lua).
    fn lua_enablereadonlytable(state: *mut lua_State, index: c_int, enabled: c_int);
    fn lua_isreadonlytable(state: *mut lua_State, index: c_int) -> c_int;
    fn snprintf(buf: *mut c_char, size: usize, format: *const c_char, ...) -> c_int;
}

extern "C-unwind" {
    fn luaopen_cjson(state: *mut lua_State) -> c_int;
    fn luaopen_struct(state: *mut lua_State) -> c_int;
    fn luaopen_cmsgpack(state: *mut lua_State) -> c_int;
    fn luaopen_bit(state: *mut lua_State) -> c_int;
}

/// What a running script reaches the server through.
pub trait Host {
    /// Runs a command for `redis.call`/`redis.pcall`. `Err` is a refusal before the command
    /// ran (unknown command, a write in a read-only script...), a message without a code.
    fn call(&mut self, argv: Vec<Bytes>) -> Result<Reply, String>;
    /// `redis.acl_check_cmd`: whether the script's user may run the command (None: no such
    /// command).
    fn permitted(&mut self, argv: &[Bytes]) -> Option<bool>;
    /// Whether the script must stop now (SCRIPT KILL, SHUTDOWN NOSAVE); asked every
    /// [`HOOK_EVERY`] instructions.
    fn interrupted(&mut self) -> bool;
    /// The protocol of the script's replies to Lua (`redis.setresp`).
    fn set_resp(&mut self, resp: u8);
    fn resp(&self) -> u8;
}

/// How deep a script's reply may nest (Redis's limit is Lua's stack, about as deep).
const MAX_REPLY_DEPTH: usize = 1000;

/// How many Lua instructions run between two looks at [`Host::interrupted`], as Redis.
const HOOK_EVERY: c_int = 100_000;

thread_local! {
    /// The host of the run in progress on this thread.
    static HOST: Cell<Option<*mut dyn Host>> = const { Cell::new(None) };
}

/// The globals a script may define at load time, from Redis's allow lists.
const ALLOWED_GLOBALS: &[&str] = &[
    "string",
    "cjson",
    "bit",
    "cmsgpack",
    "math",
    "table",
    "struct",
    "redis",
    "__redis__err__handler",
    "xpcall",
    "tostring",
    "setmetatable",
    "next",
    "assert",
    "tonumber",
    "rawequal",
    "collectgarbage",
    "getmetatable",
    "rawset",
    "pcall",
    "coroutine",
    "type",
    "_G",
    "select",
    "unpack",
    "gcinfo",
    "pairs",
    "rawget",
    "loadstring",
    "ipairs",
    "_VERSION",
    "load",
    "error",
    "debug",
];

/// The globals left out without a warning: Redis's deny list, and the environment functions
/// that the reference (Redis 7.0.15) does not offer either.
const DENIED_GLOBALS: &[&str] = &[
    "dofile", "loadfile", "print", "getfenv", "setfenv", "newproxy",
];

/// Where each interpreter keeps its error handler, in the registry.
const ERROR_HANDLER_KEY: &CStr = c"__ERROR_HANDLER__";
/// The functions interpreter's real globals, and what its library code sees while loading.
const GLOBALS_KEY: &CStr = c"__GLOBALS__";
const LIBRARY_API_KEY: &CStr = c"__LIBRARY_API__";

/// Redis's error handler for script runs: turns any error into `{err=...}` and notes where it
/// happened (the caller's line when the error came from a C function such as redis.call).
/// The chunk returns it; EVAL's interpreter also makes it the global `__redis__err__handler`.
const ERROR_HANDLER: &str = "local dbg = debug
debug = nil
local error_handler = function (err)
  local i = dbg.getinfo(2,'nSl')
  if i and i.what == 'C' then
    i = dbg.getinfo(3,'nSl')
  end
  if type(err) ~= 'table' then
    err = {err='ERR ' .. tostring(err)}  end  if i then
    err['source'] = i.source
    err['line'] = i.currentline
  end  return err
end
return error_handler";

/// How long a library's code may run while it registers its functions, as Redis.
const LOAD_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(500);

/// A function a library registered while loading (`redis.register_function`).
pub struct Registered {
    pub name: String,
    pub description: Option<Bytes>,
    pub flags: super::ScriptFlags,
    /// The callback, held by a registry reference until installed or released.
    reference: c_int,
}

thread_local! {
    /// The functions registered by the library loading on this thread, and when it started.
    static LOADING: std::cell::RefCell<Option<(std::time::Instant, Vec<Registered>)>> =
        const { std::cell::RefCell::new(None) };
}

/// The engine a run belongs to: error texts and how arguments are passed differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// EVAL: KEYS and ARGV are globals.
    Eval,
    /// FCALL: keys and arguments are the function's two parameters.
    Function,
}

/// One Lua state, set up as Redis sets up its own.
pub struct Interpreter {
    /// Owns the state.
    _lua: mlua::Lua,
    state: *mut lua_State,
    calls: u32,
}

// The state is only used under the scripting engine's mutex.
unsafe impl Send for Interpreter {}

impl Interpreter {
    /// A state for EVAL scripts: the libraries, the `redis` table, the error handler, then
    /// the globals locked.
    pub fn for_eval() -> Interpreter {
        let interpreter = Interpreter::bare();
        let state = interpreter.state;
        unsafe {
            register_redis_api(state);
            let redis = c"redis".as_ptr();
            ffi::lua_getglobal(state, redis);
            set_function(state, c"replicate_commands", replicate_commands);
            set_function(state, c"breakpoint", return_false);
            set_function(state, c"debug", return_nothing);
            ffi::lua_setglobal(state, redis);
            push_error_handler(state);
            ffi::lua_setglobal(state, c"__redis__err__handler".as_ptr());
            lock_globals(state);
        }
        interpreter
    }

    /// A state for FUNCTION libraries (Redis's `luaEngineInitEngine`): the globals scripts
    /// see are an empty locked table over the real ones, and while a library loads its code
    /// sees only `redis.register_function`, `redis.log` and the version.
    pub fn for_functions() -> Interpreter {
        let interpreter = Interpreter::bare();
        let state = interpreter.state;
        unsafe {
            register_redis_api(state);
            // The library API: { redis = { register_function, log, LOG_*, versions } }.
            ffi::lua_createtable(state, 0, 1);
            ffi::lua_createtable(state, 0, 8);
            set_function(state, c"register_function", register_function);
            set_function(state, c"log", redis_log);
            set_log_levels(state);
            set_version(state);
            set_missing_global_metatable(state);
            ffi::lua_setfield(state, -2, c"redis".as_ptr());
            set_missing_global_metatable(state);
            protect_recursively(state);
            ffi::lua_setfield(state, ffi::LUA_REGISTRYINDEX, LIBRARY_API_KEY.as_ptr());

            push_error_handler(state);
            ffi::lua_settop(state, -2);

            ffi::lua_pushvalue(state, ffi::LUA_GLOBALSINDEX);
            set_missing_global_metatable(state);
            protect_recursively(state);
            ffi::lua_setfield(state, ffi::LUA_REGISTRYINDEX, GLOBALS_KEY.as_ptr());

            // New, empty globals that read through to the real ones.
            ffi::lua_createtable(state, 0, 0);
            ffi::lua_createtable(state, 0, 1);
            ffi::lua_pushvalue(state, ffi::LUA_GLOBALSINDEX);
            ffi::lua_setfield(state, -2, c"__index".as_ptr());
            lua_enablereadonlytable(state, -1, 1);
            ffi::lua_setmetatable(state, -2);
            lua_enablereadonlytable(state, -1, 1);
            ffi::lua_replace(state, ffi::LUA_GLOBALSINDEX);
            protect_basic_types(state);
        }
        interpreter
    }

    /// Runs a library's code so that it registers its functions (Redis's `luaEngineCreate`);
    /// on error, the text after `ERR `.
    pub fn load_library(&mut self, code: &[u8]) -> Result<Vec<Registered>, String> {
        let state = self.state;
        unsafe {
            ffi::lua_settop(state, 0);
            set_globals_index(state, LIBRARY_API_KEY);
            let result = if ffi::luaL_loadbuffer(
                state,
                code.as_ptr().cast(),
                code.len(),
                c"@user_function".as_ptr(),
            ) != 0
            {
                Err(format!(
                    "Error compiling function: {}",
                    string_at(state, -1)
                ))
            } else {
                LOADING.with(|l| *l.borrow_mut() = Some((std::time::Instant::now(), Vec::new())));
                ffi::lua_sethook(
                    state,
                    Some(load_timeout_hook),
                    ffi::LUA_MASKCOUNT,
                    HOOK_EVERY,
                );
                let failed = ffi::lua_pcall(state, 0, 0, 0) != 0;
                ffi::lua_sethook(state, None, 0, 0);
                let registered = LOADING.with(|l| l.borrow_mut().take()).map(|(_, r)| r);
                let registered = registered.unwrap_or_default();
                if failed {
                    let message = error_message(state);
                    for function in registered {
                        self.release(function);
                    }
                    Err(format!("Error registering functions: {message}"))
                } else {
                    Ok(registered)
                }
            };
            set_globals_index(state, GLOBALS_KEY);
            ffi::lua_settop(state, 0);
            result
        }
    }

    /// Stores a registered function in the registry under `name`, for [`Interpreter::call`].
    pub fn install(&mut self, function: &Registered, name: &str) {
        let name = std::ffi::CString::new(name).expect("function names have no NUL");
        unsafe {
            ffi::lua_rawgeti(self.state, ffi::LUA_REGISTRYINDEX, function.reference as _);
            ffi::lua_setfield(self.state, ffi::LUA_REGISTRYINDEX, name.as_ptr());
        }
    }

    /// Drops a registered function's reference.
    pub fn release(&mut self, function: Registered) {
        unsafe { ffi::luaL_unref(self.state, ffi::LUA_REGISTRYINDEX, function.reference) }
    }

    /// Removes the registry's function `name`.
    pub fn remove(&mut self, name: &str) {
        let name = std::ffi::CString::new(name).expect("function names have no NUL");
        unsafe {
            ffi::lua_pushnil(self.state);
            ffi::lua_setfield(self.state, ffi::LUA_REGISTRYINDEX, name.as_ptr());
        }
    }

    /// A state with nothing but the allow-list protection of its globals: the caller adds
    /// the libraries (see `functions`).
    pub fn bare() -> Interpreter {
        // SAFETY: the state gets only the libraries Redis loads; C modules cannot be
        // loaded as `package` is absent.
        let lua = unsafe { mlua::Lua::unsafe_new_with(mlua::StdLib::NONE, Default::default()) };
        let mut state = ptr::null_mut();
        // SAFETY: the closure only reads the state pointer, which lives as long as `lua`.
        unsafe {
            let _ = lua.exec_raw::<()>((), |s| state = s);
            clear_globals(state);
        }
        Interpreter {
            _lua: lua,
            state,
            calls: 0,
        }
    }

    /// Compiles `body` under `chunk` (`@user_script`) and stores the function in the
    /// registry as `name`; on error, Lua's message.
    pub fn compile(&mut self, name: &str, chunk: &CStr, body: &[u8]) -> Result<(), String> {
        let state = self.state;
        unsafe {
            if ffi::luaL_loadbuffer(state, body.as_ptr().cast(), body.len(), chunk.as_ptr()) != 0 {
                let message = string_at(state, -1);
                ffi::lua_settop(state, 0);
                return Err(message);
            }
            let name = std::ffi::CString::new(name).expect("function names have no NUL");
            ffi::lua_setfield(state, ffi::LUA_REGISTRYINDEX, name.as_ptr());
        }
        Ok(())
    }

    /// Runs the registry's function `name` (`shown` in error texts: `f_<sha>` or the
    /// function's name) with `host` serving its calls; the reply is what Redis would send.
    pub fn call(
        &mut self,
        host: &mut dyn Host,
        mode: Mode,
        name: &str,
        shown: &str,
        keys: &[Bytes],
        args: &[Bytes],
    ) -> Reply {
        let state = self.state;
        let name = std::ffi::CString::new(name).expect("function names have no NUL");
        // SAFETY: the host pointer is only used while `host` is borrowed here; the guard
        // clears it before this function returns.
        let host: *mut (dyn Host + '_) = host;
        let host: *mut (dyn Host + 'static) = unsafe { std::mem::transmute(host) };
        let _host = HostGuard::set(host);
        unsafe {
            ffi::lua_settop(state, 0);
            ffi::lua_getfield(state, ffi::LUA_REGISTRYINDEX, ERROR_HANDLER_KEY.as_ptr());
            ffi::lua_getfield(state, ffi::LUA_REGISTRYINDEX, name.as_ptr());
            ffi::lua_sethook(state, Some(interrupt_hook), ffi::LUA_MASKCOUNT, HOOK_EVERY);
            push_array(state, keys);
            if mode == Mode::Eval {
                set_global_unlocked(state, c"KEYS");
            }
            push_array(state, args);
            let failed = if mode == Mode::Eval {
                set_global_unlocked(state, c"ARGV");
                ffi::lua_pcall(state, 0, 1, -2)
            } else {
                ffi::lua_pcall(state, 2, 1, -4)
            };
            self.calls += 1;
            if self.calls == 50 {
                ffi::lua_gc(state, ffi::LUA_GCSTEP, 50);
                self.calls = 0;
            }
            let reply = if failed != 0 {
                error_reply(state, shown)
            } else {
                let resp = (*host).resp();
                to_reply(state, resp, 0)
            };
            ffi::lua_sethook(state, None, 0, 0);
            ffi::lua_settop(state, 0);
            reply
        }
    }

    /// Lua's memory in bytes.
    pub fn memory(&self) -> i64 {
        unsafe { i64::from(ffi::lua_gc(self.state, ffi::LUA_GCCOUNT, 0)) * 1024 }
    }
}

/// Sets the thread's host for a run and clears it after, even on a panic.
struct HostGuard;

impl HostGuard {
    fn set(host: *mut dyn Host) -> HostGuard {
        HOST.with(|h| h.set(Some(host)));
        HostGuard
    }
}

impl Drop for HostGuard {
    fn drop(&mut self) {
        HOST.with(|h| h.set(None));
    }
}

fn host() -> Option<*mut dyn Host> {
    HOST.with(|h| h.get())
}

/// The reply for a run that raised an error: `{err=..., source=..., line=...}` as the error
/// handler left it, or a bare value when something bypassed the handler.
unsafe fn error_reply(state: *mut lua_State, shown: &str) -> Reply {
    if ffi::lua_istable(state, -1) == 0 {
        let message = if ffi::lua_isstring(state, -1) != 0 {
            string_at(state, -1)
        } else {
            "execution failure".to_string()
        };
        let message: String = message.chars().take(100).collect();
        return Reply::Error(format!("ERR Error running script {shown}, {message}").into());
    }
    let field = |name: &CStr| {
        ffi::lua_getfield(state, -1, name.as_ptr());
        let value = (ffi::lua_isstring(state, -1) != 0).then(|| string_at(state, -1));
        ffi::lua_settop(state, -2);
        value
    };
    let message = field(c"err").unwrap_or_default();
    let mut text = message;
    if let (Some(source), Some(line)) = (field(c"source"), field(c"line")) {
        text.push_str(&format!(" script: {shown}, on {source}:{line}."));
    }
    Reply::Error(text.replace(['\r', '\n'], " ").into())
}

/// Converts the value on top of the stack into a reply (Redis's `luaReplyToRedisReply`),
/// `resp` being the protocol the script chose with `redis.setresp`.
unsafe fn to_reply(state: *mut lua_State, resp: u8, depth: usize) -> Reply {
    // Redis stops where Lua's stack ends; a table that contains itself stops here, before
    // the thread's own stack would.
    if depth > MAX_REPLY_DEPTH || ffi::lua_checkstack(state, 4) == 0 {
        ffi::lua_settop(state, -2);
        return Reply::Error("ERR reached lua stack limit".into());
    }
    let reply = match ffi::lua_type(state, -1) {
        ffi::LUA_TSTRING => Reply::Bulk(bytes_at(state, -1)),
        ffi::LUA_TBOOLEAN => {
            let value = ffi::lua_toboolean(state, -1) != 0;
            match (resp, value) {
                (2, true) => Reply::Int(1),
                (2, false) => Reply::Nil,
                _ => Reply::Bool(value),
            }
        }
        ffi::LUA_TNUMBER => Reply::Int(ffi::lua_tonumber(state, -1) as i64),
        ffi::LUA_TTABLE => table_to_reply(state, resp, depth + 1),
        _ => Reply::Nil,
    };
    ffi::lua_settop(state, -2);
    reply
}

/// A table: an error, a status, one of the RESP3 shapes, or an array up to its first nil.
unsafe fn table_to_reply(state: *mut lua_State, resp: u8, depth: usize) -> Reply {
    let field_type = |name: &CStr| {
        ffi::lua_pushstring(state, name.as_ptr());
        ffi::lua_rawget(state, -2);
        ffi::lua_type(state, -1)
    };
    if field_type(c"err") == ffi::LUA_TSTRING {
        let message = string_at(state, -1);
        ffi::lua_settop(state, -2);
        return Reply::Error(message.replace(['\r', '\n'], " ").into());
    }
    ffi::lua_settop(state, -2);
    if field_type(c"ok") == ffi::LUA_TSTRING {
        let status = string_at(state, -1).replace(['\r', '\n'], " ");
        ffi::lua_settop(state, -2);
        return Reply::Status(status.into());
    }
    ffi::lua_settop(state, -2);
    if field_type(c"double") == ffi::LUA_TNUMBER {
        let value = ffi::lua_tonumber(state, -1);
        ffi::lua_settop(state, -2);
        return Reply::Double(value);
    }
    ffi::lua_settop(state, -2);
    if field_type(c"big_number") == ffi::LUA_TSTRING {
        let digits = string_at(state, -1).replace(['\r', '\n'], " ");
        ffi::lua_settop(state, -2);
        return Reply::BigNumber(digits.into());
    }
    ffi::lua_settop(state, -2);
    if field_type(c"verbatim_string") == ffi::LUA_TTABLE {
        ffi::lua_getfield(state, -1, c"string".as_ptr());
        let text = (ffi::lua_type(state, -1) == ffi::LUA_TSTRING).then(|| bytes_at(state, -1));
        ffi::lua_settop(state, -3);
        if let Some(text) = text {
            return Reply::Verbatim(text);
        }
    } else {
        ffi::lua_settop(state, -2);
    }
    if field_type(c"map") == ffi::LUA_TTABLE {
        let mut pairs = Vec::new();
        ffi::lua_pushnil(state);
        while ffi::lua_next(state, -2) != 0 {
            ffi::lua_pushvalue(state, -2);
            let key = to_reply(state, resp, depth);
            let value = to_reply(state, resp, depth);
            pairs.push((key, value));
        }
        ffi::lua_settop(state, -2);
        return Reply::Map(pairs);
    }
    ffi::lua_settop(state, -2);
    if field_type(c"set") == ffi::LUA_TTABLE {
        let mut members = Vec::new();
        ffi::lua_pushnil(state);
        while ffi::lua_next(state, -2) != 0 {
            ffi::lua_settop(state, -2);
            ffi::lua_pushvalue(state, -1);
            members.push(to_reply(state, resp, depth));
        }
        ffi::lua_settop(state, -2);
        return Reply::Set(members);
    }
    ffi::lua_settop(state, -2);
    let mut items = Vec::new();
    for i in 1.. {
        ffi::lua_pushnumber(state, f64::from(i));
        ffi::lua_rawget(state, -2);
        if ffi::lua_type(state, -1) == ffi::LUA_TNIL {
            ffi::lua_settop(state, -2);
            break;
        }
        items.push(to_reply(state, resp, depth));
    }
    Reply::Array(items)
}

/// Pushes a command's reply as Lua sees it (Redis's `redisProtocolToLuaType`), in the
/// protocol the script chose: an error becomes `{err=...}` (and is reported as one).
unsafe fn push_reply(state: *mut lua_State, reply: Reply, resp: u8) -> bool {
    // Redis panics here; a reply nested thousands deep is cut short instead.
    if ffi::lua_checkstack(state, 4) == 0 {
        ffi::lua_pushnil(state);
        return false;
    }
    let resp3 = resp == 3;
    match reply {
        Reply::Status(s) => push_single_field(state, c"ok", s.as_bytes()),
        Reply::Error(e) => {
            // The reply carries its own code.
            push_error(state, &format!("-{e}"));
            ffi::lua_pushboolean(state, 1);
            ffi::lua_setfield(state, -2, c"ignore_error_stats_update".as_ptr());
            return true;
        }
        Reply::Int(n) => ffi::lua_pushnumber(state, n as f64),
        Reply::Bulk(b) | Reply::Verbatim(b) if !resp3 => push_bytes(state, &b),
        Reply::Bulk(b) => push_bytes(state, &b),
        Reply::Verbatim(b) => {
            ffi::lua_createtable(state, 0, 1);
            ffi::lua_createtable(state, 0, 2);
            push_bytes(state, &b);
            ffi::lua_setfield(state, -2, c"string".as_ptr());
            push_bytes(state, b"txt");
            ffi::lua_setfield(state, -2, c"format".as_ptr());
            ffi::lua_setfield(state, -2, c"verbatim_string".as_ptr());
        }
        Reply::Stored(value) => match value.read_all() {
            Ok(bytes) => push_bytes(state, &bytes),
            Err(e) => {
                push_error(state, &format!("ERR I/O error on the data directory: {e}"));
                return true;
            }
        },
        Reply::Nil | Reply::NilArray if resp3 => ffi::lua_pushnil(state),
        Reply::Nil | Reply::NilArray => ffi::lua_pushboolean(state, 0),
        Reply::Bool(b) if resp3 => ffi::lua_pushboolean(state, c_int::from(b)),
        Reply::Bool(b) => ffi::lua_pushnumber(state, if b { 1.0 } else { 0.0 }),
        Reply::Double(d) if resp3 => {
            ffi::lua_createtable(state, 0, 1);
            ffi::lua_pushnumber(state, d);
            ffi::lua_setfield(state, -2, c"double".as_ptr());
        }
        Reply::Double(d) => push_bytes(state, crate::number::format_f64(d).as_bytes()),
        Reply::BigNumber(n) if resp3 => push_single_field(state, c"big_number", &n),
        Reply::BigNumber(n) => push_bytes(state, &n),
        Reply::Map(pairs) if resp3 => {
            ffi::lua_createtable(state, 0, 1);
            ffi::lua_createtable(state, 0, pairs.len() as c_int);
            for (key, value) in pairs {
                push_reply(state, key, resp);
                push_reply(state, value, resp);
                ffi::lua_settable(state, -3);
            }
            ffi::lua_setfield(state, -2, c"map".as_ptr());
        }
        Reply::Set(members) if resp3 => {
            ffi::lua_createtable(state, 0, 1);
            ffi::lua_createtable(state, 0, members.len() as c_int);
            for member in members {
                push_reply(state, member, resp);
                ffi::lua_pushboolean(state, 1);
                ffi::lua_settable(state, -3);
            }
            ffi::lua_setfield(state, -2, c"set".as_ptr());
        }
        Reply::Pairs(pairs) if resp3 => push_list(
            state,
            pairs
                .into_iter()
                .map(|(a, b)| Reply::Array(vec![a, b]))
                .collect(),
            resp,
        ),
        Reply::Map(pairs) | Reply::Pairs(pairs) => push_list(
            state,
            pairs.into_iter().flat_map(|(a, b)| [a, b]).collect(),
            resp,
        ),
        Reply::Array(items) | Reply::Set(items) | Reply::Push(items) | Reply::Several(items) => {
            push_list(state, items, resp)
        }
        Reply::Spooled(_) => {
            push_error(state, "ERR reply too large for a script");
            return true;
        }
    }
    false
}

unsafe fn push_list(state: *mut lua_State, items: Vec<Reply>, resp: u8) {
    ffi::lua_createtable(state, items.len() as c_int, 0);
    for (i, item) in items.into_iter().enumerate() {
        ffi::lua_pushnumber(state, (i + 1) as f64);
        push_reply(state, item, resp);
        ffi::lua_settable(state, -3);
    }
}

/// Pushes `{err="CODE message"}` (Redis's `luaPushError`): a text starting with `-` carries
/// its own code, any other gets `ERR`.
pub unsafe fn push_error(state: *mut lua_State, text: &str) {
    let (code, message) = match text.strip_prefix('-') {
        Some(rest) => rest.split_once(' ').unwrap_or(("ERR", rest)),
        None => ("ERR", text),
    };
    let full = format!("{code} {}", message.trim_matches(['\r', '\n']));
    push_single_field(state, c"err", full.as_bytes());
}

unsafe fn push_single_field(state: *mut lua_State, field: &CStr, value: &[u8]) {
    ffi::lua_createtable(state, 0, 1);
    push_bytes(state, value);
    ffi::lua_setfield(state, -2, field.as_ptr());
}

pub unsafe fn push_bytes(state: *mut lua_State, bytes: &[u8]) {
    ffi::lua_pushlstring(state, bytes.as_ptr().cast(), bytes.len());
}

pub unsafe fn bytes_at(state: *mut lua_State, index: c_int) -> Bytes {
    let mut len = 0;
    let ptr = ffi::lua_tolstring(state, index, &mut len);
    if ptr.is_null() {
        return Bytes::new();
    }
    Bytes::copy_from_slice(std::slice::from_raw_parts(ptr.cast(), len))
}

pub unsafe fn string_at(state: *mut lua_State, index: c_int) -> String {
    String::from_utf8_lossy(&bytes_at(state, index)).into_owned()
}

unsafe fn push_array(state: *mut lua_State, items: &[Bytes]) {
    ffi::lua_createtable(state, items.len() as c_int, 0);
    for (i, item) in items.iter().enumerate() {
        push_bytes(state, item);
        ffi::lua_rawseti(state, -2, (i + 1) as _);
    }
}

/// Empties the globals: mlua opens the base library in every state, and Redis's sandbox
/// starts from nothing (its allow list then keeps `loadfile`, `dofile` and `print` out).
unsafe fn clear_globals(state: *mut lua_State) {
    // Libraries register themselves through `_LOADED` too: forget mlua's.
    ffi::lua_pushnil(state);
    ffi::lua_setfield(state, ffi::LUA_REGISTRYINDEX, c"_LOADED".as_ptr());
    loop {
        ffi::lua_pushnil(state);
        if ffi::lua_next(state, ffi::LUA_GLOBALSINDEX) == 0 {
            return;
        }
        ffi::lua_settop(state, -2);
        ffi::lua_pushnil(state);
        ffi::lua_rawset(state, ffi::LUA_GLOBALSINDEX);
    }
}

/// Sets a global past the lock on the globals (KEYS, ARGV), as Redis does.
unsafe fn set_global_unlocked(state: *mut lua_State, name: &CStr) {
    lua_enablereadonlytable(state, ffi::LUA_GLOBALSINDEX, 0);
    ffi::lua_setglobal(state, name.as_ptr());
    lua_enablereadonlytable(state, ffi::LUA_GLOBALSINDEX, 1);
}

/// Defines the error handler, keeps it in the registry for [`Interpreter::call`], and
/// pushes it.
unsafe fn push_error_handler(state: *mut lua_State) {
    let code = ERROR_HANDLER;
    let name = c"@err_handler_def".as_ptr();
    let loaded = ffi::luaL_loadbuffer(state, code.as_ptr().cast(), code.len(), name);
    assert!(
        loaded == 0 && ffi::lua_pcall(state, 0, 1, 0) == 0,
        "Lua setup code failed: {}",
        string_at(state, -1)
    );
    ffi::lua_pushvalue(state, -1);
    ffi::lua_setfield(state, ffi::LUA_REGISTRYINDEX, ERROR_HANDLER_KEY.as_ptr());
}

pub unsafe fn set_function(state: *mut lua_State, name: &CStr, function: ffi::lua_CFunction) {
    ffi::lua_pushcfunction(state, function);
    ffi::lua_setfield(state, -2, name.as_ptr());
}

unsafe fn set_number(state: *mut lua_State, name: &CStr, value: f64) {
    ffi::lua_pushnumber(state, value);
    ffi::lua_setfield(state, -2, name.as_ptr());
}

unsafe fn set_log_levels(state: *mut lua_State) {
    set_number(state, c"LOG_DEBUG", 0.0);
    set_number(state, c"LOG_VERBOSE", 1.0);
    set_number(state, c"LOG_NOTICE", 2.0);
    set_number(state, c"LOG_WARNING", 3.0);
}

unsafe fn set_version(state: *mut lua_State) {
    set_number(
        state,
        c"REDIS_VERSION_NUM",
        f64::from(crate::config::REDIS_VERSION_NUM),
    );
    push_bytes(state, crate::config::REDIS_VERSION.as_bytes());
    ffi::lua_setfield(state, -2, c"REDIS_VERSION".as_ptr());
}

/// Gives the table on top of the stack a metatable that makes reading a missing field an
/// error (Redis's `luaSetErrorMetatable`).
unsafe fn set_missing_global_metatable(state: *mut lua_State) {
    ffi::lua_createtable(state, 0, 1);
    ffi::lua_pushcfunction(state, missing_global);
    ffi::lua_setfield(state, -2, c"__index".as_ptr());
    ffi::lua_setmetatable(state, -2);
}

/// Points the functions interpreter's globals at the table the registry holds at `key`.
unsafe fn set_globals_index(state: *mut lua_State, key: &CStr) {
    ffi::lua_getmetatable(state, ffi::LUA_GLOBALSINDEX);
    lua_enablereadonlytable(state, -1, 0);
    ffi::lua_getfield(state, ffi::LUA_REGISTRYINDEX, key.as_ptr());
    ffi::lua_setfield(state, -2, c"__index".as_ptr());
    lua_enablereadonlytable(state, -1, 1);
    ffi::lua_settop(state, -2);
}

/// The message of the error on top of the stack: a string, or a table's `err` field.
unsafe fn error_message(state: *mut lua_State) -> String {
    if ffi::lua_type(state, -1) == ffi::LUA_TSTRING {
        return format!("ERR {}", string_at(state, -1));
    }
    if ffi::lua_istable(state, -1) != 0 {
        ffi::lua_getfield(state, -1, c"err".as_ptr());
        let message = string_at(state, -1);
        ffi::lua_settop(state, -2);
        return message;
    }
    String::new()
}

/// Loads the libraries Redis loads, protects the globals with the allow list, and defines
/// the `redis` table shared by EVAL and functions (Redis's `luaRegisterRedisAPI`).
pub unsafe fn register_redis_api(state: *mut lua_State) {
    ffi::lua_pushvalue(state, ffi::LUA_GLOBALSINDEX);
    ffi::lua_createtable(state, 0, 1);
    ffi::lua_pushcfunction(state, allow_listed_global);
    ffi::lua_setfield(state, -2, c"__newindex".as_ptr());
    ffi::lua_setmetatable(state, -2);
    ffi::lua_settop(state, -2);

    let libraries: [(&CStr, ffi::lua_CFunction); 9] = [
        (c"", ffi::luaopen_base),
        (c"table", ffi::luaopen_table),
        (c"string", ffi::luaopen_string),
        (c"math", ffi::luaopen_math),
        (c"debug", ffi::luaopen_debug),
        (c"cjson", luaopen_cjson),
        (c"struct", luaopen_struct),
        (c"cmsgpack", luaopen_cmsgpack),
        (c"bit", luaopen_bit),
    ];
    for (name, open) in libraries {
        ffi::lua_pushcfunction(state, open);
        ffi::lua_pushstring(state, name.as_ptr());
        ffi::lua_call(state, 1, 0);
    }
    ffi::lua_pushcfunction(state, protected_pcall);
    ffi::lua_setglobal(state, c"pcall".as_ptr());

    ffi::lua_createtable(state, 0, 24);
    set_function(state, c"call", redis_call);
    set_function(state, c"pcall", redis_pcall);
    set_function(state, c"log", redis_log);
    set_log_levels(state);
    set_version(state);
    set_function(state, c"setresp", redis_setresp);
    set_function(state, c"sha1hex", redis_sha1hex);
    set_function(state, c"error_reply", redis_error_reply);
    set_function(state, c"status_reply", redis_status_reply);
    set_function(state, c"set_repl", redis_set_repl);
    set_number(state, c"REPL_NONE", 0.0);
    set_number(state, c"REPL_AOF", 1.0);
    set_number(state, c"REPL_SLAVE", 2.0);
    set_number(state, c"REPL_REPLICA", 2.0);
    set_number(state, c"REPL_ALL", 3.0);
    set_function(state, c"acl_check_cmd", redis_acl_check_cmd);
    ffi::lua_setglobal(state, c"redis".as_ptr());
}

/// Locks the globals and every table reachable from them, and the basic types' metatables:
/// Redis's sandbox, where creating or changing a global is an error.
pub unsafe fn lock_globals(state: *mut lua_State) {
    ffi::lua_pushvalue(state, ffi::LUA_GLOBALSINDEX);
    set_missing_global_metatable(state);
    protect_recursively(state);
    ffi::lua_settop(state, -2);
    protect_basic_types(state);
}

/// Locks the metatables of strings, numbers and the other basic types.
unsafe fn protect_basic_types(state: *mut lua_State) {
    ffi::lua_pushstring(state, c"".as_ptr());
    ffi::lua_pushnumber(state, 0.0);
    ffi::lua_pushboolean(state, 0);
    ffi::lua_pushnil(state);
    ffi::lua_pushcfunction(state, return_nothing);
    ffi::lua_newthread(state);
    ffi::lua_pushlightuserdata(state, state.cast());
    for index in -7..=-1 {
        if ffi::lua_getmetatable(state, index) != 0 {
            protect_recursively(state);
            ffi::lua_settop(state, -2);
        }
    }
    ffi::lua_settop(state, 0);
}

unsafe fn protect_recursively(state: *mut lua_State) {
    if lua_isreadonlytable(state, -1) != 0 {
        return;
    }
    lua_enablereadonlytable(state, -1, 1);
    ffi::luaL_checkstack(state, 2, c"protect".as_ptr());
    ffi::lua_pushnil(state);
    while ffi::lua_next(state, -2) != 0 {
        if ffi::lua_istable(state, -1) != 0 {
            protect_recursively(state);
        }
        ffi::lua_settop(state, -2);
    }
    if ffi::lua_getmetatable(state, -1) != 0 {
        protect_recursively(state);
        ffi::lua_settop(state, -2);
    }
}

/// Raises the `{err=...}` table on top of the stack as the error.
unsafe fn raise(state: *mut lua_State) -> c_int {
    ffi::lua_error(state)
}

/// Pushes an error table and raises it.
unsafe fn raise_error(state: *mut lua_State, text: &str) -> c_int {
    push_error(state, text);
    raise(state)
}

/// The arguments of redis.call: strings, and numbers printed as `%.17g`.
unsafe fn call_arguments(state: *mut lua_State) -> Result<Vec<Bytes>, &'static str> {
    let argc = ffi::lua_gettop(state);
    if argc == 0 {
        return Err("Please specify at least one argument for this redis lib call");
    }
    let mut argv = Vec::with_capacity(argc as usize);
    for i in 1..=argc {
        if ffi::lua_type(state, i) == ffi::LUA_TNUMBER {
            argv.push(Bytes::from(format_g17(ffi::lua_tonumber(state, i))));
        } else if ffi::lua_isstring(state, i) != 0 {
            argv.push(bytes_at(state, i));
        } else {
            return Err("Lua redis lib command arguments must be strings or integers");
        }
    }
    ffi::lua_settop(state, 0);
    Ok(argv)
}

/// A number as C's `%.17g` prints it, as Redis passes numbers to commands.
pub fn format_g17(n: f64) -> Vec<u8> {
    let mut buf = [0u8; 64];
    // SAFETY: the buffer is large enough for any %.17g and snprintf bounds the write.
    let len = unsafe { snprintf(buf.as_mut_ptr().cast(), buf.len(), c"%.17g".as_ptr(), n) };
    buf[..len.clamp(0, 63) as usize].to_vec()
}

/// redis.call and redis.pcall: runs the command, pushes its reply; a failure becomes an
/// error table, raised by call and returned by pcall.
unsafe fn generic_call(state: *mut lua_State, raise_errors: bool) -> c_int {
    let failed = call_and_push(state);
    if failed && raise_errors {
        return raise(state);
    }
    1
}

/// The body of [`generic_call`]: every Rust value is dropped before it returns, so the
/// caller may raise.
unsafe fn call_and_push(state: *mut lua_State) -> bool {
    let Some(host) = host() else {
        push_error(
            state,
            "redis.call/pcall can only be called inside a script invocation",
        );
        return true;
    };
    let argv = match call_arguments(state) {
        Ok(argv) => argv,
        Err(message) => {
            push_error(state, message);
            return true;
        }
    };
    let host = &mut *host;
    match host.call(argv) {
        Ok(reply) => push_reply(state, reply, host.resp()),
        Err(message) => {
            push_error(state, &message);
            ffi::lua_pushboolean(state, 1);
            ffi::lua_setfield(state, -2, c"ignore_error_stats_update".as_ptr());
            true
        }
    }
}

unsafe extern "C-unwind" fn redis_call(state: *mut lua_State) -> c_int {
    generic_call(state, true)
}

unsafe extern "C-unwind" fn redis_pcall(state: *mut lua_State) -> c_int {
    generic_call(state, false)
}

/// pcall that hands back a Redis error table's message, as Lua code written for Redis 6
/// expects (Redis's `luaRedisPcall`).
unsafe extern "C-unwind" fn protected_pcall(state: *mut lua_State) -> c_int {
    let argc = ffi::lua_gettop(state);
    ffi::lua_pushboolean(state, 1);
    ffi::lua_insert(state, 1);
    if ffi::lua_pcall(state, argc - 1, ffi::LUA_MULTRET, 0) != 0 {
        ffi::lua_remove(state, 1);
        if ffi::lua_istable(state, -1) != 0 {
            ffi::lua_getfield(state, -1, c"err".as_ptr());
            if ffi::lua_isstring(state, -1) != 0 {
                ffi::lua_replace(state, -2);
            }
        }
        ffi::lua_pushboolean(state, 0);
        ffi::lua_insert(state, 1);
    }
    ffi::lua_gettop(state)
}

unsafe extern "C-unwind" fn redis_sha1hex(state: *mut lua_State) -> c_int {
    if ffi::lua_gettop(state) != 1 {
        return raise_error(state, "wrong number of arguments");
    }
    let digest = super::sha1_hex(&bytes_at(state, 1));
    push_bytes(state, digest.as_bytes());
    1
}

unsafe extern "C-unwind" fn redis_error_reply(state: *mut lua_State) -> c_int {
    if ffi::lua_gettop(state) != 1 || ffi::lua_type(state, -1) != ffi::LUA_TSTRING {
        push_error(state, "wrong number or type of arguments");
        return 1;
    }
    let text = string_at(state, -1);
    if text.starts_with('-') {
        push_error(state, &text);
    } else {
        push_error(state, &format!("-{text}"));
    }
    1
}

unsafe extern "C-unwind" fn redis_status_reply(state: *mut lua_State) -> c_int {
    if ffi::lua_gettop(state) != 1 || ffi::lua_type(state, -1) != ffi::LUA_TSTRING {
        push_error(state, "wrong number or type of arguments");
        return 1;
    }
    ffi::lua_createtable(state, 0, 1);
    ffi::lua_pushvalue(state, -2);
    ffi::lua_setfield(state, -2, c"ok".as_ptr());
    1
}

unsafe extern "C-unwind" fn redis_log(state: *mut lua_State) -> c_int {
    let argc = ffi::lua_gettop(state);
    if argc < 2 {
        return raise_error(state, "redis.log() requires two arguments or more.");
    }
    if ffi::lua_isnumber(state, 1) == 0 {
        return raise_error(state, "First argument must be a number (log level).");
    }
    let level = ffi::lua_tonumber(state, 1) as i64;
    if !(0..=3).contains(&level) {
        return raise_error(state, "Invalid debug level.");
    }
    log_message(state, argc, level);
    0
}

/// redis.log's message, joined with spaces, into dredis's log at the matching level.
unsafe fn log_message(state: *mut lua_State, argc: c_int, level: i64) {
    let parts: Vec<String> = (2..=argc)
        .filter(|&i| ffi::lua_isstring(state, i) != 0)
        .map(|i| string_at(state, i))
        .collect();
    let message = parts.join(" ");
    match level {
        0 => tracing::debug!(target: "script", "{message}"),
        1 => tracing::info!(target: "script", "{message}"),
        2 => tracing::info!(target: "script", "{message}"),
        _ => tracing::warn!(target: "script", "{message}"),
    }
}

unsafe extern "C-unwind" fn redis_setresp(state: *mut lua_State) -> c_int {
    let Some(host) = host() else {
        return raise_error(
            state,
            "redis.setresp can only be called inside a script invocation",
        );
    };
    if ffi::lua_gettop(state) != 1 {
        return raise_error(state, "redis.setresp() requires one argument.");
    }
    let resp = ffi::lua_tonumber(state, 1) as i64;
    if resp != 2 && resp != 3 {
        return raise_error(state, "RESP version must be 2 or 3.");
    }
    (*host).set_resp(resp as u8);
    0
}

unsafe extern "C-unwind" fn redis_set_repl(state: *mut lua_State) -> c_int {
    if host().is_none() {
        return raise_error(
            state,
            "redis.set_repl can only be called inside a script invocation",
        );
    }
    if ffi::lua_gettop(state) != 1 {
        return raise_error(state, "redis.set_repl() requires two arguments.");
    }
    let flags = ffi::lua_tonumber(state, -1) as i64;
    if flags & !3 != 0 {
        return raise_error(
            state,
            "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.",
        );
    }
    // dredis has no replication or AOF: the choice changes nothing.
    0
}

/// redis.acl_check_cmd(command, args...): whether the script's user may run that command
/// with those arguments.
unsafe extern "C-unwind" fn redis_acl_check_cmd(state: *mut lua_State) -> c_int {
    let Some(host) = host() else {
        return raise_error(
            state,
            "redis.acl_check_cmd can only be called inside a script invocation",
        );
    };
    let permitted = match call_arguments(state) {
        Ok(argv) => (*host).permitted(&argv),
        Err(message) => return raise_error(state, message),
    };
    let Some(permitted) = permitted else {
        return raise_error(state, "Invalid command passed to redis.acl_check_cmd()");
    };
    ffi::lua_pushboolean(state, permitted as c_int);
    1
}

unsafe extern "C-unwind" fn replicate_commands(state: *mut lua_State) -> c_int {
    ffi::lua_pushboolean(state, 1);
    1
}

unsafe extern "C-unwind" fn return_false(state: *mut lua_State) -> c_int {
    ffi::lua_pushboolean(state, 0);
    1
}

unsafe extern "C-unwind" fn return_nothing(_: *mut lua_State) -> c_int {
    0
}

/// `__newindex` of the globals while the libraries load: only the allow-listed names.
unsafe extern "C-unwind" fn allow_listed_global(state: *mut lua_State) -> c_int {
    if ffi::lua_gettop(state) != 3 || ffi::lua_isstring(state, 2) == 0 {
        return 0;
    }
    let name = string_at(state, 2);
    if ALLOWED_GLOBALS.contains(&name.as_str()) {
        ffi::lua_rawset(state, 1);
    } else if !DENIED_GLOBALS.contains(&name.as_str()) {
        tracing::warn!("A key '{name}' was added to Lua globals which is not on the globals allow list nor listed on the deny list.");
    }
    0
}

/// `__index` of the locked globals: reading an undefined global is an error.
unsafe extern "C-unwind" fn missing_global(state: *mut lua_State) -> c_int {
    push_missing_global_message(state);
    ffi::lua_error(state)
}

/// `<where>Script attempted to access nonexistent global variable '<name>'`, as luaL_error
/// words it.
unsafe fn push_missing_global_message(state: *mut lua_State) {
    let name = if ffi::lua_isstring(state, -1) != 0 {
        bytes_at(state, -1)
    } else {
        Bytes::new()
    };
    ffi::lua_settop(state, 0);
    ffi::luaL_where(state, 1);
    push_bytes(
        state,
        b"Script attempted to access nonexistent global variable '",
    );
    push_bytes(state, &name);
    push_bytes(state, b"'");
    ffi::lua_concat(state, 4);
}

/// The count hook: stops a script that SCRIPT KILL or SHUTDOWN NOSAVE asked to stop. Once
/// killed, the hook runs on every line so that a pcall in the script cannot catch it for long.
unsafe extern "C-unwind" fn interrupt_hook(state: *mut lua_State, _: *mut ffi::lua_Debug) {
    let Some(host) = host() else { return };
    if !(*host).interrupted() {
        return;
    }
    tracing::warn!("Lua script killed by user with SCRIPT KILL.");
    ffi::lua_sethook(state, Some(interrupt_hook), ffi::LUA_MASKLINE, 0);
    raise_error(state, "Script killed by user with SCRIPT KILL...");
}

/// redis.register_function(name, callback) or redis.register_function{function_name=...,
/// callback=..., flags={...}, description=...}, only while a library loads.
unsafe extern "C-unwind" fn register_function(state: *mut lua_State) -> c_int {
    if LOADING.with(|l| l.borrow().is_none()) {
        return raise_error(
            state,
            "redis.register_function can only be called on FUNCTION LOAD command",
        );
    }
    if let Err(message) = read_registration(state) {
        return raise_error(state, message);
    }
    0
}

/// Reads register_function's arguments and records the function; the error text otherwise.
unsafe fn read_registration(state: *mut lua_State) -> Result<(), &'static str> {
    let (name, description, flags, reference) = match ffi::lua_gettop(state) {
        1 => read_named_registration(state)?,
        2 => {
            if ffi::lua_isstring(state, 1) == 0 {
                return Err("first argument to redis.register_function must be a string");
            }
            if ffi::lua_isfunction(state, 2) == 0 {
                return Err("second argument to redis.register_function must be a function");
            }
            let name = string_at(state, 1);
            let reference = ffi::luaL_ref(state, ffi::LUA_REGISTRYINDEX);
            (name, None, super::ScriptFlags::default(), reference)
        }
        _ => return Err("wrong number of arguments to redis.register_function"),
    };
    let valid_name =
        !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    let duplicate = LOADING.with(|l| {
        l.borrow().as_ref().is_some_and(|(_, registered)| {
            registered
                .iter()
                .any(|f| f.name.eq_ignore_ascii_case(&name))
        })
    });
    if !valid_name || duplicate {
        ffi::luaL_unref(state, ffi::LUA_REGISTRYINDEX, reference);
        return Err(if duplicate {
            "Function already exists in the library"
        } else {
            "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"
        });
    }
    LOADING.with(|l| {
        if let Some((_, registered)) = l.borrow_mut().as_mut() {
            registered.push(Registered {
                name,
                description,
                flags,
                reference,
            });
        }
    });
    Ok(())
}

/// The named arguments of register_function's table form; the callback is taken into the
/// registry (a reference).
unsafe fn read_named_registration(
    state: *mut lua_State,
) -> Result<(String, Option<Bytes>, super::ScriptFlags, c_int), &'static str> {
    if ffi::lua_istable(state, 1) == 0 {
        return Err("calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).");
    }
    let mut callback = None;
    match (read_named_arguments(state, &mut callback), callback) {
        (Ok((name, description, flags)), Some(reference)) => {
            Ok((name, description, flags, reference))
        }
        (read, callback) => {
            if let Some(reference) = callback {
                ffi::luaL_unref(state, ffi::LUA_REGISTRYINDEX, reference);
            }
            Err(read
                .err()
                .unwrap_or("redis.register_function must get a callback argument"))
        }
    }
}

/// Walks the table of named arguments (Redis's `luaRegisterFunctionReadNamedArgs`).
unsafe fn read_named_arguments(
    state: *mut lua_State,
    callback: &mut Option<c_int>,
) -> Result<(String, Option<Bytes>, super::ScriptFlags), &'static str> {
    let (mut name, mut description, mut flags) = (None, None, super::ScriptFlags::default());
    ffi::lua_pushnil(state);
    while ffi::lua_next(state, 1) != 0 {
        if ffi::lua_isstring(state, -2) == 0 {
            return Err("named argument key given to redis.register_function is not a string");
        }
        match string_at(state, -2).to_ascii_lowercase().as_str() {
            "function_name" => {
                if ffi::lua_isstring(state, -1) == 0 {
                    return Err(
                        "function_name argument given to redis.register_function must be a string",
                    );
                }
                name = Some(string_at(state, -1));
            }
            "description" => {
                if ffi::lua_isstring(state, -1) == 0 {
                    return Err(
                        "description argument given to redis.register_function must be a string",
                    );
                }
                description = Some(bytes_at(state, -1));
            }
            "callback" => {
                if ffi::lua_isfunction(state, -1) == 0 {
                    return Err(
                        "callback argument given to redis.register_function must be a function",
                    );
                }
                // luaL_ref pops the value: the key is left for lua_next.
                let reference = ffi::luaL_ref(state, ffi::LUA_REGISTRYINDEX);
                if let Some(old) = callback.replace(reference) {
                    ffi::luaL_unref(state, ffi::LUA_REGISTRYINDEX, old);
                }
                continue;
            }
            "flags" => {
                if ffi::lua_istable(state, -1) == 0 {
                    return Err("flags argument to redis.register_function must be a table representing function flags");
                }
                flags = read_flags(state).ok_or("unknown flag given")?;
            }
            _ => return Err("unknown argument given to redis.register_function"),
        }
        ffi::lua_settop(state, -2);
    }
    let name = name.ok_or("redis.register_function must get a function name argument")?;
    Ok((name, description, flags))
}

/// The flags in the array on top of the stack, or None for an unknown one.
unsafe fn read_flags(state: *mut lua_State) -> Option<super::ScriptFlags> {
    let mut flags = super::ScriptFlags::default();
    for i in 1.. {
        ffi::lua_rawgeti(state, -1, i);
        if ffi::lua_type(state, -1) == ffi::LUA_TNIL {
            ffi::lua_settop(state, -2);
            return Some(flags);
        }
        let known = ffi::lua_isstring(state, -1) != 0
            && flags.set(&string_at(state, -1).to_ascii_lowercase());
        ffi::lua_settop(state, -2);
        if !known {
            return None;
        }
    }
    Some(flags)
}

/// Stops a library's code that runs past [`LOAD_TIMEOUT`] while loading.
unsafe extern "C-unwind" fn load_timeout_hook(state: *mut lua_State, _: *mut ffi::lua_Debug) {
    let expired = LOADING.with(|l| {
        l.borrow()
            .as_ref()
            .is_some_and(|(started, _)| started.elapsed() > LOAD_TIMEOUT)
    });
    if expired {
        ffi::lua_sethook(state, Some(load_timeout_hook), ffi::LUA_MASKLINE, 0);
        raise_error(state, "FUNCTION LOAD timeout");
    }
}
