//! The core semantics (signals forwarded once, zombies reaped, the runtime's deadline,
//! the application's status), against the real binary, as PID 1 of a fresh PID
//! namespace and as a plain process.

use pidone_testkit as common;
mod scenarios {
    pub mod core;
    pub mod grace;
}

use common::*;
use scenarios::core::SIGNALS;
use scenarios::grace::stubborn;
use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn exit_codes_pass_through() {
    MODES
        .into_iter()
        .for_each(scenarios::core::exit_codes_pass_through);
}

#[test]
fn command_not_found_is_127_with_the_reason() {
    MODES
        .into_iter()
        .for_each(scenarios::core::command_not_found_is_127_with_the_reason);
}

#[test]
fn not_executable_is_126() {
    MODES
        .into_iter()
        .for_each(scenarios::core::not_executable_is_126);
}

/// Every catchable signal sent to pidone reaches the child exactly once: the application
/// records each arrival, and strace records pidone's kill() calls, exactly one per signal.
#[test]
fn each_signal_reaches_the_child_once() {
    for mode in MODES {
        scenarios::core::each_signal_reaches_the_child_once(mode, SIGNALS, true);
    }
}

#[test]
fn pipeline_gets_term_in_every_process() {
    MODES
        .into_iter()
        .for_each(scenarios::core::pipeline_gets_term_in_every_process);
}

/// By default and with `--single-child` a signal goes to the child alone; with `-g` its
/// whole group gets it.
#[test]
fn single_child_reaches_only_the_child() {
    let s = example("sigecho");
    let script = format!("trap 'echo shell got USR1' USR1; {s} & wait; wait");
    for (flag, group_gets_it) in [
        ("--single-child", false),
        ("-c", false),
        ("--", false),
        ("-g", true),
        ("--process-group", true),
    ] {
        let p = start(Mode::Pid1, &[flag, "sh", "-c", &script]);
        p.until("ready");
        p.signal(libc::SIGUSR1);
        let mut seen = vec![p.line()];
        if group_gets_it {
            seen.push(p.line());
        }
        assert!(
            seen.contains(&"shell got USR1".to_string()),
            "{flag}: {seen:?}"
        );
        // TERM kills the shell (single child) or both; pidone then drains sigecho.
        p.signal(libc::SIGTERM);
        let out = p.wait();
        seen.extend(out.rest);
        let usr1 = seen.iter().filter(|l| *l == "got SIGUSR1").count();
        assert_eq!(usr1, usize::from(group_gets_it), "{flag}: {seen:?}");
        assert!(
            seen.contains(&"got SIGTERM".to_string()),
            "{flag}: {seen:?}"
        );
    }
}

/// A pre-fork server (gunicorn, celery, uwsgi, a Node cluster) is a master that
/// owns the signal protocol, with workers in its process group. Under the name pidone the
/// master alone gets each signal, once; the workers hear nothing from pidone (the master
/// tells them, here with SIGUSR1).
#[test]
fn a_pre_fork_master_alone_gets_the_signals() {
    let tally = example("tally");
    for mode in MODES {
        let d = format!("/tmp/pidone-prefork-{}-{mode:?}", std::process::id());
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        let script = format!(
            "trap 'echo master HUP' HUP; trap 'echo master USR2' USR2; \
             trap 'echo master TERM; kill -USR1 $w1 $w2; wait; exit 0' TERM; \
             {tally} {d}/w1 --exit-on 10 & w1=$!; {tally} {d}/w2 --exit-on 10 & w2=$!; \
             until [ -s {d}/w1 ] && [ -s {d}/w2 ]; do sleep 0.01; done; echo ready; \
             while :; do wait; done"
        );
        let p = start(mode, &["--", "sh", "-c", &script]);
        p.until("ready");
        for (sig, line) in [
            (libc::SIGHUP, "master HUP"),
            (libc::SIGUSR2, "master USR2"),
            (libc::SIGTERM, "master TERM"),
        ] {
            p.signal(sig);
            assert_eq!(p.line(), line, "{mode:?}");
        }
        let out = p.wait();
        assert_eq!(out.code(), 0, "{mode:?}: {}", out.stderr);
        assert!(out.rest.is_empty(), "{mode:?}: {:?}", out.rest);
        for w in ["w1", "w2"] {
            assert_eq!(
                tally_signals(&format!("{d}/{w}")),
                vec![libc::SIGUSR1],
                "{mode:?}: {w} got a signal meant for its master"
            );
        }
    }
}

#[test]
fn thousands_of_orphans_are_all_reaped() {
    let zombies = example("zombies");
    for burst in [false, true] {
        let mut args = vec!["--", &zombies, "5000", "--check"];
        if burst {
            args.push("--burst");
        }
        let p = start(Mode::Pid1, &args);
        assert_eq!(p.line(), "created 5000");
        assert_eq!(p.line(), "zombies 0", "burst={burst}");
        assert_eq!(p.wait().code(), 0);
    }
}

/// Not PID 1: pidone registers as child subreaper, so orphans come to it and it reaps
/// them. pidone runs inside a PID namespace whose PID 1 never reaps (see `Holder`): an
/// orphan that pidone did not take would be that PID 1's, and stay there.
#[test]
fn subreaper_reaps_when_not_pid1() {
    let holder = Holder::new();
    let sigecho = example("sigecho");
    // The subshell starts the orphan and exits; sigecho then is the application.
    let script = format!("(sleep 1000 </dev/null >/dev/null 2>&1 &); exec {sigecho}");
    let p = spawn(Mode::Pid1, holder.command(&["--", "sh", "-c", &script]));
    p.until("ready");
    let pidone = p.pidone_pid();
    let mut orphan = 0;
    wait_until("the orphan to be re-parented", || {
        orphan = (children(pidone).into_iter())
            .chain(holder.orphans())
            .find(|c| comm_of(*c) == "sleep")
            .unwrap_or(0);
        orphan != 0
    });
    assert_eq!(
        parent_of(orphan),
        Some(pidone),
        "the orphan went to the namespace's PID 1, not to pidone: no subreaper"
    );
    // SAFETY: kill has no memory effects; the orphan is a child of pidone, unreaped.
    assert_eq!(unsafe { libc::kill(orphan, libc::SIGKILL) }, 0);
    let deadline = Instant::now() + HANG;
    while let Some(state) = state_of(orphan) {
        assert!(
            Instant::now() < deadline,
            "orphan {orphan} not reaped within {HANG:?}: state {state}"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    p.signal(libc::SIGTERM);
    let out = p.wait();
    assert_eq!(out.code(), 0, "{}", out.stderr);

    // 2000 orphans dying at once: all reaped before pidone exits, none left to PID 1.
    scenarios::core::a_burst_of_orphans_is_reaped(2000, |args| {
        spawn(Mode::Pid1, holder.command(args)).wait()
    });
    assert_eq!(
        holder.orphans(),
        Vec::<i32>::new(),
        "left to the namespace's PID 1"
    );
}

#[test]
fn ignoring_term_is_killed_after_the_grace() {
    for mode in MODES {
        scenarios::core::ignoring_term_is_killed_after_the_grace(mode, 1000);
    }
}

#[test]
fn grace_zero_kills_at_once() {
    let p = stubborn(Mode::Pid1, &["--grace", "0"], &[]);
    p.signal(libc::SIGTERM);
    assert_eq!(p.wait().code(), 137);
}

#[test]
fn grace_from_environment() {
    let p = stubborn(Mode::Pid1, &[], &[("PIDONE_GRACE", "500ms")]);
    let sent = Instant::now();
    p.signal(libc::SIGTERM);
    let (at_least, before) = (Duration::from_millis(500), HANG);
    scenarios::grace::killed_after(p, sent, at_least, before, "PIDONE_GRACE=500ms");
}

#[test]
fn child_exiting_on_term_gives_its_code() {
    let sigecho = example("sigecho");
    for mode in MODES {
        let p = start(mode, &["--", &sigecho, "--code", "7"]);
        p.until("ready");
        p.signal(libc::SIGTERM);
        let out = p.wait();
        assert_eq!(out.code(), 7, "{mode:?}");
        assert_eq!(out.rest, vec!["got SIGTERM"]);
    }
}

/// After the main child exits, a background worker gets TERM and may finish its work
/// before pidone exits (as PID 1, pidone's exit would SIGKILL it).
#[test]
fn leftovers_are_terminated_and_waited_for() {
    scenarios::core::leftovers_are_terminated_and_waited_for();
}

/// `--no-drain` exits at once; as PID 1 the kernel then kills the worker mid-work.
#[test]
fn no_drain_exits_at_once() {
    scenarios::core::no_drain_exits_at_once();
}

/// A leftover that ignores TERM will never act on the drain's SIGTERM: it is SIGKILLed at
/// once, not when the grace runs out, even when it left the process group and pidone is not
/// PID 1 (found through /proc's children list). One that catches TERM and takes its time
/// still gets the whole grace.
#[test]
fn leftovers_ignoring_term_are_killed_at_once_and_catching_ones_get_the_grace() {
    let leftover = example("leftover");
    for (mode, extra) in [(Mode::Pid1, None), (Mode::Plain, Some("--setsid"))] {
        for ignore in [true, false] {
            // The one killed at once gets a grace of a minute, so that "before the grace"
            // holds with a wide margin however slow the start; the other gets 2 s in full.
            let grace = if ignore { "60s" } else { "2s" };
            let mut args = vec!["--grace", grace, "--", &leftover, "--code", "3"];
            if ignore {
                args.push("--ignore-term");
            } else {
                args.extend(["--linger-ms", "20000"]);
            }
            args.extend(extra);
            let p = start(mode, &args);
            let ready = p.until("worker ready");
            let worker: i32 = ready.rsplit('=').next().unwrap().parse().unwrap();
            let out = p.wait();
            assert_eq!(out.code(), 3, "{mode:?}: {}", out.stderr);
            // Not a timed assertion of speed: one ends before the grace, one after it.
            if ignore {
                assert!(
                    out.elapsed < Duration::from_secs(20),
                    "{mode:?}: waited for a leftover that ignores TERM: {:?}",
                    out.elapsed
                );
            } else {
                assert!(
                    out.elapsed >= Duration::from_secs(2),
                    "{mode:?}: cut the grace of a leftover that handles TERM: {:?}",
                    out.elapsed
                );
                assert!(
                    out.rest.iter().any(|l| l == "worker got SIGTERM"),
                    "{mode:?}"
                );
            }
            if mode == Mode::Plain {
                assert!(!alive(worker), "worker {worker} survived pidone");
            }
        }
    }
}

/// The application is stopped (SIGSTOP) when the grace period runs out: SIGKILL still
/// ends it, and pidone exits with 128+9 on time, as PID 1 and as a plain subreaper. And an
/// application stopped before the TERM is continued, so it can still exit gracefully.
#[test]
fn stopped_app_is_killed_when_the_grace_runs_out() {
    let sigecho = example("sigecho");
    let stop = |pid: i32| {
        // SAFETY: kill has no memory effects.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGSTOP) }, 0);
        wait_until("the application to stop", || state_of(pid) == Some('T'));
    };
    for mode in MODES {
        // Stopped after the TERM: sigecho stops itself once it has it, and again after the
        // SIGCONT pidone sends with the TERM if its listing found it stopped already, so it
        // is stopped when the 1 s grace runs out, however slow the machine (a SIGSTOP from
        // here could come after the grace).
        let args = ["-v", "--grace", "1s", "--", &sigecho];
        let p = start(
            mode,
            &[&args[..], &["--stop-on", "TERM", "--stop-on", "CONT"]].concat(),
        );
        p.until("ready");
        let child = children(p.pidone_pid())[0];
        let term = Instant::now();
        p.signal(libc::SIGTERM);
        let (at_least, before) = (Duration::from_secs(1), Duration::from_secs(8));
        let case = format!("{mode:?}: TERM to exit, stopped");
        let out = scenarios::grace::killed_after(p, term, at_least, before, &case);
        let once = ["got SIGTERM"];
        let continued = ["got SIGTERM", "got SIGCONT"];
        assert!(
            out.rest == once || out.rest == continued,
            "{case}: {:?}",
            out.rest
        );
        assert!(
            out.stderr.contains("grace expired"),
            "{mode:?}: {}",
            out.stderr
        );
        assert!(state_of(child).is_none(), "{mode:?}: {child} survived");

        // Stopped before the TERM: pidone continues it, and it exits on the TERM.
        let p = start(mode, &["--grace", "10s", "--", &sigecho, "--code", "6"]);
        p.until("ready");
        let child = children(p.pidone_pid())[0];
        stop(child);
        p.signal(libc::SIGTERM);
        let out = p.wait();
        assert_eq!(out.code(), 6, "{mode:?}: {}", out.stderr);
        assert_eq!(out.rest, vec!["got SIGTERM"], "{mode:?}");
        assert!(
            out.elapsed < Duration::from_secs(10),
            "{mode:?}: waited for the grace"
        );
    }
}

/// SIGCHLD is pidone's cue to reap, never the application's: not one sent to pidone from
/// outside, and not the kernel's for the orphans pidone reaps while the application runs.
/// sigecho has no children of its own, so any SIGCHLD it records was forwarded; SIGPWR
/// (30, above SIGCHLD's 17, so taken after it) is the marker that anything forwarded before
/// it has arrived.
#[test]
fn sigchld_never_reaches_the_application() {
    let sigecho = example("sigecho");
    let zombies = example("zombies");
    for mode in MODES {
        let p = start(mode, &["--", &sigecho]);
        p.until("ready");
        for _ in 0..3 {
            p.signal(libc::SIGCHLD);
        }
        p.signal(libc::SIGPWR);
        assert_eq!(p.line(), "got SIGPWR", "{mode:?}: SIGCHLD from outside");
        p.signal(libc::SIGTERM);
        let out = p.wait();
        assert_eq!(out.rest, vec!["got SIGTERM"], "{mode:?}");
        assert_eq!(out.code(), 0, "{mode:?}: {}", out.stderr);

        // sigecho shares its process group with 20 orphans that die and are reaped by
        // pidone (`-g`: the forwarded signal goes to the group). The shell ignores the
        // marker, which would end it (and start the drain's TERM) otherwise.
        let script = format!("trap '' PWR; {sigecho} & {zombies} 20 --check; wait");
        let p = start(mode, &["-g", "--", "sh", "-c", &script]);
        let mut seen = vec![p.until("ready"), p.until("created 20")];
        seen.push(p.line());
        assert_eq!(
            seen.last().map(String::as_str),
            Some("zombies 0"),
            "{mode:?}"
        );
        p.signal(libc::SIGPWR);
        seen.push(p.line());
        assert_eq!(
            seen.last().map(String::as_str),
            Some("got SIGPWR"),
            "{mode:?}"
        );
        p.signal(libc::SIGTERM);
        let out = p.wait();
        seen.extend(out.rest);
        assert!(
            !seen.iter().any(|l| l == "got SIGCHLD"),
            "{mode:?}: the application got SIGCHLD: {seen:?}"
        );
    }
}

/// A leftover that is stopped when the main child exits gets SIGCONT with the drain's
/// SIGTERM, so it can act on it: the worker's own record shows it got the TERM and finished
/// its work, long before the grace would have ended it by SIGKILL. (Without the SIGCONT it
/// would sit stopped until then, and print nothing more.)
#[test]
fn stopped_leftovers_are_continued_for_the_drain() {
    let leftover = example("leftover");
    for mode in MODES {
        let args = [
            "--grace",
            "5s",
            "--",
            &leftover,
            "--code",
            "5",
            "--stop",
            "--linger-ms",
            "100",
        ];
        let p = start(mode, &args);
        let ready = p.until("worker ready");
        let worker: i32 = ready.rsplit('=').next().unwrap().parse().unwrap();
        let out = p.wait();
        scenarios::core::drained(&out, &format!("{mode:?}"));
        assert!(
            out.elapsed < Duration::from_secs(5),
            "{mode:?}: waited for the grace: {:?}",
            out.elapsed
        );
        if mode == Mode::Plain {
            assert_eq!(
                state_of(worker),
                None,
                "{mode:?}: worker {worker} left behind"
            );
        }
    }
}

#[test]
fn idle_pidone_never_wakes_up() {
    let sigecho = example("sigecho");
    for mode in MODES {
        let p = start(mode, &["--", &sigecho]);
        p.until("ready");
        let pid = p.pidone_pid();
        // Start counting once pidone sleeps: the fall asleep itself is a context switch.
        wait_until("pidone to sleep in rt_sigtimedwait", || in_signal_wait(pid));
        let before = context_switches(pid);
        // The measurement window, not a synchronisation: nothing should happen in it.
        std::thread::sleep(Duration::from_secs(1));
        assert_eq!(
            context_switches(pid),
            before,
            "{mode:?}: pidone woke up while idle"
        );
        p.signal(libc::SIGTERM);
        assert_eq!(p.wait().code(), 0);
    }
}

/// The child starts with nothing blocked, and what pidone's caller ignored stays ignored.
#[test]
fn child_signal_mask_and_ignored_signals() {
    use std::os::unix::process::CommandExt;
    // grep reads its own status: a shell in between would reset SIGCHLD itself.
    let mut cmd = command(
        Mode::Plain,
        &["--", "grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status"],
    );
    // SAFETY: signal() is async-signal-safe; the closure touches no shared state.
    unsafe {
        cmd.pre_exec(|| {
            libc::signal(libc::SIGUSR2, libc::SIG_IGN);
            libc::signal(libc::SIGCHLD, libc::SIG_IGN);
            Ok(())
        });
    }
    let out = spawn(Mode::Plain, cmd).wait();
    assert_eq!(out.code(), 0, "{}", out.stderr);
    assert_eq!(out.rest[0], "SigBlk:\t0000000000000000");
    let ignored = u64::from_str_radix(out.rest[1].trim_start_matches("SigIgn:\t"), 16).unwrap();
    assert_ne!(
        ignored & (1 << (libc::SIGUSR2 - 1)),
        0,
        "SIGUSR2 no longer ignored"
    );
    assert_ne!(
        ignored & (1 << (libc::SIGCHLD - 1)),
        0,
        "SIGCHLD no longer ignored"
    );
}

/// An inherited SIG_IGN for SIGCHLD would make the kernel reap the child itself; pidone
/// must still see the exit status.
#[test]
fn exit_status_survives_ignored_sigchld() {
    use std::os::unix::process::CommandExt;
    let mut cmd = command(Mode::Plain, &["--", "sh", "-c", "exit 9"]);
    // SAFETY: signal() is async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            libc::signal(libc::SIGCHLD, libc::SIG_IGN);
            Ok(())
        });
    }
    assert_eq!(spawn(Mode::Plain, cmd).wait().code(), 9);
}

#[test]
fn stdio_cwd_and_environment_are_the_callers() {
    for mode in MODES {
        let mut cmd = command(mode, &["--", "sh", "-c", "pwd; echo \"$FOO\"; cat"]);
        cmd.current_dir("/usr").env("FOO", "bar baz");
        cmd.stdin(std::process::Stdio::piped());
        let mut cmd_child = cmd.stdout(std::process::Stdio::piped()).spawn().unwrap();
        use std::io::Write;
        cmd_child
            .stdin
            .take()
            .unwrap()
            .write_all(b"from stdin\n")
            .unwrap();
        let out = cmd_child.wait_with_output().unwrap();
        assert!(out.status.success());
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "/usr\nbar baz\nfrom stdin\n"
        );
    }
}

/// pidone pins no directory and holds no descriptor beyond 0-2 once the child runs.
#[test]
fn pidone_holds_no_cwd_and_no_extra_fds() {
    use std::os::unix::process::CommandExt;
    let sigecho = example("sigecho");
    let mut cmd = command(Mode::Plain, &["--", &sigecho]);
    cmd.current_dir("/usr");
    // SAFETY: dup2 is async-signal-safe; fd 7 is left open across exec on purpose.
    unsafe {
        cmd.pre_exec(|| {
            libc::dup2(2, 7);
            Ok(())
        });
    }
    let p = spawn(Mode::Plain, cmd);
    let ready = p.until("ready");
    let pid = p.pidone_pid();
    // pidone lets go of both right after the exec it waits for, which may come a moment
    // after the application's first line.
    let cwd = || std::fs::read_link(format!("/proc/{pid}/cwd")).unwrap();
    // Besides 0-2, pidone may hold one descriptor: its own non-blocking description of
    // stderr (the same pipe as fd 2), for log lines that must never block it.
    let extra_fds = || -> Vec<String> {
        let stderr = std::fs::read_link(format!("/proc/{pid}/fd/2")).unwrap();
        let mut fds: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|fd| !["0", "1", "2"].contains(&fd.as_str()))
            .filter(|fd| {
                std::fs::read_link(format!("/proc/{pid}/fd/{fd}")).ok() != Some(stderr.clone())
            })
            .collect();
        fds.sort();
        fds
    };
    wait_until("pidone to leave its cwd and close fd 7", || {
        cwd() == std::path::Path::new("/") && extra_fds().is_empty()
    });
    // The application keeps what it was given, and its own cwd.
    let app: i32 = ready.split_whitespace().nth(1).unwrap()[4..]
        .parse()
        .unwrap();
    assert!(std::path::Path::new(&format!("/proc/{app}/fd/7")).exists());
    assert_eq!(
        std::fs::read_link(format!("/proc/{app}/cwd"))
            .unwrap()
            .to_str(),
        Some("/usr")
    );
    p.signal(libc::SIGTERM);
    assert_eq!(p.wait().code(), 0);
}

#[test]
fn child_gets_its_own_process_group() {
    let sigecho = example("sigecho");
    for mode in MODES {
        let p = start(mode, &["--", &sigecho]);
        let ready = p.until("ready");
        let fields: Vec<i32> = ready
            .split_whitespace()
            .skip(1)
            .map(|f| f.split('=').nth(1).unwrap().parse().unwrap())
            .collect();
        let (pid, pgid) = (fields[0], fields[1]);
        assert_eq!(pid, pgid, "{mode:?}: {ready}");
        p.signal(libc::SIGTERM);
        p.wait();
    }
}

#[test]
fn usage_errors_exit_2_with_one_clear_line() {
    let cases: &[(&[&str], &str)] = &[
        (&["--bogus", "true"], "unknown option '--bogus'"),
        (&["-x", "true"], "unknown option '-x'"),
        (&["--grace", "10parsecs", "true"], "bad duration"),
        (&["--grace"], "missing value"),
        (&[], "no command given"),
        (&["--"], "no command given"),
    ];
    for (args, message) in cases {
        let out = run(Mode::Plain, args);
        assert_eq!(out.code(), 2, "{args:?}");
        assert!(out.stderr.contains(message), "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains("--help"), "{args:?}: {}", out.stderr);
        assert_eq!(out.stderr.lines().count(), 1, "{args:?}: {}", out.stderr);
    }
}

#[test]
fn options_stop_at_the_command() {
    let out = run(
        Mode::Plain,
        &["sh", "-c", "echo \"$0 $1\"", "-v", "--grace"],
    );
    assert_eq!(out.rest, vec!["-v --grace"]);
    assert_eq!(out.code(), 0);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
}

#[test]
fn help_and_version() {
    let out = run(Mode::Plain, &["--help"]);
    assert_eq!(out.code(), 0);
    for option in [
        "--grace",
        "--single-child",
        "--no-drain",
        "--verbose",
        "Exit status",
    ] {
        assert!(
            out.rest.iter().any(|l| l.contains(option)),
            "help lacks {option}"
        );
    }
    let out = run(Mode::Plain, &["--version"]);
    assert_eq!(
        out.rest,
        vec![format!("pidone {}", env!("CARGO_PKG_VERSION"))]
    );
}

/// Pause mode (a pod's infra container) reaps: an orphan re-parented to pidone in its
/// namespace is gone from /proc once it dies, and only its parent could have reaped it.
/// The orphan comes from a process that joins the namespace (as `docker exec` or a
/// pod's other containers would) and exits, leaving its child behind.
#[test]
fn pause_mode_reaps_and_exits_0_on_term() {
    let p = start(Mode::Pid1, &["-P"]);
    // Nothing prints in pause mode: wait until pidone waits for signals.
    let init = init_ready(&p, pidone());
    let joined = Command::new("nsenter")
        .args(["--target", &init.to_string(), "--pid", "--mount", "--"])
        .args(["sh", "-c", "sleep 1000 </dev/null >/dev/null 2>&1 & exit 0"])
        .status()
        .expect("run nsenter");
    assert!(joined.success(), "nsenter: {joined:?}");
    let mut orphan = 0;
    wait_until(
        "the orphan to be re-parented to pidone and run sleep",
        || {
            orphan = (children(init).into_iter())
                .find(|c| comm_of(*c) == "sleep")
                .unwrap_or(0);
            orphan != 0
        },
    );
    assert_eq!(parent_of(orphan), Some(init));
    // SAFETY: kill has no memory effects; the orphan is a child of pidone, unreaped.
    assert_eq!(unsafe { libc::kill(orphan, libc::SIGKILL) }, 0);
    let deadline = Instant::now() + HANG;
    while let Some(state) = state_of(orphan) {
        assert!(
            Instant::now() < deadline,
            "orphan {orphan} not reaped within {HANG:?}: state {state}, parent {:?}",
            parent_of(orphan)
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    p.signal(libc::SIGTERM);
    assert_eq!(p.wait().code(), 0);
}

#[test]
fn verbose_logs_what_pidone_does() {
    let sigecho = example("sigecho");
    // The grace explicitly, so the logged grace does not depend on the default.
    let p = start(Mode::Pid1, &["-v", "--grace", "10s", "--", &sigecho]);
    p.until("ready");
    p.signal(libc::SIGHUP);
    p.until("got SIGHUP");
    p.signal(libc::SIGTERM);
    let out = p.wait();
    for event in [
        "pidone: spawned pid=2",
        "pidone: forwarded signal=SIGHUP pid=2",
        "pidone: grace started grace_ms=10000",
        "pidone: child exited pid=2 exit=0",
        "pidone: exit code=0",
    ] {
        assert!(
            out.stderr.contains(event),
            "missing {event:?} in:\n{}",
            out.stderr
        );
    }
}
