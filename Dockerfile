# syntax=docker/dockerfile:1
# Builds the production binaries only: gateway, worker, migrate. None of them
# links the Temporal server (make lint checks that).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/ ./gateway ./worker ./internal/cmd/migrate

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ /usr/local/bin/
USER nonroot
