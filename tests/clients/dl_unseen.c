/*
 * dl_unseen - loads libpq where Capacitor's hooks cannot see its calls, or where they can, so
 * that tests/integration/t_unseen_clients.sh checks what `capacitor stats` says about each
 * (unseen_clients, preload/dlsym.h). Linked with no client library.
 *
 *     dl_unseen ns            dlmopen(LM_ID_NEWLM, "libpq.so.5"), then PQlibVersion there
 *     dl_unseen ns-path PATH  the same with a path (a libpq, or an object that needs one)
 *     dl_unseen copy PATH     libpq.so.5 (dlopen RTLD_LOCAL) and a second copy of it at PATH,
 *                             then one query through the first (connection from PG*)
 *     dl_unseen plain         libpq.so.5 (dlopen RTLD_LOCAL), one query (connection from PG*)
 *
 * Prints one line per step; exit 0 when every step worked, 1 otherwise.
 */
#include <dlfcn.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>

static int query(void *h)
{
	PGconn *(*connectdb)(const char *) = (PGconn * (*)(const char *)) dlsym(h, "PQconnectdb");
	ConnStatusType (*status)(const PGconn *) =
		(ConnStatusType(*)(const PGconn *))dlsym(h, "PQstatus");
	PGresult *(*exec)(PGconn *, const char *) =
		(PGresult * (*)(PGconn *, const char *)) dlsym(h, "PQexec");
	char *(*getvalue)(const PGresult *, int, int) =
		(char *(*)(const PGresult *, int, int))dlsym(h, "PQgetvalue");
	void (*clear)(PGresult *) = (void (*)(PGresult *))dlsym(h, "PQclear");
	void (*finish)(PGconn *) = (void (*)(PGconn *))dlsym(h, "PQfinish");
	if (!connectdb || !status || !exec || !getvalue || !clear || !finish) {
		printf("dlsym: %s\n", dlerror());
		return 1;
	}
	PGconn *c = connectdb("");
	if (status(c) != CONNECTION_OK) {
		printf("connect failed\n");
		finish(c);
		return 1;
	}
	for (int i = 0; i < 2; i++) {
		PGresult *r = exec(c, "SELECT count(*) FROM items");
		printf("count: %s\n", getvalue(r, 0, 0));
		clear(r);
	}
	finish(c);
	return 0;
}

static int version_in(Lmid_t lmid, const char *file)
{
	void *h = dlmopen(lmid, file, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		printf("dlmopen %s: %s\n", file, dlerror());
		return 1;
	}
	int (*version)(void) = (int (*)(void))dlsym(h, "PQlibVersion");
	if (version == NULL) {
		printf("dlsym PQlibVersion: %s\n", dlerror());
		return 1;
	}
	printf("PQlibVersion in another namespace: %s\n", version() > 0 ? "ok" : "bad");
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	if (strcmp(mode, "ns") == 0)
		return version_in(LM_ID_NEWLM, "libpq.so.5");
	if (strcmp(mode, "ns-path") == 0 && argc > 2)
		return version_in(LM_ID_NEWLM, argv[2]);
	if (strcmp(mode, "plain") == 0 || (strcmp(mode, "copy") == 0 && argc > 2)) {
		void *h = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);
		if (h == NULL) {
			printf("dlopen libpq.so.5: %s\n", dlerror());
			return 1;
		}
		if (argc > 2) {
			void *h2 = dlopen(argv[2], RTLD_NOW | RTLD_LOCAL);
			printf("second copy: %s\n", h2 && h2 != h ? "loaded" : "not loaded");
			if (h2 == NULL || h2 == h)
				return 1;
		}
		return query(h);
	}
	fprintf(stderr, "usage: dl_unseen ns | ns-path PATH | copy PATH | plain\n");
	return 2;
}
