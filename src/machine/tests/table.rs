//! Every phase against every event. `ROWS` (in rows.rs) says, for each pair, the phase
//! that follows and the actions, as text; the test checks the machine does exactly that
//! and that no pair is missing. docs/state-machine.md holds the same table, rendered from
//! `ROWS` with each decision's reason, and the diagram drawn from it: a test checks the doc
//! is current (`PIDONE_BLESS=1 cargo test --lib machine` rewrites it).

use std::format;
use std::string::String;
use std::vec::Vec;

use super::super::*;
use super::{MAIN, MS, exited, list_step, phase_name, render, sig, with_grace};
use crate::config::Leftovers;

#[path = "rows.rs"]
mod rows;
use rows::ROWS;

/// The phase a row starts in, reached by real events from the start.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Setup {
    Paused,
    Running,
    /// Running, with a stop delay configured.
    RunningDelayed,
    /// Running, with `--wait-all`.
    RunningWaitAll,
    Delaying,
    Stopping,
    Draining,
    Waiting,
    Killed,
    Done,
}

pub const SETUPS: [Setup; 10] = [
    Setup::Paused,
    Setup::Running,
    Setup::RunningDelayed,
    Setup::RunningWaitAll,
    Setup::Delaying,
    Setup::Stopping,
    Setup::Draining,
    Setup::Waiting,
    Setup::Killed,
    Setup::Done,
];

/// The events, each at 100 ms after the setup (the deadline event at 5 s).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Ev {
    StopSignal,
    Int,
    Hup,
    Tstp,
    OwnPipe,
    Deadline,
    MainReaped,
    /// The main child reaped and the pass over, others left (two events).
    MainExits,
    /// The main child reaped last (two events).
    MainExitsLast,
    OtherReaped,
    ReapDoneSome,
    ReapDoneNone,
    ChildOutsideDrain,
    ChildInGroupDrain,
    /// A child that ignores SIGTERM, in a drain's listing.
    ChildIgnoringDrain,
    ChildOutsideKill,
    ChildOutsideForward,
    /// A stopped member of the group, not the main child, in the stop signal's listing.
    ChildStoppedStop,
    ListFailed,
}

pub const EVENTS: [Ev; 19] = [
    Ev::StopSignal,
    Ev::Int,
    Ev::Hup,
    Ev::Tstp,
    Ev::OwnPipe,
    Ev::Deadline,
    Ev::MainReaped,
    Ev::MainExits,
    Ev::MainExitsLast,
    Ev::OtherReaped,
    Ev::ReapDoneSome,
    Ev::ReapDoneNone,
    Ev::ChildOutsideDrain,
    Ev::ChildInGroupDrain,
    Ev::ChildIgnoringDrain,
    Ev::ChildOutsideKill,
    Ev::ChildOutsideForward,
    Ev::ChildStoppedStop,
    Ev::ListFailed,
];

const OTHER: Pid = 200;

/// An input of a row: an event, or a listing of children to feed.
enum In {
    Ev(Event<'static>),
    List(Sweep, std::boxed::Box<Listing>),
}

fn events(e: Ev) -> (u64, Vec<In>) {
    let now = 100 * MS;
    let reaped = In::Ev(Event::Reaped {
        pid: MAIN,
        status: exited(3),
    });
    let done = |none_left| In::Ev(Event::ReapDone { none_left });
    let ev = match e {
        Ev::MainExits => return (now, std::vec![reaped, done(false)]),
        Ev::MainExitsLast => return (now, std::vec![reaped, done(true)]),
        Ev::StopSignal => sig(libc::SIGTERM),
        Ev::Int => sig(libc::SIGINT),
        Ev::Hup => sig(libc::SIGHUP),
        Ev::Tstp => sig(libc::SIGTSTP),
        Ev::OwnPipe => Event::Signal {
            sig: libc::SIGPIPE,
            from_self: true,
        },
        Ev::Deadline => return (5000 * MS, std::vec![In::Ev(Event::Deadline)]),
        Ev::MainReaped => return (now, std::vec![reaped]),
        Ev::OtherReaped => Event::Reaped {
            pid: OTHER,
            status: 0,
        },
        Ev::ReapDoneSome => Event::ReapDone { none_left: false },
        Ev::ReapDoneNone => Event::ReapDone { none_left: true },
        Ev::ChildOutsideDrain => return (now, std::vec![child(false, Sweep::DrainLate)]),
        Ev::ChildInGroupDrain => return (now, std::vec![child(true, Sweep::DrainLate)]),
        Ev::ChildIgnoringDrain => {
            let mut list = Listing::new();
            let mut kid = Kid::new(OTHER + 1, false);
            kid.ignored = 1 << (libc::SIGTERM - 1);
            list.push(kid);
            return (
                now,
                std::vec![In::List(Sweep::DrainLate, std::boxed::Box::new(list))],
            );
        }
        Ev::ChildOutsideKill => return (now, std::vec![child(false, Sweep::KillLate)]),
        Ev::ChildOutsideForward => {
            return (now, std::vec![child(false, Sweep::Forward(libc::SIGHUP))]);
        }
        Ev::ChildStoppedStop => {
            let mut list = Listing::new();
            let mut kid = Kid::new(OTHER + 1, true);
            kid.stopped = true;
            list.push(kid);
            return (
                now,
                std::vec![In::List(Sweep::Stop, std::boxed::Box::new(list))],
            );
        }
        Ev::ListFailed => {
            let mut list = Listing::new();
            list.complete = false;
            return (
                now,
                std::vec![In::List(Sweep::KillLate, std::boxed::Box::new(list))],
            );
        }
    };
    (now, std::vec![In::Ev(ev)])
}

fn child(in_group: bool, sweep: Sweep) -> In {
    let mut list = Listing::new();
    list.push(Kid::new(OTHER + 1, in_group));
    In::List(sweep, std::boxed::Box::new(list))
}

/// The configuration of a setup: pidone, not PID 1, a 1 s grace; the stop delay for
/// Delaying, `--wait-all` for Waiting.
pub fn config(s: Setup) -> Config<'static> {
    let mut cfg = with_grace(1000);
    match s {
        Setup::Delaying | Setup::RunningDelayed => cfg.shutdown.stop_delay_ms = 500,
        Setup::Waiting | Setup::RunningWaitAll => cfg.shutdown.leftovers = Leftovers::WaitAll,
        _ => {}
    }
    cfg
}

/// Drives a fresh machine into the setup's phase.
pub fn enter<'c>(cfg: &'c Config<'c>, s: Setup) -> Machine<'c> {
    let main = if s == Setup::Paused { 0 } else { MAIN };
    let mut m = Machine::new(cfg, false, main);
    let reap_main = |m: &mut Machine, none_left| {
        m.step(
            0,
            Event::Reaped {
                pid: MAIN,
                status: 0,
            },
        );
        m.step(0, Event::ReapDone { none_left });
    };
    match s {
        Setup::Paused | Setup::Running | Setup::RunningDelayed | Setup::RunningWaitAll => {}
        Setup::Delaying | Setup::Stopping => {
            m.step(0, sig(libc::SIGTERM));
        }
        Setup::Draining | Setup::Waiting => reap_main(&mut m, false),
        Setup::Killed => {
            m.step(0, sig(libc::SIGTERM));
            m.step(1000 * MS, Event::Deadline);
        }
        Setup::Done => reap_main(&mut m, true),
    }
    m
}

pub struct Outcome {
    pub next: String,
    pub actions: String,
    pub why: String,
    pub len: usize,
}

pub fn run(s: Setup, e: Ev) -> Outcome {
    let cfg = config(s);
    let mut m = enter(&cfg, s);
    let (now, evs) = events(e);
    let mut actions = Vec::new();
    let mut why = Vec::new();
    let mut len = 0;
    for input in evs {
        let before = m.deadline();
        let (acts, out) = match input {
            In::Ev(ev) => {
                let out = m.step(now, ev);
                (out.actions.as_slice().to_vec(), out)
            }
            In::List(sweep, mut list) => list_step(&mut m, now, sweep, &mut list),
        };
        len = len.max(out.actions.as_slice().len());
        let rendered = render::actions(&acts, (before, m.deadline()), now);
        if rendered != "-" || actions.is_empty() {
            actions.push(rendered);
        }
        why.push(
            out.why
                .unwrap_or("(pidone's own signal: dropped, not logged)"),
        );
    }
    if actions.len() > 1 {
        actions.retain(|a| a != "-");
    }
    Outcome {
        next: phase_name(m.phase()),
        actions: actions.join("; "),
        why: why.join(", then: "),
        len,
    }
}

#[test]
fn every_phase_against_every_event() {
    let mut missing = Vec::new();
    let mut wrong = Vec::new();
    for s in SETUPS {
        for e in EVENTS {
            let Some(row) = ROWS.iter().find(|r| r.0 == s && r.1 == e) else {
                missing.push(format!("{s:?} x {e:?}"));
                continue;
            };
            let got = run(s, e);
            assert!(
                got.len < Actions::CAP,
                "{s:?} x {e:?} fills the action list"
            );
            if got.next != row.2 || got.actions != row.3 {
                wrong.push(format!(
                    "    (Setup::{s:?}, Ev::{e:?}, {:?}, {:?}),",
                    got.next, got.actions
                ));
            }
        }
    }
    assert_eq!(ROWS.len(), SETUPS.len() * EVENTS.len(), "duplicate rows");
    assert!(missing.is_empty(), "pairs without a row: {missing:#?}");
    assert!(
        wrong.is_empty(),
        "rows the machine disagrees with (now):\n{}",
        wrong.join("\n")
    );
}

/// The Markdown table: state, event, next state, actions, reason.
pub fn markdown() -> String {
    let mut s = String::from("| state | event | next | actions | why |\n|---|---|---|---|---|\n");
    for row in ROWS {
        let got = run(row.0, row.1);
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            state(row.0),
            describe(row.1),
            row.2,
            row.3,
            got.why
        ));
    }
    s
}

/// The diagram: one edge per change of phase, labelled with the events that cause it.
pub fn mermaid() -> String {
    let mut edges: Vec<(String, String, Vec<&str>)> = Vec::new();
    for row in ROWS {
        let (from, label) = match row.0 {
            Setup::RunningDelayed => (String::from("Running"), "stop signal (--stop-delay)"),
            Setup::RunningWaitAll => (String::from("Running"), "main child exits (--wait-all)"),
            other => (format!("{other:?}"), short(row.1)),
        };
        // A variant's row adds an edge only where the plain Running row goes elsewhere.
        let plain = ROWS
            .iter()
            .find(|r| r.0 == Setup::Running && r.1 == row.1)
            .map(|r| r.2);
        let variant = matches!(row.0, Setup::RunningDelayed | Setup::RunningWaitAll);
        if from == row.2 || (variant && plain == Some(row.2)) {
            continue;
        }
        match edges.iter_mut().find(|e| e.0 == from && e.1 == row.2) {
            Some(e) if !e.2.contains(&label) => e.2.push(label),
            Some(_) => {}
            None => edges.push((from, String::from(row.2), std::vec![label])),
        }
    }
    let mut s =
        String::from("```mermaid\nstateDiagram-v2\n    [*] --> Running\n    [*] --> Paused\n");
    for (from, to, labels) in edges {
        s.push_str(&format!("    {from} --> {to}: {}\n", labels.join(", ")));
    }
    s.push_str("    Done --> [*]\n```\n");
    s
}

fn state(s: Setup) -> String {
    match s {
        Setup::RunningDelayed => String::from("Running (with --stop-delay)"),
        Setup::RunningWaitAll => String::from("Running (with --wait-all)"),
        other => format!("{other:?}"),
    }
}

fn short(e: Ev) -> &'static str {
    match e {
        Ev::StopSignal => "stop signal",
        Ev::Int => "SIGINT",
        Ev::Deadline => "deadline",
        Ev::MainExits => "main child exits, others left",
        Ev::MainExitsLast => "last process exits",
        Ev::ReapDoneNone => "none left",
        Ev::ListFailed => "no /proc",
        _ => "other",
    }
}

fn describe(e: Ev) -> &'static str {
    match e {
        Ev::StopSignal => "stop signal (SIGTERM) from outside",
        Ev::Int => "SIGINT from outside",
        Ev::Hup => "SIGHUP from outside",
        Ev::Tstp => "SIGTSTP from outside",
        Ev::OwnPipe => "SIGPIPE pidone caused",
        Ev::Deadline => "deadline passed",
        Ev::MainReaped => "main child reaped (exit 3)",
        Ev::MainExits => "main child exits 3, others left",
        Ev::MainExitsLast => "main child exits 3, none left",
        Ev::OtherReaped => "other process reaped",
        Ev::ReapDoneSome => "reaping over, processes left",
        Ev::ReapDoneNone => "reaping over, none left",
        Ev::ChildOutsideDrain => "child outside the group (drain listing)",
        Ev::ChildInGroupDrain => "child in the group (drain listing)",
        Ev::ChildIgnoringDrain => "child outside the group that ignores SIGTERM (drain listing)",
        Ev::ChildOutsideKill => "child outside the group (kill listing)",
        Ev::ChildOutsideForward => "child outside the group (forward listing)",
        Ev::ChildStoppedStop => "stopped member of the group (stop listing)",
        Ev::ListFailed => "children cannot be listed",
    }
}

const BEGIN: &str = "<!-- generated from src/machine/tests/rows.rs: begin -->\n";
const END: &str = "<!-- generated: end -->\n";

#[test]
fn the_doc_is_the_table() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/state-machine.md");
    let doc = std::fs::read_to_string(path).unwrap_or_default();
    let generated = format!("{BEGIN}{}\n{}{END}", mermaid(), markdown());
    let (Some(b), Some(e)) = (doc.find(BEGIN), doc.find(END)) else {
        panic!("{path} has no generated section");
    };
    let current = doc.get(b..e.saturating_add(END.len())).unwrap_or("");
    if current != generated && std::env::var_os("PIDONE_BLESS").is_some() {
        let new = format!("{}{generated}{}", &doc[..b], &doc[e + END.len()..]);
        std::fs::write(path, new).unwrap();
        return;
    }
    assert!(
        current == generated,
        "{path} is out of date: run PIDONE_BLESS=1 cargo test --lib machine"
    );
}

#[test]
#[ignore = "prints the rows as the machine has them, to review and paste into rows.rs"]
fn print_rows() {
    for s in SETUPS {
        for e in EVENTS {
            let got = run(s, e);
            std::println!(
                "    (Setup::{s:?}, Ev::{e:?}, {:?}, {:?}),",
                got.next,
                got.actions
            );
        }
    }
}
