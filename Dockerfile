# Build: the Swift toolchain image; run: a slim Debian with the few shared libraries pladmed needs.
FROM swift:6.3-bookworm AS build
WORKDIR /src
RUN apt-get update && apt-get install -y --no-install-recommends libsqlite3-dev libmongoc-dev libbson-dev libssl-dev python3-venv \
    && rm -rf /var/lib/apt/lists/*
# Swagger UI's files for /docs, from PyPI.
COPY scripts/requirements-swagger-ui.txt ./
RUN python3 -m venv /tmp/swagger-ui && /tmp/swagger-ui/bin/pip install -q -r requirements-swagger-ui.txt \
    && mkdir -p /usr/share/pladmed/swagger-ui \
    && cd "$(/tmp/swagger-ui/bin/python -c 'import os, swagger_ui; print(os.path.dirname(swagger_ui.__file__))')/static" \
    && cp swagger-ui.css swagger-ui-bundle.js favicon-32x32.png favicon-16x16.png oauth2-redirect.html LICENSE /usr/share/pladmed/swagger-ui/
COPY Package.swift ./
COPY Sources ./Sources
COPY docs ./docs
# The binary, and beside it the resource bundle holding the specification that /openapi.yaml serves.
RUN swift build -c release --product pladmed --static-swift-stdlib \
    && cp "$(swift build -c release --show-bin-path)/pladmed" /usr/local/bin/pladmed \
    && cp -r "$(swift build -c release --show-bin-path)/pladmed-swift_PladmedAPI.resources" /usr/local/bin/

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libsqlite3-0 libmongoc-1.0-0 libbson-1.0-0 ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* && useradd --system --home /srv/pladmed pladmed \
    && mkdir -p /srv/pladmed/data && chown pladmed /srv/pladmed/data
COPY --from=build /usr/local/bin/pladmed /usr/local/bin/pladmed
COPY --from=build /usr/local/bin/pladmed-swift_PladmedAPI.resources /usr/local/bin/pladmed-swift_PladmedAPI.resources
COPY --from=build /usr/share/pladmed/swagger-ui /usr/share/pladmed/swagger-ui
USER pladmed
WORKDIR /srv/pladmed
ENV HOST=0.0.0.0 PORT=5000 PLADMED_SQLITE_PATH=/srv/pladmed/data/pladmed.sqlite PLADMED_SWAGGER_UI_DIR=/usr/share/pladmed/swagger-ui
EXPOSE 5000
HEALTHCHECK --interval=30s --timeout=3s CMD ["/bin/sh", "-c", "exec 3<>/dev/tcp/127.0.0.1/5000"]
# SIGTERM drains (PLADMED_DRAIN_TIMEOUT per step); compose's stop_grace_period leaves room for it.
STOPSIGNAL SIGTERM
ENTRYPOINT ["pladmed"]
CMD ["serve"]
