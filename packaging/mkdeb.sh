#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# mkdeb.sh VERSION TOOLS_VERSION RELEASE_DIR OUT_DIR [XZ_LEVEL]: builds OUT_DIR/wireguard-swift_VERSION_ARCH.deb from an
# existing release build (`make deb` calls it after `make build`): the files of `make install` (PREFIX=/usr,
# units in /lib/systemd/system, where Debian's wireguard-tools has them), executables stripped, man pages
# gzipped, Depends from dpkg-shlibdeps plus what wg-quick runs. It takes the place of wireguard-tools and
# wireguard-go: Provides, Conflicts and Replaces both, so `apt install ./wireguard-swift_*.deb` swaps them.
set -euo pipefail
version=$1 tools_version=$2 release_dir=$3 out_dir=$4 xz_level=${5:-6}
[ -n "$version" ] || { echo "mkdeb: no version (DaemonCommand.version not found)" >&2; exit 1; }
command -v dpkg-deb >/dev/null && command -v dpkg-shlibdeps >/dev/null \
    || { echo "mkdeb: dpkg-deb and dpkg-shlibdeps are needed (apt-get install dpkg-dev)" >&2; exit 1; }
arch=$(dpkg --print-architecture)
work=$(mktemp -d /tmp/wireguard-swift-deb.XXXXXX)
trap 'status=$?; rm -rf "$work"; exit $status' EXIT
stage=$work/root

make --no-print-directory -s install-files DESTDIR="$stage" PREFIX=/usr SYSCONFDIR=/etc \
    SYSTEMDUNITDIR=/lib/systemd/system RELEASE_DIR="$release_dir" >/dev/null
strip --strip-unneeded "$stage"/usr/bin/wireguard-swift "$stage"/usr/bin/wg "$stage"/usr/bin/wg-quick "$stage"/usr/bin/wg-server
gzip -9n "$stage"/usr/share/man/man8/*.8
install -d "$stage/usr/share/doc/wireguard-swift"
install -m 0644 README.md "$stage/usr/share/doc/wireguard-swift/README.md"

# Library dependencies of the executables, with the versions their symbols need.
mkdir -p "$work/shlibs/debian"
printf 'Source: wireguard-swift\n\nPackage: wireguard-swift\nArchitecture: any\n' >"$work/shlibs/debian/control"
shlibs=$(cd "$work/shlibs" && dpkg-shlibdeps -O "$stage"/usr/bin/wireguard-swift "$stage"/usr/bin/wg "$stage"/usr/bin/wg-quick "$stage"/usr/bin/wg-server 2>/dev/null)
shlibs=${shlibs#shlibs:Depends=}
[ -n "$shlibs" ] || { echo "mkdeb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }

install -d "$stage/DEBIAN"
# wg-quick runs ip (iproute2) and, for a default route, nft or iptables; DNS needs resolvconf.
# wireguard-tools is provided at the version whose behaviour wg reproduces, so that Debian's `wireguard`
# metapackage (wireguard-tools (>= 1.0.20210914-1)) stays installable.
cat >"$stage/DEBIAN/control" <<CONTROL
Package: wireguard-swift
Version: $version
Architecture: $arch
Maintainer: wireguard-swift developers <wireguard-swift@localhost>
Installed-Size: $(du -sk --exclude=DEBIAN "$stage" | cut -f1)
Depends: $shlibs, iproute2
Recommends: nftables | iptables
Suggests: openresolv | resolvconf
Provides: wireguard-tools (= $tools_version-1), wireguard-go
Conflicts: wireguard-tools, wireguard-go
Replaces: wireguard-tools, wireguard-go
Section: net
Priority: optional
Description: WireGuard in Swift: userspace daemon, wg, wg-quick and wg-server
 A drop-in for wireguard-go (the wireguard-swift daemon) and for
 wireguard-tools (wg and wg-quick, with the same commands, output and exit
 codes). wg-quick uses the kernel's WireGuard module when it is there, else
 the daemon. wg-server writes a VPN server's and its clients' configurations
 (with QR codes). Includes the wg-quick@.service systemd unit and bash
 completion.
CONTROL
# systemd rereads its units when they come or go (not when dpkg works on another root: DPKG_ROOT).
for script in postinst postrm; do
    cat >"$stage/DEBIAN/$script" <<'SCRIPT'
#!/bin/sh
set -e
if [ -z "${DPKG_ROOT:-}" ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
    systemctl --system daemon-reload >/dev/null || true
fi
SCRIPT
    chmod 0755 "$stage/DEBIAN/$script"
done
(cd "$stage" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | sort -z | xargs -0 md5sum) >"$stage/DEBIAN/md5sums"

mkdir -p "$out_dir"
deb="$out_dir/wireguard-swift_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz -z"$xz_level" --build "$stage" "$deb" >/dev/null
echo "$deb"
