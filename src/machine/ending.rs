//! The end of the application's life: its exit, the drain of its leftovers, the kill at
//! the deadline, and the listings of pidone's children they ask for.

use super::{
    Action, Actions, Kid, Leftovers, Listing, Machine, Note, Phase, Reached, Sent, Sweep, Target,
    Who, after_ms,
};

impl Machine<'_> {
    pub(super) fn kill_all(&mut self, out: &mut Actions) {
        out.push(Action::Log(Note::GraceExpired));
        self.expired = true;
        self.record.clear();
        let group_reached = if self.pid1 {
            out.push(Action::Signal(Who::Everyone, libc::SIGKILL));
            true
        } else {
            // The main child, unreaped (a zombie too), holds its group's id; once it is
            // reaped, only the listing can show a child that does.
            let held = self.status.is_none();
            if held {
                out.push(Action::Signal(Who::Group, libc::SIGKILL));
            }
            self.list(Sweep::KillFirst, out);
            held
        };
        self.phase = Phase::Killed { group_reached };
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
            Phase::Draining { .. } => {
                self.list(Sweep::DrainLate, out);
                "draining: look for leftovers re-parented since, and any that stopped"
            }
            Phase::Killed { .. } if !self.pid1 => {
                self.list(Sweep::KillLate, out);
                "killed: SIGKILL what was re-parented since"
            }
            _ => "leftovers still run: wait for them",
        }
    }

    /// The main child has just been reaped and other processes remain (under dumb-init's
    /// TermGroup, also when none of pidone's children do).
    pub(super) fn main_exited(&mut self, now: u64, code: i32, out: &mut Actions) -> &'static str {
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
                    Leftovers::WaitAll => self.stop_as_forwarded(),
                    _ => libc::SIGTERM,
                };
                self.begin_end(kill_at, sig, group_reached, out);
                "stopped from outside: what the stop signal missed gets one; the deadline stays"
            }
            (Leftovers::WaitAll, Phase::Delaying { .. }) => {
                let sig = self.stop_as_forwarded();
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
        // No broadcast: each of pidone's children gets `sig` from the listing, once.
        let reached = if group_done {
            Reached::Group
        } else {
            Reached::Children
        };
        self.list(Sweep::DrainFirst, out);
        self.phase = Phase::Draining {
            kill_at,
            sig,
            reached,
        };
    }

    /// A listing (or one part of it, past `LIST_CAP`): a decision for each child, then
    /// what the listing means. The answer never asks for another listing.
    pub(super) fn on_listed(
        &mut self,
        sweep: Sweep,
        list: &mut Listing,
        out: &mut Actions,
    ) -> &'static str {
        // A group id is held while an unreaped child of pidone is in the group: this
        // listing shows one, and nothing is reaped before its answer is carried out. Past
        // `LIST_CAP` it comes in parts: the group's signal goes with the first that calls
        // for it, once.
        if !self.group_sent {
            if list.kids().iter().any(|k| k.in_group) {
                self.signal_held_group(sweep, out);
            }
            if sweep == Sweep::Stop && matches!(self.phase, Phase::Stopping { .. }) {
                self.continue_stopped(list, out);
            }
        }
        for kid in list.kids_mut() {
            self.on_kid(kid, sweep, out);
        }
        self.group_sent &= !list.last;
        if list.complete {
            return "listed: each child as decided";
        }
        if let (Sweep::Forward(to), true) = (sweep, self.pid1) {
            // No /proc as PID 1: only `kill(-1)` can find the leftovers.
            out.push(Action::Forward(Who::Everyone, to));
            return "no /proc as PID 1: forwarded to everyone";
        }
        match (self.phase, self.status) {
            (
                Phase::Draining {
                    kill_at,
                    sig,
                    reached: Reached::Children,
                },
                _,
            ) if self.pid1 => {
                // No /proc as PID 1: only `kill(-1)` can find the leftovers.
                out.push(Action::Signal(Who::Everyone, sig));
                self.phase = Phase::Draining {
                    kill_at,
                    sig,
                    reached: Reached::Everyone,
                };
                "no /proc as PID 1: the drain signal goes to everyone, once"
            }
            (Phase::Killed { .. }, Some(status)) => {
                out.push(Action::Log(Note::Blind));
                let code = self.cfg.status_code(status);
                self.exit(code, out);
                "no /proc after SIGKILL: what left the group cannot be found; exit"
            }
            _ => "no /proc: only the process group can be reached",
        }
    }

    /// The group's signal of this listing, sent now that a listed child holds its id.
    fn signal_held_group(&mut self, sweep: Sweep, out: &mut Actions) {
        match (sweep, self.phase) {
            (Sweep::Forward(sig), Phase::Draining { .. } | Phase::Waiting)
                if self.cfg.target == Target::Group =>
            {
                self.group_sent = true;
                out.push(Action::Forward(Who::Group, sig));
            }
            (
                Sweep::KillFirst | Sweep::KillLate,
                Phase::Killed {
                    group_reached: false,
                },
            ) => {
                out.push(Action::Signal(Who::Group, libc::SIGKILL));
                self.phase = Phase::Killed {
                    group_reached: true,
                };
            }
            _ => {}
        }
    }

    /// The stop signal went out while the main child is unreaped, so it holds its group:
    /// a stopped worker (which its master waits for) continues with one SIGCONT to the
    /// group, since a worker's pid alone is not pidone's to signal (its master reaps it);
    /// otherwise, once the last listing is in, the main child alone if it is still stopped
    /// (without /proc, `waitid` still tells).
    fn continue_stopped(&mut self, list: &Listing, out: &mut Actions) {
        let worker_stopped = list
            .kids()
            .iter()
            .any(|k| k.in_group && k.stopped && k.pid != self.main);
        if worker_stopped {
            self.group_sent = true;
            out.push(Action::Signal(Who::Group, libc::SIGCONT));
        } else if list.last {
            out.push(Action::ContIfStopped(self.main));
        }
    }

    /// One listed child: what it gets, written into `kid`.
    fn on_kid(&mut self, kid: &mut Kid, sweep: Sweep, out: &mut Actions) {
        let pid = kid.pid;
        match (sweep, self.phase) {
            // A child of pidone, unless the group's forward (`-g`) reached it.
            (Sweep::Forward(sig), Phase::Draining { .. } | Phase::Waiting)
                if !(kid.in_group && self.cfg.target == Target::Group) =>
            {
                kid.send = Sent::Forward(sig);
            }
            (Sweep::DrainFirst | Sweep::DrainLate, Phase::Draining { sig, reached, .. }) => {
                if self.record.contains(pid) {
                    // Already signalled in this drain.
                    return;
                }
                if kid.ignores(sig) {
                    // It will never act on the drain signal: waiting for it achieves
                    // nothing but the runtime's SIGKILL, and the application's status lost.
                    let _ = self.record.insert(pid);
                    kid.send = Sent::Signal(libc::SIGKILL);
                    return;
                }
                if reached == Reached::Everyone || (reached == Reached::Group && kid.in_group) {
                    // The broadcast reached it: continued if stopped, nothing more.
                    kid.cont = kid.stopped;
                    return;
                }
                if !self.record.insert(pid) {
                    // Record full: left to the deadline.
                    if !self.record_full_said {
                        self.record_full_said = true;
                        out.push(Action::Log(Note::RecordFull));
                    }
                    return;
                }
                // A child of pidone (re-parented to it): signalled once; what it started
                // is its own business until it too comes to pidone.
                kid.send = Sent::Signal(sig);
                kid.cont = kid.stopped;
            }
            (Sweep::KillFirst | Sweep::KillLate, Phase::Killed { .. }) if !kid.in_group => {
                if self.record.contains(pid) {
                    // Already SIGKILLed.
                    return;
                }
                // Full: SIGKILL anyway; ending everything matters more than a second KILL.
                let _ = self.record.insert(pid);
                kid.send = Sent::Signal(libc::SIGKILL);
            }
            // In the group, or a listing from an earlier phase: nothing.
            _ => {}
        }
    }

    pub(super) fn exit(&mut self, code: i32, out: &mut Actions) {
        // pidone stopped a failing container: its status, whatever the application's.
        let code = match self.cause {
            super::Cause::Failed(failure) => failure.exit_code(),
            _ => code,
        };
        out.push(Action::Exit(code));
        self.phase = Phase::Done;
    }
}
