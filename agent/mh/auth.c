// SPDX-License-Identifier: GPL-2.0
/*
 * auth.c — RFC 4285 Mobility Message Authentication (auth.h): locate, compute, sign,
 * verify and strip the Authentication option; read a key file. HMAC-SHA-256 comes from
 * OpenSSL's libcrypto; the comparison is constant-time (CRYPTO_memcmp).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "mh/auth.h"

#define AUTH_FIXED 7 /* Type, Length, Subtype, SPI(32): the octets before the data */

int mh_auth_find(const uint8_t *buf, size_t len)
{
	int pos = mh_opts_offset(buf, len);
	size_t mhlen;

	if (pos < 0 || len < 8)
		return -1;
	mhlen = ((size_t)buf[1] + 1) * 8;
	if (mhlen < len)
		len = mhlen;
	while ((size_t)pos < len) {
		uint8_t type = buf[pos];

		if (type == MH_OPT_PAD1) {
			pos++;
			continue;
		}
		if (len - (size_t)pos < 2 || (size_t)buf[pos + 1] > len - (size_t)pos - 2)
			return -1;
		if (type == MH_OPT_AUTH)
			return pos;
		pos += 2 + buf[pos + 1];
	}
	return -1;
}

int mh_auth_compute(const struct mh_auth_key *k, const struct in6_addr *src,
		    const struct in6_addr *dst, const uint8_t *buf, size_t len, size_t off,
		    uint8_t out[MH_AUTH_DATA_LEN])
{
	uint8_t data[32 + 2048]; /* src | dst | MH Data */
	size_t n = off + AUTH_FIXED;
	unsigned int outlen = 0;

	if (!k->len || n > len || n > sizeof(data) - 32 || off < 6)
		return -1;
	memcpy(data, src->s6_addr, 16);
	memcpy(data + 16, dst->s6_addr, 16);
	memcpy(data + 32, buf, n);
	data[32 + 4] = data[32 + 5] = 0; /* the Checksum field */
	if (!HMAC(EVP_sha256(), k->key, k->len, data, 32 + n, out, &outlen))
		return -1;
	return outlen == MH_AUTH_DATA_LEN ? 0 : -1;
}

struct mh_opt *mh_auth_add(struct mh_msg *m, const struct mh_auth_key *k)
{
	struct mh_opt *o = mh_opt_add(m, MH_OPT_AUTH);

	if (!o)
		return NULL;
	o->auth.subtype = MH_AUTH_MN_HA;
	o->auth.spi = k->spi;
	o->auth.len = MH_AUTH_DATA_LEN;
	memset(o->auth.data, 0, MH_AUTH_DATA_LEN);
	return o;
}

int mh_auth_sign(const struct mh_auth_key *k, const struct in6_addr *src,
		 const struct in6_addr *dst, uint8_t *buf, size_t len)
{
	int off = mh_auth_find(buf, len);

	if (off < 0 || buf[off + 1] != 5 + MH_AUTH_DATA_LEN)
		return -1;
	return mh_auth_compute(k, src, dst, buf, len, (size_t)off, buf + off + AUTH_FIXED);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

enum mh_auth_result mh_auth_verify(const struct mh_auth_key *k, const struct in6_addr *src,
				   const struct in6_addr *dst, const uint8_t *buf, size_t len)
{
	uint8_t want[MH_AUTH_DATA_LEN];
	int off = mh_auth_find(buf, len);

	if (off < 0)
		return MH_AUTH_MISSING;
	if (buf[off + 1] < 5 || buf[off + 2] != MH_AUTH_MN_HA || get32(buf + off + 3) != k->spi)
		return MH_AUTH_BAD_SPI;
	if (buf[off + 1] != 5 + MH_AUTH_DATA_LEN ||
	    mh_auth_compute(k, src, dst, buf, len, (size_t)off, want) ||
	    CRYPTO_memcmp(want, buf + off + AUTH_FIXED, MH_AUTH_DATA_LEN))
		return MH_AUTH_BAD_DATA;
	return MH_AUTH_OK;
}

const char *mh_auth_result_name(enum mh_auth_result r)
{
	switch (r) {
	case MH_AUTH_OK:
		return "ok";
	case MH_AUTH_MISSING:
		return "no Authentication option";
	case MH_AUTH_BAD_SPI:
		return "unknown subtype or SPI";
	case MH_AUTH_BAD_DATA:
		return "wrong authenticator";
	}
	return "?";
}

void mh_auth_strip(struct mh_msg *m)
{
	unsigned w = 0;

	for (unsigned i = 0; i < m->n_opts && i < MH_MAX_OPTS; i++)
		if (m->opts[i].type != MH_OPT_AUTH)
			m->opts[w++] = m->opts[i];
	m->n_opts = (uint8_t)w;
}

int mh_msg_digest(const struct mh_msg *m, uint8_t out[32])
{
	uint8_t buf[4096];
	struct mh_err err;
	unsigned int n = 0;
	int len = mh_encode(m, buf, sizeof(buf), &err);

	if (len < 0 || !EVP_Digest(buf, (size_t)len, out, &n, EVP_sha256(), NULL))
		return -1;
	return n == 32 ? 0 : -1;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int mh_auth_key_file(const char *path, struct mh_auth_key *k, char *err, size_t errlen)
{
	char text[4 * MH_AUTH_KEY_MAX + 2];
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd, hi = -1;

	k->len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if (st.st_mode & 077) {
		snprintf(err, errlen,
			 "%s: mode %03o: a key file must not be accessible by group or "
			 "others (chmod 600)",
			 path, (unsigned)(st.st_mode & 0777));
		close(fd);
		return -1;
	}
	n = read(fd, text, sizeof(text));
	close(fd);
	if (n < 0 || (size_t)n == sizeof(text)) {
		snprintf(err, errlen, "%s: %s", path, n < 0 ? strerror(errno) : "too long");
		return -1;
	}
	for (ssize_t i = 0; i < n; i++) {
		int v;

		if (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r')
			continue;
		if ((v = hexval((unsigned char)text[i])) < 0 || got >= MH_AUTH_KEY_MAX) {
			snprintf(err, errlen, "%s: the key must be %d to %d octets in hex", path,
				 MH_AUTH_KEY_MIN, MH_AUTH_KEY_MAX);
			memset(text, 0, sizeof(text));
			return -1;
		}
		if (hi < 0) {
			hi = v;
		} else {
			k->key[got++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	memset(text, 0, sizeof(text));
	if (hi >= 0 || got < MH_AUTH_KEY_MIN) {
		snprintf(err, errlen, "%s: the key must be %d to %d octets in hex", path,
			 MH_AUTH_KEY_MIN, MH_AUTH_KEY_MAX);
		return -1;
	}
	k->len = (uint8_t)got;
	return 0;
}
