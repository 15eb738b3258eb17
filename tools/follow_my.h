/*
 * follow_my.h - `capacitor follow` for MariaDB: the URI parser, the stream reader (the binlog,
 * read as a replica) and the --check report. Called by the command (tools/follow.c); reports
 * through the follower's services (tools/follow_svc.h).
 */
#ifndef CAP_TOOLS_FOLLOW_MY_H
#define CAP_TOOLS_FOLLOW_MY_H

#include "tools/follow_svc.h"

#include <stddef.h>

/* MariaDB URIs: mysql://user[:password]@host[:port][/db][?socket=/path] */
typedef struct cap_my_uri {
	char user[128], password[128], host[256], db[128], socket[512];
	unsigned port;
} cap_my_uri;
/* cap_my_uri_parse - parse uri (percent-escapes decoded) into *out; 0, or -1 with the reason
 * in err (errlen bytes). A missing host is "localhost". */
int cap_my_uri_parse(const char *uri, cap_my_uri *out, char *err, size_t errlen);

/* cap_fw_my_run - one connection's run (tools/follow_svc.h says what a run does): 0 after a
 * stop, -1 after a failure (reason in fw->err). */
int cap_fw_my_run(cap_fw *fw);
/* cap_fw_my_check - print on stdout what the server lacks for following, and how to fix it.
 * Returns an exit status (tools/cmd.h). */
int cap_fw_my_check(const char *uri);

#endif
