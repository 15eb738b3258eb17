/*
 * mysql_events.h - MariaDB/MySQL events as writers the server runs by itself
 * (hooks/mysql_events.c), for the catalog (hooks/mysql_catalog).
 */
#ifndef CAP_MYSQL_EVENTS_H
#define CAP_MYSQL_EVENTS_H

#include "hooks/relgraph.h"

#include <mysql.h>

/* What the events the user can see may write (cap_myev_load's answer). */
enum { CAP_MYEV_NONE = 0, CAP_MYEV_SOME, CAP_MYEV_ALL };

/* cap_myev_load - on the catalog's side connection, read the enabled events the user can see
 * and mark with flag every relation of g their bodies may write (a cascade's children and a
 * partition's parent too); whole: the graph's flags that make a write unknowable. info is
 * scratch. *what: NONE, SOME, or ALL when some body may write what cannot be named (a CALL,
 * a compound statement, a function, a table with triggers). CAP_OK or an error. */
int cap_myev_load(MYSQL *side, cap_relgraph *g, uint32_t flag, uint32_t whole, cap_sql_info *info,
		  int *what);

/* cap_myev_reads - may a read of info read what an event may write (what as loaded)? No
 * system call, no lock. */
int cap_myev_reads(const cap_relgraph *g, uint32_t flag, int what, const cap_sql_info *info);

#endif
