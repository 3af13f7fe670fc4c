#!/usr/bin/env python3
"""`kerb proxy` next to a direct connection to the lab's MariaDB, with PyMySQL as the client.

The direct baseline logs in as `bench_native` (mysql_native_password) over TCP; through the proxy
PyMySQL connects to the Unix socket as joedoe (Kerberos upstream). Both runs use the same upstream
transport (plain TCP, then TLS verified against the lab CA). Runs are interleaved (A B C A B C ...).
The control is a trivial byte relay, `socat UNIX-LISTEN:...,fork TCP:host:port`, that PyMySQL
reaches on a Unix socket as `bench_native` (TLS end to end through it in the TLS mode): the cost
of one more local hop through any userspace relay, with no protocol work.

* SELECT 1 round trip on one open connection (median of per-block medians), proxy, socat, direct;
* 64 concurrent clients (threads), queries per second in total, proxy, socat, direct;
* a new session (connect, SELECT 1, close): through the proxy (service ticket cached) vs
  `kerb mysql -e 'SELECT 1'` (login from a cache with the TGT and the service ticket);
* the proxy's memory: RSS fresh, with 64 idle sessions (before any other load), and peak
  (VmHWM, after the 64-client run).

    lab/up.sh && . lab/state/env.sh
    cargo build --release -p cli
    "$(scripts/lab-venv.sh)" scripts/bench-proxy.py [ROUNDS [FIGURES]]

FIGURES: a comma-separated subset of mem,rtt,qps,session (default: all).
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import pymysql

KERB = os.environ.get("KERB", os.path.join(os.path.dirname(__file__), "..", "target", "release", "kerb"))


def env(name):
    v = os.environ.get(name)
    if not v:
        sys.exit(f"{name} is not set: run lab/up.sh and source lab/state/env.sh")
    return v


def rss_kib(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


class Proxy:
    def __init__(self, d, cache_env, ssl_args):
        self.sock = os.path.join(d, f"p{len(ssl_args)}.sock")
        args = [KERB, "proxy", "-h", env("LAB_MARIADB_HOST"), "-P", env("LAB_MARIADB_PORT"),
                "--socket", self.sock, "-V"] + ssl_args
        self.p = subprocess.Popen(args, env=cache_env, stderr=subprocess.PIPE, text=True)
        for line in self.p.stderr:
            if "kerb proxy: listening on" in line:
                break
        else:
            sys.exit("kerb proxy did not start")
        threading.Thread(target=lambda: [None for _ in self.p.stderr], daemon=True).start()

    def stop(self):
        self.p.terminate()
        if self.p.wait() != 0:
            sys.exit("kerb proxy did not exit 0")


class Socat:
    """The control relay: Unix socket to the server's TCP port, byte for byte."""

    def __init__(self, d, host, port):
        exe = shutil.which("socat")
        if not exe:
            sys.exit("socat is not installed: lab/install.sh installs it (Debian package socat)")
        self.sock = os.path.join(d, "socat.sock")
        self.p = subprocess.Popen([exe, f"UNIX-LISTEN:{self.sock},fork,mode=600",
                                   f"TCP:{host}:{port},nodelay"], stderr=subprocess.DEVNULL)
        for _ in range(500):
            if os.path.exists(self.sock):
                break
            time.sleep(0.01)  # polling for the listener to appear, bounded (5 s)
        else:
            sys.exit("socat did not start")

    def stop(self):
        self.p.terminate()
        self.p.wait()


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    figures = set(sys.argv[2].split(",")) if len(sys.argv) > 2 else {"mem", "rtt", "qps", "session"}
    host, port, ca = env("LAB_MARIADB_HOST"), int(env("LAB_MARIADB_PORT")), env("LAB_CA")
    native = dict(host=host, port=port, user=env("LAB_MARIADB_NATIVE_USER"),
                  password=env("LAB_MARIADB_NATIVE_PASSWORD"))
    with tempfile.TemporaryDirectory() as d:
        os.chmod(d, 0o700)
        cache = os.path.join(d, "cc")
        cenv = dict(os.environ, KRB5CCNAME=f"FILE:{cache}")
        cenv.pop("KRB5_TRACE", None)
        subprocess.run([KERB, "kinit", env("LAB_USER_PRINCIPAL")], input=env("LAB_USER_PASSWORD") + "\n",
                       env=cenv, check=True, stdout=subprocess.DEVNULL, text=True)
        modes = {
            "plain": (["--ssl-mode", "DISABLED"], {}),
            "TLS": (["--ssl-mode", "VERIFY_CA", "--ssl-ca", ca], {"ssl": {"ca": ca}}),
        }
        print(f"{rounds} interleaved rounds per figure; PyMySQL {pymysql.VERSION_STRING}")
        print(f"{'':<40}{'proxy':>12}{'socat':>12}{'direct':>12}{'proxy/direct':>14}"
              f"{'socat/direct':>14}{'proxy/socat':>13}")

        def row(label, a, c, b, fmt):
            print(f"{label:<40}{a:>12{fmt}}{c:>12{fmt}}{b:>12{fmt}}{a / b:>14.2f}{c / b:>14.2f}{a / c:>13.2f}")

        relay = Socat(d, host, port)
        for mode, (pargs, ssl) in modes.items():
            px = Proxy(d, cenv, pargs)
            via = lambda: pymysql.connect(unix_socket=px.sock, user="joedoe")
            direct = lambda: pymysql.connect(**native, **ssl)
            # Through socat PyMySQL still verifies the server's name: host is the name checked.
            control = lambda: pymysql.connect(unix_socket=relay.sock, **native, **ssl)

            # Memory of idle sessions, measured first (before the allocator has grown): from a
            # fresh proxy (the first login's one-off allocations included) and from one open
            # session to 65 (the cost of one more idle session).
            if "mem" in figures:
                fresh = rss_kib(px.p.pid)
                first = via()
                one = rss_kib(px.p.pid)
                idle_conns = [via() for _ in range(64)]
                with64 = rss_kib(px.p.pid)
                for c in idle_conns + [first]:
                    c.close()

            # SELECT 1 round trip.
            def rtt(connect, n=500):
                c = connect()
                cur = c.cursor()
                ts = []
                for _ in range(n):
                    t = time.perf_counter()
                    cur.execute("SELECT 1")
                    cur.fetchall()
                    ts.append(time.perf_counter() - t)
                c.close()
                return statistics.median(ts)
            if "rtt" in figures:
                a, b, c = [], [], []
                for _ in range(rounds):
                    a.append(rtt(via))
                    c.append(rtt(control))
                    b.append(rtt(direct))
                ma, mb, mc = (statistics.median(x) * 1e6 for x in (a, b, c))
                row("SELECT 1 round trip µs (" + mode + ")", ma, mc, mb, ".1f")

            # 64 concurrent clients.
            def throughput(connect, clients=64, per=200):
                conns = [connect() for _ in range(clients)]
                start = threading.Barrier(clients + 1)

                def work(c):
                    cur = c.cursor()
                    start.wait()
                    for i in range(per):
                        cur.execute("SELECT %s", (i,))
                        assert cur.fetchone()[0] == i
                ths = [threading.Thread(target=work, args=(c,)) for c in conns]
                for t in ths:
                    t.start()
                start.wait()
                t0 = time.perf_counter()
                for t in ths:
                    t.join()
                qps = clients * per / (time.perf_counter() - t0)
                for c in conns:
                    c.close()
                return qps
            if "qps" in figures:
                a, b, c = [], [], []
                for _ in range(rounds):
                    a.append(throughput(via))
                    c.append(throughput(control))
                    b.append(throughput(direct))
                ma, mb, mc = (statistics.median(x) for x in (a, b, c))
                row("64 clients, queries/s (" + mode + ")", ma, mc, mb, ".0f")

            # A new session through the proxy vs `kerb mysql`'s login (tickets cached).
            kerb_mysql = [KERB, "mysql", "-h", host, "-P", str(port), "-u", "joedoe", "-e", "SELECT 1"] + pargs

            def session():
                t = time.perf_counter()
                c = via()
                c.cursor().execute("SELECT 1")
                c.close()
                return time.perf_counter() - t

            def kerb_login():
                t = time.perf_counter()
                subprocess.run(kerb_mysql, env=cenv, check=True, stdout=subprocess.DEVNULL)
                return time.perf_counter() - t
            if "session" in figures:
                a, b = [], []
                for _ in range(rounds * 4):
                    a.append(session())
                    b.append(kerb_login())
                ma, mb = statistics.median(a) * 1e3, statistics.median(b) * 1e3
                label = "new session ms (vs kerb mysql, " + mode + ")"
                print(f"{label:<40}{ma:>12.2f}{'':>12}{mb:>12.2f}{ma / mb:>14.2f}")

            peak = rss_kib(px.p.pid, "VmHWM")
            if "mem" in figures:
                print(f"proxy RSS ({mode}): fresh {fresh} KiB, 1 session {one} KiB, 65 idle "
                      f"sessions {with64} KiB: {(with64 - fresh) / 65:.1f} KiB per session from "
                      f"fresh (first login included), {(with64 - one) / 64:.1f} KiB per session "
                      f"from 1 to 65; peak {peak} KiB")
            else:
                print(f"proxy peak RSS ({mode}): {peak} KiB")
            px.stop()
        relay.stop()


if __name__ == "__main__":
    main()
