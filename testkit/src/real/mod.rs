//! The harness of the real-engine tests (tests/engines.rs, pods.rs, runtimes.rs) and the
//! real-server tests (tests/apps.rs), which import it as `use pidone_testkit::real;`:
//! engine command lines with deadlines, containers that are removed whatever happens to
//! the test, `logs -f` followed line by line, the results table that each binary prints
//! when it ends, and the rule for a missing tool (a loud SKIP, or a FAIL when CI is set).
//!
//! Every wait is for something a container prints, or for an engine command to return,
//! and each has a deadline that fails the test. Names start with `engines-` and carry the
//! run's id, so nothing here touches what other tests or other people run on the machine.

pub mod config;
pub mod containerd;
pub mod dockerd;
pub mod podman;
pub mod rootfs;

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How long one line of container output may take to appear.
pub const LINE: Duration = Duration::from_secs(60);
/// How long one engine command may take (a build, an import, a run to completion, a stop).
pub const COMMAND: Duration = Duration::from_secs(180);
/// The label every container and image on the machine's own Docker daemon carries.
pub const LABEL: &str = "org.pidone.engines";

// ---- where things are -----------------------------------------------------------------

pub use crate::repo;

/// The pidone binary the tests run (the static musl release build: the harness, testkit/).
pub fn pidone() -> PathBuf {
    PathBuf::from(crate::pidone())
}

/// The target directory: three levels above the binary.
fn target_dir() -> PathBuf {
    pidone()
        .ancestors()
        .nth(3)
        .map_or_else(|| repo().join("target"), Path::to_path_buf)
}

/// A fixture from examples/ that cargo built with the tests, or why it cannot be used.
pub fn example(name: &str) -> Result<PathBuf, String> {
    let built = crate::host_build_dir().join("examples").join(name);
    let source = repo().join("examples").join(format!("{name}.rs"));
    let mtime = |p: &Path| fs::metadata(p).and_then(|m| m.modified()).ok();
    match (mtime(&built), mtime(&source)) {
        (None, _) => Err(format!(
            "{} is missing: run `cargo build --profile suite --examples` first",
            built.display()
        )),
        (Some(b), Some(s)) if s > b => Err(format!(
            "{} is older than its source: run `cargo build --profile suite --examples`",
            built.display()
        )),
        _ => Ok(built),
    }
}

/// This run's id: the test process's pid in hex. Short, because it is part of the names of
/// bridges (at most 15 bytes), and enough to tell a live run from a dead one.
pub fn run_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| format!("{:x}", std::process::id()))
}

/// A unique container name of this run: `engines-RUN-WHAT-N`.
pub fn name(what: &str) -> String {
    static N: Mutex<u32> = Mutex::new(0);
    let mut n = N.lock().unwrap_or_else(|e| e.into_inner());
    *n += 1;
    format!("engines-{}-{what}-{}", run_id(), *n)
}

/// Whether the pid of a run that made `engines-PID...` things is still alive.
fn run_alive(hex_pid: &str) -> bool {
    match u32::from_str_radix(hex_pid, 16) {
        // SAFETY: signal 0 only checks that the process exists.
        Ok(pid) => unsafe { libc::kill(pid as libc::pid_t, 0) == 0 },
        Err(_) => true,
    }
}

// ---- a missing tool, the marker, output ------------------------------------------------

/// A part of a test binary's set-up: ready, absent from this machine (skip; fail in CI),
/// or present but broken (fail).
pub enum Part<T> {
    Ready(T),
    Missing(String),
    Broken(String),
}

impl<T> Part<T> {
    /// The part for `test`, or None after a loud SKIP (a FAIL in CI) when it is missing;
    /// a broken part fails the test.
    pub fn get(&self, test: &str) -> Option<&T> {
        match self {
            Part::Ready(t) => Some(t),
            Part::Missing(why) => {
                not_here(test, why);
                None
            }
            Part::Broken(why) => panic!("{test}: {why}"),
        }
    }
}

/// A test binary's set-up on both engines: the Docker and podman parts, and the name of
/// the image each holds.
pub struct Both<D, P> {
    pub docker: Part<D>,
    pub podman: Part<P>,
    /// The image's name in Docker; in podman it is `localhost/` + this.
    pub image: String,
}

/// Starts the results table (`title`, `columns`), then makes the Docker and podman parts
/// of a set-up from one image's root file system (`tar`) at once, each on a thread of its
/// own, each given the tar and the image's name (`engines-WHAT:RUN`). A tar that cannot be
/// made breaks both.
pub fn docker_and_podman<D: Send, P: Send>(
    (title, columns): (&str, &[&str]),
    what: &str,
    tar: impl FnOnce() -> Result<PathBuf, String>,
    docker: impl FnOnce(&Path, &str) -> Part<D> + Send,
    podman: impl FnOnce(&Path, &str) -> Part<P> + Send,
) -> Both<D, P> {
    table(title, columns);
    let image = format!("engines-{what}:{}", run_id());
    let (docker, podman) = match tar() {
        Err(why) => (Part::Broken(why.clone()), Part::Broken(why)),
        Ok(tar) => {
            let (tar, name) = (tar.as_path(), image.as_str());
            std::thread::scope(|scope| {
                let d = scope.spawn(move || docker(tar, name));
                let p = scope.spawn(move || podman(tar, name));
                (
                    d.join()
                        .unwrap_or_else(|_| Part::Broken("docker set-up panicked".into())),
                    p.join()
                        .unwrap_or_else(|_| Part::Broken("podman set-up panicked".into())),
                )
            })
        }
    };
    Both {
        docker,
        podman,
        image,
    }
}

/// The version of the machine's own Docker daemon, or why it cannot be used.
pub fn docker_version() -> Result<String, String> {
    let out = run_args(
        "docker",
        &["version", "-f", "{{.Server.Version}}"],
        Duration::from_secs(60),
    );
    if !out.ok() {
        return Err(format!(
            "the machine's Docker daemon does not answer: {}",
            out.stderr.trim()
        ));
    }
    Ok(out.stdout.trim().to_string())
}

fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty())
}

/// A tool the test needs is missing: a loud SKIP, or in CI (env CI set) a failure, since
/// scripts/setup.sh installs everything these tests need.
pub fn not_here(test: &str, why: &str) {
    if in_ci() {
        panic!("FAIL: {test}: {why} (CI is set: scripts/setup.sh should have installed it)");
    }
    say(&format!("SKIP: {test}: {why}"));
}

/// Records in target/docker-tests-ran that `test` ran to the end (scripts/test.sh checks
/// it in CI: an engine that answers while no test ran is a failure).
pub fn ran(test: &str) {
    let marker = target_dir().join("docker-tests-ran");
    let written = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&marker)
        .and_then(|mut f| writeln!(f, "ran {test}"));
    if let Err(e) = written {
        panic!("write {}: {e}", marker.display());
    }
}

/// Writes to the real stderr, past the test harness's capture: measurements and SKIP
/// lines must be seen in a normal `cargo test` run.
pub fn say(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

pub fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

// ---- running commands, with deadlines ----------------------------------------------------

pub use crate::{Ran as Output, run_args};

/// Runs `cmd` (stdin closed, output captured), failing the test past `timeout`.
pub fn run(mut cmd: Command, timeout: Duration) -> Output {
    crate::run_command(&mut cmd, timeout)
}

/// Runs `cmd` (stdin closed, output captured); an error if it cannot start or is still
/// running after `timeout` (it is then killed). For set-up code, which must not panic.
pub fn run_result(mut cmd: Command, timeout: Duration) -> Result<Output, String> {
    crate::try_command(&mut cmd, timeout)
}

/// `program args`, which must succeed; its trimmed stdout, or what went wrong.
pub fn must(program: &str, args: &[&str]) -> Result<String, String> {
    let out = run_args(program, args, COMMAND);
    if out.ok() {
        Ok(out.stdout.trim().to_string())
    } else {
        Err(format!(
            "`{program} {}` failed ({:?}): {}{}",
            args.join(" "),
            out.code,
            out.stdout,
            out.stderr.trim()
        ))
    }
}

/// Whether `program` is on PATH.
pub fn have(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

/// The sha256 of a host file, by `sha256sum` (the same tool the containers use).
pub fn sha256(path: &Path) -> String {
    let path = path.to_string_lossy();
    let sum = must("sha256sum", &[&path]).unwrap_or_else(|e| panic!("{e}"));
    sum.split_whitespace().next().unwrap_or("").to_string()
}

/// Removes a directory tree this run made, but never across a mount point: whatever an
/// engine left mounted below it stays, and a loud line says so.
pub fn remove_tree(dir: &Path) {
    let shown = dir.to_string_lossy();
    let mounts = fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let below: Vec<&str> = mounts
        .lines()
        .filter_map(|l| l.split_whitespace().nth(4))
        .filter(|m| Path::new(m).starts_with(dir))
        .collect();
    if !below.is_empty() {
        say(&format!(
            "LEFT BEHIND: {shown}: still mounted below it: {below:?}"
        ));
        return;
    }
    let _ = run_args("rm", &["-rf", "--one-file-system", &shown], COMMAND);
}

// ---- long-lived processes that die with the test binary -------------------------------------

type SpawnRequest = (Command, Sender<std::io::Result<Child>>);

/// Starts a long-lived process (a dockerd) that gets SIGTERM when this test binary dies,
/// however it dies: PR_SET_PDEATHSIG fires when the *thread* that forked exits, so the fork
/// happens on a thread of its own that lives as long as the process.
fn spawn_tied(mut cmd: Command) -> std::io::Result<Child> {
    static KEEPER: OnceLock<Mutex<Sender<SpawnRequest>>> = OnceLock::new();
    let keeper = KEEPER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<SpawnRequest>();
        std::thread::spawn(move || {
            while let Ok((mut cmd, reply)) = rx.recv() {
                let _ = reply.send(cmd.spawn());
            }
            // The sender lives in a static, so this is never reached; if it were, this
            // thread must still not end.
            loop {
                std::thread::park();
            }
        });
        Mutex::new(tx)
    });
    use std::os::unix::process::CommandExt;
    // SAFETY: only async-signal-safe calls between fork and exec: a session of its own
    // (a Ctrl-C in the terminal is for the tests, not the daemon) and the death signal.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM as libc::c_ulong);
            Ok(())
        });
    }
    let (reply_tx, reply_rx) = mpsc::channel();
    keeper
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .send((cmd, reply_tx))
        .map_err(|_| std::io::Error::other("the spawning thread is gone"))?;
    reply_rx
        .recv()
        .map_err(|_| std::io::Error::other("the spawning thread is gone"))?
}

/// Sends SIGTERM to `child` and waits up to `timeout` for it to exit; SIGKILL past that
/// (said loudly). Returns how long it took.
fn terminate(child: &mut Child, what: &str, timeout: Duration) -> Duration {
    let start = Instant::now();
    // SAFETY: kill has no memory effects; `child` is not reaped yet, so the pid is its.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    while start.elapsed() < timeout {
        if let Ok(Some(_)) = child.try_wait() {
            return start.elapsed();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    say(&format!(
        "{what} did not stop within {timeout:?} of SIGTERM: SIGKILL"
    ));
    let _ = child.kill();
    let _ = child.wait();
    start.elapsed()
}

/// Starts a daemon the test owns (dockerd, containerd) with its output in `log_path`: it
/// gets SIGTERM when the test binary exits (and from the kernel if the binary dies first).
/// Returns once `answers` succeeds, or an error with the end of the daemon's log when the
/// daemon exits or does not answer within a minute.
fn start_daemon(
    mut cmd: Command,
    label: &str,
    log_path: &Path,
    answers: impl Fn() -> Output,
) -> Result<(), String> {
    let log = fs::File::create(log_path).map_err(|e| format!("create {label}'s log: {e}"))?;
    let log2 = log.try_clone().map_err(|e| e.to_string())?;
    cmd.stdin(Stdio::null()).stdout(log).stderr(log2);
    let child = spawn_tied(cmd).map_err(|e| format!("cannot start {label}: {e}"))?;
    let child: Arc<Mutex<Option<Child>>> = Arc::new(Mutex::new(Some(child)));
    let child_for_exit = child.clone();
    let label_for_exit = label.to_string();
    at_exit(move || {
        let taken = child_for_exit
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(mut c) = taken {
            let took = terminate(&mut c, &label_for_exit, Duration::from_secs(60));
            say(&format!(
                "{label_for_exit}: stopped by SIGTERM in {:.1} s",
                took.as_secs_f64()
            ));
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let out = answers();
        if out.ok() {
            return Ok(());
        }
        let exited = child
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(Some(_))));
        if exited || Instant::now() > deadline {
            let log = fs::read_to_string(log_path).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(15).collect();
            return Err(format!(
                "{label} did not answer: {}\nits log ends:\n{}",
                out.stderr.trim(),
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            ));
        }
        // A daemon announces nothing on a pipe when it is ready: ask again shortly.
        std::thread::sleep(Duration::from_millis(100));
    }
}

// ---- what runs when the test binary ends -------------------------------------------------------

type Hook = Box<dyn FnOnce() + Send>;
static HOOKS: Mutex<Vec<Hook>> = Mutex::new(Vec::new());

/// Runs `hook` when the test binary exits (after the last test), last registered first.
pub fn at_exit(hook: impl FnOnce() + Send + 'static) {
    static REGISTERED: OnceLock<()> = OnceLock::new();
    REGISTERED.get_or_init(|| {
        // SAFETY: registers a plain extern "C" function; it runs once, at exit.
        unsafe { libc::atexit(run_hooks) };
    });
    HOOKS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(Box::new(hook));
}

extern "C" fn run_hooks() {
    print_table();
    loop {
        let hook = HOOKS.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let Some(hook) = hook else { break };
        hook();
    }
}

// ---- the results table ---------------------------------------------------------------------

struct Table {
    title: String,
    columns: Vec<String>,
    rows: Vec<(String, BTreeMap<String, String>)>,
}

static TABLE: Mutex<Option<Table>> = Mutex::new(None);

/// Names the table this binary prints at its end, and its columns in order.
pub fn table(title: &str, columns: &[&str]) {
    let mut t = TABLE.lock().unwrap_or_else(|e| e.into_inner());
    if t.is_none() {
        *t = Some(Table {
            title: title.to_string(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows: Vec::new(),
        });
        at_exit(|| {});
    }
}

/// One measured result, shown at the end in row `row`, column `column`, and at once.
pub fn record(row: &str, column: &str, value: &str) {
    say(&format!("RESULT {row} | {column}: {value}"));
    let mut t = TABLE.lock().unwrap_or_else(|e| e.into_inner());
    let Some(t) = t.as_mut() else { return };
    if !t.columns.iter().any(|c| c == column) {
        t.columns.push(column.to_string());
    }
    match t.rows.iter_mut().find(|(r, _)| r == row) {
        Some((_, cells)) => {
            cells.insert(column.to_string(), value.to_string());
        }
        None => {
            let cells = BTreeMap::from([(column.to_string(), value.to_string())]);
            t.rows.push((row.to_string(), cells));
        }
    }
}

/// Prints the table as Markdown and writes it to target/NAME-results.md.
fn print_table() {
    let t = TABLE.lock().unwrap_or_else(|e| e.into_inner());
    let Some(t) = t.as_ref() else { return };
    if t.rows.is_empty() {
        return;
    }
    let mut text = format!(
        "{}\n\n| check | {} |\n|---|",
        t.title,
        t.columns.join(" | ")
    );
    text.push_str(&"---|".repeat(t.columns.len()));
    text.push('\n');
    for (row, cells) in &t.rows {
        let values: Vec<&str> = t
            .columns
            .iter()
            .map(|c| cells.get(c).map_or("", String::as_str))
            .collect();
        text.push_str(&format!("| {row} | {} |\n", values.join(" | ")));
    }
    say(&format!("\n{text}"));
    let file = t
        .title
        .split_whitespace()
        .next()
        .unwrap_or("engines")
        .trim_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase();
    let _ = fs::write(target_dir().join(format!("{file}-results.md")), text);
}

// ---- engines: docker (any daemon) and podman -----------------------------------------------

/// One engine's command line: `docker` aimed at one daemon, or `podman` with its own
/// storage and configuration.
#[derive(Clone, Debug)]
pub struct Engine {
    pub program: &'static str,
    global: Vec<String>,
    env: Vec<(String, String)>,
}

impl Engine {
    /// `docker`, aimed at `host` (a `unix://` address), or at the default daemon.
    pub fn docker(host: Option<&str>) -> Engine {
        Engine {
            program: "docker",
            global: Vec::new(),
            env: host.map_or_else(Vec::new, |h| vec![("DOCKER_HOST".into(), h.into())]),
        }
    }

    fn podman(global: Vec<String>, env: Vec<(String, String)>) -> Engine {
        Engine {
            program: "podman",
            global,
            env,
        }
    }

    /// The environment this engine's command line needs (DOCKER_HOST, CONTAINERS_CONF).
    pub fn env(&self) -> &[(String, String)] {
        &self.env
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(self.program);
        cmd.args(&self.global).args(args);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    pub fn try_run(&self, args: &[&str]) -> Output {
        run(self.command(args), COMMAND)
    }

    /// A command that must succeed; its trimmed stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.try_run(args);
        assert!(
            out.ok(),
            "`{} {}` failed ({:?}): {}{}",
            self.program,
            args.join(" "),
            out.code,
            out.stdout,
            out.stderr
        );
        out.stdout.trim().to_string()
    }

    /// The flags every container gets: its name, the run's label and, unless `flags` name
    /// another network or a podman pod (whose network the pod chose), no network (there is
    /// no docker0 here, and podman's default network would add a bridge and firewall rules).
    fn base_flags(&self, name: &str, flags: &[&str]) -> Vec<String> {
        let mut base = vec![
            "--name".to_string(),
            name.to_string(),
            "--label".to_string(),
            format!("{LABEL}={}", run_id()),
        ];
        if !flags
            .iter()
            .any(|f| f.starts_with("--network") || f.starts_with("--pod"))
        {
            base.extend(["--network".to_string(), "none".to_string()]);
        }
        base
    }

    fn run_args(
        &self,
        detach: bool,
        name: &str,
        flags: &[&str],
        image: &str,
        cmd: &[&str],
    ) -> Vec<String> {
        let mut args = vec!["run".to_string()];
        if detach {
            args.push("-d".to_string());
        }
        args.extend(self.base_flags(name, flags));
        args.extend(flags.iter().map(|s| s.to_string()));
        args.push(image.to_string());
        args.extend(cmd.iter().map(|s| s.to_string()));
        args
    }

    /// `run -d FLAGS IMAGE CMD`, with its guard and its log.
    pub fn start(&self, what: &str, flags: &[&str], image: &str, cmd: &[&str]) -> Running {
        let name = name(what);
        let guard = Guard {
            engine: self.clone(),
            name: name.clone(),
        };
        let args = self.run_args(true, &name, flags, image, cmd);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.ok(&args);
        let log = follow(self, &name);
        Running {
            engine: self.clone(),
            name,
            log,
            _guard: guard,
        }
    }

    /// `run FLAGS IMAGE CMD` to completion: the container's exit code and the output.
    pub fn run_to_end(
        &self,
        what: &str,
        flags: &[&str],
        image: &str,
        cmd: &[&str],
    ) -> (i32, Output) {
        let name = name(what);
        let _guard = Guard {
            engine: self.clone(),
            name: name.clone(),
        };
        let args = self.run_args(false, &name, flags, image, cmd);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = self.try_run(&args);
        let code = self
            .try_run(&["inspect", "-f", "{{.State.ExitCode}}", &name])
            .stdout
            .trim()
            .parse()
            .unwrap_or_else(|_| out.code.unwrap_or(-1));
        (code, out)
    }
}

/// Removes its container, whatever happened to the test.
struct Guard {
    engine: Engine,
    name: String,
}

impl Drop for Guard {
    fn drop(&mut self) {
        let cmd = self.engine.command(&["rm", "-f", "-v", &self.name]);
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(cmd, COMMAND)));
    }
}

/// `logs -f NAME` through this engine: every line the container writes, as it comes.
pub type Log = crate::ContainerLog;

/// Follows container `name`'s output through `engine`.
pub fn follow(engine: &Engine, name: &str) -> Log {
    Log::follow(engine.command(&["logs", "-f", name]), LINE)
}

/// A detached container, its log, and the guard that removes it.
pub struct Running {
    pub engine: Engine,
    pub name: String,
    pub log: Log,
    _guard: Guard,
}

impl Running {
    /// `stop -t SECS`: how long it took and the container's exit code.
    pub fn stop(&self, timeout_secs: u32) -> (Duration, i32) {
        let t = timeout_secs.to_string();
        let out = self.engine.try_run(&["stop", "-t", &t, &self.name]);
        assert!(out.ok(), "stop failed: {}", out.stderr);
        (out.elapsed, self.exit_code())
    }

    /// Waits for the container to exit and returns its code.
    pub fn wait(&self) -> i32 {
        let out = self.engine.ok(&["wait", &self.name]);
        out.lines()
            .last()
            .unwrap_or("")
            .trim()
            .parse()
            .expect("exit code")
    }

    fn exit_code(&self) -> i32 {
        self.engine
            .ok(&["inspect", "-f", "{{.State.ExitCode}}", &self.name])
            .parse()
            .expect("exit code")
    }

    pub fn running(&self) -> bool {
        self.engine
            .ok(&["inspect", "-f", "{{.State.Running}}", &self.name])
            == "true"
    }

    pub fn kill(&self, signal: &str) {
        self.engine.ok(&["kill", "-s", signal, &self.name]);
    }

    pub fn exec(&self, cmd: &[&str]) -> Output {
        let mut args = vec!["exec", self.name.as_str()];
        args.extend(cmd);
        self.engine.try_run(&args)
    }

    /// The zombies in the container's PID namespace, counted from its /proc (the image
    /// needs busybox). A count that cannot be taken fails the test rather than reading 0.
    pub fn zombies(&self) -> usize {
        let script = "n=0; for s in /proc/[0-9]*/stat; do \
                      case \"$(cat $s 2>/dev/null)\" in *\") Z \"*) n=$((n+1));; esac; done; echo $n";
        let out = self.exec(&["/bin/sh", "-c", script]);
        out.stdout
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("counting zombies in {} failed: {out:?}", self.name))
    }
}

/// How many lines are exactly `exact` (trailing space ignored).
pub fn count(lines: &[String], exact: &str) -> usize {
    lines.iter().filter(|l| l.trim_end() == exact).count()
}

/// How many lines contain `part`.
pub fn count_containing(lines: &[String], part: &str) -> usize {
    lines.iter().filter(|l| l.contains(part)).count()
}

/// Runs `f` for every item at once, each on a thread of its own, and returns the results
/// in order: independent containers stop concurrently, so a 14 s stop costs 14 s once.
pub fn each<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = items.iter().map(|item| scope.spawn(|| f(item))).collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}
