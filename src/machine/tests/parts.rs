//! One signal per event when a listing comes in parts: past `LIST_CAP` children the
//! executor feeds a listing in several parts, and no process may get a signal once per part.
//! Each test feeds hundreds of children (and past `RECORD_CAP`) as the executor does, then
//! counts, for each process, every signal that reaches it: the group's as each member's.

#![allow(clippy::arithmetic_side_effects)] // test code: counts far from any bound

use std::collections::HashMap;
use std::vec::Vec;

use super::super::*;
use super::{MAIN, MS, exited, kid_actions, main_exits, pidone, sig, step, with_grace};
use crate::config::{Config, Leftovers, Target};

/// `n` children of pidone from pid 1000: every fifth setsid'd away, the rest in the main
/// child's group (re-parented to pidone); every seventh stopped.
fn children(n: usize) -> Vec<Kid> {
    (0..n)
        .map(|i| {
            let mut kid = Kid::new(1000 + i as Pid, i % 5 != 0);
            kid.stopped = i % 7 == 3;
            kid
        })
        .collect()
}

/// The listing the step's actions ask for.
fn asked(acts: &[Action]) -> Sweep {
    match acts.iter().find_map(|a| match a {
        Action::List(sweep, _) => Some(*sweep),
        _ => None,
    }) {
        Some(sweep) => sweep,
        None => panic!("no listing asked for: {acts:?}"),
    }
}

/// Feeds `kids` as the executor does: parts of `LIST_CAP`, the last marked, each part's
/// step actions and then its children's decisions, in order.
fn in_parts(m: &mut Machine, now: u64, sweep: Sweep, kids: &[Kid]) -> Vec<Action> {
    let parts: Vec<&[Kid]> = kids.chunks(LIST_CAP).collect();
    assert!(parts.len() > 1, "{} children fit one listing", kids.len());
    let mut acts = Vec::new();
    for (n, part) in parts.iter().enumerate() {
        let mut list = Listing::new();
        for kid in *part {
            list.push(*kid);
        }
        list.last = n + 1 == parts.len();
        let out = m.step(
            now,
            Event::Listed {
                sweep,
                list: &mut list,
            },
        );
        acts.extend_from_slice(out.actions.as_slice());
        acts.extend(kid_actions(&list));
    }
    acts
}

/// The signals each process got from `acts`: the group's reach every member (the main
/// child, if `main_alive`, and each listed child in the group); a `ContIfStopped` counts
/// as a SIGCONT when that process is listed stopped.
fn received(acts: &[Action], kids: &[Kid], main_alive: bool) -> HashMap<Pid, Vec<i32>> {
    let mut got: HashMap<Pid, Vec<i32>> = HashMap::new();
    let stopped = |p: Pid| kids.iter().any(|k| k.pid == p && k.stopped);
    for a in acts {
        let (who, s) = match *a {
            Action::Forward(who, s) | Action::Signal(who, s) => (who, s),
            Action::ContIfStopped(p) if stopped(p) => (Who::Pid(p), libc::SIGCONT),
            _ => continue,
        };
        let mut to: Vec<Pid> = match who {
            Who::Main => std::vec![MAIN],
            Who::Group => kids.iter().filter(|k| k.in_group).map(|k| k.pid).collect(),
            Who::Everyone => kids.iter().map(|k| k.pid).collect(),
            Who::Pid(p) => std::vec![p],
        };
        if main_alive && matches!(who, Who::Group | Who::Everyone) && !to.contains(&MAIN) {
            to.push(MAIN);
        }
        for p in to {
            got.entry(p).or_default().push(s);
        }
    }
    got
}

/// No process got the same signal twice.
fn each_once(got: &HashMap<Pid, Vec<i32>>, what: &str) {
    for (p, sigs) in got {
        for s in sigs {
            let n = sigs.iter().filter(|t| *t == s).count();
            assert_eq!(n, 1, "{what}: {p} got signal {s} {n} times: {sigs:?}");
        }
    }
}

fn grouped(leftovers: Leftovers) -> Config<'static> {
    let mut cfg = with_grace(60_000);
    cfg.target = Target::Group;
    cfg.shutdown.leftovers = leftovers;
    cfg
}

/// `-g`, the main child gone: a forwarded signal reaches the group once (through the first
/// part that shows a member, which holds its id) and each child outside it once, however
/// many parts the listing has; under `--wait-all` and during the drain, as PID 1 or not.
#[test]
fn a_signal_forwarded_to_the_group_in_parts_reaches_each_member_once() {
    for leftovers in [Leftovers::WaitAll, Leftovers::Drain] {
        for pid1 in [true, false] {
            for n in [300, RECORD_CAP + 76] {
                let cfg = grouped(leftovers);
                let what = std::format!("{leftovers:?} pid1={pid1} {n} children");
                let kids = children(n);
                let mut m = Machine::new(&cfg, pid1, MAIN);
                let acts = main_exits(&mut m, 0, 0);
                if leftovers == Leftovers::Drain {
                    in_parts(&mut m, 0, asked(&acts), &kids);
                }
                let acts = step(&mut m, MS, sig(libc::SIGHUP));
                let acts = in_parts(&mut m, MS, asked(&acts), &kids);
                let got = received(&acts, &kids, false);
                each_once(&got, &what);
                for kid in &kids {
                    let hup = got.get(&kid.pid).is_some_and(|s| s.contains(&libc::SIGHUP));
                    assert!(hup, "{what}: {} missed the SIGHUP", kid.pid);
                }
            }
        }
    }
}

/// The drain in parts: each leftover gets the drain signal once, and SIGCONT only if it is
/// stopped. Past the record's 1,024 the rest wait for a slot, and get it after a reap,
/// once; nobody gets it again.
#[test]
fn the_drain_in_parts_signals_each_leftover_once() {
    for pid1 in [true, false] {
        for n in [300, RECORD_CAP + 76] {
            let what = std::format!("pid1={pid1} {n} children");
            let cfg = with_grace(60_000);
            let kids = children(n);
            let mut m = Machine::new(&cfg, pid1, MAIN);
            let acts = main_exits(&mut m, 0, 0);
            let first = in_parts(&mut m, 0, asked(&acts), &kids);
            let got = received(&first, &kids, false);
            each_once(&got, &what);
            for (i, kid) in kids.iter().enumerate() {
                let sigs = got.get(&kid.pid).cloned().unwrap_or_default();
                let want = match (i < RECORD_CAP, kid.stopped) {
                    (false, _) => std::vec![],
                    (true, false) => std::vec![libc::SIGTERM],
                    (true, true) => std::vec![libc::SIGTERM, libc::SIGCONT],
                };
                assert_eq!(sigs, want, "{what}: child {i}");
            }
            // One leftover ends: the first waiting one gets its SIGTERM, nobody another.
            let gone = kids[0].pid;
            step(
                &mut m,
                MS,
                Event::Reaped {
                    pid: gone,
                    status: exited(0),
                },
            );
            let acts = step(&mut m, MS, Event::ReapDone { none_left: false });
            let rest: Vec<Kid> = kids.iter().copied().filter(|k| k.pid != gone).collect();
            let late = in_parts(&mut m, MS, asked(&acts), &rest);
            let got = received(&late, &rest, false);
            let newcomers: Vec<Pid> = match kids.get(RECORD_CAP) {
                Some(k) => std::vec![k.pid],
                None => std::vec![],
            };
            let termed: Vec<Pid> = got
                .iter()
                .filter(|(_, s)| s.contains(&libc::SIGTERM))
                .map(|(p, _)| *p)
                .collect();
            assert_eq!(termed, newcomers, "{what}: the late sweep: {got:?}");
        }
    }
}

/// The stop signal while the main child runs: the listing of its group (in parts) continues
/// the group with one SIGCONT, however many parts show a stopped worker. The executor reads
/// a part's first process before the previous part's signals go out, so it may still show
/// stopped a worker the first part's SIGCONT continued (here the first of the second part).
#[test]
fn the_stop_listing_in_parts_continues_the_group_once() {
    for target in [Target::Child, Target::Group] {
        for pid1 in [true, false] {
            let what = std::format!("{target:?} pid1={pid1}");
            let mut cfg = grouped(Leftovers::Drain);
            cfg.target = target;
            let mut group = std::vec![Kid::new(MAIN, true)];
            group.extend((1..300).map(|i| {
                let mut kid = Kid::new(1000 + i as Pid, true);
                kid.stopped = i == 5 || i == LIST_CAP;
                kid
            }));
            let mut m = Machine::new(&cfg, pid1, MAIN);
            let mut acts = step(&mut m, 0, sig(libc::SIGTERM));
            acts.extend(in_parts(&mut m, 0, asked(&acts), &group));
            let got = received(&acts, &group, true);
            each_once(&got, &what);
            for kid in &group {
                let sigs = got.get(&kid.pid).cloned().unwrap_or_default();
                let term = target == Target::Group || kid.pid == MAIN;
                let want = match term {
                    true => std::vec![libc::SIGTERM, libc::SIGCONT],
                    false => std::vec![libc::SIGCONT],
                };
                assert_eq!(sigs, want, "{what}: {}", kid.pid);
            }
        }
    }
}

/// Not PID 1, the deadline after the main child was reaped: the group's SIGKILL goes once,
/// through the first part that shows a member, and each child outside it gets one.
#[test]
fn the_kill_in_parts_reaches_each_child_once() {
    let cfg = with_grace(1000);
    for n in [300, RECORD_CAP + 76] {
        let kids = children(n);
        let mut m = Machine::new(&cfg, false, MAIN);
        let acts = main_exits(&mut m, 0, 0);
        in_parts(&mut m, 0, asked(&acts), &kids);
        let acts = step(&mut m, u64::MAX, Event::Deadline);
        let acts = in_parts(&mut m, u64::MAX, asked(&acts), &kids);
        let got = received(&acts, &kids, false);
        each_once(&got, &std::format!("{n} children"));
        for kid in &kids {
            let killed = got
                .get(&kid.pid)
                .is_some_and(|s| s.contains(&libc::SIGKILL));
            assert!(killed, "{n} children: {} missed the SIGKILL", kid.pid);
        }
    }
}

/// Without `-g`, under `--wait-all`: each child of pidone gets a forwarded signal once,
/// however many parts.
#[test]
fn a_signal_forwarded_to_each_child_in_parts_reaches_each_once() {
    let mut cfg = pidone();
    cfg.shutdown.leftovers = Leftovers::WaitAll;
    let kids = children(RECORD_CAP + 76);
    let mut m = Machine::new(&cfg, true, MAIN);
    main_exits(&mut m, 0, 0);
    let acts = step(&mut m, MS, sig(libc::SIGUSR1));
    let acts = in_parts(&mut m, MS, asked(&acts), &kids);
    let got = received(&acts, &kids, false);
    each_once(&got, "--wait-all");
    assert_eq!(got.len(), kids.len(), "{got:?}");
}
