//! pidone on arm64, tested rather than assumed: the aarch64 release binary (built here
//! with .cargo/config.toml's cross settings) runs under qemu-user through binfmt_misc, as
//! PID 1 of fresh PID namespaces, against the host's fixture programs (the kernel runs each
//! program with its own architecture), and as PID 1 of a real arm64 container.
//!
//! `PIDONE_BIN=PATH cargo test --release --test arm64` runs the same tests against another
//! binary (another architecture's, or the host's to compare).
//!
//! What qemu-user cannot emulate runs on x86_64 only, and the test says so in one line
//! (`X86_64 ONLY: ...`); docs/testing.md lists those cases. A missing rustup target is a
//! loud SKIP, even in CI; a missing tool (the linker, qemu-user, docker) is a SKIP outside
//! CI and a failure in it.

use pidone_testkit as common;
mod scenarios {
    pub mod core;
    pub mod features;
    pub mod grace;
}

use common::*;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The binary under test, once per process: `PIDONE_BIN`, or the aarch64 release build.
/// None (said loudly) when it cannot be built or run here.
fn binary(test: &str) -> Option<&'static str> {
    static CHOSEN: OnceLock<Result<String, Missing>> = OnceLock::new();
    let chosen = CHOSEN.get_or_init(|| {
        if let Ok(path) = std::env::var("PIDONE_BIN")
            && !path.is_empty()
        {
            return Ok(path);
        }
        AARCH64.runnable()?;
        AARCH64.build(true)
    });
    match chosen {
        Ok(path) => {
            use_pidone(path);
            Some(pidone())
        }
        Err(missing) => {
            missing.skip(test);
            None
        }
    }
}

/// The ELF machine of the binary under test (`e_machine`).
fn machine() -> u16 {
    let head = std::fs::read(pidone())
        .map(|b| b[..20].to_vec())
        .unwrap_or_default();
    assert_eq!(head.len(), 20, "{} is no ELF file", pidone());
    u16::from_le_bytes([head[18], head[19]])
}

const EM_386: u16 = 3;
const EM_X86_64: u16 = 62;
const EM_AARCH64: u16 = 183;

/// Whether the binary under test runs under qemu-user: any architecture but x86_64 and
/// i686, which this machine's kernel runs itself.
fn emulated() -> bool {
    ![EM_X86_64, EM_386].contains(&machine())
}

/// Says in one line that a check runs on x86_64 only, and why.
fn x86_64_only(test: &str, why: &str) {
    eprintln!("X86_64 ONLY: {test}: {why}");
}

#[test]
fn the_binary_is_the_other_architecture_and_says_its_version() {
    let Some(bin) = binary("the_binary_is_the_other_architecture_and_says_its_version") else {
        return;
    };
    let out = Command::new(bin).arg("--version").output().expect("run it");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("pidone {}", env!("CARGO_PKG_VERSION"))
    );
    eprintln!("testing {bin} (emulated: {})", emulated());
}

#[test]
fn every_exit_code_path() {
    let Some(_) = binary("every_exit_code_path") else {
        return;
    };
    scenarios::core::exit_codes_pass_through(Mode::Pid1);
    scenarios::core::command_not_found_is_127_with_the_reason(Mode::Pid1);
    scenarios::core::not_executable_is_126(Mode::Pid1);
    let out = run(Mode::Plain, &["--grace", "soon", "--", "true"]);
    assert_eq!(out.code(), 2, "a usage error: {}", out.stderr);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    let out = run(
        Mode::Pid1,
        &["--remap-exit", "143", "--", "sh", "-c", "kill $$"],
    );
    assert_eq!(out.code(), 0, "--remap-exit 143: {}", out.stderr);
}

/// Each signal reaches the application exactly once: sigecho prints a line per signal it
/// takes, and the next signal goes only after the line for the last one came.
#[test]
fn each_signal_is_forwarded_once() {
    const TEST: &str = "each_signal_is_forwarded_once";
    let Some(_) = binary(TEST) else {
        return;
    };
    let faults = [
        libc::SIGSEGV,
        libc::SIGBUS,
        libc::SIGFPE,
        libc::SIGILL,
        libc::SIGTRAP,
    ];
    let mut signals = scenarios::core::SIGNALS.to_vec();
    if emulated() {
        x86_64_only(
            TEST,
            "SIGSEGV, SIGBUS, SIGFPE, SIGILL and SIGTRAP sent from outside: qemu-user takes \
             them as its own fault signals, and then lost or crashed on them (tests/core.rs \
             each_signal_reaches_the_child_once); every other signal is checked here",
        );
        signals.retain(|(sig, _)| !faults.contains(sig));
    }
    scenarios::core::each_signal_reaches_the_child_once(Mode::Pid1, &signals, false);
}

/// With `-g`, a pipeline is one process group, and each of its processes hears the stop
/// signal once, though the shell ignores it.
#[test]
fn the_process_group_gets_the_signal() {
    let Some(_) = binary("the_process_group_gets_the_signal") else {
        return;
    };
    scenarios::core::pipeline_gets_term_in_every_process(Mode::Pid1);
}

/// By default the signal goes to the command alone; an app behind a wrapper that does not
/// exec hears the stop once all the same: the wrapper dies of it, and the drain sends what
/// it left one SIGTERM.
#[test]
fn an_app_behind_a_wrapper_hears_the_stop_once() {
    let Some(_) = binary("an_app_behind_a_wrapper_hears_the_stop_once") else {
        return;
    };
    let s = example("sigecho");
    // `; true`: the shell cannot exec sigecho, so it stays in between.
    let script = format!("{s} --code 3; true");
    let p = start(Mode::Pid1, &["--", "sh", "-c", &script]);
    p.until("ready");
    p.signal(libc::SIGTERM);
    let out = p.wait();
    assert_eq!(out.rest, vec!["got SIGTERM"], "{}", out.stderr);
    assert_eq!(out.code(), 128 + libc::SIGTERM, "the wrapper's status");
}

#[test]
fn orphaned_zombies_are_reaped() {
    let Some(_) = binary("orphaned_zombies_are_reaped") else {
        return;
    };
    scenarios::core::a_burst_of_orphans_is_reaped(500, |args| run(Mode::Pid1, args));
}

/// Not PID 1, pidone registers as a child subreaper, which qemu-user 7.2 refuses
/// (EINVAL): pidone must say so in one warning and still run the command.
#[test]
fn not_pid1_without_a_subreaper_warns_and_runs() {
    const TEST: &str = "not_pid1_without_a_subreaper_warns_and_runs";
    let Some(_) = binary(TEST) else {
        return;
    };
    let out = run(Mode::Plain, &["--", "sh", "-c", "exit 5"]);
    assert_eq!(out.code(), 5, "{}", out.stderr);
    if emulated() {
        x86_64_only(
            TEST,
            "qemu-user 7.2 answers prctl(PR_SET_CHILD_SUBREAPER) with EINVAL, so orphans \
             are not re-parented to a pidone that is not PID 1 (tests/core.rs \
             subreaper_reaps_when_not_pid1); checked here: the one warning, and the run",
        );
        assert!(
            out.stderr.contains("cannot register as child subreaper"),
            "{}",
            out.stderr
        );
        assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    } else {
        assert_eq!(out.stderr, "", "a subreaper needs no warning");
    }
}

#[test]
fn the_grace_is_enforced() {
    let Some(_) = binary("the_grace_is_enforced") else {
        return;
    };
    scenarios::core::ignoring_term_is_killed_after_the_grace(Mode::Pid1, 500);
}

/// The drain: leftovers get one SIGTERM when the app exits, and may finish their work.
#[test]
fn leftovers_are_drained() {
    let Some(_) = binary("leftovers_are_drained") else {
        return;
    };
    scenarios::core::leftovers_are_terminated_and_waited_for();
    scenarios::core::no_drain_exits_at_once();
}

/// Under the drop-in names (a symlink, as Docker and podman install them), pidone is the
/// original: its version line and its exit code for a usage error.
#[test]
fn drop_in_names() {
    let Some(bin) = binary("drop_in_names") else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("pidone-arm64-names-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let version = env!("CARGO_PKG_VERSION");
    let tini = format!("tini version {version}+pidone - git.pidone");
    for (name, line) in [
        ("tini", tini.as_str()),
        ("docker-init", &tini),
        ("catatonit", &tini),
        ("podman-init", &tini),
        ("dumb-init", &format!("dumb-init v{version}+pidone")),
    ] {
        let link = dir.join(name);
        std::os::unix::fs::symlink(bin, &link).unwrap();
        let link = link.to_str().unwrap();
        let out = Command::new(link).arg("--version").output().unwrap();
        let said = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
        assert_eq!(said.trim(), line, "{name} --version");
        let out = Command::new(link).arg("--no-such-option").output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{name}: usage errors exit 1");
        let out = Command::new("unshare")
            .args(["--pid", "--fork", "--mount-proc", "--kill-child", "--"])
            .args([link, "--", "sh", "-c", "exit 9"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(9), "{name}: the app's code");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn user_switch() {
    let Some(_) = binary("user_switch") else {
        return;
    };
    let out = run(
        Mode::Pid1,
        &[
            "--user",
            "65532:65533",
            "--",
            "sh",
            "-c",
            "echo $(id -u) $(id -g) $(id -G)",
        ],
    );
    assert_eq!(out.rest, vec!["65532 65533 65533"], "{}", out.stderr);
    assert_eq!(out.code(), 0);
    let out = run(Mode::Pid1, &["--user", "no-such-user-pidone", "--", "true"]);
    assert_eq!(out.code(), 126, "fails closed: {}", out.stderr);
}

#[test]
fn json_logs() {
    let Some(_) = binary("json_logs") else {
        return;
    };
    // The app's pid: 2 natively; under qemu-user its own thread took 2 already.
    scenarios::features::json_logs_are_one_object_per_line((!emulated()).then_some(2));
}

/// `pidone health` against a server of the test's on loopback: 200 is healthy, 503 and a
/// closed port are not, each with its one line.
#[test]
fn health_check() {
    let Some(_) = binary("health_check") else {
        return;
    };
    let serve = |status: &'static str| {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = Vec::new();
            let mut byte = [0u8; 1];
            while !request.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                request.push(byte[0]);
            }
            let response = format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\n\r\n");
            let _ = stream.write_all(response.as_bytes());
        });
        port
    };
    let port = serve("200 OK");
    let out = run(
        Mode::Plain,
        &["health", &format!("http://127.0.0.1:{port}/")],
    );
    assert_eq!((out.code(), out.stderr.as_str()), (0, ""), "{out:?}");
    let port = serve("503 Service Unavailable");
    let out = run(
        Mode::Plain,
        &["health", &format!("http://127.0.0.1:{port}/")],
    );
    assert_eq!(out.code(), 1, "{out:?}");
    assert!(out.stderr.contains("503"), "{out:?}");
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = run(
        Mode::Plain,
        &["health", &format!("tcp://127.0.0.1:{closed}")],
    );
    assert_eq!(out.code(), 1, "{out:?}");
    assert!(out.stderr.contains("refused"), "{out:?}");
}

// ---- a real arm64 container --------------------------------------------------------------

/// busybox-static:arm64, where scripts/setup.sh extracts it.
const ARM64_BUSYBOX: &str = "/var/cache/pidone/arm64/bin/busybox";

fn docker(args: &[&str]) -> std::process::Output {
    Command::new("docker")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run docker")
}

/// Removes this run's containers and image at the end of the test, pass or fail.
struct Cleanup {
    image: String,
    containers: Vec<String>,
    dir: PathBuf,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for c in &self.containers {
            let _ = docker(&["rm", "-f", c]);
        }
        let _ = docker(&["rmi", "-f", &self.image]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// docker inspect's view of one field of a container.
fn inspect(container: &str, format: &str) -> String {
    let out = docker(&["inspect", "-f", format, container]);
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// An arm64 FROM scratch image: pidone as its entrypoint, busybox-static:arm64 as the
/// app, and a HEALTHCHECK that is `pidone health`, run under `--platform linux/arm64`.
#[test]
fn a_real_arm64_container() {
    const TEST: &str = "a_real_arm64_container";
    let Some(bin) = binary(TEST) else {
        return;
    };
    if machine() != EM_AARCH64 {
        return eprintln!(
            "SKIP: {TEST}: PIDONE_BIN is not an aarch64 binary; this test is for arm64"
        );
    }
    if !docker(&["info"]).status.success() {
        return Missing::Tool("docker missing (`docker info` fails)".into()).skip(TEST);
    }
    if !Path::new(ARM64_BUSYBOX).exists() {
        return Missing::Tool(format!("{ARM64_BUSYBOX} missing (scripts/setup.sh)")).skip(TEST);
    }
    let tag = format!("arm64-pidone-test-{}", std::process::id());
    let dir = std::env::temp_dir().join(&tag);
    let mut cleanup = Cleanup {
        image: format!("{tag}:latest"),
        containers: Vec::new(),
        dir: dir.clone(),
    };
    std::fs::create_dir_all(dir.join("www")).unwrap();
    std::fs::copy(bin, dir.join("pidone")).unwrap();
    std::fs::copy(ARM64_BUSYBOX, dir.join("busybox")).unwrap();
    std::fs::write(dir.join("www/index.html"), "ok\n").unwrap();
    std::fs::write(
        dir.join("Dockerfile"),
        "FROM scratch\n\
         COPY pidone /pidone\n\
         COPY busybox /bin/busybox\n\
         COPY www /www\n\
         HEALTHCHECK --interval=1s --timeout=3s --retries=30 \
         CMD [\"/pidone\", \"health\", \"http://127.0.0.1:8080/index.html\"]\n\
         ENTRYPOINT [\"/pidone\", \"--\"]\n\
         CMD [\"/bin/busybox\", \"httpd\", \"-f\", \"-p\", \"127.0.0.1:8080\", \"-h\", \"/www\"]\n",
    )
    .unwrap();
    let out = docker(&[
        "build",
        "--platform",
        "linux/arm64",
        "-q",
        "-t",
        &cleanup.image,
        dir.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "docker build: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let image = cleanup.image.clone();
    let arch = docker(&["image", "inspect", "-f", "{{.Architecture}}", &image]);
    assert_eq!(String::from_utf8_lossy(&arch.stdout).trim(), "arm64");
    let run_args = |name: &str| {
        vec![
            "run".to_string(),
            "--platform".into(),
            "linux/arm64".into(),
            "--network".into(),
            "none".into(),
            "--name".into(),
            name.to_string(),
        ]
    };

    // Exit codes, through pidone as PID 1, and a command that does not exist.
    for (script, code) in [("exit 7", 7), ("kill -9 $$", 137)] {
        let name = format!("{tag}-exit");
        cleanup.containers.push(name.clone());
        let mut args = run_args(&name);
        args.extend(["--rm".into(), image.clone(), "/bin/busybox".into()]);
        args.extend(["sh".into(), "-c".into(), script.into()]);
        let out = docker(&args.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(out.status.code(), Some(code), "{script}");
    }
    let name = format!("{tag}-missing");
    cleanup.containers.push(name.clone());
    let mut args = run_args(&name);
    args.extend(["--rm".into(), image.clone(), "/no/such/app".into()]);
    let out = docker(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(out.status.code(), Some(127), "a missing command");

    // Orphans that exit at once: none stays a zombie of PID 1.
    let name = format!("{tag}-zombies");
    cleanup.containers.push(name.clone());
    let mut args = run_args(&name);
    let script = "i=0; while [ $i -lt 50 ]; do (/bin/busybox true &); i=$((i+1)); done; \
                  n=0; while [ $n -lt 300 ]; do \
                  z=$(/bin/busybox grep -l '^[0-9]* ([^)]*) Z' /proc/[0-9]*/stat 2>/dev/null \
                  | /bin/busybox wc -l); \
                  [ \"$z\" = 0 ] && { echo zombies=0; exit 0; }; \
                  /bin/busybox usleep 100000; n=$((n+1)); done; echo zombies=$z; exit 1";
    args.extend(["--rm".into(), image.clone(), "/bin/busybox".into()]);
    args.extend(["sh".into(), "-c".into(), script.into()]);
    let out = docker(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "zombies=0");
    assert_eq!(out.status.code(), Some(0));

    // The health check turns healthy, then `docker stop` ends the server at once:
    // httpd dies of the forwarded SIGTERM (143), well inside docker's 10 s.
    let name = format!("{tag}-web");
    cleanup.containers.push(name.clone());
    let mut args = run_args(&name);
    args.extend(["-d".into(), image.clone()]);
    let out = docker(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut health = String::new();
    while Instant::now() < deadline {
        health = inspect(&name, "{{.State.Health.Status}}");
        if health == "healthy" || health == "unhealthy" {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(
        health,
        "healthy",
        "{}",
        inspect(&name, "{{json .State.Health}}")
    );
    let stopped = Instant::now();
    let out = docker(&["stop", &name]);
    let took = stopped.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(inspect(&name, "{{.State.ExitCode}}"), "143");
    eprintln!("arm64 container: docker stop took {took:?} (under qemu-user)");
    assert!(
        took < Duration::from_secs(8),
        "docker stop waited for its timeout: {took:?}"
    );
}
