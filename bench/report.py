#!/usr/bin/python3
"""report.py - turn the lines bench/run.sh measured into the terminal table, the JSON file and
the gnuplot charts of `make bench`.

    report.py --raw RAW --params PARAMS [--micro MICRO] --json OUT.json [--charts DIR]

RAW holds one measured figure per line, "KIND key=value ... round=R":
    lat path=P mode=M n= p50_ns= p90_ns= p99_ns= mean_ns= allocs=   one latency case
    tput name=W mode=M tps=                                          one load-generator run
    time name=W mode=M seconds=                                      one timed workload
    scale kind=threads|processes n=K mode=M qps=                     one scaling run
    instr path=P mode=M ir_per_query=                                callgrind, client side
    verify name=C hits=                                              a cache's own hit counter
Every ratio is taken between two figures of the same round and the median over rounds is
reported; every ratio is oriented so that higher is better for Capacitor (or the peer): a
latency ratio is direct / mode, a throughput ratio mode / direct, a time ratio direct / mode.
The "ratios" object of the JSON is what `make bench-check` compares with bench/baseline.json.
"""
import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time

PG_MODES = ["direct", "l1", "l2", "pgpool", "floor"]
MY_MODES = ["direct", "qc", "l1"]
MODE_NAMES = {
    "direct": "direct",
    "l1": "Capacitor memory tier",
    "l2": "Capacitor shared tier",
    "pgpool": "pgpool-II query cache",
    "qc": "MariaDB query cache",
    "floor": "PQcopyResult floor",
}
PATH_NAMES = {
    "libpq_exec": "libpq PQexec",
    "libpq_sync": "libpq PQexecParams",
    "libpq_prepared": "libpq PQexecPrepared",
    "libpq_nonblocking": "libpq nonblocking (PQisBusy first)",
    "libpq_nonblocking_poll": "libpq nonblocking (polls first)",
    "libpq_miss": "libpq miss (new key each)",
    "py_psycopg2": "psycopg2",
    "py_psycopg": "psycopg 3",
    "py_psycopg_async": "psycopg 3 asyncio",
    "mysql_text": "Connector/C text",
    "mysql_stmt": "Connector/C prepared",
    "mysql_miss": "Connector/C miss",
    "py_MySQLdb": "MySQLdb",
}
PATH_ORDER = list(PATH_NAMES)
# What the issue asks Capacitor to reach: (ratio key, minimum, what it means).
GOALS = [
    ("latency.libpq_sync.l1_vs_floor", 0.5, "memory-tier hit within 2x of the PQcopyResult floor"),
    ("throughput.pgbench_S_simple.l1", 20.0, "pgbench -S (simple) >= 20x direct"),
    ("throughput.pgbench_S_extended.l1", 20.0, "pgbench -S (extended) >= 20x direct"),
    ("throughput.pgbench_S_prepared.l1", 20.0, "pgbench -S (prepared) >= 20x direct"),
    ("throughput.pgbench_tpcb.l1", 0.97, "TPC-B >= 97% of direct"),
    ("throughput.sysbench_oltp_read_write.l1", 0.97, "sysbench oltp_read_write >= 97% of direct"),
    ("time.ddl_heavy.l1", 0.90, "DDL-heavy workload >= 90% of direct"),
    ("scaling.l1.threads_2", 1.9, "two threads >= 1.9x one"),
]


def parse_raw(path):
    recs = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if not parts:
                continue
            rec = {"type": parts[0]}
            for kv in parts[1:]:
                k, _, v = kv.partition("=")
                try:
                    rec[k] = float(v) if re.fullmatch(r"-?[0-9.]+(e[-+]?[0-9]+)?", v) else v
                except ValueError:
                    rec[k] = v
            recs.append(rec)
    return recs


def median(xs):
    return statistics.median(xs) if xs else None


def by_round(recs, value):
    """{round: value} of the records (the last one of a round wins)."""
    return {int(r.get("round", 1)): r[value] for r in recs if value in r}


def paired_ratio(num, den):
    """Median over rounds of num[r] / den[r], for the rounds both have."""
    rs = [num[r] / den[r] for r in num if r in den and den[r] and num[r]]
    return median(rs)


def latency(recs):
    out, ratios = [], {}
    lat = [r for r in recs if r["type"] == "lat"]
    paths = sorted({r["path"] for r in lat}, key=lambda p: (PATH_ORDER.index(p) if p in PATH_ORDER else 99, p))
    for p in paths:
        modes = [m for m in PG_MODES + MY_MODES if any(r["path"] == p and r["mode"] == m for r in lat)]
        modes = list(dict.fromkeys(modes))
        base = by_round([r for r in lat if r["path"] == p and r["mode"] == "direct"], "p50_ns")
        for m in modes:
            rs = [r for r in lat if r["path"] == p and r["mode"] == m]
            p50 = by_round(rs, "p50_ns")
            row = {
                "path": p, "mode": m, "rounds": len(rs),
                "p50_us": median([r["p50_ns"] / 1e3 for r in rs]),
                "p90_us": median([r["p90_ns"] / 1e3 for r in rs]),
                "p99_us": median([r["p99_ns"] / 1e3 for r in rs]),
                "mean_us": median([r["mean_ns"] / 1e3 for r in rs]),
                # the harness counts allocations only in the C clients
                "allocs": None if p.startswith("py_") else median([r["allocs"] for r in rs]),
                "x_direct": paired_ratio(base, p50) if m != "direct" else 1.0,
                "per_round": [{k: r[k] for k in ("round", "n", "p50_ns", "p90_ns", "p99_ns", "mean_ns") if k in r}
                              for r in rs],
            }
            out.append(row)
            if m != "direct" and row["x_direct"] is not None:
                ratios["latency.%s.%s" % (p, m)] = row["x_direct"]
        fl = by_round([r for r in lat if r["path"] == p and r["mode"] == "floor"], "p50_ns")
        for m in ("l1", "l2"):
            c = by_round([r for r in lat if r["path"] == p and r["mode"] == m], "p50_ns")
            v = paired_ratio(fl, c)
            if v is not None:
                ratios["latency.%s.%s_vs_floor" % (p, m)] = v
    return out, ratios


def named(recs, kind, value, group):
    """Rows {name, mode, value, x_direct} of tput/time records; group is the ratio prefix."""
    out, ratios = [], {}
    rs = [r for r in recs if r["type"] == kind]
    names = list(dict.fromkeys(r["name"] for r in rs))
    for n in names:
        base = by_round([r for r in rs if r["name"] == n and r["mode"] == "direct"], value)
        for m in list(dict.fromkeys(r["mode"] for r in rs if r["name"] == n)):
            mine = [r for r in rs if r["name"] == n and r["mode"] == m]
            vals = by_round(mine, value)
            if value == "seconds":
                x = paired_ratio(base, vals)  # a time: direct / mode
            else:
                x = paired_ratio(vals, base)  # a rate: mode / direct
            row = {"name": n, "mode": m, value: median(list(vals.values())), "rounds": len(mine),
                   "all": [vals[k] for k in sorted(vals)], "x_direct": 1.0 if m == "direct" else x}
            out.append(row)
            if m != "direct" and x is not None:
                ratios["%s.%s.%s" % (group, n, m)] = x
    return out, ratios


def scaling(recs):
    out, ratios = [], {}
    rs = [r for r in recs if r["type"] == "scale"]
    for mode in list(dict.fromkeys(r["mode"] for r in rs)):
        for kind in ("threads", "processes"):
            one = by_round([r for r in rs if r["mode"] == mode and r["kind"] == kind and r["n"] == 1], "qps")
            for k in (1, 2, 4):
                mine = by_round([r for r in rs if r["mode"] == mode and r["kind"] == kind and r["n"] == k], "qps")
                if not mine:
                    continue
                x = paired_ratio(mine, one)
                out.append({"mode": mode, "kind": kind, "n": k, "qps": median(list(mine.values())),
                            "all": [mine[i] for i in sorted(mine)], "x_one": x})
                if k > 1 and x is not None:
                    ratios["scaling.%s.%s_%d" % (mode, kind, k)] = x
    return out, ratios


def instructions(recs):
    out, ratios = [], {}
    rs = {(r["path"], r["mode"]): r["ir_per_query"] for r in recs if r["type"] == "instr"}
    for (p, m), v in sorted(rs.items()):
        d = rs.get((p, "direct"))
        out.append({"path": p, "mode": m, "ir_per_query": v, "over_direct": (v - d) if d else None})
        if m != "direct" and d and v:
            ratios["instructions.%s.%s" % (p, m)] = d / v
    return out, ratios


def micro(path):
    rows = []
    if not path or not os.path.exists(path):
        return rows
    pat = re.compile(r"^  (\S.*?)\s+([0-9.]+)\s+([0-9.]+)\s+([0-9.]+)\s+([0-9.]+)$")
    with open(path) as f:
        for line in f:
            m = pat.match(line.rstrip("\n"))
            if m:
                rows.append({"name": m.group(1), "ns_median": float(m.group(2)), "ns_min": float(m.group(3)),
                             "ns_max": float(m.group(4)), "allocs_per_op": float(m.group(5))})
            elif line.strip() and not line.startswith("#"):
                rows.append({"note": line.strip()})
    return rows


def machine():
    m = {"nproc": os.cpu_count(), "kernel": platform.release(), "arch": platform.machine()}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    m["cpu"] = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as f:
            m["mem_mb"] = int(f.readline().split()[1]) // 1024
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    m["os"] = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return m


def fmt(v, digits=2):
    if v is None:
        return "-"
    if abs(v) >= 1000:
        return "{:,.0f}".format(v)
    if abs(v) >= 100:
        return "%.0f" % v
    return "%.*f" % (digits, v)


def table(doc):
    w = sys.stdout.write
    if doc["latency"]:
        w("\n== latency of the point query (median over rounds; x direct = direct p50 / p50, same run)\n")
        w("%-34s %-24s %10s %10s %9s %7s\n" % ("client path", "mode", "p50 us", "p99 us", "x direct", "allocs"))
    for r in doc["latency"]:
        w("%-34s %-24s %10s %10s %8sx %7s\n" % (PATH_NAMES.get(r["path"], r["path"]), MODE_NAMES.get(r["mode"], r["mode"]),
                                              fmt(r["p50_us"]), fmt(r["p99_us"]), fmt(r["x_direct"]), fmt(r["allocs"], 1)))
    if doc["instructions"]:
        w("\n== instructions per query, client side (callgrind)\n")
        for r in doc["instructions"]:
            w("%-34s %-24s %10s  (+%s over direct)\n" % (PATH_NAMES.get(r["path"], r["path"]), MODE_NAMES.get(r["mode"], r["mode"]),
                                                         fmt(r["ir_per_query"]), fmt(r["over_direct"])))
    if doc["throughput"] or doc["times"]:
        w("\n== throughput (tps, median over rounds) and timed workloads (s); x direct from the same rounds\n")
        for r in doc["throughput"]:
            w("%-34s %-24s %12s %9sx\n" % (r["name"], MODE_NAMES.get(r["mode"], r["mode"]), fmt(r["tps"]), fmt(r["x_direct"])))
        for r in doc["times"]:
            w("%-34s %-24s %11ss %9sx\n" % (r["name"], MODE_NAMES.get(r["mode"], r["mode"]), fmt(r["seconds"]), fmt(r["x_direct"])))
    if doc["scaling"]:
        w("\n== scaling: point queries per second (x one thread / one process, same round)\n")
        for r in doc["scaling"]:
            w("%-24s %-10s %2d %14s %8sx\n" % (MODE_NAMES.get(r["mode"], r["mode"]), r["kind"], r["n"], fmt(r["qps"]), fmt(r["x_one"])))
    if doc["verify"]:
        w("\n== the caches answered (their own counters)\n")
        for r in doc["verify"]:
            w("  %s\n" % " ".join("%s=%s" % (k, fmt(v, 0) if isinstance(v, float) else v) for k, v in r.items() if k not in ("type", "round")))
    w("\n== goals\n")
    for g in doc["goals"]:
        w("  %-60s %8s  (needs %s) %s\n" % (g["goal"], fmt(g["value"]), g["min"],
                                             "-" if g["value"] is None else ("met" if g["met"] else "NOT MET")))
    w("\n")


def markdown(doc):
    """The README's Performance tables (bench/publish.sh puts them between its markers)."""
    L = []
    m, v, p = doc["machine"], doc["versions"], doc["params"]
    L.append("One run of `make bench` on %s CPUs (%s), %s MB, %s; %s. PostgreSQL %s, pgpool-II %s, "
             "MariaDB %s; %s rounds, %s queries per latency case, %s s per load run; %s. "
             "Every ratio compares two figures of the same run (median of the per-round ratios)."
             % (m.get("nproc"), m.get("cpu", "?"), m.get("mem_mb", "?"), m.get("os", "?"), v.get("cc", "?"),
                v.get("postgresql", "?"), v.get("pgpool", "?"), v.get("mariadb", "?"), p.get("rounds", "?"),
                p.get("queries_per_case", "?"), p.get("seconds", "?"), p.get("placement", "?")))
    L.append("")
    if doc["latency"]:
        L.append("| point query, client path | mode | p50 | p99 | x direct | allocations |")
        L.append("| --- | --- | ---: | ---: | ---: | ---: |")
        for r in doc["latency"]:
            L.append("| %s | %s | %s us | %s us | %sx | %s |" % (PATH_NAMES.get(r["path"], r["path"]), MODE_NAMES.get(r["mode"], r["mode"]),
                                                          fmt(r["p50_us"]), fmt(r["p99_us"]), fmt(r["x_direct"]),
                                                          fmt(r["allocs"], 0) if r["allocs"] is not None else ""))
        L.append("")
    if doc["instructions"]:
        L.append("| instructions per query, client side (callgrind) | mode | instructions | over direct |")
        L.append("| --- | --- | ---: | ---: |")
        for r in doc["instructions"]:
            L.append("| %s | %s | %s | %s |" % (PATH_NAMES.get(r["path"], r["path"]), MODE_NAMES.get(r["mode"], r["mode"]),
                                               fmt(r["ir_per_query"]), fmt(r["over_direct"])))
        L.append("")
    if doc["throughput"] or doc["times"]:
        L.append("| workload | mode | figure | x direct |")
        L.append("| --- | --- | ---: | ---: |")
        for r in doc["throughput"]:
            L.append("| %s | %s | %s tps | %sx |" % (r["name"], MODE_NAMES.get(r["mode"], r["mode"]), fmt(r["tps"]), fmt(r["x_direct"])))
        for r in doc["times"]:
            L.append("| %s | %s | %s s | %sx |" % (r["name"], MODE_NAMES.get(r["mode"], r["mode"]), fmt(r["seconds"]), fmt(r["x_direct"])))
        L.append("")
    if doc["scaling"]:
        L.append("| scaling, point queries per second | threads or processes | queries/s | x one |")
        L.append("| --- | --- | ---: | ---: |")
        for r in doc["scaling"]:
            L.append("| %s | %d %s | %s | %sx |" % (MODE_NAMES.get(r["mode"], r["mode"]), r["n"], r["kind"], fmt(r["qps"]), fmt(r["x_one"])))
        L.append("")
    micro_rows = [r for r in doc["micro"] if "name" in r]
    if micro_rows:
        L.append("| micro benchmark (engine) | ns/op, median | allocations/op |")
        L.append("| --- | ---: | ---: |")
        for r in micro_rows:
            L.append("| %s | %s | %s |" % (r["name"], fmt(r["ns_median"], 1), fmt(r["allocs_per_op"], 3)))
        L.append("")
    if doc["verify"]:
        L.append("The caches' own hit counters: " + "; ".join(
            "%s %s hits" % (r["name"].replace("_", " "), fmt(r.get("hits"), 0)) for r in doc["verify"]) + ".")
        L.append("")
    L.append("| goal | ratio | needs | |")
    L.append("| --- | ---: | ---: | --- |")
    for g in doc["goals"]:
        L.append("| %s | %s | %s | %s |" % (g["goal"], fmt(g["value"]), g["min"],
                                           "" if g["value"] is None else ("met" if g["met"] else "not met")))
    return "\n".join(L) + "\n"


def gnuplot(script, outdir, name):
    if shutil.which("gnuplot") is None:
        sys.stderr.write("report: gnuplot not found; no charts\n")
        return []
    made = []
    for term, ext in (("svg size 960,540 dynamic font 'sans,11'", "svg"),
                      ("pngcairo size 960,540 font 'sans,10'", "png")):
        out = os.path.join(outdir, "%s.%s" % (name, ext))
        full = "set terminal %s\nset output '%s'\n%s" % (term, out, script)
        r = subprocess.run(["gnuplot"], input=full, text=True, capture_output=True, timeout=60)
        if r.returncode != 0:
            sys.stderr.write("report: gnuplot %s: %s\n" % (out, r.stderr.strip()[:400]))
        else:
            made.append(out)
    return made


def charts(doc, outdir):
    made = []
    os.makedirs(outdir, exist_ok=True)
    # Latency by mode: the headline paths, p50 and p99, log scale.
    head = [r for r in doc["latency"] if (r["path"] == "libpq_sync" or r["path"] == "mysql_text")]
    if head:
        dat = os.path.join(outdir, "latency.dat")
        with open(dat, "w") as f:
            for r in head:
                label = {"direct": "direct", "l1": "Capacitor memory", "l2": "Capacitor shared",
                         "pgpool": "pgpool-II cache", "qc": "query cache", "floor": "PQcopyResult floor"}[r["mode"]]
                label = ("PG " if r["path"].startswith("libpq") else "MariaDB ") + label
                f.write('"%s" %g %g\n' % (label, r["p50_us"], r["p99_us"]))
        made += gnuplot("""set title 'Point query latency by mode (log scale, lower is better)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set ylabel 'microseconds'
set yrange [0.05:*]
set xtics rotate by -30 scale 0 font ',9'
set grid ytics
set key outside top center horizontal
set format y '%%g'
plot '%s' using 2:xtic(1) title 'p50', '' using 3 title 'p99'
""" % dat, outdir, "latency")
    # Every client path: p50 per mode.
    modes = [m for m in ("direct", "l1", "l2", "pgpool", "qc") if any(r["mode"] == m for r in doc["latency"])]
    paths = [p for p in PATH_ORDER if any(r["path"] == p for r in doc["latency"]) and not p.endswith("_miss")]
    if paths:
        dat = os.path.join(outdir, "latency_clients.dat")
        with open(dat, "w") as f:
            for p in paths:
                vals = []
                for m in modes:
                    v = [r["p50_us"] for r in doc["latency"] if r["path"] == p and r["mode"] == m]
                    vals.append("%g" % v[0] if v else "NaN")
                f.write('"%s" %s\n' % (PATH_NAMES[p], " ".join(vals)))
        plots = ["'%s' using 2:xtic(1) title '%s'" % (dat, MODE_NAMES[modes[0]])]
        plots += ["'' using %d title '%s'" % (i + 2, MODE_NAMES[m]) for i, m in enumerate(modes) if i > 0]
        made += gnuplot("""set title 'Point query p50 by client path and mode (log scale, lower is better)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set ylabel 'microseconds'
set yrange [0.05:*]
set xtics rotate by -30 scale 0 font ',9'
set grid ytics
set key outside top center horizontal font ',9'
set format y '%g'
plot """ + ", ".join(plots) + "\n", outdir, "latency_clients")
    # Throughput with and without (and through pgpool-II).
    if doc["throughput"]:
        dat = os.path.join(outdir, "throughput.dat")
        names = list(dict.fromkeys(r["name"] for r in doc["throughput"]))
        with open(dat, "w") as f:
            for n in names:
                vals = []
                for m in ("direct", "l1", "pgpool"):
                    v = [r["tps"] for r in doc["throughput"] if r["name"] == n and r["mode"] == m]
                    vals.append("%g" % v[0] if v and v[0] else "NaN")
                f.write('"%s" %s\n' % (n.replace("_", " "), " ".join(vals)))
        made += gnuplot("""set title 'Throughput without and with Capacitor (log scale, higher is better)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set ylabel 'transactions per second'
set xtics rotate by -30 scale 0 font ',9'
set grid ytics
set key outside top center horizontal
set format y '%%g'
plot '%s' using 2:xtic(1) title 'direct', '' using 3 title 'Capacitor', '' using 4 title 'pgpool-II query cache'
""" % dat, outdir, "throughput")
    for f in ("latency.dat", "latency_clients.dat", "throughput.dat"):
        try:
            os.remove(os.path.join(outdir, f))
        except OSError:
            pass
    return made


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--raw", required=True)
    ap.add_argument("--params")
    ap.add_argument("--micro")
    ap.add_argument("--json", required=True)
    ap.add_argument("--charts")
    a = ap.parse_args()
    recs2 = parse_raw(a.raw)
    params, versions = {}, {}
    if a.params and os.path.exists(a.params):
        with open(a.params) as f:
            for line in f:
                k, _, v = line.rstrip("\n").partition("\t")
                if k in ("cpus", "placement", "rounds", "seconds", "queries_per_case", "ids", "ddl", "sections"):
                    params[k] = v
                else:
                    versions[k] = v
    doc = {"schema": 1, "command": "make bench", "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "machine": machine(), "versions": versions, "params": params}
    ratios = {}
    doc["latency"], r = latency(recs2)
    ratios.update(r)
    doc["throughput"], r = named(recs2, "tput", "tps", "throughput")
    ratios.update(r)
    doc["times"], r = named(recs2, "time", "seconds", "time")
    ratios.update(r)
    doc["scaling"], r = scaling(recs2)
    ratios.update(r)
    doc["instructions"], r = instructions(recs2)
    ratios.update(r)
    doc["verify"] = [r for r in recs2 if r["type"] == "verify"]
    doc["micro"] = micro(a.micro)
    doc["ratios"] = dict(sorted(ratios.items()))
    doc["goals"] = [{"goal": g, "key": k, "min": lo, "value": ratios.get(k),
                     "met": ratios.get(k) is not None and ratios[k] >= lo} for k, lo, g in GOALS]
    table(doc)
    if a.charts:
        doc["charts"] = charts(doc, a.charts)
        with open(os.path.join(a.charts, "summary.md"), "w") as f:
            f.write(markdown(doc))
    os.makedirs(os.path.dirname(os.path.abspath(a.json)), exist_ok=True)
    with open(a.json, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print("results: %s%s" % (a.json, ("; charts: " + " ".join(doc.get("charts", []))) if doc.get("charts") else ""))


if __name__ == "__main__":
    main()
