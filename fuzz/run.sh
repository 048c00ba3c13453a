#!/usr/bin/env bash
# Builds every fuzz target and runs each for SECONDS (default 20) over its corpus in
# fuzz/corpus/<target>/. What the fuzzer finds new goes to a scratch directory, so a run never
# changes the repository; a crash, a timeout or an out-of-memory fails the run, with the input
# in fuzz/artifacts/<target>/.
#
# cargo-fuzz needs nightly-only rustc flags; RUSTC_BOOTSTRAP=1 unlocks them on the stable
# toolchain. WANGJIAN_FUZZ_TARGET names a build directory kept between runs (CI keeps it outside
# the clone, so that the third-party crates are built once).
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-20}"
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR="${WANGJIAN_FUZZ_TARGET:-$PWD/target}"
# WANGJIAN_FUZZ_PROFILE=dev builds the targets without optimisations: a shorter build for a
# local check that they compile, but a slow replay of the corpora (CI keeps the default, release
# with debug assertions).
profile=(--release --debug-assertions)
[ "${WANGJIAN_FUZZ_PROFILE:-release}" = dev ] && profile=(--dev)
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz@0.13.2
cargo fuzz build "${profile[@]}"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
for target in $(cargo fuzz list); do
    mkdir -p "corpus/$target" "$scratch/$target"
    echo "fuzz: $target for ${secs}s over $(ls "corpus/$target" | wc -l) corpus files"
    log="$scratch/$target.log"
    if cargo fuzz run "${profile[@]}" "$target" "$scratch/$target" "corpus/$target" -- \
        -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
        >"$log" 2>&1; then
        grep -E '^stat::(number_of_executed_units|peak_rss_mb|new_units_added)' "$log" \
            | tr '\n' ' '
        echo
    else
        tail -n 60 "$log" >&2
        echo "fuzz: $target FAILED (input in fuzz/artifacts/$target/)" >&2
        exit 1
    fi
done
echo "fuzz: every target ran ${secs}s without a crash"
