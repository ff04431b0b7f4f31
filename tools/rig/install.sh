#!/usr/bin/env bash
# Installs the host packages the Xen-in-QEMU rig needs on Debian 12: QEMU 10 from
# bookworm-backports (for qemu-system-x86_64, TCG), plus the small tools build.sh uses.
# Idempotent. Needs root (or sudo). The Xen and dom0 packages themselves are never
# installed on the host: build.sh downloads and unpacks them into tools/rig/.cache.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

have_pkgs() {
    local p
    for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || return 1; done
}

tools=(python3 util-linux binutils dpkg gzip cpio)
if command -v qemu-system-x86_64 >/dev/null && have_pkgs "${tools[@]}"; then
    echo "rig install: $(qemu-system-x86_64 --version | head -1) (already present)"
    exit 0
fi

# Add bookworm-backports from the mirror the machine already uses, unless it is there.
if ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
    mirror=$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources 2>/dev/null \
        | grep -v -- -security | head -1 || true)
    if [ -z "$mirror" ]; then
        mirror=$(awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
    fi
    mirror=${mirror:-http://deb.debian.org/debian}
    printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
        "$mirror" | $SUDO tee /etc/apt/sources.list.d/clickos-rig-backports.sources >/dev/null
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q "${tools[@]}"
$SUDO apt-get install -y -q --no-install-recommends -t bookworm-backports qemu-system-x86
echo "rig install: $(qemu-system-x86_64 --version | head -1)"
