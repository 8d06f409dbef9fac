//! The machine without processes: every phase against every event (`table`), and the
//! cases the fidelity issue names, each by name.

mod exhaustive;
mod failed;
mod fidelity;
mod parts;
mod render;
mod table;

use std::string::String;

use super::*;
use crate::config::{Config, Leftovers, Mode, Personality};

pub const MAIN: Pid = 100;
pub const MS: u64 = NS_PER_MS;

/// pidone's defaults, running a command.
pub fn pidone() -> Config<'static> {
    let mut cfg = Config::defaults(Personality::Pidone);
    cfg.mode = Mode::Command(1);
    cfg
}

pub fn with_grace(ms: u64) -> Config<'static> {
    let mut cfg = pidone();
    cfg.shutdown.grace_ms = Some(ms);
    cfg
}

/// A Config as the command line gives it (dumb-init's setsid rewrites included).
pub fn parsed(args: &'static [&'static str]) -> Config<'static> {
    let got = crate::cli::parse(|i| args.get(i).map(|a| a.as_bytes()), |_| None);
    match got {
        Ok(crate::cli::Action::Run(cfg)) => cfg,
        _ => panic!("{args:?} does not parse to a run"),
    }
}

pub fn sig(sig: i32) -> Event<'static> {
    Event::Signal {
        sig,
        from_self: false,
    }
}

/// The wait status of an exit with `code`.
pub fn exited(code: i32) -> i32 {
    code << 8
}

/// Steps and returns the actions.
pub fn step(m: &mut Machine, now: u64, event: Event) -> std::vec::Vec<Action> {
    m.step(now, event).actions.as_slice().to_vec()
}

/// The main child exits with `code` and others remain.
pub fn main_exits(m: &mut Machine, now: u64, code: i32) -> std::vec::Vec<Action> {
    step(
        m,
        now,
        Event::Reaped {
            pid: MAIN,
            status: exited(code),
        },
    );
    step(m, now, Event::ReapDone { none_left: false })
}

/// Feeds a listing of these children (pid, in the group) and returns what the executor
/// would do: the step's actions, then the decision for each child.
pub fn listed(
    m: &mut Machine,
    now: u64,
    sweep: Sweep,
    kids: &[(Pid, bool)],
) -> std::vec::Vec<Action> {
    list_of(m, now, sweep, kids, false)
}

/// As `listed`, each child found stopped.
pub fn listed_stopped(
    m: &mut Machine,
    now: u64,
    sweep: Sweep,
    kids: &[(Pid, bool)],
) -> std::vec::Vec<Action> {
    list_of(m, now, sweep, kids, true)
}

fn list_of(
    m: &mut Machine,
    now: u64,
    sweep: Sweep,
    kids: &[(Pid, bool)],
    stopped: bool,
) -> std::vec::Vec<Action> {
    let mut list = Listing::new();
    for &(pid, in_group) in kids {
        let mut kid = Kid::new(pid, in_group);
        kid.stopped = stopped;
        list.push(kid);
    }
    list_step(m, now, sweep, &mut list).0
}

/// A listing that could not be read (no /proc).
pub fn list_failed(m: &mut Machine, now: u64, sweep: Sweep) -> std::vec::Vec<Action> {
    let mut list = Listing::new();
    list.complete = false;
    list_step(m, now, sweep, &mut list).0
}

/// Feeds `list`; the actions in the executor's order (the step's, then each child's),
/// and the output.
pub fn list_step(
    m: &mut Machine,
    now: u64,
    sweep: Sweep,
    list: &mut Listing,
) -> (std::vec::Vec<Action>, Output) {
    let out = m.step(now, Event::Listed { sweep, list });
    let mut acts = out.actions.as_slice().to_vec();
    acts.extend(kid_actions(list));
    (acts, out)
}

/// The decisions written into a listing, as the actions they stand for.
pub fn kid_actions(list: &Listing) -> std::vec::Vec<Action> {
    let mut acts = std::vec::Vec::new();
    for kid in list.kids() {
        match kid.send {
            Sent::Nothing => {}
            Sent::Forward(s) => acts.push(Action::Forward(Who::Pid(kid.pid), s)),
            Sent::Signal(s) => acts.push(Action::Signal(Who::Pid(kid.pid), s)),
        }
        if kid.cont {
            acts.push(Action::ContIfStopped(kid.pid));
        }
    }
    acts
}

pub fn signals_sent(actions: &[Action]) -> std::vec::Vec<(Who, i32)> {
    actions
        .iter()
        .filter_map(|a| match *a {
            Action::Forward(w, s) | Action::Signal(w, s) => Some((w, s)),
            _ => None,
        })
        .collect()
}

pub fn has_kill(actions: &[Action]) -> bool {
    signals_sent(actions)
        .iter()
        .any(|(_, s)| *s == libc::SIGKILL)
}

/// Used by table and render: a phase's name.
pub fn phase_name(p: Phase) -> String {
    String::from(match p {
        Phase::Paused => "Paused",
        Phase::Running => "Running",
        Phase::Delaying { .. } => "Delaying",
        Phase::Stopping { .. } => "Stopping",
        Phase::Draining { .. } => "Draining",
        Phase::Waiting => "Waiting",
        Phase::Killed { .. } => "Killed",
        Phase::Done => "Done",
    })
}

#[test]
fn wait_all_is_a_leftovers_mode() {
    // The table's Waiting rows need this config; guard against a rename.
    let mut cfg = with_grace(1000);
    cfg.shutdown.leftovers = Leftovers::WaitAll;
    let mut m = Machine::new(&cfg, false, MAIN);
    main_exits(&mut m, 0, 0);
    assert_eq!(m.phase(), Phase::Waiting);
}
