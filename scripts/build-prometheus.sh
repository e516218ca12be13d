#!/usr/bin/env bash
# Builds the real prometheus and promtool binaries the tests use, at the version the stack pins,
# from the Go module github.com/prometheus/prometheus, into .cache/prometheus-<version>/.
#
# The version has one source: the prometheusImage setting (prom/prometheus:vX.Y.Z) in
# configs/settingsSchema.ts. Prometheus 3.x is published on the Go module proxy as v0.<X><YY>.<Z>
# (3.15.0 <-> v0.315.0, 3.5.3 <-> v0.305.3); the module's own VERSION file is checked against it.
#
# Needs Go (on macOS: brew install go); nothing else, no Docker, no Node toolchain for the UI.
# `go install ...@version` cannot be used: the module's go.mod has a replace directive, which
# go install refuses. So the module is downloaded and built as the main module, in its own
# directory, with its own go.mod and go.sum (the same dependency versions as the upstream
# release). The web UI is not built (its assets are not in the module and need Node to build;
# the `builtinassets` tag is therefore left out); the HTTP API, which the tests use, is complete.
# Idempotent: exits at once if both binaries exist.
#
# Usage: bash scripts/build-prometheus.sh                  build (if needed)
#        bash scripts/build-prometheus.sh --print-version  print the pinned version (3.15.0) only
set -euo pipefail

start=$SECONDS
root=$(cd "$(dirname "$0")/.." && pwd)
settings="$root/configs/settingsSchema.ts"

image=$(sed -n 's/^[[:space:]]*prometheusImage:[[:space:]]*image("\(prom\/prometheus:v[0-9][0-9.]*\)".*/\1/p' "$settings" | head -n 1)
if [ -z "$image" ]; then
    echo "Cannot find prometheusImage: \"prom/prometheus:vX.Y.Z\" in $settings" >&2
    exit 1
fi
version=${image#prom/prometheus:v}                      # 3.15.0
IFS=. read -r major minor patch <<<"$version"
if [ -z "${patch:-}" ] || [ "$major" -lt 3 ]; then
    echo "Unexpected Prometheus version '$version' in $settings (need 3.x.y)" >&2
    exit 1
fi
module=github.com/prometheus/prometheus
modversion=$(printf 'v0.%d%02d.%d' "$major" "$minor" "$patch")   # v0.315.0
dest="$root/.cache/prometheus-$version"

if [ "${1:-}" = "--print-version" ]; then
    echo "$version"
    exit 0
fi

if [ -x "$dest/prometheus" ] && [ -x "$dest/promtool" ]; then
    exit 0
fi

if ! command -v go >/dev/null 2>&1; then
    echo "go not found: install Go 1.26 or newer (on macOS: brew install go), then run: bash scripts/build-prometheus.sh" >&2
    exit 1
fi

echo "Building prometheus and promtool $version from $module@$modversion (first build downloads the dependencies; takes minutes) ..."

# Outside any module or workspace: the project's own files must not influence the build.
export GOWORK=off GOFLAGS=-mod=readonly CGO_ENABLED=0
workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT
cd "$workdir"

moddir=$(go mod download -json "$module@$modversion" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
if [ -z "$moddir" ] || [ ! -f "$moddir/go.mod" ]; then
    echo "go mod download $module@$modversion did not give a module directory" >&2
    exit 1
fi
upstream=$(tr -d '[:space:]' <"$moddir/VERSION")
if [ "$upstream" != "$version" ]; then
    echo "$module@$modversion has VERSION $upstream, expected $version" >&2
    exit 1
fi

pkg=github.com/prometheus/common/version
ldflags="-s -w
 -X $pkg.Version=$version
 -X $pkg.Revision=$modversion
 -X $pkg.Branch=go-module
 -X $pkg.BuildUser=$(id -un 2>/dev/null || echo unknown)@$(hostname 2>/dev/null || echo unknown)
 -X $pkg.BuildDate=$(date -u +%Y%m%d-%H:%M:%S)"

mkdir -p "$dest"
for cmd in prometheus promtool; do
    # Built inside the (read-only) module directory: it is the main module there, so its
    # go.mod, replace directive and go.sum apply. -trimpath keeps paths out of the binary.
    (cd "$moddir" && go build -tags netgo -trimpath -ldflags "$ldflags" -o "$dest/$cmd.tmp" "./cmd/$cmd")
    mv -f "$dest/$cmd.tmp" "$dest/$cmd"
done

"$dest/promtool" --version | head -n 1
echo "Built into $dest in $((SECONDS - start)) s"
