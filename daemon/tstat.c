/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdlib.h>
#include <string.h>

#include "tstat.h"

void
tstat_init(struct tstat *t, const char *name)
{
	memset(t, 0, sizeof(*t));
	t->name = name;
}

void
tstat_add(struct tstat *t, ev_time_t ns)
{
	if (ns < 0)
		ns = 0;
	if (t->count == 0 || ns < t->min)
		t->min = ns;
	if (ns > t->max)
		t->max = ns;
	t->sum += ns;
	t->count++;
	t->ring[t->ring_pos] = ns;
	t->ring_pos = (t->ring_pos + 1) % TSTAT_WINDOW;
	if (t->ring_len < TSTAT_WINDOW)
		t->ring_len++;
}

static int
tstat_cmp(const void *a, const void *b)
{
	ev_time_t x = *(const ev_time_t *)a, y = *(const ev_time_t *)b;
	return (x > y) - (x < y);
}

/* Nearest-rank percentile over a sorted array. */
static ev_time_t
tstat_rank(const ev_time_t *v, unsigned n, double q)
{
	unsigned k = (unsigned)(q * n + 0.999999);
	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return v[k - 1];
}

void
tstat_summary(const struct tstat *t, struct tstat_summary *out)
{
	memset(out, 0, sizeof(*out));
	out->count = t->count;
	if (!t->count)
		return;
	out->min_us = t->min / 1e3;
	out->max_us = t->max / 1e3;
	out->mean_us = (double)t->sum / (double)t->count / 1e3;
	ev_time_t *v = malloc(t->ring_len * sizeof(*v));
	if (!v)
		return;
	memcpy(v, t->ring, t->ring_len * sizeof(*v));
	qsort(v, t->ring_len, sizeof(*v), tstat_cmp);
	out->median_us = tstat_rank(v, t->ring_len, 0.5) / 1e3;
	out->p99_us = tstat_rank(v, t->ring_len, 0.99) / 1e3;
	free(v);
}
