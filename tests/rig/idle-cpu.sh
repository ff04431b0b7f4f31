#!/bin/bash
# dom0 post-hook of the idle boot test: samples the guest's CPU time (`xl list`, 0.1 s
# resolution) every half second for as long as the domain exists, and reports the first and
# last samples and the dom0 time between them. A guest that blocks while it sleeps stays flat;
# one that spins gains about as much CPU time as the interval.
domid=$1
sample() { # prints "CPU_SECONDS UPTIME" for the guest, or nothing once it is gone
    local line
    line=$(xl list "$domid" 2>/dev/null | awk -v d="$domid" '$2 == d { print $6 }')
    [ -n "$line" ] && echo "$line $(cut -d' ' -f1 /proc/uptime)"
}
first="" last="" misses=0
sleep 0.5
while [ "$misses" -lt 3 ]; do
    s=$(sample)
    if [ -z "$s" ]; then
        misses=$((misses + 1))
    else
        misses=0
        [ -z "$first" ] && first=$s
        last=$s
    fi
    sleep 0.5
done
if [ -z "$first" ]; then
    echo "idle-cpu: domid=$domid no samples"
    exit 0
fi
set -- $first $last
echo "idle-cpu: domid=$domid cpu_seconds=$1 then $3 over $(awk -v a="$2" -v b="$4" 'BEGIN { printf "%.1f", b - a }') s"
