//! The signal loop: pidone's whole life as PID 1, as a state machine.
//!
//! Every signal is blocked and taken synchronously with `sigtimedwait`, which waits with a
//! timeout only while a deadline (stop delay or grace period) is running: an idle pidone
//! never wakes up. Each wake-up is one of three events: SIGCHLD (reap), another signal
//! (forward it), or the deadline (forward a held signal, or SIGKILL what is left).

use crate::config::{Config, JobControl, Leftovers, Start, Target};
use crate::log::{Level, Log};
use crate::sys::{self, Pid, Reaped};

/// Where shutdown stands.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    /// The application runs; nobody has asked it to stop.
    Running,
    /// A termination signal is held for the stop delay before it is forwarded.
    Delaying { sig: i32, forward_at: u64 },
    /// A termination signal was forwarded; at `kill_at` everything left is SIGKILLed.
    Stopping { kill_at: u64 },
    /// The main child has exited; what it left running got SIGTERM and has until `kill_at`.
    Draining { kill_at: u64 },
    /// SIGKILL was sent; what is left is only waiting to be reaped.
    Killed,
}

/// Counts for the exit report.
#[derive(Default)]
struct Stats {
    /// Processes reaped that were not the main child, before any drain.
    orphans: u32,
    /// Leftovers that ended during the drain after SIGTERM.
    terminated: u32,
    /// Processes reaped after pidone sent SIGKILL.
    killed: u32,
}

pub struct Supervisor<'c> {
    cfg: &'c Config<'c>,
    log: Log,
    pid1: bool,
    /// The main child (0 in pause mode, which has none).
    child: Pid,
    /// Its wait status, once reaped.
    status: Option<i32>,
    state: State,
    started_ns: u64,
    stats: Stats,
    /// Set when pidone is done, to the status it exits with.
    exit: Option<i32>,
    /// Not PID 1 and its children could not be listed (no /proc): leftovers that left the
    /// process group cannot be signalled, so pidone must not wait for them.
    blind: bool,
}

const NS_PER_MS: u64 = 1_000_000;

fn is_termination(sig: i32) -> bool {
    matches!(sig, libc::SIGTERM | libc::SIGINT | libc::SIGQUIT)
}

impl<'c> Supervisor<'c> {
    pub fn new(cfg: &'c Config<'c>, child: Pid) -> Self {
        Supervisor {
            cfg,
            log: cfg.log,
            pid1: sys::getpid() == 1,
            child,
            status: None,
            state: State::Running,
            started_ns: sys::now_ns(),
            stats: Stats::default(),
            exit: None,
            blind: false,
        }
    }

    /// Runs until pidone should exit; returns the exit status.
    pub fn run(&mut self) -> i32 {
        loop {
            match sys::wait_signal(sys::ALL_SIGNALS, self.timeout()) {
                None => self.on_deadline(),
                Some(got) if got.signo == libc::SIGCHLD => self.reap(),
                Some(got) => self.on_signal(got.signo),
            }
            if let Some(code) = self.exit {
                self.report(code);
                return code;
            }
        }
    }

    /// How long the next wait may block: until the state's deadline, or forever.
    fn timeout(&self) -> Option<u64> {
        let deadline = match self.state {
            State::Delaying { forward_at, .. } => forward_at,
            State::Stopping { kill_at } | State::Draining { kill_at } => kill_at,
            State::Running | State::Killed => return None,
        };
        Some(deadline.saturating_sub(sys::now_ns()))
    }

    fn grace_ms(&self) -> u64 {
        self.cfg.shutdown.grace_ms.unwrap_or(10_000)
    }

    fn drain(&self) -> bool {
        matches!(
            self.cfg.shutdown.leftovers,
            Leftovers::Drain | Leftovers::TermGroup
        )
    }

    fn group(&self) -> bool {
        self.cfg.target == Target::Group
    }

    fn grace_deadline(&self) -> u64 {
        sys::now_ns().saturating_add(self.grace_ms().saturating_mul(NS_PER_MS))
    }

    fn on_signal(&mut self, sig: i32) {
        if self.child == 0 {
            // Pause mode: nothing to forward to; TERM and INT end it, like catatonit -P.
            if matches!(sig, libc::SIGTERM | libc::SIGINT) {
                self.exit = Some(0);
            }
            return;
        }
        let to = self.cfg.forward_as(sig).unwrap_or(0);
        let stop_delay_ms = self.cfg.shutdown.stop_delay_ms;
        if is_termination(sig) && to != 0 {
            match self.state {
                State::Running if stop_delay_ms > 0 => {
                    // Hold it: load balancers are still sending traffic to the app.
                    let forward_at =
                        sys::now_ns().saturating_add(stop_delay_ms.saturating_mul(NS_PER_MS));
                    self.log
                        .event(Level::Info, "holding")
                        .signal("signal", sig)
                        .num("delay_ms", stop_delay_ms as i64)
                        .emit();
                    self.state = State::Delaying { sig, forward_at };
                    return;
                }
                // The first termination signal (or a second one cutting the delay short)
                // starts the grace period.
                State::Running | State::Delaying { .. } => {
                    self.forward(sig, to);
                    self.start_grace();
                    return;
                }
                _ => {}
            }
        }
        self.forward(sig, to);
    }

    fn start_grace(&mut self) {
        if self.child > 0 && self.status.is_none() && sys::is_stopped(self.child) {
            // A stopped application (Ctrl-Z, SIGTSTP) acts on the termination signal only
            // once it runs again; without this it would sit out the grace and die by KILL.
            self.forward(libc::SIGCONT, libc::SIGCONT);
        }
        self.log
            .event(Level::Info, "grace started")
            .num("grace_ms", self.grace_ms() as i64)
            .emit();
        self.state = State::Stopping {
            kill_at: self.grace_deadline(),
        };
    }

    /// Sends `to` (what `sig` is rewritten as) to the child or its process group.
    fn forward(&mut self, sig: i32, to: i32) {
        if to == 0 {
            self.log
                .event(Level::Info, "dropped")
                .signal("signal", sig)
                .emit();
            return;
        }
        // Once the main child is reaped its pid may be reused by a stranger: only its group
        // (whose id cannot be reused while a member lives) is still a safe target.
        if self.status.is_some() && !self.group() {
            return;
        }
        let target = if self.group() {
            -self.child
        } else {
            self.child
        };
        match sys::kill(target, to) {
            // Checked first, as in `reap`: this is the signal path, once per signal.
            Ok(()) if !self.log.enabled(Level::Info) => {}
            Ok(()) => self
                .log
                .event(Level::Info, "forwarded")
                .signal("signal", to)
                .num("pid", i64::from(target))
                .emit(),
            Err(err) => self
                .log
                .event(
                    if err == libc::ESRCH {
                        Level::Debug
                    } else {
                        Level::Warn
                    },
                    "forward failed",
                )
                .signal("signal", to)
                .num("pid", i64::from(target))
                .text("error", sys::strerror(err).as_bytes())
                .emit(),
        }
        let stop_self =
            self.cfg.job_control == JobControl::StopSelf && self.cfg.start == Start::Session;
        if stop_self && to == libc::SIGSTOP {
            // dumb-init stops itself with its child so a shell's job control sees it stop.
            let _ = sys::kill(sys::getpid(), libc::SIGSTOP);
        }
    }

    fn on_deadline(&mut self) {
        match self.state {
            State::Delaying { sig, .. } => {
                let to = self.cfg.forward_as(sig).unwrap_or(0);
                self.forward(sig, to);
                self.start_grace();
            }
            State::Stopping { .. } | State::Draining { .. } => {
                self.log
                    .event(Level::Warn, "grace expired")
                    .num("grace_ms", self.grace_ms() as i64)
                    .emit();
                self.signal_everything(libc::SIGKILL);
                self.state = State::Killed;
                // Decide now rather than on the next SIGCHLD, which never comes when all
                // that is left is out of reach (see `blind`).
                self.reap();
            }
            // No deadline in these states; a spurious wake-up changes nothing.
            State::Running | State::Killed => {}
        }
    }

    /// Sends `sig` to the child's process group and to every other process pidone is
    /// responsible for: the whole PID namespace when PID 1 (kill(-1) is only safe there),
    /// otherwise its own children, the orphans re-parented to it as subreaper.
    fn signal_everything(&mut self, sig: i32) {
        if self.child > 0 {
            let _ = sys::kill(-self.child, sig);
        }
        if self.pid1 {
            let _ = sys::kill(-1, sig);
        } else if !crate::children::signal_children(sig) {
            self.blind = true;
        }
        self.log
            .event(Level::Info, "signalled all")
            .signal("signal", sig)
            .emit();
    }

    /// Drains every exited child, then decides what the main child's exit means.
    fn reap(&mut self) {
        let none_left = loop {
            match sys::reap_one() {
                Reaped::Child(pid, status) if pid == self.child => {
                    self.status = Some(status);
                    self.log
                        .event(Level::Info, "child exited")
                        .num("pid", i64::from(pid))
                        .status(status)
                        .emit();
                }
                Reaped::Child(pid, status) => {
                    let counter = match self.state {
                        State::Draining { .. } => &mut self.stats.terminated,
                        State::Killed => &mut self.stats.killed,
                        _ => &mut self.stats.orphans,
                    };
                    *counter = counter.saturating_add(1);
                    let level = self.cfg.reap_level;
                    // Checked first: this runs once per orphan, and building even a
                    // discarded line costs a 512-byte buffer each time.
                    if self.log.enabled(level) {
                        self.log
                            .event(level, "reaped")
                            .num("pid", i64::from(pid))
                            .status(status)
                            .emit();
                    }
                }
                Reaped::NoneExited => break false,
                Reaped::NoChildren => break true,
            }
        };
        self.after_reap(none_left);
    }

    fn after_reap(&mut self, none_left: bool) {
        let Some(status) = self.status else {
            if none_left && self.child > 0 {
                // Our own child can only be reaped by us; if it is gone without a status,
                // something outside broke the rules. Exiting beats hanging forever.
                self.log
                    .message(Level::Error)
                    .str("main child vanished without an exit status")
                    .emit();
                self.exit = Some(1);
            }
            return;
        };
        let code = self.cfg.exit_code(exit_status(status));
        match self.state {
            State::Running | State::Delaying { .. } | State::Stopping { .. } => {
                if !self.drain() || none_left {
                    self.exit = Some(code);
                    return;
                }
                // Leftovers (daemons, background jobs): TERM them, and CONT so a stopped
                // one can act on it, then give them what is left of the grace period.
                let kill_at = match self.state {
                    State::Stopping { kill_at } => kill_at,
                    _ => self.grace_deadline(),
                };
                self.log.event(Level::Info, "draining").emit();
                self.signal_everything(libc::SIGTERM);
                self.signal_everything(libc::SIGCONT);
                self.state = State::Draining { kill_at };
            }
            State::Draining { .. } | State::Killed => {
                // After SIGKILL, a blind pidone has done all it can: what is left outside
                // the group was never reachable, and waiting for it would never end.
                let unreachable = self.blind && self.state == State::Killed;
                if unreachable && !none_left {
                    self.log
                        .message(Level::Warn)
                        .str("leftovers outside the process group could not be found (no /proc): exiting without them")
                        .emit();
                }
                if none_left || !self.drain() || unreachable {
                    self.exit = Some(code);
                }
            }
        }
    }

    /// The exit report (`-v`): how the application ended and what pidone cleaned up.
    fn report(&self, code: i32) {
        let ran_ms = sys::now_ns().saturating_sub(self.started_ns) / NS_PER_MS;
        let mut event = self
            .log
            .event(Level::Info, "exit")
            .num("code", i64::from(code));
        if let Some(status) = self.status {
            event = event.status(status);
        }
        event
            .num("ran_ms", ran_ms as i64)
            .num("orphans_reaped", i64::from(self.stats.orphans))
            .num("leftovers_terminated", i64::from(self.stats.terminated))
            .num("killed", i64::from(self.stats.killed))
            .emit();
    }
}

/// A wait status as a shell reports it: the exit code, or 128+N for death by signal N.
pub fn exit_status(status: i32) -> i32 {
    if libc::WIFSIGNALED(status) {
        128 + libc::WTERMSIG(status)
    } else {
        libc::WEXITSTATUS(status)
    }
}
