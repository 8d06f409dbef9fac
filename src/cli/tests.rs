use super::*;
use crate::config::{JobControl, Leftovers, Mode, NotPid1, Personality, Start, Target};
use crate::log::{Format, Level};
use std::vec::Vec;

/// Parses `argv` (argv[0] names the personality) with `env` as the environment.
fn parse_with<'a>(argv: &'a [&'a str], env: &'a [(&'a str, &'a str)]) -> Parsed<'a, Action<'a>> {
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

fn leftovers<'a>(argv: &'a [&'a str], env: &'a [(&'a str, &'a str)]) -> Leftovers {
    config(argv, env).shutdown.leftovers
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
    assert_eq!((t.start, t.target), (Start::Group, Target::Child));
    assert_eq!(t.shutdown.leftovers, Leftovers::Leave);
    assert_eq!(t.not_pid1, NotPid1::Warn);
    assert_eq!(t.mode, Mode::Command(2));
    let d = config(&["dumb-init", "app"], &[]);
    assert_eq!((d.start, d.target), (Start::Session, Target::Group));
    assert_eq!(d.shutdown.leftovers, Leftovers::TermGroup);
    assert_eq!(
        (d.not_pid1, d.job_control),
        (NotPid1::Quiet, JobControl::StopSelf)
    );
    assert_eq!(d.forward_as(libc::SIGTSTP), Some(libc::SIGSTOP));
    assert_eq!(d.forward_as(libc::SIGTTIN), Some(libc::SIGSTOP));
    assert_eq!(d.forward_as(libc::SIGTTOU), Some(libc::SIGSTOP));
    assert_eq!(d.forward_as(libc::SIGTERM), Some(libc::SIGTERM));
    let c = config(&["catatonit", "--", "app"], &[]);
    assert_eq!((c.start, c.target), (Start::Group, Target::Child));
    assert_eq!(c.shutdown.leftovers, Leftovers::Leave);
    assert_eq!(c.not_pid1, NotPid1::Subreaper);
    let p = config(&["pidone", "app"], &[]);
    assert_eq!((p.start, p.target), (Start::Group, Target::Child));
    assert_eq!(p.shutdown.leftovers, Leftovers::Drain);
    assert_eq!(
        (p.not_pid1, p.job_control),
        (NotPid1::Subreaper, JobControl::KeepRunning)
    );
    for cfg in [&t, &d, &c, &p] {
        assert_eq!(cfg.shutdown.grace_ms, None, "no deadline unless one is set");
        assert_eq!(cfg.shutdown.stop_signal, libc::SIGTERM);
        assert_eq!(cfg.shutdown.drain_ms(), 10_000);
        assert_eq!(cfg.log.verbosity, 1);
    }
    for name in ["pidone", "tini", "dumb-init", "catatonit", "podman-init"] {
        let argv = [name, "app"];
        let c = config(&argv, &[("PIDONE_GRACE", "3s")]);
        assert_eq!(
            c.shutdown.grace_ms,
            Some(3000),
            "{name}: a PIDONE variable sets one"
        );
        assert_eq!(c.shutdown.drain_ms(), 3000);
    }
}

#[test]
fn dumb_init_single_child_turns_off_session_mode() {
    for (argv, env) in [
        (&["dumb-init", "-c", "app"][..], &[][..]),
        (&["dumb-init", "--single-child", "app"], &[]),
        (&["dumb-init", "--single", "app"], &[]),
        (&["dumb-init", "app"], &[("DUMB_INIT_SETSID", "0")]),
    ] {
        let d = config(argv, env);
        assert_eq!(
            (d.start, d.target),
            (Start::Group, Target::Child),
            "{argv:?} {env:?}"
        );
        assert_eq!(
            d.shutdown.leftovers,
            Leftovers::Leave,
            "dumb-init -c leaves leftovers alone"
        );
        assert_eq!(
            d.job_control,
            JobControl::StopSelf,
            "and still stops itself"
        );
        assert_eq!(d.forward_as(libc::SIGTSTP), Some(libc::SIGTSTP));
    }
    assert_eq!(
        leftovers(&["dumb-init", "-c", "--drain", "app"], &[]),
        Leftovers::Drain
    );
    assert_eq!(
        leftovers(&["dumb-init", "--drain", "-c", "app"], &[]),
        Leftovers::Drain
    );
    assert_eq!(
        leftovers(&["dumb-init", "-c", "app"], &[("PIDONE_DRAIN", "1")]),
        Leftovers::Drain
    );
    assert_eq!(
        leftovers(&["dumb-init", "app"], &[("PIDONE_DRAIN", "0")]),
        Leftovers::Leave
    );
    // Only exactly "0" counts, as in dumb-init.
    for v in ["1", "false", "", "00"] {
        let env = [("DUMB_INIT_SETSID", v)];
        assert_eq!(
            config(&["dumb-init", "app"], &env).start,
            Start::Session,
            "{v:?}"
        );
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
    assert_eq!(d.forward_as(libc::SIGTERM), Some(libc::SIGQUIT));
    assert_eq!(d.forward_as(libc::SIGUSR1), None);
    assert_eq!(d.forward_as(libc::SIGTSTP), Some(libc::SIGUSR2));
    assert_eq!(d.forward_as(libc::SIGTTIN), Some(libc::SIGSTOP));
    let d = config(
        &["dumb-init", "-r", "SIGTERM:SIGQUIT,RTMIN+1:HUP", "app"],
        &[],
    );
    assert_eq!(d.forward_as(libc::SIGTERM), Some(libc::SIGQUIT));
    assert_eq!(d.forward_as(35), Some(libc::SIGHUP));
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
    assert_eq!(
        (t.not_pid1, t.reap_level, t.target),
        (NotPid1::Subreaper, Level::Warn, Target::Group)
    );
    assert_eq!(t.pdeathsig, Some(libc::SIGKILL));
    assert_eq!(t.log.verbosity, 4);
    assert_eq!(
        (t.exit_code(143), t.exit_code(3), t.exit_code(4)),
        (0, 0, 4)
    );
    assert_eq!(t.exit_code(256 + 143), 0, "codes are taken mod 256 first");
    assert_eq!(
        config(&["tini", "-p", "TERM", "a"], &[]).pdeathsig,
        Some(15)
    );
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
    assert_eq!(
        (t.not_pid1, t.target),
        (NotPid1::Subreaper, Target::Group),
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
    assert_eq!(c.mode, Mode::Pause);
    let e = error(&["catatonit", "-P", "sleep", "1"], &[]);
    assert_eq!(e.problem, "pause mode (-P) runs no command");
    assert_eq!(
        config(&["pidone"], &[("PIDONE_PAUSE", "1")]).mode,
        Mode::Pause
    );
    let c = config(&["catatonit", "-g", "--", "a"], &[]);
    assert_eq!(c.target, Target::Group);
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
    assert_eq!(c.target, Target::Child);
    assert_eq!(c.mode, Mode::Command(1));
    let t = config(&["tini", "cmd", "-v"], &[]);
    assert_eq!(t.log.verbosity, 1);
}

#[test]
fn every_pidone_variable() {
    type Holds = fn(&Config) -> bool;
    let on: Vec<(&str, Holds)> = std::vec![
        ("PIDONE_SINGLE_CHILD", |c| c.target == Target::Child),
        ("PIDONE_PROCESS_GROUP", |c| c.target == Target::Group),
        ("PIDONE_DRAIN", |c| c.shutdown.leftovers == Leftovers::Drain),
        ("PIDONE_NO_DRAIN", |c| c.shutdown.leftovers
            == Leftovers::Leave),
        ("PIDONE_SUBREAPER", |c| c.not_pid1 == NotPid1::Subreaper),
        ("PIDONE_WARN_REAP", |c| c.reap_level == Level::Warn),
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
    let s = c.shutdown;
    assert_eq!(
        (s.grace_ms, s.stop_delay_ms, c.pdeathsig),
        (Some(250), 2000, Some(9))
    );
    assert_eq!((c.exit_code(143), c.exit_code(130)), (0, 0));
    assert_eq!(c.forward_as(libc::SIGTERM), Some(libc::SIGQUIT));
    assert_eq!(c.log.format, Format::Json);
    assert_eq!(c.user, Some(&b"nobody"[..]));
    // The command line overrides the environment.
    let c = config(&["pidone", "--grace", "1s", "a"], &env);
    assert_eq!(c.shutdown.grace_ms, Some(1000));
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

#[test]
fn help_and_version_answer_whatever_the_environment() {
    let env = [("PIDONE_GRACE", "bad"), ("PIDONE_VERBOSITY", "x")];
    assert!(matches!(
        parse_with(&["docker-init", "--version"], &env),
        Ok(Action::Version)
    ));
    assert!(matches!(
        parse_with(&["pidone", "-h"], &env),
        Ok(Action::Help)
    ));
    assert!(matches!(
        parse_with(&["tini", "-l"], &env),
        Ok(Action::License)
    ));
    // Running a command still reports the bad variable, by name.
    let e = error(&["pidone", "app"], &env);
    assert_eq!(e.option, b"PIDONE_VERBOSITY");
    // A bad option on the command line is reported before a bad variable.
    let e = error(&["pidone", "--grace", "x", "app"], &env);
    assert_eq!(e.option, b"--grace");
}

#[test]
fn usage_exit_status_per_name() {
    assert_eq!(Personality::Pidone.usage_exit(), 2);
    for p in [
        Personality::Tini,
        Personality::DumbInit,
        Personality::Catatonit,
    ] {
        assert_eq!(
            p.usage_exit(),
            1,
            "{p:?}: the originals exit 1 on a usage error"
        );
    }
}

#[test]
fn long_options_by_unique_prefix() {
    let c = config(&["dumb-init", "--single", "--rew", "1:2", "a"], &[]);
    assert_eq!(c.target, Target::Child);
    assert_eq!(c.forward_as(1), Some(2));
    assert!(matches!(
        parse_with(&["dumb-init", "--vers"], &[]),
        Ok(Action::Version)
    ));
    assert!(matches!(
        parse_with(&["pidone", "--lic"], &[]),
        Ok(Action::License)
    ));
    let e = error(&["pidone", "--no", "a"], &[]);
    assert_eq!(
        e.problem, "ambiguous option",
        "--no-drain or --no-new-privs"
    );
    assert_eq!(e.value, b"--no");
    let e = error(&["pidone", "--stop", "1s", "a"], &[]);
    assert_eq!(
        e.problem, "ambiguous option",
        "--stop-delay or --stop-signal"
    );
    assert_eq!(error(&["pidone", "--"], &[]).problem, "no command given");
    assert_eq!(
        error(&["pidone", "--x", "a"], &[]).problem,
        "unknown option"
    );
}

#[test]
fn stop_signal_and_wait_all() {
    let c = config(
        &["pidone", "--stop-signal", "SIGQUIT", "--wait-all", "a"],
        &[],
    );
    assert_eq!(c.shutdown.stop_signal, libc::SIGQUIT);
    assert_eq!(c.shutdown.leftovers, Leftovers::WaitAll);
    let env = [("PIDONE_STOP_SIGNAL", "INT"), ("PIDONE_WAIT_ALL", "1")];
    let c = config(&["tini", "a"], &env);
    assert_eq!(c.shutdown.stop_signal, libc::SIGINT);
    assert_eq!(c.shutdown.leftovers, Leftovers::WaitAll);
    let c = config(&["pidone", "a"], &[("PIDONE_WAIT_ALL", "0")]);
    assert_eq!(
        c.shutdown.leftovers,
        Leftovers::Drain,
        "=0 leaves the name's default"
    );
    let e = error(&["pidone", "--stop-signal", "NOPE", "a"], &[]);
    assert_eq!(
        (e.option, e.problem),
        (&b"--stop-signal"[..], "unknown signal")
    );
}

#[test]
fn hostile_numbers_never_overflow() {
    // Run in the debug profile too, where an overflow panics.
    for bad in ["-1", "99999999999999999999999", "+1", "1-", "\u{ff}"] {
        let argv = ["tini", "-e", bad, "a"];
        let e = error(&argv, &[]);
        assert_eq!(e.problem, "exit code must be 0-255, not", "{bad:?}");
    }
    for bad in ["99999999999999999999999s", "-1ms"] {
        assert!(
            error(&["pidone", "--grace", bad, "a"], &[])
                .problem
                .starts_with("bad duration")
        );
    }
    for bad in [
        "RTMIN+99999999999999999",
        "RTMAX-99999999999999",
        "-1",
        "99999999999",
    ] {
        let argv = ["pidone", "-p", bad, "a"];
        assert_eq!(error(&argv, &[]).problem, "unknown signal", "{bad}");
    }
    assert_eq!(
        config(
            &["tini", "a"],
            &[("TINI_VERBOSITY", "99999999999999999999")]
        )
        .log
        .verbosity,
        9
    );
}

#[test]
fn a_lone_dash_is_the_command_not_an_option_cluster() {
    // `-` is a word like any other (a program named `-`), as getopt treats it.
    let c = config(&["pidone", "-", "app"], &[]);
    assert_eq!(c.mode, Mode::Command(1));
    let c = config(&["pidone", "-v", "-"], &[]);
    assert_eq!(c.mode, Mode::Command(2));
}

#[test]
fn a_short_options_error_names_it() {
    let e = error(&["pidone", "-p", "SIGFOO", "a"], &[]);
    assert_eq!((e.option, e.value), (&b"-p"[..], &b"SIGFOO"[..]));
    let e = error(&["pidone", "-vs", "-e", "x", "a"], &[]);
    assert_eq!(e.option, b"-e");
}

#[test]
fn the_command_line_sets_the_text_log_format_back() {
    let env = [("PIDONE_LOG_FORMAT", "json")];
    let c = config(&["pidone", "--log-format", "text", "a"], &env);
    assert_eq!(c.log.format, Format::Text);
}

#[test]
fn a_leftovers_flag_set_to_0_is_a_choice_but_wait_all_0_is_not() {
    // dumb-init -c leaves leftovers alone unless a leftovers option chose otherwise.
    let single = ["dumb-init", "-c", "app"];
    assert_eq!(
        leftovers(&single, &[("PIDONE_NO_DRAIN", "0")]),
        Leftovers::Drain
    );
    assert_eq!(
        leftovers(&single, &[("PIDONE_WAIT_ALL", "0")]),
        Leftovers::Leave
    );
}

#[test]
fn pidone_verbosity_is_one_digit() {
    let c = config(&["pidone", "a"], &[("PIDONE_VERBOSITY", "3")]);
    assert_eq!(c.log.verbosity, 3);
    for bad in ["03", "10", "", "x"] {
        let env = [("PIDONE_VERBOSITY", bad)];
        let e = error(&["pidone", "a"], &env);
        assert_eq!(e.option, b"PIDONE_VERBOSITY", "{bad:?}");
    }
}

/// Values that can never work are refused up front (issue 22, finding 11): pidone never
/// receives KILL or STOP, and takes CHLD for a child's exit.
#[test]
fn signals_that_can_never_work_are_refused() {
    for sig in ["KILL", "SIGSTOP", "CHLD", "9", "17"] {
        let argv = ["pidone", "--stop-signal", sig, "a"];
        let e = error(&argv, &[]);
        assert_eq!((e.option, e.value), (&b"--stop-signal"[..], sig.as_bytes()));
        let env = [("PIDONE_STOP_SIGNAL", sig)];
        assert_eq!(error(&["pidone", "a"], &env).option, b"PIDONE_STOP_SIGNAL");
    }
    let e = error(&["pidone", "-p", "SIGCHLD", "a"], &[]);
    assert_eq!((e.option, e.value), (&b"-p"[..], &b"SIGCHLD"[..]));
    // tini takes `-p SIGCHLD` (to no effect): a drop-in keeps running such an image.
    assert_eq!(
        config(&["tini", "-p", "SIGCHLD", "a"], &[]).pdeathsig,
        Some(libc::SIGCHLD)
    );
    assert_eq!(
        config(&["pidone", "-p", "KILL", "a"], &[]).pdeathsig,
        Some(libc::SIGKILL)
    );
}

/// `--user :GROUP` names no user: refused, never uid 0 or an empty passwd name (finding 12).
#[test]
fn an_empty_user_name_is_refused() {
    let e = error(&["pidone", "--user", ":app", "a"], &[]);
    assert_eq!((e.option, e.value), (&b"--user"[..], &b":app"[..]));
    assert_eq!(
        error(&["pidone", "a"], &[("PIDONE_USER", ":0")]).value,
        b":0"
    );
}

/// A usage error is written in the format asked for, wherever that was asked: before or
/// after the bad option, or in the environment (finding 6).
#[test]
fn usage_errors_know_the_log_format() {
    let json = [("PIDONE_LOG_FORMAT", "json")];
    for (argv, env) in [
        (
            &["pidone", "--log-format", "json", "--grace", "x", "a"][..],
            &[][..],
        ),
        (&["pidone", "--grace", "x", "--log-format=json", "a"], &[]),
        (&["pidone", "--bogus", "--log-format", "json", "a"], &[]),
        (&["pidone", "-Zv", "--log-format", "json", "a"], &[]),
        (&["pidone", "--log-format", "json"], &[]),
        (&["pidone", "--grace", "x", "a"], &json),
        (
            &["pidone", "a"],
            &[("PIDONE_LOG_FORMAT", "json"), ("PIDONE_GRACE", "x")],
        ),
    ] {
        assert_eq!(error(argv, env).format, Format::Json, "{argv:?} {env:?}");
    }
    for (argv, env) in [
        (&["pidone", "--grace", "x", "a"][..], &[][..]),
        (
            &["pidone", "--grace", "x", "--log-format", "text", "a"],
            &json,
        ),
        // After the command, `--log-format` is the command's own.
        (
            &["pidone", "--grace", "x", "a", "--log-format", "json"],
            &[],
        ),
        (
            &["pidone", "--grace", "x", "--", "--log-format", "json"],
            &[],
        ),
    ] {
        assert_eq!(error(argv, env).format, Format::Text, "{argv:?} {env:?}");
    }
}

#[test]
fn variables_lists_what_the_parser_reads() {
    for argv0 in ["pidone", "tini", "dumb-init", "catatonit"] {
        let asked = core::cell::RefCell::new(Vec::new());
        let argv = [argv0, "app"];
        let parsed = parse(
            |i| argv.get(i).map(|a| a.as_bytes()),
            |name: &CStr| {
                asked.borrow_mut().push(name.to_bytes().to_vec());
                None
            },
        );
        assert!(matches!(parsed, Ok(Action::Run(_))), "{argv0}");
        let listed: Vec<Vec<u8>> = variables().map(|v| v.to_bytes().to_vec()).collect();
        assert_eq!(asked.into_inner(), listed, "{argv0}");
    }
}

#[test]
fn options_lists_the_table() {
    let mut count = 0;
    for (long, short) in options() {
        count += 1;
        let id = options::find_long(long.as_bytes()).map(|o| o.id);
        assert!(id.is_ok(), "--{long}");
        if short != 0 {
            assert_eq!(options::find_short(short).map(|o| o.id), id.ok(), "{long}");
            assert_eq!(options::short_name(short), [b'-', short], "{long}");
        }
    }
    assert_eq!(count, 29);
}
