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

int
bul_table_init(struct bul_table *t)
{
	memset(t, 0, sizeof(*t));
	t->next_id = 1;
	return naitab_init(&t->nai);
}

void
bul_table_fini(struct bul_table *t, void (*destroy)(struct bul *))
{
	struct bul *b;

	while ((b = bul_first(t))) {
		if (destroy)
			destroy(b);
		bul_delete(t, b);
	}
	naitab_fini(&t->nai);
	memset(t, 0, sizeof(*t));
}

static struct bul *
bul_of(struct naitab_node *n)
{
	return n ? naitab_entry(n, struct bul, node) : NULL;
}

struct bul *
bul_first(const struct bul_table *t)
{
	return bul_of(t->nai.head);
}

struct bul *
bul_next(const struct bul *b)
{
	return bul_of(b->node.next);
}

unsigned
bul_count(const struct bul_table *t)
{
	return t->nai.count;
}

struct bul *
bul_by_nai(const struct bul_table *t, const char *nai)
{
	return bul_of(naitab_find(&t->nai, nai));
}

struct bul *
bul_by_mn_ll(const struct bul_table *t, int ifindex, const struct in6_addr *ll)
{
	for (struct bul *b = bul_first(t); b; b = bul_next(b))
		if (b->ifindex == ifindex &&
		    memcmp(&b->mn_ll, ll, sizeof(*ll)) == 0)
			return b;
	return NULL;
}

struct bul *
bul_by_lladdr(const struct bul_table *t, const uint8_t lladdr[6])
{
	for (struct bul *b = bul_first(t); b; b = bul_next(b))
		if (memcmp(b->lladdr, lladdr, sizeof(b->lladdr)) == 0)
			return b;
	return NULL;
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
	naitab_insert(&t->nai, &b->node, b->nai);
	return b;
}

void
bul_delete(struct bul_table *t, struct bul *b)
{
	naitab_remove(&t->nai, &b->node);
	free(b);
}

size_t
bul_mem_per_entry(const struct bul_table *t)
{
	return sizeof(struct bul) + naitab_overhead_per_entry(&t->nai);
}
