/*
 * log.h - the library's one logging channel.
 *
 * Destination and level come from CAPACITOR_LOG / CAPACITOR_LOG_LEVEL (set once by the
 * configuration code). The default destination is the file CAPACITOR_DIR/log, never the host's
 * stderr: a program's stderr is its own (only a bad configuration value at start-up is
 * reported there, by preload/runtime.c). Until a destination is set, and when the file cannot
 * be opened safely, lines are dropped (and still counted). A log file is bounded: a line that
 * finds it over CAP_LOG_MAX bytes empties it first.
 *
 * Each message is one line, prefixed "capacitor[pid]: level: ", written with a single write(2)
 * so lines of concurrent processes do not interleave. Logging is never on the hit path. Lines
 * never carry statement parameters or result data (callers log digests and counts only).
 */
#ifndef CAP_LOG_H
#define CAP_LOG_H

#include <stdint.h>

enum cap_log_level { CAP_LOG_ERROR = 0, CAP_LOG_WARN, CAP_LOG_INFO, CAP_LOG_DEBUG };

#define CAP_LOG_FILE "log"
#define CAP_LOG_MAX (1024u * 1024u)

/* cap_log_setup - path "stderr" logs to stderr (the user asked for it), any other path is a
 * file opened O_APPEND, mode 0600; NULL or "" sets only the level. Returns 0 or a CAP_* code
 * (lines are then dropped). */
int cap_log_setup(const char *path, enum cap_log_level level);
/* cap_log_setup_dir - log to dir/log (the default), opened with the same ownership and mode
 * checks as the other shared files. CAP_OK or a CAP_* code (lines are then dropped). */
int cap_log_setup_dir(const char *dir, enum cap_log_level level);

/* cap_log_enabled - whether a message of this level would be written. */
int cap_log_enabled(enum cap_log_level level);

/* cap_log - printf-style; the newline is added. */
void cap_log(enum cap_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* cap_write_nopipe - write(2) of buf to fd, a descriptor of the host's (its stderr): a pipe
 * whose reader is gone must not raise SIGPIPE, whose default action kills the host (the host
 * without Capacitor would have written nothing there). SIGPIPE is blocked in this thread for
 * the write, and one that our write made pending (none was before) is taken before the mask
 * is restored. Returns what write(2) returned; errno as write(2) left it. */
long cap_write_nopipe(int fd, const void *buf, unsigned long len);

/* cap_log_write - write one complete line (newline included) to the log, keeping it bounded. */
void cap_log_write(const char *line, unsigned long len);

/* cap_log_count_into - also count warnings and errors (including those logged so far) into
 * *counter with atomic adds (the stats file's header). NULL stops. */
void cap_log_count_into(uint64_t *counter);

#endif
