//! Starting the application: fork; in the child, set up (session or group, terminal,
//! credentials, signal mask) and exec, searching PATH itself. Everything the child needs is
//! computed before `fork`, and between fork and exec it makes only async-signal-safe calls
//! (no allocation, no locks, no stdio). Any failure goes to the parent over a close-on-exec
//! pipe, then `_exit`, so the parent knows for certain whether exec succeeded.

use core::ffi::CStr;

use crate::bytes;
use crate::sys::{self, CommandArgv, Entry, Envp, Errno, Fd, Pid, SignalSet};
use crate::user::Credentials;

pub enum SpawnError {
    /// pidone could not create the process.
    Fork(Errno),
    /// The child could not become the command; it has been reaped.
    Child(Failure),
}

/// What the child reported: the stage that failed, its errno, and for
/// `Stage::Interpreter` the file's first line (a `#!` line names the missing interpreter).
pub struct Failure {
    pub stage: Stage,
    pub errno: Errno,
    name: [u8; INTERPRETER_MAX],
    len: u8,
}

impl Failure {
    pub fn interpreter(&self) -> &[u8] {
        self.name.get(..usize::from(self.len)).unwrap_or(&[])
    }

    /// pidone's exit status for it: 127 not found, 126 found but not runnable (the
    /// shell's convention, and tini's). A missing interpreter is ENOENT: 127, as tini.
    pub fn exit_status(&self) -> i32 {
        match (self.stage, self.errno) {
            (Stage::Exec | Stage::Interpreter, Errno::ENOENT | Errno::ENOTDIR) => 127,
            _ => 126,
        }
    }
}

/// How the parent learns whether exec succeeded.
pub enum Report {
    /// The close-on-exec pipe: end of file without a report means exec succeeded.
    Pipe,
    /// No descriptor was free for the pipe (EMFILE, ENFILE): the command still runs, and a
    /// failed exec shows only as the child's status 127.
    None(Errno),
}

/// Starts the command. Returns the child's pid once it has exec'd (or, without a report
/// pipe, once it is forked), and how its start was checked.
pub fn spawn(plan: &Plan<'_>) -> Result<(Pid, Report), SpawnError> {
    let pipe = sys::pipe();
    let pid = sys::fork().map_err(SpawnError::Fork)?;
    let (read_end, write_end) = match pipe {
        Ok(ends) => ends,
        Err(err) => {
            if pid == 0 {
                run(plan, None);
            }
            return Ok((pid, Report::None(err)));
        }
    };
    if pid == 0 {
        drop(read_end);
        run(plan, Some(&write_end));
    }
    drop(write_end);
    let mut header = [0u8; REPORT_HEADER];
    if read_end.read_full(&mut header) == 0 {
        return Ok((pid, Report::Pipe));
    }
    let failure = failure(header, &read_end);
    drop(read_end);
    // The child failed before or at exec and is exiting: reap it so nothing is left.
    sys::wait_for(pid);
    Err(SpawnError::Child(failure))
}

/// The child's report: the header read, the file's first line still in the pipe.
fn failure(header: [u8; REPORT_HEADER], pipe: &Fd) -> Failure {
    let [a, b, c, d, e, f, g, h] = header;
    let stage = Stage::from_raw(i32::from_ne_bytes([a, b, c, d]));
    let mut failure = Failure {
        stage,
        errno: Errno::from_raw(i32::from_ne_bytes([e, f, g, h])),
        name: [0; INTERPRETER_MAX],
        len: 0,
    };
    if stage == Stage::Interpreter {
        let n = pipe.read_full(&mut failure.name);
        failure.len = u8::try_from(n).unwrap_or(0);
    }
    failure
}

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
    pub mask: SignalSet,
    /// SIGCHLD was ignored when pidone started; the child gets it back that way.
    pub sigchld_ignored: bool,
    pub no_new_privs: bool,
    /// `--user`: resolved in the parent (`init::spawn_as_user`).
    pub creds: Option<&'a Credentials>,
    /// Rewrite `LISTEN_PID` to the child's own pid (socket activation).
    pub listen_pid: bool,
    /// `--env-from-files`: `NAME=secret` entries in, `NAME_FILE` entries out.
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
fn run(plan: &Plan<'_>, report: Option<&Fd>) -> ! {
    let mut interpreter = Interpreter::new();
    let (stage, err) = match set_up(plan) {
        Ok(()) => exec(plan, &mut interpreter),
        Err(failed) => failed,
    };
    if let Some(report) = report {
        let [a, b, c, d] = (stage as i32).to_ne_bytes();
        let [e, f, g, h] = err.raw().to_ne_bytes();
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

fn set_up(plan: &Plan<'_>) -> Result<(), (Stage, Errno)> {
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
fn apply(creds: &Credentials) -> Result<(), (Stage, Errno)> {
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

/// Longest path tried for one PATH entry, NUL included (PATH_MAX).
const PATH_MAX: usize = 4096;
/// musl's search path when PATH is unset, as its execvp uses.
const DEFAULT_PATH: &[u8] = b"/usr/local/bin:/bin:/usr/bin";

/// Execs the command, searching PATH as execvp does; returns only on failure.
fn exec(plan: &Plan<'_>, interpreter: &mut Interpreter) -> (Stage, Errno) {
    // "LISTEN_PID=" and the pid in decimal, NUL-terminated.
    let mut listen = [0u8; 32];
    let mut digits = [0u8; 20];
    let pid = u64::try_from(sys::getpid()).unwrap_or(0);
    bytes::copy(
        &mut listen,
        b"LISTEN_PID="
            .iter()
            .chain(crate::decimal::format(pid, &mut digits)),
    );
    let home = plan.creds.map(|c| c.home());
    let envp = if home.is_none() && !plan.listen_pid && plan.secrets.is_none() {
        Envp::inherited()
    } else {
        // HOME replaced by the user's, LISTEN_PID by the child's own pid, each NAME_FILE
        // by its NAME=secret.
        let secrets = plan.secrets;
        let edited = Envp::edited(
            |entry| {
                if plan.listen_pid && bytes::after(entry, b"LISTEN_PID=").is_some() {
                    Entry::Replace(&listen)
                } else if (home.is_some() && bytes::after(entry, b"HOME=").is_some())
                    || secrets.is_some_and(|s| s.drops(entry.as_ptr().cast()))
                {
                    Entry::Drop
                } else {
                    Entry::Keep
                }
            },
            home.into_iter()
                .chain(secrets.into_iter().flat_map(|s| s.entries())),
        );
        match edited {
            Some(envp) => envp,
            None => return (Stage::Exec, Errno::E2BIG),
        }
    };

    let Some(file) = plan.argv.file() else {
        return (Stage::Exec, Errno::ENOENT);
    };
    let name = file.get(..file.len().saturating_sub(1)).unwrap_or(&[]);
    if name.is_empty() {
        return (Stage::Exec, Errno::ENOENT);
    }
    if name.contains(&b'/') {
        return match try_exec(plan, file, &envp) {
            Ok(err) => missing(interpreter, file, err),
            Err(failed) => failed,
        };
    }
    let mut path = [0u8; PATH_MAX];
    let mut seen_eacces = false;
    for dir in plan.path.unwrap_or(DEFAULT_PATH).split(|b| *b == b':') {
        // An empty entry is the current directory, as POSIX and glibc say.
        let slash: &[u8] = if dir.is_empty() { b"" } else { b"/" };
        let Some(full) = bytes::join(&mut path, &[dir, slash, file]) else {
            continue; // too long to be a path: no file there
        };
        match try_exec(plan, full, &envp) {
            Err(failed) => return failed,
            Ok(Errno::EACCES) => seen_eacces = true,
            Ok(Errno::ENOENT) => interpreter.note_missing(full),
            // Not here (or not a directory, a stale mount): try the next entry.
            Ok(Errno::ENOTDIR | Errno::ESTALE | Errno::ENODEV | Errno::ETIMEDOUT) => {}
            Ok(other) => return (Stage::Exec, other),
        }
    }
    if seen_eacces {
        return (Stage::Exec, Errno::EACCES);
    }
    match interpreter.found {
        true => (Stage::Interpreter, Errno::ENOENT),
        false => (Stage::Exec, Errno::ENOENT),
    }
}

/// The failure of exec'ing `path` with `err`: ENOENT for a file that is there means its
/// interpreter is missing.
fn missing(interpreter: &mut Interpreter, path: &[u8], err: Errno) -> (Stage, Errno) {
    if err == Errno::ENOENT {
        interpreter.note_missing(path);
        if interpreter.found {
            return (Stage::Interpreter, err);
        }
    }
    (Stage::Exec, err)
}

/// execve of `path` (NUL-terminated); on ENOEXEC, a file with no `#!` line, runs it with
/// /bin/sh as glibc's execvp does. Returns (only on failure) exec's errno, or `Err` for a
/// failure that ends the search.
fn try_exec(plan: &Plan<'_>, path: &[u8], envp: &Envp<'_>) -> Result<Errno, (Stage, Errno)> {
    match plan.argv.exec(path, envp) {
        // Not a script: /bin/sh would only print binary noise and exit 2.
        Errno::ENOEXEC if is_elf(path) => Err((Stage::Exec, Errno::ENOEXEC)),
        Errno::ENOEXEC => Err((Stage::Shell, plan.argv.exec_shell(path, envp))),
        err => Ok(err),
    }
}
