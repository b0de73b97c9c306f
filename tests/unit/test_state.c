// SPDX-License-Identifier: GPL-2.0
/*
 * test_state.c — atomic JSON state files: round trip, overwrite, first start
 * (no file), a corrupt file set aside, bad names, file mode, no temporary files
 * left behind, and removal of the whole directory.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/log.h"
#include "core/state.h"

static char base[64], dir[128];

static int setup(void **state)
{
	(void)state;
	strcpy(base, "/tmp/fm-test-state-XXXXXX");
	if (!mkdtemp(base))
		return -1;
	/* two levels that do not exist yet */
	snprintf(dir, sizeof(dir), "%s/var/lma1", base);
	fm_log_set_level(FM_LOG_ERROR);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	return system(cmd) ? -1 : 0;
}

static int count_files(const char *d)
{
	DIR *dd = opendir(d);
	struct dirent *de;
	int n = 0;

	if (!dd)
		return -1;
	while ((de = readdir(dd)))
		if (de->d_name[0] != '.' || (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")))
			n++;
	closedir(dd);
	return n;
}

static void test_roundtrip(void **state)
{
	json_t *in, *out = NULL;
	char path[256];
	struct stat st;

	(void)state;
	assert_int_equal(fm_state_load(dir, "lma", &out), -ENOENT);
	assert_null(out);

	in = json_pack("{s:i,s:i,s:[{s:s,s:i}]}", "restart_counter", 7, "seq", 65535, "mns", "id",
		       "mn1@example.net", "index", 1);
	assert_int_equal(fm_state_save(dir, "lma", in), 0);
	assert_int_equal(fm_state_load(dir, "lma", &out), 0);
	assert_true(json_equal(in, out));
	json_decref(out);

	snprintf(path, sizeof(path), "%s/lma.json", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(count_files(dir), 1); /* no temporary file left */

	/* overwrite */
	json_object_set_new(in, "restart_counter", json_integer(8));
	assert_int_equal(fm_state_save(dir, "lma", in), 0);
	assert_int_equal(fm_state_load(dir, "lma", &out), 0);
	assert_int_equal(json_integer_value(json_object_get(out, "restart_counter")), 8);
	json_decref(out);
	json_decref(in);
	assert_int_equal(count_files(dir), 1);
}

static void test_corrupt(void **state)
{
	char path[256], bad[280];
	json_t *out = (json_t *)1;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/fmc.json", dir);
	snprintf(bad, sizeof(bad), "%s.corrupt", path);
	json_t *empty = json_object();
	assert_int_equal(fm_state_save(dir, "fmc", empty), 0);
	json_decref(empty);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"seq\": 1,", f); /* torn */
	fclose(f);
	assert_int_equal(fm_state_load(dir, "fmc", &out), -EINVAL);
	assert_null(out);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(access(bad, F_OK), 0);
	/* next start: a first start */
	assert_int_equal(fm_state_load(dir, "fmc", &out), -ENOENT);
}

static void test_bad_names(void **state)
{
	json_t *o = json_object(), *out;

	(void)state;
	assert_int_equal(fm_state_save(dir, "../escape", o), -EINVAL);
	assert_int_equal(fm_state_save(dir, "", o), -EINVAL);
	assert_int_equal(fm_state_save(dir, "a.b", o), -EINVAL);
	assert_int_equal(fm_state_load(dir, "../x", &out), -EINVAL);
	json_decref(o);
}

static void test_remove_all(void **state)
{
	json_t *o = json_object();

	(void)state;
	assert_int_equal(fm_state_save(dir, "a", o), 0);
	assert_int_equal(fm_state_save(dir, "b", o), 0);
	json_decref(o);
	assert_int_equal(fm_state_remove_all(dir), 0);
	assert_int_equal(access(dir, F_OK), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(fm_state_remove_all(dir), 0); /* already gone */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip),
	    cmocka_unit_test(test_corrupt),
	    cmocka_unit_test(test_bad_names),
	    cmocka_unit_test(test_remove_all),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
