#!/usr/bin/env bash
# Builds the stack's own OpenTelemetry Collector distribution, otelcol-claude-code, from
# tools/otelcol/builder-config.yaml with the OpenTelemetry Collector Builder (OCB), into
# .cache/otelcol-<version>/otelcol-claude-code. <version> is the manifest's dist.version (the single
# source): the builder is go.opentelemetry.io/collector/cmd/builder@v<version>, installed with
# `go install` into .cache/otelcol-<version>/builder-bin. Needs Go 1.25 or newer (on macOS: brew
# install go) and the Go module proxy. Idempotent: exits at once if the binary exists. Writes
# nothing outside the repository except Go's own module and build caches.
set -euo pipefail

start=$SECONDS
root=$(cd "$(dirname "$0")/.." && pwd)
manifest="$root/tools/otelcol/builder-config.yaml"
[ -r "$manifest" ] || { echo "cannot read $manifest" >&2; exit 1; }

# dist.version: the first `version:` line of the top-level dist: block.
version=$(awk '/^dist:/ { d = 1; next } /^[^[:space:]#]/ { d = 0 } d && /^[[:space:]]+version:/ { gsub(/["'\'']/, "", $2); print $2; exit }' "$manifest")
[[ "$version" =~ ^0\.[0-9]+\.[0-9]+$ ]] || { echo "cannot read dist.version (0.x.y) from $manifest (got \"$version\")" >&2; exit 1; }

# Every module must be at that one release: core v<version>, its stable modules v1.*, contrib v0.<minor>.*.
minor=${version#0.}; minor=${minor%%.*}
bad=$(sed -n 's/^[[:space:]]*-[[:space:]]*gomod:[[:space:]]*//p' "$manifest" | awk -v v="v$version" -v m="v0.$minor." '
    $1 ~ /^go\.opentelemetry\.io\/collector\// && $2 !~ /^v1\./ && $2 != v { print }
    $1 ~ /^github\.com\/open-telemetry\/opentelemetry-collector-contrib\// && index($2, m) != 1 { print }')
[ -z "$bad" ] || { printf 'modules not at release %s in %s:\n%s\n' "$version" "$manifest" "$bad" >&2; exit 1; }

dest="$root/.cache/otelcol-$version"
binary="$dest/otelcol-claude-code"
[ -x "$binary" ] && exit 0

command -v go >/dev/null 2>&1 || {
    echo "go not found: install Go 1.25 or newer (on macOS: brew install go), then run: bash scripts/build-otelcol.sh" >&2
    exit 1
}
echo "Building otelcol-claude-code $version (OpenTelemetry Collector Builder v$version) ..."
mkdir -p "$dest/builder-bin"
GOBIN="$dest/builder-bin" GOWORK=off go install "go.opentelemetry.io/collector/cmd/builder@v$version"

# The builder takes output_path from the manifest (its --output-path flag is deprecated): use a copy
# that sets it to a fresh source directory under .cache.
work="$dest/build"
rm -rf "$work"
mkdir -p "$work/tmp"
awk -v out="$work/src" '{ print } /^dist:/ { print "  output_path: \"" out "\"" }' "$manifest" > "$work/builder-config.yaml"
# TMPDIR: the builder makes a temporary directory even when output_path is set; keep it in .cache.
TMPDIR="$work/tmp" GOWORK=off "$dest/builder-bin/builder" --config "$work/builder-config.yaml" --skip-compilation=false
mv -f "$work/src/otelcol-claude-code" "$binary.tmp"
mv -f "$binary.tmp" "$binary"
rm -rf "$work"
"$binary" --version
echo "Built $binary in $((SECONDS - start)) s"
