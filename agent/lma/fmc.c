// SPDX-License-Identifier: GPL-2.0
/*
 * fmc.c — the LMA's flow mobility cache (seed §5.2): storage, resolution of
 * entries against an MN's bindings, and compilation into data-plane rules.
 *
 * Layer: the LMA's bottom (the caches, with bce.c); calls nothing in agent/lma/.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lma/fmc.h"

void fmc_init(struct fmc *c)
{
	memset(c, 0, sizeof(*c));
}

void fmc_free(struct fmc *c)
{
	free(c->flows);
	memset(c, 0, sizeof(*c));
}

struct fmc_flow *fmc_find(struct fmc *c, uint16_t fid)
{
	for (unsigned i = 0; i < c->n; i++)
		if (c->flows[i].fid == fid)
			return &c->flows[i];
	return NULL;
}

int fmc_add(struct fmc *c, const struct fmc_flow *f)
{
	if (f->n_bids > FMC_MAX_BIDS || f->n_att > FM_DP_MAX_ATT || f->action > FM_DP_DROP)
		return -EINVAL;
	if (fmc_find(c, f->fid))
		return -EEXIST;
	if (c->n >= FMC_MAX_FLOWS)
		return -ENOSPC;
	if (c->n == c->cap) {
		unsigned cap = c->cap ? c->cap * 2 : 4;
		struct fmc_flow *nf;

		if (cap > FMC_MAX_FLOWS)
			cap = FMC_MAX_FLOWS;
		nf = realloc(c->flows, cap * sizeof(*nf));
		if (!nf)
			return -ENOMEM;
		c->flows = nf;
		c->cap = cap;
	}
	c->flows[c->n++] = *f;
	return 0;
}

int fmc_del(struct fmc *c, uint16_t fid)
{
	struct fmc_flow *f = fmc_find(c, fid);

	if (!f)
		return -ENOENT;
	memmove(f, f + 1, (size_t)((c->flows + c->n) - (f + 1)) * sizeof(*f));
	c->n--;
	return 0;
}

bool fmc_flow_has_bid(const struct fmc_flow *f, uint16_t bid)
{
	for (unsigned i = 0; i < f->n_bids; i++)
		if (f->bids[i] == bid)
			return true;
	return false;
}

static const struct fmc_bview *bview(const struct fmc_bview *b, unsigned nb, uint16_t bid)
{
	for (unsigned i = 0; i < nb; i++)
		if (b[i].bid == bid)
			return &b[i];
	return NULL;
}

unsigned fmc_resolve(struct fmc *c, const struct fmc_bview *b, unsigned nb, bool *changed)
{
	unsigned n_changed = 0;

	for (unsigned i = 0; i < c->n; i++) {
		struct fmc_flow *f = &c->flows[i];
		bool was_active = f->active;
		uint16_t was_bid = f->dp_bid;

		if (f->n_att) {
			f->n_bids = 0;
			for (unsigned a = 0; a < f->n_att; a++)
				for (unsigned j = 0; j < nb && f->n_bids < FMC_MAX_BIDS; j++)
					if (b[j].att == f->att[a] && !fmc_flow_has_bid(f, b[j].bid))
						f->bids[f->n_bids++] = b[j].bid;
		}
		f->dp_bid = 0;
		for (unsigned j = 0; j < f->n_bids; j++) {
			const struct fmc_bview *v = bview(b, nb, f->bids[j]);

			if (v && v->usable) {
				f->dp_bid = f->bids[j];
				break;
			}
		}
		/* a drop entry with no BID applies whatever the bindings are */
		f->active = f->dp_bid != 0 || (f->action == FM_DP_DROP && !f->n_bids && !f->n_att);
		if (changed)
			changed[i] = f->active != was_active || f->dp_bid != was_bid;
		if (f->active != was_active || f->dp_bid != was_bid)
			n_changed++;
	}
	return n_changed;
}

static int rule_cmp(const void *a, const void *b)
{
	const struct fm_dp_rule *x = a, *y = b;

	if (x->priority != y->priority)
		return x->priority < y->priority ? -1 : 1;
	return x->fid < y->fid ? -1 : x->fid > y->fid;
}

unsigned fmc_to_rules(const struct fmc *c, struct fm_dp_rule *rules, unsigned max)
{
	unsigned n = 0;

	for (unsigned i = 0; i < c->n && n < max; i++) {
		const struct fmc_flow *f = &c->flows[i];
		struct fm_dp_rule *r = &rules[n++];

		memset(r, 0, sizeof(*r));
		r->fid = f->fid;
		r->priority = f->priority;
		r->action = f->action;
		r->active = f->active;
		r->bid = f->dp_bid;
		r->ts = f->ts;
	}
	qsort(rules, n, sizeof(*rules), rule_cmp);
	return n;
}

const char *fmc_action_name(uint8_t action)
{
	return action == FM_DP_DROP ? "drop" : "forward";
}

const char *fmc_origin_name(enum fmc_origin o)
{
	return o == FMC_POLICY ? "policy" : o == FMC_PBU ? "pbu" : "ctl";
}

enum fmc_origin fmc_origin_parse(const char *s)
{
	if (s && !strcmp(s, "policy"))
		return FMC_POLICY;
	if (s && !strcmp(s, "pbu"))
		return FMC_PBU;
	return FMC_CTL;
}
