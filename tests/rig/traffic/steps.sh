# dom0 part of the traffic test (tests/rig/traffic-tests.sh prepends the configurations as
# /tmp/NAME.click). $1 is the guest's domid; the guest has vif 0 on xenbr1 and vif 1 on xenbr2.
#
# Host A (network namespace "a", 10.1.0.1/24) sits on xenbr1 and host B ("b", 10.1.0.2/24) on
# xenbr2, each behind a veth pair, with dom0's default offloads on (Linux leaves TCP/UDP
# checksums partial and sends TSO super-frames). Every configuration named in CASES is
# installed through XenStore as router 0 and gets the same checks: ping both ways, $MIB MiB of
# random data by TCP each way (sha256 compared), $DATAGRAMS UDP datagrams each way (counted,
# content compared). Then a configuration naming a vif the guest lacks must be refused, and
# finally A and B are joined by a plain dom0 bridge for the direct TCP measurement.
#
# Prints "result: NAME: ok" or "result: NAME: FAIL why" per check, and one
# "measure: CASE tcp FROM->TO BYTES bytes in SECONDS s" line per TCP transfer.
domid=$1
home=/local/domain/$domid/data/clickos
MIB=4
DATAGRAMS=100
# Configurations that must carry A's traffic to B and back unchanged (add more here and embed
# them in traffic-tests.sh). The NAT has checks of its own (phase nat).
CASES="wire firewall"

addr() { # SIDE: the host's address
    case $1 in a) echo 10.1.0.1 ;; b) echo 10.1.0.2 ;; esac
}
attach() { # SIDE BRIDGE: moves the host's veth end in dom0 onto BRIDGE
    ip link set "v$1-h" nomaster 2>/dev/null
    ip link set "v$1-h" master "$2"
}

# Installs /tmp/NAME.click as router 0 the way cosmos does (992-byte chunks, then status
# Running); succeeds once the guest reports the new generation, fails on status Error.
install_config() { # NAME
    local file=/tmp/$1.click size i=0 v before
    before=$(xenstore-read "$home/0/generation" 2>/dev/null || echo 0)
    xenstore-rm "$home/0/config" 2>/dev/null
    size=$(wc -c <"$file")
    while [ $((i * 992)) -lt "$size" ]; do
        v=$(dd if="$file" bs=992 skip=$i count=1 2>/dev/null; echo x)
        xenstore-write "$home/0/config/$i" "${v%x}"
        i=$((i + 1))
    done
    xenstore-write "$home/0/status" Running
    for _ in $(seq 100); do
        [ "$(xenstore-read "$home/0/generation" 2>/dev/null || echo 0)" != "$before" ] && return 0
        value_is "$home/0/status" Error && return 1
        sleep 0.1
    done
    return 1
}

pings() { # FROM TO: prints how many of 5 pings were answered
    ip netns exec "$1" ping -c 5 -i 0.2 -W 2 "$(addr "$2")" 2>/dev/null |
        sed -n 's/.* \([0-9]*\) received.*/\1/p'
}

# The receiving namespace's checksum error counters (what a broken checksum shows as).
csum_errors() { # SIDE
    ip netns exec "$1" awk '$1 == "Tcp:" || $1 == "Udp:" {
            if (!($1 in names)) { names[$1] = 1; for (i = 2; i <= NF; i++) key[$1, i] = $i; next }
            for (i = 2; i <= NF; i++) if (key[$1, i] == "InCsumErrors") printf "%s InCsumErrors %s, ", $1, $i
        }' /proc/net/snmp | sed 's/, $//'
}

# TCP: $MIB MiB of random data from FROM to TO; checks the sha256 on both ends and prints the
# measure line.
tcp() { # CASE FROM TO
    local name="$1: $MIB MiB by TCP $2->$3" sent=/tmp/tcp-$2$3 got=/tmp/tcp-$2$3.got
    local start end bytes receiver sha_sent sha_got
    head -c $((MIB * 1048576)) /dev/urandom >"$sent"
    rm -f "$got"
    ip netns exec "$3" timeout 120 nc.openbsd -l -n "$(addr "$3")" 5001 >"$got" &
    receiver=$!
    sleep 0.3
    start=$EPOCHREALTIME
    ip netns exec "$2" nc.openbsd -N -n -w 20 "$(addr "$3")" 5001 <"$sent" || kill "$receiver" 2>/dev/null
    wait "$receiver"
    end=$EPOCHREALTIME
    bytes=$(wc -c <"$got")
    sha_sent=$(sha256sum <"$sent" | cut -c1-16)
    sha_got=$(sha256sum <"$got" | cut -c1-16)
    echo "measure: $1 tcp $2->$3 $bytes bytes in $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }') s"
    result "$name" $([ "$bytes" = $((MIB * 1048576)) ] && [ "$sha_sent" = "$sha_got" ]; echo $?) \
        "$bytes bytes, sha256 sent $sha_sent received $sha_got; $3: $(csum_errors "$3")"
}

# UDP: $DATAGRAMS datagrams of about 1 KB from one socket of FROM to TO; counts them and
# compares their content.
udp() { # CASE FROM TO
    local name="$1: $DATAGRAMS UDP datagrams $2->$3" sent=/tmp/udp-$2$3 got=/tmp/udp-$2$3.got
    local receiver n h same
    for i in $(seq -w 1 "$DATAGRAMS"); do
        h=$(printf '%s' "$i$2$3" | sha256sum | cut -c1-64)
        { printf 'datagram %s ' "$i"; printf "$h%.0s" $(seq 15); echo; } | cut -c1-999
    done >"$sent"
    rm -f "$got"
    ip netns exec "$3" timeout 15 nc.openbsd -u -l -n -W "$DATAGRAMS" "$(addr "$3")" 5002 >"$got" &
    receiver=$!
    sleep 0.3
    # One socket; each printf is one write, hence one datagram.
    ip netns exec "$2" bash -c 'exec 3>"/dev/udp/$1/5002"; while IFS= read -r l; do printf "%s\n" "$l" >&3; sleep 0.01; done' \
        _ "$(addr "$3")" <"$sent"
    wait "$receiver"
    n=$(wc -l <"$got")
    # UDP may lose a datagram when QEMU's emulation stalls a side for a while: at least 95%
    # must arrive, each one intact (a line that was sent, in the order sent).
    intact=$(grep -c -x -F -f "$sent" "$got")
    grep -x -F -f "$got" "$sent" >"$sent.seen"
    in_order=$(cmp -s "$sent.seen" "$got" && echo ", in order")
    result "$name" $([ "$n" -ge $((DATAGRAMS * 95 / 100)) ] && [ "$intact" = "$n" ] && [ -n "$in_order" ]; echo $?) \
        "$n of $DATAGRAMS received, $intact intact$in_order; $3: $(csum_errors "$3")"
}

# TCP on a connection the client opens: $MIB MiB of random data from SERVER back to CLIENT
# (what a NAT must carry back to the inside); sha256 checked on both ends.
tcp_back() { # CASE CLIENT SERVER
    local name="$1: $MIB MiB by TCP $3->$2 on $2's connection" sent=/tmp/tcpb-$3$2 got=/tmp/tcpb-$3$2.got
    local start end bytes server
    head -c $((MIB * 1048576)) /dev/urandom >"$sent"
    rm -f "$got"
    ip netns exec "$3" timeout 120 nc.openbsd -l -N -n "$(addr "$3")" 5006 <"$sent" &
    server=$!
    sleep 0.3
    start=$EPOCHREALTIME
    ip netns exec "$2" timeout 120 nc.openbsd -n -w 20 "$(addr "$3")" 5006 </dev/null >"$got"
    wait "$server"
    end=$EPOCHREALTIME
    bytes=$(wc -c <"$got")
    echo "measure: $1 tcp $3->$2 $bytes bytes in $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }') s"
    result "$name" $([ "$bytes" = $((MIB * 1048576)) ] &&
        [ "$(sha256sum <"$sent" | cut -c1-16)" = "$(sha256sum <"$got" | cut -c1-16)" ]; echo $?) \
        "$bytes bytes; $2: $(csum_errors "$2")"
}

echo "phase hosts"
for side in a b; do
    ip netns add "$side"
    ip link add "v$side" type veth peer name "v$side-h"
    ip link set "v$side" netns "$side"
    ip -n "$side" link set lo up
    ip -n "$side" link set "v$side" address "02:00:0a:01:00:0$side"
    ip -n "$side" addr add "$(addr "$side")/24" dev "v$side"
    ip -n "$side" link set "v$side" up
    ip link set "v$side-h" up
done
bridge xenbr1 02:00:0a:01:00:01
bridge xenbr2 02:00:0a:01:00:02
attach a xenbr1
attach b xenbr2
wait_vif "$domid" 0
wait_vif "$domid" 1
wait_for 100 exists "$home" || echo "guest never wrote $home"
brctl show

for case in $CASES; do
    echo "phase $case"
    install_config "$case"
    result "$case: installed through XenStore" $? "status $(xenstore-read "$home/0/status" 2>&1)"
    n=$(pings a b)
    m=$(pings b a)
    result "$case: ping both ways" $([ "$n" = 5 ] && [ "$m" = 5 ]; echo $?) "a->b $n of 5, b->a $m of 5"
    tcp "$case" a b
    tcp "$case" b a
    udp "$case" a b
    udp "$case" b a
done

echo "phase firewall denies"
# IPFilter drops TCP to B's port 5003: a connection attempt from A gets no answer.
ip netns exec b timeout 10 nc.openbsd -l -n "$(addr b)" 5003 >/dev/null 2>&1 &
sleep 0.3
install_config firewall
ip netns exec a nc.openbsd -z -n -w 3 "$(addr b)" 5003
rc=$?
result "firewall: TCP to the denied port 5003 stays closed" $([ $rc != 0 ]; echo $?) "nc -z exit status $rc"

echo "phase nat"
install_config nat
result "nat: installed through XenStore" $? "status $(xenstore-read "$home/0/status" 2>&1)"
n=$(pings a b)
result "nat: ping a->b" $([ "$n" = 5 ]; echo $?) "$n of 5"
tcp nat a b
tcp_back nat a b
udp nat a b
ip netns exec b timeout 10 nc.openbsd -l -n -v "$(addr b)" 5004 >/dev/null 2>/tmp/nat-peer &
sleep 0.3
echo hello | ip netns exec a nc.openbsd -N -n -w 5 "$(addr b)" 5004
sleep 0.5
peer=$(tr '\n' ' ' </tmp/nat-peer)
result "nat: B sees A's connection from the translated address 10.1.0.100" \
    $([[ $peer == *10.1.0.100* ]]; echo $?) "$peer"
ip netns exec a timeout 10 nc.openbsd -l -n "$(addr a)" 5005 >/dev/null 2>&1 &
sleep 0.3
ip netns exec b nc.openbsd -z -n -w 3 "$(addr a)" 5005
rc=$?
result "nat: B cannot open a connection to A" $([ $rc != 0 ]; echo $?) "nc -z exit status $rc"
echo "nat: $(xenstore-write "$home/0/control/read/rw/nmappings" "" 2>&1; sleep 1; xenstore-read "$home/0/elements/rw/nmappings" 2>&1) mappings"

echo "phase missing vif"
generation=$(xenstore-read "$home/0/generation" 2>/dev/null)
install_config missing-vif
rc=$?
error=$(xenstore-read "$home/0/error" 2>/dev/null)
echo "status $(xenstore-read "$home/0/status" 2>&1), error: $error"
result "a config naming vif 2 of a two-vif guest is refused with file:line:col" \
    $([ $rc != 0 ] && [[ $error == data/clickos/0/config:*:*:*vif* ]] &&
        [ "$(xenstore-read "$home/0/generation" 2>/dev/null)" = "$generation" ]; echo $?) "$error"
n=$(pings a b)
result "the running router keeps forwarding after the refused config" $([ "$n" = 5 ]; echo $?) "$n of 5"

echo "phase direct"
bridge brdirect 02:00:0a:01:00:03
attach a brdirect
attach b brdirect
n=$(pings a b)
result "direct: ping through a plain dom0 bridge" $([ "$n" = 5 ]; echo $?) "$n of 5"
tcp direct a b
tcp direct b a

echo "phase shutdown"
xl shutdown "$domid"
