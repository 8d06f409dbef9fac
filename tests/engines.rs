//! pidone as the init of real engines, installed the way docs/install.md tells users to
//! (testkit/src/real/config.rs has the exact configuration), side by side with the inits those
//! engines ship:
//!
//! - a second `dockerd` owned by the test whose `init-path` is pidone installed as
//!   `docker-init`, and a third one whose `init-path` is Debian's tini-static, so that
//!   `docker run --init` runs each of them exactly as Docker does (`/sbin/docker-init --
//!   CMD`, a read-only bind mount of the host file); the same containers without `--init`
//!   show what an init changes;
//! - Compose's `init: true` (Debian's docker-compose) against the pidone daemon;
//! - podman, rootful with its own storage, whose containers.conf `init_path` is pidone,
//!   beside podman's stock catatonit (`--init-path`).
//!
//! Every check runs all of them at once and records what each did; the binary prints the
//! table at its end (and writes target/engines-results.md). pidone's results are asserted
//! as the new behaviour has them: no SIGKILL unless a grace is set (the runtime's timeout
//! is the deadline), 127 for a missing command, 126 for one that cannot be executed, and a
//! script without `#!` run by /bin/sh. The others' results are asserted as measured with
//! tini 0.19.0, catatonit 0.1.7, Docker 20.10 and podman 4.3, so a change on either side
//! shows.
//!
//! A missing docker, dockerd, podman or docker-compose is a loud SKIP, and a FAIL in CI.
//! Needs root, iproute2, busybox-static, tini and `cargo build --profile suite --examples`.

use pidone_testkit as common;
use pidone_testkit::real;

use real::dockerd::{self, Dockerd};
use real::podman::{self, Podman};
use real::{Both, Engine, Part, config, count, each, have, must, not_here, ran, record, say, secs};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

// ---- the set-up: two daemons, podman, one image on each ----------------------------------

/// Which init a container has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Init {
    Pidone,
    TiniStatic,
    Catatonit,
    /// No init: the app is PID 1.
    Nothing,
}

/// One way of running a container: an engine and the flags that choose its init.
struct Variant {
    column: &'static str,
    init: Init,
    engine: Engine,
    flags: Vec<String>,
    /// Where the engine puts the init in the container, and the host file it is.
    init_file: Option<(&'static str, PathBuf)>,
}

impl Variant {
    fn flags(&self) -> Vec<&str> {
        self.flags.iter().map(String::as_str).collect()
    }
}

struct Docker {
    pidone: Dockerd,
    tini: Dockerd,
    version: String,
}

static SETUP: OnceLock<Both<Docker, Podman>> = OnceLock::new();

fn setup() -> &'static Both<Docker, Podman> {
    SETUP.get_or_init(|| {
        real::docker_and_podman(
            (
                "Engines: pidone as the engine's init, beside the engine's own init and no init",
                &COLUMNS,
            ),
            "fixtures",
            fixtures_tar,
            start_docker,
            start_podman,
        )
    })
}

const COLUMNS: [&str; 5] = [
    "pidone (docker)",
    "tini-static (docker)",
    "no init (docker)",
    "pidone (podman)",
    "catatonit (podman)",
];

fn start_docker(tar: &Path, image: &str) -> Part<Docker> {
    for tool in ["docker", "dockerd", "ip"] {
        if !have(tool) {
            return Part::Missing(format!("{tool} is missing"));
        }
    }
    let version = match real::docker_version() {
        Ok(v) => v,
        Err(why) => return Part::Missing(why),
    };
    if !Path::new(config::TINI_STATIC).exists() {
        return Part::Broken(format!(
            "{} is missing: apt-get install tini",
            config::TINI_STATIC
        ));
    }
    let started = std::thread::scope(|scope| {
        let p = scope.spawn(|| dockerd::start('p', dockerd::Init::Install(&real::pidone())));
        let t = scope.spawn(|| dockerd::start('t', dockerd::Init::Use(config::TINI_STATIC)));
        (p.join(), t.join())
    });
    let (Ok(Ok(pidone)), Ok(Ok(tini))) = started else {
        let why = match started {
            (Ok(Err(e)), _) | (_, Ok(Err(e))) => e,
            _ => "starting a dockerd panicked".to_string(),
        };
        return Part::Broken(why);
    };
    let tar = tar.to_string_lossy();
    for d in [&pidone, &tini] {
        let out = d.engine.try_run(&["import", &tar, image]);
        if !out.ok() {
            return Part::Broken(format!("docker import: {}", out.stderr.trim()));
        }
    }
    Part::Ready(Docker {
        version,
        pidone,
        tini,
    })
}

fn start_podman(tar: &Path, image: &str) -> Part<Podman> {
    if !have("podman") {
        return Part::Missing(
            "podman is missing (apt-get install --no-install-recommends podman)".into(),
        );
    }
    if !Path::new(config::CATATONIT).exists() {
        return Part::Broken(format!(
            "{} is missing: apt-get install catatonit",
            config::CATATONIT
        ));
    }
    let p = match podman::start(&real::pidone()) {
        Ok(p) => p,
        Err(e) => return Part::Broken(e),
    };
    let out = p.engine.try_run(&["import", &tar.to_string_lossy(), image]);
    if !out.ok() {
        return Part::Broken(format!("podman import: {}", out.stderr.trim()));
    }
    Part::Ready(p)
}

/// The image's root file system, as a tar: Debian's static busybox with every applet
/// linked, the fixtures, and two files that cannot be run as they are.
fn fixtures_tar() -> Result<PathBuf, String> {
    let mut files = Vec::new();
    for fixture in ["sigecho", "stubborn", "zombies"] {
        files.push((fixture, real::example(fixture)?));
    }
    let root = real::rootfs::build("fixtures", &files)?;
    use std::os::unix::fs::PermissionsExt;
    let write = |name: &str, text: &str, mode: u32| -> Result<(), String> {
        let path = root.join(name);
        fs::write(&path, text).map_err(|e| e.to_string())?;
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).map_err(|e| e.to_string())
    };
    // A shell script without a `#!` line: execve says ENOEXEC, and glibc's execvp (tini,
    // catatonit) then runs it with /bin/sh.
    write("noshebang", "echo no-shebang ran\nexit 4\n", 0o755)?;
    // A script without the execute bit.
    write("noexec", "#!/bin/sh\nexit 0\n", 0o644)?;
    real::rootfs::tar(&root, "fixtures")
}

/// The ways of running a container that `test` can use on this machine. A missing engine
/// is a loud SKIP (a FAIL in CI); a broken one fails the test.
fn variants(test: &str) -> Vec<Variant> {
    let s = setup();
    let mut out = Vec::new();
    match &s.docker {
        Part::Ready(d) => {
            let init = |d: &Dockerd| Some(("/sbin/docker-init", d.init_path.clone()));
            out.push(Variant {
                column: COLUMNS[0],
                init: Init::Pidone,
                engine: d.pidone.engine.clone(),
                flags: vec!["--init".into()],
                init_file: init(&d.pidone),
            });
            out.push(Variant {
                column: COLUMNS[1],
                init: Init::TiniStatic,
                engine: d.tini.engine.clone(),
                flags: vec!["--init".into()],
                init_file: init(&d.tini),
            });
            out.push(Variant {
                column: COLUMNS[2],
                init: Init::Nothing,
                engine: d.pidone.engine.clone(),
                flags: Vec::new(),
                init_file: None,
            });
        }
        Part::Missing(why) => not_here(test, &format!("docker: {why}")),
        Part::Broken(why) => panic!("docker: {why}"),
    }
    match &s.podman {
        Part::Ready(p) => {
            // containers.conf's init_path chooses pidone: `--init` alone.
            out.push(Variant {
                column: COLUMNS[3],
                init: Init::Pidone,
                engine: p.engine.clone(),
                flags: vec!["--init".into()],
                init_file: Some(("/run/podman-init", p.init_path.clone())),
            });
            out.push(Variant {
                column: COLUMNS[4],
                init: Init::Catatonit,
                engine: p.engine.clone(),
                flags: vec![
                    "--init".into(),
                    "--init-path".into(),
                    config::CATATONIT.into(),
                ],
                init_file: Some(("/run/podman-init", PathBuf::from(config::CATATONIT))),
            });
        }
        Part::Missing(why) => not_here(test, &format!("podman: {why}")),
        Part::Broken(why) => panic!("podman: {why}"),
    }
    out
}

fn image() -> &'static str {
    &setup().image
}

/// What one variant did in one check: a line for the table, and whether it is what that
/// init should do (with the reason when it is not).
struct Seen {
    column: &'static str,
    shown: String,
    wrong: Option<String>,
}

/// Runs `check` for every variant at once, records each result in row `row`, then fails
/// the test if any was wrong: all results are printed before an assertion fails.
fn compare(test: &str, row: &str, variants: &[Variant], check: impl Fn(&Variant) -> Seen + Sync) {
    let seen = each(variants, check);
    for s in &seen {
        record(row, s.column, &s.shown);
    }
    let wrong: Vec<String> = seen
        .iter()
        .filter_map(|s| s.wrong.as_ref().map(|w| format!("{}: {w}", s.column)))
        .collect();
    assert!(wrong.is_empty(), "{test}: {row}:\n{}", wrong.join("\n"));
}

fn seen(v: &Variant, shown: String, ok: bool, expected: &str) -> Seen {
    Seen {
        column: v.column,
        wrong: (!ok).then(|| format!("got {shown}, expected {expected}")),
        shown,
    }
}

// ---- the checks --------------------------------------------------------------------------------

/// `docker info` and `docker version` show the init's version and commit as the daemon
/// parsed them from `INIT --version`: pidone's under the name docker-init, tini's.
#[test]
fn docker_info_shows_the_init_parsed_from_its_version() {
    let test = "engines::docker_info_shows_the_init_parsed_from_its_version";
    let s = setup();
    let Part::Ready(d) = &s.docker else {
        let _ = variants(test);
        return;
    };
    let rows = [(COLUMNS[0], &d.pidone), (COLUMNS[1], &d.tini)];
    for (column, daemon) in rows {
        let host = must(&daemon.init_path.to_string_lossy(), &["--version"])
            .unwrap_or_else(|e| panic!("{e}"));
        let (version, commit) =
            common::parse_init_version(&host).unwrap_or_else(|e| panic!("{column}: {e}"));
        let info = daemon
            .engine
            .ok(&["info", "-f", "{{.InitBinary}}|{{.InitCommit.ID}}"]);
        // `docker version` names the init's component after the file: docker-init, or
        // tini-static.
        let components = daemon.engine.ok(&[
            "version",
            "-f",
            "{{range .Server.Components}}{{.Name}}={{.Version}}\n{{end}}",
        ]);
        let file = daemon
            .init_path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let shown_version = components
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{file}=")))
            .unwrap_or("")
            .to_string();
        let (binary, info_commit) = info.split_once('|').unwrap_or((&info, ""));
        record(
            "`docker info`/`docker version`: init version, commit",
            column,
            &format!(
                "{file} {shown_version}, commit {}",
                if info_commit.is_empty() {
                    "none"
                } else {
                    info_commit
                }
            ),
        );
        assert_eq!(
            binary,
            daemon.init_path.to_string_lossy(),
            "{column}: InitBinary"
        );
        assert_eq!(
            shown_version, version,
            "{column}: docker version's docker-init"
        );
        assert_eq!(info_commit, commit, "{column}: InitCommit.ID");
        if column == COLUMNS[0] {
            assert!(version.contains("pidone") && !commit.is_empty(), "{host}");
        }
    }
    say(&format!(
        "docker: main daemon {}, test daemons {} and {}",
        d.version, d.pidone.socket, d.tini.socket
    ));
    ran(test);
}

/// PID 1 is the engine's init started as the engine starts it (`/sbin/docker-init -- CMD`,
/// `/run/podman-init -- CMD`), and it is the very file on the host (same sha256).
#[test]
fn pid1_is_the_configured_init() {
    let test = "engines::pid1_is_the_configured_init";
    let vs = variants(test);
    if vs.is_empty() {
        return;
    }
    let script = "tr '\\0' ' ' </proc/1/cmdline; echo; \
                  for f in /sbin/docker-init /run/podman-init; do \
                  [ -e $f ] && sha256sum $f; done; true";
    compare(
        test,
        "PID 1 (`/proc/1/cmdline`), same sha256 as the host file",
        &vs,
        |v| {
            let (code, out) =
                v.engine
                    .run_to_end("pid1", &v.flags(), image(), &["/bin/sh", "-c", script]);
            let mut lines = out.stdout.lines();
            let cmdline = lines.next().unwrap_or("").trim().to_string();
            let sum = lines
                .next()
                .unwrap_or("")
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_string();
            match &v.init_file {
                Some((inside, host)) => {
                    let want_cmd = format!("{inside} -- /bin/sh -c ");
                    let same = sum == real::sha256(host);
                    let shown = format!(
                        "`{inside} -- CMD`{}",
                        if same { ", same file" } else { ", OTHER FILE" }
                    );
                    let ok = code == 0 && cmdline.starts_with(&want_cmd) && same;
                    seen(
                        v,
                        shown,
                        ok,
                        &format!("`{want_cmd}...` and sha256 of {}", host.display()),
                    )
                }
                None => {
                    let ok = code == 0 && cmdline.starts_with("/bin/sh -c ") && sum.is_empty();
                    seen(
                        v,
                        format!(
                            "`{}` (the app)",
                            cmdline.split(' ').take(2).collect::<Vec<_>>().join(" ")
                        ),
                        ok,
                        "the app as PID 1",
                    )
                }
            }
        },
    );
    ran(test);
}

/// `stop -t 10` of `sleep 1000`: an init passes SIGTERM on and sleep dies of it at once
/// (143). Without an init, sleep is PID 1, which the kernel shields from SIGTERM, and the
/// engine waits out its whole timeout and SIGKILLs (137).
#[test]
fn stop_of_sleep_is_immediate() {
    let test = "engines::stop_of_sleep_is_immediate";
    let vs = variants(test);
    if vs.is_empty() {
        return;
    }
    compare(test, "stop `sleep 1000` (-t 10)", &vs, |v| {
        let mut c = v.engine.start(
            "sleep",
            &v.flags(),
            image(),
            &["/bin/sh", "-c", "echo ready; exec /bin/sleep 1000"],
        );
        c.log.wait_for("ready");
        let (took, code) = c.stop(10);
        let shown = format!("{}, {code}", secs(took));
        match v.init {
            Init::Nothing => seen(
                v,
                shown,
                code == 137 && took >= Duration::from_millis(9500),
                "the full 10 s, 137",
            ),
            _ => {
                // `podman stop` itself takes a second or two here, whatever the init, and
                // either engine more on a loaded machine: the bound only says the stop did
                // not wait for the 10 s timeout (143 says the TERM ended the app).
                let quick = Duration::from_secs(if v.engine.program == "podman" { 8 } else { 5 });
                seen(
                    v,
                    shown,
                    code == 143 && took < quick,
                    "well under a second, 143",
                )
            }
        }
    });
    ran(test);
}

/// `stop -t 14` of an app that ignores SIGTERM takes the runtime's 14 s and ends in its
/// SIGKILL (137) under every init: the runtime owns the deadline. pidone SIGKILLs earlier
/// only when a grace is set (PIDONE_GRACE=2s: about 2 s).
#[test]
fn stop_of_a_term_ignoring_app_takes_the_runtimes_timeout() {
    let test = "engines::stop_of_a_term_ignoring_app_takes_the_runtimes_timeout";
    let vs = variants(test);
    if vs.is_empty() {
        return;
    }
    // Each variant, and each pidone variant once more with a grace set.
    let cases: Vec<(&Variant, bool)> = vs
        .iter()
        .map(|v| (v, false))
        .chain(
            vs.iter()
                .filter(|v| v.init == Init::Pidone)
                .map(|v| (v, true)),
        )
        .collect();
    let results = each(&cases, |(v, graced)| {
        let mut flags = v.flags();
        if *graced {
            flags.extend(["-e", "PIDONE_GRACE=2s"]);
        }
        let mut c = v.engine.start("stubborn", &flags, image(), &["/stubborn"]);
        c.log.wait_for("ready");
        let (took, code) = c.stop(14);
        let shown = format!("{}, {code}", secs(took));
        let s = if *graced {
            let ok =
                code == 137 && took >= Duration::from_millis(1500) && took < Duration::from_secs(8);
            seen(v, shown, ok, "about 2 s (the grace), 137")
        } else {
            let ok = code == 137
                && took >= Duration::from_millis(13_500)
                && took <= Duration::from_secs(20);
            seen(v, shown, ok, "the runtime's 14 s, 137")
        };
        (*graced, s)
    });
    let mut wrong = Vec::new();
    for (graced, s) in &results {
        let row = if *graced {
            "... the same with `-e PIDONE_GRACE=2s`"
        } else {
            "stop a TERM-ignoring app (-t 14)"
        };
        record(row, s.column, &s.shown);
        if let Some(w) = &s.wrong {
            wrong.push(format!("{row}: {}: {w}", s.column));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    ran(test);
}

/// 100 orphans die at once: every init reaps them. Without an init the app is PID 1, the
/// orphans are re-parented to it, and it never waits for them: 100 zombies stay.
#[test]
fn orphans_are_reaped() {
    let test = "engines::orphans_are_reaped";
    let vs = variants(test);
    if vs.is_empty() {
        return;
    }
    compare(test, "orphans: 100 exit at once", &vs, |v| {
        if v.init == Init::Nothing {
            let c = v.engine.start(
                "zombies",
                &v.flags(),
                image(),
                &["/zombies", "100", "--burst", "--stay"],
            );
            let mut c = c;
            c.log.wait_for("created 100");
            // Nothing announces the last zombie: look until all 100 are there.
            let deadline = Instant::now() + Duration::from_secs(30);
            let mut n = c.zombies();
            while n < 100 && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(100));
                n = c.zombies();
            }
            return seen(v, format!("{n} zombies stay"), n == 100, "100 zombies");
        }
        let mut c = v.engine.start(
            "zombies",
            &v.flags(),
            image(),
            &["/zombies", "100", "--burst", "--check", "--stay"],
        );
        let left = c.log.wait_for("zombies ");
        let (_, code) = c.stop(10);
        let n = left.trim_start_matches("zombies ").trim().to_string();
        seen(
            v,
            format!("{n} zombies"),
            n == "0" && code == 143,
            "0 zombies, then 143 on stop",
        )
    });
    ran(test);
}

/// The container's exit code is the app's, and a command that cannot be started gets the
/// shell's codes under pidone (127 missing, 126 not executable) where catatonit gives 1.
/// A script without `#!` is run by /bin/sh, as glibc's execvp does for tini and catatonit.
#[test]
fn exit_codes() {
    let test = "engines::exit_codes";
    let vs = variants(test);
    if vs.is_empty() {
        return;
    }
    type Want = fn(Init) -> i32;
    let cases: [(&str, &[&str], Want); 4] = [
        ("`exit 3`", &["/bin/sh", "-c", "exit 3"], |_| 3),
        ("missing command", &["/no/such/app"], |i| match i {
            Init::Catatonit => 1,
            _ => 127,
        }),
        ("not executable", &["/noexec"], |i| match i {
            Init::Catatonit => 1,
            _ => 126,
        }),
        // Without an init, runc's own execve fails: "exec format error", 1.
        (
            "script without `#!` (it exits 4)",
            &["/noshebang"],
            |i| match i {
                Init::Nothing => 1,
                _ => 4,
            },
        ),
    ];
    let all: Vec<(&Variant, usize)> = vs
        .iter()
        .flat_map(|v| (0..cases.len()).map(move |i| (v, i)))
        .collect();
    let results = each(&all, |(v, i)| {
        let (row, cmd, want) = cases[*i];
        let (code, out) = v.engine.run_to_end("exit", &v.flags(), image(), cmd);
        let want = want(v.init);
        let mut s = seen(v, code.to_string(), code == want, &want.to_string());
        if let Some(w) = &mut s.wrong {
            w.push_str(&format!(" ({}{})", out.stdout.trim(), out.stderr.trim()));
        }
        // What the user sees: the init's line, or the engine's (shortened) error.
        let message = out
            .stderr
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .trim();
        let message = match message.char_indices().nth(70) {
            Some((at, _)) => format!("`{}...`", &message[..at]),
            None => format!("`{message}`"),
        };
        (row, s, message)
    });
    let mut wrong = Vec::new();
    for (row, s, message) in &results {
        record(&format!("exit code: {row}"), s.column, &s.shown);
        if *row == "missing command" {
            record("... its message", s.column, message);
        }
        if let Some(w) = &s.wrong {
            wrong.push(format!("{row}: {}: {w}", s.column));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    ran(test);
}

/// `kill -s HUP` reaches the app exactly once, and the stop's SIGTERM too.
#[test]
fn hup_reaches_the_app_once() {
    let test = "engines::hup_reaches_the_app_once";
    let vs = variants(test);
    if vs.is_empty() {
        return;
    }
    compare(
        test,
        "`kill -s HUP`, then `stop`: signals the app got",
        &vs,
        |v| {
            let mut c = v.engine.start("hup", &v.flags(), image(), &["/sigecho"]);
            c.log.wait_for("ready pid=");
            c.kill("HUP");
            c.log.wait_for("got SIGHUP");
            // A second HUP from the init would come before this USR1.
            c.kill("USR1");
            c.log.wait_for("got SIGUSR1");
            let (took, code) = c.stop(10);
            let lines = c.log.all();
            let got: Vec<&str> = lines
                .iter()
                .filter(|l| l.starts_with("got "))
                .map(|l| l.trim_start_matches("got SIG"))
                .collect();
            let shown = format!("{} ({}, {code})", got.join(" "), secs(took));
            let ok =
                count(&lines, "got SIGHUP") == 1 && got == ["HUP", "USR1", "TERM"] && code == 0;
            seen(v, shown, ok, "HUP USR1 TERM, once each, exit 0")
        },
    );
    ran(test);
}

/// Compose's `init: true` against the pidone daemon (Debian's docker-compose): PID 1 is
/// pidone as docker-init, and `docker-compose stop` stops the app through it.
#[test]
fn compose_init_true_runs_pidone() {
    let test = "engines::compose_init_true_runs_pidone";
    let s = setup();
    let Part::Ready(d) = &s.docker else {
        let _ = variants(test);
        return;
    };
    if !have("docker-compose") {
        not_here(
            test,
            "docker-compose is missing (apt-get install docker-compose)",
        );
        return;
    }
    let project = format!("engines-{}", real::run_id());
    let dir = d.pidone.dir.join("compose");
    fs::create_dir_all(&dir).expect("compose dir");
    let file = dir.join("compose.yaml");
    let yaml = config::compose_yaml(
        image(),
        &["/bin/sh", "-c", "echo ready; exec /bin/sleep 1000"],
    );
    fs::write(&file, &yaml).expect("write compose.yaml");
    let compose = |args: &[&str]| {
        let mut cmd = std::process::Command::new("docker-compose");
        cmd.args(["-p", &project, "-f"]).arg(&file).args(args);
        for (k, v) in d.pidone.engine.env() {
            cmd.env(k, v);
        }
        real::run(cmd, real::COMMAND)
    };
    struct Down<'a>(&'a dyn Fn(&[&str]) -> real::Output);
    impl Drop for Down<'_> {
        fn drop(&mut self) {
            let _ = (self.0)(&["down", "-t", "1"]);
        }
    }
    let _down = Down(&compose);
    let up = compose(&["up", "-d"]);
    assert!(up.ok(), "docker-compose up: {}{}", up.stdout, up.stderr);
    let id = compose(&["ps", "-q", "app"]).stdout.trim().to_string();
    assert!(!id.is_empty(), "no container for the service");
    let engine = &d.pidone.engine;
    let mut log = real::follow(engine, &id);
    log.wait_for("ready");
    let pid1 = engine.ok(&[
        "exec",
        &id,
        "/bin/sh",
        "-c",
        "tr '\\0' ' ' </proc/1/cmdline; echo; sha256sum /sbin/docker-init",
    ]);
    let stop = compose(&["stop", "-t", "10"]);
    assert!(stop.ok(), "docker-compose stop: {}", stop.stderr);
    let code = engine.ok(&["inspect", "-f", "{{.State.ExitCode}}", &id]);
    let mut lines = pid1.lines();
    let cmdline = lines.next().unwrap_or("");
    let sum = lines
        .next()
        .unwrap_or("")
        .split_whitespace()
        .next()
        .unwrap_or("");
    let same = sum == real::sha256(&d.pidone.init_path);
    record(
        "Compose `init: true` (docker-compose 1.29): PID 1, exit code after `stop`",
        COLUMNS[0],
        &format!(
            "`/sbin/docker-init -- CMD`{}, {code}",
            if same { ", same file" } else { ", OTHER FILE" }
        ),
    );
    say(&format!("compose file of the test:\n{yaml}"));
    assert!(
        cmdline.starts_with("/sbin/docker-init -- /bin/sh -c "),
        "{pid1}"
    );
    assert!(
        same,
        "/sbin/docker-init is not the installed pidone: {pid1}"
    );
    assert_eq!(code, "143", "sleep dies of the SIGTERM pidone passed on");
    ran(test);
}

/// Podman's version, printed for the report, and its init set by containers.conf.
#[test]
fn podman_uses_containers_conf_init_path() {
    let test = "engines::podman_uses_containers_conf_init_path";
    let s = setup();
    let Part::Ready(p) = &s.podman else {
        let _ = variants(test);
        return;
    };
    let conf = fs::read_to_string(p.dir.join("containers.conf")).expect("containers.conf");
    let want = format!("init_path = \"{}\"", p.init_path.display());
    assert!(conf.lines().any(|l| l.trim() == want), "{conf}");
    // `podman info` reads the same file: its view of init_path is pidone.
    let (code, out) = p.engine.run_to_end(
        "conf",
        &["--init"],
        image(),
        &["/bin/sh", "-c", "sha256sum /run/podman-init"],
    );
    assert_eq!(code, 0, "{out:?}");
    assert!(
        out.stdout.starts_with(&real::sha256(&p.init_path)),
        "{out:?}"
    );
    say(&format!(
        "podman {}: init_path from CONTAINERS_CONF is pidone",
        p.version
    ));
    ran(test);
}
