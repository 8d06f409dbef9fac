#!/usr/bin/env bash
# pidone's benchmark against tini, dumb-init and catatonit: speed, size and memory,
# measured on demand, never asserted in the tests.
#
#   bench/run.sh [--quick] [--no-docker]
#
# Installs Debian's tini, tini-static, dumb-init, catatonit and hyperfine if missing, builds
# pidone and the static helpers (bench/helpers/bench_*.rs, built as cargo examples), then runs bench/bench.py, which
# prints one Markdown table and writes bench/results/latest.json (raw samples) and
# bench/results/latest.md (the table). Needs root (PID namespaces, Docker). A full run
# takes about 2–3 minutes on 2 cores; --quick about 1. Never part of the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
    echo "bench/run.sh: needs root (unshare --pid --fork --mount-proc, docker)" >&2
    exit 1
fi

# Package name, then the file it provides.
wanted=(
    tini /usr/bin/tini
    tini-static /usr/bin/tini-static
    dumb-init /usr/bin/dumb-init
    catatonit /usr/bin/catatonit
    hyperfine /usr/bin/hyperfine
)
missing=()
for ((i = 0; i < ${#wanted[@]}; i += 2)); do
    [ -x "${wanted[i + 1]}" ] || missing+=("${wanted[i]}")
done
for tool in unshare python3 cargo; do
    command -v "$tool" >/dev/null || { echo "bench/run.sh: $tool is missing" >&2; exit 1; }
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "bench/run.sh: installing ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

echo "bench/run.sh: building pidone and the helpers" >&2
cargo build --release --bin pidone --examples >&2

exec python3 bench/bench.py "$@"
