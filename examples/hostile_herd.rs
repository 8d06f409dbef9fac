//! Herd for the hardening tests: the main process exits while hundreds of its children
//! exit at the same moment, each with another status.
//!
//!   hostile_herd N CODE
//!
//! Forks N children that block on a pipe, prints `ready`, then closes the pipe and exits
//! with CODE at once: the children wake together and exit with codes 1, 2, ... (skipping
//! CODE), every seventh killed by SIGKILL instead. All are re-parented to the init.

use std::io::Write;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args[0].parse().expect("N");
    let code: i32 = args[1].parse().expect("CODE");
    let mut gate = [0i32; 2];
    // SAFETY: pipe/fork/read/kill/_exit only; the children make system calls and exit.
    unsafe {
        assert_eq!(libc::pipe(gate.as_mut_ptr()), 0);
        for i in 0..n {
            let mut own = (i % 250) as i32 + 1;
            if own >= code {
                own += 1;
            }
            match libc::fork() {
                0 => {
                    libc::close(gate[1]);
                    let mut b = 0u8;
                    libc::read(gate[0], (&mut b as *mut u8).cast(), 1);
                    if i % 7 == 0 {
                        libc::kill(libc::getpid(), libc::SIGKILL);
                    }
                    libc::_exit(own);
                }
                pid => assert!(pid > 0, "fork"),
            }
        }
        libc::close(gate[0]);
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready").unwrap();
    out.flush().unwrap();
    // SAFETY: closing our end of the gate releases every child; _exit follows at once.
    unsafe {
        libc::close(gate[1]);
        libc::_exit(code);
    }
}
