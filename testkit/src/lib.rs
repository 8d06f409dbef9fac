//! Test harness: runs the real pidone binary against real processes, either as PID 1 of a
//! fresh PID namespace (`unshare --pid --fork --mount-proc`) or as an ordinary process.
//! Output arrives line by line over a channel, so tests wait for what a fixture prints
//! (`ready`) instead of sleeping. Every wait has a generous limit that fails the test, so a
//! hang fails instead of blocking CI; no assertion depends on the machine's speed.
//!
//! A crate of its own (a dev-dependency, tests/*.rs import it as `common`), so that every
//! test binary links the same build of it and rustc sees when a helper is no longer used.
//! The harness of the tests with real engines (a second dockerd, podman, containerd, the
//! root file systems they run) is its module `real`.

mod cross;
mod follow;
mod holder;
mod pidfd;
mod procfs;
mod raw;
pub mod real;
mod realtime;
mod report;
mod rlimit;
mod tempdir;
mod trace;

pub use {
    cross::*, follow::*, holder::*, pidfd::*, procfs::*, raw::*, realtime::*, report::*, rlimit::*,
    tempdir::*, trace::*,
};

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Longest any single wait may take before the test fails as hung.
pub const HANG: Duration = Duration::from_secs(30);

/// Whether this is the release build. A test of a property of the release binary (its size,
/// memory, address-space needs, symbols) says in one line that it is not checked in debug.
pub fn release_only(what: &str) -> bool {
    if cfg!(debug_assertions) {
        eprintln!(
            "NOT CHECKED: {what}: a property of the release binary; run `cargo test --profile suite`"
        );
        return false;
    }
    true
}

/// The pidone binary the tests run: `PIDONE_BIN` when set (a build for another
/// architecture, which binfmt_misc runs under qemu-user: tests/arm64.rs), else this
/// machine's release binary (`host_pidone`). A test file may choose it once with
/// `use_pidone` before any test starts it.
pub fn pidone() -> &'static str {
    PIDONE.get_or_init(|| match std::env::var("PIDONE_BIN") {
        Ok(path) if !path.is_empty() => path,
        _ => host_pidone().to_string(),
    })
}

static PIDONE: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Makes `pidone()` return `path` in this test process. Fails the test if another binary
/// was already in use: every test of a process must run the same one.
pub fn use_pidone(path: &str) {
    let chosen = PIDONE.get_or_init(|| path.to_string());
    assert_eq!(
        chosen, path,
        "this test process already runs another pidone"
    );
}

/// Where cargo put the binary it built with the tests and the fixture programs, whatever
/// binary the tests run (fixtures are always the host's; binfmt_misc runs each program
/// with its own architecture): the profile's directory. `env!("CARGO_BIN_EXE_pidone")`
/// exists only in the integration tests' own crates, not in this one; `cargo test` (1.94
/// and later) sets it at run time, and before that the running test binary says where
/// it is: in the profile's `deps/`.
fn host_build_dir() -> PathBuf {
    if let Some(bin) = std::env::var_os("CARGO_BIN_EXE_pidone") {
        return PathBuf::from(bin).parent().unwrap().to_path_buf();
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    let deps = exe.parent().expect("the test binary's directory");
    assert!(
        deps.file_name() == Some(std::ffi::OsStr::new("deps")),
        "{} is not where cargo puts test binaries (<profile>/deps/): run it with `cargo test`",
        exe.display()
    );
    deps.parent().unwrap().to_path_buf()
}

/// The repository: this crate's parent (`CARGO_MANIFEST_DIR` is testkit/ here).
pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("testkit/ has a parent")
}

/// This machine's pidone as it ships. A suite built in the `suite` profile (scripts/test.sh)
/// runs the release binary beside it, which `cargo build --release` made first; any other
/// build runs the binary built with it.
pub fn host_pidone() -> &'static str {
    static PATH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    PATH.get_or_init(|| {
        let dir = host_build_dir();
        let built = dir.join("pidone");
        if dir.file_name() != Some(std::ffi::OsStr::new("suite")) {
            return built.to_string_lossy().into_owned();
        }
        let shipped = dir.with_file_name("release").join("pidone");
        let mtime = |p: &std::path::Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
        let built = mtime(&shipped);
        assert!(
            built.is_some(),
            "{} is missing: the suite profile runs the release binary; `cargo build --release` first",
            shipped.display()
        );
        // A release binary older than its sources (cargo lists them beside it, in
        // pidone.d) would test yesterday's pidone.
        let deps = std::fs::read_to_string(dir.with_file_name("release").join("pidone.d"))
            .unwrap_or_default();
        let sources = deps.split_once(": ").map_or("", |(_, s)| s);
        for source in sources.split_whitespace() {
            assert!(
                mtime(std::path::Path::new(source)) <= built,
                "{} is older than {source}: `cargo build --release` first",
                shipped.display()
            );
        }
        shipped.to_string_lossy().into_owned()
    })
}

/// The signals the `tally` fixture recorded in `file`, in order (none if it never started).
pub fn tally_signals(file: &str) -> Vec<i32> {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.strip_prefix("sig ").map(|n| n.parse().unwrap()))
        .collect()
}

/// An application (`sh -c` text) that makes pidone write log lines under `-v` and waits
/// until pidone has dealt with what those writes raised (SIGPIPE on a broken stderr,
/// SIGXFSZ past `ulimit -f`) before it exits 7. It first waits until a write to its stderr
/// fails (a pipe whose reader is gone, a file past its limit), then sends pidone a SIGHUP and waits for it to come
/// back forwarded: the forwarding's log line raises the signal on pidone before its next
/// turn. Then it sends SIGSYS, a higher number, and waits for that too: pidone takes
/// pending signals in turn from the lowest above the last one taken (HUP), so the raised
/// SIGPIPE (13) or SIGXFSZ (25) is taken before SIGSYS (31). Had pidone forwarded it, the
/// application would have died of it (141, 153) before SIGSYS came back. A handshake, not
/// a sleep: on a slow machine it still exercises the bug. The waits after the first spin
/// on builtins: a `sleep` child would get the forwarded signals too, and the shell would
/// report its death on the broken stderr, dying of that SIGPIPE itself.
pub const SELF_SIGNAL_APP: &str = "until ! (trap \"\" PIPE XFSZ; echo probe >&2); do sleep 0.01; done; \
    trap \"h=1\" HUP; trap \"s=1\" SYS; kill -HUP $PPID; until [ -n \"$h\" ]; do :; done; \
    kill -SYS $PPID; until [ -n \"$s\" ]; do :; done; exit 7";

/// A program cargo builds as an example, next to the binary: a test fixture from
/// tests/fixtures/ or a user example from examples/ (both declared in Cargo.toml).
pub fn example(name: &str) -> String {
    let path = host_build_dir().join("examples").join(name);
    assert!(
        path.exists(),
        "{} is missing: run the whole suite (`cargo test --profile suite`), which builds the examples, \
         or `cargo build --profile suite --examples` first",
        path.display()
    );
    path.to_string_lossy().into_owned()
}

/// Whether pidone runs as PID 1 of its own namespace, or as a plain process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Pid1,
    Plain,
}

pub const MODES: [Mode; 2] = [Mode::Pid1, Mode::Plain];

pub fn command(mode: Mode, args: &[&str]) -> Command {
    match mode {
        Mode::Pid1 => {
            let mut cmd = Command::new("unshare");
            // --kill-child: if the test dies, the kernel takes the namespace down with it.
            cmd.args(["--pid", "--fork", "--mount-proc", "--kill-child", "--"]);
            cmd.arg(pidone()).args(args);
            cmd
        }
        Mode::Plain => {
            let mut cmd = Command::new(pidone());
            cmd.args(args);
            cmd
        }
    }
}

/// A running pidone (possibly behind unshare), with its output streaming in.
pub struct Proc {
    pub mode: Mode,
    /// The process the test started: unshare, or pidone itself.
    pub pid: i32,
    lines: Receiver<String>,
    /// Every stdout line taken so far, for the message when a wait runs out.
    seen: Mutex<Vec<String>>,
    stderr: Arc<Mutex<String>>,
    /// Says when stderr has ended (every holder of the pipe has closed it).
    stderr_done: Receiver<()>,
    exit: Receiver<ExitStatus>,
    pub started: Instant,
    /// Ends the started process if the test fails before it exits (behind unshare's
    /// --kill-child, that takes the whole namespace down).
    _kill: KillOnDrop,
}

/// How a run ended.
#[derive(Debug)]
pub struct Outcome {
    pub status: ExitStatus,
    /// Stdout lines not yet taken with `line()`.
    pub rest: Vec<String>,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Outcome {
    pub fn code(&self) -> i32 {
        self.status.code().unwrap_or_else(|| {
            panic!(
                "pidone died by a signal ({:?}); stderr: {}",
                self.status, self.stderr
            )
        })
    }
}

pub fn start(mode: Mode, args: &[&str]) -> Proc {
    spawn(mode, command(mode, args))
}

pub fn spawn(mode: Mode, mut cmd: Command) -> Proc {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    if cmd.get_program() != "sh" {
        cmd.stdin(Stdio::null());
    }
    // Taken before the spawn, so `elapsed` is never shorter than pidone's life: a test that
    // checks a grace was spent in full must not lose the time spent starting threads here.
    let started = Instant::now();
    let mut child = cmd.spawn().expect("start pidone");
    let pid = child.id() as i32;
    let kill = KillOnDrop::new(pid);
    let (line_tx, lines) = channel();
    let out = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if line_tx.send(line).is_err() {
                break;
            }
        }
    });
    let stderr = Arc::new(Mutex::new(String::new()));
    let mut err = child.stderr.take().unwrap();
    let sink = stderr.clone();
    let (done_tx, stderr_done) = channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = err.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
        let _ = done_tx.send(());
    });
    let (exit_tx, exit) = channel();
    std::thread::spawn(move || {
        let _ = exit_tx.send(child.wait().expect("wait"));
    });
    Proc {
        mode,
        pid,
        lines,
        seen: Mutex::new(Vec::new()),
        stderr,
        stderr_done,
        exit,
        started,
        _kill: kill,
    }
}

impl Proc {
    pub fn stderr_so_far(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// The last stdout lines taken so far (at most 50), for failure messages.
    fn stdout_so_far(&self) -> Vec<String> {
        let seen = self.seen.lock().unwrap();
        seen[seen.len().saturating_sub(50)..].to_vec()
    }

    /// The next stdout line before `deadline`; fails the test, with what was seen so far,
    /// if none comes.
    fn line_before(&self, deadline: Instant, waiting_for: &str) -> String {
        let left = deadline.saturating_duration_since(Instant::now());
        match self.lines.recv_timeout(left) {
            Ok(line) => {
                self.seen.lock().unwrap().push(line.clone());
                line
            }
            Err(RecvTimeoutError::Timeout) => panic!(
                "no {waiting_for} within {HANG:?}; stdout so far: {:?}; stderr: {}",
                self.stdout_so_far(),
                self.stderr_so_far()
            ),
            Err(RecvTimeoutError::Disconnected) => panic!(
                "output ended before {waiting_for}; stdout so far: {:?}; stderr: {}",
                self.stdout_so_far(),
                self.stderr_so_far()
            ),
        }
    }

    /// The next stdout line, awaited as `what` (named in the failure if none comes within
    /// `HANG`).
    pub fn line_for(&self, what: &str) -> String {
        self.line_before(Instant::now() + HANG, what)
    }

    /// The next stdout line; fails the test if none comes within `HANG`.
    pub fn line(&self) -> String {
        self.line_before(Instant::now() + HANG, "output")
    }

    /// Skips lines until one starts with `prefix`; returns it. Fails the test if none has
    /// come within `HANG` in all.
    pub fn until(&self, prefix: &str) -> String {
        let deadline = Instant::now() + HANG;
        loop {
            let line = self.line_before(deadline, &format!("line starting {prefix:?}"));
            if line.starts_with(prefix) {
                return line;
            }
        }
    }

    /// Skips lines until one satisfies `wanted` (described by `what`); returns it. Fails
    /// the test if none has come within `HANG` in all.
    pub fn until_with(&self, what: &str, mut wanted: impl FnMut(&str) -> bool) -> String {
        let deadline = Instant::now() + HANG;
        loop {
            let line = self.line_before(deadline, what);
            if wanted(&line) {
                return line;
            }
        }
    }

    /// The pid of the pidone process (the child of unshare in PID 1 mode). Call it after
    /// the application has said it is ready, so pidone certainly exists.
    pub fn pidone_pid(&self) -> i32 {
        match self.mode {
            Mode::Plain => self.pid,
            Mode::Pid1 => {
                let path = format!("/proc/{0}/task/{0}/children", self.pid);
                let text = std::fs::read_to_string(&path).expect("read unshare's children");
                text.split_whitespace()
                    .next()
                    .expect("unshare has a child")
                    .parse()
                    .unwrap()
            }
        }
    }

    /// Sends `sig` to pidone.
    pub fn signal(&self, sig: i32) {
        let pid = self.pidone_pid();
        // SAFETY: kill has no memory effects.
        let rc = unsafe { libc::kill(pid, sig) };
        assert_eq!(rc, 0, "kill({pid}, {sig})");
    }

    /// Waits for pidone to exit and collects what is left of its output.
    pub fn wait(self) -> Outcome {
        let status = match self.exit.recv_timeout(HANG) {
            Ok(status) => status,
            Err(_) => {
                // SAFETY: kill has no memory effects.
                unsafe { libc::kill(self.pid, libc::SIGKILL) };
                panic!(
                    "pidone did not exit within {HANG:?}; stdout so far: {:?}; stderr: {}",
                    self.stdout_so_far(),
                    self.stderr_so_far()
                );
            }
        };
        let elapsed = self.started.elapsed();
        // What is left of the output, to its end. Bounded like every wait: a process that
        // outlived pidone and still holds a pipe is a failure to report, not a reason to
        // hang.
        let deadline = Instant::now() + HANG;
        let mut rest = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => rest.push(line),
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => panic!(
                    "exited ({status:?}), but its stdout was still open {HANG:?} later: \
                     something it started holds it. stdout before the exit: {:?}; after: \
                     {rest:?}; stderr: {}",
                    self.stdout_so_far(),
                    self.stderr_so_far()
                ),
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if self.stderr_done.recv_timeout(left).is_err() {
            panic!(
                "exited ({status:?}), but its stderr was still open {HANG:?} later: \
                 something it started holds it. stdout: {:?} {rest:?}; stderr: {}",
                self.stdout_so_far(),
                self.stderr_so_far()
            );
        }
        Outcome {
            status,
            rest,
            stderr: self.stderr_so_far(),
            elapsed,
        }
    }
}

/// Runs pidone to completion with no interaction.
pub fn run(mode: Mode, args: &[&str]) -> Outcome {
    start(mode, args).wait()
}

/// Voluntary plus involuntary context switches of a process so far.
pub fn context_switches(pid: i32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .filter(|l| l.contains("ctxt_switches"))
        .map(|l| l.split_whitespace().last().unwrap().parse::<u64>().unwrap())
        .sum()
}

/// A field of /proc/PID/status, e.g. "SigBlk".
pub fn status_field(pid: i32, field: &str) -> String {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap_or_else(|| panic!("no {field} in status"))
        .trim()
        .to_string()
}

/// Whether a process with this pid exists (as anything but a zombie of someone else).
pub fn alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks for existence.
    unsafe { libc::kill(pid, 0) == 0 }
}

/// Docker's `parseInitVersion` (daemon/info_unix.go): split on " - ", `git.COMMIT` after
/// it, `tini version VERSION` before; both empty is an error.
pub fn parse_init_version(v: &str) -> Result<(String, String), String> {
    let parts: Vec<&str> = v.split(" - ").collect();
    let mut commit = String::new();
    if parts.len() >= 2 {
        let git: Vec<&str> = parts[1].trim().split('.').collect();
        if git.len() == 2 && git[0] == "git" {
            commit = git[1].to_string();
        }
    }
    let version = parts[0]
        .trim()
        .strip_prefix("tini version ")
        .unwrap_or("")
        .to_string();
    if version.is_empty() && commit.is_empty() {
        return Err(format!("unknown output format: {v}"));
    }
    Ok((version, commit))
}

/// Polls `cond` until it holds; fails the test after `HANG`. For states that announce
/// themselves on no pipe (a process appearing, a syscall being entered).
pub fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + HANG;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// The children of `pid` (host pids).
pub fn children(pid: i32) -> Vec<i32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .map(|p| p.parse().unwrap())
        .collect()
}

/// Every descendant of `pid` (host pids), parents before their children.
pub fn descendants(pid: i32) -> Vec<i32> {
    let mut all = children(pid);
    let mut i = 0;
    while let Some(&p) = all.get(i) {
        all.extend(children(p));
        i += 1;
    }
    all
}

/// Waits for `child` until `timeout`, with its output and how long it ran; past the
/// timeout the child is killed and None returned (None too if waiting failed).
pub fn wait_bounded(
    child: std::process::Child,
    timeout: Duration,
) -> Option<(std::process::Output, Duration)> {
    let start = Instant::now();
    let pid = child.id() as libc::pid_t;
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(timeout) {
        Ok(Ok(out)) => Some((out, start.elapsed())),
        Ok(Err(_)) => None,
        Err(_) => {
            // SAFETY: kill has no memory effects; the child is not reaped until the
            // waiting thread sees it die, so the pid cannot have been reused.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            None
        }
    }
}

/// A Dockerfile's instructions: comments and blank lines dropped, continuation lines
/// joined.
pub fn dockerfile_instructions(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut pending = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(head) = line.strip_suffix('\\') {
            pending.push_str(head.trim_end());
            pending.push(' ');
            continue;
        }
        pending.push_str(line);
        out.push(std::mem::take(&mut pending));
    }
    out
}

/// Whether `pid` is blocked in its signal wait (or a read, for signalfd-based inits):
/// /proc/PID/syscall names the system call a sleeping process is in. x86_64: 0 read,
/// 128 rt_sigtimedwait.
pub fn in_signal_wait(pid: i32) -> bool {
    let syscall = std::fs::read_to_string(format!("/proc/{pid}/syscall")).unwrap_or_default();
    matches!(syscall.split_whitespace().next(), Some("0" | "128"))
}

/// Waits until the init of `p` (running `program`) blocks in its signal wait, so a signal
/// sent now is taken, not dropped by the kernel (a namespace's init ignores signals it
/// has not blocked or handled). Returns its pid.
pub fn init_ready(p: &Proc, program: &str) -> i32 {
    let init = started(p);
    let exe = std::fs::canonicalize(program).unwrap();
    wait_until("the init to wait for signals", || {
        let running = std::fs::read_link(format!("/proc/{init}/exe")).is_ok_and(|e| e == exe);
        running && in_signal_wait(init)
    });
    init
}

/// The pid of the init of `p` (the child of unshare), once it exists. It blocks every
/// signal before it starts the application, so once that runs, it is ready for signals.
pub fn started(p: &Proc) -> i32 {
    wait_until("the init to start", || !children(p.pid).is_empty());
    p.pidone_pid()
}

/// What a finished command did.
#[derive(Debug, Clone)]
pub struct Ran {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Ran {
    pub fn ok(&self) -> bool {
        self.code == Some(0)
    }
}

/// Runs `cmd` (stdin closed, output captured); an error if it cannot start or is still
/// running after `timeout` (it is then killed). For set-up code, which must not panic.
pub fn try_command(cmd: &mut Command, timeout: Duration) -> Result<Ran, String> {
    let shown = format!("{cmd:?}");
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {shown}: {e}"))?;
    let (out, elapsed) = wait_bounded(child, timeout)
        .ok_or_else(|| format!("{shown} still running after {timeout:?}: killed"))?;
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    Ok(Ran {
        code: out.status.code(),
        stdout: text(&out.stdout),
        stderr: text(&out.stderr),
        elapsed,
    })
}

/// Runs `cmd` (stdin closed, output captured), failing the test if it cannot start or
/// takes longer than `timeout` (it is killed first).
pub fn run_command(cmd: &mut Command, timeout: Duration) -> Ran {
    try_command(cmd, timeout).unwrap_or_else(|e| panic!("{e}"))
}

/// `program args` to completion, as `run_command`.
pub fn run_args(program: &str, args: &[&str], timeout: Duration) -> Ran {
    run_command(Command::new(program).args(args), timeout)
}

/// `PROGRAM ARGS` with stdin closed: exit code, stdout and stderr (trimmed). Fails the test
/// if it takes longer than `timeout` (the command is killed first).
pub fn run_bounded(
    program: &str,
    args: &[&str],
    timeout: Duration,
) -> (Option<i32>, String, String) {
    let ran = run_args(program, args, timeout);
    let trim = |s: &str| s.trim().to_string();
    (ran.code, trim(&ran.stdout), trim(&ran.stderr))
}

/// `docker ARGS`: exit code, stdout and stderr, killed after two minutes.
pub fn docker_try(args: &[&str]) -> (Option<i32>, String, String) {
    run_bounded("docker", args, std::time::Duration::from_secs(120))
}

/// A docker command that must succeed; returns its stdout.
pub fn docker(args: &[&str]) -> String {
    let (code, stdout, stderr) = docker_try(args);
    assert_eq!(
        code,
        Some(0),
        "`docker {}`: {stdout}{stderr}",
        args.join(" ")
    );
    stdout
}
