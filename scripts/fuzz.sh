#!/usr/bin/env bash
# A long fuzzing campaign on demand (docs/fuzzing.md):
#   scripts/fuzz.sh TARGET MINUTES     TARGET: cli, values, user or log
#   scripts/fuzz.sh --build            only build the libFuzzer binaries
# The corpus grows in fuzz/target/campaign/TARGET (the committed fuzz/corpus/TARGET is read,
# never written); a failing input lands in fuzz/target/artifacts/. At the end: executions,
# executions per second, edges covered of all instrumented edges, and findings.
# Runs under `nice -n 19`. The user target needs root (it enters a mount namespace).
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

triple=x86_64-unknown-linux-gnu
bin=target/$triple/release

# libFuzzer on the stable toolchain: rustc's own SanitizerCoverage pass, no -Z flag, no
# sanitizer runtime; libfuzzer-sys builds and links libFuzzer itself. --target keeps these
# flags off build scripts. The release profile keeps overflow checks and debug assertions.
build() {
    RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing" \
        nice -n 19 cargo build --quiet --locked --release --features libfuzzer --target "$triple" --bins
}

if [[ "${1:-}" == "--build" ]]; then
    build
    exit 0
fi
if (($# != 2)) || [[ ! -d "corpus/$1" ]] || ! [[ "$2" =~ ^[0-9]+$ ]]; then
    echo "usage: scripts/fuzz.sh TARGET MINUTES   (TARGET: $(ls corpus | tr '\n' ' '))" >&2
    exit 2
fi
target=$1
minutes=$2
build
work=target/campaign/$target
artifacts=target/artifacts
mkdir -p "$work" "$artifacts"
dict=()
[[ -f dict/$target.dict ]] && dict=(-dict="dict/$target.dict")
# The user corpus holds files of up to 100 KB (4100 groups); mutate smaller ones.
[[ $target == user ]] && dict+=(-max_len=16384)
log=target/campaign/$target.log
echo "fuzzing $target for $minutes min; log: fuzz/$log"
status=0
before=$(find "$artifacts" -name "$target-*" | wc -l)
# Fork mode (FUZZ_FORK=1, the default): a failing input is saved and the campaign goes on,
# so one known finding does not end it; every child process runs the target's init (the
# user target's namespace) anew. FUZZ_FORK=0 fuzzes in one process, faster where each
# input is costly, and stops at the first finding.
fork=()
[[ ${FUZZ_FORK:-1} == 1 ]] && fork=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
start=$(date +%s)
nice -n 19 "$bin/$target" "${fork[@]}" -print_final_stats=1 \
    -max_total_time=$((minutes * 60)) -timeout=10 -artifact_prefix="$artifacts/$target-" \
    "${dict[@]}" "$work" "corpus/$target" >"$log" 2>&1 || status=$?
elapsed=$(($(date +%s) - start))

total=$(grep -o 'Loaded 1 modules *([0-9]* inline 8-bit counters' "$log" | head -1 | grep -o '([0-9]*' | tr -d '(')
last=$(grep -E '^#[0-9]+' "$log" | grep 'cov: ' | tail -1)
execs=$(grep -o 'number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$' ||
    grep -o '^#[0-9]*' <<<"$last" | tr -d '#')
cov=$(grep -o 'cov: [0-9]*' <<<"$last" | grep -o '[0-9]*$')
ft=$(grep -o 'ft: [0-9]*' <<<"$last" | grep -o '[0-9]*$')
findings=$(($(find "$artifacts" -name "$target-*" | wc -l) - before))
echo "$target: ${execs:-?} executions in ${elapsed} s ($((${execs:-0} / (elapsed > 0 ? elapsed : 1))) exec/s)," \
    "coverage ${cov:-?} of ${total:-?} edges, ${ft:-?} features, corpus $(ls "$work" | wc -l) inputs," \
    "findings $findings (fuzz/$artifacts/$target-*)"
if ((status != 0 || findings > 0)); then
    echo "FAILED: $target: see fuzz/$log" >&2
    grep -E -A3 'panicked at' "$log" | head -40 >&2 || tail -20 "$log" >&2
    exit 1
fi
