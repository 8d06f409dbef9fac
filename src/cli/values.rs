//! Parsers for option and variable values. Each error names the problem and quotes the
//! value; the caller adds the option's name.

use super::{Parsed, bad};
use crate::{decimal, duration, signals};

pub(super) fn duration(value: &[u8]) -> Parsed<'_, u64> {
    duration::parse_ms(value)
        .map_or_else(|| bad("bad duration (use e.g. 500ms, 10s, 2m)", value), Ok)
}

pub(super) fn signal(value: &[u8]) -> Parsed<'_, i32> {
    signals::parse(value).map_or_else(|| bad("unknown signal", value), Ok)
}

/// `--stop-signal`: one that can reach pidone as a stop signal. KILL and STOP are never
/// delivered to a process's handler, and a CHLD is taken as a child's exit.
pub(super) fn stop_signal(value: &[u8]) -> Parsed<'_, i32> {
    match signal(value)? {
        libc::SIGKILL | libc::SIGSTOP | libc::SIGCHLD => bad(
            "must be a signal pidone can catch (not KILL, STOP or CHLD), not",
            value,
        ),
        sig => Ok(sig),
    }
}

/// `-p`: any signal but CHLD, which pidone would take for a child's exit, so the parent's
/// death would go unnoticed. tini accepts `-p SIGCHLD` (to no effect): under its name, so
/// does pidone (`tini_names`).
pub(super) fn pdeathsig(value: &[u8], tini_names: bool) -> Parsed<'_, i32> {
    match signal(value)? {
        libc::SIGCHLD if !tini_names => bad(
            "cannot be CHLD (pidone would take it for a child exiting):",
            value,
        ),
        sig => Ok(sig),
    }
}

/// An exit code, 0-255.
pub(super) fn exit_code(value: &[u8]) -> Parsed<'_, u8> {
    match decimal::parse(value, 255).and_then(|n| u8::try_from(n).ok()) {
        Some(code) => Ok(code),
        None => bad("exit code must be 0-255, not", value),
    }
}

/// `FROM:TO` with signal names or numbers; a `TO` of 0 drops FROM (`None`).
pub(super) fn rewrite(spec: &[u8]) -> Parsed<'_, (i32, Option<i32>)> {
    let Some((from, to)) = crate::bytes::split_once(spec, b':') else {
        return bad("rewrite must be FROM:TO, not", spec);
    };
    let Some(from) = signals::parse(from) else {
        return bad("rewrite: unknown signal in", spec);
    };
    if to == b"0" {
        return Ok((from, None));
    }
    match signals::parse(to) {
        Some(to) => Ok((from, Some(to))),
        None => bad("rewrite: unknown signal in", spec),
    }
}

/// A boolean variable: `1 true yes on` or `0 false no off`.
pub(super) fn boolean(value: &[u8]) -> Parsed<'_, bool> {
    match value {
        b"1" | b"true" | b"yes" | b"on" => Ok(true),
        b"0" | b"false" | b"no" | b"off" => Ok(false),
        _ => bad("must be 1, true, yes, on, 0, false, no or off, not", value),
    }
}

/// `TINI_VERBOSITY` read as tini reads it (`atoi`): leading digits, anything else is 0.
/// An image that set it to something odd kept working with tini, so it keeps working here.
pub(super) fn tini_verbosity(value: &[u8]) -> u8 {
    u8::try_from(decimal::leading(value, 9)).unwrap_or(9)
}

/// `PIDONE_VERBOSITY`: one digit.
pub(super) fn verbosity(value: &[u8]) -> Parsed<'_, u8> {
    match decimal::parse(value, 9).and_then(|n| u8::try_from(n).ok()) {
        Some(level) if value.len() == 1 => Ok(level),
        _ => bad("must be a number 0-9, not", value),
    }
}
