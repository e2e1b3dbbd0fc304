# syntax=docker/dockerfile:1
# cloudbase-mcp in a container: the static binary on an empty image (no shell,
# no package manager), the CA bundle for TLS to Tencent Cloud, a non-root user.
# MCP over stdio, so run it with -i:
#
#   docker build -t cloudbase-mcp .
#   docker run -i --rm -e CLOUDBASE_MCP_SANDBOX=true cloudbase-mcp
#   docker run -i --rm -v "$PWD:/workspace" -e TENCENTCLOUD_SECRETID -e TENCENTCLOUD_SECRETKEY \
#     -e CLOUDBASE_ENV_ID cloudbase-mcp
#
# `make dist` checks what can be checked without a Docker engine: the final
# stage below is rebuilt as a directory from the release binary and run under
# chroot as this user (tools/distcheck).

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
ARG DATE=unknown
# The same flags as the release archives (.goreleaser.yaml): CGO off, so the
# binary needs no libc and runs on an empty image.
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT} -X main.date=${DATE}" \
      -o /rootfs/cloudbase-mcp ./cmd/cloudbase-mcp \
 && mkdir -p /rootfs/etc/ssl/certs /rootfs/tmp /rootfs/home/mcp /rootfs/workspace \
 && cp /etc/ssl/certs/ca-certificates.crt /rootfs/etc/ssl/certs/ca-certificates.crt \
 && chmod 1777 /rootfs/tmp \
 && chown 65532:65532 /rootfs/home/mcp /rootfs/workspace

FROM scratch
COPY --from=build /rootfs/ /
USER 65532:65532
# HOME holds the audit log (~/.config/cloudbase-mcp/audit.log); mount the
# project at /workspace (clients that offer roots override it).
ENV HOME=/home/mcp CLOUDBASE_MCP_WORKSPACE=/workspace
WORKDIR /workspace
LABEL io.modelcontextprotocol.server.name="io.github.cloudbase-mcp/cloudbase-mcp" \
      org.opencontainers.image.title="cloudbase-mcp" \
      org.opencontainers.image.description="MCP server for Tencent CloudBase Run" \
      org.opencontainers.image.source="https://github.com/cloudbase-mcp/cloudbase-mcp"
ENTRYPOINT ["/cloudbase-mcp"]
