//! Graceful server: a tiny HTTP server that shuts down the way a container runtime expects.
//! On SIGTERM (or SIGINT) it stops accepting connections, lets the requests already in
//! flight finish, says so, and exits 0, like a Node.js server's `closeGracefully`. It only
//! gets that SIGTERM if PID 1 passes it on: as PID 1 behind a shell wrapper it never sees
//! `docker stop`'s signal and is SIGKILLed after Docker's timeout; under pidone it is gone
//! as soon as its work is done.
//!
//!   graceful [--listen ADDR] [--work-ms MS]
//!
//! ADDR is `--listen`, else `$LISTEN_ADDR`, else `0.0.0.0:$PORT`, else `0.0.0.0:8080`.
//! Every request takes MS milliseconds of pretend work (default 100); a request line with
//! `ms=N` in it (`GET /?ms=2000`) takes N instead. The answer is `done after N ms`.
//!
//! Prints `listening on ADDR pid=P uid=U`, `request N started` and `request N done`, and
//! on the signal `got SIGTERM: stopped accepting, K in flight`, then `all requests
//! finished, exiting 0`.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// Requests being served now; the shutdown waits for this to reach zero.
struct InFlight {
    count: Mutex<usize>,
    idle: Condvar,
}

fn main() {
    let (addr, work_ms) = arguments();
    // Block the stop signals in every thread (threads inherit the mask) so that one thread
    // can take them with sigwait instead of an asynchronous handler.
    // SAFETY: plain libc calls on a local, initialised sigset; no thread exists yet.
    let stop_signals = unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGTERM);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        set
    };

    let listener = TcpListener::bind(&addr).unwrap_or_else(|e| {
        eprintln!("graceful: cannot listen on {addr}: {e}");
        std::process::exit(1);
    });
    // SAFETY: getuid and getpid cannot fail.
    let (pid, uid) = unsafe { (libc::getpid(), libc::getuid()) };
    println!(
        "listening on {} pid={pid} uid={uid}",
        listener.local_addr().map_or(addr, |a| a.to_string())
    );

    // The stop signal once it has come; 0 while running.
    let stopping = Arc::new(AtomicI32::new(0));
    let in_flight = Arc::new(InFlight {
        count: Mutex::new(0),
        idle: Condvar::new(),
    });

    // The signal thread: wait for SIGTERM/SIGINT, then wake the accept loop by shutting
    // the listening socket down (a blocked accept returns at once with an error).
    let listen_fd = listener.as_raw_fd();
    let stop_flag = Arc::clone(&stopping);
    std::thread::spawn(move || {
        let mut sig = 0;
        // SAFETY: sigwait reads the set and writes one int.
        while unsafe { libc::sigwait(&stop_signals, &mut sig) } != 0 {}
        stop_flag.store(sig, Ordering::SeqCst);
        // SAFETY: the listener outlives this call: main only drops it after accept fails,
        // which happens only after this shutdown.
        unsafe { libc::shutdown(listen_fd, libc::SHUT_RDWR) };
    });

    let served = AtomicU64::new(0);
    for conn in listener.incoming() {
        if stopping.load(Ordering::SeqCst) != 0 {
            break;
        }
        let Ok(stream) = conn else { continue };
        let n = served.fetch_add(1, Ordering::SeqCst) + 1;
        *in_flight.count.lock().unwrap() += 1;
        let done = Arc::clone(&in_flight);
        std::thread::spawn(move || {
            serve(stream, n, work_ms);
            let mut count = done.count.lock().unwrap();
            *count -= 1;
            done.idle.notify_all();
        });
    }
    // Closing the socket makes new connections fail at once ("connection refused") rather
    // than wait in a backlog nobody reads.
    drop(listener);
    let mut count = in_flight.count.lock().unwrap();
    let name = if stopping.load(Ordering::SeqCst) == libc::SIGINT {
        "SIGINT"
    } else {
        "SIGTERM"
    };
    println!("got {name}: stopped accepting, {} in flight", *count);
    while *count > 0 {
        count = in_flight.idle.wait(count).unwrap();
    }
    println!("all requests finished, exiting 0");
    std::process::exit(0);
}

/// Reads one request head, works for its `ms=` (or the default), answers and closes.
fn serve(mut stream: TcpStream, n: u64, default_ms: u64) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(k) => head.extend_from_slice(&buf[..k]),
        }
    }
    let first_line = String::from_utf8_lossy(&head);
    let first_line = first_line.lines().next().unwrap_or("");
    let ms = first_line
        .split(['?', '&', ' '])
        .find_map(|part| part.strip_prefix("ms=")?.parse().ok())
        .unwrap_or(default_ms);
    println!("request {n} started");
    // The pretend work: a real server would be talking to a database here.
    std::thread::sleep(Duration::from_millis(ms));
    let body = format!("done after {ms} ms\n");
    let _ = write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.flush();
    println!("request {n} done");
}

fn arguments() -> (String, u64) {
    let mut addr = std::env::var("LISTEN_ADDR").ok().filter(|a| !a.is_empty());
    if addr.is_none() {
        addr = std::env::var("PORT")
            .ok()
            .filter(|p| !p.is_empty())
            .map(|p| format!("0.0.0.0:{p}"));
    }
    let mut work_ms = 100;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--listen" => addr = Some(args.next().expect("--listen ADDR")),
            "--work-ms" => work_ms = args.next().expect("--work-ms MS").parse().expect("number"),
            other => {
                eprintln!("graceful: unknown argument {other}");
                std::process::exit(2);
            }
        }
    }
    (addr.unwrap_or_else(|| "0.0.0.0:8080".to_string()), work_ms)
}
