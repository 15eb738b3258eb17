/*
 * follow_pg.h - `capacitor follow` for PostgreSQL: the stream reader (logical replication) and
 * the --check report. Called by the command (tools/follow.c); reports through the follower's
 * services (tools/follow_svc.h).
 */
#ifndef CAP_TOOLS_FOLLOW_PG_H
#define CAP_TOOLS_FOLLOW_PG_H

#include "tools/follow_svc.h"

/* cap_fw_pg_run - one connection's run (tools/follow_svc.h says what a run does): 0 after a
 * stop, -1 after a failure (reason in fw->err). fw->uri is a libpq URI or key=value string. */
int cap_fw_pg_run(cap_fw *fw);
/* cap_fw_pg_check - print on stdout what the server lacks for following, and how to fix it;
 * publication is --publication or NULL. Returns an exit status (tools/cmd.h). */
int cap_fw_pg_check(const char *uri, const char *publication);

#endif
