/*
 * follow_svc.c - the follower's services (tools/follow_svc.h): the log, failures, bumps and the
 * heartbeat writes that both stream readers make. Kept apart from the command (tools/follow.c)
 * so that the readers call down into it and nothing calls back up into a reader's caller.
 *
 * The heartbeat is written inside cap_follow_writer_begin/commit brackets (cache/follow.h): a
 * reader of the file never sees half an update. cap_fw_alive skips the write when nothing new
 * happened within 10 ms, so a busy stream costs one heartbeat write per 10 ms at most.
 */
#include "tools/follow_svc.h"
#include "cache/cap.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static FILE *log_out;

void cap_fw_log_to(FILE *f)
{
	log_out = f;
}

void cap_fw_log(const char *fmt, ...)
{
	FILE *f = log_out ? log_out : stderr;
	struct timespec ts;
	struct tm tm;
	char when[32];
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(f, "%s.%03ldZ capacitor follow[%ld]: ", when, ts.tv_nsec / 1000000, (long)getpid());
	va_list ap;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	fflush(f);
}

int cap_fw_fail(cap_fw *fw, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(fw->err, sizeof(fw->err), fmt, ap);
	va_end(ap);
	for (char *p = fw->err; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	size_t n = strlen(fw->err);
	while (n > 0 && fw->err[n - 1] == ' ')
		fw->err[--n] = '\0';
	return -1;
}

static void copy_field(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src ? src : "");
}

/* beat_counters - copy the counters and the rate into b (inside a writer bracket). */
static void beat_counters(cap_fw *fw, cap_follow_beat *b, uint64_t now)
{
	if (now - fw->rate_t0 >= 1000000000ull) {
		fw->rate = (fw->events - fw->rate_events) * 1000000000ull / (now - fw->rate_t0);
		fw->rate_t0 = now;
		fw->rate_events = fw->events;
	}
	b->pid = getpid();
	b->events = fw->events;
	b->bumps = fw->bumps;
	b->bump_alls = fw->bump_alls;
	b->reconnects = fw->reconnects;
	b->events_per_s = fw->rate;
	b->wall_ns = cap_wall_ns();
}

void cap_fw_state(cap_fw *fw, uint32_t state)
{
	cap_follow_beat *b = cap_follow_writer_begin(fw->hb);
	b->state = state;
	if (state == CAP_FOLLOW_BACKOFF || state == CAP_FOLLOW_STOPPED)
		copy_field(b->last_error, sizeof(b->last_error), fw->err);
	beat_counters(fw, b, cap_precise_ns());
	cap_follow_writer_commit(fw->hb);
}

void cap_fw_identity(cap_fw *fw, const char *kind, const char *server, const char *database,
		     const char *id_server, const char *id_db)
{
	cap_follow_beat *b = cap_follow_writer_begin(fw->hb);
	b->ident = id_server ? cap_follow_ident(kind, id_server, strlen(id_server), id_db,
						strlen(id_db))
			     : 0;
	copy_field(b->kind, sizeof(b->kind), kind);
	copy_field(b->server, sizeof(b->server), server);
	copy_field(b->database, sizeof(b->database), database);
	cap_follow_writer_commit(fw->hb);
}

void cap_fw_bump_table(cap_fw *fw, const char *name, size_t n)
{
	cap_engine_bump_table(fw->eng, name, n);
	fw->bumps++;
	if (fw->verbose)
		cap_fw_log("bump %.*s", (int)n, name);
}

void cap_fw_bump_all(cap_fw *fw, const char *why)
{
	cap_engine_bump_all(fw->eng);
	fw->bump_alls++;
	if (fw->verbose)
		cap_fw_log("bump all: %s", why);
}

void cap_fw_event(cap_fw *fw)
{
	fw->events++;
}

void cap_fw_streaming(cap_fw *fw, const char *pos)
{
	uint64_t now = cap_precise_ns();
	cap_follow_beat *b = cap_follow_writer_begin(fw->hb);
	b->state = CAP_FOLLOW_STREAMING;
	b->since_ns = now;
	b->live_ns = now;
	b->lag_ns = 0;
	b->last_error[0] = '\0';
	copy_field(b->position, sizeof(b->position), pos);
	beat_counters(fw, b, now);
	cap_follow_writer_commit(fw->hb);
	fw->last_beat = now;
	cap_fw_log("streaming %s %s from %s (every cached result invalidated)", b->kind,
		   b->database[0] ? b->database : "", pos);
}

void cap_fw_alive(cap_fw *fw, const char *pos, uint64_t live_at)
{
	uint64_t now = cap_precise_ns();
	if (live_at == 0 && pos == NULL && now - fw->last_beat < 10000000ull)
		return; /* nothing new worth a heartbeat write */
	cap_follow_beat *b = cap_follow_writer_begin(fw->hb);
	if (live_at > b->live_ns) {
		b->live_ns = live_at;
		b->lag_ns = now > live_at ? now - live_at : 0;
	}
	if (pos)
		copy_field(b->position, sizeof(b->position), pos);
	beat_counters(fw, b, now);
	cap_follow_writer_commit(fw->hb);
	fw->last_beat = now;
}

void cap_fw_no_probes(const char *why)
{
	cap_fw_log("WARNING: no probe connection%s%s%s: the heartbeat shows that the stream is up, "
		   "not how far behind it is", why ? " (" : "", why ? why : "", why ? ")" : "");
}

void cap_fw_txn_begin(cap_fw_txn *t)
{
	t->n = 0;
	t->overflow = 0;
}

int cap_fw_txn_add(cap_fw_txn *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->name[i], name) == 0)
			return 0;
	if (t->n < CAP_FW_TXN_MAX && strlen(name) <= CAP_FW_NAME_MAX)
		snprintf(t->name[t->n++], sizeof(t->name[0]), "%s", name);
	else
		t->overflow = 1;
	return 1;
}

void cap_fw_txn_end(cap_fw *fw, cap_fw_txn *t, void (*bump)(void *ctx, const char *name),
		    void *ctx)
{
	if (t->overflow)
		cap_fw_bump_all(fw, "commit of a transaction with many tables");
	else
		for (size_t i = 0; i < t->n; i++)
			bump(ctx, t->name[i]);
	cap_fw_txn_begin(t);
}

void cap_fw_redact(const char *uri, char *out, size_t cap)
{
	/* scheme://user:password@host... -> scheme://user@host...; password=... in a query too */
	const char *p = strstr(uri, "://");
	size_t o = 0;
	out[0] = '\0';
	if (cap == 0)
		return;
	const char *slash = p ? strpbrk(p + 3, "/?") : NULL;
	const char *at = NULL; /* the last '@' of the authority: a password may hold one */
	for (const char *s = p ? p + 3 : NULL; s && *s && (!slash || s < slash); s++)
		if (*s == '@')
			at = s;
	const char *colon = p ? strchr(p + 3, ':') : NULL;
	for (const char *s = uri; *s && o + 1 < cap; s++) {
		if (at && colon && colon < at && (!slash || at < slash) && s == colon) {
			s = at - 1;
			continue;
		}
		if ((s == uri || s[-1] == '?' || s[-1] == '&' || s[-1] == ' ') &&
		    strncmp(s, "password=", 9) == 0) {
			while (*s && *s != '&' && *s != ' ')
				s++;
			s--;
			continue;
		}
		out[o++] = *s;
	}
	out[o] = '\0';
}
