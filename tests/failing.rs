//! Issue 24 in real Docker containers: what pidone does when the container fails. A
//! `FROM scratch` image with pidone as PID 1 and Debian's static busybox as the
//! application:
//! - the termination message, in a file bind-mounted at /dev/termination-log (as the
//!   kubelet mounts it): a clean stop, a grace expiry, an OOM kill, a missing command;
//! - `--env-from-files`, with a bind mount at /run/secrets and with Compose file secrets;
//! - `--on-oom`, under `--memory`, with a worker and with the main process killed;
//! - `--watchdog`, with a server that turns unhealthy, with and without a restart policy.
//!
//! Every container and image is named `features-RUN-...` and removed when its test ends.
//! Waits are for what the container prints (`docker logs`, polled) or for `docker`
//! commands to return, each with a deadline that fails the test. Needs Docker and
//! busybox-static; in CI (CI set) a missing one fails, elsewhere it is skipped loudly.

use pidone_testkit as common;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const BUSYBOX: &str = "/bin/busybox";
const WAIT: Duration = Duration::from_secs(60);

const DOCKERFILE: &str = r#"FROM scratch
COPY pidone /pidone
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
ENTRYPOINT ["/pidone", "--"]
"#;

/// Fails in CI, skips loudly elsewhere.
fn missing(what: &str) -> Option<&'static Suite> {
    if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
        panic!("{what} is missing, and CI is set: the failing-container tests must run");
    }
    let _ = writeln!(
        std::io::stderr(),
        "SKIP: {what} missing: the failing-container tests did not run"
    );
    None
}

/// `PROGRAM ARGS`: exit code, stdout, stderr (trimmed); killed after two minutes.
fn run(program: &str, args: &[&str]) -> (Option<i32>, String, String) {
    common::run_bounded(program, args, Duration::from_secs(120))
}

use common::{docker, docker_try};

struct Suite {
    run: String,
    image: String,
    dir: PathBuf,
}

impl Drop for Suite {
    fn drop(&mut self) {
        let _ = docker_try(&["rmi", "-f", &self.image]);
    }
}

static SUITE: OnceLock<Option<Suite>> = OnceLock::new();

extern "C" fn remove_image() {
    if let Some(Some(suite)) = SUITE.get() {
        let _ = docker_try(&["rmi", "-f", &suite.image]);
        let _ = fs::remove_dir_all(&suite.dir);
    }
}

/// The image, built once per test process.
fn suite() -> Option<&'static Suite> {
    SUITE
        .get_or_init(|| {
            if docker_try(&["info", "--format", "{{.ServerVersion}}"]).0 != Some(0) {
                missing("a Docker engine")?;
            }
            if !Path::new(BUSYBOX).exists() {
                missing("/bin/busybox (Debian's busybox-static)")?;
            }
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            let run = format!("{}-{:x}", std::process::id(), nanos & 0xff_ffff_ffff);
            let dir = std::env::temp_dir().join(format!("features-{run}"));
            let context = dir.join("context");
            fs::create_dir_all(&context).unwrap();
            fs::copy(common::pidone(), context.join("pidone")).unwrap();
            fs::copy(BUSYBOX, context.join("busybox")).unwrap();
            fs::write(context.join("Dockerfile"), DOCKERFILE).unwrap();
            let image = format!("features-{run}:test");
            let label = format!("org.pidone.test=features-{run}");
            let ctx = context.to_str().unwrap();
            let built = docker_try(&["build", "-q", "--label", &label, "-t", &image, ctx]);
            assert_eq!(built.0, Some(0), "docker build: {}{}", built.1, built.2);
            // SAFETY: registering a plain extern "C" function; it runs once, at exit.
            unsafe { libc::atexit(remove_image) };
            Some(Suite { run, image, dir })
        })
        .as_ref()
}

/// A container of this run, removed when dropped.
struct Container(String);

impl Drop for Container {
    fn drop(&mut self) {
        let _ = docker_try(&["rm", "-f", "-v", &self.0]);
    }
}

impl Suite {
    fn name(&self, what: &str) -> String {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        format!("features-{}-{what}-{n}", self.run)
    }

    /// A file for `what` in this run's directory, with `content`.
    fn file(&self, what: &str, content: &str) -> PathBuf {
        let path = self.dir.join(what);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, content).unwrap();
        path
    }

    /// `docker run [-d] FLAGS IMAGE ARGS` (ARGS after the entrypoint `/pidone --`).
    fn run(&self, what: &str, detach: bool, flags: &[&str], args: &[&str]) -> (Container, i32) {
        let name = self.name(what);
        let container = Container(name.clone());
        let mut all = vec!["run", "--name", &name, "--network", "none"];
        if detach {
            all.push("-d");
        }
        all.extend(flags);
        all.push(&self.image);
        all.extend(args);
        let (code, out, err) = docker_try(&all);
        if detach {
            assert_eq!(code, Some(0), "docker run: {out}{err}");
        }
        (container, code.unwrap_or(-1))
    }
}

/// Polls `docker logs` until a line contains `what`; returns all of it.
fn logs_until(name: &str, what: &str) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        let (_, out, err) = docker_try(&["logs", name]);
        let all = format!("{out}\n{err}");
        if all.contains(what) {
            return all;
        }
        assert!(
            Instant::now() < deadline,
            "no {what:?} in the logs of {name} after {WAIT:?}: {all}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn state(name: &str, field: &str) -> String {
    docker(&["inspect", "-f", &format!("{{{{.State.{field}}}}}"), name])
}

/// The termination message left in `path`: one line.
fn message(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap();
    assert!(
        text.ends_with('\n') && text.lines().count() == 1,
        "{text:?}"
    );
    assert!(text.len() <= 4096, "over Kubernetes' limit: {}", text.len());
    text.trim_end().to_string()
}

#[test]
fn termination_message_in_a_bind_mounted_file() {
    let Some(s) = suite() else { return };
    let mount = |path: &Path| format!("{}:/dev/termination-log", path.display());

    // A clean stop: `docker stop`, the app dies of the forwarded SIGTERM.
    let file = s.file("tl/stop", "");
    let (c, _) = s.run(
        "stop",
        true,
        &["-v", &mount(&file)],
        &["sh", "-c", "echo ready; exec sleep 1000"],
    );
    logs_until(&c.0, "ready");
    docker(&["stop", "-t", "30", &c.0]);
    assert_eq!(state(&c.0, "ExitCode"), "143");
    assert_eq!(
        message(&file),
        "killed by SIGTERM: SIGTERM from outside; leftovers: ended 0, killed 0; exit 143"
    );

    // A grace expiry: the app ignores SIGTERM, pidone's 500 ms grace kills it.
    let file = s.file("tl/grace", "");
    let script = "trap '' TERM; echo ready; exec sleep 1000";
    let (c, _) = s.run(
        "grace",
        true,
        &["-v", &mount(&file), "-e", "PIDONE_GRACE=500ms"],
        &["sh", "-c", script],
    );
    logs_until(&c.0, "ready");
    docker(&["stop", "-t", "30", &c.0]);
    assert_eq!(state(&c.0, "ExitCode"), "137");
    assert_eq!(
        message(&file),
        "killed by SIGKILL: grace expired after SIGTERM from outside; leftovers: ended 0, \
         killed 1; exit 137"
    );

    // A missing command.
    let file = s.file("tl/missing", "");
    let (_c, code) = s.run("missing", false, &["-v", &mount(&file)], &["/no/such/app"]);
    assert_eq!(code, 127);
    assert_eq!(
        message(&file),
        "not started: /no/such/app: No such file or directory; exit 127"
    );

    // An OOM kill of the main process (named under --on-oom log).
    let file = s.file("tl/oom", "");
    let flags = [
        "-v",
        &mount(&file),
        "--memory",
        "32m",
        "--memory-swap",
        "32m",
        "-e",
        "PIDONE_ON_OOM=log",
    ];
    let dd = ["dd", "if=/dev/zero", "of=/dev/null", "bs=200M", "count=1"];
    let (c, code) = s.run("oom", false, &flags, &dd);
    assert_eq!(code, 137);
    assert_eq!(state(&c.0, "OOMKilled"), "true");
    let text = message(&file);
    assert!(
        text.starts_with("killed by SIGKILL: on its own; OOM kill: pid ") && text.contains("(dd)"),
        "{text}"
    );

    // No file, no message, nothing said: the default costs a failed open at exit.
    let (c, code) = s.run("nofile", false, &[], &["sh", "-c", "exit 3"]);
    assert_eq!(code, 3);
    let (_, out, err) = docker_try(&["logs", &c.0]);
    assert_eq!((out.as_str(), err.as_str()), ("", ""));
}

/// The app's own /proc/self/environ, then pidone's (PID 1's), NUL-separated.
const SHOW_ENV: [&str; 3] = ["cat", "/proc/self/environ", "/proc/1/environ"];

#[test]
fn secrets_from_files_in_a_bind_mount_at_run_secrets() {
    let Some(s) = suite() else { return };
    let secret = s.file("secrets/db_password", "hunter2\n");
    let dir = secret.parent().unwrap().display().to_string();
    let mount = format!("{dir}:/run/secrets:ro");
    let file_var = "DB_PASSWORD_FILE=/run/secrets/db_password";
    // Readable by root only: pidone reads it before --user drops to nobody.
    fs::set_permissions(&secret, std::os::unix::fs::PermissionsExt::from_mode(0o400)).unwrap();
    // The app (or pidone's refusal) with the secrets mounted and `vars` set: pidone's
    // status, the app's stdout and pidone's stderr.
    let run_with = |what: &str, vars: &[&str], cmd: &[&str]| {
        let mut flags = vec!["-v", &mount];
        for var in vars {
            flags.extend(["-e", var]);
        }
        let (c, code) = s.run(what, false, &flags, cmd);
        let (_, out, err) = docker_try(&["logs", &c.0]);
        (code, out, err)
    };
    let on = "PIDONE_ENV_FROM_FILES=1";
    let vars = [file_var, on, "PIDONE_VERBOSITY=3", "PIDONE_USER=65534"];
    let (code, out, err) = run_with("secret", &vars, &SHOW_ENV[..2]);
    assert_eq!(code, 0);
    let app: Vec<&str> = out.split('\0').collect();
    assert!(app.contains(&"DB_PASSWORD=hunter2"), "{app:?}");
    assert!(!out.contains("DB_PASSWORD_FILE"), "{app:?}");
    assert!(err.contains("spawned"), "-vvv logs: {err}");
    assert!(
        !err.contains("hunter2"),
        "the value is in pidone's log: {err}"
    );

    // As root, the app reads PID 1's environment too: pidone's has no value.
    let (code, out, _) = run_with("secret-root", &[file_var, on], &SHOW_ENV);
    assert_eq!(code, 0);
    assert_eq!(out.matches("hunter2").count(), 1, "{out:?}");
    let both: Vec<&str> = out.split('\0').collect();
    assert!(both.contains(&"DB_PASSWORD=hunter2"), "{both:?}");
    assert!(
        both.contains(&file_var),
        "pidone's own environment is unchanged: {both:?}"
    );

    // Without the option, nothing changes.
    let (_, out, _) = run_with("nosecret", &[file_var], &SHOW_ENV[..2]);
    assert!(
        out.split('\0').any(|e| e == file_var) && !out.contains("hunter2"),
        "{out:?}"
    );

    // Refused before the app starts: a missing file is 1, the variable and path named.
    let (code, out, err) = run_with("nofile", &[on, "DB_USER_FILE=/run/secrets/nope"], &SHOW_ENV);
    assert_eq!((code, out.as_str()), (1, ""));
    let missing =
        "pidone: DB_USER_FILE: cannot read '/run/secrets/nope': No such file or directory";
    assert_eq!(err, missing);
    // Both NAME and NAME_FILE: a usage error, as file_env's.
    let (code, out, err) = run_with("both", &[on, file_var, "DB_PASSWORD=x"], &SHOW_ENV);
    assert_eq!((code, out.as_str()), (2, ""));
    assert_eq!(
        err,
        "pidone: DB_PASSWORD_FILE: and the variable it sets are both set"
    );
}

#[test]
fn secrets_from_compose_file_secrets() {
    let Some(s) = suite() else { return };
    let compose = "/usr/local/bin/docker-compose";
    if !Path::new(compose).exists() && run("sh", &["-c", "command -v docker-compose"]).0 != Some(0)
    {
        missing("docker-compose");
        return;
    }
    let project = s.name("compose");
    s.file(&format!("{project}/db_password.txt"), "s3cret\n");
    let yaml = format!(
        r#"version: "3.7"
services:
  app:
    image: {image}
    network_mode: none
    environment:
      PIDONE_ENV_FROM_FILES: "1"
      DB_PASSWORD_FILE: /run/secrets/db_password
    secrets: [db_password]
    command: [{show}]
secrets:
  db_password:
    file: ./db_password.txt
"#,
        image = s.image,
        show = SHOW_ENV.map(|a| format!("\"{a}\"")).join(", ")
    );
    let file = s.file(&format!("{project}/docker-compose.yml"), &yaml);
    let file = file.to_str().unwrap();
    struct Down<'a>(&'a str, &'a str);
    impl Drop for Down<'_> {
        fn drop(&mut self) {
            let _ = run(
                "docker-compose",
                &["-p", self.0, "-f", self.1, "down", "-v"],
            );
        }
    }
    let _down = Down(&project, file);
    let (code, out, err) = run(
        "docker-compose",
        &["-p", &project, "-f", file, "up", "--no-color"],
    );
    assert_eq!(code, Some(0), "{out}{err}");
    // Compose prefixes each line with the service: the entries are NUL-separated inside.
    assert_eq!(out.matches("s3cret").count(), 1, "{out:?}");
    let entries: Vec<&str> = out.split(['\0', '\n']).collect();
    assert!(
        entries.iter().any(|e| e.ends_with("DB_PASSWORD=s3cret")),
        "{entries:?}"
    );
    let file_var = "DB_PASSWORD_FILE=/run/secrets/db_password";
    assert!(entries.contains(&file_var), "{entries:?}");
}

/// A worker that allocates past `--memory`: busybox dd with a 200 MB block.
const HOG: &str = "dd if=/dev/zero of=/dev/null bs=200M count=1";

#[test]
fn oom_kill_of_a_worker_named_and_under_on_oom_exit_the_container_stops() {
    let Some(s) = suite() else { return };
    let file = s.file("oom/worker", "");
    let mount = format!("{}:/dev/termination-log", file.display());
    let memory = ["--memory", "32m", "--memory-swap", "32m"];
    // The main process (sh) lives on after the worker is OOM-killed; it says when the
    // stop signal reaches it. The worker is a daemon (double fork): re-parented to pidone,
    // which reaps it. (A worker its own master reaps is the master's to see: docs.)
    let script = format!(
        "trap 'echo app: got TERM; exit 0' TERM; echo ready; ( {HOG} & ); \
         sleep 1000 & wait"
    );

    // Default: nothing read, nothing said; the container runs on.
    let mut flags = memory.to_vec();
    flags.extend(["-e", "PIDONE_VERBOSITY=3"]);
    let (c, _) = s.run("oom-default", true, &flags, &["sh", "-c", &script]);
    let logs = logs_until(&c.0, "signal=SIGKILL");
    assert!(!logs.contains("OOM"), "{logs}");
    // The container's own count (cgroup v1 here) says it was an OOM kill.
    let counter = [
        "exec",
        &c.0,
        "cat",
        "/sys/fs/cgroup/memory/memory.oom_control",
    ];
    assert!(docker(&counter).contains("oom_kill 1"));
    assert_eq!(state(&c.0, "Running"), "true");

    // --on-oom log: named (pid and command), the container runs on.
    let mut flags = memory.to_vec();
    flags.extend(["-e", "PIDONE_ON_OOM=log"]);
    let (c, _) = s.run("oom-log", true, &flags, &["sh", "-c", &script]);
    let logs = logs_until(&c.0, "pidone: OOM kill pid=");
    assert!(logs.contains(" command=dd"), "{logs}");
    assert_eq!(state(&c.0, "Running"), "true");

    // --on-oom exit: the stop signal reaches the app first, then pidone exits 137.
    let mut flags = memory.to_vec();
    flags.extend([
        "-e",
        "PIDONE_ON_OOM=exit",
        "-e",
        "PIDONE_VERBOSITY=2",
        "-v",
        &mount,
    ]);
    let (c, code) = s.run("oom-exit", false, &flags, &["sh", "-c", &script]);
    assert_eq!(code, 137);
    let (_, out, err) = docker_try(&["logs", &c.0]);
    assert!(out.contains("app: got TERM"), "{out}");
    assert!(
        err.contains(" oom_killed=1 "),
        "the exit report counts it: {err}"
    );
    let text = message(&file);
    assert!(
        text.starts_with("exited 0: OOM kill; OOM kill: pid ") && text.contains("(dd)"),
        "{text}"
    );
    assert!(text.ends_with("; exit 137"), "{text}");
}

/// A server (busybox httpd) that a test can turn unhealthy by killing it, behind a main
/// process that says when the stop signal reaches it.
const SERVER: &str = "trap 'echo app: got TERM; exit 0' TERM; \
                      httpd -f -p 127.0.0.1:8080 -h / & echo $! >/httpd.pid; \
                      echo ready; sleep 1000 & wait";

/// Checks every 200 ms from pidone's start, unhealthy after 10 failures in a row: httpd,
/// which the app starts in the background, has 2 s to listen (after two failures, 400 ms,
/// a loaded machine could see the container stopped before its server was up).
fn watchdog_flags(extra: &[&'static str]) -> Vec<&'static str> {
    let mut flags = vec![
        "-e",
        "PIDONE_WATCHDOG=tcp://127.0.0.1:8080",
        "-e",
        "PIDONE_WATCHDOG_INTERVAL=200ms",
        "-e",
        "PIDONE_WATCHDOG_RETRIES=10",
    ];
    flags.extend(extra);
    flags
}

#[test]
fn watchdog_stops_an_unhealthy_server_and_exits_134() {
    let Some(s) = suite() else { return };
    let (c, _) = s.run(
        "watchdog",
        true,
        &watchdog_flags(&[]),
        &["sh", "-c", SERVER],
    );
    logs_until(&c.0, "ready");
    // Healthy for a while: many checks pass, the container runs on.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(state(&c.0, "Running"), "true");
    docker(&["exec", &c.0, "sh", "-c", "kill $(cat /httpd.pid)"]);
    let deadline = Instant::now() + WAIT;
    while state(&c.0, "Running") == "true" {
        assert!(
            Instant::now() < deadline,
            "still running {WAIT:?} after the server died"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(state(&c.0, "ExitCode"), "134");
    let (_, out, err) = docker_try(&["logs", &c.0]);
    assert!(
        out.contains("app: got TERM"),
        "the app got the stop signal: {out}"
    );
    assert!(
        err.contains("connection refused"),
        "each failed check says why: {err}"
    );
    assert!(
        err.contains("pidone: unhealthy url=tcp://127.0.0.1:8080 failures=10"),
        "{err}"
    );
}

#[test]
fn watchdog_under_restart_on_failure_restarts_the_container() {
    let Some(s) = suite() else { return };
    let flags = watchdog_flags(&["--restart", "on-failure"]);
    let (c, _) = s.run("watchdog-restart", true, &flags, &["sh", "-c", SERVER]);
    logs_until(&c.0, "ready");
    docker(&["exec", &c.0, "sh", "-c", "kill $(cat /httpd.pid)"]);
    let deadline = Instant::now() + WAIT;
    let restarts = || docker(&["inspect", "-f", "{{.RestartCount}}", &c.0]);
    while restarts() == "0" {
        assert!(
            Instant::now() < deadline,
            "no restart {WAIT:?} after the server died"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // Restarted with a live server: healthy again, running.
    let mut logs = logs_until(&c.0, "pidone: unhealthy");
    while logs.matches("ready").count() < 2 {
        assert!(Instant::now() < deadline, "not started again: {logs}");
        std::thread::sleep(Duration::from_millis(100));
        logs = logs_until(&c.0, "ready");
    }
    assert!(logs.contains("app: got TERM"), "{logs}");
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(state(&c.0, "Running"), "true");
    assert_eq!(restarts(), "1");
}
