#!/usr/bin/env bash
# Builds `kerb` as a static musl binary and checks that it is statically linked and runs.
set -euo pipefail
cd "$(dirname "$0")/.."
target=x86_64-unknown-linux-musl
cargo build --release --locked -p cli --target "$target"
bin="target/$target/release/kerb"
desc=$(file -L "$bin")
echo "$desc"
case "$desc" in
    *"statically linked"* | *"static-pie linked"*) ;;
    *) echo "musl-build: $bin is not statically linked" >&2; exit 1 ;;
esac
if ldd "$bin" 2>&1 | grep -q '=>'; then
    echo "musl-build: $bin has dynamic dependencies" >&2
    exit 1
fi
"$bin" --version
echo "musl-build: $(stat -c %s "$bin") bytes, static"
