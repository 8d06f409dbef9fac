//! Plain models of what pidone's value parsers are documented to accept, written without
//! pidone's code (std strings, u128 arithmetic), for differential checks.

/// `--help`: "500ms, 10s, 2m"; a bare number is seconds; at most `pidone::duration::MAX_MS`.
pub fn duration_ms(text: &[u8]) -> Option<u64> {
    let digits = text.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 {
        return None;
    }
    let scale: u128 = match &text[digits..] {
        b"ms" => 1,
        b"" | b"s" => 1_000,
        b"m" => 60_000,
        b"h" => 3_600_000,
        _ => return None,
    };
    let value = number(&text[..digits])?;
    let ms = value.checked_mul(scale)?;
    (ms <= u128::from(pidone::duration::MAX_MS)).then_some(ms as u64)
}

/// Digits only, any number of leading zeros; saturates far above every bound used here.
fn number(text: &[u8]) -> Option<u128> {
    if text.is_empty() || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(text.iter().fold(0u128, |n, d| {
        n.saturating_mul(10).saturating_add(u128::from(d - b'0'))
    }))
}

const NAMES: [&str; 31] = [
    "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2",
    "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG",
    "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
];

/// A signal as `kill -l` and the help name them: a number 1-64, or a name with or without
/// `SIG`, in any case, `RTMIN+N`, `RTMAX-N`, and the aliases IOT, CLD, POLL.
pub fn signal(text: &[u8]) -> Option<i32> {
    if let Some(n) = number(text) {
        return (1..=64).contains(&n).then_some(n as i32);
    }
    let upper = text.to_ascii_uppercase();
    let word: &[u8] = upper.strip_prefix(b"SIG").unwrap_or(&upper);
    if let Some(i) = NAMES.iter().position(|n| n.as_bytes() == word) {
        return Some(i as i32 + 1);
    }
    match word {
        b"IOT" => Some(6),
        b"CLD" => Some(17),
        b"POLL" => Some(29),
        b"RTMIN" => Some(34),
        b"RTMAX" => Some(64),
        _ => {
            if let Some(n) = word.strip_prefix(b"RTMIN+").and_then(number) {
                (n <= 30).then(|| 34 + n as i32)
            } else if let Some(n) = word.strip_prefix(b"RTMAX-").and_then(number) {
                (n <= 30).then(|| 64 - n as i32)
            } else {
                None
            }
        }
    }
}

/// How pidone's log names a signal, parsed back by `signal`.
pub fn signal_name(sig: i32) -> String {
    match sig {
        1..=31 => format!("SIG{}", NAMES[sig as usize - 1]),
        34 => "SIGRTMIN".to_string(),
        35..=64 => format!("SIGRTMIN+{}", sig - 34),
        _ => sig.to_string(),
    }
}

/// An exit code for `-e`: 0-255.
pub fn exit_code(text: &[u8]) -> Option<u8> {
    number(text).filter(|n| *n <= 255).map(|n| n as u8)
}

/// `-r FROM:TO[,FROM:TO...]` applied to the identity: the forwarded signal for 1..=64 (0 for
/// dropped), or the first spec that is not valid.
pub fn rewrite(text: &[u8]) -> Result<[i32; 65], &[u8]> {
    let mut map = [0i32; 65];
    for (sig, slot) in map.iter_mut().enumerate() {
        *slot = sig as i32;
    }
    for spec in text.split(|b| *b == b',') {
        let colon = spec.iter().position(|b| *b == b':').ok_or(spec)?;
        let from = signal(&spec[..colon]).ok_or(spec)?;
        let to = &spec[colon + 1..];
        map[from as usize] = if to == b"0" {
            0
        } else {
            signal(to).ok_or(spec)?
        };
    }
    Ok(map)
}
