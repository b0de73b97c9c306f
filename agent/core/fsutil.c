/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fsutil.c — mkdir -p with coreutils' semantics: missing parents get 0755, the
 * last component gets the caller's mode; existing directories are left alone.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "core/fsutil.h"

static int mkdir_one(const char *dir, mode_t mode)
{
	struct stat st;

	if (!mkdir(dir, mode))
		return 0;
	if (errno != EEXIST)
		return -errno;
	if (stat(dir, &st))
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

int fm_mkdir_p(const char *path, mode_t mode)
{
	char tmp[PATH_MAX];
	size_t n = strlen(path);
	int r;

	if (n == 0 || n >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, path, n + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		r = mkdir_one(tmp, 0755);
		*p = '/';
		if (r)
			return r;
	}
	return mkdir_one(tmp, mode);
}
