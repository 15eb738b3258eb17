#!/bin/bash
# t_pg_ruby - Ruby's pg (Debian's ruby-pg, on the system libpq.so.5) through the library. pg
# makes every libpq connection nonblocking and, for exec (= async_exec), exec_params, prepare
# and exec_prepared, sends, then calls PQconsumeInput and PQisBusy and waits on the socket only
# while busy. A realistic program - exec, sync_exec, async_exec, exec_params (text and binary,
# NULL and binary parameters), prepare/exec_prepared (sync and async), typed results,
# transactions (commit, rollback, REPEATABLE READ), writes on its own and on another connection
# followed by reads, errors outside and inside a transaction, the nonblocking API waited on
# with IO.select (busy-first, and socket-first on a socket fetched before sending), send_query
# + block, COPY (also as the process's first statement: a read, it must invalidate nothing) -
# prints everything it sees; it runs without the library, then with it (cold, warm), and every
# run must print the same. Repeated reads must be hits (the warm run's from the shared tier,
# with no miss), and a write must show in the next read (the compared output).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/integration/drivers.sh
. "$(dirname "${BASH_SOURCE[0]}")/drivers.sh"
cap_need_pg
cap_need_clean_exit
ruby -e 'require "pg"' 2>/dev/null || skip "ruby with pg not installed (ruby-pg)"
lib=$(ruby -e 'require "pg"; puts $LOADED_FEATURES.grep(/pg_ext/).first')
case $(ldd "$lib") in *"libpq.so.5 => /"*) ;; *) fail "ruby-pg's $lib does not load the system libpq.so.5" ;; esac

cap_pg_psql -q <<'SQL'
SET client_min_messages = warning;
DROP TABLE IF EXISTS rbpg_t;
CREATE TABLE rbpg_t (id int PRIMARY KEY, v int, t text, b bytea);
SQL

prog=$CAP_DRV_DIR/prog.rb
cat >"$prog" <<'RUBY'
require "pg"

def conn(**o)
  PG.connect(host: ENV["PGHOST"], port: ENV["PGPORT"], user: ENV["PGUSER"], dbname: ENV["PGDATABASE"], **o)
end

def show(label, res)
  rows = res.values.map { |r| r.map { |v| v.nil? ? "NULL" : v.to_s }.join("|") }.join(",")
  puts "#{label}: [#{rows}] fields=#{res.fields.join(",")} types=#{res.nfields.times.map { |i| res.ftype(i) }.join(",")} " \
       "status=#{res.res_status(res.result_status)} cmd=#{res.cmd_status} tuples=#{res.cmd_tuples} ntuples=#{res.ntuples}"
end

def err(label, c)
  yield
  puts "#{label}: no error"
rescue PG::Error => e
  r = e.result
  puts "#{label}: #{e.class} #{r && r.error_field(PG::PG_DIAG_SQLSTATE)} #{e.message.strip.gsub("\n", " / ")} txn=#{c.transaction_status}"
end

# the process's first statement is a COPY of a query: a read, it invalidates nothing
cp = conn
cp.copy_data("COPY (SELECT id, name FROM items WHERE id <= 2 ORDER BY id) TO STDOUT") do
  puts "first copy: #{[cp.get_copy_data, cp.get_copy_data, cp.get_copy_data].inspect}"
end
cp.close

setup = conn
setup.exec("SET client_min_messages = warning")
setup.exec("DELETE FROM rbpg_t")
setup.exec("INSERT INTO rbpg_t VALUES (1, 10, 'un', '\\x00ff'), (2, 20, 'dos', NULL), (3, NULL, 'tres', '\\x')")
setup.close

c = conn
w = conn # a second connection that writes
reads = [
  "SELECT id, name, price, qty FROM items WHERE id <= 5 ORDER BY id",
  "SELECT count(*), sum(price) FROM items",
  "SELECT id, v, t, b FROM rbpg_t ORDER BY id",
  "SELECT NULL::int AS n, 'é日本😀'::text AS u, '\\x00ff'::bytea AS b, ARRAY[1,2] AS a, '{\"a\":1}'::jsonb AS j, 1.5::numeric AS d",
  "SELECT * FROM items WHERE false",
]
2.times do |rnd|
  reads.each_with_index do |sql, i|
    3.times do |k|
      show("r#{rnd} exec q#{i} ##{k}", c.exec(sql))
      show("r#{rnd} sync_exec q#{i} ##{k}", c.sync_exec(sql))
      show("r#{rnd} async_exec q#{i} ##{k}", c.async_exec(sql))
    end
  end
  # parameterised, text and binary results, sync and async
  3.times do |k|
    show("r#{rnd} exec_params ##{k}", c.exec_params("SELECT id, name, price FROM items WHERE id = $1 OR name = $2", [7, "no"]))
    show("r#{rnd} exec_params bin ##{k}", c.exec_params("SELECT id, t, b FROM rbpg_t WHERE id = $1", [1], 1))
    show("r#{rnd} sync_exec_params ##{k}", c.sync_exec_params("SELECT v FROM rbpg_t WHERE id = $1::int", ["2"]))
    show("r#{rnd} async_exec_params ##{k}", c.async_exec_params("SELECT v FROM rbpg_t WHERE id = $1::int", ["2"]))
    show("r#{rnd} params null ##{k}", c.exec_params("SELECT $1::text IS NULL AS isnull, $2::bytea AS b", [nil, {value: "\x00\x01", format: 1}]))
  end
  # prepared statements
  c.prepare("rb_get#{rnd}", "SELECT id, t FROM rbpg_t WHERE id = $1")
  c.sync_prepare("rb_sget#{rnd}", "SELECT id, name FROM items WHERE id = $1")
  3.times do |k|
    show("r#{rnd} exec_prepared ##{k}", c.exec_prepared("rb_get#{rnd}", [1]))
    show("r#{rnd} sync_exec_prepared ##{k}", c.sync_exec_prepared("rb_sget#{rnd}", [3]))
    show("r#{rnd} async_exec_prepared ##{k}", c.async_exec_prepared("rb_sget#{rnd}", [4]))
  end
  d = c.describe_prepared("rb_get#{rnd}")
  puts "describe: nparams=#{d.nparams} fields=#{d.fields.join(",")}"
  # typed results (PG::BasicTypeMapForResults)
  tm = PG::BasicTypeMapForResults.new(c)
  2.times do |k|
    r = c.exec("SELECT id, price, qty FROM items WHERE id <= 2 ORDER BY id")
    r.type_map = tm
    puts "typed ##{k}: #{r.values.inspect}"
  end

  # a write through the driver, then reads on both connections
  show("r#{rnd} read before write", c.exec_params("SELECT v FROM rbpg_t WHERE id = $1", [2]))
  show("r#{rnd} write", w.exec_params("UPDATE rbpg_t SET v = v + $1 WHERE id = $2", [1, 2]))
  show("r#{rnd} read after write", c.exec_params("SELECT v FROM rbpg_t WHERE id = $1", [2]))
  show("r#{rnd} read after write (exec)", c.exec("SELECT id, v, t, b FROM rbpg_t ORDER BY id"))
  show("r#{rnd} write own conn", c.exec("UPDATE rbpg_t SET t = t || '+' WHERE id = 3"))
  show("r#{rnd} read after own write", c.exec("SELECT id, v, t, b FROM rbpg_t ORDER BY id"))
  show("r#{rnd} prepared after write", c.exec_prepared("rb_get#{rnd}", [3]))

  # transactions
  c.transaction do |t|
    show("txn read", t.exec("SELECT v FROM rbpg_t WHERE id = 1"))
    show("txn write", t.exec("UPDATE rbpg_t SET v = v * 2 WHERE id = 1"))
    show("txn own write", t.exec("SELECT v FROM rbpg_t WHERE id = 1"))
    show("other conn during txn", w.exec("SELECT v FROM rbpg_t WHERE id = 1"))
    puts "txn status: #{t.transaction_status}"
  end
  show("after commit", c.exec("SELECT v FROM rbpg_t WHERE id = 1"))
  show("after commit other", w.exec("SELECT v FROM rbpg_t WHERE id = 1"))
  begin
    c.transaction do |t|
      show("rb txn write", t.exec("UPDATE rbpg_t SET v = -1 WHERE id = 1"))
      show("rb txn own write", t.exec("SELECT v FROM rbpg_t WHERE id = 1"))
      raise PG::Error, "roll back"
    end
  rescue PG::Error => e
    puts "rolled back: #{e.message}"
  end
  show("after rollback", c.exec("SELECT v FROM rbpg_t WHERE id = 1"))
  c.exec("BEGIN ISOLATION LEVEL REPEATABLE READ")
  show("rr read", c.exec("SELECT id, v FROM rbpg_t ORDER BY id"))
  show("rr other write", w.exec("UPDATE rbpg_t SET v = v + 1000 WHERE id = 2"))
  show("rr read again", c.exec("SELECT id, v FROM rbpg_t ORDER BY id"))
  c.exec("COMMIT")
  show("after rr", c.exec("SELECT id, v FROM rbpg_t ORDER BY id"))

  # errors, outside and inside a transaction
  err("error undefined table", c) { c.exec("SELECT * FROM rbpg_no_such") }
  err("error division", c) { c.exec_params("SELECT 1 / $1::int", [0]) }
  c.exec("BEGIN")
  show("in txn", c.exec("SELECT count(*) FROM rbpg_t"))
  err("error in txn", c) { c.exec("SELECT x FROM rbpg_t") }
  err("after error in txn", c) { c.exec("SELECT count(*) FROM rbpg_t") }
  c.exec("ROLLBACK")
  show("after error", c.exec("SELECT id, v, t, b FROM rbpg_t ORDER BY id"))

  # nonblocking style: send, then consume_input/is_busy, wait on the socket only while busy
  c.setnonblocking(true)
  io = c.socket_io
  3.times do |k|
    c.send_query_params("SELECT id, name FROM items WHERE id <= $1 ORDER BY id", [3])
    c.flush
    loop do
      c.consume_input
      break unless c.is_busy
      IO.select([io], nil, nil, 10) or (puts "HANG: busy and not readable"; exit 3)
    end
    r = c.get_result
    show("nb r#{rnd} ##{k}", r)
    puts "nb next: #{c.get_result.inspect}"
  end
  # waits on the socket first (an event loop), with the socket fetched before sending
  3.times do |k|
    c.send_query("SELECT id, v FROM rbpg_t WHERE id = 2")
    c.flush
    until (IO.select([io], nil, nil, 10) or (puts "HANG: socket never readable"; exit 3)) && (c.consume_input; !c.is_busy)
    end
    show("poll first r#{rnd} ##{k}", c.get_result)
    puts "poll first next: #{c.get_result.inspect}"
  end
  c.setnonblocking(false)
  # send + block / get_last_result
  c.send_query("SELECT count(*) FROM items WHERE qty > 0")
  c.block(10) or (puts "HANG: block timed out"; exit 3)
  show("block", c.get_last_result)
  # COPY passes through
  c.copy_data("COPY (SELECT id, t FROM rbpg_t ORDER BY id) TO STDOUT") do
    rows = []
    while (row = c.get_copy_data)
      rows << row
    end
    puts "copy: #{rows.inspect}"
  end
  puts "status: #{c.transaction_status} #{c.status}"
end
c.close
w.close
RUBY

cap_drv_run "ruby-pg" ruby "$prog"
for mode in cold warm; do
	max=1
	[ "$mode" = warm ] && max=0
	cap_drv_expect_hits $mode "SELECT COUNT(*), SUM(price) FROM items" 17 $max
	cap_drv_expect_hits $mode "SELECT id, name, price FROM items WHERE id = ? OR name = ?" 5 $max
	cap_drv_expect_hits $mode "SELECT id, name FROM items WHERE id = ?" 10 $((2 * max))
	cap_drv_expect_hits $mode "SELECT id, name FROM items WHERE id <= ? ORDER BY id" 5 $max
done
# reads of a table the program writes to hit between its writes
cap_drv_expect_hits cold "SELECT id, v FROM rbpg_t WHERE id = ?" 4 2
[ "$(cap_drv_count warm hits_l2)" -gt 0 ] || fail "the warm run got no hit from the shared tier"
echo "ok"
