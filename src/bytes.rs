//! Byte-slice helpers that cannot panic. At opt-level "z" the standard library's own
//! (`split_at`, `copy_from_slice`, `strip_prefix`, `eq_ignore_ascii_case`) keep panic
//! branches that would bring std's panic and formatting runtime into the binary; these
//! index only through `get`, so there is nothing to panic.

/// `text` split around the first `byte`: what comes before it and what after.
pub fn split_once(text: &[u8], byte: u8) -> Option<(&[u8], &[u8])> {
    let at = text.iter().position(|b| *b == byte)?;
    Some((text.get(..at)?, text.get(at.saturating_add(1)..)?))
}

/// `text` without `prefix`, if it starts with it.
pub fn after<'a>(text: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
    if text.get(..prefix.len())? == prefix {
        text.get(prefix.len()..)
    } else {
        None
    }
}

/// Copies what fits of `src` to the start of `dst`; returns how many bytes were copied.
pub fn copy<'s>(dst: &mut [u8], src: impl IntoIterator<Item = &'s u8>) -> usize {
    let mut n = 0usize;
    for (slot, b) in dst.iter_mut().zip(src) {
        *slot = *b;
        n = n.saturating_add(1);
    }
    n
}

/// Puts `item` at `buf[*len]` and counts it; false, changing nothing, when `buf` is full.
/// For any fixed buffer that fills from the start (bytes, ids, pids).
pub fn push<T>(buf: &mut [T], len: &mut usize, item: T) -> bool {
    match buf.get_mut(*len) {
        Some(slot) => {
            *slot = item;
            *len = len.saturating_add(1);
            true
        }
        None => false,
    }
}

/// `parts` one after another at the start of `buf`; `None` when they do not all fit.
pub fn join<'b>(buf: &'b mut [u8], parts: &[&[u8]]) -> Option<&'b [u8]> {
    let mut len = 0usize;
    for part in parts {
        let end = len.checked_add(part.len())?;
        copy(buf.get_mut(len..end)?, *part);
        len = end;
    }
    buf.get(..len)
}

/// `\xNN`, the escaped form of a byte, in lower-case hex.
pub fn hex_escape(b: u8) -> [u8; 4] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let hi = HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0');
    let lo = HEX.get(usize::from(b & 15)).copied().unwrap_or(b'0');
    [b'\\', b'x', hi, lo]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_once_splits_at_the_first() {
        assert_eq!(split_once(b"a:b:c", b':'), Some((&b"a"[..], &b"b:c"[..])));
        assert_eq!(split_once(b":", b':'), Some((&b""[..], &b""[..])));
        assert_eq!(split_once(b"abc", b':'), None);
        assert_eq!(split_once(b"", b':'), None);
    }

    #[test]
    fn after_strips_a_prefix() {
        assert_eq!(after(b"--grace", b"--"), Some(&b"grace"[..]));
        assert_eq!(after(b"--", b"--"), Some(&b""[..]));
        assert_eq!(after(b"-", b"--"), None);
        assert_eq!(after(b"x--", b"--"), None);
    }

    #[test]
    fn copy_takes_what_fits() {
        let mut buf = [0u8; 3];
        assert_eq!(copy(&mut buf, b"abcdef"), 3);
        assert_eq!(&buf, b"abc");
        assert_eq!(copy(&mut buf, b"z"), 1);
        assert_eq!(&buf, b"zbc");
        assert_eq!(copy(&mut [], b"z"), 0);
    }

    #[test]
    fn push_fills_then_refuses() {
        let (mut buf, mut len) = ([0u32; 2], 0usize);
        assert!(push(&mut buf, &mut len, 7));
        assert!(push(&mut buf, &mut len, 8));
        assert!(!push(&mut buf, &mut len, 9));
        assert_eq!((buf, len), ([7, 8], 2));
        let mut len = 5;
        assert!(!push(&mut buf, &mut len, 1), "a length past the end");
        assert_eq!((buf, len), ([7, 8], 5));
    }

    #[test]
    fn join_all_or_nothing() {
        let mut buf = [0u8; 8];
        assert_eq!(
            join(&mut buf, &[b"/bin", b"/", b"sh"]),
            Some(&b"/bin/sh"[..])
        );
        assert_eq!(join(&mut buf, &[b"/usr/bin", b"/"]), None);
        assert_eq!(join(&mut buf, &[]), Some(&b""[..]));
    }

    #[test]
    fn hex_escapes() {
        assert_eq!(&hex_escape(0), b"\\x00");
        assert_eq!(&hex_escape(0x1b), b"\\x1b");
        assert_eq!(&hex_escape(0xff), b"\\xff");
    }
}
