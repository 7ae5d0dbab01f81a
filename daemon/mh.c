/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Mobility Header codec.  Wire format (RFC 6275 section 6.1.1):
 *
 *   0: Payload Proto (59)  1: Header Len  2: MH Type  3: Reserved
 *   4: Checksum (16 bits)  6: message data, then mobility options
 *
 * The three messages we speak all have 6 octets of fixed data, so their
 * options start at offset 12:
 *   BU (6.1.7):  Sequence# (16), flags A H L K M R P ... (16), Lifetime
 *   BA (6.1.8):  Status (8), flags K R P ... (8), Sequence#, Lifetime
 *   HB (RFC 5847 section 5.1): Reserved (8), flags ... U R (8),
 *                Sequence# (32)
 */
#include <errno.h>
#include <string.h>

#include "cursor.h"
#include "mh.h"

#define MH_HDR_LEN 6   /* Payload Proto .. Checksum */
#define MH_FIXED_LEN 6 /* fixed message data of BU, BA and HB */
#define MH_OPTS_OFF (MH_HDR_LEN + MH_FIXED_LEN)
#define MH_CSUM_OFF 4

/* Which messages an option is defined for (RFC 5213 8.1/8.2, 5847 5.1). */
#define MH_IN_BU (1u << 0)
#define MH_IN_BA (1u << 1)
#define MH_IN_HB (1u << 2)
#define MH_IN_PMIP (MH_IN_BU | MH_IN_BA)

/*
 * The options we understand.  len is the fixed option length (excluding
 * type and length), or 0 when variable.  Reasons are static so that
 * *why can point at them.
 */
struct mh_optdef {
	uint8_t type;
	uint8_t len;
	uint8_t in;
	uint32_t flag; /* MH_F_*, 0 for HNP (counted, not flagged) */
	const char *badlen;
	const char *dup;
};

static const struct mh_optdef mh_optdefs[] = {
    {MH_OPT_MNID, 0, MH_IN_PMIP, MH_F_MNID, NULL,
     "repeated MN Identifier option"},
    {MH_OPT_HNP, 18, MH_IN_PMIP, 0,
     "Home Network Prefix option length is not 18", NULL},
    {MH_OPT_HI, 2, MH_IN_PMIP, MH_F_HI,
     "Handoff Indicator option length is not 2",
     "repeated Handoff Indicator option"},
    {MH_OPT_ATT, 2, MH_IN_PMIP, MH_F_ATT,
     "Access Technology Type option length is not 2",
     "repeated Access Technology Type option"},
    {MH_OPT_MNLLID, 0, MH_IN_PMIP, MH_F_MNLLID, NULL,
     "repeated MN Link-layer Identifier option"},
    {MH_OPT_LLA, 16, MH_IN_PMIP, MH_F_LLA,
     "Link-local Address option length is not 16",
     "repeated Link-local Address option"},
    {MH_OPT_TIMESTAMP, 8, MH_IN_PMIP, MH_F_TIMESTAMP,
     "Timestamp option length is not 8", "repeated Timestamp option"},
    {MH_OPT_RESTART_COUNTER, 4, MH_IN_HB, MH_F_RESTART_COUNTER,
     "Restart Counter option length is not 4",
     "repeated Restart Counter option"},
};

static const struct mh_optdef *
mh_optdef(uint8_t type)
{
	for (size_t i = 0; i < sizeof(mh_optdefs) / sizeof(mh_optdefs[0]); i++)
		if (mh_optdefs[i].type == type)
			return &mh_optdefs[i];
	return NULL;
}

static unsigned
mh_type_bit(uint8_t type)
{
	switch (type) {
	case MH_TYPE_BU:
		return MH_IN_BU;
	case MH_TYPE_BA:
		return MH_IN_BA;
	case MH_TYPE_HB:
		return MH_IN_HB;
	}
	return 0;
}

static int
mh_fail(const char **why, const char *reason, int err)
{
	*why = reason;
	return err;
}

/*
 * One known option's data, already cut to its declared length and
 * checked against a fixed length if it has one.
 */
static int
mh_parse_opt(const struct mh_optdef *d, struct rcur *c, struct mh_opts *o,
	     const char **why)
{
	uint8_t rsv, plen, sub;
	size_t n;

	switch (d->type) {
	case MH_OPT_MNID:
		/*
		 * RFC 4283 section 3: Subtype then Identifier; subtype 1 is
		 * an NAI (RFC 4282), which is text without NUL.  Other
		 * subtypes exist (RFC 7254 IMSI...) but RFC 5213 and our
		 * policy store key on the NAI only.
		 */
		if (rcur_left(c) == 0)
			return mh_fail(why, "MN Identifier option is empty",
				       -EBADMSG);
		rcur_u8(c, &sub);
		if (sub != MH_MNID_SUBTYPE_NAI)
			return mh_fail(why, "MN Identifier subtype is not NAI",
				       -EBADMSG);
		n = rcur_left(c);
		if (n == 0)
			return mh_fail(why, "MN Identifier NAI is empty",
				       -EBADMSG);
		/* n <= 254 as the option length is at most 255. */
		rcur_bytes(c, o->mnid, n);
		if (memchr(o->mnid, '\0', n) != NULL)
			return mh_fail(why, "MN Identifier NAI contains NUL",
				       -EBADMSG);
		o->mnid[n] = '\0';
		o->mnid_subtype = sub;
		o->mnid_len = (uint8_t)n;
		break;
	case MH_OPT_HNP:
		/* RFC 5213 section 8.3: Reserved, Prefix Length, Prefix. */
		if (o->n_hnp >= MH_MAX_HNP)
			return mh_fail(why,
				       "too many Home Network Prefix options",
				       -E2BIG);
		rcur_u8(c, &rsv);
		rcur_u8(c, &plen);
		if (plen > 128)
			return mh_fail(why,
				       "Home Network Prefix length exceeds 128",
				       -EBADMSG);
		rcur_bytes(c, &o->hnp[o->n_hnp].prefix, 16);
		o->hnp[o->n_hnp].len = plen;
		o->n_hnp++;
		break;
	case MH_OPT_HI:
		/*
		 * RFC 5213 sections 8.4/8.5: Reserved, value.  Values are not
		 * checked here: an unexpected one is the LMA's to judge.
		 */
		rcur_u8(c, &rsv);
		rcur_u8(c, &o->hi);
		break;
	case MH_OPT_ATT:
		rcur_u8(c, &rsv);
		rcur_u8(c, &o->att);
		break;
	case MH_OPT_MNLLID:
		/* RFC 5213 section 8.6: Reserved (16 bits), identifier. */
		if (rcur_left(c) < 2)
			return mh_fail(
			    why, "MN Link-layer Identifier option too short",
			    -EBADMSG);
		rcur_skip(c, 2);
		n = rcur_left(c);
		if (n == 0)
			return mh_fail(why, "MN Link-layer Identifier is empty",
				       -EBADMSG);
		if (n > MH_MAX_LLID)
			return mh_fail(why, "MN Link-layer Identifier too long",
				       -EBADMSG);
		rcur_bytes(c, o->llid, n);
		o->llid_len = (uint8_t)n;
		break;
	case MH_OPT_LLA:
		rcur_bytes(c, &o->lla, 16);
		break;
	case MH_OPT_TIMESTAMP:
		rcur_u64(c, &o->timestamp);
		break;
	case MH_OPT_RESTART_COUNTER:
		rcur_u32(c, &o->restart_counter);
		break;
	}
	/* Lengths were checked above; a failure here is a bug. */
	if (c->err)
		return mh_fail(why, "option data truncated", -EBADMSG);
	o->present |= d->flag;
	return 0;
}

/*
 * Mobility options, RFC 6275 section 6.2.1: Pad1 is a lone zero octet,
 * every other option is type, length, data.
 *
 * Padding: RFC 6275 section 6.2.3 says the PadN data MUST be ignored by
 * the receiver, so non-zero padding content is accepted.  Bad padding is
 * therefore only a PadN running past the end of the message (caught as
 * any overlong option) or a message that is not a multiple of 8 octets
 * (caught by the Header Len check, section 6.1.1).
 *
 * Alignment: section 6.2 puts alignment on the sender; nothing asks a
 * receiver to drop a misaligned option, so we do not.
 *
 * Unknown options are skipped (section 6.2.1).  So are known options
 * that are not defined for this message type (e.g. a Restart Counter in
 * a PBU): the message's definition lists its valid options and anything
 * else is treated as not understood.
 */
static int
mh_parse_opts(struct rcur *c, uint8_t mhtype, struct mh_opts *o,
	      const char **why)
{
	unsigned in = mh_type_bit(mhtype);

	while (rcur_left(c) > 0) {
		const struct mh_optdef *d;
		struct rcur data;
		uint8_t type, len;
		int r;

		rcur_u8(c, &type);
		if (type == MH_OPT_PAD1)
			continue;
		if (rcur_u8(c, &len) != 0)
			return mh_fail(why,
				       "option truncated before its length",
				       -EBADMSG);
		if (rcur_sub(c, len, &data) != 0)
			return mh_fail(why,
				       "option length runs past the end of the "
				       "message",
				       -EBADMSG);
		if (type == MH_OPT_PADN)
			continue;
		d = mh_optdef(type);
		if (d == NULL || (d->in & in) == 0) {
			o->n_unknown++;
			continue;
		}
		if (d->len != 0 && len != d->len)
			return mh_fail(why, d->badlen, -EBADMSG);
		if (d->flag != 0 && (o->present & d->flag) != 0)
			return mh_fail(why, d->dup, -EBADMSG);
		if ((r = mh_parse_opt(d, &data, o, why)) != 0)
			return r;
	}
	return 0;
}

int
mh_parse(const uint8_t *buf, size_t len, struct mh_msg *m, const char **why)
{
	struct rcur c;
	uint8_t proto, hlen, type, rsv;
	uint16_t csum;

	memset(m, 0, sizeof(*m));
	*why = "ok";
	if (len < 8)
		return mh_fail(why, "shorter than a Mobility Header (8 octets)",
			       -EMSGSIZE);
	if (len > MH_MAX_LEN)
		return mh_fail(why, "longer than MH_MAX_LEN", -EMSGSIZE);

	rcur_init(&c, buf, len);
	rcur_u8(&c, &proto);
	rcur_u8(&c, &hlen);
	rcur_u8(&c, &type);
	rcur_u8(&c, &rsv);
	rcur_u16(&c, &csum);

	/* Header Len: 8-octet units, not counting the first 8 (6.1.1). */
	if (((size_t)hlen + 1) * 8 > len)
		return mh_fail(why, "Header Len exceeds the received length",
			       -EMSGSIZE);
	if (((size_t)hlen + 1) * 8 < len)
		return mh_fail(why,
			       "Header Len is shorter than the received length",
			       -EMSGSIZE);
	/* 6.1.1: no upper-layer header may follow the MH. */
	if (proto != IPPROTO_NONE)
		return mh_fail(why, "Payload Proto is not 59 (no next header)",
			       -EPROTO);
	if (mh_type_bit(type) == 0)
		return mh_fail(why, "unknown MH type", -EOPNOTSUPP);
	/*
	 * RFC 6275 section 9.2: a Header Len smaller than the message's
	 * fixed part is malformed.
	 */
	if (rcur_left(&c) < MH_FIXED_LEN)
		return mh_fail(why, "Header Len too small for the MH type",
			       -EBADMSG);

	m->type = type;
	switch (type) {
	case MH_TYPE_BU:
		rcur_u16(&c, &m->bu.seq);
		rcur_u16(&c, &m->bu.flags);
		rcur_u16(&c, &m->bu.lifetime);
		break;
	case MH_TYPE_BA:
		rcur_u8(&c, &m->ba.status);
		rcur_u8(&c, &m->ba.flags);
		rcur_u16(&c, &m->ba.seq);
		rcur_u16(&c, &m->ba.lifetime);
		break;
	case MH_TYPE_HB:
		rcur_u8(&c, &rsv);
		rcur_u8(&c, &m->hb.flags);
		rcur_u32(&c, &m->hb.seq);
		break;
	}
	if (c.err)
		return mh_fail(why, "message data truncated", -EBADMSG);
	return mh_parse_opts(&c, type, &m->opts, why);
}

/*
 * Pad so that the next octet written sits at x*n + y from the start of
 * the Mobility Header: RFC 6275 section 6.2 alignment "xn+y", filled
 * with Pad1 for one octet and PadN for more (sections 6.2.2, 6.2.3).
 */
static void
mh_align(struct wcur *w, size_t x, size_t y)
{
	size_t need = (y + x - w->off % x) % x;

	if (need == 1) {
		wcur_u8(w, MH_OPT_PAD1);
	} else if (need > 1) {
		wcur_u8(w, MH_OPT_PADN);
		wcur_u8(w, (uint8_t)(need - 2));
		wcur_zero(w, need - 2);
	}
}

static int
mh_mnid_len(const struct mh_opts *o, size_t *n)
{
	size_t len = o->mnid_len;

	if (len == 0)
		len = strnlen(o->mnid, sizeof(o->mnid));
	if (len == 0 || len > MH_MAX_NAI)
		return -EINVAL;
	if (memchr(o->mnid, '\0', len) != NULL)
		return -EINVAL;
	if (o->mnid_subtype != 0 && o->mnid_subtype != MH_MNID_SUBTYPE_NAI)
		return -EINVAL;
	*n = len;
	return 0;
}

/*
 * Options in ascending type order, each aligned as its RFC says:
 *   MN-ID        none (RFC 4283 section 3)
 *   HNP          8n+4 (RFC 5213 section 8.3), one option per prefix
 *   HI, ATT      none (8.4, 8.5)
 *   MN-LL-ID     2n: 8.6 leaves it to the natural alignment of its
 *                fields (RFC 6275 6.2), i.e. its 16-bit Reserved field
 *   LLA          8n+6 (8.7)
 *   Timestamp    8n+2 (8.8)
 *   Restart Ctr  4n+2 (RFC 5847 section 5.2): its 32-bit counter follows
 *                Type and Length, so it sits at a multiple of 4 as
 *                RFC 6275 6.2 natural alignment asks
 */
static int
mh_build_opts(struct wcur *w, const struct mh_msg *m)
{
	const struct mh_opts *o = &m->opts;
	uint32_t allowed = MH_F_MNID | MH_F_HI | MH_F_ATT | MH_F_MNLLID |
			   MH_F_LLA | MH_F_TIMESTAMP;
	size_t n;

	/* Refuse rather than drop what the message cannot carry. */
	if (m->type == MH_TYPE_HB)
		allowed = MH_F_RESTART_COUNTER;
	if ((o->present & ~allowed) != 0 || o->n_hnp > MH_MAX_HNP ||
	    (m->type == MH_TYPE_HB && o->n_hnp > 0))
		return -EINVAL;

	if (o->present & MH_F_MNID) {
		if (mh_mnid_len(o, &n) != 0)
			return -EINVAL;
		wcur_u8(w, MH_OPT_MNID);
		wcur_u8(w, (uint8_t)(n + 1));
		wcur_u8(w, MH_MNID_SUBTYPE_NAI);
		wcur_bytes(w, o->mnid, n);
	}
	for (unsigned i = 0; i < o->n_hnp; i++) {
		if (o->hnp[i].len > 128)
			return -EINVAL;
		mh_align(w, 8, 4);
		wcur_u8(w, MH_OPT_HNP);
		wcur_u8(w, 18);
		wcur_u8(w, 0);
		wcur_u8(w, o->hnp[i].len);
		wcur_bytes(w, &o->hnp[i].prefix, 16);
	}
	if (o->present & MH_F_HI) {
		wcur_u8(w, MH_OPT_HI);
		wcur_u8(w, 2);
		wcur_u8(w, 0);
		wcur_u8(w, o->hi);
	}
	if (o->present & MH_F_ATT) {
		wcur_u8(w, MH_OPT_ATT);
		wcur_u8(w, 2);
		wcur_u8(w, 0);
		wcur_u8(w, o->att);
	}
	if (o->present & MH_F_MNLLID) {
		if (o->llid_len == 0 || o->llid_len > MH_MAX_LLID)
			return -EINVAL;
		mh_align(w, 2, 0);
		wcur_u8(w, MH_OPT_MNLLID);
		wcur_u8(w, (uint8_t)(2 + o->llid_len));
		wcur_u16(w, 0);
		wcur_bytes(w, o->llid, o->llid_len);
	}
	if (o->present & MH_F_LLA) {
		mh_align(w, 8, 6);
		wcur_u8(w, MH_OPT_LLA);
		wcur_u8(w, 16);
		wcur_bytes(w, &o->lla, 16);
	}
	if (o->present & MH_F_TIMESTAMP) {
		mh_align(w, 8, 2);
		wcur_u8(w, MH_OPT_TIMESTAMP);
		wcur_u8(w, 8);
		wcur_u64(w, o->timestamp);
	}
	if (o->present & MH_F_RESTART_COUNTER) {
		mh_align(w, 4, 2);
		wcur_u8(w, MH_OPT_RESTART_COUNTER);
		wcur_u8(w, 4);
		wcur_u32(w, o->restart_counter);
	}
	return 0;
}

ssize_t
mh_build(const struct mh_msg *m, const struct in6_addr *src,
	 const struct in6_addr *dst, uint8_t *buf, size_t cap)
{
	struct wcur w;
	int r;

	if (mh_type_bit(m->type) == 0)
		return -EINVAL;
	if (cap > MH_MAX_LEN)
		cap = MH_MAX_LEN;
	wcur_init(&w, buf, cap);
	wcur_u8(&w, IPPROTO_NONE);
	wcur_u8(&w, 0); /* Header Len, set below */
	wcur_u8(&w, m->type);
	wcur_u8(&w, 0);
	wcur_u16(&w, 0); /* Checksum, set below */
	switch (m->type) {
	case MH_TYPE_BU:
		wcur_u16(&w, m->bu.seq);
		wcur_u16(&w, m->bu.flags);
		wcur_u16(&w, m->bu.lifetime);
		break;
	case MH_TYPE_BA:
		wcur_u8(&w, m->ba.status);
		wcur_u8(&w, m->ba.flags);
		wcur_u16(&w, m->ba.seq);
		wcur_u16(&w, m->ba.lifetime);
		break;
	case MH_TYPE_HB:
		wcur_u8(&w, 0);
		wcur_u8(&w, m->hb.flags);
		wcur_u32(&w, m->hb.seq);
		break;
	}
	if ((r = mh_build_opts(&w, m)) != 0)
		return r;
	/* 6.1.1: the MH is a multiple of 8 octets. */
	mh_align(&w, 8, 0);
	if (w.err)
		return w.err;
	if (w.off / 8 - 1 > 255)
		return -EMSGSIZE;
	wcur_put_u8_at(&w, 1, (uint8_t)(w.off / 8 - 1));
	if (src != NULL && dst != NULL)
		wcur_put_u16_at(&w, MH_CSUM_OFF,
				mh_checksum(src, dst, buf, w.off));
	return (ssize_t)w.off;
}

uint16_t
mh_checksum(const struct in6_addr *src, const struct in6_addr *dst,
	    const uint8_t *mh, size_t len)
{
	/* RFC 8200 section 8.1 pseudo-header. */
	uint8_t ph[40];
	struct wcur w;

	wcur_init(&w, ph, sizeof(ph));
	wcur_bytes(&w, src, 16);
	wcur_bytes(&w, dst, 16);
	wcur_u32(&w, (uint32_t)len);
	wcur_zero(&w, 3);
	wcur_u8(&w, IPPROTO_MH_);
	return csum_fold(csum_add(csum_add(0, ph, sizeof(ph)), mh, len));
}

bool
mh_msg_equal(const struct mh_msg *a, const struct mh_msg *b)
{
	const struct mh_opts *x = &a->opts, *y = &b->opts;

	if (a->type != b->type)
		return false;
	switch (a->type) {
	case MH_TYPE_BU:
		if (a->bu.seq != b->bu.seq || a->bu.flags != b->bu.flags ||
		    a->bu.lifetime != b->bu.lifetime)
			return false;
		break;
	case MH_TYPE_BA:
		if (a->ba.status != b->ba.status ||
		    a->ba.flags != b->ba.flags || a->ba.seq != b->ba.seq ||
		    a->ba.lifetime != b->ba.lifetime)
			return false;
		break;
	case MH_TYPE_HB:
		if (a->hb.flags != b->hb.flags || a->hb.seq != b->hb.seq)
			return false;
		break;
	}
	if (x->present != y->present || x->n_hnp != y->n_hnp)
		return false;
	if (x->n_hnp > MH_MAX_HNP)
		return false;
	for (unsigned i = 0; i < x->n_hnp; i++)
		if (x->hnp[i].len != y->hnp[i].len ||
		    memcmp(&x->hnp[i].prefix, &y->hnp[i].prefix, 16) != 0)
			return false;
	if ((x->present & MH_F_MNID) &&
	    (x->mnid_subtype != y->mnid_subtype || x->mnid_len != y->mnid_len ||
	     memcmp(x->mnid, y->mnid, x->mnid_len) != 0))
		return false;
	if ((x->present & MH_F_HI) && x->hi != y->hi)
		return false;
	if ((x->present & MH_F_ATT) && x->att != y->att)
		return false;
	if ((x->present & MH_F_MNLLID) &&
	    (x->llid_len != y->llid_len || x->llid_len > MH_MAX_LLID ||
	     memcmp(x->llid, y->llid, x->llid_len) != 0))
		return false;
	if ((x->present & MH_F_LLA) && memcmp(&x->lla, &y->lla, 16) != 0)
		return false;
	if ((x->present & MH_F_TIMESTAMP) && x->timestamp != y->timestamp)
		return false;
	if ((x->present & MH_F_RESTART_COUNTER) &&
	    x->restart_counter != y->restart_counter)
		return false;
	return true;
}

uint64_t
mh_timestamp_from_timespec(const struct timespec *ts)
{
	uint64_t sec = (uint64_t)ts->tv_sec & 0xffffffffffffULL;
	uint64_t frac = ((uint64_t)ts->tv_nsec << 16) / 1000000000ULL;

	return sec << 16 | (frac & 0xffff);
}

void
mh_timestamp_to_timespec(uint64_t stamp, struct timespec *ts)
{
	ts->tv_sec = (time_t)(stamp >> 16);
	ts->tv_nsec = (long)(((stamp & 0xffff) * 1000000000ULL + 32768) >> 16);
}

const char *
mh_type_name(unsigned type)
{
	/* RFC 6275 section 6.1.2-6.1.9, RFC 5847, RFC 5846. */
	static const char *const names[] = {
	    [0] = "Binding Refresh Request",
	    [1] = "Home Test Init",
	    [2] = "Care-of Test Init",
	    [3] = "Home Test",
	    [4] = "Care-of Test",
	    [5] = "Binding Update",
	    [6] = "Binding Acknowledgement",
	    [7] = "Binding Error",
	    [13] = "Heartbeat",
	    [16] = "Binding Revocation",
	};

	if (type < sizeof(names) / sizeof(names[0]) && names[type] != NULL)
		return names[type];
	return "unknown";
}

const char *
mh_status_name(unsigned status)
{
	/* RFC 6275 section 6.1.8, RFC 5213 section 8.9. */
	switch (status) {
	case MH_ST_ACCEPTED:
		return "accepted";
	case 1:
		return "accepted but prefix discovery necessary";
	case MH_ST_UNSPECIFIED:
		return "reason unspecified";
	case MH_ST_PROHIBITED:
		return "administratively prohibited";
	case MH_ST_INSUFFICIENT_RESOURCES:
		return "insufficient resources";
	case 131:
		return "home registration not supported";
	case 132:
		return "not home subnet";
	case 133:
		return "not home agent for this mobile node";
	case 134:
		return "duplicate address detection failed";
	case 135:
		return "sequence number out of window";
	case 136:
		return "expired home nonce index";
	case 137:
		return "expired care-of nonce index";
	case 138:
		return "expired nonces";
	case 139:
		return "registration type change disallowed";
	case MH_ST_PROXY_REG_NOT_ENABLED:
		return "PROXY_REG_NOT_ENABLED";
	case MH_ST_NOT_LMA_FOR_THIS_MN:
		return "NOT_LMA_FOR_THIS_MOBILE_NODE";
	case MH_ST_MAG_NOT_AUTHORIZED:
		return "MAG_NOT_AUTHORIZED_FOR_PROXY_REG";
	case MH_ST_NOT_AUTHORIZED_FOR_HNP:
		return "NOT_AUTHORIZED_FOR_HOME_NETWORK_PREFIX";
	case MH_ST_TIMESTAMP_MISMATCH:
		return "TIMESTAMP_MISMATCH";
	case MH_ST_TIMESTAMP_LOWER_THAN_PREV:
		return "TIMESTAMP_LOWER_THAN_PREV_ACCEPTED";
	case MH_ST_MISSING_HNP:
		return "MISSING_HOME_NETWORK_PREFIX_OPTION";
	case MH_ST_BCE_PBU_PREFIX_SET_DO_NOT_MATCH:
		return "BCE_PBU_PREFIX_SET_DO_NOT_MATCH";
	case MH_ST_MISSING_MNID:
		return "MISSING_MN_IDENTIFIER_OPTION";
	case MH_ST_MISSING_HI:
		return "MISSING_HANDOFF_INDICATOR_OPTION";
	case MH_ST_MISSING_ATT:
		return "MISSING_ACCESS_TECH_TYPE_OPTION";
	}
	return "unknown";
}

int
mh_prefix_has(const struct mh_prefix *p, const uint8_t *a)
{
	unsigned len = p->len > 128 ? 128 : p->len;
	unsigned full = len / 8, rest = len % 8;

	if (memcmp(a, p->prefix.s6_addr, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a[full] & mask) == (p->prefix.s6_addr[full] & mask);
}
