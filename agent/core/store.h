/* SPDX-License-Identifier: GPL-2.0 */
/*
 * store.h — the state store: a small transactional record store a role keeps
 * its durable state in (docs/lma.md "State store"). Records live in tables; a
 * record is a key (bytes; flowmob uses text keys) and a value (bytes; flowmob
 * writes JSON text). Changes are made inside a write transaction that is either
 * committed (durable when commit returns 0: the backend's sync) or aborted.
 * Reads outside a transaction see the last commit; reads inside one see its own
 * writes.
 *
 * One write transaction at a time per store, used from one thread. The backend
 * is behind struct fm_store_ops so another one (a networked store for a
 * cluster) can be put behind the same calls: its tables can be key prefixes,
 * its transactions batches checked and applied at commit.
 *
 * Backends: store_lmdb.c (LMDB, one file per role in the state directory).
 */
#ifndef FLOWMOB_STORE_H
#define FLOWMOB_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

struct fm_store;

/* Called for each record of an iteration, in key order; non-zero stops it
 * (fm_store_iterate then returns that value). The buffers are valid during the
 * call only. */
typedef int (*fm_store_iter_fn)(void *arg, const void *key, size_t klen, const void *val,
				size_t vlen);

struct fm_store_ops {
	const char *name;
	int (*begin)(struct fm_store *s);
	int (*commit)(struct fm_store *s);
	void (*abort)(struct fm_store *s);
	int (*put)(struct fm_store *s, int table, const void *key, size_t klen, const void *val,
		   size_t vlen);
	int (*del)(struct fm_store *s, int table, const void *key, size_t klen);
	int (*get)(struct fm_store *s, int table, const void *key, size_t klen, void **val,
		   size_t *vlen);
	int (*iterate)(struct fm_store *s, int table, const void *prefix, size_t plen,
		       fm_store_iter_fn fn, void *arg);
	int (*clear)(struct fm_store *s, int table);
	void (*close)(struct fm_store *s);
};

/* Every backend's object starts with this. */
struct fm_store {
	const struct fm_store_ops *ops;
	const char *const *tables; /* the names given at open, NULL-terminated */
	int n_tables;
	bool in_txn;
	unsigned long commits; /* committed write transactions */
};

/* Opens (creating it if needed) the LMDB store in file path (its lock file is
 * path-lock), with the given tables (NULL-terminated names; a table is then named
 * by its index in this array). 0 or -errno (logged). */
int fm_store_open_lmdb(const char *path, const char *const *tables, struct fm_store **out);
void fm_store_close(struct fm_store *s);

/* Write transactions. begin while one is open: -EBUSY. commit: 0 when durable;
 * on failure the transaction is aborted and nothing of it was written. */
int fm_store_begin(struct fm_store *s);
int fm_store_commit(struct fm_store *s);
void fm_store_abort(struct fm_store *s);
static inline bool fm_store_in_txn(const struct fm_store *s)
{
	return s && s->in_txn;
}

/* Inside a write transaction (-EINVAL otherwise). del of a missing key: 0. */
int fm_store_put(struct fm_store *s, int table, const void *key, size_t klen, const void *val,
		 size_t vlen);
int fm_store_del(struct fm_store *s, int table, const void *key, size_t klen);
/* Deletes every record of a table. */
int fm_store_clear(struct fm_store *s, int table);

/* *val: a malloc'd copy (free it), NUL-terminated beyond vlen. -ENOENT when absent. */
int fm_store_get(struct fm_store *s, int table, const void *key, size_t klen, void **val,
		 size_t *vlen);
/* Every record whose key starts with prefix (plen 0: all), in key order. */
int fm_store_iterate(struct fm_store *s, int table, const void *prefix, size_t plen,
		     fm_store_iter_fn fn, void *arg);

/* JSON records under a text key. put_json does not steal v. get_json: a new
 * reference, or NULL (absent or not JSON). */
int fm_store_put_json(struct fm_store *s, int table, const char *key, const json_t *v);
int fm_store_del_key(struct fm_store *s, int table, const char *key);
json_t *fm_store_get_json(struct fm_store *s, int table, const char *key);
/* Whether a table has no record (also true on a read error). */
bool fm_store_table_empty(struct fm_store *s, int table);

#endif /* FLOWMOB_STORE_H */
