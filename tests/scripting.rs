//! Lua scripting: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT LOAD/EXISTS/FLUSH/KILL, with
//! Redis 7.0's conversion rules, error texts, sandbox, atomicity and busy-script handling.
//!
//! Replies are compared byte for byte through [`Raw`]: the type of a reply (status or bulk,
//! integer or double, null bulk or RESP3 null) is part of what a script returns.

mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{query, resp, Raw, Server};
use sha1::{Digest, Sha1};

const OK: &str = "+OK\r\n";
const PONG: &str = "+PONG\r\n";
const NIL: &str = "$-1\r\n";
const NOSCRIPT: &str = "-NOSCRIPT No matching script. Please use EVAL.\r\n";
const NOT_FROM_SCRIPT: &str = "ERR This Redis command is not allowed from script";
const READONLY_TABLE: &str = "Attempt to modify a readonly table";
const WRITE_IN_READ_ONLY: &str = "ERR Write commands are not allowed from read-only scripts.";
const BUSY: &str =
    "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n";
/// How long a test waits for a condition it polls.
const PATIENCE: Duration = Duration::from_secs(10);

/// The SHA1 of a script in lower-case hex, as SCRIPT LOAD answers it.
fn sha1_hex(text: &str) -> String {
    Sha1::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Runs `command` (EVAL, EVALSHA, ...) on a script or SHA with its keys and arguments; returns
/// the raw reply.
fn run(raw: &mut Raw, command: &str, script: &str, keys: &[&str], args: &[&str]) -> String {
    let numkeys = keys.len().to_string();
    let mut words = vec![command, script, &numkeys];
    words.extend(keys);
    words.extend(args);
    raw.call(&words)
}

/// EVAL with keys and arguments.
fn eval(raw: &mut Raw, script: &str, keys: &[&str], args: &[&str]) -> String {
    run(raw, "EVAL", script, keys, args)
}

/// EVAL with no keys and no arguments.
fn eval0(raw: &mut Raw, script: &str) -> String {
    eval(raw, script, &[], &[])
}

/// A bulk string reply.
fn bulk(text: &str) -> String {
    format!("${}\r\n{text}\r\n", text.len())
}

/// An array reply of bulk strings.
fn bulks(items: &[&str]) -> String {
    let mut out = format!("*{}\r\n", items.len());
    items.iter().for_each(|item| out.push_str(&bulk(item)));
    out
}

/// The error reply of a script that failed on `line`: Redis appends the script's SHA and line.
fn script_error(script: &str, message: &str, line: u32) -> String {
    format!(
        "-{message} script: {}, on @user_script:{line}.\r\n",
        sha1_hex(script)
    )
}

/// Asserts the reply of each script, run by EVAL with no keys.
fn assert_evals(raw: &mut Raw, cases: &[(&str, &str)]) {
    for (script, reply) in cases {
        assert_eq!(eval0(raw, script), *reply, "{script}");
    }
}

/// Asserts the error each script fails with on its first line (the SHA suffix added here).
fn assert_script_errors(raw: &mut Raw, cases: &[(&str, &str)]) {
    for (script, message) in cases {
        assert_eq!(
            eval0(raw, script),
            script_error(script, message, 1),
            "{script}"
        );
    }
}

/// A connection that has switched to RESP3 with HELLO 3.
fn resp3(server: &Server) -> Raw {
    let mut raw = server.raw();
    assert!(raw.call(&["HELLO", "3"]).starts_with('%'));
    raw
}

// ---------------------------------------------------------------------------------------------
// Lua -> Redis conversions

#[test]
fn lua_numbers_become_integers_truncated_toward_zero() {
    let server = Server::start();
    let mut raw = server.raw();
    assert_evals(
        &mut raw,
        &[
            ("return 100.5", ":100\r\n"),
            ("return 3.99", ":3\r\n"),
            ("return -3.99", ":-3\r\n"),
            ("return -0.5", ":0\r\n"),
            ("return 0", ":0\r\n"),
            ("return 2^53", ":9007199254740992\r\n"),
            ("return {1.5, 2.9, -7.1}", "*3\r\n:1\r\n:2\r\n:-7\r\n"),
        ],
    );
}

#[test]
fn lua_strings_become_bulk_strings_even_when_they_look_like_numbers() {
    let server = Server::start();
    let mut raw = server.raw();
    assert_evals(
        &mut raw,
        &[
            ("return 'hello world'", "$11\r\nhello world\r\n"),
            ("return ''", "$0\r\n\r\n"),
            ("return '3.99'", "$4\r\n3.99\r\n"),
            ("return tostring(3)", "$1\r\n3\r\n"),
            ("return 'bin\\0ary'", "$7\r\nbin\0ary\r\n"),
            ("return 'hello' --trailing comment", "$5\r\nhello\r\n"),
        ],
    );
}

#[test]
fn lua_booleans_and_nil_become_one_and_nil() {
    let server = Server::start();
    let mut raw = server.raw();
    assert_evals(
        &mut raw,
        &[
            ("return true", ":1\r\n"),
            ("return false", NIL),
            ("return nil", NIL),
            ("return", NIL),
            // A script without a return statement.
            ("local x = 1", NIL),
            // Only the first of several return values counts.
            ("return 1, 2", ":1\r\n"),
        ],
    );
}

#[test]
fn lua_tables_become_arrays_up_to_the_first_nil() {
    let server = Server::start();
    let mut raw = server.raw();
    assert_evals(
        &mut raw,
        &[
            (
                "return {1, 2, 3, 'ciao', {1, 2}}",
                "*5\r\n:1\r\n:2\r\n:3\r\n$4\r\nciao\r\n*2\r\n:1\r\n:2\r\n",
            ),
            ("return {1, 2, nil, 4}", "*2\r\n:1\r\n:2\r\n"),
            ("return {1, nil, 3}", "*1\r\n:1\r\n"),
            ("return {}", "*0\r\n"),
            // Only the array part counts.
            ("return {foo = 'bar'}", "*0\r\n"),
            (
                "return {1, 'a', {}, 2}",
                "*4\r\n:1\r\n$1\r\na\r\n*0\r\n:2\r\n",
            ),
            (
                "return {1, {2, {3, 'x'}}, true, false, 'y'}",
                "*5\r\n:1\r\n*2\r\n:2\r\n*2\r\n:3\r\n$1\r\nx\r\n:1\r\n$-1\r\n$1\r\ny\r\n",
            ),
        ],
    );
}

#[test]
fn ok_and_err_tables_become_status_and_error_replies() {
    let server = Server::start();
    let mut raw = server.raw();
    assert_evals(
        &mut raw,
        &[
            ("return {ok = 'fine'}", "+fine\r\n"),
            ("return {ok = '-x'}", "+-x\r\n"),
            (
                "return {err = 'ERR this is an error'}",
                "-ERR this is an error\r\n",
            ),
            // No "ERR" is added to an error without a code.
            ("return {err = 'my error'}", "-my error\r\n"),
            // Nor is a leading dash removed from a plain err table.
            ("return {err = '-ERR dashed'}", "--ERR dashed\r\n"),
            // err wins over ok and over the array part.
            ("return {ok = 'fine', err = 'bad'}", "-bad\r\n"),
            ("return {1, 2, err = 'bad'}", "-bad\r\n"),
            // A field that is not a string makes it a plain (here empty) array.
            ("return {ok = 1}", "*0\r\n"),
            ("return {err = 1}", "*0\r\n"),
        ],
    );
}

#[test]
fn status_reply_and_error_reply_helpers() {
    let server = Server::start();
    let mut raw = server.raw();
    assert_evals(
        &mut raw,
        &[
            ("return redis.status_reply('FINE')", "+FINE\r\n"),
            (
                "return redis.status_reply('MY_OK_CODE custom msg')",
                "+MY_OK_CODE custom msg\r\n",
            ),
            ("return redis.status_reply('')", "+\r\n"),
            (
                "return redis.error_reply('MY_ERR_CODE custom msg')",
                "-MY_ERR_CODE custom msg\r\n",
            ),
            // Redis 7.0 adds no "ERR" to a message without a code...
            ("return redis.error_reply('my error')", "-my error\r\n"),
            // ... but gives an empty message one, and drops a leading dash.
            ("return redis.error_reply('')", "-ERR \r\n"),
            ("return redis.error_reply('-ERR dashed')", "-ERR dashed\r\n"),
            (
                "local t = redis.error_reply('E x'); return {type(t), t.err}",
                "*2\r\n$5\r\ntable\r\n$3\r\nE x\r\n",
            ),
            (
                "local t = redis.status_reply('S x'); return {type(t), t.ok}",
                "*2\r\n$5\r\ntable\r\n$3\r\nS x\r\n",
            ),
        ],
    );
}

// ---------------------------------------------------------------------------------------------
// Redis -> Lua conversions

#[test]
fn redis_replies_become_lua_values() {
    let server = Server::start();
    let mut raw = server.raw();
    assert_eq!(raw.call(&["SET", "x", "0"]), OK);
    assert_eq!(raw.call(&["SET", "str", "abc"]), OK);
    assert_eq!(raw.call(&["RPUSH", "list", "a", "b", "c"]), ":3\r\n");
    assert_evals(
        &mut raw,
        &[
            // Integer reply -> number.
            (
                "local v = redis.call('INCR', 'x'); return {type(v), v}",
                "*2\r\n$6\r\nnumber\r\n:1\r\n",
            ),
            // Bulk reply -> string.
            (
                "local v = redis.call('GET', 'x'); return {type(v), v}",
                "*2\r\n$6\r\nstring\r\n$1\r\n1\r\n",
            ),
            // Nil bulk -> false.
            (
                "local v = redis.call('GET', 'nokey'); return {type(v), tostring(v)}",
                "*2\r\n$7\r\nboolean\r\n$5\r\nfalse\r\n",
            ),
            // Array -> table.
            (
                "local t = redis.call('LRANGE', 'list', 0, -1); return {type(t), #t, t[1], t[3]}",
                "*4\r\n$5\r\ntable\r\n:3\r\n$1\r\na\r\n$1\r\nc\r\n",
            ),
            (
                "local t = redis.call('LRANGE', 'nolist', 0, -1); return {type(t), #t}",
                "*2\r\n$5\r\ntable\r\n:0\r\n",
            ),
            // Status -> table with an ok field.
            (
                "local t = redis.call('SET', 'y', 'v'); return {type(t), t.ok}",
                "*2\r\n$5\r\ntable\r\n$2\r\nOK\r\n",
            ),
            (
                "local t = redis.call('PING'); return {type(t), t['ok']}",
                "*2\r\n$5\r\ntable\r\n$4\r\nPONG\r\n",
            ),
            // Error (through redis.pcall) -> table with an err field.
            (
                "local t = redis.pcall('INCR', 'str'); return {type(t), t.err}",
                "*2\r\n$5\r\ntable\r\n$43\r\nERR value is not an integer or out of range\r\n",
            ),
            // Nil array -> false.
            (
                "local v = redis.call('LPOP', 'nolist', 2); return {type(v), tostring(v)}",
                "*2\r\n$7\r\nboolean\r\n$5\r\nfalse\r\n",
            ),
        ],
    );
}

#[test]
fn replies_pass_through_a_script_unchanged() {
    let server = Server::start();
    let mut raw = server.raw();
    assert_eq!(raw.call(&["SET", "mykey", "myval"]), OK);
    assert_eq!(
        eval(
            &mut raw,
            "return redis.call('GET', KEYS[1])",
            &["mykey"],
            &[]
        ),
        bulk("myval")
    );
    assert_evals(
        &mut raw,
        &[
            ("return redis.call('GET', 'nokey')", NIL),
            ("return redis.call('SET', 'y', '1')", OK),
            ("return redis.call('INCR', 'y')", ":2\r\n"),
            ("return redis.call('LPOP', 'nolist', 2)", NIL),
            (
                "return redis.pcall('INCR', 'mykey')",
                "-ERR value is not an integer or out of range\r\n",
            ),
        ],
    );
}

#[test]
fn numbers_as_command_arguments_keep_their_precision() {
    let server = Server::start();
    let mut raw = server.raw();
    assert_evals(
        &mut raw,
        &[
            ("return redis.call('ECHO', 10)", "$2\r\n10\r\n"),
            ("return redis.call('ECHO', 3.5)", "$3\r\n3.5\r\n"),
            // Non-integers are formatted with 17 significant digits.
            (
                "return redis.call('ECHO', 0.1)",
                "$19\r\n0.10000000000000001\r\n",
            ),
            (
                "redis.call('SET', 'foo', 9007199254740991); return redis.call('GET', 'foo')",
                "$16\r\n9007199254740991\r\n",
            ),
            (
                "redis.call('SET', 'key', '12039611435714932082'); return redis.call('GET', 'key')",
                "$20\r\n12039611435714932082\r\n",
            ),
        ],
    );
}

#[test]
fn a_command_with_thousands_of_arguments_from_unpack() {
    let server = Server::start();
    let mut raw = server.raw();
    assert_evals(
        &mut raw,
        &[(
            "local a = {} for i = 1, 7999 do a[i] = i end return redis.call('RPUSH', 'l', unpack(a))",
            ":7999\r\n",
        )],
    );
    assert_eq!(raw.call(&["LINDEX", "l", "-1"]), bulk("7999"));
}

// ---------------------------------------------------------------------------------------------
// RESP3

#[test]
fn setresp_3_gives_the_script_resp3_replies_as_typed_tables() {
    let server = Server::start();
    let mut raw = server.raw();
    assert_eq!(raw.call(&["HSET", "h", "f", "v"]), ":1\r\n");
    assert_eq!(raw.call(&["SADD", "s", "m"]), ":1\r\n");
    assert_eq!(raw.call(&["ZADD", "z", "1.5", "m"]), ":1\r\n");
    assert_evals(
        &mut raw,
        &[
            // Map -> {map = {...}}.
            (
                "redis.setresp(3); local t = redis.call('HGETALL', 'h'); return {type(t.map), t.map.f}",
                "*2\r\n$5\r\ntable\r\n$1\r\nv\r\n",
            ),
            // Set -> {set = {member = true}}.
            (
                "redis.setresp(3); local t = redis.call('SMEMBERS', 's'); return {type(t.set), tostring(t.set.m)}",
                "*2\r\n$5\r\ntable\r\n$4\r\ntrue\r\n",
            ),
            // Double -> {double = number}.
            (
                "redis.setresp(3); local t = redis.call('ZSCORE', 'z', 'm'); return {type(t.double), tostring(t.double)}",
                "*2\r\n$6\r\nnumber\r\n$3\r\n1.5\r\n",
            ),
            // Null -> nil (not false as in RESP2).
            (
                "redis.setresp(3); return type(redis.call('GET', 'nokey'))",
                "$3\r\nnil\r\n",
            ),
            (
                "redis.setresp(3); return type(redis.call('LPOP', 'nolist', 2))",
                "$3\r\nnil\r\n",
            ),
            // Status stays a table with an ok field.
            (
                "redis.setresp(3); local t = redis.call('PING'); return {type(t), t.ok}",
                "*2\r\n$5\r\ntable\r\n$4\r\nPONG\r\n",
            ),
            // Without setresp(3) the same commands give RESP2 forms.
            (
                "local t = redis.call('ZSCORE', 'z', 'm'); return {type(t), t}",
                "*2\r\n$6\r\nstring\r\n$3\r\n1.5\r\n",
            ),
            (
                "local t = redis.call('HGETALL', 'h'); return {#t, t[1], t[2]}",
                "*3\r\n:2\r\n$1\r\nf\r\n$1\r\nv\r\n",
            ),
        ],
    );
}

#[test]
fn resp3_client_receives_maps_sets_doubles_and_nulls_from_a_setresp_3_script() {
    let server = Server::start();
    let mut raw = resp3(&server);
    assert_eq!(raw.call(&["HSET", "h", "f", "v"]), ":1\r\n");
    assert_eq!(raw.call(&["SADD", "s", "m"]), ":1\r\n");
    assert_eq!(raw.call(&["ZADD", "z", "1.5", "m"]), ":1\r\n");
    assert_evals(
        &mut raw,
        &[
            (
                "redis.setresp(3); return redis.call('HGETALL', 'h')",
                "%1\r\n$1\r\nf\r\n$1\r\nv\r\n",
            ),
            (
                "redis.setresp(3); return redis.call('SMEMBERS', 's')",
                "~1\r\n$1\r\nm\r\n",
            ),
            (
                "redis.setresp(3); return redis.call('ZSCORE', 'z', 'm')",
                ",1.5\r\n",
            ),
            (
                "redis.setresp(3); return redis.call('ZRANGE', 'z', 0, -1, 'WITHSCORES')",
                "*1\r\n*2\r\n$1\r\nm\r\n,1.5\r\n",
            ),
            (
                "redis.setresp(3); return redis.call('GET', 'nokey')",
                "_\r\n",
            ),
            ("redis.setresp(3); return true", "#t\r\n"),
            ("redis.setresp(3); return false", "#f\r\n"),
            // A RESP2 script on a RESP3 connection: flat arrays, but nil is the RESP3 null.
            (
                "return redis.call('HGETALL', 'h')",
                "*2\r\n$1\r\nf\r\n$1\r\nv\r\n",
            ),
            ("return redis.call('ZSCORE', 'z', 'm')", "$3\r\n1.5\r\n"),
            ("return redis.call('GET', 'nokey')", "_\r\n"),
            ("return nil", "_\r\n"),
            ("return false", "_\r\n"),
            ("return true", ":1\r\n"),
        ],
    );
}

#[test]
fn resp3_typed_tables_returned_by_a_script() {
    let server = Server::start();
    let mut raw = resp3(&server);
    assert_evals(
        &mut raw,
        &[
            ("return {map = {a = 1}}", "%1\r\n$1\r\na\r\n:1\r\n"),
            ("return {set = {a = true}}", "~1\r\n$1\r\na\r\n"),
            ("return {double = 0.5}", ",0.5\r\n"),
            ("return {double = 10}", ",10\r\n"),
            // (3.14 would read 3.1400000000000001 in Redis 7.0 and 3.14 in 7.2, which dredis
            // follows for every double: a value both print alike.)
            ("return {double = 2.25}", ",2.25\r\n"),
            ("return {double = 1/0}", ",inf\r\n"),
            ("return {double = -1/0}", ",-inf\r\n"),
            (
                "return {big_number = '12345678901234567890'}",
                "(12345678901234567890\r\n",
            ),
            (
                "return {verbatim_string = {format = 'txt', string = 'hi'}}",
                "=6\r\ntxt:hi\r\n",
            ),
        ],
    );
}

#[test]
fn resp2_client_gets_resp2_forms_of_resp3_values() {
    let server = Server::start();
    let mut raw = server.raw();
    assert_eq!(raw.call(&["HSET", "h", "f", "v"]), ":1\r\n");
    assert_evals(
        &mut raw,
        &[
            ("return {map = {a = 1}}", "*2\r\n$1\r\na\r\n:1\r\n"),
            ("return {set = {a = true}}", "*1\r\n$1\r\na\r\n"),
            ("return {double = 2.25}", "$4\r\n2.25\r\n"),
            (
                "return {big_number = '12345678901234567890'}",
                "$20\r\n12345678901234567890\r\n",
            ),
            (
                "redis.setresp(3); return redis.call('HGETALL', 'h')",
                "*2\r\n$1\r\nf\r\n$1\r\nv\r\n",
            ),
            ("redis.setresp(3); return true", ":1\r\n"),
            // After setresp(3), false is a boolean, which RESP2 writes as 0 (not nil).
            ("redis.setresp(3); return false", ":0\r\n"),
        ],
    );
}

#[test]
fn setresp_arguments_are_checked() {
    let server = Server::start();
    let mut raw = server.raw();
    assert_script_errors(
        &mut raw,
        &[
            ("redis.setresp(4)", "ERR RESP version must be 2 or 3."),
            (
                "redis.setresp()",
                "ERR redis.setresp() requires one argument.",
            ),
        ],
    );
}

// ---------------------------------------------------------------------------------------------
// KEYS, ARGV and the number of keys

#[test]
fn keys_and_argv_hold_the_arguments() {
    let server = Server::start();
    let mut raw = server.raw();
    assert_eq!(
        eval(
            &mut raw,
            "return {KEYS[1], KEYS[2], ARGV[1], ARGV[2], #KEYS, #ARGV}",
            &["a{t}", "b{t}"],
            &["c{t}", "d{t}"],
        ),
        "*6\r\n$4\r\na{t}\r\n$4\r\nb{t}\r\n$4\r\nc{t}\r\n$4\r\nd{t}\r\n:2\r\n:2\r\n"
    );
    assert_eq!(
        eval(&mut raw, "return {#KEYS, #ARGV, ARGV[1]}", &[], &["only"]),
        "*3\r\n:0\r\n:1\r\n$4\r\nonly\r\n"
    );
    assert_eq!(
        eval0(&mut raw, "return {type(KEYS), type(ARGV), #KEYS, #ARGV}"),
        "*4\r\n$5\r\ntable\r\n$5\r\ntable\r\n:0\r\n:0\r\n"
    );
}

#[test]
fn bad_number_of_keys_is_refused_by_every_script_command() {
    let server = Server::start();
    let mut raw = server.raw();
    let unknown_sha = "ffd632c7d33e571e9f24556ebed26c3479a87130";
    for (command, script) in [
        ("EVAL", "return 1"),
        ("EVAL_RO", "return 1"),
        ("EVALSHA", unknown_sha),
        ("EVALSHA_RO", unknown_sha),
    ] {
        let lower = command.to_ascii_lowercase();
        let cases = [
            (
                vec!["-1"],
                "-ERR Number of keys can't be negative\r\n".to_string(),
            ),
            (
                vec!["-12"],
                "-ERR Number of keys can't be negative\r\n".into(),
            ),
            (
                vec!["2", "a"],
                "-ERR Number of keys can't be greater than number of args\r\n".into(),
            ),
            (
                vec!["abc"],
                "-ERR value is not an integer or out of range\r\n".into(),
            ),
            (
                vec![],
                format!("-ERR wrong number of arguments for '{lower}' command\r\n"),
            ),
        ];
        for (rest, reply) in cases {
            let mut words = vec![command, script];
            words.extend(&rest);
            assert_eq!(raw.call(&words), reply, "{words:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The script cache: EVALSHA, SCRIPT LOAD/EXISTS/FLUSH

#[test]
fn script_load_answers_the_sha1_and_evalsha_runs_it_in_any_case() {
    let server = Server::start();
    let mut raw = server.raw();
    let script = "return 'loaded'";
    let sha = "b534286061d4b9e4026607613b95c06c06015ae8";
    assert_eq!(sha1_hex(script), sha);
    assert_eq!(raw.call(&["SCRIPT", "LOAD", script]), bulk(sha));
    // Loading it again is harmless.
    assert_eq!(raw.call(&["SCRIPT", "LOAD", script]), bulk(sha));
    assert_eq!(run(&mut raw, "EVALSHA", sha, &[], &[]), bulk("loaded"));
    assert_eq!(
        run(&mut raw, "EVALSHA", &sha.to_uppercase(), &[], &[]),
        bulk("loaded")
    );
    assert_eq!(run(&mut raw, "EVALSHA_RO", sha, &[], &[]), bulk("loaded"));
}

#[test]
fn eval_caches_the_script_for_evalsha() {
    let server = Server::start();
    let mut raw = server.raw();
    let script = "return redis.call('get',KEYS[1])";
    let sha = "fd758d1589d044dd850a6f05d52f2eefd27f033f";
    assert_eq!(sha1_hex(script), sha);
    assert_eq!(raw.call(&["SET", "mykey", "myval"]), OK);
    assert_eq!(run(&mut raw, "EVALSHA", sha, &["mykey"], &[]), NOSCRIPT);
    assert_eq!(eval(&mut raw, script, &["mykey"], &[]), bulk("myval"));
    assert_eq!(
        run(&mut raw, "EVALSHA", sha, &["mykey"], &[]),
        bulk("myval")
    );
    // The cache is the server's, not the connection's.
    let mut other = server.raw();
    assert_eq!(
        run(&mut other, "EVALSHA", &sha.to_uppercase(), &["mykey"], &[]),
        bulk("myval")
    );
}

#[test]
fn evalsha_of_an_unknown_or_malformed_sha_is_noscript() {
    let server = Server::start();
    let mut raw = server.raw();
    for sha in [
        "ffd632c7d33e571e9f24556ebed26c3479a87130",
        "NotValidShaSUM",
        "short",
    ] {
        assert_eq!(run(&mut raw, "EVALSHA", sha, &[], &[]), NOSCRIPT, "{sha}");
        assert_eq!(
            run(&mut raw, "EVALSHA_RO", sha, &[], &[]),
            NOSCRIPT,
            "{sha}"
        );
    }
}

#[test]
fn script_exists_reports_each_sha() {
    let server = Server::start();
    let mut raw = server.raw();
    assert_eq!(eval0(&mut raw, "return 1+1"), ":2\r\n");
    assert_eq!(
        raw.call(&[
            "SCRIPT",
            "EXISTS",
            "a27e7e8a43702b7046d4f6a7ccf5b60cef6b9bd9",
            "a27e7e8a43702b7046d4f6a7ccf5b60cef6b9bda",
            "A27E7E8A43702B7046D4F6A7CCF5B60CEF6B9BD9",
            "nonsense",
        ]),
        "*4\r\n:1\r\n:0\r\n:1\r\n:0\r\n"
    );
    assert_eq!(
        raw.call(&["SCRIPT", "EXISTS"]),
        "-ERR wrong number of arguments for 'script|exists' command\r\n"
    );
}

#[test]
fn script_flush_empties_the_cache_sync_async_or_default() {
    let server = Server::start();
    let mut raw = server.raw();
    for mode in [&[][..], &["SYNC"], &["ASYNC"], &["sync"]] {
        let shas: Vec<String> = (0..5)
            .map(|j| {
                let reply = raw.call(&["SCRIPT", "LOAD", &format!("return {j}")]);
                reply[5..45].to_string()
            })
            .collect();
        let mut exists = vec!["SCRIPT", "EXISTS"];
        exists.extend(shas.iter().map(String::as_str));
        assert_eq!(raw.call(&exists), format!("*5\r\n{}", ":1\r\n".repeat(5)));
        let mut flush = vec!["SCRIPT", "FLUSH"];
        flush.extend(mode);
        assert_eq!(raw.call(&flush), OK, "{mode:?}");
        assert_eq!(raw.call(&exists), format!("*5\r\n{}", ":0\r\n".repeat(5)));
        assert_eq!(run(&mut raw, "EVALSHA", &shas[0], &[], &[]), NOSCRIPT);
    }
    for bad in [&["BAD"][..], &["SYNC", "ASYNC"]] {
        let mut flush = vec!["SCRIPT", "FLUSH"];
        flush.extend(bad);
        assert_eq!(
            raw.call(&flush),
            "-ERR SCRIPT FLUSH only support SYNC|ASYNC option\r\n"
        );
    }
}

#[test]
fn script_subcommand_errors() {
    let server = Server::start();
    let mut raw = server.raw();
    assert_eq!(
        raw.call(&["SCRIPT", "LOAD", "return +"]),
        "-ERR Error compiling script (new function): user_script:1: unexpected symbol near '+'\r\n"
    );
    assert_eq!(
        raw.call(&["SCRIPT", "LOAD"]),
        "-ERR wrong number of arguments for 'script|load' command\r\n"
    );
    assert_eq!(
        raw.call(&["SCRIPT", "NOSUCH"]),
        "-ERR unknown subcommand 'NOSUCH'. Try SCRIPT HELP.\r\n"
    );
    assert_eq!(
        raw.call(&["SCRIPT"]),
        "-ERR wrong number of arguments for 'script' command\r\n"
    );
    assert_eq!(
        raw.call(&["SCRIPT", "KILL"]),
        "-NOTBUSY No scripts in execution right now.\r\n"
    );
}

#[test]
fn redis_sha1hex_hashes_its_argument() {
    let server = Server::start();
    let mut raw = server.raw();
    assert_evals(
        &mut raw,
        &[
            (
                "return redis.sha1hex('')",
                "$40\r\nda39a3ee5e6b4b0d3255bfef95601890afd80709\r\n",
            ),
            (
                "return redis.sha1hex('Pizza & Mandolino')",
                "$40\r\n74822d82031af7493c20eefa13bd07ec4fada82f\r\n",
            ),
        ],
    );
    assert_script_errors(
        &mut raw,
        &[("return redis.sha1hex()", "ERR wrong number of arguments")],
    );
}

// ---------------------------------------------------------------------------------------------
// Errors

#[test]
fn runtime_errors_carry_the_script_line_and_sha() {
    let server = Server::start();
    let mut raw = server.raw();
    assert_script_errors(
        &mut raw,
        &[
            ("error('x')", "ERR user_script:1: x"),
            ("error(42)", "ERR user_script:1: 42"),
            // Level 0: no position in the message, "ERR" still added.
            ("error('plain', 0)", "ERR plain"),
            ("error('MYERR custom', 0)", "ERR MYERR custom"),
            (
                "local t = nil; t()",
                "ERR user_script:1: attempt to call local 't' (a nil value)",
            ),
            // Raising an error table gives its text as it is.
            ("error({err = 'MYCODE custom'})", "MYCODE custom"),
            (
                "error(redis.error_reply('MYCODE custom2'))",
                "MYCODE custom2",
            ),
        ],
    );
    let script = "local x = 1\nlocal y = nil\nreturn y.z";
    assert_eq!(
        eval0(&mut raw, script),
        script_error(
            script,
            "ERR user_script:3: attempt to index local 'y' (a nil value)",
            3
        )
    );
}

#[test]
fn compile_errors_name_the_problem() {
    let server = Server::start();
    let mut raw = server.raw();
    assert_evals(
        &mut raw,
        &[
            (
                "return +",
                "-ERR Error compiling script (new function): user_script:1: unexpected symbol near '+'\r\n",
            ),
            (
                "return 'unfinished",
                "-ERR Error compiling script (new function): user_script:1: unfinished string near '<eof>'\r\n",
            ),
        ],
    );
}

#[test]
fn redis_call_raises_command_errors_with_the_script_suffix() {
    let server = Server::start();
    let mut raw = server.raw();
    assert_eq!(raw.call(&["SET", "foo", "bar"]), OK);
    assert_script_errors(
        &mut raw,
        &[
            (
                "return redis.call('SET', 'x')",
                "ERR Wrong number of args calling Redis command from script",
            ),
            (
                "return redis.call('GET', 'a', 'b', 'c')",
                "ERR Wrong number of args calling Redis command from script",
            ),
            (
                "return redis.call('nosuchcommand')",
                "ERR Unknown Redis command called from script",
            ),
            (
                "return redis.call(1)",
                "ERR Unknown Redis command called from script",
            ),
            (
                "return redis.call('LPUSH', 'foo', 'val')",
                "WRONGTYPE Operation against a key holding the wrong kind of value",
            ),
            (
                "return redis.call('INCR', 'foo')",
                "ERR value is not an integer or out of range",
            ),
            (
                "return redis.call('SELECT', 99)",
                "ERR DB index is out of range",
            ),
            (
                "return redis.call()",
                "ERR Please specify at least one argument for this redis lib call",
            ),
            (
                "return redis.call('PING', {})",
                "ERR Lua redis lib command arguments must be strings or integers",
            ),
            (
                "return redis.call('ECHO', true)",
                "ERR Lua redis lib command arguments must be strings or integers",
            ),
            (
                "return redis.call('ECHO', nil)",
                "ERR Lua redis lib command arguments must be strings or integers",
            ),
        ],
    );
    // The failed call did not disturb the next one.
    assert_evals(
        &mut raw,
        &[("return redis.call('PING', 'asdf')", "$4\r\nasdf\r\n")],
    );
}

#[test]
fn redis_pcall_returns_the_error_instead_of_raising_it() {
    let server = Server::start();
    let mut raw = server.raw();
    assert_eq!(raw.call(&["SET", "foo", "bar"]), OK);
    assert_evals(
        &mut raw,
        &[
            (
                "local e = redis.pcall('LPUSH', 'foo', 'x'); return {type(e), e.err}",
                "*2\r\n$5\r\ntable\r\n$65\r\nWRONGTYPE Operation against a key holding the wrong kind of value\r\n",
            ),
            (
                "local e = redis.pcall('GET'); return e.err",
                "$58\r\nERR Wrong number of args calling Redis command from script\r\n",
            ),
            // Returned as is, the table is an error reply without the script suffix.
            (
                "return redis.pcall('nosuch')",
                "-ERR Unknown Redis command called from script\r\n",
            ),
            (
                "return redis.pcall('PING', {})",
                "-ERR Lua redis lib command arguments must be strings or integers\r\n",
            ),
            (
                "return redis.pcall('LPUSH', 'foo', 'x')",
                "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
            ),
            // The script goes on after a failed pcall.
            (
                "redis.pcall('INCR', 'foo'); return redis.call('GET', 'foo')",
                "$3\r\nbar\r\n",
            ),
        ],
    );
}

#[test]
fn lua_pcall_catches_errors_as_their_message_string() {
    let server = Server::start();
    let mut raw = server.raw();
    assert_eq!(raw.call(&["SET", "str", "abc"]), OK);
    assert_evals(
        &mut raw,
        &[
            (
                "local ok, res = pcall(function() return 1 end); return 'status: ' .. tostring(ok) .. ' result: ' .. res",
                "$22\r\nstatus: true result: 1\r\n",
            ),
            // Redis 7's pcall turns a raised error table into its message.
            (
                "local ok, e = pcall(redis.call, 'INCR', 'str'); return {tostring(ok), type(e), e}",
                "*3\r\n$5\r\nfalse\r\n$6\r\nstring\r\n$43\r\nERR value is not an integer or out of range\r\n",
            ),
            (
                "local ok, e = pcall(function() error({err = 'X y'}) end); return e",
                "$3\r\nX y\r\n",
            ),
            (
                "local ok, e = pcall(function() error('plain') end); return e",
                "$20\r\nuser_script:1: plain\r\n",
            ),
            (
                "local ok, e = pcall(function() return undefined_var end); return e",
                "$85\r\nuser_script:1: Script attempted to access nonexistent global variable 'undefined_var'\r\n",
            ),
        ],
    );
}

// ---------------------------------------------------------------------------------------------
// Sandbox

#[test]
fn unsafe_and_removed_globals_are_absent() {
    let server = Server::start();
    let mut raw = server.raw();
    for name in [
        "os", "io", "require", "loadfile", "dofile", "print", "debug", "package", "module",
        "setfenv", "getfenv", "newproxy",
    ] {
        let script = format!("return type({name})");
        assert_eq!(
            eval0(&mut raw, &script),
            script_error(
                &script,
                &format!(
                    "ERR user_script:1: Script attempted to access nonexistent global variable '{name}'"
                ),
                1
            ),
        );
    }
    assert_script_errors(
        &mut raw,
        &[(
            "loadfile('some file')",
            "ERR user_script:1: Script attempted to access nonexistent global variable 'loadfile'",
        )],
    );
    // Left out on purpose, so not worth a warning in the log at every start.
    assert!(
        !server.log().contains("was added to Lua globals"),
        "{}",
        server.log()
    );
}

#[test]
fn reading_an_undeclared_global_is_an_error() {
    let server = Server::start();
    let mut raw = server.raw();
    assert_script_errors(
        &mut raw,
        &[(
            "return a",
            "ERR user_script:1: Script attempted to access nonexistent global variable 'a'",
        )],
    );
}

#[test]
fn globals_and_library_tables_are_read_only() {
    let server = Server::start();
    let mut raw = server.raw();
    let from_lua = format!("ERR user_script:1: {READONLY_TABLE}");
    // Raised from C (rawset, setmetatable): no position in the message.
    let from_c = format!("ERR {READONLY_TABLE}");
    assert_script_errors(
        &mut raw,
        &[
            ("a = 10", &from_lua),
            ("function f() return 1 end", &from_lua),
            ("_G.x = 1", &from_lua),
            ("_G = {}", &from_lua),
            ("redis = function() return 1 end", &from_lua),
            ("redis.call = function() return 1 end", &from_lua),
            ("cjson.encode = function() return 1 end", &from_lua),
            ("cmsgpack.pack = function() return 1 end", &from_lua),
            ("bit.lshift = function() return 1 end", &from_lua),
            ("string.foo = 1", &from_lua),
            ("local g = getmetatable(_G); g.__index = {}", &from_lua),
            ("rawset(_G, 'x', 1)", &from_c),
            ("setmetatable(_G, {})", &from_c),
        ],
    );
    // Locals are fine.
    assert_evals(
        &mut raw,
        &[(
            "local x = 5; local function f() return x * 2 end; return f()",
            ":10\r\n",
        )],
    );
}

#[test]
fn the_libraries_redis_ships_are_there() {
    let server = Server::start();
    let mut raw = server.raw();
    let names = [
        "string",
        "table",
        "math",
        "cjson",
        "cmsgpack",
        "bit",
        "struct",
        "coroutine",
        "redis",
    ];
    let script = format!(
        "return {{{}}}",
        names.map(|n| format!("type({n})")).join(", ")
    );
    assert_eq!(eval0(&mut raw, &script), bulks(&["table"; 9]));
    let functions = [
        "loadstring",
        "pcall",
        "xpcall",
        "error",
        "assert",
        "unpack",
        "select",
        "tonumber",
        "tostring",
        "pairs",
        "ipairs",
        "next",
        "rawget",
        "rawset",
        "rawequal",
        "setmetatable",
        "getmetatable",
        "collectgarbage",
        "gcinfo",
        "load",
    ];
    let script = format!(
        "return {{{}}}",
        functions.map(|n| format!("type({n})")).join(", ")
    );
    assert_eq!(eval0(&mut raw, &script), bulks(&["function"; 20]));
    assert_evals(
        &mut raw,
        &[
            ("return _VERSION", "$7\r\nLua 5.1\r\n"),
            ("return loadstring('return 7')()", ":7\r\n"),
        ],
    );
}

#[test]
fn cjson_encodes_and_decodes_nested_values() {
    let server = Server::start();
    let mut raw = server.raw();
    assert_evals(
        &mut raw,
        &[
            (
                "return cjson.encode({1, 2, 'three', {a = {b = true}}})",
                "$30\r\n[1,2,\"three\",{\"a\":{\"b\":true}}]\r\n",
            ),
            (
                "return cjson.encode(cjson.decode('[1,[2,[3,{\"k\":\"v\"}]]]'))",
                "$21\r\n[1,[2,[3,{\"k\":\"v\"}]]]\r\n",
            ),
            ("return cjson.encode({})", "$2\r\n{}\r\n"),
            ("return cjson.encode({[1] = 'a', [3] = 'c'})", "$14\r\n[\"a\",null,\"c\"]\r\n"),
            ("return cjson.encode('a\"b\\n')", "$8\r\n\"a\\\"b\\n\"\r\n"),
            ("return cjson.encode(3.14159)", "$7\r\n3.14159\r\n"),
            ("return cjson.encode(100)", "$3\r\n100\r\n"),
            (
                "local t = cjson.decode('{\"user\":{\"name\":\"ann\",\"roles\":[\"admin\",\"dev\"],\"age\":41,\"active\":true,\"none\":null}}'); \
                 return {t.user.name, t.user.roles[2], t.user.age, tostring(t.user.active), tostring(t.user.none == cjson.null)}",
                "*5\r\n$3\r\nann\r\n$3\r\ndev\r\n:41\r\n$4\r\ntrue\r\n$4\r\ntrue\r\n",
            ),
            (
                "return table.concat(cjson.decode('[0.0, -5e3, -1, 0.3e-3, 1023.2, 0e10]'), ' ')",
                "$26\r\n0 -5000 -1 0.0003 1023.2 0\r\n",
            ),
            (
                "local ok = pcall(cjson.decode, '{bad'); return tostring(ok)",
                "$5\r\nfalse\r\n",
            ),
        ],
    );
}

#[test]
fn cmsgpack_packs_and_unpacks() {
    let server = Server::start();
    let mut raw = server.raw();
    let hex = "local h = '' for i = 1, #e do h = h .. string.format('%02x', string.byte(e, i)) end return h";
    let packed = |value: &str| format!("local e = cmsgpack.pack({value}) {hex}");
    assert_evals(
        &mut raw,
        &[
            (&packed("{1, 2, 'x', {a = 1}}"), "$18\r\n940102a17881a16101\r\n"),
            (&packed("0.1"), "$18\r\ncb3fb999999999999a\r\n"),
            (&packed("-1099511627776"), "$18\r\nd3ffffff0000000000\r\n"),
            (
                "local t = cmsgpack.unpack(cmsgpack.pack({1, 2, 'x', {a = 1, b = {true, false}}})) \
                 return {t[1], t[2], t[3], t[4].a, tostring(t[4].b[1]), tostring(t[4].b[2])}",
                "*6\r\n:1\r\n:2\r\n$1\r\nx\r\n:1\r\n$4\r\ntrue\r\n$5\r\nfalse\r\n",
            ),
            (
                "local a, b, c = cmsgpack.unpack(cmsgpack.pack(1, 'two', 3.5)) return {a, b, tostring(c)}",
                "*3\r\n:1\r\n$3\r\ntwo\r\n$3\r\n3.5\r\n",
            ),
        ],
    );
}

#[test]
fn bit_operations() {
    let server = Server::start();
    let mut raw = server.raw();
    assert_evals(
        &mut raw,
        &[
            (
                "return {bit.band(0xff, 0x0f), bit.bor(1, 2, 4), bit.bxor(5, 3), bit.bnot(0), \
                 bit.lshift(1, 4), bit.rshift(256, 4), bit.arshift(-256, 4), bit.tobit(2^32 + 1)}",
                "*8\r\n:15\r\n:7\r\n:6\r\n:-1\r\n:16\r\n:16\r\n:-16\r\n:1\r\n",
            ),
            (
                "return {bit.tohex(255), bit.tohex(255, 2), bit.tohex(-1), bit.tohex(65535, -4), \
                 bit.tohex(65535, -2147483648)}",
                "*5\r\n$8\r\n000000ff\r\n$2\r\nff\r\n$8\r\nffffffff\r\n$4\r\nFFFF\r\n$8\r\n0000FFFF\r\n",
            ),
        ],
    );
}

#[test]
fn struct_packs_and_unpacks_binary_records() {
    let server = Server::start();
    let mut raw = server.raw();
    assert_evals(
        &mut raw,
        &[
            (
                "return {struct.pack('>I2', 258), struct.size('>I4i2'), struct.unpack('>I2', '\\1\\2')}",
                "*4\r\n$2\r\n\x01\x02\r\n:6\r\n:258\r\n:3\r\n",
            ),
            (
                "local s = struct.pack('<i4HBs', -2, 513, 7, 'hi') \
                 local a, b, c, d, nxt = struct.unpack('<i4HBs', s) return {#s, a, b, c, d, nxt}",
                "*6\r\n:10\r\n:-2\r\n:513\r\n:7\r\n$2\r\nhi\r\n:11\r\n",
            ),
            (
                "local s = struct.pack('>d', 1.5) return {#s, tostring(struct.unpack('>d', s))}",
                "*2\r\n:8\r\n$3\r\n1.5\r\n",
            ),
        ],
    );
}

#[test]
fn string_table_and_math_libraries() {
    let server = Server::start();
    let mut raw = server.raw();
    assert_evals(
        &mut raw,
        &[
            (
                "return {string.format('%05.1f', 3.14159), string.rep('ab', 3), string.upper('x'), \
                 string.sub('hello', 2, 4), string.len('abc'), (string.gsub('a-b-c', '-', '+'))}",
                "*6\r\n$5\r\n003.1\r\n$6\r\nababab\r\n$1\r\nX\r\n$3\r\nell\r\n:3\r\n$5\r\na+b+c\r\n",
            ),
            (
                "local t = {3, 1, 2} table.sort(t) table.insert(t, 4) \
                 return {table.concat(t, ','), #t, table.remove(t), table.getn(t)}",
                "*4\r\n$7\r\n1,2,3,4\r\n:4\r\n:4\r\n:3\r\n",
            ),
            (
                "return {math.floor(3.7), math.ceil(3.2), math.max(1, 9, 5), math.abs(-4), \
                 tostring(math.sqrt(16)), tostring(math.pi), math.fmod(7, 3), tostring(math.huge)}",
                "*8\r\n:3\r\n:4\r\n:9\r\n:4\r\n$1\r\n4\r\n$15\r\n3.1415926535898\r\n:1\r\n$3\r\ninf\r\n",
            ),
        ],
    );
}

#[test]
fn math_random_is_seeded_by_randomseed() {
    let server = Server::start();
    let mut raw = server.raw();
    let seeded = "math.randomseed(ARGV[1]); return tostring(math.random())";
    let first = eval(&mut raw, seeded, &[], &["10"]);
    let number: f64 = first.lines().nth(1).unwrap().parse().unwrap();
    assert!((0.0..1.0).contains(&number), "{first:?}");
    assert_eq!(eval(&mut raw, seeded, &[], &["10"]), first);
    assert_ne!(eval(&mut raw, seeded, &[], &["20"]), first);
}

// ---------------------------------------------------------------------------------------------
// What a script may not do

#[test]
fn eval_ro_refuses_writes() {
    let server = Server::start();
    let mut raw = server.raw();
    assert_eq!(raw.call(&["SET", "foo", "bar"]), OK);
    let read = "return redis.call('GET', KEYS[1])";
    assert_eq!(run(&mut raw, "EVAL_RO", read, &["foo"], &[]), bulk("bar"));
    let write = "return redis.call('DEL', KEYS[1])";
    assert_eq!(
        run(&mut raw, "EVAL_RO", write, &["foo"], &[]),
        script_error(write, WRITE_IN_READ_ONLY, 1)
    );
    let pwrite = "return redis.pcall('SET', 'x', 'y')";
    assert_eq!(
        run(&mut raw, "EVAL_RO", pwrite, &[], &[]),
        format!("-{WRITE_IN_READ_ONLY}\r\n")
    );
    // The same through EVALSHA_RO, and the key is untouched.
    let sha = sha1_hex(write);
    assert_eq!(raw.call(&["SCRIPT", "LOAD", write]), bulk(&sha));
    assert_eq!(
        run(&mut raw, "EVALSHA_RO", &sha, &["foo"], &[]),
        script_error(write, WRITE_IN_READ_ONLY, 1)
    );
    assert_eq!(raw.call(&["GET", "foo"]), bulk("bar"));
    assert_eq!(run(&mut raw, "EVALSHA", &sha, &["foo"], &[]), ":1\r\n");
}

#[test]
fn shebang_flags_declare_what_a_script_may_do() {
    let server = Server::start();
    let mut raw = server.raw();
    let no_writes = "#!lua flags=no-writes\nreturn redis.call('SET', 'x', '1')";
    assert_eq!(
        eval0(&mut raw, no_writes),
        script_error(no_writes, WRITE_IN_READ_ONLY, 2)
    );
    assert_eq!(
        run(
            &mut raw,
            "EVAL_RO",
            "#!lua flags=no-writes\nreturn 1",
            &[],
            &[]
        ),
        ":1\r\n"
    );
    // A shebang without no-writes declares a writing script, which EVAL_RO refuses outright.
    let writes = "#!lua\nreturn redis.call('SET', 'x', '1')";
    assert_eq!(eval0(&mut raw, writes), OK);
    assert_eq!(
        run(&mut raw, "EVAL_RO", "#!lua\nreturn 1", &[], &[]),
        "-ERR Can not execute a script with write flag using *_ro command.\r\n"
    );
    assert_evals(
        &mut raw,
        &[
            (
                "#!not-lua\nreturn 1",
                "-ERR Unexpected engine in script shebang: #!not-lua\r\n",
            ),
            (
                "#!lua badger=data\nreturn 1",
                "-ERR Unknown lua shebang option: badger=data\r\n",
            ),
            (
                "#!lua flags=allow-oom,what?\nreturn 1",
                "-ERR Unexpected flag in script shebang: what?\r\n",
            ),
        ],
    );
}

#[test]
fn transaction_blocking_and_scripting_commands_are_not_allowed_from_scripts() {
    let server = Server::start();
    let mut raw = server.raw();
    let calls = [
        "redis.call('MULTI')",
        "redis.call('EXEC')",
        "redis.call('WATCH', 'k')",
        "redis.call('BLPOP', 'empty', 0)",
        "redis.call('BRPOP', 'empty', 0)",
        "redis.call('BRPOPLPUSH', 'empty', 'other', 0)",
        "redis.call('BLMOVE', 'empty', 'other', 'LEFT', 'LEFT', 0)",
        "redis.call('BZPOPMIN', 'empty', 0)",
        "redis.call('EVAL', 'return 1', 0)",
        "redis.call('SCRIPT', 'LOAD', 'return 1')",
        "redis.call('FCALL', 'f', 0)",
        "redis.call('SUBSCRIBE', 'ch')",
        "redis.call('AUTH', 'pw')",
    ];
    let cases: Vec<(String, &str)> = calls
        .iter()
        .map(|call| (format!("return {call}"), NOT_FROM_SCRIPT))
        .collect();
    let cases: Vec<(&str, &str)> = cases.iter().map(|(s, e)| (s.as_str(), *e)).collect();
    assert_script_errors(&mut raw, &cases);
    assert_evals(
        &mut raw,
        &[(
            "return redis.pcall('BLPOP', 'empty', 0)",
            "-ERR This Redis command is not allowed from script\r\n",
        )],
    );
    // Nothing was left behind: no transaction, no subscription, no list.
    assert_eq!(raw.call(&["PING"]), PONG);
    assert_eq!(raw.call(&["EXISTS", "other"]), ":0\r\n");
}

#[test]
fn select_inside_a_script_does_not_change_the_callers_database() {
    let server = Server::start();
    let mut raw = server.raw();
    assert_eq!(raw.call(&["SET", "k", "db0"]), OK);
    assert_eq!(
        eval(
            &mut raw,
            "redis.call('SELECT', '9'); redis.call('SET', KEYS[1], 'db9'); return redis.call('GET', KEYS[1])",
            &["k"],
            &[],
        ),
        bulk("db9")
    );
    assert_eq!(raw.call(&["GET", "k"]), bulk("db0"));
    // A script starts in the caller's database.
    assert_eq!(raw.call(&["SELECT", "9"]), OK);
    assert_eq!(
        eval(&mut raw, "return redis.call('GET', KEYS[1])", &["k"], &[]),
        bulk("db9")
    );
}

// ---------------------------------------------------------------------------------------------
// The redis library's other functions

#[test]
fn redis_log_writes_to_the_server_log() {
    let server = Server::start();
    let mut raw = server.raw();
    assert_evals(
        &mut raw,
        &[
            (
                "return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}",
                "*4\r\n:0\r\n:1\r\n:2\r\n:3\r\n",
            ),
            (
                "redis.log(redis.LOG_WARNING, 'lua says', 'hello-from-a-script') \
                 redis.log(redis.LOG_NOTICE, 'notice') redis.log(redis.LOG_VERBOSE, 'verbose') \
                 redis.log(redis.LOG_DEBUG, 'debug') return 'logged'",
                "$6\r\nlogged\r\n",
            ),
        ],
    );
    let deadline = Instant::now() + PATIENCE;
    while !server.log().contains("lua says hello-from-a-script") {
        assert!(
            Instant::now() < deadline,
            "the message is not in the log:\n{}",
            server.log()
        );
        thread::sleep(Duration::from_millis(10));
    }
    assert_script_errors(
        &mut raw,
        &[
            ("return redis.log(99, 'x')", "ERR Invalid debug level."),
            (
                "return redis.log(redis.LOG_WARNING)",
                "ERR redis.log() requires two arguments or more.",
            ),
        ],
    );
}

#[test]
fn set_repl_and_replicate_commands_are_accepted() {
    let server = Server::start();
    let mut raw = server.raw();
    assert_evals(
        &mut raw,
        &[
            ("return redis.replicate_commands()", ":1\r\n"),
            (
                "redis.call('SET', 'foo', 'bar'); return redis.replicate_commands()",
                ":1\r\n",
            ),
            ("return redis.set_repl(redis.REPL_ALL)", NIL),
            (
                "redis.set_repl(redis.REPL_NONE); redis.call('SET', 'b', '2'); \
                 redis.set_repl(redis.REPL_AOF); redis.set_repl(redis.REPL_REPLICA); \
                 redis.set_repl(redis.REPL_SLAVE); redis.set_repl(redis.REPL_ALL); \
                 return redis.call('GET', 'b')",
                "$1\r\n2\r\n",
            ),
            (
                "return {redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL}",
                "*5\r\n:0\r\n:1\r\n:2\r\n:2\r\n:3\r\n",
            ),
        ],
    );
    assert_script_errors(
        &mut raw,
        &[(
            "redis.set_repl(12345)",
            "ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.",
        )],
    );
}

#[test]
fn redis_version_matches_info() {
    let server = Server::start();
    let mut con = server.con();
    let info: String = query(&mut con, &["INFO", "server"]);
    let version = info
        .lines()
        .find_map(|line| line.strip_prefix("redis_version:"))
        .expect("INFO has redis_version")
        .trim()
        .to_string();
    let numbers: Vec<i64> = version.split('.').map(|n| n.parse().unwrap()).collect();
    let script = "return {redis.REDIS_VERSION, redis.REDIS_VERSION_NUM}";
    let (text, number): (String, i64) = query(&mut con, &["EVAL", script, "0"]);
    assert_eq!(text, version);
    assert_eq!(number, (numbers[0] << 16) | (numbers[1] << 8) | numbers[2]);
}

// ---------------------------------------------------------------------------------------------
// Atomicity

/// GET, add one, SET: loses updates unless the script runs alone.
const INCR_AND_CHECK: &str = "
local v = tonumber(redis.call('GET', KEYS[1]) or '0')
redis.call('SET', KEYS[1], v + 1)
return v + 1";

#[test]
fn concurrent_read_modify_write_scripts_never_lose_an_update() {
    const CLIENTS: usize = 8;
    const CALLS: usize = 200;
    let server = Server::start();
    let results: Vec<Vec<i64>> = thread::scope(|scope| {
        let workers: Vec<_> = (0..CLIENTS)
            .map(|_| {
                scope.spawn(|| {
                    let mut con = server.con();
                    (0..CALLS)
                        .map(|_| query::<i64>(&mut con, &["EVAL", INCR_AND_CHECK, "1", "counter"]))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let total = (CLIENTS * CALLS) as i64;
    // Every call saw a distinct value: 1, 2, ... total, each exactly once.
    let seen: HashSet<i64> = results.iter().flatten().copied().collect();
    assert_eq!(seen.len() as i64, total);
    assert_eq!(seen, (1..=total).collect());
    let value: i64 = query(&mut server.con(), &["GET", "counter"]);
    assert_eq!(value, total);
}

#[test]
fn a_reader_never_sees_half_of_a_scripts_writes() {
    const WRITERS: usize = 4;
    const CALLS: usize = 200;
    let script = "
local n = redis.call('INCR', KEYS[1])
for i = 1, 2000 do end
redis.call('SET', KEYS[2], n)
return n";
    let server = Server::start();
    let done = Arc::new(AtomicBool::new(false));
    let reads = thread::scope(|scope| {
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let done = done.clone();
                let server = &server;
                scope.spawn(move || {
                    let mut con = server.con();
                    let mut reads = 0;
                    while !done.load(Ordering::Relaxed) {
                        let (a, b): (Option<i64>, Option<i64>) =
                            query(&mut con, &["MGET", "a{t}", "b{t}"]);
                        assert_eq!(a, b, "a reader saw one key changed without the other");
                        reads += 1;
                    }
                    reads
                })
            })
            .collect();
        let writers: Vec<_> = (0..WRITERS)
            .map(|_| {
                scope.spawn(|| {
                    let mut con = server.con();
                    for _ in 0..CALLS {
                        let _: i64 = query(&mut con, &["EVAL", script, "2", "a{t}", "b{t}"]);
                    }
                })
            })
            .collect();
        let written: Vec<_> = writers.into_iter().map(|w| w.join()).collect();
        // The readers stop even when a writer failed.
        done.store(true, Ordering::Relaxed);
        written.into_iter().for_each(|w| w.unwrap());
        readers
            .into_iter()
            .map(|r| r.join().unwrap())
            .sum::<usize>()
    });
    assert!(reads > 0);
    let (a, b): (i64, i64) = query(&mut server.con(), &["MGET", "a{t}", "b{t}"]);
    assert_eq!((a, b), ((WRITERS * CALLS) as i64, (WRITERS * CALLS) as i64));
}

// ---------------------------------------------------------------------------------------------
// Busy scripts, SCRIPT KILL and SHUTDOWN NOSAVE

/// Sends `request` on `runner` without reading the reply, then polls PING on `other` until
/// the server answers BUSY (the script has run past the time limit).
fn start_busy(runner: &mut Raw, other: &mut Raw, request: Vec<u8>) {
    assert_eq!(other.call(&["CONFIG", "SET", "lua-time-limit", "100"]), OK);
    runner.send(request);
    other.call_until(&["PING"], BUSY);
}

/// What the client of a killed script receives.
fn killed(script: &str) -> String {
    script_error(script, "ERR Script killed by user with SCRIPT KILL...", 1)
}

#[test]
fn a_busy_read_only_script_makes_others_busy_until_script_kill() {
    let server = Server::start();
    let (mut runner, mut other) = (server.raw(), server.raw());
    let script = "while true do end";
    start_busy(&mut runner, &mut other, resp(&["EVAL", script, "0"]));
    assert_eq!(other.call(&["GET", "x"]), BUSY);
    assert_eq!(other.call(&["SET", "x", "1"]), BUSY);
    assert_eq!(other.call(&["SCRIPT", "KILL"]), OK);
    assert_eq!(runner.reply(), killed(script));
    assert_eq!(other.call(&["PING"]), PONG);
    assert_eq!(other.call(&["GET", "x"]), NIL);
    // The killed script's connection works on.
    assert_eq!(runner.call(&["PING"]), PONG);
}

#[test]
fn script_kill_stops_a_script_that_keeps_catching_errors() {
    let server = Server::start();
    let (mut runner, mut other) = (server.raw(), server.raw());
    let script =
        "local f = function() while 1 do redis.call('ping') end end while 1 do pcall(f) end";
    start_busy(&mut runner, &mut other, resp(&["EVAL", script, "0"]));
    assert_eq!(other.call(&["SCRIPT", "KILL"]), OK);
    assert_eq!(runner.reply(), killed(script));
    assert_eq!(other.call(&["PING"]), PONG);
}

#[test]
fn a_command_pipelined_after_a_killed_script_still_runs() {
    let server = Server::start();
    let (mut runner, mut other) = (server.raw(), server.raw());
    let script = "while 1 do redis.call('ping') end";
    let mut pipeline = resp(&["EVAL", script, "0"]);
    pipeline.extend(resp(&["PING"]));
    start_busy(&mut runner, &mut other, pipeline);
    assert_eq!(other.call(&["SCRIPT", "KILL"]), OK);
    assert_eq!(runner.reply(), killed(script));
    assert_eq!(runner.reply(), PONG);
}

#[test]
fn a_script_that_wrote_is_unkillable_but_shutdown_nosave_stops_the_server() {
    let mut server = Server::start();
    let (mut runner, mut other) = (server.raw(), server.raw());
    start_busy(
        &mut runner,
        &mut other,
        resp(&[
            "EVAL",
            "redis.call('SET', KEYS[1], 'y'); while true do end",
            "1",
            "x",
        ]),
    );
    assert_eq!(
        other.call(&["SCRIPT", "KILL"]),
        "-UNKILLABLE Sorry the script already executed write commands against the dataset. \
         You can either wait the script termination or kill the server in a hard way using the \
         SHUTDOWN NOSAVE command.\r\n"
    );
    assert_eq!(other.call(&["PING"]), BUSY);
    assert_eq!(other.call(&["GET", "x"]), BUSY);
    // Only SHUTDOWN NOSAVE gets through.
    assert_eq!(other.call(&["SHUTDOWN"]), BUSY);
    other.send(resp(&["SHUTDOWN", "NOSAVE"]));
    assert_eq!(other.read_to_end(), b"");
    assert!(server.wait_exit().success());
    assert_eq!(runner.read_to_end(), b"");
}

#[test]
fn script_kill_with_nothing_running_is_notbusy() {
    let server = Server::start();
    let mut raw = server.raw();
    assert_eq!(
        raw.call(&["SCRIPT", "KILL"]),
        "-NOTBUSY No scripts in execution right now.\r\n"
    );
    // A long but finishing script is not killed and leaves the connection usable.
    assert_eq!(raw.call(&["CONFIG", "SET", "lua-time-limit", "10"]), OK);
    assert_evals(
        &mut raw,
        &[(
            "for i = 1, 100000 do redis.call('ping') end return 'ok'",
            "$2\r\nok\r\n",
        )],
    );
    assert_eq!(raw.call(&["PING"]), PONG);
}

// ---------------------------------------------------------------------------------------------
// Real-world scripts, through the redis crate's Script (EVALSHA, loading on NOSCRIPT)

/// Deletes the lock only when it still holds the caller's token.
const RELEASE_LOCK: &str = "
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0";

#[test]
fn a_lock_is_released_only_by_its_owner() {
    let server = Server::start();
    let mut con = server.con();
    let acquire = |con: &mut redis::Connection, token: &str| -> bool {
        query::<Option<String>>(con, &["SET", "lock", token, "NX", "PX", "30000"]).is_some()
    };
    let release = redis::Script::new(RELEASE_LOCK);
    let release = |con: &mut redis::Connection, token: &str| -> i64 {
        release.key("lock").arg(token).invoke(con).unwrap()
    };
    assert!(acquire(&mut con, "owner-a"));
    assert!(!acquire(&mut con, "owner-b"));
    // The second owner cannot release it: the lock and its expiry stay.
    assert_eq!(release(&mut con, "owner-b"), 0);
    let holder: String = query(&mut con, &["GET", "lock"]);
    assert_eq!(holder, "owner-a");
    let ttl: i64 = query(&mut con, &["PTTL", "lock"]);
    assert!((1..=30000).contains(&ttl), "{ttl}");
    assert_eq!(release(&mut con, "owner-a"), 1);
    assert_eq!(query::<i64>(&mut con, &["EXISTS", "lock"]), 0);
    // Released twice: nothing to do. Now the other owner gets it.
    assert_eq!(release(&mut con, "owner-a"), 0);
    assert!(acquire(&mut con, "owner-b"));
}

/// Allows ARGV[3] requests per ARGV[2] milliseconds; ARGV[1] is now (ms), ARGV[4] the request.
const RATE_LIMIT: &str = "
local key, now, window, limit = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) >= limit then
    return 0
end
redis.call('ZADD', key, now, ARGV[4])
redis.call('PEXPIRE', key, window)
return 1";

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

#[test]
fn a_sliding_window_rate_limiter_over_a_sorted_set() {
    const WINDOW: u64 = 1000;
    const LIMIT: usize = 3;
    let server = Server::start();
    let mut con = server.con();
    let limiter = redis::Script::new(RATE_LIMIT);
    let mut request = 0;
    let mut allow = |con: &mut redis::Connection, user: &str, now: u64| -> bool {
        request += 1;
        let allowed: i64 = limiter
            .key(format!("rate:{user}"))
            .arg(now)
            .arg(WINDOW)
            .arg(LIMIT)
            .arg(format!("req-{request}"))
            .invoke(con)
            .unwrap();
        allowed == 1
    };
    let accepted: Vec<u64> = (0..LIMIT)
        .map(|_| {
            let now = now_ms();
            assert!(allow(&mut con, "ann", now));
            now
        })
        .collect();
    assert!(!allow(&mut con, "ann", now_ms()));
    // Refused requests are not counted; other users have their own window.
    assert_eq!(query::<usize>(&mut con, &["ZCARD", "rate:ann"]), LIMIT);
    assert!(allow(&mut con, "bob", now_ms()));
    let ttl: i64 = query(&mut con, &["PTTL", "rate:ann"]);
    assert!((1..=WINDOW as i64).contains(&ttl), "{ttl}");
    // Once the first request leaves the window, the next one is allowed.
    let deadline = Instant::now() + PATIENCE;
    let (allowed_at, sent) = loop {
        let (now, sent) = (now_ms(), Instant::now());
        if allow(&mut con, "ann", now) {
            break (now, sent);
        }
        assert!(Instant::now() < deadline, "the window never slid");
        thread::sleep(Duration::from_millis(10));
    };
    assert!(allowed_at >= accepted[0] + WINDOW);
    // The window holds the new request and the old ones still inside it, until the key
    // expires, a window after the request (a loaded machine can stall that long).
    let inside = accepted
        .iter()
        .filter(|&&t| t > allowed_at - WINDOW)
        .count();
    let held = query::<usize>(&mut con, &["ZCARD", "rate:ann"]);
    if sent.elapsed() < Duration::from_millis(WINDOW) {
        assert_eq!(held, 1 + inside);
    }
}

#[test]
fn a_table_that_contains_itself_ends_in_the_stack_limit_error() {
    let server = Server::start();
    let mut raw = server.raw();
    let reply = eval0(&mut raw, "local a = {}; local b = {a}; a[1] = b; return a");
    // Arrays of one element, nested until the limit, then Redis's error; the server lives.
    assert!(reply.starts_with("*1\r\n*1\r\n"), "{}", &reply[..20]);
    assert!(reply.ends_with("-ERR reached lua stack limit\r\n"));
    assert_eq!(raw.call(&["PING"]), "+PONG\r\n");
}
