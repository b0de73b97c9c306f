// SPDX-License-Identifier: GPL-2.0
/*
 * test_mhsock.c — the raw MH socket, in a private network namespace
 * (unshare(CLONE_NEWNET), loopback only; skipped without CAP_SYS_ADMIN/NET_RAW).
 * A plain raw socket plays the peer: hand-written RFC 5847 Heartbeat bytes
 * reach the rx callback decoded, with source, destination and ifindex; bad
 * checksums are dropped by the kernel; malformed and unknown-type messages are
 * counted, never delivered; an unknown MH type is answered with Binding Error
 * status 2, rate-limited; what fm_mhsock_send() puts on the wire is checked
 * byte by byte, checksum included (computed here, independently of the codec).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/log.h"
#include "mh/auth.h"
#include "mh/mh.h"
#include "mh/mhsock.h"

static bool have_ns;
static struct in6_addr lo6;

struct rx_log {
	int n;
	struct mh_msg last;
	struct in6_addr src, dst;
	int ifindex;
};

static void on_rx(void *ctx, const struct mh_msg *m, const struct in6_addr *src,
		  const struct in6_addr *dst, int ifindex)
{
	struct rx_log *l = ctx;

	l->n++;
	l->last = *m;
	l->src = *src;
	l->dst = *dst;
	l->ifindex = ifindex;
}

static int group_setup(void **state)
{
	struct ifreq ifr = {0};
	int fd;

	(void)state;
	fm_log_set_level(FM_LOG_ERROR);
	inet_pton(AF_INET6, "::1", &lo6);
	if (unshare(CLONE_NEWNET)) {
		print_message("# unshare(CLONE_NEWNET): %s: skipping\n", strerror(errno));
		return 0;
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	strcpy(ifr.ifr_name, "lo");
	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr))
		return -1;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr))
		return -1;
	close(fd);
	have_ns = true;
	return 0;
}

/* One's-complement sum over the IPv6 pseudo-header and the MH (RFC 6275 §6.1.1). */
static uint16_t csum(const struct in6_addr *s, const struct in6_addr *d, const uint8_t *p,
		     size_t len)
{
	uint32_t sum = 0;

	for (int i = 0; i < 16; i += 2) {
		sum += (uint32_t)(s->s6_addr[i] << 8 | s->s6_addr[i + 1]);
		sum += (uint32_t)(d->s6_addr[i] << 8 | d->s6_addr[i + 1]);
	}
	sum += (uint32_t)len;
	sum += 135;
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static int peer_socket(bool kernel_csum)
{
	int fd = socket(AF_INET6, SOCK_RAW, IPPROTO_MH);
	int off = -1;

	assert_true(fd >= 0);
	if (!kernel_csum)
		assert_int_equal(setsockopt(fd, IPPROTO_IPV6, IPV6_CHECKSUM, &off, sizeof(off)), 0);
	return fd;
}

static void peer_send(int fd, const uint8_t *b, size_t len)
{
	struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};

	assert_int_equal(sendto(fd, b, len, 0, (struct sockaddr *)&sa, sizeof(sa)), (ssize_t)len);
}

/* Turn the loop for up to ms milliseconds (or until cond becomes true). */
static void pump(struct ev_loop *loop, int ms, const int *count, int want)
{
	for (int i = 0; i < ms; i++) {
		ev_run(loop, EVRUN_NOWAIT);
		if (count && *count >= want)
			return;
		usleep(1000);
	}
}

/* RFC 5847 §5.1 Heartbeat request, sequence 0x01020304, PadN to 16 octets. */
static const uint8_t hb_req[16] = {
    59, 1, 13, 0, /* Payload Proto, Header Len (16 octets), MH Type 13, Reserved */
    0,	0,	  /* Checksum (kernel) */
    0,	0,	  /* Reserved, Reserved|U|R = request */
    1,	2, 3,  4, /* Sequence Number */
    1,	2, 0,  0, /* PadN: 2 octets of padding */
};

static void test_receive(void **state)
{
	struct ev_loop *loop;
	struct fm_mhsock *s;
	struct rx_log log = {0};
	const struct fm_mhsock_stats *st;
	int peer;

	(void)state;
	if (!have_ns)
		skip();
	loop = ev_loop_new(EVFLAG_AUTO);
	assert_int_equal(fm_mhsock_open(loop, &lo6, on_rx, &log, &s), 0);
	st = fm_mhsock_stats(s);
	peer = peer_socket(true);

	peer_send(peer, hb_req, sizeof(hb_req));
	pump(loop, 1000, &log.n, 1);
	assert_int_equal(log.n, 1);
	assert_int_equal(log.last.kind, MH_HEARTBEAT);
	assert_int_equal(log.last.seq, 0x01020304);
	assert_int_equal(log.last.flags & (MH_HB_U | MH_HB_R), 0);
	assert_memory_equal(&log.src, &lo6, 16);
	assert_memory_equal(&log.dst, &lo6, 16);
	assert_int_equal(log.ifindex, (int)if_nametoindex("lo"));
	assert_int_equal(st->rx, 1);
	assert_int_equal(st->rx_kind[MH_HEARTBEAT], 1);

	/* malformed: Header Len says 24 octets, 16 present */
	uint8_t bad[16];
	memcpy(bad, hb_req, sizeof(bad));
	bad[1] = 2;
	peer_send(peer, bad, sizeof(bad));
	/* wrong Payload Proto */
	memcpy(bad, hb_req, sizeof(bad));
	bad[0] = 6;
	peer_send(peer, bad, sizeof(bad));
	pump(loop, 200, NULL, 0);
	assert_int_equal(log.n, 1); /* none delivered */
	assert_int_equal(st->rx, 3);
	assert_int_equal(st->rx_malformed, 2);
	assert_int_equal(st->rx_unknown_type, 0);

	close(peer);
	fm_mhsock_close(s);
	ev_loop_destroy(loop);
}

static void test_checksum_verified(void **state)
{
	struct ev_loop *loop;
	struct fm_mhsock *s;
	struct rx_log log = {0};
	uint8_t b[16];
	uint16_t c;
	int peer;

	(void)state;
	if (!have_ns)
		skip();
	loop = ev_loop_new(EVFLAG_AUTO);
	assert_int_equal(fm_mhsock_open(loop, &lo6, on_rx, &log, &s), 0);
	peer = peer_socket(false); /* we write the checksum ourselves */

	memcpy(b, hb_req, sizeof(b));
	c = csum(&lo6, &lo6, b, sizeof(b));
	b[4] = (uint8_t)(c >> 8);
	b[5] = (uint8_t)c;
	b[5] ^= 0x01; /* wrong by one bit */
	peer_send(peer, b, sizeof(b));
	pump(loop, 200, NULL, 0);
	assert_int_equal(log.n, 0);
	assert_int_equal(fm_mhsock_stats(s)->rx, 0); /* the kernel dropped it */

	b[5] ^= 0x01; /* right */
	peer_send(peer, b, sizeof(b));
	pump(loop, 1000, &log.n, 1);
	assert_int_equal(log.n, 1);
	assert_int_equal(log.last.seq, 0x01020304);

	close(peer);
	fm_mhsock_close(s);
	ev_loop_destroy(loop);
}

static void test_send(void **state)
{
	struct ev_loop *loop;
	struct fm_mhsock *s;
	struct rx_log log = {0};
	struct mh_msg m;
	struct pollfd p;
	uint8_t b[256];
	int peer;
	ssize_t n;

	(void)state;
	if (!have_ns)
		skip();
	loop = ev_loop_new(EVFLAG_AUTO);
	assert_int_equal(fm_mhsock_open(loop, &lo6, on_rx, &log, &s), 0);
	peer = peer_socket(false); /* receive raw bytes, checksum unchecked */

	memset(&m, 0, sizeof(m));
	m.kind = MH_HEARTBEAT;
	m.flags = MH_HB_R;
	m.seq = 0xa0b0c0d0;
	assert_int_equal(fm_mhsock_send(s, &m, &lo6), 0);
	p = (struct pollfd){.fd = peer, .events = POLLIN};
	assert_int_equal(poll(&p, 1, 1000), 1);
	n = recv(peer, b, sizeof(b), 0);
	assert_int_equal(n, 16);
	const uint8_t want[16] = {59, 1, 13, 0, 0, 0, 0, 0x01, 0xa0, 0xb0, 0xc0, 0xd0, 1, 2, 0, 0};
	uint8_t got[16];
	memcpy(got, b, 16);
	assert_true(got[4] || got[5]);			/* the kernel filled the checksum */
	assert_int_equal(csum(&lo6, &lo6, got, 16), 0); /* and it verifies */
	got[4] = got[5] = 0;
	assert_memory_equal(got, want, 16);
	assert_int_equal(fm_mhsock_stats(s)->tx, 1);
	assert_int_equal(fm_mhsock_stats(s)->tx_kind[MH_HEARTBEAT], 1);

	/* our own socket hears it too (bound to ::1): decoded as a response */
	pump(loop, 1000, &log.n, 1);
	assert_int_equal(log.n, 1);
	assert_int_equal(log.last.flags & MH_HB_R, MH_HB_R);

	/* unencodable (PBU lifetime not a multiple of 4): error, counted, nothing sent */
	memset(&m, 0, sizeof(m));
	m.kind = MH_PBU;
	m.lifetime = 5;
	assert_int_equal(fm_mhsock_send(s, &m, &lo6), -EINVAL);
	assert_int_equal(fm_mhsock_stats(s)->tx_errors, 1);
	assert_int_equal(fm_mhsock_stats(s)->tx, 1);
	assert_int_equal(poll(&p, 1, 100), 0);

	close(peer);
	fm_mhsock_close(s);
	ev_loop_destroy(loop);
}

/* RFC 6275 §9.2: an unknown MH type gets a Binding Error, status 2, and a burst of
 * them gets one answer (rate limit); none of them reaches the role. */
static void test_unknown_type_answered(void **state)
{
	struct ev_loop *loop;
	struct fm_mhsock *s;
	struct rx_log log = {0};
	uint8_t bad[16], b[256];
	struct pollfd p;
	int peer, be = 0;
	ssize_t n;

	(void)state;
	if (!have_ns)
		skip();
	loop = ev_loop_new(EVFLAG_AUTO);
	assert_int_equal(fm_mhsock_open(loop, &lo6, on_rx, &log, &s), 0);
	peer = peer_socket(true);

	memcpy(bad, hb_req, sizeof(bad));
	bad[2] = 99; /* framing fine, type unknown */
	for (int i = 0; i < 5; i++)
		peer_send(peer, bad, sizeof(bad));
	pump(loop, 300, NULL, 0);
	assert_int_equal(fm_mhsock_stats(s)->rx_unknown_type, 5);
	assert_int_equal(fm_mhsock_stats(s)->be_suppressed, 4);
	assert_int_equal(fm_mhsock_stats(s)->tx_kind[MH_BE], 1);

	/* the peer hears its own five and our one Binding Error (both bound to ::1) */
	p = (struct pollfd){.fd = peer, .events = POLLIN};
	while (poll(&p, 1, 200) == 1) {
		n = recv(peer, b, sizeof(b), 0);
		assert_true(n >= 8);
		if (b[2] != MH_TYPE_BE)
			continue;
		/* RFC 6275 §6.1.9: Status 2 at octet 6, Home Address :: at 8..23, 24 octets */
		assert_int_equal(n, 24);
		assert_int_equal(b[0], 59);
		assert_int_equal(b[1], 2);
		assert_int_equal(b[6], 2);
		for (int i = 8; i < 24; i++)
			assert_int_equal(b[i], 0);
		be++;
	}
	assert_int_equal(be, 1);
	/* our own socket hears the Binding Error too, never the unknown messages */
	pump(loop, 200, NULL, 0);
	assert_int_equal(log.n, 1);
	assert_int_equal(log.last.kind, MH_BE);

	close(peer);
	fm_mhsock_close(s);
	ev_loop_destroy(loop);
}

/* RFC 4285: with a key for the peer (here ::1, ourselves), what we send is signed and
 * delivered; an unsigned heartbeat, a forged one and a replay of a signed one are
 * dropped and counted; an unsigned PBU is answered with PBA 146. */
static void test_authenticated_peer(void **state)
{
	struct mh_auth_key k = {.spi = 1000, .len = 16};
	struct ev_loop *loop;
	struct fm_mhsock *s;
	struct rx_log log = {0};
	const struct fm_mhsock_stats *st;
	uint8_t b[512], signed_hb[512] = {0};
	size_t signed_len = 0;
	struct pollfd p;
	struct mh_msg m;
	int peer, pba146 = 0;
	ssize_t n;

	(void)state;
	if (!have_ns)
		skip();
	memset(k.key, 0x5a, 16);
	loop = ev_loop_new(EVFLAG_AUTO);
	assert_int_equal(fm_mhsock_open(loop, &lo6, on_rx, &log, &s), 0);
	st = fm_mhsock_stats(s);
	assert_false(fm_mhsock_peer_authenticated(s, &lo6));
	assert_int_equal(fm_mhsock_set_key(s, &lo6, &k), 0);
	assert_true(fm_mhsock_peer_authenticated(s, &lo6));
	peer = peer_socket(true);

	/* signed by us, verified by us: delivered without the option, with a Timestamp */
	mh_msg_init(&m, MH_HEARTBEAT);
	m.seq = 7;
	assert_int_equal(fm_mhsock_send(s, &m, &lo6), 0);
	pump(loop, 1000, &log.n, 1);
	assert_int_equal(log.n, 1);
	assert_int_equal(log.last.kind, MH_HEARTBEAT);
	assert_null(mh_opt_find(&log.last, MH_OPT_AUTH, 0));
	assert_non_null(mh_opt_find(&log.last, MH_OPT_TIMESTAMP, 0));
	assert_int_equal(st->rx_authenticated, 1);
	p = (struct pollfd){.fd = peer, .events = POLLIN};
	while (poll(&p, 1, 100) == 1) {
		n = recv(peer, b, sizeof(b), 0);
		if (n > 0 && b[2] == MH_TYPE_HEARTBEAT) {
			memcpy(signed_hb, b, (size_t)n);
			signed_len = (size_t)n;
		}
	}
	assert_true(signed_len > 16);
	assert_true(mh_auth_find(signed_hb, signed_len) > 0);

	/* unsigned: dropped */
	peer_send(peer, hb_req, sizeof(hb_req));
	/* forged: the signed one with another sequence number */
	memcpy(b, signed_hb, signed_len);
	b[11] ^= 1;
	peer_send(peer, b, signed_len);
	/* replayed: the very bytes again */
	peer_send(peer, signed_hb, signed_len);
	pump(loop, 300, NULL, 0);
	assert_int_equal(log.n, 1);
	assert_int_equal(st->rx_auth_failed, 2);
	assert_int_equal(st->rx_replayed, 1);

	/* an unsigned PBU gets PBA 146 (MIPV6-AUTH-FAIL), itself signed */
	static const uint8_t pbu[16] = {59, 1, 5, 0, 0, 0, 0, 9, 0x02, 0, 0, 1, 1, 2, 0, 0};
	while (poll(&p, 1, 0) == 1)
		recv(peer, b, sizeof(b), 0);
	peer_send(peer, pbu, sizeof(pbu));
	pump(loop, 300, NULL, 0);
	assert_int_equal(st->rx_auth_failed, 3);
	while (poll(&p, 1, 200) == 1) {
		n = recv(peer, b, sizeof(b), 0);
		if (n >= 16 && b[2] == MH_TYPE_BA) {
			assert_int_equal(b[6], PBA_MIPV6_AUTH_FAIL);
			assert_int_equal(b[8] << 8 | b[9], 9); /* the PBU's sequence number */
			assert_true(mh_auth_find(b, (size_t)n) > 0);
			pba146++;
		}
	}
	assert_int_equal(pba146, 1);

	/* without the key again, nothing is checked */
	assert_int_equal(fm_mhsock_set_key(s, &lo6, NULL), 0);
	assert_false(fm_mhsock_peer_authenticated(s, &lo6));
	int before = log.n;
	peer_send(peer, hb_req, sizeof(hb_req));
	pump(loop, 1000, &log.n, before + 1);
	assert_int_equal(log.n, before + 1);

	close(peer);
	fm_mhsock_close(s);
	ev_loop_destroy(loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_receive),
	    cmocka_unit_test(test_checksum_verified),
	    cmocka_unit_test(test_send),
	    cmocka_unit_test(test_unknown_type_answered),
	    cmocka_unit_test(test_authenticated_peer),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
