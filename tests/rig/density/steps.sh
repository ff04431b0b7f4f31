# dom0 part of the density test (tests/rig/density-tests.sh prepends N=..., CHAINS=...,
# CLICKCTL_N=... and the configurations as /tmp/ping-responder.click and /tmp/forwarder.click).
# Runs with the first guest's domid as $1:
#   1. starts N more ping-responder guests of 4 MiB from the first guest's kernel, one after
#      the other, each with its own address (10.1.X.Y on xenbr0) set in its ramdisk, and times
#      each one from `xl create` to its first ping reply;
#   2. when LEN@RUNNING of CHAINS is due (RUNNING guests started), instantiates a chain of LEN
#      guests in series on bridges of their own (LEN-1 two-vif forwarders, then a ping
#      responder), times it from the first `xl create` to the first reply through the whole
#      chain, checks every link's counters with clickctl, and destroys it;
#   3. checks that every guest answers, reads the guests' boot figures from their consoles;
#   4. destroys them, then creates CLICKCTL_N guests with `clickctl create` (xl create, wait
#      for the guest's readiness key, install the configuration) in a loop, each answering;
#   5. shuts the first guest down.
first=$1
kernel=/rig/guests/01/kernel
ip addr add 10.1.0.1/16 dev xenbr0
# dom0_state: after a failed create, the crashed dom0 processes dom0's kernel reported and how
# xenstored is (dom0-lib.sh), as density lines.
dom0_state() {
    dom0_crashes | sed 's/^/density: dom0 kernel: /'
    xenstored_report | sed 's/^/density: xenstored: /'
}
# dom0_available_mib: the memory dom0's kernel has left for processes (MemAvailable).
dom0_available_mib() { awk '/^MemAvailable:/ { printf "%d", $2 / 1024 }' /proc/meminfo; }
now_ms() { awk -v t="$EPOCHREALTIME" 'BEGIN { printf "%.0f", t * 1000 }'; }
addr() { echo "10.1.$(($1 / 250)).$(($1 % 250 + 2))"; }
mac() { printf '00:16:3e:01:%02x:%02x' $(($1 / 256)) $(($1 % 256)); }
# configure NAME ADDR MAC: /tmp/NAME.click, the ping responder answering for ADDR with MAC.
configure() {
    local _ define="define(\$SIP $2, \$SMAC $3);"
    [ -n "$2" ] && [ -n "$3" ] || { echo "density: $1: no address or MAC to configure"; return 1; }
    # Written again unless it holds the define: dom0's processes were seen to crash or
    # misbehave under TCG (a busybox sed segfault left an empty file).
    for _ in 1 2 3; do
        sed "s/^define(\$SIP [^,]*, \$SMAC [^)]*);/$define/" /tmp/ping-responder.click >"/tmp/$1.click"
        grep -qxF "$define" "/tmp/$1.click" && return 0
        echo "density: $1: writing its configuration failed; again"
    done
    return 1
}
# xl_config NAME [RAMDISK] VIF...: /tmp/NAME.cfg, a guest of 4 MiB with those vifs.
xl_config() {
    local name=$1 ramdisk=$2 vifs="" v
    shift 2
    for v in "$@"; do vifs="$vifs${vifs:+, }'$v'"; done
    {
        echo "name = \"$name\""
        echo "kernel = \"$kernel\""
        [ -n "$ramdisk" ] && echo "ramdisk = \"$ramdisk\""
        echo "memory = 4"
        echo "vcpus = 1"
        echo "vif = [ $vifs ]"
        echo 'on_crash = "destroy"'
    } >"/tmp/$name.cfg"
}
# first_reply ADDR SECONDS: the time of the first echo reply from ADDR; fails after SECONDS.
# A ping process sends every 0.1 s (starting a process per try takes longer than that under
# TCG); it gives up at the first error, such as an ARP request nobody answered yet, and is
# then started again.
first_reply() {
    local end=$((EPOCHSECONDS + $2))
    while [ "$EPOCHSECONDS" -lt "$end" ]; do
        if ping -n -q -c 1 -i 0.1 -w $((end - EPOCHSECONDS)) "$1" >/dev/null 2>&1; then
            now_ms
            return 0
        fi
    done
    return 1
}
# create NAME: `xl create` of /tmp/NAME.cfg. Under TCG the vif hotplug script can time out
# ("unable to add vif devices"); the half-made domain is then destroyed and the create tried
# once more, saying so. Fails if the second try fails too. xl is given a time limit: after
# such a failure it has been seen to hang.
create() {
    timeout 120 xl create -q "/tmp/$1.cfg" >"/tmp/$1.xl" 2>&1 && return 0
    echo "density: $1: xl create failed ($(grep -m1 -i error "/tmp/$1.xl")); destroyed and tried again"
    timeout 60 xl destroy "$1" 2>/dev/null
    timeout 120 xl create -q "/tmp/$1.cfg" >"/tmp/$1.xl" 2>&1
}
# Guest-side figures of guest NAME from its console: entry to banner, vif connect, router load.
guest_figures() {
    local log=/var/log/xen/console/guest-$1.log
    local boot vif router
    boot=$(sed -n 's/.*boot time: \([0-9.]*\) ms from entry.*/\1/p' "$log" | head -1)
    vif=$(sed -n 's/.*vif0 (device\/vif\/0) connected in \([0-9]*\) ms.*/\1/p' "$log" | head -1)
    router=$(sed -n 's/.*router 0 from the ramdisk ([0-9]* bytes) running, loaded in \([0-9]*\) us.*/\1/p' "$log" | head -1)
    echo "boot_ms=${boot:-?} vif_ms=${vif:-?} router_us=${router:-?}"
}
failed=0

# run_chain LEN RUNNING: the chain of LEN guests on bridges chbr0..chbr(LEN-1); dom0 is
# 10.2.0.1 on chbr0, the responder at the far end 10.2.0.2.
run_chain() {
    local len=$1 running=$2 i br t0 reply counts="" parts=0 right left
    for i in $(seq 0 $((len - 1))); do
        br=chbr$i
        bridge "$br" "02:00:00:00:02:$(printf %02x "$i")"
    done
    ip addr replace 10.2.0.1/24 dev chbr0
    ip neigh flush dev chbr0
    for i in $(seq 1 $((len - 1))); do
        cp /tmp/forwarder.click "/tmp/c$i.click"
        xl_config "c$i" "/tmp/c$i.click" "bridge=chbr$((i - 1)),mac=00:16:3e:02:$(printf %02x "$i"):00" \
            "bridge=chbr$i,mac=00:16:3e:02:$(printf %02x "$i"):01"
    done
    configure "c$len" 10.2.0.2 00:16:3e:02:00:02
    xl_config "c$len" "/tmp/c$len.click" "bridge=chbr$((len - 1)),mac=00:16:3e:02:00:02"
    echo "density: chain of $len with $running running: creating"
    t0=$(now_ms)
    for i in $(seq 1 "$len"); do
        if ! create "c$i"; then
            echo "density: chain of $len: guest $i: xl create failed: $(tail -1 "/tmp/c$i.xl")"
            failed=1
        fi
    done
    if reply=$(first_reply 10.2.0.2 120); then
        # Every forwarder passed the requests one way and the replies the other.
        for i in $(seq 1 $((len - 1))); do
            right=$(clickctl read "c$i" right.count 2>/dev/null)
            left=$(clickctl read "c$i" left.count 2>/dev/null)
            counts="$counts c$i=${right:-?}/${left:-?}"
            [ "${right:-0}" -ge 1 ] && [ "${left:-0}" -ge 1 ] && parts=$((parts + 1))
        done
        echo "density: chain len=$len running=$running first_reply_ms=$((reply - t0)) links_forwarding=$parts/$((len - 1)) counts(right/left):$counts"
        [ "$parts" = $((len - 1)) ] || failed=1
    else
        echo "density: chain of $len with $running running: no reply through the chain"
        for i in $(seq 1 "$len"); do
            echo "density: c$i: $(tail -n 3 "/var/log/xen/console/guest-c$i.log" 2>/dev/null | tr '\n' ' ')"
        done
        failed=1
    fi
    for i in $(seq 1 "$len"); do xl destroy "c$i" 2>/dev/null; done
}
# chains_due RUNNING: runs the chains of CHAINS due with RUNNING guests started.
chains_due() {
    local c
    for c in $CHAINS; do
        [ "${c#*@}" = "$1" ] && run_chain "${c%@*}" "$1"
    done
    return 0
}

wait_vif "$first"
chains_due 0
for i in $(seq 1 "$N"); do
    name=d$i
    a=$(addr "$i") m=$(mac "$i")
    configure "$name" "$a" "$m" || { failed=1; continue; }
    xl_config "$name" "/tmp/$name.click" "bridge=xenbr0,mac=$m"
    t0=$(now_ms)
    if ! create "$name"; then
        echo "density: guest $i: xl create failed: $(tail -1 /tmp/$name.xl)"
        dom0_state
        failed=1
        break
    fi
    t1=$(now_ms)
    if ! reply=$(first_reply "$a" 60); then
        echo "density: guest $i: no reply in 60 s; vif backend state $(xenstore-read \
            "/local/domain/0/backend/vif/$(xl domid "$name")/0/state" 2>/dev/null); console:" \
            "$(tail -n 4 "/var/log/xen/console/guest-$name.log" 2>/dev/null | tr '\n' ' ')"
        failed=1
        continue
    fi
    # Already running: the first guest and the i - 1 started before this one.
    echo "density: guest $i running_before=$i create_ms=$((t1 - t0)) reply_ms=$((reply - t0)) $(guest_figures "$name") dom0_available_mib=$(dom0_available_mib)"
    chains_due "$i"
done
answered=0
for i in $(seq 1 "$N"); do
    ping -c 1 -W 2 "$(addr "$i")" >/dev/null 2>&1 && answered=$((answered + 1))
done
# (xl waits for ever once xenstored is gone: the time limits let the test end and report.)
echo "density: $answered of $N guests answer, running together; xl list: $(timeout 30 xl list | tail -n +2 | wc -l) domains"
free_kib=$(timeout 30 xl info | sed -n 's/^free_memory *: *//p')
echo "density: Xen free memory with them all running: ${free_kib:-?} MiB"
xenstored_alive || { echo "density: dom0's xenstored is gone"; xenstored_report | sed 's/^/density: xenstored: /'; }
for i in $(seq 1 "$N"); do xenstored_alive && xl destroy "d$i" 2>/dev/null; done

# clickctl in a loop: no ramdisk; each guest is configured over XenStore once it is ready.
created=0
for j in $(seq 1 "$CLICKCTL_N"); do
    name=k$j
    a="10.1.$((200 + j / 250)).$((j % 250 + 2))"
    printf -v m '00:16:3e:03:%02x:%02x' $((j / 256)) $((j % 256))
    configure "$name" "$a" "$m" || { failed=1; continue; }
    xl_config "$name" "" "bridge=xenbr0,mac=$m"
    t0=$(now_ms)
    if ! clickctl create "/tmp/$name.cfg" "/tmp/$name.click" >"/tmp/$name.ctl" 2>&1; then
        echo "density: clickctl create $name failed: $(tail -2 "/tmp/$name.ctl" | tr '\n' ' ')"
        dom0_state
        failed=1
        xenstored_alive && continue
        echo "density: dom0's xenstored is gone; the loop stops"
        break
    fi
    t1=$(now_ms)
    if reply=$(first_reply "$a" 30); then
        created=$((created + 1))
        echo "density: clickctl guest $j create_and_install_ms=$((t1 - t0)) reply_ms=$((reply - t0))"
    else
        echo "density: clickctl guest $j: no reply"
        failed=1
    fi
done
echo "density: clickctl created and configured $created of $CLICKCTL_N guests, each answering"
for j in $(seq 1 "$CLICKCTL_N"); do xenstored_alive && xl destroy "k$j" 2>/dev/null; done
echo "density: dom0 processes that crashed: $(dmesg 2>/dev/null | grep -c segfault)"
echo "density: done failed=$failed"
xl shutdown "$first"
