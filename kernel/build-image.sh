#!/usr/bin/env bash
# Builds the guest image: the kernel for x86_64-unknown-none in the `guest` profile (release
# with LTO), stripped to target/x86_64-unknown-none/guest/clickos-kernel.strip (what the rig
# boots). Prints its size, fails if it is not under 1 MiB, and prints the image's path last.
#
#   kernel/build-image.sh                     # the generic image (configured at boot or live):
#                                             # every element class
#   kernel/build-image.sh --config FILE.click # an image that runs FILE as router 0 by itself:
#                                             # no ramdisk, command line or XenStore keys needed;
#                                             # written to .../clickos-FILE.strip. It has only
#                                             # the element classes FILE uses (kernel/build.rs,
#                                             # kernel/src/image.rs); says whether it is under
#                                             # the 512 KiB target (issue 14).
#                                             # The control protocol can still replace FILE, by
#                                             # a configuration of those classes: another is
#                                             # refused with "element class 'X' is not in this
#                                             # image (built for FILE)" and FILE keeps running.
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
limit=$((1024 * 1024))
kib() { awk -v b="$1" 'BEGIN { printf "%.1f KiB", b / 1024 }'; }
if [ -n "$config" ]; then
    what="built for $(basename "$config"), with only the element classes it uses"
    # The 512 KiB of issue 14 is a target, not a limit: a larger configured image still works.
    if [ "$size" -lt $((512 * 1024)) ]; then what="$what; under the 512 KiB target"; else what="$what; over the 512 KiB target"; fi
else
    what="generic, with every element class"
fi
echo "clickos-kernel image: $size bytes stripped ($(kib "$size")), $what; limit 1024 KiB" >&2
if [ "$size" -ge "$limit" ]; then
    echo "clickos-kernel image refused: $(kib "$size") is not under the 1024 KiB limit" >&2
    exit 1
fi
echo "$out"
