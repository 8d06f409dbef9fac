//! `pidone health` as the HEALTHCHECK of a real container: a `FROM scratch` image with
//! pidone as PID 1 and busybox's httpd as the application, the check in exec form (the
//! image's shell serves the CGI, never the check). Docker's own view, `docker inspect
//! -f '{{.State.Health.Status}}'`, must turn healthy, then unhealthy when the endpoint
//! answers 500, healthy again, then unhealthy once the server is gone, and the failed
//! checks' output must be pidone's one-line reasons.
//!
//! The health status announces itself on no pipe, so the test polls `docker inspect`,
//! with a deadline that fails the test. Needs Docker and Debian's busybox-static; in CI
//! (env CI set) a missing one fails the test, elsewhere it is skipped loudly.

use pidone_testkit as common;

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const BUSYBOX: &str = "/bin/busybox";
/// How long a health status may take to change: a few 1 s check intervals, on a busy
/// machine.
const TURN: Duration = Duration::from_secs(60);

/// The endpoint answers 500 while /sick exists in the container.
const CGI: &str = "#!/bin/busybox sh
if [ -e /sick ]; then
    printf 'Status: 500 Sick\\r\\nContent-Type: text/plain\\r\\n\\r\\nsick\\n'
else
    printf 'Content-Type: text/plain\\r\\n\\r\\nok\\n'
fi
";

/// The check's own timeout is 4 s (Docker's is 5 s): with `--retries=1`, one check that a
/// loaded machine made slower than a 1 s timeout would show unhealthy, and the wrong reason.
const DOCKERFILE: &str = r#"FROM scratch
COPY pidone /pidone
COPY busybox /bin/busybox
COPY www /www
HEALTHCHECK --interval=1s --timeout=5s --retries=1 CMD ["/pidone", "health", "--timeout", "4s", "http://127.0.0.1:8080/cgi-bin/health"]
ENTRYPOINT ["/pidone", "--"]
CMD ["/bin/busybox", "sh", "-c", "/bin/busybox httpd -f -p 127.0.0.1:8080 -h /www & echo $! >/httpd.pid; exec /bin/busybox sleep 2147483647"]
"#;

/// Fails in CI, skips loudly elsewhere.
fn missing(what: &str) {
    if std::env::var_os("CI").is_some() {
        panic!("{what} is missing, and CI is set: the health container test must run");
    }
    // Past the harness's capture of eprintln!, so that a normal run shows it.
    let _ = writeln!(
        std::io::stderr(),
        "SKIP: {what} missing: the health container test did not run"
    );
}

use common::{docker, docker_try};

/// Removes the container and the image, whatever happened to the test.
struct Cleanup {
    container: String,
    image: String,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = docker_try(&["rm", "-f", "-v", &self.container]);
        let _ = docker_try(&["rmi", "-f", &self.image]);
    }
}

/// Docker's record of the health checks: the status and the last check's output.
fn health_of(container: &str) -> (String, i64, String) {
    let json = docker(&["inspect", "-f", "{{json .State.Health}}", container]);
    let health: serde_json::Value = serde_json::from_str(&json).expect("health JSON");
    let status = health["Status"].as_str().unwrap_or("").to_string();
    let last = health["Log"].as_array().and_then(|log| log.last()).cloned();
    let last = last.unwrap_or_default();
    let code = last["ExitCode"].as_i64().unwrap_or(-1);
    (
        status,
        code,
        last["Output"].as_str().unwrap_or("").to_string(),
    )
}

/// Polls until Docker reports `want`; returns the last check's exit code and output.
fn wait_for_health(container: &str, want: &str) -> (i64, String) {
    let deadline = Instant::now() + TURN;
    loop {
        let (status, code, output) = health_of(container);
        if status == want {
            return (code, output);
        }
        let running = docker(&["inspect", "-f", "{{.State.Running}}", container]);
        assert_eq!(
            running, "true",
            "the container stopped; last check: {code} {output}"
        );
        assert!(
            Instant::now() < deadline,
            "health still {status:?}, not {want:?}, after {TURN:?}; last check: {code} {output}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn healthcheck_in_a_scratch_image() {
    if docker_try(&["info", "--format", "{{.ServerVersion}}"]).0 != Some(0) {
        return missing("a Docker engine");
    }
    if !Path::new(BUSYBOX).exists() {
        return missing("/bin/busybox (Debian's busybox-static)");
    }
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let run = format!("{}-{:x}", std::process::id(), nanos & 0xff_ffff_ffff);
    let cleanup = Cleanup {
        container: format!("health-test-{run}"),
        image: format!("health-test:{run}"),
    };

    let context = std::env::temp_dir().join(format!("health-docker-{run}"));
    let cgi = context.join("www/cgi-bin/health");
    fs::create_dir_all(cgi.parent().unwrap()).unwrap();
    fs::copy(common::pidone(), context.join("pidone")).unwrap();
    fs::copy(BUSYBOX, context.join("busybox")).unwrap();
    fs::write(&cgi, CGI).unwrap();
    fs::set_permissions(&cgi, fs::Permissions::from_mode(0o755)).unwrap();
    fs::write(context.join("Dockerfile"), DOCKERFILE).unwrap();
    let label = format!("org.pidone.test=health-{run}");
    let built = docker_try(&[
        "build",
        "-q",
        "--label",
        &label,
        "-t",
        &cleanup.image,
        context.to_str().unwrap(),
    ]);
    let _ = fs::remove_dir_all(&context);
    assert_eq!(built.0, Some(0), "docker build: {}{}", built.1, built.2);

    let name = cleanup.container.as_str();
    docker(&[
        "run",
        "-d",
        "--name",
        name,
        "--label",
        &label,
        "--network",
        "none",
        &cleanup.image,
    ]);

    let (code, output) = wait_for_health(name, "healthy");
    assert_eq!(
        (code, output.as_str()),
        (0, ""),
        "a passing check is silent"
    );

    docker(&["exec", name, BUSYBOX, "touch", "/sick"]);
    let (code, output) = wait_for_health(name, "unhealthy");
    assert_eq!(code, 1, "{output}");
    assert_eq!(
        output.trim_end(),
        "pidone health: http://127.0.0.1:8080/cgi-bin/health: status 500 (accepted: 200-399)"
    );

    docker(&["exec", name, BUSYBOX, "rm", "/sick"]);
    wait_for_health(name, "healthy");

    // The same binary, run by hand in the container: exit codes and the tcp:// form.
    let probe = |url: &str| docker_try(&["exec", name, "/pidone", "health", url]);
    assert_eq!(probe("tcp://127.0.0.1:8080").0, Some(0));
    assert_eq!(
        probe("http://[::1]:8080/").0,
        Some(1),
        "httpd listens on 127.0.0.1 only"
    );
    let usage = probe("http://app:8080/");
    assert_eq!(usage.0, Some(2), "{usage:?}");
    assert!(usage.2.contains("no DNS"), "{usage:?}");

    // The server goes away; the application (the shell's sleep) stays.
    let httpd = docker(&["exec", name, BUSYBOX, "cat", "/httpd.pid"]);
    docker(&["exec", name, BUSYBOX, "kill", &httpd]);
    let (code, output) = wait_for_health(name, "unhealthy");
    assert_eq!(code, 1, "{output}");
    assert_eq!(
        output.trim_end(),
        "pidone health: http://127.0.0.1:8080/cgi-bin/health: connection refused"
    );
    assert_eq!(probe("tcp://127.0.0.1:8080").0, Some(1));
}
