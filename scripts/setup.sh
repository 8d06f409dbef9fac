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
# the originals the drop-in tests compare pidone against; util-linux: unshare, nsenter,
# setpriv; strace: the exact count of the signals pidone sends (tests/core.rs); git and
# python3 (3.11, for tomllib): scripts/release.sh and its reproducibility test.
# For the real-engine tests (tests/engines.rs, tests/apps.rs, tests/pods.rs): podman,
# beside its stock catatonit; debootstrap, for the Debian image of real servers
# (scripts/rootfs.sh); iproute2, for the second dockerd's own bridge; docker-compose, for
# `init: true`.
packages=(busybox-static tini dumb-init catatonit util-linux procps strace git python3
    debootstrap iproute2 docker-compose)
# For the runtime tests (tests/runtimes.rs): crun, driven directly. Installed, podman
# would prefer it, and crun refuses hybrid cgroups: every podman command of the tests names
# its runtime (--runtime runc, tests/real/podman.rs).
packages+=(crun)
# runc, containerd and ctr come with the Docker engine. Debian's packages only where they
# are absent: on a host with Docker's own containerd.io, Debian's containerd would conflict.
command -v runc >/dev/null 2>&1 || packages+=(runc)
if ! command -v containerd >/dev/null 2>&1 || ! command -v ctr >/dev/null 2>&1; then
    packages+=(containerd)
fi
# podman without its recommends: those pull in a network stack and rootless helpers that
# these tests do not use (they run podman rootful with --network none).
lean=(podman)
missing() {
    local pkg
    for pkg in "$@"; do
        dpkg -s "$pkg" 2>/dev/null | grep -q '^Status: install ok installed' || echo "$pkg"
    done
}
mapfile -t missing_pkgs < <(missing "${packages[@]}")
mapfile -t missing_lean < <(missing "${lean[@]}")
if ((${#missing_pkgs[@]} + ${#missing_lean[@]})); then
    apt-get update -qq
    export DEBIAN_FRONTEND=noninteractive
    if ((${#missing_pkgs[@]})); then
        apt-get install -y -qq "${missing_pkgs[@]}" >/dev/null
    fi
    if ((${#missing_lean[@]})); then
        apt-get install -y -qq --no-install-recommends "${missing_lean[@]}" >/dev/null
    fi
fi

# --- Fuzzing (scripts/fuzz-smoke.sh, scripts/fuzz.sh; docs/fuzzing.md) ---
# libFuzzer comes from the libfuzzer-sys crate (crates.io, fetched by cargo), which compiles
# libFuzzer's C++ sources with the system C++ compiler; rustc's own LLVM instruments the
# code, so no clang, no nightly toolchain and no cargo-fuzz are needed.
if ! command -v c++ >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq g++ >/dev/null
fi
