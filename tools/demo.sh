#!/usr/bin/env bash
# The main job: set up, build, and run the seed ping responder twice: over a recorded trace
# with click-run on the host, then as a Xen guest in the rig (its config is the ramdisk),
# pinged from dom0 and shut down with `xl shutdown`.
set -euo pipefail
cd "$(dirname "$0")/.."
./tools/setup.sh
cargo build --release -p clickos-tools --bin click-run

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp tests/data/conformance/usecase-pingresponder/in.pcap "$work/"
# The seed configuration with pcap files in place of the devices.
sed -e 's/FromDevice(0)/FromDump(in.pcap, STOP true)/' -e 's/ToDevice(0)/ToDump(out.pcap)/' \
    configs/ping-responder.click > "$work/ping-responder.click"
(cd "$work" && "$OLDPWD/target/release/click-run" ping-responder.click -t \
    -h c.ports -h arpr.class)
echo "demo: in.pcap -> out.pcap: $(python3 - "$work" <<'PY'
import struct, sys
d = open(sys.argv[1] + "/out.pcap", "rb").read()
# ToDump writes host byte order, as Click does (little-endian on x86): the magic tells.
order = "<" if d[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
n, off = 0, 24
while off + 16 <= len(d):
    off += 16 + struct.unpack(order + "I", d[off + 8:off + 12])[0]
    n += 1
print(f"{n} replies")
PY
)"

echo "demo: booting the ping responder under Xen (tools/rig, about a minute)"
image=$(kernel/build-image.sh)
cat >"$work/hook.sh" <<'HOOK'
#!/bin/bash
for _ in $(seq 200); do
    [ "$(xenstore-read "/local/domain/0/backend/vif/$1/0/state" 2>/dev/null)" = 4 ] && break
    sleep 0.1
done
arping -c 2 -w 5 -I xenbr0 10.0.0.2
ping -c 5 -i 0.2 10.0.0.2
xl shutdown "$1"
HOOK
tools/rig/run.sh --kernel "$image" --post-hook "$work/hook.sh" tests/rig/net.cfg
