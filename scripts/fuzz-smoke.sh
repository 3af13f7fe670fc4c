#!/usr/bin/env bash
# Runs every cargo-fuzz target for a short time (FUZZ_SECONDS, default 10), starting from the
# committed corpus (fuzz/corpus/<target>, grown by scripts/fuzz-long.sh) and the vector seeds.
# New inputs go to a scratch directory: the committed corpus is read, never changed here.
# Needs a nightly toolchain (used if installed, else installed with rustup; as a last resort the
# stable toolchain with RUSTC_BOOTSTRAP=1) and cargo-fuzz (installed from crates.io if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${FUZZ_SECONDS:-10}"

# shellcheck source=scripts/fuzz-common.sh
. scripts/fuzz-common.sh
targets=$(fuzz_targets)
cargo "${FUZZ_TOOLCHAIN[@]}" fuzz build -O 2>&1 | tail -n 3
seeds=$(fuzz_seeds)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
echo "fuzz-smoke: $(ls "$seeds" | wc -l) seeds, ${secs}s per target"

failed=0
for t in $targets; do
    corpus=()
    if [ -d "fuzz/corpus/$t" ]; then corpus=("fuzz/corpus/$t"); fi
    mkdir -p "$scratch/$t"
    if cargo "${FUZZ_TOOLCHAIN[@]}" fuzz run -O "$t" "$scratch/$t" "${corpus[@]}" "$seeds" -- \
        -max_total_time="$secs" -max_len=65536 -print_final_stats=1 >"fuzz/$t.log" 2>&1; then
        runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "fuzz/$t.log" | grep -o '[0-9]*$')
        cov=$(grep -o 'cov: [0-9]*' "fuzz/$t.log" | tail -n 1 | grep -o '[0-9]*$' || echo "?")
        committed=0
        if [ -d "fuzz/corpus/$t" ]; then committed=$(find "fuzz/corpus/$t" -type f | wc -l); fi
        echo "fuzz $t: ok ($runs runs, cov $cov, from $committed committed inputs)"
    else
        echo "fuzz $t: FAILED"; tail -n 30 "fuzz/$t.log"; failed=1
    fi
done
exit "$failed"
