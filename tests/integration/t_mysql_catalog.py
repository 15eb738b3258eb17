#!/usr/bin/python3
"""t_mysql_catalog.py - what MariaDB's information_schema tells the Connector/C hooks.

Views that run code: reading a view whose definition calls a stored function (the server
prints it back-quoted, `f`() or `db`.`f`(), whatever the function claims: MariaDB runs an
INSERT in a NO SQL function all the same) runs the function, so the view is never cached and
the read invalidates like a write: a cached count of what the function writes is not served
afterwards. Also through a view over such a view, a write that reads one, and a SET whose
value reads one.

Virtual generated columns are computed at each read: a table with one whose expression is not
deterministic (RAND(), UUID(), CONNECTION_ID(), NOW(6), SYSDATE(), USER()) is never cached;
a deterministic one (CONCAT) or a STORED one does not stop caching.

The program under test runs with LD_PRELOAD in a child process; the parent sets up and
checks with the server directly.
"""
import json
import os
import subprocess
import sys

import MySQLdb._mysql as _m


def connect():
    c = _m.connect(unix_socket=os.environ["CAP_MY_SOCKET"], user=os.environ["CAP_MY_USER"],
                   passwd=os.environ["CAP_MY_PASSWORD"], db=os.environ["CAP_MY_DB"])
    c.autocommit(True)
    return c


def q(c, sql):
    c.query(sql)
    r = c.store_result()
    return [[v.decode() if isinstance(v, bytes) else v for v in row]
            for row in r.fetch_row(0)] if r else None


def count(c):
    return int(q(c, "SELECT COUNT(*) FROM cat_log")[0][0])


SETUP = [
    "DROP VIEW IF EXISTS cat_v1, cat_v2, cat_v3, cat_v4, cat_vn, cat_vok, cat_vh",
    "DROP TABLE IF EXISTS cat_log, cat_sink, cat_g, cat_gok",
    "DROP FUNCTION IF EXISTS cat_logit",
    "DROP FUNCTION IF EXISTS cat_cnt",
    "DROP FUNCTION IF EXISTS cat_nosql",
    "DROP FUNCTION IF EXISTS `cat weird`",
    "CREATE TABLE cat_log (a INT)",
    "CREATE TABLE cat_sink (a INT)",
    "CREATE FUNCTION cat_logit() RETURNS INT MODIFIES SQL DATA "
    "BEGIN INSERT INTO cat_log VALUES (1); RETURN 1; END",
    "CREATE FUNCTION cat_nosql() RETURNS INT DETERMINISTIC NO SQL "
    "BEGIN INSERT INTO cat_log VALUES (2); RETURN 2; END",
    "CREATE FUNCTION `cat weird`() RETURNS INT DETERMINISTIC READS SQL DATA "
    "BEGIN INSERT INTO cat_log VALUES (3); RETURN 3; END",
    "CREATE VIEW cat_v1 AS SELECT id, cat_logit() AS x FROM items WHERE id = 1",
    "CREATE VIEW cat_v2 AS SELECT id, /* c() */ 'f(' AS s, `capacitor`.`cat_nosql` ( ) AS x "
    "FROM items WHERE id = 2",
    "CREATE VIEW cat_v3 AS SELECT id, `cat weird`() AS x FROM items WHERE id = 3",
    "CREATE FUNCTION cat_cnt() RETURNS INT DETERMINISTIC READS SQL DATA "
    "RETURN (SELECT COUNT(*) FROM cat_log)",
    "CREATE VIEW cat_v4 AS SELECT cat_cnt() AS n",
    "CREATE VIEW cat_vn AS SELECT * FROM cat_v1",
    "CREATE VIEW cat_vok AS SELECT id, name FROM items WHERE id < 4",
    "CREATE TABLE cat_g (id INT PRIMARY KEY, r DOUBLE AS (RAND()) VIRTUAL, "
    "c BIGINT AS (CONNECTION_ID()) VIRTUAL, u VARCHAR(40) AS (UUID()) VIRTUAL, "
    "n DATETIME(6) AS (NOW(6)) VIRTUAL, sd DATETIME(6) AS (SYSDATE(6)) VIRTUAL, "
    "us VARCHAR(100) AS (USER()) VIRTUAL)",
    "INSERT INTO cat_g (id) VALUES (1)",
    "CREATE TABLE cat_gok (id INT PRIMARY KEY, s VARCHAR(20) AS (CONCAT(id, 'x')) VIRTUAL, "
    "p INT AS (id * 2) STORED)",
    "INSERT INTO cat_gok (id) VALUES (1)",
]

# each: the statement that runs the function (through a view), read by the preloaded child
VIEW_READS = [
    # a SET whose value reads the view: a session statement that writes all the same (first:
    # later, earlier statements' effects may hide a stale hit)
    "SET @cat_x = (SELECT x FROM cat_v1)",
    "SELECT x FROM cat_v1",
    "SELECT x FROM cat_v2",
    "SELECT x FROM cat_v3",
    "SELECT x FROM cat_vn",
    "SELECT 1 + (SELECT x FROM cat_v1)",
    "INSERT INTO cat_sink SELECT x FROM cat_v1",
    # inside a READ COMMITTED transaction, which may hit and fill until it writes
    "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED; BEGIN; SELECT x FROM cat_v1; "
    "SELECT COUNT(*) FROM cat_log; COMMIT",
]
# with root: a definer's view over a view in a schema the user cannot see, which calls a
# function that writes
HIDDEN_READ = "SELECT x FROM cat_vh"
HIDDEN_SETUP = """
DROP DATABASE IF EXISTS cat_hidden;
CREATE DATABASE cat_hidden;
CREATE FUNCTION cat_hidden.hlog() RETURNS INT NO SQL
  BEGIN INSERT INTO capacitor.cat_log VALUES (4); RETURN 4; END;
CREATE VIEW cat_hidden.hv AS SELECT cat_hidden.hlog() AS x;
CREATE DEFINER = root@localhost SQL SECURITY DEFINER VIEW capacitor.cat_vh AS
  SELECT x FROM cat_hidden.hv;
"""


def root_sql(sql):
    return subprocess.run(["mariadb", "--no-defaults", "-uroot", "-S", os.environ["CAP_MY_SOCKET"],
                           "--delimiter=$$"], input=sql.replace(";\n", "$$\n"), text=True,
                          capture_output=True)


def child(mode):
    c = connect()
    out = []
    if mode in ("views", "hidden"):
        # the count is cached (read twice: fill, hit) before each read of a view, and must
        # be one more after it
        for sql in VIEW_READS if mode == "views" else [HIDDEN_READ]:
            a = count(c)
            count(c)
            for one in sql.split("; "):
                q(c, one)
            out.append([sql, a, count(c)])
    elif mode == "vread":
        for _ in range(2):
            out.append(q(c, "SELECT n FROM cat_v4"))
    elif mode == "gen":
        for _ in range(2):
            out.append(q(c, "SELECT r, c, u, n, sd, us FROM cat_g WHERE id = 1"))
    elif mode == "ok":
        for _ in range(3):
            out.append(q(c, "SELECT id, name FROM cat_vok ORDER BY id"))
            out.append(q(c, "SELECT s, p FROM cat_gok"))
    print(json.dumps(out))


def run(mode):
    env = dict(os.environ)
    env["LD_PRELOAD"] = os.environ.get("CAP_PRELOAD") or os.environ["CAP_LIB"]
    p = subprocess.run([sys.executable, __file__, "child", mode], env=env, capture_output=True,
                       text=True)
    if p.returncode != 0:
        print(p.stdout, p.stderr)
        sys.exit("child %s failed" % mode)
    return json.loads(p.stdout.strip().splitlines()[-1])


def stats():
    p = subprocess.run([os.environ["CAP_TOOL"], "stats", "--json"], capture_output=True, text=True)
    if p.returncode != 0:
        return {"hits": 0}  # no process has opened the stats file yet
    return json.loads(p.stdout)


def main():
    if not os.environ.get("CAP_MY_SOCKET"):
        print("skip: no MariaDB fixture")
        sys.exit(77)
    c = connect()
    for sql in SETUP:
        q(c, sql)
    print(q(c, "SELECT TABLE_NAME, VIEW_DEFINITION FROM information_schema.VIEWS "
               "WHERE TABLE_NAME LIKE 'cat%'"))
    bad = []

    reads = run("views")
    if root_sql("DROP VIEW IF EXISTS capacitor.cat_vh;" + HIDDEN_SETUP).returncode == 0:
        reads += run("hidden")
    else:
        print("no root access: the hidden view is not tried")
    n = 0
    for sql, before, after in reads:
        print("%-70s count %d -> %d (server %d -> %d)" % (sql, before, after, n, n + 1))
        if (before, after) != (n, n + 1):
            bad.append("around %s the counts were %d, %d; the server had %d, %d"
                       % (sql, before, after, n, n + 1))
        n += 1
    if count(c) != n:
        bad.append("the server's count is %d, not %d" % (count(c), n))
    # a view that calls a function is never cached (what the function reads may change)
    a = run("vread")
    q(c, "INSERT INTO cat_log VALUES (9)")
    b = run("vread")
    if int(b[0][0][0]) != int(a[0][0][0]) + 1:
        bad.append("a view's result was served from the cache: %r then %r" % (a, b))

    c1, c2 = run("gen"), run("gen")
    print("virtual columns:", c1, c2)
    rows = c1 + c2
    # r and u differ at every read, c between the two connections
    if len({json.dumps(r) for r in rows}) != len(rows):
        bad.append("a table with non-deterministic virtual columns was cached: %r" % rows)

    h0 = stats()["hits"]
    ok = run("ok")
    h1 = stats()["hits"]
    print("plain view and deterministic columns: %d hits" % (h1 - h0))
    if ok[0::2] != [ok[0]] * 3 or ok[1::2] != [[["1x", "2"]]] * 3:
        bad.append("wrong results: %r" % ok)
    if h1 - h0 < 4:
        bad.append("a plain view or a table with deterministic generated columns was not cached")

    if bad:
        print("\n".join(bad))
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "child":
        child(sys.argv[2])
    else:
        main()
