//! Storms, against the real binary as PID 1 of a fresh PID namespace: orphans by
//! the hundred thousand, a million signals, a fork bomb, and hundreds of processes exiting
//! at the same moment as the main child. Every test asserts the effect it is about (all
//! reaped, by /proc or the fixture's own record; every signal counted by the application;
//! the exact status), every wait is bounded, and synchronisation is by the fixtures' output
//! lines, never by sleeping.
//!
//! Fixtures: tests/fixtures/hostile_orphans.rs, hostile_sigcount.rs, hostile_forkbomb.rs and
//! hostile_herd.rs (see their header comments). Needs root (namespaces, rlimits).

use pidone_testkit as common;

use common::*;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------
// Orphan storm

/// Runs `hostile_orphans ARGS --stay` under pidone as PID 1; returns (pidone's VmHWM in
/// KiB once all are reaped, orphans pidone reports having reaped).
fn orphan_run(args: &[&str]) -> (u64, u64) {
    let orphans = example("hostile_orphans");
    let mut all = vec!["-v", "--", orphans.as_str()];
    all.extend_from_slice(args);
    all.push("--stay");
    let p = start(Mode::Pid1, &all);
    let created = p.line();
    assert_eq!(created, format!("created {}", args[0]));
    // Only pidone and the fixture are left in the namespace: nothing alive, no zombie.
    assert_eq!(p.line(), "zombies 0 procs 2", "{args:?}");
    let hwm = status_kb(p.pidone_pid(), "VmHWM");
    p.signal(libc::SIGTERM);
    let out = p.wait();
    assert_eq!(out.code(), 128 + libc::SIGTERM, "{}", tail(&out.stderr));
    let reaped = report_num(&exit_report(&out.stderr), "orphans_reaped");
    (hwm, reaped)
}

/// 100,000 orphans in a few seconds, then 10,000 released at the same moment: every one
/// is reaped (pidone's own count is exact and /proc shows none left), and pidone's peak
/// memory is the same as after 100 orphans: nothing it keeps grows with the count.
#[test]
fn orphan_storm_is_reaped_in_constant_memory() {
    if !release_only("memory stays flat through an orphan storm") {
        return;
    }
    let (small_hwm, small) = orphan_run(&["100", "--batch", "50"]);
    assert_eq!(small, 100);

    let started = Instant::now();
    let (big_hwm, big) = orphan_run(&["100000", "--batch", "1000", "--workers", "2"]);
    let storm = started.elapsed();
    assert_eq!(big, 100_000, "every orphan reaped, each exactly once");

    let (burst_hwm, burst) = orphan_run(&["10000", "--batch", "10000", "--workers", "1", "--gate"]);
    assert_eq!(burst, 10_000);

    eprintln!(
        "orphan storm: 100000 in {storm:?}; VmHWM small {small_hwm} KiB, big {big_hwm} KiB, \
         burst {burst_hwm} KiB"
    );
    // The same code paths run for 100 orphans as for 100,000, so the peak may differ by a
    // page or two of code touched in a different order, never by anything per orphan
    // (even 1 byte each would be ~100 KiB).
    for (name, hwm) in [("100,000", big_hwm), ("10,000 at once", burst_hwm)] {
        assert!(
            hwm <= small_hwm + 16,
            "VmHWM grew with the count: {small_hwm} KiB for 100 orphans, {hwm} KiB for {name}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Signal storm

/// Signals the storm sends with kill(2): every standard signal except the three that start
/// the grace period (TERM, INT, QUIT), WINCH (the marker), and KILL/STOP (not catchable).
const STORM_STANDARD: [i32; 24] = [
    libc::SIGHUP,
    libc::SIGILL,
    libc::SIGTRAP,
    libc::SIGABRT,
    libc::SIGBUS,
    libc::SIGFPE,
    libc::SIGUSR1,
    libc::SIGSEGV,
    libc::SIGUSR2,
    libc::SIGPIPE,
    libc::SIGALRM,
    libc::SIGSTKFLT,
    libc::SIGCHLD,
    libc::SIGCONT,
    libc::SIGTSTP,
    libc::SIGTTIN,
    libc::SIGTTOU,
    libc::SIGURG,
    libc::SIGXCPU,
    libc::SIGXFSZ,
    libc::SIGVTALRM,
    libc::SIGPROF,
    libc::SIGIO,
    libc::SIGPWR,
];

/// Real-time signals the storm queues with rt_sigqueueinfo, which (unlike kill) fails with
/// EAGAIN instead of silently dropping when the receiver's queue is at its limit, so the
/// senders know exactly how many were accepted. 64 is the end-of-storm marker.
const STORM_RT: [i32; 8] = [32, 33, 34, 35, 36, 40, 50, 63];

/// RLIMIT_SIGPENDING's hard limit: queued signals per user, counted across every process
/// of that user (root here: pidone, the application and anything else root runs).
fn sigpending_limit() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes the live struct.
    let rc = unsafe { libc::getrlimit(libc::RLIMIT_SIGPENDING, &mut limit) };
    assert_eq!(rc, 0);
    limit.rlim_max
}

/// Queues `sig` to `pid` as sigqueue(3) does. Returns whether the kernel accepted it.
fn sigqueue(pid: i32, sig: i32) -> bool {
    // siginfo_t on x86-64: si_signo, si_errno, si_code, padding, then si_pid, si_uid.
    let mut info = [0i32; 32];
    info[0] = sig;
    info[2] = -1; // SI_QUEUE
    info[4] = std::process::id() as i32;
    // SAFETY: `info` is a 128-byte siginfo the kernel only reads.
    let rc = unsafe { libc::syscall(libc::SYS_rt_sigqueueinfo, pid, sig, info.as_ptr()) };
    rc == 0
}

/// The number of signals in the storm: 1,000,000 (PIDONE_STORM_SIGNALS to change it).
fn storm_size() -> usize {
    std::env::var("PIDONE_STORM_SIGNALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}

/// A million signals of 32 kinds from four sender threads while the application runs.
/// Afterwards pidone is alive and answers at once: the marker arrives; every real-time
/// signal the kernel accepted reached the application exactly once; every standard kind
/// arrived at least once and never more often than sent (and SIGCHLD never: it is pidone's
/// cue to reap, not the application's); pidone's memory did not grow;
/// and a TERM still ends everything well within the grace period.
///
/// Why the real-time count can be exact: a signal beyond the per-user queue limit is lost
/// by the kernel (silently for kill, which is how pidone forwards). The storm therefore
/// queues at most a third of that limit in real-time signals in all, so even if pidone and
/// the application held every one of them at once no queue could overflow: any
/// difference is pidone's doing. (Raising the limit needs CAP_SYS_RESOURCE, which a test
/// cannot count on.)
#[test]
fn signal_storm_loses_nothing_and_term_still_works() {
    let sigcount = example("hostile_sigcount");
    // rt_sigqueueinfo and the forwarded signals are charged to the receivers' user (root)
    // against the receivers' RLIMIT_SIGPENDING: far above the storm, so nothing can drop.
    let limit = sigpending_limit();
    let p = pid1_with(&["--grace", "5s", "--", &sigcount], move || {
        set_rlimit(libc::RLIMIT_SIGPENDING, limit)
    });
    p.until("ready");
    let pidone = p.pidone_pid();
    let app = children(pidone)[0];
    let hwm_before = status_kb(pidone, "VmHWM");

    let total = storm_size();
    let senders = 4;
    // One signal in `rt_every` is real-time: at most a third of the queue limit in all.
    let rt_every = (total as u64 * 3).div_ceil(limit).max(2) as usize;
    let started = Instant::now();
    let threads: Vec<_> = (0..senders)
        .map(|t| {
            std::thread::spawn(move || {
                let mut sent = [0u64; 65];
                let mut refused = 0u64;
                for i in 0..total / senders {
                    let k = i + t * 7;
                    if i % rt_every != 0 {
                        let sig = STORM_STANDARD[k % STORM_STANDARD.len()];
                        // SAFETY: kill has no memory effects.
                        assert_eq!(unsafe { libc::kill(pidone, sig) }, 0, "pidone vanished");
                        sent[sig as usize] += 1;
                    } else {
                        let sig = STORM_RT[(i / rt_every + t) % STORM_RT.len()];
                        if sigqueue(pidone, sig) {
                            sent[sig as usize] += 1;
                        } else {
                            refused += 1;
                        }
                    }
                }
                (sent, refused)
            })
        })
        .collect();
    let mut sent = [0u64; 65];
    let mut refused = 0;
    for t in threads {
        let (s, r) = t.join().unwrap();
        for (total, n) in sent.iter_mut().zip(s) {
            *total += n;
        }
        refused += r;
    }
    let storm = started.elapsed();

    assert!(
        alive(pidone) && state_of(pidone) != Some('Z'),
        "pidone died in the storm"
    );
    assert!(
        alive(app) && state_of(app) != Some('Z'),
        "the application died in the storm"
    );
    // pidone takes pending signals round-robin (no kind starves another), not lowest
    // first, so a marker sent while it still holds part of the storm could overtake it.
    // Once nothing is pending in pidone, everything it took has been forwarded: its loop
    // forwards each signal before it takes the next.
    wait_until("pidone has taken the whole storm", || {
        ["SigPnd", "ShdPnd"]
            .iter()
            .all(|f| status_field(pidone, f).trim_start_matches('0').is_empty())
    });
    // The standard marker, then the real-time one (taken after every lower signal).
    p.signal(libc::SIGWINCH);
    assert_eq!(p.line(), "marker");
    p.signal(64);
    let counts_line = p.until("counts ");
    let drained = started.elapsed();
    let got: Vec<u64> = std::iter::once(0)
        .chain(
            counts_line
                .trim_start_matches("counts ")
                .split(' ')
                .map(|n| n.parse().unwrap()),
        )
        .collect();
    assert_eq!(got.len(), 65, "{counts_line}");
    assert_eq!(
        refused, 0,
        "the raised queue limit was reached: the check below is void"
    );
    for sig in STORM_RT {
        assert_eq!(
            got[sig as usize], sent[sig as usize],
            "real-time signal {sig}: {} accepted by the kernel, {} reached the application",
            sent[sig as usize], got[sig as usize]
        );
    }
    for sig in STORM_STANDARD {
        let (s, g) = (sent[sig as usize], got[sig as usize]);
        if sig == libc::SIGCHLD {
            // pidone takes SIGCHLD as its cue to reap; it is never the application's.
            assert_eq!(g, 0, "SIGCHLD: sent {s}, the application got {g}");
            continue;
        }
        // Sent many times each, an ordinary signal is counted once per delivery, and
        // deliveries of one kind merge while one is pending: at least one, at most all.
        assert!(
            g >= 1 && g <= s,
            "signal {sig}: sent {s}, the application got {g}"
        );
    }
    assert_eq!(got[libc::SIGWINCH as usize], 1);
    let hwm_after = status_kb(pidone, "VmHWM");
    eprintln!(
        "signal storm: {} signals from {senders} threads in {storm:?}, all delivered after \
         {drained:?}; real-time accepted {}; VmHWM {hwm_before} -> {hwm_after} KiB",
        sent.iter().sum::<u64>(),
        STORM_RT.iter().map(|s| sent[*s as usize]).sum::<u64>(),
    );
    assert!(
        hwm_after <= hwm_before + 16,
        "{hwm_before} -> {hwm_after} KiB"
    );

    let term = Instant::now();
    p.signal(libc::SIGTERM);
    let out = p.wait();
    assert_eq!(out.rest, vec!["term"]);
    assert_eq!(
        out.code(),
        42,
        "the application's status: {}",
        tail(&out.stderr)
    );
    assert!(
        term.elapsed() < Duration::from_secs(5),
        "{:?}",
        term.elapsed()
    );
}

// ---------------------------------------------------------------------------------------
// Fork bomb

/// A fork bomb that ignores SIGTERM, run as an unprivileged user under RLIMIT_NPROC: pidone
/// (root, exempt) keeps reaping its orphans at full speed while it runs, and TERM plus the
/// grace period ends every process: pidone exits with the bomb's SIGKILL status soon after
/// the grace, instead of waiting forever for a process table that never empties.
///
/// The evidence of the reaping is the bomb's own count of successful forks: with at most 64
/// processes of its user at a time, 5,000 forks mean thousands of its orphans were reaped,
/// and only pidone reaps them (the bomb's main process never waits for anyone).
#[test]
fn fork_bomb_under_nproc_is_reaped_and_stopped() {
    let bomb = example("hostile_forkbomb");
    // A uid of its own, so the limit counts only the bomb's processes.
    let p = pid1_with(
        &["-v", "--grace", "1s", "--user", "64123:64123", "--", &bomb],
        || set_rlimit(libc::RLIMIT_NPROC, 64),
    );
    assert_eq!(p.line(), "ready");
    let forks = |line: &str| {
        line.strip_prefix("forks ")
            .and_then(|n| n.parse::<u64>().ok())
    };
    let line = p.until_with("5,000 forks of the bomb", |l| {
        forks(l).is_some_and(|n| n >= 5_000)
    });
    let pidone = p.pidone_pid();
    assert!(!children(pidone).is_empty(), "the bomb is running");
    let term = Instant::now();
    p.signal(libc::SIGTERM);
    let out = p.wait();
    let took = term.elapsed();
    assert_eq!(out.code(), 128 + libc::SIGKILL, "{}", tail(&out.stderr));
    // At least the grace; the upper bound only catches a pidone that waited on.
    assert!(
        took >= Duration::from_secs(1) && took < Duration::from_secs(10),
        "TERM to exit: {took:?}"
    );
    let report = exit_report(&out.stderr);
    eprintln!(
        "fork bomb: {line} while running; {} orphans reaped while running, {} after SIGKILL; \
         TERM to exit {took:?}",
        report_num(&report, "orphans_reaped"),
        report_num(&report, "killed")
    );
}

// ---------------------------------------------------------------------------------------
// The main child exits in a crowd

/// The main child exits with 77 at the same moment as 500 of its children, each with
/// another status (every seventh by SIGKILL): pidone reports 77, reaps all 500 and only
/// then exits. Several rounds, as PID 1 and as subreaper. As subreaper, pidone runs in a
/// namespace whose PID 1 never reaps (`Holder`): anything pidone left unreaped when it
/// exited would be that PID 1's now, and /proc shows none.
#[test]
fn main_status_wins_among_hundreds_exiting_at_once() {
    let herd = example("hostile_herd");
    let holder = Holder::new();
    for round in 0..4 {
        let args = ["-v", "--", &herd, "500", "77"];
        let p = start(Mode::Pid1, &args);
        assert_eq!(p.line(), "ready");
        let out = p.wait();
        assert_eq!(out.code(), 77, "PID 1 round {round}: {}", tail(&out.stderr));
        // As PID 1 the kernel ends what is left with pidone, so only pidone's own count
        // can say it waited for all 500.
        let report = exit_report(&out.stderr);
        assert_eq!(report.get("exit").map(String::as_str), Some("77"));
        let reaped = report_num(&report, "orphans_reaped")
            + report_num(&report, "leftovers_terminated")
            + report_num(&report, "killed");
        assert_eq!(reaped, 500, "PID 1 round {round}: {report:?}");

        let p = spawn(Mode::Pid1, holder.command(&args));
        assert_eq!(p.line(), "ready");
        let out = p.wait();
        assert_eq!(
            out.code(),
            77,
            "subreaper round {round}: {}",
            tail(&out.stderr)
        );
        let left: Vec<(i32, Option<char>)> = holder
            .orphans()
            .into_iter()
            .map(|p| (p, state_of(p)))
            .collect();
        assert!(
            left.is_empty(),
            "subreaper round {round}: left unreaped: {left:?}"
        );
    }
}
