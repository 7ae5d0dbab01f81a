/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target for the Neighbor Discovery codec (RFC 4861).  Parses
 * the input as an ICMPv6 message; whatever parses is built back, parsed
 * again and compared, so the parser and the builders agree on every
 * message the parser accepts.  Aborts on any disagreement.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
nd_fuzz_check(int ok)
{
	if (!ok)
		abort();
}

static void
nd_fuzz_ra_equal(const struct nd_ra *a, const struct nd_ra *b)
{
	nd_fuzz_check(a->cur_hop_limit == b->cur_hop_limit);
	nd_fuzz_check(a->flags == b->flags);
	nd_fuzz_check(a->router_lifetime == b->router_lifetime);
	nd_fuzz_check(a->reachable_time == b->reachable_time);
	nd_fuzz_check(a->retrans_timer == b->retrans_timer);
	nd_fuzz_check(a->n_prefix == b->n_prefix);
	for (unsigned i = 0; i < a->n_prefix; i++) {
		const struct nd_prefix *p = &a->prefix[i], *q = &b->prefix[i];
		nd_fuzz_check(memcmp(&p->prefix, &q->prefix, 16) == 0);
		nd_fuzz_check(p->len == q->len);
		nd_fuzz_check(p->flags == q->flags);
		nd_fuzz_check(p->valid == q->valid);
		nd_fuzz_check(p->preferred == q->preferred);
	}
	nd_fuzz_check(a->mtu == b->mtu);
	nd_fuzz_check(a->has_sllao == b->has_sllao);
	nd_fuzz_check(memcmp(a->sllao, b->sllao, ND_ETH_ALEN) == 0);
	/* The rebuilt RA carries only what was kept. */
	nd_fuzz_check(b->n_skipped == 0);
	nd_fuzz_check(b->lladdr_len == (a->has_sllao ? ND_ETH_ALEN : 0));
}

static void
nd_fuzz_ra(const struct nd_ra *ra)
{
	static const struct in6_addr src = {
	    .s6_addr = {0xfe, 0x80, [11] = 0xff, 0xfe, 0, 0x52, 0x13}};
	uint8_t buf[ND_RA_MAX_LEN], again[ND_RA_MAX_LEN];
	struct nd_msg m;
	const char *why = NULL;
	ssize_t n, n2;

	n = nd_build_ra(ra, &src, &src, buf, sizeof(buf));
	nd_fuzz_check(n >= 16 && (size_t)n <= sizeof(buf));
	nd_fuzz_check(nd_icmp6_checksum(&src, &src, buf, (size_t)n) ==
		      (uint16_t)(buf[2] << 8 | buf[3]));
	nd_fuzz_check(nd_parse(buf, (size_t)n, &m, &why) == 0);
	nd_fuzz_check(m.type == ND_TYPE_RA);
	nd_fuzz_ra_equal(ra, &m.ra);
	/* Building is deterministic: build(parse(build(x))) == build(x). */
	n2 = nd_build_ra(&m.ra, &src, &src, again, sizeof(again));
	nd_fuzz_check(n2 == n && memcmp(buf, again, (size_t)n) == 0);
}

static void
nd_fuzz_ns(const struct nd_ns *ns)
{
	uint8_t buf[64];
	struct nd_msg m;
	const char *why = NULL;
	ssize_t n;

	n = nd_build_ns(&ns->target, ns->has_sllao ? ns->sllao : NULL, NULL,
			NULL, buf, sizeof(buf));
	nd_fuzz_check(n == (ns->has_sllao ? 32 : 24));
	nd_fuzz_check(nd_parse(buf, (size_t)n, &m, &why) == 0);
	nd_fuzz_check(m.type == ND_TYPE_NS);
	nd_fuzz_check(memcmp(&m.ns.target, &ns->target, 16) == 0);
	nd_fuzz_check(m.ns.has_sllao == ns->has_sllao);
	nd_fuzz_check(memcmp(m.ns.sllao, ns->sllao, ND_ETH_ALEN) == 0);
}

static void
nd_fuzz_rs(const struct nd_rs *rs)
{
	uint8_t buf[64];
	struct nd_msg m;
	const char *why = NULL;
	ssize_t n;

	n = nd_build_rs(rs->has_sllao ? rs->sllao : NULL, NULL, NULL, buf,
			sizeof(buf));
	nd_fuzz_check(n == (rs->has_sllao ? 16 : 8));
	nd_fuzz_check(nd_parse(buf, (size_t)n, &m, &why) == 0);
	nd_fuzz_check(m.type == ND_TYPE_RS);
	nd_fuzz_check(m.rs.has_sllao == rs->has_sllao);
	nd_fuzz_check(memcmp(m.rs.sllao, rs->sllao, ND_ETH_ALEN) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct in6_addr any,
	    ll = {.s6_addr = {0xfe, 0x80, [15] = 1}};
	struct nd_msg m;
	const char *why = NULL;
	int r;

	(void)nd_icmp6_checksum(&ll, &any, data, size);
	r = nd_parse(data, size, &m, &why);
	if (r < 0) {
		nd_fuzz_check(why != NULL);
		return 0;
	}
	(void)nd_check_ip(&m, &any, &ll, 255, &why);
	(void)nd_check_ip(&m, &ll, &ll, 255, &why);
	switch (m.type) {
	case ND_TYPE_RA:
		nd_fuzz_ra(&m.ra);
		break;
	case ND_TYPE_NS:
		nd_fuzz_ns(&m.ns);
		break;
	case ND_TYPE_RS:
		nd_fuzz_rs(&m.rs);
		break;
	case ND_TYPE_NA:
		nd_fuzz_check(!m.na.has_tllao || m.na.lladdr_len == 6);
		break;
	default:
		abort();
	}
	return 0;
}
