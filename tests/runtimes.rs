//! The low-level runtimes under every engine, driven directly, with pidone as the
//! container's process (`/pidone -- CMD`) and, beside it, Debian's tini-static
//! (`/tini -- CMD`), which is what `docker run --init` runs:
//!
//! - **runc** (Docker's and podman's runtime): a bundle whose config.json comes from `runc
//!   spec` (`terminal: false`, a read-only root file system the test makes, the command),
//!   `runc --root STATE run --bundle B ID` in the foreground, whose status is the
//!   container's, and `runc kill ID SIG`.
//! - **crun** (podman's first choice where it is installed): the same bundle. crun refuses
//!   hybrid cgroups (a cgroup v2 mount at /sys/fs/cgroup/unified beside the v1 hierarchies,
//!   as on this machine class: "cgroups in hybrid mode not supported"), so there it runs in a
//!   private mount namespace of its own where that mount is removed (`unshare --mount
//!   --propagation private`, then `umount /sys/fs/cgroup/unified`): the v1 hierarchies
//!   remain, and crun uses them. The machine's own mounts are untouched. On a pure v1 or v2
//!   host crun runs directly; the run says which.
//! - **containerd** (under Docker, and under Kubernetes' CRI): a private containerd (its own
//!   root, state, socket and config file; see testkit/src/real/containerd.rs),
//!   `ctr run --rootfs DIR ID CMD` in the foreground, and `ctr task kill -s SIG ID`.
//!
//! Each checks: SIGTERM ends `sleep` behind the init at once (143), SIGKILL ends the
//! container (137), and an app that orphans 50 children and exits 3 gives 3 with no zombie
//! (the fixture watches /proc until each orphan is reaped). Everything runs at once.
//!
//! A missing runc, crun, containerd or ctr is a loud SKIP, and a FAIL in CI (scripts/setup.sh
//! installs them). Needs root, busybox-static, tini and `cargo build --profile suite --examples`.

use pidone_testkit as common;
use pidone_testkit::real;

use common::ContainerLog;
use real::containerd::{self, Containerd};
use real::{Part, each, have, must, ran, record, say, secs};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Instant;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Runtime {
    Runc,
    Crun,
    Containerd,
}

/// How crun runs on this machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CrunMode {
    Direct,
    /// In a private mount namespace without the cgroup v2 mount of a hybrid host.
    WithoutUnifiedMount,
}

const UNIFIED: &str = "/sys/fs/cgroup/unified";

struct Setup {
    /// The root file system every container runs (read-only).
    root: PathBuf,
    /// Bundles and the runtimes' state go below this.
    dir: PathBuf,
    /// config.json as `runc spec` writes it.
    spec: serde_json::Value,
    runc: Part<String>,
    crun: Part<(String, CrunMode)>,
    containerd: Part<Containerd>,
}

static SETUP: OnceLock<Result<Setup, String>> = OnceLock::new();

fn setup() -> &'static Setup {
    let s = SETUP.get_or_init(|| {
        real::table(
            "Runtimes: pidone and tini-static as the container's process under runc, crun and containerd",
            &[],
        );
        let tini = PathBuf::from(real::config::TINI_STATIC);
        if !tini.exists() {
            return Err(format!("{} is missing: apt-get install tini", tini.display()));
        }
        let mut files = vec![("pidone", real::pidone()), ("tini", tini)];
        files.push(("zombies", real::example("zombies")?));
        let root = real::rootfs::build("runtimes", &files)?;
        let dir = root
            .parent()
            .ok_or("the root file system has no parent")?
            .to_path_buf();
        let spec = spec(&dir)?;
        let runc = version("runc", "runc is missing (it comes with Docker; apt-get install runc)");
        let crun = match version("crun", "crun is missing (apt-get install crun)") {
            Part::Ready(v) => Part::Ready((v, crun_mode())),
            Part::Missing(why) => Part::Missing(why),
            Part::Broken(why) => Part::Broken(why),
        };
        let containerd = if !have("containerd") || !have("ctr") {
            Part::Missing(
                "containerd or ctr is missing (they come with Docker; apt-get install containerd)"
                    .into(),
            )
        } else {
            match containerd::start() {
                Ok(c) => Part::Ready(c),
                Err(e) => Part::Broken(e),
            }
        };
        Ok(Setup {
            root,
            dir,
            spec,
            runc,
            crun,
            containerd,
        })
    });
    s.as_ref().unwrap_or_else(|e| panic!("set-up: {e}"))
}

/// The first line of `PROGRAM --version`, or why the program cannot be used.
fn version(program: &str, missing: &str) -> Part<String> {
    if !have(program) {
        return Part::Missing(missing.into());
    }
    match must(program, &["--version"]) {
        Ok(v) => Part::Ready(v.lines().next().unwrap_or("").to_string()),
        Err(e) => Part::Broken(e),
    }
}

/// The bundle template: `runc spec` (or `crun spec` without runc), read as JSON.
fn spec(dir: &Path) -> Result<serde_json::Value, String> {
    let at = dir.join("spec");
    fs::create_dir_all(&at).map_err(|e| e.to_string())?;
    let program = if have("runc") { "runc" } else { "crun" };
    if !have(program) {
        return Ok(serde_json::Value::Null);
    }
    let mut cmd = Command::new(program);
    cmd.arg("spec").current_dir(&at);
    let out = real::run(cmd, real::COMMAND);
    if !out.ok() {
        return Err(format!("{program} spec: {}", out.stderr.trim()));
    }
    let text = fs::read_to_string(at.join("config.json")).map_err(|e| e.to_string())?;
    serde_json::from_str(&text).map_err(|e| format!("{program} spec: {e}"))
}

/// Hybrid cgroups (v1 hierarchies, and cgroup2 mounted at /sys/fs/cgroup/unified) need
/// the v2 mount hidden from crun; anything else runs crun as it is.
fn crun_mode() -> CrunMode {
    let mounts = fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let hybrid = mounts.lines().any(|l| {
        let fields: Vec<&str> = l.split_whitespace().collect();
        let fstype = fields
            .iter()
            .position(|f| *f == "-")
            .and_then(|i| fields.get(i + 1));
        fields.get(4) == Some(&UNIFIED) && fstype == Some(&"cgroup2")
    });
    if hybrid {
        CrunMode::WithoutUnifiedMount
    } else {
        CrunMode::Direct
    }
}

// ---- a container run in the foreground ---------------------------------------------------------

/// A container whose runtime runs in the foreground (its status is the container's), its
/// output followed line by line; removed by force when dropped.
struct Container {
    runtime: Runtime,
    id: String,
    log: ContainerLog,
}

impl Container {
    fn start(runtime: Runtime, argv: &[&str]) -> Container {
        let s = setup();
        let id = real::name(match runtime {
            Runtime::Runc => "runc",
            Runtime::Crun => "crun",
            Runtime::Containerd => "ctr",
        });
        let cmd = match runtime {
            Runtime::Runc | Runtime::Crun => {
                let bundle = s.dir.join("bundles").join(&id);
                fs::create_dir_all(&bundle).expect("bundle");
                let mut spec = s.spec.clone();
                spec["process"]["terminal"] = false.into();
                spec["process"]["args"] = argv.into();
                spec["root"]["path"] = s.root.to_string_lossy().into_owned().into();
                spec["root"]["readonly"] = true.into();
                fs::write(bundle.join("config.json"), spec.to_string()).expect("config.json");
                let bundle = bundle.to_string_lossy().into_owned();
                let mut cmd = runtime_command(runtime);
                cmd.args(["run", "--bundle", &bundle, &id]);
                cmd
            }
            Runtime::Containerd => {
                let c = containerd(s);
                let root = s.root.to_string_lossy();
                let mut args = vec!["run", "--rm", "--rootfs", &root, &id];
                args.extend(argv);
                c.ctr(&args)
            }
        };
        let log = ContainerLog::follow(cmd, real::LINE);
        Container { runtime, id, log }
    }

    /// `runc kill`, `crun kill`, `ctr task kill -s`: SIGNAL is `SIGTERM`, `SIGKILL`.
    fn kill(&self, signal: &str) {
        let out = match self.runtime {
            Runtime::Containerd => {
                containerd(setup()).try_ctr(&["task", "kill", "-s", signal, &self.id])
            }
            _ => {
                let mut cmd = state_command(self.runtime);
                cmd.args(["kill", &self.id, signal]);
                real::run(cmd, real::COMMAND)
            }
        };
        assert!(out.ok(), "kill {signal} {}: {}", self.id, out.stderr);
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        // Already gone after a normal run (the foreground run deletes it): errors ignored.
        let cmds = match self.runtime {
            Runtime::Containerd => {
                let c = containerd(setup());
                vec![
                    c.ctr(&["task", "rm", "-f", &self.id]),
                    c.ctr(&["container", "rm", &self.id]),
                ]
            }
            _ => {
                let mut cmd = state_command(self.runtime);
                cmd.args(["delete", "--force", &self.id]);
                vec![cmd]
            }
        };
        for cmd in cmds {
            let _ = real::run_result(cmd, real::COMMAND);
        }
    }
}

fn containerd(s: &Setup) -> &Containerd {
    match &s.containerd {
        Part::Ready(c) => c,
        _ => panic!("containerd is not set up"),
    }
}

/// `runc --root STATE` / `crun --root STATE`, for commands that need no cgroup set-up.
fn state_command(runtime: Runtime) -> Command {
    let program = if runtime == Runtime::Runc {
        "runc"
    } else {
        "crun"
    };
    let state = setup().dir.join(format!("{program}-state"));
    let mut cmd = Command::new(program);
    cmd.arg("--root").arg(state);
    cmd
}

/// The command line that starts a container: crun on a hybrid host runs in a private mount
/// namespace without the cgroup v2 mount.
fn runtime_command(runtime: Runtime) -> Command {
    let plain = state_command(runtime);
    let hidden = matches!(
        &setup().crun,
        Part::Ready((_, CrunMode::WithoutUnifiedMount))
    );
    if runtime != Runtime::Crun || !hidden {
        return plain;
    }
    let mut cmd = Command::new("unshare");
    cmd.args(["--mount", "--propagation", "private", "--", "sh", "-c"])
        .arg(format!("umount {UNIFIED} && exec \"$@\""))
        .arg("sh")
        .arg(plain.get_program())
        .args(plain.get_args());
    cmd
}

// ---- the checks ---------------------------------------------------------------------------------

struct Variant {
    column: &'static str,
    runtime: Runtime,
    init: &'static [&'static str],
}

const PIDONE: &[&str] = &["/pidone", "--"];
const TINI: &[&str] = &["/tini", "--"];

const fn variant(column: &'static str, runtime: Runtime, init: &'static [&'static str]) -> Variant {
    Variant {
        column,
        runtime,
        init,
    }
}

const VARIANTS: [Variant; 6] = [
    variant("pidone (runc)", Runtime::Runc, PIDONE),
    variant("tini-static (runc)", Runtime::Runc, TINI),
    variant("pidone (crun)", Runtime::Crun, PIDONE),
    variant("tini-static (crun)", Runtime::Crun, TINI),
    variant("pidone (containerd, ctr)", Runtime::Containerd, PIDONE),
    variant("tini-static (containerd, ctr)", Runtime::Containerd, TINI),
];

/// The variants whose runtime this machine has (a loud SKIP, or a FAIL in CI, for the
/// others), and one line per runtime saying how it ran.
fn variants(test: &str) -> Vec<&'static Variant> {
    let s = setup();
    let mut ready = Vec::new();
    for runtime in [Runtime::Runc, Runtime::Crun, Runtime::Containerd] {
        let how = match runtime {
            Runtime::Runc => s
                .runc
                .get(test)
                .map(|v| format!("{v}: `runc run` of a `runc spec` bundle")),
            Runtime::Crun => s.crun.get(test).map(|(v, mode)| match mode {
                CrunMode::Direct => format!("{v}: `crun run`, directly"),
                CrunMode::WithoutUnifiedMount => format!(
                    "{v}: `crun run` in a private mount namespace without {UNIFIED} \
                     (hybrid cgroups)"
                ),
            }),
            Runtime::Containerd => s.containerd.get(test).map(|c| {
                format!(
                    "containerd {}: `ctr run --rootfs` on a private containerd",
                    c.version
                )
            }),
        };
        if let Some(how) = how {
            for v in VARIANTS.iter().filter(|v| v.runtime == runtime) {
                record("how it runs", v.column, &how);
                ready.push(v);
            }
        }
    }
    ready
}

#[derive(Clone, Copy, Debug)]
enum Case {
    Term,
    Kill,
    Exit,
}

/// SIGTERM, SIGKILL and an app's own exit with orphans, under every runtime and both inits.
#[test]
fn stop_kill_exit_codes_and_zombies_under_every_runtime() {
    let test = "runtimes::stop_kill_exit_codes_and_zombies_under_every_runtime";
    let vs = variants(test);
    if vs.is_empty() {
        return;
    }
    let cases: Vec<(&Variant, Case)> = vs
        .iter()
        .flat_map(|v| [Case::Term, Case::Kill, Case::Exit].map(|c| (*v, c)))
        .collect();
    let results = each(&cases, |(v, case)| {
        let sleep = "echo ready; exec /bin/sleep 1000";
        let orphans = "/zombies 50 --burst --check; exit 3";
        let script = match case {
            Case::Term | Case::Kill => sleep,
            Case::Exit => orphans,
        };
        let mut argv = v.init.to_vec();
        argv.extend(["/bin/sh", "-c", script]);
        let mut c = Container::start(v.runtime, &argv);
        let (row, shown, ok, want) = match case {
            Case::Term | Case::Kill => {
                let (signal, want) = match case {
                    Case::Term => ("SIGTERM", 143),
                    _ => ("SIGKILL", 137),
                };
                c.log.wait_for("ready");
                let start = Instant::now();
                c.kill(signal);
                let code = c.log.status().code();
                let took = start.elapsed();
                (
                    format!("`kill {signal}` of `sleep 1000` behind the init"),
                    format!("{}, {}", secs(took), code.unwrap_or(-1)),
                    code == Some(want),
                    want.to_string(),
                )
            }
            Case::Exit => {
                let code = c.log.status().code();
                let lines = c.log.seen.clone();
                let left = lines
                    .iter()
                    .find_map(|l| l.strip_prefix("zombies "))
                    .unwrap_or("?")
                    .to_string();
                (
                    "the app orphans 50 children, then exits 3".to_string(),
                    format!("{}, {left} zombies", code.unwrap_or(-1)),
                    code == Some(3) && left == "0",
                    "3, 0 zombies".to_string(),
                )
            }
        };
        record(&row, v.column, &shown);
        (!ok).then(|| format!("{}: {row}: got {shown}, expected {want}", v.column))
    });
    let wrong: Vec<String> = results.into_iter().flatten().collect();
    assert!(wrong.is_empty(), "{test}:\n{}", wrong.join("\n"));
    say(&format!(
        "{} runs, each runtime with pidone and tini-static",
        cases.len()
    ));
    ran(test);
}
