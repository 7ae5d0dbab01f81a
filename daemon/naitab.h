/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A table keyed by MN identifier (NAI) that the LMA's binding cache and
 * the MAG's binding update list share: an intrusive chained hash (O(1)
 * average lookups, buckets doubled when the load factor passes 1) plus
 * an insertion-ordered list for dumps and walks.  Entries embed a
 * struct naitab_node and are found again with naitab_entry().
 */
#ifndef PMIPD_NAITAB_H
#define PMIPD_NAITAB_H

#include <stddef.h>
#include <stdint.h>

struct naitab_node {
	const char *key;	       /* the entry's NUL-terminated NAI */
	struct naitab_node *next_hash; /* bucket chain */
	struct naitab_node *next;      /* insertion order */
	struct naitab_node *prev;
};

struct naitab {
	struct naitab_node **buckets; /* NULL until naitab_init */
	unsigned nbuckets;	      /* a power of two */
	unsigned count;
	struct naitab_node *head, *tail;
};

#define naitab_entry(n, type, member)                                          \
	((type *)(void *)((char *)(n)-offsetof(type, member)))

/* FNV-1a: short keys (NAIs, prefixes), well spread low bits. */
uint32_t naitab_hash(const void *data, size_t len);

int naitab_init(struct naitab *t);
/* Frees the buckets; the entries are the caller's. */
void naitab_fini(struct naitab *t);
struct naitab_node *naitab_find(const struct naitab *t, const char *key);
/* Insert n under key (kept by pointer: it must live as long as n). */
void naitab_insert(struct naitab *t, struct naitab_node *n, const char *key);
void naitab_remove(struct naitab *t, struct naitab_node *n);
/* Bucket-array bytes per entry, for the memory-per-binding figures. */
size_t naitab_overhead_per_entry(const struct naitab *t);

#endif
