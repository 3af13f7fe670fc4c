#!/usr/bin/env python3
"""kerb kinit + kerb kvno next to MIT's kinit + kvno against the lab KDCs.

Runs N interleaved rounds (A B A B ...), each round a fresh cache: kinit with the password on
stdin, then kvno for the database's service principal across the trust. Prints the median
wall time and child CPU time of each pair of commands, the ratio, and kerb kinit's peak RSS.

    lab/up.sh && . lab/state/env.sh
    scripts/musl-build.sh          # or KERB=target/release/kerb for the glibc build
    scripts/bench-kinit.py [N]     # needs /usr/bin/time (Debian package `time`)

BENCH_CCACHE=keyring puts each round's cache in the kernel keyring (a KEYRING:session: collection
of its own, destroyed after the round, untimed) instead of a file.
"""
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

# The binary users ship: the static musl build (scripts/musl-build.sh); KERB overrides.
KERB = os.environ.get("KERB", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                           "target", "x86_64-unknown-linux-musl", "release", "kerb"))


def env(name):
    v = os.environ.get(name)
    if not v:
        sys.exit(f"{name} is not set: run lab/up.sh and source lab/state/env.sh")
    return v


KEYRING = os.environ.get("BENCH_CCACHE") == "keyring"


def cache_name(path):
    if KEYRING:
        return f"KEYRING:session:kerbbench_{os.getpid()}"
    return f"FILE:{path}"


def pair(kinit, kvno, cache, user, password, spn):
    e = dict(os.environ, KRB5CCNAME=cache_name(cache))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(kinit + [user], input=password + "\n", env=e, check=True,
                   stdout=subprocess.DEVNULL, text=True)
    subprocess.run(kvno + [spn], env=e, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if KEYRING:
        subprocess.run(["kdestroy", "-A"], env=e, check=True)
    else:
        os.unlink(cache)
    return wall, cpu


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    user, password, spn = env("LAB_USER_PRINCIPAL"), env("LAB_USER_PASSWORD"), env("LAB_MARIADB_SPN")
    ours = ([KERB, "kinit"], [KERB, "kvno"])
    mit = (["kinit"], ["kvno"])
    res = {"kerb": [], "mit": []}
    with tempfile.TemporaryDirectory() as d:
        cache = os.path.join(d, "cc")
        for cmds in (ours, mit):  # warm-up
            pair(*cmds, cache, user, password, spn)
        for _ in range(n):
            res["kerb"].append(pair(*ours, cache, user, password, spn))
            res["mit"].append(pair(*mit, cache, user, password, spn))
        # Peak RSS of one `kerb kinit`, from GNU time (Debian package `time`).
        t = subprocess.run(["/usr/bin/time", "-f", "%M", KERB, "kinit", user],
                           input=password + "\n", text=True, check=True, capture_output=True,
                           env=dict(os.environ, KRB5CCNAME=cache_name(cache)))
        peak_kib = int(t.stderr.strip().splitlines()[-1])
        if KEYRING:
            subprocess.run(["kdestroy", "-A"], env=dict(os.environ, KRB5CCNAME=cache_name(cache)),
                           check=True)
    print(f"cache: {'KEYRING (kernel keyring)' if KEYRING else 'FILE'}")
    print(f"{'':<28}{'median wall ms':>16}{'median CPU ms':>16}")
    for k in ("kerb", "mit"):
        w = statistics.median(x[0] for x in res[k]) * 1e3
        c = statistics.median(x[1] for x in res[k]) * 1e3
        label = "kerb kinit + kerb kvno" if k == "kerb" else "MIT kinit + kvno"
        print(f"{label:<28}{w:>16.2f}{c:>16.2f}")
    ratios = sorted(a[0] / b[0] for a, b in zip(res["kerb"], res["mit"]))
    print(f"ratio kerb/MIT (wall, median of {n} pairs): {statistics.median(ratios):.2f}")
    print(f"peak RSS of kerb kinit: {peak_kib / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
