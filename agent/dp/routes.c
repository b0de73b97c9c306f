// SPDX-License-Identifier: GPL-2.0
/*
 * routes.c — anchored-prefix routes over rtnetlink (routes.h): RTM_NEWROUTE /
 * RTM_DELROUTE of RTN_BLACKHOLE IPv6 routes in one table with one protocol,
 * and an RTM_GETROUTE dump filtered to that pair. Synchronous requests, each
 * acknowledged. Owns: the netlink socket.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

#include "core/log.h"
#include "dp/routes.h"

struct fm_routes {
	struct mnl_socket *nl;
	uint32_t portid, seq;
	uint32_t table;
	uint8_t proto;
};

static int ack_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	return MNL_CB_OK;
}

/* Send nlh and wait for its acknowledgement; -errno on a netlink error. */
static int request(struct fm_routes *r, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int ret;

	nlh->nlmsg_seq = ++r->seq;
	if (mnl_socket_sendto(r->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(r->nl, buf, sizeof(buf));

		if (n < 0)
			return -errno;
		ret = mnl_cb_run(buf, (size_t)n, r->seq, r->portid, cb ? cb : ack_cb, data);
		if (ret < 0)
			return -errno;
		if (ret == MNL_CB_STOP)
			return 0;
	}
}

static struct nlmsghdr *route_msg(struct fm_routes *r, char *buf, uint16_t type, uint16_t flags,
				  const struct fm_route_pfx *p)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET6;
	rtm->rtm_dst_len = p->len;
	rtm->rtm_table = r->table < 256 ? (uint8_t)r->table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = r->proto;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_BLACKHOLE;
	mnl_attr_put(nlh, RTA_DST, sizeof(p->addr), &p->addr);
	mnl_attr_put_u32(nlh, RTA_TABLE, r->table);
	return nlh;
}

int fm_routes_open(uint32_t table, uint8_t proto, struct fm_routes **out)
{
	struct fm_routes *r;

	*out = NULL;
	if (!table || table == RT_TABLE_DEFAULT || table == RT_TABLE_MAIN ||
	    table == RT_TABLE_LOCAL || !proto)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->nl = mnl_socket_open(NETLINK_ROUTE);
	if (!r->nl || mnl_socket_bind(r->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int e = -errno;

		if (r->nl)
			mnl_socket_close(r->nl);
		free(r);
		return e;
	}
	r->portid = mnl_socket_get_portid(r->nl);
	r->seq = (uint32_t)time(NULL);
	r->table = table;
	r->proto = proto;
	*out = r;
	return 0;
}

void fm_routes_close(struct fm_routes *r)
{
	if (!r)
		return;
	mnl_socket_close(r->nl);
	free(r);
}

struct dump {
	const struct fm_routes *r;
	struct fm_route_pfx *out;
	int max, n;
};

static int attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, RTA_MAX) < 0)
		return MNL_CB_OK;
	tb[type] = a;
	return MNL_CB_OK;
}

static int dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump *d = data;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[RTA_MAX + 1] = {0};
	uint32_t table;

	if (rtm->rtm_family != AF_INET6 || rtm->rtm_protocol != d->r->proto)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*rtm), attr_cb, tb);
	table = tb[RTA_TABLE] ? mnl_attr_get_u32(tb[RTA_TABLE]) : rtm->rtm_table;
	if (table != d->r->table)
		return MNL_CB_OK;
	if (d->n < d->max) {
		struct fm_route_pfx *p = &d->out[d->n];

		memset(p, 0, sizeof(*p));
		p->len = rtm->rtm_dst_len;
		if (tb[RTA_DST] && mnl_attr_get_payload_len(tb[RTA_DST]) == sizeof(p->addr))
			memcpy(&p->addr, mnl_attr_get_payload(tb[RTA_DST]), sizeof(p->addr));
	}
	d->n++;
	return MNL_CB_OK;
}

int fm_routes_list(struct fm_routes *r, struct fm_route_pfx *out, int max)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct dump d = {.r = r, .out = out, .max = max};
	struct rtmsg *rtm;
	int ret;

	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET6;
	ret = request(r, nlh, dump_cb, &d);
	return ret ? ret : d.n;
}

static bool same(const struct fm_route_pfx *a, const struct fm_route_pfx *b)
{
	return a->len == b->len && !memcmp(&a->addr, &b->addr, sizeof(a->addr));
}

static int change(struct fm_routes *r, uint16_t type, uint16_t flags, const struct fm_route_pfx *p)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];

	return request(r, route_msg(r, buf, type, flags, p), NULL, NULL);
}

#define MAX_LIST 8192

int fm_routes_sync(struct fm_routes *r, const struct fm_route_pfx *want, int n)
{
	struct fm_route_pfx *have = calloc(MAX_LIST, sizeof(*have));
	int nh, ret = 0, e;

	if (!have)
		return -ENOMEM;
	nh = fm_routes_list(r, have, MAX_LIST);
	if (nh < 0) {
		free(have);
		return nh;
	}
	if (nh > MAX_LIST)
		nh = MAX_LIST;
	for (int i = 0; i < nh; i++) {
		bool keep = false;

		for (int k = 0; k < n && !keep; k++)
			keep = same(&have[i], &want[k]);
		if (!keep && (e = change(r, RTM_DELROUTE, 0, &have[i])) && e != -ESRCH && !ret)
			ret = e;
	}
	for (int k = 0; k < n; k++) {
		bool there = false;

		for (int i = 0; i < nh && !there; i++)
			there = same(&have[i], &want[k]);
		if (!there &&
		    (e = change(r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, &want[k])) && !ret)
			ret = e;
	}
	free(have);
	return ret;
}

int fm_routes_flush(struct fm_routes *r)
{
	return fm_routes_sync(r, NULL, 0);
}
