#!/usr/bin/python3
"""check.py - compare the ratios of a bench run with the committed baseline (`make bench-check`).

    check.py BASELINE.json RUN.json [--tolerance 0.2]
    check.py --update BASELINE.json RUN.json      write RUN's ratios as the new baseline

Every ratio of bench/report.py is oriented so that higher is better; a ratio regressed when it
fell below (1 - tolerance) x its baseline. Only Capacitor's own ratios are gated (modes l1 and
l2, the floor comparisons, Capacitor's scaling, instructions): the peers' ratios (pgpool-II,
MariaDB's query cache, the floor itself, direct scaling) describe the peers. Exit status 1 when
a ratio regressed, 0 otherwise (a ratio missing from the run is reported, not failed).
"""
import json
import sys
import time


def gated(key):
    last = key.rsplit(".", 1)[-1]
    if last in ("pgpool", "qc", "floor"):
        return False
    return not key.startswith("scaling.direct.")


def main():
    args = sys.argv[1:]
    update = "--update" in args
    tol = 0.2
    if "--tolerance" in args:
        i = args.index("--tolerance")
        tol = float(args[i + 1])
        del args[i:i + 2]
    args = [a for a in args if a != "--update"]
    if len(args) != 2:
        sys.exit(__doc__)
    base_path, run_path = args
    with open(run_path) as f:
        run = json.load(f)
    ratios = {k: v for k, v in run.get("ratios", {}).items() if gated(k)}
    if update:
        doc = {"note": "ratios of a short `make bench-check` run (bench/check.sh); refresh with "
                       "bench/check.sh --update on a quiet machine",
               "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "machine": run.get("machine"), "params": run.get("params"),
               "ratios": {k: round(v, 4) for k, v in sorted(ratios.items())}}
        with open(base_path, "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
        print("baseline: %d ratios written to %s" % (len(ratios), base_path))
        return 0
    with open(base_path) as f:
        base = json.load(f).get("ratios", {})
    bad = 0
    print("%-52s %10s %10s %8s" % ("ratio (higher is better)", "baseline", "now", "change"))
    for k in sorted(base):
        if not gated(k):
            continue
        b = base[k]
        v = ratios.get(k)
        if v is None:
            print("%-52s %10.3f %10s %8s  MISSING" % (k, b, "-", "-"))
            continue
        ch = v / b - 1 if b else 0
        flag = ""
        if v < b * (1 - tol):
            flag = "  REGRESSED"
            bad += 1
        print("%-52s %10.3f %10.3f %+7.0f%%%s" % (k, b, v, ch * 100, flag))
    for k in sorted(set(ratios) - set(base)):
        print("%-52s %10s %10.3f %8s  new" % (k, "-", ratios[k], "-"))
    if bad:
        print("bench-check: %d ratio(s) regressed by more than %.0f%%" % (bad, tol * 100))
        return 1
    print("bench-check: no ratio regressed by more than %.0f%%" % (tol * 100))
    return 0


if __name__ == "__main__":
    sys.exit(main())
