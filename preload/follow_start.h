/*
 * follow_start.h - CAPACITOR_FOLLOW_DSN: the library starts `capacitor follow --daemon URI`
 * for the user, once per process, at its first hooked call (like gpg-agent or sccache's
 * server). The follower's own lock makes every start after the first a quick no-op, and a
 * follower of that URI already live is not started again at all.
 */
#ifndef CAP_FOLLOW_START_H
#define CAP_FOLLOW_START_H

#include "preload/config.h"

/* cap_follow_start - start the follower of c->follow_dsn unless one is live. Never waits for
 * it (the host is suspended until the tool's execve) and never prints: the tool's stdin and
 * stdout are /dev/null, its stderr the library's log, it inherits no other descriptor and no
 * LD_PRELOAD, and the host never sees it as a child. A failure is one line in the log. */
void cap_follow_start(const cap_config *c);

#endif
