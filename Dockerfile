# syntax=docker/dockerfile:1

# ---- build ----------------------------------------------------------------------------------
# Runs on the build host's platform and cross-compiles for the target (buildx multi-arch).
FROM --platform=$BUILDPLATFORM golang:1.26 AS build
WORKDIR /src

# Dependencies first: this layer is reused until go.mod or go.sum change.
COPY go.mod go.sum ./
RUN go mod download && go mod verify

COPY . .
ARG TARGETOS TARGETARCH
RUN --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags="-s -w" -o /out/orders-service .

# ---- run ------------------------------------------------------------------------------------
# Static distroless: no shell, no package manager; CA certificates, tzdata and /etc/passwd
# included; runs as uid/gid 65532.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/orders-service /orders-service
USER nonroot:nonroot
ENV HTTP_ADDR=:8080 \
    LOG_FORMAT=json
EXPOSE 8080
# No HEALTHCHECK: the image has no shell or curl, and the binary has no probe mode.
ENTRYPOINT ["/orders-service"]
