/*
 * mysql_probe.h - reading a MySQL session's settings back from the server (hooks/mysql_probe.c).
 */
#ifndef CAP_MYSQL_PROBE_H
#define CAP_MYSQL_PROBE_H

#include "hooks/mysql_conn.h"

/* cap_my_probe - read the session's settings on mc's own connection and report them to the
 * policy (cap_sess_probed). Before a cacheable read only, when mc->sess.probe_need. 0 when
 * the connection cannot take a query now (the settings still unknown); a failed read disables
 * caching on the session. */
int cap_my_probe(my_conn *mc);
/* cap_my_probe_fits - may the read-back run just before this statement (classified in info)?
 * Only where the program cannot see it (see mysql_probe.c). */
int cap_my_probe_fits(const my_conn *mc, const cap_sql_info *info, const char *sql, size_t len);
/* cap_my_orphans - on a miss: resolve an orphaned write in flight of this server whose thread
 * the server no longer lists (see mysql_probe.c). */
void cap_my_orphans(const cap_rt *rt, my_conn *mc);
/* cap_my_refresh_params - fold the connection's character set into the key (the library
 * changes it without a statement: mysql_set_character_set). */
void cap_my_refresh_params(my_conn *mc);

#endif
