//! Zombie factory: makes orphans that die and become zombies of PID 1. Without an init
//! that reaps them, every one stays in the process table until the container stops.
//!
//!   zombies COUNT [--burst] [--check] [--stay]
//!
//! Each orphan is made by forking a child that forks a grandchild and exits at once; the
//! grandchild is re-parented to PID 1 (or the nearest subreaper) and exits. With `--burst`
//! the grandchildren wait on a pipe and all exit at the same moment, once COUNT exist.
//! Prints `created COUNT`. `--check` then watches /proc until no zombie is left (up to 30 s)
//! and prints `zombies N`, the number still there. `--stay` keeps running until SIGTERM.

use std::io::Write;

fn zombies_now() -> usize {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0;
    };
    dir.filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
        .filter(|stat| {
            // The state follows the last ')' (the command name may contain anything).
            stat.rsplit_once(')')
                .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
        })
        .count()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let count: usize = args
        .first()
        .and_then(|a| a.parse().ok())
        .expect("usage: zombies COUNT");
    let burst = args.iter().any(|a| a == "--burst");
    let check = args.iter().any(|a| a == "--check");
    let stay = args.iter().any(|a| a == "--stay");
    let mut gate = [0i32; 2];
    // SAFETY: plain fork/pipe/read/_exit calls; the children only make system calls.
    unsafe {
        if burst && libc::pipe(gate.as_mut_ptr()) != 0 {
            panic!("pipe");
        }
        for _ in 0..count {
            let child = libc::fork();
            if child == 0 {
                if libc::fork() == 0 {
                    if burst {
                        libc::close(gate[1]);
                        let mut b = 0u8;
                        libc::read(gate[0], (&mut b as *mut u8).cast(), 1);
                    }
                    libc::_exit(0);
                }
                libc::_exit(0);
            }
            let mut status = 0;
            libc::waitpid(child, &mut status, 0);
        }
        if burst {
            libc::close(gate[0]);
            libc::close(gate[1]);
        }
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "created {count}").unwrap();
    out.flush().unwrap();
    if check {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let mut left = zombies_now();
        while left > 0 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(5));
            left = zombies_now();
        }
        writeln!(out, "zombies {left}").unwrap();
        out.flush().unwrap();
    }
    if stay {
        loop {
            // SAFETY: pause only waits for a signal; SIGTERM's default action ends us.
            unsafe { libc::pause() };
        }
    }
}
