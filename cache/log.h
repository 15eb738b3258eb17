/*
 * log.h - the library's one logging channel.
 *
 * Destination and level come from CAPACITOR_LOG / CAPACITOR_LOG_LEVEL (set once by the
 * configuration code through cap_log_setup). Each message is one line, prefixed
 * "capacitor[pid]: level: ", written with a single write(2) so lines of concurrent processes
 * do not interleave. Logging is never on the hit path.
 */
#ifndef CAP_LOG_H
#define CAP_LOG_H

enum cap_log_level { CAP_LOG_ERROR = 0, CAP_LOG_WARN, CAP_LOG_INFO, CAP_LOG_DEBUG };

/* cap_log_setup - path is "stderr", NULL (stderr) or a file opened O_APPEND. Returns 0 or a
 * CAP_* code (the log then stays on stderr). */
int cap_log_setup(const char *path, enum cap_log_level level);

/* cap_log_enabled - whether a message of this level would be written. */
int cap_log_enabled(enum cap_log_level level);

/* cap_log - printf-style; the newline is added. */
void cap_log(enum cap_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* cap_log_fd - the file descriptor messages go to (for the periodic stats summary). */
int cap_log_fd(void);

#endif
