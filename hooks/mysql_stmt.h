/*
 * mysql_stmt.h - prepared statements through the Connector/C hooks (hooks/mysql_stmt.c).
 */
#ifndef CAP_MYSQL_STMT_H
#define CAP_MYSQL_STMT_H

#include "hooks/mysql_conn.h"

/* cap_my_st_abi_ok - is the client library the Connector/C release the hooks were built for
 * (the layouts of MYSQL_STMT and of the method table the hooks write into)? */
int cap_my_st_abi_ok(void);
/* cap_my_st_forget - forget st (its text, any hit state and pending fill). */
void cap_my_st_forget(MYSQL_STMT *st);
/* cap_my_st_drop - forget st's hit and pending fill (not its text). */
void cap_my_st_drop(MYSQL_STMT *st);

#endif
