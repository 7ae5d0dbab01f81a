/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * MAG role logic (RFC 5213 section 6) with injected send functions, an
 * injected wall clock and the recording data plane: attach detection,
 * the PBU's contents, PBA matching, the RA, retransmission backoff,
 * detachment (carrier, NUD), refresh, rejection, Heartbeat, and hostile
 * input.  Timers run for real on small timeouts.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/neighbour.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dp.h"
#include "ev.h"
#include "mag.h"
#include "mh.h"
#include "nd.h"

#define MAG_ADDR "2001:db8:ffff::11"
#define LMA_ADDR "2001:db8:ffff::1"
#define MN_LL "fe80::1"
#define ACC_IF 7
#define MAX_SENT 64

static const uint8_t MN1_MAC[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t MN2_MAC[6] = {0x02, 0, 0, 0, 0, 0x02};
static const uint8_t ROGUE_MAC[6] = {0x02, 0, 0, 0, 0, 0x66};

struct sent {
	ev_time_t at;
	int ifindex;
	struct in6_addr dst;
	uint8_t buf[MH_MAX_LEN];
	size_t len;
};

struct fx {
	struct conf conf;
	struct conf_access access[1];
	struct conf_mn mn[2];
	struct ev *ev;
	struct dp dp;
	struct mag mag;
	uint64_t now_ts;
	unsigned n_mh, n_nd;
	struct sent mh[MAX_SENT];
	struct sent nd[MAX_SENT];
};

static struct in6_addr
A(const char *s) {
	struct in6_addr a;
	assert_int_equal(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

static struct mh_prefix
P(const char *s, uint8_t len) {
	struct mh_prefix p = {.prefix = A(s), .len = len};
	return p;
}

static int
fx_send_mh(void *arg, const struct in6_addr *dst, const uint8_t *buf,
	   size_t len)
{
	struct fx *f = arg;
	if (f->n_mh >= MAX_SENT)
		return 0; /* hostile-input runs answer Heartbeats */
	struct sent *s = &f->mh[f->n_mh++];
	s->at = ev_now();
	s->dst = *dst;
	assert_true(len <= sizeof(s->buf));
	memcpy(s->buf, buf, len);
	s->len = len;
	return 0;
}

static int
fx_send_nd(void *arg, int ifindex, const struct in6_addr *dst,
	   const uint8_t *buf, size_t len)
{
	struct fx *f = arg;
	if (f->n_nd >= MAX_SENT)
		return 0; /* long runs of periodic messages */
	struct sent *s = &f->nd[f->n_nd++];
	s->at = ev_now();
	s->ifindex = ifindex;
	s->dst = *dst;
	assert_true(len <= sizeof(s->buf));
	memcpy(s->buf, buf, len);
	s->len = len;
	return 0;
}

static uint64_t
fx_clock(void *arg)
{
	return ((struct fx *)arg)->now_ts;
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	conf_defaults(&f->conf);
	f->conf.role = ROLE_MAG;
	f->conf.addr = A(MAG_ADDR);
	f->conf.dataplane = DP_FAKE;
	f->conf.InitialBindackTimeoutFirstReg = 20;
	f->conf.MaxBindackTimeout = 160;
	f->conf.detach_methods = DETACH_LINK;
	snprintf(f->access[0].ifname, sizeof(f->access[0].ifname), "pmiptest0");
	f->access[0].att = 3;
	f->conf.access = f->access;
	f->conf.n_access = 1;
	snprintf(f->mn[0].nai, sizeof(f->mn[0].nai), "mn1@example.org");
	memcpy(f->mn[0].lladdr, MN1_MAC, 6);
	f->mn[0].lma = A(LMA_ADDR);
	/* mn2: no LMA of its own and no default_lma */
	snprintf(f->mn[1].nai, sizeof(f->mn[1].nai), "mn2@example.org");
	memcpy(f->mn[1].lladdr, MN2_MAC, 6);
	f->conf.mn = f->mn;
	f->conf.n_mn = 2;

	f->ev = ev_new();
	assert_non_null(f->ev);
	dp_fake_reset();
	assert_int_equal(dp_open_ops(&f->dp, &dp_fake_ops, &f->conf, f->ev), 0);
	assert_int_equal(mag_init(&f->mag, &f->conf, f->ev, &f->dp), 0);
	f->mag.access[0].ifindex = ACC_IF; /* no such interface here */
	f->mag.send_mh = fx_send_mh;
	f->mag.send_nd = fx_send_nd;
	f->mag.io_arg = f;
	f->mag.timestamp = fx_clock;
	f->mag.ts_arg = f;
	f->now_ts = (uint64_t)1700000000 << 16;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	mag_fini(&f->mag);
	dp_close(&f->dp);
	ev_free(f->ev);
	free(f);
	return 0;
}

static void
run_ms(struct fx *f, int ms)
{
	ev_time_t end = ev_now() + EV_MS(ms);
	while (ev_now() < end)
		ev_run_once(f->ev, 2);
}

static void
rs_from(struct fx *f, const uint8_t *mac, const char *src, int hoplimit)
{
	uint8_t buf[64];
	struct in6_addr s = A(src), d = A("ff02::2");
	ssize_t n = nd_build_rs(mac, &s, &d, buf, sizeof(buf));
	assert_true(n > 0);
	mag_recv_nd(&f->mag, ACC_IF, &s, &d, hoplimit, buf, (size_t)n);
}

static void
mh_at(const struct fx *f, unsigned i, struct mh_msg *m)
{
	const char *why = NULL;
	assert_true(i < f->n_mh);
	assert_int_equal(mh_parse(f->mh[i].buf, f->mh[i].len, m, &why), 0);
}

static void
last_pbu(const struct fx *f, struct mh_msg *m)
{
	assert_true(f->n_mh > 0);
	mh_at(f, f->n_mh - 1, m);
	assert_int_equal(m->type, MH_TYPE_BU);
}

static void
pba_ex(struct fx *f, const char *src, const char *nai, uint16_t seq,
       uint8_t status, uint16_t lifetime, const struct mh_prefix *hnp,
       unsigned n_hnp, uint64_t ts)
{
	struct mh_msg m;
	uint8_t buf[MH_MAX_LEN];
	struct in6_addr s = A(src), d = A(MAG_ADDR);

	memset(&m, 0, sizeof(m));
	m.type = MH_TYPE_BA;
	m.ba.status = status;
	m.ba.flags = MH_BA_P;
	m.ba.seq = seq;
	m.ba.lifetime = lifetime;
	m.opts.present =
	    MH_F_MNID | MH_F_HI | MH_F_ATT | MH_F_MNLLID | MH_F_TIMESTAMP;
	snprintf(m.opts.mnid, sizeof(m.opts.mnid), "%s", nai);
	m.opts.n_hnp = n_hnp;
	if (n_hnp)
		memcpy(m.opts.hnp, hnp, n_hnp * sizeof(*hnp));
	m.opts.hi = MH_HI_UNKNOWN;
	m.opts.att = 3;
	m.opts.llid_len = 6;
	memcpy(m.opts.llid, MN1_MAC, 6);
	m.opts.timestamp = ts;
	ssize_t n = mh_build(&m, NULL, NULL, buf, sizeof(buf));
	assert_true(n > 0);
	mag_recv_mh(&f->mag, &s, &d, buf, (size_t)n);
}

static const struct mh_prefix *
hnps(void)
{
	static struct mh_prefix p[2];
	p[0] = P("2001:db8:1:1::", 64);
	p[1] = P("2001:db8:1:2::", 64);
	return p;
}

static void
pba(struct fx *f, uint16_t seq, uint8_t status)
{
	pba_ex(f, LMA_ADDR, "mn1@example.org", seq, status, 900, hnps(), 2,
	       f->now_ts);
}

static struct bul *
mn1(struct fx *f)
{
	return bul_by_nai(&f->mag.bul, "mn1@example.org");
}

/* RS from mn1, matching PBA: REGISTERED with two prefixes. */
static void
register_mn1(struct fx *f)
{
	struct mh_msg m;
	rs_from(f, MN1_MAC, MN_LL, 255);
	last_pbu(f, &m);
	pba(f, m.bu.seq, 0);
	assert_non_null(mn1(f));
	assert_int_equal(mn1(f)->state, BUL_REGISTERED);
}

static void
test_rs_known_mn_sends_pbu(void **state)
{
	struct fx *f = *state;
	struct mh_msg m;
	struct in6_addr lma = A(LMA_ADDR);

	rs_from(f, MN1_MAC, MN_LL, 255);
	assert_int_equal(f->n_mh, 1);
	assert_memory_equal(&f->mh[0].dst, &lma, sizeof(lma));
	last_pbu(f, &m);
	assert_int_equal(m.bu.flags, MH_BU_A | MH_BU_H | MH_BU_P);
	assert_int_equal(m.bu.lifetime, 3600 / 4);
	uint32_t want = MH_F_MNID | MH_F_HI | MH_F_ATT | MH_F_MNLLID |
			MH_F_LLA | MH_F_TIMESTAMP;
	assert_int_equal(m.opts.present & want, want);
	assert_string_equal(m.opts.mnid, "mn1@example.org");
	/* ALL_ZERO HNP: the LMA assigns (RFC 5213 6.9.1.1) */
	assert_int_equal(m.opts.n_hnp, 1);
	assert_int_equal(m.opts.hnp[0].len, 0);
	assert_true(IN6_IS_ADDR_UNSPECIFIED(&m.opts.hnp[0].prefix));
	assert_int_equal(m.opts.hi, MH_HI_UNKNOWN);
	assert_int_equal(m.opts.att, 3);
	assert_int_equal(m.opts.llid_len, 6);
	assert_memory_equal(m.opts.llid, MN1_MAC, 6);
	assert_memory_equal(
	    &m.opts.lla, &f->conf.FixedMAGLinkLocalAddressOnAllAccessLinks, 16);
	assert_true(m.opts.timestamp == f->now_ts);

	struct bul *b = mn1(f);
	assert_non_null(b);
	assert_int_equal(b->state, BUL_REGISTERING);
	assert_int_equal(b->trigger, BUL_TRIG_RS);
	assert_int_equal(b->ifindex, ACC_IF);
	assert_int_equal(f->mag.stats.pbu_sent, 1);
	assert_int_equal(f->mag.t_trigger_pbu.count, 1);

	/* A second RS while registering sends nothing new. */
	rs_from(f, MN1_MAC, MN_LL, 255);
	assert_int_equal(f->n_mh, 1);
}

static void
test_rs_dropped_and_counted(void **state)
{
	struct fx *f = *state;
	uint8_t buf[64];
	struct in6_addr s = A(MN_LL), d = A("ff02::2");

	rs_from(f, ROGUE_MAC, MN_LL, 255);
	assert_int_equal(f->mag.stats.rs_unknown_mn, 1);
	rs_from(f, MN1_MAC, MN_LL, 64);
	assert_int_equal(f->mag.stats.nd_hoplimit, 1);
	ssize_t n = nd_build_rs(NULL, &s, &d, buf, sizeof(buf));
	assert_true(n > 0);
	mag_recv_nd(&f->mag, ACC_IF, &s, &d, 255, buf, (size_t)n);
	assert_int_equal(f->mag.stats.rs_no_sllao, 1);
	mag_recv_nd(&f->mag, ACC_IF, &s, &d, 255, buf, 4);
	assert_int_equal(f->mag.stats.rs_malformed, 1);
	mag_recv_nd(&f->mag, ACC_IF + 1, &s, &d, 255, buf, (size_t)n);
	assert_int_equal(f->mag.stats.nd_not_access, 1);
	/* mn2 has no LMA: error, nothing sent */
	rs_from(f, MN2_MAC, MN_LL, 255);
	assert_int_equal(f->mag.stats.attach_no_lma, 1);
	assert_int_equal(f->n_mh, 0);
	assert_int_equal(bul_count(&f->mag.bul), 0);
}

static void
test_pba_accepted_sends_ra(void **state)
{
	struct fx *f = *state;
	struct nd_ra ra;
	const char *why = NULL;
	struct in6_addr ll = A(MN_LL);
	char line[DP_FAKE_LINE];

	register_mn1(f);
	assert_int_equal(f->n_nd, 1);
	assert_int_equal(f->nd[0].ifindex, ACC_IF);
	assert_memory_equal(&f->nd[0].dst, &ll, 16);
	assert_int_equal(nd_parse_ra(f->nd[0].buf, f->nd[0].len, &ra, &why), 0);
	assert_int_equal(ra.n_prefix, 2);
	for (unsigned i = 0; i < 2; i++) {
		assert_memory_equal(&ra.prefix[i].prefix, &hnps()[i].prefix,
				    16);
		assert_int_equal(ra.prefix[i].len, 64);
		assert_int_equal(ra.prefix[i].flags,
				 ND_PI_F_ONLINK | ND_PI_F_AUTO);
		assert_true(ra.prefix[i].valid <= 3600 &&
			    ra.prefix[i].valid >= 3590);
		assert_true(ra.prefix[i].preferred <= ra.prefix[i].valid);
	}
	assert_int_equal(ra.mtu, 1460);
	assert_true(ra.has_sllao);
	assert_memory_equal(
	    ra.sllao, f->conf.FixedMAGLinkLayerAddressOnAllAccessLinks, 6);
	assert_int_equal(ra.router_lifetime, 9);

	assert_int_equal(dp_fake_has("tunnel_add " LMA_ADDR), 1);
	snprintf(line, sizeof(line),
		 "mag_mn_add 2001:db8:1:1::/64,2001:db8:1:2::/64 via %s dev %d",
		 LMA_ADDR, ACC_IF);
	assert_int_equal(dp_fake_has(line), 1);
	assert_int_equal(dp_tunnel_refs(&f->dp, &mn1(f)->lma), 1);
	assert_int_equal(f->mag.stats.pba_accepted, 1);
	assert_int_equal(f->mag.t_pba_ra_reg.count, 1);
	assert_int_equal(f->mag.t_reg_total.count, 1);
	/* No retransmission once answered; the RA is repeated twice at
	 * 50 ms (initial advertisements), then only every ra_interval. */
	run_ms(f, 60);
	assert_int_equal(f->n_mh, 1);
	assert_int_equal(f->n_nd, 2);
	run_ms(f, 60);
	assert_int_equal(f->n_nd, 3);
	run_ms(f, 60);
	assert_int_equal(f->n_nd, 3);
	/* An RS now is answered with an RA at once. */
	rs_from(f, MN1_MAC, MN_LL, 255);
	assert_int_equal(f->n_nd, 4);
	assert_int_equal(f->n_mh, 1);
}

static void
test_pba_unmatched_and_duplicate(void **state)
{
	struct fx *f = *state;
	struct mh_msg m;
	uint8_t junk[16] = {59, 5, 6, 0}; /* Header Len says 48 */
	struct in6_addr s = A(LMA_ADDR), d = A(MAG_ADDR);

	rs_from(f, MN1_MAC, MN_LL, 255);
	last_pbu(f, &m);
	pba(f, (uint16_t)(m.bu.seq + 5), 0);
	assert_int_equal(f->mag.stats.pba_unmatched, 1);
	pba_ex(f, "2001:db8:ffff::66", "mn1@example.org", m.bu.seq, 0, 900,
	       hnps(), 2, f->now_ts);
	assert_int_equal(f->mag.stats.pba_unmatched, 2);
	pba_ex(f, LMA_ADDR, "nobody@example.org", m.bu.seq, 0, 900, hnps(), 2,
	       f->now_ts);
	assert_int_equal(f->mag.stats.pba_unmatched, 3);
	assert_int_equal(mn1(f)->state, BUL_REGISTERING);
	assert_int_equal(f->n_nd, 0);

	pba(f, m.bu.seq, 0);
	assert_int_equal(mn1(f)->state, BUL_REGISTERED);
	assert_int_equal(f->n_nd, 1);
	pba(f, m.bu.seq, 0);
	assert_int_equal(f->mag.stats.pba_dup_late, 1);
	assert_int_equal(f->n_nd, 1);
	assert_int_equal(dp_fake_has("tunnel_add " LMA_ADDR), 1);

	mag_recv_mh(&f->mag, &s, &d, junk, sizeof(junk));
	assert_int_equal(f->mag.stats.mh_malformed, 1);
}

static void
test_retransmission_backoff(void **state)
{
	struct fx *f = *state;
	const int want[] = {20, 40, 80};
	struct mh_msg m0, m;

	f->mag.failed_hold_ms = 400;
	rs_from(f, MN1_MAC, MN_LL, 255);
	run_ms(f, 520);
	/*
	 * Waits of 20, 40, 80 and 160 ms (MaxBindackTimeout); when the
	 * wait of 160 ms is over unanswered, give up: 4 transmissions.
	 */
	assert_int_equal(f->n_mh, 4);
	mh_at(f, 0, &m0);
	for (unsigned i = 1; i < 4; i++) {
		ev_time_t gap = f->mh[i].at - f->mh[i - 1].at;
		assert_true(gap >= EV_MS(want[i - 1]));
		assert_true(gap < EV_MS(want[i - 1] + 40));
		mh_at(f, i, &m);
		assert_int_equal(m.bu.seq, (uint16_t)(m0.bu.seq + i));
	}
	assert_int_equal(f->mag.stats.pbu_rtx, 3);
	assert_int_equal(f->mag.stats.pbu_giveup, 1);
	assert_non_null(mn1(f));
	assert_int_equal(mn1(f)->state, BUL_FAILED);
	/* A late PBA for the first transmission is ignored. */
	pba(f, m0.bu.seq, 0);
	assert_int_equal(f->mag.stats.pba_dup_late, 1);
	run_ms(f, 250);
	assert_null(mn1(f));
}

static void
test_late_pba_of_earlier_transmission_accepted(void **state)
{
	struct fx *f = *state;
	struct mh_msg m0;

	rs_from(f, MN1_MAC, MN_LL, 255);
	mh_at(f, 0, &m0);
	run_ms(f, 70);
	assert_true(f->n_mh >= 2);
	/* The PBA answers the first transmission of the exchange. */
	pba(f, m0.bu.seq, 0);
	assert_int_equal(mn1(f)->state, BUL_REGISTERED);
}

static void
test_no_retransmission_after_detach(void **state)
{
	struct fx *f = *state;

	rs_from(f, MN1_MAC, MN_LL, 255);
	assert_int_equal(f->n_mh, 1);
	mag_link_event(&f->mag, ACC_IF, 0);
	run_ms(f, 200);
	assert_int_equal(f->n_mh, 1);
	assert_null(mn1(f));
	assert_int_equal(f->mag.stats.reg_abandoned, 1);
}

static void
test_link_down_deregisters(void **state)
{
	struct fx *f = *state;
	struct mh_msg m;
	char line[DP_FAKE_LINE];
	struct in6_addr lma = A(LMA_ADDR);

	register_mn1(f);
	unsigned nd = f->n_nd;
	mag_link_event(&f->mag, ACC_IF + 3, 0); /* not ours */
	assert_int_equal(f->n_mh, 1);
	mag_link_event(&f->mag, ACC_IF, 0);
	assert_int_equal(f->n_mh, 2);
	last_pbu(f, &m);
	assert_int_equal(m.bu.lifetime, 0);
	assert_int_equal(m.bu.flags, MH_BU_A | MH_BU_H | MH_BU_P);
	assert_int_equal(m.opts.n_hnp, 2);
	assert_memory_equal(&m.opts.hnp[0].prefix, &hnps()[0].prefix, 16);
	assert_memory_equal(&m.opts.hnp[1].prefix, &hnps()[1].prefix, 16);
	assert_string_equal(m.opts.mnid, "mn1@example.org");
	assert_int_equal(mn1(f)->state, BUL_DEREG);
	snprintf(line, sizeof(line),
		 "mag_mn_del 2001:db8:1:1::/64,2001:db8:1:2::/64 via %s dev %d",
		 LMA_ADDR, ACC_IF);
	assert_int_equal(dp_fake_has(line), 1);
	assert_int_equal(dp_tunnel_refs(&f->dp, &lma) <= 0, 1);
	assert_int_equal(f->mag.stats.detach_link, 1);
	assert_int_equal(f->mag.t_detach_pbu.count, 1);
	/* No more RAs. */
	run_ms(f, 30);
	assert_int_equal(f->n_nd, nd);
	pba_ex(f, LMA_ADDR, "mn1@example.org", m.bu.seq, 0, 0, hnps(), 2,
	       f->now_ts);
	assert_null(mn1(f));
	assert_int_equal(f->mag.stats.dereg_done, 1);
	assert_int_equal(f->mag.t_pba_dereg.count, 1);
}

static void
test_dereg_then_back(void **state)
{
	struct fx *f = *state;
	struct mh_msg m;

	register_mn1(f);
	mag_link_event(&f->mag, ACC_IF, 0);
	assert_int_equal(mn1(f)->state, BUL_DEREG);
	mag_link_event(&f->mag, ACC_IF, 1);
	rs_from(f, MN1_MAC, MN_LL, 255);
	assert_int_equal(mn1(f)->state, BUL_REGISTERING);
	last_pbu(f, &m);
	assert_int_equal(m.bu.lifetime, 900);
	assert_int_equal(m.opts.n_hnp, 2);
	pba(f, m.bu.seq, 0);
	assert_int_equal(mn1(f)->state, BUL_REGISTERED);
	assert_int_equal(dp_tunnel_refs(&f->dp, &mn1(f)->lma), 1);
}

static void
test_nud_failure_deregisters(void **state)
{
	struct fx *f = *state;
	struct nd_ns ns;
	const char *why = NULL;
	struct in6_addr ll = A(MN_LL);
	struct mh_msg m;

	f->conf.detach_methods = DETACH_LINK | DETACH_NUD;
	f->mag.probe_interval_ms = 20;
	register_mn1(f);
	run_ms(f, 30);
	/* The RA, then a unicast NS probe to the MN's link-local. */
	assert_true(f->n_nd >= 2);
	assert_memory_equal(&f->nd[1].dst, &ll, 16);
	assert_int_equal(nd_parse_ns(f->nd[1].buf, f->nd[1].len, &ns, &why), 0);
	assert_memory_equal(&ns.target, &ll, 16);
	assert_true(ns.has_sllao);
	run_ms(f, 100);
	assert_int_equal(f->mag.stats.detach_nud, 1);
	assert_int_equal(mn1(f)->state, BUL_DEREG);
	last_pbu(f, &m);
	assert_int_equal(m.bu.lifetime, 0);
}

/* A Neighbor Advertisement from the MN for its link-local. */
static void
na_from_mn(struct fx *f)
{
	uint8_t na[24] = {ND_TYPE_NA, 0, 0, 0, ND_NA_F_SOLICITED};
	struct in6_addr ll = A(MN_LL), d = A("fe80::200:5eff:fe00:5213");
	memcpy(na + 8, &ll, 16);
	mag_recv_nd(&f->mag, ACC_IF, &ll, &d, 255, na, sizeof(na));
}

static void
test_nud_answered_keeps_binding(void **state)
{
	struct fx *f = *state;

	f->conf.detach_methods = DETACH_NUD;
	f->mag.probe_interval_ms = 20;
	register_mn1(f);
	ev_time_t end = ev_now() + EV_MS(200);
	while (ev_now() < end) {
		ev_run_once(f->ev, 5);
		na_from_mn(f);
	}
	assert_int_equal(mn1(f)->state, BUL_REGISTERED);
	assert_true(f->mag.stats.na_matched > 0);
	assert_int_equal(f->mag.stats.detach_nud, 0);
}

static void
test_dad_probe(void **state)
{
	struct fx *f = *state;
	struct nd_ns ns;
	const char *why = NULL;
	struct in6_addr ll = A(MN_LL), snm;

	f->conf.detach_methods = DETACH_DAD;
	f->mag.probe_interval_ms = 20;
	register_mn1(f);
	run_ms(f, 30);
	assert_true(f->n_nd >= 2);
	nd_solicited_node(&ll, &snm);
	assert_memory_equal(&f->nd[1].dst, &snm, 16);
	assert_int_equal(nd_parse_ns(f->nd[1].buf, f->nd[1].len, &ns, &why), 0);
	assert_memory_equal(&ns.target, &ll, 16);
	assert_false(ns.has_sllao);
	run_ms(f, 100);
	assert_int_equal(f->mag.stats.detach_dad, 1);
}

static void
test_refresh_before_expiry(void **state)
{
	struct fx *f = *state;
	struct mh_msg m;
	struct bul *b;

	f->conf.lifetime_s = 8;
	rs_from(f, MN1_MAC, MN_LL, 255);
	last_pbu(f, &m);
	assert_int_equal(m.bu.lifetime, 2);
	pba_ex(f, LMA_ADDR, "mn1@example.org", m.bu.seq, 0, 2, hnps(), 2,
	       f->now_ts);
	b = mn1(f);
	assert_int_equal(b->state, BUL_REGISTERED);
	assert_int_equal(b->lifetime_s, 8);
	/* Refresh armed at 80% of 8 s, before expiry. */
	assert_true(ev_timer_armed(&b->life_timer));
	ev_time_t at = b->life_timer.when - b->refreshed;
	assert_true(at == EV_MS(6400));
	assert_true(b->life_timer.when < b->expires);
	/* Bring the refresh forward. */
	ev_timer_after(f->ev, &b->life_timer, 0);
	run_ms(f, 5);
	assert_int_equal(b->state, BUL_REFRESHING);
	last_pbu(f, &m);
	assert_int_equal(m.opts.hi, MH_HI_NOT_CHANGED);
	assert_int_equal(m.bu.lifetime, 2);
	assert_int_equal(m.opts.n_hnp, 2);
	unsigned nd = f->n_nd;
	pba_ex(f, LMA_ADDR, "mn1@example.org", m.bu.seq, 0, 2, hnps(), 2,
	       f->now_ts);
	assert_int_equal(b->state, BUL_REGISTERED);
	assert_int_equal(f->n_nd, nd + 1);
	assert_int_equal(f->mag.t_pba_ra_ref.count, 1);
	assert_int_equal(dp_fake_has("tunnel_add " LMA_ADDR), 1);
}

static void
test_error_status_fails(void **state)
{
	struct fx *f = *state;
	struct mh_msg m;

	f->mag.failed_hold_ms = 30;
	rs_from(f, MN1_MAC, MN_LL, 255);
	last_pbu(f, &m);
	pba_ex(f, LMA_ADDR, "mn1@example.org", m.bu.seq,
	       MH_ST_NOT_LMA_FOR_THIS_MN, 0, NULL, 0, f->now_ts);
	assert_int_equal(mn1(f)->state, BUL_FAILED);
	assert_int_equal(f->n_nd, 0);
	assert_int_equal(dp_fake_count(), 1); /* "open" only */
	assert_int_equal(f->mag.stats.pba_rejected, 1);
	rs_from(f, MN1_MAC, MN_LL, 255);
	assert_int_equal(f->mag.stats.attach_ignored, 1);
	assert_int_equal(f->n_mh, 1);
	run_ms(f, 60);
	assert_null(mn1(f));
	/* After the hold time an RS starts afresh. */
	rs_from(f, MN1_MAC, MN_LL, 255);
	assert_int_equal(f->n_mh, 2);
}

static void
test_timestamp_mismatch_retry(void **state)
{
	struct fx *f = *state;
	struct mh_msg m;
	uint64_t lma_ts = f->now_ts + ((uint64_t)1000 << 16);

	rs_from(f, MN1_MAC, MN_LL, 255);
	last_pbu(f, &m);
	pba_ex(f, LMA_ADDR, "mn1@example.org", m.bu.seq,
	       MH_ST_TIMESTAMP_MISMATCH, 0, NULL, 0, lma_ts);
	assert_int_equal(f->mag.stats.pba_ts_retry, 1);
	assert_int_equal(f->n_mh, 2);
	last_pbu(f, &m);
	assert_true(m.opts.timestamp == lma_ts);
	/* Only once per exchange. */
	pba_ex(f, LMA_ADDR, "mn1@example.org", m.bu.seq,
	       MH_ST_TIMESTAMP_MISMATCH, 0, NULL, 0, lma_ts);
	assert_int_equal(mn1(f)->state, BUL_FAILED);
}

static void
test_heartbeat_answered(void **state)
{
	struct fx *f = *state;
	struct mh_msg m, r;
	uint8_t buf[64];
	struct in6_addr lma = A(LMA_ADDR), rogue = A("2001:db8:ffff::66"),
			d = A(MAG_ADDR);

	memset(&m, 0, sizeof(m));
	m.type = MH_TYPE_HB;
	m.hb.seq = 77;
	ssize_t n = mh_build(&m, NULL, NULL, buf, sizeof(buf));
	assert_true(n > 0);
	mag_recv_mh(&f->mag, &lma, &d, buf, (size_t)n);
	assert_int_equal(f->n_mh, 1);
	assert_memory_equal(&f->mh[0].dst, &lma, 16);
	mh_at(f, 0, &r);
	assert_int_equal(r.type, MH_TYPE_HB);
	assert_int_equal(r.hb.flags, MH_HB_R);
	assert_int_equal(r.hb.seq, 77);
	assert_true(r.opts.present & MH_F_RESTART_COUNTER);
	assert_int_equal(r.opts.restart_counter, f->mag.restart_counter);
	mag_recv_mh(&f->mag, &rogue, &d, buf, (size_t)n);
	assert_int_equal(f->n_mh, 1);
	assert_int_equal(f->mag.stats.hb_unknown_peer, 1);
}

static void
test_neighbour_attach(void **state)
{
	struct fx *f = *state;
	struct in6_addr ll = A(MN_LL);

	mag_neigh_event(&f->mag, ACC_IF + 1, MN1_MAC, &ll, NUD_REACHABLE);
	assert_int_equal(f->n_mh, 0);
	mag_neigh_event(&f->mag, ACC_IF, ROGUE_MAC, &ll, NUD_STALE);
	assert_int_equal(f->n_mh, 0);
	mag_neigh_event(&f->mag, ACC_IF, MN1_MAC, &ll, NUD_STALE);
	assert_int_equal(f->n_mh, 1);
	assert_int_equal(mn1(f)->trigger, BUL_TRIG_NEIGH);
	assert_memory_equal(&mn1(f)->mn_ll, &ll, 16);
	assert_int_equal(f->mag.stats.neigh_attach, 1);
}

/* Access point association / disassociation events (pmipctl l2). */
static void
test_l2_events(void **state)
{
	struct fx *f = *state;
	struct mh_msg m;

	assert_int_equal(mag_l2_event(&f->mag, ACC_IF + 1, MN1_MAC, 1),
			 -ENODEV);
	assert_int_equal(mag_l2_event(&f->mag, ACC_IF, ROGUE_MAC, 1), -ENOENT);
	assert_int_equal(f->n_mh, 0);
	/* A disassociation of a station we do not serve changes nothing. */
	assert_int_equal(mag_l2_event(&f->mag, ACC_IF, MN1_MAC, 0), 0);
	assert_int_equal(f->n_mh, 0);
	assert_null(mn1(f));

	assert_int_equal(mag_l2_event(&f->mag, ACC_IF, MN1_MAC, 1), 0);
	assert_int_equal(f->n_mh, 1);
	assert_int_equal(mn1(f)->trigger, BUL_TRIG_AP);
	assert_string_equal(bul_trigger_name(mn1(f)->trigger), "ap");
	last_pbu(f, &m);
	assert_int_equal(m.bu.lifetime, 3600 / 4);
	pba(f, m.bu.seq, 0);
	assert_int_equal(mn1(f)->state, BUL_REGISTERED);
	assert_int_equal(f->mag.stats.l2_attach, 1);

	/* Disassociation: de-registration, as for carrier down. */
	assert_int_equal(mag_l2_event(&f->mag, ACC_IF, MN1_MAC, 0), 0);
	assert_int_equal(mn1(f)->state, BUL_DEREG);
	assert_int_equal(f->n_mh, 2);
	last_pbu(f, &m);
	assert_int_equal(m.bu.lifetime, 0);
	assert_int_equal(f->mag.stats.l2_detach, 2);

	/* Associated again before the de-registration completed. */
	assert_int_equal(mag_l2_event(&f->mag, ACC_IF, MN1_MAC, 1), 0);
	assert_int_equal(mn1(f)->state, BUL_REGISTERING);
	assert_int_equal(mn1(f)->trigger, BUL_TRIG_AP);
	assert_int_equal(f->n_mh, 3);
	last_pbu(f, &m);
	assert_int_equal(m.bu.lifetime, 3600 / 4);
}

/* The frame trigger (AF_PACKET): known MAC, unknown MAC, rate limit. */
static void
test_frame_trigger(void **state)
{
	struct fx *f = *state;
	struct mh_msg m;

	/* Not an access interface; not in the policy store. */
	mag_frame_event(&f->mag, ACC_IF + 1, MN1_MAC);
	mag_frame_event(&f->mag, ACC_IF, ROGUE_MAC);
	assert_int_equal(f->n_mh, 0);
	assert_null(mn1(f));
	assert_int_equal(f->mag.stats.frame_rx, 1);

	mag_frame_event(&f->mag, ACC_IF, MN1_MAC);
	assert_int_equal(f->n_mh, 1);
	assert_int_equal(mn1(f)->state, BUL_REGISTERING);
	assert_string_equal(bul_trigger_name(mn1(f)->trigger), "frame");
	assert_int_equal(f->mag.stats.frame_attach, 1);
	/* More frames while registering / registered: nothing. */
	mag_frame_event(&f->mag, ACC_IF, MN1_MAC);
	assert_int_equal(f->n_mh, 1);
	last_pbu(f, &m);
	pba(f, m.bu.seq, 0);
	assert_int_equal(mn1(f)->state, BUL_REGISTERED);
	assert_int_equal(mn1(f)->trigger, BUL_TRIG_FRAME);
	unsigned n = f->n_mh;
	mag_frame_event(&f->mag, ACC_IF, MN1_MAC);
	assert_int_equal(f->n_mh, n);
	assert_int_equal(f->mag.stats.frame_attach, 1);
	assert_int_equal(f->mag.stats.frame_ratelimited, 0);

	/* Left (disassociation): its frames are no trigger while the AP
	 * says it is gone, however long... */
	assert_int_equal(mag_l2_event(&f->mag, ACC_IF, MN1_MAC, 0), 0);
	assert_int_equal(mn1(f)->state, BUL_DEREG);
	f->mag.frame_hold_ms = 20;
	mag_frame_event(&f->mag, ACC_IF, MN1_MAC);
	run_ms(f, 30);
	mag_frame_event(&f->mag, ACC_IF, MN1_MAC);
	assert_int_equal(mn1(f)->state, BUL_DEREG);
	assert_int_equal(f->mag.stats.frame_attach, 1);
	assert_int_equal(f->mag.stats.attach_gone, 2);
	/* ... and other MNs' frames still are (MN2 has no LMA). */
	mag_frame_event(&f->mag, ACC_IF, MN2_MAC);
	assert_int_equal(f->mag.stats.attach_no_lma, 1);
	f->mag.stats.attach_no_lma = 0;
	f->mag.stats.frame_attach--; /* (MN2's, for the counts below) */
	/* A new link (carrier change) forgets what the AP said: a frame
	 * within the hold is ignored, one after it brings the MN back. */
	mag_link_event(&f->mag, ACC_IF, 0);
	mag_link_event(&f->mag, ACC_IF, 1);
	assert_int_equal(f->mag.access[0].gone.n, 0);
	f->mag.frame_hold_ms = 1000;
	mag_frame_event(&f->mag, ACC_IF, MN1_MAC);
	assert_int_equal(f->mag.stats.frame_ratelimited, 1);
	f->mag.frame_hold_ms = 20;
	run_ms(f, 30);
	n = f->n_mh;
	uint64_t fa = f->mag.stats.frame_attach;
	mag_frame_event(&f->mag, ACC_IF, MN1_MAC);
	assert_int_equal(mn1(f)->state, BUL_REGISTERING);
	assert_int_equal(mn1(f)->trigger, BUL_TRIG_FRAME);
	assert_int_equal(f->n_mh, n + 1);
	assert_int_equal(f->mag.stats.frame_attach, fa + 1);

	/* Rejected: FAILED hold, frames are not triggers. */
	last_pbu(f, &m);
	pba(f, m.bu.seq, 129);
	assert_int_equal(mn1(f)->state, BUL_FAILED);
	run_ms(f, 30);
	n = f->n_mh;
	uint64_t ignored = f->mag.stats.attach_ignored;
	mag_frame_event(&f->mag, ACC_IF, MN1_MAC);
	assert_int_equal(f->n_mh, n);
	assert_int_equal(mn1(f)->state, BUL_FAILED);
	assert_int_equal(f->mag.stats.frame_attach, 2);
	assert_int_equal(f->mag.stats.attach_ignored, ignored);

	/* Carrier down on the link: frames are stale, ignored. */
	f->mag.access[0].carrier = 0;
	mag_frame_event(&f->mag, ACC_IF, MN2_MAC);
	assert_int_equal(f->mag.stats.attach_no_lma, 0);
	f->mag.access[0].carrier = 1;
	mag_frame_event(&f->mag, ACC_IF, MN2_MAC);
	assert_int_equal(f->mag.stats.attach_no_lma, 1);
}

/* Frames from a served MN after unanswered probes: it was away and is
 * back (maybe registered elsewhere meanwhile): a new PBU exchange. */
static void
test_frame_after_missed_probes(void **state)
{
	struct fx *f = *state;
	struct mh_msg m;

	register_mn1(f);
	unsigned n = f->n_mh;
	mag_frame_event(&f->mag, ACC_IF, MN1_MAC);
	assert_int_equal(f->n_mh, n);
	mn1(f)->probes_missed = 1;
	mag_frame_event(&f->mag, ACC_IF, MN1_MAC);
	assert_int_equal(f->n_mh, n + 1);
	assert_int_equal(mn1(f)->state, BUL_REFRESHING);
	assert_int_equal(mn1(f)->trigger, BUL_TRIG_FRAME);
	assert_int_equal(mn1(f)->probes_missed, 0);
	last_pbu(f, &m);
	assert_int_equal(m.bu.lifetime, 3600 / 4);
	pba(f, m.bu.seq, 0);
	assert_int_equal(mn1(f)->state, BUL_REGISTERED);
	assert_int_equal(f->mag.stats.frame_attach, 1);
}

/* A classic BPF interpreter for the instructions mag_frame_prog uses. */
static unsigned
run_bpf(const struct sock_filter *p, size_t n, const uint8_t *pkt, size_t len,
	unsigned pkttype)
{
	uint32_t a = 0;
	size_t pc = 0;

	while (pc < n) {
		const struct sock_filter *f = &p[pc++];
		uint32_t k = f->k;
		switch (f->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (k == (uint32_t)(SKF_AD_OFF + SKF_AD_PKTTYPE)) {
				a = pkttype;
				break;
			}
			if (k + 4 > len)
				return 0;
			a = (uint32_t)pkt[k] << 24 |
			    (uint32_t)pkt[k + 1] << 16 |
			    (uint32_t)pkt[k + 2] << 8 | pkt[k + 3];
			break;
		case BPF_LD | BPF_H | BPF_ABS:
			if (k + 2 > len)
				return 0;
			a = (uint32_t)pkt[k] << 8 | pkt[k + 1];
			break;
		case BPF_LD | BPF_B | BPF_ABS:
			if (k + 1 > len)
				return 0;
			a = pkt[k];
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			pc += a == k ? f->jt : f->jf;
			break;
		case BPF_JMP | BPF_JGT | BPF_K:
			pc += a > k ? f->jt : f->jf;
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			pc += a >= k ? f->jt : f->jf;
			break;
		case BPF_RET | BPF_K:
			return k;
		default:
			fail_msg("unexpected BPF code %#x", f->code);
		}
	}
	fail_msg("BPF program ran off its end");
	return 0;
}

/* An Ethernet frame from src: IPv6, next header nh, ICMPv6 type t. */
static size_t
frame(uint8_t *buf, const uint8_t src[6], uint8_t nh, uint8_t t)
{
	memset(buf, 0, 64);
	buf[0] = 0x02; /* to the MAG */
	memcpy(buf + 6, src, 6);
	buf[12] = 0x86;
	buf[13] = 0xdd;
	buf[14] = 0x60;
	buf[14 + 6] = nh;
	buf[14 + 40] = t;
	return 64;
}

static unsigned
verdict(const struct mag_access *acc, const uint8_t src[6], uint8_t nh,
	uint8_t t, unsigned pkttype)
{
	struct sock_filter prog[MAG_FRAME_PROG_MAX];
	uint8_t buf[64];
	size_t n = mag_frame_prog(acc, prog, MAG_FRAME_PROG_MAX), len;

	assert_true(n > 0 && n <= MAG_FRAME_PROG_MAX);
	len = frame(buf, src, nh, t);
	return run_bpf(prog, n, buf, len, pkttype);
}

/*
 * The frame socket's filter: frames of an MN served on the link are
 * dropped in the kernel (no wake-up per packet) until anything changes
 * for it; ND, MLD and outgoing frames always are.
 */
static void
test_frame_filter(void **state)
{
	struct fx *f = *state;
	const struct mag_access *acc = &f->mag.access[0];

	assert_int_equal(acc->quiet.n, 0);
	assert_int_equal(verdict(acc, MN1_MAC, 17, 0, PACKET_HOST), ETH_HLEN);
	assert_int_equal(verdict(acc, MN1_MAC, 58, 128, PACKET_HOST), ETH_HLEN);
	assert_int_equal(verdict(acc, MN1_MAC, 58, 133, PACKET_HOST), 0);
	assert_int_equal(verdict(acc, MN1_MAC, 58, 137, PACKET_HOST), 0);
	assert_int_equal(verdict(acc, MN1_MAC, 0, 0, PACKET_MULTICAST), 0);
	assert_int_equal(verdict(acc, MN1_MAC, 17, 0, PACKET_OUTGOING), 0);

	register_mn1(f);
	/* Its first frame as a served MN quiets it; others still pass. */
	mag_frame_event(&f->mag, ACC_IF, MN1_MAC);
	assert_int_equal(acc->quiet.n, 1);
	mag_frame_event(&f->mag, ACC_IF, MN1_MAC);
	assert_int_equal(acc->quiet.n, 1);
	assert_int_equal(verdict(acc, MN1_MAC, 17, 0, PACKET_HOST), 0);
	assert_int_equal(verdict(acc, MN1_MAC, 58, 128, PACKET_HOST), 0);
	assert_int_equal(verdict(acc, MN2_MAC, 17, 0, PACKET_HOST), ETH_HLEN);
	/* A MAC differing in the last two bytes only is not quieted. */
	const uint8_t near[6] = {0x02, 0, 0, 0, 0x01, 0x01};
	assert_int_equal(verdict(acc, near, 17, 0, PACKET_HOST), ETH_HLEN);

	/* Left: its frames are triggers again. */
	assert_int_equal(mag_l2_event(&f->mag, ACC_IF, MN1_MAC, 0), 0);
	assert_int_equal(acc->quiet.n, 0);
	assert_int_equal(verdict(acc, MN1_MAC, 17, 0, PACKET_HOST), ETH_HLEN);
}

/* A missed probe brings the MN's frames back to the daemon. */
static void
test_frame_filter_probe(void **state)
{
	struct fx *f = *state;
	const struct mag_access *acc = &f->mag.access[0];

	f->conf.detach_methods = DETACH_LINK | DETACH_NUD;
	f->mag.probe_interval_ms = 20;
	register_mn1(f);
	mag_frame_event(&f->mag, ACC_IF, MN1_MAC);
	assert_int_equal(acc->quiet.n, 1);
	/* Probes go out every 20 ms; the first one goes unanswered. */
	run_ms(f, 50);
	assert_true(mn1(f)->probes_missed > 0);
	assert_int_equal(mn1(f)->state, BUL_REGISTERED);
	assert_int_equal(acc->quiet.n, 0);
	assert_int_equal(verdict(acc, MN1_MAC, 17, 0, PACKET_HOST), ETH_HLEN);
}

/* return_to_lma: the sink of dp_send() while the test runs. */
struct sent_back {
	unsigned n;
	struct in6_addr peer;
	uint8_t last;
};

static int
sent_back(void *arg, const struct in6_addr *peer, const uint8_t *pkt,
	  size_t len)
{
	struct sent_back *sb = arg;
	sb->peer = *peer;
	sb->last = pkt[len - 1];
	sb->n++;
	return 0;
}

/* A downlink packet for mn1's prefix carrying tag as its last byte. */
static int
offer_down(uint8_t tag)
{
	uint8_t p[48] = {0x60, 0, 0, 0, 0, 8, 17, 64};
	struct in6_addr d = A("2001:db8:1:2::5");
	memcpy(p + 24, &d, 16);
	p[47] = tag;
	return dp_fake_offer(NULL, p, sizeof(p));
}

/*
 * return_to_lma: the MN left; what still arrives for it is held until
 * the LMA acknowledges the de-registration (before that it would bounce
 * between the LMA and us), then sent back to the LMA, in order, and only
 * then is the entry deleted.
 */
static void
test_return_held_until_dereg_ack(void **state)
{
	struct fx *f = *state;
	struct sent_back sb = {0};
	struct mh_msg m;

	f->conf.return_to_lma = 1;
	dp_fake_set_sink(sent_back, &sb);
	register_mn1(f);
	assert_int_equal(mag_l2_event(&f->mag, ACC_IF, MN1_MAC, 0), 0);
	assert_int_equal(mn1(f)->state, BUL_DEREG);
	assert_int_equal(
	    dp_fake_has("mag_mn_hold 2001:db8:1:1::/64,2001:db8:1:2::/64 "
			"via " LMA_ADDR),
	    1);
	assert_int_equal(f->mag.stats.returned, 1);
	for (uint8_t i = 1; i <= 3; i++)
		assert_int_equal(offer_down(i), 1);
	run_ms(f, 5);
	assert_int_equal(sb.n, 0); /* nothing goes back before the PBA */
	last_pbu(f, &m);
	assert_int_equal(m.bu.lifetime, 0);
	pba(f, m.bu.seq, 0);
	run_ms(f, 20);
	assert_int_equal(sb.n, 3);
	assert_int_equal(sb.last, 3);
	struct in6_addr lma = A(LMA_ADDR);
	assert_memory_equal(&sb.peer, &lma, 16);
	assert_int_equal(f->mag.stats.held_returned, 3);
	assert_null(mn1(f)); /* deleted once drained */
	dp_fake_set_sink(NULL, NULL);
}

/*
 * The kernel moved the MN's packets to the hold point (its access link
 * lost carrier) before the daemon processed the carrier event: the
 * queue starts with the first of them and they go back in order.
 */
static void
test_return_held_before_detach(void **state)
{
	struct fx *f = *state;
	struct sent_back sb = {0};
	struct mh_msg m;

	f->conf.return_to_lma = 1;
	dp_fake_set_sink(sent_back, &sb);
	register_mn1(f);
	assert_int_equal(offer_down(1), 1); /* REGISTERED: held at once */
	assert_int_equal(offer_down(2), 1);
	assert_int_equal(mag_l2_event(&f->mag, ACC_IF, MN1_MAC, 0), 0);
	assert_int_equal(offer_down(3), 1);
	last_pbu(f, &m);
	pba(f, m.bu.seq, 0);
	run_ms(f, 20);
	assert_int_equal(sb.n, 3);
	assert_int_equal(sb.last, 3);
	assert_null(mn1(f));
	dp_fake_set_sink(NULL, NULL);
}

/*
 * Reported disassociated: the MN's RS (it may still be heard for a
 * moment) attaches nothing until the AP reports it associated again.
 */
static void
test_gone_until_associated(void **state)
{
	struct fx *f = *state;
	struct mh_msg m;

	register_mn1(f);
	assert_int_equal(mag_l2_event(&f->mag, ACC_IF, MN1_MAC, 0), 0);
	last_pbu(f, &m);
	pba(f, m.bu.seq, 0); /* de-registered */
	assert_null(mn1(f));
	rs_from(f, MN1_MAC, MN_LL, 255);
	assert_null(mn1(f));
	assert_int_equal(f->mag.stats.attach_gone, 1);
	assert_int_equal(mag_l2_event(&f->mag, ACC_IF, MN1_MAC, 1), 0);
	assert_non_null(mn1(f));
	assert_int_equal(mn1(f)->state, BUL_REGISTERING);
	assert_int_equal(mn1(f)->trigger, BUL_TRIG_AP);
	assert_int_equal(f->mag.access[0].gone.n, 0);
}

/* Without return_to_lma the hook takes nothing. */
static void
test_no_return_no_hold(void **state)
{
	struct fx *f = *state;

	register_mn1(f);
	assert_int_equal(offer_down(1), 0);
}

/* Nothing held: the entry goes at the PBA, as without return_to_lma. */
static void
test_return_nothing_held(void **state)
{
	struct fx *f = *state;
	struct mh_msg m;

	f->conf.return_to_lma = 1;
	register_mn1(f);
	assert_int_equal(mag_l2_event(&f->mag, ACC_IF, MN1_MAC, 0), 0);
	last_pbu(f, &m);
	pba(f, m.bu.seq, 0);
	assert_null(mn1(f));
}

static void
test_dumps(void **state)
{
	struct fx *f = *state;
	char *buf = NULL;
	size_t len = 0;
	FILE *out;

	register_mn1(f);
	out = open_memstream(&buf, &len);
	mag_dump_bul(&f->mag, out, 1);
	fclose(out);
	assert_true(buf[0] == '{');
	assert_non_null(strstr(buf, "\"state\":\"REGISTERED\""));
	assert_non_null(strstr(buf, "\"trigger\":\"rs\""));
	assert_non_null(strstr(buf, "2001:db8:1:2::/64"));
	free(buf);
	out = open_memstream(&buf, &len);
	mag_dump_bul(&f->mag, out, 0);
	fclose(out);
	assert_non_null(strstr(buf, "REGISTERED"));
	free(buf);
	out = open_memstream(&buf, &len);
	mag_dump_stats(&f->mag, out, 1);
	fclose(out);
	assert_non_null(strstr(buf, "\"pbu_sent\":1"));
	assert_non_null(strstr(buf, "\"pba_to_ra_registration\":{\"count\":1"));
	free(buf);
	out = open_memstream(&buf, &len);
	mag_dump_stats(&f->mag, out, 0);
	fclose(out);
	assert_non_null(strstr(buf, "pba_accepted"));
	free(buf);
}

static void
test_hostile_input(void **state)
{
	struct fx *f = *state;
	uint8_t buf[256];
	struct in6_addr lma = A(LMA_ADDR), d = A(MAG_ADDR), ll = A(MN_LL),
			all = A("ff02::2");
	unsigned seed = 1;

	register_mn1(f);
	for (int i = 0; i < 5000; i++) {
		size_t len = (size_t)(rand_r(&seed) % sizeof(buf));
		for (size_t k = 0; k < len; k++)
			buf[k] = (uint8_t)rand_r(&seed);
		/* Plausible headers now and then. */
		if (i % 3 == 0 && len >= 8) {
			buf[0] = 59;
			buf[1] = (uint8_t)(len / 8 - 1);
			buf[2] = (uint8_t)(i % 2 ? MH_TYPE_BA : MH_TYPE_HB);
		}
		mag_recv_mh(&f->mag, &lma, &d, buf, len);
		if (len > 0)
			buf[0] = (uint8_t)(i % 2 ? ND_TYPE_RS : ND_TYPE_NA);
		if (len > 1)
			buf[1] = 0;
		mag_recv_nd(&f->mag, ACC_IF, &ll, &all, 255, buf, len);
	}
	assert_true(f->mag.stats.mh_malformed > 0);
	assert_non_null(mn1(f));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_rs_known_mn_sends_pbu, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_rs_dropped_and_counted, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_pba_accepted_sends_ra, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_pba_unmatched_and_duplicate,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_retransmission_backoff, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		test_late_pba_of_earlier_transmission_accepted, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(test_no_retransmission_after_detach,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_link_down_deregisters, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_dereg_then_back, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_nud_failure_deregisters, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_nud_answered_keeps_binding,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dad_probe, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refresh_before_expiry, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_error_status_fails, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_timestamp_mismatch_retry,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_heartbeat_answered, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_neighbour_attach, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_l2_events, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_return_held_until_dereg_ack,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_return_nothing_held, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_return_held_before_detach,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_return_no_hold, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_gone_until_associated, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_frame_filter, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_frame_filter_probe, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_frame_trigger, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_frame_after_missed_probes,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dumps, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hostile_input, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
