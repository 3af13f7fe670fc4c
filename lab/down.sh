#!/usr/bin/env bash
# Stop the lab started by lab/up.sh, by PID file only: TERM, bounded wait,
# then KILL. State is kept unless --clean is given.
#
#   lab/down.sh [--clean]        (LAB_STATE selects the state dir)
set -euo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STATE=${LAB_STATE:-$LAB_DIR/state}
CLEAN=0
for a in "$@"; do
  case $a in
    --clean) CLEAN=1 ;;
    -h|--help) sed -n '2,5p' "$0"; exit 0 ;;
    *) echo "lab/down.sh: unknown argument $a" >&2; exit 2 ;;
  esac
done

log() { printf 'lab/down.sh: %s\n' "$*"; }

if [[ ! -d $STATE ]]; then
  log "no state dir $STATE; nothing to do"
  exit 0
fi
if [[ ! -e $STATE/.lab-state ]]; then
  echo "lab/down.sh: $STATE is not a lab state dir (no .lab-state marker)" >&2
  exit 1
fi

LAB_STATE=$STATE "$LAB_DIR/heimdal.sh" stop || log "lab/heimdal.sh stop failed"  # Heimdal's KDC, kpasswdd

# Collect PIDs: our own run/*.pid files plus the daemons' own pid files.
pids=()
names=()
declare -A seen=()
shopt -s nullglob
for f in "$STATE"/run/*.pid "$STATE"/mariadb/mariadbd.pid; do
  [[ -f $f ]] || continue
  pid=$(tr -dc '0-9' <"$f" || true)
  [[ -n $pid && -z ${seen[$pid]:-} ]] || continue
  seen[$pid]=1
  # Only our daemons: a stale pid file must not hit a reused PID.
  comm=$(cat "/proc/$pid/comm" 2>/dev/null || true)
  # The KDC proxy is a python process running lab/kdcproxy_server.py.
  if [[ $comm == python* ]] && ! tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q kdcproxy_server.py; then
    comm=
  fi
  if [[ $comm == krb5kdc || $comm == kadmind || $comm == mariadbd || $comm == kcm || $comm == dnsmasq || $comm == python* || $comm == samba ]] && kill -0 "$pid" 2>/dev/null; then
    pids+=("$pid")
    names+=("$(basename "$f" .pid)")
  fi
done

if ((${#pids[@]})); then
  log "stopping ${names[*]} (pids ${pids[*]})"
  kill -TERM "${pids[@]}" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    alive=()
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive+=("$p"); done
    ((${#alive[@]})) || break
    sleep 0.1
  done
  if ((${#alive[@]})); then
    log "still alive after 10 s, sending KILL to ${alive[*]}"
    kill -KILL "${alive[@]}" 2>/dev/null || true
    sleep 0.2
  fi
else
  log "nothing running"
fi
rm -f "$STATE"/run/*.pid

if ((CLEAN)); then
  rm -rf -- "$STATE"
  log "removed $STATE"
fi
