//! Target `values`: durations, signals, exit codes and rewrites, directly and through the
//! command line and the environment, against the plain models in `reference`.
//!
//! Input: the value text, used whole for every parser.

use pidone::cli::{Action, UsageError};
use pidone::config::{Config, Personality, TTY_STOPS};
use pidone::{duration, signals};

use crate::cli::Input;
use crate::reference;

pub fn init() {}

pub fn check(text: &[u8]) {
    let ms = duration::parse_ms(text);
    assert_eq!(ms, reference::duration_ms(text), "duration {text:?}");
    if let Some(ms) = ms {
        assert_eq!(duration::parse_ms(format!("{ms}ms").as_bytes()), Some(ms));
    }

    let sig = signals::parse(text);
    assert_eq!(sig, reference::signal(text), "signal {text:?}");
    if let Some(sig) = sig {
        assert_eq!(
            signals::parse(reference::signal_name(sig).as_bytes()),
            Some(sig)
        );
        assert_eq!(signals::parse(sig.to_string().as_bytes()), Some(sig));
        assert_eq!(signals::parse(&text.to_ascii_lowercase()), Some(sig));
    }

    // Through argv and the environment: argv words and variables hold no NUL.
    if text.contains(&0) {
        return;
    }
    for option in ["--grace", "-t"] {
        via(option, "PIDONE_GRACE", text, |got, named| match (ms, got) {
            (Some(ms), Ok(cfg)) => assert_eq!(cfg.shutdown.grace_ms, Some(ms), "{named}"),
            (None, Err(e)) => assert_eq!(e, (named.into(), text.to_vec())),
            (want, got) => panic!("{named} {text:?}: want {want:?}, got {got:?}"),
        });
    }
    // KILL, STOP and CHLD are signals, but never a stop signal pidone could receive.
    let stop = sig.filter(|s| ![libc::SIGKILL, libc::SIGSTOP, libc::SIGCHLD].contains(s));
    via(
        "--stop-signal",
        "PIDONE_STOP_SIGNAL",
        text,
        |got, named| match (stop, got) {
            (Some(sig), Ok(cfg)) => assert_eq!(cfg.shutdown.stop_signal, sig, "{named}"),
            (None, Err(e)) => assert_eq!(e, (named.into(), text.to_vec())),
            (want, got) => panic!("{named} {text:?}: want {want:?}, got {got:?}"),
        },
    );
    // Exit codes: each comma-separated item 0-255; the first bad one is quoted.
    let codes: Result<Vec<u8>, &[u8]> = text
        .split(|b| *b == b',')
        .map(|c| reference::exit_code(c).ok_or(c))
        .collect();
    for option in ["-e", "--remap-exit"] {
        via(option, "PIDONE_REMAP_EXIT", text, |got, named| {
            match (&codes, got) {
                (Ok(codes), Ok(cfg)) => {
                    for code in 0..=255u8 {
                        assert_eq!(cfg.zero_codes.contains(code), codes.contains(&code));
                    }
                }
                (Err(bad), Err(e)) => assert_eq!(e, (named.into(), bad.to_vec()), "{text:?}"),
                (want, got) => panic!("{named} {text:?}: want {want:?}, got {got:?}"),
            }
        });
    }
    // Rewrites, under pidone and under dumb-init, which adds its own for TSTP/TTIN/TTOU.
    let expected = reference::rewrite(text);
    let given = given_signals(text);
    for option in ["-r", "--rewrite"] {
        for argv0 in ["pidone", "dumb-init"] {
            via_as(argv0, option, "PIDONE_REWRITE", text, |got, named| {
                match (&expected, got) {
                    (Ok(map), Ok(cfg)) => {
                        for s in 1..=64 {
                            let mut want = map[s as usize];
                            if cfg.personality == Personality::DumbInit
                                && TTY_STOPS.contains(s)
                                && !given.contains(&s)
                            {
                                want = libc::SIGSTOP;
                            }
                            let got = cfg.forward_as(s).unwrap_or(0);
                            assert_eq!(got, want, "{argv0} {named} {text:?}: signal {s}");
                        }
                    }
                    (Err(bad), Err(e)) => {
                        assert_eq!(e, (named.into(), bad.to_vec()), "{argv0} {text:?}")
                    }
                    (want, got) => panic!("{argv0} {named} {text:?}: want {want:?}, got {got:?}"),
                }
            });
        }
    }
}

/// The FROM signals of a valid rewrite list.
fn given_signals(text: &[u8]) -> Vec<i32> {
    text.split(|b| *b == b',')
        .filter_map(|spec| {
            let colon = spec.iter().position(|b| *b == b':')?;
            reference::signal(&spec[..colon])
        })
        .collect()
}

type Outcome<'a> = Result<&'a Config<'a>, (String, Vec<u8>)>;

fn via(option: &str, var: &str, value: &[u8], f: impl FnMut(Outcome<'_>, &str)) {
    via_as("pidone", option, var, value, f)
}

/// The value given as `OPTION VALUE`, `OPTION=VALUE` (long) or `-XVALUE` (short), and as
/// the variable; `f` gets each outcome with the name the error must carry.
fn via_as(
    argv0: &str,
    option: &str,
    var: &str,
    value: &[u8],
    mut f: impl FnMut(Outcome<'_>, &str),
) {
    let mut inputs: Vec<(Input, &str)> = Vec::new();
    let command = b"true".to_vec();
    let separate = vec![argv0.into(), option.into(), value.to_vec(), command.clone()];
    inputs.push((
        Input {
            args: separate,
            env: vec![],
        },
        option,
    ));
    let mut joined = option.as_bytes().to_vec();
    if option.starts_with("--") {
        joined.push(b'=');
    }
    joined.extend_from_slice(value);
    // `-t` with an empty rest would take the next word as its value.
    if !value.is_empty() || option.starts_with("--") {
        let args = vec![argv0.into(), joined, command.clone()];
        inputs.push((Input { args, env: vec![] }, option));
    }
    let env = vec![(var.as_bytes().to_vec(), value.to_vec())];
    let args = vec![argv0.into(), command];
    inputs.push((Input { args, env }, var));
    for (input, named) in &inputs {
        match input.parse() {
            Ok(Action::Run(cfg)) => f(Ok(&cfg), named),
            Ok(_) => f(Err(("not a run".into(), vec![])), named),
            Err(UsageError { option, value, .. }) => f(
                Err((String::from_utf8_lossy(option).into_owned(), value.to_vec())),
                named,
            ),
        }
    }
}
