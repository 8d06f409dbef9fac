//! Kubernetes without a cluster: what a pod does to its init, in real engines.
//!
//! - **A pod emulated with Docker** (the machine's own daemon): a pause container, and app
//!   containers joined to it with `--pid container:PAUSE --network container:PAUSE`, as the
//!   kubelet does with `shareProcessNamespace: true`. **A podman pod**: `podman pod create
//!   --share pid,net,ipc,uts --infra-image IMAGE --infra-command "/pidone -P"`, apps joined
//!   with `--pod`.
//! - **pidone as the pause** (`-P`), beside catatonit `-P` (podman's own pause) and, on
//!   Docker, `sleep` (a pause that never reaps, so that the check can fail): 100 orphans of an
//!   app container die at once, and the zombies are counted from /proc; then the stop time
//!   and status of the app container and of the pause, stopped in the kubelet's order (the
//!   apps first, the sandbox last).
//! - **pidone as an app container's entrypoint in the shared namespace**: not PID 1 (the
//!   pause, here a `sleep` that never reaps, is), so pidone reaps as a child subreaper. Its
//!   orphans are reaped, the stop takes milliseconds with the app's status, a leftover of the
//!   app is ended when the app exits, and a bystander container in the same namespace and
//!   the pause get no signal at all.
//! - **`podman kube play`** of the example manifest as users copy it (examples/kubernetes.yaml)
//!   with an image the test builds from tests/docker/Dockerfile.local; and of a pod with
//!   `shareProcessNamespace: true` whose init (the infra container) is pidone `-P` or
//!   podman's catatonit.
//!
//! Every engine command names its runtime (`--runtime runc` for podman, see
//! testkit/src/real/podman.rs).
//! A missing docker or podman is a loud SKIP, and a FAIL in CI. Needs root, busybox-static,
//! catatonit and `cargo build --profile suite --examples`.

use pidone_testkit::real;

use real::podman::{self, Podman};
use real::{Both, Engine, Part, Running, each, have, ran, record, say, secs};
use std::fs;
use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

// ---- the set-up: one image in Docker, the same in a podman of the test's own --------------

static SETUP: OnceLock<Both<Engine, Podman>> = OnceLock::new();

fn setup() -> &'static Both<Engine, Podman> {
    SETUP.get_or_init(|| {
        real::docker_and_podman(
            (
                "Pods: pidone as the pause and as an app's entrypoint in a shared PID namespace",
                &[],
            ),
            "pods",
            fixtures_tar,
            start_docker,
            start_podman,
        )
    })
}

/// busybox, pidone, catatonit and the fixtures, as a tar.
fn fixtures_tar() -> Result<std::path::PathBuf, String> {
    if !Path::new("/usr/bin/catatonit").exists() {
        return Err("/usr/bin/catatonit is missing: apt-get install catatonit".into());
    }
    let mut files = vec![
        ("pidone", real::pidone()),
        ("catatonit", "/usr/bin/catatonit".into()),
    ];
    for fixture in ["zombies", "sigecho", "leftover"] {
        files.push((fixture, real::example(fixture)?));
    }
    let root = real::rootfs::build("pods", &files)?;
    real::rootfs::tar(&root, "pods")
}

fn start_docker(tar: &Path, image: &str) -> Part<Engine> {
    if !have("docker") {
        return Part::Missing("docker is missing".into());
    }
    let version = match real::docker_version() {
        Ok(v) => v,
        Err(why) => return Part::Missing(why),
    };
    let engine = Engine::docker(None);
    let label = format!("LABEL {}={}", real::LABEL, real::run_id());
    let out = engine.try_run(&["import", "-c", &label, &tar.to_string_lossy(), image]);
    if !out.ok() {
        return Part::Broken(format!("docker import: {}", out.stderr.trim()));
    }
    let (cleanup, image) = (engine.clone(), image.to_string());
    real::at_exit(move || {
        let _ = cleanup.try_run(&["rmi", "-f", &image]);
    });
    say(&format!("docker {version}"));
    Part::Ready(engine)
}

fn start_podman(tar: &Path, image: &str) -> Part<Podman> {
    if !have("podman") {
        return Part::Missing(
            "podman is missing (apt-get install --no-install-recommends podman)".into(),
        );
    }
    let p = match podman::start(&real::pidone()) {
        Ok(p) => p,
        Err(e) => return Part::Broken(e),
    };
    // The CMD is for `podman kube play`, whose infra image must have one (it ignores
    // containers.conf's infra_command); every other use names its command.
    let out = p.engine.try_run(&[
        "import",
        "-c",
        r#"CMD ["/pidone", "-P"]"#,
        &tar.to_string_lossy(),
        image,
    ]);
    if !out.ok() {
        return Part::Broken(format!("podman import: {}", out.stderr.trim()));
    }
    Part::Ready(p)
}

// ---- a pod, on either engine -----------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Docker,
    Podman,
}

impl Kind {
    fn engine(self, test: &str) -> Option<(Engine, String)> {
        let s = setup();
        match self {
            Kind::Docker => s.docker.get(test).map(|e| (e.clone(), s.image.clone())),
            Kind::Podman => s
                .podman
                .get(test)
                .map(|p| (p.engine.clone(), format!("localhost/{}", s.image))),
        }
    }
}

/// A pod: the pause (Docker: a container; podman: the pod's infra container) and the flags
/// that join an app container to its PID and network namespaces.
struct Pod {
    kind: Kind,
    engine: Engine,
    image: String,
    /// Docker: the pause container's name; podman: the pod's name.
    name: String,
    /// The pause container's name.
    infra: String,
    pause: Option<Running>,
}

impl Pod {
    fn create(kind: Kind, engine: &Engine, image: &str, pause: &[&str]) -> Pod {
        match kind {
            Kind::Docker => {
                let c = engine.start("pause", &[], image, pause);
                Pod {
                    kind,
                    engine: engine.clone(),
                    image: image.to_string(),
                    name: c.name.clone(),
                    infra: c.name.clone(),
                    pause: Some(c),
                }
            }
            Kind::Podman => {
                let name = real::name("pod");
                let infra = format!("{name}-infra");
                let label = format!("{}={}", real::LABEL, real::run_id());
                // podman splits --infra-command on spaces (a JSON array is taken as one path).
                let command = pause.join(" ");
                engine.ok(&[
                    "pod",
                    "create",
                    "--name",
                    &name,
                    "--infra-name",
                    &infra,
                    "--label",
                    &label,
                    "--network",
                    "none",
                    "--share",
                    "pid,net,ipc,uts",
                    "--infra-image",
                    image,
                    "--infra-command",
                    &command,
                ]);
                let pod = Pod {
                    kind,
                    engine: engine.clone(),
                    image: image.to_string(),
                    name,
                    infra,
                    pause: None,
                };
                pod.engine.ok(&["pod", "start", &pod.name]);
                pod
            }
        }
    }

    /// Starts an app container in the pod.
    fn start(&self, what: &str, cmd: &[&str]) -> Running {
        let joined = match self.kind {
            Kind::Docker => vec![
                "--pid".to_string(),
                format!("container:{}", self.name),
                "--network".to_string(),
                format!("container:{}", self.name),
            ],
            Kind::Podman => vec!["--pod".to_string(), self.name.clone()],
        };
        let flags: Vec<&str> = joined.iter().map(String::as_str).collect();
        self.engine.start(what, &flags, &self.image, cmd)
    }

    /// Stops the pause (`docker stop`, `podman pod stop`): how long it took and its status.
    fn stop_pause(&self, timeout_secs: u32) -> (Duration, i32) {
        if let Some(pause) = &self.pause {
            return pause.stop(timeout_secs);
        }
        let t = timeout_secs.to_string();
        let out = self.engine.try_run(&["pod", "stop", "-t", &t, &self.name]);
        assert!(out.ok(), "pod stop failed: {}", out.stderr);
        (out.elapsed, self.infra_state().1)
    }

    /// Whether the pause runs, and its exit code.
    fn infra_state(&self) -> (bool, i32) {
        let state = self.engine.ok(&[
            "inspect",
            "-f",
            "{{.State.Running}} {{.State.ExitCode}}",
            &self.infra,
        ]);
        let (running, code) = state.split_once(' ').unwrap_or((&state, ""));
        (running == "true", code.parse().expect("exit code"))
    }
}

impl Drop for Pod {
    fn drop(&mut self) {
        if self.kind == Kind::Podman {
            let cmd = self.engine.command(&["pod", "rm", "-f", &self.name]);
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                real::run(cmd, real::COMMAND)
            }));
        }
    }
}

/// Polls the zombies of a pod until there are `want` (nothing announces the last one).
fn wait_for_zombies(c: &Running, want: usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut n = c.zombies();
    while n < want && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
        n = c.zombies();
    }
    n
}

/// What one column of a check showed: its rows and values, and what was wrong.
type Column<'a> = (&'a str, Vec<(&'a str, String)>, Vec<String>);

/// Records every column's results, then fails the test if anything was wrong: all results
/// are shown before an assertion fails.
fn verdict(test: &str, results: Vec<Column>) {
    let mut wrong = Vec::new();
    for (column, rows, w) in results {
        for (row, value) in rows {
            record(row, column, &value);
        }
        wrong.extend(w.into_iter().map(|w| format!("{column}: {w}")));
    }
    assert!(wrong.is_empty(), "{test}:\n{}", wrong.join("\n"));
}

// ---- the pause ------------------------------------------------------------------------------

struct PauseCase {
    column: &'static str,
    kind: Kind,
    pause: &'static [&'static str],
    /// Whether this pause reaps (pidone, catatonit) or not (sleep).
    reaps: bool,
}

const fn pause(
    column: &'static str,
    kind: Kind,
    pause: &'static [&'static str],
    reaps: bool,
) -> PauseCase {
    PauseCase {
        column,
        kind,
        pause,
        reaps,
    }
}

const PIDONE_P: &[&str] = &["/pidone", "-P"];
const CATATONIT_P: &[&str] = &["/catatonit", "-P"];

const PAUSES: [PauseCase; 5] = [
    pause("pidone -P (docker)", Kind::Docker, PIDONE_P, true),
    pause("catatonit -P (docker)", Kind::Docker, CATATONIT_P, true),
    pause(
        "sleep as the pause (docker)",
        Kind::Docker,
        &["/bin/sleep", "1000000"],
        false,
    ),
    pause("pidone -P (podman pod)", Kind::Podman, PIDONE_P, true),
    pause("catatonit -P (podman pod)", Kind::Podman, CATATONIT_P, true),
];

/// The pod's PID 1 reaps what every app container orphans: 100 orphans die at once and no
/// zombie stays under pidone -P or catatonit -P (100 stay under `sleep`). Then, in the
/// kubelet's order, `stop -t 3` of the app (143 at once) and of the pause: pidone -P and
/// catatonit -P exit 0 at once; `sleep`, as PID 1, ignores SIGTERM and is killed (137).
#[test]
fn the_pause_reaps_the_orphans_of_the_pod() {
    let test = "pods::the_pause_reaps_the_orphans_of_the_pod";
    let cases: Vec<(&PauseCase, Engine, String)> = PAUSES
        .iter()
        .filter_map(|c| c.kind.engine(test).map(|(e, i)| (c, e, i)))
        .collect();
    if cases.is_empty() {
        return;
    }
    let results = each(&cases, |(case, engine, image)| {
        let pod = Pod::create(case.kind, engine, image, case.pause);
        let mut wrong = Vec::new();
        let zombies = if case.reaps {
            let mut app = pod.start(
                "orphans",
                &["/zombies", "100", "--burst", "--check", "--stay"],
            );
            // The fixture watches /proc until each of its orphans is gone (reaped).
            let left = app.log.wait_for("zombies ");
            let n = left.trim_start_matches("zombies ").trim().to_string();
            let now = app.zombies();
            if n != "0" || now != 0 {
                wrong.push(format!("{n} orphans left, {now} zombies: expected 0"));
            }
            (app, format!("{n} zombies"))
        } else {
            let mut app = pod.start("orphans", &["/zombies", "100", "--burst", "--stay"]);
            app.log.wait_for("created 100");
            let n = wait_for_zombies(&app, 100);
            if n != 100 {
                wrong.push(format!("{n} zombies: expected all 100 to stay"));
            }
            (app, format!("{n} zombies stay"))
        };
        let (app, shown) = zombies;
        let (app_took, app_code) = app.stop(3);
        if app_code != 143 {
            wrong.push(format!("app stop: {app_code}, expected 143"));
        }
        // A pause that ignored the SIGTERM would be SIGKILLed after the 3 s: 137. The time
        // is shown, not asserted (`podman pod stop` alone takes a good part of a second).
        let (took, code) = pod.stop_pause(3);
        let want = if case.reaps { 0 } else { 137 };
        if code != want {
            wrong.push(format!(
                "pause stop: {}, {code}: expected {want}",
                secs(took)
            ));
        }
        let rows = vec![
            ("orphans of an app container: 100 exit at once", shown),
            (
                "`stop -t 3` of the app container",
                format!("{}, {app_code}", secs(app_took)),
            ),
            (
                "then `stop -t 3` of the pause (`pod stop`)",
                format!("{}, {code}", secs(took)),
            ),
        ];
        (case.column, rows, wrong)
    });
    verdict(test, results);
    ran(test);
}

// ---- pidone as an app container's entrypoint in the pod ---------------------------------------

/// pidone as the entrypoint of an app container in a pod whose PID 1 (`sleep`) never reaps:
/// pidone is not PID 1, so every orphan of its app is reaped only if pidone took it as a
/// child subreaper. `stop` ends the app at once with its status (143). An app that exits
/// leaving a worker (in a session of its own) has it ended by pidone's drain, which
/// signals only what pidone holds: the bystander container beside it, and the pause,
/// receive no signal at all and keep running.
#[test]
fn pidone_as_an_app_entrypoint_in_a_shared_pid_namespace() {
    let test = "pods::pidone_as_an_app_entrypoint_in_a_shared_pid_namespace";
    let kinds: Vec<(Kind, Engine, String)> = [Kind::Docker, Kind::Podman]
        .into_iter()
        .filter_map(|k| k.engine(test).map(|(e, i)| (k, e, i)))
        .collect();
    if kinds.is_empty() {
        return;
    }
    let results = each(&kinds, |(kind, engine, image)| {
        let column = match kind {
            Kind::Docker => "pidone, app entrypoint (docker)",
            Kind::Podman => "pidone, app entrypoint (podman pod)",
        };
        let mut wrong = Vec::new();
        let mut rows = Vec::new();
        let pod = Pod::create(*kind, engine, image, &["/bin/sleep", "1000000"]);
        let mut bystander = pod.start("bystander", &["/sigecho"]);
        bystander.log.wait_for("ready pid=");

        let mut app = pod.start(
            "app",
            &[
                "/pidone", "--", "/zombies", "50", "--burst", "--check", "--stay",
            ],
        );
        let left = app.log.wait_for("zombies ");
        let pid1 = app.exec(&["/bin/cat", "/proc/1/cmdline"]).stdout;
        let pid1 = pid1.replace('\0', " ").trim().to_string();
        let n = left.trim_start_matches("zombies ").trim().to_string();
        if n != "0" || pid1 != "/bin/sleep 1000000" {
            wrong.push(format!(
                "{n} orphans left with PID 1 `{pid1}`: expected 0 and sleep"
            ));
        }
        rows.push((
            "50 orphans die at once; PID 1 of the pod is `sleep` (never reaps)",
            format!("{n} zombies"),
        ));
        let (took, code) = app.stop(10);
        if code != 143 || took > Duration::from_secs(5) {
            wrong.push(format!(
                "stop: {}, {code}: expected 143 at once",
                secs(took)
            ));
        }
        rows.push((
            "`stop -t 10` of the app container",
            format!("{}, {code}", secs(took)),
        ));

        let mut leftover = pod.start("leftover", &["/pidone", "--", "/leftover", "--setsid"]);
        let code = leftover.wait();
        let lines = leftover.log.all();
        let drained = lines.iter().any(|l| l == "worker got SIGTERM")
            && lines.iter().any(|l| l == "worker finished");
        if code != 0 || !drained {
            wrong.push(format!(
                "leftover: {code}, {lines:?}: expected the worker ended by SIGTERM, 0"
            ));
        }
        rows.push((
            "the app exits leaving a worker (`setsid`)",
            format!(
                "{}, {code}",
                if drained {
                    "worker ended by SIGTERM"
                } else {
                    "WORKER NOT ENDED"
                }
            ),
        ));

        if *kind == Kind::Podman {
            // podman's own `--init` has no place in a pod that shares PIDs: the infra is
            // PID 1 there. pidone goes in the entrypoint instead, as above.
            let name = real::name("init");
            let out = engine.try_run(&[
                "run",
                "--rm",
                "--name",
                &name,
                "--init",
                "--pod",
                &pod.name,
                image,
                "/bin/true",
            ]);
            let refused = !out.ok() && out.stderr.contains("cannot add init binary as PID 1");
            if !refused {
                wrong.push(format!("`podman run --init --pod`: {out:?}"));
            }
            rows.push((
                "`run --init` into the pod",
                if refused {
                    "refused: \"cannot add init binary as PID 1\"".to_string()
                } else {
                    "NOT REFUSED".to_string()
                },
            ));
        }
        let heard: Vec<String> = bystander
            .log
            .so_far()
            .into_iter()
            .filter(|l| l.starts_with("got "))
            .collect();
        let (pause_runs, _) = pod.infra_state();
        if !heard.is_empty() || !bystander.running() || !pause_runs {
            wrong.push(format!(
                "the bystander heard {heard:?} (running: {}), the pause running: {pause_runs}",
                bystander.running()
            ));
        }
        rows.push((
            "the bystander container and the pause, after both",
            if heard.is_empty() {
                "no signal, both running".to_string()
            } else {
                format!("got {heard:?}")
            },
        ));
        (column, rows, wrong)
    });
    verdict(test, results);
    ran(test);
}

// ---- podman kube play -------------------------------------------------------------------------

/// `podman kube down FILE` when the test ends, whatever happened.
struct KubeDown<'a> {
    engine: &'a Engine,
    file: String,
}

impl Drop for KubeDown<'_> {
    fn drop(&mut self) {
        let cmd = self.engine.command(&["kube", "down", &self.file]);
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            real::run(cmd, real::COMMAND)
        }));
    }
}

/// The changes the test makes to examples/kubernetes.yaml, each checked to apply exactly
/// once: the image (there is no registry: an image the test built, in podman's store), and
/// the `ports` entry (podman 4.3 turns a containerPort into a host port mapping, which needs
/// a bridge or slirp4netns network, and these tests run with `--network none`).
fn example_as_run(text: &str, image: &str) -> Result<String, String> {
    let images = text
        .lines()
        .filter(|l| l.trim_start().starts_with("image: "))
        .count();
    if images != 1 {
        return Err(format!("{images} `image:` lines, expected 1"));
    }
    let ports = "          ports:\n            - name: http\n              containerPort: 8080\n";
    if text.matches(ports).count() != 1 {
        return Err(format!("the ports entry is not exactly once:\n{ports}"));
    }
    Ok(text
        .replace(ports, "")
        .lines()
        .map(|l| match l.split_once("image: ") {
            Some((indent, _)) if indent.trim().is_empty() => format!("{indent}image: {image}"),
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n"))
}

/// One field of /proc/PID/status, its whitespace collapsed.
fn status(pid: &str, field: &str) -> String {
    fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap_or("")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The exit code podman's event log recorded for a container that died (the container
/// itself may be gone).
fn died_with(events: &Path, container: &str) -> Option<i64> {
    let text = fs::read_to_string(events).unwrap_or_default();
    text.lines()
        .rev()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|e| e["Name"] == container && e["Status"] == "died")
        .find_map(|e| e["ContainerExitCode"].as_i64())
}

/// `podman kube play examples/kubernetes.yaml` (podman 4.3) starts the Deployment as written
/// (two replicas: two pods), with the image the test builds from tests/docker/Dockerfile.local
/// (pidone and the graceful server). Seen from the host's /proc: pidone is each container's
/// PID 1 with the app as its child, and the security context holds: uid and gid 65532, no
/// capability, no-new-privileges, seccomp on, a read-only root; PIDONE_GRACE is set.
/// `podman pod stop` stops a pod with the app's graceful exit (0). `podman kube down` alone
/// SIGKILLs the containers at once (137, no SIGTERM: containers/podman#22397, fixed in
/// podman 5.1), so the docs tell podman users to `pod stop` first.
#[test]
fn kube_play_runs_the_example_deployment() {
    let test = "pods::kube_play_runs_the_example_deployment";
    let Some(p) = setup().podman.get(test) else {
        return;
    };
    let engine = &p.engine;
    let image = format!("localhost/graceful-server:{}", real::run_id());
    let context = p.dir.join("kube-image");
    fs::create_dir_all(&context).expect("image context");
    fs::copy(real::pidone(), context.join("pidone")).expect("copy pidone");
    let graceful = real::example("graceful").unwrap_or_else(|e| panic!("{e}"));
    fs::copy(graceful, context.join("graceful")).expect("copy graceful");
    let dockerfile = real::repo().join("tests/docker/Dockerfile.local");
    engine.ok(&[
        "build",
        "--network",
        "none",
        "-f",
        &dockerfile.to_string_lossy(),
        "-t",
        &image,
        &context.to_string_lossy(),
    ]);

    let example = fs::read_to_string(real::repo().join("examples/kubernetes.yaml"))
        .expect("examples/kubernetes.yaml");
    let manifest = example_as_run(&example, &image).unwrap_or_else(|e| panic!("{e}"));
    let file = p.dir.join("deployment.yaml");
    fs::write(&file, &manifest).expect("write the manifest");
    let file = file.to_string_lossy().into_owned();
    let _down = KubeDown {
        engine,
        file: file.clone(),
    };
    let play = engine.try_run(&["kube", "play", "--network", "none", &file]);
    assert!(play.ok(), "kube play: {}{}", play.stdout, play.stderr);
    // Its probes become podman healthchecks, which need systemd to schedule them.
    say(&format!("kube play said: {}", play.stderr.trim()));

    let column = "podman kube play";
    let names = ["graceful-server-pod-0", "graceful-server-pod-1"];
    let mut logs = Vec::new();
    for pod in names {
        let container = format!("{pod}-server");
        let mut log = real::follow(engine, &container);
        log.wait_for("listening on");
        let pid = engine.ok(&["inspect", "-f", "{{.State.Pid}}", &container]);
        let cmdline = fs::read_to_string(format!("/proc/{pid}/cmdline"))
            .unwrap_or_default()
            .replace('\0', " ");
        assert_eq!(
            cmdline.trim(),
            "/pidone -- /app/server --listen 0.0.0.0:8080",
            "{container}: PID 1"
        );
        let children =
            fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
        let child = children.split_whitespace().next().unwrap_or("").to_string();
        let facts = [
            ("Uid", "65532 65532 65532 65532"),
            ("Gid", "65532 65532 65532 65532"),
            ("CapEff", "0000000000000000"),
            ("NoNewPrivs", "1"),
            ("Seccomp", "2"),
        ];
        for (field, want) in facts {
            assert_eq!(status(&pid, field), want, "{container}: pidone's {field}");
            assert_eq!(
                status(&child, field),
                want,
                "{container}: the app's {field}"
            );
        }
        let mounts = fs::read_to_string(format!("/proc/{pid}/mountinfo")).unwrap_or_default();
        let root = mounts
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .find(|f| f.get(4) == Some(&"/"))
            .and_then(|f| f.get(5).map(|o| o.to_string()))
            .unwrap_or_default();
        assert!(
            root.split(',').any(|o| o == "ro"),
            "{container}: root mounted {root}"
        );
        let environ = fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
        assert!(
            environ.split(|b| *b == 0).any(|v| v == b"PIDONE_GRACE=25s"),
            "{container}: PIDONE_GRACE"
        );
        let timeout = engine.ok(&["inspect", "-f", "{{.Config.StopTimeout}}", &container]);
        if pod == names[0] {
            record(
                "`kube play`: PID 1 of each replica's container",
                column,
                "`/pidone -- /app/server ...`, app its child",
            );
            record(
                "... pidone and the app: uid/gid, CapEff, NoNewPrivs, Seccomp, root",
                column,
                &format!(
                    "65532/65532, 0, 1, 2, {}",
                    if root.starts_with("ro") { "ro" } else { &root }
                ),
            );
            record(
                "... the stop timeout podman gave (terminationGracePeriodSeconds: 30)",
                column,
                &format!("{timeout} s"),
            );
        }
        logs.push((container, log));
    }

    // pod 0: `pod stop` first, as the docs tell podman users; pod 1: `kube down` alone.
    let stop = engine.try_run(&["pod", "stop", names[0]]);
    assert!(stop.ok(), "pod stop: {}", stop.stderr);
    let (stopped, log) = &mut logs[0];
    let lines = log.all();
    let code = engine.ok(&["inspect", "-f", "{{.State.ExitCode}}", stopped]);
    let graceful = lines
        .iter()
        .any(|l| l == "all requests finished, exiting 0");
    record(
        "`podman pod stop`, then `kube down`",
        column,
        &format!(
            "{}, {code}{}",
            secs(stop.elapsed),
            if graceful {
                ", graceful exit"
            } else {
                ", NOT GRACEFUL"
            }
        ),
    );
    assert!(graceful && code == "0", "pod stop: {code}, {lines:?}");

    let down = engine.try_run(&["kube", "down", &file]);
    assert!(down.ok(), "kube down: {}", down.stderr);
    let (killed, log) = &mut logs[1];
    let lines = log.all();
    let heard = lines.iter().any(|l| l.starts_with("got SIGTERM"));
    let code = died_with(&p.dir.join("events.log"), killed);
    record(
        "`podman kube down` alone",
        column,
        &format!(
            "{}, {}{}",
            secs(down.elapsed),
            code.map_or("no exit code".to_string(), |c| c.to_string()),
            if heard {
                ", graceful exit"
            } else {
                ", no SIGTERM"
            }
        ),
    );
    if p.version.starts_with("4.") {
        // As measured with podman 4.3.1: SIGKILL without a stop signal.
        assert!(
            code == Some(137) && !heard,
            "kube down on podman {}: {code:?}, {lines:?}",
            p.version
        );
    }
    ran(test);
}

/// A pod with `shareProcessNamespace: true` through `podman kube play`: the pod's init, the
/// infra container, is PID 1 of every container, and reaps what their apps orphan. The
/// infra is pidone -P (containers.conf `infra_image`, whose CMD is `/pidone -P`) or
/// podman's own (catatonit -P in the pause image podman builds). pidone as the
/// entrypoint of the other container is not PID 1 there, and still stops its app with the
/// app's status when the app container is stopped.
#[test]
fn kube_play_shared_process_namespace() {
    let test = "pods::kube_play_shared_process_namespace";
    let s = setup();
    let Some(p) = s.podman.get(test) else {
        return;
    };
    let image = format!("localhost/{}", s.image);
    let conf = fs::read_to_string(p.dir.join("containers.conf")).expect("containers.conf");
    let with_infra = conf.replacen(
        "[engine]\n",
        &format!(
            "[engine]\n# TEST ONLY: pidone -P as every pod's infra.\ninfra_image = \"{image}\"\n"
        ),
        1,
    );
    assert_ne!(conf, with_infra, "containers.conf has no [engine] table");
    let pidone_conf = p.dir.join("containers-pidone-infra.conf");
    fs::write(&pidone_conf, &with_infra).expect("write containers.conf");
    let variants: [(&str, Option<&Path>, &str); 2] = [
        (
            "pidone -P as the infra (kube play)",
            Some(&pidone_conf),
            "/pidone -P",
        ),
        (
            "podman's infra, catatonit -P (kube play)",
            None,
            "/catatonit -P",
        ),
    ];
    let results = each(&variants, |(column, conf, want_pid1)| {
        let pod = real::name("shared");
        let manifest = format!(
            "apiVersion: v1
kind: Pod
metadata:
  name: {pod}
spec:
  shareProcessNamespace: true
  containers:
    - name: orphans
      image: {image}
      command: [\"/zombies\", \"100\", \"--burst\", \"--check\", \"--stay\"]
    - name: app
      image: {image}
      command: [\"/pidone\", \"--\"]
      args: [\"/sigecho\"]
"
        );
        let file = p.dir.join(format!("{pod}.yaml"));
        fs::write(&file, &manifest).expect("write the manifest");
        let file = file.to_string_lossy().into_owned();
        let _down = KubeDown {
            engine: &p.engine,
            file: file.clone(),
        };
        let mut play = p
            .engine
            .command(&["kube", "play", "--network", "none", &file]);
        if let Some(conf) = conf {
            play.env("CONTAINERS_CONF", conf);
        }
        let play = real::run(play, real::COMMAND);
        assert!(play.ok(), "{column}: kube play: {}", play.stderr);
        let mut orphans = real::follow(&p.engine, &format!("{pod}-orphans"));
        let mut app = real::follow(&p.engine, &format!("{pod}-app"));
        let left = orphans.wait_for("zombies ");
        app.wait_for("ready pid=");
        let n = left.trim_start_matches("zombies ").trim().to_string();
        let app_name = format!("{pod}-app");
        let ps = p.engine.ok(&[
            "exec",
            &app_name,
            "/bin/sh",
            "-c",
            "for p in /proc/[0-9]*; do echo \"${p#/proc/} $(tr '\\0' ' ' <$p/cmdline)\"; done",
        ]);
        let pid1 = ps
            .lines()
            .find_map(|l| l.strip_prefix("1 "))
            .unwrap_or("")
            .trim()
            .to_string();
        let pidone_pid = ps
            .lines()
            .find(|l| l.contains("/pidone -- /sigecho"))
            .and_then(|l| l.split_whitespace().next())
            .unwrap_or("")
            .to_string();
        let stop = p.engine.try_run(&["stop", "-t", "10", &app_name]);
        let code = p
            .engine
            .ok(&["inspect", "-f", "{{.State.ExitCode}}", &app_name]);
        let got: Vec<String> = app
            .all()
            .into_iter()
            .filter(|l| l.starts_with("got "))
            .collect();
        let mut wrong = Vec::new();
        if n != "0" || pid1 != *want_pid1 || pidone_pid.is_empty() || pidone_pid == "1" {
            wrong.push(format!(
                "{n} orphans left; PID 1 `{pid1}`, pidone's pid {pidone_pid:?}: expected 0, \
                 `{want_pid1}`, and pidone not PID 1:\n{ps}"
            ));
        }
        if !stop.ok() || code != "0" || got != ["got SIGTERM"] {
            wrong.push(format!(
                "stop of the pidone container: {code}, {got:?}, {}",
                stop.stderr.trim()
            ));
        }
        let rows = vec![
            (
                "`shareProcessNamespace: true`: PID 1; 100 orphans of a container exit",
                format!("`{pid1}`; {n} zombies"),
            ),
            (
                "... `stop -t 10` of the container whose entrypoint is pidone (not PID 1)",
                format!(
                    "pid {pidone_pid}: {}, {code}, app {}",
                    secs(stop.elapsed),
                    got.join(" ")
                ),
            ),
        ];
        (*column, rows, wrong)
    });
    verdict(test, results);
    ran(test);
}
