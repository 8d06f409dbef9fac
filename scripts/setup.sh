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
# its runtime (--runtime runc, testkit/src/real/podman.rs).
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

# --- Other architectures (tests/arm64.rs, tests/release.rs, scripts/release.sh; docs/testing.md) ---
# aarch64: the rustup target, Debian's cross gcc as its linker (.cargo/config.toml says why
# not rust-lld), qemu-user with binfmt_misc so that arm64 binaries and `docker run
# --platform linux/arm64` run here, and busybox-static:arm64 for the arm64 test image.
# i686: the rustup target and its cross gcc; the x86_64 kernel runs it itself.
# Where rustup cannot fetch the target, its tests say SKIP and everything else runs.
cross_targets=(aarch64-unknown-linux-musl i686-unknown-linux-musl)
for target in "${cross_targets[@]}"; do
    if ! rustup target list --installed | grep -qx "$target"; then
        rustup target add "$target" ||
            echo "setup.sh: WARNING: rustup could not install $target: its build and tests will SKIP" >&2
    fi
done
cross=(gcc-aarch64-linux-gnu gcc-i686-linux-gnu qemu-user-static binfmt-support)
mapfile -t missing_cross < <(missing "${cross[@]}")
if ((${#missing_cross[@]})); then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing_cross[@]}" >/dev/null
fi
# binfmt_misc is the kernel's: mount it where a container has not, then register qemu
# (flag F: the kernel keeps the interpreter open, so it also runs in containers).
if [[ ! -e /proc/sys/fs/binfmt_misc/status ]]; then
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc ||
        echo "setup.sh: WARNING: cannot mount binfmt_misc: arm64 binaries cannot run here" >&2
fi
if [[ -e /proc/sys/fs/binfmt_misc/status && ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]]; then
    update-binfmts --enable qemu-aarch64 ||
        echo "setup.sh: WARNING: cannot register qemu-aarch64 with binfmt_misc" >&2
fi
# A static arm64 shell for the arm64 image, beside the host's (it cannot be installed:
# /bin/busybox is the amd64 package's).
arm64_busybox=/var/cache/pidone/arm64/bin/busybox
if [[ ! -x $arm64_busybox ]]; then
    dpkg --print-foreign-architectures | grep -qx arm64 || {
        dpkg --add-architecture arm64
        apt-get update -qq
    }
    deb_dir=$(mktemp -d)
    (cd "$deb_dir" && apt-get download -qq busybox-static:arm64 2>/dev/null) ||
        { apt-get update -qq && (cd "$deb_dir" && apt-get download -qq busybox-static:arm64); }
    mkdir -p /var/cache/pidone/arm64
    dpkg-deb -x "$deb_dir"/busybox-static_*_arm64.deb /var/cache/pidone/arm64
    rm -rf "$deb_dir"
fi
