/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "naitab.h"

#define NAITAB_INITIAL_BUCKETS 64

uint32_t
naitab_hash(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	return h;
}

static unsigned
naitab_bucket(const struct naitab *t, const char *key)
{
	return naitab_hash(key, strlen(key)) & (t->nbuckets - 1);
}

int
naitab_init(struct naitab *t)
{
	memset(t, 0, sizeof(*t));
	t->nbuckets = NAITAB_INITIAL_BUCKETS;
	t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
	return t->buckets ? 0 : -ENOMEM;
}

void
naitab_fini(struct naitab *t)
{
	free(t->buckets);
	memset(t, 0, sizeof(*t));
}

struct naitab_node *
naitab_find(const struct naitab *t, const char *key)
{
	if (!t->buckets)
		return NULL;
	for (struct naitab_node *n = t->buckets[naitab_bucket(t, key)]; n;
	     n = n->next_hash)
		if (strcmp(n->key, key) == 0)
			return n;
	return NULL;
}

/* Double the bucket array.  O(n); on allocation failure the table keeps
 * working with longer chains. */
static void
naitab_grow(struct naitab *t)
{
	unsigned nb = t->nbuckets * 2;
	struct naitab_node **b = calloc(nb, sizeof(*b));

	if (!b)
		return;
	for (struct naitab_node *n = t->head; n; n = n->next) {
		unsigned h = naitab_hash(n->key, strlen(n->key)) & (nb - 1);
		n->next_hash = b[h];
		b[h] = n;
	}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = nb;
}

void
naitab_insert(struct naitab *t, struct naitab_node *n, const char *key)
{
	n->key = key;
	if (t->count + 1 > t->nbuckets)
		naitab_grow(t);
	unsigned h = naitab_bucket(t, key);
	n->next_hash = t->buckets[h];
	t->buckets[h] = n;
	n->next = NULL;
	n->prev = t->tail;
	if (t->tail)
		t->tail->next = n;
	else
		t->head = n;
	t->tail = n;
	t->count++;
}

void
naitab_remove(struct naitab *t, struct naitab_node *n)
{
	for (struct naitab_node **pp = &t->buckets[naitab_bucket(t, n->key)];
	     *pp; pp = &(*pp)->next_hash) {
		if (*pp == n) {
			*pp = n->next_hash;
			break;
		}
	}
	if (n->prev)
		n->prev->next = n->next;
	else
		t->head = n->next;
	if (n->next)
		n->next->prev = n->prev;
	else
		t->tail = n->prev;
	t->count--;
}

size_t
naitab_overhead_per_entry(const struct naitab *t)
{
	return t->count ? t->nbuckets * sizeof(void *) / t->count : 0;
}
