#!/usr/bin/env bash
# Create (once) the Python venv with FreeIPA's KDC proxy (`kdcproxy` from PyPI, pinned) that
# lab/up.sh runs behind a TLS WSGI server on loopback. Idempotent: does nothing when the venv
# already has the pinned version. Prints the venv's python on stdout.
#
#   lab/kdcproxy-venv.sh          # venv in lab/.venv-kdcproxy (LAB_KDCPROXY_VENV overrides)
set -euo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VENV=${LAB_KDCPROXY_VENV:-$LAB_DIR/.venv-kdcproxy}
VERSION=1.1.0

if [[ -x $VENV/bin/python ]] \
   && "$VENV/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('kdcproxy') != '$VERSION')" 2>/dev/null; then
  echo "$VENV/bin/python"
  exit 0
fi
python3 -m venv "$VENV" >&2
"$VENV/bin/pip" install --quiet --disable-pip-version-check "kdcproxy==$VERSION" >&2
echo "$VENV/bin/python"
