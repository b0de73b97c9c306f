// SPDX-License-Identifier: GPL-2.0
/*
 * store_lmdb.c — the LMDB backend of the state store (store.h): one
 * environment in one file (MDB_NOSUBDIR) with a named database per table.
 * Commits use LMDB's default durability (the data and meta pages are synced
 * before mdb_txn_commit returns), so a committed transaction survives kill -9
 * and power loss; a crash before the commit leaves the previous one.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <lmdb.h>

#include "core/log.h"
#include "core/store.h"

#define STORE_MAX_TABLES 16
/* Address space only: the file grows with the data (64-bit hosts). */
#define STORE_MAP_SIZE (sizeof(size_t) >= 8 ? (size_t)16 << 30 : (size_t)512 << 20)

struct lmdb_store {
	struct fm_store s; /* first */
	MDB_env *env;
	MDB_txn *txn; /* the open write transaction */
	MDB_dbi dbi[STORE_MAX_TABLES];
};

static struct lmdb_store *of(struct fm_store *s)
{
	return (struct lmdb_store *)s;
}

/* LMDB's own codes become errnos the callers know. */
static int err_of(int rc)
{
	switch (rc) {
	case 0:
		return 0;
	case MDB_NOTFOUND:
		return -ENOENT;
	case MDB_MAP_FULL:
	case MDB_TXN_FULL:
		return -ENOSPC;
	case MDB_KEYEXIST:
		return -EEXIST;
	case MDB_BAD_VALSIZE:
		return -E2BIG;
	default:
		return rc > 0 && rc < 4096 ? -rc : -EIO;
	}
}

static int l_begin(struct fm_store *s)
{
	int rc = mdb_txn_begin(of(s)->env, NULL, 0, &of(s)->txn);

	if (rc)
		pr_err("store: begin: %s", mdb_strerror(rc));
	return err_of(rc);
}

static int l_commit(struct fm_store *s)
{
	int rc = mdb_txn_commit(of(s)->txn);

	of(s)->txn = NULL;
	if (rc)
		pr_err("store: commit: %s", mdb_strerror(rc));
	return err_of(rc);
}

static void l_abort(struct fm_store *s)
{
	mdb_txn_abort(of(s)->txn);
	of(s)->txn = NULL;
}

static int l_put(struct fm_store *s, int t, const void *k, size_t kl, const void *v, size_t vl)
{
	MDB_val key = {.mv_size = kl, .mv_data = (void *)k};
	MDB_val val = {.mv_size = vl, .mv_data = (void *)v};
	int rc = mdb_put(of(s)->txn, of(s)->dbi[t], &key, &val, 0);

	if (rc)
		pr_err("store: put in %s: %s", s->tables[t], mdb_strerror(rc));
	return err_of(rc);
}

static int l_del(struct fm_store *s, int t, const void *k, size_t kl)
{
	MDB_val key = {.mv_size = kl, .mv_data = (void *)k};
	int rc = mdb_del(of(s)->txn, of(s)->dbi[t], &key, NULL);

	return rc == MDB_NOTFOUND ? 0 : err_of(rc);
}

static int l_clear(struct fm_store *s, int t)
{
	return err_of(mdb_drop(of(s)->txn, of(s)->dbi[t], 0));
}

/* The write transaction when one is open (reads see its writes), else a read one. */
static int read_txn(struct lmdb_store *ls, MDB_txn **txn)
{
	if (ls->txn) {
		*txn = ls->txn;
		return 0;
	}
	return err_of(mdb_txn_begin(ls->env, NULL, MDB_RDONLY, txn));
}

static void read_done(struct lmdb_store *ls, MDB_txn *txn)
{
	if (txn != ls->txn)
		mdb_txn_abort(txn);
}

static int l_get(struct fm_store *s, int t, const void *k, size_t kl, void **v, size_t *vl)
{
	struct lmdb_store *ls = of(s);
	MDB_val key = {.mv_size = kl, .mv_data = (void *)k}, val;
	MDB_txn *txn;
	int rc = read_txn(ls, &txn);

	if (rc)
		return rc;
	rc = err_of(mdb_get(txn, ls->dbi[t], &key, &val));
	if (!rc) {
		char *copy = malloc(val.mv_size + 1);

		if (copy) {
			memcpy(copy, val.mv_data, val.mv_size);
			copy[val.mv_size] = 0;
			*v = copy;
			*vl = val.mv_size;
		} else {
			rc = -ENOMEM;
		}
	}
	read_done(ls, txn);
	return rc;
}

static int l_iterate(struct fm_store *s, int t, const void *prefix, size_t plen,
		     fm_store_iter_fn fn, void *arg)
{
	struct lmdb_store *ls = of(s);
	MDB_val key = {.mv_size = plen, .mv_data = (void *)prefix}, val;
	MDB_cursor *cur;
	MDB_txn *txn;
	int rc = read_txn(ls, &txn), r = 0;

	if (rc)
		return rc;
	rc = mdb_cursor_open(txn, ls->dbi[t], &cur);
	if (rc) {
		read_done(ls, txn);
		return err_of(rc);
	}
	rc = mdb_cursor_get(cur, &key, &val, plen ? MDB_SET_RANGE : MDB_FIRST);
	while (!rc) {
		if (plen && (key.mv_size < plen || memcmp(key.mv_data, prefix, plen)))
			break;
		r = fn(arg, key.mv_data, key.mv_size, val.mv_data, val.mv_size);
		if (r)
			break;
		rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	read_done(ls, txn);
	if (r)
		return r;
	return rc && rc != MDB_NOTFOUND ? err_of(rc) : 0;
}

static void l_close(struct fm_store *s)
{
	struct lmdb_store *ls = of(s);

	mdb_env_close(ls->env);
	free(ls);
}

static const struct fm_store_ops lmdb_ops = {
    .name = "lmdb",
    .begin = l_begin,
    .commit = l_commit,
    .abort = l_abort,
    .put = l_put,
    .del = l_del,
    .get = l_get,
    .iterate = l_iterate,
    .clear = l_clear,
    .close = l_close,
};

int fm_store_open_lmdb(const char *path, const char *const *tables, struct fm_store **out)
{
	struct lmdb_store *ls = calloc(1, sizeof(*ls));
	MDB_txn *txn = NULL;
	int n = 0, rc, dead = 0;

	*out = NULL;
	if (!ls)
		return -ENOMEM;
	while (tables[n])
		n++;
	if (n == 0 || n > STORE_MAX_TABLES) {
		free(ls);
		return -EINVAL;
	}
	ls->s.ops = &lmdb_ops;
	ls->s.tables = tables;
	ls->s.n_tables = n;
	rc = mdb_env_create(&ls->env);
	if (!rc)
		rc = mdb_env_set_maxdbs(ls->env, STORE_MAX_TABLES);
	if (!rc)
		rc = mdb_env_set_mapsize(ls->env, STORE_MAP_SIZE);
	if (!rc)
		rc = mdb_env_open(ls->env, path, MDB_NOSUBDIR | MDB_NOTLS, 0600);
	if (rc) {
		pr_err("store: cannot open %s: %s", path, mdb_strerror(rc));
		goto fail;
	}
	mdb_reader_check(ls->env, &dead); /* slots of a killed process */
	rc = mdb_txn_begin(ls->env, NULL, 0, &txn);
	for (int i = 0; !rc && i < n; i++)
		rc = mdb_dbi_open(txn, tables[i], MDB_CREATE, &ls->dbi[i]);
	if (!rc) {
		rc = mdb_txn_commit(txn);
		txn = NULL;
	}
	if (rc) {
		pr_err("store: %s: opening its tables: %s", path, mdb_strerror(rc));
		goto fail;
	}
	*out = &ls->s;
	return 0;
fail:
	if (txn)
		mdb_txn_abort(txn);
	if (ls->env)
		mdb_env_close(ls->env);
	free(ls);
	return err_of(rc) ? err_of(rc) : -EIO;
}
