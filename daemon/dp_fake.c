/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The recording fake data plane: every call becomes one line of text in
 * a global record that unit tests inspect, and a test can make the next
 * call of any operation fail with a chosen errno.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dp.h"

static char dp_fake_rec[DP_FAKE_MAX][DP_FAKE_LINE];
static unsigned dp_fake_n;
static char dp_fake_fail_op[32];
static int dp_fake_fail_err;

unsigned
dp_fake_count(void)
{
	return dp_fake_n;
}

const char *
dp_fake_line(unsigned i)
{
	return i < dp_fake_n ? dp_fake_rec[i] : NULL;
}

unsigned
dp_fake_has(const char *s)
{
	unsigned n = 0;

	for (unsigned i = 0; i < dp_fake_n; i++)
		if (strcmp(dp_fake_rec[i], s) == 0)
			n++;
	return n;
}

void
dp_fake_reset(void)
{
	dp_fake_n = 0;
	dp_fake_fail_op[0] = '\0';
	dp_fake_fail_err = 0;
}

void
dp_fake_fail(const char *op, int err)
{
	snprintf(dp_fake_fail_op, sizeof(dp_fake_fail_op), "%s", op);
	dp_fake_fail_err = err;
}

/* Record "op args" and return the injected error for op, if any. */
static int dp_fake_rec_op(const char *op, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
dp_fake_rec_op(const char *op, const char *fmt, ...)
{
	char args[DP_FAKE_LINE - 32]; /* room for "%.31s " */
	va_list ap;
	int err = 0;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	if (dp_fake_n < DP_FAKE_MAX) {
		snprintf(dp_fake_rec[dp_fake_n], DP_FAKE_LINE, "%.31s%s%s", op,
			 args[0] ? " " : "", args);
		dp_fake_n++;
	}
	if (dp_fake_fail_err && strcmp(dp_fake_fail_op, op) == 0) {
		err = dp_fake_fail_err;
		dp_fake_fail_op[0] = '\0';
		dp_fake_fail_err = 0;
	}
	return err;
}

static const char *
dp_fake_a(const struct in6_addr *a, char *buf)
{
	return inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN);
}

/* "P1/L1,P2/L2 via PEER" */
static void
dp_fake_mn(const struct dp_mn *mn, char *out, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	size_t off = 0;

	out[0] = '\0';
	for (unsigned i = 0; i < mn->n_hnp && i < MH_MAX_HNP; i++) {
		int n =
		    snprintf(out + off, len - off, "%s%s/%u", i ? "," : "",
			     dp_fake_a(&mn->hnp[i].prefix, a), mn->hnp[i].len);
		if (n < 0 || (size_t)n >= len - off)
			return;
		off += (size_t)n;
	}
	snprintf(out + off, len - off, " via %s", dp_fake_a(&mn->peer, a));
}

static int
dp_fake_open(struct dp *dp)
{
	return dp_fake_rec_op("open", "%s", "");
}

static dp_hold_fn dp_fake_hold;
static void *dp_fake_hold_arg;

static void
dp_fake_close(struct dp *dp)
{
	dp_fake_hold = NULL; /* its owner goes with the data plane */
	dp_fake_rec_op("close", "%s", "");
}

static int
dp_fake_cleanup_stale(struct dp *dp)
{
	return dp_fake_rec_op("cleanup_stale", "%s", "");
}

static int
dp_fake_tunnel_add(struct dp *dp, const struct in6_addr *peer)
{
	char a[INET6_ADDRSTRLEN];

	return dp_fake_rec_op("tunnel_add", "%s", dp_fake_a(peer, a));
}

static int
dp_fake_tunnel_del(struct dp *dp, const struct in6_addr *peer)
{
	char a[INET6_ADDRSTRLEN];

	return dp_fake_rec_op("tunnel_del", "%s", dp_fake_a(peer, a));
}

static int
dp_fake_lma_route_add(struct dp *dp, const struct dp_mn *mn)
{
	char s[DP_FAKE_LINE];

	dp_fake_mn(mn, s, sizeof(s));
	return dp_fake_rec_op("lma_route_add", "%s", s);
}

static int
dp_fake_lma_route_del(struct dp *dp, const struct dp_mn *mn)
{
	char s[DP_FAKE_LINE];

	dp_fake_mn(mn, s, sizeof(s));
	return dp_fake_rec_op("lma_route_del", "%s", s);
}

static int
dp_fake_mag_mn_add(struct dp *dp, const struct dp_mn *mn)
{
	char s[DP_FAKE_LINE];

	dp_fake_mn(mn, s, sizeof(s));
	return dp_fake_rec_op("mag_mn_add", "%s dev %d", s, mn->access_ifindex);
}

static int
dp_fake_mag_mn_del(struct dp *dp, const struct dp_mn *mn)
{
	char s[DP_FAKE_LINE];

	dp_fake_mn(mn, s, sizeof(s));
	return dp_fake_rec_op("mag_mn_del", "%s dev %d", s, mn->access_ifindex);
}

static int
dp_fake_lma_route_hold(struct dp *dp, const struct dp_mn *mn)
{
	char s[DP_FAKE_LINE];

	dp_fake_mn(mn, s, sizeof(s));
	return dp_fake_rec_op("lma_route_hold", "%s", s);
}

static int
dp_fake_mag_mn_hold(struct dp *dp, const struct dp_mn *mn)
{
	char s[DP_FAKE_LINE];

	dp_fake_mn(mn, s, sizeof(s));
	return dp_fake_rec_op("mag_mn_hold", "%s", s);
}

static int
dp_fake_mag_mn_return(struct dp *dp, const struct dp_mn *mn)
{
	char s[DP_FAKE_LINE];

	dp_fake_mn(mn, s, sizeof(s));
	return dp_fake_rec_op("mag_mn_return", "%s dev %d", s,
			      mn->access_ifindex);
}

/* Sends are not recorded (releases are many packets). */
static dp_fake_send_fn dp_fake_sink;
static void *dp_fake_sink_arg;

static void
dp_fake_set_hold(struct dp *dp, dp_hold_fn fn, void *arg)
{
	dp_fake_hold = fn;
	dp_fake_hold_arg = arg;
}

static int
dp_fake_send(struct dp *dp, const struct in6_addr *peer, const uint8_t *pkt,
	     size_t len)
{
	if (dp_fake_sink)
		return dp_fake_sink(dp_fake_sink_arg, peer, pkt, len);
	return 0;
}

void
dp_fake_set_sink(dp_fake_send_fn fn, void *arg)
{
	dp_fake_sink = fn;
	dp_fake_sink_arg = arg;
}

int
dp_fake_offer(const struct in6_addr *peer, const uint8_t *pkt, size_t len)
{
	return dp_fake_hold ? dp_fake_hold(dp_fake_hold_arg, peer, pkt, len, 0)
			    : 0;
}

const struct dp_ops dp_fake_ops = {
    .name = "fake",
    .open = dp_fake_open,
    .close = dp_fake_close,
    .cleanup_stale = dp_fake_cleanup_stale,
    .tunnel_add = dp_fake_tunnel_add,
    .tunnel_del = dp_fake_tunnel_del,
    .lma_route_add = dp_fake_lma_route_add,
    .lma_route_del = dp_fake_lma_route_del,
    .mag_mn_add = dp_fake_mag_mn_add,
    .mag_mn_del = dp_fake_mag_mn_del,
    .lma_route_hold = dp_fake_lma_route_hold,
    .mag_mn_return = dp_fake_mag_mn_return,
    .mag_mn_hold = dp_fake_mag_mn_hold,
    .set_hold = dp_fake_set_hold,
    .send = dp_fake_send,
};
