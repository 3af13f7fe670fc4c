#!/usr/bin/env bash
# Grows the committed fuzz corpus: runs every cargo-fuzz target (or the ones named) for MINUTES
# minutes each, starting from fuzz/corpus/<target> and the vector seeds, then minimises the corpus
# (`cargo fuzz cmin`) and records executions, coverage and corpus size per target in
# fuzz/README.md. Commit fuzz/corpus/ and fuzz/README.md afterwards: the CI smoke run
# (scripts/fuzz-smoke.sh) starts from that corpus, so depth accumulates from run to run.
#
#   scripts/fuzz-long.sh [-m MINUTES] [TARGET...]      # default 5 minutes per target
#
# Same toolchain logic as fuzz-smoke.sh (nightly if available, else RUSTC_BOOTSTRAP=1).
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=5
if [ "${1:-}" = "-m" ]; then minutes=$2; shift 2; fi

# shellcheck source=scripts/fuzz-common.sh
. scripts/fuzz-common.sh
targets=${*:-$(fuzz_targets)}
seeds=$(fuzz_seeds)
cargo "${FUZZ_TOOLCHAIN[@]}" fuzz build -O 2>&1 | tail -n 1

stats=fuzz/stats.tsv
touch "$stats"
for t in $targets; do
    mkdir -p "fuzz/corpus/$t"
    log="fuzz/$t.long.log"
    # A finding stops the run with a non-zero status and leaves the input in fuzz/artifacts.
    cargo "${FUZZ_TOOLCHAIN[@]}" fuzz run -O "$t" "fuzz/corpus/$t" "$seeds" -- \
        -max_total_time=$((minutes * 60)) -max_len=65536 -print_final_stats=1 >"$log" 2>&1 \
        || { echo "fuzz-long $t: FAILED (see $log and fuzz/artifacts/$t)"; tail -n 30 "$log"; exit 1; }
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | grep -o '[0-9]*$' || echo 0)
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n 1 | grep -o '[0-9]*$' || echo 0)
    cargo "${FUZZ_TOOLCHAIN[@]}" fuzz cmin -O "$t" "fuzz/corpus/$t" >"fuzz/$t.cmin.log" 2>&1 \
        || { echo "fuzz-long $t: cmin failed"; tail -n 20 "fuzz/$t.cmin.log"; exit 1; }
    files=$(find "fuzz/corpus/$t" -type f | wc -l)
    bytes=$(du -sb "fuzz/corpus/$t" | cut -f1)
    # One line per target: the latest run replaces the previous one; executions accumulate.
    prev=$(awk -F'\t' -v t="$t" '$1 == t { print $2 }' "$stats")
    total=$(( ${prev:-0} + execs ))
    grep -v -P "^$t\t" "$stats" >"$stats.new" || true
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$total" "$execs" "$cov" "$ft" "$files" "$bytes" >>"$stats.new"
    sort -o "$stats" "$stats.new" && rm -f "$stats.new"
    echo "fuzz-long $t: $execs runs in ${minutes} min, cov $cov, ft $ft, corpus $files files ($bytes bytes)"
done

# The table in fuzz/README.md between its markers.
{
    echo "| target | executions, all runs | last run | coverage (cov) | features (ft) | corpus files | corpus bytes |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    awk -F'\t' '{ printf "| `%s` | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7 }' "$stats"
    echo
    echo "Last updated $(date -u +%Y-%m-%d) by \`scripts/fuzz-long.sh -m $minutes\` ($(nproc) cores)."
} >fuzz/stats.md.new
python3 - <<'PY'
import pathlib
readme = pathlib.Path("fuzz/README.md")
table = pathlib.Path("fuzz/stats.md.new").read_text()
text = readme.read_text()
start, end = "<!-- stats -->\n", "<!-- /stats -->"
head, rest = text.split(start, 1)
_, tail = rest.split(end, 1)
readme.write_text(head + start + table + end + tail)
PY
rm -f fuzz/stats.md.new
