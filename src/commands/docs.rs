//! COMMAND DOCS: what each command does, as redis-cli reads it for its hints and `HELP`.
//!
//! One line per command (subcommands by their full name, `config|get`): summary, the Redis
//! version it appeared in, its group, its complexity and its arguments. The arguments are
//! written in a compact form of Redis's syntax, which [`parse`] turns into the argument trees
//! COMMAND DOCS replies with:
//!
//! - `name` is an argument of type string; `name:type` gives another type (`key`, `integer`,
//!   `double`, `pattern`, `unix-time`);
//! - an upper-case word is a token: alone, a pure token (`NX`); before a name or a group, the
//!   token that introduces it (`EX seconds:integer`, `TYPE (NORMAL|MASTER)`);
//! - `[...]` is optional, `(...)` groups, `a|b` is one of them, and `...` after an argument
//!   means it repeats (`member...`, `(score:double member)...`).
//!
//! `scripts/command-docs` prints these lines from a reference redis-server's COMMAND DOCS.

use crate::protocol::Reply;

/// (full name, summary, since, group, complexity, arguments)
type Doc = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

#[rustfmt::skip]
const DOCS: &[Doc] = &[
    ("ping", "Ping the server", "1.0.0", "connection", "O(1)", "[message]"),
    ("echo", "Echo the given string", "1.0.0", "connection", "O(1)", "message"),
    ("select", "Change the selected database for the current connection", "1.0.0", "connection", "O(1)", "index:integer"),
    ("quit", "Close the connection", "1.0.0", "connection", "O(1)", ""),
    ("auth", "Authenticate to the server", "1.0.0", "connection", "O(N) where N is the number of passwords defined for the user", "[username] password"),
    ("hello", "Handshake with Redis", "6.0.0", "connection", "O(1)", "[protover:integer [AUTH (username password)] [SETNAME clientname]]"),
    ("client", "A container for client connection commands", "2.4.0", "connection", "Depends on subcommand.", ""),
    ("client|id", "Returns the client ID for the current connection", "5.0.0", "connection", "O(1)", ""),
    ("client|getname", "Get the current connection name", "2.6.9", "connection", "O(1)", ""),
    ("client|setname", "Set the current connection name", "2.6.9", "connection", "O(1)", "connection-name"),
    ("client|list", "Get the list of client connections", "2.4.0", "connection", "O(N) where N is the number of client connections", "[TYPE (NORMAL|MASTER|REPLICA|PUBSUB)] [ID (client-id:integer...)]"),
    ("client|info", "Returns information about the current client connection.", "6.2.0", "connection", "O(1)", ""),
    ("client|unblock", "Unblock a client blocked in a blocking command from a different connection", "5.0.0", "connection", "O(log N) where N is the number of client connections", "client-id:integer [TIMEOUT|ERROR]"),
    ("client|reply", "Instruct the server whether to reply to commands", "3.2.0", "connection", "O(1)", "(ON|OFF|SKIP)"),
    ("client|no-evict", "Set client eviction mode for the current connection", "7.0.0", "connection", "O(1)", "(ON|OFF)"),
    ("client|no-touch", "Controls whether commands sent by the client affect the LRU/LFU of accessed keys", "7.2.0", "connection", "O(1)", "(ON|OFF)"),
    ("client|setinfo", "Set client or connection specific info", "7.2.0", "connection", "O(1)", "(LIB-NAME libname|LIB-VER libver)"),
    ("client|help", "Show helpful text about the different subcommands", "5.0.0", "connection", "O(1)", ""),
    ("hset", "Set the string value of a hash field", "2.0.0", "hash", "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.", "key:key (field value)..."),
    ("hsetnx", "Set the value of a hash field, only if the field does not exist", "2.0.0", "hash", "O(1)", "key:key field value"),
    ("hget", "Get the value of a hash field", "2.0.0", "hash", "O(1)", "key:key field"),
    ("hdel", "Delete one or more hash fields", "2.0.0", "hash", "O(N) where N is the number of fields to be removed.", "key:key field..."),
    ("hlen", "Get the number of fields in a hash", "2.0.0", "hash", "O(1)", "key:key"),
    ("hkeys", "Get all the fields in a hash", "2.0.0", "hash", "O(N) where N is the size of the hash.", "key:key"),
    ("hvals", "Get all the values in a hash", "2.0.0", "hash", "O(N) where N is the size of the hash.", "key:key"),
    ("hgetall", "Get all the fields and values in a hash", "2.0.0", "hash", "O(N) where N is the size of the hash.", "key:key"),
    ("hincrby", "Increment the integer value of a hash field by the given number", "2.0.0", "hash", "O(1)", "key:key field increment:integer"),
    ("hmset", "Set multiple hash fields to multiple values", "2.0.0", "hash", "O(N) where N is the number of fields being set.", "key:key (field value)..."),
    ("hmget", "Get the values of all the given hash fields", "2.0.0", "hash", "O(N) where N is the number of fields being requested.", "key:key field..."),
    ("hexists", "Determine if a hash field exists", "2.0.0", "hash", "O(1)", "key:key field"),
    ("hstrlen", "Get the length of the value of a hash field", "3.2.0", "hash", "O(1)", "key:key field"),
    ("hincrbyfloat", "Increment the float value of a hash field by the given amount", "2.6.0", "hash", "O(1)", "key:key field increment:double"),
    ("hrandfield", "Get one or multiple random fields from a hash", "6.2.0", "hash", "O(N) where N is the number of fields returned", "key:key [count:integer [WITHVALUES]]"),
    ("hscan", "Incrementally iterate hash fields and associated values", "2.8.0", "hash", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..", "key:key cursor:integer [MATCH pattern:pattern] [COUNT count:integer]"),
    ("del", "Delete a key", "1.0.0", "generic", "O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).", "key:key..."),
    ("exists", "Determine if a key exists", "1.0.0", "generic", "O(N) where N is the number of keys to check.", "key:key..."),
    ("type", "Determine the type stored at key", "1.0.0", "generic", "O(1)", "key:key"),
    ("keys", "Find all keys matching the given pattern", "1.0.0", "generic", "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.", "pattern:pattern"),
    ("get", "Get the value of a key", "1.0.0", "string", "O(1)", "key:key"),
    ("set", "Set the string value of a key", "1.0.0", "string", "O(1)", "key:key value [NX|XX] [GET] [EX seconds:integer|PX milliseconds:integer|EXAT unix-time-seconds:unix-time|PXAT unix-time-milliseconds:unix-time|KEEPTTL]"),
    ("incr", "Increment the integer value of a key by one", "1.0.0", "string", "O(1)", "key:key"),
    ("incrby", "Increment the integer value of a key by the given amount", "1.0.0", "string", "O(1)", "key:key increment:integer"),
    ("getrange", "Get a substring of the string stored at a key", "2.4.0", "string", "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.", "key:key start:integer end:integer"),
    ("substr", "Get a substring of the string stored at a key", "1.0.0", "string", "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.", "key:key start:integer end:integer"),
    ("flushall", "Remove all keys from all databases", "1.0.0", "server", "O(N) where N is the total number of keys in all databases", "[ASYNC|SYNC]"),
    ("function", "A container for function commands", "7.0.0", "scripting", "Depends on subcommand.", ""),
    ("function|flush", "Deleting all functions", "7.0.0", "scripting", "O(N) where N is the number of functions deleted", "[ASYNC|SYNC]"),
    ("eval", "Execute a Lua script server side", "2.6.0", "scripting", "Depends on the script that is executed.", "script numkeys:integer [key:key]... [arg]..."),
    ("evalsha", "Execute a Lua script server side", "2.6.0", "scripting", "Depends on the script that is executed.", "sha1 numkeys:integer [key:key]... [arg]..."),
    ("eval_ro", "Execute a read-only Lua script server side", "7.0.0", "scripting", "Depends on the script that is executed.", "script numkeys:integer [key:key]... [arg]..."),
    ("evalsha_ro", "Execute a read-only Lua script server side", "7.0.0", "scripting", "Depends on the script that is executed.", "sha1 numkeys:integer [key:key]... [arg]..."),
    ("fcall", "Invoke a function", "7.0.0", "scripting", "Depends on the function that is executed.", "function numkeys:integer [key:key]... [arg]..."),
    ("fcall_ro", "Invoke a read-only function", "7.0.0", "scripting", "Depends on the function that is executed.", "function numkeys:integer [key:key]... [arg]..."),
    ("script", "A container for Lua scripts management commands", "2.6.0", "scripting", "Depends on subcommand.", ""),
    ("script|exists", "Check existence of scripts in the script cache.", "2.6.0", "scripting", "O(N) with N being the number of scripts to check (so checking a single script is an O(1) operation).", "sha1..."),
    ("script|flush", "Remove all the scripts from the script cache.", "2.6.0", "scripting", "O(N) with N being the number of scripts in cache", "[ASYNC|SYNC]"),
    ("script|kill", "Kill the script currently in execution.", "2.6.0", "scripting", "O(1)", ""),
    ("script|load", "Load the specified Lua script into the script cache.", "2.6.0", "scripting", "O(N) with N being the length in bytes of the script body.", "script"),
    ("script|help", "Show helpful text about the different subcommands", "5.0.0", "scripting", "O(1)", ""),
    ("function|delete", "Delete a function by name", "7.0.0", "scripting", "O(1)", "library-name"),
    ("function|help", "Show helpful text about the different subcommands", "7.0.0", "scripting", "O(1)", ""),
    ("function|kill", "Kill the function currently in execution.", "7.0.0", "scripting", "O(1)", ""),
    ("function|list", "List information about all the functions", "7.0.0", "scripting", "O(N) where N is the number of functions", "[LIBRARYNAME library-name-pattern] [WITHCODE]"),
    ("function|load", "Create a function with the given arguments (name, code, description)", "7.0.0", "scripting", "O(1) (considering compilation time is redundant)", "[REPLACE] function-code"),
    ("function|stats", "Return information about the function currently running (name, description, duration)", "7.0.0", "scripting", "O(1)", ""),
    ("flushdb", "Remove all keys from the current database", "1.0.0", "server", "O(N) where N is the number of keys in the selected database", "[ASYNC|SYNC]"),
    ("dbsize", "Return the number of keys in the selected database", "1.0.0", "server", "O(1)", ""),
    ("shutdown", "Synchronously save the dataset to disk and then shut down the server", "1.0.0", "server", "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)", "[NOSAVE|SAVE] [NOW] [FORCE] [ABORT]"),
    ("time", "Return the current server time", "2.6.0", "server", "O(1)", ""),
    ("info", "Get information and statistics about the server", "1.0.0", "server", "O(1)", "[section]..."),
    ("role", "Return the role of the instance in the context of replication", "2.8.12", "server", "O(1)", ""),
    ("lastsave", "Get the UNIX time stamp of the last successful save to disk", "1.0.0", "server", "O(1)", ""),
    ("save", "Synchronously save the dataset to disk", "1.0.0", "server", "O(N) where N is the total number of keys in all databases", ""),
    ("bgsave", "Asynchronously save the dataset to disk", "1.0.0", "server", "O(N) where N is the total number of keys in all databases", "[SCHEDULE]"),
    ("snapshot", "dredis: make a point-in-time image of the data directory for this client (IMAGE), or let it go (RELEASE)", "7.2.4", "server", "O(N) where N is the number of files in the data directory", "(IMAGE|RELEASE)"),
    ("wait", "Wait for the synchronous replication of all the write commands sent in the context of the current connection", "3.0.0", "generic", "O(1)", "numreplicas:integer timeout:integer"),
    ("debug", "A container for debugging commands", "1.0.0", "server", "Depends on subcommand.", ""),
    ("command", "Get array of Redis command details", "2.8.13", "server", "O(N) where N is the total number of Redis commands", ""),
    ("command|count", "Get total number of Redis commands", "2.8.13", "server", "O(1)", ""),
    ("command|info", "Get array of specific Redis command details, or all when no argument is given.", "2.8.13", "server", "O(N) where N is the number of commands to look up", "[command-name]..."),
    ("command|list", "Get an array of Redis command names", "7.0.0", "server", "O(N) where N is the total number of Redis commands", "[FILTERBY (MODULE module-name|ACLCAT category|PATTERN pattern:pattern)]"),
    ("command|getkeys", "Extract keys given a full Redis command", "2.8.13", "server", "O(N) where N is the number of arguments to the command", "command [arg]..."),
    ("command|getkeysandflags", "Extract keys and access flags given a full Redis command", "7.0.0", "server", "O(N) where N is the number of arguments to the command", "command [arg]..."),
    ("command|docs", "Get array of specific Redis command documentation", "7.0.0", "server", "O(N) where N is the number of commands to look up", "[command-name]..."),
    ("command|help", "Show helpful text about the different subcommands", "5.0.0", "server", "O(1)", ""),
    ("acl", "A container for Access List Control commands.", "6.0.0", "server", "Depends on subcommand.", ""),
    ("acl|cat", "Lists the ACL categories, or the commands inside a category.", "6.0.0", "server", "O(1) since the categories and commands are a fixed set.", "[category]"),
    ("acl|deluser", "Deletes ACL users, and terminates their connections.", "6.0.0", "server", "O(1) amortized time considering the typical user.", "username..."),
    ("acl|dryrun", "Simulates the execution of a command by a user, without executing the command.", "7.0.0", "server", "O(1).", "username command [arg]..."),
    ("acl|genpass", "Generates a pseudorandom, secure password that can be used to identify ACL users.", "6.0.0", "server", "O(1)", "[bits:integer]"),
    ("acl|getuser", "Lists the ACL rules of a user.", "6.0.0", "server", "O(N). Where N is the number of password, command and pattern rules that the user has.", "username"),
    ("acl|help", "Returns helpful text about the different subcommands.", "6.0.0", "server", "O(1)", ""),
    ("acl|list", "Dumps the effective rules in ACL file format.", "6.0.0", "server", "O(N). Where N is the number of configured users.", ""),
    ("acl|load", "Reloads the rules from the configured ACL file.", "6.0.0", "server", "O(N). Where N is the number of configured users.", ""),
    ("acl|save", "Saves the effective ACL rules in the configured ACL file.", "6.0.0", "server", "O(N). Where N is the number of configured users.", ""),
    ("acl|setuser", "Creates and modifies an ACL user and its rules.", "6.0.0", "server", "O(N). Where N is the number of rules provided.", "username [rule]..."),
    ("acl|users", "Lists all ACL users.", "6.0.0", "server", "O(N). Where N is the number of configured users.", ""),
    ("acl|whoami", "Returns the authenticated username of the current connection.", "6.0.0", "server", "O(1)", ""),
    ("config", "A container for server configuration commands", "2.0.0", "server", "Depends on subcommand.", ""),
    ("config|get", "Get the values of configuration parameters", "2.0.0", "server", "O(N) when N is the number of configuration parameters provided", "(parameter)..."),
    ("config|set", "Set configuration parameters to the given values", "2.0.0", "server", "O(N) when N is the number of configuration parameters provided", "(parameter value)..."),
    ("config|resetstat", "Reset the stats returned by INFO", "2.0.0", "server", "O(1)", ""),
    ("config|rewrite", "Rewrite the configuration file with the in memory configuration", "2.8.0", "server", "O(1)", ""),
    ("config|help", "Show helpful text about the different subcommands", "5.0.0", "server", "O(1)", ""),
    ("memory", "A container for memory diagnostics commands", "4.0.0", "server", "Depends on subcommand.", ""),
    ("memory|usage", "Estimate the memory usage of a key", "4.0.0", "server", "O(N) where N is the number of samples.", "key:key [SAMPLES count:integer]"),
    ("memory|doctor", "Outputs memory problems report", "4.0.0", "server", "O(1)", ""),
    ("memory|help", "Show helpful text about the different subcommands", "4.0.0", "server", "O(1)", ""),
    ("slowlog", "A container for slow log commands", "2.2.12", "server", "Depends on subcommand.", ""),
    ("slowlog|get", "Get the slow log's entries", "2.2.12", "server", "O(N) where N is the number of entries returned", "[count:integer]"),
    ("slowlog|len", "Get the slow log's length", "2.2.12", "server", "O(1)", ""),
    ("slowlog|reset", "Clear all entries from the slow log", "2.2.12", "server", "O(N) where N is the number of entries in the slowlog", ""),
    ("slowlog|help", "Show helpful text about the different subcommands", "6.2.0", "server", "O(1)", ""),
    ("sadd", "Add one or more members to a set", "1.0.0", "set", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", "key:key member..."),
    ("smembers", "Get all the members in a set", "1.0.0", "set", "O(N) where N is the set cardinality.", "key:key"),
    ("scard", "Get the number of members in a set", "1.0.0", "set", "O(1)", "key:key"),
    ("sismember", "Determine if a given value is a member of a set", "1.0.0", "set", "O(1)", "key:key member"),
    ("srem", "Remove one or more members from a set", "1.0.0", "set", "O(N) where N is the number of members to be removed.", "key:key member..."),
    ("smismember", "Returns the membership associated with the given elements for a set", "6.2.0", "set", "O(N) where N is the number of elements being checked for membership", "key:key member..."),
    ("spop", "Remove and return one or multiple random members from a set", "1.0.0", "set", "Without the count argument O(1), otherwise O(N) where N is the value of the passed count.", "key:key [count:integer]"),
    ("srandmember", "Get one or multiple random members from a set", "1.0.0", "set", "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.", "key:key [count:integer]"),
    ("smove", "Move a member from one set to another", "1.0.0", "set", "O(1)", "source:key destination:key member"),
    ("sinter", "Intersect multiple sets", "1.0.0", "set", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.", "key:key..."),
    ("sunion", "Add multiple sets", "1.0.0", "set", "O(N) where N is the total number of elements in all given sets.", "key:key..."),
    ("sdiff", "Subtract multiple sets", "1.0.0", "set", "O(N) where N is the total number of elements in all given sets.", "key:key..."),
    ("sinterstore", "Intersect multiple sets and store the resulting set in a key", "1.0.0", "set", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.", "destination:key key:key..."),
    ("sunionstore", "Add multiple sets and store the resulting set in a key", "1.0.0", "set", "O(N) where N is the total number of elements in all given sets.", "destination:key key:key..."),
    ("sdiffstore", "Subtract multiple sets and store the resulting set in a key", "1.0.0", "set", "O(N) where N is the total number of elements in all given sets.", "destination:key key:key..."),
    ("sintercard", "Intersect multiple sets and return the cardinality of the result", "7.0.0", "set", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.", "numkeys:integer key:key... [LIMIT limit:integer]"),
    ("sscan", "Incrementally iterate Set elements", "2.8.0", "set", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..", "key:key cursor:integer [MATCH pattern:pattern] [COUNT count:integer]"),
    ("lpush", "Prepend one or multiple elements to a list", "1.0.0", "list", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", "key:key element..."),
    ("rpush", "Append one or multiple elements to a list", "1.0.0", "list", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", "key:key element..."),
    ("lpushx", "Prepend an element to a list, only if the list exists", "2.2.0", "list", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", "key:key element..."),
    ("rpushx", "Append an element to a list, only if the list exists", "2.2.0", "list", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", "key:key element..."),
    ("lpop", "Remove and get the first elements in a list", "1.0.0", "list", "O(N) where N is the number of elements returned", "key:key [count:integer]"),
    ("rpop", "Remove and get the last elements in a list", "1.0.0", "list", "O(N) where N is the number of elements returned", "key:key [count:integer]"),
    ("llen", "Get the length of a list", "1.0.0", "list", "O(1)", "key:key"),
    ("lindex", "Get an element from a list by its index", "1.0.0", "list", "O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).", "key:key index:integer"),
    ("lrange", "Get a range of elements from a list", "1.0.0", "list", "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.", "key:key start:integer stop:integer"),
    ("lset", "Set the value of an element in a list by its index", "1.0.0", "list", "O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).", "key:key index:integer element"),
    ("linsert", "Insert an element before or after another element in a list", "2.2.0", "list", "O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).", "key:key (BEFORE|AFTER) pivot element"),
    ("lrem", "Remove elements from a list", "1.0.0", "list", "O(N+M) where N is the length of the list and M is the number of elements removed.", "key:key count:integer element"),
    ("ltrim", "Trim a list to the specified range", "1.0.0", "list", "O(N) where N is the number of elements to be removed by the operation.", "key:key start:integer stop:integer"),
    ("lpos", "Return the index of matching elements on a list", "6.0.6", "list", "O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.", "key:key element [RANK rank:integer] [COUNT num-matches:integer] [MAXLEN len:integer]"),
    ("lmove", "Pop an element from a list, push it to another list and return it", "6.2.0", "list", "O(1)", "source:key destination:key (LEFT|RIGHT) (LEFT|RIGHT)"),
    ("rpoplpush", "Remove the last element in a list, prepend it to another list and return it", "1.2.0", "list", "O(1)", "source:key destination:key"),
    ("lmpop", "Pop elements from a list", "7.0.0", "list", "O(N+M) where N is the number of provided keys and M is the number of elements returned.", "numkeys:integer key:key... (LEFT|RIGHT) [COUNT count:integer]"),
    ("blpop", "Remove and get the first element in a list, or block until one is available", "2.0.0", "list", "O(N) where N is the number of provided keys.", "key:key... timeout:double"),
    ("brpop", "Remove and get the last element in a list, or block until one is available", "2.0.0", "list", "O(N) where N is the number of provided keys.", "key:key... timeout:double"),
    ("blmove", "Pop an element from a list, push it to another list and return it; or block until one is available", "6.2.0", "list", "O(1)", "source:key destination:key (LEFT|RIGHT) (LEFT|RIGHT) timeout:double"),
    ("brpoplpush", "Pop an element from a list, push it to another list and return it; or block until one is available", "2.2.0", "list", "O(1)", "source:key destination:key timeout:double"),
    ("blmpop", "Pop elements from a list, or block until one is available", "7.0.0", "list", "O(N+M) where N is the number of provided keys and M is the number of elements returned.", "timeout:double numkeys:integer key:key... (LEFT|RIGHT) [COUNT count:integer]"),
    ("zadd", "Add one or more members to a sorted set, or update its score if it already exists", "1.2.0", "sorted-set", "O(log(N)) for each item added, where N is the number of elements in the sorted set.", "key:key [NX|XX] [GT|LT] [CH] [INCR] (score:double member)..."),
    ("zincrby", "Increment the score of a member in a sorted set", "1.2.0", "sorted-set", "O(log(N)) where N is the number of elements in the sorted set.", "key:key increment:integer member"),
    ("zcard", "Get the number of members in a sorted set", "1.2.0", "sorted-set", "O(1)", "key:key"),
    ("zscore", "Get the score associated with the given member in a sorted set", "1.2.0", "sorted-set", "O(1)", "key:key member"),
    ("zmscore", "Get the score associated with the given members in a sorted set", "6.2.0", "sorted-set", "O(N) where N is the number of members being requested.", "key:key member..."),
    ("zrem", "Remove one or more members from a sorted set", "1.2.0", "sorted-set", "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.", "key:key member..."),
    ("zrank", "Determine the index of a member in a sorted set", "2.0.0", "sorted-set", "O(log(N))", "key:key member [WITHSCORE]"),
    ("zrevrank", "Determine the index of a member in a sorted set, with scores ordered from high to low", "2.0.0", "sorted-set", "O(log(N))", "key:key member [WITHSCORE]"),
    ("zcount", "Count the members in a sorted set with scores within the given values", "2.0.0", "sorted-set", "O(log(N)) with N being the number of elements in the sorted set.", "key:key min:double max:double"),
    ("zlexcount", "Count the number of members in a sorted set between a given lexicographical range", "2.8.9", "sorted-set", "O(log(N)) with N being the number of elements in the sorted set.", "key:key min max"),
    ("zrange", "Return a range of members in a sorted set", "1.2.0", "sorted-set", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.", "key:key start stop [BYSCORE|BYLEX] [REV] [LIMIT (offset:integer count:integer)] [WITHSCORES]"),
    ("zrevrange", "Return a range of members in a sorted set, by index, with scores ordered from high to low", "1.2.0", "sorted-set", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.", "key:key start:integer stop:integer [WITHSCORES]"),
    ("zrangebyscore", "Return a range of members in a sorted set, by score", "1.0.5", "sorted-set", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).", "key:key min:double max:double [WITHSCORES] [LIMIT (offset:integer count:integer)]"),
    ("zrevrangebyscore", "Return a range of members in a sorted set, by score, with scores ordered from high to low", "2.2.0", "sorted-set", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).", "key:key max:double min:double [WITHSCORES] [LIMIT (offset:integer count:integer)]"),
    ("zrangebylex", "Return a range of members in a sorted set, by lexicographical range", "2.8.9", "sorted-set", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).", "key:key min max [LIMIT (offset:integer count:integer)]"),
    ("zrevrangebylex", "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.", "2.8.9", "sorted-set", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).", "key:key max min [LIMIT (offset:integer count:integer)]"),
    ("zunionstore", "Add multiple sorted sets and store the resulting sorted set in a new key", "2.0.0", "sorted-set", "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.", "destination:key numkeys:integer key:key... [WEIGHTS weight:integer]... [AGGREGATE (SUM|MIN|MAX)]"),
    ("zrangestore", "Store a range of members from sorted set into another key", "6.2.0", "sorted-set", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.", "dst:key src:key min max [BYSCORE|BYLEX] [REV] [LIMIT (offset:integer count:integer)]"),
    ("zremrangebyrank", "Remove all members in a sorted set within the given indexes", "2.0.0", "sorted-set", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.", "key:key start:integer stop:integer"),
    ("zremrangebyscore", "Remove all members in a sorted set within the given scores", "1.2.0", "sorted-set", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.", "key:key min:double max:double"),
    ("zremrangebylex", "Remove all members in a sorted set between the given lexicographical range", "2.8.9", "sorted-set", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.", "key:key min max"),
    ("zpopmin", "Remove and return members with the lowest scores in a sorted set", "5.0.0", "sorted-set", "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.", "key:key [count:integer]"),
    ("zpopmax", "Remove and return members with the highest scores in a sorted set", "5.0.0", "sorted-set", "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.", "key:key [count:integer]"),
    ("zmpop", "Remove and return members with scores in a sorted set", "7.0.0", "sorted-set", "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.", "numkeys:integer key:key... (MIN|MAX) [COUNT count:integer]"),
    ("bzpopmin", "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available", "5.0.0", "sorted-set", "O(log(N)) with N being the number of elements in the sorted set.", "key:key... timeout:double"),
    ("bzpopmax", "Remove and return the member with the highest score from one or more sorted sets, or block until one is available", "5.0.0", "sorted-set", "O(log(N)) with N being the number of elements in the sorted set.", "key:key... timeout:double"),
    ("bzmpop", "Remove and return members with scores in a sorted set or block until one is available", "7.0.0", "sorted-set", "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.", "timeout:double numkeys:integer key:key... (MIN|MAX) [COUNT count:integer]"),
    ("zrandmember", "Get one or multiple random elements from a sorted set", "6.2.0", "sorted-set", "O(N) where N is the number of elements returned", "key:key [count:integer [WITHSCORES]]"),
    ("zscan", "Incrementally iterate sorted sets elements and associated scores", "2.8.0", "sorted-set", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..", "key:key cursor:integer [MATCH pattern:pattern] [COUNT count:integer]"),
    ("zunion", "Add multiple sorted sets", "6.2.0", "sorted-set", "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.", "numkeys:integer key:key... [WEIGHTS weight:integer]... [AGGREGATE (SUM|MIN|MAX)] [WITHSCORES]"),
    ("zinter", "Intersect multiple sorted sets", "6.2.0", "sorted-set", "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.", "numkeys:integer key:key... [WEIGHTS weight:integer]... [AGGREGATE (SUM|MIN|MAX)] [WITHSCORES]"),
    ("zdiff", "Subtract multiple sorted sets", "6.2.0", "sorted-set", "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.", "numkeys:integer key:key... [WITHSCORES]"),
    ("zinterstore", "Intersect multiple sorted sets and store the resulting sorted set in a new key", "2.0.0", "sorted-set", "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.", "destination:key numkeys:integer key:key... [WEIGHTS weight:integer]... [AGGREGATE (SUM|MIN|MAX)]"),
    ("zdiffstore", "Subtract multiple sorted sets and store the resulting sorted set in a new key", "6.2.0", "sorted-set", "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.", "destination:key numkeys:integer key:key..."),
    ("zintercard", "Intersect multiple sorted sets and return the cardinality of the result", "7.0.0", "sorted-set", "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.", "numkeys:integer key:key... [LIMIT limit:integer]"),
    ("setbit", "Sets or clears the bit at offset in the string value stored at key", "2.2.0", "bitmap", "O(1)", "key:key offset:integer value:integer"),
    ("getbit", "Returns the bit value at offset in the string value stored at key", "2.2.0", "bitmap", "O(1)", "key:key offset:integer"),
    ("bitcount", "Count set bits in a string", "2.6.0", "bitmap", "O(N)", "key:key [start:integer end:integer [BYTE|BIT]]"),
    ("bitpos", "Find first bit set or clear in a string", "2.8.7", "bitmap", "O(N)", "key:key bit:integer [start:integer [end:integer [BYTE|BIT]]]"),
    ("bitfield", "Perform arbitrary bitfield integer operations on strings", "3.2.0", "bitmap", "O(1) for each subcommand specified", "key:key [(GET encoding offset:integer)|([OVERFLOW (WRAP|SAT|FAIL)] ((SET encoding offset:integer value:integer)|(INCRBY encoding offset:integer increment:integer)))...]"),
    ("bitfield_ro", "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD", "6.0.0", "bitmap", "O(1) for each subcommand specified", "key:key [(GET encoding offset:integer)...]"),
    ("bitop", "Perform bitwise operations between strings", "2.6.0", "bitmap", "O(N)", "operation destkey:key key:key..."),
    ("reset", "Reset the connection", "6.2.0", "connection", "O(1)", ""),
    ("monitor", "Listen for all requests received by the server in real time", "1.0.0", "server", "", ""),
    ("subscribe", "Listen for messages published to the given channels", "2.0.0", "pubsub", "O(N) where N is the number of channels to subscribe to.", "channel..."),
    ("unsubscribe", "Stop listening for messages posted to the given channels", "2.0.0", "pubsub", "O(N) where N is the number of clients already subscribed to a channel.", "[channel]..."),
    ("psubscribe", "Listen for messages published to channels matching the given patterns", "2.0.0", "pubsub", "O(N) where N is the number of patterns the client is already subscribed to.", "(pattern:pattern)..."),
    ("punsubscribe", "Stop listening for messages posted to channels matching the given patterns", "2.0.0", "pubsub", "O(N+M) where N is the number of patterns the client is already subscribed and M is the number of total patterns subscribed in the system (by any client).", "[pattern:pattern]..."),
    ("ssubscribe", "Listen for messages published to the given shard channels", "7.0.0", "pubsub", "O(N) where N is the number of shard channels to subscribe to.", "shardchannel..."),
    ("sunsubscribe", "Stop listening for messages posted to the given shard channels", "7.0.0", "pubsub", "O(N) where N is the number of clients already subscribed to a shard channel.", "[shardchannel]..."),
    ("publish", "Post a message to a channel", "2.0.0", "pubsub", "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).", "channel message"),
    ("spublish", "Post a message to a shard channel", "7.0.0", "pubsub", "O(N) where N is the number of clients subscribed to the receiving shard channel.", "shardchannel message"),
    ("pubsub", "A container for Pub/Sub commands", "2.8.0", "pubsub", "Depends on subcommand.", ""),
    ("pubsub|channels", "List active channels", "2.8.0", "pubsub", "O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)", "[pattern:pattern]"),
    ("pubsub|numsub", "Get the count of subscribers for channels", "2.8.0", "pubsub", "O(N) for the NUMSUB subcommand, where N is the number of requested channels", "[channel]..."),
    ("pubsub|numpat", "Get the count of unique patterns pattern subscriptions", "2.8.0", "pubsub", "O(1)", ""),
    ("pubsub|shardchannels", "List active shard channels", "7.0.0", "pubsub", "O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels).", "[pattern:pattern]"),
    ("pubsub|shardnumsub", "Get the count of subscribers for shard channels", "7.0.0", "pubsub", "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels", "[shardchannel]..."),
    ("pubsub|help", "Show helpful text about the different subcommands", "6.2.0", "pubsub", "O(1)", ""),
    ("setnx", "Set the value of a key, only if the key does not exist", "1.0.0", "string", "O(1)", "key:key value"),
    ("setex", "Set the value and expiration of a key", "2.0.0", "string", "O(1)", "key:key seconds:integer value"),
    ("psetex", "Set the value and expiration in milliseconds of a key", "2.6.0", "string", "O(1)", "key:key milliseconds:integer value"),
    ("getset", "Set the string value of a key and return its old value", "1.0.0", "string", "O(1)", "key:key value"),
    ("getdel", "Get the value of a key and delete the key", "6.2.0", "string", "O(1)", "key:key"),
    ("getex", "Get the value of a key and optionally set its expiration", "6.2.0", "string", "O(1)", "key:key [EX seconds:integer|PX milliseconds:integer|EXAT unix-time-seconds:unix-time|PXAT unix-time-milliseconds:unix-time|PERSIST]"),
    ("mget", "Get the values of all the given keys", "1.0.0", "string", "O(N) where N is the number of keys to retrieve.", "key:key..."),
    ("mset", "Set multiple keys to multiple values", "1.0.1", "string", "O(N) where N is the number of keys to set.", "(key:key value)..."),
    ("msetnx", "Set multiple keys to multiple values, only if none of the keys exist", "1.0.1", "string", "O(N) where N is the number of keys to set.", "(key:key value)..."),
    ("decr", "Decrement the integer value of a key by one", "1.0.0", "string", "O(1)", "key:key"),
    ("decrby", "Decrement the integer value of a key by the given number", "1.0.0", "string", "O(1)", "key:key decrement:integer"),
    ("incrbyfloat", "Increment the float value of a key by the given amount", "2.6.0", "string", "O(1)", "key:key increment:double"),
    ("append", "Append a value to a key", "2.0.0", "string", "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.", "key:key value"),
    ("setrange", "Overwrite part of a string at key starting at the specified offset", "2.2.0", "string", "O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.", "key:key offset:integer value"),
    ("strlen", "Get the length of the value stored in a key", "2.2.0", "string", "O(1)", "key:key"),
    ("lcs", "Find longest common substring", "7.0.0", "string", "O(N*M) where N and M are the lengths of s1 and s2, respectively", "key1:key key2:key [LEN] [IDX] [MINMATCHLEN len:integer] [WITHMATCHLEN]"),
    ("multi", "Mark the start of a transaction block", "1.2.0", "transactions", "O(1)", ""),
    ("exec", "Execute all commands issued after MULTI", "1.2.0", "transactions", "Depends on commands in the transaction", ""),
    ("discard", "Discard all commands issued after MULTI", "2.0.0", "transactions", "O(N), when N is the number of queued commands", ""),
    ("watch", "Watch the given keys to determine execution of the MULTI/EXEC block", "2.2.0", "transactions", "O(1) for every key.", "key:key..."),
    ("unwatch", "Forget about all watched keys", "2.2.0", "transactions", "O(1)", ""),
    ("client|kill", "Kill the connection of a client", "2.4.0", "connection", "O(N) where N is the number of client connections", "(ip:port|([ID client-id:integer]|[TYPE (NORMAL|MASTER|SLAVE|REPLICA|PUBSUB)]|[USER username]|[ADDR ip:port]|[LADDR ip:port]|[SKIPME yes/no])...)"),
    ("expire", "Set a key's time to live in seconds", "1.0.0", "generic", "O(1)", "key:key seconds:integer [NX|XX|GT|LT]"),
    ("pexpire", "Set a key's time to live in milliseconds", "2.6.0", "generic", "O(1)", "key:key milliseconds:integer [NX|XX|GT|LT]"),
    ("expireat", "Set the expiration for a key as a UNIX timestamp", "1.2.0", "generic", "O(1)", "key:key unix-time-seconds:unix-time [NX|XX|GT|LT]"),
    ("pexpireat", "Set the expiration for a key as a UNIX timestamp specified in milliseconds", "2.6.0", "generic", "O(1)", "key:key unix-time-milliseconds:unix-time [NX|XX|GT|LT]"),
    ("ttl", "Get the time to live for a key in seconds", "1.0.0", "generic", "O(1)", "key:key"),
    ("pttl", "Get the time to live for a key in milliseconds", "2.6.0", "generic", "O(1)", "key:key"),
    ("expiretime", "Get the expiration Unix timestamp for a key", "7.0.0", "generic", "O(1)", "key:key"),
    ("pexpiretime", "Get the expiration Unix timestamp for a key in milliseconds", "7.0.0", "generic", "O(1)", "key:key"),
    ("persist", "Remove the expiration from a key", "2.2.0", "generic", "O(1)", "key:key"),
    ("rename", "Rename a key", "1.0.0", "generic", "O(1)", "key:key newkey:key"),
    ("renamenx", "Rename a key, only if the new key does not exist", "1.0.0", "generic", "O(1)", "key:key newkey:key"),
    ("copy", "Copy a key", "6.2.0", "generic", "O(N) worst case for collections, where N is the number of nested items. O(1) for string values.", "source:key destination:key [DB destination-db:integer] [REPLACE]"),
    ("move", "Move a key to another database", "1.0.0", "generic", "O(1)", "key:key db:integer"),
    ("swapdb", "Swaps two Redis databases", "4.0.0", "server", "O(N) where N is the count of clients watching or blocking on keys from both databases.", "index1:integer index2:integer"),
    ("unlink", "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.", "4.0.0", "generic", "O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.", "key:key..."),
    ("touch", "Alters the last access time of a key(s). Returns the number of existing keys specified.", "3.2.1", "generic", "O(N) where N is the number of keys that will be touched.", "key:key..."),
    ("randomkey", "Return a random key from the keyspace", "1.0.0", "generic", "O(1)", ""),
    ("scan", "Incrementally iterate the keys space", "2.8.0", "generic", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.", "cursor:integer [MATCH pattern:pattern] [COUNT count:integer] [TYPE type]"),
    ("object", "A container for object introspection commands", "2.2.3", "generic", "Depends on subcommand.", ""),
    ("object|encoding", "Inspect the internal encoding of a Redis object", "2.2.3", "generic", "O(1)", "key:key"),
    ("object|refcount", "Get the number of references to the value of the key", "2.2.3", "generic", "O(1)", "key:key"),
    ("object|idletime", "Get the time since a Redis object was last accessed", "2.2.3", "generic", "O(1)", "key:key"),
    ("object|freq", "Get the logarithmic access frequency counter of a Redis object", "4.0.0", "generic", "O(1)", "key:key"),
    ("object|help", "Show helpful text about the different subcommands", "6.2.0", "generic", "O(1)", ""),
];

/// The documentation of a command, by full name.
pub fn find(full_name: &str) -> Option<&'static Doc> {
    DOCS.iter().find(|d| d.0 == full_name)
}

/// A command's COMMAND DOCS map; `subcommands` are the (full name, map) of its subcommands.
/// A command missing from the table gets empty texts.
pub fn reply(full_name: &str, subcommands: Vec<(Reply, Reply)>) -> Reply {
    let (_, summary, since, group, complexity, syntax) = find(full_name)
        .copied()
        .unwrap_or((full_name, "", "", "server", "", ""));
    let mut map = vec![
        field("summary", Reply::bulk(summary)),
        field("since", Reply::bulk(since)),
        field("group", Reply::bulk(group)),
        field("complexity", Reply::bulk(complexity)),
    ];
    let args = parse(syntax);
    if !args.is_empty() {
        map.push(field(
            "arguments",
            Reply::Array(args.iter().map(Arg::reply).collect()),
        ));
    }
    if !subcommands.is_empty() {
        map.push(field("subcommands", Reply::Map(subcommands)));
    }
    Reply::Map(map)
}

fn field(name: &'static str, value: Reply) -> (Reply, Reply) {
    (Reply::bulk(name), value)
}

/// One argument of a command, as COMMAND DOCS describes it.
#[derive(Debug, Default)]
struct Arg {
    name: String,
    /// string, key, integer, double, pattern, unix-time, pure-token, oneof or block.
    kind: String,
    token: Option<String>,
    optional: bool,
    multiple: bool,
    args: Vec<Arg>,
}

impl Arg {
    fn reply(&self) -> Reply {
        let mut map = vec![
            field("name", Reply::bulk(self.name.clone())),
            field("type", Reply::bulk(self.kind.clone())),
        ];
        if let Some(token) = &self.token {
            map.push(field("token", Reply::bulk(token.clone())));
        }
        let flags: Vec<Reply> = [(self.optional, "optional"), (self.multiple, "multiple")]
            .into_iter()
            .filter(|(set, _)| *set)
            .map(|(_, flag)| Reply::Status(flag.into()))
            .collect();
        if !flags.is_empty() {
            map.push(field("flags", Reply::Set(flags)));
        }
        if !self.args.is_empty() {
            map.push(field(
                "arguments",
                Reply::Array(self.args.iter().map(Arg::reply).collect()),
            ));
        }
        Reply::Map(map)
    }

    /// A group of arguments: one of them (`oneof`) or all in a row (`block`), named after its
    /// first one. A group of one is that argument.
    fn group(kind: &str, mut args: Vec<Arg>) -> Arg {
        if args.len() == 1 {
            return args.remove(0);
        }
        Arg {
            name: args.first().map(|a| a.name.clone()).unwrap_or_default(),
            kind: kind.to_string(),
            args,
            ..Arg::default()
        }
    }
}

/// The argument trees of a syntax line (see the module's documentation).
fn parse(syntax: &str) -> Vec<Arg> {
    let mut parser = Parser {
        words: lex(syntax),
        at: 0,
    };
    parser.items()
}

/// Splits a syntax line into words and the punctuation `[ ] ( ) | ...`.
fn lex(syntax: &str) -> Vec<&str> {
    let mut words = Vec::new();
    let mut rest = syntax;
    while let Some(c) = rest.chars().next() {
        let len = if c == ' ' {
            rest = &rest[1..];
            continue;
        } else if "[]()|".contains(c) {
            1
        } else if rest.starts_with("...") {
            3
        } else {
            let end = rest
                .find(|c: char| " []()|".contains(c))
                .unwrap_or(rest.len());
            // `member...`: the repeat mark is a word of its own.
            rest[..end].find("...").unwrap_or(end)
        };
        words.push(&rest[..len]);
        rest = &rest[len..];
    }
    words
}

struct Parser<'a> {
    words: Vec<&'a str>,
    at: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&'a str> {
        self.words.get(self.at).copied()
    }

    fn next(&mut self) -> Option<&'a str> {
        let word = self.peek()?;
        self.at += 1;
        Some(word)
    }

    /// Arguments in a row, up to the end of the enclosing group.
    fn items(&mut self) -> Vec<Arg> {
        let mut items = Vec::new();
        while let Some(word) = self.peek() {
            if matches!(word, "]" | ")" | "|") {
                break;
            }
            items.push(self.item());
        }
        items
    }

    /// `a|b|c` inside brackets or parentheses; the closing one is consumed.
    fn group(&mut self) -> Arg {
        let mut alternatives = vec![Arg::group("block", self.items())];
        while self.peek() == Some("|") {
            self.next();
            alternatives.push(Arg::group("block", self.items()));
        }
        self.next(); // `]` or `)`
        Arg::group("oneof", alternatives)
    }

    fn item(&mut self) -> Arg {
        let word = self.next().unwrap_or_default().to_string();
        let mut arg = match word.as_str() {
            "[" => Arg {
                optional: true,
                ..self.group()
            },
            "(" => self.group(),
            token if is_token(token) => match self.peek() {
                Some("(") => {
                    self.next();
                    Arg {
                        token: Some(word.clone()),
                        ..self.group()
                    }
                }
                Some(name) if !is_punctuation(name) && !is_token(name) => {
                    let name = self.next().unwrap_or_default();
                    Arg {
                        token: Some(word.clone()),
                        ..named(name)
                    }
                }
                _ => Arg {
                    name: word.to_ascii_lowercase(),
                    kind: "pure-token".into(),
                    token: Some(word.clone()),
                    ..Arg::default()
                },
            },
            name => named(name),
        };
        if self.peek() == Some("...") {
            self.next();
            arg.multiple = true;
        }
        arg
    }
}

fn is_punctuation(word: &str) -> bool {
    matches!(word, "[" | "]" | "(" | ")" | "|" | "...")
}

/// Upper-case words are tokens; argument names are lower case.
fn is_token(word: &str) -> bool {
    !is_punctuation(word) && !word.starts_with(|c: char| c.is_ascii_lowercase())
}

/// `name` or `name:type`.
fn named(word: &str) -> Arg {
    let (name, kind) = word.split_once(':').unwrap_or((word, "string"));
    Arg {
        name: name.to_string(),
        kind: kind.to_string(),
        ..Arg::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hint redis-cli builds from arguments (its `cliAddArgument`).
    fn hint(args: &[Arg], separator: &str) -> String {
        args.iter()
            .map(|arg| {
                let repeat = match arg.kind.as_str() {
                    "oneof" => hint(&arg.args, "|"),
                    "block" => hint(&arg.args, " "),
                    "pure-token" => String::new(),
                    _ => arg.name.clone(),
                };
                let mut token = arg.token.clone().unwrap_or_default();
                if !token.is_empty() && arg.kind != "pure-token" {
                    token.push(' ');
                }
                let mut text = format!("{token}{repeat}");
                if arg.multiple {
                    text = format!("{text} [{repeat} ...]");
                }
                if arg.optional {
                    text = format!("[{text}]");
                }
                text
            })
            .collect::<Vec<_>>()
            .join(separator)
    }

    #[test]
    fn syntax_lines_give_redis_cli_its_hints() {
        let hint_of = |syntax: &str| hint(&parse(syntax), " ");
        assert_eq!(
            hint_of(find("set").unwrap().5),
            "key value [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL]"
        );
        assert_eq!(
            hint_of(find("zadd").unwrap().5),
            "key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]"
        );
        assert_eq!(
            hint_of(find("zunionstore").unwrap().5),
            "destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX]"
        );
        assert_eq!(
            hint_of(find("client|list").unwrap().5),
            "[TYPE NORMAL|MASTER|REPLICA|PUBSUB] [ID client-id [client-id ...]]"
        );
        assert_eq!(
            hint_of(find("hello").unwrap().5),
            "[protover [AUTH username password] [SETNAME clientname]]"
        );
        let set = parse(find("set").unwrap().5);
        assert_eq!(set[0].kind, "key");
        assert_eq!(set[4].args[0].token.as_deref(), Some("EX"));
        assert_eq!(set[4].args[0].kind, "integer");
    }

    #[test]
    fn every_command_is_documented() {
        let missing: Vec<&str> = crate::commands::full_names()
            .filter(|name| find(name).is_none())
            .collect();
        assert!(
            missing.is_empty(),
            "add lines for {missing:?} (scripts/command-docs prints them)"
        );
    }

    #[test]
    fn syntax_lines_are_well_formed() {
        for doc in DOCS {
            let words = lex(doc.5);
            let opened = words.iter().filter(|w| matches!(**w, "[" | "(")).count();
            let closed = words.iter().filter(|w| matches!(**w, "]" | ")")).count();
            assert_eq!(opened, closed, "{}: {}", doc.0, doc.5);
            let mut parser = Parser { words, at: 0 };
            parser.items();
            assert_eq!(parser.at, parser.words.len(), "{}: {}", doc.0, doc.5);
        }
    }
}
