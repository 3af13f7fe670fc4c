#!/usr/bin/env bash
# The whole test suite (what CI runs: .ci/run calls exactly this script).
#   1. static checks: rustfmt, clippy -D warnings, rustdoc -D warnings
#   2. unit tests and the RFC/MIT vector suites (they print per-source counts), then the same test
#      binaries with the clock 400 days ahead and behind (libfaketime): no test depends on the date
#   3. `kerb` as a static musl binary
#   4. a short run of every fuzz target
#   5. integration tests against the loopback lab (real MIT KDCs, MIT's acceptor, MariaDB)
# Set SKIP_LAB=1, SKIP_FUZZ=1 or SKIP_EXAMPLES=1 to leave a stage out locally (CI runs
# everything).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

stage() { printf '\n==== %s\n' "$*"; }

stage "setup"
scripts/setup.sh
# MIT's tools (klist, ktutil, kinit), MariaDB and python3-gssapi: the unit stage cross-checks
# our ccache/keytab/klist output against MIT's tools too, so they are installed first.
lab/install.sh

stage "format, lint, docs"
cargo fmt --all -- --check
cargo clippy --locked --workspace --all-targets --all-features -- -D warnings
RUSTDOCFLAGS="-D warnings" cargo doc --locked --workspace --no-deps --all-features --quiet

stage "unit tests and vectors"
cargo test --locked --workspace --all-features 2>&1 | tee target/test-unit.log
# The same without the legacy-rc4 feature: RC4 must be absent, everything else intact.
cargo test --locked -p kdc-client --quiet 2>&1 | tail -n 3

stage "unit tests with the clock 400 days ahead and behind"
scripts/test-shifted-clock.sh +400d -400d

stage "static musl build"
scripts/musl-build.sh

if [ "${SKIP_FUZZ:-0}" != 1 ]; then
    stage "fuzz smoke"
    scripts/fuzz-smoke.sh
fi

if [ "${SKIP_LAB:-0}" != 1 ] && [ -x lab/up.sh ]; then
    stage "lab integration"
    trap 'lab/down.sh || true; mysql-auth/tests/mariadb-lab.sh stop >/dev/null 2>&1 || true' EXIT
    lab/up.sh
    # shellcheck disable=SC1091
    . lab/state/env.sh
    # A second, throwaway MariaDB with a native-password test user (mysql-auth/tests/mariadb_real.rs).
    eval "$(mysql-auth/tests/mariadb-lab.sh start)"
    cargo test --locked --workspace --all-features -- --ignored 2>&1 | tee target/test-lab.log
    # The library's examples (the Session front door, a MySQL login) against the lab.
    scripts/run-examples.sh
    # The in-process proxy with sqlx and mysql_async (examples/proxy-sqlx, its own workspace).
    if [ "${SKIP_EXAMPLES:-0}" != 1 ]; then
        export KRB5CCNAME="FILE:$LAB_STATE/ccache/proxy-example"
        printf '%s\n' "$LAB_USER_PASSWORD" | target/debug/kerb kinit "$LAB_USER_PRINCIPAL" >/dev/null
        cargo run --locked --quiet --manifest-path examples/proxy-sqlx/Cargo.toml
    fi
fi

stage "done"
grep -h -E '^[a-z0-9-]+: [0-9]+ vectors' target/test-unit.log || true
