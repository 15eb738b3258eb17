"""t_passthrough_py - Python programs (psycopg2 and MySQLdb, whose extension modules load
libpq and libmysqlclient with RTLD_LOCAL) behave exactly the same without Capacitor, with it
switched off and with it on (cold and warm cache): stdout, stderr and exit status compared
byte for byte.

The parent runs this same file as a child (`--child pg|my`) once per mode; the child does
deterministic work and prints every result, description and error it sees.
"""
import os
import subprocess
import sys
import tempfile

MODES = ["off", "enable0", "enable1", "warm"]


def preload():
    v = os.environ.get("CAP_PRELOAD")
    if v:
        return v
    prefix = os.environ.get("CAP_PRELOAD_PREFIX", "")
    lib = os.environ["CAP_LIB"]
    return (prefix + " " + lib).strip()


# ---------------------------------------------------------------- children

def norm(rows):
    """Rows with memoryview values (bytea) as bytes, so that repr is stable."""
    return [tuple(bytes(x) if isinstance(x, memoryview) else x for x in r) for r in rows]


def show(label, fn):
    try:
        r = fn()
        print("%s: %r" % (label, r))
    except Exception as e:  # the error is part of the output
        print("%s: %s %s" % (label, type(e).__name__, str(e).rstrip()))
        code = getattr(e, "pgcode", None)
        if code:
            print("  pgcode=%s" % code)


def child_pg():
    import psycopg2
    import psycopg2.extras

    conn = psycopg2.connect("")  # PGHOST, PGPORT, PGUSER, PGDATABASE
    cur = conn.cursor()

    def q(sql, args=None, fetch=True):
        def run():
            cur.execute(sql, args)
            out = {"status": cur.statusmessage, "rowcount": cur.rowcount}
            if cur.description is not None:
                out["desc"] = [(d.name, d.type_code) for d in cur.description]
                if fetch:
                    out["rows"] = norm(cur.fetchall())
            return out
        show(sql if args is None else "%s %r" % (sql, args), run)

    # psycopg2 opens a transaction before the first statement: everything below runs inside
    # transactions unless autocommit is on.
    q("SET client_min_messages = warning", fetch=False)
    q("DROP TABLE IF EXISTS py_pg_t", fetch=False)
    q("CREATE TABLE py_pg_t (id int PRIMARY KEY, v text, n numeric)", fetch=False)
    conn.commit()
    cur.executemany("INSERT INTO py_pg_t VALUES (%s, %s, %s)",
                    [(1, "one", 1.5), (2, "two", None), (3, None, 3)])
    conn.commit()
    for _ in range(3):
        q("SELECT count(*), sum(price), min(name), max(qty) FROM items")
        q("SELECT * FROM items WHERE id <= %s ORDER BY id", (4,))
        q("SELECT * FROM py_pg_t ORDER BY id")
        conn.commit()
    q("SELECT NULL::int, ''::text, true, 1.5::float8, '\\x00ff'::bytea, DATE '2024-01-02', "
      "ARRAY[1,2], '{\"a\": 1}'::jsonb, 'caf\u00e9'::text")
    q("SELECT * FROM no_such_table")
    show("after error", lambda: conn.rollback())
    q("UPDATE py_pg_t SET v = 'uno' WHERE id = 1", fetch=False)
    q("SELECT * FROM py_pg_t ORDER BY id")
    conn.rollback()
    q("SELECT * FROM py_pg_t ORDER BY id")
    q("UPDATE py_pg_t SET v = 'uno' WHERE id = 1", fetch=False)
    conn.commit()
    q("SELECT * FROM py_pg_t ORDER BY id")
    conn.commit()

    conn.autocommit = True
    for _ in range(2):
        q("SELECT count(*) FROM items WHERE qty = %s", (3,))
        q("SELECT name FROM items WHERE id = ANY(%s) ORDER BY id", ([5, 6, 7],))
    q("DELETE FROM py_pg_t WHERE id = 3", fetch=False)
    q("SELECT * FROM py_pg_t ORDER BY id")
    q("SELECT 1/0")
    q("SELEC broken")
    q("SELECT 1 AS a; SELECT 2 AS b")

    d = conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor)
    d.execute("SELECT id, name FROM items WHERE id <= 3 ORDER BY id")
    print("dict rows:", [dict(r) for r in d.fetchall()])

    conn.autocommit = False
    named = conn.cursor("srv")  # server-side cursor: DECLARE ... FETCH
    named.itersize = 7
    named.execute("SELECT id FROM items WHERE id <= 20 ORDER BY id")
    print("named cursor:", [r[0] for r in named])
    named.close()
    conn.commit()

    import io
    buf = io.StringIO()
    cur.copy_expert("COPY (SELECT id, name FROM items WHERE id <= 3 ORDER BY id) TO STDOUT", buf)
    print("copy:", repr(buf.getvalue()))
    conn.commit()
    print("mogrify:", cur.mogrify("SELECT %s, %s", (1, "x")))
    q("DROP TABLE py_pg_t", fetch=False)
    conn.commit()
    conn.close()
    print("closed:", conn.closed)


def child_my():
    import MySQLdb

    conn = MySQLdb.connect(unix_socket=os.environ["CAP_MY_SOCKET"],
                           user=os.environ["CAP_MY_USER"], passwd=os.environ["CAP_MY_PASSWORD"],
                           db=os.environ["CAP_MY_DB"], charset="utf8mb4")
    cur = conn.cursor()

    def q(sql, args=None):
        def run():
            n = cur.execute(sql, args)
            out = {"n": n, "rowcount": cur.rowcount, "lastrowid": cur.lastrowid}
            if cur.description is not None:
                out["desc"] = [(d[0], d[1]) for d in cur.description]
                out["rows"] = cur.fetchall()
            return out
        show(sql if args is None else "%s %r" % (sql, args), run)

    # MySQLdb turns autocommit off: every statement below runs inside a transaction.
    q("DROP TABLE IF EXISTS py_my_t")
    q("CREATE TABLE py_my_t (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(20), n DECIMAL(6,2))")
    cur.executemany("INSERT INTO py_my_t (v, n) VALUES (%s, %s)",
                    [("one", 1.5), ("two", None), (None, 3)])
    conn.commit()
    for _ in range(3):
        q("SELECT COUNT(*), SUM(price), MIN(name), MAX(qty) FROM items")
        q("SELECT * FROM items WHERE id <= %s ORDER BY id", (4,))
        q("SELECT * FROM py_my_t ORDER BY id")
        conn.commit()
    q("SELECT NULL, '', TRUE, 1.5e0, x'00ff', DATE '2024-01-02', 'caf\u00e9'")
    q("SELECT * FROM no_such_table")
    q("SELEC broken")
    q("UPDATE py_my_t SET v = 'uno' WHERE id = 1")
    q("SELECT * FROM py_my_t ORDER BY id")
    conn.rollback()
    q("SELECT * FROM py_my_t ORDER BY id")
    q("UPDATE py_my_t SET v = 'uno' WHERE id = 1")
    conn.commit()
    q("SELECT * FROM py_my_t ORDER BY id")
    conn.commit()

    conn.autocommit(True)
    for _ in range(2):
        q("SELECT COUNT(*) FROM items WHERE qty = %s", (3,))
        q("SELECT name FROM items WHERE id IN (%s, %s, %s) ORDER BY id", (5, 6, 7))
    q("DELETE FROM py_my_t WHERE id = 3")
    q("SELECT * FROM py_my_t ORDER BY id")
    q("INSERT INTO py_my_t (v) VALUES ('auto')")
    q("SELECT LAST_INSERT_ID()")
    dc = conn.cursor(MySQLdb.cursors.DictCursor)
    dc.execute("SELECT id, name FROM items WHERE id <= 3 ORDER BY id")
    print("dict rows:", list(dc.fetchall()))
    sc = conn.cursor(MySQLdb.cursors.SSCursor)  # mysql_use_result
    sc.execute("SELECT id FROM items WHERE id <= 10 ORDER BY id")
    print("ss cursor:", [r[0] for r in sc])
    sc.close()
    q("DROP TABLE py_my_t")
    conn.close()
    print("closed")


# ---------------------------------------------------------------- parent

def run_mode(kind, mode, workdir):
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    if mode != "off":
        env["LD_PRELOAD"] = preload()
        env["CAPACITOR_ENABLE"] = "0" if mode == "enable0" else "1"
    p = subprocess.run([sys.executable, "-X", "utf8", os.path.abspath(__file__), "--child", kind],
                       env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=240)
    for name, data in (("out", p.stdout), ("err", p.stderr)):
        with open(os.path.join(workdir, "%s.%s.%s" % (kind, mode, name)), "wb") as f:
            f.write(data)
    return p.returncode, p.stdout, p.stderr


def compare(kind):
    workdir = os.environ.get("CAP_TEST_LOG") or tempfile.mkdtemp(prefix="capacitor-py.")
    ref = run_mode(kind, "off", workdir)
    if ref[0] != 0:
        print("FAIL: %s: the reference run (no library) failed, exit %d:\n%s%s" % (
            kind, ref[0], ref[1].decode(errors="replace")[-2000:],
            ref[2].decode(errors="replace")[-2000:]))
        return False
    ok = True
    for mode in MODES[1:]:
        got = run_mode(kind, mode, workdir)
        for i, what in enumerate(("exit status", "stdout", "stderr")):
            if got[i] != ref[i]:
                ok = False
                print("FAIL: %s: %s differs from off in %s" % (kind, mode, what))
                if i == 0:
                    print("    off: %r, %s: %r" % (ref[0], mode, got[0]))
                else:
                    import difflib
                    diff = difflib.unified_diff(
                        ref[i].decode(errors="replace").splitlines(),
                        got[i].decode(errors="replace").splitlines(),
                        "off", mode, lineterm="")
                    for line in list(diff)[:40]:
                        print("    " + line)
    if ok:
        print("ok: %s: identical in modes %s (%d lines)" % (
            kind, " ".join(MODES), ref[1].count(b"\n")))
    return ok


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        sys.stdout.reconfigure(line_buffering=True)
        {"pg": child_pg, "my": child_my}[sys.argv[2]]()
        return 0
    kinds = []
    for kind, mod, var in (("pg", "psycopg2", "CAP_PG_PORT"), ("my", "MySQLdb", "CAP_MY_PORT")):
        try:
            __import__(mod)
        except ImportError:
            print("%s not installed: %s part skipped" % (mod, kind))
            continue
        if not os.environ.get(var):
            print("%s not set: %s part skipped" % (var, kind))
            continue
        kinds.append(kind)
    if not kinds:
        print("skip: neither psycopg2 nor MySQLdb with a fixture server")
        return 77
    if not os.path.exists(os.environ.get("CAP_LIB", "")):
        print("FAIL: CAP_LIB %r not built" % os.environ.get("CAP_LIB"))
        return 1
    results = [compare(k) for k in kinds]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
