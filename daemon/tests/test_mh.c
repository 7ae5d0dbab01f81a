/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Mobility Header codec: golden bytes, round trips, truncation at every
 * length and one test per way a message can be malformed.
 *
 * With PMIP_WRITE_CORPUS=DIR in the environment the golden messages are
 * also written to DIR as seeds for daemon/fuzz/fuzz_mh.c.
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
#include <cmocka.h>

#include "mh.h"

/* MAG and LMA addresses of the golden checksums. */
static const struct in6_addr mag_addr = {
    {{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a}}};
static const struct in6_addr lma_addr = {
    {{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01}}};

/*
 * PBU from the MAG 2001:db8::a to the LMA 2001:db8::1, every RFC 5213
 * option once.  Option offsets are from the start of the MH, as the
 * alignment rules count them.
 */
static const uint8_t golden_pbu[112] = {
    /* RFC 6275 6.1.1 header */
    59, /* Payload Proto: IPPROTO_NONE */
    13, /* Header Len: (112 / 8) - 1 */
    5,	/* MH Type: Binding Update */
    0,	/* Reserved */
    0x37,
    0xbe, /* Checksum (independently computed, see test_checksum) */
    /* RFC 6275 6.1.7 / RFC 5213 8.1 Binding Update */
    0x12,
    0x34, /* Sequence # 4660 */
    0xc2,
    0x00, /* A H . . . . P . : 0x8000 | 0x4000 | 0x0200 */
    0x00,
    0x96, /* Lifetime 150 (x 4 s = 600 s) */
    /* @12 MN Identifier, RFC 4283 3, no alignment */
    8,
    16, /* type 8, length 16 = subtype + 15 */
    1,	/* subtype 1: NAI */
    'm',
    'n',
    '1',
    '@',
    'e',
    'x',
    'a',
    'm',
    'p',
    'l',
    'e',
    '.',
    'o',
    'r',
    'g',
    /* @30 PadN of 6 octets so that the HNP starts at 8n+4 */
    1,
    4,
    0,
    0,
    0,
    0,
    /* @36 Home Network Prefix, RFC 5213 8.3, 8n+4 */
    22,
    18, /* type 22, length 18 */
    0,	/* Reserved */
    64, /* Prefix Length */
    0x20,
    0x01,
    0x0d,
    0xb8,
    0x00,
    0x01,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0, /* 2001:db8:1:: */
    /* @56 Handoff Indicator, RFC 5213 8.4, no alignment */
    23,
    2,
    0, /* type 23, length 2, Reserved */
    1, /* HI 1: attachment over a new interface */
    /* @60 Access Technology Type, RFC 5213 8.5, no alignment */
    24,
    2,
    0, /* type 24, length 2, Reserved */
    4, /* ATT 4: IEEE 802.11a/b/g */
    /* @64 MN Link-layer Identifier, RFC 5213 8.6, 2n */
    25,
    8, /* type 25, length 8 = 2 + 6 */
    0,
    0, /* Reserved */
    0x02,
    0x00,
    0x00,
    0x00,
    0x00, /* 02:00:00:00:00:01 */
    0x01,
    /* @74 PadN of 4 octets so that the LLA starts at 8n+6 */
    1,
    2,
    0,
    0,
    /* @78 Link-local Address, RFC 5213 8.7, 8n+6 */
    26,
    16, /* type 26, length 16 */
    0xfe,
    0x80,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    1, /* fe80::1 */
    /* @96 PadN of 2 octets so that the Timestamp starts at 8n+2 */
    1,
    0,
    /* @98 Timestamp, RFC 5213 8.8, 8n+2 */
    27,
    8, /* type 27, length 8 */
    0x00,
    0x00,
    0x65,
    0x92,
    0x00, /* 48-bit seconds 1704067200 */
    0x80, /*   (2024-01-01T00:00:00Z) */
    0x80,
    0x00, /* 16-bit fraction 0x8000 = 0.5 s */
    /* @108 PadN of 4 octets: the MH is a multiple of 8 octets */
    1,
    2,
    0,
    0,
};

/* PBA from the LMA answering the PBU above, two prefixes granted. */
static const uint8_t golden_pba[104] = {
    59, /* Payload Proto */
    12, /* Header Len: (104 / 8) - 1 */
    6,	/* MH Type: Binding Acknowledgement */
    0,	/* Reserved */
    0xe8,
    0x35, /* Checksum */
    /* RFC 6275 6.1.8 / RFC 5213 8.2 Binding Acknowledgement */
    0,	  /* Status 0: accepted */
    0x20, /* K R P: P (0x20) */
    0x12,
    0x34, /* Sequence # 4660, echoed */
    0x00,
    0x96, /* Lifetime 150 */
    /* @12 MN Identifier */
    8,
    16,
    1,
    'm',
    'n',
    '1',
    '@',
    'e',
    'x',
    'a',
    'm',
    'p',
    'l',
    'e',
    '.',
    'o',
    'r',
    'g',
    /* @30 PadN 6 */
    1,
    4,
    0,
    0,
    0,
    0,
    /* @36 Home Network Prefix 2001:db8:1::/64 */
    22,
    18,
    0,
    64,
    0x20,
    0x01,
    0x0d,
    0xb8,
    0x00,
    0x01,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    /* @56 PadN 4: the second HNP at 8n+4 again */
    1,
    2,
    0,
    0,
    /* @60 Home Network Prefix 2001:db8:2::/64 */
    22,
    18,
    0,
    64,
    0x20,
    0x01,
    0x0d,
    0xb8,
    0x00,
    0x02,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    /* @80 Handoff Indicator 1 */
    23,
    2,
    0,
    1,
    /* @84 Access Technology Type 4 */
    24,
    2,
    0,
    4,
    /* @88 PadN 2: Timestamp at 8n+2 */
    1,
    0,
    /* @90 Timestamp 2024-01-01T00:00:00.5Z */
    27,
    8,
    0x00,
    0x00,
    0x65,
    0x92,
    0x00,
    0x80,
    0x80,
    0x00,
    /* @100 PadN 4 to a multiple of 8 */
    1,
    2,
    0,
    0,
};

/* Heartbeat response from the LMA, RFC 5847 5.1, with a Restart Counter. */
static const uint8_t golden_hb[24] = {
    59, /* Payload Proto */
    2,	/* Header Len: (24 / 8) - 1 */
    13, /* MH Type: Heartbeat */
    0,	/* Reserved */
    0x3d,
    0xd0, /* Checksum */
    0,	  /* Reserved */
    0x01, /* . . . . . . U R: R (response) */
    0,
    0,
    0,
    7, /* Sequence Number 7 (32 bits) */
    /* @12 PadN 2: Restart Counter at 4n+2 */
    1,
    0,
    /* @14 Restart Counter, RFC 5847 5.2 */
    28,
    4, /* type 28, length 4 */
    0,
    0,
    0,
    3, /* Restart Counter 3 */
    /* @20 PadN 4 to a multiple of 8 */
    1,
    2,
    0,
    0,
};

static void
set_prefix(struct mh_prefix *p, const char *s, uint8_t len)
{
	assert_int_equal(inet_pton(AF_INET6, s, &p->prefix), 1);
	p->len = len;
}

static void
set_nai(struct mh_opts *o, const char *nai)
{
	o->present |= MH_F_MNID;
	o->mnid_subtype = MH_MNID_SUBTYPE_NAI;
	o->mnid_len = (uint8_t)strlen(nai);
	memcpy(o->mnid, nai, o->mnid_len + 1);
}

static const uint64_t golden_ts = 0x0000659200808000ULL;

static void
golden_pbu_msg(struct mh_msg *m)
{
	static const uint8_t mac[6] = {2, 0, 0, 0, 0, 1};

	memset(m, 0, sizeof(*m));
	m->type = MH_TYPE_BU;
	m->bu.seq = 0x1234;
	m->bu.flags = MH_BU_A | MH_BU_H | MH_BU_P;
	m->bu.lifetime = 150;
	set_nai(&m->opts, "mn1@example.org");
	m->opts.n_hnp = 1;
	set_prefix(&m->opts.hnp[0], "2001:db8:1::", 64);
	m->opts.present |=
	    MH_F_HI | MH_F_ATT | MH_F_MNLLID | MH_F_LLA | MH_F_TIMESTAMP;
	m->opts.hi = MH_HI_NEW_IF;
	m->opts.att = 4;
	m->opts.llid_len = 6;
	memcpy(m->opts.llid, mac, 6);
	assert_int_equal(inet_pton(AF_INET6, "fe80::1", &m->opts.lla), 1);
	m->opts.timestamp = golden_ts;
}

static void
golden_pba_msg(struct mh_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->type = MH_TYPE_BA;
	m->ba.status = MH_ST_ACCEPTED;
	m->ba.flags = MH_BA_P;
	m->ba.seq = 0x1234;
	m->ba.lifetime = 150;
	set_nai(&m->opts, "mn1@example.org");
	m->opts.n_hnp = 2;
	set_prefix(&m->opts.hnp[0], "2001:db8:1::", 64);
	set_prefix(&m->opts.hnp[1], "2001:db8:2::", 64);
	m->opts.present |= MH_F_HI | MH_F_ATT | MH_F_TIMESTAMP;
	m->opts.hi = MH_HI_NEW_IF;
	m->opts.att = 4;
	m->opts.timestamp = golden_ts;
}

static void
golden_hb_msg(struct mh_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->type = MH_TYPE_HB;
	m->hb.flags = MH_HB_R;
	m->hb.seq = 7;
	m->opts.present = MH_F_RESTART_COUNTER;
	m->opts.restart_counter = 3;
}

struct golden {
	const char *name;
	const uint8_t *buf;
	size_t len;
	void (*msg)(struct mh_msg *);
};

static const struct golden goldens[] = {
    {"pbu", golden_pbu, sizeof(golden_pbu), golden_pbu_msg},
    {"pba", golden_pba, sizeof(golden_pba), golden_pba_msg},
    {"hb", golden_hb, sizeof(golden_hb), golden_hb_msg},
};
#define N_GOLDENS (sizeof(goldens) / sizeof(goldens[0]))

/*
 * Walk the options of a built message and check each one sits where its
 * RFC wants it (offsets from the start of the MH).
 */
static void
assert_aligned(const uint8_t *b, size_t len)
{
	size_t off = 12;

	assert_int_equal(len % 8, 0);
	assert_int_equal(len, ((size_t)b[1] + 1) * 8);
	while (off < len) {
		uint8_t t = b[off];
		if (t == MH_OPT_PAD1) {
			off++;
			continue;
		}
		assert_true(off + 2 <= len);
		switch (t) {
		case MH_OPT_HNP:
			assert_int_equal(off % 8, 4);
			break;
		case MH_OPT_MNLLID:
			assert_int_equal(off % 2, 0);
			break;
		case MH_OPT_LLA:
			assert_int_equal(off % 8, 6);
			break;
		case MH_OPT_TIMESTAMP:
			assert_int_equal(off % 8, 2);
			break;
		case MH_OPT_RESTART_COUNTER:
			assert_int_equal(off % 4, 2);
			break;
		}
		off += 2 + (size_t)b[off + 1];
	}
	assert_int_equal(off, len);
}

static void
test_golden_build(void **state)
{
	for (size_t i = 0; i < N_GOLDENS; i++) {
		struct mh_msg m;
		uint8_t buf[MH_MAX_LEN];
		ssize_t n;

		goldens[i].msg(&m);
		n = mh_build(&m, &mag_addr, &lma_addr, buf, sizeof(buf));
		assert_int_equal(n, goldens[i].len);
		assert_memory_equal(buf, goldens[i].buf, goldens[i].len);
		assert_aligned(buf, (size_t)n);
	}
}

static void
test_golden_build_no_checksum(void **state)
{
	struct mh_msg m;
	uint8_t buf[MH_MAX_LEN];
	ssize_t n;

	golden_pbu_msg(&m);
	n = mh_build(&m, NULL, NULL, buf, sizeof(buf));
	assert_int_equal(n, sizeof(golden_pbu));
	assert_int_equal(buf[4], 0);
	assert_int_equal(buf[5], 0);
	assert_memory_equal(buf + 6, golden_pbu + 6, sizeof(golden_pbu) - 6);
}

static void
test_golden_parse(void **state)
{
	for (size_t i = 0; i < N_GOLDENS; i++) {
		struct mh_msg want, got;
		const char *why = NULL;

		goldens[i].msg(&want);
		assert_int_equal(
		    mh_parse(goldens[i].buf, goldens[i].len, &got, &why), 0);
		assert_true(mh_msg_equal(&want, &got));
		assert_int_equal(got.opts.n_unknown, 0);
	}
	/* Spot-check fields directly, not only through mh_msg_equal. */
	struct mh_msg m;
	const char *why;
	assert_int_equal(mh_parse(golden_pba, sizeof(golden_pba), &m, &why), 0);
	assert_int_equal(m.ba.seq, 0x1234);
	assert_int_equal(m.ba.flags, MH_BA_P);
	assert_int_equal(m.opts.n_hnp, 2);
	assert_int_equal(m.opts.hnp[1].prefix.s6_addr[5], 2);
	assert_string_equal(m.opts.mnid, "mn1@example.org");
	assert_int_equal(m.opts.mnid_len, 15);
	assert_int_equal(m.opts.timestamp, golden_ts);
}

/* Straightforward RFC 1071 sum, independent of cursor.c's csum_add. */
static uint16_t
ref_checksum(const struct in6_addr *s, const struct in6_addr *d,
	     const uint8_t *mh, size_t len)
{
	uint8_t ph[40] = {0};
	uint32_t sum = 0;

	memcpy(ph, s, 16);
	memcpy(ph + 16, d, 16);
	ph[32] = (uint8_t)(len >> 24);
	ph[33] = (uint8_t)(len >> 16);
	ph[34] = (uint8_t)(len >> 8);
	ph[35] = (uint8_t)len;
	ph[39] = 135;
	for (size_t i = 0; i < 40; i += 2)
		sum += (uint32_t)ph[i] << 8 | ph[i + 1];
	for (size_t i = 0; i < len; i += 2)
		sum += (uint32_t)mh[i] << 8 | (i + 1 < len ? mh[i + 1] : 0);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void
test_checksum(void **state)
{
	/*
	 * The checksums in the golden arrays were computed with a separate
	 * Python script (ipaddress + struct, RFC 8200 8.1 pseudo-header):
	 * PBU 0x37be, PBA 0xe835, Heartbeat 0x3dd0.
	 */
	static const uint16_t want[N_GOLDENS] = {0x37be, 0xe835, 0x3dd0};

	for (size_t i = 0; i < N_GOLDENS; i++) {
		uint8_t b[MH_MAX_LEN];
		size_t n = goldens[i].len;

		/* A correct checksum sums to zero, in either direction. */
		assert_int_equal(
		    mh_checksum(&mag_addr, &lma_addr, goldens[i].buf, n), 0);
		assert_int_equal(
		    mh_checksum(&lma_addr, &mag_addr, goldens[i].buf, n), 0);
		memcpy(b, goldens[i].buf, n);
		b[4] = b[5] = 0;
		assert_int_equal(mh_checksum(&mag_addr, &lma_addr, b, n),
				 want[i]);
		assert_int_equal(ref_checksum(&mag_addr, &lma_addr, b, n),
				 want[i]);
		/* Any flipped bit breaks it. */
		b[4] = (uint8_t)(want[i] >> 8);
		b[5] = (uint8_t)want[i];
		b[n - 1] ^= 0x01;
		assert_int_not_equal(mh_checksum(&mag_addr, &lma_addr, b, n),
				     0);
	}
}

static void
test_truncation(void **state)
{
	for (size_t i = 0; i < N_GOLDENS; i++) {
		for (size_t n = 0; n < goldens[i].len; n++) {
			/* Exactly n bytes on the heap so ASan sees overreads.
			 */
			uint8_t *b = malloc(n ? n : 1);
			struct mh_msg m;
			const char *why = NULL;

			assert_non_null(b);
			memcpy(b, goldens[i].buf, n);
			assert_int_equal(mh_parse(b, n, &m, &why), -EMSGSIZE);
			assert_non_null(why);
			if (n < 8)
				assert_string_equal(
				    why, "shorter than a Mobility Header "
					 "(8 octets)");
			else
				assert_string_equal(
				    why,
				    "Header Len exceeds the received length");
			free(b);
		}
	}
}

/* Build a raw message: fixed part of type, options, Pad1s to 8n. */
static size_t
mk(uint8_t type, const uint8_t *opts, size_t n, uint8_t *out)
{
	size_t len = 12 + n;

	len = (len + 7) / 8 * 8;
	assert_true(len <= MH_MAX_LEN);
	memset(out, 0, len);
	out[0] = 59;
	out[1] = (uint8_t)(len / 8 - 1);
	out[2] = type;
	if (type == MH_TYPE_BU) {
		out[8] = 0xc2; /* A H P */
	}
	if (n > 0)
		memcpy(out + 12, opts, n);
	return len;
}

#define REJECT(buf, len, err, reason)                                          \
	do {                                                                   \
		struct mh_msg m_;                                              \
		const char *why_ = NULL;                                       \
		assert_int_equal(mh_parse((buf), (len), &m_, &why_), (err));   \
		assert_non_null(why_);                                         \
		assert_string_equal(why_, (reason));                           \
	} while (0)

#define REJECT_OPTS(type, err, reason, ...)                                    \
	do {                                                                   \
		const uint8_t o_[] = {__VA_ARGS__};                            \
		uint8_t b_[MH_MAX_LEN];                                        \
		size_t n_ = mk((type), o_, sizeof(o_), b_);                    \
		REJECT(b_, n_, (err), (reason));                               \
	} while (0)

static void
test_reject_header(void **state)
{
	uint8_t b[MH_MAX_LEN + 8];

	/* Header Len too long for the buffer: covered by truncation. */
	/* Header Len too short: 8 more octets than it says. */
	memcpy(b, golden_pbu, sizeof(golden_pbu));
	memset(b + sizeof(golden_pbu), 0, 8);
	REJECT(b, sizeof(golden_pbu) + 8, -EMSGSIZE,
	       "Header Len is shorter than the received length");
	/* Not a multiple of 8 octets. */
	REJECT(b, sizeof(golden_pbu) + 1, -EMSGSIZE,
	       "Header Len is shorter than the received length");
	/* Header Len one too small. */
	b[1] = 12;
	REJECT(b, sizeof(golden_pbu), -EMSGSIZE,
	       "Header Len is shorter than the received length");
	b[1] = 14;
	REJECT(b, sizeof(golden_pbu), -EMSGSIZE,
	       "Header Len exceeds the received length");
	/* Over MH_MAX_LEN. */
	memset(b, 0, sizeof(b));
	b[0] = 59;
	b[1] = (MH_MAX_LEN + 8) / 8 - 1;
	b[2] = MH_TYPE_BU;
	REJECT(b, MH_MAX_LEN + 8, -EMSGSIZE, "longer than MH_MAX_LEN");

	/* Payload Proto must be IPPROTO_NONE. */
	memcpy(b, golden_pbu, sizeof(golden_pbu));
	b[0] = 6;
	REJECT(b, sizeof(golden_pbu), -EPROTO,
	       "Payload Proto is not 59 (no next header)");
	b[0] = 0;
	REJECT(b, sizeof(golden_pbu), -EPROTO,
	       "Payload Proto is not 59 (no next header)");

	/* Unknown MH types: BRR (0), Binding Error (7), 255. */
	const uint8_t types[] = {0, 1, 4, 7, 12, 14, 16, 255};
	for (size_t i = 0; i < sizeof(types); i++) {
		memcpy(b, golden_hb, sizeof(golden_hb));
		b[2] = types[i];
		REJECT(b, sizeof(golden_hb), -EOPNOTSUPP, "unknown MH type");
	}

	/* An 8-octet BU, BA or HB cannot hold its 6-octet fixed part. */
	const uint8_t ok_types[] = {MH_TYPE_BU, MH_TYPE_BA, MH_TYPE_HB};
	for (size_t i = 0; i < sizeof(ok_types); i++) {
		const uint8_t h[8] = {59, 0, ok_types[i], 0, 0, 0, 0, 0};
		REJECT(h, sizeof(h), -EBADMSG,
		       "Header Len too small for the MH type");
	}
}

static void
test_reject_option_lengths(void **state)
{
	/* A lone option type at the very end: no room for its length. */
	REJECT_OPTS(MH_TYPE_BU, -EBADMSG, "option truncated before its length",
		    0, 0, 0, MH_OPT_HI);
	/* Overlong: HI claiming 200 octets, PadN running past the end. */
	REJECT_OPTS(MH_TYPE_BU, -EBADMSG,
		    "option length runs past the end of the message", MH_OPT_HI,
		    200, 0, 1);
	REJECT_OPTS(MH_TYPE_BU, -EBADMSG,
		    "option length runs past the end of the message",
		    MH_OPT_PADN, 3, 0, 0);
	/* An unknown option may not run past the end either. */
	REJECT_OPTS(MH_TYPE_BA, -EBADMSG,
		    "option length runs past the end of the message", 200, 9, 0,
		    0);
	/* Last option one octet longer than what is left. */
	REJECT_OPTS(MH_TYPE_BU, -EBADMSG,
		    "option length runs past the end of the message",
		    MH_OPT_ATT, 3, 0, 4);

	/* Zero length where a fixed length is defined. */
	REJECT_OPTS(MH_TYPE_BU, -EBADMSG,
		    "Home Network Prefix option length is not 18", MH_OPT_HNP,
		    0, 0, 0);
	REJECT_OPTS(MH_TYPE_BU, -EBADMSG,
		    "Handoff Indicator option length is not 2", MH_OPT_HI, 0, 0,
		    0);
	REJECT_OPTS(MH_TYPE_BA, -EBADMSG,
		    "Access Technology Type option length is not 2", MH_OPT_ATT,
		    0, 0, 0);
	REJECT_OPTS(MH_TYPE_BU, -EBADMSG,
		    "Link-local Address option length is not 16", MH_OPT_LLA, 0,
		    0, 0);
	REJECT_OPTS(MH_TYPE_BU, -EBADMSG, "Timestamp option length is not 8",
		    MH_OPT_TIMESTAMP, 0, 0, 0);
	REJECT_OPTS(MH_TYPE_HB, -EBADMSG,
		    "Restart Counter option length is not 4",
		    MH_OPT_RESTART_COUNTER, 0, 0, 0);
	REJECT_OPTS(MH_TYPE_BU, -EBADMSG, "MN Identifier option is empty",
		    MH_OPT_MNID, 0, 0, 0);
	REJECT_OPTS(MH_TYPE_BU, -EBADMSG,
		    "MN Link-layer Identifier option too short", MH_OPT_MNLLID,
		    0, 0, 0);

	/* Wrong non-zero fixed lengths. */
	REJECT_OPTS(MH_TYPE_BU, -EBADMSG,
		    "Home Network Prefix option length is not 18", MH_OPT_HNP,
		    17, 0, 64, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0,
		    0, 0, 0, 0, 0);
	REJECT_OPTS(MH_TYPE_BU, -EBADMSG,
		    "Home Network Prefix option length is not 18", MH_OPT_HNP,
		    19, 0, 64, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0,
		    0, 0, 0, 0, 0, 0, 0);
	REJECT_OPTS(MH_TYPE_BU, -EBADMSG,
		    "Handoff Indicator option length is not 2", MH_OPT_HI, 1, 1,
		    0);
	REJECT_OPTS(MH_TYPE_BU, -EBADMSG, "Timestamp option length is not 8",
		    MH_OPT_TIMESTAMP, 6, 0, 0, 0, 0, 0, 0);
	REJECT_OPTS(MH_TYPE_HB, -EBADMSG,
		    "Restart Counter option length is not 4",
		    MH_OPT_RESTART_COUNTER, 8, 0, 0, 0, 0, 0, 0, 0, 1);
}

static void
test_reject_option_values(void **state)
{
	/* MN-ID: subtype 2 (RFC 7254 IMSI), subtype only, NUL inside. */
	REJECT_OPTS(MH_TYPE_BU, -EBADMSG, "MN Identifier subtype is not NAI",
		    MH_OPT_MNID, 3, 2, 'a', 'b');
	REJECT_OPTS(MH_TYPE_BU, -EBADMSG, "MN Identifier subtype is not NAI",
		    MH_OPT_MNID, 3, 0, 'a', 'b');
	REJECT_OPTS(MH_TYPE_BU, -EBADMSG, "MN Identifier NAI is empty",
		    MH_OPT_MNID, 1, 1);
	REJECT_OPTS(MH_TYPE_BU, -EBADMSG, "MN Identifier NAI contains NUL",
		    MH_OPT_MNID, 4, 1, 'a', 0, 'b');
	REJECT_OPTS(MH_TYPE_BA, -EBADMSG, "MN Identifier NAI contains NUL",
		    MH_OPT_MNID, 2, 1, 0);

	/* HNP prefix length over 128; 128 itself is fine. */
	REJECT_OPTS(MH_TYPE_BU, -EBADMSG,
		    "Home Network Prefix length exceeds 128", MH_OPT_HNP, 18, 0,
		    129, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		    0, 0);
	REJECT_OPTS(MH_TYPE_BA, -EBADMSG,
		    "Home Network Prefix length exceeds 128", MH_OPT_HNP, 18, 0,
		    255, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		    0, 0);

	/* MN-LL-ID: reserved only, or longer than MH_MAX_LLID. */
	REJECT_OPTS(MH_TYPE_BU, -EBADMSG, "MN Link-layer Identifier is empty",
		    MH_OPT_MNLLID, 2, 0, 0);
	REJECT_OPTS(MH_TYPE_BU, -EBADMSG,
		    "MN Link-layer Identifier option too short", MH_OPT_MNLLID,
		    1, 0);
	{
		uint8_t o[2 + 2 + MH_MAX_LLID + 1] = {MH_OPT_MNLLID,
						      2 + MH_MAX_LLID + 1};
		uint8_t b[MH_MAX_LEN];
		size_t n = mk(MH_TYPE_BU, o, sizeof(o), b);
		REJECT(b, n, -EBADMSG, "MN Link-layer Identifier too long");
		/* Exactly MH_MAX_LLID is fine. */
		o[1]--;
		n = mk(MH_TYPE_BU, o, sizeof(o) - 1, b);
		struct mh_msg m;
		const char *why;
		assert_int_equal(mh_parse(b, n, &m, &why), 0);
		assert_int_equal(m.opts.llid_len, MH_MAX_LLID);
	}
}

static void
test_reject_repeated(void **state)
{
	REJECT_OPTS(MH_TYPE_BU, -EBADMSG, "repeated MN Identifier option",
		    MH_OPT_MNID, 2, 1, 'a', MH_OPT_MNID, 2, 1, 'b');
	REJECT_OPTS(MH_TYPE_BU, -EBADMSG, "repeated Handoff Indicator option",
		    MH_OPT_HI, 2, 0, 1, MH_OPT_HI, 2, 0, 1);
	REJECT_OPTS(MH_TYPE_BA, -EBADMSG,
		    "repeated Access Technology Type option", MH_OPT_ATT, 2, 0,
		    4, MH_OPT_ATT, 2, 0, 3);
	REJECT_OPTS(MH_TYPE_BU, -EBADMSG,
		    "repeated MN Link-layer Identifier option", MH_OPT_MNLLID,
		    3, 0, 0, 1, MH_OPT_MNLLID, 3, 0, 0, 1);
	REJECT_OPTS(MH_TYPE_BU, -EBADMSG, "repeated Link-local Address option",
		    MH_OPT_LLA, 16, 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		    0, 0, 1, MH_OPT_LLA, 16, 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0,
		    0, 0, 0, 0, 0, 2);
	REJECT_OPTS(MH_TYPE_BA, -EBADMSG, "repeated Timestamp option",
		    MH_OPT_TIMESTAMP, 8, 0, 0, 0, 0, 0, 0, 0, 1,
		    MH_OPT_TIMESTAMP, 8, 0, 0, 0, 0, 0, 0, 0, 1);
	REJECT_OPTS(MH_TYPE_HB, -EBADMSG, "repeated Restart Counter option",
		    MH_OPT_RESTART_COUNTER, 4, 0, 0, 0, 1,
		    MH_OPT_RESTART_COUNTER, 4, 0, 0, 0, 2);
}

static size_t
hnp_opts(uint8_t *o, unsigned n)
{
	size_t off = 0;

	for (unsigned i = 0; i < n; i++) {
		const uint8_t h[20] = {MH_OPT_HNP, 18,	 0,    64, 0x20,
				       0x01,	   0x0d, 0xb8, 0,  (uint8_t)i};
		/* PadN 2 keeps every HNP at 8n+4 (12, 36, 60, ...). */
		memcpy(o + off, h, sizeof(h));
		off += sizeof(h);
		o[off++] = MH_OPT_PADN;
		o[off++] = 2;
		o[off++] = 0;
		o[off++] = 0;
	}
	return off;
}

static void
test_hnp_count(void **state)
{
	uint8_t o[24 * (MH_MAX_HNP + 1)];
	uint8_t b[MH_MAX_LEN];
	struct mh_msg m;
	const char *why;
	size_t n;

	n = mk(MH_TYPE_BU, o, hnp_opts(o, MH_MAX_HNP), b);
	assert_int_equal(mh_parse(b, n, &m, &why), 0);
	assert_int_equal(m.opts.n_hnp, MH_MAX_HNP);
	assert_int_equal(m.opts.hnp[MH_MAX_HNP - 1].prefix.s6_addr[5],
			 MH_MAX_HNP - 1);

	n = mk(MH_TYPE_BU, o, hnp_opts(o, MH_MAX_HNP + 1), b);
	REJECT(b, n, -E2BIG, "too many Home Network Prefix options");
}

/*
 * Options a PBU parser must skip or tolerate: unknown types (GRE Key 33,
 * an empty 200), a known option not defined for the message, non-zero
 * PadN data, and misaligned options.
 */
/* clang-format off */
static const uint8_t skipped_opts[] = {
	33, 6, 0, 0, 0, 0, 0, 1,		/* @12 GRE Key: unknown to us */
	200, 0,					/* @20 unknown, empty */
	MH_OPT_RESTART_COUNTER, 4, 0, 0, 0, 9,	/* @22 not a PBU option */
	MH_OPT_PADN, 3, 0xde, 0xad, 0xbe,	/* @28 non-zero PadN data */
	MH_OPT_HI, 2, 0, 2,			/* @33 HI at an odd offset */
	MH_OPT_HNP, 18, 0, 48,			/* @37 HNP at 8n+5 */
	0x20, 0x01, 0x0d, 0xb8, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};
/* clang-format on */

static void
test_skipped_options(void **state)
{
	struct mh_msg m;
	const char *why;
	uint8_t b[MH_MAX_LEN];
	size_t n;

	/*
	 * Unknown types (GRE Key 33, 200, and a zero-length one), a Restart
	 * Counter in a PBU and an HNP in a Heartbeat are skipped and
	 * counted (RFC 6275 6.2.1); PadN content is ignored (6.2.3); a
	 * misaligned HI and HNP are accepted.
	 */
	n = mk(MH_TYPE_BU, skipped_opts, sizeof(skipped_opts), b);
	assert_int_equal(mh_parse(b, n, &m, &why), 0);
	assert_int_equal(m.opts.n_unknown, 3);
	assert_int_equal(m.opts.present, MH_F_HI);
	assert_int_equal(m.opts.hi, 2);
	assert_int_equal(m.opts.n_hnp, 1);
	assert_int_equal(m.opts.hnp[0].len, 48);

	const uint8_t h[] = {
	    MH_OPT_HNP,
	    18,
	    0,
	    64,
	    0x20,
	    0x01,
	    0x0d,
	    0xb8,
	    0,
	    0,
	    0,
	    0,
	    0,
	    0,
	    0,
	    0,
	    0,
	    0,
	    0,
	    0, /* HNP: not a Heartbeat option */
	    MH_OPT_HI,
	    2,
	    0,
	    1,
	    MH_OPT_HI,
	    2,
	    0,
	    1, /* not even repeated */
	    MH_OPT_RESTART_COUNTER,
	    4,
	    0,
	    0,
	    1,
	    0,
	};
	n = mk(MH_TYPE_HB, h, sizeof(h), b);
	assert_int_equal(mh_parse(b, n, &m, &why), 0);
	assert_int_equal(m.opts.n_unknown, 3);
	assert_int_equal(m.opts.n_hnp, 0);
	assert_int_equal(m.opts.present, MH_F_RESTART_COUNTER);
	assert_int_equal(m.opts.restart_counter, 256);

	/* No options at all: Header Len 1, four octets of padding. */
	n = mk(MH_TYPE_BA, NULL, 0, b);
	assert_int_equal(n, 16);
	assert_int_equal(mh_parse(b, n, &m, &why), 0);
	assert_int_equal(m.opts.present, 0);
}

/* parse(build(m)) == m, build is stable, alignment holds. */
static void
round_trip(const struct mh_msg *m)
{
	uint8_t b1[MH_MAX_LEN], b2[MH_MAX_LEN];
	struct mh_msg p;
	const char *why = NULL;
	ssize_t n1, n2;

	n1 = mh_build(m, &mag_addr, &lma_addr, b1, sizeof(b1));
	assert_true(n1 > 0);
	assert_aligned(b1, (size_t)n1);
	assert_int_equal(mh_checksum(&mag_addr, &lma_addr, b1, (size_t)n1), 0);
	assert_int_equal(mh_parse(b1, (size_t)n1, &p, &why), 0);
	assert_true(mh_msg_equal(m, &p));
	assert_int_equal(p.opts.n_unknown, 0);
	n2 = mh_build(&p, &mag_addr, &lma_addr, b2, sizeof(b2));
	assert_int_equal(n1, n2);
	assert_memory_equal(b1, b2, (size_t)n1);
	/* Every shorter buffer is refused without writing past it. */
	for (size_t cap = 0; cap < (size_t)n1; cap++) {
		uint8_t *s = malloc(cap ? cap : 1);
		assert_non_null(s);
		assert_int_equal(mh_build(m, NULL, NULL, s, cap), -ENOSPC);
		free(s);
	}
}

static void
test_round_trips(void **state)
{
	struct mh_msg m;

	for (size_t i = 0; i < N_GOLDENS; i++) {
		goldens[i].msg(&m);
		round_trip(&m);
	}

	/* PBU with 0, 1 and MH_MAX_HNP prefixes. */
	for (unsigned n = 0; n <= MH_MAX_HNP; n++) {
		golden_pbu_msg(&m);
		m.opts.n_hnp = n;
		for (unsigned i = 0; i < n; i++) {
			char s[64];
			snprintf(s, sizeof(s), "2001:db8:%x::", i + 1);
			set_prefix(&m.opts.hnp[i], s, (uint8_t)(48 + i));
		}
		round_trip(&m);
	}

	/* Bare de-registration PBU: lifetime 0, MN-ID only. */
	memset(&m, 0, sizeof(m));
	m.type = MH_TYPE_BU;
	m.bu.seq = 0xffff;
	m.bu.flags = MH_BU_A | MH_BU_H | MH_BU_P;
	set_nai(&m.opts, "x@y");
	round_trip(&m);

	/* Longest NAI and MN-LL-ID, 0/128 prefix lengths, all flags. */
	golden_pbu_msg(&m);
	m.bu.flags = 0xffff;
	m.bu.lifetime = 0xffff;
	memset(m.opts.mnid, 'a', MH_MAX_NAI);
	m.opts.mnid[MH_MAX_NAI] = '\0';
	m.opts.mnid_len = MH_MAX_NAI;
	m.opts.llid_len = MH_MAX_LLID;
	memset(m.opts.llid, 0xab, MH_MAX_LLID);
	m.opts.n_hnp = 2;
	set_prefix(&m.opts.hnp[0], "::", 0);
	set_prefix(&m.opts.hnp[1], "2001:db8::1", 128);
	m.opts.timestamp = UINT64_MAX;
	round_trip(&m);

	/* Odd-length MN-LL-ID shifts everything after it. */
	for (uint8_t l = 1; l <= 9; l++) {
		golden_pbu_msg(&m);
		m.opts.llid_len = l;
		round_trip(&m);
	}

	/* PBAs with every status we name. */
	const uint8_t st[] = {0,   128, 129, 130, 152, 153, 154, 155,
			      156, 157, 158, 159, 160, 161, 162, 255};
	for (size_t i = 0; i < sizeof(st); i++) {
		golden_pba_msg(&m);
		m.ba.status = st[i];
		m.ba.lifetime = 0;
		round_trip(&m);
	}

	/* Heartbeat request without options, response with counter. */
	memset(&m, 0, sizeof(m));
	m.type = MH_TYPE_HB;
	m.hb.flags = MH_HB_U;
	m.hb.seq = 0xffffffff;
	round_trip(&m);
	m.hb.flags = MH_HB_R;
	m.opts.present = MH_F_RESTART_COUNTER;
	m.opts.restart_counter = 0xdeadbeef;
	round_trip(&m);
}

static void
test_build_conveniences(void **state)
{
	struct mh_msg m, p;
	uint8_t b[MH_MAX_LEN];
	const char *why;
	ssize_t n;

	/* mnid_subtype 0 and mnid_len 0: an NAI of strlen(mnid). */
	memset(&m, 0, sizeof(m));
	m.type = MH_TYPE_BU;
	m.opts.present = MH_F_MNID;
	strcpy(m.opts.mnid, "mn2@example.org");
	n = mh_build(&m, NULL, NULL, b, sizeof(b));
	assert_true(n > 0);
	assert_int_equal(mh_parse(b, (size_t)n, &p, &why), 0);
	assert_int_equal(p.opts.mnid_subtype, MH_MNID_SUBTYPE_NAI);
	assert_int_equal(p.opts.mnid_len, 15);
	assert_string_equal(p.opts.mnid, "mn2@example.org");
}

static void
test_build_rejects(void **state)
{
	struct mh_msg m;
	uint8_t b[MH_MAX_LEN];

	golden_pbu_msg(&m);
	m.type = 7;
	assert_int_equal(mh_build(&m, NULL, NULL, b, sizeof(b)), -EINVAL);

	golden_pbu_msg(&m);
	m.opts.present |= MH_F_RESTART_COUNTER;
	assert_int_equal(mh_build(&m, NULL, NULL, b, sizeof(b)), -EINVAL);

	golden_hb_msg(&m);
	m.opts.n_hnp = 1;
	assert_int_equal(mh_build(&m, NULL, NULL, b, sizeof(b)), -EINVAL);

	golden_hb_msg(&m);
	m.opts.present |= MH_F_HI;
	assert_int_equal(mh_build(&m, NULL, NULL, b, sizeof(b)), -EINVAL);

	golden_pba_msg(&m);
	m.opts.n_hnp = MH_MAX_HNP + 1;
	assert_int_equal(mh_build(&m, NULL, NULL, b, sizeof(b)), -EINVAL);

	golden_pba_msg(&m);
	m.opts.hnp[1].len = 129;
	assert_int_equal(mh_build(&m, NULL, NULL, b, sizeof(b)), -EINVAL);

	golden_pbu_msg(&m);
	m.opts.mnid[3] = '\0'; /* NUL inside mnid_len */
	assert_int_equal(mh_build(&m, NULL, NULL, b, sizeof(b)), -EINVAL);

	golden_pbu_msg(&m);
	m.opts.mnid_len = 0;
	m.opts.mnid[0] = '\0'; /* empty */
	assert_int_equal(mh_build(&m, NULL, NULL, b, sizeof(b)), -EINVAL);

	golden_pbu_msg(&m);
	m.opts.mnid_len = MH_MAX_NAI + 1;
	assert_int_equal(mh_build(&m, NULL, NULL, b, sizeof(b)), -EINVAL);

	golden_pbu_msg(&m);
	m.opts.mnid_subtype = 2;
	assert_int_equal(mh_build(&m, NULL, NULL, b, sizeof(b)), -EINVAL);

	golden_pbu_msg(&m);
	m.opts.llid_len = 0;
	assert_int_equal(mh_build(&m, NULL, NULL, b, sizeof(b)), -EINVAL);
	m.opts.llid_len = MH_MAX_LLID + 1;
	assert_int_equal(mh_build(&m, NULL, NULL, b, sizeof(b)), -EINVAL);
}

static void
test_msg_equal(void **state)
{
	struct mh_msg a, b;

	golden_pbu_msg(&a);
	golden_pbu_msg(&b);
	assert_true(mh_msg_equal(&a, &b));
	/* Fields of absent options and n_unknown do not count. */
	b.opts.n_unknown = 5;
	b.opts.restart_counter = 9;
	assert_true(mh_msg_equal(&a, &b));
	b.opts.hnp[0].len = 63;
	assert_false(mh_msg_equal(&a, &b));
	golden_pbu_msg(&b);
	b.opts.mnid[0] = 'M';
	assert_false(mh_msg_equal(&a, &b));
	golden_pbu_msg(&b);
	b.bu.seq++;
	assert_false(mh_msg_equal(&a, &b));
	golden_pbu_msg(&b);
	b.opts.present &= ~MH_F_LLA;
	assert_false(mh_msg_equal(&a, &b));
	golden_pba_msg(&b);
	assert_false(mh_msg_equal(&a, &b));
}

static void
test_timestamp(void **state)
{
	struct timespec ts = {.tv_sec = 1704067200, .tv_nsec = 500000000};
	struct timespec back;

	assert_int_equal(mh_timestamp_from_timespec(&ts), golden_ts);
	mh_timestamp_to_timespec(golden_ts, &back);
	assert_int_equal(back.tv_sec, 1704067200);
	assert_int_equal(back.tv_nsec, 500000000);

	/* 1/65536 s resolution: round trips within 15.26 us. */
	ts.tv_nsec = 999999999;
	mh_timestamp_to_timespec(mh_timestamp_from_timespec(&ts), &back);
	assert_int_equal(back.tv_sec, ts.tv_sec);
	assert_true(ts.tv_nsec - back.tv_nsec < 15259);
	ts.tv_nsec = 0;
	assert_int_equal(mh_timestamp_from_timespec(&ts) & 0xffff, 0);
}

static void
test_names(void **state)
{
	assert_string_equal(mh_type_name(MH_TYPE_BU), "Binding Update");
	assert_string_equal(mh_type_name(MH_TYPE_BA),
			    "Binding Acknowledgement");
	assert_string_equal(mh_type_name(MH_TYPE_HB), "Heartbeat");
	assert_string_equal(mh_type_name(200), "unknown");
	assert_string_equal(mh_type_name(11), "unknown");
	assert_string_equal(mh_status_name(0), "accepted");
	assert_string_equal(mh_status_name(MH_ST_TIMESTAMP_MISMATCH),
			    "TIMESTAMP_MISMATCH");
	assert_string_equal(mh_status_name(MH_ST_NOT_AUTHORIZED_FOR_HNP),
			    "NOT_AUTHORIZED_FOR_HOME_NETWORK_PREFIX");
	assert_string_equal(mh_status_name(MH_ST_MISSING_ATT),
			    "MISSING_ACCESS_TECH_TYPE_OPTION");
	assert_string_equal(mh_status_name(200), "unknown");
	for (unsigned s = 0; s < 256; s++)
		assert_non_null(mh_status_name(s));
}

static void
write_file(const char *dir, const char *name, const uint8_t *b, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL || fwrite(b, 1, n, f) != n ||
	    fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* Seeds for the fuzz target, written on request only. */
static void
write_corpus(void)
{
	const char *dir = getenv("PMIP_WRITE_CORPUS");
	uint8_t b[MH_MAX_LEN];
	struct mh_msg m;
	char name[64];
	ssize_t n;

	if (dir == NULL || *dir == '\0')
		return;
	for (size_t i = 0; i < N_GOLDENS; i++) {
		snprintf(name, sizeof(name), "golden-%s", goldens[i].name);
		write_file(dir, name, goldens[i].buf, goldens[i].len);
	}
	/* PBU with MH_MAX_HNP prefixes and an odd-length MN-LL-ID. */
	golden_pbu_msg(&m);
	m.opts.n_hnp = MH_MAX_HNP;
	for (unsigned i = 0; i < MH_MAX_HNP; i++) {
		m.opts.hnp[i] = m.opts.hnp[0];
		m.opts.hnp[i].prefix.s6_addr[5] = (uint8_t)i;
	}
	m.opts.llid_len = 5;
	n = mh_build(&m, NULL, NULL, b, sizeof(b));
	if (n > 0)
		write_file(dir, "pbu-max-hnp", b, (size_t)n);
	/* Options that are skipped: unknown, wrong message, misaligned. */
	n = (ssize_t)mk(MH_TYPE_BU, skipped_opts, sizeof(skipped_opts), b);
	write_file(dir, "pbu-skipped-opts", b, (size_t)n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_golden_build),
	    cmocka_unit_test(test_golden_build_no_checksum),
	    cmocka_unit_test(test_golden_parse),
	    cmocka_unit_test(test_checksum),
	    cmocka_unit_test(test_truncation),
	    cmocka_unit_test(test_reject_header),
	    cmocka_unit_test(test_reject_option_lengths),
	    cmocka_unit_test(test_reject_option_values),
	    cmocka_unit_test(test_reject_repeated),
	    cmocka_unit_test(test_hnp_count),
	    cmocka_unit_test(test_skipped_options),
	    cmocka_unit_test(test_round_trips),
	    cmocka_unit_test(test_build_conveniences),
	    cmocka_unit_test(test_build_rejects),
	    cmocka_unit_test(test_msg_equal),
	    cmocka_unit_test(test_timestamp),
	    cmocka_unit_test(test_names),
	};

	write_corpus();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
