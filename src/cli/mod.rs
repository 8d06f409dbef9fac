//! The command line and the environment, read once into a `Config`.
//!
//! One parser accepts the union of pidone's, tini's, dumb-init's and catatonit's options
//! (they do not collide). Defaults come from the personality, the name pidone runs as;
//! environment variables override them, and options override both. Options end at `--` or
//! at the first word that is not an option, so `pidone sh -c 'x' -v` passes `-v` to sh.
//! `--help` and `--version` answer whatever the environment holds: `docker info` runs
//! `docker-init --version` in the daemon's environment, which may carry a bad PIDONE_*.

mod env;
mod options;
mod values;

#[cfg(test)]
mod tests;

use core::ffi::CStr;

use crate::bytes;
use crate::config::{Config, Leftovers, Mode, Personality, Start, Target};
use crate::sys::SignalSet;

pub use options::HELP;

/// pidone's license, printed by `-l` / `-L` / `--license`.
pub const LICENSE: &str = include_str!("../../LICENSE");

// Built once, on the stack, and matched at once: boxing it (no heap here) is not an option.
#[allow(clippy::large_enum_variant)]
pub enum Action<'a> {
    Run(Config<'a>),
    Help,
    Version,
    License,
}

/// A bad command line or environment: a one-line message and the personality's usage
/// exit status.
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

/// A `Config` being built, with what the user chose explicitly: defaults that depend on
/// more than one option are settled from it in `finish`.
struct Draft<'a> {
    cfg: Config<'a>,
    /// `--drain`, `--no-drain` or `--wait-all` (or their variables) was given.
    leftovers_chosen: bool,
    /// Signals given a rewrite with `-r`: dumb-init's own defaults must not override them.
    rewritten: SignalSet,
    pause: bool,
}

/// Reads the options in `arg(1)`, `arg(2)`, ... (`arg(0)` names the personality) and the
/// environment through `env`.
pub fn parse<'a>(
    arg: impl Fn(usize) -> Option<&'a [u8]>,
    env: impl Fn(&CStr) -> Option<&'a [u8]>,
) -> Parsed<'a, Action<'a>> {
    let personality = Personality::from_argv0(arg(0).unwrap_or(b""));
    let mut draft = Draft {
        cfg: Config::defaults(personality),
        leftovers_chosen: false,
        rewritten: SignalSet::EMPTY,
        pause: false,
    };
    // An environment error waits until the command line has been read: `--help` and
    // `--version` must still answer.
    let env_result = env::apply(&mut draft, &env);

    let mut i = 1;
    while let Some(word) = arg(i) {
        i = i.saturating_add(1);
        if word == b"--" {
            break;
        }
        if let Some(long) = bytes::after(word, b"--") {
            let (name, inline) = match bytes::split_once(long, b'=') {
                Some((name, value)) => (name, Some(value)),
                None => (long, None),
            };
            let opt = options::find_long(name).map_err(|problem| UsageError {
                option: b"",
                problem,
                value: word,
            })?;
            let value = if opt.takes_value {
                match inline.or_else(|| {
                    i = i.saturating_add(1);
                    arg(i.saturating_sub(1))
                }) {
                    Some(v) => Some(v),
                    None => return bad("missing value for option", word),
                }
            } else if inline.is_some() {
                return bad("option takes no value", word);
            } else {
                None
            };
            let given = word.get(..name.len().saturating_add(2)).unwrap_or(word);
            let applied = options::apply(&mut draft, opt.id, value.unwrap_or(b""));
            if let Some(action) = applied.map_err(|e| e.given_to(given))? {
                return Ok(action);
            }
        } else if word.len() > 1 && word.first() == Some(&b'-') {
            // A cluster of short options: `-vvv`, `-sg`, `-e143`, `-p SIGKILL`.
            let mut j = 1;
            while let Some(&c) = word.get(j) {
                j = j.saturating_add(1);
                let Some(opt) = options::find_short(c) else {
                    return bad("unknown option", word);
                };
                let mut value: &[u8] = b"";
                if opt.takes_value {
                    value = match word.get(j..) {
                        Some(rest) if !rest.is_empty() => rest,
                        _ => {
                            i = i.saturating_add(1);
                            match arg(i.saturating_sub(1)) {
                                Some(v) => v,
                                None => return bad("missing value for option", word),
                            }
                        }
                    };
                    j = word.len();
                }
                let applied = options::apply(&mut draft, opt.id, value);
                if let Some(action) = applied.map_err(|e| e.given_to(options::short_name(c)))? {
                    return Ok(action);
                }
            }
        } else {
            i = i.saturating_sub(1);
            break;
        }
    }
    env_result?;
    finish(draft, i, arg(i).is_some()).map(Action::Run)
}

/// Settles what depends on more than one option, and checks the command.
fn finish(mut draft: Draft<'_>, command: usize, has_command: bool) -> Parsed<'_, Config<'_>> {
    let cfg = &mut draft.cfg;
    cfg.mode = match (draft.pause, has_command) {
        (true, true) => return bad("pause mode (-P) runs no command", b""),
        (true, false) => Mode::Pause,
        (false, true) => Mode::Command(command),
        (false, false) => return bad("no command given", b""),
    };
    if cfg.personality.meaning().setsid_mode {
        if cfg.target == Target::Child {
            // dumb-init's single-child mode (-c, DUMB_INIT_SETSID=0): no new session, and
            // leftovers are left alone.
            cfg.start = Start::Group;
            if !draft.leftovers_chosen {
                cfg.shutdown.leftovers = Leftovers::Leave;
            }
        } else {
            // Setsid mode: the child's group is orphaned, where the kernel ignores
            // SIGTSTP/TTIN/TTOU, so they become SIGSTOP unless the user said otherwise.
            for sig in [libc::SIGTSTP, libc::SIGTTIN, libc::SIGTTOU] {
                if !draft.rewritten.contains(sig) {
                    cfg.rewrite.set(sig, Some(libc::SIGSTOP));
                }
            }
        }
    }
    Ok(draft.cfg)
}
