# SPDX-License-Identifier: MIT
# bash completion for wg-quick(8) (wireguard-swift): the verbs, then for `up` and `strip` the configurations
# in /etc/wireguard (by name) or a file, for `down` and `save` the WireGuard interfaces that are up.

_wg_quick_completion() {
    local cur=${COMP_WORDS[COMP_CWORD]} dir=/etc/wireguard
    COMPREPLY=()
    if [[ $COMP_CWORD -eq 1 ]]; then
        COMPREPLY=($(compgen -W "up down save strip --help" -- "$cur"))
        return
    fi
    [[ $COMP_CWORD -eq 2 ]] || return
    case ${COMP_WORDS[1]} in
        up|strip)
            local names=() f
            for f in "$dir"/*.conf; do
                [[ -e $f ]] || continue
                f=${f##*/}
                names+=("${f%.conf}")
            done
            COMPREPLY=($(compgen -W "${names[*]}" -- "$cur"))
            # A path (or nothing matched by name): files and directories.
            if [[ $cur == */* || ${#COMPREPLY[@]} -eq 0 ]]; then
                compopt -o filenames 2>/dev/null
                COMPREPLY+=($(compgen -f -- "$cur"))
            fi
            ;;
        down|save)
            COMPREPLY=($(compgen -W "$(wg show interfaces 2>/dev/null)" -- "$cur"))
            ;;
    esac
}

complete -F _wg_quick_completion wg-quick
