//! Bitmap commands over string values: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP.
//!
//! Bit 0 is the most significant bit of the first byte, as in Redis. Values are read in
//! bounded pieces ([`CHUNK`] bytes), so counting or searching a value of gigabytes, or
//! combining several, holds no more than a few pieces in memory.

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

/// BITOP writes its destination (argument 2) from the keys after it.
const BITOP_KEYS: &[KeySpec] = &[KeySpec::Range {
    first: 2,
    last: -1,
    step: 1,
}];

pub const COMMANDS: &[Command] = &[
    Command {
        name: "setbit",
        arity: 4,
        flags: &[Write, Denyoom],
        acl: &["@write", "@bitmap", "@slow"],
        keys: FIRST_KEY,
        handler: setbit,
        subcommands: &[],
    },
    Command {
        name: "getbit",
        arity: 3,
        flags: &[Readonly, Fast],
        acl: &["@read", "@bitmap", "@fast"],
        keys: FIRST_KEY,
        handler: getbit,
        subcommands: &[],
    },
    Command {
        name: "bitcount",
        arity: -2,
        flags: &[Readonly],
        acl: &["@read", "@bitmap", "@slow"],
        keys: FIRST_KEY,
        handler: bitcount,
        subcommands: &[],
    },
    Command {
        name: "bitpos",
        arity: -3,
        flags: &[Readonly],
        acl: &["@read", "@bitmap", "@slow"],
        keys: FIRST_KEY,
        handler: bitpos,
        subcommands: &[],
    },
    Command {
        name: "bitop",
        arity: -4,
        flags: &[Write, Denyoom],
        acl: &["@write", "@bitmap", "@slow"],
        keys: BITOP_KEYS,
        handler: bitop,
        subcommands: &[],
    },
];
