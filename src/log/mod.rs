//! pidone's own output: one line per `write(2)`, built in a fixed buffer, never blocking.
//!
//! - `line`: the buffer, and the escaping that keeps every line one valid UTF-8 line;
//! - `sink`: where lines go (stderr, without blocking or touching the shared descriptor);
//! - `time`: RFC 3339 timestamps;
//! - here: levels, formats, and the two kinds of line, events and messages.
//!
//! No `std::io`, no `format!`: both would drag std's panic and formatting runtime into the
//! binary, and PID 1 must not allocate or panic while the application runs.

mod line;
pub mod sink;
mod time;

pub use line::Line;
pub use sink::dropped;

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
            // The closing `}` always has its place, however long the fields get.
            event.line.reserve(1);
            event.line.str("{\"time\":\"");
            time::timestamp(&mut event.line);
            event.line.str("\",\"level\":\"").str(level.word());
            event.line.str("\",\"event\":\"").json_str(name).str("\"");
        } else {
            event.line.str("pidone: ").escaped(name.as_bytes());
        }
        event
    }

    /// A plain sentence for a person (errors, warnings); wrapped as a JSON `message` when asked.
    pub fn message(&self, level: Level) -> Message {
        let mut line = Line::new();
        let on = self.enabled(level);
        if on && self.json() {
            line = self.event(level, "message").line;
            line.str(",\"message\":\"");
            // Room for the closing `"}` of the message (the event's `}` is reserved).
            line.reserve(1);
        } else if on {
            line.str("pidone: ");
        }
        Message {
            line,
            on,
            json: self.json(),
        }
    }
}

/// One structured log line; every method is a no-op when its level is filtered out.
/// In JSON, a field that does not fit whole is left out, and a long text value is cut at a
/// character or escape boundary: the line always closes with `"}`.
pub struct Event {
    line: Line,
    on: bool,
    json: bool,
}

impl Event {
    fn key(&mut self, key: &str) -> &mut Line {
        if self.json {
            self.line.str(",\"").json_str(key).str("\":")
        } else {
            self.line.str(" ").escaped(key.as_bytes()).str("=")
        }
    }

    /// A field whose key and value fit whole or not at all.
    fn whole(&mut self, key: &str, value: impl FnOnce(&mut Line, bool)) {
        if !self.on {
            return;
        }
        let mark = self.line.mark();
        let json = self.json;
        value(self.key(key), json);
        if self.line.is_cut() {
            self.line.rollback(mark);
        }
    }

    pub fn num(mut self, key: &str, n: i64) -> Self {
        self.whole(key, |line, _| {
            line.num(n);
        });
        self
    }

    pub fn signal(mut self, key: &str, sig: i32) -> Self {
        self.whole(key, |line, json| {
            if json {
                line.str("\"").signal(sig).str("\"");
            } else {
                line.signal(sig);
            }
        });
        self
    }

    /// Bytes from outside, escaped (`\xNN`) the same way in both formats.
    pub fn text(mut self, key: &str, text: &[u8]) -> Self {
        if !self.on {
            return self;
        }
        let mark = self.line.mark();
        if !self.json {
            self.key(key).escaped(text);
            return self;
        }
        // The closing quote's byte is kept from before the key: a key and opening quote
        // that fill the line to its end would otherwise leave the value unclosed.
        self.line.reserve(1);
        self.key(key).str("\"");
        if self.line.is_cut() {
            self.line.rollback(mark);
            self.line.release(1);
            return self;
        }
        self.line.json_escaped(text);
        self.line.release(1);
        self.line.str("\"");
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

    pub fn emit(self) {
        if let Some(mut line) = self.close() {
            line.emit();
        }
    }

    /// The finished line, `None` when filtered out.
    fn close(mut self) -> Option<Line> {
        if self.json {
            self.line.release(1);
            self.line.str("}");
        }
        self.on.then_some(self.line)
    }
}

/// A plain sentence for a person (errors, warnings): `pidone: TEXT`, or in JSON an event
/// `message` with the sentence as its `message` field.
pub struct Message {
    line: Line,
    on: bool,
    json: bool,
}

impl Message {
    /// Text pidone wrote itself.
    pub fn str(mut self, text: &str) -> Self {
        if self.on && self.json {
            self.line.json_str(text);
        } else if self.on {
            self.line.str(text);
        }
        self
    }

    /// A value from the user (command, argument), escaped: it cannot break the line.
    pub fn bytes(mut self, text: &[u8]) -> Self {
        if self.on && self.json {
            self.line.json_escaped(text);
        } else if self.on {
            self.line.escaped(text);
        }
        self
    }

    pub fn emit(self) {
        if let Some(mut line) = self.close() {
            line.emit();
        }
    }

    /// The finished line, `None` when filtered out.
    fn close(mut self) -> Option<Line> {
        if self.json {
            self.line.release(2);
            self.line.str("\"}");
        }
        self.on.then_some(self.line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JSON: Log = Log {
        verbosity: 3,
        format: Format::Json,
    };

    fn parse(line: Option<Line>) -> serde_json::Value {
        let line = line.unwrap_or_default();
        let bytes = line.as_bytes();
        serde_json::from_slice(bytes)
            .unwrap_or_else(|e| panic!("{e}: {}", std::string::String::from_utf8_lossy(bytes)))
    }

    #[test]
    fn json_events_parse_however_long() {
        for fill in [
            0usize, 1, 2, 3, 100, 380, 400, 420, 440, 460, 480, 500, 2000,
        ] {
            for byte in [b'a', b'"', b'\\', 0xff, 0xc3, b'\n'] {
                let text = std::vec![byte; fill];
                let v = parse(
                    JSON.event(Level::Info, "x")
                        .num("a", i64::MIN)
                        .text("t", &text)
                        .signal("s", 15)
                        .num("b", 7)
                        .close(),
                );
                assert_eq!(v["event"], "x");
                let v = parse(JSON.message(Level::Error).str("m: ").bytes(&text).close());
                assert!(v["message"].as_str().is_some_and(|m| m.starts_with("m: ")));
            }
        }
    }

    /// A first text field that fills the line to any length, then a second one: the second
    /// is left out or closed, never left open (a fuzzing finding: `"lead":"}`).
    #[test]
    fn a_text_field_after_a_full_line_is_closed_or_left_out() {
        for fill in 0usize..600 {
            let text = std::vec![b'Z'; fill];
            let v = parse(
                JSON.event(Level::Info, "x")
                    .text("t", &text)
                    .text("lead", b"x")
                    .close(),
            );
            assert_eq!(v["event"], "x", "fill {fill}");
            // Left out, or cut at a character boundary like any long value.
            let lead = v.get("lead").map(|l| l.as_str().unwrap_or("not a string"));
            assert!(lead.is_none_or(|l| "x".starts_with(l)), "fill {fill}: {v}");
        }
    }

    #[test]
    fn filtered_out_lines_are_not_built() {
        let quiet = Log {
            verbosity: 0,
            format: Format::Json,
        };
        assert!(quiet.event(Level::Info, "x").num("a", 1).close().is_none());
        assert!(quiet.message(Level::Warn).str("w").close().is_none());
    }

    #[test]
    fn text_events_escape_values() {
        let log = Log {
            verbosity: 3,
            format: Format::Text,
        };
        let line = log
            .event(Level::Info, "x")
            .text("error", b"a\nb\xff")
            .close()
            .unwrap_or_default();
        assert_eq!(line.as_bytes(), b"pidone: x error=a\\x0ab\\xff");
    }
}
