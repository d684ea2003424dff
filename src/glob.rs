//! Redis's glob matcher (`stringmatchlen` in Redis's util.c), byte for byte.
//!
//! KEYS, SCAN MATCH and CONFIG GET use it. Generic glob crates disagree with Redis on
//! common patterns (`*` crossing `/`, `[^a-z]`, `\` escapes, an unclosed `[`), so this is
//! a direct port, including Redis's quirks: C reads past the end of the pattern see a NUL
//! byte, and range bounds compare as signed chars.

/// Does `string` match the glob `pattern`, as Redis decides it?
pub fn matches(pattern: &[u8], string: &[u8]) -> bool {
    let mut skip_longer = false;
    match_impl(pattern, string, false, &mut skip_longer, 0)
}

/// Case-insensitive form (CONFIG GET matches parameter names this way).
pub fn matches_nocase(pattern: &[u8], string: &[u8]) -> bool {
    let mut skip_longer = false;
    match_impl(pattern, string, true, &mut skip_longer, 0)
}

/// The byte at `i`, or 0 past the end, as C sees the NUL terminator.
fn at(s: &[u8], i: usize) -> u8 {
    s.get(i).copied().unwrap_or(0)
}

fn lower(c: u8) -> u8 {
    c.to_ascii_lowercase()
}

fn match_impl(
    pattern: &[u8],
    string: &[u8],
    nocase: bool,
    skip_longer: &mut bool,
    nesting: u32,
) -> bool {
    // Protection against abusive patterns, as Redis.
    if nesting > 1000 {
        return false;
    }
    let (mut p, mut s) = (0usize, 0usize);
    while p < pattern.len() && s < string.len() {
        match pattern[p] {
            b'*' => {
                while p < pattern.len() && at(pattern, p + 1) == b'*' {
                    p += 1;
                }
                if pattern.len() - p == 1 {
                    return true;
                }
                while s < string.len() {
                    if match_impl(
                        &pattern[p + 1..],
                        &string[s..],
                        nocase,
                        skip_longer,
                        nesting + 1,
                    ) {
                        return true;
                    }
                    if *skip_longer {
                        return false;
                    }
                    s += 1;
                }
                // No match for the rest of the pattern anywhere in the rest of the string:
                // earlier stars cannot help either.
                *skip_longer = true;
                return false;
            }
            b'?' => s += 1,
            b'[' => {
                p += 1;
                let not = at(pattern, p) == b'^';
                if not {
                    p += 1;
                }
                let c = string[s];
                let mut matched = false;
                loop {
                    let left = pattern.len().saturating_sub(p);
                    if at(pattern, p) == b'\\' && left >= 2 {
                        p += 1;
                        if pattern[p] == c {
                            matched = true;
                        }
                    } else if at(pattern, p) == b']' {
                        break;
                    } else if left == 0 {
                        p -= 1;
                        break;
                    } else if left >= 3 && pattern[p + 1] == b'-' {
                        // C compares (signed) chars here.
                        let (mut start, mut end) =
                            (pattern[p] as i8 as i32, pattern[p + 2] as i8 as i32);
                        let mut ch = c as i8 as i32;
                        if start > end {
                            std::mem::swap(&mut start, &mut end);
                        }
                        if nocase {
                            start = lower(start as u8) as i8 as i32;
                            end = lower(end as u8) as i8 as i32;
                            ch = lower(ch as u8) as i8 as i32;
                        }
                        p += 2;
                        if ch >= start && ch <= end {
                            matched = true;
                        }
                    } else if (!nocase && pattern[p] == c)
                        || (nocase && lower(pattern[p]) == lower(c))
                    {
                        matched = true;
                    }
                    p += 1;
                }
                if not {
                    matched = !matched;
                }
                if !matched {
                    return false;
                }
                s += 1;
            }
            first => {
                let mut literal = first;
                if first == b'\\' && pattern.len() - p >= 2 {
                    p += 1;
                    literal = pattern[p];
                }
                let equal = if nocase {
                    lower(literal) == lower(string[s])
                } else {
                    literal == string[s]
                };
                if !equal {
                    return false;
                }
                s += 1;
            }
        }
        p += 1;
        if s == string.len() {
            while at(pattern, p) == b'*' {
                p += 1;
            }
            break;
        }
    }
    p >= pattern.len() && s == string.len()
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn stars_cross_slashes_and_match_empty() {
        // As Redis's stringmatchlen: a pattern never matches the empty string (KEYS * lists
        // the empty key only because KEYS special-cases a lone `*`).
        assert!(!matches(b"*", b""));
        assert!(!matches(b"**", b""));
        assert!(matches(b"*", b"a/b/c"));
        assert!(matches(b"user:*", b"user:1000"));
        assert!(matches(b"a*b*c", b"a/x/b/y/c"));
        assert!(!matches(b"a*b", b"a/x/c"));
        assert!(matches(b"h*llo", b"hllo"));
        assert!(matches(b"foo**", b"foo"));
    }

    #[test]
    fn question_mark_takes_exactly_one_byte() {
        assert!(matches(b"h?llo", b"hello"));
        assert!(!matches(b"h?llo", b"hllo"));
        assert!(matches(b"?", b"\xff"));
    }

    #[test]
    fn classes_ranges_and_negation() {
        assert!(matches(b"h[ae]llo", b"hallo"));
        assert!(!matches(b"h[ae]llo", b"hillo"));
        assert!(matches(b"h[^e]llo", b"hallo"));
        assert!(!matches(b"h[^e]llo", b"hello"));
        assert!(matches(b"h[a-b]llo", b"hbllo"));
        assert!(matches(b"h[b-a]llo", b"hbllo"), "reversed range is swapped");
        assert!(matches(b"[^a-z]", b"A"));
        assert!(!matches(b"[^a-z]", b"q"));
    }

    #[test]
    fn backslash_escapes() {
        assert!(matches(b"a\\*b", b"a*b"));
        assert!(!matches(b"a\\*b", b"axb"));
        assert!(matches(b"[\\]]", b"]"));
        assert!(matches(b"a\\", b"a\\"), "a trailing backslash is literal");
    }

    #[test]
    fn unclosed_class_is_tolerated_as_redis_does() {
        assert!(matches(b"[abc", b"a"));
        assert!(!matches(b"[abc", b"d"));
    }

    #[test]
    fn abusive_patterns_end() {
        let pattern = b"a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b";
        assert!(!matches(pattern, &[b'a'; 100]));
    }
}
