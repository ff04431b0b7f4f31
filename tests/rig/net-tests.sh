#!/usr/bin/env bash
# Network tests of the guest under a real Xen (tools/rig): the ping responder
# (configs/ping-responder.click) on one vif on dom0's bridge xenbr0. The dom0 hook
# (net-traffic.sh) runs arping, 100 pings of 56, 0 and 1472 bytes, a warm-up flood, a flood of
# 100 000 requests and `xl shutdown`. Checks:
#   - arping gets the guest's MAC; every ping of every size gets its reply
#   - the flood loses nothing, and the guest's heap use and free packet buffers after it are
#     what they were after the warm-up (no leak); its packets per second are reported
#   - `xl shutdown` ends the guest with reason poweroff after netfront closed (Closing, Closed)
set -euo pipefail
cd "$(dirname "$0")/../.."

image=$(kernel/build-image.sh)
tools/rig/build.sh
output=$(mktemp)
trap 'rm -f "$output"' EXIT
set +e
tools/rig/run.sh --timeout 600 --qemu-timeout 720 --kernel "$image" \
    --post-hook tests/rig/net-traffic.sh tests/rig/net.cfg | tee "$output"
rc=${PIPESTATUS[0]}
set -e
if [ "$rc" -gt 1 ]; then
    echo "net tests: rig failure (status $rc)" >&2
    exit 1
fi

failed=0
check() { # REGEX WHAT
    if grep -qE -- "$1" "$output"; then
        echo "ok   $2"
    else
        echo "FAIL $2 (no line matches /$1/)"
        failed=1
    fi
}
echo "---- net test checks"
check '^post-hook: Unicast reply from 10\.0\.0\.2 \[00:16:3[eE]:00:00:02\]' 'arping gets the guest MAC'
check '^post-hook: Received 3 response\(s\)' 'arping: 3 of 3 answered'
for size in 56 0 1472; do
    line=$(grep -A1 "^post-hook: phase ping size=$size\$" "$output" | tail -1)
    if [[ $line =~ "100 packets transmitted, 100 received" ]]; then
        echo "ok   ping -s $size: 100 of 100 answered"
    else
        echo "FAIL ping -s $size: ${line:-no summary}"
        failed=1
    fi
done
check '^post-hook: 100000 packets transmitted, 100000 received' 'flood: 100000 of 100000 answered'

# The guest closes a burst after 1 s without packets and prints its figures and memory.
burst_of_at_least() { # N: the first burst line with at least N packets
    grep -E '\| net: burst: [0-9]+ packets' "$output" |
        awk -v n="$1" '{ for (i = 1; i <= NF; i++) if ($i == "burst:" && $(i + 1) >= n) { print; exit } }'
}
memory_of() { sed -n 's/.*heap used \([0-9]*\) B.*free buffers \([0-9]*\) .*/\1 B heap, \2 free buffers/p'; }
warm=$(burst_of_at_least 10000 | memory_of)
flood_line=$(burst_of_at_least 100000)
flood=$(memory_of <<<"$flood_line")
if [ -n "$warm" ] && [ "$warm" = "$flood" ]; then
    echo "ok   no leak: $flood after the warm-up and after the flood"
else
    echo "FAIL memory after the warm-up (${warm:-?}) differs from after the flood (${flood:-?})"
    failed=1
fi
check '\| net: shutdown requested \(Poweroff\)' 'xl shutdown is seen'
check '\| net: vif0 disconnected \(Closing, Closed\)' 'netfront closes'
check '^== exit name=clickos-net reason=poweroff' 'exit reason poweroff'
pps=$(sed -n 's/.*net: burst: \([0-9]* packets in [0-9.]* s = [0-9]* pps\).*/\1/p' <<<"$flood_line")
echo "net tests: flood ${pps:-?} under QEMU/TCG (dom0's ping -f is the limit)"
[ "$failed" = 0 ] && echo "net tests: all passed" || { echo "net tests: FAILED"; exit 1; }
