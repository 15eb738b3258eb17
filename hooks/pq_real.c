/*
 * pq_real.c - the real libpq functions, resolved once from the process (pq_real.h).
 */
#include "hooks/pq_real.h"
#include "cache/log.h"
#include "preload/copy.h"
#include "preload/resolve.h"

#include <pthread.h>

struct cap_pq_real cap_pq;

static const char *const pq_sonames[] = { "libpq.so.5", "libpq.so", NULL };
static const char *const pq_stems[] = { "libpq", NULL };
static const cap_libfamily pq_family = { pq_sonames, pq_stems };
static pthread_once_t pq_once = PTHREAD_ONCE_INIT;
static int pq_ok;

static void pq_resolve_once(void)
{
#define CAP_PQ_RESOLVE(ret, name, args)                                                        \
	cap_pq.real_##name = (ret(*) args)cap_resolve(&pq_family, #name);
	CAP_PQ_FUNCS(CAP_PQ_RESOLVE)
#undef CAP_PQ_RESOLVE
	/* Everything the cache path calls must be there; the optional ones (pipeline mode) may
	 * be missing from an old libpq. */
	pq_ok = cap_pq.real_PQexec && cap_pq.real_PQexecParams && cap_pq.real_PQprepare &&
		cap_pq.real_PQexecPrepared && cap_pq.real_PQsendQuery &&
		cap_pq.real_PQsendQueryParams && cap_pq.real_PQsendPrepare &&
		cap_pq.real_PQsendQueryPrepared && cap_pq.real_PQgetResult &&
		cap_pq.real_PQisBusy && cap_pq.real_PQconsumeInput && cap_pq.real_PQfinish &&
		cap_pq.real_PQreset && cap_pq.real_PQtransactionStatus &&
		cap_pq.real_PQisnonblocking && cap_pq.real_PQhost && cap_pq.real_PQport &&
		cap_pq.real_PQdb && cap_pq.real_PQuser && cap_pq.real_PQparameterStatus &&
		cap_pq.real_PQresultStatus && cap_pq.real_PQntuples && cap_pq.real_PQnfields &&
		cap_pq.real_PQfname && cap_pq.real_PQftable && cap_pq.real_PQftablecol &&
		cap_pq.real_PQfformat && cap_pq.real_PQftype && cap_pq.real_PQfsize &&
		cap_pq.real_PQfmod && cap_pq.real_PQcmdStatus && cap_pq.real_PQgetvalue &&
		cap_pq.real_PQgetlength && cap_pq.real_PQgetisnull && cap_pq.real_PQclear &&
		cap_pq.real_PQmakeEmptyPGresult && cap_pq.real_PQsetResultAttrs &&
		cap_pq.real_PQsetvalue && cap_pq.real_PQsetNoticeReceiver &&
		cap_pq.real_PQconninfo && cap_pq.real_PQconninfoFree &&
		cap_pq.real_PQconnectdbParams && cap_pq.real_PQstatus &&
		cap_pq.real_PQresetStart && cap_pq.real_PQsetSingleRowMode && cap_pq.real_PQsocket;
	if (cap_copy_inactive()) {
		pq_ok = 0; /* another copy is active: every hook passes its call on (copy.h) */
		return;
	}
	if (!pq_ok)
		cap_log(CAP_LOG_WARN, "libpq lacks functions Capacitor needs; passing through");
}

int cap_pq_resolve(void)
{
	pthread_once(&pq_once, pq_resolve_once);
	return pq_ok;
}
