/* test_fork.c - the fork handlers run in the fixed order of cache/fork.h, whatever order the
 * modules registered them in. */
#include "cache/fork.h"

#include <criterion/criterion.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char seq[32];
static size_t nseq;

static void note(char c)
{
	if (nseq < sizeof(seq) - 1)
		seq[nseq++] = c;
}

static void pq_prepare(void) { note('P'); }
static void pq_parent(void) { note('p'); }
static void pq_child(void) { note('c'); }
static void l1_prepare(void) { note('L'); }
static void l1_parent(void) { note('l'); }
static void l1_child(void) { note('k'); }
static void fault_child(void) { note('f'); }

Test(fork, fixed_order)
{
	/* registered innermost first: the order must not follow registration */
	cap_fork_register(CAP_FORK_FAULT, NULL, NULL, fault_child);
	cap_fork_register(CAP_FORK_L1, l1_prepare, l1_parent, l1_child);
	cap_fork_register(CAP_FORK_PQ, pq_prepare, pq_parent, pq_child);
	int fds[2];
	cr_assert_eq(pipe(fds), 0);
	pid_t pid = fork();
	if (pid == 0) {
		/* prepare outermost first, then the child's handlers innermost first */
		int ok = strcmp(seq, "PLfkc") == 0;
		(void)!write(fds[1], seq, nseq);
		_exit(ok ? 0 : 1);
	}
	close(fds[1]);
	char got[32] = "";
	(void)!read(fds[0], got, sizeof(got) - 1);
	close(fds[0]);
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child saw %s", got);
	cr_assert_str_eq(seq, "PLlp", "parent: prepare outermost first, parent innermost first");
}
