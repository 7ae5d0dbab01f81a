/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pmip-regload: registration load against one LMA.
 *
 * It acts as M MAGs (M source addresses) registering N mobile nodes,
 * MN i through MAG i % M, in three phases: first registration, lifetime
 * extension (refresh) and de-registration (lifetime 0).  PBUs are built
 * with the daemon's own codec (daemon/mh.h).  Three modes:
 *
 *   pmip-regload -C FILE [-n N] [-m M] [-b BACKEND]
 *	write the LMA configuration that matches the load: N profiles
 *	mn<i>@bench with one /64 each, M authorised MAGs.
 *
 *   pmip-regload [-n N] [-m M] [-w W] [-p PHASES] [-P CPU]
 *	the network load: a raw Mobility Header socket, PBUs sent from
 *	the MAG addresses (IPV6_PKTINFO), at most W outstanding, PBAs
 *	matched by MN identifier and sequence number, retransmission
 *	after -t ms.  Per-registration latency is send -> PBA.
 *
 *   pmip-regload -i [-n N] [-m M] [-x REF]
 *	in-process: the same PBUs handed to lma_recv() directly, fake data
 *	plane, no sockets, a fixed clock; plus a fixed reference workload
 *	(REF rounds) that involves no project code.  Under valgrind
 *	--tool=callgrind, client requests dump the instruction counts of
 *	each phase and of the reference separately, so that
 *	analysis/bench_guard.py can compare them.
 *
 * Addresses: the LMA is 2001:db8:b::1 (-l), MAG j is 2001:db8:b::100
 * plus j+1 (-a changes the base), MN i's home network prefix is
 * 2001:db8:(0x100 + i / 65536):(i % 65536)::/64.
 *
 * The result is one JSON object on standard output.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define REGLOAD_CALLGRIND 1
#endif
#endif
#ifndef REGLOAD_CALLGRIND
#define REGLOAD_CALLGRIND 0
#define CALLGRIND_ZERO_STATS
#define CALLGRIND_DUMP_STATS_AT(s)
#endif

#include "conf.h"
#include "dp.h"
#include "ev.h"
#include "lma.h"
#include "log.h"
#include "mh.h"

#define REGLOAD_MAX_MN 100000
#define REGLOAD_MAX_MAGS 256
#define REGLOAD_TRIES 5

enum regload_phase { PH_FIRST, PH_REFRESH, PH_DEREG, PH_MAX };
static const char *const regload_phase_names[PH_MAX] = {
    [PH_FIRST] = "first_registration",
    [PH_REFRESH] = "refresh",
    [PH_DEREG] = "deregistration",
};

struct regload_mn {
	uint16_t seq;
	uint8_t tries;
	uint8_t outstanding;
	uint64_t ts;	    /* last Timestamp sent */
	int64_t first_ns;   /* first send of this phase */
	int64_t latency_ns; /* send -> PBA, -1: none */
	uint8_t status;
};

struct regload {
	unsigned n, m, window, timeout_ms, lifetime;
	unsigned phases; /* bit per enum regload_phase */
	struct in6_addr lma;
	struct in6_addr mag[REGLOAD_MAX_MAGS];
	struct regload_mn *mn;
	/* network mode */
	int fd;
	uint64_t tx, rx, retrans, rx_other;
	/* in-process mode */
	struct lma *l;
	uint64_t tick, accepted, rejected;
};

static int64_t
regload_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
regload_mn_prefix(unsigned i, struct mh_prefix *p)
{
	memset(p, 0, sizeof(*p));
	p->prefix.s6_addr[0] = 0x20;
	p->prefix.s6_addr[1] = 0x01;
	p->prefix.s6_addr[2] = 0x0d;
	p->prefix.s6_addr[3] = 0xb8;
	p->prefix.s6_addr[4] = (uint8_t)((0x100 + (i >> 16)) >> 8);
	p->prefix.s6_addr[5] = (uint8_t)(0x100 + (i >> 16));
	p->prefix.s6_addr[6] = (uint8_t)(i >> 8);
	p->prefix.s6_addr[7] = (uint8_t)i;
	p->len = 64;
}

static void
regload_nai(unsigned i, char *buf, size_t len)
{
	snprintf(buf, len, "mn%u@bench", i);
}

/* The MN index in an NAI of ours, or -1. */
static long
regload_nai_index(const char *nai, unsigned n)
{
	unsigned long v;
	char *end;

	if (strncmp(nai, "mn", 2) != 0)
		return -1;
	v = strtoul(nai + 2, &end, 10);
	if (strcmp(end, "@bench") != 0 || v >= n)
		return -1;
	return (long)v;
}

static ssize_t
regload_pbu(const struct regload *g, unsigned i, uint16_t lifetime_units,
	    uint8_t *buf, size_t cap)
{
	const struct regload_mn *s = &g->mn[i];
	struct mh_msg m;

	memset(&m, 0, sizeof(m));
	m.type = MH_TYPE_BU;
	m.bu.seq = s->seq;
	m.bu.flags = MH_BU_A | MH_BU_H | MH_BU_P;
	m.bu.lifetime = lifetime_units;
	m.opts.present =
	    MH_F_MNID | MH_F_HI | MH_F_ATT | MH_F_MNLLID | MH_F_TIMESTAMP;
	m.opts.mnid_subtype = MH_MNID_SUBTYPE_NAI;
	regload_nai(i, m.opts.mnid, sizeof(m.opts.mnid));
	m.opts.mnid_len = (uint8_t)strlen(m.opts.mnid);
	m.opts.n_hnp = 1;
	regload_mn_prefix(i, &m.opts.hnp[0]);
	m.opts.hi = MH_HI_NEW_IF;
	m.opts.att = 3;
	m.opts.llid_len = 6;
	uint8_t ll[6] = {0x02,
			 0x00,
			 (uint8_t)(i >> 24),
			 (uint8_t)(i >> 16),
			 (uint8_t)(i >> 8),
			 (uint8_t)i};
	memcpy(m.opts.llid, ll, 6);
	m.opts.timestamp = s->ts;
	return mh_build(&m, NULL, NULL, buf, cap);
}

/* ------------------------------------------------------------------ */
/* The LMA configuration */

static int
regload_write_conf(const struct regload *g, const char *path,
		   const char *backend, const char *ifname, const char *sock)
{
	char a[INET6_ADDRSTRLEN];
	FILE *f = fopen(path, "w");

	if (!f) {
		fprintf(stderr, "pmip-regload: %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	fprintf(f, "# pmip-regload -C: %u mobile nodes, %u MAGs\n", g->n, g->m);
	fprintf(f, "role = \"lma\";\nlog_level = \"warning\";\n");
	fprintf(f, "address = \"%s\";\n",
		inet_ntop(AF_INET6, &g->lma, a, sizeof(a)));
	if (ifname)
		fprintf(f, "interface = \"%s\";\n", ifname);
	if (sock)
		fprintf(f, "control_socket = \"%s\";\n", sock);
	fprintf(f, "lifetime = %u;\n", g->lifetime);
	fprintf(f, "dataplane = { backend = \"%s\"; };\n", backend);
	fprintf(f, "mags = (\n");
	for (unsigned j = 0; j < g->m; j++)
		fprintf(f, "\t{ name = \"mag%u\"; address = \"%s\"; }%s\n", j,
			inet_ntop(AF_INET6, &g->mag[j], a, sizeof(a)),
			j + 1 < g->m ? "," : "");
	fprintf(f, ");\nmobile_nodes = (\n");
	for (unsigned i = 0; i < g->n; i++) {
		struct mh_prefix p;
		char nai[32];
		regload_mn_prefix(i, &p);
		regload_nai(i, nai, sizeof(nai));
		fprintf(f,
			"\t{ id = \"%s\"; lladdr = "
			"\"02:00:%02x:%02x:%02x:%02x\"; prefixes = [ "
			"\"%s/64\" ]; }%s\n",
			nai, (i >> 24) & 0xff, (i >> 16) & 0xff,
			(i >> 8) & 0xff, i & 0xff,
			inet_ntop(AF_INET6, &p.prefix, a, sizeof(a)),
			i + 1 < g->n ? "," : "");
	}
	fprintf(f, ");\n");
	if (fclose(f) != 0) {
		fprintf(stderr, "pmip-regload: %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Statistics */

static int
regload_cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* Latency percentiles (us) of one phase, as JSON members. */
static void
regload_print_latency(const struct regload *g, FILE *out)
{
	int64_t *v = calloc(g->n ? g->n : 1, sizeof(*v));
	unsigned k = 0;

	if (!v)
		return;
	for (unsigned i = 0; i < g->n; i++)
		if (g->mn[i].latency_ns >= 0)
			v[k++] = g->mn[i].latency_ns;
	qsort(v, k, sizeof(*v), regload_cmp_i64);
	fprintf(out, "\"answered\":%u", k);
	if (k > 0) {
		static const double pct[] = {50, 90, 99};
		static const char *const name[] = {"p50", "p90", "p99"};
		for (unsigned p = 0; p < 3; p++) {
			size_t idx = (size_t)(pct[p] / 100.0 * k);
			if (idx >= k)
				idx = k - 1;
			fprintf(out, ",\"%s_us\":%.1f", name[p],
				(double)v[idx] / 1e3);
		}
		double sum = 0;
		for (unsigned i = 0; i < k; i++)
			sum += (double)v[i];
		fprintf(out, ",\"max_us\":%.1f,\"mean_us\":%.1f",
			(double)v[k - 1] / 1e3, sum / k / 1e3);
	}
	free(v);
}

/* ------------------------------------------------------------------ */
/* Network mode */

static int
regload_open(struct regload *g)
{
	int fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_MH_);
	int off = 4, buf = 8 << 20;

	if (fd < 0) {
		perror("pmip-regload: socket(raw, 135)");
		return -1;
	}
	/* RFC 6275 6.1.1: the kernel computes and checks the checksum. */
	if (setsockopt(fd, IPPROTO_IPV6, IPV6_CHECKSUM, &off, sizeof(off)) <
	    0) {
		perror("pmip-regload: IPV6_CHECKSUM");
		close(fd);
		return -1;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	g->fd = fd;
	return 0;
}

static int
regload_send(struct regload *g, unsigned i, enum regload_phase ph)
{
	uint8_t buf[MH_MAX_LEN];
	struct regload_mn *s = &g->mn[i];
	struct timespec rt;

	clock_gettime(CLOCK_REALTIME, &rt);
	uint64_t ts = mh_timestamp_from_timespec(&rt);
	s->ts = ts > s->ts ? ts : s->ts + 1; /* strictly newer per MN */
	s->seq++;
	ssize_t n =
	    regload_pbu(g, i, ph == PH_DEREG ? 0 : (uint16_t)(g->lifetime / 4),
			buf, sizeof(buf));
	if (n < 0)
		return -1;
	struct sockaddr_in6 to = {.sin6_family = AF_INET6, .sin6_addr = g->lma};
	union {
		struct cmsghdr h;
		uint8_t b[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} cbuf;
	struct iovec iov = {buf, (size_t)n};
	struct msghdr msg = {
	    .msg_name = &to,
	    .msg_namelen = sizeof(to),
	    .msg_iov = &iov,
	    .msg_iovlen = 1,
	    .msg_control = cbuf.b,
	    .msg_controllen = sizeof(cbuf.b),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	struct in6_pktinfo pi = {.ipi6_addr = g->mag[i % g->m]};
	c->cmsg_level = IPPROTO_IPV6;
	c->cmsg_type = IPV6_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	for (;;) {
		if (sendmsg(g->fd, &msg, 0) >= 0)
			break;
		if (errno == EINTR || errno == ENOBUFS || errno == EAGAIN) {
			struct timespec d = {0, 100000};
			nanosleep(&d, NULL);
			continue;
		}
		perror("pmip-regload: sendmsg");
		return -1;
	}
	g->tx++;
	return 0;
}

/* Read the PBAs that are there; returns the number completed. */
static unsigned
regload_read(struct regload *g)
{
	uint8_t buf[MH_MAX_LEN + 64];
	unsigned done = 0;

	for (;;) {
		ssize_t n = recv(g->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0)
			return done;
		int64_t now = regload_now_ns();
		struct mh_msg m;
		const char *why;
		if (mh_parse(buf, (size_t)n, &m, &why) < 0 ||
		    m.type != MH_TYPE_BA || !(m.opts.present & MH_F_MNID)) {
			g->rx_other++;
			continue;
		}
		long i = regload_nai_index(m.opts.mnid, g->n);
		if (i < 0 || !g->mn[i].outstanding ||
		    m.ba.seq != g->mn[i].seq) {
			g->rx_other++; /* late answer to a retransmitted PBU */
			continue;
		}
		g->rx++;
		g->mn[i].outstanding = 0;
		g->mn[i].status = m.ba.status;
		g->mn[i].latency_ns = now - g->mn[i].first_ns;
		done++;
	}
}

struct regload_q {
	unsigned mn;
	uint16_t seq;
	int64_t sent_ns;
};

/* One phase over the network: returns the wall time in ns, or -1. */
static int64_t
regload_net_phase(struct regload *g, enum regload_phase ph)
{
	size_t qcap = (size_t)g->n * REGLOAD_TRIES + 1, qh = 0, qt = 0;
	struct regload_q *q = calloc(qcap, sizeof(*q));
	unsigned next = 0, inflight = 0, finished = 0;
	int64_t t0 = regload_now_ns();

	if (!q)
		return -1;
	for (unsigned i = 0; i < g->n; i++) {
		g->mn[i].latency_ns = -1;
		g->mn[i].tries = 0;
		g->mn[i].outstanding = 0;
		g->mn[i].status = 255;
	}
	while (finished < g->n) {
		while (inflight < g->window && next < g->n) {
			struct regload_mn *s = &g->mn[next];
			s->first_ns = regload_now_ns();
			if (regload_send(g, next, ph) < 0)
				goto fail;
			s->tries = 1;
			s->outstanding = 1;
			q[qt++] = (struct regload_q){next, s->seq, s->first_ns};
			inflight++;
			next++;
		}
		struct pollfd p = {g->fd, POLLIN, 0};
		(void)poll(&p, 1, 10);
		unsigned d = regload_read(g);
		inflight -= d;
		finished += d;
		/* Retransmit what has waited too long (oldest first). */
		int64_t now = regload_now_ns();
		while (qh < qt) {
			struct regload_q *e = &q[qh];
			struct regload_mn *s = &g->mn[e->mn];
			if (!s->outstanding || s->seq != e->seq) {
				qh++;
				continue;
			}
			if (now - e->sent_ns < (int64_t)g->timeout_ms * 1000000)
				break;
			qh++;
			if (s->tries >= REGLOAD_TRIES) {
				s->outstanding = 0; /* given up */
				inflight--;
				finished++;
				continue;
			}
			if (regload_send(g, e->mn, ph) < 0)
				goto fail;
			s->tries++;
			g->retrans++;
			q[qt++] = (struct regload_q){e->mn, s->seq, now};
		}
	}
	free(q);
	return regload_now_ns() - t0;
fail:
	free(q);
	return -1;
}

static int
regload_net(struct regload *g)
{
	char a[INET6_ADDRSTRLEN];
	int first = 1;

	if (regload_open(g) < 0)
		return 1;
	printf("{\"mode\":\"network\",\"mns\":%u,\"mags\":%u,\"window\":%u,"
	       "\"lma\":\"%s\",\"phases\":{",
	       g->n, g->m, g->window,
	       inet_ntop(AF_INET6, &g->lma, a, sizeof(a)));
	for (int ph = 0; ph < PH_MAX; ph++) {
		if (!(g->phases & (1u << ph)))
			continue;
		uint64_t rt0 = g->retrans;
		int64_t wall = regload_net_phase(g, (enum regload_phase)ph);
		if (wall < 0)
			return 1;
		unsigned acc = 0, rej = 0, lost = 0;
		for (unsigned i = 0; i < g->n; i++) {
			if (g->mn[i].latency_ns < 0)
				lost++;
			else if (g->mn[i].status == 0)
				acc++;
			else
				rej++;
		}
		printf("%s\"%s\":{\"wall_s\":%.4f,\"registrations_per_s\":%.0f,"
		       "\"accepted\":%u,\"rejected\":%u,\"unanswered\":%u,"
		       "\"retransmissions\":%" PRIu64 ",",
		       first ? "" : ",", regload_phase_names[ph],
		       (double)wall / 1e9, g->n / ((double)wall / 1e9), acc,
		       rej, lost, g->retrans - rt0);
		regload_print_latency(g, stdout);
		printf("}");
		fflush(stdout);
		first = 0;
	}
	printf("},\"tx\":%" PRIu64 ",\"rx\":%" PRIu64 ",\"rx_ignored\":%" PRIu64
	       "}\n",
	       g->tx, g->rx, g->rx_other);
	close(g->fd);
	return 0;
}

/* ------------------------------------------------------------------ */
/* In-process mode */

static uint64_t regload_ts_base = (uint64_t)1800000000 << 16;

static uint64_t
regload_clock(void *arg)
{
	const struct regload *g = arg;
	return regload_ts_base + g->tick;
}

static int
regload_lma_send(void *arg, const struct in6_addr *dst, const uint8_t *buf,
		 size_t len)
{
	struct regload *g = arg;
	/* Status is the first octet after the 6-octet MH header. */
	if (len > 6 && buf[6] == MH_ST_ACCEPTED)
		g->accepted++;
	else
		g->rejected++;
	return 0;
}

/* Build every PBU of a phase first, so that only lma_recv() is timed. */
static uint8_t *
regload_inproc_build(struct regload *g, uint16_t units, size_t *stride,
		     uint16_t **lens)
{
	*stride = 128;
	uint8_t *all = malloc((size_t)g->n * *stride);
	*lens = calloc(g->n, sizeof(**lens));
	if (!all || !*lens) {
		free(all);
		free(*lens);
		return NULL;
	}
	for (unsigned i = 0; i < g->n; i++) {
		g->mn[i].seq++;
		g->mn[i].ts = regload_ts_base + ++g->tick;
		ssize_t n = regload_pbu(g, i, units, all + (size_t)i * *stride,
					*stride);
		if (n < 0) {
			free(all);
			free(*lens);
			return NULL;
		}
		(*lens)[i] = (uint16_t)n;
	}
	return all;
}

static void
regload_inproc_run(struct regload *g, const uint8_t *all, size_t stride,
		   const uint16_t *lens)
{
	for (unsigned i = 0; i < g->n; i++)
		lma_recv(g->l, &g->mag[i % g->m], &g->lma,
			 all + (size_t)i * stride, lens[i]);
}

static int
regload_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/*
 * The reference: a fixed mix of what a registration does (hashing bytes,
 * comparing and copying strings, formatting, sorting) with no project
 * code in it, so that it moves with the compiler, libc and machine but
 * not with pmipd.  One round is roughly one registration's work.
 */
static uint64_t
regload_reference(unsigned rounds)
{
	uint64_t x = 88172645463325252ull, acc = 0;
	uint64_t v[32];
	char s[64], t[64];

	for (unsigned r = 0; r < rounds; r++) {
		for (unsigned k = 0; k < 32; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			v[k] = x;
		}
		qsort(v, 32, sizeof(v[0]), regload_cmp_u64);
		snprintf(s, sizeof(s), "mn%u@bench/%016" PRIx64, r, v[0]);
		memcpy(t, s, sizeof(t));
		uint32_t h = 2166136261u;
		for (const char *p = t; *p; p++)
			h = (h ^ (uint8_t)*p) * 16777619u;
		acc += h + (uint64_t)strcmp(s, t) + strlen(t);
	}
	return acc;
}

static int
regload_inproc(struct regload *g, unsigned ref_rounds)
{
	char path[] = "/tmp/pmip-regload-XXXXXX";
	char err[CONF_ERRLEN];
	struct conf conf;
	struct dp dp;
	struct lma l;
	int fd = mkstemp(path);

	if (fd < 0) {
		perror("pmip-regload: mkstemp");
		return 1;
	}
	close(fd);
	int r = regload_write_conf(g, path, "fake", NULL, NULL);
	if (r == 0 && (r = conf_load(path, &conf, err, sizeof(err))) < 0)
		fprintf(stderr, "pmip-regload: %s\n", err);
	unlink(path);
	if (r < 0)
		return 1;
	log_init("pmip-regload", 0, LOG_LVL_WARN);
	struct ev *ev = ev_new();
	if (!ev || dp_open(&dp, &conf, ev) < 0 ||
	    lma_init(&l, &conf, ev, &dp) < 0) {
		fprintf(stderr, "pmip-regload: cannot set up the LMA\n");
		return 1;
	}
	l.send = regload_lma_send;
	l.send_arg = g;
	l.clock = regload_clock;
	l.clock_arg = g;
	g->l = &l;

	printf("{\"mode\":\"inprocess\",\"mns\":%u,\"mags\":%u,\"phases\":{",
	       g->n, g->m);
	int first = 1;
	for (int ph = 0; ph < PH_MAX; ph++) {
		size_t stride;
		uint16_t *lens;
		uint8_t *all = regload_inproc_build(
		    g, ph == PH_DEREG ? 0 : (uint16_t)(g->lifetime / 4),
		    &stride, &lens);
		if (!all)
			return 1;
		g->accepted = g->rejected = 0;
		int64_t t0 = regload_now_ns();
		CALLGRIND_ZERO_STATS;
		regload_inproc_run(g, all, stride, lens);
		CALLGRIND_DUMP_STATS_AT(regload_phase_names[ph]);
		int64_t dt = regload_now_ns() - t0;
		printf("%s\"%s\":{\"us_per_registration\":%.3f,"
		       "\"registrations_per_s\":%.0f,\"accepted\":%" PRIu64
		       ",\"rejected\":%" PRIu64 "}",
		       first ? "" : ",", regload_phase_names[ph],
		       (double)dt / 1e3 / g->n, g->n / ((double)dt / 1e9),
		       g->accepted, g->rejected);
		first = 0;
		free(all);
		free(lens);
		if (g->accepted != g->n) {
			fprintf(stderr,
				"pmip-regload: %s: %" PRIu64
				" of %u accepted\n",
				regload_phase_names[ph], g->accepted, g->n);
			return 1;
		}
	}
	int64_t t0 = regload_now_ns();
	CALLGRIND_ZERO_STATS;
	uint64_t v = regload_reference(ref_rounds);
	CALLGRIND_DUMP_STATS_AT("reference");
	int64_t dt = regload_now_ns() - t0;
	printf("},\"callgrind_markers\":%s,\"reference\":{\"rounds\":%u,\"us_"
	       "per_round\":%.3f,"
	       "\"check\":%" PRIu64 "},\"bytes_per_binding\":%zu,\"lma\":",
	       REGLOAD_CALLGRIND ? "true" : "false", ref_rounds,
	       ref_rounds ? (double)dt / 1e3 / ref_rounds : 0.0, v,
	       bce_mem_per_entry(&l.bc));
	lma_dump_stats(&l, stdout, 1);
	printf("}\n");
	lma_fini(&l);
	dp_close(&dp);
	ev_free(ev);
	conf_free(&conf);
	return 0;
}

/* ------------------------------------------------------------------ */

static void
regload_usage(FILE *f)
{
	fprintf(f, "usage: pmip-regload -C FILE [-n N] [-m M] [-b BACKEND] "
		   "[-I IFNAME] [-S SOCKET]\n"
		   "       pmip-regload [-n N] [-m M] [-w WINDOW] [-t MS] "
		   "[-p PHASES] [-P CPU]\n"
		   "       pmip-regload -i [-n N] [-m M] [-x ROUNDS]\n"
		   "  -n N        mobile nodes (10000)\n"
		   "  -m M        MAGs, i.e. source addresses (8)\n"
		   "  -l ADDR     LMA address (2001:db8:b::1)\n"
		   "  -a ADDR     base of the MAG addresses (2001:db8:b::100)\n"
		   "  -L S        lifetime requested and granted (3600)\n"
		   "  -w W        outstanding PBUs at most (64)\n"
		   "  -t MS       retransmission timeout (1000)\n"
		   "  -p PHASES   comma-separated: first,refresh,dereg (all)\n"
		   "  -P CPU      run on this CPU\n"
		   "  -x ROUNDS   reference workload rounds (-i; default N)\n");
}

int
main(int argc, char **argv)
{
	struct regload g = {.n = 10000,
			    .m = 8,
			    .window = 64,
			    .timeout_ms = 1000,
			    .lifetime = 3600,
			    .phases = 7,
			    .fd = -1};
	const char *conf_out = NULL, *backend = "fake", *ifname = NULL,
		   *sock = NULL;
	struct in6_addr base;
	int inproc = 0, cpu = -1, ch;
	long ref_rounds = -1;

	inet_pton(AF_INET6, "2001:db8:b::1", &g.lma);
	inet_pton(AF_INET6, "2001:db8:b::100", &base);
	while ((ch = getopt(argc, argv, "C:b:I:S:n:m:l:a:L:w:t:p:P:ix:h")) !=
	       -1) {
		switch (ch) {
		case 'C':
			conf_out = optarg;
			break;
		case 'b':
			backend = optarg;
			break;
		case 'I':
			ifname = optarg;
			break;
		case 'S':
			sock = optarg;
			break;
		case 'n':
			g.n = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'm':
			g.m = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'l':
			if (inet_pton(AF_INET6, optarg, &g.lma) != 1)
				goto usage;
			break;
		case 'a':
			if (inet_pton(AF_INET6, optarg, &base) != 1)
				goto usage;
			break;
		case 'L':
			g.lifetime = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'w':
			g.window = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 't':
			g.timeout_ms = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'p':
			g.phases = 0;
			if (strstr(optarg, "first"))
				g.phases |= 1u << PH_FIRST;
			if (strstr(optarg, "refresh"))
				g.phases |= 1u << PH_REFRESH;
			if (strstr(optarg, "dereg"))
				g.phases |= 1u << PH_DEREG;
			break;
		case 'P':
			cpu = atoi(optarg);
			break;
		case 'i':
			inproc = 1;
			break;
		case 'x':
			ref_rounds = strtol(optarg, NULL, 10);
			break;
		case 'h':
			regload_usage(stdout);
			return 0;
		default:
			goto usage;
		}
	}
	if (optind != argc || g.n == 0 || g.n > REGLOAD_MAX_MN || g.m == 0 ||
	    g.m > REGLOAD_MAX_MAGS || g.window == 0 || g.phases == 0 ||
	    g.lifetime < 4 || g.lifetime > 262140 || g.lifetime % 4)
		goto usage;
	for (unsigned j = 0; j < g.m; j++) {
		g.mag[j] = base;
		unsigned v =
		    ((unsigned)base.s6_addr[14] << 8 | base.s6_addr[15]) + j +
		    1;
		g.mag[j].s6_addr[14] = (uint8_t)(v >> 8);
		g.mag[j].s6_addr[15] = (uint8_t)v;
	}
	if (conf_out)
		return regload_write_conf(&g, conf_out, backend, ifname, sock) <
			       0
			   ? 1
			   : 0;
	if (cpu >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) < 0)
			perror("pmip-regload: sched_setaffinity");
	}
	g.mn = calloc(g.n, sizeof(*g.mn));
	if (!g.mn) {
		perror("pmip-regload");
		return 1;
	}
	int rc = inproc ? regload_inproc(
			      &g, ref_rounds < 0 ? g.n : (unsigned)ref_rounds)
			: regload_net(&g);
	free(g.mn);
	return rc;
usage:
	regload_usage(stderr);
	return 2;
}
