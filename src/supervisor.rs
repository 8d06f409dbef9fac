//! The executor of `machine`: pidone's loop as PID 1. It takes signals, reaps, lists
//! children and reads the clock, feeds what happened to the machine, and performs the
//! actions it returns with system calls. It decides nothing itself.
//!
//! Every signal is blocked and taken synchronously with `sigtimedwait`, which waits with a
//! timeout only while a deadline (stop delay or grace period) is armed: an idle pidone
//! never wakes up. The kernel hands out the lowest-numbered pending signal first, so a
//! stream of one signal (a SIGHUP storm) would starve SIGCHLD (17) and SIGTERM (15): each
//! round looks at the pending set and takes SIGCHLD first, then the stop signal, then the
//! others in turn (each the next pending one above the last taken, wrapping around), and a
//! passed deadline comes before any of them.

use crate::config::Config;
use crate::log::{Level, Log};
use crate::machine::{Action, Event, Machine, NS_PER_MS, Note, Scope, Sent, Sweep, Who};
use crate::sys::{self, Errno, Pid, Reaped, SignalSet};

pub struct Supervisor<'c> {
    cfg: &'c Config<'c>,
    machine: Machine<'c>,
    log: Log,
    me: Pid,
    /// The main child (0 in pause mode).
    main: Pid,
    started_ns: u64,
    /// The last signal taken outside the priority ones: the next round starts after it.
    cursor: i32,
    exit: Option<i32>,
    /// `--on-oom` (issue 24): the OOM-kill counter, read when a SIGKILL death is reaped.
    oom: crate::oom::Watch,
    /// `--watchdog` (issue 24): its timer and the probe in flight.
    dog: crate::watchdog::Dog<'c>,
}

impl<'c> Supervisor<'c> {
    pub fn new(cfg: &'c Config<'c>, child: Pid) -> Self {
        let me = sys::getpid();
        Supervisor {
            cfg,
            machine: Machine::new(cfg, me == 1, child),
            log: cfg.log,
            me,
            main: child,
            started_ns: sys::now_ns(),
            cursor: 0,
            exit: None,
            oom: crate::oom::Watch::new(cfg.on_oom),
            dog: crate::watchdog::Dog::new(cfg.watchdog, sys::now_ns()),
        }
    }

    /// Runs until pidone should exit; returns the exit status. `taken`: real signals
    /// already taken from the pending set before the loop (see `terminal`).
    pub fn run(&mut self, taken: SignalSet) -> i32 {
        for sig in 1..=crate::signals::MAX {
            if taken.contains(sig) && self.exit.is_none() {
                self.feed(Event::Signal {
                    sig,
                    from_self: false,
                });
            }
        }
        loop {
            if let Some(code) = self.exit {
                self.report(code);
                self.termination_message(code);
                return code;
            }
            if self
                .machine
                .deadline()
                .is_some_and(|at| sys::now_ns() >= at)
            {
                self.feed(Event::Deadline);
                continue;
            }
            // Issue 24: a watchdog probe, if one is due; it runs as a child of its own.
            let running = self.machine.phase() == crate::machine::Phase::Running;
            self.dog.tick(sys::now_ns(), running, &self.log);
            match self.next_signal() {
                // A timeout: the deadline check above decides.
                None => {}
                Some(got) if got.signo == libc::SIGCHLD => self.reap(),
                Some(got) => self.feed(Event::Signal {
                    sig: got.signo,
                    from_self: got.sender == self.me,
                }),
            }
        }
    }

    /// The next signal: SIGCHLD first, then the stop signal, then the others round-robin;
    /// when none is pending, waits (until the deadline, or forever).
    fn next_signal(&mut self) -> Option<sys::Received> {
        let pending = sys::pending();
        if pending.is_empty() {
            // Nothing pending: the turn starts over, so signals that arrive together are
            // taken lowest first, in the kernel's order, as a marker-ordered test expects.
            let at = match (self.machine.deadline(), self.dog.deadline()) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let timeout = at.map(|at| at.saturating_sub(sys::now_ns()));
            let got = sys::wait_signal(SignalSet::ALL, timeout);
            self.cursor = got.map_or(0, |g| g.signo);
            return got;
        }
        let stop = self.cfg.shutdown.stop_signal;
        let pick = if pending.contains(libc::SIGCHLD) {
            libc::SIGCHLD
        } else if pending.contains(stop) {
            stop
        } else {
            let next = round_robin(pending.bits(), self.cursor);
            self.cursor = next;
            next
        };
        sys::wait_signal(SignalSet::of(pick), Some(0))
    }

    /// One event into the machine, and its actions out. A listing it asks for is read
    /// after the actions and fed back, a part of up to `LIST_CAP` processes at a time; the
    /// answer to a listing never asks for another (the exhaustive test checks it), and
    /// were it to, that request would be dropped: the loop cannot spin here.
    fn feed(&mut self, event: Event<'_>) {
        let Some((sweep, scope)) = self.step(event) else {
            return;
        };
        crate::procs::list(self.main, scope, |list| {
            let _ = self.step(Event::Listed { sweep, list });
            for kid in list.kids() {
                match kid.send {
                    Sent::Nothing => {}
                    Sent::Forward(sig) => self.send(Who::Pid(kid.pid), sig, "forwarded"),
                    Sent::Signal(sig) => self.send(Who::Pid(kid.pid), sig, "signalled"),
                }
                if kid.cont {
                    // The listing found it stopped.
                    self.send(Who::Pid(kid.pid), libc::SIGCONT, "continued");
                }
            }
        });
    }

    /// Steps the machine and performs the actions; returns the listing asked for, if any.
    fn step(&mut self, event: Event<'_>) -> Option<(Sweep, Scope)> {
        let out = self.machine.step(sys::now_ns(), event);
        if let Some(why) = out.why {
            if self.log.enabled(Level::Debug) {
                self.log
                    .event(Level::Debug, "decided")
                    .text("why", why.as_bytes())
                    .emit();
            }
        }
        let mut list = None;
        for action in out.actions.as_slice() {
            match *action {
                Action::Forward(who, sig) => self.send(who, sig, "forwarded"),
                Action::Signal(who, sig) => self.send(who, sig, "signalled"),
                Action::ContIfStopped(pid) => self.cont_if_stopped(pid),
                Action::List(sweep, scope) => list = Some((sweep, scope)),
                Action::StopSelf => {
                    // dumb-init's job control: stop with the child; SIGCONT resumes here.
                    let _ = sys::kill(self.me, libc::SIGSTOP);
                }
                Action::Log(note) => self.note(note),
                Action::Exit(code) => self.exit = Some(code),
            }
        }
        list
    }

    fn cont_if_stopped(&self, pid: Pid) {
        if pid > 0 && crate::procs::is_stopped(pid) {
            self.send(Who::Pid(pid), libc::SIGCONT, "continued");
        }
    }

    fn send(&self, who: Who, sig: i32, what: &str) {
        let target = match who {
            Who::Main => self.main,
            // A pid is positive, so its negation (the group) cannot overflow.
            Who::Group => self.main.saturating_neg(),
            Who::Everyone => -1,
            Who::Pid(pid) => pid,
        };
        // Pause mode has no main child: never kill(0) or kill(-0), which is our own group.
        if target == 0 {
            return;
        }
        match sys::kill(target, sig) {
            // Checked first: this is the signal path, once per signal.
            Ok(()) if !self.log.enabled(Level::Info) => {}
            Ok(()) => self
                .log
                .event(Level::Info, what)
                .signal("signal", sig)
                .num("pid", i64::from(target))
                .emit(),
            Err(err) => {
                let level = if err == Errno::ESRCH {
                    Level::Debug
                } else {
                    Level::Warn
                };
                if self.log.enabled(level) {
                    self.log
                        .event(level, "signal failed")
                        .signal("signal", sig)
                        .num("pid", i64::from(target))
                        .text("error", sys::strerror(err).as_bytes())
                        .emit();
                }
            }
        }
    }

    fn note(&self, note: Note) {
        let log = &self.log;
        match note {
            Note::Holding(sig, ms) => log
                .event(Level::Info, "holding")
                .signal("signal", sig)
                .num("delay_ms", clamp(ms))
                .emit(),
            Note::GraceStarted(ms) => log
                .event(Level::Info, "grace started")
                .num("grace_ms", clamp(ms))
                .emit(),
            Note::GraceExpired => log.event(Level::Warn, "grace expired").emit(),
            Note::Draining => log.event(Level::Info, "draining").emit(),
            Note::Dropped(sig) => log.event(Level::Info, "dropped").signal("signal", sig).emit(),
            Note::RecordFull => log
                .message(Level::Warn)
                .str("too many leftovers to signal one by one: the rest get it as earlier ones end, or at the deadline")
                .emit(),
            Note::Blind => log
                .message(Level::Warn)
                .str("leftovers outside the process group could not be found (no /proc): exiting without them")
                .emit(),
            Note::Vanished => log
                .message(Level::Error)
                .str("main child vanished without an exit status")
                .emit(),
        }
    }

    /// Drains every exited child into the machine, then tells it the pass is over.
    fn reap(&mut self) {
        loop {
            match self.oom.reap() {
                Reaped::Child(pid, status) => {
                    use crate::watchdog::Reaped as Probe;
                    match self.dog.reaped(pid, status, sys::now_ns(), &self.log) {
                        Probe::NotOurs => {}
                        Probe::Probe => continue,
                        Probe::Unhealthy => {
                            self.feed(Event::Failed(crate::machine::Failure::Unhealthy));
                            continue;
                        }
                    }
                    self.log_reaped(pid, status);
                    self.feed(Event::Reaped { pid, status });
                    // Issue 24: an OOM kill is named; under --on-oom exit it ends the run.
                    if self.oom.take(&self.log) && self.cfg.on_oom == crate::oom::OnOom::Exit {
                        self.feed(Event::Failed(crate::machine::Failure::Oom));
                    }
                }
                Reaped::NoneExited => return self.feed(Event::ReapDone { none_left: false }),
                Reaped::NoChildren => return self.feed(Event::ReapDone { none_left: true }),
            }
        }
    }

    fn log_reaped(&self, pid: Pid, status: i32) {
        let (level, what) = if pid == self.main {
            (Level::Info, "child exited")
        } else {
            (self.cfg.reap_level, "reaped")
        };
        // Checked first: this runs once per orphan, and building even a discarded line
        // costs a 512-byte buffer each time.
        if self.log.enabled(level) {
            self.log
                .event(level, what)
                .num("pid", i64::from(pid))
                .status(status)
                .emit();
        }
    }

    /// The exit report (`-v`): how the application ended and what pidone cleaned up.
    fn report(&self, code: i32) {
        if !self.log.enabled(Level::Info) {
            return;
        }
        let ran_ms = sys::now_ns().saturating_sub(self.started_ns) / NS_PER_MS;
        let stats = self.machine.stats();
        let mut event = self
            .log
            .event(Level::Info, "exit")
            .num("code", i64::from(code));
        if let Some(status) = self.machine.status() {
            event = event.status(status);
        }
        // New fields go before the established three, which scripts (and tests) read at
        // the end of the line. The last line: it may wait a moment for a full stderr.
        crate::log::sink::await_room();
        event
            .num("ran_ms", clamp(ran_ms))
            .num("waited_for", i64::from(stats.waited))
            // Lines stderr could not take at once: dropped rather than block PID 1.
            .num("log_dropped", i64::from(crate::log::dropped()))
            .num("oom_killed", i64::from(self.oom.kills))
            .num("orphans_reaped", i64::from(stats.orphans))
            .num("leftovers_terminated", i64::from(stats.terminated))
            .num("killed", i64::from(stats.killed))
            .emit();
    }
}

impl Supervisor<'_> {
    /// Issue 24: the one-line termination message, if there is a file for it.
    fn termination_message(&self, code: i32) {
        let (cause, expired) = self.machine.ending();
        let line = crate::termlog::ended(&crate::termlog::Summary {
            code,
            status: self.machine.status(),
            cause,
            expired,
            stats: self.machine.stats(),
            oom: self.oom.last(),
        });
        crate::termlog::write(self.cfg.termination_log, line);
    }
}

fn clamp(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The first pending signal after `after`, wrapping around (`pending` is not empty).
fn round_robin(pending: u64, after: i32) -> i32 {
    let after = u32::try_from(after).unwrap_or(0).min(64);
    // Bits above `after` (signal n is bit n-1: bits at index >= after are signals > after).
    let above = pending
        .checked_shr(after)
        .map_or(0, |p| p.checked_shl(after).unwrap_or(0));
    let from = if above != 0 { above } else { pending };
    i32::try_from(from.trailing_zeros()).map_or(1, |bit| bit.saturating_add(1))
}

#[cfg(test)]
mod tests {
    use super::round_robin;

    #[test]
    fn round_robin_takes_turns() {
        let set = 1u64 | 1 << 2 | 1 << 63; // signals 1, 3, 64
        assert_eq!(round_robin(set, 0), 1);
        assert_eq!(round_robin(set, 1), 3);
        assert_eq!(round_robin(set, 3), 64);
        assert_eq!(round_robin(set, 64), 1);
        assert_eq!(round_robin(1 << 4, 9), 5);
    }
}
