//! OOM kills named, and optionally fatal (issue 24, `--on-oom`).
//!
//! When the kernel OOM-kills a process of the container (a gunicorn worker, a job of a
//! shell), PID 1 lives on and the container looks healthy with half of it gone. pidone
//! reads the container's OOM-kill counter only when it reaps a process that SIGKILL
//! ended, never on a timer: cgroup v1 `memory/memory.oom_control` or cgroup v2
//! `memory.events`, field `oom_kill`. When the count rose, that death was an OOM kill:
//! pidone names it (pid and command, read from /proc while the process is still a zombie)
//! and, under `--on-oom exit`, stops the container (`Event::Failed`).

use crate::log::{Level, Log};
use crate::sys::{self, Pid, Reaped};

/// What an OOM kill does.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum OnOom {
    /// Nothing is read, nothing is said (the default: as before issue 24).
    Ignore,
    /// Named in the log, the exit report and the termination message.
    Log,
    /// Named, then the stop sequence, and pidone exits 137.
    Exit,
}

/// The counter files, v1 first: this machine class mounts v1 with a v2 hierarchy beside it.
const COUNTERS: [&core::ffi::CStr; 2] = [
    c"/sys/fs/cgroup/memory/memory.oom_control",
    c"/sys/fs/cgroup/memory.events",
];

/// The `oom_kill` count in a v1 `memory.oom_control` or a v2 `memory.events` file.
pub fn parse_count(text: &[u8]) -> Option<u64> {
    text.split(|b| *b == b'\n').find_map(|line| {
        let value = crate::signals::after(line, b"oom_kill ")?;
        crate::decimal::parse(value, u64::MAX)
    })
}

/// The container's OOM-kill count now, from the first counter file that reads.
fn read_count() -> Option<u64> {
    let mut buf = [0u8; 512];
    COUNTERS.iter().find_map(|path| {
        let fd = sys::open(path, libc::O_RDONLY).ok()?;
        let n = fd.read_full(&mut buf);
        parse_count(buf.get(..n)?)
    })
}

/// What the supervisor keeps: the last count, and the last OOM kill seen.
pub struct Watch {
    on: OnOom,
    count: Option<u64>,
    /// OOM kills seen (for the exit report).
    pub kills: u32,
    /// The last one: pid and command name (`/proc/PID/comm`, at most 15 bytes).
    pid: Pid,
    name: [u8; 16],
    name_len: usize,
    /// An OOM kill was seen in the last `reap`, not yet acted on.
    fresh: bool,
}

impl Watch {
    /// Reads the count once, at start, when `--on-oom` is set: a kill is a rise from it.
    pub fn new(on: OnOom) -> Watch {
        Watch {
            on,
            count: if on == OnOom::Ignore {
                None
            } else {
                read_count()
            },
            kills: 0,
            pid: 0,
            name: [0; 16],
            name_len: 0,
            fresh: false,
        }
    }

    /// Reaps one child as `sys::reap_one` does; under `--on-oom`, a SIGKILL death is
    /// looked at first (its name, the counter).
    pub fn reap(&mut self) -> Reaped {
        if self.on == OnOom::Ignore {
            return sys::reap_one();
        }
        match sys::peek_exited() {
            Some((pid, true)) => self.killed(pid),
            _ => return sys::reap_one(),
        }
        match sys::wait_for(self.pid) {
            Some(status) => Reaped::Child(self.pid, status),
            None => sys::reap_one(),
        }
    }

    /// `pid`, a zombie that SIGKILL ended: an OOM kill if the counter rose.
    fn killed(&mut self, pid: Pid) {
        self.pid = pid;
        let now = read_count();
        if now.is_none() || now <= self.count {
            return;
        }
        self.count = now;
        self.kills = self.kills.saturating_add(1);
        self.fresh = true;
        let mut path = [0u8; 32];
        let mut digits = [0u8; 20];
        let number = crate::decimal::format(u64::try_from(pid).unwrap_or(0), &mut digits);
        let parts: [&[u8]; 3] = [b"/proc/", number, b"/comm\0"];
        let mut at = 0usize;
        for b in parts.iter().flat_map(|p| p.iter()) {
            if let Some(slot) = path.get_mut(at) {
                *slot = *b;
            }
            at = at.saturating_add(1);
        }
        self.name_len = 0;
        let Ok(path) = core::ffi::CStr::from_bytes_until_nul(&path) else {
            return;
        };
        if let Ok(fd) = sys::open(path, libc::O_RDONLY) {
            let n = fd.read_full(&mut self.name);
            let newline = n > 0 && self.name.get(n.saturating_sub(1)) == Some(&b'\n');
            self.name_len = if newline { n.saturating_sub(1) } else { n };
        }
    }

    /// After a reaped process: `true` once for an OOM kill, after logging it.
    pub fn take(&mut self, log: &Log) -> bool {
        if !core::mem::take(&mut self.fresh) {
            return false;
        }
        log.event(Level::Warn, "OOM kill")
            .num("pid", i64::from(self.pid))
            .text("command", self.name())
            .emit();
        true
    }

    /// The last OOM kill: pid and command name.
    pub fn last(&self) -> Option<(Pid, &[u8])> {
        (self.kills > 0).then(|| (self.pid, self.name()))
    }

    fn name(&self) -> &[u8] {
        self.name.get(..self.name_len).unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::parse_count;

    /// cgroup v1 `memory.oom_control`, as read in a Docker 20.10 container here.
    const V1: &[u8] = b"oom_kill_disable 0\nunder_oom 0\noom_kill 1\n";
    /// cgroup v2 `memory.events` (kernel 5.x+ layout). This machine class has no v2
    /// memory controller: parsed from this fixture only.
    const V2: &[u8] = b"low 0\nhigh 0\nmax 31\noom 2\noom_kill 2\noom_group_kill 0\n";

    #[test]
    fn counts_from_v1_and_v2_files() {
        assert_eq!(parse_count(V1), Some(1));
        assert_eq!(parse_count(V2), Some(2));
        assert_eq!(parse_count(b"oom_kill_disable 0\nunder_oom 0\n"), None);
        assert_eq!(parse_count(b""), None);
        assert_eq!(parse_count(b"oom_kill x\n"), None);
    }
}
