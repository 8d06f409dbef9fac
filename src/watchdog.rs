//! The watchdog (issue 24, `--watchdog URL`): an application that stops answering is
//! stopped, so that a restart policy restarts it. Docker and Compose only mark such a
//! container `unhealthy`.
//!
//! Every interval (after the start period), pidone forks a probe: a child of its own that
//! runs `pidone health URL` (the same code, in the same binary) and exits 0 or 1. The
//! loop never waits for it: the probe's end comes back as SIGCHLD, like any child's, and
//! signals and reaping go on meanwhile; the probe bounds itself (health's 2 s timeout). A
//! failed probe writes its one-line reason to stderr. After `retries` consecutive
//! failures, the machine gets `Event::Failed(Unhealthy)`: the stop sequence, and exit
//! 134. The timer exists only with `--watchdog`: without it pidone never wakes when idle.

use crate::log::{Level, Log};
use crate::sys::{self, Pid};

/// What `--watchdog` and its timing options ask for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Watchdog<'a> {
    pub url: &'a [u8],
    pub interval_ms: u32,
    pub start_ms: u32,
    pub retries: u8,
}

/// The defaults `--help` states.
pub const INTERVAL_MS: u32 = 10_000;
pub const START_MS: u32 = 0;
pub const RETRIES: u8 = 3;

impl<'a> Watchdog<'a> {
    pub fn new(url: &'a [u8]) -> Self {
        Watchdog {
            url,
            interval_ms: INTERVAL_MS,
            start_ms: START_MS,
            retries: RETRIES,
        }
    }
}

/// The watchdog's state in the supervisor.
pub struct Dog<'a> {
    cfg: Option<Watchdog<'a>>,
    /// When the next probe starts (monotonic ns), while none is in flight.
    next_at: u64,
    /// The probe in flight, or 0.
    probe: Pid,
    failures: u8,
}

const NS_PER_MS: u64 = 1_000_000;

/// What a reaped process meant to the watchdog.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Reaped {
    /// Not a probe: the machine's.
    NotOurs,
    /// A probe; nothing to do.
    Probe,
    /// A probe, and the last failure allowed: the application is unhealthy.
    Unhealthy,
}

impl<'a> Dog<'a> {
    pub fn new(cfg: Option<Watchdog<'a>>, now: u64) -> Self {
        // Timing options without a URL change nothing.
        let cfg = cfg.filter(|w| !w.url.is_empty());
        // The first check ends the start period, or one interval when there is none.
        let first = cfg.map_or(0, |w| match w.start_ms {
            0 => u64::from(w.interval_ms),
            start => u64::from(start),
        });
        Dog {
            cfg,
            next_at: now.saturating_add(first.saturating_mul(NS_PER_MS)),
            probe: 0,
            failures: 0,
        }
    }

    /// When the loop must wake for the next probe; `None` without `--watchdog`, or while
    /// a probe is in flight (its SIGCHLD wakes the loop).
    pub fn deadline(&self) -> Option<u64> {
        (self.cfg.is_some() && self.probe == 0).then_some(self.next_at)
    }

    /// Starts a probe if one is due. `running`: the application runs and nobody asked it
    /// to stop (no probe during a stop).
    pub fn tick(&mut self, now: u64, running: bool, log: &Log) {
        let Some(cfg) = self.cfg else { return };
        if self.probe != 0 || now < self.next_at {
            return;
        }
        if !running {
            self.cfg = None;
            return;
        }
        match sys::fork() {
            Ok(0) => {
                let code = crate::health::main(|i| (i == 0).then_some(cfg.url));
                sys::exit_now(code)
            }
            Ok(pid) => self.probe = pid,
            Err(err) => {
                log.message(Level::Warn)
                    .str("watchdog: cannot start a probe: ")
                    .str(sys::strerror(err))
                    .emit();
                self.schedule(now, cfg);
            }
        }
    }

    fn schedule(&mut self, now: u64, cfg: Watchdog<'_>) {
        let every = u64::from(cfg.interval_ms).saturating_mul(NS_PER_MS);
        self.next_at = now.saturating_add(every);
    }

    /// A reaped process: a probe's end is counted here, and is not the machine's business.
    pub fn reaped(&mut self, pid: Pid, status: i32, now: u64, log: &Log) -> Reaped {
        let Some(cfg) = self.cfg.filter(|_| pid == self.probe && pid > 0) else {
            return Reaped::NotOurs;
        };
        self.probe = 0;
        self.schedule(now, cfg);
        if status == 0 {
            self.failures = 0;
            return Reaped::Probe;
        }
        self.failures = self.failures.saturating_add(1);
        if self.failures < cfg.retries {
            return Reaped::Probe;
        }
        // `pidone: unhealthy url=... failures=3`, then the stop sequence.
        log.event(Level::Error, "unhealthy")
            .text("url", cfg.url)
            .num("failures", i64::from(self.failures))
            .emit();
        self.cfg = None;
        Reaped::Unhealthy
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = NS_PER_MS;

    #[test]
    fn no_timer_without_the_option() {
        let dog = Dog::new(None, 0);
        assert_eq!(dog.deadline(), None);
    }

    #[test]
    fn counts_consecutive_failures_of_its_own_probes_only() {
        let mut w = Watchdog::new(b"tcp://127.0.0.1:1");
        w.retries = 2;
        w.start_ms = 5000;
        let mut dog = Dog::new(Some(w), 0);
        assert_eq!(dog.deadline(), Some(5000 * MS), "the start period first");
        let log = Log::default();
        dog.probe = 42;
        assert_eq!(
            dog.deadline(),
            None,
            "a probe in flight: its SIGCHLD wakes the loop"
        );
        assert_eq!(dog.reaped(7, 1 << 8, 0, &log), Reaped::NotOurs);
        assert_eq!(dog.reaped(42, 1 << 8, 6000 * MS, &log), Reaped::Probe);
        assert_eq!(dog.deadline(), Some(16000 * MS));
        dog.probe = 43;
        assert_eq!(dog.reaped(43, 0, 16000 * MS, &log), Reaped::Probe);
        dog.probe = 44;
        assert_eq!(dog.reaped(44, 1 << 8, 26000 * MS, &log), Reaped::Probe);
        dog.probe = 45;
        assert_eq!(dog.reaped(45, 1 << 8, 36000 * MS, &log), Reaped::Unhealthy);
        assert_eq!(dog.deadline(), None, "once stopping, no more probes");
    }
}
