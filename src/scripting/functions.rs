//! FUNCTION libraries: loaded from `#!lua name=<library>` code, callable with FCALL, and
//! kept in the data directory (`DATA/functions/<library>`, the code as it was loaded) so
//! that they are there again after a restart, as Redis keeps them in its RDB file.
//!
//! A library file is written to `tmp/` and renamed into place, so a crash leaves either the
//! old code or the new.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use bytes::Bytes;

use super::lua::{Interpreter, Registered};
use super::ScriptFlags;
use crate::error::{Error, Result};
use crate::glob;
use crate::protocol::Reply;

/// The loaded libraries and their functions.
pub struct Functions {
    lua: Interpreter,
    libraries: BTreeMap<String, Library>,
    /// Every function, by name, across libraries.
    functions: HashMap<String, Function>,
    /// Where libraries are kept; None until [`Functions::open`].
    dir: Option<Persistence>,
}

struct Persistence {
    dir: PathBuf,
    tmp: PathBuf,
    fsync: bool,
}

struct Library {
    code: Bytes,
    /// Its functions' names, in the order they were registered.
    functions: Vec<String>,
}

struct Function {
    /// As registered (the map's key is lower-case: FCALL finds it in any case).
    name: String,
    library: String,
    description: Option<Bytes>,
    flags: ScriptFlags,
}

impl Default for Functions {
    fn default() -> Self {
        Functions {
            lua: Interpreter::for_functions(),
            libraries: BTreeMap::new(),
            functions: HashMap::new(),
            dir: None,
        }
    }
}

/// The registry name of a function's callback.
fn registry_name(function: &str) -> String {
    format!("__function__{}", function.to_ascii_lowercase())
}

/// Function names are case-insensitive, as Redis's function dictionary.
fn key(function: &str) -> String {
    function.to_ascii_lowercase()
}

impl Functions {
    /// Loads the libraries kept in `root/functions`, and keeps later changes there
    /// (`tmp` is the data directory's staging directory).
    pub fn open(&mut self, root: &Path, tmp: &Path, fsync: bool) -> io::Result<()> {
        let dir = root.join("functions");
        fs::create_dir_all(&dir)?;
        let mut names: Vec<PathBuf> = fs::read_dir(&dir)?
            .map(|entry| entry.map(|e| e.path()))
            .collect::<io::Result<_>>()?;
        names.sort();
        for path in names {
            let code = fs::read(&path)?;
            self.load(code.into(), false).map_err(|e| {
                io::Error::other(format!(
                    "the function library {} does not load: {}",
                    path.display(),
                    e.reply_text()
                ))
            })?;
        }
        self.dir = Some(Persistence {
            dir,
            tmp: tmp.to_path_buf(),
            fsync,
        });
        Ok(())
    }

    /// FUNCTION LOAD [REPLACE]: the library's name (Redis's `functionsCreateWithLibraryCtx`).
    pub fn load(&mut self, code: Bytes, replace: bool) -> Result<String> {
        let (name, body) = metadata(&code).map_err(|e| Error::new(format!("ERR {e}")))?;
        if self.libraries.contains_key(&name) && !replace {
            return Err(Error::new(format!("ERR Library '{name}' already exists")));
        }
        let registered = self
            .lua
            .load_library(body)
            .map_err(|e| Error::new(format!("ERR {e}")))?;
        let problem = if registered.is_empty() {
            Some("No functions registered".to_string())
        } else {
            registered
                .iter()
                .find(|f| {
                    self.functions
                        .get(&key(&f.name))
                        .is_some_and(|existing| existing.library != name)
                })
                .map(|f| format!("Function {} already exists", f.name))
        };
        if let Some(problem) = problem {
            for function in registered {
                self.lua.release(function);
            }
            return Err(Error::new(format!("ERR {problem}")));
        }
        self.persist(&name, Some(&code))?;
        self.unlink(&name);
        self.link(&name, code, registered);
        Ok(name)
    }

    fn link(&mut self, name: &str, code: Bytes, registered: Vec<Registered>) {
        let mut names = Vec::with_capacity(registered.len());
        for function in registered {
            self.lua.install(&function, &registry_name(&function.name));
            names.push(function.name.clone());
            self.functions.insert(
                key(&function.name),
                Function {
                    name: function.name.clone(),
                    library: name.to_string(),
                    description: function.description.clone(),
                    flags: function.flags,
                },
            );
            self.lua.release(function);
        }
        self.libraries.insert(
            name.to_string(),
            Library {
                code,
                functions: names,
            },
        );
    }

    /// Forgets a library and its functions, if loaded.
    fn unlink(&mut self, name: &str) -> bool {
        let Some(library) = self.libraries.remove(name) else {
            return false;
        };
        for function in library.functions {
            self.lua.remove(&registry_name(&function));
            self.functions.remove(&key(&function));
        }
        true
    }

    /// FUNCTION DELETE.
    pub fn delete(&mut self, name: &[u8]) -> Result<()> {
        let name = String::from_utf8_lossy(name);
        if !self.libraries.contains_key(name.as_ref()) {
            return Err(Error::reply("ERR Library not found"));
        }
        self.persist(&name, None)?;
        self.unlink(&name);
        Ok(())
    }

    /// FUNCTION FLUSH.
    pub fn flush(&mut self) -> Result<()> {
        let names: Vec<String> = self.libraries.keys().cloned().collect();
        for name in names {
            self.persist(&name, None)?;
        }
        let dir = self.dir.take();
        *self = Functions::default();
        self.dir = dir;
        Ok(())
    }

    /// The registry name and flags of function `name`, for FCALL.
    pub fn find(&self, name: &[u8]) -> Result<(String, ScriptFlags)> {
        let name = key(&String::from_utf8_lossy(name));
        match self.functions.get(&name) {
            Some(function) => Ok((registry_name(&name), function.flags)),
            None => Err(Error::reply("ERR Function not found")),
        }
    }

    pub fn interpreter(&mut self) -> &mut Interpreter {
        &mut self.lua
    }

    /// (libraries, functions), for FUNCTION STATS.
    pub fn counts(&self) -> (usize, usize) {
        (self.libraries.len(), self.functions.len())
    }

    /// FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE].
    pub fn list(&self, pattern: Option<&[u8]>, with_code: bool) -> Reply {
        let libraries = self
            .libraries
            .iter()
            .filter(|(name, _)| pattern.is_none_or(|p| glob::matches_nocase(p, name.as_bytes())));
        Reply::Array(
            libraries
                .map(|(name, library)| {
                    let mut fields = vec![
                        (Reply::bulk("library_name"), Reply::bulk(name.clone())),
                        (Reply::bulk("engine"), Reply::bulk("LUA")),
                        (Reply::bulk("functions"), self.describe(library)),
                    ];
                    if with_code {
                        fields.push((
                            Reply::bulk("library_code"),
                            Reply::Bulk(library.code.clone()),
                        ));
                    }
                    Reply::Map(fields)
                })
                .collect(),
        )
    }

    fn describe(&self, library: &Library) -> Reply {
        Reply::Array(
            library
                .functions
                .iter()
                .filter_map(|name| self.functions.get(&key(name)))
                .map(|function| {
                    Reply::Map(vec![
                        (Reply::bulk("name"), Reply::bulk(function.name.clone())),
                        (
                            Reply::bulk("description"),
                            Reply::bulk_or_nil(function.description.clone()),
                        ),
                        (
                            Reply::bulk("flags"),
                            Reply::Set(
                                function
                                    .flags
                                    .names()
                                    .into_iter()
                                    .map(|f| Reply::Status(f.into()))
                                    .collect(),
                            ),
                        ),
                    ])
                })
                .collect(),
        )
    }

    /// Writes (Some) or removes (None) a library's file, when libraries are kept on disk.
    fn persist(&self, name: &str, code: Option<&[u8]>) -> io::Result<()> {
        let Some(place) = &self.dir else {
            return Ok(());
        };
        let path = place.dir.join(name);
        match code {
            Some(code) => {
                let mut staged = tempfile::NamedTempFile::new_in(&place.tmp)?;
                staged.write_all(code)?;
                if place.fsync {
                    staged.as_file().sync_all()?;
                }
                staged.persist(&path).map_err(|e| e.error)?;
            }
            None => match fs::remove_file(&path) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            },
        }
        if place.fsync {
            fs::File::open(&place.dir)?.sync_all()?;
        }
        Ok(())
    }
}

/// The library name and the code after the `#!<engine> name=<library>` line (its newline
/// kept, so line numbers hold), as Redis's `functionExtractLibMetaData` reads them.
fn metadata(code: &[u8]) -> std::result::Result<(String, &[u8]), String> {
    if !code.starts_with(b"#!") {
        return Err("Missing library metadata".into());
    }
    let end = code
        .iter()
        .position(|&b| b == b'\n')
        .ok_or("Invalid library metadata")?;
    let parts: Vec<String> = crate::protocol::split_inline(&code[..end])
        .filter(|parts| !parts.is_empty())
        .ok_or("Invalid library metadata")?
        .iter()
        .map(|part| String::from_utf8_lossy(part.as_bytes().unwrap_or_default()).into_owned())
        .collect();
    let mut parts = parts.into_iter();
    let engine = parts.next().unwrap_or_default()[2..].to_string();
    let mut name = None;
    for part in parts {
        match part.get(..5) {
            Some(key) if key.eq_ignore_ascii_case("name=") => {
                if name.is_some() {
                    return Err(
                        "Invalid metadata value, name argument was given multiple times".into(),
                    );
                }
                name = Some(part[5..].to_string());
            }
            _ => return Err(format!("Invalid metadata value given: {part}")),
        }
    }
    let name = name.ok_or("Library name was not given")?;
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err("Library names can only contain letters, numbers, or underscores(_) and must be at least one character long".into());
    }
    if !engine.eq_ignore_ascii_case("lua") {
        return Err(format!("Engine '{engine}' not found"));
    }
    Ok((name, &code[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_is_read_as_redis_reads_it() {
        let (name, body) = metadata(b"#!lua name=mylib\nreturn 1").unwrap();
        assert_eq!((name.as_str(), body), ("mylib", &b"\nreturn 1"[..]));
        assert_eq!(
            metadata(b"return 1").unwrap_err(),
            "Missing library metadata"
        );
        assert_eq!(
            metadata(b"#!lua name=x").unwrap_err(),
            "Invalid library metadata"
        );
        assert_eq!(
            metadata(b"#!lua\n").unwrap_err(),
            "Library name was not given"
        );
        assert_eq!(
            metadata(b"#!lua name=a foo=b\n").unwrap_err(),
            "Invalid metadata value given: foo=b"
        );
        assert_eq!(
            metadata(b"#!js name=a\n").unwrap_err(),
            "Engine 'js' not found"
        );
        assert!(metadata(b"#!lua name=a-b\n")
            .unwrap_err()
            .starts_with("Library names can only contain"));
    }

    #[test]
    fn libraries_load_replace_and_delete() {
        let mut functions = Functions::default();
        let code = Bytes::from_static(
            b"#!lua name=lib\nredis.register_function('f', function() return 1 end)",
        );
        assert_eq!(functions.load(code.clone(), false).unwrap(), "lib");
        let again = functions.load(code.clone(), false).unwrap_err();
        assert_eq!(again.reply_text(), "ERR Library 'lib' already exists");
        functions.load(code, true).unwrap();
        assert!(functions.find(b"f").is_ok());
        let clash = Bytes::from_static(
            b"#!lua name=other\nredis.register_function('f', function() return 2 end)",
        );
        assert_eq!(
            functions.load(clash, false).unwrap_err().reply_text(),
            "ERR Function f already exists"
        );
        functions.delete(b"lib").unwrap();
        assert!(functions.find(b"f").is_err());
    }
}
