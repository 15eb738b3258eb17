#!/bin/bash
# t_mysql_ruby.sh - Ruby's mysql2 through Capacitor. mysql2 sends with mysql_send_query, waits
# for the socket to turn readable, then calls mysql_read_query_result: a hit must still make
# the socket readable, so every query returns, reads are right and hit, writes invalidate,
# and the results mysql2 reads fill the cache that other programs hit.
. "$(dirname "$0")/lib.sh"
cap_need_my
command -v ruby >/dev/null && ruby -e 'require "mysql2"' 2>/dev/null ||
	skip "ruby with mysql2 not installed (ruby-mysql2)"
client=$CAP_BUILD/clients/my_session
[ -x "$client" ] || fail "$client not built (make clients)"
tmp=$(cap_tmpdir)

cap_my_sql <<'SQL'
DROP TABLE IF EXISTS t_rb;
CREATE TABLE t_rb (id INT PRIMARY KEY, v VARCHAR(16)) ENGINE=InnoDB;
INSERT INTO t_rb VALUES (1, 'one'), (2, 'two');
SQL

cat >"$tmp/prog.rb" <<'RUBY'
require "mysql2"
c = Mysql2::Client.new(socket: ENV["CAP_MY_SOCKET"], username: ENV["CAP_MY_USER"],
                       password: ENV["CAP_MY_PASSWORD"], database: ENV["CAP_MY_DB"])
3.times { puts c.query("SELECT 1 AS one").first["one"] }
3.times { puts c.query("SELECT v FROM t_rb WHERE id = 1").first["v"] }
puts c.query("SELECT id, v FROM t_rb ORDER BY id").map { |r| "#{r['id']}=#{r['v']}" }.join(",")
c.query("UPDATE t_rb SET v = '#{ARGV[0]}' WHERE id = 1")
puts c.query("SELECT v FROM t_rb WHERE id = 1").first["v"]
puts c.query("SELECT v FROM t_rb WHERE id = 1", stream: true, cache_rows: false).map { |r| r["v"] }.join(",")
s = c.prepare("SELECT v FROM t_rb WHERE id = ?")
2.times { puts s.execute(2).first["v"] }
c.query("UPDATE t_rb SET v = 'one' WHERE id = 1")
puts c.query("SELECT v FROM t_rb WHERE id = 1").first["v"]
puts c.query("SELECT id, v FROM t_rb ORDER BY id").map { |r| "#{r['id']}=#{r['v']}" }.join(",")
c.close
RUBY

expect='1
1
1
one
one
one
1=one,2=two
uno
uno
two
two
one
1=one,2=two'
got=$(LD_PRELOAD=$(cap_preload) timeout -k 5 60 ruby "$tmp/prog.rb" uno 2>&1) ||
	fail "mysql2 program failed or hung (exit $?): $got"
assert_eq "mysql2 results" "$expect" "$got"
json() { "$CAP_TOOL" stats --json | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
before=$(json hits)
got=$(LD_PRELOAD=$(cap_preload) timeout -k 5 60 ruby "$tmp/prog.rb" uno 2>&1) ||
	fail "mysql2 program (second process) failed or hung (exit $?): $got"
assert_eq "mysql2 results (second process)" "$expect" "$got"
[ "$(json hits)" -gt "$before" ] || fail "mysql2 got no hits"

[ "$(json writes)" -ge 4 ] || fail "expected the mysql2 writes to be counted, got $(json writes)"
[ "$(json entries)" -ge 1 ] || fail "mysql2's reads filled nothing"

# what mysql2 read is there for a program that does not wait on the socket (and uses
# the same character set: mysql2 sets utf8)
before=$(json hits)
out=$(printf 'q SELECT id, v FROM t_rb ORDER BY id\n' | LD_PRELOAD=$(cap_preload) MY_SESS_CHARSET=utf8 "$client")
assert_eq "C client after mysql2" "> q SELECT id, v FROM t_rb ORDER BY id
1|one
2|two" "$out"
[ "$(json hits)" -gt "$before" ] || fail "no hit on what mysql2 filled"

# a write through mysql2 is seen by the C client's next read
printf 'q SELECT v FROM t_rb WHERE id = 2\n' | LD_PRELOAD=$(cap_preload) "$client" >/dev/null
cat >"$tmp/w.rb" <<'RUBY'
require "mysql2"
c = Mysql2::Client.new(socket: ENV["CAP_MY_SOCKET"], username: ENV["CAP_MY_USER"],
                       password: ENV["CAP_MY_PASSWORD"], database: ENV["CAP_MY_DB"])
c.query("UPDATE t_rb SET v = 'dos' WHERE id = 2")
RUBY
LD_PRELOAD=$(cap_preload) timeout -k 5 60 ruby "$tmp/w.rb" || fail "mysql2 write failed"
out=$(printf 'q SELECT v FROM t_rb WHERE id = 2\n' | LD_PRELOAD=$(cap_preload) "$client")
assert_eq "C client after a mysql2 write" "> q SELECT v FROM t_rb WHERE id = 2
dos" "$out"

# hits send nothing: the program's wait on the socket is answered, no ping goes out
if command -v strace >/dev/null; then
	cat >"$tmp/n.rb" <<'RUBY'
require "mysql2"
c = Mysql2::Client.new(socket: ENV["CAP_MY_SOCKET"], username: ENV["CAP_MY_USER"],
                       password: ENV["CAP_MY_PASSWORD"], database: ENV["CAP_MY_DB"])
ARGV[0].to_i.times { c.query("SELECT id, v FROM t_rb ORDER BY id").to_a }
c.close
RUBY
	sends() {
		LD_PRELOAD=$(cap_preload) timeout -k 5 60 strace -f -qq -e trace=sendto \
			-o "$tmp/strace.$1" ruby "$tmp/n.rb" "$1" || fail "mysql2 loop of $1 failed"
		grep -c 'sendto(' "$tmp/strace.$1" || true
	}
	sends 1 >/dev/null # fills the cache
	s1=$(sends 2)
	s2=$(sends 12)
	[ "$s1" -eq "$s2" ] || fail "10 more mysql2 hits sent $((s2 - s1)) more messages ($s1 -> $s2)"
	echo "ok: 10 more mysql2 hits, no round trip ($s1 sends either way)"
fi
echo "ok"
