//! The grace, seen from the app's side: shared by the core, shutdown, feature and arm64
//! tests, so each checks a SIGKILL after a grace the same way.

use crate::*;
use std::time::{Duration, Instant};

/// pidone with `flags` and `env` in front of `stubborn`, which ignores SIGTERM, SIGINT and
/// SIGQUIT, once it is ready.
pub fn stubborn(mode: Mode, flags: &[&str], env: &[(&str, &str)]) -> Proc {
    let app = example("stubborn");
    let mut args = flags.to_vec();
    args.extend(["--", &app]);
    let mut cmd = command(mode, &args);
    cmd.envs(env.iter().copied());
    let p = spawn(mode, cmd);
    p.until("ready");
    p
}

/// Waits for `p`, whose app ignores the stop signal sent at `sent`: pidone SIGKILLs it
/// (137) no earlier than `at_least` after that signal, and before `before` (a bound that
/// catches a grace never enforced, not a speed check). `case` names the run in messages.
/// Returns how pidone ended, for what else the test checks.
pub fn killed_after(
    p: Proc,
    sent: Instant,
    at_least: Duration,
    before: Duration,
    case: &str,
) -> Outcome {
    let out = p.wait();
    let took = sent.elapsed();
    assert_eq!(out.code(), 137, "{case}: {}", out.stderr);
    assert!(
        took >= at_least,
        "{case}: SIGKILL {took:?} after the signal, before {at_least:?}: {}",
        out.stderr
    );
    assert!(took < before, "{case}: far past the grace: {took:?}");
    out
}
