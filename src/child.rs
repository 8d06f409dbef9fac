//! The child between fork and exec: everything it does, credentials included. Only
//! async-signal-safe system calls on values computed before fork (no allocation, no locks,
//! no stdio); any failure goes to the parent over the report pipe, then `_exit`.

use core::ffi::{CStr, c_char};

use crate::args::CommandArgv;
use crate::sys::{self, Fd, Mask};
use crate::user::Credentials;

/// What the child does before exec, decided by the parent.
pub struct Plan<'a> {
    /// The command's argv, as execve takes it, with the spare slot before it.
    pub argv: CommandArgv,
    /// `PATH` to search for the command (`None`: unset, the C library's default).
    pub path: Option<&'static [u8]>,
    /// New session (dumb-init) instead of a new process group.
    pub session: bool,
    /// Make the child's group the terminal's foreground group (stdin is pidone's terminal).
    pub foreground: bool,
    /// The signal mask pidone inherited, restored in the child.
    pub mask: Mask,
    /// SIGCHLD was ignored when pidone started; the child gets it back that way.
    pub sigchld_ignored: bool,
    pub no_new_privs: bool,
    /// `--user`: resolved in the parent (`init::spawn_as_user`).
    pub creds: Option<&'a Credentials>,
    /// Rewrite `LISTEN_PID` to the child's own pid (socket activation).
    pub listen_pid: bool,
    /// `--env-from-files` (issue 24): `NAME=secret` entries in, `NAME_FILE` entries out.
    pub secrets: Option<&'a crate::secrets::Secrets>,
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
    /// The command has no `#!` line (ENOEXEC) and /bin/sh could not be run for it.
    Shell = 7,
    /// The command is there but its interpreter is not (ENOENT): the `#!` line's program,
    /// or an ELF's dynamic loader. The report carries the file's first line.
    Interpreter = 8,
}

impl Stage {
    pub fn from_raw(raw: i32) -> Stage {
        match raw {
            2 => Stage::Session,
            3 => Stage::Groups,
            4 => Stage::Gid,
            5 => Stage::Uid,
            6 => Stage::NoNewPrivs,
            7 => Stage::Shell,
            8 => Stage::Interpreter,
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
            Stage::Shell => "no #! line, and /bin/sh cannot run it",
            // Reported in its own words, with the file's first line.
            Stage::Interpreter => "",
        }
    }
}

/// Most of a file's first line the child reports for a missing interpreter; a longer one
/// is cut (the message is for a person, and the error stays small to return by value).
pub const INTERPRETER_MAX: usize = 96;

/// The report of a failed start: the stage, its errno, and for `Stage::Interpreter` the
/// file's first line.
pub const REPORT_HEADER: usize = 8;

/// The child's whole life: set up, exec, or report the failed step and exit 127. `report`
/// is `None` when pidone had no descriptor for the pipe: a failure then only shows in
/// the exit status.
pub fn run(plan: &Plan<'_>, report: Option<&Fd>) -> ! {
    let mut interpreter = Interpreter::new();
    let (stage, err) = match set_up(plan) {
        Ok(()) => exec(plan, &mut interpreter),
        Err(failed) => failed,
    };
    if let Some(report) = report {
        let [a, b, c, d] = (stage as i32).to_ne_bytes();
        let [e, f, g, h] = err.to_ne_bytes();
        sys::write_all(report.raw(), &[a, b, c, d, e, f, g, h]);
        if stage == Stage::Interpreter {
            sys::write_all(report.raw(), interpreter.get());
        }
    }
    sys::exit_now(127)
}

/// The first line of a file whose interpreter is missing, kept while the PATH search goes on.
struct Interpreter {
    name: [u8; INTERPRETER_MAX],
    len: usize,
    /// A file was found whose interpreter is missing.
    found: bool,
}

impl Interpreter {
    fn new() -> Self {
        Interpreter {
            name: [0; INTERPRETER_MAX],
            len: 0,
            found: false,
        }
    }

    fn get(&self) -> &[u8] {
        self.name.get(..self.len).unwrap_or(&[])
    }

    /// After execve said ENOENT for `path`: if the file is there, its interpreter is what
    /// is missing. Keeps the file's first line, a `#!` line that names it (a CRLF's `\r`
    /// included); the first file found wins, as the search goes on.
    fn note_missing(&mut self, path: &[u8]) {
        if self.found {
            return;
        }
        let Some(n) = read_head(path, &mut self.name) else {
            return; // not there (or unreadable): the file itself is missing
        };
        self.found = true;
        let head = self.name.get(..n).unwrap_or(&[]);
        self.len = head.iter().position(|b| *b == b'\n').unwrap_or(n);
    }
}

/// The first bytes of the file at `path` (NUL-terminated): how many were read, `None`
/// when it cannot be opened. Async-signal-safe: open, read, close.
fn read_head(path: &[u8], buf: &mut [u8]) -> Option<usize> {
    let path = CStr::from_bytes_until_nul(path).ok()?;
    // O_NONBLOCK: a FIFO named as the command must not hold the child here.
    let fd = sys::open(path, libc::O_RDONLY | libc::O_NONBLOCK | libc::O_NOCTTY).ok()?;
    fd.read(buf).ok()
}

/// Whether the file at `path` is an ELF: then ENOEXEC means a binary for another machine
/// (an arm64 image on an amd64 host), never a script for /bin/sh.
fn is_elf(path: &[u8]) -> bool {
    let mut magic = [0u8; 4];
    read_head(path, &mut magic) == Some(4) && magic == *b"\x7fELF"
}

fn set_up(plan: &Plan<'_>) -> Result<(), (Stage, i32)> {
    if plan.session {
        sys::setsid().map_err(|e| (Stage::Session, e))?;
        // Take stdin's terminal as the new session's controlling terminal, as dumb-init
        // does; without a terminal this fails harmlessly.
        sys::take_controlling_terminal();
    } else {
        // Its own group, so a signal to the group reaches a whole pipeline and the
        // terminal can make it the foreground job. Cannot fail for a fresh child.
        sys::new_process_group();
        if plan.foreground {
            // SIGTTOU is still blocked here, so a background group may take the terminal.
            sys::tcsetpgrp(sys::getpid());
        }
    }
    if let Some(creds) = plan.creds {
        apply(creds)?;
    }
    if plan.no_new_privs {
        sys::set_no_new_privs().map_err(|e| (Stage::NoNewPrivs, e))?;
    }
    if plan.sigchld_ignored {
        sys::ignore_sigchld();
    }
    sys::set_mask(libc::SIG_SETMASK, plan.mask);
    Ok(())
}

/// setgroups, setgid, setuid, in that order (after setuid the others are not allowed).
/// Fails closed: the caller must not exec on error.
fn apply(creds: &Credentials) -> Result<(), (Stage, i32)> {
    let (uid, gid, euid) = sys::ids();
    if euid != 0 && uid == creds.uid && gid == creds.gid {
        // Already this user (a non-root container started with --user): nothing to
        // drop, and setgroups would fail without CAP_SETGID.
        return Ok(());
    }
    sys::setgroups(creds.groups()).map_err(|e| (Stage::Groups, e))?;
    sys::setgid(creds.gid).map_err(|e| (Stage::Gid, e))?;
    sys::setuid(creds.uid).map_err(|e| (Stage::Uid, e))
}

/// Most environment entries a child environment is rebuilt with (the rest is E2BIG).
const ENV_MAX: usize = 4096;
/// Longest path tried for one PATH entry, NUL included (PATH_MAX).
const PATH_MAX: usize = 4096;
/// musl's search path when PATH is unset, as its execvp uses.
const DEFAULT_PATH: &[u8] = b"/usr/local/bin:/bin:/usr/bin";

/// Execs the command, searching PATH as execvp does; returns only on failure.
fn exec(plan: &Plan<'_>, interpreter: &mut Interpreter) -> (Stage, i32) {
    // "LISTEN_PID=" and the pid in decimal, NUL-terminated.
    let mut listen = [0u8; 32];
    let mut digits = [0u8; 20];
    let pid = u64::try_from(sys::getpid()).unwrap_or(0);
    let text = b"LISTEN_PID="
        .iter()
        .chain(crate::decimal::format(pid, &mut digits));
    for (slot, b) in listen.iter_mut().zip(text) {
        *slot = *b;
    }
    let home = plan.creds.map(|c| c.home());
    let mut envp: [*const c_char; ENV_MAX] = [core::ptr::null(); ENV_MAX];
    let envp = if home.is_none() && !plan.listen_pid && plan.secrets.is_none() {
        // SAFETY: `environ` is the process's NULL-terminated array of C strings, unchanged
        // since start (pidone never modifies its environment); reading the pointer races
        // with nothing in a single-threaded child.
        unsafe { environ }
    } else if rebuild_env(
        &mut envp,
        home,
        plan.listen_pid.then_some(&listen),
        plan.secrets,
    ) {
        envp.as_ptr()
    } else {
        return (Stage::Exec, libc::E2BIG);
    };

    // SAFETY: argv[COMMAND] exists: `Args::command` checked it is inside argv.
    let file = unsafe { *plan.argv.argv };
    if file.is_null() {
        return (Stage::Exec, libc::ENOENT);
    }
    // SAFETY: a non-NULL argv entry is a C string that lives for the whole process.
    let file = unsafe { CStr::from_ptr(file) }.to_bytes_with_nul();
    let name = file.get(..file.len().saturating_sub(1)).unwrap_or(&[]);
    if name.is_empty() {
        return (Stage::Exec, libc::ENOENT);
    }
    let mut path = [0u8; PATH_MAX];
    if name.contains(&b'/') {
        return match try_exec(plan, file, envp) {
            Some(failed) => failed,
            None => missing(interpreter, file, sys::errno()),
        };
    }
    let mut seen_eacces = false;
    for dir in plan.path.unwrap_or(DEFAULT_PATH).split(|b| *b == b':') {
        // An empty entry is the current directory, as POSIX and glibc say.
        let slash: &[u8] = if dir.is_empty() { b"" } else { b"/" };
        let Some(full) = join(&mut path, &[dir, slash, file]) else {
            continue; // too long to be a path: no file there
        };
        if let Some(failed) = try_exec(plan, full, envp) {
            return failed;
        }
        match sys::errno() {
            libc::EACCES => seen_eacces = true,
            libc::ENOENT => interpreter.note_missing(full),
            // Not here (or not a directory, a stale mount): try the next entry.
            libc::ENOTDIR | libc::ESTALE | libc::ENODEV | libc::ETIMEDOUT => {}
            other => return (Stage::Exec, other),
        }
    }
    if seen_eacces {
        return (Stage::Exec, libc::EACCES);
    }
    match interpreter.found {
        true => (Stage::Interpreter, libc::ENOENT),
        false => (Stage::Exec, libc::ENOENT),
    }
}

/// The failure of exec'ing `path` with `err`: ENOENT for a file that is there means its
/// interpreter is missing.
fn missing(interpreter: &mut Interpreter, path: &[u8], err: i32) -> (Stage, i32) {
    if err == libc::ENOENT {
        interpreter.note_missing(path);
        if interpreter.found {
            return (Stage::Interpreter, err);
        }
    }
    (Stage::Exec, err)
}

/// execve of `path` (NUL-terminated); on ENOEXEC, a file with no `#!` line, runs it with
/// /bin/sh as glibc's execvp does: argv `/bin/sh PATH ARGS...`, in the slot before the
/// command that the child owns. Returns `Some` for a failure that ends the search.
fn try_exec(plan: &Plan<'_>, path: &[u8], envp: *const *const c_char) -> Option<(Stage, i32)> {
    // SAFETY: `path` is NUL-terminated (built so by the callers), argv and envp are
    // NULL-terminated arrays of C strings that live across the call.
    unsafe { sys::execve(path.as_ptr().cast(), plan.argv.argv, envp) };
    if sys::errno() != libc::ENOEXEC {
        return None;
    }
    if is_elf(path) {
        // Not a script: /bin/sh would only print binary noise and exit 2.
        return Some((Stage::Exec, libc::ENOEXEC));
    }
    let sh = c"/bin/sh";
    // SAFETY: `spare` is argv[COMMAND - 1], inside pidone's writable argv array; after fork
    // the child has its own copy, and nothing reads the slot again but execve below.
    unsafe { *plan.argv.spare = sh.as_ptr() };
    // SAFETY: `spare + 1` is argv[COMMAND], in the same array.
    let command = unsafe { plan.argv.spare.add(1) };
    // SAFETY: writable, under the same ownership as `spare`.
    unsafe { *command = path.as_ptr().cast() };
    // SAFETY: `sh` and `path` are NUL-terminated; `spare` now starts a NULL-terminated
    // argv (the command's own NULL ends it); envp as above.
    unsafe { sys::execve(sh.as_ptr(), plan.argv.spare, envp) };
    Some((Stage::Shell, sys::errno()))
}

/// Concatenates `parts` into `buf`; `None` when they do not fit.
fn join<'b>(buf: &'b mut [u8], parts: &[&[u8]]) -> Option<&'b [u8]> {
    let mut len = 0usize;
    for part in parts {
        let end = len.checked_add(part.len())?;
        // A zip, not copy_from_slice: that one keeps a panic path for unequal lengths.
        for (slot, b) in buf.get_mut(len..end)?.iter_mut().zip(*part) {
            *slot = *b;
        }
        len = end;
    }
    buf.get(..len)
}

/// pidone's environment in `envp`, HOME replaced by `home` and LISTEN_PID by `listen`,
/// NULL-terminated; false when it does not fit.
fn rebuild_env(
    envp: &mut [*const c_char; ENV_MAX],
    home: Option<&[u8]>,
    listen: Option<&[u8; 32]>,
    secrets: Option<&crate::secrets::Secrets>,
) -> bool {
    let mut n = 0usize;
    let mut push = |entry: *const c_char| {
        if let Some(slot) = envp.get_mut(n) {
            *slot = entry;
        }
        n = n.saturating_add(1);
    };
    // SAFETY: as in `exec`: environ is unchanged since start.
    let mut entry = unsafe { environ };
    loop {
        // SAFETY: `entry` points into the NULL-terminated environ array: at most at its
        // terminating NULL, which ends the loop before `entry` moves past it.
        let text = unsafe { *entry };
        if text.is_null() {
            break;
        }
        // SAFETY: every entry before the NULL is a NUL-terminated string.
        let bytes = unsafe { CStr::from_ptr(text) }.to_bytes();
        let is = |name: &[u8]| crate::signals::after(bytes, name).is_some();
        match (listen, home) {
            (Some(listen), _) if is(b"LISTEN_PID=") => push(listen.as_ptr().cast()),
            (_, Some(_)) if is(b"HOME=") => {}
            _ if secrets.is_some_and(|s| s.drops(text)) => {}
            _ => push(text),
        }
        // SAFETY: `entry` was not the terminating NULL, so the next slot is in the array.
        entry = unsafe { entry.add(1) };
    }
    if let Some(home) = home {
        push(home.as_ptr().cast());
    }
    for entry in secrets.map_or(&[][..], |s| s.entries()) {
        push(*entry);
    }
    // The rest of `envp` is NULL: it ends the array if one slot is left.
    n < ENV_MAX
}

unsafe extern "C" {
    static environ: *const *const c_char;
}
