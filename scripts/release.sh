#!/usr/bin/env bash
# Builds the release files of the checked-out commit into dist/:
#   pidone-VERSION-x86_64-linux-musl          the static binary
#   pidone-VERSION-x86_64-linux-musl.sha256   its checksum (`sha256sum -c` reads it)
#   pidone-VERSION.cdx.json                   CycloneDX SBOM: the crates linked in (scripts/sbom.py)
#   pidone-VERSION.buildinfo                  commit, SOURCE_DATE_EPOCH, toolchain, linker
#   SHA256SUMS                                the checksums of all of the above
# and the same for aarch64-linux-musl when that rustup target is installed (see
# docs/install.md for the cross-build; this project's own machines have x86_64 only).
#
# Reproducible: two runs on the same commit with the same toolchain and linker give the
# same bytes in every file, whatever the directory, the user or the time (tests/distribution.rs
# checks it). Paths of this machine are remapped out of the binary, SOURCE_DATE_EPOCH is
# the commit's time, and nothing from the caller's environment changes the flags.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
umask 022
export LC_ALL=C TZ=UTC

die() {
    echo "release.sh: $*" >&2
    exit 1
}

pkgid=$(cargo pkgid --offline 2>/dev/null || cargo pkgid)
version=${pkgid##*[#@]}
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+ ]] || die "cannot read the version from \`cargo pkgid\`: $pkgid"

# The commit and its time. A dirty tree is not a commit anyone can rebuild: say so.
if git rev-parse --git-dir >/dev/null 2>&1; then
    revision=$(git rev-parse HEAD)
    if [[ -n $(git status --porcelain --untracked-files=no) ]]; then
        echo "release.sh: WARNING: uncommitted changes; these files are not reproducible from $revision" >&2
        revision="$revision-dirty"
    fi
    : "${SOURCE_DATE_EPOCH:=$(git log -1 --format=%ct)}"
else
    revision=${REVISION:-unknown}
    [[ -n ${SOURCE_DATE_EPOCH:-} ]] || die "not a git checkout: set SOURCE_DATE_EPOCH (and REVISION)"
fi
export SOURCE_DATE_EPOCH

# A target directory of its own: the release flags differ from a normal build's, and
# sharing target/ would make every later `cargo build` recompile everything.
target_dir=${CARGO_TARGET_DIR:-$root/target}/release-dist
cargo_home=${CARGO_HOME:-$HOME/.cargo}
sysroot=$(rustc --print sysroot)

# Only these flags, whatever RUSTFLAGS or ~/.cargo/config.toml say. The remaps replace
# this machine's paths (checkout, target dir, cargo's registry, the toolchain) by fixed
# ones wherever rustc would embed one: panic locations, debug info, file!(). Today's
# binary has none of them (tests/distribution.rs checks), but the flags keep it so when a
# dependency adds one. The last matching remap wins, so the most specific comes last.
flags=(
    "--remap-path-prefix=$sysroot=/rustc-sysroot"
    "--remap-path-prefix=$cargo_home=/cargo"
    "--remap-path-prefix=$root=/pidone"
    "--remap-path-prefix=$target_dir=/pidone/target"
)
CARGO_ENCODED_RUSTFLAGS=$(
    IFS=$'\x1f'
    echo "${flags[*]}"
)
export CARGO_ENCODED_RUSTFLAGS
unset RUSTFLAGS
# Profile and build settings from the environment would change the bytes too.
while read -r var; do unset "$var"; done < <(compgen -e | grep -E '^CARGO_(PROFILE|BUILD)_|^CARGO_TARGET_X86_64_' || true)

targets=(x86_64-unknown-linux-musl)
if rustup target list --installed 2>/dev/null | grep -qx aarch64-unknown-linux-musl; then
    targets+=(aarch64-unknown-linux-musl)
    if [[ -z ${CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER:-} ]]; then
        command -v aarch64-linux-gnu-gcc >/dev/null ||
            die "aarch64-unknown-linux-musl needs a linker: apt-get install gcc-aarch64-linux-gnu"
        export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER=aarch64-linux-gnu-gcc
    fi
else
    echo "release.sh: aarch64-unknown-linux-musl not built: its rustup target is not installed" >&2
fi

rm -rf dist
mkdir dist
files=()
for target in "${targets[@]}"; do
    arch=${target%%-*}
    name=pidone-$version-$arch-linux-musl
    cargo build --release --locked --bin pidone --target "$target" --target-dir "$target_dir"
    cp "$target_dir/$target/release/pidone" "dist/$name"
    chmod 0755 "dist/$name"
    # A path of this machine in the binary would make it differ on the next one. (A path
    # as short as /src would also match strings of std's that are no leak: skipped.)
    for leak in "$root" "$target_dir" "$cargo_home" "$sysroot"; do
        if ((${#leak} > 6)) && grep -qF -- "$leak" "dist/$name"; then
            die "dist/$name contains the build path $leak"
        fi
    done
    (cd dist && sha256sum "$name" >"$name.sha256")
    files+=("$name" "$name.sha256")
done

python3 scripts/sbom.py "dist/pidone-$version.cdx.json" "${targets[@]}"
# The linker driver and the linker it runs: both decide the bytes as much as rustc does.
linker_of() {
    local driver=$1
    echo "$("$driver" --version 2>/dev/null | head -n1); $("$("$driver" -print-prog-name=ld)" --version 2>/dev/null | head -n1)"
}
{
    echo "pidone $version"
    echo "revision: $revision"
    echo "SOURCE_DATE_EPOCH: $SOURCE_DATE_EPOCH"
    echo "command: scripts/release.sh"
    echo "targets: ${targets[*]}"
    echo "rustc: $(rustc -V)"
    echo "cargo: $(cargo -V)"
    echo "linker (x86_64): $(linker_of cc)"
    if [[ -n ${CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER:-} ]] && ((${#targets[@]} > 1)); then
        echo "linker (aarch64): $(linker_of "$CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER")"
    fi
    echo "rustflags: --remap-path-prefix for the checkout (/pidone), its target dir, CARGO_HOME (/cargo), the sysroot (/rustc-sysroot)"
} >"dist/pidone-$version.buildinfo"
files+=("pidone-$version.cdx.json" "pidone-$version.buildinfo")

(cd dist && sha256sum "${files[@]}" | sort -k2 >SHA256SUMS)
touch -d "@$SOURCE_DATE_EPOCH" dist/*

echo "dist/ for pidone $version ($revision):"
(cd dist && ls -l --time-style=+ -- * && cat SHA256SUMS)
