//! Leftover maker: an application that starts a background worker and exits, leaving the
//! worker running, as a shell script that starts a daemon does. A good init terminates the
//! worker, waits for it to finish, and only then exits (tini and catatonit exit at once;
//! dumb-init signals it but does not wait).
//!
//!   leftover [--code N] [--ignore-term] [--linger-ms MS] [--setsid]
//!
//! The worker prints `worker ready pid=P`, and on SIGTERM `worker got SIGTERM`, works for
//! MS milliseconds (default 200), prints `worker finished` and exits 0. With `--ignore-term`
//! it ignores SIGTERM and only SIGKILL ends it. With `--setsid` the worker leaves the process
//! group. The main process exits with `--code` once the worker is ready.

use std::io::Write;

fn main() {
    let mut code = 0;
    let mut ignore = false;
    let mut setsid = false;
    let mut linger = 200u64;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--code" => code = args.next().expect("code").parse().expect("number"),
            "--ignore-term" => ignore = true,
            "--setsid" => setsid = true,
            "--linger-ms" => linger = args.next().expect("ms").parse().expect("number"),
            other => panic!("unknown argument {other}"),
        }
    }
    let mut ready = [0i32; 2];
    // SAFETY: plain libc calls on local data; the worker runs only this function's code.
    unsafe {
        libc::pipe(ready.as_mut_ptr());
        if libc::fork() == 0 {
            libc::close(ready[0]);
            if setsid {
                libc::setsid();
            }
            let mut term: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut term);
            libc::sigaddset(&mut term, libc::SIGTERM);
            if ignore {
                libc::signal(libc::SIGTERM, libc::SIG_IGN);
            } else {
                libc::sigprocmask(libc::SIG_BLOCK, &term, std::ptr::null_mut());
            }
            let mut out = std::io::stdout().lock();
            writeln!(out, "worker ready pid={}", libc::getpid()).unwrap();
            out.flush().unwrap();
            libc::close(ready[1]);
            if ignore {
                loop {
                    libc::pause();
                }
            }
            let mut sig = 0;
            libc::sigwait(&term, &mut sig);
            writeln!(out, "worker got SIGTERM").unwrap();
            out.flush().unwrap();
            std::thread::sleep(std::time::Duration::from_millis(linger));
            writeln!(out, "worker finished").unwrap();
            out.flush().unwrap();
            libc::_exit(0);
        }
        libc::close(ready[1]);
        let mut b = 0u8;
        libc::read(ready[0], (&mut b as *mut u8).cast(), 1);
    }
    std::process::exit(code);
}
