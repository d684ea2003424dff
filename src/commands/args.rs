//! The argument cursor every handler parses its arguments through.
//!
//! Arity is checked once by the dispatcher from the command table, so handlers only ask for
//! the next argument in the shape they need; the cursor turns a bad shape into Redis's exact
//! error (not an integer, not a float, syntax error).

use bytes::Bytes;

use crate::error::{Error, Result};
use crate::number;
use crate::protocol::Arg;
use crate::store::Content;

pub struct Args {
    argv: std::vec::IntoIter<Arg>,
    /// The command's full name (`get`, `client|setname`), for error texts.
    name: &'static str,
    /// A subcommand's name as the client typed it, which some errors echo.
    typed: Option<Bytes>,
}

impl Args {
    /// A cursor over the arguments that follow the command (and subcommand) name.
    pub fn new(argv: Vec<Arg>, name: &'static str) -> Args {
        Args {
            argv: argv.into_iter(),
            name,
            typed: None,
        }
    }

    /// Notes the subcommand's name as typed.
    pub fn typed_as(mut self, typed: Option<Bytes>) -> Args {
        self.typed = typed;
        self
    }

    /// Redis's error for a subcommand given the wrong arguments, naming it as it was typed.
    pub fn subcommand_syntax_error(&self, container: &str) -> Error {
        let typed = self.typed.as_deref().unwrap_or(self.name.as_bytes());
        Error::new(format!(
            "ERR unknown subcommand or wrong number of arguments for '{}'. Try {container} HELP.",
            String::from_utf8_lossy(&typed[..typed.len().min(128)])
        ))
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Arguments not consumed yet.
    pub fn remaining(&self) -> usize {
        self.argv.len()
    }

    pub fn is_empty(&self) -> bool {
        self.argv.len() == 0
    }

    /// The error for a wrong number of arguments, named after this command.
    pub fn wrong_arity(&self) -> Error {
        Error::wrong_arity(self.name)
    }

    fn next_arg(&mut self) -> Result<Arg> {
        self.argv.next().ok_or_else(Error::syntax)
    }

    /// The next argument as bytes in memory (a spilled one is read back).
    pub fn bytes(&mut self) -> Result<Bytes> {
        match self.next_arg()? {
            Arg::Bytes(b) => Ok(b),
            Arg::Spilled(s) => Ok(s.read()?),
        }
    }

    /// The next argument as a value to store: a spilled one stays a file and is moved in.
    pub fn content(&mut self) -> Result<Content> {
        Ok(match self.next_arg()? {
            Arg::Bytes(b) => Content::Bytes(b),
            Arg::Spilled(s) => Content::Spilled(s),
        })
    }

    /// The next argument as an integer (Redis's strict `string2ll`).
    pub fn int(&mut self) -> Result<i64> {
        number::parse_i64(&self.bytes()?).ok_or_else(Error::not_integer)
    }

    /// The next argument as a float (`strtod` with Redis's refusals).
    pub fn float(&mut self) -> Result<f64> {
        number::parse_f64(&self.bytes()?).ok_or_else(Error::not_float)
    }

    /// The next argument upper-cased, for matching option words.
    pub fn word(&mut self) -> Result<String> {
        Ok(String::from_utf8_lossy(&self.bytes()?).to_ascii_uppercase())
    }

    /// Consumes the next argument if it is `option` (case-insensitive).
    pub fn eat(&mut self, option: &str) -> bool {
        let next = self.argv.as_slice().first().and_then(Arg::as_bytes);
        if next.is_some_and(|b| b.eq_ignore_ascii_case(option.as_bytes())) {
            self.argv.next();
            true
        } else {
            false
        }
    }

    /// Every remaining argument, in memory.
    pub fn rest(&mut self) -> Result<Vec<Bytes>> {
        let mut out = Vec::with_capacity(self.remaining());
        while !self.is_empty() {
            out.push(self.bytes()?);
        }
        Ok(out)
    }
}
