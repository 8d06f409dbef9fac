//! pidone as PID 1 of real Docker containers, run the way users run it.
//!
//! Nothing is pulled: each run builds two images `FROM scratch`, once, and shares them
//! between the tests. The app image is tests/docker/Dockerfile.local (Dockerfile.example
//! with local base images): pidone plus the graceful server. The fixture image adds the
//! other examples and Debian's static busybox (`/bin/sh`, `wget`, `nc`, `cat`) on top of
//! it, so "the same image without pidone" is the fixture image with `--entrypoint /bin/sh`.
//! Containers get no network (`--network none`): clients reach a server over its loopback,
//! from a container that shares its network namespace.
//!
//! Every test waits for what the container prints (`docker logs -f`, or the pty of
//! `docker run -it`) or for `docker wait`/`docker stop` to return, never for a guessed
//! time, and every wait has a deadline that fails the test. Containers and images carry
//! the run's label and unique names; a guard removes each container when its test ends,
//! pass or fail, and the images go when the test process exits.
//!
//! When `docker info` fails, each Docker test prints one line starting `DOCKER TESTS NOT
//! RUN:` and passes, outside CI; in CI (the `CI` variable set) it fails instead: the engine
//! is part of the machine there, so its absence is a broken set-up, not a reason to skip.
//! When the engine answers, the run writes `docker-tests-ran` in the target directory
//! (`engine VERSION run ID`, then `ran NAME` for each test that passed), so CI can tell a
//! skipped suite from a run one. The files users copy are checked in tests/docs.rs.
//!
//! Needs: `cargo build --profile suite --examples` first (the static fixtures: the graceful
//! server from examples/, the others from tests/fixtures/) and busybox-static
//! (`/bin/busybox`).

use pidone_testkit as common;

use common::{ContainerLog, Ran, docker, parse_init_version, run_args, wait_bounded};
use std::fs;
use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long one line of container output may take to appear.
const LINE: Duration = Duration::from_secs(30);
/// How long one docker command may take (a build, a run to completion, a stop).
const COMMAND: Duration = Duration::from_secs(120);
/// The label every container and image of these tests carries.
const LABEL: &str = "org.pidone.test";
const BUSYBOX: &str = "/bin/busybox";
const FIXTURES: [&str; 5] = ["graceful", "sigecho", "stubborn", "zombies", "leftover"];

// ---- running commands, with deadlines ------------------------------------------------

fn docker_try(args: &[&str]) -> Ran {
    run_args("docker", args, COMMAND)
}

/// Writes to the real stderr, past the test harness's capture: measurements and the
/// not-run line must be seen in a normal `cargo test` run.
fn say(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

// ---- the shared set-up: engine check, images, marker ---------------------------------

struct Suite {
    run: String,
    app_image: String,
    fixture_image: String,
    pidone: PathBuf,
    marker: PathBuf,
}

enum Setup {
    NoEngine(String),
    Broken(String),
    Ready(Suite),
}

static SETUP: OnceLock<Setup> = OnceLock::new();
/// The run id, for the exit handler that removes what this run made.
static RUN: OnceLock<String> = OnceLock::new();
static NAMES: Mutex<u32> = Mutex::new(0);

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `<target>/x86_64-unknown-linux-musl/release/pidone`: the binary the tests run.
fn pidone_binary() -> PathBuf {
    PathBuf::from(common::pidone())
}

/// The target directory: three levels above the binary.
fn target_dir() -> PathBuf {
    let bin = pidone_binary();
    bin.ancestors()
        .nth(3)
        .map_or_else(|| repo().join("target"), Path::to_path_buf)
}

fn marker_path() -> PathBuf {
    target_dir().join("docker-tests-ran")
}

/// Whether this is a CI run (`CI` set to anything but empty), where nothing may skip.
fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty())
}

/// The suite for `test`, or None (after one loud line) when there is no engine outside
/// CI; in CI a missing engine fails the test.
fn suite(test: &str) -> Option<&'static Suite> {
    match SETUP.get_or_init(setup) {
        Setup::NoEngine(why) if in_ci() => {
            panic!("CI is set, and the Docker tests cannot run: {test}: {why}")
        }
        Setup::NoEngine(why) => {
            say(&format!("DOCKER TESTS NOT RUN: {test}: {why}"));
            None
        }
        Setup::Broken(why) => panic!("{why}"),
        Setup::Ready(suite) => Some(suite),
    }
}

impl Suite {
    /// Records in the marker that `test` ran to the end.
    fn ran(&self, test: &str) {
        let mut f = fs::OpenOptions::new()
            .append(true)
            .open(&self.marker)
            .expect("open the marker");
        writeln!(f, "ran {test}").expect("write the marker");
    }

    /// A unique container name for this run.
    fn name(&self, what: &str) -> String {
        let mut n = NAMES.lock().unwrap();
        *n += 1;
        format!("pidone-test-{}-{what}-{}", self.run, *n)
    }

    /// The flags every container gets: its name, the run's label and, unless `flags` name
    /// another, no network (loopback only).
    fn base_flags(&self, name: &str, flags: &[&str]) -> Vec<String> {
        let mut base = vec![
            "--name".to_string(),
            name.to_string(),
            "--label".to_string(),
            format!("{LABEL}={}", self.run),
        ];
        if !flags.contains(&"--network") {
            base.extend(["--network".to_string(), "none".to_string()]);
        }
        base
    }

    /// `docker run -d FLAGS IMAGE CMD`, with its guard and its log.
    fn start(&self, what: &str, flags: &[&str], image: &str, cmd: &[&str]) -> Running {
        let name = self.name(what);
        let guard = Container(name.clone());
        let mut args = vec!["run".to_string(), "-d".to_string()];
        args.extend(self.base_flags(&name, flags));
        args.extend(flags.iter().map(|s| s.to_string()));
        args.push(image.to_string());
        args.extend(cmd.iter().map(|s| s.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        docker(&args);
        let mut logs = Command::new("docker");
        logs.args(["logs", "-f", &name]);
        let log = ContainerLog::follow(logs, LINE);
        Running {
            name,
            log,
            _guard: guard,
        }
    }

    /// `docker run FLAGS IMAGE CMD` to completion: the container's exit code and output.
    fn run_to_end(&self, what: &str, flags: &[&str], image: &str, cmd: &[&str]) -> (i32, Ran) {
        let name = self.name(what);
        let _guard = Container(name.clone());
        let mut args = vec!["run".to_string()];
        args.extend(self.base_flags(&name, flags));
        args.extend(flags.iter().map(|s| s.to_string()));
        args.push(image.to_string());
        args.extend(cmd.iter().map(|s| s.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = docker_try(&args);
        let code = docker(&["inspect", "-f", "{{.State.ExitCode}}", &name])
            .parse()
            .expect("exit code");
        (code, out)
    }
}

fn setup() -> Setup {
    let info = run_args(
        "docker",
        &["info", "--format", "{{.ServerVersion}}"],
        Duration::from_secs(60),
    );
    if !info.ok() || info.stdout.trim().is_empty() {
        let _ = fs::remove_file(marker_path());
        let why = info
            .stderr
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        return Setup::NoEngine(format!("`docker info` failed: {}", why.trim()));
    }
    match build_images(info.stdout.trim()) {
        Ok(suite) => Setup::Ready(suite),
        Err(why) => Setup::Broken(why),
    }
}

fn build_images(engine: &str) -> Result<Suite, String> {
    let pidone = pidone_binary();
    // The fixtures cargo built with the tests (in their profile's directory).
    let examples = Path::new(env!("CARGO_BIN_EXE_pidone"))
        .parent()
        .expect("build dir")
        .join("examples");
    for fixture in FIXTURES {
        let built = examples.join(fixture);
        let dir = if fixture == "graceful" {
            "examples"
        } else {
            "tests/fixtures"
        };
        let source = repo().join(dir).join(format!("{fixture}.rs"));
        let mtime = |p: &Path| fs::metadata(p).and_then(|m| m.modified()).ok();
        match (mtime(&built), mtime(&source)) {
            (None, _) => {
                return Err(format!(
                    "{} is missing: run `cargo build --profile suite --examples` before the Docker tests",
                    built.display()
                ));
            }
            (Some(b), Some(s)) if s > b => {
                return Err(format!(
                    "{} is older than its source: run `cargo build --profile suite --examples`",
                    built.display()
                ));
            }
            _ => {}
        }
    }
    if !Path::new(BUSYBOX).exists() {
        return Err(format!(
            "{BUSYBOX} is missing: the Docker tests need Debian's busybox-static \
             (apt-get install -y busybox-static)"
        ));
    }

    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let run = format!("{}-{:x}", std::process::id(), nanos & 0xff_ffff_ffff);
    RUN.set(run.clone()).expect("one set-up per process");
    // Containers and images of runs that were killed before they could clean up: only
    // those an hour old, never those of a run going on beside this one.
    for what in ["container", "image"] {
        let mut args = vec![what, "prune", "-f", "--filter", "until=1h"];
        if what == "image" {
            args.push("-a");
        }
        args.extend(["--filter", LABEL]);
        let _ = docker_try(&args);
    }
    // SAFETY: registering a plain extern "C" function; it runs once, at exit.
    unsafe { libc::atexit(remove_run) };

    let app_image = format!("pidone-test-app:{run}");
    let fixture_image = format!("pidone-test-fixtures:{run}");
    let context = std::env::temp_dir().join(format!("pidone-docker-{run}"));
    let app = context.join("app");
    let fixtures = context.join("fixtures");
    fs::create_dir_all(&app).map_err(|e| e.to_string())?;
    fs::create_dir_all(fixtures.join("bin")).map_err(|e| e.to_string())?;
    let copy = |from: &Path, to: &Path| {
        fs::copy(from, to).map_err(|e| format!("copy {} to {}: {e}", from.display(), to.display()))
    };
    copy(&pidone, &app.join("pidone"))?;
    copy(&examples.join("graceful"), &app.join("graceful"))?;
    copy(
        &repo().join("tests/docker/Dockerfile.local"),
        &app.join("Dockerfile"),
    )?;
    for fixture in FIXTURES.iter().filter(|f| **f != "graceful") {
        copy(&examples.join(fixture), &fixtures.join(fixture))?;
    }
    copy(Path::new(BUSYBOX), &fixtures.join("bin/busybox"))?;
    // Every applet as a symbolic link, as `busybox --install -s` would make them.
    let applets = run_args(BUSYBOX, &["--list"], Duration::from_secs(10));
    for applet in applets
        .stdout
        .lines()
        .filter(|a| !a.is_empty() && *a != "busybox")
    {
        std::os::unix::fs::symlink("busybox", fixtures.join("bin").join(applet))
            .map_err(|e| e.to_string())?;
    }
    fs::write(
        fixtures.join("Dockerfile"),
        format!("FROM {app_image}\nCOPY bin/ /bin/\nCOPY sigecho stubborn zombies leftover /\n"),
    )
    .map_err(|e| e.to_string())?;

    let label = format!("{LABEL}={run}");
    let mut result = Ok(());
    // The build stage is built and tagged first so that it is removed with the run's
    // images instead of staying behind as untagged intermediate images.
    let build_image = format!("pidone-test-app-build:{run}");
    let builds = [
        (&build_image, &app, Some("build")),
        (&app_image, &app, None),
        (&fixture_image, &fixtures, None),
    ];
    for (image, dir, target) in builds {
        let dir = dir.to_str().expect("utf-8 temp dir");
        let mut args = vec!["build", "-q", "--label", &label, "-t", image];
        if let Some(stage) = target {
            args.extend(["--target", stage]);
        }
        args.push(dir);
        let out = docker_try(&args);
        if !out.ok() {
            result = Err(format!("docker build of {image} failed: {}", out.stderr));
            break;
        }
    }
    let _ = fs::remove_dir_all(&context);
    result?;

    // Appended, not written: the other engine test binaries record their runs here too,
    // and scripts/test.sh removes the file before the suite.
    let marker = marker_path();
    fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&marker)
        .and_then(|mut f| writeln!(f, "engine {engine} run {run}"))
        .map_err(|e| format!("write {}: {e}", marker.display()))?;
    Ok(Suite {
        run,
        app_image,
        fixture_image,
        pidone,
        marker,
    })
}

/// At exit: remove this run's containers (the guards should have) and images.
extern "C" fn remove_run() {
    let Some(run) = RUN.get() else { return };
    let label = format!("label={LABEL}={run}");
    let left = run_args(
        "docker",
        &["ps", "-aq", "--filter", &label],
        Duration::from_secs(60),
    );
    let ids: Vec<&str> = left.stdout.split_whitespace().collect();
    if !ids.is_empty() {
        let mut args = vec!["rm", "-f", "-v"];
        args.extend(ids);
        let _ = run_args("docker", &args, Duration::from_secs(60));
    }
    let fixture = format!("pidone-test-fixtures:{run}");
    let app = format!("pidone-test-app:{run}");
    let build = format!("pidone-test-app-build:{run}");
    let _ = run_args(
        "docker",
        &["rmi", "-f", &fixture, &app, &build],
        Duration::from_secs(60),
    );
}

/// Removes its container, whatever happened to the test.
struct Container(String);

impl Drop for Container {
    fn drop(&mut self) {
        let _ = Command::new("docker")
            .args(["rm", "-f", "-v", &self.0])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()
            .and_then(|child| wait_bounded(child, Duration::from_secs(60)));
    }
}

/// A detached container, its log, and the guard that removes it.
struct Running {
    name: String,
    log: ContainerLog,
    _guard: Container,
}

impl Running {
    /// `docker stop -t SECS`: how long it took and the container's exit code.
    fn stop(&self, timeout_secs: u32) -> (Duration, i32) {
        let t = timeout_secs.to_string();
        let out = docker_try(&["stop", "-t", &t, &self.name]);
        assert!(out.ok(), "docker stop failed: {}", out.stderr);
        (out.elapsed, self.exit_code())
    }

    /// Waits for the container to exit (bounded) and returns its code.
    fn wait(&self) -> i32 {
        docker(&["wait", &self.name]).parse().expect("exit code")
    }

    fn exit_code(&self) -> i32 {
        docker(&["inspect", "-f", "{{.State.ExitCode}}", &self.name])
            .parse()
            .expect("exit code")
    }

    fn kill(&self, signal: &str) {
        docker(&["kill", "-s", signal, &self.name]);
    }

    fn exec(&self, cmd: &[&str]) -> Ran {
        let mut args = vec!["exec", self.name.as_str()];
        args.extend(cmd);
        docker_try(&args)
    }
}

fn count(lines: &[String], exact: &str) -> usize {
    lines.iter().filter(|l| l.trim_end() == exact).count()
}

// ---- graceful stop: with pidone and without ------------------------------------------

/// The image built from tests/docker/Dockerfile.local, as users would build
/// Dockerfile.example: `docker stop` ends it in well under a second, exit code 0, after
/// the server shut down cleanly, running as uid 65532.
#[test]
fn dockerfile_image_stops_gracefully_at_once() {
    let Some(s) = suite("dockerfile_image_stops_gracefully_at_once") else {
        return;
    };
    let mut c = s.start("app", &[], &s.app_image, &[]);
    let listening = c.log.wait_for("listening on ");
    assert!(
        listening.contains("0.0.0.0:8080") && listening.contains("uid=65532"),
        "the image's CMD and USER: {listening}"
    );
    let (took, code) = c.stop(10);
    say(&format!(
        "docker stop, Dockerfile.local image (pidone as PID 1): {} (exit {code})",
        secs(took)
    ));
    let lines = c.log.all();
    assert_eq!(code, 0, "exit code; output: {lines:#?}");
    // Half the timeout: the stop did not wait for it. Docker alone can take a second or
    // two on a loaded machine, so no tighter.
    assert!(
        took < Duration::from_secs(5),
        "docker stop took {}",
        secs(took)
    );
    assert_eq!(
        count(&lines, "got SIGTERM: stopped accepting, 0 in flight"),
        1,
        "{lines:#?}"
    );
    assert_eq!(
        count(&lines, "all requests finished, exiting 0"),
        1,
        "{lines:#?}"
    );
    s.ran("dockerfile_image_stops_gracefully_at_once");
}

/// The same image, its server as PID 1's child once under pidone and once under a shell
/// wrapper. The shell, as PID 1, neither handles nor passes on SIGTERM, so Docker waits
/// its whole stop timeout and SIGKILLs: the contrast is printed.
#[test]
fn without_an_init_docker_stop_waits_the_full_timeout() {
    let Some(s) = suite("without_an_init_docker_stop_waits_the_full_timeout") else {
        return;
    };
    let mut with = s.start("with-pidone", &[], &s.fixture_image, &[]);
    with.log.wait_for("listening on ");
    let (with_took, with_code) = with.stop(3);

    let wrapper = "/app/server --listen 0.0.0.0:8080; echo wrapper: server exited $?";
    let mut without = s.start(
        "no-init",
        &["--entrypoint", "/bin/sh"],
        &s.fixture_image,
        &["-c", wrapper],
    );
    without.log.wait_for("listening on ");
    let (without_took, without_code) = without.stop(3);

    say(&format!(
        "docker stop -t 3: with pidone {} (exit {with_code}); without an init, sh wrapper \
         as PID 1: {} (exit {without_code})",
        secs(with_took),
        secs(without_took)
    ));
    let with_lines = with.log.all();
    let without_lines = without.log.all();
    // 0, not Docker's SIGKILL (137) at the timeout: the server stopped on the SIGTERM
    // pidone passed on. (Its time is printed, not bounded: Docker alone can take a second
    // or two on a loaded machine, close to the 3 s timeout.)
    assert_eq!(with_code, 0, "{with_lines:#?}");
    assert_eq!(count(&with_lines, "all requests finished, exiting 0"), 1);
    // Docker only SIGKILLs once its timeout has run out: a lower bound cannot flake.
    assert!(
        without_took >= Duration::from_millis(2900),
        "without an init docker stop returned after {}: the server got the signal?",
        secs(without_took)
    );
    assert_eq!(without_code, 137, "SIGKILLed by Docker; {without_lines:#?}");
    assert!(
        without_lines
            .iter()
            .all(|l| !l.contains("got SIGTERM") && !l.contains("wrapper:")),
        "the server never saw SIGTERM and the wrapper never got to run on: {without_lines:#?}"
    );
    s.ran("without_an_init_docker_stop_waits_the_full_timeout");
}

/// A request in flight when `docker stop` comes is answered in full; a new connection
/// after the signal is refused; the container exits 0 once the request is done.
#[test]
fn docker_stop_lets_in_flight_requests_finish() {
    let Some(s) = suite("docker_stop_lets_in_flight_requests_finish") else {
        return;
    };
    let mut c = s.start("inflight", &[], &s.fixture_image, &[]);
    c.log.wait_for("listening on ");
    // The client runs in a container of its own that shares the server's network
    // namespace: a `docker exec` client would die with the server's container.
    let network = format!("container:{}", c.name);
    let mut client = s.start(
        "client",
        &["--network", &network],
        &s.fixture_image,
        // 4 s of work: well within the image's PIDONE_GRACE=8s.
        &["/bin/wget", "-qO-", "http://127.0.0.1:8080/?ms=4000"],
    );
    c.log.wait_for("request 1 started");
    let name = c.name.clone();
    let stop = std::thread::spawn(move || docker_try(&["stop", "-t", "20", &name]));
    c.log
        .wait_for("got SIGTERM: stopped accepting, 1 in flight");
    // busybox's nc, not its wget: Debian's static wget crashes on a refused connection.
    let late = c.exec(&["/bin/nc", "-w", "5", "127.0.0.1", "8080"]);
    let client_code = client.wait();
    let answer = client.log.all();
    let stop = stop.join().expect("docker stop thread");
    let lines = c.log.all();
    say(&format!(
        "docker stop with a 4 s request in flight: {} (exit {})",
        secs(stop.elapsed),
        c.exit_code()
    ));
    assert!(stop.ok(), "docker stop: {}", stop.stderr);
    assert_eq!(answer, ["done after 4000 ms"], "the in-flight answer");
    assert_eq!(client_code, 0, "the client's exit code");
    assert!(
        !late.ok() && late.stderr.contains("refused"),
        "a connection after SIGTERM must be refused: {late:?}"
    );
    let done = lines.iter().position(|l| l == "request 1 done");
    let finished = lines
        .iter()
        .position(|l| l == "all requests finished, exiting 0");
    assert!(done.is_some() && done < finished, "{lines:#?}");
    assert_eq!(c.exit_code(), 0, "{lines:#?}");
    s.ran("docker_stop_lets_in_flight_requests_finish");
}

// ---- grace period, signals, zombies, exit codes --------------------------------------

/// An app that ignores SIGTERM: with PIDONE_GRACE=2s pidone SIGKILLs it after about 2 s,
/// long before Docker's 30, and the container exits 137.
#[test]
fn stubborn_app_is_killed_after_pidones_grace() {
    let Some(s) = suite("stubborn_app_is_killed_after_pidones_grace") else {
        return;
    };
    let mut c = s.start(
        "stubborn",
        &["-e", "PIDONE_GRACE=2s"],
        &s.fixture_image,
        &["/stubborn"],
    );
    c.log.wait_for("ready");
    let (took, code) = c.stop(30);
    say(&format!(
        "docker stop -t 30, app ignores SIGTERM, PIDONE_GRACE=2s: {} (exit {code})",
        secs(took)
    ));
    assert_eq!(code, 137);
    assert!(
        took >= Duration::from_millis(1500) && took <= Duration::from_secs(10),
        "expected about 2 s, took {}",
        secs(took)
    );
    s.ran("stubborn_app_is_killed_after_pidones_grace");
}

/// The app traps SIGTERM and exits 0, and a `setsid` child it started ignores
/// SIGTERM. That leftover would never act on the drain's SIGTERM: pidone SIGKILLs it at
/// once, and `docker stop` ends well within its timeout with the app's 0, not the
/// runtime's SIGKILL and 137 (nor pidone's grace: the image sets PIDONE_GRACE=8s).
#[test]
fn a_leftover_that_ignores_sigterm_keeps_the_apps_exit_code() {
    let Some(s) = suite("a_leftover_that_ignores_sigterm_keeps_the_apps_exit_code") else {
        return;
    };
    let script = "trap 'exit 0' TERM; \
                  setsid sh -c 'trap \"\" TERM; echo ignoring; sleep 3000' & \
                  while :; do sleep 0.1; done";
    let mut c = s.start("ignorer", &[], &s.fixture_image, &["/bin/sh", "-c", script]);
    c.log.wait_for("ignoring");
    let (took, code) = c.stop(10);
    say(&format!(
        "docker stop, app exits 0 on SIGTERM, a setsid leftover ignores it: {} (exit {code})",
        secs(took)
    ));
    assert_eq!(code, 0, "the app's exit code; output: {:#?}", c.log.all());
    assert!(
        took < Duration::from_secs(5),
        "docker stop waited for a leftover that ignores SIGTERM: {}",
        secs(took)
    );
    s.ran("a_leftover_that_ignores_sigterm_keeps_the_apps_exit_code");
}

/// `--wait-all` (PIDONE_WAIT_ALL=1) in a real container: a worker that outlives the main
/// process gets no signal and the container ends after it with the main process's code;
/// `docker stop` meanwhile still stops the worker, at once.
#[test]
fn wait_all_keeps_the_container_until_the_worker_is_done() {
    let Some(s) = suite("wait_all_keeps_the_container_until_the_worker_is_done") else {
        return;
    };
    let worker = |body: &str| {
        format!(
            "(trap 'echo worker got TERM; exit 0' TERM; echo worker ready; {body}; \
             echo worker done) & exit 3"
        )
    };
    let env = ["-e", "PIDONE_WAIT_ALL=1"];
    // Outlives the main process by a second, and is left alone.
    let script = worker("sleep 1");
    let mut c = s.start(
        "wait-all",
        &env,
        &s.fixture_image,
        &["/bin/sh", "-c", &script],
    );
    c.log.wait_for("worker ready");
    let code = c.wait();
    let lines = c.log.all();
    assert_eq!(code, 3, "the main process's code: {lines:#?}");
    assert_eq!(count(&lines, "worker done"), 1, "{lines:#?}");
    assert_eq!(count(&lines, "worker got TERM"), 0, "{lines:#?}");
    // docker stop while the worker runs: it gets the SIGTERM and ends; the stop is quick.
    let script = worker("sleep 30 & wait");
    let mut c = s.start(
        "wait-all-stop",
        &env,
        &s.fixture_image,
        &["/bin/sh", "-c", &script],
    );
    c.log.wait_for("worker ready");
    let (took, code) = c.stop(10);
    let lines = c.log.all();
    say(&format!(
        "docker stop, --wait-all worker: {} (exit {code})",
        secs(took)
    ));
    assert_eq!(count(&lines, "worker got TERM"), 1, "{lines:#?}");
    assert_eq!(code, 3, "still the main process's code: {lines:#?}");
    assert!(
        took < Duration::from_secs(5),
        "docker stop took {}",
        secs(took)
    );
    s.ran("wait_all_keeps_the_container_until_the_worker_is_done");
}

/// `docker kill -s SIG` reaches the app exactly once for each signal.
#[test]
fn docker_kill_signals_reach_the_app_once_each() {
    let Some(s) = suite("docker_kill_signals_reach_the_app_once_each") else {
        return;
    };
    let mut c = s.start("signals", &[], &s.fixture_image, &["/sigecho"]);
    c.log.wait_for("ready pid=");
    let signals = ["HUP", "USR1", "USR2", "WINCH"];
    for sig in signals {
        c.kill(sig);
        c.log.wait_for(&format!("got SIG{sig}"));
    }
    let (_, code) = c.stop(10);
    let lines: Vec<String> = c
        .log
        .all()
        .into_iter()
        .filter(|l| l.starts_with("got ") || l.starts_with("ready "))
        .collect();
    let got: Vec<&str> = lines.iter().skip(1).map(String::as_str).collect();
    assert_eq!(
        got,
        [
            "got SIGHUP",
            "got SIGUSR1",
            "got SIGUSR2",
            "got SIGWINCH",
            "got SIGTERM"
        ],
        "every signal once, in order"
    );
    assert_eq!(code, 0);
    s.ran("docker_kill_signals_reach_the_app_once_each");
}

/// 1000 orphans die at once inside the container: pidone reaps them all, as seen from
/// inside (/proc) and from the host (`docker top`).
#[test]
fn a_thousand_orphans_leave_no_zombie() {
    let Some(s) = suite("a_thousand_orphans_leave_no_zombie") else {
        return;
    };
    let mut c = s.start(
        "zombies",
        &[],
        &s.fixture_image,
        &["/zombies", "1000", "--burst", "--check", "--stay"],
    );
    c.log.wait_for("created 1000");
    let inside = c.log.wait_for("zombies ");
    assert_eq!(inside, "zombies 0", "zombies seen in the container's /proc");
    let top = docker(&["top", &c.name, "-eo", "pid,stat,comm"]);
    let rows: Vec<&str> = top.lines().skip(1).collect();
    assert!(
        rows.iter().any(|r| r.ends_with("pidone")) && rows.iter().any(|r| r.ends_with("zombies")),
        "docker top should list pidone and the app: {top}"
    );
    let zombies: Vec<&&str> = rows
        .iter()
        .filter(|r| {
            r.split_whitespace()
                .nth(1)
                .is_some_and(|st| st.starts_with('Z'))
        })
        .collect();
    assert!(zombies.is_empty(), "zombies in docker top: {zombies:#?}");
    let (_, code) = c.stop(10);
    assert_eq!(code, 128 + libc::SIGTERM, "the app died of SIGTERM");
    s.ran("a_thousand_orphans_leave_no_zombie");
}

/// The container's exit code is the app's: 0, 3, 255, 137 (killed by SIGKILL) and 127 for
/// a command that does not exist.
#[test]
fn container_exit_code_is_the_apps() {
    let Some(s) = suite("container_exit_code_is_the_apps") else {
        return;
    };
    let cases: [(i32, &[&str]); 5] = [
        (0, &["/bin/sh", "-c", "exit 0"]),
        (3, &["/bin/sh", "-c", "exit 3"]),
        (255, &["/bin/sh", "-c", "exit 255"]),
        (137, &["/bin/sh", "-c", "kill -KILL $$"]),
        (127, &["/no/such/app"]),
    ];
    let image = &s.fixture_image;
    let results: Vec<(i32, i32, Ran)> = std::thread::scope(|scope| {
        let handles: Vec<_> = cases
            .iter()
            .map(|(want, cmd)| {
                scope.spawn(move || {
                    let (code, out) = s.run_to_end("exit", &[], image, cmd);
                    (*want, code, out)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("case"))
            .collect()
    });
    for (want, code, out) in &results {
        assert_eq!(code, want, "container exit code: {out:?}");
        assert_eq!(out.code, Some(*want), "docker run's exit code: {out:?}");
    }
    let missing = &results[4].2;
    assert!(
        missing.stderr.contains("pidone: /no/such/app"),
        "127 must come from pidone, not from the runtime: {missing:?}"
    );
    s.ran("container_exit_code_is_the_apps");
}

// ---- docker run --init: pidone as /sbin/docker-init ----------------------------------

#[test]
fn parse_init_version_agrees_with_dockers_own_cases() {
    let ok = |v: &str, version: &str, commit: &str| {
        assert_eq!(
            parse_init_version(v),
            Ok((version.to_string(), commit.to_string()))
        );
    };
    ok("tini version 0.13.0 - git.949e6fa", "0.13.0", "949e6fa");
    ok("tini version 0.13.0\n", "0.13.0", "");
    ok("tini version 0.13.2 - ", "0.13.2", "");
    ok(" - git.949e6fa", "", "949e6fa");
    assert!(parse_init_version("tini version0.13.2").is_err());
    assert!(parse_init_version("pidone 0.1.0").is_err());
}

/// Asserts `out` is what `docker info` accepts from its init binary.
fn assert_init_version(out: &Ran, context: &str) {
    assert!(out.ok(), "{context}: --version failed: {out:?}");
    assert_eq!(
        out.stdout.lines().count(),
        1,
        "{context}: one line: {out:?}"
    );
    let (version, commit) = parse_init_version(&out.stdout)
        .unwrap_or_else(|e| panic!("{context}: docker info would say: {e}"));
    assert_eq!(
        version,
        format!("{}+pidone", env!("CARGO_PKG_VERSION")),
        "{context}"
    );
    assert!(
        !commit.is_empty(),
        "{context}: no git.COMMIT part: {:?}",
        out.stdout
    );
    // Older daemons slice their own 7-character init commit id to this one's length.
    assert!(
        commit.len() <= 7,
        "{context}: commit {commit:?} longer than 7"
    );
}

/// What `docker run --init` runs with daemon.json `"init-path"` set to pidone: the binary
/// bind-mounted read-only at /sbin/docker-init and started as `/sbin/docker-init -- CMD`.
/// As docker-init pidone behaves like tini: `--version` in the form `docker info` parses,
/// signals to the child only (the whole group with -g), and it exits as soon as the
/// child does, leaving no drain (the contrast with pidone's own defaults is checked too).
#[test]
fn pidone_as_docker_init_behaves_like_tini() {
    let Some(s) = suite("pidone_as_docker_init_behaves_like_tini") else {
        return;
    };
    let mount = format!("{}:/sbin/docker-init:ro", s.pidone.display());
    let init = ["-v", mount.as_str(), "--entrypoint", "/sbin/docker-init"];

    // The daemon runs `INIT-PATH --version` on the host: the name must be docker-init.
    let dir = std::env::temp_dir().join(format!("pidone-docker-init-{}", s.run));
    fs::create_dir_all(&dir).expect("temp dir");
    let host_init = dir.join("docker-init");
    let _ = fs::remove_file(&host_init);
    std::os::unix::fs::symlink(&s.pidone, &host_init).expect("symlink");
    let host = run_args(
        host_init.to_str().unwrap(),
        &["--version"],
        Duration::from_secs(10),
    );
    let _ = fs::remove_dir_all(&dir);
    assert_init_version(&host, "docker-init on the host");
    say(&format!("docker-init --version: {}", host.stdout.trim()));
    let (_, inside) = s.run_to_end("init-version", &init, &s.fixture_image, &["--version"]);
    assert_init_version(&inside, "/sbin/docker-init in a container");

    // Signals: the shell's background sigecho shares the main child's process group.
    let pair = "/sigecho & exec /sigecho";
    let hups = |what: &str, env: &[&str], options: &[&str], expect: usize| -> Vec<String> {
        let mut flags = init.to_vec();
        flags.extend(env);
        let mut cmd: Vec<&str> = options.to_vec();
        cmd.extend(["--", "/bin/sh", "-c", pair]);
        let mut c = s.start(what, &flags, &s.fixture_image, &cmd);
        c.log.wait_for("ready pid=");
        c.log.wait_for("ready pid=");
        c.kill("HUP");
        for _ in 0..expect {
            c.log.wait_for("got SIGHUP");
        }
        let (_, code) = c.stop(10);
        let lines = c.log.all();
        assert_eq!(code, 0, "the main child exits 0 on SIGTERM: {lines:#?}");
        lines
    };
    let child_only = hups("init-child", &[], &[], 1);
    assert_eq!(
        count(&child_only, "got SIGHUP"),
        1,
        "docker-init: child only: {child_only:#?}"
    );
    assert_eq!(count(&child_only, "got SIGTERM"), 1, "{child_only:#?}");
    let group = hups("init-group", &[], &["-g"], 2);
    assert_eq!(count(&group, "got SIGHUP"), 2, "docker-init -g: {group:#?}");
    // `docker run --init` passes no options; tini's environment variable does the same.
    let env = ["-e", "TINI_KILL_PROCESS_GROUP=1"];
    let group = hups("init-group-env", &env, &[], 2);
    assert_eq!(
        count(&group, "got SIGHUP"),
        2,
        "TINI_KILL_PROCESS_GROUP: {group:#?}"
    );

    // No drain: the app's background worker is not waited for (tini exits with the child),
    // where pidone, as itself or with PIDONE_DRAIN=1, stops the worker and waits for it.
    let leftover = |what: &str, flags: &[&str], cmd: &[&str]| -> Vec<String> {
        let mut c = s.start(what, flags, &s.fixture_image, cmd);
        let code = c.wait();
        let lines = c.log.all();
        assert_eq!(code, 0, "{what}: {lines:#?}");
        assert!(
            lines.iter().any(|l| l.starts_with("worker ready")),
            "{lines:#?}"
        );
        lines
    };
    let lines = leftover("init-leftover", &init, &["--", "/leftover"]);
    assert_eq!(
        count(&lines, "worker got SIGTERM"),
        0,
        "tini does not drain: {lines:#?}"
    );
    let lines = leftover("pidone-leftover", &[], &["/leftover"]);
    assert_eq!(
        count(&lines, "worker finished"),
        1,
        "pidone drains: {lines:#?}"
    );
    let mut flags = init.to_vec();
    flags.extend(["-e", "PIDONE_DRAIN=1"]);
    let lines = leftover("init-drain-env", &flags, &["--", "/leftover"]);
    assert_eq!(
        count(&lines, "worker finished"),
        1,
        "PIDONE_DRAIN=1: {lines:#?}"
    );

    // The exit status passes through.
    let (code, out) = s.run_to_end(
        "init-code",
        &init,
        &s.fixture_image,
        &["--", "/bin/sh", "-c", "exit 3"],
    );
    assert_eq!(code, 3, "{out:?}");
    s.ran("pidone_as_docker_init_behaves_like_tini");
}

// ---- hardened runtime -----------------------------------------------------------------

/// With no root, no capability, a read-only root, no new privileges and tight pid and
/// memory limits, pidone starts the app, forwards, reaps and stops exactly as before.
#[test]
fn hardened_runtime_changes_nothing() {
    let Some(s) = suite("hardened_runtime_changes_nothing") else {
        return;
    };
    let hardened = [
        "--user",
        "65532:65532",
        "--read-only",
        "--cap-drop",
        "ALL",
        "--security-opt",
        "no-new-privileges",
        "--pids-limit",
        "64",
        "--memory",
        "32m",
    ];
    let mut c = s.start(
        "hardened",
        &hardened,
        &s.fixture_image,
        &["/bin/sh", "-c", "/zombies 40 --check && exec /sigecho"],
    );
    c.log.wait_for("created 40");
    assert_eq!(c.log.wait_for("zombies "), "zombies 0");
    c.log.wait_for("ready pid=");

    // The restrictions are really in force.
    let status = c.exec(&["/bin/cat", "/proc/1/status"]);
    assert!(status.ok(), "{status:?}");
    let field = |name: &str| -> String {
        status
            .stdout
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_default()
    };
    assert_eq!(field("Name:"), "pidone", "PID 1");
    assert_eq!(field("Uid:"), "65532 65532 65532 65532");
    assert_eq!(field("CapEff:"), "0000000000000000");
    assert_eq!(field("CapPrm:"), "0000000000000000");
    assert_eq!(field("NoNewPrivs:"), "1");
    let host = docker(&[
        "inspect",
        "-f",
        "{{.HostConfig.ReadonlyRootfs}} {{.HostConfig.PidsLimit}} {{.HostConfig.Memory}}",
        &c.name,
    ]);
    assert_eq!(host, "true 64 33554432");
    let write = c.exec(&["/bin/touch", "/written"]);
    assert!(
        !write.ok(),
        "the root file system must be read-only: {write:?}"
    );

    for sig in ["HUP", "USR1"] {
        c.kill(sig);
        c.log.wait_for(&format!("got SIG{sig}"));
    }
    let (took, code) = c.stop(10);
    say(&format!(
        "docker stop, hardened runtime: {} (exit {code})",
        secs(took)
    ));
    let lines = c.log.all();
    assert_eq!(code, 0, "{lines:#?}");
    // Half the timeout: the stop did not wait for it (no tighter: Docker alone can take a
    // second or two on a loaded machine).
    assert!(
        took < Duration::from_secs(5),
        "docker stop took {}",
        secs(took)
    );
    assert_eq!(count(&lines, "got SIGTERM"), 1, "{lines:#?}");
    s.ran("hardened_runtime_changes_nothing");
}

// ---- docker run -it: Ctrl-C --------------------------------------------------------------

/// A terminal (pty) around `docker run -it IMAGE /bin/sh`, read and written by the test.
struct Terminal {
    master: fs::File,
    chunks: Receiver<String>,
    screen: String,
    /// Where the next wait starts looking in `screen`.
    cursor: usize,
}

impl Terminal {
    fn wait_for(&mut self, want: &str) {
        let deadline = Instant::now() + LINE;
        loop {
            if let Some(at) = self.screen[self.cursor..].find(want) {
                self.cursor += at + want.len();
                return;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.chunks.recv_timeout(left) {
                Ok(chunk) => self.screen.push_str(&chunk),
                Err(_) => panic!("no {want:?} on the terminal; it shows:\n{}", self.screen),
            }
        }
    }

    fn type_keys(&mut self, keys: &str) {
        self.master
            .write_all(keys.as_bytes())
            .expect("write to the pty");
    }
}

/// `docker run -it` with busybox's shell under pidone: Ctrl-C reaches the foreground job
/// once (the terminal's own SIGINT; pidone does not forward a second), the job runs in a
/// process group of its own (the shell has job control), and the shell lives on.
#[test]
fn ctrl_c_in_docker_run_it_reaches_the_foreground_job() {
    let Some(s) = suite("ctrl_c_in_docker_run_it_reaches_the_foreground_job") else {
        return;
    };
    let size = nix::pty::Winsize {
        ws_row: 24,
        ws_col: 120,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    let pty = nix::pty::openpty(Some(&size), None).expect("openpty");
    let name = s.name("tty");
    let _guard = Container(name.clone());
    let mut args = vec!["run".to_string(), "-it".to_string()];
    args.extend(s.base_flags(&name, &[]));
    args.extend([s.fixture_image.clone(), "/bin/sh".to_string()]);
    let slave = |fd: &OwnedFd| Stdio::from(fd.try_clone().expect("dup the pty"));
    let mut command = Command::new("docker");
    command
        .args(&args)
        .stdin(slave(&pty.slave))
        .stdout(slave(&pty.slave))
        .stderr(slave(&pty.slave));
    // SAFETY: only async-signal-safe calls between fork and exec: docker gets a session
    // of its own with the pty as its controlling terminal, as in a terminal emulator.
    unsafe {
        command.pre_exec(|| {
            libc::setsid();
            libc::ioctl(0, libc::TIOCSCTTY, 0);
            Ok(())
        });
    }
    let child = command.spawn().expect("start docker run -it");
    drop(pty.slave);
    let master = fs::File::from(pty.master);
    let mut reader = master.try_clone().expect("dup the master");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        // Ends with EIO once docker, the last holder of the slave side, has exited.
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0
                || tx
                    .send(String::from_utf8_lossy(&buf[..n]).into_owned())
                    .is_err()
            {
                break;
            }
        }
    });
    let (done_tx, done_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done_tx.send(wait_bounded(child, COMMAND));
    });
    let mut tty = Terminal {
        master,
        chunks: rx,
        screen: String::new(),
        cursor: 0,
    };
    // The arithmetic makes the answer differ from the echo of what was typed.
    tty.type_keys("echo sh-$((1+1))\r");
    tty.wait_for("sh-2");
    // sigecho lives on after SIGINT and exits on SIGQUIT (Ctrl-\).
    tty.type_keys("/sigecho --exit-on QUIT\r");
    tty.wait_for("ready pid=");
    let ready_at = tty.cursor;
    tty.wait_for("\n");
    let ready: String = tty.screen[ready_at..tty.cursor].trim().to_string();
    tty.type_keys("\x03");
    tty.wait_for("got SIGINT");
    tty.type_keys("\x1c");
    tty.wait_for("got SIGQUIT");
    tty.type_keys("echo alive-$((6+1))\r");
    tty.wait_for("alive-7");
    tty.type_keys("exit 7\r");
    let waited = done_rx.recv().expect("waiter");
    let screen = tty.screen.clone();
    // Whatever the reader still had.
    let screen = screen + &tty.chunks.try_iter().collect::<String>();
    let (out, _) = waited.unwrap_or_else(|| panic!("docker run -it did not end:\n{screen}"));
    assert_eq!(
        out.status.code(),
        Some(7),
        "the shell's exit code:\n{screen}"
    );
    assert_eq!(
        screen.matches("got SIGINT").count(),
        1,
        "SIGINT once:\n{screen}"
    );
    // `P pgid=G sid=S` after `ready pid=`: a job of its own, so the shell had job control.
    let words: Vec<&str> = ready.split_whitespace().collect();
    let pgid = words.iter().find_map(|w| w.strip_prefix("pgid="));
    assert!(
        !words.is_empty() && pgid == Some(words[0]),
        "the foreground job leads its own process group: ready pid={ready}"
    );
    s.ran("ctrl_c_in_docker_run_it_reaches_the_foreground_job");
}

/// `--user` in a scratch image: no /etc/passwd, no /etc/group, numeric ids only. Docker
/// starts pidone as root; pidone drops to 65532 for the app, as a distroless image
/// expects.
#[test]
fn user_drop_with_numeric_ids_in_a_scratch_image() {
    let Some(s) = suite("user_drop_with_numeric_ids_in_a_scratch_image") else {
        return;
    };
    let script = "test ! -e /etc/passwd && grep -E '^(Uid|Gid|Groups):' /proc/self/status \
                  | tr -s '\\t ' ' ' && echo \"HOME=$HOME\"";
    let flags = ["--user", "0:0", "--entrypoint", "/pidone"];
    let cmd = ["--user", "65532:65532", "--", "/bin/sh", "-c", script];
    let (code, out) = s.run_to_end("user", &flags, &s.fixture_image, &cmd);
    assert_eq!(code, 0, "{out:?}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "Uid: 65532 65532 65532 65532",
            "Gid: 65532 65532 65532 65532",
            "Groups: 65532 ",
            "HOME=/",
        ],
        "{out:?}"
    );
    // An unknown name cannot be resolved without /etc/passwd: fail closed, app never runs.
    let cmd = ["--user", "app", "--", "/bin/sh", "-c", "echo ran"];
    let (code, out) = s.run_to_end("user-unknown", &flags, &s.fixture_image, &cmd);
    assert_eq!(code, 126, "{out:?}");
    assert!(!out.stdout.contains("ran"), "{out:?}");
    assert!(out.stderr.contains("pidone: unknown user"), "{out:?}");
    s.ran("user_drop_with_numeric_ids_in_a_scratch_image");
}
