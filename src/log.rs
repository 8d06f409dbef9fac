//! pidone's own output: one line per `write(2)`, built in a fixed buffer.
//!
//! No `std::io`, no `format!`: both would drag std's panic and formatting runtime into the
//! binary, and PID 1 must not allocate or panic while the application runs.

use crate::signals;

/// Longest line pidone writes; longer content is cut, never overflowed.
const CAPACITY: usize = 512;

/// How loud pidone is. `-v` raises the verbosity by one.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum Level {
    Error = 0,
    Warn = 1,
    Info = 2,
    Debug = 3,
}

impl Level {
    fn word(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warn => "warn",
            Level::Info => "info",
            Level::Debug => "debug",
        }
    }
}

/// A line under construction. Appends silently stop at the capacity.
pub struct Line {
    buf: [u8; CAPACITY],
    len: usize,
}

impl Default for Line {
    fn default() -> Self {
        Self::new()
    }
}

impl Line {
    pub const fn new() -> Self {
        Line {
            buf: [0; CAPACITY],
            len: 0,
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }

    pub fn bytes(&mut self, text: &[u8]) -> &mut Self {
        // One byte is kept for the newline `emit` adds.
        let room = self.buf.get_mut(self.len..CAPACITY - 1).unwrap_or(&mut []);
        let n = room.len().min(text.len());
        for (slot, byte) in room.iter_mut().zip(text) {
            *slot = *byte;
        }
        self.len += n;
        self
    }

    pub fn str(&mut self, text: &str) -> &mut Self {
        self.bytes(text.as_bytes())
    }

    pub fn num(&mut self, n: i64) -> &mut Self {
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        let mut rest = n.unsigned_abs();
        loop {
            at -= 1;
            if let Some(d) = digits.get_mut(at) {
                *d = b'0' + (rest % 10) as u8;
            }
            rest /= 10;
            if rest == 0 || at == 0 {
                break;
            }
        }
        if n < 0 {
            self.bytes(b"-");
        }
        self.bytes(digits.get(at..).unwrap_or(&[]))
    }

    /// Zero-padded to `width` digits, for timestamps.
    pub fn num_padded(&mut self, n: u64, width: u32) -> &mut Self {
        let mut scale = 10u64.saturating_pow(width.saturating_sub(1));
        while scale > 1 && n < scale {
            self.bytes(b"0");
            scale /= 10;
        }
        self.num(n as i64)
    }

    /// `SIGTERM`, `SIGRTMIN+3`, or `signal 32`.
    pub fn signal(&mut self, sig: i32) -> &mut Self {
        if let Some(name) = signals::name(sig) {
            self.str("SIG").str(name)
        } else if let Some(offset) = signals::rt_offset(sig) {
            self.str("SIGRTMIN");
            if offset > 0 {
                self.str("+").num(i64::from(offset));
            }
            self
        } else {
            self.str("signal ").num(i64::from(sig))
        }
    }

    /// Bytes from a user (a command, a bad value) made safe for a log line: control bytes
    /// become `\xNN`, so no value can end the line early or forge another one.
    pub fn escaped(&mut self, text: &[u8]) -> &mut Self {
        let hex = b"0123456789abcdef";
        for &b in text {
            if b < 0x20 || b == 0x7f || b == b'\\' {
                let hi = hex.get(usize::from(b >> 4)).copied().unwrap_or(b'0');
                let lo = hex.get(usize::from(b & 15)).copied().unwrap_or(b'0');
                self.bytes(&[b'\\', b'x', hi, lo]);
            } else {
                self.bytes(&[b]);
            }
        }
        self
    }

    /// Bytes as a JSON string body: quotes, backslashes and control bytes escaped.
    pub fn json_escaped(&mut self, text: &[u8]) -> &mut Self {
        for &b in text {
            match b {
                b'"' => self.bytes(b"\\\""),
                b'\\' => self.bytes(b"\\\\"),
                b'\n' => self.bytes(b"\\n"),
                0..=0x1f | 0x7f => {
                    let hex = b"0123456789abcdef";
                    let hi = hex.get(usize::from(b >> 4)).copied().unwrap_or(b'0');
                    let lo = hex.get(usize::from(b & 15)).copied().unwrap_or(b'0');
                    self.bytes(&[b'\\', b'u', b'0', b'0', hi, lo])
                }
                _ => self.bytes(&[b]),
            };
        }
        self
    }

    /// Writes the line and a newline to `fd` in one `write(2)`.
    pub fn write_to(&mut self, fd: i32) {
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = b'\n';
            self.len += 1;
        }
        crate::sys::write_all(fd, self.as_bytes());
    }
}

/// How log lines are written: `pidone: event key=value`, or one JSON object per line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

/// Where pidone's log lines go and which of them are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Log {
    /// 0 errors only, 1 warnings (the default), 2 events, 3 and up debug.
    pub verbosity: u8,
    pub format: Format,
}

impl Default for Log {
    fn default() -> Self {
        Log {
            verbosity: 1,
            format: Format::Text,
        }
    }
}

impl Log {
    fn json(&self) -> bool {
        self.format == Format::Json
    }

    pub fn enabled(&self, level: Level) -> bool {
        level as u8 <= self.verbosity
    }

    /// A structured event: `pidone: NAME key=value ...`, or one JSON object per line.
    pub fn event(&self, level: Level, name: &str) -> Event {
        let mut event = Event {
            line: Line::new(),
            on: self.enabled(level),
            json: self.json(),
        };
        if !event.on {
            return event;
        }
        if self.json() {
            event.line.str("{\"time\":\"");
            timestamp(&mut event.line);
            event.line.str("\",\"level\":\"").str(level.word());
            event.line.str("\",\"event\":\"").str(name).str("\"");
        } else {
            event.line.str("pidone: ").str(name);
        }
        event
    }

    /// A plain sentence for a person (errors, warnings); wrapped as a JSON `message` when asked.
    pub fn message(&self, level: Level) -> Message {
        Message {
            line: Line::new(),
            level,
            log: *self,
        }
    }
}

/// One structured log line; every method is a no-op when its level is filtered out.
pub struct Event {
    line: Line,
    on: bool,
    json: bool,
}

impl Event {
    fn key(&mut self, key: &str) -> &mut Line {
        if self.json {
            self.line.str(",\"").str(key).str("\":")
        } else {
            self.line.str(" ").str(key).str("=")
        }
    }

    pub fn num(mut self, key: &str, n: i64) -> Self {
        if self.on {
            self.key(key).num(n);
        }
        self
    }

    pub fn signal(mut self, key: &str, sig: i32) -> Self {
        if self.on {
            let json = self.json;
            let line = self.key(key);
            if json {
                line.str("\"").signal(sig).str("\"");
            } else {
                line.signal(sig);
            }
        }
        self
    }

    pub fn text(mut self, key: &str, text: &[u8]) -> Self {
        if self.on {
            let json = self.json;
            let line = self.key(key);
            if json {
                line.str("\"").json_escaped(text).str("\"");
            } else {
                line.bytes(text);
            }
        }
        self
    }

    /// A wait status as `exited=N` or `signal=SIGX`.
    pub fn status(self, status: i32) -> Self {
        if libc::WIFSIGNALED(status) {
            self.signal("signal", libc::WTERMSIG(status))
        } else {
            self.num("exit", i64::from(libc::WEXITSTATUS(status)))
        }
    }

    pub fn emit(mut self) {
        if self.on {
            if self.json {
                self.line.str("}");
            }
            self.line.write_to(2);
        }
    }
}

/// A plain-text message; `emit` writes `pidone: TEXT` or `{"...","message":"TEXT"}`.
pub struct Message {
    line: Line,
    level: Level,
    log: Log,
}

impl Message {
    pub fn str(mut self, text: &str) -> Self {
        self.line.str(text);
        self
    }

    /// A value from the user (command, argument), escaped: it cannot break the line.
    pub fn bytes(mut self, text: &[u8]) -> Self {
        self.line.escaped(text);
        self
    }

    pub fn emit(self) {
        if !self.log.enabled(self.level) {
            return;
        }
        if self.log.json() {
            self.log
                .event(self.level, "message")
                .text("message", self.line.as_bytes())
                .emit();
        } else {
            let mut out = Line::new();
            out.str("pidone: ").bytes(self.line.as_bytes()).write_to(2);
        }
    }
}

/// RFC 3339 UTC time with milliseconds, from the real-time clock.
fn timestamp(line: &mut Line) {
    let (secs, nanos) = crate::sys::realtime();
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days as i64);
    line.num(y)
        .str("-")
        .num_padded(m, 2)
        .str("-")
        .num_padded(d, 2)
        .str("T")
        .num_padded(rem / 3600, 2)
        .str(":")
        .num_padded(rem / 60 % 60, 2)
        .str(":")
        .num_padded(rem % 60, 2)
        .str(".")
        .num_padded(nanos / 1_000_000, 3)
        .str("Z");
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u64, u64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u64;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u64;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(line: &Line) -> &str {
        core::str::from_utf8(line.as_bytes()).unwrap_or("<not UTF-8>")
    }

    #[test]
    fn numbers() {
        let mut l = Line::new();
        l.num(0)
            .str(" ")
            .num(-42)
            .str(" ")
            .num(i64::MIN)
            .str(" ")
            .num(i64::MAX);
        assert_eq!(text(&l), "0 -42 -9223372036854775808 9223372036854775807");
        let mut p = Line::new();
        p.num_padded(7, 3).str(" ").num_padded(1234, 2);
        assert_eq!(text(&p), "007 1234");
    }

    #[test]
    fn signals_by_name() {
        let mut l = Line::new();
        l.signal(15)
            .str(" ")
            .signal(34)
            .str(" ")
            .signal(37)
            .str(" ")
            .signal(32);
        assert_eq!(text(&l), "SIGTERM SIGRTMIN SIGRTMIN+3 signal 32");
    }

    #[test]
    fn truncates_instead_of_overflowing() {
        let mut l = Line::new();
        for _ in 0..100 {
            l.str("0123456789");
        }
        assert_eq!(l.as_bytes().len(), CAPACITY - 1);
    }

    #[test]
    fn user_bytes_cannot_break_the_line() {
        let mut l = Line::new();
        l.escaped(b"a\nb\x1b[31m\\c\x7f\xc3\xa9");
        assert_eq!(text(&l), "a\\x0ab\\x1b[31m\\x5cc\\x7f\u{e9}");
    }

    #[test]
    fn json_escaping() {
        let mut l = Line::new();
        l.json_escaped(b"a\"b\\c\nd\x01");
        assert_eq!(text(&l), "a\\\"b\\\\c\\nd\\u0001");
    }

    #[test]
    fn dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(20_780), (2026, 11, 23));
    }
}
