#!/bin/bash
# t_mysql_session.sh - MariaDB session state, transactions and diagnostics through Capacitor:
# each script (tests/clients/my_session) prints the same with Capacitor as without it, also
# when another process filled the cache under a different session. Covers sequences, SET from
# parameters/variables/subqueries/DEFAULT, functions that write called from SET, the
# isolation level of MySQL transactions (one-shot SET TRANSACTION, SET SESSION inside a
# transaction), roles, global defaults that change results, the current database being a
# system schema, ANSI_QUOTES calls, LOCK TABLES, temporary tables renamed over base tables,
# silent reconnects, forked children, diagnostics after a hit, and a program that polls the
# socket between mysql_send_query and mysql_read_query_result.
. "$(dirname "$0")/lib.sh"
cap_need_my
client=$CAP_BUILD/clients/my_session
[ -x "$client" ] || fail "$client not built (make clients)"

root_sql() {
	mariadb --no-defaults -uroot -S "$CAP_MY_SOCKET" "$CAP_MY_DB" "$@"
}
have_root=1
root_sql -e "SELECT 1" >/dev/null 2>&1 || have_root=0

cap_my_sql <<'SQL'
DROP TABLE IF EXISTS t_attr, t_tz, t_w, t_iso, t_rx, t_lock, t_mi, t_ai, t_ai2, `tables`;
DROP SEQUENCE IF EXISTS s_seq;
DROP FUNCTION IF EXISTS f_w;
DROP PROCEDURE IF EXISTS p_tmp;
CREATE TABLE t_attr (id INT PRIMARY KEY, x JSON, u UUID, ip INET6, g POINT) ENGINE=InnoDB;
INSERT INTO t_attr VALUES (1, '{"a": 1}', '123e4567-e89b-12d3-a456-426655440000', '::1', POINT(1, 2));
CREATE TABLE t_tz (id INT PRIMARY KEY, ts TIMESTAMP NULL) ENGINE=InnoDB;
INSERT INTO t_tz VALUES (1, '2024-01-01 12:00:00');
CREATE TABLE t_w (id INT PRIMARY KEY, val INT) ENGINE=InnoDB;
INSERT INTO t_w VALUES (1, 0);
DELIMITER //
CREATE FUNCTION f_w() RETURNS INT MODIFIES SQL DATA BEGIN UPDATE t_w SET val = val + 1 WHERE id = 1; RETURN 1; END//
CREATE PROCEDURE p_tmp() BEGIN CREATE TEMPORARY TABLE items (id INT); END//
DELIMITER ;
CREATE TABLE t_iso (id INT PRIMARY KEY, v INT) ENGINE=InnoDB;
INSERT INTO t_iso VALUES (1, 1);
CREATE TABLE t_rx (s VARCHAR(16)) ENGINE=InnoDB;
INSERT INTO t_rx VALUES (CONCAT('a', CHAR(10), 'b'));
CREATE TABLE t_lock (a INT) ENGINE=InnoDB;
CREATE TABLE t_mi (a INT) ENGINE=MyISAM;
CREATE TABLE t_ai (id INT AUTO_INCREMENT PRIMARY KEY) ENGINE=InnoDB;
INSERT INTO t_ai VALUES (1), (2), (3);
CREATE TABLE t_ai2 (id INT AUTO_INCREMENT PRIMARY KEY) ENGINE=InnoDB;
CREATE TABLE `tables` (table_schema VARCHAR(64)) ENGINE=InnoDB;
CREATE SEQUENCE s_seq;
SQL

# check LABEL [VAR=VALUE...] <SCRIPT - the script prints the same with Capacitor as without.
# $reset (SQL) runs through Capacitor (so that it invalidates) before each of the two runs.
reset=
run_reset() {
	[ -z "$reset" ] || echo "q $reset" | LD_PRELOAD="$CAP_PRELOAD" "$client" >/dev/null
}
check() {
	local label=$1 script want got
	shift
	script=$(cat)
	run_reset
	want=$(printf '%s\n' "$script" | env "$@" "$client" 2>&1) || true
	run_reset
	got=$(printf '%s\n' "$script" | env LD_PRELOAD="$CAP_PRELOAD" "$@" timeout -k 5 60 "$client" 2>&1) || true
	assert_eq "$label" "$want" "$got"
	echo "ok: $label"
}

# 1. a program that waits for the socket between send and read gets its answer
check "poll the socket after mysql_send_query" <<'EOF'
poll SELECT id, name FROM items WHERE id < 4 ORDER BY id
poll SELECT id, name FROM items WHERE id < 4 ORDER BY id
q SELECT id, name FROM items WHERE id < 4 ORDER BY id
poll SELECT id, name FROM items WHERE id < 4 ORDER BY id
EOF

check "non-blocking read after mysql_send_query" MY_SESS_NONBLOCK=1 <<'EOF'
q SELECT id, name FROM items WHERE id < 4 ORDER BY id
aread SELECT id, name FROM items WHERE id < 4 ORDER BY id
poll SELECT id, name FROM items WHERE id < 4 ORDER BY id
aread SELECT id, name FROM items WHERE id < 4 ORDER BY id
EOF

# 2. sequences are never cached
reset="ALTER SEQUENCE s_seq RESTART"
check "sequences" <<'EOF'
q SELECT NEXT VALUE FOR s_seq
q SELECT NEXT VALUE FOR s_seq
q SELECT NEXTVAL(s_seq)
q SELECT PREVIOUS VALUE FOR s_seq
q SELECT LASTVAL(s_seq)
q SELECT next_not_cached_value FROM s_seq
q SELECT SETVAL(s_seq, 100)
q SELECT next_not_cached_value FROM s_seq
q SELECT NEXT VALUE FOR s_seq
q SELECT next_not_cached_value FROM s_seq
p SELECT NEXT VALUE FOR s_seq
p SELECT NEXT VALUE FOR s_seq
EOF
reset=

# 3. SET from a parameter, a variable, a subquery, DEFAULT: the session is read back.
# Each zone runs in its own process after another process filled the cache.
for zones in "+05:00 +06:00 +08:00" "+07:00 +10:00 +11:00"; do
	read -r z1 z2 z3 <<<"$zones"
	check "SET time_zone = ? ($z1)" <<EOF
q SELECT CAST(ts AS CHAR) FROM t_tz
p SET time_zone = ?|s:$z1
q SELECT CAST(ts AS CHAR) FROM t_tz
q SET @tz = '$z2'
q SET time_zone = @tz
q SELECT CAST(ts AS CHAR) FROM t_tz
q SET time_zone = (SELECT '$z3')
q SELECT CAST(ts AS CHAR) FROM t_tz
q SET time_zone = DEFAULT
q SELECT CAST(ts AS CHAR) FROM t_tz
EOF
done
check "SET time_zone = @tz (other zone)" <<'EOF'
q SET @tz = '+03:00'
q SET time_zone = @tz
q SELECT CAST(ts AS CHAR) FROM t_tz
EOF

# 4. a function that writes, called from SET, invalidates (also the entry another process
# filled with no SET at all)
reset="UPDATE t_w SET val = 0"
check "read before SET @x = writing function" <<<"q SELECT val FROM t_w"
reset=
echo "q SET @x = f_w()" | LD_PRELOAD="$CAP_PRELOAD" "$client" >/dev/null
check "read after SET @x = writing function" <<<"q SELECT val FROM t_w"
echo "p SET @y = f_w()" | LD_PRELOAD="$CAP_PRELOAD" "$client" >/dev/null
check "read after prepared SET @y = writing function" <<<"q SELECT val FROM t_w"
reset="UPDATE t_w SET val = 0"

# 12. ANSI_QUOTES: "f_w"() is a call of f_w
check "ANSI_QUOTES call" <<'EOF'
q SET sql_mode = 'ANSI_QUOTES'
q SELECT val FROM t_w
q SELECT "f_w"()
q SELECT val FROM t_w
EOF
reset=

# 5. isolation levels: SET TRANSACTION is for the next transaction only (autocommit off);
# SET SESSION TRANSACTION inside a REPEATABLE READ transaction applies from the next one
reset="UPDATE t_iso SET v = 1"
check "one-shot isolation level, autocommit off" <<'EOF'
ac 0
q SET TRANSACTION ISOLATION LEVEL READ COMMITTED
q SELECT v FROM t_iso
q COMMIT
q SELECT v FROM t_iso
q2 UPDATE t_iso SET v = 2
q SELECT v FROM t_iso
q COMMIT
q SELECT v FROM t_iso
q COMMIT
EOF
check "SET SESSION TRANSACTION inside a transaction" <<'EOF'
q START TRANSACTION
q SELECT v FROM t_iso
q SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED
q2 UPDATE t_iso SET v = 3
q SELECT v FROM t_iso
q COMMIT
q SELECT v FROM t_iso
EOF
# BEGIN inside a transaction commits it: what it wrote is bumped again there, not only when
# the transaction BEGIN opened ends
check "BEGIN inside a transaction commits it" <<'EOF'
q2 START TRANSACTION
q2 UPDATE t_iso SET v = 4
q SELECT v FROM t_iso
q2 BEGIN
q SELECT v FROM t_iso
q2 COMMIT
q SELECT v FROM t_iso
EOF
reset=

# 11. global defaults that change results, read by every new session
if [ "$have_root" = 1 ]; then
	q="q SELECT s REGEXP '^a.b\$' FROM t_rx"
	check "default_regex_flags before" <<<"$q"
	root_sql -e "SET GLOBAL default_regex_flags = 'DOTALL'"
	check "default_regex_flags DOTALL" <<<"$q"
	root_sql -e "SET GLOBAL default_regex_flags = ''"
fi
# a session change inside a multi-statement string whose first statement writes: the
# session is read back before the next read, so what it fills is not another session's
check "SET inside a multi-statement write" <<'EOF'
q SELECT ts FROM t_tz
mq UPDATE t_w SET val = val WHERE id = 1; SET time_zone = '+05:00'
q SELECT ts FROM t_tz
q SELECT ts FROM t_tz
EOF
check "a new session after a SET inside a multi-statement write" <<'EOF'
q SELECT ts FROM t_tz
EOF
check "SET sql_auto_is_null" <<'EOF'
q SELECT COUNT(*) FROM t_w WHERE id IS NULL
q SET sql_auto_is_null = 1
q SELECT COUNT(*) FROM t_w WHERE id IS NULL
EOF
# with sql_auto_is_null, "id IS NULL" finds the last insert id, whatever table it came from
reset="TRUNCATE t_ai2"
check "sql_auto_is_null and the last insert id" <<'EOF'
q SET sql_auto_is_null = 1
q INSERT INTO t_ai2 VALUES (NULL)
q SELECT id FROM t_ai WHERE id IS NULL
q INSERT INTO t_ai2 VALUES (NULL)
q SELECT id FROM t_ai WHERE id IS NULL
EOF
reset=

# 7. active roles are part of the session: a role's rows are never served without it
if [ "$have_root" = 1 ]; then
	root_sql <<'SQL'
DROP USER IF EXISTS cap_rt@localhost;
DROP ROLE IF EXISTS r_rt;
DROP TABLE IF EXISTS t_role;
CREATE TABLE t_role (a INT) ENGINE=InnoDB;
INSERT INTO t_role VALUES (42);
CREATE ROLE r_rt;
GRANT SELECT ON capacitor.t_role TO r_rt;
CREATE USER cap_rt@localhost IDENTIFIED BY 'rt';
GRANT r_rt TO cap_rt@localhost;
SET DEFAULT ROLE r_rt FOR cap_rt@localhost;
SQL
	rt=(MY_SESS_USER=cap_rt MY_SESS_PASSWORD=rt MY_SESS_DB=)
	check "default role" "${rt[@]}" <<<"q SELECT a FROM capacitor.t_role"
	root_sql -e "SET DEFAULT ROLE NONE FOR cap_rt@localhost"
	check "default role NONE (new session)" "${rt[@]}" <<<"q SELECT a FROM capacitor.t_role"
	check "SET ROLE" "${rt[@]}" <<'EOF'
q SET ROLE r_rt
q SELECT a FROM capacitor.t_role
q SET ROLE NONE
q SELECT a FROM capacitor.t_role
EOF
fi

# 8. a cascading foreign key the writing user cannot see still invalidates the child. The
# writer holds every privilege on the parent's database (TRIGGER too, so that it knows
# which tables have triggers) and none on the child's.
if [ "$have_root" = 1 ]; then
	root_sql <<'SQL'
DROP USER IF EXISTS cap_fk@localhost;
DROP DATABASE IF EXISTS capacitor_fk;
DROP TABLE IF EXISTS fk_child, fk_parent;
CREATE TABLE fk_parent (id INT PRIMARY KEY) ENGINE=InnoDB;
INSERT INTO fk_parent VALUES (1), (2);
CREATE DATABASE capacitor_fk;
CREATE TABLE capacitor_fk.fk_child (id INT PRIMARY KEY, pid INT,
  FOREIGN KEY (pid) REFERENCES capacitor.fk_parent (id) ON DELETE CASCADE) ENGINE=InnoDB;
INSERT INTO capacitor_fk.fk_child VALUES (10, 1), (11, 1), (20, 2);
GRANT SELECT ON capacitor_fk.* TO cap@localhost;
CREATE USER cap_fk@localhost IDENTIFIED BY 'fk';
GRANT ALL ON capacitor.* TO cap_fk@localhost;
SQL
	check "read the child" <<<"q SELECT COUNT(*) FROM capacitor_fk.fk_child"
	echo "q DELETE FROM fk_parent WHERE id = 1" |
		LD_PRELOAD="$CAP_PRELOAD" MY_SESS_USER=cap_fk MY_SESS_PASSWORD=fk "$client" >/dev/null
	check "read the child after a cascading delete by a user who cannot see it" \
		<<<"q SELECT COUNT(*) FROM capacitor_fk.fk_child"
fi

# 12. a prepared statement's tables and parsing are those of the session it was prepared
# in: the database and sql_mode at prepare time are part of its key
if [ "$have_root" = 1 ]; then
	root_sql <<'SQL'
DROP TABLE IF EXISTS t_pdb, capacitor_fk.t_pdb;
CREATE TABLE t_pdb (a INT) ENGINE=InnoDB;
INSERT INTO t_pdb VALUES (1);
CREATE TABLE capacitor_fk.t_pdb (a INT) ENGINE=InnoDB;
INSERT INTO capacitor_fk.t_pdb VALUES (2);
SQL
	check "prepared in capacitor_fk" <<'EOF'
q USE capacitor_fk
prep SELECT a FROM t_pdb
exec
exec
EOF
	check "prepared in capacitor, executed in capacitor_fk" <<'EOF'
prep SELECT a FROM t_pdb
q USE capacitor_fk
exec
exec
EOF
fi
check "prepared under sql_mode ''" <<'EOF'
q SET sql_mode = ''
prep SELECT 'a' || 'b' FROM items WHERE id = 1
exec
exec
EOF
check "prepared under PIPES_AS_CONCAT, executed under ''" <<'EOF'
q SET sql_mode = 'PIPES_AS_CONCAT'
prep SELECT 'a' || 'b' FROM items WHERE id = 1
q SET sql_mode = ''
exec
exec
EOF

# 12. the current database is information_schema: its tables are live
# (the table is created by a client without Capacitor: information_schema changes without
# any write we see)
is_script='q SELECT COUNT(*) FROM `tables`
q USE information_schema
q SELECT COUNT(*) FROM tables WHERE table_schema = '"'capacitor'"'
q USE capacitor
q SELECT COUNT(*) FROM `tables`'
check "USE information_schema" <<<"$is_script"
cap_my_sql -e "CREATE TABLE t_new_in_is (a INT)"
check "USE information_schema, a table more" <<<"$is_script"
cap_my_sql -e "DROP TABLE t_new_in_is"

# 13. under LOCK TABLES a table not locked fails as on the server
check "LOCK TABLES" <<'EOF'
q SELECT COUNT(*) FROM items
q SELECT COUNT(*) FROM items
q LOCK TABLES t_lock READ
q SELECT COUNT(*) FROM items
q SELECT COUNT(*) FROM t_lock
q UNLOCK TABLES
q SELECT COUNT(*) FROM items
EOF

# 13b. the same in every spelling the server accepts (mysqldump's executable comments,
# MariaDB's /*M!...*/, FLUSH TABLES ... WITH READ LOCK): a read of an unlocked table fails
# with 1100, and under READ LOCAL the locker's view of a MyISAM table (without another
# session's concurrent insert) is never stored for anyone
check "LOCK TABLES in an executable comment" <<'EOF'
q SELECT COUNT(*) FROM items
q SELECT COUNT(*) FROM items
q /*!40000 LOCK TABLES t_lock READ */
q SELECT COUNT(*) FROM items
q /*!40000 UNLOCK TABLES */
q SELECT COUNT(*) FROM items
q /*M!100000 LOCK TABLES t_lock READ */
q SELECT COUNT(*) FROM items
q UNLOCK TABLES
q /*!40101 FLUSH TABLES t_lock WITH READ LOCK */
q SELECT COUNT(*) FROM items
q UNLOCK TABLES
q SELECT COUNT(*) FROM items
EOF
reset="TRUNCATE TABLE t_mi"
check "LOCK TABLES ... READ LOCAL in an executable comment" <<'EOF'
q SELECT COUNT(*) FROM t_mi
q /*!40000 LOCK TABLES t_mi READ LOCAL */
q2 INSERT INTO t_mi VALUES (2)
q SELECT COUNT(*) FROM t_mi
q SELECT COUNT(*) FROM t_mi
q /*!40000 UNLOCK TABLES */
q2 SELECT COUNT(*) FROM t_mi
q SELECT COUNT(*) FROM t_mi
EOF
reset=

# 13c. init commands (MYSQL_INIT_COMMAND) run inside mysql_real_connect and again at every
# reconnect, where no hook sees them: a temporary table made there is the session's (its rows
# are never stored for, nor served from, the base table's entries), a write made there
# invalidates what it wrote
cap_my_sql <<'SQL'
DROP TABLE IF EXISTS t_init, t_cnt;
CREATE TABLE t_init (id INT PRIMARY KEY, v INT) ENGINE=InnoDB;
INSERT INTO t_init VALUES (1, 10);
CREATE TABLE t_cnt (id INT PRIMARY KEY, n INT) ENGINE=InnoDB;
INSERT INTO t_cnt VALUES (1, 0);
SQL
tmpinit="CREATE TEMPORARY TABLE t_init (id INT PRIMARY KEY, v INT) SELECT 1 AS id, 777 AS v"
for who in plain init plain init; do
	if [ $who = init ]; then set -- MY_SESS_INIT="$tmpinit"; else set --; fi
	check "init command: temporary table over a base table ($who session)" "$@" <<'EOF'
q SELECT v FROM t_init WHERE id = 1
q SELECT v FROM t_init WHERE id = 1
EOF
done
set --
check "init command: counter read by another process" <<'EOF'
q SELECT n FROM t_cnt WHERE id = 1
q SELECT n FROM t_cnt WHERE id = 1
EOF
echo "q SELECT 1" | LD_PRELOAD="$CAP_PRELOAD" MY_SESS_INIT="UPDATE t_cnt SET n = n + 1 WHERE id = 1" \
	timeout -k 5 60 "$client" >/dev/null 2>&1
check "init command: the write it made is seen by another process" <<'EOF'
q SELECT n FROM t_cnt WHERE id = 1
EOF
reset="UPDATE t_cnt SET n = 0 WHERE id = 1"
check "init command: run again by a reconnect" MY_SESS_RECONNECT=1 \
	MY_SESS_INIT="UPDATE t_cnt SET n = n + 1 WHERE id = 1" <<'EOF'
q SELECT 1
q2 SELECT n FROM t_cnt WHERE id = 1
q2 SELECT n FROM t_cnt WHERE id = 1
kill
q SET @x = 1
q2 SELECT n FROM t_cnt WHERE id = 1
EOF
reset=

# 13d. code the server runs unseen: a stored function or a trigger may create a temporary
# table shadowing a base table, or SET any variable (the isolation level too). The session's
# own rows are never stored for anyone nor the others' served to it, and what it reads under
# the changed settings is never stored as the default settings' answer.
cap_my_sql <<'SQL'
DROP TABLE IF EXISTS t5_t, t6_log, t6_n, t7_log, t7_t, t8_log, t8_t;
DROP FUNCTION IF EXISTS t5_mk;
CREATE TABLE t5_t (id INT PRIMARY KEY, v INT) ENGINE=InnoDB;
INSERT INTO t5_t VALUES (1, 10);
CREATE TABLE t6_log (id INT PRIMARY KEY, v INT) ENGINE=InnoDB;
INSERT INTO t6_log VALUES (1, 0);
CREATE TABLE t6_n (id INT PRIMARY KEY, v INT) ENGINE=InnoDB;
INSERT INTO t6_n VALUES (1, 1), (2, 2), (3, 3);
CREATE TABLE t7_t (id INT PRIMARY KEY, v INT) ENGINE=InnoDB;
INSERT INTO t7_t VALUES (1, 10);
CREATE TABLE t7_log (id INT PRIMARY KEY, n INT) ENGINE=InnoDB;
INSERT INTO t7_log VALUES (1, 0);
CREATE TABLE t8_t (id INT PRIMARY KEY, v INT) ENGINE=InnoDB;
INSERT INTO t8_t VALUES (1, 10);
CREATE TABLE t8_log (id INT PRIMARY KEY, n INT) ENGINE=InnoDB;
INSERT INTO t8_log VALUES (1, 0);
DELIMITER //
CREATE FUNCTION t5_mk() RETURNS INT MODIFIES SQL DATA BEGIN CREATE TEMPORARY TABLE t5_t (id INT PRIMARY KEY, v INT); INSERT INTO t5_t VALUES (1, 777); RETURN 1; END//
CREATE TRIGGER t6_tr BEFORE UPDATE ON t6_log FOR EACH ROW BEGIN SET div_precision_increment = 12; SET sql_select_limit = 2; END//
CREATE TRIGGER t7_tr BEFORE UPDATE ON t7_log FOR EACH ROW BEGIN CREATE TEMPORARY TABLE IF NOT EXISTS t7_t (id INT PRIMARY KEY, v INT); INSERT IGNORE INTO t7_t VALUES (1, 888); END//
CREATE TRIGGER t8_tr BEFORE UPDATE ON t8_log FOR EACH ROW SET SESSION tx_isolation = 'REPEATABLE-READ'//
DELIMITER ;
SQL
check "a stored function makes a temporary table" <<'EOF'
q SELECT v FROM t5_t WHERE id = 1
q SELECT t5_mk()
q SELECT v FROM t5_t WHERE id = 1
q2 SELECT v FROM t5_t WHERE id = 1
q2 SELECT v FROM t5_t WHERE id = 1
q SELECT v FROM t5_t WHERE id = 1
EOF
for call in "DO t5_mk()" "SET @x = t5_mk()"; do
	check "a stored function makes a temporary table ($call)" <<EOF
q SELECT v FROM t5_t WHERE id = 1
q $call
q SELECT v FROM t5_t WHERE id = 1
q2 SELECT v FROM t5_t WHERE id = 1
q2 SELECT v FROM t5_t WHERE id = 1
q SELECT v FROM t5_t WHERE id = 1
EOF
done
check "a trigger sets session variables (writer)" <<'EOF'
q SELECT v / 3 FROM t6_n ORDER BY id
q UPDATE t6_log SET v = v + 1 WHERE id = 1
q SELECT v / 3 FROM t6_n ORDER BY id
q SELECT v / 3 FROM t6_n ORDER BY id
EOF
check "a trigger sets session variables (another process)" <<'EOF'
q SELECT v / 3 FROM t6_n ORDER BY id
EOF
check "a trigger makes a temporary table (writer)" <<'EOF'
q UPDATE t7_log SET n = n + 1 WHERE id = 1
q SELECT v FROM t7_t WHERE id = 1
q SELECT v FROM t7_t WHERE id = 1
EOF
check "a trigger makes a temporary table (another process)" <<'EOF'
q SELECT v FROM t7_t WHERE id = 1
q SELECT v FROM t7_t WHERE id = 1
EOF
reset="UPDATE t8_t SET v = 10 WHERE id = 1"
check "a trigger sets the isolation level" <<'EOF'
q SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED
q SELECT v FROM t8_t WHERE id = 1
q UPDATE t8_log SET n = n + 1 WHERE id = 1
q BEGIN
q SELECT v FROM t8_t WHERE id = 1
q2 UPDATE t8_t SET v = 11 WHERE id = 1
q SELECT v FROM t8_t WHERE id = 1
q COMMIT
q2 SELECT v FROM t8_t WHERE id = 1
q2 SELECT v FROM t8_t WHERE id = 1
EOF
reset=

# 6. a temporary table renamed onto a base table's name
check "temporary table renamed over a base table" <<'EOF'
q SELECT COUNT(*) FROM items
q SELECT COUNT(*) FROM items
q CREATE TEMPORARY TABLE tmp_x (id INT)
q INSERT INTO tmp_x VALUES (1)
q ALTER TABLE tmp_x RENAME TO items
q SELECT COUNT(*) FROM items
q CREATE TEMPORARY TABLE tmp_y (id INT)
q RENAME TABLE tmp_y TO t_w
q SELECT COUNT(*) FROM t_w
EOF
check "base tables again for the next process" <<'EOF'
q SELECT COUNT(*) FROM items
q SELECT COUNT(*) FROM t_w
EOF
check "temporary table created by a procedure" <<'EOF'
q SELECT COUNT(*) FROM items
q CALL p_tmp()
q SELECT COUNT(*) FROM items
EOF
check "base table after a procedure's temporary table" <<<"q SELECT COUNT(*) FROM items"
check "temporary table created by EXECUTE" <<'EOF'
q SELECT COUNT(*) FROM t_w
q PREPARE s FROM 'CREATE TEMPORARY TABLE t_w (x INT)'
q EXECUTE s
q SELECT COUNT(*) FROM t_w
EOF
check "base tables again for the next process" <<'EOF'
q SELECT COUNT(*) FROM items
q SELECT COUNT(*) FROM t_w
EOF

# 9. a silent reconnect (MYSQL_OPT_RECONNECT after KILL) starts a new session
check "reconnect after KILL" MY_SESS_RECONNECT=1 <<'EOF'
q SET time_zone = '+09:00'
q SELECT CAST(ts AS CHAR) FROM t_tz
kill
q SELECT 1 FROM t_w
q SELECT CAST(ts AS CHAR) FROM t_tz
q SELECT @@time_zone
q CREATE TEMPORARY TABLE t_tz (id INT, ts TIMESTAMP)
q SET time_zone = '+09:00'
kill
q SELECT CAST(ts AS CHAR) FROM t_tz
q SELECT CAST(ts AS CHAR) FROM t_tz
EOF

# 10. a forked child changes the inherited connection's session
check "forked child" <<'EOF'
q SELECT CAST(ts AS CHAR) FROM t_tz
fork SET time_zone = '+04:00'
q SELECT CAST(ts AS CHAR) FROM t_tz
EOF

# 13. diagnostics after a hit read as after the real statement
check "diagnostics after a hit" <<'EOF'
q SELECT id FROM items WHERE id < 5
q SELECT FOUND_ROWS()
q SELECT id FROM items WHERE id < 5
q SELECT FOUND_ROWS()
q SELECT id FROM items WHERE id < 5
q SELECT ROW_COUNT()
q SELECT CAST('x' AS INT) FROM items WHERE id = 1
q SELECT CAST('x' AS INT) FROM items WHERE id = 1
q SHOW WARNINGS
q SELECT CAST('x' AS INT) FROM items WHERE id = 1
q SELECT @@warning_count
EOF
check "diagnostics after a prepared hit" <<'EOF'
p SELECT id FROM items WHERE id < 7
q SELECT FOUND_ROWS()
p SELECT id FROM items WHERE id < 7
q SELECT FOUND_ROWS()
EOF
# 13b. Capacitor's read-back of the session (after a statement whose effect on the session the
# text cannot prove) is a query of its own: it never runs where the program would see it, before
# a statement that reads the last statement's diagnostics (before a hit, the hit's statement runs
# again for a statement right after it that reads them, as after any hit)
check "diagnostics after a session change" <<EOF
q SELECT id FROM items WHERE id < 5
q SELECT id FROM items WHERE id < 5
q SELECT SQL_CALC_FOUND_ROWS id FROM items ORDER BY id LIMIT 2
q SET @page = 1
q SELECT FOUND_ROWS()
q SELECT SQL_CALC_FOUND_ROWS id FROM items ORDER BY id LIMIT 3
q SET NAMES utf8mb4
q SELECT FOUND_ROWS()
q SELECT SQL_CALC_FOUND_ROWS id FROM items ORDER BY id LIMIT 2
charset latin1
q SELECT FOUND_ROWS()
charset utf8mb4
q SELECT SQL_CALC_FOUND_ROWS id FROM items ORDER BY id LIMIT 2
q USE $CAP_MY_DB
q SELECT FOUND_ROWS()
db $CAP_MY_DB
q SELECT FOUND_ROWS()
q SELECT SQL_CALC_FOUND_ROWS id FROM items ORDER BY id LIMIT 2
q DO 1
q SELECT FOUND_ROWS()
q SELECT SQL_CALC_FOUND_ROWS id FROM items ORDER BY id LIMIT 2
q SET STATEMENT max_statement_time = 0 FOR SELECT 1
q SELECT FOUND_ROWS()
q SELECT SQL_CALC_FOUND_ROWS id FROM items ORDER BY id LIMIT 2
q SET @page = 2
p SELECT FOUND_ROWS()
q SELECT SQL_CALC_FOUND_ROWS id FROM items ORDER BY id LIMIT 2
q SET @page = 3
p UPDATE items SET qty = qty WHERE id < 0
q SELECT FOUND_ROWS()
q SELECT SQL_CALC_FOUND_ROWS id FROM items ORDER BY id LIMIT 2
q SET @page = 4
q SELECT id FROM items WHERE id < 5
q SELECT FOUND_ROWS()
q SELECT SQL_CALC_FOUND_ROWS id FROM items ORDER BY id LIMIT 2
q SET @page = 6
p SELECT id FROM items WHERE id < 5
q SELECT FOUND_ROWS()
q SET @page = 7
q SELECT id FROM items WHERE id < 5
q SHOW WARNINGS
q SET @@session.sort_buffer_size = 1
q SELECT @@warning_count
q SET @@session.sort_buffer_size = 1
q SHOW COUNT(*) WARNINGS
q SET @@session.sort_buffer_size = 1
q SHOW WARNINGS
q SET @@session.sort_buffer_size = 1
q SELECT 1 + 1
q SELECT @@warning_count, @@error_count
q UPDATE items SET qty = qty WHERE id < 5
q SET @q = 1
q SELECT ROW_COUNT()
q SELECT SQL_CALC_FOUND_ROWS id FROM items ORDER BY id LIMIT 2
q SET @page = 9
prep SELECT name FROM items WHERE id = 2
q SELECT FOUND_ROWS()
q SHOW WARNINGS
exec
q SELECT SQL_CALC_FOUND_ROWS id FROM items ORDER BY id LIMIT 2
reset
q SELECT FOUND_ROWS()
q SELECT id FROM items WHERE id < 5
q SELECT FOUND_ROWS()
EOF
# 13c. a hit has the server's extended column metadata (mariadb_field_attr: json, uuid...)
check "extended column metadata of a hit" <<'EOF'
attr SELECT id, x, u, ip, g FROM t_attr WHERE id = 1
attr SELECT id, x, u, ip, g FROM t_attr WHERE id = 1
uattr SELECT id, x, u, ip, g FROM t_attr WHERE id = 1
attr SELECT id, x, u, ip, g FROM t_attr WHERE id = 1
EOF
check "status flags after a hit" <<'EOF'
status SELECT name FROM items WHERE qty = 3
status SELECT name FROM items WHERE id = 3
status SELECT name FROM items WHERE qty = 3
status SELECT name FROM items WHERE id = 3
EOF
check "commands out of sync after an unread hit" <<'EOF'
q SELECT id FROM items WHERE id < 4
use SELECT id FROM items WHERE id < 4
ping
q SELECT 1
EOF

echo "ok"
