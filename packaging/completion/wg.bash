# SPDX-License-Identifier: MIT
# bash completion for wg(8) (wireguard-swift): subcommands, interfaces (`wg show interfaces`), `show` fields,
# configuration files, and the `set` keywords (interface-level before the first `peer`, peer-level after it).

_wg_interfaces() {
    wg show interfaces 2>/dev/null | tr ' ' '\n'
}

_wg_completion() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
    local subcommands="show showconf set setconf addconf syncconf genkey genpsk pubkey help"
    COMPREPLY=()

    if [[ $COMP_CWORD -eq 1 ]]; then
        COMPREPLY=($(compgen -W "$subcommands --help --version" -- "$cur"))
        return
    fi

    case ${COMP_WORDS[1]} in
        show)
            if [[ $COMP_CWORD -eq 2 ]]; then
                COMPREPLY=($(compgen -W "all interfaces $(_wg_interfaces)" -- "$cur"))
            elif [[ $COMP_CWORD -eq 3 && ${COMP_WORDS[2]} != interfaces ]]; then
                COMPREPLY=($(compgen -W "public-key private-key listen-port fwmark peers preshared-keys endpoints allowed-ips latest-handshakes persistent-keepalive transfer dump" -- "$cur"))
            fi
            ;;
        showconf)
            [[ $COMP_CWORD -eq 2 ]] && COMPREPLY=($(compgen -W "$(_wg_interfaces)" -- "$cur"))
            ;;
        setconf|addconf|syncconf)
            if [[ $COMP_CWORD -eq 2 ]]; then
                COMPREPLY=($(compgen -W "$(_wg_interfaces)" -- "$cur"))
            elif [[ $COMP_CWORD -eq 3 ]]; then
                compopt -o filenames 2>/dev/null
                COMPREPLY=($(compgen -f -- "$cur"))
            fi
            ;;
        set)
            if [[ $COMP_CWORD -eq 2 ]]; then
                COMPREPLY=($(compgen -W "$(_wg_interfaces)" -- "$cur"))
                return
            fi
            case $prev in
                private-key|preshared-key)
                    compopt -o filenames 2>/dev/null
                    COMPREPLY=($(compgen -f -- "$cur"))
                    return
                    ;;
                peer)
                    # The peers the interface has now.
                    COMPREPLY=($(compgen -W "$(wg show "${COMP_WORDS[2]}" peers 2>/dev/null)" -- "$cur"))
                    return
                    ;;
                listen-port|fwmark|endpoint|allowed-ips|persistent-keepalive)
                    return
                    ;;
            esac
            local i in_peer=0
            for ((i = 3; i < COMP_CWORD; i++)); do
                [[ ${COMP_WORDS[i]} == peer ]] && in_peer=1
            done
            if [[ $in_peer -eq 1 ]]; then
                COMPREPLY=($(compgen -W "remove endpoint allowed-ips persistent-keepalive preshared-key peer" -- "$cur"))
            else
                COMPREPLY=($(compgen -W "listen-port fwmark private-key peer" -- "$cur"))
            fi
            ;;
    esac
}

complete -F _wg_completion wg
