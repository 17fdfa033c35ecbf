# syntax=docker/dockerfile:1
# modelgate container image: the GitHub Action's runtime and a GitLab CI /
# generic CI image. Build:  docker build -t modelgate .
# Run:    docker run --rm -v "$PWD:/src" -w /src modelgate scan .
#
# Base images are pinned by version; pin them by digest too when publishing
# (e.g. golang:1.25.5-alpine3.22@sha256:…), and let Dependabot bump them.

ARG GO_VERSION=1.25
FROM golang:${GO_VERSION}-alpine AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOFLAGS=-trimpath
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=0.1.0-dev
ARG COMMIT=unknown
RUN go build -buildvcs=false \
      -ldflags "-s -w -buildid= -X github.com/modelgate/modelgate/internal/version.Version=${VERSION} -X github.com/modelgate/modelgate/internal/version.Commit=${COMMIT}" \
      -o /out/modelgate ./cmd/modelgate

# Small final image that still has a shell: GitLab CI runs job scripts with
# sh inside the image (use `entrypoint: [""]` there).
FROM alpine:3.22
RUN apk add --no-cache ca-certificates git
COPY --from=build /out/modelgate /usr/local/bin/modelgate
# git marks mounted workspaces owned by another user as unsafe.
RUN git config --system --add safe.directory '*'
# Runs as root: GitHub's Docker actions need it to write /github/file_commands.
ENTRYPOINT ["/usr/local/bin/modelgate"]
CMD ["scan", "."]
