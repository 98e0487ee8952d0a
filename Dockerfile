# Build: the Swift toolchain image; run: a slim Debian with the few shared libraries pladmed needs.
FROM swift:6.3-bookworm AS build
WORKDIR /src
RUN apt-get update && apt-get install -y --no-install-recommends libsqlite3-dev libmongoc-dev libbson-dev libssl-dev \
    && rm -rf /var/lib/apt/lists/*
COPY Package.swift ./
COPY Sources ./Sources
COPY docs ./docs
RUN swift build -c release --product pladmed --static-swift-stdlib \
    && cp "$(swift build -c release --show-bin-path)/pladmed" /usr/local/bin/pladmed

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libsqlite3-0 libmongoc-1.0-0 libbson-1.0-0 ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* && useradd --system --home /srv/pladmed pladmed \
    && mkdir -p /srv/pladmed/data && chown pladmed /srv/pladmed/data
COPY --from=build /usr/local/bin/pladmed /usr/local/bin/pladmed
USER pladmed
WORKDIR /srv/pladmed
ENV HOST=0.0.0.0 PORT=5000 PLADMED_SQLITE_PATH=/srv/pladmed/data/pladmed.sqlite
EXPOSE 5000
HEALTHCHECK --interval=30s --timeout=3s CMD ["/bin/sh", "-c", "exec 3<>/dev/tcp/127.0.0.1/5000"]
ENTRYPOINT ["pladmed"]
CMD ["serve"]
