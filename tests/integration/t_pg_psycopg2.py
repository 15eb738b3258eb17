"""t_pg_psycopg2 - psycopg2 (which loads libpq with RTLD_LOCAL) through the library: a default
connection (autocommit off, so every statement runs inside an implicit BEGIN), an autocommit
connection and an asynchronous connection (async_=True, waited on with select() over
conn.fileno(), never hanging: 10 s limit per wait; each query first waited on through a
duplicate of the socket from socket.fromfd, before psycopg2 is asked) give the same results as
without the library; the workload runs twice in one process so that the second pass is served hits, and
writes between reads must show. The child (`--child`) prints everything it sees; the parent
runs it without and with Capacitor and compares, then checks the hit counter.
"""
import json
import os
import select
import socket
import subprocess
import sys


def child():
    import psycopg2
    import psycopg2.extensions as ext

    def wait(conn):
        while True:
            state = conn.poll()
            if state == ext.POLL_OK:
                return
            if state == ext.POLL_READ:
                r, _, _ = select.select([conn.fileno()], [], [], 10)
                if not r:
                    print("HANG: async connection not readable after 10 s", flush=True)
                    sys.exit(3)
            elif state == ext.POLL_WRITE:
                _, w, _ = select.select([], [conn.fileno()], [], 10)
                if not w:
                    print("HANG: async connection not writable after 10 s", flush=True)
                    sys.exit(3)
            else:
                raise RuntimeError("poll: %r" % state)

    def norm(rows):
        return [tuple(bytes(x) if isinstance(x, memoryview) else x for x in r) for r in rows]

    reads = [
        ("SELECT id, name, price, qty FROM items WHERE id <= %s ORDER BY id", (5,)),
        ("SELECT count(*), sum(price) FROM items", None),
        ("SELECT id, v FROM py_t ORDER BY id", None),
        ("SELECT v FROM py_t WHERE id = %s", (2,)),
        ("SELECT NULL::int, 'é日本😀'::text, '\\x00ff'::bytea, ARRAY[1,2], '{\"a\":1}'::jsonb, 1.5::numeric", None),
        ("SELECT * FROM items WHERE false", None),
    ]

    setup = psycopg2.connect("")
    setup.autocommit = True
    sc = setup.cursor()
    sc.execute("SET client_min_messages = warning")
    sc.execute("DROP TABLE IF EXISTS py_t")
    sc.execute("CREATE TABLE py_t (id int PRIMARY KEY, v int)")
    sc.execute("INSERT INTO py_t VALUES (1, 10), (2, 20)")
    setup.close()

    sync = psycopg2.connect("")  # autocommit off
    auto = psycopg2.connect("")
    auto.autocommit = True
    aconn = psycopg2.connect("", async_=True)
    wait(aconn)
    # a duplicate of the socket (socket.fromfd dups it), waited on before psycopg2 is asked
    dupsock = socket.fromfd(aconn.fileno(), socket.AF_UNIX, socket.SOCK_STREAM)

    def show(label, cur, sql, args):
        try:
            cur.execute(sql, args)
            print("%s: %r desc=%r rowcount=%d status=%s" % (
                label, norm(cur.fetchall()), [(d.name, d.type_code) for d in cur.description],
                cur.rowcount, cur.statusmessage))
        except psycopg2.Error as e:
            print("%s: %s %s" % (label, e.pgcode, str(e).strip()))

    def ashow(label, sql, args):
        cur = aconn.cursor()
        cur.execute(sql, args)
        r, _, _ = select.select([dupsock], [], [], 10)
        if not r:
            print("HANG: a duplicate of the async connection's socket not readable after 10 s",
                  flush=True)
            sys.exit(3)
        wait(aconn)
        print("%s: %r desc=%r rowcount=%d" % (label, norm(cur.fetchall()),
              [(d.name, d.type_code) for d in cur.description], cur.rowcount))

    for rnd in range(2):
        for i, (sql, args) in enumerate(reads):
            for k in range(2):
                c = sync.cursor()
                show("r%d sync q%d #%d" % (rnd, i, k), c, sql, args)
                show("r%d auto q%d #%d" % (rnd, i, k), auto.cursor(), sql, args)
                ashow("r%d async q%d #%d" % (rnd, i, k), sql, args)
        print("sync txn status before commit:", sync.get_transaction_status())
        sync.commit()
        # writes through each connection, each followed by reads on all of them
        c = auto.cursor()
        c.execute("UPDATE py_t SET v = v + 1 WHERE id = 2")
        for lab, f in (("sync", lambda s, a: show("after auto write sync", sync.cursor(), s, a)),
                       ("async", lambda s, a: ashow("after auto write async", s, a))):
            f("SELECT v FROM py_t WHERE id = %s", (2,))
        sync.commit()
        c = sync.cursor()
        c.execute("SELECT v FROM py_t WHERE id = %s", (2,))
        print("sync in txn before write:", c.fetchall())
        c.execute("UPDATE py_t SET v = v + 100 WHERE id = 2")
        c.execute("SELECT v FROM py_t WHERE id = %s", (2,))
        print("sync in txn after own write:", c.fetchall())
        show("auto during sync txn", auto.cursor(), "SELECT v FROM py_t WHERE id = %s", (2,))
        sync.rollback()
        show("sync after rollback", sync.cursor(), "SELECT v FROM py_t WHERE id = %s", (2,))
        show("auto after rollback", auto.cursor(), "SELECT v FROM py_t WHERE id = %s", (2,))
        ac = aconn.cursor()
        ac.execute("UPDATE py_t SET v = v + 1000 WHERE id = 1")
        wait(aconn)
        show("auto after async write", auto.cursor(), "SELECT id, v FROM py_t ORDER BY id", None)
        ashow("async after async write", "SELECT id, v FROM py_t ORDER BY id", None)
        sync.commit()
        show("error", sync.cursor(), "SELECT * FROM no_such_table", None)
        sync.rollback()
    for c in (sync, auto, aconn):
        c.close()


def preload():
    v = os.environ.get("CAP_PRELOAD")
    if v:
        return v
    return (os.environ.get("CAP_PRELOAD_PREFIX", "") + " " + os.environ["CAP_LIB"]).strip()


def stat(key):
    try:
        out = subprocess.run([os.environ["CAP_TOOL"], "stats", "--json"], capture_output=True,
                             text=True, timeout=30).stdout
        return json.loads(out).get(key, 0)
    except Exception:
        return 0


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child()
        return 0
    if not os.environ.get("CAP_PG_PORT"):
        print("skip: no PostgreSQL fixture")
        return 77
    try:
        import psycopg2  # noqa: F401
    except ImportError:
        print("skip: psycopg2 not installed")
        return 77
    outs = {}
    for mode in ("off", "cold", "warm"):
        env = dict(os.environ)
        env.pop("LD_PRELOAD", None)
        if mode != "off":
            env["LD_PRELOAD"] = preload()
            env["CAPACITOR_ENABLE"] = "1"
        p = subprocess.run([sys.executable, os.path.abspath(__file__), "--child"], env=env,
                           capture_output=True, text=True, timeout=120)
        outs[mode] = (p.returncode, p.stdout, p.stderr)
        if p.returncode != 0:
            print("FAIL: %s run exited %d\n%s\n%s" % (mode, p.returncode, p.stdout[-2000:],
                                                    p.stderr[-2000:]))
            return 1
    bad = 0
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
    hits = stat("hits")
    print("hits: %d" % hits)
    if hits <= 0:
        print("FAIL: no hits")
        bad = 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
