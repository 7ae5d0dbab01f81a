/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The handover buffer (LMA): bounded per-MN FIFO queues of downlink
 * packet copies, held while an MN is between MAGs and released, in
 * order and paced, to the MAG that registers it next.
 *
 * Per MN a queue goes through
 *
 *   IDLE --hbuf_hold (de-registration accepted)--> HOLD
 *   HOLD --hbuf_release (registration via a MAG)--> RELEASE
 *   RELEASE --queue empty--> PASS (drained callback: the owner now
 *           routes the prefixes to the new MAG)
 *   PASS --HBUF_PASS_LINGER_MS--> IDLE
 *   HOLD --hbuf_drop_all (MinDelayBeforeBCEDelete ended)--> IDLE
 *   RELEASE, PASS --hbuf_hold (de-registered again)--> HOLD
 *
 * While a queue is in HOLD or RELEASE every packet for the MN's prefixes
 * is appended, so what arrives during the release goes out behind what
 * was buffered and nothing is reordered.  In PASS a packet is sent at
 * once if the queue is empty (stragglers of the old hold route).
 *
 * The release starts release_delay_ms after hbuf_release() (the new MAG
 * installs its routes on receiving the PBA sent just after), then goes
 * at the factor times the arrival rate measured from the
 * first packet buffered to now (at least HBUF_MIN_RATE packets/s), as a
 * token bucket refilled every HBUF_TICK_US by an ev timer: the event
 * loop never sleeps.
 *
 * Memory: a packet costs HBUF_PKT_OVERHEAD + its length bytes, and that
 * cost is what max_bytes (per MN) and global_max_bytes (all MNs) bound;
 * a packet that would exceed a cap is dropped (tail drop) and counted.
 * Every packet offered ends in exactly one counter: released, passed,
 * or one of the dropped_* (buffered counts entries into a queue).
 */
#ifndef PMIPD_HBUF_H
#define PMIPD_HBUF_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ev.h"
#include "mh.h"

#define HBUF_DEF_MAX_PACKETS 10000
#define HBUF_DEF_MAX_BYTES (4u * 1024 * 1024)
#define HBUF_DEF_MAX_AGE_MS 10000
#define HBUF_DEF_GLOBAL_MAX_BYTES (64u * 1024 * 1024)
#define HBUF_DEF_RELEASE_FACTOR 2.0
#define HBUF_DEF_RELEASE_DELAY_MS 5
#define HBUF_MIN_RATE 1000.0 /* packets/s: the release floor */
#define HBUF_TICK_US 1000    /* pacing timer period */
#define HBUF_BURST 256	     /* most packets sent in one tick */
#define HBUF_PASS_LINGER_MS 500

struct hbuf_conf {
	unsigned max_packets;	   /* per MN */
	unsigned max_bytes;	   /* per MN, packet cost */
	unsigned max_age_ms;	   /* longest a packet is held */
	uint64_t global_max_bytes; /* all MNs, packet cost */
	double release_factor;	   /* release rate / arrival rate */
	unsigned release_delay_ms; /* from registration to the first
				      release (the new MAG sets up its
				      routes when our PBA reaches it) */
};

/* The fate of every packet, in this order (names in hbuf.c). */
#define HBUF_COUNTERS(X)                                                       \
	X(buffered, "packets entered a queue")                                 \
	X(returned, "of those, returned by a MAG, queued ahead")               \
	X(released, "packets released from a queue")                           \
	X(passed, "packets sent at once after the release")                    \
	X(dropped_cap, "dropped: per-MN packet or byte cap")                   \
	X(dropped_global, "dropped: global memory cap")                        \
	X(dropped_age, "dropped: held longer than max_age_ms")                 \
	X(dropped_never_returned, "dropped: MN never came back")               \
	X(dropped_send, "dropped: release send failed")

struct hbuf_counters {
#define HBUF_X(n, d) uint64_t n;
	HBUF_COUNTERS(HBUF_X)
#undef HBUF_X
};

enum hbuf_state { HBUF_IDLE, HBUF_HOLD, HBUF_RELEASE, HBUF_PASS };

struct hbuf_pkt;
struct hbuf;

struct hbuf_q {
	struct hbuf *h;
	char nai[MH_MAX_NAI + 1];
	uint32_t id;
	unsigned n_hnp;
	struct mh_prefix hnp[MH_MAX_HNP];
	void *owner; /* the caller's entry (LMA: struct bce) */
	enum hbuf_state state;
	struct in6_addr peer; /* release target */
	struct hbuf_pkt *head, *tail;
	struct hbuf_pkt *ret_last; /* last returned packet queued, or NULL */
	unsigned packets;
	size_t bytes; /* cost */
	unsigned peak_packets;
	size_t peak_bytes;
	/* arrival rate, measured from the first packet of this episode */
	ev_time_t first_arrival, last_arrival;
	uint64_t arrivals;
	ev_time_t hold_start, release_start, drained_at;
	double release_pps;
	double credit; /* token bucket */
	ev_time_t last_tick;
	struct ev_timer pace, age, linger;
	unsigned episodes; /* holds so far */
	struct hbuf_counters c;
	struct hbuf_q *next;
};

typedef int (*hbuf_send_fn)(void *arg, const struct in6_addr *peer,
			    const uint8_t *pkt, size_t len);
typedef void (*hbuf_drained_fn)(void *arg, struct hbuf_q *q);
/* Offer (hbuf_offer) what the hold point has queued but not yet read. */
typedef void (*hbuf_refill_fn)(void *arg);

struct hbuf {
	struct ev *ev;
	struct hbuf_conf cf;
	struct hbuf_q *qs;
	unsigned n_q;
	size_t bytes; /* cost held, all queues */
	size_t peak_bytes;
	unsigned packets;
	struct hbuf_counters total; /* all queues, forgotten ones too */
	hbuf_send_fn send;
	void *send_arg;
	hbuf_drained_fn drained;
	void *drained_arg;
	hbuf_refill_fn refill;
	void *refill_arg;
};

/* Bytes a packet of len bytes counts against the caps. */
size_t hbuf_cost(size_t len);
void hbuf_conf_defaults(struct hbuf_conf *cf);
/* The caps and pacing of the configuration's "buffer" group. */
struct conf_buffer;
void hbuf_conf_from(struct hbuf_conf *cf, const struct conf_buffer *b);

void hbuf_init(struct hbuf *h, struct ev *ev, const struct hbuf_conf *cf,
	       hbuf_send_fn send, void *send_arg, hbuf_drained_fn drained,
	       void *drained_arg);
/*
 * Before a queue counts as drained, refill (if set) is called: a queue is
 * empty only when the hold point has nothing left either, so that the
 * owner never re-routes with packets still waiting there.
 */
void hbuf_set_refill(struct hbuf *h, hbuf_refill_fn fn, void *arg);
/* Frees every queue; packets still held count as never returned. */
void hbuf_fini(struct hbuf *h);

struct hbuf_q *hbuf_find(const struct hbuf *h, uint32_t id);
/*
 * Start (or resume) holding the MN's packets: the queue is created if
 * needed (NULL on allocation failure) and goes to HOLD; packets held
 * from an interrupted release stay, in order.
 */
struct hbuf_q *hbuf_hold(struct hbuf *h, const char *nai, uint32_t id,
			 const struct mh_prefix *hnp, unsigned n_hnp,
			 void *owner);
/*
 * Release to peer, paced.  If the queue is empty the drained callback
 * runs before this returns.
 */
void hbuf_release(struct hbuf *h, struct hbuf_q *q,
		  const struct in6_addr *peer);
/* Drop what is held as "never returned"; the queue goes IDLE. */
void hbuf_drop_all(struct hbuf *h, struct hbuf_q *q);
/* Remove the queue (the MN's binding is gone). */
void hbuf_forget(struct hbuf *h, struct hbuf_q *q);

/*
 * A downlink packet (IPv6, destination at offset 24).  Returns 1 if the
 * buffer took it (held, sent or dropped and counted), 0 if no queue
 * holding for its destination exists.
 */
int hbuf_offer(struct hbuf *h, const uint8_t *pkt, size_t len);
/*
 * As hbuf_offer, for a packet a MAG returned (it reached that MAG after
 * the MN had left): older than anything held from elsewhere, so it goes
 * behind the returned packets still queued but ahead of all others.
 */
int hbuf_offer_returned(struct hbuf *h, const uint8_t *pkt, size_t len);

/* 1 if some queue is holding, releasing or passing. */
int hbuf_active(const struct hbuf *h);
const char *hbuf_state_name(enum hbuf_state s);

/* Per-MN table (or JSON object) and the totals. */
void hbuf_dump(const struct hbuf *h, FILE *out, int json);
/* The totals as JSON members (no braces), for the LMA's stats. */
void hbuf_dump_totals_json(const struct hbuf *h, FILE *out);
void hbuf_dump_totals_text(const struct hbuf *h, FILE *out);

#endif
