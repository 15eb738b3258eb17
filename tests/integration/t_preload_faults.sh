#!/bin/bash
# t_preload_faults - the shared files misbehave while 4 processes read and write through the
# library (tests/clients/pq_coherence, which fails on any stale read). Each case runs the
# workload while another process damages CAPACITOR_DIR every 50 ms:
#   truncate gen / l2.cache / stats (a mapping shrinks under the readers: SIGBUS), delete gen,
#   random bytes over each file, the directory replaced by a file, the region and fold lock
#   words set to a live process that never lets go, CAPACITOR_DIR/lock held by another
#   process, the workers stopped (SIGSTOP) and continued, and a full 64 KB tmpfs.
# Every run must finish (bounded), exit 0 (no stale read, no crash), and print nothing of ours
# on stderr; the warnings go to CAPACITOR_DIR/log and are counted in `capacitor stats`.
# CAP_FAULT_OPS sets the operations per process (default 20000; soak_faults uses more),
# CAP_FAULT_DISK the L2 size (default 8M: every replaced table rebuilds the L2 file).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cap_need_pg
cap_need_clean_exit
[ -e "$CAP_LIB" ] || fail "$CAP_LIB not built"
client=$CAP_BUILD/clients/pq_coherence
[ -x "$client" ] || fail "$client not built (make clients)"
ops=${CAP_FAULT_OPS:-20000}
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

# chaos DIR ACTION - one round of damage.
chaos() {
	local d=$1 f
	case "$2" in
	truncate-gen) truncate -s 0 "$d/gen" 2>/dev/null || true ;;
	truncate-l2) truncate -s 0 "$d/l2.cache" 2>/dev/null || true ;;
	truncate-stats) truncate -s 0 "$d/stats" 2>/dev/null || true ;;
	delete-gen) rm -f "$d/gen" ;;
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

# run_case NAME DIR ACTION - the workload under the preload while ACTION repeats.
run_case() {
	local name=$1 d=$2 action=$3 rc=0 start end
	start=$(date +%s)
	LD_PRELOAD=$(cap_preload) CAPACITOR_DIR=$d CAPACITOR_ENABLE=1 CAPACITOR_DISK=${CAP_FAULT_DISK:-8M} \
		timeout -k 5 200 "$client" -p 4 -n "$ops" -r 20 -s "$seed" >"$t/$name.out" 2>"$t/$name.err" &
	client_pid=$!
	while kill -0 "$client_pid" 2>/dev/null; do
		[ -n "$action" ] && chaos "$d" "$action"
		sleep 0.05
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
	if [ "$action" = truncate-l2 ] || [ "$action" = delete-gen ] || [ "$action" = stop-workers ]; then
		[ "$hits" -gt 0 ] || fail "$name: no hits: the run did not exercise the cache"
	fi
}

for action in truncate-gen truncate-l2 truncate-stats delete-gen random-bytes dir-is-a-file \
	stop-workers; do
	d=$t/dir-$action
	mkdir -m 0700 "$d"
	run_case "$action" "$d" "$action"
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
