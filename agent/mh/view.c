// SPDX-License-Identifier: GPL-2.0
/*
 * view.c — typed views of decoded Mobility Header messages (mh layer). One pass
 * over the options collects them (scan), then each kind's builder copies what
 * that kind carries and says what is missing. See view.h.
 */
#include <string.h>

#include "core/nai.h"
#include "mh/view.h"

/* Every option of interest, found in one pass: the first of each singleton type,
 * every HNP and Flow Identification in order. */
struct scan {
	const struct mh_opt *mn_id, *hi, *att, *ll_id, *lla, *ts, *bid, *rc, *gre;
	uint8_t n_hnp, n_flows;
	const struct mh_opt *hnp[MH_MAX_OPTS];
	const struct mh_opt *flows[MH_MAX_OPTS];
};

static void first(const struct mh_opt **slot, const struct mh_opt *o)
{
	if (!*slot)
		*slot = o;
}

static void scan(struct scan *s, const struct mh_msg *m)
{
	unsigned n = m->n_opts < MH_MAX_OPTS ? m->n_opts : MH_MAX_OPTS;

	memset(s, 0, offsetof(struct scan, hnp));
	for (unsigned i = 0; i < n; i++) {
		const struct mh_opt *o = &m->opts[i];

		switch (o->type) {
		case MH_OPT_MN_ID:
			first(&s->mn_id, o);
			break;
		case MH_OPT_HNP:
			s->hnp[s->n_hnp++] = o;
			break;
		case MH_OPT_HI:
			first(&s->hi, o);
			break;
		case MH_OPT_ATT:
			first(&s->att, o);
			break;
		case MH_OPT_LL_ID:
			first(&s->ll_id, o);
			break;
		case MH_OPT_LLA:
			first(&s->lla, o);
			break;
		case MH_OPT_TIMESTAMP:
			first(&s->ts, o);
			break;
		case MH_OPT_BID:
			first(&s->bid, o);
			break;
		case MH_OPT_RESTART_COUNTER:
			first(&s->rc, o);
			break;
		case MH_OPT_GRE_KEY:
			first(&s->gre, o);
			break;
		case MH_OPT_FLOW_ID:
			s->flows[s->n_flows++] = o;
			break;
		default:
			break;
		}
	}
}

static void take_mn_id(struct mh_view_mn_id *v, const struct mh_opt *o)
{
	v->present = o != NULL;
	v->valid = false;
	v->subtype = 0;
	v->len = 0;
	v->nai[0] = 0;
	if (!o)
		return;
	v->subtype = o->mn_id.subtype;
	v->len = o->mn_id.len > sizeof(o->mn_id.id) ? sizeof(o->mn_id.id) : o->mn_id.len;
	memcpy(v->nai, o->mn_id.id, v->len);
	v->nai[v->len] = 0;
	/* RFC 7542 syntax: no NUL or other control character, UTF-8, at most 253 octets */
	v->valid = fm_nai_valid(v->nai, v->len, NULL);
}

static uint8_t take_hnps(struct mh_view_prefix *out, const struct scan *s, uint8_t *nonzero)
{
	static const struct in6_addr zero;
	uint8_t nz = 0;

	for (unsigned i = 0; i < s->n_hnp; i++) {
		out[i].prefix = s->hnp[i]->hnp.prefix;
		out[i].plen = s->hnp[i]->hnp.plen;
		nz += memcmp(&out[i].prefix, &zero, sizeof(zero)) != 0;
	}
	if (nonzero)
		*nonzero = nz;
	return s->n_hnp;
}

static uint8_t take_flows(const struct mh_flowid **out, const struct scan *s)
{
	for (unsigned i = 0; i < s->n_flows; i++)
		out[i] = &s->flows[i]->flow_id;
	return s->n_flows;
}

static void take_ll_id(struct mh_view_ll_id *v, const struct mh_opt *o)
{
	v->present = o != NULL;
	v->len = 0;
	if (!o)
		return;
	v->len = o->ll_id.len > sizeof(v->id) ? sizeof(v->id) : o->ll_id.len;
	memcpy(v->id, o->ll_id.id, v->len);
}

static void take_bid(struct mh_view_bid *v, const struct mh_opt *o)
{
	memset(v, 0, sizeof(*v));
	if (!o)
		return;
	v->present = true;
	v->bid = o->bid.bid;
	v->status = o->bid.status;
	v->priority = o->bid.priority;
}

static void take_ts(struct mh_view_ts *v, const struct mh_opt *o)
{
	v->present = o != NULL;
	v->fixed = o ? mh_ts_fixed(o->timestamp.seconds, o->timestamp.fraction) : 0;
}

int pbu_view_build(struct pbu_view *v, const struct mh_msg *m)
{
	struct scan s;

	if (m->kind != MH_PBU)
		return -1;
	scan(&s, m);
	v->seq = (uint16_t)m->seq;
	v->flags = m->flags;
	v->lifetime = m->lifetime;
	take_mn_id(&v->mn_id, s.mn_id);
	v->n_hnp = take_hnps(v->hnp, &s, &v->n_hnp_nonzero);
	v->has_hi = s.hi != NULL;
	v->hi = s.hi ? s.hi->hi : 0;
	v->has_att = s.att != NULL;
	v->att = s.att ? s.att->att : 0;
	take_ll_id(&v->ll_id, s.ll_id);
	v->has_lla = s.lla != NULL;
	if (s.lla)
		v->lla = s.lla->lla;
	else
		memset(&v->lla, 0, sizeof(v->lla));
	take_ts(&v->ts, s.ts);
	take_bid(&v->bid, s.bid);
	v->has_gre_key = s.gre != NULL;
	v->gre_key = s.gre ? s.gre->gre_key : 0;
	v->n_flows = take_flows(v->flows, &s);
	/* present but not an NAI: refused (129), not "missing" (160) */
	if (!v->mn_id.valid)
		return v->mn_id.present && v->mn_id.len ? PBA_ADMIN_PROHIBITED : PBA_MISSING_MN_ID;
	if (!v->n_hnp)
		return PBA_MISSING_HNP;
	if (!v->has_hi)
		return PBA_MISSING_HI;
	if (!v->has_att)
		return PBA_MISSING_ATT;
	return 0;
}

int pba_view_build(struct pba_view *v, const struct mh_msg *m)
{
	struct scan s;

	if (m->kind != MH_PBA)
		return -1;
	scan(&s, m);
	v->seq = (uint16_t)m->seq;
	v->flags = (uint8_t)m->flags;
	v->status = m->status;
	v->lifetime = m->lifetime;
	take_mn_id(&v->mn_id, s.mn_id);
	v->n_hnp = take_hnps(v->hnp, &s, NULL);
	v->has_hi = s.hi != NULL;
	v->hi = s.hi ? s.hi->hi : 0;
	v->has_att = s.att != NULL;
	v->att = s.att ? s.att->att : 0;
	take_ll_id(&v->ll_id, s.ll_id);
	take_ts(&v->ts, s.ts);
	take_bid(&v->bid, s.bid);
	v->has_gre_key = s.gre != NULL;
	v->gre_key = s.gre ? s.gre->gre_key : 0;
	v->n_flows = take_flows(v->flows, &s);
	return v->mn_id.valid ? 0 : PBA_MISSING_MN_ID;
}

int fmi_view_build(struct fmi_view *v, const struct mh_msg *m)
{
	struct scan s;

	if (m->kind != MH_FMI)
		return -1;
	scan(&s, m);
	v->seq = (uint16_t)m->seq;
	v->flags = m->flags;
	v->cancel = m->flags & MH_FMI_C;
	v->refresh = !v->cancel && (m->flags & MH_FMI_R);
	v->lifetime = m->lifetime;
	take_mn_id(&v->mn_id, s.mn_id);
	v->n_hnp = take_hnps(v->hnp, &s, NULL);
	v->n_flows = take_flows(v->flows, &s);
	return v->mn_id.valid && v->n_flows ? 0 : FMA_UNSPECIFIED;
}

int fma_view_build(struct fma_view *v, const struct mh_msg *m)
{
	struct scan s;

	if (m->kind != MH_FMA)
		return -1;
	scan(&s, m);
	v->seq = (uint16_t)m->seq;
	v->status = m->status;
	v->lifetime = m->lifetime;
	take_mn_id(&v->mn_id, s.mn_id);
	v->n_flows = take_flows(v->flows, &s);
	return 0;
}

int upn_view_build(struct upn_view *v, const struct mh_msg *m)
{
	struct scan s;

	if (m->kind != MH_UPN)
		return -1;
	scan(&s, m);
	v->seq = (uint16_t)m->seq;
	v->flags = m->flags;
	v->reason = m->reason;
	v->lifetime = m->lifetime;
	take_mn_id(&v->mn_id, s.mn_id);
	v->n_hnp = take_hnps(v->hnp, &s, NULL);
	take_bid(&v->bid, s.bid);
	v->n_flows = take_flows(v->flows, &s);
	return v->mn_id.valid ? 0 : UPA_MN_NOT_ATTACHED;
}

int upa_view_build(struct upa_view *v, const struct mh_msg *m)
{
	struct scan s;

	if (m->kind != MH_UPA)
		return -1;
	scan(&s, m);
	v->seq = (uint16_t)m->seq;
	v->status = m->status;
	take_mn_id(&v->mn_id, s.mn_id);
	return 0;
}

int bri_view_build(struct bri_view *v, const struct mh_msg *m)
{
	struct scan s;

	if (m->kind != MH_BRI)
		return -1;
	scan(&s, m);
	v->seq = (uint16_t)m->seq;
	v->flags = m->flags;
	v->trigger = m->trigger;
	take_mn_id(&v->mn_id, s.mn_id);
	v->n_hnp = take_hnps(v->hnp, &s, NULL);
	take_bid(&v->bid, s.bid);
	return v->mn_id.valid ? 0 : BRA_NO_BINDING;
}

int bra_view_build(struct bra_view *v, const struct mh_msg *m)
{
	struct scan s;

	if (m->kind != MH_BRA)
		return -1;
	scan(&s, m);
	v->seq = (uint16_t)m->seq;
	v->flags = m->flags;
	v->status = m->status;
	take_mn_id(&v->mn_id, s.mn_id);
	return 0;
}

int hb_view_build(struct hb_view *v, const struct mh_msg *m)
{
	struct scan s;

	if (m->kind != MH_HEARTBEAT)
		return -1;
	scan(&s, m);
	v->seq = m->seq;
	v->response = m->flags & MH_HB_R;
	v->unsolicited = m->flags & MH_HB_U;
	v->has_rc = s.rc != NULL;
	v->restart_counter = s.rc ? s.rc->restart_counter : 0;
	return 0;
}
