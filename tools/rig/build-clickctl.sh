#!/usr/bin/env bash
# Builds clickctl for the rig's dom0 (Debian bookworm userland, like the build machine the
# setup script expects, so the ordinary glibc build runs there) and prints its path.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build -q --release -p clickos-tools --bin clickctl
echo "${CARGO_TARGET_DIR:-target}/release/clickctl"
