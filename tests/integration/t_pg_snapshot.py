"""t_pg_snapshot - the first query of a REPEATABLE READ or SERIALIZABLE transaction takes its
snapshot, so it reads the latest committed data and is stored (a later reader outside any
transaction gets it as a hit); its later queries are neither served nor stored; a transaction
that imports an older snapshot (SET TRANSACTION SNAPSHOT) stores nothing: a write committed
after that snapshot is what the next reader sees, never the imported snapshot's value.

psql runs with the library for every step but the snapshot's exporter, which holds a direct
psycopg2 connection open in this process.
"""
import json
import os
import subprocess
import sys

import psycopg2


def psql(*cmds, preload=True):
    env = dict(os.environ)
    if preload:
        env["LD_PRELOAD"] = os.environ.get("CAP_PRELOAD") or os.environ["CAP_LIB"]
    else:
        env.pop("LD_PRELOAD", None)
    args = [os.path.join(os.environ["CAP_PG_BIN"], "psql"), "-X", "-q", "-tA",
            "-v", "ON_ERROR_STOP=1"]
    for c in cmds:
        args += ["-c", c]
    p = subprocess.run(args, env=env, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("psql failed: %s\n%s" % (cmds, p.stderr))
    return [line for line in p.stdout.splitlines() if line]


def stats():
    p = subprocess.run([os.environ["CAP_TOOL"], "stats", "--json"], capture_output=True, text=True)
    if p.returncode != 0:
        return {"hits": 0, "fills_l1": 0, "fills_l2": 0}
    return json.loads(p.stdout)


READ = "SELECT v FROM snap_kv WHERE id = 1"
BUMP = "UPDATE snap_kv SET v = v + 1 WHERE id = 1"


def main():
    if not os.environ.get("CAP_PG_HOST"):
        print("skip: no PostgreSQL fixture")
        sys.exit(77)
    bad = []
    psql("DROP TABLE IF EXISTS snap_kv", "CREATE TABLE snap_kv (id int PRIMARY KEY, v int)",
         "INSERT INTO snap_kv VALUES (1, 0)")

    # the first query of a REPEATABLE READ transaction is stored and served afterwards
    for level in ("REPEATABLE READ", "SERIALIZABLE"):
        psql(BUMP)
        h0 = stats()["hits"]
        first = psql("BEGIN ISOLATION LEVEL " + level, READ, READ, "COMMIT")
        h1 = stats()["hits"]
        after = psql(READ)
        h2 = stats()["hits"]
        direct = psql(READ, preload=False)
        print("%s: in the transaction %r, after %r (direct %r), hits %d then %d"
              % (level, first, after, direct, h1 - h0, h2 - h1))
        if first != direct * 2 or after != direct:
            bad.append("%s: wrong values %r %r, server %r" % (level, first, after, direct))
        if h1 != h0:
            bad.append("%s: a hit inside the transaction" % level)
        if h2 - h1 != 1:
            bad.append("%s: its first query was not stored (no hit after it)" % level)

    # an imported snapshot is older than the generations: nothing it reads is stored
    psql(READ)  # cached
    x = psycopg2.connect(host=os.environ["CAP_PG_HOST"], port=os.environ["CAP_PG_PORT"],
                         user=os.environ["CAP_PG_USER"], dbname=os.environ["CAP_PG_DB"])
    x.set_session(isolation_level="REPEATABLE READ")
    cur = x.cursor()
    cur.execute("SELECT pg_export_snapshot()")
    snap = cur.fetchone()[0]
    old = psql(READ, preload=False)
    psql(BUMP)
    seen = psql("BEGIN ISOLATION LEVEL REPEATABLE READ",
                "SET TRANSACTION SNAPSHOT '%s'" % snap, READ, "COMMIT")
    x.rollback()
    x.close()
    now = psql(READ)
    direct = psql(READ, preload=False)
    print("imported snapshot: before %r, in it %r, after %r (direct %r)" % (old, seen, now, direct))
    if seen != old:
        bad.append("the imported snapshot's read %r is not the snapshot's %r" % (seen, old))
    if now != direct:
        bad.append("a read under an imported snapshot was stored: %r served, server has %r"
                   % (now, direct))
    if bad:
        print("\n".join(bad))
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
