//! `pidone health URL`: a HEALTHCHECK for images with no shell and no curl. One check of a
//! local endpoint (http://, tcp://, unix://) within one deadline, then exit 0 (healthy),
//! 1 (unhealthy, with one line on stderr saying why) or 2 (bad command line).
//!
//! - `options`: the command line and the help; `url`, `addr`, `accept`: what it names;
//! - `check`: connect, request, read the status; `net`: the socket calls under a deadline;
//! - `status`: the streaming status-line parser.
//!
//! Nothing here allocates or can panic, like the rest of pidone: the check runs in the same
//! binary, under the same size budget. It is a subcommand only under the name pidone (see
//! `main.rs`): as tini or dumb-init, `health` is the command to run.

mod accept;
mod addr;
mod check;
mod net;
mod options;
mod status;
mod url;
mod usage;

pub use options::HELP;

use check::{Answer, Phase, Reason};
use options::{Check, Command};
use status::Malformed;
use usage::Usage;

use crate::log::Line;
use crate::sys;

/// The exit status, as Docker and Kubernetes read it: 0 healthy, 1 unhealthy. (Docker
/// reserves 2; it too counts as a failed check, and only a wrong HEALTHCHECK line gives it.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    Healthy = 0,
    Unhealthy = 1,
    Usage = 2,
}

/// Whether `url` is one `pidone health` can check (for `--watchdog`, at start).
pub fn url_ok(url: &[u8]) -> bool {
    url::parse(url, None).is_ok()
}

/// Runs `pidone health`; `arg(0)` is the first word after `health`.
pub fn main<'a>(arg: impl Fn(usize) -> Option<&'a [u8]>) -> i32 {
    let exit = match options::parse(arg) {
        Ok(Command::Help) => {
            sys::write_all(1, HELP.as_bytes());
            Exit::Healthy
        }
        Ok(Command::Check(check)) => run(&check),
        Err(usage) => {
            report_usage(usage);
            Exit::Usage
        }
    };
    exit as i32
}

fn run(check: &Check) -> Exit {
    let mut line = Line::new();
    line.str("pidone health: ").escaped(check.url).str(": ");
    match check::run(&check.target, check.timeout_ms) {
        Ok(Answer::Connected) => return Exit::Healthy,
        Ok(Answer::Status(code)) if check.accept.contains(code) => return Exit::Healthy,
        Ok(Answer::Status(code)) => {
            line.str("status ").num(i64::from(code));
            line.str(" (accepted: ").escaped(check.accept.text).str(")");
        }
        Err(reason) => describe(&mut line, reason, check.timeout_ms),
    }
    line.write_to(2);
    Exit::Unhealthy
}

fn describe(line: &mut Line, reason: Reason, timeout_ms: u64) {
    match reason {
        Reason::Timeout(phase) => {
            line.str("timeout after ");
            if timeout_ms % 1000 == 0 {
                line.num((timeout_ms / 1000) as i64).str("s");
            } else {
                line.num(timeout_ms as i64).str("ms");
            }
            line.str(match phase {
                Phase::Connect => " connecting",
                Phase::Send => " sending the request",
                Phase::Receive => " waiting for the status line",
            });
        }
        Reason::Os(Phase::Connect, libc::ECONNREFUSED) => {
            line.str("connection refused");
        }
        Reason::QueueFull => {
            line.str("the socket's listen queue is full: the server is not accepting");
        }
        Reason::Os(phase, err) => {
            line.str(match phase {
                Phase::Connect => "cannot connect: ",
                Phase::Send => "cannot send the request: ",
                Phase::Receive => "cannot read the response: ",
            });
            lowercase_first(line, sys::strerror(err));
        }
        Reason::NoResponse => {
            line.str("connection closed with no response");
        }
        Reason::Malformed(what, prefix) => {
            let prefix = prefix.as_bytes();
            let tls = matches!(prefix, [0x15 | 0x16, 0x03, ..]);
            if what == Malformed::NotHttp && tls {
                line.str("malformed response: the server answered in TLS; no TLS here, use its plain-HTTP port");
                return;
            }
            line.str(match what {
                Malformed::NotHttp => "malformed response: not HTTP: '",
                Malformed::BadStatus => "malformed response: bad status line: '",
                Malformed::TooLong => "malformed response: over 16 KiB of 1xx responses: '",
                Malformed::Truncated => {
                    "malformed response: connection closed inside the status line: '"
                }
            });
            visible(line, prefix).str("'");
        }
    }
}

fn report_usage(usage: Usage) {
    let mut line = Line::new();
    line.str("pidone health: ").str(usage.problem);
    if !usage.value.is_empty() {
        line.str(" '").escaped(usage.value).str("'");
    }
    line.str(" (see 'pidone health --help')").write_to(2);
}

/// `Connection refused` reads as `connection refused` after a colon.
fn lowercase_first(line: &mut Line, text: &str) {
    let bytes = text.as_bytes();
    if let Some((first, rest)) = bytes.split_first() {
        line.bytes(&[first.to_ascii_lowercase()]).bytes(rest);
    }
}

/// Bytes from the network made safe for one log line that Docker stores as text: anything
/// but printable ASCII becomes `\xNN`.
fn visible<'l>(line: &'l mut Line, bytes: &[u8]) -> &'l mut Line {
    let hex = b"0123456789abcdef";
    for &b in bytes {
        if (b' '..0x7f).contains(&b) && b != b'\\' && b != b'\'' {
            line.bytes(&[b]);
        } else {
            let hi = hex.get(usize::from(b >> 4)).copied().unwrap_or(b'0');
            let lo = hex.get(usize::from(b & 15)).copied().unwrap_or(b'0');
            line.bytes(&[b'\\', b'x', hi, lo]);
        }
    }
    line
}
