/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * LMA role logic (RFC 5213 section 5) against the recording data plane:
 * every status code an LMA sends, registration, refresh, handover,
 * de-registration, MinDelayBeforeBCEDelete and expiry.
 */
#include <arpa/inet.h>
#include <errno.h>
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
#include "lma.h"

#define LMA_ADDR "2001:db8:ffff::1"
#define MAG1 "2001:db8:ffff::11"
#define MAG2 "2001:db8:ffff::12"
#define ROGUE "2001:db8:ffff::66"

struct fx {
	struct conf conf;
	struct conf_peer mags[2];
	struct conf_mn mn[3];
	struct ev *ev;
	struct dp dp;
	struct lma lma;
	uint64_t now_ts;
	/* last message sent */
	struct in6_addr sent_to;
	uint8_t sent[MH_MAX_LEN];
	size_t sent_len;
	unsigned n_sent;
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

static void
assert_prefix(const struct mh_prefix *a, const struct mh_prefix *b)
{
	assert_int_equal(a->len, b->len);
	assert_memory_equal(&a->prefix, &b->prefix, sizeof(a->prefix));
}

static int
fx_send(void *arg, const struct in6_addr *dst, const uint8_t *buf, size_t len)
{
	struct fx *f = arg;
	f->sent_to = *dst;
	assert_true(len <= sizeof(f->sent));
	memcpy(f->sent, buf, len);
	f->sent_len = len;
	f->n_sent++;
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
	f->conf.role = ROLE_LMA;
	f->conf.addr = A(LMA_ADDR);
	f->conf.dataplane = DP_FAKE;
	f->conf.MinDelayBeforeBCEDelete = 50;
	snprintf(f->mags[0].name, sizeof(f->mags[0].name), "mag1");
	f->mags[0].addr = A(MAG1);
	snprintf(f->mags[1].name, sizeof(f->mags[1].name), "mag2");
	f->mags[1].addr = A(MAG2);
	f->conf.mags = f->mags;
	f->conf.n_mags = 2;
	/* mn1: two prefixes; mn2: one; mn3: served by another LMA. */
	snprintf(f->mn[0].nai, sizeof(f->mn[0].nai), "mn1@example.org");
	f->mn[0].hnp[0] = P("2001:db8:1:1::", 64);
	f->mn[0].hnp[1] = P("2001:db8:1:2::", 64);
	f->mn[0].n_hnp = 2;
	f->mn[0].lma = A(LMA_ADDR);
	snprintf(f->mn[1].nai, sizeof(f->mn[1].nai), "mn2@example.org");
	f->mn[1].hnp[0] = P("2001:db8:2:1::", 64);
	f->mn[1].n_hnp = 1;
	snprintf(f->mn[2].nai, sizeof(f->mn[2].nai), "mn3@example.org");
	f->mn[2].hnp[0] = P("2001:db8:3:1::", 64);
	f->mn[2].n_hnp = 1;
	f->mn[2].lma = A("2001:db8:ffff::2");
	f->conf.mn = f->mn;
	f->conf.n_mn = 3;

	f->ev = ev_new();
	assert_non_null(f->ev);
	dp_fake_reset();
	assert_int_equal(dp_open_ops(&f->dp, &dp_fake_ops, &f->conf, f->ev), 0);
	assert_int_equal(lma_init(&f->lma, &f->conf, f->ev, &f->dp), 0);
	f->lma.send = fx_send;
	f->lma.send_arg = f;
	f->lma.clock = fx_clock;
	f->lma.clock_arg = f;
	f->now_ts = (uint64_t)1800000000 << 16;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	lma_fini(&f->lma);
	dp_close(&f->dp);
	ev_free(f->ev);
	free(f);
	return 0;
}

/* A complete, valid PBU for mn1 asking for prefix assignment. */
static struct mh_msg
pbu(struct fx *f, const char *nai, uint16_t seq, uint16_t lifetime_units)
{
	struct mh_msg m;
	memset(&m, 0, sizeof(m));
	m.type = MH_TYPE_BU;
	m.bu.seq = seq;
	m.bu.flags = MH_BU_A | MH_BU_H | MH_BU_P;
	m.bu.lifetime = lifetime_units;
	m.opts.present =
	    MH_F_MNID | MH_F_HI | MH_F_ATT | MH_F_MNLLID | MH_F_TIMESTAMP;
	m.opts.mnid_subtype = MH_MNID_SUBTYPE_NAI;
	snprintf(m.opts.mnid, sizeof(m.opts.mnid), "%s", nai);
	m.opts.mnid_len = (uint8_t)strlen(nai);
	m.opts.n_hnp = 1; /* ALL_ZERO: ::/0 */
	m.opts.hi = MH_HI_UNKNOWN;
	m.opts.att = 3;
	m.opts.llid_len = 6;
	memcpy(m.opts.llid, "\x02\x00\x00\x00\x00\x01", 6);
	m.opts.timestamp = f->now_ts;
	return m;
}

/* Deliver m from src; return the parsed answer. */
static struct mh_msg
deliver(struct fx *f, const char *src, const struct mh_msg *m)
{
	uint8_t buf[MH_MAX_LEN];
	struct in6_addr s = A(src), d = A(LMA_ADDR);
	ssize_t n = mh_build(m, NULL, NULL, buf, sizeof(buf));
	assert_true(n > 0);
	unsigned before = f->n_sent;
	lma_recv(&f->lma, &s, &d, buf, (size_t)n);
	assert_int_equal(f->n_sent, before + 1);
	assert_memory_equal(&f->sent_to, &s, sizeof(s));
	struct mh_msg r;
	const char *why = NULL;
	assert_int_equal(mh_parse(f->sent, f->sent_len, &r, &why), 0);
	return r;
}

static uint8_t
status_of(struct fx *f, const char *src, const struct mh_msg *m)
{
	struct mh_msg r = deliver(f, src, m);
	assert_int_equal(r.type, MH_TYPE_BA);
	assert_true(r.ba.flags & MH_BA_P);
	assert_int_equal(r.ba.seq, m->bu.seq);
	return r.ba.status;
}

static void
test_first_registration(void **state)
{
	struct fx *f = *state;
	struct mh_msg m = pbu(f, "mn1@example.org", 7, 900);
	struct mh_msg r = deliver(f, MAG1, &m);

	assert_int_equal(r.type, MH_TYPE_BA);
	assert_int_equal(r.ba.status, MH_ST_ACCEPTED);
	assert_true(r.ba.flags & MH_BA_P);
	assert_int_equal(r.ba.seq, 7);
	/* Granted: min(requested 3600 s, configured 3600 s). */
	assert_int_equal(r.ba.lifetime, 900);
	/* Echoed options; the prefixes are the assigned ones. */
	assert_string_equal(r.opts.mnid, "mn1@example.org");
	assert_int_equal(r.opts.n_hnp, 2);
	assert_prefix(&r.opts.hnp[0], &f->mn[0].hnp[0]);
	assert_prefix(&r.opts.hnp[1], &f->mn[0].hnp[1]);
	assert_int_equal(r.opts.hi, MH_HI_UNKNOWN);
	assert_int_equal(r.opts.att, 3);
	assert_true(r.opts.present & MH_F_MNLLID);
	assert_int_equal(r.opts.timestamp, f->now_ts);

	struct bce *b = bce_by_nai(&f->lma.bc, "mn1@example.org");
	assert_non_null(b);
	assert_int_equal(b->state, BCE_ACTIVE);
	assert_ptr_equal(bce_by_prefix(&f->lma.bc, &f->mn[0].hnp[1]), b);
	assert_int_equal(dp_fake_has("tunnel_add " MAG1), 1);
	assert_int_equal(f->lma.st.reg_first, 1);
	assert_int_equal(f->lma.st.status[0], 1);
}

static void
test_lifetime_capped(void **state)
{
	struct fx *f = *state;
	f->conf.lifetime_s = 400;
	struct mh_msg m = pbu(f, "mn2@example.org", 1, 65535);
	struct mh_msg r = deliver(f, MAG1, &m);
	assert_int_equal(r.ba.status, 0);
	assert_int_equal(r.ba.lifetime, 100);
}

static void
test_status_160_missing_mnid(void **state)
{
	struct fx *f = *state;
	struct mh_msg m = pbu(f, "mn1@example.org", 1, 10);
	m.opts.present &= ~MH_F_MNID;
	assert_int_equal(status_of(f, MAG1, &m), MH_ST_MISSING_MNID);
}

static void
test_status_154_unknown_mag(void **state)
{
	struct fx *f = *state;
	struct mh_msg m = pbu(f, "mn1@example.org", 1, 10);
	assert_int_equal(status_of(f, ROGUE, &m), MH_ST_MAG_NOT_AUTHORIZED);
	assert_null(bce_by_nai(&f->lma.bc, "mn1@example.org"));
}

static void
test_status_152_unknown_mn(void **state)
{
	struct fx *f = *state;
	struct mh_msg m = pbu(f, "stranger@example.org", 1, 10);
	assert_int_equal(status_of(f, MAG1, &m), MH_ST_PROXY_REG_NOT_ENABLED);
}

static void
test_status_153_other_lma(void **state)
{
	struct fx *f = *state;
	struct mh_msg m = pbu(f, "mn3@example.org", 1, 10);
	assert_int_equal(status_of(f, MAG1, &m), MH_ST_NOT_LMA_FOR_THIS_MN);
}

static void
test_status_156_timestamp(void **state)
{
	struct fx *f = *state;
	struct mh_msg m = pbu(f, "mn1@example.org", 1, 10);
	/* 301 ms late with a 300 ms window. */
	m.opts.timestamp = f->now_ts - ((301ULL << 16) / 1000 + 1);
	struct mh_msg r = deliver(f, MAG1, &m);
	assert_int_equal(r.ba.status, MH_ST_TIMESTAMP_MISMATCH);
	/* Section 5.5: the PBA carries the LMA's current time. */
	assert_int_equal(r.opts.timestamp, f->now_ts);
	/* Missing timestamp while the timestamp approach is in use. */
	m = pbu(f, "mn1@example.org", 2, 10);
	m.opts.present &= ~MH_F_TIMESTAMP;
	assert_int_equal(status_of(f, MAG1, &m), MH_ST_TIMESTAMP_MISMATCH);
	/* Within the window (299 ms early) is accepted. */
	m = pbu(f, "mn1@example.org", 3, 10);
	m.opts.timestamp = f->now_ts + (299ULL << 16) / 1000;
	assert_int_equal(status_of(f, MAG1, &m), MH_ST_ACCEPTED);
}

static void
test_status_157_replay(void **state)
{
	struct fx *f = *state;
	struct mh_msg m = pbu(f, "mn1@example.org", 1, 10);
	assert_int_equal(status_of(f, MAG1, &m), MH_ST_ACCEPTED);
	/* The very same PBU again: a replay. */
	assert_int_equal(status_of(f, MAG1, &m),
			 MH_ST_TIMESTAMP_LOWER_THAN_PREV);
	m.opts.timestamp -= 10;
	assert_int_equal(status_of(f, MAG1, &m),
			 MH_ST_TIMESTAMP_LOWER_THAN_PREV);
	assert_int_equal(f->lma.st.reg_first, 1);
}

static void
test_status_158_161_162_missing_options(void **state)
{
	struct fx *f = *state;
	struct mh_msg m = pbu(f, "mn1@example.org", 1, 10);
	m.opts.n_hnp = 0;
	assert_int_equal(status_of(f, MAG1, &m), MH_ST_MISSING_HNP);
	m = pbu(f, "mn1@example.org", 2, 10);
	m.opts.present &= ~MH_F_HI;
	assert_int_equal(status_of(f, MAG1, &m), MH_ST_MISSING_HI);
	m = pbu(f, "mn1@example.org", 3, 10);
	m.opts.present &= ~MH_F_ATT;
	assert_int_equal(status_of(f, MAG1, &m), MH_ST_MISSING_ATT);
	assert_int_equal(bce_count(&f->lma.bc), 0);
}

static void
test_status_155_prefix(void **state)
{
	struct fx *f = *state;
	/* A prefix not in the MN's profile. */
	struct mh_msg m = pbu(f, "mn1@example.org", 1, 10);
	m.opts.hnp[0] = P("2001:db8:99::", 64);
	assert_int_equal(status_of(f, MAG1, &m), MH_ST_NOT_AUTHORIZED_FOR_HNP);
	/* Another MN's prefix, bound to that MN's session. */
	m = pbu(f, "mn2@example.org", 2, 10);
	assert_int_equal(status_of(f, MAG1, &m), MH_ST_ACCEPTED);
	m = pbu(f, "mn1@example.org", 3, 10);
	m.opts.timestamp++;
	m.opts.hnp[0] = f->mn[1].hnp[0];
	assert_int_equal(status_of(f, MAG1, &m), MH_ST_NOT_AUTHORIZED_FOR_HNP);
}

static void
test_status_159_prefix_set_mismatch(void **state)
{
	struct fx *f = *state;
	struct mh_msg m = pbu(f, "mn1@example.org", 1, 10);
	assert_int_equal(status_of(f, MAG1, &m), MH_ST_ACCEPTED);
	/* Refresh naming only one of the two assigned prefixes. */
	m = pbu(f, "mn1@example.org", 2, 10);
	m.opts.timestamp++;
	m.opts.hnp[0] = f->mn[0].hnp[0];
	assert_int_equal(status_of(f, MAG1, &m),
			 MH_ST_BCE_PBU_PREFIX_SET_DO_NOT_MATCH);
}

static void
test_status_129_not_proxy(void **state)
{
	struct fx *f = *state;
	struct mh_msg m = pbu(f, "mn1@example.org", 1, 10);
	m.bu.flags &= (uint16_t)~MH_BU_P;
	assert_int_equal(status_of(f, MAG1, &m), MH_ST_PROHIBITED);
	assert_int_equal(f->lma.st.rx_not_proxy, 1);
}

static void
test_status_130_dataplane_failure(void **state)
{
	struct fx *f = *state;
	dp_fake_fail("lma_route_add", -ENOMEM);
	struct mh_msg m = pbu(f, "mn1@example.org", 1, 10);
	assert_int_equal(status_of(f, MAG1, &m), MH_ST_INSUFFICIENT_RESOURCES);
	assert_null(bce_by_nai(&f->lma.bc, "mn1@example.org"));
	/* The tunnel reference taken before the failure was released. */
	assert_int_equal(dp_tunnel_refs(&f->dp, &f->mags[0].addr) <= 0, 1);
}

static void
test_refresh(void **state)
{
	struct fx *f = *state;
	struct mh_msg m = pbu(f, "mn1@example.org", 1, 10);
	assert_int_equal(status_of(f, MAG1, &m), MH_ST_ACCEPTED);
	m = pbu(f, "mn1@example.org", 2, 20);
	f->now_ts += 1 << 16;
	m.opts.timestamp = f->now_ts;
	m.opts.hi = MH_HI_NOT_CHANGED;
	m.opts.n_hnp = 2;
	m.opts.hnp[0] = f->mn[0].hnp[1]; /* order does not matter */
	m.opts.hnp[1] = f->mn[0].hnp[0];
	struct mh_msg r = deliver(f, MAG1, &m);
	assert_int_equal(r.ba.status, 0);
	assert_int_equal(r.ba.lifetime, 20);
	assert_int_equal(f->lma.st.reg_refresh, 1);
	/* One tunnel, one route installation: a refresh changes nothing. */
	assert_int_equal(dp_fake_has("tunnel_add " MAG1), 1);
	struct bce *b = bce_by_nai(&f->lma.bc, "mn1@example.org");
	assert_int_equal(b->lifetime_s, 80);
}

static void
test_dereg_only_from_serving_mag(void **state)
{
	struct fx *f = *state;
	struct mh_msg m = pbu(f, "mn1@example.org", 1, 10);
	assert_int_equal(status_of(f, MAG1, &m), MH_ST_ACCEPTED);
	/* MAG2 claims the MN left: ignored. */
	m = pbu(f, "mn1@example.org", 2, 0);
	f->now_ts += 100;
	m.opts.timestamp = f->now_ts;
	assert_int_equal(status_of(f, MAG2, &m), MH_ST_ACCEPTED);
	struct bce *b = bce_by_nai(&f->lma.bc, "mn1@example.org");
	assert_int_equal(b->state, BCE_ACTIVE);
	assert_int_equal(f->lma.st.dereg_not_serving, 1);
	/* MAG1 de-registers: kept for MinDelayBeforeBCEDelete, then gone. */
	m = pbu(f, "mn1@example.org", 3, 0);
	f->now_ts += 100;
	m.opts.timestamp = f->now_ts;
	struct mh_msg r = deliver(f, MAG1, &m);
	assert_int_equal(r.ba.status, 0);
	assert_int_equal(r.ba.lifetime, 0);
	assert_int_equal(b->state, BCE_DEREG);
	assert_int_equal(dp_fake_has("tunnel_del " MAG1), 0); /* lingers */
	ev_time_t end = ev_now() + EV_MS(2000);
	while (bce_by_nai(&f->lma.bc, "mn1@example.org") && ev_now() < end)
		ev_run_once(f->ev, 10);
	assert_null(bce_by_nai(&f->lma.bc, "mn1@example.org"));
	assert_int_equal(f->lma.st.bce_deleted, 1);
}

static void
test_handover_keeps_session(void **state)
{
	struct fx *f = *state;
	struct mh_msg m = pbu(f, "mn1@example.org", 1, 10);
	assert_int_equal(status_of(f, MAG1, &m), MH_ST_ACCEPTED);
	struct bce *b = bce_by_nai(&f->lma.bc, "mn1@example.org");
	uint32_t id = b->id;
	/* MAG1 de-registers, MAG2 registers within the window. */
	m = pbu(f, "mn1@example.org", 2, 0);
	f->now_ts += 100;
	m.opts.timestamp = f->now_ts;
	assert_int_equal(status_of(f, MAG1, &m), MH_ST_ACCEPTED);
	m = pbu(f, "mn1@example.org", 1, 10);
	f->now_ts += 100;
	m.opts.timestamp = f->now_ts;
	struct mh_msg r = deliver(f, MAG2, &m);
	assert_int_equal(r.ba.status, 0);
	assert_int_equal(r.opts.n_hnp, 2);
	assert_prefix(&r.opts.hnp[0], &f->mn[0].hnp[0]);
	b = bce_by_nai(&f->lma.bc, "mn1@example.org");
	assert_int_equal(b->id, id);
	assert_int_equal(b->state, BCE_ACTIVE);
	assert_memory_equal(&b->proxy_coa, &f->mags[1].addr, 16);
	assert_int_equal(dp_fake_has("tunnel_add " MAG2), 1);
	assert_int_equal(f->lma.st.reg_handover, 1);
	/* The delete timer was re-armed for the lifetime: still there. */
	for (int i = 0; i < 10; i++)
		ev_run_once(f->ev, 10);
	assert_non_null(bce_by_nai(&f->lma.bc, "mn1@example.org"));
}

static void
test_handover_without_dereg(void **state)
{
	struct fx *f = *state;
	struct mh_msg m = pbu(f, "mn1@example.org", 1, 10);
	assert_int_equal(status_of(f, MAG1, &m), MH_ST_ACCEPTED);
	/* MAG2 registers first, MAG1's late de-registration is ignored. */
	m = pbu(f, "mn1@example.org", 1, 10);
	f->now_ts += 100;
	m.opts.timestamp = f->now_ts;
	assert_int_equal(status_of(f, MAG2, &m), MH_ST_ACCEPTED);
	assert_int_equal(dp_fake_has("tunnel_add " MAG2), 1);
	/* Make before break: the route to MAG2 replaced the one to MAG1;
	 * it was never deleted in between. */
	for (unsigned i = 0; i < dp_fake_count(); i++)
		assert_null(strstr(dp_fake_line(i), "lma_route_del"));
	assert_int_equal(dp_tunnel_refs(&f->dp, &f->mags[1].addr), 1);
	assert_true(dp_tunnel_refs(&f->dp, &f->mags[0].addr) <= 0);
	m = pbu(f, "mn1@example.org", 9, 0);
	f->now_ts += 100;
	m.opts.timestamp = f->now_ts;
	assert_int_equal(status_of(f, MAG1, &m), MH_ST_ACCEPTED);
	struct bce *b = bce_by_nai(&f->lma.bc, "mn1@example.org");
	assert_int_equal(b->state, BCE_ACTIVE);
	assert_memory_equal(&b->proxy_coa, &f->mags[1].addr, 16);
}

static void
test_expiry(void **state)
{
	struct fx *f = *state;
	struct mh_msg m = pbu(f, "mn2@example.org", 1, 1);
	assert_int_equal(status_of(f, MAG1, &m), MH_ST_ACCEPTED);
	struct bce *b = bce_by_nai(&f->lma.bc, "mn2@example.org");
	/* Shorten the 4 s lifetime rather than wait for it. */
	ev_timer_after(f->ev, &b->timer, EV_MS(20));
	ev_time_t end = ev_now() + EV_MS(2000);
	while (bce_by_nai(&f->lma.bc, "mn2@example.org") && ev_now() < end)
		ev_run_once(f->ev, 10);
	assert_null(bce_by_nai(&f->lma.bc, "mn2@example.org"));
	assert_int_equal(f->lma.st.bce_expired, 1);
	assert_true(dp_fake_count() > 0);
}

static void
test_malformed_and_heartbeat(void **state)
{
	struct fx *f = *state;
	struct in6_addr s = A(MAG1), d = A(LMA_ADDR);
	const uint8_t junk[] = {59, 0, 5, 0, 0, 0, 0, 0, 0, 0};
	lma_recv(&f->lma, &s, &d, junk, sizeof(junk));
	lma_recv(&f->lma, &s, &d, junk, 3);
	assert_int_equal(f->lma.st.rx_malformed, 2);
	assert_int_equal(f->n_sent, 0);

	struct mh_msg hb;
	memset(&hb, 0, sizeof(hb));
	hb.type = MH_TYPE_HB;
	hb.hb.seq = 42;
	struct mh_msg r = deliver(f, MAG1, &hb);
	assert_int_equal(r.type, MH_TYPE_HB);
	assert_true(r.hb.flags & MH_HB_R);
	assert_int_equal(r.hb.seq, 42);
	assert_true(r.opts.present & MH_F_RESTART_COUNTER);
}

static void
test_dump_json(void **state)
{
	struct fx *f = *state;
	struct mh_msg m = pbu(f, "mn1@example.org", 1, 10);
	assert_int_equal(status_of(f, MAG1, &m), MH_ST_ACCEPTED);
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	lma_dump_bc(&f->lma, out, 1);
	lma_dump_stats(&f->lma, out, 0);
	fclose(out);
	assert_non_null(strstr(buf, "\"mn\":\"mn1@example.org\""));
	assert_non_null(strstr(buf, "\"serving_mag\":\"" MAG1 "\""));
	assert_non_null(strstr(buf, "2001:db8:1:2::/64"));
	free(buf);
}

/* ---- handover buffering ---- */

struct fx_sink {
	unsigned n;
	uint32_t last;
	int in_order;
	struct in6_addr peer;
};

static int
fx_sink_send(void *arg, const struct in6_addr *peer, const uint8_t *pkt,
	     size_t len)
{
	struct fx_sink *k = arg;
	uint32_t seq;
	memcpy(&seq, pkt + 40, 4);
	if (k->n && seq != k->last + 1)
		k->in_order = 0;
	k->last = seq;
	k->peer = *peer;
	k->n++;
	return 0;
}

/* A downlink packet to dst carrying seq, offered as a backend would. */
static int
fx_down(const char *dst, uint32_t seq)
{
	uint8_t p[100];
	struct in6_addr d = A(dst);
	memset(p, 0, sizeof(p));
	p[0] = 0x60;
	p[5] = sizeof(p) - 40;
	p[6] = 17;
	memcpy(p + 24, &d, 16);
	memcpy(p + 40, &seq, 4);
	return dp_fake_offer(NULL, p, sizeof(p));
}

static void
fx_dereg_mag1(struct fx *f)
{
	struct mh_msg m = pbu(f, "mn1@example.org", 1, 10);
	assert_int_equal(status_of(f, MAG1, &m), MH_ST_ACCEPTED);
	m = pbu(f, "mn1@example.org", 2, 0);
	f->now_ts += 100;
	m.opts.timestamp = f->now_ts;
	assert_int_equal(status_of(f, MAG1, &m), MH_ST_ACCEPTED);
}

static void
test_buffered_handover(void **state)
{
	struct fx *f = *state;
	struct fx_sink k = {.in_order = 1};
	uint32_t seq = 0;

	f->mn[0].buffering = 1;
	dp_fake_set_sink(fx_sink_send, &k);
	fx_dereg_mag1(f);
	struct bce *b = bce_by_nai(&f->lma.bc, "mn1@example.org");
	assert_int_equal(b->state, BCE_DEREG);
	assert_int_equal(b->dp_held, 1);
	assert_int_equal(dp_fake_has("lma_route_hold 2001:db8:1:1::/64,"
				     "2001:db8:1:2::/64 via " MAG1),
			 1);
	assert_int_equal(dp_fake_has("lma_route_del 2001:db8:1:1::/64,"
				     "2001:db8:1:2::/64 via " MAG1),
			 0);
	assert_int_equal(f->lma.st.buf_holds, 1);
	/* Downlink for both prefixes is held; other traffic is not. */
	for (; seq < 300; seq++)
		assert_int_equal(
		    fx_down(seq % 2 ? "2001:db8:1:2::9" : "2001:db8:1:1::9",
			    seq),
		    1);
	assert_int_equal(fx_down("2001:db8:2:1::9", 0), 0);
	assert_int_equal(f->lma.hb.total.buffered, 300);

	/* MAG2 registers: the prefixes stay held until the buffer drains. */
	struct mh_msg m = pbu(f, "mn1@example.org", 1, 10);
	f->now_ts += 100;
	m.opts.timestamp = f->now_ts;
	assert_int_equal(status_of(f, MAG2, &m), MH_ST_ACCEPTED);
	assert_int_equal(b->state, BCE_ACTIVE);
	assert_int_equal(b->route_pending, 1);
	const char *add2 = "lma_route_add 2001:db8:1:1::/64,2001:db8:1:2::/64 "
			   "via " MAG2;
	assert_int_equal(dp_fake_has(add2), 0);
	/* What arrives meanwhile queues behind. */
	for (int i = 0; i < 50; i++, seq++)
		assert_int_equal(fx_down("2001:db8:1:1::9", seq), 1);
	ev_time_t end = ev_now() + EV_MS(3000);
	while (b->route_pending && ev_now() < end)
		ev_run_once(f->ev, 5);
	assert_int_equal(b->route_pending, 0);
	assert_int_equal(dp_fake_has(add2), 1);
	assert_int_equal(k.n, seq);
	assert_int_equal(k.in_order, 1);
	assert_memory_equal(&k.peer, &f->mags[1].addr, 16);
	assert_int_equal(f->lma.hb.total.released, seq);
	assert_int_equal(f->lma.hb.bytes, 0);

	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	lma_dump_stats(&f->lma, out, 1);
	fclose(out);
	assert_non_null(strstr(buf, "\"buffer\":{\"buffered\":350,"));
	free(buf);
	dp_fake_set_sink(NULL, NULL);
}

/* MinDelayBeforeBCEDelete ends: the held packets are dropped as such. */
static void
test_buffer_never_returned(void **state)
{
	struct fx *f = *state;

	f->mn[0].buffering = 1;
	fx_dereg_mag1(f);
	for (uint32_t i = 0; i < 10; i++)
		assert_int_equal(fx_down("2001:db8:1:1::9", i), 1);
	ev_time_t end = ev_now() + EV_MS(2000);
	while (bce_by_nai(&f->lma.bc, "mn1@example.org") && ev_now() < end)
		ev_run_once(f->ev, 10);
	assert_null(bce_by_nai(&f->lma.bc, "mn1@example.org"));
	assert_int_equal(f->lma.hb.total.dropped_never_returned, 10);
	assert_int_equal(f->lma.hb.bytes, 0);
	assert_int_equal(f->lma.hb.n_q, 0);
	assert_int_equal(dp_fake_has("lma_route_del 2001:db8:1:1::/64,"
				     "2001:db8:1:2::/64 via " MAG1),
			 1);
	/* and nothing is held for it any more */
	assert_int_equal(fx_down("2001:db8:1:1::9", 11), 0);
}

/* Buffering off (the profile's choice): the routes go at once. */
static void
test_no_buffering(void **state)
{
	struct fx *f = *state;

	f->conf.buffering = 1; /* the profile says 0 */
	fx_dereg_mag1(f);
	assert_int_equal(dp_fake_has("lma_route_del 2001:db8:1:1::/64,"
				     "2001:db8:1:2::/64 via " MAG1),
			 1);
	assert_int_equal(fx_down("2001:db8:1:1::9", 0), 0);
	assert_int_equal(f->lma.st.buf_holds, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(x) cmocka_unit_test_setup_teardown(x, setup, teardown)
	    T(test_first_registration),
	    T(test_lifetime_capped),
	    T(test_status_160_missing_mnid),
	    T(test_status_154_unknown_mag),
	    T(test_status_152_unknown_mn),
	    T(test_status_153_other_lma),
	    T(test_status_156_timestamp),
	    T(test_status_157_replay),
	    T(test_status_158_161_162_missing_options),
	    T(test_status_155_prefix),
	    T(test_status_159_prefix_set_mismatch),
	    T(test_status_129_not_proxy),
	    T(test_status_130_dataplane_failure),
	    T(test_refresh),
	    T(test_dereg_only_from_serving_mag),
	    T(test_handover_keeps_session),
	    T(test_handover_without_dereg),
	    T(test_expiry),
	    T(test_malformed_and_heartbeat),
	    T(test_dump_json),
	    T(test_buffered_handover),
	    T(test_buffer_never_returned),
	    T(test_no_buffering),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
