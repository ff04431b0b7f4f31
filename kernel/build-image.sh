#!/usr/bin/env bash
# Builds the guest image: the kernel for x86_64-unknown-none in the `guest` profile (release
# with LTO), stripped to target/x86_64-unknown-none/guest/clickos-kernel.strip (what the rig
# boots). Prints its size and fails if it is not under 1 MiB. Prints the image's path last.
#
#   kernel/build-image.sh                     # the generic image (configured at boot or live)
#   kernel/build-image.sh --config FILE.click # an image that runs FILE as router 0 by itself:
#                                             # no ramdisk, command line or XenStore keys needed
#                                             # (the control protocol can still replace it);
#                                             # written to .../clickos-FILE.strip
set -euo pipefail
config=""
case "${1:-}" in
    --config)
        config=$(realpath "${2:?--config needs a FILE.click}")
        ;;
    "") ;;
    *)
        echo "usage: $0 [--config FILE.click]" >&2
        exit 2
        ;;
esac
cd "$(dirname "$0")/.."
if [ -n "$config" ]; then
    # Refuse a configuration that does not parse before building it into an image.
    cargo run -q --release -p clickos-tools --bin click-run -- --flatten "$config" >/dev/null
fi
CLICKOS_EMBEDDED_CONFIG="$config" cargo build -q -p clickos-kernel --profile guest --target x86_64-unknown-none
dir=${CARGO_TARGET_DIR:-target}/x86_64-unknown-none/guest
out="$dir/clickos-kernel.strip"
if [ -n "$config" ]; then
    out="$dir/clickos-$(basename "$config" .click).strip"
fi
strip -o "$out" "$dir/clickos-kernel"
size=$(stat -c %s "$out")
echo "clickos-kernel image: $size bytes stripped ($(( (size + 1023) / 1024 )) KiB; limit 1024 KiB)${config:+, with $config built in}" >&2
if [ "$size" -ge $((1024 * 1024)) ]; then
    echo "clickos-kernel image is over 1 MiB" >&2
    exit 1
fi
echo "$out"
