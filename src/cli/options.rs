//! The option table and what each option does to the `Config` being built.

use super::values;
use super::{Action, Draft, Parsed, bad};
use crate::config::{Leftovers, NotPid1, Personality, Target};
use crate::log::{Format, Level};

/// `--help` text; every option's variable is named in it.
pub const HELP: &str = include_str!("help.txt");

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Id {
    Help,
    Version,
    License,
    Verbose,
    Grace,
    StopDelay,
    StopSignal,
    SingleChild,
    Group,
    Drain,
    NoDrain,
    WaitAll,
    Subreaper,
    Pdeathsig,
    WarnReap,
    RemapExit,
    Rewrite,
    Pause,
    LogFormat,
    User,
    NoNewPrivs,
    TerminationLog,
    EnvFromFiles,
    OnOom,
    Watchdog,
    WatchdogInterval,
    WatchdogStart,
    WatchdogRetries,
}

pub(super) struct Opt {
    pub id: Id,
    long: &'static str,
    /// The short letter, or 0 for none.
    short: u8,
    pub takes_value: bool,
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
const OPTIONS: [Opt; 29] = [
    opt(Id::Help, "help", b'h', false),
    opt(Id::Version, "version", b'V', false),
    opt(Id::License, "license", b'l', false),
    opt(Id::License, "license", b'L', false),
    opt(Id::Verbose, "verbose", b'v', false),
    opt(Id::Grace, "grace", b't', true),
    opt(Id::StopDelay, "stop-delay", 0, true),
    opt(Id::StopSignal, "stop-signal", 0, true),
    opt(Id::SingleChild, "single-child", b'c', false),
    opt(Id::Group, "process-group", b'g', false),
    opt(Id::Drain, "drain", 0, false),
    opt(Id::NoDrain, "no-drain", 0, false),
    opt(Id::WaitAll, "wait-all", 0, false),
    opt(Id::Subreaper, "subreaper", b's', false),
    opt(Id::Pdeathsig, "pdeathsig", b'p', true),
    opt(Id::WarnReap, "warn-reap", b'w', false),
    opt(Id::RemapExit, "remap-exit", b'e', true),
    opt(Id::Rewrite, "rewrite", b'r', true),
    opt(Id::Pause, "pause", b'P', false),
    opt(Id::LogFormat, "log-format", 0, true),
    opt(Id::User, "user", b'u', true),
    opt(Id::NoNewPrivs, "no-new-privs", 0, false),
    opt(Id::TerminationLog, "termination-log", 0, true),
    opt(Id::EnvFromFiles, "env-from-files", 0, false),
    opt(Id::OnOom, "on-oom", 0, true),
    opt(Id::Watchdog, "watchdog", 0, true),
    opt(Id::WatchdogInterval, "watchdog-interval", 0, true),
    opt(Id::WatchdogStart, "watchdog-start-period", 0, true),
    opt(Id::WatchdogRetries, "watchdog-retries", 0, true),
];

/// Every option's long name and short letter (0 for none), in the table's order, for the
/// fuzzers and tests (`-l` and `-L` are both `license`).
pub fn names() -> impl Iterator<Item = (&'static str, u8)> {
    OPTIONS.iter().map(|o| (o.long, o.short))
}

/// The option `--NAME` names: an exact name, or as getopt_long (dumb-init's parser) allows,
/// a prefix that only one option starts with (`--single` for `--single-child`).
pub(super) fn find_long(name: &[u8]) -> Result<&'static Opt, &'static str> {
    if let Some(exact) = OPTIONS.iter().find(|o| o.long.as_bytes() == name) {
        return Ok(exact);
    }
    let mut found: Option<&'static Opt> = None;
    for o in OPTIONS.iter() {
        if !name.is_empty() && o.long.as_bytes().starts_with(name) {
            match found {
                Some(f) if f.id != o.id => return Err("ambiguous option"),
                _ => found = Some(o),
            }
        }
    }
    found.ok_or("unknown option")
}

pub(super) fn find_short(letter: u8) -> Option<&'static Opt> {
    OPTIONS.iter().find(|o| o.short == letter && letter != 0)
}

/// `-X` for every short option letter, for naming the option in a usage error.
const SHORT_NAMES: &[u8] = b"-h-V-l-L-v-t-c-g-s-p-w-e-r-P-u";

pub(super) fn short_name(letter: u8) -> &'static [u8] {
    let at = SHORT_NAMES.iter().position(|b| *b == letter).unwrap_or(0);
    SHORT_NAMES
        .get(at.saturating_sub(1)..at.saturating_add(1))
        .unwrap_or(b"")
}

/// Applies one option. Returns an action that ends parsing (help, version, license).
pub(super) fn apply<'a>(
    draft: &mut Draft<'a>,
    id: Id,
    value: &'a [u8],
) -> Parsed<'a, Option<Action<'a>>> {
    let cfg = &mut draft.cfg;
    match id {
        Id::Help => return Ok(Some(Action::Help)),
        Id::Version => return Ok(Some(Action::Version)),
        Id::License => return Ok(Some(Action::License)),
        Id::Verbose => cfg.log.verbosity = cfg.log.verbosity.saturating_add(1),
        Id::Grace => cfg.shutdown.grace_ms = Some(values::duration(value)?),
        Id::StopDelay => cfg.shutdown.stop_delay_ms = values::duration(value)?,
        Id::StopSignal => cfg.shutdown.stop_signal = values::stop_signal(value)?,
        Id::SingleChild => cfg.target = Target::Child,
        Id::Group => cfg.target = Target::Group,
        Id::Drain | Id::NoDrain | Id::WaitAll => {
            cfg.shutdown.leftovers = match id {
                Id::Drain => Leftovers::Drain,
                Id::NoDrain => Leftovers::Leave,
                _ => Leftovers::WaitAll,
            };
            draft.leftovers_chosen = true;
        }
        Id::Subreaper => cfg.not_pid1 = NotPid1::Subreaper,
        Id::Pdeathsig => {
            let tini = cfg.personality == Personality::Tini;
            cfg.pdeathsig = Some(values::pdeathsig(value, tini)?);
        }
        Id::WarnReap => cfg.reap_level = Level::Warn,
        Id::RemapExit => {
            for code in value.split(|b| *b == b',') {
                cfg.zero_codes.add(values::exit_code(code)?);
            }
        }
        Id::Rewrite => {
            for spec in value.split(|b| *b == b',') {
                let (from, to) = values::rewrite(spec)?;
                cfg.rewrite.set(from, to);
                draft.rewritten = draft.rewritten.with(from);
            }
        }
        Id::Pause => draft.pause = true,
        Id::LogFormat => {
            cfg.log.format = match value {
                b"json" => Format::Json,
                b"text" => Format::Text,
                _ => return bad("log format must be 'text' or 'json', not", value),
            }
        }
        Id::User => {
            if value.is_empty() {
                return bad("empty user", value);
            }
            // `:GROUP` would be uid 0 under runc's rules and the empty passwd name under
            // a naive lookup: never what was meant, so neither.
            if value.first() == Some(&b':') {
                return bad("empty user name in", value);
            }
            cfg.user = Some(value);
        }
        Id::NoNewPrivs => cfg.no_new_privs = true,
        Id::TerminationLog => cfg.termination_log = Some(value),
        Id::EnvFromFiles => cfg.env_from_files = true,
        Id::OnOom => {
            cfg.on_oom = match value {
                b"exit" => crate::oom::OnOom::Exit,
                b"log" => crate::oom::OnOom::Log,
                b"ignore" => crate::oom::OnOom::Ignore,
                _ => return bad("--on-oom takes 'log', 'exit' or 'ignore', not", value),
            }
        }
        Id::Watchdog if crate::health::url_ok(value) => {
            let timing = cfg
                .watchdog
                .unwrap_or(crate::watchdog::Watchdog::new(value));
            cfg.watchdog = Some(crate::watchdog::Watchdog {
                url: value,
                ..timing
            });
        }
        Id::Watchdog => return bad("not a URL 'pidone health' can check", value),
        Id::WatchdogInterval | Id::WatchdogStart | Id::WatchdogRetries => {
            // Set before or after --watchdog; without it, they change nothing.
            let mut dog = cfg.watchdog.unwrap_or(crate::watchdog::Watchdog::new(b""));
            let ms = |v| values::duration(v).map(|ms| u32::try_from(ms).unwrap_or(u32::MAX));
            match id {
                Id::WatchdogInterval => dog.interval_ms = ms(value)?.max(1),
                Id::WatchdogStart => dog.start_ms = ms(value)?,
                _ => match crate::decimal::parse(value, 255) {
                    Some(n @ 1..=255) => dog.retries = n as u8,
                    _ => return bad("retries must be 1-255, not", value),
                },
            }
            cfg.watchdog = Some(dog);
        }
    }
    Ok(None)
}

/// Turns a flag option off (`PIDONE_X=0`); for the paired options that is the other one.
pub(super) fn unset(draft: &mut Draft<'_>, id: Id) {
    let defaults = crate::config::Config::defaults(draft.cfg.personality);
    let cfg = &mut draft.cfg;
    match id {
        Id::SingleChild => cfg.target = Target::Group,
        Id::Group => cfg.target = Target::Child,
        Id::Drain | Id::NoDrain | Id::WaitAll => {
            cfg.shutdown.leftovers = match id {
                Id::Drain => Leftovers::Leave,
                Id::NoDrain => Leftovers::Drain,
                _ => defaults.shutdown.leftovers,
            };
            draft.leftovers_chosen = id != Id::WaitAll;
        }
        Id::Subreaper => {
            // Off means the name's own behaviour without a subreaper: tini warns.
            cfg.not_pid1 = match defaults.not_pid1 {
                NotPid1::Subreaper => NotPid1::Quiet,
                other => other,
            }
        }
        Id::WarnReap => cfg.reap_level = Level::Debug,
        Id::Pause => draft.pause = false,
        Id::NoNewPrivs => cfg.no_new_privs = false,
        Id::EnvFromFiles => cfg.env_from_files = false,
        _ => {}
    }
}
