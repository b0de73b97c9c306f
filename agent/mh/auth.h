/* SPDX-License-Identifier: GPL-2.0 */
/*
 * auth.h — RFC 4285 Mobility Message Authentication for MAG–LMA signaling, flowmob's
 * alternative to IPsec on kernels without IPv6 ESP (docs/wire-notes.md, "Authentication").
 *
 * The option (type 9, subtype 1 MN-HA, 8n+2) is the last option of the message. Its
 * Authentication Data is HMAC-SHA-256 (OpenSSL libcrypto), 32 octets, over
 *     source address | destination address | MH Data
 * where MH Data is the Mobility Header from its first octet up to and including the
 * option's Mobility SPI, with the Checksum field zero and Header Len final (RFC 4285
 * §5.1, with the PMIPv6 endpoints standing for the care-of and home addresses).
 * Pure functions on byte buffers, like the codec.
 */
#ifndef FLOWMOB_MH_AUTH_H
#define FLOWMOB_MH_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "mh/mh.h"

#define MH_AUTH_DATA_LEN 32 /* HMAC-SHA-256, not truncated */
#define MH_AUTH_KEY_MIN	 16 /* octets */
#define MH_AUTH_KEY_MAX	 64
#define MH_AUTH_SPI_MIN	 256 /* RFC 4285 §5.1: SPIs 0-255 are reserved */

struct mh_auth_key {
	uint32_t spi;
	uint8_t len; /* 0: no key */
	uint8_t key[MH_AUTH_KEY_MAX];
};

/* Offset of the Authentication option (its Type octet) in an encoded message, or -1. */
int mh_auth_find(const uint8_t *buf, size_t len);

/* The authenticator of an encoded message whose Authentication option is at off:
 * HMAC-SHA-256 over src | dst | buf[0 .. off+7) with the checksum zeroed. 0 or -1. */
int mh_auth_compute(const struct mh_auth_key *k, const struct in6_addr *src,
		    const struct in6_addr *dst, const uint8_t *buf, size_t len, size_t off,
		    uint8_t out[MH_AUTH_DATA_LEN]);

/* Append an Authentication option (subtype MN-HA, k's SPI, 32 zero octets) to m, to be
 * encoded and then signed with mh_auth_sign. NULL when m is full. */
struct mh_opt *mh_auth_add(struct mh_msg *m, const struct mh_auth_key *k);

/* Fill in the Authentication Data of an encoded message (from mh_encode, carrying the
 * option of mh_auth_add). 0, or -1 when the option is missing or malformed. */
int mh_auth_sign(const struct mh_auth_key *k, const struct in6_addr *src,
		 const struct in6_addr *dst, uint8_t *buf, size_t len);

enum mh_auth_result {
	MH_AUTH_OK = 0,
	MH_AUTH_MISSING,  /* no Authentication option */
	MH_AUTH_BAD_SPI,  /* another subtype or SPI than the peer's */
	MH_AUTH_BAD_DATA, /* wrong length or wrong authenticator */
};

/* Check a received message (the bytes as received, checksum field as sent). */
enum mh_auth_result mh_auth_verify(const struct mh_auth_key *k, const struct in6_addr *src,
				   const struct in6_addr *dst, const uint8_t *buf, size_t len);
const char *mh_auth_result_name(enum mh_auth_result r);

/* Remove the Authentication option from a decoded message (the roles never see it). */
void mh_auth_strip(struct mh_msg *m);

/* SHA-256 of a message's encoding (what tells an exact duplicate). 0 or -1. */
int mh_msg_digest(const struct mh_msg *m, uint8_t out[32]);

/* Read a key file: hex digits (whitespace ignored), 16 to 64 octets; refused when the
 * file is readable or writable by group or others. 0, or -1 with err set. */
int mh_auth_key_file(const char *path, struct mh_auth_key *k, char *err, size_t errlen);

#endif /* FLOWMOB_MH_AUTH_H */
