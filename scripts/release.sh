#!/usr/bin/env bash
# Builds the release files of the checked-out commit into dist/:
#   pidone-VERSION-x86_64-linux-musl          the static binary
#   pidone-VERSION-x86_64-linux-musl.sha256   its checksum (`sha256sum -c` reads it)
#   pidone-VERSION.cdx.json                   CycloneDX SBOM: the crates linked in (scripts/sbom.py)
#   pidone-VERSION.buildinfo                  commit, SOURCE_DATE_EPOCH, toolchain, linker
#   SHA256SUMS                                the checksums of all of the above
# and the same for aarch64-linux-musl and i686-linux-musl, cross-built with the linker and
# flags .cargo/config.toml gives for each (scripts/setup.sh installs them). A cross target this machine cannot build
# (rustup could not fetch it, or its linker is missing) is left out with a WARNING line,
# never an error: the x86_64 files are still written.
#
#   scripts/release.sh --targets   prints what would be built, and why not the rest
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
remaps=(
    "--remap-path-prefix=$sysroot=/rustc-sysroot"
    "--remap-path-prefix=$cargo_home=/cargo"
    "--remap-path-prefix=$root=/pidone"
    "--remap-path-prefix=$target_dir=/pidone/target"
)
unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS
# Profile, build and per-target settings (a linker, rustflags) from the environment would
# change the bytes too: only the checkout's .cargo/config.toml decides them.
while read -r var; do unset "$var"; done < <(compgen -e | grep -E '^CARGO_(PROFILE|BUILD|TARGET)_' || true)

# A target's linker and rustflags, as .cargo/config.toml gives them (one per line: the
# linker, empty for the default `cc`, then each flag). CARGO_ENCODED_RUSTFLAGS replaces
# the config's rustflags, so they are added to it here.
target_config() {
    python3 - "$1" <<'PY'
import sys, tomllib
with open(".cargo/config.toml", "rb") as f:
    target = tomllib.load(f).get("target", {}).get(sys.argv[1], {})
print(target.get("linker", ""))
for flag in target.get("rustflags", []):
    print(flag)
PY
}

# What this machine can build: x86_64 always; each cross target when its rustup std and
# its linker are here. Every other one is said loudly, and left out.
cross_targets=(aarch64-unknown-linux-musl i686-unknown-linux-musl)
targets=(x86_64-unknown-linux-musl)
for target in "${cross_targets[@]}"; do
    mapfile -t config < <(target_config "$target")
    linker=${config[0]:-cc}
    if [[ ! -d $sysroot/lib/rustlib/$target/lib ]]; then
        echo "release.sh: WARNING: $target not built: its rustup target is not installed (rustup target add $target)" >&2
    elif ! command -v "$linker" >/dev/null; then
        echo "release.sh: WARNING: $target not built: its linker $linker is missing (scripts/setup.sh installs it)" >&2
    else
        targets+=("$target")
    fi
done
if [[ ${1:-} == --targets ]]; then
    printf '%s\n' "${targets[@]}"
    exit 0
fi

rm -rf dist
mkdir dist
files=()
for target in "${targets[@]}"; do
    arch=${target%%-*}
    name=pidone-$version-$arch-linux-musl
    mapfile -t config < <(target_config "$target")
    CARGO_ENCODED_RUSTFLAGS=$(
        IFS=$'\x1f'
        echo "${remaps[*]}${config[1]+$'\x1f'}${config[*]:1}"
    )
    export CARGO_ENCODED_RUSTFLAGS
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
    for target in "${targets[@]}"; do
        mapfile -t config < <(target_config "$target")
        echo "linker (${target%%-*}): $(linker_of "${config[0]:-cc}")"
        if ((${#config[@]} > 1)); then
            echo "rustflags (${target%%-*}): ${config[*]:1} (.cargo/config.toml)"
        fi
    done
    echo "rustflags: --remap-path-prefix for the checkout (/pidone), its target dir, CARGO_HOME (/cargo), the sysroot (/rustc-sysroot)"
} >"dist/pidone-$version.buildinfo"
files+=("pidone-$version.cdx.json" "pidone-$version.buildinfo")

(cd dist && sha256sum "${files[@]}" | sort -k2 >SHA256SUMS)
touch -d "@$SOURCE_DATE_EPOCH" dist/*

echo "dist/ for pidone $version ($revision):"
(cd dist && ls -l --time-style=+ -- * && cat SHA256SUMS)
