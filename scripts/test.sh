#!/usr/bin/env bash
# The whole test suite: set-up, formatting, lints, every test (as PID 1 of fresh PID
# namespaces and in real Docker containers), the release binary's size and panic checks
# among them (tests/release.rs), and the fuzzers' smoke run.
# Needs root (unshare, docker). CI runs exactly this through .ci/run.
#
# Every step runs, whatever failed before it: one failure must not hide the others. The
# closing line always prints, counting failed tests and failed steps, and the exit status
# is non-zero when anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."

mkdir -p target
log=target/test-output.log
: >"$log"
marker=target/docker-tests-ran
rm -f "$marker"
failed_steps=()

# Runs one step, its output to the terminal and the log; remembers it when it fails.
step() {
    local name=$1
    shift
    echo "== $name" | tee -a "$log"
    if ! "$@" 2>&1 | tee -a "$log"; then
        echo "== $name: FAILED" | tee -a "$log"
        failed_steps+=("$name")
    fi
}

ci_docker_ran() {
    # The Docker tests say loudly when the engine is absent and skip; each one that ran
    # writes a `ran NAME` line to the marker. In CI an engine that answers while no Docker
    # test ran means something is broken, not absent.
    if [[ -n "${CI:-}" ]] && docker info >/dev/null 2>&1 && ! grep -q '^ran ' "$marker" 2>/dev/null; then
        echo "FAIL: CI is set and the Docker engine answers, but the Docker tests did not run" >&2
        return 1
    fi
}

step setup scripts/setup.sh
step fmt cargo fmt --all -- --check
step clippy cargo clippy --release --all-targets -- -D warnings
# The fast tests in the debug profile too: overflow checks are on there, so arithmetic that
# only release's wrapping made harmless fails here. The unit tests (state machine, config,
# parsers) and the command-line property and hostile-input tests; seconds.
step "unit tests (debug)" cargo test --lib
step "cli_input (debug)" cargo test --test cli_input
# The binary that ships, built once; then everything, against it. The tests and fixtures
# build in the `suite` profile (release without whole-program LTO: Cargo.toml), and
# the harness (testkit/) runs the release binary.
step "release build" cargo build --release
step tests cargo test --profile suite --no-fail-fast
# Other architectures (docs/testing.md, "Other architectures"): tests/arm64.rs ran the
# aarch64 binary above; here the same tests run against each further target's release
# build. A target this machine cannot build says so and is skipped.
other_architectures() {
    local buildable target failed=0
    buildable=$(scripts/release.sh --targets 2>/dev/null)
    for target in i686-unknown-linux-musl; do
        if grep -qx "$target" <<<"$buildable"; then
            CARGO_TARGET_DIR=target/cross cargo build --release --quiet --bin pidone --target "$target" &&
                PIDONE_BIN=$PWD/target/cross/$target/release/pidone cargo test --profile suite --test arm64 ||
                failed=1
        else
            echo "SKIP: tests/arm64.rs on $target: not built here (scripts/release.sh --targets says why)"
        fi
    done
    return $failed
}
step "other architectures" other_architectures
# The fuzzers: each target replays its corpus and fuzzes briefly (docs/fuzzing.md).
step fuzz scripts/fuzz-smoke.sh
step "docker tests ran" ci_docker_ran

# The closing line: the whole suite, summed over every test binary and the fuzzers, and
# the steps that failed (a step can fail with no test failing: fmt, clippy, a build).
summary=$(awk '/^test result:/ { p += $4; f += $6 } /^fuzz: [0-9]+ passed/ { p += $2; f += $4 }
    END { printf "%d %d", p, f }' "$log")
read -r passed failed <<<"$summary"
if ((${#failed_steps[@]})); then
    echo "failed steps: ${failed_steps[*]}"
    echo "tests: $passed passed, $failed failed; ${#failed_steps[@]} steps failed"
    exit 1
fi
echo "tests: $passed passed, $failed failed"
((failed == 0))
