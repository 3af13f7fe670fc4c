#!/usr/bin/env bash
# Runs the library's examples (the front door: kdc_client::session::Session and the MySQL
# login on it) against the lab and checks what they print. Needs the lab up and its env.sh
# sourced (scripts/test.sh's lab stage calls it).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${LAB_STATE:?source lab/state/env.sh first}"
export KRB5CCNAME="FILE:$LAB_STATE/ccache/examples"
rm -f "$LAB_STATE/ccache/examples"
run() { cargo run --locked --quiet "$@"; }
expect() { # what output pattern
    if grep -qE -- "$3" <<<"$2"; then echo "example $1: ok ($2)"; else
        echo "example $1: FAILED: expected /$3/, got: $2" >&2; exit 1; fi
}

out=$(printf '%s\n' "$LAB_USER_PASSWORD" |
    run -p kdc-client --example tgt_from_password -- "$LAB_USER_PRINCIPAL")
expect tgt_from_password "$out" "^krbtgt/$LAB_USER_REALM@$LAB_USER_REALM for $LAB_USER_PRINCIPAL, valid until [0-9]+$"

# Across the trust: the realm of db.ad.myaws.com comes from the ONPREM KDC's referral.
out=$(run -p kdc-client --example service_ticket -- "mariadb/$LAB_SERVICE_HOST")
expect service_ticket "$out" "^mariadb/$LAB_SERVICE_HOST@$LAB_SERVICE_REALM for $LAB_USER_PRINCIPAL"
# Two hops by [capaths]: ONPREM -> HUB -> APPS.
out=$(run -p kdc-client --example service_ticket -- "$LAB_APPS_SPN")
expect service_ticket "$out" "^$LAB_APPS_SPN for $LAB_USER_PRINCIPAL"

out=$(run -p mysql-auth --example mysql_login -- \
    "$LAB_MARIADB_HOST" "$LAB_MARIADB_PORT" "$LAB_MARIADB_USER" "$LAB_CA")
expect mysql_login "$out" "^logged in as $LAB_MARIADB_USER@% with auth_gssapi_client$"

# A keytab client in a cache of its own: the first round gets a TGT, the next ones reuse it.
export KRB5CCNAME="FILE:$LAB_STATE/ccache/examples-keytab"
rm -f "$LAB_STATE/ccache/examples-keytab"
out=$(run -p kdc-client --example keytab_client -- \
    "$LAB_KT_USER_PRINCIPAL" "$LAB_KT_USER_KEYTAB" "$LAB_MARIADB_SPN" 3)
expect keytab_client "$(sed -n 1p <<<"$out")" "^round 1: new TGT: true; $LAB_MARIADB_SPN until"
expect keytab_client "$(sed -n 3p <<<"$out")" "^round 3: new TGT: false; $LAB_MARIADB_SPN until"
