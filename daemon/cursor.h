/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Bounds-checked cursors over byte buffers.  Every packet is read through
 * a struct rcur and written through a struct wcur; no code takes a length
 * from the wire and does pointer arithmetic with it.  Once a cursor has
 * failed it stays failed (sticky error), so a sequence of reads can be
 * checked once at the end.  All multi-byte values are network order.
 */
#ifndef PMIPD_CURSOR_H
#define PMIPD_CURSOR_H

#include <stddef.h>
#include <stdint.h>

struct rcur {
	const uint8_t *buf;
	size_t len;
	size_t off;
	int err; /* 0, or -EMSGSIZE after a read past the end */
};

struct wcur {
	uint8_t *buf;
	size_t cap;
	size_t off;
	int err; /* 0, or -ENOSPC after a write past the end */
};

void rcur_init(struct rcur *c, const uint8_t *buf, size_t len);
size_t rcur_left(const struct rcur *c);
int rcur_u8(struct rcur *c, uint8_t *v);
int rcur_u16(struct rcur *c, uint16_t *v);
int rcur_u32(struct rcur *c, uint32_t *v);
int rcur_u48(struct rcur *c, uint64_t *v);
int rcur_u64(struct rcur *c, uint64_t *v);
int rcur_bytes(struct rcur *c, void *dst, size_t n);
int rcur_skip(struct rcur *c, size_t n);
/* A sub-cursor over the next n bytes; the parent advances past them. */
int rcur_sub(struct rcur *c, size_t n, struct rcur *sub);
/* Pointer to the next n bytes without copying; NULL if fewer are left. */
const uint8_t *rcur_ptr(struct rcur *c, size_t n);

void wcur_init(struct wcur *c, uint8_t *buf, size_t cap);
int wcur_u8(struct wcur *c, uint8_t v);
int wcur_u16(struct wcur *c, uint16_t v);
int wcur_u32(struct wcur *c, uint32_t v);
int wcur_u48(struct wcur *c, uint64_t v);
int wcur_u64(struct wcur *c, uint64_t v);
int wcur_bytes(struct wcur *c, const void *src, size_t n);
int wcur_zero(struct wcur *c, size_t n);
/* Overwrite a u8/u16 at an absolute offset already written. */
int wcur_put_u8_at(struct wcur *c, size_t off, uint8_t v);
int wcur_put_u16_at(struct wcur *c, size_t off, uint16_t v);

/* RFC 1071 one's complement sum helpers, used by the MH and ICMPv6 code. */
uint32_t csum_add(uint32_t sum, const void *data, size_t len);
uint16_t csum_fold(uint32_t sum);

#endif
