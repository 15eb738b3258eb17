/*
 * dl_static - stands for a program with a client library linked in: it defines PQexec itself
 * and exports it (default visibility, built with -rdynamic), so its calls bind to its own function, never to
 * Capacitor's. It then loads a plugin (dlopen of libm.so.6), the point at which Capacitor
 * notices such a program (tests/integration/t_unseen_clients.sh).
 */
#include <dlfcn.h>
#include <stdio.h>

typedef struct pg_conn PGconn;
typedef struct pg_result PGresult;

PGresult *PQexec(PGconn *conn, const char *query) __attribute__((visibility("default")));

PGresult *PQexec(PGconn *conn, const char *query)
{
	(void)conn;
	printf("own PQexec: %s\n", query);
	return NULL;
}

int main(void)
{
	void *h = dlopen("libm.so.6", RTLD_NOW | RTLD_LOCAL);
	printf("plugin: %s\n", h ? "loaded" : dlerror());
	PQexec(NULL, "SELECT 1");
	return h ? 0 : 1;
}
