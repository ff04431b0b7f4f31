#!/usr/bin/env bash
# The main job: set up, build, and run the seed ping responder over a recorded trace with
# click-run, printing what it answered.
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
n, off = 0, 24
while off + 16 <= len(d):
    off += 16 + struct.unpack("<I", d[off + 8:off + 12])[0]
    n += 1
print(f"{n} replies")
PY
)"
