#!/usr/bin/env bash
# Deployment through libvirt under a real Xen (tools/rig): dom0 runs libvirtd with its libxl
# driver, the way OpenStack Nova and OpenVIM drive Xen. Domain XML from `clickctl libvirt-xml`:
#   - `virsh create` with the configuration as <initrd>: the guest answers ping
#   - `virsh create` without one, `clickctl install` and `clickctl read`: configured and
#     inspected over XenStore like any other guest
#   - `virsh shutdown`: the guest powers off cleanly (libvirt: Stopped Shutdown)
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/rig/lib.sh

image=$(kernel/build-image.sh)
tools/rig/build.sh --libvirt
clickctl=$(tools/rig/build-clickctl.sh)
rig_begin
dom0_hook "$work/hook.sh" tests/rig/libvirt/steps.sh ping-responder=configs/ping-responder.click \
    ping-counted=tests/rig/control/ping-counted.click
rig_run "libvirt tests" --libvirt --dom0-bin "$clickctl" --timeout 300 --qemu-timeout 420 \
    --kernel "$image" --post-hook "$work/hook.sh" tests/rig/libvirt/libvirt.cfg

echo "---- libvirt test checks"
expect_results "libvirtd runs with its libxl driver" \
    "virsh create with the configuration as initrd answers ping" \
    "virsh create, clickctl install and read" \
    "virsh shutdown stops it (reason poweroff)"
expect '^== exit name=clickos-libvirt-host reason=poweroff' 'first guest: exit reason poweroff'
rig_end "libvirt tests"
