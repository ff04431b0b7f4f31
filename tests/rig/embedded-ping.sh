# dom0 part of the built-in configuration test (net-tests.sh makes it a post-hook with
# dom0_hook): waits for the vif, pings the guest (10.0.0.2) ten times, lists what is under its
# data/clickos (only the guest's own reports, no config chunks), then `xl shutdown`.
domid=$1
ip=10.0.0.2
wait_vif "$domid"
sleep 0.5
echo "embedded: $(ping -c 10 -i 0.05 -W 2 "$ip" 2>&1 | grep transmitted)"
echo "embedded: config chunks in XenStore: $(xenstore-ls "/local/domain/$domid/data/clickos" 2>/dev/null | grep -c '^ *config' || true)"
xl shutdown "$domid"
