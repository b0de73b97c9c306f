// SPDX-License-Identifier: GPL-2.0
/*
 * test_auth.c — RFC 4285 Mobility Message Authentication (mh/auth.h) and its option in
 * the codec. The vector below is written by hand from RFC 4285 §5 (Type 9, Length,
 * Subtype 1, Mobility SPI, Authentication Data; 8n+2; the last option) on a PBU, its
 * authenticator computed independently (Python's hmac module) over
 * src | dst | the MH up to and including the SPI, checksum zero.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <cmocka.h>

#include "mh/auth.h"
#include "mh/mh.h"

static const uint8_t pbu_signed[80] = {
    0x3b, 0x09, 0x05, 0x00, 0x00, 0x00, 0x12, 0x34, 0xe2, 0x00, 0x00, 0x10, /* PBU seq 0x1234 */
    0x08, 0x10, 0x01, 0x6d, 0x6e, 0x31, 0x40, 0x65, 0x78, 0x61, 0x6d, 0x70,
    0x6c, 0x65, 0x2e, 0x6e, 0x65, 0x74,	      /* MN-ID mn1@example.net */
    0x01, 0x02, 0x00, 0x00,		      /* PadN: the option at 34 = 8n+2 */
    0x09, 0x25, 0x01, 0x00, 0x00, 0x01, 0x00, /* Auth, Length 37, MN-HA, SPI 256 */
    0x82, 0x0f, 0xb6, 0x7f, 0xd2, 0xa0, 0x8f, 0xb5, 0xd7, 0xcb, 0x43, 0x45,
    0x41, 0x96, 0x2b, 0x8d, 0xf8, 0x31, 0x7a, 0x97, 0x51, 0x5b, 0x82, 0x05,
    0xfc, 0x8b, 0x6b, 0x37, 0x1e, 0xb0, 0x99, 0x4b, /* HMAC-SHA-256 */
    0x01, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00,	    /* PadN to 80 */
};

static struct in6_addr src, dst;
static struct mh_auth_key key = {.spi = 256, .len = 16};
static struct mh_msg m;

static int setup(void **state)
{
	(void)state;
	inet_pton(AF_INET6, "2001:db8::1", &src);
	inet_pton(AF_INET6, "2001:db8::2", &dst);
	for (int i = 0; i < 16; i++)
		key.key[i] = (uint8_t)i;
	return 0;
}

static void decode_vector(void **state)
{
	struct mh_err err = {0};
	const struct mh_opt *o;

	(void)state;
	assert_int_equal(mh_decode(pbu_signed, sizeof(pbu_signed), &m, &err), 0);
	assert_int_equal(m.kind, MH_PBU);
	o = mh_opt_find(&m, MH_OPT_AUTH, 0);
	assert_non_null(o);
	assert_int_equal(o->auth.subtype, MH_AUTH_MN_HA);
	assert_int_equal(o->auth.spi, 256);
	assert_int_equal(o->auth.len, 32);
	assert_memory_equal(o->auth.data, pbu_signed + 41, 32);
	assert_int_equal(mh_auth_find(pbu_signed, sizeof(pbu_signed)), 34);
}

static void verify_vector(void **state)
{
	uint8_t b[80];
	struct mh_auth_key k2 = key;

	(void)state;
	assert_int_equal(mh_auth_verify(&key, &src, &dst, pbu_signed, 80), MH_AUTH_OK);
	/* the checksum does not count (the kernel fills it after signing) */
	memcpy(b, pbu_signed, 80);
	b[4] = 0xab, b[5] = 0xcd;
	assert_int_equal(mh_auth_verify(&key, &src, &dst, b, 80), MH_AUTH_OK);
	/* the addresses count */
	assert_int_equal(mh_auth_verify(&key, &dst, &src, pbu_signed, 80), MH_AUTH_BAD_DATA);
	/* any octet up to the SPI counts */
	for (int i = 0; i < 73; i++) {
		if (i == 4 || i == 5)
			continue;
		memcpy(b, pbu_signed, 80);
		b[i] ^= 0x01;
		assert_int_not_equal(mh_auth_verify(&key, &src, &dst, b, 80), MH_AUTH_OK);
	}
	k2.key[0] ^= 1;
	assert_int_equal(mh_auth_verify(&k2, &src, &dst, pbu_signed, 80), MH_AUTH_BAD_DATA);
	k2 = key;
	k2.spi = 257;
	assert_int_equal(mh_auth_verify(&k2, &src, &dst, pbu_signed, 80), MH_AUTH_BAD_SPI);
}

/* The encoder places the option at 8n+2 and mh_auth_sign writes the same bytes. */
static void encode_sign_vector(void **state)
{
	uint8_t buf[256];
	struct mh_err err = {0};
	struct mh_opt *o;
	int n;

	(void)state;
	mh_msg_init(&m, MH_PBU);
	m.seq = 0x1234;
	m.flags = MH_PBU_A | MH_PBU_H | MH_PBU_L | MH_PBU_P;
	m.lifetime = 64;
	o = mh_opt_add(&m, MH_OPT_MN_ID);
	o->mn_id.subtype = 1;
	o->mn_id.len = 15;
	memcpy(o->mn_id.id, "mn1@example.net", 15);
	assert_non_null(mh_auth_add(&m, &key));
	n = mh_encode(&m, buf, sizeof(buf), &err);
	assert_int_equal(n, 80);
	assert_int_equal(mh_auth_sign(&key, &src, &dst, buf, (size_t)n), 0);
	assert_memory_equal(buf, pbu_signed, 80);
}

static void unsigned_and_last(void **state)
{
	uint8_t b[88];
	struct mh_err err = {0};

	(void)state;
	/* a message without the option */
	static const uint8_t hb[16] = {0x3b, 0x01, 13, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 0, 0};
	assert_int_equal(mh_auth_verify(&key, &src, &dst, hb, 16), MH_AUTH_MISSING);
	/* RFC 4285 §5: an option after the Authentication option is refused */
	memcpy(b, pbu_signed, 73);
	b[73] = MH_OPT_ATT, b[74] = 2, b[75] = 0, b[76] = 4;
	memset(b + 77, 0, 11);
	b[77] = 1, b[78] = 9; /* PadN to 88 */
	b[1] = 88 / 8 - 1;
	assert_int_equal(mh_decode(b, 88, &m, &err), -1);
	assert_non_null(strstr(err.msg, "last"));
	/* strip removes it from the decoded message */
	assert_int_equal(mh_decode(pbu_signed, 80, &m, &err), 0);
	mh_auth_strip(&m);
	assert_null(mh_opt_find(&m, MH_OPT_AUTH, 0));
	assert_non_null(mh_opt_find(&m, MH_OPT_MN_ID, 0));
}

static void key_files(void **state)
{
	char path[] = "/tmp/fm-auth-keyXXXXXX", err[256];
	struct mh_auth_key k;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "000102030405060708090a0b0c0d0e0f\n", 33), 33);
	close(fd);
	chmod(path, 0600);
	assert_int_equal(mh_auth_key_file(path, &k, err, sizeof(err)), 0);
	assert_int_equal(k.len, 16);
	assert_memory_equal(k.key, key.key, 16);
	chmod(path, 0640); /* group-readable: refused */
	assert_int_equal(mh_auth_key_file(path, &k, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "chmod 600"));
	chmod(path, 0604);
	assert_int_equal(mh_auth_key_file(path, &k, err, sizeof(err)), -1);
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, "0011", 4), 4); /* too short */
	close(fd);
	chmod(path, 0600);
	assert_int_equal(mh_auth_key_file(path, &k, err, sizeof(err)), -1);
	unlink(path);
	assert_int_equal(mh_auth_key_file(path, &k, err, sizeof(err)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(decode_vector),	  cmocka_unit_test(verify_vector),
	    cmocka_unit_test(encode_sign_vector), cmocka_unit_test(unsigned_and_last),
	    cmocka_unit_test(key_files),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
