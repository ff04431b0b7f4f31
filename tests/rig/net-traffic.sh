# dom0 part of the network test (net-tests.sh makes it a post-hook with dom0_hook): waits
# for the guest's netfront to connect, then arping, 100 pings each of sizes 56, 0 and 1472, a
# warm-up flood, the measured flood of $FLOOD requests, and finally `xl shutdown`. Pauses of
# 2.5 s between phases let the guest close and report its traffic bursts (it reports after 1 s
# without packets).
FLOOD=100000
WARMUP=10000
domid=$1
ip=10.0.0.2
wait_vif "$domid"
sleep 0.5
echo "phase arping"
arping -c 3 -w 10 -I xenbr0 "$ip" 2>&1
for size in 56 0 1472; do
    echo "phase ping size=$size"
    ping -c 100 -i 0.01 -W 2 -s "$size" "$ip" 2>&1 | grep -E 'transmitted|^rtt'
done
echo "phase warmup flood=$WARMUP"
ping -f -q -l 64 -c "$WARMUP" "$ip" 2>&1 | grep -E 'transmitted|^rtt'
sleep 2.5
echo "phase flood=$FLOOD"
start=$EPOCHREALTIME
ping -f -q -l 32 -c "$FLOOD" "$ip" 2>&1 | grep -E 'transmitted|^rtt'
echo "flood took $(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"
sleep 2.5
echo "phase shutdown"
xl shutdown "$domid" 2>&1
echo "shutdown issued"
