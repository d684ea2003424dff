//! Bitmap commands over string values: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD,
//! BITFIELD_RO.
//!
//! Bit 0 is the most significant bit of the first byte, as in Redis. Values are read in
//! bounded pieces ([`CHUNK`] bytes), so counting or searching a value of gigabytes, or
//! combining several, holds no more than a few pieces in memory.

use std::collections::BTreeMap;
use std::io;

use bytes::Bytes;

use super::strings::max_bulk_len;
use super::{Args, Command, Ctx, Flag::*, KeySpec, FIRST_KEY};
use crate::error::{Error, Result};
use crate::number::parse_i64;
use crate::protocol::Reply;
use crate::store::string::{self, CHUNK};
use crate::store::{Content, Type, Value};

/// A bit offset as Redis's `getBitOffsetFromArgument`: an integer from 0 to below
/// `proto-max-bulk-len` bytes' worth of bits.
fn bit_offset(ctx: &Ctx, args: &mut Args) -> Result<u64> {
    let out_of_range = || Error::reply("ERR bit offset is not an integer or out of range");
    let offset = parse_i64(&args.bytes()?).ok_or_else(out_of_range)?;
    if offset < 0 || (offset as u64 >> 3) >= max_bulk_len(ctx) {
        return Err(out_of_range());
    }
    Ok(offset as u64)
}

/// The byte holding bit `offset` of a value (0 past its end).
fn byte_at(value: &Value, offset: u64) -> io::Result<u8> {
    let mut byte = [0];
    value.read_at(offset / 8, &mut byte)?;
    Ok(byte[0])
}

/// The mask of bit `offset` within its byte.
fn mask(offset: u64) -> u8 {
    0x80 >> (offset % 8)
}

/// SETBIT key offset 0|1: sets or clears one bit (growing the value with zeros as needed)
/// and returns the bit's old value.
fn setbit(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let offset = bit_offset(ctx, args)?;
    let on = match parse_i64(&args.bytes()?) {
        Some(bit @ (0 | 1)) => bit == 1,
        _ => return Err(Error::reply("ERR bit is not an integer or out of range")),
    };
    let batch = &mut ctx.batch;
    let meta = string::meta(batch, &key)?;
    let (old, len) = match &meta {
        Some(meta) => {
            let value = string::read(batch, &key, meta)?;
            (byte_at(&value, offset)?, value.len())
        }
        None => (0, 0),
    };
    let new = if on {
        old | mask(offset)
    } else {
        old & !mask(offset)
    };
    if meta.is_none() || new != old || offset / 8 >= len {
        let data = Content::Bytes(Bytes::copy_from_slice(&[new]));
        string::write_at(batch, &key, meta, offset / 8, data)?;
    }
    Ok(Reply::Int(i64::from(old & mask(offset) != 0)))
}

/// GETBIT key offset: the bit's value, 0 past the end or for a missing key.
fn getbit(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let offset = bit_offset(ctx, args)?;
    let Some(value) = string::get(&ctx.batch, &key)? else {
        return Ok(Reply::Int(0));
    };
    Ok(Reply::Int(i64::from(
        byte_at(&value, offset)? & mask(offset) != 0,
    )))
}

/// An inclusive range of bits.
#[derive(Clone, Copy)]
struct Bits {
    first: u64,
    last: u64,
}

/// Whether BITCOUNT's and BITPOS's `start` and `end` count bytes or bits.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Unit {
    Byte,
    Bit,
}

/// Reads the optional BYTE|BIT word.
fn unit(args: &mut Args) -> Result<Unit> {
    if args.is_empty() {
        return Ok(Unit::Byte);
    }
    match args.word()?.as_str() {
        "BYTE" => Ok(Unit::Byte),
        "BIT" => Ok(Unit::Bit),
        _ => Err(Error::syntax()),
    }
}

/// The bits between `start` and `end` of a value of `len` bytes, as Redis converts them:
/// counted in `unit`s, negative ones from the end, clamped to the value. None when empty.
fn bit_range(len: u64, start: i64, end: i64, unit: Unit) -> Option<Bits> {
    let total = match unit {
        Unit::Byte => len as i64,
        Unit::Bit => len as i64 * 8,
    };
    let from_end = |i: i64| if i < 0 { (i + total).max(0) } else { i };
    let (start, end) = (from_end(start), from_end(end).min(total - 1));
    if start > end {
        return None;
    }
    let (start, end) = (start as u64, end as u64);
    Some(match unit {
        Unit::Bit => Bits {
            first: start,
            last: end,
        },
        Unit::Byte => Bits {
            first: start * 8,
            last: end * 8 + 7,
        },
    })
}

/// Calls `visit(offset, bytes)` over the bytes holding `bits`, a chunk at a time, with the
/// bits outside the range set to `outside`; stops early when `visit` returns a result.
fn scan<T>(
    value: &Value,
    bits: Bits,
    outside: bool,
    mut visit: impl FnMut(u64, &[u8]) -> Option<T>,
) -> io::Result<Option<T>> {
    let (first, last) = (bits.first / 8, bits.last / 8);
    let mut buf = vec![0; CHUNK];
    let mut offset = first;
    while offset <= last {
        let n = CHUNK.min((last - offset + 1) as usize);
        let piece = &mut buf[..n];
        value.read_at(offset, piece)?;
        // Masks of the bits before `first` and after `last` in their bytes.
        let edges = [
            (first, !(0xffu8 >> (bits.first % 8))),
            (last, !(0xffu8 << (7 - bits.last % 8))),
        ];
        for (byte, edge) in edges {
            if (offset..offset + n as u64).contains(&byte) {
                let b = &mut piece[(byte - offset) as usize];
                *b = if outside { *b | edge } else { *b & !edge };
            }
        }
        if let Some(found) = visit(offset, piece) {
            return Ok(Some(found));
        }
        offset += n as u64;
    }
    Ok(None)
}

/// BITCOUNT key [start end [BYTE|BIT]]: the number of set bits.
fn bitcount(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let range = match args.remaining() {
        0 => None,
        2 | 3 => {
            let (start, end) = (args.int()?, args.int()?);
            Some((start, end, unit(args)?))
        }
        _ => return Err(Error::syntax()),
    };
    let Some(value) = string::get(&ctx.batch, &key)? else {
        return Ok(Reply::Int(0));
    };
    let bits = match range {
        // Both counted from the end, the wrong way round: nothing.
        Some((start, end, _)) if start < 0 && end < 0 && start > end => None,
        Some((start, end, unit)) => bit_range(value.len(), start, end, unit),
        None => bit_range(value.len(), 0, -1, Unit::Byte),
    };
    let Some(bits) = bits else {
        return Ok(Reply::Int(0));
    };
    let mut count = 0;
    scan(&value, bits, false, |_, bytes| {
        count += bytes.iter().map(|b| u64::from(b.count_ones())).sum::<u64>();
        None::<()>
    })?;
    Ok(Reply::Int(count as i64))
}

/// BITPOS key 0|1 [start [end [BYTE|BIT]]]: the position of the first bit with the given
/// value, or -1. A missing key is all zeros; without an `end`, the bits after the value
/// count as zeros too, so searching a 0 in all ones answers the first bit past the range.
fn bitpos(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let bit = match args.int()? {
        bit @ (0 | 1) => bit == 1,
        _ => return Err(Error::reply("ERR The bit argument must be 1 or 0.")),
    };
    let (start, end, unit) = match args.remaining() {
        0 => (0, None, Unit::Byte),
        1..=3 => {
            let start = args.int()?;
            let end = (!args.is_empty()).then(|| args.bytes()).transpose()?;
            // As Redis, the unit is checked before `end` is parsed.
            let unit = unit(args)?;
            let end = end
                .map(|end| parse_i64(&end).ok_or_else(Error::not_integer))
                .transpose()?;
            (start, end, unit)
        }
        _ => return Err(Error::syntax()),
    };
    let Some(value) = string::get(&ctx.batch, &key)? else {
        return Ok(Reply::Int(if bit { -1 } else { 0 }));
    };
    let Some(bits) = bit_range(value.len(), start, end.unwrap_or(-1), unit) else {
        return Ok(Reply::Int(-1));
    };
    let found = scan(&value, bits, !bit, |offset, bytes| {
        bytes.iter().enumerate().find_map(|(i, &b)| {
            let first = if bit {
                b.leading_zeros()
            } else {
                b.leading_ones()
            };
            (first < 8).then(|| (offset + i as u64) * 8 + u64::from(first))
        })
    })?;
    Ok(Reply::Int(match found {
        Some(position) => position as i64,
        None if !bit && end.is_none() => bits.last as i64 + 1,
        None => -1,
    }))
}

/// The operations of BITOP.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    And,
    Or,
    Xor,
    Not,
}

/// BITOP AND|OR|XOR|NOT destkey key [key ...]: stores the bitwise combination of the keys
/// (missing ones and shorter ones padded with zeros) and returns its length; an empty
/// result deletes the destination. The result is built a chunk at a time.
fn bitop(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    let op = match args.word()?.as_str() {
        "AND" => Op::And,
        "OR" => Op::Or,
        "XOR" => Op::Xor,
        "NOT" => Op::Not,
        _ => return Err(Error::syntax()),
    };
    let dest = ctx.key(args.bytes()?);
    if op == Op::Not && args.remaining() != 1 {
        return Err(Error::reply(
            "ERR BITOP NOT must be called with a single source key.",
        ));
    }
    let mut sources = Vec::with_capacity(args.remaining());
    for name in args.rest()? {
        let key = ctx.key(name);
        sources.push(match ctx.batch.meta(&key)? {
            None => Value::Bytes(Bytes::new()),
            Some(meta) if meta.kind != Type::String => return Err(Error::wrong_type()),
            Some(meta) => string::read(&ctx.batch, &key, &meta)?,
        });
    }
    let len = sources.iter().map(Value::len).max().unwrap_or(0);
    if len == 0 {
        ctx.batch.delete(&dest);
        return Ok(Reply::Int(0));
    }
    let mut scratch = vec![0; CHUNK];
    string::build(&mut ctx.batch, &dest, len, |offset, out| {
        for (i, source) in sources.iter().enumerate() {
            let piece = &mut scratch[..out.len()];
            let n = source.read_at(offset, piece)?;
            piece[n..].fill(0);
            if i == 0 {
                out.copy_from_slice(piece);
                continue;
            }
            for (o, s) in out.iter_mut().zip(piece.iter()) {
                match op {
                    Op::And => *o &= s,
                    Op::Or => *o |= s,
                    Op::Xor => *o ^= s,
                    Op::Not => unreachable!("NOT has one source"),
                }
            }
        }
        if op == Op::Not {
            out.iter_mut().for_each(|b| *b = !*b);
        }
        Ok(())
    })?;
    Ok(Reply::Int(len as i64))
}

// ---- BITFIELD ----

/// A BITFIELD integer: its signedness, width (1 to 64 bits, 63 unsigned) and first bit.
#[derive(Clone, Copy)]
struct Field {
    signed: bool,
    bits: u32,
    offset: u64,
}

/// What OVERFLOW says to do when SET or INCRBY goes past a field's range.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Overflow {
    Wrap,
    Sat,
    Fail,
}

enum FieldOp {
    Get(Field),
    Set(Field, i64, Overflow),
    IncrBy(Field, i64, Overflow),
}

/// A BITFIELD type, `i1`..`i64` or `u1`..`u63` (the prefix in lower case, as Redis).
fn field_type(word: &[u8]) -> Result<(bool, u32)> {
    let invalid = || {
        Error::reply(
            "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
        )
    };
    let (signed, digits) = match word.split_first() {
        Some((b'i', rest)) => (true, rest),
        Some((b'u', rest)) => (false, rest),
        _ => return Err(invalid()),
    };
    let max = if signed { 64 } else { 63 };
    match parse_i64(digits) {
        Some(bits) if (1..=max).contains(&bits) => Ok((signed, bits as u32)),
        _ => Err(invalid()),
    }
}

/// A BITFIELD offset: a bit number, or `#n` for the n-th field of this width; bounded as
/// SETBIT's.
fn field_offset(ctx: &Ctx, word: &[u8], bits: u32) -> Result<u64> {
    let out_of_range = || Error::reply("ERR bit offset is not an integer or out of range");
    let (digits, scale) = match word.strip_prefix(b"#") {
        Some(n) => (n, i64::from(bits)),
        None => (word, 1),
    };
    let offset = parse_i64(digits)
        .and_then(|n| n.checked_mul(scale))
        .ok_or_else(out_of_range)?;
    if offset < 0 || (offset as u64 >> 3) >= max_bulk_len(ctx) {
        return Err(out_of_range());
    }
    Ok(offset as u64)
}

/// Reads BITFIELD's operations, checking them all before anything runs.
fn field_ops(ctx: &Ctx, args: &mut Args) -> Result<Vec<FieldOp>> {
    let mut ops = Vec::new();
    let mut overflow = Overflow::Wrap;
    while !args.is_empty() {
        let word = args.word()?;
        let left = args.remaining();
        if word == "OVERFLOW" && left >= 1 {
            overflow = match args.word()?.as_str() {
                "WRAP" => Overflow::Wrap,
                "SAT" => Overflow::Sat,
                "FAIL" => Overflow::Fail,
                _ => return Err(Error::reply("ERR Invalid OVERFLOW type specified")),
            };
            continue;
        }
        let needed = if word == "GET" { 2 } else { 3 };
        if !matches!(word.as_str(), "GET" | "SET" | "INCRBY") || left < needed {
            return Err(Error::syntax());
        }
        let (signed, bits) = field_type(&args.bytes()?)?;
        let offset = field_offset(ctx, &args.bytes()?, bits)?;
        let field = Field {
            signed,
            bits,
            offset,
        };
        ops.push(match word.as_str() {
            "GET" => FieldOp::Get(field),
            "SET" => FieldOp::Set(field, args.int()?, overflow),
            _ => FieldOp::IncrBy(field, args.int()?, overflow),
        });
    }
    Ok(ops)
}

/// The bytes of a string as BITFIELD sees them while it runs: the stored value (zeros past
/// its end) under the bytes its operations changed, so that nothing is read after a write
/// and nothing is written (nor WATCH triggered) when no bit changes.
struct Bitmap {
    value: Option<Value>,
    changed: BTreeMap<u64, u8>,
}

impl Bitmap {
    fn byte(&self, index: u64) -> io::Result<u8> {
        match (self.changed.get(&index), &self.value) {
            (Some(&byte), _) => Ok(byte),
            (None, Some(value)) => byte_at(value, index * 8),
            (None, None) => Ok(0),
        }
    }

    /// The `bits` bits from bit `offset`, most significant first, as an unsigned number.
    fn get(&self, offset: u64, bits: u32) -> io::Result<u64> {
        let mut out = 0u64;
        for bit in offset..offset + u64::from(bits) {
            out = (out << 1) | u64::from(self.byte(bit / 8)? & mask(bit) != 0);
        }
        Ok(out)
    }

    fn set(&mut self, offset: u64, bits: u32, value: u64) -> io::Result<()> {
        for (i, bit) in (offset..offset + u64::from(bits)).enumerate() {
            let on = value >> (bits - 1 - i as u32) & 1 == 1;
            let byte = self.byte(bit / 8)?;
            let new = if on {
                byte | mask(bit)
            } else {
                byte & !mask(bit)
            };
            if new != byte {
                self.changed.insert(bit / 8, new);
            }
        }
        Ok(())
    }
}

/// Sign-extends the low `bits` bits of `raw`.
fn signed_value(raw: u64, bits: u32) -> i64 {
    let shift = 64 - bits;
    ((raw << shift) as i64) >> shift
}

/// `value + incr` in a field of `bits` bits (the value in range): the result as OVERFLOW
/// says, None when it overflows under FAIL. Signed fields compute in i128, unsigned ones
/// likewise, so that no intermediate overflows.
fn field_add(signed: bool, bits: u32, value: i128, incr: i128, overflow: Overflow) -> Option<i128> {
    let (min, max) = if signed {
        (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
    } else {
        (0, (1i128 << bits) - 1)
    };
    let sum = value + incr;
    if (min..=max).contains(&sum) {
        return Some(sum);
    }
    match overflow {
        Overflow::Fail => None,
        Overflow::Sat => Some(if sum > max { max } else { min }),
        Overflow::Wrap => {
            let span = 1i128 << bits;
            Some((sum - min).rem_euclid(span) + min)
        }
    }
}

/// BITFIELD key [GET type offset | [OVERFLOW WRAP|SAT|FAIL] SET type offset value |
/// [OVERFLOW ...] INCRBY type offset increment]...: reads and writes integers of any width
/// at any bit offset of a string. SET answers the old value, INCRBY the new one, nil when
/// OVERFLOW FAIL refused it. A write grows the string to the last bit any write names.
fn bitfield(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    bitfield_with(ctx, args, false)
}

/// BITFIELD_RO key [GET type offset]...: BITFIELD's reads only.
fn bitfield_ro(ctx: &mut Ctx, args: &mut Args) -> Result<Reply> {
    bitfield_with(ctx, args, true)
}

fn bitfield_with(ctx: &mut Ctx, args: &mut Args, read_only: bool) -> Result<Reply> {
    let key = ctx.key(args.bytes()?);
    let ops = field_ops(ctx, args)?;
    let end = ops
        .iter()
        .filter_map(|op| match op {
            FieldOp::Get(_) => None,
            FieldOp::Set(f, ..) | FieldOp::IncrBy(f, ..) => Some(f.offset + u64::from(f.bits)),
        })
        .max();
    if end.is_some() && read_only {
        return Err(Error::reply(
            "ERR BITFIELD_RO only supports the GET subcommand",
        ));
    }
    let meta = string::meta(&ctx.batch, &key)?;
    let value = match &meta {
        Some(meta) => Some(string::read(&ctx.batch, &key, meta)?),
        None => None,
    };
    let old_len = value.as_ref().map_or(0, Value::len);
    let mut bitmap = Bitmap {
        value,
        changed: BTreeMap::new(),
    };
    // Writes first grow the string to their farthest byte, even those that fail.
    let new_len = end.map_or(old_len, |end| old_len.max(end.div_ceil(8)));
    if new_len > old_len {
        bitmap.changed.insert(new_len - 1, 0);
    }
    let mut replies = Vec::with_capacity(ops.len());
    for op in ops {
        let (field, incr, set_to, overflow) = match op {
            FieldOp::Get(f) => {
                let raw = bitmap.get(f.offset, f.bits)?;
                let n = if f.signed {
                    signed_value(raw, f.bits)
                } else {
                    raw as i64
                };
                replies.push(Reply::Int(n));
                continue;
            }
            FieldOp::Set(f, v, o) => (f, 0, Some(v), o),
            FieldOp::IncrBy(f, i, o) => (f, i, None, o),
        };
        let raw = bitmap.get(field.offset, field.bits)?;
        let old = if field.signed {
            i128::from(signed_value(raw, field.bits))
        } else {
            i128::from(raw)
        };
        // SET stores its value as an increment of 0 over it, with the same overflow rules;
        // an unsigned field reads a negative value as C does, as a huge unsigned one.
        let new = match set_to {
            Some(v) if field.signed => field_add(true, field.bits, i128::from(v), 0, overflow),
            Some(v) => field_add(false, field.bits, i128::from(v as u64), 0, overflow),
            None => field_add(field.signed, field.bits, old, i128::from(incr), overflow),
        };
        let Some(new) = new else {
            replies.push(Reply::Nil);
            continue;
        };
        bitmap.set(field.offset, field.bits, new as u64)?;
        let answer = if set_to.is_some() { old } else { new };
        replies.push(Reply::Int(answer as i64));
    }
    // The changed bytes, written back one run of consecutive bytes at a time.
    let mut runs: Vec<(u64, Vec<u8>)> = Vec::new();
    for (&index, &byte) in &bitmap.changed {
        match runs.last_mut() {
            Some((start, bytes)) if *start + bytes.len() as u64 == index => bytes.push(byte),
            _ => runs.push((index, vec![byte])),
        }
    }
    for (start, bytes) in runs {
        let meta = string::meta(&ctx.batch, &key)?;
        let data = Content::Bytes(bytes.into());
        string::write_at(&mut ctx.batch, &key, meta, start, data)?;
    }
    Ok(Reply::Array(replies))
}

/// BITOP writes its destination (argument 2) from the keys after it.
const BITOP_KEYS: &[KeySpec] = &[KeySpec::Range {
    first: 2,
    last: -1,
    step: 1,
}];

pub const COMMANDS: &[Command] = &[
    Command::new(
        "setbit",
        4,
        &[Write, Denyoom],
        &["@write", "@bitmap", "@slow"],
        FIRST_KEY,
        setbit,
    ),
    Command::new(
        "getbit",
        3,
        &[Readonly, Fast],
        &["@read", "@bitmap", "@fast"],
        FIRST_KEY,
        getbit,
    ),
    Command::new(
        "bitcount",
        -2,
        &[Readonly],
        &["@read", "@bitmap", "@slow"],
        FIRST_KEY,
        bitcount,
    ),
    Command::new(
        "bitpos",
        -3,
        &[Readonly],
        &["@read", "@bitmap", "@slow"],
        FIRST_KEY,
        bitpos,
    ),
    Command::new(
        "bitfield",
        -2,
        &[Write, Denyoom],
        &["@write", "@bitmap", "@slow"],
        FIRST_KEY,
        bitfield,
    ),
    Command::new(
        "bitfield_ro",
        -2,
        &[Readonly, Fast],
        &["@read", "@bitmap", "@fast"],
        FIRST_KEY,
        bitfield_ro,
    ),
    Command::new(
        "bitop",
        -4,
        &[Write, Denyoom],
        &["@write", "@bitmap", "@slow"],
        BITOP_KEYS,
        bitop,
    ),
];
