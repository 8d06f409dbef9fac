#!/usr/bin/env bash
# Installs everything building and testing pidone needs on a fresh machine (root, Debian,
# rustup). Idempotent: quick when everything is already there.
set -euo pipefail

target=x86_64-unknown-linux-musl
if ! rustup target list --installed | grep -qx "$target"; then
    rustup target add "$target"
fi
for component in rustfmt clippy; do
    rustup component list --installed | grep -q "^$component" || rustup component add "$component"
done

# busybox-static: a static shell for FROM-scratch test images; tini, dumb-init and catatonit:
# the originals the drop-in tests compare pidone against; util-linux: unshare.
packages=(busybox-static tini dumb-init catatonit util-linux procps)
missing=()
for pkg in "${packages[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if ((${#missing[@]})); then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# --- Fuzzing (scripts/fuzz-smoke.sh, scripts/fuzz.sh; docs/fuzzing.md) ---
# libFuzzer comes from the libfuzzer-sys crate (crates.io, fetched by cargo), which compiles
# libFuzzer's C++ sources with the system C++ compiler; rustc's own LLVM instruments the
# code, so no clang, no nightly toolchain and no cargo-fuzz are needed.
if ! command -v c++ >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq g++ >/dev/null
fi
