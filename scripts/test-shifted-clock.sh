#!/usr/bin/env bash
# Runs the offline test suite (every test binary of `cargo test --workspace --all-features`, lab
# tests excluded as usual: they are #[ignore]) again with the system clock shifted, to prove that
# no test depends on the date. The binaries are the ones the unit stage built (no rebuild); each
# runs from its package directory, as `cargo test` runs it, under libfaketime (Debian `faketime`),
# so the processes the tests start (`kerb`, MIT's klist/kinit) see the same shifted clock.
#
#   scripts/test-shifted-clock.sh [OFFSET...]     # default: +400d -400d
#
# Installs `faketime` with apt-get when it is missing (run as root on a fresh Debian machine).
set -euo pipefail
cd "$(dirname "$0")/.."

lib=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1
if [ ! -e "$lib" ]; then
    echo "test-shifted-clock: apt-get install faketime"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq faketime >/dev/null
fi

# "executable package-dir" for every test binary, from cargo's own build plan.
bins=$(cargo test --locked --workspace --all-features --no-run --message-format=json 2>/dev/null |
    python3 -c '
import json, os, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["profile"]["test"]:
        print(m["executable"], os.path.dirname(m["manifest_path"]))
')
[ -n "$bins" ] || { echo "test-shifted-clock: no test binaries found" >&2; exit 1; }

# The clock each run must see, checked once: a libfaketime that does not take would prove nothing.
real=$(date +%s)
failed=0
offsets=("$@")
[ "${#offsets[@]}" -gt 0 ] || offsets=(+400d -400d)
for offset in "${offsets[@]}"; do
    export LD_PRELOAD=$lib FAKETIME=$offset FAKETIME_DONT_FAKE_MONOTONIC=1
    seen=$(date +%s)
    unset LD_PRELOAD FAKETIME FAKETIME_DONT_FAKE_MONOTONIC
    days=$(( (seen - real + (seen > real ? 43200 : -43200)) / 86400 ))
    if [ "$days" -eq 0 ]; then
        echo "test-shifted-clock: libfaketime did not shift the clock for $offset" >&2
        exit 1
    fi
    passed=0 fails=0 binaries=0
    while read -r exe dir; do
        binaries=$((binaries + 1))
        log=$(mktemp)
        if (cd "$dir" && LD_PRELOAD=$lib FAKETIME=$offset FAKETIME_DONT_FAKE_MONOTONIC=1 \
            "$exe" --quiet >"$log" 2>&1); then :; else
            echo "---- $(basename "$exe") failed with the clock at $offset:"
            cat "$log"
            failed=1
        fi
        # libtest's closing line "test result: ok. N passed; M failed; ..." (the vector suites,
        # harness = false, print per-source counts instead and count by their exit status).
        counts=$(sed -n 's/^test result: [A-Za-z]*\. \([0-9]*\) passed; \([0-9]*\) failed.*/\1 \2/p' "$log" | tail -n 1)
        read -r p f <<<"${counts:-0 0}"
        passed=$((passed + p)) fails=$((fails + f))
        rm -f "$log"
    done <<<"$bins"
    echo "clock $offset (${days} days): $binaries test binaries, $passed passed, $fails failed"
done
exit "$failed"
