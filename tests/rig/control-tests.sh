#!/usr/bin/env bash
# Control-plane tests of the guest under a real Xen (tools/rig): a guest booted without a
# configuration is configured, inspected and reconfigured through XenStore from dom0, first
# with plain xenstore-write as cosmos does, then with clickctl (tests/rig/control/steps.sh):
#   - a config installed in 992-byte chunks runs (answers pings)
#   - a counter read through the read-handler keys counts the pings answered
#   - a broken config sets status Error and error (file:line:col); the old router keeps running
#   - a new config replaces the running one without a reboot (swap time reported)
#   - a config over 64 KiB loads
#   - clickctl install / read / write / status work and report a broken config
set -euo pipefail
cd "$(dirname "$0")/../.."

image=$(kernel/build-image.sh)
tools/rig/build.sh
clickctl=$(tools/rig/build-clickctl.sh)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
{
    echo '#!/bin/bash'
    for f in ping-counted drop-icmp broken; do
        echo "cat >/tmp/$f.click <<'CONFIG_EOF'"
        cat "tests/rig/control/$f.click"
        echo "CONFIG_EOF"
    done
    cat tests/rig/control/steps.sh
} >"$work/hook.sh"
set +e
tools/rig/run.sh --dom0-bin "$clickctl" --timeout 400 --qemu-timeout 520 --kernel "$image" \
    --post-hook "$work/hook.sh" tests/rig/control/control.cfg | tee "$work/output"
rc=${PIPESTATUS[0]}
set -e
if [ "$rc" -gt 1 ]; then
    echo "control tests: rig failure (status $rc)" >&2
    exit 1
fi

echo "---- control test checks"
failed=0
expected=(
    "config installed with xenstore-write answers pings"
    "counter read through XenStore counts the pings answered"
    "a broken config sets status Error with file:line:col"
    "the running router keeps answering after a broken config"
    "reconfigured to drop ICMP without a reboot"
    "a config over 64 KiB loads"
    "clickctl install and read"
    "clickctl write calls a write handler"
    "clickctl reports a broken config"
)
for name in "${expected[@]}"; do
    line=$(grep -F "post-hook: result: $name: " "$work/output" | head -1)
    if [[ $line == *": ok"* ]]; then
        echo "ok   $name${line##*: ok}"
    else
        echo "FAIL $name: ${line:-no result}"
        failed=1
    fi
done
if grep -q '^== exit name=clickos-control reason=poweroff' "$work/output"; then
    echo "ok   exit reason poweroff"
else
    echo "FAIL exit reason poweroff"
    failed=1
fi
[ "$failed" = 0 ] && echo "control tests: all passed" || { echo "control tests: FAILED"; exit 1; }
