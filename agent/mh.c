// SPDX-License-Identifier: GPL-2.0
/*
 * mh.c — the Mobility Header codec (skeleton: API compiles, full codec follows).
 */
#include <string.h>

#include "mh.h"

uint8_t mh_fm_type = MH_FM_TYPE_DEFAULT;

int mh_encode(const struct mh_msg *m, uint8_t *buf, size_t len, struct mh_err *err)
{
	(void)m;
	(void)buf;
	(void)len;
	if (err) {
		err->offset = 0;
		strcpy(err->msg, "not implemented yet");
	}
	return -1;
}

int mh_decode(const uint8_t *buf, size_t len, struct mh_msg *m, struct mh_err *err)
{
	(void)buf;
	(void)len;
	(void)m;
	if (err) {
		err->offset = 0;
		strcpy(err->msg, "not implemented yet");
	}
	return -1;
}

const struct mh_opt *mh_opt_find(const struct mh_msg *m, uint8_t type, int nth)
{
	for (int i = 0; i < m->n_opts; i++)
		if (m->opts[i].type == type && nth-- == 0)
			return &m->opts[i];
	return NULL;
}

struct mh_opt *mh_opt_add(struct mh_msg *m, uint8_t type)
{
	struct mh_opt *o;

	if (m->n_opts >= MH_MAX_OPTS)
		return NULL;
	o = &m->opts[m->n_opts++];
	memset(o, 0, sizeof(*o));
	o->type = type;
	return o;
}

uint16_t mh_checksum(const struct in6_addr *src, const struct in6_addr *dst, const uint8_t *mh,
		     size_t len)
{
	(void)src;
	(void)dst;
	(void)mh;
	(void)len;
	return 0;
}

const char *mh_kind_name(enum mh_kind k)
{
	(void)k;
	return "?";
}
