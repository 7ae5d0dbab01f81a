/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The handover buffer: per-MN packet and byte caps, the global memory
 * cap under a flood, age drops, order across a release with packets
 * arriving during it, the pacing rate, and every packet's fate counted.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "ev.h"
#include "hbuf.h"

#define MAXSEQ 200000

struct fx {
	struct ev *ev;
	struct hbuf h;
	struct hbuf_conf cf;
	struct mh_prefix p1, p2;
	struct in6_addr mag2;
	/* what the sink saw */
	uint32_t *seq;
	unsigned n_sent;
	unsigned n_drained;
	int fail_send;
	ev_time_t first_send, last_send;
};

static struct in6_addr
A(const char *s) {
	struct in6_addr a;
	assert_int_equal(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

static int
sink(void *arg, const struct in6_addr *peer, const uint8_t *pkt, size_t len)
{
	struct fx *f = arg;
	uint32_t s;

	if (f->fail_send)
		return -1;
	assert_memory_equal(peer, &f->mag2, sizeof(*peer));
	assert_true(len >= 44);
	memcpy(&s, pkt + 40, 4);
	if (f->n_sent == 0)
		f->first_send = ev_now();
	f->last_send = ev_now();
	if (f->n_sent < MAXSEQ)
		f->seq[f->n_sent] = s;
	f->n_sent++;
	return 0;
}

static void
drained(void *arg, struct hbuf_q *q)
{
	struct fx *f = arg;
	f->n_drained++;
}

/* An IPv6 packet of len bytes to dst carrying seq. */
static size_t
pkt(uint8_t *buf, size_t len, const char *dst, uint32_t seq)
{
	struct in6_addr d = A(dst);

	memset(buf, 0, len);
	buf[0] = 0x60;
	buf[4] = (uint8_t)((len - 40) >> 8);
	buf[5] = (uint8_t)(len - 40);
	buf[6] = 17;
	buf[7] = 64;
	memcpy(buf + 24, &d, 16);
	memcpy(buf + 40, &seq, 4);
	return len;
}

static int
offer(struct fx *f, const char *dst, uint32_t seq, size_t len)
{
	uint8_t b[2048];
	return hbuf_offer(&f->h, b, pkt(b, len, dst, seq));
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->ev = ev_new();
	assert_non_null(f->ev);
	f->seq = calloc(MAXSEQ, sizeof(uint32_t));
	assert_non_null(f->seq);
	hbuf_conf_defaults(&f->cf);
	f->cf.release_delay_ms = 0;
	f->p1.prefix = A("2001:db8:1:1::");
	f->p1.len = 64;
	f->p2.prefix = A("2001:db8:2:1::");
	f->p2.len = 64;
	f->mag2 = A("2001:db8:ffff::12");
	*state = f;
	return 0;
}

static void
start(struct fx *f)
{
	hbuf_init(&f->h, f->ev, &f->cf, sink, f, drained, f);
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	hbuf_fini(&f->h);
	assert_int_equal(f->h.bytes, 0);
	assert_int_equal(f->h.packets, 0);
	ev_free(f->ev);
	free(f->seq);
	free(f);
	return 0;
}

/* Run the loop until cond or timeout_ms. */
#define RUN_UNTIL(f, cond, timeout_ms)                                         \
	do {                                                                   \
		ev_time_t end_ = ev_now() + EV_MS(timeout_ms);                 \
		while (!(cond) && ev_now() < end_)                             \
			ev_run_once((f)->ev, 2);                               \
	} while (0)

static uint64_t
fates(const struct hbuf_counters *c)
{
	return c->released + c->passed + c->dropped_cap + c->dropped_global +
	       c->dropped_age + c->dropped_never_returned + c->dropped_send;
}

static void
test_no_queue_not_taken(void **state)
{
	struct fx *f = *state;

	start(f);
	assert_int_equal(offer(f, "2001:db8:1:1::5", 1, 100), 0);
	struct hbuf_q *q = hbuf_hold(&f->h, "mn1", 1, &f->p1, 1, NULL);
	assert_non_null(q);
	assert_int_equal(offer(f, "2001:db8:9::5", 1, 100), 0);
	assert_int_equal(offer(f, "2001:db8:1:1::5", 1, 100), 1);
	assert_int_equal(q->c.buffered, 1);
	assert_int_equal(hbuf_active(&f->h), 1);
}

static void
test_order_and_fates(void **state)
{
	struct fx *f = *state;
	const unsigned n = 1000;

	start(f);
	struct hbuf_q *q = hbuf_hold(&f->h, "mn1", 1, &f->p1, 1, NULL);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(offer(f, "2001:db8:1:1::5", i, 200), 1);
	assert_int_equal(q->packets, n);
	assert_int_equal(f->h.bytes, n * hbuf_cost(200));
	hbuf_release(&f->h, q, &f->mag2);
	assert_int_equal(q->state, HBUF_RELEASE);
	RUN_UNTIL(f, f->n_drained > 0, 5000);
	assert_int_equal(f->n_drained, 1);
	assert_int_equal(q->state, HBUF_PASS);
	assert_int_equal(f->n_sent, n);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(f->seq[i], i);
	assert_int_equal(q->c.buffered, n);
	assert_int_equal(q->c.released, n);
	assert_int_equal(fates(&q->c), n);
	assert_int_equal(f->h.bytes, 0);
	assert_int_equal(f->h.total.released, n);

	/* In PASS with an empty queue a packet goes at once. */
	assert_int_equal(offer(f, "2001:db8:1:1::5", n, 200), 1);
	assert_int_equal(q->c.passed, 1);
	assert_int_equal(f->seq[n], n);
	/* After the linger the queue is idle and takes nothing. */
	RUN_UNTIL(f, q->state == HBUF_IDLE, HBUF_PASS_LINGER_MS * 3);
	assert_int_equal(q->state, HBUF_IDLE);
	assert_int_equal(offer(f, "2001:db8:1:1::5", 0, 200), 0);
}

/* Packets arriving during the release go out behind the held ones. */
static void
test_arrivals_during_release(void **state)
{
	struct fx *f = *state;
	uint32_t seq = 0;

	f->cf.release_factor = 2.0;
	start(f);
	struct hbuf_q *q = hbuf_hold(&f->h, "mn1", 1, &f->p1, 1, NULL);
	/* ~2000 packets/s for 100 ms */
	for (int i = 0; i < 200; i++) {
		offer(f, "2001:db8:1:1::5", seq++, 100);
		struct timespec ts = {0, 500000};
		nanosleep(&ts, NULL);
	}
	hbuf_release(&f->h, q, &f->mag2);
	ev_time_t end = ev_now() + EV_MS(3000);
	while (f->n_drained == 0 && ev_now() < end) {
		ev_run_once(f->ev, 0);
		/* keep arriving at ~2000/s */
		offer(f, "2001:db8:1:1::5", seq++, 100);
		struct timespec ts = {0, 500000};
		nanosleep(&ts, NULL);
	}
	assert_int_equal(f->n_drained, 1);
	for (int i = 0; i < 20; i++)
		offer(f, "2001:db8:1:1::5", seq++, 100);
	assert_int_equal(f->n_sent, seq);
	for (uint32_t i = 0; i < seq; i++)
		assert_int_equal(f->seq[i], i);
	assert_int_equal(q->c.released + q->c.passed, seq);
	assert_true(q->c.released > 200);
}

/* Release rate = factor x measured arrival rate. */
static void
test_pacing_rate(void **state)
{
	struct fx *f = *state;
	const unsigned n = 400;

	f->cf.release_factor = 2.0;
	start(f);
	struct hbuf_q *q = hbuf_hold(&f->h, "mn1", 1, &f->p1, 1, NULL);
	ev_time_t t0 = ev_now();
	/* 400 packets in ~200 ms: ~2000 packets/s */
	for (unsigned i = 0; i < n; i++) {
		offer(f, "2001:db8:1:1::5", i, 100);
		struct timespec ts = {0, 500000};
		nanosleep(&ts, NULL);
	}
	double arrival = (double)(n - 1) * 1e9 / (double)(q->last_arrival - t0);
	hbuf_release(&f->h, q, &f->mag2);
	RUN_UNTIL(f, f->n_drained > 0, 5000);
	assert_int_equal(f->n_sent, n);
	/* The arrival rate falls while we wait for the release (the clock
	 * runs on): the release rate lies between factor x (arrival over
	 * the longer span) and factor x arrival. */
	assert_true(q->release_pps <= 2.0 * arrival * 1.05);
	assert_true(q->release_pps >= HBUF_MIN_RATE);
	double took = (double)(f->last_send - f->first_send) / 1e9;
	double rate = (double)(n - 1) / took;
	/* paced: neither a burst nor slower than the arrivals */
	assert_true(rate < 2.0 * arrival * 1.5);
	assert_true(rate > arrival * 1.1);
}

/*
 * Packets a MAG returns are older than anything held from elsewhere:
 * they go ahead of those, behind the returned ones already queued, and
 * leave first, in the order they came back.
 */
static int
offer_ret(struct fx *f, const char *dst, uint32_t seq)
{
	uint8_t b[256];
	return hbuf_offer_returned(&f->h, b, pkt(b, 100, dst, seq));
}

static void
test_returned_ahead(void **state)
{
	struct fx *f = *state;

	start(f);
	struct hbuf_q *q = hbuf_hold(&f->h, "mn1", 1, &f->p1, 1, NULL);
	for (uint32_t i = 100; i < 105; i++) /* from the CN, newer */
		assert_int_equal(offer(f, "2001:db8:1:1::5", i, 100), 1);
	for (uint32_t i = 0; i < 3; i++) /* returned by the old MAG */
		assert_int_equal(offer_ret(f, "2001:db8:1:1::5", i), 1);
	assert_int_equal(offer(f, "2001:db8:1:1::5", 105, 100), 1);
	assert_int_equal(offer_ret(f, "2001:db8:1:1::5", 3), 1);
	/* not ours: refused either way */
	assert_int_equal(offer_ret(f, "2001:db8:9:1::5", 9), 0);
	assert_int_equal(q->packets, 10);
	assert_int_equal(q->c.buffered, 10);
	assert_int_equal(q->c.returned, 4);
	hbuf_release(&f->h, q, &f->mag2);
	RUN_UNTIL(f, f->n_drained > 0, 2000);
	assert_int_equal(f->n_sent, 10);
	const uint32_t want[] = {0, 1, 2, 3, 100, 101, 102, 103, 104, 105};
	for (unsigned i = 0; i < 10; i++)
		assert_int_equal(f->seq[i], want[i]);
	assert_int_equal(fates(&q->c), 10);
	/* Held again: a returned packet still goes first. */
	hbuf_hold(&f->h, "mn1", 1, &f->p1, 1, NULL);
	offer(f, "2001:db8:1:1::5", 200, 100);
	offer(f, "2001:db8:1:1::5", 201, 100);
	offer_ret(f, "2001:db8:1:1::5", 199);
	f->n_sent = 0;
	f->n_drained = 0;
	hbuf_release(&f->h, q, &f->mag2);
	RUN_UNTIL(f, f->n_drained > 0, 2000);
	assert_int_equal(f->n_sent, 3);
	assert_int_equal(f->seq[0], 199);
	assert_int_equal(f->seq[1], 200);
	assert_int_equal(f->seq[2], 201);
}

static void
test_packet_cap(void **state)
{
	struct fx *f = *state;

	f->cf.max_packets = 10;
	start(f);
	struct hbuf_q *q = hbuf_hold(&f->h, "mn1", 1, &f->p1, 1, NULL);
	for (unsigned i = 0; i < 15; i++)
		assert_int_equal(offer(f, "2001:db8:1:1::5", i, 100), 1);
	assert_int_equal(q->packets, 10);
	assert_int_equal(q->c.buffered, 10);
	assert_int_equal(q->c.dropped_cap, 5);
	hbuf_release(&f->h, q, &f->mag2);
	RUN_UNTIL(f, f->n_drained > 0, 2000);
	/* tail drop: the first ten went out, in order */
	assert_int_equal(f->n_sent, 10);
	for (unsigned i = 0; i < 10; i++)
		assert_int_equal(f->seq[i], i);
	assert_int_equal(fates(&q->c), 15);
}

static void
test_byte_cap(void **state)
{
	struct fx *f = *state;

	f->cf.max_bytes = (unsigned)(10 * hbuf_cost(1000));
	start(f);
	struct hbuf_q *q = hbuf_hold(&f->h, "mn1", 1, &f->p1, 1, NULL);
	for (unsigned i = 0; i < 12; i++)
		offer(f, "2001:db8:1:1::5", i, 1000);
	assert_int_equal(q->packets, 10);
	assert_int_equal(q->c.dropped_cap, 2);
	assert_true(q->bytes <= f->cf.max_bytes);
	/* small packets still fit where big ones did not?  No: the cap is
	 * reached exactly. */
	offer(f, "2001:db8:1:1::5", 99, 100);
	assert_int_equal(q->c.dropped_cap, 3);
}

static void
test_global_cap(void **state)
{
	struct fx *f = *state;

	f->cf.global_max_bytes = 15 * hbuf_cost(1000);
	start(f);
	struct hbuf_q *q1 = hbuf_hold(&f->h, "mn1", 1, &f->p1, 1, NULL);
	struct hbuf_q *q2 = hbuf_hold(&f->h, "mn2", 2, &f->p2, 1, NULL);
	for (unsigned i = 0; i < 10; i++) {
		offer(f, "2001:db8:1:1::5", i, 1000);
		offer(f, "2001:db8:2:1::5", i, 1000);
	}
	assert_int_equal(q1->packets + q2->packets, 15);
	assert_int_equal(q1->c.dropped_global + q2->c.dropped_global, 5);
	assert_int_equal(f->h.total.dropped_global, 5);
	assert_true(f->h.bytes <= f->cf.global_max_bytes);
	/* the MN that never came back: its packets are counted as such */
	hbuf_drop_all(&f->h, q2);
	assert_int_equal(q2->c.dropped_never_returned, q2->c.buffered);
	assert_int_equal(q2->state, HBUF_IDLE);
	assert_int_equal(fates(&q2->c), 10);
}

/* A flood into many MNs never takes memory beyond the global cap. */
static void
test_memory_flood(void **state)
{
	struct fx *f = *state;
	const uint64_t cap = 256 * 1024;
	struct mh_prefix p[8];
	char dst[8][64];
	uint64_t offered = 0;

	f->cf.global_max_bytes = cap;
	f->cf.max_bytes = 64 * 1024;
	start(f);
	for (int m = 0; m < 8; m++) {
		char s[64];
		snprintf(s, sizeof(s), "2001:db8:%x::", 0x10 + m);
		p[m].prefix = A(s);
		p[m].len = 48;
		snprintf(dst[m], sizeof(dst[m]), "2001:db8:%x::7", 0x10 + m);
		assert_non_null(
		    hbuf_hold(&f->h, "mn", (uint32_t)m + 1, &p[m], 1, NULL));
	}
	for (unsigned i = 0; i < 100000; i++) {
		size_t len = 60 + (i * 7919) % 1400;
		offer(f, dst[i % 8], i, len);
		offered++;
		assert_true(f->h.bytes <= cap);
	}
	assert_true(f->h.peak_bytes <= cap);
	for (struct hbuf_q *q = f->h.qs; q; q = q->next)
		assert_true(q->peak_bytes <= f->cf.max_bytes);
	hbuf_fini(&f->h); /* everything left counts as never returned */
	assert_int_equal(fates(&f->h.total), offered);
	assert_int_equal(f->h.total.buffered,
			 f->h.total.dropped_never_returned);
}

static void
test_age_drop(void **state)
{
	struct fx *f = *state;

	f->cf.max_age_ms = 30;
	start(f);
	struct hbuf_q *q = hbuf_hold(&f->h, "mn1", 1, &f->p1, 1, NULL);
	for (unsigned i = 0; i < 5; i++)
		offer(f, "2001:db8:1:1::5", i, 100);
	RUN_UNTIL(f, q->packets == 0, 1000);
	assert_int_equal(q->packets, 0);
	assert_int_equal(q->c.dropped_age, 5);
	assert_int_equal(f->h.bytes, 0);
	/* a younger packet survives and is released */
	offer(f, "2001:db8:1:1::5", 7, 100);
	hbuf_release(&f->h, q, &f->mag2);
	RUN_UNTIL(f, f->n_drained > 0, 1000);
	assert_int_equal(f->n_sent, 1);
	assert_int_equal(f->seq[0], 7);
	assert_int_equal(fates(&q->c), 6);
}

/* A second de-registration during the release keeps the order. */
static void
test_hold_again_during_release(void **state)
{
	struct fx *f = *state;

	f->cf.release_factor = 1.1;
	start(f);
	struct hbuf_q *q = hbuf_hold(&f->h, "mn1", 1, &f->p1, 1, NULL);
	for (unsigned i = 0; i < 3000; i++)
		offer(f, "2001:db8:1:1::5", i, 100);
	hbuf_release(&f->h, q, &f->mag2);
	RUN_UNTIL(f, f->n_sent >= 10, 1000);
	assert_true(q->packets > 0);
	assert_ptr_equal(hbuf_hold(&f->h, "mn1", 1, &f->p1, 1, NULL), q);
	assert_int_equal(q->state, HBUF_HOLD);
	unsigned sent = f->n_sent;
	for (int i = 0; i < 5; i++)
		ev_run_once(f->ev, 2);
	assert_int_equal(f->n_sent, sent); /* held again: nothing goes */
	hbuf_release(&f->h, q, &f->mag2);
	RUN_UNTIL(f, f->n_drained > 0, 5000);
	assert_int_equal(f->n_sent, 3000);
	for (unsigned i = 0; i < 3000; i++)
		assert_int_equal(f->seq[i], i);
}

static void
test_release_delay_and_send_failure(void **state)
{
	struct fx *f = *state;

	f->cf.release_delay_ms = 20;
	start(f);
	struct hbuf_q *q = hbuf_hold(&f->h, "mn1", 1, &f->p1, 1, NULL);
	for (unsigned i = 0; i < 4; i++)
		offer(f, "2001:db8:1:1::5", i, 100);
	ev_time_t t0 = ev_now();
	hbuf_release(&f->h, q, &f->mag2);
	RUN_UNTIL(f, f->n_sent > 0, 1000);
	assert_true(f->first_send - t0 >= EV_MS(19));
	f->fail_send = 1;
	RUN_UNTIL(f, f->n_drained > 0, 1000);
	assert_int_equal(q->c.released + q->c.dropped_send, 4);
	assert_true(q->c.dropped_send > 0);
}

static void
test_dump(void **state)
{
	struct fx *f = *state;
	char *buf = NULL;
	size_t len = 0;

	start(f);
	hbuf_hold(&f->h, "mn\"1", 1, &f->p1, 1, NULL);
	offer(f, "2001:db8:1:1::5", 0, 100);
	FILE *out = open_memstream(&buf, &len);
	hbuf_dump(&f->h, out, 1);
	fclose(out);
	assert_non_null(strstr(buf, "\"mn\":\"mn\\\"1\""));
	assert_non_null(strstr(buf, "\"state\":\"hold\""));
	assert_non_null(strstr(buf, "\"dropped_never_returned\":0"));
	assert_non_null(strstr(buf, "\"totals\":{\"buffered\":1"));
	free(buf);
	out = open_memstream(&buf, &len);
	hbuf_dump(&f->h, out, 0);
	fclose(out);
	assert_non_null(strstr(buf, "1 queue(s)"));
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(x) cmocka_unit_test_setup_teardown(x, setup, teardown)
	    T(test_no_queue_not_taken),
	    T(test_order_and_fates),
	    T(test_arrivals_during_release),
	    T(test_pacing_rate),
	    T(test_returned_ahead),
	    T(test_packet_cap),
	    T(test_byte_cap),
	    T(test_global_cap),
	    T(test_memory_flood),
	    T(test_age_drop),
	    T(test_hold_again_during_release),
	    T(test_release_delay_and_send_failure),
	    T(test_dump),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
