//! Target `log`: pidone's log lines, whatever bytes a command name or value holds.
//!
//! Input: byte 0 picks the format, the kind of line and how much fixed text precedes the
//! fuzzed bytes; the rest is the bytes (a command name, a value, an error text).
//!
//! Properties, on the exact bytes written to standard error:
//! - exactly one line, ending in its only newline;
//! - JSON: valid UTF-8 that serde_json parses as an object with time, level and event;
//!   decoded, a field holds no control character; one built from plain text (valid UTF-8,
//!   no control character, no backslash) decodes to those bytes (a prefix, when cut);
//! - text: no control byte but the final newline, so no value can end the line early,
//!   forge a second one or send escape sequences to a terminal.
//!
//! The adapter to pidone's API is `emit` below (`Log::message` and `Log::event`): the one place to change when the log's interface changes.

use pidone::log::{Format, Level, Log};

pub fn init() {
    crate::capture::init();
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    /// `Message::bytes`: a user value inside a sentence (e.g. a bad --user).
    Message,
    /// What init prints for a command that cannot run: `CMD: strerror`.
    SpawnError,
    /// `Event::text`: a field of a structured event.
    EventText,
}

fn emit(log: Log, kind: Kind, prefix: usize, bytes: &[u8]) {
    let lead = "x".repeat(prefix);
    match kind {
        Kind::Message => log
            .message(Level::Error)
            .str(&lead)
            .str("unknown user '")
            .bytes(bytes)
            .str("'")
            .emit(),
        Kind::SpawnError => log
            .message(Level::Error)
            .bytes(bytes)
            .str(": ")
            .str("No such file or directory")
            .emit(),
        Kind::EventText => log
            .event(Level::Warn, "reaped")
            .num("pid", 42)
            .text("command", bytes)
            .signal("signal", 15)
            .text("lead", lead.as_bytes())
            .emit(),
    }
}

pub fn check(data: &[u8]) {
    let (first, bytes) = data.split_first().unwrap_or((&0, &[]));
    let format = if first & 1 == 0 {
        Format::Json
    } else {
        Format::Text
    };
    let kind = match (first >> 1) % 3 {
        0 => Kind::Message,
        1 => Kind::SpawnError,
        _ => Kind::EventText,
    };
    let prefix = usize::from(first >> 3) * 16;
    let log = Log {
        verbosity: 1,
        format,
    };
    let out = crate::capture::stderr_of(|| emit(log, kind, prefix, bytes));
    let show = || {
        format!(
            "{format:?} {kind:?} {bytes:?}\nwrote {:?}",
            String::from_utf8_lossy(&out)
        )
    };
    assert_eq!(out.last(), Some(&b'\n'), "no final newline: {}", show());
    let line = &out[..out.len() - 1];
    assert!(!line.contains(&b'\n'), "more than one line: {}", show());
    match format {
        Format::Text => {
            let control = line.iter().find(|b| **b < 0x20 || **b == 0x7f);
            assert_eq!(control, None, "control byte in a text line: {}", show());
        }
        Format::Json => check_json(line, kind, bytes, &show),
    }
    // A filtered-out level writes nothing at all.
    let quiet = Log {
        verbosity: 0,
        format,
    };
    let none = crate::capture::stderr_of(|| {
        quiet.event(Level::Warn, "x").text("command", bytes).emit();
        quiet.message(Level::Warn).bytes(bytes).emit();
    });
    assert!(none.is_empty(), "filtered line written: {none:?}");
}

fn check_json(line: &[u8], kind: Kind, bytes: &[u8], show: &dyn Fn() -> String) {
    assert!(std::str::from_utf8(line).is_ok(), "not UTF-8: {}", show());
    let value: serde_json::Value = match serde_json::from_slice(line) {
        Ok(v) => v,
        Err(e) => panic!("not JSON ({e}): {}", show()),
    };
    let obj = value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {}", show()));
    for key in ["time", "level", "event"] {
        assert!(
            obj.get(key).is_some_and(|v| v.is_string()),
            "no {key}: {}",
            show()
        );
    }
    let field = match kind {
        Kind::EventText => "command",
        Kind::Message | Kind::SpawnError => "message",
    };
    let got = obj.get(field).and_then(|v| v.as_str());
    let got = got.unwrap_or_else(|| panic!("no {field} field: {}", show()));
    // Decoded, the field still holds no control character: a viewer that prints it
    // cannot be made to start a line or run an escape sequence.
    let control = got.chars().find(|c| c.is_control());
    assert_eq!(
        control,
        None,
        "control character in the decoded {field}: {}",
        show()
    );
    // Plain text (valid UTF-8, no control characters, no backslash) is kept as it is,
    // cut only at the end of a full line.
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    if text.chars().any(|c| c.is_control() || c == '\\') {
        return;
    }
    match kind {
        Kind::EventText => {
            let short = line.len() < 256;
            assert!(
                text.starts_with(got),
                "{field} is not the bytes: {}",
                show()
            );
            assert!(!short || got == text, "a short {field} was cut: {}", show());
        }
        Kind::Message | Kind::SpawnError => {
            if line.len() < 256 {
                assert!(got.contains(text), "{field} lost the value: {}", show());
            }
        }
    }
}
