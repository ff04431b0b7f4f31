#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks to build and test clickos-rs.
# Idempotent; run as root (or with sudo available).
set -euo pipefail
cd "$(dirname "$0")/.."

# Rust: the toolchain and the guest target pinned in rust-toolchain.toml.
rustup show active-toolchain >/dev/null
rustup target add x86_64-unknown-none

# Debian packages later stages need (the Xen rig installs its own on demand).
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
need=()
for pkg in python3 binutils; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ "${#need[@]}" -gt 0 ]; then
    $SUDO apt-get update -q
    $SUDO apt-get install -y -q "${need[@]}"
fi
# The Xen-in-QEMU test rig: QEMU from bookworm-backports, then Xen, the dom0 kernel and
# its initramfs from Debian's archive into tools/rig/{.cache,out} (gitignored), with the
# libvirt layer of the libvirt test.
./tools/rig/install.sh
./tools/rig/build.sh --libvirt
echo "setup: done"
