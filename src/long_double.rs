//! The x87 `long double` arithmetic of Redis's INCRBYFLOAT and HINCRBYFLOAT.
//!
//! Redis parses both operands with `strtold`, adds them as 80-bit extended floats (64-bit
//! significand) and prints the sum with `%.17Lf`, trailing zeros removed. The extra precision
//! is visible: `10.5 + 0.1` prints `10.6` where doubles would give `10.59999999999999964`,
//! and `1234567.1` prints `1234567.10000000000002274`. Rust has no such type, so this module
//! does the same computation exactly: parsing, the sum and the printing are each correctly
//! rounded (to nearest, ties to even, as the C library does on x86-64), with small big
//! integers for the exact intermediate values.

use std::cmp::Ordering;

/// Exponent of the least significant bit of the smallest subnormal (2^-16445).
const MIN_EXP: i64 = -16445;
/// Exponent of the least significant bit of the largest finite values.
const MAX_EXP: i64 = 16320;
/// Redis refuses longer strings (`MAX_LONG_DOUBLE_CHARS`).
const MAX_LEN: usize = 5 * 1024;

/// An 80-bit extended float.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LongDouble {
    negative: bool,
    value: Magnitude,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Magnitude {
    Zero,
    /// `mantissa * 2^exp`: 64 significant bits, fewer only for subnormals (exp == MIN_EXP).
    Finite {
        mantissa: u64,
        exp: i64,
    },
    Infinite,
    NaN,
}

impl LongDouble {
    pub const ZERO: LongDouble = LongDouble {
        negative: false,
        value: Magnitude::Zero,
    };

    /// Parses as Redis's `string2ld`: `strtold` over the whole string (up to a NUL byte),
    /// refusing a leading space, trailing garbage, NaN, and overflow or underflow to zero.
    pub fn parse(s: &[u8]) -> Option<LongDouble> {
        if s.is_empty() || s.len() >= MAX_LEN {
            return None;
        }
        let s = &s[..s.iter().position(|&b| b == 0).unwrap_or(s.len())];
        if s.first().is_some_and(u8::is_ascii_whitespace) {
            return None;
        }
        let (negative, unsigned) = match s.first() {
            Some(b'-') => (true, &s[1..]),
            Some(b'+') => (false, &s[1..]),
            _ => (false, s),
        };
        let lower = unsigned.to_ascii_lowercase();
        let value = if lower == b"inf" || lower == b"infinity" {
            Magnitude::Infinite
        } else if lower.starts_with(b"0x") {
            parse_hex(&lower[2..])?
        } else {
            parse_decimal(&lower)?
        };
        (value != Magnitude::NaN).then_some(LongDouble { negative, value })
    }

    pub fn is_finite(&self) -> bool {
        matches!(self.value, Magnitude::Zero | Magnitude::Finite { .. })
    }

    /// The correctly rounded sum.
    pub fn add(self, other: LongDouble) -> LongDouble {
        use Magnitude::*;
        match (self.value, other.value) {
            (NaN, _) | (_, NaN) => LongDouble {
                negative: false,
                value: NaN,
            },
            (Infinite, Infinite) if self.negative != other.negative => LongDouble {
                negative: false,
                value: NaN,
            },
            (Infinite, _) => self,
            (_, Infinite) => other,
            (Zero, Zero) => LongDouble {
                negative: self.negative && other.negative,
                value: Zero,
            },
            (Zero, _) => other,
            (_, Zero) => self,
            (
                Finite {
                    mantissa: ma,
                    exp: ea,
                },
                Finite {
                    mantissa: mb,
                    exp: eb,
                },
            ) => {
                // The exact sum, aligned on the lower exponent. A term more than 130 bits
                // below the other cannot change the rounded result.
                let (big, small) = if ea >= eb {
                    ((self.negative, ma, ea), (other.negative, mb, eb))
                } else {
                    ((other.negative, mb, eb), (self.negative, ma, ea))
                };
                if big.2 - small.2 > 130 {
                    return if ea >= eb { self } else { other };
                }
                let a = BigUint::from_u64(big.1).shl((big.2 - small.2) as usize);
                let b = BigUint::from_u64(small.1);
                let (negative, sum) = if big.0 == small.0 {
                    (big.0, a.add(&b))
                } else {
                    match a.cmp(&b) {
                        Ordering::Greater => (big.0, a.sub(&b)),
                        Ordering::Less => (small.0, b.sub(&a)),
                        Ordering::Equal => return LongDouble::ZERO,
                    }
                };
                LongDouble {
                    negative,
                    value: round(&sum, small.2, false),
                }
            }
        }
    }

    /// Prints as Redis's `ld2string` in its human mode: `%.17Lf` with trailing zeros (and a
    /// trailing dot) removed, and `-0` written `0`. Only for finite values.
    pub fn to_human_string(self) -> String {
        let mut digits = match self.value {
            Magnitude::Finite { mantissa, exp } => fixed_17(mantissa, exp),
            _ => "0.00000000000000000".to_string(),
        };
        if digits.contains('.') {
            let kept = digits.trim_end_matches('0').trim_end_matches('.').len();
            digits.truncate(kept);
        }
        if self.negative && digits != "0" {
            digits.insert(0, '-');
        }
        digits
    }
}

/// `mantissa * 2^exp` with 17 decimals, rounded to nearest (ties to even), as `%.17Lf`.
fn fixed_17(mantissa: u64, exp: i64) -> String {
    const SCALE: u128 = 100_000_000_000_000_000;
    if exp >= 0 {
        let integer = BigUint::from_u64(mantissa).shl(exp as usize);
        return format!("{}.00000000000000000", integer.to_decimal());
    }
    // mantissa * 10^17 < 2^121: the scaled value fits, then the binary point moves right.
    let scaled = u128::from(mantissa) * SCALE;
    let shift = exp.unsigned_abs();
    let (mut units, rest, half) = if shift >= 128 {
        (0, scaled, None)
    } else {
        let rest = scaled & ((1u128 << shift) - 1);
        (scaled >> shift, rest, Some(1u128 << (shift - 1)))
    };
    if let Some(half) = half {
        if rest > half || (rest == half && units & 1 == 1) {
            units += 1;
        }
    }
    format!("{}.{:017}", units / SCALE, units % SCALE)
}

/// Rounds `n * 2^exp` (plus less than one unit of `n` when `sticky`) to the nearest extended
/// float, ties to even.
fn round(n: &BigUint, exp: i64, sticky: bool) -> Magnitude {
    let bits = n.bit_len() as i64;
    if bits == 0 {
        return Magnitude::Zero;
    }
    let mut target = (exp + bits - 64).max(MIN_EXP);
    let drop = target - exp;
    let mut mantissa = if drop <= 0 {
        n.low_u64() << (-drop)
    } else {
        let drop = drop as usize;
        let kept = n.shr(drop).low_u128();
        let half = n.bit(drop - 1);
        let below_half = sticky || n.any_bits_below(drop - 1);
        let round_up = half && (below_half || kept & 1 == 1);
        let kept = kept + u128::from(round_up);
        if kept >> 64 != 0 {
            target += 1;
            (kept >> 1) as u64
        } else {
            kept as u64
        }
    };
    if mantissa == 0 {
        return Magnitude::Zero;
    }
    if target > MAX_EXP {
        return Magnitude::Infinite;
    }
    // Keep the representation canonical: subnormals only at the lowest exponent.
    while mantissa >> 63 == 0 && target > MIN_EXP {
        mantissa <<= 1;
        target -= 1;
    }
    Magnitude::Finite {
        mantissa,
        exp: target,
    }
}

/// A parsed number that is not zero: None when it overflowed (strtold's HUGE_VAL with
/// ERANGE) or underflowed to zero, which Redis refuses.
fn in_range(value: Magnitude) -> Option<Magnitude> {
    matches!(value, Magnitude::Finite { .. }).then_some(value)
}

/// strtold's decimal form (lower-cased, sign removed): digits with an optional point and an
/// optional exponent, or `nan`.
fn parse_decimal(s: &[u8]) -> Option<Magnitude> {
    if s == b"nan" || (s.starts_with(b"nan(") && s.ends_with(b")")) {
        return Some(Magnitude::NaN);
    }
    let mantissa_end = s.iter().position(|&c| c == b'e').unwrap_or(s.len());
    let (mantissa, exponent) = s.split_at(mantissa_end);
    let (whole, fraction) = match mantissa.iter().position(|&c| c == b'.') {
        Some(dot) => (&mantissa[..dot], &mantissa[dot + 1..]),
        None => (mantissa, &b""[..]),
    };
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    if !whole.iter().chain(fraction).all(u8::is_ascii_digit) {
        return None;
    }
    let exponent = match exponent {
        [] => 0,
        [b'e', rest @ ..] => parse_exponent(rest)?,
        _ => return None,
    };
    let digits: Vec<u8> = whole.iter().chain(fraction).map(|c| c - b'0').collect();
    let first = digits.iter().position(|&d| d != 0);
    let Some(first) = first else {
        return Some(Magnitude::Zero);
    };
    let digits = &digits[first..];
    let scale = exponent.saturating_sub(fraction.len() as i64);
    // value = digits * 10^scale, within [10^(top-1), 10^top).
    let top = scale.saturating_add(digits.len() as i64);
    if !(-4952..=4934).contains(&top) {
        return None;
    }
    let n = BigUint::from_decimal(digits);
    in_range(if scale >= 0 {
        round(&n.mul(&BigUint::pow10(scale as usize)), 0, false)
    } else {
        let divisor = BigUint::pow10(scale.unsigned_abs() as usize);
        // Enough quotient bits for 64 significant ones plus rounding.
        let shift = (divisor.bit_len() as i64 - n.bit_len() as i64 + 67).max(0) as usize;
        let (quotient, remainder_nonzero) = n.shl(shift).div_rem(&divisor);
        round(&quotient, -(shift as i64), remainder_nonzero)
    })
}

/// strtold's hexadecimal form after `0x`: hex digits with an optional point, then an
/// optional binary exponent `p[+-]digits`.
fn parse_hex(s: &[u8]) -> Option<Magnitude> {
    let mantissa_end = s.iter().position(|&c| c == b'p').unwrap_or(s.len());
    let (mantissa, exponent) = s.split_at(mantissa_end);
    let (whole, fraction) = match mantissa.iter().position(|&c| c == b'.') {
        Some(dot) => (&mantissa[..dot], &mantissa[dot + 1..]),
        None => (mantissa, &b""[..]),
    };
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    let mut n = BigUint::from_u64(0);
    for &c in whole.iter().chain(fraction) {
        let digit = (c as char).to_digit(16)?;
        n = n.mul_small(16).add(&BigUint::from_u64(u64::from(digit)));
    }
    let exponent = match exponent {
        [] => 0,
        [b'p', rest @ ..] => parse_exponent(rest)?,
        _ => return None,
    };
    let exp = exponent.saturating_sub(4 * fraction.len() as i64);
    if n.bit_len() == 0 {
        return Some(Magnitude::Zero);
    }
    // Far outside the range, keep the numbers small: the result is decided anyway.
    let top = exp.saturating_add(n.bit_len() as i64);
    if !(MIN_EXP - 2..=MAX_EXP + 70).contains(&top) {
        return None;
    }
    in_range(round(&n, exp, false))
}

/// An exponent's digits, with an optional sign; huge ones saturate.
fn parse_exponent(s: &[u8]) -> Option<i64> {
    let (negative, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let value = digits.iter().fold(0i64, |v, &d| {
        v.saturating_mul(10).saturating_add(i64::from(d - b'0'))
    });
    Some(if negative { -value } else { value })
}

/// A non-negative big integer: little-endian 64-bit limbs, no high zero limbs.
#[derive(Debug, Clone, PartialEq, Eq)]
struct BigUint(Vec<u64>);

impl BigUint {
    fn from_u64(n: u64) -> BigUint {
        let mut b = BigUint(vec![n]);
        b.trim();
        b
    }

    fn from_decimal(digits: &[u8]) -> BigUint {
        let mut n = BigUint::from_u64(0);
        for chunk in digits.chunks(19) {
            let value = chunk.iter().fold(0u64, |v, &d| v * 10 + u64::from(d));
            n = n
                .mul_small(10u64.pow(chunk.len() as u32))
                .add(&BigUint::from_u64(value));
        }
        n
    }

    fn pow10(exp: usize) -> BigUint {
        let mut n = BigUint::from_u64(1);
        for _ in 0..exp / 19 {
            n = n.mul_small(10u64.pow(19));
        }
        n.mul_small(10u64.pow((exp % 19) as u32))
    }

    fn trim(&mut self) {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }

    fn bit_len(&self) -> usize {
        self.0
            .last()
            .map_or(0, |&top| 64 * self.0.len() - top.leading_zeros() as usize)
    }

    fn bit(&self, i: usize) -> bool {
        self.0.get(i / 64).is_some_and(|&l| l >> (i % 64) & 1 == 1)
    }

    /// Is any bit below `i` set?
    fn any_bits_below(&self, i: usize) -> bool {
        let (limb, bit) = (i / 64, i % 64);
        self.0.iter().take(limb.min(self.0.len())).any(|&l| l != 0)
            || self
                .0
                .get(limb)
                .is_some_and(|&l| l & ((1u64 << bit) - 1) != 0)
    }

    fn low_u64(&self) -> u64 {
        self.0.first().copied().unwrap_or(0)
    }

    fn low_u128(&self) -> u128 {
        u128::from(self.low_u64()) | u128::from(self.0.get(1).copied().unwrap_or(0)) << 64
    }

    fn shl(&self, bits: usize) -> BigUint {
        let (limbs, bits) = (bits / 64, bits % 64);
        let mut out = vec![0u64; limbs];
        let mut carry = 0u64;
        for &l in &self.0 {
            out.push(if bits == 0 { l } else { l << bits | carry });
            carry = if bits == 0 { 0 } else { l >> (64 - bits) };
        }
        out.push(carry);
        let mut b = BigUint(out);
        b.trim();
        b
    }

    fn shr(&self, bits: usize) -> BigUint {
        let (limbs, bits) = (bits / 64, bits % 64);
        let src = self.0.get(limbs..).unwrap_or(&[]);
        let mut out = Vec::with_capacity(src.len());
        for (i, &l) in src.iter().enumerate() {
            let high = src.get(i + 1).copied().unwrap_or(0);
            out.push(if bits == 0 {
                l
            } else {
                l >> bits | high << (64 - bits)
            });
        }
        let mut b = BigUint(out);
        b.trim();
        b
    }

    fn add(&self, other: &BigUint) -> BigUint {
        let mut out = Vec::with_capacity(self.0.len().max(other.0.len()) + 1);
        let mut carry = false;
        for i in 0..self.0.len().max(other.0.len()) {
            let a = self.0.get(i).copied().unwrap_or(0);
            let b = other.0.get(i).copied().unwrap_or(0);
            let (s, c1) = a.overflowing_add(b);
            let (s, c2) = s.overflowing_add(u64::from(carry));
            out.push(s);
            carry = c1 || c2;
        }
        out.push(u64::from(carry));
        let mut b = BigUint(out);
        b.trim();
        b
    }

    /// `self - other`, for `self >= other`.
    fn sub(&self, other: &BigUint) -> BigUint {
        let mut out = Vec::with_capacity(self.0.len());
        let mut borrow = false;
        for (i, &a) in self.0.iter().enumerate() {
            let b = other.0.get(i).copied().unwrap_or(0);
            let (d, b1) = a.overflowing_sub(b);
            let (d, b2) = d.overflowing_sub(u64::from(borrow));
            out.push(d);
            borrow = b1 || b2;
        }
        let mut b = BigUint(out);
        b.trim();
        b
    }

    fn mul_small(&self, m: u64) -> BigUint {
        let mut out = Vec::with_capacity(self.0.len() + 1);
        let mut carry = 0u128;
        for &l in &self.0 {
            let p = u128::from(l) * u128::from(m) + carry;
            out.push(p as u64);
            carry = p >> 64;
        }
        out.push(carry as u64);
        let mut b = BigUint(out);
        b.trim();
        b
    }

    fn mul(&self, other: &BigUint) -> BigUint {
        let mut out = vec![0u64; self.0.len() + other.0.len() + 1];
        for (i, &a) in self.0.iter().enumerate() {
            let mut carry = 0u128;
            for (j, &b) in other.0.iter().enumerate() {
                let p = u128::from(a) * u128::from(b) + u128::from(out[i + j]) + carry;
                out[i + j] = p as u64;
                carry = p >> 64;
            }
            out[i + other.0.len()] = carry as u64;
        }
        let mut b = BigUint(out);
        b.trim();
        b
    }

    fn cmp(&self, other: &BigUint) -> Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.iter().rev().cmp(other.0.iter().rev()))
    }

    /// The quotient and whether the remainder is non-zero, by shift-and-subtract: the
    /// quotients asked for here have a few dozen bits.
    fn div_rem(&self, divisor: &BigUint) -> (BigUint, bool) {
        let mut rest = self.clone();
        let mut quotient = BigUint::from_u64(0);
        let top = self.bit_len().saturating_sub(divisor.bit_len());
        for i in (0..=top).rev() {
            let shifted = divisor.shl(i);
            if rest.cmp(&shifted) != Ordering::Less {
                rest = rest.sub(&shifted);
                quotient = quotient.add(&BigUint::from_u64(1).shl(i));
            }
        }
        (quotient, rest.bit_len() > 0)
    }

    fn to_decimal(&self) -> String {
        const CHUNK: u64 = 10_000_000_000_000_000_000;
        let mut chunks = Vec::new();
        let mut n = self.0.clone();
        while n.iter().any(|&l| l != 0) {
            let mut rem = 0u128;
            for l in n.iter_mut().rev() {
                let cur = rem << 64 | u128::from(*l);
                *l = (cur / u128::from(CHUNK)) as u64;
                rem = cur % u128::from(CHUNK);
            }
            chunks.push(rem as u64);
        }
        let mut out = chunks.pop().map_or("0".to_string(), |top| top.to_string());
        for chunk in chunks.iter().rev() {
            out.push_str(&format!("{chunk:019}"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum(a: &str, b: &str) -> String {
        let a = LongDouble::parse(a.as_bytes()).unwrap();
        let b = LongDouble::parse(b.as_bytes()).unwrap();
        a.add(b).to_human_string()
    }

    #[test]
    fn sums_print_as_redis_on_x86_64() {
        // Each expectation was read from redis-server (INCRBYFLOAT / HINCRBYFLOAT).
        assert_eq!(sum("10.5", "0.1"), "10.6");
        assert_eq!(sum("1", "0.1"), "1.1");
        assert_eq!(sum("0", "5.0e3"), "5000");
        assert_eq!(sum("5000", "-5000"), "0");
        assert_eq!(sum("0", "1e17"), "100000000000000000");
        assert_eq!(sum("100000000000000000", "0.5"), "100000000000000000.5");
        assert_eq!(sum("0", "0x10"), "16");
        assert_eq!(sum("16", "1.5e-10"), "16.00000000015");
        assert_eq!(sum("0", "123.1"), "123.1");
        assert_eq!(sum("0", "1234567.1"), "1234567.10000000000002274");
        assert_eq!(
            sum("1234567.10000000000002274", "-0.0"),
            "1234567.10000000000002274"
        );
        assert_eq!(sum("0", "-1e-20"), "0");
        assert_eq!(
            sum("1e308", "1e308"),
            "199999999999999999993371759311691291321120199694831134415594095989843469737676123744200253843777078640893494450108026446304269499187921167194841628860392837535918200039206381557326219209014213335878306791577877829121087126122536729803237260434173178506889763247582601711514636284849020905456510092687857156096"
        );
        assert_eq!(sum("0.1", "0.2"), "0.3");
        assert_eq!(sum("-2.5", "1"), "-1.5");
    }

    #[test]
    fn parsing_follows_string2ld() {
        for good in [
            "1",
            "-1.5",
            "+2",
            ".5",
            "5.",
            "1e3",
            "1E-3",
            "inf",
            "-Infinity",
            "0x1p-3",
        ] {
            assert!(LongDouble::parse(good.as_bytes()).is_some(), "{good}");
        }
        for bad in [
            "", " 1", "1 ", "abc", "nan", "1e", "0x", "1e5000", "1e-5000", "--1", ".",
        ] {
            assert!(LongDouble::parse(bad.as_bytes()).is_none(), "{bad:?}");
        }
        // strtold stops at a NUL byte, as C sees the string.
        assert_eq!(LongDouble::parse(b"2\0x"), LongDouble::parse(b"2"));
        assert!(!LongDouble::parse(b"inf").unwrap().is_finite());
        // 1e4932 is finite in 80 bits; the sum of two is not.
        let big = LongDouble::parse(b"1e4932").unwrap();
        assert!(big.is_finite() && !big.add(big).is_finite());
    }

    #[test]
    fn rounding_is_to_nearest_even() {
        // 2^64 + 1 needs 65 bits: a tie, rounded down to the even 2^64.
        let two_64 = LongDouble::parse(b"18446744073709551616").unwrap();
        let one = LongDouble::parse(b"1").unwrap();
        assert_eq!(two_64.add(one), two_64);
        assert_eq!(
            two_64.add(one).add(one).add(one).to_human_string(),
            "18446744073709551616"
        );
        // 2^-18 printed with 17 decimals is a tie as well: ...62|5 stays ...62.
        let tiny = LongDouble::parse(b"0x1p-18").unwrap();
        assert_eq!(tiny.to_human_string(), "0.00000381469726562");
    }
}
