#!/usr/bin/env python3
"""Armored kinit + kvno: `kerb kinit -T ARMOR` + `kerb kvno` next to MIT's `kinit -T ARMOR` + `kvno`
against the lab's FAST.LOCAL KDC (passwords only through FAST, RFC 6113).

Each tool gets an armor cache made once, untimed, by its own `kinit -k` from the host keytab. Then
N interleaved rounds (A B A B ...), each with a fresh cache: the armored kinit with the password
on stdin (encrypted challenge), then kvno for an ordinary service of the realm. Prints the median
wall time and child CPU time of each pair of commands and the ratio, as scripts/bench-kinit.py.

    lab/up.sh && . lab/state/env.sh
    scripts/musl-build.sh          # or KERB=target/release/kerb for the glibc build
    scripts/bench-fast.py [N]
"""
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

KERB = os.environ.get("KERB", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                           "target", "x86_64-unknown-linux-musl", "release", "kerb"))
PASSWORD = "Passw0rd-joedoe"


def env(name):
    v = os.environ.get(name)
    if not v:
        sys.exit(f"{name} is not set: run lab/up.sh and source lab/state/env.sh")
    return v


def pair(kinit, kvno, cache, user, spn):
    e = dict(os.environ, KRB5CCNAME=f"FILE:{cache}")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(kinit + [user], input=PASSWORD + "\n", env=e, check=True,
                   stdout=subprocess.DEVNULL, text=True)
    subprocess.run(kvno + [spn], env=e, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    os.unlink(cache)
    return wall, cpu


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    user = "joedoe@" + env("LAB_FAST_REALM")
    spn = env("LAB_FAST_SERVICE")
    keytab, host = env("LAB_FAST_HOST_KEYTAB"), env("LAB_FAST_HOST_PRINCIPAL")
    res = {"kerb": [], "mit": []}
    with tempfile.TemporaryDirectory() as d:
        armor = {k: os.path.join(d, f"armor-{k}") for k in res}
        subprocess.run([KERB, "kinit", "-k", "-t", keytab, "-c", armor["kerb"], host], check=True)
        subprocess.run(["kinit", "-k", "-t", keytab, "-c", armor["mit"], host], check=True)
        ours = ([KERB, "kinit", "-T", armor["kerb"]], [KERB, "kvno"])
        mit = (["kinit", "-T", armor["mit"]], ["kvno"])
        cache = os.path.join(d, "cc")
        for cmds in (ours, mit):  # warm-up
            pair(*cmds, cache, user, spn)
        for _ in range(n):
            res["kerb"].append(pair(*ours, cache, user, spn))
            res["mit"].append(pair(*mit, cache, user, spn))
    print(f"{'':<36}{'median wall ms':>16}{'median CPU ms':>16}")
    for k in ("kerb", "mit"):
        w = statistics.median(x[0] for x in res[k]) * 1e3
        c = statistics.median(x[1] for x in res[k]) * 1e3
        label = "kerb kinit -T + kerb kvno" if k == "kerb" else "MIT kinit -T + kvno"
        print(f"{label:<36}{w:>16.2f}{c:>16.2f}")
    ratios = sorted(a[0] / b[0] for a, b in zip(res["kerb"], res["mit"]))
    print(f"ratio kerb/MIT (wall, median of {n} pairs): {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
