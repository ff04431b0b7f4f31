#!/usr/bin/env bash
# The seed service chain under a real Xen (tools/rig): a host on VLAN 100 (dom0's xenbr1.100,
# 10.10.0.2) pings 10.10.0.3 through guest A, the VLAN gateway and ToS firewall
# (configs/vlan-firewall.click), to guest B, the ping responder
# (configs/chain-ping-responder.click). Both guests boot without a configuration and are
# configured with clickctl from dom0 (tests/rig/chain/steps.sh). Checks:
#   - ping -Q 0xcc -c 10 gets 10 replies; ping -c 3 with ToS 0 gets none
#   - guest A's Print lines for the dropped echo requests are on its console
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/rig/lib.sh

image=$(kernel/build-image.sh)
tools/rig/build.sh
clickctl=$(tools/rig/build-clickctl.sh)
rig_begin
dom0_hook "$work/hook.sh" tests/rig/chain/steps.sh firewall=configs/vlan-firewall.click \
    responder=configs/chain-ping-responder.click
rig_run "chain tests" --dom0-bin "$clickctl" --timeout 300 --qemu-timeout 420 \
    --kernel "$image" --post-hook "$work/hook.sh" tests/rig/chain/firewall.cfg

echo "---- service chain checks"
expect_results "both guests configured with clickctl after boot" \
    "ping -Q 0xcc -c 10 through the chain gets 10 replies" \
    "ping -c 3 with ToS 0 gets none"
# Print shows the first 24 bytes of each dropped frame: a 98-byte IPv4 echo request with ToS 0
# reads "... 08004500 0054...".
printed=$(grep -cE '^  \| +98 \| [0-9a-f]{8} [0-9a-f]{8} [0-9a-f]{8} 08004500 0054' "$work/output" || true)
if [ "$printed" -ge 3 ]; then
    pass "guest A printed the $printed dropped ToS-0 echo requests"
else
    fail "guest A printed $printed dropped ToS-0 echo requests (want 3)"
fi
expect '^== exit name=clickos-fw reason=poweroff' 'guest A exit reason poweroff'
rig_end "chain tests"
