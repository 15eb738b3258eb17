/*
 * mysql_init.h - the statements Connector/C runs on a connection by itself (hooks/mysql_init.c):
 * its init commands.
 */
#ifndef CAP_MYSQL_INIT_H
#define CAP_MYSQL_INIT_H

#include <mysql.h>

/* cap_my_init_cmds - the init commands the library runs at every connect of m, in order:
 * *cmds points at *n NUL-terminated strings owned by the library (valid until m's options
 * change). 1 when the library said (*n may be 0), 0 when it cannot tell (no
 * mysql_get_optionv: not Connector/C). */
int cap_my_init_cmds(MYSQL *m, char ***cmds, unsigned int *n);

#endif
