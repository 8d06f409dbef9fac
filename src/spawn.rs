//! Starting the application: fork, set up the child, exec. Everything the child needs is
//! computed before `fork`; between `fork` and `exec` the child makes only async-signal-safe
//! system calls (no allocation, no locks, no stdio), then reports any failure to the parent
//! over a close-on-exec pipe, so the parent knows for certain whether exec succeeded.

use core::ffi::c_char;

use crate::sys::{self, Mask, Pid};

/// What the child does before exec, decided by the parent.
pub struct Plan {
    /// NULL-terminated argv of the command, as execvp takes it.
    pub argv: *const *const c_char,
    /// New session (dumb-init) instead of a new process group.
    pub session: bool,
    /// Make the child's group the terminal's foreground group (stdin is pidone's terminal).
    pub foreground: bool,
    /// The signal mask pidone inherited, restored in the child.
    pub mask: Mask,
    /// SIGCHLD was ignored when pidone started; the child gets it back that way.
    pub sigchld_ignored: bool,
    pub no_new_privs: bool,
    pub creds: Option<crate::user::Credentials>,
    /// Rewrite `LISTEN_PID` to the child's own pid (socket activation).
    pub listen_pid: bool,
}

/// The step of the child's set-up that failed, reported with its errno.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Stage {
    Exec = 1,
    Session = 2,
    Groups = 3,
    Gid = 4,
    Uid = 5,
    NoNewPrivs = 6,
}

impl Stage {
    fn from_raw(raw: i32) -> Stage {
        match raw {
            2 => Stage::Session,
            3 => Stage::Groups,
            4 => Stage::Gid,
            5 => Stage::Uid,
            6 => Stage::NoNewPrivs,
            _ => Stage::Exec,
        }
    }

    pub fn what(self) -> &'static str {
        match self {
            Stage::Exec => "exec",
            Stage::Session => "setsid",
            Stage::Groups => "setgroups",
            Stage::Gid => "setgid",
            Stage::Uid => "setuid",
            Stage::NoNewPrivs => "no_new_privs",
        }
    }
}

pub enum SpawnError {
    /// pidone could not create the pipe or the process.
    Fork(i32),
    /// The child could not become the command; it has been reaped.
    Child(Stage, i32),
}

/// Starts the command. Returns the child's pid once it has exec'd.
pub fn spawn(plan: &Plan) -> Result<Pid, SpawnError> {
    let mut fds = [0i32; 2];
    // SAFETY: `fds` is a live [c_int; 2] that pipe2 fills.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(SpawnError::Fork(sys::errno()));
    }
    let [read_end, write_end] = fds;
    // SAFETY: pidone is single-threaded, so the child is a full copy with no lock held by
    // another thread; the child only runs `child_main`, which never returns.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        let err = sys::errno();
        close(read_end);
        close(write_end);
        return Err(SpawnError::Fork(err));
    }
    if pid == 0 {
        close(read_end);
        child_main(plan, write_end);
    }
    close(write_end);
    let mut report = [0u8; 8];
    let n = read_full(read_end, &mut report);
    close(read_end);
    if n == 0 {
        return Ok(pid);
    }
    // The child failed before or at exec and is exiting: reap it so nothing is left.
    sys::wait_for(pid);
    let [a, b, c, d, e, f, g, h] = report;
    let stage = Stage::from_raw(i32::from_ne_bytes([a, b, c, d]));
    Err(SpawnError::Child(stage, i32::from_ne_bytes([e, f, g, h])))
}

/// Exit status for a child that could not be started: 127 not found, 126 found but not
/// runnable (the shell's convention, and tini's).
pub fn exit_status(stage: Stage, err: i32) -> i32 {
    match (stage, err) {
        (Stage::Exec, libc::ENOENT | libc::ENOTDIR) => 127,
        _ => 126,
    }
}

fn read_full(fd: i32, buf: &mut [u8]) -> usize {
    let mut got = 0;
    while let Some(rest) = buf.get_mut(got..) {
        if rest.is_empty() {
            break;
        }
        // SAFETY: the pointer and length describe the live slice `rest`.
        let n = unsafe { libc::read(fd, rest.as_mut_ptr().cast(), rest.len()) };
        if n > 0 {
            got += n as usize;
        } else if n < 0 && sys::errno() == libc::EINTR {
            continue;
        } else {
            break;
        }
    }
    got
}

fn close(fd: i32) {
    // SAFETY: closing a descriptor this module opened and no longer uses.
    unsafe { libc::close(fd) };
}

/// The child between fork and exec: async-signal-safe calls only, and it never returns.
fn child_main(plan: &Plan, report: i32) -> ! {
    let fail = |stage: Stage, err: i32| -> ! {
        let [a, b, c, d] = (stage as i32).to_ne_bytes();
        let [e, f, g, h] = err.to_ne_bytes();
        let msg = [a, b, c, d, e, f, g, h];
        sys::write_all(report, &msg);
        // SAFETY: _exit is async-signal-safe and ends the child without running anything.
        unsafe { libc::_exit(127) }
    };

    // SAFETY (whole block): each call is an async-signal-safe system call on values
    // computed before fork; no memory is allocated and no lock is taken.
    unsafe {
        if plan.session {
            if libc::setsid() < 0 {
                fail(Stage::Session, sys::errno());
            }
            // Take stdin's terminal as the new session's controlling terminal, as dumb-init
            // does; without a terminal this fails harmlessly.
            libc::ioctl(0, libc::TIOCSCTTY, 0);
        } else {
            // Its own group, so a signal to the group reaches a whole pipeline and the
            // terminal can make it the foreground job. Cannot fail for a fresh child.
            libc::setpgid(0, 0);
            if plan.foreground {
                // SIGTTOU is still blocked here, so a background group may take the terminal.
                libc::tcsetpgrp(0, libc::getpid());
            }
        }
        if let Some(creds) = &plan.creds {
            if let Err((stage, err)) = creds.apply() {
                fail(stage, err);
            }
        }
        if plan.no_new_privs && sys::set_no_new_privs().is_err() {
            fail(Stage::NoNewPrivs, sys::errno());
        }
        if plan.sigchld_ignored {
            sys::ignore_sigchld();
        }
        sys::set_mask(libc::SIG_SETMASK, plan.mask);
        let argv = plan.argv;
        if let Some(file) = argv.as_ref() {
            let home = plan.creds.as_ref().map(|c| c.home.as_slice());
            if home.is_none() && !plan.listen_pid {
                libc::execvp(*file, argv);
            } else {
                exec_with_env(*file, argv, home, plan.listen_pid);
            }
        }
    }
    fail(Stage::Exec, sys::errno())
}

/// Most environment entries a child environment is rebuilt with (the rest is E2BIG).
const ENV_MAX: usize = 4096;

/// execvpe with pidone's environment, HOME replaced by `home` and LISTEN_PID set to the
/// child's own pid, built on the child's stack: no allocation between fork and exec.
/// Returns only if exec failed (errno set).
///
/// # Safety
/// Only in the child between fork and exec; `file` and `argv` as execvp takes them;
/// `home`, if any, a NUL-terminated `HOME=...` string.
unsafe fn exec_with_env(
    file: *const c_char,
    argv: *const *const c_char,
    home: Option<&[u8]>,
    listen_pid: bool,
) {
    // "LISTEN_PID=" and the pid in decimal, NUL-terminated (the array starts zeroed).
    let mut listen = [0u8; 24];
    let mut digits = [0u8; 10];
    let mut first = digits.len();
    // SAFETY: getpid has no memory effects.
    let mut pid = unsafe { libc::getpid() } as u32;
    while first > 0 {
        first -= 1;
        if let Some(d) = digits.get_mut(first) {
            *d = b'0' + (pid % 10) as u8;
        }
        pid /= 10;
        if pid == 0 {
            break;
        }
    }
    let text = b"LISTEN_PID="
        .iter()
        .chain(digits.get(first..).unwrap_or(&[]));
    for (slot, b) in listen.iter_mut().zip(text) {
        *slot = *b;
    }

    let mut envp: [*const c_char; ENV_MAX] = [core::ptr::null(); ENV_MAX];
    let mut n = 0;
    let mut push = |entry: *const c_char| {
        if let Some(slot) = envp.get_mut(n) {
            *slot = entry;
        }
        n += 1;
    };
    // SAFETY: `environ` is the process's NULL-terminated array of C strings, unchanged
    // since start (pidone never modifies its environment).
    unsafe {
        let mut entry = environ;
        while !entry.is_null() && !(*entry).is_null() {
            let text = core::ffi::CStr::from_ptr(*entry).to_bytes();
            if listen_pid && crate::signals::after(text, b"LISTEN_PID=").is_some() {
                push(listen.as_ptr().cast());
            } else if !(home.is_some() && crate::signals::after(text, b"HOME=").is_some()) {
                push(*entry);
            }
            entry = entry.add(1);
        }
    }
    if let Some(home) = home {
        push(home.as_ptr().cast());
    }
    if n >= ENV_MAX {
        // No room for the terminating NULL: too big an environment to rebuild.
        // SAFETY: errno is thread-local and writable.
        unsafe { *libc::__errno_location() = libc::E2BIG };
        return;
    }
    // SAFETY: envp is NULL-terminated (n < ENV_MAX entries set, the rest NULL) and every
    // entry is a C string that lives until exec copies it.
    unsafe { libc::execvpe(file, argv, envp.as_ptr()) };
}

unsafe extern "C" {
    static environ: *const *const c_char;
}
