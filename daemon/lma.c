/* SPDX-License-Identifier: BSD-2-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lma.h"
#include "log.h"

static const char *const lma_counter_names[] = {
#define LMA_X(n, d) #n,
    LMA_COUNTERS(LMA_X)
#undef LMA_X
};
static const char *const lma_counter_descr[] = {
#define LMA_X(n, d) d,
    LMA_COUNTERS(LMA_X)
#undef LMA_X
};
static const char *const lma_step_names[LMA_T_MAX] = {
    [LMA_T_FIRST] = "pbu_to_pba_first_registration",
    [LMA_T_REFRESH] = "pbu_to_pba_lifetime_extension",
    [LMA_T_DEREG] = "pbu_to_pba_deregistration",
    [LMA_T_HANDOVER] = "pbu_to_pba_handover",
    [LMA_T_VALIDATE] = "validation",
    [LMA_T_BCE] = "binding_cache",
    [LMA_T_DP] = "data_plane",
    [LMA_T_SEND] = "send",
};

static const char *
addr_str(const struct in6_addr *a, char *buf)
{
	return inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN);
}

uint64_t
lma_timestamp_now(void *arg)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	/* RFC 5213 8.8: 48-bit seconds and 16-bit 1/65536 fractions. */
	return ((uint64_t)ts.tv_sec << 16) |
	       (uint64_t)(((uint64_t)ts.tv_nsec << 16) / 1000000000ULL);
}

static int
lma_sock_send(void *arg, const struct in6_addr *dst, const uint8_t *buf,
	      size_t len)
{
	struct lma *l = arg;
	return mhsock_send(&l->sock, dst, buf, len);
}

/* ---- handover buffering ---- */

static int
lma_hb_send(void *arg, const struct in6_addr *peer, const uint8_t *pkt,
	    size_t len)
{
	struct lma *l = arg;
	return dp_send(l->dp, peer, pkt, len);
}

static void
lma_hb_refill(void *arg)
{
	struct lma *l = arg;
	dp_hold_poll(l->dp);
}

static int
lma_hold_hook(void *arg, const struct in6_addr *peer, const uint8_t *pkt,
	      size_t len, unsigned flags)
{
	struct lma *l = arg;
	if (flags & DP_HOLD_RETURNED)
		return hbuf_offer_returned(&l->hb, pkt, len);
	return hbuf_offer(&l->hb, pkt, len);
}

static void lma_dp_mn(const struct bce *b, struct dp_mn *mn);

/* The buffer has drained: now route the prefixes to the new MAG. */
static void
lma_hb_drained(void *arg, struct hbuf_q *q)
{
	struct lma *l = arg;
	struct bce *b = q->owner;
	struct dp_mn mn;
	int r;

	if (!b || !b->route_pending)
		return;
	lma_dp_mn(b, &mn);
	if ((r = dp_lma_route_add(l->dp, &mn)) < 0) {
		/* The packets keep coming through the hold point, and the
		 * buffer passes them on while it lingers in PASS. */
		log_warnx("bce %s: route after the release: %s", b->nai,
			  strerror(-r));
		l->st.dp_err++;
		return;
	}
	b->route_pending = 0;
	b->dp_held = 0;
}

int
lma_init(struct lma *l, const struct conf *conf, struct ev *ev, struct dp *dp)
{
	struct hbuf_conf hc;

	memset(l, 0, sizeof(*l));
	l->conf = conf;
	l->ev = ev;
	l->dp = dp;
	l->clock = lma_timestamp_now;
	for (int i = 0; i < LMA_T_MAX; i++)
		tstat_init(&l->t[i], lma_step_names[i]);
	hbuf_conf_from(&hc, &conf->buffer);
	hbuf_init(&l->hb, ev, &hc, lma_hb_send, l, lma_hb_drained, l);
	hbuf_set_refill(&l->hb, lma_hb_refill, l);
	return bce_table_init(&l->bc);
}

static void
lma_recv_cb(void *arg, const struct in6_addr *src, const struct in6_addr *dst,
	    const uint8_t *buf, size_t len)
{
	lma_recv(arg, src, dst, buf, len);
}

int
lma_start_io(struct lma *l)
{
	int r = mhsock_open(&l->sock, l->ev, &l->conf->addr, lma_recv_cb, l);
	if (r < 0)
		return r;
	l->sock_open = 1;
	l->send = lma_sock_send;
	l->send_arg = l;
	return 0;
}

static void
lma_dp_mn(const struct bce *b, struct dp_mn *mn)
{
	memset(mn, 0, sizeof(*mn));
	mn->n_hnp = b->n_hnp;
	memcpy(mn->hnp, b->hnp, sizeof(mn->hnp));
	mn->peer = b->proxy_coa;
	mn->access_ifindex = 0;
	mn->id = b->id;
}

/*
 * Remove the MN's routes and release its tunnel reference; what the
 * buffer holds for it is dropped (the MN never came back).
 */
static void
lma_dp_remove(struct lma *l, struct bce *b)
{
	struct hbuf_q *q = hbuf_find(&l->hb, b->id);
	struct dp_mn mn;

	if (q)
		hbuf_drop_all(&l->hb, q);
	if (!b->dp_installed && !b->dp_held)
		return;
	lma_dp_mn(b, &mn);
	if (dp_lma_route_del(l->dp, &mn) < 0)
		l->st.dp_err++;
	if (b->dp_installed && dp_tunnel_put(l->dp, &b->proxy_coa) < 0)
		l->st.dp_err++;
	b->dp_installed = 0;
	b->dp_held = 0;
	b->route_pending = 0;
}

/* The MN's profile asks for buffering (or the top level does). */
static int
lma_buffering(const struct lma *l, const struct bce *b)
{
	const struct conf_mn *p = conf_mn_by_nai(l->conf, b->nai);

	return p ? p->buffering > 0 : l->conf->buffering;
}

/*
 * De-registration with buffering: the prefixes go to the hold point
 * instead of away, and the buffer takes every packet for them until a
 * MAG registers the MN again or MinDelayBeforeBCEDelete ends.
 */
static int
lma_dp_hold(struct lma *l, struct bce *b)
{
	struct hbuf_q *q;
	struct dp_mn mn;
	int r;

	if (!dp_can_hold(l->dp))
		return -EOPNOTSUPP;
	if ((q = hbuf_hold(&l->hb, b->nai, b->id, b->hnp, b->n_hnp, b)) == NULL)
		return -ENOMEM;
	dp_set_hold(l->dp, lma_hold_hook, l);
	lma_dp_mn(b, &mn);
	if ((r = dp_lma_route_hold(l->dp, &mn)) < 0) {
		hbuf_drop_all(&l->hb, q);
		l->st.dp_err++;
		return r;
	}
	if (b->dp_installed && dp_tunnel_put(l->dp, &b->proxy_coa) < 0)
		l->st.dp_err++;
	b->dp_installed = 0;
	b->dp_held = 1;
	b->route_pending = 0;
	l->st.buf_holds++;
	return 0;
}

static int lma_dp_install(struct lma *l, struct bce *b);

/*
 * A MAG registers a held MN: with nothing buffered, route to it at once;
 * else take the tunnel, release the buffer to it, paced, and route the
 * prefixes to it only when the buffer has drained (lma_hb_drained), so
 * that newer packets queue behind the held ones.
 */
static int
lma_dp_resume(struct lma *l, struct bce *b)
{
	struct hbuf_q *q = hbuf_find(&l->hb, b->id);
	int r;

	dp_hold_poll(l->dp); /* what the hold point has not handed over */
	if (!q || q->packets == 0) {
		if ((r = lma_dp_install(l, b)) < 0)
			return r;
		b->dp_held = 0;
		b->route_pending = 0;
		if (q)
			hbuf_release(&l->hb, q, &b->proxy_coa);
		return 0;
	}
	if ((r = dp_tunnel_get(l->dp, &b->proxy_coa)) < 0) {
		l->st.dp_err++;
		return r;
	}
	b->dp_installed = 1;
	b->route_pending = 1;
	hbuf_release(&l->hb, q, &b->proxy_coa);
	return 0;
}

static int
lma_dp_install(struct lma *l, struct bce *b)
{
	struct dp_mn mn;
	int r;

	if ((r = dp_tunnel_get(l->dp, &b->proxy_coa)) < 0)
		goto fail;
	lma_dp_mn(b, &mn);
	if ((r = dp_lma_route_add(l->dp, &mn)) < 0) {
		dp_tunnel_put(l->dp, &b->proxy_coa);
		goto fail;
	}
	b->dp_installed = 1;
	return 0;
fail:
	l->st.dp_err++;
	return r;
}

static void
lma_bce_destroy(struct bce *b)
{
	struct lma *l = b->owner;
	ev_timer_cancel(l->ev, &b->timer);
	lma_dp_remove(l, b);
	hbuf_forget(&l->hb, hbuf_find(&l->hb, b->id));
}

void
lma_fini(struct lma *l)
{
	bce_table_fini(&l->bc, lma_bce_destroy);
	hbuf_fini(&l->hb);
	if (l->sock_open)
		mhsock_close(&l->sock);
	l->sock_open = 0;
}

/* Lifetime expiry (ACTIVE) or end of MinDelayBeforeBCEDelete (DEREG). */
static void
lma_bce_timer(struct ev *ev, void *arg)
{
	struct bce *b = arg;
	struct lma *l = b->owner;

	if (b->state == BCE_ACTIVE) {
		log_info("bce %s: lifetime expired", b->nai);
		l->st.bce_expired++;
	} else {
		log_info("bce %s: deleted after MinDelayBeforeBCEDelete",
			 b->nai);
		l->st.bce_deleted++;
	}
	lma_dp_remove(l, b);
	hbuf_forget(&l->hb, hbuf_find(&l->hb, b->id));
	bce_delete(&l->bc, b);
}

static int
prefix_is_zero(const struct mh_prefix *p)
{
	static const struct in6_addr zero;
	return p->len == 0 && memcmp(&p->prefix, &zero, sizeof(zero)) == 0;
}

static int
prefix_in(const struct mh_prefix *p, const struct mh_prefix *set, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (set[i].len == p->len &&
		    memcmp(&set[i].prefix, &p->prefix, sizeof(p->prefix)) == 0)
			return 1;
	return 0;
}

static int
prefix_sets_equal(const struct mh_prefix *a, unsigned na,
		  const struct mh_prefix *b, unsigned nb)
{
	if (na != nb)
		return 0;
	for (unsigned i = 0; i < na; i++)
		if (!prefix_in(&a[i], b, nb))
			return 0;
	return 1;
}

/* |a - b| in milliseconds for two RFC 5213 timestamps. */
static uint64_t
ts_diff_ms(uint64_t a, uint64_t b)
{
	uint64_t d = a > b ? a - b : b - a;
	return (d * 1000) >> 16;
}

struct lma_ctx { /* one PBU being processed */
	const struct in6_addr *src;
	const struct mh_msg *pbu;
	const struct conf_mn *prof;
	struct bce *bce; /* found by section 5.4.1 lookup */
	int zero_hnp;	 /* PBU asked the LMA to assign prefixes */
	const char *why;
};

/*
 * RFC 5213 section 5.3.1, in its order: MN identifier (160), MAG
 * authorisation (154), MN authorised for PMIPv6 (152) and served by
 * this LMA (153), timestamp (section 5.5: 156, 157), mandatory options
 * (158, 161, 162), binding cache lookup (section 5.4.1) and prefix
 * authorisation (155, 159).
 */
static uint8_t
lma_validate(struct lma *l, struct lma_ctx *c)
{
	const struct conf *cf = l->conf;
	const struct mh_opts *o = &c->pbu->opts;

	if (!(o->present & MH_F_MNID)) {
		c->why = "no MN identifier option";
		return MH_ST_MISSING_MNID;
	}
	if (!conf_mag_by_addr(cf, c->src)) {
		c->why = "sender is not an authorised MAG";
		return MH_ST_MAG_NOT_AUTHORIZED;
	}
	c->prof = conf_mn_by_nai(cf, o->mnid);
	if (!c->prof) {
		c->why = "no policy profile for this MN";
		return MH_ST_PROXY_REG_NOT_ENABLED;
	}
	if (!IN6_IS_ADDR_UNSPECIFIED(&c->prof->lma) &&
	    !IN6_ARE_ADDR_EQUAL(&c->prof->lma, &cf->addr)) {
		c->why = "the MN's profile names another LMA";
		return MH_ST_NOT_LMA_FOR_THIS_MN;
	}
	struct bce *by_nai = bce_by_nai(&l->bc, o->mnid);
	if (cf->TimestampBasedApproachInUse) {
		if (!(o->present & MH_F_TIMESTAMP)) {
			c->why = "no timestamp option";
			return MH_ST_TIMESTAMP_MISMATCH;
		}
		uint64_t now = l->clock(l->clock_arg);
		if (ts_diff_ms(o->timestamp, now) >
		    cf->TimestampValidityWindow) {
			c->why = "timestamp outside TimestampValidityWindow";
			return MH_ST_TIMESTAMP_MISMATCH;
		}
		if (by_nai && o->timestamp <= by_nai->timestamp) {
			c->why = "timestamp not newer than the last accepted";
			return MH_ST_TIMESTAMP_LOWER_THAN_PREV;
		}
	}
	if (o->n_hnp == 0) {
		c->why = "no home network prefix option";
		return MH_ST_MISSING_HNP;
	}
	if (!(o->present & MH_F_HI)) {
		c->why = "no handoff indicator option";
		return MH_ST_MISSING_HI;
	}
	if (!(o->present & MH_F_ATT)) {
		c->why = "no access technology type option";
		return MH_ST_MISSING_ATT;
	}

	/* Section 5.4.1: by prefix when the PBU names one, else by MN-ID. */
	c->zero_hnp = 1;
	for (unsigned i = 0; i < o->n_hnp; i++)
		if (!prefix_is_zero(&o->hnp[i]))
			c->zero_hnp = 0;
	if (c->zero_hnp) {
		if (o->n_hnp != 1) {
			c->why = "ALL_ZERO prefix mixed with others";
			return MH_ST_NOT_AUTHORIZED_FOR_HNP;
		}
		c->bce = by_nai;
		return MH_ST_ACCEPTED;
	}
	for (unsigned i = 0; i < o->n_hnp; i++) {
		if (prefix_is_zero(&o->hnp[i]) ||
		    !prefix_in(&o->hnp[i], c->prof->hnp, c->prof->n_hnp)) {
			c->why = "prefix not in the MN's profile";
			return MH_ST_NOT_AUTHORIZED_FOR_HNP;
		}
		struct bce *b = bce_by_prefix(&l->bc, &o->hnp[i]);
		if (b && b != by_nai) {
			c->why = "prefix bound to another mobility session";
			return MH_ST_NOT_AUTHORIZED_FOR_HNP;
		}
	}
	c->bce = by_nai;
	if (c->bce &&
	    !prefix_sets_equal(o->hnp, o->n_hnp, c->bce->hnp, c->bce->n_hnp)) {
		c->why = "prefix set differs from the binding's";
		return MH_ST_BCE_PBU_PREFIX_SET_DO_NOT_MATCH;
	}
	return MH_ST_ACCEPTED;
}

/* Build and send the PBA echoing the PBU's options (section 5.3.6). */
static void
lma_send_pba(struct lma *l, const struct in6_addr *dst,
	     const struct mh_msg *pbu, uint8_t status, uint32_t lifetime_s,
	     const struct bce *b)
{
	struct mh_msg pba;
	uint8_t buf[MH_MAX_LEN];

	memset(&pba, 0, sizeof(pba));
	pba.type = MH_TYPE_BA;
	pba.ba.status = status;
	pba.ba.flags = MH_BA_P;
	pba.ba.seq = pbu->bu.seq;
	pba.ba.lifetime = (uint16_t)(lifetime_s / 4);
	pba.opts = pbu->opts;
	pba.opts.n_unknown = 0;
	pba.opts.present &= MH_F_MNID | MH_F_HI | MH_F_ATT | MH_F_MNLLID |
			    MH_F_LLA | MH_F_TIMESTAMP;
	if (b && status == MH_ST_ACCEPTED) {
		/* The assigned prefixes, not the ALL_ZERO request. */
		pba.opts.n_hnp = b->n_hnp;
		memcpy(pba.opts.hnp, b->hnp, sizeof(pba.opts.hnp));
	}
	if (status == MH_ST_TIMESTAMP_MISMATCH) {
		/* Section 5.5: carry the LMA's current time. */
		pba.opts.present |= MH_F_TIMESTAMP;
		pba.opts.timestamp = l->clock(l->clock_arg);
	}
	ssize_t n = mh_build(&pba, NULL, NULL, buf, sizeof(buf));
	if (n < 0) {
		log_warnx("lma: cannot build PBA: %s", strerror((int)-n));
		l->st.tx_err++;
		return;
	}
	if (!l->send || l->send(l->send_arg, dst, buf, (size_t)n) < 0) {
		l->st.tx_err++;
		return;
	}
	l->st.tx_pba++;
	l->st.status[status]++;
	if (status == MH_ST_ACCEPTED)
		l->st.tx_pba_accepted++;
	else
		l->st.tx_pba_rejected++;
}

static void
lma_reject(struct lma *l, const struct in6_addr *src, const struct mh_msg *m,
	   uint8_t status, const char *why)
{
	char a[INET6_ADDRSTRLEN];
	log_info("lma: PBU from %s for %s refused: %s (%u, %s)",
		 addr_str(src, a),
		 (m->opts.present & MH_F_MNID) ? m->opts.mnid : "?",
		 why ? why : "", status, mh_status_name(status));
	lma_send_pba(l, src, m, status, 0, NULL);
}

/* Section 5.3.5: lifetime 0. */
static void
lma_dereg(struct lma *l, struct lma_ctx *c, ev_time_t t0, ev_time_t tv)
{
	struct bce *b = c->bce;
	char a[INET6_ADDRSTRLEN];

	if (!b) {
		lma_send_pba(l, c->src, c->pbu, MH_ST_ACCEPTED, 0, NULL);
		return;
	}
	if (!IN6_ARE_ADDR_EQUAL(&b->proxy_coa, c->src)) {
		/* Only the serving MAG may end the session; the request is
		 * ignored, the PBA lets the old MAG clean up. */
		log_info("bce %s: de-registration from %s ignored (served by "
			 "another MAG)",
			 b->nai, addr_str(c->src, a));
		l->st.dereg_not_serving++;
		lma_send_pba(l, c->src, c->pbu, MH_ST_ACCEPTED, 0, b);
		return;
	}
	b->timestamp = c->pbu->opts.timestamp;
	b->seq = c->pbu->bu.seq;
	ev_time_t tb = ev_now();
	tstat_add(&l->t[LMA_T_BCE], tb - tv);
	if (!lma_buffering(l, b) || lma_dp_hold(l, b) < 0)
		lma_dp_remove(l, b);
	ev_time_t td = ev_now();
	tstat_add(&l->t[LMA_T_DP], td - tb);
	bce_set_state(b, BCE_DEREG, "de-registration from the serving MAG");
	b->expires = ev_now() + EV_MS(l->conf->MinDelayBeforeBCEDelete);
	ev_timer_at(l->ev, &b->timer, b->expires);
	l->st.dereg++;
	lma_send_pba(l, c->src, c->pbu, MH_ST_ACCEPTED, 0, b);
	ev_time_t te = ev_now();
	tstat_add(&l->t[LMA_T_SEND], te - td);
	tstat_add(&l->t[LMA_T_DEREG], te - t0);
}

static void
lma_pbu(struct lma *l, const struct in6_addr *src, const struct mh_msg *m,
	ev_time_t t0)
{
	struct lma_ctx c = {.src = src, .pbu = m};
	char a[INET6_ADDRSTRLEN];

	l->st.rx_pbu++;
	if (!(m->bu.flags & MH_BU_P)) {
		/* A plain Mobile IPv6 BU: we are no home agent. */
		l->st.rx_not_proxy++;
		lma_reject(l, src, m, MH_ST_PROHIBITED, "no P flag");
		return;
	}
	uint8_t st = lma_validate(l, &c);
	ev_time_t tv = ev_now();
	tstat_add(&l->t[LMA_T_VALIDATE], tv - t0);
	if (st != MH_ST_ACCEPTED) {
		lma_reject(l, src, m, st, c.why);
		return;
	}
	uint32_t req = (uint32_t)m->bu.lifetime * 4;
	if (req == 0) {
		lma_dereg(l, &c, t0, tv);
		return;
	}
	uint32_t granted =
	    req < l->conf->lifetime_s ? req : l->conf->lifetime_s;
	enum lma_step kind = LMA_T_REFRESH;
	struct bce *b = c.bce;
	struct in6_addr old_coa = IN6ADDR_ANY_INIT;
	int old_installed = 0;
	if (!b) {
		b = bce_create(&l->bc, m->opts.mnid);
		if (!b) {
			lma_reject(l, src, m, MH_ST_INSUFFICIENT_RESOURCES,
				   "out of memory");
			return;
		}
		b->owner = l;
		ev_timer_init(&b->timer, lma_bce_timer, b);
		const struct mh_prefix *set =
		    c.zero_hnp ? c.prof->hnp : m->opts.hnp;
		unsigned n = c.zero_hnp ? c.prof->n_hnp : m->opts.n_hnp;
		if (bce_set_prefixes(&l->bc, b, set, n) < 0) {
			bce_delete(&l->bc, b);
			lma_reject(l, src, m, MH_ST_INSUFFICIENT_RESOURCES,
				   "out of memory");
			return;
		}
		b->proxy_coa = *src;
		b->registered = t0;
		kind = LMA_T_FIRST;
		log_info("bce %s: created for MAG %s", b->nai,
			 addr_str(src, a));
	} else if (!IN6_ARE_ADDR_EQUAL(&b->proxy_coa, src)) {
		/* Section 5.3.4: same session, new serving MAG. */
		log_info("bce %s: handover to MAG %s", b->nai,
			 addr_str(src, a));
		/* Make before break: the new route replaces the old one,
		 * then the old tunnel's reference goes (see below). */
		old_coa = b->proxy_coa;
		old_installed = b->dp_installed;
		b->dp_installed = 0;
		b->proxy_coa = *src;
		b->n_handover++;
		kind = LMA_T_HANDOVER;
	} else if (b->state == BCE_DEREG) {
		/* Back at the same MAG within MinDelayBeforeBCEDelete. */
		kind = LMA_T_HANDOVER;
	}
	b->timestamp = m->opts.timestamp;
	b->seq = m->bu.seq;
	b->att = m->opts.att;
	b->hi = m->opts.hi;
	if (m->opts.present & MH_F_LLA)
		b->lla = m->opts.lla;
	b->llid_len = (m->opts.present & MH_F_MNLLID) ? m->opts.llid_len : 0;
	memcpy(b->llid, m->opts.llid, b->llid_len);
	b->lifetime_s = granted;
	b->refreshed = t0;
	b->n_reg++;
	ev_time_t tb = ev_now();
	tstat_add(&l->t[LMA_T_BCE], tb - tv);
	if (!b->dp_installed &&
	    (b->dp_held ? lma_dp_resume(l, b) : lma_dp_install(l, b)) < 0) {
		/* No route means no service: refuse rather than lie.  An
		 * existing session is kept for MinDelayBeforeBCEDelete so a
		 * retry can still continue it. */
		if (old_installed) {
			/* The old route still points at the old MAG. */
			b->proxy_coa = old_coa;
			b->dp_installed = 1;
			lma_dp_remove(l, b);
			b->proxy_coa = *src;
		}
		if (kind == LMA_T_FIRST) {
			ev_timer_cancel(l->ev, &b->timer);
			bce_delete(&l->bc, b);
		} else {
			bce_set_state(b, BCE_DEREG, "data plane failed");
			b->expires =
			    ev_now() + EV_MS(l->conf->MinDelayBeforeBCEDelete);
			ev_timer_at(l->ev, &b->timer, b->expires);
		}
		lma_reject(l, src, m, MH_ST_INSUFFICIENT_RESOURCES,
			   "data plane failed");
		return;
	}
	if (old_installed && dp_tunnel_put(l->dp, &old_coa) < 0)
		l->st.dp_err++;
	ev_time_t td = ev_now();
	tstat_add(&l->t[LMA_T_DP], td - tb);
	bce_set_state(b, BCE_ACTIVE,
		      kind == LMA_T_FIRST     ? "registered"
		      : kind == LMA_T_REFRESH ? "lifetime extended"
					      : "re-registered via a MAG");
	b->expires = t0 + EV_S(granted);
	ev_timer_at(l->ev, &b->timer, b->expires);
	switch (kind) {
	case LMA_T_FIRST:
		l->st.reg_first++;
		break;
	case LMA_T_HANDOVER:
		l->st.reg_handover++;
		break;
	default:
		l->st.reg_refresh++;
		break;
	}
	lma_send_pba(l, src, m, MH_ST_ACCEPTED, granted, b);
	ev_time_t te = ev_now();
	tstat_add(&l->t[LMA_T_SEND], te - td);
	tstat_add(&l->t[kind], te - t0);
}

/* RFC 5847 section 5.2: answer a Heartbeat request. */
static void
lma_heartbeat(struct lma *l, const struct in6_addr *src, const struct mh_msg *m)
{
	struct mh_msg r;
	uint8_t buf[64];

	l->st.rx_hb++;
	if (m->hb.flags & MH_HB_R)
		return; /* we send no requests yet */
	memset(&r, 0, sizeof(r));
	r.type = MH_TYPE_HB;
	r.hb.flags = MH_HB_R;
	r.hb.seq = m->hb.seq;
	r.opts.present = MH_F_RESTART_COUNTER;
	r.opts.restart_counter = 0;
	ssize_t n = mh_build(&r, NULL, NULL, buf, sizeof(buf));
	if (n < 0 || !l->send ||
	    l->send(l->send_arg, src, buf, (size_t)n) < 0) {
		l->st.tx_err++;
		return;
	}
	l->st.tx_hb++;
}

void
lma_recv(struct lma *l, const struct in6_addr *src, const struct in6_addr *dst,
	 const uint8_t *buf, size_t len)
{
	ev_time_t t0 = ev_now();
	struct mh_msg m;
	const char *why = NULL;
	char a[INET6_ADDRSTRLEN];

	l->st.rx_mh++;
	if (dst && !IN6_ARE_ADDR_EQUAL(dst, &l->conf->addr)) {
		l->st.rx_not_for_us++;
		return;
	}
	if (mh_parse(buf, len, &m, &why) < 0) {
		l->st.rx_malformed++;
		log_debug("lma: malformed MH from %s: %s", addr_str(src, a),
			  why ? why : "?");
		return;
	}
	switch (m.type) {
	case MH_TYPE_BU:
		lma_pbu(l, src, &m, t0);
		break;
	case MH_TYPE_HB:
		lma_heartbeat(l, src, &m);
		break;
	default:
		l->st.rx_unexpected++;
		break;
	}
}

static void
json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(out, "\\u%04x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

void
lma_dump_bc(const struct lma *l, FILE *out, int json)
{
	ev_time_t now = ev_now();
	char a[INET6_ADDRSTRLEN];

	if (json)
		fprintf(out, "{\"bindings\":[");
	else
		fprintf(out, "%-28s %-7s %-26s %-28s %8s %5s %4s\n", "MN",
			"STATE", "PREFIXES", "SERVING MAG", "LEFT(s)", "REGS",
			"HO");
	for (const struct bce *b = bce_first(&l->bc); b; b = bce_next(b)) {
		double left = (double)(b->expires - now) / 1e9;
		if (json) {
			fprintf(out, "%s{\"mn\":",
				b == bce_first(&l->bc) ? "" : ",");
			json_str(out, b->nai);
			fprintf(out,
				",\"id\":%u,\"state\":\"%s\",\"prefixes\":[",
				b->id, bce_state_name(b->state));
			for (unsigned i = 0; i < b->n_hnp; i++)
				fprintf(out, "%s\"%s/%u\"", i ? "," : "",
					addr_str(&b->hnp[i].prefix, a),
					b->hnp[i].len);
			fprintf(out,
				"],\"serving_mag\":\"%s\",\"lifetime\":%u,"
				"\"left_s\":%.3f,\"timestamp\":%" PRIu64
				",\"seq\":%u,\"att\":%u,\"hi\":%u,"
				"\"registrations\":%u,\"handovers\":%u,"
				"\"age_s\":%.3f}",
				addr_str(&b->proxy_coa, a), b->lifetime_s, left,
				b->timestamp, b->seq, b->att, b->hi, b->n_reg,
				b->n_handover,
				(double)(now - b->registered) / 1e9);
		} else {
			char pfx[64];
			snprintf(pfx, sizeof(pfx), "%s/%u%s",
				 b->n_hnp ? addr_str(&b->hnp[0].prefix, a)
					  : "-",
				 b->n_hnp ? b->hnp[0].len : 0,
				 b->n_hnp > 1 ? ",..." : "");
			fprintf(out, "%-28s %-7s %-26s ", b->nai,
				bce_state_name(b->state), pfx);
			fprintf(out, "%-28s %8.1f %5u %4u\n",
				addr_str(&b->proxy_coa, a), left, b->n_reg,
				b->n_handover);
		}
	}
	if (json)
		fprintf(out, "],\"count\":%u,\"bytes_per_binding\":%zu}\n",
			bce_count(&l->bc), bce_mem_per_entry(&l->bc));
	else
		fprintf(out, "%u binding(s)\n", bce_count(&l->bc));
}

void
lma_dump_stats(const struct lma *l, FILE *out, int json)
{
	const uint64_t *v = (const uint64_t *)&l->st;
	size_t n = sizeof(lma_counter_names) / sizeof(lma_counter_names[0]);

	if (json) {
		fprintf(out, "{\"counters\":{");
		for (size_t i = 0; i < n; i++)
			fprintf(out, "%s\"%s\":%" PRIu64, i ? "," : "",
				lma_counter_names[i], v[i]);
		fprintf(out, "},\"pba_status\":{");
		int first = 1;
		for (int s = 0; s < 256; s++) {
			if (!l->st.status[s])
				continue;
			fprintf(out, "%s\"%d\":%" PRIu64, first ? "" : ",", s,
				l->st.status[s]);
			first = 0;
		}
		fprintf(out, "},\"timing_us\":{");
		for (int i = 0; i < LMA_T_MAX; i++) {
			struct tstat_summary s;
			tstat_summary(&l->t[i], &s);
			fprintf(out,
				"%s\"%s\":{\"count\":%" PRIu64
				",\"min\":%.3f,\"median\":%.3f,\"p99\":%.3f,"
				"\"max\":%.3f,\"mean\":%.3f}",
				i ? "," : "", l->t[i].name, s.count, s.min_us,
				s.median_us, s.p99_us, s.max_us, s.mean_us);
		}
		fprintf(out, "},\"buffer\":{");
		hbuf_dump_totals_json(&l->hb, out);
		fprintf(out, "}}\n");
		return;
	}
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%-52s %12" PRIu64 "\n", lma_counter_descr[i],
			v[i]);
	for (int s = 0; s < 256; s++)
		if (l->st.status[s])
			fprintf(out,
				"PBAs with status %3d %-32s %12" PRIu64 "\n", s,
				mh_status_name((unsigned)s), l->st.status[s]);
	hbuf_dump_totals_text(&l->hb, out);
	fprintf(out, "\n%-32s %8s %10s %10s %10s %10s\n", "step (us)", "count",
		"min", "median", "p99", "max");
	for (int i = 0; i < LMA_T_MAX; i++) {
		struct tstat_summary s;
		tstat_summary(&l->t[i], &s);
		fprintf(out, "%-32s %8" PRIu64 " %10.1f %10.1f %10.1f %10.1f\n",
			l->t[i].name, s.count, s.min_us, s.median_us, s.p99_us,
			s.max_us);
	}
}

void
lma_dump_buffers(const struct lma *l, FILE *out, int json)
{
	hbuf_dump(&l->hb, out, json);
}
