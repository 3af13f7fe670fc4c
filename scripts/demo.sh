#!/usr/bin/env bash
# The main job on the loopback lab, step by step: real MIT KDCs (user realm ONPREM.LOCAL,
# service realm AD.MYAWS.COM behind a one-way trust) and MariaDB with auth_gssapi.
#   kerb kinit  -> a TGT for joedoe@ONPREM.LOCAL (password, pre-auth)
#   kerb kvno   -> the database's service ticket through the trust
#   kerb klist  -> the cache, cross-realm TGT included
#   kerb mysql  -> SELECT CURRENT_USER() over the Kerberos login (when this build has it)
# Installs what it needs (apt, as root), starts the lab, stops it at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "installing packages and building kerb"
scripts/setup.sh
lab/install.sh
cargo build --release --locked -p cli
kerb=target/release/kerb

step "starting the lab (MIT KDCs on 127.0.0.1, MariaDB on 127.0.0.1:13306)"
trap 'lab/down.sh >/dev/null 2>&1 || true' EXIT
lab/up.sh
# shellcheck disable=SC1091
. lab/state/env.sh

step "kerb kinit $LAB_USER_PRINCIPAL (password from stdin)"
printf '%s\n' "$LAB_USER_PASSWORD" | "$kerb" kinit "$LAB_USER_PRINCIPAL"

step "kerb kvno $LAB_MARIADB_SPN (cross-realm, through the one-way trust)"
"$kerb" kvno "$LAB_MARIADB_SPN"

step "kerb klist"
"$kerb" klist

if "$kerb" mysql --help >/dev/null 2>&1; then
    step "kerb mysql -h $LAB_MARIADB_HOST -P $LAB_MARIADB_PORT -u $LAB_MARIADB_USER -e 'SELECT CURRENT_USER()'"
    "$kerb" mysql -h "$LAB_MARIADB_HOST" -P "$LAB_MARIADB_PORT" -u "$LAB_MARIADB_USER" \
        -e 'SELECT CURRENT_USER()'
else
    step "kerb mysql is not in this build yet; MariaDB itself was checked by lab/smoke.sh"
    lab/smoke.sh | tail -n 3
fi
step "done"
