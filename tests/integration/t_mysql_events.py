#!/usr/bin/python3
"""t_mysql_events.py - MariaDB events are writers the server runs by itself.

A program creates an event through Capacitor (CREATE EVENT ... DO UPDATE), reads what it
will write (twice: the second read would be a hit), waits for the event to run, and must then
read the event's write: what an enabled event may write is never cached without a live
follower. An event whose body cannot be followed (BEGIN ... END, CALL) may write anything:
then no read is cached. A table no event writes stays cached (its reads are hits).

The program runs with LD_PRELOAD in a child process; the parent sets up (as root: the event
scheduler on, the EVENT privilege) and checks the answers and `capacitor stats`.
"""
import json
import os
import subprocess
import sys
import time

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


def one(c, sql):
    return int(q(c, sql)[0][0])


def root_sql(sql):
    return subprocess.run(["mariadb", "--no-defaults", "-uroot", "-S", os.environ["CAP_MY_SOCKET"],
                           "-e", sql], text=True, capture_output=True)


def child(mode):
    c = connect()
    out = []
    if mode == "simple":
        q(c, "CREATE EVENT ev_a ON SCHEDULE AT CURRENT_TIMESTAMP + INTERVAL 3 SECOND "
             "DO UPDATE ev_t SET v = v + 1 WHERE id = 1")
        time.sleep(1.2)  # the catalog may be read again (at most once a second after DDL)
        out.append(one(c, "SELECT v FROM ev_t WHERE id = 1"))
        out.append(one(c, "SELECT v FROM ev_t WHERE id = 1"))
        for _ in range(3):  # a table no event writes is still cached
            out.append(one(c, "SELECT COUNT(*) FROM ev_quiet"))
        time.sleep(3.5)
        out.append(one(c, "SELECT v FROM ev_t WHERE id = 1"))
    elif mode == "compound":
        q(c, "CREATE EVENT ev_b ON SCHEDULE AT CURRENT_TIMESTAMP + INTERVAL 3 SECOND "
             "DO BEGIN UPDATE ev_t2 SET v = v + 1 WHERE id = 1; END")
        time.sleep(1.2)
        out.append(one(c, "SELECT v FROM ev_t2 WHERE id = 1"))
        out.append(one(c, "SELECT v FROM ev_t2 WHERE id = 1"))
        time.sleep(3.5)
        out.append(one(c, "SELECT v FROM ev_t2 WHERE id = 1"))
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
    db = os.environ["CAP_MY_DB"]
    r = root_sql("SET GLOBAL event_scheduler = ON; GRANT EVENT ON `%s`.* TO '%s'@'localhost'"
                 % (db, os.environ["CAP_MY_USER"]))
    if r.returncode != 0:
        print("skip: no root access to turn the event scheduler on:", r.stderr)
        sys.exit(77)
    c = connect()
    for sql in ["DROP EVENT IF EXISTS ev_a", "DROP EVENT IF EXISTS ev_b",
                "DROP TABLE IF EXISTS ev_t, ev_t2, ev_quiet",
                "CREATE TABLE ev_t (id INT PRIMARY KEY, v INT)", "INSERT INTO ev_t VALUES (1, 10)",
                "CREATE TABLE ev_t2 (id INT PRIMARY KEY, v INT)",
                "INSERT INTO ev_t2 VALUES (1, 20)",
                "CREATE TABLE ev_quiet (a INT)", "INSERT INTO ev_quiet VALUES (1)"]:
        q(c, sql)
    time.sleep(1.2)
    bad = []
    h0 = stats()["hits"]
    got = run("simple")
    h1 = stats()["hits"]
    print("event DO UPDATE: reads before it ran, a quiet table x3, after:", got,
          "hits", h1 - h0)
    if got != [10, 10, 1, 1, 1, 11]:
        bad.append("a write made by an event is not seen: %s, expected "
                   "[10, 10, 1, 1, 1, 11]" % got)
    if h1 - h0 < 2:
        bad.append("a table no event writes is not cached any more (%d hits)" % (h1 - h0))
    got = run("compound")
    print("event DO BEGIN ... END: reads before it ran, after:", got)
    if got != [20, 20, 21]:
        bad.append("a write made by a compound event is not seen: %s, expected [20, 20, 21]"
                   % got)
    q(c, "DROP EVENT IF EXISTS ev_a")
    q(c, "DROP EVENT IF EXISTS ev_b")
    root_sql("SET GLOBAL event_scheduler = OFF")
    for b in bad:
        print("FAIL:", b)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "child":
        child(sys.argv[2])
    else:
        main()
