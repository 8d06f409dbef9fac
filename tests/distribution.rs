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

use pidone_testkit as common;

use common::{Ran, run_command as run};

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

/// Runs `cmd`, which must succeed.
fn succeeds(cmd: &mut Command, timeout: Duration) -> Ran {
    let shown = format!("{cmd:?}");
    let out = run(cmd, timeout);
    assert!(
        out.ok(),
        "{shown} failed ({:?}):\n{}{}",
        out.code,
        out.stdout,
        out.stderr
    );
    out
}

/// Runs `cmd`, which must succeed; returns its trimmed stdout.
fn ok(cmd: &mut Command, timeout: Duration) -> String {
    succeeds(cmd, timeout).stdout.trim().to_string()
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
    let out = succeeds(args, COMMAND);
    let ids = out.stdout.lines().filter_map(|l| {
        let id = l.strip_prefix(" ---> ")?;
        (id.len() == 12 && id.bytes().all(|b| b.is_ascii_hexdigit())).then(|| id.to_string())
    });
    BUILT.lock().unwrap_or_else(|e| e.into_inner()).extend(ids);
}

/// Every image this run tagged, for the exit.
static IMAGES: Mutex<Vec<String>> = Mutex::new(Vec::new());

extern "C" fn remove_scratch() {
    let Some((dir, tag)) = SCRATCH.get() else {
        return;
    };
    for arch in ["x86_64", "aarch64"] {
        let _ = Command::new("docker")
            .args(["rm", "-f", &format!("dist-pidone-test-{tag}-{arch}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    let images = IMAGES.lock().map(|i| i.clone()).unwrap_or_default();
    for image in images {
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

    fn binary(&self, arch: &str) -> PathBuf {
        self.dist()
            .join(format!("pidone-{VERSION}-{arch}-linux-musl"))
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

/// Clones HEAD into `dir/pidone`, replacing whatever is there (a test that failed before
/// in this process leaves its clone behind); returns the clone and the commit.
fn clone_head(dir: &Path) -> (PathBuf, String) {
    let src = dir.join("pidone");
    let _ = fs::remove_dir_all(&src);
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
    (src, revision)
}

/// Clones HEAD into `dir/pidone`, gives it a CARGO_HOME of its own and runs
/// scripts/release.sh there, with `hostile` added to the environment.
fn release_in(dir: &Path, hostile: &[(&str, &str)], umask: &str) -> Release {
    let (src, revision) = clone_head(dir);
    let cargo_home = dir.join("cargo-home");
    // Whatever an earlier, failed attempt left here goes first.
    let _ = fs::remove_dir_all(&cargo_home);
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

/// Whether git can clone here for `test`; when not, it says why, loudly (a failure in CI).
fn can_build(test: &str) -> bool {
    let why = if !available("git", "--version") {
        "git missing".to_string()
    } else if !repo().join(".git").exists() {
        format!("{} is not a git checkout", repo().display())
    } else {
        return true;
    };
    missing(test, &why);
    false
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
    if !can_build(TEST) {
        return;
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
    // Every architecture this machine can build is in dist/, each with its checksum.
    let mut archs = vec!["x86_64"];
    for target in common::CROSS {
        match target.buildable() {
            Ok(()) => archs.push(target.arch),
            Err(missing) => missing.skip(&format!("{TEST} ({})", target.arch)),
        }
    }
    let mut expected = vec![
        "SHA256SUMS".to_string(),
        format!("pidone-{VERSION}.cdx.json"),
        format!("pidone-{VERSION}.buildinfo"),
    ];
    for arch in &archs {
        expected.push(format!("pidone-{VERSION}-{arch}-linux-musl"));
        expected.push(format!("pidone-{VERSION}-{arch}-linux-musl.sha256"));
    }
    expected.sort();
    assert_eq!(
        files_a.keys().collect::<Vec<_>>(),
        expected.iter().collect::<Vec<_>>(),
        "dist/ for {archs:?}"
    );
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
    for arch in &archs {
        ok(
            Command::new("sha256sum")
                .args(["-c", "--strict"])
                .arg(format!("pidone-{VERSION}-{arch}-linux-musl.sha256"))
                .current_dir(a.dist()),
            COMMAND,
        );
    }
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

    // No path of either build machine in any binary, and each says its version (the
    // others' under qemu-user, where binfmt_misc runs them).
    for arch in &archs {
        let name = format!("pidone-{VERSION}-{arch}-linux-musl");
        let bytes = &files_a[&name];
        for release in [a, &b] {
            for path in [&release.src, &release.cargo_home] {
                let path = path.to_string_lossy();
                assert!(
                    !bytes.windows(path.len()).any(|w| w == path.as_bytes()),
                    "{name} contains the build path {path}"
                );
            }
        }
        let runs = common::CROSS
            .iter()
            .find(|t| t.arch == *arch)
            .map_or(Ok(()), |t| t.runnable());
        match runs {
            Ok(()) => {
                let version = ok(Command::new(a.dist().join(&name)).arg("--version"), COMMAND);
                assert_eq!(version, format!("pidone {VERSION}"), "{name}");
            }
            Err(missing) => missing.skip(&format!("{TEST}: {name} --version")),
        }
    }

    // The SBOM: the crates linked in, nothing built only for the build or the tests.
    let (names, direct) = sbom_summary(&files_a[&format!("pidone-{VERSION}.cdx.json")]);
    assert_eq!(names, ["bitflags", "cfg-if", "libc", "nix"]);
    assert!(
        direct.len() == 2
            && direct[0].starts_with("pkg:cargo/libc@")
            && direct[1].starts_with("pkg:cargo/nix@"),
        "pidone's own dependencies: {direct:?}"
    );
    let bom: serde_json::Value =
        serde_json::from_slice(&files_a[&format!("pidone-{VERSION}.cdx.json")]).unwrap();
    let mut sbom_targets: Vec<&str> = bom["metadata"]["component"]["properties"]
        .as_array()
        .expect("the SBOM's properties")
        .iter()
        .filter(|p| p["name"] == "pidone:target")
        .filter_map(|p| p["value"].as_str())
        .map(|t| t.split('-').next().unwrap_or(t))
        .collect();
    sbom_targets.sort();
    let mut built = archs.clone();
    built.sort();
    assert_eq!(sbom_targets, built, "the SBOM names every target built");
    let buildinfo = String::from_utf8_lossy(&files_a[&format!("pidone-{VERSION}.buildinfo")]);
    assert!(
        buildinfo.contains(&format!("revision: {}\n", a.revision)),
        "{buildinfo}"
    );
}

/// A directory where `exclude` cannot be found on PATH: every other program of PATH,
/// linked in, first one found wins.
fn path_without(dir: &Path, exclude: &str) -> std::ffi::OsString {
    let bin = dir.join("bin");
    let _ = fs::remove_dir_all(&bin);
    fs::create_dir_all(&bin).expect("create the PATH directory");
    let path = std::env::var_os("PATH").unwrap_or_default();
    for entry in std::env::split_paths(&path).filter_map(|d| fs::read_dir(d).ok()) {
        for program in entry.flatten() {
            let name = program.file_name();
            if !name.to_string_lossy().starts_with(exclude) && !bin.join(&name).exists() {
                let _ = std::os::unix::fs::symlink(program.path(), bin.join(&name));
            }
        }
    }
    bin.into_os_string()
}

/// A machine with the aarch64 rustup target but not its linker still makes a release:
/// release.sh leaves aarch64 out with a WARNING and builds the rest (it used to exit 1).
/// `--targets` stops before the build, so this needs none.
#[test]
fn a_missing_cross_linker_only_leaves_its_target_out() {
    const TEST: &str = "a_missing_cross_linker_only_leaves_its_target_out";
    if !can_build(TEST) {
        return;
    }
    let (dir, _) = scratch();
    let (src, _) = clone_head(&dir.join("no-linker"));
    let path = path_without(&dir.join("no-linker"), "aarch64-linux-gnu-");
    let out = run(
        Command::new("scripts/release.sh")
            .arg("--targets")
            .current_dir(&src)
            .env("PATH", path),
        COMMAND,
    );
    assert!(
        out.ok(),
        "release.sh failed ({:?}):\n{}",
        out.code,
        out.stderr
    );
    let mut expected = vec!["x86_64-unknown-linux-musl"];
    for target in common::CROSS {
        if target.arch != "aarch64" && target.buildable().is_ok() {
            expected.push(target.triple);
        }
    }
    assert_eq!(
        out.stdout.lines().collect::<Vec<_>>(),
        expected,
        "{}",
        out.stderr
    );
    if common::AARCH64.buildable().is_ok() {
        assert!(
            out.stderr.contains(
                "WARNING: aarch64-unknown-linux-musl not built: its linker aarch64-linux-gnu-gcc is missing"
            ),
            "{}",
            out.stderr
        );
    }
}

/// A test that failed in this process leaves its clone behind; the next clone into the
/// same place replaces it instead of failing on it (which made one failure two).
#[test]
fn a_clone_left_behind_is_replaced() {
    const TEST: &str = "a_clone_left_behind_is_replaced";
    if !can_build(TEST) {
        return;
    }
    let (dir, _) = scratch();
    let dir = dir.join("left-behind");
    fs::create_dir_all(dir.join("pidone/target")).expect("create a leftover clone");
    fs::write(dir.join("pidone/leftover"), "from a failed test").expect("write into it");
    let (src, revision) = clone_head(&dir);
    assert!(
        !src.join("leftover").exists(),
        "the old clone is still there"
    );
    let head = ok(
        Command::new("git")
            .arg("-C")
            .arg(&src)
            .args(["rev-parse", "HEAD"]),
        COMMAND,
    );
    assert_eq!(head, revision);
}

#[test]
fn the_image_holds_one_file_and_copy_from_it_works() {
    const TEST: &str = "the_image_holds_one_file_and_copy_from_it_works";
    if !can_build(TEST) {
        return;
    }
    if !available("docker", "info") {
        return missing(TEST, "docker missing (`docker info` fails)");
    }
    if !Path::new(BUSYBOX).exists() {
        return missing(TEST, "busybox-static missing (/bin/busybox)");
    }
    let release = first_release();
    image_checks(release, "x86_64", "linux/amd64", BUSYBOX);
    // The arm64 image of Dockerfile.local, run under qemu-user like any arm64 image here.
    let aarch64 = common::AARCH64;
    match aarch64.buildable().and_then(|()| aarch64.runnable()) {
        Err(missing) => missing.skip(&format!("{TEST} (aarch64)")),
        Ok(()) if !Path::new(ARM64_BUSYBOX).exists() => {
            missing(TEST, &format!("{ARM64_BUSYBOX} missing (scripts/setup.sh)"))
        }
        Ok(()) => image_checks(release, "aarch64", "linux/arm64", ARM64_BUSYBOX),
    }
}

/// busybox-static:arm64, where scripts/setup.sh extracts it.
const ARM64_BUSYBOX: &str = "/var/cache/pidone/arm64/bin/busybox";

/// The image Dockerfile.local makes of one architecture's release file holds that file
/// alone, and a user's FROM scratch image for the same platform that copies it runs with
/// pidone as PID 1.
fn image_checks(release: &Release, arch: &str, platform: &str, busybox: &str) {
    let (dir, tag) = scratch();
    let [image, user_image] = image_names(tag).map(|name| format!("{name}-{arch}"));
    IMAGES
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .extend([image.clone(), user_image.clone()]);
    // The README's `docker build -t pidone`, under a name of this run's own.
    docker_build(
        Command::new("docker")
            .args(["build", "--platform", platform])
            // The legacy builder's cache does not tell platforms apart: the amd64 image's
            // steps would come back as the arm64 image's (docs/install.md).
            .args(if arch == "x86_64" {
                &[][..]
            } else {
                &["--no-cache"][..]
            })
            .arg("-f")
            .arg(release.src.join("Dockerfile.local"))
            .args(["--build-arg", &format!("REVISION={}", release.revision)])
            .args(["--build-arg", &format!("ARCH={arch}")])
            .args(["-t", &image])
            .arg(release.dist()),
    );

    // Exactly one layer, and in it exactly one file: the release binary, byte for byte.
    let saved = dir.join(format!("saved-{arch}"));
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
            == fs::read(release.binary(arch)).expect("read the release file"),
        "the image's /pidone is not the release file"
    );

    let inspect = |format: &str| {
        ok(
            Command::new("docker").args(["image", "inspect", "-f", format, &image]),
            COMMAND,
        )
    };
    assert_eq!(inspect("{{json .Config.Entrypoint}}"), r#"["/pidone"]"#);
    assert_eq!(inspect("{{.Os}}/{{.Architecture}}"), platform);
    let labels: serde_json::Value =
        serde_json::from_str(&inspect("{{json .Config.Labels}}")).expect("labels are JSON");
    assert_eq!(labels["org.opencontainers.image.version"], VERSION);
    assert_eq!(
        labels["org.opencontainers.image.revision"],
        release.revision.as_str()
    );
    assert_eq!(labels["org.opencontainers.image.licenses"], "MIT");
    assert!(labels.get("org.opencontainers.image.source").is_some());
    say(&format!(
        "pidone image ({arch}): {} bytes",
        inspect("{{.Size}}")
    ));

    // A user's image: FROM scratch, pidone copied from the image, a static shell as the app.
    let context = dir.join(format!("user-image-{arch}"));
    fs::create_dir_all(&context).expect("create the user image's context");
    fs::copy(busybox, context.join("busybox")).expect("copy busybox");
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
            .args(["build", "--platform", platform, "-t", &user_image])
            .arg(&context),
    );
    let name = format!("dist-pidone-test-{tag}-{arch}");
    let out = run(
        Command::new("docker").args([
            "run",
            "--platform",
            platform,
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
        "{arch}: the app's exit code, through pidone: {}{}",
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
    // The build stage runs on the build machine's platform and cross-compiles for each
    // target's, with the Rust release Dockerfile.example pins (there by digest too; here
    // Debian's image, which has the arm64 cross gcc, by tag: docs/install.md).
    let rust_image = |path: &Path| {
        fs::read_to_string(path)
            .expect("read a Dockerfile")
            .lines()
            .filter_map(|l| l.strip_prefix("FROM "))
            .flat_map(str::split_whitespace)
            .find_map(|word| word.strip_prefix("rust:").map(str::to_string))
            .unwrap_or_else(|| panic!("{} has no FROM rust: line", path.display()))
    };
    let example = rust_image(&repo().join("Dockerfile.example"));
    assert!(
        example.contains("@sha256:"),
        "not pinned by digest: {example}"
    );
    let release = |image: &str| image.split('-').next().unwrap_or("").to_string();
    assert_eq!(release(&rust_image(&dockerfile)), release(&example));
    let text = fs::read_to_string(&dockerfile).expect("read Dockerfile");
    assert!(
        text.contains("FROM --platform=$BUILDPLATFORM rust:"),
        "the build stage must run on the build machine's platform"
    );
    for arch in [
        "amd64) target=x86_64-unknown-linux-musl",
        "arm64) target=aarch64-unknown-linux-musl",
    ] {
        assert!(text.contains(arch), "Dockerfile does not build {arch}");
    }
}
