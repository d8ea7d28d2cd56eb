# ReliefLog: two stages. The build stage compiles a release binary with the Swift standard
# library linked statically; the runtime stage is Debian slim with only libsqlite3 and tzdata.

# Only its binary is used: Litestream ships with the image for continuous replication
# (compose.yaml runs it around the server; see "Backups and recovery" in the README).
FROM litestream/litestream:0.5.17 AS litestream

FROM swift:6.3-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends libsqlite3-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /build
# Resolve dependencies in their own layer so source edits do not refetch them.
COPY Package.swift ./
RUN mkdir -p Sources Tests Plugins && swift package resolve
COPY Sources ./Sources
COPY Tests ./Tests
# The migrations are compiled into the binary by the EmbedMigrations build plugin.
COPY Plugins ./Plugins
COPY Migrations ./Migrations
RUN swift build -c release --product relieflog --static-swift-stdlib \
    && install -D "$(swift build -c release --show-bin-path)/relieflog" /out/relieflog

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends libsqlite3-0 tzdata ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 relieflog \
    && useradd --system --uid 10001 --gid 10001 --home-dir /data --shell /usr/sbin/nologin relieflog \
    && mkdir -p /data /backup \
    && chown relieflog:relieflog /data /backup
COPY --from=build /out/relieflog /usr/local/bin/relieflog
COPY config/relieflog.json /etc/relieflog/relieflog.json
COPY --from=litestream /usr/local/bin/litestream /usr/local/bin/litestream
COPY config/litestream.yml /etc/litestream.yml
ENV RELIEFLOG_HOST=0.0.0.0 \
    RELIEFLOG_PORT=8080 \
    RELIEFLOG_DB=/data/relieflog.sqlite \
    RELIEFLOG_CONFIG=/etc/relieflog/relieflog.json
VOLUME ["/data"]
WORKDIR /data
USER 10001:10001
EXPOSE 8080
# No curl in the image: bash's /dev/tcp is enough to ask /healthz.
HEALTHCHECK --interval=30s --timeout=3s --start-period=5s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /healthz HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["relieflog"]
CMD ["serve"]
