//! Hostile environments and commands that cannot run, against the real binary:
//! resource limits (descriptors, address space, argument size), no /proc, no /dev, a
//! read-only root, no privileges, and every way exec can fail. Unless a test says
//! otherwise pidone runs as PID 1 of a fresh PID namespace. Needs root (namespaces,
//! rlimits, mounts).

use pidone_testkit as common;

use common::*;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

// ---------------------------------------------------------------------------------------
// Exec failures

/// A script that lists the PID namespace it is PID 1 of after running pidone (not PID 1)
/// with its arguments: any process pidone failed to reap, or left running, shows up.
const LIST_AFTER: &str =
    "\"$0\" \"$@\"; code=$?; set -- /proc/[0-9]*; echo \"procs $*\"; exit $code";

/// Every way exec can fail: one line `pidone: COMMAND: REASON`, 127 for not found and 126
/// for found but not runnable, as PID 1; and as a plain process nothing is left behind
/// (the failed child is reaped before pidone exits).
#[test]
fn exec_failures_are_reported_once_with_the_documented_code() {
    let dir = TempDir::new("exec");
    let write = |name: &str, text: &str, mode: u32| {
        let path = dir.path(name);
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        path
    };
    let not_executable = write("not-executable", "#!/bin/sh\nexit 0\n", 0o644);
    let bad_interpreter = write("bad-interpreter", "#!/nonexistent/sh\n", 0o755);
    let dangling = dir.path("dangling");
    std::os::unix::fs::symlink(dir.path("nowhere"), &dangling).unwrap();
    let looping = dir.path("loop");
    std::os::unix::fs::symlink(&looping, &looping).unwrap();
    let through_file = format!("{not_executable}/x");
    let long_name = "n".repeat(300);
    let cases: Vec<(&str, i32, &str)> = vec![
        (
            "no-such-command-pidone-hardening",
            127,
            "No such file or directory",
        ),
        (&dangling, 127, "No such file or directory"),
        (&through_file, 127, "Not a directory"),
        // The kernel reports a missing #! interpreter as the script itself missing: pidone
        // shows the #! line that names it (127 still, as tini).
        (
            &bad_interpreter,
            127,
            "its interpreter does not exist: '#!/nonexistent/sh'",
        ),
        (&not_executable, 126, "Permission denied"),
        (&dir.0, 126, "Permission denied"),
        // A file with no #! line (even an empty one) runs with /bin/sh, as glibc's execvp
        // does: tests/exec.rs.
        (&looping, 126, "Too many symbolic links encountered"),
        (&long_name, 126, "File name too long"),
    ];
    for (command, code, reason) in &cases {
        let expected = format!("pidone: {command}: {reason}\n");
        let out = run(Mode::Pid1, &["--", command, "arg"]);
        assert_eq!(out.code(), *code, "{command}: {}", out.stderr);
        assert_eq!(out.stderr, expected, "{command}");
        assert!(out.rest.is_empty());

        // Not PID 1, under a shell that is: the namespace holds only the shell afterwards.
        let mut cmd = Command::new("unshare");
        cmd.args(["--pid", "--fork", "--mount-proc", "--kill-child", "--"])
            .args(["sh", "-c", LIST_AFTER, pidone(), "--", command]);
        let out = run_raw(cmd).unwrap();
        assert_eq!(out.code, Some(*code), "{command}: {}", out.stderr());
        assert_eq!(out.stderr(), expected, "{command}");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "procs /proc/1\n",
            "{command}"
        );
    }
}

/// E2BIG, argument list too long. pidone passes the application a subset of its own
/// arguments and environment, so only a `#!` script, whose interpreter line the kernel
/// adds, can push them over the limit that pidone's own exec met. The test searches for the
/// argument length where the script first fails to start and checks that it is pidone
/// reporting E2BIG there (with a long interpreter path the window is ~200 bytes wide).
#[test]
fn argument_list_too_long_is_reported() {
    let dir = TempDir::new("e2big");
    let interpreter = dir.path(&"i".repeat(200));
    std::os::unix::fs::symlink("/bin/sh", &interpreter).unwrap();
    let script = dir.path(&"s".repeat(200));
    std::fs::write(&script, format!("#!{interpreter}\necho ran\n")).unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    // 20 arguments of 100 kB: within 100 kB of the usual 2 MiB limit (8 MiB stack / 4).
    let big = "x".repeat(100_000);
    let attempt = |extra: usize| {
        let mut cmd = command(Mode::Pid1, &["--", &script]);
        cmd.env_clear().env("PATH", "/usr/bin:/bin");
        cmd.args(std::iter::repeat_n(&big, 20))
            .arg("y".repeat(extra));
        run_raw(cmd)
    };
    let ran = |out: &Option<Raw>| out.as_ref().is_some_and(|o| o.stdout == b"ran\n");
    let (mut low, mut high) = (0usize, 131_000usize);
    assert!(ran(&attempt(low)), "the script does not run at all");
    assert!(
        !ran(&attempt(high)),
        "no limit reached: is RLIMIT_STACK unusual?"
    );
    while high - low > 1 {
        let mid = (low + high) / 2;
        if ran(&attempt(mid)) {
            low = mid;
        } else {
            high = mid;
        }
    }
    let out = attempt(high).expect("at the boundary pidone itself starts");
    assert_eq!(
        out.stderr(),
        format!("pidone: {script}: Argument list too long\n"),
        "extra {high}"
    );
    assert_eq!(out.code, Some(126));
}

// ---------------------------------------------------------------------------------------
// Hostile environments: limits, no /proc, no /dev/tty, read-only root, no privileges

/// `unshare` into a fresh PID and mount namespace, where `prep` (a shell snippet) changes
/// the mounts before `exec`ing `wrapper... pidone ARGS` as PID 1.
fn pid1_prepared(prep: &str, wrapper: &[&str], args: &[&str]) -> Proc {
    let mut cmd = Command::new("unshare");
    cmd.args(["--pid", "--fork", "--mount-proc", "--kill-child", "--"])
        .args(["sh", "-c", &format!("{prep} && exec \"$@\""), "sh"])
        .args(wrapper)
        .arg(pidone())
        .args(args);
    spawn(Mode::Pid1, cmd)
}

/// The basic contract, checked in each hostile environment: a signal is forwarded, TERM
/// ends the application, and its status comes back.
fn forwards_and_stops(p: Proc, what: &str) {
    p.until("ready");
    p.signal(libc::SIGHUP);
    assert_eq!(p.line(), "got SIGHUP", "{what}");
    p.signal(libc::SIGTERM);
    let out = p.wait();
    assert_eq!(out.rest, vec!["got SIGTERM"], "{what}");
    assert_eq!(out.code(), 5, "{what}: {}", out.stderr);
}

/// Orphans are reaped in each hostile environment: pidone's count is exact.
/// 300 orphans in batches of 30 under `-v`, started by `start` (which gets pidone's
/// arguments), all reaped and counted: the check every hostile environment repeats.
fn reaps_small_storm(start: impl FnOnce(&[&str]) -> Proc, what: &str) {
    let orphans = example("hostile_orphans");
    let args = [
        "-v",
        "--",
        &orphans,
        "300",
        "--batch",
        "30",
        "--workers",
        "1",
    ];
    reaps_orphans(start(&args), what);
}

fn reaps_orphans(p: Proc, what: &str) {
    let out = p.wait();
    assert_eq!(out.code(), 0, "{what}: {}", out.stderr);
    let report = exit_report(&out.stderr);
    // Those still exiting when the fixture ends are counted as drained leftovers.
    let reaped = report_num(&report, "orphans_reaped")
        + report_num(&report, "leftovers_terminated")
        + report_num(&report, "killed");
    assert_eq!(reaped, 300, "{what}: {report:?}");
}

/// RLIMIT_NOFILE: pidone needs no descriptor beyond 0-2 (finding 9). With none free for
/// the exec-report pipe it still runs the application, as tini-static and catatonit do,
/// and says that a failed exec then shows only as status 127.
#[test]
fn tiny_fd_limit_still_runs_the_app() {
    let sigecho = example("sigecho");
    let args = ["--", sigecho.as_str(), "--code", "5"];
    for limit in ["--nofile=3", "--nofile=4"] {
        let p = pid1_prepared("true", &["prlimit", limit, "--"], &args);
        forwards_and_stops(p, limit);
        let out = pid1_prepared("true", &["prlimit", limit, "--"], &["--", "/no/such"]).wait();
        assert_eq!(out.code(), 127, "{limit}: {}", out.stderr);
        assert_eq!(
            out.stderr,
            "pidone: no descriptor for the exec report (Too many open files): a failed exec \
             shows only as status 127\n",
            "{limit}"
        );
    }
    forwards_and_stops(
        pid1_prepared("true", &["prlimit", "--nofile=5", "--"], &args),
        "nofile 5",
    );
    reaps_small_storm(
        |args| pid1_prepared("true", &["prlimit", "--nofile=4", "--"], args),
        "nofile 4",
    );
}

/// 1020 of 1024 descriptors inherited open (a leaky parent): the application runs.
#[test]
fn nearly_all_descriptors_inherited_still_runs_the_app() {
    let sigecho = example("sigecho");
    // Descriptors 3..=1022 open on /dev/null, limit 1024: one left, not enough for a pipe.
    let fill = "ulimit -n 1024 && for i in $(seq 3 1022); do eval \"exec $i</dev/null\"; done \
                && exec \"$@\"";
    let p = pid1_prepared(
        "true",
        &["bash", "-c", fill, "bash"],
        &["--", &sigecho, "--code", "5"],
    );
    forwards_and_stops(p, "1020 inherited");
}

/// RLIMIT_AS: pidone has no heap and needs well under 384 KiB of address space (below
/// what its own exec needs the kernel kills it during exec, before any of its code runs).
/// At 384 KiB the application (a Rust program) cannot start and dies by SIGSEGV: pidone
/// reports exactly that; with 4 MiB everything works.
#[test]
fn tiny_address_space_limit() {
    if !release_only("pidone runs in a tiny address space") {
        return;
    }
    let herd = example("hostile_herd");
    let out = pid1_prepared(
        "true",
        &["prlimit", "--as=393216", "--"],
        &["-v", "--", &herd, "1", "5"],
    )
    .wait();
    assert_eq!(out.code(), 128 + libc::SIGSEGV, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("pidone: child exited pid=2 signal=SIGSEGV"),
        "pidone itself must survive to report it: {}",
        out.stderr
    );
    let sigecho = example("sigecho");
    let limit = ["prlimit", "--as=4194304", "--"];
    forwards_and_stops(
        pid1_prepared("true", &limit, &["--", &sigecho, "--code", "5"]),
        "AS 4M",
    );
    reaps_small_storm(|args| pid1_prepared("true", &limit, args), "AS 4M");
}

/// No /proc at all (unmounted in a private mount namespace): as PID 1 pidone never needs
/// it: signals, reaping and the grace kill all work.
#[test]
fn no_proc_as_pid1() {
    let sigecho = example("sigecho");
    let stubborn = example("stubborn");
    // --mount-proc's /proc hides the host's: unmount both.
    let no_proc = "umount -l /proc && umount -l /proc && test ! -e /proc/self";
    forwards_and_stops(
        pid1_prepared(no_proc, &[], &["--", &sigecho, "--code", "5"]),
        "no /proc",
    );
    reaps_small_storm(|args| pid1_prepared(no_proc, &[], args), "no /proc");
    let p = pid1_prepared(no_proc, &[], &["--grace", "1s", "--", &stubborn]);
    p.until("ready");
    p.signal(libc::SIGTERM);
    assert_eq!(p.wait().code(), 137);
}

/// No /proc, pidone not PID 1 (a subreaper under a shell), and a leftover that left the
/// process group and ignores TERM: pidone cannot list its children to signal that one.
/// It must still exit in bounded time, never wait forever.
#[test]
fn no_proc_as_subreaper_never_hangs() {
    let leftover = example("leftover");
    let mut cmd = Command::new("unshare");
    let script = format!(
        "umount -l /proc && umount -l /proc && {} -v --grace 1s -- {leftover} --setsid --ignore-term --code 3; \
         echo pidone exited $?",
        pidone()
    );
    cmd.args([
        "--pid",
        "--fork",
        "--mount-proc",
        "--kill-child",
        "--",
        "sh",
        "-c",
        &script,
    ]);
    let p = spawn(Mode::Pid1, cmd);
    p.until("worker ready");
    let exited = p.until("pidone exited");
    let out = p.wait();
    // The main child's code, once the grace is over: pidone SIGKILLed what it could reach
    // and does not wait for the worker it cannot (it warned at start, and says so again).
    assert_eq!(exited, "pidone exited 3", "{}", out.stderr);
    for warning in [
        "pidone: no /proc: leftovers that leave the process group cannot be signalled",
        "pidone: leftovers outside the process group could not be found (no /proc): exiting \
         without them",
    ] {
        let n = out.stderr.lines().filter(|l| *l == warning).count();
        assert_eq!(n, 1, "{warning:?} in:\n{}", out.stderr);
    }
}

/// No /dev/tty (an empty /dev): pidone uses only the descriptors it was given.
#[test]
fn no_dev_tty() {
    let sigecho = example("sigecho");
    let prep = "mount -t tmpfs tmpfs /dev && test ! -e /dev/tty && test ! -e /dev/null";
    forwards_and_stops(
        pid1_prepared(prep, &[], &["--", &sigecho, "--code", "5"]),
        "no /dev",
    );
}

/// A read-only root file system: pidone writes no file, so it works as usual (and the
/// fixture checks that the root really is read-only before it says it is ready).
#[test]
fn read_only_root() {
    let sigecho = example("sigecho");
    let prep = "mount -o remount,bind,ro / && ! touch /pidone-hardening-probe 2>/dev/null";
    forwards_and_stops(
        pid1_prepared(prep, &[], &["--", &sigecho, "--code", "5"]),
        "ro root",
    );
    reaps_small_storm(|args| pid1_prepared(prep, &[], args), "ro root");
}

/// Run as uid/gid 65532 with no capabilities at all (effective, permitted, inheritable,
/// bounding): pidone forwards, reaps and SIGKILLs after the grace; asked to switch user,
/// which it cannot, it fails at start with the reason.
#[test]
fn unprivileged_uid_65532_without_capabilities() {
    let setpriv = [
        "setpriv",
        "--reuid=65532",
        "--regid=65532",
        "--clear-groups",
        "--inh-caps=-all",
        "--bounding-set=-all",
        "--",
    ];
    let sigecho = example("sigecho");
    let p = pid1_prepared("true", &setpriv, &["--", &sigecho, "--code", "5"]);
    p.until("ready");
    let pidone = p.pidone_pid();
    assert_eq!(
        status_field(pidone, "Uid").split_whitespace().next(),
        Some("65532")
    );
    for caps in ["CapEff", "CapPrm", "CapBnd"] {
        assert_eq!(status_field(pidone, caps), "0000000000000000", "{caps}");
    }
    p.signal(libc::SIGHUP);
    assert_eq!(p.line(), "got SIGHUP");
    p.signal(libc::SIGTERM);
    assert_eq!(p.wait().code(), 5);

    reaps_small_storm(|args| pid1_prepared("true", &setpriv, args), "uid 65532");

    let stubborn = example("stubborn");
    let p = pid1_prepared("true", &setpriv, &["--grace", "1s", "--", &stubborn]);
    p.until("ready");
    p.signal(libc::SIGTERM);
    assert_eq!(p.wait().code(), 137);

    let out = pid1_prepared("true", &setpriv, &["--user", "0:0", "--", "true"]).wait();
    assert_eq!(out.code(), 126, "{}", out.stderr);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(
        out.stderr.starts_with("pidone: true: ") && out.stderr.contains("Operation not permitted"),
        "{}",
        out.stderr
    );
}

/// A seccomp filter, installed in the process that then runs pidone, that fails
/// `prctl(PR_SET_CHILD_SUBREAPER, ...)` with EPERM, as an odd sandbox might; every other
/// system call is allowed. Needs no_new_privs, which it sets.
fn forbid_subreaper() -> std::io::Result<()> {
    const LD_ABS: u16 = 0x20; // BPF_LD | BPF_W | BPF_ABS
    const JEQ: u16 = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
    const RET: u16 = 0x06; // BPF_RET | BPF_K
    let op = |code, jt, jf, k| libc::sock_filter { code, jt, jf, k };
    // seccomp_data: nr at 0, arch at 4, the first argument's low half at 16.
    let filter = [
        op(LD_ABS, 0, 0, 4),
        op(JEQ, 0, 5, 0xc000_003e), // AUDIT_ARCH_X86_64
        op(LD_ABS, 0, 0, 0),
        op(JEQ, 0, 3, libc::SYS_prctl as u32),
        op(LD_ABS, 0, 0, 16),
        op(JEQ, 0, 1, libc::PR_SET_CHILD_SUBREAPER as u32),
        op(RET, 0, 0, 0x0005_0000 | libc::EPERM as u32), // SECCOMP_RET_ERRNO
        op(RET, 0, 0, 0x7fff_0000),                      // SECCOMP_RET_ALLOW
    ];
    let prog = libc::sock_fprog {
        len: filter.len() as u16,
        filter: filter.as_ptr() as *mut libc::sock_filter,
    };
    // SAFETY: prctl with integer arguments, then with a pointer to the live `prog`, which
    // the kernel copies; both async-signal-safe.
    let ok = unsafe {
        libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0
            && libc::prctl(libc::PR_SET_SECCOMP, 2, &prog as *const libc::sock_fprog) == 0
    };
    if ok {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// When the kernel refuses the subreaper registration, pidone (not PID 1) says so in one
/// line and runs the application as usual (README, "A failure to become a subreaper is a
/// warning"): the application's own output and status come through.
#[test]
fn failed_subreaper_registration_is_one_warning() {
    use std::os::unix::process::CommandExt;
    let mut cmd = command(Mode::Plain, &["--", "sh", "-c", "echo ran; exit 7"]);
    // SAFETY: forbid_subreaper makes only prctl calls, async-signal-safe.
    unsafe { cmd.pre_exec(forbid_subreaper) };
    let out = spawn(Mode::Plain, cmd).wait();
    assert_eq!(out.code(), 7, "{}", out.stderr);
    assert_eq!(out.rest, vec!["ran"]);
    assert_eq!(
        out.stderr,
        "pidone: cannot register as child subreaper (Operation not permitted): orphans will \
         not be reaped by pidone\n"
    );
}

/// Without /proc, pidone not PID 1 warns at start, once, that leftovers which leave the
/// process group cannot be signalled (it cannot list its children). As PID 1 (kill(-1)
/// needs no list) and with --no-drain (no leftovers to look for) it has nothing to say.
#[test]
fn no_proc_warning_only_where_it_matters() {
    let no_proc = "umount -l /proc && umount -l /proc && test ! -e /proc/self";
    let script = format!(
        "{no_proc} && {p} -- true && echo drain done && {p} --no-drain -- true && \
         echo no-drain done",
        p = pidone()
    );
    let mut cmd = Command::new("unshare");
    cmd.args(["--pid", "--fork", "--mount-proc", "--kill-child", "--"])
        .args(["sh", "-c", &script]);
    let out = spawn(Mode::Pid1, cmd).wait();
    assert_eq!(
        out.rest,
        vec!["drain done", "no-drain done"],
        "{}",
        out.stderr
    );
    assert_eq!(
        out.stderr,
        "pidone: no /proc: leftovers that leave the process group cannot be signalled\n"
    );
    let out = pid1_prepared(no_proc, &[], &["--", "true"]).wait();
    assert_eq!(out.code(), 0);
    assert_eq!(out.stderr, "", "as PID 1");
}

/// Not PID 1, in a PID namespace whose /proc is another namespace's (the host's: `unshare
/// --pid` without `--mount-proc`): pidone's pids are not that /proc's, so nothing in it
/// may be read as pidone's children. It says so in one line at start (finding 10), as it
/// does when there is no /proc at all, and the application runs as usual.
#[test]
fn another_namespaces_proc_is_named_at_start() {
    let mut cmd = Command::new("unshare");
    cmd.args(["--pid", "--fork", "--kill-child", "--"])
        .args(["sh", "-c", "\"$0\" \"$@\"; exit $?", pidone(), "--"])
        .args(["sh", "-c", "echo ran; exit 3"]);
    let out = run_raw(cmd).unwrap();
    assert_eq!(out.code, Some(3), "{}", out.stderr());
    assert_eq!(String::from_utf8_lossy(&out.stdout), "ran\n");
    assert_eq!(
        out.stderr(),
        "pidone: /proc is another PID namespace's (mount one for this namespace): leftovers \
         that leave the process group cannot be signalled\n"
    );
}
