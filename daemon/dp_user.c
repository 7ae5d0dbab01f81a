/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * User data plane: a TUN device and a raw IPv6 socket for next header 41
 * (RFC 2473 IPv6-in-IPv6).
 *
 *   LMA  each MN prefix is routed to the TUN device; a packet read from
 *        the TUN whose destination lies in an MN prefix is sent, through
 *        the raw socket, to the MAG serving that MN.
 *   MAG  the MN prefix is on-link on the access interface, and a rule
 *        "from PREFIX lookup DP_USER_TABLE" sends what the MN emits to the
 *        TUN (that table's default route); a packet read from the TUN
 *        whose source lies in an MN prefix is sent to the MN's LMA.
 *   both a packet received on the raw socket from a tunnel peer is
 *        checked and written to the TUN, and the kernel forwards it (LMA:
 *        to the CN by the main table; MAG: to the MN by the on-link route).
 *
 * Everything else read from the TUN (MLD, RS, ...) is dropped and counted,
 * never tunnelled.  Routes and rules carry DP_USER_RTPROT so that a
 * crashed instance's leftovers can be found and removed.  The TUN device
 * is not persistent: it disappears, with its routes, when the descriptor
 * is closed.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/fib_rules.h>
#include <linux/if_tun.h>
#include <linux/rtnetlink.h>

#include <liburing.h>

#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/inet6.h>
#include <netlink/route/route.h>
#include <netlink/route/rule.h>

#include "conf.h"
#include "cursor.h"
#include "dp.h"
#include "dp_sys.h"
#include "dp_user.h"
#include "ev.h"
#include "log.h"
#include "neigh.h"

/*
 * Encapsulated packets leave in batches (sendmmsg) and arrive in batches
 * (recvmmsg): a system call per packet is what a user-space data plane
 * costs most.  A slot holds one packet up to a jumbo frame; longer ones
 * arriving from a tunnel are counted as malformed (our MTUs are far
 * below).
 */
#define DPU_BATCH 32
#define DPU_SLOT 9216
/*
 * The TUN device has no batched read or write, so the other half of the
 * per-packet system calls goes through io_uring: up to DPU_BATCH reads
 * (into the send slots) or writes (from the receive slots) per
 * io_uring_enter().  Reads carry RWF_NOWAIT, so one with nothing to
 * read completes at once with -EAGAIN (io_uring would otherwise arm a
 * poll and complete it later, whatever O_NONBLOCK says).
 * Where io_uring is unavailable (or PMIPD_NO_IO_URING is set) plain
 * read() and write() do the same job.
 */
#define DPU_RING_ENTRIES (2 * DPU_BATCH)
#define DPU_RD_MIN 4
#define DPU_SOCKBUF (4 * 1024 * 1024)

/* One MN prefix and the tunnel peer serving it. */
struct dpu_entry {
	struct mh_prefix pfx;
	struct in6_addr peer;
	int ifindex; /* MAG: access interface (on-link route) */
};

struct dpu_table {
	struct dpu_entry *e;
	size_t n;
	size_t cap;
};

struct dpu {
	struct dp *dp;
	int tun_fd;
	int raw_fd;
	int tun_ifindex;
	char tun_name[IF_NAMESIZE];
	struct nl_sock *nl;
	struct dpu_table down; /* LMA: destination prefix -> MAG */
	struct dpu_table up;   /* MAG: source prefix -> LMA */
	struct in6_addr *peers;
	size_t n_peers;
	size_t cap_peers;
	int table_route; /* MAG: default route in DP_USER_TABLE installed */
	dp_hold_fn hold;
	void *hold_arg;
	struct dp_user_stats st;
	/* encapsulated packets waiting for dpu_flush() */
	unsigned ntx;
	uint8_t *txbuf; /* DPU_BATCH slots of DPU_SLOT bytes */
	struct mmsghdr txm[DPU_BATCH];
	struct iovec txv[DPU_BATCH];
	struct sockaddr_in6 txa[DPU_BATCH];
	/* io_uring for the TUN device (uring: set up) */
	int uring;
	struct io_uring ring;
	unsigned rd_batch; /* reads per submission, adapts to the load */
	unsigned nwr;	   /* TUN writes prepared, not yet submitted */
	/* recvmmsg() from the raw socket */
	uint8_t *rxbuf; /* DPU_BATCH slots of DPU_SLOT bytes */
	struct mmsghdr rxm[DPU_BATCH];
	struct iovec rxv[DPU_BATCH];
	struct sockaddr_in6 rxa[DPU_BATCH];
};

static const char *
dpu_ntop(const struct in6_addr *a, char *buf)
{
	return inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN);
}

/* Longest prefix containing a (few entries: linear). */
static struct dpu_entry *
dpu_match(const struct dpu_table *t, const struct in6_addr *a)
{
	struct dpu_entry *best = NULL;

	for (size_t i = 0; i < t->n; i++) {
		if (mh_prefix_has(&t->e[i].pfx, a->s6_addr) &&
		    (best == NULL || t->e[i].pfx.len > best->pfx.len))
			best = &t->e[i];
	}
	return best;
}

static struct dpu_entry *
dpu_find(const struct dpu_table *t, const struct mh_prefix *p)
{
	for (size_t i = 0; i < t->n; i++) {
		if (t->e[i].pfx.len == p->len &&
		    memcmp(&t->e[i].pfx.prefix, &p->prefix,
			   sizeof(p->prefix)) == 0)
			return &t->e[i];
	}
	return NULL;
}

static struct dpu_entry *
dpu_table_add(struct dpu_table *t, const struct mh_prefix *p)
{
	struct dpu_entry *e = dpu_find(t, p);

	if (e != NULL)
		return e;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 8;
		struct dpu_entry *ne = realloc(t->e, cap * sizeof(*ne));
		if (ne == NULL)
			return NULL;
		t->e = ne;
		t->cap = cap;
	}
	e = &t->e[t->n++];
	memset(e, 0, sizeof(*e));
	e->pfx = *p;
	return e;
}

static void
dpu_table_remove(struct dpu_table *t, struct dpu_entry *e)
{
	size_t i = (size_t)(e - t->e);

	t->e[i] = t->e[--t->n];
}

static int
dpu_peer_known(const struct dpu *u, const struct in6_addr *a)
{
	for (size_t i = 0; i < u->n_peers; i++) {
		if (IN6_ARE_ADDR_EQUAL(&u->peers[i], a))
			return 1;
	}
	return 0;
}

/*
 * A sane IPv6 packet: version 6, a 40-byte header, and a payload length
 * (no jumbograms) that matches what was read.
 */
static int
dpu_sane(const uint8_t *pkt, size_t len, struct in6_addr *src,
	 struct in6_addr *dst)
{
	struct rcur c;
	uint32_t vtf;
	uint16_t plen;

	rcur_init(&c, pkt, len);
	rcur_u32(&c, &vtf);
	rcur_u16(&c, &plen);
	rcur_skip(&c, 2); /* next header, hop limit */
	rcur_bytes(&c, src, sizeof(*src));
	rcur_bytes(&c, dst, sizeof(*dst));
	if (c.err != 0)
		return 0;
	return (vtf >> 28) == 6 && plen != 0 && rcur_left(&c) == plen;
}

static void
dpu_count(struct dp_user_count *c, size_t len)
{
	c->packets++;
	c->bytes += len;
}

/* ---- netlink ---- */

static struct nl_addr *
dpu_nladdr(const struct in6_addr *a, unsigned plen)
{
	struct nl_addr *na = nl_addr_build(AF_INET6, a, sizeof(*a));

	if (na != NULL)
		nl_addr_set_prefixlen(na, (int)plen);
	return na;
}

/* Add (replacing) or delete "p dev ifindex table t proto DP_USER_RTPROT". */
static int
dpu_route(struct dpu *u, int add, const struct mh_prefix *p, int ifindex,
	  uint32_t table)
{
	struct rtnl_route *r = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct nl_addr *dst = dpu_nladdr(&p->prefix, p->len);
	int err;

	if (r == NULL || nh == NULL || dst == NULL) {
		err = -ENOMEM;
		goto out;
	}
	rtnl_route_set_family(r, AF_INET6);
	rtnl_route_set_table(r, table);
	rtnl_route_set_protocol(r, DP_USER_RTPROT);
	rtnl_route_set_dst(r, dst);
	rtnl_route_nh_set_ifindex(nh, ifindex);
	rtnl_route_add_nexthop(r, nh);
	nh = NULL; /* owned by r */
	if (add)
		err = dp_nlerr(
		    rtnl_route_add(u->nl, r, NLM_F_CREATE | NLM_F_REPLACE));
	else
		err = dp_nlerr(rtnl_route_delete(u->nl, r, 0));
out:
	if (nh != NULL)
		rtnl_route_nh_free(nh);
	if (dst != NULL)
		nl_addr_put(dst);
	if (r != NULL)
		rtnl_route_put(r);
	return err;
}

/* Add or delete "from p lookup DP_USER_TABLE pref .. proto ..". */
static int
dpu_rule(struct dpu *u, int add, const struct mh_prefix *p)
{
	struct rtnl_rule *r = rtnl_rule_alloc();
	struct nl_addr *src = dpu_nladdr(&p->prefix, p->len);
	int err;

	if (r == NULL || src == NULL) {
		err = -ENOMEM;
		goto out;
	}
	rtnl_rule_set_family(r, AF_INET6);
	rtnl_rule_set_src(r, src);
	rtnl_rule_set_table(r, DP_USER_TABLE);
	rtnl_rule_set_prio(r, DP_USER_RULE_PREF);
	rtnl_rule_set_action(r, FR_ACT_TO_TBL);
	rtnl_rule_set_protocol(r, DP_USER_RTPROT);
	if (add) {
		err = dp_nlerr(rtnl_rule_add(u->nl, r, NLM_F_EXCL));
		if (err == -EEXIST)
			err = 0;
	} else {
		err = dp_nlerr(rtnl_rule_delete(u->nl, r, 0));
	}
out:
	if (src != NULL)
		nl_addr_put(src);
	if (r != NULL)
		rtnl_rule_put(r);
	return err;
}

struct dpu_walk {
	struct dpu *u;
	int err;
	unsigned n;
	int our_local;	 /* one of our rules looks up the local table */
	int other_local; /* so does a rule that is not ours */
	int keep_local;	 /* do not remove our local-table rules */
};

static void
dpu_walk_done(struct dpu_walk *w, int err)
{
	if (err == 0)
		w->n++;
	else if (err != -ENOENT && w->err == 0)
		w->err = err;
}

static void
dpu_stale_route(struct nl_object *obj, void *arg)
{
	struct dpu_walk *w = arg;
	struct rtnl_route *r = (struct rtnl_route *)obj;

	if (rtnl_route_get_family(r) != AF_INET6 ||
	    rtnl_route_get_protocol(r) != DP_USER_RTPROT)
		return;
	dpu_walk_done(w, dp_nlerr(rtnl_route_delete(w->u->nl, r, 0)));
}

static int
dpu_rule_ours(struct rtnl_rule *r)
{
	uint8_t proto = 0;

	return rtnl_rule_get_protocol(r, &proto) == 0 &&
	       proto == DP_USER_RTPROT;
}

/* The rule cache holds every family, whatever it was asked for. */
static int
dpu_rule_v6(struct rtnl_rule *r)
{
	return rtnl_rule_get_family(r) == AF_INET6;
}

static void
dpu_scan_rule(struct nl_object *obj, void *arg)
{
	struct dpu_walk *w = arg;
	struct rtnl_rule *r = (struct rtnl_rule *)obj;

	if (!dpu_rule_v6(r) || rtnl_rule_get_table(r) != RT_TABLE_LOCAL)
		return;
	if (dpu_rule_ours(r))
		w->our_local = 1;
	else
		w->other_local = 1;
}

static void
dpu_stale_rule(struct nl_object *obj, void *arg)
{
	struct dpu_walk *w = arg;
	struct rtnl_rule *r = (struct rtnl_rule *)obj;

	if (!dpu_rule_v6(r) || !dpu_rule_ours(r) ||
	    (w->keep_local && rtnl_rule_get_table(r) == RT_TABLE_LOCAL))
		return;
	dpu_walk_done(w, dp_nlerr(rtnl_rule_delete(w->u->nl, r, 0)));
}

/*
 * The kernel backend (seg6 mode) moves the "lookup local" rule behind
 * its decapsulation rule and marks the moved one as ours.  Before that
 * one goes, put the kernel's own back (preference 0), or local delivery
 * would stop in this namespace.
 */
static void
dpu_restore_local_rule(struct dpu_walk *w)
{
	struct rtnl_rule *r;
	int err;

	if (!w->our_local || w->other_local)
		return;
	w->keep_local = 1;
	if ((r = rtnl_rule_alloc()) == NULL)
		return;
	rtnl_rule_set_family(r, AF_INET6);
	rtnl_rule_set_table(r, RT_TABLE_LOCAL);
	rtnl_rule_set_prio(r, 0);
	rtnl_rule_set_action(r, FR_ACT_TO_TBL);
	rtnl_rule_set_protocol(r, RTPROT_KERNEL);
	err = dp_nlerr(rtnl_rule_add(w->u->nl, r, NLM_F_EXCL));
	rtnl_rule_put(r);
	if (err == 0 || err == -EEXIST)
		w->keep_local = 0;
	else if (w->err == 0)
		w->err = err;
}

/*
 * Remove every IPv6 route and rule marked DP_USER_RTPROT in this network
 * namespace (the kernel backend's too: they share the mark) and, unless
 * we are open, a left-over TUN device of our name.
 */
static int
dpu_cleanup(struct dpu *u, int own_tun)
{
	struct nl_cache *cache = NULL;
	struct rtnl_link *link = NULL;
	struct dpu_walk w = {.u = u};
	int err;

	err = dp_nlerr(rtnl_rule_alloc_cache(u->nl, AF_INET6, &cache));
	if (err == 0) {
		nl_cache_foreach(cache, dpu_scan_rule, &w);
		dpu_restore_local_rule(&w);
		nl_cache_foreach(cache, dpu_stale_rule, &w);
		nl_cache_free(cache);
		cache = NULL;
	} else {
		w.err = err;
	}
	err = dp_nlerr(rtnl_route_alloc_cache(u->nl, AF_INET6, 0, &cache));
	if (err == 0) {
		nl_cache_foreach(cache, dpu_stale_route, &w);
		nl_cache_free(cache);
	} else if (w.err == 0) {
		w.err = err;
	}
	if (!own_tun &&
	    rtnl_link_get_kernel(u->nl, 0, u->tun_name, &link) == 0) {
		err = dp_nlerr(rtnl_link_delete(u->nl, link));
		rtnl_link_put(link);
		if (err != 0 && w.err == 0)
			w.err = err;
		else if (err == 0)
			log_info("dp user: removed stale %s", u->tun_name);
	}
	if (w.n > 0)
		log_info("dp user: removed %u stale routes and rules", w.n);
	if (w.err != 0) {
		errno = -w.err;
		log_warn("dp user: stale cleanup");
	}
	return w.err;
}

/* ---- data path ---- */

/* Send the queued encapsulated packets; the last packet's error, if any. */
static int
dpu_flush(struct dpu *u)
{
	unsigned off = 0;
	int err = 0;

	while (off < u->ntx) {
		int n = sendmmsg(u->raw_fd, u->txm + off, u->ntx - off, 0);
		if (n <= 0) {
			/* the packet at off failed: count it, go on */
			err = n < 0 ? -errno : -EIO;
			u->st.drop_error++;
			if (log_get_level() >= LOG_LVL_DEBUG) {
				char a[INET6_ADDRSTRLEN];
				log_debug("dp user: send %zu bytes to %s: %s",
					  u->txv[off].iov_len,
					  dpu_ntop(&u->txa[off].sin6_addr, a),
					  strerror(-err));
			}
			off++;
			continue;
		}
		for (unsigned k = off; k < off + (unsigned)n; k++)
			dpu_count(&u->st.encap_tx, u->txv[k].iov_len);
		off += (unsigned)n;
		err = 0;
	}
	u->ntx = 0;
	return err;
}

static uint8_t *
dpu_txslot(struct dpu *u)
{
	return u->txbuf + (size_t)u->ntx * DPU_SLOT;
}

/* Queue pkt for peer (no copy if it was read into the next slot). */
static int
dpu_xmit(struct dpu *u, const struct in6_addr *peer, const uint8_t *pkt,
	 size_t len)
{
	uint8_t *slot = dpu_txslot(u);

	if (len > DPU_SLOT) {
		u->st.drop_error++;
		return -EMSGSIZE;
	}
	if (pkt != slot)
		memcpy(slot, pkt, len);
	u->txa[u->ntx].sin6_addr = *peer;
	u->txv[u->ntx].iov_len = len;
	if (++u->ntx == DPU_BATCH)
		return dpu_flush(u);
	return 0;
}

static int
dpu_noise_addr(const struct in6_addr *a)
{
	return IN6_IS_ADDR_MULTICAST(a) || IN6_IS_ADDR_LINKLOCAL(a) ||
	       IN6_IS_ADDR_UNSPECIFIED(a) || IN6_IS_ADDR_LOOPBACK(a);
}

/* A packet the kernel routed into the TUN device. */
static void
dpu_from_tun(struct dpu *u, const uint8_t *pkt, size_t len)
{
	struct in6_addr src, dst;
	struct dpu_entry *e;

	dpu_count(&u->st.tun_rx, len);
	if (!dpu_sane(pkt, len, &src, &dst)) {
		u->st.drop_malformed++;
		return;
	}
	if (dpu_noise_addr(&src) || dpu_noise_addr(&dst)) {
		u->st.drop_noise++;
		return;
	}
	/* Downlink at the LMA (RFC 5213 section 5.6.2). */
	if ((e = dpu_match(&u->down, &dst)) != NULL) {
		if (u->hold != NULL &&
		    u->hold(u->hold_arg, &e->peer, pkt, len, 0)) {
			u->st.held++;
			return;
		}
		dpu_xmit(u, &e->peer, pkt, len);
		return;
	}
	/* Reverse tunnelling at the MAG (RFC 5213 section 6.10.5). */
	if ((e = dpu_match(&u->up, &src)) != NULL) {
		dpu_xmit(u, &e->peer, pkt, len);
		return;
	}
	if (u->dp->conf->role == ROLE_MAG)
		u->st.drop_noise++;
	else
		u->st.drop_no_route++;
}

/*
 * A decapsulated packet from peer.  An MN's packets are accepted only
 * from the tunnel that serves it: at the LMA the inner source must lie in
 * a prefix bound to that MAG, at the MAG the inner destination in a
 * prefix whose LMA is that peer.
 */
static void
dpu_from_tunnel(struct dpu *u, const struct in6_addr *peer, const uint8_t *pkt,
		size_t len)
{
	struct in6_addr src, dst;
	const struct dpu_entry *e;

	if (!dpu_peer_known(u, peer)) {
		u->st.drop_unknown_peer++;
		return;
	}
	if (!dpu_sane(pkt, len, &src, &dst)) {
		u->st.drop_malformed++;
		return;
	}
	if (u->dp->conf->role == ROLE_LMA) {
		e = dpu_match(&u->down, &src);
		/* A MAG returning a packet for an MN that left it: only
		 * into a hold (the MN is between MAGs), never forwarded. */
		if (e == NULL && dpu_match(&u->down, &dst) != NULL) {
			if (u->hold != NULL && u->hold(u->hold_arg, peer, pkt,
						       len, DP_HOLD_RETURNED)) {
				dpu_count(&u->st.decap_rx, len);
				u->st.held++;
				return;
			}
			u->st.drop_no_binding++;
			return;
		}
	} else {
		e = dpu_match(&u->up, &dst);
	}
	if (e == NULL || !IN6_ARE_ADDR_EQUAL(&e->peer, peer)) {
		u->st.drop_no_binding++;
		return;
	}
	dpu_count(&u->st.decap_rx, len);
	if (u->uring) {
		/* pkt is a receive slot, untouched until dpu_tun_wflush */
		struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
		if (sqe != NULL) {
			io_uring_prep_write(sqe, u->tun_fd, pkt, (unsigned)len,
					    0);
			sqe->user_data = len;
			u->nwr++;
			return;
		}
	}
	if (write(u->tun_fd, pkt, len) < 0) {
		u->st.drop_error++;
		if (log_get_level() >= LOG_LVL_DEBUG)
			log_debug("dp user: write %s: %s", u->tun_name,
				  strerror(errno));
		return;
	}
	dpu_count(&u->st.tun_tx, len);
}

/* Submit the prepared TUN writes and collect their results. */
static void
dpu_tun_wflush(struct dpu *u)
{
	struct io_uring_cqe *cqe;
	unsigned head, seen = 0;
	int r;

	if (u->nwr == 0)
		return;
	r = io_uring_submit_and_wait(&u->ring, u->nwr);
	if (r < 0)
		log_warnx("dp user: io_uring submit: %s", strerror(-r));
	io_uring_for_each_cqe(&u->ring, head, cqe)
	{
		if (cqe->res < 0) {
			u->st.drop_error++;
			if (log_get_level() >= LOG_LVL_DEBUG)
				log_debug("dp user: write %s: %s", u->tun_name,
					  strerror(-cqe->res));
		} else {
			dpu_count(&u->st.tun_tx, (size_t)cqe->res);
		}
		seen++;
	}
	io_uring_cq_advance(&u->ring, seen);
	if (seen < u->nwr)
		u->st.drop_error += u->nwr - seen; /* not submitted */
	u->nwr = 0;
}

/*
 * TUN reads through io_uring: n reads into send slots 0..n-1, one
 * system call; each completes with a packet or -EAGAIN.  Returns the
 * number of packets, handled in slot order (the device's order).
 */
static unsigned
dpu_tun_read_ring(struct dpu *u, unsigned n)
{
	struct io_uring_cqe *cqe;
	int res[DPU_BATCH];
	unsigned head, seen = 0, got = 0, prepped = 0;

	for (unsigned k = 0; k < n && k < DPU_BATCH; k++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
		if (sqe == NULL)
			break;
		io_uring_prep_read(sqe, u->tun_fd,
				   u->txbuf + (size_t)k * DPU_SLOT, DPU_SLOT,
				   0);
		sqe->rw_flags = RWF_NOWAIT; /* -EAGAIN, never a wait */
		sqe->user_data = k;
		res[k] = -EAGAIN;
		prepped++;
	}
	int r = io_uring_submit_and_wait(&u->ring, prepped);
	if (r < 0 && r != -EINTR)
		log_warnx("dp user: io_uring submit: %s", strerror(-r));
	io_uring_for_each_cqe(&u->ring, head, cqe)
	{
		if (cqe->user_data < prepped)
			res[cqe->user_data] = cqe->res;
		seen++;
	}
	io_uring_cq_advance(&u->ring, seen);
	for (unsigned k = 0; k < prepped; k++) {
		if (res[k] < 0) {
			if (res[k] != -EAGAIN && res[k] != -EINTR)
				log_warnx("dp user: read %s: %s", u->tun_name,
					  strerror(-res[k]));
			continue;
		}
		got++;
		dpu_from_tun(u, u->txbuf + (size_t)k * DPU_SLOT,
			     (size_t)res[k]);
	}
	return got;
}

static void
dpu_tun_cb(struct ev *ev, int fd, unsigned events, void *arg)
{
	struct dpu *u = arg;

	if (u->uring) {
		unsigned total = 0;
		dpu_flush(u); /* the reads land in the send slots */
		while (total < DP_USER_BURST) {
			unsigned n = u->rd_batch, got = dpu_tun_read_ring(u, n);
			total += got;
			dpu_flush(u);
			/* As many as the last round brought, and then some. */
			if (got == n) {
				u->rd_batch =
				    n * 2 > DPU_BATCH ? DPU_BATCH : n * 2;
				continue;
			}
			u->rd_batch =
			    got + 1 < DPU_RD_MIN ? DPU_RD_MIN : got + 1;
			break;
		}
		return;
	}
	for (int i = 0; i < DP_USER_BURST; i++) {
		/* Read into the next send slot: no copy when it goes out. */
		ssize_t n = read(fd, dpu_txslot(u), DPU_SLOT);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				log_warn("dp user: read %s", u->tun_name);
			break;
		}
		dpu_from_tun(u, dpu_txslot(u), (size_t)n);
	}
	dpu_flush(u);
}

static void
dpu_raw_cb(struct ev *ev, int fd, unsigned events, void *arg)
{
	struct dpu *u = arg;

	for (int got = 0; got < DP_USER_BURST;) {
		for (unsigned k = 0; k < DPU_BATCH; k++) {
			u->rxm[k].msg_hdr.msg_namelen = sizeof(u->rxa[k]);
			u->rxm[k].msg_hdr.msg_flags = 0;
		}
		int n = recvmmsg(fd, u->rxm, DPU_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0) {
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				log_warn("dp user: recv");
			return;
		}
		for (int k = 0; k < n; k++) {
			const struct msghdr *h = &u->rxm[k].msg_hdr;
			if (h->msg_namelen < sizeof(u->rxa[k]) ||
			    u->rxa[k].sin6_family != AF_INET6 ||
			    (h->msg_flags & MSG_TRUNC)) {
				u->st.drop_malformed++;
				continue;
			}
			dpu_from_tunnel(u, &u->rxa[k].sin6_addr,
					u->rxv[k].iov_base, u->rxm[k].msg_len);
		}
		dpu_tun_wflush(u); /* before recvmmsg reuses the slots */
		got += n;
		if (n < DPU_BATCH)
			return;
	}
}

/* ---- set-up ---- */

static int
dpu_tun_open(struct dpu *u)
{
	int fd = dp_tun_create("dp user", u->tun_name, &u->tun_ifindex);

	if (fd < 0)
		return fd;
	u->tun_fd = fd;
	return 0;
}

/*
 * MTU, queue length, no link-local address (so the kernel sends no MLD
 * reports or router solicitations into the tunnels), then up.  The
 * kernel applies IFLA_AF_SPEC after the flags within one request, so the
 * address generation mode goes first, in a request of its own.
 */
static int
dpu_tun_config(struct dpu *u, unsigned mtu)
{
	return dp_link_setup("dp user", u->nl, u->tun_ifindex, u->tun_name, mtu,
			     DP_USER_TXQLEN);
}

static int
dpu_raw_open(struct dpu *u, const struct in6_addr *local)
{
	int fd = dp_raw41_open("dp user", local, DPU_SOCKBUF, DPU_SOCKBUF);

	if (fd < 0)
		return fd;
	u->raw_fd = fd;
	return 0;
}

static void dpu_close(struct dp *dp);

static int
dpu_open(struct dp *dp)
{
	const struct conf *c = dp->conf;
	unsigned mtu = c->mtu ? c->mtu : 1460;
	struct dpu *u;
	int err;

	if (dp->ev == NULL) {
		log_warnx("dp user: needs an event loop");
		return -EINVAL;
	}
	if ((u = calloc(1, sizeof(*u))) == NULL)
		return -ENOMEM;
	u->dp = dp;
	u->tun_fd = -1;
	u->raw_fd = -1;
	u->txbuf = malloc((size_t)DPU_BATCH * DPU_SLOT);
	u->rxbuf = malloc((size_t)DPU_BATCH * DPU_SLOT);
	if (u->txbuf == NULL || u->rxbuf == NULL) {
		free(u->txbuf);
		free(u->rxbuf);
		free(u);
		return -ENOMEM;
	}
	for (unsigned k = 0; k < DPU_BATCH; k++) {
		u->txa[k].sin6_family = AF_INET6;
		u->txv[k].iov_base = u->txbuf + (size_t)k * DPU_SLOT;
		u->txm[k].msg_hdr.msg_name = &u->txa[k];
		u->txm[k].msg_hdr.msg_namelen = sizeof(u->txa[k]);
		u->txm[k].msg_hdr.msg_iov = &u->txv[k];
		u->txm[k].msg_hdr.msg_iovlen = 1;
		u->rxv[k].iov_base = u->rxbuf + (size_t)k * DPU_SLOT;
		u->rxv[k].iov_len = DPU_SLOT;
		u->rxm[k].msg_hdr.msg_name = &u->rxa[k];
		u->rxm[k].msg_hdr.msg_iov = &u->rxv[k];
		u->rxm[k].msg_hdr.msg_iovlen = 1;
	}
	snprintf(u->tun_name, sizeof(u->tun_name), "%s", DP_USER_IFNAME);
	dp->priv = u;

	if ((u->nl = nl_socket_alloc()) == NULL) {
		err = -ENOMEM;
		goto fail;
	}
	if ((err = dp_nlerr(nl_connect(u->nl, NETLINK_ROUTE))) != 0) {
		errno = -err;
		log_warn("dp user: netlink");
		goto fail;
	}
	/* A crashed instance may have left rules and a persistent TUN. */
	(void)dpu_cleanup(u, 0);
	if ((err = dpu_tun_open(u)) != 0 || (err = dpu_tun_config(u, mtu)) != 0)
		goto fail;
	if ((err = dpu_raw_open(u, &c->addr)) != 0)
		goto fail;
	u->rd_batch = DPU_RD_MIN;
	if (getenv("PMIPD_NO_IO_URING") == NULL) {
		int r = io_uring_queue_init(DPU_RING_ENTRIES, &u->ring, 0);
		if (r == 0)
			u->uring = 1;
		else
			log_info("dp user: no io_uring (%s): read() and "
				 "write() on %s",
				 strerror(-r), u->tun_name);
	}
	if ((err = ev_fd_add(dp->ev, u->tun_fd, EV_READ, dpu_tun_cb, u)) != 0)
		goto fail;
	if ((err = ev_fd_add(dp->ev, u->raw_fd, EV_READ, dpu_raw_cb, u)) != 0) {
		ev_fd_del(dp->ev, u->tun_fd);
		goto fail;
	}
	log_info("dp user: %s (mtu %u, %s) and raw socket ready", u->tun_name,
		 mtu, u->uring ? "io_uring" : "read/write");
	return 0;
fail:
	if (u->uring)
		io_uring_queue_exit(&u->ring);
	if (u->raw_fd >= 0)
		close(u->raw_fd);
	if (u->tun_fd >= 0)
		close(u->tun_fd);
	if (u->nl != NULL)
		nl_socket_free(u->nl);
	free(u->txbuf);
	free(u->rxbuf);
	free(u);
	dp->priv = NULL;
	return err;
}

static void
dpu_close(struct dp *dp)
{
	struct dpu *u = dp->priv;

	if (u == NULL)
		return;
	ev_fd_del(dp->ev, u->tun_fd);
	ev_fd_del(dp->ev, u->raw_fd);
	/* Rules and on-link routes outlive the TUN device: remove them. */
	for (size_t i = 0; i < u->up.n; i++) {
		(void)dpu_rule(u, 0, &u->up.e[i].pfx);
		(void)dpu_route(u, 0, &u->up.e[i].pfx, u->up.e[i].ifindex,
				RT_TABLE_MAIN);
	}
	for (size_t i = 0; i < u->down.n; i++)
		(void)dpu_route(u, 0, &u->down.e[i].pfx, u->tun_ifindex,
				RT_TABLE_MAIN);
	if (u->table_route) {
		struct mh_prefix any = {.len = 0};
		(void)dpu_route(u, 0, &any, u->tun_ifindex, DP_USER_TABLE);
	}
	if (u->uring)
		io_uring_queue_exit(&u->ring);
	close(u->raw_fd);
	close(u->tun_fd); /* the device goes with its last descriptor */
	nl_socket_free(u->nl);
	free(u->down.e);
	free(u->up.e);
	free(u->peers);
	free(u->txbuf);
	free(u->rxbuf);
	free(u);
	dp->priv = NULL;
}

static int
dpu_cleanup_stale(struct dp *dp)
{
	struct dpu tmp, *u;
	int err;

	if ((u = dp->priv) != NULL) {
		/* Ours go too; the TUN device and the peer set stay. */
		err = dpu_cleanup(u, 1);
		u->down.n = 0;
		u->up.n = 0;
		u->table_route = 0;
		return err;
	}
	/* Not open: a short-lived netlink socket will do. */
	memset(&tmp, 0, sizeof(tmp));
	tmp.dp = dp;
	snprintf(tmp.tun_name, sizeof(tmp.tun_name), "%s", DP_USER_IFNAME);
	if ((tmp.nl = nl_socket_alloc()) == NULL)
		return -ENOMEM;
	err = dp_nlerr(nl_connect(tmp.nl, NETLINK_ROUTE));
	if (err == 0)
		err = dpu_cleanup(&tmp, 0);
	nl_socket_free(tmp.nl);
	return err;
}

static int
dpu_tunnel_add(struct dp *dp, const struct in6_addr *peer)
{
	struct dpu *u = dp->priv;

	if (dpu_peer_known(u, peer))
		return 0;
	if (u->n_peers == u->cap_peers) {
		size_t cap = u->cap_peers ? u->cap_peers * 2 : 8;
		struct in6_addr *np = realloc(u->peers, cap * sizeof(*np));
		if (np == NULL)
			return -ENOMEM;
		u->peers = np;
		u->cap_peers = cap;
	}
	u->peers[u->n_peers++] = *peer;
	return 0;
}

static int
dpu_tunnel_del(struct dp *dp, const struct in6_addr *peer)
{
	struct dpu *u = dp->priv;

	for (size_t i = 0; i < u->n_peers; i++) {
		if (IN6_ARE_ADDR_EQUAL(&u->peers[i], peer)) {
			u->peers[i] = u->peers[--u->n_peers];
			return 0;
		}
	}
	return -ENOENT;
}

static int
dpu_check_peer(struct dpu *u, const struct in6_addr *peer, const char *op)
{
	char a[INET6_ADDRSTRLEN];

	if (dpu_peer_known(u, peer))
		return 0;
	log_warnx("dp user: %s: no tunnel to %s", op, dpu_ntop(peer, a));
	return -ENOENT;
}

static void
dpu_log_prefix_err(const char *op, const struct mh_prefix *p, int err)
{
	char a[INET6_ADDRSTRLEN];

	errno = -err;
	log_warn("dp user: %s %s/%u", op, dpu_ntop(&p->prefix, a), p->len);
}

/* Replaces the peer of prefixes already routed (handover). */
/* mn's prefixes: downlink entries for mn->peer, routed into the TUN. */
static int
dpu_down_routes(struct dpu *u, const struct dp_mn *mn, const char *what)
{
	for (unsigned i = 0; i < mn->n_hnp; i++) {
		struct dpu_entry *e = dpu_table_add(&u->down, &mn->hnp[i]);
		int err;
		if (e == NULL)
			return -ENOMEM;
		e->peer = mn->peer;
		err =
		    dpu_route(u, 1, &mn->hnp[i], u->tun_ifindex, RT_TABLE_MAIN);
		if (err != 0) {
			dpu_log_prefix_err(what, &mn->hnp[i], err);
			dpu_table_remove(&u->down, e);
			return err;
		}
	}
	return 0;
}

static int
dpu_lma_route_add(struct dp *dp, const struct dp_mn *mn)
{
	struct dpu *u = dp->priv;
	int err;

	if ((err = dpu_check_peer(u, &mn->peer, "lma_route_add")) != 0)
		return err;
	return dpu_down_routes(u, mn, "route");
}

/*
 * Handover buffering: the prefixes stay routed to the TUN device (or are
 * routed there again), with no need for a tunnel to mn->peer; the hold
 * hook sees every packet read for them.
 */
static int
dpu_lma_route_hold(struct dp *dp, const struct dp_mn *mn)
{
	return dpu_down_routes(dp->priv, mn, "hold route");
}

/* Packets waiting on the TUN device (held ones among them), now. */
static void
dpu_hold_poll(struct dp *dp)
{
	struct dpu *u = dp->priv;

	dpu_tun_cb(dp->ev, u->tun_fd, 0, u);
}

static void
dpu_set_hold(struct dp *dp, dp_hold_fn fn, void *arg)
{
	dp_user_set_hold(dp, fn, arg);
}

static int
dpu_send(struct dp *dp, const struct in6_addr *peer, const uint8_t *pkt,
	 size_t len)
{
	return dp_user_send(dp, peer, pkt, len);
}

static int
dpu_lma_route_del(struct dp *dp, const struct dp_mn *mn)
{
	struct dpu *u = dp->priv;
	int ret = 0;

	for (unsigned i = 0; i < mn->n_hnp; i++) {
		struct dpu_entry *e = dpu_find(&u->down, &mn->hnp[i]);
		if (e == NULL)
			continue;
		dpu_table_remove(&u->down, e);
		int err =
		    dpu_route(u, 0, &mn->hnp[i], u->tun_ifindex, RT_TABLE_MAIN);
		if (err != 0 && err != -ENOENT) {
			dpu_log_prefix_err("unroute", &mn->hnp[i], err);
			if (ret == 0)
				ret = err;
		}
	}
	return ret;
}

/* The default route of DP_USER_TABLE, installed with the first MN. */
static int
dpu_table_route(struct dpu *u)
{
	struct mh_prefix any = {.len = 0};
	int err;

	if (u->table_route)
		return 0;
	err = dpu_route(u, 1, &any, u->tun_ifindex, DP_USER_TABLE);
	if (err != 0) {
		errno = -err;
		log_warn("dp user: default route in table %u", DP_USER_TABLE);
		return err;
	}
	u->table_route = 1;
	return 0;
}

static int dpu_mag_mn_del(struct dp *dp, const struct dp_mn *mn);

static int
dpu_mag_mn_add(struct dp *dp, const struct dp_mn *mn)
{
	struct dpu *u = dp->priv;
	int err;

	if ((err = dpu_check_peer(u, &mn->peer, "mag_mn_add")) != 0)
		return err;
	if ((err = dpu_table_route(u)) != 0)
		return err;
	for (unsigned i = 0; i < mn->n_hnp; i++) {
		const struct mh_prefix *p = &mn->hnp[i];
		struct dpu_entry *e = dpu_table_add(&u->up, p);
		if (e == NULL) {
			err = -ENOMEM;
			goto fail;
		}
		e->peer = mn->peer;
		e->ifindex = mn->access_ifindex;
		if ((err = dpu_route(u, 1, p, mn->access_ifindex,
				     RT_TABLE_MAIN)) != 0 ||
		    (err = dpu_rule(u, 1, p)) != 0) {
			dpu_log_prefix_err("on-link route and rule", p, err);
			goto fail;
		}
	}
	/* Stale INCOMPLETE entries would hold the downlink for a second. */
	(void)neigh_flush_dev(mn->access_ifindex);
	return 0;
fail:
	dpu_mag_mn_del(dp, mn);
	return err;
}

static int
dpu_mag_mn_del(struct dp *dp, const struct dp_mn *mn)
{
	struct dpu *u = dp->priv;
	int ret = 0;

	for (unsigned i = 0; i < mn->n_hnp; i++) {
		const struct mh_prefix *p = &mn->hnp[i];
		struct dpu_entry *e = dpu_find(&u->up, p);
		int err;
		if (e == NULL)
			continue;
		err = dpu_rule(u, 0, p);
		if (err != 0 && err != -ENOENT) {
			dpu_log_prefix_err("rule", p, err);
			if (ret == 0)
				ret = err;
		}
		err = dpu_route(u, 0, p, e->ifindex, RT_TABLE_MAIN);
		if (err != 0 && err != -ENOENT) {
			dpu_log_prefix_err("on-link route", p, err);
			if (ret == 0)
				ret = err;
		}
		dpu_table_remove(&u->up, e);
	}
	return ret;
}

const struct dp_ops dp_user_ops = {
    .name = "user",
    .open = dpu_open,
    .close = dpu_close,
    .cleanup_stale = dpu_cleanup_stale,
    .tunnel_add = dpu_tunnel_add,
    .tunnel_del = dpu_tunnel_del,
    .lma_route_add = dpu_lma_route_add,
    .lma_route_del = dpu_lma_route_del,
    .mag_mn_add = dpu_mag_mn_add,
    .mag_mn_del = dpu_mag_mn_del,
    .lma_route_hold = dpu_lma_route_hold,
    .set_hold = dpu_set_hold,
    .hold_poll = dpu_hold_poll,
    .send = dpu_send,
};

void
dp_user_stats(const struct dp *dp, struct dp_user_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (dp->ops == &dp_user_ops && dp->priv != NULL)
		*out = ((const struct dpu *)dp->priv)->st;
}

void
dp_user_set_hold(struct dp *dp, dp_hold_fn fn, void *arg)
{
	struct dpu *u = dp->priv;

	if (dp->ops != &dp_user_ops || u == NULL)
		return;
	u->hold = fn;
	u->hold_arg = arg;
}

int
dp_user_send(struct dp *dp, const struct in6_addr *peer, const uint8_t *pkt,
	     size_t len)
{
	struct dpu *u = dp->priv;
	struct in6_addr src, dst;
	int err;

	if (dp->ops != &dp_user_ops || u == NULL)
		return -EINVAL;
	if (!dpu_peer_known(u, peer))
		return -ENOENT;
	if (!dpu_sane(pkt, len, &src, &dst))
		return -EINVAL;
	/* Behind anything queued, and out now: the caller keeps order. */
	if ((err = dpu_xmit(u, peer, pkt, len)) < 0)
		return err;
	return dpu_flush(u);
}
