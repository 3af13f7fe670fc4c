#!/usr/bin/env bash
# Shared by scripts/fuzz-smoke.sh and scripts/fuzz-long.sh (sourced, from the project root):
# installs cargo-fuzz and picks the toolchain, lists the targets, writes the vector seeds.

if ! command -v cargo-fuzz >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked --version 0.13.1
fi
# cargo-fuzz needs nightly (sanitizer flags): used if installed, else installed with rustup; as
# a last resort the stable toolchain with RUSTC_BOOTSTRAP=1.
FUZZ_TOOLCHAIN=()
if rustup toolchain list | grep -q '^nightly'; then
    FUZZ_TOOLCHAIN=(+nightly)
elif rustup toolchain install nightly --profile minimal >/dev/null 2>&1; then
    FUZZ_TOOLCHAIN=(+nightly)
else
    echo "fuzz: no nightly toolchain; using stable with RUSTC_BOOTSTRAP=1"
    export RUSTC_BOOTSTRAP=1
fi

# Every cargo-fuzz target, one per line.
fuzz_targets() {
    local targets
    targets=$(cargo "${FUZZ_TOOLCHAIN[@]}" fuzz list)
    [ -n "$targets" ] || { echo "fuzz: no targets" >&2; return 1; }
    echo "$targets"
}

# Seed inputs: every hex field of every vector file, as binary files in fuzz/corpus-seed (not
# committed: made anew from vectors/data). Prints the directory.
fuzz_seeds() {
    local seeds=fuzz/corpus-seed
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
    echo "$seeds"
}
