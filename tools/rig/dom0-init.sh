#!/bin/bash
# /init of the rig's dom0: brings up the Xen control plane (xenfs, xenstored, xenconsoled, a
# bridge), then runs each guest in /rig/guests/*/ in order: `xl create -p`, hook.sh while
# paused, unpause, post-hook.sh in the background, wait for the shutdown (or the timeout),
# print its console and shutdown reason. Ends QEMU through isa-debug-exit (port 0xf4):
# 16 = every guest powered off, 17 = a guest ended otherwise, 18 = rig failure.
#
# Kernel command line: rig.timeout=<seconds per guest> (30), rig.shell=1 (a shell at the end),
# rig.xenstored=oxenstored|xenstored (the XenStore daemon: OCaml, as Debian's xencommons starts,
# or C; default oxenstored).
export PATH=/rig/bin:/sbin:/bin:/usr/sbin:/usr/bin HOME=/ TERM=vt100
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /run
mkdir -p /run/xen /run/xenstored /var/log/xen/console
exec </dev/console >/dev/console 2>&1

say() { echo "RIG: $*"; }
# prefix WORD: copies stdin to stdout line by line with "WORD: " in front, unbuffered, so that
# a hook stopped at the guest's end loses none of what it printed.
prefix() {
    local line
    while IFS= read -r line || [ -n "$line" ]; do echo "$1: $line"; done
}
end_qemu() {
    sync
    printf "\\$(printf '%03o' "$1")" | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
    sleep 2
    poweroff -f
}
timeout=30 shell=0 xenstored=oxenstored
for arg in $(cat /proc/cmdline); do
    case $arg in
    rig.timeout=*) timeout=${arg#*=} ;;
    rig.shell=*) shell=${arg#*=} ;;
    rig.xenstored=*) xenstored=${arg#*=} ;;
    esac
done

while read -r m; do
    insmod "/lib/modules/$(uname -r)/$m" || say "insmod $m failed"
done <"/lib/modules/$(uname -r)/load-order"
mount -t xenfs xenfs /proc/xen && grep -q control_d /proc/xen/capabilities \
    || { say "FAILED: not a Xen dom0"; end_qemu 18; }
ulimit -n 4096
# What dom0's daemons say: xenstored reports its fatal errors to syslog and stderr only.
syslogd -l 5 -O /var/log/messages || say "syslogd failed"
# The XenStore daemon in the foreground of a subshell that records how it ended, so that a
# test that loses it can say why (/var/log/xen/xenstored.log; dom0-lib.sh xenstored_report).
case $xenstored in
xenstored) xenstored_cmd=(xenstored --no-fork --pid-file /run/xenstored.pid) ;;
*)
    # Its own log to syslog, warnings and worse; no access log (dom0's memory is a tmpfs).
    printf '%s\n' 'xenstored-log-file = syslog:daemon' 'xenstored-log-level = warn' \
        'xenstored-kva = /proc/xen/xsd_kva' 'xenstored-port = /proc/xen/xsd_port' >/etc/xen/oxenstored.conf
    xenstored_cmd=(/usr/lib/xen-*/bin/oxenstored --no-fork --no-access-log --pid-file /run/xenstored.pid) ;;
esac
(
    "${xenstored_cmd[@]}" >>/var/log/xen/xenstored.log 2>&1
    echo "$xenstored ended: status $? at uptime $(cut -d' ' -f1 /proc/uptime)" >>/var/log/xen/xenstored.log
) &
tries=0
until timeout 1 xenstore-read -s / >/dev/null 2>&1; do
    [ $((tries += 1)) -lt 50 ] \
        || { say "FAILED: $xenstored"; cat /var/log/xen/xenstored.log /var/log/messages; end_qemu 18; }
    sleep 0.05
done
xen-init-dom0 >/dev/null || say "xen-init-dom0 failed"
xenconsoled --pid-file=/run/xenconsoled.pid --log=guest --log-dir=/var/log/xen/console \
    || say "xenconsoled failed"
ip link set lo up
brctl addbr xenbr0 && brctl stp xenbr0 off && brctl setfd xenbr0 0 \
    && ip addr add 10.0.0.1/24 dev xenbr0 && ip link set xenbr0 up || say "bridge setup failed"
# Two bridges without addresses for guests chained to each other (hooks add what they need).
for br in xenbr1 xenbr2; do
    brctl addbr $br && brctl stp $br off && brctl setfd $br 0 && ip link set $br up \
        || say "bridge $br setup failed"
done
say "DOM0-READY uptime=$(cut -d' ' -f1 /proc/uptime) xenstored=$xenstored"

# This poll runs for each guest's whole life (40 minutes in the density test), so it uses bash
# builtins only: a grep and a sleep every 20 ms were 100 process creations a second in dom0,
# slow under TCG and the processes that most often crashed in long runs.
# shut_down XLLOG: xl's log of the guest has its shutdown line ("... reason code N").
shut_down() {
    local line
    [ -r "$1" ] || return 1
    while IFS= read -r line; do [[ $line == *"reason code"* ]] && return 0; done <"$1"
    return 1
}
# $nap: a FIFO no one writes to, to wait on with `read -t` instead of running sleep.
mkfifo /run/nap && exec {nap}<>/run/nap || say "cannot make /run/nap"

# run_guest DIR: prints the guest's console and GUEST-EXIT; returns 0 poweroff, 1 other, 2 failure
run_guest() {
    local dir=$1 cfg=$1/guest.cfg name domid console xllog start deadline code reason hookpid=""
    name=$(sed -n "s/^[[:space:]]*name[[:space:]]*=[[:space:]]*[\"']\([^\"']*\)[\"'].*/\1/p" "$cfg" | head -1)
    console=/var/log/xen/console/guest-$name.log
    xllog=/var/log/xen/xl-$name.log
    say "GUEST-BEGIN name=$name"
    if ! xl create -p "$cfg" >/tmp/xl-create.out 2>&1; then
        sed 's/^/xl-create: /' /tmp/xl-create.out
        say "GUEST-EXIT name=$name reason=create-failed"
        return 2
    fi
    domid=$(xl domid "$name")
    if [ -x "$dir/hook.sh" ]; then
        "$dir/hook.sh" "$domid" 2>&1 | prefix hook
    fi
    start=$EPOCHREALTIME
    xl unpause "$name"
    if [ -x "$dir/post-hook.sh" ]; then
        setsid bash -c "$(declare -f prefix)"'; "$1" "$2" 2>&1 | prefix post-hook' _ "$dir/post-hook.sh" "$domid" &
        hookpid=$!
    fi
    deadline=$((${start%.*} + timeout))
    until shut_down "$xllog"; do
        [ "${EPOCHREALTIME%.*}" -ge "$deadline" ] && break
        # A timeout is the normal end (status > 128); sleep if the FIFO is missing.
        read -r -t 0.05 -u "$nap" _ 2>/dev/null || [ $? -gt 128 ] || sleep 0.05
    done
    local ms
    ms=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", (b - a) * 1000 }')
    shut_down "$xllog" || xl destroy "$name"
    for _ in $(seq 100); do xl domid "$name" >/dev/null 2>&1 || break; sleep 0.05; done
    if [ -n "$hookpid" ]; then
        for _ in $(seq 40); do kill -0 "$hookpid" 2>/dev/null || break; sleep 0.05; done
        kill -TERM -- "-$hookpid" 2>/dev/null
        wait "$hookpid" 2>/dev/null
    fi
    say "CONSOLE-BEGIN name=$name"
    tr -d '\r' <"$console" 2>/dev/null | awk '{ print }' # adds a missing final newline
    say "CONSOLE-END name=$name"
    code=$(sed -n 's/.*reason code \([0-9]*\).*/\1/p' "$xllog" 2>/dev/null | head -1)
    case $code in
    0) reason=poweroff ;; 1) reason=reboot ;; 2) reason=suspend ;; 3) reason=crash ;;
    4) reason=watchdog ;; 5) reason=soft_reset ;; "") reason=timeout ;; *) reason=unknown ;;
    esac
    say "GUEST-EXIT name=$name reason=$reason run_ms=$ms"
    case $reason in poweroff) return 0 ;; timeout) return 2 ;; *) return 1 ;; esac
}

status=0
for dir in /rig/guests/*/; do
    [ -f "$dir/guest.cfg" ] || continue
    run_guest "${dir%/}"
    rc=$?
    [ $rc -gt $status ] && status=$rc
done
if [ "$shell" = 1 ]; then
    say "SHELL (exit to power off)"
    setsid cttyhack bash -l
fi
end_qemu $((16 + status))
