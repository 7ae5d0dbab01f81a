/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pmip-nfdelay: a fixed delay and random loss for the packets of one or
 * more NFQUEUE queues, where the kernel has no netem (docs/testbed.md,
 * "Delay and loss on the MAG-LMA links").
 *
 *	ip6tables -t mangle -A POSTROUTING -o core0 -j NFQUEUE --queue-num 10
 *	ip6tables -t mangle -A PREROUTING  -i core0 -j NFQUEUE --queue-num 11
 *	pmip-nfdelay -q 10 -q 11 -d 5 [-l 0.01] [-S seed] [-r rtprio]
 *
 * Each queued packet gets a deadline, its arrival time plus the delay,
 * and is accepted when the deadline passes; a fraction -l of packets is
 * dropped on arrival instead.  The delay is the same for every packet,
 * so deadlines grow in arrival order and one FIFO is the deadline queue:
 * packets leave in the order they came, O(1) per packet.  The loop
 * sleeps in ppoll() until the earliest deadline or the next packet, with
 * nanosecond timeouts and a small timer slack; it never spins.
 *
 * Only metadata is copied to user space (NFQNL_COPY_META), and GSO
 * packets are queued whole (NFQA_CFG_F_GSO), so the cost per packet
 * does not depend on its size.
 *
 * -r runs the stage under SCHED_FIFO at that priority: on a loaded
 * machine a normal task may wake milliseconds after its deadline, and
 * this one sleeps nearly all the time.
 *
 * SIGTERM or SIGINT: the packets still held are accepted at once (none
 * is lost by stopping the stage), then one JSON line of counters goes
 * to standard output.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_QUEUES 8
#define LATE_BINS 1000 /* 10 ms; later goes into the last bin */

struct held {
	uint64_t deadline_ns;
	uint32_t id;
	uint16_t queue; /* index into nfdelay.qh */
};

struct nfdelay {
	struct nfq_handle *h;
	struct nfq_q_handle *qh[MAX_QUEUES];
	unsigned int nq;
	uint64_t delay_ns;
	uint32_t loss_threshold; /* drop when rand32() < this */
	uint64_t rng;
	/* FIFO ring, capacity a power of two, grown on demand. */
	struct held *ring;
	size_t cap, head, len;
	/* counters */
	uint64_t queued, accepted, dropped, recv_overruns, max_held;
	uint64_t max_late_ns;
	/* Release lateness (wake-up after the deadline), 10 us bins. */
	uint32_t late_hist[LATE_BINS];
};

static struct nfdelay nd;

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint32_t
rand32(void)
{
	/* xorshift64*: reproducible with -S, good enough for a loss
	 * pattern. */
	nd.rng ^= nd.rng >> 12;
	nd.rng ^= nd.rng << 25;
	nd.rng ^= nd.rng >> 27;
	return (uint32_t)((nd.rng * 2685821657736338717ull) >> 32);
}

static int
ring_push(const struct held *p)
{
	if (nd.len == nd.cap) {
		size_t ncap = nd.cap ? nd.cap * 2 : 1024, i;
		struct held *n = calloc(ncap, sizeof(*n));

		if (n == NULL)
			return -ENOMEM;
		for (i = 0; i < nd.len; i++)
			n[i] = nd.ring[(nd.head + i) & (nd.cap - 1)];
		free(nd.ring);
		nd.ring = n;
		nd.cap = ncap;
		nd.head = 0;
	}
	nd.ring[(nd.head + nd.len) & (nd.cap - 1)] = *p;
	nd.len++;
	if (nd.len > nd.max_held)
		nd.max_held = nd.len;
	return 0;
}

static void
verdict(unsigned int q, uint32_t id, uint32_t v)
{
	if (nfq_set_verdict(nd.qh[q], id, v, 0, NULL) < 0)
		fprintf(stderr, "pmip-nfdelay: verdict for %" PRIu32 ": %s\n",
			id, strerror(errno));
}

/* Accept every held packet whose deadline is at or before t (all of
 * them when t is UINT64_MAX). */
static void
release(uint64_t t)
{
	while (nd.len > 0) {
		struct held *p = &nd.ring[nd.head];

		if (p->deadline_ns > t)
			break;
		if (t != UINT64_MAX) {
			uint64_t late = t - p->deadline_ns, bin = late / 10000;

			if (late > nd.max_late_ns)
				nd.max_late_ns = late;
			nd.late_hist[bin < LATE_BINS ? bin : LATE_BINS - 1]++;
		}
		verdict(p->queue, p->id, NF_ACCEPT);
		nd.accepted++;
		nd.head = (nd.head + 1) & (nd.cap - 1);
		nd.len--;
	}
}

static int
on_packet(struct nfq_q_handle *qh, struct nfgenmsg *msg, struct nfq_data *nfa,
	  void *arg)
{
	struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
	unsigned int q = (unsigned int)(uintptr_t)arg;
	struct held p;

	if (ph == NULL)
		return 0;
	p.id = ntohl(ph->packet_id);
	p.queue = (uint16_t)q;
	nd.queued++;
	if (nd.loss_threshold && rand32() < nd.loss_threshold) {
		verdict(q, p.id, NF_DROP);
		nd.dropped++;
		return 0;
	}
	if (nd.delay_ns == 0 && nd.len == 0) {
		verdict(q, p.id, NF_ACCEPT);
		nd.accepted++;
		return 0;
	}
	p.deadline_ns = now_ns() + nd.delay_ns;
	if (ring_push(&p) < 0) {
		/* Out of memory: let the packet through late rather than
		 * hold the kernel's queue entry forever. */
		verdict(q, p.id, NF_ACCEPT);
		nd.accepted++;
	}
	return 0;
}

static void
usage(void)
{
	fprintf(stderr,
		"usage: pmip-nfdelay -q QUEUE [-q QUEUE ...] -d DELAY_MS"
		" [-l LOSS] [-S SEED] [-m MAXLEN] [-r RTPRIO]\n");
	exit(2);
}

/* Upper edge of the bin holding the p-th percentile of lateness, us. */
static double
late_pctl(double p)
{
	uint64_t n = 0, k = 0;
	unsigned int i;

	for (i = 0; i < LATE_BINS; i++)
		n += nd.late_hist[i];
	for (i = 0; i < LATE_BINS && n > 0; i++) {
		k += nd.late_hist[i];
		if ((double)k >= p / 100 * (double)n)
			return (i + 1) * 10.0;
	}
	return 0;
}

static void
stats(FILE *f)
{
	fprintf(f,
		"{\"delay_ms\": %.3f, \"queued\": %" PRIu64
		", \"accepted\": %" PRIu64 ", \"dropped\": %" PRIu64
		", \"max_held\": %" PRIu64
		", \"late_us\": {\"p50\": %.0f, \"p99\": %.0f, \"max\": %.1f}"
		", \"recv_overruns\": %" PRIu64 "}\n",
		(double)nd.delay_ns / 1e6, nd.queued, nd.accepted, nd.dropped,
		nd.max_held, late_pctl(50), late_pctl(99),
		(double)nd.max_late_ns / 1e3, nd.recv_overruns);
	fflush(f);
}

int
main(int argc, char **argv)
{
	unsigned int qnum[MAX_QUEUES], i, maxlen = 16384;
	double delay_ms = -1, loss = 0;
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	struct pollfd pfd[2];
	char buf[65536] __attribute__((aligned));
	sigset_t sigs;
	int c, fd, sfd, running = 1, rtprio = 0;

	while ((c = getopt(argc, argv, "q:d:l:S:m:r:")) != -1) {
		char *end;

		switch (c) {
		case 'q':
			if (nd.nq == MAX_QUEUES)
				usage();
			qnum[nd.nq++] = (unsigned int)strtoul(optarg, &end, 10);
			if (*end)
				usage();
			break;
		case 'd':
			delay_ms = strtod(optarg, &end);
			if (*end || !(delay_ms >= 0 && delay_ms <= 60000))
				usage();
			break;
		case 'l':
			loss = strtod(optarg, &end);
			if (*end || !(loss >= 0 && loss <= 1))
				usage();
			break;
		case 'S':
			seed = strtoull(optarg, &end, 0);
			if (*end || seed == 0)
				usage();
			break;
		case 'r':
			rtprio = (int)strtol(optarg, &end, 10);
			if (*end || rtprio < 0 || rtprio > 99)
				usage();
			break;
		case 'm':
			maxlen = (unsigned int)strtoul(optarg, &end, 10);
			if (*end || maxlen == 0)
				usage();
			break;
		default:
			usage();
		}
	}
	if (nd.nq == 0 || delay_ms < 0 || optind != argc)
		usage();
	nd.delay_ns = (uint64_t)(delay_ms * 1e6 + 0.5);
	nd.loss_threshold =
	    loss >= 1 ? UINT32_MAX : (uint32_t)(loss * 4294967296.0);
	nd.rng = seed;
	/* Wake-ups within 10 us of the deadline instead of the default
	 * 50 us timer slack. */
	prctl(PR_SET_TIMERSLACK, 10000UL, 0, 0, 0);

	if (rtprio > 0) {
		struct sched_param sp = {.sched_priority = rtprio};

		if (sched_setscheduler(0, SCHED_FIFO, &sp) < 0)
			perror("pmip-nfdelay: SCHED_FIFO (continuing)");
	}

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	sfd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0) {
		perror("pmip-nfdelay: signalfd");
		return 1;
	}

	nd.h = nfq_open();
	if (nd.h == NULL) {
		perror("pmip-nfdelay: nfq_open");
		return 1;
	}
	for (i = 0; i < nd.nq; i++) {
		nd.qh[i] = nfq_create_queue(nd.h, (uint16_t)qnum[i], on_packet,
					    (void *)(uintptr_t)i);
		if (nd.qh[i] == NULL) {
			fprintf(stderr, "pmip-nfdelay: queue %u: %s\n", qnum[i],
				strerror(errno));
			return 1;
		}
		if (nfq_set_mode(nd.qh[i], NFQNL_COPY_META, 0) < 0) {
			fprintf(stderr,
				"pmip-nfdelay: queue %u: copy mode: %s\n",
				qnum[i], strerror(errno));
			return 1;
		}
		nfq_set_queue_maxlen(nd.qh[i], maxlen);
		/* Whole GSO packets: no software segmentation in the queue. */
		nfq_set_queue_flags(nd.qh[i], NFQA_CFG_F_GSO, NFQA_CFG_F_GSO);
	}
	fd = nfq_fd(nd.h);
	nfnl_rcvbufsiz(nfq_nfnlh(nd.h), 8u << 20);
	fprintf(stderr, "pmip-nfdelay: %u queue(s), delay %.3f ms, loss %.4f\n",
		nd.nq, delay_ms, loss);

	pfd[0].fd = fd;
	pfd[0].events = POLLIN;
	pfd[1].fd = sfd;
	pfd[1].events = POLLIN;
	while (running) {
		struct timespec ts, *tsp = NULL;
		uint64_t t = now_ns();
		int n;

		release(t);
		if (nd.len > 0) {
			uint64_t wait = nd.ring[nd.head].deadline_ns - t;

			ts.tv_sec = (time_t)(wait / 1000000000u);
			ts.tv_nsec = (long)(wait % 1000000000u);
			tsp = &ts;
		}
		n = ppoll(pfd, 2, tsp, NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("pmip-nfdelay: ppoll");
			break;
		}
		if (pfd[1].revents & POLLIN)
			running = 0;
		if (!(pfd[0].revents & POLLIN))
			continue;
		/* Drain what is there; each message is one packet. */
		for (;;) {
			ssize_t r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

			if (r < 0) {
				if (errno == ENOBUFS) {
					nd.recv_overruns++;
					continue;
				}
				if (errno != EAGAIN && errno != EINTR)
					perror("pmip-nfdelay: recv");
				break;
			}
			nfq_handle_packet(nd.h, buf, (int)r);
		}
	}
	release(UINT64_MAX);
	for (i = 0; i < nd.nq; i++)
		nfq_destroy_queue(nd.qh[i]);
	nfq_close(nd.h);
	free(nd.ring);
	stats(stdout);
	return 0;
}
