//! The decisions, checked exhaustively: every sequence of events up to `DEPTH`,
//! in every configuration, against a small world of processes, with the invariants checked
//! after every event. The world: the main child (100, leader of its group), A (201, in
//! the group), B (202, setsid'd away) and C (203, setsid'd away, ignoring SIGTERM); all
//! but C stopped until continued. They are the main child's children, and become pidone's
//! when it is reaped (as PID 1 or a subreaper); W (204, in the group) is A's child, a
//! pre-fork master's worker, and becomes pidone's when A exits. Each may exit at any
//! point. The executor's part is played here: a listing the machine asks for is answered
//! from the world in the same event, as `supervisor` does, whole or (`paged`) one process
//! at a time.

#![allow(clippy::arithmetic_side_effects)] // test code: times and counts far from any bound

use std::collections::HashMap;
use std::format;
use std::string::String;
use std::vec::Vec;

use super::super::*;
use super::{kid_actions, sig};
use crate::config::{Config, Leftovers, Mode, NotPid1, Personality, Target};

const MAIN: Pid = 100;
const A: Pid = 201;
const B: Pid = 202;
const C: Pid = 203;
const W: Pid = 204;
const N: usize = 5;
const PROCS: [Pid; N] = [MAIN, A, B, C, W];
/// How many events each sequence has: the depth that runs in a few seconds in debug.
pub const DEPTH: usize = 5;
const STEP_NS: u64 = 100 * NS_PER_MS;

fn idx(p: Pid) -> usize {
    PROCS.iter().position(|q| *q == p).unwrap_or(0)
}

fn in_group(p: Pid) -> bool {
    p == MAIN || p == A || p == W
}

/// What the checker knows of the processes and of what happened so far.
#[derive(Clone, Debug)]
struct World {
    /// Not exited (the main child: not reaped).
    alive: [bool; N],
    /// A child of pidone (the main child always; the others once it is reaped, as PID 1 or
    /// as a subreaper).
    ours: [bool; N],
    stopped: [bool; N],
    now: u64,
    /// When the stop signal went out (the grace runs from there), and when the drain after
    /// the application's own exit began (its bound runs from there).
    grace_from: Option<u64>,
    drain_from: Option<u64>,
    main_status: Option<i32>,
    /// pidone stopped the application itself (`Event::Failed` while it ran).
    failed: bool,
    exited: bool,
    /// pidone's own signals (not SIGKILL, not SIGCONT) each process got so far.
    own: [u8; N],
    /// The events so far, to name a failing sequence.
    trail: [Option<Ev>; DEPTH],
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ev {
    Stop,
    Int,
    Quit,
    OwnPipe,
    Deadline,
    /// A process of the container was OOM-killed (`--on-oom exit`).
    Oom,
    Exit(Pid),
}

const EVENTS: [Ev; 11] = [
    Ev::Stop,
    Ev::Int,
    Ev::Quit,
    Ev::OwnPipe,
    Ev::Deadline,
    Ev::Oom,
    Ev::Exit(MAIN),
    Ev::Exit(A),
    Ev::Exit(B),
    Ev::Exit(C),
    Ev::Exit(W),
];

/// One input to the machine within an event: a plain event, or the answer to a listing.
struct Reach {
    /// Signals as (pid, signal), expanded to the processes they reach.
    to: Vec<(Pid, i32)>,
    /// The processes SIGCONT reached.
    conts: Vec<Pid>,
    exits: Vec<i32>,
}

struct Checker<'c> {
    cfg: &'c Config<'c>,
    pid1: bool,
    paused: bool,
    /// Listings come one process at a time, as past `LIST_CAP`.
    paged: bool,
    sequences: u64,
    steps: u64,
    failures: Vec<String>,
}

impl<'c> Checker<'c> {
    fn fail(&mut self, w: &World, what: String) {
        if self.failures.len() < 20 {
            self.failures.push(format!(
                "{what}\n    config: pid1={} paged={} {:?} {:?} grace={:?} delay={} {:?}\n    events: {}",
                self.pid1,
                self.paged,
                self.cfg.personality,
                self.cfg.target,
                self.cfg.shutdown.grace_ms,
                self.cfg.shutdown.stop_delay_ms,
                self.cfg.shutdown.leftovers,
                w.trail
                    .iter()
                    .flatten()
                    .map(|e| format!("{e:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }

    fn reparents(&self) -> bool {
        self.pid1 || self.cfg.not_pid1 == NotPid1::Subreaper
    }

    fn explore(&mut self, m: &Machine<'c>, w: &World, depth: usize) {
        if depth == DEPTH || w.exited {
            self.sequences += 1;
            return;
        }
        for ev in EVENTS {
            let applicable = match ev {
                Ev::Deadline => m.deadline().is_some(),
                // Once per sequence (a second changes nothing), under pidone's name (its
                // configurations cover every target and leftovers mode but dumb-init's),
                // and not again with listings in parts: seconds, not minutes.
                Ev::Oom => {
                    !self.paused
                        && !self.paged
                        && self.cfg.personality == Personality::Pidone
                        && !w.trail.contains(&Some(Ev::Oom))
                }
                Ev::Exit(p) => !self.paused && w.alive[idx(p)],
                _ => true,
            };
            if !applicable {
                continue;
            }
            let mut m2 = m.clone();
            let mut w2 = w.clone();
            self.event(&mut m2, &mut w2, ev);
            self.explore(&m2, &w2, depth + 1);
        }
    }

    /// One event as the executor delivers it: the machine's steps, each answered listing
    /// included, and then the invariants.
    fn event(&mut self, m: &mut Machine<'c>, w: &mut World, ev: Ev) {
        self.steps += 1;
        if let Some(slot) = w.trail.iter_mut().find(|e| e.is_none()) {
            *slot = Some(ev);
        }
        let before = m.phase();
        let deadline_before = m.deadline();
        w.now = match ev {
            Ev::Deadline => deadline_before.unwrap_or(w.now).max(w.now),
            _ => w.now + STEP_NS,
        };
        let stop = self.cfg.shutdown.stop_signal;
        let events: Vec<Event<'static>> = match ev {
            Ev::Stop => std::vec![sig(stop)],
            Ev::Int => std::vec![sig(libc::SIGINT)],
            Ev::Quit => std::vec![sig(libc::SIGQUIT)],
            Ev::OwnPipe => std::vec![Event::Signal {
                sig: libc::SIGPIPE,
                from_self: true,
            }],
            Ev::Deadline => std::vec![Event::Deadline],
            Ev::Oom => {
                w.failed |= before == Phase::Running;
                std::vec![Event::Failed(Failure::Oom)]
            }
            Ev::Exit(MAIN) => {
                w.alive[0] = false;
                w.main_status = Some(3 << 8);
                if self.reparents() {
                    for p in [A, B, C] {
                        w.ours[idx(p)] = w.alive[idx(p)];
                    }
                }
                let none_left = !(1..N).any(|i| w.alive[i] && w.ours[i]);
                std::vec![
                    Event::Reaped {
                        pid: MAIN,
                        status: 3 << 8
                    },
                    Event::ReapDone { none_left }
                ]
            }
            Ev::Exit(p) => {
                let i = idx(p);
                w.alive[i] = false;
                if p == A && self.reparents() {
                    // The worker's parent is gone: it comes to pidone.
                    w.ours[idx(W)] = w.alive[idx(W)];
                }
                if !w.ours[i] {
                    // The main child reaps it, or the system's init: pidone sees nothing.
                    Vec::new()
                } else {
                    let none_left = !(0..N).any(|i| w.alive[i] && w.ours[i]);
                    std::vec![
                        Event::Reaped { pid: p, status: 0 },
                        Event::ReapDone { none_left }
                    ]
                }
            }
        };
        let mut sent = Reach {
            to: Vec::new(),
            conts: Vec::new(),
            exits: Vec::new(),
        };
        for e in events {
            if w.exited {
                break;
            }
            self.step(m, w, e, &mut sent, ev, deadline_before, before);
        }
        self.after(m, w, &sent, ev, before);
    }

    #[allow(clippy::too_many_arguments)]
    fn step(
        &mut self,
        m: &mut Machine<'c>,
        w: &mut World,
        e: Event<'_>,
        sent: &mut Reach,
        ev: Ev,
        deadline_before: Option<u64>,
        before: Phase,
    ) {
        let out = m.step(w.now, e);
        let acts = out.actions.as_slice().to_vec();
        if acts.len() >= Actions::CAP {
            self.fail(w, format!("a step fills the action list: {acts:?}"));
        }
        let lists: Vec<_> = acts
            .iter()
            .filter_map(|a| match a {
                Action::List(s, scope) => Some((*s, *scope)),
                _ => None,
            })
            .collect();
        if lists.len() > 1 {
            self.fail(w, format!("more than one listing in a step: {acts:?}"));
        }
        self.perform(m, w, &acts, sent, false, ev, deadline_before, before);
        let Some(&(sweep, scope)) = lists.first() else {
            return;
        };
        // Paged, each process is a listing of its own, as past `LIST_CAP`. The executor reads
        // a part's first process from /proc before the previous part's actions are done (it
        // learns the part is full only then), so each page here is read one page early.
        let shown = self.shown(w, scope);
        let pages: Vec<&[Pid]> = match self.paged {
            true if !shown.is_empty() => shown.chunks(1).collect(),
            _ => std::vec![&shown[..]],
        };
        let read = |w: &World, page: &[Pid]| {
            let mut list = Listing::new();
            for &p in page {
                let mut kid = Kid::new(p, in_group(p));
                kid.stopped = w.stopped[idx(p)];
                if p == C {
                    kid.ignored = 1 << (libc::SIGTERM - 1);
                }
                list.push(kid);
            }
            list
        };
        let mut next = read(w, pages[0]);
        for n in 0..pages.len() {
            if w.exited {
                break;
            }
            let mut list = next;
            if let Some(page) = pages.get(n + 1) {
                next = read(w, page);
            }
            list.last = n + 1 == pages.len();
            let held = list.kids().iter().any(|k| k.in_group);
            let out = m.step(
                w.now,
                Event::Listed {
                    sweep,
                    list: &mut list,
                },
            );
            let mut acts = out.actions.as_slice().to_vec();
            if acts.iter().any(|a| matches!(a, Action::List(..))) {
                self.fail(
                    w,
                    format!("the answer to a listing asks for another: {acts:?}"),
                );
            }
            acts.extend(kid_actions(&list));
            self.perform(m, w, &acts, sent, held, ev, deadline_before, before);
        }
    }

    /// The processes a listing of `scope` shows.
    fn shown(&self, w: &World, scope: Scope) -> Vec<Pid> {
        PROCS
            .iter()
            .copied()
            .filter(|&p| {
                let i = idx(p);
                w.alive[i]
                    && match scope {
                        Scope::Children => w.ours[i] && p != MAIN,
                        Scope::Group => in_group(p),
                    }
            })
            .collect()
    }

    /// Checks each action against what pidone holds, and records what it reaches.
    #[allow(clippy::too_many_arguments)]
    fn perform(
        &mut self,
        m: &Machine<'c>,
        w: &mut World,
        acts: &[Action],
        sent: &mut Reach,
        held_by_listing: bool,
        ev: Ev,
        deadline_before: Option<u64>,
        before: Phase,
    ) {
        let main_held = w.alive[0];
        for a in acts {
            let (who, s) = match *a {
                Action::Forward(who, s) | Action::Signal(who, s) => (who, s),
                // The executor looks first: nothing is sent to one that is not stopped.
                Action::ContIfStopped(p) if !w.stopped[idx(p)] => continue,
                Action::ContIfStopped(p) => (Who::Pid(p), libc::SIGCONT),
                Action::Exit(code) => {
                    sent.exits.push(code);
                    w.exited = true;
                    continue;
                }
                _ => continue,
            };
            let reached: Vec<Pid> = match who {
                Who::Main => {
                    if !main_held {
                        self.fail(w, format!("{a:?} after the main child was reaped"));
                    }
                    std::vec![MAIN]
                }
                Who::Group => {
                    // dumb-init's own SIGTERM to the group at the child's exit, as the
                    // original sends it.
                    let dumb_init = self.cfg.shutdown.leftovers == Leftovers::TermGroup
                        && matches!(ev, Ev::Exit(MAIN));
                    if !main_held && !held_by_listing && !dumb_init {
                        self.fail(w, format!("{a:?}: a group pidone no longer holds"));
                    }
                    PROCS
                        .iter()
                        .copied()
                        .filter(|p| in_group(*p) && w.alive[idx(*p)])
                        .collect()
                }
                Who::Everyone => {
                    if !self.pid1 {
                        self.fail(w, format!("{a:?} when not PID 1"));
                    }
                    PROCS.iter().copied().filter(|p| w.alive[idx(*p)]).collect()
                }
                Who::Pid(p) => {
                    let i = idx(p);
                    let held = w.alive[i] && (w.ours[i] || self.pid1);
                    if !held {
                        self.fail(w, format!("{a:?}: a pid pidone no longer holds"));
                    }
                    std::vec![p]
                }
            };
            let own = matches!(a, Action::Signal(..)) && s != libc::SIGKILL && s != libc::SIGCONT;
            let dumb_init = self.cfg.shutdown.leftovers == Leftovers::TermGroup;
            let forward = matches!(a, Action::Forward(..)) && self.cfg.target == Target::Child;
            for p in reached {
                // The drain signals only pidone's own children: a process whose parent
                // lives (a master's worker) is its parent's business.
                if own && !main_held && !dumb_init && !w.ours[idx(p)] {
                    self.fail(w, format!("{a:?} reaches {p}, not a child of pidone"));
                }
                // So does a forward once the main child is gone, unless `-g` asks for the
                // group: pidone's children stand in for the main process.
                if forward && !main_held && !w.ours[idx(p)] {
                    self.fail(w, format!("{a:?} reaches {p}, not a child of pidone"));
                }
                if own {
                    w.own[idx(p)] += 1;
                    if w.own[idx(p)] > 1 {
                        self.fail(w, format!("{a:?}: {p} got pidone's own signal twice"));
                    }
                }
                if s == libc::SIGCONT {
                    w.stopped[idx(p)] = false;
                    sent.conts.push(p);
                    continue;
                }
                if s == libc::SIGKILL {
                    self.check_kill(m, w, p, ev, deadline_before, before);
                }
                sent.to.push((p, s));
            }
        }
    }

    /// Nothing is SIGKILLed before a set grace or the drain's bound ends, and never
    /// without one; the one exception is a leftover that ignores the drain's signal.
    fn check_kill(
        &mut self,
        m: &Machine<'c>,
        w: &World,
        p: Pid,
        ev: Ev,
        deadline_before: Option<u64>,
        before: Phase,
    ) {
        let ignorer = p == C && !w.alive[0];
        if ignorer {
            let drain_term = matches!(
                m.phase(),
                Phase::Draining {
                    sig: libc::SIGTERM,
                    ..
                }
            ) || matches!(
                before,
                Phase::Draining {
                    sig: libc::SIGTERM,
                    ..
                }
            );
            if drain_term || matches!(m.phase(), Phase::Killed { .. }) {
                return;
            }
        }
        if matches!(before, Phase::Killed { .. }) {
            return;
        }
        let due = matches!(ev, Ev::Deadline) && deadline_before.is_some_and(|d| w.now >= d);
        let grace_over = self
            .cfg
            .shutdown
            .grace_ms
            .is_some_and(|g| w.grace_from.is_some_and(|s| w.now >= s + g * NS_PER_MS));
        let drain_over = w
            .drain_from
            .is_some_and(|e| w.now >= e + self.cfg.shutdown.drain_ms() * NS_PER_MS);
        if !(due && (grace_over || drain_over)) {
            self.fail(
                w,
                format!(
                    "SIGKILL to {p} at {} ms without a bound that ended",
                    w.now / NS_PER_MS
                ),
            );
        }
    }

    fn after(&mut self, m: &Machine<'c>, w: &mut World, sent: &Reach, ev: Ev, before: Phase) {
        // The grace runs from the stop signal's forwarding; the drain's bound from the
        // application's own exit.
        let stopping = |p: Phase| matches!(p, Phase::Stopping { .. });
        if stopping(m.phase()) && !stopping(before) {
            w.grace_from = Some(w.now);
        }
        if matches!(before, Phase::Waiting) && matches!(m.phase(), Phase::Draining { .. }) {
            w.grace_from = Some(w.now);
        }
        if matches!(ev, Ev::Exit(MAIN))
            && matches!(before, Phase::Running | Phase::Delaying { .. })
            && w.grace_from.is_none()
        {
            w.drain_from = Some(w.now);
        }
        // A stop pidone starts itself is bounded as a drain is: pidone owns its deadline.
        if ev == Ev::Oom && before == Phase::Running {
            w.drain_from = Some(w.now);
        }
        // At most one of pidone's signals per process per event, an ignored one aside.
        let mut count: HashMap<Pid, Vec<i32>> = HashMap::new();
        for &(p, s) in &sent.to {
            let ignored = p == C && s == libc::SIGTERM;
            if !ignored {
                count.entry(p).or_default().push(s);
            }
        }
        for (p, sigs) in count {
            if sigs.len() > 1 {
                self.fail(w, format!("{p} got {sigs:?} in one event"));
            }
        }
        // And at most one SIGCONT.
        for p in PROCS {
            if sent.conts.iter().filter(|c| **c == p).count() > 1 {
                self.fail(w, format!("{p} got SIGCONT twice in one event"));
            }
        }
        // Exactly once, with the documented status.
        if sent.exits.len() > 1 {
            self.fail(w, format!("exits twice: {:?}", sent.exits));
        }
        if let Some(&code) = sent.exits.first() {
            let want = match (self.paused, w.main_status) {
                (true, _) => 0,
                _ if w.failed => Failure::Oom.exit_code(),
                (false, Some(status)) => self.cfg.status_code(status),
                (false, None) => 1,
            };
            if code != want {
                self.fail(w, format!("exit {code}, documented {want}"));
            }
            if m.phase() != Phase::Done {
                self.fail(w, format!("exited in {:?}", m.phase()));
            }
        }
        // Not stuck: once the main child is reaped and pidone has no child left, it has
        // exited (nothing would ever wake it again).
        let none_ours = !(0..N).any(|i| w.alive[i] && w.ours[i]);
        if !self.paused && !w.alive[0] && none_ours && !w.exited {
            self.fail(
                w,
                format!("stuck in {:?}: nothing left to wait for", m.phase()),
            );
        }
    }
}

/// Every configuration: each name's defaults, then the options that change a decision.
fn configs() -> Vec<Config<'static>> {
    let mut all = Vec::new();
    for personality in [
        Personality::Pidone,
        Personality::Tini,
        Personality::DumbInit,
        Personality::Catatonit,
    ] {
        let targets: &[Option<Target>] = match personality {
            Personality::Pidone => &[None, Some(Target::Group)],
            _ => &[None],
        };
        let leftovers: &[Option<Leftovers>] = match personality {
            Personality::Pidone => &[None, Some(Leftovers::Leave), Some(Leftovers::WaitAll)],
            _ => &[None, Some(Leftovers::Drain)],
        };
        for &target in targets {
            for &left in leftovers {
                for grace in [None, Some(1000)] {
                    for delay in [0, 500] {
                        let mut cfg = Config::defaults(personality);
                        cfg.mode = Mode::Command(1);
                        if let Some(t) = target {
                            cfg.target = t;
                        }
                        if let Some(l) = left {
                            cfg.shutdown.leftovers = l;
                        }
                        cfg.shutdown.grace_ms = grace;
                        cfg.shutdown.stop_delay_ms = delay;
                        all.push(cfg);
                    }
                }
            }
        }
    }
    all
}

/// Runs the check; returns (configurations, sequences, events, failures).
pub fn run() -> (usize, u64, u64, Vec<String>) {
    let configs = configs();
    let (mut sequences, mut steps, mut failures) = (0, 0, Vec::new());
    let mut runs = 0;
    for cfg in &configs {
        for (pid1, paged) in [(false, false), (true, false), (false, true), (true, true)] {
            for paused in [false, true] {
                if paused && (cfg.target == Target::Group || paged) {
                    continue;
                }
                runs += 1;
                let mut ch = Checker {
                    cfg,
                    pid1,
                    paused,
                    paged,
                    sequences: 0,
                    steps: 0,
                    failures: Vec::new(),
                };
                let m = Machine::new(cfg, pid1, if paused { 0 } else { MAIN });
                let w = World {
                    alive: if paused { [false; N] } else { [true; N] },
                    ours: [!paused, false, false, false, false],
                    stopped: [true, true, true, false, true],
                    now: 0,
                    grace_from: None,
                    drain_from: None,
                    main_status: None,
                    failed: false,
                    exited: false,
                    own: [0; N],
                    trail: [None; DEPTH],
                };
                ch.explore(&m, &w, 0);
                sequences += ch.sequences;
                steps += ch.steps;
                failures.extend(ch.failures);
            }
        }
    }
    (runs, sequences, steps, failures)
}

#[test]
fn every_sequence_of_events_keeps_the_invariants() {
    let (runs, sequences, steps, failures) = run();
    std::println!(
        "exhaustive: {runs} configurations, depth {DEPTH}: {sequences} sequences, {steps} events"
    );
    assert!(
        failures.is_empty(),
        "{} invariant failures, the first:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
