# syntax=docker/dockerfile:1
#
# crmgraph loader: record events -> Neo4j nodes, in acknowledged chunks.
#
#   docker build -f deploy/docker/loader.Dockerfile -t crmgraph/loader .
#
# The build context is the repository root (the Go workspace). The builder
# compiles a static binary (CGO off, trimmed paths, no symbols); the final
# image is distroless: no shell, no package manager, a non-root user. It
# also carries /probe (deploy/cmd/probe), which the HEALTHCHECK runs,
# because there is no curl or wget to run instead.

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION} AS build
WORKDIR /src

# Module files first, so that dependencies are downloaded once and cached
# until a go.mod or go.sum changes. Every module of go.work is listed.
COPY go.work go.work.sum ./
COPY events/go.* events/
COPY extractor/go.* extractor/
COPY loader/go.* loader/
COPY relinker/go.* relinker/
COPY sinks/go.* sinks/
COPY deploy/go.* deploy/
RUN --mount=type=cache,target=/go/pkg/mod go mod download

COPY events/ events/
COPY loader/ loader/
COPY deploy/cmd/probe/ deploy/cmd/probe/
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/loader ./loader/cmd/loader && \
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/probe ./deploy/cmd/probe

FROM gcr.io/distroless/static-debian12:nonroot
LABEL org.opencontainers.image.title="crmgraph-loader" \
      org.opencontainers.image.description="crmgraph loader stage" \
      org.opencontainers.image.source="https://github.com/crmgraph/crmgraph"
COPY --from=build /out/loader /loader
COPY --from=build /out/probe /probe
USER nonroot:nonroot
# Listen on every interface inside the container (the binaries default to
# 127.0.0.1, which nothing outside the container could reach).
ENV CRMGRAPH_HTTP_ADDR=0.0.0.0:9101
EXPOSE 9101
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["/probe", "http://127.0.0.1:9101/health"]
ENTRYPOINT ["/loader"]
CMD ["run"]
