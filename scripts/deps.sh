# SPDX-License-Identifier: MIT
# install_deps build|integration: installs the Debian packages a step needs, if any is missing.
install_deps() {
    local need=() cmd pkg
    case $1 in
        build)
            [ -f /usr/include/openssl/evp.h ] || need+=(libssl-dev)
            command -v pkg-config >/dev/null || need+=(pkg-config)
            # wg-server's QR codes (the runtime libraries are libqrencode4 and libpng16-16).
            [ -f /usr/include/qrencode.h ] || need+=(libqrencode-dev)
            [ -f /usr/include/png.h ] || need+=(libpng-dev)
            ;;
        integration)
            for pair in wg:wireguard-tools wg-quick:wireguard-tools wireguard-go:wireguard-go iperf3:iperf3 \
                        ip:iproute2 nft:nftables python3:python3 ping:iputils-ping ps:procps unshare:util-linux \
                        curl:curl resolvconf:openresolv zbarimg:zbar-tools iptables:iptables \
                        make:make dpkg-shlibdeps:dpkg-dev strip:binutils \
                        prometheus:prometheus promtool:prometheus; do
                cmd=${pair%%:*}; pkg=${pair#*:}
                command -v "$cmd" >/dev/null || need+=("$pkg")
            done
            ;;
    esac
    [ ${#need[@]} -gt 0 ] || return 0
    if [ "$(id -u)" -ne 0 ]; then echo "need root to install: ${need[*]}" >&2; exit 1; fi
    echo "installing: ${need[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(printf '%s\n' "${need[@]}" | sort -u) >/dev/null
}
