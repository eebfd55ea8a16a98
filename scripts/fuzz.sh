#!/usr/bin/env bash
# Coverage-guided fuzzing with libFuzzer (the Swift toolchain's, -sanitize=fuzzer,address).
#
#   scripts/fuzz.sh [TARGET|all] [SECONDS]     e.g. scripts/fuzz.sh fuzz-engine 600; scripts/fuzz.sh all 30
#
# Builds each target (Fuzz/<target>/, declared in Package.swift only with WIREGUARD_FUZZ=1, scratch path
# .build-fuzz, so the normal build never sees them), runs it for SECONDS (0: only replay the corpus) at nice 19
# from its corpus Fuzz/corpus/<target>/ (seeded by Fuzz/make-seeds.py when empty), merges what it found back
# into the corpus with -merge=1 (only inputs that add coverage stay), and prints executions, exec/s and the
# final coverage (cov = edges, ft = features) per target. A crash stops with a non-zero status; the input is
# in .build-fuzz/artifacts/<target>/ and `.build-fuzz/<config>/<target> FILE` replays it.
#
# FUZZ_CONFIG=release (default; optimised, several times the exec/s) or debug (faster to build: the CI smoke).
# FUZZ_MERGE=0 leaves the committed corpus as it is (the CI smoke).
# FUZZ_MAX_LEN overrides libFuzzer's -max_len (per target below: enough for a few peers, small corpora).
set -euo pipefail
cd "$(dirname "$0")/.."

ALL_TARGETS=(fuzz-engine fuzz-uapi fuzz-wg-config fuzz-wg-set fuzz-quick-config)
[ -d Fuzz/fuzz-netlink ] && ALL_TARGETS+=(fuzz-netlink)
target=${1:-all}
seconds=${2:-60}
config=${FUZZ_CONFIG:-release}
scratch=.build-fuzz
if [ "$target" = all ]; then targets=("${ALL_TARGETS[@]}"); else targets=("$target"); fi

build_flags=(-c "$config" --scratch-path "$scratch" -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING)
# The targets use @testable imports: release builds need testing enabled too.
# File by file: whole-module optimisation of WireGuardIPC loses Glibc's SOCK_* names once CWireGuardLinux is
# imported in the module (seen with the netlink branch's NetlinkSocket.swift).
[ "$config" = release ] && build_flags+=(-Xswiftc -enable-testing -Xswiftc -no-whole-module-optimization)

# The Swift backtracer would pause for seconds on every crash; the sanitizer prints the stack.
export SWIFT_BACKTRACE=enable=no

mkdir -p "$scratch"
summary=()
for t in "${targets[@]}"; do
    echo "=== $t: building ($config)"
    # One product per invocation: building everything would link the normal executables with libFuzzer.
    # (gold warns about every sanitizer helper symbol: filtered.)
    WIREGUARD_FUZZ=1 nice -n 19 swift build "${build_flags[@]}" --product "$t" >"$scratch/$t.build.log" 2>&1 || {
        grep -v "Cannot export local symbol" "$scratch/$t.build.log" | tail -40
        echo "fuzz.sh: building $t failed" >&2
        exit 1
    }
    grep -v "Cannot export local symbol" "$scratch/$t.build.log" | tail -2
    binary="$scratch/$config/$t"

    case $t in
        fuzz-engine | fuzz-netlink) max_len=${FUZZ_MAX_LEN:-2048} ;;
        fuzz-wg-config) max_len=${FUZZ_MAX_LEN:-768} ;;
        *) max_len=${FUZZ_MAX_LEN:-512} ;;
    esac
    corpus=Fuzz/corpus/$t
    mkdir -p "$corpus"
    [ -n "$(ls -A "$corpus")" ] || python3 Fuzz/make-seeds.py "$t"
    artifacts=$scratch/artifacts/$t
    found=$scratch/found/$t
    mkdir -p "$artifacts"
    rm -rf "$found"
    mkdir -p "$found"
    log=$scratch/$t.log

    flags=(-max_len="$max_len" -artifact_prefix="$artifacts/" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048)
    # Keywords and boundary numbers of the grammar, where there is one.
    [ -f "Fuzz/dict/$t.dict" ] && flags+=(-dict="Fuzz/dict/$t.dict")
    if [ "$seconds" -eq 0 ]; then
        echo "=== $t: replaying $(ls "$corpus" | wc -l) corpus inputs"
        flags+=(-runs=0)
    else
        echo "=== $t: fuzzing for $seconds s"
        flags+=(-max_total_time="$seconds")
    fi
    status=0
    nice -n 19 "$binary" "${flags[@]}" "$found" "$corpus" >"$log" 2>&1 || status=$?
    if [ "$status" -ne 0 ]; then
        tail -60 "$log"
        echo "fuzz.sh: $t failed (status $status); inputs: $(ls "$artifacts" 2>/dev/null | tr '\n' ' ')" >&2
        exit 1
    fi
    # (-a: dictionary entries in the log are raw bytes.)
    execs=$(grep -a '^stat::number_of_executed_units:' "$log" | tail -1 | tr -dc 0-9)
    rate=$(grep -a '^stat::average_exec_per_sec:' "$log" | tail -1 | tr -dc 0-9)
    coverage=$(grep -aEo 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)

    if [ "$seconds" -ne 0 ] && [ "${FUZZ_MERGE:-1}" != 0 ] && [ -n "$(ls -A "$found")" ]; then
        # Keep only inputs that add coverage: merge the old corpus and the new finds into a fresh directory
        # (set-cover merge: the smallest set of inputs with every feature).
        merged=$scratch/merged/$t
        rm -rf "$merged"
        mkdir -p "$merged"
        nice -n 19 "$binary" -set_cover_merge=1 -max_len="$max_len" -timeout=10 "$merged" "$corpus" "$found" \
            >"$scratch/$t.merge.log" 2>&1 || { tail -20 "$scratch/$t.merge.log"; exit 1; }
        rm -rf "$corpus"
        mv "$merged" "$corpus"
    fi
    size=$(du -sb "$corpus" | cut -f1)
    line=$(printf '%-18s execs %-9s exec/s %-6s %-22s corpus %s files, %s bytes' "$t" "${execs:-?}" \
        "${rate:-?}" "${coverage:-cov: ?}" "$(ls "$corpus" | wc -l)" "$size")
    echo "$line"
    summary+=("$line")
done
echo "=== summary ($config, $seconds s each)"
printf '%s\n' "${summary[@]}"
