// SPDX-License-Identifier: GPL-2.0
/*
 * bce.c — the LMA binding cache: mobile nodes by NAI and by data-plane index,
 * bindings by BID, and the /64 home-network-prefix pool.
 *
 * Layer: the LMA's bottom (the caches, with fmc.c); calls fmc.c only.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lma/bce.h"

#define BCE_HASH 4096

static uint32_t nai_hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h % BCE_HASH;
}

static uint64_t upper64(const struct in6_addr *a)
{
	uint64_t v;

	memcpy(&v, a->s6_addr, 8);
	return be64toh(v);
}

static void set_upper64(struct in6_addr *a, uint64_t v)
{
	v = htobe64(v);
	memset(a, 0, sizeof(*a));
	memcpy(a->s6_addr, &v, 8);
}

static uint64_t pool_mask(uint8_t len)
{
	if (len == 0)
		return 0;
	return len >= 64 ? ~0ull : ~((1ull << (64 - len)) - 1);
}

int bce_init(struct bce *c, const struct in6_addr *pool, uint8_t pool_len)
{
	memset(c, 0, sizeof(*c));
	if (pool_len > 64)
		return -EINVAL;
	c->hash = calloc(BCE_HASH, sizeof(*c->hash));
	c->by_index = calloc(BCE_MAX_MNS + 1, sizeof(*c->by_index));
	c->pool = *pool;
	c->pool_len = pool_len;
	c->pool_bits =
	    64 - pool_len > BCE_POOL_MAX_BITS ? 1u << BCE_POOL_MAX_BITS : 1u << (64 - pool_len);
	c->pool_map = calloc(c->pool_bits / 8 + 1, 1);
	c->next_index_hint = 1;
	c->max_mns = BCE_MAX_MNS;
	TAILQ_INIT(&c->mns);
	if (!c->hash || !c->by_index || !c->pool_map) {
		bce_destroy(c);
		return -ENOMEM;
	}
	/* keep only the pool's network bits */
	set_upper64(&c->pool, upper64(pool) & pool_mask(pool_len));
	return 0;
}

int bce_set_limits(struct bce *c, uint32_t mns, uint32_t bindings, uint32_t prefixes)
{
	struct bce_mn **n;

	if (c->n_mns)
		return -EBUSY;
	if (!mns)
		mns = BCE_MAX_MNS;
	n = calloc((size_t)mns + 1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	free(c->by_index);
	c->by_index = n;
	c->max_mns = mns;
	c->max_bindings = bindings;
	c->max_prefixes = prefixes;
	c->next_index_hint = 1;
	return 0;
}

/* A binding and what it owns (the last PBA, kept to answer a retransmitted PBU). */
static void binding_free(struct bce_binding *b)
{
	if (b)
		free(b->dup_pba);
	free(b);
}

void bce_destroy(struct bce *c)
{
	struct bce_mn *mn, *next;

	TAILQ_FOREACH_SAFE(mn, &c->mns, link, next)
	{
		for (unsigned i = 0; i < mn->n_b; i++)
			binding_free(mn->b[i]);
		fmc_free(&mn->fmc);
		free(mn);
	}
	free(c->hash);
	free(c->by_index);
	free(c->pool_map);
	memset(c, 0, sizeof(*c));
}

struct bce_mn *bce_mn_find(struct bce *c, const char *nai)
{
	for (struct bce_mn *mn = c->hash[nai_hash(nai)]; mn; mn = mn->hnext)
		if (!strcmp(mn->nai, nai))
			return mn;
	return NULL;
}

struct bce_mn *bce_mn_by_index(struct bce *c, uint32_t index)
{
	if (index == 0 || index > c->max_mns)
		return NULL;
	return c->by_index[index];
}

static uint32_t alloc_index(struct bce *c)
{
	for (uint32_t n = 0; n < c->max_mns; n++) {
		uint32_t i = (c->next_index_hint - 1 + n) % c->max_mns + 1;

		if (!c->by_index[i]) {
			c->next_index_hint = i % c->max_mns + 1;
			return i;
		}
	}
	return 0;
}

struct bce_mn *bce_mn_add(struct bce *c, const char *nai, uint32_t index)
{
	struct bce_mn *mn;
	uint32_t h;

	if (!nai[0] || strlen(nai) > FM_NAI_MAX || bce_mn_find(c, nai))
		return NULL;
	if (index) {
		if (index > c->max_mns || c->by_index[index])
			return NULL;
	} else {
		index = alloc_index(c);
		if (!index)
			return NULL;
	}
	mn = calloc(1, sizeof(*mn));
	if (!mn)
		return NULL;
	strcpy(mn->nai, nai);
	mn->index = index;
	fmc_init(&mn->fmc);
	h = nai_hash(nai);
	mn->hnext = c->hash[h];
	c->hash[h] = mn;
	c->by_index[index] = mn;
	TAILQ_INSERT_TAIL(&c->mns, mn, link);
	c->n_mns++;
	return mn;
}

void bce_mn_del(struct bce *c, struct bce_mn *mn)
{
	struct bce_mn **pp = &c->hash[nai_hash(mn->nai)];

	while (*pp && *pp != mn)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = mn->hnext;
	c->by_index[mn->index] = NULL;
	TAILQ_REMOVE(&c->mns, mn, link);
	for (unsigned i = 0; i < mn->n_b; i++) {
		binding_free(mn->b[i]);
		c->n_bindings--;
	}
	c->n_mns--;
	fmc_free(&mn->fmc);
	free(mn);
}

struct bce_binding *bce_binding_find(const struct bce_mn *mn, uint16_t bid)
{
	for (unsigned i = 0; i < mn->n_b; i++)
		if (mn->b[i]->bid == bid)
			return mn->b[i];
	return NULL;
}

struct bce_binding *bce_binding_add(struct bce *c, struct bce_mn *mn, uint8_t att)
{
	struct bce_binding *b;
	uint16_t bid = mn->att_bid[att];

	if (mn->n_b >= BCE_MAX_BINDINGS || (c->max_bindings && c->n_bindings >= c->max_bindings))
		return NULL;
	if (!bid || bce_binding_find(mn, bid))
		for (bid = 1; bce_binding_find(mn, bid); bid++)
			;
	b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->mn = mn;
	b->bid = bid;
	b->att = att;
	mn->att_bid[att] = bid;
	/* keep bindings ordered by BID: listings and default-BID choices are stable */
	unsigned i = mn->n_b;
	while (i > 0 && mn->b[i - 1]->bid > bid) {
		mn->b[i] = mn->b[i - 1];
		i--;
	}
	mn->b[i] = b;
	mn->n_b++;
	c->n_bindings++;
	return b;
}

void bce_binding_del(struct bce *c, struct bce_binding *b)
{
	struct bce_mn *mn = b->mn;

	for (unsigned i = 0; i < mn->n_b; i++) {
		if (mn->b[i] != b)
			continue;
		memmove(&mn->b[i], &mn->b[i + 1], (mn->n_b - i - 1) * sizeof(mn->b[0]));
		mn->n_b--;
		c->n_bindings--;
		binding_free(b);
		return;
	}
}

bool bce_binding_usable(const struct bce_binding *b)
{
	return b->state == BCE_ACTIVE;
}

bool bce_binding_has_prefix(const struct bce_binding *b, const struct fm_prefix *p)
{
	for (unsigned i = 0; i < b->n_pfx; i++)
		if (fm_prefix_eq(&b->pfx[i], p))
			return true;
	return false;
}

int bce_binding_add_prefix(struct bce_binding *b, const struct fm_prefix *p)
{
	if (bce_binding_has_prefix(b, p))
		return 0;
	if (b->n_pfx >= BCE_MAX_PREFIXES)
		return -ENOSPC;
	b->pfx[b->n_pfx++] = *p;
	return 0;
}

bool bce_binding_remove_prefix(struct bce_binding *b, const struct fm_prefix *p)
{
	for (unsigned i = 0; i < b->n_pfx; i++) {
		if (!fm_prefix_eq(&b->pfx[i], p))
			continue;
		memmove(&b->pfx[i], &b->pfx[i + 1], (b->n_pfx - i - 1) * sizeof(b->pfx[0]));
		b->n_pfx--;
		return true;
	}
	return false;
}

struct bce_binding *bce_prefix_holder(const struct bce_mn *mn, const struct fm_prefix *p)
{
	struct bce_binding *any = NULL;

	for (unsigned i = 0; i < mn->n_b; i++) {
		if (!bce_binding_has_prefix(mn->b[i], p))
			continue;
		if (bce_binding_usable(mn->b[i]))
			return mn->b[i];
		if (!any)
			any = mn->b[i];
	}
	return any;
}

struct bce_mn *bce_prefix_owner(struct bce *c, const struct fm_prefix *p)
{
	struct bce_mn *mn;

	TAILQ_FOREACH(mn, &c->mns, link)
	{
		if (bce_prefix_holder(mn, p))
			return mn;
		for (unsigned i = 0; i < mn->n_shared; i++)
			if (fm_prefix_eq(&mn->shared[i], p))
				return mn;
	}
	return NULL;
}

/* ---- prefix pool ------------------------------------------------------------ */

static bool pool_index(const struct bce *c, const struct fm_prefix *p, uint32_t *idx)
{
	uint64_t hi = upper64(&p->addr), base = upper64(&c->pool), sub;

	if (p->plen != 64)
		return false;
	for (int i = 8; i < 16; i++)
		if (p->addr.s6_addr[i])
			return false;
	if ((hi & pool_mask(c->pool_len)) != base)
		return false;
	sub = hi & ~pool_mask(c->pool_len);
	if (sub >= c->pool_bits)
		return false;
	*idx = (uint32_t)sub;
	return true;
}

bool bce_pool_contains(const struct bce *c, const struct fm_prefix *p)
{
	uint32_t i;

	return pool_index(c, p, &i);
}

int bce_pool_alloc(struct bce *c, struct fm_prefix *out)
{
	if (c->max_prefixes && c->pool_used >= c->max_prefixes)
		return -ENOSPC;
	for (uint32_t n = 0; n < c->pool_bits; n++) {
		uint32_t i = (c->pool_hint + n) % c->pool_bits;

		if (c->pool_map[i / 8] & (1u << (i % 8)))
			continue;
		c->pool_map[i / 8] |= 1u << (i % 8);
		c->pool_used++;
		c->pool_hint = (i + 1) % c->pool_bits;
		set_upper64(&out->addr, upper64(&c->pool) | i);
		out->plen = 64;
		return 0;
	}
	return -ENOSPC;
}

int bce_pool_take(struct bce *c, const struct fm_prefix *p)
{
	uint32_t i;

	if (!pool_index(c, p, &i))
		return -ERANGE;
	if (c->pool_map[i / 8] & (1u << (i % 8)))
		return -EEXIST;
	c->pool_map[i / 8] |= 1u << (i % 8);
	c->pool_used++;
	return 0;
}

void bce_pool_free(struct bce *c, const struct fm_prefix *p)
{
	uint32_t i;

	if (!pool_index(c, p, &i) || !(c->pool_map[i / 8] & (1u << (i % 8))))
		return;
	c->pool_map[i / 8] &= ~(1u << (i % 8));
	c->pool_used--;
	/* hand out the lowest free prefix next: deterministic, and reuse is fine */
	if (i < c->pool_hint)
		c->pool_hint = i;
}

const char *bce_state_name(enum bce_state s)
{
	switch (s) {
	case BCE_ACTIVE:
		return "active";
	case BCE_DEREG:
		return "deregistering";
	case BCE_PEER_DOWN:
		return "peer-down";
	}
	return "?";
}
