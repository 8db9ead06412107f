# Verbatim: one image for every role (`verbatim serve`, `verbatim serve --workers 0`,
# `verbatim worker`, `verbatim keys`). Built with the project's own scripts so the image has
# what the tests had: ffmpeg for the formats symphonia cannot decode, and the Whisper models.
#   docker build -t verbatim .
FROM rust:1-bookworm AS build
WORKDIR /src
COPY scripts/ scripts/
# The Debian packages, and the prebuilt CTranslate2 and ONNX Runtime libraries from PyPI (into
# /src/.ct2/lib).
RUN scripts/install-deps.sh && scripts/install-ctranslate2.sh && scripts/install-onnxruntime.sh
COPY . .
# The release profile is the project's only one.
RUN cargo build --release -p verbatim && cp target/release/verbatim /usr/local/bin/verbatim
RUN scripts/install-models.sh --dir /models

FROM debian:bookworm-slim
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ffmpeg ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home /data verbatim && mkdir -p /data && chown verbatim /data
COPY --from=build /usr/local/bin/verbatim /usr/local/bin/verbatim
# libctranslate2 (with oneDNN and MKL inside), its OpenMP runtime and libonnxruntime; the binary's RUNPATH
# points into the source tree, so the system's library path serves here.
COPY --from=build /src/.ct2/lib/*.so* /usr/local/lib/
RUN ldconfig
COPY --from=build /models /models
ENV VERBATIM_MODELS_DIR=/models \
    VERBATIM_DATA_DIR=/data \
    VERBATIM_ADDR=0.0.0.0:8080
USER verbatim
EXPOSE 8080
ENTRYPOINT ["verbatim"]
CMD ["serve"]
