# dom0 part of the built-in configuration test (net-tests.sh makes it a post-hook with
# dom0_hook): waits for the vif, pings the guest (10.0.0.2) ten times, lists what is under its
# data/clickos (only the guest's own reports, no config chunks), sends a configuration naming a
# class the image was built without (refused; the built-in router keeps answering), then
# `xl shutdown`.
domid=$1
ip=10.0.0.2
wait_vif "$domid"
sleep 0.5
echo "embedded: $(ping -c 10 -i 0.05 -W 2 "$ip" 2>&1 | grep transmitted)"
echo "embedded: config chunks in XenStore: $(xenstore-ls "/local/domain/$domid/data/clickos" 2>/dev/null | grep -c '^ *config' || true)"
home=/local/domain/$domid/data/clickos
xenstore-write "$home/0/config/0" "FromDevice(0) -> IPFilter(allow icmp) -> Discard;
" "$home/0/status" Running
wait_for 100 value_is "$home/0/status" Error
echo "embedded: refused: $(xenstore-read "$home/0/error" 2>&1)"
echo "embedded: after: $(ping -c 3 -i 0.2 -W 2 "$ip" 2>&1 | grep transmitted)"
xl shutdown "$domid"
