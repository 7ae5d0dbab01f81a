/* SPDX-License-Identifier: BSD-2-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bce.h"
#include "log.h"

struct bce_pfx {
	struct mh_prefix p;
	struct bce *b;
	struct bce_pfx *next;
};

static const char *const bce_state_names[] = {
    [BCE_ACTIVE] = "ACTIVE",
    [BCE_DEREG] = "DEREG",
};

const char *
bce_state_name(enum bce_state s)
{
	if ((unsigned)s >= sizeof(bce_state_names) / sizeof(bce_state_names[0]))
		return "?";
	return bce_state_names[s];
}

void
bce_set_state(struct bce *b, enum bce_state s, const char *why)
{
	if (b->state != s)
		log_info("bce %s: %s -> %s (%s)", b->nai,
			 bce_state_name(b->state), bce_state_name(s), why);
	b->state = s;
}

static uint32_t
bce_pfx_hash(const struct mh_prefix *p)
{
	uint8_t key[17];
	memcpy(key, &p->prefix, 16);
	key[16] = p->len;
	return naitab_hash(key, sizeof(key));
}

static int
bce_pfx_equal(const struct mh_prefix *a, const struct mh_prefix *b)
{
	return a->len == b->len &&
	       memcmp(&a->prefix, &b->prefix, sizeof(a->prefix)) == 0;
}

int
bce_table_init(struct bce_table *t)
{
	memset(t, 0, sizeof(*t));
	t->pfx_buckets = 64;
	t->by_pfx = calloc(t->pfx_buckets, sizeof(*t->by_pfx));
	if (!t->by_pfx || naitab_init(&t->nai) < 0) {
		free(t->by_pfx);
		return -ENOMEM;
	}
	t->next_id = 1;
	return 0;
}

void
bce_table_fini(struct bce_table *t, void (*destroy)(struct bce *))
{
	struct bce *b;

	while ((b = bce_first(t))) {
		if (destroy)
			destroy(b);
		bce_delete(t, b);
	}
	naitab_fini(&t->nai);
	free(t->by_pfx);
	memset(t, 0, sizeof(*t));
}

static struct bce *
bce_of(struct naitab_node *n)
{
	return n ? naitab_entry(n, struct bce, node) : NULL;
}

struct bce *
bce_first(const struct bce_table *t)
{
	return bce_of(t->nai.head);
}

struct bce *
bce_next(const struct bce *b)
{
	return bce_of(b->node.next);
}

unsigned
bce_count(const struct bce_table *t)
{
	return t->nai.count;
}

struct bce *
bce_by_nai(const struct bce_table *t, const char *nai)
{
	return bce_of(naitab_find(&t->nai, nai));
}

struct bce *
bce_by_prefix(const struct bce_table *t, const struct mh_prefix *p)
{
	uint32_t h = bce_pfx_hash(p) & (t->pfx_buckets - 1);
	for (struct bce_pfx *e = t->by_pfx[h]; e; e = e->next)
		if (bce_pfx_equal(&e->p, p))
			return e->b;
	return NULL;
}

/* Double the prefix bucket array.  O(n). */
static void
bce_grow_pfx(struct bce_table *t)
{
	unsigned n = t->pfx_buckets * 2;
	struct bce_pfx **nb = calloc(n, sizeof(*nb));
	if (!nb)
		return;
	for (unsigned i = 0; i < t->pfx_buckets; i++) {
		struct bce_pfx *e = t->by_pfx[i];
		while (e) {
			struct bce_pfx *next = e->next;
			uint32_t h = bce_pfx_hash(&e->p) & (n - 1);
			e->next = nb[h];
			nb[h] = e;
			e = next;
		}
	}
	free(t->by_pfx);
	t->by_pfx = nb;
	t->pfx_buckets = n;
}

struct bce *
bce_create(struct bce_table *t, const char *nai)
{
	struct bce *b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	snprintf(b->nai, sizeof(b->nai), "%s", nai);
	b->id = t->next_id++;
	b->timer.heap_idx = -1;
	naitab_insert(&t->nai, &b->node, b->nai);
	return b;
}

static void
bce_unindex_prefixes(struct bce_table *t, struct bce *b)
{
	for (unsigned i = 0; i < b->n_hnp; i++) {
		uint32_t h = bce_pfx_hash(&b->hnp[i]) & (t->pfx_buckets - 1);
		struct bce_pfx **pp = &t->by_pfx[h];
		while (*pp) {
			if ((*pp)->b == b &&
			    bce_pfx_equal(&(*pp)->p, &b->hnp[i])) {
				struct bce_pfx *e = *pp;
				*pp = e->next;
				free(e);
				break;
			}
			pp = &(*pp)->next;
		}
	}
	b->n_hnp = 0;
}

int
bce_set_prefixes(struct bce_table *t, struct bce *b,
		 const struct mh_prefix *hnp, unsigned n)
{
	if (n > MH_MAX_HNP)
		return -E2BIG;
	bce_unindex_prefixes(t, b);
	for (unsigned i = 0; i < n; i++) {
		struct bce_pfx *e = calloc(1, sizeof(*e));
		if (!e) {
			bce_unindex_prefixes(t, b);
			return -ENOMEM;
		}
		e->p = hnp[i];
		e->b = b;
		b->hnp[i] = hnp[i];
		b->n_hnp = i + 1;
		uint32_t h = bce_pfx_hash(&e->p) & (t->pfx_buckets - 1);
		e->next = t->by_pfx[h];
		t->by_pfx[h] = e;
	}
	/* Rough load factor: prefixes per bucket. */
	if (bce_count(t) * 2 > t->pfx_buckets)
		bce_grow_pfx(t);
	return 0;
}

void
bce_delete(struct bce_table *t, struct bce *b)
{
	bce_unindex_prefixes(t, b);
	naitab_remove(&t->nai, &b->node);
	free(b);
}

size_t
bce_mem_per_entry(const struct bce_table *t)
{
	/* Entry, one prefix index node per prefix (typically 1), and the
	 * amortised bucket pointers of both hash tables. */
	size_t per = sizeof(struct bce) + sizeof(struct bce_pfx) +
		     naitab_overhead_per_entry(&t->nai);
	if (bce_count(t))
		per += t->pfx_buckets * sizeof(void *) / bce_count(t);
	return per;
}
