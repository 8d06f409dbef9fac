//! IP address literals and port numbers as they appear in a URL: `127.0.0.1`, `[::1]`,
//! `[::ffff:10.0.0.1]`, `:8080`. Pure parsing, no resolver.

/// Strict dotted-quad IPv4: four decimal parts 0-255, no leading zeros (`010` would be octal
/// to inet_aton and decimal to a person, so it is refused rather than guessed).
pub fn ipv4(text: &[u8]) -> Option<[u8; 4]> {
    let mut out = [0u8; 4];
    let mut parts = text.split(|b| *b == b'.');
    for slot in out.iter_mut() {
        let part = parts.next()?;
        if part.is_empty() || part.len() > 3 || (part.len() > 1 && part.first() == Some(&b'0')) {
            return None;
        }
        *slot = u8::try_from(decimal(part)?).ok()?;
    }
    parts.next().is_none().then_some(out)
}

/// IPv6 text form (RFC 4291 section 2.2): eight groups of 1-4 hex digits, one `::` for a run
/// of zero groups, and an optional dotted-quad tail. Zone ids (`%eth0`) are not accepted:
/// a health endpoint is never link-local.
pub fn ipv6(text: &[u8]) -> Option<[u8; 16]> {
    let mut groups = [0u16; 8];
    let mut count = 0;
    // Index of the group the `::` stands before, once seen.
    let mut gap: Option<usize> = None;
    let mut rest = text;
    if let [b':', b':', after @ ..] = rest {
        gap = Some(0);
        rest = after;
    }
    while !rest.is_empty() {
        let ends = rest.iter().position(|b| *b == b':').unwrap_or(rest.len());
        let (word, tail) = (rest.get(..ends)?, rest.get(ends..)?);
        if tail.is_empty() && word.contains(&b'.') {
            // The last 32 bits as a dotted quad: two groups.
            let [a, b, c, d] = ipv4(word)?;
            *groups.get_mut(count)? = u16::from_be_bytes([a, b]);
            *groups.get_mut(count.checked_add(1)?)? = u16::from_be_bytes([c, d]);
            count = count.checked_add(2)?;
            break;
        }
        if word.is_empty() || word.len() > 4 {
            return None;
        }
        *groups.get_mut(count)? = hex(word)?;
        count = count.checked_add(1)?;
        rest = match tail {
            [] => tail,
            [b':', b':', after @ ..] if gap.is_none() => {
                gap = Some(count);
                after
            }
            // A single colon must be followed by another group.
            [b':', after @ ..] if !after.is_empty() && after.first() != Some(&b':') => after,
            _ => return None,
        };
    }
    match gap {
        None if count == 8 => {}
        Some(at) if count < 8 => {
            // Move the groups after the gap to the end; zeros fill the gap.
            let moved = count.checked_sub(at)?;
            let mut filled = [0u16; 8];
            for i in 0..moved {
                let to = 8usize.checked_sub(moved)?.checked_add(i)?;
                *filled.get_mut(to)? = *groups.get(at.checked_add(i)?)?;
            }
            for i in 0..at {
                *filled.get_mut(i)? = *groups.get(i)?;
            }
            groups = filled;
        }
        _ => return None,
    }
    let mut out = [0u8; 16];
    for (i, group) in groups.iter().enumerate() {
        let [hi, lo] = group.to_be_bytes();
        let at = i.checked_mul(2)?;
        *out.get_mut(at)? = hi;
        *out.get_mut(at.checked_add(1)?)? = lo;
    }
    Some(out)
}

/// A TCP port, 1-65535, in decimal.
pub fn port(text: &[u8]) -> Option<u16> {
    if text.is_empty() || text.len() > 5 {
        return None;
    }
    u16::try_from(decimal(text)?).ok().filter(|p| *p != 0)
}

/// Decimal digits only; at most 5 of them (callers bound the length), so no overflow.
fn decimal(text: &[u8]) -> Option<u32> {
    crate::decimal::parse(text, 99_999).and_then(|n| u32::try_from(n).ok())
}

fn hex(text: &[u8]) -> Option<u16> {
    text.iter().try_fold(0u16, |acc, b| {
        let digit = char::from(*b).to_digit(16)?;
        Some((acc << 4) | digit as u16)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_literals() {
        assert_eq!(ipv4(b"127.0.0.1"), Some([127, 0, 0, 1]));
        assert_eq!(ipv4(b"0.0.0.0"), Some([0, 0, 0, 0]));
        assert_eq!(ipv4(b"255.255.255.255"), Some([255; 4]));
        for bad in [
            &b""[..],
            b"1.2.3",
            b"1.2.3.4.5",
            b"256.0.0.1",
            b"01.2.3.4",
            b"1..3.4",
            b"1.2.3.4.",
            b"a.b.c.d",
            b"1.2.3.-4",
            b"1234.1.1.1",
        ] {
            assert_eq!(ipv4(bad), None, "{:?}", core::str::from_utf8(bad));
        }
    }

    fn v6(groups: [u16; 8]) -> Option<[u8; 16]> {
        let mut out = [0u8; 16];
        for (pair, g) in out.chunks_exact_mut(2).zip(groups) {
            pair.copy_from_slice(&g.to_be_bytes());
        }
        Some(out)
    }

    #[test]
    fn ipv6_literals() {
        assert_eq!(ipv6(b"::1"), v6([0, 0, 0, 0, 0, 0, 0, 1]));
        assert_eq!(ipv6(b"::"), v6([0; 8]));
        assert_eq!(ipv6(b"1::"), v6([1, 0, 0, 0, 0, 0, 0, 0]));
        assert_eq!(ipv6(b"fe80::1:2"), v6([0xfe80, 0, 0, 0, 0, 0, 1, 2]));
        assert_eq!(ipv6(b"1:2:3:4:5:6:7:8"), v6([1, 2, 3, 4, 5, 6, 7, 8]));
        assert_eq!(ipv6(b"1:2:3::6:7:8"), v6([1, 2, 3, 0, 0, 6, 7, 8]));
        assert_eq!(ipv6(b"1:2:3:4:5:6:7::"), v6([1, 2, 3, 4, 5, 6, 7, 0]));
        assert_eq!(ipv6(b"::2:3:4:5:6:7:8"), v6([0, 2, 3, 4, 5, 6, 7, 8]));
        assert_eq!(ipv6(b"ABCD::ef01"), v6([0xabcd, 0, 0, 0, 0, 0, 0, 0xef01]));
        assert_eq!(
            ipv6(b"::ffff:127.0.0.1"),
            v6([0, 0, 0, 0, 0, 0xffff, 0x7f00, 1])
        );
        assert_eq!(
            ipv6(b"1:2:3:4:5:6:1.2.3.4"),
            v6([1, 2, 3, 4, 5, 6, 0x0102, 0x0304])
        );
        for bad in [
            &b""[..],
            b":",
            b":::",
            b"1:2",
            b"::1::",
            b"1::2::3",
            b":1::",
            b"1:",
            b"1:2:3:4:5:6:7:8:9",
            b"1:2:3:4:5:6:7:8::",
            b"::1:2:3:4:5:6:7:8",
            b"12345::",
            b"g::",
            b"::1%eth0",
            b"1:2:3:4:5:6:7:1.2.3.4",
            b"::1.2.3.4:5",
            b"::256.1.1.1",
            b"1:::2",
        ] {
            assert_eq!(ipv6(bad), None, "{:?}", core::str::from_utf8(bad));
        }
    }

    #[test]
    fn ports() {
        assert_eq!(port(b"1"), Some(1));
        assert_eq!(port(b"8080"), Some(8080));
        assert_eq!(port(b"65535"), Some(65535));
        for bad in [
            &b""[..],
            b"0",
            b"65536",
            b"99999",
            b"123456",
            b"80a",
            b"-1",
            b" 80",
        ] {
            assert_eq!(port(bad), None, "{:?}", core::str::from_utf8(bad));
        }
    }
}
