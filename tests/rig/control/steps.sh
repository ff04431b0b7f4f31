# dom0 part of the control-plane test (tests/rig/control-tests.sh prepends the configurations
# as files in /tmp). Runs with the guest's domid as $1 and prints "result: NAME: ok" or
# "result: NAME: FAIL why" per check.
domid=$1
ip=10.0.0.2
home=/local/domain/$domid/data/clickos

received() { # COUNT: pings sent, prints the number answered
    ping -c "$1" -i 0.2 -W 2 "$ip" 2>/dev/null | sed -n 's/.* \([0-9]*\) received.*/\1/p'
}
# Installs FILE as router RID the way cosmos does: 992-byte chunks with xenstore-write, then
# status Running. Chunk values keep trailing newlines (the "x" guard).
install_cosmos() { # RID FILE
    local size i=0 v
    xenstore-rm "$home/$1/config" 2>/dev/null
    size=$(wc -c <"$2")
    while [ $((i * 992)) -lt "$size" ]; do
        v=$(dd if="$2" bs=992 skip=$i count=1 2>/dev/null; echo x)
        xenstore-write "$home/$1/config/$i" "${v%x}"
        i=$((i + 1))
    done
    xenstore-write "$home/$1/status" Running
    echo "installed $2 ($size bytes, $i chunks) as router $1"
}
generation() { xenstore-read "$home/0/generation" 2>/dev/null || echo 0; }
read_handler() { # ELEMENT HANDLER: the XenStore read-handler protocol by hand
    xenstore-rm "$home/0/elements/$1/$2" 2>/dev/null
    xenstore-write "$home/0/control/read/$1/$2" ""
    wait_for 50 exists "$home/0/elements/$1/$2" && xenstore-read "$home/0/elements/$1/$2"
}

wait_for 100 exists "$home" || echo "guest never wrote $home"

echo "phase cosmos install"
install_cosmos 0 /tmp/ping-counted.click
wait_for 100 value_is "$home/0/generation" 1
n=$(received 5)
result "config installed with xenstore-write answers pings" $([ "$n" = 5 ]; echo $?) "$n of 5, swap $(xenstore-read "$home/0/swap_us") us"

echo "phase counter"
n=$(received 7)
count=$(read_handler pings count)
result "counter read through XenStore counts the pings answered" $([ "$n" = 7 ] && [ "$count" = 12 ]; echo $?) "pings.count = $count after $n + 5 answered"

echo "phase broken config"
install_cosmos 0 /tmp/broken.click
wait_for 100 value_is "$home/0/status" Error
error=$(xenstore-read "$home/0/error" 2>/dev/null)
echo "status $(xenstore-read "$home/0/status"), error: $error"
result "a broken config sets status Error with file:line:col" $([[ $error == data/clickos/0/config:3:* ]] && [[ $error == *NoSuchElement* ]]; echo $?) "$error"
n=$(received 5)
result "the running router keeps answering after a broken config" $([ "$n" = 5 ]; echo $?) "$n of 5"

echo "phase reconfigure"
install_cosmos 0 /tmp/drop-icmp.click
wait_for 100 value_is "$home/0/generation" 2
swap=$(xenstore-read "$home/0/swap_us" 2>/dev/null)
n=$(received 5)
dropped=$(read_handler dropped count)
result "reconfigured to drop ICMP without a reboot" $([ "$n" = 0 ] && [ "${dropped:-0}" -ge 5 ]; echo $?) "$n of 5 answered, dropped.count = $dropped, swap $swap us"

echo "phase large config"
{
    cat /tmp/ping-counted.click
    for i in $(seq 1100); do
        printf '// padding line %04d: a configuration larger than 64 KiB travels in chunks.\n' "$i"
    done
} >/tmp/large.click
install_cosmos 0 /tmp/large.click
wait_for 200 value_is "$home/0/generation" 3
size=$(wc -c </tmp/large.click)
n=$(received 3)
result "a config over 64 KiB loads" $([ "$size" -gt 65536 ] && [ "$n" = 3 ]; echo $?) "$size bytes, generation $(generation), $n of 3 answered"

echo "phase live swaps"
# 50 echo requests a second for 8 s while the router is replaced five times by the same
# configuration: every request must be answered (frames wait in the ring during a swap).
ping -i 0.02 -c 400 -W 2 "$ip" >/tmp/swap-ping.txt 2>&1 &
pinger=$!
sleep 1
pauses=""
for _ in 1 2 3 4 5; do
    g=$(generation)
    install_cosmos 0 /tmp/ping-counted.click >/dev/null
    wait_for 50 value_is "$home/0/generation" $((g + 1))
    pauses="$pauses $(xenstore-read "$home/0/pause_us" 2>/dev/null)"
    sleep 1
done
wait $pinger
n=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' /tmp/swap-ping.txt)
echo "live swaps: generation $(generation), forwarding paused at most (us):$pauses"
result "no echo request is lost across five live swaps" $([ "$n" = 400 ]; echo $?) "$n of 400 answered, generation $(generation), longest pauses (us):$pauses"

echo "phase hostile configs"
# Each is refused with Error and a file:line:col diagnostic; the running router keeps answering.
cat >/tmp/hostile-burst.click <<'EOF_H'
FromDevice(0, BURST 1000000000000) -> Discard;
EOF_H
cat >/tmp/hostile-define.click <<'EOF_H'
define($X $X$X$X$X$X$X$X$X$X$X)
InfiniteSource($X) -> Discard;
EOF_H
{
    echo "elementclass C0 { input -> Null -> output }"
    for i in $(seq 1 30); do echo "elementclass C$i { input -> C$((i - 1)) -> C$((i - 1)) -> output }"; done
    echo "Idle -> C30 -> Discard;"
} >/tmp/hostile-compounds.click
hostile_ok=0
for h in burst:BURST define:expanding compounds:elements; do
    IFS=: read -r name word <<<"$h"
    install_cosmos 0 /tmp/hostile-$name.click >/dev/null
    wait_for 100 value_is "$home/0/status" Error
    error=$(xenstore-read "$home/0/error" 2>/dev/null)
    n=$(received 3)
    echo "hostile $name: status $(xenstore-read "$home/0/status"), $n of 3 answered, error: $error"
    if ! [[ $error =~ ^data/clickos/0/config:[0-9]+:[0-9]+:\ .*$word ]] || [ "$n" != 3 ]; then hostile_ok=1; fi
done
result "hostile configs are refused and the running router keeps answering" $hostile_ok

echo "phase long push chain"
# 400 elements in one push path: forwarding does not recurse, so this simply works.
sed "s/ICMPPingResponder ->/ICMPPingResponder -> $(yes 'Null ->' | head -400 | tr '\n' ' ')/" \
    /tmp/ping-counted.click >/tmp/long-chain.click
g=$(generation)
install_cosmos 0 /tmp/long-chain.click
wait_for 100 value_is "$home/0/generation" $((g + 1))
n=$(received 5)
result "a 400-element push chain forwards" $([ "$n" = 5 ]; echo $?) "$n of 5 answered, status $(xenstore-read "$home/0/status") $(xenstore-read "$home/0/error" 2>/dev/null)"
install_cosmos 0 /tmp/ping-counted.click >/dev/null
wait_for 100 value_is "$home/0/generation" $((g + 2))

echo "phase clickctl"
if command -v clickctl >/dev/null; then
    clickctl install "$domid" /tmp/drop-icmp.click && clickctl install "$domid" /tmp/ping-counted.click
    rc=$?
    n=$(received 4)
    count=$(clickctl read "$domid" pings.count)
    result "clickctl install and read" $([ "$rc" = 0 ] && [ "$n" = 4 ] && [ "$count" = 4 ]; echo $?) "install status $rc, $n of 4 answered, pings.count = $count"
    clickctl write "$domid" pings.reset ""
    result "clickctl write calls a write handler" $([ "$(clickctl read "$domid" pings.count)" = 0 ]; echo $?)
    clickctl install "$domid" /tmp/broken.click
    rc=$?
    result "clickctl reports a broken config" $([ "$rc" = 1 ]; echo $?) "exit status $rc"
    clickctl status "$domid"
else
    result "clickctl install and read" 1 "clickctl is not on dom0's PATH"
fi

echo "phase shutdown"
xl shutdown "$domid"
