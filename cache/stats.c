/*
 * stats.c - placeholder that keeps the tree linking while the shared-memory stats module is
 * written (issue 8); every call is a no-op.
 */
#include "cache/stats.h"

int cap_stats_open(const char *dir) { (void)dir; return 0; }
void cap_stats_record(const cap_qrec *r) { (void)r; }
void cap_stats_event(enum cap_event ev, uint64_t n) { (void)ev; (void)n; }
void cap_stats_l1(int64_t entries, int64_t bytes) { (void)entries; (void)bytes; }
void cap_stats_l2(uint64_t entries, uint64_t bytes) { (void)entries; (void)bytes; }
void cap_stats_log_tick(void) {}
void cap_stats_set_log_interval(uint64_t ns) { (void)ns; }
const char *cap_stats_reason_name(enum cap_reason r) { (void)r; return "?"; }
