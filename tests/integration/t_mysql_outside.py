#!/usr/bin/python3
"""t_mysql_outside.py - MariaDB cases found by attacking Capacitor from outside.

Each scenario runs twice against the real server, once without and once with Capacitor
preloaded (a fresh CAPACITOR_DIR each time, every connection of the scenario in one process
with autocommit on, as the attack did), and must print the same lines. A scenario prints only
what the server's answers were, so any difference is something Capacitor served that the server
could not have given at that moment.
"""
import os
import subprocess
import sys
import tempfile

import MySQLdb._mysql as _m


def conn():
    c = _m.connect(unix_socket=os.environ["CAP_MY_SOCKET"], user=os.environ["CAP_MY_USER"],
                   passwd=os.environ["CAP_MY_PASSWORD"], db=os.environ["CAP_MY_DB"])
    c.autocommit(True)
    return c


def q(c, sql):
    c.query(sql)
    r = c.store_result()
    return r.fetch_row(0) if r else None


def setup():
    c = conn()
    for s in ("DROP TABLE IF EXISTS o_items", "DROP SEQUENCE IF EXISTS o_s1",
              "CREATE TABLE o_items (id INT PRIMARY KEY, qty INT) ENGINE=InnoDB",
              "INSERT INTO o_items SELECT seq, 1 FROM seq_1_to_50",
              "CREATE SEQUENCE o_s1"):
        q(c, s)


def oracle_sequence():
    """s.nextval / s.currval advance and read the sequence (sql_mode=ORACLE)."""
    c = conn()
    q(c, "SET sql_mode=ORACLE")
    print([q(c, "SELECT o_s1.nextval FROM dual")[0][0] for _ in range(3)])
    print(q(c, "SELECT o_s1.currval FROM dual"))
    print([q(c, "SELECT o_s1.nextval")[0][0] for _ in range(2)])


def read_uncommitted():
    """A dirty read at READ UNCOMMITTED is never served to another session."""
    a, b, w = conn(), conn(), conn()
    q(w, "UPDATE o_items SET qty=1 WHERE id=20")
    q(a, "SET SESSION TRANSACTION ISOLATION LEVEL READ UNCOMMITTED")
    q(w, "BEGIN")
    q(w, "UPDATE o_items SET qty=666 WHERE id=20")
    print("A", q(a, "SELECT qty FROM o_items WHERE id=20"))
    print("B", q(b, "SELECT qty FROM o_items WHERE id=20"))
    q(w, "ROLLBACK")
    print("B", q(b, "SELECT qty FROM o_items WHERE id=20"))
    # the one-shot form, used by one autocommit read
    q(w, "BEGIN")
    q(w, "UPDATE o_items SET qty=777 WHERE id=21")
    q(a, "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    q(a, "SET TRANSACTION ISOLATION LEVEL READ UNCOMMITTED")
    print("A", q(a, "SELECT qty FROM o_items WHERE id=21"))
    print("B", q(b, "SELECT qty FROM o_items WHERE id=21"))
    q(w, "ROLLBACK")
    print("B", q(b, "SELECT qty FROM o_items WHERE id=21"))


def begin_commits():
    """BEGIN / START TRANSACTION inside a transaction commits it: readers see the write."""
    r, w = conn(), conn()
    for i, begin in enumerate(("START TRANSACTION", "BEGIN", "BEGIN WORK",
                               "START TRANSACTION READ ONLY")):
        row = 40 + i
        q(w, "UPDATE o_items SET qty=1 WHERE id=%d" % row)
        print("R", q(r, "SELECT qty FROM o_items WHERE id=%d" % row))
        q(w, "START TRANSACTION")
        q(w, "UPDATE o_items SET qty=600 WHERE id=%d" % row)
        print("R", q(r, "SELECT qty FROM o_items WHERE id=%d" % row))
        q(w, begin)
        print("R", q(r, "SELECT qty FROM o_items WHERE id=%d" % row))
        print("R", q(r, "SELECT qty FROM o_items WHERE id=%d" % row))
        q(w, "COMMIT")


def analyze_stmt():
    """MariaDB's ANALYZE UPDATE runs the update: a cached read of the table is invalidated."""
    r = conn()
    print(q(r, "SELECT qty FROM o_items WHERE id=5"))
    print(q(r, "SELECT qty FROM o_items WHERE id=5"))
    q(r, "ANALYZE UPDATE o_items SET qty=qty+1 WHERE id=5")
    print(q(r, "SELECT qty FROM o_items WHERE id=5"))
    w = conn()
    q(w, "ANALYZE FORMAT=JSON DELETE FROM o_items WHERE id=6")
    print(q(r, "SELECT COUNT(*) FROM o_items"))


SCENARIOS = [oracle_sequence, read_uncommitted, begin_commits, analyze_stmt]


def run(name, preload):
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    with tempfile.TemporaryDirectory(prefix="cap-outside.") as d:
        os.chmod(d, 0o700)
        env["CAPACITOR_DIR"] = d
        if preload:
            env["LD_PRELOAD"] = os.environ["CAP_PRELOAD"]
        p = subprocess.run([sys.executable, __file__, "--child", name], env=env,
                           capture_output=True, text=True, timeout=120)
        return p.returncode, p.stdout + p.stderr


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        globals()[sys.argv[2]]()
        return 0
    if "CAP_MY_SOCKET" not in os.environ:
        print("skip: no MariaDB")
        return 77
    bad = 0
    for s in SCENARIOS:
        setup()
        want = run(s.__name__, False)
        setup()
        got = run(s.__name__, True)
        if want != got:
            bad += 1
            print("FAIL %s: %s\n  without: %r\n  with:    %r" % (s.__name__, s.__doc__, want, got))
        else:
            print("ok   %s" % s.__name__)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
