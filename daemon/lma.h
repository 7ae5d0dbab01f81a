/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The Local Mobility Anchor role (RFC 5213 section 5): validates Proxy
 * Binding Updates, keeps the binding cache, drives the data plane and
 * answers with Proxy Binding Acknowledgements.
 *
 * lma_recv() is the single entry point for received Mobility Headers;
 * sending goes through an injected function so that the logic is tested
 * without sockets.
 */
#ifndef PMIPD_LMA_H
#define PMIPD_LMA_H

#include <stdio.h>

#include "bce.h"
#include "conf.h"
#include "dp.h"
#include "ev.h"
#include "hbuf.h"
#include "mh.h"
#include "mhsock.h"
#include "tstat.h"

/* Counters; each has a name in lma.c's table, in this order. */
#define LMA_COUNTERS(X)                                                        \
	X(rx_mh, "Mobility Headers received")                                  \
	X(rx_pbu, "PBUs received")                                             \
	X(rx_hb, "Heartbeats received")                                        \
	X(rx_malformed, "dropped: malformed Mobility Header")                  \
	X(rx_unexpected, "dropped: unexpected MH type")                        \
	X(rx_not_proxy, "BUs without the P flag (answered 129)")               \
	X(rx_not_for_us, "dropped: not addressed to our address")              \
	X(tx_pba, "PBAs sent")                                                 \
	X(tx_pba_accepted, "PBAs sent with status 0")                          \
	X(tx_pba_rejected, "PBAs sent with an error status")                   \
	X(tx_hb, "Heartbeat responses sent")                                   \
	X(tx_err, "send errors")                                               \
	X(reg_first, "first registrations")                                    \
	X(reg_refresh, "lifetime extensions")                                  \
	X(reg_handover, "handovers (serving MAG changed)")                     \
	X(dereg, "de-registrations")                                           \
	X(dereg_not_serving, "de-registrations ignored: not the serving MAG")  \
	X(bce_expired, "bindings expired")                                     \
	X(bce_deleted, "bindings deleted after MinDelayBeforeBCEDelete")       \
	X(dp_err, "data-plane failures")                                       \
	X(buf_holds, "de-registrations that started buffering")

struct lma_stats {
#define LMA_X(n, d) uint64_t n;
	LMA_COUNTERS(LMA_X)
#undef LMA_X
	uint64_t status[256]; /* PBAs sent per status code */
};

/* Processing-time steps (issue figures: first reg, refresh, dereg). */
enum lma_step {
	LMA_T_FIRST,	/* PBU received -> PBA sent, first registration */
	LMA_T_REFRESH,	/* ... lifetime extension */
	LMA_T_DEREG,	/* ... de-registration */
	LMA_T_HANDOVER, /* ... registration from a new MAG */
	LMA_T_VALIDATE, /* parse + validation */
	LMA_T_BCE,	/* binding cache update */
	LMA_T_DP,	/* data-plane changes */
	LMA_T_SEND,	/* PBA build + send */
	LMA_T_MAX
};

typedef int (*lma_send_fn)(void *arg, const struct in6_addr *dst,
			   const uint8_t *buf, size_t len);
/* RFC 5213 8.8 timestamp of "now" (48-bit seconds, 16-bit fraction). */
typedef uint64_t (*lma_clock_fn)(void *arg);

struct lma {
	const struct conf *conf;
	struct ev *ev;
	struct dp *dp;
	struct bce_table bc;
	struct lma_stats st;
	struct tstat t[LMA_T_MAX];
	lma_send_fn send;
	void *send_arg;
	lma_clock_fn clock;
	void *clock_arg;
	struct mhsock sock;
	int sock_open;
	struct hbuf hb; /* handover buffer */
};

int lma_init(struct lma *l, const struct conf *conf, struct ev *ev,
	     struct dp *dp);
/* Open the raw MH socket and use it for sending. */
int lma_start_io(struct lma *l);
void lma_fini(struct lma *l);

void lma_recv(struct lma *l, const struct in6_addr *src,
	      const struct in6_addr *dst, const uint8_t *buf, size_t len);

void lma_dump_bc(const struct lma *l, FILE *out, int json);
void lma_dump_stats(const struct lma *l, FILE *out, int json);
void lma_dump_buffers(const struct lma *l, FILE *out, int json);

/* The current wall-clock time as an RFC 5213 Timestamp. */
uint64_t lma_timestamp_now(void *arg);

#endif
