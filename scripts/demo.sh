#!/usr/bin/env bash
# Builds the static pidone binary on a fresh machine and shows it at work as PID 1 of a
# fresh PID namespace: a signal forwarded, orphans reaped, and a grace-period kill.
# Needs root (for unshare).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
cargo build --release --bin pidone --examples
bin=target/x86_64-unknown-linux-musl/release
pidone=$bin/pidone
ls -l "$pidone" && file "$pidone"

pid1() { unshare --pid --fork --mount-proc --kill-child -- "$pidone" "$@"; }

# Starts pidone as PID 1 in the background (output merged on APP), waits for the app's
# "ready" line, and sets $init to pidone's pid as seen from here.
start() {
    coproc APP { pid1 "$@" 2>&1; }
    app_pid=$APP_PID
    exec 3<&"${APP[0]}"
    while read -r line <&3; do
        echo "$line"
        [[ $line == ready* ]] && break
    done
    init=$app_pid   # follow the first child down (subshell, unshare) to pidone itself
    until [[ $(cat "/proc/$init/comm") == pidone ]]; do
        init=$(cut -d' ' -f1 "/proc/$init/task/$init/children")
    done
}
finish() { cat <&3 || true; wait "$app_pid"; echo "pidone exited with $?"; }

echo
echo "== 1. A signal sent to PID 1 reaches the application (sigecho prints what it gets)"
start -v -- "$bin/examples/sigecho"
echo "\$ kill -HUP <pidone>"; kill -HUP "$init"
read -r line <&3 && echo "$line"
read -r line <&3 && echo "$line"
echo "\$ kill -TERM <pidone>"; kill -TERM "$init"
finish

echo
echo "== 2. Orphans re-parented to PID 1 are reaped (-w warns for each one)"
pid1 -w -- "$bin/examples/zombies" 3 --check

echo
echo "== 3. An application that ignores SIGTERM is killed when the grace period ends"
start -v --grace 1s -- "$bin/examples/stubborn"
echo "\$ kill -TERM <pidone>   (stubborn ignores it; pidone SIGKILLs after 1 s: status 128+9)"
kill -TERM "$init"
set +e
finish
