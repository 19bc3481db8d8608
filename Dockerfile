# Multi-stage build on Debian bookworm, with the same setup script as README.
#   docker build -t email_logs_exporter .
#   docker run -p 9787:9787 -v $PWD/config.yaml:/etc/email_logs_exporter/config.yaml:ro \
#     -e JETEMAIL_API_TOKEN -e MAILTRAP_API_TOKEN -v elx-state:/var/lib/email_logs_exporter email_logs_exporter
FROM debian:bookworm AS build
WORKDIR /src
COPY scripts/setup.sh scripts/setup.sh
RUN bash scripts/setup.sh
COPY . .
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DELE_BUILD_TESTS=OFF \
 && cmake --build /build --target email_logs_exporter email_logs_simulator \
 && strip /build/exporter/email_logs_exporter

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libprometheus-cpp-core1.0 libmicrohttpd12 libgnutls30 libcivetweb1 libcurl4 libyaml-cpp0.7 libcrypt1 zlib1g \
      ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/email_logs_exporter --shell /usr/sbin/nologin exporter \
 && mkdir -p /var/lib/email_logs_exporter /etc/email_logs_exporter \
 && chown exporter /var/lib/email_logs_exporter
COPY --from=build /build/exporter/email_logs_exporter /usr/local/bin/email_logs_exporter
COPY --from=build /build/tests/fakes/email_logs_simulator /usr/local/bin/email_logs_simulator
COPY config.example.yaml /etc/email_logs_exporter/config.example.yaml
USER exporter
VOLUME /var/lib/email_logs_exporter
EXPOSE 9787
HEALTHCHECK --interval=30s --timeout=5s CMD curl -fsS http://127.0.0.1:9787/-/healthy || exit 1
# Tokens: set the variables your config names (api_token_env), or mount files (api_token_file).
ENTRYPOINT ["/usr/local/bin/email_logs_exporter"]
CMD ["--config.file=/etc/email_logs_exporter/config.yaml"]
