//! Decimal numbers from the outside (argv, the environment, /etc/passwd): the one parser
//! every caller shares, checked so that no input can overflow in any build profile.

/// `text` as a decimal number no greater than `max`: digits only, no sign, no spaces.
pub fn parse(text: &[u8], max: u64) -> Option<u64> {
    if text.is_empty() {
        return None;
    }
    let mut value: u64 = 0;
    for &b in text {
        let digit = b.checked_sub(b'0').filter(|d| *d <= 9)?;
        value = value.checked_mul(10)?.checked_add(u64::from(digit))?;
        if value > max {
            return None;
        }
    }
    Some(value)
}

/// The leading digits of `text` after leading white space, as C's `atoi` reads them,
/// saturating at `max`; 0 when there are none.
pub fn leading(text: &[u8], max: u64) -> u64 {
    text.iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .map_while(|b| b.checked_sub(b'0').filter(|d| *d <= 9))
        .fold(0u64, |n, d| {
            n.saturating_mul(10).saturating_add(u64::from(d)).min(max)
        })
}

/// `n` in decimal, written into `buf` from the end: the one integer formatter (log lines,
/// /proc paths, LISTEN_PID in the child, which must not allocate).
pub fn format(n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut at = buf.len();
    let mut rest = n;
    while let Some(next) = at.checked_sub(1) {
        at = next;
        if let Some(slot) = buf.get_mut(at) {
            // `rest % 10` is below 10, so the digit is a byte in b'0'..=b'9'.
            *slot = b'0'.saturating_add(u8::try_from(rest % 10).unwrap_or(0));
        }
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    buf.get(at..).unwrap_or(&[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_within_bounds() {
        assert_eq!(parse(b"0", 9), Some(0));
        assert_eq!(parse(b"255", 255), Some(255));
        assert_eq!(parse(b"256", 255), None);
        assert_eq!(parse(b"007", 255), Some(7));
        assert_eq!(parse(b"18446744073709551615", u64::MAX), Some(u64::MAX));
        assert_eq!(parse(b"18446744073709551616", u64::MAX), None);
        assert_eq!(parse(b"99999999999999999999999999", 10), None);
        for bad in [&b""[..], b"-1", b"+1", b" 1", b"1 ", b"1x", b"\xff", b"/"] {
            assert_eq!(parse(bad, u64::MAX), None, "{bad:?}");
        }
    }

    #[test]
    fn formats() {
        let mut buf = [0u8; 20];
        assert_eq!(format(0, &mut buf), b"0");
        assert_eq!(format(42, &mut buf), b"42");
        assert_eq!(format(u64::MAX, &mut buf), b"18446744073709551615");
    }

    #[test]
    fn leading_digits_like_atoi() {
        assert_eq!(leading(b" 2x", 9), 2);
        assert_eq!(leading(b"12", 9), 9);
        assert_eq!(leading(b"abc", 9), 0);
        assert_eq!(leading(b"", 9), 0);
        assert_eq!(leading(b"99999999999999999999999999", u64::MAX), u64::MAX);
    }
}
