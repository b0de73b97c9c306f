// SPDX-License-Identifier: GPL-2.0
/*
 * state.c — atomic persistence of a role's small JSON state documents
 * (state.h): write a temporary file, fsync, rename over the old one, fsync the
 * directory.
 */
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/fsutil.h"
#include "core/state.h"

static bool name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return false;
	}
	return true;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int fm_state_save(const char *dir, const char *name, const json_t *obj)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	char *text = NULL;
	int fd = -1, dfd, r;

	if (!dir || !name_ok(name) || !obj)
		return -EINVAL;
	if (snprintf(path, sizeof(path), "%s/%s.json", dir, name) >= (int)sizeof(path) ||
	    snprintf(tmp, sizeof(tmp), "%s/.%s.json.%d.tmp", dir, name, (int)getpid()) >=
		(int)sizeof(tmp))
		return -ENAMETOOLONG;
	r = fm_mkdir_p(dir, 0700);
	if (r) {
		pr_err("state: cannot create %s: %s", dir, strerror(-r));
		return r;
	}
	text = json_dumps(obj, JSON_INDENT(1) | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	if (!text)
		return -ENOMEM;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = -errno;
		pr_err("state: %s: %s", tmp, strerror(errno));
		goto out;
	}
	r = write_all(fd, text, strlen(text));
	if (!r)
		r = write_all(fd, "\n", 1);
	if (!r && fsync(fd))
		r = -errno;
	if (close(fd) && !r)
		r = -errno;
	fd = -1;
	if (r) {
		pr_err("state: writing %s: %s", tmp, strerror(-r));
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, path)) {
		r = -errno;
		pr_err("state: rename to %s: %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	/* make the rename itself durable */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	pr_debug("state: saved %s", path);
out:
	free(text);
	return r;
}

int fm_state_load(const char *dir, const char *name, json_t **out)
{
	char path[PATH_MAX], bad[PATH_MAX + 16];
	json_error_t jerr;
	json_t *j;

	*out = NULL;
	if (!dir || !name_ok(name))
		return -EINVAL;
	if (snprintf(path, sizeof(path), "%s/%s.json", dir, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	if (access(path, F_OK)) {
		if (errno == ENOENT)
			return -ENOENT;
		pr_err("state: %s: %s", path, strerror(errno));
		return -errno;
	}
	j = json_load_file(path, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
	if (!j) {
		snprintf(bad, sizeof(bad), "%s.corrupt", path);
		pr_err("state: %s: line %d: %s; ignoring it (kept as %s)", path, jerr.line,
		       jerr.text, bad);
		rename(path, bad);
		return -EINVAL;
	}
	*out = j;
	return 0;
}

int fm_state_remove_all(const char *dir)
{
	DIR *d;
	struct dirent *de;
	int r = 0;

	if (!dir)
		return -EINVAL;
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) && errno != ENOENT) {
			r = -errno;
			pr_err("state: remove %s/%s: %s", dir, de->d_name, strerror(errno));
		}
	}
	closedir(d);
	if (rmdir(dir) && errno != ENOENT && !r) {
		r = -errno;
		pr_err("state: rmdir %s: %s", dir, strerror(errno));
	}
	return r;
}
