#!/usr/bin/env bash
# Builds the guest image: the release kernel for x86_64-unknown-none, stripped to
# target/x86_64-unknown-none/release/clickos-kernel.strip (what the rig boots). Prints its
# size and fails if it is not under 1 MiB. Prints the image's path last.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q -p clickos-kernel --release --target x86_64-unknown-none
dir=${CARGO_TARGET_DIR:-target}/x86_64-unknown-none/release
strip -o "$dir/clickos-kernel.strip" "$dir/clickos-kernel"
size=$(stat -c %s "$dir/clickos-kernel.strip")
echo "clickos-kernel image: $size bytes stripped ($(( (size + 1023) / 1024 )) KiB; limit 1024 KiB)" >&2
if [ "$size" -ge $((1024 * 1024)) ]; then
    echo "clickos-kernel image is over 1 MiB" >&2
    exit 1
fi
echo "$dir/clickos-kernel.strip"
