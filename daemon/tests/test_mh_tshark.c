/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Cross-check of the MH codec against an independent dissector: build
 * PBUs, PBAs and Heartbeats, wrap them in Ethernet + IPv6 (next header
 * 135, real checksum) in a pcap file, and ask tshark what it sees.
 * Every field must decode to the value we put in, with no malformed
 * packet and no expert info.  Skipped when tshark is not installed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "mh.h"
#include "pcapw.h"

/* Fields asked from tshark, in this order (tshark 4.0 names). */
static const char *const fields[] = {
    "frame.number",
    "mip6.proto",
    "mip6.hlen",
    "mip6.mhtype",
    "mip6.csum",
    "mip6.bu.seqnr",
    "mip6.bu.a_flag",
    "mip6.bu.h_flag",
    "mip6.bu.p_flag",
    "mip6.bu.lifetime",
    "mip6.ba.status",
    "mip6.ba.k_flag",
    "mip6.ba.p_flag",
    "mip6.ba.seqnr",
    "mip6.ba.lifetime",
    "mip6.hb.u_flag",
    "mip6.hb.r_flag",
    "mip6.hb.seqnr",
    "mip6.mnid.subtype",
    "mip6.mnid.identifier",
    "mip6.nemo.mnp.pfl",
    "mip6.nemo.mnp.mnp",
    "mip6.hi",
    "mip6.att",
    "mip6.mnlli.lli",
    "mip6.lila_lla",
    "mip6.timestamp_tmp",
    "mip6.rc",
    "_ws.malformed",
    "_ws.expert",
};
#define N_FIELDS (sizeof(fields) / sizeof(fields[0]))

/* Expected values of one packet; fields not listed must be empty. */
struct want {
	const char *field;
	const char *value;
};

#define MAX_PKTS 8
#define MAX_WANT 32

struct pkt {
	struct mh_msg m;
	const struct in6_addr *src, *dst;
	struct want want[MAX_WANT];
	char csum[8];
	char hlen[8];
};

static const struct in6_addr mag = {
    {{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a}}};
static const struct in6_addr lma = {
    {{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01}}};

/* 2024-01-01T00:00:00.5Z, printed by tshark with TZ=UTC as below. */
static const uint64_t ts_val = 0x0000659200808000ULL;
static const char *const ts_str = "Jan  1, 2024 00:00:00.500000000 UTC";

/* Temporary files of the running test, removed by its teardown. */
static char tmp_dir[64];
static char tmp_file[96];

static int
make_tmp(const char *name)
{
	snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/pmip-mh-XXXXXX");
	assert_non_null(mkdtemp(tmp_dir));
	snprintf(tmp_file, sizeof(tmp_file), "%s/%s", tmp_dir, name);
	return 0;
}

static int
cleanup(void **state)
{
	if (tmp_file[0] != '\0')
		unlink(tmp_file);
	if (tmp_dir[0] != '\0')
		rmdir(tmp_dir);
	tmp_file[0] = tmp_dir[0] = '\0';
	return 0;
}

static int
have_tshark(void)
{
	return system("command -v tshark >/dev/null 2>&1") == 0;
}

static void
set_want(struct pkt *p, const struct want *w)
{
	for (size_t i = 0; w[i].field != NULL; i++) {
		assert_true(i < MAX_WANT - 1);
		p->want[i] = w[i];
	}
}

static void
add_hnp(struct mh_opts *o, const char *s, uint8_t len)
{
	assert_true(o->n_hnp < MH_MAX_HNP);
	assert_int_equal(inet_pton(AF_INET6, s, &o->hnp[o->n_hnp].prefix), 1);
	o->hnp[o->n_hnp++].len = len;
}

static void
set_nai(struct mh_opts *o, const char *nai)
{
	o->present |= MH_F_MNID;
	o->mnid_subtype = MH_MNID_SUBTYPE_NAI;
	o->mnid_len = (uint8_t)strlen(nai);
	memcpy(o->mnid, nai, o->mnid_len + 1);
}

/*
 * The packets: a full PBU, a de-registration PBU, an accepting PBA with
 * MH_MAX_HNP prefixes, a refusing PBA (status 156, three prefixes, every
 * option), and a Heartbeat request and response.
 */
static size_t
make_pkts(struct pkt *p)
{
	static const uint8_t mac[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
	static char hnps[256];
	static char pfls[64];
	size_t n = 0;
	struct mh_opts *o;

	memset(p, 0, sizeof(*p) * MAX_PKTS);

	/* 1: PBU with every option. */
	p[n].src = &mag;
	p[n].dst = &lma;
	p[n].m.type = MH_TYPE_BU;
	p[n].m.bu.seq = 4660;
	p[n].m.bu.flags = MH_BU_A | MH_BU_H | MH_BU_P;
	p[n].m.bu.lifetime = 150;
	o = &p[n].m.opts;
	set_nai(o, "mn1@example.org");
	add_hnp(o, "2001:db8:1::", 64);
	o->present |=
	    MH_F_HI | MH_F_ATT | MH_F_MNLLID | MH_F_LLA | MH_F_TIMESTAMP;
	o->hi = MH_HI_NEW_IF;
	o->att = 4;
	o->llid_len = 6;
	memcpy(o->llid, mac, 6);
	assert_int_equal(inet_pton(AF_INET6, "fe80::1", &o->lla), 1);
	o->timestamp = ts_val;
	set_want(&p[n], (struct want[]){
			    {"mip6.mhtype", "5"},
			    {"mip6.bu.seqnr", "4660"},
			    {"mip6.bu.a_flag", "1"},
			    {"mip6.bu.h_flag", "1"},
			    {"mip6.bu.p_flag", "1"},
			    {"mip6.bu.lifetime", "150"},
			    {"mip6.mnid.subtype", "1"},
			    {"mip6.mnid.identifier", "mn1@example.org"},
			    {"mip6.nemo.mnp.pfl", "64"},
			    {"mip6.nemo.mnp.mnp", "2001:db8:1::"},
			    {"mip6.hi", "1"},
			    {"mip6.att", "4"},
			    {"mip6.mnlli.lli", "021122334455"},
			    {"mip6.lila_lla", "fe80::1"},
			    {"mip6.timestamp_tmp", ts_str},
			    {NULL, NULL},
			});
	n++;

	/* 2: de-registration PBU, lifetime 0, HI "not changed". */
	p[n].src = &mag;
	p[n].dst = &lma;
	p[n].m.type = MH_TYPE_BU;
	p[n].m.bu.seq = 65535;
	p[n].m.bu.flags = MH_BU_A | MH_BU_H | MH_BU_P;
	p[n].m.bu.lifetime = 0;
	o = &p[n].m.opts;
	set_nai(o, "user.name+tag@pmip.example.net");
	add_hnp(o, "2001:db8:abcd:12::", 64);
	o->present |= MH_F_HI | MH_F_ATT | MH_F_TIMESTAMP;
	o->hi = MH_HI_NOT_CHANGED;
	o->att = 3;
	o->timestamp = ts_val;
	set_want(&p[n],
		 (struct want[]){
		     {"mip6.mhtype", "5"},
		     {"mip6.bu.seqnr", "65535"},
		     {"mip6.bu.a_flag", "1"},
		     {"mip6.bu.h_flag", "1"},
		     {"mip6.bu.p_flag", "1"},
		     {"mip6.bu.lifetime", "0"},
		     {"mip6.mnid.subtype", "1"},
		     {"mip6.mnid.identifier", "user.name+tag@pmip.example.net"},
		     {"mip6.nemo.mnp.pfl", "64"},
		     {"mip6.nemo.mnp.mnp", "2001:db8:abcd:12::"},
		     {"mip6.hi", "5"},
		     {"mip6.att", "3"},
		     {"mip6.timestamp_tmp", ts_str},
		     {NULL, NULL},
		 });
	n++;

	/* 3: accepting PBA with MH_MAX_HNP prefixes of varied lengths. */
	p[n].src = &lma;
	p[n].dst = &mag;
	p[n].m.type = MH_TYPE_BA;
	p[n].m.ba.status = MH_ST_ACCEPTED;
	p[n].m.ba.flags = MH_BA_P;
	p[n].m.ba.seq = 4660;
	p[n].m.ba.lifetime = 150;
	o = &p[n].m.opts;
	set_nai(o, "mn1@example.org");
	hnps[0] = pfls[0] = '\0';
	for (unsigned i = 0; i < MH_MAX_HNP; i++) {
		char s[64];
		snprintf(s, sizeof(s), "2001:db8:%x::", 0x100 + i);
		add_hnp(o, s, (uint8_t)(56 + i));
		snprintf(hnps + strlen(hnps), sizeof(hnps) - strlen(hnps),
			 "%s%s", i ? "," : "", s);
		snprintf(pfls + strlen(pfls), sizeof(pfls) - strlen(pfls),
			 "%s%u", i ? "," : "", 56 + i);
	}
	o->present |= MH_F_HI | MH_F_ATT | MH_F_TIMESTAMP;
	o->hi = MH_HI_NEW_IF;
	o->att = 4;
	o->timestamp = ts_val;
	set_want(&p[n], (struct want[]){
			    {"mip6.mhtype", "6"},
			    {"mip6.ba.status", "0"},
			    {"mip6.ba.k_flag", "0"},
			    {"mip6.ba.p_flag", "1"},
			    {"mip6.ba.seqnr", "4660"},
			    {"mip6.ba.lifetime", "150"},
			    {"mip6.mnid.subtype", "1"},
			    {"mip6.mnid.identifier", "mn1@example.org"},
			    {"mip6.nemo.mnp.pfl", pfls},
			    {"mip6.nemo.mnp.mnp", hnps},
			    {"mip6.hi", "1"},
			    {"mip6.att", "4"},
			    {"mip6.timestamp_tmp", ts_str},
			    {NULL, NULL},
			});
	n++;

	/*
	 * 4: refusing PBA, status 156 TIMESTAMP_MISMATCH, which carries
	 * the LMA's current time (RFC 5213 5.5), three prefixes and every
	 * other option.
	 */
	p[n].src = &lma;
	p[n].dst = &mag;
	p[n].m.type = MH_TYPE_BA;
	p[n].m.ba.status = MH_ST_TIMESTAMP_MISMATCH;
	p[n].m.ba.flags = MH_BA_P;
	p[n].m.ba.seq = 17;
	p[n].m.ba.lifetime = 0;
	o = &p[n].m.opts;
	set_nai(o, "mn2@example.org");
	add_hnp(o, "2001:db8:a::", 64);
	add_hnp(o, "2001:db8:b::", 48);
	add_hnp(o, "2001:db8:c:d::", 128);
	o->present |=
	    MH_F_HI | MH_F_ATT | MH_F_MNLLID | MH_F_LLA | MH_F_TIMESTAMP;
	o->hi = MH_HI_MAG_HANDOFF;
	o->att = 4;
	o->llid_len = 6;
	memcpy(o->llid, mac, 6);
	assert_int_equal(
	    inet_pton(AF_INET6, "fe80::200:5eff:fe00:5213", &o->lla), 1);
	o->timestamp = ts_val;
	set_want(&p[n], (struct want[]){
			    {"mip6.mhtype", "6"},
			    {"mip6.ba.status", "156"},
			    {"mip6.ba.k_flag", "0"},
			    {"mip6.ba.p_flag", "1"},
			    {"mip6.ba.seqnr", "17"},
			    {"mip6.ba.lifetime", "0"},
			    {"mip6.mnid.subtype", "1"},
			    {"mip6.mnid.identifier", "mn2@example.org"},
			    {"mip6.nemo.mnp.pfl", "64,48,128"},
			    {"mip6.nemo.mnp.mnp",
			     "2001:db8:a::,2001:db8:b::,2001:db8:c:d::"},
			    {"mip6.hi", "3"},
			    {"mip6.att", "4"},
			    {"mip6.mnlli.lli", "021122334455"},
			    {"mip6.lila_lla", "fe80::200:5eff:fe00:5213"},
			    {"mip6.timestamp_tmp", ts_str},
			    {NULL, NULL},
			});
	n++;

	/* 5: Heartbeat request, no options. */
	p[n].src = &mag;
	p[n].dst = &lma;
	p[n].m.type = MH_TYPE_HB;
	p[n].m.hb.flags = 0;
	p[n].m.hb.seq = 100000;
	set_want(&p[n], (struct want[]){
			    {"mip6.mhtype", "13"},
			    {"mip6.hb.u_flag", "0"},
			    {"mip6.hb.r_flag", "0"},
			    {"mip6.hb.seqnr", "100000"},
			    {NULL, NULL},
			});
	n++;

	/* 6: Heartbeat response with a Restart Counter. */
	p[n].src = &lma;
	p[n].dst = &mag;
	p[n].m.type = MH_TYPE_HB;
	p[n].m.hb.flags = MH_HB_R;
	p[n].m.hb.seq = 100000;
	p[n].m.opts.present = MH_F_RESTART_COUNTER;
	p[n].m.opts.restart_counter = 4000000000u;
	set_want(&p[n], (struct want[]){
			    {"mip6.mhtype", "13"},
			    {"mip6.hb.u_flag", "0"},
			    {"mip6.hb.r_flag", "1"},
			    {"mip6.hb.seqnr", "100000"},
			    {"mip6.rc", "4000000000"},
			    {NULL, NULL},
			});
	n++;

	assert_true(n <= MAX_PKTS);
	return n;
}

/* Ethernet II (MAG -> LMA MACs do not matter) + IPv6 + MH. */
static size_t
frame(uint8_t *buf, size_t cap, const struct in6_addr *src,
      const struct in6_addr *dst, const uint8_t *mh, size_t len)
{
	static const uint8_t eth[14] = {0x02, 0, 0, 0, 0,    0x02, 0x02,
					0,    0, 0, 0, 0x01, 0x86, 0xdd};
	ssize_t n;

	assert_true(cap > sizeof(eth));
	memcpy(buf, eth, sizeof(eth));
	n = pcapw_ipv6(buf + sizeof(eth), cap - sizeof(eth), src, dst,
		       IPPROTO_MH_, mh, len);
	assert_true(n > 0);
	return sizeof(eth) + (size_t)n;
}

static void
write_pcap(const char *path, struct pkt *p, size_t n)
{
	struct pcapw w;

	assert_int_equal(pcapw_open(&w, path, PCAPW_LINKTYPE_ETHERNET), 0);
	for (size_t i = 0; i < n; i++) {
		uint8_t mh[MH_MAX_LEN], fr[MH_MAX_LEN + 64];
		struct timespec ts = {.tv_sec = 1704067200, .tv_nsec = 0};
		ssize_t len;
		size_t flen;

		len = mh_build(&p[i].m, p[i].src, p[i].dst, mh, sizeof(mh));
		assert_true(len > 0);
		/* The checksum we filled in must verify. */
		assert_int_equal(
		    mh_checksum(p[i].src, p[i].dst, mh, (size_t)len), 0);
		snprintf(p[i].csum, sizeof(p[i].csum), "0x%02x%02x", mh[4],
			 mh[5]);
		snprintf(p[i].hlen, sizeof(p[i].hlen), "%u", mh[1]);
		flen =
		    frame(fr, sizeof(fr), p[i].src, p[i].dst, mh, (size_t)len);
		ts.tv_nsec = (long)i * 1000;
		assert_int_equal(pcapw_write(&w, &ts, fr, flen), 0);
	}
	assert_int_equal(pcapw_close(&w), 0);
}

static const char *
want_of(const struct pkt *p, size_t frameno, const char *field)
{
	static char num[16];

	if (strcmp(field, "frame.number") == 0) {
		snprintf(num, sizeof(num), "%zu", frameno);
		return num;
	}
	if (strcmp(field, "mip6.proto") == 0)
		return "59";
	if (strcmp(field, "mip6.csum") == 0)
		return p->csum;
	if (strcmp(field, "mip6.hlen") == 0)
		return p->hlen;
	for (size_t i = 0; i < MAX_WANT && p->want[i].field; i++)
		if (strcmp(p->want[i].field, field) == 0)
			return p->want[i].value;
	return "";
}

/* Run cmd, return its whole standard output (caller frees). */
static char *
run(const char *cmd)
{
	FILE *f = popen(cmd, "r");
	size_t cap = 65536, len = 0, r;
	char *out = malloc(cap);

	assert_non_null(f);
	assert_non_null(out);
	while ((r = fread(out + len, 1, cap - 1 - len, f)) > 0) {
		len += r;
		if (len == cap - 1) {
			cap *= 2;
			out = realloc(out, cap);
			assert_non_null(out);
		}
	}
	out[len] = '\0';
	assert_int_equal(pclose(f), 0);
	return out;
}

static void
check_fields(const char *path, const struct pkt *p, size_t n)
{
	char cmd[4096];
	size_t off;
	char *out, *line, *save = NULL;
	size_t frameno = 0;

	off = (size_t)snprintf(cmd, sizeof(cmd),
			       "TZ=UTC tshark -n -r '%s' -T fields "
			       "-E separator=/t -E occurrence=a "
			       "-E aggregator=, -E quote=n",
			       path);
	for (size_t i = 0; i < N_FIELDS; i++)
		off += (size_t)snprintf(cmd + off, sizeof(cmd) - off, " -e %s",
					fields[i]);
	snprintf(cmd + off, sizeof(cmd) - off, " 2>/dev/null");
	assert_true(strlen(cmd) < sizeof(cmd) - 1);

	out = run(cmd);
	for (line = strtok_r(out, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		char *cur = line, *val;
		size_t i = 0;

		assert_true(frameno < n);
		while ((val = strsep(&cur, "\t")) != NULL) {
			const char *want;

			assert_true(i < N_FIELDS);
			want = want_of(&p[frameno], frameno + 1, fields[i]);
			if (strcmp(val, want) != 0)
				fail_msg("frame %zu %s: tshark says \"%s\", "
					 "expected \"%s\"",
					 frameno + 1, fields[i], val, want);
			i++;
		}
		assert_int_equal(i, N_FIELDS);
		frameno++;
	}
	assert_int_equal(frameno, n);
	free(out);
}

static void
check_verbose(const char *path, size_t n)
{
	char cmd[4096];
	char *out;
	size_t count = 0;

	snprintf(cmd, sizeof(cmd), "TZ=UTC tshark -n -r '%s' -V 2>/dev/null",
		 path);
	out = run(cmd);
	if (strstr(out, "Malformed") != NULL ||
	    strstr(out, "Expert Info") != NULL ||
	    strstr(out, "Invalid length") != NULL)
		fail_msg("tshark -V reports a problem:\n%s", out);
	for (const char *s = out; (s = strstr(s, "Mobile IPv6\n")) != NULL; s++)
		count++;
	assert_int_equal(count, n);
	assert_non_null(strstr(out, "Proxy Registration (P) flag: Proxy "
				    "Registration"));
	assert_non_null(strstr(out, "Subtype: Network Access Identifier "
				    "(NAI) (1)"));
	assert_non_null(strstr(out, "(156)"));
	assert_non_null(strstr(out, "Restart Counter: 4000000000"));
	free(out);
}

static void
test_tshark_decodes(void **state)
{
	struct pkt *p;
	size_t n;

	if (!have_tshark()) {
		print_message("tshark not found in PATH: skipping the "
			      "independent decode check\n");
		skip();
	}
	p = calloc(MAX_PKTS, sizeof(*p));
	assert_non_null(p);
	n = make_pkts(p);
	make_tmp("mh.pcap");
	write_pcap(tmp_file, p, n);
	check_fields(tmp_file, p, n);
	check_verbose(tmp_file, n);
	free(p);
	assert_int_equal(unlink(tmp_file), 0);
	assert_int_equal(rmdir(tmp_dir), 0);
	tmp_file[0] = tmp_dir[0] = '\0';
}

/*
 * The check above is only worth something if tshark does flag what is
 * wrong: an MN Identifier that is not an NAI, written by hand into a
 * raw-IPv6 pcap, must come out as malformed or with expert info.
 */
static void
test_tshark_flags_malformed(void **state)
{
	char cmd[512];
	uint8_t mh[24] = {
	    59,		 2, MH_TYPE_BU, 0,   0,
	    0, /* header */
	    0,		 1, 0xc2,	0,   0,
	    1,					  /* seq 1, A H P, lifetime 1 */
	    MH_OPT_MNID, 3, 2,		'a', 'b', /* subtype 2: not an NAI */
	    MH_OPT_HNP,	 0,			  /* HNP with length 0 */
	    1,		 1, 0,			  /* PadN to 24 */
	};
	uint8_t fr[128];
	struct pcapw w;
	ssize_t n;
	char *out;
	uint16_t c;

	if (!have_tshark()) {
		print_message("tshark not found in PATH: skipping\n");
		skip();
	}
	c = mh_checksum(&mag, &lma, mh, sizeof(mh));
	mh[4] = (uint8_t)(c >> 8);
	mh[5] = (uint8_t)c;
	n = pcapw_ipv6(fr, sizeof(fr), &mag, &lma, IPPROTO_MH_, mh, sizeof(mh));
	assert_true(n > 0);
	make_tmp("bad.pcap");
	assert_int_equal(pcapw_open(&w, tmp_file, PCAPW_LINKTYPE_RAW), 0);
	assert_int_equal(pcapw_write(&w, NULL, fr, (size_t)n), 0);
	assert_int_equal(pcapw_close(&w), 0);

	snprintf(cmd, sizeof(cmd),
		 "tshark -n -r '%s' -T fields -e mip6.mhtype -e _ws.malformed "
		 "-e _ws.expert 2>/dev/null",
		 tmp_file);
	out = run(cmd);
	assert_true(strncmp(out, "5\t", 2) == 0);
	/* Something after the MH type: malformed and/or expert info. */
	assert_true(strspn(out + 2, "\t\n") < strlen(out + 2));
	free(out);
	assert_int_equal(unlink(tmp_file), 0);
	assert_int_equal(rmdir(tmp_dir), 0);
	tmp_file[0] = tmp_dir[0] = '\0';
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_tshark_decodes, cleanup),
	    cmocka_unit_test_teardown(test_tshark_flags_malformed, cleanup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
