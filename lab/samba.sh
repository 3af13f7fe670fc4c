#!/usr/bin/env bash
# Samba AD DC for the lab: Debian's `samba` (4.17, Heimdal KDC) as the KDC and kpasswd
# service of the AD domain SAMBA.LOCAL on 127.0.0.1 high ports, nothing else (`server
# services = kdc`, no DNS, no LDAP, no SMB).
#
#   lab/samba.sh provision          # once: provision into the cache (~20-40 s; idempotent)
#   lab/samba.sh start STATE OFFSET # copy the cached domain into STATE/samba, start two
#                                   # `samba -i` by PID; print env.sh lines on stdout
#   lab/samba.sh stop STATE         # stop them by PID file (lab/down.sh does it too)
#   lab/samba.sh kdcproxy OFFSET    # kdcproxy.conf's section for the realm: its FAST-only
#                                   # KDC and kpasswd (the lab's KDC proxy fronts them)
#
# `samba-tool domain provision` takes ~20 s, so the provisioned domain (its users, the
# machine account and keytabs) is made once into LAB_SAMBA_CACHE (default
# lab/.samba-provision/<samba version>) and copied into the state dir by every start: each
# lab starts from the same database. The provision holds no absolute path (smb.conf is
# written by start).
#
# Two `samba` processes serve the same database (same realm, same keys):
# - the plain KDC (`kdc`, default settings: PA-ENC-TIMESTAMP, FAST offered), with kpasswd;
# - the FAST-only KDC (`kdc-fast`): its Heimdal KDC reads `[kdc]
#   enable_unarmored_pa_enc_timestamp = false` from its KRB5_CONFIG, so a password is
#   proven only by encrypted challenge inside FAST (RFC 6113), like an AD DC whose policy
#   fails unarmored authentication requests for password users.
set -euo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export PATH=$PATH:/usr/sbin:/sbin

REALM=SAMBA.LOCAL
DOMAIN=SAMBA
DNS_DOMAIN=samba.local
HOST=127.0.0.1
ADMIN_PW=Passw0rd-Samba-Admin1
USER=joedoe
USER_PW=Passw0rd-Samba-1
USER2=alice
USER2_PW=Passw0rd-Samba-2
MACHINE=client1                       # sAMAccountName client1$, the armor account
MACHINE_PW=Passw0rd-client1-machine
MACHINE_HOST=client1.$DNS_DOMAIN
SVC_ACCOUNT=websvc                    # a service account with an SPN and a keytab
SVC_PW=Passw0rd-websvc-1
SVC_SPN=HTTP/web.$DNS_DOMAIN

log() { printf 'lab/samba.sh: %s\n' "$*" >&2; }
die() { printf 'lab/samba.sh: ERROR: %s\n' "$*" >&2; exit 1; }

version() { samba -V | sed 's/^Version //'; }

cache_dir() {
  # A new Samba version or a new provisioning recipe (this script's provision function)
  # makes a new cache.
  local recipe
  recipe=$({ declare -f provision_into; declare -p REALM DOMAIN DNS_DOMAIN HOST ADMIN_PW USER USER_PW \
    USER2 USER2_PW MACHINE MACHINE_PW MACHINE_HOST SVC_ACCOUNT SVC_PW SVC_SPN; } | sha256sum | cut -c1-12)
  echo "${LAB_SAMBA_CACHE:-$LAB_DIR/.samba-provision}/$(version)-$recipe"
}

# samba-tool on a provision dir (its own smb.conf, local databases).
tool() { local d=$1; shift; samba-tool "$@" -s "$d/etc/smb.conf"; }

provision_into() { # dir
  local d=$1
  samba-tool domain provision --realm="$REALM" --domain="$DOMAIN" --server-role=dc \
    --dns-backend=NONE --host-name=dc1 --host-ip="$HOST" \
    --adminpass="$ADMIN_PW" --targetdir="$d" --option="server services = kdc" >"$d.log" 2>&1 \
    || die "samba-tool domain provision failed: $(tail -n 20 "$d.log")"
  # Passwords never expire (the cache outlives 42 days) and can be changed at once (AD's
  # default minimum age is one day); complexity and the minimum length (7) stay AD's.
  tool "$d" domain passwordsettings set --min-pwd-age=0 --max-pwd-age=0 >>"$d.log"
  tool "$d" user create "$USER" "$USER_PW" >>"$d.log"
  tool "$d" user create "$USER2" "$USER2_PW" >>"$d.log"
  # The machine account (enabled, like a joined host's) with a known password, its host
  # SPN, and a service account; their keys exported as keytabs.
  tool "$d" computer create "$MACHINE" --prepare-oldjoin \
    --service-principal-name="host/$MACHINE_HOST" >>"$d.log"
  tool "$d" user setpassword "$MACHINE\$" --newpassword="$MACHINE_PW" >>"$d.log"
  tool "$d" user create "$SVC_ACCOUNT" "$SVC_PW" >>"$d.log"
  tool "$d" spn add "$SVC_SPN" "$SVC_ACCOUNT" >>"$d.log"
  # AES only for both (msDS-SupportedEncryptionTypes = 24, as a join sets it): without it
  # the KDC treats their SPNs as RC4-only, and exportkeytab by SPN exports only RC4.
  /usr/bin/python3 - "$d/etc/smb.conf" "$MACHINE\$" "$SVC_ACCOUNT" >>"$d.log" <<'PY'
import sys, ldb
from samba.samdb import SamDB
from samba.param import LoadParm
from samba.auth import system_session
lp = LoadParm()
lp.load(sys.argv[1])
db = SamDB(url=lp.private_path("sam.ldb"), session_info=system_session(), lp=lp)
for account in sys.argv[2:]:
    (entry,) = db.search(base=db.domain_dn(), attrs=[],
                         expression="(sAMAccountName=%s)" % ldb.binary_encode(account))
    m = ldb.Message(entry.dn)
    m["e"] = ldb.MessageElement("24", ldb.FLAG_MOD_REPLACE, "msDS-SupportedEncryptionTypes")
    db.modify(m)
PY
  mkdir -p "$d/keytabs"
  local m=${MACHINE^^}
  tool "$d" domain exportkeytab "$d/keytabs/$MACHINE.keytab" --principal="$m\$" >>"$d.log" 2>&1
  tool "$d" domain exportkeytab "$d/keytabs/$MACHINE.keytab" --principal="host/$MACHINE_HOST" >>"$d.log" 2>&1
  tool "$d" domain exportkeytab "$d/keytabs/$SVC_ACCOUNT.keytab" --principal="$SVC_SPN" >>"$d.log" 2>&1
  # The provision's own smb.conf names $d; start writes its own.
  rm -f "$d/etc/smb.conf" "$d/private/krb5.conf"
}

provision() {
  local cache tmp
  cache=$(cache_dir)
  [[ -e $cache/.complete ]] && { echo "$cache"; return 0; }
  mkdir -p "$(dirname "$cache")"
  # One provisioning at a time; a finished one is renamed into place.
  exec 9>"$cache.lock"
  flock 9
  [[ -e $cache/.complete ]] && { echo "$cache"; return 0; }
  tmp=$cache.tmp.$$
  rm -rf "$cache".tmp.*   # left by an interrupted provisioning (we hold the lock)
  log "provisioning $REALM with Samba $(version) into $cache (once; ~20-40 s)"
  local t0=$SECONDS
  # samba-tool needs an smb.conf: the provision writes $tmp/etc/smb.conf.
  provision_into "$tmp"
  touch "$tmp/.complete"
  mv "$tmp.log" "$tmp/provision.log"
  rm -rf "$cache"
  mv "$tmp" "$cache"
  log "provisioned in $((SECONDS - t0)) s"
  echo "$cache"
}

smb_conf() { # dir db kdc-port kpasswd-port pid-dir
  cat <<EOF
# Written by lab/samba.sh: one samba process serving the lab's SAMBA.LOCAL KDC.
[global]
	netbios name = DC1
	workgroup = $DOMAIN
	realm = $REALM
	server role = active directory domain controller
	server services = kdc
	interfaces = $HOST
	bind interfaces only = yes
	krb5 port = $3
	kpasswd port = $4
	private dir = $2/private
	lock directory = $2
	state directory = $2/state
	cache directory = $2/cache
	binddns dir = $2/bind-dns
	pid directory = $5
	log file = $1/log.%m
EOF
}

port_busy() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# The ports of both samba processes for a lab offset: the plain KDC and its kpasswd, the
# FAST-only KDC and its kpasswd.
ports() { # offset
  kdc_port=$((17588 + $1)) kpw_port=$((17564 + $1))
  fast_port=$((17688 + $1)) fast_kpw_port=$((17664 + $1))
}

# kdcproxy.conf's section: the realm through the FAST-only KDC, as behind a hardened AD's
# KDC proxy.
kdcproxy_section() { # offset
  local kdc_port kpw_port fast_port fast_kpw_port
  ports "$1"
  printf '[%s]\nkerberos = kerberos://%s:%s\nkpasswd = kpasswd://%s:%s\n' \
    "$REALM" "$HOST" "$fast_port" "$HOST" "$fast_kpw_port"
}

start() { # state offset
  local state=$1 off=$2 cache d db
  if ((EUID != 0)); then
    # Provisioning sets security.* xattrs (the sysvol ACLs); samba was not tried without root.
    log "not root: Samba AD DC skipped (the lab_samba tests need it)"
    printf '\n# Samba AD DC skipped: lab/samba.sh runs only as root.\n'
    return 0
  fi
  local kdc_port kpw_port fast_port fast_kpw_port
  ports "$off"
  for p in "$kdc_port" "$kpw_port" "$fast_port" "$fast_kpw_port"; do
    ! port_busy "$HOST" "$p" || die "port $HOST:$p (Samba) already in use; set LAB_PORT_OFFSET"
  done
  cache=$(provision)
  d=$state/samba
  db=$d/db
  # samba's messaging sockets are $db/msg.sock/<pid> (sun_path: 108 bytes).
  (( ${#db} < 80 )) || die "path $db too long for samba's sockets; use a shorter LAB_STATE"
  rm -rf "$d"
  mkdir -p "$d/run-kdc" "$d/run-kdc-fast" "$state/run" "$state/keytabs"
  cp -a "$cache" "$db"
  cp "$cache/keytabs/"*.keytab "$state/keytabs/"
  smb_conf "$d" "$db" "$kdc_port" "$kpw_port" "$d/run-kdc" >"$d/smb.conf"
  smb_conf "$d" "$db" "$fast_port" "$fast_kpw_port" "$d/run-kdc-fast" >"$d/smb-fast.conf"
  # The KDCs' own profiles (Heimdal's krb5_kdc_get_config reads [kdc] from KRB5_CONFIG).
  printf '[libdefaults]\n\tdefault_realm = %s\n' "$REALM" >"$d/kdc-krb5.conf"
  printf '[libdefaults]\n\tdefault_realm = %s\n[kdc]\n\tenable_unarmored_pa_enc_timestamp = false\n' \
    "$REALM" >"$d/kdc-fast-krb5.conf"
  # samba -i: foreground, one process (-M single), so $! is the daemon and TERM stops it.
  local name conf kconf
  for name in kdc kdc-fast; do
    conf=$d/smb.conf kconf=$d/kdc-krb5.conf
    [[ $name == kdc ]] || { conf=$d/smb-fast.conf kconf=$d/kdc-fast-krb5.conf; }
    KRB5_CONFIG=$kconf setsid samba -i -M single -d 3 -s "$conf" --debug-stdout \
      </dev/null >"$d/samba-$name.log" 2>&1 &
    echo $! >"$state/run/samba-$name.pid"
  done
  local i p
  for p in "$kdc_port:kdc" "$kpw_port:kdc" "$fast_port:kdc-fast"; do
    for ((i = 0; i < 600; i++)); do
      port_busy "$HOST" "${p%%:*}" && break
      kill -0 "$(cat "$state/run/samba-${p#*:}.pid")" 2>/dev/null \
        || die "samba (${p#*:}) exited; log tail: $(tail -n 20 "$d/samba-${p#*:}.log")"
      sleep 0.05
    done
    ((i < 600)) || die "samba (${p#*:}) not listening on $HOST:${p%%:*} after 30 s; log tail: $(tail -n 20 "$d/samba-${p#*:}.log")"
  done
  # Client profiles: the plain KDC with its kpasswd, and the FAST-only KDC.
  local conf_out
  for name in kdc kdc-fast; do
    conf_out=$state/krb5-samba.conf p=$kdc_port i=$kpw_port
    [[ $name == kdc ]] || { conf_out=$state/krb5-samba-fast.conf p=$fast_port i=$fast_kpw_port; }
    cat >"$conf_out" <<EOF
[libdefaults]
	default_realm = $REALM
	dns_lookup_kdc = false
	dns_lookup_realm = false
	rdns = false
	dns_canonicalize_hostname = false
[realms]
	$REALM = {
		kdc = $HOST:$p
		kpasswd_server = $HOST:$i
	}
EOF
  done
  log "Samba $(version) up: $REALM KDC $HOST:$kdc_port, kpasswd $HOST:$kpw_port, FAST-only KDC $HOST:$fast_port"
  local kt=$state/keytabs
  cat <<EOF

# Samba AD DC ($(version), Heimdal KDC; lab/samba.sh): realm $REALM served by two samba
# processes on one database, the plain KDC (+ kpasswd) and a FAST-only KDC.
export LAB_SAMBA_VERSION='$(version)'
export LAB_SAMBA_REALM=$REALM
export LAB_KDC_SAMBA=$HOST:$kdc_port
export LAB_SAMBA_KPASSWD=$HOST:$kpw_port
export LAB_KDC_SAMBA_FAST=$HOST:$fast_port
export LAB_KRB5_CONFIG_SAMBA='$state/krb5-samba.conf'
export LAB_KRB5_CONFIG_SAMBA_FAST='$state/krb5-samba-fast.conf'
export LAB_SAMBA_SMB_CONF='$d/smb.conf'
export LAB_SAMBA_LOG='$d/samba-kdc.log'
export LAB_SAMBA_FAST_LOG='$d/samba-kdc-fast.log'
export LAB_SAMBA_USER_PRINCIPAL=$USER@$REALM
export LAB_SAMBA_USER_PASSWORD=$USER_PW
export LAB_SAMBA_USER2_PRINCIPAL=$USER2@$REALM
export LAB_SAMBA_USER2_PASSWORD=$USER2_PW
export LAB_SAMBA_MACHINE_PRINCIPAL='${MACHINE^^}\$@$REALM'
export LAB_SAMBA_MACHINE_KEYTAB='$kt/$MACHINE.keytab'
export LAB_SAMBA_HOST_SPN=host/$MACHINE_HOST@$REALM
export LAB_SAMBA_SERVICE=$SVC_SPN@$REALM
export LAB_SAMBA_SERVICE_KEYTAB='$kt/$SVC_ACCOUNT.keytab'
EOF
}

stop() { # state
  local f pid
  for f in "$1"/run/samba-*.pid; do
    [[ -f $f ]] || continue
    pid=$(tr -dc '0-9' <"$f")
    if [[ -n $pid && $(cat "/proc/$pid/comm" 2>/dev/null) == samba ]]; then
      kill -TERM "$pid" 2>/dev/null || true
    fi
    rm -f "$f"
  done
}

case ${1:-} in
  provision) provision >/dev/null ;;
  start) [[ $# -eq 3 ]] || die "usage: lab/samba.sh start STATE OFFSET"; start "$2" "$3" ;;
  stop) [[ $# -eq 2 ]] || die "usage: lab/samba.sh stop STATE"; stop "$2" ;;
  kdcproxy) [[ $# -eq 2 ]] || die "usage: lab/samba.sh kdcproxy OFFSET"; kdcproxy_section "$2" ;;
  *) sed -n '2,12p' "$0" >&2; exit 2 ;;
esac
