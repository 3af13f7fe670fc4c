#!/usr/bin/env bash
# Facts-check of the lab with MIT's own tools, end to end. Run after lab/up.sh.
# Prints each step with PASS/FAIL (and the step's output on failure); exits
# non-zero if any step failed. Uses its own ccaches under $LAB_STATE/ccache.
set -euo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STATE=${LAB_STATE:-$LAB_DIR/state}
[[ -r $STATE/env.sh ]] || { echo "lab/smoke.sh: $STATE/env.sh missing; run lab/up.sh first" >&2; exit 1; }
# shellcheck source=/dev/null
. "$STATE/env.sh"

PY=$LAB_PYTHON
ACC=$LAB_GSS_ACCEPTOR
WORK=$(mktemp -d "$LAB_STATE/smoke.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
CC_JOE=FILE:$LAB_CCACHE_DIR/smoke-joedoe
CC_KT=FILE:$LAB_CCACHE_DIR/smoke-svc_batch
export KRB5CCNAME=$CC_JOE

pass=0
fail=0
n=0
step() { # description function
  local desc=$1 fn=$2 rc
  n=$((n + 1))
  set +e
  (set -e; "$fn") >"$WORK/step$n.log" 2>&1
  rc=$?
  set -e
  if ((rc == 0)); then
    pass=$((pass + 1))
    printf 'PASS %2d %s\n' "$n" "$desc"
    grep '^FACT: ' "$WORK/step$n.log" | sed 's/^/        /' || true
  else
    fail=$((fail + 1))
    printf 'FAIL %2d %s (rc=%d)\n' "$n" "$desc" "$rc"
    sed 's/^/        | /' "$WORK/step$n.log" | tail -n 30
  fi
}

has() { # file pattern...: every extended regex must match somewhere
  local f=$1 p; shift
  for p in "$@"; do
    grep -Eq -- "$p" "$f" || { echo "expected /$p/ in $f:"; cat "$f"; return 1; }
  done
}
jget() { # json key... -> value (booleans as true/false)
  "$PY" -c 'import json,sys
v=json.loads(sys.argv[1])
for k in sys.argv[2:]: v=v[k]
print(json.dumps(v) if not isinstance(v, str) else v)' "$@"
}
hex() { od -An -tx1 | tr -d ' \n'; }
fresh_cc() { # a new ccache with only joedoe's TGT, for this step's subshell
  export KRB5CCNAME=FILE:$WORK/cc-$n
  printf '%s\n' "$LAB_USER_PASSWORD" | kinit "$LAB_USER_PRINCIPAL" >/dev/null
}
mdb() {
  mariadb --no-defaults -h "$LAB_MARIADB_HOST" -P "$LAB_MARIADB_PORT" \
    --plugin-dir="$LAB_MARIADB_CLIENT_PLUGIN_DIR" --connect-timeout=5 -N -B "$@"
}

# ------------------------------------------------------------------ steps ---
s_heimdal_fast() {
  # Heimdal's KDC: the host's TGT from its keytab as armor, joedoe's TGT through FAST, kvno.
  export KRB5_CONFIG=$LAB_HEIMDAL_KRB5_CONFIG KRB5CCNAME=FILE:$WORK/cc-heimdal
  kinit -k -t "$LAB_HEIMDAL_HOST_KEYTAB" -c "FILE:$WORK/cc-heimdal-armor" "$LAB_HEIMDAL_HOST_PRINCIPAL"
  printf '%s\n' "$LAB_HEIMDAL_USER_PASSWORD" \
    | KRB5_TRACE=$WORK/heimdal.trace kinit -T "FILE:$WORK/cc-heimdal-armor" "$LAB_HEIMDAL_USER_PRINCIPAL" >/dev/null
  kvno "$LAB_HEIMDAL_SERVICE"
  has "$WORK/heimdal.trace" "Encoding request body and padata into FAST request" "Decoding FAST response"
  has "$LAB_KDC_LOG_HEIMDAL" "pre-authentication succeeded -- $LAB_HEIMDAL_USER_PRINCIPAL" "FAST armor protection"
  echo "FACT: MIT's kinit -T armors its AS-REQ to Heimdal 7.8's KDC with the host's TGT"
}

s_kinit_password() {
  kdestroy -q 2>/dev/null || true
  printf '%s\n' "$LAB_USER_PASSWORD" | KRB5_TRACE=$WORK/kinit.trace kinit "$LAB_USER_PRINCIPAL"
  klist | tee "$WORK/klist"
  has "$WORK/klist" "Default principal: $LAB_USER_PRINCIPAL" "krbtgt/$LAB_USER_REALM@$LAB_USER_REALM"
  has "$WORK/kinit.trace" "Preauthenticating using KDC method data" "PA-FX-COOKIE|Received cookie"
  echo "FACT: pre-auth required: first AS-REQ answered with PREAUTH_REQUIRED, kinit retried with encrypted timestamp"
}

s_kinit_wrong_password() {
  if printf 'wrong\n' | KRB5CCNAME=FILE:$WORK/cc-wrong kinit "$LAB_USER_PRINCIPAL" >"$WORK/out" 2>&1; then
    echo "kinit with a wrong password succeeded"; return 1
  fi
  cat "$WORK/out"
  has "$WORK/out" "Password incorrect|Preauthentication failed"
}

s_kinit_keytab() {
  KRB5CCNAME=$CC_KT kinit -k -t "$LAB_KT_USER_KEYTAB" "$LAB_KT_USER_PRINCIPAL"
  KRB5CCNAME=$CC_KT klist | tee "$WORK/klist"
  has "$WORK/klist" "Default principal: $LAB_KT_USER_PRINCIPAL"
  klist -k -e "$LAB_KT_USER_KEYTAB"
}

s_kvno_direct() {
  fresh_cc
  kvno "$LAB_MARIADB_SPN" | tee "$WORK/out"
  has "$WORK/out" "$LAB_MARIADB_SPN: kvno = 1"
  klist | tee "$WORK/klist"
  has "$WORK/klist" "krbtgt/$LAB_SERVICE_REALM@$LAB_USER_REALM"
  kvno "$LAB_HOST_SPN" "$LAB_MYSQL_SPN"
}

s_kvno_wrong_realm() {
  fresh_cc
  # An explicit realm means no referral realm: MIT does not ask for canonicalization,
  # and the ONPREM KDC does not refer NT-PRINCIPAL names anyway.
  if kvno "mariadb/$LAB_SERVICE_HOST@$LAB_USER_REALM" >"$WORK/out" 2>&1; then
    echo "unexpected success"; return 1
  fi
  cat "$WORK/out"
  has "$WORK/out" "not found in Kerberos database"
}

s_kvno_referral() {
  fresh_cc
  grep -Fq "${LAB_SERVICE_HOST#*.}" "$KRB5_CONFIG" && { echo "$KRB5_CONFIG must not map ${LAB_SERVICE_HOST#*.} in [domain_realm]"; return 1; }
  grep -Eq '^[[:space:]]*canonicalize' "$KRB5_CONFIG" && { echo "$KRB5_CONFIG must not set canonicalize"; return 1; }
  KRB5_TRACE=$WORK/ref.trace kvno -S mariadb "$LAB_SERVICE_HOST" | tee "$WORK/out"
  cat "$WORK/ref.trace"
  has "$WORK/out" "mariadb/$LAB_SERVICE_HOST@: kvno = 1"
  has "$WORK/ref.trace" \
    "Server has referral realm" \
    "Requesting tickets for mariadb/$LAB_SERVICE_HOST@$LAB_USER_REALM, referrals on" \
    "Reply server krbtgt/$LAB_SERVICE_REALM@$LAB_USER_REALM differs from requested mariadb/$LAB_SERVICE_HOST@$LAB_USER_REALM" \
    "Received creds for desired service $LAB_MARIADB_SPN"
  echo "FACT: MIT kvno -S chased the ONPREM referral with no 'canonicalize' in krb5.conf (the library sets it for referral-realm names)"
}

s_kvno_domain_realm() {
  fresh_cc
  KRB5_CONFIG=$LAB_KRB5_CONFIG_DOMAIN_REALM KRB5_TRACE=$WORK/dr.trace kvno -S host "$LAB_SERVICE_HOST"
  has "$WORK/dr.trace" "Requesting tickets for $LAB_HOST_SPN"
  if grep -q "Server has referral realm" "$WORK/dr.trace"; then echo "unexpected referral realm"; return 1; fi
  echo "FACT: with krb5-domain-realm.conf the client names the realm itself (no referral)"
}

s_capaths_two_hop() {
  fresh_cc
  KRB5_TRACE=$WORK/cap.trace kvno "$LAB_APPS_SPN" | tee "$WORK/out"
  has "$WORK/out" "$LAB_APPS_SPN: kvno = 1"
  has "$WORK/cap.trace" \
    "Requesting TGT krbtgt/$LAB_APPS_REALM@$LAB_USER_REALM using TGT krbtgt/$LAB_USER_REALM@$LAB_USER_REALM" \
    "TGS reply is for $LAB_USER_PRINCIPAL -> krbtgt/$LAB_TRANSIT_REALM@$LAB_USER_REALM" \
    "Requesting TGT krbtgt/$LAB_APPS_REALM@$LAB_TRANSIT_REALM using TGT krbtgt/$LAB_TRANSIT_REALM@$LAB_USER_REALM"
  klist | tee "$WORK/klist"
  has "$WORK/klist" "krbtgt/$LAB_APPS_REALM@$LAB_TRANSIT_REALM"
  echo "FACT: asked for krbtgt/APPS.LOCAL@ONPREM.LOCAL, the ONPREM KDC answered krbtgt/HUB.LOCAL@ONPREM.LOCAL per its [capaths]; HUB then issued krbtgt/APPS.LOCAL@HUB.LOCAL"
}

s_referral_two_hop() {
  fresh_cc
  KRB5_TRACE=$WORK/ref2.trace kvno -S host "$LAB_APPS_HOST" | tee "$WORK/out"
  has "$WORK/ref2.trace" \
    "Reply server krbtgt/$LAB_TRANSIT_REALM@$LAB_USER_REALM differs" \
    "Reply server krbtgt/$LAB_APPS_REALM@$LAB_TRANSIT_REALM differs" \
    "Received creds for desired service $LAB_APPS_SPN"
  echo "FACT: referral chain ONPREM -> HUB -> APPS for host/$LAB_APPS_HOST (each KDC's [domain_realm] + [capaths])"
}

s_mariadb_login() {
  mdb -u "$LAB_MARIADB_USER" -e 'SELECT CURRENT_USER(), USER()' | tee "$WORK/out"
  has "$WORK/out" "^$LAB_MARIADB_USER@%"
  grep -F "user=$LAB_MARIADB_USER" "$LAB_MARIADB_ERRLOG" || true
}

s_mariadb_keytab_user() {
  KRB5CCNAME=$CC_KT mdb -u "$LAB_MARIADB_KT_USER" -e 'SELECT CURRENT_USER()' | tee "$WORK/out"
  has "$WORK/out" "^$LAB_MARIADB_KT_USER@%"
}

s_mariadb_wrong_principal() {
  if mdb -u "$LAB_MARIADB_USER2" -e 'SELECT CURRENT_USER()' >"$WORK/out" 2>&1; then
    echo "login as $LAB_MARIADB_USER2 with $LAB_USER_PRINCIPAL's ticket succeeded"; return 1
  fi
  cat "$WORK/out"
  has "$WORK/out" "ERROR 1045 \(28000\): GSSAPI name mismatch, requested '$LAB_USER2_PRINCIPAL', actual name '$LAB_USER_PRINCIPAL'"
  echo "FACT: $(cat "$WORK/out")"
}

s_mariadb_tls() {
  mdb -u "$LAB_MARIADB_TLS_USER" --ssl --ssl-ca="$LAB_CA" --ssl-verify-server-cert \
    -e "SELECT CURRENT_USER(); SHOW STATUS LIKE 'Ssl_version'" | tee "$WORK/out"
  has "$WORK/out" "^$LAB_MARIADB_TLS_USER@%" "Ssl_version	TLSv1\.[23]"
  if mdb -u "$LAB_MARIADB_TLS_USER" --skip-ssl -e 'SELECT 1' >"$WORK/out2" 2>&1; then
    echo "REQUIRE SSL account logged in without TLS"; return 1
  fi
  cat "$WORK/out2"
  has "$WORK/out2" "ERROR 1045"
}

s_mariadb_no_ticket() {
  if KRB5CCNAME=FILE:$WORK/cc-empty mdb -u "$LAB_MARIADB_USER" -e 'SELECT 1' >"$WORK/out" 2>&1; then
    echo "login without a ticket succeeded"; return 1
  fi
  cat "$WORK/out"
  has "$WORK/out" "ERROR 1105 .*Client GSSAPI error"
}

s_gss_pipe() {
  "$PY" "$ACC" --initiate "$LAB_MARIADB_SPN" --flags sequence,conf,integ --exit-when-complete \
    >"$WORK/ini.out" 2>"$WORK/ini.err"
  cat "$WORK/ini.out" "$WORK/ini.err"
  "$PY" "$ACC" --keytab "$LAB_MARIADB_KEYTAB" --service "$LAB_MARIADB_SPN" \
    --expect-initiator "$LAB_USER_PRINCIPAL" --exit-when-complete <"$WORK/ini.out" | tee "$WORK/acc.out"
  local j
  j=$(grep '^{' "$WORK/acc.out")
  [[ $(jget "$j" complete) == true && $(jget "$j" initiator) == "$LAB_USER_PRINCIPAL" ]]
  [[ $(jget "$j" mech) == 1.2.840.113554.1.2.2 && $(jget "$j" flags mutual) == false ]]
  # The same token again must hit the acceptor's replay cache.
  if head -n 1 "$WORK/ini.out" | "$PY" "$ACC" --keytab "$LAB_MARIADB_KEYTAB" >"$WORK/replay" 2>&1; then
    echo "replayed token accepted"; return 1
  fi
  has "$WORK/replay" "Request is a replay"
}

s_gss_mutual_and_messages() {
  local d=$WORK/gss apid ipid apreq aprep aj ij line msg tok bad
  mkdir "$d"
  mkfifo "$d/a_in" "$d/a_out" "$d/i_in" "$d/i_out"
  "$PY" "$ACC" --keytab "$LAB_MARIADB_KEYTAB" --service "$LAB_MARIADB_SPN" <"$d/a_in" >"$d/a_out" 2>"$d/a_err" &
  apid=$!
  "$PY" "$ACC" --initiate "mariadb@$LAB_SERVICE_HOST" --target-type hostbased <"$d/i_in" >"$d/i_out" 2>"$d/i_err" &
  ipid=$!
  exec {AW}>"$d/a_in" {AR}<"$d/a_out" {IW}>"$d/i_in" {IR}<"$d/i_out"
  read -r -t 10 apreq <&"$IR"
  echo "$apreq" >&"$AW"
  read -r -t 10 aprep <&"$AR"
  read -r -t 10 aj <&"$AR"
  echo "acceptor: $aj"
  echo "$aprep" >&"$IW"
  read -r -t 10 ij <&"$IR"
  echo "initiator: $ij"
  [[ ${apreq:0:2} == 60 && ${aprep:0:2} == 60 ]]
  [[ $(jget "$aj" flags mutual) == true && $(jget "$ij" flags mutual) == true ]]
  [[ $(jget "$aj" target) == "$LAB_MARIADB_SPN" ]]
  # MIT's initiator displays the referral-realm name: mariadb/db.ad.myaws.com@ (empty realm)
  [[ $(jget "$ij" target) == "mariadb/$LAB_SERVICE_HOST@"* ]]
  msg=$(printf 'hello from MIT' | hex)
  echo "wrap $msg" >&"$IW"; read -r -t 10 line <&"$IR"; echo "$line"
  tok=$(jget "$line" token)
  echo "unwrap $tok" >&"$AW"; read -r -t 10 line <&"$AR"; echo "$line"
  [[ $(jget "$line" message) == "$msg" && $(jget "$line" encrypted) == true ]]
  echo "mic $msg" >&"$AW"; read -r -t 10 line <&"$AR"; echo "$line"
  tok=$(jget "$line" token)
  echo "verify $msg $tok" >&"$IW"; read -r -t 10 line <&"$IR"; echo "$line"
  [[ $(jget "$line" ok) == true ]]
  bad=${tok:0:${#tok}-2}$(printf '%02x' $(( (0x${tok: -2} + 1) % 256 )))
  echo "verify $msg $bad" >&"$IW"; read -r -t 10 line <&"$IR"; echo "$line"
  [[ $(jget "$line" ok) == false ]]
  exec {AW}>&- {IW}>&-
  wait "$apid" "$ipid"
  exec {AR}<&- {IR}<&-
  echo "FACT: MIT mutual context via hostbased name mariadb@$LAB_SERVICE_HOST (referral), AP-REP returned, wrap/unwrap and MIC round trips OK, tampered MIC rejected"
  echo "FACT: MIT initiator target_name after the referral: $(jget "$ij" target)"
}

step "kinit $LAB_USER_PRINCIPAL with password on stdin (pre-auth required)" s_kinit_password
step "kinit with a wrong password is refused" s_kinit_wrong_password
step "kinit -k -t keytab for $LAB_KT_USER_PRINCIPAL" s_kinit_keytab
step "kvno $LAB_MARIADB_SPN over the direct one-way trust" s_kvno_direct
step "kvno mariadb/$LAB_SERVICE_HOST@$LAB_USER_REALM (explicit wrong realm) is not referred" s_kvno_wrong_realm
step "kvno -S mariadb $LAB_SERVICE_HOST: referral chased (no [domain_realm] in client config)" s_kvno_referral
step "kvno -S host $LAB_SERVICE_HOST with krb5-domain-realm.conf: no referral needed" s_kvno_domain_realm
step "kvno $LAB_APPS_SPN: two-hop [capaths] path via $LAB_TRANSIT_REALM" s_capaths_two_hop
step "kvno -S host $LAB_APPS_HOST: two-hop referral chain" s_referral_two_hop
step "mariadb -u $LAB_MARIADB_USER via auth_gssapi: SELECT CURRENT_USER()" s_mariadb_login
step "mariadb -u $LAB_MARIADB_KT_USER via auth_gssapi with the keytab user's ccache" s_mariadb_keytab_user
step "mariadb -u $LAB_MARIADB_USER2 with $LAB_USER's ticket is refused (name mismatch)" s_mariadb_wrong_principal
step "mariadb over TLS (verified against LAB_CA), REQUIRE SSL account refused without TLS" s_mariadb_tls
step "mariadb without a ticket fails on the client side" s_mariadb_no_ticket
step "gss_acceptor.py: MIT initiator token piped into MIT acceptor; replay rejected" s_gss_pipe
step "gss_acceptor.py: mutual auth both ways, wrap/unwrap, MIC verify, tampered MIC rejected" s_gss_mutual_and_messages
step "Heimdal's KDC ($LAB_HEIMDAL_REALM): kinit -T with the host's armor TGT, kvno" s_heimdal_fast

echo "lab/smoke.sh: $pass passed, $fail failed"
((fail == 0))
