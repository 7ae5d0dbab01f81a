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

/* FNV-1a; inputs are short (NAIs, 17-byte prefixes). */
static uint32_t
bce_hash(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	return h;
}

static uint32_t
bce_pfx_hash(const struct mh_prefix *p)
{
	uint8_t key[17];
	memcpy(key, &p->prefix, 16);
	key[16] = p->len;
	return bce_hash(key, sizeof(key));
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
	t->nai_buckets = 64;
	t->pfx_buckets = 64;
	t->by_nai = calloc(t->nai_buckets, sizeof(*t->by_nai));
	t->by_pfx = calloc(t->pfx_buckets, sizeof(*t->by_pfx));
	if (!t->by_nai || !t->by_pfx) {
		free(t->by_nai);
		free(t->by_pfx);
		return -ENOMEM;
	}
	t->next_id = 1;
	return 0;
}

void
bce_table_fini(struct bce_table *t, void (*destroy)(struct bce *))
{
	while (t->all) {
		struct bce *b = t->all;
		if (destroy)
			destroy(b);
		bce_delete(t, b);
	}
	free(t->by_nai);
	free(t->by_pfx);
	memset(t, 0, sizeof(*t));
}

struct bce *
bce_by_nai(const struct bce_table *t, const char *nai)
{
	uint32_t h = bce_hash(nai, strlen(nai)) & (t->nai_buckets - 1);
	for (struct bce *b = t->by_nai[h]; b; b = b->next_nai)
		if (strcmp(b->nai, nai) == 0)
			return b;
	return NULL;
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

/* Double a bucket array when the load factor passes 1.  O(n). */
static void
bce_grow_nai(struct bce_table *t)
{
	unsigned n = t->nai_buckets * 2;
	struct bce **nb = calloc(n, sizeof(*nb));
	if (!nb)
		return; /* keep working with longer chains */
	for (struct bce *b = t->all; b; b = b->next_all) {
		uint32_t h = bce_hash(b->nai, strlen(b->nai)) & (n - 1);
		b->next_nai = nb[h];
		nb[h] = b;
	}
	free(t->by_nai);
	t->by_nai = nb;
	t->nai_buckets = n;
}

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
	if (t->count + 1 > t->nai_buckets)
		bce_grow_nai(t);
	uint32_t h = bce_hash(b->nai, strlen(b->nai)) & (t->nai_buckets - 1);
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
	if (t->count * 2 > t->pfx_buckets)
		bce_grow_pfx(t);
	return 0;
}

void
bce_delete(struct bce_table *t, struct bce *b)
{
	bce_unindex_prefixes(t, b);
	uint32_t h = bce_hash(b->nai, strlen(b->nai)) & (t->nai_buckets - 1);
	for (struct bce **pp = &t->by_nai[h]; *pp; pp = &(*pp)->next_nai) {
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
bce_mem_per_entry(const struct bce_table *t)
{
	/* Entry, one prefix index node per prefix (typically 1), and the
	 * amortised bucket pointers of both hash tables. */
	size_t per = sizeof(struct bce) + sizeof(struct bce_pfx);
	if (t->count)
		per += (t->nai_buckets + t->pfx_buckets) * sizeof(void *) /
		       t->count;
	return per;
}
