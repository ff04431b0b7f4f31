# Helpers of the dom0 hooks (tests/rig/lib.sh's dom0_hook puts this file at the top of every
# hook it writes). Paths are XenStore paths.

# result NAME STATUS [DETAIL]: one check's verdict, "result: NAME: ok (DETAIL)" when STATUS is
# 0, else "result: NAME: FAIL DETAIL"; the test scripts look for these lines.
result() {
    if [ "$2" = 0 ]; then echo "result: $1: ok${3:+ ($3)}"; else echo "result: $1: FAIL ${3:-}"; fi
}
# value_is PATH VALUE: PATH holds VALUE.
value_is() { [ "$(xenstore-read "$1" 2>/dev/null)" = "$2" ]; }
# exists PATH: PATH can be read.
exists() { xenstore-read "$1" >/dev/null 2>&1; }
# wait_for TENTHS COMMAND...: runs COMMAND every 0.1 s until it succeeds, at most TENTHS times.
wait_for() {
    local n=$1
    shift
    for _ in $(seq "$n"); do "$@" && return 0; sleep 0.1; done
    return 1
}
# wait_vif DOMID [VIF]: waits up to 20 s for dom0's backend of the guest's vif (default 0) to
# be connected (state 4); otherwise says which state it was in and fails.
wait_vif() {
    local state=/local/domain/0/backend/vif/$1/${2:-0}/state
    wait_for 200 value_is "$state" 4 && return 0
    echo "vif ${2:-0} of domain $1: backend state $(xenstore-read "$state" 2>&1)"
    return 1
}
# bridge NAME MAC: a dom0 bridge, up, with the fixed address MAC. A bridge otherwise takes the
# lowest of its ports' addresses, fe:ff:ff:ff:ff:ff for every vif, and may change it later:
# bridges in series would then keep each other's traffic, and an interface made on the bridge
# (a VLAN) would keep an address the bridge no longer delivers to.
bridge() {
    ip link show "$1" >/dev/null 2>&1 || { brctl addbr "$1" && brctl stp "$1" off && brctl setfd "$1" 0; }
    ip link set "$1" address "$2"
    ip link set "$1" up
}
# dom0_crashes: dom0's kernel messages about processes that crashed or were killed (the
# console is quiet, so they are not on it), one line each.
dom0_crashes() {
    dmesg 2>/dev/null | grep -iE 'segfault|general protection|killed process|oom|trap|xenstored' | tail -n 8
}
# xenstored_alive: dom0's xenstored still runs (xl waits for ever without it).
xenstored_alive() { kill -0 "$(cat /run/xenstored.pid 2>/dev/null)" 2>/dev/null; }
# xenstored_report: how dom0's xenstored ended (its exit status and last words, what it sent
# to syslog) and dom0's memory, one line each.
xenstored_report() {
    tail -n 5 /var/log/xen/xenstored.log 2>/dev/null
    grep -i xenstored /var/log/messages 2>/dev/null | tail -n 5
    grep -E '^(MemFree|MemAvailable|Shmem):' /proc/meminfo | tr -s ' ' | tr '\n' ' '
    echo
}
