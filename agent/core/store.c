// SPDX-License-Identifier: GPL-2.0
/*
 * store.c — the backend-independent half of the state store (store.h): argument
 * checks, the transaction flag, and the JSON and text-key helpers every backend
 * shares.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/store.h"

static bool table_ok(const struct fm_store *s, int table)
{
	return s && table >= 0 && table < s->n_tables;
}

void fm_store_close(struct fm_store *s)
{
	if (!s)
		return;
	if (s->in_txn)
		fm_store_abort(s);
	s->ops->close(s);
}

int fm_store_begin(struct fm_store *s)
{
	int r;

	if (!s)
		return -EINVAL;
	if (s->in_txn)
		return -EBUSY;
	r = s->ops->begin(s);
	if (!r)
		s->in_txn = true;
	return r;
}

int fm_store_commit(struct fm_store *s)
{
	int r;

	if (!s || !s->in_txn)
		return -EINVAL;
	r = s->ops->commit(s);
	s->in_txn = false;
	if (!r)
		s->commits++;
	return r;
}

void fm_store_abort(struct fm_store *s)
{
	if (!s || !s->in_txn)
		return;
	s->ops->abort(s);
	s->in_txn = false;
}

int fm_store_put(struct fm_store *s, int table, const void *key, size_t klen, const void *val,
		 size_t vlen)
{
	if (!table_ok(s, table) || !s->in_txn || !klen)
		return -EINVAL;
	return s->ops->put(s, table, key, klen, val, vlen);
}

int fm_store_del(struct fm_store *s, int table, const void *key, size_t klen)
{
	if (!table_ok(s, table) || !s->in_txn || !klen)
		return -EINVAL;
	return s->ops->del(s, table, key, klen);
}

int fm_store_clear(struct fm_store *s, int table)
{
	if (!table_ok(s, table) || !s->in_txn)
		return -EINVAL;
	return s->ops->clear(s, table);
}

int fm_store_get(struct fm_store *s, int table, const void *key, size_t klen, void **val,
		 size_t *vlen)
{
	*val = NULL;
	*vlen = 0;
	if (!table_ok(s, table) || !klen)
		return -EINVAL;
	return s->ops->get(s, table, key, klen, val, vlen);
}

int fm_store_iterate(struct fm_store *s, int table, const void *prefix, size_t plen,
		     fm_store_iter_fn fn, void *arg)
{
	if (!table_ok(s, table) || !fn)
		return -EINVAL;
	return s->ops->iterate(s, table, prefix, plen, fn, arg);
}

int fm_store_put_json(struct fm_store *s, int table, const char *key, const json_t *v)
{
	char *text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	int r;

	if (!text)
		return -ENOMEM;
	r = fm_store_put(s, table, key, strlen(key), text, strlen(text));
	free(text);
	return r;
}

int fm_store_del_key(struct fm_store *s, int table, const char *key)
{
	return fm_store_del(s, table, key, strlen(key));
}

json_t *fm_store_get_json(struct fm_store *s, int table, const char *key)
{
	void *val;
	size_t vlen;
	json_t *j;

	if (fm_store_get(s, table, key, strlen(key), &val, &vlen))
		return NULL;
	j = json_loadb(val, vlen, JSON_DECODE_ANY, NULL);
	free(val);
	return j;
}

static int stop_at_first(void *arg, const void *k, size_t kl, const void *v, size_t vl)
{
	(void)arg;
	(void)k;
	(void)kl;
	(void)v;
	(void)vl;
	return 1;
}

bool fm_store_table_empty(struct fm_store *s, int table)
{
	return fm_store_iterate(s, table, NULL, 0, stop_at_first, NULL) != 1;
}
