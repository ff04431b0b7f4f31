# dom0 part of the libvirt test (tests/rig/libvirt-tests.sh prepends the configurations as
# /tmp/NAME.click). Runs with the first guest's domid as $1: starts libvirtd with its libxl
# driver, then deploys guests the way OpenStack Nova or OpenVIM do, with a domain XML from
# `clickctl libvirt-xml` handed to `virsh create`:
#   - lv-boot: its configuration as the <initrd>; answers ping with no XenStore write
#   - lv-ctl: no configuration; `clickctl install` configures it, `clickctl read` reads a
#     counter; `virsh shutdown` stops it and libvirt reports a clean shutdown (poweroff)
# Prints "result: NAME: ok ..." or "result: NAME: FAILED ..." per check.
first=$1
kernel=/rig/guests/01/kernel
virsh() { timeout 60 virsh -c xen:///system "$@"; }
report() { echo "result: $1: $2"; } # NAME "ok (...)" or "FAILED ..."
wait_vif "$first"
# ping_count ADDR N: how many of N echo requests to ADDR are answered.
ping_count() {
    ping -c "$2" -i 0.2 -W 2 "$1" 2>/dev/null | sed -n 's/.* \([0-9]*\) received.*/\1/p'
}

libvirtd >/tmp/libvirtd.log 2>&1 &
for _ in $(seq 150); do virsh version >/dev/null 2>&1 && break; sleep 0.2; done
if ! virsh version >/tmp/virsh-version 2>&1; then
    report "libvirtd runs with its libxl driver" "FAILED: $(tail -3 /tmp/virsh-version | tr '\n' ' ')"
    grep -E 'error|warning' /tmp/libvirtd.log | tail -20
    xl shutdown "$first"
    exit 0
fi
report "libvirtd runs with its libxl driver" "ok ($(grep -i 'hypervisor' /tmp/virsh-version | tr -s ' ' | tr '\n' ' '))"

# ---- lv-boot: configuration in the domain XML's <initrd>
sed 's/^define($SIP [^,]*, $SMAC [^)]*);/define($SIP 10.0.0.3, $SMAC 00:16:3e:00:00:03);/' \
    /tmp/ping-responder.click >/tmp/lv-boot.click
clickctl libvirt-xml lv-boot "$kernel" --config /tmp/lv-boot.click \
    --vif xenbr0,00:16:3e:00:00:03 --memory 4 >/tmp/lv-boot.xml
if virsh create /tmp/lv-boot.xml >/tmp/lv-boot.out 2>&1; then
    got=0
    for _ in $(seq 100); do ping -c 1 -W 0.2 10.0.0.3 >/dev/null 2>&1 && { got=1; break; }; done
    answered=$(ping_count 10.0.0.3 5)
    if [ "$got" = 1 ] && [ "${answered:-0}" = 5 ]; then
        report "virsh create with the configuration as initrd answers ping" "ok ($answered/5)"
    else
        report "virsh create with the configuration as initrd answers ping" "FAILED (${answered:-0}/5)"
    fi
    virsh destroy lv-boot >/dev/null 2>&1
else
    report "virsh create with the configuration as initrd answers ping" "FAILED: $(tail -2 /tmp/lv-boot.out | tr '\n' ' ')"
fi

# ---- lv-ctl: configured by clickctl, stopped by virsh shutdown
sed 's/^define($SIP [^,]*, $SMAC [^)]*);/define($SIP 10.0.0.4, $SMAC 00:16:3e:00:00:04);/' \
    /tmp/ping-counted.click >/tmp/lv-ctl.click
clickctl libvirt-xml lv-ctl "$kernel" --vif xenbr0,00:16:3e:00:00:04 --memory 4 >/tmp/lv-ctl.xml
timeout 600 virsh -c xen:///system event --loop --event lifecycle >/tmp/lv-events 2>&1 &
events=$!
if ! virsh create /tmp/lv-ctl.xml >/tmp/lv-ctl.out 2>&1; then
    report "virsh create, clickctl install and read" "FAILED: $(tail -2 /tmp/lv-ctl.out | tr '\n' ' ')"
elif ! clickctl install lv-ctl /tmp/lv-ctl.click >/tmp/lv-install.out 2>&1; then
    report "virsh create, clickctl install and read" "FAILED: install: $(tail -2 /tmp/lv-install.out | tr '\n' ' ')"
else
    answered=$(ping_count 10.0.0.4 6)
    count=$(clickctl read lv-ctl pings.count 2>&1)
    # ARP may cost the first request; the counter must count exactly what was answered.
    if [ "${answered:-0}" -ge 5 ] && [ "$count" = "$answered" ]; then
        report "virsh create, clickctl install and read" "ok ($answered/6 answered, pings.count $count)"
    else
        report "virsh create, clickctl install and read" "FAILED (${answered:-0}/6 answered, pings.count '$count')"
    fi
    state=$(virsh domstate lv-ctl 2>&1)
    virsh shutdown lv-ctl >/tmp/lv-shutdown.out 2>&1
    for _ in $(seq 150); do grep -q "lv-ctl.*Stopped" /tmp/lv-events && break; sleep 0.2; done
    stopped=$(grep "lv-ctl.*Stopped" /tmp/lv-events | head -1)
    if [ "$state" = running ] && [[ $stopped == *"Stopped Shutdown"* ]] \
        && ! virsh list --name | grep -qx lv-ctl; then
        report "virsh shutdown stops it (reason poweroff)" "ok (${stopped#event })"
    else
        report "virsh shutdown stops it (reason poweroff)" "FAILED (state '$state', event '${stopped:-none}': $(tr '\n' ' ' </tmp/lv-shutdown.out))"
    fi
fi
kill "$events" 2>/dev/null
echo "libvirt events:" && sed 's/^/  /' /tmp/lv-events
xl shutdown "$first"
