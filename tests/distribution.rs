//! How users get pidone (a release tarball, an image to COPY from), checked the way they would use it:
//!
//! - `scripts/release.sh`, run in two fresh clones of HEAD, writes byte-identical dist/
//!   files. The clones differ in directory (and its length), in CARGO_HOME, in time (one
//!   build after the other) and in the caller's environment: the second one runs with
//!   RUSTFLAGS, CARGO_PROFILE_RELEASE_STRIP, TZ, a locale and a umask that would each
//!   change the bytes if release.sh let them in.
//! - The pidone image that Dockerfile.local makes of those files holds exactly one file,
//!   the release binary, and a second image `FROM scratch` that takes it with
//!   `COPY --from=IMAGE /pidone /pidone` runs with pidone as its PID 1.
//! - Dockerfile and Dockerfile.local agree (no engine needed).
//!
//! Slow by nature: each clone is a full release build (about a minute on 2 cores); the two
//! tests that need a build share the first one. Nothing is fetched: each clone's
//! CARGO_HOME is a copy of this machine's registry index and crate cache, and cargo runs
//! offline. What is tested is the commit at HEAD, not uncommitted changes.
//!
//! Docker names start with `dist-pidone-test`; images and directories go when the test
//! process exits. A missing tool (git, docker) is a loud SKIP line, and a failure in CI.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// A full release build of a fresh clone: about a minute here, much longer on a machine
/// busy with other builds. Past this, the build is taken to hang.
const BUILD: Duration = Duration::from_secs(30 * 60);
/// Any other command: a clone, a docker build of two small files, a container run.
const COMMAND: Duration = Duration::from_secs(180);
const VERSION: &str = env!("CARGO_PKG_VERSION");
const BUSYBOX: &str = "/bin/busybox";

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Writes past the test harness's capture: skips and measurements must be seen.
fn say(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// A missing tool: SKIP outside CI, failure inside it.
fn missing(test: &str, what: &str) {
    if std::env::var_os("CI").is_some() {
        panic!("{test}: {what} (CI is set: a missing tool is a failure)");
    }
    say(&format!("SKIP: {test}: {what}"));
}

// ---- running commands, with deadlines ------------------------------------------------

struct Output {
    ok: bool,
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs `cmd` to its end, failing the test if it takes longer than `timeout`.
fn run(cmd: &mut Command, timeout: Duration) -> Output {
    let shown = format!("{cmd:?}");
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {shown}: {e}"));
    let out = common::wait_bounded(child, timeout)
        .map(|(out, _)| out)
        .unwrap_or_else(|| panic!("{shown} still running after {timeout:?}: killed"));
    Output {
        ok: out.status.success(),
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `cmd`, which must succeed; returns its trimmed stdout.
fn ok(cmd: &mut Command, timeout: Duration) -> String {
    let shown = format!("{cmd:?}");
    let out = run(cmd, timeout);
    assert!(
        out.ok,
        "{shown} failed ({:?}):\n{}{}",
        out.code, out.stdout, out.stderr
    );
    out.stdout.trim().to_string()
}

fn available(program: &str, arg: &str) -> bool {
    Command::new(program)
        .arg(arg)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

// ---- the scratch space, removed at exit ----------------------------------------------

/// This process's directory under the system's temp dir, and a unique tag for Docker names.
static SCRATCH: OnceLock<(PathBuf, String)> = OnceLock::new();

fn scratch() -> &'static (PathBuf, String) {
    SCRATCH.get_or_init(|| {
        let tag = format!("{}", std::process::id());
        let dir = std::env::temp_dir().join(format!("pidone-distribution-{tag}"));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("create the scratch directory");
        // SAFETY: registering a plain extern "C" function; it runs once, at exit.
        unsafe { libc::atexit(remove_scratch) };
        (dir, tag)
    })
}

fn image_names(tag: &str) -> [String; 2] {
    [
        format!("dist-pidone-test:{tag}"),
        format!("dist-pidone-test-user:{tag}"),
    ]
}

/// Every image id the builds of this run printed: the legacy builder keeps the image of
/// each step, and of a multi-stage build's first stage, as an untagged image.
static BUILT: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// `docker build ARGS`, which must succeed; remembers the images it made for the exit.
fn docker_build(args: &mut Command) {
    let shown = format!("{args:?}");
    let out = run(args, COMMAND);
    assert!(
        out.ok,
        "{shown} failed ({:?}):\n{}{}",
        out.code, out.stdout, out.stderr
    );
    let ids = out.stdout.lines().filter_map(|l| {
        let id = l.strip_prefix(" ---> ")?;
        (id.len() == 12 && id.bytes().all(|b| b.is_ascii_hexdigit())).then(|| id.to_string())
    });
    BUILT.lock().unwrap_or_else(|e| e.into_inner()).extend(ids);
}

extern "C" fn remove_scratch() {
    let Some((dir, tag)) = SCRATCH.get() else {
        return;
    };
    let _ = Command::new("docker")
        .args(["rm", "-f", &format!("dist-pidone-test-{tag}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    for image in image_names(tag) {
        let _ = Command::new("docker")
            .args(["rmi", "-f", &image])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    // Newest first, so that a step's image goes before the one it was built on. Without
    // -f: an image that anything else uses or tags stays.
    let built = BUILT.lock().map(|b| b.clone()).unwrap_or_default();
    for id in built.iter().rev() {
        let _ = Command::new("docker")
            .args(["rmi", id])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    let _ = fs::remove_dir_all(dir);
}

// ---- release builds in fresh clones --------------------------------------------------

struct Release {
    /// The clone's root.
    src: PathBuf,
    /// Its CARGO_HOME.
    cargo_home: PathBuf,
    /// The commit it was built from.
    revision: String,
}

impl Release {
    fn dist(&self) -> PathBuf {
        self.src.join("dist")
    }

    fn binary(&self) -> PathBuf {
        self.dist()
            .join(format!("pidone-{VERSION}-x86_64-linux-musl"))
    }

    /// Every file of dist/, by name.
    fn files(&self) -> BTreeMap<String, Vec<u8>> {
        fs::read_dir(self.dist())
            .expect("read dist/")
            .map(|e| {
                let e = e.expect("dist/ entry");
                let name = e.file_name().to_string_lossy().into_owned();
                (name, fs::read(e.path()).expect("read a dist/ file"))
            })
            .collect()
    }
}

/// The real CARGO_HOME, whose registry index and crate cache the clones copy.
fn real_cargo_home() -> PathBuf {
    std::env::var_os("CARGO_HOME").map_or_else(
        || PathBuf::from(std::env::var_os("HOME").expect("HOME is set")).join(".cargo"),
        PathBuf::from,
    )
}

/// Clones HEAD into `dir/pidone`, gives it a CARGO_HOME of its own and runs
/// scripts/release.sh there, with `hostile` added to the environment.
fn release_in(dir: &Path, hostile: &[(&str, &str)], umask: &str) -> Release {
    let src = dir.join("pidone");
    let cargo_home = dir.join("cargo-home");
    fs::create_dir_all(cargo_home.join("registry")).expect("create CARGO_HOME");
    let registry = real_cargo_home().join("registry");
    for part in ["index", "cache"] {
        ok(
            Command::new("cp")
                .arg("-r")
                .arg(registry.join(part))
                .arg(cargo_home.join("registry")),
            COMMAND,
        );
    }
    let revision = ok(
        Command::new("git")
            .arg("-C")
            .arg(repo())
            .args(["rev-parse", "HEAD"]),
        COMMAND,
    );
    ok(
        Command::new("git")
            .args(["clone", "--quiet", "--no-checkout", "--no-hardlinks"])
            .arg(repo())
            .arg(&src),
        COMMAND,
    );
    ok(
        Command::new("git")
            .arg("-C")
            .arg(&src)
            .args(["checkout", "--quiet", "--detach", &revision]),
        COMMAND,
    );

    let started = Instant::now();
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!("umask {umask} && exec scripts/release.sh"))
        .current_dir(&src)
        .env("CARGO_HOME", &cargo_home)
        .env("CARGO_NET_OFFLINE", "true")
        // The caller's build settings must not reach a release build.
        .env_remove("SOURCE_DATE_EPOCH")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS");
    for (key, value) in hostile {
        cmd.env(key, value);
    }
    ok(&mut cmd, BUILD);
    say(&format!(
        "release build in {}: {:.0} s",
        src.display(),
        started.elapsed().as_secs_f64()
    ));
    Release {
        src,
        cargo_home,
        revision,
    }
}

/// Whether git can clone here; the reason when not.
fn can_build() -> Result<(), String> {
    if !available("git", "--version") {
        return Err("git missing".into());
    }
    if !repo().join(".git").exists() {
        return Err(format!("{} is not a git checkout", repo().display()));
    }
    Ok(())
}

/// The first clone's release, built once and shared by the tests that need one.
fn first_release() -> &'static Release {
    static FIRST: OnceLock<Release> = OnceLock::new();
    FIRST.get_or_init(|| release_in(&scratch().0.join("a"), &[], "022"))
}

/// The SBOM's component names and the root's direct dependencies.
fn sbom_summary(bytes: &[u8]) -> (Vec<String>, Vec<String>) {
    let bom: serde_json::Value = serde_json::from_slice(bytes).expect("the SBOM is JSON");
    assert_eq!(bom["bomFormat"], "CycloneDX");
    assert_eq!(bom["specVersion"], "1.5");
    assert_eq!(bom["metadata"]["component"]["name"], "pidone");
    assert_eq!(bom["metadata"]["component"]["version"], VERSION);
    let names = bom["components"]
        .as_array()
        .expect("components")
        .iter()
        .map(|c| {
            let hash = &c["hashes"][0];
            assert_eq!(hash["alg"], "SHA-256", "{c}");
            assert_eq!(hash["content"].as_str().map_or(0, str::len), 64, "{c}");
            c["name"].as_str().expect("name").to_string()
        })
        .collect();
    let root = format!("pkg:cargo/pidone@{VERSION}");
    let direct = bom["dependencies"]
        .as_array()
        .expect("dependencies")
        .iter()
        .find(|d| d["ref"] == root.as_str())
        .expect("the root's dependencies")["dependsOn"]
        .as_array()
        .expect("dependsOn")
        .iter()
        .map(|d| d.as_str().expect("a ref").to_string())
        .collect();
    (names, direct)
}

#[test]
fn two_release_builds_of_one_commit_are_byte_identical() {
    const TEST: &str = "two_release_builds_of_one_commit_are_byte_identical";
    if let Err(why) = can_build() {
        return missing(TEST, &why);
    }
    let a = first_release();
    let (dir, _) = scratch();
    // Another directory, of another length and depth, another CARGO_HOME, later, and an
    // environment that asks for debug info, no stripping, another time zone and locale.
    let b = release_in(
        &dir.join("second-clone").join("of-the-same-commit"),
        &[
            ("RUSTFLAGS", "-C debuginfo=2"),
            ("CARGO_PROFILE_RELEASE_STRIP", "false"),
            ("CARGO_PROFILE_RELEASE_DEBUG", "2"),
            ("TZ", "Pacific/Kiritimati"),
            ("LANG", "de_DE.UTF-8"),
        ],
        "077",
    );
    assert_eq!(a.revision, b.revision);

    let (files_a, files_b) = (a.files(), b.files());
    let binary = format!("pidone-{VERSION}-x86_64-linux-musl");
    for name in [
        "SHA256SUMS".to_string(),
        binary.clone(),
        format!("{binary}.sha256"),
        format!("pidone-{VERSION}.cdx.json"),
        format!("pidone-{VERSION}.buildinfo"),
    ] {
        assert!(files_a.contains_key(&name), "dist/{name} is missing");
    }
    assert_eq!(
        files_a.keys().collect::<Vec<_>>(),
        files_b.keys().collect::<Vec<_>>(),
        "the two builds wrote different files"
    );
    for (name, bytes) in &files_a {
        assert!(
            bytes == &files_b[name],
            "dist/{name} differs between {} and {}",
            a.src.display(),
            b.src.display()
        );
    }
    let sums = String::from_utf8_lossy(&files_a["SHA256SUMS"]).into_owned();
    say(&format!(
        "reproducible: both builds wrote the same bytes\n{sums}"
    ));

    // The checksum files are right, and name every other file.
    ok(
        Command::new("sha256sum")
            .args(["-c", "--strict", "SHA256SUMS"])
            .current_dir(a.dist()),
        COMMAND,
    );
    ok(
        Command::new("sha256sum")
            .args(["-c", "--strict", &format!("{binary}.sha256")])
            .current_dir(a.dist()),
        COMMAND,
    );
    let listed: Vec<&str> = sums
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .collect();
    let others: Vec<&str> = files_a
        .keys()
        .map(String::as_str)
        .filter(|n| *n != "SHA256SUMS")
        .collect();
    assert_eq!(listed, others, "SHA256SUMS must list every other file");

    // No path of either build machine in the binary.
    let bytes = &files_a[&binary];
    for release in [a, &b] {
        for path in [&release.src, &release.cargo_home] {
            let path = path.to_string_lossy();
            assert!(
                !bytes.windows(path.len()).any(|w| w == path.as_bytes()),
                "the binary contains the build path {path}"
            );
        }
    }
    let version = ok(Command::new(a.binary()).arg("--version"), COMMAND);
    assert_eq!(version, format!("pidone {VERSION}"));

    // The SBOM: the crates linked in, nothing built only for the build or the tests.
    let (names, direct) = sbom_summary(&files_a[&format!("pidone-{VERSION}.cdx.json")]);
    assert_eq!(names, ["bitflags", "cfg-if", "libc", "nix"]);
    assert!(
        direct.len() == 2
            && direct[0].starts_with("pkg:cargo/libc@")
            && direct[1].starts_with("pkg:cargo/nix@"),
        "pidone's own dependencies: {direct:?}"
    );
    let buildinfo = String::from_utf8_lossy(&files_a[&format!("pidone-{VERSION}.buildinfo")]);
    assert!(
        buildinfo.contains(&format!("revision: {}\n", a.revision)),
        "{buildinfo}"
    );
}

#[test]
fn the_image_holds_one_file_and_copy_from_it_works() {
    const TEST: &str = "the_image_holds_one_file_and_copy_from_it_works";
    if let Err(why) = can_build() {
        return missing(TEST, &why);
    }
    if !available("docker", "info") {
        return missing(TEST, "docker missing (`docker info` fails)");
    }
    if !Path::new(BUSYBOX).exists() {
        return missing(TEST, "busybox-static missing (/bin/busybox)");
    }
    let release = first_release();
    let (dir, tag) = scratch();
    let [image, user_image] = image_names(tag);

    // The README's `docker build -t pidone`, under a name of this run's own.
    docker_build(
        Command::new("docker")
            .args(["build", "-f"])
            .arg(release.src.join("Dockerfile.local"))
            .args(["--build-arg", &format!("REVISION={}", release.revision)])
            .args(["-t", &image])
            .arg(release.dist()),
    );

    // Exactly one layer, and in it exactly one file: the release binary, byte for byte.
    let saved = dir.join("saved");
    fs::create_dir_all(&saved).expect("create the save directory");
    ok(
        Command::new("sh").arg("-c").arg(format!(
            "docker save '{image}' | tar -x -C '{}'",
            saved.display()
        )),
        COMMAND,
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(saved.join("manifest.json")).expect("read manifest.json"))
            .expect("manifest.json is JSON");
    let layers = manifest[0]["Layers"].as_array().expect("Layers");
    assert_eq!(
        layers.len(),
        1,
        "the image has more than one layer: {layers:?}"
    );
    let layer = saved.join(layers[0].as_str().expect("a layer path"));
    let listing = ok(Command::new("tar").arg("-tf").arg(&layer), COMMAND);
    assert_eq!(listing, "pidone", "the image holds more than /pidone");
    ok(
        Command::new("tar")
            .arg("-xf")
            .arg(&layer)
            .arg("-C")
            .arg(&saved),
        COMMAND,
    );
    assert!(
        fs::read(saved.join("pidone")).expect("read /pidone")
            == fs::read(release.binary()).expect("read the release file"),
        "the image's /pidone is not the release file"
    );

    let inspect = |format: &str| {
        ok(
            Command::new("docker").args(["image", "inspect", "-f", format, &image]),
            COMMAND,
        )
    };
    assert_eq!(inspect("{{json .Config.Entrypoint}}"), r#"["/pidone"]"#);
    let labels: serde_json::Value =
        serde_json::from_str(&inspect("{{json .Config.Labels}}")).expect("labels are JSON");
    assert_eq!(labels["org.opencontainers.image.version"], VERSION);
    assert_eq!(
        labels["org.opencontainers.image.revision"],
        release.revision.as_str()
    );
    assert_eq!(labels["org.opencontainers.image.licenses"], "MIT");
    assert!(labels.get("org.opencontainers.image.source").is_some());
    say(&format!("pidone image: {} bytes", inspect("{{.Size}}")));

    // A user's image: FROM scratch, pidone copied from the image, a static shell as the app.
    let context = dir.join("user-image");
    fs::create_dir_all(&context).expect("create the user image's context");
    fs::copy(BUSYBOX, context.join("busybox")).expect("copy busybox");
    fs::write(
        context.join("Dockerfile"),
        format!(
            "FROM scratch\n\
             COPY --from={image} /pidone /pidone\n\
             COPY busybox /bin/busybox\n\
             ENTRYPOINT [\"/pidone\", \"--\"]\n\
             CMD [\"/bin/busybox\", \"sh\", \"-c\", \
             \"echo pid1=$(/bin/busybox cat /proc/1/comm) parent=$PPID; exit 7\"]\n"
        ),
    )
    .expect("write the user Dockerfile");
    docker_build(
        Command::new("docker")
            .args(["build", "-t", &user_image])
            .arg(&context),
    );
    let name = format!("dist-pidone-test-{tag}");
    let out = run(
        Command::new("docker").args([
            "run",
            "--rm",
            "--name",
            &name,
            "--network",
            "none",
            &user_image,
        ]),
        COMMAND,
    );
    assert_eq!(
        out.code,
        Some(7),
        "the app's exit code, through pidone: {}{}",
        out.stdout,
        out.stderr
    );
    assert_eq!(
        out.stdout.trim(),
        "pid1=pidone parent=1",
        "pidone must be PID 1 and the app its child: {}",
        out.stderr
    );
}

/// The section of a Dockerfile from its final-stage marker to the end.
fn final_stage(path: &Path) -> String {
    let text = fs::read_to_string(path).expect("read a Dockerfile");
    let at = text
        .find("# ---- final stage")
        .unwrap_or_else(|| panic!("{} has no final-stage marker", path.display()));
    text[at..].to_string()
}

/// The value of the first `ARG NAME=value` line.
fn arg_default(text: &str, name: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("ARG {name}=")))
        .map(str::to_string)
}

#[test]
fn dockerfile_and_its_local_variant_agree() {
    let dockerfile = repo().join("Dockerfile");
    let local = repo().join("Dockerfile.local");
    assert_eq!(
        final_stage(&dockerfile),
        final_stage(&local),
        "Dockerfile and Dockerfile.local must end in the same final stage"
    );
    for path in [&dockerfile, &local] {
        let text = fs::read_to_string(path).expect("read a Dockerfile");
        assert_eq!(
            arg_default(&text, "VERSION").as_deref(),
            Some(VERSION),
            "{}: ARG VERSION must default to Cargo.toml's version",
            path.display()
        );
    }
    // The build stage uses the Rust image Dockerfile.example pins, digest and all.
    let rust_image = |path: &Path| {
        fs::read_to_string(path)
            .expect("read a Dockerfile")
            .lines()
            .find_map(|l| {
                l.strip_prefix("FROM rust:")
                    .map(|rest| rest.split_whitespace().next().unwrap_or("").to_string())
            })
            .unwrap_or_else(|| panic!("{} has no FROM rust: line", path.display()))
    };
    let image = rust_image(&dockerfile);
    assert!(image.contains("@sha256:"), "not pinned by digest: {image}");
    assert_eq!(image, rust_image(&repo().join("Dockerfile.example")));
}
