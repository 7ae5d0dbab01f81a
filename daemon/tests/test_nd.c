/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Neighbor Discovery codec tests (RFC 4861): golden bytes annotated field
 * by field, round trips, truncation at every length, malformed options,
 * and checksums computed independently of this code (the values in the
 * golden arrays were computed with a separate RFC 1071 implementation).
 *
 * With PMIP_WRITE_CORPUS=dir set, the golden messages are also written
 * to dir as seeds for daemon/fuzz/fuzz_nd.c.
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

#include "nd.h"

/* The MAG: fixed link-local and link-layer address shared by all MAGs. */
#define MAG_LL "fe80::200:5eff:fe00:5213"
static const uint8_t mag_mac[6] = {0x00, 0x00, 0x5e, 0x00, 0x52, 0x13};
/* The mobile node: 02:00:00:00:00:01, EUI-64 link-local address. */
#define MN_LL "fe80::ff:fe00:1"
static const uint8_t mn_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};

/*
 * Router Advertisement, MAG_LL -> MN_LL, two prefixes, MTU 1460, SLLAO.
 * RFC 4861 4.2, 4.6.2, 4.6.4, 4.6.1.
 */
static const uint8_t golden_ra[] = {
    /* ICMPv6 header */
    0x86,		    /* type 134, Router Advertisement */
    0x00,		    /* code 0 */
    0xce, 0x8a,		    /* checksum */
    0x40,		    /* cur hop limit 64 */
    0x00,		    /* M=0 O=0, reserved */
    0x07, 0x08,		    /* router lifetime 1800 s */
    0x00, 0x00, 0x75, 0x30, /* reachable time 30000 ms */
    0x00, 0x00, 0x03, 0xe8, /* retrans timer 1000 ms */
    /* Prefix Information, 2001:db8:1:1::/64 */
    0x03,		    /* type 3 */
    0x04,		    /* length 4 (32 octets) */
    0x40,		    /* prefix length 64 */
    0xc0,		    /* L=1 A=1, reserved1 */
    0x00, 0x01, 0x51, 0x80, /* valid lifetime 86400 s */
    0x00, 0x00, 0x38, 0x40, /* preferred lifetime 14400 s */
    0x00, 0x00, 0x00, 0x00, /* reserved2 */
    0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x01, /* prefix */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    /* Prefix Information, 2001:db8:1:2::/64 */
    0x03,		    /* type 3 */
    0x04,		    /* length 4 */
    0x40,		    /* prefix length 64 */
    0xc0,		    /* L=1 A=1 */
    0x00, 0x00, 0x0e, 0x10, /* valid lifetime 3600 s */
    0x00, 0x00, 0x07, 0x08, /* preferred lifetime 1800 s */
    0x00, 0x00, 0x00, 0x00, /* reserved2 */
    0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x02, /* prefix */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    /* MTU */
    0x05,		    /* type 5 */
    0x01,		    /* length 1 (8 octets) */
    0x00, 0x00,		    /* reserved */
    0x00, 0x00, 0x05, 0xb4, /* MTU 1460 */
    /* Source Link-layer Address */
    0x01,				/* type 1 */
    0x01,				/* length 1 (8 octets) */
    0x00, 0x00, 0x5e, 0x00, 0x52, 0x13, /* 00:00:5e:00:52:13 */
};
/* Option boundaries: a cut there leaves a well-formed, shorter RA. */
static const size_t golden_ra_cuts[] = {16, 48, 80, 88};

/* Neighbor Solicitation, NUD probe MAG_LL -> MN_LL (RFC 4861 4.3, 7.2.2) */
static const uint8_t golden_ns[] = {
    0x87,		    /* type 135, Neighbor Solicitation */
    0x00,		    /* code 0 */
    0x1c, 0xf8,		    /* checksum */
    0x00, 0x00, 0x00, 0x00, /* reserved */
    0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* target */
    0x00, 0x00, 0x00, 0xff, 0xfe, 0x00, 0x00, 0x01, /* fe80::ff:fe00:1 */
    /* Source Link-layer Address */
    0x01,				/* type 1 */
    0x01,				/* length 1 */
    0x00, 0x00, 0x5e, 0x00, 0x52, 0x13, /* 00:00:5e:00:52:13 */
};
static const size_t golden_ns_cuts[] = {24};

/*
 * Neighbor Solicitation, DAD-style probe :: -> ff02::1:ff00:1: no SLLAO
 * with an unspecified source (RFC 4861 7.2.2).
 */
static const uint8_t golden_dad[] = {
    0x87,					    /* type 135 */
    0x00,					    /* code 0 */
    0x7d, 0x25,					    /* checksum */
    0x00, 0x00, 0x00, 0x00,			    /* reserved */
    0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* target */
    0x00, 0x00, 0x00, 0xff, 0xfe, 0x00, 0x00, 0x01, /* fe80::ff:fe00:1 */
};

/* Router Solicitation, MN_LL -> ff02::2 (RFC 4861 4.1) */
static const uint8_t golden_rs[] = {
    0x85,		    /* type 133, Router Solicitation */
    0x00,		    /* code 0 */
    0x7b, 0x2c,		    /* checksum */
    0x00, 0x00, 0x00, 0x00, /* reserved */
    /* Source Link-layer Address */
    0x01,				/* type 1 */
    0x01,				/* length 1 */
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01, /* 02:00:00:00:00:01 */
};
static const size_t golden_rs_cuts[] = {8};

/* Neighbor Advertisement, MN_LL -> MAG_LL, answer to golden_ns (4.4) */
static const uint8_t golden_na[] = {
    0x88,	      /* type 136, Neighbor Advertisement */
    0x00,	      /* code 0 */
    0x69, 0x0a,	      /* checksum */
    0x60,	      /* R=0 S=1 O=1, reserved */
    0x00, 0x00, 0x00, /* reserved */
    0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* target */
    0x00, 0x00, 0x00, 0xff, 0xfe, 0x00, 0x00, 0x01, /* fe80::ff:fe00:1 */
    /* Target Link-layer Address */
    0x02,				/* type 2 */
    0x01,				/* length 1 */
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01, /* 02:00:00:00:00:01 */
};
static const size_t golden_na_cuts[] = {24};

static struct in6_addr
addr(const char *s)
{
	struct in6_addr a;
	assert_int_equal(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

/* The RA golden_ra encodes. */
static void
golden_ra_struct(struct nd_ra *ra)
{
	memset(ra, 0, sizeof(*ra));
	ra->cur_hop_limit = 64;
	ra->router_lifetime = 1800;
	ra->reachable_time = 30000;
	ra->retrans_timer = 1000;
	ra->n_prefix = 2;
	ra->prefix[0].prefix = addr("2001:db8:1:1::");
	ra->prefix[0].len = 64;
	ra->prefix[0].flags = ND_PI_F_ONLINK | ND_PI_F_AUTO;
	ra->prefix[0].valid = 86400;
	ra->prefix[0].preferred = 14400;
	ra->prefix[1].prefix = addr("2001:db8:1:2::");
	ra->prefix[1].len = 64;
	ra->prefix[1].flags = ND_PI_F_ONLINK | ND_PI_F_AUTO;
	ra->prefix[1].valid = 3600;
	ra->prefix[1].preferred = 1800;
	ra->mtu = 1460;
	ra->has_sllao = 1;
	memcpy(ra->sllao, mag_mac, 6);
}

static void
assert_ra_equal(const struct nd_ra *a, const struct nd_ra *b)
{
	assert_int_equal(a->cur_hop_limit, b->cur_hop_limit);
	assert_int_equal(a->flags, b->flags);
	assert_int_equal(a->router_lifetime, b->router_lifetime);
	assert_int_equal(a->reachable_time, b->reachable_time);
	assert_int_equal(a->retrans_timer, b->retrans_timer);
	assert_int_equal(a->n_prefix, b->n_prefix);
	for (unsigned i = 0; i < a->n_prefix; i++) {
		const struct nd_prefix *p = &a->prefix[i], *q = &b->prefix[i];
		assert_memory_equal(&p->prefix, &q->prefix, 16);
		assert_int_equal(p->len, q->len);
		assert_int_equal(p->flags, q->flags);
		assert_int_equal(p->valid, q->valid);
		assert_int_equal(p->preferred, q->preferred);
	}
	assert_int_equal(a->mtu, b->mtu);
	assert_int_equal(a->has_sllao, b->has_sllao);
	assert_memory_equal(a->sllao, b->sllao, 6);
}

static void
test_ra_golden(void **state)
{
	struct in6_addr src = addr(MAG_LL), dst = addr(MN_LL);
	struct nd_ra ra;
	uint8_t buf[ND_RA_MAX_LEN];
	ssize_t n;

	golden_ra_struct(&ra);
	n = nd_build_ra(&ra, &src, &dst, buf, sizeof(buf));
	assert_int_equal(n, sizeof(golden_ra));
	assert_memory_equal(buf, golden_ra, sizeof(golden_ra));

	/* Without addresses the checksum is left for the kernel. */
	n = nd_build_ra(&ra, NULL, NULL, buf, sizeof(buf));
	assert_int_equal(n, sizeof(golden_ra));
	assert_int_equal(buf[2], 0);
	assert_int_equal(buf[3], 0);
	assert_memory_equal(buf + 4, golden_ra + 4, sizeof(golden_ra) - 4);
}

static void
test_ra_parse_and_round_trip(void **state)
{
	struct nd_ra want, got, again;
	struct nd_msg m;
	const char *why = NULL;
	uint8_t buf[ND_RA_MAX_LEN];
	ssize_t n;

	golden_ra_struct(&want);
	assert_int_equal(nd_parse_ra(golden_ra, sizeof(golden_ra), &got, &why),
			 0);
	assert_ra_equal(&got, &want);
	assert_int_equal(got.lladdr_len, 6);
	assert_int_equal(got.n_skipped, 0);

	assert_int_equal(nd_parse(golden_ra, sizeof(golden_ra), &m, &why), 0);
	assert_int_equal(m.type, ND_TYPE_RA);
	assert_ra_equal(&m.ra, &want);

	/* parse(build(x)) == x, also with all flags, 8 prefixes, no SLLAO */
	want.flags = ND_RA_F_MANAGED | ND_RA_F_OTHER;
	want.n_prefix = ND_MAX_PREFIX;
	for (unsigned i = 0; i < ND_MAX_PREFIX; i++) {
		want.prefix[i].prefix = addr("2001:db8:ffff::");
		want.prefix[i].prefix.s6_addr[7] = (uint8_t)i;
		want.prefix[i].len = (uint8_t)(48 + i * 10);
		want.prefix[i].flags = (uint8_t)(0x20 * i);
		want.prefix[i].valid = ND_LIFETIME_INFINITE - i;
		want.prefix[i].preferred = i;
	}
	want.has_sllao = 0;
	memset(want.sllao, 0, 6);
	n = nd_build_ra(&want, NULL, NULL, buf, sizeof(buf));
	assert_int_equal(n, 16 + ND_MAX_PREFIX * 32 + 8);
	assert_int_equal(nd_parse_ra(buf, (size_t)n, &again, &why), 0);
	assert_ra_equal(&again, &want);

	/* The largest RA fits ND_RA_MAX_LEN exactly. */
	want.has_sllao = 1;
	memcpy(want.sllao, mag_mac, 6);
	n = nd_build_ra(&want, NULL, NULL, buf, sizeof(buf));
	assert_int_equal(n, ND_RA_MAX_LEN);
	assert_int_equal(nd_parse_ra(buf, (size_t)n, &again, &why), 0);
	assert_ra_equal(&again, &want);

	/* A bare RA: no options at all. */
	memset(&want, 0, sizeof(want));
	want.router_lifetime = 0; /* not a default router */
	n = nd_build_ra(&want, NULL, NULL, buf, sizeof(buf));
	assert_int_equal(n, 16);
	assert_int_equal(nd_parse_ra(buf, (size_t)n, &again, &why), 0);
	assert_ra_equal(&again, &want);
}

static void
test_ra_build_errors(void **state)
{
	struct nd_ra ra;
	uint8_t buf[ND_RA_MAX_LEN];

	golden_ra_struct(&ra);
	/* Every capacity short of the message fails cleanly. */
	for (size_t cap = 0; cap < sizeof(golden_ra); cap++)
		assert_int_equal(nd_build_ra(&ra, NULL, NULL, buf, cap),
				 -ENOSPC);
	ra.n_prefix = ND_MAX_PREFIX + 1;
	assert_int_equal(nd_build_ra(&ra, NULL, NULL, buf, sizeof(buf)),
			 -EINVAL);
	ra.n_prefix = 2;
	ra.prefix[1].len = 129;
	assert_int_equal(nd_build_ra(&ra, NULL, NULL, buf, sizeof(buf)),
			 -EINVAL);
}

static void
test_ns_golden_and_round_trip(void **state)
{
	struct in6_addr src = addr(MAG_LL), dst = addr(MN_LL);
	struct in6_addr any = addr("::"), snm, target = addr(MN_LL);
	struct nd_ns ns;
	struct nd_msg m;
	const char *why = NULL;
	uint8_t buf[64];
	ssize_t n;

	/* Unicast NUD probe (RFC 4861 7.3.3) */
	n = nd_build_ns(&target, mag_mac, &src, &dst, buf, sizeof(buf));
	assert_int_equal(n, sizeof(golden_ns));
	assert_memory_equal(buf, golden_ns, sizeof(golden_ns));
	assert_int_equal(nd_parse_ns(buf, (size_t)n, &ns, &why), 0);
	assert_memory_equal(&ns.target, &target, 16);
	assert_true(ns.has_sllao);
	assert_memory_equal(ns.sllao, mag_mac, 6);
	assert_int_equal(ns.lladdr_len, 6);

	/* DAD-style probe from :: to the solicited-node address */
	nd_solicited_node(&target, &snm);
	n = nd_build_ns(&target, NULL, &any, &snm, buf, sizeof(buf));
	assert_int_equal(n, sizeof(golden_dad));
	assert_memory_equal(buf, golden_dad, sizeof(golden_dad));
	assert_int_equal(nd_parse(buf, (size_t)n, &m, &why), 0);
	assert_int_equal(m.type, ND_TYPE_NS);
	assert_memory_equal(&m.ns.target, &target, 16);
	assert_false(m.ns.has_sllao);
	assert_int_equal(m.ns.lladdr_len, 0);
	assert_int_equal(nd_check_ip(&m, &any, &snm, 255, &why), 0);

	/* RFC 4861 7.2.2: no SLLAO from ::; 4.3: no multicast target */
	assert_int_equal(
	    nd_build_ns(&target, mag_mac, &any, &snm, buf, sizeof(buf)),
	    -EINVAL);
	assert_int_equal(nd_build_ns(&snm, NULL, &src, &snm, buf, sizeof(buf)),
			 -EINVAL);
	for (size_t cap = 0; cap < sizeof(golden_ns); cap++)
		assert_int_equal(
		    nd_build_ns(&target, mag_mac, &src, &dst, buf, cap),
		    -ENOSPC);
}

static void
test_rs_golden_parsed(void **state)
{
	struct in6_addr src = addr(MN_LL), dst = addr("ff02::2");
	struct nd_rs rs;
	struct nd_msg m;
	const char *why = NULL;
	uint8_t buf[32];
	ssize_t n;

	assert_int_equal(nd_parse_rs(golden_rs, sizeof(golden_rs), &rs, &why),
			 0);
	assert_true(rs.has_sllao);
	assert_memory_equal(rs.sllao, mn_mac, 6);
	assert_int_equal(rs.lladdr_len, 6);
	assert_int_equal(rs.n_skipped, 0);

	assert_int_equal(nd_parse(golden_rs, sizeof(golden_rs), &m, &why), 0);
	assert_int_equal(m.type, ND_TYPE_RS);
	assert_true(m.rs.has_sllao);
	assert_int_equal(nd_check_ip(&m, &src, &dst, 255, &why), 0);

	/* The builder produces the same bytes. */
	n = nd_build_rs(mn_mac, &src, &dst, buf, sizeof(buf));
	assert_int_equal(n, sizeof(golden_rs));
	assert_memory_equal(buf, golden_rs, sizeof(golden_rs));

	/* An RS from :: (before the MN has an address) has no SLLAO. */
	src = addr("::");
	assert_int_equal(nd_build_rs(mn_mac, &src, &dst, buf, sizeof(buf)),
			 -EINVAL);
	n = nd_build_rs(NULL, &src, &dst, buf, sizeof(buf));
	assert_int_equal(n, 8);
	assert_int_equal(nd_parse_rs(buf, (size_t)n, &rs, &why), 0);
	assert_false(rs.has_sllao);
	assert_int_equal(rs.lladdr_len, 0);
}

static void
test_na_golden_parsed(void **state)
{
	struct in6_addr target = addr(MN_LL);
	struct nd_msg m;
	const char *why = NULL;

	assert_int_equal(nd_parse(golden_na, sizeof(golden_na), &m, &why), 0);
	assert_int_equal(m.type, ND_TYPE_NA);
	assert_int_equal(m.na.flags, ND_NA_F_SOLICITED | ND_NA_F_OVERRIDE);
	assert_memory_equal(&m.na.target, &target, 16);
	assert_true(m.na.has_tllao);
	assert_memory_equal(m.na.tllao, mn_mac, 6);
	assert_int_equal(m.na.lladdr_len, 6);
}

struct golden {
	const char *name;
	const uint8_t *buf;
	size_t len;
	size_t fixed; /* RFC 4861 4.x fixed part */
	const size_t *cuts;
	size_t n_cuts;
	const char *src, *dst;
	const char *truncated; /* reason for a cut inside the fixed part */
};

static const struct golden goldens[] = {
    {"ra", golden_ra, sizeof(golden_ra), 16, golden_ra_cuts, 4, MAG_LL, MN_LL,
     "truncated RA"},
    {"ns", golden_ns, sizeof(golden_ns), 24, golden_ns_cuts, 1, MAG_LL, MN_LL,
     "truncated NS"},
    {"dad", golden_dad, sizeof(golden_dad), 24, NULL, 0, "::", "ff02::1:ff00:1",
     "truncated NS"},
    {"rs", golden_rs, sizeof(golden_rs), 8, golden_rs_cuts, 1, MN_LL, "ff02::2",
     "truncated RS"},
    {"na", golden_na, sizeof(golden_na), 24, golden_na_cuts, 1, MN_LL, MAG_LL,
     "truncated NA"},
};

static int
is_cut(const struct golden *g, size_t n)
{
	for (size_t i = 0; i < g->n_cuts; i++)
		if (g->cuts[i] == n)
			return 1;
	return 0;
}

/*
 * Every truncation is rejected, except a cut exactly between options:
 * that is a well-formed shorter message, which only the checksum can
 * tell apart (and does).  ASan catches any read past the copy.
 */
static void
test_every_truncation(void **state)
{
	for (size_t k = 0; k < sizeof(goldens) / sizeof(goldens[0]); k++) {
		const struct golden *g = &goldens[k];
		struct in6_addr src = addr(g->src), dst = addr(g->dst);

		for (size_t n = 0; n < g->len; n++) {
			uint8_t *copy = malloc(n ? n : 1);
			struct nd_msg m;
			const char *why = NULL;
			int r;

			assert_non_null(copy);
			memcpy(copy, g->buf, n);
			r = nd_parse(copy, n, &m, &why);
			if (is_cut(g, n)) {
				assert_int_equal(r, 0);
				assert_int_not_equal(
				    nd_icmp6_checksum(&src, &dst, copy, n),
				    (uint16_t)(g->buf[2] << 8 | g->buf[3]));
			} else if (n < 4) {
				assert_int_equal(r, -EMSGSIZE);
				assert_string_equal(why,
						    "truncated ICMPv6 header");
			} else if (n < g->fixed) {
				assert_int_equal(r, -EMSGSIZE);
				assert_string_equal(why, g->truncated);
			} else {
				assert_int_equal(r, -EBADMSG);
				assert_non_null(why);
			}
			if (r < 0)
				assert_int_equal(m.type, 0);
			free(copy);
		}
	}

	/* The type-specific parsers reject the same way. */
	struct nd_rs rs;
	const char *why = NULL;
	for (size_t n = 0; n < sizeof(golden_rs); n++) {
		int r = nd_parse_rs(golden_rs, n, &rs, &why);
		if (n == 8)
			assert_int_equal(r, 0);
		else
			assert_true(r == -EMSGSIZE || r == -EBADMSG);
	}
	assert_int_equal(nd_parse_rs(golden_rs, 9, &rs, &why), -EBADMSG);
	assert_string_equal(why, "truncated option header");
	assert_int_equal(nd_parse_rs(golden_rs, 10, &rs, &why), -EBADMSG);
	assert_string_equal(why, "option runs past the end");
	assert_int_equal(nd_parse_rs(NULL, 0, &rs, &why), -EMSGSIZE);
}

/* Expect buf to be rejected by nd_parse with err and reason. */
static void
expect_reject(const uint8_t *buf, size_t len, int err, const char *reason)
{
	struct nd_msg m;
	const char *why = NULL;

	assert_int_equal(nd_parse(buf, len, &m, &why), err);
	assert_non_null(why);
	assert_string_equal(why, reason);
}

static void
test_malformed_options(void **state)
{
	uint8_t b[128];
	struct nd_rs rs;
	struct nd_msg m;
	const char *why = NULL;

	/* RFC 4861 4.6, 6.1.1: option length 0 */
	memcpy(b, golden_rs, sizeof(golden_rs));
	b[9] = 0;
	expect_reject(b, sizeof(golden_rs), -EBADMSG, "option length 0");
	assert_int_equal(nd_parse_rs(b, sizeof(golden_rs), &rs, &why),
			 -EBADMSG);
	assert_string_equal(why, "option length 0");

	/* Overlong: SLLAO claiming 16 octets in an 8-octet tail */
	b[9] = 2;
	expect_reject(b, sizeof(golden_rs), -EBADMSG,
		      "option runs past the end");
	b[9] = 255;
	expect_reject(b, sizeof(golden_rs), -EBADMSG,
		      "option runs past the end");

	/* Repeated SLLAO */
	memcpy(b, golden_rs, sizeof(golden_rs));
	memcpy(b + 16, golden_rs + 8, 8);
	expect_reject(b, 24, -EBADMSG, "repeated SLLAO");
	assert_int_equal(nd_parse_rs(b, 24, &rs, &why), -EBADMSG);
	assert_string_equal(why, "repeated SLLAO");

	/* Repeated SLLAO in an RA, and a zero length in its last option */
	memcpy(b, golden_ra, sizeof(golden_ra));
	memcpy(b + sizeof(golden_ra), golden_ra + 88, 8);
	expect_reject(b, sizeof(golden_ra) + 8, -EBADMSG, "repeated SLLAO");
	b[89] = 0;
	expect_reject(b, sizeof(golden_ra), -EBADMSG, "option length 0");

	/* Repeated TLLAO */
	memcpy(b, golden_na, sizeof(golden_na));
	memcpy(b + 32, golden_na + 24, 8);
	expect_reject(b, 40, -EBADMSG, "repeated TLLAO");

	/* Prefix Information of the wrong length, or an impossible prefix */
	memcpy(b, golden_ra, sizeof(golden_ra));
	b[17] = 3;
	expect_reject(b, sizeof(golden_ra), -EBADMSG,
		      "Prefix Information length not 4");
	b[17] = 4;
	b[18] = 129;
	expect_reject(b, sizeof(golden_ra), -EBADMSG, "prefix length over 128");
	b[18] = 128;
	assert_int_equal(nd_parse(b, sizeof(golden_ra), &m, &why), 0);
	assert_int_equal(m.ra.prefix[0].len, 128);
}

static void
test_malformed_fixed_part(void **state)
{
	uint8_t b[64];
	struct nd_rs rs;
	const char *why = NULL;

	/* MTU option of the wrong length, and repeated */
	memcpy(b, golden_ra, 16);
	memcpy(b + 16, golden_ra + 80, 8);
	b[17] = 2;
	memset(b + 24, 0, 8);
	expect_reject(b, 32, -EBADMSG, "MTU option length not 1");
	b[17] = 1;
	memcpy(b + 24, golden_ra + 80, 8);
	expect_reject(b, 32, -EBADMSG, "repeated MTU option");

	/* RFC 4861 6.1.1, 6.1.2, 7.1.1, 7.1.2: code 0 */
	memcpy(b, golden_rs, sizeof(golden_rs));
	b[1] = 1;
	expect_reject(b, sizeof(golden_rs), -EBADMSG, "ICMPv6 code not 0");

	/* Wrong type */
	assert_int_equal(nd_parse_rs(golden_ra, sizeof(golden_ra), &rs, &why),
			 -ENOMSG);
	assert_string_equal(why, "not an RS");
	b[0] = 128; /* Echo Request */
	b[1] = 0;
	expect_reject(b, sizeof(golden_rs), -ENOMSG, "not an ND message");

	/* 7.1.1, 7.1.2: multicast target */
	memcpy(b, golden_ns, sizeof(golden_ns));
	b[8] = 0xff;
	expect_reject(b, sizeof(golden_ns), -EBADMSG,
		      "multicast target address");
	memcpy(b, golden_na, sizeof(golden_na));
	b[8] = 0xff;
	expect_reject(b, sizeof(golden_na), -EBADMSG,
		      "multicast target address");
}

static void
test_wrong_type(void **state)
{
	struct nd_ra ra;
	struct nd_ns ns;
	struct nd_na na;
	struct nd_msg m;
	const char *why = NULL;

	assert_int_equal(nd_parse_ra(golden_rs, sizeof(golden_rs), &ra, &why),
			 -ENOMSG);
	assert_string_equal(why, "not an RA");
	assert_int_equal(nd_parse_ns(golden_na, sizeof(golden_na), &ns, &why),
			 -ENOMSG);
	assert_string_equal(why, "not an NS");
	assert_int_equal(nd_parse_na(golden_ns, sizeof(golden_ns), &na, &why),
			 -ENOMSG);
	assert_string_equal(why, "not an NA");
	/* A failed parse leaves nothing for nd_check_ip to accept. */
	assert_int_equal(nd_parse(golden_ns, 3, &m, &why), -EMSGSIZE);
	assert_int_equal(nd_check_ip(&m, &m.ns.target, &m.ns.target, 255, &why),
			 -EBADMSG);
	assert_string_equal(why, "not an ND message");

	assert_string_equal(nd_type_name(ND_TYPE_RS), "RS");
	assert_string_equal(nd_type_name(ND_TYPE_RA), "RA");
	assert_string_equal(nd_type_name(ND_TYPE_NS), "NS");
	assert_string_equal(nd_type_name(ND_TYPE_NA), "NA");
	assert_string_equal(nd_type_name(137), "unknown");
}

static void
test_options_skipped(void **state)
{
	uint8_t b[ND_RA_MAX_LEN + 64];
	struct nd_msg m;
	const char *why = NULL;
	size_t n;

	/* RFC 4861 4.6: unknown options are skipped, the message kept */
	memcpy(b, golden_rs, 8);
	const uint8_t unknown[] = {200, 1, 1, 2, 3, 4, 5, 6};
	memcpy(b + 8, unknown, 8);
	memcpy(b + 16, golden_rs + 8, 8);
	assert_int_equal(nd_parse(b, 24, &m, &why), 0);
	assert_true(m.rs.has_sllao);
	assert_memory_equal(m.rs.sllao, mn_mac, 6);
	assert_int_equal(m.rs.n_skipped, 1);

	/* A non-Ethernet SLLAO: its length recorded, no address kept */
	memcpy(b, golden_rs, 8);
	const uint8_t ll14[] = {1, 2, 1, 2,  3,	 4,  5,	 6,
				7, 8, 9, 10, 11, 12, 13, 14};
	memcpy(b + 8, ll14, sizeof(ll14));
	assert_int_equal(nd_parse(b, 24, &m, &why), 0);
	assert_false(m.rs.has_sllao);
	assert_int_equal(m.rs.lladdr_len, 14);

	/* A TLLAO in an NS and a PIO in an RS do not belong there */
	memcpy(b, golden_ns, 24);
	memcpy(b + 24, golden_na + 24, 8);
	assert_int_equal(nd_parse(b, 32, &m, &why), 0);
	assert_false(m.ns.has_sllao);
	assert_int_equal(m.ns.n_skipped, 1);
	memcpy(b, golden_rs, 8);
	memcpy(b + 8, golden_ra + 16, 32);
	assert_int_equal(nd_parse(b, 40, &m, &why), 0);
	assert_int_equal(m.rs.n_skipped, 1);

	/* Prefixes beyond ND_MAX_PREFIX are counted, not kept */
	memcpy(b, golden_ra, 16);
	n = 16;
	for (unsigned i = 0; i < ND_MAX_PREFIX + 1; i++) {
		memcpy(b + n, golden_ra + 16, 32);
		b[n + 16 + 7] = (uint8_t)i;
		n += 32;
	}
	assert_int_equal(nd_parse(b, n, &m, &why), 0);
	assert_int_equal(m.ra.n_prefix, ND_MAX_PREFIX);
	assert_int_equal(m.ra.n_skipped, 1);
	assert_int_equal(m.ra.prefix[ND_MAX_PREFIX - 1].prefix.s6_addr[7],
			 ND_MAX_PREFIX - 1);
}

static void
test_checksum(void **state)
{
	uint8_t b[ND_RA_MAX_LEN];

	for (size_t k = 0; k < sizeof(goldens) / sizeof(goldens[0]); k++) {
		const struct golden *g = &goldens[k];
		struct in6_addr src = addr(g->src), dst = addr(g->dst);
		uint16_t stored = (uint16_t)(g->buf[2] << 8 | g->buf[3]);

		assert_int_equal(nd_icmp6_checksum(&src, &dst, g->buf, g->len),
				 stored);
		/* The field's own content does not matter ... */
		memcpy(b, g->buf, g->len);
		b[2] = 0x12;
		b[3] = 0x34;
		assert_int_equal(nd_icmp6_checksum(&src, &dst, b, g->len),
				 stored);
		/* ... any other byte, or the pseudo-header, does. */
		b[g->len - 1] ^= 0x01;
		assert_int_not_equal(nd_icmp6_checksum(&src, &dst, b, g->len),
				     stored);
		dst.s6_addr[15] ^= 0x01;
		assert_int_not_equal(
		    nd_icmp6_checksum(&src, &dst, g->buf, g->len), stored);
	}
	/* Short buffers do not read past their end (ASan). */
	for (size_t n = 0; n < 5; n++) {
		uint8_t *p = malloc(n ? n : 1);
		struct in6_addr a = addr("::1");
		assert_non_null(p);
		memset(p, 0xab, n);
		(void)nd_icmp6_checksum(&a, &a, p, n);
		free(p);
	}
}

static void
test_solicited_node(void **state)
{
	struct in6_addr a = addr(MN_LL), out, want = addr("ff02::1:ff00:1");

	nd_solicited_node(&a, &out);
	assert_memory_equal(&out, &want, 16);
	a = addr("2001:db8::abcd:1234:5678");
	want = addr("ff02::1:ff34:5678");
	nd_solicited_node(&a, &out);
	assert_memory_equal(&out, &want, 16);
	/* in place */
	nd_solicited_node(&a, &a);
	assert_memory_equal(&a, &want, 16);
}

static void
test_check_ip(void **state)
{
	struct in6_addr mag = addr(MAG_LL), mn = addr(MN_LL), any = addr("::");
	struct in6_addr allr = addr("ff02::2"), alln = addr("ff02::1");
	struct in6_addr glob = addr("2001:db8::1"), snm;
	struct nd_msg m;
	const char *why = NULL;

	nd_solicited_node(&mn, &snm);

	assert_int_equal(nd_parse(golden_rs, sizeof(golden_rs), &m, &why), 0);
	assert_int_equal(nd_check_ip(&m, &mn, &allr, 255, &why), 0);
	assert_int_equal(nd_check_ip(&m, &mn, &allr, 254, &why), -EBADMSG);
	assert_string_equal(why, "hop limit not 255");
	/* 6.1.1: RS from :: carrying an SLLAO */
	assert_int_equal(nd_check_ip(&m, &any, &allr, 255, &why), -EBADMSG);
	assert_string_equal(why, "SLLAO from the unspecified address");

	/* 6.1.2: RA from a global address */
	assert_int_equal(nd_parse(golden_ra, sizeof(golden_ra), &m, &why), 0);
	assert_int_equal(nd_check_ip(&m, &mag, &mn, 255, &why), 0);
	assert_int_equal(nd_check_ip(&m, &glob, &mn, 255, &why), -EBADMSG);
	assert_string_equal(why, "RA source not link-local");

	/* 7.1.1: NS from :: to a unicast address, or with an SLLAO */
	assert_int_equal(nd_parse(golden_dad, sizeof(golden_dad), &m, &why), 0);
	assert_int_equal(nd_check_ip(&m, &any, &mn, 255, &why), -EBADMSG);
	assert_string_equal(why, "NS from :: not to a solicited-node address");
	assert_int_equal(nd_parse(golden_ns, sizeof(golden_ns), &m, &why), 0);
	assert_int_equal(nd_check_ip(&m, &mag, &mn, 255, &why), 0);
	assert_int_equal(nd_check_ip(&m, &any, &snm, 255, &why), -EBADMSG);
	assert_string_equal(why, "SLLAO from the unspecified address");

	/* 7.1.2: a solicited NA to a multicast address */
	assert_int_equal(nd_parse(golden_na, sizeof(golden_na), &m, &why), 0);
	assert_int_equal(nd_check_ip(&m, &mn, &mag, 255, &why), 0);
	assert_int_equal(nd_check_ip(&m, &mn, &alln, 255, &why), -EBADMSG);
	assert_string_equal(why, "solicited NA to a multicast address");
}

/* A pcap file of raw IPv6 packets (LINKTYPE_RAW). */
static void
write_pcap_header(FILE *f)
{
	const uint32_t gh[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 101};

	assert_int_equal(fwrite(gh, sizeof(gh), 1, f), 1);
}

/* An IPv6 header (next header 58, hop limit 255) around msg. */
static void
write_pcap_packet(FILE *f, const char *src, const char *dst, const uint8_t *msg,
		  size_t len)
{
	uint32_t rh[4] = {0, 0, (uint32_t)(40 + len), (uint32_t)(40 + len)};
	uint8_t ip6[40] = {0x60,	 0,  0,	 0, (uint8_t)(len >> 8),
			   (uint8_t)len, 58, 255};
	struct in6_addr s = addr(src), d = addr(dst);

	memcpy(ip6 + 8, &s, 16);
	memcpy(ip6 + 24, &d, 16);
	assert_int_equal(fwrite(rh, sizeof(rh), 1, f), 1);
	assert_int_equal(fwrite(ip6, sizeof(ip6), 1, f), 1);
	assert_int_equal(fwrite(msg, len, 1, f), 1);
}

/*
 * Optional: tshark decodes the golden RA as we meant it, and finds the
 * checksum of every golden message good.
 */
static void
test_tshark_decodes(void **state)
{
	char path[] = "/tmp/test_nd_XXXXXX";
	char cmd[512], out[512];
	FILE *f, *p;
	int fd;
	size_t k = 0;

	if (system("command -v tshark >/dev/null 2>&1") != 0)
		skip();
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "wb");
	assert_non_null(f);
	write_pcap_header(f);
	for (size_t i = 0; i < sizeof(goldens) / sizeof(goldens[0]); i++)
		write_pcap_packet(f, goldens[i].src, goldens[i].dst,
				  goldens[i].buf, goldens[i].len);
	assert_int_equal(fclose(f), 0);

	snprintf(cmd, sizeof(cmd),
		 "tshark -n -r %s -T fields -E separator=@ "
		 "-e icmpv6.type -e icmpv6.checksum.status "
		 "-e icmpv6.nd.ra.router_lifetime -e icmpv6.opt.prefix "
		 "-e icmpv6.opt.prefix.valid_lifetime -e icmpv6.opt.mtu "
		 "-e icmpv6.opt.linkaddr 2>/dev/null",
		 path);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(out, sizeof(out), p)) {
		char want[16];

		out[strcspn(out, "\n")] = '\0';
		assert_true(k < sizeof(goldens) / sizeof(goldens[0]));
		if (k == 0)
			assert_string_equal(
			    out, "134@1@1800@2001:db8:1:1::,2001:db8:1:2::@"
				 "86400,3600@1460@00:00:5e:00:52:13");
		/* type, then checksum status 1 (good) */
		snprintf(want, sizeof(want), "%u@1@", goldens[k].buf[0]);
		assert_memory_equal(out, want, strlen(want));
		k++;
	}
	pclose(p);
	unlink(path);
	assert_int_equal(k, sizeof(goldens) / sizeof(goldens[0]));
}

static void
write_corpus(const char *dir)
{
	for (size_t k = 0; k < sizeof(goldens) / sizeof(goldens[0]); k++) {
		char path[4096];
		FILE *f;

		snprintf(path, sizeof(path), "%s/golden-%s", dir,
			 goldens[k].name);
		f = fopen(path, "wb");
		if (!f) {
			perror(path);
			exit(1);
		}
		if (fwrite(goldens[k].buf, goldens[k].len, 1, f) != 1 ||
		    fclose(f) != 0) {
			perror(path);
			exit(1);
		}
	}
}

int
main(void)
{
	const char *corpus = getenv("PMIP_WRITE_CORPUS");
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ra_golden),
	    cmocka_unit_test(test_ra_parse_and_round_trip),
	    cmocka_unit_test(test_ra_build_errors),
	    cmocka_unit_test(test_ns_golden_and_round_trip),
	    cmocka_unit_test(test_rs_golden_parsed),
	    cmocka_unit_test(test_na_golden_parsed),
	    cmocka_unit_test(test_every_truncation),
	    cmocka_unit_test(test_malformed_options),
	    cmocka_unit_test(test_malformed_fixed_part),
	    cmocka_unit_test(test_wrong_type),
	    cmocka_unit_test(test_options_skipped),
	    cmocka_unit_test(test_checksum),
	    cmocka_unit_test(test_solicited_node),
	    cmocka_unit_test(test_check_ip),
	    cmocka_unit_test(test_tshark_decodes),
	};

	if (corpus)
		write_corpus(corpus);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
