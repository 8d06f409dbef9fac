//! Which HTTP statuses count as healthy: `--status 200-299,404`. A bit per code 100-599.

use super::usage::{Usage, bad};

/// 2xx and 3xx: a redirect still means the server is up and answering.
pub const DEFAULT: &[u8] = b"200-399";

const FIRST: u16 = 100;
const LAST: u16 = 599;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Accept<'a> {
    /// Bit `code - 100`.
    bits: [u64; 8],
    /// As the user wrote it, for the message when a status is not accepted.
    pub text: &'a [u8],
}

impl Default for Accept<'_> {
    fn default() -> Self {
        let mut accept = Accept {
            bits: [0; 8],
            text: DEFAULT,
        };
        accept.add(200, 399);
        accept
    }
}

impl<'a> Accept<'a> {
    /// A comma-separated list of codes and ranges: `200`, `200-299`, `200-299,404`.
    pub fn parse(text: &'a [u8]) -> Result<Accept<'a>, Usage<'a>> {
        let mut accept = Accept { bits: [0; 8], text };
        for item in text.split(|b| *b == b',') {
            let (low, high) = crate::bytes::split_once(item, b'-').unwrap_or((item, item));
            match (code(low), code(high)) {
                (Some(low), Some(high)) if low <= high => accept.add(low, high),
                _ => return bad("bad status list (codes 100-599, as in 200-299,404):", text),
            }
        }
        Ok(accept)
    }

    pub fn contains(&self, code: u16) -> bool {
        let Some(bit) = code.checked_sub(FIRST).map(usize::from) else {
            return false;
        };
        self.bits
            .get(bit / 64)
            .is_some_and(|word| word & (1 << (bit % 64)) != 0)
    }

    fn add(&mut self, low: u16, high: u16) {
        for code in low..=high {
            let bit = usize::from(code.saturating_sub(FIRST));
            if let Some(word) = self.bits.get_mut(bit / 64) {
                *word |= 1 << (bit % 64);
            }
        }
    }
}

/// Exactly three digits, 100-599.
fn code(text: &[u8]) -> Option<u16> {
    if text.len() != 3 {
        return None;
    }
    let value = u16::try_from(crate::decimal::parse(text, 999)?).ok()?;
    (FIRST..=LAST).contains(&value).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_2xx_and_3xx() {
        let accept = Accept::default();
        assert_eq!(accept, Accept::parse(DEFAULT).unwrap());
        for (code, want) in [
            (199, false),
            (200, true),
            (204, true),
            (301, true),
            (399, true),
        ] {
            assert_eq!(accept.contains(code), want, "{code}");
        }
        for code in [0, 99, 100, 400, 404, 500, 503, 599, 600, 999, u16::MAX] {
            assert!(!accept.contains(code), "{code}");
        }
    }

    #[test]
    fn lists_and_ranges() {
        let accept = Accept::parse(b"200-299,404,599").unwrap();
        for (code, want) in [
            (200, true),
            (299, true),
            (300, false),
            (404, true),
            (403, false),
            (599, true),
        ] {
            assert_eq!(accept.contains(code), want, "{code}");
        }
        let one = Accept::parse(b"100").unwrap();
        assert!(one.contains(100) && !one.contains(101));
        let all = Accept::parse(b"100-599").unwrap();
        assert!((100..=599).all(|c| all.contains(c)));
    }

    #[test]
    fn bad_lists() {
        for bad in [
            &b""[..],
            b",",
            b"200,",
            b"2xx",
            b"20",
            b"2000",
            b"099",
            b"600",
            b"299-200",
            b"200-",
            b"-200",
            b"200-299-399",
            b" 200",
        ] {
            assert!(
                Accept::parse(bad).is_err(),
                "{:?}",
                core::str::from_utf8(bad)
            );
        }
    }
}
