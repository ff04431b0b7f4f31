#!/usr/bin/env bash
# Builds the Xen-in-QEMU rig from Debian's archive: Xen (multiboot ELF for QEMU -kernel),
# the dom0 kernel (pre-decompressed to an ELF vmlinux: Xen boots it ~6 s faster under TCG than
# the xz bzImage) and a small dom0 initramfs with busybox, the xl toolstack, xenstored,
# xenconsoled, the Xen/bridge modules, iproute2 and netcat for traffic tests, and dom0-init.sh
# as /init.
#
# Nothing is installed on the host: packages are fetched with `apt-get download` into
# .cache/debs and unpacked there. Outputs go to out/: xen, vmlinux, initrd.img, versions.txt.
# Re-running is cheap: it stops early when out/ matches the inputs (see out/stamp).
#
# With --libvirt it also builds out/libvirt.cpio.gz, a second layer for `run.sh --libvirt`:
# libvirtd with its libxl driver and virsh (Debian's libvirt-daemon-driver-xen and the
# libraries it needs, ~25 MB compressed), kept apart so that the other tests boot as fast as
# before.
#
# Environment: KVER=<linux ABI, e.g. 6.1.0-56-amd64> (default: what linux-image-amd64 depends
# on now), XENVER=<series> (default 4.17), REBUILD=1 to force.
set -euo pipefail

with_libvirt=0
case ${1:-} in
--libvirt) with_libvirt=1 ;;
"") ;;
*) echo "usage: tools/rig/build.sh [--libvirt]" >&2; exit 2 ;;
esac

here=$(cd "$(dirname "$0")" && pwd)
cache=$here/.cache
out=$here/out
XENVER=${XENVER:-4.17}
if [ -z "${KVER:-}" ]; then
    KVER=$(apt-cache depends linux-image-amd64 2>/dev/null \
        | sed -n 's/^ *Depends: linux-image-\([0-9].*-amd64\)$/\1/p' | head -1)
fi
if [ -z "${KVER:-}" ] && [ "$(id -u)" -eq 0 ]; then
    apt-get update -q >/dev/null # empty package lists (fresh container): fetch them once
    KVER=$(apt-cache depends linux-image-amd64 2>/dev/null \
        | sed -n 's/^ *Depends: linux-image-\([0-9].*-amd64\)$/\1/p' | head -1)
fi
[ -n "${KVER:-}" ] || { echo "rig build: cannot resolve the linux-image ABI (run apt-get update)" >&2; exit 2; }

stamp="xen=$XENVER kver=$KVER $(cat "$here/build.sh" "$here/dom0-init.sh" | sha256sum | cut -c1-16)"
up_to_date() { # STAMP-FILE OUTPUT
    [ -z "${REBUILD:-}" ] && [ -f "$2" ] && [ "$(cat "$1" 2>/dev/null)" = "$stamp" ]
}
if up_to_date "$out/stamp" "$out/initrd.img" \
    && { [ "$with_libvirt" = 0 ] || up_to_date "$out/libvirt.stamp" "$out/libvirt.cpio.gz"; }; then
    echo "rig build: up to date ($stamp)"
    exit 0
fi
mkdir -p "$cache/debs" "$out"

# download PACKAGE...: fetches into the cache the .debs it does not hold yet.
download() {
    local p missing=()
    for p in "$@"; do
        compgen -G "$cache/debs/${p}_*.deb" >/dev/null || missing+=("$p")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        echo "rig build: downloading ${missing[*]}"
        (cd "$cache/debs" && apt-get download -q "${missing[@]}")
    fi
}

# newest_deb PACKAGE: the cached .deb of PACKAGE.
newest_deb() { ls -1 "$cache/debs/${1}_"*.deb | sort -V | tail -1; }

# copy_libraries DEST SEARCH SKIP FILE...: copies into DEST the shared libraries that the
# FILEs need, found along SEARCH (a LD_LIBRARY_PATH, then the host), except those under SKIP.
# A library found nowhere fails the build (the guest tools would not start in dom0).
copy_libraries() {
    local dest=$1 search=$2 skip=$3 f lib
    shift 3
    mkdir -p "$dest/lib64" "$dest/lib/x86_64-linux-gnu"
    for f in "$@"; do
        [ -L "$f" ] && continue
        if LD_LIBRARY_PATH=$search ldd "$f" 2>/dev/null | grep -F "not found"; then
            echo "rig build: $f needs a library found nowhere" >&2
            exit 2
        fi
        LD_LIBRARY_PATH=$search ldd "$f" 2>/dev/null \
            | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\/lib64\// { print $1 }'
    done | sort -u | while read -r lib; do
        case $lib in
        "$skip"/*) ;;
        /lib64/*) cp -L "$lib" "$dest/lib64/" ;;
        *) cp -L "$lib" "$dest/lib/x86_64-linux-gnu/" ;;
        esac
    done
}

build_base() {
debs=(
    "xen-hypervisor-$XENVER-amd64" xen-hypervisor-common "xen-utils-$XENVER" xen-utils-common
    xenstore-utils "libxenmisc$XENVER" libxenstore4 libxencall1 libxenevtchn1
    libxenforeignmemory1 libxengnttab1 libxentoollog1 libxentoolcore1 libxendevicemodel1
    libxenhypfs1 libyajl2 busybox-static bridge-utils iputils-ping iproute2 netcat-openbsd
    "linux-image-$KVER"
)
# dom0 modules in load order (the linux-image .deb ships no modules.dep).
modules=(
    drivers/xen/xen-evtchn.ko drivers/xen/xen-gntdev.ko drivers/xen/xen-gntalloc.ko
    drivers/xen/xen-privcmd.ko drivers/xen/xenfs/xenfs.ko net/llc/llc.ko net/802/stp.ko
    net/bridge/bridge.ko net/802/mrp.ko net/802/garp.ko net/8021q/8021q.ko
    drivers/net/xen-netback/xen-netback.ko drivers/net/veth.ko
)
xen_tools=(xl xenstored oxenstored xenconsoled xenconsole xen-init-dom0 libxl-save-helper xenstore-control lsevtchn)

download "${debs[@]}"

# ---- unpack (only the needed parts of the 400 MB kernel package)
root=$cache/root
rm -rf "$root" && mkdir -p "$root"
: >"$out/versions.txt"
for p in "${debs[@]}"; do
    deb=$(newest_deb "$p")
    if [ "$p" = "linux-image-$KVER" ]; then
        dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$root" "./boot/vmlinuz-$KVER" \
            $(printf "./lib/modules/$KVER/kernel/%s " "${modules[@]}")
    else
        dpkg-deb -x "$deb" "$root"
    fi
    printf '%-28s %s\n' "$p" "$(dpkg-deb -f "$deb" Version)" >>"$out/versions.txt"
done

# ---- Xen: QEMU's multiboot loader needs the uncompressed image
zcat "$root/boot/xen-$XENVER-amd64.gz" >"$out/xen"

# ---- dom0 kernel: unwrap the bzImage's xz payload into the ELF vmlinux
python3 - "$root/boot/vmlinuz-$KVER" "$out/vmlinux" <<'PY'
import lzma, struct, sys
image = open(sys.argv[1], "rb").read()
setup_sectors = image[0x1F1] or 4
protected_mode = (setup_sectors + 1) * 512
payload_offset, payload_length = struct.unpack_from("<II", image, 0x248)
start = protected_mode + payload_offset
payload = image[start:start + payload_length]
if not payload.startswith(b"\xfd7zXZ\x00"):
    sys.exit("dom0 kernel payload is not xz-compressed")
elf = lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(payload)
if not elf.startswith(b"\x7fELF"):
    sys.exit("dom0 kernel payload is not an ELF image")
open(sys.argv[2], "wb").write(elf)
PY

# ---- the initramfs tree
tree=$cache/initramfs
rm -rf "$tree" && mkdir -p "$tree"
(
    cd "$tree"
    mkdir -p bin sbin usr/bin usr/sbin lib64 lib/x86_64-linux-gnu usr/lib/x86_64-linux-gnu dev \
        proc sys run tmp etc/xen var/lib/xen var/lib/xenstored var/log/xen/console rig \
        "usr/lib/xen-$XENVER/bin" "lib/modules/$KVER"
    ln -s ../run var/run
    mknod -m 600 dev/console c 5 1 2>/dev/null || true
    cp "$root/bin/busybox" bin/
    for applet in $(bin/busybox --list); do
        case $applet in busybox | bash | brctl | ping | ip) continue ;; esac
        [ -e "bin/$applet" ] || ln -s busybox "bin/$applet"
    done
    # The Xen hotplug scripts are bash scripts; flock is used by their locking.
    cp /bin/bash bin/ && cp /usr/bin/flock bin/
    cp "$root/sbin/brctl" sbin/ # busybox brctl lacks the stp/setfd the scripts use
    cp "$root/bin/ping" usr/bin/
    # iproute2's ip for network namespaces and veth pairs (busybox ip has neither), and
    # OpenBSD netcat for UDP (busybox nc speaks TCP only): hosts on either side of a guest.
    cp "$root/bin/ip" bin/ && cp "$root/bin/nc.openbsd" usr/bin/
    for t in "${xen_tools[@]}"; do cp -a "$root/usr/lib/xen-$XENVER/bin/$t" "usr/lib/xen-$XENVER/bin/"; done
    for t in xl xenstored xenconsoled xen-init-dom0; do ln -s "/usr/lib/xen-$XENVER/bin/$t" "usr/sbin/$t"; done
    cp -a "$root"/usr/bin/xenstore* usr/bin/
    cp -a "$root"/usr/lib/x86_64-linux-gnu/lib{xen,xlutil,yajl}*.so* usr/lib/x86_64-linux-gnu/
    cp -a "$root/etc/xen/scripts" etc/xen/
    printf 'run_hotplug_scripts=1\nautoballoon="off"\n' >etc/xen/xl.conf
    # Shared libraries of everything above, from the unpacked tree first, then the host.
    copy_libraries "$tree" "$tree/usr/lib/x86_64-linux-gnu" "$tree" bin/bash bin/flock bin/ip \
        usr/bin/ping usr/bin/nc.openbsd "usr/lib/xen-$XENVER"/bin/* usr/bin/xenstore \
        usr/lib/x86_64-linux-gnu/*.so*
    # glibc dlopens libgcc_s for pthread_cancel (xl needs it; ldd does not list it).
    cp -L /lib/x86_64-linux-gnu/libgcc_s.so.1 lib/x86_64-linux-gnu/
    printf '/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu\n' >etc/ld.so.conf
    /sbin/ldconfig -r "$tree"
    for m in "${modules[@]}"; do
        mkdir -p "lib/modules/$KVER/$(dirname "$m")"
        cp "$root/lib/modules/$KVER/kernel/$m" "lib/modules/$KVER/$m"
        echo "$m" >>"lib/modules/$KVER/load-order"
    done
    echo 'root:x:0:0:root:/root:/bin/sh' >etc/passwd
    echo 'root:x:0:' >etc/group
    install -m 0755 "$here/dom0-init.sh" init
    find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc | gzip -6 >"$out/initrd.img"
)
echo "$stamp" >"$out/stamp"
echo "rig build: $(du -h "$out/initrd.img" | cut -f1) initramfs, dom0 linux $KVER, xen $XENVER"
}

# The libvirt layer: libvirtd with only its libxl connection driver, virsh, and every library
# they need that the base initramfs lacks (the dependency closure of the Debian packages is
# downloaded; ldd picks what is used).
build_libvirt() {
    local lvroot=$cache/libvirt-root lvtree=$cache/libvirt-layer closure p
    closure=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
        --no-breaks --no-replaces --no-enhances libvirt-daemon-driver-xen libvirt-clients \
        | grep -E '^(lib|libvirt-)' | grep -v -E '^(libc6|libvirt-daemon-driver-(qemu|lxc|vbox))$' \
        | sort -u)
    [ -n "$closure" ] || { echo "rig build: cannot resolve libvirt's dependencies (apt-get update?)" >&2; exit 2; }
    # shellcheck disable=SC2086 # one package name per word
    download $closure
    rm -rf "$lvroot" "$lvtree" && mkdir -p "$lvroot" "$lvtree"
    for p in $closure; do dpkg-deb -x "$(newest_deb "$p")" "$lvroot"; done
    (
        cd "$lvtree"
        local driver=usr/lib/x86_64-linux-gnu/libvirt/connection-driver
        mkdir -p usr/sbin usr/bin "$driver" etc/libvirt var/lib/libvirt var/cache/libvirt \
            var/log/libvirt/libxl run/libvirt usr/share/libvirt
        cp "$lvroot/usr/sbin/libvirtd" usr/sbin/
        cp "$lvroot/usr/bin/virsh" usr/bin/
        cp "$lvroot/$driver/libvirt_driver_libxl.so" "$driver/"
        # The host CPU's model for the capabilities the libxl driver reports at start.
        cp -a "$lvroot/usr/share/libvirt/cpu_map" usr/share/libvirt/
        # Local clients only: no TCP/TLS listener, no polkit (dom0's root owns the socket).
        printf 'auth_unix_rw = "none"\nunix_sock_rw_perms = "0700"\n' >etc/libvirt/libvirtd.conf
        local search=$lvroot/usr/lib/x86_64-linux-gnu:$lvroot/lib/x86_64-linux-gnu
        search=$search:$cache/initramfs/usr/lib/x86_64-linux-gnu:$cache/initramfs/lib/x86_64-linux-gnu
        copy_libraries "$lvtree" "$search" "$cache/initramfs" usr/sbin/libvirtd usr/bin/virsh \
            "$driver/libvirt_driver_libxl.so"
        find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc | gzip -6 >"$out/libvirt.cpio.gz"
    )
    sed -i '/^libvirt-daemon-driver-xen /d' "$out/versions.txt"
    printf '%-28s %s\n' libvirt-daemon-driver-xen \
        "$(dpkg-deb -f "$(newest_deb libvirt-daemon-driver-xen)" Version)" >>"$out/versions.txt"
    echo "$stamp" >"$out/libvirt.stamp"
    echo "rig build: $(du -h "$out/libvirt.cpio.gz" | cut -f1) libvirt layer (run.sh --libvirt)"
}

up_to_date "$out/stamp" "$out/initrd.img" || build_base
if [ "$with_libvirt" = 1 ]; then
    up_to_date "$out/libvirt.stamp" "$out/libvirt.cpio.gz" || build_libvirt
fi
