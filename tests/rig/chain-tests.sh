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

image=$(kernel/build-image.sh)
tools/rig/build.sh
clickctl=$(tools/rig/build-clickctl.sh)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
{
    echo '#!/bin/bash'
    for f in firewall:configs/vlan-firewall.click responder:configs/chain-ping-responder.click; do
        echo "cat >/tmp/${f%%:*}.click <<'CONFIG_EOF'"
        cat "${f#*:}"
        echo "CONFIG_EOF"
    done
    cat tests/rig/chain/steps.sh
} >"$work/hook.sh"
set +e
tools/rig/run.sh --dom0-bin "$clickctl" --timeout 300 --qemu-timeout 420 --kernel "$image" \
    --post-hook "$work/hook.sh" tests/rig/chain/firewall.cfg | tee "$work/output"
rc=${PIPESTATUS[0]}
set -e
if [ "$rc" -gt 1 ]; then
    echo "chain tests: rig failure (status $rc)" >&2
    exit 1
fi

echo "---- service chain checks"
failed=0
for name in "both guests configured with clickctl after boot" \
    "ping -Q 0xcc -c 10 through the chain gets 10 replies" \
    "ping -c 3 with ToS 0 gets none"; do
    line=$(grep -F "post-hook: result: $name: " "$work/output" | head -1)
    if [[ $line == *": ok"* ]]; then
        echo "ok   $name${line##*: ok}"
    else
        echo "FAIL $name: ${line:-no result}"
        failed=1
    fi
done
# Print shows the first 24 bytes of each dropped frame: a 98-byte IPv4 echo request with ToS 0
# reads "... 08004500 0054...".
printed=$(grep -cE '^  \| +98 \| [0-9a-f]{8} [0-9a-f]{8} [0-9a-f]{8} 08004500 0054' "$work/output" || true)
if [ "$printed" -ge 3 ]; then
    echo "ok   guest A printed the $printed dropped ToS-0 echo requests"
else
    echo "FAIL guest A printed $printed dropped ToS-0 echo requests (want 3)"
    failed=1
fi
if grep -q '^== exit name=clickos-fw reason=poweroff' "$work/output"; then
    echo "ok   guest A exit reason poweroff"
else
    echo "FAIL guest A exit reason poweroff"
    failed=1
fi
[ "$failed" = 0 ] && echo "chain tests: all passed" || { echo "chain tests: FAILED"; exit 1; }
