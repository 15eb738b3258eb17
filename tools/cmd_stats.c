/*
 * cmd_stats.c - `capacitor stats`: read CAPACITOR_DIR/stats and print it.
 *
 *   capacitor stats [--json | --prometheus] [--top N] [--watch SECONDS] [--reset] [--dir DIR]
 *
 * The file is opened read-only (read-write only for --reset) through cache/stats_read.h, which
 * validates the header (magic, format version, layout) before anything is mapped past it, so a
 * missing, truncated, corrupt or newer-format file is one line on stderr and exit status 1.
 * The reader takes no lock, so running this in a loop never slows the programs it watches.
 *
 * The followers (`capacitor follow`, heartbeat files follow.* in the directory) are listed
 * after the table and as "followers" in JSON (read with cache/follow.h).
 *
 * Output: a human table (hit ratio, counters, bypass reasons, one text bar chart per latency
 * histogram with p50/p90/p99/p99.9/max marked); --json one object (keys documented in
 * DESIGN.md: counters, gauges, bypass_reasons, latency.{hit,hit_l1,hit_l2,miss,write,bypass},
 * top); --prometheus the text exposition format (counters capacitor_*_total, gauges,
 * capacitor_latency_seconds histograms with le buckets, _sum and _count). Latencies carry the
 * histogram's error (<= 0.8 %; per-shape p99 <= 6.3 %).
 *
 * Exit status: 0 success, 1 the stats file could not be read or reset, 2 usage.
 */
#include "tools/cmd.h"
#include "cache/cap.h"
#include "cache/engine.h"
#include "cache/follow.h"
#include "cache/hist.h"
#include "cache/stats.h"
#include "cache/stats_read.h"
#include "preload/config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum fmt { FMT_HUMAN, FMT_JSON, FMT_PROM };

static volatile sig_atomic_t stop_flag;

static void on_sigint(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: capacitor stats [--json | --prometheus] [--top N] [--watch SECONDS] [--reset]\n"
		"                       [--dir DIR]\n"
		"  --json           one JSON object\n"
		"  --prometheus     Prometheus text exposition format\n"
		"  --top N          also list the N busiest query shapes (1..%u)\n"
		"  --watch SECONDS  refresh every SECONDS (0.1..86400) until interrupted\n"
		"  --reset          zero counters and histograms for every reader (needs write access)\n"
		"  --dir DIR        stats directory (default: CAPACITOR_DIR or its default)\n",
		CAP_STATS_NSHAPES + 1);
}

/* ---- names ----------------------------------------------------------------------------- */

static const char *const reason_key[] = {
#define CAP_REASON_KEY(name, text) #name,
	CAP_REASONS(CAP_REASON_KEY)
#undef CAP_REASON_KEY
};

static const char *const path_key[CAP_PATH__N] = {
	[CAP_PATH_HIT_L1] = "hit_l1", [CAP_PATH_HIT_L2] = "hit_l2", [CAP_PATH_MISS] = "miss",
	[CAP_PATH_WRITE] = "write", [CAP_PATH_BYPASS] = "bypass",
};

static const char *fmt_ns(char *buf, size_t cap, uint64_t ns)
{
	if (ns < 1000)
		snprintf(buf, cap, "%lluns", (unsigned long long)ns);
	else if (ns < 1000000)
		snprintf(buf, cap, "%.3gus", (double)ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, cap, "%.3gms", (double)ns / 1e6);
	else
		snprintf(buf, cap, "%.3gs", (double)ns / 1e9);
	return buf;
}

static double pct(uint64_t a, uint64_t b) { return b ? 100.0 * (double)a / (double)b : 0.0; }

/* The merged hit histogram (L1 + L2). */
static void hit_hist(const cap_stats_view *v, cap_stats_hist *out)
{
	memcpy(out, &v->d.h[CAP_PATH_HIT_L1], sizeof(*out));
	cap_hist_add(out->b, v->d.h[CAP_PATH_HIT_L2].b, CAP_HIST_BUCKETS);
	out->sum += v->d.h[CAP_PATH_HIT_L2].sum;
}

/* ---- human ----------------------------------------------------------------------------- */

/* Chart rows: [row_lo[r], row_lo[r + 1]) on a 1-2-5 ladder from 100 ns to 50 s; the last row
 * is open-ended. */
static const uint64_t row_lo_ns[] = {
	0, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000, 200000, 500000,
	1000000, 2000000, 5000000, 10000000, 20000000, 50000000, 100000000, 200000000, 500000000,
	1000000000, 2000000000, 5000000000, 10000000000, 20000000000, 50000000000,
};
#define NROWS ((int)CAP_ARRAY_LEN(row_lo_ns))
static uint64_t row_lo(int r) { return row_lo_ns[r]; }

static int row_of(uint64_t ns)
{
	int r = 0;
	while (r + 1 < NROWS && ns >= row_lo(r + 1))
		r++;
	return r;
}

static void chart(FILE *out, const char *title, const cap_stats_hist *h)
{
	cap_stats_lat l;
	cap_stats_lat_of(h, &l);
	char a[6][24];
	if (l.count == 0) {
		fprintf(out, "\n%-8s no samples\n", title);
		return;
	}
	fprintf(out, "\n%-8s n=%llu  mean %s  p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n", title,
		(unsigned long long)l.count, fmt_ns(a[0], sizeof(a[0]), l.sum_ns / l.count),
		fmt_ns(a[1], sizeof(a[1]), l.p50), fmt_ns(a[2], sizeof(a[2]), l.p90),
		fmt_ns(a[3], sizeof(a[3]), l.p99), fmt_ns(a[4], sizeof(a[4]), l.p999),
		fmt_ns(a[5], sizeof(a[5]), l.max));
	uint64_t rows[NROWS] = { 0 };
	for (uint32_t i = 0; i < CAP_HIST_BUCKETS; i++)
		if (h->b[i])
			rows[row_of(cap_hist_mid(i, CAP_HIST_SUB_BITS, CAP_HIST_BUCKETS))] += h->b[i];
	int first = 0, last = NROWS - 1;
	while (first < last && rows[first] == 0)
		first++;
	while (last > first && rows[last] == 0)
		last--;
	uint64_t top = 0;
	for (int r = first; r <= last; r++)
		if (rows[r] > top)
			top = rows[r];
	const struct { const char *name; uint64_t v; } marks[] = {
		{ "p50", l.p50 }, { "p90", l.p90 }, { "p99", l.p99 }, { "p99.9", l.p999 }, { "max", l.max },
	};
	for (int r = first; r <= last; r++) {
		char lo[24], label[32];
		if (r + 1 < NROWS)
			snprintf(label, sizeof(label), "< %s", fmt_ns(lo, sizeof(lo), row_lo(r + 1)));
		else
			snprintf(label, sizeof(label), ">= %s", fmt_ns(lo, sizeof(lo), row_lo(r)));
		int w = top ? (int)((rows[r] * 40 + top - 1) / top) : 0;
		char bar[41];
		memset(bar, '#', (size_t)w);
		bar[w] = '\0';
		fprintf(out, "  %9s |%-40s %10llu", label, bar, (unsigned long long)rows[r]);
		const char *sep = "  <- ";
		for (size_t k = 0; k < CAP_ARRAY_LEN(marks); k++)
			if (row_of(marks[k].v) == r) {
				fprintf(out, "%s%s", sep, marks[k].name);
				sep = " ";
			}
		fputc('\n', out);
	}
}

static void print_top_human(FILE *out, const cap_stats_shape_info *s, size_t n)
{
	fprintf(out, "\ntop query shapes\n  %10s %6s %9s %9s  %-16s %s\n", "calls", "hit%", "mean",
		"p99", "bypass reason", "text");
	for (size_t i = 0; i < n; i++) {
		char m[24], p[24];
		fprintf(out, "  %10llu %5.1f%% %9s %9s  %-16s %s\n", (unsigned long long)s[i].calls,
			pct(s[i].hits, s[i].calls), fmt_ns(m, sizeof(m), s[i].mean_ns),
			fmt_ns(p, sizeof(p), s[i].p99_ns),
			s[i].reason == CAP_REASON_none ? "-" : cap_stats_reason_name(s[i].reason),
			s[i].text[0] ? s[i].text : "?");
	}
}

/* print_log_tail - the number of warnings logged and the last lines of CAPACITOR_DIR/log. */
static void print_log_tail(FILE *out, const char *stats_path, uint64_t warnings)
{
	char logp[PATH_MAX];
	const char *slash = strrchr(stats_path, '/');
	int dl = slash ? (int)(slash - stats_path) : 0;
	snprintf(logp, sizeof(logp), "%.*s/log", dl, stats_path);
	fprintf(out, "\nwarnings logged  %llu  (log: %s, or CAPACITOR_LOG)\n",
		(unsigned long long)warnings, logp);
	if (warnings == 0)
		return;
	/* a FIFO or a device under the log's name is not read (it would wait for a writer) */
	int fd = open(logp, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd < 0)
		return;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return;
	}
	FILE *f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return;
	}
	char lines[3][512];
	int n = 0;
	char buf[512];
	while (fgets(buf, sizeof(buf), f))
		if (strstr(buf, ": warning: ") || strstr(buf, ": error: "))
			snprintf(lines[n++ % 3], sizeof(lines[0]), "%s", buf);
	fclose(f);
	for (int i = n > 3 ? n - 3 : 0; i < n; i++)
		fprintf(out, "  %s", lines[i % 3]);
}

static void print_human(FILE *out, const char *path, const cap_stats_view *v,
			const cap_stats_shape_info *top, size_t ntop, int want_top)
{
	const cap_stats_counters *c = &v->d.c;
	fprintf(out, "capacitor stats: %s  (%u live processes, %u slots; %u dead slots not folded)\n",
		path, v->procs, v->slots_live, v->slots_dead);
	if (v->reset_ns) {
		time_t t = (time_t)(v->reset_ns / 1000000000ull);
		char when[64];
		struct tm tm;
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime_r(&t, &tm));
		fprintf(out, "counting since reset at %s\n", when);
	}
	fprintf(out, "\nhit ratio  %.1f%% of cacheable reads (hits / (hits + misses)), %.1f%% of reads\n",
		pct(c->hits, c->hits + c->misses), pct(c->hits, c->reads));
	fprintf(out, "\n");
#define CAP_PRINT_COUNTER(name, help) \
	fprintf(out, "  %-22s %14llu   %s\n", #name, (unsigned long long)c->name, help);
	CAP_STATS_COUNTERS(CAP_PRINT_COUNTER)
#undef CAP_PRINT_COUNTER
#define CAP_PRINT_GAUGE(name, help) \
	fprintf(out, "  %-22s %14llu   %s\n", #name, (unsigned long long)v->g.name, help);
	CAP_STATS_GAUGES(CAP_PRINT_GAUGE)
#undef CAP_PRINT_GAUGE
	print_log_tail(out, path, v->warnings);
	int any = 0;
	for (unsigned r = 1; r < CAP_REASON__N; r++)
		if (v->d.reason[r]) {
			if (!any)
				fprintf(out, "\nbypass reasons\n");
			any = 1;
			fprintf(out, "  %-22s %14llu\n", cap_stats_reason_name((enum cap_reason)r),
				(unsigned long long)v->d.reason[r]);
		}
	static cap_stats_hist hit;
	hit_hist(v, &hit);
	fprintf(out, "\nlatency (histogram error <= 0.8%%)\n");
	chart(out, "hit", &hit);
	chart(out, "hit_l1", &v->d.h[CAP_PATH_HIT_L1]);
	chart(out, "hit_l2", &v->d.h[CAP_PATH_HIT_L2]);
	chart(out, "miss", &v->d.h[CAP_PATH_MISS]);
	chart(out, "write", &v->d.h[CAP_PATH_WRITE]);
	chart(out, "bypass", &v->d.h[CAP_PATH_BYPASS]);
	if (want_top)
		print_top_human(out, top, ntop);
}

/* ---- JSON ------------------------------------------------------------------------------ */

/* utf8_len - the length of the well-formed UTF-8 sequence at p (RFC 3629: no overlong form,
 * surrogate or code point past U+10FFFF), 0 if there is none. Shape texts are whatever bytes
 * the programs' statements held; JSON readers refuse anything else. The checks stop at the
 * string's NUL, which is no continuation byte. */
static int utf8_len(const unsigned char *p)
{
	unsigned c = p[0], lo = 0x80, hi = 0xbf;
	int len = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
	if (c == 0xe0)
		lo = 0xa0; /* overlong below U+0800 */
	else if (c == 0xed)
		hi = 0x9f; /* surrogates */
	else if (c == 0xf0)
		lo = 0x90; /* overlong below U+10000 */
	else if (c == 0xf4)
		hi = 0x8f; /* past U+10FFFF */
	if (len == 0 || p[1] < lo || p[1] > hi)
		return 0;
	for (int k = 2; k < len; k++)
		if ((p[k] & 0xc0) != 0x80)
			return 0;
	return len;
}

/* A JSON string: escapes, and invalid UTF-8 bytes as U+FFFD. */
static void json_str(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	fputc('"', out);
	while (*p) {
		unsigned char ch = *p;
		if (ch == '"' || ch == '\\') {
			fprintf(out, "\\%c", ch);
			p++;
		} else if (ch < 0x20) {
			fprintf(out, "\\u%04x", ch);
			p++;
		} else if (ch < 0x80) {
			fputc(ch, out);
			p++;
		} else {
			int len = utf8_len(p);
			if (len > 0) {
				fwrite(p, 1, (size_t)len, out);
				p += len;
			} else {
				fputs("\\ufffd", out);
				p++;
			}
		}
	}
	fputc('"', out);
}

/* ---- followers (capacitor follow's heartbeats) ------------------------------------------- */

typedef struct stats_ctx {
	FILE *out;
	int json, n;
	uint64_t now;
} stats_ctx;


static int stats_one(void *ctx, const char *name, const cap_follow_beat *b)
{
	stats_ctx *c = ctx;
	int live = cap_follow_beat_live(b, c->now, CAP_FOLLOW_MAX_AGE_NS);
	double age = b->live_ns && c->now > b->live_ns ? (double)(c->now - b->live_ns) / 1e9 : -1;
	if (!c->json) {
		if (c->n == 0)
			fprintf(c->out, "\nfollowers (capacitor follow)\n");
		fprintf(c->out, "  %-24s %-10s %s  %s %s%s%s  lag %.1f ms  heard %.3f s ago  "
			"%llu events/s  %llu events  %llu bumps  %llu bump-alls  %llu reconnects\n",
			name + strlen(CAP_FOLLOW_PREFIX), cap_follow_state_name(b->state),
			live ? "live " : "STALE", b->kind, b->server, b->database[0] ? "/" : "",
			b->database, (double)b->lag_ns / 1e6, age, (unsigned long long)b->events_per_s,
			(unsigned long long)b->events, (unsigned long long)b->bumps,
			(unsigned long long)b->bump_alls, (unsigned long long)b->reconnects);
	} else {
		fprintf(c->out, "%s{\"name\":", c->n ? "," : "");
		json_str(c->out, name + strlen(CAP_FOLLOW_PREFIX));
		fprintf(c->out, ",\"state\":\"%s\",\"live\":%s,\"pid\":%lld,\"kind\":",
			cap_follow_state_name(b->state), live ? "true" : "false", (long long)b->pid);
		json_str(c->out, b->kind);
		fputs(",\"server\":", c->out);
		json_str(c->out, b->server);
		fputs(",\"database\":", c->out);
		json_str(c->out, b->database);
		fputs(",\"position\":", c->out);
		json_str(c->out, b->position);
		fprintf(c->out, ",\"age_s\":%.3f,\"lag_ms\":%.3f,\"events\":%llu,\"events_per_s\":%llu,"
			"\"bumps\":%llu,\"bump_alls\":%llu,\"reconnects\":%llu,\"last_error\":",
			age, (double)b->lag_ns / 1e6, (unsigned long long)b->events,
			(unsigned long long)b->events_per_s, (unsigned long long)b->bumps,
			(unsigned long long)b->bump_alls, (unsigned long long)b->reconnects);
		json_str(c->out, b->last_error);
		fputc('}', c->out);
	}
	c->n++;
	return 0;
}

/* follow_stats_print - the followers, and whether the directory's processes rely on them:
 * hits served while a live follower covered the database, reads passed through because
 * CAPACITOR_FOLLOW=require found none live. */
static void follow_stats_print(FILE *out, const char *dir, const cap_stats_view *v, int json)
{
	stats_ctx c = { out, json, 0, cap_now_ns() };
	unsigned long long followed = (unsigned long long)v->d.c.hits_followed;
	unsigned long long refused = (unsigned long long)v->d.reason[CAP_REASON_follow];
	if (json)
		fputs("\"followers\":[", out);
	(void)cap_follow_scan(dir, stats_one, &c);
	if (json) {
		fprintf(out, "],\"follow\":{\"hits_followed\":%llu,\"refused_no_follower\":%llu}",
			followed, refused);
		return;
	}
	if (c.n == 0 && followed == 0 && refused == 0)
		return;
	if (c.n == 0)
		fprintf(out, "\nfollowers (capacitor follow): none\n");
	fprintf(out, "  relied on: %llu hits served while a live follower covered the database; "
		"%llu reads passed through for want of one (CAPACITOR_FOLLOW=require)\n", followed,
		refused);
}

static void json_lat(FILE *out, const char *name, const cap_stats_hist *h, int comma)
{
	cap_stats_lat l;
	cap_stats_lat_of(h, &l);
	fprintf(out,
		"\"%s\":{\"count\":%llu,\"sum_us\":%.3f,\"mean_us\":%.3f,\"p50_us\":%.3f,"
		"\"p90_us\":%.3f,\"p99_us\":%.3f,\"p999_us\":%.3f,\"max_us\":%.3f}%s",
		name, (unsigned long long)l.count, (double)l.sum_ns / 1e3,
		l.count ? (double)l.sum_ns / (double)l.count / 1e3 : 0.0, (double)l.p50 / 1e3,
		(double)l.p90 / 1e3, (double)l.p99 / 1e3, (double)l.p999 / 1e3, (double)l.max / 1e3,
		comma ? "," : "");
}

static void print_json(FILE *out, const cap_stats_view *v, const cap_stats_shape_info *top,
		       size_t ntop, int want_top, const char *dir)
{
	const cap_stats_counters *c = &v->d.c;
	fputc('{', out);
#define CAP_JSON_COUNTER(name, help) fprintf(out, "\"%s\":%llu,", #name, (unsigned long long)c->name);
	CAP_STATS_COUNTERS(CAP_JSON_COUNTER)
#undef CAP_JSON_COUNTER
	fprintf(out, "\"invalidations\":%llu,\"evictions\":%llu,\"fills\":%llu,",
		(unsigned long long)(c->invalidations_table + c->invalidations_db),
		(unsigned long long)(c->evictions_l1 + c->evictions_l2),
		(unsigned long long)(c->fills_l1 + c->fills_l2));
#define CAP_JSON_GAUGE(name, help) fprintf(out, "\"%s\":%llu,", #name, (unsigned long long)v->g.name);
	CAP_STATS_GAUGES(CAP_JSON_GAUGE)
#undef CAP_JSON_GAUGE
	fprintf(out, "\"warnings\":%llu,", (unsigned long long)v->warnings);
	fprintf(out, "\"hit_ratio\":%.6f,\"processes\":%u,\"reset_time\":%llu,",
		c->hits + c->misses ? (double)c->hits / (double)(c->hits + c->misses) : 0.0, v->procs,
		(unsigned long long)(v->reset_ns / 1000000000ull));
	fputs("\"bypass_reasons\":{", out);
	for (unsigned r = 1; r < CAP_REASON__N; r++)
		fprintf(out, "\"%s\":%llu%s", reason_key[r], (unsigned long long)v->d.reason[r],
			r + 1 < CAP_REASON__N ? "," : "");
	fputs("},\"latency\":{", out);
	static cap_stats_hist hit;
	hit_hist(v, &hit);
	json_lat(out, "hit", &hit, 1);
	for (unsigned p = 0; p < CAP_PATH__N; p++)
		json_lat(out, path_key[p], &v->d.h[p], p + 1 < CAP_PATH__N);
	fputc('}', out);
	if (want_top) {
		fputs(",\"top\":[", out);
		for (size_t i = 0; i < ntop; i++) {
			const cap_stats_shape_info *s = &top[i];
			fprintf(out,
				"%s{\"shape\":\"%016llx\",\"calls\":%llu,\"hits\":%llu,\"misses\":%llu,"
				"\"bypasses\":%llu,\"writes\":%llu,\"hit_pct\":%.2f,\"mean_us\":%.3f,"
				"\"p99_us\":%.3f,\"bypass_reason\":",
				i ? "," : "", (unsigned long long)s->key, (unsigned long long)s->calls,
				(unsigned long long)s->hits, (unsigned long long)s->n[CAP_PATH_MISS],
				(unsigned long long)s->n[CAP_PATH_BYPASS],
				(unsigned long long)s->n[CAP_PATH_WRITE], pct(s->hits, s->calls),
				(double)s->mean_ns / 1e3, (double)s->p99_ns / 1e3);
			if (s->reason == CAP_REASON_none)
				fputs("null", out);
			else
				json_str(out, reason_key[s->reason]);
			fputs(",\"text\":", out);
			json_str(out, s->text);
			fprintf(out, ",\"other\":%s}", s->other ? "true" : "false");
		}
		fputc(']', out);
	}
	fputc(',', out);
	follow_stats_print(out, dir, v, 1);
	fputs("}\n", out);
}

/* ---- Prometheus ------------------------------------------------------------------------ */

static void prom_hist(FILE *out, const char *path, const cap_stats_hist *h)
{
	static const double le[] = { 1e-7, 2e-7, 5e-7, 1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4,
				     2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 2e-2, 5e-2, 0.1, 0.2,
				     0.5, 1, 2, 5, 10, 30, 60 };
	uint64_t total = cap_hist_total(h->b, CAP_HIST_BUCKETS);
	for (size_t i = 0; i < CAP_ARRAY_LEN(le); i++)
		fprintf(out, "capacitor_latency_seconds_bucket{path=\"%s\",le=\"%g\"} %llu\n", path,
			le[i],
			(unsigned long long)cap_hist_count_le(h->b, CAP_HIST_BUCKETS, CAP_HIST_SUB_BITS,
							      (uint64_t)llround(le[i] * 1e9)));
	fprintf(out, "capacitor_latency_seconds_bucket{path=\"%s\",le=\"+Inf\"} %llu\n", path,
		(unsigned long long)total);
	fprintf(out, "capacitor_latency_seconds_sum{path=\"%s\"} %.9f\n", path, (double)h->sum / 1e9);
	fprintf(out, "capacitor_latency_seconds_count{path=\"%s\"} %llu\n", path,
		(unsigned long long)total);
}

static void print_prom(FILE *out, const cap_stats_view *v)
{
	const cap_stats_counters *c = &v->d.c;
#define CAP_PROM_COUNTER(name, help)                                                        \
	fprintf(out, "# HELP capacitor_%s_total %s\n# TYPE capacitor_%s_total counter\n"   \
		     "capacitor_%s_total %llu\n",                                           \
		#name, help, #name, #name, (unsigned long long)c->name);
	CAP_STATS_COUNTERS(CAP_PROM_COUNTER)
#undef CAP_PROM_COUNTER
	fputs("# HELP capacitor_bypass_reason_total statements passed through, by reason\n"
	      "# TYPE capacitor_bypass_reason_total counter\n", out);
	for (unsigned r = 1; r < CAP_REASON__N; r++)
		fprintf(out, "capacitor_bypass_reason_total{reason=\"%s\"} %llu\n", reason_key[r],
			(unsigned long long)v->d.reason[r]);
#define CAP_PROM_GAUGE(name, help)                                                          \
	fprintf(out, "# HELP capacitor_%s %s\n# TYPE capacitor_%s gauge\ncapacitor_%s %llu\n", \
		#name, help, #name, #name, (unsigned long long)v->g.name);
	CAP_STATS_GAUGES(CAP_PROM_GAUGE)
#undef CAP_PROM_GAUGE
	fprintf(out, "# HELP capacitor_warnings_total warning and error lines logged\n"
		     "# TYPE capacitor_warnings_total counter\ncapacitor_warnings_total %llu\n",
		(unsigned long long)v->warnings);
	fprintf(out, "# HELP capacitor_processes live processes writing stats\n"
		     "# TYPE capacitor_processes gauge\ncapacitor_processes %u\n", v->procs);
	fputs("# HELP capacitor_latency_seconds statement latency as the program saw it, by path\n"
	      "# TYPE capacitor_latency_seconds histogram\n", out);
	for (unsigned p = 0; p < CAP_PATH__N; p++)
		prom_hist(out, path_key[p], &v->d.h[p]);
}

/* ---- main ------------------------------------------------------------------------------ */

static int parse_seconds(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !isfinite(v) || v < 0.1 || v > 86400)
		return -1;
	*out = v;
	return 0;
}

static int parse_top(const char *s, unsigned *out)
{
	char *end;
	errno = 0;
	if (s[0] < '0' || s[0] > '9')
		return -1;
	unsigned long v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 1 || v > CAP_STATS_NSHAPES + 1)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static void config_problem(void *ctx, const cap_var *var, const char *value)
{
	(void)ctx;
	fprintf(stderr, "capacitor stats: %s='%s' is not valid (expected %s); using the default\n",
		var->name, value, var->form);
}

int cap_cmd_stats(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },      { "prometheus", no_argument, NULL, 'p' },
		{ "watch", required_argument, NULL, 'w' }, { "top", required_argument, NULL, 't' },
		{ "reset", no_argument, NULL, 'r' },     { "dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },      { NULL, 0, NULL, 0 },
	};
	enum fmt fmt = FMT_HUMAN;
	double watch = 0;
	unsigned ntop = 0;
	int reset = 0, shown_flag = 0;
	const char *dir = NULL;
	optind = 1;
	int ch;
	while ((ch = getopt_long(argc, argv, "jpw:t:rd:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
		case 'p':
			if (shown_flag && fmt != (ch == 'j' ? FMT_JSON : FMT_PROM)) {
				fprintf(stderr, "capacitor stats: --json and --prometheus exclude each other\n");
				usage();
				return 2;
			}
			fmt = ch == 'j' ? FMT_JSON : FMT_PROM;
			shown_flag = 1;
			break;
		case 'w':
			if (parse_seconds(optarg, &watch) != 0) {
				fprintf(stderr, "capacitor stats: --watch '%s': expected a number of "
						"seconds from 0.1 to 86400\n", optarg);
				usage();
				return 2;
			}
			shown_flag = 1;
			break;
		case 't':
			if (parse_top(optarg, &ntop) != 0) {
				fprintf(stderr, "capacitor stats: --top '%s': expected an integer from 1 "
						"to %u\n", optarg, CAP_STATS_NSHAPES + 1);
				usage();
				return 2;
			}
			shown_flag = 1;
			break;
		case 'r':
			reset = 1;
			break;
		case 'd':
			dir = optarg;
			break;
		case 'h':
			usage();
			return 0;
		default:
			usage();
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "capacitor stats: unexpected argument '%s'\n", argv[optind]);
		usage();
		return 2;
	}
	static cap_config cfg;
	if (dir == NULL) {
		cap_config_load(&cfg, config_problem, NULL);
		dir = cfg.dir;
	}
	char path[4200];
	snprintf(path, sizeof(path), "%s/stats", dir);
	char err[4400];
	cap_stats_reader *r;
	int rc = cap_stats_reader_open(dir, reset, &r, err, sizeof(err));
	if (rc != CAP_OK) {
		fprintf(stderr, "capacitor stats: %s%s\n", err,
			rc == CAP_EIO && strstr(err, "No such file") ? " (has a program run with "
								      "the library yet?)" : "");
		return 1;
	}
	if (reset) {
		rc = cap_stats_reader_reset(r);
		if (rc != CAP_OK) {
			fprintf(stderr, "capacitor stats: reset %s: %s\n", path, cap_strerror(rc));
			cap_stats_reader_close(r);
			return 1;
		}
		if (!shown_flag) {
			printf("capacitor stats: %s reset\n", path);
			cap_stats_reader_close(r);
			return 0;
		}
	}
	cap_stats_view *v = malloc(sizeof(*v));
	cap_stats_shape_info *top = ntop ? calloc(ntop, sizeof(*top)) : NULL;
	if (v == NULL || (ntop && top == NULL)) {
		fprintf(stderr, "capacitor stats: malloc: %s\n", strerror(ENOMEM));
		free(v);
		free(top);
		cap_stats_reader_close(r);
		return 1;
	}
	if (watch > 0) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_sigint;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	int status = 0;
	do {
		cap_stats_reader_view(r, v);
		size_t n = ntop ? cap_stats_reader_top(r, top, ntop) : 0;
		if (watch > 0 && fmt == FMT_HUMAN)
			fputs("\033[H\033[2J", stdout);
		switch (fmt) {
		case FMT_HUMAN:
			print_human(stdout, path, v, top, n, ntop > 0);
			follow_stats_print(stdout, dir, v, 0);
			break;
		case FMT_JSON: print_json(stdout, v, top, n, ntop > 0, dir); break;
		case FMT_PROM: print_prom(stdout, v); break;
		}
		if (fflush(stdout) != 0 || ferror(stdout)) {
			fprintf(stderr, "capacitor stats: write: %s\n", strerror(errno));
			status = 1;
			break;
		}
		if (watch <= 0)
			break;
		struct timespec ts = { (time_t)watch, (long)((watch - floor(watch)) * 1e9) };
		while (!stop_flag && nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
	} while (!stop_flag);
	free(top);
	free(v);
	cap_stats_reader_close(r);
	return status;
}
