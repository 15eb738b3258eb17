"""t_pg_psycopg3 - psycopg 3 (Debian's python3-psycopg: the pure-Python implementation, which
loads libpq with ctypes and takes every function with dlsym on its own handle) through the
library. A realistic program - a default connection (autocommit off: every statement inside a
transaction), an autocommit connection, an asyncio connection, parameterised and automatically
prepared statements, a server-side cursor, COPY, pipeline mode, transaction blocks, writes
followed by reads on every connection, an error - prints everything it sees; the parent runs it
without the library and with it (cold, then warm) and compares, then checks that
psycopg.pq.__impl__ is "python", that psycopg's PQexec is Capacitor's, that reads were hits and
that 200 hits in a row on a sync and on an asyncio connection send nothing to the server (no
round trip; TCP_INFO). Every asyncio wait has a 10 s limit and every run 120 s.
"""
import json
import os
import subprocess
import sys


def child():
    import asyncio
    import psycopg

    print("impl:", psycopg.pq.__impl__)

    def norm(rows):
        return [tuple(bytes(x) if isinstance(x, memoryview) else x for x in r) for r in rows]

    reads = [
        ("SELECT id, name, price, qty FROM items WHERE id <= %s ORDER BY id", (5,)),
        ("SELECT count(*), sum(price) FROM items", None),
        ("SELECT id, v FROM p3_t ORDER BY id", None),
        ("SELECT v FROM p3_t WHERE id = %s", (2,)),
        ("SELECT NULL::int, 'é日本😀'::text, '\\x00ff'::bytea, ARRAY[1,2], '{\"a\":1}'::jsonb, "
         "1.5::numeric", None),
        ("SELECT * FROM items WHERE false", None),
    ]

    with psycopg.connect("", autocommit=True) as setup:
        setup.execute("SET client_min_messages = warning")
        setup.execute("DROP TABLE IF EXISTS p3_t")
        setup.execute("CREATE TABLE p3_t (id int PRIMARY KEY, v int)")
        setup.execute("INSERT INTO p3_t VALUES (1, 10), (2, 20), (3, NULL)")

    sync = psycopg.connect("")  # autocommit off
    auto = psycopg.connect("", autocommit=True)

    def show(label, conn, sql, args, prepare=None):
        try:
            cur = conn.execute(sql, args, prepare=prepare)
            rows = norm(cur.fetchall()) if cur.description else None
            print("%s: %r desc=%r rowcount=%d status=%s txn=%s" % (
                label, rows, [(d.name, d.type_code) for d in cur.description or []],
                cur.rowcount, cur.statusmessage, conn.info.transaction_status.name))
        except psycopg.Error as e:
            print("%s: %s %s txn=%s" % (label, e.sqlstate, str(e).strip(),
                                         conn.info.transaction_status.name))

    for rnd in range(2):
        for i, (sql, args) in enumerate(reads):
            for k in range(3):
                show("r%d sync q%d #%d" % (rnd, i, k), sync, sql, args)
                show("r%d auto q%d #%d" % (rnd, i, k), auto, sql, args)
                show("r%d prep q%d #%d" % (rnd, i, k), auto, sql, args, prepare=True)
        sync.commit()
        # autocommit write, then reads on both
        show("auto write", auto, "UPDATE p3_t SET v = v + 1 WHERE id = 2", None)
        show("sync after auto write", sync, "SELECT v FROM p3_t WHERE id = %s", (2,))
        show("auto after auto write", auto, "SELECT v FROM p3_t WHERE id = %s", (2,))
        sync.commit()
        # a transaction that reads, writes, reads its own write, and rolls back
        show("sync txn read", sync, "SELECT v FROM p3_t WHERE id = %s", (2,))
        show("sync txn write", sync, "UPDATE p3_t SET v = v + 100 WHERE id = 2", None)
        show("sync txn own write", sync, "SELECT v FROM p3_t WHERE id = %s", (2,))
        show("auto during sync txn", auto, "SELECT v FROM p3_t WHERE id = %s", (2,))
        sync.rollback()
        show("sync after rollback", sync, "SELECT v FROM p3_t WHERE id = %s", (2,))
        sync.commit()
        # a transaction block on the autocommit connection that commits
        with auto.transaction():
            show("block read", auto, "SELECT id, v FROM p3_t ORDER BY id", None)
            show("block write", auto, "UPDATE p3_t SET v = v * 2 WHERE id = 1", None)
            show("block own write", auto, "SELECT id, v FROM p3_t ORDER BY id", None)
        show("after block sync", sync, "SELECT id, v FROM p3_t ORDER BY id", None)
        show("after block auto", auto, "SELECT id, v FROM p3_t ORDER BY id", None)
        sync.commit()
        # server-side cursor
        with sync.cursor(name="p3_named") as nc:
            nc.execute("SELECT id, name FROM items WHERE id <= %s ORDER BY id", (7,))
            print("named:", norm(nc.fetchmany(3)), norm(nc.fetchall()))
        sync.commit()
        # COPY out and in
        with auto.cursor() as cur:
            with cur.copy("COPY (SELECT id, v FROM p3_t ORDER BY id) TO STDOUT") as cp:
                print("copy out:", [bytes(b) for b in cp])
            with cur.copy("COPY p3_t (id, v) FROM STDIN") as cp:
                cp.write_row((100 + rnd, rnd))
        show("after copy in", auto, "SELECT id, v FROM p3_t ORDER BY id", None)
        # pipeline mode
        with auto.pipeline():
            c1 = auto.execute("SELECT v FROM p3_t WHERE id = %s", (1,))
            c2 = auto.execute("UPDATE p3_t SET v = v + 1 WHERE id = 1")
            c3 = auto.execute("SELECT v FROM p3_t WHERE id = %s", (1,))
            print("pipeline:", c1.fetchall(), c2.rowcount, c3.fetchall())
        show("after pipeline", auto, "SELECT v FROM p3_t WHERE id = %s", (1,))
        # errors
        show("error sync", sync, "SELECT * FROM p3_no_such_table", None)
        sync.rollback()
        show("error auto", auto, "SELECT 1/0", None)
        show("after error", auto, "SELECT id, v FROM p3_t ORDER BY id", None)

    async def run_async():
        aconn = await psycopg.AsyncConnection.connect("", autocommit=True)

        async def ashow(label, sql, args):
            try:
                cur = await asyncio.wait_for(aconn.execute(sql, args), 10)
                rows = norm(await cur.fetchall()) if cur.description else None
                print("%s: %r rowcount=%d status=%s" % (label, rows, cur.rowcount,
                                                         cur.statusmessage))
            except psycopg.Error as e:
                print("%s: %s %s" % (label, e.sqlstate, str(e).strip()))

        for rnd in range(2):
            for i, (sql, args) in enumerate(reads):
                for k in range(3):
                    await ashow("async r%d q%d #%d" % (rnd, i, k), sql, args)
            await ashow("async write", "UPDATE p3_t SET v = v + 1 WHERE id = 3", None)
            await ashow("async after write", "SELECT id, v FROM p3_t ORDER BY id", None)
            await ashow("auto sees async write", "SELECT id, v FROM p3_t ORDER BY id", None)
            async with aconn.transaction():
                await ashow("async txn read", "SELECT v FROM p3_t WHERE id = %s", (2,))
                await ashow("async txn write", "UPDATE p3_t SET v = 0 WHERE id = 2", None)
                await ashow("async txn own write", "SELECT v FROM p3_t WHERE id = %s", (2,))
            await ashow("async error", "SELECT * FROM p3_no_such_table", None)
        await aconn.close()

    asyncio.run(asyncio.wait_for(run_async(), 60))
    show("sync sees async writes", sync, "SELECT id, v FROM p3_t ORDER BY id", None)
    sync.commit()
    sync.close()
    auto.close()


def where():
    """Print which object psycopg's PQexec and PQsendQueryParams come from."""
    import ctypes
    import psycopg.pq._pq_ctypes as impl

    class DlInfo(ctypes.Structure):
        _fields_ = [("fname", ctypes.c_char_p), ("fbase", ctypes.c_void_p),
                    ("sname", ctypes.c_char_p), ("saddr", ctypes.c_void_p)]

    libc = ctypes.CDLL(None)
    for name in ("PQexec", "PQsendQueryParams", "PQisBusy"):
        addr = ctypes.cast(getattr(impl, name), ctypes.c_void_p)
        info = DlInfo()
        libc.dladdr(addr, ctypes.byref(info))
        print("%s from %s" % (name, os.path.basename(info.fname.decode())))


def preload():
    v = os.environ.get("CAP_PRELOAD")
    if v:
        return v
    return (os.environ.get("CAP_PRELOAD_PREFIX", "") + " " + os.environ["CAP_LIB"]).strip()


def stats():
    try:
        out = subprocess.run([os.environ["CAP_TOOL"], "stats", "--json"], capture_output=True,
                             text=True, timeout=30).stdout
        return json.loads(out)
    except Exception:
        return {}


def roundtrips():
    """Run the same read 200 times on a sync and on an asyncio connection (TCP) once it is
    cached, and print how many bytes each loop sent to the server (TCP_INFO tcpi_bytes_acked):
    a hit that costs a round trip sends an empty query."""
    import asyncio
    import socket
    import struct
    import psycopg

    dsn = "host=127.0.0.1 port=%s" % os.environ["CAP_PG_PORT"]

    def sent(conn):
        s = socket.socket(fileno=os.dup(conn.fileno()))
        try:
            info = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
        finally:
            s.close()
        return struct.unpack_from("Q", info, 120)[0]  # tcpi_bytes_acked

    sql = "SELECT id, name FROM items WHERE id <= %s ORDER BY id"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql, (3,)).fetchall()
        b0 = sent(conn)
        for _ in range(200):
            conn.execute(sql, (3,)).fetchall()
        print("sync: %d bytes sent" % (sent(conn) - b0))

    async def run():
        aconn = await psycopg.AsyncConnection.connect(dsn, autocommit=True)
        await (await aconn.execute(sql, (3,))).fetchall()
        b0 = sent(aconn)
        for _ in range(200):
            await (await aconn.execute(sql, (3,))).fetchall()
        print("async: %d bytes sent" % (sent(aconn) - b0))
        await aconn.close()

    asyncio.run(asyncio.wait_for(run(), 60))


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child()
        return 0
    if len(sys.argv) > 1 and sys.argv[1] == "--where":
        where()
        return 0
    if len(sys.argv) > 1 and sys.argv[1] == "--roundtrips":
        roundtrips()
        return 0
    if not os.environ.get("CAP_PG_PORT"):
        print("skip: no PostgreSQL fixture")
        return 77
    try:
        import psycopg
    except ImportError:
        print("skip: python3-psycopg not installed")
        return 77
    bad = 0
    if psycopg.pq.__impl__ != "python":
        print("note: psycopg.pq.__impl__ is %r, not the pure-Python one" % psycopg.pq.__impl__)
    outs = {}
    for mode in ("off", "cold", "warm"):
        env = dict(os.environ)
        env.pop("LD_PRELOAD", None)
        if mode != "off":
            env["LD_PRELOAD"] = preload()
            env["CAPACITOR_ENABLE"] = "1"
        try:
            p = subprocess.run([sys.executable, os.path.abspath(__file__), "--child"], env=env,
                               capture_output=True, text=True, timeout=120)
        except subprocess.TimeoutExpired:
            print("FAIL: %s run hung (120 s)" % mode)
            return 1
        outs[mode] = (p.returncode, p.stdout, p.stderr)
        if p.returncode != 0:
            print("FAIL: %s run exited %d\n%s\n%s" % (mode, p.returncode, p.stdout[-2000:],
                                                    p.stderr[-2000:]))
            return 1
    for mode in ("cold", "warm"):
        if outs[mode] != outs["off"]:
            import difflib
            print("FAIL: %s run differs from the run without Capacitor:" % mode)
            for line in list(difflib.unified_diff(outs["off"][1].splitlines(),
                                                  outs[mode][1].splitlines(), "without",
                                                  mode, lineterm=""))[:40]:
                print("    " + line)
            if outs[mode][2] != outs["off"][2]:
                print("    stderr: %r" % outs[mode][2][-500:])
            bad = 1
        else:
            print("ok   %s run identical (%d lines)" % (mode, outs[mode][1].count("\n")))
    print(outs["off"][1].splitlines()[0])
    s = stats()
    print("hits: %d misses: %d dlsym_redirects: %d" % (
        s.get("hits", 0), s.get("misses", 0), s.get("dlsym_redirects", 0)))
    if s.get("hits", 0) <= 0:
        print("FAIL: no hits")
        bad = 1
    if s.get("dlsym_redirects", 0) <= 0:
        print("FAIL: no dlsym redirections counted")
        bad = 1
    env = dict(os.environ, LD_PRELOAD=preload(), CAPACITOR_ENABLE="1")
    w = subprocess.run([sys.executable, os.path.abspath(__file__), "--where"], env=env,
                       capture_output=True, text=True, timeout=60)
    print(w.stdout.strip())
    if "PQexec from libcapacitor" not in w.stdout or "PQsendQueryParams from libcapacitor" not in w.stdout:
        print("FAIL: psycopg does not call Capacitor's functions: %s" % w.stderr[-500:])
        bad = 1
    try:
        rt = subprocess.run([sys.executable, os.path.abspath(__file__), "--roundtrips"], env=env,
                            capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        print("FAIL: the round-trip run hung (120 s)")
        return 1
    print(rt.stdout.strip())
    for line in rt.stdout.splitlines():
        kind, rest = line.split(": ")
        if int(rest.split()[0]) >= 100:
            print("FAIL: %s hits cost system calls (a round trip each?): %s" % (kind, rest))
            bad = 1
    if rt.returncode != 0 or len(rt.stdout.splitlines()) != 2:
        print("FAIL: the round-trip run failed: %s" % rt.stderr[-1000:])
        bad = 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
