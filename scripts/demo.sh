#!/usr/bin/env bash
# The main job on the loopback lab, step by step: real MIT KDCs (user realm ONPREM.LOCAL,
# service realm AD.MYAWS.COM behind a one-way trust) and MariaDB with auth_gssapi.
#   kerb kinit  -> a TGT for joedoe@ONPREM.LOCAL (password, pre-auth)
#   kerb mysql  -> SELECT CURRENT_USER() over the Kerberos login (auth_gssapi, TLS verified,
#                  mutual auth); the service ticket is walked across the trust during login
#   kerb klist  -> the cache, cross-realm TGT and the database's ticket included
#   kerb kvno   -> a second service of the same realm: one TGS exchange with the cached TGT
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
"$kerb" klist

step "kerb mysql -h $LAB_MARIADB_HOST -P $LAB_MARIADB_PORT -u $LAB_MARIADB_USER --ssl-mode VERIFY_CA --ssl-ca \$LAB_CA --mutual -e 'SELECT CURRENT_USER()'"
"$kerb" mysql -h "$LAB_MARIADB_HOST" -P "$LAB_MARIADB_PORT" -u "$LAB_MARIADB_USER" \
    --ssl-mode VERIFY_CA --ssl-ca "$LAB_CA" --mutual -e 'SELECT CURRENT_USER()'

step "kerb klist (the cross-realm TGT and the database's ticket are now cached)"
"$kerb" klist

step "kerb kvno -V $LAB_HOST_SPN (reuses the cached cross-realm TGT: one TGS exchange)"
"$kerb" kvno -V "$LAB_HOST_SPN" 2>&1 | grep -E 'Sending TGS-REQ|kvno ='

step "done"
