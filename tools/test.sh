#!/usr/bin/env bash
# Runs every test of clickos-rs: formatting, lints, host unit/integration tests, and the
# guest's boot, network, control-plane, service chain, density, libvirt and traffic tests
# under a real Xen in QEMU (set CLICKOS_SKIP_BOOT_TESTS=1 to skip those on a machine without
# the rig; tools/setup.sh installs it).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings
echo "== cargo clippy (guest, x86_64-unknown-none)"
cargo clippy -p clickos-kernel --target x86_64-unknown-none -- -D warnings
echo "== cargo test"
cargo test --workspace
if [ -n "${CLICKOS_SKIP_BOOT_TESTS:-}" ]; then
    echo "== guest boot tests under Xen: SKIPPED (CLICKOS_SKIP_BOOT_TESTS is set)"
else
    echo "== guest boot tests under Xen (tools/rig)"
    ./tests/rig/boot-tests.sh
    echo "== guest network tests under Xen (tools/rig)"
    ./tests/rig/net-tests.sh
    echo "== control-plane tests under Xen (tools/rig)"
    ./tests/rig/control-tests.sh
    # The rig runs oxenstored (Debian's default); the guest's XenStore client must work with
    # the C daemon too.
    echo "== control-plane tests under Xen with the C xenstored (tools/rig)"
    RIG_XENSTORED=xenstored ./tests/rig/control-tests.sh
    echo "== service chain test under Xen (tools/rig)"
    ./tests/rig/chain-tests.sh
    echo "== density test under Xen: 50 guests of 4 MiB, a chain of 5, 20 made by clickctl (tools/rig)"
    ./tests/rig/density-tests.sh 50 --chain 5@50 --clickctl 20
    echo "== deployment through libvirt under Xen (tools/rig)"
    ./tests/rig/libvirt-tests.sh
    echo "== TCP/UDP traffic through the guest under Xen (tools/rig)"
    ./tests/rig/traffic-tests.sh
fi
echo "test: all passed"
