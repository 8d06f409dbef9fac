//! The terminal, when stdin is one: who holds the foreground, and leaving it sane.
//!
//! pidone keeps the application in pidone's session, in a process group of its own, and
//! makes that group the terminal's foreground. Then Ctrl-C reaches the application from the
//! terminal once (pidone, in the background group, does not see it to forward it again),
//! an interactive shell gets job control, and Ctrl-Z stops a job whose parent (pidone) is
//! in the same session, so the kernel honours it. When stdin is not a terminal nothing here
//! does anything; ENOTTY and ENXIO are the normal answers.

use crate::sys::{self, SignalSet};

pub struct Terminal {
    /// pidone's group holds stdin's terminal in the foreground, so the child may take it.
    pub foreground: bool,
    /// The terminal's modes at start, when pidone's group held it in the foreground: put
    /// back at exit. `None` when the terminal was not pidone's to restore (or not a
    /// terminal): a background pidone must not undo the modes of the job in front.
    saved: Option<libc::termios>,
    /// Real signals (sent by a process, not by the hang-up) taken while giving up the
    /// terminal: the loop handles them first. Not put back with kill(self), which the loop
    /// would drop as a signal pidone caused.
    pub taken: SignalSet,
}

impl Terminal {
    /// Looks at stdin once, before the child starts.
    pub fn detect(session: bool) -> Terminal {
        let none = Terminal {
            foreground: false,
            saved: None,
            taken: SignalSet::EMPTY,
        };
        if !sys::stdin_is_tty() {
            return none;
        }
        let saved = sys::tcgetattr();
        let held = sys::tcgetpgrp() == sys::getpgrp();
        if session {
            // dumb-init's way: give up the terminal so the child's new session can take it.
            // The modes are still pidone's to restore if its group held the terminal.
            let taken = release_controlling_terminal();
            return Terminal {
                foreground: false,
                saved: saved.filter(|_| held),
                taken,
            };
        }
        // A session leader whose stdin is a terminal but not yet its controlling one
        // (started by setsid): take it, unless another session owns it.
        let foreground = held
            || (sys::tcgetpgrp() < 0
                && sys::getsid() == sys::getpid()
                && sys::take_controlling_terminal()
                && sys::tcgetpgrp() == sys::getpgrp());
        // Only hand over a terminal pidone holds: never steal it from a shell that runs
        // pidone in the background.
        Terminal {
            foreground,
            saved: saved.filter(|_| foreground),
            taken: SignalSet::EMPTY,
        }
    }

    /// Takes the terminal back for pidone's group and restores the modes it had at start,
    /// so an application that died in raw mode leaves a usable terminal. SIGTTOU is blocked
    /// in pidone, so a background group may do this.
    pub fn restore(&self) {
        if self.foreground {
            sys::tcsetpgrp(sys::getpgrp());
        }
        if let Some(saved) = &self.saved {
            sys::tcsetattr(saved);
        }
    }
}

/// TIOCNOTTY on stdin. When pidone leads its session the kernel then sends SIGHUP and
/// SIGCONT to the foreground group, pidone's own: take those two kernel signals off the
/// pending set so they are not forwarded as if a person had sent them (dumb-init #136).
/// The kernel sends them as from the caller, so their sender is pidone itself; one from
/// anybody else is real and is returned, for the loop to handle first.
fn release_controlling_terminal() -> SignalSet {
    let mut real = SignalSet::EMPTY;
    if !sys::release_controlling_terminal() {
        return real;
    }
    let me = sys::getpid();
    let hangup = SignalSet::of(libc::SIGHUP).with(libc::SIGCONT);
    // At most one of each is pending (standard signals do not queue): two rounds suffice.
    for _ in 0..2 {
        let Some(got) = sys::wait_signal(hangup, Some(0)) else {
            break;
        };
        if got.sender != me {
            real = real.with(got.signo);
        }
    }
    real
}
