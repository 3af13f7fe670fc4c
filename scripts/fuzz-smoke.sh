#!/usr/bin/env bash
# Runs every cargo-fuzz target for a short time (FUZZ_SECONDS, default 10), seeded from vectors/data.
# Needs a nightly toolchain (used if installed, else installed with rustup; as a last resort the
# stable toolchain with RUSTC_BOOTSTRAP=1) and cargo-fuzz (installed from crates.io if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${FUZZ_SECONDS:-10}"

if ! command -v cargo-fuzz >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked --version 0.13.1
fi
toolchain=()
if rustup toolchain list | grep -q '^nightly'; then
    toolchain=(+nightly)
elif rustup toolchain install nightly --profile minimal >/dev/null 2>&1; then
    toolchain=(+nightly)
else
    echo "fuzz-smoke: no nightly toolchain; using stable with RUSTC_BOOTSTRAP=1"
    export RUSTC_BOOTSTRAP=1
fi

targets=$(cargo "${toolchain[@]}" fuzz list)
[ -n "$targets" ] || { echo "fuzz-smoke: no targets" >&2; exit 1; }
cargo "${toolchain[@]}" fuzz build -O 2>&1 | tail -n 3

# Seed corpus: every hex field of every vector file, as binary files.
seeds=fuzz/corpus-seed
rm -rf "$seeds" && mkdir -p "$seeds"
python3 - "$seeds" <<'PY'
import pathlib, re, sys, hashlib
out = pathlib.Path(sys.argv[1])
for f in pathlib.Path("vectors/data").glob("*.txt"):
    field, buf = None, []
    def flush():
        if field is None: return
        h = "".join(buf).replace(" ", "")
        if len(h) >= 4 and len(h) % 2 == 0 and re.fullmatch(r"[0-9a-fA-F]+", h):
            b = bytes.fromhex(h)
            (out / hashlib.sha1(b).hexdigest()).write_bytes(b)
    for line in f.read_text().splitlines():
        if line.startswith("#"): continue
        if line[:1].isspace() and line.strip() and field is not None:
            buf.append(line.strip()); continue
        flush(); field, buf = None, []
        if ":" in line:
            field, v = line.split(":", 1); buf = [v.strip()]
    flush()
PY
echo "fuzz-smoke: $(ls "$seeds" | wc -l) seeds, ${secs}s per target"

failed=0
for t in $targets; do
    mkdir -p "fuzz/corpus/$t"
    if cargo "${toolchain[@]}" fuzz run -O "$t" "fuzz/corpus/$t" "$seeds" -- \
        -max_total_time="$secs" -max_len=65536 -print_final_stats=1 >"fuzz/$t.log" 2>&1; then
        echo "fuzz $t: ok ($(grep -o 'stat::number_of_executed_units: *[0-9]*' "fuzz/$t.log" | grep -o '[0-9]*$') runs)"
    else
        echo "fuzz $t: FAILED"; tail -n 30 "fuzz/$t.log"; failed=1
    fi
done
exit "$failed"
