//! Zombie reaping benchmark: run as the application under an init that is PID 1 of its
//! namespace; makes COUNT orphans that die, and measures how fast PID 1 reaps them.
//!
//!   bench_zombies COUNT [--burst] [--timeout-ms MS]
//!
//! "Unreaped orphans" are PID 1's children other than this program, read from
//! /proc/1/task/1/children (zombies stay on that list until their parent reaps them; an
//! orphan that has not finished exiting yet is counted too, for a few microseconds).
//! - Sequential (default): COUNT times, fork a child that forks a grandchild and exits;
//!   the grandchild is re-parented to PID 1 and exits at once. The count is sampled every
//!   10 orphans for the peak. The time is from the first fork until none is left.
//! - `--burst`: one helper process forks COUNT children that exit at once and are not
//!   reaped; when all COUNT are zombies the helper exits, and the kernel hands all COUNT
//!   zombies to PID 1 in one go (one SIGCHLD), so the peak is COUNT by construction. The
//!   time is from the moment the helper is told to exit until the last one is reaped.
//!   Each zombie is watched through a pidfd in one epoll set: since Linux 6.9 a pidfd
//!   reports POLLHUP when its process is reaped, so no reading of /proc competes with the
//!   init for the task list while it reaps; the set is read every 200 µs at most. Where
//!   that is not possible (older kernel, fd limit), /proc is polled every 200 µs instead.
//!
//! Waits up to MS (default 2000) after the last orphan for none to be left; what is left
//! then is "leaked". Also reports the CPU time PID 1 used over the same span, from
//! /proc/1/schedstat (nanoseconds on CPU): the reaping cost itself, much less sensitive to
//! other load than the wall time. Prints one JSON line:
//! `{"mode":..,"count":..,"create_ns":..,"clear_ns":..|null,"peak":..,"leaked":..,
//! "pid1_cpu_ns":..,"method":"pidfd"|"proc"}`.
//! As PID 1 itself (no init) nothing reaps the orphans: every one leaks.

use std::io::Read;
use std::time::{Duration, Instant};

/// Counts PID 1's children other than `me`.
fn unreaped(me: &str, buf: &mut Vec<u8>) -> usize {
    buf.clear();
    let Ok(mut file) = std::fs::File::open("/proc/1/task/1/children") else {
        return 0;
    };
    if file.read_to_end(buf).is_err() {
        return 0;
    }
    buf.split(|b| *b == b' ' || *b == b'\n')
        .filter(|pid| !pid.is_empty() && *pid != me.as_bytes())
        .count()
}

/// Forks COUNT children that exit at once and stay zombies; returns the helper's pid and
/// the write end of the pipe that tells it to exit. Returns once all COUNT have exited.
fn start_burst_helper(count: usize) -> (i32, i32) {
    let mut go = [0i32; 2];
    let mut ready = [0i32; 2];
    // SAFETY: plain fork/pipe/waitid/read/_exit calls; the helper and its children run only
    // this block and exit.
    unsafe {
        libc::pipe(go.as_mut_ptr());
        libc::pipe(ready.as_mut_ptr());
        let helper = libc::fork();
        if helper == 0 {
            libc::close(go[1]);
            libc::close(ready[0]);
            let mut pids = vec![0i32; count];
            for pid in pids.iter_mut() {
                *pid = libc::fork();
                if *pid == 0 {
                    libc::_exit(0);
                }
            }
            // Wait until every child has exited, without reaping it (WNOWAIT).
            for &pid in &pids {
                if pid > 0 {
                    let mut info: libc::siginfo_t = std::mem::zeroed();
                    libc::waitid(
                        libc::P_PID,
                        pid as libc::id_t,
                        &mut info,
                        libc::WEXITED | libc::WNOWAIT,
                    );
                }
            }
            libc::write(ready[1], b"r".as_ptr().cast(), 1);
            let mut byte = 0u8;
            libc::read(go[0], (&mut byte as *mut u8).cast(), 1);
            libc::_exit(0);
        }
        libc::close(go[0]);
        libc::close(ready[1]);
        let mut byte = 0u8;
        libc::read(ready[0], (&mut byte as *mut u8).cast(), 1);
        libc::close(ready[0]);
        (helper, go[1])
    }
}

/// Nanoseconds PID 1 has spent on a CPU so far.
fn pid1_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/1/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// The pids listed in `/proc/PID/task/PID/children`.
fn children_of(pid: i32) -> Vec<i32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

/// Zombies watched for their reaping: pidfds in one epoll set, registered for no event, so
/// that only the POLLHUP of a reaped process is reported.
struct ReapWatch {
    epoll: i32,
    left: usize,
}

impl ReapWatch {
    fn new(pids: &[i32]) -> Option<ReapWatch> {
        // SAFETY: getrlimit/setrlimit read and write one rlimit; epoll and pidfd calls only
        // take integers and a local epoll_event.
        unsafe {
            let mut limit: libc::rlimit = std::mem::zeroed();
            libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
            if (limit.rlim_cur as usize) < pids.len() + 64 {
                return None;
            }
            let epoll = libc::epoll_create1(libc::EPOLL_CLOEXEC);
            if epoll < 0 {
                return None;
            }
            for &pid in pids {
                let fd = libc::syscall(libc::SYS_pidfd_open, pid, 0) as i32;
                let mut event = libc::epoll_event {
                    events: 0,
                    u64: fd as u64,
                };
                if fd < 0 || libc::epoll_ctl(epoll, libc::EPOLL_CTL_ADD, fd, &mut event) != 0 {
                    return None;
                }
            }
            // Before anything is reaped nothing may be reported (a kernel without POLLHUP
            // on reap would report nothing ever, which the first check cannot tell; such a
            // kernel shows up as every zombie "leaked" next to the /proc count of 0).
            let mut event = libc::epoll_event { events: 0, u64: 0 };
            if libc::epoll_wait(epoll, &mut event, 1, 0) != 0 {
                return None;
            }
            Some(ReapWatch {
                epoll,
                left: pids.len(),
            })
        }
    }

    /// Waits until every watched process is reaped or the deadline passes; true if all were.
    fn wait(&mut self, deadline: Instant) -> bool {
        let mut events = [libc::epoll_event { events: 0, u64: 0 }; 512];
        while self.left > 0 {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            let ms = (deadline - now).as_millis().min(1000) as i32;
            // SAFETY: epoll_wait writes at most `events.len()` entries; close takes an fd.
            let n = unsafe { libc::epoll_wait(self.epoll, events.as_mut_ptr(), 512, ms.max(1)) };
            for event in events.iter().take(n.max(0) as usize) {
                if event.events & libc::EPOLLHUP as u32 != 0 {
                    // Closing the pidfd takes it out of the set.
                    // SAFETY: the fd is one of ours, closed once.
                    unsafe { libc::close(event.u64 as i32) };
                    self.left -= 1;
                }
            }
            if self.left > 0 {
                // Batch the wake-ups: the init is still reaping.
                std::thread::sleep(Duration::from_micros(200));
            }
        }
        true
    }
}

fn make_orphan() {
    // SAFETY: fork/waitpid/_exit; the children only make system calls and exit.
    unsafe {
        let child = libc::fork();
        if child == 0 {
            if libc::fork() >= 0 {
                libc::_exit(0);
            }
            libc::_exit(1);
        }
        let mut status = 0;
        libc::waitpid(child, &mut status, 0);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(count) = args.first().and_then(|a| a.parse::<usize>().ok()) else {
        eprintln!("usage: bench_zombies COUNT [--burst] [--timeout-ms MS]");
        std::process::exit(2);
    };
    let burst = args.iter().any(|a| a == "--burst");
    let timeout_ms = args
        .iter()
        .position(|a| a == "--timeout-ms")
        .and_then(|i| args.get(i + 1))
        .and_then(|a| a.parse().ok())
        .unwrap_or(2000u64);
    let me = std::process::id().to_string();
    let mut buf = Vec::with_capacity(64 * 1024);
    let mut peak = 0usize;

    let mut cpu_start = pid1_cpu_ns();
    let start = Instant::now();
    let created;
    let released;
    if burst {
        let (helper, go) = start_burst_helper(count);
        created = start.elapsed();
        let mut watch = ReapWatch::new(&children_of(helper));
        cpu_start = pid1_cpu_ns();
        released = Instant::now();
        // SAFETY: write one byte to our pipe, then reap the helper (our own child).
        unsafe {
            libc::write(go, b"g".as_ptr().cast(), 1);
            let mut status = 0;
            libc::waitpid(helper, &mut status, 0);
        }
        if let Some(watch) = watch.as_mut() {
            let all = watch.wait(Instant::now() + Duration::from_millis(timeout_ms));
            let clear = all.then(|| released.elapsed().as_nanos().to_string());
            let cpu = pid1_cpu_ns().saturating_sub(cpu_start);
            println!(
                "{{\"mode\":\"burst\",\"count\":{count},\"create_ns\":{},\"clear_ns\":{},\"peak\":{count},\"leaked\":{},\"pid1_cpu_ns\":{cpu},\"method\":\"pidfd\"}}",
                created.as_nanos(),
                clear.as_deref().unwrap_or("null"),
                watch.left
            );
            return;
        }
    } else {
        for i in 0..count {
            make_orphan();
            if i % 10 == 9 {
                peak = peak.max(unreaped(&me, &mut buf));
            }
        }
        created = start.elapsed();
        released = start;
    }
    let deadline = Instant::now() + Duration::from_millis(timeout_ms);
    let mut left = unreaped(&me, &mut buf);
    let mut clear = None;
    loop {
        peak = peak.max(left);
        if left == 0 {
            clear = Some(released.elapsed());
            break;
        }
        if Instant::now() >= deadline {
            break;
        }
        std::thread::sleep(Duration::from_micros(200));
        left = unreaped(&me, &mut buf);
    }
    let cpu = pid1_cpu_ns().saturating_sub(cpu_start);
    let clear_ns = clear.map_or("null".to_string(), |d| d.as_nanos().to_string());
    println!(
        "{{\"mode\":\"{}\",\"count\":{count},\"create_ns\":{},\"clear_ns\":{clear_ns},\"peak\":{peak},\"leaked\":{left},\"pid1_cpu_ns\":{cpu},\"method\":\"proc\"}}",
        if burst { "burst" } else { "sequential" },
        created.as_nanos()
    );
}
