/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Mobile Access Gateway role logic (RFC 5213 section 6).  See mag.h for
 * the timers and bul.h for the per-entry state machine; docs/mag.md has
 * the whole picture.
 *
 * PBU exchanges (RFC 5213 sections 6.9.1 and 6.9.4): every transmission,
 * retransmissions included, carries a new sequence number and a fresh
 * Timestamp, so the LMA never sees a replayed timestamp; a PBA is
 * accepted when it answers any transmission of the exchange in progress
 * (sequence numbers seq_first..seq), comes from the entry's LMA and
 * names the entry's MN.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/neighbour.h>
#include <net/if.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "log.h"
#include "mag.h"
#include "nd.h"

static const struct in6_addr mag_all_nodes = {
    .s6_addr = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};

static const char *
mag_a(const struct in6_addr *a, char *buf)
{
	return inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN);
}

static uint64_t
mag_wallclock(void *arg)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return mh_timestamp_from_timespec(&ts);
}

static int
mag_nosend_mh(void *arg, const struct in6_addr *dst, const uint8_t *buf,
	      size_t len)
{
	return -ENOTCONN;
}

static int
mag_nosend_nd(void *arg, int ifindex, const struct in6_addr *dst,
	      const uint8_t *buf, size_t len)
{
	return -ENOTCONN;
}

const struct mag_access *
mag_access_by_ifindex(const struct mag *m, int ifindex)
{
	if (ifindex <= 0)
		return NULL;
	for (unsigned i = 0; i < m->n_access; i++)
		if (m->access[i].ifindex == ifindex)
			return &m->access[i];
	return NULL;
}

static void mag_frame_forget(struct mag *m, const struct bul *b);

/* The MN's LMA: its profile's, else default_lma, else none. */
static int
mag_lma_for(const struct mag *m, const struct conf_mn *mn, struct in6_addr *out)
{
	if (!IN6_IS_ADDR_UNSPECIFIED(&mn->lma)) {
		*out = mn->lma;
		return 0;
	}
	if (m->conf->has_default_lma &&
	    !IN6_IS_ADDR_UNSPECIFIED(&m->conf->default_lma)) {
		*out = m->conf->default_lma;
		return 0;
	}
	return -ENOENT;
}

/* A configured LMA (for Heartbeats, RFC 5847 section 5). */
static int
mag_is_lma(const struct mag *m, const struct in6_addr *a)
{
	const struct conf *c = m->conf;

	if (c->has_default_lma && memcmp(&c->default_lma, a, sizeof(*a)) == 0)
		return 1;
	for (unsigned i = 0; i < c->n_mn; i++)
		if (memcmp(&c->mn[i].lma, a, sizeof(*a)) == 0)
			return 1;
	return 0;
}

/* Requested lifetime in 4 s units (RFC 6275 6.1.7), at least 1. */
static uint16_t
mag_lifetime_units(const struct mag *m)
{
	unsigned s = m->conf->lifetime_s;
	unsigned u = (s + 3) / 4;

	if (u < 1)
		u = 1;
	if (u > 0xffff)
		u = 0xffff;
	return (uint16_t)u;
}

static ev_time_t
mag_initial_rtx(const struct mag *m)
{
	unsigned ms = m->conf->InitialBindackTimeoutFirstReg;

	return EV_MS(ms ? ms : 1500);
}

static ev_time_t
mag_max_rtx(const struct mag *m)
{
	unsigned ms = m->conf->MaxBindackTimeout;
	ev_time_t max = EV_MS(ms ? ms : 32000);

	return max < mag_initial_rtx(m) ? mag_initial_rtx(m) : max;
}

static void
mag_cancel_timers(struct mag *m, struct bul *b)
{
	ev_timer_cancel(m->ev, &b->rtx_timer);
	ev_timer_cancel(m->ev, &b->life_timer);
	ev_timer_cancel(m->ev, &b->ra_timer);
	ev_timer_cancel(m->ev, &b->probe_timer);
}

static void mag_dp_remove(struct mag *m, struct bul *b);

static void
mag_delete(struct mag *m, struct bul *b, const char *why)
{
	log_info("bul %s: deleted (%s)", b->nai, why);
	mag_frame_forget(m, b);
	mag_cancel_timers(m, b);
	mag_dp_remove(m, b); /* a return route, if any */
	hbuf_forget(&m->hb, hbuf_find(&m->hb, b->id));
	bul_delete(&m->bul, b);
}

/* ---- data plane ---------------------------------------------------- */

static void
mag_dp_mn(const struct bul *b, struct dp_mn *mn)
{
	memset(mn, 0, sizeof(*mn));
	mn->n_hnp = b->n_hnp;
	memcpy(mn->hnp, b->hnp, sizeof(mn->hnp));
	mn->peer = b->lma;
	mn->access_ifindex = b->ifindex;
	memcpy(mn->lladdr, b->lladdr, sizeof(mn->lladdr));
	mn->id = b->id;
}

/*
 * RFC 5213 section 6.10: the tunnel to the LMA (shared, one reference per
 * entry), the on-link route to the MN and the reverse tunnel by source.
 */
static int
mag_dp_install(struct mag *m, struct bul *b)
{
	struct dp_mn mn;
	int err;

	if (!m->dp || b->dp_installed)
		return 0;
	if (!b->tunnel_ref) {
		if ((err = dp_tunnel_get(m->dp, &b->lma)) < 0) {
			m->stats.dp_err++;
			return err;
		}
		b->tunnel_ref = 1;
	}
	mag_dp_mn(b, &mn);
	if ((err = dp_mag_mn_add(m->dp, &mn)) < 0) {
		m->stats.dp_err++;
		return err;
	}
	b->dp_installed = 1;
	b->dp_returning = 0; /* the on-link route replaced it */
	return 0;
}

static void
mag_dp_remove(struct mag *m, struct bul *b)
{
	struct dp_mn mn;

	if (!m->dp)
		return;
	if (b->dp_installed || b->dp_returning) {
		mag_dp_mn(b, &mn);
		if (b->dp_returning)
			mn.access_ifindex = 0; /* the route into the tunnel */
		if (dp_mag_mn_del(m->dp, &mn) < 0)
			m->stats.dp_err++;
		b->dp_installed = 0;
		b->dp_returning = 0;
	}
	if (b->tunnel_ref) {
		if (dp_tunnel_put(m->dp, &b->lma) < 0)
			m->stats.dp_err++;
		b->tunnel_ref = 0;
	}
}

/*
 * return_to_lma: instead of dropping what still arrives for an MN that
 * left, send it back through the tunnel to the LMA, which holds it while
 * the binding is DEREG (handover buffering), until our de-registration
 * is acknowledged (mag_delete).  Returns 1 if the route is in place.
 * No loop: the LMA routes the prefix to us only while the binding is
 * ACTIVE via us, i.e. until it has processed our de-registration.
 */
/*
 * The hold point took a packet.  Normally the MN has been detached and
 * its queue holds; but with return_to_lma the kernel moves the MN's
 * packets here by itself the moment the access link loses carrier
 * (fallback route, see dp_kernel.c), before we have processed the
 * carrier event: the queue then starts here.
 */
static int
mag_hold_hook(void *arg, const struct in6_addr *peer, const uint8_t *pkt,
	      size_t len, unsigned flags)
{
	struct mag *m = arg;
	(void)peer;
	(void)flags;
	if (hbuf_offer(&m->hb, pkt, len))
		return 1;
	if (len < 40 || !m->conf->return_to_lma)
		return 0;
	for (struct bul *b = bul_first(&m->bul); b; b = bul_next(b)) {
		if (!b->dp_installed ||
		    (b->state != BUL_REGISTERED && b->state != BUL_REFRESHING))
			continue;
		for (unsigned i = 0; i < b->n_hnp; i++) {
			if (!mh_prefix_has(&b->hnp[i], pkt + 24))
				continue;
			if (!hbuf_hold(&m->hb, b->nai, b->id, b->hnp, b->n_hnp,
				       b))
				return 0;
			return hbuf_offer(&m->hb, pkt, len);
		}
	}
	return 0;
}

static int
mag_dp_return(struct mag *m, struct bul *b)
{
	struct hbuf_q *q;
	struct dp_mn mn;
	int err;

	if (!m->dp || !m->conf->return_to_lma || !b->dp_installed ||
	    !b->tunnel_ref)
		return 0;
	mag_dp_mn(b, &mn);
	/* Hold until the LMA has the de-registration, then send back. */
	if ((q = hbuf_hold(&m->hb, b->nai, b->id, b->hnp, b->n_hnp, b)) &&
	    (err = dp_mag_mn_hold(m->dp, &mn)) == 0) {
		dp_set_hold(m->dp, mag_hold_hook, m);
		b->dp_installed = 0;
		b->dp_returning = 1;
		m->stats.returned++;
		return 1;
	}
	if (q)
		hbuf_forget(&m->hb, q);
	/* Without a hold point: back into the tunnel at once. */
	if ((err = dp_mag_mn_return(m->dp, &mn)) < 0) {
		if (err != -EOPNOTSUPP)
			m->stats.dp_err++;
		return 0;
	}
	b->dp_installed = 0;
	b->dp_returning = 1;
	m->stats.returned++;
	return 1;
}

/*
 * The LMA has acknowledged the de-registration (or the MN registered
 * here again): what we held goes back to the LMA, paced.  1 if a
 * release started (the drained callback finishes the job).
 */
static int
mag_release_held(struct mag *m, struct bul *b)
{
	struct hbuf_q *q = hbuf_find(&m->hb, b->id);

	if (!q || q->state != HBUF_HOLD)
		return 0;
	hbuf_release(&m->hb, q, &b->lma);
	return 1;
}

static int
mag_hb_send(void *arg, const struct in6_addr *peer, const uint8_t *pkt,
	    size_t len)
{
	struct mag *m = arg;
	int r = dp_send(m->dp, peer, pkt, len);

	if (r == 0)
		m->stats.held_returned++;
	return r;
}

static void
mag_hb_refill(void *arg)
{
	struct mag *m = arg;
	if (m->dp)
		dp_hold_poll(m->dp);
}

/* Everything held went back: a de-registered entry can go now. */
static void
mag_hb_drained(void *arg, struct hbuf_q *q)
{
	struct mag *m = arg;
	struct bul *b = q->owner;

	if (b && b->state == BUL_DEREG && !b->outstanding)
		mag_delete(m, b, "de-registered, held packets returned");
}

/* ---- Proxy Binding Update ------------------------------------------ */

/*
 * One transmission of the exchange in progress (RFC 5213 section
 * 6.9.1.5): A, H and P set, a new sequence number, MN-ID (NAI), the
 * HNPs (ALL_ZERO ::/0 when none is assigned yet, 6.9.1.1), Handoff
 * Indicator, Access Technology Type, MN Link-layer Identifier, the fixed
 * MAG link-local address (6.9.1.1 and RFC 6543) and a Timestamp (5.5).
 */
static void
mag_send_pbu(struct mag *m, struct bul *b, int rtx)
{
	struct mh_msg msg;
	uint8_t buf[MH_MAX_LEN];
	char lma[INET6_ADDRSTRLEN];
	ssize_t n;

	memset(&msg, 0, sizeof(msg));
	b->seq++;
	msg.type = MH_TYPE_BU;
	msg.bu.seq = b->seq;
	msg.bu.flags = MH_BU_A | MH_BU_H | MH_BU_P;
	msg.bu.lifetime = b->lifetime_req;
	msg.opts.present = MH_F_MNID | MH_F_HI | MH_F_ATT | MH_F_MNLLID |
			   MH_F_LLA | MH_F_TIMESTAMP;
	snprintf(msg.opts.mnid, sizeof(msg.opts.mnid), "%s", b->nai);
	if (b->n_hnp) {
		msg.opts.n_hnp = b->n_hnp;
		memcpy(msg.opts.hnp, b->hnp, sizeof(msg.opts.hnp));
	} else {
		msg.opts.n_hnp = 1; /* ALL_ZERO: the LMA assigns */
	}
	msg.opts.hi = b->hi;
	msg.opts.att = b->att;
	msg.opts.llid_len = sizeof(b->lladdr);
	memcpy(msg.opts.llid, b->lladdr, sizeof(b->lladdr));
	msg.opts.lla = m->conf->FixedMAGLinkLocalAddressOnAllAccessLinks;
	msg.opts.timestamp =
	    (uint64_t)((int64_t)m->timestamp(m->ts_arg) + b->ts_offset);

	n = mh_build(&msg, NULL, NULL, buf, sizeof(buf));
	b->n_tx++;
	b->outstanding = 1;
	if (n < 0) {
		/* Our own input cannot be encoded: a bug, not the network. */
		log_warnx("bul %s: cannot build PBU: %s", b->nai,
			  strerror((int)-n));
		m->stats.pbu_send_err++;
	} else if (m->send_mh(m->io_arg, &b->lma, buf, (size_t)n) < 0) {
		m->stats.pbu_send_err++;
	} else {
		m->stats.pbu_sent++;
		if (rtx)
			m->stats.pbu_rtx++;
		log_debug("bul %s: PBU seq %u lifetime %u hi %u to %s%s",
			  b->nai, b->seq, b->lifetime_req * 4u, b->hi,
			  mag_a(&b->lma, lma), rtx ? " (retransmission)" : "");
	}
	/* Retransmit even after a send error: the next try may work. */
	ev_timer_after(m->ev, &b->rtx_timer, b->rtx_timeout);
}

/* Start an exchange: a first transmission with a fresh backoff. */
static void
mag_start_exchange(struct mag *m, struct bul *b, uint16_t lifetime, uint8_t hi)
{
	ev_timer_cancel(m->ev, &b->rtx_timer);
	b->lifetime_req = lifetime;
	b->hi = hi;
	b->n_tx = 0;
	b->ts_retried = 0;
	b->rtx_timeout = mag_initial_rtx(m);
	b->seq_first = (uint16_t)(b->seq + 1);
	mag_send_pbu(m, b, 0);
}

static int
mag_seq_in_exchange(const struct bul *b, uint16_t seq)
{
	return (uint16_t)(seq - b->seq_first) <=
	       (uint16_t)(b->seq - b->seq_first);
}

/* ---- Router Advertisement ------------------------------------------ */

static uint32_t
mag_remaining_s(const struct bul *b, ev_time_t now)
{
	if (b->expires <= now)
		return 0;
	ev_time_t s = (b->expires - now) / EV_S(1);
	return s > 0xfffffffeLL ? 0xfffffffeu : (uint32_t)s;
}

/*
 * RFC 5213 section 6.8 (home network emulation) and 6.9.3: a unicast RA
 * from the fixed link-local and link-layer address with one Prefix
 * Information option per HNP and the access-link MTU.
 *
 * The prefixes' valid and preferred lifetimes are the granted binding
 * lifetime, not what is left of it: the MAG refreshes the binding at
 * MAG_REFRESH_PCT of its lifetime and advertises again, so an MN that
 * stays keeps its prefixes; lifetimes counted down to the refresh would
 * reach 0 s in the RA before it, and a host drops an address advertised
 * with a valid lifetime of 0 (seen with Linux: a second-long outage at
 * every refresh).
 */
static void
mag_send_ra(struct mag *m, struct bul *b)
{
	const struct conf *c = m->conf;
	struct nd_ra ra;
	uint8_t buf[ND_RA_MAX_LEN];
	const struct in6_addr *dst;
	uint32_t remaining = mag_remaining_s(b, ev_now());
	uint32_t lifetime =
	    b->lifetime_s > remaining ? b->lifetime_s : remaining;
	unsigned rl;
	ssize_t n;

	memset(&ra, 0, sizeof(ra));
	ra.cur_hop_limit = 64;
	/* RFC 4861 6.2.1: default 3 * MaxRtrAdvInterval, at most 9000 s. */
	rl = (3 * c->ra_interval_ms + 999) / 1000;
	if (rl < 1)
		rl = 1;
	if (rl > MAG_RA_ROUTER_LIFETIME_MAX)
		rl = MAG_RA_ROUTER_LIFETIME_MAX;
	ra.router_lifetime = (uint16_t)rl;
	for (unsigned i = 0; i < b->n_hnp && i < ND_MAX_PREFIX; i++) {
		ra.prefix[i].prefix = b->hnp[i].prefix;
		ra.prefix[i].len = b->hnp[i].len;
		ra.prefix[i].flags = ND_PI_F_ONLINK | ND_PI_F_AUTO;
		ra.prefix[i].valid = lifetime;
		ra.prefix[i].preferred = lifetime;
		ra.n_prefix++;
	}
	ra.mtu = c->mtu;
	ra.has_sllao = 1;
	memcpy(ra.sllao, c->FixedMAGLinkLayerAddressOnAllAccessLinks,
	       sizeof(ra.sllao));
	dst = IN6_IS_ADDR_UNSPECIFIED(&b->mn_ll) ? &mag_all_nodes : &b->mn_ll;
	n = nd_build_ra(&ra, &c->FixedMAGLinkLocalAddressOnAllAccessLinks, dst,
			buf, sizeof(buf));
	if (n < 0) {
		log_warnx("bul %s: cannot build RA: %s", b->nai,
			  strerror((int)-n));
		m->stats.nd_send_err++;
		return;
	}
	if (m->send_nd(m->io_arg, b->ifindex, dst, buf, (size_t)n) < 0) {
		m->stats.nd_send_err++;
		return;
	}
	m->stats.ra_sent++;
	b->n_ra++;
}

/* ---- detachment probes --------------------------------------------- */

static void
mag_send_probe(struct mag *m, struct bul *b)
{
	const struct conf *c = m->conf;
	uint8_t buf[64];
	ssize_t n;

	if (c->detach_methods & DETACH_NUD) {
		/* RFC 4861 7.3.3: unicast NS to the MN's link-local. */
		n = nd_build_ns(&b->mn_ll,
				c->FixedMAGLinkLayerAddressOnAllAccessLinks,
				&c->FixedMAGLinkLocalAddressOnAllAccessLinks,
				&b->mn_ll, buf, sizeof(buf));
		if (n < 0 || m->send_nd(m->io_arg, b->ifindex, &b->mn_ll, buf,
					(size_t)n) < 0)
			m->stats.nd_send_err++;
		else
			m->stats.ns_sent++;
	}
	if (c->detach_methods & DETACH_DAD) {
		/*
		 * The DAD-style probe: NS from :: to the solicited-node
		 * address of the MN's link-local (RFC 4862 5.4.2); only the
		 * owner of the address answers, with an NA to ff02::1.
		 */
		struct in6_addr snm, any = IN6ADDR_ANY_INIT;
		nd_solicited_node(&b->mn_ll, &snm);
		n = nd_build_ns(&b->mn_ll, NULL, &any, &snm, buf, sizeof(buf));
		if (n < 0 ||
		    m->send_nd(m->io_arg, b->ifindex, &snm, buf, (size_t)n) < 0)
			m->stats.nd_send_err++;
		else
			m->stats.ns_sent++;
	}
}

static void mag_detach(struct mag *m, struct bul *b, const char *why);

/*
 * RFC 5213 section 6.13 (detachment detection): every probe interval,
 * count the previous probe as missed if nothing answered it; after
 * probe_max misses in a row the MN is gone.
 */
static void
mag_probe_cb(struct ev *ev, void *arg)
{
	struct bul *b = arg;
	struct mag *m = b->owner;

	if (b->state != BUL_REGISTERED && b->state != BUL_REFRESHING)
		return;
	if (b->probe_pending) {
		b->probes_missed++;
		mag_frame_forget(m, b); /* its frames matter again */
	}
	b->probe_pending = 0;
	if (b->probes_missed >= m->probe_max) {
		if (m->conf->detach_methods & DETACH_NUD)
			m->stats.detach_nud++;
		else
			m->stats.detach_dad++;
		mag_detach(m, b, "probes unanswered");
		return;
	}
	if (!IN6_IS_ADDR_UNSPECIFIED(&b->mn_ll)) {
		mag_send_probe(m, b);
		b->probe_pending = 1;
	}
	ev_timer_after(m->ev, &b->probe_timer, EV_MS(m->probe_interval_ms));
}

/* ---- state changes ------------------------------------------------- */

static void
mag_fail(struct mag *m, struct bul *b, const char *why)
{
	b->outstanding = 0;
	mag_frame_forget(m, b);
	mag_dp_remove(m, b);
	mag_cancel_timers(m, b);
	bul_set_state(b, BUL_FAILED, why);
	ev_timer_after(m->ev, &b->life_timer, EV_MS(m->failed_hold_ms));
}

/*
 * RFC 5213 section 6.9.1.4: the MN left.  A registration never confirmed
 * is abandoned; a binding is de-registered (lifetime 0, same HNPs) after
 * the data-plane state is gone and the RAs stop.
 */
static void
mag_detach(struct mag *m, struct bul *b, const char *why)
{
	ev_time_t now = ev_now();

	switch (b->state) {
	case BUL_REGISTERING:
		m->stats.reg_abandoned++;
		mag_delete(m, b, why);
		return;
	case BUL_REGISTERED:
	case BUL_REFRESHING:
		mag_frame_forget(m, b);
		b->detached = now;
		if (!mag_dp_return(m, b))
			mag_dp_remove(m, b);
		mag_cancel_timers(m, b);
		bul_set_state(b, BUL_DEREG, why);
		mag_start_exchange(m, b, 0, MH_HI_UNKNOWN);
		tstat_add(&m->t_detach_pbu, ev_now() - now);
		return;
	case BUL_DEREG:
	case BUL_FAILED:
		return;
	}
}

static void
mag_rtx_cb(struct ev *ev, void *arg)
{
	struct bul *b = arg;
	struct mag *m = b->owner;

	if (!b->outstanding)
		return;
	if (b->rtx_timeout >= mag_max_rtx(m)) {
		/* RFC 5213 6.9.4: give up after MaxBindackTimeout. */
		m->stats.pbu_giveup++;
		b->outstanding = 0;
		log_warnx("bul %s: no PBA after %u PBUs, giving up", b->nai,
			  b->n_tx);
		switch (b->state) {
		case BUL_REGISTERING:
			mag_fail(m, b, "no PBA");
			break;
		case BUL_REFRESHING:
			/* Serve on until the binding expires (life_timer). */
			break;
		case BUL_DEREG:
			mag_delete(m, b, "de-registration unanswered");
			break;
		default:
			break;
		}
		return;
	}
	b->rtx_timeout *= 2;
	if (b->rtx_timeout > mag_max_rtx(m))
		b->rtx_timeout = mag_max_rtx(m);
	mag_send_pbu(m, b, 1);
}

/*
 * After a registration the MAG repeats its RA MAG_INITIAL_RAS times at
 * MAG_INITIAL_RA_MS intervals before settling to ra_interval_ms, in the
 * spirit of RFC 4861 section 6.2.4 (initial advertisements come faster):
 * the first RA goes out the moment the access link is up, and an access
 * point that has just associated the MN may not forward it yet.
 */
#define MAG_INITIAL_RAS 2
#define MAG_INITIAL_RA_MS 50

static void
mag_ra_schedule(struct mag *m, struct bul *b)
{
	if (b->initial_ras > 0) {
		b->initial_ras--;
		ev_timer_after(m->ev, &b->ra_timer, EV_MS(MAG_INITIAL_RA_MS));
	} else if (m->conf->ra_interval_ms) {
		ev_timer_after(m->ev, &b->ra_timer,
			       EV_MS(m->conf->ra_interval_ms));
	}
}

static void
mag_ra_cb(struct ev *ev, void *arg)
{
	struct bul *b = arg;
	struct mag *m = b->owner;

	if (b->state != BUL_REGISTERED && b->state != BUL_REFRESHING)
		return;
	mag_send_ra(m, b);
	mag_ra_schedule(m, b);
}

static void
mag_life_cb(struct ev *ev, void *arg)
{
	struct bul *b = arg;
	struct mag *m = b->owner;

	switch (b->state) {
	case BUL_REGISTERED:
		/* RFC 5213 6.9.1.3: extend the lifetime, HI "not changed". */
		bul_set_state(b, BUL_REFRESHING, "refresh time");
		mag_start_exchange(m, b, mag_lifetime_units(m),
				   MH_HI_NOT_CHANGED);
		ev_timer_at(m->ev, &b->life_timer, b->expires);
		break;
	case BUL_REFRESHING:
		m->stats.expired++;
		mag_fail(m, b, "binding expired");
		break;
	case BUL_FAILED:
		mag_delete(m, b, "hold time over");
		break;
	default:
		break;
	}
}

static void
mag_timers_init(struct bul *b)
{
	ev_timer_init(&b->rtx_timer, mag_rtx_cb, b);
	ev_timer_init(&b->life_timer, mag_life_cb, b);
	ev_timer_init(&b->ra_timer, mag_ra_cb, b);
	ev_timer_init(&b->probe_timer, mag_probe_cb, b);
}

/* ---- attachment ---------------------------------------------------- */

/* Is mac in the set? */
static int
mag_macs_has(const struct mag_macs *s, const uint8_t mac[6])
{
	for (unsigned i = 0; i < s->n; i++)
		if (!memcmp(s->a[i], mac, 6))
			return 1;
	return 0;
}

/* Add (in 1) or remove (in 0) mac; 1 if the set changed.  A full set
 * takes no more. */
static int
mag_macs_set(struct mag_macs *s, const uint8_t mac[6], int in)
{
	for (unsigned i = 0; i < s->n; i++) {
		if (memcmp(s->a[i], mac, 6))
			continue;
		if (in)
			return 0;
		memcpy(s->a[i], s->a[--s->n], 6);
		return 1;
	}
	if (!in || s->n >= MAG_FRAME_QUIET_MAX)
		return 0;
	memcpy(s->a[s->n++], mac, 6);
	return 1;
}

/*
 * RFC 5213 section 6.9.1.1: an MN of the policy store shows up on an
 * access link.  ll is the MN's link-local address when known.
 */
static void
mag_attach(struct mag *m, const struct conf_mn *mn,
	   const struct mag_access *acc, const struct in6_addr *ll,
	   enum bul_trigger trigger, ev_time_t t_rx)
{
	struct in6_addr lma;
	struct bul *b;
	int have_ll = ll && IN6_IS_ADDR_LINKLOCAL(ll);

	if ((trigger == BUL_TRIG_RS || trigger == BUL_TRIG_NEIGH ||
	     trigger == BUL_TRIG_FRAME) &&
	    mag_macs_has(&acc->gone, mn->lladdr)) {
		m->stats.attach_gone++;
		return;
	}

	if (mag_lma_for(m, mn, &lma) < 0) {
		m->stats.attach_no_lma++;
		log_warnx("mn %s: no LMA configured, not registering", mn->nai);
		return;
	}
	b = bul_by_nai(&m->bul, mn->nai);
	if (!b) {
		if (!(b = bul_create(&m->bul, mn->nai))) {
			log_warnx("mn %s: out of memory", mn->nai);
			return;
		}
		b->owner = m;
		mag_timers_init(b);
		memcpy(b->lladdr, mn->lladdr, sizeof(b->lladdr));
		b->ifindex = acc->ifindex;
		if (have_ll)
			b->mn_ll = *ll;
		b->lma = lma;
		b->att = mn->att ? mn->att : acc->ca ? acc->ca->att : 0;
		b->trigger = trigger;
		b->attached = t_rx;
		b->state = BUL_REGISTERING;
		log_info("bul %s: new (%s on ifindex %d)", b->nai,
			 bul_trigger_name(trigger), acc->ifindex);
		m->stats.attach++;
		mag_start_exchange(m, b, mag_lifetime_units(m), MH_HI_UNKNOWN);
		tstat_add(&m->t_trigger_pbu, ev_now() - t_rx);
		return;
	}
	if (have_ll && (b->ifindex == acc->ifindex || b->state == BUL_DEREG))
		b->mn_ll = *ll;
	switch (b->state) {
	case BUL_REGISTERING:
		/* Nothing is installed yet: just follow the MN. */
		if (b->ifindex != acc->ifindex)
			mag_frame_forget(m, b);
		b->ifindex = acc->ifindex;
		break;
	case BUL_REGISTERED:
	case BUL_REFRESHING:
		if (b->ifindex != acc->ifindex) {
			/* Moved between our own access links. */
			log_info("bul %s: moved from ifindex %d to %d", b->nai,
				 b->ifindex, acc->ifindex);
			mag_frame_forget(m, b);
			if (b->dp_installed && m->dp) {
				struct dp_mn dmn;
				mag_dp_mn(b, &dmn);
				if (dp_mag_mn_del(m->dp, &dmn) < 0)
					m->stats.dp_err++;
				b->dp_installed = 0;
			}
			b->ifindex = acc->ifindex;
			b->mn_ll = have_ll ? *ll : in6addr_any;
			b->trigger = trigger;
			if (mag_dp_install(m, b) < 0) {
				mag_detach(m, b, "data plane failed");
				return;
			}
			mag_send_ra(m, b);
		} else if (trigger == BUL_TRIG_RS) {
			/* RFC 5213 6.9.2: answer RSs with the HNPs. */
			mag_send_ra(m, b);
		}
		break;
	case BUL_DEREG:
		/* The MN came back before the de-registration finished. */
		b->ifindex = acc->ifindex;
		if (!have_ll)
			b->mn_ll = in6addr_any;
		b->trigger = trigger;
		b->attached = t_rx;
		b->registered = 0;
		b->probe_pending = 0;
		b->probes_missed = 0;
		m->stats.attach++;
		bul_set_state(b, BUL_REGISTERING, "MN back");
		mag_start_exchange(m, b, mag_lifetime_units(m), MH_HI_UNKNOWN);
		tstat_add(&m->t_trigger_pbu, ev_now() - t_rx);
		break;
	case BUL_FAILED:
		m->stats.attach_ignored++;
		break;
	}
}

/* ---- PBA ----------------------------------------------------------- */

static void
mag_accept(struct mag *m, struct bul *b, const struct mh_msg *msg,
	   ev_time_t t_rx)
{
	enum bul_state was = b->state;
	uint32_t lifetime = msg->ba.lifetime * 4u;
	ev_time_t now;

	if (lifetime == 0) {
		mag_fail(m, b, "PBA with lifetime 0");
		return;
	}
	if (was == BUL_REGISTERING) {
		/* RFC 5213 6.9.1.2: the HNPs the LMA assigned. */
		if (msg->opts.n_hnp == 0 || msg->opts.n_hnp > MH_MAX_HNP) {
			mag_fail(m, b, "PBA without home network prefix");
			return;
		}
		for (unsigned i = 0; i < msg->opts.n_hnp; i++)
			if (msg->opts.hnp[i].len == 0 ||
			    msg->opts.hnp[i].len > 128) {
				mag_fail(m, b, "PBA with ALL_ZERO prefix");
				return;
			}
		b->n_hnp = msg->opts.n_hnp;
		memcpy(b->hnp, msg->opts.hnp, sizeof(b->hnp));
	}
	now = ev_now();
	b->lifetime_s = lifetime;
	b->refreshed = now;
	b->expires = now + EV_S(lifetime);
	if (!b->registered)
		b->registered = now;
	b->n_reg++;
	if (mag_dp_install(m, b) < 0) {
		log_warnx("bul %s: data plane failed, de-registering", b->nai);
		/* As a detach: DEREG needs a registered state. */
		bul_set_state(b, BUL_REGISTERED, "PBA accepted");
		mag_detach(m, b, "data plane failed");
		return;
	}
	bul_set_state(b, BUL_REGISTERED, "PBA accepted");
	mag_send_ra(m, b);
	ev_time_t sent = ev_now();
	/* Back here before the de-registration finished: what we held
	 * goes to the LMA, which forwards it to us again. */
	(void)mag_release_held(m, b);
	if (was == BUL_REGISTERING) {
		tstat_add(&m->t_pba_ra_reg, sent - t_rx);
		tstat_add(&m->t_reg_total, sent - b->attached);
	} else {
		tstat_add(&m->t_pba_ra_ref, sent - t_rx);
	}
	b->initial_ras = was == BUL_REGISTERING ? MAG_INITIAL_RAS : 0;
	mag_ra_schedule(m, b);
	/* Refresh at MAG_REFRESH_PCT of the granted lifetime. */
	ev_timer_at(m->ev, &b->life_timer,
		    now + EV_S(lifetime) / 100 * MAG_REFRESH_PCT);
	if ((m->conf->detach_methods & (DETACH_NUD | DETACH_DAD)) &&
	    !ev_timer_armed(&b->probe_timer)) {
		b->probe_pending = 0;
		b->probes_missed = 0;
		ev_timer_after(m->ev, &b->probe_timer,
			       EV_MS(m->probe_interval_ms));
	}
}

static void
mag_recv_pba(struct mag *m, const struct in6_addr *src,
	     const struct mh_msg *msg, ev_time_t t_rx)
{
	char a[INET6_ADDRSTRLEN];
	struct bul *b;

	m->stats.pba_rx++;
	if (!(msg->ba.flags & MH_BA_P)) {
		m->stats.pba_not_proxy++;
		return;
	}
	if (!(msg->opts.present & MH_F_MNID) ||
	    !(b = bul_by_nai(&m->bul, msg->opts.mnid)) ||
	    memcmp(&b->lma, src, sizeof(*src)) != 0) {
		m->stats.pba_unmatched++;
		log_debug("PBA seq %u from %s: no such binding", msg->ba.seq,
			  mag_a(src, a));
		return;
	}
	if (!b->outstanding ||
	    (!mag_seq_in_exchange(b, msg->ba.seq) && b->have_acked &&
	     msg->ba.seq == b->last_acked_seq)) {
		m->stats.pba_dup_late++;
		log_debug("bul %s: duplicate or late PBA seq %u", b->nai,
			  msg->ba.seq);
		return;
	}
	if (!mag_seq_in_exchange(b, msg->ba.seq)) {
		m->stats.pba_unmatched++;
		log_debug("bul %s: PBA seq %u, expected %u..%u", b->nai,
			  msg->ba.seq, b->seq_first, b->seq);
		return;
	}

	/*
	 * RFC 5213 6.9.1.2 (and 5.5): with status 156 the PBA carries the
	 * LMA's clock; retry once with our timestamps shifted onto it.
	 */
	if (msg->ba.status == MH_ST_TIMESTAMP_MISMATCH &&
	    (msg->opts.present & MH_F_TIMESTAMP) && !b->ts_retried) {
		b->ts_retried = 1;
		b->ts_offset = (int64_t)msg->opts.timestamp -
			       (int64_t)m->timestamp(m->ts_arg);
		m->stats.pba_ts_retry++;
		log_info("bul %s: timestamp mismatch, retrying with the "
			 "LMA's clock",
			 b->nai);
		mag_send_pbu(m, b, 1);
		return;
	}

	ev_timer_cancel(m->ev, &b->rtx_timer);
	b->outstanding = 0;
	b->have_acked = 1;
	b->last_acked_seq = msg->ba.seq;

	if (b->state == BUL_DEREG) {
		if (msg->ba.status >= 128)
			log_warnx("bul %s: de-registration refused: %s", b->nai,
				  mh_status_name(msg->ba.status));
		m->stats.dereg_done++;
		tstat_add(&m->t_pba_dereg, ev_now() - t_rx);
		if (mag_release_held(m, b))
			return; /* deleted when drained (mag_hb_drained) */
		mag_delete(m, b, "de-registered");
		return;
	}
	if (msg->ba.status >= 128) {
		/* RFC 6275 6.1.8: 128 and above are rejections. */
		m->stats.pba_rejected++;
		log_warnx("bul %s: PBA status %u (%s)", b->nai, msg->ba.status,
			  mh_status_name(msg->ba.status));
		mag_fail(m, b, mh_status_name(msg->ba.status));
		return;
	}
	m->stats.pba_accepted++;
	mag_accept(m, b, msg, t_rx);
}

/* RFC 5847 section 5.2: answer a Heartbeat request from an LMA. */
static void
mag_recv_hb(struct mag *m, const struct in6_addr *src, const struct mh_msg *msg)
{
	struct mh_msg r;
	uint8_t buf[64];
	ssize_t n;

	m->stats.hb_rx++;
	if (msg->hb.flags & (MH_HB_R | MH_HB_U)) {
		/* We send no requests; unsolicited ones want no answer. */
		m->stats.mh_unexpected++;
		return;
	}
	if (!mag_is_lma(m, src)) {
		m->stats.hb_unknown_peer++;
		return;
	}
	memset(&r, 0, sizeof(r));
	r.type = MH_TYPE_HB;
	r.hb.flags = MH_HB_R;
	r.hb.seq = msg->hb.seq;
	r.opts.present = MH_F_RESTART_COUNTER;
	r.opts.restart_counter = m->restart_counter;
	n = mh_build(&r, NULL, NULL, buf, sizeof(buf));
	if (n < 0 || m->send_mh(m->io_arg, src, buf, (size_t)n) < 0) {
		m->stats.pbu_send_err++;
		return;
	}
	m->stats.hb_sent++;
}

void
mag_recv_mh(struct mag *m, const struct in6_addr *src,
	    const struct in6_addr *dst, const uint8_t *buf, size_t len)
{
	ev_time_t t_rx = ev_now();
	struct mh_msg msg;
	const char *why = "?";
	char a[INET6_ADDRSTRLEN];

	m->stats.mh_rx++;
	if (mh_parse(buf, len, &msg, &why) < 0) {
		m->stats.mh_malformed++;
		log_debug("MH from %s dropped: %s", mag_a(src, a), why);
		return;
	}
	switch (msg.type) {
	case MH_TYPE_BA:
		mag_recv_pba(m, src, &msg, t_rx);
		break;
	case MH_TYPE_HB:
		mag_recv_hb(m, src, &msg);
		break;
	default:
		m->stats.mh_unexpected++;
		log_debug("MH %s from %s ignored", mh_type_name(msg.type),
			  mag_a(src, a));
		break;
	}
}

/* ---- access-link input --------------------------------------------- */

static void
mag_recv_na(struct mag *m, int ifindex, const struct nd_na *na)
{
	struct bul *b = bul_by_mn_ll(&m->bul, ifindex, &na->target);

	m->stats.na_rx++;
	if (!b && na->has_tllao) {
		b = bul_by_lladdr(&m->bul, na->tllao);
		if (b && b->ifindex != ifindex)
			b = NULL;
	}
	if (!b)
		return;
	m->stats.na_matched++;
	b->probe_pending = 0;
	b->probes_missed = 0;
}

void
mag_recv_nd(struct mag *m, int ifindex, const struct in6_addr *src,
	    const struct in6_addr *dst, int hoplimit, const uint8_t *buf,
	    size_t len)
{
	ev_time_t t_rx = ev_now();
	const struct mag_access *acc;
	const struct conf_mn *mn;
	struct nd_msg msg;
	const char *why = "?";
	char a[INET6_ADDRSTRLEN];

	m->stats.nd_rx++;
	if (!(acc = mag_access_by_ifindex(m, ifindex))) {
		m->stats.nd_not_access++;
		return;
	}
	/* RFC 4861 6.1.1, 7.1.2: from off link otherwise. */
	if (hoplimit != 255) {
		m->stats.nd_hoplimit++;
		return;
	}
	if (nd_parse(buf, len, &msg, &why) < 0 ||
	    nd_check_ip(&msg, src, dst, hoplimit, &why) < 0) {
		if (len > 0 && buf[0] == ND_TYPE_RS)
			m->stats.rs_malformed++;
		else
			m->stats.nd_malformed++;
		log_debug("ND from %s dropped: %s", mag_a(src, a), why);
		return;
	}
	switch (msg.type) {
	case ND_TYPE_RS:
		m->stats.rs_rx++;
		/*
		 * RFC 5213 6.9.1.1, 6.6: the MN is identified by its
		 * link-layer address, which only the SLLAO tells us here.
		 */
		if (!msg.rs.has_sllao) {
			m->stats.rs_no_sllao++;
			return;
		}
		if (!(mn = conf_mn_by_lladdr(m->conf, msg.rs.sllao))) {
			m->stats.rs_unknown_mn++;
			log_debug("RS from %s: link-layer address not in the "
				  "policy store",
				  mag_a(src, a));
			return;
		}
		mag_attach(m, mn, acc, src, BUL_TRIG_RS, t_rx);
		break;
	case ND_TYPE_NA:
		mag_recv_na(m, ifindex, &msg.na);
		break;
	default:
		m->stats.nd_other++;
		break;
	}
}

void
mag_link_event(struct mag *m, int ifindex, int carrier_up)
{
	struct mag_access *acc = NULL;

	for (unsigned i = 0; i < m->n_access; i++)
		if (ifindex > 0 && m->access[i].ifindex == ifindex)
			acc = &m->access[i];
	if (!acc)
		return;
	acc->carrier = carrier_up ? 1 : 0;
	acc->gone.n = 0; /* a new link: what the AP said no longer holds */
	if (carrier_up) {
		m->stats.link_up++;
		log_info("access %s: carrier up",
			 acc->ca ? acc->ca->ifname : "?");
		/*
		 * On a point-to-point access link bound to one MN (RFC 5213
		 * section 6.2) carrier up is that MN's attachment, as an
		 * access point's association event would be.  Any other
		 * link coming up names no MN: wait for its RS or a
		 * neighbour entry.  (A host that roams with its address
		 * configured sends no new RS.)
		 */
		const struct conf_mn *mn =
		    acc->ca && acc->ca->mn[0]
			? conf_mn_by_nai(m->conf, acc->ca->mn)
			: NULL;
		if (mn)
			mag_attach(m, mn, acc, NULL, BUL_TRIG_LINK, ev_now());
		return;
	}
	m->stats.link_down++;
	log_info("access %s: carrier down", acc->ca ? acc->ca->ifname : "?");
	if (!(m->conf->detach_methods & DETACH_LINK))
		return;
	for (struct bul *b = bul_first(&m->bul), *next; b; b = next) {
		next = bul_next(b);
		if (b->ifindex != ifindex || b->state == BUL_DEREG ||
		    b->state == BUL_FAILED)
			continue;
		m->stats.detach_link++;
		mag_detach(m, b, "carrier down");
	}
}

void
mag_neigh_event(struct mag *m, int ifindex, const uint8_t lladdr[6],
		const struct in6_addr *ip, int state)
{
	static const uint8_t zero[6];
	const struct mag_access *acc = mag_access_by_ifindex(m, ifindex);
	const struct conf_mn *mn = NULL;
	struct bul *b;

	if (!acc)
		return;
	if (lladdr && memcmp(lladdr, zero, 6) != 0)
		mn = conf_mn_by_lladdr(m->conf, lladdr);
	if (state & NUD_FAILED) {
		/* The kernel's own NUD gave up on the MN. */
		m->stats.neigh_fail++;
		if (!(m->conf->detach_methods & DETACH_NUD))
			return;
		b = mn ? bul_by_nai(&m->bul, mn->nai)
		       : bul_by_mn_ll(&m->bul, ifindex, ip);
		if (!b || b->ifindex != ifindex ||
		    (b->state != BUL_REGISTERED && b->state != BUL_REFRESHING))
			return;
		m->stats.detach_nud++;
		mag_detach(m, b, "neighbour unreachable");
		return;
	}
	if (!mn || !(state & (NUD_REACHABLE | NUD_STALE | NUD_DELAY |
			      NUD_PROBE | NUD_PERMANENT)))
		return;
	if (acc->carrier == 0)
		return; /* a stale notification from a dead link */
	m->stats.neigh_attach++;
	mag_attach(m, mn, acc, ip, BUL_TRIG_NEIGH, ev_now());
}

int
mag_l2_event(struct mag *m, int ifindex, const uint8_t lladdr[6], int up)
{
	struct mag_access *acc = NULL;
	const struct conf_mn *mn;
	struct bul *b;

	for (unsigned i = 0; ifindex > 0 && i < m->n_access; i++)
		if (m->access[i].ifindex == ifindex)
			acc = &m->access[i];
	if (!acc)
		return -ENODEV;
	if (!lladdr || !(mn = conf_mn_by_lladdr(m->conf, lladdr)))
		return -ENOENT;
	(void)mag_macs_set(&acc->gone, mn->lladdr, !up);
	if (up) {
		m->stats.l2_attach++;
		mag_attach(m, mn, acc, NULL, BUL_TRIG_AP, ev_now());
		return 0;
	}
	m->stats.l2_detach++;
	b = bul_by_nai(&m->bul, mn->nai);
	/* A station leaving an AP it was not registered through (it has
	 * already moved to another of our links) changes nothing. */
	if (!b || b->ifindex != ifindex || b->state == BUL_DEREG ||
	    b->state == BUL_FAILED)
		return 0;
	mag_detach(m, b, "station disassociated");
	return 0;
}

/*
 * The frame trigger's socket filter: incoming (host, broadcast,
 * multicast; not outgoing, not other-host) IPv6 frames, except those
 * with a Hop-by-Hop header (MLD) and ICMPv6 Neighbor Discovery (types
 * 133-137), which the RS and neighbour paths handle; truncated to the
 * Ethernet header.
 */
static const struct sock_filter mag_frame_bpf[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_PKTTYPE),
    BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, PACKET_MULTICAST, 9, 0),
    BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IPV6, 0, 7),
    BPF_STMT(BPF_LD | BPF_B | BPF_ABS, ETH_HLEN + 6),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 5, 0),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_ICMPV6, 0, 3),
    BPF_STMT(BPF_LD | BPF_B | BPF_ABS, ETH_HLEN + 40),
    BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 133, 0, 1),
    BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, 137, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, ETH_HLEN),
    BPF_STMT(BPF_RET | BPF_K, 0),
};

size_t
mag_frame_prog(const struct mag_access *acc, struct sock_filter *out,
	       size_t max)
{
	size_t n = 0, base = sizeof(mag_frame_bpf) / sizeof(mag_frame_bpf[0]);

	/* Per quiet MAC: source bytes 0-3, then 4-5; equal -> drop. */
	for (unsigned i = 0; i < acc->quiet.n && n + 5 + base <= max; i++) {
		const uint8_t *a = acc->quiet.a[i];
		uint32_t hi = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 |
			      (uint32_t)a[2] << 8 | a[3];
		uint32_t lo = (uint32_t)a[4] << 8 | a[5];
		out[n++] =
		    (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 6);
		out[n++] = (struct sock_filter)BPF_JUMP(
		    BPF_JMP | BPF_JEQ | BPF_K, hi, 0, 3);
		out[n++] =
		    (struct sock_filter)BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 10);
		out[n++] = (struct sock_filter)BPF_JUMP(
		    BPF_JMP | BPF_JEQ | BPF_K, lo, 0, 1);
		out[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0);
	}
	for (size_t i = 0; i < base && n < max; i++)
		out[n++] = mag_frame_bpf[i];
	return n;
}

/* Install acc's current program on its socket (none in unit tests). */
static void
mag_frame_filter(struct mag *m, struct mag_access *acc)
{
	struct sock_filter prog[MAG_FRAME_PROG_MAX];
	struct sock_fprog fp = {.filter = prog};

	if (acc->frame_fd < 0)
		return;
	fp.len = (unsigned short)mag_frame_prog(acc, prog, MAG_FRAME_PROG_MAX);
	if (setsockopt(acc->frame_fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp,
		       sizeof(fp)) < 0)
		m->stats.frame_err++;
}

/* An MN served on acc: its frames are of no use to the trigger (a
 * crowded link's full list leaves the others' frames coming). */
static void
mag_frame_quiet(struct mag *m, struct mag_access *acc, const uint8_t mac[6])
{
	if (mag_macs_set(&acc->quiet, mac, 1))
		mag_frame_filter(m, acc);
}

/* b's frames matter again, on whichever link they arrive. */
static void
mag_frame_forget(struct mag *m, const struct bul *b)
{
	for (unsigned j = 0; j < m->n_access; j++)
		if (mag_macs_set(&m->access[j].quiet, b->lladdr, 0))
			mag_frame_filter(m, &m->access[j]);
}

void
mag_frame_event(struct mag *m, int ifindex, const uint8_t src[6])
{
	struct mag_access *acc = NULL;
	const struct conf_mn *mn;
	const struct bul *b;
	ev_time_t now, *last = NULL;

	for (unsigned i = 0; ifindex > 0 && i < m->n_access; i++)
		if (m->access[i].ifindex == ifindex)
			acc = &m->access[i];
	if (!acc)
		return;
	m->stats.frame_rx++;
	if (!src || !(mn = conf_mn_by_lladdr(m->conf, src)))
		return;
	if (mag_macs_has(&acc->gone, mn->lladdr)) {
		m->stats.attach_gone++;
		return;
	}
	b = bul_by_nai(&m->bul, mn->nai);
	if (b && b->state == BUL_FAILED)
		return; /* held: triggers are ignored meanwhile */
	/*
	 * An MN we serve here: nothing to do (the usual case), unless our
	 * probes went unanswered meanwhile.  Then it was away, may have
	 * registered through another MAG, and is back before we noticed:
	 * register again (a new PBU exchange, binding kept meanwhile).
	 */
	int back = b && b->ifindex == ifindex && b->state == BUL_REGISTERED &&
		   b->probes_missed > 0;
	if (!back && b && b->ifindex == ifindex &&
	    (b->state == BUL_REGISTERING || b->state == BUL_REGISTERED ||
	     b->state == BUL_REFRESHING)) {
		mag_frame_quiet(m, acc, b->lladdr);
		return;
	}
	if (acc->carrier == 0)
		return;
	now = ev_now();
	if (m->frame_last && mn >= m->conf->mn &&
	    mn < m->conf->mn + m->conf->n_mn)
		last = &m->frame_last[mn - m->conf->mn];
	if (last && *last && now - *last < EV_MS(m->frame_hold_ms)) {
		m->stats.frame_ratelimited++;
		return;
	}
	if (last)
		*last = now;
	m->stats.frame_attach++;
	log_debug("access ifindex %d: frame from mn %s", ifindex, mn->nai);
	if (back) {
		struct bul *rb = bul_by_nai(&m->bul, mn->nai);
		rb->probes_missed = 0;
		rb->probe_pending = 0;
		rb->trigger = BUL_TRIG_FRAME;
		bul_set_state(rb, BUL_REFRESHING, "frames after missed probes");
		mag_start_exchange(m, rb, mag_lifetime_units(m), MH_HI_UNKNOWN);
		ev_timer_at(m->ev, &rb->life_timer, rb->expires);
		return;
	}
	mag_attach(m, mn, acc, NULL, BUL_TRIG_FRAME, now);
}

/* ---- set-up and tear-down ------------------------------------------ */

int
mag_init(struct mag *m, const struct conf *conf, struct ev *ev, struct dp *dp)
{
	int err;

	memset(m, 0, sizeof(*m));
	m->conf = conf;
	m->ev = ev;
	m->dp = dp;
	m->send_mh = mag_nosend_mh;
	m->send_nd = mag_nosend_nd;
	m->timestamp = mag_wallclock;
	m->probe_interval_ms = MAG_PROBE_INTERVAL_MS;
	m->probe_max = MAG_PROBE_MAX;
	m->failed_hold_ms = MAG_FAILED_HOLD_MS;
	m->frame_hold_ms = MAG_FRAME_HOLD_MS;
	m->mhs.fd = -1;
	m->icmp.fd = -1;
	m->icmp.raw_fd = -1;
	m->nl.fd = -1;
	if ((err = bul_table_init(&m->bul)) < 0)
		return err;
	{
		struct hbuf_conf hc;
		hbuf_conf_from(&hc, &conf->buffer);
		hc.release_delay_ms = 0; /* the LMA holds already */
		hbuf_init(&m->hb, ev, &hc, mag_hb_send, m, mag_hb_drained, m);
		hbuf_set_refill(&m->hb, mag_hb_refill, m);
		/* (it takes nothing unless return_to_lma is on) */
		if (dp)
			dp_set_hold(dp, mag_hold_hook, m);
	}
	if (conf->n_mn &&
	    !(m->frame_last = calloc(conf->n_mn, sizeof(*m->frame_last)))) {
		bul_table_fini(&m->bul, NULL);
		return -ENOMEM;
	}
	if (conf->n_access) {
		m->access = calloc(conf->n_access, sizeof(*m->access));
		if (!m->access) {
			free(m->frame_last);
			m->frame_last = NULL;
			bul_table_fini(&m->bul, NULL);
			return -ENOMEM;
		}
	}
	m->n_access = conf->n_access;
	for (unsigned i = 0; i < conf->n_access; i++) {
		m->access[i].ca = &conf->access[i];
		m->access[i].carrier = -1;
		m->access[i].frame_fd = -1;
		m->access[i].owner = m;
		m->access[i].ifindex =
		    (int)if_nametoindex(conf->access[i].ifname);
		if (!m->access[i].ifindex)
			log_warnx("access interface %s does not exist (yet)",
				  conf->access[i].ifname);
	}
	/*
	 * RFC 5847 5.2: the Restart Counter changes when we restart.  The
	 * wall clock at start-up (seconds) grows from one start to the
	 * next without any state on disk.
	 */
	m->restart_counter = (uint32_t)(mag_wallclock(NULL) >> 16);
	tstat_init(&m->t_trigger_pbu, "trigger_to_pbu");
	tstat_init(&m->t_pba_ra_reg, "pba_to_ra_registration");
	tstat_init(&m->t_pba_ra_ref, "pba_to_ra_refresh");
	tstat_init(&m->t_pba_dereg, "pba_to_done_deregistration");
	tstat_init(&m->t_detach_pbu, "detach_to_dereg_pbu");
	tstat_init(&m->t_reg_total, "trigger_to_ra");
	return 0;
}

static void
mag_destroy_entry(struct bul *b)
{
	struct mag *m = b->owner;

	if (b->state == BUL_REGISTERED || b->state == BUL_REFRESHING) {
		/* One de-registration try: we are going away. */
		b->lifetime_req = 0;
		b->hi = MH_HI_UNKNOWN;
		b->rtx_timeout = mag_initial_rtx(m);
		mag_send_pbu(m, b, 0);
	}
	mag_dp_remove(m, b);
	mag_cancel_timers(m, b);
}

static void mag_frame_close(struct mag *m);

void
mag_fini(struct mag *m)
{
	if (m->bul.nai.buckets)
		bul_table_fini(&m->bul, mag_destroy_entry);
	hbuf_fini(&m->hb);
	if (m->io_started) {
		mag_frame_close(m);
		nlmon_close(&m->nl);
		icmp6sock_close(&m->icmp);
		mhsock_close(&m->mhs);
		m->io_started = 0;
	}
	free(m->access);
	m->access = NULL;
	m->n_access = 0;
	free(m->frame_last);
	m->frame_last = NULL;
}

/* ---- real I/O ------------------------------------------------------ */

static void
mag_io_mh(void *arg, const struct in6_addr *src, const struct in6_addr *dst,
	  const uint8_t *buf, size_t len)
{
	mag_recv_mh(arg, src, dst, buf, len);
}

static void
mag_io_nd(void *arg, int ifindex, const struct in6_addr *src,
	  const struct in6_addr *dst, int hoplimit, const uint8_t *buf,
	  size_t len)
{
	mag_recv_nd(arg, ifindex, src, dst, hoplimit, buf, len);
}

static void
mag_io_link(void *arg, int ifindex, int carrier_up)
{
	mag_link_event(arg, ifindex, carrier_up);
}

static void
mag_io_neigh(void *arg, int ifindex, const uint8_t lladdr[6],
	     const struct in6_addr *ip, int state)
{
	mag_neigh_event(arg, ifindex, lladdr, ip, state);
}

static int
mag_io_send_mh(void *arg, const struct in6_addr *dst, const uint8_t *buf,
	       size_t len)
{
	struct mag *m = arg;

	return mhsock_send(&m->mhs, dst, buf, len);
}

static int
mag_io_send_nd(void *arg, int ifindex, const struct in6_addr *dst,
	       const uint8_t *buf, size_t len)
{
	struct mag *m = arg;
	struct in6_addr any = IN6ADDR_ANY_INIT;
	const struct in6_addr *src =
	    &m->conf->FixedMAGLinkLocalAddressOnAllAccessLinks;

	/* The DAD-style probe goes out from :: (see mag_send_nd_fn). */
	if (len > 0 && buf[0] == ND_TYPE_NS && IN6_IS_ADDR_MULTICAST(dst))
		src = &any;
	return icmp6sock_send(&m->icmp, ifindex, src, dst, buf, len);
}

static void
mag_frame_read(struct ev *ev, int fd, unsigned events, void *arg)
{
	struct mag_access *acc = arg;
	struct mag *m = acc->owner;

	(void)ev;
	(void)events;
	/* Bounded: a flood of frames must not starve the loop. */
	for (int i = 0; i < MAG_FRAME_BURST; i++) {
		uint8_t buf[ETH_HLEN];
		struct sockaddr_ll from;
		socklen_t fromlen = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT,
				     (struct sockaddr *)&from, &fromlen);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)
				m->stats.frame_err++;
			return;
		}
		if (n < ETH_HLEN || from.sll_pkttype > PACKET_MULTICAST)
			continue;
		mag_frame_event(m, acc->ifindex, buf + 6);
	}
}

static void
mag_frame_close(struct mag *m)
{
	for (unsigned i = 0; i < m->n_access; i++) {
		struct mag_access *acc = &m->access[i];
		if (acc->frame_fd < 0)
			continue;
		ev_fd_del(m->ev, acc->frame_fd);
		close(acc->frame_fd);
		acc->frame_fd = -1;
	}
}

static int
mag_frame_open(struct mag_access *acc, struct ev *ev)
{
	struct sock_filter insns[MAG_FRAME_PROG_MAX];
	struct sock_fprog prog = {.filter = insns};
	struct sockaddr_ll sll = {
	    .sll_family = AF_PACKET,
	    .sll_protocol = htons(ETH_P_IPV6),
	    .sll_ifindex = acc->ifindex,
	};
	int err, fd;

	prog.len =
	    (unsigned short)mag_frame_prog(acc, insns, MAG_FRAME_PROG_MAX);
	/* Protocol 0 until bound: nothing arrives before the filter. */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) <
		0 ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	if ((err = ev_fd_add(ev, fd, EV_READ, mag_frame_read, acc)) < 0) {
		close(fd);
		return err;
	}
	acc->frame_fd = fd;
	return 0;
}

int
mag_start_io(struct mag *m)
{
	int idx[CONF_MAX_ACCESS];
	unsigned n = 0;
	int err;

	for (unsigned i = 0; i < m->n_access && n < CONF_MAX_ACCESS; i++)
		if (m->access[i].ifindex > 0)
			idx[n++] = m->access[i].ifindex;
	if ((err = mhsock_open(&m->mhs, m->ev, &m->conf->addr, mag_io_mh, m)) <
	    0)
		return err;
	if ((err = icmp6sock_open(&m->icmp, m->ev, idx, n, mag_io_nd, m)) < 0) {
		mhsock_close(&m->mhs);
		return err;
	}
	if ((err = nlmon_open(&m->nl, m->ev, mag_io_link, mag_io_neigh, m)) <
	    0) {
		icmp6sock_close(&m->icmp);
		mhsock_close(&m->mhs);
		return err;
	}
	/*
	 * return_to_lma: routes through an access link that lost carrier
	 * are skipped, so the MN's fallback route to the hold device takes
	 * over at once (dp_kernel.c).  Best effort.
	 */
	for (unsigned i = 0; m->conf->return_to_lma && i < m->n_access; i++) {
		char path[128];
		FILE *f;
		snprintf(
		    path, sizeof(path),
		    "/proc/sys/net/ipv6/conf/%s/ignore_routes_with_linkdown",
		    m->access[i].ca->ifname);
		if ((f = fopen(path, "w")) == NULL) {
			log_warn("%s", path);
			continue;
		}
		int bad = fputs("1\n", f) == EOF;
		if (fclose(f) != 0 || bad)
			log_warn("%s", path);
	}
	/* The frame trigger: best effort, the other triggers work without. */
	for (unsigned i = 0; i < m->n_access; i++) {
		struct mag_access *acc = &m->access[i];
		if (acc->ifindex <= 0)
			continue;
		if ((err = mag_frame_open(acc, m->ev)) < 0)
			log_warnx("access %s: no frame trigger socket: %s",
				  acc->ca ? acc->ca->ifname : "?",
				  strerror(-err));
	}
	m->send_mh = mag_io_send_mh;
	m->send_nd = mag_io_send_nd;
	m->io_arg = m;
	m->io_started = 1;
	return 0;
}

/* ---- pmipctl ------------------------------------------------------- */

static void
mag_ifname(int ifindex, char *buf)
{
	if (ifindex <= 0 || !if_indextoname((unsigned)ifindex, buf))
		snprintf(buf, IF_NAMESIZE, "#%d", ifindex);
}

static void
mag_mac(const uint8_t *a, char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", a[0], a[1], a[2],
		 a[3], a[4], a[5]);
}

static void
mag_hnps(const struct bul *b, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < b->n_hnp; i++) {
		int n = snprintf(buf + off, len - off, "%s%s/%u", i ? "," : "",
				 mag_a(&b->hnp[i].prefix, a), b->hnp[i].len);
		if (n < 0 || (size_t)n >= len - off)
			return;
		off += (size_t)n;
	}
	if (!b->n_hnp)
		snprintf(buf, len, "-");
}

void
mag_dump_bul(const struct mag *m, FILE *out, int json)
{
	ev_time_t now = ev_now();
	char ifn[IF_NAMESIZE + 8], mac[18], lma[INET6_ADDRSTRLEN];
	char ll[INET6_ADDRSTRLEN], hnp[MH_MAX_HNP * 48];

	if (json) {
		struct json j;
		json_init_file(&j, out);
		json_obj_begin(&j);
		json_kv_uint(&j, "count", bul_count(&m->bul));
		json_kv_uint(&j, "mem_per_entry", bul_mem_per_entry(&m->bul));
		json_kv_arr_begin(&j, "bul");
		for (const struct bul *b = bul_first(&m->bul); b;
		     b = bul_next(b)) {
			mag_ifname(b->ifindex, ifn);
			mag_mac(b->lladdr, mac, sizeof(mac));
			json_obj_begin(&j);
			json_kv_str(&j, "nai", b->nai);
			json_kv_uint(&j, "id", b->id);
			json_kv_str(&j, "state", bul_state_name(b->state));
			json_kv_str(&j, "trigger",
				    bul_trigger_name(b->trigger));
			json_kv_str(&j, "interface", ifn);
			json_kv_int(&j, "ifindex", b->ifindex);
			json_kv_str(&j, "lladdr", mac);
			json_kv_str(&j, "mn_ll", mag_a(&b->mn_ll, ll));
			json_kv_str(&j, "lma", mag_a(&b->lma, lma));
			json_kv_uint(&j, "att", b->att);
			json_kv_arr_begin(&j, "hnp");
			for (unsigned i = 0; i < b->n_hnp; i++)
				json_strf(&j, "%s/%u",
					  mag_a(&b->hnp[i].prefix, ll),
					  b->hnp[i].len);
			json_arr_end(&j);
			json_kv_uint(&j, "seq", b->seq);
			json_kv_bool(&j, "outstanding", b->outstanding);
			json_kv_uint(&j, "transmissions", b->n_tx);
			json_kv_uint(&j, "lifetime_s", b->lifetime_s);
			json_kv_uint(&j, "remaining_s",
				     mag_remaining_s(b, now));
			json_kv_uint(&j, "registrations", b->n_reg);
			json_kv_uint(&j, "ras", b->n_ra);
			json_kv_uint(&j, "probes_missed", b->probes_missed);
			json_kv_bool(&j, "dp_installed", b->dp_installed);
			json_obj_end(&j);
		}
		json_arr_end(&j);
		json_obj_end(&j);
		fputc('\n', out);
		return;
	}
	fprintf(out, "%-24s %-11s %-9s %-8s %-17s %-24s %-28s %5s %8s %8s\n",
		"NAI", "STATE", "TRIGGER", "IF", "LLADDR", "LMA", "HNP", "SEQ",
		"LIFETIME", "LEFT");
	for (const struct bul *b = bul_first(&m->bul); b; b = bul_next(b)) {
		mag_ifname(b->ifindex, ifn);
		mag_mac(b->lladdr, mac, sizeof(mac));
		mag_hnps(b, hnp, sizeof(hnp));
		fprintf(out,
			"%-24s %-11s %-9s %-8s %-17s %-24s %-28s %5u %8u "
			"%8u\n",
			b->nai, bul_state_name(b->state),
			bul_trigger_name(b->trigger), ifn, mac,
			mag_a(&b->lma, lma), hnp, b->seq, b->lifetime_s,
			mag_remaining_s(b, now));
	}
	fprintf(out, "%u entries\n", bul_count(&m->bul));
}

#define MAG_STAT(x)                                                            \
	{                                                                      \
#x, offsetof(struct mag_stats, x)                              \
	}
static const struct {
	const char *name;
	size_t off;
} mag_stat_fields[] = {
    MAG_STAT(mh_rx),
    MAG_STAT(mh_malformed),
    MAG_STAT(mh_unexpected),
    MAG_STAT(pbu_sent),
    MAG_STAT(pbu_rtx),
    MAG_STAT(pbu_send_err),
    MAG_STAT(pbu_giveup),
    MAG_STAT(pba_rx),
    MAG_STAT(pba_accepted),
    MAG_STAT(pba_rejected),
    MAG_STAT(pba_not_proxy),
    MAG_STAT(pba_unmatched),
    MAG_STAT(pba_dup_late),
    MAG_STAT(pba_ts_retry),
    MAG_STAT(hb_rx),
    MAG_STAT(hb_sent),
    MAG_STAT(hb_unknown_peer),
    MAG_STAT(nd_rx),
    MAG_STAT(nd_not_access),
    MAG_STAT(nd_hoplimit),
    MAG_STAT(nd_malformed),
    MAG_STAT(nd_other),
    MAG_STAT(rs_rx),
    MAG_STAT(rs_malformed),
    MAG_STAT(rs_no_sllao),
    MAG_STAT(rs_unknown_mn),
    MAG_STAT(na_rx),
    MAG_STAT(na_matched),
    MAG_STAT(ra_sent),
    MAG_STAT(ns_sent),
    MAG_STAT(nd_send_err),
    MAG_STAT(link_up),
    MAG_STAT(link_down),
    MAG_STAT(neigh_attach),
    MAG_STAT(neigh_fail),
    MAG_STAT(attach),
    MAG_STAT(attach_ignored),
    MAG_STAT(attach_gone),
    MAG_STAT(attach_no_lma),
    MAG_STAT(reg_abandoned),
    MAG_STAT(detach_link),
    MAG_STAT(detach_nud),
    MAG_STAT(detach_dad),
    MAG_STAT(dereg_done),
    MAG_STAT(expired),
    MAG_STAT(dp_err),
    MAG_STAT(returned),
    MAG_STAT(held_returned),
    MAG_STAT(l2_attach),
    MAG_STAT(l2_detach),
    MAG_STAT(frame_rx),
    MAG_STAT(frame_attach),
    MAG_STAT(frame_ratelimited),
    MAG_STAT(frame_err),
};
#undef MAG_STAT

static uint64_t
mag_stat_get(const struct mag_stats *s, size_t off)
{
	uint64_t v;

	memcpy(&v, (const char *)s + off, sizeof(v));
	return v;
}

void
mag_dump_stats(const struct mag *m, FILE *out, int json)
{
	const struct tstat *ts[] = {&m->t_trigger_pbu, &m->t_pba_ra_reg,
				    &m->t_pba_ra_ref,  &m->t_pba_dereg,
				    &m->t_detach_pbu,  &m->t_reg_total};
	const size_t nf = sizeof(mag_stat_fields) / sizeof(mag_stat_fields[0]);
	struct tstat_summary s;

	if (json) {
		struct json j;
		json_init_file(&j, out);
		json_obj_begin(&j);
		json_kv_obj_begin(&j, "counters");
		for (size_t i = 0; i < nf; i++)
			json_kv_uint(
			    &j, mag_stat_fields[i].name,
			    mag_stat_get(&m->stats, mag_stat_fields[i].off));
		json_obj_end(&j);
		json_kv_obj_begin(&j, "timing");
		for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
			tstat_summary(ts[i], &s);
			json_kv_obj_begin(&j, ts[i]->name);
			json_kv_uint(&j, "count", s.count);
			json_kv_double(&j, "min_us", s.min_us);
			json_kv_double(&j, "median_us", s.median_us);
			json_kv_double(&j, "p99_us", s.p99_us);
			json_kv_double(&j, "max_us", s.max_us);
			json_kv_double(&j, "mean_us", s.mean_us);
			json_obj_end(&j);
		}
		json_obj_end(&j);
		json_obj_end(&j);
		fputc('\n', out);
		return;
	}
	for (size_t i = 0; i < nf; i++)
		fprintf(out, "%-18s %10llu\n", mag_stat_fields[i].name,
			(unsigned long long)mag_stat_get(
			    &m->stats, mag_stat_fields[i].off));
	fprintf(out, "\n%-28s %8s %10s %10s %10s %10s %10s\n", "STEP (us)",
		"COUNT", "MIN", "MEDIAN", "P99", "MAX", "MEAN");
	for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
		tstat_summary(ts[i], &s);
		fprintf(out, "%-28s %8llu %10.1f %10.1f %10.1f %10.1f %10.1f\n",
			ts[i]->name, (unsigned long long)s.count, s.min_us,
			s.median_us, s.p99_us, s.max_us, s.mean_us);
	}
}
