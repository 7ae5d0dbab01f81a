/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Configuration: read with libconfig, checked, and normalised into
 * struct conf.  The RFC 5213 variables keep the RFC's names in the file
 * (MinDelayBeforeBCEDelete, ...) and their RFC defaults.  The mobile
 * node profiles form the policy store (RFC 5213 section 2.2, "Policy
 * Profile").
 */
#ifndef PMIPD_CONF_H
#define PMIPD_CONF_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>

#include "log.h"
#include "mh.h"

enum conf_role { ROLE_LMA, ROLE_MAG };
enum conf_dp { DP_AUTO, DP_KERNEL, DP_USER, DP_FAKE };
enum conf_tunnel_mode { TUNNEL_DYNAMIC, TUNNEL_STATIC };

/* Detachment detection methods at the MAG (bit set). */
#define DETACH_LINK 0x1  /* rtnetlink carrier down on the access interface */
#define DETACH_NUD 0x2   /* neighbour unreachability of the MN's link-local */
#define DETACH_DAD 0x4   /* the umip-style DAD probe of the MN's link-local */

#define CONF_MAX_NAME 64
#define CONF_MAX_PREFIX MH_MAX_HNP

struct conf_mn {
	char nai[MH_MAX_NAI + 1];      /* MN-Identifier, user@realm */
	uint8_t lladdr[6];             /* MN link-layer address */
	unsigned n_hnp;
	struct mh_prefix hnp[CONF_MAX_PREFIX];
	struct in6_addr lma;           /* LMA address (MAG side) */
	int buffering;                 /* -1 inherit, 0 off, 1 on */
	uint8_t att;                   /* access technology type */
	int line;                      /* where it was defined */
};

struct conf_peer {                     /* an authorised MAG (LMA side) */
	char name[CONF_MAX_NAME];
	struct in6_addr addr;
	int line;
};

struct conf_access {                   /* a MAG access interface */
	char ifname[IF_NAMESIZE];
	uint8_t att;
	int line;
};

struct conf {
	char file[256];
	enum conf_role role;
	enum log_level log_level;
	char ctl_socket[108];
	struct in6_addr addr;          /* own LMA or MAG address (tunnel end) */
	char ifname[IF_NAMESIZE];      /* core-facing interface */

	/* data plane */
	enum conf_dp dataplane;
	enum conf_tunnel_mode tunnel_mode;
	unsigned tunnel_linger_ms;     /* dynamic mode: delay before removal */
	unsigned mtu;                  /* access-link MTU advertised in RAs */

	/* RFC 5213 section 9.1/9.2 variables, in milliseconds */
	unsigned MinDelayBeforeBCEDelete;
	unsigned MaxDelayBeforeNewBCEAssign;
	unsigned TimestampValidityWindow;
	int TimestampBasedApproachInUse;
	int MobileNodeGeneratedTimestampInUse;
	int EnableMAGLocalRouting;
	struct in6_addr FixedMAGLinkLocalAddressOnAllAccessLinks;
	uint8_t FixedMAGLinkLayerAddressOnAllAccessLinks[6];
	unsigned InitialBindackTimeoutFirstReg; /* ms, RFC 6275 */
	unsigned MaxBindackTimeout;             /* ms, RFC 6275 MAX_BINDACK_TIMEOUT */

	/* lifetimes */
	unsigned lifetime_s;           /* requested (MAG) / maximum granted (LMA) */
	unsigned ra_interval_ms;       /* MAG periodic RA interval */

	/* MAG */
	unsigned detach_methods;       /* DETACH_* */
	unsigned n_access;
	struct conf_access *access;

	/* LMA */
	unsigned n_mags;
	struct conf_peer *mags;

	/* buffering (LMA) */
	int buffering;

	/* policy store */
	unsigned n_mn;
	struct conf_mn *mn;
};

/* Defaults for everything; role is LMA, no peers, no MNs. */
void conf_defaults(struct conf *c);

/*
 * Load and check a file.  On failure returns a negative errno and writes
 * "FILE:LINE: reason" into err; *c is left freed.
 */
int conf_load(const char *path, struct conf *c, char *err, size_t errlen);

/* Print the normalised configuration (libconfig syntax, every value). */
void conf_print(const struct conf *c, FILE *out);

void conf_free(struct conf *c);

/* Policy store lookups (linear; profiles are few per daemon). */
const struct conf_mn *conf_mn_by_nai(const struct conf *c, const char *nai);
const struct conf_mn *conf_mn_by_lladdr(const struct conf *c,
                                        const uint8_t lladdr[6]);
const struct conf_peer *conf_mag_by_addr(const struct conf *c,
                                         const struct in6_addr *a);

const char *conf_role_name(enum conf_role r);
const char *conf_dp_name(enum conf_dp d);

#endif
