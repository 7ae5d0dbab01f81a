/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Neighbor Discovery codec (RFC 4861): the messages a MAG needs on its
 * access links.  Router Solicitations come in, Router Advertisements
 * carrying the home network prefixes go out (RFC 5213 section 6.7), and
 * Neighbor Solicitations probe whether a mobile node is still attached
 * (NUD, RFC 4861 section 7.3, or a DAD-style probe from ::).  Router
 * Advertisements, Neighbor Solicitations and Neighbor Advertisements are
 * parsed too, so that tests and the mobile node simulator can read them.
 *
 * Pure functions over byte buffers: no I/O, no globals, every read and
 * write through a struct rcur/wcur.  Buffers start at the ICMPv6 header,
 * as a raw IPPROTO_ICMPV6 socket returns them.
 *
 * What the parsers cannot see is the IPv6 header: hop limit 255, source
 * and destination rules (RFC 4861 sections 6.1 and 7.1).  nd_check_ip()
 * applies those once the caller has the addresses and hop limit from
 * recvmsg() ancillary data.  The checksum is not verified by the parsers
 * either: the kernel verifies it on raw ICMPv6 sockets; callers reading
 * other sources use nd_icmp6_checksum().
 */
#ifndef PMIPD_ND_H
#define PMIPD_ND_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ICMPv6 types, RFC 4861 section 4 */
enum nd_type {
	ND_TYPE_RS = 133, /* Router Solicitation */
	ND_TYPE_RA = 134, /* Router Advertisement */
	ND_TYPE_NS = 135, /* Neighbor Solicitation */
	ND_TYPE_NA = 136, /* Neighbor Advertisement */
};
const char *nd_type_name(unsigned type);

/* Option types, RFC 4861 section 4.6 */
enum nd_opt_type {
	ND_OPT_SLLAO = 1, /* Source Link-layer Address */
	ND_OPT_TLLAO = 2, /* Target Link-layer Address */
	ND_OPT_PI = 3,	  /* Prefix Information */
	ND_OPT_RH = 4,	  /* Redirected Header */
	ND_OPT_MTU = 5,	  /* MTU */
};

/* Router Advertisement flags (RFC 4861 4.2; H: RFC 6275 7.1) */
#define ND_RA_F_MANAGED 0x80 /* M: addresses via DHCPv6 */
#define ND_RA_F_OTHER 0x40   /* O: other configuration via DHCPv6 */
#define ND_RA_F_HA 0x20	     /* H: home agent */

/* Prefix Information flags (RFC 4861 4.6.2; R: RFC 6275 7.2) */
#define ND_PI_F_ONLINK 0x80 /* L */
#define ND_PI_F_AUTO 0x40   /* A: usable for SLAAC */
#define ND_PI_F_ROUTER 0x20 /* R: prefix field holds the router address */

/* Neighbor Advertisement flags, top bits of the first word (RFC 4861 4.4) */
#define ND_NA_F_ROUTER 0x80    /* R */
#define ND_NA_F_SOLICITED 0x40 /* S */
#define ND_NA_F_OVERRIDE 0x20  /* O */

#define ND_LIFETIME_INFINITE 0xffffffffu /* RFC 4861 4.6.2 */
#define ND_ETH_ALEN 6	/* IEEE 802 address, option length 1 (RFC 2464 6) */
#define ND_MAX_PREFIX 8 /* Prefix Information options kept per RA */
/* Largest RA nd_build_ra() builds: header, prefixes, MTU, SLLAO. */
#define ND_RA_MAX_LEN (16 + ND_MAX_PREFIX * 32 + 8 + 8)

struct nd_prefix {
	struct in6_addr prefix;
	uint8_t len;	    /* prefix length, 0..128 */
	uint8_t flags;	    /* ND_PI_F_* */
	uint32_t valid;	    /* seconds; ND_LIFETIME_INFINITE */
	uint32_t preferred; /* seconds; ND_LIFETIME_INFINITE */
};

/*
 * Link-layer address options: has_sllao/has_tllao is set, and the address
 * copied, only for a 6-octet (Ethernet) address, the only link layer the
 * daemon serves.  lladdr_len records the address field length of any
 * option present (option length * 8 - 2), so callers can tell "none"
 * (0) from "some other link layer" (not 6).
 *
 * n_skipped counts options parsed but not kept: unknown types, which RFC
 * 4861 section 4.6 says to skip, options that do not belong to the
 * message type, and Prefix Information beyond ND_MAX_PREFIX.
 */
struct nd_rs {
	int has_sllao;
	uint8_t sllao[ND_ETH_ALEN];
	uint16_t lladdr_len;
	unsigned n_skipped;
};

struct nd_ra {
	uint8_t cur_hop_limit;	  /* 0: unspecified */
	uint8_t flags;		  /* ND_RA_F_*; kept whole, RFC 4191 Prf too */
	uint16_t router_lifetime; /* seconds; 0: not a default router */
	uint32_t reachable_time;  /* milliseconds; 0: unspecified */
	uint32_t retrans_timer;	  /* milliseconds; 0: unspecified */
	unsigned n_prefix;
	struct nd_prefix prefix[ND_MAX_PREFIX];
	uint32_t mtu; /* 0: no option */
	int has_sllao;
	uint8_t sllao[ND_ETH_ALEN];
	/* Filled in by the parser; nd_build_ra() ignores them. */
	uint16_t lladdr_len;
	unsigned n_skipped;
};

struct nd_ns {
	struct in6_addr target;
	int has_sllao;
	uint8_t sllao[ND_ETH_ALEN];
	uint16_t lladdr_len;
	unsigned n_skipped;
};

struct nd_na {
	uint8_t flags; /* ND_NA_F_* */
	struct in6_addr target;
	int has_tllao;
	uint8_t tllao[ND_ETH_ALEN];
	uint16_t lladdr_len;
	unsigned n_skipped;
};

struct nd_msg {
	uint8_t type; /* enum nd_type */
	union {
		struct nd_rs rs;
		struct nd_ra ra;
		struct nd_ns ns;
		struct nd_na na;
	};
};

/*
 * Parsers.  Each returns 0, or a negative errno with *why set to a
 * static human-readable reason (never NULL on failure):
 *   -EMSGSIZE  shorter than the message's fixed part (RFC 4861 6.1, 7.1)
 *   -ENOMSG    not the expected ICMPv6 type (nd_parse: not RS/RA/NS/NA)
 *   -EBADMSG   code not 0, option length 0, an option running past the
 *              end, a repeated SLLAO/TLLAO/MTU option, a Prefix
 *              Information or MTU option of the wrong length, a prefix
 *              length over 128, a multicast NS/NA target
 * The whole message must be ND: trailing bytes are parsed as options.
 * *out is zeroed first, so it can be compared with memcmp().
 */
int nd_parse(const uint8_t *buf, size_t len, struct nd_msg *m,
	     const char **why);
int nd_parse_rs(const uint8_t *buf, size_t len, struct nd_rs *rs,
		const char **why);
int nd_parse_ra(const uint8_t *buf, size_t len, struct nd_ra *ra,
		const char **why);
int nd_parse_ns(const uint8_t *buf, size_t len, struct nd_ns *ns,
		const char **why);
int nd_parse_na(const uint8_t *buf, size_t len, struct nd_na *na,
		const char **why);

/*
 * IPv6-header checks the parsers cannot make (RFC 4861 6.1.1, 6.1.2,
 * 7.1.1, 7.1.2): hop limit 255; RS from :: without SLLAO; RA from a
 * link-local source; NS from :: only to a solicited-node address and
 * without SLLAO; NA to a multicast destination without the S flag.
 * Returns 0 or -EBADMSG with *why set.
 */
int nd_check_ip(const struct nd_msg *m, const struct in6_addr *src,
		const struct in6_addr *dst, int hop_limit, const char **why);

/*
 * Builders.  Each writes the message into buf and returns its length, or
 * a negative errno: -ENOSPC if cap is too small, -EINVAL for input the
 * RFC forbids.  The checksum is filled in when both src and dst are
 * given and left 0 otherwise (a raw ICMPv6 socket fills it in).
 */

/*
 * Router Advertisement (RFC 4861 4.2): one Prefix Information option per
 * prefix (4.6.2), then the MTU option (4.6.4) if mtu != 0, then the
 * SLLAO (4.6.1) if has_sllao.  -EINVAL if n_prefix > ND_MAX_PREFIX or a
 * prefix length exceeds 128.
 */
ssize_t nd_build_ra(const struct nd_ra *ra, const struct in6_addr *src,
		    const struct in6_addr *dst, uint8_t *buf, size_t cap);

/*
 * Neighbor Solicitation (RFC 4861 4.3) for target, with an SLLAO when
 * sllao (6 octets) is not NULL.  For a DAD-style probe pass src = ::,
 * dst = nd_solicited_node(target) and sllao = NULL: an SLLAO with an
 * unspecified source is -EINVAL (RFC 4861 7.2.2).  A multicast target
 * is -EINVAL (4.3).
 */
ssize_t nd_build_ns(const struct in6_addr *target, const uint8_t *sllao,
		    const struct in6_addr *src, const struct in6_addr *dst,
		    uint8_t *buf, size_t cap);

/*
 * Router Solicitation (RFC 4861 4.1), for tests and the mobile node
 * simulator; SLLAO as for nd_build_ns().
 */
ssize_t nd_build_rs(const uint8_t *sllao, const struct in6_addr *src,
		    const struct in6_addr *dst, uint8_t *buf, size_t cap);

/* Solicited-node multicast address ff02::1:ffXX:XXXX (RFC 4291 2.7.1). */
void nd_solicited_node(const struct in6_addr *a, struct in6_addr *out);

/*
 * ICMPv6 checksum (RFC 4443 2.3) over the pseudo-header (RFC 8200 8.1,
 * next header 58) and buf, skipping the checksum field at offset 2 so
 * the result is what belongs there whatever it holds now.  A received
 * message is intact when the result equals the stored value.
 */
uint16_t nd_icmp6_checksum(const struct in6_addr *src,
			   const struct in6_addr *dst, const uint8_t *buf,
			   size_t len);

#endif
