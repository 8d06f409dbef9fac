//! pidone's decisions as a pure state machine: a phase plus an event in, a new phase plus
//! a list of actions out. No system calls and no clock: time comes with each event, and
//! `supervisor` performs the actions. Every decision about a signal or a child is here,
//! each with its one-line reason; docs/state-machine.md is rendered from the table in
//! `tests/table.rs`, which the unit tests check against this code.
//!
//! The rules: only the configured stop signal starts the stop delay and the
//! grace period, and without a grace pidone never SIGKILLs what a signal from outside left
//! running. Each process gets each of pidone's signals at most once per event. Nothing
//! pidone caused itself is forwarded.

mod ending;
mod record;
mod types;

#[cfg(test)]
mod tests;

#[cfg(test)]
pub use record::RECORD_CAP;
pub use types::*;

use crate::config::{Config, JobControl, Leftovers, TTY_STOPS, Target};
use crate::sys::Pid;
use record::Record;

pub const NS_PER_MS: u64 = 1_000_000;

/// `now` plus `ms`, saturating: no input overflows.
fn after_ms(now: u64, ms: u64) -> u64 {
    now.saturating_add(ms.saturating_mul(NS_PER_MS))
}

#[derive(Clone)]
pub struct Machine<'c> {
    cfg: &'c Config<'c>,
    pid1: bool,
    /// The main child (0 in pause mode).
    main: Pid,
    phase: Phase,
    /// The main child's wait status, once reaped.
    status: Option<i32>,
    /// Children signalled one by one in this drain or kill.
    record: Record,
    record_full_said: bool,
    stats: Stats,
    /// How the end began, and whether pidone SIGKILLed at a deadline (termination message).
    cause: Cause,
    expired: bool,
    /// This listing's signal to the group went out with an earlier part (a listing past
    /// `LIST_CAP` comes in parts): the group gets it once.
    group_sent: bool,
}

impl<'c> Machine<'c> {
    /// `main` is the application's pid, 0 in pause mode.
    pub fn new(cfg: &'c Config<'c>, pid1: bool, main: Pid) -> Self {
        Machine {
            cfg,
            pid1,
            main,
            phase: if main > 0 {
                Phase::Running
            } else {
                Phase::Paused
            },
            status: None,
            record: Record::new(),
            record_full_said: false,
            stats: Stats::default(),
            cause: Cause::OnItsOwn,
            expired: false,
            group_sent: false,
        }
    }

    pub fn phase(&self) -> Phase {
        self.phase
    }

    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// The main child's wait status, once reaped.
    pub fn status(&self) -> Option<i32> {
        self.status
    }

    /// How the end began, and whether pidone SIGKILLed what was left at a deadline.
    pub fn ending(&self) -> (Cause, bool) {
        (self.cause, self.expired)
    }

    /// When `Event::Deadline` is due (monotonic ns): the end of the stop delay, or the
    /// SIGKILL of the grace period or the drain's bound. The one place a deadline lives.
    pub fn deadline(&self) -> Option<u64> {
        match self.phase {
            Phase::Delaying { forward_at, .. } => Some(forward_at),
            Phase::Stopping { kill_at, .. } | Phase::Draining { kill_at, .. } => kill_at,
            _ => None,
        }
    }

    /// The transition function.
    pub fn step(&mut self, now: u64, event: Event<'_>) -> Output {
        let mut out = Actions::new();
        let why = self.decide(now, event, &mut out);
        Output { actions: out, why }
    }

    fn decide(&mut self, now: u64, event: Event<'_>, out: &mut Actions) -> Option<&'static str> {
        if self.phase == Phase::Done {
            return Some("already exiting: nothing more happens");
        }
        Some(match event {
            Event::Signal {
                from_self: true, ..
            } => return None,
            Event::Signal { sig, .. } => self.on_signal(now, sig, out),
            Event::Deadline => self.on_deadline(now, out),
            Event::Reaped { pid, status } => self.on_reaped(pid, status),
            Event::ReapDone { none_left } => self.on_reap_done(now, none_left, out),
            Event::Listed { sweep, list } => self.on_listed(sweep, list, out),
            Event::Failed(failure) => self.on_failed(now, failure, out),
        })
    }

    fn on_signal(&mut self, now: u64, sig: i32, out: &mut Actions) -> &'static str {
        let stop = self.cfg.shutdown.stop_signal;
        let to = self.cfg.forward_as(sig);
        match self.phase {
            Phase::Paused if matches!(sig, libc::SIGTERM | libc::SIGINT) => {
                out.push(Action::Exit(0));
                self.phase = Phase::Done;
                "pause mode ends on SIGTERM or SIGINT, as catatonit -P"
            }
            Phase::Paused => "pause mode: nobody to forward to",
            Phase::Killed { .. } | Phase::Done => "everything is being killed: nothing to forward",
            Phase::Running if sig == stop && self.cfg.shutdown.stop_delay_ms > 0 => {
                self.cause = Cause::Stopped(sig);
                let delay = self.cfg.shutdown.stop_delay_ms;
                let forward_at = after_ms(now, delay);
                out.push(Action::Log(Note::Holding(sig, delay)));
                self.phase = Phase::Delaying { forward_at };
                "the stop signal is held for the stop delay (traffic still comes in)"
            }
            Phase::Running if sig == stop => {
                self.cause = Cause::Stopped(sig);
                self.forward_stop(now, to, out);
                "the stop signal: forwarded, and the grace period (if set) starts"
            }
            Phase::Delaying { .. } if sig == stop => {
                // The held signal is this same signal: it goes once.
                self.forward_stop(now, to, out);
                "a second stop signal ends the delay: the held one goes now, once"
            }
            Phase::Running | Phase::Delaying { .. } | Phase::Stopping { .. } => {
                self.forward_main(sig, to, out);
                "forwarded to the application"
            }
            Phase::Waiting if sig == stop => {
                let sig = self.stop_as_forwarded();
                let kill_at = self.cfg.shutdown.grace_ms.map(|g| after_ms(now, g));
                self.begin_end(kill_at, sig, false, out);
                "--wait-all, the stop signal: it ends the leftovers too (grace if set)"
            }
            Phase::Draining {
                kill_at,
                sig: d,
                reached,
            } => {
                self.reach_leftovers(to, out);
                let grace = self.cfg.shutdown.grace_ms.filter(|_| sig == stop);
                if let Some(sooner) = grace.map(|g| after_ms(now, g)) {
                    let at = kill_at.map_or(sooner, |k| k.min(sooner));
                    self.phase = Phase::Draining {
                        kill_at: Some(at),
                        sig: d,
                        reached,
                    };
                }
                "the main child is gone: forwarded to each child of pidone (their children are theirs)"
            }
            Phase::Waiting => {
                self.reach_leftovers(to, out);
                "the main child is gone: forwarded to each child of pidone (their children are theirs)"
            }
        }
    }

    /// Forwards a signal while the main child lives, then dumb-init's job control.
    fn forward_main(&mut self, sig: i32, to: Option<i32>, out: &mut Actions) {
        match to {
            Some(to) => out.push(Action::Forward(self.target(), to)),
            None => out.push(Action::Log(Note::Dropped(sig))),
        }
        // dumb-init stops itself after the child so a shell's job control sees the job
        // stop. The kernel ignores SIGSTOP to PID 1, so there it is not even tried.
        if self.cfg.job_control == JobControl::StopSelf && TTY_STOPS.contains(sig) && !self.pid1 {
            out.push(Action::StopSelf);
        }
    }

    fn target(&self) -> Who {
        match self.cfg.target {
            Target::Child => Who::Main,
            Target::Group => Who::Group,
        }
    }

    /// The stop signal goes out (as `to`), and the grace period starts if one is set. The
    /// listing of the group continues a stopped app (or worker) so it can act on it.
    fn forward_stop(&mut self, now: u64, to: Option<i32>, out: &mut Actions) {
        let stop = self.cfg.shutdown.stop_signal;
        self.forward_main(stop, to, out);
        self.list(Sweep::Stop, out);
        let kill_at = self.cfg.shutdown.grace_ms.map(|ms| {
            out.push(Action::Log(Note::GraceStarted(ms)));
            after_ms(now, ms)
        });
        self.phase = Phase::Stopping {
            kill_at,
            group_reached: to.is_some() && self.cfg.target == Target::Group,
        };
    }

    /// What `--wait-all` ends its leftovers with: the stop signal, as forwarded.
    fn stop_as_forwarded(&self) -> i32 {
        let stop = self.cfg.shutdown.stop_signal;
        self.cfg.forward_as(stop).unwrap_or(libc::SIGTERM)
    }

    /// A signal for the leftovers once the main child is gone: the listing decides. Each
    /// child of pidone stands in for the main process (a master's workers are its own);
    /// with `-g`, the group too while a child of pidone holds it.
    fn reach_leftovers(&mut self, to: Option<i32>, out: &mut Actions) {
        if let Some(to) = to {
            self.list(Sweep::Forward(to), out);
        }
    }

    /// Asks for a listing: the stop's looks at the main child's group; every other one at
    /// pidone's own children. A drain signals only those: a process whose parent lives is
    /// its parent's business (a pre-fork master's workers), and reaches pidone when its
    /// parent dies.
    fn list(&self, sweep: Sweep, out: &mut Actions) {
        let scope = match sweep {
            Sweep::Stop => Scope::Group,
            _ => Scope::Children,
        };
        out.push(Action::List(sweep, scope));
    }

    fn on_deadline(&mut self, now: u64, out: &mut Actions) -> &'static str {
        // The executor feeds the deadline only once it is due; the check keeps the machine
        // right on its own (a unit test may feed it early).
        if self.deadline().is_none_or(|at| now < at) {
            return "no deadline due: nothing to do";
        }
        match self.phase {
            Phase::Delaying { .. } => {
                let stop = self.cfg.shutdown.stop_signal;
                self.forward_stop(now, self.cfg.forward_as(stop), out);
                "the stop delay is over: the held stop signal is forwarded"
            }
            _ => {
                self.kill_all(out);
                "the grace period is over: SIGKILL to everything left"
            }
        }
    }

    fn on_reaped(&mut self, pid: Pid, status: i32) -> &'static str {
        // A leftover the drain SIGKILLed because it ignored the drain signal.
        let killed_in_drain = matches!(self.phase, Phase::Draining { .. })
            && self.record.contains(pid)
            && libc::WIFSIGNALED(status)
            && libc::WTERMSIG(status) == libc::SIGKILL;
        self.record.remove(pid);
        let killed = matches!(self.phase, Phase::Killed { .. });
        if pid == self.main && self.main > 0 {
            self.status = Some(status);
            if killed {
                self.stats.killed = self.stats.killed.saturating_add(1);
            }
            return "the main child exited: decided once the reaping pass is over";
        }
        let counter = match self.phase {
            _ if killed_in_drain => &mut self.stats.killed,
            Phase::Draining { .. } => &mut self.stats.terminated,
            Phase::Killed { .. } => &mut self.stats.killed,
            Phase::Waiting => &mut self.stats.waited,
            _ => &mut self.stats.orphans,
        };
        *counter = counter.saturating_add(1);
        "reaped a process that was not the main child"
    }
}

impl Machine<'_> {
    /// pidone found the container failing: the stop sequence, as if the stop signal came
    /// from outside (as the application would get it), bounded by the grace or, without
    /// one, by the drain's bound: pidone started this stop, so pidone owns its deadline.
    fn on_failed(&mut self, now: u64, failure: Failure, out: &mut Actions) -> &'static str {
        if self.phase != Phase::Running {
            return "already stopping or ending: the failure changes nothing";
        }
        self.cause = Cause::Failed(failure);
        if self.status.is_some() {
            return "the main child is already gone: its end goes on, with the failure's status";
        }
        let stop = self.cfg.shutdown.stop_signal;
        self.forward_stop(now, self.cfg.forward_as(stop).or(Some(stop)), out);
        if let Phase::Stopping {
            kill_at: None,
            group_reached,
        } = self.phase
        {
            self.phase = Phase::Stopping {
                kill_at: Some(after_ms(now, self.cfg.shutdown.drain_ms())),
                group_reached,
            };
        }
        "the container is failing: the stop sequence, and SIGKILL at the deadline"
    }
}
