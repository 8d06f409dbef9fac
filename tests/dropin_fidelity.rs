//! dumb-init's behaviours under its name, which scripts written for it rely on, each run side by side with
//! Debian's /usr/bin/dumb-init where it is installed: the group SIGTERM when the child
//! exits in setsid mode (after `-r`), and stopping itself after forwarding SIGTSTP, SIGTTIN
//! or SIGTTOU, in `-c` mode and in setsid mode with those signals rewritten.

use pidone_testkit as common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

fn dir(name: &str) -> String {
    let d = format!("/tmp/pidone-machine-{}-{name}", std::process::id());
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// pidone installed as `dumb-init`, and Debian's dumb-init when present.
fn inits(d: &str) -> Vec<String> {
    let ours = format!("{d}/dumb-init");
    std::os::unix::fs::symlink(pidone(), &ours).unwrap();
    let mut all = vec![ours];
    if std::path::Path::new("/usr/bin/dumb-init").exists() {
        all.push("/usr/bin/dumb-init".to_string());
    } else if std::env::var_os("CI").is_some() {
        panic!("/usr/bin/dumb-init missing (scripts/setup.sh installs it)");
    } else {
        eprintln!("SKIP: /usr/bin/dumb-init missing: pidone checked alone");
    }
    all
}

/// Setsid mode: when the child exits, its group gets SIGTERM (as `-r` rewrites it) and
/// dumb-init exits at once, without waiting for it.
#[test]
fn setsid_mode_terms_the_group_when_the_child_exits() {
    let tally = example("tally");
    let d = dir("termgroup");
    for init in inits(&d) {
        for (rewrite, expect) in [(None, libc::SIGTERM), (Some("15:10"), libc::SIGUSR1)] {
            // The leftover's stdio is not the test's pipes, so an init that leaves it running
            // fails the wait below instead of hanging the harness; it ends itself at 40 s.
            let file = format!("{d}/l-{}-{}", init.len(), expect);
            let script = format!(
                "{tally} {file} --exit-on {expect} --exit-after-ms 40000 \
                     </dev/null >/dev/null 2>&1 & \
                 until [ -s {file} ]; do sleep 0.01; done; exit 4"
            );
            let mut cmd = Command::new(&init);
            if let Some(r) = rewrite {
                cmd.args(["-r", r]);
            }
            cmd.args(["sh", "-c", &script]).env("DUMB_INIT_SETSID", "1");
            let started = Instant::now();
            let out = spawn(Mode::Plain, cmd).wait();
            assert_eq!(out.code(), 4, "{init} {rewrite:?}: {}", out.stderr);
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "{init}: waited"
            );
            wait_until("the leftover's signal", || !tally_signals(&file).is_empty());
            assert_eq!(tally_signals(&file), vec![expect], "{init} {rewrite:?}");
        }
    }
}

/// Sends `sig` to the init, checks the app got `forwarded` and the init stopped itself,
/// then continues it and checks SIGCONT was forwarded.
fn stops_itself(init: &str, args: &[&str], sig: i32, forwarded: &str) {
    let sigecho = example("sigecho");
    let mut cmd = Command::new(init);
    cmd.args(args).args([&sigecho, "--exit-on", "USR2"]);
    cmd.stdin(Stdio::null());
    let p = spawn(Mode::Plain, cmd);
    p.until("ready");
    p.signal(sig);
    assert_eq!(p.line(), format!("got {forwarded}"), "{init} {args:?}");
    wait_until("the init to stop itself", || state_of(p.pid) == Some('T'));
    p.signal(libc::SIGCONT);
    wait_until("the init to continue", || state_of(p.pid) != Some('T'));
    assert_eq!(p.line(), "got SIGCONT", "{init} {args:?}");
    p.signal(libc::SIGUSR2);
    let out = p.wait();
    assert_eq!(out.code(), 0, "{init} {args:?}: {}", out.stderr);
}

#[test]
fn single_child_mode_stops_itself_after_a_tty_stop_signal() {
    let d = dir("stopself-c");
    for init in inits(&d) {
        stops_itself(&init, &["-c"], libc::SIGTSTP, "SIGTSTP");
        stops_itself(&init, &["-c"], libc::SIGTTOU, "SIGTTOU");
    }
}

#[test]
fn setsid_mode_with_rewritten_tty_stops_still_stops_itself() {
    let d = dir("stopself-r");
    let args = ["-r", "21:15", "-r", "22:2", "-r", "20:1"];
    for init in inits(&d) {
        stops_itself(&init, &args, libc::SIGTTIN, "SIGTERM");
        stops_itself(&init, &args, libc::SIGTSTP, "SIGHUP");
    }
}

/// tini warns that reaping won't work when it is not PID 1 and not a subreaper, but not
/// when the subreaper bit is already set, kept across exec from a parent that set it; the
/// same under pidone with the name tini, side by side with Debian's tini.
#[test]
fn tini_reads_an_inherited_subreaper_bit_before_warning() {
    let d = dir("tini-subreaper");
    let ours = format!("{d}/tini");
    std::os::unix::fs::symlink(pidone(), &ours).unwrap();
    let mut all = vec![ours];
    if std::path::Path::new("/usr/bin/tini").exists() {
        all.push("/usr/bin/tini".to_string());
    } else if std::env::var_os("CI").is_some() {
        panic!("/usr/bin/tini missing (scripts/setup.sh installs it)");
    } else {
        eprintln!("SKIP: /usr/bin/tini missing: pidone checked alone");
    }
    // python3 sets PR_SET_CHILD_SUBREAPER (36) when asked, then execs the init.
    let exec = "import ctypes, os, sys\n\
                if sys.argv[1] == 'set':\n    \
                    assert ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) == 0\n\
                os.execv(sys.argv[2], [sys.argv[2], '--', 'true'])\n";
    for init in &all {
        for (bit, warns) in [("set", false), ("unset", true)] {
            let out = Command::new("python3")
                .args(["-c", exec, bit, init])
                .stdin(Stdio::null())
                .output()
                .expect("python3 runs");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(0), "{init} {bit}: {stderr}");
            assert_eq!(
                stderr.contains("zombie reaping won't work"),
                warns,
                "{init}, subreaper bit {bit}: {stderr}"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&d);
}
