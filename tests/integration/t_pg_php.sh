#!/bin/bash
# t_pg_php - PHP's pgsql extension and PDO's pgsql driver (Debian's php-pgsql, on the system
# libpq.so.5) through the library. PHP loads its extensions with RTLD_DEEPBIND, which would
# bind their libpq calls past any preloaded library: Capacitor's dlopen drops the flag for an
# object that needs a client library. A realistic program - pg_query, pg_query_params,
# pg_prepare/pg_execute, PDO prepared and emulated statements, writes through both on one
# connection and another followed by reads, pg_update (which reads the catalog), transactions
# (commit, PDO rollback), errors outside and inside a transaction, pg_send_query_params waited
# on with stream_select over pg_socket, pg_copy_to - prints everything it sees; it runs
# without the library, then with it (cold, warm), and every run must print the same. Repeated
# reads must be hits (the warm run's from the shared tier, with no miss), and a write must
# show in the next read (the compared output).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/integration/drivers.sh
. "$(dirname "${BASH_SOURCE[0]}")/drivers.sh"
cap_need_pg
cap_need_clean_exit
command -v php >/dev/null && php -r 'exit(function_exists("pg_connect") ? 0 : 1);' 2>/dev/null ||
	skip "php with the pgsql extension not installed (php-cli php-pgsql)"
# the sanitizer runtime (SANITIZE=1 preloads it) refuses RTLD_DEEPBIND: PHP dies at start
if [ -n "${CAP_PRELOAD_PREFIX:-}" ]; then
	case $(env LD_PRELOAD="$CAP_PRELOAD_PREFIX" php -r 'exit(0);' 2>&1) in
	*RTLD_DEEPBIND*) skip "PHP opens its extensions with RTLD_DEEPBIND, which the sanitizer runtime refuses" ;;
	esac
fi
ext=$(php -r 'echo ini_get("extension_dir");')/pgsql.so
case $(ldd "$ext") in *"libpq.so.5 => /"*) ;; *) fail "PHP's $ext does not load the system libpq.so.5" ;; esac

cap_pg_psql -q <<'SQL'
SET client_min_messages = warning;
DROP TABLE IF EXISTS phpg_t;
CREATE TABLE phpg_t (id int PRIMARY KEY, v int, t text);
SQL

prog=$CAP_DRV_DIR/prog.php
cat >"$prog" <<'PHP'
<?php
// A PHP program on the pgsql extension and PDO's pgsql driver, printing everything it sees.
error_reporting(E_ALL);
$dsn = sprintf("host=%s port=%s user=%s dbname=%s", getenv("PGHOST"), getenv("PGPORT"), getenv("PGUSER"), getenv("PGDATABASE"));

function rows($res) {
	$out = [];
	while (($r = pg_fetch_row($res)) !== false)
		$out[] = implode("|", array_map(fn($v) => $v === null ? "NULL" : $v, $r));
	return "[" . implode(",", $out) . "]";
}
function show($label, $res) {
	if ($res === false) { echo "$label: false\n"; return; }
	$names = []; $types = [];
	for ($i = 0; $i < pg_num_fields($res); $i++) { $names[] = pg_field_name($res, $i); $types[] = pg_field_type($res, $i); }
	echo "$label: ", rows($res), " names=", implode(",", $names), " types=", implode(",", $types),
		" rows=", pg_num_rows($res), " affected=", pg_affected_rows($res), " status=", pg_result_status($res, PGSQL_STATUS_STRING), "\n";
}
function err($label, $c, $f) {
	$res = @$f();
	if ($res !== false) { echo "$label: no error\n"; return; }
	echo "$label: ", trim(preg_replace('/\s+/', ' ', pg_last_error($c))), " txn=", pg_transaction_status($c), "\n";
}

$setup = pg_connect($dsn, PGSQL_CONNECT_FORCE_NEW);
pg_query($setup, "SET client_min_messages = warning");
pg_query($setup, "DELETE FROM phpg_t");
pg_query($setup, "INSERT INTO phpg_t VALUES (1, 10, 'un'), (2, 20, 'dos'), (3, NULL, 'tres')");
pg_close($setup);

$c = pg_connect($dsn, PGSQL_CONNECT_FORCE_NEW);
$w = pg_connect($dsn, PGSQL_CONNECT_FORCE_NEW);
$pdo = new PDO("pgsql:" . str_replace(" ", ";", $dsn), null, null, [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION]);
$pdoe = new PDO("pgsql:" . str_replace(" ", ";", $dsn), null, null, [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION, PDO::ATTR_EMULATE_PREPARES => true]);

$reads = [
	["SELECT id, name, price, qty FROM items WHERE id <= $1 ORDER BY id", [5]],
	["SELECT count(*), sum(price) FROM items", []],
	["SELECT id, v, t FROM phpg_t ORDER BY id", []],
	["SELECT NULL::int AS n, 'é日本😀'::text AS u, '\\x00ff'::bytea AS b, ARRAY[1,2] AS a, 1.5::numeric AS d", []],
	["SELECT * FROM items WHERE false", []],
];
for ($rnd = 0; $rnd < 2; $rnd++) {
	foreach ($reads as $i => [$sql, $args]) {
		for ($k = 0; $k < 3; $k++) {
			if (!$args)
				show("r$rnd query q$i #$k", pg_query($c, $sql));
			show("r$rnd params q$i #$k", pg_query_params($c, $sql, $args));
			$st = $pdo->prepare(str_replace('$1', '?', $sql));
			$st->execute($args);
			echo "r$rnd pdo q$i #$k: ", json_encode($st->fetchAll(PDO::FETCH_NUM), JSON_UNESCAPED_UNICODE), " ", $st->rowCount(), "\n";
			$st = $pdoe->prepare(str_replace('$1', '?', $sql));
			$st->execute($args);
			echo "r$rnd pdo emulated q$i #$k: ", json_encode($st->fetchAll(PDO::FETCH_NUM), JSON_UNESCAPED_UNICODE), "\n";
		}
	}
	// prepared statements
	pg_prepare($c, "php_get$rnd", "SELECT id, name FROM items WHERE id = $1");
	for ($k = 0; $k < 3; $k++)
		show("r$rnd execute #$k", pg_execute($c, "php_get$rnd", [7]));
	// a write, then reads on every connection
	show("r$rnd before write", pg_query_params($c, "SELECT v FROM phpg_t WHERE id = $1", [2]));
	echo "r$rnd pdo before write: ", $pdo->query("SELECT v FROM phpg_t WHERE id = 2")->fetchColumn(), "\n";
	show("r$rnd write", pg_query_params($w, "UPDATE phpg_t SET v = v + $1 WHERE id = $2", [1, 2]));
	show("r$rnd after write", pg_query_params($c, "SELECT v FROM phpg_t WHERE id = $1", [2]));
	echo "r$rnd pdo after write: ", $pdo->query("SELECT v FROM phpg_t WHERE id = 2")->fetchColumn(), "\n";
	echo "r$rnd pdo write: ", $pdo->exec("UPDATE phpg_t SET t = t || '+' WHERE id = 3"), "\n";
	show("r$rnd after pdo write", pg_query($c, "SELECT id, v, t FROM phpg_t ORDER BY id"));
	echo "r$rnd insert/update helpers: ", var_export(pg_update($w, "phpg_t", ["t" => "uno$rnd"], ["id" => 1]), true), "\n";
	show("r$rnd after pg_update", pg_query($c, "SELECT id, v, t FROM phpg_t ORDER BY id"));
	// transactions
	pg_query($c, "BEGIN");
	show("txn read", pg_query($c, "SELECT v FROM phpg_t WHERE id = 1"));
	show("txn write", pg_query($c, "UPDATE phpg_t SET v = v * 2 WHERE id = 1"));
	show("txn own write", pg_query($c, "SELECT v FROM phpg_t WHERE id = 1"));
	show("other during txn", pg_query($w, "SELECT v FROM phpg_t WHERE id = 1"));
	pg_query($c, "COMMIT");
	show("after commit", pg_query($w, "SELECT v FROM phpg_t WHERE id = 1"));
	$pdo->beginTransaction();
	echo "pdo txn write: ", $pdo->exec("UPDATE phpg_t SET v = -1 WHERE id = 1"), "\n";
	echo "pdo txn own write: ", $pdo->query("SELECT v FROM phpg_t WHERE id = 1")->fetchColumn(), "\n";
	$pdo->rollBack();
	show("after rollback", pg_query($c, "SELECT v FROM phpg_t WHERE id = 1"));
	// errors
	err("error undefined table", $c, fn() => pg_query($c, "SELECT * FROM phpg_no_such"));
	err("error division", $c, fn() => pg_query_params($c, "SELECT 1 / $1::int", [0]));
	pg_query($c, "BEGIN");
	err("error in txn", $c, fn() => pg_query($c, "SELECT x FROM phpg_t"));
	err("after error in txn", $c, fn() => pg_query($c, "SELECT count(*) FROM phpg_t"));
	pg_query($c, "ROLLBACK");
	try { $pdo->query("SELECT * FROM phpg_no_such"); } catch (PDOException $e) { echo "pdo error: ", $e->getCode(), "\n"; }
	// asynchronous: send, wait on the socket, get the result
	$sock = pg_socket($c);
	for ($k = 0; $k < 3; $k++) {
		pg_send_query_params($c, "SELECT id, name FROM items WHERE id <= $1 ORDER BY id", [3]);
		while (pg_connection_busy($c)) {
			$r = [$sock]; $wr = $ex = null;
			if (stream_select($r, $wr, $ex, 10) === 0) { echo "HANG: busy and not readable\n"; exit(3); }
		}
		show("async r$rnd #$k", pg_get_result($c));
		var_dump(pg_get_result($c));
	}
	echo "copy: ", json_encode(pg_copy_to($c, "phpg_t")), "\n";
	echo "status: ", pg_transaction_status($c), " ", pg_connection_status($c), "\n";
}
PHP

cap_drv_run "php-pgsql" php "$prog"
for mode in cold warm; do
	max=1
	[ "$mode" = warm ] && max=0
	# pg_query, pg_query_params, PDO prepared and emulated
	cap_drv_expect_hits $mode "SELECT COUNT(*), SUM(price) FROM items" 21 $((3 * max))
	cap_drv_expect_hits $mode "SELECT id, name, price, qty FROM items WHERE id <= ? ORDER BY id" 16 $((2 * max))
	# pg_prepare / pg_execute
	cap_drv_expect_hits $mode "SELECT id, name FROM items WHERE id = ?" 5 $max
	# pg_send_query_params
	cap_drv_expect_hits $mode "SELECT id, name FROM items WHERE id <= ? ORDER BY id" 5 $max
done
[ "$(cap_drv_count warm hits_l2)" -gt 0 ] || fail "the warm run got no hit from the shared tier"
echo "ok"
