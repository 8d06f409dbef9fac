//! Durations on the command line: `500ms`, `10s`, `2m`, `1h`, or a bare number of seconds.

/// Parses a duration into milliseconds. `None` for anything malformed or too large to
/// represent, so `--grace 99999999999999h` is a usage error instead of a wrapped timer.
pub fn parse_ms(text: &[u8]) -> Option<u64> {
    let digits = text.iter().take_while(|b| b.is_ascii_digit()).count();
    let (number, unit) = (text.get(..digits)?, text.get(digits..)?);
    if number.is_empty() {
        return None;
    }
    let value = crate::decimal::parse(number, MAX_MS)?;
    let scale: u64 = match unit {
        b"ms" => 1,
        b"" | b"s" => 1_000,
        b"m" => 60_000,
        b"h" => 3_600_000,
        _ => return None,
    };
    let ms = value.checked_mul(scale)?;
    // Keep the value convertible to nanoseconds and to a timespec without overflow.
    (ms <= MAX_MS).then_some(ms)
}

/// A bit over 200 years: more than any grace period, far from u64 overflow in nanoseconds.
pub const MAX_MS: u64 = 1 << 42;

#[cfg(test)]
mod tests {
    use super::parse_ms;

    #[test]
    fn accepts_units() {
        assert_eq!(parse_ms(b"0"), Some(0));
        assert_eq!(parse_ms(b"500ms"), Some(500));
        assert_eq!(parse_ms(b"10s"), Some(10_000));
        assert_eq!(parse_ms(b"10"), Some(10_000));
        assert_eq!(parse_ms(b"2m"), Some(120_000));
        assert_eq!(parse_ms(b"1h"), Some(3_600_000));
    }

    #[test]
    fn rejects_garbage_and_overflow() {
        for bad in [
            &b""[..],
            b"s",
            b"-1s",
            b"1.5s",
            b"10x",
            b"10 s",
            b" 10s",
            b"99999999999999h",
            b"18446744073709551616",
        ] {
            assert_eq!(parse_ms(bad), None, "{:?}", core::str::from_utf8(bad));
        }
    }
}
