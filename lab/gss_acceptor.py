#!/usr/bin/python3
"""MIT krb5 GSS-API peer for lab tests (run with Debian's /usr/bin/python3).

Accept mode (default): MIT's acceptor checks tokens from OUR initiator.
    KRB5_KTNAME=FILE:$LAB_MARIADB_KEYTAB /usr/bin/python3 lab/gss_acceptor.py \
        [--service mariadb/db.ad.myaws.com@AD.MYAWS.COM] [--expect-initiator joedoe@ONPREM.LOCAL]
Initiate mode: MIT's initiator (current ccache, KRB5CCNAME) makes tokens for OUR acceptor.
    /usr/bin/python3 lab/gss_acceptor.py --initiate mariadb/db.ad.myaws.com@AD.MYAWS.COM \
        [--target-type principal|hostbased] [--flags mutual,replay,sequence,conf,integ]

Line protocol (stdin -> stdout, one item per line, flushed):
  handshake: each input line is a context token in hex; every output token is printed as a
    hex line. When the context is complete a JSON line (starts with '{') is printed:
    {"event":"established","complete":true,"role":..,"initiator":..,"target":..,"mech":..,
     "flags":{"mutual":..,"replay":..,"sequence":..,"conf":..,"integ":..,"deleg":..,"anon":..},
     "lifetime":..}
  then (unless --exit-when-complete) per-message commands, one per line, hex arguments:
    wrap <msg> [noconf]      -> {"op":"wrap","ok":true,"token":hex,"encrypted":bool}
    unwrap <token>           -> {"op":"unwrap","ok":true,"message":hex,"encrypted":bool,"qop":n}
    mic <msg>                -> {"op":"mic","ok":true,"token":hex}
    verify <msg> <mic>       -> {"op":"verify","ok":true,"qop":n}
  A failed command prints {"op":..,"ok":false,"error":..} and the loop goes on. EOF or "quit" ends.
  Blank lines and lines starting with '#' or '{' are ignored (so two instances can be wired
  back to back).
Exit status: 0 success; 1 usage/setup error; 2 GSS failure during the handshake (message on
stderr and a {"event":"error",...} JSON line on stdout; an error token, if MIT produced one, is
printed as a hex line first); 3 --expect-initiator mismatch; 4 stdin closed before completion.
"""
import argparse
import json
import os
import sys

FLAG_NAMES = {
    "mutual": "mutual_authentication",
    "replay": "replay_detection",
    "sequence": "out_of_sequence_detection",
    "conf": "confidentiality",
    "integ": "integrity",
    "deleg": "delegate_to_peer",
    "anon": "anonymity",
}


def out(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def jout(obj):
    out(json.dumps(obj, sort_keys=True))


def err(msg):
    sys.stderr.write("gss_acceptor: " + msg + "\n")
    sys.stderr.flush()


def read_line():
    """Next meaningful stdin line, or None at EOF."""
    while True:
        line = sys.stdin.readline()
        if not line:
            return None
        line = line.strip()
        if not line or line[0] in "#{":
            continue
        return line


def unhex(s):
    try:
        return bytes.fromhex(s)
    except ValueError:
        raise ValueError("not a hex string: %r" % s[:40]) from None


def describe(ctx, role, gssapi):
    flags = ctx.actual_flags
    return {
        "event": "established",
        "complete": bool(ctx.complete),
        "role": role,
        "initiator": str(ctx.initiator_name) if ctx.initiator_name is not None else None,
        "target": str(ctx.target_name) if ctx.target_name is not None else None,
        "mech": ctx.mech.dotted_form if ctx.mech is not None else None,
        "flags": {k: getattr(gssapi.RequirementFlag, v) in flags for k, v in FLAG_NAMES.items()},
        "lifetime": ctx.lifetime,
    }


def handshake(ctx, first_token):
    """Drive the context to completion. Returns exit status (0 ok)."""
    token = first_token
    while True:
        try:
            reply = ctx.step(token)
            if reply:
                out(reply.hex())
            complete = ctx.complete  # deferred step errors surface here
        except Exception as e:  # gssapi.exceptions.GSSError and friends
            tok = getattr(e, "token", None)
            if tok:
                out(bytes(tok).hex())
            err("GSS failure: %s" % e)
            jout({"event": "error", "complete": False, "error": str(e)})
            return 2
        if complete:
            return 0
        line = read_line()
        if line is None:
            err("stdin closed before the context was complete")
            jout({"event": "error", "complete": False, "error": "stdin closed before completion"})
            return 4
        try:
            token = unhex(line)
        except ValueError as e:
            err(str(e))
            return 1


def command_loop(ctx):
    while True:
        line = read_line()
        if line is None or line == "quit":
            return
        parts = line.split()
        op, args = parts[0], parts[1:]
        try:
            if op == "wrap" and len(args) in (1, 2):
                if len(args) == 2 and args[1] != "noconf":
                    raise ValueError("usage: wrap <hex> [noconf]")
                res = ctx.wrap(unhex(args[0]), len(args) == 1)
                jout({"op": op, "ok": True, "token": res.message.hex(), "encrypted": bool(res.encrypted)})
            elif op == "unwrap" and len(args) == 1:
                res = ctx.unwrap(unhex(args[0]))
                jout({"op": op, "ok": True, "message": res.message.hex(),
                      "encrypted": bool(res.encrypted), "qop": int(res.qop)})
            elif op == "mic" and len(args) == 1:
                jout({"op": op, "ok": True, "token": ctx.get_signature(unhex(args[0])).hex()})
            elif op == "verify" and len(args) == 2:
                qop = ctx.verify_signature(unhex(args[0]), unhex(args[1]))
                jout({"op": op, "ok": True, "qop": int(qop or 0)})
            else:
                raise ValueError("unknown command or wrong arguments: %r" % line[:60])
        except Exception as e:
            jout({"op": op, "ok": False, "error": str(e)})


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--initiate", metavar="TARGET", help="act as MIT initiator for TARGET")
    p.add_argument("--target-type", choices=("principal", "hostbased"), default="principal",
                   help="name type of --initiate TARGET (hostbased: service@host)")
    p.add_argument("--flags", default="mutual,replay,sequence,conf,integ",
                   help="initiator flags, comma separated: " + ",".join(FLAG_NAMES)
                   + " (or 'none'; MIT always adds conf,integ)")
    p.add_argument("--service", help="acceptor: accept only for this principal (default: any key in the keytab)")
    p.add_argument("--keytab", help="acceptor keytab (sets KRB5_KTNAME)")
    p.add_argument("--ccache", help="initiator ccache (sets KRB5CCNAME)")
    p.add_argument("--expect-initiator", help="acceptor: exit 3 unless the initiator name is exactly this")
    p.add_argument("--no-replay-cache", action="store_true", help="acceptor: KRB5RCACHETYPE=none")
    p.add_argument("--exit-when-complete", action="store_true", help="no per-message command phase")
    a = p.parse_args()

    if a.keytab:
        os.environ["KRB5_KTNAME"] = a.keytab if ":" in a.keytab else "FILE:" + a.keytab
    if a.ccache:
        os.environ["KRB5CCNAME"] = a.ccache
    if a.no_replay_cache:
        os.environ["KRB5RCACHETYPE"] = "none"

    try:
        import gssapi
    except ImportError as e:
        err("cannot import gssapi (%s); run with Debian's /usr/bin/python3 and python3-gssapi" % e)
        return 1

    krb5_mech = gssapi.MechType.kerberos
    try:
        if a.initiate:
            flags = []
            for f in filter(None, a.flags.split(",")):
                if f == "none":
                    continue
                if f not in FLAG_NAMES:
                    err("unknown flag %r" % f)
                    return 1
                flags.append(getattr(gssapi.RequirementFlag, FLAG_NAMES[f]))
            if not flags:
                # python-gssapi treats an empty set as "default" (mutual+sequence); MIT always
                # sets conf+integ anyway, so integ alone asks for nothing beyond that.
                flags = [gssapi.RequirementFlag.integrity]
            ntype = (gssapi.NameType.kerberos_principal if a.target_type == "principal"
                     else gssapi.NameType.hostbased_service)
            name = gssapi.Name(a.initiate, ntype)
            ctx = gssapi.SecurityContext(name=name, usage="initiate", mech=krb5_mech, flags=flags)
            role, first = "initiator", None
        else:
            sname = gssapi.Name(a.service, gssapi.NameType.kerberos_principal) if a.service else None
            creds = gssapi.Credentials(name=sname, usage="accept", mechs=[krb5_mech])
            ctx = gssapi.SecurityContext(creds=creds, usage="accept")
            role = "acceptor"
            line = read_line()
            if line is None:
                err("no initiator token on stdin")
                return 4
            first = unhex(line)
    except ValueError as e:
        err(str(e))
        return 1
    except Exception as e:
        err("setup failed: %s" % e)
        jout({"event": "error", "complete": False, "error": str(e)})
        return 2

    rc = handshake(ctx, first)
    if rc:
        return rc
    info = describe(ctx, role, gssapi)
    jout(info)
    if a.expect_initiator is not None and info["initiator"] != a.expect_initiator:
        err("initiator %r is not the expected %r" % (info["initiator"], a.expect_initiator))
        return 3
    if not a.exit_when_complete:
        command_loop(ctx)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
