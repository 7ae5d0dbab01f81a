/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <string.h>

#include "cursor.h"

void
rcur_init(struct rcur *c, const uint8_t *buf, size_t len)
{
	c->buf = buf;
	c->len = buf ? len : 0;
	c->off = 0;
	c->err = 0;
}

size_t
rcur_left(const struct rcur *c)
{
	return c->err ? 0 : c->len - c->off;
}

const uint8_t *
rcur_ptr(struct rcur *c, size_t n)
{
	if (c->err || n > c->len - c->off) {
		c->err = -EMSGSIZE;
		return NULL;
	}
	const uint8_t *p = c->buf + c->off;
	c->off += n;
	return p;
}

int
rcur_bytes(struct rcur *c, void *dst, size_t n)
{
	const uint8_t *p = rcur_ptr(c, n);
	if (!p)
		return c->err;
	if (n)
		memcpy(dst, p, n);
	return 0;
}

int
rcur_skip(struct rcur *c, size_t n)
{
	return rcur_ptr(c, n) ? 0 : c->err;
}

int
rcur_sub(struct rcur *c, size_t n, struct rcur *sub)
{
	const uint8_t *p = rcur_ptr(c, n);
	if (!p) {
		rcur_init(sub, NULL, 0);
		sub->err = c->err;
		return c->err;
	}
	rcur_init(sub, p, n);
	return 0;
}

static int
rcur_be(struct rcur *c, size_t n, uint64_t *v)
{
	const uint8_t *p = rcur_ptr(c, n);
	if (!p)
		return c->err;
	uint64_t x = 0;
	for (size_t i = 0; i < n; i++)
		x = (x << 8) | p[i];
	*v = x;
	return 0;
}

int
rcur_u8(struct rcur *c, uint8_t *v)
{
	uint64_t x = 0;
	int r = rcur_be(c, 1, &x);
	*v = (uint8_t)x;
	return r;
}

int
rcur_u16(struct rcur *c, uint16_t *v)
{
	uint64_t x = 0;
	int r = rcur_be(c, 2, &x);
	*v = (uint16_t)x;
	return r;
}

int
rcur_u32(struct rcur *c, uint32_t *v)
{
	uint64_t x = 0;
	int r = rcur_be(c, 4, &x);
	*v = (uint32_t)x;
	return r;
}

int
rcur_u48(struct rcur *c, uint64_t *v)
{
	*v = 0;
	return rcur_be(c, 6, v);
}

int
rcur_u64(struct rcur *c, uint64_t *v)
{
	*v = 0;
	return rcur_be(c, 8, v);
}

void
wcur_init(struct wcur *c, uint8_t *buf, size_t cap)
{
	c->buf = buf;
	c->cap = buf ? cap : 0;
	c->off = 0;
	c->err = 0;
}

static uint8_t *
wcur_reserve(struct wcur *c, size_t n)
{
	if (c->err || n > c->cap - c->off) {
		c->err = -ENOSPC;
		return NULL;
	}
	uint8_t *p = c->buf + c->off;
	c->off += n;
	return p;
}

int
wcur_bytes(struct wcur *c, const void *src, size_t n)
{
	uint8_t *p = wcur_reserve(c, n);
	if (!p)
		return c->err;
	if (n)
		memcpy(p, src, n);
	return 0;
}

int
wcur_zero(struct wcur *c, size_t n)
{
	uint8_t *p = wcur_reserve(c, n);
	if (!p)
		return c->err;
	if (n)
		memset(p, 0, n);
	return 0;
}

static int
wcur_be(struct wcur *c, size_t n, uint64_t v)
{
	uint8_t *p = wcur_reserve(c, n);
	if (!p)
		return c->err;
	for (size_t i = n; i > 0; i--) {
		p[i - 1] = (uint8_t)v;
		v >>= 8;
	}
	return 0;
}

int
wcur_u8(struct wcur *c, uint8_t v)
{
	return wcur_be(c, 1, v);
}

int
wcur_u16(struct wcur *c, uint16_t v)
{
	return wcur_be(c, 2, v);
}

int
wcur_u32(struct wcur *c, uint32_t v)
{
	return wcur_be(c, 4, v);
}

int
wcur_u48(struct wcur *c, uint64_t v)
{
	return wcur_be(c, 6, v);
}

int
wcur_u64(struct wcur *c, uint64_t v)
{
	return wcur_be(c, 8, v);
}

int
wcur_put_u8_at(struct wcur *c, size_t off, uint8_t v)
{
	if (c->err || off + 1 > c->off)
		return -EINVAL;
	c->buf[off] = v;
	return 0;
}

int
wcur_put_u16_at(struct wcur *c, size_t off, uint16_t v)
{
	if (c->err || off + 2 > c->off)
		return -EINVAL;
	c->buf[off] = (uint8_t)(v >> 8);
	c->buf[off + 1] = (uint8_t)v;
	return 0;
}

uint32_t
csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (i < len)
		sum += (uint32_t)(p[i] << 8);
	/* Fold early so very long inputs cannot overflow. */
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

uint16_t
csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}
