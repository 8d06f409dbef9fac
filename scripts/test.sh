#!/usr/bin/env bash
# The whole test suite: set-up, formatting, lints, every test (as PID 1 of fresh PID
# namespaces and in real Docker containers), the release binary's size and panic checks
# among them (tests/release.rs).
# Needs root (unshare, docker). CI runs exactly this through .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
cargo fmt --all -- --check
cargo clippy --release --all-targets -- -D warnings

marker=target/docker-tests-ran
rm -f "$marker"
log=target/test-output.log
mkdir -p target
: >"$log"
# The fast tests in the debug profile too: overflow checks are on there, so arithmetic that
# only release's wrapping made harmless fails here. The unit tests (state machine, config,
# parsers) and the command-line property and hostile-input tests; seconds.
cargo test --lib 2>&1 | tee -a "$log"
cargo test --test cli_input 2>&1 | tee -a "$log"
# Everything, on the release binary that ships.
cargo test --release --no-fail-fast 2>&1 | tee -a "$log"
# Other architectures (docs/testing.md, "Other architectures"): tests/arm64.rs ran the
# aarch64 binary above; here the same tests run against each further target's release
# build. A target this machine cannot build says so and is skipped.
buildable=$(scripts/release.sh --targets 2>/dev/null)
for target in i686-unknown-linux-musl; do
    if grep -qx "$target" <<<"$buildable"; then
        CARGO_TARGET_DIR=target/cross cargo build --release --quiet --bin pidone --target "$target"
        PIDONE_BIN=$PWD/target/cross/$target/release/pidone cargo test --release --test arm64 2>&1 | tee -a "$log"
    else
        echo "SKIP: tests/arm64.rs on $target: not built here (scripts/release.sh --targets says why)" | tee -a "$log"
    fi
done
# The fuzzers: each target replays its corpus and fuzzes briefly (docs/fuzzing.md).
scripts/fuzz-smoke.sh 2>&1 | tee -a "$log"

# The Docker tests say loudly when the engine is absent and skip; each one that ran writes
# a `ran NAME` line to the marker. In CI an engine that answers while no Docker test ran
# means something is broken, not absent.
if [[ -n "${CI:-}" ]] && docker info >/dev/null 2>&1 && ! grep -q '^ran ' "$marker" 2>/dev/null; then
    echo "FAIL: CI is set and the Docker engine answers, but the Docker tests did not run" >&2
    exit 1
fi
echo "all checks passed"
# The closing line: the whole suite, summed over every test binary.
awk '/^test result:/ { p += $4; f += $6 } /^fuzz: [0-9]+ passed/ { p += $2; f += $4 }
    END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
