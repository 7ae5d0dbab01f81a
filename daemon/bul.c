/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bul.h"
#include "log.h"

static const char *const bul_state_names[] = {
    [BUL_REGISTERING] = "REGISTERING", [BUL_REGISTERED] = "REGISTERED",
    [BUL_REFRESHING] = "REFRESHING",   [BUL_DEREG] = "DEREG",
    [BUL_FAILED] = "FAILED",
};

static const char *const bul_trigger_names[] = {
    [BUL_TRIG_NONE] = "none",	    [BUL_TRIG_RS] = "rs",
    [BUL_TRIG_NEIGH] = "neighbour", [BUL_TRIG_LINK] = "link",
    [BUL_TRIG_AP] = "ap",	    [BUL_TRIG_FRAME] = "frame",
};

const char *
bul_state_name(enum bul_state s)
{
	if ((unsigned)s >= sizeof(bul_state_names) / sizeof(bul_state_names[0]))
		return "?";
	return bul_state_names[s];
}

const char *
bul_trigger_name(enum bul_trigger tr)
{
	if ((unsigned)tr >=
	    sizeof(bul_trigger_names) / sizeof(bul_trigger_names[0]))
		return "?";
	return bul_trigger_names[tr];
}

void
bul_set_state(struct bul *b, enum bul_state s, const char *why)
{
	if (b->state != s)
		log_info("bul %s: %s -> %s (%s)", b->nai,
			 bul_state_name(b->state), bul_state_name(s), why);
	b->state = s;
}

/* FNV-1a; NAIs are short. */
static uint32_t
bul_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++) {
		h ^= (uint8_t)*s;
		h *= 16777619u;
	}
	return h;
}

int
bul_table_init(struct bul_table *t)
{
	memset(t, 0, sizeof(*t));
	t->nai_buckets = 64;
	t->by_nai = calloc(t->nai_buckets, sizeof(*t->by_nai));
	if (!t->by_nai)
		return -ENOMEM;
	t->next_id = 1;
	return 0;
}

void
bul_table_fini(struct bul_table *t, void (*destroy)(struct bul *))
{
	while (t->all) {
		struct bul *b = t->all;

		if (destroy)
			destroy(b);
		bul_delete(t, b);
	}
	free(t->by_nai);
	memset(t, 0, sizeof(*t));
}

struct bul *
bul_by_nai(const struct bul_table *t, const char *nai)
{
	if (!t->by_nai)
		return NULL;
	uint32_t h = bul_hash(nai) & (t->nai_buckets - 1);
	for (struct bul *b = t->by_nai[h]; b; b = b->next_nai)
		if (strcmp(b->nai, nai) == 0)
			return b;
	return NULL;
}

struct bul *
bul_by_mn_ll(const struct bul_table *t, int ifindex, const struct in6_addr *ll)
{
	for (struct bul *b = t->all; b; b = b->next_all)
		if (b->ifindex == ifindex &&
		    memcmp(&b->mn_ll, ll, sizeof(*ll)) == 0)
			return b;
	return NULL;
}

struct bul *
bul_by_lladdr(const struct bul_table *t, const uint8_t lladdr[6])
{
	for (struct bul *b = t->all; b; b = b->next_all)
		if (memcmp(b->lladdr, lladdr, sizeof(b->lladdr)) == 0)
			return b;
	return NULL;
}

/* Double the bucket array when the load factor passes 1.  O(n). */
static void
bul_grow(struct bul_table *t)
{
	unsigned n = t->nai_buckets * 2;
	struct bul **nb = calloc(n, sizeof(*nb));

	if (!nb)
		return; /* keep working with longer chains */
	for (struct bul *b = t->all; b; b = b->next_all) {
		uint32_t h = bul_hash(b->nai) & (n - 1);
		b->next_nai = nb[h];
		nb[h] = b;
	}
	free(t->by_nai);
	t->by_nai = nb;
	t->nai_buckets = n;
}

struct bul *
bul_create(struct bul_table *t, const char *nai)
{
	struct bul *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	snprintf(b->nai, sizeof(b->nai), "%s", nai);
	b->id = t->next_id++;
	b->rtx_timer.heap_idx = -1;
	b->life_timer.heap_idx = -1;
	b->ra_timer.heap_idx = -1;
	b->probe_timer.heap_idx = -1;
	if (t->count + 1 > t->nai_buckets)
		bul_grow(t);
	uint32_t h = bul_hash(b->nai) & (t->nai_buckets - 1);
	b->next_nai = t->by_nai[h];
	t->by_nai[h] = b;
	b->prev_all = t->all_tail;
	if (t->all_tail)
		t->all_tail->next_all = b;
	else
		t->all = b;
	t->all_tail = b;
	t->count++;
	return b;
}

void
bul_delete(struct bul_table *t, struct bul *b)
{
	uint32_t h = bul_hash(b->nai) & (t->nai_buckets - 1);

	for (struct bul **pp = &t->by_nai[h]; *pp; pp = &(*pp)->next_nai) {
		if (*pp == b) {
			*pp = b->next_nai;
			break;
		}
	}
	if (b->prev_all)
		b->prev_all->next_all = b->next_all;
	else
		t->all = b->next_all;
	if (b->next_all)
		b->next_all->prev_all = b->prev_all;
	else
		t->all_tail = b->prev_all;
	t->count--;
	free(b);
}

size_t
bul_mem_per_entry(const struct bul_table *t)
{
	size_t per = sizeof(struct bul);

	if (t->count)
		per += t->nai_buckets * sizeof(void *) / t->count;
	return per;
}
