/*
 * mysql_real.c - the real Connector/C functions, resolved once from the process
 * (mysql_real.h).
 */
#include "hooks/mysql_real.h"
#include "cache/log.h"
#include "preload/copy.h"
#include "preload/resolve.h"

#include <pthread.h>

struct cap_my_real cap_my;

static const char *const my_sonames[] = { "libmariadb.so.3", "libmysqlclient.so.21",
					  "libmysqlclient.so.20", "libmysqlclient.so.18",
					  "libmysqlclient.so", NULL };
static const char *const my_stems[] = { "libmariadb", "libmysqlclient", NULL };
static const cap_libfamily my_family = { my_sonames, my_stems };
static pthread_once_t my_once = PTHREAD_ONCE_INIT;
static int my_ok;

static void my_resolve_once(void)
{
#define CAP_MY_RESOLVE(ret, name, args)                                                        \
	cap_my.real_##name = (ret(*) args)cap_resolve(&my_family, #name);
	CAP_MY_FUNCS(CAP_MY_RESOLVE)
#undef CAP_MY_RESOLVE
	my_ok = cap_my.real_mysql_real_query && cap_my.real_mysql_send_query &&
		cap_my.real_mysql_read_query_result && cap_my.real_mysql_store_result &&
		cap_my.real_mysql_use_result && cap_my.real_mysql_free_result &&
		cap_my.real_mysql_fetch_row && cap_my.real_mysql_select_db &&
		cap_my.real_mysql_change_user && cap_my.real_mysql_close &&
		cap_my.real_mysql_real_connect && cap_my.real_mysql_commit &&
		cap_my.real_mysql_rollback && cap_my.real_mysql_autocommit &&
		cap_my.real_mysql_init && cap_my.real_mysql_options &&
		cap_my.real_mysql_character_set_name && cap_my.real_mysql_get_server_version &&
		cap_my.real_mysql_stmt_prepare && cap_my.real_mysql_stmt_execute &&
		cap_my.real_mysql_stmt_close && cap_my.real_mysql_next_result;
	if (cap_copy_inactive()) {
		my_ok = 0; /* another copy is active: every hook passes its call on (copy.h) */
		return;
	}
	if (!my_ok)
		cap_log(CAP_LOG_WARN, "the MySQL client library lacks functions Capacitor needs; "
			"passing through");
}

int cap_my_resolve(void)
{
	pthread_once(&my_once, my_resolve_once);
	return my_ok;
}

void *cap_my_sym(const char *name)
{
	return cap_resolve(&my_family, name);
}
