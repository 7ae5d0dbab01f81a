/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Neighbor Discovery codec (RFC 4861).  See nd.h for the contract.
 */
#include <errno.h>
#include <string.h>

#include "cursor.h"
#include "nd.h"

#define ND_RS_LEN 8	 /* RFC 4861 4.1: type, code, checksum, reserved */
#define ND_RA_LEN 16	 /* RFC 4861 4.2: ... reachable time, retrans timer */
#define ND_NS_LEN 24	 /* RFC 4861 4.3: ... reserved, target address */
#define ND_NA_LEN 24	 /* RFC 4861 4.4: ... flags, reserved, target */
#define ND_PI_OPT_LEN 4	 /* RFC 4861 4.6.2, in units of 8 octets */
#define ND_MTU_OPT_LEN 1 /* RFC 4861 4.6.4, in units of 8 octets */

const char *
nd_type_name(unsigned type)
{
	switch (type) {
	case ND_TYPE_RS:
		return "RS";
	case ND_TYPE_RA:
		return "RA";
	case ND_TYPE_NS:
		return "NS";
	case ND_TYPE_NA:
		return "NA";
	default:
		return "unknown";
	}
}

static int
nd_fail(const char **why, const char *reason, int err)
{
	if (why)
		*why = reason;
	return err;
}

static int
nd_addr_unspecified(const struct in6_addr *a)
{
	static const struct in6_addr any;
	return memcmp(a, &any, sizeof(any)) == 0;
}

static int
nd_addr_multicast(const struct in6_addr *a)
{
	return a->s6_addr[0] == 0xff;
}

static int
nd_addr_linklocal(const struct in6_addr *a)
{
	return a->s6_addr[0] == 0xfe && (a->s6_addr[1] & 0xc0) == 0x80;
}

/* RFC 4291 2.7.1: ff02::1:ff00:0/104 */
static const uint8_t nd_snm_prefix[13] = {0xff, 0x02, [11] = 0x01, 0xff};

static int
nd_addr_solicited_node(const struct in6_addr *a)
{
	return memcmp(a->s6_addr, nd_snm_prefix, sizeof(nd_snm_prefix)) == 0;
}

void
nd_solicited_node(const struct in6_addr *a, struct in6_addr *out)
{
	struct in6_addr r;

	memcpy(r.s6_addr, nd_snm_prefix, sizeof(nd_snm_prefix));
	memcpy(r.s6_addr + 13, a->s6_addr + 13, 3);
	*out = r;
}

uint16_t
nd_icmp6_checksum(const struct in6_addr *src, const struct in6_addr *dst,
		  const uint8_t *buf, size_t len)
{
	/* RFC 8200 8.1 pseudo-header: upper-layer length, zero, next hdr */
	uint32_t ulen = (uint32_t)len;
	const uint8_t ph[8] = {(uint8_t)(ulen >> 24),
			       (uint8_t)(ulen >> 16),
			       (uint8_t)(ulen >> 8),
			       (uint8_t)ulen,
			       0,
			       0,
			       0,
			       IPPROTO_ICMPV6};
	uint32_t sum = 0;

	sum = csum_add(sum, src->s6_addr, 16);
	sum = csum_add(sum, dst->s6_addr, 16);
	sum = csum_add(sum, ph, sizeof(ph));
	/* Skip the checksum field itself (octets 2 and 3). */
	sum = csum_add(sum, buf, len < 2 ? len : 2);
	if (len > 4)
		sum = csum_add(sum, buf + 4, len - 4);
	return csum_fold(sum);
}

/*
 * The ICMPv6 header shared by all four messages: type, code 0 (RFC 4861
 * 6.1.1, 6.1.2, 7.1.1, 7.1.2), checksum, and a fixed part of min_len
 * octets in all.  Leaves the cursor after the checksum.
 */
static int
nd_parse_hdr(struct rcur *c, uint8_t want, size_t min_len, const char **why)
{
	uint8_t type, code;
	uint16_t cksum;

	if (rcur_left(c) < 4)
		return nd_fail(why, "truncated ICMPv6 header", -EMSGSIZE);
	rcur_u8(c, &type);
	rcur_u8(c, &code);
	rcur_u16(c, &cksum);
	if (type != want) {
		switch (want) {
		case ND_TYPE_RS:
			return nd_fail(why, "not an RS", -ENOMSG);
		case ND_TYPE_RA:
			return nd_fail(why, "not an RA", -ENOMSG);
		case ND_TYPE_NS:
			return nd_fail(why, "not an NS", -ENOMSG);
		default:
			return nd_fail(why, "not an NA", -ENOMSG);
		}
	}
	if (code != 0)
		return nd_fail(why, "ICMPv6 code not 0", -EBADMSG);
	if (rcur_left(c) < min_len - 4) {
		switch (want) {
		case ND_TYPE_RS:
			return nd_fail(why, "truncated RS", -EMSGSIZE);
		case ND_TYPE_RA:
			return nd_fail(why, "truncated RA", -EMSGSIZE);
		case ND_TYPE_NS:
			return nd_fail(why, "truncated NS", -EMSGSIZE);
		default:
			return nd_fail(why, "truncated NA", -EMSGSIZE);
		}
	}
	return 0;
}

/* What the option walk found, before it is copied into the message. */
struct nd_popts {
	uint16_t lladdr_len;
	uint8_t lladdr[ND_ETH_ALEN];
	unsigned n_skipped;
};

/* RFC 4861 4.6.2 Prefix Information, the 30 octets after type and length */
static int
nd_parse_pio(struct rcur *oc, struct nd_prefix *p, const char **why)
{
	uint32_t reserved2;

	rcur_u8(oc, &p->len);
	rcur_u8(oc, &p->flags);
	rcur_u32(oc, &p->valid);
	rcur_u32(oc, &p->preferred);
	rcur_u32(oc, &reserved2);
	rcur_bytes(oc, p->prefix.s6_addr, 16);
	if (oc->err)
		return nd_fail(why, "truncated Prefix Information", -EBADMSG);
	if (p->len > 128)
		return nd_fail(why, "prefix length over 128", -EBADMSG);
	return 0;
}

/*
 * Walk the options after the fixed part (RFC 4861 4.6).  A length of 0
 * or an option running past the end invalidates the whole message (6.1,
 * 7.1: "MUST silently discard"); unknown options are skipped.  The
 * link-layer option the message carries is the SLLAO, or the TLLAO for
 * an NA.  ra is NULL except for Router Advertisements, which alone keep
 * Prefix Information and MTU options.
 */
static int
nd_parse_opts(struct rcur *c, uint8_t msg_type, struct nd_popts *o,
	      struct nd_ra *ra, const char **why)
{
	uint8_t ll_type = msg_type == ND_TYPE_NA ? ND_OPT_TLLAO : ND_OPT_SLLAO;
	int seen_mtu = 0;

	memset(o, 0, sizeof(*o));
	while (rcur_left(c) > 0) {
		uint8_t type, len;
		struct rcur oc;

		if (rcur_left(c) < 2)
			return nd_fail(why, "truncated option header",
				       -EBADMSG);
		rcur_u8(c, &type);
		rcur_u8(c, &len);
		if (len == 0)
			return nd_fail(why, "option length 0", -EBADMSG);
		if (rcur_sub(c, (size_t)len * 8 - 2, &oc))
			return nd_fail(why, "option runs past the end",
				       -EBADMSG);

		if (type == ll_type) {
			/* 4.6.1: for Ethernet, length 1 and 6 octets */
			if (o->lladdr_len)
				return nd_fail(why,
					       ll_type == ND_OPT_SLLAO
						   ? "repeated SLLAO"
						   : "repeated TLLAO",
					       -EBADMSG);
			o->lladdr_len = (uint16_t)rcur_left(&oc);
			if (o->lladdr_len == ND_ETH_ALEN)
				rcur_bytes(&oc, o->lladdr, ND_ETH_ALEN);
		} else if (ra && type == ND_OPT_PI) {
			struct nd_prefix p;
			int r;

			if (len != ND_PI_OPT_LEN)
				return nd_fail(
				    why, "Prefix Information length not 4",
				    -EBADMSG);
			memset(&p, 0, sizeof(p));
			if ((r = nd_parse_pio(&oc, &p, why)) < 0)
				return r;
			if (ra->n_prefix < ND_MAX_PREFIX)
				ra->prefix[ra->n_prefix++] = p;
			else
				o->n_skipped++;
		} else if (ra && type == ND_OPT_MTU) {
			/* 4.6.4: reserved (16 bits), MTU (32 bits) */
			uint16_t reserved;

			if (len != ND_MTU_OPT_LEN)
				return nd_fail(why, "MTU option length not 1",
					       -EBADMSG);
			if (seen_mtu)
				return nd_fail(why, "repeated MTU option",
					       -EBADMSG);
			seen_mtu = 1;
			rcur_u16(&oc, &reserved);
			rcur_u32(&oc, &ra->mtu);
		} else {
			o->n_skipped++;
		}
	}
	return 0;
}

int
nd_parse_rs(const uint8_t *buf, size_t len, struct nd_rs *rs, const char **why)
{
	struct rcur c;
	struct nd_popts o;
	uint32_t reserved;
	int r;

	memset(rs, 0, sizeof(*rs));
	rcur_init(&c, buf, len);
	if ((r = nd_parse_hdr(&c, ND_TYPE_RS, ND_RS_LEN, why)) < 0)
		return r;
	rcur_u32(&c, &reserved); /* 4.1: ignored on receipt */
	if ((r = nd_parse_opts(&c, ND_TYPE_RS, &o, NULL, why)) < 0)
		return r;
	rs->lladdr_len = o.lladdr_len;
	rs->n_skipped = o.n_skipped;
	if (o.lladdr_len == ND_ETH_ALEN) {
		rs->has_sllao = 1;
		memcpy(rs->sllao, o.lladdr, ND_ETH_ALEN);
	}
	return 0;
}

int
nd_parse_ra(const uint8_t *buf, size_t len, struct nd_ra *ra, const char **why)
{
	struct rcur c;
	struct nd_popts o;
	int r;

	memset(ra, 0, sizeof(*ra));
	rcur_init(&c, buf, len);
	if ((r = nd_parse_hdr(&c, ND_TYPE_RA, ND_RA_LEN, why)) < 0)
		return r;
	rcur_u8(&c, &ra->cur_hop_limit);
	rcur_u8(&c, &ra->flags);
	rcur_u16(&c, &ra->router_lifetime);
	rcur_u32(&c, &ra->reachable_time);
	rcur_u32(&c, &ra->retrans_timer);
	if ((r = nd_parse_opts(&c, ND_TYPE_RA, &o, ra, why)) < 0) {
		memset(ra, 0, sizeof(*ra));
		return r;
	}
	ra->lladdr_len = o.lladdr_len;
	ra->n_skipped = o.n_skipped;
	if (o.lladdr_len == ND_ETH_ALEN) {
		ra->has_sllao = 1;
		memcpy(ra->sllao, o.lladdr, ND_ETH_ALEN);
	}
	return 0;
}

/* NS and NA share their layout: 4 octets (NA: flags), then the target. */
static int
nd_parse_target(struct rcur *c, uint8_t *flags, struct in6_addr *target,
		const char **why)
{
	uint8_t reserved[3];

	rcur_u8(c, flags);
	rcur_bytes(c, reserved, sizeof(reserved));
	rcur_bytes(c, target->s6_addr, 16);
	/* 7.1.1, 7.1.2: Target Address is not a multicast address */
	if (nd_addr_multicast(target))
		return nd_fail(why, "multicast target address", -EBADMSG);
	return 0;
}

int
nd_parse_ns(const uint8_t *buf, size_t len, struct nd_ns *ns, const char **why)
{
	struct rcur c;
	struct nd_popts o;
	uint8_t reserved;
	int r;

	memset(ns, 0, sizeof(*ns));
	rcur_init(&c, buf, len);
	if ((r = nd_parse_hdr(&c, ND_TYPE_NS, ND_NS_LEN, why)) < 0)
		return r;
	if ((r = nd_parse_target(&c, &reserved, &ns->target, why)) < 0 ||
	    (r = nd_parse_opts(&c, ND_TYPE_NS, &o, NULL, why)) < 0) {
		memset(ns, 0, sizeof(*ns));
		return r;
	}
	ns->lladdr_len = o.lladdr_len;
	ns->n_skipped = o.n_skipped;
	if (o.lladdr_len == ND_ETH_ALEN) {
		ns->has_sllao = 1;
		memcpy(ns->sllao, o.lladdr, ND_ETH_ALEN);
	}
	return 0;
}

int
nd_parse_na(const uint8_t *buf, size_t len, struct nd_na *na, const char **why)
{
	struct rcur c;
	struct nd_popts o;
	uint8_t flags;
	int r;

	memset(na, 0, sizeof(*na));
	rcur_init(&c, buf, len);
	if ((r = nd_parse_hdr(&c, ND_TYPE_NA, ND_NA_LEN, why)) < 0)
		return r;
	if ((r = nd_parse_target(&c, &flags, &na->target, why)) < 0 ||
	    (r = nd_parse_opts(&c, ND_TYPE_NA, &o, NULL, why)) < 0) {
		memset(na, 0, sizeof(*na));
		return r;
	}
	/* 4.4: R, S, O; the other 29 bits are reserved */
	na->flags =
	    flags & (ND_NA_F_ROUTER | ND_NA_F_SOLICITED | ND_NA_F_OVERRIDE);
	na->lladdr_len = o.lladdr_len;
	na->n_skipped = o.n_skipped;
	if (o.lladdr_len == ND_ETH_ALEN) {
		na->has_tllao = 1;
		memcpy(na->tllao, o.lladdr, ND_ETH_ALEN);
	}
	return 0;
}

int
nd_parse(const uint8_t *buf, size_t len, struct nd_msg *m, const char **why)
{
	int r;

	memset(m, 0, sizeof(*m));
	if (!buf || len < 1)
		return nd_fail(why, "truncated ICMPv6 header", -EMSGSIZE);
	switch (buf[0]) {
	case ND_TYPE_RS:
		r = nd_parse_rs(buf, len, &m->rs, why);
		break;
	case ND_TYPE_RA:
		r = nd_parse_ra(buf, len, &m->ra, why);
		break;
	case ND_TYPE_NS:
		r = nd_parse_ns(buf, len, &m->ns, why);
		break;
	case ND_TYPE_NA:
		r = nd_parse_na(buf, len, &m->na, why);
		break;
	default:
		return nd_fail(why, "not an ND message", -ENOMSG);
	}
	if (r < 0) {
		memset(m, 0, sizeof(*m));
		return r;
	}
	m->type = buf[0];
	return 0;
}

int
nd_check_ip(const struct nd_msg *m, const struct in6_addr *src,
	    const struct in6_addr *dst, int hop_limit, const char **why)
{
	/* 6.1.1, 6.1.2, 7.1.1, 7.1.2: never forwarded by a router */
	if (hop_limit != 255)
		return nd_fail(why, "hop limit not 255", -EBADMSG);
	switch (m->type) {
	case ND_TYPE_RS:
		/* 6.1.1: from ::, there is no source link-layer address */
		if (nd_addr_unspecified(src) && m->rs.lladdr_len)
			return nd_fail(why,
				       "SLLAO from the unspecified address",
				       -EBADMSG);
		return 0;
	case ND_TYPE_RA:
		/* 6.1.2: routers advertise from their link-local address */
		if (!nd_addr_linklocal(src))
			return nd_fail(why, "RA source not link-local",
				       -EBADMSG);
		return 0;
	case ND_TYPE_NS:
		/* 7.1.1: a DAD probe goes to a solicited-node address */
		if (nd_addr_unspecified(src) && !nd_addr_solicited_node(dst))
			return nd_fail(why,
				       "NS from :: not to a solicited-node "
				       "address",
				       -EBADMSG);
		if (nd_addr_unspecified(src) && m->ns.lladdr_len)
			return nd_fail(why,
				       "SLLAO from the unspecified address",
				       -EBADMSG);
		return 0;
	case ND_TYPE_NA:
		/* 7.1.2: a solicited NA is always unicast */
		if (nd_addr_multicast(dst) && (m->na.flags & ND_NA_F_SOLICITED))
			return nd_fail(why,
				       "solicited NA to a multicast address",
				       -EBADMSG);
		return 0;
	default:
		return nd_fail(why, "not an ND message", -EBADMSG);
	}
}

/* Fill in the checksum if both addresses are known, and return the length. */
static ssize_t
nd_finish(struct wcur *w, const struct in6_addr *src,
	  const struct in6_addr *dst)
{
	if (w->err)
		return w->err;
	if (src && dst)
		wcur_put_u16_at(w, 2,
				nd_icmp6_checksum(src, dst, w->buf, w->off));
	return (ssize_t)w->off;
}

/* 4.6.1 Source Link-layer Address for Ethernet: length 1, 6 octets. */
static void
nd_put_sllao(struct wcur *w, const uint8_t *lladdr)
{
	wcur_u8(w, ND_OPT_SLLAO);
	wcur_u8(w, 1);
	wcur_bytes(w, lladdr, ND_ETH_ALEN);
}

ssize_t
nd_build_ra(const struct nd_ra *ra, const struct in6_addr *src,
	    const struct in6_addr *dst, uint8_t *buf, size_t cap)
{
	struct wcur w;

	if (ra->n_prefix > ND_MAX_PREFIX)
		return -EINVAL;
	for (unsigned i = 0; i < ra->n_prefix; i++)
		if (ra->prefix[i].len > 128)
			return -EINVAL;

	wcur_init(&w, buf, cap);
	/* 4.2 */
	wcur_u8(&w, ND_TYPE_RA);
	wcur_u8(&w, 0);	 /* code */
	wcur_u16(&w, 0); /* checksum, filled in below */
	wcur_u8(&w, ra->cur_hop_limit);
	wcur_u8(&w, ra->flags);
	wcur_u16(&w, ra->router_lifetime);
	wcur_u32(&w, ra->reachable_time);
	wcur_u32(&w, ra->retrans_timer);
	/* 4.6.2 */
	for (unsigned i = 0; i < ra->n_prefix; i++) {
		const struct nd_prefix *p = &ra->prefix[i];

		wcur_u8(&w, ND_OPT_PI);
		wcur_u8(&w, ND_PI_OPT_LEN);
		wcur_u8(&w, p->len);
		wcur_u8(&w, p->flags);
		wcur_u32(&w, p->valid);
		wcur_u32(&w, p->preferred);
		wcur_u32(&w, 0); /* reserved2 */
		wcur_bytes(&w, p->prefix.s6_addr, 16);
	}
	/* 4.6.4 */
	if (ra->mtu) {
		wcur_u8(&w, ND_OPT_MTU);
		wcur_u8(&w, ND_MTU_OPT_LEN);
		wcur_u16(&w, 0); /* reserved */
		wcur_u32(&w, ra->mtu);
	}
	if (ra->has_sllao)
		nd_put_sllao(&w, ra->sllao);
	return nd_finish(&w, src, dst);
}

ssize_t
nd_build_ns(const struct in6_addr *target, const uint8_t *sllao,
	    const struct in6_addr *src, const struct in6_addr *dst,
	    uint8_t *buf, size_t cap)
{
	struct wcur w;

	/* 4.3: the target MUST NOT be a multicast address */
	if (nd_addr_multicast(target))
		return -EINVAL;
	/* 7.2.2: no SLLAO when the source is the unspecified address */
	if (sllao && src && nd_addr_unspecified(src))
		return -EINVAL;

	wcur_init(&w, buf, cap);
	wcur_u8(&w, ND_TYPE_NS);
	wcur_u8(&w, 0);	 /* code */
	wcur_u16(&w, 0); /* checksum, filled in below */
	wcur_u32(&w, 0); /* reserved */
	wcur_bytes(&w, target->s6_addr, 16);
	if (sllao)
		nd_put_sllao(&w, sllao);
	return nd_finish(&w, src, dst);
}

ssize_t
nd_build_rs(const uint8_t *sllao, const struct in6_addr *src,
	    const struct in6_addr *dst, uint8_t *buf, size_t cap)
{
	struct wcur w;

	/* 4.1: no SLLAO when the source is the unspecified address */
	if (sllao && src && nd_addr_unspecified(src))
		return -EINVAL;

	wcur_init(&w, buf, cap);
	wcur_u8(&w, ND_TYPE_RS);
	wcur_u8(&w, 0);	 /* code */
	wcur_u16(&w, 0); /* checksum, filled in below */
	wcur_u32(&w, 0); /* reserved */
	if (sllao)
		nd_put_sllao(&w, sllao);
	return nd_finish(&w, src, dst);
}
