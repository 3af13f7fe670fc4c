#!/usr/bin/env bash
# Heimdal's KDC and kpasswdd (Debian 12's heimdal-kdc 7.8) for the lab, without installing
# them: Debian's heimdal-kdc conflicts with the MIT krb5-kdc/krb5-admin-server the lab
# installs, so its packages (and the Heimdal libraries they need, at the same version) are
# fetched with `apt-get download` and unpacked with `dpkg -x` into a private root, and the
# binaries run with LD_LIBRARY_PATH pointing there.
#
#   lab/heimdal.sh install    # once: download + unpack into lab/.heimdal (LAB_HEIMDAL_ROOT)
#   lab/heimdal.sh start      # realm HEIMDAL.LOCAL in $LAB_STATE/heimdal, KDC + kpasswdd on
#                             # 127.0.0.1; its variables in $LAB_STATE/heimdal/env.sh
#   lab/heimdal.sh stop       # stop both by PID file (TERM, bounded wait, KILL)
#   lab/heimdal.sh kadmin ... # Heimdal's `kadmin -l` on the realm's database
#
# Called by lab/install.sh (install), lab/up.sh (start) and lab/down.sh (stop).
# Environment: LAB_STATE (default lab/state), LAB_PORT_OFFSET (default 0).
set -euo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=${LAB_HEIMDAL_ROOT:-$LAB_DIR/.heimdal}
STATE=${LAB_STATE:-$LAB_DIR/state}
OFF=${LAB_PORT_OFFSET:-0}

# heimdal-kdc's binaries (kdc, kpasswdd, kstash) and heimdal-clients' kadmin, with every
# Heimdal library they link; all at one version, so none comes from the system.
PKGS=(heimdal-kdc heimdal-clients libasn1-8-heimdal libgssapi3-heimdal libhcrypto5-heimdal
  libhdb9-heimdal libheimbase1-heimdal libheimntlm0-heimdal libhx509-5-heimdal
  libkadm5clnt7-heimdal libkadm5srv8-heimdal libkafs0-heimdal libkdc2-heimdal
  libkrb5-26-heimdal libotp0-heimdal libroken19-heimdal libsl0-heimdal libwind0-heimdal)
LIBDIR=$ROOT/root/usr/lib/x86_64-linux-gnu
KDC_BIN=$ROOT/root/usr/lib/heimdal-servers/kdc
KPASSWDD_BIN=$ROOT/root/usr/lib/heimdal-servers/kpasswdd
KADMIN_BIN=$ROOT/root/usr/bin/kadmin.heimdal
KSTASH_BIN=$ROOT/root/usr/sbin/kstash

REALM=HEIMDAL.LOCAL
HOST=127.0.0.1
KDC_PORT=$((17788 + OFF))
KPASSWD_PORT=$((17764 + OFF))
MIN_LENGTH=12
ARMOR_HOST=client.heimdal.local
SVC_HOST=svc.heimdal.local

log() { printf 'lab/heimdal.sh: %s\n' "$*" >&2; }
die() { printf 'lab/heimdal.sh: ERROR: %s\n' "$*" >&2; exit 1; }

install() {
  local stamp=$ROOT/installed want
  want=$(printf '%s\n' "${PKGS[@]}")
  if [[ -f $stamp && $(cat "$stamp") == "$want" && -x $KDC_BIN && -x $KPASSWDD_BIN ]]; then
    return 0
  fi
  command -v apt-get >/dev/null || die "apt-get not found (Debian 12 expected)"
  rm -rf "$ROOT/debs" "$ROOT/root"
  mkdir -p "$ROOT/debs" "$ROOT/root"
  # apt-get download as root warns that the _apt user cannot write here; harmless.
  (cd "$ROOT/debs" && apt-get download "${PKGS[@]}") >"$ROOT/download.log" 2>&1 \
    || die "apt-get download failed: $(tail -n 5 "$ROOT/download.log")"
  local deb
  for deb in "$ROOT"/debs/*.deb; do dpkg -x "$deb" "$ROOT/root"; done
  [[ -x $KDC_BIN && -x $KPASSWDD_BIN && -x $KADMIN_BIN && -x $KSTASH_BIN ]] \
    || die "unpacked packages lack kdc, kpasswdd, kadmin or kstash"
  LD_LIBRARY_PATH=$LIBDIR "$KDC_BIN" --version >/dev/null 2>&1 \
    || die "the unpacked kdc does not run: $(LD_LIBRARY_PATH=$LIBDIR ldd "$KDC_BIN" | grep 'not found')"
  printf '%s\n' "$want" >"$stamp"
  log "Heimdal $(cd "$ROOT/debs" && ls heimdal-kdc_*.deb | cut -d_ -f2) unpacked in $ROOT/root"
}

port_busy() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# The Heimdal tools with the private libraries and the realm's own profile.
heim() { LD_LIBRARY_PATH=$LIBDIR KRB5_CONFIG=$D/krb5.conf "$@"; }

start() {
  [[ -e $STATE/.lab-state ]] || die "$STATE is not a lab state dir (run lab/up.sh)"
  [[ -x $KDC_BIN ]] || die "Heimdal is not unpacked in $ROOT; run lab/heimdal.sh install"
  D=$STATE/heimdal
  local kt=$STATE/keytabs p
  for p in "$KDC_PORT" "$KPASSWD_PORT"; do
    ! port_busy "$HOST" "$p" || die "port $HOST:$p already in use; set LAB_PORT_OFFSET"
  done
  rm -rf "$D"
  mkdir -p "$D" "$kt"
  chmod 700 "$D"

  # The KDC side: the database (sqlite), its master key, logs at every level (the KDC logs
  # which pre-authentication succeeded: "ENC-CHAL pre-authentication succeeded"), AES keys
  # only (Heimdal 7.8 has no RFC 8009 enctypes), kpasswdd's password-quality check.
  cat >"$D/krb5.conf" <<EOF
[libdefaults]
	default_realm = $REALM
	dns_lookup_kdc = false
	dns_lookup_realm = false
[realms]
	$REALM = {
		kdc = $HOST:$KDC_PORT
		kpasswd_server = $HOST:$KPASSWD_PORT
	}
[kdc]
	num-kdc-processes = 1
	database = {
		dbname = db3:$D/heimdal
		realm = $REALM
		mkey_file = $D/m-key
		acl_file = $D/kadmind.acl
		log_file = $D/heimdal.log
	}
[kadmin]
	default_keys = aes256-cts-hmac-sha1-96:pw-salt aes128-cts-hmac-sha1-96:pw-salt
[password_quality]
	policies = builtin:minimum-length
	min_length = $MIN_LENGTH
[logging]
	kdc = 0-/FILE:$D/kdc.log
	kpasswdd = 0-/FILE:$D/kpasswdd.log
	default = 0-/FILE:$D/heimdal-tools.log
EOF
  : >"$D/kadmind.acl"

  # The clients' profile of the realm (kerb and MIT's tools).
  cat >"$STATE/krb5-heimdal.conf" <<EOF
[libdefaults]
	default_realm = $REALM
	dns_lookup_kdc = false
	dns_lookup_realm = false
	dns_canonicalize_hostname = false
	rdns = false
	qualify_shortname = ""
[realms]
	$REALM = {
		kdc = $HOST:$KDC_PORT
		kpasswd_server = $HOST:$KPASSWD_PORT
	}
EOF

  heim "$KSTASH_BIN" --random-key --key-file="$D/m-key" >"$D/kstash.out" 2>&1 \
    || die "kstash failed: $(cat "$D/kstash.out")"
  # One kadmin -l for every query (init creates krbtgt, kadmin/changepw and the FAST cookie
  # key WELLKNOWN/org.h5l.fast-cookie@WELLKNOWN:ORG.H5L). Fixed passwords, as in the MIT realms.
  local u
  {
    echo "init --realm-max-ticket-life=10h --realm-max-renewable-life=7d $REALM"
    for u in joedoe alice; do
      echo "add --password=Passw0rd-$u --use-defaults --attributes=requires-pre-auth $u@$REALM"
    done
    for u in "host/$ARMOR_HOST" "host/$SVC_HOST"; do
      echo "add --password=Passw0rd-${u//\//-} --use-defaults $u@$REALM"
      echo "ext_keytab --keytab=$kt/${u//\//-}.keytab $u@$REALM"
    done
  } | heim "$KADMIN_BIN" -l -r "$REALM" >"$D/kadmin.out" 2>&1 \
    || die "kadmin -l failed: $(cat "$D/kadmin.out")"
  if grep -Eiq 'error|fail|not found|unknown|usage' "$D/kadmin.out"; then
    die "kadmin -l reported errors: $(cat "$D/kadmin.out")"
  fi
  [[ -s $kt/host-$ARMOR_HOST.keytab && -s $kt/host-$SVC_HOST.keytab ]] || die "keytabs missing"
  chmod 600 "$kt"/host-*.heimdal.local.keytab
  # A user with RFC 8009 keys first (Heimdal 7.8 has them; the realm's default is AES-SHA1):
  # its salt gets a random prefix from kadmin, sent in ETYPE-INFO2.
  sed 's/^\(\tdefault_keys = \).*/\1aes256-cts-hmac-sha384-192:pw-salt aes128-cts-hmac-sha256-128:pw-salt aes256-cts-hmac-sha1-96:pw-salt/' \
    "$D/krb5.conf" >"$D/krb5-sha2-keys.conf"
  LD_LIBRARY_PATH=$LIBDIR KRB5_CONFIG=$D/krb5-sha2-keys.conf "$KADMIN_BIN" -l -r "$REALM" \
    add --password=Passw0rd-sha2user --use-defaults --attributes=requires-pre-auth "sha2user@$REALM" \
    >"$D/kadmin-sha2.out" 2>&1 || die "kadmin -l (sha2user) failed: $(cat "$D/kadmin-sha2.out")"

  # Foreground daemons in their own sessions; $! is the daemon (exec).
  setsid env LD_LIBRARY_PATH="$LIBDIR" KRB5_CONFIG="$D/krb5.conf" \
    "$KDC_BIN" --addresses="$HOST" --ports="$KDC_PORT" </dev/null >"$D/kdc.out" 2>&1 &
  echo $! >"$D/kdc.pid"
  setsid env LD_LIBRARY_PATH="$LIBDIR" KRB5_CONFIG="$D/krb5.conf" \
    "$KPASSWDD_BIN" --addresses="$HOST" --port="$KPASSWD_PORT" --realm="$REALM" \
    </dev/null >"$D/kpasswdd.out" 2>&1 &
  echo $! >"$D/kpasswdd.pid"
  local i
  for ((i = 0; i < 100; i++)); do
    port_busy "$HOST" "$KDC_PORT" && break
    kill -0 "$(cat "$D/kdc.pid")" 2>/dev/null || break
    sleep 0.05
  done
  port_busy "$HOST" "$KDC_PORT" || die "Heimdal kdc not listening on $HOST:$KDC_PORT; output:
$(cat "$D/kdc.out"; tail -n 20 "$D/kdc.log" 2>/dev/null)"
  # kpasswdd listens on UDP only: wait for its socket in /proc/net/udp.
  local hexport
  hexport=$(printf ':%04X ' "$KPASSWD_PORT")
  for ((i = 0; i < 100; i++)); do
    grep -q "0100007F$hexport" /proc/net/udp && break
    kill -0 "$(cat "$D/kpasswdd.pid")" 2>/dev/null || break
    sleep 0.05
  done
  grep -q "0100007F$hexport" /proc/net/udp || die "kpasswdd not listening on UDP $HOST:$KPASSWD_PORT; output:
$(cat "$D/kpasswdd.out"; tail -n 20 "$D/kpasswdd.log" 2>/dev/null)"

  # lab/up.sh copies these into $STATE/env.sh.
  cat >"$D/env.sh" <<EOF
# Heimdal's KDC and kpasswdd (7.8, lab/heimdal.sh): realm $REALM, its own client profile.
export LAB_HEIMDAL_REALM=$REALM
export LAB_HEIMDAL_KRB5_CONFIG='$STATE/krb5-heimdal.conf'
export LAB_KDC_HEIMDAL=$HOST:$KDC_PORT
export LAB_KDC_LOG_HEIMDAL='$D/kdc.log'
export LAB_HEIMDAL_KPASSWD_PORT=$KPASSWD_PORT
export LAB_HEIMDAL_KPASSWDD_LOG='$D/kpasswdd.log'
export LAB_HEIMDAL_KPW_MINLENGTH=$MIN_LENGTH
export LAB_HEIMDAL_USER_PRINCIPAL=joedoe@$REALM
export LAB_HEIMDAL_USER_PASSWORD=Passw0rd-joedoe
export LAB_HEIMDAL_USER2_PRINCIPAL=alice@$REALM
export LAB_HEIMDAL_USER2_PASSWORD=Passw0rd-alice
# Keys aes256-sha384, aes128-sha256 (RFC 8009; salt with kadmin's random prefix), aes256-sha1.
export LAB_HEIMDAL_SHA2_USER_PRINCIPAL=sha2user@$REALM
export LAB_HEIMDAL_SHA2_USER_PASSWORD=Passw0rd-sha2user
# Heimdal's kadmin -l on the realm's database: \$LAB_DIR/heimdal.sh kadmin COMMAND ARGS...
export LAB_HEIMDAL_HOST_PRINCIPAL=host/$ARMOR_HOST@$REALM
export LAB_HEIMDAL_HOST_KEYTAB='$kt/host-$ARMOR_HOST.keytab'
export LAB_HEIMDAL_SERVICE=host/$SVC_HOST@$REALM
export LAB_HEIMDAL_SERVICE_KEYTAB='$kt/host-$SVC_HOST.keytab'
EOF
  log "Heimdal KDC $HOST:$KDC_PORT (pid $(cat "$D/kdc.pid")), kpasswdd udp $HOST:$KPASSWD_PORT (pid $(cat "$D/kpasswdd.pid"))"
}

stop() {
  local D=$STATE/heimdal f pid comm pids=()
  shopt -s nullglob
  for f in "$D"/kdc.pid "$D"/kpasswdd.pid; do
    [[ -f $f ]] || continue
    pid=$(tr -dc '0-9' <"$f" || true)
    # Only our daemons: a stale pid file must not hit a reused PID.
    comm=$(cat "/proc/$pid/comm" 2>/dev/null || true)
    [[ -n $pid && ( $comm == kdc || $comm == kpasswdd ) ]] || continue
    pids+=("$pid")
    # The KDC's master forks a worker, which it would TERM only a second after its own TERM.
    # shellcheck disable=SC2046
    [[ $comm != kdc ]] || pids+=($(cat /proc/"$pid"/task/*/children 2>/dev/null))
  done
  rm -f "$D"/kdc.pid "$D"/kpasswdd.pid
  ((${#pids[@]})) || return 0
  kill -TERM "${pids[@]}" 2>/dev/null || true
  local i alive
  for ((i = 0; i < 100; i++)); do
    alive=()
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive+=("$pid"); done
    ((${#alive[@]})) || return 0
    sleep 0.1
  done
  kill -KILL "${alive[@]}" 2>/dev/null || true
}

# `kadmin -l` on the running lab's database (tests make their own principals with it).
kadmin_local() {
  D=$STATE/heimdal
  [[ -f $D/krb5.conf ]] || die "no Heimdal realm in $STATE (run lab/up.sh)"
  heim "$KADMIN_BIN" -l -r "$REALM" "$@"
}

case ${1:-} in
  install) install ;;
  start) start ;;
  stop) stop ;;
  kadmin) shift; kadmin_local "$@" ;;
  *) sed -n '2,16p' "$0" >&2; exit 2 ;;
esac
