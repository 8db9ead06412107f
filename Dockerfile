# Verbatim: one image for every role (`verbatim serve`, `verbatim serve --workers 0`,
# `verbatim worker`, `verbatim keys`). Built with the project's own scripts so the image has
# what the tests had: ffmpeg for the formats symphonia cannot decode, and the Whisper models.
#   docker build -t verbatim .
FROM rust:1-bookworm AS build
WORKDIR /src
COPY scripts/install-deps.sh scripts/
RUN scripts/install-deps.sh
COPY . .
# CTranslate2 is a C++ build (~10 min on two cores); the release profile is the project's only one.
RUN cargo build --release -p verbatim && cp target/release/verbatim /usr/local/bin/verbatim
RUN scripts/install-models.sh --dir /models

FROM debian:bookworm-slim
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ffmpeg ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home /data verbatim && mkdir -p /data && chown verbatim /data
COPY --from=build /usr/local/bin/verbatim /usr/local/bin/verbatim
COPY --from=build /models /models
ENV VERBATIM_MODELS_DIR=/models \
    VERBATIM_DATA_DIR=/data \
    VERBATIM_ADDR=0.0.0.0:8080
USER verbatim
EXPOSE 8080
ENTRYPOINT ["verbatim"]
CMD ["serve"]
