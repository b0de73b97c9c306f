/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nai.h — Network Access Identifier syntax (RFC 7542 §2.2) and the escaping of
 * peer-supplied text for logs.
 */
#ifndef FLOWMOB_NAI_H
#define FLOWMOB_NAI_H

#include <stdbool.h>
#include <stddef.h>

#define FM_NAI_MAX_OCTETS 253 /* RFC 7542 §2.3 */

/* True when s[0..len) is an NAI by RFC 7542 §2.2: utf8-username, "@" utf8-realm or
 * both; valid UTF-8 (RFC 3629: no overlong forms, surrogates or code points above
 * U+10FFFF); no control characters, spaces or octets outside the grammar; a realm of
 * two or more labels of letters, digits and hyphens (not at a label's ends); 1 to 253
 * octets. why (may be NULL) gets a short reason when false. */
bool fm_nai_valid(const char *s, size_t len, const char **why);

/* Copy s[0..len) into out (size outlen, always terminated) with every octet that is
 * not printable ASCII, and the backslash, written as \xNN: a peer's string can then
 * never start a new log line or hide text. Returns out. */
char *fm_escape(const char *s, size_t len, char *out, size_t outlen);

#endif /* FLOWMOB_NAI_H */
