//! scripts/test.sh, the README's test command, run against stand-ins: a `cargo` that fails
//! or passes on demand, and a set-up and fuzz smoke run that only say they ran. A failing
//! step must not hide the steps after it, and the closing line must count it.

use pidone_testkit as common;

use common::TempDir;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

fn script(path: &str, body: &str) {
    fs::write(path, format!("#!/usr/bin/env bash\n{body}\n")).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

/// Runs a copy of scripts/test.sh in `dir` with `cargo` as given; returns its exit code
/// and its output's last line.
fn run_test_sh(dir: &TempDir, cargo: &str) -> (Option<i32>, String) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    fs::create_dir_all(dir.path("scripts")).unwrap();
    fs::create_dir_all(dir.path("bin")).unwrap();
    fs::copy(repo.join("scripts/test.sh"), dir.path("scripts/test.sh")).unwrap();
    script(&dir.path("scripts/setup.sh"), "exit 0");
    script(
        &dir.path("scripts/fuzz-smoke.sh"),
        "touch fuzz-ran; echo 'fuzz: 2 passed, 0 failed'",
    );
    script(&dir.path("bin/cargo"), cargo);
    let path = format!("{}:{}", dir.path("bin"), std::env::var("PATH").unwrap());
    let out = Command::new("bash")
        .arg(dir.path("scripts/test.sh"))
        .env("PATH", path)
        .env_remove("CI")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap_or("").to_string();
    (out.status.code(), last)
}

#[test]
fn test_sh_runs_every_step_and_counts_a_failed_one() {
    let dir = TempDir::new("test-sh-fmt");
    // `cargo fmt --check` fails; every `cargo test` passes five tests.
    let (code, last) = run_test_sh(
        &dir,
        r#"case $1 in
            fmt) exit 1 ;;
            test) echo "test result: ok. 5 passed; 0 failed; 0 ignored; 0 measured" ;;
        esac"#,
    );
    assert!(
        Path::new(&dir.path("fuzz-ran")).exists(),
        "the fuzz smoke run did not run after a failed step"
    );
    assert_eq!(last, "tests: 17 passed, 0 failed; 1 steps failed");
    assert_eq!(code, Some(1));
}

#[test]
fn test_sh_counts_failed_tests_and_fails() {
    let dir = TempDir::new("test-sh-tests");
    let (code, last) = run_test_sh(
        &dir,
        r#"if [[ $1 == test ]]; then
            echo "test result: FAILED. 4 passed; 1 failed; 0 ignored; 0 measured"
            exit 101
        fi"#,
    );
    assert!(Path::new(&dir.path("fuzz-ran")).exists());
    assert_eq!(last, "tests: 14 passed, 3 failed; 3 steps failed");
    assert_eq!(code, Some(1));
}

#[test]
fn test_sh_passes_when_everything_passes() {
    let dir = TempDir::new("test-sh-ok");
    let (code, last) = run_test_sh(
        &dir,
        r#"[[ $1 == test ]] && echo "test result: ok. 5 passed; 0 failed; 0 ignored; 0 measured"; exit 0"#,
    );
    assert_eq!(last, "tests: 17 passed, 0 failed");
    assert_eq!(code, Some(0));
}
