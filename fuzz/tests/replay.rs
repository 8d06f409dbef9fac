//! Replays every committed corpus through the properties, in the debug profile (overflow
//! checks on), without libFuzzer: `cargo test --test replay` in fuzz/. The `user` corpus
//! needs root (a private mount namespace over /etc/passwd); without it it says SKIP, and
//! fails instead in CI.

use std::path::Path;

/// Replays one corpus; returns (passed, failed).
fn replay(target: &str, check: fn(&[u8])) -> (usize, usize) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{}: empty corpus", dir.display());
    let mut failed = 0;
    for file in &files {
        let data = std::fs::read(file).unwrap();
        if std::panic::catch_unwind(|| check(&data)).is_err() {
            eprintln!("FAILED: {target} {}", file.display());
            failed += 1;
        }
    }
    (files.len() - failed, failed)
}

fn main() {
    let root = unsafe { libc::geteuid() } == 0;
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    pidone_fuzz::cli::init();
    pidone_fuzz::values::init();
    pidone_fuzz::log::init();
    for (target, check) in [
        ("cli", pidone_fuzz::cli::check as fn(&[u8])),
        ("values", pidone_fuzz::values::check),
        ("log", pidone_fuzz::log::check),
    ] {
        let (p, f) = replay(target, check);
        (passed, failed) = (passed + p, failed + f);
    }
    if root {
        pidone_fuzz::user::init();
        let (p, f) = replay("user", pidone_fuzz::user::check);
        (passed, failed) = (passed + p, failed + f);
    } else if std::env::var_os("CI").is_some() {
        panic!("FAIL: the user corpus needs root (a mount namespace), and CI is set");
    } else {
        eprintln!("SKIP: user corpus: not root (needs a private mount namespace)");
        skipped += 1;
    }
    println!("replay: {passed} passed, {failed} failed, {skipped} skipped");
    if failed > 0 {
        std::process::exit(1);
    }
}
