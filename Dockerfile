# The pidone image: nothing but the static binary, at /pidone, for other images to copy.
#
#   docker build --build-arg REVISION=$(git rev-parse HEAD) -t pidone .
#
# and then, in any Dockerfile:
#
#   COPY --from=pidone /pidone /pidone
#   ENTRYPOINT ["/pidone", "--"]
#
# The build stage is Dockerfile.example's pinned Rust image. Where no registry can be
# reached, Dockerfile.local makes the same image from the binary of scripts/release.sh.
# The final stages of the two files are identical, and tests/distribution.rs checks that;
# change both together. See docs/install.md.

# Defaults for the labels. VERSION is Cargo.toml's (tests/distribution.rs checks it);
# REVISION (the commit) and SOURCE (the repository's URL) only the caller knows: pass
# them with --build-arg.
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG SOURCE=

# ---- build stage: the static musl binary --------------------------------------------
# Pinned by tag and digest, as in Dockerfile.example; update the two files together.
FROM rust:1.85.0-alpine3.21@sha256:bea885d2711087e67a9f7a7cd1a164976f4c35389478512af170730014d2452a AS build
# The C runtime that Rust's musl target links statically.
RUN apk add --no-cache musl-dev
WORKDIR /src
# .dockerignore keeps target/, dist/ and .git out of the context.
COPY . .
# .cargo/config.toml selects x86_64-unknown-linux-musl. The paths here (/src,
# /usr/local/cargo) are the image's, the same for everyone who builds this digest.
RUN cargo build --release --locked --bin pidone \
 && cp target/x86_64-unknown-linux-musl/release/pidone /pidone

# ---- final stage: one file ------------------------------------------------------------
FROM scratch
ARG VERSION
ARG REVISION
ARG SOURCE
LABEL org.opencontainers.image.title="pidone" \
      org.opencontainers.image.description="A tiny, static PID 1 for containers: COPY --from this image /pidone /pidone" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.licenses="MIT"
COPY --from=build /pidone /pidone
ENTRYPOINT ["/pidone"]
