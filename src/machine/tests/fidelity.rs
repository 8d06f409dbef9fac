//! The cases issues 11 and 16 name, each as its own test.

use std::vec;
use std::vec::Vec;

use super::super::*;
use super::{
    MAIN, MS, has_kill, list_failed, listed, listed_stopped, main_exits, parsed, pidone, sig,
    signals_sent, step, with_grace,
};
use crate::config::{self, Leftovers, Target};

#[test]
fn without_a_grace_nothing_is_ever_killed_after_a_stop_signal() {
    let cfg = pidone();
    let mut m = Machine::new(&cfg, false, MAIN);
    let acts = step(&mut m, 0, sig(libc::SIGTERM));
    assert_eq!(signals_sent(&acts), vec![(Who::Main, libc::SIGTERM)]);
    assert_eq!(m.deadline(), None, "no deadline: {acts:?}");
    for now in [1000 * MS, u64::MAX] {
        let acts = step(&mut m, now, Event::Deadline);
        assert!(!has_kill(&acts), "{acts:?}");
    }
    assert_eq!(
        m.phase(),
        Phase::Stopping {
            kill_at: None,
            group_reached: false
        }
    );
}

#[test]
fn stop_signal_starts_the_grace_but_a_survivable_signal_is_only_forwarded() {
    let cfg = with_grace(2000);
    for survivable in [libc::SIGINT, libc::SIGQUIT, libc::SIGHUP] {
        let mut m = Machine::new(&cfg, false, MAIN);
        let acts = step(&mut m, 0, sig(survivable));
        assert_eq!(acts, vec![Action::Forward(Who::Main, survivable)]);
        assert_eq!(m.phase(), Phase::Running);
    }
    let mut m = Machine::new(&cfg, false, MAIN);
    step(&mut m, 5 * MS, sig(libc::SIGTERM));
    assert_eq!(m.deadline(), Some(2005 * MS));
}

#[test]
fn a_configured_stop_signal_replaces_sigterm() {
    let mut cfg = with_grace(1000);
    cfg.shutdown.stop_signal = libc::SIGQUIT;
    let mut m = Machine::new(&cfg, false, MAIN);
    assert_eq!(
        step(&mut m, 0, sig(libc::SIGTERM)),
        vec![Action::Forward(Who::Main, libc::SIGTERM)]
    );
    assert_eq!(m.phase(), Phase::Running);
    step(&mut m, 0, sig(libc::SIGQUIT));
    assert_eq!(m.deadline(), Some(1000 * MS));
}

#[test]
fn the_grace_is_enforced_to_the_ms() {
    let cfg = with_grace(1500);
    let mut m = Machine::new(&cfg, false, MAIN);
    step(&mut m, 10 * MS, sig(libc::SIGTERM));
    assert_eq!(m.deadline(), Some(1510 * MS));
    // A deadline event a nanosecond early changes nothing.
    let early = step(&mut m, 1510 * MS - 1, Event::Deadline);
    assert_eq!(early, vec![]);
    assert_eq!(m.deadline(), Some(1510 * MS));
    let due = step(&mut m, 1510 * MS, Event::Deadline);
    assert!(signals_sent(&due).contains(&(Who::Group, libc::SIGKILL)));
    assert!(matches!(m.phase(), Phase::Killed { .. }));
}

#[test]
fn only_the_stop_signal_ends_the_stop_delay() {
    let mut cfg = with_grace(1000);
    cfg.shutdown.stop_delay_ms = 2000;
    let mut m = Machine::new(&cfg, false, MAIN);
    assert!(signals_sent(&step(&mut m, 0, sig(libc::SIGTERM))).is_empty());
    // Other signals meanwhile are forwarded at once and end nothing, SIGINT and SIGQUIT
    // included (a JVM's thread dump); the TERM stays held.
    for (at, other) in [
        (100, libc::SIGHUP),
        (200, libc::SIGINT),
        (300, libc::SIGQUIT),
    ] {
        let acts = step(&mut m, at * MS, sig(other));
        assert_eq!(signals_sent(&acts), vec![(Who::Main, other)]);
        assert!(matches!(m.phase(), Phase::Delaying { .. }), "{other}");
        assert_eq!(m.deadline(), Some(2000 * MS));
    }
    // A second stop signal ends the delay: the held one goes now, once.
    let term = step(&mut m, 400 * MS, sig(libc::SIGTERM));
    assert_eq!(signals_sent(&term), vec![(Who::Main, libc::SIGTERM)]);
    assert_eq!(m.deadline(), Some(1400 * MS));
}

#[test]
fn the_stop_delay_ends_with_the_held_signal() {
    let mut cfg = pidone();
    cfg.shutdown.stop_delay_ms = 500;
    let mut m = Machine::new(&cfg, false, MAIN);
    assert_eq!(
        step(&mut m, 0, sig(libc::SIGTERM)),
        vec![Action::Log(Note::Holding(libc::SIGTERM, 500))]
    );
    assert_eq!(m.deadline(), Some(500 * MS));
    let acts = step(&mut m, 500 * MS, Event::Deadline);
    assert_eq!(signals_sent(&acts), vec![(Who::Main, libc::SIGTERM)]);
    assert_eq!(m.deadline(), None, "no grace, no deadline: {acts:?}");
}

#[test]
fn own_signals_are_dropped_silently_in_every_phase() {
    let cfg = with_grace(1000);
    let mut m = Machine::new(&cfg, false, MAIN);
    for event in [sig(libc::SIGTERM), Event::Deadline] {
        for own in [libc::SIGPIPE, libc::SIGXFSZ, libc::SIGTERM] {
            let out = m.step(
                0,
                Event::Signal {
                    sig: own,
                    from_self: true,
                },
            );
            assert!(out.actions.as_slice().is_empty() && out.why.is_none());
        }
        m.step(1000 * MS, event);
    }
}

#[test]
fn drain_after_an_own_exit_terms_each_leftover_once() {
    for pid1 in [false, true] {
        let cfg = pidone();
        let mut m = Machine::new(&cfg, pid1, MAIN);
        let acts = main_exits(&mut m, 0, 0);
        // No broadcast, neither kill(-pgid) nor kill(-1): the children, from the listing.
        assert_eq!(signals_sent(&acts), vec![]);
        assert_eq!(m.deadline(), Some(config::DRAIN_DEFAULT_MS * MS));
        // Each child of pidone, in the group or not, gets one SIGTERM, and a SIGCONT if
        // stopped; what they started is theirs (a master's workers).
        assert_eq!(
            listed_stopped(&mut m, 0, Sweep::DrainFirst, &[(300, true)]),
            vec![
                Action::Signal(Who::Pid(300), libc::SIGTERM),
                Action::ContIfStopped(300)
            ]
        );
        let out = listed(&mut m, 0, Sweep::DrainFirst, &[(301, false)]);
        assert_eq!(signals_sent(&out), vec![(Who::Pid(301), libc::SIGTERM)]);
        // Listed again after a reap: nothing more for either.
        assert!(
            step(&mut m, 1, Event::ReapDone { none_left: false })
                == vec![Action::List(Sweep::DrainLate, Scope::Children)]
        );
        assert!(listed(&mut m, 1, Sweep::DrainLate, &[(300, true)]).is_empty());
        assert!(listed(&mut m, 1, Sweep::DrainLate, &[(301, false)]).is_empty());
    }
}

#[test]
fn leftovers_re_parented_late_get_the_drain_signal_once() {
    let cfg = pidone();
    let mut m = Machine::new(&cfg, false, MAIN);
    main_exits(&mut m, 0, 0);
    let late = listed(&mut m, 50 * MS, Sweep::DrainLate, &[(400, false)]);
    assert_eq!(signals_sent(&late), vec![(Who::Pid(400), libc::SIGTERM)]);
    assert!(listed(&mut m, 60 * MS, Sweep::DrainLate, &[(400, false)]).is_empty());
    // Reaped: forgotten, so a new process with the same pid is a newcomer again.
    step(
        &mut m,
        70 * MS,
        Event::Reaped {
            pid: 400,
            status: 0,
        },
    );
    let again = listed(&mut m, 80 * MS, Sweep::DrainLate, &[(400, false)]);
    assert_eq!(signals_sent(&again), vec![(Who::Pid(400), libc::SIGTERM)]);
    assert_eq!(m.stats().terminated, 1);
}

#[test]
fn after_a_forwarded_stop_the_group_is_not_termed_again() {
    for grace in [None, Some(3000)] {
        let mut cfg = pidone();
        cfg.target = Target::Group;
        cfg.shutdown.grace_ms = grace;
        let mut m = Machine::new(&cfg, false, MAIN);
        step(&mut m, 0, sig(libc::SIGTERM));
        let acts = main_exits(&mut m, 1000 * MS, 0);
        assert!(signals_sent(&acts).is_empty(), "{acts:?}");
        let deadline = grace.map(|_| 3000 * MS);
        assert_eq!(m.deadline(), deadline, "{grace:?}: {acts:?}");
        assert!(
            listed_stopped(&mut m, 1000 * MS, Sweep::DrainFirst, &[(300, true)])
                == vec![Action::ContIfStopped(300)]
        );
        let setsid = listed(&mut m, 1000 * MS, Sweep::DrainFirst, &[(301, false)]);
        assert_eq!(signals_sent(&setsid), vec![(Who::Pid(301), libc::SIGTERM)]);
    }
}

#[test]
fn as_pid1_kill_minus_one_reaches_everyone_only_without_proc() {
    let cfg = pidone();
    let mut m = Machine::new(&cfg, true, MAIN);
    let acts = main_exits(&mut m, 0, 0);
    assert_eq!(
        acts.last(),
        Some(&Action::List(Sweep::DrainFirst, Scope::Children))
    );
    // /proc cannot be read: kill(-1) is the only way to reach the leftovers.
    let mut blind = Listing::new();
    blind.complete = false;
    let out = m.step(
        0,
        Event::Listed {
            sweep: Sweep::DrainFirst,
            list: &mut blind,
        },
    );
    assert_eq!(
        signals_sent(out.actions.as_slice()),
        vec![(Who::Everyone, libc::SIGTERM)]
    );
    // Children listed then only get a SIGCONT if stopped, never a second TERM.
    assert_eq!(
        listed_stopped(&mut m, 0, Sweep::DrainLate, &[(301, false)]),
        vec![Action::ContIfStopped(301)]
    );
    assert!(listed(&mut m, 0, Sweep::DrainLate, &[(302, false)]).is_empty());
    assert!(signals_sent(&step(&mut m, 1, Event::ReapDone { none_left: false })).is_empty());
}

#[test]
fn killed_not_pid1_kills_what_is_re_parented_until_none_is_left() {
    let cfg = with_grace(1000);
    let mut m = Machine::new(&cfg, false, MAIN);
    step(&mut m, 0, sig(libc::SIGTERM));
    let kill = step(&mut m, 1000 * MS, Event::Deadline);
    assert_eq!(signals_sent(&kill), vec![(Who::Group, libc::SIGKILL)]);
    assert!(kill.contains(&Action::List(Sweep::KillFirst, Scope::Children)));
    let c = listed(&mut m, 1000 * MS, Sweep::KillFirst, &[(500, false)]);
    assert_eq!(c, vec![Action::Signal(Who::Pid(500), libc::SIGKILL)]);
    // The main child dies; what it had is re-parented and listed on the next pass.
    step(
        &mut m,
        1001 * MS,
        Event::Reaped {
            pid: MAIN,
            status: libc::SIGKILL,
        },
    );
    let pass = step(&mut m, 1001 * MS, Event::ReapDone { none_left: false });
    assert_eq!(pass, vec![Action::List(Sweep::KillLate, Scope::Children)]);
    assert!(listed(&mut m, 1001 * MS, Sweep::KillLate, &[(500, false)]).is_empty());
    let late = listed(&mut m, 1001 * MS, Sweep::KillLate, &[(501, false)]);
    assert_eq!(late, vec![Action::Signal(Who::Pid(501), libc::SIGKILL)]);
    step(
        &mut m,
        1002 * MS,
        Event::Reaped {
            pid: 500,
            status: libc::SIGKILL,
        },
    );
    step(
        &mut m,
        1002 * MS,
        Event::Reaped {
            pid: 501,
            status: libc::SIGKILL,
        },
    );
    let end = step(&mut m, 1002 * MS, Event::ReapDone { none_left: true });
    assert_eq!(end.last(), Some(&Action::Exit(137)));
    // The exit report counts the main child among the killed.
    assert_eq!(m.stats().killed, 3);
}

#[test]
fn killed_without_proc_exits_once_the_main_child_is_reaped() {
    let cfg = with_grace(0);
    let mut m = Machine::new(&cfg, false, MAIN);
    step(&mut m, 0, sig(libc::SIGTERM));
    step(&mut m, 0, Event::Deadline);
    let none = list_failed(&mut m, 0, Sweep::KillFirst);
    assert!(!none.iter().any(|a| matches!(a, Action::Exit(_))));
    step(
        &mut m,
        1,
        Event::Reaped {
            pid: MAIN,
            status: libc::SIGKILL,
        },
    );
    let pass = step(&mut m, 1, Event::ReapDone { none_left: false });
    assert_eq!(pass, vec![Action::List(Sweep::KillLate, Scope::Children)]);
    let blind = list_failed(&mut m, 1, Sweep::KillLate);
    assert_eq!(blind.last(), Some(&Action::Exit(137)));
}

#[test]
fn wait_all_sends_nothing_forwards_and_exits_with_the_main_status() {
    let mut cfg = pidone();
    cfg.shutdown.leftovers = Leftovers::WaitAll;
    let mut m = Machine::new(&cfg, false, MAIN);
    assert!(main_exits(&mut m, 0, 7).is_empty());
    assert_eq!(m.phase(), Phase::Waiting);
    assert!(step(&mut m, 1, Event::ReapDone { none_left: false }).is_empty());
    let hup = step(&mut m, 2, sig(libc::SIGHUP));
    assert_eq!(
        hup,
        vec![Action::List(Sweep::Forward(libc::SIGHUP), Scope::Children)]
    );
    // Each child of pidone, in the group or not; never the group (not `-g`).
    assert_eq!(
        listed(&mut m, 2, Sweep::Forward(libc::SIGHUP), &[(600, false)]),
        vec![Action::Forward(Who::Pid(600), libc::SIGHUP)]
    );
    assert_eq!(
        listed(
            &mut m,
            2,
            Sweep::Forward(libc::SIGHUP),
            &[(600, false), (601, true)]
        ),
        vec![
            Action::Forward(Who::Pid(600), libc::SIGHUP),
            Action::Forward(Who::Pid(601), libc::SIGHUP)
        ]
    );
    step(
        &mut m,
        3,
        Event::Reaped {
            pid: 600,
            status: 0,
        },
    );
    let end = step(&mut m, 3, Event::ReapDone { none_left: true });
    assert_eq!(end.last(), Some(&Action::Exit(7)));
    assert_eq!(m.stats().waited, 1);
}

#[test]
fn wait_all_still_ends_on_the_stop_signal_with_the_grace() {
    for pid1 in [false, true] {
        let mut cfg = with_grace(1000);
        cfg.shutdown.leftovers = Leftovers::WaitAll;
        let mut m = Machine::new(&cfg, pid1, MAIN);
        main_exits(&mut m, 0, 0);
        let term = step(&mut m, 10 * MS, sig(libc::SIGTERM));
        // The leftovers get it from the listing, each child of pidone once.
        assert_eq!(signals_sent(&term), vec![]);
        assert_eq!(m.deadline(), Some(1010 * MS));
        let kill = step(&mut m, 1010 * MS, Event::Deadline);
        assert!(matches!(m.phase(), Phase::Killed { .. }));
        if pid1 {
            assert!(has_kill(&kill));
        } else {
            // The group's id is held only by a child the kill's listing shows.
            assert!(kill.contains(&Action::List(Sweep::KillFirst, Scope::Children)));
            let acts = listed(&mut m, 1010 * MS, Sweep::KillFirst, &[(300, true)]);
            assert_eq!(signals_sent(&acts), vec![(Who::Group, libc::SIGKILL)]);
        }
    }
}

#[test]
fn dumb_init_terms_the_group_at_exit_and_leaves() {
    let cases: [(&'static [&'static str], i32); 2] = [
        (&["dumb-init", "app"], libc::SIGTERM),
        (&["dumb-init", "-r", "15:2", "app"], libc::SIGINT),
    ];
    for (args, expect) in cases {
        let cfg = parsed(args);
        let mut m = Machine::new(&cfg, false, MAIN);
        let acts = main_exits(&mut m, 0, 4);
        assert_eq!(signals_sent(&acts), vec![(Who::Group, expect)], "{args:?}");
        assert_eq!(acts.last(), Some(&Action::Exit(4)));
        // Not a subreaper (dumb-init is none), its leftovers are not pidone's children:
        // the group still gets the SIGTERM when none is left to reap.
        let mut m = Machine::new(&cfg, false, MAIN);
        step(
            &mut m,
            0,
            Event::Reaped {
                pid: MAIN,
                status: 4 << 8,
            },
        );
        let acts = step(&mut m, 0, Event::ReapDone { none_left: true });
        assert_eq!(signals_sent(&acts), vec![(Who::Group, expect)], "{args:?}");
    }
}

#[test]
fn dumb_init_stops_itself_after_forwarding_tty_stops() {
    let cases: [(&'static [&'static str], Who, i32, i32); 4] = [
        (
            &["dumb-init", "app"],
            Who::Group,
            libc::SIGTSTP,
            libc::SIGSTOP,
        ),
        (
            &["dumb-init", "-c", "app"],
            Who::Main,
            libc::SIGTSTP,
            libc::SIGTSTP,
        ),
        (
            &["dumb-init", "-c", "app"],
            Who::Main,
            libc::SIGTTIN,
            libc::SIGTTIN,
        ),
        (
            &["dumb-init", "-r", "21:15", "app"],
            Who::Group,
            libc::SIGTTIN,
            libc::SIGTERM,
        ),
    ];
    for (args, who, got, sent) in cases {
        let cfg = parsed(args);
        let mut m = Machine::new(&cfg, false, MAIN);
        let acts = step(&mut m, 0, sig(got));
        assert_eq!(
            acts,
            vec![Action::Forward(who, sent), Action::StopSelf],
            "{args:?}"
        );
        // As PID 1 the kernel would ignore the SIGSTOP: not even tried.
        let mut m = Machine::new(&cfg, true, MAIN);
        assert_eq!(step(&mut m, 0, sig(got)), vec![Action::Forward(who, sent)]);
    }
    // pidone's own name keeps running.
    let cfg = pidone();
    let mut m = Machine::new(&cfg, false, MAIN);
    assert!(!step(&mut m, 0, sig(libc::SIGTSTP)).contains(&Action::StopSelf));
}

#[test]
fn single_child_forwards_to_the_child_and_drains_its_children() {
    let mut cfg = with_grace(1000);
    cfg.target = Target::Child;
    let mut m = Machine::new(&cfg, false, MAIN);
    assert_eq!(
        signals_sent(&step(&mut m, 0, sig(libc::SIGTERM))),
        vec![(Who::Main, libc::SIGTERM)]
    );
    // The group never got the stop signal: the drain TERMs each child of pidone, within
    // the remaining grace; their own children are theirs (a master's workers).
    let acts = main_exits(&mut m, 400 * MS, 0);
    assert_eq!(signals_sent(&acts), vec![]);
    assert_eq!(m.deadline(), Some(1000 * MS));
    let first = listed(&mut m, 400 * MS, Sweep::DrainFirst, &[(300, true)]);
    assert_eq!(signals_sent(&first), vec![(Who::Pid(300), libc::SIGTERM)]);
}

#[test]
fn the_record_is_bounded_and_says_so_once() {
    let cfg = pidone();
    let mut m = Machine::new(&cfg, false, MAIN);
    main_exits(&mut m, 0, 0);
    let mut termed = 0;
    let mut notes = Vec::new();
    for pid in 1000..1000 + RECORD_CAP as Pid + 5 {
        let acts = listed(&mut m, 0, Sweep::DrainLate, &[(pid, false)]);
        termed += signals_sent(&acts).len();
        notes.extend(acts.into_iter().filter(|a| matches!(a, Action::Log(_))));
    }
    assert_eq!(termed, RECORD_CAP);
    assert_eq!(notes, vec![Action::Log(Note::RecordFull)]);
}

#[test]
fn pause_mode_ends_on_term_or_int_and_never_signals() {
    for end in [libc::SIGTERM, libc::SIGINT] {
        let cfg = pidone();
        let mut m = Machine::new(&cfg, false, 0);
        assert!(step(&mut m, 0, sig(libc::SIGHUP)).is_empty());
        assert!(step(&mut m, 0, Event::ReapDone { none_left: true }).is_empty());
        assert_eq!(step(&mut m, 0, sig(end)), vec![Action::Exit(0)]);
    }
}

#[test]
fn no_input_overflows_the_time_maths() {
    let mut cfg = with_grace(u64::MAX);
    cfg.shutdown.stop_delay_ms = u64::MAX;
    let mut m = Machine::new(&cfg, false, MAIN);
    for now in [u64::MAX - 1, u64::MAX] {
        m.step(now, sig(libc::SIGTERM));
        m.step(now, Event::Deadline);
        m.step(now, sig(libc::SIGINT));
        m.step(now, Event::Deadline);
    }
    assert!(matches!(
        m.phase(),
        Phase::Stopping { .. } | Phase::Killed { .. }
    ));
}

// The tests below were written for the mutants cargo-mutants found surviving
// (scripts/mutants.sh); each names the decision it pins down.

#[test]
fn the_main_childs_status_is_known_once_reaped() {
    let cfg = pidone();
    let mut m = Machine::new(&cfg, false, MAIN);
    assert_eq!(m.status(), None);
    step(&mut m, 0, child_reaped(MAIN + 1, super::exited(9)));
    assert_eq!(m.status(), None, "another process is not the main child");
    step(&mut m, 0, child_reaped(MAIN, super::exited(3)));
    assert_eq!(m.status(), Some(super::exited(3)));
}

#[test]
fn with_no_main_child_no_reap_is_taken_for_its_exit() {
    // Pause mode has no main child (pid 0): a reap never stands for its exit.
    let cfg = pidone();
    let mut m = Machine::new(&cfg, false, 0);
    step(&mut m, 0, child_reaped(0, super::exited(3)));
    assert_eq!(m.status(), None);
}

#[test]
fn an_early_wake_in_the_stop_delay_only_rearms() {
    let mut cfg = pidone();
    cfg.shutdown.stop_delay_ms = 500;
    let mut m = Machine::new(&cfg, false, MAIN);
    step(&mut m, 0, sig(libc::SIGTERM));
    assert_eq!(step(&mut m, 500 * MS - 1, Event::Deadline), vec![]);
    assert_eq!(m.deadline(), Some(500 * MS));
    assert!(
        matches!(m.phase(), Phase::Delaying { .. }),
        "{:?}",
        m.phase()
    );
}

#[test]
fn as_pid1_killed_leftovers_need_no_late_sweep() {
    // kill(-1, SIGKILL) already reached everything: no listing after a reaping pass.
    let cfg = with_grace(1000);
    let mut m = Machine::new(&cfg, true, MAIN);
    step(&mut m, 0, sig(libc::SIGTERM));
    step(&mut m, 1000 * MS, Event::Deadline);
    assert!(matches!(m.phase(), Phase::Killed { .. }));
    let acts = main_exits(&mut m, 1001 * MS, 0);
    assert!(
        !acts.iter().any(|a| matches!(a, Action::List(..))),
        "{acts:?}"
    );
    // Not PID 1: what left the group since is looked for.
    let mut m = Machine::new(&cfg, false, MAIN);
    step(&mut m, 0, sig(libc::SIGTERM));
    step(&mut m, 1000 * MS, Event::Deadline);
    let acts = main_exits(&mut m, 1001 * MS, 0);
    assert!(
        acts.contains(&Action::List(Sweep::KillLate, Scope::Children)),
        "{acts:?}"
    );
}

#[test]
fn wait_all_drains_with_the_configured_stop_signal() {
    let mut cfg = with_grace(1000);
    cfg.shutdown.leftovers = Leftovers::WaitAll;
    cfg.shutdown.stop_signal = libc::SIGQUIT;
    let mut m = Machine::new(&cfg, false, MAIN);
    step(&mut m, 0, sig(libc::SIGQUIT));
    main_exits(&mut m, 10 * MS, 0);
    assert_eq!(
        m.phase(),
        Phase::Draining {
            kill_at: Some(1000 * MS),
            sig: libc::SIGQUIT,
            reached: Reached::Children,
        }
    );
    // A leftover outside the group gets that signal, not SIGTERM.
    let acts = listed(&mut m, 11 * MS, Sweep::DrainFirst, &[(500, false)]);
    assert_eq!(signals_sent(&acts), vec![(Who::Pid(500), libc::SIGQUIT)]);
}

#[test]
fn a_forwarded_signal_reaches_each_child_of_pidone_and_the_group_only_with_g() {
    for target in [Target::Child, Target::Group] {
        let mut cfg = pidone();
        cfg.target = target;
        let mut m = Machine::new(&cfg, true, MAIN);
        main_exits(&mut m, 0, 0);
        assert!(
            matches!(m.phase(), Phase::Draining { .. }),
            "{:?}",
            m.phase()
        );
        // Even as PID 1: no kill(-1); a master's workers are the master's to signal.
        assert_eq!(
            step(&mut m, MS, sig(libc::SIGHUP)),
            vec![Action::List(Sweep::Forward(libc::SIGHUP), Scope::Children)]
        );
        let inside = listed(&mut m, MS, Sweep::Forward(libc::SIGHUP), &[(300, true)]);
        let want = match target {
            // The group, held by the listed child, gets it once, and the child no more.
            Target::Group => Action::Forward(Who::Group, libc::SIGHUP),
            Target::Child => Action::Forward(Who::Pid(300), libc::SIGHUP),
        };
        assert_eq!(inside, vec![want]);
        let outside = listed(&mut m, MS, Sweep::Forward(libc::SIGHUP), &[(301, false)]);
        assert_eq!(outside, vec![Action::Forward(Who::Pid(301), libc::SIGHUP)]);
    }
}

#[test]
fn the_kill_sweep_skips_the_group_and_forgets_the_drain() {
    let cfg = with_grace(1000);
    let mut m = Machine::new(&cfg, false, MAIN);
    main_exits(&mut m, 0, 0);
    // The drain signals a leftover outside the group and records it...
    let drained = listed(&mut m, MS, Sweep::DrainFirst, &[(500, false)]);
    assert_eq!(signals_sent(&drained), vec![(Who::Pid(500), libc::SIGTERM)]);
    let at = match m.phase() {
        Phase::Draining {
            kill_at: Some(at), ..
        } => at,
        p => panic!("{p:?}"),
    };
    step(&mut m, at, Event::Deadline);
    assert!(matches!(m.phase(), Phase::Killed { .. }));
    // ...but the SIGKILL record starts empty: it still gets SIGKILL, once.
    let killed = listed(&mut m, at, Sweep::KillFirst, &[(500, false)]);
    assert_eq!(signals_sent(&killed), vec![(Who::Pid(500), libc::SIGKILL)]);
    let again = listed(&mut m, at, Sweep::KillLate, &[(500, false)]);
    assert!(signals_sent(&again).is_empty(), "{again:?}");
    // A listed child holds the group's id: the group gets SIGKILL as a whole, once, and
    // nothing one by one.
    let inside = listed(&mut m, at, Sweep::KillFirst, &[(501, true)]);
    assert_eq!(inside, vec![Action::Signal(Who::Group, libc::SIGKILL)]);
    let again = listed(&mut m, at, Sweep::KillLate, &[(501, true)]);
    assert_eq!(again, vec![]);
}

fn child_reaped(pid: Pid, status: i32) -> Event<'static> {
    Event::Reaped { pid, status }
}

#[test]
fn a_stopped_worker_is_continued_through_the_group_the_main_child_holds() {
    // Not PID 1, a tini name: the workers are the master's children, not pidone's, so a
    // worker's pid is not pidone's to signal; the group is, while the main child is unreaped.
    for cfg in [pidone(), parsed(&["tini", "--", "app"])] {
        let mut m = Machine::new(&cfg, false, MAIN);
        let acts = step(&mut m, 0, sig(libc::SIGTERM));
        assert_eq!(acts.last(), Some(&Action::List(Sweep::Stop, Scope::Group)));
        let mut acts = listed_stopped(&mut m, 0, Sweep::Stop, &[(MAIN, true), (300, true)]);
        assert_eq!(acts, vec![Action::Signal(Who::Group, libc::SIGCONT)]);
        // No stopped worker, or no /proc: the main child alone, if stopped.
        let mut m = Machine::new(&cfg, false, MAIN);
        step(&mut m, 0, sig(libc::SIGTERM));
        acts = listed(&mut m, 0, Sweep::Stop, &[(MAIN, true), (300, true)]);
        assert_eq!(acts, vec![Action::ContIfStopped(MAIN)]);
        let mut m = Machine::new(&cfg, false, MAIN);
        step(&mut m, 0, sig(libc::SIGTERM));
        let acts = list_failed(&mut m, 0, Sweep::Stop);
        assert_eq!(acts, vec![Action::ContIfStopped(MAIN)]);
    }
}
