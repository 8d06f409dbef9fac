#!/usr/bin/env bash
# Mutation testing of the decision code, on demand (not part of scripts/test.sh): cargo-mutants
# changes the code itself (a `>` becomes `>=`, a function returns a default, a match arm is
# deleted) and runs the fast unit tests against each change. A mutant the tests do not
# notice ("missed") is a behaviour no test pins down. Prints the caught and missed mutants
# and the share caught.
#
#   scripts/mutants.sh              the state machine, the config and the CLI
#   scripts/mutants.sh FILE-GLOB... only these files, e.g. 'src/machine/*.rs'
#   MUTANTS_JOBS=N (default 2) builds at once; MUTANTS_OUT=DIR (default target/mutants)
#
# Needs cargo-mutants (installed here from crates.io on first use).
set -euo pipefail
cd "$(dirname "$0")/.."

command -v cargo-mutants >/dev/null || cargo install --locked cargo-mutants
globs=("$@")
if ((${#globs[@]} == 0)); then
    globs=(src/machine.rs 'src/machine/*.rs' src/config.rs 'src/cli/*.rs' src/decimal.rs
        src/duration.rs src/signals.rs)
fi
args=()
for g in "${globs[@]}"; do
    args+=(--file "$g")
done
# The tests themselves are not mutated; the unit tests (`--lib`) are the fast ones the
# mutants are judged by, in the debug profile.
# MUTANTS_OUT: where the results go (default target/mutants), so two sets can run at once.
out=${MUTANTS_OUT:-target/mutants}
mkdir -p "$out"
status=0
cargo mutants "${args[@]}" --exclude '**/tests.rs' --exclude '**/tests/*.rs' \
    --cargo-arg=--lib --jobs "${MUTANTS_JOBS:-2}" --output "$out" || status=$?
dir=$out/mutants.out
caught=$(wc -l <"$dir/caught.txt")
missed=$(wc -l <"$dir/missed.txt")
timeout=$(wc -l <"$dir/timeout.txt")
unviable=$(wc -l <"$dir/unviable.txt")
echo "missed mutants:"
sed 's/^/  /' "$dir/missed.txt"
viable=$((caught + missed + timeout))
echo "mutants: $caught caught, $missed missed, $timeout timed out, $unviable unviable"
if ((viable > 0)); then
    echo "caught: $(((caught + timeout) * 100 / viable))% of viable mutants (timeouts count as caught)"
fi
# cargo-mutants exits 2 when some mutants were missed: reported above, not an error here.
((status == 0 || status == 2))
