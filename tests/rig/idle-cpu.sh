#!/bin/bash
# dom0 post-hook of the idle boot test: samples the guest's CPU time (xl list, 0.1 s
# resolution) 1.5 s after unpause and again 3 s later. A guest that blocks while it sleeps
# stays flat; one that spins would gain ~3 s.
domid=$1
cpu() { # the Time(s) column of the guest's line; retried, `xl list` can fail transiently
    local t
    for _ in 1 2 3 4 5; do
        t=$(xl list 2>&1 | awk -v d="$domid" '$2 == d { print $6 }')
        [ -n "$t" ] && { echo "$t"; return; }
        sleep 0.1
    done
    xl list 2>&1 | sed 's/^/idle-cpu: xl list: /' >&2
}
sleep 1.5
first=$(cpu)
sleep 3
second=$(cpu)
echo "idle-cpu: domid=$domid cpu_seconds=$first then $second over 3 s"
