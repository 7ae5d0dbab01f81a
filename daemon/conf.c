/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Configuration: libconfig parses the syntax; this file checks every key
 * against a table (typo protection), every value against its type and
 * range, and the whole against the role's requirements, then fills
 * struct conf.  Errors are "FILE:LINE: reason"; lines come from libconfig
 * (config_error_line for syntax, config_setting_source_line for values).
 *
 * libconfig 1.5 (Debian 12) quirks handled here:
 * - a string that is the last element of an array, with the closing
 *   bracket on a later line, gets the later line number (the parser's
 *   look-ahead); errors about array elements therefore name the line of
 *   the array's key and quote the offending value;
 * - integer literals beyond 32 bits wrap silently; every integer is
 *   range-checked afterwards, which catches all but wraps that land in
 *   range.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "naitab.h"

#define ROLE_BIT(r) (1u << (r))
#define ROLES_ALL (ROLE_BIT(ROLE_LMA) | ROLE_BIT(ROLE_MAG))

struct conf_key {
	const char *name;
	unsigned roles; /* ROLE_BIT()s the key is valid for */
};

/* Top-level keys, in print order. */
static const struct conf_key conf_top_keys[] = {
    {"role", ROLES_ALL},
    {"address", ROLES_ALL},
    {"interface", ROLES_ALL},
    {"log_level", ROLES_ALL},
    {"control_socket", ROLES_ALL},
    {"lifetime", ROLES_ALL},
    {"dataplane", ROLES_ALL},
    {"rfc5213", ROLES_ALL},
    {"buffering", ROLE_BIT(ROLE_LMA)},
    {"buffer", ROLE_BIT(ROLE_LMA)},
    {"mags", ROLE_BIT(ROLE_LMA)},
    {"lma", ROLE_BIT(ROLE_MAG)},
    {"mtu", ROLE_BIT(ROLE_MAG)},
    {"ra_interval_ms", ROLE_BIT(ROLE_MAG)},
    {"detach", ROLE_BIT(ROLE_MAG)},
    {"return_to_lma", ROLE_BIT(ROLE_MAG)},
    {"access", ROLE_BIT(ROLE_MAG)},
    {"mobile_nodes", ROLES_ALL},
    {NULL, 0},
};

static const struct conf_key conf_dp_keys[] = {
    {"backend", ROLES_ALL},
    {"tunnels", ROLES_ALL},
    {"tunnel_linger_ms", ROLES_ALL},
    {NULL, 0},
};

/*
 * The rfc5213 group is the same in both roles: RFC 5213 section 9.3
 * makes several of these domain-wide, so one file may be @included by
 * the LMA and every MAG.
 */
static const struct conf_key conf_rfc_keys[] = {
    {"MinDelayBeforeBCEDelete", ROLES_ALL},
    {"MaxDelayBeforeNewBCEAssign", ROLES_ALL},
    {"TimestampValidityWindow", ROLES_ALL},
    {"TimestampBasedApproachInUse", ROLES_ALL},
    {"MobileNodeGeneratedTimestampInUse", ROLES_ALL},
    {"EnableMAGLocalRouting", ROLES_ALL},
    {"FixedMAGLinkLocalAddressOnAllAccessLinks", ROLES_ALL},
    {"FixedMAGLinkLayerAddressOnAllAccessLinks", ROLES_ALL},
    {"InitialBindackTimeoutFirstReg", ROLES_ALL},
    {"MaxBindackTimeout", ROLES_ALL},
    {NULL, 0},
};

/* The LMA's handover buffer (hbuf.h). */
static const struct conf_key conf_buf_keys[] = {
    {"max_packets", ROLES_ALL},
    {"max_bytes", ROLES_ALL},
    {"max_age_ms", ROLES_ALL},
    {"global_max_bytes", ROLES_ALL},
    {"release_factor", ROLES_ALL},
    {"release_delay_ms", ROLES_ALL},
    {NULL, 0},
};

static const struct conf_key conf_mag_keys[] = {
    {"name", ROLES_ALL},
    {"address", ROLES_ALL},
    {NULL, 0},
};

static const struct conf_key conf_access_keys[] = {
    {"interface", ROLES_ALL},
    {"att", ROLES_ALL},
    {"mn", ROLES_ALL},
    {NULL, 0},
};

static const struct conf_key conf_mn_keys[] = {
    {"id", ROLES_ALL},	{"lladdr", ROLES_ALL},	  {"prefixes", ROLES_ALL},
    {"lma", ROLES_ALL}, {"buffering", ROLES_ALL}, {"att", ROLES_ALL},
    {NULL, 0},
};

static const char *const conf_role_names[] = {
    [ROLE_LMA] = "lma",
    [ROLE_MAG] = "mag",
};

static const char *const conf_dp_names[] = {
    [DP_AUTO] = "auto",
    [DP_KERNEL] = "kernel",
    [DP_USER] = "user",
    [DP_FAKE] = "fake",
};

static const char *const conf_tunnel_names[] = {
    [TUNNEL_DYNAMIC] = "dynamic",
    [TUNNEL_STATIC] = "static",
};

static const struct {
	const char *name;
	unsigned bit;
} conf_detach_names[] = {
    {"link", DETACH_LINK},
    {"nud", DETACH_NUD},
    {"dad", DETACH_DAD},
};

#define CONF_NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Parsing context: where errors go. */
struct conf_ctx {
	const char *path;
	const char *incdir; /* directory @include names are relative to */
	char *err;
	size_t errlen;
	struct conf *c;
};

/*
 * libconfig names an included file as the @include directive spelled it;
 * make that a path the user can open.
 */
static const char *
conf_file_name(const struct conf_ctx *x, const char *name, char *buf,
	       size_t len)
{
	if (name == NULL)
		return x->path;
	if (strcmp(name, x->path) == 0 || name[0] == '/' || x->incdir == NULL)
		return name;
	snprintf(buf, len, "%s%s%s", x->incdir,
		 x->incdir[strlen(x->incdir) - 1] == '/' ? "" : "/", name);
	return buf;
}

const char *
conf_role_name(enum conf_role r)
{
	if ((unsigned)r >= CONF_NELEM(conf_role_names))
		return "?";
	return conf_role_names[r];
}

const char *
conf_dp_name(enum conf_dp d)
{
	if ((unsigned)d >= CONF_NELEM(conf_dp_names))
		return "?";
	return conf_dp_names[d];
}

const char *
conf_tunnel_mode_name(enum conf_tunnel_mode m)
{
	if ((unsigned)m >= CONF_NELEM(conf_tunnel_names))
		return "?";
	return conf_tunnel_names[m];
}

static int __attribute__((format(printf, 3, 4)))
conf_err(struct conf_ctx *x, const config_setting_t *s, const char *fmt, ...)
{
	const char *file = x->path;
	unsigned line = 0;
	char msg[CONF_ERRLEN], buf[4096];
	va_list ap;

	if (s != NULL) {
		file = conf_file_name(x, config_setting_source_file(s), buf,
				      sizeof(buf));
		line = config_setting_source_line(s);
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (x->errlen > 0)
		snprintf(x->err, x->errlen, "%s:%u: %s", file, line, msg);
	return -EINVAL;
}

void
conf_defaults(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	c->role = ROLE_LMA;
	c->log_level = LOG_LVL_INFO;
	snprintf(c->ctl_socket, sizeof(c->ctl_socket), "%s",
		 CONF_DEF_CTL_SOCKET);
	c->dataplane = DP_AUTO;
	c->tunnel_mode = TUNNEL_DYNAMIC;
	c->tunnel_linger_ms = CONF_DEF_TUNNEL_LINGER_MS;
	c->mtu = CONF_DEF_MTU;

	/* RFC 5213 section 9.1 (LMA), 9.2 (MAG), 9.3 (domain) */
	c->MinDelayBeforeBCEDelete = 10000;
	c->MaxDelayBeforeNewBCEAssign = 1500;
	c->TimestampValidityWindow = 300;
	c->TimestampBasedApproachInUse = 1;
	c->MobileNodeGeneratedTimestampInUse = 0;
	c->EnableMAGLocalRouting = 0;
	/* RFC 6543: fe80::200:5eff:fe00:5213 and 00:00:5e:00:52:13 */
	static const uint8_t ll[16] = {0xfe, 0x80, 0,	 0,    0,    0,
				       0,    0,	   0x02, 0x00, 0x5e, 0xff,
				       0xfe, 0x00, 0x52, 0x13};
	static const uint8_t lla[6] = {0x00, 0x00, 0x5e, 0x00, 0x52, 0x13};
	memcpy(&c->FixedMAGLinkLocalAddressOnAllAccessLinks, ll, sizeof(ll));
	memcpy(c->FixedMAGLinkLayerAddressOnAllAccessLinks, lla, sizeof(lla));
	/* RFC 6275 section 13 and section 12 (MAX_BINDACK_TIMEOUT) */
	c->InitialBindackTimeoutFirstReg = 1500;
	c->MaxBindackTimeout = 32000;

	c->lifetime_s = CONF_DEF_LIFETIME_S;
	c->ra_interval_ms = CONF_DEF_RA_INTERVAL_MS;
	c->detach_methods = CONF_DEF_DETACH;
	c->buffering = 0;
	c->buffer.max_packets = CONF_DEF_BUF_MAX_PACKETS;
	c->buffer.max_bytes = CONF_DEF_BUF_MAX_BYTES;
	c->buffer.max_age_ms = CONF_DEF_BUF_MAX_AGE_MS;
	c->buffer.global_max_bytes = CONF_DEF_BUF_GLOBAL_MAX_BYTES;
	c->buffer.release_factor = CONF_DEF_BUF_RELEASE_FACTOR;
	c->buffer.release_delay_ms = CONF_DEF_BUF_RELEASE_DELAY_MS;
	c->return_to_lma = 0;
}

static void conf_index_free(struct conf *c);

void
conf_free(struct conf *c)
{
	free(c->access);
	free(c->mags);
	free(c->mn);
	conf_index_free(c);
	c->access = NULL;
	c->mags = NULL;
	c->mn = NULL;
	c->n_access = 0;
	c->n_mags = 0;
	c->n_mn = 0;
}

/* ------------------------------------------------------------------ */
/* Value parsers (pure; the callers report errors). */

static int
conf_parse_mac(const char *s, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++) {
		if (!isxdigit((unsigned char)s[0]) ||
		    !isxdigit((unsigned char)s[1]))
			return -EINVAL;
		char hex[3] = {s[0], s[1], 0};
		mac[i] = (uint8_t)strtoul(hex, NULL, 16);
		s += 2;
		if (i < 5 && *s++ != ':')
			return -EINVAL;
	}
	return *s == '\0' ? 0 : -EINVAL;
}

static void
conf_mac_str(const uint8_t mac[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
		 mac[2], mac[3], mac[4], mac[5]);
}

static const char *
conf_addr_str(const struct in6_addr *a, char buf[INET6_ADDRSTRLEN])
{
	return inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN);
}

/* Whether bits beyond len are all zero. */
static int
conf_host_bits_zero(const struct in6_addr *a, unsigned len)
{
	for (unsigned i = len; i < 128; i++)
		if (a->s6_addr[i / 8] & (0x80 >> (i % 8)))
			return 0;
	return 1;
}

/* Whether the first len bits of a and b agree. */
static int
conf_prefix_match(const struct in6_addr *a, const struct in6_addr *b,
		  unsigned len)
{
	unsigned bytes = len / 8, bits = len % 8;

	if (memcmp(a->s6_addr, b->s6_addr, bytes) != 0)
		return 0;
	if (bits == 0)
		return 1;
	uint8_t mask = (uint8_t)(0xff << (8 - bits));
	return (a->s6_addr[bytes] & mask) == (b->s6_addr[bytes] & mask);
}

static int
conf_prefix_overlap(const struct mh_prefix *a, const struct mh_prefix *b)
{
	unsigned len = a->len < b->len ? a->len : b->len;
	return conf_prefix_match(&a->prefix, &b->prefix, len);
}

/* ------------------------------------------------------------------ */
/*
 * Hash indexes of the policy store: open addressing with linear probing,
 * at most half full, slots hold array index + 1 (0: empty).  Built while
 * the profiles are read, so the duplicate checks are O(1) each too.
 */

struct conf_hash {
	uint32_t *slot;
	uint32_t mask; /* slots - 1, a power of two */
};

struct conf_index {
	struct conf_hash nai;	 /* over c->mn, by nai */
	struct conf_hash lladdr; /* over c->mn, by lladdr */
	struct conf_hash mag;	 /* over c->mags, by addr */
};

static int
conf_hash_init(struct conf_hash *h, unsigned n)
{
	uint32_t size = 16;

	while (size < 2u * n)
		size *= 2;
	h->slot = calloc(size, sizeof(*h->slot));
	if (h->slot == NULL)
		return -ENOMEM;
	h->mask = size - 1;
	return 0;
}

static void
conf_hash_free(struct conf_hash *h)
{
	free(h->slot);
	h->slot = NULL;
	h->mask = 0;
}

static struct conf_index *
conf_index_get(struct conf *c)
{
	if (c->index == NULL)
		c->index = calloc(1, sizeof(*c->index));
	return c->index;
}

static void
conf_index_free(struct conf *c)
{
	if (c->index == NULL)
		return;
	conf_hash_free(&c->index->nai);
	conf_hash_free(&c->index->lladdr);
	conf_hash_free(&c->index->mag);
	free(c->index);
	c->index = NULL;
}

/* The array index stored under key, or -1.  eq(c, i, key) compares. */
static long
conf_hash_find(const struct conf_hash *h, uint32_t hash, const struct conf *c,
	       const void *key,
	       int (*eq)(const struct conf *, uint32_t, const void *))
{
	for (uint32_t i = hash & h->mask;; i = (i + 1) & h->mask) {
		uint32_t v = h->slot[i];
		if (v == 0)
			return -1;
		if (eq(c, v - 1, key))
			return (long)(v - 1);
	}
}

/* Insert array index idx (the caller checked that key is absent). */
static void
conf_hash_put(struct conf_hash *h, uint32_t hash, uint32_t idx)
{
	uint32_t i = hash & h->mask;

	while (h->slot[i] != 0)
		i = (i + 1) & h->mask;
	h->slot[i] = idx + 1;
}

static int
conf_eq_nai(const struct conf *c, uint32_t i, const void *key)
{
	return strcmp(c->mn[i].nai, key) == 0;
}

static int
conf_eq_lladdr(const struct conf *c, uint32_t i, const void *key)
{
	return memcmp(c->mn[i].lladdr, key, 6) == 0;
}

static int
conf_eq_mag(const struct conf *c, uint32_t i, const void *key)
{
	return IN6_ARE_ADDR_EQUAL(&c->mags[i].addr, key);
}

static long
conf_find_nai(const struct conf *c, const char *nai)
{
	return conf_hash_find(&c->index->nai, naitab_hash(nai, strlen(nai)), c,
			      nai, conf_eq_nai);
}

static long
conf_find_lladdr(const struct conf *c, const uint8_t lladdr[6])
{
	return conf_hash_find(&c->index->lladdr, naitab_hash(lladdr, 6), c,
			      lladdr, conf_eq_lladdr);
}

static long
conf_find_mag(const struct conf *c, const struct in6_addr *a)
{
	return conf_hash_find(&c->index->mag, naitab_hash(a, sizeof(*a)), c, a,
			      conf_eq_mag);
}

/* Levenshtein distance, case-insensitive, for "did you mean". */
static unsigned
conf_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned row[CONF_MAX_NAME + 1];

	if (la > CONF_MAX_NAME || lb > CONF_MAX_NAME)
		return ~0u;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		unsigned diag = row[0];
		row[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned up = row[j];
			unsigned cost = tolower((unsigned char)a[i - 1]) !=
					tolower((unsigned char)b[j - 1]);
			unsigned best = diag + cost;
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* ------------------------------------------------------------------ */
/* Setting accessors: each returns 0 when absent (value untouched),
 * 1 when present and valid, or a negative errno after reporting. */

static const char *
conf_where(const char *group)
{
	return group != NULL ? group : "";
}

/*
 * Every member of grp must be in keys; keys valid for other roles are
 * refused too (they would silently do nothing).  role < 0: not known yet,
 * only check names.
 */
static int
conf_check_keys(struct conf_ctx *x, const config_setting_t *grp,
		const struct conf_key *keys, const char *group, int role)
{
	int n = config_setting_length(grp);

	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(grp, i);
		const char *name = config_setting_name(s);
		const struct conf_key *k, *near = NULL;
		unsigned best = 3;

		for (k = keys; k->name != NULL; k++) {
			if (strcmp(k->name, name) == 0)
				break;
			unsigned d = conf_distance(k->name, name);
			if (d < best) {
				best = d;
				near = k;
			}
		}
		const char *in = group != NULL ? " in " : "";
		if (k->name == NULL && near != NULL)
			return conf_err(x, s,
					"unknown key '%s'%s%s (did you mean "
					"'%s'?)",
					name, in, conf_where(group),
					near->name);
		if (k->name == NULL)
			return conf_err(x, s, "unknown key '%s'%s%s", name, in,
					conf_where(group));
		if (role >= 0 && !(k->roles & ROLE_BIT(role)))
			return conf_err(x, s, "'%s' is not used by role %s",
					name,
					conf_role_name((enum conf_role)role));
	}
	return 0;
}

static int
conf_get_int(struct conf_ctx *x, const config_setting_t *grp, const char *name,
	     long long lo, long long hi, const char *unit, unsigned *out)
{
	const config_setting_t *s = config_setting_get_member(grp, name);

	if (s == NULL)
		return 0;
	int t = config_setting_type(s);
	if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64)
		return conf_err(x, s, "'%s' must be an integer", name);
	long long v = config_setting_get_int64(s);
	if (v < lo || v > hi)
		return conf_err(x, s, "'%s' is %lld, must be %lld to %lld%s%s",
				name, v, lo, hi, *unit ? " " : "", unit);
	*out = (unsigned)v;
	return 1;
}

static int
conf_get_bool(struct conf_ctx *x, const config_setting_t *grp, const char *name,
	      int *out)
{
	const config_setting_t *s = config_setting_get_member(grp, name);

	if (s == NULL)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		return conf_err(x, s, "'%s' must be true or false", name);
	*out = config_setting_get_bool(s) ? 1 : 0;
	return 1;
}

/* A string without control characters (they could not be printed back). */
static int
conf_check_str(struct conf_ctx *x, const config_setting_t *s, const char *what,
	       const char *v)
{
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return conf_err(x, s, "%s contains a control character",
					what);
	return 0;
}

static int
conf_get_str(struct conf_ctx *x, const config_setting_t *grp, const char *name,
	     const char **out)
{
	const config_setting_t *s = config_setting_get_member(grp, name);

	if (s == NULL)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return conf_err(x, s, "'%s' must be a string", name);
	const char *v = config_setting_get_string(s);
	char what[CONF_MAX_NAME + 8];
	snprintf(what, sizeof(what), "'%s'", name);
	if (conf_check_str(x, s, what, v) < 0)
		return -EINVAL;
	*out = v;
	return 1;
}

/* Which addresses an "address" key accepts. */
enum conf_addr_kind {
	CONF_ADDR_ENDPOINT,   /* tunnel end: global or unique-local unicast */
	CONF_ADDR_LINK_LOCAL, /* fe80::/10 */
};

static int
conf_check_addr(struct conf_ctx *x, const config_setting_t *s, const char *name,
		const char *v, enum conf_addr_kind kind, struct in6_addr *out)
{
	struct in6_addr a;

	if (inet_pton(AF_INET6, v, &a) != 1)
		return conf_err(x, s, "'%s': bad IPv6 address \"%s\"", name, v);
	if (kind == CONF_ADDR_LINK_LOCAL) {
		if (!IN6_IS_ADDR_LINKLOCAL(&a))
			return conf_err(x, s,
					"'%s': %s is not a link-local "
					"address (fe80::/10)",
					name, v);
	} else if (IN6_IS_ADDR_UNSPECIFIED(&a) || IN6_IS_ADDR_MULTICAST(&a) ||
		   IN6_IS_ADDR_LINKLOCAL(&a) || IN6_IS_ADDR_V4MAPPED(&a)) {
		return conf_err(x, s,
				"'%s': %s cannot be a tunnel endpoint (need a "
				"unicast address with global scope)",
				name, v);
	}
	*out = a;
	return 0;
}

static int
conf_get_addr(struct conf_ctx *x, const config_setting_t *grp, const char *name,
	      enum conf_addr_kind kind, struct in6_addr *out)
{
	const char *v = NULL;
	int r = conf_get_str(x, grp, name, &v);

	if (r <= 0)
		return r;
	if (conf_check_addr(x, config_setting_get_member(grp, name), name, v,
			    kind, out) < 0)
		return -EINVAL;
	return 1;
}

static int
conf_get_mac(struct conf_ctx *x, const config_setting_t *grp, const char *name,
	     uint8_t mac[6])
{
	const config_setting_t *s = config_setting_get_member(grp, name);
	const char *v = NULL;
	int r = conf_get_str(x, grp, name, &v);

	if (r <= 0)
		return r;
	if (conf_parse_mac(v, mac) < 0)
		return conf_err(x, s,
				"'%s': bad MAC address \"%s\" (want "
				"xx:xx:xx:xx:xx:xx)",
				name, v);
	if (mac[0] & 0x01)
		return conf_err(x, s, "'%s': %s is a multicast MAC address",
				name, v);
	static const uint8_t zero[6];
	if (memcmp(mac, zero, 6) == 0)
		return conf_err(x, s, "'%s': the MAC address is all zeros",
				name);
	return 1;
}

/*
 * Linux dev_valid_name(): 1..15 bytes, not "." or "..", no '/', ':' or
 * white space.  allow_empty: "" stands for "not configured".
 */
static int
conf_get_ifname(struct conf_ctx *x, const config_setting_t *grp,
		const char *name, int allow_empty, char out[IF_NAMESIZE])
{
	const config_setting_t *s = config_setting_get_member(grp, name);
	const char *v = NULL;
	int r = conf_get_str(x, grp, name, &v);

	if (r <= 0)
		return r;
	if (*v == '\0' && allow_empty) {
		out[0] = '\0';
		return 1;
	}
	if (*v == '\0')
		return conf_err(x, s, "'%s': empty interface name", name);
	if (strlen(v) >= IF_NAMESIZE)
		return conf_err(x, s,
				"'%s': interface name \"%s\" is longer than %d "
				"characters",
				name, v, IF_NAMESIZE - 1);
	if (strcmp(v, ".") == 0 || strcmp(v, "..") == 0 ||
	    strpbrk(v, "/: \t") != NULL)
		return conf_err(x, s, "'%s': bad interface name \"%s\"", name,
				v);
	snprintf(out, IF_NAMESIZE, "%s", v);
	return 1;
}

/* An aggregate member: a group, or a list/array as allowed. */
static int
conf_get_group(struct conf_ctx *x, const config_setting_t *grp,
	       const char *name, const config_setting_t **out)
{
	const config_setting_t *s = config_setting_get_member(grp, name);

	if (s == NULL)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_GROUP)
		return conf_err(x, s, "'%s' must be a group: %s = { ... };",
				name, name);
	*out = s;
	return 1;
}

static int
conf_get_list(struct conf_ctx *x, const config_setting_t *grp, const char *name,
	      unsigned max, const config_setting_t **out)
{
	const config_setting_t *s = config_setting_get_member(grp, name);

	if (s == NULL)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_LIST)
		return conf_err(x, s,
				"'%s' must be a list of groups: %s = ( { ... "
				"} );",
				name, name);
	int n = config_setting_length(s);
	if ((unsigned)n > max)
		return conf_err(x, s, "'%s' has %d entries, at most %u", name,
				n, max);
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		if (config_setting_type(e) != CONFIG_TYPE_GROUP)
			return conf_err(
			    x, s, "'%s': entry %d must be a group { ... }",
			    name, i + 1);
	}
	*out = s;
	return 1;
}

/* An array (or list) of strings. */
static int
conf_get_strings(struct conf_ctx *x, const config_setting_t *grp,
		 const char *name, const config_setting_t **out)
{
	const config_setting_t *s = config_setting_get_member(grp, name);

	if (s == NULL)
		return 0;
	int t = config_setting_type(s);
	if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST)
		return conf_err(
		    x, s, "'%s' must be an array of strings: [ ... ]", name);
	for (int i = 0; i < config_setting_length(s); i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING)
			return conf_err(x, s, "'%s': entry %d is not a string",
					name, i + 1);
		if (conf_check_str(x, s, "string",
				   config_setting_get_string(e)) < 0)
			return -EINVAL;
	}
	*out = s;
	return 1;
}

/* ------------------------------------------------------------------ */
/* Sections */

static int
conf_read_dataplane(struct conf_ctx *x, const config_setting_t *root)
{
	struct conf *c = x->c;
	const config_setting_t *g = NULL;
	const char *v = NULL;
	int r;

	if ((r = conf_get_group(x, root, "dataplane", &g)) <= 0)
		return r;
	if (conf_check_keys(x, g, conf_dp_keys, "dataplane", c->role) < 0)
		return -EINVAL;
	if ((r = conf_get_str(x, g, "backend", &v)) < 0)
		return r;
	if (r > 0) {
		unsigned i;
		for (i = 0; i < CONF_NELEM(conf_dp_names); i++)
			if (strcmp(v, conf_dp_names[i]) == 0)
				break;
		if (i == CONF_NELEM(conf_dp_names))
			return conf_err(
			    x, config_setting_get_member(g, "backend"),
			    "'backend': unknown data plane \"%s\" (auto, "
			    "kernel, user or fake)",
			    v);
		c->dataplane = (enum conf_dp)i;
	}
	if ((r = conf_get_str(x, g, "tunnels", &v)) < 0)
		return r;
	if (r > 0) {
		if (strcmp(v, "dynamic") == 0)
			c->tunnel_mode = TUNNEL_DYNAMIC;
		else if (strcmp(v, "static") == 0)
			c->tunnel_mode = TUNNEL_STATIC;
		else
			return conf_err(
			    x, config_setting_get_member(g, "tunnels"),
			    "'tunnels': unknown mode \"%s\" (dynamic or "
			    "static)",
			    v);
	}
	if (conf_get_int(x, g, "tunnel_linger_ms", 0, 600000, "ms",
			 &c->tunnel_linger_ms) < 0)
		return -EINVAL;
	return 0;
}

/* A number (integer or float) in [lo, hi]. */
static int
conf_get_float(struct conf_ctx *x, const config_setting_t *grp,
	       const char *name, double lo, double hi, double *out)
{
	const config_setting_t *s = config_setting_get_member(grp, name);
	double v;

	if (s == NULL)
		return 0;
	int t = config_setting_type(s);
	if (t == CONFIG_TYPE_FLOAT)
		v = config_setting_get_float(s);
	else if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64)
		v = (double)config_setting_get_int64(s);
	else
		return conf_err(x, s, "'%s' must be a number", name);
	if (!(v >= lo && v <= hi))
		return conf_err(x, s, "'%s' is %g, must be %g to %g", name, v,
				lo, hi);
	*out = v;
	return 1;
}

/* buffer = { max_packets = ..; ... }; the LMA's handover buffer. */
static int
conf_read_buffer(struct conf_ctx *x, const config_setting_t *root)
{
	struct conf *c = x->c;
	const config_setting_t *g = NULL;
	int r;

	if ((r = conf_get_group(x, root, "buffer", &g)) <= 0)
		return r;
	if (conf_check_keys(x, g, conf_buf_keys, "buffer", c->role) < 0)
		return -EINVAL;
	/* The release must outpace arrivals (factor > 1), or the queue
	 * would never drain while traffic goes on. */
	if (conf_get_int(x, g, "max_packets", 1, 65536, "packets",
			 &c->buffer.max_packets) < 0 ||
	    conf_get_int(x, g, "max_bytes", 2048, 1073741824, "bytes",
			 &c->buffer.max_bytes) < 0 ||
	    conf_get_int(x, g, "max_age_ms", 1, 3600000, "ms",
			 &c->buffer.max_age_ms) < 0 ||
	    conf_get_int(x, g, "global_max_bytes", 2048, 4294967295LL, "bytes",
			 &c->buffer.global_max_bytes) < 0 ||
	    conf_get_float(x, g, "release_factor", 1.05, 100.0,
			   &c->buffer.release_factor) < 0 ||
	    conf_get_int(x, g, "release_delay_ms", 0, 10000, "ms",
			 &c->buffer.release_delay_ms) < 0)
		return -EINVAL;
	if (c->buffer.max_bytes > c->buffer.global_max_bytes)
		return conf_err(x, config_setting_get_member(g, "max_bytes"),
				"'max_bytes' %u exceeds 'global_max_bytes' %u",
				c->buffer.max_bytes,
				c->buffer.global_max_bytes);
	return 0;
}

static int
conf_read_rfc5213(struct conf_ctx *x, const config_setting_t *root)
{
	struct conf *c = x->c;
	const config_setting_t *g = NULL;
	int r;

	if ((r = conf_get_group(x, root, "rfc5213", &g)) <= 0)
		return r;
	if (conf_check_keys(x, g, conf_rfc_keys, "rfc5213", c->role) < 0)
		return -EINVAL;
	/* Upper bounds: one hour, far beyond any sensible value, and small
	 * enough for millisecond timer arithmetic. */
	if (conf_get_int(x, g, "MinDelayBeforeBCEDelete", 0, 3600000, "ms",
			 &c->MinDelayBeforeBCEDelete) < 0 ||
	    conf_get_int(x, g, "MaxDelayBeforeNewBCEAssign", 0, 3600000, "ms",
			 &c->MaxDelayBeforeNewBCEAssign) < 0 ||
	    conf_get_int(x, g, "TimestampValidityWindow", 1, 3600000, "ms",
			 &c->TimestampValidityWindow) < 0 ||
	    conf_get_bool(x, g, "TimestampBasedApproachInUse",
			  &c->TimestampBasedApproachInUse) < 0 ||
	    conf_get_bool(x, g, "MobileNodeGeneratedTimestampInUse",
			  &c->MobileNodeGeneratedTimestampInUse) < 0 ||
	    conf_get_bool(x, g, "EnableMAGLocalRouting",
			  &c->EnableMAGLocalRouting) < 0 ||
	    conf_get_addr(x, g, "FixedMAGLinkLocalAddressOnAllAccessLinks",
			  CONF_ADDR_LINK_LOCAL,
			  &c->FixedMAGLinkLocalAddressOnAllAccessLinks) < 0 ||
	    conf_get_mac(x, g, "FixedMAGLinkLayerAddressOnAllAccessLinks",
			 c->FixedMAGLinkLayerAddressOnAllAccessLinks) < 0 ||
	    conf_get_int(x, g, "InitialBindackTimeoutFirstReg", 10, 3600000,
			 "ms", &c->InitialBindackTimeoutFirstReg) < 0 ||
	    conf_get_int(x, g, "MaxBindackTimeout", 10, 3600000, "ms",
			 &c->MaxBindackTimeout) < 0)
		return -EINVAL;
	if (c->InitialBindackTimeoutFirstReg > c->MaxBindackTimeout) {
		const config_setting_t *s =
		    config_setting_get_member(g, "MaxBindackTimeout");
		if (s == NULL)
			s = config_setting_get_member(
			    g, "InitialBindackTimeoutFirstReg");
		return conf_err(x, s,
				"InitialBindackTimeoutFirstReg (%u ms) exceeds "
				"MaxBindackTimeout (%u ms)",
				c->InitialBindackTimeoutFirstReg,
				c->MaxBindackTimeout);
	}
	if (c->MobileNodeGeneratedTimestampInUse &&
	    !c->TimestampBasedApproachInUse)
		return conf_err(x,
				config_setting_get_member(
				    g, "MobileNodeGeneratedTimestampInUse"),
				"MobileNodeGeneratedTimestampInUse needs "
				"TimestampBasedApproachInUse (RFC 5213 section "
				"9.3)");
	return 0;
}

static int
conf_read_detach(struct conf_ctx *x, const config_setting_t *root)
{
	const config_setting_t *s = NULL;
	unsigned bits = 0;
	int r;

	if ((r = conf_get_strings(x, root, "detach", &s)) <= 0)
		return r;
	for (int i = 0; i < config_setting_length(s); i++) {
		const char *v = config_setting_get_string_elem(s, i);
		unsigned j;
		for (j = 0; j < CONF_NELEM(conf_detach_names); j++)
			if (strcmp(v, conf_detach_names[j].name) == 0)
				break;
		if (j == CONF_NELEM(conf_detach_names))
			return conf_err(
			    x, s,
			    "'detach': unknown method \"%s\" (link, "
			    "nud or dad)",
			    v);
		if (bits & conf_detach_names[j].bit)
			return conf_err(x, s, "'detach': \"%s\" given twice",
					v);
		bits |= conf_detach_names[j].bit;
	}
	x->c->detach_methods = bits;
	return 0;
}

static int
conf_read_access(struct conf_ctx *x, const config_setting_t *root)
{
	struct conf *c = x->c;
	const config_setting_t *l = NULL;
	int r;

	if ((r = conf_get_list(x, root, "access", CONF_MAX_ACCESS, &l)) <= 0)
		return r;
	unsigned n = (unsigned)config_setting_length(l);
	if (n == 0)
		return 0;
	c->access = calloc(n, sizeof(*c->access));
	if (c->access == NULL)
		return conf_err(x, l, "out of memory");
	for (unsigned i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(l, i);
		struct conf_access *a = &c->access[i];
		unsigned att = CONF_DEF_ACCESS_ATT;

		a->line = config_setting_source_line(g);
		if (conf_check_keys(x, g, conf_access_keys, "access", c->role) <
		    0)
			return -EINVAL;
		if ((r = conf_get_ifname(x, g, "interface", 0, a->ifname)) < 0)
			return r;
		if (r == 0)
			return conf_err(x, g, "access entry needs 'interface'");
		if (conf_get_int(x, g, "att", 1, 255, "", &att) < 0)
			return -EINVAL;
		a->att = (uint8_t)att;
		const char *mn = NULL;
		if ((r = conf_get_str(x, g, "mn", &mn)) < 0)
			return r;
		if (r > 0) {
			if (strlen(mn) > MH_MAX_NAI)
				return conf_err(
				    x, config_setting_get_member(g, "mn"),
				    "'mn' is longer than %d bytes", MH_MAX_NAI);
			snprintf(a->mn, sizeof(a->mn), "%s", mn);
		}
		for (unsigned j = 0; j < i; j++)
			if (strcmp(c->access[j].ifname, a->ifname) == 0)
				return conf_err(
				    x,
				    config_setting_get_member(g, "interface"),
				    "access interface %s is listed twice "
				    "(first at line %d)",
				    a->ifname, c->access[j].line);
		if (strcmp(a->ifname, c->ifname) == 0)
			return conf_err(
			    x, config_setting_get_member(g, "interface"),
			    "access interface %s is also the core 'interface'",
			    a->ifname);
		c->n_access = i + 1;
	}
	return 0;
}

static int
conf_read_mags(struct conf_ctx *x, const config_setting_t *root)
{
	struct conf *c = x->c;
	const config_setting_t *l = NULL;
	char buf[INET6_ADDRSTRLEN];
	int r;

	if ((r = conf_get_list(x, root, "mags", CONF_MAX_MAGS, &l)) <= 0)
		return r;
	unsigned n = (unsigned)config_setting_length(l);
	if (n == 0)
		return 0;
	c->mags = calloc(n, sizeof(*c->mags));
	if (c->mags == NULL)
		return conf_err(x, l, "out of memory");
	for (unsigned i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(l, i);
		struct conf_peer *p = &c->mags[i];
		const char *name;

		p->line = config_setting_source_line(g);
		if (conf_check_keys(x, g, conf_mag_keys, "mags", c->role) < 0)
			return -EINVAL;
		if ((r = conf_get_str(x, g, "name", &name)) < 0)
			return r;
		if (r == 0)
			return conf_err(x, g, "MAG entry needs 'name'");
		const config_setting_t *sn =
		    config_setting_get_member(g, "name");
		if (*name == '\0' || strlen(name) >= CONF_MAX_NAME)
			return conf_err(x, sn,
					"'name' must be 1 to %d characters",
					CONF_MAX_NAME - 1);
		snprintf(p->name, sizeof(p->name), "%s", name);
		if ((r = conf_get_addr(x, g, "address", CONF_ADDR_ENDPOINT,
				       &p->addr)) < 0)
			return r;
		if (r == 0)
			return conf_err(x, g, "MAG entry '%s' needs 'address'",
					p->name);
		const config_setting_t *sa =
		    config_setting_get_member(g, "address");
		if (IN6_ARE_ADDR_EQUAL(&p->addr, &c->addr))
			return conf_err(x, sa,
					"MAG '%s' has this LMA's own address",
					p->name);
		for (unsigned j = 0; j < i; j++) {
			if (strcmp(c->mags[j].name, p->name) == 0)
				return conf_err(
				    x, sn,
				    "duplicate MAG name '%s' (first "
				    "at line %d)",
				    p->name, c->mags[j].line);
			if (IN6_ARE_ADDR_EQUAL(&c->mags[j].addr, &p->addr))
				return conf_err(
				    x, sa,
				    "duplicate MAG address %s (MAG '%s' at "
				    "line %d)",
				    conf_addr_str(&p->addr, buf),
				    c->mags[j].name, c->mags[j].line);
		}
		c->n_mags = i + 1;
	}
	struct conf_index *ix = conf_index_get(c);
	if (ix == NULL || conf_hash_init(&ix->mag, n) < 0)
		return conf_err(x, l, "out of memory");
	for (unsigned i = 0; i < n; i++)
		conf_hash_put(
		    &ix->mag,
		    naitab_hash(&c->mags[i].addr, sizeof(c->mags[i].addr)), i);
	return 0;
}

static int
conf_read_prefixes(struct conf_ctx *x, const config_setting_t *g,
		   struct conf_mn *mn)
{
	const config_setting_t *s = NULL;
	int r;

	if ((r = conf_get_strings(x, g, "prefixes", &s)) < 0)
		return r;
	if (r == 0 || config_setting_length(s) == 0)
		return conf_err(x, r == 0 ? g : s,
				"mobile node '%s' needs at least one prefix in "
				"'prefixes'",
				mn->nai);
	if (config_setting_length(s) > CONF_MAX_PREFIX)
		return conf_err(
		    x, s, "mobile node '%s' has %d prefixes, at most %d",
		    mn->nai, config_setting_length(s), CONF_MAX_PREFIX);
	for (int i = 0; i < config_setting_length(s); i++) {
		const char *v = config_setting_get_string_elem(s, i);
		struct mh_prefix *p = &mn->hnp[i];
		char addr[INET6_ADDRSTRLEN];
		const char *slash = strchr(v, '/');
		char *end;

		if (slash == NULL)
			return conf_err(x, s,
					"prefix \"%s\" has no length (want "
					"ADDRESS/LENGTH)",
					v);
		size_t alen = (size_t)(slash - v);
		if (alen >= sizeof(addr))
			return conf_err(x, s, "bad prefix \"%s\"", v);
		memcpy(addr, v, alen);
		addr[alen] = '\0';
		if (inet_pton(AF_INET6, addr, &p->prefix) != 1)
			return conf_err(
			    x, s, "bad prefix \"%s\": bad IPv6 address", v);
		if (!isdigit((unsigned char)slash[1]))
			return conf_err(x, s, "bad prefix length in \"%s\"", v);
		errno = 0;
		unsigned long len = strtoul(slash + 1, &end, 10);
		if (*end != '\0' || errno != 0 || len < 1 || len > 128)
			return conf_err(
			    x, s, "bad prefix length in \"%s\" (1 to 128)", v);
		p->len = (uint8_t)len;
		if (!conf_host_bits_zero(&p->prefix, p->len))
			return conf_err(
			    x, s,
			    "prefix \"%s\" has host bits set beyond "
			    "/%u",
			    v, p->len);
		if (IN6_IS_ADDR_MULTICAST(&p->prefix) ||
		    IN6_IS_ADDR_LINKLOCAL(&p->prefix) ||
		    IN6_IS_ADDR_UNSPECIFIED(&p->prefix))
			return conf_err(
			    x, s,
			    "prefix \"%s\" cannot be a home network "
			    "prefix",
			    v);
		mn->n_hnp = (unsigned)i + 1;
	}
	return 0;
}

/* Overlap with an earlier prefix of this or an earlier MN. */
static int
conf_check_overlap(struct conf_ctx *x, const config_setting_t *g, unsigned idx)
{
	const struct conf *c = x->c;
	const struct conf_mn *mn = &c->mn[idx];
	const config_setting_t *s = config_setting_get_member(g, "prefixes");
	char b1[INET6_ADDRSTRLEN], b2[INET6_ADDRSTRLEN];

	for (unsigned i = 0; i < mn->n_hnp; i++) {
		const struct mh_prefix *p = &mn->hnp[i];
		for (unsigned m = 0; m <= idx; m++) {
			const struct conf_mn *o = &c->mn[m];
			unsigned lim = m == idx ? i : o->n_hnp;
			for (unsigned k = 0; k < lim; k++) {
				const struct mh_prefix *q = &o->hnp[k];
				if (!conf_prefix_overlap(p, q))
					continue;
				conf_addr_str(&p->prefix, b1);
				conf_addr_str(&q->prefix, b2);
				if (p->len == q->len)
					return conf_err(
					    x, s,
					    "prefix %s/%u is already assigned "
					    "to mobile node '%s' (line %d)",
					    b1, p->len, o->nai, o->line);
				return conf_err(
				    x, s,
				    "prefix %s/%u overlaps %s/%u of "
				    "mobile node '%s' (line %d)",
				    b1, p->len, b2, q->len, o->nai, o->line);
			}
		}
	}
	return 0;
}

struct conf_pfx_ent {
	struct mh_prefix p;
	uint32_t order; /* position in the file: MN, then prefix */
	uint32_t mn;
	uint32_t min_order; /* least order on the stack up to here */
};

/* Address, then shorter first, then file order: a prefix sorts right
 * before everything it contains. */
static int
conf_pfx_cmp(const void *va, const void *vb)
{
	const struct conf_pfx_ent *a = va, *b = vb;
	int r = memcmp(&a->p.prefix, &b->p.prefix, sizeof(a->p.prefix));

	if (r != 0)
		return r;
	if (a->p.len != b->p.len)
		return a->p.len < b->p.len ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

/*
 * Overlapping prefixes among the first c->n_mn profiles, reported as
 * conf_check_overlap would report them checking each profile in file
 * order: the first prefix that overlaps an earlier one.  Sorting makes
 * nesting a stack walk, O(P log P) for P prefixes; each prefix's
 * earliest container on the stack gives the pair whose later member is
 * earliest in the file.
 */
static int
conf_check_overlaps(struct conf_ctx *x, const config_setting_t *l)
{
	const struct conf *c = x->c;
	size_t np = 0, k = 0, top = 0;

	for (unsigned i = 0; i < c->n_mn; i++)
		np += c->mn[i].n_hnp;
	if (np < 2)
		return 0;
	struct conf_pfx_ent *e = calloc(np, sizeof(*e));
	struct conf_pfx_ent **stack = calloc(np, sizeof(*stack));
	if (e == NULL || stack == NULL) {
		free(e);
		free(stack);
		return conf_err(x, l, "out of memory");
	}
	for (unsigned i = 0; i < c->n_mn; i++)
		for (unsigned j = 0; j < c->mn[i].n_hnp; j++, k++) {
			e[k].p = c->mn[i].hnp[j];
			e[k].order = (uint32_t)k;
			e[k].mn = i;
		}
	qsort(e, np, sizeof(*e), conf_pfx_cmp);
	uint32_t first = UINT32_MAX, first_mn = 0;
	for (k = 0; k < np; k++) {
		struct conf_pfx_ent *p = &e[k];
		while (top > 0 && !(stack[top - 1]->p.len <= p->p.len &&
				    conf_prefix_match(&stack[top - 1]->p.prefix,
						      &p->p.prefix,
						      stack[top - 1]->p.len)))
			top--;
		p->min_order = p->order;
		if (top > 0) {
			uint32_t m = stack[top - 1]->min_order;
			uint32_t later = m > p->order ? m : p->order;
			if (later < first)
				first = later;
			if (m < p->min_order)
				p->min_order = m;
		}
		stack[top++] = p;
	}
	free(e);
	free(stack);
	if (first == UINT32_MAX)
		return 0;
	/* The MN that prefix belongs to. */
	for (unsigned i = 0, o = 0; i < c->n_mn; o += c->mn[i].n_hnp, i++)
		if (first >= o && first < o + c->mn[i].n_hnp)
			first_mn = i;
	return conf_check_overlap(x, config_setting_get_elem(l, first_mn),
				  first_mn);
}

static int
conf_read_mn(struct conf_ctx *x, const config_setting_t *g, unsigned idx)
{
	struct conf *c = x->c;
	struct conf_mn *mn = &c->mn[idx];
	const char *id = NULL;
	char b[INET6_ADDRSTRLEN], m[18];
	unsigned att = 0;
	int r;

	mn->line = config_setting_source_line(g);
	mn->buffering = -1;
	if (conf_check_keys(x, g, conf_mn_keys, "mobile_nodes", c->role) < 0)
		return -EINVAL;
	if ((r = conf_get_str(x, g, "id", &id)) < 0)
		return r;
	if (r == 0)
		return conf_err(x, g, "mobile node entry needs 'id'");
	const config_setting_t *sid = config_setting_get_member(g, "id");
	if (*id == '\0' || strlen(id) > MH_MAX_NAI)
		return conf_err(x, sid, "'id' must be 1 to %d characters",
				MH_MAX_NAI);
	for (const char *p = id; *p; p++)
		if (isspace((unsigned char)*p))
			return conf_err(x, sid,
					"'id' \"%s\" contains white space", id);
	snprintf(mn->nai, sizeof(mn->nai), "%s", id);

	if ((r = conf_get_mac(x, g, "lladdr", mn->lladdr)) < 0)
		return r;
	if (r == 0)
		return conf_err(x, g, "mobile node '%s' needs 'lladdr'",
				mn->nai);
	if ((r = conf_read_prefixes(x, g, mn)) < 0)
		return r;

	if ((r = conf_get_addr(x, g, "lma", CONF_ADDR_ENDPOINT, &mn->lma)) < 0)
		return r;
	if (r == 0 && c->role == ROLE_LMA) {
		mn->lma = c->addr;
	} else if (r == 0 && c->has_default_lma) {
		mn->lma = c->default_lma;
	} else if (r == 0) {
		return conf_err(x, g,
				"mobile node '%s' needs 'lma' (or set a "
				"top-level default 'lma')",
				mn->nai);
	} else if (c->role == ROLE_MAG &&
		   IN6_ARE_ADDR_EQUAL(&mn->lma, &c->addr)) {
		return conf_err(x, config_setting_get_member(g, "lma"),
				"'lma' %s is this MAG's own address",
				conf_addr_str(&mn->lma, b));
	}
	if (conf_get_bool(x, g, "buffering", &mn->buffering) < 0 ||
	    conf_get_int(x, g, "att", 0, 255, "(0: the access interface's)",
			 &att) < 0)
		return -EINVAL;
	mn->att = (uint8_t)att;
	if (mn->buffering < 0)
		mn->buffering = c->buffering;

	/* Duplicates of an earlier profile: the earlier one is named, and
	 * of two, the first in the file (its id before its lladdr). */
	long jn = conf_find_nai(c, mn->nai);
	long jl = conf_find_lladdr(c, mn->lladdr);
	if (jn >= 0 && (jl < 0 || jn <= jl))
		return conf_err(x, sid,
				"duplicate mobile node id '%s' (first "
				"at line %d)",
				mn->nai, c->mn[jn].line);
	if (jl >= 0) {
		conf_mac_str(mn->lladdr, m);
		return conf_err(x, config_setting_get_member(g, "lladdr"),
				"duplicate lladdr %s (mobile node '%s' "
				"at line %d)",
				m, c->mn[jl].nai, c->mn[jl].line);
	}
	conf_hash_put(&c->index->nai, naitab_hash(mn->nai, strlen(mn->nai)),
		      idx);
	conf_hash_put(&c->index->lladdr, naitab_hash(mn->lladdr, 6), idx);
	return 0;
}

static int
conf_read_mns(struct conf_ctx *x, const config_setting_t *root)
{
	struct conf *c = x->c;
	const config_setting_t *l = NULL;
	int r;

	if ((r = conf_get_list(x, root, "mobile_nodes", CONF_MAX_MN, &l)) <= 0)
		return r;
	unsigned n = (unsigned)config_setting_length(l);
	if (n == 0)
		return 0;
	c->mn = calloc(n, sizeof(*c->mn));
	struct conf_index *ix = conf_index_get(c);
	if (c->mn == NULL || ix == NULL || conf_hash_init(&ix->nai, n) < 0 ||
	    conf_hash_init(&ix->lladdr, n) < 0)
		return conf_err(x, l, "out of memory");
	for (unsigned i = 0; i < n; i++) {
		if (conf_read_mn(x, config_setting_get_elem(l, i), i) < 0) {
			/* An overlap among the profiles before this one
			 * comes first in the file: it wins. */
			conf_check_overlaps(x, l);
			return -EINVAL;
		}
		c->n_mn = i + 1;
	}
	return conf_check_overlaps(x, l);
}

static int
conf_read_role(struct conf_ctx *x, const config_setting_t *root)
{
	const char *v = NULL;
	int r = conf_get_str(x, root, "role", &v);

	if (r < 0)
		return r;
	if (r == 0)
		return conf_err(x, NULL, "missing 'role' (\"lma\" or \"mag\")");
	for (unsigned i = 0; i < CONF_NELEM(conf_role_names); i++) {
		if (strcmp(v, conf_role_names[i]) == 0) {
			x->c->role = (enum conf_role)i;
			return 0;
		}
	}
	return conf_err(x, config_setting_get_member(root, "role"),
			"unknown role \"%s\" (\"lma\" or \"mag\")", v);
}

static int
conf_read_top(struct conf_ctx *x, const config_setting_t *root)
{
	struct conf *c = x->c;
	const config_setting_t *srole = config_setting_get_member(root, "role");
	const char *v = NULL;
	int r;

	if (conf_check_keys(x, root, conf_top_keys, NULL, -1) < 0 ||
	    conf_read_role(x, root) < 0 ||
	    conf_check_keys(x, root, conf_top_keys, NULL, (int)c->role) < 0)
		return -EINVAL;

	if ((r = conf_get_str(x, root, "log_level", &v)) < 0)
		return r;
	if (r > 0 && log_level_parse(v, &c->log_level) < 0)
		return conf_err(x, config_setting_get_member(root, "log_level"),
				"unknown log_level \"%s\" (error, warning, "
				"info or debug)",
				v);

	if ((r = conf_get_addr(x, root, "address", CONF_ADDR_ENDPOINT,
			       &c->addr)) < 0)
		return r;
	if (r == 0)
		return conf_err(x, srole,
				"role %s needs 'address' (its own tunnel "
				"endpoint)",
				conf_role_name(c->role));
	if (conf_get_ifname(x, root, "interface", 1, c->ifname) < 0)
		return -EINVAL;

	if ((r = conf_get_str(x, root, "control_socket", &v)) < 0)
		return r;
	if (r > 0) {
		const config_setting_t *s =
		    config_setting_get_member(root, "control_socket");
		if (*v == '\0' || strlen(v) >= sizeof(c->ctl_socket))
			return conf_err(x, s,
					"'control_socket' must be 1 to %zu "
					"characters",
					sizeof(c->ctl_socket) - 1);
		snprintf(c->ctl_socket, sizeof(c->ctl_socket), "%s", v);
	}

	/* Lifetime: RFC 6275 section 6.1.7, 16 bits in units of 4 s. */
	if ((r = conf_get_int(x, root, "lifetime", 4, CONF_MAX_LIFETIME_S, "s",
			      &c->lifetime_s)) < 0)
		return r;
	if (r > 0 && c->lifetime_s % 4 != 0)
		return conf_err(x, config_setting_get_member(root, "lifetime"),
				"'lifetime' %u is not a multiple of 4 s (the "
				"unit of the lifetime field)",
				c->lifetime_s);

	if (conf_read_dataplane(x, root) < 0 || conf_read_rfc5213(x, root) < 0)
		return -EINVAL;

	if (c->role == ROLE_LMA) {
		if (conf_get_bool(x, root, "buffering", &c->buffering) < 0 ||
		    conf_read_buffer(x, root) < 0 ||
		    conf_read_mags(x, root) < 0)
			return -EINVAL;
		if (c->n_mags == 0)
			return conf_err(
			    x, srole,
			    "role lma needs at least one authorised "
			    "MAG in 'mags'");
	} else {
		if ((r = conf_get_addr(x, root, "lma", CONF_ADDR_ENDPOINT,
				       &c->default_lma)) < 0)
			return r;
		c->has_default_lma = r > 0;
		if (r > 0 && IN6_ARE_ADDR_EQUAL(&c->default_lma, &c->addr))
			return conf_err(x,
					config_setting_get_member(root, "lma"),
					"'lma' is this MAG's own address");
		/* IPv6 minimum link MTU (RFC 8200 section 5) */
		if (conf_get_int(x, root, "mtu", 1280, 65535, "bytes",
				 &c->mtu) < 0 ||
		    conf_get_int(x, root, "ra_interval_ms", 30, 1800000, "ms",
				 &c->ra_interval_ms) < 0 ||
		    conf_read_detach(x, root) < 0 ||
		    conf_get_bool(x, root, "return_to_lma", &c->return_to_lma) <
			0 ||
		    conf_read_access(x, root) < 0)
			return -EINVAL;
		if (c->n_access == 0)
			return conf_err(x, srole,
					"role mag needs at least one access "
					"interface in 'access'");
	}
	if ((r = conf_read_mns(x, root)) < 0)
		return r;
	for (unsigned i = 0; i < c->n_access; i++) {
		const struct conf_access *a = &c->access[i];
		if (a->mn[0] && !conf_mn_by_nai(c, a->mn)) {
			const config_setting_t *l =
			    config_setting_get_member(root, "access");
			const config_setting_t *g =
			    l ? config_setting_get_elem(l, i) : NULL;
			return conf_err(
			    x, g ? config_setting_get_member(g, "mn") : NULL,
			    "access interface %s names mobile "
			    "node '%s', which has no profile",
			    a->ifname, a->mn);
		}
	}
	return 0;
}

int
conf_load(const char *path, struct conf *c, char *err, size_t errlen)
{
	struct conf_ctx x = {path, NULL, err, errlen, c};
	char dir[4096], buf[4096];
	config_t cfg;
	FILE *f;
	int r;

	conf_defaults(c);
	snprintf(c->file, sizeof(c->file), "%s", path);
	if (errlen > 0)
		err[0] = '\0';

	/* libconfig reports only "file I/O error"; say which. */
	f = fopen(path, "r");
	if (f == NULL) {
		r = -errno;
		if (errlen > 0)
			snprintf(err, errlen, "%s:0: %s", path, strerror(-r));
		return r;
	}
	fclose(f);

	config_init(&cfg);
	/* @include "x" is relative to the including file's directory. */
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash != NULL) {
		slash[slash == dir ? 1 : 0] = '\0';
		x.incdir = dir;
		config_set_include_dir(&cfg, dir);
	}
	if (!config_read_file(&cfg, path)) {
		if (errlen > 0)
			snprintf(err, errlen, "%s:%d: %s",
				 conf_file_name(&x, config_error_file(&cfg),
						buf, sizeof(buf)),
				 config_error_line(&cfg),
				 config_error_text(&cfg));
		r = config_error_type(&cfg) == CONFIG_ERR_FILE_IO ? -EIO
								  : -EINVAL;
		config_destroy(&cfg);
		return r;
	}
	r = conf_read_top(&x, config_root_setting(&cfg));
	config_destroy(&cfg);
	if (r < 0)
		conf_free(c);
	return r;
}

/* ------------------------------------------------------------------ */
/* Printing */

static void
conf_print_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

static void
conf_print_kstr(FILE *out, const char *indent, const char *key, const char *v)
{
	fprintf(out, "%s%s = ", indent, key);
	conf_print_str(out, v);
	fputs(";\n", out);
}

static void
conf_print_kaddr(FILE *out, const char *indent, const char *key,
		 const struct in6_addr *a)
{
	char b[INET6_ADDRSTRLEN];

	conf_print_kstr(out, indent, key, conf_addr_str(a, b));
}

static const char *
conf_bool(int v)
{
	return v ? "true" : "false";
}

void
conf_print(const struct conf *c, FILE *out)
{
	char b[INET6_ADDRSTRLEN], m[18];

	fprintf(out, "# pmipd configuration, normalised\n");
	conf_print_kstr(out, "", "role", conf_role_name(c->role));
	conf_print_kaddr(out, "", "address", &c->addr);
	conf_print_kstr(out, "", "interface", c->ifname);
	conf_print_kstr(out, "", "log_level", log_level_name(c->log_level));
	conf_print_kstr(out, "", "control_socket", c->ctl_socket);
	fprintf(out, "lifetime = %u;\n", c->lifetime_s);

	fprintf(out, "dataplane = {\n");
	conf_print_kstr(out, "\t", "backend", conf_dp_name(c->dataplane));
	conf_print_kstr(out, "\t", "tunnels",
			conf_tunnel_mode_name(c->tunnel_mode));
	fprintf(out, "\ttunnel_linger_ms = %u;\n", c->tunnel_linger_ms);
	fprintf(out, "};\n");

	fprintf(out, "rfc5213 = {\n");
	fprintf(out, "\tMinDelayBeforeBCEDelete = %u;\n",
		c->MinDelayBeforeBCEDelete);
	fprintf(out, "\tMaxDelayBeforeNewBCEAssign = %u;\n",
		c->MaxDelayBeforeNewBCEAssign);
	fprintf(out, "\tTimestampValidityWindow = %u;\n",
		c->TimestampValidityWindow);
	fprintf(out, "\tTimestampBasedApproachInUse = %s;\n",
		conf_bool(c->TimestampBasedApproachInUse));
	fprintf(out, "\tMobileNodeGeneratedTimestampInUse = %s;\n",
		conf_bool(c->MobileNodeGeneratedTimestampInUse));
	fprintf(out, "\tEnableMAGLocalRouting = %s;\n",
		conf_bool(c->EnableMAGLocalRouting));
	conf_print_kaddr(out, "\t", "FixedMAGLinkLocalAddressOnAllAccessLinks",
			 &c->FixedMAGLinkLocalAddressOnAllAccessLinks);
	conf_mac_str(c->FixedMAGLinkLayerAddressOnAllAccessLinks, m);
	conf_print_kstr(out, "\t", "FixedMAGLinkLayerAddressOnAllAccessLinks",
			m);
	fprintf(out, "\tInitialBindackTimeoutFirstReg = %u;\n",
		c->InitialBindackTimeoutFirstReg);
	fprintf(out, "\tMaxBindackTimeout = %u;\n", c->MaxBindackTimeout);
	fprintf(out, "};\n");

	if (c->role == ROLE_LMA) {
		fprintf(out, "buffering = %s;\n", conf_bool(c->buffering));
		fprintf(
		    out,
		    "buffer = {\n\tmax_packets = %u;\n\tmax_bytes = %u;\n"
		    "\tmax_age_ms = %u;\n\tglobal_max_bytes = %u;\n"
		    "\trelease_factor = %.3f;\n\trelease_delay_ms = %u;\n};\n",
		    c->buffer.max_packets, c->buffer.max_bytes,
		    c->buffer.max_age_ms, c->buffer.global_max_bytes,
		    c->buffer.release_factor, c->buffer.release_delay_ms);
		fprintf(out, "mags = (");
		for (unsigned i = 0; i < c->n_mags; i++) {
			fprintf(out, "%s\n\t{ name = ", i ? "," : "");
			conf_print_str(out, c->mags[i].name);
			fprintf(out, "; address = \"%s\"; }",
				conf_addr_str(&c->mags[i].addr, b));
		}
		fprintf(out, "%s);\n", c->n_mags ? "\n" : " ");
	} else {
		if (c->has_default_lma)
			conf_print_kaddr(out, "", "lma", &c->default_lma);
		fprintf(out, "mtu = %u;\n", c->mtu);
		fprintf(out, "ra_interval_ms = %u;\n", c->ra_interval_ms);
		fprintf(out, "detach = [");
		const char *sep = " ";
		for (unsigned i = 0; i < CONF_NELEM(conf_detach_names); i++) {
			if (!(c->detach_methods & conf_detach_names[i].bit))
				continue;
			fprintf(out, "%s\"%s\"", sep,
				conf_detach_names[i].name);
			sep = ", ";
		}
		fprintf(out, " ];\n");
		fprintf(out, "return_to_lma = %s;\n",
			conf_bool(c->return_to_lma));
		fprintf(out, "access = (");
		for (unsigned i = 0; i < c->n_access; i++) {
			fprintf(out, "%s\n\t{ interface = ", i ? "," : "");
			conf_print_str(out, c->access[i].ifname);
			fprintf(out, "; att = %u;", c->access[i].att);
			if (c->access[i].mn[0]) {
				fprintf(out, " mn = ");
				conf_print_str(out, c->access[i].mn);
				fprintf(out, ";");
			}
			fprintf(out, " }");
		}
		fprintf(out, "%s);\n", c->n_access ? "\n" : " ");
	}

	fprintf(out, "mobile_nodes = (");
	for (unsigned i = 0; i < c->n_mn; i++) {
		const struct conf_mn *mn = &c->mn[i];
		fprintf(out, "%s\n\t{\n", i ? "," : "");
		conf_print_kstr(out, "\t\t", "id", mn->nai);
		conf_mac_str(mn->lladdr, m);
		conf_print_kstr(out, "\t\t", "lladdr", m);
		fprintf(out, "\t\tprefixes = [");
		for (unsigned k = 0; k < mn->n_hnp; k++)
			fprintf(out, "%s\"%s/%u\"", k ? ", " : " ",
				conf_addr_str(&mn->hnp[k].prefix, b),
				mn->hnp[k].len);
		fprintf(out, " ];\n");
		conf_print_kaddr(out, "\t\t", "lma", &mn->lma);
		fprintf(out, "\t\tbuffering = %s;\n",
			conf_bool(mn->buffering > 0));
		fprintf(out, "\t\tatt = %u;\n", mn->att);
		fprintf(out, "\t}");
	}
	fprintf(out, "%s);\n", c->n_mn ? "\n" : " ");
}

int
conf_check_main(const char *path, FILE *out, FILE *err)
{
	struct conf c;
	char e[CONF_ERRLEN];

	if (conf_load(path, &c, e, sizeof(e)) < 0) {
		fprintf(err, "%s\n", e);
		return 1;
	}
	conf_print(&c, out);
	conf_free(&c);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Policy store lookups */

const struct conf_mn *
conf_mn_by_nai(const struct conf *c, const char *nai)
{
	if (c->index != NULL && c->index->nai.slot != NULL) {
		long i = conf_find_nai(c, nai);
		return i < 0 ? NULL : &c->mn[i];
	}
	for (unsigned i = 0; i < c->n_mn; i++)
		if (strcmp(c->mn[i].nai, nai) == 0)
			return &c->mn[i];
	return NULL;
}

const struct conf_mn *
conf_mn_by_lladdr(const struct conf *c, const uint8_t lladdr[6])
{
	if (c->index != NULL && c->index->lladdr.slot != NULL) {
		long i = conf_find_lladdr(c, lladdr);
		return i < 0 ? NULL : &c->mn[i];
	}
	for (unsigned i = 0; i < c->n_mn; i++)
		if (memcmp(c->mn[i].lladdr, lladdr, 6) == 0)
			return &c->mn[i];
	return NULL;
}

const struct conf_peer *
conf_mag_by_addr(const struct conf *c, const struct in6_addr *a)
{
	if (c->index != NULL && c->index->mag.slot != NULL) {
		long i = conf_find_mag(c, a);
		return i < 0 ? NULL : &c->mags[i];
	}
	for (unsigned i = 0; i < c->n_mags; i++)
		if (IN6_ARE_ADDR_EQUAL(&c->mags[i].addr, a))
			return &c->mags[i];
	return NULL;
}

const struct conf_mn *
conf_mn_by_addr(const struct conf *c, const struct in6_addr *a)
{
	for (unsigned i = 0; i < c->n_mn; i++)
		for (unsigned k = 0; k < c->mn[i].n_hnp; k++)
			if (conf_prefix_match(&c->mn[i].hnp[k].prefix, a,
					      c->mn[i].hnp[k].len))
				return &c->mn[i];
	return NULL;
}

const struct conf_access *
conf_access_by_ifname(const struct conf *c, const char *ifname)
{
	for (unsigned i = 0; i < c->n_access; i++)
		if (strcmp(c->access[i].ifname, ifname) == 0)
			return &c->access[i];
	return NULL;
}
