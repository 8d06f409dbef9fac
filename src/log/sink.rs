//! Where log lines go: stderr, without ever blocking pidone and without changing the
//! descriptor the application shares.
//!
//! stderr's open file description is shared with the application, so pidone never sets
//! O_NONBLOCK on it (the application's own writes would start failing with EAGAIN).
//! Instead, by what fd 2 is:
//! - a pipe, FIFO or terminal: a second description of the same file, opened through
//!   /proc/self/fd/2 with O_NONBLOCK, pidone's alone. A line (under PIPE_BUF) is then
//!   written whole or not at all. Without /proc (or a FIFO with no reader yet): a zero
//!   timeout poll for POLLOUT before each write;
//! - a socket: `send` with MSG_DONTWAIT;
//! - a regular file (or /dev/null): a plain write, which does not block.
//!
//! A line that cannot be written whole right away is dropped and counted (`dropped`), except
//! that the last line may first wait a bounded moment for room (`await_room`), and that a
//! terminal gets a short turn (`TERMINAL_TURN_MS`): a terminal takes one writer at a time,
//! and a non-blocking write fails with EAGAIN whenever the application is writing to it at
//! that moment, room or not. Its poll reports POLLOUT again when that writer is done. EPIPE
//! (nobody reads any more) and EFBIG (the file hit `ulimit -f`) just drop the line; the
//! SIGPIPE or SIGXFSZ that the write raised stays pending, sent by pidone itself, and the
//! loop knows it for what it is.

use core::sync::atomic::{AtomicBool, AtomicI32, AtomicU8, AtomicU32, Ordering::Relaxed};

use crate::sys::{self, Kind};

const STDERR: i32 = 2;

/// How lines are written; see the module comment.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Way {
    /// Not set up yet (`open` not called): poll fd 2 first, like `Polled`.
    Unset = 0,
    Polled = 1,
    Reopened = 2,
    Socket = 3,
    Plain = 4,
    /// `Reopened` for a terminal: waits its turn (`TERMINAL_TURN_MS`) on EAGAIN.
    Terminal = 5,
}

static WAY: AtomicU8 = AtomicU8::new(Way::Unset as u8);
/// The non-blocking description for `Reopened` and `Terminal`.
static FD: AtomicI32 = AtomicI32::new(-1);
static DROPPED: AtomicU32 = AtomicU32::new(0);
/// A terminal line waited its whole turn in vain (the terminal is stopped, or nobody reads
/// it): the lines after it do not wait, until one goes out at once again.
static STALLED: AtomicBool = AtomicBool::new(false);

fn way() -> Way {
    match WAY.load(Relaxed) {
        1 => Way::Polled,
        2 => Way::Reopened,
        3 => Way::Socket,
        4 => Way::Plain,
        5 => Way::Terminal,
        _ => Way::Unset,
    }
}

/// Looks at stderr once, at start. Returns the descriptor pidone must keep open (its own
/// non-blocking description of stderr), if it made one; it is close-on-exec.
pub fn open() -> Option<i32> {
    let kind = sys::kind(STDERR);
    let way = match kind {
        Kind::Pipe | Kind::Tty => {
            // O_NOCTTY: PID 1 leads a session without a terminal, and must not acquire
            // stderr's as its controlling terminal by opening it.
            let flags = libc::O_WRONLY | libc::O_NONBLOCK | libc::O_NOCTTY;
            match sys::open(c"/proc/self/fd/2", flags) {
                Ok(fd) => {
                    FD.store(fd.leak(), Relaxed);
                    if kind == Kind::Tty {
                        Way::Terminal
                    } else {
                        Way::Reopened
                    }
                }
                Err(_) => Way::Polled,
            }
        }
        Kind::Socket => Way::Socket,
        Kind::File | Kind::Char | Kind::Closed => Way::Plain,
    };
    WAY.store(way as u8, Relaxed);
    matches!(way, Way::Reopened | Way::Terminal).then(|| FD.load(Relaxed))
}

/// How many log lines were dropped because stderr could not take them right away (full,
/// gone, or over its file size limit). For the exit report.
pub fn dropped() -> u32 {
    DROPPED.load(Relaxed)
}

/// How long the last line may wait for room on a full stderr.
const LAST_LINE_WAIT_MS: i32 = 1000;

/// Waits, for at most a second, until stderr can take a line. Only before the last line
/// pidone writes (the exit report, a fatal error): nothing follows it, so a moment spent
/// for a log collector that is behind costs nothing, and a dropped line would lose the
/// very report of how the application ended (and of the lines dropped before it).
pub fn await_room() {
    let fd = match way() {
        Way::Reopened | Way::Terminal => FD.load(Relaxed),
        Way::Plain => return,
        Way::Polled | Way::Socket | Way::Unset => STDERR,
    };
    // Signals are blocked while pidone runs, so none cuts the wait short.
    let _ = sys::poll(fd, libc::POLLOUT, LAST_LINE_WAIT_MS);
}

/// Writes one whole line, or drops and counts it; never blocks, never retries a failure.
pub fn write(line: &[u8]) {
    let done = match way() {
        Way::Reopened => write_fully(|rest| sys::write(FD.load(Relaxed), rest), line),
        Way::Terminal => write_terminal(FD.load(Relaxed), line),
        Way::Socket => write_fully(|rest| sys::send_nonblocking(STDERR, rest), line),
        Way::Plain => write_fully(|rest| sys::write(STDERR, rest), line),
        Way::Polled | Way::Unset => {
            // POLLOUT on a pipe means a free page: a write under PIPE_BUF fits whole.
            sys::writable(STDERR) && write_fully(|rest| sys::write(STDERR, rest), line)
        }
    };
    if !done {
        let _ = DROPPED.fetch_update(Relaxed, Relaxed, |n| Some(n.saturating_add(1)));
    }
}

/// How long one line may wait for its turn at a terminal that another writer holds. Lines of
/// a few dozen bytes take microseconds each; the bound is for a terminal that takes nothing.
const TERMINAL_TURN_MS: u64 = 10;

/// Writes a line to a terminal, waiting at most `TERMINAL_TURN_MS` for another writer to
/// finish; `STALLED` skips the wait once it ran out in vain.
fn write_terminal(fd: i32, line: &[u8]) -> bool {
    let deadline = sys::now_ns().saturating_add(TERMINAL_TURN_MS * 1_000_000);
    let mut waited = false;
    let done = write_fully(
        |rest| loop {
            match sys::write(fd, rest) {
                Err(sys::Errno::EAGAIN) if !STALLED.load(Relaxed) => {
                    if sys::now_ns() >= deadline {
                        STALLED.store(true, Relaxed);
                        return Err(sys::Errno::EAGAIN);
                    }
                    waited = true;
                    // Wakes when the other writer is done; a millisecond at most, so
                    // the deadline is checked without a zero-timeout spin.
                    let _ = sys::poll(fd, libc::POLLOUT, 1);
                }
                other => return other,
            }
        },
        line,
    );
    if done && !waited {
        STALLED.store(false, Relaxed);
    }
    done
}

/// Writes while each write makes progress; false if the line did not go out whole.
fn write_fully(mut write: impl FnMut(&[u8]) -> Result<usize, sys::Errno>, mut line: &[u8]) -> bool {
    while !line.is_empty() {
        match write(line) {
            Ok(n) if n > 0 => line = line.get(n..).unwrap_or(&[]),
            // EAGAIN (full), EPIPE (no reader), EFBIG (ulimit -f), anything else: drop.
            _ => return false,
        }
    }
    true
}
