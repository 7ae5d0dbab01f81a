/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The LMA's Binding Cache (RFC 5213 section 5.1): one entry per mobility
 * session, found by MN identifier or by any of its home network
 * prefixes (section 5.4.1).  Each entry has an explicit state machine
 * whose transitions are logged:
 *
 *   (new) --PBU ok--> ACTIVE --lifetime 0 from serving MAG--> DEREG
 *   DEREG --PBU from any authorised MAG within
 *           MinDelayBeforeBCEDelete--> ACTIVE (same session, same HNPs)
 *   DEREG --MinDelayBeforeBCEDelete--> (deleted)
 *   ACTIVE --lifetime expires--> (deleted)
 *
 * Lookups are O(1) on average: two chained hash tables (by NAI and by
 * prefix) that grow by doubling.
 */
#ifndef PMIPD_BCE_H
#define PMIPD_BCE_H

#include <netinet/in.h>
#include <stdint.h>

#include "ev.h"
#include "mh.h"
#include "naitab.h"

enum bce_state { BCE_ACTIVE, BCE_DEREG };

struct bce {
	char nai[MH_MAX_NAI + 1];
	uint32_t id; /* small stable id (data plane) */
	enum bce_state state;
	unsigned n_hnp;
	struct mh_prefix hnp[MH_MAX_HNP];
	struct in6_addr proxy_coa; /* serving MAG */
	struct in6_addr lla; /* MAG link-local (Link-local Address option) */
	uint8_t att;
	uint8_t hi;
	uint8_t llid_len;
	uint8_t llid[MH_MAX_LLID];
	uint64_t timestamp;   /* last accepted PBU's Timestamp */
	uint16_t seq;	      /* last accepted PBU's sequence number */
	uint32_t lifetime_s;  /* granted */
	ev_time_t registered; /* first registration, monotonic */
	ev_time_t refreshed;  /* last accepted PBU */
	ev_time_t expires;    /* lifetime end (ACTIVE) or delete time (DEREG) */
	unsigned n_reg;	      /* accepted registrations incl. refreshes */
	unsigned n_handover;  /* serving MAG changes */
	int dp_installed;     /* tunnel reference held; routes into the
				 tunnel in place unless route_pending */
	int dp_held;	      /* prefixes routed to the hold point
				 (handover buffering) */
	int route_pending;    /* dp_installed, but the prefixes stay held
				 until the buffer has drained */
	struct ev_timer timer; /* expiry or MinDelayBeforeBCEDelete */
	void *owner;	       /* the struct lma */

	struct naitab_node node; /* by NAI, and insertion order */
};

struct bce_table {
	struct naitab nai;
	struct bce_pfx **by_pfx;
	unsigned pfx_buckets;
	unsigned next_id;
};

/* Entries in insertion order: for (b = bce_first(t); b; b = bce_next(b)) */
struct bce *bce_first(const struct bce_table *t);
struct bce *bce_next(const struct bce *b);
unsigned bce_count(const struct bce_table *t);

int bce_table_init(struct bce_table *t);
void bce_table_fini(struct bce_table *t, void (*destroy)(struct bce *));

struct bce *bce_by_nai(const struct bce_table *t, const char *nai);
struct bce *bce_by_prefix(const struct bce_table *t, const struct mh_prefix *p);

/* Create an entry (prefixes and all else zero); NULL on allocation failure. */
struct bce *bce_create(struct bce_table *t, const char *nai);
/* Replace the prefix set (updates the prefix index). */
int bce_set_prefixes(struct bce_table *t, struct bce *b,
		     const struct mh_prefix *hnp, unsigned n);
void bce_delete(struct bce_table *t, struct bce *b);

const char *bce_state_name(enum bce_state s);
void bce_set_state(struct bce *b, enum bce_state s, const char *why);

/* Approximate heap bytes per entry, for the memory-per-binding figure. */
size_t bce_mem_per_entry(const struct bce_table *t);

#endif
