#!/bin/bash
# t_hit_path - the hit path makes no system call (the project's non-negotiable 5): a program
# that runs 1,000 more identical queries, every one a hit, makes no more system calls than one
# that runs 100 (strace -c -f counts them; a few dozen periodic ones are allowed), through
# libpq (PQexec, PQexecParams, PQexecPrepared) and Connector/C (text and prepared), with the
# memory tier and with the shared tier only (CAPACITOR_MEM=0). And a hit allocates what the
# program's result needs, nothing more: every libpq path as many times as PQexec (a hit of
# PQexecParams or PQsendQueryParams made a record of the unnamed statement, three allocations,
# when the connection already had that very record), and a Connector/C prepared hit once;
# a hit of the shared tier as often as one of the memory tier.
. "$CAP_ROOT/tests/integration/lib.sh"

# allocs: allocations per hit of each libpq path (pq_hitallocs), each the same as PQexec's
# (not under a sanitizer, whose allocator the client's counting one would replace).
if [ -n "${CAP_PG_HOST:-}" ] && [ "${SANITIZE:-0}" != 1 ]; then
	for mem in 64M 0; do
		out=$(env LD_PRELOAD="$CAP_PRELOAD" CAPACITOR_MEM=$mem "$CAP_BUILD/clients/pq_hitallocs" 200) ||
			fail "pq_hitallocs failed (CAPACITOR_MEM=$mem)"
		exec_a=$(sed -n 's/^exec allocs=//p' <<<"$out")
		[ -n "$exec_a" ] || fail "pq_hitallocs: no figure for PQexec"
		for path in params prepared nonblocking; do
			assert_eq "CAPACITOR_MEM=$mem: allocations per $path hit (PQexec: $exec_a)" "$exec_a" \
				"$(sed -n "s/^$path allocs=//p" <<<"$out")"
		done
		echo "ok: CAPACITOR_MEM=$mem: every libpq path allocates $exec_a times per hit, as PQexec"
		eval "exec_a_$mem=\$exec_a"
	done
	# a shared-tier hit copied its entry out of the file into an allocation of its own
	assert_eq "allocations per PQexec hit, shared tier alone (0) and memory tier (64M)" \
		"$exec_a_64M" "$exec_a_0"
fi
# A Connector/C prepared-statement hit allocates its rows, one block (it also copied the
# statement's text, every execution). A first run fills the cache; the second is all hits.
if [ -n "${CAP_MY_SOCKET:-}" ] && [ "${SANITIZE:-0}" != 1 ]; then
	for mem in 64M 0; do
		env LD_PRELOAD="$CAP_PRELOAD" CAPACITOR_MEM=$mem "$CAP_BUILD/clients/my_hitallocs" 10 >/dev/null ||
			fail "my_hitallocs warm-up failed (CAPACITOR_MEM=$mem)"
		out=$(env LD_PRELOAD="$CAP_PRELOAD" CAPACITOR_MEM=$mem "$CAP_BUILD/clients/my_hitallocs" 200) ||
			fail "my_hitallocs failed (CAPACITOR_MEM=$mem)"
		assert_eq "CAPACITOR_MEM=$mem: allocations per Connector/C prepared hit" "stmt allocs=1.00" "$out"
		echo "ok: CAPACITOR_MEM=$mem: a Connector/C prepared hit allocates once (its rows)"
	done
fi

command -v strace >/dev/null || skip "strace is not installed"
[ "${SANITIZE:-0}" = 1 ] && skip "sanitizer runtimes make system calls of their own"

# calls CLIENT N [ENV...] - the number of system calls the client makes for N queries.
calls() {
	local client=$1 n=$2 out
	shift 2
	out=$(env LD_PRELOAD="$CAP_PRELOAD" "$@" strace -f -c -o /dev/stdout "$client" "$n" 2>/dev/null) ||
		fail "$client $n failed under strace"
	awk '$NF == "total" { print $(NF-2) }' <<<"$out"
}

# check NAME CLIENT [ENV...] - warm the cache, then compare 100 and 1,100 hits.
check() {
	local name=$1 client=$2 a b
	shift 2
	env LD_PRELOAD="$CAP_PRELOAD" "$@" "$client" 10 >/dev/null || fail "$name: warm-up failed"
	a=$(calls "$client" 100 "$@")
	b=$(calls "$client" 1100 "$@")
	[ -n "$a" ] && [ -n "$b" ] || fail "$name: no strace summary"
	# a system call per hit would add at least 1,000; the periodic checks (every 200 ms) and
	# the connection's own setup vary by a few dozen between runs
	[ $((b - a)) -le 100 ] || fail "$name: 1,000 more hits made $((b - a)) more system calls ($a -> $b)"
	echo "ok: $name: 1,000 more hits, $((b - a)) more system calls"
}

if [ -n "${CAP_PG_HOST:-}" ]; then
	check "libpq, memory tier" "$CAP_BUILD/clients/pq_hitloop"
	check "libpq, shared tier" "$CAP_BUILD/clients/pq_hitloop" CAPACITOR_MEM=0
fi
if [ -n "${CAP_MY_SOCKET:-}" ]; then
	check "Connector/C, memory tier" "$CAP_BUILD/clients/my_hitloop"
	check "Connector/C, shared tier" "$CAP_BUILD/clients/my_hitloop" CAPACITOR_MEM=0
fi
