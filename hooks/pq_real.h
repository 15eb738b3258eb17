/*
 * pq_real.h - the real libpq functions, resolved from the process at run time.
 *
 * The library has no DT_NEEDED on libpq: every libpq function the hooks call, interposed or
 * not, goes through these pointers, filled once (cap_pq_resolve) the first time any libpq hook
 * runs - by then the program has loaded libpq, or it could not have called us.
 */
#ifndef CAP_PQ_REAL_H
#define CAP_PQ_REAL_H

#include <libpq-events.h>
#include <libpq-fe.h>

#define CAP_PQ_FUNCS(X)                                                                        \
	X(PGresult *, PQexec, (PGconn *, const char *))                                        \
	X(PGresult *, PQexecParams, (PGconn *, const char *, int, const Oid *,                 \
				     const char *const *, const int *, const int *, int))      \
	X(PGresult *, PQprepare, (PGconn *, const char *, const char *, int, const Oid *))     \
	X(PGresult *, PQexecPrepared, (PGconn *, const char *, int, const char *const *,       \
				       const int *, const int *, int))                         \
	X(int, PQsendQuery, (PGconn *, const char *))                                          \
	X(int, PQsendQueryParams, (PGconn *, const char *, int, const Oid *,                   \
				   const char *const *, const int *, const int *, int))        \
	X(int, PQsendPrepare, (PGconn *, const char *, const char *, int, const Oid *))        \
	X(int, PQsendQueryPrepared, (PGconn *, const char *, int, const char *const *,         \
				     const int *, const int *, int))                           \
	X(PGresult *, PQgetResult, (PGconn *))                                                 \
	X(int, PQisBusy, (PGconn *))                                                           \
	X(int, PQconsumeInput, (PGconn *))                                                     \
	X(void, PQfinish, (PGconn *))                                                          \
	X(void, PQreset, (PGconn *))                                                           \
	X(void, PQtrace, (PGconn *, FILE *))                                                   \
	X(void, PQuntrace, (PGconn *))                                                         \
	X(int, PQregisterEventProc, (PGconn *, PGEventProc, const char *, void *))             \
	X(int, PQresetStart, (PGconn *))                                                       \
	X(PostgresPollingStatusType, PQconnectPoll, (PGconn *))                                \
	X(PostgresPollingStatusType, PQresetPoll, (PGconn *))                                  \
	X(int, PQsetSingleRowMode, (PGconn *))                                                 \
	X(PGTransactionStatusType, PQtransactionStatus, (const PGconn *))                      \
	X(PQnoticeReceiver, PQsetNoticeReceiver, (PGconn *, PQnoticeReceiver, void *))         \
	X(int, PQexitPipelineMode, (PGconn *))                                                 \
	X(int, PQenterPipelineMode, (PGconn *))                                                \
	X(int, PQsendDescribePrepared, (PGconn *, const char *))                               \
	X(int, PQsendDescribePortal, (PGconn *, const char *))                                 \
	X(PGresult *, PQdescribePrepared, (PGconn *, const char *))                            \
	X(PGresult *, PQdescribePortal, (PGconn *, const char *))                              \
	X(PGresult *, PQfn, (PGconn *, int, int *, int *, int, const PQArgBlock *, int))       \
	X(int, PQsendFlushRequest, (PGconn *))                                                 \
	X(int, PQflush, (PGconn *))                                                            \
	X(PGpipelineStatus, PQpipelineStatus, (const PGconn *))                                \
	X(int, PQisnonblocking, (const PGconn *))                                              \
	X(int, PQsocket, (const PGconn *))                                                     \
	X(int, PQbackendPID, (const PGconn *))                                                 \
	X(char *, PQhost, (const PGconn *))                                                    \
	X(char *, PQport, (const PGconn *))                                                    \
	X(char *, PQdb, (const PGconn *))                                                      \
	X(char *, PQuser, (const PGconn *))                                                    \
	X(const char *, PQparameterStatus, (const PGconn *, const char *))                     \
	X(int, PQclientEncoding, (const PGconn *))                                             \
	X(ConnStatusType, PQstatus, (const PGconn *))                                          \
	X(ExecStatusType, PQresultStatus, (const PGresult *))                                  \
	X(int, PQntuples, (const PGresult *))                                                  \
	X(int, PQnfields, (const PGresult *))                                                  \
	X(char *, PQfname, (const PGresult *, int))                                            \
	X(Oid, PQftable, (const PGresult *, int))                                              \
	X(int, PQftablecol, (const PGresult *, int))                                           \
	X(int, PQfformat, (const PGresult *, int))                                             \
	X(Oid, PQftype, (const PGresult *, int))                                               \
	X(int, PQfsize, (const PGresult *, int))                                               \
	X(int, PQfmod, (const PGresult *, int))                                                \
	X(char *, PQcmdStatus, (PGresult *))                                                   \
	X(char *, PQgetvalue, (const PGresult *, int, int))                                    \
	X(int, PQgetlength, (const PGresult *, int, int))                                      \
	X(int, PQgetisnull, (const PGresult *, int, int))                                      \
	X(void, PQclear, (PGresult *))                                                         \
	X(PGresult *, PQmakeEmptyPGresult, (PGconn *, ExecStatusType))                         \
	X(int, PQsetResultAttrs, (PGresult *, int, PGresAttDesc *))                            \
	X(int, PQsetvalue, (PGresult *, int, int, char *, int))                                \
	X(int, PQfireResultCreateEvents, (PGconn *, PGresult *))                               \
	X(PQconninfoOption *, PQconninfo, (PGconn *))                                          \
	X(void, PQconninfoFree, (PQconninfoOption *))                                          \
	X(PGconn *, PQconnectdbParams, (const char *const *, const char *const *, int))        \
	X(char *, PQerrorMessage, (const PGconn *))

struct cap_pq_real {
#define CAP_PQ_PTR(ret, name, args) ret(*real_##name) args;
	CAP_PQ_FUNCS(CAP_PQ_PTR)
#undef CAP_PQ_PTR
};

/* The resolved functions (valid after cap_pq_resolve returned 1). */
extern struct cap_pq_real cap_pq;

/* cap_pq_resolve - resolve every function once; 1 when the core set is present. Functions a
 * libpq of this age lacks (pipeline mode before 14) stay NULL and are treated as absent. */
int cap_pq_resolve(void);

#endif
