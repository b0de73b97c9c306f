// SPDX-License-Identifier: GPL-2.0
/*
 * nai.c — RFC 7542 NAI syntax and log escaping (nai.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/nai.h"

/* Length of the UTF-8 sequence at s (RFC 3629 §4), 0 when it is not one. */
static size_t utf8_seq(const unsigned char *s, size_t left)
{
	unsigned char c = s[0];
	size_t n;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	if (n > left)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	if (cp >= 0x80 && cp <= 0x9f) /* C1 controls */
		return 0;
	return n;
}

static bool alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool atext(unsigned char c)
{
	return alnum(c) || (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

static bool fail(const char **why, const char *w)
{
	if (why)
		*why = w;
	return false;
}

bool fm_nai_valid(const char *str, size_t len, const char **why)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t at = len, i = 0, label = 0;
	bool prev_dot = true; /* the username may not start with '.' */

	if (len == 0)
		return fail(why, "empty");
	if (len > FM_NAI_MAX_OCTETS)
		return fail(why, "longer than 253 octets");
	/* UTF-8 and control characters first: the clearest reasons */
	for (i = 0; i < len;) {
		size_t n = utf8_seq(s + i, len - i);

		if (!n)
			return fail(why, "not UTF-8");
		if (n == 1 && (s[i] < 0x20 || s[i] == 0x7f))
			return fail(why, "a control character");
		if (n == 1 && s[i] == '@') {
			if (at != len)
				return fail(why, "more than one '@'");
			at = i;
		}
		i += n;
	}
	/* utf8-username: dot-string of utf8-atext (may be empty when a realm follows) */
	for (i = 0; i < at;) {
		size_t n = utf8_seq(s + i, at - i);

		if (n == 1 && s[i] == '.') {
			if (prev_dot)
				return fail(why, "an empty part of the user name");
			prev_dot = true;
		} else if (n > 1 || atext(s[i])) {
			prev_dot = false;
		} else {
			return fail(why, "a character not allowed in a user name");
		}
		i += n;
	}
	if (at == len)
		return prev_dot ? fail(why, "an empty part of the user name") : true;
	if (at > 0 && prev_dot)
		return fail(why, "an empty part of the user name");
	/* utf8-realm: 1*(label ".") label, labels of utf8-rtext and inner '-' */
	int labels = 0;
	unsigned char last = 0;

	for (i = at + 1, label = 0; i <= len;) {
		size_t n = i < len ? utf8_seq(s + i, len - i) : 1;

		if (i == len || s[i] == '.') {
			if (label == 0)
				return fail(why, "an empty realm label");
			if (last == '-')
				return fail(why, "a realm label ending in '-'");
			labels++;
			label = 0;
			if (i == len)
				break;
		} else if (n > 1 || alnum(s[i]) || s[i] == '-') {
			if (label == 0 && s[i] == '-')
				return fail(why, "a realm label starting with '-'");
			label++;
			last = s[i];
		} else {
			return fail(why, "a character not allowed in a realm");
		}
		i += n;
	}
	if (labels < 2)
		return fail(why, "a realm of one label");
	return true;
}

char *fm_escape(const char *str, size_t len, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t o = 0;

	if (!outlen)
		return out;
	for (size_t i = 0; i < len; i++) {
		bool plain = s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\\';

		if (o + (plain ? 1 : 4) >= outlen)
			break;
		if (plain) {
			out[o++] = (char)s[i];
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[s[i] >> 4];
			out[o++] = hex[s[i] & 15];
		}
	}
	out[o] = 0;
	return out;
}
