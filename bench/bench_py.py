#!/usr/bin/python3
"""bench_py.py - end-to-end latency of the benchmark's point query through a Python driver.

    bench_py.py DRIVER MODE N

DRIVER is psycopg2, psycopg (psycopg 3), psycopg_async (psycopg 3 on an asyncio connection:
libpq's nonblocking API, PQisBusy before waiting) or MySQLdb. Debian's psycopg 3 is the
pure-Python implementation, which takes libpq's functions with dlsym. The query is
`SELECT id, name, price, qty FROM items WHERE id = %s` over the fixed set of ids
1..BENCH_IDS (default 64), each execute + fetchall timed alone with perf_counter_ns.
PostgreSQL drivers connect with the PG* environment variables, MySQLdb with CAP_MY_SOCKET,
CAP_MY_USER, CAP_MY_PASSWORD, CAP_MY_DB. bench/run.sh runs it once per mode and round, with
and without Capacitor preloaded; MODE is only the label. Output, one line:
    lat path=py_DRIVER mode=MODE n=N p50_ns=.. p90_ns=.. p99_ns=.. mean_ns=.. allocs=0
"""
import asyncio
import os
import sys
import time

SQL = "SELECT id, name, price, qty FROM items WHERE id = %s"


def connect(driver):
    if driver == "psycopg2":
        import psycopg2
        conn = psycopg2.connect("")
        conn.autocommit = True
        return conn, conn.cursor()
    if driver == "psycopg":
        import psycopg
        conn = psycopg.connect("", autocommit=True)
        return conn, conn.cursor()
    if driver == "MySQLdb":
        import MySQLdb
        conn = MySQLdb.connect(unix_socket=os.environ["CAP_MY_SOCKET"],
                               user=os.environ["CAP_MY_USER"],
                               passwd=os.environ["CAP_MY_PASSWORD"],
                               db=os.environ["CAP_MY_DB"], autocommit=True)
        return conn, conn.cursor()
    raise SystemExit("bench_py: unknown driver " + driver)


def check(rows):
    if len(rows) != 1 or len(rows[0]) != 4:
        raise SystemExit("bench_py: unexpected result %r" % (rows,))


def run_sync(driver, n, nids):
    conn, cur = connect(driver)
    for i in range(2 * nids + 200):
        cur.execute(SQL, (1 + i % nids,))
        check(cur.fetchall())
    lat = [0] * n
    clock = time.perf_counter_ns
    for i in range(n):
        t0 = clock()
        cur.execute(SQL, (1 + i % nids,))
        cur.fetchall()
        lat[i] = clock() - t0
    conn.close()
    return lat


async def run_async(n, nids):
    import psycopg
    conn = await psycopg.AsyncConnection.connect("", autocommit=True)
    cur = conn.cursor()
    for i in range(2 * nids + 200):
        await cur.execute(SQL, (1 + i % nids,))
        check(await cur.fetchall())
    lat = [0] * n
    clock = time.perf_counter_ns
    for i in range(n):
        t0 = clock()
        await cur.execute(SQL, (1 + i % nids,))
        await cur.fetchall()
        lat[i] = clock() - t0
    await conn.close()
    return lat


def main():
    driver, mode, n = sys.argv[1], sys.argv[2], max(100, int(sys.argv[3]))
    nids = int(os.environ.get("BENCH_IDS", "64"))
    if driver == "psycopg_async":
        lat = asyncio.run(run_async(n, nids))
    else:
        lat = run_sync(driver, n, nids)
    mean = sum(lat) // n
    lat.sort()
    print("lat path=py_%s mode=%s n=%d p50_ns=%d p90_ns=%d p99_ns=%d mean_ns=%d allocs=0" %
          (driver, mode, n, lat[n // 2], lat[n * 9 // 10], lat[n * 99 // 100], mean))


if __name__ == "__main__":
    main()
