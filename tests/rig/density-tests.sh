#!/usr/bin/env bash
# Density test of the guest under a real Xen (tools/rig): N ping-responder guests of 4 MiB
# side by side, each with its own address from its ramdisk configuration, every one
# answering. For each guest, the time from `xl create` to its first ping reply with the
# others running, broken down into the toolstack's part (xl create) and the guest's own
# (entry to banner, vif connected, router loaded, from its console).
#   usage: tests/rig/density-tests.sh [N] [--chain LEN@RUNNING]... [--clickctl K] [--chart SVG]
#            [--chain-chart SVG]
#     N                 guests side by side (default 50; tools/test.sh runs 50)
#     --chain LEN@RUNNING  also a chain of LEN guests in series (LEN-1 two-vif forwarders, then
#                       a ping responder, on bridges of their own), instantiated once RUNNING
#                       of the N guests run: time from the first `xl create` to the first reply
#                       through the chain, and every link's counters read with clickctl
#     --clickctl K      then K guests created and configured with `clickctl create` in a loop
#                       (default 0), every one answering
#     --chart SVG       writes the per-guest times as an SVG chart
#     --chain-chart SVG writes the chains' times as an SVG chart
# Prints the per-guest lines and Markdown tables: the guest started with 1, 10, 25, 50, 100, ...
# guests already running; the chains.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/rig/lib.sh

n=50 chains="" clickctl_n=0 chart="" chain_chart="" guests=0
while [ $# -gt 0 ]; do
    case $1 in
    --chain)
        [[ ${2:-} =~ ^[0-9]+@[0-9]+$ ]] && [ "${2%@*}" -ge 1 ] \
            || { echo "density-tests.sh: --chain wants LEN@RUNNING, got '${2:-}'" >&2; exit 2; }
        chains="$chains $2" guests=$((guests + ${2%@*}))
        shift 2 ;;
    --clickctl) clickctl_n=$2; shift 2 ;;
    --chart) chart=$2; shift 2 ;;
    --chain-chart) chain_chart=$2; shift 2 ;;
    [0-9]*) n=$1; shift ;;
    *) sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
    esac
done
guests=$((guests + n + clickctl_n))
image=$(kernel/build-image.sh)
tools/rig/build.sh
clickctl=$(tools/rig/build-clickctl.sh)
rig_begin
{
    echo "N=$n CHAINS='$chains' CLICKCTL_N=$clickctl_n"
    cat tests/rig/density/steps.sh
} >"$work/steps.sh"
dom0_hook "$work/hook.sh" "$work/steps.sh" ping-responder=configs/ping-responder.click \
    forwarder=tests/rig/density/forwarder.click
# dom0 keeps an xl process per running guest (it watches the domain), about 1 MiB each: with
# 256 MiB dom0 has about 90 MiB available before the first guest (the per-guest lines print
# what is left), so beyond 50 guests it gets 4 MiB more per guest. At most max(N, K) guests
# run at once (the N are gone before the clickctl loop).
running=$((n > clickctl_n ? n : clickctl_n))
dom0_mib=$((running > 50 ? 256 + 4 * (running - 50) : 256))
rig_run "density tests" --dom0-bin "$clickctl" --dom0-mem "$dom0_mib" --timeout $((120 + 12 * guests)) \
    --qemu-timeout $((240 + 12 * guests)) \
    --kernel "$image" --post-hook "$work/hook.sh" tests/rig/density/density.cfg

echo "---- density test checks"
expect "^post-hook: density: $n of $n guests answer" "all $n guests answer ping at once"
for c in $chains; do
    expect "^post-hook: density: chain len=${c%@*} running=${c#*@} first_reply_ms=[0-9]+ links_forwarding=([0-9]+)/\\1 " \
        "a chain of ${c%@*} with ${c#*@} running answers through every link"
done
if [ "$clickctl_n" -gt 0 ]; then
    expect "^post-hook: density: clickctl created and configured $clickctl_n of $clickctl_n" \
        "clickctl creates and configures $clickctl_n guests in a loop, each answering"
fi
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
if [ -n "$chains" ]; then
    echo
    echo "| guests in the chain | guests already running | first xl create to first reply through the chain ms | links forwarding |"
    echo "|---:|---:|---:|---:|"
    sed -n 's/^post-hook: density: chain len=\([0-9]*\) running=\([0-9]*\) first_reply_ms=\([0-9]*\) links_forwarding=\([0-9/]*\).*/| \1 | \2 | \3 | \4 |/p' "$work/output"
fi
if [ "$clickctl_n" -gt 0 ]; then
    echo
    sed -n 's/^post-hook: density: clickctl guest [0-9]* create_and_install_ms=\([0-9]*\).*/\1/p' "$work/output" |
        sort -n | awk '{ v[NR] = $1 } END { if (NR) printf "clickctl create (xl create, ready, install): median %d ms, max %d ms over %d guests\n", v[int((NR + 1) / 2)], v[NR], NR }'
fi
if [ -n "$chart" ]; then
    sed -n 's/^post-hook: density: guest [0-9]* running_before=\([0-9]*\) create_ms=\([0-9]*\) reply_ms=\([0-9]*\).*/\1 \2 \3/p' "$work/output" |
        awk -f tests/rig/density/chart.awk >"$chart" && echo "chart: $chart"
fi
if [ -n "$chain_chart" ]; then
    sed -n 's/^post-hook: density: chain len=\([0-9]*\) running=\([0-9]*\) first_reply_ms=\([0-9]*\).*/\1 \2 \3/p' "$work/output" |
        awk -f tests/rig/density/chain-chart.awk >"$chain_chart" && echo "chain chart: $chain_chart"
fi
rig_end "density tests"
