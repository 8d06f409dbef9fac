//! Actions and outputs as short text, for the table and docs/state-machine.md.

use std::format;
use std::string::{String, ToString};
use std::vec::Vec;

use super::super::*;

fn signal(sig: i32) -> String {
    match crate::signals::name(sig) {
        Some(n) => format!("SIG{n}"),
        None => format!("signal {sig}"),
    }
}

fn who(w: Who) -> String {
    match w {
        Who::Main => "the child".to_string(),
        Who::Group => "the group".to_string(),
        Who::Everyone => "everyone (kill -1)".to_string(),
        Who::Pid(p) => format!("pid {p}"),
    }
}

fn note(n: Note) -> &'static str {
    match n {
        Note::Holding(..) => "holding",
        Note::GraceStarted(_) => "grace started",
        Note::GraceExpired => "grace expired",
        Note::Draining => "draining",
        Note::Dropped(_) => "dropped",
        Note::RecordFull => "record full",
        Note::Blind => "blind",
        Note::Vanished => "vanished",
    }
}

fn sweep(s: Sweep) -> String {
    match s {
        Sweep::Forward(sig) => format!("forward {}", signal(sig)),
        Sweep::Stop => "stop".to_string(),
        Sweep::DrainFirst => "drain".to_string(),
        Sweep::DrainLate => "drain newcomers".to_string(),
        Sweep::KillFirst => "kill".to_string(),
        Sweep::KillLate => "kill newcomers".to_string(),
    }
}

/// One action.
pub fn action(a: Action) -> String {
    match a {
        Action::Forward(w, s) => format!("forward {} to {}", signal(s), who(w)),
        Action::Signal(w, s) => format!("{} to {}", signal(s), who(w)),
        Action::ContIfStopped(p) => format!("SIGCONT to pid {p} if stopped"),
        Action::List(s, Scope::Children) => format!("list children ({})", sweep(s)),
        Action::List(s, Scope::Group) => format!("list the group ({})", sweep(s)),
        Action::StopSelf => "SIGSTOP to itself".to_string(),
        Action::Log(n) => format!("log \"{}\"", note(n)),
        Action::Exit(c) => format!("exit {c}"),
    }
}

/// A step's actions, then the deadline if the step changed it (relative to `now`).
pub fn actions(acts: &[Action], deadline: (Option<u64>, Option<u64>), now: u64) -> String {
    let mut parts: Vec<String> = acts.iter().map(|a| action(*a)).collect();
    if deadline.0 != deadline.1 {
        parts.push(match deadline.1 {
            Some(at) => format!("deadline in {} ms", at.saturating_sub(now) / NS_PER_MS),
            None => "no deadline".to_string(),
        });
    }
    if parts.is_empty() {
        "-".to_string()
    } else {
        parts.join("; ")
    }
}
