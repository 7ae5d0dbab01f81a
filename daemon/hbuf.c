/* SPDX-License-Identifier: BSD-2-Clause */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "hbuf.h"
#include "log.h"

struct hbuf_pkt {
	struct hbuf_pkt *next;
	ev_time_t t; /* arrival */
	size_t len;
	uint8_t data[];
};

#define HBUF_PKT_OVERHEAD (sizeof(struct hbuf_pkt))

static const char *const hbuf_counter_names[] = {
#define HBUF_X(n, d) #n,
    HBUF_COUNTERS(HBUF_X)
#undef HBUF_X
};
static const char *const hbuf_counter_descr[] = {
#define HBUF_X(n, d) d,
    HBUF_COUNTERS(HBUF_X)
#undef HBUF_X
};
#define HBUF_NCOUNTERS (sizeof(hbuf_counter_names) / sizeof(char *))

static const char *const hbuf_state_names[] = {
    [HBUF_IDLE] = "idle",
    [HBUF_HOLD] = "hold",
    [HBUF_RELEASE] = "release",
    [HBUF_PASS] = "pass",
};

const char *
hbuf_state_name(enum hbuf_state s)
{
	return (unsigned)s < sizeof(hbuf_state_names) / sizeof(char *)
		   ? hbuf_state_names[s]
		   : "?";
}

size_t
hbuf_cost(size_t len)
{
	return HBUF_PKT_OVERHEAD + len;
}

void
hbuf_conf_defaults(struct hbuf_conf *cf)
{
	cf->max_packets = HBUF_DEF_MAX_PACKETS;
	cf->max_bytes = HBUF_DEF_MAX_BYTES;
	cf->max_age_ms = HBUF_DEF_MAX_AGE_MS;
	cf->global_max_bytes = HBUF_DEF_GLOBAL_MAX_BYTES;
	cf->release_factor = HBUF_DEF_RELEASE_FACTOR;
	cf->release_delay_ms = HBUF_DEF_RELEASE_DELAY_MS;
}

/* Count one event in the queue and in the totals. */
#define HBUF_COUNT(h, q, field)                                                \
	do {                                                                   \
		(q)->c.field++;                                                \
		(h)->total.field++;                                            \
	} while (0)

void
hbuf_conf_from(struct hbuf_conf *cf, const struct conf_buffer *b)
{
	cf->max_packets = b->max_packets;
	cf->max_bytes = b->max_bytes;
	cf->max_age_ms = b->max_age_ms;
	cf->global_max_bytes = b->global_max_bytes;
	cf->release_factor = b->release_factor;
	cf->release_delay_ms = b->release_delay_ms;
}

static void hbuf_pace_cb(struct ev *ev, void *arg);
static void hbuf_age_cb(struct ev *ev, void *arg);
static void hbuf_linger_cb(struct ev *ev, void *arg);

void
hbuf_init(struct hbuf *h, struct ev *ev, const struct hbuf_conf *cf,
	  hbuf_send_fn send, void *send_arg, hbuf_drained_fn drained,
	  void *drained_arg)
{
	memset(h, 0, sizeof(*h));
	h->ev = ev;
	if (cf)
		h->cf = *cf;
	else
		hbuf_conf_defaults(&h->cf);
	h->send = send;
	h->send_arg = send_arg;
	h->drained = drained;
	h->drained_arg = drained_arg;
}

void
hbuf_set_refill(struct hbuf *h, hbuf_refill_fn fn, void *arg)
{
	h->refill = fn;
	h->refill_arg = arg;
}

/* Empty, the hold point included? */
static int
hbuf_empty(struct hbuf *h, struct hbuf_q *q)
{
	if (!q->head && h->refill)
		h->refill(h->refill_arg);
	return !q->head;
}

static struct hbuf_pkt *
hbuf_pop(struct hbuf *h, struct hbuf_q *q)
{
	struct hbuf_pkt *p = q->head;

	if (!p)
		return NULL;
	q->head = p->next;
	if (!q->head)
		q->tail = NULL;
	if (q->ret_last == p)
		q->ret_last = NULL;
	q->packets--;
	q->bytes -= hbuf_cost(p->len);
	h->packets--;
	h->bytes -= hbuf_cost(p->len);
	return p;
}

/* Drop every held packet, counting each as never returned. */
static void
hbuf_flush(struct hbuf *h, struct hbuf_q *q)
{
	struct hbuf_pkt *p;

	while ((p = hbuf_pop(h, q)) != NULL) {
		HBUF_COUNT(h, q, dropped_never_returned);
		free(p);
	}
}

static void
hbuf_cancel(struct hbuf *h, struct hbuf_q *q)
{
	ev_timer_cancel(h->ev, &q->pace);
	ev_timer_cancel(h->ev, &q->age);
	ev_timer_cancel(h->ev, &q->linger);
}

void
hbuf_forget(struct hbuf *h, struct hbuf_q *q)
{
	struct hbuf_q **pp;

	if (!q)
		return;
	hbuf_cancel(h, q);
	hbuf_flush(h, q);
	for (pp = &h->qs; *pp; pp = &(*pp)->next) {
		if (*pp == q) {
			*pp = q->next;
			h->n_q--;
			break;
		}
	}
	free(q);
}

void
hbuf_fini(struct hbuf *h)
{
	while (h->qs)
		hbuf_forget(h, h->qs);
}

struct hbuf_q *
hbuf_find(const struct hbuf *h, uint32_t id)
{
	for (struct hbuf_q *q = h->qs; q; q = q->next)
		if (q->id == id)
			return q;
	return NULL;
}

int
hbuf_active(const struct hbuf *h)
{
	for (struct hbuf_q *q = h->qs; q; q = q->next)
		if (q->state != HBUF_IDLE)
			return 1;
	return 0;
}

struct hbuf_q *
hbuf_hold(struct hbuf *h, const char *nai, uint32_t id,
	  const struct mh_prefix *hnp, unsigned n_hnp, void *owner)
{
	struct hbuf_q *q = hbuf_find(h, id);
	ev_time_t now = ev_now();

	if (n_hnp > MH_MAX_HNP)
		n_hnp = MH_MAX_HNP;
	if (!q) {
		if ((q = calloc(1, sizeof(*q))) == NULL)
			return NULL;
		q->h = h;
		q->id = id;
		ev_timer_init(&q->pace, hbuf_pace_cb, q);
		ev_timer_init(&q->age, hbuf_age_cb, q);
		ev_timer_init(&q->linger, hbuf_linger_cb, q);
		q->next = h->qs;
		h->qs = q;
		h->n_q++;
	}
	snprintf(q->nai, sizeof(q->nai), "%s", nai);
	q->n_hnp = n_hnp;
	memcpy(q->hnp, hnp, n_hnp * sizeof(*hnp));
	q->owner = owner;
	ev_timer_cancel(h->ev, &q->pace);
	ev_timer_cancel(h->ev, &q->linger);
	if (q->state == HBUF_IDLE || q->state == HBUF_PASS) {
		/* A new episode: its arrival rate starts afresh. */
		q->arrivals = 0;
		q->hold_start = now;
		q->episodes++;
	}
	q->state = HBUF_HOLD;
	return q;
}

/* Drop packets older than max_age_ms from the head; re-arm the timer. */
static void
hbuf_expire(struct hbuf *h, struct hbuf_q *q, ev_time_t now)
{
	ev_time_t max = EV_MS(h->cf.max_age_ms);
	struct hbuf_pkt *p;

	while (q->head && now - q->head->t >= max) {
		p = hbuf_pop(h, q);
		HBUF_COUNT(h, q, dropped_age);
		free(p);
	}
	if (q->head)
		ev_timer_at(h->ev, &q->age, q->head->t + max);
	else
		ev_timer_cancel(h->ev, &q->age);
}

static void
hbuf_age_cb(struct ev *ev, void *arg)
{
	struct hbuf_q *q = arg;

	hbuf_expire(q->h, q, ev_now());
}

static void
hbuf_linger_cb(struct ev *ev, void *arg)
{
	struct hbuf_q *q = arg;

	if (q->state == HBUF_PASS && !q->head)
		q->state = HBUF_IDLE;
}

/* Measured arrival rate (packets/s) of the current episode; 0: unknown. */
static double
hbuf_arrival_rate(const struct hbuf_q *q, ev_time_t now)
{
	ev_time_t span = now - q->first_arrival;

	if (q->arrivals < 2 || span <= 0)
		return 0;
	return (double)(q->arrivals - 1) * 1e9 / (double)span;
}

static void
hbuf_set_rate(struct hbuf *h, struct hbuf_q *q, ev_time_t now)
{
	double r = hbuf_arrival_rate(q, now) * h->cf.release_factor;

	q->release_pps = r > HBUF_MIN_RATE ? r : HBUF_MIN_RATE;
}

static void
hbuf_drained(struct hbuf *h, struct hbuf_q *q)
{
	q->state = HBUF_PASS;
	q->drained_at = ev_now();
	ev_timer_cancel(h->ev, &q->pace);
	ev_timer_after(h->ev, &q->linger, EV_MS(HBUF_PASS_LINGER_MS));
	if (h->drained)
		h->drained(h->drained_arg, q);
}

static void
hbuf_send1(struct hbuf *h, struct hbuf_q *q, struct hbuf_pkt *p)
{
	if (h->send && h->send(h->send_arg, &q->peer, p->data, p->len) == 0)
		HBUF_COUNT(h, q, released);
	else
		HBUF_COUNT(h, q, dropped_send);
	free(p);
}

static void
hbuf_pace_cb(struct ev *ev, void *arg)
{
	struct hbuf_q *q = arg;
	struct hbuf *h = q->h;
	ev_time_t now = ev_now();
	unsigned sent = 0;

	if (q->state != HBUF_RELEASE)
		return;
	hbuf_expire(h, q, now);
	hbuf_set_rate(h, q, now);
	if (now > q->last_tick)
		q->credit +=
		    q->release_pps * (double)(now - q->last_tick) / 1e9;
	if (q->credit > HBUF_BURST)
		q->credit = HBUF_BURST;
	q->last_tick = now;
	while (q->head && q->credit >= 1.0 && sent < HBUF_BURST) {
		hbuf_send1(h, q, hbuf_pop(h, q));
		q->credit -= 1.0;
		sent++;
	}
	if (hbuf_empty(h, q)) {
		ev_timer_cancel(h->ev, &q->age);
		hbuf_drained(h, q);
		return;
	}
	ev_timer_after(h->ev, &q->pace, (ev_time_t)HBUF_TICK_US * 1000);
}

void
hbuf_release(struct hbuf *h, struct hbuf_q *q, const struct in6_addr *peer)
{
	ev_time_t now = ev_now();

	q->peer = *peer;
	q->release_start = now;
	if (q->state == HBUF_IDLE) {
		q->state = HBUF_PASS;
		return;
	}
	q->state = HBUF_RELEASE; /* refilled packets queue, not pass */
	if (hbuf_empty(h, q)) {
		hbuf_drained(h, q);
		return;
	}
	hbuf_set_rate(h, q, now);
	q->credit = 1.0; /* the first packet goes at once */
	if (h->cf.release_delay_ms == 0) {
		q->last_tick = now;
		hbuf_pace_cb(h->ev, q);
		return;
	}
	q->last_tick = now + EV_MS(h->cf.release_delay_ms);
	ev_timer_at(h->ev, &q->pace, q->last_tick);
}

void
hbuf_drop_all(struct hbuf *h, struct hbuf_q *q)
{
	hbuf_cancel(h, q);
	hbuf_flush(h, q);
	q->state = HBUF_IDLE;
}

static struct hbuf_q *
hbuf_match(const struct hbuf *h, const uint8_t *dst)
{
	for (struct hbuf_q *q = h->qs; q; q = q->next) {
		if (q->state == HBUF_IDLE)
			continue;
		for (unsigned i = 0; i < q->n_hnp; i++)
			if (mh_prefix_has(&q->hnp[i], dst))
				return q;
	}
	return NULL;
}

static int
hbuf_offer1(struct hbuf *h, const uint8_t *pkt, size_t len, int returned)
{
	struct hbuf_q *q;
	struct hbuf_pkt *p;
	ev_time_t now;
	size_t cost = hbuf_cost(len);

	if (len < 40 || (q = hbuf_match(h, pkt + 24)) == NULL)
		return 0;
	if (q->state == HBUF_PASS && !q->head) {
		if (h->send && h->send(h->send_arg, &q->peer, pkt, len) == 0)
			HBUF_COUNT(h, q, passed);
		else
			HBUF_COUNT(h, q, dropped_send);
		return 1;
	}
	now = ev_now();
	if (q->arrivals++ == 0)
		q->first_arrival = now;
	q->last_arrival = now;
	if (q->head)
		hbuf_expire(h, q, now);
	if (q->packets >= q->h->cf.max_packets ||
	    q->bytes + cost > q->h->cf.max_bytes) {
		HBUF_COUNT(h, q, dropped_cap);
		return 1;
	}
	if (h->bytes + cost > h->cf.global_max_bytes) {
		HBUF_COUNT(h, q, dropped_global);
		return 1;
	}
	if ((p = malloc(cost)) == NULL) {
		HBUF_COUNT(h, q, dropped_global);
		return 1;
	}
	p->next = NULL;
	p->t = now;
	p->len = len;
	memcpy(p->data, pkt, len);
	if (returned) {
		/* Behind the returned ones, ahead of the rest; as old as
		 * the packet it overtakes, so ageing stays head first. */
		struct hbuf_pkt **at =
		    q->ret_last ? &q->ret_last->next : &q->head;
		if (*at && (*at)->t < p->t)
			p->t = (*at)->t;
		p->next = *at;
		*at = p;
		if (!p->next)
			q->tail = p;
		q->ret_last = p;
		HBUF_COUNT(h, q, returned);
	} else {
		if (q->tail)
			q->tail->next = p;
		else
			q->head = p;
		q->tail = p;
	}
	q->packets++;
	q->bytes += cost;
	h->packets++;
	h->bytes += cost;
	if (q->packets > q->peak_packets)
		q->peak_packets = q->packets;
	if (q->bytes > q->peak_bytes)
		q->peak_bytes = q->bytes;
	if (h->bytes > h->peak_bytes)
		h->peak_bytes = h->bytes;
	HBUF_COUNT(h, q, buffered);
	if (!ev_timer_armed(&q->age))
		ev_timer_at(h->ev, &q->age, now + EV_MS(h->cf.max_age_ms));
	return 1;
}

int
hbuf_offer(struct hbuf *h, const uint8_t *pkt, size_t len)
{
	return hbuf_offer1(h, pkt, len, 0);
}

int
hbuf_offer_returned(struct hbuf *h, const uint8_t *pkt, size_t len)
{
	return hbuf_offer1(h, pkt, len, 1);
}

/* ---- dumps ---- */

static const char *
hbuf_ntop(const struct in6_addr *a, char *buf)
{
	return inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN);
}

static void
hbuf_json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(out, "\\u%04x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

static void
hbuf_json_counters(const struct hbuf_counters *c, FILE *out)
{
	const uint64_t *v = (const uint64_t *)c;

	for (size_t i = 0; i < HBUF_NCOUNTERS; i++)
		fprintf(out, "%s\"%s\":%" PRIu64, i ? "," : "",
			hbuf_counter_names[i], v[i]);
}

void
hbuf_dump_totals_json(const struct hbuf *h, FILE *out)
{
	hbuf_json_counters(&h->total, out);
	fprintf(out,
		",\"held_packets\":%u,\"memory_bytes\":%zu,"
		"\"peak_memory_bytes\":%zu,\"global_max_bytes\":%" PRIu64
		",\"queues\":%u",
		h->packets, h->bytes, h->peak_bytes, h->cf.global_max_bytes,
		h->n_q);
}

void
hbuf_dump_totals_text(const struct hbuf *h, FILE *out)
{
	const uint64_t *v = (const uint64_t *)&h->total;

	for (size_t i = 0; i < HBUF_NCOUNTERS; i++)
		fprintf(out, "buffer: %-44s %12" PRIu64 "\n",
			hbuf_counter_descr[i], v[i]);
	fprintf(out, "buffer: %-44s %12zu\n", "memory held (bytes)", h->bytes);
	fprintf(out, "buffer: %-44s %12zu\n", "peak memory held (bytes)",
		h->peak_bytes);
	fprintf(out, "buffer: %-44s %12" PRIu64 "\n",
		"global memory cap (bytes)", h->cf.global_max_bytes);
}

void
hbuf_dump(const struct hbuf *h, FILE *out, int json)
{
	char a[INET6_ADDRSTRLEN];

	if (json) {
		fprintf(out, "{\"buffers\":[");
		for (const struct hbuf_q *q = h->qs; q; q = q->next) {
			fprintf(out, "%s{\"mn\":", q == h->qs ? "" : ",");
			hbuf_json_str(out, q->nai);
			fprintf(out,
				",\"id\":%u,\"state\":\"%s\","
				"\"peer\":\"%s\",\"packets\":%u,\"bytes\":%zu,"
				"\"peak_packets\":%u,\"peak_bytes\":%zu,"
				"\"episodes\":%u,\"release_pps\":%.1f,",
				q->id, hbuf_state_name(q->state),
				hbuf_ntop(&q->peer, a), q->packets, q->bytes,
				q->peak_packets, q->peak_bytes, q->episodes,
				q->release_pps);
			hbuf_json_counters(&q->c, out);
			fprintf(out, "}");
		}
		fprintf(out, "],\"totals\":{");
		hbuf_dump_totals_json(h, out);
		fprintf(out,
			",\"max_packets\":%u,\"max_bytes\":%u,"
			"\"max_age_ms\":%u,\"release_factor\":%.2f,"
			"\"release_delay_ms\":%u}}\n",
			h->cf.max_packets, h->cf.max_bytes, h->cf.max_age_ms,
			h->cf.release_factor, h->cf.release_delay_ms);
		return;
	}
	fprintf(out, "%-28s %-7s %8s %10s %8s %9s %9s %8s %8s %8s %8s\n", "MN",
		"STATE", "PACKETS", "BYTES", "PEAK", "BUFFERED", "RELEASED",
		"PASSED", "DR_CAP", "DR_AGE", "DR_GONE");
	for (const struct hbuf_q *q = h->qs; q; q = q->next)
		fprintf(out,
			"%-28s %-7s %8u %10zu %8u %9" PRIu64 " %9" PRIu64
			" %8" PRIu64 " %8" PRIu64 " %8" PRIu64 " %8" PRIu64
			"\n",
			q->nai, hbuf_state_name(q->state), q->packets, q->bytes,
			q->peak_packets, q->c.buffered, q->c.released,
			q->c.passed, q->c.dropped_cap + q->c.dropped_global,
			q->c.dropped_age, q->c.dropped_never_returned);
	fprintf(out, "%u queue(s)\n", h->n_q);
	hbuf_dump_totals_text(h, out);
}
