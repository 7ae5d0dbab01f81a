/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The user data plane (dp_user_ops): a TUN device and a raw socket for
 * next header 41.  The daemon encapsulates (RFC 2473 IPv6-in-IPv6: the
 * kernel adds the outer header on sendto) and decapsulates (recvfrom
 * returns the inner packet and the outer source) itself.  This header
 * adds what only this backend has: counters, a hook that can hold
 * downlink packets (handover buffering) and a way to send them later.
 */
#ifndef PMIPD_DP_USER_H
#define PMIPD_DP_USER_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "dp.h"

/* Route protocol marking our routes and rules (crash cleanup). */
#ifdef DP_RTPROT
#define DP_USER_RTPROT DP_RTPROT
#else
#define DP_USER_RTPROT 213
#endif

#define DP_USER_IFNAME "pmip-tun0"
/* MAG: the table whose default route leads into the TUN device, and the
 * priority of the per-prefix "from PREFIX lookup DP_USER_TABLE" rules. */
#define DP_USER_TABLE 2130
#define DP_USER_RULE_PREF 2130
#define DP_USER_TXQLEN 10000
/* Packets read per descriptor and wakeup, so one side cannot starve
 * the rest of the event loop. */
#define DP_USER_BURST 64

struct dp_user_count {
	uint64_t packets;
	uint64_t bytes;
};

struct dp_user_stats {
	struct dp_user_count tun_rx;   /* read from the TUN device */
	struct dp_user_count encap_tx; /* sent into a tunnel */
	struct dp_user_count decap_rx; /* received from a tunnel, accepted */
	struct dp_user_count tun_tx;   /* written to the TUN device */
	uint64_t held;		       /* taken by the hold hook */
	/* drops, by reason */
	uint64_t drop_unknown_peer; /* outer source is no tunnel peer */
	uint64_t drop_malformed;    /* not a sane IPv6 packet */
	uint64_t drop_no_binding;   /* inner address not bound to that peer */
	uint64_t drop_no_route;	    /* from the TUN, matches no MN prefix */
	uint64_t drop_noise;	    /* from the TUN, multicast/link-local or
				       unmatched at a MAG (MLD, RS, ...) */
	uint64_t drop_error;	    /* sendto or write failed */
};

/* Counters of a dp opened with dp_user_ops; all zero otherwise. */
void dp_user_stats(const struct dp *dp, struct dp_user_stats *out);

/*
 * Hold hook, consulted for every downlink packet (read from the TUN, its
 * destination in a prefix routed by lma_route_add) before it is sent to
 * peer.  Return 1 if the hook took the packet (it must copy pkt: the
 * buffer is reused), 0 to let it be sent as usual.  peer is the serving
 * MAG.  Default: none.  fn NULL removes the hook.  At the LMA a packet
 * a MAG sends back through its tunnel to a held prefix is offered with
 * DP_HOLD_RETURNED (peer: that MAG); not taken, it is dropped.
 */
void dp_user_set_hold(struct dp *dp, dp_hold_fn fn, void *arg);

/*
 * Send an inner packet into the tunnel to peer, bypassing the hook (to
 * release held packets).  Returns 0 or a negative errno (-ENOENT: peer
 * is no tunnel peer; -EINVAL: not a sane IPv6 packet).
 */
int dp_user_send(struct dp *dp, const struct in6_addr *peer, const uint8_t *pkt,
		 size_t len);

#endif
