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

pub use line::{CAPACITY, Line};
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
        self.key(key).str("\"");
        if self.line.is_cut() {
            self.line.rollback(mark);
            return self;
        }
        self.line.reserve(1);
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

    pub fn emit(mut self) {
        if self.on {
            if self.json {
                self.line.release(1);
                self.line.str("}");
            }
            self.line.emit();
        }
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

    pub fn emit(mut self) {
        if !self.on {
            return;
        }
        if self.json {
            self.line.release(2);
            self.line.str("\"}");
        }
        self.line.emit();
    }
}
