/*
 * A minimal stand-in for <criterion/criterion.h>, used only by tests/run-tsan.sh: Criterion's
 * runner aborts under ThreadSanitizer ("Could not initialize inheritable arena", Criterion
 * issue #274), so the TSan build compiles the same test files against this header. It supports
 * what tests/unit/test_mem.c and test_engine.c use: TestSuite(.init/.fini/.timeout), Test,
 * cr_assert*, cr_log_*. Each test runs in a forked child, as under Criterion.
 */
#ifndef CAP_TSAN_CRITERION_H
#define CAP_TSAN_CRITERION_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct cr_suite_def {
	const char *name;
	void (*init)(void);
	void (*fini)(void);
	int timeout;
};
struct cr_test_def {
	const char *suite, *name;
	void (*fn)(void);
};

static struct cr_suite_def *cr_suites[16];
static int cr_nsuites;
static struct cr_test_def cr_tests[256];
static int cr_ntests;

static inline void cr_add_suite(struct cr_suite_def *s) { cr_suites[cr_nsuites++] = s; }
static inline void cr_add_test(const char *s, const char *n, void (*fn)(void))
{
	cr_tests[cr_ntests++] = (struct cr_test_def){ s, n, fn };
}

#define TestSuite(s, ...)                                                               \
	static struct cr_suite_def cr_suite_##s = { .name = #s, __VA_ARGS__ };          \
	__attribute__((constructor)) static void cr_reg_suite_##s(void) { cr_add_suite(&cr_suite_##s); }

#define Test(s, n)                                                                       \
	static void cr_test_##s##_##n(void);                                             \
	__attribute__((constructor)) static void cr_reg_##s##_##n(void)                  \
	{                                                                                \
		cr_add_test(#s, #n, cr_test_##s##_##n);                                  \
	}                                                                                \
	static void cr_test_##s##_##n(void)

#define cr_assert(c, ...)                                                                \
	do {                                                                             \
		if (!(c)) {                                                              \
			fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__, #c); \
			_exit(1);                                                        \
		}                                                                        \
	} while (0)
#define cr_assert_eq(a, b, ...) cr_assert((a) == (b))
#define cr_assert_neq(a, b, ...) cr_assert((a) != (b))
#define cr_assert_lt(a, b, ...) cr_assert((a) < (b))
#define cr_assert_null(a, ...) cr_assert((a) == NULL)
#define cr_assert_not_null(a, ...) cr_assert((a) != NULL)
#define cr_log_info(...) (fprintf(stderr, __VA_ARGS__), fputc('\n', stderr))
#define cr_log_warn(...) cr_log_info(__VA_ARGS__)

int main(void)
{
	int failed = 0;
	for (int i = 0; i < cr_ntests; i++) {
		struct cr_suite_def *s = NULL;
		for (int j = 0; j < cr_nsuites; j++)
			if (strcmp(cr_suites[j]->name, cr_tests[i].suite) == 0)
				s = cr_suites[j];
		pid_t pid = fork();
		if (pid == 0) {
			if (s && s->init)
				s->init();
			cr_tests[i].fn();
			if (s && s->fini)
				s->fini();
			_exit(0);
		}
		int st = 0;
		waitpid(pid, &st, 0);
		int ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
		fprintf(stderr, "[%s] %s::%s\n", ok ? "PASS" : "FAIL", cr_tests[i].suite,
			cr_tests[i].name);
		failed += !ok;
	}
	fprintf(stderr, "tested %d, failed %d\n", cr_ntests, failed);
	return failed ? 1 : 0;
}

#endif
