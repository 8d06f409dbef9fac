//! The core semantics of issue 2, against the real binary, as PID 1 of a fresh PID
//! namespace and as a plain process.

mod common;

use common::*;
use std::time::{Duration, Instant};

fn sh(mode: Mode, script: &str) -> Outcome {
    run(mode, &["--", "sh", "-c", script])
}

#[test]
fn exit_codes_pass_through() {
    for mode in MODES {
        for code in [0, 3, 255] {
            let out = sh(mode, &format!("exit {code}"));
            assert_eq!(out.code(), code, "{mode:?}: {}", out.stderr);
        }
        let out = sh(mode, "kill -9 $$");
        assert_eq!(out.code(), 137, "{mode:?}: killed by SIGKILL is 128+9");
        let out = sh(mode, "kill -USR1 $$");
        assert_eq!(out.code(), 138, "{mode:?}: killed by SIGUSR1 is 128+10");
    }
}

#[test]
fn command_not_found_is_127_with_the_reason() {
    for mode in MODES {
        let out = run(mode, &["--", "no-such-command-xyz"]);
        assert_eq!(out.code(), 127);
        assert!(
            out.stderr
                .contains("pidone: no-such-command-xyz: No such file or directory"),
            "{mode:?}: {}",
            out.stderr
        );
        assert_eq!(out.stderr.lines().count(), 1, "one line: {}", out.stderr);
    }
}

#[test]
fn not_executable_is_126() {
    let dir = tempdir();
    let file = format!("{dir}/plain-file");
    std::fs::write(&file, "#!/bin/sh\necho hi\n").unwrap();
    for mode in MODES {
        let out = run(mode, &["--", &file]);
        assert_eq!(out.code(), 126, "{mode:?}");
        assert!(out.stderr.contains("Permission denied"), "{}", out.stderr);
    }
}

/// Every catchable signal sent to pidone reaches the child exactly once.
#[test]
fn each_signal_reaches_the_child_once() {
    let sigecho = example("sigecho");
    let signals: &[(i32, &str)] = &[
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
        (64, "SIGRTMIN+30"),
    ];
    for mode in MODES {
        let p = start(mode, &["--", &sigecho]);
        p.until("ready");
        for (sig, name) in signals {
            p.signal(*sig);
            // A second delivery of the previous signal would show up here instead.
            assert_eq!(p.line(), format!("got {name}"), "{mode:?}");
        }
        p.signal(libc::SIGTERM);
        let out = p.wait();
        assert_eq!(out.rest, vec!["got SIGTERM".to_string()], "{mode:?}");
        assert_eq!(out.code(), 0);
    }
}

/// A shell pipeline is one process group: both ends get the TERM pidone forwards.
#[test]
fn pipeline_gets_term_in_every_process() {
    let s = example("sigecho");
    // The shell and anything it starts ignore TERM; sigecho takes it regardless (it blocks
    // and waits for every signal). The first sigecho writes past the pipe, to stdout.
    let script = format!("trap '' TERM; {{ {s} 1>&3 | {s}; }} 3>&1");
    for mode in MODES {
        let p = start(mode, &["--", "sh", "-c", &script]);
        let (a, b) = (p.until("ready"), p.until("ready"));
        assert_ne!(a, b);
        p.signal(libc::SIGTERM);
        let out = p.wait();
        let got = out.rest.iter().filter(|l| *l == "got SIGTERM").count();
        assert_eq!(got, 2, "{mode:?}: {:?} {}", out.rest, out.stderr);
        assert_eq!(out.code(), 0);
    }
}

/// `--single-child` sends to the child alone; by default its whole group gets it.
#[test]
fn single_child_reaches_only_the_child() {
    let s = example("sigecho");
    let script = format!("trap 'echo shell got USR1' USR1; {s} & wait; wait");
    for (flag, group_gets_it) in [("--single-child", false), ("-c", false), ("--", true)] {
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

/// Not PID 1: pidone registers as subreaper, so orphans still come to it. Here `sh` is
/// PID 1 of the namespace and does not reap; pidone below it must.
#[test]
fn subreaper_reaps_when_not_pid1() {
    let zombies = example("zombies");
    let script = format!("{} -- {zombies} 2000 --check --burst; exit $?", pidone());
    let out = run(
        Mode::Plain,
        &[
            "--",
            "unshare",
            "--pid",
            "--fork",
            "--mount-proc",
            "sh",
            "-c",
            &script,
        ],
    );
    assert_eq!(
        out.rest,
        vec!["created 2000", "zombies 0"],
        "{}",
        out.stderr
    );
    assert_eq!(out.code(), 0);
}

#[test]
fn ignoring_term_is_killed_after_the_grace() {
    let stubborn = example("stubborn");
    for mode in MODES {
        let p = start(mode, &["--grace", "1s", "--", &stubborn]);
        p.until("ready");
        let sent = Instant::now();
        p.signal(libc::SIGTERM);
        let out = p.wait();
        let took = sent.elapsed();
        assert_eq!(out.code(), 137, "{mode:?}: {}", out.stderr);
        assert!(
            took >= Duration::from_secs(1),
            "{mode:?}: killed before the grace: {took:?}"
        );
        assert!(
            took < Duration::from_secs(8),
            "{mode:?}: far past the grace: {took:?}"
        );
    }
}

#[test]
fn grace_zero_kills_at_once() {
    let stubborn = example("stubborn");
    let p = start(Mode::Pid1, &["--grace", "0", "--", &stubborn]);
    p.until("ready");
    p.signal(libc::SIGTERM);
    assert_eq!(p.wait().code(), 137);
}

#[test]
fn grace_from_environment() {
    let stubborn = example("stubborn");
    let mut cmd = command(Mode::Pid1, &["--", &stubborn]);
    cmd.env("PIDONE_GRACE", "500ms");
    let p = spawn(Mode::Pid1, cmd);
    p.until("ready");
    let sent = Instant::now();
    p.signal(libc::SIGINT);
    assert_eq!(p.wait().code(), 137);
    assert!(sent.elapsed() >= Duration::from_millis(500));
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
    let leftover = example("leftover");
    let p = start(
        Mode::Pid1,
        &["--", &leftover, "--code", "5", "--linger-ms", "300"],
    );
    p.until("worker ready");
    let out = p.wait();
    assert_eq!(
        out.rest,
        vec!["worker got SIGTERM", "worker finished"],
        "{}",
        out.stderr
    );
    assert_eq!(out.code(), 5, "the main child's code, not the worker's");
}

/// `--no-drain` exits at once; as PID 1 the kernel then kills the worker mid-work.
#[test]
fn no_drain_exits_at_once() {
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

/// A leftover that ignores TERM is SIGKILLed when the grace runs out, even when it left
/// the process group and pidone is not PID 1 (found through /proc's children list).
#[test]
fn leftovers_ignoring_term_are_killed_after_the_grace() {
    let leftover = example("leftover");
    for (mode, extra) in [(Mode::Pid1, None), (Mode::Plain, Some("--setsid"))] {
        let mut args = vec![
            "--grace",
            "1s",
            "--",
            &leftover,
            "--code",
            "3",
            "--ignore-term",
        ];
        args.extend(extra);
        let p = start(mode, &args);
        let ready = p.until("worker ready");
        let worker: i32 = ready.rsplit('=').next().unwrap().parse().unwrap();
        let out = p.wait();
        assert_eq!(out.code(), 3, "{mode:?}: {}", out.stderr);
        assert!(
            out.elapsed >= Duration::from_secs(1),
            "{mode:?}: {:?}",
            out.elapsed
        );
        if mode == Mode::Plain {
            assert!(!alive(worker), "worker {worker} survived pidone");
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

#[test]
fn pause_mode_reaps_and_exits_0_on_term() {
    let p = start(Mode::Pid1, &["-P"]);
    // Nothing prints in pause mode: wait until pidone waits for signals.
    init_ready(&p, pidone());
    p.signal(libc::SIGTERM);
    assert_eq!(p.wait().code(), 0);
}

#[test]
fn verbose_logs_what_pidone_does() {
    let sigecho = example("sigecho");
    let p = start(Mode::Pid1, &["-v", "--", &sigecho]);
    p.until("ready");
    p.signal(libc::SIGHUP);
    p.until("got SIGHUP");
    p.signal(libc::SIGTERM);
    let out = p.wait();
    for event in [
        "pidone: spawned pid=2",
        "pidone: forwarded signal=SIGHUP pid=-2",
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

fn tempdir() -> String {
    let dir = std::env::temp_dir().join(format!(
        "pidone-test-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir.to_string_lossy().into_owned()
}
