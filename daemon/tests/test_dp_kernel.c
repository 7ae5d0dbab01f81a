/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The kernel data plane in network namespaces:
 *
 *   cn ---- lma ========== mag ---- mn
 *   cafe::2  cafe::1       ffff::11  2001:db8:1:1::100
 *            ffff::1       (access acc0, fe80::1)
 *
 * The LMA and the MAG run the kernel backend; pings between the CN and
 * the MN can only succeed through the tunnel (the LMA has no other route
 * to the MN's prefix, the MAG none to the CN).  Then clean shutdown and
 * a crashed instance must leave nothing behind.  Needs root and ip(8);
 * skipped otherwise.  Touches only namespaces named pmip-t-<pid>-*.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "conf.h"
#include "dp.h"

#define CN "2001:db8:cafe::2"
#define LMA "2001:db8:ffff::1"
#define MAG "2001:db8:ffff::11"
#define MAG2 "2001:db8:ffff::12"
#define MN "2001:db8:1:1::100"
#define HNP "2001:db8:1:1::"

static char ns_prefix[64];
static int orig_ns = -1;
static int ready; /* topology up; else every test skips */

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Output of "ip -n NS ARGS" (at most len - 1 bytes). */
static const char *
ip_out(const char *ns, const char *args, char *buf, size_t len)
{
	char cmd[512];
	size_t n = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "ip -n %s%s %s 2>&1", ns_prefix, ns, args);
	buf[0] = '\0';
	if ((p = popen(cmd, "r")) == NULL)
		return buf;
	while (n < len - 1 && !feof(p)) {
		size_t r = fread(buf + n, 1, len - 1 - n, p);
		if (r == 0)
			break;
		n += r;
	}
	buf[n] = '\0';
	pclose(p);
	return buf;
}

static void
enter(const char *ns)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "/var/run/netns/%s%s", ns_prefix, ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(setns(fd, CLONE_NEWNET), 0);
	close(fd);
}

static void
leave(void)
{
	assert_int_equal(setns(orig_ns, CLONE_NEWNET), 0);
}

/* 0 when one of a few pings is answered (the first may wait for ND). */
static int
ping_n(const char *from, const char *to, int tries)
{
	for (int i = 0; i < tries; i++)
		if (sh("ip netns exec %s%s ping -6 -n -q -c 1 -W 1 %s "
		       ">/dev/null 2>&1",
		       ns_prefix, from, to) == 0)
			return 0;
	return -1;
}

static int
ping(const char *from, const char *to)
{
	return ping_n(from, to, 5);
}

static void
ns_delete_all(void)
{
	static const char *const names[] = {"cn", "lma", "mag", "mn"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		sh("ip netns del %s%s 2>/dev/null", ns_prefix, names[i]);
}

static int
group_setup(void **state)
{
	static const char *const names[] = {"cn", "lma", "mag", "mn"};
	int ok = 1;

	snprintf(ns_prefix, sizeof(ns_prefix), "pmip-t-%d-", (int)getpid());
	if (geteuid() != 0 || sh("ip -V >/dev/null 2>&1") != 0 ||
	    sh("command -v ping >/dev/null 2>&1") != 0) {
		fprintf(stderr, "test_dp_kernel: needs root, ip(8) and ping "
				"(iputils-ping); skipping\n");
		return 0;
	}
	if ((orig_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && ok; i++)
		ok = sh("ip netns add %s%s", ns_prefix, names[i]) == 0 &&
		     sh("ip netns exec %s%s sh -c 'sysctl -qw "
			"net.ipv6.conf.all.accept_dad=0 "
			"net.ipv6.conf.default.accept_dad=0 && "
			"ip link set lo up'",
			ns_prefix, names[i]) == 0;
#define P ns_prefix
	ok = ok &&
	     sh("ip link add cn0 netns %scn mtu 1460 type veth peer name cn0 "
		"netns %slma mtu 1460",
		P, P) == 0 &&
	     sh("ip link add core0 netns %slma type veth peer name core0 "
		"netns %smag",
		P, P) == 0 &&
	     sh("ip link add acc0 netns %smag mtu 1460 type veth peer name "
		"eth0 netns %smn mtu 1460",
		P, P) == 0 &&
	     sh("ip -n %scn addr add " CN "/64 dev cn0 nodad && "
		"ip -n %scn link set cn0 up && "
		"ip -n %scn -6 route add default via 2001:db8:cafe::1",
		P, P, P) == 0 &&
	     sh("ip -n %slma addr add 2001:db8:cafe::1/64 dev cn0 nodad && "
		"ip -n %slma addr add " LMA "/64 dev core0 nodad && "
		"ip -n %slma link set cn0 up && ip -n %slma link set core0 up",
		P, P, P, P) == 0 &&
	     sh("ip -n %smag addr add " MAG "/64 dev core0 nodad && "
		"ip -n %smag addr add fe80::1/64 dev acc0 nodad && "
		"ip -n %smag link set core0 up && ip -n %smag link set acc0 up",
		P, P, P, P) == 0 &&
	     sh("ip -n %smn addr add " MN "/64 dev eth0 nodad && "
		"ip -n %smn link set eth0 up && "
		"ip -n %smn -6 route add default via fe80::1 dev eth0",
		P, P, P) == 0 &&
	     sh("ip netns exec %slma sysctl -qw net.ipv6.conf.all.forwarding=1 "
		"&& ip netns exec %smag sysctl -qw "
		"net.ipv6.conf.all.forwarding=1",
		P, P) == 0;
#undef P
	if (!ok) {
		fprintf(stderr, "test_dp_kernel: cannot build the topology\n");
		ns_delete_all();
		return -1;
	}
	ready = 1;
	/* The seg6 tests check seg6 entries, whatever the kernel has. */
	setenv("PMIPD_KERNEL_TUNNEL", "seg6", 1);
	return 0;
}

static int
group_teardown(void **state)
{
	if (orig_ns >= 0) {
		setns(orig_ns, CLONE_NEWNET);
		close(orig_ns);
	}
	if (ns_prefix[0])
		ns_delete_all();
	return 0;
}

static void
conf_make(struct conf *c, enum conf_role role, const char *addr)
{
	memset(c, 0, sizeof(*c));
	c->role = role;
	c->dataplane = DP_KERNEL;
	c->tunnel_mode = TUNNEL_DYNAMIC;
	c->mtu = 1460;
	snprintf(c->ifname, sizeof(c->ifname), "core0");
	assert_int_equal(inet_pton(AF_INET6, addr, &c->addr), 1);
}

static void
mn_make(struct dp_mn *mn, const char *peer, int ifindex)
{
	memset(mn, 0, sizeof(*mn));
	mn->n_hnp = 1;
	assert_int_equal(inet_pton(AF_INET6, HNP, &mn->hnp[0].prefix), 1);
	mn->hnp[0].len = 64;
	assert_int_equal(inet_pton(AF_INET6, peer, &mn->peer), 1);
	mn->access_ifindex = ifindex;
}

/* Open the backend in ns and set up the LMA or MAG side for the MN. */
static int
side_up(struct dp *dp, struct conf *c, const char *ns)
{
	int lma = strcmp(ns, "lma") == 0;
	struct in6_addr peer;
	struct dp_mn mn;
	int err;

	enter(ns);
	conf_make(c, lma ? ROLE_LMA : ROLE_MAG, lma ? LMA : MAG);
	inet_pton(AF_INET6, lma ? MAG : LMA, &peer);
	mn_make(&mn, lma ? MAG : LMA, lma ? 0 : (int)if_nametoindex("acc0"));
	if ((err = dp_open_ops(dp, &dp_kernel_ops, c, NULL)) == 0 &&
	    (err = dp_tunnel_get(dp, &peer)) == 0)
		err = lma ? dp_lma_route_add(dp, &mn) : dp_mag_mn_add(dp, &mn);
	leave();
	return err;
}

static void
side_down(struct dp *dp, const char *ns)
{
	enter(ns);
	dp_close(dp);
	leave();
}

static void
expect(const char *ns, const char *args, const char *want)
{
	char out[8192];

	ip_out(ns, args, out, sizeof(out));
	if (strstr(out, want) == NULL) {
		fprintf(stderr, "ip -n %s%s %s: no \"%s\" in:\n%s", ns_prefix,
			ns, args, want, out);
		fail();
	}
}

static void
expect_not(const char *ns, const char *args, const char *unwanted)
{
	char out[8192];

	ip_out(ns, args, out, sizeof(out));
	if (strstr(out, unwanted) != NULL) {
		fprintf(stderr, "ip -n %s%s %s: unexpected \"%s\" in:\n%s",
			ns_prefix, ns, args, unwanted, out);
		fail();
	}
}

/* Nothing of ours in ns, and the local rule back at preference 0. */
static void
expect_clean(const char *ns)
{
	char out[8192];

	ip_out(ns, "-6 route show table all proto 213", out, sizeof(out));
	if (out[0]) {
		fprintf(stderr, "%s: routes left:\n%s", ns, out);
		fail();
	}
	expect_not(ns, "-6 rule show", "proto 213");
	expect(ns, "-6 rule show", "0:\tfrom all lookup local");
	expect(ns, "sr tunsrc show", "tunsrc addr ::\n");
	expect_not(ns, "-o link show", ": pmip-");
}

static void
test_forwarding(void **state)
{
	struct conf cl, cm;
	struct dp dl, dm;

	if (!ready)
		skip();
	/* No tunnel, no way through. */
	assert_int_not_equal(ping_n("cn", MN, 1), 0);

	assert_int_equal(side_up(&dl, &cl, "lma"), 0);
	assert_int_equal(side_up(&dm, &cm, "mag"), 0);
	assert_string_equal(dl.ops->name, "kernel");

	expect("lma", "-6 route show table all proto 213",
	       HNP "/64  encap seg6 mode encap.red segs 1 [ " MAG " ]");
	expect("lma", "-6 route show table all proto 213",
	       LMA "  encap seg6local action End.DX6 nh6 :: dev core0 table "
		   "21300");
	expect("lma", "-6 rule show",
	       "50:\tfrom all to " LMA " ipproto ipv6 lookup 21300 proto 213");
	expect("lma", "-6 rule show", "100:\tfrom all lookup local proto 213");
	expect_not("lma", "-6 rule show", "0:\tfrom all lookup local\n");
	expect("lma", "sr tunsrc show", "tunsrc addr " LMA);
	expect("mag", "-6 route show table all proto 213",
	       HNP "/64 dev acc0 metric");
	expect("mag", "-6 route show table all proto 213",
	       "default  encap seg6 mode encap.red segs 1 [ " LMA
	       " ] dev core0 table 21310");
	expect("mag", "-6 rule show",
	       "200:\tfrom " HNP "/64 lookup 21310 proto 213");

	assert_int_equal(ping("cn", MN), 0);
	assert_int_equal(ping("mn", CN), 0);
	/* Mobility Header and other traffic to the LMA stays local. */
	assert_int_equal(ping("mag", LMA), 0);

	/* Removing the MN at the MAG cuts the path; adding it restores. */
	{
		struct dp_mn mn;

		enter("mag");
		mn_make(&mn, LMA, (int)if_nametoindex("acc0"));
		assert_int_equal(dp_mag_mn_del(&dm, &mn), 0);
		leave();
		expect_not("mag", "-6 rule show", "200:");
		assert_int_not_equal(ping_n("mn", CN, 1), 0);
		enter("mag");
		assert_int_equal(dp_mag_mn_add(&dm, &mn), 0);
		/* A second add (re-registration) is harmless. */
		assert_int_equal(dp_mag_mn_add(&dm, &mn), 0);
		leave();
		assert_int_equal(ping("mn", CN), 0);
	}

	/*
	 * LMA handover: adding the MN's route towards another MAG replaces
	 * the route (no gap, no duplicate); and back.
	 */
	{
		struct in6_addr mag2;
		struct dp_mn mn;

		inet_pton(AF_INET6, MAG2, &mag2);
		enter("lma");
		assert_int_equal(dp_tunnel_get(&dl, &mag2), 0);
		mn_make(&mn, MAG2, 0);
		assert_int_equal(dp_lma_route_add(&dl, &mn), 0);
		leave();
		expect("lma", "-6 route show table all proto 213",
		       HNP "/64  encap seg6 mode encap.red segs 1 [ " MAG2
			   " ]");
		expect_not("lma", "-6 route show table all proto 213",
			   "segs 1 [ " MAG " ]");
		enter("lma");
		mn_make(&mn, MAG, 0);
		assert_int_equal(dp_lma_route_add(&dl, &mn), 0);
		assert_int_equal(dp_tunnel_put(&dl, &mag2), 0);
		leave();
		assert_int_equal(ping("cn", MN), 0);
		/* De-registration removes the prefix route at the LMA. */
		enter("lma");
		assert_int_equal(dp_lma_route_del(&dl, &mn), 0);
		leave();
		expect_not("lma", "-6 route show table all proto 213",
			   HNP "/64");
		assert_int_not_equal(ping_n("cn", MN, 1), 0);
		enter("lma");
		assert_int_equal(dp_lma_route_add(&dl, &mn), 0);
		leave();
		assert_int_equal(ping("cn", MN), 0);
	}

	side_down(&dl, "lma");
	side_down(&dm, "mag");
	expect_clean("lma");
	expect_clean("mag");
	assert_int_not_equal(ping_n("cn", MN, 1), 0);
}

/* Install as a daemon would, then die without closing. */
static void
crash(const char *ns)
{
	pid_t pid = fork();
	int st;

	assert_true(pid >= 0);
	if (pid == 0) {
		struct conf c;
		struct dp dp;

		_exit(side_up(&dp, &c, ns) == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void
test_crash_cleanup(void **state)
{
	struct conf cl, cm;
	struct dp dl, dm;

	if (!ready)
		skip();
	crash("lma");
	crash("mag");
	expect("lma", "-6 route show table all proto 213", HNP "/64");
	expect("mag", "-6 rule show", "200:\tfrom " HNP "/64");
	assert_int_equal(ping("cn", MN), 0);

	/* A new instance's open removes the leftovers first... */
	enter("lma");
	conf_make(&cl, ROLE_LMA, LMA);
	assert_int_equal(dp_open_ops(&dl, &dp_kernel_ops, &cl, NULL), 0);
	leave();
	enter("mag");
	conf_make(&cm, ROLE_MAG, MAG);
	assert_int_equal(dp_open_ops(&dm, &dp_kernel_ops, &cm, NULL), 0);
	leave();
	expect_not("lma", "-6 route show table all proto 213", HNP "/64");
	expect("lma", "-6 route show table all proto 213", "End.DX6");
	expect_not("mag", "-6 rule show", "200:");

	/* ...and an explicit cleanup removes everything marked as ours. */
	enter("lma");
	assert_int_equal(dp_cleanup_stale(&dl), 0);
	leave();
	enter("mag");
	assert_int_equal(dp_cleanup_stale(&dm), 0);
	leave();
	expect_clean("lma");
	expect_clean("mag");

	/* Closing after a cleanup finds nothing to remove and is quiet. */
	side_down(&dl, "lma");
	side_down(&dm, "mag");
	expect_clean("lma");
	expect_clean("mag");
}

/* The same path through ip6tnl devices, where the kernel has them. */
static void
test_forwarding_ip6tnl(void **state)
{
	struct conf cl, cm;
	struct dp dl, dm;

	if (!ready)
		skip();
	if (sh("ip -n %slma link add pmip-t-probe type ip6tnl mode ip6ip6 "
	       "local " LMA " remote " MAG " >/dev/null 2>&1",
	       ns_prefix) != 0) {
		fprintf(stderr, "test_dp_kernel: no ip6tnl in this kernel; "
				"skipping the ip6tnl test\n");
		skip();
	}
	sh("ip -n %slma link del pmip-t-probe", ns_prefix);
	unsetenv("PMIPD_KERNEL_TUNNEL");
	assert_int_equal(side_up(&dl, &cl, "lma"), 0);
	assert_int_equal(side_up(&dm, &cm, "mag"), 0);
	setenv("PMIPD_KERNEL_TUNNEL", "seg6", 1);
	expect("lma", "-o link show", ": pmip-");
	expect("lma", "-6 route show table all proto 213", HNP "/64 dev pmip-");
	expect("mag", "-6 route show table all proto 213", "default dev pmip-");
	expect_not("lma", "-6 rule show", "ipproto");
	assert_int_equal(ping("cn", MN), 0);
	assert_int_equal(ping("mn", CN), 0);
	side_down(&dl, "lma");
	side_down(&dm, "mag");
	expect_clean("lma");
	expect_clean("mag");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_forwarding),
	    cmocka_unit_test(test_crash_cleanup),
	    cmocka_unit_test(test_forwarding_ip6tnl),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
