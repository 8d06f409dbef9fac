//! Target `cli`: argv plus environment under every name pidone answers to.
//!
//! Input: byte 0 picks argv[0]; the rest, split at NUL, is words. A word that starts with
//! 0x01 is an environment variable: its next byte picks a name of `pidone::cli::variables()`
//! (modulo their number, in the parser's order), the rest is the value; one that starts
//! with 0x02 is a raw `NAME=VALUE`. Every other word is an argument. Real option names come
//! from `pidone::cli::options()`: the fuzzer keeps no list of its own to drift.
//!
//! Properties:
//! - a `Run` round-trips: the Config rendered back as documented options (and, where no
//!   option exists, the documented variable) parses to the same Config;
//! - a usage error names the option or variable a bad value was given to, the name is a
//!   real one, and the quoted value is part of the input;
//! - `--help`/`--version`/`--license` as the first word answer whatever the environment.

use std::ffi::CStr;
use std::sync::LazyLock;

use pidone::cli::{self, Action, UsageError};
use pidone::config::{Config, Leftovers, Mode, NotPid1, OnOom, Personality, TTY_STOPS, Target};
use pidone::log::{Format, Level};

pub const ARGV0: [&str; 8] = [
    "pidone",
    "/usr/bin/pidone",
    "docker-init",
    "/sbin/tini",
    "tini-static",
    "dumb-init",
    "catatonit",
    "/run/podman-init",
];

/// Every variable pidone reads, in its parser's order (`pidone::cli::variables`); a 0x01
/// word's next byte picks one.
static VARS: LazyLock<Vec<&'static CStr>> = LazyLock::new(|| cli::variables().collect());

/// A command line and environment, as the process would get them.
#[derive(Debug, Default, Clone)]
pub struct Input {
    pub args: Vec<Vec<u8>>,
    pub env: Vec<(Vec<u8>, Vec<u8>)>,
}

impl Input {
    pub fn decode(data: &[u8]) -> Input {
        let (first, rest) = data.split_first().unwrap_or((&0, &[]));
        let mut input = Input {
            args: vec![ARGV0[usize::from(*first) % ARGV0.len()].into()],
            env: Vec::new(),
        };
        if rest.is_empty() {
            return input;
        }
        for word in rest.split(|b| *b == 0) {
            match word {
                [1, pick, value @ ..] => {
                    let name = VARS[usize::from(*pick) % VARS.len()];
                    input.env.push((name.to_bytes().into(), value.to_vec()));
                }
                [2, raw @ ..] => {
                    let eq = raw.iter().position(|b| *b == b'=').unwrap_or(raw.len());
                    let value = raw.get(eq + 1..).unwrap_or(b"");
                    input.env.push((raw[..eq].to_vec(), value.to_vec()));
                }
                _ => input.args.push(word.to_vec()),
            }
        }
        input
    }

    /// `getenv`: the first entry of that name.
    fn getenv(&self, name: &CStr) -> Option<&[u8]> {
        let name = name.to_bytes();
        self.env
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }

    pub fn parse(&self) -> Result<Action<'_>, UsageError<'_>> {
        cli::parse(
            |i| self.args.get(i).map(Vec::as_slice),
            |name| self.getenv(name),
        )
    }
}

pub fn init() {}

pub fn check(data: &[u8]) {
    let input = Input::decode(data);
    let result = input.parse();
    if let Some(first) = input.args.get(1) {
        let expected = match first.as_slice() {
            b"-h" | b"--help" => Some("help"),
            b"-V" | b"--version" => Some("version"),
            b"-l" | b"-L" | b"--license" => Some("license"),
            _ => None,
        };
        if let Some(expected) = expected {
            assert_eq!(action_name(&result), expected, "{input:?}");
        }
    }
    match result {
        Ok(Action::Run(cfg)) => round_trip(&input, &cfg),
        Ok(_) => {}
        Err(e) => check_error(&input, &e),
    }
}

fn action_name(result: &Result<Action<'_>, UsageError<'_>>) -> &'static str {
    match result {
        Ok(Action::Run(_)) => "run",
        Ok(Action::Help) => "help",
        Ok(Action::Version) => "version",
        Ok(Action::License) => "license",
        Err(_) => "usage error",
    }
}

/// Problems with the word itself, not with a value given to an option.
const WORD_PROBLEMS: [&str; 4] = [
    "unknown option",
    "ambiguous option",
    "option takes no value",
    "missing value for option",
];
/// Problems with the command line as a whole.
const LINE_PROBLEMS: [&str; 2] = ["no command given", "pause mode (-P) runs no command"];

fn check_error(input: &Input, e: &UsageError<'_>) {
    let show = || format!("{input:?} -> {e:?}");
    assert!(!e.problem.is_empty(), "{}", show());
    if LINE_PROBLEMS.contains(&e.problem) {
        return;
    }
    if WORD_PROBLEMS.contains(&e.problem) {
        // The word is quoted, and it is one of the arguments.
        assert!(
            input.args.iter().skip(1).any(|a| a.as_slice() == e.value),
            "{}",
            show()
        );
        return;
    }
    // A bad value: the option or variable it was given to is named, and is a real one.
    assert!(!e.option.is_empty(), "no option named: {}", show());
    let named = e.option;
    let real = if let Some(long) = named.strip_prefix(b"--") {
        cli::options().any(|(l, _)| l.as_bytes().starts_with(long)) && !long.is_empty()
    } else if let [b'-', letter] = named {
        cli::options().any(|(_, short)| short == *letter && short != 0)
    } else {
        VARS.iter().any(|v| v.to_bytes() == named) && input.env.iter().any(|(n, _)| n == named)
    };
    assert!(real, "not an option or variable given: {}", show());
    // The quoted value comes from the input (whole, or one comma-separated item of it).
    let inside =
        |word: &[u8]| e.value.is_empty() || word.windows(e.value.len()).any(|w| w == e.value);
    assert!(
        input.args.iter().any(|a| inside(a)) || input.env.iter().any(|(_, v)| inside(v)),
        "quoted value not in the input: {}",
        show()
    );
}

/// Renders `cfg` back as the options (and variables) `--help` documents.
pub fn render(cfg: &Config<'_>, original: &Input) -> Input {
    let defaults = Config::defaults(cfg.personality);
    let mut args: Vec<Vec<u8>> = vec![original.args[0].clone()];
    let mut env: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let mut opt = |s: &[u8]| args.push(s.to_vec());

    opt(match cfg.target {
        Target::Child => b"-c",
        Target::Group => b"-g",
    });
    let sd = &cfg.shutdown;
    if sd.stop_signal != defaults.shutdown.stop_signal {
        opt(format!("--stop-signal={}", sd.stop_signal).as_bytes());
    }
    if let Some(ms) = sd.grace_ms {
        opt(format!("--grace={ms}ms").as_bytes());
    }
    if sd.stop_delay_ms != 0 {
        opt(format!("--stop-delay={}ms", sd.stop_delay_ms).as_bytes());
    }
    match sd.leftovers {
        Leftovers::Drain => opt(b"--drain"),
        Leftovers::Leave => opt(b"--no-drain"),
        Leftovers::WaitAll => opt(b"--wait-all"),
        // dumb-init's own default: no option names it.
        Leftovers::TermGroup => {}
    }
    match cfg.not_pid1 {
        NotPid1::Subreaper => opt(b"-s"),
        // Off: only the variable says it.
        NotPid1::Quiet if defaults.not_pid1 != NotPid1::Quiet => {
            env.push((b"PIDONE_SUBREAPER".to_vec(), b"0".to_vec()))
        }
        _ => {}
    }
    if let Some(sig) = cfg.pdeathsig {
        opt(format!("--pdeathsig={sig}").as_bytes());
    }
    if cfg.reap_level == Level::Warn {
        opt(b"-w");
    }
    let codes: Vec<String> = (0..=255u8)
        .filter(|c| cfg.zero_codes.contains(*c))
        .map(|c| c.to_string())
        .collect();
    if !codes.is_empty() {
        opt(format!("--remap-exit={}", codes.join(",")).as_bytes());
    }
    let rewrites: Vec<String> = (1..=64)
        .filter(|sig| {
            cfg.forward_as(*sig) != Some(*sig)
                || (cfg.personality == Personality::DumbInit && TTY_STOPS.contains(*sig))
        })
        .map(|sig| format!("{sig}:{}", cfg.forward_as(sig).unwrap_or(0)))
        .collect();
    if !rewrites.is_empty() {
        opt(format!("--rewrite={}", rewrites.join(",")).as_bytes());
    }
    if cfg.log.format == Format::Json {
        opt(b"--log-format=json");
    }
    if cfg.log.verbosity == 0 {
        env.push((b"PIDONE_VERBOSITY".to_vec(), b"0".to_vec()));
    }
    for _ in 1..cfg.log.verbosity {
        opt(b"-v");
    }
    if let Some(user) = cfg.user {
        let mut o = b"--user=".to_vec();
        o.extend_from_slice(user);
        opt(&o);
    }
    if cfg.no_new_privs {
        opt(b"--no-new-privs");
    }
    if let Some(path) = cfg.termination_log {
        opt(b"--termination-log");
        opt(path);
    }
    if cfg.env_from_files {
        opt(b"--env-from-files");
    }
    match cfg.on_oom {
        OnOom::Ignore => {}
        OnOom::Log => opt(b"--on-oom=log"),
        OnOom::Exit => opt(b"--on-oom=exit"),
    }
    // The timing options alone also make a (URL-less) watchdog, so all three are given.
    if let Some(dog) = cfg.watchdog {
        if !dog.url.is_empty() {
            let mut o = b"--watchdog=".to_vec();
            o.extend_from_slice(dog.url);
            opt(&o);
        }
        opt(format!("--watchdog-interval={}ms", dog.interval_ms).as_bytes());
        opt(format!("--watchdog-start-period={}ms", dog.start_ms).as_bytes());
        opt(format!("--watchdog-retries={}", dog.retries).as_bytes());
    }
    match cfg.mode {
        Mode::Pause => opt(b"--pause"),
        Mode::Command(i) => {
            opt(b"--");
            for word in &original.args[i..] {
                opt(word);
            }
        }
    }
    Input { args, env }
}

fn round_trip(input: &Input, cfg: &Config<'_>) {
    if let Mode::Command(i) = cfg.mode {
        assert!(i >= 1 && i < input.args.len(), "{input:?} -> {cfg:?}");
    }
    let rendered = render(cfg, input);
    let again = match rendered.parse() {
        Ok(Action::Run(again)) => again,
        Ok(_) => panic!("{input:?}\nrendered as {rendered:?}: not a run"),
        Err(e) => panic!("{input:?}\nrendered as {rendered:?}: {e:?}"),
    };
    let mut again = again;
    if let (Mode::Command(i), Mode::Command(j)) = (cfg.mode, again.mode) {
        assert_eq!(input.args[i..], rendered.args[j..], "{rendered:?}");
        again.mode = cfg.mode;
    }
    assert_eq!(
        &again, cfg,
        "\n{input:?}\nrendered as {rendered:?}\ndoes not parse to the same Config"
    );
}
