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
//! The pre-fork servers (gunicorn, celery, uWSGI, a Node.js `cluster` app, supervisord), the
//! wrappers that pass no signal on (`sh -c`, `npm start`) and an app whose leftover ignores
//! SIGTERM run side by side behind pidone, behind Debian's tini-static (bind-mounted from
//! the host) and with no init, each asserting the application's own evidence: the client's
//! answer to a request in flight, the task's "succeeded" line, the signals the app logged.
//! The clients run inside the container (`docker exec`), on its loopback.
//!
//! A missing docker, debootstrap or tini-static is a loud SKIP, and a FAIL in CI. The JVM
//! case needs the host's javac to compile its class (SKIP/FAIL likewise).

use pidone_testkit as common;
use pidone_testkit::real;

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
/// A stop "at once": half the runtime's timeout, which a missed signal takes whole; the
/// rest is room for a loaded machine.
const AT_ONCE: Duration = Duration::from_secs(5);

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

const APPS: [&str; 11] = [
    "postgres",
    "nginx",
    "redis",
    "node",
    "python",
    "jvm",
    "gunicorn",
    "celery",
    "uwsgi",
    "node-cluster",
    "supervisor",
];

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
    if let Err(why) = real::docker_version() {
        return Ok(Setup::Missing(why));
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

    /// What a failed case says: what was expected, and the container's log.
    fn expected(&self, want: &str) -> String {
        format!("expected {want}: {:#?}", self.lines)
    }

    /// Killed at the runtime's timeout (137), not before it.
    fn killed_at_the_timeout(&self) -> bool {
        self.code == 137 && self.took >= Duration::from_secs(TIMEOUT as u64 - 1)
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

// ---- the table: each case side by side, one column per way of running it ---------------------

/// A column of the table: one way of running a case.
trait Column: Copy + Send + Sync {
    fn column(self) -> &'static str;

    /// Whether the case runs behind the host's tini.
    fn tini(self) -> bool {
        false
    }
}

impl Column for Way {
    fn column(self) -> &'static str {
        match self {
            Way::Recipe => COLUMNS[0],
            Way::PidoneShell => COLUMNS[1],
            Way::NoInit => COLUMNS[2],
            Way::NoInitShell => COLUMNS[3],
        }
    }
}

/// What one column of a case showed: its cell, and what went wrong, if anything.
struct Verdict {
    /// The row, where the column's is not the case's.
    row: Option<String>,
    shown: String,
    problem: Option<String>,
}

impl Verdict {
    fn new(ok: bool, shown: String, problem: impl FnOnce() -> String) -> Verdict {
        Verdict {
            row: None,
            shown,
            problem: (!ok).then(problem),
        }
    }

    fn in_row(self, row: &str) -> Verdict {
        Verdict {
            row: Some(row.to_string()),
            ..self
        }
    }
}

/// The recipe for `app`, and the host's tini where a column runs behind it, or None after a
/// loud SKIP (a FAIL in CI).
fn recipe_for<C: Column>(test: &str, app: &str, columns: &[C]) -> Option<&'static Recipe> {
    let r = recipe(test, app)?;
    if columns.iter().any(|c| c.tini()) && !Path::new(TINI).is_file() {
        not_here(
            test,
            &format!("{TINI} is missing (scripts/setup.sh installs tini)"),
        );
        return None;
    }
    Some(r)
}

/// Runs `case` once per column, side by side; records each verdict in `row` (or the
/// verdict's own), and fails once all are shown.
fn side_by_side<C: Column>(
    test: &str,
    row: &str,
    columns: &[C],
    case: impl Fn(C) -> Verdict + Sync,
) {
    let results = each(columns, |c| (*c, case(*c)));
    let mut wrong = Vec::new();
    for (c, v) in results {
        let row = v.row.as_deref().unwrap_or(row);
        record(row, c.column(), &v.shown);
        if let Some(p) = v.problem {
            wrong.push(format!("{}: {row}: {p}", c.column()));
        }
    }
    assert!(wrong.is_empty(), "{test}:\n{}", wrong.join("\n"));
}

/// A whole side-by-side test: `app`'s recipe, then `case` in each column.
fn compare<C: Column>(
    test: &str,
    app: &str,
    row: &str,
    columns: &[C],
    case: impl Fn(&'static Recipe, C) -> Verdict + Sync,
) {
    let Some(r) = recipe_for(test, app, columns) else {
        return;
    };
    side_by_side(test, row, columns, |c| case(r, c));
    ran(test);
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
    let (out, _) = common::wait_bounded(child, limit)?;
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
    let Some(r) = recipe_for(test, "postgres", &WAYS) else {
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

    let row = "PostgreSQL: `docker stop` (-t 30 with a 14 s query in flight; else -t 10)";
    side_by_side(test, row, &WAYS, |way| {
        let mut c = start(r, way, "pg", Some("postgres"), &["-c", "log_statement=all"]);
        c.log.wait_for(PG_READY);
        if way != Way::Recipe {
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
                    !clean && s.killed_at_the_timeout(),
                    "SIGKILLed at the timeout: 137",
                ),
            };
            return Verdict::new(ok, s.show(clean), || s.expected(want));
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
        Verdict::new(ok, shown, || {
            s.expected(&format!(
                "the query to finish and a clean stop after ~14 s, exit 0; psql: {q:?}"
            ))
        })
    });
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

/// nginx run a way, and whether under plain pidone (no options).
impl Column for (Way, bool) {
    fn column(self) -> &'static str {
        self.0.column()
    }
}

/// nginx: the recipe (SIGTERM passed on as SIGQUIT) shuts down gracefully; plain pidone
/// passes SIGTERM, nginx's fast stop, which is as clean; `docker kill -s HUP` reloads
/// (new workers). Without an init nginx as PID 1 handles SIGTERM itself; its `sh -c`
/// wrapper does not.
#[test]
fn nginx_stops_gracefully_and_reloads_on_hup() {
    let test = "apps::nginx_stops_gracefully_and_reloads_on_hup";
    let mut cases: Vec<(Way, bool)> = WAYS.iter().map(|w| (*w, false)).collect();
    cases.push((Way::Recipe, true));
    let Some(r) = recipe_for(test, "nginx", &cases) else {
        return;
    };
    assert!(
        r.entrypoint
            .windows(2)
            .any(|w| w == ["--rewrite", "TERM:QUIT"]),
        "{:?}",
        r.entrypoint
    );

    let row = "nginx: `docker stop` without the recipe's entrypoint";
    side_by_side(test, row, &cases, |(way, plain)| {
        let engine = real::Engine::docker(None);
        let line = r.cmd_line();
        let mut c = if plain {
            // pidone with no options: SIGTERM reaches nginx as SIGTERM.
            let mut cmd = vec!["--"];
            cmd.extend(r.cmd());
            engine.start("nginx-plain", &["--entrypoint", "/pidone"], &r.image, &cmd)
        } else if way == Way::PidoneShell {
            // The wrapper behind plain pidone: the recipe's --single-child would send the
            // signal to the shell alone, which is what the recipe's exec form avoids.
            let cmd = ["--", "sh", "-c", &line];
            engine.start("nginx-sh", &["--entrypoint", "/pidone"], &r.image, &cmd)
        } else {
            start(r, way, "nginx", None, &[])
        };
        c.log.wait_for("start worker process");
        let mut reload = None;
        if way == Way::Recipe && !plain {
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
        let quick = s.took < AT_ONCE;
        let (recipe_row, ok, shown) = match (way, plain) {
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
                    Some("nginx: `docker kill -s HUP`, then `docker stop`: graceful (SIGQUIT)"),
                    ok,
                    shown,
                )
            }
            (Way::Recipe, true) => (
                Some("nginx, plain pidone (no --rewrite): `docker stop` (SIGTERM, fast stop)"),
                exited && s.code == 0 && quick,
                s.show(exited),
            ),
            (Way::PidoneShell, _) | (Way::NoInit, _) => {
                let code = if way == Way::PidoneShell { 143 } else { 0 };
                (None, exited && quick && s.code == code, s.show(exited))
            }
            (Way::NoInitShell, _) => (None, !exited && s.killed_at_the_timeout(), s.show(exited)),
        };
        let v = Verdict::new(ok, shown, || {
            format!("{}: {:#?}", recipe_row.unwrap_or(row), s.lines)
        });
        match recipe_row {
            Some(own) => v.in_row(own),
            None => v,
        }
    });
    ran(test);
}

// ---- redis --------------------------------------------------------------------------------------------

/// redis: SIGTERM, its final save, "ready to exit", exit 0, under pidone and as PID 1;
/// the `sh -c` wrapper without an init is SIGKILLed at the timeout, without its save.
#[test]
fn redis_saves_and_exits_cleanly() {
    let test = "apps::redis_saves_and_exits_cleanly";
    compare(
        test,
        "redis",
        "redis: `docker stop` (-t 10)",
        &WAYS,
        |r, way| {
            let mut c = start(r, way, "redis", None, &[]);
            c.log.wait_for("Ready to accept connections");
            let set = c.exec(&["redis-cli", "set", "greeting", "hello"]);
            assert!(set.ok(), "{set:?}");
            let s = stop(&mut c, TIMEOUT);
            let clean = count_containing(&s.lines, "ready to exit") == 1
                && count_containing(&s.lines, "DB saved on disk") == 1;
            let quick = s.took < AT_ONCE;
            let (ok, want) = match way {
                Way::Recipe | Way::NoInit => {
                    (clean && quick && s.code == 0, "clean, exit 0, at once")
                }
                Way::PidoneShell => (
                    clean && quick && s.code == 143,
                    "clean, 143 (the shell's), at once",
                ),
                Way::NoInitShell => (!clean && s.code == 137, "SIGKILLed at the timeout: 137"),
            };
            Verdict::new(ok, s.show(clean), || s.expected(want))
        },
    );
}

// ---- Node.js -----------------------------------------------------------------------------------------

/// The Node.js guides' graceful server, as `node server.js` and behind `sh -c`: it gets
/// exactly one SIGTERM, logs its close, and the stop takes well under a second. Without
/// an init, node as PID 1 has its own handler and closes too; behind `sh -c` it never
/// hears the signal.
#[test]
fn node_server_gets_one_sigterm_and_closes() {
    let test = "apps::node_server_gets_one_sigterm_and_closes";
    compare(
        test,
        "node",
        "Node.js: `docker stop` (-t 10)",
        &WAYS,
        |r, way| {
            assert_eq!(r.cmd, ["node", "server.js"]);
            let mut c = start(r, way, "node", None, &[]);
            c.log.wait_for("listening on 8080");
            let s = stop(&mut c, TIMEOUT);
            let terms = count(&s.lines, "got SIGTERM, closing");
            let closed = count(&s.lines, "closed, exiting 0") == 1;
            let quick = s.took < AT_ONCE;
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
            Verdict::new(ok, shown, || s.expected(want))
        },
    );
}

// ---- Python ------------------------------------------------------------------------------------------

/// The Python service relies on KeyboardInterrupt: the recipe passes SIGTERM on as
/// SIGINT, its `finally` runs, exit 0. Without an init, python as PID 1 ignores SIGTERM
/// (it has no handler), and the stop waits out the timeout.
///
/// Behind `sh -c` without exec, the SIGINT reaches only the shell, which (dash, waiting
/// for its foreground child) catches it and waits on: python never hears it, and the
/// runtime kills both at the timeout, as under tini. A signal cannot be right for both
/// (issue 21): the recipe documents the fixes, `exec` in the wrapper or `-g`, and that row
/// checks `-g` (the signal goes to the group, the shell and python both).
#[test]
fn python_service_cleans_up_on_stop() {
    let test = "apps::python_service_cleans_up_on_stop";
    let row = "Python (KeyboardInterrupt cleanup): `docker stop` (-t 10)";
    compare(test, "python", row, &WAYS, |r, way| {
        let mut c = if way == Way::PidoneShell {
            let engine = real::Engine::docker(None);
            let line = r.cmd_line();
            let mut cmd: Vec<&str> = r.entrypoint[1..r.entrypoint.len() - 1]
                .iter()
                .map(String::as_str)
                .collect();
            cmd.extend(["-g", "--", "sh", "-c", &line]);
            engine.start("python-sh", &["--entrypoint", "/pidone"], &r.image, &cmd)
        } else {
            start(r, way, "python", None, &[])
        };
        c.log.wait_for("listening on 8080");
        let s = stop(&mut c, TIMEOUT);
        let clean = count(&s.lines, "got SIGINT, shutting down") == 1
            && count(&s.lines, "closed, exiting 0") == 1;
        let quick = s.took < AT_ONCE;
        let (ok, want) = match way {
            Way::Recipe => (clean && quick && s.code == 0, "clean, exit 0, at once"),
            // With -g the shell gets SIGINT too and dies of it once python is gone;
            // python's `finally` runs.
            Way::PidoneShell => (
                clean && quick && s.code == 130,
                "with -g: clean, 130 (the shell's), at once",
            ),
            Way::NoInit | Way::NoInitShell => {
                (!clean && s.code == 137, "SIGKILLed at the timeout: 137")
            }
        };
        let shown = match way {
            Way::PidoneShell => format!("with `-g`: {}", s.show(clean)),
            _ => s.show(clean),
        };
        Verdict::new(ok, shown, || s.expected(want))
    });
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
    let row = "JVM: `docker kill -s QUIT` (12 s), then `docker stop`";
    compare(test, "jvm", row, &[Way::Recipe, Way::NoInit], |r, way| {
        let mut c = start(r, way, "jvm", None, &[]);
        c.log.wait_for("started");
        c.kill("QUIT");
        c.log.wait_for("Full thread dump");
        let survived = if way == Way::Recipe {
            let exited = exits_within(&c, Duration::from_secs(12));
            exited.is_none() && c.running()
        } else {
            c.running()
        };
        let s = stop(&mut c, TIMEOUT);
        let hook = count(&s.lines, "shutdown hook ran") == 1;
        let quick = s.took < AT_ONCE;
        let want_code = if way == Way::Recipe { 0 } else { 143 };
        let ok = survived && hook && quick && s.code == want_code;
        let shown = format!(
            "QUIT: thread dump, {}; stop: {}",
            if survived { "ran on" } else { "ENDED" },
            s.show(hook)
        );
        Verdict::new(ok, shown, || {
            s.expected(&format!(
                "a thread dump, the JVM running on, then its hook and exit {want_code}"
            ))
        })
    });
}

// ---- pre-fork servers: pidone, tini and no init side by side ---------------------------------

// A pre-fork server's master owns the signal protocol: a signal meant for it that reaches
// its workers directly kills them with their work (issue 21). Each case runs behind pidone
// as the recipe has it, behind Debian's tini-static (what `docker run --init` runs), and
// with no init, and asserts the application's own evidence: its log lines, what the client
// got, the exit code. Never pidone's log.

/// What a case runs behind: an init, or none.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Runner {
    /// The recipe's ENTRYPOINT: `/pidone --` and its options.
    Pidone,
    /// Debian's tini-static, bind-mounted from the host, with its defaults.
    Tini,
    /// No init: the command is PID 1.
    NoInit,
}

const RUNNERS: [Runner; 3] = [Runner::Pidone, Runner::Tini, Runner::NoInit];

/// The host's tini-static (scripts/setup.sh installs Debian's tini).
const TINI: &str = "/usr/bin/tini-static";

impl Column for Runner {
    fn column(self) -> &'static str {
        match self {
            Runner::Pidone => COLUMNS[0],
            Runner::Tini => "tini (`tini-static --`)",
            Runner::NoInit => COLUMNS[2],
        }
    }

    fn tini(self) -> bool {
        self == Runner::Tini
    }
}

/// Starts `cmd` in `r`'s image behind `init`, with `flags` for `docker run`.
fn run_behind(init: Runner, r: &Recipe, what: &str, flags: &[&str], cmd: &[String]) -> Running {
    let engine = real::Engine::docker(None);
    let mount = format!("{TINI}:/tini:ro");
    let mut all: Vec<&str> = flags.to_vec();
    let mut args: Vec<&str> = Vec::new();
    match init {
        Runner::Pidone => {
            all.extend(["--entrypoint", "/pidone"]);
            args.extend(r.entrypoint[1..].iter().map(String::as_str));
        }
        Runner::Tini => {
            all.extend(["-v", &mount, "--entrypoint", "/tini"]);
            args.push("--");
        }
        Runner::NoInit => all.extend(["--entrypoint", ""]),
    }
    args.extend(cmd.iter().map(String::as_str));
    engine.start(what, &all, &r.image, &args)
}

/// The client, inside the container (its loopback; the container has no other network):
/// the whole response, or `client error: ...`.
const FETCH: &str = "import sys, urllib.request
try:
    print(urllib.request.urlopen(sys.argv[1], timeout=60).read().decode(), end='')
except Exception as e:
    print(f'client error: {e!r}')
    sys.exit(1)";

/// Starts a request to `url` from inside the container, on a thread of its own.
fn fetch(c: &Running, url: &str) -> std::thread::JoinHandle<real::Output> {
    let (engine, name, url) = (c.engine.clone(), c.name.clone(), url.to_string());
    std::thread::spawn(move || engine.try_run(&["exec", &name, "python3", "-c", FETCH, &url]))
}

/// What the client got, one line for the table: the body, or the client's error.
fn answer(out: &real::Output) -> String {
    let text = if out.stdout.trim().is_empty() {
        out.stderr.trim()
    } else {
        out.stdout.trim()
    };
    text.lines().next().unwrap_or("(nothing)").to_string()
}

/// Waits for the `n`th next line containing `want`.
fn wait_n(c: &mut Running, want: &str, n: usize) {
    for _ in 0..n {
        c.log.wait_for(want);
    }
}

/// A request to `url` in flight (the app has logged `started`) across `docker kill -s
/// SIGNAL`, which the app has logged as `handled`: what the client got.
fn across_signal(
    c: &mut Running,
    url: &str,
    started: &str,
    signal: &str,
    handled: &str,
) -> real::Output {
    let client = fetch(c, url);
    c.log.wait_for(started);
    c.kill(signal);
    c.log.wait_for(handled);
    client.join().expect("client thread")
}

/// A request to `url` in flight (the app has logged `started`) across `docker stop`: what
/// the client got, and the stop.
fn across_stop(c: &mut Running, url: &str, started: &str) -> (real::Output, Stopped) {
    let client = fetch(c, url);
    c.log.wait_for(started);
    let s = stop(c, TIMEOUT);
    (client.join().expect("client thread"), s)
}

/// The slow request's whole answer.
fn slow_done(o: &real::Output) -> bool {
    o.stdout.starts_with("slow request done")
}

// ---- gunicorn -----------------------------------------------------------------------------------------

const GUNICORN_SLOW: &str = "http://127.0.0.1:8000/slow?s=4";

/// The recipe's gunicorn behind `init`, once both workers have booted.
fn gunicorn(init: Runner, r: &Recipe, what: &str) -> Running {
    let mut c = run_behind(init, r, what, &[], &r.cmd);
    wait_n(&mut c, "Booting worker with pid", 2);
    c
}

/// A 4 s request in flight on a worker across `docker kill -s SIGNAL`: what the client got.
fn gunicorn_across(c: &mut Running, signal: &str) -> real::Output {
    let handled = format!("Handling signal: {}", signal.to_lowercase());
    across_signal(c, GUNICORN_SLOW, "slow request started", signal, &handled)
}

/// gunicorn with two workers: a 4 s request in flight across `docker kill -s HUP` (the
/// master replaces its workers) and then across `docker stop` (its graceful stop) completes
/// both times; two new workers boot after the HUP; exit 0. Under pidone, tini and no init
/// alike: only the master hears the signals.
#[test]
fn gunicorn_finishes_requests_across_hup_and_stop() {
    let test = "apps::gunicorn_finishes_requests_across_hup_and_stop";
    let row =
        "gunicorn, 2 workers: a 4 s request across `docker kill -s HUP`, then across `docker stop`";
    compare(test, "gunicorn", row, &RUNNERS, |r, init| {
        let mut c = gunicorn(init, r, "gunicorn");

        let hup = gunicorn_across(&mut c, "HUP");
        // The new workers the HUP asked for (either order with the answer).
        wait_n(&mut c, "Booting worker with pid", 2);

        let (term, s) = across_stop(&mut c, GUNICORN_SLOW, "slow request started");

        let master_down = count_containing(&s.lines, "Shutting down: Master") == 1;
        let ok = slow_done(&hup) && slow_done(&term) && master_down && s.code == 0;
        let shown = format!(
            "HUP: {}; stop: {}, {}",
            answer(&hup),
            answer(&term),
            s.show(master_down)
        );
        Verdict::new(ok, shown, || {
            s.expected(&format!(
                "both requests done and exit 0: HUP client {hup:?}, stop client {term:?}"
            ))
        })
    });
}

/// gunicorn's binary upgrade: `docker kill -s USR2` starts a new master beside the old
/// one; the 4 s request in flight on an old worker completes.
#[test]
fn gunicorn_finishes_a_request_across_usr2() {
    let test = "apps::gunicorn_finishes_a_request_across_usr2";
    let row = "gunicorn, 2 workers: a 4 s request across `docker kill -s USR2` (new master)";
    compare(test, "gunicorn", row, &RUNNERS, |r, init| {
        let mut c = gunicorn(init, r, "gunicorn-usr2");
        let got = gunicorn_across(&mut c, "USR2");
        // The new master's own start line.
        c.log.wait_for("Starting gunicorn");
        let shown = format!("{}; a new master started", answer(&got));
        Verdict::new(slow_done(&got), shown, || {
            format!(
                "expected the request done: client {got:?}, log {:#?}",
                c.log.so_far()
            )
        })
    });
}

// ---- celery -------------------------------------------------------------------------------------------

const CELERY_TASK: &str = "import tasks; tasks.slow.delay(5)";

/// Runs `cmd` behind `init`, sends the 5 s task once celery is ready, and stops the
/// container (`-t 15`) once a pool process has started the task. The stop; whether the
/// task succeeded; how many warm shutdowns; the verdict's cell.
fn celery_across_stop(
    init: Runner,
    r: &Recipe,
    what: &str,
    cmd: &[String],
) -> (Stopped, bool, usize, String) {
    let mut c = run_behind(init, r, what, &[], cmd);
    c.log.wait_for("ready.");
    let sent = c.exec(&["python3", "-c", CELERY_TASK]);
    assert!(sent.ok(), "sending the task: {sent:?}");
    c.log.wait_for("slow task started");
    let s = stop(&mut c, 15);
    let succeeded = s
        .lines
        .iter()
        .any(|l| l.contains("succeeded in") && l.contains("slow task done"));
    let warm = count_containing(&s.lines, "Warm shutdown");
    let shown = format!(
        "task {}, {warm} warm shutdown, exit {}, {}",
        if succeeded { "succeeded" } else { "LOST" },
        s.code,
        secs(s.took)
    );
    (s, succeeded, warm, shown)
}

/// celery with two pool processes and a filesystem broker: a 5 s task in flight across
/// `docker stop -t 15` completes ("succeeded"), one warm shutdown, exit 0.
#[test]
fn celery_finishes_the_task_in_flight() {
    let test = "apps::celery_finishes_the_task_in_flight";
    let row = "celery, 2 pool processes: a 5 s task across `docker stop -t 15`";
    compare(test, "celery", row, &RUNNERS, |r, init| {
        let (s, succeeded, warm, shown) = celery_across_stop(init, r, "celery", &r.cmd);
        let ok = succeeded && warm == 1 && s.code == 0;
        Verdict::new(ok, shown, || {
            s.expected("the task to succeed, one warm shutdown, exit 0")
        })
    });
}

/// The entrypoint script many images have: bash starts celery in the background, traps
/// SIGTERM and passes it on. celery must hear exactly one SIGTERM (a second one is its cold
/// shutdown, which abandons the task): one warm shutdown, the task succeeds, exit 0.
#[test]
fn celery_behind_a_bash_entrypoint_hears_one_sigterm() {
    let test = "apps::celery_behind_a_bash_entrypoint_hears_one_sigterm";
    let row = "celery behind a bash entrypoint that traps SIGTERM and passes it on: a 5 s task across `docker stop -t 15`";
    compare(test, "celery", row, &RUNNERS, |r, init| {
        let script = format!(
            "{} &\npid=$!\ntrap 'echo \"entrypoint: passing SIGTERM on\"; kill -TERM $pid' TERM\nwait $pid\nwait $pid",
            r.cmd_line()
        );
        let cmd = ["bash".to_string(), "-c".to_string(), script];
        let (s, succeeded, warm, shown) = celery_across_stop(init, r, "celery-bash", &cmd);
        let passed = count(&s.lines, "entrypoint: passing SIGTERM on");
        let ok = succeeded && warm == 1 && passed == 1 && s.code == 0;
        Verdict::new(ok, shown, || {
            s.expected("one SIGTERM passed on, one warm shutdown, the task done, exit 0")
        })
    });
}

// ---- Node.js cluster ------------------------------------------------------------------------------------

const NODE_SLOW: &str = "http://127.0.0.1:8080/slow?s=3";

/// A Node.js `cluster` app, a primary and two workers: a 3 s request in flight across
/// `docker stop` gets its whole answer (no ECONNRESET); the primary disconnects its
/// workers and exits 0.
#[test]
fn node_cluster_finishes_the_request_in_flight() {
    let test = "apps::node_cluster_finishes_the_request_in_flight";
    let row = "Node.js `cluster`, 2 workers: a 3 s request across `docker stop`";
    compare(test, "node-cluster", row, &RUNNERS, |r, init| {
        let mut c = run_behind(init, r, "node-cluster", &[], &r.cmd);
        wait_n(&mut c, "listening on 8080", 2);
        let (got, s) = across_stop(&mut c, NODE_SLOW, "slow request started");
        let terms = count(&s.lines, "primary got SIGTERM, disconnecting the workers");
        let closed = count(&s.lines, "all workers done, exiting 0") == 1;
        let ok = slow_done(&got) && terms == 1 && closed && s.code == 0;
        let shown = format!("{}; {terms} SIGTERM, {}", answer(&got), s.show(closed));
        Verdict::new(ok, shown, || {
            s.expected(&format!(
                "the request done, one SIGTERM, exit 0: client {got:?}"
            ))
        })
    });
}

// ---- wrappers that pass no signal on ---------------------------------------------------------------

/// `sh -c` without exec, or `npm start`: tests/fixtures/npm-start.js, which does with
/// signals what npm 9's run-script does (it passes SIGTERM to its `sh -c`, which dies of it
/// without passing it on; see the file). Bind-mounted, so the recipe stays as users have it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Wrapper {
    Sh,
    Npm,
}

/// A wrapper behind an init (or none).
impl Column for (Runner, Wrapper) {
    fn column(self) -> &'static str {
        self.0.column()
    }

    fn tini(self) -> bool {
        self.0.tini()
    }
}

/// What a wrapped app did across `docker stop`: the client's answer (if a request was in
/// flight), the stop, and how many times the app logged `heard`.
struct Wrapped {
    got: Option<real::Output>,
    s: Stopped,
    heard: usize,
}

/// Runs `r`'s CMD behind `wrapper` behind `runner`; waits for `ready` `n` times; sends a
/// request to `slow` if given and waits for `started`; then `docker stop`.
fn wrapped(
    (runner, wrapper): (Runner, Wrapper),
    r: &Recipe,
    (ready, n): (&str, usize),
    slow: Option<(&str, &str)>,
    heard: &str,
) -> Wrapped {
    let npm = real::repo().join("tests/fixtures/npm-start.js");
    let mount = format!("{}:/npm-start.js:ro", npm.display());
    let cmd: Vec<String> = match wrapper {
        Wrapper::Npm => vec!["node".into(), "/npm-start.js".into()],
        Wrapper::Sh => vec!["sh".into(), "-c".into(), r.cmd_line()],
    };
    let mut c = run_behind(runner, r, "wrapped", &["-v", &mount], &cmd);
    wait_n(&mut c, ready, n);
    let (got, s) = match slow {
        Some((url, started)) => {
            let (got, s) = across_stop(&mut c, url, started);
            (Some(got), s)
        }
        None => (None, stop(&mut c, TIMEOUT)),
    };
    let heard = count(&s.lines, heard);
    Wrapped { got, s, heard }
}

fn wrapper_row(wrapper: Wrapper, app: &str) -> String {
    match wrapper {
        Wrapper::Sh => format!("{app} behind `sh -c` (no exec): `docker stop`"),
        Wrapper::Npm => format!("{app} behind `npm start` (stand-in): `docker stop`"),
    }
}

const WRAPPED: [(Runner, Wrapper); 6] = [
    (Runner::Pidone, Wrapper::Sh),
    (Runner::Pidone, Wrapper::Npm),
    (Runner::Tini, Wrapper::Sh),
    (Runner::Tini, Wrapper::Npm),
    (Runner::NoInit, Wrapper::Sh),
    (Runner::NoInit, Wrapper::Npm),
];

/// `app`'s CMD behind each wrapper behind each init, `docker stop`, a request to `slow` in
/// flight if given: behind pidone the app hears the stop (its line `heard`) exactly once,
/// answers the request, and closes (`closed`); the container's code is the wrapper's 143.
/// Behind tini and without an init the app never hears it.
fn behind_a_wrapper(
    test: &str,
    (app, label): (&str, &str),
    ready: (&str, usize),
    slow: Option<(&str, &str)>,
    (heard, closed): (&str, &str),
) {
    compare(test, app, "", &WRAPPED, |r, case| {
        let w = wrapped(case, r, ready, slow, heard);
        let got = w.got.as_ref().map(answer);
        let done = got
            .as_deref()
            .is_none_or(|a| a.starts_with("slow request done"));
        let closed = count(&w.s.lines, closed) == 1;
        let ok = match case.0 {
            Runner::Pidone => done && w.heard == 1 && closed && w.s.code == 143,
            Runner::Tini | Runner::NoInit => w.heard == 0 && !closed,
        };
        let answered = got.map(|a| format!("{a}; ")).unwrap_or_default();
        let shown = format!("{answered}{} SIGTERM, {}", w.heard, w.s.show(closed));
        Verdict::new(ok, shown, || {
            format!("client {:?}, log {:#?}", w.got, w.s.lines)
        })
        .in_row(&wrapper_row(case.1, label))
    });
}

/// The Node.js server behind `sh -c` and behind `npm start`: behind pidone the wrapper dies
/// of SIGTERM, then the server hears it exactly once and closes; the container's code is
/// the wrapper's 143. Behind tini and without an init the server never hears it: it is
/// killed with the container, or the runtime waits out its timeout.
#[test]
fn node_server_behind_a_wrapper_hears_one_sigterm() {
    behind_a_wrapper(
        "apps::node_server_behind_a_wrapper_hears_one_sigterm",
        ("node", "Node.js server"),
        ("listening on 8080", 1),
        None,
        ("got SIGTERM, closing", "closed, exiting 0"),
    );
}

/// The `cluster` app behind `sh -c` and `npm start`, a 3 s request in flight: the primary
/// hears the stop once, from the drain after the wrapper's exit, and its workers nothing
/// (the drain signals only pidone's own children), so the request is answered.
#[test]
fn node_cluster_behind_a_wrapper_finishes_the_request() {
    behind_a_wrapper(
        "apps::node_cluster_behind_a_wrapper_finishes_the_request",
        ("node-cluster", "Node.js `cluster`, a 3 s request in flight"),
        ("listening on 8080", 2),
        Some((NODE_SLOW, "slow request started")),
        (
            "primary got SIGTERM, disconnecting the workers",
            "all workers done, exiting 0",
        ),
    );
}

// ---- uWSGI ----------------------------------------------------------------------------------------------

/// uWSGI's last line when its master exits.
const UWSGI_BYE: &str = "goodbye to uWSGI";
/// uWSGI's line when SIGTERM, by default, reloads it.
const UWSGI_RELOAD: &str = "brutally killing workers";

/// The recipe's uWSGI (its master hook makes SIGTERM the graceful stop): a 4 s request in
/// flight across `docker stop` completes, exit 0. And why the hook: uWSGI's own SIGTERM is
/// a reload, after which it runs on.
#[test]
fn uwsgi_stops_gracefully_under_the_recipe() {
    let test = "apps::uwsgi_stops_gracefully_under_the_recipe";
    let Some(r) = recipe_for(test, "uwsgi", &RUNNERS) else {
        return;
    };
    let hook = r.cmd.iter().position(|w| w == "--hook-master-start");
    assert!(
        hook.is_some(),
        "the recipe sets --hook-master-start: {:?}",
        r.cmd
    );
    let row = "uWSGI (recipe), 2 workers: a 4 s request across `docker stop`";
    side_by_side(test, row, &RUNNERS, |init| {
        let mut c = run_behind(init, r, "uwsgi", &[], &r.cmd);
        wait_n(&mut c, "spawned uWSGI worker", 2);
        let (got, s) = across_stop(&mut c, GUNICORN_SLOW, "slow request started");
        let bye = count_containing(&s.lines, UWSGI_BYE) == 1;
        let ok = slow_done(&got) && bye && s.code == 0;
        let shown = format!("{}; {}", answer(&got), s.show(bye));
        Verdict::new(ok, shown, || {
            s.expected(&format!(
                "the request done, a graceful stop, exit 0: client {got:?}"
            ))
        })
    });

    // Without the hook: SIGTERM reloads, and uWSGI runs on. (A short reload mercy: a
    // worker still starting when the signal comes could hold the reload for 60 s.)
    let mut plain = r.cmd.clone();
    plain.truncate(hook.unwrap_or(plain.len()));
    plain.extend(["--worker-reload-mercy".to_string(), "10".to_string()]);
    let mut c = run_behind(Runner::Pidone, r, "uwsgi-plain", &[], &plain);
    wait_n(&mut c, "spawned uWSGI worker", 2);
    let warm = fetch(&c, "http://127.0.0.1:8000/")
        .join()
        .expect("client thread");
    assert!(warm.stdout.starts_with("ok from worker"), "{warm:?}");
    c.kill("TERM");
    c.log.wait_for(UWSGI_RELOAD);
    c.log.wait_for("(RE)spawned uWSGI master");
    wait_n(&mut c, "spawned uWSGI worker", 2);
    let running = c.running();
    record(
        "uWSGI without the recipe's hook: `docker kill -s TERM`",
        Runner::Pidone.column(),
        if running {
            "reloaded, still running"
        } else {
            "ENDED"
        },
    );
    assert!(
        running,
        "uWSGI's own SIGTERM reloads: {:#?}",
        c.log.so_far()
    );
    ran(test);
}

// ---- supervisord -------------------------------------------------------------------------------------

/// supervisord as the application, running two programs: on `docker stop` it stops each
/// with its stopsignal; each program hears exactly one SIGTERM, finishes its job and exits
/// 0; supervisord exits 0.
#[test]
fn supervisord_stops_its_programs_cleanly() {
    let test = "apps::supervisord_stops_its_programs_cleanly";
    let row = "supervisord, 2 programs: `docker stop`";
    compare(test, "supervisor", row, &RUNNERS, |r, init| {
        let mut c = run_behind(init, r, "supervisord", &[], &r.cmd);
        c.log.wait_for("working");
        c.log.wait_for("working");
        let s = stop(&mut c, TIMEOUT);
        let finished = |p: &str| {
            count_containing(
                &s.lines,
                &format!("{p} finished its job after 1 SIGTERM, exiting 0"),
            ) == 1
        };
        let stopped =
            |p: &str| count_containing(&s.lines, &format!("stopped: {p} (exit status 0)")) == 1;
        let clean = ["alpha", "beta"].iter().all(|p| finished(p) && stopped(p));
        Verdict::new(clean && s.code == 0, s.show(clean), || {
            s.expected("each program to hear one SIGTERM and exit 0, then exit 0")
        })
    });
}

// ---- a leftover that ignores SIGTERM ---------------------------------------------------------------

/// The app traps SIGTERM and exits 0; a `setsid` child it started ignores SIGTERM. The
/// stop ends at once with the app's 0, well before the runtime's timeout: waiting for a
/// process that ignores the signal it got achieves nothing (tini and no init: the kernel
/// ends it with the container).
#[test]
fn a_leftover_ignoring_sigterm_does_not_hold_the_stop() {
    let test = "apps::a_leftover_ignoring_sigterm_does_not_hold_the_stop";
    let app = "setsid sh -c \"trap '' TERM; sleep 3000\" & \
               trap 'echo app: got SIGTERM, exiting 0; exit 0' TERM; \
               echo app: running; while :; do sleep 0.1; done";
    let cmd = ["sh".to_string(), "-c".to_string(), app.to_string()];
    let row =
        "an app that exits 0 on SIGTERM, with a `setsid` leftover that ignores it: `docker stop`";
    compare(test, "supervisor", row, &RUNNERS, |r, init| {
        let mut c = run_behind(init, r, "leftover", &[], &cmd);
        c.log.wait_for("app: running");
        let s = stop(&mut c, TIMEOUT);
        let exited = count(&s.lines, "app: got SIGTERM, exiting 0") == 1;
        let ok = exited && s.code == 0 && s.took < Duration::from_secs(5);
        Verdict::new(ok, s.show(exited), || {
            s.expected(&format!(
                "exit 0 well before the timeout: {}",
                s.show(exited)
            ))
        })
    });
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
