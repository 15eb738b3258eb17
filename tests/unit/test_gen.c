/* test_gen.c - generation slots, shared visibility, random bases and the file layout. */
#include "tests/unit/testdir.h"
#include "cache/gen.h"
#include "cache/shmfile.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[256];
static int dfd = -1;

static void setup(void)
{
	dfd = cap_testdir_open(dir, sizeof(dir), "gen");
	cr_assert(dfd >= 0);
}

static void teardown(void)
{
	close(dfd);
	cap_testdir_remove(dir);
}

TestSuite(gen, .init = setup, .fini = teardown);

Test(gen, layout)
{
	cr_assert_eq(sizeof(cap_gen_hdr), 64);
	cr_assert_eq(offsetof(cap_gen_hdr, magic), 0);
	cr_assert_eq(offsetof(cap_gen_hdr, format), 8);
	cr_assert_eq(offsetof(cap_gen_hdr, nonce), 16);
	cr_assert_eq(offsetof(cap_gen_hdr, nslots), 24);
	cr_assert_eq(offsetof(cap_gen_hdr, check), 40);
}

Test(gen, table_slots_bare_lowercase)
{
	uint32_t a = cap_gen_table_slot("Orders", 6);
	cr_assert_eq(a, cap_gen_table_slot("orders", 6));
	cr_assert_eq(a, cap_gen_table_slot("public.orders", 13));
	cr_assert_eq(a, cap_gen_table_slot("db.Public.ORDERS", 16));
	cr_assert_neq(a, cap_gen_table_slot("order", 5));
	cr_assert(a >= 1 && a <= CAP_GEN_TABLES);
	uint32_t d = cap_gen_db_slot(12345);
	cr_assert(d > CAP_GEN_TABLES && d < CAP_GEN_SLOTS);
	char longname[1000];
	memset(longname, 'A', sizeof(longname));
	uint32_t l = cap_gen_table_slot(longname, sizeof(longname));
	memset(longname, 'a', sizeof(longname));
	cr_assert_eq(l, cap_gen_table_slot(longname, sizeof(longname)));
}

Test(gen, shared_bumps_visible_to_other_process)
{
	cap_gen *g;
	cr_assert_eq(cap_gen_open_file(dfd, &g), CAP_OK);
	cr_assert(g->shared);
	uint32_t s = cap_gen_table_slot("t", 1);
	uint64_t before = cap_gen_read(g, s);
	pid_t pid = fork();
	if (pid == 0) {
		cap_gen *c;
		if (cap_gen_open_file(dfd, &c) != CAP_OK || c->nonce != g->nonce)
			_exit(1);
		for (int i = 0; i < 1000; i++)
			cap_gen_bump(c, s);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	cr_assert_eq(cap_gen_read(g, s), before + 1000);
	cap_gen_close(g);
}

Test(gen, new_file_has_random_bases)
{
	cap_gen *a, *b;
	cr_assert_eq(cap_gen_open_file(dfd, &a), CAP_OK);
	uint64_t v = cap_gen_read(a, 5);
	uint64_t nonce = a->nonce;
	cap_gen_close(a);
	unlinkat(dfd, CAP_GEN_FILE, 0);
	cr_assert_eq(cap_gen_open_file(dfd, &b), CAP_OK);
	cr_assert_neq(b->nonce, nonce);
	cr_assert_neq(cap_gen_read(b, 5), v);
	cr_assert_neq(cap_gen_read(b, 5), cap_gen_read(b, 6));
	cap_gen_close(b);
	cap_gen *p;
	cr_assert_eq(cap_gen_open_private(&p), CAP_OK);
	cr_assert(!p->shared);
	cap_gen_close(p);
}

Test(gen, corrupt_header_rebuilt)
{
	cap_gen *a;
	cr_assert_eq(cap_gen_open_file(dfd, &a), CAP_OK);
	uint64_t nonce = a->nonce;
	cap_gen_close(a);
	int fd = openat(dfd, CAP_GEN_FILE, O_RDWR);
	uint32_t bad = 7;
	cr_assert_eq(pwrite(fd, &bad, 4, offsetof(cap_gen_hdr, nslots)), 4);
	close(fd);
	cr_assert_eq(cap_gen_open_file(dfd, &a), CAP_OK);
	cr_assert_neq(a->nonce, nonce);
	cap_gen_close(a);
}

Test(gen, marker_layout_and_format)
{
	cr_assert_eq(sizeof(cap_gen_mark), 128);
	cr_assert_eq(CAP_GEN_MARK_OFF % 64, 0);
	cr_assert(CAP_GEN_MARK_OFF >= CAP_GEN_HDR_SIZE + (size_t)CAP_GEN_SLOTS * 8);
	cr_assert_eq(CAP_GEN_FILE_SIZE,
		     CAP_GEN_MARK_OFF + 64 + (size_t)CAP_GEN_MARKS * sizeof(cap_gen_mark));
	cr_assert_eq(CAP_GEN_FORMAT >> 56, 2); /* files of format 1 (no markers) are rebuilt */
}

Test(gen, marker_claim_add_clear)
{
	cap_gen *g;
	cr_assert_eq(cap_gen_open_file(dfd, &g), CAP_OK);
	uint64_t server[2] = { 1, 2 };
	uint64_t own = (uint64_t)getpid() << 32 | 2;
	int i = cap_gen_mark_claim(g, own, 0, server, 3);
	cr_assert_geq(i, 0);
	uint32_t want[2] = { 5, 9 }, from = 0;
	uint64_t o;
	cr_assert_eq(cap_gen_marked(g, want, 2, &from, &o), -1);
	cr_assert(cap_gen_mark_add(g, (uint32_t)i, own, 9));
	from = 0;
	cr_assert_eq(cap_gen_marked(g, want, 2, &from, &o), i);
	cr_assert_eq(o, own);
	cr_assert(!cap_gen_mark_add(g, (uint32_t)i, own + 2, 5)); /* not its owner */
	for (uint32_t s = 100; s < 100 + CAP_MARK_SLOTS + 3; s++) /* full: the global epoch */
		cr_assert(cap_gen_mark_add(g, (uint32_t)i, own, s));
	uint32_t global = CAP_GEN_GLOBAL;
	from = 0;
	cr_assert_eq(cap_gen_marked(g, &global, 1, &from, &o), i);
	cr_assert(!cap_gen_mark_clear(g, (uint32_t)i, own + 2));
	cr_assert(cap_gen_mark_clear(g, (uint32_t)i, own));
	from = 0;
	cr_assert_eq(cap_gen_marked(g, want, 2, &from, &o), -1);
	cap_gen_close(g);
}
