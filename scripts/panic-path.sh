#!/usr/bin/env bash
# Shows the call path from main to std's panic runtime in an unstripped release build, or
# says none is reachable. Use it when the size test fails: it names the culprit.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${CARGO_TARGET_DIR_UNSTRIPPED:-target/unstripped}
CARGO_PROFILE_RELEASE_STRIP=false CARGO_TARGET_DIR=$dir cargo build --release --quiet --bin pidone
exec python3 scripts/panic_path.py "$dir/x86_64-unknown-linux-musl/release/pidone" main
