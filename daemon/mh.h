/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Mobility Header codec (RFC 6275 section 6.1, RFC 5213 section 8,
 * RFC 5847): Proxy Binding Update, Proxy Binding Acknowledgement and
 * Heartbeat, with their mobility options.  Pure functions over byte
 * buffers: no I/O, no globals, every read through a struct rcur.
 *
 * The buffers start at the Mobility Header itself (the payload of an
 * IPv6 packet with next header 135), as a raw socket returns it.
 */
#ifndef PMIPD_MH_H
#define PMIPD_MH_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define IPPROTO_MH_ 135

enum mh_type {
	MH_TYPE_BU = 5,	 /* Binding Update (PBU when P is set) */
	MH_TYPE_BA = 6,	 /* Binding Acknowledgement (PBA when P is set) */
	MH_TYPE_HB = 13, /* Heartbeat, RFC 5847 */
};

/*
 * Binding Update flags: the 16 bits between the Sequence Number and the
 * Lifetime (RFC 6275 section 6.1.7, RFC 5213 section 8.1).
 */
#define MH_BU_A 0x8000 /* acknowledge */
#define MH_BU_H 0x4000 /* home registration */
#define MH_BU_L 0x2000 /* link-local address compatibility */
#define MH_BU_K 0x1000 /* key management mobility capability */
#define MH_BU_M 0x0800 /* MAP registration, RFC 5380 */
#define MH_BU_R 0x0400 /* mobile router, RFC 3963 */
#define MH_BU_P 0x0200 /* proxy registration, RFC 5213 */

/* Binding Acknowledgement flags (the 8-bit field after the status) */
#define MH_BA_K 0x80
#define MH_BA_R 0x40
#define MH_BA_P 0x20

/* Heartbeat flags (RFC 5847 section 5.1) */
#define MH_HB_U 0x02 /* unsolicited */
#define MH_HB_R 0x01 /* response */

/* Mobility option types (IANA) */
enum mh_opt_type {
	MH_OPT_PAD1 = 0,
	MH_OPT_PADN = 1,
	MH_OPT_MNID = 8,
	MH_OPT_HNP = 22,
	MH_OPT_HI = 23,
	MH_OPT_ATT = 24,
	MH_OPT_MNLLID = 25,
	MH_OPT_LLA = 26,
	MH_OPT_TIMESTAMP = 27,
	MH_OPT_RESTART_COUNTER = 28,
};

#define MH_MNID_SUBTYPE_NAI 1

/* PBA status codes, RFC 6275 section 6.1.8 and RFC 5213 section 8.9 */
enum mh_status {
	MH_ST_ACCEPTED = 0,
	MH_ST_UNSPECIFIED = 128,
	MH_ST_PROHIBITED = 129,
	MH_ST_INSUFFICIENT_RESOURCES = 130,
	MH_ST_PROXY_REG_NOT_ENABLED = 152,
	MH_ST_NOT_LMA_FOR_THIS_MN = 153,
	MH_ST_MAG_NOT_AUTHORIZED = 154,
	MH_ST_NOT_AUTHORIZED_FOR_HNP = 155,
	MH_ST_TIMESTAMP_MISMATCH = 156,
	MH_ST_TIMESTAMP_LOWER_THAN_PREV = 157,
	MH_ST_MISSING_HNP = 158,
	MH_ST_BCE_PBU_PREFIX_SET_DO_NOT_MATCH = 159,
	MH_ST_MISSING_MNID = 160,
	MH_ST_MISSING_HI = 161,
	MH_ST_MISSING_ATT = 162,
};
const char *mh_status_name(unsigned status);

enum mh_hi {
	MH_HI_RESERVED = 0,
	MH_HI_NEW_IF = 1,
	MH_HI_IF_HANDOFF = 2,
	MH_HI_MAG_HANDOFF = 3,
	MH_HI_UNKNOWN = 4,
	MH_HI_NOT_CHANGED = 5,
};

#define MH_MAX_HNP 8	/* HNP options per message; more is an error */
#define MH_MAX_NAI 254	/* option length 255 minus the subtype byte */
#define MH_MAX_LLID 32	/* link-layer identifier bytes; more is an error */
#define MH_MAX_LEN 1024 /* largest MH we build or accept */

struct mh_prefix {
	struct in6_addr prefix;
	uint8_t len;
};

/* Does the address a (16 bytes, any alignment) lie in prefix p? */
int mh_prefix_has(const struct mh_prefix *p, const uint8_t *a);

/* Which options a message carries: bits of mh_opts.present. */
#define MH_F_MNID (1u << 0)
#define MH_F_HI (1u << 1)
#define MH_F_ATT (1u << 2)
#define MH_F_MNLLID (1u << 3)
#define MH_F_LLA (1u << 4)
#define MH_F_TIMESTAMP (1u << 5)
#define MH_F_RESTART_COUNTER (1u << 6)
/* HNPs are counted in n_hnp, not flagged. */

/*
 * A field is meaningful only when its MH_F_* bit is in present (HNPs:
 * n_hnp).  For mh_build, mnid_subtype 0 means NAI and mnid_len 0 means
 * strlen(mnid), so callers may just copy a string in.
 */
struct mh_opts {
	uint32_t present;
	uint8_t mnid_subtype;
	uint8_t mnid_len;
	char mnid[MH_MAX_NAI + 1]; /* NUL-terminated copy */
	unsigned n_hnp;
	struct mh_prefix hnp[MH_MAX_HNP];
	uint8_t hi;
	uint8_t att;
	uint8_t llid_len;
	uint8_t llid[MH_MAX_LLID];
	struct in6_addr lla;
	uint64_t timestamp; /* RFC 5213 8.8: 48-bit s, 16-bit 1/65536 s */
	uint32_t restart_counter;
	/*
	 * Options skipped (RFC 6275 6.2.1): unknown types, and known types
	 * not defined for this message (e.g. Restart Counter in a PBU).
	 * Parse only; mh_build never emits such options.
	 */
	unsigned n_unknown;
};

struct mh_bu {
	uint16_t seq;
	uint16_t flags;	   /* MH_BU_* */
	uint16_t lifetime; /* units of 4 s */
};

struct mh_ba {
	uint8_t status;
	uint8_t flags; /* MH_BA_* */
	uint16_t seq;
	uint16_t lifetime; /* units of 4 s */
};

struct mh_hb {
	uint8_t flags; /* MH_HB_* */
	uint32_t seq;
};

struct mh_msg {
	uint8_t type; /* enum mh_type */
	union {
		struct mh_bu bu;
		struct mh_ba ba;
		struct mh_hb hb;
	};
	struct mh_opts opts;
};

/*
 * Parse a Mobility Header.  Returns 0, or a negative errno with *why set
 * to a static human-readable reason (never NULL on failure).  The
 * checksum is not verified here: the kernel does it on raw sockets with
 * IPV6_CHECKSUM; mh_checksum() is there for callers that need it.
 *
 * Errors:
 *   -EMSGSIZE    shorter than 8 octets, longer than MH_MAX_LEN, or the
 *                Header Len field does not match len (a raw socket
 *                returns exactly one MH, as Payload Proto must be 59)
 *   -EPROTO      Payload Proto is not 59 (IPPROTO_NONE)
 *   -EOPNOTSUPP  an MH type other than BU, BA and Heartbeat; RFC 6275
 *                section 9.2 answers it with a Binding Error (status 2)
 *   -E2BIG       more than MH_MAX_HNP Home Network Prefix options
 *   -EBADMSG     anything else malformed: message shorter than its
 *                fixed part, an option running past the end, a wrong
 *                option length, a repeated single-instance option, an
 *                MN Identifier that is not a non-empty NAI, ...
 * Unknown options, and known ones not defined for the message type, are
 * skipped and counted in opts.n_unknown (RFC 6275 section 6.2.1).  PadN
 * content and misaligned options are accepted: RFC 6275 6.2 and 6.2.3
 * put padding and alignment rules on the sender only.
 * On failure *m is left zeroed or partly filled; do not use it.
 */
int mh_parse(const uint8_t *buf, size_t len, struct mh_msg *m,
	     const char **why);

/*
 * Build a Mobility Header into buf.  Options are emitted in a fixed
 * order with the alignment each RFC requires, padded with Pad1/PadN, and
 * the whole header padded to a multiple of 8 octets.  The checksum field
 * is left 0 unless src and dst are given (then it is filled in).
 * Returns the length written, -EINVAL for a message that cannot be
 * encoded (unknown type, an option not defined for the type such as a
 * Restart Counter in a PBU, HNPs in a Heartbeat, more than MH_MAX_HNP
 * prefixes, a prefix length over 128, an empty or over-long MN-ID or
 * MN-LL-ID, an MN-ID subtype other than NAI), or -ENOSPC if cap (or
 * MH_MAX_LEN) is too small.
 */
ssize_t mh_build(const struct mh_msg *m, const struct in6_addr *src,
		 const struct in6_addr *dst, uint8_t *buf, size_t cap);

/*
 * MH checksum over the IPv6 pseudo-header (RFC 6275 section 6.1.1,
 * RFC 8200 section 8.1, next header 135).  Over a header whose checksum
 * field is 0 it returns the value to store there; over a header with a
 * correct checksum it returns 0.
 */
uint16_t mh_checksum(const struct in6_addr *src, const struct in6_addr *dst,
		     const uint8_t *mh, size_t len);

/*
 * Equality of two parsed messages: the type, its fixed fields and every
 * option present.  n_unknown and fields of absent options are ignored,
 * so parse(build(parse(x))) equals parse(x).
 */
bool mh_msg_equal(const struct mh_msg *a, const struct mh_msg *b);

/*
 * RFC 5213 section 8.8 timestamps: 48 bits of seconds since 1970 and 16
 * bits of 1/65536 s.  A CLOCK_REALTIME timespec goes in; the conversion
 * back rounds the fraction to the nearest nanosecond.
 */
uint64_t mh_timestamp_from_timespec(const struct timespec *ts);
void mh_timestamp_to_timespec(uint64_t stamp, struct timespec *ts);

/* Names for logs; "unknown" for values this file does not know. */
const char *mh_type_name(unsigned type);

#endif
