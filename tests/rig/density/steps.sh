# dom0 part of the density test (tests/rig/density-tests.sh prepends N=... and the
# configuration template as /tmp/ping-responder.click). Runs with the first guest's domid as
# $1. Starts N more ping-responder guests of 4 MiB from the first guest's kernel, one after
# the other, each with its own address (10.1.X.Y on xenbr0) set in its ramdisk, and times each
# one from `xl create` to its first ping reply; then checks that every guest answers, reads the
# guests' own boot figures from their consoles, destroys them and shuts the first one down.
first=$1
kernel=/rig/guests/01/kernel
ip addr add 10.1.0.1/16 dev xenbr0
now_ms() { awk -v t="$EPOCHREALTIME" 'BEGIN { printf "%.0f", t * 1000 }'; }
addr() { echo "10.1.$(($1 / 250)).$(($1 % 250 + 2))"; }
mac() { printf '00:16:3e:01:%02x:%02x' $(($1 / 256)) $(($1 % 256)); }
# Guest-side figures of guest NAME from its console: entry to banner, vif connect, router load.
guest_figures() {
    local log=/var/log/xen/console/guest-$1.log
    local boot vif router
    boot=$(sed -n 's/.*boot time: \([0-9.]*\) ms from entry.*/\1/p' "$log" | head -1)
    vif=$(sed -n 's/.*vif0 (device\/vif\/0) connected in \([0-9]*\) ms.*/\1/p' "$log" | head -1)
    router=$(sed -n 's/.*router 0 from the ramdisk ([0-9]* bytes) running, loaded in \([0-9]*\) us.*/\1/p' "$log" | head -1)
    echo "boot_ms=${boot:-?} vif_ms=${vif:-?} router_us=${router:-?}"
}
for _ in $(seq 200); do
    [ "$(xenstore-read "/local/domain/0/backend/vif/$first/0/state" 2>/dev/null)" = 4 ] && break
    sleep 0.1
done
failed=0
for i in $(seq 1 "$N"); do
    name=d$i
    sed "s/^define(\$SIP [^,]*, \$SMAC [^)]*);/define(\$SIP $(addr "$i"), \$SMAC $(mac "$i"));/" \
        /tmp/ping-responder.click >/tmp/$name.click
    cat >/tmp/$name.cfg <<CFG
name = "$name"
kernel = "$kernel"
ramdisk = "/tmp/$name.click"
memory = 4
vcpus = 1
vif = [ 'bridge=xenbr0,mac=$(mac "$i")' ]
on_crash = "destroy"
CFG
    t0=$(now_ms)
    if ! xl create -q /tmp/$name.cfg >/tmp/$name.xl 2>&1; then
        echo "density: guest $i: xl create failed: $(tail -1 /tmp/$name.xl)"
        failed=1
        break
    fi
    t1=$(now_ms)
    reply=""
    for _ in $(seq 300); do
        if ping -c 1 -W 0.1 "$(addr "$i")" >/dev/null 2>&1; then reply=$(now_ms); break; fi
    done
    if [ -z "$reply" ]; then
        echo "density: guest $i: no reply"
        failed=1
        break
    fi
    # Already running: the first guest and the i - 1 started before this one.
    echo "density: guest $i running_before=$i create_ms=$((t1 - t0)) reply_ms=$((reply - t0)) $(guest_figures "$name")"
done
answered=0
for i in $(seq 1 "$N"); do
    ping -c 1 -W 2 "$(addr "$i")" >/dev/null 2>&1 && answered=$((answered + 1))
done
echo "density: $answered of $N guests answer, running together; xl list: $(xl list | tail -n +2 | wc -l) domains"
free_kib=$(xl info | sed -n 's/^free_memory *: *//p')
echo "density: Xen free memory with them all running: ${free_kib:-?} MiB"
for i in $(seq 1 "$N"); do xl destroy "d$i" 2>/dev/null; done
echo "density: done failed=$failed"
xl shutdown "$first"
