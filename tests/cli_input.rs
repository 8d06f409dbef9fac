//! Hostile command lines and environments: every option and variable with every
//! value it must reject, control bytes, huge values, and property tests of the parser
//! (pure: no process is started for those). pidone runs as a plain process.

use pidone_testkit as common;

use common::*;
use std::ffi::{CStr, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::process::Command;

// ---------------------------------------------------------------------------------------
// Hostile command lines and environment

/// Runs pidone (plain, no namespace) with raw-byte arguments and extra environment.
fn pidone_raw(args: &[&[u8]], env: &[(&str, &[u8])]) -> Raw {
    let mut cmd = Command::new(pidone());
    cmd.args(args.iter().map(|a| OsStr::from_bytes(a)));
    for (k, v) in env {
        cmd.env(k, OsStr::from_bytes(v));
    }
    run_raw(cmd).expect("start pidone")
}

/// Checks a usage error: status 2, a single line `pidone: ...` of at most 512 bytes on
/// stderr, nothing on stdout, and (for a non-empty value) a quoted part of the value.
fn assert_usage_error(out: &Raw, value: &[u8], what: &str) {
    let err = &out.stderr;
    assert_eq!(out.code, Some(2), "{what}: {}", out.stderr());
    assert!(out.stdout.is_empty(), "{what}");
    assert!(err.starts_with(b"pidone: "), "{what}: {}", out.stderr());
    assert_eq!(err.last(), Some(&b'\n'), "{what}: {}", out.stderr());
    assert!(err.len() <= 512, "{what}: {} bytes", err.len());
    // The message quotes a non-empty part of the value (a list names its bad item), with
    // control bytes and backslashes shown as \xNN so the value cannot break the line.
    if !value.is_empty() {
        // As pidone escapes: C0, DEL, C1 and the backslash, and bytes that are not UTF-8.
        let hex = |bytes: &[u8]| -> Vec<u8> {
            bytes
                .iter()
                .flat_map(|b| format!("\\x{b:02x}").into_bytes())
                .collect()
        };
        let mut shown: Vec<u8> = Vec::new();
        for chunk in value.utf8_chunks() {
            for c in chunk.valid().chars() {
                let mut buf = [0u8; 4];
                let bytes = c.encode_utf8(&mut buf).as_bytes();
                if c < ' ' || c == '\\' || ('\u{7f}'..='\u{9f}').contains(&c) {
                    shown.extend(hex(bytes));
                } else {
                    shown.extend_from_slice(bytes);
                }
            }
            shown.extend(hex(chunk.invalid()));
        }
        // A value cut at the line's end has no closing quote: its piece is still a part.
        let named = err[..err.len() - 1]
            .split(|b| *b == b'\'')
            .skip(1)
            .step_by(2)
            .any(|q| !q.is_empty() && shown.windows(q.len()).any(|w| w == q));
        assert!(
            named,
            "{what}: the message does not name {:?}: {}",
            String::from_utf8_lossy(&value[..value.len().min(40)]),
            out.stderr()
        );
    }
    assert_eq!(err.iter().filter(|b| **b == b'\n').count(), 1, "{what}");
}

/// Values no option accepts: empty, signed, padded, non-UTF-8, terminal escapes, huge.
fn hostile_common() -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = ["", "-1", "+5", " 5", "5 ", "\u{feff}5", "--", "="]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
    v.push(vec![0xff, 0xfe, b'5']);
    v.push(vec![b'5', 0x80]);
    v.push(vec![0x1b, b'[', b'2', b'J']);
    v.push("9".repeat(100_000).into_bytes());
    v.push("x".repeat(100_000).into_bytes());
    v
}

/// Bad values for one option: the common ones plus its own overflows and malformed forms.
fn hostile_values(long: &str) -> Vec<Vec<u8>> {
    let own: &[&str] = match long {
        "--grace" | "--stop-delay" => &[
            "-0",
            "0x10",
            "1e3",
            "1.5s",
            "10x",
            "10 s",
            "s",
            "99999999999999h",
            "18446744073709551616",
            "340282366920938463463374607431768211456ms",
            "4398046511105ms",
            "73014444h",
        ],
        "--pdeathsig" => &[
            "0",
            "65",
            "4294967297",
            "SIGFOO",
            "SIG",
            "RTMIN+31",
            "RTMAX-31",
            "RTMIN+",
            "SIGTERMTERMTERMTERM",
        ],
        "--remap-exit" => &["256", "99999999999999999999", "0x1", "1,256", "1e2"],
        "--rewrite" => &[
            "15",
            "15:",
            ":15",
            "15:65",
            "0:15",
            "15:0:1",
            "TERM:FOO",
            "-1:2",
            "65:1",
            "RTMIN+99:1",
        ],
        _ => &["JSON", "yaml", " json", "json "],
    };
    let mut v = hostile_common();
    v.extend(own.iter().map(|s| s.as_bytes().to_vec()));
    v
}

/// Every valued option, short and long, inline and separate, and its environment variable,
/// with every hostile value it rejects: status 2 and one line naming the value, never a
/// panic, a hang or a signal. Plus every option missing its value, and the issue's own
/// examples.
#[test]
fn hostile_command_lines_are_usage_errors() {
    // (long, short, variable) for every option that takes a value and validates it.
    let options: [(&str, Option<&str>, &str); 6] = [
        ("--grace", Some("-t"), "PIDONE_GRACE"),
        ("--stop-delay", None, "PIDONE_STOP_DELAY"),
        ("--pdeathsig", Some("-p"), "PIDONE_PDEATHSIG"),
        ("--remap-exit", Some("-e"), "PIDONE_REMAP_EXIT"),
        ("--rewrite", Some("-r"), "PIDONE_REWRITE"),
        ("--log-format", None, "PIDONE_LOG_FORMAT"),
    ];
    let mut checked = 0;
    for (long, short, var) in options {
        for value in hostile_values(long) {
            let what = format!(
                "{long} {:?}",
                String::from_utf8_lossy(&value[..value.len().min(30)])
            );
            let mut inline = long.as_bytes().to_vec();
            inline.push(b'=');
            inline.extend_from_slice(&value);
            let mut forms: Vec<Raw> = vec![
                pidone_raw(&[long.as_bytes(), &value, b"true"], &[]),
                pidone_raw(&[&inline, b"true"], &[]),
                pidone_raw(&[b"true"], &[(var, &value)]),
            ];
            if let Some(short) = short {
                forms.push(pidone_raw(&[short.as_bytes(), &value, b"true"], &[]));
                if !value.is_empty() {
                    let mut glued = short.as_bytes().to_vec();
                    glued.extend_from_slice(&value);
                    forms.push(pidone_raw(&[&glued, b"true"], &[]));
                }
            }
            for out in &forms {
                assert_usage_error(out, &value, &what);
                checked += 1;
            }
        }
        let missing = pidone_raw(&[long.as_bytes()], &[]);
        assert_usage_error(&missing, long.as_bytes(), &format!("{long} at the end"));
        if let Some(short) = short {
            let missing = pidone_raw(&[short.as_bytes()], &[]);
            assert_usage_error(&missing, short.as_bytes(), &format!("{short} at the end"));
        }
    }
    // Boolean and numeric variables with values outside their sets. (TINI_VERBOSITY is
    // read leniently on purpose, as tini's atoi does.)
    for var in [
        "PIDONE_VERBOSITY",
        "PIDONE_DRAIN",
        "PIDONE_NO_DRAIN",
        "PIDONE_SINGLE_CHILD",
        "PIDONE_PROCESS_GROUP",
        "PIDONE_SUBREAPER",
        "PIDONE_WARN_REAP",
        "PIDONE_PAUSE",
        "PIDONE_NO_NEW_PRIVS",
    ] {
        for value in [&b"2x"[..], b"-1", b"10", b"\xff", b"yes please"] {
            let out = pidone_raw(&[b"true"], &[(var, value)]);
            assert_usage_error(&out, value, var);
            checked += 1;
        }
    }
    // The issue's examples, and options that take no value or do not exist.
    let examples: [(&[&[u8]], &[u8]); 9] = [
        (
            &[b"--grace", b"99999999999999h", b"true"],
            b"99999999999999h",
        ),
        (&[b"-e", b"256", b"true"], b"256"),
        (&[b"-r", b"15:", b"true"], b"15:"),
        (&[b"-p", b"SIGFOO", b"true"], b"SIGFOO"),
        (&[b"--help=yes"], b"--help=yes"),
        (&[b"--no-such-option", b"true"], b"--no-such-option"),
        (&[b"-\xff", b"true"], b"-\xff"),
        (&[b"---grace", b"1s", b"true"], b"---grace"),
        (&[b"-vvvvq", b"true"], b"-vvvvq"),
    ];
    for (args, value) in examples {
        assert_usage_error(&pidone_raw(args, &[]), value, &format!("{args:?}"));
    }
    // 100,000 flags and no command: verbosity saturates, the answer is still one line.
    let many: Vec<&[u8]> = std::iter::repeat_n(&b"-v"[..], 100_000).collect();
    let out = pidone_raw(&many, &[]);
    assert_usage_error(&out, b"", "100,000 -v");
    assert!(
        out.stderr().contains("no command given"),
        "{}",
        out.stderr()
    );
    eprintln!("hostile command lines: {checked} rejected as usage errors");
}

/// `--user` names are looked up at start (in /etc/passwd), so a hostile name is not a
/// syntax error: it fails at start with 126 and one line naming it, and the command never
/// runs; an empty one (or an empty user name, `:GROUP`) is a usage error (2).
#[test]
fn hostile_user_values_fail_at_start() {
    let dir = TempDir::new("hostile-user");
    let ran = dir.path("ran");
    let script = format!("touch {ran}");
    let command: [&[u8]; 4] = [b"--", b"sh", b"-c", script.as_bytes()];
    let with = |user: &[u8]| -> [Raw; 2] {
        let mut args: Vec<&[u8]> = vec![&b"--user"[..], user];
        args.extend(command);
        [
            pidone_raw(&args, &[]),
            pidone_raw(&command, &[("PIDONE_USER", user)]),
        ]
    };
    let values: [(&[u8], i32); 10] = [
        (b"", 2),
        (b"-1", 126),
        (b"4294967295", 126),
        (b"99999999999999999999", 126),
        (b"nosuchuser-pidone", 126),
        (b"\xff\xfe", 126),
        (b"0:\xff", 126),
        (b"0:-1", 126),
        // An empty user name is a usage error: never uid 0, never an empty passwd name.
        (b":", 2),
        (b":0", 2),
    ];
    for (value, code) in values {
        for out in with(value) {
            let what = String::from_utf8_lossy(value).into_owned();
            assert_eq!(out.code, Some(code), "{what}: {}", out.stderr());
            assert_eq!(
                out.stderr.iter().filter(|b| **b == b'\n').count(),
                1,
                "{what}"
            );
            assert!(
                out.stderr.starts_with(b"pidone: "),
                "{what}: {}",
                out.stderr()
            );
            assert!(
                !std::path::Path::new(&ran).exists(),
                "{what}: the command ran"
            );
        }
    }
}

/// A value with a newline or other control bytes must not split pidone's one-line message
/// or forge a log line of its own (`--grace $'1\npidone: exit code=0'`).
#[test]

fn usage_error_stays_one_line_with_control_bytes() {
    let value = b"1\npidone: exit code=0";
    for out in [
        pidone_raw(&[b"--grace", value, b"true"], &[]),
        pidone_raw(&[b"true"], &[("PIDONE_GRACE", value)]),
    ] {
        assert_eq!(out.code, Some(2));
        assert_eq!(
            out.stderr.iter().filter(|b| **b == b'\n').count(),
            1,
            "{}",
            out.stderr()
        );
    }
}

/// An empty value (`PIDONE_GRACE=`, `--grace ''`) has nothing to quote, so the message must
/// name the option or variable instead; today it says only "bad duration".
#[test]

fn empty_value_errors_name_the_option() {
    for (out, name) in [
        (
            pidone_raw(&[b"true"], &[("PIDONE_GRACE", b"")]),
            "PIDONE_GRACE",
        ),
        (
            pidone_raw(&[b"true"], &[("PIDONE_STOP_DELAY", b"")]),
            "PIDONE_STOP_DELAY",
        ),
        (pidone_raw(&[b"--grace", b"", b"true"], &[]), "--grace"),
        (
            pidone_raw(&[b"--stop-delay=", b"true"], &[]),
            "--stop-delay",
        ),
        (pidone_raw(&[b"-e", b"", b"true"], &[]), "-e"),
        (pidone_raw(&[b"-e", b"1,", b"true"], &[]), "-e"),
        (
            pidone_raw(&[b"--rewrite", b"15:1,", b"true"], &[]),
            "--rewrite",
        ),
    ] {
        assert_eq!(out.code, Some(2));
        assert!(out.stderr().contains(name), "{name}: {}", out.stderr());
    }
}

// ---------------------------------------------------------------------------------------
// Property test of the parser

/// SplitMix64: a fixed-seed generator, so a failure reproduces exactly.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'t, T>(&mut self, items: &'t [T]) -> &'t T {
        &items[self.below(items.len())]
    }
}

const WORDS: &[&str] = &[
    "--",
    "-",
    "---",
    "--help",
    "--version",
    "--license",
    "-h",
    "-V",
    "-l",
    "-L",
    "-v",
    "-vvv",
    "--verbose",
    "--grace",
    "-t",
    "--grace=",
    "--grace=10s",
    "-t0",
    "--stop-delay",
    "--stop-delay=1ms",
    "-c",
    "--single-child",
    "-g",
    "--process-group",
    "--drain",
    "--no-drain",
    "-s",
    "--subreaper",
    "-p",
    "--pdeathsig",
    "-pKILL",
    "-w",
    "--warn-reap",
    "-e",
    "-e143",
    "--remap-exit",
    "-r",
    "-r15:0",
    "--rewrite",
    "-rTERM:INT",
    "-P",
    "--pause",
    "--log-format",
    "--log-format=json",
    "-u",
    "--user",
    "-u0:0",
    "--no-new-privs",
    "-sgvwc",
    "-vt5",
    "-Pv",
    "--=",
    "--grace=",
    "-e1,2,3",
    "sh",
    "true",
    "10s",
    "500ms",
    "2m",
    "1h",
    "0",
    "15",
    "64",
    "65",
    "SIGTERM",
    "RTMIN+3",
    "RTMAX-1",
    "TERM:KILL",
    "15:0",
    "json",
    "text",
    "0:0",
    "65532",
    "",
];

const ARGV0: &[&str] = &[
    "pidone",
    "/sbin/docker-init",
    "tini",
    "tini-static",
    "dumb-init",
    "catatonit",
    "",
];

/// A random word: from the dictionary, mutated, random bytes, or a glued option+value.
fn random_word(rng: &mut Rng) -> Vec<u8> {
    match rng.below(10) {
        0..=4 => rng.pick(WORDS).as_bytes().to_vec(),
        5 => {
            let mut w = rng.pick(WORDS).as_bytes().to_vec();
            w.extend_from_slice(rng.pick(WORDS).as_bytes());
            w
        }
        6 => (0..rng.below(12)).map(|_| rng.next() as u8).collect(),
        7 => {
            let mut w = rng.pick(WORDS).as_bytes().to_vec();
            if !w.is_empty() {
                let at = rng.below(w.len());
                w[at] = rng.next() as u8;
            }
            w
        }
        8 => rng.next().to_string().into_bytes(),
        _ => {
            let digits = 1 + rng.below(25);
            let mut w: Vec<u8> = (0..digits).map(|_| b'0' + rng.below(10) as u8).collect();
            let units: [&[u8]; 6] = [b"", b"ms", b"s", b"m", b"h", b"x"];
            let unit: &[u8] = units[rng.below(units.len())];
            w.extend_from_slice(unit);
            w
        }
    }
}

/// Whether `inner` lies inside `outer`'s memory (pointer-wise, not by equal content).
fn points_into(inner: &[u8], outer: &[u8]) -> bool {
    let (o, i) = (outer.as_ptr() as usize, inner.as_ptr() as usize);
    i >= o && i + inner.len() <= o + outer.len()
}

/// The property test of `pidone::cli::parse` (pure: argv and environment come in through
/// closures). For 200,000 generated command lines and environments (PIDONE_FUZZ_CASES to
/// run more), it never panics, is deterministic, every error quotes a slice of the actual
/// input (checked by address, not by equal text), and every success is consistent: the
/// command index points at an argument that `--` or a non-option introduced, durations stay
/// in range and signals are 1-64.
#[test]
fn parser_property_test() {
    use pidone::cli::{Action, parse};
    use pidone::config::Mode;
    let cases: u64 = std::env::var("PIDONE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    // Every variable the parser reads.
    let env_names: Vec<&CStr> = pidone::cli::variables().collect();
    let mut rng = Rng(0x7069_646f_6e65_0007);
    let (mut ok, mut err) = (0u64, 0u64);
    for case in 0..cases {
        let mut argv: Vec<Vec<u8>> = vec![rng.pick(ARGV0).as_bytes().to_vec()];
        for _ in 0..rng.below(9) {
            argv.push(random_word(&mut rng));
        }
        let mut env: Vec<(&CStr, Vec<u8>)> = Vec::new();
        for _ in 0..rng.below(4) {
            env.push((*rng.pick(&env_names), random_word(&mut rng)));
        }
        let arg = |i: usize| argv.get(i).map(Vec::as_slice);
        let getenv = |name: &CStr| {
            env.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.as_slice())
        };
        let first = parse(arg, getenv);
        let again = parse(arg, getenv);
        let ctx = || format!("case {case}: argv {argv:?} env {env:?}");
        match (&first, &again) {
            (Err(a), Err(b)) => assert_eq!(a, b, "{}", ctx()),
            (Ok(Action::Run(a)), Ok(Action::Run(b))) => assert_eq!(a, b, "{}", ctx()),
            (Ok(Action::Help), Ok(Action::Help))
            | (Ok(Action::Version), Ok(Action::Version))
            | (Ok(Action::License), Ok(Action::License)) => {}
            _ => panic!("not deterministic: {}", ctx()),
        }
        match first {
            Err(e) => {
                err += 1;
                assert!(!e.problem.is_empty(), "{}", ctx());
                if !e.value.is_empty() {
                    let from_input = argv.iter().any(|w| points_into(e.value, w))
                        || env.iter().any(|(_, v)| points_into(e.value, v));
                    assert!(from_input, "{}: {:?} is not from the input", ctx(), e.value);
                }
            }
            Ok(Action::Run(cfg)) => {
                ok += 1;
                match cfg.mode {
                    Mode::Pause => {}
                    Mode::Command(index) => {
                        let command = arg(index).unwrap_or_else(|| panic!("{}", ctx()));
                        assert!(index >= 1, "{}", ctx());
                        if command.len() > 1 && command[0] == b'-' {
                            assert_eq!(arg(index - 1), Some(&b"--"[..]), "{}", ctx());
                        }
                    }
                }
                let s = cfg.shutdown;
                assert!(
                    s.grace_ms.unwrap_or(0) <= 1 << 42 && s.stop_delay_ms <= 1 << 42,
                    "{}",
                    ctx()
                );
                assert!(
                    cfg.pdeathsig.is_none_or(|s| (1..=64).contains(&s)),
                    "{}",
                    ctx()
                );
                assert!(
                    (1..=64).all(|s| cfg.forward_as(s).is_none_or(|to| (1..=64).contains(&to))),
                    "{}",
                    ctx()
                );
            }
            Ok(_) => ok += 1,
        }
    }
    eprintln!("parser property test: {cases} cases, {ok} accepted, {err} rejected");
    assert!(
        ok > cases / 20 && err > cases / 20,
        "the generator explores too little"
    );
}

/// Durations against an exact model: every number with every unit, around the limits.
#[test]
fn duration_parser_matches_a_model() {
    use pidone::cli::{Action, parse};
    let mut rng = Rng(42);
    for _ in 0..50_000 {
        let digits = 1 + rng.below(22);
        let number: String = (0..digits)
            .map(|_| (b'0' + rng.below(10) as u8) as char)
            .collect();
        let (unit, scale) = *rng.pick(&[
            ("ms", 1u128),
            ("", 1000),
            ("s", 1000),
            ("m", 60_000),
            ("h", 3_600_000),
        ]);
        let text = format!("{number}{unit}");
        let expect = number
            .parse::<u128>()
            .ok()
            .filter(|n| *n <= u64::MAX as u128)
            .and_then(|n| n.checked_mul(scale))
            .filter(|ms| *ms <= u64::MAX as u128)
            .filter(|ms| *ms <= 1 << 42);
        let argv: [&[u8]; 4] = [b"pidone", b"--grace", text.as_bytes(), b"true"];
        let got = match parse(|i| argv.get(i).copied(), |_| None) {
            Ok(Action::Run(cfg)) => cfg.shutdown.grace_ms.map(u128::from),
            Err(_) => None,
            Ok(_) => panic!("{text}"),
        };
        assert_eq!(got, expect, "--grace {text}");
    }
}

/// Values that can never work are refused before anything runs (issue 22 finding 11):
/// pidone never receives KILL or STOP, and takes CHLD for a child's exit. One line naming
/// the option and the value, status 2; under tini's name `-p SIGCHLD` still runs, as tini
/// takes it.
#[test]
fn signals_that_can_never_work_are_usage_errors() {
    let dir = TempDir::new("never");
    let ran = dir.path("ran");
    let touch = format!("touch {ran}");
    let cases: [(&str, &[&str], &str); 2] = [
        (
            "--stop-signal",
            &["KILL", "SIGSTOP", "CHLD", "9"],
            "PIDONE_STOP_SIGNAL",
        ),
        ("-p", &["CHLD", "SIGCHLD", "17"], "PIDONE_PDEATHSIG"),
    ];
    for (option, values, var) in cases {
        for sig in values {
            let command = [&b"--"[..], b"sh", b"-c", touch.as_bytes()];
            let mut args = vec![option.as_bytes(), sig.as_bytes()];
            args.extend(command);
            for (out, named) in [
                (pidone_raw(&args, &[]), option),
                (pidone_raw(&command, &[(var, sig.as_bytes())]), var),
            ] {
                assert_usage_error(&out, sig.as_bytes(), sig);
                let head = format!("pidone: {named}: ");
                assert!(out.stderr().starts_with(&head), "{}", out.stderr());
            }
        }
    }
    assert!(!std::path::Path::new(&ran).exists(), "the command ran");
    let tini = dir.path("tini");
    std::os::unix::fs::symlink(pidone(), &tini).unwrap();
    let out = run_raw({
        let mut cmd = Command::new(&tini);
        cmd.args(["-p", "SIGCHLD", "--", "true"]);
        cmd
    })
    .unwrap();
    assert_eq!(out.code, Some(0), "{}", out.stderr());
}
