/*
 * mysql_cmd.c - the Connector/C calls that send a command Capacitor has nothing else to do
 * with (mysql_ping, mysql_stat, mysql_list_fields, ...). They are interposed only so that a
 * mysql_send_query hit not read yet gives way to its statement first (cap_my_give_way): the
 * library would otherwise read the command's own answer where, without Capacitor, it reads
 * the statement's, and the program's mysql_read_query_result would then get the hit where it
 * gets the command's answer (the answers must come in the order sent). The calls that send
 * text go through mysql_real_query, which does the same (mysql_kill, mysql_list_dbs,
 * mysql_set_character_set); mysql_refresh is a FLUSH and is accounted as one (hooks/mysql.c).
 */
#include "hooks/mysql_conn.h"

#define CAP_MY_CMDS(X)                                                                           \
	X(int, mysql_ping, (MYSQL * m), (m), 1)                                                    \
	X(char *, mysql_stat, (MYSQL * m), (m), NULL)                                              \
	X(MYSQL_RES *, mysql_list_fields, (MYSQL * m, const char *t, const char *w), (m, t, w), NULL) \
	X(MYSQL_RES *, mysql_list_processes, (MYSQL * m), (m), NULL)                               \
	X(int, mysql_set_server_option, (MYSQL * m, enum enum_mysql_set_option o), (m, o), 1)      \
	X(int, mysql_shutdown, (MYSQL * m, enum mysql_enum_shutdown_level l), (m, l), 1)           \
	X(int, mysql_dump_debug_info, (MYSQL * m), (m), 1)

#define CAP_MY_CMD_PTR(ret, name, params, args, fail) static ret(*real_##name) params;
CAP_MY_CMDS(CAP_MY_CMD_PTR)
#undef CAP_MY_CMD_PTR

static pthread_once_t cmd_once = PTHREAD_ONCE_INIT;

static void cmd_resolve_once(void)
{
#define CAP_MY_CMD_RES(ret, name, params, args, fail) real_##name = (ret(*) params)cap_my_sym(#name);
	CAP_MY_CMDS(CAP_MY_CMD_RES)
#undef CAP_MY_CMD_RES
}

#define CAP_MY_CMD_DEF(ret, name, params, args, fail)                                 \
	CAP_EXPORT ret name params                                                    \
	{                                                                             \
		pthread_once(&cmd_once, cmd_resolve_once);                            \
		if (real_##name == NULL)                                              \
			return fail;                                                  \
		cap_my_give_way_m(m);                                                 \
		return CAP_REAL(real_##name args);                                    \
	}
CAP_MY_CMDS(CAP_MY_CMD_DEF)
#undef CAP_MY_CMD_DEF
