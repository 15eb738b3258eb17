#!/bin/bash
# t_preload_basic - the library is harmless in programs that use no database client: same
# output and exit status, no client library mapped; malformed CAPACITOR_* values never stop
# the host and are reported once; the capacitor command's run/config/help and make install.
. "$CAP_ROOT/tests/integration/lib.sh"

PRE=$(cap_preload)
[ -e "$CAP_LIB" ] || fail "$CAP_LIB not built"
[ -x "$CAP_TOOL" ] || fail "$CAP_TOOL not built"
t=$(cap_tmpdir)

# --- programs without a client library
mkdir -p "$t/ls/sub"
echo data >"$t/ls/file"
ln -s file "$t/ls/link"
want=$(ls -la --time-style=+ "$t/ls" 2>&1; echo "status $?")
got=$(LD_PRELOAD=$PRE ls -la --time-style=+ "$t/ls" 2>&1; echo "status $?")
assert_eq "ls under the preload" "$want" "$got"
assert_status "bash -c true under the preload" 0 env LD_PRELOAD="$PRE" bash -c true
assert_status "bash -c 'exit 7' under the preload" 7 env LD_PRELOAD="$PRE" bash -c 'exit 7'
got=$(LD_PRELOAD=$PRE bash -c 'echo "a b" | tr a-z A-Z' 2>&1)
assert_eq "a pipeline under the preload" "A B" "$got"

maps=$(LD_PRELOAD=$PRE cat /proc/self/maps)
grep -q 'libcapacitor\.so' <<<"$maps" || fail "libcapacitor.so is not mapped in a preloaded cat"
if grep -E 'libpq|libmariadb|libmysqlclient' <<<"$maps"; then
	fail "the preload maps a client library into a program that does not use one"
fi
echo "ok: no client library mapped by the preload"

# --- malformed values: one per variable of the configuration table
long=$(printf '/x%.0s' $(seq 1 3000)) # longer than PATH_MAX
declare -A bad=(
	[CAPACITOR_ENABLE]=yes
	[CAPACITOR_DIR]=relative/dir
	[CAPACITOR_MEM]=12Q
	[CAPACITOR_DISK]=-1
	[CAPACITOR_TTL]=5parsecs
	[CAPACITOR_MAX_RESULT]=0
	[CAPACITOR_RULES]=$long
	[CAPACITOR_TXN]=serializable
	[CAPACITOR_FOLLOW]=sometimes
	[CAPACITOR_FOLLOW_DSN]=redis://u:s3cretpw@localhost
	[CAPACITOR_LOG]=$long
	[CAPACITOR_LOG_LEVEL]=loud
	[CAPACITOR_LOG_INTERVAL]=soon
)
vars=$(env CAPACITOR_DIR="$t/capdir" "$CAP_TOOL" config | awk '{ print $1 }' | grep '^CAPACITOR_')
[ -n "$vars" ] || fail "capacitor config listed no variable"
for v in $vars; do
	[ -n "${bad[$v]+x}" ] || fail "$v is in the configuration table but not in this test: add a malformed value"
done

pg_out=
if [ -n "${CAP_PG_PORT:-}" ] && [ "${CAP_SAN_EXIT_HANG:-0}" != 1 ]; then
	pg_out=$(cap_pg_psql -tAc 'SELECT count(*) FROM items' 2>&1)
fi
for v in $vars; do
	val=${bad[$v]}
	got=$(env "$v=$val" LD_PRELOAD="$PRE" ls -la --time-style=+ "$t/ls" 2>"$t/err"; echo "status $?")
	assert_eq "ls with $v malformed" "$want" "$got"
	n=$(grep -cw "$v" "$t/err" || true)
	[ "$n" -le 1 ] || fail "$v malformed: $n lines name it on stderr of ls (at most one): $(cat "$t/err")"
	if [ -n "$pg_out" ]; then
		# A program that uses libpq: the library starts, reports the variable once, and
		# the query still answers.
		got=$(env "$v=$val" LD_PRELOAD="$PRE" "$CAP_PG_BIN/psql" -X -h "$CAP_PG_HOST" \
			-p "$CAP_PG_PORT" -U "$CAP_PG_USER" -d "$CAP_PG_DB" -tAc \
			'SELECT count(*) FROM items' 2>"$t/err")
		assert_eq "psql with $v malformed" "$pg_out" "$got"
		n=$(grep -cw "$v" "$t/err" || true)
		[ "$n" -eq 1 ] || fail "$v malformed: expected one line naming it on psql's stderr, got $n: $(cat "$t/err")"
		# a URI may hold a password: the line names the variable, not its value
		! grep -q s3cretpw "$t/err" || fail "$v malformed: its password was printed: $(cat "$t/err")"
	fi
done
echo "ok: every malformed variable leaves the host running and is reported once"

# --- CAPACITOR_LOG naming a FIFO nobody reads (a blocking open would hang the host at
# start-up), or a file others may write: refused, one line on stderr, the default file used.
if [ -n "$pg_out" ]; then
	mkdir -m 0700 "$t/logdir"
	mkfifo -m 0600 "$t/logfifo"
	install -m 0666 /dev/null "$t/logopen"
	for lf in "$t/logfifo" "$t/logopen"; do
		rc=0
		# (timeout outside the preload: it would report the value at its own load too)
		got=$(timeout -k 2 20 env CAPACITOR_LOG="$lf" CAPACITOR_DIR="$t/logdir" LD_PRELOAD="$PRE" \
			"$CAP_PG_BIN/psql" -X -h "$CAP_PG_HOST" -p "$CAP_PG_PORT" -U "$CAP_PG_USER" \
			-d "$CAP_PG_DB" -tAc 'SELECT count(*) FROM items' 2>"$t/err") || rc=$?
		[ "$rc" -ne 124 ] || fail "CAPACITOR_LOG=$lf: the host hung at start-up"
		assert_eq "psql with CAPACITOR_LOG=$(basename "$lf")" "$pg_out" "$got"
		n=$(grep -c CAPACITOR_LOG "$t/err" || true)
		[ "$n" -eq 1 ] || fail "CAPACITOR_LOG=$lf: expected one line on stderr, got $n: $(cat "$t/err")"
	done
	[ ! -s "$t/logopen" ] || fail "CAPACITOR_LOG: a world-writable file was written to"
	echo "ok: a FIFO or a world-writable CAPACITOR_LOG is refused without hanging"
fi

# capacitor config: exit 1 and every bad variable named
envs=()
for v in $vars; do
	envs+=("$v=${bad[$v]}")
done
rc=0
env "${envs[@]}" "$CAP_TOOL" config >"$t/out" 2>"$t/err" || rc=$?
[ "$rc" -eq 1 ] || fail "capacitor config with bad variables: exit $rc, expected 1"
for v in $vars; do
	grep -q "$v" "$t/err" || fail "capacitor config did not name $v on stderr: $(cat "$t/err")"
done
assert_status "capacitor config with the defaults" 0 env CAPACITOR_DIR="$t/capdir" "$CAP_TOOL" config >/dev/null
echo "ok: capacitor config"

# --- capacitor run
assert_status "capacitor run -- sh -c 'exit 3'" 3 \
	env LD_PRELOAD="$CAP_PRELOAD_PREFIX" "$CAP_TOOL" run -- sh -c 'exit 3'
assert_status "capacitor run of a missing command" 127 "$CAP_TOOL" run -- /nonexistent/cmd 2>/dev/null
libc=$(ldd /bin/sh | awk '/libc\.so/ { print $3 }')
pre="${CAP_PRELOAD_PREFIX:+$CAP_PRELOAD_PREFIX }$libc"
got=$(LD_PRELOAD=$pre "$CAP_TOOL" run sh -c 'echo "$LD_PRELOAD"')
case " $got " in
*" $libc "*) ;;
*) fail "capacitor run dropped the LD_PRELOAD already set ($pre): got '$got'" ;;
esac
case "$got" in
*libcapacitor.so*) ;;
*) fail "capacitor run did not add libcapacitor.so: '$got'" ;;
esac
# an installation whose path holds a space or a colon (attack round 7, x-4): LD_PRELOAD cannot
# carry it, so run says so and runs nothing, instead of ld.so errors and an uncached program
for inst in "my tools" "a:b"; do
	mkdir -p "$t/$inst/bin" "$t/$inst/lib"
	cp "$CAP_TOOL" "$t/$inst/bin/capacitor"
	cp "$CAP_LIB" "$t/$inst/lib/libcapacitor.so"
	rc=0
	"$t/$inst/bin/capacitor" run -- sh -c 'echo ran' >"$t/run.out" 2>"$t/run.err" || rc=$?
	[ "$rc" -eq 125 ] || fail "capacitor run from '$inst': exit $rc, expected 125 ($(cat "$t/run.err"))"
	grep -q "holds a space or a colon" "$t/run.err" || fail "capacitor run from '$inst': $(cat "$t/run.err")"
	! grep -q "ERROR: ld.so\|^ran" "$t/run.err" "$t/run.out" || fail "capacitor run from '$inst' ran the program"
done
echo "ok: capacitor run"

# --- help
"$CAP_TOOL" --help | grep -q usage || fail "capacitor --help printed no usage"
for c in run config invalidate help version; do
	assert_status "capacitor help $c" 0 "$CAP_TOOL" help "$c" >/dev/null
done
assert_status "capacitor with no command" 2 "$CAP_TOOL" 2>/dev/null
assert_status "capacitor bogus" 2 "$CAP_TOOL" bogus 2>/dev/null

# --- invalidate against a fresh directory, then a refused one
assert_status "capacitor invalidate" 0 env CAPACITOR_DIR="$t/inv" "$CAP_TOOL" invalidate items >/dev/null
assert_status "capacitor invalidate --all" 0 env CAPACITOR_DIR="$t/inv" "$CAP_TOOL" invalidate --all >/dev/null
[ -f "$t/inv/gen" ] || fail "capacitor invalidate did not create $t/inv/gen"
chmod 0777 "$t/inv"
assert_status "capacitor invalidate, unsafe dir" 1 env CAPACITOR_DIR="$t/inv" "$CAP_TOOL" invalidate items 2>/dev/null
echo "ok: capacitor help and invalidate"

# --- make install stages the library, the command and the man page
unset MAKEFLAGS MFLAGS MAKELEVEL
dest=$t/dest
make -s -C "$CAP_ROOT" install DESTDIR="$dest" PREFIX=/usr SANITIZE="${SANITIZE:-0}" >"$t/install.log" 2>&1 ||
	fail "make install failed: $(tail -n 20 "$t/install.log")"
for f in usr/lib/libcapacitor.so usr/bin/capacitor usr/share/man/man1/capacitor.1; do
	[ -s "$dest/$f" ] || fail "make install did not stage $f"
done
got=$(LD_PRELOAD=$CAP_PRELOAD_PREFIX "$dest/usr/bin/capacitor" run sh -c 'echo "$LD_PRELOAD"')
case "$got" in
*"$dest/usr/lib/libcapacitor.so"*) ;;
*) fail "the installed capacitor did not find the installed library: '$got'" ;;
esac
if command -v man >/dev/null 2>&1; then
	MANWIDTH=80 man -l "$dest/usr/share/man/man1/capacitor.1" 2>&1 | grep -q CAPACITOR_DIR ||
		fail "the installed man page does not render"
fi
echo "ok: make install"

# --- a file-size limit (ulimit -f) below the shared files: growing a file past it raises
# SIGXFSZ, which kills the host. Capacitor must not build what the limit refuses (attack find
# round 3 pg-17): the program runs as without it, with or without the L2 tier.
if [ -n "${CAP_PG_PORT:-}" ]; then
	for lim in 10240 64 1; do
		for disk in 64M 0; do
			d=$t/fsize.$lim.$disk
			out=$( (ulimit -f "$lim"; CAPACITOR_DIR=$d CAPACITOR_DISK=$disk \
				LD_PRELOAD="$(cap_preload)" cap_pg_psql -tA \
				-c "SELECT name FROM items WHERE id = 1" -c "SELECT name FROM items WHERE id = 1") 2>&1) ||
				fail "psql under ulimit -f $lim, CAPACITOR_DISK=$disk: exit $?: $out"
			assert_eq "psql under ulimit -f $lim, CAPACITOR_DISK=$disk" "$(printf 'item 1\nitem 1')" "$out"
		done
	done
	grep -q 'file-size limit' "$t/fsize.10240.0/log" ||
		fail "the log does not say the file-size limit refused a shared file: $(cat "$t/fsize.10240.0/log" 2>/dev/null)"
	echo "ok: a file-size limit below the shared files"
fi
