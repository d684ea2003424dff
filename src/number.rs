//! Numbers as Redis reads and writes them.
//!
//! Redis is strict and particular: `string2ll` refuses `+1`, `01` and `-0`; `strtod`-based float
//! parsing refuses `nan`, leading spaces and overflow; doubles are written by `d2string` (integers
//! as integers, the rest in the shortest form that round-trips, with C's exponent style). Every
//! reply and every stored score goes through these functions so they agree everywhere.

/// Parses a signed 64-bit integer exactly as Redis's `string2ll`.
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    // LONG_STR_SIZE is 21: longer strings are refused before looking at them.
    if s.is_empty() || s.len() >= 21 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (negative, digits) = match s[0] {
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    // The first digit must be 1-9: no leading zeros, no "-0", no sign without digits.
    match digits.first() {
        Some(b'1'..=b'9') => {}
        _ => return None,
    }
    let mut value: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        value = value.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    if negative {
        if value > i64::MAX as u64 + 1 {
            return None;
        }
        Some((value as i64).wrapping_neg())
    } else {
        i64::try_from(value).ok()
    }
}

/// Parses a double as Redis's `getDoubleFromObject` (strtod, then refusals): no empty string,
/// no leading space, no trailing garbage, no NaN, and no overflow or underflow to zero.
pub fn parse_f64(s: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(s).ok()?;
    if text.is_empty() || text.starts_with(|c: char| c.is_ascii_whitespace()) {
        return None;
    }
    let value = strtod(text)?;
    if value.is_nan() {
        return None;
    }
    let lower = text.to_ascii_lowercase();
    let unsigned = lower.trim_start_matches(['+', '-']);
    if value.is_infinite() && unsigned != "inf" && unsigned != "infinity" {
        return None; // strtod's ERANGE overflow
    }
    if value == 0.0 && mantissa_has_nonzero(unsigned) {
        return None; // strtod's ERANGE underflow to zero
    }
    Some(value)
}

/// Parses a double as a bare `strtod` that must consume the whole string and not give NaN:
/// what Redis's sorted-set range parser (`zslParseRange`) accepts. Laxer than [`parse_f64`]:
/// leading spaces are skipped, overflow gives an infinity, and the empty string is 0.
pub fn parse_strtod(s: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(s).ok()?;
    let text = text.trim_start_matches(|c: char| c.is_ascii_whitespace());
    if text.is_empty() {
        return Some(0.0);
    }
    let value = strtod(text)?;
    (!value.is_nan()).then_some(value)
}

/// C's `strtod` over a whole string: decimal forms, `inf`, `infinity`, `nan`, and the
/// hexadecimal form `0x1.8p3` (which Rust's parser does not read).
fn strtod(text: &str) -> Option<f64> {
    let (negative, unsigned) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let Some(hex) = unsigned
        .strip_prefix("0x")
        .or_else(|| unsigned.strip_prefix("0X"))
    else {
        return text.parse().ok();
    };
    let (digits, exponent) = match hex.find(['p', 'P']) {
        Some(at) => (&hex[..at], hex[at + 1..].parse::<i32>().ok()?),
        None => (hex, 0),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    let mut mantissa = 0.0f64;
    for c in whole.chars().chain(fraction.chars()) {
        mantissa = mantissa * 16.0 + f64::from(c.to_digit(16)?);
    }
    let scale = exponent.saturating_sub(4 * fraction.len() as i32);
    let value = mantissa * 2f64.powi(scale);
    Some(if negative { -value } else { value })
}

fn mantissa_has_nonzero(s: &str) -> bool {
    let mantissa = s.split('e').next().unwrap_or("");
    mantissa.bytes().any(|c| (b'1'..=b'9').contains(&c))
}

/// Formats a double as Redis 7.2's `d2string` (used for scores and RESP doubles).
pub fn format_f64(value: f64) -> String {
    if value.is_nan() {
        return "nan".into();
    }
    if value.is_infinite() {
        return if value < 0.0 { "-inf" } else { "inf" }.into();
    }
    if value == 0.0 {
        return if value.is_sign_negative() { "-0" } else { "0" }.into();
    }
    // double2ll: integral values in +-LLONG_MAX/2 print as integers.
    const LIMIT: f64 = (i64::MAX / 2) as f64;
    if value.fract() == 0.0 && (-LIMIT..=LIMIT).contains(&value) {
        return (value as i64).to_string();
    }
    fpconv(value)
}

/// fpconv_dtoa's layout over the shortest round-trip digits.
fn fpconv(value: f64) -> String {
    let sci = format!("{:e}", value.abs());
    let (mantissa, exponent) = sci.split_once('e').expect("{:e} always has an exponent");
    let digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
    let exponent: i32 = exponent.parse().expect("{:e} exponent is an integer");
    let ndigits = digits.len() as i32;
    let k = exponent - (ndigits - 1); // value = digits * 10^k
    let exp = (k + ndigits - 1).abs();
    let negative = value < 0.0;
    let mut out = String::with_capacity(24);
    if negative {
        out.push('-');
    }
    let digit_str = |d: &[u8]| String::from_utf8_lossy(d).into_owned();
    if k >= 0 && exp < ndigits + 7 {
        out.push_str(&digit_str(&digits));
        out.extend(std::iter::repeat_n('0', k as usize));
    } else if k < 0 && (k > -7 || exp < 4) {
        let offset = ndigits + k;
        if offset <= 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-offset) as usize));
            out.push_str(&digit_str(&digits));
        } else {
            out.push_str(&digit_str(&digits[..offset as usize]));
            out.push('.');
            out.push_str(&digit_str(&digits[offset as usize..]));
        }
    } else {
        let kept = digits.len().min(18 - usize::from(negative));
        out.push(digits[0] as char);
        if kept > 1 {
            out.push('.');
            out.push_str(&digit_str(&digits[1..kept]));
        }
        out.push('e');
        out.push(if k + ndigits - 1 < 0 { '-' } else { '+' });
        out.push_str(&exp.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_follow_string2ll() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"-1"), Some(-1));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [
            &b"9223372036854775808"[..],
            b"+1",
            b"01",
            b"-0",
            b"",
            b"-",
            b" 1",
            b"1 ",
            b"1.0",
            b"0x10",
        ] {
            assert_eq!(parse_i64(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn floats_follow_strtod_with_redis_refusals() {
        assert_eq!(parse_f64(b"1.5"), Some(1.5));
        assert_eq!(parse_f64(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_f64(b"+inf"), Some(f64::INFINITY));
        assert_eq!(parse_f64(b"infinity"), Some(f64::INFINITY));
        assert_eq!(parse_f64(b".5"), Some(0.5));
        assert_eq!(parse_f64(b"5."), Some(5.0));
        assert_eq!(parse_f64(b"1e3"), Some(1000.0));
        assert_eq!(parse_f64(b"0"), Some(0.0));
        assert_eq!(parse_f64(b"0.000"), Some(0.0));
        assert_eq!(parse_f64(b"0x10"), Some(16.0));
        assert_eq!(parse_f64(b"-0x1.8p1"), Some(-3.0));
        assert_eq!(parse_f64(b"0X.8"), Some(0.5));
        assert_eq!(parse_f64(b"0x"), None);
        assert_eq!(parse_f64(b"0x1g"), None);
        for bad in [&b"nan"[..], b"", b" 1", b"1 ", b"abc", b"1e400", b"1e-400"] {
            assert_eq!(parse_f64(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn range_floats_follow_bare_strtod() {
        assert_eq!(parse_strtod(b""), Some(0.0));
        assert_eq!(parse_strtod(b" 2"), Some(2.0));
        assert_eq!(parse_strtod(b"1e400"), Some(f64::INFINITY));
        assert_eq!(parse_strtod(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_strtod(b"nan"), None);
        assert_eq!(parse_strtod(b"1x"), None);
        assert_eq!(parse_strtod(b"2 "), None);
    }

    #[test]
    fn doubles_print_as_redis_7_2() {
        assert_eq!(format_f64(1.0), "1");
        assert_eq!(format_f64(-0.0), "-0");
        assert_eq!(format_f64(1.5), "1.5");
        assert_eq!(format_f64(1.1), "1.1");
        assert_eq!(format_f64(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(format_f64(f64::INFINITY), "inf");
        assert_eq!(format_f64(f64::NEG_INFINITY), "-inf");
        assert_eq!(format_f64(1e21), "1e+21");
        assert_eq!(format_f64(1.5e300), "1.5e+300");
        assert_eq!(format_f64(1e-7), "1e-7");
        assert_eq!(format_f64(0.000123), "0.000123");
        assert_eq!(format_f64(123456.789), "123456.789");
        assert_eq!(format_f64(3e18), "3000000000000000000");
        assert_eq!(format_f64(-2.5e-10), "-2.5e-10");
    }
}
