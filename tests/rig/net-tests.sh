#!/usr/bin/env bash
# Network tests of the guest under a real Xen (tools/rig): the ping responder
# (configs/ping-responder.click) on one vif on dom0's bridge xenbr0. The dom0 hook
# (net-traffic.sh) runs arping, 100 pings of 56, 0 and 1472 bytes, a warm-up flood, a flood of
# 100 000 requests and `xl shutdown`. Checks:
#   - arping gets the guest's MAC; every ping of every size gets its reply
#   - the flood loses nothing, and the guest's heap use and free packet buffers after it are
#     what they were after the warm-up (no leak); its packets per second are reported
#   - `xl shutdown` ends the guest with reason poweroff after netfront closed (Closing, Closed)
#   - an image built with `kernel/build-image.sh --config configs/ping-responder.click` (under
#     512 KiB: only the classes it uses) runs it in 2 MiB with no ramdisk, command line or
#     XenStore keys, answers ping, and refuses a configuration naming a class it lacks
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/rig/lib.sh

embedded=$(kernel/build-image.sh --config configs/ping-responder.click)
image=$(kernel/build-image.sh)
tools/rig/build.sh
rig_begin
dom0_hook "$work/traffic.sh" tests/rig/net-traffic.sh
dom0_hook "$work/embedded.sh" tests/rig/embedded-ping.sh
rig_run "net tests" --timeout 600 --qemu-timeout 780 --kernel "$image" \
    --post-hook "$work/traffic.sh" tests/rig/net.cfg \
    --kernel "$embedded" --post-hook "$work/embedded.sh" tests/rig/embedded.cfg

echo "---- net test checks"
expect '^post-hook: Unicast reply from 10\.0\.0\.2 \[00:16:3[eE]:00:00:02\]' 'arping gets the guest MAC'
expect '^post-hook: Received 3 response\(s\)' 'arping: 3 of 3 answered'
for size in 56 0 1472; do
    line=$(grep -A1 "^post-hook: phase ping size=$size\$" "$work/output" | tail -1)
    if [[ $line =~ "100 packets transmitted, 100 received" ]]; then
        pass "ping -s $size: 100 of 100 answered"
    else
        fail "ping -s $size: ${line:-no summary}"
    fi
done
expect '^post-hook: 100000 packets transmitted, 100000 received' 'flood: 100000 of 100000 answered'

# The guest closes a burst after 1 s without packets and prints its figures and memory.
burst_of_at_least() { # N: the first burst line with at least N packets
    grep -E '\| net: burst: [0-9]+ packets' "$work/output" |
        awk -v n="$1" '{ for (i = 1; i <= NF; i++) if ($i == "burst:" && $(i + 1) >= n) { print; exit } }'
}
memory_of() { sed -n 's/.*heap used \([0-9]*\) B.*free buffers \([0-9]*\) .*/\1 B heap, \2 free buffers/p'; }
warm=$(burst_of_at_least 10000 | memory_of)
# The flood is the last burst of the ping responder (a loaded machine can pause dom0's ping
# for over a second and split it in two; every burst reports the same figures then).
flood_line=$(sed -n '/^== guest name=clickos-net$/,/^== exit name=clickos-net /p' "$work/output" |
    grep -E '\| net: burst: [0-9]+ packets' | tail -1)
flood=$(memory_of <<<"$flood_line")
if [ -n "$warm" ] && [ "$warm" = "$flood" ]; then
    pass "no leak: $flood after the warm-up and after the flood"
else
    fail "memory after the warm-up (${warm:-?}) differs from after the flood (${flood:-?})"
fi
expect '\| net: shutdown requested \(Poweroff\)' 'xl shutdown is seen'
expect '\| net: vif0 disconnected \(Closing, Closed\)' 'netfront closes'
expect '^== exit name=clickos-net reason=poweroff' 'exit reason poweroff'
# The image with configs/ping-responder.click built in, in 2 MiB, no ramdisk, no keys.
expect '\| net: router 0 from the ping-responder\.click \([0-9]+ bytes\) running' 'built-in configuration runs as router 0'
expect '^post-hook: embedded: 10 packets transmitted, 10 received' 'built-in configuration answers 10 of 10 pings in 2 MiB'
expect '^post-hook: embedded: config chunks in XenStore: 0$' 'no configuration written to XenStore'
expect "^post-hook: embedded: refused: data/clickos/0/config:1:[0-9]+: element class 'IPFilter' is not in this image \\(built for ping-responder\\.click\\)" \
    'a configuration naming a class the image lacks is refused where it names it'
expect '^post-hook: embedded: after: 3 packets transmitted, 3 received' 'the built-in router keeps answering after the refusal'
expect '^== exit name=clickos-embedded reason=poweroff' 'built-in configuration guest: exit reason poweroff'
embedded_size=$(stat -c %s "$embedded")
if [ "$embedded_size" -lt $((512 * 1024)) ]; then
    pass "the ping responder's image is under 512 KiB ($embedded_size bytes stripped)"
else
    fail "the ping responder's image is $embedded_size bytes stripped, not under 512 KiB"
fi
pps=$(sed -n 's/.*net: burst: \([0-9]* packets in [0-9.]* s = [0-9]* pps\).*/\1/p' <<<"$flood_line")
echo "net tests: flood ${pps:-?} under QEMU/TCG (dom0's ping -f is the limit)"
rig_end "net tests"
