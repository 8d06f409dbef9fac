//! pidone in front of real servers from Debian's packages, in the machine's own Docker,
//! built from the recipes users copy (examples/recipes/APP/Dockerfile, explained in
//! docs/recipes.md), so the recipes cannot drift from what is tested.
//!
//! The base image is made without a registry by scripts/rootfs.sh (debootstrap, Debian's
//! packages, `docker import`), once per machine: its tag is a hash of the package list.
//! Each recipe is built with three changes, each checked: its `FROM debian:bookworm-slim`
//! becomes that image, its `RUN apt-get install` line is dropped (every package it names
//! must be in the image), and `COPY --from=pidone` copies from an image holding the pidone
//! cargo built.
//!
//! For each server the test asserts the server's own sign of a clean shutdown in its log,
//! the exit code and the stop time, and shows the same image without an init: the server
//! as PID 1, and behind a `sh -c` wrapper, which as PID 1 passes no signal on, so the stop
//! waits out the runtime's whole timeout and ends in SIGKILL (137).
//!
//! pidone's results are asserted as the new behaviour has them: no SIGKILL unless a grace
//! is set (a 14 s query in flight finishes), one signal per event (the app behind a `sh -c`
//! wrapper gets one SIGTERM, not a second one when pidone drains), and SIGINT and SIGQUIT
//! passed on without starting any deadline.
//!
//! A missing docker or debootstrap is a loud SKIP, and a FAIL in CI. The JVM case needs the
//! host's javac to compile its class (SKIP/FAIL likewise).

mod common;
mod real;

use real::{Running, count, count_containing, each, have, must, not_here, ran, record, say, secs};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const COLUMNS: [&str; 4] = [
    "pidone (recipe)",
    "pidone, `sh -c` wrapper",
    "no init",
    "no init, `sh -c` wrapper",
];

/// The runtime's stop timeout in the no-init cases: Docker's default.
const TIMEOUT: u32 = 10;

// ---- the recipes -----------------------------------------------------------------------

/// What a recipe's Dockerfile says, and the image built from it.
struct Recipe {
    image: String,
    entrypoint: Vec<String>,
    cmd: Vec<String>,
    user: Option<String>,
    stopsignal: Option<String>,
}

impl Recipe {
    /// The recipe's CMD as one shell command line, for the `sh -c` wrapper cases.
    fn cmd_line(&self) -> String {
        self.cmd
            .iter()
            .map(|w| {
                if w.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "/=._-".contains(c))
                {
                    w.clone()
                } else {
                    format!("'{w}'")
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn cmd(&self) -> Vec<&str> {
        self.cmd.iter().map(String::as_str).collect()
    }
}

/// The base image every recipe names, and what the tests build FROM instead.
const RECIPE_BASE: &str = "FROM debian:bookworm-slim";
const RECIPE_APT: &str = "RUN apt-get update && apt-get install -y --no-install-recommends ";
const RECIPE_APT_END: &str = " && rm -rf /var/lib/apt/lists/*";
const RECIPE_PIDONE: &str = "COPY --from=pidone /pidone /pidone";

/// The Dockerfile the test builds from a recipe's, and what the recipe says. Only the three
/// documented lines change; anything else unexpected fails.
fn transform(
    text: &str,
    base: &str,
    pidone_image: &str,
    packages: &[String],
) -> Result<(String, Recipe), String> {
    let mut out = Vec::new();
    let mut recipe = Recipe {
        image: String::new(),
        entrypoint: Vec::new(),
        cmd: Vec::new(),
        user: None,
        stopsignal: None,
    };
    let exec_form = |rest: &str| -> Result<Vec<String>, String> {
        serde_json::from_str(rest).map_err(|e| format!("not in exec form: {rest}: {e}"))
    };
    let (mut from, mut apt, mut copy) = (false, false, false);
    for i in common::dockerfile_instructions(text) {
        if i == RECIPE_BASE {
            from = true;
            out.push(format!("FROM {base}"));
        } else if let Some(rest) = i.strip_prefix(RECIPE_APT) {
            let list = rest
                .strip_suffix(RECIPE_APT_END)
                .ok_or_else(|| format!("the apt line does not end with `{RECIPE_APT_END}`: {i}"))?;
            for pkg in list.split_whitespace() {
                if !packages.iter().any(|p| p == pkg) {
                    return Err(format!("{pkg} is not in scripts/rootfs.sh's package list"));
                }
            }
            apt = true;
        } else if i == RECIPE_PIDONE {
            // Last instead of in its place (the same image: absolute paths, and no
            // instruction reads /pidone): the steps before it stay in the build cache from
            // one run to the next, and only this one, whose binary changes, is rebuilt.
            copy = true;
        } else if i.starts_with("FROM ") || i.starts_with("RUN ") {
            return Err(format!(
                "a recipe has one FROM and one RUN, as documented: {i}"
            ));
        } else {
            if let Some(rest) = i.strip_prefix("ENTRYPOINT ") {
                recipe.entrypoint = exec_form(rest)?;
            } else if let Some(rest) = i.strip_prefix("CMD ") {
                recipe.cmd = exec_form(rest)?;
            } else if let Some(rest) = i.strip_prefix("USER ") {
                recipe.user = Some(rest.trim().to_string());
            } else if let Some(rest) = i.strip_prefix("STOPSIGNAL ") {
                recipe.stopsignal = Some(rest.trim().to_string());
            }
            out.push(i);
        }
    }
    if !(from && apt && copy) {
        return Err(format!(
            "a recipe has `{RECIPE_BASE}`, `{RECIPE_APT}...` and `{RECIPE_PIDONE}`"
        ));
    }
    if recipe.entrypoint.first().map(String::as_str) != Some("/pidone")
        || recipe.entrypoint.last().map(String::as_str) != Some("--")
    {
        return Err(format!(
            "ENTRYPOINT [\"/pidone\", ..., \"--\"]: {:?}",
            recipe.entrypoint
        ));
    }
    if recipe.cmd.is_empty() || recipe.stopsignal.is_none() {
        return Err("a recipe names its CMD and its STOPSIGNAL".into());
    }
    out.push(format!("COPY --from={pidone_image} /pidone /pidone"));
    let mut text = out.join("\n");
    text.push('\n');
    Ok((text, recipe))
}

fn recipe_path(app: &str) -> PathBuf {
    real::repo()
        .join("examples/recipes")
        .join(app)
        .join("Dockerfile")
}

const APPS: [&str; 6] = ["postgres", "nginx", "redis", "node", "python", "jvm"];

// ---- the set-up ------------------------------------------------------------------------------

enum Setup {
    Missing(String),
    Broken(String),
    Ready(Images),
}

struct Images {
    recipes: Vec<(&'static str, Result<Recipe, String>)>,
}

static SETUP: OnceLock<Setup> = OnceLock::new();

fn setup() -> &'static Setup {
    SETUP.get_or_init(|| {
        real::table(
            "Apps: real servers behind pidone, and without an init",
            &COLUMNS,
        );
        match build() {
            Ok(s) => s,
            Err(e) => Setup::Broken(e),
        }
    })
}

fn build() -> Result<Setup, String> {
    if !have("docker") {
        return Ok(Setup::Missing("docker is missing".into()));
    }
    let info = real::run_args(
        "docker",
        &["version", "-f", "{{.Server.Version}}"],
        Duration::from_secs(60),
    );
    if !info.ok() {
        return Ok(Setup::Missing(format!(
            "the Docker daemon does not answer: {}",
            info.stderr.trim()
        )));
    }
    let script = real::repo().join("scripts/rootfs.sh");
    let script = script.to_string_lossy();
    let packages: Vec<String> = must(&script, &["--packages"])?
        .lines()
        .map(String::from)
        .collect();
    // The image is cached; debootstrap is needed only to build it.
    let tag_known = {
        let out = real::run_args(&script, &["--tag"], Duration::from_secs(60));
        out.ok().then(|| out.stdout.trim().to_string())
    };
    let cached = tag_known.as_ref().is_some_and(|t| {
        real::run_args("docker", &["image", "inspect", t], Duration::from_secs(60)).ok()
    });
    if !cached && !have("debootstrap") {
        return Ok(Setup::Missing(
            "debootstrap is missing, and the Debian image is not built yet".into(),
        ));
    }
    let start = Instant::now();
    // A fresh machine takes some minutes here: debootstrap and Debian's packages.
    let built = real::run_args(&script, &[], Duration::from_secs(45 * 60));
    if !built.ok() {
        return Err(format!("scripts/rootfs.sh failed: {}", built.stderr));
    }
    let base = built.stdout.lines().last().unwrap_or("").trim().to_string();
    say(&format!(
        "Debian image {base}: {} ({})",
        secs(start.elapsed()),
        if cached { "cached" } else { "built" }
    ));

    let run = real::run_id();
    let label = format!("{}={run}", real::LABEL);
    let remove_label = label.clone();
    real::at_exit(move || {
        let filter = format!("label={remove_label}");
        let ids = real::run_args("docker", &["ps", "-aq", "--filter", &filter], real::COMMAND);
        for id in ids.stdout.split_whitespace() {
            let _ = real::run_args("docker", &["rm", "-f", "-v", id], real::COMMAND);
        }
    });
    let context = PathBuf::from(format!("/tmp/engines-{run}-apps"));
    let context_for_exit = context.clone();
    real::at_exit(move || real::remove_tree(&context_for_exit));

    // The image to COPY pidone from: only the binary cargo built.
    let pidone_image = format!("engines-pidone:{run}");
    let dir = context.join("pidone");
    fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    fs::copy(real::pidone(), dir.join("pidone")).map_err(|e| e.to_string())?;
    fs::write(
        dir.join("Dockerfile"),
        "FROM scratch\nCOPY pidone /pidone\n",
    )
    .map_err(|e| e.to_string())?;
    docker_build(&pidone_image, &dir)?;

    // Two at a time: the machine has two cores, and each build step walks the image.
    let mut recipes = Vec::new();
    for pair in APPS.chunks(2) {
        recipes.extend(each(pair, |app| {
            let built = build_recipe(app, &base, &pidone_image, &packages, &context);
            (*app, built)
        }));
    }
    Ok(Setup::Ready(Images { recipes }))
}

/// `docker build -t TAG DIR`. No `--label`: on this machine's fuse-overlayfs every build
/// step costs a walk of the whole 800 MB image (seconds to tens of seconds), and a label
/// is one more step. The images are removed by tag when the binary exits, without their
/// parents: those are the build cache that makes the next run quick.
fn docker_build(tag: &str, dir: &Path) -> Result<(), String> {
    let mut cmd = std::process::Command::new("docker");
    cmd.args(["build", "-q", "-t", tag]).arg(dir);
    let out = real::run_result(cmd, Duration::from_secs(20 * 60))?;
    if !out.ok() {
        return Err(format!("docker build -t {tag}: {}", out.stderr.trim()));
    }
    let tag = tag.to_string();
    real::at_exit(move || {
        let _ = real::run_args("docker", &["rmi", "--no-prune", &tag], real::COMMAND);
    });
    Ok(())
}

fn build_recipe(
    app: &str,
    base: &str,
    pidone_image: &str,
    packages: &[String],
    context: &Path,
) -> Result<Recipe, String> {
    let source = recipe_path(app);
    let text =
        fs::read_to_string(&source).map_err(|e| format!("read {}: {e}", source.display()))?;
    let (dockerfile, mut recipe) = transform(&text, base, pidone_image, packages)
        .map_err(|e| format!("{}: {e}", source.display()))?;
    let dir = context.join(app);
    fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let from = source.parent().ok_or("no recipe directory")?;
    for entry in fs::read_dir(from).map_err(|e| e.to_string())?.flatten() {
        fs::copy(entry.path(), dir.join(entry.file_name())).map_err(|e| e.to_string())?;
    }
    fs::write(dir.join("Dockerfile"), dockerfile).map_err(|e| e.to_string())?;
    if app == "jvm" {
        // Stands in for the user's jar: Main.java, compiled by the host's JDK.
        if !have("javac") {
            return Err(
                "MISSING: javac is missing (the host's JDK compiles the JVM example)".into(),
            );
        }
        let out = dir.join("app");
        let (src, out) = (dir.join("Main.java"), out.to_string_lossy().into_owned());
        must(
            "javac",
            &["--release", "17", "-d", &out, &src.to_string_lossy()],
        )?;
    }
    recipe.image = format!("engines-app-{app}:{}", real::run_id());
    docker_build(&recipe.image, &dir)?;
    Ok(recipe)
}

/// The recipe for `app`, or None after a loud SKIP (a FAIL in CI).
fn recipe(test: &str, app: &str) -> Option<&'static Recipe> {
    match setup() {
        Setup::Missing(why) => {
            not_here(test, why);
            None
        }
        Setup::Broken(why) => panic!("{why}"),
        Setup::Ready(images) => {
            let (_, built) = images.recipes.iter().find(|(a, _)| *a == app)?;
            match built {
                Ok(r) => Some(r),
                Err(why) if why.starts_with("MISSING: ") => {
                    not_here(test, why.trim_start_matches("MISSING: "));
                    None
                }
                Err(why) => panic!("{why}"),
            }
        }
    }
}

// ---- the four ways of running a server ----------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Way {
    /// The recipe as it is: pidone in front of the server.
    Recipe,
    /// pidone in front of `sh -c "SERVER"`: a wrapper that does not exec.
    PidoneShell,
    /// No ENTRYPOINT: the server is PID 1.
    NoInit,
    /// No ENTRYPOINT and `sh -c "SERVER"`: the shell is PID 1.
    NoInitShell,
}

const WAYS: [Way; 4] = [Way::Recipe, Way::PidoneShell, Way::NoInit, Way::NoInitShell];

impl Way {
    fn column(self) -> &'static str {
        match self {
            Way::Recipe => COLUMNS[0],
            Way::PidoneShell => COLUMNS[1],
            Way::NoInit => COLUMNS[2],
            Way::NoInitShell => COLUMNS[3],
        }
    }

    fn init(self) -> bool {
        matches!(self, Way::Recipe | Way::PidoneShell)
    }
}

/// Starts `r` the way `way` says; `user` is the user a no-init run needs (what pidone's
/// --user did in the recipe).
fn start(r: &Recipe, way: Way, what: &str, user: Option<&str>, extra: &[&str]) -> Running {
    let engine = real::Engine::docker(None);
    let mut cmd: Vec<String> = r.cmd.clone();
    cmd.extend(extra.iter().map(|s| s.to_string()));
    let line = {
        let mut words = vec![r.cmd_line()];
        words.extend(extra.iter().map(|w| format!("'{w}'")));
        words.join(" ")
    };
    let shell = vec!["sh".to_string(), "-c".to_string(), line];
    let mut flags: Vec<&str> = Vec::new();
    if !way.init() {
        flags.extend(["--entrypoint", ""]);
        if let Some(u) = user {
            flags.extend(["--user", u]);
        }
    }
    let cmd = match way {
        Way::Recipe | Way::NoInit => cmd,
        Way::PidoneShell | Way::NoInitShell => shell,
    };
    let cmd: Vec<&str> = cmd.iter().map(String::as_str).collect();
    engine.start(what, &flags, &r.image, &cmd)
}

/// What a stop did, as the table shows it.
struct Stopped {
    took: Duration,
    code: i32,
    lines: Vec<String>,
}

impl Stopped {
    fn show(&self, clean: bool) -> String {
        format!(
            "{}, exit {}, {}",
            if clean { "clean" } else { "NOT clean" },
            self.code,
            secs(self.took)
        )
    }
}

fn stop(c: &mut Running, timeout: u32) -> Stopped {
    let (took, code) = c.stop(timeout);
    Stopped {
        took,
        code,
        lines: c.log.all(),
    }
}

/// Collects every way's verdict, records it, and fails once all are shown.
fn verdicts(test: &str, row: &str, results: Vec<(Way, String, Option<String>)>) {
    let mut wrong = Vec::new();
    for (way, shown, problem) in results {
        record(row, way.column(), &shown);
        if let Some(p) = problem {
            wrong.push(format!("{}: {p}", way.column()));
        }
    }
    assert!(wrong.is_empty(), "{test}: {row}:\n{}", wrong.join("\n"));
}

fn problem(ok: bool, what: impl FnOnce() -> String) -> Option<String> {
    (!ok).then(what)
}

/// Waits up to `limit` for the container to exit: its exit code, or None if it is still
/// running then (what an app that must survive a signal should do).
fn exits_within(c: &Running, limit: Duration) -> Option<i32> {
    let child = c
        .engine
        .command(&["wait", &c.name])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("docker wait");
    let (out, _) = real::wait_bounded(child, limit)?;
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

// ---- PostgreSQL -----------------------------------------------------------------------------------

const PG_DOWN: &str = "database system is shut down";
const PG_READY: &str = "database system is ready to accept connections";

/// PostgreSQL under `--user postgres`: a `select pg_sleep(14)` in flight during
/// `docker stop -t 30` runs to its end, then the server shuts down cleanly (exit 0) after
/// about 14 s: pidone set no deadline. Behind `sh -c` it still shuts down cleanly. Without
/// an init, postgres as PID 1 is as clean, and the `sh -c` wrapper is SIGKILLed at the
/// timeout.
#[test]
fn postgres_finishes_the_query_in_flight_and_shuts_down_cleanly() {
    let test = "apps::postgres_finishes_the_query_in_flight_and_shuts_down_cleanly";
    let Some(r) = recipe(test, "postgres") else {
        return;
    };
    assert_eq!(r.entrypoint, ["/pidone", "--user", "postgres", "--"]);

    // pidone's --user gives postgres the same ids and groups as Docker's USER.
    let engine = real::Engine::docker(None);
    let (_, by_pidone) = engine.run_to_end("pg-id", &[], &r.image, &["id"]);
    let (_, by_docker) = engine.run_to_end(
        "pg-id",
        &["--entrypoint", "id", "--user", "postgres"],
        &r.image,
        &[],
    );
    assert!(by_pidone.stdout.contains("(ssl-cert)"), "{by_pidone:?}");
    assert_eq!(
        by_pidone.stdout, by_docker.stdout,
        "pidone --user vs docker --user"
    );

    let results = each(&WAYS, |way| {
        let mut c = start(
            r,
            *way,
            "pg",
            Some("postgres"),
            &["-c", "log_statement=all"],
        );
        c.log.wait_for(PG_READY);
        if *way != Way::Recipe {
            let s = stop(&mut c, TIMEOUT);
            let clean = count_containing(&s.lines, PG_DOWN) == 1;
            let (ok, want) = match way {
                // The shell dies of SIGTERM (143); pidone waits for postgres to finish.
                Way::PidoneShell => (
                    clean && s.code == 143 && s.took < Duration::from_secs(TIMEOUT as u64 - 1),
                    "clean, 143, before the timeout",
                ),
                Way::NoInit => (clean && s.code == 0, "clean, exit 0"),
                _ => (
                    !clean && s.code == 137 && s.took >= Duration::from_secs(TIMEOUT as u64 - 1),
                    "SIGKILLed at the timeout: 137",
                ),
            };
            return (
                *way,
                s.show(clean),
                problem(ok, || format!("expected {want}: {:#?}", s.lines)),
            );
        }
        let name = c.name.clone();
        let query = std::thread::spawn(move || {
            real::Engine::docker(None).try_run(&[
                "exec",
                "-u",
                "postgres",
                &name,
                "psql",
                "-Atc",
                "select pg_sleep(14), 'query done'",
            ])
        });
        c.log.wait_for("statement: select pg_sleep(14)");
        let s = stop(&mut c, 30);
        let q = query.join().expect("psql thread");
        let clean = count_containing(&s.lines, PG_DOWN) == 1;
        let finished = q.ok() && q.stdout.contains("query done");
        let ok = clean
            && finished
            && s.code == 0
            && s.took >= Duration::from_secs(10)
            && s.took <= Duration::from_secs(25);
        let shown = format!(
            "{} (the 14 s query {})",
            s.show(clean),
            if finished {
                "finished"
            } else {
                "did NOT finish"
            }
        );
        (
            *way,
            shown,
            problem(ok, || {
                format!(
                    "expected the query to finish and a clean stop after ~14 s, exit 0; psql: {q:?}; log: {:#?}",
                    s.lines
                )
            }),
        )
    });
    verdicts(
        test,
        "PostgreSQL: `docker stop` (-t 30 with a 14 s query in flight; else -t 10)",
        results,
    );
    ran(test);
}

// ---- nginx ------------------------------------------------------------------------------------------

fn nginx_workers(c: &Running) -> Vec<String> {
    let ps = c.exec(&["ps", "-eo", "pid=,args="]);
    ps.stdout
        .lines()
        .filter(|l| l.contains("nginx: worker process"))
        .filter_map(|l| l.split_whitespace().next().map(String::from))
        .collect()
}

/// nginx: the recipe (SIGTERM passed on as SIGQUIT) shuts down gracefully; plain pidone
/// passes SIGTERM, nginx's fast stop, which is as clean; `docker kill -s HUP` reloads
/// (new workers). Without an init nginx as PID 1 handles SIGTERM itself; its `sh -c`
/// wrapper does not.
#[test]
fn nginx_stops_gracefully_and_reloads_on_hup() {
    let test = "apps::nginx_stops_gracefully_and_reloads_on_hup";
    let Some(r) = recipe(test, "nginx") else {
        return;
    };
    assert!(
        r.entrypoint
            .windows(2)
            .any(|w| w == ["--rewrite", "TERM:QUIT"]),
        "{:?}",
        r.entrypoint
    );

    let mut cases: Vec<(Way, bool)> = WAYS.iter().map(|w| (*w, false)).collect();
    cases.push((Way::Recipe, true));
    let results = each(&cases, |(way, plain)| {
        let engine = real::Engine::docker(None);
        let line = r.cmd_line();
        let mut c = if *plain {
            // pidone with no options: SIGTERM reaches nginx as SIGTERM.
            let mut cmd = vec!["--"];
            cmd.extend(r.cmd());
            engine.start("nginx-plain", &["--entrypoint", "/pidone"], &r.image, &cmd)
        } else if *way == Way::PidoneShell {
            // The wrapper behind plain pidone: the recipe's --single-child would send the
            // signal to the shell alone, which is what the recipe's exec form avoids.
            let cmd = ["--", "sh", "-c", &line];
            engine.start("nginx-sh", &["--entrypoint", "/pidone"], &r.image, &cmd)
        } else {
            start(r, *way, "nginx", None, &[])
        };
        c.log.wait_for("start worker process");
        let mut reload = None;
        if *way == Way::Recipe && !*plain {
            let before = nginx_workers(&c);
            c.kill("HUP");
            c.log.wait_for("reconfiguring");
            // Not "start worker processes", the line before the first one.
            let line = c.log.wait_for("start worker process ");
            let new = line.rsplit(' ').next().unwrap_or("").to_string();
            // A worker just forked still has the master's title until it sets its own,
            // and announces that nowhere: look until it shows as a worker.
            let deadline = Instant::now() + Duration::from_secs(10);
            let mut after = nginx_workers(&c);
            while !after.contains(&new) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(100));
                after = nginx_workers(&c);
            }
            reload = Some((before, new, after));
        }
        let s = stop(&mut c, TIMEOUT);
        let graceful = count_containing(&s.lines, "gracefully shutting down") > 0;
        let exited = s
            .lines
            .iter()
            .any(|l| l.contains("[notice]") && l.trim_end().ends_with(": exit"));
        let quick = s.took < Duration::from_secs(3);
        let (row, ok, shown) = match (way, plain) {
            (Way::Recipe, false) => {
                let (before, new, after) = reload.unwrap_or_default();
                let reloaded = !before.is_empty() && !before.contains(&new) && after.contains(&new);
                let ok = graceful && exited && s.code == 0 && quick && reloaded;
                let shown = format!(
                    "{}; HUP: {}",
                    s.show(graceful && exited),
                    if reloaded {
                        "reloaded, new workers"
                    } else {
                        "NOT reloaded"
                    }
                );
                (
                    "nginx: `docker kill -s HUP`, then `docker stop`: graceful (SIGQUIT)",
                    ok,
                    shown,
                )
            }
            (Way::Recipe, true) => {
                let ok = exited && s.code == 0 && quick;
                (
                    "nginx, plain pidone (no --rewrite): `docker stop` (SIGTERM, fast stop)",
                    ok,
                    s.show(exited),
                )
            }
            (Way::PidoneShell, _) | (Way::NoInit, _) => {
                let ok =
                    exited && quick && s.code == if *way == Way::PidoneShell { 143 } else { 0 };
                (
                    "nginx: `docker kill -s HUP`, then `docker stop`: graceful (SIGQUIT)",
                    ok,
                    s.show(exited),
                )
            }
            (Way::NoInitShell, _) => {
                let ok =
                    !exited && s.code == 137 && s.took >= Duration::from_secs(TIMEOUT as u64 - 1);
                (
                    "nginx: `docker kill -s HUP`, then `docker stop`: graceful (SIGQUIT)",
                    ok,
                    s.show(exited),
                )
            }
        };
        (
            row,
            *way,
            shown,
            problem(ok, || format!("{row}: {:#?}", s.lines)),
        )
    });
    let mut wrong = Vec::new();
    for (row, way, shown, p) in results {
        let row = if way == Way::Recipe {
            row
        } else {
            "nginx: `docker stop` without the recipe's entrypoint"
        };
        record(row, way.column(), &shown);
        if let Some(p) = p {
            wrong.push(format!("{}: {p}", way.column()));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    ran(test);
}

// ---- redis --------------------------------------------------------------------------------------------

/// redis: SIGTERM, its final save, "ready to exit", exit 0, under pidone and as PID 1;
/// the `sh -c` wrapper without an init is SIGKILLed at the timeout, without its save.
#[test]
fn redis_saves_and_exits_cleanly() {
    let test = "apps::redis_saves_and_exits_cleanly";
    let Some(r) = recipe(test, "redis") else {
        return;
    };
    let results = each(&WAYS, |way| {
        let mut c = start(r, *way, "redis", None, &[]);
        c.log.wait_for("Ready to accept connections");
        let set = c.exec(&["redis-cli", "set", "greeting", "hello"]);
        assert!(set.ok(), "{set:?}");
        let s = stop(&mut c, TIMEOUT);
        let clean = count_containing(&s.lines, "ready to exit") == 1
            && count_containing(&s.lines, "DB saved on disk") == 1;
        let quick = s.took < Duration::from_secs(3);
        let (ok, want) = match way {
            Way::Recipe | Way::NoInit => (clean && quick && s.code == 0, "clean, exit 0, at once"),
            Way::PidoneShell => (
                clean && quick && s.code == 143,
                "clean, 143 (the shell's), at once",
            ),
            Way::NoInitShell => (!clean && s.code == 137, "SIGKILLed at the timeout: 137"),
        };
        (
            *way,
            s.show(clean),
            problem(ok, || format!("expected {want}: {:#?}", s.lines)),
        )
    });
    verdicts(test, "redis: `docker stop` (-t 10)", results);
    ran(test);
}

// ---- Node.js -----------------------------------------------------------------------------------------

/// The Node.js guides' graceful server, as `node server.js` and behind `sh -c`: it gets
/// exactly one SIGTERM, logs its close, and the stop takes well under a second. Without
/// an init, node as PID 1 has its own handler and closes too; behind `sh -c` it never
/// hears the signal.
#[test]
fn node_server_gets_one_sigterm_and_closes() {
    let test = "apps::node_server_gets_one_sigterm_and_closes";
    let Some(r) = recipe(test, "node") else {
        return;
    };
    assert_eq!(r.cmd, ["node", "server.js"]);
    let results = each(&WAYS, |way| {
        let mut c = start(r, *way, "node", None, &[]);
        c.log.wait_for("listening on 8080");
        let s = stop(&mut c, TIMEOUT);
        let terms = count(&s.lines, "got SIGTERM, closing");
        let closed = count(&s.lines, "closed, exiting 0") == 1;
        let quick = s.took < Duration::from_secs(3);
        let (ok, want) = match way {
            Way::Recipe | Way::NoInit => (
                terms == 1 && closed && quick && s.code == 0,
                "one SIGTERM, closed, exit 0, at once",
            ),
            Way::PidoneShell => (
                terms == 1 && closed && quick && s.code == 143,
                "one SIGTERM, closed, 143 (the shell's), at once",
            ),
            Way::NoInitShell => (
                terms == 0 && s.code == 137,
                "no SIGTERM, SIGKILLed at the timeout: 137",
            ),
        };
        let shown = format!("{}, {terms} SIGTERM", s.show(closed));
        (
            *way,
            shown,
            problem(ok, || format!("expected {want}: {:#?}", s.lines)),
        )
    });
    verdicts(test, "Node.js: `docker stop` (-t 10)", results);
    ran(test);
}

// ---- Python ------------------------------------------------------------------------------------------

/// The Python service relies on KeyboardInterrupt: the recipe passes SIGTERM on as
/// SIGINT, its `finally` runs, exit 0. Without an init, python as PID 1 ignores SIGTERM
/// (it has no handler), and the stop waits out the timeout.
#[test]
fn python_service_cleans_up_on_stop() {
    let test = "apps::python_service_cleans_up_on_stop";
    let Some(r) = recipe(test, "python") else {
        return;
    };
    let results = each(&WAYS, |way| {
        let mut c = start(r, *way, "python", None, &[]);
        c.log.wait_for("listening on 8080");
        let s = stop(&mut c, TIMEOUT);
        let clean = count(&s.lines, "got SIGINT, shutting down") == 1
            && count(&s.lines, "closed, exiting 0") == 1;
        let quick = s.took < Duration::from_secs(3);
        let (ok, want) = match way {
            Way::Recipe => (clean && quick && s.code == 0, "clean, exit 0, at once"),
            // The shell gets SIGINT too and dies of it; python's `finally` runs.
            Way::PidoneShell => (
                clean && quick && s.code == 130,
                "clean, 130 (the shell's), at once",
            ),
            Way::NoInit | Way::NoInitShell => {
                (!clean && s.code == 137, "SIGKILLed at the timeout: 137")
            }
        };
        (
            *way,
            s.show(clean),
            problem(ok, || format!("expected {want}: {:#?}", s.lines)),
        )
    });
    verdicts(
        test,
        "Python (KeyboardInterrupt cleanup): `docker stop` (-t 10)",
        results,
    );
    ran(test);
}

/// An interactive Python (`docker run -i IMAGE python3 -i`) takes Ctrl-C's SIGINT as a
/// KeyboardInterrupt and goes on: behind pidone it is still running 12 s after
/// `docker kill -s INT`. pidone starts no deadline for a signal that is not the stop signal.
#[test]
fn python_repl_survives_sigint() {
    let test = "apps::python_repl_survives_sigint";
    let Some(r) = recipe(test, "python") else {
        return;
    };
    let engine = real::Engine::docker(None);
    let mut c = engine.start(
        "repl",
        &["-i", "--entrypoint", "/pidone"],
        &r.image,
        // The prompt ends in a newline, so that the test sees when the REPL waits for
        // input (a SIGINT before that interrupts its start-up instead).
        &[
            "--",
            "python3",
            "-i",
            "-q",
            "-c",
            "import sys; sys.ps1 = 'repl prompt\\n'",
        ],
    );
    c.log.wait_for("repl prompt");
    c.kill("INT");
    c.log.wait_for("KeyboardInterrupt");
    c.log.wait_for("repl prompt");
    let exited = exits_within(&c, Duration::from_secs(12));
    let alive = exited.is_none() && c.running();
    record(
        "Python REPL: `docker kill -s INT`",
        COLUMNS[0],
        &if alive {
            "KeyboardInterrupt, still running 12 s later".to_string()
        } else {
            format!("KeyboardInterrupt, then ended ({exited:?})")
        },
    );
    assert!(
        alive,
        "the REPL must survive SIGINT; exit {exited:?}; log {:#?}",
        c.log.so_far()
    );
    let (took, code) = c.stop(TIMEOUT);
    say(&format!(
        "python REPL stopped by SIGTERM: {} exit {code}",
        secs(took)
    ));
    ran(test);
}

// ---- the JVM -------------------------------------------------------------------------------------------

/// A JVM prints a thread dump on SIGQUIT and runs on: behind pidone it is still running
/// 12 s after `docker kill -s QUIT`. `docker stop` then runs its shutdown hook, and the
/// JVM's 143 is reported as 0 (--remap-exit 143).
#[test]
fn jvm_thread_dump_on_sigquit_and_clean_stop() {
    let test = "apps::jvm_thread_dump_on_sigquit_and_clean_stop";
    let Some(r) = recipe(test, "jvm") else { return };
    let results = each(&[Way::Recipe, Way::NoInit], |way| {
        let mut c = start(r, *way, "jvm", None, &[]);
        c.log.wait_for("started");
        c.kill("QUIT");
        c.log.wait_for("Full thread dump");
        let survived = if *way == Way::Recipe {
            let exited = exits_within(&c, Duration::from_secs(12));
            exited.is_none() && c.running()
        } else {
            c.running()
        };
        let s = stop(&mut c, TIMEOUT);
        let hook = count(&s.lines, "shutdown hook ran") == 1;
        let quick = s.took < Duration::from_secs(3);
        let want_code = if *way == Way::Recipe { 0 } else { 143 };
        let ok = survived && hook && quick && s.code == want_code;
        let shown = format!(
            "QUIT: thread dump, {}; stop: {}",
            if survived { "ran on" } else { "ENDED" },
            s.show(hook)
        );
        (
            *way,
            shown,
            problem(ok, || {
                format!(
                    "expected a thread dump, the JVM running on, then its hook and exit {want_code}: {:#?}",
                    s.lines
                )
            }),
        )
    });
    verdicts(
        test,
        "JVM: `docker kill -s QUIT` (12 s), then `docker stop`",
        results,
    );
    ran(test);
}

// ---- the docs match the recipes (no engine needed) --------------------------------------------------

/// docs/recipes.md shows every recipe's ENTRYPOINT, CMD and STOPSIGNAL lines as the
/// Dockerfiles have them, and every recipe has the three lines the tests change.
#[test]
fn recipes_doc_shows_the_tested_lines() {
    let doc = fs::read_to_string(real::repo().join("docs/recipes.md")).expect("docs/recipes.md");
    let packages: Vec<String> = real::run_args(
        &real::repo().join("scripts/rootfs.sh").to_string_lossy(),
        &["--packages"],
        Duration::from_secs(60),
    )
    .stdout
    .lines()
    .map(String::from)
    .collect();
    assert!(!packages.is_empty(), "scripts/rootfs.sh --packages");
    for app in APPS {
        let path = recipe_path(app);
        let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        transform(&text, "base", "pidone-image", &packages)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for i in common::dockerfile_instructions(&text) {
            if ["ENTRYPOINT ", "CMD ", "STOPSIGNAL ", "USER "]
                .iter()
                .any(|k| i.starts_with(k))
            {
                assert!(
                    doc.contains(&i),
                    "docs/recipes.md lacks `{i}` of {}",
                    path.display()
                );
            }
        }
        let link = format!("examples/recipes/{app}/Dockerfile");
        assert!(doc.contains(&link), "docs/recipes.md should link {link}");
    }
}
