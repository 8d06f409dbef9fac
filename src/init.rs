//! pidone's start: take every signal, arrange reaping, start the application, then hand
//! over to the supervisor loop and exit with the application's status.

use crate::config::{Config, Leftovers, Mode, NotPid1, Start};
use crate::log::Level;
use crate::spawn::{self, Plan, Report, SpawnError, Stage};
use crate::supervisor::Supervisor;
use crate::sys::{self, Args, Errno};
use crate::terminal::Terminal;
use crate::user::UserError;

/// Runs the configured command (in pidone's own `args`) and returns pidone's status.
pub fn run(cfg: &Config, args: Args) -> i32 {
    let log = cfg.log;
    // Block everything first, so no signal sent from here on is lost or acted on by
    // default: each one waits in the pending set for the loop to take it.
    let inherited_mask = sys::set_mask(libc::SIG_SETMASK, sys::SignalSet::ALL);
    // An inherited SIG_IGN for SIGCHLD would make the kernel reap our children for us and
    // hide the application's exit status.
    let sigchld_ignored = sys::reset_sigchld();

    let pid1 = sys::getpid() == 1;
    if !pid1 {
        if cfg.not_pid1 == NotPid1::Subreaper {
            if let Err(err) = sys::set_child_subreaper() {
                log.message(Level::Warn)
                    .str("cannot register as child subreaper (")
                    .str(sys::strerror(err))
                    .str("): orphans will not be reaped by pidone")
                    .emit();
            }
        } else if cfg.not_pid1 == NotPid1::Warn && !sys::is_child_subreaper() {
            // As tini: a subreaper bit inherited across exec means orphans do come here.
            log.message(Level::Warn)
                .str(
                    "not running as PID 1 and not registered as a child subreaper: zombie \
                     processes will not be re-parented to pidone, so zombie reaping won't work. \
                     Use -s or set TINI_SUBREAPER.",
                )
                .emit();
        }
    }
    if !pid1 && cfg.shutdown.leftovers == Leftovers::Drain {
        let missing = if sys::readable(c"/proc/self") && !sys::proc_is_ours() {
            // Its pids are another namespace's: read as ours, they would name strangers.
            Some("/proc is another PID namespace's (mount one for this namespace)")
        } else if !crate::procs::listable() {
            Some("no /proc")
        } else {
            None
        };
        if let Some(why) = missing {
            log.message(Level::Warn)
                .str(why)
                .str(": leftovers that leave the process group cannot be signalled")
                .emit();
        }
    }
    if let Some(sig) = cfg.pdeathsig {
        if let Err(err) = sys::set_parent_death_signal(sig) {
            log.message(Level::Warn)
                .str("cannot set the parent-death signal: ")
                .str(sys::strerror(err))
                .emit();
        }
    }

    let session = cfg.start == Start::Session;
    let terminal = Terminal::detect(session);
    let child = if let Mode::Command(command) = cfg.mode {
        let Some(argv) = args.command(command) else {
            return cfg.personality.usage_exit();
        };
        // Issue 24: secrets read before the fork, unmapped when this block ends.
        let secrets = match cfg.env_from_files.then(|| crate::secrets::load(cfg)) {
            Some(Err(code)) => return code,
            loaded => loaded.and_then(Result::ok),
        };
        let plan = Plan {
            argv,
            path: sys::getenv(c"PATH"),
            session,
            foreground: terminal.foreground,
            mask: inherited_mask,
            sigchld_ignored,
            no_new_privs: cfg.no_new_privs,
            creds: None,
            listen_pid: listen_pid_is_ours(),
            secrets: secrets.as_ref(),
        };
        let started = match cfg.user {
            None => spawn::spawn(&plan).map_err(Failed::Spawn),
            Some(_) => spawn_as_user(cfg, plan),
        };
        match started {
            Ok((pid, Report::Pipe)) => pid,
            Ok((pid, Report::None(errno))) => {
                log.message(Level::Warn)
                    .str("no descriptor for the exec report (")
                    .str(sys::strerror(errno))
                    .str("): a failed exec shows only as status 127")
                    .emit();
                pid
            }
            Err(Failed::User(err)) => {
                crate::log::sink::await_room();
                err.emit(&log);
                return USER_FAILED;
            }
            Err(Failed::Spawn(err)) => {
                terminal.restore();
                return report_spawn_error(cfg, args.get(command).unwrap_or(b""), err);
            }
        }
    } else {
        0
    };
    // From here on no log line can block pidone: a full stderr drops lines instead (until
    // now a zero-timeout poll guarded each line). Opened after the spawn, whose report pipe
    // is closed by now, so pidone never needs more descriptors than it did to start.
    let log_fd = crate::log::sink::open();
    if child > 0 {
        log.event(Level::Info, "spawned")
            .num("pid", i64::from(child))
            .emit();
    }

    // pidone holds nothing the application may want back: not its directory, not its fds.
    sys::chdir_root();
    sys::close_fds_from_3(log_fd);

    let code = Supervisor::new(cfg, child).run(terminal.taken);
    terminal.restore();
    code
}

/// pidone's status when `--user` cannot be resolved: the command was found but cannot be
/// run as asked, so nothing runs (the shell's 126, as a failed setuid in the child).
const USER_FAILED: i32 = 126;

/// Why the application was not started.
enum Failed<'a> {
    User(UserError<'a>),
    Spawn(SpawnError),
}

/// `--user`, in a frame of its own: the resolved ids and the passwd reader's buffers take
/// some 50 KB of stack, and stack pages once touched stay resident for pidone's whole
/// life, so only containers that use `--user` pay for them.
#[inline(never)]
fn spawn_as_user<'a>(cfg: &Config<'a>, plan: Plan<'_>) -> Result<(sys::Pid, Report), Failed<'a>> {
    let creds = crate::user::resolve(cfg.user).map_err(Failed::User)?;
    spawn::spawn(&Plan {
        creds: creds.as_ref(),
        ..plan
    })
    .map_err(Failed::Spawn)
}

fn listen_pid_is_ours() -> bool {
    sys::getenv(c"LISTEN_PID")
        .and_then(crate::user::parse_id)
        .is_some_and(|pid| i64::from(pid) == i64::from(sys::getpid()))
}

fn report_spawn_error(cfg: &Config, command: &[u8], err: SpawnError) -> i32 {
    // pidone's last line: it may wait a moment for a full stderr.
    crate::log::sink::await_room();
    let failure = match err {
        SpawnError::Fork(errno) => {
            cfg.log
                .message(Level::Error)
                .str("cannot start the command: ")
                .str(sys::strerror(errno))
                .emit();
            return 1;
        }
        SpawnError::Child(failure) => failure,
    };
    let msg = cfg.log.message(Level::Error).bytes(command).str(": ");
    match (failure.stage, failure.errno) {
        // The kernel says "No such file or directory" of a script whose `#!` program is
        // missing: show the line that names it (a CRLF line shows its `\r` as \x0d).
        (Stage::Interpreter, _) if failure.interpreter().starts_with(b"#!") => msg
            .str("its interpreter does not exist: '")
            .bytes(failure.interpreter())
            .str("'"),
        (Stage::Interpreter, _) => {
            msg.str("its interpreter (for an ELF program, its dynamic loader) does not exist")
        }
        // Only an ELF gets here with ENOEXEC: a script without `#!` runs with /bin/sh.
        (Stage::Exec, Errno::ENOEXEC) => msg
            .str(sys::strerror(Errno::ENOEXEC))
            .str(" (an ELF program for another architecture?)"),
        (Stage::Exec, errno) => msg.str(sys::strerror(errno)),
        (stage, errno) => msg.str(stage.what()).str(": ").str(sys::strerror(errno)),
    }
    .emit();
    // tini's `-e` applies to the exec-failure code too (`-e 127` makes a missing command 0).
    let code = cfg.exit_code(failure.exit_status());
    let what = if failure.stage == Stage::Exec {
        ""
    } else {
        failure.stage.what()
    };
    let line = crate::termlog::not_started(command, what, sys::strerror(failure.errno), code);
    crate::termlog::write(cfg.termination_log, line);
    code
}
