#!/usr/bin/env bash
# Deploys (or updates) the stack on this machine: `npm run deploy` (extra arguments go to `pulumi up`).
#
# State lives in ~/.pulumi (Pulumi.yaml: backend file://~), so no cloud login. Secrets in state are
# encrypted with a passphrase generated once into ~/.pulumi/claude-code-monitoring.passphrase
# (mode 600), so there is no prompt. Set PULUMI_CONFIG_PASSPHRASE(_FILE) yourself to use another.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "error: $*" >&2; exit 1; }
command -v pulumi >/dev/null 2>&1 || fail "the Pulumi CLI is not installed (https://www.pulumi.com/docs/install/)"
command -v docker >/dev/null 2>&1 || fail "the Docker CLI is not installed"
docker info >/dev/null 2>&1 || fail "no Docker engine answers; start Docker (or set DOCKER_HOST, e.g. for Colima or rootless Docker)"
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
[ "$node_major" -ge 22 ] || fail "Node.js 22 or later is needed (found $(node --version 2>/dev/null || echo none))"

[ -d node_modules ] || npm ci --no-audit --no-fund

if [ -z "${PULUMI_CONFIG_PASSPHRASE:-}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
    passphrase_file="$HOME/.pulumi/claude-code-monitoring.passphrase"
    if [ ! -f "$passphrase_file" ]; then
        mkdir -p "$(dirname "$passphrase_file")"
        (umask 077 && node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("base64"))' > "$passphrase_file")
        echo "Generated a passphrase for this machine's stack secrets: $passphrase_file (back it up with your state)"
    fi
    export PULUMI_CONFIG_PASSPHRASE_FILE="$passphrase_file"
fi

stack="${PULUMI_STACK:-local}"
pulumi stack select --create "$stack" --secrets-provider passphrase
pulumi up --stack "$stack" "$@"
