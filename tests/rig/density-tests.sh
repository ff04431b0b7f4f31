#!/usr/bin/env bash
# Density test of the guest under a real Xen (tools/rig): N ping-responder guests of 4 MiB
# side by side, each with its own address from its ramdisk configuration, every one
# answering. For each guest, the time from `xl create` to its first ping reply with the
# others running, broken down into the toolstack's part (xl create) and the guest's own
# (entry to banner, vif connected, router loaded, from its console).
#   usage: tests/rig/density-tests.sh [N]     (default 50; tools/test.sh runs 50)
# Prints the per-guest lines and a Markdown table for the guest started with 1, 10, 25, 50, 100,
# ... guests already running.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/rig/lib.sh

n=${1:-50}
image=$(kernel/build-image.sh)
tools/rig/build.sh
rig_begin
{
    echo "N=$n"
    cat tests/rig/density/steps.sh
} >"$work/steps.sh"
hook_with_configs "$work/steps.sh" ping-responder=configs/ping-responder.click
rig_run "density tests" --timeout $((120 + 12 * n)) --qemu-timeout $((240 + 12 * n)) \
    --kernel "$image" --post-hook "$work/hook.sh" tests/rig/density/density.cfg

echo "---- density test checks"
expect "^post-hook: density: $n of $n guests answer" "all $n guests answer ping at once"
expect '^post-hook: density: done failed=0' 'every guest was created and answered in turn'
expect '^== exit name=clickos-density reason=poweroff' 'first guest: exit reason poweroff'
echo
echo "| guests already running | xl create (toolstack) ms | guest entry to banner ms | vif connected ms | router loaded ms | xl create to first reply ms |"
echo "|---:|---:|---:|---:|---:|---:|"
grep -E '^post-hook: density: guest [0-9]+ running_before=' "$work/output" |
    sed 's/.*running_before=\([0-9]*\) create_ms=\([0-9]*\) reply_ms=\([0-9]*\) boot_ms=\([0-9.?]*\) vif_ms=\([0-9?]*\) router_us=\([0-9?]*\).*/\1 \2 \3 \4 \5 \6/' |
    awk '$1 == 1 || $1 == 10 || $1 == 25 || $1 == 50 || $1 == 100 || $1 == 150 || $1 == 200 || $1 == 300 {
        router = ($6 == "?") ? "?" : sprintf("%.1f", $6 / 1000)
        printf "| %d | %d | %s | %s | %s | %d |\n", $1, $2, $4, $5, router, $3 }'
rig_end "density tests"
