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
            for entry in fs::read_dir(&slot_dir)? {
                let entry = entry?;
                report.keys += 1;
                check_key(&entry.path(), slot, repair, &mut report)?;
            }
        }
        check_markers(&dir, repair, &mut report)?;
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

fn check_key(key_dir: &Path, slot: u16, repair: bool, report: &mut Report) -> io::Result<()> {
    let shown = key_dir.display().to_string();
    if let Err(why) = key_name(key_dir, slot)? {
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
                    write_meta(
                        key_dir,
                        &Meta {
                            size: found,
                            ..meta.clone()
                        },
                    )?;
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

/// Every key with an expiry has a marker, and every marker a key with an expiry.
fn check_markers(db_dir: &Path, repair: bool, report: &mut Report) -> io::Result<()> {
    let markers = db_dir.join(EXPIRES);
    for (_, slot_dir) in slots(&markers, &mut Report::default())? {
        for entry in fs::read_dir(&slot_dir)? {
            let marker = entry?.path();
            let key_dir = db_dir
                .join(slot_dir.file_name().expect("a slot"))
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
    for (_, slot_dir) in slots(db_dir, &mut Report::default())? {
        for entry in fs::read_dir(&slot_dir)? {
            let key_dir = entry?.path();
            let expires = fs::read(key_dir.join("type"))
                .ok()
                .and_then(|b| Meta::parse(&b).ok())
                .is_some_and(|m| m.expire_at_ms.is_some());
            let marker = markers
                .join(slot_dir.file_name().expect("a slot"))
                .join(key_dir.file_name().expect("a key"));
            if expires && !marker.exists() {
                if repair {
                    fs::create_dir_all(marker.parent().expect("a slot"))?;
                    let name = fs::read(key_dir.join("name")).unwrap_or_default();
                    fs::write(&marker, name)?;
                }
                report.problem(
                    repair,
                    format!("{}: an expiring key without a marker", key_dir.display()),
                );
            }
        }
    }
    Ok(())
}

/// Replaces a key's `type` atomically.
fn write_meta(key_dir: &Path, meta: &Meta) -> io::Result<()> {
    let staged = key_dir.join(".type.check");
    fs::write(&staged, meta.to_bytes())?;
    fs::File::open(&staged)?.sync_all()?;
    fs::rename(&staged, key_dir.join("type"))
}

fn remove_all(path: &Path) -> io::Result<()> {
    if path.is_dir() {
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    }
}
