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
#define DETACH_LINK 0x1 /* rtnetlink carrier down on the access interface */
#define DETACH_NUD 0x2	/* neighbour unreachability of the MN's link-local */
#define DETACH_DAD 0x4	/* the umip-style DAD probe of the MN's link-local */

#define CONF_MAX_NAME 64
#define CONF_MAX_PREFIX MH_MAX_HNP
#define CONF_MAX_MN 100000 /* profiles per file */
#define CONF_MAX_MAGS 256  /* authorised MAGs per LMA */
#define CONF_MAX_ACCESS 64 /* access interfaces per MAG */
#define CONF_ERRLEN 1024   /* enough for "FILE:LINE: reason" */

/* Defaults that are not RFC 5213 variables (see docs/configuration.md). */
#define CONF_DEF_CTL_SOCKET "/run/pmipd.sock"
#define CONF_DEF_LIFETIME_S 3600
#define CONF_MAX_LIFETIME_S 262140 /* 16-bit field in 4 s units */
#define CONF_DEF_RA_INTERVAL_MS 3000
#define CONF_DEF_MTU 1460 /* 1500 minus the 40-byte outer header */
#define CONF_DEF_TUNNEL_LINGER_MS 1000
#define CONF_DEF_ACCESS_ATT 3 /* IEEE 802.3 */
#define CONF_DEF_DETACH (DETACH_LINK | DETACH_NUD)
/* LMA handover buffer (the "buffer" group; see hbuf.h) */
#define CONF_DEF_BUF_MAX_PACKETS 10000
#define CONF_DEF_BUF_MAX_BYTES 4194304u /* 4 MiB per MN */
#define CONF_DEF_BUF_MAX_AGE_MS 10000
#define CONF_DEF_BUF_GLOBAL_MAX_BYTES 67108864u /* 64 MiB */
#define CONF_DEF_BUF_RELEASE_FACTOR 2.0
#define CONF_DEF_BUF_RELEASE_DELAY_MS 5

struct conf_mn {
	char nai[MH_MAX_NAI + 1]; /* MN-Identifier, user@realm */
	uint8_t lladdr[6];	  /* MN link-layer address */
	unsigned n_hnp;
	struct mh_prefix hnp[CONF_MAX_PREFIX];
	struct in6_addr lma; /* LMA address (LMA side: own address
				unless configured otherwise) */
	int buffering;	     /* -1 inherit, 0 off, 1 on; conf_load
				resolves it to 0 or 1 */
	uint8_t att;	     /* access technology type; 0: that of
				the access interface */
	int line;	     /* where it was defined */
};

struct conf_peer { /* an authorised MAG (LMA side) */
	char name[CONF_MAX_NAME];
	struct in6_addr addr;
	int line;
};

struct conf_access { /* a MAG access interface */
	char ifname[IF_NAMESIZE];
	uint8_t att;
	/* The MN whose point-to-point access link this is (RFC 5213 section
	 * 6.2), or "": when set, carrier up on the interface is an
	 * attachment of that MN, with no need to wait for its RS. */
	char mn[MH_MAX_NAI + 1];
	int line;
};

struct conf {
	char file[256];
	enum conf_role role;
	enum log_level log_level;
	char ctl_socket[108];
	struct in6_addr addr;	  /* own LMA or MAG address (tunnel end) */
	char ifname[IF_NAMESIZE]; /* core-facing interface */

	/* data plane */
	enum conf_dp dataplane;
	enum conf_tunnel_mode tunnel_mode;
	unsigned tunnel_linger_ms; /* dynamic mode: delay before removal */
	unsigned mtu;		   /* access-link MTU advertised in RAs */

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
	unsigned MaxBindackTimeout; /* ms, RFC 6275 MAX_BINDACK_TIMEOUT */

	/* lifetimes */
	unsigned lifetime_s;	 /* requested (MAG) / maximum granted (LMA) */
	unsigned ra_interval_ms; /* MAG periodic RA interval */

	/* MAG */
	int has_default_lma;	     /* default_lma was configured */
	struct in6_addr default_lma; /* for MNs without their own "lma" */
	unsigned detach_methods;     /* DETACH_* */
	unsigned n_access;
	struct conf_access *access;

	/* LMA */
	unsigned n_mags;
	struct conf_peer *mags;

	/* buffering (LMA) */
	int buffering;
	struct conf_buffer {
		unsigned max_packets;	   /* per MN */
		unsigned max_bytes;	   /* per MN, incl. per-packet cost */
		unsigned max_age_ms;	   /* longest a packet is held */
		unsigned global_max_bytes; /* all MNs together */
		double release_factor;	   /* release rate / arrival rate */
		unsigned release_delay_ms; /* registration -> first release */
	} buffer;

	/* MAG: on detachment, send what still arrives for the MN back to
	 * the LMA until the de-registration is acknowledged */
	int return_to_lma;

	/* policy store */
	unsigned n_mn;
	struct conf_mn *mn;
	/* Hash indexes over mn and mags, built by conf_load (NULL in a
	 * struct filled by hand: the lookups then scan linearly). */
	struct conf_index *index;
};

/* Defaults for everything; role is LMA, no peers, no MNs. */
void conf_defaults(struct conf *c);

/*
 * Load and check a file.  *c need not be initialised (it is overwritten,
 * not freed).  On failure returns a negative errno and writes
 * "FILE:LINE: reason" into err (line 0: the file as a whole); *c is left
 * freed.  Only the first error is reported.
 */
int conf_load(const char *path, struct conf *c, char *err, size_t errlen);

/*
 * Print the normalised configuration (libconfig syntax, every value,
 * defaults included, fixed order, canonical addresses).  conf_load
 * accepts the output and prints it back unchanged.
 */
void conf_print(const struct conf *c, FILE *out);

void conf_free(struct conf *c);

/*
 * Check mode (pmipd -n -c FILE): load path; on success print the
 * normalised configuration to out and return 0, else print
 * "FILE:LINE: reason" and a newline to err and return 1.
 */
int conf_check_main(const char *path, FILE *out, FILE *err);

/*
 * Policy store lookups.  By NAI, by lladdr and by MAG address: O(1) on
 * average through the hash indexes conf_load builds.  conf_mn_by_addr
 * and conf_access_by_ifname scan linearly (used off the per-PBU path).
 */
const struct conf_mn *conf_mn_by_nai(const struct conf *c, const char *nai);
const struct conf_mn *conf_mn_by_lladdr(const struct conf *c,
					const uint8_t lladdr[6]);
const struct conf_peer *conf_mag_by_addr(const struct conf *c,
					 const struct in6_addr *a);
/* The MN one of whose home network prefixes contains a, or NULL. */
const struct conf_mn *conf_mn_by_addr(const struct conf *c,
				      const struct in6_addr *a);
const struct conf_access *conf_access_by_ifname(const struct conf *c,
						const char *ifname);

const char *conf_role_name(enum conf_role r);
const char *conf_dp_name(enum conf_dp d);
const char *conf_tunnel_mode_name(enum conf_tunnel_mode m);

#endif
