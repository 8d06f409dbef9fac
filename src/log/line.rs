//! A log line in a fixed buffer, built from whole pieces: a piece that does not fit is left
//! out and ends the line there, so a line is cut only between characters or escapes, never
//! inside one, and room reserved for a closing `"}` is always there.

use crate::{bytes, signals};

/// Longest line pidone writes, newline included: well under PIPE_BUF (4096), so a line is
/// written to a pipe whole or not at all.
pub const CAPACITY: usize = 512;

/// A line under construction.
pub struct Line {
    buf: [u8; CAPACITY],
    len: usize,
    /// Where appends stop: the capacity less the newline and what is reserved.
    limit: usize,
    /// A piece did not fit: nothing more is added until a `rollback` or `release`.
    cut: bool,
}

impl Default for Line {
    fn default() -> Self {
        Self::new()
    }
}

/// Splits `text` into characters: valid UTF-8 sequences (`Ok`), and single bytes of
/// anything that is not valid UTF-8 (`Err`).
fn units(text: &[u8], mut each: impl FnMut(Result<&[u8], u8>)) {
    let mut rest = text;
    while let Some(&first) = rest.first() {
        let n = utf8_len(rest);
        match (n, rest.get(..n.unwrap_or(1))) {
            (Some(_), Some(unit)) => each(Ok(unit)),
            _ => each(Err(first)),
        }
        rest = rest.get(n.unwrap_or(1)..).unwrap_or(&[]);
    }
}

/// The length of the UTF-8 sequence `s` starts with, or `None` if it starts with none
/// (a stray continuation byte, an overlong form, a surrogate, past U+10FFFF, cut short).
fn utf8_len(s: &[u8]) -> Option<usize> {
    let (len, second) = match *s.first()? {
        0x00..=0x7f => return Some(1),
        0xc2..=0xdf => (2, 0x80..=0xbf),
        0xe0 => (3, 0xa0..=0xbf),
        0xe1..=0xec | 0xee..=0xef => (3, 0x80..=0xbf),
        0xed => (3, 0x80..=0x9f),
        0xf0 => (4, 0x90..=0xbf),
        0xf1..=0xf3 => (4, 0x80..=0xbf),
        0xf4 => (4, 0x80..=0x8f),
        _ => return None,
    };
    let ok = second.contains(s.get(1)?) && s.get(2..len)?.iter().all(|b| (0x80..=0xbf).contains(b));
    ok.then_some(len)
}

/// Whether a character must be escaped in a log line: control characters (C0, DEL and
/// C1, which terminals act on) and the backslash, so that `\xNN` is unambiguous.
fn must_escape(unit: &[u8]) -> bool {
    match unit {
        [b] => *b < 0x20 || *b == 0x7f || *b == b'\\',
        // U+0080..U+009F, the C1 controls.
        [0xc2, b] => (0x80..=0x9f).contains(b),
        _ => false,
    }
}

impl Line {
    pub const fn new() -> Self {
        Line {
            buf: [0; CAPACITY],
            len: 0,
            limit: CAPACITY - 1,
            cut: false,
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }

    /// Whether a piece was left out since the last `rollback` or `release`.
    pub fn is_cut(&self) -> bool {
        self.cut
    }

    /// Appends one piece whole, or nothing (and the line is cut from here).
    fn put(&mut self, piece: &[u8]) -> &mut Self {
        let end = self.len.saturating_add(piece.len());
        match self
            .buf
            .get_mut(self.len..end)
            .filter(|_| !self.cut && end <= self.limit)
        {
            Some(room) => {
                bytes::copy(room, piece);
                self.len = end;
            }
            None => self.cut = true,
        }
        self
    }

    /// Keeps `n` bytes free for what closes the line (`"}`), whatever is appended before.
    pub fn reserve(&mut self, n: usize) {
        self.limit = self.limit.saturating_sub(n);
    }

    /// Frees `n` reserved bytes, for the closing pieces.
    pub fn release(&mut self, n: usize) {
        self.limit = self.limit.saturating_add(n).min(CAPACITY - 1);
        self.cut = false;
    }

    /// The length so far, to come back to with `rollback`.
    pub fn mark(&self) -> usize {
        self.len
    }

    /// Drops everything after `mark`: a field that did not fit whole.
    pub fn rollback(&mut self, mark: usize) {
        self.len = self.len.min(mark);
        self.cut = false;
    }

    /// Raw bytes, byte by byte: only for text pidone wrote itself.
    pub fn bytes(&mut self, text: &[u8]) -> &mut Self {
        for b in text {
            self.put(core::slice::from_ref(b));
        }
        self
    }

    /// Text pidone wrote itself, character by character.
    pub fn str(&mut self, text: &str) -> &mut Self {
        units(text.as_bytes(), |unit| {
            if let Ok(unit) = unit {
                self.put(unit);
            }
        });
        self
    }

    pub fn num(&mut self, n: i64) -> &mut Self {
        let mut digits = [0u8; 20];
        let digits = crate::decimal::format(n.unsigned_abs(), &mut digits);
        let mut piece = [0u8; 21];
        let sign: &[u8] = if n < 0 { b"-" } else { b"" };
        bytes::copy(&mut piece, sign.iter().chain(digits));
        self.put(
            piece
                .get(..sign.len().saturating_add(digits.len()))
                .unwrap_or(&[]),
        )
    }

    /// Zero-padded to `width` digits, for timestamps.
    pub fn num_padded(&mut self, n: u64, width: u32) -> &mut Self {
        let mut scale = 10u64.saturating_pow(width.saturating_sub(1));
        while scale > 1 && n < scale {
            self.put(b"0");
            scale /= 10;
        }
        self.num(i64::try_from(n).unwrap_or(i64::MAX))
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

    /// Bytes from outside (a command, a bad value) made safe for a log line: control
    /// characters, the backslash and bytes that are not UTF-8 become `\xNN`, so no value
    /// can end the line early, forge another one, or make it invalid UTF-8.
    pub fn escaped(&mut self, text: &[u8]) -> &mut Self {
        units(text, |unit| match unit {
            Ok(unit) if !must_escape(unit) => {
                self.put(unit);
            }
            Ok(unit) => {
                for &b in unit {
                    self.put(&bytes::hex_escape(b));
                }
            }
            Err(b) => {
                self.put(&bytes::hex_escape(b));
            }
        });
        self
    }

    /// Bytes from outside as a JSON string body: escaped exactly as `escaped` does, then
    /// as JSON (the backslash of `\xNN` doubled, quotes escaped), so the decoded string
    /// reads as the text format's.
    pub fn json_escaped(&mut self, text: &[u8]) -> &mut Self {
        units(text, |unit| match unit {
            Ok(b"\"") => {
                self.put(b"\\\"");
            }
            Ok(unit) if !must_escape(unit) => {
                self.put(unit);
            }
            Ok(unit) => {
                for &b in unit {
                    self.json_hex(b);
                }
            }
            Err(b) => self.json_hex(b),
        });
        self
    }

    fn json_hex(&mut self, b: u8) {
        let [_, x, hi, lo] = bytes::hex_escape(b);
        self.put(&[b'\\', b'\\', x, hi, lo]);
    }

    /// Text pidone wrote itself as a JSON string body: quotes and backslashes escaped.
    pub fn json_str(&mut self, text: &str) -> &mut Self {
        self.json_escaped(text.as_bytes())
    }

    /// The line and its newline, for `log::sink` or `write_to`.
    pub fn finish(&mut self) -> &[u8] {
        self.release(CAPACITY);
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = b'\n';
            self.len = self.len.saturating_add(1);
        }
        self.as_bytes()
    }

    /// Writes the line and a newline to `fd` in one `write(2)`: for stdout (help,
    /// version). Log lines go to `emit`.
    pub fn write_to(&mut self, fd: i32) {
        crate::sys::write_all(fd, self.finish());
    }

    /// Writes the line to pidone's log (stderr), never blocking.
    pub fn emit(&mut self) {
        super::sink::write(self.finish());
    }
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
        assert_eq!(l.finish().len(), CAPACITY);
    }

    #[test]
    fn user_bytes_cannot_break_the_line() {
        let mut l = Line::new();
        l.escaped(b"a\nb\x1b[31m\\c\x7f\xc3\xa9\xc2\x9b");
        assert_eq!(text(&l), "a\\x0ab\\x1b[31m\\x5cc\\x7f\u{e9}\\xc2\\x9b");
    }

    #[test]
    fn invalid_utf8_is_escaped() {
        let mut l = Line::new();
        l.escaped(b"\xff|\xc3|\xe2\x82|\xf0\x9f\x98\x80|\xed\xa0\x80");
        assert_eq!(text(&l), "\\xff|\\xc3|\\xe2\\x82|\u{1f600}|\\xed\\xa0\\x80");
        let mut j = Line::new();
        j.json_escaped(b"\xff\"\xc3");
        assert_eq!(text(&j), "\\\\xff\\\"\\\\xc3");
    }

    #[test]
    fn utf8_like_core() {
        // Every 1..=4 byte string built from interesting bytes splits as core::str does.
        let bytes = [
            0x00, 0x41, 0x7f, 0x80, 0x9f, 0xa0, 0xbf, 0xc0, 0xc2, 0xdf, 0xe0, 0xed, 0xee, 0xef,
            0xf0, 0xf4, 0xf5, 0xff,
        ];
        let mut all = std::vec::Vec::new();
        for &a in &bytes {
            all.push(std::vec![a]);
            for &b in &bytes {
                all.push(std::vec![a, b]);
                for &c in &bytes {
                    all.push(std::vec![a, b, c]);
                    for &d in &bytes {
                        all.push(std::vec![a, b, c, d]);
                    }
                }
            }
        }
        for s in all {
            let mut ours = std::vec::Vec::new();
            units(&s, |u| ours.push(u.is_ok()));
            let valid = core::str::from_utf8(&s).is_ok();
            assert_eq!(ours.iter().all(|ok| *ok), valid, "{s:x?}");
        }
    }

    #[test]
    fn json_escaping() {
        let mut l = Line::new();
        l.json_escaped(b"a\"b\\c\nd\x01");
        assert_eq!(text(&l), "a\\\"b\\\\x5cc\\\\x0ad\\\\x01");
        let decoded: std::string::String =
            serde_json::from_str(&std::format!("\"{}\"", text(&l))).unwrap_or_default();
        assert_eq!(decoded, "a\"b\\x5cc\\x0ad\\x01");
    }

    #[test]
    fn cuts_only_between_characters_and_escapes() {
        // Fill to one byte short of the limit, then offer pieces that need more.
        for (filler, piece, kept) in [
            (CAPACITY - 3, &b"\xc3\xa9"[..], 2),
            (CAPACITY - 2, b"\xc3\xa9", 0),
            (CAPACITY - 4, b"\xff", 0),
            (CAPACITY - 5, b"\xff", 4),
        ] {
            let mut l = Line::new();
            for _ in 0..filler {
                l.str("a");
            }
            l.escaped(piece).escaped(b"b");
            assert_eq!(l.as_bytes().len(), filler + kept, "{filler} {piece:?}");
            assert!(core::str::from_utf8(l.as_bytes()).is_ok());
        }
    }

    #[test]
    fn reserved_room_survives_a_long_value() {
        let mut l = Line::new();
        l.str("\"");
        l.reserve(2);
        l.json_escaped(&[0xffu8; 600]);
        assert!(l.is_cut());
        l.release(2);
        l.str("\"}");
        let s = text(&l);
        assert!(s.ends_with("xff\"}"), "{s}");
    }
}
