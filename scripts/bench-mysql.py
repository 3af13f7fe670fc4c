#!/usr/bin/env python3
"""`kerb mysql -e 'SELECT 1'` next to the `mariadb` client (auth_gssapi_client over MIT's
libgssapi_krb5) against the lab's MariaDB.

Each round starts from a fresh cache holding only joedoe's TGT (`kerb kinit`, not timed), so
both clients do the same work: the cross-realm TGS walk ONPREM.LOCAL -> AD.MYAWS.COM, the
login, one query, quit. Runs are interleaved (A B A B ...). Prints medians and the ratio,
for plain TCP and for TLS (CA-verified).

    lab/up.sh && . lab/state/env.sh
    cargo build --release -p cli      # or KERB=target/x86_64-unknown-linux-musl/release/kerb
    scripts/bench-mysql.py [N]
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

KERB = os.environ.get("KERB", os.path.join(os.path.dirname(__file__), "..", "target", "release", "kerb"))


def env(name):
    v = os.environ.get(name)
    if not v:
        sys.exit(f"{name} is not set: run lab/up.sh and source lab/state/env.sh")
    return v


def kinit(cache, user, password):
    e = dict(os.environ, KRB5CCNAME=f"FILE:{cache}")
    if os.path.exists(cache):
        os.unlink(cache)
    subprocess.run([KERB, "kinit", user], input=password + "\n", env=e, check=True,
                   stdout=subprocess.DEVNULL, text=True)
    return e


def timed(cmd, e):
    t = time.perf_counter()
    p = subprocess.run(cmd, env=e, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if p.returncode != 0 or p.stdout.split() != ["1", "1"]:
        sys.exit(f"{cmd[0]} failed ({p.returncode}): {p.stdout!r} {p.stderr!r}")
    return wall


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    user, password = env("LAB_USER_PRINCIPAL"), env("LAB_USER_PASSWORD")
    host, port = env("LAB_MARIADB_HOST"), env("LAB_MARIADB_PORT")
    account, ca = env("LAB_MARIADB_USER"), env("LAB_CA")
    plugin_dir = env("LAB_MARIADB_CLIENT_PLUGIN_DIR")
    common_kerb = [KERB, "mysql", "-h", host, "-P", port, "-u", account, "-e", "SELECT 1"]
    common_maria = ["mariadb", "-h", host, "-P", port, "-u", account, "-e", "SELECT 1",
                    f"--plugin-dir={plugin_dir}"]
    modes = {
        "plain": (common_kerb + ["--ssl-mode", "DISABLED"], common_maria + ["--skip-ssl"]),
        "TLS": (common_kerb + ["--ssl-mode", "VERIFY_CA", "--ssl-ca", ca],
                common_maria + ["--ssl", f"--ssl-ca={ca}"]),
    }
    print(f"{n} interleaved rounds per mode; each login from a TGT-only cache (cross-realm walk)")
    print(f"{'':<26}{'kerb ms':>10}{'mariadb ms':>12}{'ratio':>8}")
    with tempfile.TemporaryDirectory() as d:
        cache = os.path.join(d, "cc")
        for mode, (ours, theirs) in modes.items():
            for cmd in (ours, theirs):  # warm-up
                timed(cmd, kinit(cache, user, password))
            res = {"kerb": [], "mariadb": []}
            for _ in range(n):
                res["kerb"].append(timed(ours, kinit(cache, user, password)))
                res["mariadb"].append(timed(theirs, kinit(cache, user, password)))
            a = statistics.median(res["kerb"]) * 1e3
            b = statistics.median(res["mariadb"]) * 1e3
            ratios = sorted(x / y for x, y in zip(res["kerb"], res["mariadb"]))
            label = f"login + SELECT 1 ({mode})"
            print(f"{label:<26}{a:>10.2f}{b:>12.2f}{statistics.median(ratios):>8.2f}")


if __name__ == "__main__":
    main()
