#!/bin/bash
# t_config_stderr - a bad configuration value is reported on stderr at load (before main), once,
# and never on whatever fd 2 is later (README: "only a bad configuration value ... is reported
# on stderr, at start-up"). tests/clients/pq_fd2: a daemon whose data file is fd 2 at its first
# query gets no line in it; a program started with stderr closed, whose libpq socket is fd 2,
# still reads (before: the line went into the protocol stream and every query failed). With a
# normal stderr, CAPACITOR_TTL=5 (no unit), an unusable CAPACITOR_LOG and a bad rules file each
# still print their one line, also under `capacitor run`; and the value is in the log.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cap_need_pg
client=$CAP_BUILD/clients/pq_fd2
[ -x "$client" ] || fail "$client not built (make clients)"
d=$(cap_tmpdir)
export PGHOST=$CAP_PG_HOST PGPORT=$CAP_PG_PORT PGUSER=$CAP_PG_USER PGDATABASE=$CAP_PG_DB
export CAPACITOR_DIR=$d/cap CAPACITOR_ENABLE=1
mkdir -m 0700 "$CAPACITOR_DIR"

# the daemon's data file
"$client" data "$d/data.ref" >"$d/a.ref" || fail "pq_fd2 data without the library"
CAPACITOR_TTL=5 LD_PRELOAD=$(cap_preload) "$client" data "$d/data.cap" >"$d/a.cap" 2>"$d/a.err" ||
	fail "pq_fd2 data with the library: exit $?"
assert_eq "data file fd 2: only the program's records" "$(cat "$d/data.ref")" "$(cat "$d/data.cap")"
assert_eq "data file fd 2: stdout" "$(cat "$d/a.ref")" "$(cat "$d/a.cap")"
grep -q "^capacitor: CAPACITOR_TTL='5' is not valid" "$d/a.err" ||
	fail "data file fd 2: no line on stderr at load: $(cat "$d/a.err")"
echo "ok   daemon data file: no line in it, one on stderr at load"

# stderr closed from the start: nothing to say it on, and libpq's socket must stay clean
"$client" closed >"$d/b.ref" 2>&- || fail "pq_fd2 closed without the library"
grep -q "^socket fd 2$" "$d/b.ref" || fail "pq_fd2 closed: libpq's socket is not fd 2: $(cat "$d/b.ref")"
rc=0
CAPACITOR_TTL=5 LD_PRELOAD=$(cap_preload) "$client" closed >"$d/b.cap" 2>&- || rc=$?
assert_eq "2>&-: exit status" 0 "$rc"
assert_eq "2>&-: both reads as without the library" "$(cat "$d/b.ref")" "$(cat "$d/b.cap")"
grep -q "CAPACITOR_TTL='5' is not valid" "$CAPACITOR_DIR/log" ||
	fail "2>&-: the bad value is not in the log"
echo "ok   stderr closed: the reads succeed, the bad value is logged"

# a normal stderr: one line per bad value, at load, from the program or under `capacitor run`
lines() { # CMD... - the lines starting with "capacitor:" that CMD prints on stderr
	"$@" 2>&1 >/dev/null | grep '^capacitor:' || true
}
got=$(CAPACITOR_TTL=5 LD_PRELOAD=$(cap_preload) lines "$client" closed)
[ "$(wc -l <<<"$got")" = 1 ] && grep -q "CAPACITOR_TTL='5' is not valid" <<<"$got" ||
	fail "a normal stderr: expected one line for CAPACITOR_TTL, got: $got"
# (`capacitor run` appends the library to an LD_PRELOAD already set: under SANITIZE=1 the
# sanitizer runtime, which must come first, is given that way)
got=$(CAPACITOR_TTL=5 lines env ${CAP_PRELOAD_PREFIX:+LD_PRELOAD=$CAP_PRELOAD_PREFIX} \
	"$CAP_TOOL" run "$client" closed)
[ "$(wc -l <<<"$got")" = 1 ] && grep -q "CAPACITOR_TTL='5' is not valid" <<<"$got" ||
	fail "capacitor run: expected one line for CAPACITOR_TTL, got: $got"
# a program that never queries says it too: it is start-up, not the first query
got=$(CAPACITOR_TTL=5 LD_PRELOAD=$(cap_preload) lines /bin/true)
grep -q "CAPACITOR_TTL='5' is not valid" <<<"$got" || fail "/bin/true: no line at load: $got"
mkdir "$d/notafile"
got=$(CAPACITOR_LOG=$d/notafile LD_PRELOAD=$(cap_preload) lines "$client" closed)
[ "$(wc -l <<<"$got")" = 1 ] && grep -q "CAPACITOR_LOG='$d/notafile' cannot be used" <<<"$got" ||
	fail "a bad CAPACITOR_LOG: expected one line, got: $got"
printf 'this is not a rule\n' >"$d/rules"
got=$(CAPACITOR_RULES=$d/rules LD_PRELOAD=$(cap_preload) lines "$client" closed)
[ "$(wc -l <<<"$got")" = 1 ] && grep -q "CAPACITOR_RULES='$d/rules' is not valid ($d/rules:1: " <<<"$got" ||
	fail "a bad rules file: expected one line, got: $got"
echo "ok   a normal stderr: one line at load for each bad value"

# stderr a pipe whose reader has gone: the line must not kill the program with SIGPIPE (before
# main, or at exit with CAPACITOR_LOG=stderr); the program's own SIGPIPE stays its own
deaf() { # deaf ENV... -- CMD...: run CMD with stderr a pipe nobody reads; print "EXIT STDOUT"
	/usr/bin/python3 - "$@" <<'PY'
import os, subprocess, sys
a = sys.argv[1:]
i = a.index("--")
env = dict(os.environ)
env.update(kv.split("=", 1) for kv in a[:i])
r, w = os.pipe()
os.close(r)
p = subprocess.run(a[i + 1:], stderr=w, stdout=subprocess.PIPE, env=env)
print(p.returncode, p.stdout.decode().strip().replace("\n", " "))
PY
}
pre=LD_PRELOAD=$(cap_preload)
assert_eq "bad value, deaf stderr: /bin/echo" "0 hello" "$(deaf CAPACITOR_TTL=5 "$pre" -- /bin/echo hello)"
assert_eq "CAPACITOR_LOG=stderr, deaf stderr: psql" "0 100 100" \
	"$(deaf CAPACITOR_LOG=stderr CAPACITOR_LOG_INTERVAL=0 "$pre" -- "$CAP_PG_BIN/psql" -X -Atc "select count(*) from items" -c "select count(*) from items")"
# a program that writes to the deaf pipe itself still gets its SIGPIPE (-13), as without us
assert_eq "the program's own write" "-13 " \
	"$(deaf CAPACITOR_TTL=5 "$pre" -- /bin/sh -c 'echo x >&2; echo after')"
echo "ok   stderr a pipe with no reader: no SIGPIPE from our lines"
echo "ok"
