"""bench_psycopg3 MODE N - psycopg 3 (Debian's pure-Python implementation, which takes libpq's
functions with dlsym) point-query latency on a sync and an asyncio connection: one line per
case, "CASE MODE p50_ns=... mean_ns=...", as bench_pq prints. MODE only labels the lines (run it
with and without LD_PRELOAD). The query is read once first, so that with Capacitor every timed
query is a hit; psycopg prepares it on the server after five executions, as it would anyway."""
import asyncio
import statistics
import sys
import time

import psycopg

SQL = "SELECT id, name, price, qty FROM bench_items WHERE id = %s"


def report(case, mode, ns):
    ns.sort()
    print("%s %s p50_ns=%d p99_ns=%d mean_ns=%d allocs=0" % (
        case, mode, ns[len(ns) // 2], ns[int(len(ns) * 0.99)], int(statistics.mean(ns))))


def main():
    mode, n = sys.argv[1], int(sys.argv[2])
    with psycopg.connect("", autocommit=True) as c:
        for _ in range(10):
            c.execute(SQL, (42,)).fetchall()
        ns = []
        for _ in range(n):
            t = time.perf_counter_ns()
            c.execute(SQL, (42,)).fetchall()
            ns.append(time.perf_counter_ns() - t)
        report("psycopg3_sync", mode, ns)

    async def run():
        a = await psycopg.AsyncConnection.connect("", autocommit=True)
        for _ in range(10):
            await (await a.execute(SQL, (42,))).fetchall()
        ns = []
        for _ in range(n):
            t = time.perf_counter_ns()
            await (await a.execute(SQL, (42,))).fetchall()
            ns.append(time.perf_counter_ns() - t)
        report("psycopg3_async", mode, ns)
        await a.close()

    asyncio.run(run())


if __name__ == "__main__":
    main()
