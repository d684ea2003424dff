//! Redis 7 functions: FUNCTION LOAD/LIST/DELETE/FLUSH/STATS/KILL, FCALL and FCALL_RO, and
//! `redis.register_function` in its two forms. Unlike the script cache, libraries are kept
//! across a restart.

mod common;

use common::{resp, Raw, Server};

const OK: &str = "+OK\r\n";
const PONG: &str = "+PONG\r\n";
const NOT_FOUND: &str = "-ERR Function not found\r\n";
const WRITE_FLAG_ON_RO: &str =
    "-ERR Can not execute a script with write flag using *_ro command.\r\n";
const BAD_NAME: &str = "Library names can only contain letters, numbers, or underscores(_) \
                        and must be at least one character long";

/// A Lua library's code: the shebang naming it, then the body.
fn library(name: &str, body: &str) -> String {
    format!("#!lua name={name}\n{body}")
}

/// A library holding one function that runs `body` with `keys` and `args` in scope.
fn one_function(library_name: &str, function: &str, body: &str) -> String {
    library(
        library_name,
        &format!("redis.register_function('{function}', function(keys, args) {body} end)"),
    )
}

/// FUNCTION LOAD [options...] code; returns the raw reply.
fn load(raw: &mut Raw, options: &[&str], code: &str) -> String {
    let mut words = vec!["FUNCTION", "LOAD"];
    words.extend(options);
    words.push(code);
    raw.call(&words)
}

/// Loads a library that must load: FUNCTION LOAD answers its `name`.
fn install(raw: &mut Raw, name: &str, code: &str) {
    assert_eq!(load(raw, &[], code), bulk(name), "{code}");
}

/// Loads a library of one function (see [`one_function`]) that must load.
fn install_one(raw: &mut Raw, library_name: &str, function: &str, body: &str) {
    install(
        raw,
        library_name,
        &one_function(library_name, function, body),
    );
}

/// FCALL or FCALL_RO with keys and arguments; returns the raw reply.
fn fcall(raw: &mut Raw, command: &str, function: &str, keys: &[&str], args: &[&str]) -> String {
    let numkeys = keys.len().to_string();
    let mut words = vec![command, function, &numkeys];
    words.extend(keys);
    words.extend(args);
    raw.call(&words)
}

/// A bulk string reply.
fn bulk(text: &str) -> String {
    format!("${}\r\n{text}\r\n", text.len())
}

/// The reply of a failed FUNCTION LOAD whose code raised `message` while registering.
fn registering_error(message: &str) -> String {
    format!("-ERR Error registering functions: ERR {message}\r\n")
}

/// The error reply of a function that failed on `line` of its library.
fn function_error(function: &str, message: &str, line: u32) -> String {
    format!("-{message} script: {function}, on @user_function:{line}.\r\n")
}

/// A function as FUNCTION LIST describes it.
#[derive(Clone, Copy)]
struct Listed<'a> {
    name: &'a str,
    description: Option<&'a str>,
    flags: &'a [&'a str],
}

/// FUNCTION LIST's entry for one library (with its code when given), in RESP2.
fn listing(library: &str, functions: &[Listed], code: Option<&str>) -> String {
    let mut out = format!("*{}\r\n", if code.is_some() { 8 } else { 6 });
    for text in ["library_name", library, "engine", "LUA", "functions"] {
        out.push_str(&bulk(text));
    }
    out.push_str(&format!("*{}\r\n", functions.len()));
    for function in functions {
        out.push_str("*6\r\n");
        out.push_str(&bulk("name"));
        out.push_str(&bulk(function.name));
        out.push_str(&bulk("description"));
        out.push_str(&function.description.map_or("$-1\r\n".into(), bulk));
        out.push_str(&bulk("flags"));
        out.push_str(&format!("*{}\r\n", function.flags.len()));
        function
            .flags
            .iter()
            .for_each(|flag| out.push_str(&format!("+{flag}\r\n")));
    }
    if let Some(code) = code {
        out.push_str(&bulk("library_code"));
        out.push_str(&bulk(code));
    }
    out
}

/// The two FUNCTION LIST entries a library of two functions may have: Redis lists the
/// functions of a library in no fixed order.
fn either_order(library: &str, functions: [Listed; 2], code: Option<&str>) -> [String; 2] {
    let [a, b] = functions;
    [
        listing(library, &[a, b], code),
        listing(library, &[b, a], code),
    ]
}

/// Asserts that FUNCTION LIST with `args` answers the `kv` library of [`KV`] alone, with its code.
fn assert_lists_kv(raw: &mut Raw, args: &[&str]) {
    let mut words = vec!["FUNCTION", "LIST"];
    words.extend(args);
    let reply = raw.call(&words);
    let get = Listed {
        name: "kv_get",
        description: Some("reads a key"),
        flags: &["no-writes"],
    };
    let expected =
        either_order("kv", [get, plain("kv_set")], Some(KV)).map(|l| format!("*1\r\n{l}"));
    assert!(expected.contains(&reply), "{reply:?}");
}

/// A library with a read-only getter (named arguments) and a setter (positional arguments).
const KV: &str = "#!lua name=kv
redis.register_function{function_name='kv_get', callback=function(keys) return redis.call('GET', keys[1]) end, flags={'no-writes'}, description='reads a key'}
redis.register_function('kv_set', function(keys, args) return redis.call('SET', keys[1], args[1]) end)";

/// A function without description or flags.
fn plain(name: &str) -> Listed<'_> {
    Listed {
        name,
        description: None,
        flags: &[],
    }
}

// ---------------------------------------------------------------------------------------------
// FUNCTION LOAD and FCALL

#[test]
fn function_load_answers_the_library_name_and_fcall_runs_the_function() {
    let server = Server::start();
    let mut raw = server.raw();
    let code = one_function(
        "mylib",
        "hello",
        "return 'hello ' .. args[1] .. ' ' .. #keys",
    );
    install(&mut raw, "mylib", &code);
    assert_eq!(
        fcall(&mut raw, "FCALL", "hello", &["k"], &["world"]),
        bulk("hello world 1")
    );
    // Function names are found regardless of case.
    assert_eq!(
        fcall(&mut raw, "FCALL", "HELLO", &[], &["you"]),
        bulk("hello you 0")
    );
    // The function is the server's: another connection calls it too.
    assert_eq!(
        fcall(&mut server.raw(), "FCALL", "hello", &[], &["there"]),
        bulk("hello there 0")
    );
}

#[test]
fn keys_and_args_are_the_functions_parameters_not_globals() {
    let server = Server::start();
    let mut raw = server.raw();
    let code = library(
        "params",
        "redis.register_function('shape', function(keys, args) return {#keys, #args, keys[1], args[1]} end)\n\
         redis.register_function('globals', function() return KEYS end)",
    );
    install(&mut raw, "params", &code);
    assert_eq!(
        fcall(&mut raw, "FCALL", "shape", &["k"], &["a", "b"]),
        "*4\r\n:1\r\n:2\r\n$1\r\nk\r\n$1\r\na\r\n"
    );
    assert_eq!(
        fcall(&mut raw, "FCALL", "globals", &[], &[]),
        function_error(
            "globals",
            "ERR user_function:3: Script attempted to access nonexistent global variable 'KEYS'",
            3
        )
    );
}

#[test]
fn functions_of_a_library_share_its_local_code() {
    let server = Server::start();
    let mut raw = server.raw();
    let code = library(
        "shared",
        "local function double(x) return x * 2 end\n\
         redis.register_function('double_it', function(keys, args) return double(tonumber(args[1])) end)\n\
         redis.register_function('triple_it', function(keys, args) return double(tonumber(args[1])) + tonumber(args[1]) end)",
    );
    install(&mut raw, "shared", &code);
    assert_eq!(
        fcall(&mut raw, "FCALL", "double_it", &[], &["21"]),
        ":42\r\n"
    );
    assert_eq!(
        fcall(&mut raw, "FCALL", "triple_it", &[], &["5"]),
        ":15\r\n"
    );
}

#[test]
fn function_writes_and_errors() {
    let server = Server::start();
    let mut raw = server.raw();
    let code = library(
        "lib",
        "redis.register_function('write', function(keys, args)\n\
           redis.call('SET', keys[1], args[1])\n\
           return redis.call('GET', keys[1])\n\
         end)\n\
         redis.register_function('boom', function(keys, args)\n\
           local x = 1\n\
           error('oops')\n\
         end)\n\
         redis.register_function('unknown', function() return redis.call('nosuch') end)",
    );
    install(&mut raw, "lib", &code);
    assert_eq!(fcall(&mut raw, "FCALL", "write", &["k"], &["v"]), bulk("v"));
    assert_eq!(raw.call(&["GET", "k"]), bulk("v"));
    assert_eq!(
        fcall(&mut raw, "FCALL", "boom", &[], &[]),
        function_error("boom", "ERR user_function:8: oops", 8)
    );
    assert_eq!(
        fcall(&mut raw, "FCALL", "unknown", &[], &[]),
        function_error(
            "unknown",
            "ERR Unknown Redis command called from script",
            10
        )
    );
}

#[test]
fn fcall_errors() {
    let server = Server::start();
    let mut raw = server.raw();
    install_one(&mut raw, "test", "test", "return 'hello'");
    let cases: &[(&[&str], &str)] = &[
        (&["FCALL", "nosuch", "0"], NOT_FOUND),
        (&["FCALL_RO", "nosuch", "0"], NOT_FOUND),
        // Not "value is not an integer" as for EVAL.
        (
            &["FCALL", "test", "bad_arg"],
            "-ERR Bad number of keys provided\r\n",
        ),
        (
            &["FCALL", "test", "10", "key1"],
            "-ERR Number of keys can't be greater than number of args\r\n",
        ),
        (
            &["FCALL", "test", "-1", "key1"],
            "-ERR Number of keys can't be negative\r\n",
        ),
        (
            &["FCALL", "test"],
            "-ERR wrong number of arguments for 'fcall' command\r\n",
        ),
        (
            &["FCALL_RO", "test"],
            "-ERR wrong number of arguments for 'fcall_ro' command\r\n",
        ),
    ];
    for (words, reply) in cases {
        assert_eq!(raw.call(words), *reply, "{words:?}");
    }
}

#[test]
fn a_library_loads_once_unless_replace() {
    let server = Server::start();
    let mut raw = server.raw();
    install_one(&mut raw, "test", "test", "return 'hello'");
    assert_eq!(
        load(
            &mut raw,
            &[],
            &one_function("test", "test", "return 'hello1'")
        ),
        "-ERR Library 'test' already exists\r\n"
    );
    assert_eq!(fcall(&mut raw, "FCALL", "test", &[], &[]), bulk("hello"));
    assert_eq!(
        load(
            &mut raw,
            &["REPLACE"],
            &one_function("test", "test", "return 'hello1'")
        ),
        bulk("test")
    );
    assert_eq!(fcall(&mut raw, "FCALL", "test", &[], &[]), bulk("hello1"));
    // A failed replacement keeps the old library.
    assert_eq!(
        load(
            &mut raw,
            &["replace"],
            &one_function("test", "test", "return 'bad"),
        ),
        "-ERR Error compiling function: user_function:2: unfinished string near '<eof>'\r\n"
    );
    assert_eq!(fcall(&mut raw, "FCALL", "test", &[], &[]), bulk("hello1"));
    // A replacement drops the functions it no longer registers.
    assert_eq!(
        load(
            &mut raw,
            &["REPLACE"],
            &one_function("test", "renamed", "return 2")
        ),
        bulk("test")
    );
    assert_eq!(fcall(&mut raw, "FCALL", "test", &[], &[]), NOT_FOUND);
    assert_eq!(fcall(&mut raw, "FCALL", "renamed", &[], &[]), ":2\r\n");
}

#[test]
fn a_function_name_belongs_to_one_library() {
    let server = Server::start();
    let mut raw = server.raw();
    install_one(&mut raw, "lib1", "f1", "return 1");
    assert_eq!(
        load(&mut raw, &[], &one_function("lib2", "f1", "return 2")),
        "-ERR Function f1 already exists\r\n"
    );
    assert_eq!(
        load(
            &mut raw,
            &["REPLACE"],
            &one_function("lib2", "f1", "return 2")
        ),
        "-ERR Function f1 already exists\r\n"
    );
    assert_eq!(fcall(&mut raw, "FCALL", "f1", &[], &[]), ":1\r\n");
    // Library names are case-sensitive: LIB1 is another library.
    install_one(&mut raw, "LIB1", "f2", "return 2");
}

#[test]
fn function_load_checks_the_shebang_and_the_code() {
    let server = Server::start();
    let mut raw = server.raw();
    let register = "redis.register_function('f', function() return 1 end)";
    let cases: Vec<(Vec<&str>, String, &str)> = vec![
        (
            vec![],
            register.to_string(),
            "-ERR Missing library metadata\r\n",
        ),
        (
            vec![],
            format!("#!lua\n{register}"),
            "-ERR Library name was not given\r\n",
        ),
        (
            vec![],
            format!("#!bad_engine name=x\n{register}"),
            "-ERR Engine 'bad_engine' not found\r\n",
        ),
        (
            vec![],
            format!("#! name=x\n{register}"),
            "-ERR Engine '' not found\r\n",
        ),
        (
            vec![],
            format!("#!lua name=x foo=bar\n{register}"),
            "-ERR Invalid metadata value given: foo=bar\r\n",
        ),
        (
            vec![],
            format!("#!lua name=x name=y\n{register}"),
            "-ERR Invalid metadata value, name argument was given multiple times\r\n",
        ),
        (
            vec![],
            library("bad-name", register),
            "-ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long\r\n",
        ),
        (
            vec!["BAD"],
            library("x", register),
            "-ERR Unknown option given: BAD\r\n",
        ),
        (
            vec![],
            library("x", "redis.register_function('f', function() return 1 end"),
            "-ERR Error compiling function: user_function:2: ')' expected near '<eof>'\r\n",
        ),
        (
            vec![],
            library("x", "return 1"),
            "-ERR No functions registered\r\n",
        ),
    ];
    for (options, code, reply) in &cases {
        assert_eq!(load(&mut raw, options, code), *reply, "{code}");
    }
    assert_eq!(
        raw.call(&["FUNCTION", "LOAD"]),
        "-ERR wrong number of arguments for 'function|load' command\r\n"
    );
    // Nothing was loaded by the failures; the engine name is case-insensitive and the library
    // name may be quoted.
    assert_eq!(raw.call(&["FUNCTION", "LIST"]), "*0\r\n");
    install(&mut raw, "upper", &format!("#!LUA name=upper\n{register}"));
    install(
        &mut raw,
        "quoted",
        "#!lua name=\"quoted\"\nredis.register_function('q', function() return 1 end)",
    );
}

#[test]
fn the_load_run_is_sandboxed_without_the_redis_api() {
    let server = Server::start();
    let mut raw = server.raw();
    let cases = [
        (
            "redis.call('ping')",
            "user_function:2: Script attempted to access nonexistent global variable 'call'",
        ),
        (
            "redis.setresp(3)",
            "user_function:2: Script attempted to access nonexistent global variable 'setresp'",
        ),
        (
            "redis.set_repl(redis.REPL_NONE)",
            "user_function:2: Script attempted to access nonexistent global variable 'set_repl'",
        ),
        (
            "return math.random()",
            "user_function:2: Script attempted to access nonexistent global variable 'math'",
        ),
        (
            "error('boom')",
            "user_function:2: Script attempted to access nonexistent global variable 'error'",
        ),
        (
            "mt = getmetatable(_G)",
            "user_function:2: Script attempted to access nonexistent global variable 'getmetatable'",
        ),
        ("a = 1", "user_function:2: Attempt to modify a readonly table"),
        (
            "local x = nil; x()",
            "user_function:2: attempt to call local 'x' (a nil value)",
        ),
        // A load that runs too long is stopped.
        ("local a = 1 while 1 do a = a + 1 end", "FUNCTION LOAD timeout"),
    ];
    for (body, message) in cases {
        assert_eq!(
            load(&mut raw, &[], &library("x", body)),
            registering_error(message),
            "{body}"
        );
    }
    assert_eq!(raw.call(&["FUNCTION", "LIST"]), "*0\r\n");
}

// ---------------------------------------------------------------------------------------------
// redis.register_function

#[test]
fn register_function_takes_named_arguments_with_description_and_flags() {
    let server = Server::start();
    let mut raw = server.raw();
    install(&mut raw, "kv", KV);
    assert_eq!(fcall(&mut raw, "FCALL", "kv_set", &["k"], &["v1"]), OK);
    assert_eq!(fcall(&mut raw, "FCALL", "kv_get", &["k"], &[]), bulk("v1"));
    assert_lists_kv(&mut raw, &["WITHCODE"]);
}

#[test]
fn register_function_argument_errors() {
    let server = Server::start();
    let mut raw = server.raw();
    let f = "function() return 1 end";
    let cases = [
        (
            "redis.register_function()".to_string(),
            "wrong number of arguments to redis.register_function",
        ),
        (
            format!("redis.register_function('f1', {f}, {{}}, 'description', 'extra arg')"),
            "wrong number of arguments to redis.register_function",
        ),
        (
            "redis.register_function('f1')".into(),
            "calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).",
        ),
        (
            format!("redis.register_function(nil, {f})"),
            "first argument to redis.register_function must be a string",
        ),
        (
            "redis.register_function('f1', 'not a function')".into(),
            "second argument to redis.register_function must be a function",
        ),
        (format!("redis.register_function('', {f})"), BAD_NAME),
        (format!("redis.register_function('bad-name', {f})"), BAD_NAME),
        (
            format!("redis.register_function('f1', {f})\nredis.register_function('f1', {f})"),
            "Function already exists in the library",
        ),
        (
            format!("redis.register_function{{function_name={f}, callback={f}}}"),
            "function_name argument given to redis.register_function must be a string",
        ),
        (
            "redis.register_function{function_name='f1', callback='bad'}".into(),
            "callback argument given to redis.register_function must be a function",
        ),
        (
            format!("redis.register_function{{function_name='f1', callback={f}, description={f}}}"),
            "description argument given to redis.register_function must be a string",
        ),
        (
            format!("redis.register_function{{function_name='f1', callback={f}, some_unknown='x'}}"),
            "unknown argument given to redis.register_function",
        ),
        (
            format!("redis.register_function{{callback={f}}}"),
            "redis.register_function must get a function name argument",
        ),
        (
            "redis.register_function{function_name='f1'}".into(),
            "redis.register_function must get a callback argument",
        ),
        (
            format!("redis.register_function{{function_name='f1', callback={f}, flags='no-writes'}}"),
            "flags argument to redis.register_function must be a table representing function flags",
        ),
        (
            format!("redis.register_function{{function_name='f1', callback={f}, flags={{'unknown'}}}}"),
            "unknown flag given",
        ),
        (
            format!("redis.register_function{{function_name='f1', callback={f}, flags={{{f}}}}}"),
            "unknown flag given",
        ),
    ];
    for (body, message) in &cases {
        assert_eq!(
            load(&mut raw, &[], &library("lib", body)),
            registering_error(message),
            "{body}"
        );
    }
    // A failed registration loads nothing, not even the functions before it.
    let partial = format!("redis.register_function('f1', {f})\nredis.register_function('f2', 'x')");
    assert_eq!(
        load(&mut raw, &[], &library("lib", &partial)),
        registering_error("second argument to redis.register_function must be a function")
    );
    assert_eq!(fcall(&mut raw, "FCALL", "f1", &[], &[]), NOT_FOUND);
}

#[test]
fn register_function_exists_only_while_loading() {
    let server = Server::start();
    let mut raw = server.raw();
    let code = library(
        "lib",
        "redis.register_function('f1', function()\n\
           redis.register_function('f2', function() return 2 end)\n\
           return 1\n\
         end)",
    );
    install(&mut raw, "lib", &code);
    assert_eq!(
        fcall(&mut raw, "FCALL", "f1", &[], &[]),
        function_error(
            "f1",
            "ERR user_function:3: attempt to call field 'register_function' (a nil value)",
            3
        )
    );
    // Nor is it there for EVAL.
    assert_eq!(
        raw.call(&["EVAL", "return type(redis.register_function)", "0"]),
        bulk("nil")
    );
}

#[test]
fn fcall_ro_runs_only_functions_flagged_no_writes() {
    let server = Server::start();
    let mut raw = server.raw();
    let code = library(
        "ro",
        "redis.register_function{function_name='reader', callback=function(keys) return redis.call('GET', keys[1]) end, flags={'no-writes'}}\n\
         redis.register_function{function_name='sneaky', callback=function(keys) return redis.call('SET', keys[1], 'x') end, flags={'no-writes'}}\n\
         redis.register_function('writer', function(keys) return redis.call('SET', keys[1], 'w') end)",
    );
    install(&mut raw, "ro", &code);
    assert_eq!(raw.call(&["SET", "k", "v"]), OK);
    assert_eq!(
        fcall(&mut raw, "FCALL_RO", "reader", &["k"], &[]),
        bulk("v")
    );
    assert_eq!(fcall(&mut raw, "FCALL", "reader", &["k"], &[]), bulk("v"));
    // A function without no-writes may write, so FCALL_RO refuses it before it runs.
    assert_eq!(
        fcall(&mut raw, "FCALL_RO", "writer", &["k"], &[]),
        WRITE_FLAG_ON_RO
    );
    assert_eq!(raw.call(&["GET", "k"]), bulk("v"));
    // A no-writes function that writes fails whichever way it is called.
    let refused = function_error(
        "sneaky",
        "ERR Write commands are not allowed from read-only scripts.",
        3,
    );
    assert_eq!(fcall(&mut raw, "FCALL", "sneaky", &["k"], &[]), refused);
    assert_eq!(fcall(&mut raw, "FCALL_RO", "sneaky", &["k"], &[]), refused);
    assert_eq!(raw.call(&["GET", "k"]), bulk("v"));
    assert_eq!(fcall(&mut raw, "FCALL", "writer", &["k"], &[]), OK);
    assert_eq!(raw.call(&["GET", "k"]), bulk("w"));
}

// ---------------------------------------------------------------------------------------------
// FUNCTION LIST, DELETE, FLUSH, STATS

#[test]
fn function_list_reply_shape() {
    let server = Server::start();
    let mut raw = server.raw();
    assert_eq!(raw.call(&["FUNCTION", "LIST"]), "*0\r\n");
    let code = one_function("library1", "f6", "return 7");
    install(&mut raw, "library1", &code);
    assert_eq!(
        raw.call(&["FUNCTION", "LIST"]),
        "*1\r\n*6\r\n$12\r\nlibrary_name\r\n$8\r\nlibrary1\r\n$6\r\nengine\r\n$3\r\nLUA\r\n\
         $9\r\nfunctions\r\n*1\r\n*6\r\n$4\r\nname\r\n$2\r\nf6\r\n$11\r\ndescription\r\n$-1\r\n\
         $5\r\nflags\r\n*0\r\n"
    );
    assert_eq!(
        raw.call(&["FUNCTION", "LIST", "WITHCODE"]),
        format!("*1\r\n{}", listing("library1", &[plain("f6")], Some(&code)))
    );
    // All the flags, in Redis's order whatever the order given.
    let flagged = library(
        "flagged",
        "redis.register_function{function_name='all', callback=function() return 1 end, \
         flags={'allow-cross-slot-keys', 'no-cluster', 'allow-stale', 'allow-oom', 'no-writes'}}",
    );
    install(&mut raw, "flagged", &flagged);
    let all = Listed {
        name: "all",
        description: None,
        flags: &[
            "no-writes",
            "allow-oom",
            "allow-stale",
            "no-cluster",
            "allow-cross-slot-keys",
        ],
    };
    assert_eq!(
        raw.call(&["FUNCTION", "LIST", "LIBRARYNAME", "flag*"]),
        format!("*1\r\n{}", listing("flagged", &[all], None))
    );
}

#[test]
fn function_list_filters_by_library_name_pattern() {
    let server = Server::start();
    let mut raw = server.raw();
    let library1 = one_function("library1", "f6", "return 6");
    install(&mut raw, "library1", &library1);
    install_one(&mut raw, "lib1", "f7", "return 7");
    assert_eq!(
        raw.call(&["FUNCTION", "LIST", "LIBRARYNAME", "library*"]),
        format!("*1\r\n{}", listing("library1", &[plain("f6")], None))
    );
    assert_eq!(
        raw.call(&["FUNCTION", "LIST", "WITHCODE", "libraryname", "library?"]),
        format!(
            "*1\r\n{}",
            listing("library1", &[plain("f6")], Some(&library1))
        )
    );
    assert_eq!(
        raw.call(&["FUNCTION", "LIST", "LIBRARYNAME", "nomatch*"]),
        "*0\r\n"
    );
    assert!(raw
        .call(&["FUNCTION", "LIST", "LIBRARYNAME", "*"])
        .starts_with("*2\r\n"));
}

#[test]
fn function_list_argument_errors() {
    let server = Server::start();
    let mut raw = server.raw();
    let cases: &[(&[&str], &str)] = &[
        (&["bad_argument"], "-ERR Unknown argument bad_argument\r\n"),
        (
            &["LIBRARYNAME"],
            "-ERR library name argument was not given\r\n",
        ),
        (
            &["WITHCODE", "WITHCODE"],
            "-ERR Unknown argument WITHCODE\r\n",
        ),
        (
            &["WITHCODE", "LIBRARYNAME", "foo", "LIBRARYNAME", "foo"],
            "-ERR Unknown argument LIBRARYNAME\r\n",
        ),
    ];
    for (args, reply) in cases {
        let mut words = vec!["FUNCTION", "LIST"];
        words.extend(*args);
        assert_eq!(raw.call(&words), *reply, "{args:?}");
    }
}

#[test]
fn function_delete_removes_a_library_and_its_functions() {
    let server = Server::start();
    let mut raw = server.raw();
    let code = library(
        "lib1",
        "redis.register_function('f1', function() return 1 end)\n\
         redis.register_function('f2', function() return 2 end)",
    );
    install(&mut raw, "lib1", &code);
    install_one(&mut raw, "lib2", "f3", "return 3");
    assert_eq!(raw.call(&["FUNCTION", "DELETE", "lib1"]), OK);
    assert_eq!(fcall(&mut raw, "FCALL", "f1", &[], &[]), NOT_FOUND);
    assert_eq!(fcall(&mut raw, "FCALL", "f2", &[], &[]), NOT_FOUND);
    assert_eq!(fcall(&mut raw, "FCALL", "f3", &[], &[]), ":3\r\n");
    assert_eq!(
        raw.call(&["FUNCTION", "DELETE", "lib1"]),
        "-ERR Library not found\r\n"
    );
    assert_eq!(
        raw.call(&["FUNCTION", "DELETE"]),
        "-ERR wrong number of arguments for 'function|delete' command\r\n"
    );
    assert_eq!(
        raw.call(&["FUNCTION", "DELETE", "lib2", "lib1"]),
        "-ERR wrong number of arguments for 'function|delete' command\r\n"
    );
    // The names are free again.
    install_one(&mut raw, "lib1", "f1", "return 'again'");
    assert_eq!(fcall(&mut raw, "FCALL", "f1", &[], &[]), bulk("again"));
}

#[test]
fn function_flush_removes_every_library_but_flushall_does_not() {
    let server = Server::start();
    let mut raw = server.raw();
    let code = one_function("test", "test", "return redis.call('SET', 'x', '1')");
    let listed = format!("*1\r\n{}", listing("test", &[plain("test")], None));
    for mode in [&[][..], &["ASYNC"], &["SYNC"]] {
        install(&mut raw, "test", &code);
        // The keyspace is not the functions' home.
        assert_eq!(raw.call(&["FLUSHALL"]), OK);
        assert_eq!(raw.call(&["FLUSHDB"]), OK);
        assert_eq!(raw.call(&["FUNCTION", "LIST"]), listed);
        let mut flush = vec!["FUNCTION", "FLUSH"];
        flush.extend(mode);
        assert_eq!(raw.call(&flush), OK, "{mode:?}");
        assert_eq!(raw.call(&["FUNCTION", "LIST"]), "*0\r\n");
        assert_eq!(fcall(&mut raw, "FCALL", "test", &[], &[]), NOT_FOUND);
    }
    assert_eq!(
        raw.call(&["FUNCTION", "FLUSH", "bad_arg"]),
        "-ERR FUNCTION FLUSH only supports SYNC|ASYNC option\r\n"
    );
    assert_eq!(
        raw.call(&["FUNCTION", "FLUSH", "sync", "extra_arg"]),
        "-ERR unknown subcommand or wrong number of arguments for 'FLUSH'. Try FUNCTION HELP.\r\n"
    );
    assert_eq!(
        raw.call(&["FUNCTION", "NOSUCH"]),
        "-ERR unknown subcommand 'NOSUCH'. Try FUNCTION HELP.\r\n"
    );
}

#[test]
fn function_stats_counts_libraries_and_functions() {
    let server = Server::start();
    let mut raw = server.raw();
    let stats = |libraries: u32, functions: u32| {
        format!(
            "*4\r\n$14\r\nrunning_script\r\n$-1\r\n$7\r\nengines\r\n*2\r\n$3\r\nLUA\r\n\
             *4\r\n$15\r\nlibraries_count\r\n:{libraries}\r\n$15\r\nfunctions_count\r\n:{functions}\r\n"
        )
    };
    assert_eq!(raw.call(&["FUNCTION", "STATS"]), stats(0, 0));
    let test1 = library(
        "test1",
        "redis.register_function('f1', function() return 1 end)\n\
         redis.register_function('f2', function() return 1 end)",
    );
    install(&mut raw, "test1", &test1);
    install_one(&mut raw, "test2", "f3", "return 1");
    assert_eq!(raw.call(&["FUNCTION", "STATS"]), stats(2, 3));
    // A failed load changes nothing.
    assert_eq!(
        load(&mut raw, &[], &one_function("test1", "f4", "return 1")),
        "-ERR Library 'test1' already exists\r\n"
    );
    assert_eq!(raw.call(&["FUNCTION", "STATS"]), stats(2, 3));
    assert_eq!(raw.call(&["FUNCTION", "DELETE", "test1"]), OK);
    assert_eq!(raw.call(&["FUNCTION", "STATS"]), stats(1, 1));
    assert_eq!(raw.call(&["FUNCTION", "FLUSH"]), OK);
    assert_eq!(raw.call(&["FUNCTION", "STATS"]), stats(0, 0));
}

// ---------------------------------------------------------------------------------------------
// FUNCTION KILL

/// BUSY as answered while a function (not an EVAL script) runs.
const BUSY_FUNCTION: &str =
    "-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.\r\n";
const BUSY_SCRIPT: &str =
    "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n";

/// Code that never ends.
const SPIN: &str = "local a = 1 while true do a = a + 1 end";

/// Sends `request` on `runner` without reading its reply, then polls PING on `other` until
/// the server answers `busy` (the code has run past the time limit).
fn start_busy(runner: &mut Raw, other: &mut Raw, request: &[&str], busy: &str) {
    assert_eq!(
        other.call(&["CONFIG", "SET", "busy-reply-threshold", "100"]),
        OK
    );
    runner.send(resp(request));
    other.call_until(&["PING"], busy);
}

#[test]
fn function_kill_stops_a_busy_function_and_script_kill_does_not() {
    let server = Server::start();
    let (mut runner, mut other) = (server.raw(), server.raw());
    install_one(&mut other, "spin", "spin", SPIN);
    start_busy(
        &mut runner,
        &mut other,
        &["FCALL", "spin", "0"],
        BUSY_FUNCTION,
    );
    assert_eq!(other.call(&["SCRIPT", "KILL"]), BUSY_FUNCTION);
    assert_eq!(other.call(&["FUNCTION", "KILL"]), OK);
    assert_eq!(
        runner.reply(),
        function_error("spin", "ERR Script killed by user with SCRIPT KILL...", 2)
    );
    assert_eq!(other.call(&["PING"]), PONG);
    assert_eq!(
        other.call(&["FUNCTION", "KILL"]),
        "-NOTBUSY No scripts in execution right now.\r\n"
    );
}

#[test]
fn function_kill_does_not_stop_an_eval_script() {
    let server = Server::start();
    let (mut runner, mut other) = (server.raw(), server.raw());
    start_busy(&mut runner, &mut other, &["EVAL", SPIN, "0"], BUSY_SCRIPT);
    assert_eq!(other.call(&["FUNCTION", "KILL"]), BUSY_SCRIPT);
    assert_eq!(other.call(&["SCRIPT", "KILL"]), OK);
    assert!(runner
        .reply()
        .starts_with("-ERR Script killed by user with SCRIPT KILL... script: "));
    assert_eq!(other.call(&["PING"]), PONG);
}

// ---------------------------------------------------------------------------------------------
// Persistence

/// Restarts the server. redis-server keeps functions only in its RDB snapshot, which SHUTDOWN
/// writes once a save point is set; dredis keeps them in its data directory regardless.
fn restart(server: &mut Server) {
    assert_eq!(server.raw().call(&["CONFIG", "SET", "save", "3600 1"]), OK);
    server.restart();
}

#[test]
fn loaded_libraries_survive_a_restart() {
    let mut server = Server::start();
    let doomed = one_function("doomed", "doomed", "return 'still here'");
    let mut raw = server.raw();
    install(&mut raw, "kv", KV);
    install(&mut raw, "doomed", &doomed);
    restart(&mut server);

    let mut raw = server.raw();
    assert_lists_kv(&mut raw, &["LIBRARYNAME", "kv", "WITHCODE"]);
    assert_eq!(fcall(&mut raw, "FCALL", "kv_set", &["k"], &["v"]), OK);
    assert_eq!(
        fcall(&mut raw, "FCALL_RO", "kv_get", &["k"], &[]),
        bulk("v")
    );
    assert_eq!(
        fcall(&mut raw, "FCALL", "doomed", &[], &[]),
        bulk("still here")
    );
    // A deletion and a replacement are kept as well.
    assert_eq!(raw.call(&["FUNCTION", "DELETE", "doomed"]), OK);
    let replaced = one_function("kv", "kv_version", "return 2");
    assert_eq!(load(&mut raw, &["REPLACE"], &replaced), bulk("kv"));
    restart(&mut server);

    let mut raw = server.raw();
    assert_eq!(fcall(&mut raw, "FCALL", "doomed", &[], &[]), NOT_FOUND);
    assert_eq!(fcall(&mut raw, "FCALL", "kv_get", &["k"], &[]), NOT_FOUND);
    assert_eq!(fcall(&mut raw, "FCALL", "kv_version", &[], &[]), ":2\r\n");
    assert_eq!(
        raw.call(&["FUNCTION", "LIST", "WITHCODE"]),
        format!(
            "*1\r\n{}",
            listing("kv", &[plain("kv_version")], Some(&replaced))
        )
    );
}
