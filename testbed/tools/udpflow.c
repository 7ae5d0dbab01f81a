/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pmip-udpflow: a paced, sequence-numbered IPv6 UDP flow and its receiver.
 *
 * The testbed sends one or more of these flows across a handover and
 * turns the logs into loss, reordering, one-way delay and interruption
 * figures (analysis/flows.py, docs/measurements.md).
 *
 * Every datagram starts with a 24-byte header, all fields big-endian:
 *
 *	0   u32  magic "PMUF" (0x504d5546)
 *	4   u32  flow id
 *	8   u64  sequence number, 0, 1, 2 ... per flow
 *	16  u64  CLOCK_MONOTONIC time of the send in ns
 *
 * and is padded with zeros to the requested payload size.  All network
 * namespaces of one machine share CLOCK_MONOTONIC, so rx_ns - tx_ns is a
 * one-way delay there.
 *
 * Timing matters more than anything else here, so both sides keep their
 * per-packet log in memory and write it only at exit.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h> /* isfinite() only: no libm */
#include <netdb.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define UF_MAGIC 0x504d5546u
#define UF_HDR_LEN 24
#define UF_DEFAULT_PAYLOAD 64
#define UF_MAX_PAYLOAD 65527 /* 65535 minus the UDP header */
#define UF_MAX_RATE 10000000.0

/*
 * Sleep only when the next deadline is further away than UF_SLEEP_MIN_NS
 * (-w), and wake UF_WAKE_EARLY_NS early to spin the rest: a timer wake-up
 * is late by tens of microseconds, a spin is not.  Under SCHED_FIFO the
 * wake-up is prompt, and spinning all the time would run into the
 * kernel's RT throttling (50 ms of every second), so sleep more there.
 */
#define UF_SLEEP_MIN_NS 200000
#define UF_SLEEP_MIN_RT_NS 60000
#define UF_WAKE_EARLY_NS 60000
/*
 * A sender that falls behind (descheduled, or a slow send) catches up at
 * most UF_CATCHUP times the nominal rate, so it never bursts; a debt of
 * more than UF_MAX_DEBT_NS (or UF_MAX_DEBT_PKTS intervals, if longer) is
 * forgiven by moving the whole schedule instead ("slip").
 */
#define UF_CATCHUP 2
#define UF_MAX_DEBT_NS 100000000
#define UF_MAX_DEBT_PKTS 4

#define UF_SNDBUF (4 * 1024 * 1024)
#define UF_RCVBUF (8 * 1024 * 1024)
/* A sequence number at or above this is not tracked for duplicates; at
 * 50 000 packets/s it is more than five hours of traffic. */
#define UF_MAX_TRACKED_SEQ (UINT64_C(1) << 30)
#define UF_MAX_FLOWS 1024
#define UF_MAX_BURST 256

#define NS_PER_S 1000000000LL

static const char *progname = "pmip-udpflow";
static volatile sig_atomic_t stop_requested;

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: %s send -d ADDR -p PORT -r RATE_PPS -t SECONDS\n"
		"\t[-s PAYLOAD_BYTES] [-f FLOW_ID] [-b SRC_ADDR] [-o LOG]\n"
		"\t[-R RT_PRIO] [-w SPIN_US] [-B BURST]\n"
		"       %s recv -p PORT [-b BIND_ADDR] [-t SECONDS]\n"
		"\t[-i IDLE_SECONDS] [-o LOG] [-R RT_PRIO]\n"
		"\n"
		"send: paces round(RATE_PPS * SECONDS) IPv6 UDP datagrams\n"
		"  of PAYLOAD_BYTES (%d..%d, default %d) to ADDR PORT, each\n"
		"  with FLOW_ID (default 0), a sequence number from 0 and\n"
		"  its CLOCK_MONOTONIC send time.  LOG gets the CSV\n"
		"  flow,seq,sched_ns,tx_ns,err of every send (err: errno).\n"
		"recv: receives until SIGINT or SIGTERM, SECONDS in all, or\n"
		"  IDLE_SECONDS without a packet after the first one.  LOG\n"
		"  gets the CSV flow,seq,tx_ns,rx_ns,len of every packet.\n"
		"-R: run under SCHED_FIFO with this priority (1..99).\n"
		"-w: spin rather than sleep for gaps shorter than this\n"
		"  (default 200, 60 with -R).\n"
		"-B: send BURST datagrams per deadline (sendmmsg), the\n"
		"  deadlines BURST intervals apart (default 1).\n"
		"Both print a one-line JSON summary on stdout.\n",
		progname, progname, UF_HDR_LEN, UF_MAX_PAYLOAD,
		UF_DEFAULT_PAYLOAD);
}

static void __attribute__((format(printf, 1, 2), noreturn))
usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	usage(stderr);
	exit(2);
}

static void __attribute__((format(printf, 1, 2), noreturn))
fatal(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(saved));
	exit(1);
}

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

/* llround() without libm, for the non-negative values we have. */
static int64_t
round_ns(double x)
{
	return (int64_t)(x + 0.5);
}

static void
sleep_until_ns(int64_t t)
{
	struct timespec ts = {
	    .tv_sec = (time_t)(t / NS_PER_S),
	    .tv_nsec = (long)(t % NS_PER_S),
	};

	/* An interrupted sleep just returns early: the caller re-checks. */
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

static void
on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void
install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a blocked recv() must return EINTR. */
	sa.sa_flags = 0;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* Wire header. */

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void
put_be64(uint8_t *p, uint64_t v)
{
	put_be32(p, (uint32_t)(v >> 32));
	put_be32(p + 4, (uint32_t)v);
}

static uint32_t
get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static uint64_t
get_be64(const uint8_t *p)
{
	return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

struct hdr {
	uint32_t flow;
	uint64_t seq;
	uint64_t tx_ns;
};

static void
hdr_build(uint8_t *buf, const struct hdr *h)
{
	put_be32(buf, UF_MAGIC);
	put_be32(buf + 4, h->flow);
	put_be64(buf + 8, h->seq);
	put_be64(buf + 16, h->tx_ns);
}

static int
hdr_parse(const uint8_t *buf, size_t len, struct hdr *h)
{
	if (len < UF_HDR_LEN || get_be32(buf) != UF_MAGIC)
		return -EINVAL;
	h->flow = get_be32(buf + 4);
	h->seq = get_be64(buf + 8);
	h->tx_ns = get_be64(buf + 16);
	return 0;
}

/* Argument parsing: whole strings only, ranges checked. */

static double
arg_double(const char *opt, const char *s, double min, double max)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !isfinite(v) || v < min ||
	    v > max)
		usage_error("-%s: '%s' is not a number in [%g, %g]", opt, s,
			    min, max);
	return v;
}

static unsigned long long
arg_uint(const char *opt, const char *s, unsigned long long min,
	 unsigned long long max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v < min ||
	    v > max)
		usage_error("-%s: '%s' is not an integer in [%llu, %llu]", opt,
			    s, min, max);
	return v;
}

/* ADDR may carry a zone ("fe80::1%eth0"); NULL means the wildcard. */
static void
arg_addr(const char *opt, const char *s, uint16_t port, struct sockaddr_in6 *sa)
{
	struct addrinfo hints, *res;
	int rc;

	memset(sa, 0, sizeof(*sa));
	sa->sin6_family = AF_INET6;
	sa->sin6_port = htons(port);
	if (s == NULL) {
		sa->sin6_addr = in6addr_any;
		return;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET6;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICHOST;
	rc = getaddrinfo(s, NULL, &hints, &res);
	if (rc != 0)
		usage_error("-%s: '%s' is not an IPv6 address", opt, s);
	memcpy(sa, res->ai_addr, sizeof(*sa));
	sa->sin6_port = htons(port);
	freeaddrinfo(res);
}

/* Socket buffers: the FORCE variant passes the rmem/wmem_max limit when
 * we are root; otherwise take what the kernel allows. */
static void
set_buf(int fd, int opt_force, int opt, int bytes)
{
	if (setsockopt(fd, SOL_SOCKET, opt_force, &bytes, sizeof(bytes)) == 0)
		return;
	(void)setsockopt(fd, SOL_SOCKET, opt, &bytes, sizeof(bytes));
}

/* SCHED_FIFO takes wake-up latency on a busy machine from milliseconds
 * to microseconds.  A spinning real-time sender holds one core, which
 * the kernel's RT throttling (sched_rt_runtime_us) still bounds. */
static void
set_realtime(int prio)
{
	struct sched_param sp;

	if (prio == 0)
		return;
	memset(&sp, 0, sizeof(sp));
	sp.sched_priority = prio;
	if (sched_setscheduler(0, SCHED_FIFO, &sp) < 0)
		fprintf(stderr, "%s: SCHED_FIFO priority %d: %s (continuing)\n",
			progname, prio, strerror(errno));
}

/* Write to PATH.tmp, then rename, so that a reader never sees half a log. */
static FILE *
log_open(const char *path, char *tmp, size_t tmplen)
{
	FILE *f;

	if ((size_t)snprintf(tmp, tmplen, "%s.tmp", path) >= tmplen) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	f = fopen(tmp, "w");
	if (f != NULL)
		setvbuf(f, NULL, _IOFBF, 1 << 20);
	return f;
}

static int
log_close(FILE *f, const char *tmp, const char *path)
{
	if (ferror(f) | (fclose(f) != 0))
		return -1;
	return rename(tmp, path);
}

static void *
grow(void *p, size_t *cap, size_t need, size_t elem)
{
	size_t ncap = *cap ? *cap : 65536;
	void *np;

	while (ncap < need)
		ncap *= 2;
	if (ncap == *cap)
		return p;
	np = realloc(p, ncap * elem);
	if (np == NULL)
		return NULL;
	*cap = ncap;
	return np;
}

static void
json_errno_counts(const uint64_t *counts, int n)
{
	int first = 1;

	printf("{");
	for (int e = 0; e < n; e++) {
		if (counts[e] == 0)
			continue;
		/* strerrorname_np() is glibc 2.32+; the number is portable. */
		printf("%s\"%d\":%" PRIu64, first ? "" : ",", e, counts[e]);
		first = 0;
	}
	printf("}");
}

/* ---- send ---- */

struct send_rec {
	uint64_t seq;
	int64_t sched_ns;
	int64_t tx_ns;
	int err;
};

#define SEND_ERRNO_MAX 256

struct send_stats {
	uint64_t sent;	 /* accepted by the kernel */
	uint64_t errors; /* refused by the kernel, seq consumed */
	uint64_t late;	 /* sent more than one interval after its deadline */
	uint64_t slips;	 /* schedule moved instead of bursting */
	int64_t slipped_ns, max_late_ns;
	int64_t first_tx_ns, last_tx_ns;
	uint64_t err_by_errno[SEND_ERRNO_MAX];
};

static int
cmd_send(int argc, char **argv)
{
	const char *dst = NULL, *src = NULL, *logpath = NULL;
	double rate = 0, secs = 0, interval;
	unsigned long long port = 0, payload = UF_DEFAULT_PAYLOAD, flow = 0;
	struct sockaddr_in6 dsa, ssa;
	struct send_stats st;
	struct send_rec *recs = NULL;
	size_t nrecs = 0, caprecs = 0;
	uint8_t *buf;
	uint64_t count, i, i0 = 0;
	unsigned long long burst = 1;
	struct mmsghdr *mm;
	struct iovec *iov;
	int64_t base, not_before = 0;
	double max_debt;
	int64_t spin_ns = -1, wake_early_ns;
	int rtprio = 0;
	char tmp[PATH_MAX];
	int c, fd;

	while ((c = getopt(argc, argv, "d:p:r:t:s:f:b:o:R:w:B:h")) != -1) {
		switch (c) {
		case 'R':
			rtprio = (int)arg_uint("R", optarg, 1, 99);
			break;
		case 'w':
			spin_ns =
			    1000 * (int64_t)arg_uint("w", optarg, 0, 1000000);
			break;
		case 'B':
			burst = arg_uint("B", optarg, 1, UF_MAX_BURST);
			break;
		case 'd':
			dst = optarg;
			break;
		case 'p':
			port = arg_uint("p", optarg, 1, 65535);
			break;
		case 'r':
			rate = arg_double("r", optarg, 0.001, UF_MAX_RATE);
			break;
		case 't':
			secs = arg_double("t", optarg, 0.000001, 1e7);
			break;
		case 's':
			payload =
			    arg_uint("s", optarg, UF_HDR_LEN, UF_MAX_PAYLOAD);
			break;
		case 'f':
			flow = arg_uint("f", optarg, 0, UINT32_MAX);
			break;
		case 'b':
			src = optarg;
			break;
		case 'o':
			logpath = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage_error("send: bad option");
		}
	}
	if (optind != argc)
		usage_error("send: unexpected argument '%s'", argv[optind]);
	if (dst == NULL || port == 0 || rate == 0 || secs == 0)
		usage_error("send: -d, -p, -r and -t are required");
	arg_addr("d", dst, (uint16_t)port, &dsa);
	if (src != NULL)
		arg_addr("b", src, 0, &ssa);

	count = (uint64_t)round_ns(rate * secs);
	if (count == 0)
		count = 1;
	interval = 1e9 / rate;
	if (spin_ns < 0)
		spin_ns = rtprio ? UF_SLEEP_MIN_RT_NS : UF_SLEEP_MIN_NS;
	wake_early_ns = spin_ns < UF_WAKE_EARLY_NS ? spin_ns : UF_WAKE_EARLY_NS;
	max_debt = UF_MAX_DEBT_PKTS * interval;
	if (max_debt < UF_MAX_DEBT_NS)
		max_debt = UF_MAX_DEBT_NS;

	fd = socket(AF_INET6, SOCK_DGRAM, 0);
	if (fd < 0)
		fatal("socket");
	set_buf(fd, SO_SNDBUFFORCE, SO_SNDBUF, UF_SNDBUF);
	if (src != NULL && bind(fd, (struct sockaddr *)&ssa, sizeof(ssa)) < 0)
		fatal("bind %s", src);
	/*
	 * Not connect()ed: the source address is chosen per packet, so the
	 * flow follows address and route changes during a handover, and a
	 * route lookup failure is reported by the very sendto() that hit it.
	 */
	buf = calloc(burst, payload);
	mm = calloc(burst, sizeof(*mm));
	iov = calloc(burst, sizeof(*iov));
	if (buf == NULL || mm == NULL || iov == NULL)
		fatal("calloc");
	for (size_t k = 0; k < burst; k++) {
		iov[k].iov_base = buf + k * payload;
		iov[k].iov_len = payload;
		mm[k].msg_hdr.msg_name = &dsa;
		mm[k].msg_hdr.msg_namelen = sizeof(dsa);
		mm[k].msg_hdr.msg_iov = &iov[k];
		mm[k].msg_hdr.msg_iovlen = 1;
	}
	memset(&st, 0, sizeof(st));
	install_signals();
	set_realtime(rtprio);
	/* Timer slack defaults to 50 us: far too coarse for our deadlines. */
	(void)prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);

	base = now_ns();
	for (i = 0; i < count && !stop_requested;) {
		struct hdr h;
		int64_t deadline, t, now;
		unsigned nb = (unsigned)(count - i < burst ? count - i : burst);
		int n, err = 0;

		deadline = base + round_ns((double)(i - i0) * interval);
		t = deadline > not_before ? deadline : not_before;
		now = now_ns();
		if (t - now > spin_ns) {
			sleep_until_ns(t - wake_early_ns);
			now = now_ns();
		}
		while (now < t)
			now = now_ns();
		if ((double)(now - deadline) > max_debt) {
			st.slips++;
			st.slipped_ns += now - deadline;
			base = now;
			i0 = i;
			deadline = now;
		}
		if ((double)(now - deadline) > interval)
			st.late++;
		if (now - deadline > st.max_late_ns)
			st.max_late_ns = now - deadline;
		not_before = now + round_ns(nb * interval / UF_CATCHUP);

		h.flow = (uint32_t)flow;
		h.tx_ns = (uint64_t)now;
		for (unsigned k = 0; k < nb; k++) {
			h.seq = i + k;
			hdr_build(buf + k * payload, &h);
		}
		if (nb == 1)
			n = sendto(fd, buf, payload, MSG_DONTWAIT,
				   (struct sockaddr *)&dsa, sizeof(dsa)) < 0
				? -1
				: 1;
		else
			n = sendmmsg(fd, mm, nb, MSG_DONTWAIT);
		if (n < 0) {
			err = errno;
			n = 0;
		} else if ((unsigned)n < nb) {
			/* the rest of the burst: try once more, no wait */
			int m = sendmmsg(fd, mm + n, nb - (unsigned)n,
					 MSG_DONTWAIT);
			if (m < 0)
				err = errno;
			else
				n += m;
			if ((unsigned)n < nb && err == 0)
				err = EAGAIN;
		}
		st.sent += (uint64_t)n;
		st.errors += nb - (unsigned)n;
		st.err_by_errno[err < SEND_ERRNO_MAX ? err : 0] +=
		    nb - (unsigned)n;
		if (i == 0)
			st.first_tx_ns = now;
		st.last_tx_ns = now;
		for (unsigned k = 0; logpath != NULL && k < nb; k++) {
			if (nrecs == caprecs) {
				recs = grow(recs, &caprecs, nrecs + 1,
					    sizeof(*recs));
				if (recs == NULL)
					fatal("send log");
			}
			recs[nrecs++] = (struct send_rec){
			    .seq = i + k,
			    .sched_ns = deadline,
			    .tx_ns = now,
			    .err = (int)k < n ? 0 : err};
		}
		i += nb;
	}
	close(fd);
	free(mm);
	free(iov);

	if (logpath != NULL) {
		FILE *f = log_open(logpath, tmp, sizeof(tmp));

		if (f == NULL)
			fatal("%s", logpath);
		fprintf(f, "flow,seq,sched_ns,tx_ns,err\n");
		for (size_t k = 0; k < nrecs; k++)
			fprintf(f,
				"%llu,%" PRIu64 ",%" PRId64 ",%" PRId64 ",%d\n",
				flow, recs[k].seq, recs[k].sched_ns,
				recs[k].tx_ns, recs[k].err);
		if (log_close(f, tmp, logpath) < 0)
			fatal("%s", logpath);
	}

	{
		uint64_t total = st.sent + st.errors;
		double span = (double)(st.last_tx_ns - st.first_tx_ns) / 1e9;
		double achieved =
		    total > 1 && span > 0 ? (double)(total - 1) / span : 0.0;

		printf("{\"mode\":\"send\",\"flow\":%llu,\"packets\":%" PRIu64
		       ",\"sent\":%" PRIu64 ",\"errors\":%" PRIu64
		       ",\"late\":%" PRIu64 ",\"slips\":%" PRIu64
		       ",\"slipped_ns\":%" PRId64 ",\"max_late_ns\":%" PRId64
		       ",\"first_tx_ns\":%" PRId64 ",\"last_tx_ns\":%" PRId64
		       ",\"rate_pps\":%.3f,\"achieved_pps\":%.3f"
		       ",\"payload\":%llu,\"interrupted\":%s,\"errno\":",
		       flow, total, st.sent, st.errors, st.late, st.slips,
		       st.slipped_ns, st.max_late_ns, st.first_tx_ns,
		       st.last_tx_ns, rate, achieved, payload,
		       stop_requested ? "true" : "false");
		json_errno_counts(st.err_by_errno, SEND_ERRNO_MAX);
		printf("}\n");
	}
	free(recs);
	free(buf);
	return 0;
}

/* ---- recv ---- */

struct recv_rec {
	uint64_t seq;
	uint64_t tx_ns;
	int64_t rx_ns;
	uint32_t flow;
	uint32_t len;
};

/* Per-flow state: counters and a bitmap of the sequence numbers seen,
 * grown on demand (one bit per packet). */
struct flowst {
	uint32_t flow;
	uint64_t received, unique, duplicates, reordered, untracked;
	uint64_t max_seq;
	int any;
	uint64_t *seen;
	size_t seen_words;
};

struct flowtab {
	struct flowst *v;
	size_t n, cap;
	size_t last; /* index of the last hit: packets come in runs */
};

static struct flowst *
flowtab_get(struct flowtab *t, uint32_t flow)
{
	if (t->n > 0 && t->v[t->last].flow == flow)
		return &t->v[t->last];
	for (size_t k = 0; k < t->n; k++) {
		if (t->v[k].flow == flow) {
			t->last = k;
			return &t->v[k];
		}
	}
	if (t->n == UF_MAX_FLOWS)
		return NULL;
	if (t->n == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 8;
		struct flowst *nv = realloc(t->v, ncap * sizeof(*nv));

		if (nv == NULL)
			return NULL;
		t->v = nv;
		t->cap = ncap;
	}
	memset(&t->v[t->n], 0, sizeof(t->v[t->n]));
	t->v[t->n].flow = flow;
	t->last = t->n;
	return &t->v[t->n++];
}

/* Returns 1 if SEQ was seen before, 0 if not, -1 if it is not tracked. */
static int
flowst_mark(struct flowst *fs, uint64_t seq)
{
	size_t w = (size_t)(seq / 64);
	uint64_t bit = UINT64_C(1) << (seq % 64);

	if (seq >= UF_MAX_TRACKED_SEQ)
		return -1;
	if (w >= fs->seen_words) {
		size_t nw = fs->seen_words ? fs->seen_words : 1024;
		uint64_t *ns;

		while (nw <= w)
			nw *= 2;
		ns = realloc(fs->seen, nw * sizeof(*ns));
		if (ns == NULL)
			return -1;
		memset(ns + fs->seen_words, 0,
		       (nw - fs->seen_words) * sizeof(*ns));
		fs->seen = ns;
		fs->seen_words = nw;
	}
	if (fs->seen[w] & bit)
		return 1;
	fs->seen[w] |= bit;
	return 0;
}

static void
flowst_add(struct flowst *fs, uint64_t seq)
{
	int dup;

	fs->received++;
	dup = flowst_mark(fs, seq);
	if (dup < 0) {
		fs->untracked++;
		return;
	}
	if (dup) {
		fs->duplicates++;
		return;
	}
	fs->unique++;
	if (!fs->any || seq > fs->max_seq) {
		fs->max_seq = seq;
		fs->any = 1;
	} else {
		fs->reordered++;
	}
}

/*
 * The kernel stamps with CLOCK_REALTIME; move the stamp to CLOCK_MONOTONIC.
 * The offset between the two clocks changes only when the wall clock is
 * stepped.  It is measured as the best (narrowest) of a few monotonic /
 * realtime / monotonic readings, since a preemption between two readings
 * would skew it, and again every second; a stamp that lands outside
 * (now - 10 s, now] after conversion (a step) is replaced by NOW.
 */
struct rtoff {
	int64_t offset; /* realtime - monotonic */
	int64_t measured_at;
	uint64_t stamped;
};

static int64_t
ts_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * NS_PER_S + ts->tv_nsec;
}

static void
rtoff_measure(struct rtoff *o)
{
	int64_t best = INT64_MAX;

	for (int k = 0; k < 5; k++) {
		struct timespec m1, rt, m2;

		clock_gettime(CLOCK_MONOTONIC, &m1);
		clock_gettime(CLOCK_REALTIME, &rt);
		clock_gettime(CLOCK_MONOTONIC, &m2);
		if (ts_ns(&m2) - ts_ns(&m1) < best) {
			best = ts_ns(&m2) - ts_ns(&m1);
			o->offset = ts_ns(&rt) - (ts_ns(&m1) + ts_ns(&m2)) / 2;
			o->measured_at = ts_ns(&m2);
		}
	}
}

static int64_t
rx_kernel_time(struct rtoff *o, struct msghdr *msg, int64_t now)
{
	struct cmsghdr *cm;
	struct timespec ts;
	int64_t t;

	for (cm = CMSG_FIRSTHDR(msg); cm != NULL; cm = CMSG_NXTHDR(msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET ||
		    cm->cmsg_type != SCM_TIMESTAMPNS ||
		    cm->cmsg_len < CMSG_LEN(sizeof(ts)))
			continue;
		memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
		if (now - o->measured_at > NS_PER_S)
			rtoff_measure(o);
		t = ts_ns(&ts) - o->offset;
		if (t > now || t < now - 10 * NS_PER_S)
			return now;
		o->stamped++;
		return t;
	}
	return now;
}

static int
cmd_recv(int argc, char **argv)
{
	const char *bindaddr = NULL, *logpath = NULL;
	unsigned long long port = 0;
	double secs = 0, idle = 0;
	struct sockaddr_in6 sa;
	struct flowtab ft;
	struct recv_rec *recs = NULL;
	size_t nrecs = 0, caprecs = 0;
	uint64_t received = 0, invalid = 0, dropped_flows = 0;
	int64_t start, end_ns = 0, idle_ns = 0, first_rx = 0, last_rx = 0;
	struct timeval tv = {.tv_sec = 0, .tv_usec = 100000};
	static uint8_t buf[65536];
	union {
		char b[CMSG_SPACE(sizeof(struct timespec))];
		struct cmsghdr align;
	} cmsgbuf;
	struct rtoff rto;
	char tmp[PATH_MAX];
	int c, fd, one = 1, rtprio = 0;

	while ((c = getopt(argc, argv, "p:o:t:b:i:R:h")) != -1) {
		switch (c) {
		case 'R':
			rtprio = (int)arg_uint("R", optarg, 1, 99);
			break;
		case 'p':
			port = arg_uint("p", optarg, 1, 65535);
			break;
		case 'o':
			logpath = optarg;
			break;
		case 't':
			secs = arg_double("t", optarg, 0.000001, 1e7);
			break;
		case 'i':
			idle = arg_double("i", optarg, 0.000001, 1e7);
			break;
		case 'b':
			bindaddr = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage_error("recv: bad option");
		}
	}
	if (optind != argc)
		usage_error("recv: unexpected argument '%s'", argv[optind]);
	if (port == 0)
		usage_error("recv: -p is required");
	arg_addr("b", bindaddr, (uint16_t)port, &sa);

	fd = socket(AF_INET6, SOCK_DGRAM, 0);
	if (fd < 0)
		fatal("socket");
	set_buf(fd, SO_RCVBUFFORCE, SO_RCVBUF, UF_RCVBUF);
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* The timeout bounds how late we notice -t and -i. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		fatal("SO_RCVTIMEO");
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		fatal("bind port %llu", port);
	/* Kernel receive timestamps: the time the packet reached this
	 * namespace, not the time this process got to run. */
	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) < 0)
		fatal("SO_TIMESTAMPNS");
	memset(&ft, 0, sizeof(ft));
	memset(&rto, 0, sizeof(rto));
	rtoff_measure(&rto);
	install_signals();
	set_realtime(rtprio);

	start = now_ns();
	if (secs > 0)
		end_ns = start + round_ns(secs * 1e9);
	if (idle > 0)
		idle_ns = round_ns(idle * 1e9);

	while (!stop_requested) {
		struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
		struct msghdr msg = {
		    .msg_iov = &iov,
		    .msg_iovlen = 1,
		    .msg_control = cmsgbuf.b,
		    .msg_controllen = sizeof(cmsgbuf.b),
		};
		struct flowst *fs;
		struct hdr h;
		ssize_t n;
		int64_t rx;

		n = recvmsg(fd, &msg, MSG_TRUNC);
		rx = now_ns();
		if (n >= 0)
			rx = rx_kernel_time(&rto, &msg, rx);
		if (n < 0) {
			if (errno != EINTR && errno != EAGAIN &&
			    errno != EWOULDBLOCK)
				fatal("recv");
		} else if (hdr_parse(buf,
				     (size_t)n < sizeof(buf) ? (size_t)n
							     : sizeof(buf),
				     &h) < 0) {
			invalid++;
		} else {
			received++;
			if (received == 1)
				first_rx = rx;
			last_rx = rx;
			fs = flowtab_get(&ft, h.flow);
			if (fs != NULL)
				flowst_add(fs, h.seq);
			else
				dropped_flows++;
			if (logpath != NULL) {
				if (nrecs == caprecs) {
					recs = grow(recs, &caprecs, nrecs + 1,
						    sizeof(*recs));
					if (recs == NULL)
						fatal("recv log");
				}
				recs[nrecs++] =
				    (struct recv_rec){.seq = h.seq,
						      .tx_ns = h.tx_ns,
						      .rx_ns = rx,
						      .flow = h.flow,
						      .len = (uint32_t)n};
			}
		}
		if (end_ns != 0 && rx >= end_ns)
			break;
		if (idle_ns != 0 && received > 0 && rx - last_rx >= idle_ns)
			break;
	}
	close(fd);

	if (logpath != NULL) {
		FILE *f = log_open(logpath, tmp, sizeof(tmp));

		if (f == NULL)
			fatal("%s", logpath);
		fprintf(f, "flow,seq,tx_ns,rx_ns,len\n");
		for (size_t k = 0; k < nrecs; k++)
			fprintf(f,
				"%" PRIu32 ",%" PRIu64 ",%" PRIu64 ",%" PRId64
				",%" PRIu32 "\n",
				recs[k].flow, recs[k].seq, recs[k].tx_ns,
				recs[k].rx_ns, recs[k].len);
		if (log_close(f, tmp, logpath) < 0)
			fatal("%s", logpath);
	}

	{
		uint64_t unique = 0, dups = 0, reord = 0, lost = 0, untr = 0;

		for (size_t k = 0; k < ft.n; k++) {
			struct flowst *fs = &ft.v[k];

			unique += fs->unique;
			dups += fs->duplicates;
			reord += fs->reordered;
			untr += fs->untracked;
			if (fs->any)
				lost += fs->max_seq + 1 - fs->unique;
		}
		printf("{\"mode\":\"recv\",\"received\":%" PRIu64
		       ",\"unique\":%" PRIu64 ",\"duplicates\":%" PRIu64
		       ",\"reordered\":%" PRIu64 ",\"lost\":%" PRIu64
		       ",\"invalid\":%" PRIu64 ",\"untracked\":%" PRIu64
		       ",\"kernel_stamped\":%" PRIu64
		       ",\"first_rx_ns\":%" PRId64 ",\"last_rx_ns\":%" PRId64
		       ",\"flows\":[",
		       received, unique, dups, reord, lost, invalid,
		       untr + dropped_flows, rto.stamped, first_rx, last_rx);
		for (size_t k = 0; k < ft.n; k++) {
			struct flowst *fs = &ft.v[k];

			printf("%s{\"flow\":%" PRIu32 ",\"received\":%" PRIu64
			       ",\"unique\":%" PRIu64 ",\"duplicates\":%" PRIu64
			       ",\"reordered\":%" PRIu64 ",\"lost\":%" PRIu64
			       ",\"max_seq\":%" PRIu64 "}",
			       k ? "," : "", fs->flow, fs->received, fs->unique,
			       fs->duplicates, fs->reordered,
			       fs->any ? fs->max_seq + 1 - fs->unique : 0,
			       fs->max_seq);
			free(fs->seen);
		}
		printf("]}\n");
	}
	free(ft.v);
	free(recs);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		usage_error("missing command");
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	/* getopt() starts at argv[1], i.e. after the command. */
	if (strcmp(argv[1], "send") == 0)
		return cmd_send(argc - 1, argv + 1);
	if (strcmp(argv[1], "recv") == 0)
		return cmd_recv(argc - 1, argv + 1);
	usage_error("unknown command '%s'", argv[1]);
}
