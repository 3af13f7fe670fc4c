#!/usr/bin/env bash
# Start the lab: five MIT KDCs (one krb5kdc per realm; FAST.LOCAL accepts
# passwords only through FAST), MIT's kadmind (the
# kpasswd service, RFC 3244) for ONPREM.LOCAL, FreeIPA's KDC proxy (MS-KKDCP,
# HTTPS) in front of the KDCs, MariaDB with auth_gssapi, a Samba AD DC's KDC and
# kpasswd (lab/samba.sh), Heimdal 7.8's KDC and kpasswdd for HEIMDAL.LOCAL
# (lab/heimdal.sh), all on 127.0.0.1 high ports, and Heimdal's KCM daemon on a
# Unix socket in the state dir; everything under one state dir.
#
#   lab/up.sh                 # state in lab/state (or $LAB_STATE)
#   . lab/state/env.sh        # then use KRB5_CONFIG, KRB5CCNAME, LAB_* ...
#   lab/down.sh [--clean]
#
# Environment: LAB_STATE (state dir, default lab/state), LAB_PORT_OFFSET
# (added to every port, default 0, to run two labs side by side).
set -euo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STATE=${LAB_STATE:-$LAB_DIR/state}
OFF=${LAB_PORT_OFFSET:-0}
T0=$(date +%s%N)

log() { printf 'lab/up.sh: [%5d ms] %s\n' "$(( ($(date +%s%N) - T0) / 1000000 ))" "$*"; }
die() { printf 'lab/up.sh: ERROR: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- layout ---
USER_REALM=ONPREM.LOCAL       # users live here
SVC_REALM=AD.MYAWS.COM        # database service realm, one-way trust from ONPREM
HUB_REALM=HUB.LOCAL           # transit realm
APPS_REALM=APPS.LOCAL         # service realm reached ONPREM -> HUB -> APPS
FAST_REALM=FAST.LOCAL         # encrypted timestamp disabled: passwords only inside FAST
REALMS=("$USER_REALM" "$SVC_REALM" "$HUB_REALM" "$APPS_REALM" "$FAST_REALM")
declare -A KDC_PORT=(
  [$USER_REALM]=$((17088 + OFF))
  [$SVC_REALM]=$((17188 + OFF))
  [$HUB_REALM]=$((17288 + OFF))
  [$APPS_REALM]=$((17388 + OFF))
  [$FAST_REALM]=$((17488 + OFF))
)
declare -A KDC_ENCTYPES=(
  # ONPREM, HUB and APPS have RFC 3962 and RFC 8009 keys; AD.MYAWS.COM has
  # only RFC 3962 keys, like Active Directory.
  [$USER_REALM]="aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal aes256-cts-hmac-sha384-192:normal aes128-cts-hmac-sha256-128:normal"
  [$SVC_REALM]="aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal"
  [$HUB_REALM]="aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal aes256-cts-hmac-sha384-192:normal aes128-cts-hmac-sha256-128:normal"
  [$APPS_REALM]="aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal aes256-cts-hmac-sha384-192:normal aes128-cts-hmac-sha256-128:normal"
  [$FAST_REALM]="aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal aes256-cts-hmac-sha384-192:normal aes128-cts-hmac-sha256-128:normal"
)
# FAST.LOCAL: the armor principal (its keytab gives the armor TGT), a service
# that requires the encrypted-challenge authentication indicator.
FAST_HOST=client.fast.local
FAST_EC_INDICATOR=fast-ec
FAST_EC_SERVICE=HTTP/ec.fast.local
KDC_HOST=127.0.0.1
# kadmind for USER_REALM: kpasswd (UDP and TCP) and the kadmin RPC port.
KPASSWD_PORT=$((17464 + OFF))
KADMIND_PORT=$((17749 + OFF))
# The password policy of the kpasswd test principals: kadmind refuses shorter
# new passwords with its reason ("Password is too short").
KPW_POLICY=labpol
KPW_MINLENGTH=12
# FreeIPA's kdcproxy (from PyPI, venv by lab/kdcproxy-venv.sh) over TLS.
KDCPROXY_PORT=$((17443 + OFF))
KDCPROXY_URL=https://$KDC_HOST:$KDCPROXY_PORT/KdcProxy
MASTER_PASSWORD=Lab-Master-Key
MARIADB_HOST=127.0.0.1
MARIADB_PORT=$((13306 + OFF))
SVC_HOST=db.ad.myaws.com
APPS_HOST=app.apps.local
# A host of APPS_REALM outside its domain: only a TXT record (dns_lookup_realm) says its realm.
TXT_HOST=web.hosted.local
MARIADB_SPN=mariadb/$SVC_HOST@$SVC_REALM
TRUST_AD_PW=Trust-ONPREM-to-AD
TRUST_HUB_PW=Trust-ONPREM-to-HUB
TRUST_APPS_PW=Trust-HUB-to-APPS
SHA1_ONLY="aes256-cts-hmac-sha1-96:normal,aes128-cts-hmac-sha1-96:normal"
SHA2_FIRST="aes256-cts-hmac-sha384-192:normal,aes256-cts-hmac-sha1-96:normal"
CLIENT_PLUGIN_DIR=$(dirname "$(dpkg -L mariadb-plugin-gssapi-client 2>/dev/null | grep -m1 '/auth_gssapi_client\.so$' || echo /usr/lib/x86_64-linux-gnu/libmariadb3/plugin/x)")

# ------------------------------------------------------------ preflight ---
"$LAB_DIR/install.sh" >/dev/null || die "lab/install.sh failed (missing packages? run it as root)"
for b in kcm unshare krb5kdc kadmind kdb5_util kadmin.local mariadbd mariadb-install-db mariadb mariadb-admin openssl; do
  command -v "$b" >/dev/null || [[ -x /usr/sbin/$b ]] || die "$b not found"
done
export PATH=$PATH:/usr/sbin:/sbin

port_busy() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

if [[ -e $STATE ]]; then
  if [[ -e $STATE/.lab-state ]]; then
    log "stopping any previous lab in $STATE and removing it"
    LAB_STATE=$STATE "$LAB_DIR/down.sh" --clean >/dev/null
  elif [[ -n "$(ls -A "$STATE")" ]]; then
    die "$STATE exists, is not empty and is not a lab state dir; refusing to remove it"
  fi
fi
for r in "${REALMS[@]}"; do
  ! port_busy "$KDC_HOST" "${KDC_PORT[$r]}" || die "port $KDC_HOST:${KDC_PORT[$r]} (KDC $r) already in use; set LAB_PORT_OFFSET"
done
for p in "$KPASSWD_PORT" "$KADMIND_PORT" "$KDCPROXY_PORT"; do
  ! port_busy "$KDC_HOST" "$p" || die "port $KDC_HOST:$p (kadmind or kdcproxy) already in use; set LAB_PORT_OFFSET"
done
KDCPROXY_PYTHON=$("$LAB_DIR/kdcproxy-venv.sh") || die "lab/kdcproxy-venv.sh failed (PyPI reachable?)"
! port_busy "$MARIADB_HOST" "$MARIADB_PORT" || die "port $MARIADB_HOST:$MARIADB_PORT (MariaDB) already in use; set LAB_PORT_OFFSET"

mkdir -p "$STATE"
STATE=$(cd "$STATE" && pwd)
touch "$STATE/.lab-state"
mkdir -p "$STATE"/{kdc,keytabs,ccache,rcache,tls,mariadb/tmp,run,kcm/run}
chmod 700 "$STATE/keytabs" "$STATE/ccache" "$STATE/rcache"
# Heimdal's kcm (7.8) ignores --socket-path and always listens on
# /var/run/.heim_org.h5l.kcm-socket: it runs in a private mount namespace where
# $STATE/kcm/run is mounted over /run, so its socket is $STATE/kcm/run/<that name>.
KCM_SOCKET=$STATE/kcm/run/.heim_org.h5l.kcm-socket
(( ${#KCM_SOCKET} < 100 )) || die "socket path $KCM_SOCKET too long; use a shorter LAB_STATE"
MDB=$STATE/mariadb
MDB_SOCKET=$MDB/mysqld.sock
(( ${#MDB_SOCKET} < 100 )) || die "socket path $MDB_SOCKET too long; use a shorter LAB_STATE"

# On failure, stop whatever was already started (background helpers by PID,
# daemons via down.sh).
BG_PIDS=()
cleanup_on_error() {
  local rc=$? p
  if (( rc != 0 )); then
    echo "lab/up.sh: failed; stopping what was started (state left in $STATE)" >&2
    # each helper leads its own process group (setsid / job): kill the group
    for p in "${BG_PIDS[@]}"; do kill -- "-$p" 2>/dev/null || kill "$p" 2>/dev/null || true; done
    for p in "${BG_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    LAB_STATE=$STATE "$LAB_DIR/down.sh" >/dev/null 2>&1 || true
  fi
}
trap cleanup_on_error EXIT

# MariaDB's datadir takes longest to create: do it in the background.
# (mariadbd refuses to run as root unless told --user=root.)
MDB_USER_ARGS=()
[[ $EUID -eq 0 ]] && MDB_USER_ARGS=(--user=root)
setsid mariadb-install-db --no-defaults --datadir="$MDB/data" "${MDB_USER_ARGS[@]}" \
  --auth-root-authentication-method=socket --skip-test-db \
  --innodb-log-file-size=16M >"$MDB/install-db.log" 2>&1 &
INSTALL_DB_PID=$!
BG_PIDS+=("$INSTALL_DB_PID")

# ------------------------------------------------------- krb5 profiles ---
capaths() {
  cat <<EOF
[capaths]
	$USER_REALM = {
		$SVC_REALM = .
		$HUB_REALM = .
		$APPS_REALM = $HUB_REALM
	}
EOF
}

realms_section() {
  echo "[realms]"
  local r
  for r in "${REALMS[@]}"; do
    printf '\t%s = {\n\t\tkdc = %s:%s\n' "$r" "$KDC_HOST" "${KDC_PORT[$r]}"
    if [[ $r == "$USER_REALM" ]]; then
      printf '\t\tadmin_server = %s:%s\n\t\tkpasswd_server = %s:%s\n' \
        "$KDC_HOST" "$KADMIND_PORT" "$KDC_HOST" "$KPASSWD_PORT"
    fi
    printf '\t}\n'
  done
}

libdefaults() {
  cat <<EOF
[libdefaults]
	default_realm = $1
	dns_lookup_kdc = false
	dns_lookup_realm = false
	dns_canonicalize_hostname = false
	rdns = false
	qualify_shortname = ""
	udp_preference_limit = 1465
EOF
}

# Each KDC's own library profile: [domain_realm] drives referrals, [capaths]
# drives next-hop choice and the transited check.
kdc_domain_realm() {
  echo "[domain_realm]"
  case $1 in
    "$USER_REALM")
      printf '\t.ad.myaws.com = %s\n\tad.myaws.com = %s\n\t.apps.local = %s\n' "$SVC_REALM" "$SVC_REALM" "$APPS_REALM" ;;
    "$SVC_REALM")
      printf '\t.ad.myaws.com = %s\n' "$SVC_REALM" ;;
    "$HUB_REALM"|"$APPS_REALM")
      printf '\t.apps.local = %s\n' "$APPS_REALM" ;;
  esac
}

for r in "${REALMS[@]}"; do
  d=$STATE/kdc/$r
  mkdir -p "$d"
  chmod 700 "$d"
  {
    libdefaults "$r"
    realms_section
    kdc_domain_realm "$r"
    capaths
  } >"$d/krb5.conf"
  cat >"$d/kdc.conf" <<EOF
[kdcdefaults]
	kdc_listen = $KDC_HOST:${KDC_PORT[$r]}
	kdc_tcp_listen = $KDC_HOST:${KDC_PORT[$r]}

[realms]
	$r = {
		database_name = $d/principal
		key_stash_file = $d/stash
		acl_file = $d/kadm5.acl
		kdc_listen = $KDC_HOST:${KDC_PORT[$r]}
		kdc_tcp_listen = $KDC_HOST:${KDC_PORT[$r]}
		master_key_type = aes256-cts-hmac-sha1-96
		supported_enctypes = ${KDC_ENCTYPES[$r]}
		max_life = 10h 0m 0s
		max_renewable_life = 7d 0h 0m 0s
		kadmind_listen = $KDC_HOST:$KADMIND_PORT
		kpasswd_listen = $KDC_HOST:$KPASSWD_PORT
$( [[ $r != "$FAST_REALM" ]] || printf '\t\tencrypted_challenge_indicator = %s' "$FAST_EC_INDICATOR")
	}

[logging]
	kdc = FILE:$d/kdc.log
	admin_server = FILE:$d/kadmind.log
EOF
  # MIT's way to accept passwords only through FAST (encrypted challenge).
  [[ $r != "$FAST_REALM" ]] || printf '\n[plugins]\n\tkdcpreauth = {\n\t\tdisable = encrypted_timestamp\n\t}\n' >>"$d/kdc.conf"
  : >"$d/kadm5.acl"
done

# Client profiles. krb5.conf maps no host name in [domain_realm]: host-based
# names in .ad.myaws.com resolve to the referral realm, so the client must chase
# the ONPREM KDC's referral. krb5-domain-realm.conf maps the hosts statically.
# Both map the database's address (the tests dial MariaDB at 127.0.0.1) to its
# realm, as a real client's [domain_realm] or DNS domain would map the database
# host: kerb mysql's default SPN policy accepts the server's SPN realm only then.
db_address_realm() { printf '\t%s = %s\n' "$MARIADB_HOST" "$SVC_REALM"; }
{
  libdefaults "$USER_REALM"
  printf '\tkcm_socket = %s\n' "$KCM_SOCKET"
  realms_section
  echo "[domain_realm]"
  db_address_realm
  capaths
} >"$STATE/krb5.conf"
{
  libdefaults "$USER_REALM"
  printf '\tkcm_socket = %s\n' "$KCM_SOCKET"
  realms_section
  printf '[domain_realm]\n\t.ad.myaws.com = %s\n\tad.myaws.com = %s\n\t.apps.local = %s\n' "$SVC_REALM" "$SVC_REALM" "$APPS_REALM"
  db_address_realm
  capaths
} >"$STATE/krb5-domain-realm.conf"

# The same realms with every KDC reached through the HTTPS proxy (MS-KKDCP),
# and the proxy's own CA as http_anchors.
{
  libdefaults "$USER_REALM"
  echo "[realms]"
  for r in "${REALMS[@]}"; do
    printf '\t%s = {\n\t\tkdc = %s\n\t\thttp_anchors = FILE:%s\n\t}\n' \
      "$r" "$KDCPROXY_URL" "$STATE/tls/proxy-ca.pem"
  done
  echo "[domain_realm]"
  db_address_realm
  capaths
} >"$STATE/krb5-kdcproxy.conf"
{
  echo "[global]"
  echo "use_dns = false"
  for r in "${REALMS[@]}"; do
    printf '[%s]\nkerberos = kerberos://%s:%s\n' "$r" "$KDC_HOST" "${KDC_PORT[$r]}"
    [[ $r != "$USER_REALM" ]] || printf 'kpasswd = kpasswd://%s:%s\n' "$KDC_HOST" "$KPASSWD_PORT"
  done
} >"$STATE/kdcproxy.conf"
# Samba AD's realm behind the proxy too, through its FAST-only KDC (lab/samba.sh): a
# hardened AD reached only over HTTPS.
SAMBA_KDCPROXY=$("$LAB_DIR/samba.sh" kdcproxy "$OFF")
SAMBA_REALM=$(sed -n '1s/^\[\(.*\)\]$/\1/p' <<<"$SAMBA_KDCPROXY")
printf '%s\n' "$SAMBA_KDCPROXY" >>"$STATE/kdcproxy.conf"
cat >"$STATE/krb5-samba-kdcproxy.conf" <<EOF
[libdefaults]
	default_realm = $SAMBA_REALM
	dns_lookup_kdc = false
	dns_lookup_realm = false
	rdns = false
	dns_canonicalize_hostname = false
[realms]
	$SAMBA_REALM = {
		kdc = $KDCPROXY_URL
		kpasswd_server = $KDCPROXY_URL
		http_anchors = FILE:$STATE/tls/proxy-ca.pem
	}
EOF

# ------------------------------------------------------------ databases ---
# kadmin.local queries are queued per realm and fed on stdin to ONE kadmin.local
# per realm (process start-up dominates on a loaded machine); the realms are
# set up in parallel. kadmin.local exits 0 even when a query failed, so its
# stderr is checked for errors.
declare -A KADM_CMDS=()
kadm() { KADM_CMDS[$1]+="${*:2}"$'\n'; }

setup_realm() { # realm: create the database, run the queued queries
  local r=$1 d=$STATE/kdc/$1
  export KRB5_CONFIG=$d/krb5.conf KRB5_KDC_PROFILE=$d/kdc.conf
  if ! kdb5_util -r "$r" create -s -P "$MASTER_PASSWORD" >"$d/kdb5_util.log" 2>&1; then
    echo "kdb5_util create for $r failed: $(cat "$d/kdb5_util.log")" >&2
    return 1
  fi
  printf '%squit\n' "${KADM_CMDS[$r]}" | kadmin.local -r "$r" >"$d/kadmin.out" 2>"$d/kadmin.err" || {
    echo "kadmin.local -r $r failed: $(cat "$d/kadmin.err")" >&2
    return 1
  }
  if grep -v 'No policy specified' "$d/kadmin.err" | grep -Eiq 'while |error|failed|unknown|cannot|usage|not found'; then
    echo "kadmin.local -r $r reported errors:" >&2
    grep -v 'No policy specified' "$d/kadmin.err" >&2
    return 1
  fi
}

# Users (pre-auth required), fixed passwords so keys are deterministic.
for u in joedoe alice svc_batch; do
  kadm "$USER_REALM" addprinc +requires_preauth -pw "Passw0rd-$u" "$u@$USER_REALM"
done
kadm "$USER_REALM" addprinc -requires_preauth -pw Passw0rd-nopreauth "nopreauth@$USER_REALM"
# The kpasswd tests' policy; they create their own principals under it with
# kadmin.local (LAB_KADMIN_LOCAL_ONPREM), so each run starts fresh.
kadm "$USER_REALM" addpol -minlength "$KPW_MINLENGTH" "$KPW_POLICY"

# Trusts: the same cross-realm key in both databases.
kadm "$USER_REALM" addprinc -e "$SHA1_ONLY" -pw "$TRUST_AD_PW"   "krbtgt/$SVC_REALM@$USER_REALM"
kadm "$SVC_REALM"  addprinc -e "$SHA1_ONLY" -pw "$TRUST_AD_PW"   "krbtgt/$SVC_REALM@$USER_REALM"
kadm "$USER_REALM" addprinc -e "$SHA2_FIRST" -pw "$TRUST_HUB_PW"  "krbtgt/$HUB_REALM@$USER_REALM"
kadm "$HUB_REALM"  addprinc -e "$SHA2_FIRST" -pw "$TRUST_HUB_PW"  "krbtgt/$HUB_REALM@$USER_REALM"
kadm "$HUB_REALM"  addprinc -e "$SHA2_FIRST" -pw "$TRUST_APPS_PW" "krbtgt/$APPS_REALM@$HUB_REALM"
kadm "$APPS_REALM" addprinc -e "$SHA2_FIRST" -pw "$TRUST_APPS_PW" "krbtgt/$APPS_REALM@$HUB_REALM"

# Services, fixed passwords ("Passw0rd-<service>-<host>"), keytabs exported
# with -norandkey (kvno 1), one keytab per principal.
KT=$STATE/keytabs
add_service() { # realm service host
  local r=$1 s=$2 h=$3
  kadm "$r" addprinc -pw "Passw0rd-$s-$h" "$s/$h@$r"
  kadm "$r" ktadd -norandkey -k "$KT/$s-$h.keytab" "$s/$h@$r"
}
for s in mariadb host mysql; do add_service "$SVC_REALM" "$s" "$SVC_HOST"; done
add_service "$APPS_REALM" host "$APPS_HOST"
add_service "$APPS_REALM" host "$TXT_HOST"
kadm "$USER_REALM" ktadd -norandkey -k "$KT/svc_batch.keytab" "svc_batch@$USER_REALM"
# 25 random-key services for the concurrent-writers test of FILE caches.
for i in $(seq -w 1 25); do
  kadm "$USER_REALM" addprinc -randkey "conc$i/host.onprem.local@$USER_REALM"
done
# FAST.LOCAL: users as in ONPREM, the armor host's keytab, services.
for u in joedoe alice; do
  kadm "$FAST_REALM" addprinc +requires_preauth -pw "Passw0rd-$u" "$u@$FAST_REALM"
done
add_service "$FAST_REALM" host "$FAST_HOST"
add_service "$FAST_REALM" host "svc.fast.local"
kadm "$FAST_REALM" addprinc -pw "Passw0rd-ec" "$FAST_EC_SERVICE@$FAST_REALM"
kadm "$FAST_REALM" setstr "$FAST_EC_SERVICE@$FAST_REALM" require_auth "$FAST_EC_INDICATOR"

declare -A SETUP_PID=()
for r in "${REALMS[@]}"; do
  setup_realm "$r" &
  SETUP_PID[$r]=$!
  BG_PIDS+=("$!")
done
for r in "${REALMS[@]}"; do
  wait "${SETUP_PID[$r]}" || die "setting up realm $r failed (see above and $STATE/kdc/$r/)"
done
for f in mariadb host mysql; do [[ -s $KT/$f-$SVC_HOST.keytab ]] || die "keytab $f-$SVC_HOST.keytab missing"; done
[[ -s $KT/host-$APPS_HOST.keytab && -s $KT/svc_batch.keytab && -s $KT/host-$FAST_HOST.keytab ]] || die "keytabs missing"
chmod 600 "$KT"/*.keytab
log "KDC databases, principals and keytabs created"

# ----------------------------------------------------------------- KDCs ---
wait_tcp() { # host port what logfile
  local i
  for ((i = 0; i < 100; i++)); do
    port_busy "$1" "$2" && return 0
    sleep 0.05
  done
  die "$3 not listening on $1:$2 after 5 s; log tail:
$(tail -n 20 "$4" 2>/dev/null)"
}

for r in "${REALMS[@]}"; do
  d=$STATE/kdc/$r
  KRB5_CONFIG=$d/krb5.conf KRB5_KDC_PROFILE=$d/kdc.conf \
    krb5kdc -r "$r" -P "$STATE/run/kdc-$r.pid" >"$d/krb5kdc.out" 2>&1 \
    || die "krb5kdc for $r failed to start: $(cat "$d/krb5kdc.out"; tail -n 20 "$d/kdc.log" 2>/dev/null)"
done
for r in "${REALMS[@]}"; do
  wait_tcp "$KDC_HOST" "${KDC_PORT[$r]}" "KDC $r" "$STATE/kdc/$r/kdc.log"
  for ((i = 0; i < 100; i++)); do [[ -s $STATE/run/kdc-$r.pid ]] && break; sleep 0.05; done
  [[ -s $STATE/run/kdc-$r.pid ]] || die "krb5kdc for $r wrote no pid file"
done
log "KDCs up: $(for r in "${REALMS[@]}"; do printf '%s=%s:%s ' "$r" "$KDC_HOST" "${KDC_PORT[$r]}"; done)"

# -------------------------------------------------------------- kadmind ---
# MIT's kadmind for USER_REALM, for its kpasswd service (UDP and TCP on
# KPASSWD_PORT); it daemonizes and writes its pid file like krb5kdc.
d=$STATE/kdc/$USER_REALM
KRB5_CONFIG=$d/krb5.conf KRB5_KDC_PROFILE=$d/kdc.conf \
  kadmind -r "$USER_REALM" -P "$STATE/run/kadmind.pid" >"$d/kadmind.out" 2>&1 \
  || die "kadmind failed to start: $(cat "$d/kadmind.out"; tail -n 20 "$d/kadmind.log" 2>/dev/null)"
wait_tcp "$KDC_HOST" "$KPASSWD_PORT" "kadmind (kpasswd)" "$d/kadmind.log"
for ((i = 0; i < 100; i++)); do [[ -s $STATE/run/kadmind.pid ]] && break; sleep 0.05; done
[[ -s $STATE/run/kadmind.pid ]] || die "kadmind wrote no pid file"
log "kadmind up: kpasswd $KDC_HOST:$KPASSWD_PORT (udp, tcp), kadmin $KDC_HOST:$KADMIND_PORT"

# ------------------------------------------------------------------ DNS ---
# dnsmasq answers the realms' Kerberos records, and nothing else: --no-resolv and no
# upstream server, so no query ever leaves the machine; names under the lab's domains that it
# does not know get NXDOMAIN, any other name is refused. It listens on port 53 (resolv.conf has no
# port) of a loopback address of this lab's own; clients reach it through $STATE/dns/resolv.conf
# bound over /etc/resolv.conf in a private mount namespace (see lab/README.md), with
# $STATE/krb5-dns.conf, which lists no KDC at all. ONPREM.LOCAL's first UDP target,
# kdc-down.onprem.local (127.0.0.9), has no KDC: clients must fail over to the second.
# Beyond the KDCs' SRV records: ONPREM.LOCAL's kpasswd (kadmind) by `_kpasswd` SRV records;
# FAST.LOCAL's KDC also by URI records (MIT's `krb5srv:` form, consulted before SRV: TCP only,
# after an unusable entry); and the TXT record `_kerberos.hosted.local` naming APPS.LOCAL, the
# realm of $TXT_HOST (whose domain, uppercased, is no realm), for `dns_lookup_realm`
# ($STATE/krb5-dns-realm.conf: the DNS-only profile with `dns_lookup_realm = true`); and a TXT
# record too long for UDP. For the default realm from DNS (no `default_realm`,
# `dns_lookup_realm = true`, $STATE/krb5-dns-nodefault.conf): the TXT record
# `_kerberos.clients.onprem.local` naming ONPREM.LOCAL and an address for $DNS_CLIENT_HOST, the
# host name clients take in a private UTS namespace (MIT canonicalises it with getaddrinfo).
DNS_ADDR=${LAB_DNS_ADDR:-127.53.$(( (OFF / 250) % 250 )).$(( OFF % 250 + 1 ))}
mkdir -p "$STATE/dns"
! port_busy "$DNS_ADDR" 53 || die "port $DNS_ADDR:53 (DNS) already in use; set LAB_DNS_ADDR"
dns_args=(--no-resolv --no-hosts --no-poll --bind-interfaces --listen-address="$DNS_ADDR" --port=53
  --user=root --group=root --pid-file="$STATE/run/dnsmasq.pid" --log-queries
  --log-facility="$STATE/dns/dnsmasq.log" --local=/local/ --local=/myaws.com/
  --host-record=kdc-down.onprem.local,127.0.0.9)
declare -A DNS_HOST=([$USER_REALM]=kdc.onprem.local [$SVC_REALM]=kdc.ad.myaws.com
  [$HUB_REALM]=kdc.hub.local [$APPS_REALM]=kdc.apps.local [$FAST_REALM]=kdc.fast.local)
for r in "${REALMS[@]}"; do
  h=${DNS_HOST[$r]} p=${KDC_PORT[$r]}
  dns_args+=(--host-record="$h,$KDC_HOST" --srv-host="_kerberos._udp.$r,$h,$p,10,0"
    --srv-host="_kerberos._tcp.$r,$h,$p,10,0")
done
dns_args+=(--srv-host="_kerberos._udp.$USER_REALM,kdc-down.onprem.local,${KDC_PORT[$USER_REALM]},0,0")
dns_args+=(--srv-host="_kpasswd._udp.$USER_REALM,${DNS_HOST[$USER_REALM]},$KPASSWD_PORT,0,0"
  --srv-host="_kpasswd._tcp.$USER_REALM,${DNS_HOST[$USER_REALM]},$KPASSWD_PORT,0,0")
# URI RDATA (RFC 7553 §4.5): priority and weight (two bytes each), then the URI's bytes.
uri_rr() { # priority weight uri
  printf '%04x%04x' "$1" "$2"
  printf '%s' "$3" | od -An -tx1 -v | tr -d ' \n'
}
dns_args+=(--dns-rr="_kerberos.$FAST_REALM,256,$(uri_rr 0 0 "krb5srv::sctp:${DNS_HOST[$FAST_REALM]}")"
  --dns-rr="_kerberos.$FAST_REALM,256,$(uri_rr 1 0 "krb5srv:m:tcp:${DNS_HOST[$FAST_REALM]}:${KDC_PORT[$FAST_REALM]}")"
  --txt-record="_kerberos.${TXT_HOST#*.},$APPS_REALM")
DNS_CLIENT_HOST=ws1.clients.onprem.local
dns_args+=(--txt-record="_kerberos.${DNS_CLIENT_HOST#*.},$USER_REALM"
  --host-record="$DNS_CLIENT_HOST,127.0.0.1")
# A TXT answer too long for a UDP reply (three 250-byte strings): dnsmasq truncates it (TC) and
# answers over TCP.
long=$(printf '%0250d' 0)
dns_args+=(--txt-record="long.${TXT_HOST#*.},${long//0/a},${long//0/b},${long//0/c}")
dnsmasq "${dns_args[@]}" >"$STATE/dns/dnsmasq.out" 2>&1 \
  || die "dnsmasq failed to start: $(cat "$STATE/dns/dnsmasq.out")"
wait_tcp "$DNS_ADDR" 53 "DNS" "$STATE/dns/dnsmasq.log"
printf 'nameserver %s\noptions timeout:1 attempts:2\n' "$DNS_ADDR" >"$STATE/dns/resolv.conf"
{
  libdefaults "$USER_REALM" | sed 's/dns_lookup_kdc = false/dns_lookup_kdc = true/'
  capaths
} >"$STATE/krb5-dns.conf"
sed 's/dns_lookup_realm = false/dns_lookup_realm = true/' "$STATE/krb5-dns.conf" >"$STATE/krb5-dns-realm.conf"
grep -v '^[[:space:]]*default_realm[[:space:]]*=' "$STATE/krb5-dns-realm.conf" >"$STATE/krb5-dns-nodefault.conf"
log "DNS up: $DNS_ADDR:53 (SRV records of ${REALMS[*]}, URI of $FAST_REALM, TXT of ${TXT_HOST#*.})"

# ------------------------------------------------------------------ KCM ---
# Heimdal's kcm, in the foreground (no --detach), its own mount namespace (as
# root; else a user namespace maps us to root there). unshare and sh exec, so
# $! is kcm's PID.
printf '[libdefaults]\n\tdefault_realm = %s\n' "$USER_REALM" >"$STATE/kcm/krb5.conf"
UNSHARE=(unshare --mount --propagation private)
[[ $EUID -eq 0 ]] || UNSHARE=(unshare --user --map-root-user --mount --propagation private)
"${UNSHARE[@]}" sh -c 'mount --bind "$1/run" /run && exec kcm -c "$1/krb5.conf"' sh "$STATE/kcm" \
  </dev/null >"$STATE/kcm/kcm.out" 2>&1 &
echo $! >"$STATE/run/kcm.pid"
for ((i = 0; i < 100; i++)); do [[ -S $KCM_SOCKET ]] && break; sleep 0.05; done
[[ -S $KCM_SOCKET ]] || die "kcm did not create $KCM_SOCKET; output: $(cat "$STATE/kcm/kcm.out")"
log "Heimdal KCM up: $KCM_SOCKET (pid $(cat "$STATE/run/kcm.pid"))"

# ------------------------------------------------------------------ TLS ---
TLS=$STATE/tls
{
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -days 3650 \
    -keyout "$TLS/ca.key" -out "$TLS/ca.pem" -subj "/O=Kerberos lab/CN=Kerberos lab test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 \
    -keyout "$TLS/server.key" -out "$TLS/server.csr" -subj "/O=Kerberos lab/CN=$SVC_HOST"
  printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
    "extendedKeyUsage=serverAuth" "subjectAltName=DNS:$SVC_HOST,IP:127.0.0.1" >"$TLS/server.ext"
  openssl x509 -req -in "$TLS/server.csr" -CA "$TLS/ca.pem" -CAkey "$TLS/ca.key" -CAcreateserial \
    -sha256 -days 3650 -extfile "$TLS/server.ext" -out "$TLS/server.pem"
  # The KDC proxy's own CA (so a client trusting only the MariaDB CA above refuses
  # the proxy) and its certificate for 127.0.0.1.
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -days 3650 \
    -keyout "$TLS/proxy-ca.key" -out "$TLS/proxy-ca.pem" -subj "/O=Kerberos lab/CN=Kerberos lab KDC proxy CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 \
    -keyout "$TLS/proxy.key" -out "$TLS/proxy.csr" -subj "/O=Kerberos lab/CN=$KDC_HOST"
  printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
    "extendedKeyUsage=serverAuth" "subjectAltName=IP:$KDC_HOST" >"$TLS/proxy.ext"
  openssl x509 -req -in "$TLS/proxy.csr" -CA "$TLS/proxy-ca.pem" -CAkey "$TLS/proxy-ca.key" -CAcreateserial \
    -sha256 -days 3650 -extfile "$TLS/proxy.ext" -out "$TLS/proxy.pem"
} >"$TLS/openssl.log" 2>&1 || die "openssl failed: $(cat "$TLS/openssl.log")"
chmod 600 "$TLS"/*.key

# ------------------------------------------------------------- kdcproxy ---
# FreeIPA's kdcproxy behind a TLS WSGI server; it writes its own pid file.
mkdir -p "$STATE/kdcproxy"
KDCPROXY_CONFIG=$STATE/kdcproxy.conf setsid "$KDCPROXY_PYTHON" "$LAB_DIR/kdcproxy_server.py" \
  "$KDC_HOST" "$KDCPROXY_PORT" "$TLS/proxy.pem" "$TLS/proxy.key" "$STATE/run/kdcproxy.pid" \
  </dev/null >"$STATE/kdcproxy/kdcproxy.log" 2>&1 &
BG_PIDS+=("$!")
wait_tcp "$KDC_HOST" "$KDCPROXY_PORT" "kdcproxy" "$STATE/kdcproxy/kdcproxy.log"
for ((i = 0; i < 100; i++)); do [[ -s $STATE/run/kdcproxy.pid ]] && break; sleep 0.05; done
[[ -s $STATE/run/kdcproxy.pid ]] || die "kdcproxy wrote no pid file"
log "KDC proxy up: $KDCPROXY_URL (CA $TLS/proxy-ca.pem)"

# -------------------------------------------------------------- Heimdal ---
# Heimdal's KDC and kpasswdd (HEIMDAL.LOCAL; lab/heimdal.sh), while mariadb-install-db runs.
LAB_STATE=$STATE LAB_PORT_OFFSET=$OFF "$LAB_DIR/heimdal.sh" start || die "lab/heimdal.sh start failed (see above)"

# -------------------------------------------------------------- MariaDB ---
wait "$INSTALL_DB_PID" || die "mariadb-install-db failed; log tail:
$(tail -n 20 "$MDB/install-db.log")"
log "TLS files and MariaDB datadir created"

cat >"$MDB/init.sql" <<EOF
CREATE USER IF NOT EXISTS 'joedoe'@'%' IDENTIFIED VIA gssapi AS 'joedoe@$USER_REALM';
CREATE USER IF NOT EXISTS 'alice'@'%' IDENTIFIED VIA gssapi AS 'alice@$USER_REALM';
CREATE USER IF NOT EXISTS 'svc_batch'@'%' IDENTIFIED VIA gssapi AS 'svc_batch@$USER_REALM';
CREATE USER IF NOT EXISTS 'joedoe_tls'@'%' IDENTIFIED VIA gssapi AS 'joedoe@$USER_REALM' REQUIRE SSL;
CREATE USER IF NOT EXISTS 'anyrealm'@'%' IDENTIFIED VIA gssapi;
CREATE DATABASE IF NOT EXISTS labdb;
GRANT SELECT ON labdb.* TO 'joedoe'@'%', 'alice'@'%', 'svc_batch'@'%', 'joedoe_tls'@'%', 'anyrealm'@'%';
CREATE TABLE IF NOT EXISTS labdb.proxy_rows (id INT PRIMARY KEY, name VARCHAR(64) CHARACTER SET utf8mb4 NOT NULL, note TEXT NULL, amount DECIMAL(10,2) NOT NULL);
INSERT IGNORE INTO labdb.proxy_rows VALUES (1, 'ascii', NULL, 1.50), (2, CONVERT(X'c3bc6ec3af63c3b864c3a920e29c93' USING utf8mb4), 'tab\there', -2.25), (3, 'quote''s', 'line\nbreak', 0);
CREATE USER IF NOT EXISTS 'bench_native'@'%' IDENTIFIED BY 'Bench-native-pw';
GRANT SELECT ON labdb.* TO 'bench_native'@'%';
FLUSH PRIVILEGES;
EOF

(
  export KRB5_CONFIG=$STATE/krb5.conf KRB5RCACHEDIR=$STATE/rcache KRB5_KTNAME=FILE:$KT/mariadb-$SVC_HOST.keytab
  exec setsid mariadbd --no-defaults "${MDB_USER_ARGS[@]}" \
    --datadir="$MDB/data" --tmpdir="$MDB/tmp" --socket="$MDB_SOCKET" \
    --pid-file="$MDB/mariadbd.pid" --log-error="$MDB/mariadbd.err" \
    --bind-address="$MARIADB_HOST" --port="$MARIADB_PORT" --skip-networking=0 --skip-name-resolve \
    --innodb-log-file-size=16M --innodb-buffer-pool-size=32M --skip-log-bin --max-allowed-packet=64M \
    --plugin-load-add=auth_gssapi.so \
    --gssapi-keytab-path="$KT/mariadb-$SVC_HOST.keytab" --gssapi-principal-name="$MARIADB_SPN" \
    --ssl-ca="$TLS/ca.pem" --ssl-cert="$TLS/server.pem" --ssl-key="$TLS/server.key" \
    --init-file="$MDB/init.sql"
) </dev/null >"$MDB/mariadbd.out" 2>&1 &
echo $! >"$STATE/run/mariadbd.pid"

mdb_tail() { tail -n 20 "$MDB/mariadbd.err" 2>/dev/null; cat "$MDB/mariadbd.out" 2>/dev/null; }
for ((i = 0; i < 300; i++)); do
  kill -0 "$(cat "$STATE/run/mariadbd.pid")" 2>/dev/null || die "mariadbd exited; log tail:
$(mdb_tail)"
  if [[ -S $MDB_SOCKET ]] && port_busy "$MARIADB_HOST" "$MARIADB_PORT" \
     && mariadb-admin --no-defaults --socket="$MDB_SOCKET" --connect-timeout=2 ping >/dev/null 2>&1; then
    break
  fi
  sleep 0.1
done
(( i < 300 )) || die "mariadbd did not answer within 30 s; log tail:
$(mdb_tail)"
if [[ $EUID -eq 0 ]]; then
  n=$(mariadb --no-defaults --socket="$MDB_SOCKET" -u root -N -e \
      "SELECT COUNT(*) FROM mysql.global_priv WHERE user IN ('joedoe','alice','svc_batch','joedoe_tls','anyrealm')") \
    || die "cannot query MariaDB as root over $MDB_SOCKET"
  [[ $n == 5 ]] || die "MariaDB init file did not create the accounts (found $n); see $MDB/mariadbd.err"
fi
log "MariaDB up: $MARIADB_HOST:$MARIADB_PORT (socket $MDB_SOCKET), SPN $MARIADB_SPN"

# --------------------------------------------------------------- env.sh ---
cat >"$STATE/env.sh" <<EOF
# Generated by lab/up.sh: source it (. lab/state/env.sh) before using the lab.
export LAB_DIR='$LAB_DIR'
export LAB_STATE='$STATE'
export LAB_PORT_OFFSET=$OFF

# MIT library settings for clients (the referral config, no host name in [domain_realm]).
export KRB5_CONFIG='$STATE/krb5.conf'
export KRB5CCNAME='FILE:$STATE/ccache/default'
export KRB5RCACHEDIR='$STATE/rcache'
unset KRB5_KTNAME KRB5_CLIENT_KTNAME
export LAB_KRB5_CONFIG='$STATE/krb5.conf'
export LAB_KRB5_CONFIG_DOMAIN_REALM='$STATE/krb5-domain-realm.conf'
export LAB_CCACHE_DIR='$STATE/ccache'
# Heimdal's KCM daemon (kcm_socket in both client profiles): KRB5CCNAME=KCM: uses it.
export LAB_KCM_SOCKET='$KCM_SOCKET'
# DNS (dnsmasq): a client run under `unshare -m` with LAB_DNS_RESOLV bound over /etc/resolv.conf
# and KRB5_CONFIG=LAB_KRB5_CONFIG_DNS finds every KDC through SRV records.
export LAB_DNS_ADDR=$DNS_ADDR
export LAB_DNS_RESOLV='$STATE/dns/resolv.conf'
export LAB_DNS_LOG='$STATE/dns/dnsmasq.log'
export LAB_KRB5_CONFIG_DNS='$STATE/krb5-dns.conf'
# The same with dns_lookup_realm = true; LAB_TXT_HOST's realm is only in a TXT record.
export LAB_KRB5_CONFIG_DNS_REALM='$STATE/krb5-dns-realm.conf'
export LAB_TXT_HOST=$TXT_HOST
# The same without default_realm: the realm comes from the TXT record of LAB_DNS_CLIENT_HOST's
# domain when a client's host name is LAB_DNS_CLIENT_HOST (unshare -u).
export LAB_KRB5_CONFIG_DNS_NO_DEFAULT='$STATE/krb5-dns-nodefault.conf'
export LAB_DNS_CLIENT_HOST=$DNS_CLIENT_HOST
export LAB_KDC_PORT_FAST=${KDC_PORT[$FAST_REALM]}

# Realms and KDCs (UDP and TCP on the same port).
export LAB_USER_REALM=$USER_REALM
export LAB_SERVICE_REALM=$SVC_REALM
export LAB_TRANSIT_REALM=$HUB_REALM
export LAB_APPS_REALM=$APPS_REALM
export LAB_KDC_HOST=$KDC_HOST
export LAB_KDC_PORT_ONPREM=${KDC_PORT[$USER_REALM]}
export LAB_KDC_PORT_AD=${KDC_PORT[$SVC_REALM]}
export LAB_KDC_PORT_HUB=${KDC_PORT[$HUB_REALM]}
export LAB_KDC_PORT_APPS=${KDC_PORT[$APPS_REALM]}
export LAB_KDC_ONPREM=$KDC_HOST:${KDC_PORT[$USER_REALM]}
export LAB_KDC_AD=$KDC_HOST:${KDC_PORT[$SVC_REALM]}
export LAB_KDC_HUB=$KDC_HOST:${KDC_PORT[$HUB_REALM]}
export LAB_KDC_APPS=$KDC_HOST:${KDC_PORT[$APPS_REALM]}
export LAB_KDC_LOG_ONPREM='$STATE/kdc/$USER_REALM/kdc.log'
export LAB_KDC_LOG_AD='$STATE/kdc/$SVC_REALM/kdc.log'
export LAB_KDC_LOG_HUB='$STATE/kdc/$HUB_REALM/kdc.log'
export LAB_KDC_LOG_APPS='$STATE/kdc/$APPS_REALM/kdc.log'
# FAST.LOCAL: no encrypted timestamp (only FAST's encrypted challenge); the armor host's
# keytab; a service whose tickets need the encrypted-challenge indicator (require_auth).
export LAB_FAST_REALM=$FAST_REALM
export LAB_KDC_FAST=$KDC_HOST:${KDC_PORT[$FAST_REALM]}
export LAB_KDC_LOG_FAST='$STATE/kdc/$FAST_REALM/kdc.log'
export LAB_FAST_HOST_PRINCIPAL=host/$FAST_HOST@$FAST_REALM
export LAB_FAST_HOST_KEYTAB='$KT/host-$FAST_HOST.keytab'
export LAB_FAST_SERVICE=host/svc.fast.local@$FAST_REALM
export LAB_FAST_EC_SERVICE=$FAST_EC_SERVICE@$FAST_REALM
export LAB_FAST_EC_INDICATOR=$FAST_EC_INDICATOR
# kadmind (kpasswd_server and admin_server of $USER_REALM in the client profiles).
export LAB_KPASSWD_PORT=$KPASSWD_PORT
export LAB_KADMIND_PORT=$KADMIND_PORT
export LAB_KADMIND_LOG='$STATE/kdc/$USER_REALM/kadmind.log'
export LAB_KPW_POLICY=$KPW_POLICY
export LAB_KPW_MINLENGTH=$KPW_MINLENGTH
# kadmin.local on $USER_REALM's database: KRB5_CONFIG and KRB5_KDC_PROFILE to use.
export LAB_KDC_KRB5_CONFIG_ONPREM='$STATE/kdc/$USER_REALM/krb5.conf'
export LAB_KDC_PROFILE_ONPREM='$STATE/kdc/$USER_REALM/kdc.conf'
export LAB_MASTER_PASSWORD='$MASTER_PASSWORD'
export LAB_TRUST_AD_PASSWORD='$TRUST_AD_PW'
export LAB_TRUST_HUB_PASSWORD='$TRUST_HUB_PW'
export LAB_TRUST_APPS_PASSWORD='$TRUST_APPS_PW'

# Users in $USER_REALM (pre-auth required, except LAB_NOPREAUTH_*).
export LAB_USER=joedoe
export LAB_USER_PRINCIPAL=joedoe@$USER_REALM
export LAB_USER_PASSWORD=Passw0rd-joedoe
export LAB_USER2=alice
export LAB_USER2_PRINCIPAL=alice@$USER_REALM
export LAB_USER2_PASSWORD=Passw0rd-alice
export LAB_KT_USER=svc_batch
export LAB_KT_USER_PRINCIPAL=svc_batch@$USER_REALM
export LAB_KT_USER_PASSWORD=Passw0rd-svc_batch
export LAB_KT_USER_KEYTAB='$KT/svc_batch.keytab'
export LAB_NOPREAUTH_USER_PRINCIPAL=nopreauth@$USER_REALM
export LAB_NOPREAUTH_USER_PASSWORD=Passw0rd-nopreauth

# Services (password Passw0rd-<service>-<host>, keytabs with kvno 1).
export LAB_SERVICE_HOST=$SVC_HOST
export LAB_MARIADB_SPN=$MARIADB_SPN
export LAB_MARIADB_KEYTAB='$KT/mariadb-$SVC_HOST.keytab'
export LAB_HOST_SPN=host/$SVC_HOST@$SVC_REALM
export LAB_HOST_KEYTAB='$KT/host-$SVC_HOST.keytab'
export LAB_MYSQL_SPN=mysql/$SVC_HOST@$SVC_REALM
export LAB_MYSQL_KEYTAB='$KT/mysql-$SVC_HOST.keytab'
export LAB_APPS_HOST=$APPS_HOST
export LAB_APPS_SPN=host/$APPS_HOST@$APPS_REALM
export LAB_APPS_KEYTAB='$KT/host-$APPS_HOST.keytab'
# concNN/host.onprem.local@ONPREM.LOCAL, NN = 01..25 (random keys, no keytab).
export LAB_CONC_SERVICE_PATTERN=concNN/host.onprem.local@$USER_REALM

# MariaDB (auth_gssapi, TLS available, REQUIRE SSL on joedoe_tls).
export LAB_MARIADB_HOST=$MARIADB_HOST
export LAB_MARIADB_PORT=$MARIADB_PORT
export LAB_MARIADB_SOCKET='$MDB_SOCKET'
export LAB_MARIADB_USER=joedoe
export LAB_MARIADB_USER2=alice
export LAB_MARIADB_KT_USER=svc_batch
export LAB_MARIADB_TLS_USER=joedoe_tls
export LAB_MARIADB_ANYREALM_USER=anyrealm
export LAB_MARIADB_DATABASE=labdb
export LAB_MARIADB_TABLE=proxy_rows
export LAB_MARIADB_NATIVE_USER=bench_native
export LAB_MARIADB_NATIVE_PASSWORD=Bench-native-pw
export LAB_MARIADB_ERRLOG='$MDB/mariadbd.err'
export LAB_MARIADB_CLIENT_PLUGIN_DIR=$CLIENT_PLUGIN_DIR
export LAB_CA='$TLS/ca.pem'
export LAB_TLS_SERVER_CERT='$TLS/server.pem'
export LAB_TLS_SERVER_KEY='$TLS/server.key'

# FreeIPA's KDC proxy (MS-KKDCP) over TLS in front of every realm's KDC, and a
# client profile reaching every KDC through it (http_anchors: the proxy's CA).
export LAB_KDCPROXY_URL=$KDCPROXY_URL
export LAB_KDCPROXY_PORT=$KDCPROXY_PORT
export LAB_KDCPROXY_CA='$TLS/proxy-ca.pem'
export LAB_KDCPROXY_LOG='$STATE/kdcproxy/kdcproxy.log'
export LAB_KRB5_CONFIG_KDCPROXY='$STATE/krb5-kdcproxy.conf'
export LAB_KRB5_CONFIG_SAMBA_KDCPROXY='$STATE/krb5-samba-kdcproxy.conf'

# MIT GSS-API acceptor/initiator (Debian's python3 only).
export LAB_PYTHON=/usr/bin/python3
export LAB_GSS_ACCEPTOR='$LAB_DIR/gss_acceptor.py'

$(cat "$STATE/heimdal/env.sh")
EOF

"$LAB_DIR/samba.sh" start "$STATE" "$OFF" >>"$STATE/env.sh" || die "lab/samba.sh start failed"
trap - EXIT
T1=$(date +%s%N)
log "ready in $(( (T1 - T0) / 1000000 )) ms; source $STATE/env.sh"
