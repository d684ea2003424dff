//! One error type for commands and the store, mapped to Redis's exact error texts once.

use std::borrow::Cow;
use std::fmt;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error a command replies with.
#[derive(Debug)]
pub enum Error {
    /// Replied as is: the text starts with the error code (`ERR`, `WRONGTYPE`, ...).
    Reply(Cow<'static, str>),
    /// The disk failed us: replied as `-ERR` with the cause, logged by the server.
    Io(std::io::Error),
    /// An attempt to answer from the cache alone needed the disk; the dispatcher then runs
    /// the command on a disk thread. Never sent to a client.
    NotCached,
}

pub const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
pub const SYNTAX: &str = "ERR syntax error";
pub const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
pub const NOT_FLOAT: &str = "ERR value is not a valid float";
pub const OVERFLOW: &str = "ERR increment or decrement would overflow";
pub const DB_INDEX: &str = "ERR DB index is out of range";
pub const NOAUTH: &str = "NOAUTH Authentication required.";

impl Error {
    /// An error with a fixed text.
    pub const fn reply(text: &'static str) -> Error {
        Error::Reply(Cow::Borrowed(text))
    }

    /// An error with a composed text; `text` includes the code, e.g. `ERR ...`.
    pub fn new(text: impl Into<String>) -> Error {
        Error::Reply(Cow::Owned(text.into()))
    }

    pub fn wrong_type() -> Error {
        Error::reply(WRONGTYPE)
    }

    pub fn syntax() -> Error {
        Error::reply(SYNTAX)
    }

    pub fn not_integer() -> Error {
        Error::reply(NOT_INTEGER)
    }

    pub fn not_float() -> Error {
        Error::reply(NOT_FLOAT)
    }

    pub fn wrong_arity(command: &str) -> Error {
        Error::new(format!(
            "ERR wrong number of arguments for '{}' command",
            command.to_ascii_lowercase()
        ))
    }

    /// The text sent to the client, without the leading dash. Newlines never reach the wire.
    pub fn reply_text(&self) -> Cow<'static, str> {
        match self {
            Error::Reply(text) if text.contains(['\r', '\n']) => {
                Cow::Owned(text.replace(['\r', '\n'], " "))
            }
            Error::Reply(text) => text.clone(),
            Error::Io(e) => Cow::Owned(
                format!("ERR I/O error on the data directory: {e}").replace(['\r', '\n'], " "),
            ),
            Error::NotCached => {
                Cow::Borrowed("ERR internal error: a cache-only read reached the disk")
            }
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        Error::Io(e)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reply_text())
    }
}

impl std::error::Error for Error {}
