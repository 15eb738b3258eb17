#!/bin/bash
# t_preload_faults - the shared files misbehave while 4 processes read and write through the
# library (tests/clients/pq_coherence, which fails on any stale read). Each case runs the
# workload while another process damages CAPACITOR_DIR over and over:
#   truncate gen / l2.cache / stats (a mapping shrinks under the readers: SIGBUS), delete gen,
#   delete the other files,
#   random bytes over each file, the directory replaced by a file, the region and fold lock
#   words set to a live process that never lets go, CAPACITOR_DIR/lock held by another
#   process, the workers stopped (SIGSTOP) and continued, other processes writing into the
#   same files SIGKILLed over and over (CAP_FAULT_KILLS, default 50), and a full 64 KB tmpfs.
# Also: a Python program that enables faulthandler (its own SIGBUS handler) after its first
# query and then reads a truncated gen through a hit; l2.cache made group-writable under a
# running program.
# Every run must finish (bounded), exit 0 (no stale read, no crash), and print nothing of ours
# on stderr; the warnings go to CAPACITOR_DIR/log and are counted in `capacitor stats`.
# Damage repeats every 50 ms (every 250 ms when it replaces the generation table).
# CAP_FAULT_OPS sets the operations per process (default 5000; soak_faults uses more),
# CAP_FAULT_DISK the L2 size (default 8M: every replaced table rebuilds the L2 file).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cap_need_pg
cap_need_clean_exit
[ -e "$CAP_LIB" ] || fail "$CAP_LIB not built"
client=$CAP_BUILD/clients/pq_coherence
[ -x "$client" ] || fail "$client not built (make clients)"
ops=${CAP_FAULT_OPS:-5000}
seed=${CAP_TEST_SEED:-$(date +%s)}
echo "seed $seed (CAP_TEST_SEED to repeat), $ops operations per process"
t=$(cap_tmpdir)

# poke_locks DIR PID - set every L2 region's and the stats fold mutex's lock word to PID.
poke_locks() {
	python3 - "$1" "$2" <<'PY'
import mmap, os, struct, sys
d, pid = sys.argv[1], int(sys.argv[2])
def poke(path, offsets):
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return
    try:
        size = os.fstat(fd).st_size
        if size == 0:
            return
        m = mmap.mmap(fd, size)
        for off in offsets(m):
            if off + 4 <= size:
                m[off:off + 4] = struct.pack("<i", pid)
        m.close()
    finally:
        os.close(fd)
def l2(m):
    nregions = struct.unpack_from("<I", m, 32)[0]
    regions_off = struct.unpack_from("<Q", m, 56)[0]
    return [regions_off + 64 * r for r in range(min(nregions, 64))]
poke(os.path.join(d, "l2.cache"), l2)
poke(os.path.join(d, "stats"), lambda m: [128])
PY
}

# kill_writers DIR N - while the checked workload runs, a second pq_coherence (database
# capacitor_victim, same CAPACITOR_DIR) keeps writing into the shared files, and one of its
# processes is SIGKILLed every 50 ms, N times (restarted when it gives up).
killed=0
kill_writers() {
	local d=$1 n=$2 victim="" p
	while [ "$killed" -lt "$n" ] && kill -0 "$client_pid" 2>/dev/null; do
		if [ -z "$victim" ] || ! kill -0 "$victim" 2>/dev/null; then
			[ -z "$victim" ] || wait "$victim" 2>/dev/null || true
			PGDATABASE=capacitor_victim LD_PRELOAD=$(cap_preload) CAPACITOR_DIR=$d \
				CAPACITOR_DISK=${CAP_FAULT_DISK:-8M} "$client" -p 4 -n 1000000 -r 20 \
				>/dev/null 2>>"$t/victim.err" &
			victim=$!
			sleep 0.2
		fi
		# the victim's worker processes (its children), one at a time
		p=$(pgrep -P "$victim" 2>/dev/null | shuf -n 1 || true)
		if [ -n "$p" ]; then
			kill -KILL "$p" 2>/dev/null && killed=$((killed + 1))
		fi
		sleep 0.03
	done
	if [ -n "$victim" ]; then
		pkill -KILL -P "$victim" 2>/dev/null || true
		kill -KILL "$victim" 2>/dev/null || true
		wait "$victim" 2>/dev/null || true
	fi
	echo "kill-writers: $killed writers killed so far"
	if grep -q capacitor "$t/victim.err"; then
		fail "kill-writers: Capacitor printed on a program's stderr: $(grep capacitor "$t/victim.err" | head -3)"
	fi
}

# chaos DIR ACTION - one round of damage.
chaos() {
	local d=$1 f
	case "$2" in
	truncate-gen) truncate -s 0 "$d/gen" 2>/dev/null || true ;;
	truncate-l2) truncate -s 0 "$d/l2.cache" 2>/dev/null || true ;;
	truncate-stats) truncate -s 0 "$d/stats" 2>/dev/null || true ;;
	delete-gen) rm -f "$d/gen" ;;
	delete-others) rm -f "$d/l2.cache" "$d/stats" "$d/log" ;;
	random-bytes)
		for f in gen l2.cache stats; do
			[ -f "$d/$f" ] || continue
			head -c 4096 /dev/urandom | dd of="$d/$f" bs=4096 seek=$((RANDOM % 4)) conv=notrunc status=none 2>/dev/null || true
		done
		;;
	dir-is-a-file)
		# (the library re-creates a missing CAPACITOR_DIR: the rename races with it)
		if [ -d "$d" ] && [ ! -e "$d.old" ]; then
			mv -T "$d" "$d.old" 2>/dev/null && { : >"$d"; } 2>/dev/null || true
		elif [ -d "$d" ]; then
			rm -rf "$d.old"
		else
			rm -f "$d" && mv -T "$d.old" "$d" 2>/dev/null || true
		fi
		;;
	stop-workers)
		local p
		for p in $(pgrep -P "$client_pid" 2>/dev/null | shuf -n 2); do
			kill -STOP "$p" 2>/dev/null || true
			sleep 0.2
			kill -CONT "$p" 2>/dev/null || true
		done
		;;
	esac
}

# run_case NAME DIR ACTION [again] - the workload under the preload while ACTION repeats.
# A case whose damage leaves room for hits must have had some (else it tested nothing); a run
# of a second or so under damage every 0.25 s may still have none (every process reading its
# catalog again after each new table), so such a case runs once more before that fails. The
# checks on what the program got (exit status, stale reads, stderr) hold for every run.
run_case() {
	local name=$1 d=$2 action=$3 again=${4:-} rc=0 start end
	start=$(date +%s)
	LD_PRELOAD=$(cap_preload) CAPACITOR_DIR=$d CAPACITOR_ENABLE=1 CAPACITOR_DISK=${CAP_FAULT_DISK:-8M} \
		timeout -k 5 200 "$client" -p 4 -n "$ops" -r 20 -s "$seed" >"$t/$name.out" 2>"$t/$name.err" &
	client_pid=$!
	if [ "$action" = kill-writers ]; then
		kill_writers "$d" "${CAP_FAULT_KILLS:-50}"
	fi
	# Damage that replaces the generation table makes every process start over (a new table
	# means new generations: empty caches, catalogs read again): 4 times a second is plenty.
	local pause=0.05
	case "$action" in truncate-gen | delete-gen | random-bytes | dir-is-a-file) pause=0.25 ;; esac
	while kill -0 "$client_pid" 2>/dev/null; do
		[ -n "$action" ] && [ "$action" != kill-writers ] && chaos "$d" "$action"
		sleep "$pause"
	done
	wait "$client_pid" || rc=$?
	end=$(date +%s)
	if [ "$action" = dir-is-a-file ] && [ ! -d "$d" ]; then
		rm -f "$d"
		mv -T "$d.old" "$d"
	fi
	echo "$name: exit $rc in $((end - start))s: $(tail -n 1 "$t/$name.out")"
	[ "$rc" -eq 0 ] || fail "$name: pq_coherence exited $rc: $(tail -n 5 "$t/$name.err")"
	if grep -q capacitor "$t/$name.err"; then
		fail "$name: Capacitor printed on the program's stderr: $(grep capacitor "$t/$name.err" | head -3)"
	fi
	local hits
	hits=$({ "$CAP_TOOL" stats --dir "$d" --json 2>/dev/null || true; } |
		python3 -c 'import json,sys
try: print(json.load(sys.stdin).get("hits", 0))
except Exception: print(0)')
	echo "$name: $hits hits"
	if [ "$action" = truncate-l2 ] || [ "$action" = delete-gen ] || [ "$action" = stop-workers ] ||
		[ "$action" = kill-writers ]; then
		[ "$hits" -gt 0 ] && return 0
		[ -z "$again" ] || fail "$name: no hits, twice: the runs did not exercise the cache"
		echo "$name: no hits in this run: once more"
		run_case "$name" "$d" "$action" again
	fi
}

PGOPTIONS="-c client_min_messages=warning" cap_pg_psql -q -c "DROP DATABASE IF EXISTS capacitor_victim" -c "CREATE DATABASE capacitor_victim" >/dev/null
for action in truncate-gen truncate-l2 truncate-stats delete-gen delete-others random-bytes \
	dir-is-a-file stop-workers; do
	d=$t/dir-$action
	mkdir -m 0700 "$d"
	run_case "$action" "$d" "$action"
done
# the checked workload runs again until the writers were killed often enough
d=$t/dir-kill-writers
mkdir -m 0700 "$d"
while [ "$killed" -lt "${CAP_FAULT_KILLS:-50}" ]; do
	run_case kill-writers "$d" kill-writers
done

# Lock words naming a live process that never lets go, and the init lock held.
d=$t/dir-locks
mkdir -m 0700 "$d"
run_case locks-warm "$d" ""
sleep 1000 &
holder=$!
poke_locks "$d" "$holder"
rm -f "$d/gen" # the next processes must build a new table: they need CAPACITOR_DIR/lock
flock "$d/lock" sleep 1000 &
flocker=$!
run_case locks-held "$d" ""
kill "$holder" "$flocker" 2>/dev/null || true
wait "$holder" "$flocker" 2>/dev/null || true
grep -q "warning" "$d/log" || fail "locks-held: no warning in $d/log"

# The warnings are counted where `capacitor stats` shows them.
d=$t/dir-truncate-gen
out=$("$CAP_TOOL" stats --dir "$d" --json 2>/dev/null || true)
w=$(python3 -c 'import json,sys
try: print(json.loads(sys.argv[1]).get("warnings", 0))
except Exception: print(0)' "$out")
echo "truncate-gen: $w warnings counted in stats"
[ -s "$d/log" ] || fail "truncate-gen: nothing in $d/log"

# A program that installs its own SIGBUS handler after its first query (Python's
# faulthandler.enable()): Capacitor's is put back at the next miss a second later, so a
# truncated gen read by a hit is still a miss, not the program's handler killing it.
d=$t/dir-faulthandler
mkdir -m 0700 "$d"
cap_pg_psql -q -c "DROP TABLE IF EXISTS fh" -c "CREATE TABLE fh (id int PRIMARY KEY, v int)" \
	-c "INSERT INTO fh SELECT i, i FROM generate_series(1, 20) i" >/dev/null
rc=0
LD_PRELOAD=$(cap_preload) CAPACITOR_DIR=$d timeout -k 5 60 /usr/bin/python3 - "$d" >"$t/fh.out" 2>"$t/fh.err" <<'PY' || rc=$?
import faulthandler, os, sys, time
import psycopg2
d = sys.argv[1]
c = psycopg2.connect(""); c.autocommit = True; cur = c.cursor()
cur.execute("SELECT v FROM fh WHERE id = 1"); cur.fetchall()
faulthandler.enable()
time.sleep(1.2)
for r in range(5):
    for i in range(1, 21):
        cur.execute("SELECT v FROM fh WHERE id = %s", (i,)); assert cur.fetchall() == [(i,)]
    os.truncate(os.path.join(d, "gen"), 0)  # the next hit reads a truncated mapping
    time.sleep(0.3)
print("ok")
PY
[ "$rc" -eq 0 ] && grep -q ok "$t/fh.out" ||
	fail "faulthandler: the program died (exit $rc): $(head -c 600 "$t/fh.err")"
echo "faulthandler: a program's own SIGBUS handler installed late does not cost the protection"

# l2.cache made group-writable while a program runs (others could now write entries into
# it, and the programs that start now refuse it): the running program stops serving from it
# at its next periodic check, like a chmod of gen or of the directory. L1 off, so that every
# hit would be an L2 hit: only the one before the chmod may be.
d=$t/dir-l2-chmod
mkdir -m 0700 "$d"
cap_pg_psql -q -c "DROP TABLE IF EXISTS l2m" -c "CREATE TABLE l2m (id int PRIMARY KEY, v int)" \
	-c "INSERT INTO l2m SELECT i, i FROM generate_series(1, 5) i" >/dev/null
rc=0
LD_PRELOAD=$(cap_preload) CAPACITOR_DIR=$d CAPACITOR_MEM=0 timeout -k 5 60 /usr/bin/python3 - "$d" \
	>"$t/l2m.out" 2>"$t/l2m.err" <<'PY' || rc=$?
import os, sys, time
import psycopg2
d = sys.argv[1]
c = psycopg2.connect(""); c.autocommit = True; cur = c.cursor()
for _ in range(2):  # a miss, then an L2 hit
    cur.execute("SELECT v FROM l2m WHERE id = 1"); assert cur.fetchall() == [(1,)]
os.chmod(os.path.join(d, "l2.cache"), 0o620)
time.sleep(0.4)
for _ in range(5):
    cur.execute("SELECT v FROM l2m WHERE id = 1"); assert cur.fetchall() == [(1,)]
print("ok")
PY
[ "$rc" -eq 0 ] && grep -q ok "$t/l2m.out" || fail "l2 chmod: the program failed (exit $rc): $(head -c 600 "$t/l2m.err")"
h=$("$CAP_TOOL" stats --dir "$d" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["hits_l2"])')
[ "$h" = 1 ] || fail "l2 chmod: $h L2 hits, expected 1 (none from the group-writable file)"
echo "l2 chmod: a group-writable l2.cache is no longer served from"

# Two users (this test runs as root; the other is any unused uid). Another uid (setpriv) points CAPACITOR_DIR at this user's directory: refused, its
# program runs uncached and unharmed, and it leaves nothing there. Then it prepares a
# directory (mode 0777, with a generation table of its own) and this user is pointed at it:
# refused too (nothing cached, nothing on stderr), coherent.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	other=$((61000 + RANDOM % 1000))
	d=$t/dir-mine
	mkdir -m 0700 "$d"
	run_case mine "$d" ""
	chmod 0755 "$t" # the other user may reach the directory, not enter it
	as_other() {
		setpriv --reuid="$other" --regid="$other" --clear-groups env HOME=/nonexistent \
			PGHOST=127.0.0.1 LD_PRELOAD="$(cap_preload)" "$@"
	}
	err=$(as_other CAPACITOR_DIR="$d" "$client" -p 2 -n 500 -r 20 2>&1 >/dev/null) ||
		fail "two users: the other user's program failed with our directory: $err"
	if grep -q capacitor <<<"$err"; then fail "two users: Capacitor printed on stderr: $err"; fi
	if [ -n "$(find "$d" -uid "$other" 2>/dev/null)" ]; then
		fail "two users: the other user left files in our directory"
	fi
	poison=/tmp/capacitor-poison-$$
	rm -rf "$poison"
	as_other sh -c "mkdir -m 0777 '$poison' && chmod 0777 '$poison'"
	as_other CAPACITOR_DIR="$poison" "$client" -p 1 -n 50 -r 20 >/dev/null 2>&1 || true
	run_case poisoned "$poison" ""
	if [ -n "$(find "$poison" -uid 0 2>/dev/null)" ]; then
		rm -rf "$poison"
		fail "two users: this user wrote into a directory the other user made"
	fi
	rm -rf "$poison"
	echo "two users: neither uses the other's directory"
else
	echo "two users: skipped (needs root and setpriv)"
fi

# Statement values and result data never reach the log or the stats file: statements whose
# literals and results carry markers, cached and hit, with debug logging, while the generation
# table is damaged (so that warnings are written too).
d=$t/dir-secrets
mkdir -m 0700 "$d"
for i in 1 2 3; do
	LD_PRELOAD=$(cap_preload) CAPACITOR_DIR=$d CAPACITOR_LOG_LEVEL=debug "$CAP_PG_BIN/psql" -X -q \
		-h "$CAP_PG_HOST" -p "$CAP_PG_PORT" -U "$CAP_PG_USER" -d "$CAP_PG_DB" \
		-c "SELECT 'Lit3ralMark' AS a, md5('x') || 'Res7ltMark' AS b" \
		-c "SELECT * FROM kv WHERE id = 1 AND 'Par4mMark' <> ''" >/dev/null 2>"$t/secrets.err" ||
		fail "secrets: psql failed: $(cat "$t/secrets.err")"
	truncate -s 0 "$d/gen"
done
[ -s "$d/log" ] || fail "secrets: no log lines written"
for f in "$d/log" "$d/stats"; do
	if grep -a -q -E 'Lit3ralMark|Res7ltMark|Par4mMark' "$f"; then
		fail "secrets: $(basename "$f") holds statement values or result data"
	fi
done
echo "secrets: no statement value or result in the log or the stats file"

# A full file system: a 64 KB tmpfs holds none of the files (they are allocated in full
# before use, so no process dies of SIGBUS); the program runs uncached and unharmed.
mnt=$t/tiny
mkdir -p "$mnt"
if mount -t tmpfs -o size=64k,mode=0700 tmpfs "$mnt" 2>/dev/null; then
	trap 'umount "$mnt" 2>/dev/null || true; _cap_cleanup' EXIT
	run_case full-tmpfs "$mnt" ""
	ls -la "$mnt" >"$t/full-tmpfs.ls" 2>&1 || true
	umount "$mnt"
	trap _cap_cleanup EXIT
else
	echo "full-tmpfs: skipped (cannot mount a tmpfs here)"
fi
echo "ok"
