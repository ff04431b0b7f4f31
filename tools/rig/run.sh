#!/usr/bin/env bash
# Boots Xen + dom0 in QEMU (TCG) and runs PV guests from xl configs, one after the other, in
# the same dom0. Prints each guest's console, what its hooks printed and its shutdown reason.
#
# usage: tools/rig/run.sh [options] [guest options] CONFIG [[guest options] CONFIG ...]
#   --timeout S        seconds each guest may run before it is destroyed (30)
#   --qemu-timeout S   wall-clock limit of the whole QEMU run (default 90 + 40 per guest)
#   --log FILE         full serial log (default tools/rig/out/serial.log)
#   --verbose          also echo the serial log while it runs
#   --shell            interactive dom0 shell after the guests (exit it to power off)
#   --dom0-bin FILE    put executable FILE on dom0's PATH (in /rig/bin); repeatable
#   --dom0-mem MIB     dom0's memory (256; --libvirt makes it at least 512)
#   --xen-args "ARGS"  appended to Xen's command line (default $RIG_XEN_ARGS)
#   --cpus N           CPUs of the emulated machine, Xen's physical CPUs (default $RIG_CPUS
#                      or 2)
#   --xenstored NAME   dom0's XenStore daemon: oxenstored (OCaml, Debian's default) or
#                      xenstored (C) (default $RIG_XENSTORED or oxenstored)
#   --libvirt          add libvirtd and virsh to dom0 (build.sh --libvirt builds them; the
#                      hooks start libvirtd); dom0 gets 512 MiB instead of 256 to hold them,
#                      and the CPU Intel's vendor string (libvirt's libxl driver refuses to
#                      start when no model of its CPU map matches the host; with QEMU's
#                      AMD-flavoured `max` CPU Xen hides SYSENTER and none does)
# guest options:
#   --kernel ELF       guest kernel for this and the following configs (default: the
#                      config's kernel=, relative to the config's folder)
#   --extra "ARGS"     replaces the config's extra= (the guest command line), this config only
#   --ramdisk FILE     boot module for this config (default: the config's ramdisk=, relative
#                      to the config's folder)
#   --hook FILE        run in dom0 while the guest is created but paused, with its domid as $1
#   --post-hook FILE   run in dom0 after unpause, with the domid as $1; stopped after the guest
#                      is gone
# Exit status: 0 every guest powered off, 1 a guest ended otherwise (crash, ...), 2 rig
# failure (guest not created or timed out, QEMU or dom0 failed). Run tools/rig/build.sh first.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$here/out
usage() { sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//'; }

timeout=30 qemu_timeout="" log=$out/serial.log verbose=0 shell=0 layers=() dom0_mib=256 cpu=max
cpus=${RIG_CPUS:-2} more_xen_args=${RIG_XEN_ARGS:-} xenstored=${RIG_XENSTORED:-oxenstored}
kernel="" extra="" ramdisk="" hook="" posthook="" n=0
work=$(mktemp -d /tmp/clickos-rig.XXXXXX)
trap 'rm -rf "$work"' EXIT
add_guest() { # CONFIG
    local cfg=$1 dir name k rd
    [ -f "$cfg" ] || { echo "run.sh: no config $cfg" >&2; exit 2; }
    name=$(sed -n "s/^[[:space:]]*name[[:space:]]*=[[:space:]]*[\"']\([^\"']*\)[\"'].*/\1/p" "$cfg" | head -1)
    [ -n "$name" ] || { echo "run.sh: $cfg has no name = \"...\"" >&2; exit 2; }
    k=$kernel
    if [ -z "$k" ]; then
        k=$(sed -n "s/^[[:space:]]*kernel[[:space:]]*=[[:space:]]*[\"']\([^\"']*\)[\"'].*/\1/p" "$cfg" | head -1)
        case $k in /*) ;; *) k=$(dirname "$cfg")/$k ;; esac
    fi
    [ -f "$k" ] || { echo "run.sh: no guest kernel $k for $cfg" >&2; exit 2; }
    rd=$ramdisk
    if [ -z "$rd" ]; then
        rd=$(sed -n "s/^[[:space:]]*ramdisk[[:space:]]*=[[:space:]]*[\"']\([^\"']*\)[\"'].*/\1/p" "$cfg" | head -1)
        case $rd in /* | "") ;; *) rd=$(dirname "$cfg")/$rd ;; esac
    fi
    [ -z "$rd" ] || [ -f "$rd" ] || { echo "run.sh: no ramdisk $rd for $cfg" >&2; exit 2; }
    n=$((n + 1))
    dir=$work/overlay/rig/guests/$(printf '%02d' "$n")
    mkdir -p "$dir"
    cp "$k" "$dir/kernel"
    grep -v -E '^[[:space:]]*(kernel|ramdisk)[[:space:]]*=' "$cfg" >"$dir/guest.cfg"
    echo "kernel = \"/rig/guests/$(basename "$dir")/kernel\"" >>"$dir/guest.cfg"
    if [ -n "$rd" ]; then
        cp "$rd" "$dir/ramdisk"
        echo "ramdisk = \"/rig/guests/$(basename "$dir")/ramdisk\"" >>"$dir/guest.cfg"
    fi
    if [ -n "$extra" ]; then
        sed -i '/^[[:space:]]*extra[[:space:]]*=/d' "$dir/guest.cfg"
        echo "extra = \"$extra\"" >>"$dir/guest.cfg"
    fi
    [ -n "$hook" ] && install -m 0755 "$hook" "$dir/hook.sh"
    [ -n "$posthook" ] && install -m 0755 "$posthook" "$dir/post-hook.sh"
    extra="" ramdisk="" hook="" posthook=""
}
while [ $# -gt 0 ]; do
    case $1 in
    --timeout) timeout=$2; shift 2 ;;
    --qemu-timeout) qemu_timeout=$2; shift 2 ;;
    --log) log=$2; shift 2 ;;
    --verbose) verbose=1; shift ;;
    --shell) shell=1; shift ;;
    --dom0-bin)
        [ -f "$2" ] || { echo "run.sh: no file $2 for --dom0-bin" >&2; exit 2; }
        mkdir -p "$work/overlay/rig/bin" && install -m 0755 "$2" "$work/overlay/rig/bin/"
        shift 2 ;;
    --dom0-mem)
        [[ ${2:-} =~ ^[0-9]+$ ]] || { echo "run.sh: --dom0-mem wants MiB, got '${2:-}'" >&2; exit 2; }
        dom0_mib=$2
        shift 2 ;;
    --xen-args) more_xen_args=$2; shift 2 ;;
    --cpus) cpus=${2:-}; shift 2 ;;
    --libvirt)
        [ -f "$out/libvirt.cpio.gz" ] || { echo "run.sh: missing $out/libvirt.cpio.gz: run tools/rig/build.sh --libvirt" >&2; exit 2; }
        layers+=("$out/libvirt.cpio.gz") cpu=max,vendor=GenuineIntel
        [ "$dom0_mib" -ge 512 ] || dom0_mib=512
        shift ;;
    --kernel) kernel=$2; shift 2 ;;
    --xenstored) xenstored=$2; shift 2 ;;
    --extra) extra=$2; shift 2 ;;
    --ramdisk) ramdisk=$2; shift 2 ;;
    --hook) hook=$2; shift 2 ;;
    --post-hook) posthook=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    *) add_guest "$1"; shift ;;
    esac
done
[ $n -gt 0 ] || [ $shell = 1 ] || { usage >&2; exit 2; }
case $xenstored in xenstored | oxenstored) ;; *) echo "run.sh: --xenstored (or RIG_XENSTORED) wants oxenstored or xenstored, got '$xenstored'" >&2; exit 2 ;; esac
[[ $cpus =~ ^[1-8]$ ]] || { echo "run.sh: --cpus (or RIG_CPUS) wants 1 to 8, got '$cpus'" >&2; exit 2; }
for f in xen vmlinux initrd.img; do
    [ -f "$out/$f" ] || { echo "run.sh: missing $out/$f: run tools/rig/build.sh" >&2; exit 2; }
done
qemu_timeout=${qemu_timeout:-$((90 + 40 * n))}
mkdir -p "$(dirname "$log")"

# Optional layers and the guests ride in more cpio archives appended to the base initramfs
# (Linux unpacks them all, in order).
mkdir -p "$work/overlay/rig"
(cd "$work/overlay" && find . -mindepth 1 | cpio --quiet -o -H newc | gzip -1) >"$work/overlay.cpio.gz"
cat "$out/initrd.img" "${layers[@]}" "$work/overlay.cpio.gz" >"$work/initrd.img"

xen_args="console=com1 com1=115200,8n1 dom0_mem=${dom0_mib}M,max:${dom0_mib}M dom0_max_vcpus=1 loglvl=all guest_loglvl=all $more_xen_args"
dom0_args="console=hvc0 earlyprintk=xen quiet rig.timeout=$timeout rig.shell=$shell rig.xenstored=$xenstored"
# Multiboot modules are "file args,file args"; commas inside args are doubled.
qemu=(qemu-system-x86_64 -machine pc -accel tcg,thread=multi -cpu "$cpu" -smp "$cpus" -m 2048
    -nodefaults -no-reboot -display none -monitor none
    -device isa-debug-exit,iobase=0xf4,iosize=0x04
    -kernel "$out/xen" -append "$xen_args"
    -initrd "$out/vmlinux ${dom0_args//,/,,},$work/initrd.img")

start=$EPOCHREALTIME
if [ $shell = 1 ]; then
    timeout --foreground "$qemu_timeout" "${qemu[@]}" -chardev stdio,id=s0,signal=off -serial chardev:s0
    rc=$?
else
    # Line-buffered, so that the serial log can be followed (tail -f) while the rig runs.
    if [ $verbose = 1 ]; then
        timeout "$qemu_timeout" "${qemu[@]}" -serial stdio </dev/null 2>&1 | stdbuf -oL tr -d '\r' | tee "$log"
    else
        timeout "$qemu_timeout" "${qemu[@]}" -serial stdio </dev/null 2>&1 | stdbuf -oL tr -d '\r' >"$log"
    fi
    rc=${PIPESTATUS[0]}
    # Guest consoles, hook output, Xen's notes about the guests, and the exit lines.
    awk '
        /^RIG: CONSOLE-BEGIN/ { inside = 1; next }
        /^RIG: CONSOLE-END/ { inside = 0; next }
        inside { print "  | " $0; next }
        /^RIG: GUEST-BEGIN/ { sub(/^RIG: GUEST-BEGIN /, ""); print "== guest " $0; next }
        /^RIG: GUEST-EXIT/ { sub(/^RIG: GUEST-EXIT /, ""); print "== exit " $0; next }
        /^(hook|post-hook|xl-create): / || /\(XEN\).*d[1-9][0-9]*v?[0-9]* / || /^RIG: (FAILED|DOM0-READY)/ { print }
    ' "$log"
fi
wall=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
echo "rig: qemu exit $rc after ${wall} s (serial log: $log)"
case $rc in
33) exit 0 ;;
35) exit 1 ;;
*) exit 2 ;;
esac
