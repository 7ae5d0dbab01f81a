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
 * All calls return 0 or a negative errno; the backend logs the cause.
 */
#ifndef PMIPD_DP_H
#define PMIPD_DP_H

#include <netinet/in.h>
#include <stdint.h>

#include "mh.h"

struct ev;
struct conf;
struct dp;

struct dp_mn {                  /* one mobile node's forwarding state */
	unsigned n_hnp;
	struct mh_prefix hnp[MH_MAX_HNP];
	struct in6_addr peer;   /* LMA: serving MAG; MAG: the LMA */
	int access_ifindex;     /* MAG: access interface of the MN */
	uint8_t lladdr[6];      /* MAG: MN link-layer address */
	uint32_t id;            /* stable small id (e.g. for table numbers) */
};

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
};

struct dp_tunnel {
	struct in6_addr peer;
	unsigned refs;
	int linger_armed;
	struct dp_tunnel *next;
	/* linger timer lives in dp.c */
	void *timer;
};

struct dp {
	const struct dp_ops *ops;
	const struct conf *conf;
	struct ev *ev;
	struct dp_tunnel *tunnels;
	void *priv;             /* backend state */
};

/* Choose the backend from conf (auto: kernel if it works, else user). */
int dp_open(struct dp *dp, const struct conf *conf, struct ev *ev);
void dp_close(struct dp *dp);

int dp_tunnel_get(struct dp *dp, const struct in6_addr *peer);
int dp_tunnel_put(struct dp *dp, const struct in6_addr *peer);
int dp_lma_route_add(struct dp *dp, const struct dp_mn *mn);
int dp_lma_route_del(struct dp *dp, const struct dp_mn *mn);
int dp_mag_mn_add(struct dp *dp, const struct dp_mn *mn);
int dp_mag_mn_del(struct dp *dp, const struct dp_mn *mn);

extern const struct dp_ops dp_kernel_ops;
extern const struct dp_ops dp_user_ops;
extern const struct dp_ops dp_fake_ops;

#endif
