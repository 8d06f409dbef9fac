//! The termination message (issue 24): one short line at exit, for Kubernetes'
//! `terminationMessagePath` (`/dev/termination-log` unless `--termination-log` names
//! another file). It says how the application ended, why, and what was left and killed:
//!
//! `killed by SIGKILL: grace expired after SIGTERM from outside; leftovers: ended 0, killed 2; exit 137`
//!
//! Written only to a regular file that already exists and is writable (the kubelet
//! creates it), opened with O_NONBLOCK: a FIFO with no reader fails the open (ENXIO)
//! instead of blocking PID 1's exit, and any other kind of file is left alone. The line
//! is at most `log::CAPACITY` (512) bytes, far under Kubernetes' 4096.

use core::ffi::CStr;

use crate::log::Line;
use crate::machine::{Cause, Failure, Stats};
use crate::sys::{self, Kind};

/// Where the message goes: `None` for `/dev/termination-log`, else `--termination-log`'s
/// file (`''`: none). Either only if it exists and is writable.
pub type Where<'a> = Option<&'a [u8]>;

const DEFAULT: &CStr = c"/dev/termination-log";

/// How the run ended, as the supervisor knows it at exit.
pub struct Summary<'s> {
    /// pidone's exit status.
    pub code: i32,
    /// The application's wait status, if it was reaped.
    pub status: Option<i32>,
    pub cause: Cause,
    /// pidone SIGKILLed what was left at a deadline.
    pub expired: bool,
    pub stats: Stats,
    /// The last OOM kill seen (`--on-oom`): pid and command name.
    pub oom: Option<(sys::Pid, &'s [u8])>,
}

/// The line for a run that started.
pub fn ended(summary: &Summary<'_>) -> Line {
    let mut line = Line::new();
    match summary.status {
        Some(status) if libc::WIFSIGNALED(status) => {
            line.str("killed by ").signal(libc::WTERMSIG(status))
        }
        Some(status) => line
            .str("exited ")
            .num(i64::from(libc::WEXITSTATUS(status))),
        None => line.str("ended"),
    };
    line.str(": ");
    match (summary.expired, summary.cause) {
        (false, _) => &mut line,
        (true, _) => line.str("grace expired after "),
    };
    match summary.cause {
        Cause::OnItsOwn if summary.expired => line.str("exit"),
        Cause::OnItsOwn => line.str("on its own"),
        Cause::Stopped(sig) => line.signal(sig).str(" from outside"),
        Cause::Failed(Failure::Oom) => line.str("OOM kill"),
        Cause::Failed(Failure::Unhealthy) => line.str("watchdog"),
    };
    if let Some((pid, name)) = summary.oom {
        line.str("; OOM kill: pid ").num(i64::from(pid));
        line.str(" (").escaped(name).str(")");
    }
    let stats = summary.stats;
    line.str("; leftovers: ended ")
        .num(i64::from(stats.terminated));
    line.str(", killed ").num(i64::from(stats.killed));
    line.str("; exit ").num(i64::from(summary.code));
    line
}

/// The line for a command that could not be started.
pub fn not_started(command: &[u8], stage: &str, error: &str, code: i32) -> Line {
    let mut line = Line::new();
    line.str("not started: ").escaped(command).str(": ");
    if !stage.is_empty() {
        line.str(stage).str(": ");
    }
    line.str(error).str("; exit ").num(i64::from(code));
    line
}

/// Writes `line` where `to` says, if that file exists, is regular and is writable; never
/// blocks, never creates a file, and says nothing when there is none.
pub fn write(to: Where<'_>, mut line: Line) {
    let mut buf = [0u8; 4096];
    let path = match to {
        Some(b"") => return,
        None => DEFAULT,
        // From argv or the environment: no NUL inside; one too long is no path.
        Some(path) if path.len() < buf.len() => {
            for (slot, b) in buf.iter_mut().zip(path) {
                *slot = *b;
            }
            match CStr::from_bytes_until_nul(&buf) {
                Ok(path) => path,
                Err(_) => return,
            }
        }
        Some(_) => return,
    };
    let flags = libc::O_WRONLY | libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_TRUNC;
    let Ok(fd) = sys::open(path, flags) else {
        return;
    };
    if sys::kind(fd.raw()) == Kind::File {
        let _ = sys::write(fd.raw(), line.finish());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(line: &Line) -> &str {
        core::str::from_utf8(line.as_bytes()).unwrap_or("?")
    }

    fn summary(status: Option<i32>, cause: Cause, expired: bool) -> Summary<'static> {
        Summary {
            code: status.map_or(1, crate::config::exit_status),
            status,
            cause,
            expired,
            stats: Stats::default(),
            oom: None,
        }
    }

    #[test]
    fn says_how_why_and_what_was_left() {
        let clean = ended(&summary(Some(0), Cause::Stopped(libc::SIGTERM), false));
        assert_eq!(
            text(&clean),
            "exited 0: SIGTERM from outside; leftovers: ended 0, killed 0; exit 0"
        );
        let mut killed = summary(Some(libc::SIGKILL), Cause::Stopped(libc::SIGTERM), true);
        killed.stats.killed = 2;
        assert_eq!(
            text(&ended(&killed)),
            "killed by SIGKILL: grace expired after SIGTERM from outside; leftovers: ended 0, \
             killed 2; exit 137"
        );
        let mut oom = summary(Some(0), Cause::Failed(Failure::Oom), false);
        oom.code = 137;
        oom.oom = Some((12, b"python3"));
        assert_eq!(
            text(&ended(&oom)),
            "exited 0: OOM kill; OOM kill: pid 12 (python3); leftovers: ended 0, killed 0; \
             exit 137"
        );
        let own = ended(&summary(Some(3 << 8), Cause::OnItsOwn, false));
        assert_eq!(
            text(&own),
            "exited 3: on its own; leftovers: ended 0, killed 0; exit 3"
        );
        let missing = not_started(b"/nope", "", "No such file or directory", 127);
        assert_eq!(
            text(&missing),
            "not started: /nope: No such file or directory; exit 127"
        );
    }

    #[test]
    fn fits_kubernetes_limit() {
        let long = [b'x'; 5000];
        let line = not_started(&long, "exec", "E", 126);
        assert!(line.as_bytes().len() < 4096);
    }
}
