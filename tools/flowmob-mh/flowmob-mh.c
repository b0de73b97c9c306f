// SPDX-License-Identifier: GPL-2.0
/*
 * flowmob-mh — encode JSON Mobility Header messages to wire bytes (hex or a pcap of
 * IPv6 packets with a correct MH checksum) and decode hex or pcap back to JSON, one
 * object per line. The JSON form is documented in docs/mh-json.md; the codec is
 * agent/mh/mh.c, the JSON mapping agent/mh/mh_json.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "mh/mh.h"
#include "mh/mh_json.h"

#define PROG		   "flowmob-mh"
#define LINKTYPE_ETHERNET  1
#define LINKTYPE_RAW	   101
#define LINKTYPE_LINUX_SLL 113
#define IP6_HLEN	   40
#define ETH_HLEN	   14
#define PCAP_TS_BASE	   1764162000u

static const char usage_text[] =
    "Usage:\n"
    "  " PROG " encode [--src ADDR] [--dst ADDR] [--fm-type N] [--ethernet] (--hex | --pcap "
    "FILE)\n"
    "  " PROG " decode [--fm-type N] (--hex | --pcap FILE)\n"
    "  " PROG " --help\n";

static const char help_text[] =
    "\n"
    "Encode and decode IPv6 Mobility Header messages (RFC 6275 framing) as used by\n"
    "flowmob: PBU/PBA (RFC 5213), BRI/BRA (RFC 5846), Heartbeat (RFC 5847), Binding\n"
    "Error, FMI/FMA (draft-ietf-netext-pmipv6-flowmob) and UPN/UPA (RFC 7077), with\n"
    "their mobility options. The JSON form is described in docs/mh-json.md.\n"
    "\n"
    "encode\n"
    "  Reads JSON messages on standard input, either one object per line (any sequence\n"
    "  of JSON objects) or one JSON array of objects, for example\n"
    "    {\"type\":\"pbu\",\"seq\":7,\"flags\":\"AP\",\"lifetime\":400,\n"
    "     \"options\":[{\"type\":\"mn-id\",\"subtype\":1,\"id\":\"mn1@example.net\"}]}\n"
    "  Options are padded to their alignment and the message to 8 octets.\n"
    "  --hex         write each message as one line of lowercase hex on standard output;\n"
    "                the checksum field is filled only when --src and --dst are given\n"
    "  --pcap FILE   write a pcap file of IPv6 packets (next header 135) with a correct\n"
    "                MH checksum; '-' is standard output\n"
    "  --src ADDR    IPv6 source for the checksum and the packets (default fd00:11::2)\n"
    "  --dst ADDR    IPv6 destination (default fd00:11::1)\n"
    "  --ethernet    pcap link type Ethernet (02:00:00:00:00:01 -> :02) instead of raw IPv6\n"
    "\n"
    "decode\n"
    "  Prints one JSON object per message on standard output.\n"
    "  --hex         read hex messages, one per line, on standard input (spaces and ':'\n"
    "                inside a line are ignored; empty lines and lines starting with '#'\n"
    "                are skipped)\n"
    "  --pcap FILE   read IPv6 packets from a pcap file (raw IPv6, Ethernet or Linux\n"
    "                cooked capture; '-' is standard input); packets without a Mobility\n"
    "                Header are skipped; a wrong MH checksum is reported on stderr\n"
    "\n"
    "common\n"
    "  --fm-type N   the MH type of FMI/FMA (default 11, the experimental MH type)\n"
    "  -h, --help    this text\n"
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

static void usage_err(const char *fmt, const char *arg)
{
	fprintf(stderr, PROG ": ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n%sTry '" PROG " --help' for more information.\n", usage_text);
	exit(2);
}

/* ---- output: pcap ------------------------------------------------------------------- */

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = v >> 24;
}

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = v & 0xff;
	p[1] = v >> 8;
}

static int pcap_write_header(FILE *f, uint32_t linktype)
{
	uint8_t h[24];

	put_le32(h, 0xa1b2c3d4);
	put_le16(h + 4, 2);
	put_le16(h + 6, 4);
	put_le32(h + 8, 0);
	put_le32(h + 12, 0);
	put_le32(h + 16, 65535);
	put_le32(h + 20, linktype);
	return fwrite(h, sizeof(h), 1, f) == 1 ? 0 : -1;
}

static int pcap_write_packet(FILE *f, uint32_t idx, bool eth, const struct in6_addr *src,
			     const struct in6_addr *dst, const uint8_t *mh, size_t mhlen)
{
	static const uint8_t ethhdr[ETH_HLEN] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x86, 0xdd};
	uint8_t rec[16], ip6[IP6_HLEN] = {0x60};
	size_t caplen = (eth ? ETH_HLEN : 0) + IP6_HLEN + mhlen;

	put_le32(rec, PCAP_TS_BASE + idx);
	put_le32(rec + 4, 0);
	put_le32(rec + 8, (uint32_t)caplen);
	put_le32(rec + 12, (uint32_t)caplen);
	ip6[4] = (uint8_t)(mhlen >> 8);
	ip6[5] = (uint8_t)mhlen;
	ip6[6] = MH_PROTO;
	ip6[7] = 64;
	memcpy(ip6 + 8, src, 16);
	memcpy(ip6 + 24, dst, 16);
	if (fwrite(rec, sizeof(rec), 1, f) != 1 || (eth && fwrite(ethhdr, ETH_HLEN, 1, f) != 1) ||
	    fwrite(ip6, IP6_HLEN, 1, f) != 1 || fwrite(mh, mhlen, 1, f) != 1)
		return -1;
	return 0;
}

/* ---- encode ---------------------------------------------------------------------------- */

struct opts {
	bool hex;
	const char *pcap;
	bool eth;
	bool have_src, have_dst;
	struct in6_addr src, dst;
};

static int encode_one(const json_t *j, size_t idx, const struct opts *o, FILE *out)
{
	struct mh_msg *m = calloc(1, sizeof(*m));
	uint8_t buf[2048];
	struct mh_err err = {0};
	char msg[256];
	int len, rc = -1;

	if (!m) {
		fprintf(stderr, PROG ": out of memory\n");
		return -1;
	}
	if (mh_from_json(j, m, msg, sizeof(msg))) {
		fprintf(stderr, PROG ": message %zu: %s\n", idx + 1, msg);
		goto out;
	}
	len = mh_encode(m, buf, sizeof(buf), &err);
	if (len < 0) {
		fprintf(stderr, PROG ": message %zu: cannot encode: %s\n", idx + 1, err.msg);
		goto out;
	}
	if (o->pcap || (o->have_src && o->have_dst)) {
		uint16_t c = mh_checksum(&o->src, &o->dst, buf, (size_t)len);

		buf[4] = (uint8_t)(c >> 8);
		buf[5] = (uint8_t)c;
	}
	if (o->hex) {
		for (int i = 0; i < len; i++)
			fprintf(out, "%02x", buf[i]);
		fputc('\n', out);
	} else if (pcap_write_packet(out, (uint32_t)idx, o->eth, &o->src, &o->dst, buf,
				     (size_t)len)) {
		fprintf(stderr, PROG ": %s: write failed: %s\n", o->pcap, strerror(errno));
		goto out;
	}
	rc = 0;
out:
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
	FILE *out = stdout;
	int rc = 1;

	if (!in) {
		fprintf(stderr, PROG ": cannot read standard input\n");
		return 1;
	}
	if (o->pcap && strcmp(o->pcap, "-")) {
		out = fopen(o->pcap, "wb");
		if (!out) {
			fprintf(stderr, PROG ": %s: %s\n", o->pcap, strerror(errno));
			free(in);
			return 1;
		}
	}
	if (o->pcap && pcap_write_header(out, o->eth ? LINKTYPE_ETHERNET : LINKTYPE_RAW)) {
		fprintf(stderr, PROG ": %s: write failed\n", o->pcap);
		goto out;
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
				if (encode_one(e, idx++, o, out)) {
					json_decref(j);
					goto out;
				}
			}
		} else if (encode_one(j, idx++, o, out)) {
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
	if (out != stdout) {
		if (fclose(out) && rc == 0) {
			fprintf(stderr, PROG ": %s: %s\n", o->pcap, strerror(errno));
			rc = 1;
		}
	} else {
		fflush(out);
	}
	free(in);
	return rc;
}

/* ---- decode ---------------------------------------------------------------------------- */

static int print_msg(const uint8_t *mh, size_t len, const char *where)
{
	struct mh_msg *m = calloc(1, sizeof(*m));
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
		if (print_msg(buf, blen, where)) {
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

static uint32_t rd32(const uint8_t *p, bool swap)
{
	return swap ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
		    : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
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

static int cmd_decode_pcap(const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	uint8_t gh[24], rec[16], *pkt = NULL;
	uint32_t linktype, snap;
	bool swap;
	size_t idx = 0, n = 0;
	int rc = 1;

	if (!f) {
		fprintf(stderr, PROG ": %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (fread(gh, sizeof(gh), 1, f) != 1) {
		fprintf(stderr, PROG ": %s: not a pcap file (too short)\n", path);
		goto out;
	}
	if (!memcmp(gh, "\xd4\xc3\xb2\xa1", 4) || !memcmp(gh, "\x4d\x3c\xb2\xa1", 4))
		swap = false;
	else if (!memcmp(gh, "\xa1\xb2\xc3\xd4", 4) || !memcmp(gh, "\xa1\xb2\x3c\x4d", 4))
		swap = true;
	else if (!memcmp(gh, "\x0a\x0d\x0d\x0a", 4)) {
		fprintf(stderr,
			PROG ": %s: pcapng is not supported; convert it with "
			     "'editcap -F pcap IN OUT'\n",
			path);
		goto out;
	} else {
		fprintf(stderr, PROG ": %s: not a pcap file (bad magic)\n", path);
		goto out;
	}
	linktype = rd32(gh + 20, swap) & 0xffff;
	snap = rd32(gh + 16, swap);
	if (linktype != LINKTYPE_RAW && linktype != LINKTYPE_ETHERNET &&
	    linktype != LINKTYPE_LINUX_SLL && linktype != 229 /* LINKTYPE_IPV6 */) {
		fprintf(stderr, PROG ": %s: unsupported link type %u (raw IPv6, Ethernet, SLL)\n",
			path, linktype);
		goto out;
	}
	(void)snap;
	pkt = malloc(262144);
	if (!pkt)
		goto out;
	while (fread(rec, sizeof(rec), 1, f) == 1) {
		uint32_t caplen = rd32(rec + 8, swap);
		size_t l2 = 0, mhlen = 0;
		long off;
		char where[PATH_MAX + 32]; /* "<path>: packet N", never cut */

		idx++;
		if (caplen > 262144) {
			fprintf(stderr, PROG ": %s: packet %zu: capture length %u too large\n",
				path, idx, caplen);
			goto out;
		}
		if (fread(pkt, 1, caplen, f) != caplen) {
			fprintf(stderr, PROG ": %s: packet %zu truncated\n", path, idx);
			goto out;
		}
		if (linktype == LINKTYPE_ETHERNET)
			l2 = ETH_HLEN;
		else if (linktype == LINKTYPE_LINUX_SLL)
			l2 = 16;
		if (caplen < l2)
			continue;
		if (l2 && (pkt[l2 - 2] != 0x86 || pkt[l2 - 1] != 0xdd))
			continue;
		off = find_mh(pkt + l2, caplen - l2, &mhlen);
		snprintf(where, sizeof(where), "%s: packet %zu", path, idx);
		if (off == -2) {
			fprintf(stderr, PROG ": %s: malformed IPv6 packet\n", where);
			goto out;
		}
		if (off < 0)
			continue;
		n++;
		{
			const uint8_t *ip = pkt + l2;
			uint16_t c =
			    mh_checksum((const struct in6_addr *)(ip + 8),
					(const struct in6_addr *)(ip + 24), ip + off, mhlen);

			if (c != 0)
				fprintf(stderr, PROG ": %s: warning: wrong MH checksum\n", where);
		}
		if (print_msg(pkt + l2 + off, mhlen, where))
			goto out;
	}
	if (!n) {
		fprintf(stderr, PROG ": %s: no Mobility Header messages\n", path);
		goto out;
	}
	rc = 0;
out:
	free(pkt);
	if (f != stdin)
		fclose(f);
	return rc;
}

/* ---- main -------------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
	    {"hex", no_argument, NULL, 'x'},	       {"pcap", required_argument, NULL, 'p'},
	    {"src", required_argument, NULL, 's'},     {"dst", required_argument, NULL, 'd'},
	    {"fm-type", required_argument, NULL, 'f'}, {"ethernet", no_argument, NULL, 'e'},
	    {"help", no_argument, NULL, 'h'},	       {NULL, 0, NULL, 0},
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
	if (argc < 2)
		usage_err("%s", "missing command (encode or decode)");
	cmd = argv[1];
	if (strcmp(cmd, "encode") && strcmp(cmd, "decode"))
		usage_err("unknown command '%s' (encode or decode)", cmd);
	inet_pton(AF_INET6, "fd00:11::2", &o.src);
	inet_pton(AF_INET6, "fd00:11::1", &o.dst);
	optind = 2;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", lopts, NULL)) != -1) {
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
		if (o.have_src || o.have_dst || o.eth)
			usage_err("%s", "--src, --dst and --ethernet apply to encode only");
		return o.hex ? cmd_decode_hex() : cmd_decode_pcap(o.pcap);
	}
	if (o.have_src != o.have_dst && o.hex)
		usage_err("%s",
			  "--hex needs both --src and --dst to fill the checksum, or neither");
	if (o.eth && o.hex)
		usage_err("%s", "--ethernet applies to --pcap only");
	return cmd_encode(&o);
}
