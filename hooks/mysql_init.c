/*
 * mysql_init.c - the init commands of a Connector/C connection (mysql_init.h):
 * mysql_options(MYSQL_INIT_COMMAND), MySQLdb's init_command=, DBD::mysql's
 * mysql_init_command, an option file's init-command. mysql_real_connect runs them inside the
 * library after it logged in, and so does every reconnect (MYSQL_OPT_RECONNECT connects a new
 * session with the same options); mysql_change_user and mysql_reset_connection do not. No
 * hook sees them run, so the hooks read them from the library and account for each as if the
 * program had sent it (hooks/mysql_plan.c). Connector/C says what they are through
 * mysql_get_optionv(m, MYSQL_INIT_COMMAND, &array, &count), which includes those an option
 * file added at connect; a library without it cannot say, and the caller takes the worst.
 */
#include "hooks/mysql_init.h"
#include "hooks/mysql_real.h"

#include <pthread.h>

typedef int (*get_optionv_fn)(MYSQL *, enum mysql_option, void *, ...);

static get_optionv_fn get_optionv;
static pthread_once_t get_once = PTHREAD_ONCE_INIT;

static void resolve_get_optionv(void)
{
	get_optionv = (get_optionv_fn)cap_my_sym("mysql_get_optionv");
}

int cap_my_init_cmds(MYSQL *m, char ***cmds, unsigned int *n)
{
	pthread_once(&get_once, resolve_get_optionv);
	*cmds = NULL;
	*n = 0;
	if (get_optionv == NULL || get_optionv(m, MYSQL_INIT_COMMAND, (void *)cmds, n) != 0)
		return 0;
	if (*cmds == NULL)
		*n = 0;
	return 1;
}
