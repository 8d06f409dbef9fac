//! The end of the application's life: its exit, the drain of its leftovers, the kill at
//! the deadline, and the listings of pidone's children they ask for.

use super::{Action, Actions, Leftovers, Machine, Note, Phase, Reached, Sweep, Who, after_ms};
use crate::sys::Pid;

impl Machine<'_> {
    pub(super) fn kill_all(&mut self, out: &mut Actions) {
        out.push(Action::Log(Note::GraceExpired));
        out.push(Action::Cancel);
        self.expired = true;
        self.record.clear();
        if self.pid1 {
            out.push(Action::Signal(Who::Everyone, libc::SIGKILL));
        } else {
            out.push(Action::Signal(Who::Group, libc::SIGKILL));
            out.push(Action::List(Sweep::KillFirst));
        }
        self.phase = Phase::Killed;
    }

    pub(super) fn on_reap_done(
        &mut self,
        now: u64,
        none_left: bool,
        out: &mut Actions,
    ) -> &'static str {
        if self.phase == Phase::Paused {
            return "pause mode: reaped; nothing else to do";
        }
        let Some(status) = self.status else {
            if none_left {
                out.push(Action::Log(Note::Vanished));
                self.exit(1, out);
                return "the main child is gone without an exit status: exiting beats hanging";
            }
            return "the application still runs";
        };
        let code = self.cfg.status_code(status);
        let main_alive = matches!(
            self.phase,
            Phase::Running | Phase::Delaying { .. } | Phase::Stopping { .. }
        );
        if none_left && !(main_alive && self.cfg.shutdown.leftovers == Leftovers::TermGroup) {
            self.exit(code, out);
            return "no process left: exit with the application's status";
        }
        match self.phase {
            Phase::Running | Phase::Delaying { .. } | Phase::Stopping { .. } => {
                self.main_exited(now, code, out)
            }
            Phase::Draining {
                reached: Reached::Group,
                ..
            } => {
                out.push(Action::List(Sweep::DrainLate));
                "draining: look for leftovers re-parented since"
            }
            Phase::Killed if !self.pid1 => {
                out.push(Action::List(Sweep::KillLate));
                "killed: SIGKILL what was re-parented since"
            }
            _ => "leftovers still run: wait for them",
        }
    }

    /// The main child has just been reaped and other processes remain (under dumb-init's
    /// TermGroup, also when none of pidone's children do).
    pub(super) fn main_exited(&mut self, now: u64, code: i32, out: &mut Actions) -> &'static str {
        let stop = self.cfg.shutdown.stop_signal;
        match (self.cfg.shutdown.leftovers, self.phase) {
            (Leftovers::Leave, _) => {
                self.exit(code, out);
                "leftovers are left to the kernel, as tini and catatonit do"
            }
            // Even with no child left: not a subreaper, dumb-init's leftovers are not ours.
            (Leftovers::TermGroup, _) => {
                if let Some(to) = self.cfg.forward_as(libc::SIGTERM) {
                    out.push(Action::Signal(Who::Group, to));
                }
                self.exit(code, out);
                "dumb-init: SIGTERM to the child's group, then exit at once"
            }
            (
                _,
                Phase::Stopping {
                    kill_at,
                    group_reached,
                },
            ) => {
                let sig = match self.cfg.shutdown.leftovers {
                    Leftovers::WaitAll => self.cfg.forward_as(stop).unwrap_or(libc::SIGTERM),
                    _ => libc::SIGTERM,
                };
                self.begin_end(kill_at, sig, group_reached, out);
                "stopped from outside: what the stop signal missed gets one; the deadline stays"
            }
            (Leftovers::WaitAll, Phase::Delaying { held, .. }) => {
                let sig = self.cfg.forward_as(held).unwrap_or(libc::SIGTERM);
                let kill_at = self.cfg.shutdown.grace_ms.map(|g| after_ms(now, g));
                self.begin_end(kill_at, sig, false, out);
                "--wait-all, a stop was held: it ends the leftovers"
            }
            (Leftovers::WaitAll, _) => {
                self.phase = Phase::Waiting;
                "--wait-all: the leftovers get nothing; wait until the last is gone"
            }
            (Leftovers::Drain, _) => {
                let kill_at = Some(after_ms(now, self.cfg.shutdown.drain_ms()));
                self.begin_end(kill_at, libc::SIGTERM, false, out);
                "the application exited on its own: one SIGTERM to each leftover, bounded"
            }
        }
    }

    /// Starts the drain: `sig` once to each leftover; `group_done` when the group already
    /// got the stop signal and must not get another.
    pub(super) fn begin_end(
        &mut self,
        kill_at: Option<u64>,
        sig: i32,
        group_done: bool,
        out: &mut Actions,
    ) {
        out.push(Action::Log(Note::Draining));
        self.record.clear();
        let reached = if self.pid1 && !group_done {
            out.push(Action::Signal(Who::Everyone, sig));
            Reached::Everyone
        } else {
            if !group_done {
                out.push(Action::Signal(Who::Group, sig));
            }
            Reached::Group
        };
        out.push(Action::List(Sweep::DrainFirst));
        out.push(kill_at.map_or(Action::Cancel, Action::Arm));
        self.phase = Phase::Draining {
            kill_at,
            sig,
            reached,
        };
    }

    pub(super) fn on_child(
        &mut self,
        pid: Pid,
        in_group: bool,
        sweep: Sweep,
        out: &mut Actions,
    ) -> &'static str {
        match (sweep, self.phase) {
            (Sweep::Forward(sig), Phase::Draining { .. } | Phase::Waiting) if !in_group => {
                out.push(Action::Forward(Who::Pid(pid), sig));
                "a leftover outside the group: forwarded to it too"
            }
            (Sweep::DrainFirst | Sweep::DrainLate, Phase::Draining { sig, reached, .. }) => {
                if self.record.contains(pid) {
                    return "already signalled in this drain";
                }
                if reached == Reached::Everyone || in_group {
                    if sweep == Sweep::DrainFirst {
                        out.push(Action::ContIfStopped(pid));
                    }
                    return "the broadcast reached it: continued if stopped, nothing more";
                }
                if !self.record.insert(pid) {
                    if !self.record_full_said {
                        self.record_full_said = true;
                        out.push(Action::Log(Note::RecordFull));
                    }
                    return "record full: left to the deadline";
                }
                out.push(Action::Signal(Who::Pid(pid), sig));
                out.push(Action::ContIfStopped(pid));
                "a leftover the broadcast missed (setsid, re-parented): signalled once"
            }
            (Sweep::KillFirst | Sweep::KillLate, Phase::Killed) if !in_group => {
                if self.record.contains(pid) {
                    return "already SIGKILLed";
                }
                // Full: SIGKILL anyway; ending everything matters more than a second KILL.
                let _ = self.record.insert(pid);
                out.push(Action::Signal(Who::Pid(pid), libc::SIGKILL));
                "outside the group: SIGKILLed one by one"
            }
            _ => "in the group, or a listing from an earlier phase: nothing",
        }
    }

    pub(super) fn on_list_done(&mut self, complete: bool, out: &mut Actions) -> &'static str {
        if complete {
            return "listing over";
        }
        self.blind = true;
        match (self.phase, self.status) {
            (Phase::Killed, Some(status)) => {
                out.push(Action::Log(Note::Blind));
                let code = self.cfg.status_code(status);
                self.exit(code, out);
                "no /proc after SIGKILL: what left the group cannot be found; exit"
            }
            _ => "no /proc: only the process group can be reached",
        }
    }

    pub(super) fn exit(&mut self, code: i32, out: &mut Actions) {
        // pidone stopped a failing container: its status, whatever the application's.
        let code = match self.cause {
            super::Cause::Failed(failure) => failure.exit_code(),
            _ => code,
        };
        out.push(Action::Cancel);
        out.push(Action::Exit(code));
        self.phase = Phase::Done;
    }
}
