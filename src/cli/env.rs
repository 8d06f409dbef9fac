//! Environment variables: tini's, dumb-init's and catatonit's with their own meanings, and
//! a `PIDONE_*` variable for each of pidone's options.

use core::ffi::CStr;

use super::options::{self, Id};
use super::{Draft, Parsed, values};
use crate::config::{NotPid1, Target};

/// pidone's flag variables, each `1/true/yes/on` or `0/false/no/off`.
const FLAGS: [(&CStr, Id); 10] = [
    (c"PIDONE_SINGLE_CHILD", Id::SingleChild),
    (c"PIDONE_PROCESS_GROUP", Id::Group),
    (c"PIDONE_DRAIN", Id::Drain),
    (c"PIDONE_NO_DRAIN", Id::NoDrain),
    (c"PIDONE_WAIT_ALL", Id::WaitAll),
    (c"PIDONE_SUBREAPER", Id::Subreaper),
    (c"PIDONE_WARN_REAP", Id::WarnReap),
    (c"PIDONE_PAUSE", Id::Pause),
    (c"PIDONE_NO_NEW_PRIVS", Id::NoNewPrivs),
    (c"PIDONE_ENV_FROM_FILES", Id::EnvFromFiles),
];

/// pidone's valued variables, read as the option's value.
const VALUED: [(&CStr, Id); 13] = [
    (c"PIDONE_GRACE", Id::Grace),
    (c"PIDONE_STOP_DELAY", Id::StopDelay),
    (c"PIDONE_STOP_SIGNAL", Id::StopSignal),
    (c"PIDONE_PDEATHSIG", Id::Pdeathsig),
    (c"PIDONE_REMAP_EXIT", Id::RemapExit),
    (c"PIDONE_REWRITE", Id::Rewrite),
    (c"PIDONE_USER", Id::User),
    (c"PIDONE_TERMINATION_LOG", Id::TerminationLog),
    (c"PIDONE_ON_OOM", Id::OnOom),
    (c"PIDONE_WATCHDOG", Id::Watchdog),
    (c"PIDONE_WATCHDOG_INTERVAL", Id::WatchdogInterval),
    (c"PIDONE_WATCHDOG_START_PERIOD", Id::WatchdogStart),
    (c"PIDONE_WATCHDOG_RETRIES", Id::WatchdogRetries),
];

// The variables with a meaning of their own, read before the two tables, in this order.
const LOG_FORMAT: &CStr = c"PIDONE_LOG_FORMAT";
const TINI_SUBREAPER: &CStr = c"TINI_SUBREAPER";
const TINI_KILL_PROCESS_GROUP: &CStr = c"TINI_KILL_PROCESS_GROUP";
const TINI_VERBOSITY: &CStr = c"TINI_VERBOSITY";
const DUMB_INIT_SETSID: &CStr = c"DUMB_INIT_SETSID";
const DUMB_INIT_DEBUG: &CStr = c"DUMB_INIT_DEBUG";
const CATATONIT_DEBUG: &CStr = c"CATATONIT_DEBUG";
const VERBOSITY: &CStr = c"PIDONE_VERBOSITY";
const OWN: [&CStr; 8] = [
    LOG_FORMAT,
    TINI_SUBREAPER,
    TINI_KILL_PROCESS_GROUP,
    TINI_VERBOSITY,
    DUMB_INIT_SETSID,
    DUMB_INIT_DEBUG,
    CATATONIT_DEBUG,
    VERBOSITY,
];

/// Every variable the parser reads, in the order it reads them (for the fuzzers and tests;
/// `cli::tests` checks that `apply` asks for these and no other).
pub fn variables() -> impl Iterator<Item = &'static CStr> {
    let tables = FLAGS.into_iter().chain(VALUED).map(|(name, _)| name);
    OWN.into_iter().chain(tables)
}

pub(super) fn apply<'a>(
    draft: &mut Draft<'a>,
    env: &impl Fn(&CStr) -> Option<&'a [u8]>,
) -> Parsed<'a, ()> {
    // First, so that a usage error in any other variable is written in this format.
    if let Some(v) = env(LOG_FORMAT) {
        options::apply(draft, Id::LogFormat, v).map_err(|e| e.given_to(LOG_FORMAT.to_bytes()))?;
    }
    let cfg = &mut draft.cfg;
    // tini: presence alone turns these on, even when empty.
    if env(TINI_SUBREAPER).is_some() {
        cfg.not_pid1 = NotPid1::Subreaper;
    }
    if env(TINI_KILL_PROCESS_GROUP).is_some() {
        cfg.target = Target::Group;
    }
    if let Some(v) = env(TINI_VERBOSITY) {
        cfg.log.verbosity = values::tini_verbosity(v);
    }
    // dumb-init: exactly these values, anything else is ignored as dumb-init does.
    if env(DUMB_INIT_SETSID) == Some(b"0") {
        cfg.target = Target::Child;
    }
    if env(DUMB_INIT_DEBUG) == Some(b"1") {
        cfg.log.verbosity = cfg.log.verbosity.max(3);
    }
    // catatonit: any value turns debugging on.
    if env(CATATONIT_DEBUG).is_some() {
        cfg.log.verbosity = cfg.log.verbosity.max(3);
    }

    if let Some(v) = env(VERBOSITY) {
        cfg.log.verbosity = values::verbosity(v).map_err(|e| e.given_to(VERBOSITY.to_bytes()))?;
    }
    for (name, id) in FLAGS {
        if let Some(v) = env(name) {
            if values::boolean(v).map_err(|e| e.given_to(name.to_bytes()))? {
                options::apply(draft, id, b"")?;
            } else {
                options::unset(draft, id);
            }
        }
    }
    for (name, id) in VALUED {
        if let Some(v) = env(name) {
            options::apply(draft, id, v).map_err(|e| e.given_to(name.to_bytes()))?;
        }
    }
    Ok(())
}
