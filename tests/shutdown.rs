//! How pidone ends things (issues 11 and 16): no deadline unless one is set, only the stop
//! signal starts it, one signal per process per event (counted by the receivers' own
//! tally, since a pending ordinary signal coalesces), leftovers re-parented late, a bounded
//! and complete shutdown when not PID 1, the held signal of the stop delay, the exit
//! report, `--wait-all`, and no forwarding of a signal pidone caused itself.

mod common;

use std::os::fd::FromRawFd;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::*;

/// A fresh directory for one test's tally files.
fn dir(name: &str) -> String {
    let d = format!("/tmp/pidone-machine-{}-{name}", std::process::id());
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn tally_pid(file: &str) -> Option<i32> {
    let text = std::fs::read_to_string(file).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("ready pid="))
        .and_then(|p| p.parse().ok())
}

/// Ends a tally that may have outlived the test's pidone.
fn reap_tally(file: &str) {
    if let Some(pid) = tally_pid(file) {
        // SAFETY: kill has no memory effects.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
}

fn sh_args<'a>(before: &[&'a str], script: &'a str) -> Vec<&'a str> {
    let mut args = before.to_vec();
    args.extend(["--", "sh", "-c", script]);
    args
}

/// Without --grace, nothing a signal from outside left running is ever killed: not after
/// SIGTERM, SIGINT or SIGQUIT, not after the old 10 s default.
#[test]
fn without_a_grace_pidone_never_kills_after_a_signal_from_outside() {
    let stubborn = example("stubborn");
    let runs: Vec<_> = MODES
        .iter()
        .map(|&mode| {
            let stubborn = stubborn.clone();
            std::thread::spawn(move || {
                let p = start(mode, &["--", &stubborn]);
                p.until("ready");
                for sig in [libc::SIGTERM, libc::SIGINT, libc::SIGQUIT] {
                    p.signal(sig);
                }
                // The behaviour under test is the absence of a kill for longer than the
                // old default grace (10 s).
                std::thread::sleep(Duration::from_secs(11));
                assert!(alive(p.pidone_pid()), "{mode:?}: pidone ended the app");
                p.signal(libc::SIGUSR1);
                let out = p.wait();
                assert_eq!(out.code(), 128 + libc::SIGUSR1, "{mode:?}: {}", out.stderr);
            })
        })
        .collect();
    for r in runs {
        r.join().unwrap();
    }
}

/// With a grace, SIGINT and SIGQUIT (survivable by design: a REPL, a JVM thread dump) are
/// only forwarded; the stop signal starts the grace, enforced as set.
#[test]
fn only_the_stop_signal_starts_the_grace() {
    let stubborn = example("stubborn");
    for mode in MODES {
        let p = start(mode, &["--grace", "1s", "--", &stubborn]);
        p.until("ready");
        p.signal(libc::SIGINT);
        p.signal(libc::SIGQUIT);
        std::thread::sleep(Duration::from_millis(2500));
        assert!(alive(p.pidone_pid()), "{mode:?}: killed after INT/QUIT");
        let sent = Instant::now();
        p.signal(libc::SIGTERM);
        let out = p.wait();
        let took = sent.elapsed();
        assert_eq!(out.code(), 137, "{mode:?}: {}", out.stderr);
        assert!(
            took >= Duration::from_millis(1000),
            "{mode:?}: early: {took:?}"
        );
        assert!(took < Duration::from_secs(5), "{mode:?}: late: {took:?}");
    }
}

#[test]
fn a_configured_stop_signal_starts_the_grace_and_sigterm_does_not() {
    let stubborn = example("stubborn");
    let p = start(
        Mode::Pid1,
        &["--grace", "1s", "--stop-signal", "QUIT", "--", &stubborn],
    );
    p.until("ready");
    p.signal(libc::SIGTERM);
    std::thread::sleep(Duration::from_millis(2000));
    assert!(alive(p.pidone_pid()), "SIGTERM started the grace");
    let sent = Instant::now();
    p.signal(libc::SIGQUIT);
    let out = p.wait();
    assert_eq!(out.code(), 137, "{}", out.stderr);
    assert!(sent.elapsed() >= Duration::from_millis(1000));
}

/// The tallies `D/g` (in the application's group) and `D/s` (setsid'd away) each got
/// exactly one SIGTERM; the setsid'd one, which outlives pidone, is then ended.
fn one_sigterm_each(d: &str, mode: Mode) {
    let group = tally_signals(&format!("{d}/g"));
    let away = tally_signals(&format!("{d}/s"));
    reap_tally(&format!("{d}/s"));
    assert_eq!(group, vec![libc::SIGTERM], "{mode:?}: in the group");
    assert_eq!(away, vec![libc::SIGTERM], "{mode:?}: setsid'd");
}

/// The application exits on its own: each leftover, in the group or setsid'd away, gets
/// exactly one SIGTERM and no SIGCONT (neither is stopped).
#[test]
fn the_drain_sends_each_leftover_one_sigterm_and_no_sigcont() {
    let tally = example("tally");
    for mode in MODES {
        let d = dir(&format!("drain-{mode:?}"));
        let script = format!(
            "{tally} {d}/g & setsid {tally} {d}/s & \
             until [ -s {d}/g ] && [ -s {d}/s ]; do sleep 0.01; done; exit 5"
        );
        let out = run(mode, &sh_args(&["--grace", "2s"], &script));
        assert_eq!(out.code(), 5, "{mode:?}: {}", out.stderr);
        one_sigterm_each(&d, mode);
    }
}

/// After the stop signal was forwarded to the group, the drain does not TERM the group
/// again; the setsid'd leftover, which the stop signal did not reach, gets one SIGTERM.
#[test]
fn after_a_forwarded_stop_signal_nobody_gets_a_second_sigterm() {
    let tally = example("tally");
    for mode in MODES {
        let d = dir(&format!("stop-{mode:?}"));
        let script = format!(
            "trap 'until grep -q \"sig 15\" {d}/g; do sleep 0.01; done; exit 0' TERM; \
             {tally} {d}/g & setsid {tally} {d}/s & \
             until [ -s {d}/g ] && [ -s {d}/s ]; do sleep 0.01; done; echo ready; \
             while :; do sleep 0.05; done"
        );
        let p = start(mode, &sh_args(&["--grace", "2s"], &script));
        p.until("ready");
        p.signal(libc::SIGTERM);
        let out = p.wait();
        assert_eq!(out.code(), 0, "{mode:?}: {}", out.stderr);
        one_sigterm_each(&d, mode);
    }
}

/// A setsid'd leftover whose parent outlives the drain's start is re-parented to pidone
/// later: it gets the drain SIGTERM then, once.
#[test]
fn a_leftover_re_parented_late_gets_one_sigterm() {
    let tally = example("tally");
    for mode in MODES {
        let d = dir(&format!("late-{mode:?}"));
        let script = format!(
            "sh -c 'trap \"sleep 0.3; exit 0\" TERM; setsid {tally} {d}/late & \
                    while :; do sleep 0.05; done' & \
             until [ -s {d}/late ]; do sleep 0.01; done; exit 0"
        );
        let out = run(mode, &sh_args(&["--grace", "3s"], &script));
        assert_eq!(out.code(), 0, "{mode:?}: {}", out.stderr);
        assert_eq!(
            tally_signals(&format!("{d}/late")),
            vec![libc::SIGTERM],
            "{mode:?}"
        );
        reap_tally(&format!("{d}/late"));
    }
}

/// Issue 11 item 3: not PID 1, what is re-parented after the SIGKILL is killed too, and
/// pidone exits within the grace plus a little, holding nothing.
#[test]
fn not_pid1_the_shutdown_is_bounded_and_complete() {
    let d = dir("bounded");
    let script = format!(
        "trap '' TERM; setsid sh -c 'sleep 40 & echo $! > {d}/pid; wait' & \
         until [ -s {d}/pid ]; do sleep 0.01; done; echo ready; while :; do sleep .1; done"
    );
    let p = start(Mode::Plain, &sh_args(&["--grace", "1s"], &script));
    p.until("ready");
    let sleep: i32 = std::fs::read_to_string(format!("{d}/pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let sent = Instant::now();
    p.signal(libc::SIGTERM);
    let out = p.wait();
    let took = sent.elapsed();
    assert_eq!(out.code(), 137, "{}", out.stderr);
    assert!(took >= Duration::from_millis(1000), "early: {took:?}");
    assert!(took < Duration::from_secs(3), "not bounded: {took:?}");
    assert!(!alive(sleep), "sleep 40 outlived pidone");
}

/// --stop-delay: SIGTERM is held; a SIGINT during the delay ends it, and the application
/// receives both: the held SIGTERM (forwarded first), then the SIGINT. (An application that
/// takes blocked signals in a batch sees the kernel's order, lowest number first, so the
/// order is checked in the unit test `a_signal_held_in_the_stop_delay_goes_first`.)
#[test]
fn the_held_signal_is_not_lost_when_another_ends_the_delay() {
    let sigecho = example("sigecho");
    let marker = 40; // SIGRTMIN+6 as the kernel and sigecho number it (musl's SIGRTMIN() is 35)
    let p = start(
        Mode::Pid1,
        &["--stop-delay", "20s", "--", &sigecho, "--exit-on", "USR2"],
    );
    p.until("ready");
    p.signal(libc::SIGTERM);
    p.signal(marker);
    assert_eq!(p.line(), "got SIGRTMIN+6");
    p.signal(libc::SIGINT);
    let mut got = vec![p.line(), p.line()];
    got.sort();
    assert_eq!(got, ["got SIGINT", "got SIGTERM"]);
    p.signal(libc::SIGUSR2);
    let out = p.wait();
    assert_eq!(out.code(), 0, "{}", out.stderr);
    assert!(
        out.elapsed < Duration::from_secs(15),
        "waited for the delay"
    );
}

/// The exit report counts the main child when it was SIGKILLed at the deadline.
#[test]
fn the_exit_report_counts_a_killed_main_child() {
    let stubborn = example("stubborn");
    for mode in MODES {
        let p = start(mode, &["-v", "--grace", "300ms", "--", &stubborn]);
        p.until("ready");
        p.signal(libc::SIGTERM);
        let out = p.wait();
        assert_eq!(out.code(), 137, "{mode:?}");
        let report = out
            .stderr
            .lines()
            .find(|l| l.starts_with("pidone: exit "))
            .unwrap();
        assert!(report.contains(" killed=1"), "{mode:?}: {report}");
        assert!(report.contains(" waited_for=0"), "{mode:?}: {report}");
    }
}

/// --wait-all: a worker that outlives the main child by a second gets no signal, and
/// pidone exits after it with the main child's status; also when it setsid'd away.
#[test]
fn wait_all_waits_for_the_worker_and_sends_it_nothing() {
    let tally = example("tally");
    for mode in MODES {
        for setsid in ["", "setsid "] {
            let d = dir(&format!("wait-{mode:?}-{}", setsid.len()));
            let script = format!(
                "{setsid}{tally} {d}/w --exit-after-ms 1000 & \
                 until [ -s {d}/w ]; do sleep 0.01; done; exit 3"
            );
            let out = run(mode, &sh_args(&["-v", "--wait-all"], &script));
            let what = format!("{mode:?} {setsid}");
            assert_eq!(out.code(), 3, "{what}: {}", out.stderr);
            let text = std::fs::read_to_string(format!("{d}/w")).unwrap();
            assert!(
                text.ends_with("done\n"),
                "{what}: exited before the worker: {text}"
            );
            assert_eq!(
                tally_signals(&format!("{d}/w")),
                Vec::<i32>::new(),
                "{what}"
            );
            assert!(
                out.stderr.contains(" waited_for=1"),
                "{what}: {}",
                out.stderr
            );
        }
    }
}

/// --wait-all: `docker stop` while only the worker is left stops the worker.
#[test]
fn wait_all_the_stop_signal_still_ends_the_worker() {
    let tally = example("tally");
    for mode in MODES {
        let d = dir(&format!("wait-stop-{mode:?}"));
        let script = format!(
            "setsid {tally} {d}/w --exit-on 15 --exit-after-ms 20000 & \
             until [ -s {d}/w ]; do sleep 0.01; done; exit 3"
        );
        let p = start(mode, &sh_args(&["-v", "--wait-all"], &script));
        wait_until("the main child's exit", || {
            p.stderr_so_far().contains("child exited")
        });
        p.signal(libc::SIGTERM);
        let out = p.wait();
        assert_eq!(out.code(), 3, "{mode:?}: {}", out.stderr);
        assert_eq!(
            tally_signals(&format!("{d}/w")),
            vec![libc::SIGTERM],
            "{mode:?}"
        );
        assert!(
            out.elapsed < Duration::from_secs(15),
            "{mode:?}: waited the worker out"
        );
    }
}

/// Issue 11 item 2, the loop's side: with stderr a broken pipe, pidone's own log write
/// raises SIGPIPE on itself. It is dropped (not forwarded, not logged, no spin) and the
/// application's status comes through.
#[test]
fn a_signal_pidone_caused_is_never_forwarded() {
    for mode in MODES {
        let mut fds = [0; 2];
        // SAFETY: pipe writes two descriptors into the live array.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        // SAFETY: closing the read end we own: every write to the pipe now fails.
        unsafe { libc::close(fds[0]) };
        let mut cmd = command(mode, &sh_args(&["-v"], SELF_SIGNAL_APP));
        // SAFETY: fds[1] is an open descriptor we own and hand over to the Command.
        cmd.stderr(unsafe { Stdio::from_raw_fd(fds[1]) })
            .stdin(Stdio::null());
        let mut child = cmd.spawn().unwrap();
        let start = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if start.elapsed() > Duration::from_secs(15) {
                let _ = child.kill();
                panic!("{mode:?}: pidone wedged on its own SIGPIPE");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        assert_eq!(status.code(), Some(7), "{mode:?}");
    }
}
