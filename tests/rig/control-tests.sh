#!/usr/bin/env bash
# Control-plane tests of the guest under a real Xen (tools/rig): a guest booted without a
# configuration is configured, inspected and reconfigured through XenStore from dom0, first
# with plain xenstore-write as cosmos does, then with clickctl (tests/rig/control/steps.sh):
#   - a config installed in 992-byte chunks runs (answers pings)
#   - a counter read through the read-handler keys counts the pings answered
#   - a broken config sets status Error and error (file:line:col); the old router keeps running
#   - a new config replaces the running one without a reboot (swap time reported)
#   - a config over 64 KiB loads
#   - five live swaps under 50 pings a second lose no echo request (longest pause reported)
#   - hostile configs (huge BURST, exponential define, compounds doubling per level) are
#     refused with file:line:col while the running router keeps answering
#   - a 400-element push chain forwards (no recursion, no stack overflow)
#   - clickctl install / read / write / status work and report a broken config
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/rig/lib.sh

image=$(kernel/build-image.sh)
tools/rig/build.sh
clickctl=$(tools/rig/build-clickctl.sh)
rig_begin
dir=tests/rig/control
dom0_hook "$work/hook.sh" $dir/steps.sh ping-counted=$dir/ping-counted.click \
    drop-icmp=$dir/drop-icmp.click broken=$dir/broken.click
rig_run "control tests" --dom0-bin "$clickctl" --timeout 600 --qemu-timeout 720 \
    --kernel "$image" --post-hook "$work/hook.sh" $dir/control.cfg

echo "---- control test checks"
expect_results "config installed with xenstore-write answers pings" \
    "counter read through XenStore counts the pings answered" \
    "a broken config sets status Error with file:line:col" \
    "the running router keeps answering after a broken config" \
    "reconfigured to drop ICMP without a reboot" \
    "a config over 64 KiB loads" \
    "no echo request is lost across five live swaps" \
    "hostile configs are refused and the running router keeps answering" \
    "a 400-element push chain forwards" \
    "clickctl install and read" \
    "clickctl write calls a write handler" \
    "clickctl reports a broken config"
expect '^== exit name=clickos-control reason=poweroff' 'exit reason poweroff'
rig_end "control tests"
