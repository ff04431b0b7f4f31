#!/usr/bin/env bash
# Boot tests of the guest under a real Xen (tools/rig: Xen 4.17 + Debian dom0 in QEMU/TCG).
# One QEMU boot runs five guests from one image, each selecting its behaviour on the command
# line (xl extra=):
#   boot   memory = 8: banner (version, memory, boot time from the Xen clock), scheduler
#          self-test (sleepers wake in deadline order), exit reason poweroff
#   panic  selftest=panic: the panic message on the console, exit reason crash
#   fault  selftest=fault: the page-fault diagnostic (vector, rip, address), exit reason crash
#   stack  selftest=stack: recurses past the stack onto its guard page: the domain crashes
#          (Xen cannot deliver the fault on an unmapped stack) instead of corrupting memory
#   idle   selftest=idle: sleeps 6 s on the timer; a dom0 hook samples `xl list` CPU time
#          while the domain lives, which must stay flat (it blocks), exit reason poweroff
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/rig/lib.sh

image=$(kernel/build-image.sh)
tools/rig/build.sh
rig_begin
rig_run "boot tests" --kernel "$image" tests/rig/boot.cfg tests/rig/panic.cfg tests/rig/fault.cfg \
    tests/rig/stack.cfg --post-hook tests/rig/idle-cpu.sh tests/rig/idle.cfg
output=$work/output

section() { # the lines of guest $1, from its "== guest" line to its "== exit" line
    awk -v n="$1" '$0 == "== guest name=" n { on = 1 } on { print } index($0, "== exit name=" n " ") == 1 { on = 0 }' "$output"
}
expect_of() { # GUEST REGEX WHAT: a line of GUEST's section matches REGEX
    if section "$1" | grep -qE -- "$2"; then pass "$1: $3"; else fail "$1: $3 (no line matches /$2/)"; fi
}
echo "---- boot test checks"
expect_of clickos-boot '^== exit name=clickos-boot reason=poweroff' 'exit reason poweroff'
expect_of clickos-boot '\| ClickOS-rs kernel [0-9]+\.[0-9]+\.[0-9]+ \(x86_64 PV\) on Xen 4\.[0-9]+' 'banner with version'
expect_of clickos-boot '\| memory: 8 MiB \(2048 pages\)' 'banner with its memory'
expect_of clickos-boot '\| boot time: [0-9]+\.[0-9]{3} ms from entry \(Xen clock\)' 'banner with the boot time'
expect_of clickos-boot '\| memory check: heap ok .* -> pfn ok' 'heap and PFN/MFN translation'
expect_of clickos-boot '\| sched selftest: ok, 3 wake-ups in deadline order' 'scheduler self-test passes'
order=$(section clickos-boot | grep -oE 'sched: sleep[0-9]+ woke' | tr '\n' ' ')
if [ "$order" = "sched: sleep10 woke sched: sleep20 woke sched: sleep30 woke " ]; then
    pass "clickos-boot: sleepers woke in deadline order"
else
    fail "clickos-boot: sleepers woke as: $order"
fi
expect_of clickos-panic '^== exit name=clickos-panic reason=crash' 'exit reason crash'
expect_of clickos-panic '\| panic: selftest: panic requested on the command line at ' 'panic message on the console'
expect_of clickos-fault '^== exit name=clickos-fault reason=crash' 'exit reason crash'
expect_of clickos-fault '\| fault: vector 14 \(#PF page fault\) error 0x[0-9a-f]+ rip 0x[0-9a-f]+ .* address 0xdead0000$' 'fault diagnostic'
expect_of clickos-stack '\| stack selftest: recursing past the 64 KiB stack onto its guard page' 'stack selftest starts'
expect_of clickos-stack '^== exit name=clickos-stack reason=crash' 'stack overflow: exit reason crash'
if section clickos-stack | grep -q 'stack selftest FAILED'; then
    fail "clickos-stack: the recursion returned"
else
    pass "clickos-stack: the overflow stopped at the guard page"
fi
expect_of clickos-idle '^== exit name=clickos-idle reason=poweroff' 'exit reason poweroff'
expect_of clickos-idle '\| idle: tick 6$' 'slept six one-second ticks'
# Flat: at most 0.3 s of CPU time over at least 2 s of sampling (a spinning guest gains ~1 s/s).
cpu=$(section clickos-idle | sed -n 's/.*idle-cpu: .*cpu_seconds=\([0-9.]*\) then \([0-9.]*\) over \([0-9.]*\) s.*/\1 \2 \3/p')
read -r cpu_a cpu_b span <<<"${cpu:-x x x}"
if [ -n "$cpu" ] && awk -v a="$cpu_a" -v b="$cpu_b" -v t="$span" 'BEGIN { exit !(t >= 2 && b - a <= 0.3) }'; then
    pass "clickos-idle: CPU time flat while idle ($cpu_a s -> $cpu_b s over $span s)"
else
    fail "clickos-idle: CPU time not flat while idle (samples: ${cpu:-none})"
fi
boot=$(section clickos-boot | sed -n 's/.*boot time: \([0-9.]* ms\).*/\1/p')
echo "boot tests: image $(stat -c %s "$image") bytes stripped, boot time ${boot:-?} from entry"
rig_end "boot tests"
