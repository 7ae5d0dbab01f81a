/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The Mobile Access Gateway role (RFC 5213 section 6): turns access-link
 * events (Router Solicitations, neighbour entries, carrier changes, NUD
 * and DAD-style probe answers) and Proxy Binding Acknowledgements into
 * Binding Update List changes, Proxy Binding Updates, Router
 * Advertisements and data-plane operations.
 *
 * I/O is injected: send_mh and send_nd (and the wall clock for the
 * Timestamp option) are function pointers, so unit tests drive the role
 * without sockets.  mag_start_io() opens the real sockets (raw MH, raw
 * ICMPv6, rtnetlink monitor, an AF_PACKET socket per access link for the
 * frame trigger) and wires them to the mag_recv_* and mag_*_event entry
 * points.
 *
 * Timers (defaults; see docs/mag.md):
 *   PBU retransmission  InitialBindackTimeoutFirstReg, doubling up to
 *                       MaxBindackTimeout, then give up (RFC 5213 6.9.4)
 *   refresh             at MAG_REFRESH_PCT of the granted lifetime,
 *                       HI 5 (RFC 5213 6.9.1.3)
 *   periodic RAs        every ra_interval_ms while registered (6.8)
 *   probes              every MAG_PROBE_INTERVAL_MS; MAG_PROBE_MAX
 *                       unanswered in a row mean detachment
 *   FAILED hold         MAG_FAILED_HOLD_MS, triggers ignored meanwhile
 */
#ifndef PMIPD_MAG_H
#define PMIPD_MAG_H

#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>

#include "bul.h"
#include "conf.h"
#include "dp.h"
#include "ev.h"
#include "hbuf.h"
#include "icmp6sock.h"
#include "mhsock.h"
#include "nlmon.h"
#include "tstat.h"

#define MAG_PROBE_INTERVAL_MS 1000 /* NUD / DAD-style probe period */
#define MAG_PROBE_MAX 3		   /* unanswered probes => detached */
#define MAG_FAILED_HOLD_MS 5000	   /* FAILED entries are kept this long */
#define MAG_FRAME_HOLD_MS 1000	   /* frame trigger rate limit, per MN */
#define MAG_FRAME_BURST 64	   /* frames read per wake-up, at most */
#define MAG_FRAME_QUIET_MAX 64	   /* MACs the frame filter drops, at most */
#define MAG_REFRESH_PCT 80	   /* refresh at this share of the lifetime */
#define MAG_RA_ROUTER_LIFETIME_MAX 9000 /* s, RFC 4861 6.2.1 */

typedef int (*mag_send_mh_fn)(void *arg, const struct in6_addr *dst,
			      const uint8_t *buf, size_t len);
/*
 * One ND message out of access interface ifindex.  The source is the
 * fixed MAG link-local address, except for an NS to a multicast
 * destination: that is the DAD-style probe, sent from :: (RFC 4861
 * 7.2.2), and its checksum is already filled in.
 */
typedef int (*mag_send_nd_fn)(void *arg, int ifindex,
			      const struct in6_addr *dst, const uint8_t *buf,
			      size_t len);
/* Wall clock as an RFC 5213 section 8.8 timestamp. */
typedef uint64_t (*mag_timestamp_fn)(void *arg);

/* Counters; names in mag.c's table are what pmipctl prints. */
struct mag_stats {
	/* Mobility Header */
	uint64_t mh_rx, mh_malformed, mh_unexpected;
	uint64_t pbu_sent, pbu_rtx, pbu_send_err, pbu_giveup;
	uint64_t pba_rx, pba_accepted, pba_rejected, pba_not_proxy;
	uint64_t pba_unmatched, pba_dup_late, pba_ts_retry;
	uint64_t hb_rx, hb_sent, hb_unknown_peer;
	/* Neighbor Discovery */
	uint64_t nd_rx, nd_not_access, nd_hoplimit, nd_malformed, nd_other;
	uint64_t rs_rx, rs_malformed, rs_no_sllao, rs_unknown_mn;
	uint64_t na_rx, na_matched;
	uint64_t ra_sent, ns_sent, nd_send_err;
	/* events and outcomes */
	uint64_t link_up, link_down, neigh_attach, neigh_fail;
	uint64_t attach, attach_ignored, attach_no_lma, reg_abandoned;
	uint64_t attach_gone; /* triggers of an MN the AP reported gone */
	uint64_t detach_link, detach_nud, detach_dad;
	uint64_t l2_attach, l2_detach; /* access point events (pmipctl l2) */
	/* frames seen on the access links' AF_PACKET sockets, the MN
	 * registrations they triggered, those ignored by the rate limit */
	uint64_t frame_rx, frame_attach, frame_ratelimited, frame_err;
	uint64_t dereg_done, expired, dp_err;
	uint64_t returned;	/* detached MNs whose downlink went back to the
				   LMA (return_to_lma) */
	uint64_t held_returned; /* packets held for a detached MN, then
				   sent back to the LMA */
};

/* A small set of link-layer addresses (per access interface). */
struct mag_macs {
	unsigned n;
	uint8_t a[MAG_FRAME_QUIET_MAX][6];
};

struct mag_access {
	int ifindex; /* 0: not resolved (tests may set it) */
	const struct conf_access *ca;
	int carrier;  /* -1 unknown, 0 down, 1 up */
	int frame_fd; /* AF_PACKET socket (frame trigger), -1 if none */
	struct mag *owner;
	/*
	 * MNs served here whose frames the trigger has no use for: the
	 * socket filter drops their frames in the kernel, so an MN's
	 * traffic does not wake the daemon once per packet.  An MN leaves
	 * the list on any change (probe missed, detach, move, failure).
	 */
	struct mag_macs quiet;
	/*
	 * MNs the access point reported as disassociated from this link:
	 * until it reports them associated again or the link's carrier
	 * changes, their RSs, neighbour entries and frames are no
	 * attachment (a station that has disassociated may still be heard
	 * for a moment; 802.11 would drop its data frames).
	 */
	struct mag_macs gone;
};

struct mag {
	const struct conf *conf;
	struct ev *ev;
	struct dp *dp;
	struct bul_table bul;
	unsigned n_access;
	struct mag_access *access;
	uint32_t restart_counter; /* RFC 5847 section 5.2 */
	/* tunables, from the MAG_* defaults; tests shorten them */
	unsigned probe_interval_ms;
	unsigned probe_max;
	unsigned failed_hold_ms;
	unsigned frame_hold_ms; /* per MN: frames ignored after a trigger */
	ev_time_t *frame_last;	/* per conf MN: last frame trigger, 0 none */

	mag_send_mh_fn send_mh;
	mag_send_nd_fn send_nd;
	void *io_arg;
	mag_timestamp_fn timestamp;
	void *ts_arg;

	struct mag_stats stats;
	/*
	 * return_to_lma: what arrives for an MN that left is held here
	 * until the LMA acknowledges the de-registration (it buffers from
	 * then on), then sent back to it through the tunnel.  Sent earlier,
	 * it would bounce between the LMA and us until the LMA switches.
	 */
	struct hbuf hb;
	/* per-step timing (tstat) */
	struct tstat t_trigger_pbu; /* RS / neighbour event -> PBU sent */
	struct tstat t_pba_ra_reg;  /* PBA (first registration) -> RA */
	struct tstat t_pba_ra_ref;  /* PBA (refresh) -> RA */
	struct tstat t_pba_dereg;   /* PBA (de-registration) -> done */
	struct tstat t_detach_pbu;  /* detach event -> dereg PBU sent */
	struct tstat t_reg_total;   /* trigger -> RA (whole registration) */

	/* real I/O (mag_start_io) */
	int io_started;
	struct mhsock mhs;
	struct icmp6sock icmp;
	struct nlmon nl;
};

/*
 * Set up the role: the BUL, the access interfaces (if_nametoindex of
 * conf->access[]), the default wall clock; send functions are left
 * failing (-ENOTCONN) until mag_start_io() or a test sets them.
 * 0 or negative errno.
 */
int mag_init(struct mag *m, const struct conf *conf, struct ev *ev,
	     struct dp *dp);
/*
 * Tear down: a de-registration PBU (one try) for every MN we serve,
 * data-plane state removed, timers cancelled, sockets closed, BUL freed.
 */
void mag_fini(struct mag *m);
/* Open the MH, ICMPv6 and rtnetlink sockets and wire them in. */
int mag_start_io(struct mag *m);

/* Entry points. */
void mag_recv_mh(struct mag *m, const struct in6_addr *src,
		 const struct in6_addr *dst, const uint8_t *buf, size_t len);
void mag_recv_nd(struct mag *m, int ifindex, const struct in6_addr *src,
		 const struct in6_addr *dst, int hoplimit, const uint8_t *buf,
		 size_t len);
void mag_link_event(struct mag *m, int ifindex, int carrier_up);
/* state: the kernel's NUD_* bits (linux/neighbour.h). */
void mag_neigh_event(struct mag *m, int ifindex, const uint8_t lladdr[6],
		     const struct in6_addr *ip, int state);
/*
 * A link-layer association (up) or disassociation (!up) of the station
 * lladdr on the access interface ifindex, as an access point daemon
 * reports it (hostapd's AP-STA-CONNECTED / AP-STA-DISCONNECTED).  An
 * association attaches the MN (trigger "ap"); a disassociation detaches
 * it like carrier down on its own link.  0, -ENODEV (not an access
 * interface) or -ENOENT (lladdr not in the policy store).
 */
int mag_l2_event(struct mag *m, int ifindex, const uint8_t lladdr[6], int up);

/*
 * A frame received on access interface ifindex from the link-layer
 * address src (the frame trigger, a fallback for MNs that send no RS
 * and make no neighbour entry, e.g. a station roaming with its address
 * configured).  src of an MN in the policy store that has no live
 * binding through ifindex (REGISTERING, REGISTERED, REFRESHING) is
 * attached with trigger "frame", at most once per frame_hold_ms per
 * MN, never while its entry is in FAILED hold.
 */
void mag_frame_event(struct mag *m, int ifindex, const uint8_t src[6]);

/*
 * The frame socket's classic BPF program for access interface acc:
 * drop frames from acc's quiet MNs, then the trigger's own filter
 * (incoming IPv6 but ND and Hop-by-Hop).  Writes at most max
 * instructions to out; returns their number.
 */
struct sock_filter;
size_t mag_frame_prog(const struct mag_access *acc, struct sock_filter *out,
		      size_t max);
#define MAG_FRAME_PROG_MAX (5 * MAG_FRAME_QUIET_MAX + 16)

/* The access interface entry for ifindex, or NULL. */
const struct mag_access *mag_access_by_ifindex(const struct mag *m,
					       int ifindex);

/* pmipctl: human tables or one JSON object. */
void mag_dump_bul(const struct mag *m, FILE *out, int json);
void mag_dump_stats(const struct mag *m, FILE *out, int json);

#endif
