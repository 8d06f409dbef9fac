//! pidone's own output never wedges it, and is always well-formed: a broken stderr (EPIPE,
//! SIGPIPE), a full one (a log collector that stopped reading), a log file at its size
//! limit (EFBIG, SIGXFSZ), and JSON lines that parse whatever bytes went into them.

use pidone_testkit as common;

use std::io::{BufRead, BufReader, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::process::{Command, Stdio};
use std::sync::mpsc::{Receiver, channel};

use common::*;

/// `bash -c SCRIPT`, its stdout; the script prints what the test checks.
fn bash(script: &str) -> String {
    let out = Command::new("bash")
        .args(["-c", script])
        .stdin(Stdio::null())
        .output()
        .expect("run bash");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The reproduction: a broken stderr pipe under `-v`. Each log line raises
/// SIGPIPE on pidone; forwarded, it killed the app (141), and a stream of them kept
/// SIGCHLD from ever being taken, so pidone spun until `timeout` killed it (137).
/// Needs both halves: EPIPE ignored on the log (here) and the self-caused SIGPIPE not
/// forwarded (the loop). The application waits for the pipe to break and for pidone to
/// have taken what its writes raised (`SELF_SIGNAL_APP`), so no timing decides.
#[test]
fn broken_stderr_exits_with_the_apps_code() {
    let script = format!(
        "timeout -s KILL 8 {} -v -- sh -c '{SELF_SIGNAL_APP}' 2>&1 | true; \
         echo ${{PIPESTATUS[0]}}",
        pidone()
    );
    assert_eq!(bash(&script), "7");
}

/// The same as PID 1 of a namespace, and with the broken pipe on stderr only.
#[test]
fn broken_stderr_as_pid1() {
    let script = format!(
        "timeout -s KILL 8 unshare --pid --fork --mount-proc --kill-child -- {} -v -- sh -c \
         '{SELF_SIGNAL_APP}' 2>&1 >/dev/null | true; echo ${{PIPESTATUS[0]}}",
        pidone()
    );
    assert_eq!(bash(&script), "7");
}

/// A log file already over `ulimit -f`: every log write fails with EFBIG and raises
/// SIGXFSZ on pidone, which must neither forward it nor starve SIGCHLD with it.
#[test]
fn log_file_over_its_size_limit() {
    let dir = std::env::temp_dir().join(format!("pidone-xfsz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("log");
    std::fs::write(&log, vec![b'x'; 8192]).unwrap();
    let script = format!(
        "ulimit -f 4; timeout -s KILL 8 {} -v -- sh -c '{SELF_SIGNAL_APP}' 2>>{}; echo $?",
        pidone(),
        log.display()
    );
    let got = bash(&script);
    let size = std::fs::metadata(&log).unwrap().len();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(got, "7");
    assert_eq!(size, 8192, "nothing can be appended past the limit");
}

/// A pipe whose buffer is full and that nobody reads: a stuck log collector.
fn full_pipe() -> (OwnedFd, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: `fds` is a live [c_int; 2] that pipe2 fills.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: pipe2 just opened both; nothing else owns them.
    let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    let w = write.as_raw_fd();
    // Filled through a non-blocking description of our own, so the write end pidone gets
    // is the ordinary blocking one a collector hands out.
    let path = format!("/proc/self/fd/{w}");
    let mut filler = std::fs::OpenOptions::new()
        .write(true)
        .custom_flags_nonblock()
        .open(&path)
        .expect("reopen the pipe");
    let chunk = [b'x'; 4096];
    while filler.write(&chunk).is_ok() {}
    while filler.write(b"x").is_ok() {}
    (read, write)
}

trait NonBlock {
    fn custom_flags_nonblock(&mut self) -> &mut Self;
}

impl NonBlock for std::fs::OpenOptions {
    fn custom_flags_nonblock(&mut self) -> &mut Self {
        use std::os::unix::fs::OpenOptionsExt;
        self.custom_flags(libc::O_NONBLOCK)
    }
}

/// A reader's lines, over a channel, so that waiting for one can time out.
fn lines_of(out: impl std::io::Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// With `-v` and a full stderr, every log line would block: pidone drops them instead, and
/// keeps forwarding and reaping. The application's stderr (the same open file description)
/// stays blocking: pidone never sets O_NONBLOCK on it.
#[test]
fn full_stderr_never_blocks_the_loop() {
    for mode in MODES {
        let (_read, write) = full_pipe();
        let sigecho = example("sigecho");
        let flags = "grep ^flags: /proc/self/fdinfo/2";
        let script = format!("{flags}; exec {sigecho} --code 3");
        let mut cmd = command(mode, &["-vv", "--", "sh", "-c", &script]);
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(write));
        let mut child = cmd.spawn().expect("start pidone");
        let lines = lines_of(child.stdout.take().unwrap());
        let id = child.id() as i32;
        // Every read is bounded: a wedged pidone fails the test instead of hanging it.
        let next = |what: &str| match lines.recv_timeout(HANG) {
            Ok(line) => line,
            Err(_) => {
                // SAFETY: kill has no memory effects; `id` is our unreaped child.
                unsafe { libc::kill(id, libc::SIGKILL) };
                panic!("{mode:?}: no {what} within {HANG:?}: pidone wedged");
            }
        };
        let line = next("fdinfo line");
        let flags: u32 = line
            .split_whitespace()
            .nth(1)
            .and_then(|f| u32::from_str_radix(f, 8).ok())
            .unwrap_or_else(|| panic!("{mode:?}: no fdinfo flags: {line:?}"));
        assert_eq!(
            flags & libc::O_NONBLOCK as u32,
            0,
            "{mode:?}: the app's stderr became non-blocking"
        );
        let line = next("ready line");
        assert!(line.starts_with("ready"), "{mode:?}: {line:?}");
        let pidone = match mode {
            Mode::Plain => id,
            Mode::Pid1 => children(id)[0],
        };
        // SAFETY: kill has no memory effects.
        assert_eq!(unsafe { libc::kill(pidone, libc::SIGTERM) }, 0);
        assert_eq!(next("forwarded SIGTERM"), "got SIGTERM", "{mode:?}");
        let (out, _) = wait_bounded(child, HANG)
            .unwrap_or_else(|| panic!("{mode:?}: full stderr: pidone wedged, killed"));
        assert_eq!(out.status.code(), Some(3), "{mode:?}");
    }
}

/// Runs pidone with raw bytes as arguments; returns (exit code, stderr bytes).
fn run_bytes(args: &[&[u8]]) -> (i32, Vec<u8>) {
    let mut cmd = Command::new(pidone());
    for a in args {
        cmd.arg(std::ffi::OsStr::from_bytes(a));
    }
    let out = cmd.stdin(Stdio::null()).output().expect("run pidone");
    (out.status.code().unwrap_or(-1), out.stderr)
}

/// Every line of `stderr` parses as a JSON object (serde_json also checks UTF-8).
fn json_lines(stderr: &[u8]) -> Vec<serde_json::Value> {
    stderr
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            serde_json::from_slice::<serde_json::Value>(l)
                .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(l)))
        })
        .collect()
}

/// Command names with byte 0xff, a lone 0xc3, quotes, controls, and a name too long for a
/// line: every line is valid UTF-8 JSON, bad bytes read `\xNN` (as in the text format),
/// and a cut line still closes.
#[test]
fn json_lines_are_always_valid() {
    let names: [&[u8]; 5] = [
        b"/no/such/\xff",
        b"/no/such/caf\xc3",
        b"/no/such/\"quoted\"\\",
        b"/no/such/a\nb\x1b[31m",
        b"/no/such/\xc2\x9b\xe2\x82",
    ];
    for name in names {
        let (code, stderr) = run_bytes(&[b"--log-format", b"json", b"-vvv", b"--", name]);
        assert_eq!(code, 127, "{}", String::from_utf8_lossy(&stderr));
        let lines = json_lines(&stderr);
        let message = lines
            .iter()
            .find_map(|l| l.get("message").and_then(|m| m.as_str()))
            .unwrap_or_else(|| panic!("no message: {}", String::from_utf8_lossy(&stderr)));
        if name.starts_with(b"/no/such/\xff") {
            assert!(message.starts_with("/no/such/\\xff: "), "{message}");
        }
        if name.starts_with(b"/no/such/caf") {
            assert!(message.starts_with("/no/such/caf\\xc3: "), "{message}");
        }
    }
    // A whole run's events, with a forwarded signal and an exit report.
    let (code, stderr) = run_bytes(&[b"--log-format", b"json", b"-vvv", b"--", b"true"]);
    assert_eq!(code, 0);
    assert!(json_lines(&stderr).len() >= 3);
}

/// A message too long for a line is cut between characters, and still closes with `"}`.
#[test]
fn json_long_line_keeps_its_closing() {
    for long in ["é".repeat(400), "\u{1f600}".repeat(200), "\\\"".repeat(300)] {
        let name = format!("/no/such/{long}");
        let (code, stderr) = run_bytes(&[b"--log-format", b"json", b"--", name.as_bytes()]);
        assert_eq!(code, 127, "{}", String::from_utf8_lossy(&stderr));
        let lines = json_lines(&stderr);
        let message = lines[0]["message"].as_str().unwrap_or_default();
        assert!(message.starts_with("/no/such/"), "{message}");
        assert!(stderr.ends_with(b"\"}\n"));
    }
}

/// The text format escapes the same way: one line per message, valid UTF-8.
#[test]
fn text_lines_escape_the_same_way() {
    let (code, stderr) = run_bytes(&[b"--", b"/no/such/\xff\xc3\n"]);
    assert_eq!(code, 127);
    let text = String::from_utf8(stderr).expect("stderr is UTF-8");
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(
        text.starts_with("pidone: /no/such/\\xff\\xc3\\x0a: "),
        "{text}"
    );
}

/// Whether `pid` is blocked in poll or ppoll (x86_64 7, 271; aarch64 ppoll 73).
fn in_poll(pid: i32) -> bool {
    let syscall = std::fs::read_to_string(format!("/proc/{pid}/syscall")).unwrap_or_default();
    let nr = syscall.split_whitespace().next().unwrap_or("");
    if cfg!(target_arch = "x86_64") {
        matches!(nr, "7" | "271")
    } else {
        nr == "73"
    }
}

/// The exit report is the last line, and carries `log_dropped`: with stderr a full pipe
/// it waits a bounded moment for room instead of being dropped (finding 5). The test waits
/// until pidone either waits for room or has exited (as before the fix, dropping the
/// line), and only then reads the pipe: so the pipe is full when pidone writes, on any
/// machine. pidone waits a second at most: the test watches and makes room at real-time
/// priority, so a loaded machine cannot hold it up past that second.
#[test]
fn the_exit_report_waits_for_a_full_stderr() {
    for mode in MODES {
        let (read, write) = full_pipe();
        let mut cmd = command(mode, &["-v", "--", "sh", "-c", "exit 4"]);
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(write));
        let mut child = cmd.spawn().expect("start pidone");
        // Our copy of the write end goes with `cmd`: the reader below must see the end.
        drop(cmd);
        let id = child.id() as i32;
        let pidone = match mode {
            Mode::Plain => id,
            Mode::Pid1 => {
                let mut found = 0;
                wait_until("pidone to start", || {
                    found = children(id).first().copied().unwrap_or(0);
                    found != 0 || child.try_wait().unwrap().is_some()
                });
                found
            }
        };
        let mut pipe = std::fs::File::from(read);
        let mut text = vec![0u8; 65536];
        realtime(true);
        wait_until("pidone to wait for room, or to exit", || {
            in_poll(pidone) || matches!(state_of(pidone), None | Some('Z'))
        });
        // Room for the report at once, from this thread: the pipe is full, so this read
        // returns without waiting.
        let first = std::io::Read::read(&mut pipe, &mut text).expect("read the full pipe");
        realtime(false);
        text.truncate(first);
        let reader = std::thread::spawn(move || {
            let _ = std::io::Read::read_to_end(&mut pipe, &mut text);
            text
        });
        let (out, _) = wait_bounded(child, HANG)
            .unwrap_or_else(|| panic!("{mode:?}: full stderr report: pidone wedged, killed"));
        assert_eq!(out.status.code(), Some(4), "{mode:?}");
        let text = String::from_utf8_lossy(&reader.join().unwrap()).into_owned();
        let report = text
            .split('\n')
            .find_map(|l| l.find("pidone: exit ").map(|at| l[at..].to_string()))
            .unwrap_or_else(|| {
                panic!(
                    "{mode:?}: no exit report in {:?}",
                    text.get(text.len().saturating_sub(300)..)
                )
            });
        assert!(
            report.starts_with("pidone: exit code=4 exit=4 "),
            "{report}"
        );
        let dropped: u32 = report
            .split(' ')
            .find_map(|f| f.strip_prefix("log_dropped="))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no log_dropped: {report}"));
        assert!(
            dropped >= 2,
            "spawned and child exited were dropped: {report}"
        );
    }
}

/// Under `--log-format json` (or PIDONE_LOG_FORMAT=json) every line is JSON, usage errors
/// too, wherever the format was asked for (finding 6).
#[test]
fn usage_errors_are_json_lines_when_asked() {
    type Env<'a> = &'a [(&'a str, &'a str)];
    let cases: [(&[&str], Env); 5] = [
        (
            &["--log-format", "json", "--grace", "soon", "--", "true"],
            &[],
        ),
        (&["--grace", "soon", "--log-format=json", "--", "true"], &[]),
        (&["--log-format", "json"], &[]),
        (
            &["--grace", "soon", "--", "true"],
            &[("PIDONE_LOG_FORMAT", "json")],
        ),
        (
            &["--", "true"],
            &[("PIDONE_LOG_FORMAT", "json"), ("PIDONE_GRACE", "soon")],
        ),
    ];
    for (args, env) in cases {
        let out = Command::new(pidone())
            .args(args)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .output()
            .expect("run pidone");
        assert_eq!(out.status.code(), Some(2), "{args:?} {env:?}");
        let lines = json_lines(&out.stderr);
        assert_eq!(lines.len(), 1, "{args:?} {env:?}");
        assert_eq!(lines[0]["level"], "error");
        let message = lines[0]["message"].as_str().unwrap_or_default();
        assert!(message.ends_with("(see 'pidone --help')"), "{message}");
        if args.contains(&"soon") || env.len() > 1 {
            assert!(message.contains("'soon'"), "{message}");
        }
    }
}
