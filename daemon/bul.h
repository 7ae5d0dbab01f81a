/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The MAG's Binding Update List (RFC 5213 section 6.1): one entry per
 * mobile node attached to one of our access links, found by MN
 * identifier (NAI).  Each entry has an explicit state machine whose
 * transitions are logged:
 *
 *   (new) --attach (RS / neighbour)--> REGISTERING     PBU sent
 *   REGISTERING --PBA 0--> REGISTERED                  RA, data plane
 *   REGISTERING --PBA != 0 / retransmissions exhausted--> FAILED
 *   REGISTERING --detach--> (deleted)                  nothing confirmed
 *   REGISTERED --refresh time--> REFRESHING            PBU, HI 5
 *   REFRESHING --PBA 0--> REGISTERED
 *   REFRESHING --PBA != 0 / binding expired--> FAILED  data plane removed
 *   REGISTERED, REFRESHING --detach--> DEREG           PBU lifetime 0
 *   DEREG --PBA / retransmissions exhausted--> (deleted)
 *   DEREG --MN back (RS / neighbour)--> REGISTERING
 *   FAILED --hold time--> (deleted)
 *
 * Lookups are O(1) on average: a chained hash table by NAI that grows by
 * doubling, plus an insertion-ordered list for dumps and walks.
 */
#ifndef PMIPD_BUL_H
#define PMIPD_BUL_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "naitab.h"
#include "ev.h"
#include "mh.h"

enum bul_state {
	BUL_REGISTERING, /* initial PBU sent, waiting for the PBA */
	BUL_REGISTERED,	 /* binding accepted, MN served */
	BUL_REFRESHING,	 /* lifetime-extension PBU sent, still served */
	BUL_DEREG,	 /* de-registration PBU sent */
	BUL_FAILED,	 /* rejected or unanswered; held, then deleted */
};

/* What made us notice the mobile node (RFC 5213 section 6.9.1.1). */
enum bul_trigger {
	BUL_TRIG_NONE,
	BUL_TRIG_RS,	/* Router Solicitation with a known SLLAO */
	BUL_TRIG_NEIGH, /* rtnetlink neighbour entry for a known lladdr */
	BUL_TRIG_LINK,	/* carrier up on an MN's point-to-point access link */
	BUL_TRIG_AP,	/* association reported by the access point (l2) */
	BUL_TRIG_FRAME, /* a data frame from a known lladdr (AF_PACKET) */
};

struct bul {
	char nai[MH_MAX_NAI + 1];
	uint32_t id; /* small stable id (data plane) */
	enum bul_state state;
	enum bul_trigger trigger; /* that of the current attachment */
	uint8_t lladdr[6];	  /* MN link-layer address (MN-LL-ID) */
	int ifindex;		  /* access interface */
	struct in6_addr mn_ll;	  /* MN link-local; :: if not known */
	struct in6_addr lma;	  /* where PBUs go */
	uint8_t att;		  /* access technology type */
	uint8_t hi;		  /* HI of the outstanding PBU */
	unsigned initial_ras;	  /* quick RAs still to send (mag.c) */
	unsigned n_hnp;		  /* assigned home network prefixes */
	struct mh_prefix hnp[MH_MAX_HNP];

	/* the PBU exchange in progress (RFC 5213 section 6.9.4) */
	uint16_t seq;		 /* last sequence number sent */
	uint16_t seq_first;	 /* first sequence number of this exchange */
	int outstanding;	 /* waiting for a PBA for seq_first..seq */
	uint16_t last_acked_seq; /* of the last accepted PBA */
	int have_acked;
	uint16_t lifetime_req; /* of the outstanding PBU, 4 s units */
	ev_time_t rtx_timeout; /* current backoff */
	unsigned n_tx;	       /* transmissions in this exchange */
	int ts_retried;	       /* status 156 retry done (this exchange) */
	int64_t ts_offset;     /* LMA clock minus ours, 1/65536 s units */

	/* the binding */
	uint32_t lifetime_s;  /* granted */
	ev_time_t attached;   /* trigger time of this attachment */
	ev_time_t registered; /* first accepted PBA of this attachment */
	ev_time_t refreshed;  /* last accepted PBA */
	ev_time_t expires;    /* binding lifetime end */
	ev_time_t pba_rx;     /* receipt of the PBA being handled */
	ev_time_t detached;   /* detach event (DEREG) */
	unsigned n_reg;	      /* accepted PBAs incl. refreshes */
	unsigned n_ra;	      /* RAs sent */
	int dp_installed;     /* dp_mag_mn_add done */
	int tunnel_ref;	      /* dp_tunnel_get done */
	int dp_returning;     /* dp_mag_mn_return done (left, DEREG) */

	/* detachment probes (NUD / DAD-style) */
	unsigned probes_missed;
	int probe_pending;

	struct ev_timer rtx_timer;   /* PBU retransmission */
	struct ev_timer life_timer;  /* refresh, expiry or FAILED hold */
	struct ev_timer ra_timer;    /* periodic RAs */
	struct ev_timer probe_timer; /* NUD / DAD probes */
	void *owner;		     /* the struct mag */

	struct naitab_node node; /* by NAI, and insertion order */
};

struct bul_table {
	struct naitab nai;
	unsigned next_id;
};

/* Entries in insertion order: for (b = bul_first(t); b; b = bul_next(b)) */
struct bul *bul_first(const struct bul_table *t);
struct bul *bul_next(const struct bul *b);
unsigned bul_count(const struct bul_table *t);

int bul_table_init(struct bul_table *t);
/* Delete every entry, calling destroy (may be NULL) on each first. */
void bul_table_fini(struct bul_table *t, void (*destroy)(struct bul *));

struct bul *bul_by_nai(const struct bul_table *t, const char *nai);
/* Linear: entries on ifindex with this link-local or link-layer address. */
struct bul *bul_by_mn_ll(const struct bul_table *t, int ifindex,
			 const struct in6_addr *ll);
struct bul *bul_by_lladdr(const struct bul_table *t, const uint8_t lladdr[6]);

/* Create an entry (all else zero, timers initialised unarmed). */
struct bul *bul_create(struct bul_table *t, const char *nai);
/* Unlink and free; the caller has cancelled the timers. */
void bul_delete(struct bul_table *t, struct bul *b);

const char *bul_state_name(enum bul_state s);
const char *bul_trigger_name(enum bul_trigger tr);
void bul_set_state(struct bul *b, enum bul_state s, const char *why);

/* Approximate heap bytes per entry, for the memory-per-binding figure. */
size_t bul_mem_per_entry(const struct bul_table *t);

#endif
