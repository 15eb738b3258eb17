/*
 * sqlmemo.h - the classifier's answer for a statement text this thread classified a moment ago.
 *
 * A program that hits the cache sends the same few statement texts over and over; lexing each
 * again was a quarter of a hit's time. The classification is a pure function of the dialect and
 * the bytes of the text (sql.h: no global state), so a thread may keep its last few answers and
 * copy one back when the same bytes come again. Texts are matched by length and a 128-bit hash
 * of their bytes; texts longer than CAP_SQLMEMO_TEXT_MAX, and answers whose names do not fit an
 * entry, are not kept (they are classified every time, as before).
 *
 * Per-thread storage, no lock, no allocation, no system call.
 */
#ifndef CAP_SQLMEMO_H
#define CAP_SQLMEMO_H

#include "cache/sql.h"

#define CAP_SQLMEMO_TEXT_MAX 4096

/* cap_sql_classify_memo - as cap_sql_classify(d, sql, len, info), answered from this thread's
 * memo when it holds the same text. */
enum cap_sql_kind cap_sql_classify_memo(enum cap_dialect d, const char *sql, size_t len,
					cap_sql_info *info);

#endif
