# The pidone image: nothing but the static binary, at /pidone, for other images to copy.
# One image for amd64 and arm64 (and 386), cross-compiled the Docker way (BuildKit):
#
#   docker buildx build --platform linux/amd64,linux/arm64 \
#       --build-arg REVISION=$(git rev-parse HEAD) -t pidone .
#
# or for this machine's platform alone: docker build -t pidone . (BuildKit: the default
# since Docker 23; DOCKER_BUILDKIT=1 before it), and then, in any
# Dockerfile (multi-platform too: BuildKit takes the stage of the same platform):
#
#   COPY --from=pidone /pidone /pidone
#   ENTRYPOINT ["/pidone", "--"]
#
# The build stage runs on the build machine's platform ($BUILDPLATFORM) and cross-compiles
# for each target's ($TARGETARCH): the compiler never runs under emulation. Where no
# registry can be reached, Dockerfile.local makes the same image of each architecture from
# the files of scripts/release.sh. The final stages of the two files are identical, and
# tests/distribution.rs checks that; change both together. See docs/install.md.

# Defaults for the labels. VERSION is Cargo.toml's (tests/distribution.rs checks it);
# REVISION (the commit) and SOURCE (the repository's URL) only the caller knows: pass
# them with --build-arg.
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG SOURCE=

# ---- build stage: the static musl binary, cross-compiled ------------------------------
# Rust 1.85.0, as Dockerfile.example's image, but Debian's: its cross gcc links the arm64
# binary (.cargo/config.toml says why not rust-lld), and Alpine has none. Pin its digest
# too where a registry answers: docker buildx imagetools inspect rust:1.85.0-slim-bookworm
# (this project's machines reach none, so it is pinned by tag only).
FROM --platform=$BUILDPLATFORM rust:1.85.0-slim-bookworm AS build
ARG BUILDARCH
ARG TARGETARCH
# The musl std of the target, and for another architecture than the build machine's, its
# cross gcc as the linker (.cargo/config.toml names aarch64-linux-gnu-gcc for arm64, and
# i686-linux-gnu-gcc for 386, which needs it even on an amd64 machine).
RUN case "$TARGETARCH" in \
        amd64) target=x86_64-unknown-linux-musl gcc=gcc-x86-64-linux-gnu ;; \
        arm64) target=aarch64-unknown-linux-musl gcc=gcc-aarch64-linux-gnu ;; \
        386) target=i686-unknown-linux-musl gcc=gcc-i686-linux-gnu ;; \
        *) echo "pidone is built for amd64, arm64 and 386, not $TARGETARCH" >&2; exit 1 ;; \
    esac \
 && echo "$target" >/target \
 && rustup target add "$target" \
 && if [ "$TARGETARCH" != "$BUILDARCH" ] || [ "$TARGETARCH" = 386 ]; then \
        apt-get update && apt-get install -y --no-install-recommends "$gcc" \
        && rm -rf /var/lib/apt/lists/*; \
    fi
WORKDIR /src
# .dockerignore keeps target/, dist/ and .git out of the context.
COPY . .
# An amd64 target built on an arm64 machine links with the x86_64 cross gcc. The paths
# here (/src, /usr/local/cargo) are the image's, the same for everyone who builds it.
RUN target=$(cat /target) \
 && if [ "$TARGETARCH" = amd64 ] && [ "$BUILDARCH" != amd64 ]; then \
        export CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_LINKER=x86_64-linux-gnu-gcc; \
    fi \
 && cargo build --release --locked --bin pidone --target "$target" \
 && cp "target/$target/release/pidone" /pidone

# ---- final stage: one file ------------------------------------------------------------
FROM scratch
# The COPY first: Docker's legacy builder gives a FROM scratch stage the daemon's platform
# until its first COPY, and an arm64 build (--platform linux/arm64) then fails.
COPY --from=build /pidone /pidone
ARG VERSION
ARG REVISION
ARG SOURCE
LABEL org.opencontainers.image.title="pidone" \
      org.opencontainers.image.description="A tiny, static PID 1 for containers: COPY --from this image /pidone /pidone" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.licenses="MIT"
ENTRYPOINT ["/pidone"]
