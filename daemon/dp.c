/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The shared data-plane layer: backend selection and per-peer tunnel
 * reference counting.  A tunnel to a peer is shared by every MN served
 * through that peer.  In dynamic mode the last dp_tunnel_put() arms a
 * linger timer (tunnel_linger_ms) so that a quick re-registration, or a
 * handover back, finds the tunnel still there; in static mode tunnels to
 * all configured peers exist from dp_open() to dp_close().
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "dp.h"
#include "log.h"

static const char *
dp_a(const struct in6_addr *a, char *buf)
{
	return inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN);
}

static struct dp_tunnel *
dp_tunnel_find(const struct dp *dp, const struct in6_addr *peer)
{
	for (struct dp_tunnel *t = dp->tunnels; t; t = t->next)
		if (memcmp(&t->peer, peer, sizeof(*peer)) == 0)
			return t;
	return NULL;
}

static void
dp_tunnel_unlink(struct dp *dp, struct dp_tunnel *t)
{
	for (struct dp_tunnel **pp = &dp->tunnels; *pp; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			return;
		}
}

/* Delete the tunnel in the backend and forget it, whatever the outcome. */
static int
dp_tunnel_remove(struct dp *dp, struct dp_tunnel *t)
{
	int err;

	if (dp->ev && ev_timer_armed(&t->linger))
		ev_timer_cancel(dp->ev, &t->linger);
	err = dp->ops->tunnel_del(dp, &t->peer);
	dp_tunnel_unlink(dp, t);
	free(t);
	return err;
}

static void
dp_linger_expired(struct ev *ev, void *arg)
{
	struct dp_tunnel *t = arg;
	char a[INET6_ADDRSTRLEN];

	if (t->refs > 0)
		return;
	log_debug("dp: tunnel to %s unused for %u ms, removing",
		  dp_a(&t->peer, a), t->dp->conf->tunnel_linger_ms);
	dp_tunnel_remove(t->dp, t);
}

/* Create the backend tunnel and start tracking it with no references. */
static int
dp_tunnel_create(struct dp *dp, const struct in6_addr *peer,
		 struct dp_tunnel **out)
{
	struct dp_tunnel *t;
	int err;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return -ENOMEM;
	if ((err = dp->ops->tunnel_add(dp, peer)) < 0) {
		free(t);
		return err;
	}
	t->peer = *peer;
	t->dp = dp;
	t->is_static = dp->conf->tunnel_mode == TUNNEL_STATIC;
	ev_timer_init(&t->linger, dp_linger_expired, t);
	t->next = dp->tunnels;
	dp->tunnels = t;
	*out = t;
	return 0;
}

static int
dp_static_peer(struct dp *dp, const struct in6_addr *peer)
{
	struct dp_tunnel *t;

	if (IN6_IS_ADDR_UNSPECIFIED(peer) || dp_tunnel_find(dp, peer))
		return 0;
	return dp_tunnel_create(dp, peer, &t);
}

/* Static mode: a tunnel to every configured peer, before any MN comes. */
static int
dp_static_open(struct dp *dp)
{
	const struct conf *c = dp->conf;
	int err = 0;

	if (c->role == ROLE_LMA)
		for (unsigned i = 0; i < c->n_mags && err == 0; i++)
			err = dp_static_peer(dp, &c->mags[i].addr);
	else
		for (unsigned i = 0; i < c->n_mn && err == 0; i++)
			err = dp_static_peer(dp, &c->mn[i].lma);
	return err;
}

int
dp_open_ops(struct dp *dp, const struct dp_ops *ops, const struct conf *conf,
	    struct ev *ev)
{
	int err;

	memset(dp, 0, sizeof(*dp));
	dp->ops = ops;
	dp->conf = conf;
	dp->ev = ev;
	if ((err = ops->open(dp)) < 0) {
		dp->ops = NULL;
		return err;
	}
	if (conf->tunnel_mode == TUNNEL_STATIC &&
	    (err = dp_static_open(dp)) < 0) {
		dp_close(dp);
		return err;
	}
	log_info("dp: %s data plane, %s tunnels", ops->name,
		 conf->tunnel_mode == TUNNEL_STATIC ? "static" : "dynamic");
	return 0;
}

int
dp_open(struct dp *dp, const struct conf *conf, struct ev *ev)
{
	int err;

	switch (conf->dataplane) {
	case DP_KERNEL:
		return dp_open_ops(dp, &dp_kernel_ops, conf, ev);
	case DP_FAKE:
		return dp_open_ops(dp, &dp_fake_ops, conf, ev);
	case DP_USER:
		return dp_open_ops(dp, &dp_user_ops, conf, ev);
	case DP_AUTO:
	default:
		if ((err = dp_open_ops(dp, &dp_kernel_ops, conf, ev)) == 0)
			return 0;
		log_info("dp: kernel data plane unavailable (%s), trying user",
			 strerror(-err));
		return dp_open_ops(dp, &dp_user_ops, conf, ev);
	}
}

void
dp_close(struct dp *dp)
{
	if (dp->ops == NULL)
		return;
	while (dp->tunnels)
		dp_tunnel_remove(dp, dp->tunnels);
	dp->ops->close(dp);
	dp->ops = NULL;
}

int
dp_cleanup_stale(struct dp *dp)
{
	return dp->ops->cleanup_stale(dp);
}

int
dp_tunnel_get(struct dp *dp, const struct in6_addr *peer)
{
	struct dp_tunnel *t;
	int err;

	if ((t = dp_tunnel_find(dp, peer)) == NULL &&
	    (err = dp_tunnel_create(dp, peer, &t)) < 0)
		return err;
	if (dp->ev && ev_timer_armed(&t->linger))
		ev_timer_cancel(dp->ev, &t->linger);
	t->refs++;
	return 0;
}

int
dp_tunnel_put(struct dp *dp, const struct in6_addr *peer)
{
	struct dp_tunnel *t = dp_tunnel_find(dp, peer);
	char a[INET6_ADDRSTRLEN];

	if (t == NULL || t->refs == 0) {
		log_warnx("dp: put of unreferenced tunnel to %s",
			  dp_a(peer, a));
		return -ENOENT;
	}
	if (--t->refs > 0 || t->is_static)
		return 0;
	if (dp->ev && dp->conf->tunnel_linger_ms > 0)
		return ev_timer_after(dp->ev, &t->linger,
				      EV_MS(dp->conf->tunnel_linger_ms));
	return dp_tunnel_remove(dp, t);
}

int
dp_tunnel_refs(const struct dp *dp, const struct in6_addr *peer)
{
	const struct dp_tunnel *t = dp_tunnel_find(dp, peer);

	return t ? (int)t->refs : -1;
}

/* The MN's peer must have a tunnel and its prefix count must be sane. */
static int
dp_mn_check(const struct dp *dp, const struct dp_mn *mn, const char *what)
{
	char a[INET6_ADDRSTRLEN];

	if (mn->n_hnp > MH_MAX_HNP) {
		log_warnx("dp: %s: %u prefixes", what, mn->n_hnp);
		return -EINVAL;
	}
	if (dp_tunnel_find(dp, &mn->peer) == NULL) {
		log_warnx("dp: %s: no tunnel to %s", what, dp_a(&mn->peer, a));
		return -ENOENT;
	}
	return 0;
}

int
dp_lma_route_add(struct dp *dp, const struct dp_mn *mn)
{
	int err;

	if ((err = dp_mn_check(dp, mn, "lma_route_add")) < 0)
		return err;
	return dp->ops->lma_route_add(dp, mn);
}

int
dp_lma_route_del(struct dp *dp, const struct dp_mn *mn)
{
	if (mn->n_hnp > MH_MAX_HNP)
		return -EINVAL;
	return dp->ops->lma_route_del(dp, mn);
}

int
dp_mag_mn_add(struct dp *dp, const struct dp_mn *mn)
{
	int err;

	if ((err = dp_mn_check(dp, mn, "mag_mn_add")) < 0)
		return err;
	return dp->ops->mag_mn_add(dp, mn);
}

int
dp_mag_mn_del(struct dp *dp, const struct dp_mn *mn)
{
	if (mn->n_hnp > MH_MAX_HNP)
		return -EINVAL;
	return dp->ops->mag_mn_del(dp, mn);
}

int
dp_lma_route_hold(struct dp *dp, const struct dp_mn *mn)
{
	if (mn->n_hnp > MH_MAX_HNP)
		return -EINVAL;
	if (!dp->ops->lma_route_hold)
		return -EOPNOTSUPP;
	return dp->ops->lma_route_hold(dp, mn);
}

void
dp_hold_poll(struct dp *dp)
{
	if (dp->ops && dp->ops->hold_poll)
		dp->ops->hold_poll(dp);
}

int
dp_mag_mn_hold(struct dp *dp, const struct dp_mn *mn)
{
	int err;

	if (!dp->ops->mag_mn_hold || !dp->ops->send)
		return -EOPNOTSUPP;
	if ((err = dp_mn_check(dp, mn, "mag_mn_hold")) < 0)
		return err;
	return dp->ops->mag_mn_hold(dp, mn);
}

int
dp_mag_mn_return(struct dp *dp, const struct dp_mn *mn)
{
	int err;

	if (!dp->ops->mag_mn_return)
		return -EOPNOTSUPP;
	if ((err = dp_mn_check(dp, mn, "mag_mn_return")) < 0)
		return err;
	return dp->ops->mag_mn_return(dp, mn);
}

int
dp_can_hold(const struct dp *dp)
{
	return dp->ops && dp->ops->lma_route_hold && dp->ops->send &&
	       dp->ops->set_hold;
}

void
dp_set_hold(struct dp *dp, dp_hold_fn fn, void *arg)
{
	if (dp->ops && dp->ops->set_hold)
		dp->ops->set_hold(dp, fn, arg);
}

int
dp_send(struct dp *dp, const struct in6_addr *peer, const uint8_t *pkt,
	size_t len)
{
	if (!dp->ops || !dp->ops->send)
		return -EOPNOTSUPP;
	return dp->ops->send(dp, peer, pkt, len);
}
