# syntax=docker/dockerfile:1
# The giftvec sidecar image: a static-ish Rust binary on a distroless glibc base, the local
# all-MiniLM-L6-v2 model baked in, a numeric non-root user, nothing writable needed (runs with
# a read-only root filesystem), `giftvec healthcheck` as the health command (no curl), SIGTERM
# drains in-flight calls (GIFTVEC_SHUTDOWN_GRACE_MS).
#
#   docker build -f sidecar.Dockerfile -t giftvec .                      # model baked in
#   docker build -f sidecar.Dockerfile --build-arg MODEL=no-model -t giftvec:slim .
#                 # no model: mount it at /opt/giftvec/model (chart: embedder.model.baked false)
#
# Build arguments choose where the binary and the model come from: BINARY=builder compiles
# here (dependencies cooked by cargo-chef in their own layer, so a code change rebuilds only
# giftvec); BINARY=prebuilt-binary takes target/release/giftvec from the build context
# (tools/build-image, which builds the runtime stage with podman on a base made from Debian
# packages). MODEL=model downloads the model wheel; prebuilt-model takes model/ from the
# context; no-model leaves it out.
ARG RUST_IMAGE=rust:1.95-slim-bookworm
ARG RUNTIME_IMAGE=gcr.io/distroless/cc-debian12:nonroot
ARG BINARY=builder
ARG MODEL=model

FROM ${RUST_IMAGE} AS chef
RUN cargo install cargo-chef --locked --version 0.1.78
WORKDIR /src

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
# No symbol table in the shipped binary (~9 MB); panics still name the file and line.
ENV CARGO_PROFILE_RELEASE_STRIP=symbols
COPY --from=planner /src/recipe.json recipe.json
# Dependencies only: this layer stays cached until Cargo.toml / Cargo.lock change.
RUN cargo chef cook --release --recipe-path recipe.json --bin giftvec
COPY . .
RUN cargo build --release --bin giftvec && cp target/release/giftvec /giftvec

FROM scratch AS prebuilt-binary
COPY target/release/giftvec /giftvec

FROM python:3.11-slim-bookworm AS model
COPY tools/fetch-model /usr/local/bin/fetch-model
RUN GIFTVEC_MODEL_DIR=/model fetch-model

FROM scratch AS prebuilt-model
COPY model/ /model/

FROM scratch AS no-model
COPY deploy/image/no-model/ /model/

FROM ${BINARY} AS binary
FROM ${MODEL} AS model-files

FROM ${RUNTIME_IMAGE} AS runtime
COPY --from=binary /giftvec /usr/local/bin/giftvec
COPY --from=model-files /model/ /opt/giftvec/model/
# Numeric, so that Kubernetes' runAsNonRoot can verify it without an /etc/passwd entry.
USER 10001:10001
ENV GIFTVEC_LISTEN=0.0.0.0:7070 \
    GIFTVEC_MODEL_DIR=/opt/giftvec/model \
    GIFTVEC_LOG_FORMAT=json \
    GIFTVEC_SHUTDOWN_GRACE_MS=10000
EXPOSE 7070
HEALTHCHECK --interval=10s --timeout=4s --start-period=60s --retries=3 \
    CMD ["/usr/local/bin/giftvec", "healthcheck"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/giftvec"]
CMD ["serve"]
