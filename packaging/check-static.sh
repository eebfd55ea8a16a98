#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# check-static.sh EXECUTABLE...: fails when an executable needs a Swift runtime library (or anything from the
# toolchain's directory) at run time, or a library the loader cannot find: installed copies must run on a
# machine without Swift.
set -euo pipefail
status=0
for exe in "$@"; do
    [ -x "$exe" ] || { echo "check-static: $exe is not built" >&2; status=1; continue; }
    libs=$(ldd "$exe") || { echo "check-static: ldd $exe failed" >&2; status=1; continue; }
    bad=$(grep -E 'libswift|libFoundation|lib_Foundation|libdispatch|libBlocksRuntime|/opt/swift|/usr/lib/swift|not found' <<<"$libs" || true)
    if [ -n "$bad" ]; then
        echo "check-static: $exe needs libraries a machine without Swift lacks:" >&2
        echo "$bad" >&2
        status=1
    fi
done
exit $status
