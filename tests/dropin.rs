//! pidone as a drop-in for tini (docker-init), dumb-init and catatonit.
//!
//! Differential tests: every scenario runs against Debian's original tool and against pidone
//! behind a symlink named like it, both as PID 1 of a fresh PID namespace (or as a plain
//! process where that is the point), and compares what the application sees: exit codes,
//! which signals arrive and how often, process group and session, stopped states, zombies
//! and leftovers. Where pidone differs on purpose (README, "Drop-in"), the test asserts the
//! documented difference, so a change on either side shows up here.

// The scenario tables are tuples of options and environments; naming each shape would not
// make them clearer.
#![allow(clippy::type_complexity)]

use pidone_testkit as common;

use common::*;
use std::collections::BTreeMap;
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Which implementation of a tool runs a scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Impl {
    Original,
    Pidone,
}

const BOTH: [Impl; 2] = [Impl::Original, Impl::Pidone];

/// The program that is `tool` for `which`: Debian's binary, or a symlink to pidone named
/// like the tool. Docker's docker-init is tini-static; podman's podman-init is catatonit.
fn program(tool: &str, which: Impl) -> String {
    match which {
        Impl::Original => {
            let name = match tool {
                "docker-init" => "tini-static",
                "podman-init" => "catatonit",
                _ => tool,
            };
            let path = format!("/usr/bin/{name}");
            assert!(
                std::path::Path::new(&path).exists(),
                "{path} is missing: install Debian's tini, dumb-init and catatonit \
                 (scripts/setup.sh)"
            );
            path
        }
        Impl::Pidone => format!("{}/{tool}", links()),
    }
}

/// A directory of symlinks to the pidone binary, one per tool name, made once.
fn links() -> &'static str {
    static DIR: OnceLock<String> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("pidone-dropin-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for name in [
            "tini",
            "tini-static",
            "docker-init",
            "dumb-init",
            "catatonit",
            "podman-init",
        ] {
            let link = dir.join(name);
            let _ = std::fs::remove_file(&link);
            std::os::unix::fs::symlink(pidone(), &link).unwrap();
        }
        dir.to_string_lossy().into_owned()
    })
}

/// `program args...` as PID 1 of a fresh PID namespace (like `common::command`, with any
/// program), with extra environment variables.
fn ns_command(program: &str, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new("unshare");
    cmd.args(["--pid", "--fork", "--mount-proc", "--kill-child", "--"]);
    cmd.arg(program).args(args);
    cmd.envs(env.iter().copied());
    cmd
}

fn ns_start(program: &str, args: &[&str], env: &[(&str, &str)]) -> Proc {
    spawn(Mode::Pid1, ns_command(program, args, env))
}

fn ns_run(program: &str, args: &[&str], env: &[(&str, &str)]) -> Outcome {
    ns_start(program, args, env).wait()
}

/// `program args...` as an ordinary process (not PID 1, no namespace).
fn plain_run(program: &str, args: &[&str], env: &[(&str, &str)]) -> Outcome {
    let mut cmd = Command::new(program);
    cmd.args(args).envs(env.iter().copied());
    spawn(Mode::Plain, cmd).wait()
}

/// The first child of `pid`, once it exists and runs `comm`.
fn child_running(pid: i32, comm: &str) -> i32 {
    let mut found = 0;
    wait_until(&format!("a child of {pid} running {comm}"), || {
        found = children(pid)
            .into_iter()
            .find(|c| {
                std::fs::read_to_string(format!("/proc/{c}/comm")).is_ok_and(|n| n.trim() == comm)
            })
            .unwrap_or(0);
        found != 0
    });
    found
}

fn wait_state(pid: i32, want: &[char]) {
    wait_until(
        &format!("pid {pid} ({}) in state {want:?}", comm_of(pid)),
        || state_of(pid).is_some_and(|s| want.contains(&s)),
    );
}

fn kill(pid: i32, sig: i32) {
    // SAFETY: kill has no memory effects.
    unsafe { libc::kill(pid, sig) };
}

/// Ends a run whose init would never exit by itself (the namespace dies with its PID 1).
fn kill_run(p: Proc) -> Outcome {
    kill(p.pidone_pid(), libc::SIGKILL);
    p.wait()
}

/// Waits until the init of `p` runs `program` and sleeps in the system call that takes its
/// signals (read on a signalfd, or sigtimedwait), so it has blocked them all; for pause
/// mode, where nothing prints. Returns its pid.
fn sigecho() -> String {
    example("sigecho")
}

/// `got SIGX` lines up to and including `got MARKER`.
fn lines_until(p: &Proc, marker: &str) -> Vec<String> {
    let mut got = Vec::new();
    loop {
        let line = p.line();
        let done = line == format!("got {marker}");
        got.push(line);
        if done {
            return got;
        }
    }
}

/// The signals of the differential matrix; each is below SIGPWR, the marker, so a signal
/// forwarded before the marker is also received before it (lower numbers go first).
const MATRIX: &[(i32, &str)] = &[
    (libc::SIGHUP, "SIGHUP"),
    (libc::SIGINT, "SIGINT"),
    (libc::SIGQUIT, "SIGQUIT"),
    (libc::SIGILL, "SIGILL"),
    (libc::SIGTRAP, "SIGTRAP"),
    (libc::SIGABRT, "SIGABRT"),
    (libc::SIGBUS, "SIGBUS"),
    (libc::SIGFPE, "SIGFPE"),
    (libc::SIGUSR1, "SIGUSR1"),
    (libc::SIGSEGV, "SIGSEGV"),
    (libc::SIGUSR2, "SIGUSR2"),
    (libc::SIGPIPE, "SIGPIPE"),
    (libc::SIGALRM, "SIGALRM"),
    (libc::SIGCONT, "SIGCONT"),
    (libc::SIGTSTP, "SIGTSTP"),
    (libc::SIGTTIN, "SIGTTIN"),
    (libc::SIGTTOU, "SIGTTOU"),
    (libc::SIGURG, "SIGURG"),
    (libc::SIGXCPU, "SIGXCPU"),
    (libc::SIGXFSZ, "SIGXFSZ"),
    (libc::SIGVTALRM, "SIGVTALRM"),
    (libc::SIGPROF, "SIGPROF"),
    (libc::SIGWINCH, "SIGWINCH"),
    (libc::SIGIO, "SIGIO"),
];

const SYNCHRONOUS: [&str; 6] = [
    "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGSEGV",
];

/// For each signal sent to the init: the `got` lines the application printed up to the
/// marker; then TERM, and what is left.
fn signal_matrix(
    tool: &str,
    which: Impl,
    args: &[&str],
    skip: &[&str],
) -> (BTreeMap<&'static str, Vec<String>>, Outcome) {
    let echo = sigecho();
    let mut argv = args.to_vec();
    argv.extend(["--", &echo]);
    let p = ns_start(&program(tool, which), &argv, &[]);
    p.until("ready");
    let mut seen = BTreeMap::new();
    for (sig, name) in MATRIX.iter().filter(|(_, n)| !skip.contains(n)) {
        p.signal(*sig);
        p.signal(libc::SIGPWR);
        seen.insert(*name, lines_until(&p, "SIGPWR"));
    }
    // Real-time signals, with the last one as their marker.
    for (sig, name) in [(35, "SIGRTMIN+1"), (50, "SIGRTMIN+16")] {
        p.signal(sig);
        p.signal(64);
        seen.insert(name, lines_until(&p, "SIGRTMIN+30"));
    }
    p.signal(libc::SIGTERM);
    (seen, p.wait())
}

fn forwarded(name: &str, marker: &str) -> Vec<String> {
    vec![format!("got {name}"), format!("got {marker}")]
}

fn dropped(marker: &str) -> Vec<String> {
    vec![format!("got {marker}")]
}

#[test]
fn signals_reach_the_application_as_with_the_original() {
    // (tool, options, signals the original does not forward that pidone does, skipped)
    let stops = ["SIGTSTP", "SIGTTIN", "SIGTTOU"];
    let tini_drops: Vec<&str> = ["SIGTTIN", "SIGTTOU"]
        .into_iter()
        .chain(SYNCHRONOUS)
        .collect();
    let catatonit_drops: Vec<&str> = stops.into_iter().chain(SYNCHRONOUS).collect();
    let cases: &[(&str, &[&str], &[&str], &[&str])] = &[
        ("tini", &[], &tini_drops, &[]),
        ("tini", &["-g"], &tini_drops, &[]),
        ("docker-init", &[], &tini_drops, &[]),
        ("catatonit", &[], &catatonit_drops, &[]),
        ("catatonit", &["-g"], &catatonit_drops, &[]),
        ("dumb-init", &["-c"], &[], &[]),
        // Session mode turns the job-control stops into SIGSTOP: see job_control_*.
        ("dumb-init", &[], &[], &stops),
    ];
    for (tool, args, original_drops, skip) in cases {
        let (orig, orig_out) = signal_matrix(tool, Impl::Original, args, skip);
        let (ours, our_out) = signal_matrix(tool, Impl::Pidone, args, skip);
        for (name, got) in &orig {
            let marker = if name.starts_with("SIGRT") {
                "SIGRTMIN+30"
            } else {
                "SIGPWR"
            };
            let want_orig = if original_drops.contains(name) {
                dropped(marker)
            } else {
                forwarded(name, marker)
            };
            assert_eq!(got, &want_orig, "{tool} {args:?}: original, {name}");
            // pidone forwards every signal exactly once (deliberate, README, "Drop-in").
            assert_eq!(
                ours[name],
                forwarded(name, marker),
                "{tool} {args:?}: pidone, {name}"
            );
        }
        for out in [&orig_out, &our_out] {
            assert_eq!(out.rest, vec!["got SIGTERM"], "{tool} {args:?}: {out:?}");
            assert_eq!(out.code(), 0, "{tool} {args:?}: {}", out.stderr);
        }
    }
}

/// `ready pid= pgid= sid=` as (own group, own session).
fn group_and_session(ready: &str) -> (bool, bool) {
    let field = |key: &str| -> i32 {
        ready
            .split_whitespace()
            .find_map(|w| w.strip_prefix(key))
            .unwrap()
            .parse()
            .unwrap()
    };
    let pid = field("pid=");
    (field("pgid=") == pid, field("sid=") == pid)
}

#[test]
fn process_group_and_session_as_with_the_original() {
    let echo = sigecho();
    // (tool, options, environment, original's (own group, own session), pidone's)
    let cases: &[(&str, &[&str], &[(&str, &str)], (bool, bool), (bool, bool))] = &[
        ("tini", &[], &[], (true, false), (true, false)),
        ("tini", &["-g"], &[], (true, false), (true, false)),
        ("docker-init", &[], &[], (true, false), (true, false)),
        ("catatonit", &[], &[], (true, false), (true, false)),
        ("dumb-init", &[], &[], (true, true), (true, true)),
        // dumb-init -c leaves the child in dumb-init's own group; pidone gives it its own
        // group (deliberate: a terminal's ^C then reaches the application once, not twice).
        ("dumb-init", &["-c"], &[], (false, false), (true, false)),
        (
            "dumb-init",
            &[],
            &[("DUMB_INIT_SETSID", "0")],
            (false, false),
            (true, false),
        ),
    ];
    for (tool, args, env, want_orig, want_ours) in cases {
        for which in BOTH {
            let mut argv = args.to_vec();
            argv.extend(["--", &echo]);
            let p = ns_start(&program(tool, which), &argv, env);
            let ready = p.until("ready");
            let want = if which == Impl::Original {
                want_orig
            } else {
                want_ours
            };
            assert_eq!(
                &group_and_session(&ready),
                want,
                "{tool} {args:?} {env:?} {which:?}: {ready}"
            );
            p.signal(libc::SIGTERM);
            assert_eq!(p.wait().code(), 0);
        }
    }
}

/// Two sigechos in one process group, the main child and a background one. Returns how
/// many of them got the SIGUSR1 sent to the init.
fn usr1_receivers(tool: &str, which: Impl, args: &[&str], env: &[(&str, &str)]) -> usize {
    let echo = sigecho();
    let script = format!("{echo} & exec {echo}");
    let mut argv = args.to_vec();
    argv.extend(["--", "sh", "-c", &script]);
    let p = ns_start(&program(tool, which), &argv, env);
    p.until("ready");
    p.until("ready");
    let init = p.pidone_pid();
    let main = child_running(init, "sigecho");
    let background = child_running(main, "sigecho");
    p.signal(libc::SIGUSR1);
    // Someone always gets it; once a line is printed, the init has forwarded (a signal to a
    // group reaches all its members at once).
    let mut got = vec![p.line()];
    assert_eq!(got[0], "got SIGUSR1", "{tool} {which:?}");
    // A marker straight to each process: a USR1 it got is printed before it.
    kill(main, libc::SIGUSR2);
    kill(background, libc::SIGUSR2);
    while got.iter().filter(|l| *l == "got SIGUSR2").count() < 2 {
        got.push(p.line());
    }
    p.signal(libc::SIGTERM);
    let out = p.wait();
    assert_eq!(out.code(), 0, "{tool} {which:?}: {}", out.stderr);
    got.iter().filter(|l| *l == "got SIGUSR1").count()
}

#[test]
fn child_or_process_group_as_with_the_original() {
    let cases: &[(&str, &[&str], &[(&str, &str)], usize)] = &[
        ("tini", &[], &[], 1),
        ("tini", &["-g"], &[], 2),
        ("tini", &[], &[("TINI_KILL_PROCESS_GROUP", "")], 2),
        ("docker-init", &[], &[], 1),
        ("catatonit", &[], &[], 1),
        ("catatonit", &["-g"], &[], 2),
        ("podman-init", &[], &[], 1),
        ("dumb-init", &[], &[], 2),
        ("dumb-init", &["-c"], &[], 1),
        ("dumb-init", &["--single-child"], &[], 1),
        ("dumb-init", &[], &[("DUMB_INIT_SETSID", "0")], 1),
    ];
    for (tool, args, env, want) in cases {
        for which in BOTH {
            assert_eq!(
                usr1_receivers(tool, which, args, env),
                *want,
                "{tool} {args:?} {env:?} {which:?}"
            );
        }
    }
}

#[test]
fn exit_codes_as_with_the_original() {
    for tool in ["tini", "docker-init", "dumb-init", "catatonit"] {
        for which in BOTH {
            let p = program(tool, which);
            for (script, code) in [("exit 0", 0), ("exit 3", 3), ("exit 255", 255)] {
                let out = ns_run(&p, &["--", "sh", "-c", script], &[]);
                assert_eq!(
                    out.code(),
                    code,
                    "{tool} {which:?} {script}: {}",
                    out.stderr
                );
            }
            let out = ns_run(&p, &["--", "sh", "-c", "kill -9 $$"], &[]);
            assert_eq!(out.code(), 137, "{tool} {which:?}: 128+SIGKILL");
        }
    }
    // tini -e: remap a code to 0, repeatable.
    for tool in ["tini", "docker-init"] {
        for which in BOTH {
            let p = program(tool, which);
            let remap = ["-e", "143", "-e", "3", "--", "sh", "-c"];
            for (script, code) in [("exit 3", 0), ("kill -TERM $$", 0), ("exit 4", 4)] {
                let mut argv = remap.to_vec();
                argv.push(script);
                let out = ns_run(&p, &argv, &[]);
                assert_eq!(out.code(), code, "{tool} {which:?} {script}");
            }
        }
    }
}

#[test]
fn exec_failure_codes() {
    let dir = links();
    let not_executable = format!("{dir}/not-executable");
    std::fs::write(&not_executable, "#!/bin/sh\n").unwrap();
    // (tool, original's code for not found, for not executable). pidone keeps 127/126 in
    // every personality (README, "Drop-in"): dumb-init's 2 and catatonit's 1 cannot be told
    // apart from the application's own exit codes, so nothing can rely on them.
    for (tool, missing, denied) in [
        ("tini", 127, 126),
        ("docker-init", 127, 126),
        ("dumb-init", 2, 2),
        ("catatonit", 1, 1),
    ] {
        for which in BOTH {
            let p = program(tool, which);
            let (want_missing, want_denied) = match which {
                Impl::Original => (missing, denied),
                Impl::Pidone => (127, 126),
            };
            let out = ns_run(&p, &["--", "no-such-command-xyz"], &[]);
            assert_eq!(out.code(), want_missing, "{tool} {which:?}: {}", out.stderr);
            assert!(
                out.stderr.contains("No such file or directory"),
                "{tool} {which:?}: {}",
                out.stderr
            );
            let out = ns_run(&p, &["--", &not_executable], &[]);
            assert_eq!(out.code(), want_denied, "{tool} {which:?}: {}", out.stderr);
            assert!(
                out.stderr.contains("Permission denied"),
                "{tool} {which:?}: {}",
                out.stderr
            );
        }
    }
}

#[test]
fn zombies_are_reaped_as_with_the_original() {
    let zombies = example("zombies");
    for tool in ["tini", "docker-init", "dumb-init", "catatonit"] {
        for which in BOTH {
            let out = ns_run(
                &program(tool, which),
                &["--", &zombies, "50", "--check"],
                &[],
            );
            assert_eq!(out.code(), 0, "{tool} {which:?}: {}", out.stderr);
            assert!(
                out.rest.contains(&"zombies 0".to_string()),
                "{tool} {which:?}: {:?}",
                out.rest
            );
        }
    }
}

/// Lines that report one reaped orphan: tini's `-w` warning or pidone's.
fn reap_warnings(stderr: &str) -> usize {
    stderr
        .lines()
        .filter(|l| l.contains("Reaped zombie process") || l.contains("reaped pid="))
        .count()
}

#[test]
fn warn_reap_reports_every_orphan_as_tini_does() {
    let zombies = example("zombies");
    for which in BOTH {
        let tini = program("tini", which);
        let out = ns_run(&tini, &["-w", "--", &zombies, "20", "--check"], &[]);
        // `--check` waits until all 20 orphans are gone (reaped), so the init has reaped
        // every one before the main child exits.
        assert_eq!(out.rest, vec!["created 20", "zombies 0"], "{which:?}");
        assert_eq!(reap_warnings(&out.stderr), 20, "{which:?}: {}", out.stderr);
        let out = ns_run(&tini, &["--", &zombies, "20", "--check"], &[]);
        assert_eq!(reap_warnings(&out.stderr), 0, "{which:?}: {}", out.stderr);
    }
}

/// tini's subreaper options when it is not PID 1: the PID 1 of the namespace is a shell
/// that waits for tini. Orphans go to tini only if it is a subreaper, and then tini reaps
/// and reports (-w) every one of them; otherwise the shell reaps them, saying nothing.
/// catatonit does it by itself.
#[test]
fn subreaper_when_not_pid1_as_with_the_original() {
    let zombies = example("zombies");
    let cases: &[(&str, &[&str], &[(&str, &str)], Impl)] = &[
        ("tini", &["-s", "-w"], &[], Impl::Original),
        ("tini", &["-s", "-w"], &[], Impl::Pidone),
        ("tini", &["-w"], &[("TINI_SUBREAPER", "")], Impl::Original),
        ("tini", &["-w"], &[("TINI_SUBREAPER", "")], Impl::Pidone),
        // catatonit has no -w; pidone under its name takes it (the dialects are one union).
        ("catatonit", &["-w"], &[], Impl::Pidone),
    ];
    for (tool, args, env, which) in cases {
        let script = format!(
            "{} {} -- {zombies} 20 --check; echo exit=$?",
            program(tool, *which),
            args.join(" ")
        );
        let out = ns_run("sh", &["-c", &script], env);
        assert!(
            out.rest.contains(&"zombies 0".to_string()),
            "{tool} {args:?} {which:?}: {out:?}"
        );
        assert_eq!(out.rest.last().unwrap(), "exit=0");
        // All 20 went to tini (the shell would have reaped them silently, with no line).
        let n = reap_warnings(&out.stderr);
        assert_eq!(n, 20, "{tool} {which:?}: {out:?}");
    }
}

#[test]
fn not_pid1_warning_as_with_tini() {
    const WARNING: &str = "zombie reaping won't work";
    for which in BOTH {
        let tini = program("tini", which);
        let out = plain_run(&tini, &["--", "true"], &[]);
        assert_eq!(out.code(), 0);
        assert!(out.stderr.contains(WARNING), "{which:?}: {}", out.stderr);
        if which == Impl::Pidone {
            assert_eq!(out.stderr.lines().count(), 1, "one line: {}", out.stderr);
        }
        for (args, env) in [
            (&["-s", "--", "true"][..], &[][..]),
            (&["--", "true"], &[("TINI_SUBREAPER", "")]),
            (&["--", "true"], &[("TINI_VERBOSITY", "0")]),
        ] {
            let out = plain_run(&tini, args, env);
            assert_eq!(out.code(), 0);
            assert!(
                out.stderr.is_empty(),
                "{which:?} {args:?} {env:?}: {}",
                out.stderr
            );
        }
        // No warning from the others.
        for tool in ["dumb-init", "catatonit"] {
            let out = plain_run(&program(tool, which), &["--", "true"], &[]);
            assert_eq!(out.code(), 0);
            assert!(out.stderr.is_empty(), "{tool} {which:?}: {}", out.stderr);
        }
    }
}

/// The application starts a worker and exits with 3; what happens to the worker.
fn leftover_lines(tool: &str, which: Impl, args: &[&str], leftover_args: &[&str]) -> Outcome {
    let leftover = example("leftover");
    let mut argv = args.to_vec();
    argv.extend(["--", &leftover, "--code", "3", "--linger-ms", "1000"]);
    argv.extend(leftover_args);
    let p = ns_start(&program(tool, which), &argv, &[]);
    p.until("worker ready");
    let out = p.wait();
    assert_eq!(out.code(), 3, "{tool} {args:?} {which:?}: {}", out.stderr);
    out
}

#[test]
fn leftovers_as_with_the_original_or_drained() {
    let term = "worker got SIGTERM".to_string();
    let finished = "worker finished".to_string();
    // tini and catatonit exit at once; the kernel SIGKILLs the worker with the namespace.
    // Same under pidone with their names (no drain unless asked).
    for tool in ["tini", "docker-init", "catatonit", "podman-init"] {
        for which in BOTH {
            let out = leftover_lines(tool, which, &[], &[]);
            assert!(out.rest.is_empty(), "{tool} {which:?}: {:?}", out.rest);
        }
        // Asked to, pidone drains: TERM, and the worker finishes its work.
        let out = leftover_lines(tool, Impl::Pidone, &["--drain"], &[]);
        assert_eq!(out.rest, vec![term.clone(), finished.clone()], "{tool}");
    }
    // dumb-init TERMs the group and exits without waiting: the worker is killed mid-work,
    // under pidone with its name too. (Whether the worker prints its TERM line before the
    // namespace goes down is a race in both.)
    for which in BOTH {
        let out = leftover_lines("dumb-init", which, &[], &[]);
        assert!(!out.rest.contains(&finished), "{which:?}: {:?}", out.rest);
        // A worker that left the session: the group TERM misses it.
        let out = leftover_lines("dumb-init", which, &[], &["--setsid"]);
        assert!(out.rest.is_empty(), "{which:?}: {:?}", out.rest);
    }
    // Asked to drain, pidone as PID 1 TERMs every process in the namespace and waits for
    // them: the worker finishes, also one that left the session.
    for leftover_args in [&[][..], &["--setsid"]] {
        let out = leftover_lines("dumb-init", Impl::Pidone, &["--drain"], leftover_args);
        assert_eq!(
            out.rest,
            vec![term.clone(), finished.clone()],
            "{leftover_args:?}"
        );
    }
    // dumb-init -c leaves leftovers alone, and so does pidone under its name.
    for which in BOTH {
        let out = leftover_lines("dumb-init", which, &["-c"], &[]);
        assert!(out.rest.is_empty(), "{which:?}: {:?}", out.rest);
    }
}

/// Whether the init of `p` is still running `bound` after now (it should not exit).
fn still_running_after(p: &Proc, bound: Duration) -> bool {
    let init = p.pidone_pid();
    let until = Instant::now() + bound;
    while Instant::now() < until {
        if !alive(init) || state_of(init) == Some('Z') {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    true
}

#[test]
fn term_ignoring_app_hangs_the_original_and_is_killed_by_pidone() {
    let stubborn = example("stubborn");
    for tool in ["tini", "docker-init", "dumb-init", "catatonit"] {
        // The original forwards TERM and waits forever: still there after a second (then
        // the test kills it).
        let p = ns_start(&program(tool, Impl::Original), &["--", &stubborn], &[]);
        p.until("ready");
        p.signal(libc::SIGTERM);
        assert!(still_running_after(&p, Duration::from_secs(1)), "{tool}");
        kill_run(p);
        // pidone forwards TERM too, then SIGKILLs after the grace, from the flag or the
        // environment.
        let ours = program(tool, Impl::Pidone);
        for (args, env) in [
            (&["--grace", "300ms", "--"][..], &[][..]),
            (&["--"], &[("PIDONE_GRACE", "300ms")]),
        ] {
            let mut argv = args.to_vec();
            argv.push(&stubborn);
            let p = ns_start(&ours, &argv, env);
            p.until("ready");
            let sent = Instant::now();
            p.signal(libc::SIGTERM);
            let out = p.wait();
            assert_eq!(out.code(), 137, "{tool} {args:?}: {}", out.stderr);
            assert!(sent.elapsed() >= Duration::from_millis(300), "{tool}");
        }
    }
}

#[test]
fn job_control_stops_as_with_the_original() {
    // tini forwards SIGTSTP: the application stops, tini does not.
    for which in BOTH {
        let p = ns_start(&program("tini", which), &["--", "sleep", "1000"], &[]);
        let init = started(&p);
        let app = child_running(init, "sleep");
        p.signal(libc::SIGTSTP);
        wait_state(app, &['T']);
        assert_ne!(state_of(init), Some('T'), "tini {which:?}");
        p.signal(libc::SIGCONT);
        wait_state(app, &['S', 'R']);
        kill_run(p);
    }
    // dumb-init (session mode): TSTP, TTIN and TTOU become SIGSTOP for the application, and
    // dumb-init stops itself, so a shell's job control sees it stop; SIGCONT resumes both.
    // As PID 1 of a namespace its own SIGSTOP is discarded by the kernel (PID 1 cannot be
    // stopped from inside), for the original as for pidone; as a plain process both stop.
    for sig in [libc::SIGTSTP, libc::SIGTTIN, libc::SIGTTOU] {
        for which in BOTH {
            for mode in MODES {
                let dumb_init = program("dumb-init", which);
                let p = match mode {
                    Mode::Pid1 => ns_start(&dumb_init, &["sleep", "1000"], &[]),
                    Mode::Plain => {
                        let mut cmd = Command::new(&dumb_init);
                        cmd.args(["sleep", "1000"]);
                        spawn(Mode::Plain, cmd)
                    }
                };
                let init = match mode {
                    Mode::Pid1 => started(&p),
                    Mode::Plain => p.pid,
                };
                let app = child_running(init, "sleep");
                p.signal(sig);
                wait_state(app, &['T']);
                match mode {
                    Mode::Pid1 => assert_ne!(state_of(init), Some('T'), "{which:?} {sig}"),
                    Mode::Plain => wait_state(init, &['T']),
                }
                p.signal(libc::SIGCONT);
                wait_state(app, &['S', 'R']);
                wait_state(init, &['S', 'R']);
                kill(app, libc::SIGKILL);
                let out = p.wait();
                assert_eq!(out.code(), 137, "{which:?} {mode:?} {sig}");
            }
        }
    }
    // dumb-init -r overrides the default: TSTP as USR1, nothing stops.
    let echo = sigecho();
    for which in BOTH {
        let p = ns_start(&program("dumb-init", which), &["-r", "20:10", &echo], &[]);
        p.until("ready");
        p.signal(libc::SIGTSTP);
        assert_eq!(p.line(), "got SIGUSR1", "{which:?}");
        assert_ne!(state_of(p.pidone_pid()), Some('T'));
        p.signal(libc::SIGTERM);
        assert_eq!(p.wait().code(), 0);
    }
    // catatonit ignores TSTP (signals_reach_the_application_as_with_the_original); pidone
    // forwards it, so the application can stop (podman#18095).
    let p = ns_start(
        &program("catatonit", Impl::Pidone),
        &["--", "sleep", "1000"],
        &[],
    );
    let init = started(&p);
    let app = child_running(init, "sleep");
    p.signal(libc::SIGTSTP);
    wait_state(app, &['T']);
    kill_run(p);
}

#[test]
fn catatonit_blocked_job_control_signals_are_not_copied() {
    for (tool, original) in [
        ("catatonit", "0000000000380000"),
        ("tini", "0000000000000000"),
        ("dumb-init", "0000000000000000"),
    ] {
        for which in BOTH {
            let out = ns_run(
                &program(tool, which),
                &["--", "grep", "SigBlk", "/proc/self/status"],
                &[],
            );
            let want = match which {
                Impl::Original => original,
                Impl::Pidone => "0000000000000000",
            };
            assert_eq!(
                out.rest,
                vec![format!("SigBlk:\t{want}")],
                "{tool} {which:?}"
            );
        }
    }
}

#[test]
fn dumb_init_rewrite_as_with_the_original_and_with_names() {
    let echo = sigecho();
    // (options, signal sent, what the application gets; None: dropped)
    let cases: &[(&[&str], i32, Option<&str>)] = &[
        (&["-r", "10:12"], libc::SIGUSR1, Some("SIGUSR2")),
        (&["--rewrite", "10:12"], libc::SIGUSR1, Some("SIGUSR2")),
        (&["-r", "10:0"], libc::SIGUSR1, None),
        (&["-r", "1:2", "-r", "10:12"], libc::SIGHUP, Some("SIGINT")),
        (&["-c", "-r", "10:12"], libc::SIGUSR1, Some("SIGUSR2")),
    ];
    for (args, sig, want) in cases {
        for which in BOTH {
            let mut argv = args.to_vec();
            argv.push(&echo);
            let p = ns_start(&program("dumb-init", which), &argv, &[]);
            p.until("ready");
            p.signal(*sig);
            p.signal(libc::SIGPWR);
            let got = lines_until(&p, "SIGPWR");
            let expected = match want {
                Some(name) => forwarded(name, "SIGPWR"),
                None => dropped("SIGPWR"),
            };
            assert_eq!(got, expected, "{args:?} {which:?}");
            p.signal(libc::SIGTERM);
            assert_eq!(p.wait().code(), 0);
        }
    }
    // Names, which dumb-init refuses (exit 1); pidone takes them (dumb-init#87).
    let out = ns_run(
        &program("dumb-init", Impl::Original),
        &["-r", "TERM:QUIT", "true"],
        &[],
    );
    assert_eq!(out.code(), 1);
    for rewrite in ["TERM:QUIT", "SIGTERM:SIGQUIT", "15:3"] {
        let argv = ["-r", rewrite, &echo, "--exit-on", "QUIT"];
        let p = ns_start(&program("dumb-init", Impl::Pidone), &argv, &[]);
        p.until("ready");
        p.signal(libc::SIGTERM);
        let out = p.wait();
        assert_eq!(out.rest, vec!["got SIGQUIT"], "{rewrite}");
        assert_eq!(out.code(), 0);
    }
}

#[test]
fn parent_death_signal_as_with_tini() {
    let echo = sigecho();
    for which in BOTH {
        // Without --kill-child, so the only pdeathsig is tini's own -p.
        let mut cmd = Command::new("unshare");
        cmd.args(["--pid", "--fork", "--mount-proc", "--"]);
        cmd.arg(program("tini", which))
            .args(["-p", "SIGTERM", "--", &echo]);
        let p = spawn(Mode::Pid1, cmd);
        p.until("ready");
        let init = p.pidone_pid();
        kill(p.pid, libc::SIGKILL);
        // The init got SIGTERM when unshare died and forwarded it; the app exited.
        let got = p.line();
        if got != "got SIGTERM" {
            kill(init, libc::SIGKILL);
        }
        assert_eq!(got, "got SIGTERM", "{which:?}");
        wait_until("the init to exit", || !alive(init));
        let _ = p.wait();
    }
}

#[test]
fn pause_mode_as_with_catatonit() {
    for which in BOTH {
        for (noise, end) in [(libc::SIGHUP, libc::SIGTERM), (libc::SIGUSR1, libc::SIGINT)] {
            let catatonit = program("catatonit", which);
            let p = ns_start(&catatonit, &["-P"], &[]);
            init_ready(&p, &catatonit);
            p.signal(noise);
            p.signal(end);
            let out = p.wait();
            assert_eq!(out.code(), 0, "{which:?}: {}", out.stderr);
            assert!(out.rest.is_empty());
        }
    }
    // catatonit -P ignores a command and pauses anyway; pidone refuses it (a usage error,
    // exit 1 as catatonit's own usage errors) rather than silently not running it.
    let catatonit = program("catatonit", Impl::Original);
    let p = ns_start(&catatonit, &["-P", "true"], &[]);
    init_ready(&p, &catatonit);
    p.signal(libc::SIGTERM);
    assert_eq!(p.wait().code(), 0);
    let out = plain_run(&program("catatonit", Impl::Pidone), &["-P", "true"], &[]);
    assert_eq!(out.code(), 1);
    assert!(out.stderr.contains("pause mode (-P) runs no command"));
}

#[test]
fn version_lines_parse_as_docker_expects() {
    let ours = env!("CARGO_PKG_VERSION");
    for (tool, flag) in [
        ("docker-init", "--version"),
        ("tini", "--version"),
        ("tini-static", "--version"),
        ("catatonit", "-V"),
        ("catatonit", "--version"),
    ] {
        for which in BOTH {
            let out = plain_run(&program(tool, which), &[flag], &[]);
            assert_eq!(out.code(), 0, "{tool} {which:?}");
            assert_eq!(out.rest.len(), 1, "{tool} {which:?}: {:?}", out.rest);
            let (version, commit) = parse_init_version(&out.rest[0]).unwrap();
            assert!(!version.is_empty(), "{tool} {which:?}");
            if which == Impl::Pidone {
                assert_eq!(version, format!("{ours}+pidone"));
                assert_eq!(commit, "pidone");
                assert_eq!(
                    out.rest[0],
                    format!("tini version {ours}+pidone - git.pidone")
                );
            }
        }
    }
    // dumb-init prints `dumb-init vX` (on stderr); pidone the same form on stdout.
    for flag in ["-V", "--version"] {
        let out = plain_run(&program("dumb-init", Impl::Original), &[flag], &[]);
        assert_eq!(out.code(), 0);
        assert!(out.stderr.starts_with("dumb-init v"), "{}", out.stderr);
        let out = plain_run(&program("dumb-init", Impl::Pidone), &[flag], &[]);
        assert_eq!(out.code(), 0);
        assert_eq!(out.rest, vec![format!("dumb-init v{ours}+pidone")]);
    }
}

#[test]
fn help_and_license_exit_0() {
    for (tool, help, license) in [
        ("tini", "-h", Some("-l")),
        ("docker-init", "-h", Some("-l")),
        ("dumb-init", "-h", None),
        ("dumb-init", "--help", None),
        ("catatonit", "-h", Some("-L")),
    ] {
        for which in BOTH {
            let p = program(tool, which);
            let out = plain_run(&p, &[help], &[]);
            assert_eq!(out.code(), 0, "{tool} {help} {which:?}");
            let text = format!("{}{}", out.rest.join("\n"), out.stderr);
            assert!(text.contains("sage"), "{tool} {which:?}: {text}");
            if which == Impl::Pidone {
                // pidone's help is on stdout and lists every dialect's options and variables.
                for word in [
                    "--grace",
                    "-r, --rewrite",
                    "-e, --remap-exit",
                    "-P, --pause",
                    "TINI_SUBREAPER",
                    "TINI_KILL_PROCESS_GROUP",
                    "TINI_VERBOSITY",
                    "DUMB_INIT_SETSID=0",
                    "DUMB_INIT_DEBUG=1",
                    "CATATONIT_DEBUG",
                    "docker-init",
                ] {
                    assert!(text.contains(word), "help lacks {word}");
                }
            }
            if let Some(flag) = license {
                let out = plain_run(&p, &[flag], &[]);
                assert_eq!(out.code(), 0, "{tool} {flag} {which:?}");
                assert!(
                    out.rest.iter().any(|l| l.contains("License")),
                    "{tool} {which:?}: {:?}",
                    out.rest
                );
            }
        }
    }
}

#[test]
fn bad_command_lines_exit_1_with_one_clear_line() {
    // The originals exit 1 (with a usage text); pidone exits 2 with one line that names the
    // problem and the offending value (README, "Drop-in": usage errors are 2 everywhere).
    let cases: &[(&str, &[&str], &str)] = &[
        ("tini", &[], "no command given"),
        (
            "tini",
            &["-p", "SIGFOO", "--", "true"],
            "unknown signal 'SIGFOO'",
        ),
        ("tini", &["-p"], "missing value for option '-p'"),
        (
            "tini",
            &["-e", "256", "--", "true"],
            "exit code must be 0-255, not '256'",
        ),
        (
            "tini",
            &["-e", "x", "--", "true"],
            "exit code must be 0-255, not 'x'",
        ),
        ("tini", &["-x", "--", "true"], "unknown option '-x'"),
        ("docker-init", &["-e", "256", "--", "true"], "not '256'"),
        ("dumb-init", &[], "no command given"),
        (
            "dumb-init",
            &["-r", "15:", "true"],
            "rewrite: unknown signal in '15:'",
        ),
        (
            "dumb-init",
            &["-r", ":3", "true"],
            "rewrite: unknown signal in ':3'",
        ),
        (
            "dumb-init",
            &["-r", "15", "true"],
            "rewrite must be FROM:TO, not '15'",
        ),
        (
            "dumb-init",
            &["-r", "0:3", "true"],
            "unknown signal in '0:3'",
        ),
        (
            "dumb-init",
            &["-r", "15:99", "true"],
            "unknown signal in '15:99'",
        ),
        (
            "dumb-init",
            &["--rewrite"],
            "missing value for option '--rewrite'",
        ),
        ("dumb-init", &["-x", "true"], "unknown option '-x'"),
        ("catatonit", &[], "no command given"),
        ("catatonit", &["-x", "true"], "unknown option '-x'"),
    ];
    for (tool, args, message) in cases {
        let out = plain_run(&program(tool, Impl::Original), args, &[]);
        assert_eq!(out.code(), 1, "{tool} {args:?} original: {}", out.stderr);
        // Under the original's name, its exit status for a usage error: 1 (pidone's own is 2).
        let out = plain_run(&program(tool, Impl::Pidone), args, &[]);
        assert_eq!(out.code(), 1, "{tool} {args:?}: {}", out.stderr);
        assert!(
            out.stderr.contains(message),
            "{tool} {args:?}: {}",
            out.stderr
        );
        assert_eq!(
            out.stderr.lines().count(),
            1,
            "{tool} {args:?}: {}",
            out.stderr
        );
        assert!(out.rest.is_empty());
    }
    // Bad values in pidone's own variables are usage errors too; the foreign ones are read
    // as the originals read them (never an error).
    let ours = program("tini", Impl::Pidone);
    for (name, value) in [
        ("PIDONE_GRACE", "soon"),
        ("PIDONE_PDEATHSIG", "SIGFOO"),
        ("PIDONE_REMAP_EXIT", "256"),
        ("PIDONE_REWRITE", "15:"),
        ("PIDONE_VERBOSITY", "loud"),
    ] {
        let out = plain_run(&ours, &["-s", "--", "true"], &[(name, value)]);
        assert_eq!(out.code(), 1, "{name}={value}: tini's usage-error status");
        assert!(out.stderr.contains(value), "{}", out.stderr);
    }
    for (name, value) in [
        ("TINI_VERBOSITY", "loud"),
        ("DUMB_INIT_SETSID", "no"),
        ("DUMB_INIT_DEBUG", "yes"),
    ] {
        for which in BOTH {
            let out = plain_run(
                &program("tini", which),
                &["-s", "--", "true"],
                &[(name, value)],
            );
            assert_eq!(out.code(), 0, "{name}={value} {which:?}: {}", out.stderr);
        }
    }
}

#[test]
fn verbosity_flags_and_variables() {
    // Quiet by default as PID 1; each of these makes the tool talk on stderr.
    let cases: &[(&str, &[&str], &[(&str, &str)])] = &[
        ("tini", &["-v"], &[]),
        ("tini", &["-vvv"], &[]),
        ("tini", &[], &[("TINI_VERBOSITY", "3")]),
        ("dumb-init", &["-v"], &[]),
        ("dumb-init", &["--verbose"], &[]),
        ("dumb-init", &[], &[("DUMB_INIT_DEBUG", "1")]),
        ("catatonit", &[], &[("CATATONIT_DEBUG", "1")]),
    ];
    for (tool, args, env) in cases {
        for which in BOTH {
            let p = program(tool, which);
            let quiet = ns_run(&p, &["--", "true"], &[]);
            assert!(
                quiet.stderr.is_empty(),
                "{tool} {which:?}: {}",
                quiet.stderr
            );
            let mut argv = args.to_vec();
            argv.extend(["--", "true"]);
            let out = ns_run(&p, &argv, env);
            assert_eq!(out.code(), 0);
            // tini writes its info and debug lines to stdout; pidone logs on stderr only.
            let log = match which {
                Impl::Original => format!("{}{}", out.rest.join("\n"), out.stderr),
                Impl::Pidone => {
                    assert!(out.rest.is_empty(), "{tool} {which:?}: {:?}", out.rest);
                    out.stderr.clone()
                }
            };
            // Each says that it started the command, as pid 2, in its own words.
            let spawned: &[&str] = match (which, *tool) {
                (Impl::Pidone, _) => {
                    &["pidone: spawned pid=2", "pidone: child exited pid=2 exit=0"]
                }
                (Impl::Original, "tini") => {
                    &["[INFO  tini (1)] Spawned child process 'true' with pid '2'"]
                }
                (Impl::Original, "dumb-init") => &["[dumb-init] Child spawned with PID 2."],
                // catatonit's parent and child write to stderr at once, so its lines can
                // interleave: this one is checked as a part of a line.
                (Impl::Original, _) => &["pid1 (2) spawned: true"],
            };
            let catatonit = which == Impl::Original && *tool == "catatonit";
            for line in spawned {
                assert!(
                    log.lines()
                        .any(|l| l == *line || (catatonit && l.contains(line))),
                    "{tool} {args:?} {env:?} {which:?}: no {line:?} in:\n{log}"
                );
            }
        }
    }
}

#[test]
fn options_after_the_command_belong_to_it() {
    // With `--` every tool passes the rest to the command.
    for tool in ["tini", "dumb-init", "catatonit"] {
        for which in BOTH {
            let out = ns_run(&program(tool, which), &["--", "echo", "-g", "hi"], &[]);
            assert_eq!(out.rest, vec!["-g hi"], "{tool} {which:?}");
        }
    }
    // Without it, tini and catatonit permute (GNU getopt) and take the option themselves;
    // dumb-init and pidone stop at the command (deliberate: tini#132, podman#6554).
    for (tool, flag, original) in [
        ("tini", "-s", "hi"),
        ("catatonit", "-g", "hi"),
        ("dumb-init", "-v", "-v hi"),
    ] {
        let out = ns_run(&program(tool, Impl::Original), &["echo", flag, "hi"], &[]);
        assert_eq!(out.rest, vec![original], "{tool}");
        let out = ns_run(&program(tool, Impl::Pidone), &["echo", flag, "hi"], &[]);
        assert_eq!(out.rest, vec![format!("{flag} hi")], "{tool}");
    }
}
