#!/usr/bin/env bash
# Builds the Debian image of real servers that tests/apps.rs runs pidone in front of, with
# no registry: debootstrap from the machine's own Debian source, Debian's packages of the
# servers, `docker import`. Once per machine: the tag is a hash of what goes in, and an
# image with that tag is re-used. Prints the tag as its last line on stdout; everything
# else goes to stderr. Needs root, debootstrap (scripts/setup.sh) and docker.
#
#   scripts/rootfs.sh            # build if missing, print the tag
#   scripts/rootfs.sh --packages # print the package list, one a line (the tests check
#                                # that every recipe's `apt-get install` line is in it)
#   scripts/rootfs.sh --tag      # print the tag the image has (or will have)
set -euo pipefail

suite=bookworm
variant=minbase
# The servers of the recipes (docs/recipes.md) and procps, for `ps` in the tests. Not npm:
# Debian's pulls in some 350 packages, minutes of a fresh machine's CI run, and the
# recipe's `npm start` case is the `sh -c` case the tests run. Change this list and the
# tag changes.
packages=(
    nginx
    redis-server
    postgresql-15
    nodejs
    python3
    openjdk-17-jre-headless
    gunicorn
    celery
    uwsgi
    uwsgi-plugin-python3
    supervisor
    procps
)

if [[ "${1:-}" == "--packages" ]]; then
    printf '%s\n' "${packages[@]}"
    exit 0
fi

hash=$(printf '%s\n' "$suite" "$variant" "${packages[@]}" | sha256sum | cut -c1-12)
repo=engines-rootfs
tag="$repo:$hash"
if [[ "${1:-}" == "--tag" ]]; then
    echo "$tag"
    exit 0
fi

# One build at a time on this machine; a second caller waits and then finds the image.
exec 9>/tmp/engines-rootfs.lock
flock 9
if docker image inspect "$tag" >/dev/null 2>&1; then
    echo "$tag"
    exit 0
fi

for tool in debootstrap docker chroot; do
    command -v "$tool" >/dev/null || { echo "rootfs.sh: $tool is missing (scripts/setup.sh)" >&2; exit 1; }
done

# The Debian source the machine's own apt uses: the first URI of a deb822 source that
# carries the suite itself (not -security, not a third party), or a one-line source.
mirror=""
for f in /etc/apt/sources.list.d/*.sources; do
    [[ -e "$f" ]] || continue
    mirror=$(awk -v suite="$suite" '
        /^URIs:/ { uri = $2 }
        /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite) { print uri; exit } }
        /^$/ { uri = "" }' "$f")
    [[ -n "$mirror" ]] && break
done
if [[ -z "$mirror" && -e /etc/apt/sources.list ]]; then
    mirror=$(awk -v suite="$suite" '$1 == "deb" && $3 == suite { print $2; exit }' /etc/apt/sources.list)
fi
[[ -n "$mirror" ]] || { echo "rootfs.sh: no Debian source for $suite in /etc/apt" >&2; exit 1; }

root=$(mktemp -d /var/tmp/engines-rootfs.XXXXXX)
# mktemp makes it 0700: the chroot's / must be readable by its users (postgres's initdb).
chmod 0755 "$root"
cleanup() {
    umount "$root/proc" 2>/dev/null || true
    rm -rf --one-file-system "$root"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start=$SECONDS
echo "rootfs.sh: building $tag from $mirror (a few minutes, once per machine)" >&2
debootstrap --variant="$variant" "$suite" "$root" "$mirror" >&2
# The machine's apt settings (its source may be a snapshot with expired Release files) and
# name server; no service may start inside the chroot.
cp /etc/apt/apt.conf.d/* "$root/etc/apt/apt.conf.d/"
cp /etc/resolv.conf "$root/etc/resolv.conf"
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"
# No fsync for every unpacked file (as Debian's own container images build): a crash
# during the build only costs a rebuild.
echo force-unsafe-io >"$root/etc/dpkg/dpkg.cfg.d/engines-unsafe-io"
echo "rootfs.sh: debootstrap done after $((SECONDS - start)) s" >&2
mount -t proc proc "$root/proc"
chroot "$root" apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive chroot "$root" \
    apt-get install -y -qq --no-install-recommends "${packages[@]}" >&2
chroot "$root" apt-get clean
# A package script can fail and apt still succeed (PostgreSQL's cluster, for one).
for needed in /etc/postgresql/15/main/postgresql.conf /usr/sbin/nginx /usr/bin/redis-server \
    /usr/bin/node /usr/bin/python3 /usr/bin/java /usr/bin/ps /usr/bin/gunicorn /usr/bin/celery \
    /usr/bin/uwsgi-core /usr/lib/uwsgi/plugins/python311_plugin.so /usr/bin/supervisord; do
    [[ -e "$root$needed" ]] || { echo "rootfs.sh: $needed is missing in the image" >&2; exit 1; }
done
umount "$root/proc"
echo "rootfs.sh: packages installed after $((SECONDS - start)) s" >&2
rm -rf "$root"/var/lib/apt/lists/* "$root/usr/sbin/policy-rc.d" \
    "$root/etc/dpkg/dpkg.cfg.d/engines-unsafe-io"
: >"$root/etc/resolv.conf"

# Images of an older package list are of no more use.
old=$(docker images --format '{{.Repository}}:{{.Tag}}' "$repo" || true)
tar -C "$root" -c . | docker import --change 'CMD ["/bin/bash"]' - "$tag" >&2
for image in $old; do
    [[ "$image" == "$tag" ]] || docker rmi "$image" >/dev/null 2>&1 || true
done
echo "rootfs.sh: $tag built in $((SECONDS - start)) s" >&2
echo "$tag"
