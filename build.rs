//! Builds the Lua interpreter that scripts run on: Redis's Lua 5.1 (vendor/lua, from Redis's
//! deps/lua), which adds read-only tables (the sandbox locks the globals with them) and ships
//! the libraries scripts expect (cjson, cmsgpack, bit, struct). mlua links against it.

fn main() {
    let dir = std::path::Path::new("vendor/lua");
    println!("cargo:rerun-if-changed={}", dir.display());
    let sources: Vec<_> = std::fs::read_dir(dir)
        .expect("vendor/lua")
        .map(|entry| entry.expect("vendor/lua entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "c"))
        .collect();
    cc::Build::new()
        .files(sources)
        .include(dir)
        // Redis's flags for its Lua (deps/Makefile).
        .define("LUA_ANSI", None)
        .define("ENABLE_CJSON_GLOBAL", None)
        .define("REDIS_STATIC", Some(""))
        .define("LUA_USE_MKSTEMP", None)
        .opt_level(2)
        .warnings(false)
        .compile("lua");
}
