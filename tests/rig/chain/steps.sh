# dom0 part of the service-chain test (tests/rig/chain-tests.sh prepends the two
# configurations as /tmp/firewall.click and /tmp/responder.click). $1 is guest A's domid.
# Prints "result: NAME: ok" or "result: NAME: FAIL why" per check.
fw=$1
received() { # PING ARGS...: prints the number of replies
    ping "$@" 2>/dev/null | sed -n 's/.* \([0-9]*\) received.*/\1/p'
}

# The compute node: a VLAN 100 interface on xenbr1 with 10.10.0.2/24. The bridge gets a fixed
# address first: a bridge otherwise takes its ports' (fe:ff:ff:ff:ff:ff for vifs) and may change
# it, while the VLAN interface keeps the one it was created with and the bridge would no longer
# deliver the replies to it.
ip link set xenbr1 address 02:00:0a:0a:00:02
ip link add link xenbr1 name xenbr1.100 type vlan id 100
ip addr add 10.10.0.2/24 dev xenbr1.100
ip link set xenbr1.100 up

# Guest B, the ping responder, from the same image, on xenbr2 with guest A's second vif.
kernel=$(sed -n 's/^kernel = "\(.*\)"$/\1/p' "$(grep -l '"clickos-fw"' /rig/guests/*/guest.cfg)")
cat >/tmp/responder.cfg <<CFG
name = "clickos-b"
kernel = "$kernel"
memory = 8
vcpus = 1
vif = [ 'bridge=xenbr2,mac=00:16:3e:00:00:03' ]
on_crash = "destroy"
CFG
echo "phase configure"
clickctl create /tmp/responder.cfg /tmp/responder.click
rc_b=$?
clickctl install "$fw" /tmp/firewall.click
rc_a=$?
result "both guests configured with clickctl after boot" $([ "$rc_a" = 0 ] && [ "$rc_b" = 0 ]; echo $?) "clickctl create B: $rc_b, clickctl install A: $rc_a"
clickctl status "$fw"
clickctl status clickos-b

echo "phase ToS 0xcc"
n=$(received -Q 0xcc -c 10 -i 0.3 -W 3 -I xenbr1.100 10.10.0.3)
result "ping -Q 0xcc -c 10 through the chain gets 10 replies" $([ "$n" = 10 ]; echo $?) "$n of 10"
for dev in xenbr1 xenbr1.100; do
    echo "$dev: $(cat /sys/class/net/$dev/address) rx $(cat /sys/class/net/$dev/statistics/rx_packets) tx $(cat /sys/class/net/$dev/statistics/tx_packets)"
done
ip neigh show dev xenbr1.100 2>&1 | sed 's/^/  neigh /'
echo "phase ToS 0"
n=$(received -c 3 -i 0.3 -W 2 -I xenbr1.100 10.10.0.3)
result "ping -c 3 with ToS 0 gets none" $([ "$n" = 0 ]; echo $?) "$n of 3"
sleep 1

echo "phase shutdown"
echo "guest B console:"
sed 's/^/  B| /' /var/log/xen/console/guest-clickos-b.log 2>/dev/null | tail -20
xl shutdown -w clickos-b >/dev/null 2>&1 || xl destroy clickos-b
xl shutdown "$fw"
