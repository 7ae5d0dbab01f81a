/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The user data plane end to end, in four network namespaces of its own:
 *
 *   CN 2001:db8:cafe::2 -- cafe::1 LMA ffff::1 -- ffff::11 MAG -- MN
 *                                                 (fe80::1)
 * 2001:db8:1:1::100/64
 *
 * The LMA and MAG backends run in forked children, each in its
 * namespace with an event loop, until SIGTERM; the parent pings through
 * the tunnel both ways, injects packets the LMA must drop, and checks
 * counters and that nothing is left behind.  Needs root (else skipped).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "conf.h"
#include "dp.h"
#include "dp_user.h"
#include "ev.h"
#include "log.h"

#define LMA_CORE "2001:db8:ffff::1"
#define MAG_CORE "2001:db8:ffff::11"
#define CN_ADDR "2001:db8:cafe::2"
#define MN_ADDR "2001:db8:1:1::100"
#define MN_PREFIX "2001:db8:1:1::"

enum { NS_CN, NS_LMA, NS_MAG, NS_MN, NS_N };
static const char *const ns_role[NS_N] = {"cn", "lma", "mag", "mn"};

struct node {
	pid_t pid;
	int ready_fd; /* child -> parent: int result of the set-up */
	int stats_fd; /* child -> parent: struct dp_user_stats at exit */
};

struct topo {
	char ns[NS_N][64];
	int made[NS_N];
	struct node lma, mag;
};

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Run a shell command quietly; returns its exit status (-1: no status). */
static int
sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	strncat(cmd, " >/dev/null 2>&1", sizeof(cmd) - strlen(cmd) - 1);
	rc = system(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static int capture(char *out, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Run a command and keep its standard output; returns its exit status. */
static int
capture(char *out, size_t len, const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	size_t n = 0;
	FILE *f;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if ((f = popen(cmd, "r")) == NULL)
		return -1;
	while (n + 1 < len && !feof(f)) {
		size_t r = fread(out + n, 1, len - n - 1, f);
		if (r == 0)
			break;
		n += r;
	}
	out[n] = '\0';
	rc = pclose(f);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static int
enter_ns(const char *ns)
{
	char path[128];
	int fd, rc;

	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	rc = setns(fd, CLONE_NEWNET);
	close(fd);
	return rc < 0 ? -errno : 0;
}

/* ---- the children ---- */

static void
on_term(struct ev *ev, int signo, void *arg)
{
	ev_break(ev);
}

/*
 * The hold hook at work: after SIGUSR1 the LMA holds every downlink
 * packet for HOLD_MS and then releases it with dp_user_send().
 */
#define HOLD_MS 30
#define HOLD_MAX 32

struct held {
	struct dp *dp;
	struct ev_timer timer;
	unsigned n;
	struct in6_addr peer[HOLD_MAX];
	size_t len[HOLD_MAX];
	uint8_t pkt[HOLD_MAX][1500];
	int ready_fd;
};

static void
release(struct ev *ev, void *arg)
{
	struct held *h = arg;

	for (unsigned i = 0; i < h->n; i++)
		dp_user_send(h->dp, &h->peer[i], h->pkt[i], h->len[i]);
	h->n = 0;
}

static int
hold(void *arg, const struct in6_addr *peer, const uint8_t *pkt, size_t len,
     unsigned flags)
{
	struct held *h = arg;

	(void)flags;
	if (h->n == HOLD_MAX || len > sizeof(h->pkt[0]))
		return 0;
	h->peer[h->n] = *peer;
	h->len[h->n] = len;
	memcpy(h->pkt[h->n++], pkt, len);
	if (!ev_timer_armed(&h->timer))
		ev_timer_after(h->dp->ev, &h->timer, EV_MS(HOLD_MS));
	return 1;
}

static void
on_usr1(struct ev *ev, int signo, void *arg)
{
	struct held *h = arg;
	int one = 1;

	dp_user_set_hold(h->dp, hold, h);
	(void)!write(h->ready_fd, &one, sizeof(one));
}

static int
node_setup(struct dp *dp, enum conf_role role)
{
	struct dp_mn mn;
	int rc;

	if ((rc = dp->ops->open(dp)) != 0)
		return rc;
	memset(&mn, 0, sizeof(mn));
	mn.n_hnp = 1;
	inet_pton(AF_INET6, MN_PREFIX, &mn.hnp[0].prefix);
	mn.hnp[0].len = 64;
	mn.id = 1;
	inet_pton(AF_INET6, role == ROLE_LMA ? MAG_CORE : LMA_CORE, &mn.peer);
	if (role == ROLE_MAG)
		mn.access_ifindex = (int)if_nametoindex("mag-acc");
	/* No tunnel to the peer yet: refused. */
	rc = role == ROLE_LMA ? dp->ops->lma_route_add(dp, &mn)
			      : dp->ops->mag_mn_add(dp, &mn);
	if (rc != -ENOENT)
		return rc == 0 ? -EPROTO : rc;
	if ((rc = dp->ops->tunnel_add(dp, &mn.peer)) != 0)
		return rc;
	rc = role == ROLE_LMA ? dp->ops->lma_route_add(dp, &mn)
			      : dp->ops->mag_mn_add(dp, &mn);
	if (rc != 0)
		return rc;
	/* Adding again replaces (a handover to the same MAG). */
	return role == ROLE_LMA ? dp->ops->lma_route_add(dp, &mn) : 0;
}

static void __attribute__((noreturn))
node_main(const char *ns, enum conf_role role, int ready_fd, int stats_fd)
{
	static struct held h;
	struct dp_user_stats st;
	struct conf c;
	struct dp dp;
	struct ev *ev;
	int rc;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	alarm(120); /* never outlive a stuck test */
	log_init(role == ROLE_LMA ? "lma" : "mag", 0, LOG_LVL_INFO);
	memset(&c, 0, sizeof(c));
	memset(&dp, 0, sizeof(dp));
	c.role = role;
	c.mtu = 1460;
	inet_pton(AF_INET6, role == ROLE_LMA ? LMA_CORE : MAG_CORE, &c.addr);
	snprintf(c.ifname, sizeof(c.ifname), "%s",
		 role == ROLE_LMA ? "lma-core" : "mag-core");
	if ((rc = enter_ns(ns)) != 0 || (ev = ev_new()) == NULL) {
		rc = rc ? rc : -ENOMEM;
		(void)!write(ready_fd, &rc, sizeof(rc));
		_exit(1);
	}
	dp.ops = &dp_user_ops;
	dp.conf = &c;
	dp.ev = ev;
	h.dp = &dp;
	h.ready_fd = ready_fd;
	ev_timer_init(&h.timer, release, &h);
	rc = ev_signal_add(ev, SIGTERM, on_term, NULL);
	if (rc == 0)
		rc = ev_signal_add(ev, SIGUSR1, on_usr1, &h);
	if (rc == 0)
		rc = node_setup(&dp, role);
	(void)!write(ready_fd, &rc, sizeof(rc));
	if (rc == 0)
		ev_run(ev);
	dp_user_stats(&dp, &st);
	(void)!write(stats_fd, &st, sizeof(st));
	if (ev_timer_armed(&h.timer))
		ev_timer_cancel(ev, &h.timer);
	if (dp.priv != NULL)
		dp.ops->close(&dp);
	ev_free(ev);
	_exit(0);
}

static int
node_start(struct node *n, const char *ns, enum conf_role role)
{
	int ready[2], stats[2];

	if (pipe2(ready, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(stats, O_CLOEXEC) < 0) {
		close(ready[0]);
		close(ready[1]);
		return -errno;
	}
	fflush(NULL);
	n->pid = fork();
	if (n->pid == 0) {
		close(ready[0]);
		close(stats[0]);
		node_main(ns, role, ready[1], stats[1]);
	}
	close(ready[1]);
	close(stats[1]);
	n->ready_fd = ready[0];
	n->stats_fd = stats[0];
	if (n->pid < 0)
		return -errno;
	return 0;
}

/* Read exactly len bytes within timeout_ms; 0 or -1. */
static int
read_full(int fd, void *buf, size_t len, int timeout_ms)
{
	size_t got = 0;

	while (got < len) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t r;
		if (poll(&p, 1, timeout_ms) <= 0)
			return -1;
		r = read(fd, (uint8_t *)buf + got, len - got);
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

static int
node_ready(struct node *n)
{
	int rc;

	if (read_full(n->ready_fd, &rc, sizeof(rc), 10000) < 0)
		return -ETIMEDOUT;
	return rc;
}

/* SIGTERM, collect the counters, reap; 0 if it exited cleanly. */
static int
node_stop(struct node *n, struct dp_user_stats *st)
{
	int status, rc = 0;

	if (n->pid <= 0)
		return -1;
	kill(n->pid, SIGTERM);
	if (read_full(n->stats_fd, st, sizeof(*st), 10000) < 0)
		rc = -1;
	if (waitpid(n->pid, &status, 0) != n->pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		rc = -1;
	n->pid = 0;
	close(n->ready_fd);
	close(n->stats_fd);
	return rc;
}

/* ---- topology ---- */

static int
topo_build(struct topo *t)
{
	const char *const *r = ns_role;
	int rc = 0;

	for (int i = 0; i < NS_N; i++) {
		snprintf(t->ns[i], sizeof(t->ns[i]), "pmip-u-%d-%s",
			 (int)getpid(), r[i]);
		if (sh("ip netns add %s", t->ns[i]) != 0)
			return -1;
		t->made[i] = 1;
		rc |= sh("ip -n %s link set lo up", t->ns[i]);
	}
	const char *cn = t->ns[NS_CN], *lma = t->ns[NS_LMA],
		   *mag = t->ns[NS_MAG], *mn = t->ns[NS_MN];
	rc |= sh("ip -n %s link add lma-cn type veth peer name cn0 netns %s",
		 lma, cn);
	rc |= sh("ip -n %s link add lma-core type veth peer name mag-core "
		 "netns %s",
		 lma, mag);
	rc |= sh("ip -n %s link add mag-acc type veth peer name mn0 netns %s",
		 mag, mn);

	rc |= sh("ip -n %s link set cn0 mtu 1460 up", cn);
	rc |= sh("ip -n %s addr add " CN_ADDR "/64 dev cn0 nodad", cn);
	rc |= sh("ip -n %s -6 route add default via 2001:db8:cafe::1", cn);

	rc |= sh("ip netns exec %s sysctl -qw net.ipv6.conf.all.forwarding=1",
		 lma);
	rc |= sh("ip -n %s link set lma-cn mtu 1460 up", lma);
	rc |= sh("ip -n %s link set lma-core up", lma);
	rc |= sh("ip -n %s addr add 2001:db8:cafe::1/64 dev lma-cn nodad", lma);
	rc |= sh("ip -n %s addr add " LMA_CORE "/64 dev lma-core nodad", lma);

	rc |= sh("ip netns exec %s sysctl -qw net.ipv6.conf.all.forwarding=1",
		 mag);
	rc |= sh("ip -n %s link set mag-core up", mag);
	rc |= sh("ip -n %s link set mag-acc mtu 1460 up", mag);
	rc |= sh("ip -n %s addr add " MAG_CORE "/64 dev mag-core nodad", mag);
	rc |= sh("ip -n %s addr add fe80::1/64 dev mag-acc nodad", mag);

	rc |= sh("ip -n %s link set mn0 mtu 1460 up", mn);
	rc |= sh("ip -n %s addr add " MN_ADDR "/64 dev mn0 nodad", mn);
	rc |= sh("ip -n %s -6 route add default via fe80::1 dev mn0", mn);
	return rc == 0 ? 0 : -1;
}

static int
setup(void **state)
{
	struct topo *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return -1;
	*state = t;
	return 0;
}

/* Always: stop what still runs, delete only the namespaces we made. */
static int
teardown(void **state)
{
	struct topo *t = *state;

	for (struct node *n = &t->lma; n <= &t->mag; n++) {
		if (n->pid > 0) {
			kill(n->pid, SIGKILL);
			waitpid(n->pid, NULL, 0);
			close(n->ready_fd);
			close(n->stats_fd);
		}
	}
	for (int i = 0; i < NS_N; i++) {
		if (t->made[i])
			sh("ip netns del %s", t->ns[i]);
	}
	free(t);
	return 0;
}

/* From namespace ns, send pkt with next header 41 to dst. */
static int
inject(const char *ns, const char *dst, const uint8_t *pkt, size_t len)
{
	pid_t pid;
	int status;

	fflush(NULL);
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		struct sockaddr_in6 sa = {.sin6_family = AF_INET6};
		int fd;
		inet_pton(AF_INET6, dst, &sa.sin6_addr);
		if (enter_ns(ns) != 0 ||
		    (fd = socket(AF_INET6, SOCK_RAW, IPPROTO_IPV6)) < 0 ||
		    sendto(fd, pkt, len, 0, (struct sockaddr *)&sa,
			   sizeof(sa)) != (ssize_t)len)
			_exit(1);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* cleanup_stale() of a backend that is not open, in namespace ns. */
static int
cleanup_in(const char *ns)
{
	pid_t pid;
	int status;

	fflush(NULL);
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		struct conf c;
		struct dp dp;
		memset(&c, 0, sizeof(c));
		memset(&dp, 0, sizeof(dp));
		dp.ops = &dp_user_ops;
		dp.conf = &c;
		if (enter_ns(ns) != 0 || dp.ops->cleanup_stale(&dp) != 0)
			_exit(1);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* A 48-byte IPv6 packet (UDP-less payload) from src to dst. */
static void
make_pkt(uint8_t pkt[48], const char *src, const char *dst)
{
	memset(pkt, 0, 48);
	pkt[0] = 0x60;
	pkt[5] = 8;  /* payload length */
	pkt[6] = 59; /* no next header */
	pkt[7] = 64;
	inet_pton(AF_INET6, src, pkt + 8);
	inet_pton(AF_INET6, dst, pkt + 24);
}

/* Ping dst from namespace from; returns the minimum RTT in ms. */
static double
ping(const struct topo *t, int from, const char *dst)
{
	char out[4096], *rtt;
	double min = -1;
	int rc;

	rc = capture(out, sizeof(out),
		     "ip netns exec %s ping -6 -c 3 -W 1 -i 0.2 %s 2>&1",
		     t->ns[from], dst);
	rtt = strstr(out, "rtt ");
	print_message("  ping %s -> %s: %s", ns_role[from], dst,
		      rtt ? rtt : out);
	if (rtt == NULL || rc != 0)
		print_message("%s\n", out);
	assert_int_equal(rc, 0);
	assert_int_equal(sscanf(rtt, "rtt min/avg/max/mdev = %lf", &min), 1);
	return min;
}

static void
print_stats(const char *who, const struct dp_user_stats *s)
{
	print_message("  %s: tun rx %llu, encap %llu (%llu bytes), decap %llu, "
		      "tun tx %llu, held %llu; drops: unknown peer %llu, "
		      "malformed %llu, no binding %llu, no route %llu, "
		      "noise %llu, error %llu\n",
		      who, (unsigned long long)s->tun_rx.packets,
		      (unsigned long long)s->encap_tx.packets,
		      (unsigned long long)s->encap_tx.bytes,
		      (unsigned long long)s->decap_rx.packets,
		      (unsigned long long)s->tun_tx.packets,
		      (unsigned long long)s->held,
		      (unsigned long long)s->drop_unknown_peer,
		      (unsigned long long)s->drop_malformed,
		      (unsigned long long)s->drop_no_binding,
		      (unsigned long long)s->drop_no_route,
		      (unsigned long long)s->drop_noise,
		      (unsigned long long)s->drop_error);
}

static void
test_user_dataplane(void **state)
{
	struct topo *t = *state;
	struct dp_user_stats ls, ms;
	char out[4096];
	uint8_t pkt[48];

	if (geteuid() != 0) {
		print_message("skipped: needs root (network namespaces, TUN, "
			      "raw sockets)\n");
		skip();
	}
	if (access("/dev/net/tun", R_OK | W_OK) != 0 ||
	    sh("ip netns list") != 0 || sh("command -v ping") != 0) {
		print_message("skipped: needs /dev/net/tun, ip netns, ping\n");
		skip();
	}
	assert_int_equal(topo_build(t), 0);

	/* Leftovers of a crashed instance, removed when the MAG opens. */
	const char *mag = t->ns[NS_MAG], *lma = t->ns[NS_LMA];
	assert_int_equal(
	    sh("ip -n %s tuntap add dev " DP_USER_IFNAME " mode tun", mag), 0);
	assert_int_equal(sh("ip -n %s -6 route add 2001:db8:9::/64 dev "
			    "mag-acc proto %d",
			    mag, DP_USER_RTPROT),
			 0);
	assert_int_equal(sh("ip -n %s -6 rule add from 2001:db8:9::/64 "
			    "lookup %d pref %d protocol %d",
			    mag, DP_USER_TABLE, DP_USER_RULE_PREF,
			    DP_USER_RTPROT),
			 0);

	/* ... and the local rule moved as the kernel backend moves it. */
	assert_int_equal(sh("ip -n %s -6 rule add pref 100 lookup local "
			    "protocol %d",
			    mag, DP_USER_RTPROT),
			 0);
	assert_int_equal(sh("ip -n %s -6 rule del pref 0", mag), 0);

	assert_int_equal(node_start(&t->lma, lma, ROLE_LMA), 0);
	assert_int_equal(node_start(&t->mag, mag, ROLE_MAG), 0);
	assert_int_equal(node_ready(&t->lma), 0);
	assert_int_equal(node_ready(&t->mag), 0);

	/* Stale entries gone, ours in place. */
	capture(out, sizeof(out), "ip -n %s -6 route show table all", mag);
	assert_null(strstr(out, "2001:db8:9::"));
	assert_non_null(strstr(out, "default dev " DP_USER_IFNAME));
	capture(out, sizeof(out), "ip -n %s -6 rule show", mag);
	assert_null(strstr(out, "2001:db8:9::"));
	assert_non_null(strstr(out, "from 2001:db8:1:1::/64 lookup 2130"));
	assert_non_null(strstr(out, "0:\tfrom all lookup local"));
	assert_null(strstr(out, "100:"));
	capture(out, sizeof(out), "ip -n %s -6 route show", lma);
	assert_non_null(strstr(out, "2001:db8:1:1::/64 dev " DP_USER_IFNAME));
	/* TUN: MTU, queue length, and no link-local address. */
	capture(out, sizeof(out), "ip -n %s link show " DP_USER_IFNAME, lma);
	assert_non_null(strstr(out, "mtu 1460"));
	assert_non_null(strstr(out, "qlen 10000"));
	assert_non_null(strstr(out, ",UP"));
	capture(out, sizeof(out), "ip -n %s -6 addr show dev " DP_USER_IFNAME,
		mag);
	assert_null(strstr(out, "fe80"));

	ping(t, NS_CN, MN_ADDR);
	ping(t, NS_MN, CN_ADDR);

	/* With the hold hook, downlink packets wait HOLD_MS at the LMA. */
	assert_int_equal(kill(t->lma.pid, SIGUSR1), 0);
	assert_int_equal(node_ready(&t->lma), 1);
	assert_true(ping(t, NS_CN, MN_ADDR) >= HOLD_MS);

	/* Next header 41 from a stranger: dropped (unknown peer). */
	make_pkt(pkt, CN_ADDR, MN_ADDR);
	assert_int_equal(inject(t->ns[NS_CN], LMA_CORE, pkt, sizeof(pkt)), 0);
	/* From the MAG, but not IPv6 inside: dropped (malformed). */
	pkt[0] = 0x45;
	assert_int_equal(inject(mag, LMA_CORE, pkt, sizeof(pkt)), 0);
	/* From the MAG, inner source not bound to it: dropped. */
	make_pkt(pkt, "2001:db8:2::1", CN_ADDR);
	assert_int_equal(inject(mag, LMA_CORE, pkt, sizeof(pkt)), 0);
	usleep(200000);

	assert_int_equal(node_stop(&t->lma, &ls), 0);
	assert_int_equal(node_stop(&t->mag, &ms), 0);
	print_stats("lma", &ls);
	print_stats("mag", &ms);
	/* Nine echo requests and nine replies through the tunnel. */
	assert_true(ls.encap_tx.packets >= 9);
	assert_true(ls.decap_rx.packets >= 9);
	assert_true(ms.encap_tx.packets >= 9);
	assert_true(ms.decap_rx.packets >= 9);
	assert_int_equal(ls.drop_unknown_peer, 1);
	assert_int_equal(ls.drop_malformed, 1);
	assert_int_equal(ls.drop_no_binding, 1);
	assert_true(ls.held >= 3);
	assert_int_equal(ls.drop_error, 0);
	assert_int_equal(ms.drop_error, 0);
	assert_true(ls.encap_tx.bytes >= 9 * 104); /* 40 + 8 + 56 */

	/* close() left nothing behind. */
	for (int i = NS_LMA; i <= NS_MAG; i++) {
		assert_int_not_equal(
		    sh("ip -n %s link show " DP_USER_IFNAME, t->ns[i]), 0);
		capture(out, sizeof(out),
			"ip -n %s -6 route show table all proto %d", t->ns[i],
			DP_USER_RTPROT);
		assert_string_equal(out, "");
		capture(out, sizeof(out), "ip -n %s -6 rule show", t->ns[i]);
		assert_null(strstr(out, "lookup 2130"));
	}

	/* cleanup_stale() with no backend open. */
	assert_int_equal(
	    sh("ip -n %s tuntap add dev " DP_USER_IFNAME " mode tun", lma), 0);
	assert_int_equal(sh("ip -n %s -6 route add 2001:db8:9::/64 dev "
			    "lma-cn proto %d",
			    lma, DP_USER_RTPROT),
			 0);
	assert_int_equal(cleanup_in(lma), 0);
	assert_int_not_equal(sh("ip -n %s link show " DP_USER_IFNAME, lma), 0);
	capture(out, sizeof(out), "ip -n %s -6 route show table all proto %d",
		lma, DP_USER_RTPROT);
	assert_string_equal(out, "");
}

/* Without the backend open: zero counters, no crash. */
static void
test_stats_other_backend(void **state)
{
	static const struct dp_ops other = {.name = "other"};
	struct dp dp = {.ops = &other};
	struct dp_user_stats st;
	struct in6_addr peer = IN6ADDR_ANY_INIT;
	uint8_t pkt[48];

	memset(&st, 0xff, sizeof(st));
	dp_user_stats(&dp, &st);
	assert_int_equal(st.tun_rx.packets, 0);
	assert_int_equal(st.drop_error, 0);
	make_pkt(pkt, CN_ADDR, MN_ADDR);
	assert_int_equal(dp_user_send(&dp, &peer, pkt, 48), -EINVAL);
}

/* The same without io_uring: plain read() and write() on the TUN. */
static void
test_user_dataplane_no_uring(void **state)
{
	assert_int_equal(setenv("PMIPD_NO_IO_URING", "1", 1), 0);
	test_user_dataplane(state);
	assert_int_equal(unsetenv("PMIPD_NO_IO_URING"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stats_other_backend),
	    cmocka_unit_test_setup_teardown(test_user_dataplane, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_user_dataplane_no_uring, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
