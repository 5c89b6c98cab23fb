#!/usr/bin/env python3
"""report_incident.py — verification histories of the runbook's incidents.

Prints verify_result_json() lines (what verify_tool prints after asking
real resolvers, the form the daemon stores) for one incident, one line
per verification, for tests/cli/report_html.t to store with
verification_seed and render with `retryctl report --format html`.

    report_incident.py INCIDENT NOW [COUNT]

INCIDENT: stale-cache (the MTA's resolver serves a cached NODATA for 2h,
then heals), pool-node (one node of the MTA's resolver pool answers
NXDOMAIN for 5h while the other node and everyone else give the MX),
outage (every server times out or SERVFAILs for 40 min), propagation
(independent resolvers disagree for 90 min), large (COUNT verifications
over 24h across 20 domains of a group, one MTA node flapping).
The answers copy the fields verify_tool gives for the lab's resolvers.
"""
import json
import sys

MTA1, MTA2 = "127.0.0.54:53", "127.0.0.55:53"
IND1, IND2 = "127.0.0.56:53", "127.0.0.57:53"
AUTH = "127.0.0.53:53"


def ans(role, server, kind, domain, ttl=300, neg=None, tr="udp"):
    rc = {"mx": 0, "nodata": 0, "nxdomain": 3, "servfail": 2,
          "timeout": None, "null-mx": 0}[kind]
    names = {0: "NOERROR", 2: "SERVFAIL", 3: "NXDOMAIN", None: "-"}
    mx = [{"preference": 10, "host": "mx1." + domain}] if kind == "mx" else []
    if kind == "null-mx":
        mx = [{"preference": 0, "host": "."}]
    return {"role": role, "server": server, "transport": tr, "status": 0,
            "rcode": rc, "rcode_name": names[rc], "kind": kind, "mx": mx,
            "ttl": ttl if kind == "mx" else 0,
            "neg_ttl": neg, "truncated": False, "ms": 1,
            "reason": "timed out" if kind == "timeout" else ""}


def line(domain, t, verdict, detail, answers):
    print(json.dumps({"domain": domain, "verdict": verdict, "detail": detail,
                      "checked_at": "", "checked_at_unix": t,
                      "best_mx": "mx1." + domain, "queries": len(answers),
                      "answers": answers}, separators=(",", ":")))


def stale_cache(now):
    d = "hotmail.test"
    for i in range(0, 36):          # every 5 min for 3 h
        t = now - 3 * 3600 + i * 300
        stale = i < 24
        line(d, t, "local-path" if stale else "healthy",
             "mta node %s stale NODATA" % MTA1 if stale else "",
             [ans("mta", MTA1, "nodata" if stale else "mx", d, neg=3600 if stale else None),
              ans("independent", IND1, "mx", d, ttl=3600 - (i % 12) * 300),
              ans("authoritative", AUTH, "mx", d, ttl=3600)])


def pool_node(now):
    d = "outlook.test"
    for i in range(0, 72):
        t = now - 6 * 3600 + i * 300
        bad = i >= 12
        line(d, t, "local-path" if bad else "healthy",
             "mta node %s NXDOMAIN" % MTA2 if bad else "",
             [ans("mta", MTA1, "mx", d),
              ans("mta", MTA2, "nxdomain" if bad else "mx", d, neg=900 if bad else None),
              ans("independent", IND1, "mx", d),
              ans("authoritative", AUTH, "mx", d, ttl=3600)])


def outage(now):
    d = "live.test"
    for i in range(0, 24):
        t = now - 2 * 3600 + i * 300
        out = 8 <= i < 16
        k1, k2 = ("timeout", "servfail") if out else ("mx", "mx")
        line(d, t, "dns-outage" if out else "healthy",
             "every server failed" if out else "",
             [ans("mta", MTA1, k2, d), ans("independent", IND1, k2, d),
              ans("authoritative", AUTH, k1, d)])


def propagation(now):
    d = "msn.test"
    for i in range(0, 30):
        t = now - 150 * 60 + i * 300
        prop = i < 18
        line(d, t, "propagation" if prop else "healthy",
             "independent resolvers disagree" if prop else "",
             [ans("mta", MTA1, "mx", d),
              ans("independent", IND1, "mx", d),
              ans("independent", IND2, "nxdomain" if prop else "mx", d, neg=1800 if prop else None),
              ans("authoritative", AUTH, "mx", d, ttl=600)])


def large(now, count):
    domains = ["d%02d.microsoft.test" % i for i in range(20)]
    step = 24 * 3600 // (count // len(domains) + 1)
    for n in range(count):
        d = domains[n % len(domains)]
        k = n // len(domains)
        t = now - 24 * 3600 + k * step
        flap = (k // 3) % 2 == 1 and d.startswith("d0")
        line(d, t, "local-path" if flap else "healthy",
             "mta node %s stale NODATA" % MTA2 if flap else "",
             [ans("mta", MTA1, "mx", d),
              ans("mta", MTA2, "nodata" if flap else "mx", d, neg=3600 if flap else None),
              ans("independent", IND1, "mx", d),
              ans("authoritative", AUTH, "mx", d, ttl=3600)])


def main():
    incident, now = sys.argv[1], int(sys.argv[2])
    if incident == "large":
        large(now, int(sys.argv[3]))
    else:
        {"stale-cache": stale_cache, "pool-node": pool_node, "outage": outage,
         "propagation": propagation}[incident](now)


main()
