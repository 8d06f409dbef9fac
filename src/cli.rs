//! The command line and environment, read once into a `Config` that never changes after.
//!
//! One parser accepts the union of pidone's, tini's, dumb-init's and catatonit's options
//! (they do not collide). Defaults come from the personality, the name pidone is run as;
//! environment variables override them, and options override both. Options end at `--` or
//! at the first word that is not an option, so `pidone sh -c 'x' -v` passes `-v` to sh.

use core::ffi::CStr;

use crate::duration;
use crate::log::Log;
use crate::signals;

/// Whose defaults pidone follows: the tool it is installed as.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Personality {
    Pidone,
    /// `docker-init`, `tini`, `tini-static`.
    Tini,
    DumbInit,
    /// `catatonit`, and `podman-init`, the name podman gives its init in the container.
    Catatonit,
}

impl Personality {
    /// From argv[0]'s last path component.
    pub fn from_argv0(argv0: &[u8]) -> Personality {
        let base = argv0.rsplit(|b| *b == b'/').next().unwrap_or(argv0);
        match base {
            b"docker-init" | b"tini" | b"tini-static" => Personality::Tini,
            b"dumb-init" => Personality::DumbInit,
            // podman runs its init (catatonit by default) as /run/podman-init.
            b"catatonit" | b"podman-init" => Personality::Catatonit,
            _ => Personality::Pidone,
        }
    }
}

/// Everything pidone was asked to do. Built before the child starts; read-only after.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config<'a> {
    pub personality: Personality,
    /// argv index of COMMAND (0 in pause mode, which runs none).
    pub command: usize,
    pub pause: bool,
    /// Time from the first termination signal (or from the main child's exit, when
    /// leftovers are drained) until everything left is SIGKILLed.
    pub grace_ms: u64,
    /// Time a termination signal is held before it is forwarded.
    pub stop_delay_ms: u64,
    /// Forward to the child's whole process group instead of the child alone.
    pub group: bool,
    /// Start the child in a new session (dumb-init) rather than a new process group.
    pub session: bool,
    /// After the main child exits, TERM what is left, wait up to the grace, KILL the rest.
    pub drain: bool,
    pub log: Log,
    pub subreaper: bool,
    /// tini's warning when reaping cannot work (not PID 1 and no subreaper).
    pub warn_no_reaper: bool,
    /// Parent-death signal for pidone itself; 0 for none.
    pub pdeathsig: i32,
    /// Log each reaped process that is not the main child at warning level (tini `-w`).
    pub warn_reap: bool,
    /// Exit codes reported as 0 (tini `-e`), one bit per code.
    pub zero_codes: [u64; 4],
    /// What each received signal is forwarded as, by number; 0 drops it (dumb-init `-r`).
    pub rewrite: [u8; 65],
    /// Stop pidone too after forwarding a job-control stop (dumb-init in session mode).
    pub stop_self: bool,
    pub user: Option<&'a [u8]>,
    pub no_new_privs: bool,
}

pub enum Action<'a> {
    Run(Config<'a>),
    Help,
    Version,
    License,
}

/// A bad command line or environment: exit status 2 with a one-line message.
#[derive(Debug, PartialEq, Eq)]
pub struct UsageError<'a> {
    /// The option or environment variable the bad value was given to (`--grace`, `-e`,
    /// `PIDONE_GRACE`); empty when the problem is the word itself (an unknown option).
    pub option: &'a [u8],
    pub problem: &'static str,
    /// The offending word or value, quoted after the problem; empty for none.
    pub value: &'a [u8],
}

impl<'a> UsageError<'a> {
    /// Names the option or variable the value came from, unless already named.
    fn given_to(mut self, option: &'a [u8]) -> Self {
        if self.option.is_empty() {
            self.option = option;
        }
        self
    }
}

type Parsed<'a, T> = Result<T, UsageError<'a>>;

fn bad<'a, T>(problem: &'static str, value: &'a [u8]) -> Parsed<'a, T> {
    Err(UsageError {
        option: b"",
        problem,
        value,
    })
}

/// `-X` for every short option letter, for naming the option in a usage error.
const SHORT_NAMES: &[u8] = b"-h-V-l-L-v-t-c-g-s-p-w-e-r-P-u";

fn short_name(letter: u8) -> &'static [u8] {
    let at = SHORT_NAMES.iter().position(|b| *b == letter).unwrap_or(0);
    SHORT_NAMES.get(at.saturating_sub(1)..at + 1).unwrap_or(b"")
}

/// In the bit set of what the user chose explicitly (`chosen`; bits 1-63: signals given to `-r`),
/// bit 0 records that `--drain`/`--no-drain` (or their variables) was given.
const DRAIN_CHOSEN: u64 = 1;

const TSTP: usize = libc::SIGTSTP as usize;
const TTIN: usize = libc::SIGTTIN as usize;
const TTOU: usize = libc::SIGTTOU as usize;

impl<'a> Config<'a> {
    pub fn defaults(personality: Personality) -> Config<'a> {
        let mut rewrite = [0u8; 65];
        for (sig, slot) in rewrite.iter_mut().enumerate() {
            *slot = sig as u8;
        }
        Config {
            personality,
            command: 0,
            pause: false,
            grace_ms: 10_000,
            stop_delay_ms: 0,
            group: matches!(personality, Personality::Pidone | Personality::DumbInit),
            session: false,
            drain: matches!(personality, Personality::Pidone | Personality::DumbInit),
            log: Log {
                verbosity: 1,
                json: false,
            },
            subreaper: matches!(personality, Personality::Pidone | Personality::Catatonit),
            warn_no_reaper: personality == Personality::Tini,
            pdeathsig: 0,
            warn_reap: false,
            zero_codes: [0; 4],
            rewrite,
            stop_self: false,
            user: None,
            no_new_privs: false,
        }
    }

    /// The signal a received `sig` is forwarded as; 0 means drop it.
    pub fn forward_as(&self, sig: i32) -> i32 {
        usize::try_from(sig)
            .ok()
            .and_then(|s| self.rewrite.get(s))
            .map_or(sig, |r| i32::from(*r))
    }

    /// The exit status pidone reports for the child's `code` (after tini's `-e` remapping).
    pub fn exit_code(&self, code: i32) -> i32 {
        let c = (code & 0xff) as usize;
        let zeroed = self
            .zero_codes
            .get(c / 64)
            .is_some_and(|word| word & (1 << (c % 64)) != 0);
        if zeroed { 0 } else { code & 0xff }
    }
}

/// Reads the options in `arg(1)`, `arg(2)`, ... (`arg(0)` names the personality) and the
/// environment through `env`.
pub fn parse<'a>(
    arg: impl Fn(usize) -> Option<&'a [u8]>,
    env: impl Fn(&CStr) -> Option<&'a [u8]>,
) -> Parsed<'a, Action<'a>> {
    let personality = Personality::from_argv0(arg(0).unwrap_or(b""));
    let mut cfg = Config::defaults(personality);
    let mut chosen: u64 = 0;
    apply_env(&mut cfg, &mut chosen, &env)?;

    let mut i = 1;
    while let Some(word) = arg(i) {
        i += 1;
        if word == b"--" {
            break;
        }
        if let Some(long) = signals::after(word, b"--") {
            let (name, inline) = match long.iter().position(|b| *b == b'=') {
                Some(eq) => (long.get(..eq).unwrap_or(long), long.get(eq + 1..)),
                None => (long, None),
            };
            let Some(opt) = LONG.iter().find(|o| o.long.as_bytes() == name) else {
                return bad("unknown option", word);
            };
            let value = if opt.takes_value {
                match inline.or_else(|| {
                    i += 1;
                    arg(i - 1)
                }) {
                    Some(v) => Some(v),
                    None => return bad("missing value for option", word),
                }
            } else if inline.is_some() {
                return bad("option takes no value", word);
            } else {
                None
            };
            let given = word.get(..2 + name.len()).unwrap_or(word);
            let applied = apply(&mut cfg, &mut chosen, opt.id, value.unwrap_or(b""));
            if let Some(action) = applied.map_err(|e| e.given_to(given))? {
                return Ok(action);
            }
        } else if word.len() > 1 && word.first() == Some(&b'-') {
            // A cluster of short options: `-vvv`, `-sg`, `-e143`, `-p SIGKILL`.
            let mut j = 1;
            while let Some(&c) = word.get(j) {
                j += 1;
                let Some(opt) = LONG.iter().find(|o| o.short == c) else {
                    return bad("unknown option", word);
                };
                let mut value: &[u8] = b"";
                if opt.takes_value {
                    value = match word.get(j..) {
                        Some(rest) if !rest.is_empty() => rest,
                        _ => {
                            i += 1;
                            match arg(i - 1) {
                                Some(v) => v,
                                None => return bad("missing value for option", word),
                            }
                        }
                    };
                    j = word.len();
                }
                let applied = apply(&mut cfg, &mut chosen, opt.id, value);
                if let Some(action) = applied.map_err(|e| e.given_to(short_name(c)))? {
                    return Ok(action);
                }
            }
        } else {
            i -= 1;
            break;
        }
    }
    finish(cfg, chosen, i, arg(i).is_some()).map(Action::Run)
}

/// Settles what depends on more than one option, and checks the command.
fn finish<'a>(
    mut cfg: Config<'a>,
    chosen: u64,
    command: usize,
    has_command: bool,
) -> Parsed<'a, Config<'a>> {
    if cfg.pause {
        if has_command {
            return bad("pause mode (-P) runs no command", b"");
        }
    } else if !has_command {
        return bad("no command given", b"");
    } else {
        cfg.command = command;
    }
    if cfg.personality == Personality::DumbInit && !cfg.group && chosen & DRAIN_CHOSEN == 0 {
        // dumb-init's single-child mode (-c, DUMB_INIT_SETSID=0) leaves leftovers alone.
        cfg.drain = false;
    }
    if cfg.personality == Personality::DumbInit && cfg.group {
        // dumb-init's setsid mode: the child's group is orphaned, where the kernel ignores
        // SIGTSTP/TTIN/TTOU, so they become SIGSTOP, and dumb-init stops itself to match.
        cfg.session = true;
        cfg.stop_self = true;
        for sig in [TSTP, TTIN, TTOU] {
            if chosen & (1 << sig) == 0 {
                if let Some(slot) = cfg.rewrite.get_mut(sig) {
                    *slot = libc::SIGSTOP as u8;
                }
            }
        }
    }
    Ok(cfg)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Id {
    Help,
    Version,
    License,
    Verbose,
    Grace,
    StopDelay,
    SingleChild,
    Group,
    Drain,
    NoDrain,
    Subreaper,
    Pdeathsig,
    WarnReap,
    RemapExit,
    Rewrite,
    Pause,
    LogFormat,
    User,
    NoNewPrivs,
}

struct Opt {
    id: Id,
    long: &'static str,
    /// The short letter, or 0 for none.
    short: u8,
    takes_value: bool,
}

const fn opt(id: Id, long: &'static str, short: u8, takes_value: bool) -> Opt {
    Opt {
        id,
        long,
        short,
        takes_value,
    }
}

/// Every option. Short letters: tini `-s -p -v -w -g -e -l -h`, dumb-init `-c -r -v -V -h`,
/// catatonit `-g -P -L -V -h`.
const LONG: [Opt; 20] = [
    opt(Id::Help, "help", b'h', false),
    opt(Id::Version, "version", b'V', false),
    opt(Id::License, "license", b'l', false),
    opt(Id::License, "license", b'L', false),
    opt(Id::Verbose, "verbose", b'v', false),
    opt(Id::Grace, "grace", b't', true),
    opt(Id::StopDelay, "stop-delay", 0, true),
    opt(Id::SingleChild, "single-child", b'c', false),
    opt(Id::Group, "process-group", b'g', false),
    opt(Id::Drain, "drain", 0, false),
    opt(Id::NoDrain, "no-drain", 0, false),
    opt(Id::Subreaper, "subreaper", b's', false),
    opt(Id::Pdeathsig, "pdeathsig", b'p', true),
    opt(Id::WarnReap, "warn-reap", b'w', false),
    opt(Id::RemapExit, "remap-exit", b'e', true),
    opt(Id::Rewrite, "rewrite", b'r', true),
    opt(Id::Pause, "pause", b'P', false),
    opt(Id::LogFormat, "log-format", 0, true),
    opt(Id::User, "user", b'u', true),
    opt(Id::NoNewPrivs, "no-new-privs", 0, false),
];

/// Applies one option. Returns an action that ends parsing (help, version, license).
fn apply<'a>(
    cfg: &mut Config<'a>,
    chosen: &mut u64,
    id: Id,
    value: &'a [u8],
) -> Parsed<'a, Option<Action<'a>>> {
    match id {
        Id::Help => return Ok(Some(Action::Help)),
        Id::Version => return Ok(Some(Action::Version)),
        Id::License => return Ok(Some(Action::License)),
        Id::Verbose => cfg.log.verbosity = cfg.log.verbosity.saturating_add(1),
        Id::Grace => cfg.grace_ms = parse_duration(value)?,
        Id::StopDelay => cfg.stop_delay_ms = parse_duration(value)?,
        Id::SingleChild => cfg.group = false,
        Id::Group => cfg.group = true,
        Id::Drain => {
            cfg.drain = true;
            *chosen |= DRAIN_CHOSEN;
        }
        Id::NoDrain => {
            cfg.drain = false;
            *chosen |= DRAIN_CHOSEN;
        }
        Id::Subreaper => cfg.subreaper = true,
        Id::Pdeathsig => cfg.pdeathsig = parse_signal(value)?,
        Id::WarnReap => cfg.warn_reap = true,
        Id::RemapExit => {
            for code in value.split(|b| *b == b',') {
                let c = parse_code(code)?;
                if let Some(word) = cfg.zero_codes.get_mut(c / 64) {
                    *word |= 1 << (c % 64);
                }
            }
        }
        Id::Rewrite => {
            for spec in value.split(|b| *b == b',') {
                let (from, to) = parse_rewrite(spec)?;
                if let Some(slot) = cfg.rewrite.get_mut(from) {
                    *slot = to;
                }
                *chosen |= 1 << from.min(63);
            }
        }
        Id::Pause => cfg.pause = true,
        Id::LogFormat => {
            cfg.log.json = match value {
                b"json" => true,
                b"text" => false,
                _ => return bad("log format must be 'text' or 'json', not", value),
            }
        }
        Id::User => {
            if value.is_empty() {
                return bad("empty user", value);
            }
            cfg.user = Some(value);
        }
        Id::NoNewPrivs => cfg.no_new_privs = true,
    }
    Ok(None)
}

fn parse_duration(value: &[u8]) -> Parsed<'_, u64> {
    duration::parse_ms(value)
        .map_or_else(|| bad("bad duration (use e.g. 500ms, 10s, 2m)", value), Ok)
}

fn parse_signal(value: &[u8]) -> Parsed<'_, i32> {
    signals::parse(value).map_or_else(|| bad("unknown signal", value), Ok)
}

fn parse_code(value: &[u8]) -> Parsed<'_, usize> {
    let ok = !value.is_empty() && value.len() <= 3 && value.iter().all(u8::is_ascii_digit);
    let n = value
        .iter()
        .fold(0usize, |n, d| n * 10 + usize::from(d - b'0'));
    if ok && n <= 255 {
        Ok(n)
    } else {
        bad("exit code must be 0-255, not", value)
    }
}

/// `S:R` with signal names or numbers; `R` of 0 drops S.
fn parse_rewrite(spec: &[u8]) -> Parsed<'_, (usize, u8)> {
    let Some(colon) = spec.iter().position(|b| *b == b':') else {
        return bad("rewrite must be FROM:TO, not", spec);
    };
    let (from, to) = (
        spec.get(..colon).unwrap_or(b""),
        spec.get(colon + 1..).unwrap_or(b""),
    );
    let Some(from) = signals::parse(from) else {
        return bad("rewrite: unknown signal in", spec);
    };
    let to = if to == b"0" {
        0
    } else {
        match signals::parse(to) {
            Some(s) => s,
            None => return bad("rewrite: unknown signal in", spec),
        }
    };
    Ok((from as usize, to as u8))
}

fn parse_bool<'a>(name: &'static str, value: &'a [u8]) -> Parsed<'a, bool> {
    match value {
        b"1" | b"true" | b"yes" | b"on" => Ok(true),
        b"0" | b"false" | b"no" | b"off" => Ok(false),
        _ => bad(name, value),
    }
}

/// Environment variables: tini's, dumb-init's and catatonit's with their own meanings, and
/// a `PIDONE_*` variable for each of pidone's options.
fn apply_env<'a>(
    cfg: &mut Config<'a>,
    chosen: &mut u64,
    env: &impl Fn(&CStr) -> Option<&'a [u8]>,
) -> Parsed<'a, ()> {
    // tini: presence alone turns these on, even when empty.
    if env(c"TINI_SUBREAPER").is_some() {
        cfg.subreaper = true;
    }
    if env(c"TINI_KILL_PROCESS_GROUP").is_some() {
        cfg.group = true;
    }
    if let Some(v) = env(c"TINI_VERBOSITY") {
        cfg.log.verbosity = tini_verbosity(v);
    }
    // dumb-init: exactly these values, anything else is ignored as dumb-init does.
    if env(c"DUMB_INIT_SETSID") == Some(b"0") {
        cfg.group = false;
    }
    if env(c"DUMB_INIT_DEBUG") == Some(b"1") {
        cfg.log.verbosity = cfg.log.verbosity.max(3);
    }
    // catatonit: any value turns debugging on.
    if env(c"CATATONIT_DEBUG").is_some() {
        cfg.log.verbosity = cfg.log.verbosity.max(3);
    }

    if let Some(v) = env(c"PIDONE_VERBOSITY") {
        cfg.log.verbosity = parse_verbosity("PIDONE_VERBOSITY must be a number 0-9, not", v)?;
    }
    let flags: [(&CStr, Id); 8] = [
        (c"PIDONE_SINGLE_CHILD", Id::SingleChild),
        (c"PIDONE_PROCESS_GROUP", Id::Group),
        (c"PIDONE_DRAIN", Id::Drain),
        (c"PIDONE_NO_DRAIN", Id::NoDrain),
        (c"PIDONE_SUBREAPER", Id::Subreaper),
        (c"PIDONE_WARN_REAP", Id::WarnReap),
        (c"PIDONE_PAUSE", Id::Pause),
        (c"PIDONE_NO_NEW_PRIVS", Id::NoNewPrivs),
    ];
    for (name, id) in flags {
        if let Some(v) = env(name) {
            let on = parse_bool("must be 1, true, yes, on, 0, false, no or off, not", v);
            if on.map_err(|e| e.given_to(name.to_bytes()))? {
                apply(cfg, chosen, id, b"")?;
            } else {
                // `=0` turns the option off; for the paired options that is the other one.
                match id {
                    Id::SingleChild => cfg.group = true,
                    Id::Group => cfg.group = false,
                    Id::Drain | Id::NoDrain => {
                        cfg.drain = id == Id::NoDrain;
                        *chosen |= DRAIN_CHOSEN;
                    }
                    Id::Subreaper => cfg.subreaper = false,
                    Id::WarnReap => cfg.warn_reap = false,
                    Id::Pause => cfg.pause = false,
                    _ => cfg.no_new_privs = false,
                }
            }
        }
    }
    let valued: [(&CStr, Id); 7] = [
        (c"PIDONE_GRACE", Id::Grace),
        (c"PIDONE_STOP_DELAY", Id::StopDelay),
        (c"PIDONE_PDEATHSIG", Id::Pdeathsig),
        (c"PIDONE_REMAP_EXIT", Id::RemapExit),
        (c"PIDONE_REWRITE", Id::Rewrite),
        (c"PIDONE_LOG_FORMAT", Id::LogFormat),
        (c"PIDONE_USER", Id::User),
    ];
    for (name, id) in valued {
        if let Some(v) = env(name) {
            apply(cfg, chosen, id, v).map_err(|e| e.given_to(name.to_bytes()))?;
        }
    }
    Ok(())
}

/// `TINI_VERBOSITY` read as tini reads it (`atoi`): leading digits, anything else is 0.
/// An image that set it to something odd kept working with tini, so it keeps working here.
fn tini_verbosity(v: &[u8]) -> u8 {
    let mut level: u8 = 0;
    for d in v
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .take_while(|b| b.is_ascii_digit())
    {
        level = level.saturating_mul(10).saturating_add(d - b'0');
    }
    level.min(9)
}

fn parse_verbosity<'a>(problem: &'static str, v: &'a [u8]) -> Parsed<'a, u8> {
    match v {
        [d] if d.is_ascii_digit() => Ok(d - b'0'),
        _ => bad(problem, v),
    }
}

pub const HELP: &str = "\
Usage: pidone [OPTIONS] [--] COMMAND [ARGS...]
A container init: runs COMMAND as its child, forwards signals to it, reaps zombies,
and on a termination signal gives it a grace period before SIGKILL.
Options end at `--` or at the first word that is not an option. Each option has an
environment variable [in brackets]; options override the environment.

Shutdown:
  -t, --grace DURATION     time from SIGTERM/SIGINT/SIGQUIT (or from the child's exit,
                           when leftovers are drained) to SIGKILL; 500ms, 10s, 2m; 0
                           kills at once [PIDONE_GRACE, default 10s]
      --stop-delay DURATION hold the first termination signal this long before
                           forwarding it [PIDONE_STOP_DELAY, default 0]
      --no-drain           exit as soon as COMMAND exits, without terminating what it
                           left running [PIDONE_NO_DRAIN]
      --drain              terminate leftovers (SIGTERM, grace, SIGKILL) [PIDONE_DRAIN]
Signals:
  -c, --single-child       forward signals to COMMAND only [PIDONE_SINGLE_CHILD,
                           DUMB_INIT_SETSID=0]
  -g, --process-group      forward signals to COMMAND's process group
                           [PIDONE_PROCESS_GROUP, TINI_KILL_PROCESS_GROUP]
  -r, --rewrite FROM:TO    forward signal FROM as TO (names or numbers); TO 0 drops it;
                           repeatable or comma-separated [PIDONE_REWRITE]
  -p, --pdeathsig SIGNAL   signal pidone gets when its parent dies [PIDONE_PDEATHSIG]
Processes:
  -s, --subreaper          register as child subreaper when not PID 1
                           [PIDONE_SUBREAPER, TINI_SUBREAPER]
  -e, --remap-exit CODE    report exit code CODE as 0; repeatable [PIDONE_REMAP_EXIT]
  -u, --user USER[:GROUP]  run COMMAND as this user (name or number) [PIDONE_USER]
      --no-new-privs       COMMAND can never gain privileges [PIDONE_NO_NEW_PRIVS]
  -P, --pause              run no command: reap, and exit 0 on SIGTERM or SIGINT
                           [PIDONE_PAUSE]
Output:
  -v, --verbose            log more; repeatable [PIDONE_VERBOSITY=0-3, TINI_VERBOSITY,
                           DUMB_INIT_DEBUG=1, CATATONIT_DEBUG]
  -w, --warn-reap          warn for every reaped process that is not COMMAND
                           [PIDONE_WARN_REAP]
      --log-format FORMAT  text or json [PIDONE_LOG_FORMAT]
  -h, --help               this help
  -V, --version            version
  -l, -L, --license        license

Defaults follow the name pidone runs as:
  pidone       -g --drain -s
  docker-init, tini, tini-static
               -c --no-drain, warns when it cannot reap (not PID 1, no -s)
  dumb-init    -g --drain, COMMAND in a new session, SIGTSTP/TTIN/TTOU sent as
               SIGSTOP (pidone stops too); -c or DUMB_INIT_SETSID=0 turn all of
               this off (-c --no-drain)
  catatonit, podman-init
               -c --no-drain -s
The grace period applies under every name.

Exit status: COMMAND's; 128+N if it was killed by signal N; 126 if it could not be
executed; 127 if it was not found; 2 for a usage error; 1 if pidone itself failed.
";

pub const LICENSE: &str = "\
MIT License

Copyright (c) 2026 the pidone developers

Permission is hereby granted, free of charge, to any person obtaining a copy of this
software and associated documentation files (the \"Software\"), to deal in the Software
without restriction, including without limitation the rights to use, copy, modify, merge,
publish, distribute, sublicense, and/or sell copies of the Software, and to permit persons
to whom the Software is furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or
substantial portions of the Software.

THE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED,
INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR
PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE
FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR
OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER
DEALINGS IN THE SOFTWARE.
";

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    /// Parses `argv` (argv[0] names the personality) with `env` as the environment.
    fn parse_with<'a>(
        argv: &'a [&'a str],
        env: &'a [(&'a str, &'a str)],
    ) -> Parsed<'a, Action<'a>> {
        parse(
            |i| argv.get(i).map(|a| a.as_bytes()),
            |name: &CStr| {
                env.iter()
                    .find(|(k, _)| k.as_bytes() == name.to_bytes())
                    .map(|(_, v)| v.as_bytes())
            },
        )
    }

    fn config<'a>(argv: &'a [&'a str], env: &'a [(&'a str, &'a str)]) -> Config<'a> {
        match parse_with(argv, env) {
            Ok(Action::Run(cfg)) => cfg,
            Ok(_) => panic!("{argv:?}: not a run"),
            Err(e) => panic!("{argv:?}: {} {:?}", e.problem, e.value),
        }
    }

    fn error<'a>(argv: &'a [&'a str], env: &'a [(&'a str, &'a str)]) -> UsageError<'a> {
        match parse_with(argv, env) {
            Err(e) => e,
            Ok(_) => panic!("{argv:?} {env:?}: accepted"),
        }
    }

    #[test]
    fn personalities_from_argv0() {
        for (name, p) in [
            ("/sbin/docker-init", Personality::Tini),
            ("tini", Personality::Tini),
            ("/usr/bin/tini-static", Personality::Tini),
            ("/usr/local/bin/dumb-init", Personality::DumbInit),
            ("/run/podman-init", Personality::Catatonit),
            ("catatonit", Personality::Catatonit),
            ("/usr/libexec/podman/catatonit", Personality::Catatonit),
            ("pidone", Personality::Pidone),
            ("tini.bak", Personality::Pidone),
            ("", Personality::Pidone),
        ] {
            assert_eq!(Personality::from_argv0(name.as_bytes()), p, "{name}");
        }
    }

    #[test]
    fn personality_defaults() {
        let t = config(&["docker-init", "--", "app"], &[]);
        assert!(!t.group && !t.session && !t.drain && !t.subreaper && t.warn_no_reaper);
        assert_eq!(t.command, 2);
        let d = config(&["dumb-init", "app"], &[]);
        assert!(d.group && d.session && d.drain && d.stop_self && !d.subreaper);
        assert_eq!(d.forward_as(libc::SIGTSTP), libc::SIGSTOP);
        assert_eq!(d.forward_as(libc::SIGTTIN), libc::SIGSTOP);
        assert_eq!(d.forward_as(libc::SIGTTOU), libc::SIGSTOP);
        assert_eq!(d.forward_as(libc::SIGTERM), libc::SIGTERM);
        let c = config(&["catatonit", "--", "app"], &[]);
        assert!(!c.group && !c.session && !c.drain && c.subreaper && !c.warn_no_reaper);
        let p = config(&["pidone", "app"], &[]);
        assert!(p.group && !p.session && p.drain && p.subreaper && !p.warn_no_reaper);
        for cfg in [&t, &d, &c, &p] {
            assert_eq!(cfg.grace_ms, 10_000, "grace in every personality");
            assert_eq!(cfg.log.verbosity, 1);
        }
    }

    #[test]
    fn dumb_init_single_child_turns_off_session_mode() {
        for (argv, env) in [
            (&["dumb-init", "-c", "app"][..], &[][..]),
            (&["dumb-init", "--single-child", "app"], &[]),
            (&["dumb-init", "app"], &[("DUMB_INIT_SETSID", "0")]),
        ] {
            let d = config(argv, env);
            assert!(!d.group && !d.session && !d.stop_self, "{argv:?} {env:?}");
            assert!(!d.drain, "dumb-init -c leaves leftovers alone");
            assert_eq!(d.forward_as(libc::SIGTSTP), libc::SIGTSTP);
        }
        assert!(config(&["dumb-init", "-c", "--drain", "app"], &[]).drain);
        assert!(config(&["dumb-init", "--drain", "-c", "app"], &[]).drain);
        let env = [("PIDONE_DRAIN", "1")];
        assert!(config(&["dumb-init", "-c", "app"], &env).drain);
        let env = [("PIDONE_DRAIN", "0")];
        assert!(!config(&["dumb-init", "app"], &env).drain);
        // Only exactly "0" counts, as in dumb-init.
        for v in ["1", "false", "", "00"] {
            let env = [("DUMB_INIT_SETSID", v)];
            assert!(config(&["dumb-init", "app"], &env).session, "{v:?}");
        }
    }

    #[test]
    fn rewrite_numbers_names_drop_and_override_of_the_stop_default() {
        let d = config(
            &[
                "dumb-init",
                "-r",
                "15:3",
                "--rewrite",
                "USR1:0",
                "-rTSTP:USR2",
                "app",
            ],
            &[],
        );
        assert_eq!(d.forward_as(libc::SIGTERM), libc::SIGQUIT);
        assert_eq!(d.forward_as(libc::SIGUSR1), 0);
        assert_eq!(d.forward_as(libc::SIGTSTP), libc::SIGUSR2);
        assert_eq!(d.forward_as(libc::SIGTTIN), libc::SIGSTOP);
        let d = config(
            &["dumb-init", "-r", "SIGTERM:SIGQUIT,RTMIN+1:HUP", "app"],
            &[],
        );
        assert_eq!(d.forward_as(libc::SIGTERM), libc::SIGQUIT);
        assert_eq!(d.forward_as(35), libc::SIGHUP);
        for bad in ["15:", ":3", "15", "", "0:3", "15:65", "FOO:TERM", "15:3:1"] {
            let argv = ["dumb-init", "-r", bad, "app"];
            let e = error(&argv, &[]);
            assert!(e.problem.starts_with("rewrite"), "{bad:?}: {}", e.problem);
            assert_eq!(e.value, bad.as_bytes());
        }
    }

    #[test]
    fn tini_flags() {
        let t = config(
            &[
                "tini", "-s", "-p", "SIGKILL", "-vvv", "-w", "-g", "-e", "143", "-e3", "--", "a",
            ],
            &[],
        );
        assert!(t.subreaper && t.warn_reap && t.group);
        assert_eq!(t.pdeathsig, libc::SIGKILL);
        assert_eq!(t.log.verbosity, 4);
        assert_eq!(
            (t.exit_code(143), t.exit_code(3), t.exit_code(4)),
            (0, 0, 4)
        );
        assert_eq!(t.exit_code(256 + 143), 0, "codes are taken mod 256 first");
        assert_eq!(config(&["tini", "-p", "TERM", "a"], &[]).pdeathsig, 15);
        assert_eq!(
            error(&["tini", "-p", "SIGFOO", "a"], &[]).problem,
            "unknown signal"
        );
        for bad in ["256", "-1", "", "1x", "1000"] {
            let argv = ["tini", "-e", bad, "a"];
            let e = error(&argv, &[]);
            assert_eq!(e.problem, "exit code must be 0-255, not", "{bad:?}");
        }
        assert_eq!(
            error(&["tini", "-p"], &[]).problem,
            "missing value for option"
        );
    }

    #[test]
    fn tini_environment() {
        let t = config(
            &["tini", "a"],
            &[("TINI_SUBREAPER", ""), ("TINI_KILL_PROCESS_GROUP", "")],
        );
        assert!(
            t.subreaper && t.group,
            "presence, even empty, turns them on"
        );
        for (v, level) in [
            ("0", 0),
            ("3", 3),
            ("12", 9),
            ("", 0),
            ("abc", 0),
            (" 2x", 2),
        ] {
            let env = [("TINI_VERBOSITY", v)];
            assert_eq!(config(&["tini", "a"], &env).log.verbosity, level, "{v:?}");
        }
        // Options override the environment.
        let env = [("TINI_VERBOSITY", "0")];
        assert_eq!(config(&["tini", "-v", "a"], &env).log.verbosity, 1);
    }

    #[test]
    fn debug_environment() {
        assert_eq!(
            config(&["dumb-init", "a"], &[("DUMB_INIT_DEBUG", "1")])
                .log
                .verbosity,
            3
        );
        assert_eq!(
            config(&["dumb-init", "a"], &[("DUMB_INIT_DEBUG", "yes")])
                .log
                .verbosity,
            1
        );
        assert_eq!(
            config(&["catatonit", "a"], &[("CATATONIT_DEBUG", "")])
                .log
                .verbosity,
            3
        );
        // pidone's own variable wins over the foreign ones.
        let env = [("TINI_VERBOSITY", "3"), ("PIDONE_VERBOSITY", "0")];
        assert_eq!(config(&["tini", "a"], &env).log.verbosity, 0);
        assert!(parse_with(&["pidone", "a"], &[("PIDONE_VERBOSITY", "x")]).is_err());
    }

    #[test]
    fn catatonit_pause() {
        let c = config(&["catatonit", "-P"], &[]);
        assert!(c.pause && c.command == 0);
        let e = error(&["catatonit", "-P", "sleep", "1"], &[]);
        assert_eq!(e.problem, "pause mode (-P) runs no command");
        assert!(config(&["pidone"], &[("PIDONE_PAUSE", "1")]).pause);
        let c = config(&["catatonit", "-g", "--", "a"], &[]);
        assert!(c.group);
    }

    #[test]
    fn help_version_license_in_every_dialect() {
        for argv in [
            &["tini", "-h"][..],
            &["dumb-init", "--help"],
            &["catatonit", "-h"],
            &["pidone", "-v", "-h", "app"],
        ] {
            assert!(
                matches!(parse_with(argv, &[]), Ok(Action::Help)),
                "{argv:?}"
            );
        }
        for argv in [
            &["docker-init", "--version"][..],
            &["dumb-init", "-V"],
            &["catatonit", "-V"],
            &["catatonit", "--version"],
        ] {
            assert!(
                matches!(parse_with(argv, &[]), Ok(Action::Version)),
                "{argv:?}"
            );
        }
        for argv in [
            &["tini", "-l"][..],
            &["catatonit", "-L"],
            &["pidone", "--license"],
        ] {
            assert!(
                matches!(parse_with(argv, &[]), Ok(Action::License)),
                "{argv:?}"
            );
        }
    }

    #[test]
    fn options_are_not_permuted() {
        let c = config(&["catatonit", "echo", "-g", "hi"], &[]);
        assert!(!c.group);
        assert_eq!(c.command, 1);
        let t = config(&["tini", "cmd", "-v"], &[]);
        assert_eq!(t.log.verbosity, 1);
    }

    #[test]
    fn every_pidone_variable() {
        type Holds = fn(&Config) -> bool;
        let on: Vec<(&str, Holds)> = std::vec![
            ("PIDONE_SINGLE_CHILD", |c| !c.group),
            ("PIDONE_PROCESS_GROUP", |c| c.group),
            ("PIDONE_DRAIN", |c| c.drain),
            ("PIDONE_NO_DRAIN", |c| !c.drain),
            ("PIDONE_SUBREAPER", |c| c.subreaper),
            ("PIDONE_WARN_REAP", |c| c.warn_reap),
            ("PIDONE_NO_NEW_PRIVS", |c| c.no_new_privs),
        ];
        for (name, holds) in on {
            for personality in ["pidone", "tini", "catatonit"] {
                let env = [(name, "1")];
                assert!(
                    holds(&config(&[personality, "a"], &env)),
                    "{name}=1 {personality}"
                );
                let env = [(name, "0")];
                assert!(
                    !holds(&config(&[personality, "a"], &env)),
                    "{name}=0 {personality}"
                );
            }
            let env = [(name, "maybe")];
            let e = error(&["pidone", "a"], &env);
            assert_eq!(e.option, name.as_bytes(), "{}", e.problem);
        }
        let env = [
            ("PIDONE_GRACE", "250ms"),
            ("PIDONE_STOP_DELAY", "2s"),
            ("PIDONE_PDEATHSIG", "KILL"),
            ("PIDONE_REMAP_EXIT", "143,130"),
            ("PIDONE_REWRITE", "TERM:QUIT"),
            ("PIDONE_LOG_FORMAT", "json"),
            ("PIDONE_USER", "nobody"),
        ];
        let c = config(&["pidone", "a"], &env);
        assert_eq!((c.grace_ms, c.stop_delay_ms, c.pdeathsig), (250, 2000, 9));
        assert_eq!((c.exit_code(143), c.exit_code(130)), (0, 0));
        assert_eq!(c.forward_as(libc::SIGTERM), libc::SIGQUIT);
        assert!(c.log.json);
        assert_eq!(c.user, Some(&b"nobody"[..]));
        // The command line overrides the environment.
        let c = config(&["pidone", "--grace", "1s", "a"], &env);
        assert_eq!(c.grace_ms, 1000);
        for (name, value) in [
            ("PIDONE_GRACE", "soon"),
            ("PIDONE_PDEATHSIG", "SIGFOO"),
            ("PIDONE_REMAP_EXIT", "256"),
            ("PIDONE_REWRITE", "15:"),
            ("PIDONE_LOG_FORMAT", "xml"),
        ] {
            let env = [(name, value)];
            assert!(
                parse_with(&["pidone", "a"], &env).is_err(),
                "{name}={value}"
            );
        }
    }
}
