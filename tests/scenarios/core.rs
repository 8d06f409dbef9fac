//! The core scenarios, one function each, run by tests/core.rs against the host's binary
//! in both modes, and by tests/arm64.rs against another architecture's (`PIDONE_BIN`), so
//! the two cannot drift apart. Each takes the mode, and asserts all it checks.

use crate::*;

fn sh(mode: Mode, script: &str) -> Outcome {
    run(mode, &["--", "sh", "-c", script])
}

/// The app's exit code is pidone's; killed by a signal, it is 128 + the signal.
pub fn exit_codes_pass_through(mode: Mode) {
    for code in [0, 3, 255] {
        let out = sh(mode, &format!("exit {code}"));
        assert_eq!(out.code(), code, "{mode:?}: {}", out.stderr);
    }
    let out = sh(mode, "kill -9 $$");
    assert_eq!(out.code(), 137, "{mode:?}: killed by SIGKILL is 128+9");
    let out = sh(mode, "kill -USR1 $$");
    assert_eq!(out.code(), 138, "{mode:?}: killed by SIGUSR1 is 128+10");
}

/// A command that does not exist: 127, and one line that says why.
pub fn command_not_found_is_127_with_the_reason(mode: Mode) {
    let out = run(mode, &["--", "no-such-command-xyz"]);
    assert_eq!(out.code(), 127, "{mode:?}: {}", out.stderr);
    assert!(
        out.stderr
            .contains("pidone: no-such-command-xyz: No such file or directory"),
        "{mode:?}: {}",
        out.stderr
    );
    assert_eq!(out.stderr.lines().count(), 1, "one line: {}", out.stderr);
}

/// A file that is not executable: 126, Permission denied.
pub fn not_executable_is_126(mode: Mode) {
    let dir = TempDir::new(&format!("not-executable-{mode:?}"));
    let file = dir.path("plain-file");
    std::fs::write(&file, "#!/bin/sh\necho hi\n").unwrap();
    let out = run(mode, &["--", &file]);
    assert_eq!(out.code(), 126, "{mode:?}");
    assert!(out.stderr.contains("Permission denied"), "{}", out.stderr);
}

/// Every catchable signal but SIGTERM (the last) and SIGCHLD (never the application's),
/// and a few real-time ones.
pub const SIGNALS: &[(i32, &str)] = &[
    (libc::SIGHUP, "SIGHUP"),
    (libc::SIGINT, "SIGINT"),
    (libc::SIGQUIT, "SIGQUIT"),
    (libc::SIGUSR1, "SIGUSR1"),
    (libc::SIGUSR2, "SIGUSR2"),
    (libc::SIGWINCH, "SIGWINCH"),
    (libc::SIGCONT, "SIGCONT"),
    (libc::SIGALRM, "SIGALRM"),
    (libc::SIGPIPE, "SIGPIPE"),
    (libc::SIGURG, "SIGURG"),
    (libc::SIGPWR, "SIGPWR"),
    (libc::SIGSYS, "SIGSYS"),
    (libc::SIGVTALRM, "SIGVTALRM"),
    (libc::SIGPROF, "SIGPROF"),
    (libc::SIGXCPU, "SIGXCPU"),
    (libc::SIGXFSZ, "SIGXFSZ"),
    (libc::SIGTSTP, "SIGTSTP"),
    (libc::SIGTTIN, "SIGTTIN"),
    (libc::SIGTTOU, "SIGTTOU"),
    (libc::SIGSEGV, "SIGSEGV"),
    (libc::SIGBUS, "SIGBUS"),
    (libc::SIGFPE, "SIGFPE"),
    (libc::SIGILL, "SIGILL"),
    (libc::SIGTRAP, "SIGTRAP"),
    (libc::SIGABRT, "SIGABRT"),
    // sigecho is a musl program, and musl keeps 32-34 for itself.
    (35, "SIGRTMIN+1"),
    (39, "SIGRTMIN+5"),
    (40, "SIGRTMIN+6"),
    (64, "SIGRTMIN+30"),
];

/// Each of `signals` sent to pidone reaches the app exactly once: sigecho records each
/// arrival, and the next signal goes only after the line for the last one came. With
/// `traced`, strace also records pidone's kill() calls, exactly one per signal (a duplicate
/// of an ordinary signal merges into the pending one at the receiver, so only the sender's
/// calls can show it).
pub fn each_signal_reaches_the_child_once(mode: Mode, signals: &[(i32, &str)], traced: bool) {
    let p = start(mode, &["--", &example("sigecho")]);
    p.until("ready");
    let trace = traced.then(|| SignalTrace::attach(p.pidone_pid()));
    for (sig, name) in signals {
        p.signal(*sig);
        // A second delivery of the previous signal would show up here instead.
        assert_eq!(p.line_for(name), format!("got {name}"), "{mode:?}");
    }
    if let Some(trace) = trace {
        let want: Vec<i32> = signals.iter().map(|(sig, _)| *sig).collect();
        let sent: Vec<i32> = trace
            .finish_after(want.len())
            .into_iter()
            .map(|(_, sig)| sig)
            .collect();
        assert_eq!(
            sent, want,
            "{mode:?}: pidone's kill() calls, one per signal"
        );
    }
    p.signal(libc::SIGTERM);
    let out = p.wait();
    assert_eq!(
        out.rest,
        vec!["got SIGTERM"],
        "{mode:?}: once each, SIGCHLD never"
    );
    assert_eq!(out.code(), 0, "{mode:?}: {}", out.stderr);
}

/// With `-g`, a shell pipeline is one process group: both ends get the TERM pidone
/// forwards, though the shell ignores it.
pub fn pipeline_gets_term_in_every_process(mode: Mode) {
    let s = example("sigecho");
    // The shell and anything it starts ignore TERM; sigecho takes it regardless (it blocks
    // and waits for every signal). The first sigecho writes past the pipe, to stdout.
    let script = format!("trap '' TERM; {{ {s} 1>&3 | {s}; }} 3>&1");
    let p = start(mode, &["-g", "--", "sh", "-c", &script]);
    let (a, b) = (p.until("ready"), p.until("ready"));
    assert_ne!(a, b);
    p.signal(libc::SIGTERM);
    let out = p.wait();
    let got = out.rest.iter().filter(|l| *l == "got SIGTERM").count();
    assert_eq!(got, 2, "{mode:?}: {:?} {}", out.rest, out.stderr);
    assert_eq!(out.code(), 0);
}

/// A burst of `n` orphans dying at once (`run` runs pidone with the arguments it is
/// given): all reaped before pidone exits.
pub fn a_burst_of_orphans_is_reaped(n: u32, run: impl FnOnce(&[&str]) -> Outcome) {
    let zombies = example("zombies");
    let count = n.to_string();
    let out = run(&["--", &zombies, &count, "--check", "--burst"]);
    assert_eq!(
        out.rest,
        vec![format!("created {n}"), "zombies 0".to_string()],
        "{}",
        out.stderr
    );
    assert_eq!(out.code(), 0);
}

/// An app that ignores TERM is SIGKILLed once the grace (`grace_ms`) has run out.
pub fn ignoring_term_is_killed_after_the_grace(mode: Mode, grace_ms: u64) {
    let grace = format!("{grace_ms}ms");
    let p = scenarios::grace::stubborn(mode, &["--grace", &grace], &[]);
    let sent = std::time::Instant::now();
    p.signal(libc::SIGTERM);
    let at_least = std::time::Duration::from_millis(grace_ms);
    let before = std::time::Duration::from_secs(8);
    scenarios::grace::killed_after(p, sent, at_least, before, &format!("{mode:?}"));
}

/// After the main child exits, a background worker gets TERM and may finish its work
/// before pidone exits (as PID 1, pidone's exit would SIGKILL it).
pub fn leftovers_are_terminated_and_waited_for() {
    let leftover = example("leftover");
    let p = start(
        Mode::Pid1,
        &["--", &leftover, "--code", "5", "--linger-ms", "300"],
    );
    p.until("worker ready");
    drained(&p.wait(), "Pid1");
}

/// What `leftover --code 5` ended with when the drain let its worker finish: the worker's
/// record of the drain's SIGTERM and of its finished work, and the main child's code, not
/// the worker's.
pub fn drained(out: &Outcome, case: &str) {
    assert_eq!(
        out.rest,
        vec!["worker got SIGTERM", "worker finished"],
        "{case}: {}",
        out.stderr
    );
    assert_eq!(
        out.code(),
        5,
        "{case}: the main child's code, not the worker's"
    );
}

/// `--no-drain` exits at once; as PID 1 the kernel then kills the worker mid-work.
pub fn no_drain_exits_at_once() {
    let leftover = example("leftover");
    let p = start(Mode::Pid1, &["--no-drain", "--", &leftover, "--code", "4"]);
    p.until("worker ready");
    let out = p.wait();
    assert!(
        !out.rest.iter().any(|l| l == "worker finished"),
        "{:?}",
        out.rest
    );
    assert_eq!(out.code(), 4);
}
