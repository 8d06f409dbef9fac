//! A PID namespace whose PID 1 never reaps, for running pidone as an ordinary process
//! (not PID 1) with no one else to clean up after it: an orphan that pidone, as child
//! subreaper, does not take ends up under this PID 1 and stays there, visible in /proc.
//! So "who reaped" has one answer: the parent /proc showed, since only a parent can reap.

use super::{children, comm_of, pidone, wait_until};
use std::process::{Child, Command, Stdio};

/// The namespace: `unshare ... -- sleep infinity`; `sleep` never calls wait.
pub struct Holder {
    unshare: Child,
    /// PID 1 of the namespace (`sleep`), as a host pid.
    pub init: i32,
}

impl Holder {
    pub fn new() -> Holder {
        let unshare = Command::new("unshare")
            .args(["--pid", "--fork", "--mount-proc", "--kill-child", "--"])
            .args(["sleep", "infinity"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start unshare");
        let outer = unshare.id() as i32;
        let mut init = 0;
        wait_until("the holder's sleep to run as PID 1", || {
            init = children(outer)
                .into_iter()
                .find(|p| comm_of(*p) == "sleep")
                .unwrap_or(0);
            init != 0
        });
        Holder { unshare, init }
    }

    /// `pidone ARGS` inside the namespace (its PID and mount namespaces, so /proc is the
    /// namespace's), started by nsenter, which waits for it and exits with its status. Use
    /// it with `spawn(Mode::Pid1, ...)`: pidone is then the child of the started process,
    /// as behind unshare, so `pidone_pid()` and `signal()` find it.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("nsenter");
        cmd.args(["--target", &self.init.to_string(), "--pid", "--mount", "--"]);
        cmd.arg(pidone()).args(args);
        cmd
    }

    /// Processes the namespace's PID 1 holds: orphans no one else took, alive or zombies.
    pub fn orphans(&self) -> Vec<i32> {
        children(self.init)
    }
}

impl Default for Holder {
    fn default() -> Self {
        Holder::new()
    }
}

impl Drop for Holder {
    fn drop(&mut self) {
        // --kill-child: unshare's death takes the namespace (and anything left) down.
        // SIGKILL cannot be caught, so the wait returns at once.
        let _ = self.unshare.kill();
        let _ = self.unshare.wait();
    }
}
