#!/usr/bin/env bash
# Checks the release binary against the size budget and proves it has no panic machinery:
# an unstripped release build must contain no panic symbol. (A `strings | grep panicked`
# check is not exact: orphaned strings from std's merged string sections stay in .rodata
# even when no code can reach them.) On failure it prints the call path that pulls a panic in.
set -euo pipefail
cd "$(dirname "$0")/.."

budget=$((100 * 1024))
cargo build --release --quiet --bin pidone
binary=target/x86_64-unknown-linux-musl/release/pidone
size=$(stat -c %s "$binary")
echo "release binary: $size bytes (budget $budget)"
if ! file "$binary" | grep -q 'static'; then
    echo "FAIL: $binary is not statically linked: $(file -b "$binary")" >&2
    exit 1
fi
if ((size > budget)); then
    echo "FAIL: $binary is $size bytes, over the $budget-byte budget" >&2
    exit 1
fi

unstripped=target/unstripped
CARGO_PROFILE_RELEASE_STRIP=false CARGO_TARGET_DIR=$unstripped cargo build --release --quiet --bin pidone
symbols=$(nm "$unstripped/x86_64-unknown-linux-musl/release/pidone" | grep -ciE 'panick|rust_begin_unwind|panic_fmt' || true)
if ((symbols > 0)); then
    echo "FAIL: the release binary links the panic runtime ($symbols symbols). Path from main:" >&2
    python3 scripts/panic_path.py "$unstripped/x86_64-unknown-linux-musl/release/pidone" main >&2
    exit 1
fi
echo "no panic machinery in the release binary"
