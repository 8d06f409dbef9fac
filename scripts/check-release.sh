#!/usr/bin/env bash
# The release checks alone, for every architecture this machine builds (x86_64, aarch64,
# i686): the binary's size budget and static linking, no allocator, no panic machinery
# (with the call path that pulls a panic in, on failure), and a small idle stack. They live in one place, tests/release.rs, which the whole
# suite (scripts/test.sh) runs with every other test; this only runs that file.
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo test --release --test release -- --nocapture
