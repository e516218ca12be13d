#!/usr/bin/env bash
# Installs Debian's Prometheus and promtool 3.x into .cache/prometheus for the tests.
#
# Debian's stable suite ships 2.x; its newest suite ships 3.x. This uses a private apt
# configuration (its own sources list, lists and cache under .cache/apt) that reuses the Debian
# mirror the machine's apt sources already name, checks signatures with the machine's Debian
# archive keyring, downloads the two .deb files and unpacks them with dpkg-deb. The machine's
# own apt sources and installed packages are never touched. Idempotent.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/.cache/prometheus"
apt_dir="$root/.cache/apt"

if [ -x "$dest/usr/bin/promtool" ] && [ -x "$dest/usr/bin/prometheus" ]; then
    exit 0
fi

warn() { printf '\n*** WARNING: %s\n*** Tests that need promtool/prometheus will be SKIPPED locally (and FAIL in CI).\n\n' "$1" >&2; }
command -v apt-get >/dev/null 2>&1 || { warn "apt-get not found: cannot fetch Debian's prometheus package on this machine."; exit 0; }
command -v dpkg-deb >/dev/null 2>&1 || { warn "dpkg-deb not found."; exit 0; }

keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -r "$keyring" ] || { warn "$keyring not found (install debian-archive-keyring)."; exit 0; }

# The Debian mirror the machine already uses (deb822 .sources files or one-line sources.list).
mirror=$(
    { cat /etc/apt/sources.list.d/*.sources 2>/dev/null | sed -n 's/^URIs:[[:space:]]*//p' | tr ' ' '\n'
      cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }'
    } | grep -E '/debian/?$' | head -n 1 || true
)
mirror=${mirror:-http://deb.debian.org/debian}
mirror=${mirror%/}

mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/download" "$dest"
echo "deb [signed-by=$keyring] $mirror sid main" > "$apt_dir/sources.list"
apt_opts=(
    -o "Dir::Etc::SourceList=$apt_dir/sources.list"
    -o "Dir::Etc::SourceParts=/dev/null"
    -o "Dir::State::Lists=$apt_dir/lists"
    -o "Dir::Cache=$apt_dir/cache"
    -o "Debug::NoLocking=1"
    -o "APT::Sandbox::User=root"
)
echo "Fetching Debian's prometheus and promtool (suite sid) from $mirror ..."
apt-get "${apt_opts[@]}" -qq update
(cd "$apt_dir/download" && rm -f ./*.deb && apt-get "${apt_opts[@]}" -qq download prometheus promtool)
for deb in "$apt_dir"/download/*.deb; do dpkg-deb -x "$deb" "$dest"; done

version=$("$dest/usr/bin/promtool" --version | head -n 1)
case "$version" in
    *"version 3."*) echo "Installed: $version" ;;
    *) echo "Expected promtool 3.x, got: $version" >&2; exit 1 ;;
esac
