#!/usr/bin/env bash
# Install the Debian 12 packages the lab needs. Idempotent: skips apt entirely
# when everything is already installed. Extra package names may be given as
# arguments (e.g. `lab/install.sh shellcheck`).
#
# Services are NOT started by the install: a temporary /usr/sbin/policy-rc.d
# exiting 101 is created if (and only if) none exists, and removed afterwards.
set -euo pipefail

PKGS=(
  krb5-kdc krb5-admin-server krb5-user        # MIT KDC, kdb5_util/kadmin.local, kinit/kvno/klist
  krb5-k5tls                                  # MIT libkrb5 TLS module: kdc = https:// (MS-KKDCP) for the control
  mariadb-server mariadb-client               # mariadbd, mariadb-install-db, mariadb CLI
  mariadb-plugin-gssapi-server                # auth_gssapi.so (server side)
  mariadb-plugin-gssapi-client                # auth_gssapi_client.so (for the mariadb CLI)
  python3-gssapi                              # MIT GSS acceptor/initiator for lab/gss_acceptor.py
  heimdal-kcm                                 # Heimdal's KCM daemon (KCM: credential caches)
  dnsmasq-base                                # DNS server for the SRV discovery test (no service)
  openssl                                     # TLS CA + server certificate for MariaDB
  musl-tools                                  # static musl builds of the client
  socat                                       # the control relay of scripts/bench-proxy.py
  "$@"
)
# Samba AD DC for lab/samba.sh, installed without recommends (no winbind NSS/PAM modules);
# its services are disabled afterwards (lab/samba.sh runs samba itself).
SAMBA_PKGS=(samba samba-ad-dc samba-dsdb-modules samba-ad-provision)
PKGS+=("${SAMBA_PKGS[@]}")

missing=()
for p in "${PKGS[@]}"; do
  if [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" != "install ok installed" ]]; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "lab/install.sh: all ${#PKGS[@]} packages already installed"
  exec "$(dirname "${BASH_SOURCE[0]}")/heimdal.sh" install  # Heimdal's KDC, unpacked (not installed)
fi

if [[ $EUID -ne 0 ]]; then
  echo "lab/install.sh: missing packages (${missing[*]}); run this script as root" >&2
  exit 1
fi

POLICY=/usr/sbin/policy-rc.d
if [[ ! -e $POLICY ]]; then
  printf '#!/bin/sh\n# temporary, created by lab/install.sh\nexit 101\n' >"$POLICY"
  chmod 755 "$POLICY"
  trap 'rm -f "$POLICY"' EXIT
fi

echo "lab/install.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update
plain=() samba=()
for p in "${missing[@]}"; do
  if [[ " ${SAMBA_PKGS[*]} " == *" $p "* ]]; then samba+=("$p"); else plain+=("$p"); fi
done
((${#plain[@]} == 0)) || apt-get install -y "${plain[@]}"
if ((${#samba[@]})); then
  apt-get install -y --no-install-recommends "${samba[@]}"
  # Debian enables smbd, nmbd, winbind and samba-ad-dc at boot: the lab needs none of them.
  ! command -v systemctl >/dev/null || systemctl disable smbd nmbd winbind samba-ad-dc >/dev/null 2>&1 || true
fi
"$(dirname "${BASH_SOURCE[0]}")/heimdal.sh" install
