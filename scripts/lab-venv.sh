#!/usr/bin/env bash
# A Python venv with the pure-Python MySQL driver the proxy lab tests use (PyMySQL from PyPI).
# Idempotent. Prints the venv's python on stdout.
# Environment: KERB_LAB_VENV (default: target/lab-venv in the repository).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=${KERB_LAB_VENV:-$ROOT/target/lab-venv}
PYMYSQL_VERSION=1.1.1
if ! "$VENV/bin/python" -c "import pymysql, sys; sys.exit(pymysql.VERSION_STRING != '$PYMYSQL_VERSION')" 2>/dev/null; then
  python3 -m venv "$VENV" >&2
  "$VENV/bin/pip" install -q --disable-pip-version-check "PyMySQL==$PYMYSQL_VERSION" >&2
fi
echo "$VENV/bin/python"
