/*
 * mysql_real.h - the real Connector/C (libmariadb / libmysqlclient) functions, resolved from
 * the process at run time.
 *
 * The library has no DT_NEEDED on the client library: every Connector/C function the hooks
 * call, interposed or not, goes through these pointers, filled once (cap_my_resolve) the first
 * time any MySQL hook runs - by then the program has loaded the client library, or it could
 * not have called us. Python's MySQLdb loads it with RTLD_LOCAL: preload/resolve finds it
 * there too.
 */
#ifndef CAP_MYSQL_REAL_H
#define CAP_MYSQL_REAL_H

#include <mysql.h>

#define CAP_MY_FUNCS(X)                                                                        \
	X(int, mysql_real_query, (MYSQL *, const char *, unsigned long))                       \
	X(int, mysql_send_query, (MYSQL *, const char *, unsigned long))                       \
	X(my_bool, mysql_read_query_result, (MYSQL *))                                         \
	X(MYSQL_RES *, mysql_store_result, (MYSQL *))                                          \
	X(MYSQL_RES *, mysql_use_result, (MYSQL *))                                            \
	X(void, mysql_free_result, (MYSQL_RES *))                                              \
	X(MYSQL_ROW, mysql_fetch_row, (MYSQL_RES *))                                           \
	X(int, mysql_select_db, (MYSQL *, const char *))                                       \
	X(my_bool, mysql_change_user, (MYSQL *, const char *, const char *, const char *))     \
	X(int, mysql_reset_connection, (MYSQL *))                                              \
	X(void, mysql_close, (MYSQL *))                                                        \
	X(MYSQL *, mysql_real_connect, (MYSQL *, const char *, const char *, const char *,     \
					const char *, unsigned int, const char *,              \
					unsigned long))                                        \
	X(my_bool, mysql_commit, (MYSQL *))                                                    \
	X(my_bool, mysql_rollback, (MYSQL *))                                                  \
	X(my_bool, mysql_autocommit, (MYSQL *, my_bool))                                       \
	X(MYSQL *, mysql_init, (MYSQL *))                                                      \
	X(int, mysql_options, (MYSQL *, enum mysql_option, const void *))                      \
	X(const char *, mysql_character_set_name, (MYSQL *))                                   \
	X(unsigned long, mysql_get_server_version, (MYSQL *))                                  \
	X(unsigned long, mysql_get_client_version, (void))                                     \
	X(int, mysql_stmt_prepare, (MYSQL_STMT *, const char *, unsigned long))                \
	X(int, mysql_stmt_execute, (MYSQL_STMT *))                                             \
	X(my_bool, mysql_stmt_close, (MYSQL_STMT *))                                           \
	X(int, mysql_stmt_store_result, (MYSQL_STMT *))                                        \
	X(my_bool, mysql_stmt_free_result, (MYSQL_STMT *))                                     \
	X(my_bool, mysql_stmt_reset, (MYSQL_STMT *))                                           \
	X(my_bool, mysql_stmt_attr_set, (MYSQL_STMT *, enum enum_stmt_attr_type, const void *)) \
	X(int, mariadb_stmt_execute_direct, (MYSQL_STMT *, const char *, size_t))              \
	X(int, mysql_next_result, (MYSQL *))                                                   \
	X(int, mysql_refresh, (MYSQL *, unsigned int))

struct cap_my_real {
#define CAP_MY_PTR(ret, name, args) ret(*real_##name) args;
	CAP_MY_FUNCS(CAP_MY_PTR)
#undef CAP_MY_PTR
};

/* The resolved functions (valid after cap_my_resolve returned 1). */
extern struct cap_my_real cap_my;

/* cap_my_resolve - resolve every function once; 1 when the core set is present.
 * mariadb_stmt_execute_direct may be missing (MySQL's own client): it stays NULL. The
 * non-blocking API's functions are resolved by hooks/mysql_async through cap_my_sym. */
int cap_my_resolve(void);

/* cap_my_sym - a client library function by name (the non-blocking API's, which
 * hooks/mysql_async resolves itself); NULL when the library has none. */
void *cap_my_sym(const char *name);

#endif
