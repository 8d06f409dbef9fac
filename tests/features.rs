//! What tini and dumb-init never had: stop delay, privilege drop, structured
//! logs, the exit report, and socket activation's LISTEN_PID.

use pidone_testkit as common;
mod scenarios {
    pub mod features;
    pub mod grace;
}

use common::*;
use std::process::Command;
use std::time::{Duration, Instant};

/// A real-time signal as a marker: pidone takes pending signals lowest number first, so a
/// marker sent after SIGTERM is handled after it, and its arrival at sigecho proves pidone
/// has already dealt with the SIGTERM.
const MARKER: i32 = 40;

#[test]
fn stop_delay_holds_the_first_termination_signal() {
    let sigecho = example("sigecho");
    // Long enough that the marker, sent right after the TERM, always lands inside it.
    let p = start(Mode::Pid1, &["--stop-delay", "3s", "--", &sigecho]);
    p.until("ready");
    let sent = Instant::now();
    p.signal(libc::SIGTERM);
    p.signal(MARKER);
    assert_eq!(p.line(), "got SIGRTMIN+6", "other signals are not held");
    assert_eq!(p.line(), "got SIGTERM");
    let held = sent.elapsed();
    assert!(held >= Duration::from_secs(3), "held only {held:?}");
    assert!(
        held < Duration::from_secs(15),
        "held far too long: {held:?}"
    );
    assert_eq!(p.wait().code(), 0);
}

/// Only the stop signal ends the stop delay. SIGINT and SIGQUIT during it are
/// forwarded at once and end nothing; a second SIGTERM ends it, and the app hears one.
#[test]
fn only_a_second_stop_signal_cuts_the_delay_short() {
    let sigecho = example("sigecho");
    let p = start(Mode::Pid1, &["--stop-delay", "60s", "--", &sigecho]);
    p.until("ready");
    p.signal(libc::SIGTERM);
    p.signal(MARKER);
    assert_eq!(p.line(), "got SIGRTMIN+6");
    // The TERM is held; INT and QUIT pass, each alone (the held TERM would come first).
    p.signal(libc::SIGINT);
    assert_eq!(p.line(), "got SIGINT");
    p.signal(libc::SIGQUIT);
    assert_eq!(p.line(), "got SIGQUIT");
    p.signal(libc::SIGTERM);
    assert_eq!(p.line(), "got SIGTERM");
    let out = p.wait();
    assert!(
        out.elapsed < Duration::from_secs(30),
        "waited for the delay: {:?}",
        out.elapsed
    );
    assert!(out.rest.is_empty(), "{:?}", out.rest);
    assert_eq!(out.code(), 0);
}

/// The grace period starts when the signal is forwarded, not when it arrived.
#[test]
fn grace_starts_after_the_stop_delay() {
    let env = [("PIDONE_STOP_DELAY", "500ms")];
    let p = scenarios::grace::stubborn(Mode::Pid1, &["--grace", "1s"], &env);
    let sent = Instant::now();
    p.signal(libc::SIGTERM);
    let (at_least, before) = (Duration::from_millis(1500), HANG);
    scenarios::grace::killed_after(p, sent, at_least, before, "delay + grace");
}

fn ids_script() -> &'static str {
    "grep -E '^(Uid|Gid|Groups):' /proc/self/status | tr -s '\\t ' ' '; echo \"HOME=$HOME\""
}

/// pidone running `ids_script` as `user`: a step of a script for `ids_in_own_mounts`.
fn ids_as(user: &str) -> String {
    // `ids_script` inside an outer double-quoted `sh -c "..."`, expanded only by the inner sh.
    let ids = ids_script().replace('"', "\\\"").replace('$', "\\$");
    format!("{} --user {user} -- sh -c \"{ids}\"", pidone())
}

/// Runs `script` in a mount namespace of its own (where it bind-mounts the test's
/// /etc/passwd and /etc/group), and checks the ids its `ids_as` steps printed.
fn ids_in_own_mounts(script: &str, want: &[&str]) {
    let out = run(
        Mode::Plain,
        &["--", "unshare", "--mount", "sh", "-c", script],
    );
    assert_eq!(out.rest, want, "{}", out.stderr);
    assert_eq!(out.code(), 0);
}

#[test]
fn user_by_number_needs_no_passwd() {
    // An empty /etc/passwd and /etc/group, as in a scratch image. A bare uid gets the same
    // number as its gid, never root's group. UID:GID reads no /etc/group: /dev/null there
    // (not a regular file, refused when read) is never opened. /etc/passwd is read for
    // HOME (and a bare uid's gid), so it must be a file.
    let dir = TempDir::new("user-by-number");
    let empty = dir.path("empty");
    std::fs::write(&empty, "").unwrap();
    let script = format!(
        "mount --bind {empty} /etc/passwd && mount --bind /dev/null /etc/group && {} && \
         mount --bind {empty} /etc/group && {}",
        ids_as("65532:65533"),
        ids_as("65532"),
    );
    ids_in_own_mounts(
        &script,
        &[
            "Uid: 65532 65532 65532 65532",
            "Gid: 65533 65533 65533 65533",
            "Groups: 65533 ",
            "HOME=/",
            "Uid: 65532 65532 65532 65532",
            "Gid: 65532 65532 65532 65532",
            "Groups: 65532 ",
            "HOME=/",
        ],
    );
}

#[test]
fn user_by_name_gets_groups_and_home() {
    let dir = TempDir::new("user-by-name");
    let (passwd, group) = (dir.path("passwd"), dir.path("group"));
    std::fs::write(
        &passwd,
        "root:x:0:0:root:/root:/bin/sh\nalice:x:1500:1600:Alice:/home/alice:/bin/sh\n",
    )
    .unwrap();
    std::fs::write(
        &group,
        "root:x:0:\nstaff:x:1600:\nvideo:x:1700:bob,alice\naudio:x:1800:bob\nops:x:1900:alice\n",
    )
    .unwrap();
    let script = format!(
        "mount --bind {passwd} /etc/passwd && mount --bind {group} /etc/group && {} && {}",
        ids_as("alice"),
        ids_as("alice:audio"),
    );
    ids_in_own_mounts(
        &script,
        &[
            "Uid: 1500 1500 1500 1500",
            "Gid: 1600 1600 1600 1600",
            "Groups: 1600 1700 1900 ",
            "HOME=/home/alice",
            "Uid: 1500 1500 1500 1500",
            "Gid: 1800 1800 1800 1800",
            // A group given: that group alone, as runc, gosu and Docker do.
            "Groups: 1800 ",
            "HOME=/home/alice",
        ],
    );
}

/// An unknown user or group is an error before anything runs: never the app as root.
#[test]
fn user_fails_closed() {
    let dir = std::env::temp_dir().join(format!("pidone-closed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let marker = dir.join("ran");
    let touch = format!("touch {}", marker.display());
    for spec in ["no-such-user-xyz", "65532:no-such-group-xyz", "root:", "-1"] {
        let out = run(Mode::Pid1, &["--user", spec, "--", "sh", "-c", &touch]);
        assert_eq!(out.code(), 126, "{spec}: {}", out.stderr);
        assert!(
            out.stderr.starts_with("pidone: unknown") || out.stderr.contains("empty group"),
            "{spec}: {}",
            out.stderr
        );
        assert!(!marker.exists(), "{spec}: the command ran");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Without the privilege to switch, the child reports the failed step and pidone exits
/// 126 instead of running the app as the wrong user; as that same user it just runs.
#[test]
fn user_switch_without_privilege() {
    use std::os::unix::process::CommandExt;
    let as_65532 = |args: &[&str]| {
        let mut cmd = command(Mode::Plain, args);
        // SAFETY: setgroups/setgid/setuid are async-signal-safe system calls.
        unsafe {
            cmd.pre_exec(|| {
                let groups = [65532u32];
                libc::setgroups(1, groups.as_ptr());
                libc::setgid(65532);
                libc::setuid(65532);
                Ok(())
            });
        }
        spawn(Mode::Plain, cmd).wait()
    };
    let out = as_65532(&["--user", "1234", "--", "true"]);
    assert_eq!(out.code(), 126);
    assert!(
        out.stderr
            .contains("pidone: true: setgroups: Operation not permitted"),
        "{}",
        out.stderr
    );
    let out = as_65532(&["--user", "65532:65532", "--", "id", "-u"]);
    assert_eq!(
        (out.code(), out.rest),
        (0, vec!["65532".to_string()]),
        "{}",
        out.stderr
    );
}

#[test]
fn no_new_privs() {
    for (flag, expected) in [
        ("--no-new-privs", "NoNewPrivs:\t1"),
        ("-v", "NoNewPrivs:\t0"),
    ] {
        let out = run(
            Mode::Plain,
            &[flag, "--", "grep", "NoNewPrivs", "/proc/self/status"],
        );
        assert_eq!(out.rest, vec![expected]);
    }
}

#[test]
fn json_logs_are_one_object_per_line() {
    scenarios::features::json_logs_are_one_object_per_line(Some(2));
}

#[test]
fn json_error_messages_are_json_too() {
    let out = run(
        Mode::Plain,
        &["--log-format", "json", "--", "no-such-command-xyz"],
    );
    assert_eq!(out.code(), 127);
    let e: serde_json::Value = serde_json::from_str(out.stderr.trim()).unwrap();
    assert_eq!(e["level"], "error");
    assert_eq!(
        e["message"],
        "no-such-command-xyz: No such file or directory"
    );
}

/// Known orphans and leftovers: the exit report counts each exactly.
#[test]
fn exit_report_counts_exactly() {
    let (zombies, leftover) = (example("zombies"), example("leftover"));
    let script = format!(
        "{zombies} 3 --check >/dev/null && {leftover} && {leftover} --ignore-term && exit 4"
    );
    for json in [false, true] {
        // The leftover that catches TERM works 200 ms before it exits: a grace of 1 s could
        // run out first on a loaded machine (killed=2). The drain does not wait for the
        // grace (the other leftover ignores TERM, so it is killed at once): a long one
        // costs nothing.
        let mut args = vec!["-v", "--grace", "10s"];
        if json {
            args.extend(["--log-format", "json"]);
        }
        args.extend(["--", "sh", "-c", &script]);
        let out = run(Mode::Pid1, &args);
        assert_eq!(out.code(), 4, "{}", out.stderr);
        let last = out.stderr.lines().last().unwrap();
        if json {
            let e: serde_json::Value = serde_json::from_str(last).unwrap();
            let fields = [
                "code",
                "exit",
                "orphans_reaped",
                "leftovers_terminated",
                "killed",
            ];
            let got: Vec<i64> = fields.iter().map(|f| e[f].as_i64().unwrap()).collect();
            assert_eq!(got, vec![4, 4, 3, 1, 1], "{last}");
        } else {
            assert!(
                last.starts_with("pidone: exit code=4 exit=4 ran_ms=")
                    && last.ends_with("orphans_reaped=3 leftovers_terminated=1 killed=1"),
                "{last}"
            );
        }
    }
}

#[test]
fn listen_pid_is_rewritten_for_the_child() {
    // As PID 1 pidone's pid is 1: LISTEN_PID=1 is meant for it, so the child (pid 2) gets it.
    for (given, seen) in [("1", "2"), ("999", "999")] {
        let mut cmd = command(
            Mode::Pid1,
            &["--", "sh", "-c", "echo $LISTEN_PID $LISTEN_FDS"],
        );
        cmd.env("LISTEN_PID", given).env("LISTEN_FDS", "1");
        let out = spawn(Mode::Pid1, cmd).wait();
        assert_eq!(out.rest, vec![format!("{seen} 1")], "LISTEN_PID={given}");
    }
}

/// The environment the child gets when pidone rebuilds it (for `--user`'s HOME, or
/// LISTEN_PID) holds up to 4095 entries plus its terminating NULL (README: "up to 4096
/// variables"); one more is "Argument list too long", 126, and the application never runs.
/// Counted by the application itself (`env` prints what it got).
#[test]
fn rebuilt_environment_holds_4095_entries() {
    let marker = TempDir::new("env-limit");
    let ran = marker.path("ran");
    // PATH, the variables, and HOME (replaced by --user): 4095 entries, then 4096.
    for (vars, fits) in [(4093, true), (4094, false)] {
        let script = format!("env; touch {ran}");
        let mut cmd = command(Mode::Plain, &["--user", "0:0", "--", "sh", "-c", &script]);
        cmd.env_clear().env("PATH", "/usr/bin:/bin");
        for i in 0..vars {
            cmd.env(format!("V{i}"), "x");
        }
        let out = spawn(Mode::Plain, cmd).wait();
        if fits {
            assert_eq!(out.code(), 0, "{vars}: {}", out.stderr);
            // sh adds PWD (and may add SHLVL); everything pidone passed is there.
            let got: Vec<&String> = out.rest.iter().filter(|l| l.starts_with('V')).collect();
            assert_eq!(got.len(), vars, "{vars} variables");
            assert!(
                out.rest.contains(&"HOME=/root".to_string()),
                "{:?}",
                &out.rest[..3]
            );
            assert!(std::path::Path::new(&ran).exists());
            std::fs::remove_file(&ran).unwrap();
        } else {
            assert_eq!(out.code(), 126, "{vars}: {}", out.stderr);
            assert_eq!(out.stderr, "pidone: sh: Argument list too long\n");
            assert!(!std::path::Path::new(&ran).exists(), "the command ran");
        }
    }
}

/// `--pdeathsig` and `PIDONE_PDEATHSIG` (not only tini's `-p`): when pidone's parent dies,
/// pidone gets the signal and forwards it; the application's own record shows it arrived.
#[test]
fn parent_death_signal_long_form_and_variable() {
    let sigecho = example("sigecho");
    let forms: [(&[&str], Option<&str>); 3] = [
        (&["--pdeathsig", "SIGUSR1"], None),
        (&["--pdeathsig=USR1"], None),
        (&[], Some("10")),
    ];
    for (flags, env) in forms {
        // Without --kill-child, so the only parent-death signal is pidone's own.
        let mut cmd = Command::new("unshare");
        cmd.args(["--pid", "--fork", "--mount-proc", "--"])
            .arg(pidone());
        cmd.args(flags).args(["--", &sigecho, "--exit-on", "USR1"]);
        if let Some(value) = env {
            cmd.env("PIDONE_PDEATHSIG", value);
        }
        let p = spawn(Mode::Pid1, cmd);
        p.until("ready");
        let init = p.pidone_pid();
        // Nothing else ends the namespace if pidone never got its signal.
        let _init = KillOnDrop::new(init);
        // SAFETY: kill has no memory effects; p.pid is our unreaped child.
        unsafe { libc::kill(p.pid, libc::SIGKILL) };
        let got = p.line_for(&format!("the forwarded signal, {flags:?} {env:?}"));
        assert_eq!(got, "got SIGUSR1", "{flags:?} {env:?}");
        wait_until("pidone to exit", || state_of(init).is_none());
        let _ = p.wait();
    }
}

/// `--remap-exit` takes a list, and `PIDONE_REMAP_EXIT` the same: each listed code (or
/// 128+N for a death by signal N) is reported as 0, any other passes through.
#[test]
fn remap_exit_lists_and_variable() {
    for (flags, env) in [
        (&["--remap-exit", "3,143"][..], None),
        (&["-e", "3", "--remap-exit=143"], None),
        (&[], Some("3,143")),
    ] {
        for (script, code) in [
            ("exit 3", 0),
            ("kill -TERM $$", 0),
            ("exit 4", 4),
            ("exit 0", 0),
        ] {
            let mut args = flags.to_vec();
            args.extend(["--", "sh", "-c", script]);
            let mut cmd = command(Mode::Pid1, &args);
            if let Some(value) = env {
                cmd.env("PIDONE_REMAP_EXIT", value);
            }
            let out = spawn(Mode::Pid1, cmd).wait();
            assert_eq!(
                out.code(),
                code,
                "{flags:?} {env:?} {script}: {}",
                out.stderr
            );
        }
    }
}

/// Socket activation: the descriptors runc passes (from 3 on, LISTEN_FDS of them) reach
/// the application as the very same open sockets, and LISTEN_FDS is untouched. The
/// application reports what its fds 3 and 4 are; the test compares them with its own.
#[test]
fn listen_fds_pass_through_to_the_application() {
    use std::os::fd::AsRawFd;
    use std::os::unix::process::CommandExt;
    let dir = TempDir::new("listen-fds");
    let a = std::os::unix::net::UnixListener::bind(dir.path("a")).unwrap();
    let b = std::os::unix::net::UnixListener::bind(dir.path("b")).unwrap();
    let inode = |fd: i32| std::fs::read_link(format!("/proc/self/fd/{fd}")).unwrap();
    let want = vec![
        inode(a.as_raw_fd()).to_string_lossy().into_owned(),
        inode(b.as_raw_fd()).to_string_lossy().into_owned(),
        "2 2".to_string(),
    ];
    let (fa, fb) = (a.as_raw_fd(), b.as_raw_fd());
    let script = "readlink /proc/self/fd/3 /proc/self/fd/4; echo $LISTEN_PID $LISTEN_FDS";
    let mut cmd = command(Mode::Pid1, &["--", "sh", "-c", script]);
    cmd.env("LISTEN_PID", "1").env("LISTEN_FDS", "2");
    // SAFETY: fcntl, dup2 and close are async-signal-safe. The listeners may already sit
    // at 3 or 4 (close-on-exec): copies above 100 first, then the copies at 3 and 4,
    // which are not close-on-exec.
    unsafe {
        cmd.pre_exec(move || {
            let (ha, hb) = (
                libc::fcntl(fa, libc::F_DUPFD, 100),
                libc::fcntl(fb, libc::F_DUPFD, 100),
            );
            if ha < 0 || hb < 0 || libc::dup2(ha, 3) != 3 || libc::dup2(hb, 4) != 4 {
                return Err(std::io::Error::last_os_error());
            }
            libc::close(ha);
            libc::close(hb);
            Ok(())
        });
    }
    let out = spawn(Mode::Pid1, cmd).wait();
    assert_eq!(out.code(), 0, "{}", out.stderr);
    assert_eq!(out.rest, want);
}

/// A failed `setuid` fails closed: setgroups and setgid work (CAP_SETGID), setuid does
/// not (CAP_SETUID dropped from the bounding set, so pidone, root, runs without it): exit
/// 126, one line naming the step, and the application never ran.
#[test]
fn failed_setuid_fails_closed() {
    let dir = TempDir::new("setuid");
    let ran = dir.path("ran");
    let script = format!("touch {ran}");
    let mut cmd = Command::new("setpriv");
    cmd.args(["--bounding-set=-setuid", "--inh-caps=-setuid", "--"])
        .arg(pidone())
        .args(["--user", "1234:1234", "--", "sh", "-c", &script]);
    let out = spawn(Mode::Plain, cmd).wait();
    assert_eq!(out.code(), 126, "{}", out.stderr);
    assert_eq!(out.stderr, "pidone: sh: setuid: Operation not permitted\n");
    assert!(!std::path::Path::new(&ran).exists(), "the command ran");
}
