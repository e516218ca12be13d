#!/usr/bin/env bash
# Builds the real Pulumi CLI (github.com/pulumi/pulumi/pkg/v3/cmd/pulumi, at the version
# tools/pulumi-cli/go.mod requires, equal to .pulumi-version) into .cache/pulumi-<version>/pulumi, for
# the tests that run the shipped stack files through it. Needs Go (on macOS: brew install go).
# Idempotent: exits at once if the binary exists.
set -euo pipefail

start=$SECONDS
root=$(cd "$(dirname "$0")/.." && pwd)
src="$root/tools/pulumi-cli"
version=$(sed -n 's|^\(require\)\{0,1\}[[:space:]]*github.com/pulumi/pulumi/pkg/v3 \(v[0-9.]*\)$|\2|p' "$src/go.mod")
[ -n "$version" ] || { echo "cannot read the github.com/pulumi/pulumi/pkg/v3 version from $src/go.mod" >&2; exit 1; }
dest="$root/.cache/pulumi-$version"
[ -x "$dest/pulumi" ] && exit 0

command -v go >/dev/null 2>&1 || {
    echo "go not found: install Go 1.26 or newer (on macOS: brew install go), then run: bash scripts/build-pulumi.sh" >&2
    exit 1
}
echo "Building the Pulumi CLI $version from github.com/pulumi/pulumi/pkg/v3 (the first build downloads its dependencies; takes minutes) ..."
mkdir -p "$dest"
# The version string the CLI prints (`pulumi version`), set by the linker as upstream's release build does.
ldflags="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version"
(cd "$src" && GOWORK=off GOFLAGS=-mod=readonly CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$dest/pulumi.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
mv -f "$dest/pulumi.tmp" "$dest/pulumi"
echo "Built $dest/pulumi in $((SECONDS - start)) s"
