#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The install and the Debian package, from one release build:
#   1. `make install DESTDIR=…` lays out exactly the expected files with their modes; the unit has the
#      wireguard-tools semantics; the installed wg runs with no Swift toolchain in reach (`env -i`, ldd, RUNPATH)
#      and its keys agree with Debian's wg; the bash completions answer; `make uninstall` removes every file.
#   2. `make deb`: the package's files, control fields (Provides/Conflicts/Replaces, Depends) and, in a
#      throwaway dpkg root, the swap: it takes the place of (stand-in) wireguard-tools and wireguard-go, keeps
#      Debian's `wireguard` metapackage satisfied, and removes and purges cleanly. `apt-get -s` on this machine
#      shows apt would swap the real packages for it (simulation only: nothing here is changed).
# Prints how long the release build took (the expensive part; everything else reuses it).
source "$(dirname "$0")/lib.sh"
need=()
for pair in make:make dpkg-deb:dpkg dpkg-shlibdeps:dpkg-dev strip:binutils unshare:util-linux; do
    command -v "${pair%%:*}" >/dev/null || need+=("${pair#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
MAKE=(make --no-print-directory -C "$ROOT")

step "release build"
start=$SECONDS
"${MAKE[@]}" build >"$TMP/build.log" 2>&1 || { tail -20 "$TMP/build.log"; fail "make build"; }
pass "release build and static check: $((SECONDS - start)) s"

step "make install"
DEST=$TMP/dest
"${MAKE[@]}" install DESTDIR="$DEST" SYSTEMDUNITDIR=/lib/systemd/system >"$TMP/install.log" 2>&1 \
    || { tail -20 "$TMP/install.log"; fail "make install"; }
(cd "$DEST" && find . -mindepth 1 -printf '%M %P\n' | sort -k2) >"$TMP/layout"
cat >"$TMP/layout.expected" <<'EOF'
drwxr-xr-x etc
drwx------ etc/wireguard
drwxr-xr-x lib
drwxr-xr-x lib/systemd
drwxr-xr-x lib/systemd/system
-rw-r--r-- lib/systemd/system/wg-quick.target
-rw-r--r-- lib/systemd/system/wg-quick@.service
drwxr-xr-x usr
drwxr-xr-x usr/bin
-rwxr-xr-x usr/bin/wg
-rwxr-xr-x usr/bin/wg-quick
-rwxr-xr-x usr/bin/wg-server
-rwxr-xr-x usr/bin/wireguard-swift
drwxr-xr-x usr/share
drwxr-xr-x usr/share/bash-completion
drwxr-xr-x usr/share/bash-completion/completions
-rw-r--r-- usr/share/bash-completion/completions/wg
-rw-r--r-- usr/share/bash-completion/completions/wg-quick
drwxr-xr-x usr/share/man
drwxr-xr-x usr/share/man/man8
-rw-r--r-- usr/share/man/man8/wg-quick.8
-rw-r--r-- usr/share/man/man8/wg.8
-rw-r--r-- usr/share/man/man8/wireguard-swift.8
EOF
diff -u "$TMP/layout.expected" "$TMP/layout" || fail "make install laid out other files or modes"
pass "make install: $(grep -c '^-' "$TMP/layout") files, modes as expected"

UNIT=$DEST/lib/systemd/system/wg-quick@.service
for line in 'Type=oneshot' 'RemainAfterExit=yes' 'ExecStart=/usr/bin/wg-quick up %i' 'ExecStop=/usr/bin/wg-quick down %i' \
            "ExecReload=/bin/bash -c 'exec /usr/bin/wg syncconf %i <(exec /usr/bin/wg-quick strip %i)'" \
            'After=network-online.target nss-lookup.target' 'Wants=network-online.target nss-lookup.target' \
            'PartOf=wg-quick.target' 'Environment=WG_ENDPOINT_RESOLUTION_RETRIES=infinity' 'WantedBy=multi-user.target'; do
    grep -qxF "$line" "$UNIT" || fail "wg-quick@.service lacks: $line"
done
grep -qxF 'WantedBy=multi-user.target' "$DEST/lib/systemd/system/wg-quick.target" || fail "wg-quick.target is not wanted by multi-user.target"
pass "wg-quick@.service: oneshot, up/down, reload through wg syncconf of wg-quick strip, network-online, PartOf wg-quick.target"

# Another PREFIX moves the executables and completions, and the unit runs them from there.
"${MAKE[@]}" install-files DESTDIR="$TMP/dest2" PREFIX=/usr/local SYSTEMDUNITDIR=/usr/local/lib/systemd/system >/dev/null 2>&1 \
    || fail "make install-files PREFIX=/usr/local"
for f in usr/local/bin/wg usr/local/bin/wg-quick usr/local/bin/wireguard-swift usr/local/share/bash-completion/completions/wg \
         usr/local/share/man/man8/wg.8 usr/local/lib/systemd/system/wg-quick@.service; do
    [ -f "$TMP/dest2/$f" ] || fail "PREFIX=/usr/local: no $f"
done
grep -qxF 'ExecStart=/usr/local/bin/wg-quick up %i' "$TMP/dest2/usr/local/lib/systemd/system/wg-quick@.service" \
    || fail "PREFIX=/usr/local: the unit does not run /usr/local/bin/wg-quick"
rm -rf "$TMP/dest2"
pass "PREFIX=/usr/local: executables, completions, man pages under it; the unit runs them from there"

step "the installed executables need no Swift toolchain"
BIN=$DEST/usr/bin
for exe in wireguard-swift wg wg-quick wg-server; do
    libs=$(ldd "$BIN/$exe")
    ! grep -E 'swift|Foundation|dispatch|BlocksRuntime|not found' <<<"$libs" || fail "$exe needs a Swift library"
    ! readelf -d "$BIN/$exe" | grep -E 'R(UN)?PATH' | grep -E 'swift' || fail "$exe has a RUNPATH into the toolchain"
done
version=$(env -i "$BIN/wg" --version) || fail "installed wg --version failed without PATH"
[ "$version" = "$(wg --version)" ] || fail "wg --version: $version"
key=$(env -i "$BIN/wg" genkey) || fail "installed wg genkey failed"
pub=$(env -i "$BIN/wg" pubkey <<<"$key") || fail "installed wg pubkey failed"
[ "$pub" = "$(wg pubkey <<<"$key")" ] || fail "installed wg pubkey differs from Debian's"
env -i "$BIN/wireguard-swift" --version | has '^wireguard-swift v' || fail "installed wireguard-swift --version"
env -i "$BIN/wg-server" init --dir "$TMP/srv" --peers 1 --endpoint 192.0.2.1 --dns none >/dev/null \
    || fail "installed wg-server init failed without PATH"
[ -s "$TMP/srv/wg0-peers/peer1/peer1.png" ] || fail "installed wg-server wrote no QR code PNG"
printf '[Interface]\nPrivateKey = %s\nAddress = 10.9.9.1/24\n' "$key" >"$TMP/wgi0.conf"
stripped=$(env -i "$BIN/wg-quick" strip "$TMP/wgi0.conf" 2>/dev/null) || fail "installed wg-quick strip failed"
[ "$stripped" = "$(printf '[Interface]\nPrivateKey = %s' "$key")" ] || fail "installed wg-quick strip printed: $stripped"
pass "wg --version, genkey | pubkey (equal to Debian's), daemon --version and wg-quick strip under env -i; ldd names no Swift library"

step "bash completion"
# complete_words SCRIPT WORD...: the completions for the words (the last is the one being completed), in a
# private mount namespace whose /etc/wireguard holds a.conf and b.conf, with a `wg` that reports wgX wgY up.
mkdir -p "$TMP/fakebin"
printf '#!/bin/sh\n[ "$*" = "show interfaces" ] && echo "wgX wgY"\n[ "$*" = "show wgX peers" ] && echo PEERKEY=\nexit 0\n' >"$TMP/fakebin/wg"
chmod +x "$TMP/fakebin/wg"
complete_words() {
    local script=$1; shift
    unshare -m bash -c '
        mkdir -p /etc/wireguard && mount --make-rprivate / && mount -t tmpfs tmpfs /etc/wireguard && touch /etc/wireguard/a.conf /etc/wireguard/b.conf
        PATH='"$TMP/fakebin"':$PATH
        source "$1"; shift
        COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
        "$(complete -p "$1" | sed "s/.*-F \([^ ]*\) .*/\1/")"
        printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' _ "$script" "$@"
}
check_completion() {  # SCRIPT EXPECTED WORD...
    local script=$1 expected=$2 got; shift 2
    got=$(complete_words "$DEST/usr/share/bash-completion/completions/$script" "$@")
    [ "$got" = "$expected" ] || fail "completion of '$*': got '$got', expected '$expected'"
}
check_completion wg "set setconf show showconf syncconf " wg s
check_completion wg "all interfaces wgX wgY " wg show ""
check_completion wg "endpoints " wg show wgX e
check_completion wg "dump " wg show all d
check_completion wg "wgX wgY " wg set ""
check_completion wg "fwmark listen-port peer private-key " wg set wgX ""
check_completion wg "PEERKEY= " wg set wgX peer ""
check_completion wg "allowed-ips endpoint peer persistent-keepalive preshared-key remove " wg set wgX peer K ""
check_completion wg "listen-port " wg set wgX l
check_completion wg-quick "--help down save strip up " wg-quick ""
check_completion wg-quick "a b " wg-quick up ""
check_completion wg-quick "wgX wgY " wg-quick down ""
pass "completion: subcommands, interfaces (wg show interfaces), config names from /etc/wireguard, set keywords"

step "make uninstall"
"${MAKE[@]}" uninstall DESTDIR="$DEST" SYSTEMDUNITDIR=/lib/systemd/system >/dev/null || fail "make uninstall"
left=$(cd "$DEST" && find . ! -type d)
[ -z "$left" ] || fail "make uninstall left: $left"
pass "make uninstall removes every installed file"

step "make deb"
start=$SECONDS
deb=$("${MAKE[@]}" -s deb DEB_DIR="$TMP/deb" DEB_XZ_LEVEL=1 2>"$TMP/deb.log" | tail -1) || { cat "$TMP/deb.log"; fail "make deb"; }
[ -f "$deb" ] || fail "make deb made no package ($deb)"
version=$("${MAKE[@]}" -s version)
[ "$(basename "$deb")" = "wireguard-swift_${version}_$(dpkg --print-architecture).deb" ] || fail "package name $(basename "$deb")"
dpkg-deb --contents "$deb" | awk '{ print $1, $2, $6 }' | sed 's|\./||' | sort -k3 >"$TMP/contents"
cat >"$TMP/contents.expected" <<'EOF'
drwxr-xr-x root/root 
drwxr-xr-x root/root etc/
drwx------ root/root etc/wireguard/
drwxr-xr-x root/root lib/
drwxr-xr-x root/root lib/systemd/
drwxr-xr-x root/root lib/systemd/system/
-rw-r--r-- root/root lib/systemd/system/wg-quick.target
-rw-r--r-- root/root lib/systemd/system/wg-quick@.service
drwxr-xr-x root/root usr/
drwxr-xr-x root/root usr/bin/
-rwxr-xr-x root/root usr/bin/wg
-rwxr-xr-x root/root usr/bin/wg-quick
-rwxr-xr-x root/root usr/bin/wg-server
-rwxr-xr-x root/root usr/bin/wireguard-swift
drwxr-xr-x root/root usr/share/
drwxr-xr-x root/root usr/share/bash-completion/
drwxr-xr-x root/root usr/share/bash-completion/completions/
-rw-r--r-- root/root usr/share/bash-completion/completions/wg
-rw-r--r-- root/root usr/share/bash-completion/completions/wg-quick
drwxr-xr-x root/root usr/share/doc/
drwxr-xr-x root/root usr/share/doc/wireguard-swift/
-rw-r--r-- root/root usr/share/doc/wireguard-swift/README.md
drwxr-xr-x root/root usr/share/man/
drwxr-xr-x root/root usr/share/man/man8/
-rw-r--r-- root/root usr/share/man/man8/wg-quick.8.gz
-rw-r--r-- root/root usr/share/man/man8/wg.8.gz
-rw-r--r-- root/root usr/share/man/man8/wireguard-swift.8.gz
EOF
diff -u <(sort -k3 "$TMP/contents.expected") "$TMP/contents" || fail "the package holds other files or modes"
field() { dpkg-deb --field "$deb" "$1"; }
[ "$(field Package)" = wireguard-swift ] || fail "Package: $(field Package)"
[ "$(field Version)" = "$version" ] || fail "Version: $(field Version), make version: $version"
[ "$(field Provides)" = "wireguard-tools (= 1.0.20210914-1), wireguard-go" ] || fail "Provides: $(field Provides)"
[ "$(field Conflicts)" = "wireguard-tools, wireguard-go" ] || fail "Conflicts: $(field Conflicts)"
[ "$(field Replaces)" = "wireguard-tools, wireguard-go" ] || fail "Replaces: $(field Replaces)"
depends=$(field Depends)
for dep in 'libc6 (>= ' 'libssl3 (>= 3' 'libstdc++6' 'libgcc-s1' 'libqrencode4' 'libpng16-16' 'iproute2'; do
    [[ $depends == *"$dep"* ]] || fail "Depends lacks $dep: $depends"
done
# Every library the executables link against (their NEEDED entries; what those load in turn is their
# packages' own business) comes from a package named in Depends.
mkdir -p "$TMP/unpacked"
dpkg-deb -x "$deb" "$TMP/unpacked"
needed_libs() {
    local exe=$1 soname
    for soname in $(readelf -d "$exe" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
        ldd "$exe" | awk -v so="$soname" '$1 == so && $3 ~ /^\// { print $3 }'
    done
}
for lib in $(for exe in wireguard-swift wg wg-quick wg-server; do needed_libs "$TMP/unpacked/usr/bin/$exe"; done | sort -u); do
    pkg=$(dpkg -S "$(realpath "$lib")" 2>/dev/null || dpkg -S "$lib" 2>/dev/null) || fail "no package owns $lib"
    pkg=${pkg%%:*}
    [[ $depends == *"$pkg "* || $depends == *"$pkg," || $depends == *"$pkg" ]] || fail "$lib ($pkg) is not in Depends: $depends"
done
[ "$(env -i "$TMP/unpacked/usr/bin/wg" pubkey <<<"$key")" = "$pub" ] || fail "the packaged wg does not run"
pass "make deb ($((SECONDS - start)) s): files, modes, Version $version, Provides/Conflicts/Replaces, Depends: $depends"

step "the package in a throwaway dpkg root"
R=$TMP/dpkgroot
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/var/lib/dpkg/triggers"
touch "$R/var/lib/dpkg/status" "$R/var/lib/dpkg/available"
DPKG=(dpkg --root="$R" --force-script-chrootless)
# stand_in NAME VERSION DEPENDS FILE...: a package with Debian's name and version holding those paths.
stand_in() {
    local name=$1 ver=$2 deps=$3 d="$TMP/standin/$1" f; shift 3
    mkdir -p "$d/DEBIAN"
    printf 'Package: %s\nVersion: %s\nArchitecture: all\nMaintainer: test <test@localhost>\n%sDescription: stand-in\n' \
        "$name" "$ver" "${deps:+Depends: $deps
}" >"$d/DEBIAN/control"
    for f in "$@"; do mkdir -p "$d/$(dirname "$f")"; echo "stand-in $name" >"$d/$f"; done
    dpkg-deb --root-owner-group --build "$d" "$TMP/standin/$name.deb" >/dev/null
}
stand_in wireguard-tools 1.0.20210914-1+b1 "" usr/bin/wg usr/bin/wg-quick lib/systemd/system/wg-quick@.service \
    lib/systemd/system/wg-quick.target usr/share/bash-completion/completions/wg usr/share/man/man8/wg.8.gz
stand_in wireguard-go 0.0.20220316-1+b4 "" usr/bin/wireguard-go
stand_in wireguard 1.0.20210914-1 "wireguard-tools (>= 1.0.20210914-1)" usr/share/doc/wireguard/README
"${DPKG[@]}" -i "$TMP/standin/wireguard-tools.deb" "$TMP/standin/wireguard-go.deb" "$TMP/standin/wireguard.deb" \
    >"$TMP/dpkg.log" 2>&1 || { cat "$TMP/dpkg.log"; fail "the stand-ins did not install"; }
# Only the C libraries and iproute2 are missing from this root (--force-depends); the rest must resolve.
"${DPKG[@]}" --force-depends -i "$deb" >"$TMP/dpkg.log" 2>&1 || { cat "$TMP/dpkg.log"; fail "dpkg -i of the package"; }
unmet=$(grep -o 'depends on [^;]*' "$TMP/dpkg.log" | grep -vE 'depends on (libc6|libgcc-s1|libssl3|libstdc\+\+6|libpng16-16|libqrencode4|iproute2)' || true)
[ -z "$unmet" ] || fail "unexpected unmet dependencies: $unmet"
status_of() { dpkg-query --admindir="$R/var/lib/dpkg" -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null | tr -d ' '; }
[ "$(status_of wireguard-swift)" = ii ] || fail "wireguard-swift is not installed: $(status_of wireguard-swift)"
for p in wireguard-tools wireguard-go; do
    case $(status_of "$p") in ii|iU|iF) fail "$p is still installed beside wireguard-swift" ;; esac
done
[ "$(status_of wireguard)" = ii ] || fail "the wireguard metapackage did not stay configured (Provides)"
cmp -s "$R/usr/bin/wg" "$TMP/unpacked/usr/bin/wg" || fail "/usr/bin/wg is not ours"
cmp -s "$R/lib/systemd/system/wg-quick@.service" "$TMP/unpacked/lib/systemd/system/wg-quick@.service" || fail "the unit is not ours"
[ ! -e "$R/usr/bin/wireguard-go" ] || fail "wireguard-go's file is still there"
[ "$(env -i "$R/usr/bin/wg" pubkey <<<"$key")" = "$pub" ] || fail "the installed wg does not run"
"${DPKG[@]}" --audit >"$TMP/audit" 2>&1 && [ ! -s "$TMP/audit" ] || { cat "$TMP/audit"; fail "dpkg --audit"; }
# The metapackage's dependency is met by our Provides: dpkg refuses to remove us from under it.
if "${DPKG[@]}" -r wireguard-swift >"$TMP/dpkg.log" 2>&1; then fail "removed wireguard-swift from under the wireguard metapackage"; fi
has 'wireguard depends on wireguard-tools' "$TMP/dpkg.log" || { cat "$TMP/dpkg.log"; fail "refusal not for the Provides"; }
"${DPKG[@]}" -r wireguard >/dev/null 2>&1 || fail "dpkg -r wireguard"
"${DPKG[@]}" -r wireguard-swift >"$TMP/dpkg.log" 2>&1 || { cat "$TMP/dpkg.log"; fail "dpkg -r wireguard-swift"; }
[ "$(status_of wireguard-swift)" = rc ] || fail "after -r: $(status_of wireguard-swift)"
for f in usr/bin/wg usr/bin/wg-quick usr/bin/wireguard-swift lib/systemd/system/wg-quick@.service usr/share/bash-completion/completions/wg; do
    [ ! -e "$R/$f" ] || fail "dpkg -r left $f"
done
"${DPKG[@]}" -P wireguard-swift wireguard >/dev/null 2>&1 || fail "dpkg -P"
[ -z "$(status_of wireguard-swift)" ] || [ "$(status_of wireguard-swift)" = un ] || fail "after -P: $(status_of wireguard-swift)"
left=$(cd "$R" && find . ! -type d ! -path './var/lib/dpkg/*')
[ -z "$left" ] || fail "purge left files: $left"
pass "dpkg: replaces wireguard-tools and wireguard-go, keeps the wireguard metapackage satisfied, -r and -P leave nothing"

step "apt's plan on this machine (simulation)"
plan=$(apt-get -s -o Debug::NoLocking=1 install "$deb" 2>&1) || { echo "$plan"; fail "apt-get -s install of the package"; }
has '^Inst wireguard-swift ' <<<"$plan" || { echo "$plan"; fail "apt would not install the package"; }
for p in wireguard-tools wireguard-go; do
    if dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | has '^ii'; then
        has "^Remv $p " <<<"$plan" || { echo "$plan"; fail "apt would not remove $p"; }
    fi
done
pass "apt install ./$(basename "$deb") would remove $(grep '^Remv' <<<"$plan" | cut -d' ' -f2 | tr '\n' ' ')and install wireguard-swift"
