//! `dredis check`: verifies a stopped data directory against the format
//! (docs/on-disk-format.md) and, with `--repair`, fixes what can be fixed.
//!
//! It reads the tree as the server would: every key directory's name decodes to a key of its
//! slot (or is a digest with a `name` file that matches), `type` parses, a collection's `size`
//! is the number of its element files, a list's element files are the positions between
//! `head` and `head + size`, a string's recorded length fits its `value` file, a key directory
//! holds only the files of its type, and the expiry markers are exactly the keys with an
//! expiry. Repairs: the journal's unfinished commits are finished (as a start-up does), a
//! wrong `size` is set to the count, a missing marker is made, a stray one removed, and a
//! stray file in a key directory goes to the trash. The rest (an unreadable `type`, a name in
//! the wrong slot, a list with holes) is reported for a person to look at.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::expiry::DIR as EXPIRES;
use super::layout::{decode_name, encode_name, key_slot, slot_name, Decoded};
use super::meta::{Meta, Type};
use super::{journal, Options, Store};

/// `dredis check`: prints each problem; fails when there are problems it did not repair.
pub fn run(
    args: &crate::config::CheckArgs,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let report = check(&args.dir, args.repair)?;
    for problem in &report.problems {
        println!("{problem}");
    }
    let left = report.problems.len() as u64 - report.repaired;
    println!(
        "checked {} keys in {}: {} problem(s), {} repaired",
        report.keys,
        args.dir.display(),
        report.problems.len(),
        report.repaired
    );
    if left > 0 {
        return Err(format!("{left} problem(s) left").into());
    }
    Ok(())
}

/// What a check found and, with repair, fixed.
#[derive(Debug, Default)]
pub struct Report {
    pub keys: u64,
    pub problems: Vec<String>,
    pub repaired: u64,
}

/// Checks the stopped data directory `root`; with `repair`, fixes what it can.
pub fn check(root: &Path, repair: bool) -> io::Result<Report> {
    if !root.join("FORMAT").exists() {
        return Err(io::Error::other(format!(
            "{} is not a dredis data directory",
            root.display()
        )));
    }
    let lock = fs::File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(root.join("LOCK"))?;
    if lock.try_lock().is_err() {
        return Err(io::Error::other(format!(
            "{} is in use by a running server: stop it first",
            root.display()
        )));
    }
    // The databases are the numbered directories.
    let mut databases = 0;
    for entry in fs::read_dir(root)? {
        if let Some(n) = entry?
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<usize>().ok())
        {
            databases = databases.max(n + 1);
        }
    }
    let mut report = Report::default();
    let unfinished = journal::unfinished(root)?;
    if unfinished > 0 {
        report.problem(
            repair,
            format!("the journal holds {unfinished} unfinished commit(s) that a crash left"),
        );
        if repair {
            // Opening the store redoes them, as a server's start-up does.
            drop(lock);
            let options = Options {
                databases,
                fsync: super::Fsync::Always,
                cache_bytes: 0,
            };
            drop(Store::open(root, &options).map_err(|e| io::Error::other(e.to_string()))?);
        }
    }
    for db in 0..databases {
        let dir = root.join(db.to_string());
        for (slot, slot_dir) in slots(&dir, &mut report)? {
            let markers = dir.join(EXPIRES).join(slot_name(slot));
            for entry in fs::read_dir(&slot_dir)? {
                let entry = entry?;
                report.keys += 1;
                let key = Key {
                    dir: entry.path(),
                    slot,
                    marker: markers.join(entry.file_name()),
                };
                check_key(root, &key, repair, &mut report)?;
            }
        }
        check_stray_markers(&dir, repair, &mut report)?;
    }
    Ok(report)
}

impl Report {
    fn problem(&mut self, repaired: bool, what: String) {
        self.repaired += repaired as u64;
        let suffix = if repaired { " (repaired)" } else { "" };
        self.problems.push(format!("{what}{suffix}"));
    }
}

/// The slot directories of a database directory; anything else there is reported.
fn slots(db_dir: &Path, report: &mut Report) -> io::Result<Vec<(u16, PathBuf)>> {
    let mut slots = Vec::new();
    let entries = match fs::read_dir(db_dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(slots),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        match u16::from_str_radix(&name, 16) {
            Ok(slot) if slot_name(slot) == name && entry.path().is_dir() => {
                slots.push((slot, entry.path()))
            }
            _ if name == EXPIRES => {}
            _ => report.problem(
                false,
                format!("{}: not a slot directory", entry.path().display()),
            ),
        }
    }
    slots.sort();
    Ok(slots)
}

/// The raw key name a key directory stands for, if its name is right for its slot.
fn key_name(key_dir: &Path, slot: u16) -> io::Result<Result<Vec<u8>, String>> {
    let file_name = key_dir.file_name().expect("an entry").as_encoded_bytes();
    let raw = match decode_name(file_name) {
        Decoded::Name(raw) => raw,
        Decoded::Digest => match fs::read(key_dir.join("name")) {
            Ok(raw) if encode_name(&raw).file_name().as_bytes() == file_name => raw,
            Ok(_) => return Ok(Err("its `name` file does not match its digest".into())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Ok(Err("a digest-named key without a `name` file".into()))
            }
            Err(e) => return Err(e),
        },
        Decoded::Invalid => return Ok(Err("not an encoded key name".into())),
    };
    if key_slot(&raw) != slot {
        return Ok(Err(format!(
            "in slot {slot}, but its key hashes to {}",
            key_slot(&raw)
        )));
    }
    Ok(Ok(raw))
}

/// The files a key directory of `kind` may hold.
fn allowed(kind: Type) -> &'static [&'static str] {
    match kind {
        Type::String => &["type", "name", "value"],
        Type::Hash => &["type", "name", "fields"],
        Type::Set => &["type", "name", "members"],
        Type::ZSet => &["type", "name", "members", "index"],
        Type::List => &["type", "name", "items"],
    }
}

/// A key directory, its slot and where its expiry marker belongs.
struct Key {
    dir: PathBuf,
    slot: u16,
    marker: PathBuf,
}

fn check_key(root: &Path, key: &Key, repair: bool, report: &mut Report) -> io::Result<()> {
    let key_dir = &key.dir;
    let shown = key_dir.display().to_string();
    if let Err(why) = key_name(key_dir, key.slot)? {
        report.problem(false, format!("{shown}: {why}"));
    }
    let meta = match fs::read(key_dir.join("type")).map(|b| Meta::parse(&b)) {
        Ok(Ok(meta)) => meta,
        Ok(Err(_)) => {
            report.problem(false, format!("{shown}: unreadable `type`"));
            return Ok(());
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            report.problem(false, format!("{shown}: no `type` file"));
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    if meta.expire_at_ms.is_some() && !key.marker.exists() {
        if repair {
            // A digest-named key's marker holds its raw name, as `expiry.rs` writes it.
            let name = fs::read(key_dir.join("name")).unwrap_or_default();
            write_atomically(root, &key.marker, &name)?;
        }
        report.problem(repair, format!("{shown}: an expiring key without a marker"));
    }
    for entry in fs::read_dir(key_dir)? {
        let entry = entry?;
        let name = entry.file_name();
        if !allowed(meta.kind).iter().any(|a| name == *a) {
            let what = format!("{shown}: a stray `{}`", name.to_string_lossy());
            if repair {
                remove_all(&entry.path())?;
            }
            report.problem(repair, what);
        }
    }
    let count = |dir: &str| -> io::Result<Vec<String>> {
        match fs::read_dir(key_dir.join(dir)) {
            Ok(entries) => entries
                .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
                .collect(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    };
    match meta.kind {
        Type::String => {
            let len = match fs::metadata(key_dir.join("value")) {
                Ok(m) => m.len(),
                Err(e) if e.kind() == io::ErrorKind::NotFound => 0,
                Err(e) => return Err(e),
            };
            if meta.length.is_some_and(|length| length > len) {
                report.problem(false, format!("{shown}: `size` is past the end of `value`"));
            }
        }
        Type::Hash | Type::Set | Type::ZSet => {
            let dir = if meta.kind == Type::Hash {
                "fields"
            } else {
                "members"
            };
            let found = count(dir)?.len() as u64;
            if found != meta.size {
                let what = format!("{shown}: `size` {} but {found} {dir}", meta.size);
                // A sorted set's index counts its members too: its size is not fixed alone.
                let fixable = repair && meta.kind != Type::ZSet;
                if fixable {
                    let fixed = Meta {
                        size: found,
                        ..meta.clone()
                    };
                    write_atomically(root, &key_dir.join("type"), &fixed.to_bytes())?;
                }
                report.problem(fixable, what);
            }
        }
        Type::List => {
            let end = meta.head + meta.size as i64;
            let mut positions: Vec<i64> = Vec::new();
            for name in count("items")? {
                match name.parse::<i64>() {
                    Ok(p) if (meta.head..end).contains(&p) => positions.push(p),
                    _ => report.problem(false, format!("{shown}: item `{name}` outside the list")),
                }
            }
            if positions.len() as u64 != meta.size {
                report.problem(
                    false,
                    format!(
                        "{shown}: `size` {} but {} items",
                        meta.size,
                        positions.len()
                    ),
                );
            }
        }
    }
    Ok(())
}

/// Every marker stands for a key with an expiry (the keys' side is in [`check_key`]).
fn check_stray_markers(db_dir: &Path, repair: bool, report: &mut Report) -> io::Result<()> {
    for (slot, slot_dir) in slots(&db_dir.join(EXPIRES), &mut Report::default())? {
        for entry in fs::read_dir(&slot_dir)? {
            let marker = entry?.path();
            let key_dir = db_dir
                .join(slot_name(slot))
                .join(marker.file_name().expect("a marker"));
            let expires = fs::read(key_dir.join("type"))
                .ok()
                .and_then(|b| Meta::parse(&b).ok())
                .is_some_and(|m| m.expire_at_ms.is_some());
            if !expires {
                if repair {
                    fs::remove_file(&marker)?;
                }
                report.problem(
                    repair,
                    format!("{}: a marker without an expiring key", marker.display()),
                );
            }
        }
    }
    Ok(())
}

/// Replaces (or creates) the file at `dest` with `data` by a rename from `tmp/`, durably: a
/// crash leaves the old file or the new one, never a part, and nothing beside it.
fn write_atomically(root: &Path, dest: &Path, data: &[u8]) -> io::Result<()> {
    let tmp = root.join("tmp");
    fs::create_dir_all(&tmp)?;
    fs::create_dir_all(dest.parent().expect("a file in the data directory"))?;
    super::files::write_durably(dest, &tmp, data)
}

fn remove_all(path: &Path) -> io::Result<()> {
    if path.is_dir() {
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    }
}
