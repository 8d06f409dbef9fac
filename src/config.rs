//! What pidone was asked to do: a `Config` built once from argv and the environment (by
//! `cli`), read-only after. The supervisor and the spawn code read only this, never the CLI.

use crate::log::{Level, Log};
use crate::sys::SignalSet;
// Named by the fuzzers' round trip, which renders a Config back into options.
pub use crate::oom::OnOom;

/// Whose behaviour pidone follows: the tool it is installed as (argv[0]).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Personality {
    Pidone,
    /// `docker-init`, `tini`, `tini-static`.
    Tini,
    DumbInit,
    /// `catatonit`, and `podman-init`, the name podman gives its init in the container.
    Catatonit,
}

/// What one name means: every way pidone's behaviour depends on the name it runs as.
/// The options and environment variables of all four tools are read under every name; only
/// what is here differs.
#[derive(Clone, Copy, Debug)]
pub struct Meaning {
    /// argv[0]'s last path component.
    pub names: &'static [&'static [u8]],
    /// The exit status of a usage error: the originals all exit 1; pidone's own is 2, the
    /// shell's convention for a misused builtin, so it differs from a failed application.
    pub usage_exit: i32,
    /// `--version`: this, the version, then `version_suffix`, in the form the original's
    /// callers parse.
    pub version_prefix: &'static str,
    pub version_suffix: &'static str,
    /// `NAME health URL` is the HEALTHCHECK; under the originals' names `health` is the
    /// command to run, as it is for those tools.
    pub health: bool,
    /// Where signals go by default.
    pub target: Target,
    /// What happens to leftovers by default.
    pub leftovers: Leftovers,
    pub not_pid1: NotPid1,
    /// dumb-init's setsid mode: the child gets a new session unless signals go to it
    /// alone (`-c`), SIGTSTP/TTIN/TTOU are forwarded as SIGSTOP, and pidone stops itself
    /// after forwarding them.
    pub setsid_mode: bool,
}

/// The names pidone answers to, in the order `from_argv0` tries them.
pub const PERSONALITIES: [Personality; 4] = [
    Personality::Pidone,
    Personality::Tini,
    Personality::DumbInit,
    Personality::Catatonit,
];

impl Personality {
    /// From argv[0]'s last path component; any other name is pidone.
    pub fn from_argv0(argv0: &[u8]) -> Personality {
        let base = argv0.rsplit(|b| *b == b'/').next().unwrap_or(argv0);
        PERSONALITIES
            .into_iter()
            .find(|p| p.meaning().names.contains(&base))
            .unwrap_or(Personality::Pidone)
    }

    /// What the name means: the one table of per-name behaviour (docs/dropin.md says why
    /// each original behaves as it does).
    pub const fn meaning(self) -> Meaning {
        match self {
            Personality::Pidone => Meaning {
                names: &[],
                usage_exit: 2,
                version_prefix: "pidone ",
                version_suffix: "",
                health: true,
                // The main process owns the application's protocol (a gunicorn, celery or
                // uwsgi master, a Node cluster primary): its workers must not hear its
                // signals. A wrapper that does not pass them on still stops its app: the
                // drain after the wrapper's death sends what it left one SIGTERM.
                target: Target::Child,
                leftovers: Leftovers::Drain,
                not_pid1: NotPid1::Subreaper,
                setsid_mode: false,
            },
            Personality::Tini => Meaning {
                names: &[b"docker-init", b"tini", b"tini-static"],
                usage_exit: 1,
                // Docker's `docker info` parses `tini version X - git.Y` from its init.
                version_prefix: "tini version ",
                version_suffix: "+pidone - git.pidone",
                health: false,
                target: Target::Child,
                leftovers: Leftovers::Leave,
                not_pid1: NotPid1::Warn,
                setsid_mode: false,
            },
            Personality::DumbInit => Meaning {
                names: &[b"dumb-init"],
                usage_exit: 1,
                version_prefix: "dumb-init v",
                version_suffix: "+pidone",
                health: false,
                target: Target::Group,
                leftovers: Leftovers::TermGroup,
                not_pid1: NotPid1::Quiet,
                setsid_mode: true,
            },
            // catatonit is tini but for its names and a subreaper; it prints tini's version
            // line, for the same reason.
            Personality::Catatonit => Meaning {
                // podman runs its init (catatonit by default) as /run/podman-init.
                names: &[b"catatonit", b"podman-init"],
                not_pid1: NotPid1::Subreaper,
                ..Personality::Tini.meaning()
            },
        }
    }

    pub fn usage_exit(self) -> i32 {
        self.meaning().usage_exit
    }
}

/// Run a command, or nothing at all (catatonit `-P`, a pod's pause process).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mode {
    /// argv index of COMMAND.
    Command(usize),
    Pause,
}

/// How the child is started.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Start {
    /// In a process group of its own, in pidone's session (tini, catatonit, pidone).
    Group,
    /// In a new session (dumb-init's default "setsid mode").
    Session,
}

/// Where forwarded signals go.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Target {
    /// The main child only (pidone, tini, catatonit, dumb-init `-c`).
    Child,
    /// The child's whole process group (dumb-init, `-g`).
    Group,
}

/// What happens to processes the main child leaves running when it exits.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Leftovers {
    /// SIGTERM them once, wait (bounded), SIGKILL the rest, then exit (pidone).
    Drain,
    /// Exit at once and leave them to the kernel (tini, catatonit, dumb-init `-c`).
    Leave,
    /// SIGTERM the child's group and exit at once, without waiting (dumb-init).
    TermGroup,
    /// Send nothing; exit when the last one is gone (`--wait-all`).
    WaitAll,
}

/// What pidone does about reaping when it is not PID 1.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum NotPid1 {
    /// Register as child subreaper (pidone, catatonit, tini `-s`).
    Subreaper,
    /// Warn that orphans will not be reaped (tini without `-s`).
    Warn,
    /// Neither (dumb-init).
    Quiet,
}

/// How the application is asked to stop, and when it is killed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Shutdown {
    /// The signal that starts the grace period (and the stop delay): SIGTERM unless the
    /// image's STOPSIGNAL is another one.
    pub stop_signal: i32,
    /// Time from the stop signal to SIGKILL. `None`: the runtime owns the deadline, and
    /// pidone never kills an application a signal from outside left running.
    pub grace_ms: Option<u64>,
    /// Time the stop signal is held before it is forwarded.
    pub stop_delay_ms: u64,
    /// What happens to leftovers once the main child has exited.
    pub leftovers: Leftovers,
}

/// How long leftovers have after the application exited on its own, when no grace is set:
/// nobody else would end them then.
pub const DRAIN_DEFAULT_MS: u64 = 10_000;

impl Shutdown {
    /// The bound on a drain that follows the application's own exit.
    pub fn drain_ms(&self) -> u64 {
        self.grace_ms.unwrap_or(DRAIN_DEFAULT_MS)
    }
}

/// Per-signal translation (dumb-init `-r`): what each received signal is forwarded as.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Rewrite {
    /// Index: received signal; value: forwarded signal, 0 to drop it.
    to: [u8; 65],
}

impl Rewrite {
    pub const IDENTITY: Rewrite = {
        let mut to = [0u8; 65];
        let mut sig = 0;
        while sig < to.len() {
            to[sig] = sig as u8;
            sig += 1;
        }
        Rewrite { to }
    };

    /// Forward `from` as `to`; `None` drops it.
    pub fn set(&mut self, from: i32, to: Option<i32>) {
        let to = to.and_then(|s| u8::try_from(s).ok()).unwrap_or(0);
        if let Some(slot) = usize::try_from(from).ok().and_then(|i| self.to.get_mut(i)) {
            *slot = to;
        }
    }

    /// The signal `sig` is forwarded as; `None` means it is dropped.
    pub fn get(&self, sig: i32) -> Option<i32> {
        let to = usize::try_from(sig)
            .ok()
            .and_then(|i| self.to.get(i))
            .map_or(sig, |r| i32::from(*r));
        (to != 0).then_some(to)
    }
}

/// Exit codes reported as 0 (tini `-e`).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct ZeroCodes([u64; 4]);

impl ZeroCodes {
    pub fn add(&mut self, code: u8) {
        let c = usize::from(code);
        if let Some(word) = self.0.get_mut(c / 64) {
            *word |= 1 << (c % 64);
        }
    }

    /// Whether `code` is reported as 0 (public for the fuzzers' round trip).
    pub fn contains(&self, code: u8) -> bool {
        let c = usize::from(code);
        self.0.get(c / 64).is_some_and(|w| w & (1 << (c % 64)) != 0)
    }
}

/// dumb-init stops itself after forwarding SIGTSTP, SIGTTIN or SIGTTOU, so the shell that
/// runs it sees the job stop; the others keep running.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum JobControl {
    KeepRunning,
    StopSelf,
}

/// Everything pidone was asked to do. Built before the child starts; read-only after.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config<'a> {
    pub personality: Personality,
    pub mode: Mode,
    pub start: Start,
    pub target: Target,
    pub shutdown: Shutdown,
    pub not_pid1: NotPid1,
    pub job_control: JobControl,
    pub log: Log,
    /// Parent-death signal for pidone itself.
    pub pdeathsig: Option<i32>,
    /// Level at which each reaped process that is not the main child is logged (tini `-w`
    /// raises it to a warning).
    pub reap_level: Level,
    pub zero_codes: ZeroCodes,
    pub rewrite: Rewrite,
    pub user: Option<&'a [u8]>,
    pub no_new_privs: bool,
    // Issue 24, what pidone does when the container fails (each in its own module).
    /// Where the one-line termination message goes at exit (`termlog`).
    pub termination_log: crate::termlog::Where<'a>,
    /// `--env-from-files`: `NAME_FILE=path` becomes `NAME=content` for the app (`secrets`).
    pub env_from_files: bool,
    /// `--on-oom`: what an OOM kill of any process of the container does (`oom`).
    pub on_oom: crate::oom::OnOom,
    /// `--watchdog`: probe the application, stop it when unhealthy (`watchdog`).
    pub watchdog: Option<crate::watchdog::Watchdog<'a>>,
}

impl<'a> Config<'a> {
    /// The defaults under each name: the original's behaviour, and pidone's own.
    pub fn defaults(personality: Personality) -> Config<'a> {
        let meaning = personality.meaning();
        Config {
            personality,
            mode: Mode::Pause,
            start: if meaning.setsid_mode {
                Start::Session
            } else {
                Start::Group
            },
            target: meaning.target,
            shutdown: Shutdown {
                stop_signal: libc::SIGTERM,
                grace_ms: None,
                stop_delay_ms: 0,
                leftovers: meaning.leftovers,
            },
            not_pid1: meaning.not_pid1,
            job_control: if meaning.setsid_mode {
                JobControl::StopSelf
            } else {
                JobControl::KeepRunning
            },
            log: Log::default(),
            pdeathsig: None,
            reap_level: Level::Debug,
            zero_codes: ZeroCodes::default(),
            rewrite: Rewrite::IDENTITY,
            user: None,
            no_new_privs: false,
            termination_log: None,
            env_from_files: false,
            on_oom: crate::oom::OnOom::Ignore,
            watchdog: None,
        }
    }

    /// The signal a received `sig` is forwarded as; `None` drops it.
    pub fn forward_as(&self, sig: i32) -> Option<i32> {
        self.rewrite.get(sig)
    }

    /// The exit status pidone reports for a wait `status` of the child.
    pub fn status_code(&self, status: i32) -> i32 {
        self.exit_code(wait_status_code(status))
    }

    /// The exit status pidone reports for the child's `code` (after tini's `-e`).
    pub fn exit_code(&self, code: i32) -> i32 {
        let low = (code & 0xff) as u8;
        if self.zero_codes.contains(low) {
            0
        } else {
            i32::from(low)
        }
    }
}

/// The job-control signals dumb-init rewrites to SIGSTOP in setsid mode, and stops itself for.
pub const TTY_STOPS: SignalSet = SignalSet::EMPTY
    .with(libc::SIGTSTP)
    .with(libc::SIGTTIN)
    .with(libc::SIGTTOU);

/// A wait status as a shell reports it: the exit code, or 128+N for death by signal N.
pub fn wait_status_code(status: i32) -> i32 {
    if libc::WIFSIGNALED(status) {
        128i32.saturating_add(libc::WTERMSIG(status))
    } else {
        libc::WEXITSTATUS(status)
    }
}
