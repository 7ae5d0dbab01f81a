/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The shared data-plane layer over the recording fake: per-peer tunnel
 * reference counting, dynamic linger, static pre-establishment and error
 * propagation.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "conf.h"
#include "dp.h"
#include "ev.h"

#define MAG1 "2001:db8:ffff::11"
#define MAG2 "2001:db8:ffff::12"
#define LMA "2001:db8:ffff::1"

struct fx {
	struct conf conf;
	struct conf_peer mags[2];
	struct conf_mn mn[3];
	struct ev *ev;
	struct dp dp;
};

static struct in6_addr
A(const char *s) {
	struct in6_addr a;

	assert_int_equal(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

static struct dp_mn
mn_make(const char *prefix, const char *peer)
{
	struct dp_mn mn;

	memset(&mn, 0, sizeof(mn));
	mn.n_hnp = 1;
	mn.hnp[0].prefix = A(prefix);
	mn.hnp[0].len = 64;
	mn.peer = A(peer);
	mn.access_ifindex = 7;
	return mn;
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->conf.role = ROLE_LMA;
	f->conf.dataplane = DP_FAKE;
	f->conf.tunnel_mode = TUNNEL_DYNAMIC;
	f->conf.tunnel_linger_ms = 0;
	f->conf.mtu = 1460;
	f->conf.addr = A(LMA);
	f->mags[0].addr = A(MAG1);
	f->mags[1].addr = A(MAG2);
	f->conf.mags = f->mags;
	f->conf.n_mags = 2;
	f->mn[0].lma = A(LMA);
	f->mn[1].lma = A(LMA);
	f->conf.mn = f->mn;
	f->conf.n_mn = 3; /* the third has no LMA address: skipped */
	f->ev = ev_new();
	assert_non_null(f->ev);
	dp_fake_reset();
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	dp_close(&f->dp);
	ev_free(f->ev);
	free(f);
	return 0;
}

static void
test_refcount_shared(void **state)
{
	struct fx *f = *state;
	struct in6_addr m1 = A(MAG1);
	struct dp_mn a = mn_make("2001:db8:1:1::", MAG1);
	struct dp_mn b = mn_make("2001:db8:1:2::", MAG1);

	assert_int_equal(dp_open(&f->dp, &f->conf, f->ev), 0);
	assert_string_equal(f->dp.ops->name, "fake");
	assert_int_equal(dp_tunnel_refs(&f->dp, &m1), -1);

	assert_int_equal(dp_tunnel_get(&f->dp, &m1), 0);
	assert_int_equal(dp_lma_route_add(&f->dp, &a), 0);
	assert_int_equal(dp_tunnel_get(&f->dp, &m1), 0);
	assert_int_equal(dp_lma_route_add(&f->dp, &b), 0);
	assert_int_equal(dp_tunnel_refs(&f->dp, &m1), 2);
	assert_int_equal(dp_fake_has("tunnel_add " MAG1), 1);
	assert_int_equal(
	    dp_fake_has("lma_route_add 2001:db8:1:1::/64 via " MAG1), 1);

	assert_int_equal(dp_lma_route_del(&f->dp, &a), 0);
	assert_int_equal(dp_tunnel_put(&f->dp, &m1), 0);
	assert_int_equal(dp_fake_has("tunnel_del " MAG1), 0);
	assert_int_equal(dp_lma_route_del(&f->dp, &b), 0);
	assert_int_equal(dp_tunnel_put(&f->dp, &m1), 0);
	/* Linger 0: the last put removes the tunnel at once. */
	assert_int_equal(dp_fake_has("tunnel_del " MAG1), 1);
	assert_int_equal(dp_tunnel_refs(&f->dp, &m1), -1);
	assert_string_equal(dp_fake_line(dp_fake_count() - 1),
			    "tunnel_del " MAG1);

	/* A put too many is refused and changes nothing. */
	assert_int_equal(dp_tunnel_put(&f->dp, &m1), -ENOENT);
	assert_int_equal(dp_fake_has("tunnel_del " MAG1), 1);
}

static void
test_two_peers(void **state)
{
	struct fx *f = *state;
	struct in6_addr m1 = A(MAG1), m2 = A(MAG2);

	assert_int_equal(dp_open(&f->dp, &f->conf, f->ev), 0);
	assert_int_equal(dp_tunnel_get(&f->dp, &m1), 0);
	assert_int_equal(dp_tunnel_get(&f->dp, &m2), 0);
	assert_int_equal(dp_tunnel_put(&f->dp, &m1), 0);
	assert_int_equal(dp_fake_has("tunnel_del " MAG1), 1);
	assert_int_equal(dp_fake_has("tunnel_del " MAG2), 0);
	/* dp_close removes what is still there, then closes the backend. */
	dp_close(&f->dp);
	assert_int_equal(dp_fake_has("tunnel_del " MAG2), 1);
	assert_string_equal(dp_fake_line(dp_fake_count() - 1), "close");
}

static void
run_for_ms(struct ev *ev, int ms)
{
	ev_time_t end = ev_now() + EV_MS(ms);

	while (ev_now() < end)
		ev_run_once(ev, 5);
}

static void
test_dynamic_linger(void **state)
{
	struct fx *f = *state;
	struct in6_addr m1 = A(MAG1);

	f->conf.tunnel_linger_ms = 50;
	assert_int_equal(dp_open(&f->dp, &f->conf, f->ev), 0);
	assert_int_equal(dp_tunnel_get(&f->dp, &m1), 0);
	assert_int_equal(dp_tunnel_put(&f->dp, &m1), 0);
	/* Lingering: still there with no references. */
	assert_int_equal(dp_tunnel_refs(&f->dp, &m1), 0);
	assert_int_equal(dp_fake_has("tunnel_del " MAG1), 0);

	/* A get within the linger time reuses it: no del, no second add. */
	run_for_ms(f->ev, 10);
	assert_int_equal(dp_tunnel_get(&f->dp, &m1), 0);
	run_for_ms(f->ev, 100);
	assert_int_equal(dp_fake_has("tunnel_del " MAG1), 0);
	assert_int_equal(dp_fake_has("tunnel_add " MAG1), 1);
	assert_int_equal(dp_tunnel_refs(&f->dp, &m1), 1);

	/* Routes may be added while it lingers (handover back). */
	assert_int_equal(dp_tunnel_put(&f->dp, &m1), 0);
	struct dp_mn a = mn_make("2001:db8:1:1::", MAG1);
	assert_int_equal(dp_lma_route_add(&f->dp, &a), 0);

	/* Unused for the linger time: removed by the timer. */
	run_for_ms(f->ev, 100);
	assert_int_equal(dp_fake_has("tunnel_del " MAG1), 1);
	assert_int_equal(dp_tunnel_refs(&f->dp, &m1), -1);
}

static void
test_linger_without_loop(void **state)
{
	struct fx *f = *state;
	struct in6_addr m1 = A(MAG1);

	f->conf.tunnel_linger_ms = 50;
	assert_int_equal(dp_open(&f->dp, &f->conf, NULL), 0);
	assert_int_equal(dp_tunnel_get(&f->dp, &m1), 0);
	assert_int_equal(dp_tunnel_put(&f->dp, &m1), 0);
	assert_int_equal(dp_fake_has("tunnel_del " MAG1), 1);
}

static void
test_static_lma(void **state)
{
	struct fx *f = *state;
	struct in6_addr m1 = A(MAG1), other = A("2001:db8:ffff::99");

	f->conf.tunnel_mode = TUNNEL_STATIC;
	assert_int_equal(dp_open(&f->dp, &f->conf, f->ev), 0);
	assert_string_equal(dp_fake_line(0), "open");
	assert_string_equal(dp_fake_line(1), "tunnel_add " MAG1);
	assert_string_equal(dp_fake_line(2), "tunnel_add " MAG2);
	assert_int_equal(dp_fake_count(), 3);
	assert_int_equal(dp_tunnel_refs(&f->dp, &m1), 0);

	assert_int_equal(dp_tunnel_get(&f->dp, &m1), 0);
	assert_int_equal(dp_tunnel_get(&f->dp, &m1), 0);
	assert_int_equal(dp_tunnel_put(&f->dp, &m1), 0);
	assert_int_equal(dp_tunnel_put(&f->dp, &m1), 0);
	/* An unconfigured peer is created on demand and kept as well. */
	assert_int_equal(dp_tunnel_get(&f->dp, &other), 0);
	assert_int_equal(dp_tunnel_put(&f->dp, &other), 0);
	assert_int_equal(dp_fake_has("tunnel_add " MAG1), 1);
	assert_int_equal(dp_fake_has("tunnel_del " MAG1), 0);
	assert_int_equal(dp_fake_has("tunnel_del 2001:db8:ffff::99"), 0);
	assert_int_equal(dp_tunnel_refs(&f->dp, &m1), 0);

	dp_close(&f->dp);
	assert_int_equal(dp_fake_has("tunnel_del " MAG1), 1);
	assert_int_equal(dp_fake_has("tunnel_del " MAG2), 1);
	assert_int_equal(dp_fake_has("tunnel_del 2001:db8:ffff::99"), 1);
}

static void
test_static_mag(void **state)
{
	struct fx *f = *state;

	f->conf.role = ROLE_MAG;
	f->conf.tunnel_mode = TUNNEL_STATIC;
	assert_int_equal(dp_open(&f->dp, &f->conf, f->ev), 0);
	/* Two profiles name the same LMA: one tunnel. */
	assert_int_equal(dp_fake_has("tunnel_add " LMA), 1);
	assert_int_equal(dp_fake_count(), 2);
	struct dp_mn m = mn_make("2001:db8:1:1::", LMA);
	assert_int_equal(dp_mag_mn_add(&f->dp, &m), 0);
	assert_int_equal(
	    dp_fake_has("mag_mn_add 2001:db8:1:1::/64 via " LMA " dev 7"), 1);
	assert_int_equal(dp_mag_mn_del(&f->dp, &m), 0);
}

static void
test_errors(void **state)
{
	struct fx *f = *state;
	struct in6_addr m1 = A(MAG1);
	struct dp_mn a = mn_make("2001:db8:1:1::", MAG1);

	/* The backend's open fails: dp_open fails, dp_close is harmless. */
	dp_fake_fail("open", -EPERM);
	assert_int_equal(dp_open(&f->dp, &f->conf, f->ev), -EPERM);
	dp_close(&f->dp);
	assert_int_equal(dp_fake_has("close"), 0);

	assert_int_equal(dp_open(&f->dp, &f->conf, f->ev), 0);
	/* No tunnel to the MN's peer yet. */
	assert_int_equal(dp_lma_route_add(&f->dp, &a), -ENOENT);
	assert_int_equal(dp_mag_mn_add(&f->dp, &a), -ENOENT);

	/* A failed tunnel_add leaves no tunnel and no reference. */
	dp_fake_fail("tunnel_add", -ENOBUFS);
	assert_int_equal(dp_tunnel_get(&f->dp, &m1), -ENOBUFS);
	assert_int_equal(dp_tunnel_refs(&f->dp, &m1), -1);

	assert_int_equal(dp_tunnel_get(&f->dp, &m1), 0);
	dp_fake_fail("lma_route_add", -EEXIST);
	assert_int_equal(dp_lma_route_add(&f->dp, &a), -EEXIST);
	dp_fake_fail("lma_route_del", -ESRCH);
	assert_int_equal(dp_lma_route_del(&f->dp, &a), -ESRCH);
	a.n_hnp = MH_MAX_HNP + 1;
	assert_int_equal(dp_lma_route_add(&f->dp, &a), -EINVAL);

	/* A failed tunnel_del is reported and the tunnel is forgotten. */
	dp_fake_fail("tunnel_del", -EIO);
	assert_int_equal(dp_tunnel_put(&f->dp, &m1), -EIO);
	assert_int_equal(dp_tunnel_refs(&f->dp, &m1), -1);

	/* Static pre-establishment failing undoes what it did. */
	dp_close(&f->dp);
	dp_fake_reset();
	f->conf.tunnel_mode = TUNNEL_STATIC;
	dp_fake_fail("tunnel_add", -EPERM);
	assert_int_equal(dp_open(&f->dp, &f->conf, f->ev), -EPERM);
	assert_int_equal(dp_fake_has("close"), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_refcount_shared, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_two_peers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dynamic_linger, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_linger_without_loop, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_static_lma, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_static_mag, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
