/*
 * fork.h - every fork handler of the library, run in one fixed order.
 *
 * Several modules keep process-local locks that a fork child would inherit held by threads
 * that do not exist in it. Each takes its locks before fork (prepare) and releases or
 * re-initialises them after (parent, child). Registered with pthread_atfork one by one, the
 * handlers would run in the reverse of whatever order the modules happened to start in, and
 * a prepare that takes lock B before lock A, while another thread holds A and waits for B,
 * deadlocks the fork. So there is one pthread_atfork registration (here), and the order is
 * this list: the process's lock hierarchy, outermost first. A module's locks may be held
 * while it calls into the modules below it, never above.
 *
 * prepare handlers run top to bottom; parent and child handlers bottom to top (innermost
 * first: a child handler may use the modules below it, already made usable again).
 */
#ifndef CAP_FORK_H
#define CAP_FORK_H

enum cap_fork_rank {
	CAP_FORK_PQ,      /* hooks/pq: libpq's connection table */
	CAP_FORK_MYSQL,   /* hooks/mysql_conn: Connector/C's connection and statement tables */
	CAP_FORK_CATALOG, /* hooks/catreg: catalog registries (held while a catalog loads) */
	CAP_FORK_L1,      /* cache/mem: every shard's locks (held while stats are counted) */
	CAP_FORK_STATS,   /* cache/stats: open, slot claims and the free list */
	CAP_FORK_FAULT,   /* cache/fault: the watch table's spin word (child only) */
	CAP_FORK_WAITS,   /* preload/waits: the holds, which are the parent's (child only) */
	CAP_FORK_CONNWATCH, /* hooks/connwatch: the watcher thread stopped (held until after fork) */
	CAP_FORK__N
};

/* cap_fork_register - the handlers of rank r (any may be NULL). Registering a rank again
 * replaces its handlers; a fork that is under way when a rank is first registered runs none
 * of that rank's handlers. Thread-safe; never fails (the one pthread_atfork call is made at
 * the first registration). */
void cap_fork_register(enum cap_fork_rank r, void (*prepare)(void), void (*parent)(void),
		       void (*child)(void));

#endif
