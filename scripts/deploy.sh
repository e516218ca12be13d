#!/usr/bin/env bash
# Deploys (or updates) the stack on this machine: `npm run deploy` (extra arguments go to `pulumi up`).
#
# State lives in ~/.pulumi (Pulumi.yaml: backend file://~), so no cloud login. Secrets in state are
# encrypted with a passphrase generated once into ~/.pulumi/claude-code-monitoring.passphrase
# (mode 600), so there is no prompt. Set PULUMI_CONFIG_PASSPHRASE(_FILE) yourself to use another.
set -euo pipefail
cd "$(dirname "$0")/.."

# Every prerequisite is checked before anything runs, and all missing ones are reported at once.
problems=()
warnings=()
tested_pulumi=$(cat .pulumi-version)
# True when version $1 (x.y.z) is older than $2.
older_than() {
    local IFS=. i
    local -a have=($1) want=($2)
    for i in 0 1 2; do
        if (( ${have[i]:-0} < ${want[i]:-0} )); then return 0; fi
        if (( ${have[i]:-0} > ${want[i]:-0} )); then return 1; fi
    done
    return 1
}
if command -v pulumi >/dev/null 2>&1; then
    pulumi_version=$(pulumi version 2>/dev/null | head -n1)
    pulumi_version=${pulumi_version#v}
    pulumi_version=${pulumi_version%%[-+]*}
    if [[ ! $pulumi_version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
        warnings+=("could not read the Pulumi CLI's version ('pulumi version' printed '$(pulumi version 2>&1 | head -n1)'); this project is tested with $tested_pulumi")
    elif older_than "$pulumi_version" "$tested_pulumi"; then
        warnings+=("the Pulumi CLI is $pulumi_version, older than $tested_pulumi, the version this project is tested with; if pulumi up fails, upgrade it (https://www.pulumi.com/docs/install/)")
    fi
else
    problems+=("the Pulumi CLI is not installed (https://www.pulumi.com/docs/install/; $tested_pulumi or later)")
fi
if ! command -v docker >/dev/null 2>&1; then
    problems+=("the Docker CLI is not installed (Docker Desktop, Colima, or docker.io on Linux)")
elif ! docker info >/dev/null 2>&1; then
    problems+=("no Docker engine answers; start Docker (or set DOCKER_HOST, e.g. for Colima or rootless Docker)")
fi
source scripts/node-version.sh
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if ! node_supported "$node_major"; then
    problems+=("Node.js 24 (or 26 and later) is needed (found $(node --version 2>/dev/null || echo none); https://nodejs.org)")
fi
# ${a[@]+...}: an empty array under set -u is an error in macOS's bash 3.2.
for w in ${warnings[@]+"${warnings[@]}"}; do echo "warning: $w" >&2; done
if [ ${#problems[@]} -gt 0 ]; then
    echo "error: npm run deploy cannot start; fix ${#problems[@]} problem(s) first:" >&2
    for p in "${problems[@]}"; do echo "  - $p" >&2; done
    exit 1
fi

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
# How to reach it, with the passphrase exported above (a later plain `pulumi stack output` would ask for it).
echo
npx --no-install tsx scripts/status.ts --stack "$stack"
