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
use crate::log::Format;
use crate::sys::SignalSet;

pub use env::variables;
pub use options::{HELP, names as options};

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
    /// The format to write the error in (`--log-format`, PIDONE_LOG_FORMAT).
    pub format: Format,
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
        format: Format::Text,
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

    let mut words = Words {
        arg,
        next: 1,
        cluster: b"",
        at: 0,
        done: false,
    };
    let mut failed = None;
    while let Some(item) = words.next() {
        let applied = item.and_then(|(opt, value, given)| {
            options::apply(&mut draft, opt.id, value).map_err(|e| e.given_to(given))
        });
        match applied {
            Ok(Some(action)) => return Ok(action),
            Ok(None) => {}
            Err(e) => {
                failed = Some(e);
                break;
            }
        }
    }
    let failed = failed.or(env_result.err());
    if let Some(mut err) = failed {
        // The error line is written in the format asked for, also by an option after the
        // bad one (or by PIDONE_LOG_FORMAT, read first): then every line is JSON.
        let mut format = draft.cfg.log.format;
        while let Some(item) = words.next() {
            if let Ok((opt, value, _)) = item {
                format = match (opt.id, value) {
                    (options::Id::LogFormat, b"json") => Format::Json,
                    (options::Id::LogFormat, b"text") => Format::Text,
                    _ => format,
                };
            }
        }
        err.format = format;
        return Err(err);
    }
    let command = words.next;
    let format = draft.cfg.log.format;
    finish(draft, command, (words.arg)(command).is_some())
        .map(Action::Run)
        .map_err(|e| UsageError { format, ..e })
}

/// The options of a command line, one at a time: each with its value and the name it was
/// given as (`--grace`, `-e`), or the error of a word that is none. They end at `--` or at
/// the first word that is not an option; `next` is then the command's index.
struct Words<'a, F> {
    arg: F,
    /// The next word to read.
    next: usize,
    /// A cluster of short options being read (`-vvv`), and where in it.
    cluster: &'a [u8],
    at: usize,
    done: bool,
}

type Word<'a> = Parsed<'a, (&'static options::Opt, &'a [u8], &'a [u8])>;

impl<'a, F: Fn(usize) -> Option<&'a [u8]>> Words<'a, F> {
    /// The word after the current one, as an option's value.
    fn value(&mut self) -> Option<&'a [u8]> {
        let v = (self.arg)(self.next);
        self.next = self.next.saturating_add(1);
        v
    }

    fn next(&mut self) -> Option<Word<'a>> {
        if self.done {
            return None;
        }
        if let Some(&c) = self.cluster.get(self.at) {
            // A cluster of short options: `-vvv`, `-sg`, `-e143`, `-p SIGKILL`.
            let word = self.cluster;
            self.at = self.at.saturating_add(1);
            let Some(opt) = options::find_short(c) else {
                self.at = word.len();
                return Some(bad("unknown option", word));
            };
            let mut value: &[u8] = b"";
            if opt.takes_value {
                value = match word.get(self.at..) {
                    Some(rest) if !rest.is_empty() => rest,
                    _ => match self.value() {
                        Some(v) => v,
                        None => return Some(bad("missing value for option", word)),
                    },
                };
                self.at = word.len();
            }
            return Some(Ok((opt, value, options::short_name(c))));
        }
        let Some(word) = (self.arg)(self.next) else {
            self.done = true;
            return None;
        };
        if word == b"--" {
            self.next = self.next.saturating_add(1);
            self.done = true;
            return None;
        }
        if let Some(long) = bytes::after(word, b"--") {
            self.next = self.next.saturating_add(1);
            let (name, inline) = match bytes::split_once(long, b'=') {
                Some((name, value)) => (name, Some(value)),
                None => (long, None),
            };
            let opt = match options::find_long(name) {
                Ok(opt) => opt,
                Err(problem) => return Some(bad(problem, word)),
            };
            let value = if opt.takes_value {
                match inline.or_else(|| self.value()) {
                    Some(v) => v,
                    None => return Some(bad("missing value for option", word)),
                }
            } else if inline.is_some() {
                return Some(bad("option takes no value", word));
            } else {
                b""
            };
            let given = word.get(..name.len().saturating_add(2)).unwrap_or(word);
            return Some(Ok((opt, value, given)));
        }
        if word.len() > 1 && word.first() == Some(&b'-') {
            self.next = self.next.saturating_add(1);
            self.cluster = word;
            self.at = 1;
            return self.next();
        }
        self.done = true;
        None
    }
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
