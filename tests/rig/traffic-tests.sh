#!/usr/bin/env bash
# Real TCP and UDP traffic through the guest under a real Xen (tools/rig): two hosts, network
# namespaces in dom0 with dom0's default offloads (partial checksums, TSO), one on xenbr1 and
# one on xenbr2, with a two-vif guest between them (tests/rig/traffic/wire.cfg). Each
# configuration of the hook's CASES (configs/wire.click and the IPFilter firewall
# tests/rig/traffic/firewall.click) is installed through XenStore and checked
# (tests/rig/traffic/steps.sh):
#   - ping both ways
#   - 4 MiB of random data by TCP each way, with the same sha256 on both ends
#   - 100 UDP datagrams each way: at least 95 received (QEMU's emulation can stall a side),
#     each intact and in order
# then:
#   - the firewall keeps TCP to its denied port closed
#   - through the NAT (tests/rig/traffic/nat.click, IPRewriter for TCP/UDP, IPAddrRewriter for
#     ICMP): ping, 4 MiB of TCP each way on A's connections and 100 UDP datagrams from A to B,
#     B sees A's connection from the translated address, and B cannot open a connection to A
#   - a configuration naming vif 2 of the two-vif guest is refused (status Error, file:line:col)
#     and the running router keeps forwarding
#   - the same TCP transfers between the hosts joined by a plain dom0 bridge; the throughput
#     through the guest is printed next to it, with the ratio
#   - the guest refused no frame as a multi-slot chain or for a partial checksum (it asks
#     netback for complete checksums and negotiates neither scatter-gather nor GSO)
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/rig/lib.sh

image=$(kernel/build-image.sh)
tools/rig/build.sh
rig_begin
dir=tests/rig/traffic
dom0_hook "$work/hook.sh" $dir/steps.sh wire=configs/wire.click firewall=$dir/firewall.click \
    nat=$dir/nat.click missing-vif=$dir/missing-vif.click
rig_run "traffic tests" --timeout 900 --qemu-timeout 1020 --kernel "$image" \
    --post-hook "$work/hook.sh" $dir/wire.cfg

echo "---- traffic checks"
cases=$(sed -n 's/^CASES="\(.*\)".*/\1/p' $dir/steps.sh)
for case in $cases; do
    expect_results "$case: installed through XenStore" "$case: ping both ways" \
        "$case: 4 MiB by TCP a->b" "$case: 4 MiB by TCP b->a" \
        "$case: 100 UDP datagrams a->b" "$case: 100 UDP datagrams b->a"
done
expect_results "firewall: TCP to the denied port 5003 stays closed" \
    "nat: installed through XenStore" "nat: ping a->b" "nat: 4 MiB by TCP a->b" \
    "nat: 4 MiB by TCP b->a on a's connection" \
    "nat: 100 UDP datagrams a->b" \
    "nat: B sees A's connection from the translated address 10.1.0.100" \
    "nat: B cannot open a connection to A"
expect_results "a config naming vif 2 of a two-vif guest is refused with file:line:col" \
    "the running router keeps forwarding after the refused config" \
    "direct: ping through a plain dom0 bridge" "direct: 4 MiB by TCP a->b" "direct: 4 MiB by TCP b->a"
for vif in 0 1; do
    expect "\| net: vif$vif disconnected \(Closing, Closed\).* refused 0 multi-slot frames, 0 partial checksums" \
        "vif$vif: every frame reached the guest in one slot with a complete checksum"
done
expect '^== exit name=clickos-traffic reason=poweroff' 'exit reason poweroff'

# Throughput: MiB/s of each TCP transfer, through the guest next to the direct bridge.
rate() { # CASE DIRECTION: MiB/s of that transfer (empty if it did not happen)
    sed -n "s/^post-hook: measure: $1 tcp $2 \([0-9]*\) bytes in \([0-9.]*\) s$/\1 \2/p" "$work/output" |
        awk '$2 > 0 { printf "%.2f", $1 / 1048576 / $2 }'
}
for case in $cases nat; do
    for d in 'a->b' 'b->a'; do
        through=$(rate "$case" "$d")
        direct=$(rate direct "$d")
        ratio=$(awk -v t="${through:-0}" -v d="${direct:-0}" 'BEGIN { if (d > 0) printf "%.3f", t / d; else print "?" }')
        echo "traffic tests: TCP $d through the guest ($case) ${through:-?} MiB/s, dom0 bridge ${direct:-?} MiB/s, ratio $ratio (QEMU/TCG)"
    done
done
rig_end "traffic tests"
