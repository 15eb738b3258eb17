/*
 * cap.h - definitions every Capacitor module shares: error codes, branch hints, the
 * hidden-visibility rule.
 *
 * Errors are negative return codes in one range so that any layer can pass them up unchanged
 * and the outermost one (a hook) turns them into "call the real function and log one line".
 * Nothing in the library calls exit() or abort(), or writes to stdout.
 */
#ifndef CAP_CAP_H
#define CAP_CAP_H

#include <stddef.h>
#include <stdint.h>

enum {
	CAP_OK = 0,
	CAP_ENOMEM = -1,    /* an allocation failed */
	CAP_EIO = -2,       /* a system call on a shared file failed */
	CAP_ECORRUPT = -3,  /* a shared file or entry failed its checks */
	CAP_EINVAL = -4,    /* bad argument or malformed input */
	CAP_ETOOBIG = -5,   /* over a size limit (result, key, table) */
	CAP_EUNSAFE = -6,   /* a file or directory failed the ownership/permission checks */
	CAP_EOFF = -7,      /* the feature is switched off */
	CAP_EVERSION = -8,  /* a shared file of another format version */
	CAP_ERR_MIN = -8
};

/* cap_strerror - a static, human string for a CAP_* code (never NULL). */
const char *cap_strerror(int err);

#define CAP_LIKELY(x) __builtin_expect(!!(x), 1)
#define CAP_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define CAP_COLD __attribute__((cold, noinline))
#define CAP_CACHELINE 64
#define CAP_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
