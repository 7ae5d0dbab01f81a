/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Per-step processing-time statistics: count, min, max, mean over all
 * samples, and exact median/p99 over the most recent TSTAT_WINDOW samples
 * (a ring; percentiles sort a copy on demand, O(w log w), only when
 * someone asks through the control socket).  Recording is O(1).
 */
#ifndef PMIPD_TSTAT_H
#define PMIPD_TSTAT_H

#include <stdint.h>

#include "ev.h"

#define TSTAT_WINDOW 4096

struct tstat {
	const char *name;
	uint64_t count;
	ev_time_t min, max, sum;
	unsigned ring_len, ring_pos;
	ev_time_t ring[TSTAT_WINDOW];
};

struct tstat_summary {
	uint64_t count;
	double min_us, median_us, p99_us, max_us, mean_us;
};

void tstat_init(struct tstat *t, const char *name);
void tstat_add(struct tstat *t, ev_time_t ns);
void tstat_summary(const struct tstat *t, struct tstat_summary *out);

#endif
