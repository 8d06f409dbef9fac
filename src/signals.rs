//! Signal names and numbers, both ways, without libc's tables (musl has no `sigabbrev_np`).

/// Highest signal number on Linux.
pub const MAX: i32 = 64;
/// First real-time signal as `kill -l` names it (glibc reserves 32 and 33).
const RTMIN: i32 = 34;

/// Names of the standard signals, indexed by number - 1.
const NAMES: [&str; 31] = [
    "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2",
    "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG",
    "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
];

/// The name without the `SIG` prefix for a standard signal.
pub fn name(sig: i32) -> Option<&'static str> {
    let index = usize::try_from(sig).ok()?.checked_sub(1)?;
    NAMES.get(index).copied()
}

/// Parses `TERM`, `SIGTERM`, `sigterm`, `15`, `RTMIN+3`, `SIGRTMAX`. Names compare without
/// regard to case or length: no buffer caps them (`SIGRTMIN+00000001` is RTMIN+1).
pub fn parse(text: &[u8]) -> Option<i32> {
    if let Some(n) = parse_number(text) {
        return (1..=MAX).contains(&n).then_some(n);
    }
    let word = after_ignoring_case(text, b"SIG").unwrap_or(text);
    if let Some(pos) = NAMES.iter().position(|n| upper_is(word, n.as_bytes())) {
        return i32::try_from(pos).ok().map(|p| p.saturating_add(1));
    }
    let is = |name: &[u8]| upper_is(word, name);
    if is(b"IOT") {
        Some(6)
    } else if is(b"CLD") {
        Some(17)
    } else if is(b"POLL") {
        Some(29)
    } else if is(b"RTMIN") {
        Some(RTMIN)
    } else if is(b"RTMAX") {
        Some(MAX)
    } else if let Some(offset) = after_ignoring_case(word, b"RTMIN+").and_then(parse_number) {
        Some(RTMIN.saturating_add(offset)).filter(|s| *s <= MAX)
    } else if let Some(offset) = after_ignoring_case(word, b"RTMAX-").and_then(parse_number) {
        Some(MAX.saturating_sub(offset)).filter(|s| *s >= RTMIN)
    } else {
        None
    }
}

/// Whether `text` in upper case is `upper`. (`eq_ignore_ascii_case` keeps a `split_at`
/// panic branch at opt-level "z", which brought std's panic runtime in: 340 KB.)
fn upper_is(text: &[u8], upper: &[u8]) -> bool {
    if text.len() != upper.len() {
        return false;
    }
    let mut i = 0;
    while let (Some(t), Some(u)) = (text.get(i), upper.get(i)) {
        if t.to_ascii_uppercase() != *u {
            return false;
        }
        i = i.saturating_add(1);
    }
    true
}

/// `text` without `prefix` (upper case), if it starts with it in any case.
fn after_ignoring_case<'a>(text: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
    if upper_is(text.get(..prefix.len())?, prefix) {
        text.get(prefix.len()..)
    } else {
        None
    }
}

/// A signal number or offset: small, so anything over 64 is no signal.
fn parse_number(text: &[u8]) -> Option<i32> {
    crate::decimal::parse(text, 64).and_then(|n| i32::try_from(n).ok())
}

/// How a real-time signal is spelled: `RTMIN+3`; 32 and 33 have no name.
pub fn rt_offset(sig: i32) -> Option<i32> {
    sig.checked_sub(RTMIN)
        .filter(|_| (RTMIN..=MAX).contains(&sig))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for sig in 1..=31 {
            let Some(n) = name(sig) else {
                panic!("signal {sig} has no name")
            };
            assert_eq!(parse(n.as_bytes()), Some(sig));
            let prefixed = std::format!("sig{}", n.to_lowercase());
            assert_eq!(parse(prefixed.as_bytes()), Some(sig));
        }
    }

    #[test]
    fn numbers_and_realtime() {
        assert_eq!(parse(b"15"), Some(15));
        assert_eq!(parse(b"64"), Some(64));
        assert_eq!(parse(b"RTMIN"), Some(34));
        assert_eq!(parse(b"SIGRTMIN+2"), Some(36));
        assert_eq!(parse(b"RTMAX-1"), Some(63));
        assert_eq!(parse(b"IOT"), Some(6));
        // Found by the fuzzer: a 16-byte buffer made longer spellings unknown.
        assert_eq!(parse(b"SIGRTMIN+00000001"), Some(35));
        assert_eq!(parse(b"sigRtMax-000000000000001"), Some(63));
    }

    #[test]
    fn rejects_unknown() {
        for bad in [
            &b""[..],
            b"0",
            b"65",
            b"-1",
            b"SIGFOO",
            b"SIG",
            b"RTMIN+31",
            b"RTMAX-31",
            b"TERMTERMTERMTERMTERM",
        ] {
            assert_eq!(parse(bad), None, "{:?}", core::str::from_utf8(bad));
        }
    }
}
