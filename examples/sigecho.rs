//! Signal echo: prints one line per signal it receives, so you can see exactly what an init
//! forwards and how often.
//!
//!   sigecho [--exit-on SIG]... [--code N] [--ignore SIG]...
//!
//! Prints `ready pid=P pgid=G sid=S` first, then `got SIGNAME` for each signal. It exits
//! with `--code` (default 0) after printing a signal named by `--exit-on` (default TERM);
//! `--ignore SIG` sets SIG to SIG_IGN (it is then never printed). Used by the tests to
//! count deliveries: it blocks every signal and takes them one by one with sigwaitinfo.

use std::io::Write;

fn signal_name(sig: i32) -> String {
    let names = [
        "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2",
        "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG",
        "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
    ];
    match sig {
        1..=31 => format!("SIG{}", names[sig as usize - 1]),
        34 => "SIGRTMIN".to_string(),
        35..=64 => format!("SIGRTMIN+{}", sig - 34),
        _ => format!("SIG{sig}"),
    }
}

fn parse_signal(name: &str) -> i32 {
    (1..=64)
        .find(|s| {
            let n = signal_name(*s);
            n == name || n.trim_start_matches("SIG") == name || s.to_string() == name
        })
        .unwrap_or_else(|| panic!("unknown signal {name}"))
}

fn main() {
    let mut exit_on = Vec::new();
    let mut code = 0;
    let mut args = std::env::args().skip(1);
    let mut ignored = Vec::new();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--exit-on" => exit_on.push(parse_signal(&args.next().expect("signal"))),
            "--code" => code = args.next().expect("code").parse().expect("number"),
            "--ignore" => ignored.push(parse_signal(&args.next().expect("signal"))),
            other => panic!("unknown argument {other}"),
        }
    }
    if exit_on.is_empty() {
        exit_on.push(libc::SIGTERM);
    }
    // SAFETY: plain libc calls on local, initialised data; single-threaded.
    unsafe {
        for &sig in &ignored {
            libc::signal(sig, libc::SIG_IGN);
        }
        let mut all: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        for &sig in &ignored {
            libc::sigdelset(&mut all, sig);
        }
        libc::sigprocmask(libc::SIG_BLOCK, &all, std::ptr::null_mut());
        let mut out = std::io::stdout().lock();
        writeln!(
            out,
            "ready pid={} pgid={} sid={}",
            libc::getpid(),
            libc::getpgrp(),
            libc::getsid(0)
        )
        .unwrap();
        out.flush().unwrap();
        loop {
            let sig = libc::sigwaitinfo(&all, std::ptr::null_mut());
            if sig <= 0 || sig == libc::SIGCHLD {
                continue;
            }
            writeln!(out, "got {}", signal_name(sig)).unwrap();
            out.flush().unwrap();
            if exit_on.contains(&sig) {
                std::process::exit(code);
            }
        }
    }
}
