// SPDX-License-Identifier: GPL-2.0
/*
 * test_store.c — the state-store interface (core/store.h) on its LMDB backend:
 * transactions (commit durable across a reopen, abort leaves nothing, one at a
 * time), put/del/get, prefix iteration in key order, reads inside a transaction
 * seeing its writes, clear, the JSON helpers, and the argument checks.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/store.h"

static const char *const tables[] = {"one", "two", NULL};
static char dir[64], path[96];

static int setup(void **st)
{
	(void)st;
	snprintf(dir, sizeof(dir), "/tmp/fm-store-test-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t.mdb", dir);
	return 0;
}

static int teardown(void **st)
{
	char cmd[128];

	(void)st;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static struct fm_store *open_store(void)
{
	struct fm_store *s;

	assert_int_equal(fm_store_open_lmdb(path, tables, &s), 0);
	assert_non_null(s);
	return s;
}

static void put_s(struct fm_store *s, int t, const char *k, const char *v)
{
	assert_int_equal(fm_store_put(s, t, k, strlen(k), v, strlen(v)), 0);
}

static char *get_s(struct fm_store *s, int t, const char *k)
{
	void *v;
	size_t n;

	if (fm_store_get(s, t, k, strlen(k), &v, &n))
		return NULL;
	assert_int_equal(strlen(v), n);
	return v;
}

static void test_commit_abort_reopen(void **st)
{
	struct fm_store *s = open_store();
	char *v;

	(void)st;
	assert_true(fm_store_table_empty(s, 0));
	assert_int_equal(fm_store_begin(s), 0);
	assert_int_equal(fm_store_begin(s), -EBUSY);
	put_s(s, 0, "a", "1");
	put_s(s, 1, "a", "other table");
	v = get_s(s, 0, "a"); /* a transaction reads its own writes */
	assert_string_equal(v, "1");
	free(v);
	assert_int_equal(fm_store_commit(s), 0);
	assert_int_equal(s->commits, 1);
	/* aborted: nothing of it stays */
	assert_int_equal(fm_store_begin(s), 0);
	put_s(s, 0, "b", "2");
	assert_int_equal(fm_store_del(s, 0, "a", 1), 0);
	fm_store_abort(s);
	assert_null(get_s(s, 0, "b"));
	v = get_s(s, 0, "a");
	assert_string_equal(v, "1");
	free(v);
	fm_store_close(s);
	/* committed: there after a reopen */
	s = open_store();
	v = get_s(s, 0, "a");
	assert_string_equal(v, "1");
	free(v);
	v = get_s(s, 1, "a");
	assert_string_equal(v, "other table");
	free(v);
	assert_false(fm_store_table_empty(s, 0));
	fm_store_close(s);
}

struct seen {
	char keys[16][32];
	int n;
	int stop_after;
};

static int collect(void *arg, const void *k, size_t kl, const void *v, size_t vl)
{
	struct seen *sn = arg;

	(void)v;
	(void)vl;
	assert_true(kl < 32);
	memcpy(sn->keys[sn->n], k, kl);
	sn->keys[sn->n][kl] = 0;
	sn->n++;
	return sn->stop_after && sn->n == sn->stop_after ? 7 : 0;
}

static void test_iterate_prefix_order_delete(void **st)
{
	struct fm_store *s = open_store();
	struct seen sn = {0};
	static const char mn[] = "mn1\0";

	(void)st;
	assert_int_equal(fm_store_begin(s), 0);
	/* binary keys with a NUL separator, as the LMA's binding table uses */
	assert_int_equal(fm_store_put(s, 0,
				      "mn1\0"
				      "00002",
				      9, "b2", 2),
			 0);
	assert_int_equal(fm_store_put(s, 0,
				      "mn1\0"
				      "00001",
				      9, "b1", 2),
			 0);
	assert_int_equal(fm_store_put(s, 0,
				      "mn10\0"
				      "00001",
				      10, "x", 1),
			 0);
	assert_int_equal(fm_store_put(s, 0,
				      "mn0\0"
				      "00001",
				      9, "y", 1),
			 0);
	assert_int_equal(fm_store_commit(s), 0);
	assert_int_equal(fm_store_iterate(s, 0, mn, 4, collect, &sn), 0);
	assert_int_equal(sn.n, 2);
	assert_string_equal(sn.keys[0], "mn1"); /* up to the NUL: order checked below */
	memset(&sn, 0, sizeof(sn));
	assert_int_equal(fm_store_iterate(s, 0, NULL, 0, collect, &sn), 0);
	assert_int_equal(sn.n, 4);
	/* a non-zero callback result stops the walk and is returned */
	memset(&sn, 0, sizeof(sn));
	sn.stop_after = 1;
	assert_int_equal(fm_store_iterate(s, 0, NULL, 0, collect, &sn), 7);
	assert_int_equal(sn.n, 1);
	/* delete (also of a missing key), clear */
	assert_int_equal(fm_store_begin(s), 0);
	assert_int_equal(fm_store_del(s, 0,
				      "mn1\0"
				      "00001",
				      9),
			 0);
	assert_int_equal(fm_store_del(s, 0, "nothing", 7), 0);
	assert_int_equal(fm_store_commit(s), 0);
	memset(&sn, 0, sizeof(sn));
	assert_int_equal(fm_store_iterate(s, 0, mn, 4, collect, &sn), 0);
	assert_int_equal(sn.n, 1);
	assert_int_equal(fm_store_begin(s), 0);
	assert_int_equal(fm_store_clear(s, 0), 0);
	assert_int_equal(fm_store_commit(s), 0);
	assert_true(fm_store_table_empty(s, 0));
	fm_store_close(s);
}

static void test_json_and_checks(void **st)
{
	struct fm_store *s = open_store();
	json_t *o = json_pack("{s:i, s:s}", "n", 5, "s", "x"), *r;
	void *v;
	size_t n;

	(void)st;
	/* writes need a transaction; tables are checked */
	assert_int_equal(fm_store_put_json(s, 0, "k", o), -EINVAL);
	assert_int_equal(fm_store_begin(s), 0);
	assert_int_equal(fm_store_put(s, 2, "k", 1, "v", 1), -EINVAL);
	assert_int_equal(fm_store_put(s, -1, "k", 1, "v", 1), -EINVAL);
	assert_int_equal(fm_store_put(s, 0, "", 0, "v", 1), -EINVAL);
	assert_int_equal(fm_store_put_json(s, 0, "k", o), 0);
	assert_int_equal(fm_store_commit(s), 0);
	assert_int_equal(fm_store_commit(s), -EINVAL);
	r = fm_store_get_json(s, 0, "k");
	assert_true(json_equal(r, o));
	json_decref(r);
	assert_null(fm_store_get_json(s, 0, "missing"));
	assert_int_equal(fm_store_get(s, 0, "missing", 7, &v, &n), -ENOENT);
	json_decref(o);
	fm_store_close(s);
	/* a store that cannot be opened: an error, nothing half-made */
	assert_int_not_equal(fm_store_open_lmdb("/nonexistent/dir/x.mdb", tables, &s), 0);
	assert_null(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_commit_abort_reopen, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_iterate_prefix_order_delete, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_json_and_checks, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
