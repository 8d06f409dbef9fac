//! Issue 24: pidone ends a failing container itself (`Event::Failed`): the normal stop
//! sequence, a deadline of its own, and the failure's exit status.

use std::vec;

use super::super::*;
use super::{MAIN, MS, has_kill, main_exits, pidone, sig, signals_sent, step, with_grace};
use crate::config;

#[test]
fn a_failure_runs_the_stop_sequence_with_pidones_own_deadline() {
    let cfg = pidone();
    let mut m = Machine::new(&cfg, false, MAIN);
    let acts = step(&mut m, 0, Event::Failed(Failure::Oom));
    // The stop signal, once, where a stop from outside would send it (pidone's default).
    assert_eq!(signals_sent(&acts), vec![(Who::Main, libc::SIGTERM)]);
    // No grace is set, but pidone started this stop: the drain's bound is the deadline.
    assert_eq!(
        m.deadline(),
        Some(config::DRAIN_DEFAULT_MS * MS),
        "{acts:?}"
    );
    assert!(has_kill(&step(
        &mut m,
        config::DRAIN_DEFAULT_MS * MS,
        Event::Deadline
    )));
    assert_eq!(m.ending(), (Cause::Failed(Failure::Oom), true));
}

#[test]
fn the_app_exits_cleanly_and_pidone_still_reports_the_failure() {
    let cfg = with_grace(2000);
    let mut m = Machine::new(&cfg, false, MAIN);
    let acts = step(&mut m, 0, Event::Failed(Failure::Unhealthy));
    assert_eq!(m.deadline(), Some(2000 * MS), "{acts:?}");
    step(
        &mut m,
        MS,
        Event::Reaped {
            pid: MAIN,
            status: 0,
        },
    );
    let acts = step(&mut m, MS, Event::ReapDone { none_left: true });
    assert!(acts.contains(&Action::Exit(134)), "{acts:?}");
}

#[test]
fn a_failure_during_a_stop_from_outside_changes_nothing() {
    let cfg = pidone();
    let mut m = Machine::new(&cfg, false, MAIN);
    step(&mut m, 0, sig(libc::SIGTERM));
    assert!(step(&mut m, MS, Event::Failed(Failure::Oom)).is_empty());
    let acts = main_exits(&mut m, 2 * MS, 0);
    assert!(
        !acts.iter().any(|a| matches!(a, Action::Exit(137))),
        "{acts:?}"
    );
    assert_eq!(m.ending().0, Cause::Stopped(libc::SIGTERM));
}

#[test]
fn the_main_child_oom_killed_is_not_signalled_after_its_reaping() {
    let cfg = pidone();
    let mut m = Machine::new(&cfg, false, MAIN);
    step(
        &mut m,
        0,
        Event::Reaped {
            pid: MAIN,
            status: libc::SIGKILL,
        },
    );
    assert!(step(&mut m, 0, Event::Failed(Failure::Oom)).is_empty());
    let acts = step(&mut m, 0, Event::ReapDone { none_left: true });
    assert!(acts.contains(&Action::Exit(137)), "{acts:?}");
}
