//! Orphan storm for the hardening tests: makes TOTAL orphans of PID 1 (or the nearest
//! subreaper) as fast as the machine allows.
//!
//!   hostile_orphans TOTAL [--batch N] [--workers W] [--gate] [--stay]
//!
//! W workers (default 2) run in parallel (threads; with 1, the main thread); each repeatedly forks a middle process that
//! forks N children (default 1000) and exits at once, so the children are re-parented in
//! one go. Without `--gate` the children exit immediately (most are already zombies when
//! they are re-parented); with `--gate` they wait on a pipe that the middle process holds,
//! and all exit at the same moment when it exits. Workers reap only their middle processes.
//!
//! Prints `created TOTAL` once every middle process has exited, then watches /proc (up to
//! 30 s) until no zombie is left and at most 2 processes are (in a fresh PID namespace:
//! pidone and this program), and prints `zombies Z procs P`: the zombies and processes
//! /proc showed last.
//! `--stay` then waits for SIGTERM (default action: exit by the signal).

use std::io::Write;

fn count_procs() -> (usize, usize) {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return (0, 0);
    };
    let mut zombies = 0;
    let mut procs = 0;
    for entry in dir.filter_map(|e| e.ok()) {
        let name = entry.file_name();
        if !name.to_string_lossy().bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        procs += 1;
        // The state follows the last ')' (the command name may contain anything).
        if stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
        {
            zombies += 1;
        }
    }
    (zombies, procs)
}

/// One middle process: forks `batch` children, then exits, orphaning them all.
fn middle(batch: usize, gate: bool) -> ! {
    let mut pipe = [0i32; 2];
    // SAFETY: fork/pipe/read/close/_exit only; the children make system calls and exit.
    unsafe {
        if gate && libc::pipe(pipe.as_mut_ptr()) != 0 {
            libc::_exit(3);
        }
        for _ in 0..batch {
            match libc::fork() {
                0 => {
                    if gate {
                        libc::close(pipe[1]);
                        let mut b = 0u8;
                        libc::read(pipe[0], (&mut b as *mut u8).cast(), 1);
                    }
                    libc::_exit(0);
                }
                pid if pid < 0 => libc::_exit(4),
                _ => {}
            }
        }
        libc::_exit(0)
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let total: usize = args
        .first()
        .and_then(|a| a.parse().ok())
        .expect("usage: hostile_orphans TOTAL [--batch N] [--workers W] [--gate] [--stay]");
    let value = |flag: &str, default: usize| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .map_or(default, |v| v.parse().expect("number"))
    };
    let batch = value("--batch", 1000).max(1);
    let workers = value("--workers", 2).max(1);
    let gate = args.iter().any(|a| a == "--gate");
    let stay = args.iter().any(|a| a == "--stay");

    let batches = total.div_ceil(batch);
    // Worker `w` gets batches w, w+W, ...; the last batch may be short.
    let share = move |w: usize| {
        (w..batches)
            .step_by(workers)
            .map(move |b| batch.min(total - b * batch))
    };
    let run = move |w: usize| {
        for n in share(w) {
            // SAFETY: the child runs only `middle`, which makes system calls and exits.
            let pid = unsafe { libc::fork() };
            if pid == 0 {
                middle(n, gate);
            }
            assert!(pid > 0, "fork failed");
            let mut status = 0;
            // SAFETY: waits for our own child.
            unsafe { libc::waitpid(pid, &mut status, 0) };
            assert_eq!(status, 0, "middle process failed");
        }
    };
    if workers == 1 {
        // No thread: works under a tight RLIMIT_AS, where a thread stack would not fit.
        run(0);
    } else {
        let handles: Vec<_> = (0..workers)
            .map(|w| std::thread::spawn(move || run(w)))
            .collect();
        for h in handles {
            h.join().unwrap();
        }
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "created {total}").unwrap();
    out.flush().unwrap();

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let (mut zombies, mut procs) = count_procs();
    while (zombies > 0 || procs > 2) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(5));
        (zombies, procs) = count_procs();
    }
    writeln!(out, "zombies {zombies} procs {procs}").unwrap();
    out.flush().unwrap();
    if stay {
        loop {
            // SAFETY: pause only waits for a signal; SIGTERM's default action ends us.
            unsafe { libc::pause() };
        }
    }
}
