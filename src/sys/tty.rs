//! The terminal on stdin: the calls `terminal` makes. ENOTTY and ENXIO are normal answers.

/// stdin, the descriptor every call here is about.
const STDIN: i32 = 0;

pub fn stdin_is_tty() -> bool {
    super::is_tty(STDIN)
}

pub fn tcgetattr() -> Option<libc::termios> {
    // SAFETY: termios is plain data; all-zero is a valid value.
    let mut termios: libc::termios = unsafe { core::mem::zeroed() };
    // SAFETY: `termios` is a live struct tcgetattr writes.
    (unsafe { libc::tcgetattr(STDIN, &mut termios) } == 0).then_some(termios)
}

/// TCSANOW, not TCSADRAIN: waiting for output to drain could hang pidone's exit forever on
/// a terminal whose output cannot drain (flow control).
pub fn tcsetattr(termios: &libc::termios) {
    // SAFETY: `termios` is a live struct tcsetattr only reads.
    unsafe { libc::tcsetattr(STDIN, libc::TCSANOW, termios) };
}

/// The terminal's foreground process group, or a negative value without one.
pub fn tcgetpgrp() -> libc::pid_t {
    // SAFETY: tcgetpgrp has no memory effects.
    unsafe { libc::tcgetpgrp(STDIN) }
}

/// Makes `pgrp` the terminal's foreground group. Async-signal-safe.
pub fn tcsetpgrp(pgrp: libc::pid_t) {
    // SAFETY: tcsetpgrp has no memory effects.
    unsafe { libc::tcsetpgrp(STDIN, pgrp) };
}

pub fn getpgrp() -> libc::pid_t {
    // SAFETY: getpgrp cannot fail and has no memory effects.
    unsafe { libc::getpgrp() }
}

/// The session id of the calling process.
pub fn getsid() -> libc::pid_t {
    // SAFETY: getsid has no memory effects.
    unsafe { libc::getsid(0) }
}

/// TIOCSCTTY: stdin's terminal becomes the session's controlling terminal. Async-signal-safe.
pub fn take_controlling_terminal() -> bool {
    // SAFETY: TIOCSCTTY takes an int argument (0: do not steal) and touches no memory.
    unsafe { libc::ioctl(STDIN, libc::TIOCSCTTY, 0) == 0 }
}

/// TIOCNOTTY: the session gives up stdin's terminal.
pub fn release_controlling_terminal() -> bool {
    // SAFETY: TIOCNOTTY takes no argument and touches no memory.
    unsafe { libc::ioctl(STDIN, libc::TIOCNOTTY) == 0 }
}
