#!/usr/bin/python3
"""t_mysql_mysqldb.py - Python's MySQLdb (Connector/C loaded with RTLD_LOCAL) through Capacitor.

Default settings (autocommit off: every statement inside a transaction, REPEATABLE READ):
results equal the direct ones, no hits inside transactions (the first read of each, which
takes the snapshot, is stored), snapshots keep their view of the data while another process
commits, and a transaction that took its snapshot at START stores nothing. With autocommit on: hits, through Cursor (store_result)
and SSCursor (use_result), and writes by another process are seen at once. At READ COMMITTED
(set by the session) transactions hit until they write, then see their own writes.
"""
import json
import os
import subprocess
import sys

import MySQLdb
import MySQLdb.cursors


def connect(**kw):
    return MySQLdb.connect(unix_socket=os.environ["CAP_MY_SOCKET"], user=os.environ["CAP_MY_USER"],
                           passwd=os.environ["CAP_MY_PASSWORD"], db=os.environ["CAP_MY_DB"],
                           charset="utf8mb4", **kw)


def rows(cur, q, args=None):
    cur.execute(q, args)
    return [list(map(lambda v: v.hex() if isinstance(v, bytes) else str(v), r)) for r in cur.fetchall()]


QUERIES = [
    "SELECT id, name, price, qty FROM py_items ORDER BY id",
    "SELECT name FROM py_items WHERE id = 3",
    "SELECT COUNT(*), SUM(price) FROM py_items",
    "SELECT b FROM py_items WHERE id = 2",
    "SELECT * FROM py_items WHERE id < 0",
]


def child(mode):
    out = {}
    if mode in ("default", "autocommit"):
        c = connect(autocommit=(mode == "autocommit"))
        cur = c.cursor()
        res = []
        for _ in range(3):
            for q in QUERIES:
                res.append(rows(cur, q))
                res.append([cur.rowcount, len(cur.description or ())])
            c.commit()
        ss = c.cursor(MySQLdb.cursors.SSCursor)
        for _ in range(2):
            for q in QUERIES:
                ss.execute(q)
                res.append([list(map(str, r)) for r in ss.fetchall()])
        out["res"] = res
    elif mode == "snapshot":
        # default settings: a transaction keeps its snapshot while another process commits
        c = connect()
        cur = c.cursor()
        a = rows(cur, "SELECT qty FROM py_items WHERE id = 1")
        subprocess.run([sys.executable, __file__, "child", "bump"], check=True, env=os.environ)
        b = rows(cur, "SELECT qty FROM py_items WHERE id = 1")
        c.commit()
        d = rows(cur, "SELECT qty FROM py_items WHERE id = 1")
        out["res"] = [a, b, d]
    elif mode == "consistent":
        # START TRANSACTION WITH CONSISTENT SNAPSHOT takes the snapshot at once: a write
        # committed after it is not in the first read, which must not be stored
        c = connect(autocommit=True)
        cur = c.cursor()
        rows(cur, "SELECT name FROM py_items WHERE id = 2")  # the session's level is known
        cur.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT")
        subprocess.run([sys.executable, __file__, "child", "bump"], check=True, env=os.environ)
        a = rows(cur, "SELECT qty FROM py_items WHERE id = 1")
        c.commit()
        out["res"] = [a]
    elif mode == "point":
        c = connect(autocommit=True)
        out["res"] = [rows(c.cursor(), "SELECT qty FROM py_items WHERE id = 1")]
    elif mode == "bump":
        c = connect(autocommit=True)
        c.cursor().execute("UPDATE py_items SET qty = qty + 1 WHERE id = 1")
    elif mode == "rc":
        c = connect()
        cur = c.cursor()
        cur.execute("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")
        res = []
        for _ in range(3):
            res.append(rows(cur, "SELECT name FROM py_items WHERE id = 5"))
            c.commit()
        cur.execute("UPDATE py_items SET name = 'own write' WHERE id = 5")
        res.append(rows(cur, "SELECT name FROM py_items WHERE id = 5"))
        c.rollback()
        res.append(rows(cur, "SELECT name FROM py_items WHERE id = 5"))
        c.commit()
        out["res"] = res
    print(json.dumps(out))


def run(mode, preload=True, extra=None):
    env = dict(os.environ)
    if preload:
        env["LD_PRELOAD"] = os.environ.get("CAP_PRELOAD") or os.environ["CAP_LIB"]
    if extra:
        env.update(extra)
    p = subprocess.run([sys.executable, __file__, "child", mode], env=env, capture_output=True,
                       text=True)
    if p.returncode != 0:
        print(p.stdout, p.stderr)
        sys.exit("child %s failed" % mode)
    return json.loads(p.stdout.strip().splitlines()[-1])


def stats():
    p = subprocess.run([os.environ["CAP_TOOL"], "stats", "--json"], capture_output=True, text=True)
    if p.returncode != 0 and not os.path.exists(os.path.join(os.environ["CAPACITOR_DIR"], "stats")):
        return {"hits": 0}  # no process has opened the stats file yet
    return json.loads(p.stdout)


def main():
    if not os.environ.get("CAP_MY_SOCKET"):
        print("skip: no MariaDB fixture")
        sys.exit(77)
    c = connect(autocommit=True)
    cur = c.cursor()
    cur.execute("DROP TABLE IF EXISTS py_items")
    cur.execute("CREATE TABLE py_items (id INT PRIMARY KEY, name VARCHAR(40), price DECIMAL(8,2),"
                " qty INT, b BLOB) ENGINE=InnoDB")
    for i in range(1, 21):
        cur.execute("INSERT INTO py_items VALUES (%s, %s, %s, %s, %s)",
                    (i, "naïve %d" % i, i * 1.5, i, bytes([0, i, 0, 255])))

    direct = run("default", preload=False)
    h0 = stats()["hits"]
    got = run("default")
    assert got == direct, "default MySQLdb results differ"
    h1 = stats()["hits"]
    f1 = stats()["fills_l1"]
    print("default mode hits:", h1 - h0, "fills:", f1)
    assert h1 == h0, "hits inside REPEATABLE READ transactions (autocommit off)"
    # the first read of each transaction takes its snapshot: the latest committed data, stored
    assert f1 >= 3, "the first reads of REPEATABLE READ transactions were not stored"

    got = run("autocommit")
    assert got == direct, "autocommit results differ"
    h2 = stats()["hits"]
    print("autocommit hits:", h2 - h1)
    assert h2 - h1 >= 20, "expected hits with autocommit on"

    snap = run("snapshot")
    a, b, d = snap["res"]
    assert a == b, "snapshot changed inside a REPEATABLE READ transaction: %r" % snap
    assert int(d[0][0]) == int(a[0][0]) + 1, "committed write not seen after commit: %r" % snap

    # a transaction that took its snapshot at START stores nothing: a later reader sees the
    # write committed after that snapshot (cached before it, by the read below)
    run("point")
    before = run("point", preload=False)["res"][0]
    cons = run("consistent")["res"][0]
    after = run("point")["res"][0]
    print("consistent snapshot:", before, cons, after)
    assert cons == before, "WITH CONSISTENT SNAPSHOT read a write committed after it: %r" % cons
    assert int(after[0][0]) == int(before[0][0]) + 1, \
        "a read of a WITH CONSISTENT SNAPSHOT transaction was stored: %r then %r" % (cons, after)

    # autocommit reads see a write by another process at once (cached before it)
    x = run("autocommit")["res"][0]
    subprocess.run([sys.executable, __file__, "child", "bump"], check=True,
                   env=dict(os.environ, LD_PRELOAD=os.environ.get("CAP_PRELOAD") or os.environ["CAP_LIB"]))
    y = run("autocommit")["res"][0]
    assert int(y[0][3]) == int(x[0][3]) + 1, "write by another process not seen"

    h3 = stats()["hits"]
    rc = run("rc")["res"]
    h4 = stats()["hits"]
    print("read committed hits:", h4 - h3, rc)
    assert rc[3] == [["own write"]], "transaction did not see its own write"
    assert rc[4] == rc[0], "rolled-back write visible"
    assert h4 - h3 >= 1, "expected hits at READ COMMITTED"

    # CAPACITOR_TXN=read-committed: hits inside default (REPEATABLE READ) transactions, which
    # fill the cache themselves (each transaction's first read): no autocommit run before
    subprocess.run([os.environ["CAP_TOOL"], "invalidate", "--all"], check=True)
    direct = run("default", preload=False)
    h5 = stats()["hits"]
    got = run("default", extra={"CAPACITOR_TXN": "read-committed"})
    assert got == direct, "CAPACITOR_TXN=read-committed results differ (cold)"
    h6 = stats()["hits"]
    got = run("default", extra={"CAPACITOR_TXN": "read-committed"})
    assert got == direct, "CAPACITOR_TXN=read-committed results differ (warm)"
    h7 = stats()["hits"]
    print("CAPACITOR_TXN=read-committed hits: cold %d, warm %d" % (h6 - h5, h7 - h6))
    assert h7 - h6 >= 20, "expected hits with CAPACITOR_TXN=read-committed"
    print("ok")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "child":
        child(sys.argv[2])
    else:
        main()
