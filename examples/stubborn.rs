//! Stubborn app: ignores SIGTERM, SIGINT and SIGQUIT and never exits on its own, like an
//! application that was never written to be stopped. `docker stop` only ends it with
//! SIGKILL; under pidone that happens when the grace period runs out, not after Docker's.
//!
//! Prints `ready` once the signals are ignored.

fn main() {
    // SAFETY: setting dispositions to SIG_IGN and pausing; no memory is shared.
    unsafe {
        for sig in [libc::SIGTERM, libc::SIGINT, libc::SIGQUIT] {
            libc::signal(sig, libc::SIG_IGN);
        }
    }
    println!("ready");
    loop {
        // SAFETY: pause has no arguments; it returns only when a handled signal arrives.
        unsafe { libc::pause() };
    }
}
