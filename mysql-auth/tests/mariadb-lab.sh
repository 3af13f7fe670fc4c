#!/usr/bin/env bash
# Throwaway MariaDB 10.11 on 127.0.0.1:13399 for tests/mariadb_real.rs (Debian mariadb-server).
#   tests/mariadb-lab.sh start   # creates $D, certs, keytab, users; prints the env to export
#   tests/mariadb-lab.sh stop    # shuts it down and removes $D
# Accounts: tuser/tpass (mysql_native_password, TEST AID), kuser (IDENTIFIED VIA gssapi).
set -euo pipefail
D=${MYSQL_AUTH_LAB_DIR:-/tmp/mysqlauth-mdb}
PORT=13399
case "${1:-}" in
start)
    rm -rf "$D"; mkdir -p "$D/data"; cd "$D"
    mariadb-install-db --no-defaults --user="$(id -un)" --datadir="$D/data" \
        --auth-root-authentication-method=normal >install.log 2>&1
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=test-ca" \
        -keyout ca.key -out ca.pem 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key \
        -out server.csr 2>/dev/null
    printf "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n" >ext.cnf
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
        -extfile ext.cnf -out server.pem 2>/dev/null
    printf "addent -password -p mariadb/localhost@TEST.LOCAL -k 1 -e aes256-cts-hmac-sha1-96\nsecretpw\nwkt %s/mdb.keytab\nquit\n" "$D" \
        | ktutil >/dev/null
    printf "[libdefaults]\n default_realm = TEST.LOCAL\n" >krb5.conf
    KRB5_CONFIG="$D/krb5.conf" mariadbd --no-defaults --user="$(id -un)" --datadir="$D/data" \
        --socket="$D/s" --port=$PORT --bind-address=127.0.0.1 --skip-name-resolve \
        --pid-file="$D/pid" --log-error="$D/err.log" \
        --ssl-cert="$D/server.pem" --ssl-key="$D/server.key" --ssl-ca="$D/ca.pem" \
        --plugin-load-add=auth_gssapi.so --gssapi-keytab-path="$D/mdb.keytab" \
        --gssapi-principal-name=mariadb/localhost@TEST.LOCAL &
    for _ in $(seq 50); do [ -S "$D/s" ] && break; sleep 0.2; done
    mariadb --no-defaults -S "$D/s" -uroot -e "
        CREATE USER 'tuser'@'%' IDENTIFIED VIA mysql_native_password USING PASSWORD('tpass');
        GRANT ALL ON *.* TO 'tuser'@'%';
        CREATE USER 'kuser'@'%' IDENTIFIED VIA gssapi AS 'kuser@TEST.LOCAL';"
    echo "export MYSQL_AUTH_REAL_MARIADB_PORT=$PORT MYSQL_AUTH_REAL_MARIADB_CA=$D/ca.pem" \
        "MYSQL_AUTH_REAL_MARIADB_GSSAPI_USER=kuser" \
        "MYSQL_AUTH_REAL_MARIADB_GSSAPI_SPN=mariadb/localhost@TEST.LOCAL"
    ;;
stop)
    mariadb-admin --no-defaults -S "$D/s" -uroot shutdown || true
    rm -rf "$D"
    ;;
*) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
