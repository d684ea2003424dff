//! The C `long double` of Redis's INCRBYFLOAT (and HINCRBYFLOAT), to the last digit.
//!
//! Redis adds increments in a `long double`, which on x86-64 is the x87 80-bit extended
//! format (64-bit significand), reads numbers with `strtold` and writes them with
//! `%.17Lf`, then strips trailing zeros (`ld2string` in human mode). An `f64` would give
//! other digits (`INCRBYFLOAT k 0.1` three times is `0.3` in Redis, `0.30000000000000004`
//! in doubles), so the arithmetic is emulated exactly with rustc_apfloat's
//! `X87DoubleExtended`, and parsing and printing are done here as glibc does them.

use rustc_apfloat::ieee::X87DoubleExtended;
use rustc_apfloat::{Float, Round, Status};

/// Redis refuses numbers of this length or more (`MAX_LONG_DOUBLE_CHARS`).
pub const MAX_CHARS: usize = 5 * 1024;

/// Digits after the decimal point of the printed form.
const DECIMALS: u32 = 17;

#[derive(Debug, Clone, Copy)]
pub struct LongDouble(X87DoubleExtended);

impl LongDouble {
    pub const ZERO: LongDouble = LongDouble(X87DoubleExtended::ZERO);

    /// Parses as Redis's `string2ld`: what `strtold` reads in full (decimal, hexadecimal,
    /// `inf`, `infinity`), with no leading space, no NaN, and no overflow or underflow to zero.
    pub fn parse(s: &[u8]) -> Option<LongDouble> {
        if s.is_empty() || s.len() >= MAX_CHARS {
            return None;
        }
        let text = std::str::from_utf8(s).ok()?;
        let (negative, unsigned) = match text.as_bytes().first() {
            Some(b'-') => (true, &text[1..]),
            Some(b'+') => (false, &text[1..]),
            _ => (false, text),
        };
        let value = if unsigned.eq_ignore_ascii_case("inf")
            || unsigned.eq_ignore_ascii_case("infinity")
        {
            X87DoubleExtended::INFINITY
        } else {
            let literal = strtold_literal(unsigned)?;
            let parsed = X87DoubleExtended::from_str_r(&literal, Round::NearestTiesToEven).ok()?;
            let out_of_range = parsed.status.contains(Status::OVERFLOW)
                || parsed.status.contains(Status::UNDERFLOW) && parsed.value.is_zero();
            if out_of_range {
                return None;
            }
            parsed.value
        };
        Some(LongDouble(if negative { -value } else { value }))
    }

    /// The sum, rounded to nearest as the x87 unit does; None when it is not finite.
    pub fn add(self, other: LongDouble) -> Option<LongDouble> {
        let sum = (self.0 + other.0).value;
        sum.is_finite().then_some(LongDouble(sum))
    }

    /// `%.17Lf` without trailing zeros (nor a trailing point), and `0` for `-0`: the form
    /// Redis stores and replies. The value is finite (see [`LongDouble::add`]).
    pub fn to_human(self) -> String {
        let bits = self.0.to_bits();
        let significand = bits as u64;
        let biased = (bits >> 64) as i32 & 0x7fff;
        // value = significand * 2^exponent (a biased exponent of 0 is a denormal).
        let exponent = biased.max(1) - 16383 - 63;
        let mut text = if exponent >= 0 {
            // An integer: all decimals are zero.
            big_decimal(significand, exponent as u32)
        } else {
            fixed(significand, exponent.unsigned_abs())
        };
        if self.0.is_negative() && text != "0" {
            text.insert(0, '-');
        }
        text
    }
}

/// The text `strtold` would read in full, in the form rustc_apfloat parses (a hexadecimal
/// number gets the `p0` that strtold lets it omit); None if strtold would stop early.
fn strtold_literal(unsigned: &str) -> Option<String> {
    let (hex, body) = match unsigned.get(..2) {
        Some("0x" | "0X") => (true, &unsigned[2..]),
        _ => (false, unsigned),
    };
    let is_digit = |c: u8| {
        if hex {
            c.is_ascii_hexdigit()
        } else {
            c.is_ascii_digit()
        }
    };
    let bytes = body.as_bytes();
    let mut at = bytes.iter().take_while(|&&c| is_digit(c)).count();
    let mut digits = at;
    if bytes.get(at) == Some(&b'.') {
        at += 1;
        let fraction = bytes[at..].iter().take_while(|&&c| is_digit(c)).count();
        digits += fraction;
        at += fraction;
    }
    if digits == 0 {
        return None;
    }
    let marks: &[u8] = if hex { b"pP" } else { b"eE" };
    let has_exponent = bytes.get(at).is_some_and(|c| marks.contains(c));
    if has_exponent {
        at += 1;
        if matches!(bytes.get(at), Some(b'+' | b'-')) {
            at += 1;
        }
        let exponent_digits = bytes[at..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if exponent_digits == 0 {
            return None;
        }
        at += exponent_digits;
    }
    if at != bytes.len() {
        return None;
    }
    Some(match (hex, has_exponent) {
        (true, false) => format!("0x{body}p0"),
        (true, true) => format!("0x{body}"),
        (false, _) => body.to_string(),
    })
}

/// `significand / 2^shift` with 17 decimals, rounded half to even as glibc's printf, then
/// without trailing zeros.
fn fixed(significand: u64, shift: u32) -> String {
    let scaled = u128::from(significand) * 10u128.pow(DECIMALS); // < 2^121
    let units = if shift >= 128 {
        0 // less than half a unit of the 17th decimal
    } else {
        let quotient = scaled >> shift;
        let remainder = scaled & ((1u128 << shift) - 1);
        let half = 1u128 << (shift - 1);
        let up = remainder > half || remainder == half && quotient % 2 == 1;
        quotient + u128::from(up)
    };
    let unit = 10u128.pow(DECIMALS);
    let whole = units / unit;
    let fraction = format!("{:017}", units % unit);
    let fraction = fraction.trim_end_matches('0');
    if fraction.is_empty() {
        whole.to_string()
    } else {
        format!("{whole}.{fraction}")
    }
}

/// `significand * 2^shift` in decimal (up to about 4,950 digits).
fn big_decimal(significand: u64, shift: u32) -> String {
    // Little-endian 32-bit limbs.
    let mut limbs = vec![0u32; (shift / 32) as usize];
    let wide = u128::from(significand) << (shift % 32);
    limbs.extend([wide as u32, (wide >> 32) as u32, (wide >> 64) as u32]);
    // Repeated division by 10^9 gives nine digits at a time, lowest first.
    let mut chunks = Vec::new();
    while limbs.iter().any(|&l| l != 0) {
        let mut remainder = 0u64;
        for limb in limbs.iter_mut().rev() {
            let current = (remainder << 32) | u64::from(*limb);
            *limb = (current / 1_000_000_000) as u32;
            remainder = current % 1_000_000_000;
        }
        chunks.push(remainder as u32);
        while limbs.last() == Some(&0) {
            limbs.pop();
        }
    }
    let mut text = chunks.pop().map_or("0".to_string(), |c| c.to_string());
    for chunk in chunks.iter().rev() {
        text.push_str(&format!("{chunk:09}"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum(a: &str, b: &str) -> Option<String> {
        let a = LongDouble::parse(a.as_bytes())?;
        let b = LongDouble::parse(b.as_bytes())?;
        Some(a.add(b)?.to_human())
    }

    #[test]
    fn sums_print_as_redis() {
        assert_eq!(sum("10.5", "0.1").as_deref(), Some("10.6"));
        assert_eq!(sum("0.1", "0.2").as_deref(), Some("0.3"));
        assert_eq!(sum("5.0e3", "0").as_deref(), Some("5000"));
        assert_eq!(sum("-1", "1").as_deref(), Some("0"));
        assert_eq!(sum("-0", "0").as_deref(), Some("0"));
        assert_eq!(sum("-1e-30", "0").as_deref(), Some("0"));
        assert_eq!(sum("1.5", "-3").as_deref(), Some("-1.5"));
        assert_eq!(sum("0x10", "0x1p-1").as_deref(), Some("16.5"));
        assert_eq!(
            sum("9223372036854775807", "1").as_deref(),
            Some("9223372036854775808")
        );
        assert_eq!(
            sum("1e30", "0").as_deref(),
            Some("1000000000000000000024696061952")
        );
        // 2^-18 lies exactly halfway at the 17th decimal: ties go to even.
        assert_eq!(
            sum("0.000003814697265625", "0").as_deref(),
            Some("0.00000381469726562")
        );
        assert_eq!(sum("inf", "1"), None);
        assert_eq!(sum("1.1e4932", "1.1e4932"), None);
    }

    #[test]
    fn parsing_follows_strtold_with_redis_refusals() {
        for good in [
            "1", "-1.5", ".5", "5.", "+3", "1e5", "1E-5", "0x1A", "0x1.8p1", "INF",
        ] {
            assert!(LongDouble::parse(good.as_bytes()).is_some(), "{good}");
        }
        for bad in [
            "", "1\0", "\0", " 1", "1 ", "abc", "nan", "1e", "1e+", "0x", "0x1p", ".", "1e5000",
            "1e-5000",
        ] {
            assert!(LongDouble::parse(bad.as_bytes()).is_none(), "{bad:?}");
        }
        // A denormal is not an underflow to zero.
        assert!(LongDouble::parse(b"1e-4940").is_some());
    }
}
