/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The data plane behind one small interface (cf. WireGuard's kernel and
 * userspace backends sharing one data model).  The role logic says what
 * should be forwarded where; a backend makes it so:
 *
 *   kernel  IPv6-in-IPv6 (RFC 2473) in the kernel through netlink: ip6tnl
 *           devices where the kernel has ip6_tunnel, else seg6 lightweight
 *           tunnels in reduced-encapsulation mode with End.DX6 decap.
 *   user    a TUN device and a raw socket for next header 41; the daemon
 *           encapsulates and decapsulates (and can hold packets).
 *   fake    records every call, for unit tests.
 *
 * Tunnels are shared per peer and reference counted here, above the
 * backends: the first dp_tunnel_get() for a peer creates the tunnel, the
 * last dp_tunnel_put() removes it (after tunnel_linger_ms in dynamic
 * mode; never in static mode, where tunnels exist from dp_open() on).
 *
 * Order of calls: dp_tunnel_get(peer) before dp_lma_route_add() or
 * dp_mag_mn_add() for an MN whose peer is that peer (they fail with
 * -ENOENT otherwise), and the matching _del before dp_tunnel_put().
 * dp_lma_route_add() replaces an existing route for the same prefix, so a
 * handover to a new MAG is: get(new), route_add(mn with new peer),
 * put(old); no route_del in between, hence no gap.  A _del removes the
 * MN's prefixes whatever peer they point to.
 *
 * Handover buffering (LMA): dp_lma_route_hold() routes the MN's prefixes
 * to the daemon instead (user: the TUN device it already reads; kernel:
 * a TUN device of its own), where every packet is offered to the hook
 * set with dp_set_hold(); dp_send() puts a packet into the tunnel to a
 * peer.  dp_lma_route_add() later re-points the prefixes to a MAG.  It
 * needs no tunnel reference (mn->peer is only informative).
 *
 * Return to the LMA (MAG): dp_mag_mn_return() replaces the MN's on-link
 * route by one into the tunnel to mn->peer (the LMA), so that what still
 * arrives for an MN that left goes back instead of being lost;
 * dp_mag_mn_del() removes it.
 *
 * All calls return 0 or a negative errno; the backend logs the cause.
 */
#ifndef PMIPD_DP_H
#define PMIPD_DP_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "ev.h"
#include "mh.h"

struct conf;
struct dp;

struct dp_mn { /* one mobile node's forwarding state */
	unsigned n_hnp;
	struct mh_prefix hnp[MH_MAX_HNP];
	struct in6_addr peer; /* LMA: serving MAG; MAG: the LMA */
	int access_ifindex;   /* MAG: access interface of the MN */
	uint8_t lladdr[6];    /* MAG: MN link-layer address */
	uint32_t id;	      /* stable small id (e.g. for table numbers) */
};

/*
 * Hold hook: a downlink packet for a held prefix (or, user backend, any
 * downlink packet).  Return 1 if the hook took it (it must copy pkt),
 * 0 to let the backend forward it as usual (kernel hold device: drop).
 * peer: the serving MAG as the backend knows it, or NULL.  flags:
 * DP_HOLD_RETURNED for a packet that came back from a MAG's tunnel (a
 * MAG returning what reached it after the MN left: older than anything
 * held from elsewhere).
 */
#define DP_HOLD_RETURNED 1u
typedef int (*dp_hold_fn)(void *arg, const struct in6_addr *peer,
			  const uint8_t *pkt, size_t len, unsigned flags);

struct dp_ops {
	const char *name;
	int (*open)(struct dp *dp);
	void (*close)(struct dp *dp);
	/* remove whatever a previous (crashed) instance left behind */
	int (*cleanup_stale)(struct dp *dp);
	int (*tunnel_add)(struct dp *dp, const struct in6_addr *peer);
	int (*tunnel_del)(struct dp *dp, const struct in6_addr *peer);
	/* LMA: route the MN's prefixes into the tunnel to mn->peer */
	int (*lma_route_add)(struct dp *dp, const struct dp_mn *mn);
	int (*lma_route_del)(struct dp *dp, const struct dp_mn *mn);
	/* MAG: on-link route to the MN and reverse tunnel by source */
	int (*mag_mn_add)(struct dp *dp, const struct dp_mn *mn);
	int (*mag_mn_del)(struct dp *dp, const struct dp_mn *mn);
	/* optional (NULL: -EOPNOTSUPP) */
	int (*lma_route_hold)(struct dp *dp, const struct dp_mn *mn);
	int (*mag_mn_return)(struct dp *dp, const struct dp_mn *mn);
	int (*mag_mn_hold)(struct dp *dp, const struct dp_mn *mn);
	void (*hold_poll)(struct dp *dp);
	void (*set_hold)(struct dp *dp, dp_hold_fn fn, void *arg);
	int (*send)(struct dp *dp, const struct in6_addr *peer,
		    const uint8_t *pkt, size_t len);
};

/* One tunnel end as dp.c tracks it (backends need not look inside). */
struct dp_tunnel {
	struct in6_addr peer;
	unsigned refs;
	int is_static;		/* pre-established: kept until dp_close() */
	struct ev_timer linger; /* armed while refs == 0 (dynamic mode) */
	struct dp *dp;
	struct dp_tunnel *next;
};

struct dp {
	const struct dp_ops *ops;
	const struct conf *conf;
	struct ev *ev; /* may be NULL: lingering tunnels then go at once */
	struct dp_tunnel *tunnels;
	void *priv; /* backend state */
};

/*
 * Choose the backend from conf->dataplane (auto: kernel if it opens,
 * else user) and open it; in static mode also create the tunnels to every
 * configured peer (LMA: conf->mags; MAG: each distinct conf->mn[].lma).
 * The kernel backend removes stale entries of a crashed instance first.
 */
int dp_open(struct dp *dp, const struct conf *conf, struct ev *ev);
/* Remove every tunnel and entry this instance installed. */
void dp_close(struct dp *dp);
/*
 * Remove every entry marked as pmipd's in this network namespace, ours
 * included: for recovery tools and tests, not for a running daemon.
 */
int dp_cleanup_stale(struct dp *dp);

int dp_tunnel_get(struct dp *dp, const struct in6_addr *peer);
int dp_tunnel_put(struct dp *dp, const struct in6_addr *peer);
/* Reference count of the tunnel to peer; -1 if there is none. */
int dp_tunnel_refs(const struct dp *dp, const struct in6_addr *peer);
int dp_lma_route_add(struct dp *dp, const struct dp_mn *mn);
int dp_lma_route_del(struct dp *dp, const struct dp_mn *mn);
int dp_mag_mn_add(struct dp *dp, const struct dp_mn *mn);
int dp_mag_mn_del(struct dp *dp, const struct dp_mn *mn);
int dp_lma_route_hold(struct dp *dp, const struct dp_mn *mn);
int dp_mag_mn_return(struct dp *dp, const struct dp_mn *mn);
/*
 * MAG: the MN left; its on-link route becomes one to the hold point
 * (the hook sees the packets, dp_send() returns them to the LMA later);
 * dp_mag_mn_del() removes it.  -EOPNOTSUPP where the backend cannot.
 */
int dp_mag_mn_hold(struct dp *dp, const struct dp_mn *mn);
/* 1 if the backend can hold (dp_lma_route_hold and dp_send work). */
int dp_can_hold(const struct dp *dp);
void dp_set_hold(struct dp *dp, dp_hold_fn fn, void *arg);
/*
 * Offer the hook what the hold point has queued but not yet read (the
 * kernel's TUN queue), so that "the buffer is empty" means it.
 */
void dp_hold_poll(struct dp *dp);
int dp_send(struct dp *dp, const struct in6_addr *peer, const uint8_t *pkt,
	    size_t len);

/* Open one given backend (tests; dp_open chooses by configuration). */
int dp_open_ops(struct dp *dp, const struct dp_ops *ops,
		const struct conf *conf, struct ev *ev);

extern const struct dp_ops dp_kernel_ops;
extern const struct dp_ops dp_user_ops;
extern const struct dp_ops dp_fake_ops;

/*
 * The fake backend's record, one line per call, e.g.
 * "tunnel_add 2001:db8::11" or
 * "lma_route_add 2001:db8:1:1::/64 via 2001:db8::11".  The record is
 * global (it outlives dp_close) and holds at most DP_FAKE_MAX lines.
 */
#define DP_FAKE_MAX 256
#define DP_FAKE_LINE 160
unsigned dp_fake_count(void);
const char *dp_fake_line(unsigned i);
/* Number of lines equal to s. */
unsigned dp_fake_has(const char *s);
void dp_fake_reset(void);
/* The next call of op (e.g. "tunnel_add") is recorded and returns err. */
void dp_fake_fail(const char *op, int err);
/* dp_send() on the fake calls fn (NULL: succeed silently). */
typedef int (*dp_fake_send_fn)(void *arg, const struct in6_addr *peer,
			       const uint8_t *pkt, size_t len);
void dp_fake_set_sink(dp_fake_send_fn fn, void *arg);
/* A downlink packet offered to the hold hook, as a backend would. */
int dp_fake_offer(const struct in6_addr *peer, const uint8_t *pkt, size_t len);

#endif
