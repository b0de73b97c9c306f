// SPDX-License-Identifier: GPL-2.0
/*
 * flowmob-mh — encode JSON Mobility Header messages to wire bytes (hex or a pcap of
 * IPv6 packets with a correct MH checksum) and decode hex, pcap or pcapng back to JSON,
 * one object per line; captures are read and written through libpcap. The JSON form is documented
 * in docs/mh-json.md; the codec is agent/mh/mh.c, the JSON mapping agent/mh/mh_json.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <pcap/pcap.h>

#include "core/version.h"
#include "mh/auth.h"
#include "mh/mh.h"
#include "mh/mh_json.h"

#define PROG	     "flowmob-mh"
#define IP6_HLEN     40
#define ETH_HLEN     14
#define SLL_HLEN     16
#define SLL2_HLEN    20
#define PCAP_TS_BASE 1764162000u
#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif

static const char usage_text[] =
    "Usage:\n"
    "  " PROG " encode [--src ADDR] [--dst ADDR] [--fm-type N] [--ethernet] [--key-file FILE]\n"
    "        (--hex | --pcap FILE)\n"
    "  " PROG " decode [--fm-type N] (--hex | --pcap FILE)\n"
    "  " PROG " --help | --version\n";

static const char help_text[] =
    "\n"
    "Encode and decode IPv6 Mobility Header messages (RFC 6275 framing) as used by\n"
    "flowmob: PBU/PBA (RFC 5213), BRI/BRA (RFC 5846), Heartbeat (RFC 5847), Binding\n"
    "Error, FMI/FMA (draft-ietf-netext-pmipv6-flowmob) and UPN/UPA (RFC 7077), with\n"
    "their mobility options. The JSON form is described in docs/mh-json.md; manual\n"
    "pages: flowmob-mh(1), flowmobd(8), flowmobctl(8), flowmob.yaml(5).\n"
    "\n"
    "encode\n"
    "  Reads JSON messages on standard input, either one object per line (any sequence\n"
    "  of JSON objects) or one JSON array of objects, for example\n"
    "    {\"type\":\"pbu\",\"seq\":7,\"flags\":\"AP\",\"lifetime\":400,\n"
    "     \"options\":[{\"type\":\"mn-id\",\"subtype\":1,\"id\":\"mn1@example.net\"}]}\n"
    "  Options are padded to their alignment and the message to 8 octets.\n"
    "  --hex         write each message as one line of lowercase hex on standard output;\n"
    "                the checksum field is filled only when --src and --dst are given\n"
    "  --pcap FILE   write a pcap file (through libpcap) of IPv6 packets (next header\n"
    "                135) with a correct MH checksum; '-' is standard output. A message\n"
    "                may carry the capture keys that decode prints (\"src\", \"dst\",\n"
    "                \"time\"; \"frame\" is ignored): they set that packet's addresses\n"
    "                and time, so a decoded capture encodes back to the same packets\n"
    "  --src ADDR    IPv6 source for the checksum and the packets (default fd00:11::2)\n"
    "  --dst ADDR    IPv6 destination (default fd00:11::1)\n"
    "  --ethernet    pcap link type Ethernet (02:00:00:00:00:01 -> :02) instead of raw IPv6\n"
    "  --key-file FILE  sign each message that carries an \"auth\" option (RFC 4285; its\n"
    "                \"data\" left out or 32 zero octets) with the HMAC-SHA-256 key in FILE\n"
    "                (hex, mode 0600) over --src, --dst and the message, as flowmobd does\n"
    "\n"
    "decode\n"
    "  Prints one JSON object per message on standard output.\n"
    "  --hex         read hex messages, one per line, on standard input (spaces and ':'\n"
    "                inside a line are ignored; empty lines and lines starting with '#'\n"
    "                are skipped)\n"
    "  --pcap FILE   read IPv6 packets from a pcap or pcapng file through libpcap (raw\n"
    "                IPv6, Ethernet or Linux cooked capture v1/v2; '-' is standard\n"
    "                input); packets without a Mobility Header are skipped; a wrong MH\n"
    "                checksum is reported on stderr. Each object also names its packet:\n"
    "                \"frame\" (1-based number in the capture), \"time\" (seconds since\n"
    "                1970 as a string, nanosecond digits), \"src\" and \"dst\" (the IPv6\n"
    "                addresses)\n"
    "\n"
    "common\n"
    "  --fm-type N   the MH type of FMI/FMA (default 11, the experimental MH type)\n"
    "  -h, --help    this text\n"
    "  -V, --version print the version (and libbpf's)\n"
    "\n"
    "A PBU or PBA lifetime must be a multiple of 4 seconds (the wire unit); FMI/FMA\n"
    "lifetimes are whole seconds, 65535 meaning infinite.\n"
    "\n"
    "Exit status: 0 success; 1 malformed or unencodable input (the message names the\n"
    "message number, the key or the byte offset); 2 bad command-line arguments.\n"
    "\n"
    "Examples:\n"
    "  echo '{\"type\":\"heartbeat\",\"seq\":1,\"flags\":\"R\"}' | " PROG " encode --hex\n"
    "  " PROG " encode --pcap pbu.pcap < msgs.json && tshark -r pbu.pcap -V\n"
    "  " PROG " decode --pcap capture.pcap\n";

/* libbpf's run-time version; declared here because bpf/libbpf.h (linux/bpf.h)
 * and pcap/pcap.h (pcap/bpf.h) both define struct bpf_insn. */
extern unsigned int libbpf_major_version(void);
extern unsigned int libbpf_minor_version(void);

static void print_version(void)
{
	printf(PROG " %s (libbpf %u.%u)\n", FLOWMOB_VERSION, libbpf_major_version(),
	       libbpf_minor_version());
}

static void usage_err(const char *fmt, const char *arg)
{
	fprintf(stderr, PROG ": ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n%sTry '" PROG " --help' for more information.\n", usage_text);
	exit(2);
}

/* ---- output: pcap (libpcap) ------------------------------------------------------------ */

struct pkt_meta {
	bool have_src, have_dst, have_time;
	struct in6_addr src, dst;
	uint64_t sec;
	uint32_t usec;
};

static int pcap_write_packet(pcap_dumper_t *d, uint32_t idx, bool eth, const struct pkt_meta *pm,
			     const uint8_t *mh, size_t mhlen)
{
	static const uint8_t ethhdr[ETH_HLEN] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x86, 0xdd};
	uint8_t pkt[ETH_HLEN + IP6_HLEN + 2048], *ip6 = pkt + (eth ? ETH_HLEN : 0);
	struct pcap_pkthdr h = {0};
	size_t caplen = (eth ? ETH_HLEN : 0) + IP6_HLEN + mhlen;

	if (mhlen > 2048)
		return -1;
	if (eth)
		memcpy(pkt, ethhdr, ETH_HLEN);
	memset(ip6, 0, IP6_HLEN);
	ip6[0] = 0x60;
	ip6[4] = (uint8_t)(mhlen >> 8);
	ip6[5] = (uint8_t)mhlen;
	ip6[6] = MH_PROTO;
	ip6[7] = 64;
	memcpy(ip6 + 8, &pm->src, 16);
	memcpy(ip6 + 24, &pm->dst, 16);
	memcpy(ip6 + IP6_HLEN, mh, mhlen);
	h.ts.tv_sec = pm->have_time ? (time_t)pm->sec : (time_t)(PCAP_TS_BASE + idx);
	h.ts.tv_usec = pm->have_time ? (suseconds_t)pm->usec : 0;
	h.caplen = h.len = (bpf_u_int32)caplen;
	pcap_dump((u_char *)d, &h, pkt);
	return 0;
}

/* ---- encode ---------------------------------------------------------------------------- */

struct opts {
	bool hex;
	const char *pcap;
	bool eth;
	bool have_src, have_dst;
	struct in6_addr src, dst;
	struct mh_auth_key key; /* --key-file; len 0: none */
};

/* The capture keys decode adds ("frame", "time", "src", "dst"): taken off a copy of
 * the message object, the addresses and time kept for the packet. */
static int take_capture_keys(json_t *j, struct pkt_meta *pm, char *msg, size_t len)
{
	static const char *const addr_keys[] = {"src", "dst"};
	json_t *v;

	for (int i = 0; i < 2; i++) {
		struct in6_addr *a = i ? &pm->dst : &pm->src;
		const char *s;

		if (!(v = json_object_get(j, addr_keys[i])))
			continue;
		s = json_string_value(v);
		if (!s || inet_pton(AF_INET6, s, a) != 1) {
			snprintf(msg, len, "%s: not an IPv6 address", addr_keys[i]);
			return -1;
		}
		*(i ? &pm->have_dst : &pm->have_src) = true;
		json_object_del(j, addr_keys[i]);
	}
	if ((v = json_object_get(j, "time"))) {
		const char *s = json_string_value(v);
		unsigned long long sec = 0;
		char frac[16] = "";
		int n = 0;

		if (!s || sscanf(s, "%llu%n", &sec, &n) != 1 ||
		    (s[n] && (s[n] != '.' || sscanf(s + n + 1, "%15[0-9]", frac) != 1 ||
			      strlen(frac) != strlen(s + n + 1)))) {
			snprintf(msg, len, "time: not \"SECONDS[.FRACTION]\" (a string)");
			return -1;
		}
		pm->sec = sec;
		pm->usec = 0;
		for (int i = 0; i < 6; i++)
			pm->usec =
			    pm->usec * 10 + (frac[i] && i < (int)strlen(frac) ? frac[i] - '0' : 0);
		pm->have_time = true;
		json_object_del(j, "time");
	}
	if ((v = json_object_get(j, "frame"))) {
		if (!json_is_integer(v)) {
			snprintf(msg, len, "frame: must be an integer");
			return -1;
		}
		json_object_del(j, "frame");
	}
	return 0;
}

static int encode_one(const json_t *j0, size_t idx, const struct opts *o, pcap_dumper_t *dump,
		      FILE *out)
{
	struct mh_msg *m = malloc(sizeof(*m));
	struct pkt_meta pm = {.src = o->src, .dst = o->dst};
	json_t *j = json_is_object(j0) ? json_copy((json_t *)j0) : json_incref((json_t *)j0);
	uint8_t buf[2048];
	struct mh_err err = {0};
	char msg[256];
	int len, rc = -1;

	if (!m || !j) {
		fprintf(stderr, PROG ": out of memory\n");
		goto out;
	}
	if (json_is_object(j) && take_capture_keys(j, &pm, msg, sizeof(msg))) {
		fprintf(stderr, PROG ": message %zu: %s\n", idx + 1, msg);
		goto out;
	}
	if (mh_from_json(j, m, msg, sizeof(msg))) {
		fprintf(stderr, PROG ": message %zu: %s\n", idx + 1, msg);
		goto out;
	}
	if (o->key.len) {
		/* the option's data becomes the authenticator: 32 octets to fill in */
		for (int i = 0; i < m->n_opts; i++)
			if (m->opts[i].type == MH_OPT_AUTH && m->opts[i].auth.len == 0) {
				m->opts[i].auth.len = MH_AUTH_DATA_LEN;
				memset(m->opts[i].auth.data, 0, MH_AUTH_DATA_LEN);
			}
	}
	len = mh_encode(m, buf, sizeof(buf), &err);
	if (len < 0) {
		fprintf(stderr, PROG ": message %zu: cannot encode: %s\n", idx + 1, err.msg);
		goto out;
	}
	if (o->key.len && mh_auth_find(buf, (size_t)len) >= 0) {
		struct mh_auth_key k = o->key;

		k.spi = m->opts[m->n_opts - 1].auth.spi; /* the option's SPI, whatever it is */
		if (mh_auth_sign(&k, &pm.src, &pm.dst, buf, (size_t)len)) {
			fprintf(stderr,
				PROG ": message %zu: cannot sign: the auth option must be the last "
				     "and carry 32 octets of data\n",
				idx + 1);
			goto out;
		}
	}
	if (o->pcap || (o->have_src && o->have_dst) || (pm.have_src && pm.have_dst)) {
		uint16_t c = mh_checksum(&pm.src, &pm.dst, buf, (size_t)len);

		buf[4] = (uint8_t)(c >> 8);
		buf[5] = (uint8_t)c;
	}
	if (o->hex) {
		for (int i = 0; i < len; i++)
			fprintf(out, "%02x", buf[i]);
		fputc('\n', out);
	} else if (pcap_write_packet(dump, (uint32_t)idx, o->eth, &pm, buf, (size_t)len)) {
		fprintf(stderr, PROG ": %s: write failed\n", o->pcap);
		goto out;
	}
	rc = 0;
out:
	json_decref(j);
	free(m);
	return rc;
}

static char *read_all(FILE *f, size_t *len)
{
	size_t cap = 65536, n = 0, r;
	char *buf = malloc(cap + 1), *nb;

	if (!buf)
		return NULL;
	while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap) {
			cap *= 2;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				free(buf);
				return NULL;
			}
			buf = nb;
		}
	}
	buf[n] = 0;
	*len = n;
	return buf;
}

static int cmd_encode(const struct opts *o)
{
	size_t len, pos = 0, idx = 0;
	char *in = read_all(stdin, &len);
	pcap_t *dead = NULL;
	pcap_dumper_t *dump = NULL;
	int rc = 1;

	if (!in) {
		fprintf(stderr, PROG ": cannot read standard input\n");
		return 1;
	}
	if (o->pcap) {
		dead = pcap_open_dead(o->eth ? DLT_EN10MB : DLT_RAW, 65535);
		dump = dead ? pcap_dump_open(dead, o->pcap) : NULL;
		if (!dump) {
			fprintf(stderr, PROG ": %s: %s\n", o->pcap,
				dead ? pcap_geterr(dead) : "cannot create a pcap writer");
			goto out;
		}
	}
	for (;;) {
		json_error_t jerr;
		json_t *j;

		while (pos < len && strchr(" \t\r\n", in[pos]))
			pos++;
		if (pos >= len)
			break;
		j = json_loadb(in + pos, len - pos, JSON_DISABLE_EOF_CHECK, &jerr);
		if (!j) {
			fprintf(stderr, PROG ": input is not valid JSON (line %d, column %d): %s\n",
				jerr.line, jerr.column, jerr.text);
			goto out;
		}
		pos += (size_t)jerr.position;
		if (json_is_array(j)) {
			size_t i;
			json_t *e;

			json_array_foreach(j, i, e)
			{
				if (encode_one(e, idx++, o, dump, stdout)) {
					json_decref(j);
					goto out;
				}
			}
		} else if (encode_one(j, idx++, o, dump, stdout)) {
			json_decref(j);
			goto out;
		}
		json_decref(j);
	}
	if (idx == 0) {
		fprintf(stderr, PROG ": no messages on standard input\n");
		goto out;
	}
	rc = 0;
out:
	if (dump) {
		if (pcap_dump_flush(dump) && rc == 0) {
			fprintf(stderr, PROG ": %s: write failed: %s\n", o->pcap, strerror(errno));
			rc = 1;
		}
		pcap_dump_close(dump);
	}
	if (dead)
		pcap_close(dead);
	fflush(stdout);
	free(in);
	return rc;
}

/* ---- decode ---------------------------------------------------------------------------- */

/* Where a message came from in a capture (NULL for hex input). */
struct pkt_where {
	size_t frame;
	char time[40];
	struct in6_addr src, dst;
};

static json_t *addr_str(const struct in6_addr *a)
{
	char s[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET6, a, s, sizeof(s));
	return json_string(s);
}

static int print_msg(const uint8_t *mh, size_t len, const char *where, const struct pkt_where *pw)
{
	struct mh_msg *m = malloc(sizeof(*m));
	struct mh_err err = {0};
	json_t *j;
	char *s;

	if (!m)
		return -1;
	if (mh_decode(mh, len, m, &err)) {
		fprintf(stderr, PROG ": %s: malformed Mobility Header at offset %zu: %s\n", where,
			err.offset, err.msg);
		free(m);
		return -1;
	}
	j = mh_to_json(m);
	if (j && pw) {
		json_object_set_new(j, "frame", json_integer((json_int_t)pw->frame));
		json_object_set_new(j, "time", json_string(pw->time));
		json_object_set_new(j, "src", addr_str(&pw->src));
		json_object_set_new(j, "dst", addr_str(&pw->dst));
	}
	s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	if (s)
		puts(s);
	free(s);
	json_decref(j);
	free(m);
	return s ? 0 : -1;
}

static int cmd_decode_hex(void)
{
	char *line = NULL, where[64];
	size_t cap = 0, lineno = 0, n = 0;
	uint8_t buf[4096];
	int rc = 0;

	while (getline(&line, &cap, stdin) >= 0) {
		size_t blen = 0;
		int hi = -1;
		char *p = line;

		lineno++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '#' || *p == '\n' || *p == '\r' || !*p)
			continue;
		snprintf(where, sizeof(where), "line %zu", lineno);
		for (; *p && *p != '\n' && *p != '\r'; p++) {
			int v;

			if (*p == ' ' || *p == ':' || *p == '\t')
				continue;
			if (*p >= '0' && *p <= '9')
				v = *p - '0';
			else if (*p >= 'a' && *p <= 'f')
				v = *p - 'a' + 10;
			else if (*p >= 'A' && *p <= 'F')
				v = *p - 'A' + 10;
			else {
				fprintf(stderr, PROG ": line %zu: '%c' is not a hex digit\n",
					lineno, *p);
				rc = 1;
				goto out;
			}
			if (blen >= sizeof(buf)) {
				fprintf(stderr, PROG ": line %zu: message longer than %zu octets\n",
					lineno, sizeof(buf));
				rc = 1;
				goto out;
			}
			if (hi < 0) {
				hi = v;
			} else {
				buf[blen++] = (uint8_t)(hi << 4 | v);
				hi = -1;
			}
		}
		if (hi >= 0) {
			fprintf(stderr, PROG ": line %zu: odd number of hex digits\n", lineno);
			rc = 1;
			goto out;
		}
		n++;
		if (print_msg(buf, blen, where, NULL)) {
			rc = 1;
			goto out;
		}
	}
	if (!n) {
		fprintf(stderr, PROG ": no messages on standard input\n");
		rc = 1;
	}
out:
	free(line);
	return rc;
}

/* Finds the MH in an IPv6 packet; returns its offset or -1 (not MH), -2 (malformed). */
static long find_mh(const uint8_t *p, size_t len, size_t *mhlen)
{
	size_t off = IP6_HLEN, plen;
	uint8_t nh;

	if (len < IP6_HLEN || (p[0] >> 4) != 6)
		return -1;
	plen = (size_t)p[4] << 8 | p[5];
	if (IP6_HLEN + plen > len)
		return -2;
	len = IP6_HLEN + plen;
	nh = p[6];
	for (int i = 0; i < 8; i++) {
		if (nh == MH_PROTO) {
			*mhlen = len - off;
			return (long)off;
		}
		if (nh != 0 && nh != 43 && nh != 60)
			return -1; /* no MH (fragments are not reassembled) */
		if (len - off < 8)
			return -2;
		nh = p[off];
		off += ((size_t)p[off + 1] + 1) * 8;
		if (off > len)
			return -2;
	}
	return -1;
}

/* Offset of the IPv6 header for a link type, or -1 when the frame is not IPv6. */
static long l2_offset(int dlt, const uint8_t *p, size_t caplen)
{
	switch (dlt) {
	case DLT_RAW:
	case DLT_IPV6:
		return 0;
	case DLT_EN10MB:
		if (caplen >= ETH_HLEN + 4 && p[12] == 0x81 && p[13] == 0x00 && p[16] == 0x86 &&
		    p[17] == 0xdd)
			return ETH_HLEN + 4; /* one 802.1Q tag */
		return caplen >= ETH_HLEN && p[12] == 0x86 && p[13] == 0xdd ? ETH_HLEN : -1;
	case DLT_LINUX_SLL:
		return caplen >= SLL_HLEN && p[14] == 0x86 && p[15] == 0xdd ? SLL_HLEN : -1;
	case DLT_LINUX_SLL2:
		return caplen >= SLL2_HLEN && p[0] == 0x86 && p[1] == 0xdd ? SLL2_HLEN : -1;
	}
	return -1;
}

static int cmd_decode_pcap(const char *path)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	pcap_t *pc =
	    pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, ebuf);
	struct pcap_pkthdr *h;
	const u_char *pkt;
	size_t idx = 0, n = 0;
	int dlt, r, rc = 1;

	if (!pc) {
		fprintf(stderr, PROG ": %s: not a readable pcap or pcapng file: %s\n", path, ebuf);
		return 1;
	}
	dlt = pcap_datalink(pc);
	if (dlt != DLT_RAW && dlt != DLT_IPV6 && dlt != DLT_EN10MB && dlt != DLT_LINUX_SLL &&
	    dlt != DLT_LINUX_SLL2) {
		fprintf(stderr,
			PROG ": %s: unsupported link type %s (raw IPv6, Ethernet, Linux cooked)\n",
			path,
			pcap_datalink_val_to_name(dlt) ? pcap_datalink_val_to_name(dlt) : "?");
		goto out;
	}
	while ((r = pcap_next_ex(pc, &h, &pkt)) == 1) {
		size_t mhlen = 0, caplen = h->caplen;
		long l2, off;
		char where[PATH_MAX + 32]; /* "<path>: packet N", never cut */
		struct pkt_where pw;

		idx++;
		l2 = l2_offset(dlt, pkt, caplen);
		if (l2 < 0)
			continue;
		off = find_mh(pkt + l2, caplen - (size_t)l2, &mhlen);
		snprintf(where, sizeof(where), "%s: packet %zu", path, idx);
		if (off == -2) {
			fprintf(stderr, PROG ": %s: malformed IPv6 packet\n", where);
			goto out;
		}
		if (off < 0)
			continue;
		n++;
		pw.frame = idx;
		snprintf(pw.time, sizeof(pw.time), "%lld.%09ld", (long long)h->ts.tv_sec,
			 (long)h->ts.tv_usec);
		memcpy(&pw.src, pkt + l2 + 8, 16);
		memcpy(&pw.dst, pkt + l2 + 24, 16);
		if (mh_checksum(&pw.src, &pw.dst, pkt + l2 + off, mhlen) != 0)
			fprintf(stderr, PROG ": %s: warning: wrong MH checksum\n", where);
		if (print_msg(pkt + l2 + off, mhlen, where, &pw))
			goto out;
	}
	if (r == PCAP_ERROR) {
		fprintf(stderr, PROG ": %s: packet %zu: %s\n", path, idx + 1, pcap_geterr(pc));
		goto out;
	}
	if (!n) {
		fprintf(stderr, PROG ": %s: no Mobility Header messages\n", path);
		goto out;
	}
	rc = 0;
out:
	pcap_close(pc);
	return rc;
}

/* ---- main -------------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
	    {"hex", no_argument, NULL, 'x'},
	    {"pcap", required_argument, NULL, 'p'},
	    {"src", required_argument, NULL, 's'},
	    {"dst", required_argument, NULL, 'd'},
	    {"fm-type", required_argument, NULL, 'f'},
	    {"ethernet", no_argument, NULL, 'e'},
	    {"key-file", required_argument, NULL, 'k'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	struct opts o = {0};
	const char *cmd;
	int c;

	if (argc >= 2 &&
	    (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help"))) {
		fputs(usage_text, stdout);
		fputs(help_text, stdout);
		return 0;
	}
	if (argc >= 2 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))) {
		print_version();
		return 0;
	}
	if (argc < 2)
		usage_err("%s", "missing command (encode or decode)");
	cmd = argv[1];
	if (strcmp(cmd, "encode") && strcmp(cmd, "decode"))
		usage_err("unknown command '%s' (encode or decode)", cmd);
	inet_pton(AF_INET6, "fd00:11::2", &o.src);
	inet_pton(AF_INET6, "fd00:11::1", &o.dst);
	optind = 2;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hV", lopts, NULL)) != -1) {
		switch (c) {
		case 'x':
			o.hex = true;
			break;
		case 'p':
			o.pcap = optarg;
			break;
		case 's':
		case 'd':
			if (inet_pton(AF_INET6, optarg, c == 's' ? &o.src : &o.dst) != 1)
				usage_err("'%s' is not an IPv6 address", optarg);
			if (c == 's')
				o.have_src = true;
			else
				o.have_dst = true;
			break;
		case 'e':
			o.eth = true;
			break;
		case 'k': {
			char kerr[PATH_MAX + 128];

			if (mh_auth_key_file(optarg, &o.key, kerr, sizeof(kerr))) {
				fprintf(stderr, PROG ": --key-file: %s\n", kerr);
				return 2;
			}
			break;
		}
		case 'f': {
			char *end;
			long v;

			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || !*optarg || *end || v < 0 || v > 255)
				usage_err("--fm-type: '%s' is not an MH type (0 to 255)", optarg);
			mh_fm_type = (uint8_t)v;
			break;
		}
		case 'h':
			fputs(usage_text, stdout);
			fputs(help_text, stdout);
			return 0;
		case 'V':
			print_version();
			return 0;
		case ':':
			usage_err("option '%s' needs an argument", argv[optind - 1]);
			break;
		default:
			usage_err("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		usage_err("unexpected argument '%s'", argv[optind]);
	if (o.hex == !!o.pcap)
		usage_err("%s", "give exactly one of --hex or --pcap FILE");
	if (!strcmp(cmd, "decode")) {
		if (o.have_src || o.have_dst || o.eth || o.key.len)
			usage_err("%s",
				  "--src, --dst, --ethernet and --key-file apply to encode only");
		return o.hex ? cmd_decode_hex() : cmd_decode_pcap(o.pcap);
	}
	if (o.have_src != o.have_dst && o.hex)
		usage_err("%s",
			  "--hex needs both --src and --dst to fill the checksum, or neither");
	if (o.eth && o.hex)
		usage_err("%s", "--ethernet applies to --pcap only");
	return cmd_encode(&o);
}
