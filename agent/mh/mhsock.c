// SPDX-License-Identifier: GPL-2.0
/*
 * mhsock.c — the raw IPPROTO_MH socket (mhsock.h).
 *
 * Linux computes and verifies the Mobility Header checksum itself on raw
 * IPPROTO_MH sockets (offset 4, RFC 6275 §6.1.1: net/ipv6/raw.c); we also set
 * IPV6_CHECKSUM to 4 explicitly so that this does not depend on that default.
 * Messages with a bad checksum never reach us. The socket is bound to the local
 * address (IPV6_FREEBIND: flowmobd may start before the address is configured),
 * and IPV6_RECVPKTINFO gives each message's destination and arrival interface.
 * Everything received is decoded with mh_decode(); what does not decode is
 * counted and logged at debug level, never handed to the role. A message of an
 * MH type we do not know is answered with a Binding Error, status 2 (RFC 6275
 * §9.2), at most one every BE_MIN_INTERVAL_MS so a flood cannot make us one.
 *
 * Authentication (RFC 4285, mh/auth.h): a peer with a key (fm_mhsock_set_key) gets
 * every message signed, and every message from it must carry a valid authenticator:
 * what does not is counted and dropped before it reaches the role (a PBU is answered
 * with PBA 146, rate-limited like the Binding Errors). The Authentication option is
 * removed before the role sees the message. Replay: signed heartbeats, FMI, UPN and BRI
 * carry a Timestamp option (added here when the message has none); from a keyed peer
 * they must be within AUTH_TS_WINDOW_MS of our clock and newer than the last one
 * accepted from that peer, so a captured message cannot be played again (PBU and
 * PBA keep the role's own timestamp/sequence rules).
 * RFC 6275 §9.2 also says what a wrong Payload Proto or Header Len gets: an ICMPv6
 * Parameter Problem, code 0, pointing at the field. The raw socket hands us the
 * Mobility Header only, so the invoking packet in the ICMPv6 message is rebuilt: an
 * IPv6 header (source, destination, Next Header 135; the hop limit as sent is not
 * known and is given as 64) followed by the Mobility Header, and the pointer counts
 * from that header (40 + the field's offset: extension headers the message may have
 * had are not known here). Parameter Problems are rate-limited like Binding Errors
 * (one per BE_MIN_INTERVAL_MS each).
 * Every dropped message is logged at info level naming the sender and the fault (at
 * most one line per LOG_MIN_INTERVAL_MS, with the count of lines held back) and is
 * reported to the role (fm_mhsock_on_fault) for its per-peer counters.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/icmp6.h>
#include <stddef.h>
#include <netinet/in.h>
#include <netinet/ip6.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "mh/auth.h"
#include "mh/mh.h"
#include "mh/mhsock.h"
#include "mh/view.h"

#ifndef IPPROTO_MH
#define IPPROTO_MH 135
#endif

#define MHSOCK_BUF	       65536
#define BE_STATUS_UNKNOWN_TYPE 2 /* RFC 6275 §6.1.9: unrecognized MH Type value */
#define BE_MIN_INTERVAL_MS     100
#define MHSOCK_MAX_KEYS	       64   /* one per configured peer (FM_CFG_MAX_MAGS) */
#define AUTH_TS_WINDOW_MS      7000 /* RFC 4285 §5.1: "close enough", 7 s by default */

struct peer_key {
	struct in6_addr addr;
	struct mh_auth_key key;
	uint64_t last_rx_ts; /* newest Timestamp accepted from the peer (48.16) */
	uint64_t last_tx_ts; /* newest Timestamp we sent it */
};
#define LOG_MIN_INTERVAL_MS 1000
#define PP_MAX_INVOKING	    1232 /* the ICMPv6 message fits the minimum MTU, 1280 */

struct fm_mhsock {
	struct ev_loop *loop;
	int fd;
	ev_io io;
	struct in6_addr local;
	fm_mh_rx rx;
	void *ctx;
	struct fm_mhsock_stats stats;
	uint64_t last_be_ms;  /* rate limit of Binding Errors */
	uint64_t last_pp_ms;  /* ... and of Parameter Problems */
	uint64_t last_146_ms; /* ... and of PBA 146 (authentication failed) */
	bool sent_146;
	struct peer_key keys[MHSOCK_MAX_KEYS];
	int n_keys;
	int icmp_fd;	      /* raw ICMPv6, opened on the first Parameter Problem */
	fm_mh_bad bad;	      /* the role's fault counter (optional) */
	uint64_t last_log_ms; /* rate limit of the info-level fault lines */
	uint64_t log_held;    /* fault lines not written since the last one */
	uint8_t buf[MHSOCK_BUF];
	struct mh_msg msg; /* large: kept here rather than on the stack */
	struct mh_msg tx;  /* a message being signed */
};

static struct peer_key *key_of(const struct fm_mhsock *s, const struct in6_addr *peer)
{
	for (int i = 0; i < s->n_keys; i++)
		if (IN6_ARE_ADDR_EQUAL(&s->keys[i].addr, peer))
			return (struct peer_key *)&s->keys[i];
	return NULL;
}

int fm_mhsock_set_key(struct fm_mhsock *s, const struct in6_addr *peer, const struct mh_auth_key *k)
{
	struct peer_key *pk = key_of(s, peer);

	if (!k || !k->len) {
		if (pk) {
			*pk = s->keys[--s->n_keys];
			memset(&s->keys[s->n_keys], 0, sizeof(s->keys[0]));
		}
		return 0;
	}
	if (!pk) {
		if (s->n_keys >= MHSOCK_MAX_KEYS)
			return -ENOSPC;
		pk = &s->keys[s->n_keys++];
		memset(pk, 0, sizeof(*pk));
		pk->addr = *peer;
	}
	pk->key = *k;
	return 0;
}

bool fm_mhsock_peer_authenticated(const struct fm_mhsock *s, const struct in6_addr *peer)
{
	return s && key_of(s, peer) != NULL;
}

static bool replay_checked(enum mh_kind k)
{
	return k == MH_HEARTBEAT || k == MH_FMI || k == MH_UPN || k == MH_BRI;
}

static uint64_t wall_fixed(void)
{
	struct timespec ts;

	fm_wall(&ts);
	return mh_ts_fixed((uint64_t)ts.tv_sec,
			   (uint16_t)(((uint64_t)ts.tv_nsec << 16) / 1000000000ull));
}

/* RFC 4285 §8: a PBU without a valid authenticator gets PBA 146 (MIPV6-AUTH-FAIL). */
static void reply_auth_fail(struct fm_mhsock *s, const struct in6_addr *to)
{
	const struct mh_opt *id = mh_opt_find(&s->msg, MH_OPT_MN_ID, 0);
	uint64_t now = fm_now_ms();
	struct mh_opt *o;

	if (s->sent_146 && now - s->last_146_ms < BE_MIN_INTERVAL_MS) {
		s->stats.be_suppressed++;
		return;
	}
	s->sent_146 = true;
	s->last_146_ms = now;
	mh_msg_init(&s->tx, MH_PBA);
	s->tx.seq = s->msg.seq;
	s->tx.status = PBA_MIPV6_AUTH_FAIL;
	s->tx.flags = MH_PBA_P;
	if (id && (o = mh_opt_add(&s->tx, MH_OPT_MN_ID)))
		*o = *id;
	fm_mhsock_send(s, &s->tx, to);
}

/* A message from a keyed peer: 0 to deliver it, -1 to drop it (counted). */
static int check_auth(struct fm_mhsock *s, struct peer_key *pk, size_t len,
		      const struct in6_addr *src, const struct in6_addr *dst, const char *from)
{
	enum mh_auth_result r = mh_auth_verify(&pk->key, src, dst, s->buf, len);
	const struct mh_opt *ts;

	if (r != MH_AUTH_OK) {
		s->stats.rx_auth_failed++;
		pr_warn("mh: %s from %s dropped: %s", mh_kind_name(s->msg.kind), from,
			mh_auth_result_name(r));
		if (s->msg.kind == MH_PBU)
			reply_auth_fail(s, src);
		return -1;
	}
	if (replay_checked(s->msg.kind)) {
		uint64_t now = wall_fixed(), t, d, win = ((uint64_t)AUTH_TS_WINDOW_MS << 16) / 1000;

		ts = mh_opt_find(&s->msg, MH_OPT_TIMESTAMP, 0);
		t = ts ? mh_ts_fixed(ts->timestamp.seconds, ts->timestamp.fraction) : 0;
		d = t > now ? t - now : now - t;
		if (!ts || d > win || t <= pk->last_rx_ts) {
			s->stats.rx_replayed++;
			pr_warn("mh: %s from %s dropped: %s", mh_kind_name(s->msg.kind), from,
				!ts	  ? "no Timestamp"
				: d > win ? "Timestamp outside the window"
					  : "replayed (Timestamp not newer)");
			return -1;
		}
		pk->last_rx_ts = t;
	}
	s->stats.rx_authenticated++;
	mh_auth_strip(&s->msg);
	return 0;
}
static bool answer_allowed(struct fm_mhsock *s, bool pp);

/* RFC 6275 §9.2: answer an unknown MH type with Binding Error status 2. The Home
 * Address field stays unspecified: we take no Home Address destination option. */
static void reply_unknown_type(struct fm_mhsock *s, const struct in6_addr *to)
{
	if (!answer_allowed(s, false))
		return;
	memset(&s->msg, 0, sizeof(s->msg)); /* free: nothing was decoded into it */
	s->msg.kind = MH_BE;
	s->msg.status = BE_STATUS_UNKNOWN_TYPE;
	fm_mhsock_send(s, &s->msg, to);
}

static const char *const fault_names[FM_MH_FAULT_COUNT] = {
    [FM_MH_FAULT_HEADER_LEN] = "header-len",
    [FM_MH_FAULT_PAYLOAD_PROTO] = "payload-proto",
    [FM_MH_FAULT_UNKNOWN_TYPE] = "unknown-type",
    [FM_MH_FAULT_DECODE] = "decode",
};

const char *fm_mh_fault_name(enum fm_mh_fault f)
{
	return (unsigned)f < FM_MH_FAULT_COUNT ? fault_names[f] : "?";
}

void fm_mhsock_on_fault(struct fm_mhsock *s, fm_mh_bad bad)
{
	s->bad = bad;
}

/* True when an answer may go now: one Binding Error, and apart from that one
 * Parameter Problem, per BE_MIN_INTERVAL_MS. */
static bool answer_allowed(struct fm_mhsock *s, bool pp)
{
	uint64_t now = fm_now_ms();
	uint64_t *last = pp ? &s->last_pp_ms : &s->last_be_ms;

	if (*last && now - *last < BE_MIN_INTERVAL_MS) {
		s->stats.be_suppressed++;
		return false;
	}
	*last = now ? now : 1;
	return true;
}

/* The info-level line for a dropped message, rate-limited with a count. */
static void fault_log(struct fm_mhsock *s, const char *src, enum fm_mh_fault f, const char *what)
{
	uint64_t now = fm_now_ms();

	if (s->last_log_ms && now - s->last_log_ms < LOG_MIN_INTERVAL_MS) {
		s->log_held++;
		return;
	}
	s->last_log_ms = now ? now : 1;
	if (s->log_held)
		pr_info("mh: from %s: %s dropped (%s) [%llu similar lines held back]", src,
			fm_mh_fault_name(f), what, (unsigned long long)s->log_held);
	else
		pr_info("mh: from %s: %s dropped (%s)", src, fm_mh_fault_name(f), what);
	s->log_held = 0;
}

static void fault(struct fm_mhsock *s, const struct in6_addr *from, const char *src,
		  enum fm_mh_fault f, const char *what)
{
	s->stats.rx_fault[f]++;
	fault_log(s, src, f, what);
	if (s->bad)
		s->bad(s->ctx, from, f);
}

/* RFC 6275 §9.2 (RFC 4443 §3.4): Parameter Problem, code 0 (erroneous header field),
 * pointer = the field's offset in the rebuilt invoking packet. */
static void param_problem(struct fm_mhsock *s, const struct in6_addr *from,
			  const struct in6_addr *to, size_t len, unsigned field)
{
	uint8_t pkt[sizeof(struct icmp6_hdr) + sizeof(struct ip6_hdr) + PP_MAX_INVOKING];
	struct icmp6_hdr *ic = (struct icmp6_hdr *)pkt;
	struct ip6_hdr *ip = (struct ip6_hdr *)(pkt + sizeof(*ic));
	struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_addr = *from};
	size_t n = len < PP_MAX_INVOKING ? len : PP_MAX_INVOKING;

	if (!answer_allowed(s, true))
		return;
	if (s->icmp_fd < 0) {
		struct sockaddr_in6 me = {.sin6_family = AF_INET6, .sin6_addr = s->local};
		int one = 1;

		s->icmp_fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
		if (s->icmp_fd < 0) {
			pr_warn("mh: raw ICMPv6 socket: %s", strerror(errno));
			return;
		}
		setsockopt(s->icmp_fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one));
		if (bind(s->icmp_fd, (struct sockaddr *)&me, sizeof(me)))
			pr_debug("mh: ICMPv6 bind: %s", strerror(errno));
	}
	memset(pkt, 0, sizeof(*ic) + sizeof(*ip));
	ic->icmp6_type = ICMP6_PARAM_PROB;
	ic->icmp6_code = ICMP6_PARAMPROB_HEADER;
	ic->icmp6_pptr = htonl((uint32_t)(sizeof(*ip) + field));
	ip->ip6_flow = htonl(6u << 28);
	ip->ip6_plen = htons((uint16_t)len);
	ip->ip6_nxt = IPPROTO_MH;
	ip->ip6_hlim = 64;
	ip->ip6_src = *from;
	ip->ip6_dst = *to;
	memcpy(pkt + sizeof(*ic) + sizeof(*ip), s->buf, n);
	/* the kernel fills the ICMPv6 checksum of raw ICMPv6 sockets */
	if (sendto(s->icmp_fd, pkt, sizeof(*ic) + sizeof(*ip) + n, 0, (struct sockaddr *)&sa,
		   sizeof(sa)) < 0) {
		s->stats.tx_errors++;
		pr_debug("mh: Parameter Problem: %s", strerror(errno));
		return;
	}
	s->stats.tx_param_problem++;
}

/* RFC 6275 §9.2 in its order: Payload Proto, then Header Len; true when dropped. */
static bool header_checked(struct fm_mhsock *s, size_t len, const struct in6_addr *from,
			   const struct in6_addr *to, const char *src)
{
	char what[96];

	if (len < 2)
		return false; /* mh_decode says "truncated" */
	if (s->buf[0] != 59 /* IPPROTO_NONE */) {
		snprintf(what, sizeof(what), "Payload Proto %u, not 59; Parameter Problem sent",
			 s->buf[0]);
		param_problem(s, from, to, len, 0);
		fault(s, from, src, FM_MH_FAULT_PAYLOAD_PROTO, what);
		return true;
	}
	if (((size_t)s->buf[1] + 1) * 8 != len || len < 16) {
		snprintf(what, sizeof(what),
			 "Header Len %u means %u octets, %zu received; Parameter Problem sent",
			 s->buf[1], ((unsigned)s->buf[1] + 1) * 8, len);
		param_problem(s, from, to, len, 1);
		fault(s, from, src, FM_MH_FAULT_HEADER_LEN, what);
		return true;
	}
	return false;
}

static void rx_one(struct fm_mhsock *s, size_t len, const struct sockaddr_in6 *from,
		   const struct in6_pktinfo *pi)
{
	char src[INET6_ADDRSTRLEN];
	struct mh_err err = {0};
	struct in6_addr dst = pi ? pi->ipi6_addr : s->local;
	int ifindex = pi ? (int)pi->ipi6_ifindex : 0;

	s->stats.rx++;
	inet_ntop(AF_INET6, &from->sin6_addr, src, sizeof(src));
	if (header_checked(s, len, &from->sin6_addr, &dst, src)) {
		s->stats.rx_malformed++;
		return;
	}
	if (len >= 3 && !mh_type_known(s->buf[2])) {
		char what[64];

		s->stats.rx_unknown_type++;
		snprintf(what, sizeof(what), "MH type %u; Binding Error 2 sent", s->buf[2]);
		reply_unknown_type(s, &from->sin6_addr);
		fault(s, &from->sin6_addr, src, FM_MH_FAULT_UNKNOWN_TYPE, what);
		return;
	}
	if (mh_decode(s->buf, len, &s->msg, &err)) {
		char what[200];

		s->stats.rx_malformed++;
		snprintf(what, sizeof(what), "at octet %zu: %s", err.offset, err.msg);
		fault(s, &from->sin6_addr, src, FM_MH_FAULT_DECODE, what);
		return;
	}
	struct peer_key *pk = key_of(s, &from->sin6_addr);

	if (pk && check_auth(s, pk, len, &from->sin6_addr, &dst, src))
		return;
	if (!pk)
		mh_auth_strip(&s->msg);
	if ((unsigned)s->msg.kind < sizeof(s->stats.rx_kind) / sizeof(s->stats.rx_kind[0]))
		s->stats.rx_kind[s->msg.kind]++;
	pr_debug("mh: rx %s from %s (%zu octets, ifindex %d)", mh_kind_name(s->msg.kind), src, len,
		 ifindex);
	if (s->rx)
		s->rx(s->ctx, &s->msg, &from->sin6_addr, &dst, ifindex);
}

static void read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct fm_mhsock *s = w->data;

	(void)loop;
	(void)revents;
	/* bounded: let other watchers run under a flood */
	for (int i = 0; i < 256; i++) {
		union {
			char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
			struct cmsghdr align;
		} cbuf;
		struct sockaddr_in6 from = {0};
		struct iovec iov = {.iov_base = s->buf, .iov_len = sizeof(s->buf)};
		struct msghdr mh = {
		    .msg_name = &from,
		    .msg_namelen = sizeof(from),
		    .msg_iov = &iov,
		    .msg_iovlen = 1,
		    .msg_control = cbuf.buf,
		    .msg_controllen = sizeof(cbuf.buf),
		};
		struct in6_pktinfo pi, *pip = NULL;
		struct cmsghdr *c;
		ssize_t n;

		n = recvmsg(s->fd, &mh, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				pr_warn("mh: recvmsg: %s", strerror(errno));
			return;
		}
		for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
			    c->cmsg_len >= CMSG_LEN(sizeof(pi))) {
				memcpy(&pi, CMSG_DATA(c), sizeof(pi));
				pip = &pi;
			}
		if (mh.msg_flags & MSG_TRUNC) {
			s->stats.rx++;
			s->stats.rx_malformed++;
			pr_debug("mh: oversized message truncated, dropped");
			continue;
		}
		rx_one(s, (size_t)n, &from, pip);
	}
}

int fm_mhsock_open(struct ev_loop *loop, const struct in6_addr *local, fm_mh_rx rx, void *ctx,
		   struct fm_mhsock **out)
{
	struct sockaddr_in6 sa = {.sin6_family = AF_INET6};
	char addr[INET6_ADDRSTRLEN] = "::";
	struct fm_mhsock *s;
	int one = 1, off = 4, r;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->icmp_fd = -1;
	s->fd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_MH);
	if (s->fd < 0) {
		r = -errno;
		pr_err("mh: raw IPPROTO_MH socket: %s%s", strerror(errno),
		       errno == EPERM ? " (needs CAP_NET_RAW)" : "");
		free(s);
		return r;
	}
	/* The kernel already checksums MH at offset 4; make it explicit. */
	if (setsockopt(s->fd, IPPROTO_IPV6, IPV6_CHECKSUM, &off, sizeof(off)))
		pr_debug("mh: IPV6_CHECKSUM: %s (kernel default applies)", strerror(errno));
	if (setsockopt(s->fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one))) {
		r = -errno;
		pr_err("mh: IPV6_RECVPKTINFO: %s", strerror(errno));
		goto err;
	}
	setsockopt(s->fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one));
	if (local) {
		s->local = *local;
		sa.sin6_addr = *local;
		inet_ntop(AF_INET6, local, addr, sizeof(addr));
	}
	if (bind(s->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		r = -errno;
		pr_err("mh: bind to %s: %s", addr, strerror(errno));
		goto err;
	}
	s->loop = loop;
	s->rx = rx;
	s->ctx = ctx;
	ev_io_init(&s->io, read_cb, s->fd, EV_READ);
	s->io.data = s;
	if (loop)
		ev_io_start(loop, &s->io);
	pr_info("mh: listening for Mobility Header messages on %s", addr);
	*out = s;
	return 0;
err:
	close(s->fd);
	free(s);
	return r;
}

void fm_mhsock_close(struct fm_mhsock *s)
{
	if (!s)
		return;
	if (s->loop)
		ev_io_stop(s->loop, &s->io);
	if (s->icmp_fd >= 0)
		close(s->icmp_fd);
	close(s->fd);
	free(s);
}

int fm_mhsock_send(struct fm_mhsock *s, const struct mh_msg *m, const struct in6_addr *dst)
{
	struct sockaddr_in6 sa = {.sin6_family = AF_INET6};
	char to[INET6_ADDRSTRLEN];
	uint8_t buf[4096];
	struct mh_err err = {0};
	ssize_t n;
	int len;

	struct peer_key *pk = key_of(s, dst);

	inet_ntop(AF_INET6, dst, to, sizeof(to));
	if (pk) {
		/* a copy with the Timestamp (replay) and Authentication options */
		if (m != &s->tx) { /* (our own PBA 146 is built there already) */
			memcpy(&s->tx, m, offsetof(struct mh_msg, opts));
			memcpy(s->tx.opts, m->opts,
			       sizeof(m->opts[0]) *
				   (m->n_opts < MH_MAX_OPTS ? m->n_opts : MH_MAX_OPTS));
		}
		mh_auth_strip(&s->tx);
		if (replay_checked(m->kind) && !mh_opt_find(&s->tx, MH_OPT_TIMESTAMP, 0)) {
			struct mh_opt *o = mh_opt_add(&s->tx, MH_OPT_TIMESTAMP);
			uint64_t t = wall_fixed();

			if (t <= pk->last_tx_ts)
				t = pk->last_tx_ts + 1;
			pk->last_tx_ts = t;
			if (o) {
				o->timestamp.seconds = t >> 16;
				o->timestamp.fraction = t & 0xffff;
			}
		}
		if (!mh_auth_add(&s->tx, &pk->key)) {
			s->stats.tx_errors++;
			pr_err("mh: %s for %s: no room for the Authentication option",
			       mh_kind_name(m->kind), to);
			return -EINVAL;
		}
		m = &s->tx;
	}
	len = mh_encode(m, buf, sizeof(buf), &err);
	if (len >= 0 && pk && mh_auth_sign(&pk->key, &s->local, dst, buf, (size_t)len))
		len = -1, snprintf(err.msg, sizeof(err.msg), "signing failed");
	if (len < 0) {
		s->stats.tx_errors++;
		pr_err("mh: cannot encode %s for %s: %s", mh_kind_name(m->kind), to, err.msg);
		return -EINVAL;
	}
	sa.sin6_addr = *dst;
	do {
		n = sendto(s->fd, buf, (size_t)len, 0, (struct sockaddr *)&sa, sizeof(sa));
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		int r = -errno;

		s->stats.tx_errors++;
		pr_warn("mh: send %s to %s: %s", mh_kind_name(m->kind), to, strerror(errno));
		return r;
	}
	s->stats.tx++;
	if ((unsigned)m->kind < sizeof(s->stats.tx_kind) / sizeof(s->stats.tx_kind[0]))
		s->stats.tx_kind[m->kind]++;
	pr_debug("mh: tx %s to %s (%d octets)", mh_kind_name(m->kind), to, len);
	return 0;
}

const struct fm_mhsock_stats *fm_mhsock_stats(const struct fm_mhsock *s)
{
	return &s->stats;
}

json_t *fm_mhsock_stats_json(const struct fm_mhsock *s)
{
	json_t *o = json_pack(
	    "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "rx_malformed",
	    (json_int_t)s->stats.rx_malformed, "rx_unknown_type",
	    (json_int_t)s->stats.rx_unknown_type, "tx_errors", (json_int_t)s->stats.tx_errors,
	    "binding_errors_suppressed", (json_int_t)s->stats.be_suppressed, "parameter_problems",
	    (json_int_t)s->stats.tx_param_problem, "rx_auth_failed",
	    (json_int_t)s->stats.rx_auth_failed, "rx_replayed", (json_int_t)s->stats.rx_replayed,
	    "rx_authenticated", (json_int_t)s->stats.rx_authenticated);
	json_t *f = json_object();

	for (int i = 0; i < FM_MH_FAULT_COUNT; i++)
		json_object_set_new(f, fm_mh_fault_name((enum fm_mh_fault)i),
				    json_integer((json_int_t)s->stats.rx_fault[i]));
	json_object_set_new(o, "faults", f);
	return o;
}
